/* trace_mht.c — the native .mht trace: reader and writer.
 *
 * Layout (all integers little-endian):
 *   header : magic 89 'M' 'H' 'T' 0d 0a 1a 0a | u16 version (3; 1 and 2 are read too) | u16 0
 *            | u32 records per block | u32 metadata count | count x (u8 klen, key, u8 vlen, value)
 *            | u32 CRC32C of the above
 *   block  : "MHB1" | u32 records | u32 compressed bytes | u32 raw bytes | u32 CRC32C(compressed)
 *            | u32 CRC32C(raw) | u32 CRC32C(these 24 bytes) | the next chunk of the zstd stream
 * All blocks' payloads form one zstd stream, flushed at every block end: a block decodes from
 * its own bytes plus the decoder state of the blocks before it (window up to 2 MiB), so repeats
 * such as a pointer chase's cycle compress across blocks. Blocks are read in order.
 *   end    : "MHE1" | u32 blocks | u64 records | u32 0 | u32 CRC32C(these 20 bytes), then EOF
 * Raw columns of a block of n records (struct-of-arrays, so zstd sees uniform runs):
 *   u32 address-column bytes | u32 gap-column bytes | u32 size-column bytes | u8 shift | 3 x 0
 *   | n x u8 ctrl: bits 0-2 address bytes - 1, bits 3-4 gap bytes code (0,1,2,4), bit 5 size
 *     bytes - 1, bit 6 insert (version 3+; 0 before), bit 7 lap record (lap blocks; else 0)
 *   | n x u8 op | k << 3 (k: slot number, 0-7 before version 3, 0-31 from version 3)
 *   | n x u8 flags
 *   | n x u8 top byte of each address (versions 2 and 3)
 *   | addresses: z = zigzag((address - slot[j]) >> shift) in ctrl bytes (see the slots below).
 *     Versions 2 and 3 store the top one of those bytes in the top-byte column and the others
 *     here, little-endian; version 1 stores all of them here. Split off, the top bytes (few values
 *     for a random walk in a region) get their own entropy code instead of one shared with the
 *     near-uniform low bytes: random-access traces shrink by 3-10%, chases of prefetched
 *     objects by up to 25%.
 *   | gaps | sizes (little-endian, ctrl bytes each)
 * Address slots: 32 slots, all 0 at a block start, and an insert pointer p, 0 at a block start.
 * A record with slot number k decodes against slot j = (k + p) mod 32: address = slot[j] +
 * (unzigzag(z) << shift). Without the insert bit the address replaces slot[j]; with it, it goes
 * to slot[p] and p = (p + 1) mod 32, a ring of the last 32 inserted addresses, numbered relative
 * to p so that periodic patterns give constant slot numbers. Before version 3 nothing is
 * inserted, so p stays 0 and k is the slot itself (versions 1 and 2 use slots 0-7 only).
 * shift is the block's common address alignment. An address field may be wider than its
 * value needs (the writer widens them, see pad_lengths). Fixed-width fields with a length byte
 * and a branch-free slot update decode without branches; a block without inserts decodes with
 * the loop of version 2.
 * The writer (a choice, not part of the format) encodes a block that holds a prefetch two ways
 * and keeps the ring policy's columns if a fast trial compression finds them 3% smaller than
 * the other's; other blocks get the other policy (see encode_best). Ring
 * policy: a record within one byte of a slot is coded against the nearest slot, in place,
 * except a prefetch, which is inserted because its line comes back D nodes later; any other
 * record is inserted, coded against the latest insert unless the nearest slot saves two bytes.
 * So a prefetching walk finds each prefetched address at its load. Other policy: version 2's
 * (eight slots, the shortest delta, ties to the least recently used, always in place), best
 * for a few interleaved streams.
 * Lap blocks (version 4): column-header byte 13 is 1 (0 in every other block), and a lap header
 * follows the 16 bytes: u64 first line lo | u32 lines n (1..2^22) | u8 line shift ls (<= 63)
 * | u8 mode (0: every line of the region unvisited; 1: the lap state the last lap block left
 * goes on, which needs the same lo, n and ls) | 2 x 0 | u32 lap-column bytes | u32 0. A record
 * whose ctrl has bit 7 set (lap blocks only; then its length code, insert bit and slot number are
 * 0) is a fresh line x of the region, address = ((lo + x) << ls) + (v << shift), v its one-byte
 * address field (in the top-byte column). The lap column (sim/lapcode.c's range coder) gives x:
 * where the line that followed the previous lap record's line the last time it was visited is
 * unvisited (the prediction), an adaptive bit first (0: x is that line; probability of 0 starts
 * at 1024/2048 and moves 1/32 of the way after each bit, as LZMA's); otherwise, or on a 1, the
 * place u of x among the unvisited lines, uniform in [0, lines left) (above 2^16: the high part
 * u >> k uniform in [0, ((left - 1) >> k) + 1), then the low k bits uniform in [0, 2^k), or in
 * [0, left - (high << k)) for the last high part; k = bit length of left - 1, minus 16). The
 * places: an array holds the region's lines, the unvisited ones first (in mode 0, place i holds
 * line i); visiting x moves the last unvisited line into x's place and x just past the unvisited.
 * x becomes visited and the previous line's successor; once none is left every line is unvisited
 * again in the array's order (the next lap), successors and the bit's probability kept (the last
 * line of the first lap has none); mode 0 clears them all. A lap record reads and writes no slot.
 * Any other record of a lap block whose line is in the region and unvisited visits it the same
 * way (after its address is decoded). The lap column follows the sizes and is consumed exactly by
 * the block's last lap record. One random lap over n lines costs log2(n!) bits, about
 * log2 n - 1.44 per line (deltas: about log2 n + 1); a lap that repeats the last one costs a
 * fraction of a bit per line.
 * The writer tries a lap block where a quarter of the records or more have eight-slot deltas of
 * 2 bytes or more, and keeps it where a trial compression finds it 3% smaller (see encode_best):
 * the region is the span holding most lines of records with wide deltas, and a fresh line is a
 * lap record when it is the predicted one or its delta would take 2 bytes or more.
 * Blocks are numbered from 1 in messages. */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "crc32c_int.h"
#include "lapcode_int.h"
#include "trace_int.h"

/* Fuzzing builds accept bad checksums so mutated inputs reach the decoder. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define CRC_BAD(a, b) ((void)(a), (void)(b), 0)
#else
/* Marked unlikely: unmarked, gcc rated the reading path after the four checksum calls cold and
 * left its loops (set_columns' sums) scalar. */
#define CRC_BAD(a, b) __builtin_expect((a) != (b), 0)
#endif

#define MHT_VERSION 4                  /* written; versions 1 to 3 are read too */
#define MHT_BLOCK_RECS 65536u          /* records per block written */
#define MHT_MAX_BLOCK_RECS (1u << 20)  /* records per block accepted */
#define MHT_ZSTD_LEVEL 9          /* level of the trace's zstd stream: ~25 % smaller and ~2.5 % faster to
                                  * read than level 3 on captured programs, ~2x slower to write */
#define MHT_ZSTD_WLOG 21          /* its window (2 MiB, level 3's): the reader's memory stays put */
#define MHT_TRIAL_LEVEL 1          /* zstd level of the trial that picks a block's slot policy */
#define TAG_BLOCK 0x3142484du          /* "MHB1" */
#define TAG_END 0x3145484du            /* "MHE1" */
#define BLOCK_HDR 28
#define END_LEN 24
#define COLS_HDR 16
#define LAP_HDR 24                 /* a lap block's header after the column header (version 4) */
#define LAP_MIN_RECS 256           /* smaller blocks are not tried as lap blocks */
#define LAP_AHEAD 16               /* records ahead whose line state the lap encoder prefetches */
#define LAP_BACKOFF_MAX 64         /* most blocks written without a lap trial after rejected ones */
#define HIST_WINDOW (2u << 20)     /* history a lap trial compresses against (the stream's window) */
#define HIST_CAP (2 * HIST_WINDOW + COLS_HDR + LAP_HDR + (MAX_REC_BYTES + 4) * MHT_BLOCK_RECS + 16)
#define MAX_REC_BYTES 17           /* ctrl + op + flags + 8 address (with the top byte) + 4 gap + 2 size */
#define MIN_REC_BYTES 5
#define NSLOTS 32                  /* address slots (versions 1 and 2 use the first 8) */
#define OLD_SLOTS 8                /* slots of the version 2 policy, kept as one of two */
#define POLICY_RING 0              /* writer: inserts into a ring of NSLOTS (see the format) */
#define POLICY_SLOTS 1             /* writer: version 2's choice among OLD_SLOTS, no inserts */

const uint8_t mh_mht_magic[8] = {0x89, 'M', 'H', 'T', '\r', '\n', 0x1a, '\n'};

/* ---- little helpers ---- */

/* Little-endian u32 load. */
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Little-endian u32 store. */
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Little-endian 8-byte load (may cover bytes past the field; callers mask). */
static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* Appends the low len bytes of v, little-endian. */
static uint8_t *put_le(uint8_t *p, uint64_t v, unsigned len)
{
    for (unsigned i = 0; i < len; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    return p + len;
}

/* Bytes a gap takes for each 2-bit code, and the code's mask. */
static const uint8_t gap_len[4] = {0, 1, 2, 4};
static const uint64_t len_mask[9] = {
    0, 0xff, 0xffff, 0xffffff, 0xffffffffull, 0xffffffffffull, 0xffffffffffffull,
    0xffffffffffffffull, ~0ull,
};

/* ---- reader ---- */

/* One control byte's field lengths, decoded once per trace instead of once per record. */
typedef struct ctl_code {
    uint64_t amask, gmask;        /* masks of the address and gap fields' bytes */
    uint64_t himul;               /* 2^(bit where the top address byte goes, split columns): a
                                   * multiply, not a shift, so it needs no count register */
    uint32_t smask;               /* mask of the size field's bytes */
    uint8_t aadv, gadv, sadv;     /* bytes each field takes in its column */
} ctl_code;

/* Fills code[] for a trace of `version` (split: top address bytes in their own column); the insert
 * bit (6) repeats the entries, so a checked control byte (bit 7 clear) indexes it unmasked. */
static void ctl_codes(ctl_code *code, unsigned version)
{
    const unsigned split = version >= 2;
    for (unsigned c = 0; c < 128; c++) {
        unsigned al = (c & 7) + 1, gl = gap_len[(c >> 3) & 3], sl = ((c >> 5) & 1) + 1;
        unsigned low = split ? al - 1 : al; /* address bytes in the address column */
        code[c] = (ctl_code){len_mask[low], len_mask[gl], 1ull << (8 * (al - 1)), (uint32_t)len_mask[sl],
                             (uint8_t)low, (uint8_t)gl, (uint8_t)sl};
    }
}

/* Reader state. */
typedef struct mht_reader {
    ZSTD_DCtx *dctx;        /* one zstd stream across all blocks */
    uint8_t *comp;          /* compressed payload */
    size_t comp_cap;
    uint8_t *raw;           /* decompressed columns */
    size_t raw_cap;
    uint64_t blocks;        /* blocks loaded so far (the current one included) */
    uint64_t records;       /* records in those blocks */
    int done;               /* end marker read and checked */
    uint32_t left;          /* records of the current block not yet returned */
    unsigned version;       /* 1, 2 (top address bytes in their own column) or 3 (slot ring) */
    const uint8_t *ctl, *op, *fl, *hi, *ad, *gp, *sz;  /* column cursors (hi: version 2) */
    unsigned shift;         /* address alignment of the block */
    unsigned ring;          /* the current block inserts (so it needs the ring arithmetic) */
    unsigned nogap;         /* the current block's gap column is empty: every gap is 0 */
    unsigned nofl;          /* every flags byte of the current block is 0 (Lackey's, din's) */
    unsigned next;          /* version 3: the slot the next inserted address goes to */
    uint64_t slot[NSLOTS];  /* address slots */
    int lapblk;             /* the current block is a lap block */
    int lap_on;             /* a lap block has set up the lap state (it outlives its block) */
    uint64_t lap_lo;        /* the lap region's first line */
    unsigned lap_ls;        /* its line shift */
    mh_lapset lap;          /* its unvisited lines */
    mh_rc_dec rc;           /* the current lap block's lap column */
    ctl_code code[128];     /* what each control byte (bit 7 clear) says, for this version */
} mht_reader;

/* Reads exactly n header bytes into dst (bounded by cap) or reports truncation. */
static int hdr_read(mh_trace *t, uint8_t *dst, size_t n, mh_error *err)
{
    size_t got;
    int rc = mh_in_read(&t->in, dst, n, &got, err);
    if (rc)
        return rc;
    if (got < n)
        return mh_error_set(err, MH_ECORRUPT, "%s: truncated in the .mht header", t->name);
    return MH_OK;
}

/* Reads and checks the header; fills t->meta. */
static int read_header(mh_trace *t, mh_error *err)
{
    uint8_t h[20 + MH_META_MAX * (2 + 255 + 255) + 4];
    size_t len = 20;
    int rc = hdr_read(t, h, 20, err);
    if (rc)
        return rc;
    if (memcmp(h, mh_mht_magic, 8) != 0)
        return mh_error_set(err, MH_EFORMAT, "%s: not an .mht trace (bad magic)", t->name);
    unsigned version = h[8] | (unsigned)h[9] << 8;
    if (version < 1 || version > MHT_VERSION)
        return mh_error_set(err, MH_EFORMAT, "%s: .mht version %u, this build reads versions 1 to %d",
                            t->name, version, MHT_VERSION);
    ((mht_reader *)t->priv)->version = version;
    ctl_codes(((mht_reader *)t->priv)->code, version);
    uint32_t count = get32(h + 16);
    if (count > MH_META_MAX)
        return mh_error_set(err, MH_ECORRUPT, "%s: header: %u metadata entries, at most %d",
                            t->name, count, MH_META_MAX);
    for (uint32_t i = 0; i < count; i++) {
        char key[256], val[256];
        uint8_t kl, vl;
        if ((rc = hdr_read(t, &kl, 1, err)) || (rc = hdr_read(t, h + len + 1, kl, err)))
            return rc;
        h[len] = kl;
        memcpy(key, h + len + 1, kl);
        key[kl] = '\0';
        len += 1u + kl;
        if ((rc = hdr_read(t, &vl, 1, err)) || (rc = hdr_read(t, h + len + 1, vl, err)))
            return rc;
        h[len] = vl;
        memcpy(val, h + len + 1, vl);
        val[vl] = '\0';
        len += 1u + vl;
        if (kl == 0 || memchr(key, 0, kl) || memchr(val, 0, vl) || mh_meta_set(&t->meta, key, val))
            return mh_error_set(err, MH_ECORRUPT, "%s: header: metadata entry %u is malformed",
                                t->name, i + 1);
    }
    if ((rc = hdr_read(t, h + len, 4, err)))
        return rc;
    if (CRC_BAD(mh_crc32c(h, len), get32(h + len)))
        return mh_error_set(err, MH_ECORRUPT, "%s: header checksum mismatch", t->name);
    return MH_OK;
}

/* Frees the reader state. */
static void mht_close(mh_trace *t)
{
    mht_reader *r = t->priv;
    if (!r)
        return;
    ZSTD_freeDCtx(r->dctx);
    free(r->comp);
    free(r->raw);
    mh_lap_free(&r->lap);
    free(r);
    t->priv = NULL;
}

/* Reads the header and sets up decoding. */
static int mht_open(mh_trace *t, mh_error *err)
{
    mht_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->dctx = ZSTD_createDCtx())) {
        free(r);
        return mh_error_set(err, MH_ENOMEM, "%s: out of memory", t->name);
    }
    t->priv = r;
    return read_header(t, err);
}

/* Grows *buf to at least n bytes (plus slack for over-reads). */
static int ensure(uint8_t **buf, size_t *cap, size_t n)
{
    if (*cap >= n)
        return 0;
    uint8_t *b = realloc(*buf, n + 16);
    if (!b)
        return -1;
    memset(b + n, 0, 16);   /* 8-byte loads may read past the last field */
    *buf = b;
    *cap = n;
    return 0;
}

/* Reads a lap block's header at h (lap column of lb bytes at col) and sets up the lap state it
 * names; MH_ECORRUPT or MH_ENOMEM with the block. */
static int set_lap(mh_trace *t, mht_reader *r, const uint8_t *h, const uint8_t *col, uint32_t lb,
                   mh_error *err)
{
    unsigned long long blk = (unsigned long long)r->blocks;
    uint64_t lo = (uint64_t)get32(h) | (uint64_t)get32(h + 4) << 32;
    uint32_t lines = get32(h + 8);
    unsigned ls = h[12], mode = h[13];
    if (lines == 0 || lines > MH_LAP_MAX_LINES || ls > 63 || mode > 1 || h[14] | h[15] || get32(h + 20))
        return mh_error_set(err, MH_ECORRUPT, "%s: block %llu: lap header malformed", t->name, blk);
    if (mode == 1 && (!r->lap_on || lo != r->lap_lo || ls != r->lap_ls || lines != r->lap.lines))
        return mh_error_set(err, MH_ECORRUPT,
                            "%s: block %llu: lap block goes on from a lap it does not follow", t->name, blk);
    if (mode == 0) {
        r->lap_on = 0;
        if (mh_lap_reset(&r->lap, lines))
            return mh_error_set(err, MH_ENOMEM, "%s: block %llu: out of memory for a lap of %u lines",
                                t->name, blk, lines);
        r->lap_on = 1;
        r->lap_lo = lo;
        r->lap_ls = ls;
    }
    if (mh_rc_dec_init(&r->rc, col, lb))
        return mh_error_set(err, MH_ECORRUPT, "%s: block %llu: lap column malformed", t->name, blk);
    return MH_OK;
}

/* Checks that the raw columns hold exactly n records and sets the cursors (and, in a lap block,
 * the lap state). */
static int set_columns(mh_trace *t, mht_reader *r, uint32_t n, size_t raw, mh_error *err)
{
    const uint8_t *b = r->raw;
    uint64_t la = get32(b), lg = get32(b + 4), ls = get32(b + 8);
    unsigned long long blk = (unsigned long long)r->blocks;
    unsigned split = r->version >= 2; /* top address bytes in their own column */
    unsigned lap = r->version >= 4 && b[13] == 1;
    uint64_t lb = lap && raw >= COLS_HDR + LAP_HDR ? get32(b + COLS_HDR + 16) : 0;
    if ((uint64_t)COLS_HDR + lap * LAP_HDR + (3u + split) * (uint64_t)n + la + lg + ls + lb != raw ||
        b[12] > 63 || (b[13] && !lap) || b[14] | b[15])
        return mh_error_set(err, MH_ECORRUPT, "%s: block %llu: column lengths do not add up", t->name, blk);
    r->shift = b[12];
    r->ctl = b + COLS_HDR + lap * LAP_HDR;
    r->op = r->ctl + n;
    r->fl = r->op + n;
    r->hi = r->fl + n;
    r->ad = r->hi + (split ? n : 0);
    r->gp = r->ad + la;
    r->sz = r->gp + lg;
    /* Sums of the length codes (the constants added after); n <= 2^20 codes of <= 7 fit 32 bits.
     * Shift-free arithmetic (gap code 3 means 4 bytes) so the compiler vectorises both loops. */
    uint32_t sa32 = 0, sg32 = 0, ss32 = 0;
    uint8_t orc = 0, maxop = 0, oro = 0;
    const uint8_t *ctl = r->ctl, *opc = r->op;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t c = ctl[i], g = (uint8_t)((c >> 3) & 3);
        sa32 += c & 7;
        sg32 += (uint32_t)g + (g == 3);
        ss32 += (c >> 5) & 1;
        orc |= c;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint8_t o = opc[i] & 7;
        maxop = o > maxop ? o : maxop;
        oro |= opc[i];
    }
    uint8_t orf = 0;
    for (uint32_t i = 0; i < n; i++)
        orf |= r->fl[i];
    uint64_t sa = sa32 + (uint64_t)n * (1 - split), sg = sg32, ss = ss32 + (uint64_t)n;
    unsigned ctl_bad = lap ? 0 : r->version >= 3 ? 0x80 : 0xc0, op_bad = r->version >= 3 ? 0 : 0xc0;
    if (sa != la || sg != lg || ss != ls || (orc & ctl_bad) || (oro & op_bad) || maxop >= MH_OP_COUNT)
        return mh_error_set(err, MH_ECORRUPT, "%s: block %llu: record columns malformed", t->name, blk);
    memset(r->slot, 0, sizeof r->slot);
    r->next = 0;
    r->ring = (orc & 0x40) != 0;
    r->nogap = lg == 0;
    r->nofl = orf == 0;
    r->lapblk = (int)lap;
    r->left = n;
    return lap ? set_lap(t, r, b + COLS_HDR, r->sz + ls, (uint32_t)lb, err) : MH_OK;
}

/* Checks the end marker and that nothing follows it. */
static int read_end(mh_trace *t, mht_reader *r, const uint8_t *h, size_t got, mh_error *err)
{
    unsigned long long nb = (unsigned long long)r->blocks;
    if (got < END_LEN)
        return mh_error_set(err, MH_ECORRUPT, "%s: truncated in the end marker after block %llu",
                            t->name, nb);
    if (CRC_BAD(mh_crc32c(h, 20), get32(h + 20)))
        return mh_error_set(err, MH_ECORRUPT, "%s: end marker checksum mismatch after block %llu",
                            t->name, nb);
    uint64_t total = (uint64_t)get32(h + 8) | (uint64_t)get32(h + 12) << 32;
    if (get32(h + 4) != r->blocks || total != r->records)
        return mh_error_set(err, MH_ECORRUPT,
                            "%s: end marker says %u blocks / %llu records, read %llu / %llu",
                            t->name, get32(h + 4), (unsigned long long)total, nb,
                            (unsigned long long)r->records);
    int rc = mh_in_peek(&t->in, 1, err);
    if (rc)
        return rc;
    if (got > END_LEN || t->in.len > t->in.pos)
        return mh_error_set(err, MH_ECORRUPT, "%s: unexpected data after the end marker", t->name);
    r->done = 1;
    return MH_OK;
}

/* Decompresses one block's chunk of the zstd stream into exactly raw bytes; NULL or why not. */
static const char *inflate(mht_reader *r, size_t comp, size_t raw)
{
    ZSTD_inBuffer in = {r->comp, comp, 0};
    ZSTD_outBuffer out = {r->raw, raw, 0};
    while (in.pos < in.size || out.pos < out.size) {
        size_t ip = in.pos, op = out.pos;
        size_t ret = ZSTD_decompressStream(r->dctx, &out, &in);
        if (ZSTD_isError(ret))
            return ZSTD_getErrorName(ret);
        if (in.pos == ip && out.pos == op)
            break;
    }
    return in.pos == in.size && out.pos == out.size ? NULL : "size mismatch";
}

/* Loads the next block (or the end marker), checking sizes and checksums. */
static int load_block(mh_trace *t, mht_reader *r, mh_error *err)
{
    uint8_t h[BLOCK_HDR];
    size_t got;
    int rc = mh_in_read(&t->in, h, BLOCK_HDR, &got, err);
    if (rc)
        return rc;
    unsigned long long done = (unsigned long long)r->blocks, blk = done + 1;
    if (got == 0)
        return mh_error_set(err, MH_ECORRUPT, "%s: truncated after block %llu (end marker missing)",
                            t->name, done);
    if (got >= 4 && get32(h) == TAG_END)
        return read_end(t, r, h, got, err);
    if (got < BLOCK_HDR)
        return mh_error_set(err, MH_ECORRUPT, "%s: block %llu: truncated header (%zu of %d bytes)",
                            t->name, blk, got, BLOCK_HDR);
    if (get32(h) != TAG_BLOCK)
        return mh_error_set(err, MH_ECORRUPT, "%s: block %llu: bad block tag", t->name, blk);
    if (CRC_BAD(mh_crc32c(h, 24), get32(h + 24)))
        return mh_error_set(err, MH_ECORRUPT, "%s: block %llu: header checksum mismatch", t->name, blk);
    uint32_t n = get32(h + 4), comp = get32(h + 8), raw = get32(h + 12);
    if (n == 0 || n > MHT_MAX_BLOCK_RECS || raw < COLS_HDR + (uint64_t)MIN_REC_BYTES * n ||
        raw > COLS_HDR + (uint64_t)MAX_REC_BYTES * n ||
        comp > ZSTD_compressBound(raw))
        return mh_error_set(err, MH_ECORRUPT, "%s: block %llu: impossible sizes (%u records, %u/%u bytes)",
                            t->name, blk, n, comp, raw);
    if (ensure(&r->comp, &r->comp_cap, comp) || ensure(&r->raw, &r->raw_cap, raw))
        return mh_error_set(err, MH_ENOMEM, "%s: block %llu: out of memory", t->name, blk);
    if ((rc = mh_in_read(&t->in, r->comp, comp, &got, err)))
        return rc;
    if (got < comp)
        return mh_error_set(err, MH_ECORRUPT, "%s: block %llu: truncated payload (%zu of %u bytes)",
                            t->name, blk, got, comp);
    r->blocks = blk;
    if (CRC_BAD(mh_crc32c(r->comp, comp), get32(h + 16)))
        return mh_error_set(err, MH_ECORRUPT, "%s: block %llu: checksum mismatch", t->name, blk);
    const char *why = inflate(r, comp, raw);
    if (why)
        return mh_error_set(err, MH_ECORRUPT, "%s: block %llu: cannot decompress: %s", t->name, blk, why);
    if (CRC_BAD(mh_crc32c(r->raw, raw), get32(h + 20)))
        return mh_error_set(err, MH_ECORRUPT, "%s: block %llu: checksum mismatch in decoded records",
                            t->name, blk);
    r->records += n;
    return set_columns(t, r, n, raw, err);
}

/* Decodes k records of the current block into out; split: version 2+ columns; ring: the block
 * inserts; gaps: its gap column is not empty; flags: nor is every flags byte 0 (constants, so each
 * combination gets its own loop: traces without gaps or flags, Lackey's and din's, skip those
 * loads). MH_ECORRUPT on a size of 0. */
static inline __attribute__((always_inline)) int
decode_cols(mh_trace *t, mht_reader *r, mh_rec *out, size_t k, const int split, const int ring, const int gaps,
            const int flags, mh_error *err)
{
    const uint8_t *ctl = r->ctl, *op = r->op, *fl = r->fl, *hi = r->hi, *ad = r->ad, *gp = r->gp, *sz = r->sz;
    const unsigned shift = r->shift;
    const ctl_code *code = r->code;
    uint64_t slot[NSLOTS];
    uint64_t zero = 0;      /* bit 63 set once a size was 0 (s - 1 wraps) */
    unsigned next = r->next;
    memcpy(slot, r->slot, sizeof slot);
    for (size_t i = 0; i < k; i++) {
        unsigned c = ctl[i], os = op[i];
        const ctl_code *e = &code[c];  /* c < 128: set_columns checked bit 7 */
        uint64_t z = load64(ad) & e->amask;
        if (split)
            z |= (uint64_t)hi[i] * e->himul;
        ad += e->aadv;
        uint64_t g = gaps ? load64(gp) & e->gmask : 0;
        uint64_t s = load64(sz) & e->smask;
        gp += gaps ? e->gadv : 0;
        sz += e->sadv;
        uint64_t a;
        if (ring) {
            unsigned s0 = ((os >> 3) + next) & (NSLOTS - 1), ins = c >> 6;
            a = slot[s0] + (((z >> 1) ^ (0 - (z & 1))) << shift);
            slot[ins ? next : s0] = a;
            next = (next + ins) & (NSLOTS - 1);
        } else {   /* nothing inserted in this block: next stays 0, the slot number is the slot */
            a = slot[os >> 3] + (((z >> 1) ^ (0 - (z & 1))) << shift);
            slot[os >> 3] = a;
        }
        zero |= s - 1;
        out[i].addr = a;
        out[i].gap = (uint32_t)g;
        out[i].size = (uint16_t)s;
        out[i].op = (uint8_t)(os & 7);
        out[i].flags = flags ? fl[i] : 0; /* 0: no load, and the two byte stores merge */
    }
    if (zero >> 63)
        return mh_error_set(err, MH_ECORRUPT, "%s: block %llu: record of size 0", t->name,
                            (unsigned long long)r->blocks);
    memcpy(r->slot, slot, sizeof slot);
    r->next = next;
    r->ctl += k;
    r->op += k;
    r->fl += k;
    r->hi += split ? k : 0;
    r->ad = ad;
    r->gp = gp;
    r->sz = sz;
    r->left -= (uint32_t)k;
    return MH_OK;
}

/* Decodes k records of the current lap block into out (lap records and others, with the ring's
 * arithmetic); MH_ECORRUPT on a malformed lap record or column, or a size of 0. */
static int decode_lap(mh_trace *t, mht_reader *r, mh_rec *out, size_t k, mh_error *err)
{
    const uint8_t *ctl = r->ctl, *op = r->op, *fl = r->fl, *hi = r->hi, *ad = r->ad, *gp = r->gp, *sz = r->sz;
    const unsigned shift = r->shift, ls = r->lap_ls;
    unsigned next = r->next, bad = 0;
    uint64_t zero = 0;
    for (size_t i = 0; i < k; i++) {
        unsigned c = ctl[i], os = op[i];
        const ctl_code *e = &r->code[c & 127];
        uint64_t z = (load64(ad) & e->amask) | (uint64_t)hi[i] * e->himul;
        uint64_t g = load64(gp) & e->gmask, s = load64(sz) & e->smask, a;
        ad += e->aadv;
        gp += e->gadv;
        sz += e->sadv;
        if (c & 0x80) {   /* a fresh line of the lap: the predicted one, or by its place */
            uint32_t x = mh_lap_predict(&r->lap);
            if (x == MH_LAP_NONE || mh_rc_get_bit(&r->rc, &r->lap.prob))
                x = mh_lap_take(&r->lap, mh_rc_get(&r->rc, r->lap.left));
            else
                mh_lap_visit(&r->lap, x);
            a = ((r->lap_lo + x) << ls) + (z << shift);
            bad |= (c & 0x47) | (os >> 3);
        } else {   /* coded against a slot; a fresh line of the region becomes visited */
            unsigned s0 = ((os >> 3) + next) & (NSLOTS - 1), ins = c >> 6;
            a = r->slot[s0] + (((z >> 1) ^ (0 - (z & 1))) << shift);
            r->slot[ins ? next : s0] = a;
            next = (next + ins) & (NSLOTS - 1);
            uint64_t x = (a >> ls) - r->lap_lo;
            if (x < r->lap.lines && mh_lap_fresh(&r->lap, (uint32_t)x))
                mh_lap_visit(&r->lap, (uint32_t)x);
        }
        zero |= s - 1;
        out[i] = (mh_rec){a, (uint32_t)g, (uint16_t)s, (uint8_t)(os & 7), fl[i]};
    }
    unsigned long long blk = (unsigned long long)r->blocks;
    r->left -= (uint32_t)k;
    if (bad || r->rc.bad || (r->left == 0 && r->rc.p != r->rc.end))
        return mh_error_set(err, MH_ECORRUPT, "%s: block %llu: lap %s malformed", t->name, blk,
                            bad ? "record" : "column");
    if (zero >> 63)
        return mh_error_set(err, MH_ECORRUPT, "%s: block %llu: record of size 0", t->name, blk);
    r->next = next;
    r->ctl += k;
    r->op += k;
    r->fl += k;
    r->hi += k;
    r->ad = ad;
    r->gp = gp;
    r->sz = sz;
    return MH_OK;
}

/* Decodes k records of the current block with the loop for its version and slot use. */
static int decode(mh_trace *t, mht_reader *r, mh_rec *out, size_t k, mh_error *err)
{
    if (r->lapblk)
        return decode_lap(t, r, out, k, err);
    if (r->version < 2)
        return decode_cols(t, r, out, k, 0, 0, 1, 1, err);
    if (!r->nogap)
        return r->ring ? decode_cols(t, r, out, k, 1, 1, 1, 1, err) : decode_cols(t, r, out, k, 1, 0, 1, 1, err);
    if (r->ring)
        return r->nofl ? decode_cols(t, r, out, k, 1, 1, 0, 0, err) : decode_cols(t, r, out, k, 1, 1, 0, 1, err);
    return r->nofl ? decode_cols(t, r, out, k, 1, 0, 0, 0, err) : decode_cols(t, r, out, k, 1, 0, 0, 1, err);
}

/* Fills buf with up to cap records, loading blocks as needed. */
static int mht_read(mh_trace *t, mh_rec *buf, size_t cap, size_t *n, mh_error *err)
{
    mht_reader *r = t->priv;
    size_t k = 0;
    while (k < cap && !r->done) {
        if (r->left == 0) {
            int rc = load_block(t, r, err);
            if (rc)
                return rc;
            continue;
        }
        size_t m = cap - k < r->left ? cap - k : r->left;
        int rc = decode(t, r, buf + k, m, err);
        if (rc)
            return rc;
        k += m;
    }
    *n = k;
    return MH_OK;
}

const mh_reader_fmt mh_reader_mht = {
    "mht", "native memhier trace: zstd-compressed, checksummed blocks with metadata",
    1, mht_open, mht_read, mht_close,
};

/* ---- writer ---- */

/* Writer state. */
typedef struct mht_writer {
    ZSTD_CCtx *cctx;        /* one zstd stream across all blocks */
    mh_rec *recs;           /* the block being filled */
    uint64_t *zs;           /* its coded address deltas (encoding scratch) */
    uint32_t n;             /* records in it */
    uint8_t *raw;           /* encoded columns, ring policy */
    uint8_t *raw2;          /* encoded columns, eight-slot policy */
    uint8_t *raw3;          /* encoded columns, lap block */
    uint8_t *mark;          /* per record of the lap trial: coded as a fresh line of the lap */
    uint8_t *lapcol;        /* the lap trial's range-coded column */
    mh_lapset lap;          /* the lap state the last lap block written left */
    mh_lapset trial;        /* a lap trial's state in a new region (swapped in when kept) */
    mh_lapstep *undo;       /* a lap trial's visits of m->lap, to undo when it is not kept */
    int lap_on;             /* lap holds a state (a lap block has been written) */
    uint64_t lap_lo;        /* its region's first line */
    unsigned lap_ls;        /* its line shift */
    uint8_t *hist;          /* the raw columns of the latest blocks written (the zstd window's) */
    size_t hist_len;        /* bytes in hist, the newest last */
    int laps_off;           /* option laps = off: no lap blocks */
    uint32_t lap_skip;      /* blocks left before the next lap trial (after rejected ones) */
    uint32_t lap_backoff;   /* the skip after the next rejection: doubles, up to LAP_BACKOFF_MAX */
    ZSTD_CCtx *tctx;        /* trial compressions that pick between the two */
    uint8_t *comp;          /* compressed columns */
    size_t comp_cap;
    uint64_t blocks;        /* blocks written */
    uint64_t total;         /* records written in those blocks */
} mht_writer;

/* Frees the writer state. */
static void mhtw_free(mh_writer *w)
{
    mht_writer *m = w->priv;
    if (!m)
        return;
    ZSTD_freeCCtx(m->cctx);
    free(m->recs);
    free(m->zs);
    free(m->raw);
    free(m->raw2);
    free(m->raw3);
    free(m->mark);
    free(m->lapcol);
    free(m->hist);
    mh_lap_free(&m->lap);
    mh_lap_free(&m->trial);
    free(m->undo);
    ZSTD_freeCCtx(m->tctx);
    free(m->comp);
    free(m);
    w->priv = NULL;
}

/* Writes the header with the metadata. */
static int mhtw_header(mh_writer *w, const mh_meta *meta, mh_error *err)
{
    uint8_t h[20 + MH_META_MAX * (2 + 255 + 255) + 4];
    size_t len = 20;
    memcpy(h, mh_mht_magic, 8);
    h[8] = MHT_VERSION;
    h[9] = h[10] = h[11] = 0;
    put32(h + 12, MHT_BLOCK_RECS);
    put32(h + 16, (uint32_t)meta->n);
    for (size_t i = 0; i < meta->n; i++) {
        size_t kl = strnlen(meta->kv[i].key, sizeof meta->kv[i].key - 1);
        size_t vl = strnlen(meta->kv[i].value, sizeof meta->kv[i].value - 1);
        h[len++] = (uint8_t)kl;
        memcpy(h + len, meta->kv[i].key, kl);
        len += kl;
        h[len++] = (uint8_t)vl;
        memcpy(h + len, meta->kv[i].value, vl);
        len += vl;
    }
    put32(h + len, mh_crc32c(h, len));
    return mh_out_write(&w->out, h, len + 4, err);
}

/* Allocates the block buffers and writes the header. */
static int mhtw_open(mh_writer *w, const mh_meta *meta, mh_error *err)
{
    mht_writer *m = calloc(1, sizeof *m);
    if (!m)
        return mh_error_set(err, MH_ENOMEM, "%s: out of memory", w->out.path);
    w->priv = m;
    m->comp_cap = ZSTD_compressBound(COLS_HDR + LAP_HDR + (MAX_REC_BYTES + 4) * MHT_BLOCK_RECS) + 4096;
    m->cctx = ZSTD_createCCtx();
    m->recs = malloc(MHT_BLOCK_RECS * sizeof *m->recs);
    m->zs = malloc(MHT_BLOCK_RECS * sizeof *m->zs);
    m->raw = malloc(COLS_HDR + MAX_REC_BYTES * MHT_BLOCK_RECS);
    m->raw2 = malloc(COLS_HDR + MAX_REC_BYTES * MHT_BLOCK_RECS);
    m->raw3 = malloc(COLS_HDR + LAP_HDR + (MAX_REC_BYTES + 4) * MHT_BLOCK_RECS + 16);
    m->mark = malloc(MHT_BLOCK_RECS);
    m->lapcol = malloc(4 * MHT_BLOCK_RECS + 16);
    m->hist = malloc(HIST_CAP);
    m->undo = malloc(MHT_BLOCK_RECS * sizeof *m->undo);
    m->tctx = ZSTD_createCCtx();
    m->comp = malloc(m->comp_cap);
    if (!m->cctx || !m->tctx || !m->recs || !m->zs || !m->raw || !m->raw2 || !m->raw3 || !m->mark ||
        !m->lapcol || !m->hist || !m->undo || !m->comp)
        return mh_error_set(err, MH_ENOMEM, "%s: out of memory for the block buffers", w->out.path);
    ZSTD_CCtx_setParameter(m->cctx, ZSTD_c_compressionLevel, MHT_ZSTD_LEVEL);
    ZSTD_CCtx_setParameter(m->cctx, ZSTD_c_windowLog, MHT_ZSTD_WLOG);
    return mhtw_header(w, meta, err);
}

/* Bytes needed for v (at least 1). */
static unsigned byte_len(uint64_t v)
{
    return v ? (unsigned)(64 - __builtin_clzll(v) + 7) / 8 : 1;
}

/* Zigzag of the signed delta a - base, scaled down by the block alignment. */
static uint64_t zig(uint64_t a, uint64_t base, unsigned shift)
{
    int64_t d = (int64_t)(a - base) >> shift;   /* exact: a - base is a multiple of 2^shift */
    return ((uint64_t)d << 1) ^ (uint64_t)(d >> 63);
}

/* Picks, of the first OLD_SLOTS slots, the one with the shortest delta (least recently used
 * among equals): version 2's choice. */
static unsigned pick_slot(const uint64_t *slot, const uint32_t *used, uint64_t a, unsigned shift)
{
    unsigned best = 0, bl = 99;
    for (unsigned j = 0; j < OLD_SLOTS; j++) {
        unsigned l = byte_len(zig(a, slot[j], shift));
        if (l < bl || (l == bl && used[j] < used[best])) {
            best = j;
            bl = l;
        }
    }
    return best;
}

/* The slot numerically nearest to a (the lowest-numbered among equals). */
static unsigned nearest_slot(const uint64_t *slot, uint64_t a)
{
    uint64_t dist[NSLOTS], bd = ~0ull;
    unsigned best = 0;
    for (unsigned j = 0; j < NSLOTS; j++) {   /* |a - slot[j]|, without branches */
        uint64_t d = a - slot[j], neg = 0 - (d >> 63);
        dist[j] = (d ^ neg) - neg;
    }
    for (unsigned j = 0; j < NSLOTS; j++)
        bd = dist[j] < bd ? dist[j] : bd;
    while (dist[best] != bd)
        best++;
    return best;
}

/* Ring policy for one record: returns the slot a is coded against; *ins: insert it. A slot
 * within one byte (the nearest) is used in place, except by a prefetch, whose line comes
 * back; a far address chains from the latest insert unless the nearest slot saves two or more
 * bytes. */
static unsigned ring_choice(const uint64_t *slot, unsigned next, const mh_rec *r, unsigned shift,
                            unsigned *ins)
{
    unsigned latest = (next - 1) & (NSLOTS - 1), j = nearest_slot(slot, r->addr);
    unsigned lj = byte_len(zig(r->addr, slot[j], shift));
    *ins = lj > 1 || r->op == MH_OP_PREFETCH;
    return lj == 1 || lj + 1 < byte_len(zig(r->addr, slot[latest], shift)) ? j : latest;
}

/* First pass: each record's delta zs[i] and its ctl and op bytes (length code, insert bit,
 * slot relative to the insert pointer) under one slot policy (see the format comment). A record
 * with mark[i] set (mark may be NULL) is a lap record: zs[i] holds its one-byte field already. */
static void plan(const mh_rec *rec, uint32_t n, unsigned shift, int policy, uint8_t *ctl, uint8_t *op,
                 uint64_t *zs, const uint8_t *mark)
{
    uint64_t slot[NSLOTS] = {0};
    uint32_t used[NSLOTS] = {0};
    unsigned next = 0;
    for (uint32_t i = 0; i < n; i++) {
        unsigned s, ins = 0;
        if (mark && mark[i]) {
            uint32_t g = rec[i].gap;
            unsigned gc = g == 0 ? 0 : g < 0x100 ? 1 : g < 0x10000 ? 2 : 3;
            ctl[i] = (uint8_t)(0x80 | gc << 3 | (rec[i].size > 0xff) << 5);
            op[i] = rec[i].op;
            continue;
        }
        if (policy == POLICY_RING)
            s = ring_choice(slot, next, &rec[i], shift, &ins);
        else
            used[s = pick_slot(slot, used, rec[i].addr, shift)] = i + 1;
        uint64_t z = zig(rec[i].addr, slot[s], shift);
        slot[ins ? next : s] = rec[i].addr;
        uint32_t g = rec[i].gap;
        unsigned gc = g == 0 ? 0 : g < 0x100 ? 1 : g < 0x10000 ? 2 : 3;
        ctl[i] = (uint8_t)((byte_len(z) - 1) | gc << 3 | (rec[i].size > 0xff) << 5 | ins << 6);
        op[i] = (uint8_t)(rec[i].op | ((s - next) & (NSLOTS - 1)) << 3);
        zs[i] = z;
        next = (next + ins) & (NSLOTS - 1);
    }
}

/* Widens every address field of 2+ bytes to the width that 90% of them fit in, so that the
 * address and top-byte columns of a random walk stay uniform (a wider field decodes the same
 * value). Works on the length codes (bytes - 1) in ctl. */
static void pad_lengths(uint8_t *ctl, uint32_t n)
{
    uint32_t hist[8] = {0}, tot = 0, cum = 0;
    unsigned width = 0;
    for (uint32_t i = 0; i < n; i++)
        if (ctl[i] & 7) {
            hist[ctl[i] & 7]++;
            tot++;
        }
    for (unsigned l = 1; l < 8 && !width && tot; l++)
        if ((uint64_t)(cum += hist[l]) * 10 >= (uint64_t)tot * 9)
            width = l;
    for (uint32_t i = 0; i < n; i++)
        if ((ctl[i] & 7) && (ctl[i] & 7) < width)
            ctl[i] = (uint8_t)((ctl[i] & ~7u) | width);
}

/* The block's common address alignment (log2). */
static unsigned block_shift(const mh_rec *rec, uint32_t n)
{
    uint64_t all = 0;
    for (uint32_t i = 0; i < n; i++)
        all |= rec[i].addr;
    return all ? (unsigned)__builtin_ctzll(all) : 0;
}

/* Encodes the pending records as columns under one slot policy; returns the raw size. mark (or
 * NULL) makes a lap block: its columns start after the lap header, which the caller writes. */
static size_t encode(const mh_rec *rec, uint32_t n, uint8_t *raw, uint64_t *zs, int policy,
                     const uint8_t *mark)
{
    uint8_t *ctl = raw + COLS_HDR + (mark ? LAP_HDR : 0);
    uint8_t *op = ctl + n, *fl = op + n, *hi = fl + n, *p = hi + n;
    unsigned shift = block_shift(rec, n);
    plan(rec, n, shift, policy, ctl, op, zs, mark);
    pad_lengths(ctl, n);
    for (uint32_t i = 0; i < n; i++) {
        unsigned al = (ctl[i] & 7) + 1u;
        fl[i] = rec[i].flags;
        hi[i] = (uint8_t)(zs[i] >> (8 * (al - 1)));
        p = put_le(p, zs[i], al - 1);
    }
    uint8_t *g0 = p;
    for (uint32_t i = 0; i < n; i++)
        p = put_le(p, rec[i].gap, gap_len[(ctl[i] >> 3) & 3]);
    uint8_t *s0 = p;
    for (uint32_t i = 0; i < n; i++)
        p = put_le(p, rec[i].size, ((ctl[i] >> 5) & 1) + 1u);
    put32(raw, (uint32_t)(g0 - (hi + n)));
    put32(raw + 4, (uint32_t)(s0 - g0));
    put32(raw + 8, (uint32_t)(p - s0));
    raw[12] = (uint8_t)shift;
    raw[13] = mark != NULL;
    raw[14] = raw[15] = 0;
    return (size_t)(p - raw);
}

/* Encodes the pending block with version 2's slot policy and, if it holds a prefetch, also with
 * the ring, which it keeps only if a fast trial compression of each alone finds it at least 3%
 * smaller (ring blocks decode with a few more instructions per record). Without prefetches the
 * ring gains 0-2% on the kernels' traces for about three times the writer's time. Returns the raw
 * bytes kept and sets *raw to their size. */
static const uint8_t *encode_plain(mht_writer *m, size_t *raw)
{
    size_t rb = encode(m->recs, m->n, m->raw2, m->zs, POLICY_SLOTS, NULL);
    uint32_t i = 0;
    while (i < m->n && m->recs[i].op != MH_OP_PREFETCH)
        i++;
    *raw = rb;
    if (i == m->n)
        return m->raw2;
    size_t ra = encode(m->recs, m->n, m->raw, m->zs, POLICY_RING, NULL);
    size_t ca = ZSTD_compressCCtx(m->tctx, m->comp, m->comp_cap, m->raw, ra, MHT_TRIAL_LEVEL);
    size_t cb = ZSTD_compressCCtx(m->tctx, m->comp, m->comp_cap, m->raw2, rb, MHT_TRIAL_LEVEL);
    if (!ZSTD_isError(cb) && (ZSTD_isError(ca) || cb <= ca + ca / 32))
        return m->raw2;
    *raw = ra;
    return m->raw;
}

#define LAP_BUCKET_SHIFT 21      /* far lines are counted in buckets of half the largest region */
#define LAP_BUCKETS 1024         /* distinct buckets counted (more: the block is too spread out) */

/* The pair of adjacent buckets of 2^21 lines that holds the most far records of the pending
 * block (those whose eight-slot delta takes 2 bytes or more, per m->raw2's length codes): sets
 * [*lo, *hi] to the lowest and highest far line in it (at shift ls). Returns nonzero when there
 * are none or they spread over more than LAP_BUCKETS buckets. */
/* Slot of bucket b in the open-addressed table key[LAP_BUCKETS] (EMPTY_BUCKET when free): its
 * own, or the free one it would take; LAP_BUCKETS when the table is full without it. */
#define EMPTY_BUCKET UINT64_MAX
static uint32_t bucket_slot(const uint64_t *key, uint64_t b)
{
    uint32_t h = (uint32_t)((b * 0x9e3779b97f4a7c15ull) >> 54);
    for (uint32_t probes = 0; probes < LAP_BUCKETS; probes++, h = (h + 1) % LAP_BUCKETS)
        if (key[h] == b || key[h] == EMPTY_BUCKET)
            return h;
    return LAP_BUCKETS;
}

static int far_window(mht_writer *m, unsigned ls, uint64_t *lo, uint64_t *hi)
{
    uint64_t key[LAP_BUCKETS], best_b = 0;
    uint32_t cnt[LAP_BUCKETS], best = 0;
    const uint8_t *ctl = m->raw2 + COLS_HDR;
    for (uint32_t k = 0; k < LAP_BUCKETS; k++)
        key[k] = EMPTY_BUCKET;
    for (uint32_t i = 0; i < m->n; i++) {
        if (!(ctl[i] & 7))
            continue;
        uint64_t b = (m->recs[i].addr >> ls) >> LAP_BUCKET_SHIFT;
        uint32_t h = bucket_slot(key, b);
        if (h == LAP_BUCKETS)
            return -1;
        cnt[h] = key[h] == b ? cnt[h] + 1 : 1;
        key[h] = b;
    }
    for (uint32_t k = 0; k < LAP_BUCKETS; k++) {   /* each bucket with the one above it */
        if (key[k] == EMPTY_BUCKET)
            continue;
        uint32_t j = bucket_slot(key, key[k] + 1), c = cnt[k];
        c += j < LAP_BUCKETS && key[j] == key[k] + 1 ? cnt[j] : 0;
        if (c > best) {
            best = c;
            best_b = key[k];
        }
    }
    if (best == 0)
        return -1;
    *lo = UINT64_MAX;
    *hi = 0;
    for (uint32_t i = 0; i < m->n; i++) {
        uint64_t l = m->recs[i].addr >> ls;
        if ((ctl[i] & 7) && (l >> LAP_BUCKET_SHIFT) - best_b < 2) {
            *lo = l < *lo ? l : *lo;
            *hi = l > *hi ? l : *hi;
        }
    }
    return 0;
}

/* Whether a lap block may pay: a fresh line costs about log2(lines left) bits (less towards a
 * lap's end, about nothing when predicted), a far record's delta its field's bytes; and a line
 * codes as a lap record once: half the far records or more must be of distinct lines (counted in
 * a 2^16-bit filter: a heap walk reads each object's fields in turn and does not pay). */
static int lap_may_pay(mht_writer *m, unsigned ls, uint32_t left, int predicts)
{
    const uint8_t *ctl = m->raw2 + COLS_HDR;
    uint64_t far = 0, bytes = 0, distinct = 0, seen[1024] = {0};
    for (uint32_t i = 0; i < m->n; i++)
        if (ctl[i] & 7) {
            uint32_t hsh = (uint32_t)(((m->recs[i].addr >> ls) * 0x9e3779b97f4a7c15ull) >> 48);
            distinct += !((seen[hsh >> 6] >> (hsh & 63)) & 1);
            seen[hsh >> 6] |= 1ull << (hsh & 63);
            far++;
            bytes += (ctl[i] & 7) + 1u;
        }
    unsigned bits = 32 - (unsigned)__builtin_clz(left | 1);
    return predicts || (far && 2 * distinct >= far && (uint64_t)(bits + 2) * far <= 8 * bytes);
}

/* Chooses the lap region for the pending block: the last lap block's state (m->lap, recording its
 * visits in m->undo so that a rejected trial can be undone) when half the far records lie in its
 * region (*cont = 1), else a new one around the bucket pair that holds the most of them (a walk's
 * region, not the stack or code beside it; in m->trial). Returns nonzero when there is none, a
 * lap block would not pay, or out of memory. */
static int lap_region(mht_writer *m, unsigned shift, uint64_t *lo, unsigned *ls, int *cont)
{
    const uint8_t *ctl = m->raw2 + COLS_HDR;
    if (m->lap_on) {
        uint32_t in = 0, far = 0;
        for (uint32_t i = 0; i < m->n; i++)
            if (ctl[i] & 7) {
                far++;
                in += (m->recs[i].addr >> m->lap_ls) - m->lap_lo < m->lap.lines;
            }
        if (in * 2 >= far && far) {
            *lo = m->lap_lo;
            *ls = m->lap_ls;
            *cont = 1;
            if (!lap_may_pay(m, m->lap_ls, m->lap.left, m->lap.laps > 0))
                return -1;
            m->lap.log = m->undo;
            m->lap.logged = 0;
            return 0;
        }
    }
    uint64_t hi;
    *ls = shift > 6 ? shift : 6;
    *cont = 0;
    if (far_window(m, *ls, lo, &hi) || !lap_may_pay(m, *ls, (uint32_t)(hi - *lo + 1), 0))
        return -1;
    return mh_lap_reset(&m->trial, (uint32_t)(hi - *lo + 1));
}

/* Encodes the pending block as a lap block into m->raw3 (see the format comment): a record whose
 * line is unvisited in the region and is the predicted one, or whose delta from the slot version
 * 2's policy picks would take two bytes or more, is coded as a lap record, the others against
 * slots with that policy. The lap state it leaves is m->lap's (*cont) or m->trial's. Returns the
 * raw size, or 0 when the block has no region. */
static size_t encode_lap(mht_writer *m, uint64_t *lo, unsigned *ls, int *cont)
{
    const mh_rec *rec = m->recs;
    uint32_t n = m->n;
    unsigned shift = block_shift(rec, n);
    if (lap_region(m, shift, lo, ls, cont))
        return 0;
    mh_lapset *L = *cont ? &m->lap : &m->trial;
    mh_rc_enc e;
    mh_rc_enc_init(&e, m->lapcol);
    uint64_t lmask = (*ls < 64 ? 1ull << *ls : 0) - 1, slot[NSLOTS] = {0};
    uint32_t used[NSLOTS] = {0};
    for (uint32_t i = 0; i < n; i++) {   /* the slots as plan() will keep them, lap records aside */
        uint64_t x = (rec[i].addr >> *ls) - *lo, v = (rec[i].addr & lmask) >> shift;
        uint64_t ahead = i + LAP_AHEAD < n ? (rec[i + LAP_AHEAD].addr >> *ls) - *lo : UINT64_MAX;
        if (ahead < L->lines)   /* a walk's lines miss the host's caches: ask early */
            __builtin_prefetch(&L->line[ahead], 1);
        unsigned s = pick_slot(slot, used, rec[i].addr, shift);
        int fresh = x < L->lines && mh_lap_fresh(L, (uint32_t)x);
        uint32_t pred = fresh ? mh_lap_predict(L) : MH_LAP_NONE;
        m->mark[i] = fresh && v < 256 && (x == pred || byte_len(zig(rec[i].addr, slot[s], shift)) > 1);
        if (!m->mark[i]) {   /* a slot codes it; a fresh line of the region is visited all the same */
            used[s] = i + 1;
            slot[s] = rec[i].addr;
            if (fresh)
                mh_lap_visit(L, (uint32_t)x);
            continue;
        }
        if (pred != MH_LAP_NONE)
            mh_rc_put_bit(&e, &L->prob, x != pred);
        if (x != pred)
            mh_rc_put(&e, mh_lap_index(L, (uint32_t)x), L->left);
        mh_lap_visit(L, (uint32_t)x);
        m->zs[i] = v;
    }
    size_t lb = mh_rc_enc_finish(&e);
    size_t raw = encode(rec, n, m->raw3, m->zs, POLICY_SLOTS, m->mark);
    uint8_t *h = m->raw3 + COLS_HDR;
    put32(h, (uint32_t)*lo);
    put32(h + 4, (uint32_t)(*lo >> 32));
    put32(h + 8, L->lines);
    h[12] = (uint8_t)*ls;
    h[13] = (uint8_t)*cont;
    h[14] = h[15] = 0;
    put32(h + 16, (uint32_t)lb);
    put32(h + 20, 0);
    memcpy(m->raw3 + raw, m->lapcol, lb);
    return raw + lb;
}

/* Whether three quarters or more of the pending block's far records (every 8th one) are lines the
 * last lap block's lap has not visited yet: a walk going on, tried even after rejected trials. */
static int lap_going_on(const mht_writer *m)
{
    const uint8_t *ctl = m->raw2 + COLS_HDR;
    uint32_t far = 0, fresh = 0;
    if (!m->lap_on)
        return 0;
    for (uint32_t i = 0; i < m->n; i += 8)
        if (ctl[i] & 7) {
            uint64_t x = (m->recs[i].addr >> m->lap_ls) - m->lap_lo;
            far++;
            fresh += x < m->lap.lines && mh_lap_fresh(&m->lap, (uint32_t)x);
        }
    return far && fresh * 4 >= far * 3;
}

/* Compressed size of the raw columns src (len bytes) after the latest blocks' (zstd's window:
 * repeats of earlier blocks cost little), at the trial level; a zstd error code on failure. */
static size_t trial_size(mht_writer *m, const uint8_t *src, size_t len)
{
    size_t h = m->hist_len < HIST_WINDOW ? m->hist_len : HIST_WINDOW;
    ZSTD_CCtx_reset(m->tctx, ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(m->tctx, ZSTD_c_compressionLevel, MHT_TRIAL_LEVEL);
    ZSTD_CCtx_setParameter(m->tctx, ZSTD_c_windowLog, 22);
    if (h)
        ZSTD_CCtx_refPrefix(m->tctx, m->hist + m->hist_len - h, h);
    return ZSTD_compress2(m->tctx, m->comp, m->comp_cap, src, len);
}

/* Appends a written block's raw columns to the history, keeping at least its last HIST_WINDOW
 * bytes (moved to the front when the buffer fills). */
static void hist_add(mht_writer *m, const uint8_t *cols, size_t raw)
{
    if (m->hist_len + raw > HIST_CAP) {
        size_t keep = m->hist_len < HIST_WINDOW ? m->hist_len : HIST_WINDOW;
        memmove(m->hist, m->hist + m->hist_len - keep, keep);
        m->hist_len = keep;
    }
    memcpy(m->hist + m->hist_len, cols, raw);
    m->hist_len += raw;
}

/* Encodes the pending block as encode_plain does and, where a quarter of its records or more have
 * deltas of two bytes or more (a random walk among them), also as a lap block, which it keeps when
 * a fast trial compression of each after the latest blocks finds it at least 3% smaller. After a
 * rejected trial the next 1, 2, 4 ... 64 such blocks are not tried (random accesses with repeats
 * rarely pay), unless a lap is going on in them (lap_going_on). Returns the raw bytes kept and
 * sets *raw to their size. */
static const uint8_t *encode_best(mht_writer *m, size_t *raw)
{
    const uint8_t *plain = encode_plain(m, raw);
    const uint8_t *ctl = m->raw2 + COLS_HDR;
    uint32_t wide = 0;
    for (uint32_t i = 0; i < m->n; i++)
        wide += (ctl[i] & 7) != 0;
    if (m->laps_off || m->n < LAP_MIN_RECS || wide < m->n / 4)
        return plain;
    if (m->lap_skip && !lap_going_on(m)) {
        m->lap_skip--;
        return plain;
    }
    uint64_t lo;
    unsigned ls;
    int cont;
    uint16_t prob = m->lap.prob;
    size_t rl = encode_lap(m, &lo, &ls, &cont);
    if (!rl)
        return plain;
    size_t cp = trial_size(m, plain, *raw), cl = trial_size(m, m->raw3, rl);
    if (ZSTD_isError(cl) || (!ZSTD_isError(cp) && cl + cl / 32 > cp)) {
        if (cont) {   /* the lap state as the last lap block left it */
            mh_lap_undo(&m->lap);
            m->lap.prob = prob;
            m->lap.log = NULL;
        }
        m->lap_backoff = m->lap_backoff ? m->lap_backoff * 2 : 1;
        m->lap_backoff = m->lap_backoff > LAP_BACKOFF_MAX ? LAP_BACKOFF_MAX : m->lap_backoff;
        m->lap_skip = m->lap_backoff;
        return plain;
    }
    m->lap_backoff = 0;
    if (cont) {
        m->lap.log = NULL;
    } else {
        mh_lapset t = m->lap;
        m->lap = m->trial;
        m->trial = t;
    }
    m->lap_on = 1;
    m->lap_lo = lo;
    m->lap_ls = ls;
    *raw = rl;
    return m->raw3;
}

/* Compresses and writes the pending block. */
static int flush_block(mh_writer *w, mht_writer *m, mh_error *err)
{
    if (m->n == 0)
        return MH_OK;
    size_t raw;
    const uint8_t *cols = encode_best(m, &raw);
    ZSTD_inBuffer in = {cols, raw, 0};
    ZSTD_outBuffer out = {m->comp, m->comp_cap, 0};
    size_t left;
    do   /* flush: the block ends on a zstd block boundary; the window carries on */
        left = ZSTD_compressStream2(m->cctx, &out, &in, ZSTD_e_flush);
    while (!ZSTD_isError(left) && left != 0 && out.pos < out.size);
    if (ZSTD_isError(left) || left != 0)
        return mh_error_set(err, MH_EIO, "%s: block %llu: zstd: %s", w->out.path,
                            (unsigned long long)m->blocks + 1,
                            ZSTD_isError(left) ? ZSTD_getErrorName(left) : "output buffer full");
    size_t comp = out.pos;
    hist_add(m, cols, raw);
    uint8_t h[BLOCK_HDR];
    put32(h, TAG_BLOCK);
    put32(h + 4, m->n);
    put32(h + 8, (uint32_t)comp);
    put32(h + 12, (uint32_t)raw);
    put32(h + 16, mh_crc32c(m->comp, comp));
    put32(h + 20, mh_crc32c(cols, raw));
    put32(h + 24, mh_crc32c(h, 24));
    int rc = mh_out_write(&w->out, h, BLOCK_HDR, err);
    if (!rc)
        rc = mh_out_write(&w->out, m->comp, comp, err);
    if (rc)
        return rc;
    m->blocks++;
    m->total += m->n;
    m->n = 0;
    return MH_OK;
}

/* Checks and buffers records, writing each full block. */
static int mhtw_write(mh_writer *w, const mh_rec *recs, size_t n, mh_error *err)
{
    mht_writer *m = w->priv;
    for (size_t i = 0; i < n; i++) {
        if (recs[i].op >= MH_OP_COUNT || recs[i].size == 0)
            return mh_error_set(err, MH_EINVAL, "%s: record %llu: op %u size %u, expected op 0..%d and size >= 1",
                                w->out.path, (unsigned long long)(w->records + i + 1), recs[i].op,
                                recs[i].size, MH_OP_COUNT - 1);
        m->recs[m->n++] = recs[i];
        if (m->n == MHT_BLOCK_RECS) {
            int rc = flush_block(w, m, err);
            if (rc)
                return rc;
        }
    }
    return MH_OK;
}

/* Writes the last block and the end marker. */
static int mhtw_finish(mh_writer *w, mh_error *err)
{
    mht_writer *m = w->priv;
    int rc = flush_block(w, m, err);
    if (rc)
        return rc;
    uint8_t e[END_LEN];
    put32(e, TAG_END);
    put32(e + 4, (uint32_t)m->blocks);
    put32(e + 8, (uint32_t)m->total);
    put32(e + 12, (uint32_t)(m->total >> 32));
    put32(e + 16, 0);
    put32(e + 20, mh_crc32c(e, 20));
    return mh_out_write(&w->out, e, END_LEN, err);
}

/* Sets an option: laps = on|off. */
static int mhtw_set(mh_writer *w, const char *key, const char *value, mh_error *err)
{
    mht_writer *m = w->priv;
    if (strcmp(key, "laps"))
        return mh_error_set(err, MH_EINVAL, "%s: mht writer: unknown option '%s', expected laps",
                            w->out.path, key);
    if (strcmp(value, "on") && strcmp(value, "off"))
        return mh_error_set(err, MH_EINVAL, "%s: mht writer: laps = %s, must be on or off", w->out.path,
                            value);
    m->laps_off = !strcmp(value, "off");
    return MH_OK;
}

const mh_writer_fmt mh_writer_fmt_mht = {
    "mht", "native memhier trace (zstd blocks of 64K records, checksummed, with metadata)",
    mhtw_open, mhtw_write, mhtw_finish, mhtw_free, mhtw_set,
};
