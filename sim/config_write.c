/* config_write.c — writes a config back as INI text that mh_config_parse reads into an equal
 * config (every value explicit, levels in index order). */
#include <stdio.h>

#include "config_parse.h"

/* Writes one section: its header and every key the table lists (omitted refs skipped). */
static void write_section(const mh_config *c, const mh_cfg_sec *s, FILE *f)
{
    size_t n;
    const mh_cfg_key *t = mh_cfg_keys(s->kind, &n);
    char buf[128];
    fprintf(f, "\n[%s]\n", s->name);
    for (size_t k = 0; k < n; k++)
        if (mh_cfg_format(c, s, (int)k, buf, sizeof buf) == 0)
            fprintf(f, "%s = %s\n", t[k].name, buf);
}

/* Writes the config as INI text that mh_config_parse accepts; returns MH_OK or MH_EIO. */
int mh_config_write_ini(const mh_config *c, FILE *f)
{
    static const struct { int kind; const char *name; } fixed[] = {
        {MH_SEC_TLB1, "tlb.L1d"}, {MH_SEC_TLB2, "tlb.L2"}, {MH_SEC_TLBI, "tlb.L1i"},
        {MH_SEC_TLBI2, "tlb.L2i"}, {MH_SEC_RAM, "RAM"}, {MH_SEC_DISK, "disk"},
    };
    mh_cfg_sec s = {.kind = MH_SEC_HIER};
    char src[sizeof c->source];
    snprintf(src, sizeof src, "%s", c->source);
    for (char *p = src; *p; p++)   /* keep the comment on one line whatever the path holds */
        if ((unsigned char)*p < 0x20)
            *p = '?';
    fprintf(f, "; memhier configuration %s (from %s)\n", c->name, src);
    snprintf(s.name, sizeof s.name, "hierarchy");
    write_section(c, &s, f);
    s.kind = MH_SEC_LEVEL;
    for (size_t i = 0; i < c->nlevels; i++) {
        s.index = (int)i;
        snprintf(s.name, sizeof s.name, "%s", c->level[i].name);
        write_section(c, &s, f);
    }
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        int slot = mh_cfg_tlb_slot(fixed[i].kind);
        if (slot >= 0 && !c->tlb[slot].present)
            continue;
        s.kind = fixed[i].kind;
        snprintf(s.name, sizeof s.name, "%s", fixed[i].name);
        write_section(c, &s, f);
    }
    fflush(f);
    return ferror(f) ? MH_EIO : MH_OK;
}
