/*
 * catalog.c - the module-maker catalog: a line-oriented text format
 * (docs/catalog.md) read into hash tables and an address trie.
 *
 * Files are untrusted input: every line is checked (length, UTF-8,
 * quotes, keywords, values) and each problem is reported as
 * "file:line: message".  A file is parsed into a temporary catalog and
 * merged only when it has no error, so a broken file adds nothing.
 *
 * Lookups:
 *   - host names (exact and suffix) live in hash tables whose hash is
 *     computed from the last character to the first, so one right-to-left
 *     pass over a name gives the hash of every dot-suffix; a suffix lookup
 *     is then one probe per label, longest first;
 *   - IP prefixes live in a binary trie (IPv4 and IPv6 roots), walked at
 *     most 32 or 128 steps;
 *   - ASNs, exact User-Agents, JA3/JA4 and exact TACs in hash tables.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "util-cidr.h"
#include "util-mem.h"
#include "util-json.h"
#include "util-log.h"

#ifndef APN_DATADIR
#define APN_DATADIR "/usr/local/share/apnwatch"
#endif

#define CAT_LINE_MAX 1024         /* bytes per line, newline excluded */
#define CAT_TOKENS_MAX 64         /* words per line */
#define CAT_NAME_MAX 128          /* vendor and service names */
#define CAT_TEXT_MAX 512          /* sources, user agents */
#define CAT_HOST_MAX 253          /* a DNS name without its trailing dot */
#define CAT_FILE_ERRORS_MAX 50    /* then the file is given up */
#define CAT_DIR_FILES_MAX 4096    /* .catalog files per directory */
#define CAT_TRIE_NODES_MAX (1u << 22) /* 4M nodes, 64 MiB */

/* ---- small helpers (and util-mem.h) ---------------------------------- */

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = xrealloc(NULL, (size_t)(n < 0 ? 0 : n) + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
	va_end(ap);
	return p;
}

/* Appends one element to a growable array of elsz-byte elements. */
static void *push(void *arr, size_t *n, size_t *cap, size_t elsz)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		arr = xrealloc(arr, *cap * elsz);
	}
	memset((char *)arr + *n * elsz, 0, elsz);
	(*n)++;
	return arr;
}
#define PUSH(arr, n, cap) ((arr) = push((arr), &(n), &(cap), sizeof(*(arr))), &(arr)[(n) - 1])

/* ---- hash table (a multimap of borrowed string keys) ----------------- */

/* FNV-1a over the string from its last byte to its first: hashing a name
 * right to left yields, on the way, the hash of each of its suffixes. */
#define HASH_INIT 2166136261u
static uint32_t hash_step(uint32_t h, unsigned char ch) { return (h ^ ch) * 16777619u; }

static uint32_t hash_str(const char *s)
{
	size_t n = strlen(s);
	uint32_t h = HASH_INIT;
	while (n)
		h = hash_step(h, (unsigned char)s[--n]);
	return h;
}

struct hnode {
	const char *key;
	uint32_t h;
	void *val;
	struct hnode *next;
};

struct htab {
	struct hnode **b;
	size_t nb, n;
};

static void htab_add(struct htab *t, const char *key, void *val)
{
	if (t->n >= t->nb) {
		size_t nb = t->nb ? t->nb * 2 : 64;
		struct hnode **b = xcalloc(nb, sizeof(*b));
		for (size_t i = 0; i < t->nb; i++) {
			struct hnode *e = t->b[i], *next;
			for (; e; e = next) {
				next = e->next;
				e->next = b[e->h & (nb - 1)];
				b[e->h & (nb - 1)] = e;
			}
		}
		free(t->b);
		t->b = b;
		t->nb = nb;
	}
	struct hnode *e = xcalloc(1, sizeof(*e));
	e->key = key;
	e->h = hash_str(key);
	e->val = val;
	e->next = t->b[e->h & (t->nb - 1)];
	t->b[e->h & (t->nb - 1)] = e;
	t->n++;
}

/* The first node at or after e whose key is key (of hash h), or NULL.
 * klen lets key be a suffix of a longer string without a copy. */
static const struct hnode *hnode_find(const struct hnode *e, const char *key, size_t klen,
				      uint32_t h)
{
	for (; e; e = e->next)
		if (e->h == h && strncmp(e->key, key, klen) == 0 && e->key[klen] == '\0')
			return e;
	return NULL;
}

static const struct hnode *htab_find(const struct htab *t, const char *key, size_t klen,
				     uint32_t h)
{
	if (!t->nb)
		return NULL;
	return hnode_find(t->b[h & (t->nb - 1)], key, klen, h);
}

static void htab_free(struct htab *t)
{
	for (size_t i = 0; i < t->nb; i++) {
		struct hnode *e = t->b[i], *next;
		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(t->b);
	memset(t, 0, sizeof(*t));
}

/* ---- the records ----------------------------------------------------- */

struct cat_name {
	char *name; /* lowercase, no trailing dot */
	unsigned line;
};

struct cat_prefix {
	struct ip_addr addr;
	uint8_t len;
	unsigned line;
};

struct cat_asn {
	uint32_t asn;
	char key[12];
	unsigned line;
};

struct cat_port {
	uint16_t lo, hi;
	uint8_t proto; /* 6, 17, or 0 for either */
};

struct vend {
	struct catalog_vendor pub; /* first: callers see this */
};

struct svc {
	struct catalog_service pub; /* first: callers see this */
	size_t seq;                 /* load order: the tie-breaker */
	unsigned line;
	struct cat_name *hosts, *suffixes;
	size_t n_hosts, cap_hosts, n_suffixes, cap_suffixes;
	struct cat_prefix *ips;
	size_t n_ips, cap_ips;
	struct cat_asn *asns;
	size_t n_asns, cap_asns;
	struct cat_port *ports;
	size_t n_ports, cap_ports;
};

enum client_kind { CL_UA_EXACT, CL_UA_PREFIX, CL_JA3, CL_JA4 };

struct client {
	enum client_kind kind;
	char *value;
	char *source;
	char *where;
	const struct vend *vendor;
};

struct tacr {
	uint32_t lo, hi;
	char key[9]; /* the 8 digits of an exact TAC */
	char *source;
	char *where;
	const struct vend *vendor;
};

/* An address trie node; children are node indices (0: none, since the
 * roots 0 (IPv4) and 1 (IPv6) are nobody's child). */
struct tent {
	const struct svc *svc;
	const struct cat_prefix *p;
	struct tent *next;
};

struct tnode {
	uint32_t child[2];
	struct tent *head;
};

struct catalog {
	struct vend **vendors;
	size_t n_vendors, cap_vendors;
	struct svc **svcs;
	size_t n_svcs, cap_svcs;
	struct client **clients;
	size_t n_clients, cap_clients;
	struct tacr **tacs;
	size_t n_tacs, cap_tacs;
	size_t n_entries;

	struct htab exact, suffix, asn, ua, ja, tac;
	struct client **ua_prefix;
	size_t n_ua_prefix, cap_ua_prefix;
	struct tacr **tac_ranges;
	size_t n_tac_ranges, cap_tac_ranges;
	struct tnode *nodes;
	size_t n_nodes, cap_nodes;
};

struct catalog *catalog_new(void)
{
	struct catalog *c = xcalloc(1, sizeof(*c));
	c->cap_nodes = 2;
	c->n_nodes = 2;
	c->nodes = xcalloc(2, sizeof(*c->nodes));
	return c;
}

static void svc_free(struct svc *s)
{
	for (size_t i = 0; i < s->n_hosts; i++)
		free(s->hosts[i].name);
	for (size_t i = 0; i < s->n_suffixes; i++)
		free(s->suffixes[i].name);
	free(s->hosts);
	free(s->suffixes);
	free(s->ips);
	free(s->asns);
	free(s->ports);
	free((char *)s->pub.name);
	free((char *)s->pub.source);
	free((char *)s->pub.where);
	free(s);
}

/* Frees the indexes and every record c owns. */
void catalog_free(struct catalog *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_vendors; i++) {
		free((char *)c->vendors[i]->pub.name);
		free((char *)c->vendors[i]->pub.country);
		free((char *)c->vendors[i]->pub.source);
		free((char *)c->vendors[i]->pub.where);
		free(c->vendors[i]);
	}
	for (size_t i = 0; i < c->n_svcs; i++)
		svc_free(c->svcs[i]);
	for (size_t i = 0; i < c->n_clients; i++) {
		free(c->clients[i]->value);
		free(c->clients[i]->source);
		free(c->clients[i]->where);
		free(c->clients[i]);
	}
	for (size_t i = 0; i < c->n_tacs; i++) {
		free(c->tacs[i]->source);
		free(c->tacs[i]->where);
		free(c->tacs[i]);
	}
	for (size_t i = 0; i < c->n_nodes; i++) {
		struct tent *e = c->nodes[i].head, *next;
		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	htab_free(&c->exact);
	htab_free(&c->suffix);
	htab_free(&c->asn);
	htab_free(&c->ua);
	htab_free(&c->ja);
	htab_free(&c->tac);
	free(c->vendors);
	free(c->svcs);
	free(c->clients);
	free(c->tacs);
	free(c->ua_prefix);
	free(c->tac_ranges);
	free(c->nodes);
	free(c);
}

size_t catalog_vendors(const struct catalog *c) { return c ? c->n_vendors : 0; }
size_t catalog_services(const struct catalog *c) { return c ? c->n_svcs : 0; }
size_t catalog_entries(const struct catalog *c) { return c ? c->n_entries : 0; }

/* ---- indexing -------------------------------------------------------- */

static int addr_bit(const struct ip_addr *a, unsigned i) { return (a->a[i / 8] >> (7 - i % 8)) & 1; }

static void trie_add(struct catalog *c, const struct cat_prefix *p, const struct svc *s)
{
	uint32_t n = p->addr.family == 4 ? 0 : 1;
	for (unsigned i = 0; i < p->len; i++) {
		int b = addr_bit(&p->addr, i);
		if (!c->nodes[n].child[b]) {
			struct tnode *t = PUSH(c->nodes, c->n_nodes, c->cap_nodes);
			(void)t;
			c->nodes[n].child[b] = (uint32_t)(c->n_nodes - 1);
		}
		n = c->nodes[n].child[b];
	}
	struct tent *e = xcalloc(1, sizeof(*e));
	e->svc = s;
	e->p = p;
	e->next = c->nodes[n].head;
	c->nodes[n].head = e;
}

static void index_service(struct catalog *c, struct svc *s)
{
	for (size_t i = 0; i < s->n_hosts; i++)
		htab_add(&c->exact, s->hosts[i].name, s);
	for (size_t i = 0; i < s->n_suffixes; i++)
		htab_add(&c->suffix, s->suffixes[i].name, s);
	for (size_t i = 0; i < s->n_ips; i++)
		trie_add(c, &s->ips[i], s);
	for (size_t i = 0; i < s->n_asns; i++)
		htab_add(&c->asn, s->asns[i].key, s);
	c->n_entries += s->n_hosts + s->n_suffixes + s->n_ips + s->n_asns;
}

static void index_client(struct catalog *c, struct client *cl)
{
	if (cl->kind == CL_UA_EXACT)
		htab_add(&c->ua, cl->value, cl);
	else if (cl->kind == CL_UA_PREFIX)
		*PUSH(c->ua_prefix, c->n_ua_prefix, c->cap_ua_prefix) = cl;
	else
		htab_add(&c->ja, cl->value, cl);
	c->n_entries++;
}

static void index_tac(struct catalog *c, struct tacr *t)
{
	if (t->lo == t->hi)
		htab_add(&c->tac, t->key, t);
	else
		*PUSH(c->tac_ranges, c->n_tac_ranges, c->cap_tac_ranges) = t;
	c->n_entries++;
}

/* Moves every record of tmp into c and indexes it there. */
static void merge(struct catalog *c, struct catalog *tmp)
{
	for (size_t i = 0; i < tmp->n_vendors; i++)
		*PUSH(c->vendors, c->n_vendors, c->cap_vendors) = tmp->vendors[i];
	for (size_t i = 0; i < tmp->n_svcs; i++) {
		struct svc *s = tmp->svcs[i];
		s->seq = c->n_svcs;
		*PUSH(c->svcs, c->n_svcs, c->cap_svcs) = s;
		index_service(c, s);
	}
	for (size_t i = 0; i < tmp->n_clients; i++) {
		*PUSH(c->clients, c->n_clients, c->cap_clients) = tmp->clients[i];
		index_client(c, tmp->clients[i]);
	}
	for (size_t i = 0; i < tmp->n_tacs; i++) {
		*PUSH(c->tacs, c->n_tacs, c->cap_tacs) = tmp->tacs[i];
		index_tac(c, tmp->tacs[i]);
	}
	tmp->n_vendors = tmp->n_svcs = tmp->n_clients = tmp->n_tacs = 0;
}

/* ---- the loader: one file ------------------------------------------- */

struct loader {
	struct catalog *tmp;        /* this file's records */
	const struct catalog *main; /* what is loaded already (duplicates) */
	const char *path;
	FILE *errs;
	unsigned line;
	int nerr;
	struct vend *vendor;        /* the current vendor, or NULL */
	struct svc *svc;            /* the current service, or NULL */
	size_t trie_budget;         /* nodes the file's prefixes may need */
};

static void lerr_at(struct loader *L, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void lerr_at(struct loader *L, unsigned line, const char *fmt, ...)
{
	L->nerr++;
	if (!L->errs || L->nerr > CAT_FILE_ERRORS_MAX)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(L->errs, "%s:%u: ", L->path, line);
	vfprintf(L->errs, fmt, ap);
	fputc('\n', L->errs);
	va_end(ap);
}
#define lerr(L, ...) lerr_at((L), (L)->line, __VA_ARGS__)

/* Where an entry was defined, as events show it: the file's name without
 * its directory ("quectel.catalog:17"), so that events do not depend on
 * where the catalogs are installed or checked out.  Errors name the path
 * as given. */
static char *where(const struct loader *L)
{
	const char *base = strrchr(L->path, '/');
	return xasprintf("%s:%u", base ? base + 1 : L->path, L->line);
}

/* 1 when s[0..n) is well-formed UTF-8 (no overlong forms, no surrogates,
 * nothing past U+10FFFF). */
static int utf8_valid(const unsigned char *s, size_t n)
{
	for (size_t i = 0, len; i < n; i += len)
		if ((len = utf8_len(s + i, n - i)) == 0)
			return 0;
	return 1;
}

struct tok {
	char *s;
	int quoted;
};

/* Splits line into words and "quoted strings" (\" and \\ escape inside
 * quotes); '#' outside a word starts a comment.  Returns the number of
 * tokens, or -1 after reporting an error. */
static int tokenize(struct loader *L, char *line, struct tok *t)
{
	int n = 0;
	char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			return n;
		if (n == CAT_TOKENS_MAX) {
			lerr(L, "more than %d words on a line", CAT_TOKENS_MAX);
			return -1;
		}
		if (*p == '"') {
			char *out = ++p;
			t[n].s = out;
			t[n].quoted = 1;
			for (;;) {
				if (*p == '\0') {
					lerr(L, "unterminated quote");
					return -1;
				}
				if (*p == '"')
					break;
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				*out++ = *p++;
			}
			p++;
			*out = '\0';
			if (*p != '\0' && *p != ' ' && *p != '\t') {
				lerr(L, "text right after a closing quote");
				return -1;
			}
			if (*p)
				p++;
		} else {
			t[n].s = p;
			t[n].quoted = 0;
			while (*p && *p != ' ' && *p != '\t') {
				if (*p == '"') {
					lerr(L, "quote inside a word");
					return -1;
				}
				p++;
			}
			if (*p)
				*p++ = '\0';
		}
		n++;
	}
}

/* Reads "key value" pairs from t[i..n) into vals (names in keys[]).
 * Returns 0, or -1 after reporting an error. */
static int take_opts(struct loader *L, const struct tok *t, int i, int n, const char *const *keys,
		     const char **vals, size_t nkeys)
{
	for (; i < n; i += 2) {
		size_t k = 0;
		while (k < nkeys && (t[i].quoted || strcmp(t[i].s, keys[k]) != 0))
			k++;
		if (k == nkeys) {
			lerr(L, "unexpected \"%s\"", t[i].s);
			return -1;
		}
		if (vals[k]) {
			lerr(L, "\"%s\" given twice", keys[k]);
			return -1;
		}
		if (i + 1 >= n || (!t[i + 1].quoted && t[i + 1].s[0] == '\0')) {
			lerr(L, "missing value after \"%s\"", keys[k]);
			return -1;
		}
		vals[k] = t[i + 1].s;
	}
	return 0;
}

/* Checks a source text; returns 0 or -1 after reporting. */
static int check_source(struct loader *L, const char *src)
{
	if (!src) {
		lerr(L, "missing source (every vendor and service names where its facts come from)");
		return -1;
	}
	if (!*src || strlen(src) > CAT_TEXT_MAX) {
		lerr(L, "bad source (empty or longer than %d bytes)", CAT_TEXT_MAX);
		return -1;
	}
	return 0;
}

static int check_name(struct loader *L, const struct tok *t, int n, const char *what)
{
	if (n < 2 || !t[1].s[0]) {
		lerr(L, "missing %s name", what);
		return -1;
	}
	if (strlen(t[1].s) > CAT_NAME_MAX) {
		lerr(L, "%s name longer than %d bytes", what, CAT_NAME_MAX);
		return -1;
	}
	return 0;
}

/* A service must name something to match on; checked when it ends. */
static void finish_service(struct loader *L)
{
	struct svc *s = L->svc;
	if (s && !s->n_hosts && !s->n_suffixes && !s->n_ips && !s->n_asns)
		lerr_at(L, s->line, "service \"%s\" has no host, suffix, ip or asn", s->pub.name);
	L->svc = NULL;
}

static void kw_vendor(struct loader *L, struct tok *t, int n)
{
	static const char *const keys[] = {"country", "source"};
	const char *vals[2] = {NULL, NULL};
	finish_service(L);
	L->vendor = NULL;
	if (check_name(L, t, n, "vendor") < 0)
		return;
	struct vend *v = xcalloc(1, sizeof(*v));
	v->pub.name = xstrdup(t[1].s);
	v->pub.where = where(L);
	*PUSH(L->tmp->vendors, L->tmp->n_vendors, L->tmp->cap_vendors) = v;
	L->vendor = v; /* even when the rest is wrong: no cascade of errors */
	if (take_opts(L, t, 2, n, keys, vals, 2) < 0)
		return;
	if (vals[0]) {
		const char *cc = vals[0];
		if (strlen(cc) != 2 || !isupper((unsigned char)cc[0]) || !isupper((unsigned char)cc[1])) {
			lerr(L, "bad country \"%s\" (two capital letters, ISO 3166-1)", cc);
			return;
		}
		v->pub.country = xstrdup(cc);
	}
	if (check_source(L, vals[1]) < 0)
		return;
	v->pub.source = xstrdup(vals[1]);
}

static void kw_service(struct loader *L, struct tok *t, int n)
{
	static const char *const keys[] = {"intent", "source"};
	const char *vals[2] = {NULL, NULL};
	finish_service(L);
	if (!L->vendor) {
		lerr(L, "service before any vendor");
		return;
	}
	if (check_name(L, t, n, "service") < 0)
		return;
	struct svc *s = xcalloc(1, sizeof(*s));
	s->pub.vendor = &L->vendor->pub;
	s->pub.name = xstrdup(t[1].s);
	s->pub.where = where(L);
	s->line = L->line;
	*PUSH(L->tmp->svcs, L->tmp->n_svcs, L->tmp->cap_svcs) = s;
	L->svc = s;
	if (take_opts(L, t, 2, n, keys, vals, 2) < 0)
		return;
	if (!vals[0]) {
		lerr(L, "missing intent");
		return;
	}
	int in = intent_parse(vals[0]);
	if (in < 0) {
		lerr(L, "bad intent \"%s\" (fota, device_management, telemetry, location, "
			"gnss_assist, cloud or other)",
		     vals[0]);
		return;
	}
	s->pub.intent = (enum intent)in;
	if (check_source(L, vals[1]) < 0)
		return;
	s->pub.source = xstrdup(vals[1]);
}

/* Lowercases a host name in place, drops one trailing dot and checks it
 * (labels of 1-63 letters, digits, '-' or '_'; 253 bytes).  Returns 0/-1. */
static int host_normalize(char *h)
{
	size_t n = strlen(h);
	if (n && h[n - 1] == '.')
		h[--n] = '\0';
	if (n == 0 || n > CAT_HOST_MAX)
		return -1;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)h[i];
		if (ch == '.') {
			if (label == 0)
				return -1;
			label = 0;
			continue;
		}
		if (!isalnum(ch) && ch != '-' && ch != '_')
			return -1;
		h[i] = (char)tolower(ch);
		if (++label > 63)
			return -1;
	}
	return label ? 0 : -1;
}

static struct svc *need_service(struct loader *L, const char *kw)
{
	if (!L->vendor)
		lerr(L, "\"%s\" before any vendor", kw);
	else if (!L->svc)
		lerr(L, "\"%s\" before any service", kw);
	return L->svc;
}

static void kw_host(struct loader *L, struct tok *t, int n)
{
	int suffix = strcmp(t[0].s, "suffix") == 0;
	struct svc *s = need_service(L, t[0].s);
	if (!s)
		return;
	if (n < 2)
		lerr(L, "missing value after \"%s\"", t[0].s);
	for (int i = 1; i < n; i++) {
		char *h = t[i].s;
		if (suffix && h[0] == '*' && h[1] == '.')
			h += 2;
		else if (suffix && h[0] == '.')
			h++;
		if (host_normalize(h) < 0) {
			lerr(L, "bad %s \"%s\"", suffix ? "suffix" : "host name", t[i].s);
			continue;
		}
		struct cat_name *e = suffix ? PUSH(s->suffixes, s->n_suffixes, s->cap_suffixes)
					    : PUSH(s->hosts, s->n_hosts, s->cap_hosts);
		e->name = xstrdup(h);
		e->line = L->line;
	}
}

/* "a.b.c.d[/len]" or "x::y[/len]" (digits only after the slash); bits
 * past len must be zero. */
static int parse_prefix(const char *s, struct cat_prefix *p)
{
	struct cidr c;
	struct ip_addr written;
	const char *why, *slash = strchr(s, '/');
	char buf[64];
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen >= sizeof(buf) || (slash && (!slash[1] || strspn(slash + 1, "0123456789") !=
							       strlen(slash + 1))))
		return -1;
	if (cidr_parse(s, &c, &why) < 0)
		return -1;
	/* cidr_parse clears host bits: a prefix written with them set is
	 * refused, as it is probably a typing error. */
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (ip_addr_parse(buf, &written) < 0 || memcmp(written.a, c.net.a, sizeof(c.net.a)) != 0)
		return -1;
	p->addr = c.net;
	p->len = (uint8_t)c.bits;
	return 0;
}

static void kw_ip(struct loader *L, struct tok *t, int n)
{
	struct svc *s = need_service(L, "ip");
	if (!s)
		return;
	if (n < 2)
		lerr(L, "missing value after \"ip\"");
	for (int i = 1; i < n; i++) {
		struct cat_prefix p;
		if (parse_prefix(t[i].s, &p) < 0) {
			lerr(L, "bad prefix \"%s\" (address/length, no bits set past the length)",
			     t[i].s);
			continue;
		}
		if (L->trie_budget + p.len + L->main->n_nodes > CAT_TRIE_NODES_MAX) {
			lerr(L, "too many address prefixes");
			return;
		}
		L->trie_budget += p.len;
		p.line = L->line;
		*PUSH(s->ips, s->n_ips, s->cap_ips) = p;
	}
}

/* Decimal digits into *v, at most max; returns 0 or -1. */
static int parse_uint(const char *s, uint32_t max, uint32_t *v)
{
	uint64_t x = 0;
	if (!*s || strlen(s) > 10)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	if (x > max)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static void kw_asn(struct loader *L, struct tok *t, int n)
{
	struct svc *s = need_service(L, "asn");
	if (!s)
		return;
	if (n < 2)
		lerr(L, "missing value after \"asn\"");
	for (int i = 1; i < n; i++) {
		const char *v = t[i].s;
		uint32_t asn;
		if ((v[0] == 'A' || v[0] == 'a') && (v[1] == 'S' || v[1] == 's'))
			v += 2;
		if (parse_uint(v, UINT32_MAX, &asn) < 0 || asn == 0) {
			lerr(L, "bad ASN \"%s\" (1-4294967295, AS prefix optional)", t[i].s);
			continue;
		}
		struct cat_asn *a = PUSH(s->asns, s->n_asns, s->cap_asns);
		a->asn = asn;
		snprintf(a->key, sizeof(a->key), "%u", asn);
		a->line = L->line;
	}
}

/* "N", "N/tcp", "N/udp", "N-M/udp" */
static int parse_port(const char *s, struct cat_port *p)
{
	char buf[32];
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	p->proto = 0;
	char *slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (strcmp(slash + 1, "tcp") == 0)
			p->proto = 6;
		else if (strcmp(slash + 1, "udp") == 0)
			p->proto = 17;
		else
			return -1;
	}
	char *dash = strchr(buf, '-');
	uint32_t lo, hi;
	if (dash)
		*dash = '\0';
	if (parse_uint(buf, 65535, &lo) < 0 || lo == 0)
		return -1;
	hi = lo;
	if (dash && (parse_uint(dash + 1, 65535, &hi) < 0 || hi < lo))
		return -1;
	p->lo = (uint16_t)lo;
	p->hi = (uint16_t)hi;
	return 0;
}

static void kw_port(struct loader *L, struct tok *t, int n)
{
	struct svc *s = need_service(L, "port");
	if (!s)
		return;
	if (n < 2)
		lerr(L, "missing value after \"port\"");
	for (int i = 1; i < n; i++) {
		struct cat_port p;
		if (parse_port(t[i].s, &p) < 0) {
			lerr(L, "bad port \"%s\" (1-65535 or a range, optional /tcp or /udp)", t[i].s);
			continue;
		}
		*PUSH(s->ports, s->n_ports, s->cap_ports) = p;
	}
}

static int parse_tac(const char *s, uint32_t *v)
{
	if (strlen(s) != 8)
		return -1;
	return parse_uint(s, 99999999, v);
}

/* The optional "source" of a TAC or client line; the vendor's otherwise. */
static int line_source(struct loader *L, struct tok *t, int i, int n, const char **src)
{
	static const char *const keys[] = {"source"};
	const char *vals[1] = {NULL};
	if (take_opts(L, t, i, n, keys, vals, 1) < 0)
		return -1;
	if (vals[0] && check_source(L, vals[0]) < 0)
		return -1;
	*src = vals[0] ? vals[0] : L->vendor->pub.source ? L->vendor->pub.source : "";
	return 0;
}

static void kw_tac(struct loader *L, struct tok *t, int n)
{
	int range = strcmp(t[0].s, "tac-range") == 0;
	uint32_t lo, hi;
	const char *src;
	if (!L->vendor) {
		lerr(L, "\"%s\" before any vendor", t[0].s);
		return;
	}
	if (n < 2) {
		lerr(L, "missing value after \"%s\"", t[0].s);
		return;
	}
	if (range) {
		char buf[32];
		char *dash;
		if (strlen(t[1].s) >= sizeof(buf) || !(dash = strchr(strcpy(buf, t[1].s), '-'))) {
			lerr(L, "bad TAC range \"%s\" (FIRST-LAST, 8 digits each)", t[1].s);
			return;
		}
		*dash = '\0';
		if (parse_tac(buf, &lo) < 0 || parse_tac(dash + 1, &hi) < 0 || hi < lo) {
			lerr(L, "bad TAC range \"%s\" (FIRST-LAST, 8 digits each)", t[1].s);
			return;
		}
	} else if (parse_tac(t[1].s, &lo) < 0) {
		lerr(L, "bad TAC \"%s\" (8 digits)", t[1].s);
		return;
	} else {
		hi = lo;
	}
	if (line_source(L, t, 2, n, &src) < 0)
		return;
	struct tacr *r = xcalloc(1, sizeof(*r));
	r->lo = lo;
	r->hi = hi;
	snprintf(r->key, sizeof(r->key), "%08u", lo);
	r->source = xstrdup(src);
	r->where = where(L);
	r->vendor = L->vendor;
	*PUSH(L->tmp->tacs, L->tmp->n_tacs, L->tmp->cap_tacs) = r;
}

static int ja3_valid(char *s)
{
	if (strlen(s) != 32)
		return 0;
	for (; *s; s++) {
		if (!isxdigit((unsigned char)*s))
			return 0;
		*s = (char)tolower((unsigned char)*s);
	}
	return 1;
}

/* JA4: "t13d1516h2_8daaf6152771_b186095e22b6" (10 + _ + 12 + _ + 12). */
static int ja4_valid(const char *s)
{
	if (strlen(s) != 36 || s[10] != '_' || s[23] != '_')
		return 0;
	for (size_t i = 0; i < 36; i++)
		if (i != 10 && i != 23 && !isdigit((unsigned char)s[i]) &&
		    !islower((unsigned char)s[i]))
			return 0;
	return 1;
}

static void kw_client(struct loader *L, struct tok *t, int n)
{
	const char *kw = t[0].s;
	enum client_kind kind;
	int i = 2;
	const char *src;
	if (!L->vendor) {
		lerr(L, "\"%s\" before any vendor", kw);
		return;
	}
	if (strcmp(kw, "user-agent") == 0) {
		if (n < 3 || t[1].quoted ||
		    (strcmp(t[1].s, "exact") != 0 && strcmp(t[1].s, "prefix") != 0)) {
			lerr(L, "bad user-agent (user-agent exact|prefix \"TEXT\")");
			return;
		}
		kind = strcmp(t[1].s, "exact") == 0 ? CL_UA_EXACT : CL_UA_PREFIX;
		if (!t[2].s[0] || strlen(t[2].s) > CAT_TEXT_MAX) {
			lerr(L, "bad user-agent \"%s\" (1-%d bytes)", t[2].s, CAT_TEXT_MAX);
			return;
		}
		i = 3;
	} else if (strcmp(kw, "ja3") == 0) {
		kind = CL_JA3;
		if (n < 2 || !ja3_valid(t[1].s)) {
			lerr(L, "bad JA3 \"%s\" (32 hex digits)", n < 2 ? "" : t[1].s);
			return;
		}
	} else {
		kind = CL_JA4;
		if (n < 2 || !ja4_valid(t[1].s)) {
			lerr(L, "bad JA4 \"%s\" (like t13d1516h2_8daaf6152771_b186095e22b6)",
			     n < 2 ? "" : t[1].s);
			return;
		}
	}
	if (line_source(L, t, i, n, &src) < 0)
		return;
	struct client *cl = xcalloc(1, sizeof(*cl));
	cl->kind = kind;
	cl->value = xstrdup(t[i - 1].s);
	cl->source = xstrdup(src);
	cl->where = where(L);
	cl->vendor = L->vendor;
	*PUSH(L->tmp->clients, L->tmp->n_clients, L->tmp->cap_clients) = cl;
}

static const struct {
	const char *kw;
	void (*fn)(struct loader *, struct tok *, int);
} keywords[] = {
	{"vendor", kw_vendor},   {"service", kw_service},     {"host", kw_host},
	{"suffix", kw_host},     {"ip", kw_ip},               {"asn", kw_asn},
	{"port", kw_port},       {"tac", kw_tac},             {"tac-range", kw_tac},
	{"user-agent", kw_client}, {"ja3", kw_client},        {"ja4", kw_client},
};

static void parse_line(struct loader *L, char *line, size_t len)
{
	struct tok t[CAT_TOKENS_MAX];
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];
		if ((ch < 0x20 && ch != '\t' && ch != '\r') || ch == 0x7f) {
			lerr(L, "control character 0x%02x", ch);
			return;
		}
	}
	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	if (!utf8_valid((const unsigned char *)line, len)) {
		lerr(L, "not UTF-8");
		return;
	}
	int n = tokenize(L, line, t);
	if (n <= 0)
		return;
	for (size_t k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++) {
		if (!t[0].quoted && strcmp(t[0].s, keywords[k].kw) == 0) {
			keywords[k].fn(L, t, n);
			return;
		}
	}
	lerr(L, "unknown keyword \"%s\"", t[0].s);
}

static int ports_overlap(const struct svc *a, const struct svc *b)
{
	if (!a->n_ports || !b->n_ports)
		return 1;
	for (size_t i = 0; i < a->n_ports; i++)
		for (size_t j = 0; j < b->n_ports; j++) {
			const struct cat_port *p = &a->ports[i], *q = &b->ports[j];
			if (p->lo <= q->hi && q->lo <= p->hi &&
			    (!p->proto || !q->proto || p->proto == q->proto))
				return 1;
		}
	return 0;
}

/* An exact host in two services whose ports overlap would make the
 * match depend on load order: an error, against this file and the
 * catalog loaded so far.  Indexes the file's hosts into L->tmp. */
static void check_duplicates(struct loader *L)
{
	for (size_t i = 0; i < L->tmp->n_svcs; i++) {
		struct svc *s = L->tmp->svcs[i];
		for (size_t k = 0; k < s->n_hosts; k++) {
			const char *h = s->hosts[k].name;
			uint32_t hv = hash_str(h);
			const struct htab *tabs[2] = {&L->tmp->exact, &L->main->exact};
			int dup = 0;
			for (int ti = 0; ti < 2 && !dup; ti++) {
				const struct hnode *e = htab_find(tabs[ti], h, strlen(h), hv);
				for (; e && !dup; e = hnode_find(e->next, h, strlen(h), hv)) {
					const struct svc *o = e->val;
					if (o == s) {
						lerr_at(L, s->hosts[k].line, "host \"%s\" listed twice", h);
						dup = 1;
					} else if (ports_overlap(s, o)) {
						lerr_at(L, s->hosts[k].line,
							"duplicate host \"%s\": also in service \"%s\" "
							"(%s) with overlapping ports",
							h, o->pub.name, o->pub.where);
						dup = 1;
					}
				}
			}
			if (!dup)
				htab_add(&L->tmp->exact, h, s);
		}
	}
}

/* Reads lines of at most CAT_LINE_MAX bytes; a longer one is reported
 * and skipped to its end. */
static void parse_stream(struct loader *L, FILE *fp)
{
	char buf[CAT_LINE_MAX + 2];
	for (;;) {
		size_t len = 0;
		int ch, too_long = 0;
		while ((ch = getc(fp)) != EOF && ch != '\n') {
			if (len <= CAT_LINE_MAX)
				buf[len++] = (char)ch;
			else
				too_long = 1;
		}
		if (ch == EOF && len == 0)
			break;
		L->line++;
		if (too_long || len > CAT_LINE_MAX)
			lerr(L, "line longer than %d bytes", CAT_LINE_MAX);
		else {
			buf[len] = '\0';
			parse_line(L, buf, len);
		}
		if (L->nerr > CAT_FILE_ERRORS_MAX || ch == EOF)
			break;
	}
	if (ferror(fp))
		lerr(L, "read error: %s", strerror(errno));
}

static int load_file(struct catalog *c, const char *path, FILE *errs)
{
	struct loader L = {.main = c, .path = path, .errs = errs};
	FILE *fp = fopen(path, "r");
	if (!fp) {
		if (errs)
			fprintf(errs, "%s: cannot open: %s\n", path, strerror(errno));
		return 1;
	}
	L.tmp = catalog_new();
	parse_stream(&L, fp);
	fclose(fp);
	if (L.nerr <= CAT_FILE_ERRORS_MAX)
		finish_service(&L);
	if (!L.nerr)
		check_duplicates(&L);
	if (L.nerr > CAT_FILE_ERRORS_MAX && errs)
		fprintf(errs, "%s: too many errors (%d), file skipped\n", path, L.nerr);
	if (!L.nerr)
		merge(c, L.tmp);
	catalog_free(L.tmp);
	return L.nerr;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(struct catalog *c, const char *path, FILE *errs)
{
	DIR *d = opendir(path);
	if (!d) {
		if (errs)
			fprintf(errs, "%s: cannot open: %s\n", path, strerror(errno));
		return 1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int nerr = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 8 || strcmp(de->d_name + len - 8, ".catalog"))
			continue;
		if (n == CAT_DIR_FILES_MAX) {
			if (errs)
				fprintf(errs, "%s: more than %d catalog files\n", path,
					CAT_DIR_FILES_MAX);
			nerr++;
			break;
		}
		*PUSH(names, n, cap) = xstrdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *file = xasprintf("%s/%s", path, names[i]);
		struct stat st;
		if (stat(file, &st) == 0 && S_ISREG(st.st_mode))
			nerr += load_file(c, file, errs);
		free(file);
		free(names[i]);
	}
	free(names);
	return nerr;
}

int catalog_load(struct catalog *c, const char *path, FILE *errs)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return load_dir(c, path, errs);
	return load_file(c, path, errs);
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The source tree's policies/vendors when this program runs from a build
 * tree (its directory or one of the two above it holds config.status),
 * else $(pkgdatadir)/vendors. */
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
			snprintf(probe, sizeof(probe), "%s/config.status", exe);
			if (access(probe, R_OK) == 0) {
				snprintf(buf, len, "%s/policies/vendors", exe);
				if (is_dir(buf))
					return;
#ifdef APN_SRCDIR
				/* A build tree apart from its sources (VPATH, distcheck). */
				snprintf(buf, len, "%s/policies/vendors", APN_SRCDIR);
				if (is_dir(buf))
					return;
#endif
			}
			if ((slash = strrchr(exe, '/')))
				*slash = '\0';
		}
	}
	snprintf(buf, len, "%s/vendors", APN_DATADIR);
}

int catalog_load_builtin(struct catalog *c, FILE *errs)
{
	char dir[PATH_MAX + 32];
	builtin_dir(dir, sizeof(dir));
	return load_dir(c, dir, errs);
}

/* ---- lookups --------------------------------------------------------- */

static const char *proto_name(uint8_t p) { return p == 6 ? "/tcp" : p == 17 ? "/udp" : ""; }

/* 1 when s may serve q's port: it lists none, or one that holds it (then
 * *hit is that one). */
static int port_ok(const struct svc *s, const struct catalog_query *q, const struct cat_port **hit)
{
	*hit = NULL;
	if (!s->n_ports)
		return 1;
	for (size_t i = 0; i < s->n_ports; i++) {
		const struct cat_port *p = &s->ports[i];
		if (q->port && q->port >= p->lo && q->port <= p->hi &&
		    (!p->proto || p->proto == q->transport)) {
			*hit = p;
			return 1;
		}
	}
	return 0;
}

struct best {
	const struct svc *s;
	const struct cat_port *port;
	const void *detail; /* the key or prefix that matched */
};

/* Offers s to b: one that lists ports wins over one that lists none;
 * then the first loaded. */
static void offer(struct best *b, const struct svc *s, const struct catalog_query *q,
		  const void *detail)
{
	const struct cat_port *hit;
	if (!port_ok(s, q, &hit))
		return;
	if (b->s && (b->port != NULL) > (hit != NULL))
		return;
	if (b->s && (b->port != NULL) == (hit != NULL) && b->s->seq <= s->seq)
		return;
	b->s = s;
	b->port = hit;
	b->detail = detail;
}

/* Walks every node with key[0..klen) (hash h) of t and offers its services. */
static void offer_all(struct best *b, const struct htab *t, const char *key, size_t klen,
		      uint32_t h, const struct catalog_query *q)
{
	const struct hnode *e = htab_find(t, key, klen, h);
	for (; e; e = hnode_find(e->next, key, klen, h))
		offer(b, e->val, q, e->key);
}

static int fill(struct catalog_match *m, const struct best *b, enum catalog_match_kind kind,
		const struct catalog_query *q)
{
	char what[100];
	if (!b->s)
		return 0;
	m->service = &b->s->pub;
	m->kind = kind;
	if (kind == CAT_MATCH_HOST) {
		snprintf(what, sizeof(what), "host %s", (const char *)b->detail);
	} else if (kind == CAT_MATCH_HOST_SUFFIX) {
		snprintf(what, sizeof(what), "host suffix .%s", (const char *)b->detail);
	} else if (kind == CAT_MATCH_IP) {
		const struct cat_prefix *p = b->detail;
		char a[INET6_ADDRSTRLEN];
		inet_ntop(p->addr.family == 4 ? AF_INET : AF_INET6, p->addr.a, a, sizeof(a));
		snprintf(what, sizeof(what), "address %s/%u", a, p->len);
	} else {
		snprintf(what, sizeof(what), "AS%s", (const char *)b->detail);
	}
	if (b->port)
		snprintf(m->why, sizeof(m->why), "%s port %u%s", what, q->port,
			 proto_name(q->transport));
	else
		snprintf(m->why, sizeof(m->why), "%s", what);
	return 1;
}

static int match_host(const struct catalog *c, const struct catalog_query *q,
		      struct catalog_match *m)
{
	char name[CAT_HOST_MAX + 2];
	size_t n = strlen(q->host);
	if (n && q->host[n - 1] == '.')
		n--;
	if (n == 0 || n > CAT_HOST_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		name[i] = (char)tolower((unsigned char)q->host[i]);
	name[n] = '\0';

	/* One right-to-left pass: the hash of each dot-suffix, kept by where
	 * it starts, so the probes below go from the longest down. */
	size_t start[CAT_HOST_MAX / 2 + 2];
	uint32_t hs[CAT_HOST_MAX / 2 + 2];
	size_t ns = 0;
	uint32_t h = HASH_INIT;
	for (size_t i = n; i-- > 0;) {
		h = hash_step(h, (unsigned char)name[i]);
		if ((i == 0 || name[i - 1] == '.') && ns < sizeof(start) / sizeof(start[0])) {
			start[ns] = i;
			hs[ns++] = h;
		}
	}
	struct best b = {0};
	if (ns && start[ns - 1] == 0)
		offer_all(&b, &c->exact, name, n, hs[ns - 1], q);
	if (fill(m, &b, CAT_MATCH_HOST, q))
		return 1;
	for (size_t k = ns; k-- > 0;) {
		offer_all(&b, &c->suffix, name + start[k], n - start[k], hs[k], q);
		if (fill(m, &b, CAT_MATCH_HOST_SUFFIX, q))
			return 1;
	}
	return 0;
}

static int match_ip(const struct catalog *c, const struct catalog_query *q,
		    struct catalog_match *m)
{
	const struct ip_addr *a = q->ip;
	unsigned max = a->family == 4 ? 32 : a->family == 6 ? 128 : 0;
	if (!max)
		return 0;
	uint32_t n = a->family == 4 ? 0 : 1;
	struct best best = {0};
	for (unsigned i = 0;; i++) {
		struct best here = {0};
		for (const struct tent *e = c->nodes[n].head; e; e = e->next)
			offer(&here, e->svc, q, e->p);
		if (here.s)
			best = here; /* deeper is longer: it wins */
		if (i == max || !(n = c->nodes[n].child[addr_bit(a, i)]))
			break;
	}
	return fill(m, &best, CAT_MATCH_IP, q);
}

int catalog_match(const struct catalog *c, const struct catalog_query *q, struct catalog_match *m)
{
	memset(m, 0, sizeof(*m));
	if (!c || !q)
		return 0;
	if (q->host && match_host(c, q, m))
		return 1;
	if (q->ip && match_ip(c, q, m))
		return 1;
	if (q->asn) {
		char key[12];
		struct best b = {0};
		snprintf(key, sizeof(key), "%u", q->asn);
		offer_all(&b, &c->asn, key, strlen(key), hash_str(key), q);
		if (fill(m, &b, CAT_MATCH_ASN, q))
			return 1;
	}
	memset(m, 0, sizeof(*m));
	return 0;
}

static const struct client *client_find(const struct htab *t, const char *key)
{
	size_t n = strlen(key);
	const struct hnode *e = htab_find(t, key, n, hash_str(key));
	return e ? e->val : NULL;
}

const struct catalog_vendor *catalog_client(const struct catalog *c, const char *user_agent,
					    const char *ja3, const char *ja4, char *why,
					    size_t why_len)
{
	const struct client *hit = NULL;
	const char *how = "";
	if (why_len)
		why[0] = '\0';
	if (!c)
		return NULL;
	if (user_agent && (hit = client_find(&c->ua, user_agent)))
		how = "user-agent";
	if (!hit && user_agent) {
		size_t best = 0;
		for (size_t i = 0; i < c->n_ua_prefix; i++) {
			const struct client *cl = c->ua_prefix[i];
			size_t n = strlen(cl->value);
			if (n > best && strncmp(user_agent, cl->value, n) == 0) {
				hit = cl;
				best = n;
			}
		}
		how = "user-agent prefix";
	}
	if (!hit && ja4 && (hit = client_find(&c->ja, ja4)))
		how = "ja4";
	if (!hit && ja3) {
		char low[33];
		size_t n = strlen(ja3);
		if (n == 32) {
			for (size_t i = 0; i <= n; i++)
				low[i] = (char)tolower((unsigned char)ja3[i]);
			if ((hit = client_find(&c->ja, low)))
				how = "ja3";
		}
	}
	if (!hit)
		return NULL;
	if (why_len)
		snprintf(why, why_len, "%s \"%s\" (%s)", how, hit->value, hit->where);
	return &hit->vendor->pub;
}

const struct catalog_vendor *catalog_tac(const struct catalog *c, const char *imei)
{
	char key[9];
	uint32_t tac = 0;
	if (!c || !imei)
		return NULL;
	for (int i = 0; i < 8; i++) {
		if (!isdigit((unsigned char)imei[i]))
			return NULL;
		key[i] = imei[i];
		tac = tac * 10 + (uint32_t)(imei[i] - '0');
	}
	key[8] = '\0';
	const struct hnode *e = htab_find(&c->tac, key, 8, hash_str(key));
	if (e)
		return &((const struct tacr *)e->val)->vendor->pub;
	/* The narrowest range that holds it: a model's range inside a maker's. */
	const struct tacr *best = NULL;
	for (size_t i = 0; i < c->n_tac_ranges; i++) {
		const struct tacr *r = c->tac_ranges[i];
		if (tac >= r->lo && tac <= r->hi && (!best || r->hi - r->lo < best->hi - best->lo))
			best = r;
	}
	return best ? &best->vendor->pub : NULL;
}
