/* IMSSubscription parsing with libxml2 (see user_data.h). */
#include "pcscf/user_data.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

static bool is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static char *text_of(const xmlNode *n)
{
    xmlChar *c = xmlNodeGetContent(n);
    char *s = g_strstrip(g_strdup(c ? (const char *)c : ""));
    xmlFree(c);
    return s;
}

/* WildcardedIMPU / WildcardedPSI anywhere below an Extension (implementations disagree on the
 * depth, SPECS.md §5.3). */
static char *find_wildcard(const xmlNode *n)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (is(c, "WildcardedIMPU") || is(c, "WildcardedPSI")) return text_of(c);
        if (c->type == XML_ELEMENT_NODE) {
            char *w = find_wildcard(c);
            if (w) return w;
        }
    }
    return NULL;
}

static void read_public_identity(const xmlNode *pi, pcscf_idset_t *set)
{
    char *identity = NULL, *wildcard = NULL;
    bool barred = false;
    for (const xmlNode *c = pi->children; c; c = c->next) {
        if (is(c, "Identity") && !identity) {
            identity = text_of(c);
        } else if (is(c, "BarringIndication")) {
            char *b = text_of(c);
            barred = strcmp(b, "1") == 0 || g_ascii_strcasecmp(b, "true") == 0;
            g_free(b);
        } else if (is(c, "Extension") && !wildcard) {
            wildcard = find_wildcard(c);
        }
    }
    const char *uri = identity && *identity ? identity : wildcard;
    if (uri && *uri) pcscf_idset_add(set, uri, barred);
    g_free(identity);
    g_free(wildcard);
}

pcscf_idset_t *pcscf_user_data_parse(const char *xml, size_t len, char **private_id,
                                     const char **why)
{
    if (private_id) *private_id = NULL;
    if (!xml || len == 0 || len > (size_t)G_MAXINT) {
        *why = "empty User-Data";
        return NULL;
    }
    xmlDocPtr doc = xmlReadMemory(xml, (int)len, "user-data.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        *why = "User-Data is not well-formed XML";
        return NULL;
    }
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root || !is(root, "IMSSubscription")) {
        xmlFreeDoc(doc);
        *why = "User-Data root is not IMSSubscription";
        return NULL;
    }
    pcscf_idset_t *set = pcscf_idset_new();
    for (const xmlNode *c = root->children; c; c = c->next) {
        if (is(c, "PrivateID") && private_id && !*private_id) *private_id = text_of(c);
        if (!is(c, "ServiceProfile")) continue;
        for (const xmlNode *p = c->children; p; p = p->next)
            if (is(p, "PublicIdentity")) read_public_identity(p, set);
    }
    xmlFreeDoc(doc);
    if (set->ids->len == 0) {
        pcscf_idset_free(set);
        if (private_id) {
            g_free(*private_id);
            *private_id = NULL;
        }
        *why = "User-Data holds no public identity";
        return NULL;
    }
    return set;
}
