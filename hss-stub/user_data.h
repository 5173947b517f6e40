/* Cx User-Data: the IMSSubscription XML of TS 29.228 Annex E for one subscription. */
#ifndef HSS_USER_DATA_H
#define HSS_USER_DATA_H
#include <glib.h>
#include "subscribers.h"

/* Returns the UTF-8 XML document (caller frees). Wildcarded IMPUs are emitted with
 * IdentityType 4 and WildcardedIMPU at the third Extension level, as SPECS.md §5.3 says. */
gchar *hss_user_data_xml(const hss_sub_t *sub, gsize *len);

#endif
