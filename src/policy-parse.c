/*
 * policy-parse.c - the policy language (docs/policy.md): tokenizer,
 * parser and compiler.
 *
 * Policy text is untrusted (a file, or a version pushed to Redis by
 * anyone with access): every token is checked, every error is reported
 * as "file:line:col: message" and parsing goes on after it, so one run
 * shows all of them; a policy with any error is freed, never returned.
 * Sizes are bounded (text, include depth, trie nodes).
 *
 * The text is split into tokens first (words, "strings", braces and
 * parentheses, with their line and column); a recursive descent parser
 * then reads statements.  Sets are compiled into the lookup structures
 * of policy-int.h as their members are read; references to named sets
 * are resolved when the whole policy (includes too) has been read, so a
 * rule may name a set defined further down.  Last, every rule is indexed
 * under each (event, intent) pair it can match, and under its guard in the
 * guard index (see pol_index()).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy-int.h"
#include "util-file.h"
#include "util-json.h"
#include "util-mem.h"
#include "util-cidr.h"
#include "util-log.h"
#include "util-sha256.h"

#ifndef APN_DATADIR
#define APN_DATADIR "/usr/local/share/apnwatch"
#endif

#define POL_TEXT_MAX       (64u << 20) /* bytes of one file */
#define POL_INCLUDE_DEPTH  8           /* files open at once under the top one */
#define POL_ERRORS_PRINTED 100         /* then only counted */
#define POL_TRIE_NODES_MAX (1u << 22)  /* 4M nodes (48 MiB) per policy */
#define POL_NEST_MAX       64          /* parentheses and "not" in a condition */
#define POL_ID_MAX         64          /* rule ids and set names */
#define POL_TEXT_VALUE_MAX 512         /* names, descriptions */
#define POL_THRESHOLD_MAX  1000000u
#define POL_DURATION_MAX   (30ull * 86400 * 1000000) /* 30 days */

const struct pol_field_info pol_fields[F__MAX] = {
	[F_INTENT] = {"intent", PT_INTENT, 0},
	[F_CONFIDENCE] = {"confidence", PT_CONFIDENCE, 0},
	[F_EVENT] = {"event", PT_EVENT, 0},
	[F_VENDOR_NAME] = {"vendor.name", PT_NAME, 0},
	[F_VENDOR_COUNTRY] = {"vendor.country", PT_COUNTRY, 0},
	[F_SERVER_COUNTRY] = {"server.country", PT_COUNTRY, 0},
	[F_SERVER_ASN] = {"server.asn", PT_ASN, 0},
	[F_SERVER_DOMAIN] = {"server.domain", PT_DOMAIN, 0},
	[F_SERVER_IP] = {"server.ip", PT_PREFIX, 0},
	[F_DEVICE_IP] = {"device.ip", PT_PREFIX, 0},
	[F_DEVICE_MAKER] = {"device.maker", PT_NAME, 0},
	[F_DEVICE_MODEL] = {"device.model", PT_NAME, 0},
	[F_DEVICE_TAC] = {"device.tac", PT_TAC, 0},
	[F_DEVICE_APN] = {"device.apn", PT_NAME, 0},
	[F_DEVICE_IMSI] = {"device.imsi", PT_IMSI, 0},
	[F_DEVICE_IMEI] = {"device.imei", PT_NAME, 0},
	[F_DEVICE] = {"device", PT_DEVICE, 0},
	[F_FIRMWARE_HASH] = {"firmware.hash", PT_SHA256, 1},
	[F_FIRMWARE_NAME] = {"firmware.name", PT_NAME, 1},
	[F_PROTOCOL] = {"protocol", PT_NAME, 0},
	[F_ANY] = {"any", PT__MAX, 0},
};

const char *const pol_type_names[PT__MAX] = {
	[PT_COUNTRY] = "country",
	[PT_ASN] = "asn",
	[PT_SHA256] = "sha256",
	[PT_DOMAIN] = "domain",
	[PT_PREFIX] = "prefix",
	[PT_TAC] = "tac",
	[PT_IMSI] = "imsi",
	[PT_NAME] = "name",
	[PT_INTENT] = "intent",
	[PT_DEVICE] = "device",
	[PT_CONFIDENCE] = "confidence",
	[PT_EVENT] = "event",
};

/* What a campaign may group by. */
static const enum pol_field group_fields[] = {
	F_SERVER_IP,   F_SERVER_DOMAIN, F_SERVER_ASN,    F_SERVER_COUNTRY,
	F_VENDOR_NAME, F_FIRMWARE_HASH, F_FIRMWARE_NAME,
};

static const char *const top_keywords[] = {"include", "set", "rule", "campaign", NULL};
static const char *const body_keywords[] = {"when",        "alert", "allow",   "block", "dedup",
					    "description", "group", "devices", NULL};

/* ---- small helpers -------------------------------------------------- */


static void *grow(void *arr, size_t *cap, size_t need, size_t elsz)
{
	if (need <= *cap)
		return arr;
	size_t c = *cap ? *cap : 8;
	while (c < need)
		c *= 2;
	*cap = c;
	return xrealloc(arr, c * elsz);
}

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* ---- lookup structures ---------------------------------------------- */

/* FNV-1a without case. */
uint32_t pol_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)tolower((unsigned char)s[i])) * 16777619u;
	return h;
}

static void strset_put(struct pol_strset *t, const char *s, size_t len, uint32_t h, const void *val)
{
	size_t m = t->cap - 1, i = h & m;
	while (t->v[i].s)
		i = (i + 1) & m;
	t->v[i].s = s;
	t->v[i].len = (uint32_t)len;
	t->v[i].h = h;
	t->v[i].val = val;
	t->n++;
}

static const struct pol_sent *strset_find(const struct pol_strset *t, const char *s, size_t len)
{
	if (!t->cap)
		return NULL;
	uint32_t h = pol_hash(s, len);
	size_t m = t->cap - 1;
	for (size_t i = h & m; t->v[i].s; i = (i + 1) & m)
		if (t->v[i].h == h && t->v[i].len == len && strncasecmp(t->v[i].s, s, len) == 0)
			return &t->v[i];
	return NULL;
}

int pol_strset_has(const struct pol_strset *t, const char *s, size_t len)
{
	return strset_find(t, s, len) != NULL;
}

/* Adds s (len bytes) unless present.  Returns 1 when added. */
static int strset_add(struct pol_strset *t, const char *s, size_t len, const void *val)
{
	if (strset_find(t, s, len))
		return 0;
	if ((t->n + 1) * 2 > t->cap) {
		struct pol_strset old = *t;
		t->cap = old.cap ? old.cap * 2 : 16;
		t->v = xcalloc(t->cap, sizeof(*t->v));
		t->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.v[i].s)
				strset_put(t, old.v[i].s, old.v[i].len, old.v[i].h, old.v[i].val);
		free(old.v);
	}
	strset_put(t, s, len, pol_hash(s, len), val);
	return 1;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

int pol_numset_has(const struct pol_numset *t, uint64_t v)
{
	if (!t->cap)
		return 0;
	size_t m = t->cap - 1;
	for (size_t i = mix64(v) & m; t->v[i] != POL_NUM_EMPTY; i = (i + 1) & m)
		if (t->v[i] == v)
			return 1;
	return 0;
}

static void numset_put(struct pol_numset *t, uint64_t v)
{
	size_t m = t->cap - 1, i = mix64(v) & m;
	while (t->v[i] != POL_NUM_EMPTY)
		i = (i + 1) & m;
	t->v[i] = v;
	t->n++;
}

static int numset_add(struct pol_numset *t, uint64_t v)
{
	if (pol_numset_has(t, v))
		return 0;
	if ((t->n + 1) * 2 > t->cap) {
		struct pol_numset old = *t;
		t->cap = old.cap ? old.cap * 2 : 16;
		t->v = xrealloc(NULL, t->cap * sizeof(*t->v));
		memset(t->v, 0xff, t->cap * sizeof(*t->v));
		t->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.v[i] != POL_NUM_EMPTY)
				numset_put(t, old.v[i]);
		free(old.v);
	}
	numset_put(t, v);
	return 1;
}

static int addr_bit(const struct ip_addr *a, unsigned i)
{
	return (a->a[i / 8] >> (7 - i % 8)) & 1;
}

int pol_trie_has(const struct pol_set *st, const struct ip_addr *a)
{
	if (!st->trie || (a->family != 4 && a->family != 6))
		return 0;
	unsigned bits = a->family == 4 ? 32 : 128;
	uint32_t n = a->family == 4 ? 0 : 1;
	for (unsigned i = 0;; i++) {
		if (st->trie[n].term)
			return 1;
		if (i == bits || (n = st->trie[n].kid[addr_bit(a, i)]) == 0)
			return 0;
	}
}

int pol_country_index(const char *cc)
{
	if (!cc || !isalpha((unsigned char)cc[0]) || !isalpha((unsigned char)cc[1]) || cc[2])
		return -1;
	int a = toupper((unsigned char)cc[0]) - 'A', b = toupper((unsigned char)cc[1]) - 'A';
	if (a < 0 || a > 25 || b < 0 || b > 25)
		return -1;
	return a * 26 + b;
}

int pol_domain_has(const struct pol_set *st, const char *name)
{
	size_t len = strlen(name);
	if (len && name[len - 1] == '.')
		len--;
	if (!len)
		return 0;
	if (pol_strset_has(&st->strs, name, len))
		return 1;
	if (!st->suffixes.n)
		return 0;
	/* The name itself and every dot-suffix: one probe per label. */
	for (size_t i = 0; i < len; i++) {
		if (i && name[i - 1] != '.')
			continue;
		if (pol_strset_has(&st->suffixes, name + i, len - i))
			return 1;
	}
	return 0;
}

int pol_imsi_has(const struct pol_set *st, const char *imsi)
{
	size_t len = strlen(imsi);
	for (size_t n = 1; n <= 15 && n <= len; n++)
		if ((st->imsi_lens >> n) & 1 && pol_strset_has(&st->imsi, imsi, n))
			return 1;
	return 0;
}

/* ---- tokens ---------------------------------------------------------- */

enum tkind { TK_EOF = 0, TK_WORD, TK_STR, TK_LBRACE, TK_RBRACE, TK_LPAREN, TK_RPAREN };

struct ptok {
	enum tkind kind;
	unsigned line, col;
	char *s; /* NUL-terminated, in the file's block */
};

struct pfile {
	const char *path; /* as errors name it */
	char *dir;        /* where its includes are looked for; NULL: none */
	struct ptok *t;
	size_t n, pos;
};

struct setref {
	struct pol_expr *e;
	const char *name;
	const char *file;
	unsigned line, col;
};

/* An error, kept until the end so that they print in file and line order
 * (the tokenizer, the parser and the reference check find them in three
 * passes). */
struct perror {
	size_t file, seq; /* file: index in pcomp.files */
	unsigned line, col;
	char *text; /* "file:line:col: message" */
};

struct pcomp {
	struct policy *p;
	FILE *errs;
	int nerr;
	struct perror *ev;
	size_t n_ev, cap_ev;
	const char **files; /* paths in the order the files were opened */
	size_t n_files, cap_files;
	struct pfile *f;
	int depth;
	char *stack[POL_INCLUDE_DEPTH + 2]; /* real paths of the files being read */
	char **done;                        /* files read to the end */
	size_t n_done, cap_done;
	struct pol_strset set_names; /* val: struct pol_set * */
	struct pol_strset rule_ids;  /* val: rule number + 1 */
	struct setref *refs;
	size_t n_refs, cap_refs;
	int nest;     /* of the condition being read */
	char **paths; /* file names the policy keeps */
};

static void perr_at(struct pcomp *C, const char *file, unsigned line, unsigned col, const char *fmt,
		    ...) __attribute__((format(printf, 5, 6)));
static void perr_at(struct pcomp *C, const char *file, unsigned line, unsigned col, const char *fmt,
		    ...)
{
	char msg[1024];
	size_t fi = 0;
	C->nerr++;
	if (!C->errs || C->n_ev >= 10 * POL_ERRORS_PRINTED)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	while (fi < C->n_files && C->files[fi] != file && strcmp(C->files[fi], file))
		fi++;
	C->ev = grow(C->ev, &C->cap_ev, C->n_ev + 1, sizeof(*C->ev));
	struct perror *e = &C->ev[C->n_ev];
	e->file = fi;
	e->seq = C->n_ev++;
	e->line = line;
	e->col = col;
	size_t n = strlen(file) + strlen(msg) + 48;
	e->text = xrealloc(NULL, n);
	snprintf(e->text, n, "%s:%u:%u: %s", file, line, col, msg);
}

static int perror_cmp(const void *a, const void *b)
{
	const struct perror *x = a, *y = b;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Prints the errors in order, at most POL_ERRORS_PRINTED. */
static void perr_flush(struct pcomp *C)
{
	if (C->n_ev)
		qsort(C->ev, C->n_ev, sizeof(*C->ev), perror_cmp);
	for (size_t i = 0; i < C->n_ev; i++) {
		if (i < POL_ERRORS_PRINTED)
			fprintf(C->errs, "%s\n", C->ev[i].text);
		free(C->ev[i].text);
	}
	if (C->nerr > POL_ERRORS_PRINTED && C->errs)
		fprintf(C->errs, "%s: %d more errors not shown\n", C->files[0],
			C->nerr - POL_ERRORS_PRINTED);
	free(C->ev);
	free(C->files);
}
#define perr(C, tok, ...) perr_at((C), (C)->f->path, (tok)->line, (tok)->col, __VA_ARGS__)

static int word_char(unsigned char c)
{
	return c > ' ' && c != '{' && c != '}' && c != '(' && c != ')' && c != '"' && c != 0x7f;
}

/* Splits text into f's tokens; token text is copied, NUL-terminated, into
 * a block the policy keeps (set members point into it).  Reports bad
 * bytes and quoting, and goes on. */
static void tokenize(struct pcomp *C, struct pfile *f, const char *text, size_t len)
{
	char *out = xrealloc(NULL, 2 * len + 2);
	size_t cap = 0;
	unsigned line = 1;
	size_t bol = 0; /* offset of the line's first byte */
	size_t i = 0;
	C->p->blocks = grow(C->p->blocks, &C->p->cap_blocks, C->p->n_blocks + 1, sizeof(char *));
	C->p->blocks[C->p->n_blocks++] = out;

	while (i < len) {
		unsigned char c = (unsigned char)text[i];
		unsigned col = (unsigned)(i - bol + 1);
		struct ptok tk = {TK_EOF, line, col, NULL};
		if (c == '\n') {
			line++;
			bol = ++i;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			i++;
			continue;
		}
		if (c == '#') {
			while (i < len && text[i] != '\n')
				i++;
			continue;
		}
		if (c < ' ' || c == 0x7f) {
			perr_at(C, f->path, line, col, "control character 0x%02x", c);
			i++;
			continue;
		}
		if (c >= 0x80 && utf8_len((const unsigned char *)text + i, len - i) == 0) {
			perr_at(C, f->path, line, col, "not UTF-8");
			i++;
			continue;
		}
		tk.s = out;
		if (c == '{' || c == '}' || c == '(' || c == ')') {
			tk.kind = c == '{'   ? TK_LBRACE
				  : c == '}' ? TK_RBRACE
				  : c == '(' ? TK_LPAREN
					     : TK_RPAREN;
			*out++ = (char)c;
			i++;
		} else if (c == '"') {
			int ok = 0;
			tk.kind = TK_STR;
			for (i++; i < len && text[i] != '\n'; i++) {
				unsigned char d = (unsigned char)text[i];
				if (d == '"') {
					ok = 1;
					i++;
					break;
				}
				if (d == '\\' && i + 1 < len &&
				    (text[i + 1] == '"' || text[i + 1] == '\\'))
					d = (unsigned char)text[++i];
				else if (d < ' ' && d != '\t') {
					perr_at(C, f->path, line, (unsigned)(i - bol + 1),
						"control character 0x%02x", d);
					continue;
				} else if (d >= 0x80) {
					size_t n =
						utf8_len((const unsigned char *)text + i, len - i);
					if (n == 0) {
						perr_at(C, f->path, line, (unsigned)(i - bol + 1),
							"not UTF-8");
						continue;
					}
					while (--n)
						*out++ = text[i++];
					d = (unsigned char)text[i];
				}
				*out++ = (char)d;
			}
			if (!ok) /* kept as if closed at the end of the line */
				perr_at(C, f->path, line, col, "unterminated quote");
			if (i < len && word_char((unsigned char)text[i])) {
				perr_at(C, f->path, line, (unsigned)(i - bol + 1),
					"text right after a closing quote");
				while (i < len && word_char((unsigned char)text[i]))
					i++;
			}
		} else {
			tk.kind = TK_WORD;
			while (i < len && (word_char((unsigned char)text[i]))) {
				size_t n = utf8_len((const unsigned char *)text + i, len - i);
				if (n == 0)
					break; /* reported as the next token */
				while (n--)
					*out++ = text[i++];
			}
			if (i < len && text[i] == '"') {
				perr_at(C, f->path, line, (unsigned)(i - bol + 1),
					"quote inside a word");
				/* the rest up to the closing quote belongs to the bad word */
				for (i++; i < len && text[i] != '"' && text[i] != '\n'; i++)
					;
				if (i < len && text[i] == '"')
					i++;
			}
		}
		*out++ = '\0';
		f->t = grow(f->t, &cap, f->n + 2, sizeof(*f->t));
		f->t[f->n++] = tk;
	}
	f->t = grow(f->t, &cap, f->n + 1, sizeof(*f->t));
	f->t[f->n] = (struct ptok){TK_EOF, line, (unsigned)(i - bol + 1), (char *)""};
}

static struct ptok *peek(struct pcomp *C) { return &C->f->t[C->f->pos]; }
static struct ptok *peek2(struct pcomp *C)
{
	return C->f->pos < C->f->n ? &C->f->t[C->f->pos + 1] : &C->f->t[C->f->n];
}
static struct ptok *next(struct pcomp *C)
{
	struct ptok *t = &C->f->t[C->f->pos];
	if (C->f->pos < C->f->n)
		C->f->pos++;
	return t;
}
/* Gives back t, the token next() returned (next() stays on the end). */
static void unget(struct pcomp *C, const struct ptok *t)
{
	if (t->kind != TK_EOF)
		C->f->pos--;
}
static int is_word(const struct ptok *t, const char *w)
{
	return t->kind == TK_WORD && !strcmp(t->s, w);
}
static int is_top(const struct ptok *t)
{
	return t->kind == TK_WORD && in_list(t->s, top_keywords);
}
static int is_body(const struct ptok *t)
{
	return t->kind == TK_WORD && in_list(t->s, body_keywords);
}

/* The next token when it can be a value (a word that is no keyword, or a
 * string), consumed; else NULL and nothing consumed. */
static struct ptok *take_value(struct pcomp *C)
{
	struct ptok *t = peek(C);
	if (t->kind == TK_STR || (t->kind == TK_WORD && !is_top(t) && !is_body(t)))
		return next(C);
	return NULL;
}

/* How an error message shows a token. */
static const char *shown(const struct ptok *t) { return t->kind == TK_EOF ? "end of file" : t->s; }

/* Skips a { ... } block (the "{" is next), nested ones included. */
static void skip_block(struct pcomp *C)
{
	int depth = 0;
	do {
		struct ptok *t = next(C);
		if (t->kind == TK_LBRACE)
			depth++;
		else if (t->kind == TK_RBRACE)
			depth--;
		else if (t->kind == TK_EOF)
			return;
	} while (depth > 0);
}

/* After an error at the top level: on to the next statement. */
static void sync_top(struct pcomp *C)
{
	while (peek(C)->kind != TK_EOF && !is_top(peek(C))) {
		if (peek(C)->kind == TK_LBRACE)
			skip_block(C);
		else
			next(C);
	}
}

/* After an error in a rule: on to its next statement, its "}" or the
 * next top-level statement. */
static void sync_body(struct pcomp *C)
{
	for (;;) {
		struct ptok *t = peek(C);
		if (t->kind == TK_EOF || t->kind == TK_RBRACE || is_top(t) || is_body(t))
			return;
		if (t->kind == TK_LBRACE)
			skip_block(C);
		else
			next(C);
	}
}

/* ---- values ------------------------------------------------------------ */

static int all_digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);
	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* A decimal number 1..max.  Returns 0, or -1. */
static int parse_num(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	if (!*s || strlen(s) > 20)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > max)
			return -1;
	}
	if (x == 0)
		return -1;
	*v = x;
	return 0;
}

/* "30s", "5m", "1h", "1d", "1h30m".  Returns 0, or -1. */
static int parse_duration(const char *s, uint64_t *us)
{
	uint64_t total = 0;
	if (!*s)
		return -1;
	while (*s) {
		uint64_t n = 0, unit;
		if (!isdigit((unsigned char)*s))
			return -1;
		for (; isdigit((unsigned char)*s); s++) {
			n = n * 10 + (uint64_t)(*s - '0');
			if (n > 30ull * 86400)
				return -1;
		}
		switch (*s++) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: return -1;
		}
		total += n * unit * 1000000;
		if (total > POL_DURATION_MAX)
			return -1;
	}
	if (total == 0)
		return -1;
	*us = total;
	return 0;
}

static int parse_severity(const char *s)
{
	static const struct {
		const char *w;
		int v;
	} sev[] = {{"low", 21}, {"medium", 47}, {"high", 73}, {"critical", 99}};
	uint64_t v;
	for (size_t i = 0; i < sizeof(sev) / sizeof(sev[0]); i++)
		if (!strcmp(s, sev[i].w))
			return sev[i].v;
	if (parse_num(s, 100, &v) == 0)
		return (int)v;
	return -1;
}

/* A domain name or a suffix without its "*." / "." (len bytes of s). */
static int domain_ok(const char *s, size_t len)
{
	size_t label = 0;
	if (len == 0 || len > 253)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0;
}

static int id_ok(const char *s, int first_digit_ok)
{
	size_t n = strlen(s);
	if (n == 0 || n > POL_ID_MAX ||
	    (!first_digit_ok && !isalpha((unsigned char)s[0]) && s[0] != '_'))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '_' && c != '-' && c != '.')
			return 0;
	}
	return 1;
}

static int trie_add(struct pcomp *C, struct pol_set *st, const struct cidr *c)
{
	if (!st->trie) {
		st->trie_cap = 64;
		st->trie = xcalloc(st->trie_cap, sizeof(*st->trie));
		st->trie_n = 2;
	}
	uint32_t n = c->net.family == 4 ? 0 : 1;
	for (unsigned i = 0; i < c->bits; i++) {
		int b = addr_bit(&c->net, i);
		if (st->trie[n].term)
			return 0; /* a shorter prefix already covers it */
		if (st->trie[n].kid[b] == 0) {
			if (C->p->trie_nodes >= POL_TRIE_NODES_MAX)
				return -1;
			if (st->trie_n == st->trie_cap) {
				st->trie_cap *= 2;
				st->trie = xrealloc(st->trie, st->trie_cap * sizeof(*st->trie));
			}
			memset(&st->trie[st->trie_n], 0, sizeof(*st->trie));
			st->trie[n].kid[b] = st->trie_n++;
			C->p->trie_nodes++;
		}
		n = st->trie[n].kid[b];
	}
	st->trie[n].term = 1;
	return 0;
}

static struct pol_set *set_new(struct pcomp *C, const char *name, enum pol_type type,
			       const struct ptok *at)
{
	struct policy *p = C->p;
	struct pol_set *st = xcalloc(1, sizeof(*st));
	st->name = name;
	st->type = type;
	st->file = C->f->path;
	st->line = at->line;
	st->col = at->col;
	p->sets = grow(p->sets, &p->cap_sets, p->n_sets + 1, sizeof(*p->sets));
	p->sets[p->n_sets++] = st;
	return st;
}

static const char *const intent_words = "fota, device_management, telemetry, location, "
					"gnss_assist, cloud, other";

static int add_prefix(struct pcomp *C, struct pol_set *st, const struct ptok *t)
{
	struct cidr c;
	const char *why = NULL;
	struct ip_addr raw;
	char addr[64];
	if (cidr_parse(t->s, &c, &why) < 0) {
		perr(C, t, "bad prefix \"%s\" (%s)", t->s, why ? why : "not an address");
		return -1;
	}
	/* cidr_parse clears host bits; here they are an error, as in the
	 * catalog: "10.0.0.1/8" is more likely a typo than a wish. */
	snprintf(addr, sizeof(addr), "%.*s", (int)strcspn(t->s, "/"), t->s);
	if (ip_addr_parse(addr, &raw) == 0 && memcmp(raw.a, c.net.a, 16) != 0) {
		perr(C, t, "bad prefix \"%s\" (bits set past the length)", t->s);
		return -1;
	}
	if (trie_add(C, st, &c) < 0) {
		perr(C, t, "too many address prefixes (over %u trie nodes in the policy)",
		     POL_TRIE_NODES_MAX);
		return -1;
	}
	return 0;
}

static int add_tac(struct pcomp *C, struct pol_set *st, const struct ptok *t)
{
	if (!all_digits(t->s, 8, 8)) {
		perr(C, t, "bad TAC \"%s\" (8 digits)", t->s);
		return -1;
	}
	numset_add(&st->nums, strtoull(t->s, NULL, 10));
	return 0;
}

static int add_imsi(struct pcomp *C, struct pol_set *st, const struct ptok *t)
{
	size_t n = strlen(t->s);
	if (!all_digits(t->s, 1, 15)) {
		perr(C, t, "bad IMSI prefix \"%s\" (1 to 15 digits)", t->s);
		return -1;
	}
	strset_add(&st->imsi, t->s, n, NULL);
	st->imsi_lens |= (uint16_t)(1u << n);
	return 0;
}

/* One member of a set of type st->type (t: its token; device members
 * take two tokens, the second read here).  Reports and returns -1 when
 * bad. */
static int add_member(struct pcomp *C, struct pol_set *st, struct ptok *t)
{
	char *s = t->s;
	size_t n = strlen(s);
	uint64_t v;
	int k;

	switch (st->type) {
	case PT_COUNTRY:
		if (n != 2 || !isupper((unsigned char)s[0]) || !isupper((unsigned char)s[1]) ||
		    (k = pol_country_index(s)) < 0) {
			perr(C, t, "bad country \"%s\" (two capital letters, ISO 3166-1 alpha-2)",
			     s);
			return -1;
		}
		st->country[k / 8] |= (uint8_t)(1u << (k % 8));
		break;
	case PT_ASN:
		if (!strncasecmp(s, "AS", 2))
			s += 2;
		if (parse_num(s, UINT32_MAX, &v) < 0) {
			perr(C, t, "bad ASN \"%s\" (1 to 4294967295, \"AS\" optional)", t->s);
			return -1;
		}
		numset_add(&st->nums, v);
		break;
	case PT_SHA256:
		if (n != 64 || strspn(s, "0123456789abcdefABCDEF") != 64) {
			perr(C, t, "bad SHA-256 \"%s\" (64 hex digits)", s);
			return -1;
		}
		lower(s);
		strset_add(&st->strs, s, n, NULL);
		break;
	case PT_DOMAIN: {
		int suffix = 0;
		if (!strncmp(s, "*.", 2)) {
			s += 2;
			suffix = 1;
		} else if (s[0] == '.') {
			s += 1;
			suffix = 1;
		}
		n = strlen(s);
		if (n && s[n - 1] == '.')
			s[--n] = '\0';
		if (!domain_ok(s, n)) {
			perr(C, t, "bad domain \"%s\" (a host name, or *.suffix)", t->s);
			return -1;
		}
		lower(s);
		strset_add(suffix ? &st->suffixes : &st->strs, s, n, NULL);
		break;
	}
	case PT_PREFIX: return add_prefix(C, st, t);
	case PT_TAC: return add_tac(C, st, t);
	case PT_IMSI: return add_imsi(C, st, t);
	case PT_NAME:
		if (n == 0 || n > POL_TEXT_VALUE_MAX) {
			perr(C, t, "bad name \"%s\" (1 to %d bytes)", s, POL_TEXT_VALUE_MAX);
			return -1;
		}
		lower(s);
		strset_add(&st->strs, s, n, NULL);
		break;
	case PT_INTENT:
		if ((k = intent_parse(s)) < 0) {
			perr(C, t, "bad intent \"%s\" (%s)", s, intent_words);
			return -1;
		}
		st->mask |= 1u << k;
		break;
	case PT_CONFIDENCE:
		k = !strcmp(s, "none")        ? CONF_NONE
		    : !strcmp(s, "probable")  ? CONF_PROBABLE
		    : !strcmp(s, "confirmed") ? CONF_CONFIRMED
					      : -1;
		if (k < 0) {
			perr(C, t, "bad confidence \"%s\" (none, probable, confirmed)", s);
			return -1;
		}
		st->mask |= 1u << k;
		break;
	case PT_EVENT:
		k = !strcmp(s, "flow") ? PEV_FLOW : !strcmp(s, "firmware") ? PEV_FIRMWARE : -1;
		if (k < 0) {
			perr(C, t, "bad event \"%s\" (flow, firmware)", s);
			return -1;
		}
		st->mask |= 1u << k;
		break;
	case PT_DEVICE: {
		struct ptok *val = peek(C);
		static const char *const kinds[] = {"apn", "imsi-prefix", "imsi", "address",
						    "tac", "imei",        NULL};
		if (t->kind != TK_WORD || !in_list(s, kinds)) {
			perr(C, t,
			     "bad device member \"%s\" (apn, imsi-prefix, address, tac or imei "
			     "followed by a value)",
			     s);
			if (val->kind == TK_WORD || val->kind == TK_STR)
				next(C); /* its value */
			return -1;
		}
		if (val->kind != TK_WORD && val->kind != TK_STR) {
			perr(C, val, "missing value after \"%s\"", s);
			return -1;
		}
		next(C);
		if (!strcmp(s, "address"))
			return add_prefix(C, st, val);
		if (!strcmp(s, "tac"))
			return add_tac(C, st, val);
		if (!strncmp(s, "imsi", 4))
			return add_imsi(C, st, val);
		if (!strcmp(s, "imei") && !all_digits(val->s, 14, 16)) {
			perr(C, val, "bad IMEI \"%s\" (14 to 16 digits)", val->s);
			return -1;
		}
		if (!val->s[0] || strlen(val->s) > POL_TEXT_VALUE_MAX) {
			perr(C, val, "bad APN \"%s\"", val->s);
			return -1;
		}
		/* APNs and IMEIs share the string table, told apart by a tag;
		 * the tag goes in front of the value, in the block. */
		{
			size_t vl = strlen(val->s), tl = strlen(s);
			char *k2 = xrealloc(NULL, tl + 1 + vl + 1);
			memcpy(k2, s, tl);
			k2[tl] = ':';
			memcpy(k2 + tl + 1, val->s, vl + 1);
			lower(k2);
			C->p->blocks = grow(C->p->blocks, &C->p->cap_blocks, C->p->n_blocks + 1,
					    sizeof(char *));
			C->p->blocks[C->p->n_blocks++] = k2;
			strset_add(&st->strs, k2, tl + 1 + vl, NULL);
		}
		break;
	}
	case PT__MAX: return -1;
	}
	return 0;
}

/* Reads "{ member ... }" (the "{" is next) into st. */
static void parse_members(struct pcomp *C, struct pol_set *st)
{
	struct ptok *open = next(C);
	for (;;) {
		struct ptok *t = peek(C);
		if (t->kind == TK_RBRACE) {
			next(C);
			return;
		}
		if (t->kind == TK_EOF || (t->kind == TK_WORD && is_top(t))) {
			perr(C, open, "unclosed \"{\"");
			return;
		}
		next(C);
		if (t->kind != TK_WORD && t->kind != TK_STR) {
			perr(C, t, "unexpected \"%s\" in a set", t->s);
			if (t->kind == TK_LBRACE) {
				C->f->pos--;
				skip_block(C);
			}
			continue;
		}
		if (add_member(C, st, t) == 0)
			st->members++;
	}
}

/* ---- expressions --------------------------------------------------------- */

static struct pol_expr *expr_new(enum pol_ekind kind, struct pol_expr *a, struct pol_expr *b)
{
	struct pol_expr *e = xcalloc(1, sizeof(*e));
	e->kind = kind;
	e->a = a;
	e->b = b;
	return e;
}

/* A stand-in for a test that had an error: the policy is refused anyway,
 * parsing goes on to find the next error. */
static struct pol_expr *expr_bad(void)
{
	struct pol_expr *e = expr_new(PE_TEST, NULL, NULL);
	e->field = F_ANY;
	return e;
}

static void expr_free(struct pol_expr *e)
{
	if (!e)
		return;
	expr_free(e->a);
	expr_free(e->b);
	free(e);
}

static int field_lookup(const char *s)
{
	for (int i = 0; i < F__MAX; i++)
		if (!strcmp(s, pol_fields[i].name))
			return i;
	return -1;
}

/* "confidence >= probable": the set of confidences the comparison takes. */
static int confidence_cmp(struct pcomp *C, struct pol_set *st, const char *op, struct ptok *v)
{
	struct pol_set tmp = {.type = PT_CONFIDENCE};
	int k = -1;
	if (add_member(C, &tmp, v) < 0)
		return -1;
	while (!((tmp.mask >> ++k) & 1))
		;
	for (int c = CONF_NONE; c <= CONF_CONFIRMED; c++) {
		int in = !strcmp(op, ">=")   ? c >= k
			 : !strcmp(op, ">")  ? c > k
			 : !strcmp(op, "<=") ? c <= k
					     : c < k;
		if (in)
			st->mask |= 1u << c;
	}
	return 0;
}

static struct pol_expr *parse_or(struct pcomp *C);

/* FIELD [op] VALUE, where op is in, not in, ==, !=, or (confidence)
 * >=, >, <=, <; no op means ==. */
static struct pol_expr *parse_test(struct pcomp *C)
{
	struct ptok *ft = peek(C);
	struct ptok *op, *v;
	int fi = field_lookup(ft->s);
	struct pol_expr *e;
	enum pol_type type;
	int negate = 0, in_form = 0;

	if (ft->kind != TK_WORD || is_body(ft) || is_top(ft)) {
		/* left to the rule's parser */
		perr(C, ft, "expected a field, got \"%s\"", shown(ft));
		return expr_bad();
	}
	next(C);
	if (fi == F_ANY) {
		e = expr_new(PE_TEST, NULL, NULL);
		e->field = F_ANY;
		return e;
	}
	op = peek(C);
	if (is_word(op, "not") && is_word(peek2(C), "in")) {
		next(C);
		next(C);
		negate = in_form = 1;
	} else if (is_word(op, "in")) {
		next(C);
		in_form = 1;
	} else if (op->kind == TK_LBRACE) {
		in_form = 1;
	} else if (is_word(op, "==") || is_word(op, "=") || is_word(op, "is")) {
		next(C);
	} else if (is_word(op, "!=")) {
		next(C);
		negate = 1;
	} else if (is_word(op, ">=") || is_word(op, ">") || is_word(op, "<=") || is_word(op, "<")) {
		next(C);
		if (fi != F_CONFIDENCE) {
			perr(C, op, "\"%s\" compares only confidence", op->s);
			fi = -2;
		}
	} else {
		op = NULL;
	}
	if (fi == -1)
		perr(C, ft, "unknown field \"%s\"", ft->s);
	v = peek(C);
	if (in_form) {
		if (v->kind == TK_LBRACE) {
			if (fi < 0) {
				skip_block(C);
				return expr_bad();
			}
			struct pol_set *st = set_new(C, NULL, pol_fields[fi].type, v);
			parse_members(C, st);
			e = expr_new(PE_TEST, NULL, NULL);
			e->field = (enum pol_field)fi;
			e->negate = negate;
			e->set = st;
			return e;
		}
		if (v->kind != TK_WORD || is_body(v) || is_top(v)) {
			perr(C, v, "expected a set name or \"{\" after \"in\", got \"%s\"",
			     shown(v));
			return expr_bad();
		}
		next(C);
		if (fi < 0)
			return expr_bad();
		e = expr_new(PE_TEST, NULL, NULL);
		e->field = (enum pol_field)fi;
		e->negate = negate;
		C->refs = grow(C->refs, &C->cap_refs, C->n_refs + 1, sizeof(*C->refs));
		C->refs[C->n_refs++] = (struct setref){e, v->s, C->f->path, v->line, v->col};
		return e;
	}
	/* One value. */
	if ((v->kind != TK_WORD && v->kind != TK_STR) ||
	    (v->kind == TK_WORD &&
	     (is_body(v) || is_top(v) || !strcmp(v->s, "and") || !strcmp(v->s, "or")))) {
		perr(C, v, "missing value after \"%s\"", op ? op->s : ft->s);
		return expr_bad();
	}
	next(C);
	if (fi < 0)
		return expr_bad();
	type = pol_fields[fi].type;
	if (type == PT_DEVICE) {
		perr(C, ft, "\"device\" takes a device set: device in NAME, or device in { ... }");
		return expr_bad();
	}
	struct pol_set *st = set_new(C, NULL, type, v);
	e = expr_new(PE_TEST, NULL, NULL);
	e->field = (enum pol_field)fi;
	e->negate = negate;
	e->set = st;
	if (op && op->s[0] != '=' && op->s[0] != '!' && strcmp(op->s, "is")) {
		if (confidence_cmp(C, st, op->s, v) == 0)
			st->members = 1;
	} else if (add_member(C, st, v) == 0) {
		st->members = 1;
	}
	return e;
}

static struct pol_expr *parse_unary(struct pcomp *C)
{
	struct ptok *t = peek(C);
	struct pol_expr *e;
	if ((is_word(t, "not") || t->kind == TK_LPAREN) && C->nest >= POL_NEST_MAX) {
		/* evaluation recurses as deep: bounded */
		perr(C, t, "condition nested deeper than %d", POL_NEST_MAX);
		sync_body(C);
		return expr_bad();
	}
	if (is_word(t, "not")) {
		next(C);
		C->nest++;
		e = expr_new(PE_NOT, parse_unary(C), NULL);
		C->nest--;
		return e;
	}
	if (t->kind == TK_LPAREN) {
		next(C);
		C->nest++;
		e = parse_or(C);
		C->nest--;
		if (peek(C)->kind == TK_RPAREN)
			next(C);
		else
			perr(C, peek(C), "expected \")\" for the \"(\" at %u:%u, got \"%s\"",
			     t->line, t->col, shown(peek(C)));
		return e;
	}
	return parse_test(C);
}

static struct pol_expr *parse_and(struct pcomp *C)
{
	struct pol_expr *e = parse_unary(C);
	while (is_word(peek(C), "and")) {
		next(C);
		e = expr_new(PE_AND, e, parse_unary(C));
	}
	return e;
}

static struct pol_expr *parse_or(struct pcomp *C)
{
	struct pol_expr *e = parse_and(C);
	while (is_word(peek(C), "or")) {
		next(C);
		e = expr_new(PE_OR, e, parse_and(C));
	}
	return e;
}

/* ---- statements ---------------------------------------------------------- */

static void parse_set(struct pcomp *C)
{
	struct ptok *kw = next(C), *name = peek(C), *type;
	int ti = -1;
	if (name->kind != TK_WORD || is_top(name)) {
		perr(C, kw, "expected a set name after \"set\"");
		sync_top(C);
		return;
	}
	next(C);
	type = peek(C);
	if (type->kind == TK_WORD) {
		next(C);
		for (int i = 0; i < PT_CONFIDENCE; i++)
			if (!strcmp(type->s, pol_type_names[i]))
				ti = i;
		if (ti < 0)
			perr(C, type,
			     "unknown set type \"%s\" (country, asn, sha256, domain, prefix, "
			     "tac, imsi, name, intent, device)",
			     type->s);
	} else {
		perr(C, type, "expected a set type after \"set %s\"", name->s);
	}
	if (peek(C)->kind != TK_LBRACE) {
		perr(C, peek(C), "expected \"{\" after \"set %s %s\", got \"%s\"", name->s,
		     type->kind == TK_WORD ? type->s : "", shown(peek(C)));
		sync_top(C);
		return;
	}
	if (!id_ok(name->s, 0)) {
		perr(C, name, "bad set name \"%s\" (a letter or _, then letters, digits, _ . -)",
		     name->s);
	}
	const struct pol_sent *dup = strset_find(&C->set_names, name->s, strlen(name->s));
	if (dup) {
		const struct pol_set *o = dup->val;
		perr(C, name, "duplicate set \"%s\" (first at %s:%u:%u)", name->s, o->file, o->line,
		     o->col);
	}
	/* A set with a bad type is still known by its name (type PT__MAX), so
	 * that rules naming it do not add "undefined set" errors. */
	struct pol_set *st = set_new(C, name->s, ti < 0 ? PT__MAX : (enum pol_type)ti, name);
	if (!dup)
		strset_add(&C->set_names, name->s, strlen(name->s), st);
	parse_members(C, st);
}

static void rule_action(struct pcomp *C, struct pol_rule *r, struct ptok *t, int *have)
{
	if (*have)
		perr(C, t, "rule \"%s\" has a second action \"%s\"", r->id, t->s);
	*have = 1;
	r->action = !strcmp(t->s, "alert")   ? POLICY_ALERT
		    : !strcmp(t->s, "allow") ? POLICY_ALLOW
					     : POLICY_BLOCK;
	r->severity = r->action == POLICY_ALERT ? 47 : r->action == POLICY_BLOCK ? 73 : 0;
	if (r->campaign && r->action != POLICY_ALERT)
		perr(C, t, "a campaign can only alert");
	if (is_word(peek(C), "severity")) {
		struct ptok *kw = next(C), *v = peek(C);
		if (r->action == POLICY_ALLOW)
			perr(C, kw, "\"allow\" takes no severity");
		if (v->kind != TK_WORD || is_body(v) || is_top(v)) {
			perr(C, v, "missing value after \"severity\"");
			return;
		}
		next(C);
		if ((r->severity = parse_severity(v->s)) < 0)
			perr(C, v, "bad severity \"%s\" (low, medium, high, critical, or 1 to 100)",
			     v->s);
	}
}

static void campaign_group(struct pcomp *C, struct pol_rule *r, struct ptok *kw)
{
	struct ptok *t;
	if (!is_word(peek(C), "by")) {
		perr(C, peek(C), "expected \"by\" after \"group\"");
		return;
	}
	next(C);
	t = next(C);
	if (t->kind == TK_WORD && !strcmp(t->s, "server"))
		r->group = F_SERVER_IP;
	else {
		int fi = t->kind == TK_WORD ? field_lookup(t->s) : -1;
		r->group = F__MAX;
		for (size_t i = 0; i < sizeof(group_fields) / sizeof(group_fields[0]); i++)
			if ((int)group_fields[i] == fi)
				r->group = group_fields[i];
	}
	if (r->group == F__MAX) {
		perr(C, t,
		     "cannot group by \"%s\" (server, server.ip, server.domain, server.asn, "
		     "server.country, vendor.name, firmware.hash, firmware.name)",
		     shown(t));
		r->group = F_SERVER_IP;
		if (t->kind != TK_WORD || is_body(t) || is_top(t))
			unget(C, t);
	}
	if (!r->campaign)
		perr(C, kw, "\"group\" belongs in a campaign, not a rule");
}

/* devices >= N within DURATION */
static void campaign_devices(struct pcomp *C, struct pol_rule *r, struct ptok *kw)
{
	struct ptok *op = peek(C), *n, *d;
	if (!r->campaign)
		perr(C, kw, "\"devices\" belongs in a campaign, not a rule");
	if (!is_word(op, ">=")) {
		perr(C, op, "expected \">=\" after \"devices\", got \"%s\"", shown(op));
		sync_body(C);
		return;
	}
	next(C);
	if (!(n = take_value(C))) {
		perr(C, peek(C), "missing device count after \">=\"");
		return;
	}
	if (n->kind != TK_WORD || parse_num(n->s, POL_THRESHOLD_MAX, &r->threshold) < 0)
		perr(C, n, "bad device count \"%s\" (1 to %u)", n->s, POL_THRESHOLD_MAX);
	if (!is_word(peek(C), "within")) {
		perr(C, peek(C), "expected \"within DURATION\" after the device count, got \"%s\"",
		     shown(peek(C)));
		sync_body(C);
		return;
	}
	next(C);
	if (!(d = take_value(C))) {
		perr(C, peek(C), "missing duration after \"within\"");
		return;
	}
	if (d->kind != TK_WORD || parse_duration(d->s, &r->window_us) < 0)
		perr(C, d, "bad duration \"%s\" (like 30s, 5m, 1h, 1d or 1h30m; at most 30d)",
		     d->s);
}

static void parse_rule(struct pcomp *C)
{
	struct ptok *kw = next(C), *id = peek(C), *open;
	struct pol_rule r = {0};
	int have_action = 0, bad_id = 0, have_devices = 0;
	struct policy *p = C->p;

	r.campaign = !strcmp(kw->s, "campaign");
	if (id->kind != TK_WORD || is_top(id) || id->kind == TK_LBRACE) {
		perr(C, id, "expected a %s id after \"%s\", got \"%s\"", kw->s, kw->s, shown(id));
		sync_top(C);
		return;
	}
	next(C);
	if (!id_ok(id->s, 1)) {
		perr(C, id, "bad rule id \"%s\" (letters, digits, _ . -; at most %d)", id->s,
		     POL_ID_MAX);
		bad_id = 1;
	}
	r.id = id->s;
	r.name = id->s;
	r.file = C->f->path;
	r.line = id->line;
	r.col = id->col;
	if (peek(C)->kind == TK_STR) {
		r.name = next(C)->s;
		if (!r.name[0] || strlen(r.name) > POL_TEXT_VALUE_MAX)
			perr(C, &C->f->t[C->f->pos - 1], "bad rule name (1 to %d bytes)",
			     POL_TEXT_VALUE_MAX);
	}
	open = peek(C);
	if (open->kind != TK_LBRACE) {
		perr(C, open, "expected \"{\" after %s \"%s\", got \"%s\"", kw->s, id->s,
		     shown(open));
		sync_top(C);
		return;
	}
	next(C);
	for (;;) {
		struct ptok *t = peek(C);
		if (t->kind == TK_RBRACE) {
			next(C);
			break;
		}
		if (t->kind == TK_EOF || is_top(t)) {
			perr(C, open, "unclosed \"{\"");
			break;
		}
		next(C);
		if (is_word(t, "when")) {
			struct pol_expr *w;
			if (r.when)
				perr(C, t, "\"when\" given twice");
			C->nest = 0;
			w = parse_or(C);
			/* both kept: set references point into them */
			r.when = r.when ? expr_new(PE_AND, r.when, w) : w;
			if (!is_body(peek(C)) && peek(C)->kind != TK_RBRACE &&
			    peek(C)->kind != TK_EOF && !is_top(peek(C))) {
				perr(C, peek(C),
				     "unexpected \"%s\" in a condition (and, or, not, or "
				     "the next statement)",
				     shown(peek(C)));
				sync_body(C);
			}
		} else if (is_word(t, "alert") || is_word(t, "allow") || is_word(t, "block")) {
			rule_action(C, &r, t, &have_action);
		} else if (is_word(t, "dedup")) {
			struct ptok *d = take_value(C);
			if (r.campaign)
				perr(C, t,
				     "\"dedup\" does not apply to a campaign (it alerts once a "
				     "window)");
			if (!d)
				perr(C, peek(C), "missing duration after \"dedup\"");
			else if (d->kind != TK_WORD || parse_duration(d->s, &r.dedup_us) < 0)
				perr(C, d,
				     "bad duration \"%s\" (like 30s, 5m, 1h, 1d or 1h30m; at "
				     "most 30d)",
				     d->s);
		} else if (is_word(t, "description")) {
			struct ptok *d = peek(C);
			if (d->kind != TK_STR || !d->s[0] || strlen(d->s) > POL_TEXT_VALUE_MAX) {
				perr(C, d, "expected a quoted description (1 to %d bytes)",
				     POL_TEXT_VALUE_MAX);
				if (d->kind == TK_STR)
					next(C);
			} else {
				next(C);
				r.description = d->s;
			}
		} else if (is_word(t, "group")) {
			campaign_group(C, &r, t);
		} else if (is_word(t, "devices")) {
			have_devices = 1;
			campaign_devices(C, &r, t);
		} else {
			perr(C, t, "unknown statement \"%s\" in a %s (when, %s)", t->s, kw->s,
			     r.campaign ? "group by, devices, alert, description"
					: "alert, allow, block, dedup, description");
			if (t->kind == TK_LBRACE) {
				C->f->pos--;
				skip_block(C);
			}
			sync_body(C);
		}
	}
	if (!r.when)
		perr(C, id, "%s \"%s\" has no \"when\" (write \"when any\" to match everything)",
		     kw->s, id->s);
	if (!have_action)
		perr(C, id, "%s \"%s\" has no action (%s)", kw->s, id->s,
		     r.campaign ? "alert" : "alert, allow or block");
	if (r.campaign && !have_devices)
		perr(C, id, "campaign \"%s\" needs \"devices >= N within DURATION\"", id->s);
	if (r.campaign && !r.group)
		r.group = F_SERVER_IP;
	if (!bad_id) {
		const struct pol_sent *dup = strset_find(&C->rule_ids, id->s, strlen(id->s));
		if (dup) {
			const struct pol_rule *o = &p->rules[(uintptr_t)dup->val - 1];
			perr(C, id, "duplicate rule id \"%s\" (first at %s:%u:%u)", id->s, o->file,
			     o->line, o->col);
		} else {
			strset_add(&C->rule_ids, id->s, strlen(id->s),
				   (void *)(uintptr_t)(p->n_rules + 1));
		}
	}
	p->rules = grow(p->rules, &p->cap_rules, p->n_rules + 1, sizeof(*p->rules));
	p->rules[p->n_rules++] = r;
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The source tree's policies/ when this program runs from a build tree
 * (its directory or one of the two above it holds config.status), else
 * $(pkgdatadir): the way catalog.c finds policies/vendors. */
static int fits(int n, size_t len) { return n > 0 && (size_t)n < len; }

static void builtin_dir(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')))
			*slash = '\0';
		for (int up = 0; up < 3 && slash; up++) {
			char probe[PATH_MAX + 32];
			if (fits(snprintf(probe, sizeof(probe), "%s/config.status", exe),
				 sizeof(probe)) &&
			    access(probe, R_OK) == 0) {
				if (fits(snprintf(buf, len, "%s/policies/presets", exe), len) &&
				    is_dir(buf) &&
				    fits(snprintf(buf, len, "%s/policies", exe), len))
					return;
#ifdef APN_SRCDIR
				/* A build tree apart from its sources (VPATH, distcheck). */
				if (fits(snprintf(buf, len, "%s/policies/presets", APN_SRCDIR),
					 len) &&
				    is_dir(buf) &&
				    fits(snprintf(buf, len, "%s/policies", APN_SRCDIR), len))
					return;
#endif
			}
			if ((slash = strrchr(exe, '/')))
				*slash = '\0';
		}
	}
	snprintf(buf, len, "%s", APN_DATADIR);
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	size_t n = (size_t)(slash - path);
	char *d = xrealloc(NULL, n + 2);
	memcpy(d, path, n ? n : 1);
	d[n ? n : 1] = '\0';
	return d;
}

static void parse_stmts(struct pcomp *C);

/* Reads and parses one file into the policy (f: the file to read). */
static void parse_text(struct pcomp *C, struct pfile *f, const char *text, size_t len)
{
	struct pfile *saved = C->f;
	C->f = f;
	C->files = grow(C->files, &C->cap_files, C->n_files + 1, sizeof(*C->files));
	C->files[C->n_files++] = f->path;
	tokenize(C, f, text, len);
	parse_stmts(C);
	C->f = saved;
}

static char *keep_path(struct pcomp *C, const char *path)
{
	struct policy *p = C->p;
	char *s = xstrdup(path);
	p->blocks = grow(p->blocks, &p->cap_blocks, p->n_blocks + 1, sizeof(char *));
	p->blocks[p->n_blocks++] = s;
	return s;
}

static void parse_include(struct pcomp *C)
{
	struct ptok *kw = next(C), *name = peek(C);
	char path[PATH_MAX + 64], builtin[PATH_MAX], real[PATH_MAX];
	int err = 0;

	if (name->kind != TK_STR && name->kind != TK_WORD) {
		perr(C, kw, "expected a file name after \"include\"");
		sync_top(C);
		return;
	}
	next(C);
	if (name->s[0] == '/') {
		err = !fits(snprintf(path, sizeof(path), "%s", name->s), sizeof(path))
			      ? ENAMETOOLONG
		      : access(path, R_OK) ? errno
					   : 0;
	} else {
		err = ENOENT;
		if (C->f->dir && !strcmp(C->f->dir, "."))
			err = !fits(snprintf(path, sizeof(path), "%s", name->s), sizeof(path))
				      ? ENAMETOOLONG
			      : access(path, R_OK) ? errno
						   : 0;
		else if (C->f->dir)
			err = !fits(snprintf(path, sizeof(path), "%s/%s", C->f->dir, name->s),
				    sizeof(path))
				      ? ENAMETOOLONG
			      : access(path, R_OK) ? errno
						   : 0;
		if (err) {
			builtin_dir(builtin, sizeof(builtin));
			if (fits(snprintf(path, sizeof(path), "%s/%s", builtin, name->s),
				 sizeof(path)) &&
			    access(path, R_OK) == 0)
				err = 0;
			else if (C->f->dir) /* say why the file next to it failed */
				snprintf(path, sizeof(path), "%s/%s", C->f->dir, name->s);
			(void)path;
		}
	}
	if (!err && is_dir(path))
		err = EISDIR;
	if (err || !realpath(path, real)) {
		perr(C, name, "cannot include \"%s\": %s", name->s, strerror(err ? err : errno));
		return;
	}
	for (int i = 0; i <= C->depth; i++) {
		if (C->stack[i] && !strcmp(C->stack[i], real)) {
			perr(C, name, "include loop: \"%s\" is already being read", name->s);
			return;
		}
	}
	for (size_t i = 0; i < C->n_done; i++)
		if (!strcmp(C->done[i], real))
			return; /* read once: includes of a shared preset file are fine */
	if (C->depth >= POL_INCLUDE_DEPTH) {
		perr(C, name, "includes nested deeper than %d", POL_INCLUDE_DEPTH);
		return;
	}
	size_t len;
	const char *why;
	char *text = file_read_all(path, POL_TEXT_MAX, &len, &why);
	if (!text) {
		perr(C, name, "cannot include \"%s\": %s", name->s, why);
		return;
	}
	struct pfile f = {.path = keep_path(C, path), .dir = dir_of(path)};
	C->stack[++C->depth] = xstrdup(real);
	parse_text(C, &f, text, len);
	C->done = grow(C->done, &C->cap_done, C->n_done + 1, sizeof(char *));
	C->done[C->n_done++] = C->stack[C->depth];
	C->stack[C->depth--] = NULL;
	free(text);
	free(f.t);
	free(f.dir);
}

static void parse_stmts(struct pcomp *C)
{
	for (;;) {
		struct ptok *t = peek(C);
		if (t->kind == TK_EOF)
			return;
		if (is_word(t, "include"))
			parse_include(C);
		else if (is_word(t, "set"))
			parse_set(C);
		else if (is_word(t, "rule") || is_word(t, "campaign"))
			parse_rule(C);
		else {
			perr(C, t,
			     "unexpected \"%s\" (a statement starts with include, set, rule or "
			     "campaign)",
			     t->s);
			if (t->kind == TK_LBRACE)
				skip_block(C);
			else
				next(C);
			sync_top(C);
		}
	}
}

/* ---- after parsing: references, index ------------------------------------ */

static const char *article(const char *w) { return strchr("aeiou", w[0]) ? "an" : "a"; }

static void resolve_refs(struct pcomp *C)
{
	for (size_t i = 0; i < C->n_refs; i++) {
		struct setref *r = &C->refs[i];
		const struct pol_sent *s = strset_find(&C->set_names, r->name, strlen(r->name));
		enum pol_type want = pol_fields[r->e->field].type;
		if (!s) {
			perr_at(C, r->file, r->line, r->col, "undefined set \"%s\"", r->name);
			continue;
		}
		const struct pol_set *st = s->val;
		if (st->type == PT__MAX)
			continue; /* its bad type was reported */
		if (st->type != want) {
			perr_at(C, r->file, r->line, r->col,
				"type mismatch: %s takes %s %s set, \"%s\" is %s %s set",
				pol_fields[r->e->field].name, article(pol_type_names[want]),
				pol_type_names[want], r->name, article(pol_type_names[st->type]),
				pol_type_names[st->type]);
			continue;
		}
		r->e->set = st;
	}
}

/* Gives each test of a field in a named set the memo slot of that pair
 * (the first POL_MEMO_MAX pairs; the others look up every time). */
static void memo_slots(struct policy *p, struct pol_expr *e, const struct pol_set **sets,
		       enum pol_field *fields)
{
	if (!e)
		return;
	memo_slots(p, e->a, sets, fields);
	memo_slots(p, e->b, sets, fields);
	e->memo = -1;
	if (e->kind != PE_TEST || !e->set || !e->set->name)
		return;
	for (int i = 0; i < p->n_memo; i++) {
		if (sets[i] == e->set && fields[i] == e->field) {
			e->memo = i;
			return;
		}
	}
	if (p->n_memo < POL_MEMO_MAX) {
		sets[p->n_memo] = e->set;
		fields[p->n_memo] = e->field;
		p->memo_test[p->n_memo] = (struct pol_expr){
			.kind = PE_TEST, .field = e->field, .set = e->set, .memo = p->n_memo};
		e->memo = p->n_memo++;
	}
}

/* The rule's guard (struct pol_ient): a memoized test among the
 * conjuncts of its top-level "and", or NULL. */
static const struct pol_expr *guard_of(const struct pol_expr *e)
{
	const struct pol_expr *g;
	if (e->kind == PE_AND)
		return (g = guard_of(e->a)) ? g : guard_of(e->b);
	return e->kind == PE_TEST && e->memo >= 0 ? e : NULL;
}

/* The (event, intent) pairs for which e can be true, and whether e's truth
 * depends on nothing else (then "not e" is exactly the complement). */
static uint32_t buckets_of(const struct pol_expr *e, int *exact)
{
	uint32_t a, b;
	int ea, eb;
	switch (e->kind) {
	case PE_AND:
		a = buckets_of(e->a, &ea);
		b = buckets_of(e->b, &eb);
		*exact = ea && eb;
		return a & b;
	case PE_OR:
		a = buckets_of(e->a, &ea);
		b = buckets_of(e->b, &eb);
		*exact = ea && eb;
		return a | b;
	case PE_NOT:
		a = buckets_of(e->a, &ea);
		*exact = ea;
		return ea ? ~a & POL_ALL_BUCKETS : POL_ALL_BUCKETS;
	case PE_TEST: break;
	}
	*exact = 0;
	if (e->field == F_ANY) {
		*exact = 1;
		return POL_ALL_BUCKETS;
	}
	if (pol_fields[e->field].firmware_only)
		return ((1u << INTENT__MAX) - 1) << (PEV_FIRMWARE * INTENT__MAX);
	if ((e->field != F_INTENT && e->field != F_EVENT) || !e->set)
		return POL_ALL_BUCKETS;
	uint32_t m = 0;
	for (int ev = 0; ev < PEV__MAX; ev++)
		for (int in = 0; in < INTENT__MAX; in++) {
			int bit = e->field == F_INTENT ? in : ev;
			if (((e->set->mask >> bit) & 1) != (uint32_t)e->negate)
				m |= 1u << (ev * INTENT__MAX + in);
		}
	*exact = 1;
	return m;
}

/* ---- the guard index (policy-int.h) ---- */

/* How well a conjunct serves as a rule's guard: lower is more selective,
 * -1 is not a guard ("not", intent / event / confidence, any). */
static int guard_rank(const struct pol_expr *e)
{
	if (e->kind != PE_TEST || e->negate || !e->set)
		return -1;
	if (e->field == F_INTENT || e->field == F_EVENT || e->field == F_CONFIDENCE ||
	    e->field == F_ANY)
		return -1;
	if (e->set->name || e->field == F_DEVICE)
		return e->set->type == PT_COUNTRY ? 5 : 3; /* looked up once per subject */
	switch (e->set->type) {
	case PT_COUNTRY: return 4; /* a few hundred values: coarse */
	case PT_PREFIX:
	case PT_IMSI: return 2;
	case PT_DOMAIN: return e->set->suffixes.n ? 2 : 1;
	default: return 1; /* one exact value: ASN, TAC, name, SHA-256 */
	}
}

/* The best guard among the conjuncts of e's top-level "and" (the first
 * of the best rank), or NULL. */
static const struct pol_expr *best_guard(const struct pol_expr *e)
{
	if (e->kind == PE_AND) {
		const struct pol_expr *a = best_guard(e->a), *b = best_guard(e->b);
		if (!a || !b)
			return a ? a : b;
		return guard_rank(b) < guard_rank(a) ? b : a;
	}
	return guard_rank(e) >= 0 ? e : NULL;
}

/* What the index is built from: (list, rule) pairs, rules in order. */
struct gbuild {
	struct pol_guards *g;
	struct { uint32_t list, rule; } *post;
	size_t n_post, cap_post, cap_lists, cap_sets, cap_node[2];
};

static uint32_t gkey_hash(int field, const char *s, size_t len, uint64_t num)
{
	uint32_t h = s ? pol_hash(s, len) : (uint32_t)mix64(num);
	return h ^ ((uint32_t)field * 0x9e3779b9u);
}

static int gkey_eq(const struct pol_gkey *k, int field, const char *s, size_t len, uint64_t num,
		   uint32_t h)
{
	if (k->field != field || k->h != h || !k->s != !s)
		return 0;
	return s ? k->len == len && strncasecmp(k->s, s, len) == 0 : k->num == num;
}

uint32_t pol_guard_find(const struct pol_guards *g, int field, const char *s, size_t len,
			uint64_t num)
{
	if (!g->cap)
		return 0;
	uint32_t h = gkey_hash(field, s, len, num);
	size_t m = g->cap - 1;
	for (size_t i = h & m; g->keys[i].list; i = (i + 1) & m)
		if (gkey_eq(&g->keys[i], field, s, len, num, h))
			return g->keys[i].list;
	return 0;
}

static uint32_t glist_new(struct gbuild *B)
{
	struct pol_guards *g = B->g;
	g->lists = grow(g->lists, &B->cap_lists, g->n_lists + 1, sizeof(*g->lists));
	g->lists[g->n_lists++] = (struct pol_rlist){0, 0};
	return (uint32_t)g->n_lists;
}

static void gpost(struct gbuild *B, uint32_t list, size_t rule)
{
	B->post = grow(B->post, &B->cap_post, B->n_post + 1, sizeof(*B->post));
	B->post[B->n_post].list = list;
	B->post[B->n_post++].rule = (uint32_t)rule;
}

static void gkey_put(struct pol_guards *g, const struct pol_gkey *k)
{
	size_t m = g->cap - 1, i = k->h & m;
	while (g->keys[i].list)
		i = (i + 1) & m;
	g->keys[i] = *k;
	g->n++;
}

/* Adds the rule under the key (field, s or num). */
static void gkey_add(struct gbuild *B, size_t rule, int field, const char *s, size_t len,
		     uint64_t num)
{
	struct pol_guards *g = B->g;
	uint32_t list = pol_guard_find(g, field, s, len, num);
	if (!list) {
		if ((g->n + 1) * 2 > g->cap) {
			struct pol_gkey *old = g->keys;
			size_t ocap = g->cap;
			g->cap = ocap ? ocap * 2 : 64;
			g->keys = xcalloc(g->cap, sizeof(*g->keys));
			g->n = 0;
			for (size_t i = 0; i < ocap; i++)
				if (old[i].list)
					gkey_put(g, &old[i]);
			free(old);
		}
		list = glist_new(B);
		gkey_put(g, &(struct pol_gkey){s, s ? 0 : num, (uint32_t)len,
						gkey_hash(field, s, len, num), list, (uint8_t)field});
		g->fields |= 1u << field;
	}
	gpost(B, list, rule);
}

static void gkeys_of_strs(struct gbuild *B, size_t rule, int field, const struct pol_strset *t)
{
	for (size_t i = 0; i < t->cap; i++)
		if (t->v[i].s)
			gkey_add(B, rule, field, t->v[i].s, t->v[i].len, 0);
}

/* Copies the prefixes under set node sn (at guard node gn) into the
 * field's guard trie. */
static void gtrie_copy(struct gbuild *B, int which, size_t rule, const struct pol_set *st,
		       uint32_t sn, uint32_t gn)
{
	struct pol_gtrie *t = &B->g->ip[which];
	if (st->trie[sn].term) {
		if (!t->v[gn].list)
			t->v[gn].list = glist_new(B);
		B->g->fields |= 1u << (which ? F_DEVICE_IP : F_SERVER_IP);
		gpost(B, t->v[gn].list, rule);
		return; /* longer prefixes add nothing */
	}
	for (int k = 0; k < 2; k++) {
		uint32_t skid = st->trie[sn].kid[k];
		if (!skid)
			continue;
		if (!t->v[gn].kid[k]) {
			t->v = grow(t->v, &B->cap_node[which], t->n + 1, sizeof(*t->v));
			t->v[t->n] = (struct pol_gnode){{0, 0}, 0};
			t->v[gn].kid[k] = t->n++;
		}
		gtrie_copy(B, which, rule, st, skid, t->v[gn].kid[k]);
	}
}

/* A set guard: one per (field, set) pair. */
static void gset_add(struct gbuild *B, size_t rule, const struct pol_expr *e, uint32_t buckets)
{
	struct pol_guards *g = B->g;
	size_t i;
	for (i = 0; i < g->n_sets; i++)
		if (g->sets[i].test.set == e->set && g->sets[i].test.field == e->field)
			break;
	if (i == g->n_sets) {
		g->sets = grow(g->sets, &B->cap_sets, g->n_sets + 1, sizeof(*g->sets));
		g->sets[i] = (struct pol_gset){
			.test = {.kind = PE_TEST, .field = e->field, .set = e->set, .memo = e->memo},
			.list = glist_new(B)};
		g->n_sets++;
	}
	g->sets[i].buckets |= buckets;
	gpost(B, g->sets[i].list, rule);
}

/* Indexes the rule under its guard g. */
static void guard_add(struct gbuild *B, size_t rule, const struct pol_expr *e, uint32_t buckets)
{
	const struct pol_set *st = e->set;
	if (st->name || e->field == F_DEVICE) {
		gset_add(B, rule, e, buckets);
		return;
	}
	switch (st->type) {
	case PT_COUNTRY:
		for (int k = 0; k < 26 * 26; k++)
			if ((st->country[k / 8] >> (k % 8)) & 1)
				gkey_add(B, rule, e->field, NULL, 0, (uint64_t)k);
		break;
	case PT_ASN:
	case PT_TAC:
		for (size_t i = 0; i < st->nums.cap; i++)
			if (st->nums.v[i] != POL_NUM_EMPTY)
				gkey_add(B, rule, e->field, NULL, 0, st->nums.v[i]);
		break;
	case PT_DOMAIN:
		gkeys_of_strs(B, rule, e->field, &st->strs);
		gkeys_of_strs(B, rule, G_SUFFIX, &st->suffixes);
		break;
	case PT_IMSI:
		gkeys_of_strs(B, rule, e->field, &st->imsi);
		B->g->imsi_lens |= st->imsi_lens;
		break;
	case PT_PREFIX:
		for (uint32_t root = 0; st->trie && root < 2; root++)
			gtrie_copy(B, e->field == F_SERVER_IP ? 0 : 1, rule, st, root, root);
		break;
	default: gkeys_of_strs(B, rule, e->field, &st->strs); break;
	}
}

/* The lists, from the (list, rule) pairs: a counting sort, stable, so
 * each list stays in policy order. */
static void guard_lists(struct gbuild *B)
{
	struct pol_guards *g = B->g;
	size_t off = 0;
	for (size_t i = 0; i < B->n_post; i++)
		g->lists[B->post[i].list - 1].n++;
	for (size_t l = 0; l < g->n_lists; l++) {
		g->lists[l].off = (uint32_t)off;
		off += g->lists[l].n;
		g->lists[l].n = 0;
	}
	g->rules = xcalloc(B->n_post ? B->n_post : 1, sizeof(*g->rules));
	g->n_rules = B->n_post;
	for (size_t i = 0; i < B->n_post; i++) {
		struct pol_rlist *l = &g->lists[B->post[i].list - 1];
		g->rules[l->off + l->n++] = B->post[i].rule;
	}
	free(B->post);
}

/* Each rule goes in the list of every (event, intent) pair it can match,
 * in policy order (the reference walk; rules that test an intent or
 * event the subject does not have are never visited), and then either
 * under its guard in the guard index or, without one, in the pair's open
 * list. */
static void pol_index(struct policy *p)
{
	size_t cap[2][POL_BUCKETS] = {{0}}, ocap[2][POL_BUCKETS] = {{0}};
	struct gbuild B = {.g = &p->guards};
	for (uint32_t root = 0; root < 2; root++) {
		struct pol_gtrie *t = &p->guards.ip[root];
		t->v = grow(NULL, &B.cap_node[root], 2, sizeof(*t->v));
		memset(t->v, 0, 2 * sizeof(*t->v));
		t->n = 2;
	}
	for (size_t i = 0; i < p->n_rules; i++) {
		struct pol_rule *r = &p->rules[i];
		int exact;
		r->buckets = r->when ? buckets_of(r->when, &exact) : 0;
		const struct pol_expr *g = r->when ? guard_of(r->when) : NULL;
		const struct pol_expr *best = r->when ? best_guard(r->when) : NULL;
		for (int b = 0; b < POL_BUCKETS; b++) {
			if (!((r->buckets >> b) & 1))
				continue;
			struct pol_index *ix = r->campaign ? &p->count[b] : &p->decide[b];
			ix->v = grow(ix->v, &cap[r->campaign][b], ix->n + 1, sizeof(*ix->v));
			ix->v[ix->n++] = (struct pol_ient){
				(uint32_t)i, (int16_t)(g ? g->memo : -1), (uint8_t)(g && g->negate),
				(uint8_t)(g && pol_fields[g->field].firmware_only)};
			if (best)
				continue;
			struct pol_rnums *o = r->campaign ? &p->open_count[b] : &p->open_decide[b];
			o->v = grow(o->v, &ocap[r->campaign][b], o->n + 1, sizeof(*o->v));
			o->v[o->n++] = (uint32_t)i;
		}
		if (best && r->buckets)
			guard_add(&B, i, best, r->buckets);
	}
	guard_lists(&B);
}

/* ---- API ------------------------------------------------------------------ */

const char *policy_action_str(enum policy_action a)
{
	static const char *const n[] = {"none", "allow", "alert", "block"};
	return (unsigned)a < 4 ? n[a] : "none";
}

static void set_free(struct pol_set *st)
{
	free(st->nums.v);
	free(st->strs.v);
	free(st->suffixes.v);
	free(st->imsi.v);
	free(st->trie);
	free(st);
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_rules; i++)
		expr_free(p->rules[i].when);
	free(p->rules);
	for (size_t i = 0; i < p->n_sets; i++)
		set_free(p->sets[i]);
	free(p->sets);
	for (int b = 0; b < POL_BUCKETS; b++) {
		free(p->decide[b].v);
		free(p->count[b].v);
		free(p->open_decide[b].v);
		free(p->open_count[b].v);
	}
	free(p->guards.keys);
	free(p->guards.ip[0].v);
	free(p->guards.ip[1].v);
	free(p->guards.sets);
	free(p->guards.lists);
	free(p->guards.rules);
	for (size_t i = 0; i < p->n_blocks; i++)
		free(p->blocks[i]);
	free(p->blocks);
	free(p->name);
	free(p);
}

struct policy *policy_compile(const char *name, const char *text, size_t len, FILE *errs, int *nerr)
{
	struct pcomp C = {0};
	struct pfile f = {0};
	struct policy *p = xcalloc(1, sizeof(*p));
	struct sha256 h;
	uint8_t d[32];
	char real[PATH_MAX];

	p->name = xstrdup(name ? name : "policy");
	C.p = p;
	C.errs = errs;
	f.path = keep_path(&C, p->name);
	/* A policy read from a file includes files next to it; one from
	 * elsewhere (Redis) only the installed presets. */
	if (access(p->name, R_OK) == 0 && !is_dir(p->name)) {
		f.dir = dir_of(p->name);
		if (realpath(p->name, real))
			C.stack[0] = xstrdup(real);
	}
	if (sha256_init(&h) < 0)
		fatal("policy: out of memory");
	sha256_update(&h, text, len);
	sha256_final(&h, d);
	sha256_hex(d, p->digest);

	if (len > POL_TEXT_MAX) {
		C.files = grow(C.files, &C.cap_files, 1, sizeof(*C.files));
		C.files[C.n_files++] = f.path;
		perr_at(&C, f.path, 1, 1, "policy larger than 64 MiB");
	} else {
		parse_text(&C, &f, text, len);
	}
	resolve_refs(&C);
	perr_flush(&C);
	{
		const struct pol_set *msets[POL_MEMO_MAX];
		enum pol_field mfields[POL_MEMO_MAX];
		for (size_t i = 0; i < p->n_rules; i++)
			memo_slots(p, p->rules[i].when, msets, mfields);
	}
	pol_index(p);
	for (size_t i = 0; i < p->n_sets; i++)
		p->members += p->sets[i]->name ? p->sets[i]->members : 0;

	free(f.t);
	free(f.dir);
	free(C.stack[0]);
	for (size_t i = 0; i < C.n_done; i++)
		free(C.done[i]);
	free(C.done);
	free(C.set_names.v);
	free(C.rule_ids.v);
	free(C.refs);
	if (nerr)
		*nerr = C.nerr;
	if (C.nerr) {
		policy_free(p);
		return NULL;
	}
	return p;
}

struct policy *policy_load_file(const char *path, FILE *errs, int *nerr)
{
	size_t len;
	const char *why;
	char *text = file_read_all(path, POL_TEXT_MAX, &len, &why);
	struct policy *p;
	if (!text) {
		if (errs)
			fprintf(errs, "%s: %s\n", path, why);
		if (nerr)
			*nerr = 1;
		return NULL;
	}
	p = policy_compile(path, text, len, errs, nerr);
	free(text);
	return p;
}

struct policy *policy_load_default(FILE *errs, int *nerr)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	builtin_dir(dir, sizeof(dir));
	if (!fits(snprintf(path, sizeof(path), "%s/default.policy", dir), sizeof(path)))
		path[0] = '\0';
	return policy_load_file(path, errs, nerr);
}

const char *policy_name(const struct policy *p) { return p ? p->name : ""; }
const char *policy_digest(const struct policy *p) { return p ? p->digest : ""; }
size_t policy_rule_count(const struct policy *p) { return p ? p->n_rules : 0; }
size_t policy_set_members(const struct policy *p) { return p ? p->members : 0; }
