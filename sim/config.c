/* config.c — the configuration API: reads INI text with inih (line by line through our own
 * reader, which tracks line numbers and section headers), then checks it (config_check.c). */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_parse.h"

#define MH_CFG_FILE_MAX (1 << 20)   /* a config is small; refuse anything larger */
#define MH_CFG_LINE_MAX 197         /* longest line after cutting comments (inih's default 200 - 3) */

/* Returns the override of key in section sec that applies (the last one given), or NULL. */
static const mh_cfg_set *override_of(const mh_cfg_ctx *x, const char *sec, const char *key)
{
    for (size_t i = x->nset; sec && key && i-- > 0;)
        if (!strcasecmp(sec, x->set[i].sec) && !strcasecmp(key, x->set[i].key))
            return &x->set[i];
    return NULL;
}

/* Marks override o, and the earlier overrides of the same key it replaces, as applied. */
static void mark_done(mh_cfg_ctx *x, const mh_cfg_set *o)
{
    for (size_t i = 0; i < x->nset; i++)
        if (!strcasecmp(x->set[i].sec, o->sec) && !strcasecmp(x->set[i].key, o->key))
            x->set[i].done = 1;
}

/* Records the first error: "src:line: [sec] key = value, what" or, for mh_config_set_many,
 * "--set L1d.ways=0: what" (naming [sec] key = value, and every override, when a key that no
 * override set is at fault). */
int mh_cfg_fail(mh_cfg_ctx *x, int line, const mh_cfg_sec *s, int k, const char *fmt, ...)
{
    char what[320], where[400] = "";
    size_t n;
    va_list ap;
    if (x->failed)
        return MH_ECONFIG;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *key = (s && k >= 0) ? mh_cfg_keys(s->kind, &n)[k].name : NULL;
    const mh_cfg_set *target = override_of(x, s ? s->name : NULL, key);
    if (s && key && !target && !s->keyval[k][0])
        snprintf(where, sizeof where, "[%s] %s is empty, ", s->name, key);
    else if (s && key && !target)
        snprintf(where, sizeof where, "[%s] %s = %s, ", s->name, key, s->keyval[k]);
    else if (s && !target)
        snprintf(where, sizeof where, "[%s] ", s->name);
    x->failed = 1;
    if (x->set_arg)
        return mh_error_set(x->err, MH_ECONFIG, "--set %s: %s%s", target ? target->arg : x->set_arg, where, what);
    return mh_error_set(x->err, MH_ECONFIG, "%s:%d: %s%s", x->src, line, where, what);
}

/* Returns the section named name (case-insensitive), or NULL. */
mh_cfg_sec *mh_cfg_sec_find(mh_cfg_ctx *x, const char *name)
{
    for (size_t i = 0; i < x->nsec; i++)
        if (!strcasecmp(x->sec[i].name, name))
            return &x->sec[i];
    return NULL;
}

/* Opens a new section at line; records an error for a bad or repeated name. */
static int section_open(mh_cfg_ctx *x, const char *name, int line)
{
    int kind = mh_cfg_sec_kind(name);
    mh_cfg_sec *s = mh_cfg_sec_find(x, name);
    if (s)
        return mh_cfg_fail(x, line, NULL, -1, "[%s] duplicate section (first on line %d)", name, s->line);
    if (kind < 0)
        return mh_cfg_fail(x, line, NULL, -1,
                           "[%s] unknown section; allowed: hierarchy, tlb.L1d, tlb.L2, tlb.L1i, tlb.L2i, RAM, "
                           "disk, or a cache level name (a letter, then letters, digits, _ or -; "
                           "at most %d characters)", name, MH_NAME_MAX - 1);
    if (kind == MH_SEC_LEVEL && x->c->nlevels == MH_MAX_LEVELS)
        return mh_cfg_fail(x, line, NULL, -1, "[%s] too many cache levels (at most %d)", name,
                           MH_MAX_LEVELS);
    s = &x->sec[x->nsec];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->kind = kind;
    s->line = line;
    s->index = kind == MH_SEC_LEVEL ? (int)x->c->nlevels++ : 0;
    mh_cfg_defaults(x->c, s);
    x->cur = (int)x->nsec++;
    return MH_OK;
}

/* Handles "[name]" (comments already cut); records an error when malformed. */
static int header_line(mh_cfg_ctx *x, char *line)
{
    char *end = strchr(line, ']');
    char *name = line + 1;
    if (!end || end[1])
        return mh_cfg_fail(x, x->lineno, NULL, -1, "'%s', a section header must be [name]", line);
    *end = '\0';
    while (*name == ' ' || *name == '\t')
        name++;
    for (char *p = end; p > name && (p[-1] == ' ' || p[-1] == '\t');)
        *--p = '\0';
    return section_open(x, name, x->lineno);
}

/* Cuts a comment: a line starting with ; or #, or ; or # after a space or tab. */
static void cut_comment(char *p)
{
    if (*p == ';' || *p == '#' || !*p) {   /* !*p: an empty line has nothing after it to scan */
        *p = '\0';
        return;
    }
    for (char *q = p + 1; *q; q++)
        if ((*q == ';' || *q == '#') && (q[-1] == ' ' || q[-1] == '\t')) {
            *q = '\0';
            return;
        }
}

/* Strips leading and trailing blanks in place; returns the start. */
static char *trim(char *p)
{
    size_t n;
    while (*p == ' ' || *p == '\t' || *p == '\r')
        p++;
    n = strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
        p[--n] = '\0';
    return p;
}

/* inih reader: hands inih one cleaned line at a time (no indentation, so inih never sees a
 * continuation line; no comments; headers consumed here), counting lines for messages. */
static char *reader(char *str, int num, void *stream)
{
    mh_cfg_ctx *x = stream;
    char buf[1024], *line;
    int max = num - 3 < MH_CFG_LINE_MAX ? num - 3 : MH_CFG_LINE_MAX;   /* inih needs 3 spare */
    size_t n;
    const char *nl;
    if (x->failed || x->pos >= x->len)
        return NULL;
    nl = memchr(x->text + x->pos, '\n', x->len - x->pos);
    n = nl ? (size_t)(nl - (x->text + x->pos)) : x->len - x->pos;
    x->lineno = ++x->lines;
    if (memchr(x->text + x->pos, '\0', n)) {
        mh_cfg_fail(x, x->lineno, NULL, -1, "NUL byte, not a text file");
        return NULL;
    }
    if (n >= sizeof buf) {
        mh_cfg_fail(x, x->lineno, NULL, -1, "line too long (at most %d characters)", max);
        return NULL;
    }
    memcpy(buf, x->text + x->pos, n);
    buf[n] = '\0';
    x->pos += n + (nl != NULL);
    line = trim(buf);
    if (x->lines == 1 && !strncmp(line, "\xEF\xBB\xBF", 3))
        line = trim(line + 3);
    cut_comment(line);
    line = trim(line);
    if (*line == '[') {
        header_line(x, line);
        line = "";
    } else if (*line && !strchr(line, '=')) {
        mh_cfg_fail(x, x->lineno, NULL, -1, "'%s', expected key = value or [section]", line);
        return NULL;
    }
    if (strlen(line) > (size_t)max) {
        mh_cfg_fail(x, x->lineno, NULL, -1, "line too long (at most %d characters)", max);
        return NULL;
    }
    snprintf(str, (size_t)num, "%s\n", line);
    return x->failed ? NULL : str;
}

/* Reports a key the section kind does not have, listing the allowed ones. */
static int unknown_key(mh_cfg_ctx *x, const mh_cfg_sec *s, const char *name, const char *value, int line)
{
    char allowed[320] = "";
    size_t n;
    const mh_cfg_key *t = mh_cfg_keys(s->kind, &n);
    for (size_t i = 0; i < n; i++)
        snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), "%s%s", i ? ", " : "",
                 t[i].name);
    if (x->set_arg)
        return mh_cfg_fail(x, line, NULL, -1, "unknown key in [%s]; allowed: %s", s->name, allowed);
    return mh_cfg_fail(x, line, NULL, -1, "[%s] %s = %s, unknown key; allowed: %s", s->name, name,
                       value, allowed);
}

/* inih handler: one key = value of the current section. */
static int handler(void *user, const char *section, const char *name, const char *value)
{
    mh_cfg_ctx *x = user;
    mh_cfg_sec *s;
    int k;
    (void)section;   /* the reader tracks sections itself, with their line numbers */
    if (x->failed)
        return 0;
    if (x->cur < 0)
        return !mh_cfg_fail(x, x->lineno, NULL, -1, "%s = %s, key outside any section", name, value);
    s = &x->sec[x->cur];
    if ((k = mh_cfg_key_find(s->kind, name)) < 0)
        return !unknown_key(x, s, name, value, x->lineno);
    if (s->given[k])
        return !mh_cfg_fail(x, x->lineno, NULL, -1, "[%s] %s = %s, duplicate key (first on line %d)",
                            s->name, name, value, s->keyline[k]);
    const mh_cfg_set *o = override_of(x, s->name, name);
    if (o) {
        mark_done(x, o);
        value = o->val_p;
    }
    return mh_cfg_apply(x, s, k, value, x->lineno) == MH_OK;
}

/* Applies override o, whose key the rewritten text did not contain. */
static int set_missing_one(mh_cfg_ctx *x, const mh_cfg_set *o)
{
    mh_cfg_sec *s = mh_cfg_sec_find(x, o->sec);
    int kind = mh_cfg_sec_kind(o->sec), k;
    if (!s && mh_cfg_tlb_slot(kind) >= 0) {
        if (section_open(x, o->sec, 0) != MH_OK)
            return MH_ECONFIG;
        s = &x->sec[x->cur];
    }
    if (!s) {
        char have[400] = "";
        for (size_t i = 0; i < x->nsec; i++)
            snprintf(have + strlen(have), sizeof have - strlen(have), "%s%s", i ? ", " : "",
                     x->sec[i].name);
        for (int t = 0; t < MH_TLBS; t++)
            if (!mh_cfg_sec_find(x, mh_cfg_tlb_names[t]))
                snprintf(have + strlen(have), sizeof have - strlen(have), ", %s", mh_cfg_tlb_names[t]);
        x->set_arg = o->arg;   /* the message names this override alone */
        return mh_cfg_fail(x, 0, NULL, -1, "no section [%s]; sections: %s", o->sec, have);
    }
    if ((k = mh_cfg_key_find(s->kind, o->key)) < 0) {
        x->set_arg = o->arg;
        return unknown_key(x, s, o->key, o->val_p, 0);
    }
    return mh_cfg_apply(x, s, k, o->val_p, 0);
}

/* Applies, in order, the overrides whose keys the rewritten text did not contain (of a key
 * given several times, the last). */
static int set_missing(mh_cfg_ctx *x)
{
    for (size_t i = 0; i < x->nset; i++) {
        const mh_cfg_set *o = &x->set[i];
        if (o->done)
            continue;
        mark_done(x, o);
        if (set_missing_one(x, override_of(x, o->sec, o->key)) != MH_OK)
            return MH_ECONFIG;
    }
    return MH_OK;
}

/* Sets the default hierarchy name: the source's base name without its extension. */
static void default_name(mh_config *c, const char *src)
{
    const char *b = strrchr(src, '/');
    b = b ? b + 1 : src;
    size_t n = strcspn(b, ".");
    snprintf(c->name, sizeof c->name, "%.*s", (int)(n ? n : strlen(b)), b);
    for (char *p = c->name; *p; p++)
        if ((unsigned char)*p < 0x20 || strchr(";#[]=", *p))
            *p = '_';
}

/* Fills the config-wide defaults that hold before any key is read. */
static void config_defaults(mh_config *c, const char *src)
{
    snprintf(c->source, sizeof c->source, "%s", src);
    default_name(c, src);
    c->ifetch = c->data = -1;
    c->frequency_ghz = 3.0;
    c->base_cpi = 0.5;
    c->walk = MH_WALK_FIXED;
    c->walk_latency = 30;
    c->ram = (mh_ram_cfg){.latency_ns = 80, .row_hit_ns = -1, .bandwidth_gbs = 25, .row_size = 8192,
                          .banks = 16, .capacity = 0, .page_size = 4096,
                          .page_policy = MH_PAGE_LRU, .minor_fault_ns = 500};
    c->disk = (mh_disk_cfg){.latency_us = 100, .bandwidth_mbs = 2000};
}

/* Parses len bytes of text into a new config (x->set_* already filled for mh_config_set). */
static int parse_text(mh_cfg_ctx *x, const char *text, size_t len, mh_config **out)
{
    int rc;
    x->c = calloc(1, sizeof *x->c);
    if (!x->c)
        return mh_error_set(x->err, MH_ENOMEM, "%s: out of memory", x->src);
    config_defaults(x->c, x->src);
    x->text = text;
    x->len = len;
    x->cur = -1;
    rc = ini_parse_stream(reader, x, handler, x);
    if (!x->failed && rc > 0)
        mh_cfg_fail(x, rc, NULL, -1, "syntax error, expected key = value or [section]");
    if (!x->failed && x->nset)
        set_missing(x);
    if (!x->failed)
        mh_cfg_check(x);
    if (x->failed) {
        free(x->c);
        return x->err ? x->err->code : MH_ECONFIG;
    }
    *out = x->c;
    return MH_OK;
}

/* Parses len bytes of text named src into *out (a fresh context per call). */
static int parse_buf(const char *text, size_t len, const char *src, mh_config **out, mh_error *err)
{
    mh_cfg_ctx *x = calloc(1, sizeof *x);
    mh_error local;
    int rc;
    if (!x)
        return mh_error_set(err, MH_ENOMEM, "%s: out of memory", src);
    x->src = src;
    x->err = err ? err : &local;
    rc = parse_text(x, text, len, out);
    free(x);
    return rc;
}

/* Parses INI text; name is used in messages in place of a file name. */
int mh_config_parse(const char *text, const char *name, mh_config **out, mh_error *err)
{
    if (!text || !out)
        return mh_error_set(err, MH_EINVAL, "mh_config_parse: NULL argument");
    return parse_buf(text, strlen(text), name ? name : "<config>", out, err);
}

/* Reads a whole (small) file into a NUL-terminated buffer; *len excludes the NUL. */
static int slurp(const char *path, char **out, size_t *len, mh_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;
    if (!f)
        return mh_error_set(err, errno == ENOENT ? MH_ENOTFOUND : MH_EIO, "%s: %s", path,
                            strerror(errno));
    buf = malloc(MH_CFG_FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        return mh_error_set(err, MH_ENOMEM, "%s: out of memory", path);
    }
    n = fread(buf, 1, MH_CFG_FILE_MAX + 1, f);
    if (ferror(f) || n > MH_CFG_FILE_MAX) {
        int e = errno;
        int big = !ferror(f);
        fclose(f);
        free(buf);
        if (big)
            return mh_error_set(err, MH_ECONFIG, "%s: larger than 1 MiB, not a config", path);
        return mh_error_set(err, MH_EIO, "%s: %s", path, strerror(e));
    }
    fclose(f);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return MH_OK;
}

/* Parses an INI file; on success *out owns a validated config. */
int mh_config_load(const char *path, mh_config **out, mh_error *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc;
    if (!path || !out)
        return mh_error_set(err, MH_EINVAL, "mh_config_load: NULL argument");
    if ((rc = slurp(path, &text, &len, err)) != MH_OK)
        return rc;
    rc = parse_buf(text, len, path, out, err);
    free(text);
    return rc;
}

/* Rewrites c as INI text into a malloc'ed buffer. */
static int to_text(const mh_config *c, char **text, size_t *len)
{
    FILE *f = open_memstream(text, len);
    int rc;
    if (!f)
        return MH_ENOMEM;
    rc = mh_config_write_ini(c, f);
    if (fclose(f) != 0 && rc == MH_OK)
        rc = MH_ENOMEM;
    if (rc != MH_OK)
        free(*text);
    return rc;
}

/* Fills override o from "section.key" and value; MH_EINVAL (with the expected form) when key has
 * no section part or a part is too long. */
static int override_init(mh_cfg_set *o, const char *key, const char *value, mh_error *err)
{
    const char *dot = strrchr(key, '.');
    snprintf(o->arg, sizeof o->arg, "%s=%s", key, value);
    if (!dot || dot == key || !dot[1] || (size_t)(dot - key) >= sizeof o->sec ||
        strlen(dot + 1) >= sizeof o->key)
        return mh_error_set(err, MH_EINVAL, "--set %s: expected SECTION.KEY=VALUE, e.g. L1d.size=64K",
                            o->arg);
    snprintf(o->sec, sizeof o->sec, "%.*s", (int)(dot - key), key);
    snprintf(o->key, sizeof o->key, "%s", dot + 1);
    snprintf(o->val, sizeof o->val, "%s", value);
    o->val_p = trim(o->val);
    o->done = 0;
    return MH_OK;
}

/* Sets several "section.key" values at once (later ones win for a repeated key) and revalidates
 * once, so keys that must change together (size and ways) can; on failure c is unchanged.
 * Works by rewriting c as INI text and parsing it again with the values replaced. */
int mh_config_set_many(mh_config *c, const char *const *keys, const char *const *values, size_t n,
                       mh_error *err)
{
    mh_cfg_ctx *x = NULL;
    mh_cfg_set *set = NULL;
    mh_config *nc = NULL;
    char *text = NULL, *args = NULL;
    mh_error local;
    size_t len, cap = 1;
    int rc = MH_OK;
    if (!c || (n && (!keys || !values)))
        return mh_error_set(err, MH_EINVAL, "mh_config_set_many: NULL argument");
    for (size_t i = 0; i < n; i++)
        if (!keys[i] || !values[i])
            return mh_error_set(err, MH_EINVAL, "mh_config_set_many: NULL key or value %zu", i);
    if (n > MH_CFG_MAXSET)
        return mh_error_set(err, MH_EINVAL, "--set given %zu times, at most %d", n, MH_CFG_MAXSET);
    if (!(set = calloc(n ? n : 1, sizeof *set)) || !(args = malloc(cap = n * (sizeof set->arg + 8) + 1)) ||
        !(x = calloc(1, sizeof *x))) {
        rc = mh_error_set(err, MH_ENOMEM, "--set: out of memory");
        goto out;
    }
    args[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if ((rc = override_init(&set[i], keys[i], values[i], err)) != MH_OK)
            goto out;
        snprintf(args + strlen(args), cap - strlen(args), "%s%s", i ? " --set " : "", set[i].arg);
    }
    if ((rc = to_text(c, &text, &len)) != MH_OK) {
        rc = mh_error_set(err, rc, "--set %s: out of memory", args);
        goto out;
    }
    x->src = c->source;
    x->err = err ? err : &local;
    x->set = set;
    x->nset = n;
    x->set_arg = n ? args : NULL;
    rc = parse_text(x, text, len, &nc);
    if (rc == MH_OK) {
        memcpy(c, nc, sizeof *c);
        free(nc);
    }
out:
    free(text);
    free(x);
    free(set);
    free(args);
    return rc;
}

/* Sets "section.key" (e.g. "L1d.size") to value and revalidates; on failure c is unchanged. */
int mh_config_set(mh_config *c, const char *key, const char *value, mh_error *err)
{
    if (!c || !key || !value)
        return mh_error_set(err, MH_EINVAL, "mh_config_set: NULL argument");
    return mh_config_set_many(c, &key, &value, 1, err);
}

/* Returns the index of the level called name (exact match) in c, or -1. */
int mh_config_level_index(const mh_config *c, const char *name)
{
    for (size_t i = 0; i < c->nlevels; i++)
        if (!strcmp(c->level[i].name, name))
            return (int)i;
    return -1;
}

/* Returns a deep copy (the struct is flat), or NULL when out of memory. */
mh_config *mh_config_clone(const mh_config *c)
{
    mh_config *n = c ? malloc(sizeof *n) : NULL;
    if (n)
        memcpy(n, c, sizeof *n);
    return n;
}

/* Returns the hierarchy name ([hierarchy] name, else the file's base name). */
const char *mh_config_name(const mh_config *c)
{
    return c->name;
}

/* Returns the path or name the config came from. */
const char *mh_config_source(const mh_config *c)
{
    return c->source;
}

/* Frees c; NULL is a no-op. */
void mh_config_free(mh_config *c)
{
    free(c);
}
