/* Reads the IMSSubscription XML of a Cx User-Data AVP (TS 29.228 Annex E, SPECS.md §5.3) into
 * the identity set the pcscf uses for P-Associated-URI, PPI/PAI checks and terminating lookups.
 * Pure: bytes in, an identity set out. */
#ifndef PCSCF_USER_DATA_H
#define PCSCF_USER_DATA_H

#include <stddef.h>

#include "pcscf/identity.h"

/* Every PublicIdentity of every ServiceProfile, in document order, with its BarringIndication.
 * Wildcarded identities (IdentityType 2 or 4, or '!' in Identity) are taken from Identity, or
 * from WildcardedIMPU / WildcardedPSI at any Extension depth when Identity is absent.
 * Returns NULL (and a reason in *why, static) when the document is not an IMSSubscription. */
pcscf_idset_t *pcscf_user_data_parse(const char *xml, size_t len, char **private_id,
                                     const char **why);

#endif
