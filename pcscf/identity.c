/* Identity sets, the PAI decision and the charging-vector policy (see identity.h). */
#include "pcscf/identity.h"

#include <string.h>

#include "pcscf/uri.h"

static void identity_free(gpointer p)
{
    pcscf_identity_t *i = p;
    if (i->wildcard) regfree(&i->re);
    g_free(i->uri);
    g_free(i->canon);
    g_free(i);
}

pcscf_idset_t *pcscf_idset_new(void)
{
    pcscf_idset_t *s = g_new0(pcscf_idset_t, 1);
    s->ids = g_ptr_array_new_with_free_func(identity_free);
    return s;
}

void pcscf_idset_free(pcscf_idset_t *s)
{
    if (!s) return;
    g_ptr_array_free(s->ids, TRUE);
    g_free(s);
}

pcscf_idset_t *pcscf_idset_copy(const pcscf_idset_t *s)
{
    pcscf_idset_t *c = pcscf_idset_new();
    for (guint i = 0; s && i < s->ids->len; i++) {
        const pcscf_identity_t *id = s->ids->pdata[i];
        pcscf_idset_add(c, id->uri, id->barred);
    }
    return c;
}

bool pcscf_idset_add(pcscf_idset_t *s, const char *uri, bool barred)
{
    pcscf_identity_t *i = g_new0(pcscf_identity_t, 1);
    i->wildcard = pcscf_impu_is_wildcard(uri);
    if (i->wildcard && !pcscf_wildcard_compile(uri, &i->re)) {
        g_free(i);
        return false;
    }
    if (!i->wildcard) {
        i->canon = pcscf_uri_canon(uri);
        if (!i->canon) {
            g_free(i);
            return false;
        }
    }
    i->uri = g_strdup(uri);
    i->barred = barred;
    g_ptr_array_add(s->ids, i);
    return true;
}

static const pcscf_identity_t *match_canon(const pcscf_idset_t *s, const char *canon)
{
    for (guint i = 0; i < s->ids->len; i++) {
        const pcscf_identity_t *id = s->ids->pdata[i];
        if (!id->wildcard && g_ascii_strcasecmp(id->canon, canon) == 0) return id;
    }
    for (guint i = 0; i < s->ids->len; i++) {
        const pcscf_identity_t *id = s->ids->pdata[i];
        if (id->wildcard && regexec(&id->re, canon, 0, NULL, 0) == 0) return id;
    }
    return NULL;
}

const pcscf_identity_t *pcscf_idset_match(const pcscf_idset_t *s, const char *uri)
{
    if (!s || !uri) return NULL;
    char *canon = pcscf_uri_canon(uri);
    if (!canon) return NULL;
    const pcscf_identity_t *id = match_canon(s, canon);
    if (!id && g_str_has_prefix(canon, "sip")) {
        char *num = pcscf_uri_number(uri);
        if (num) {
            char *tel = g_strconcat("tel:", num, NULL);
            id = match_canon(s, tel);
            g_free(tel);
            g_free(num);
        }
    }
    g_free(canon);
    return id;
}

const char *pcscf_idset_default(const pcscf_idset_t *s)
{
    for (guint i = 0; s && i < s->ids->len; i++) {
        const pcscf_identity_t *id = s->ids->pdata[i];
        if (!id->wildcard && !id->barred) return id->uri;
    }
    return NULL;
}

char *pcscf_idset_p_associated_uri(const pcscf_idset_t *s)
{
    GString *o = g_string_new(NULL);
    for (int pass = 0; pass < 2; pass++) {
        for (guint i = 0; s && i < s->ids->len; i++) {
            const pcscf_identity_t *id = s->ids->pdata[i];
            if (id->barred || id->wildcard != (pass == 1)) continue;
            /* A wildcard never comes first (SPECS.md §2.2). */
            if (pass == 1 && o->len == 0) break;
            g_string_append_printf(o, "%s<%s>", o->len ? ", " : "", id->uri);
        }
    }
    return g_string_free(o, o->len == 0);
}

/* ---- P-Asserted-Identity ---- */

static const char *first_allowed(const pcscf_idset_t *ids, char **uris)
{
    for (size_t i = 0; uris && uris[i]; i++) {
        const pcscf_identity_t *id = pcscf_idset_match(ids, uris[i]);
        if (id && !id->barred) return uris[i];
    }
    return NULL;
}

static void assert_ppi_or_default(const pcscf_origin_t *o, char **ppi, pcscf_pai_decision *out)
{
    /* TS 24.229 §5.2.6.3.3: a PPI within the registered set is asserted, else the default
     * public identity; the From header plays no role. */
    const char *pick = first_allowed(o->ids, ppi);
    out->why = pick ? "preferred identity within the set" : "default identity";
    if (!pick) pick = pcscf_idset_default(o->ids);
    if (pick) {
        out->action = PCSCF_PAI_ASSERT;
        out->asserted = g_strdup(pick);
    } else {
        out->action = PCSCF_PAI_STRIP;
        out->why = "no identity to assert";
    }
}

void pcscf_identity_decide(const pcscf_origin_t *o, char **ppi, char **pai, bool reject_foreign,
                           pcscf_pai_decision *out)
{
    memset(out, 0, sizeof *out);
    bool has_pai = pai && pai[0];
    switch (o->kind) {
    case PCSCF_ORIG_UNKNOWN:
        /* RFC 3325 §5: identity from outside the trust domain is not believed. */
        out->action = PCSCF_PAI_STRIP;
        out->why = "untrusted source";
        return;
    case PCSCF_ORIG_UE:
        assert_ppi_or_default(o, ppi, out);
        return;
    case PCSCF_ORIG_PEER:
        break;
    }
    if (!o->trusted || !has_pai) {
        if (o->ids) {
            assert_ppi_or_default(o, ppi, out);
        } else {
            out->action = PCSCF_PAI_STRIP;
            out->why = "untrusted peer without identities";
        }
        return;
    }
    /* A trusted peer asserts its users' identities itself; they must lie in its ranges unless it
     * is a privileged sender (a diverting PBX keeps the original caller's identity). */
    if (o->privileged) {
        out->action = PCSCF_PAI_KEEP;
        out->why = "privileged sender";
        return;
    }
    bool all_in = true;
    for (size_t i = 0; pai[i]; i++) {
        const pcscf_identity_t *id = pcscf_idset_match(o->ids, pai[i]);
        if (!id || id->barred) all_in = false;
    }
    if (all_in) {
        out->action = PCSCF_PAI_KEEP;
        out->why = "asserted identity within the peer's ranges";
        return;
    }
    if (reject_foreign) {
        out->action = PCSCF_PAI_REJECT;
        out->why = "asserted identity outside the peer's ranges";
        return;
    }
    const char *def = pcscf_idset_default(o->ids);
    if (def) {
        out->action = PCSCF_PAI_ASSERT;
        out->asserted = g_strdup(def);
        out->why = "asserted identity outside the peer's ranges: replaced by its default";
    } else {
        out->action = PCSCF_PAI_STRIP;
        out->why = "asserted identity outside the peer's ranges: removed";
    }
}

void pcscf_pai_decision_clear(pcscf_pai_decision *d)
{
    g_free(d->asserted);
    d->asserted = NULL;
}

/* ---- P-Charging-Vector ---- */

bool pcscf_pcv_keep_received(const pcscf_origin_t *o)
{
    return o->kind == PCSCF_ORIG_PEER && o->trusted;
}

bool pcscf_pcv_send_to(bool destination_trusted)
{
    return destination_trusted;
}

char *pcscf_pcv_format(const char *icid, const char *generated_at, const char *orig_ioi)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "icid-value=\"%s\"", icid);
    if (generated_at) g_string_append_printf(s, ";icid-generated-at=%s", generated_at);
    if (orig_ioi) g_string_append_printf(s, ";orig-ioi=%s", orig_ioi);
    return g_string_free(s, FALSE);
}

char *pcscf_icid_new(const unsigned char random16[16])
{
    char *s = g_malloc(33);
    for (int i = 0; i < 16; i++)
        g_snprintf(s + 2 * i, 3, "%02x", random16[i]);
    return s;
}
