/* trace_int.h — trace readers and writers, shared inside the library only.
 * trace.c owns the registry, detection, the buffered input and the mh_trace_* API;
 * writer.c owns the buffered output and mh_writer_*; one file per format does the rest. */
#ifndef MH_TRACE_INT_H
#define MH_TRACE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "memhier.h"

#define MH_IN_BUF (1u << 20)   /* input buffer: also the longest text line accepted */
#define MH_OUT_BUF (1u << 20)  /* output buffer */
#define MH_NAME_LEN 4096       /* display name / path length */

/* Buffered input over a file descriptor; text readers parse straight out of buf. */
typedef struct mh_in {
    int fd;                    /* source; 0 for stdin */
    int own_fd;                /* 1: close fd on close */
    char *buf;                 /* MH_IN_BUF + 1 bytes (room for a final '\n') */
    size_t pos;                /* next unread byte */
    size_t len;                /* bytes valid in buf */
    size_t lend;               /* one past the last complete line in buf (text readers) */
    int eof;                   /* read() returned 0 */
    const char *name;          /* display name for messages ("<stdin>" for "-") */
} mh_in;

/* Fills the buffer until it holds at least want unread bytes or input ends. */
int mh_in_peek(mh_in *in, size_t want, mh_error *err);
/* Copies up to n bytes into dst; *got < n only at end of input. */
int mh_in_read(mh_in *in, void *dst, size_t n, size_t *got, mh_error *err);
/* Makes [pos, lend) a run of whole lines each ending in '\n' (a final unterminated line
 * gets one); pos == lend afterwards means end of input. line is for the too-long message. */
int mh_in_lines(mh_in *in, uint64_t line, mh_error *err);

/* One trace reader: a registry entry. */
typedef struct mh_reader_fmt {
    const char *name;          /* "din", "xdin", "lackey", "mht" */
    const char *help;          /* one line for --help */
    int timing;                /* records carry dependency flags and gaps */
    int (*open)(mh_trace *t, mh_error *err);   /* reads any header; sets t->priv */
    int (*read)(mh_trace *t, mh_rec *buf, size_t cap, size_t *n, mh_error *err);
    void (*close)(mh_trace *t);                /* frees t->priv */
} mh_reader_fmt;

/* An open trace. */
struct mh_trace {
    const mh_reader_fmt *fmt;  /* format in use */
    mh_in in;                  /* buffered input */
    mh_meta meta;              /* metadata (mht header) */
    void *priv;                /* reader state */
    int status;                /* sticky error: once a read fails, every later read fails */
    mh_error saved;            /* the message of that error */
    char name[MH_NAME_LEN];    /* display name */
};

extern const mh_reader_fmt mh_reader_din;
extern const mh_reader_fmt mh_reader_xdin;
extern const mh_reader_fmt mh_reader_lackey;
extern const mh_reader_fmt mh_reader_mht;

/* Buffered output to a temporary file renamed on commit (or stdout). */
typedef struct mh_out {
    int fd;                    /* destination */
    int is_stdout;             /* "-": no temporary file, no rename */
    int in_place;              /* an existing special file (/dev/null, a FIFO): no temporary, no rename */
    char *buf;                 /* MH_OUT_BUF bytes */
    size_t len;                /* bytes pending in buf */
    char path[MH_NAME_LEN];    /* final name */
    char tmp[MH_NAME_LEN + 32];/* temporary name */
} mh_out;

/* Appends n bytes (buffered). */
int mh_out_write(mh_out *o, const void *p, size_t n, mh_error *err);
/* Writes out the buffer. */
int mh_out_flush(mh_out *o, mh_error *err);

/* One trace writer: a registry entry. */
typedef struct mh_writer_fmt {
    const char *name;          /* "mht", "din" */
    const char *help;          /* one line for --help */
    int (*open)(mh_writer *w, const mh_meta *meta, mh_error *err);  /* header; sets w->priv */
    int (*write)(mh_writer *w, const mh_rec *recs, size_t n, mh_error *err);
    int (*finish)(mh_writer *w, mh_error *err);  /* trailer, before the final flush */
    void (*free)(mh_writer *w);                  /* frees w->priv */
    int (*set)(mh_writer *w, const char *key, const char *value, mh_error *err); /* an option
                                                 * (before the first record); NULL: none */
} mh_writer_fmt;

/* An open writer. */
struct mh_writer {
    const mh_writer_fmt *fmt;  /* format in use */
    mh_out out;                /* buffered output */
    void *priv;                /* writer state */
    uint64_t records;          /* records accepted so far (for messages) */
    int status;                /* sticky error */
    mh_error saved;            /* its message */
};

extern const mh_writer_fmt mh_writer_fmt_din;
extern const mh_writer_fmt mh_writer_fmt_mht;

/* The first 8 bytes of every .mht file. */
extern const uint8_t mh_mht_magic[8];

/* Value+1 of a hex digit, 0 when c is not one: lets parsers test and convert at once. */
extern const uint8_t mh_hexval[256];

/* Parses a hex number (optional 0x/0X) of len chars: 0 ok, -1 not hex, -2 over 64 bits. */
int mh_parse_hex(const char *s, size_t len, uint64_t *out);
/* Returns the next whitespace-separated field of a '\n'-terminated line (NULL at the end). */
const char *mh_field(const char **p, size_t *len);
/* Copies a field into dst quoted for messages: at most 40 chars, non-printables as '?'. */
const char *mh_quote(char *dst, size_t dstlen, const char *s, size_t len);

/* A reader's close for state that is one malloc'd block: frees t->priv. */
void mh_trace_free_priv(mh_trace *t);

#endif /* MH_TRACE_INT_H */
