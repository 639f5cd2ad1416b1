/* config_parse.h — internals of the config module (config.c, config_keys.c, config_check.c,
 * config_write.c): the parse context, section kinds and the key tables. */
#ifndef MH_CONFIG_PARSE_H
#define MH_CONFIG_PARSE_H

#include "config_int.h"

#define MH_CFG_MAXSEC (MH_MAX_LEVELS + 8)  /* levels plus the fixed sections, with slack */
#define MH_CFG_MAXKEYS 20                  /* keys of the largest section kind */
#define MH_CFG_VALMAX 80                   /* longest value kept for messages */

/* What a section describes; decided by its name. */
enum mh_cfg_kind { MH_SEC_HIER, MH_SEC_LEVEL, MH_SEC_TLB1, MH_SEC_TLB2, MH_SEC_RAM, MH_SEC_DISK, MH_SEC_TLBI,
                   MH_SEC_TLBI2 };

/* How a key's value is parsed and where it is stored. */
enum mh_cfg_type {
    MH_T_SIZE,    /* uint64 bytes >= 1, K/M/G suffixes */
    MH_T_SIZE0,   /* uint64 bytes >= 0 (0 = unlimited) */
    MH_T_PAGE,    /* uint64 power of two in [4K, 1G] */
    MH_T_POW2,    /* uint32 power of two >= 1 */
    MH_T_POW2SZ,  /* uint64 power of two >= 1, K/M/G suffixes */
    MH_T_COUNT,   /* uint32 >= 1 */
    MH_T_WAYS,    /* uint32 >= 1 or "full" */
    MH_T_U64,     /* uint64, any */
    MH_T_DBL0,    /* double >= 0 */
    MH_T_DBLPOS,  /* double > 0 */
    MH_T_FRAC,    /* double in [0, 1) */
    MH_T_ENUM,    /* int index into names */
    MH_T_REF,     /* a level name, resolved after parsing */
    MH_T_NAME     /* the hierarchy name string */
};

/* One key of a section kind. */
typedef struct mh_cfg_key {
    const char *name;           /* as written in the INI file */
    int type;                   /* enum mh_cfg_type */
    size_t off;                 /* offset of the field in the section's struct */
    const char *const *names;   /* MH_T_ENUM: NULL-terminated value names, index = value */
    const char *help;           /* what is allowed, for messages and the README */
} mh_cfg_key;

/* One section as seen in the text. */
typedef struct mh_cfg_sec {
    char name[MH_NAME_MAX];               /* as written */
    int kind;                             /* enum mh_cfg_kind */
    int index;                            /* level index, or TLB index */
    int line;                             /* header line; 0 when added by mh_config_set */
    int keyline[MH_CFG_MAXKEYS];          /* line of each key given (table order); 0 = not given */
    int given[MH_CFG_MAXKEYS];            /* 1 when the key was given */
    char keyval[MH_CFG_MAXKEYS][MH_CFG_VALMAX]; /* the value as written, for messages and refs */
} mh_cfg_sec;

#define MH_CFG_MAXSET 64                   /* overrides in one mh_config_set_many call */

/* One override of mh_config_set_many: section.key = value. */
typedef struct mh_cfg_set {
    char sec[MH_NAME_MAX + 8];  /* target section */
    char key[64];               /* target key */
    char val[MH_CFG_VALMAX + 8];/* new value, trimmed */
    const char *val_p;          /* val without leading blanks */
    char arg[320];              /* "L1d.ways=0" as the user wrote it, for messages */
    int done;                   /* applied (of a repeated key, the last override is applied) */
} mh_cfg_set;

/* State of one parse (a file, a string, or a config rewritten by mh_config_set_many). */
typedef struct mh_cfg_ctx {
    mh_config *c;               /* being filled */
    const char *src;            /* file or parse name, for messages */
    mh_cfg_set *set;            /* overrides (mh_config_set_many), else NULL */
    size_t nset;                /* number of overrides */
    const char *set_arg;        /* the overrides as the user wrote them, for messages; NULL for files */
    mh_cfg_sec sec[MH_CFG_MAXSEC];
    size_t nsec;
    int cur;                    /* current section index, -1 before the first header */
    int lineno;                 /* line last handed to inih */
    int lines;                  /* lines read so far (end-of-file line for messages) */
    const char *text;           /* input text */
    size_t pos, len;            /* reader position */
    mh_error *err;
    int failed;                 /* an error was recorded (the first one wins) */
} mh_cfg_ctx;

/* Returns the key table of a section kind and its length. */
const mh_cfg_key *mh_cfg_keys(int kind, size_t *n);
/* Returns the index of key in the table of kind, or -1 (case-insensitive). */
int mh_cfg_key_find(int kind, const char *key);
/* Returns the struct a section's keys are stored in. */
void *mh_cfg_base(mh_config *c, const mh_cfg_sec *s);
/* Fills the defaults of a freshly created section (and the whole config for MH_SEC_HIER). */
void mh_cfg_defaults(mh_config *c, const mh_cfg_sec *s);
/* Parses value for key k of section s into the config; MH_OK or MH_ECONFIG (error recorded). */
int mh_cfg_apply(mh_cfg_ctx *x, mh_cfg_sec *s, int k, const char *value, int line);
/* Formats the stored value of key k of section s; returns 0, or -1 when it is omitted. */
int mh_cfg_format(const mh_config *c, const mh_cfg_sec *s, int k, char *buf, size_t n);
/* Cross-field checks, reference resolution and derived defaults; MH_OK or MH_ECONFIG. */
int mh_cfg_check(mh_cfg_ctx *x);
/* Records the first error: "src:line: [sec] key = value, what" (key NULL: "[sec] what"). */
int mh_cfg_fail(mh_cfg_ctx *x, int line, const mh_cfg_sec *s, int k, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Returns the section named name (case-insensitive), or NULL. */
mh_cfg_sec *mh_cfg_sec_find(mh_cfg_ctx *x, const char *name);
/* Returns the kind a section name denotes, or -1 when the name is not allowed. */
int mh_cfg_sec_kind(const char *name);
/* Returns the mh_config tlb[] slot of a TLB section kind (MH_TLB_*), or -1 for another kind. */
int mh_cfg_tlb_slot(int kind);

#endif
