/* Builds the IMSSubscription XML with libxml2 (TS 29.228 Annex E, subset used by the suite). */
#include "user_data.h"

#include <libxml/tree.h>
#include <string.h>

static void add_public_identity(xmlNodePtr profile, const hss_impu_t *u)
{
    xmlNodePtr pi = xmlNewChild(profile, NULL, BAD_CAST "PublicIdentity", NULL);
    /* 29.228 Annex E: BarringIndication precedes Identity; absent means not barred. */
    if (u->barred) xmlNewChild(pi, NULL, BAD_CAST "BarringIndication", BAD_CAST "1");
    xmlNewTextChild(pi, NULL, BAD_CAST "Identity", BAD_CAST u->uri);
    if (!u->wildcard && !u->display_name) return;
    xmlNodePtr ext1 = xmlNewChild(pi, NULL, BAD_CAST "Extension", NULL);
    /* IdentityType 0 = distinct IMPU, 4 = wildcarded IMPU. */
    xmlNewChild(ext1, NULL, BAD_CAST "IdentityType", BAD_CAST(u->wildcard ? "4" : "0"));
    xmlNodePtr ext2 = xmlNewChild(ext1, NULL, BAD_CAST "Extension", NULL);
    if (u->display_name) xmlNewTextChild(ext2, NULL, BAD_CAST "DisplayName", BAD_CAST u->display_name);
    if (u->wildcard) {
        xmlNodePtr ext3 = xmlNewChild(ext2, NULL, BAD_CAST "Extension", NULL);
        xmlNewTextChild(ext3, NULL, BAD_CAST "WildcardedIMPU", BAD_CAST u->uri);
    }
}

gchar *hss_user_data_xml(const hss_sub_t *sub, gsize *len)
{
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr root = xmlNewNode(NULL, BAD_CAST "IMSSubscription");
    xmlDocSetRootElement(doc, root);
    xmlNewTextChild(root, NULL, BAD_CAST "PrivateID", BAD_CAST sub->impi);
    xmlNodePtr profile = xmlNewChild(root, NULL, BAD_CAST "ServiceProfile", NULL);
    for (guint i = 0; i < sub->impus->len; i++) add_public_identity(profile, sub->impus->pdata[i]);
    xmlChar *buf = NULL;
    int n = 0;
    xmlDocDumpFormatMemoryEnc(doc, &buf, &n, "UTF-8", 0);
    gchar *out = g_strndup((const char *)buf, n);
    if (len) *len = (gsize)n;
    xmlFree(buf);
    xmlFreeDoc(doc);
    return out;
}
