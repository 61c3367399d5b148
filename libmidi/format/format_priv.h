/* format_priv.h: what the readers and printers of libmidi/format share:
 * the reader and printer structs, the packet emitter, line splitting,
 * timing tokens and the per-format entry points. */
#ifndef MIDI_FORMAT_PRIV_H
#define MIDI_FORMAT_PRIV_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "midi/format.h"
#include "midi/text.h"
#include "midi/translate.h"

#define MIDI_LINE_MAX 65536     /* longest input line (bytes, newline excluded) */
#define MIDI_SMF_MAX (64u << 20) /* largest SMF image accepted */

struct text_state;

/* Where packets go during one feed/end call. */
typedef struct emitter {
	midi_packet_cb cb;
	void *ctx;
	int stop;               /* the callback's non-zero value, 0 while going */
} emitter;

struct midi_reader {
	midi_format fmt;
	unsigned group;
	unsigned flags;         /* MIDI_READ_* */
	/* line splitting (ump, hex, text) */
	char *line;
	size_t len, cap;
	int lineno;             /* number of the line being collected, 1-based */
	int overlong;           /* the current line passed MIDI_LINE_MAX */
	int failed;             /* an error was reported; further input refused */
	midi_error err;         /* that error */
	uint64_t time_ns;       /* current time offset (timing tokens) */
	uint64_t offset;        /* bytes seen (bin) */
	/* hex and bin */
	midi_b2u b2u;
	int msg_line, msg_col;  /* where the message being built began (hex) */
	uint64_t msg_offset;    /* (bin) */
	int msg_fresh;          /* the last byte was a status byte */
	/* text */
	struct text_state *text;
	/* smf */
	uint8_t *buf;
	size_t blen, bcap;
};

/* Deliver one packet with the reader's current time. Returns the
 * callback's non-zero value (also kept in em->stop), else 0. Inline: it
 * runs once per packet of every reader. */
static inline int emit_packet(midi_reader *r, emitter *em, const midi_ump *p)
{
	midi_packet pk;
	pk.time_ns = r->time_ns;
	pk.ump = *p; /* as midi_ump_make: the words past the packet's size zeroed */
	switch (midi_mt_words(p->w[0] >> 28)) {
	case 1: pk.ump.w[1] = 0; /* fall through */
	case 2: pk.ump.w[2] = 0; /* fall through */
	case 3: pk.ump.w[3] = 0; /* fall through */
	default: break;
	}
	if (em->stop)
		return em->stop;
	em->stop = em->cb ? em->cb(em->ctx, &pk) : 0;
	return em->stop;
}

/* midi_ump_cb adaptor: ctx is a struct emit_ctx. */
struct emit_ctx {
	midi_reader *r;
	emitter *em;
};
int emit_ump_cb(void *ctx, const midi_ump *p);

/* Timing tokens: "+N[unit]" (relative, default unit ms) and "@T[unit]"
 * (absolute from the start, default unit s); units ns us ms s; N may have
 * a decimal fraction. Returns 0 and sets *ns, or -1 with a reason in why. */
int parse_time_token(const char *s, size_t n, uint64_t *ns, const char **why);
/* Apply a timing token at line/col. Returns 0 or a negative status. */
int apply_time_token(midi_reader *r, const char *s, size_t n, int line, int col, midi_error *e);

/* Character classes of the line formats: the value of a hex digit (0-15)
 * or one of these. */
#define CC_OTHER 16
#define CC_SEP 17      /* blank, tab, comma, \v, \f, \r */
extern const signed char fmt_cclass[256];
/* Hex digit value or -1. */
static inline int hexval(int c)
{
	int v = fmt_cclass[c & 0xFF];
	return v < 16 ? v : -1;
}
static inline int fmt_is_sep(char c)
{
	return fmt_cclass[(unsigned char)c] == CC_SEP;
}
/* "ump" words: 1-8 hex digits, optional 0x. Returns 0 or -1. */
int parse_word(const char *s, size_t n, uint32_t *w);

/* Per-format line handlers: the line without its newline (a trailing CR
 * removed), its number. Return 0, the callback's value, or a negative
 * status with e set. */
int ump_line(midi_reader *r, const char *s, size_t n, int lineno, emitter *em, midi_error *e);
int hex_line(midi_reader *r, const char *s, size_t n, int lineno, emitter *em, midi_error *e);
int hex_end(midi_reader *r, emitter *em, midi_error *e);
int bin_feed(midi_reader *r, const uint8_t *b, size_t n, emitter *em, midi_error *e);
int bin_end(midi_reader *r, emitter *em, midi_error *e);
int text_init(midi_reader *r);
void text_free(midi_reader *r);
int text_line(midi_reader *r, const char *s, size_t n, int lineno, emitter *em, midi_error *e);
int text_end(midi_reader *r, int lineno, int col, emitter *em, midi_error *e);
/* read_text_fast.c: a whole "grp G ch C VERB ARGS" line of one MIDI 1.0
 * channel voice message, as the text printer writes it: 1 with the group
 * and channel (wire values) and the packet, 0 for any other line. */
int text_fast_line(const char *s, size_t n, unsigned *group, unsigned *channel, midi_ump *out);
int smf_end(midi_reader *r, emitter *em, midi_error *e);

/* ---- printing ---- */
typedef struct sx_hold {
	midi_packet *pk;        /* packets held (text) */
	size_t n, cap;
	uint8_t *data;          /* payload bytes so far (hex/bin) */
	size_t len, dcap;
	uint64_t time_ns;       /* of the first packet */
	uint8_t open;           /* a Start was seen, End not yet */
	uint8_t spill;          /* text: too long, printing packet by packet */
	uint8_t stream_id;      /* SysEx8 */
} sx_hold;

struct midi_printer {
	midi_format fmt;
	unsigned flags;
	uint64_t base_ns;
	int based;              /* MIDI_PRINT_FROM_FIRST: base_ns is the first message's time */
	uint64_t last_ns;       /* last time printed: printed times never go back */
	midi_u2b u2b;
	sx_hold sx7[16], sx8[16];
	char *buf;              /* line being built (after the batched lines) */
	size_t len, cap;
	size_t base;            /* where the line starts: lines before it wait for one write */
	FILE *batch;            /* midi_printer_put_many: where batched lines go (else NULL) */
	int oom;
	midi_smf_writer *smf;   /* smf */
};

/* Line building: append to pr->buf (grows; sets pr->oom on failure). */
static inline void pr_reset(midi_printer *pr)
{
	pr->len = pr->base;
	if (pr->buf)
		pr->buf[pr->len] = 0;
}
void pr_add(midi_printer *pr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Room for n more bytes (and a NUL) in pr->buf: 0, or -1 with pr->oom set. */
int pr_reserve(midi_printer *pr, size_t n);
/* The slow path of pr_addn: grow, then append. */
void pr_addn_grow(midi_printer *pr, const char *s, size_t n);
/* Append n bytes. Inline: the json and text printers call it dozens of
 * times a packet, mostly with a few constant bytes. */
static inline void pr_addn(midi_printer *pr, const char *s, size_t n)
{
	if (pr->len + n + 1 > pr->cap) {
		pr_addn_grow(pr, s, n);
		return;
	}
	memcpy(pr->buf + pr->len, s, n);
	pr->len += n;
	pr->buf[pr->len] = 0;
}
/* sep (if not 0) then v in decimal. */
void pr_u(midi_printer *pr, char sep, unsigned long long v);
/* sep (if not 0) then w as 8 uppercase hex digits. */
void pr_hex32(midi_printer *pr, char sep, uint32_t w);
/* The bytes as uppercase hex pairs separated by blanks ("90 3C 64"), with
 * a blank before the first one too if lead. */
void pr_hexbytes(midi_printer *pr, const uint8_t *b, size_t n, int lead);

/* json_str.c: JSON string literals (escaped, invalid UTF-8 -> U+FFFD). */
typedef void (*fmt_put_fn)(void *ctx, const char *s, size_t n);
/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
size_t fmt_utf8_len(const unsigned char *s, size_t n);
void fmt_json_string(fmt_put_fn put, void *ctx, const char *s, size_t n);
/* Batched lines go out at once when this many bytes wait. */
#define PR_BATCH_BYTES 8192
/* Write the batched lines (buf up to base) at once. 0 or a negative status. */
int pr_batch_out(midi_printer *pr);
/* The line (pr->buf) and a newline to out, or kept with the batched lines
 * (midi_printer_put_many). 0 or a negative status (out of memory, write
 * error). Inline: the common case, a line kept, is a few stores. */
int pr_flush_line_slow(midi_printer *pr, FILE *out);
static inline int pr_flush_line(midi_printer *pr, FILE *out)
{
	if (pr->batch && !pr->oom && pr->len + 2 <= pr->cap) { /* kept for one write of many lines */
		pr->buf[pr->len++] = '\n';
		pr->buf[pr->len] = 0;
		pr->base = pr->len;
		return pr->base < PR_BATCH_BYTES ? 0 : pr_batch_out(pr);
	}
	return pr_flush_line_slow(pr, out);
}
/* "@S.NNNNNNs " when MIDI_PRINT_TIME is set (never less than the last one). */
void pr_time_put(midi_printer *pr, uint64_t time_ns);
static inline void pr_time(midi_printer *pr, uint64_t time_ns)
{
	if (pr->flags & MIDI_PRINT_TIME)
		pr_time_put(pr, time_ns);
}

/* The text-format line for one packet alone (no time prefix, no newline):
 * appended to pr->buf. SysEx7/SysEx8 Complete packets in canonical form
 * give "syx"/"syx8" lines; anything without a text form gives
 * "ump WORDS  # description". */
void text_packet_line(midi_printer *pr, const midi_ump *p);
/* The same of p decoded as *m, canonical or not (ump/ump_priv.h). */
struct midi_msg;
void text_msg_line(midi_printer *pr, const midi_ump *p, const struct midi_msg *m, int canonical);
void text_ump_line(midi_printer *pr, const midi_ump *p);

int print_ump(midi_printer *pr, const midi_packet *p, FILE *out);
int print_text(midi_printer *pr, const midi_packet *p, FILE *out);
int print_text_end(midi_printer *pr, FILE *out);
int print_bytes(midi_printer *pr, const midi_packet *p, FILE *out);
int print_bytes_end(midi_printer *pr, FILE *out);
int print_json(midi_printer *pr, const midi_packet *p, FILE *out);
int print_smf(midi_printer *pr, const midi_packet *p);
int print_smf_end(midi_printer *pr, FILE *out);

void sx_hold_clear(sx_hold *h);
void sx_hold_free(sx_hold *h);
int sx_hold_add_packet(sx_hold *h, const midi_packet *p);
int sx_hold_add_bytes(sx_hold *h, const uint8_t *b, size_t n);

/* Input quoted in an error message ("%s" with QUOTED(s, n)): its first
 * QUOTE_MAX bytes, escaped for the terminal (midi/text.h), a NUL shown as
 * \x00 instead of ending the text. The buffer is a compound literal of
 * the caller's block, valid for the whole call. */
#define QUOTE_MAX 40
#define QUOTED(s, n) fmt_quote((char[4 * QUOTE_MAX + 1]){0}, (s), (n))
static inline const char *fmt_quote(char *buf, const char *s, size_t n)
{
	midi_text_escape(buf, 4 * QUOTE_MAX + 1, s, n > QUOTE_MAX ? QUOTE_MAX : n);
	return buf;
}

#endif
