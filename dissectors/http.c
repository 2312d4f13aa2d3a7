/*
 * http.c - HTTP/1.x: the requests and responses of a TCP connection, paired
 * in order (pipelining included), with OMA-DM (SyncML) recognition.
 *
 * Follows RFC 9112 (HTTP/1.1 message syntax and framing, section 6.3 for
 * the body length) and RFC 9110 (which responses carry no body: to HEAD,
 * 1xx, 204, 304; CONNECT 2xx and 101 switch the connection to another
 * protocol).  OMA-DM: OMA-TS-DM_Protocol 1.2/2.0 (SyncML over HTTP, media
 * types application/vnd.syncml.dm+xml and +wbxml) and OMA-TS-DM-FUMO
 * (the firmware update management object: PkgURL, DownloadAndUpdate,
 * Update, State...).
 *
 *   request                                 response
 *   +-------------------------------------+ +------------------------------------+
 *   | method SP request-target SP HTTP/1.x| | HTTP/1.x SP 3DIGIT [SP reason]     |
 *   | field-name ":" OWS value OWS   CRLF | | field-name ":" OWS value OWS  CRLF |
 *   | ...                                 | | ...                                |
 *   | CRLF                                | | CRLF                               |
 *   | body: Content-Length bytes, chunked,| | body: none (HEAD, 1xx, 204, 304),  |
 *   |       or none                       | |  chunked, Content-Length, or close |
 *   +-------------------------------------+ +------------------------------------+
 *   chunked:  hex-size [;ext] CRLF  data CRLF ... "0" CRLF  *(trailer CRLF) CRLF
 *
 * Each direction is a small state machine fed in-order stream bytes: lines
 * (start line, fields, chunk sizes, trailers) are cut at LF, a line split
 * across segments is carried in a buffer capped at HTTP_LINE_MAX; bodies
 * are skipped by their length and never buffered, except the body of an
 * OMA-DM XML message, of which up to 64 KiB is scanned for <LocURI> values
 * as it passes.  The client is the side that sent the first request (or did
 * not send the first response): the device may be either.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_protocol_ids.h>

#include "dissector.h"
#include "intent.h"
#include "util-reader.h"
#include "util-sha256.h"

#define HTTP_LINE_MAX 8192    /* one line: nginx's and Apache's default limit */
#define HTTP_HEADER_MAX 65536 /* one message's start line and fields */
#define HTTP_TXN_MAX 16       /* transactions kept for the event */
#define HTTP_PENDING_MAX 32   /* requests waiting for their response */
#define HTTP_METHOD_MAX 32
#define HTTP_URI_MAX 1024
#define HTTP_NAME_MAX 255 /* Host, Content-Type */
#define HTTP_UA_MAX 1024
#define OMADM_BODY_MAX 65536 /* bytes of one OMA-DM body scanned */
#define OMADM_NODES_MAX 16
#define OMADM_NODE_MAX 255
#define HTTP_XFER_MAX 8                       /* transfers kept; more are counted */
#define HTTP_XFER_CAP_DEFAULT (64ull << 20) /* bytes hashed per flow when unset */

/* Where a direction's parser is. */
enum http_phase {
	PH_START = 0,  /* before a start line (empty lines allowed) */
	PH_HEADERS,    /* field lines up to the empty line */
	PH_BODY_LEN,   /* Content-Length bytes left */
	PH_CHUNK_SIZE, /* a chunk-size line */
	PH_CHUNK_DATA, /* chunk bytes left */
	PH_CHUNK_END,  /* the CRLF after chunk data */
	PH_TRAILERS,   /* trailer fields up to the empty line */
	PH_BODY_CLOSE, /* everything up to the connection's end */
	PH_RESYNC,     /* after a gap or an invalid message: waits for a segment
			* that starts a message */
	PH_DEAD,       /* gave up on this direction */
};

/* What a request means for its response's body. */
enum http_mclass {
	M_OTHER = 0,
	M_HEAD,    /* no body */
	M_CONNECT, /* 2xx: a tunnel */
	M_SIMPLE,  /* HTTP/0.9 "GET /": the response is a bare body up to the close */
};
enum omadm_kind { OMADM_NONE = 0, OMADM_XML, OMADM_WBXML };

/* A bounded copy of packet bytes, NUL-terminated; first value wins. */
struct hstr {
	char *p;
	uint16_t n;
};

struct http_txn {
	struct hstr method, uri, host, ua, req_ct, resp_ct;
	uint64_t req_bytes, resp_bytes; /* body: Content-Length, else counted */
	uint16_t status;
	uint8_t version; /* 10 * major + minor: the request's, else the response's */
	uint8_t has_req, has_resp;
	uint8_t req_body, resp_body; /* the message had a body (bytes are valid) */
};

/* The message being parsed in one direction. */
struct http_msg {
	struct http_txn *t; /* where its fields go; NULL past HTTP_TXN_MAX or 1xx */
	uint64_t cl;
	uint32_t hdr_len;
	uint16_t status;
	uint8_t is_req, mclass;
	uint8_t has_cl, cl_bad, te, te_chunked;
	uint8_t counted; /* body bytes are counted (chunked, close-delimited) */
	uint8_t omadm, ct_seen;
	uint8_t upload;  /* a PUT or POST: its body is a transfer */
	uint8_t encoded; /* a content or transfer coding other than chunked/identity */
};

/* What a transfer keeps besides its struct app_transfer. */
struct http_xfer_aux {
	struct sha256 hash; /* ctx NULL once final or given up */
	char *method, *name, *url, *ctype;
	int8_t txn;     /* its transaction in txn[] (an upload's status), -1 none */
	uint8_t upload; /* a request's body: its response tells success */
};

struct http_xfers {
	struct app_transfer t[HTTP_XFER_MAX]; /* contiguous: transfers() hands them out */
	struct http_xfer_aux a[HTTP_XFER_MAX];
};

struct http_dir {
	uint8_t phase;
	uint64_t left; /* PH_BODY_LEN, PH_CHUNK_DATA */
	struct http_msg m;
	uint8_t *line; /* a line split across segments */
	size_t line_len, line_cap;
	uint8_t *scan; /* OMA-DM XML body bytes not scanned yet */
	size_t scan_len, scan_cap, scan_total;
	struct app_transfer *xt; /* the body being hashed, NULL when none */
	struct http_xfer_aux *xa;
};

struct omadm_state {
	struct hstr content_type;
	uint32_t messages;
	uint8_t wbxml, fumo, n_nodes;
	struct hstr nodes[OMADM_NODES_MAX];
};

#define PEND_NOT_KEPT (-1) /* a request past HTTP_TXN_MAX */
#define PEND_LOST (-2)     /* a request lost in a gap: its response starts a transaction */

struct http_pending {
	uint8_t mclass;
	int8_t idx; /* index in txn[], or PEND_NOT_KEPT, PEND_LOST */
};

struct http_state {
	uint8_t taken;
	uint8_t client_known, client_dir;
	uint8_t tunnel; /* CONNECT 2xx or 101: no longer HTTP */
	struct http_dir d[2];
	struct http_txn *txn; /* the first HTTP_TXN_MAX, allocated on the first */
	uint32_t n_kept;
	uint64_t n_txn;
	struct http_pending pend[HTTP_PENDING_MAX];
	uint32_t pend_head, pend_n;
	struct hstr sname; /* the first Host without its port */
	struct omadm_state om;
	struct http_xfers *xf; /* allocated on the first transfer */
	uint32_t n_xf;         /* kept, at most HTTP_XFER_MAX */
	uint64_t xf_total;     /* bodies seen, kept or not */
	uint64_t hashed;       /* bytes hashed in this flow (the cap) */
	const struct flow *flow; /* its flow: addresses, and how the flow ended */
};

/* ---------------------------------------------------------------------
 * Small helpers over the reader.
 * --------------------------------------------------------------------- */

static int is_ows(uint8_t b) { return b == ' ' || b == '\t'; }

static int is_digit(uint8_t b) { return b >= '0' && b <= '9'; }

static uint8_t lower(uint8_t b) { return (b >= 'A' && b <= 'Z') ? (uint8_t)(b + 32) : b; }

/* RFC 9110 5.6.2 tchar. */
static int is_tchar(uint8_t b)
{
	if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || is_digit(b))
		return 1;
	return b != 0 && strchr("!#$%&'*+-.^_`|~", b) != NULL;
}

/* 1 when the bytes at r's cursor start with s (case-sensitive). */
static int rd_starts(const struct rd *r, const char *s)
{
	size_t n = strlen(s);
	if (rd_left(r) < n)
		return 0;
	return memcmp(rd_ptr(r), s, n) == 0;
}

/* 1 when the window r holds exactly s, ignoring ASCII case. */
static int rd_eq_ci(const struct rd *r, const char *s)
{
	size_t n = strlen(s);
	if (rd_left(r) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower(rd_peek(r, i)) != (uint8_t)s[i])
			return 0;
	return 1;
}

static void rd_skip_ows(struct rd *r)
{
	while (rd_left(r) && is_ows(rd_peek(r, 0)))
		rd_skip(r, 1);
}

/* The next word: skips SP/HTAB, then takes bytes up to the next SP/HTAB. */
static struct rd rd_word(struct rd *r)
{
	size_t n = 0;
	rd_skip_ows(r);
	while (n < rd_left(r) && !is_ows(rd_peek(r, n)))
		n++;
	return rd_sub(r, n);
}

/* The rest of r without leading and trailing OWS; r ends up empty. */
static struct rd rd_rest_trimmed(struct rd *r)
{
	rd_skip_ows(r);
	size_t n = rd_left(r);
	while (n && is_ows(rd_peek(r, n - 1)))
		n--;
	struct rd v = rd_sub(r, n);
	rd_skip(r, rd_left(r));
	return v;
}

/* The offset from r's cursor of the first byte equal to b, or rd_left(r). */
static size_t rd_index(const struct rd *r, uint8_t b)
{
	const uint8_t *p = rd_left(r) ? memchr(rd_ptr(r), b, rd_left(r)) : NULL;
	return p ? (size_t)(p - rd_ptr(r)) : rd_left(r);
}

/* The offset from r's cursor of the first occurrence of s; -1 if none. */
static long rd_find(const struct rd *r, const char *s)
{
	size_t n = strlen(s), left = rd_left(r);
	for (size_t i = 0; n <= left && i <= left - n; i++)
		if (rd_peek(r, i) == (uint8_t)s[0] && memcmp(rd_ptr(r) + i, s, n) == 0)
			return (long)i;
	return -1;
}

/* Keeps the first value: a copy of at most max bytes of v. */
static void hstr_set(struct hstr *h, const struct rd *v, size_t max)
{
	if (h->p != NULL)
		return;
	size_t n = rd_left(v) < max ? rd_left(v) : max;
	h->p = malloc(n + 1);
	if (h->p == NULL)
		return;
	if (n)
		memcpy(h->p, rd_ptr(v), n);
	h->p[n] = '\0';
	h->n = (uint16_t)n;
}

static void hstr_free(struct hstr *h)
{
	free(h->p);
	h->p = NULL;
	h->n = 0;
}

/* "HTTP/" DIGIT "." DIGIT, major 1; returns 10 * major + minor, 0 if not. */
static uint8_t http_version(const struct rd *v)
{
	if (rd_left(v) != 8 || !rd_starts(v, "HTTP/1.") || !is_digit(rd_peek(v, 7)))
		return 0;
	return (uint8_t)(10 + (rd_peek(v, 7) - '0'));
}

/* ---------------------------------------------------------------------
 * Probe: a request line with a common method, or a status line.
 * --------------------------------------------------------------------- */

static const char *const probe_methods[] = {"GET ",     "POST ",    "PUT ",   "HEAD ",
					    "DELETE ", "OPTIONS ", "PATCH ", "CONNECT "};

static int looks_request(const struct rd *r)
{
	for (size_t i = 0; i < sizeof(probe_methods) / sizeof(probe_methods[0]); i++)
		if (rd_starts(r, probe_methods[i]))
			return 1;
	return 0;
}

static int looks_response(const struct rd *r) { return rd_starts(r, "HTTP/1."); }

/* dir is not used: the device may be the server (inbound flows), so the
 * direction does not tell which side answers. */
static int http_probe(const uint8_t *data, size_t len, int dir)
{
	(void)dir;
	struct rd r = rd_init(data, len);
	return looks_request(&r) || looks_response(&r);
}

/* ---------------------------------------------------------------------
 * Transactions and the queue of requests waiting for responses.
 * --------------------------------------------------------------------- */

/* A new transaction; NULL when past HTTP_TXN_MAX (it is only counted). */
static struct http_txn *txn_new(struct http_state *s, int8_t *idx)
{
	s->n_txn++;
	*idx = PEND_NOT_KEPT;
	if (s->n_kept >= HTTP_TXN_MAX)
		return NULL;
	if (s->txn == NULL) {
		s->txn = calloc(HTTP_TXN_MAX, sizeof(*s->txn));
		if (s->txn == NULL)
			return NULL;
	}
	*idx = (int8_t)s->n_kept;
	return &s->txn[s->n_kept++];
}

/* Queues a request.  When HTTP_PENDING_MAX requests already wait (a
 * one-sided capture, say), it is not queued: a later response finds the
 * queue shorter and starts a transaction of its own. */
static void pend_push(struct http_state *s, uint8_t mclass, int8_t idx)
{
	if (s->pend_n >= HTTP_PENDING_MAX)
		return;
	struct http_pending *p = &s->pend[(s->pend_head + s->pend_n) % HTTP_PENDING_MAX];
	p->mclass = mclass;
	p->idx = idx;
	s->pend_n++;
}

/* Pairs a final response with the oldest waiting request, or starts a
 * transaction for a response whose request was not seen. */
static struct http_txn *pend_pop(struct http_state *s, uint8_t *mclass)
{
	int8_t idx;
	if (s->pend_n == 0) {
		*mclass = M_OTHER;
		return txn_new(s, &idx);
	}
	struct http_pending p = s->pend[s->pend_head];
	s->pend_head = (s->pend_head + 1) % HTTP_PENDING_MAX;
	s->pend_n--;
	*mclass = p.mclass;
	if (p.idx == PEND_LOST)
		return txn_new(s, &idx);
	return p.idx >= 0 && s->txn ? &s->txn[p.idx] : NULL;
}

/* The oldest waiting request's class, M_OTHER when none waits. */
static uint8_t pend_peek(const struct http_state *s)
{
	return s->pend_n ? s->pend[s->pend_head].mclass : M_OTHER;
}

/* The response to the oldest waiting request was lost (a gap, or a
 * capture that began inside it): that request is answered. */
static void pend_drop(struct http_state *s)
{
	if (s->pend_n == 0)
		return;
	s->pend_head = (s->pend_head + 1) % HTTP_PENDING_MAX;
	s->pend_n--;
}

/* ---------------------------------------------------------------------
 * OMA-DM: SyncML media types and <LocURI> values of FUMO nodes.
 * --------------------------------------------------------------------- */

static uint8_t omadm_kind(const struct rd *media)
{
	if (rd_eq_ci(media, "application/vnd.syncml.dm+xml") ||
	    rd_eq_ci(media, "application/vnd.syncml+xml"))
		return OMADM_XML;
	if (rd_eq_ci(media, "application/vnd.syncml.dm+wbxml") ||
	    rd_eq_ci(media, "application/vnd.syncml+wbxml"))
		return OMADM_WBXML;
	return OMADM_NONE;
}

/* FUMO nodes (OMA-TS-DM-FUMO): the MO's usual roots ./FUMO and ./FwUpdate,
 * a FUMO placed anywhere (a vendor subtree: .../FUMO/...), and the node
 * names that only a firmware update uses. */
static int omadm_is_fumo(const struct rd *v)
{
	static const char *const parts[] = {"/FUMO/",  "/PkgURL", "/DownloadAndUpdate",
					    "/Update", "/State"};
	if (rd_starts(v, "./FUMO") || rd_starts(v, "./FwUpdate"))
		return 1;
	if (rd_left(v) >= 5 && memcmp(rd_ptr(v) + rd_left(v) - 5, "/FUMO", 5) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (rd_find(v, parts[i]) >= 0)
			return 1;
	return 0;
}

static int is_xml_space(uint8_t b) { return b == ' ' || b == '\t' || b == '\r' || b == '\n'; }

static void omadm_node(struct omadm_state *om, struct rd *value)
{
	while (rd_left(value) && is_xml_space(rd_peek(value, 0)))
		rd_skip(value, 1);
	size_t n = rd_left(value);
	while (n && is_xml_space(rd_peek(value, n - 1)))
		n--;
	struct rd v = rd_sub(value, n);
	if (rd_left(&v) == 0 || !omadm_is_fumo(&v))
		return;
	om->fumo = 1;
	n = n < OMADM_NODE_MAX ? n : OMADM_NODE_MAX;
	for (uint8_t i = 0; i < om->n_nodes; i++)
		if (om->nodes[i].n == n && memcmp(om->nodes[i].p, rd_ptr(&v), n) == 0)
			return;
	if (om->n_nodes < OMADM_NODES_MAX) {
		hstr_set(&om->nodes[om->n_nodes], &v, OMADM_NODE_MAX);
		if (om->nodes[om->n_nodes].p)
			om->n_nodes++;
	}
}

/* Scans the buffered body for complete <LocURI>...</LocURI> elements and
 * drops what it scanned, keeping an element still open or the tail that
 * may hold half a start tag. */
static void omadm_scan(struct omadm_state *om, struct http_dir *d)
{
	static const char open[] = "<LocURI>", close[] = "</LocURI>";
	struct rd r = rd_init(d->scan, d->scan_len);
	size_t keep = 0;
	for (;;) {
		long a = rd_find(&r, open);
		if (a < 0) {
			size_t tail = sizeof(open) - 2;
			keep = d->scan_len - rd_off(&r) > tail ? d->scan_len - tail : rd_off(&r);
			break;
		}
		keep = rd_off(&r) + (size_t)a;
		rd_skip(&r, (size_t)a + sizeof(open) - 1);
		long b = rd_find(&r, close);
		if (b < 0)
			break;
		struct rd v = rd_sub(&r, (size_t)b);
		omadm_node(om, &v);
		rd_skip(&r, sizeof(close) - 1);
		keep = rd_off(&r);
	}
	memmove(d->scan, d->scan + keep, d->scan_len - keep);
	d->scan_len -= keep;
}

/* Body bytes of an OMA-DM XML message: the first OMADM_BODY_MAX are scanned. */
static void omadm_feed(struct omadm_state *om, struct http_dir *d, const struct rd *b)
{
	size_t n = rd_left(b);
	if (d->scan_total >= OMADM_BODY_MAX || n == 0)
		return;
	if (n > OMADM_BODY_MAX - d->scan_total)
		n = OMADM_BODY_MAX - d->scan_total;
	if (d->scan_len + n > d->scan_cap) {
		size_t cap = d->scan_cap ? d->scan_cap : 1024;
		while (cap < d->scan_len + n)
			cap *= 2;
		if (cap > OMADM_BODY_MAX)
			cap = OMADM_BODY_MAX;
		uint8_t *p = realloc(d->scan, cap);
		if (p == NULL)
			return;
		d->scan = p;
		d->scan_cap = cap;
	}
	memcpy(d->scan + d->scan_len, rd_ptr(b), n);
	d->scan_len += n;
	d->scan_total += n;
	omadm_scan(om, d);
}

/* ---------------------------------------------------------------------
 * Transfers (firmware evidence): every response body, and the bodies of
 * PUT and POST requests, hashed in order as they pass (nothing is
 * buffered).  A body's hash is given only when every byte was seen: a gap,
 * the flow's byte cap, a content coding, a 206 part or an early end keep
 * the size and drop the hash.
 * --------------------------------------------------------------------- */

static struct rd hstr_rd(const struct hstr *h);

/* A NUL-terminated copy of at most max bytes of v; NULL when empty. */
static char *rd_strdup(const struct rd *v, size_t max)
{
	size_t n = rd_left(v) < max ? rd_left(v) : max;
	if (n == 0)
		return NULL;
	char *p = malloc(n + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, rd_ptr(v), n);
	p[n] = '\0';
	return p;
}

/* The path of a request target (origin-form or absolute-form) without
 * query and fragment; empty for other forms. */
static struct rd target_path(const struct rd *target)
{
	static const uint8_t none[1];
	struct rd t = *target;
	if (rd_peek(&t, 0) != '/') {
		long a = rd_find(&t, "://");
		if (a < 0)
			return rd_init(none, 0);
		rd_skip(&t, (size_t)a + 3);
		size_t n = 0;
		while (n < rd_left(&t) && rd_peek(&t, n) != '/' && rd_peek(&t, n) != '?' &&
		       rd_peek(&t, n) != '#')
			n++;
		rd_skip(&t, n);
	}
	size_t end = 0;
	while (end < rd_left(&t) && rd_peek(&t, end) != '?' && rd_peek(&t, end) != '#')
		end++;
	return rd_sub(&t, end);
}

/* file.name: the path's last segment (not percent-decoded); NULL if none. */
static char *xfer_name(const struct rd *target)
{
	struct rd path = target_path(target);
	size_t n = rd_left(&path), i = n;
	while (i && rd_peek(&path, i - 1) != '/')
		i--;
	rd_skip(&path, i);
	return rd_strdup(&path, TRANSFER_NAME_MAX);
}

/* The server's address as a URL host ("[v6]"), with ":port" unless 80. */
static void server_authority(const struct http_state *s, char *out, size_t len)
{
	struct ip_addr a;
	uint16_t port;
	char ip[INET6_ADDRSTRLEN] = "";
	out[0] = '\0';
	if (s->flow == NULL)
		return;
	if (s->client_known && s->client_dir == 1)
		flow_source(s->flow, &a, &port);
	else
		flow_destination(s->flow, &a, &port);
	if (a.family == 0 || inet_ntop(a.family == 4 ? AF_INET : AF_INET6, a.a, ip, sizeof(ip)) == NULL)
		return;
	const char *l = a.family == 6 ? "[" : "", *r = a.family == 6 ? "]" : "";
	if (port == 80)
		snprintf(out, len, "%s%s%s", l, ip, r);
	else
		snprintf(out, len, "%s%s%s:%u", l, ip, r, (unsigned)port);
}

/* url.original of a transfer: an absolute-form target as it is, else
 * "http://" Host (or the server's address) and the origin-form target;
 * the fragment never (a client does not send one, but a target may hold
 * one).  NULL for other forms. */
static char *xfer_url(const struct http_state *s, const struct http_txn *t)
{
	struct rd target = hstr_rd(&t->uri), host = hstr_rd(&t->host);
	char buf[TRANSFER_URL_MAX], auth[INET6_ADDRSTRLEN + 16];
	size_t hash = rd_index(&target, '#');
	target = rd_sub(&target, hash);
	if (rd_peek(&target, 0) == '/') {
		if (rd_left(&host) == 0) {
			server_authority(s, auth, sizeof(auth));
			host = rd_init((const uint8_t *)auth, strlen(auth));
		}
		if (rd_left(&host) == 0)
			return NULL;
		snprintf(buf, sizeof(buf), "http://%.*s%.*s", (int)rd_left(&host),
			 (const char *)rd_ptr(&host), (int)rd_left(&target),
			 (const char *)rd_ptr(&target));
	} else if (rd_find(&target, "://") > 0) {
		/* Without userinfo: a password has no place in an event. */
		struct rd scheme = target, rest = target;
		scheme = rd_sub(&scheme, (size_t)rd_find(&target, "://") + 3);
		rd_skip(&rest, rd_left(&scheme));
		size_t auth_len = 0, at = 0;
		while (auth_len < rd_left(&rest) && rd_peek(&rest, auth_len) != '/' &&
		       rd_peek(&rest, auth_len) != '?')
			if (rd_peek(&rest, auth_len++) == '@')
				at = auth_len;
		rd_skip(&rest, at);
		snprintf(buf, sizeof(buf), "%.*s%.*s", (int)rd_left(&scheme),
			 (const char *)rd_ptr(&scheme), (int)rd_left(&rest),
			 (const char *)rd_ptr(&rest));
	} else {
		return NULL;
	}
	struct rd u = rd_init((const uint8_t *)buf, strlen(buf));
	return rd_strdup(&u, TRANSFER_URL_MAX - 1);
}

/* The media type of a Content-Type value, without its parameters. */
static char *xfer_ctype(const struct hstr *ct)
{
	struct rd v = hstr_rd(ct);
	struct rd media = rd_sub(&v, rd_index(&v, ';'));
	media = rd_rest_trimmed(&media);
	return rd_strdup(&media, HTTP_NAME_MAX);
}

/* A message with a body begins a transfer, if one is still free. */
static void xfer_begin(struct dissect_ctx *c, struct http_state *s, int dir, uint64_t declared)
{
	struct http_dir *d = &s->d[dir];
	const struct http_msg *m = &d->m;
	s->xf_total++;
	if (s->n_xf >= HTTP_XFER_MAX)
		return;
	if (s->xf == NULL && (s->xf = calloc(1, sizeof(*s->xf))) == NULL)
		return;
	struct app_transfer *t = &s->xf->t[s->n_xf];
	struct http_xfer_aux *a = &s->xf->a[s->n_xf];
	s->n_xf++;
	const struct http_txn *tx = m->t;
	a->txn = tx && s->txn ? (int8_t)(tx - s->txn) : -1;
	a->upload = m->is_req;
	if (tx) {
		struct rd method = hstr_rd(&tx->method), target = hstr_rd(&tx->uri);
		a->method = rd_strdup(&method, HTTP_METHOD_MAX);
		a->name = xfer_name(&target);
		a->url = xfer_url(s, tx);
		a->ctype = xfer_ctype(m->is_req ? &tx->req_ct : &tx->resp_ct);
	}
	t->protocol = "http";
	t->method = a->method;
	t->name = a->name;
	t->url = a->url;
	t->content_type = a->ctype;
	t->declared_size = declared;
	t->start_us = t->end_us = c->now_us;
	/* Direction 1 goes to the flow's source: the device side (flow.h). */
	t->to_device = (uint8_t)(dir == 1);
	t->status_ok = (uint8_t)(!m->is_req && m->status / 100 == 2);
	if (m->encoded)
		t->hash_state = TRANSFER_HASH_ENCODED; /* the bytes are not the file */
	else if (!m->is_req && m->status == 206)
		t->hash_state = TRANSFER_HASH_SHORT; /* a part is not the file */
	else if (sha256_init(&a->hash) < 0)
		t->hash_state = TRANSFER_HASH_ERROR;
	d->xt = t;
	d->xa = a;
}

/* Body bytes of the transfer in d: counted, and hashed while the flow is
 * under its cap. */
static void xfer_bytes(struct dissect_ctx *c, struct http_state *s, struct http_dir *d,
		       const struct rd *b)
{
	size_t n = rd_left(b);
	if (d->xt == NULL || n == 0)
		return;
	d->xt->size += n;
	d->xt->end_us = c->now_us;
	if (d->xt->hash_state != TRANSFER_HASH_OK)
		return;
	uint64_t cap = c->transfer_max_bytes ? c->transfer_max_bytes : HTTP_XFER_CAP_DEFAULT;
	if (s->hashed + n > cap) {
		d->xt->hash_state = TRANSFER_HASH_CAP;
		sha256_free(&d->xa->hash);
		return;
	}
	s->hashed += n;
	sha256_update(&d->xa->hash, rd_ptr(b), n);
}

/* A mark against the transfer in d that does not end it (a gap in a
 * body that runs to the close): its hash is given up. */
static void xfer_spoil(struct http_dir *d, enum transfer_hash_state why)
{
	if (d->xt == NULL)
		return;
	if (d->xt->hash_state == TRANSFER_HASH_OK)
		d->xt->hash_state = (uint8_t)why;
	sha256_free(&d->xa->hash);
}

/* The body in d ended: how is told by how (TRANSFER_HASH_OK when every
 * byte framed by the message arrived). */
static void xfer_end(struct http_dir *d, enum transfer_hash_state how)
{
	if (d->xt == NULL)
		return;
	if (how != TRANSFER_HASH_OK)
		xfer_spoil(d, how);
	if (d->xt->hash_state == TRANSFER_HASH_OK)
		sha256_final(&d->xa->hash, d->xt->sha256);
	d->xt = NULL;
	d->xa = NULL;
}

/* ---------------------------------------------------------------------
 * The per-direction state machine.
 * --------------------------------------------------------------------- */

static void dir_release(struct http_dir *d)
{
	free(d->line);
	free(d->scan);
	d->line = d->scan = NULL;
	d->line_len = d->line_cap = d->scan_len = d->scan_cap = d->scan_total = 0;
}

/* Gives up on a direction: counted under id (invalid, oversize). */
static void dir_fail(struct dissect_ctx *c, struct http_dir *d, enum counter_id id)
{
	cnt_inc(c->cnt, id);
	xfer_end(d, TRANSFER_HASH_ERROR);
	d->phase = PH_DEAD;
	dir_release(d);
}

static void message_done(struct http_dir *d)
{
	d->phase = PH_START;
	d->scan_len = d->scan_total = 0;
	memset(&d->m, 0, sizeof(d->m));
}

/* Request line: method SP request-target SP HTTP-version; or HTTP/0.9's
 * "GET" SP target, whose response is a bare body (RFC 1945 4.1). */
static int request_line(struct http_state *s, struct http_dir *d, struct rd *line)
{
	struct rd method = rd_word(line), target = rd_word(line), version = rd_word(line);
	rd_skip_ows(line);
	int simple = rd_left(&version) == 0 && rd_eq_ci(&method, "get");
	uint8_t ver = simple ? 9 : http_version(&version);
	if (rd_left(line) || ver == 0 || rd_left(&target) == 0 || rd_left(&method) == 0 ||
	    rd_left(&method) > HTTP_METHOD_MAX)
		return 0;
	for (size_t i = 0; i < rd_left(&method); i++)
		if (!is_tchar(rd_peek(&method, i)))
			return 0;
	uint8_t mclass = simple				? M_SIMPLE
			 : rd_eq_ci(&method, "head")	? M_HEAD
			 : rd_eq_ci(&method, "connect") ? M_CONNECT
							: M_OTHER;
	int8_t idx;
	struct http_txn *t = txn_new(s, &idx);
	if (t) {
		t->has_req = 1;
		t->version = ver;
		hstr_set(&t->method, &method, HTTP_METHOD_MAX);
		hstr_set(&t->uri, &target, HTTP_URI_MAX);
	}
	pend_push(s, mclass, idx);
	d->m.is_req = 1;
	d->m.mclass = mclass;
	d->m.upload = (uint8_t)(rd_eq_ci(&method, "put") || rd_eq_ci(&method, "post"));
	d->m.t = t;
	return 1;
}

static int is_server_dir(const struct http_state *s, int dir)
{
	return s->client_known && dir != s->client_dir;
}

/* An invalid message: counted; the direction waits for a segment that
 * starts a message.  Bytes on the server side that are no status line are
 * the rest of a response whose start was not seen: the oldest request is
 * taken as answered by it. */
static void dir_resync(struct dissect_ctx *c, struct http_state *s, int dir, int lost_start)
{
	struct http_dir *d = &s->d[dir];
	cnt_inc(c->cnt, CNT_DIS_HTTP_INVALID);
	xfer_end(d, TRANSFER_HASH_ERROR); /* a body whose framing broke */
	if (lost_start && is_server_dir(s, dir))
		pend_drop(s);
	memset(&d->m, 0, sizeof(d->m));
	d->line_len = 0;
	d->scan_len = d->scan_total = 0;
	d->phase = PH_RESYNC;
}

/* Status line: HTTP-version SP 3DIGIT [SP reason-phrase]. */
static int status_line(struct http_state *s, struct http_dir *d, struct rd *line)
{
	struct rd version = rd_word(line), code = rd_word(line);
	uint8_t ver = http_version(&version);
	if (ver == 0 || rd_left(&code) != 3 || !is_digit(rd_peek(&code, 0)) ||
	    !is_digit(rd_peek(&code, 1)) || !is_digit(rd_peek(&code, 2)) || rd_peek(&code, 0) == '0')
		return 0;
	uint16_t status = (uint16_t)((rd_peek(&code, 0) - '0') * 100 +
				     (rd_peek(&code, 1) - '0') * 10 + (rd_peek(&code, 2) - '0'));
	d->m.status = status;
	if (status / 100 == 1 && status != 101)
		return 1; /* interim: the request still waits for its final response */
	struct http_txn *t = pend_pop(s, &d->m.mclass);
	if (t) {
		t->has_resp = 1;
		t->status = status;
		if (t->version == 0)
			t->version = ver;
	}
	d->m.t = t;
	return 1;
}

static void start_line(struct dissect_ctx *c, struct http_state *s, int dir, struct rd *line)
{
	struct http_dir *d = &s->d[dir];
	if (rd_left(line) == 0)
		return; /* empty lines before a message are allowed (RFC 9112 2.2) */
	int is_resp = looks_response(line);
	if (s->client_known && is_resp == (dir == s->client_dir)) {
		dir_resync(c, s, dir, 1);
		return;
	}
	memset(&d->m, 0, sizeof(d->m));
	d->m.hdr_len = (uint32_t)rd_left(line) + 1;
	if (!(is_resp ? status_line(s, d, line) : request_line(s, d, line))) {
		dir_resync(c, s, dir, 1);
		return;
	}
	if (!s->client_known) {
		s->client_known = 1;
		s->client_dir = (uint8_t)(is_resp ? !dir : dir);
	}
	cnt_inc(c->cnt, CNT_DIS_HTTP_MESSAGES);
	d->phase = PH_HEADERS;
}

/* Content-Length: 1*DIGIT, or a list of equal values (RFC 9110 8.6). */
static void content_length(struct http_msg *m, struct rd *v)
{
	int any = 0, had = m->has_cl;
	m->has_cl = 1;
	while (rd_left(v)) {
		size_t n = rd_index(v, ',');
		struct rd item = rd_sub(v, n);
		rd_skip(v, rd_left(v) ? 1 : 0);
		struct rd val = rd_rest_trimmed(&item);
		uint64_t x = 0;
		if (rd_left(&val) == 0 || rd_left(&val) > 18) {
			m->cl_bad = 1;
			return;
		}
		for (size_t i = 0; i < rd_left(&val); i++) {
			uint8_t b = rd_peek(&val, i);
			if (!is_digit(b)) {
				m->cl_bad = 1;
				return;
			}
			x = x * 10 + (uint64_t)(b - '0');
		}
		if ((had || any) && x != m->cl)
			m->cl_bad = 1;
		m->cl = x;
		any = 1;
	}
	if (!any)
		m->cl_bad = 1;
}

/* Transfer-Encoding: chunked counts only as the final coding (RFC 9112 6.1). */
static void transfer_encoding(struct http_msg *m, struct rd *v)
{
	m->te = 1;
	while (rd_left(v)) {
		struct rd item = rd_sub(v, rd_index(v, ','));
		rd_skip(v, rd_left(v) ? 1 : 0);
		struct rd coding = rd_rest_trimmed(&item);
		m->te_chunked = (uint8_t)rd_eq_ci(&coding, "chunked");
		/* gzip, chunked: the chunks' data is not the file */
		if (!m->te_chunked && rd_left(&coding) && !rd_eq_ci(&coding, "identity"))
			m->encoded = 1;
	}
}

/* Content-Encoding other than identity (RFC 9110 8.4): the body is not
 * the file as the server keeps it, so its hash would not be the file's. */
static void content_encoding(struct http_msg *m, struct rd *v)
{
	while (rd_left(v)) {
		struct rd item = rd_sub(v, rd_index(v, ','));
		rd_skip(v, rd_left(v) ? 1 : 0);
		struct rd coding = rd_rest_trimmed(&item);
		if (rd_left(&coding) && !rd_eq_ci(&coding, "identity"))
			m->encoded = 1;
	}
}

static void content_type(struct http_state *s, struct http_msg *m, struct rd *v)
{
	if (m->ct_seen)
		return;
	m->ct_seen = 1;
	if (m->t)
		hstr_set(m->is_req ? &m->t->req_ct : &m->t->resp_ct, v, HTTP_NAME_MAX);
	struct rd all = *v;
	struct rd media = rd_sub(&all, rd_index(&all, ';'));
	media = rd_rest_trimmed(&media);
	m->omadm = omadm_kind(&media);
	if (m->omadm)
		hstr_set(&s->om.content_type, &media, HTTP_NAME_MAX);
}

/* Host without its port: "[v6]:port" keeps the brackets (ECS url.domain). */
static struct rd host_domain(const struct rd *host, uint16_t *port, int *has_port)
{
	struct rd h = *host;
	size_t n = rd_left(&h), colon = n, colons = 0;
	*has_port = 0;
	*port = 0;
	if (rd_peek(&h, 0) == '[') {
		size_t e = rd_index(&h, ']');
		if (e < n)
			colon = e + 1 < n && rd_peek(&h, e + 1) == ':' ? e + 1 : n;
	} else {
		for (size_t i = 0; i < n; i++)
			if (rd_peek(&h, i) == ':')
				colon = i, colons++;
		if (colons != 1)
			colon = n; /* none, or a bare IPv6 address */
	}
	if (colon < n) {
		uint32_t p = 0;
		size_t digits = n - colon - 1;
		for (size_t i = colon + 1; i < n && p <= 65535; i++)
			p = is_digit(rd_peek(&h, i)) ? p * 10 + (uint32_t)(rd_peek(&h, i) - '0') : 65536;
		if (digits >= 1 && digits <= 5 && p <= 65535) {
			*has_port = 1;
			*port = (uint16_t)p;
		}
	}
	return rd_sub(&h, colon);
}

/* An IP literal names no server: leave destination.domain to the DNS
 * cache, which may know the name the device looked up. */
static int is_ip_literal(const struct rd *d)
{
	if (rd_peek(d, 0) == '[')
		return 1;
	for (size_t i = 0; i < rd_left(d); i++)
		if (!is_digit(rd_peek(d, i)) && rd_peek(d, i) != '.')
			return 0;
	return 1;
}

static void host_field(struct http_state *s, struct http_msg *m, struct rd *v)
{
	if (m->t)
		hstr_set(&m->t->host, v, HTTP_NAME_MAX);
	if (s->sname.p == NULL && rd_left(v)) {
		uint16_t port;
		int has_port;
		struct rd dom = host_domain(v, &port, &has_port);
		if (rd_left(&dom) && !is_ip_literal(&dom))
			hstr_set(&s->sname, &dom, HTTP_NAME_MAX);
	}
}

static void field_line(struct http_state *s, struct http_msg *m, struct rd *line)
{
	size_t colon = rd_index(line, ':');
	if (colon == 0 || colon == rd_left(line))
		return; /* not a field line: ignored, as most servers do */
	struct rd name = rd_sub(line, colon);
	rd_skip(line, 1);
	struct rd v = rd_rest_trimmed(line);
	if (rd_eq_ci(&name, "content-length"))
		content_length(m, &v);
	else if (rd_eq_ci(&name, "transfer-encoding"))
		transfer_encoding(m, &v);
	else if (rd_eq_ci(&name, "content-encoding"))
		content_encoding(m, &v);
	else if (rd_eq_ci(&name, "content-type"))
		content_type(s, m, &v);
	else if (m->is_req && rd_eq_ci(&name, "host"))
		host_field(s, m, &v);
	else if (m->is_req && m->t && rd_eq_ci(&name, "user-agent"))
		hstr_set(&m->t->ua, &v, HTTP_UA_MAX);
}

/* The body the message has, from its fields (RFC 9112 6.3). */
enum body_kind { BODY_NONE, BODY_LEN, BODY_CHUNKED, BODY_CLOSE, BODY_TUNNEL, BODY_INVALID };

static enum body_kind body_kind(const struct http_msg *m)
{
	if (m->is_req) {
		if (m->te)
			return m->te_chunked ? BODY_CHUNKED : BODY_INVALID;
		if (m->has_cl)
			return m->cl_bad ? BODY_INVALID : BODY_LEN;
		return BODY_NONE;
	}
	if (m->status == 101)
		return BODY_TUNNEL;
	if (m->status / 100 == 1 || m->status == 204 || m->status == 304 || m->mclass == M_HEAD)
		return BODY_NONE;
	if (m->mclass == M_CONNECT && m->status / 100 == 2)
		return BODY_TUNNEL;
	if (m->te)
		return m->te_chunked ? BODY_CHUNKED : BODY_CLOSE;
	if (m->has_cl)
		return m->cl_bad ? BODY_INVALID : BODY_LEN;
	return BODY_CLOSE;
}

static void end_of_fields(struct dissect_ctx *c, struct http_state *s, int dir)
{
	struct http_dir *d = &s->d[dir];
	struct http_msg *m = &d->m;
	enum body_kind k = body_kind(m);
	if (m->omadm) {
		s->om.messages++;
		if (m->omadm == OMADM_WBXML)
			s->om.wbxml = 1;
	}
	if (k == BODY_INVALID) {
		dir_resync(c, s, dir, 0);
		return;
	}
	if (k == BODY_TUNNEL) {
		s->tunnel = 1; /* another protocol from here on, both ways */
		return;
	}
	if (m->t && k != BODY_NONE) {
		*(m->is_req ? &m->t->req_body : &m->t->resp_body) = 1;
		*(m->is_req ? &m->t->req_bytes : &m->t->resp_bytes) = k == BODY_LEN ? m->cl : 0;
	}
	m->counted = k == BODY_CHUNKED || k == BODY_CLOSE;
	if ((k == BODY_CHUNKED || k == BODY_CLOSE || (k == BODY_LEN && m->cl)) &&
	    (!m->is_req || m->upload))
		xfer_begin(c, s, dir, k == BODY_LEN ? m->cl : 0);
	switch (k) {
	case BODY_LEN:
		d->left = m->cl;
		d->phase = m->cl ? PH_BODY_LEN : PH_START;
		break;
	case BODY_CHUNKED:
		d->phase = PH_CHUNK_SIZE;
		break;
	case BODY_CLOSE:
		d->phase = PH_BODY_CLOSE;
		break;
	default:
		d->phase = PH_START;
		break;
	}
	if (d->phase == PH_START)
		message_done(d);
}

/* chunk-size [ BWS ";" chunk-ext ] (RFC 9112 7.1). */
static void chunk_size_line(struct dissect_ctx *c, struct http_state *s, int dir,
			    struct rd *line)
{
	struct http_dir *d = &s->d[dir];
	uint64_t size = 0;
	size_t n = 0;
	for (; n < rd_left(line); n++) {
		uint8_t b = lower(rd_peek(line, n));
		int v = is_digit(b) ? b - '0' : (b >= 'a' && b <= 'f') ? b - 'a' + 10 : -1;
		if (v < 0)
			break;
		size = size << 4 | (uint64_t)v;
	}
	rd_skip(line, n);
	rd_skip_ows(line);
	if (n == 0 || n > 15 || (rd_left(line) && rd_peek(line, 0) != ';')) {
		dir_resync(c, s, dir, 0);
		return;
	}
	d->left = size;
	d->phase = size ? PH_CHUNK_DATA : PH_TRAILERS;
}

static void handle_line(struct dissect_ctx *c, struct http_state *s, int dir, struct rd *line)
{
	struct http_dir *d = &s->d[dir];
	size_t n = rd_left(line);
	if (d->phase == PH_HEADERS || d->phase == PH_TRAILERS) {
		d->m.hdr_len += (uint32_t)n + 1;
		if (d->m.hdr_len > HTTP_HEADER_MAX) {
			dir_fail(c, d, CNT_DIS_HTTP_OVERSIZE);
			return;
		}
	}
	switch (d->phase) {
	case PH_START:
		start_line(c, s, dir, line);
		break;
	case PH_HEADERS:
		if (n == 0)
			end_of_fields(c, s, dir);
		else if (!is_ows(rd_peek(line, 0))) /* obs-fold lines are ignored */
			field_line(s, &d->m, line);
		break;
	case PH_CHUNK_SIZE:
		chunk_size_line(c, s, dir, line);
		break;
	case PH_CHUNK_END:
		if (n)
			dir_resync(c, s, dir, 0);
		else
			d->phase = PH_CHUNK_SIZE;
		break;
	case PH_TRAILERS:
		if (n == 0) {
			xfer_end(d, TRANSFER_HASH_OK); /* the last chunk and its trailers */
			message_done(d);
		}
		break;
	default:
		break;
	}
}

/* The next complete line (without CR LF) into *line: in place when the
 * segment holds all of it, else from the carry buffer.  Returns 0 when the
 * line is not complete yet (its bytes were kept) or is over HTTP_LINE_MAX. */
static int next_line(struct dissect_ctx *c, struct http_dir *d, struct rd *r, struct rd *line)
{
	size_t n = rd_index(r, '\n');
	int complete = n < rd_left(r);
	if (d->line_len + n > HTTP_LINE_MAX) {
		dir_fail(c, d, CNT_DIS_HTTP_OVERSIZE);
		return 0;
	}
	if (d->line_len || !complete) {
		if (d->line_len + n > d->line_cap) {
			size_t cap = d->line_cap ? d->line_cap : 256;
			while (cap < d->line_len + n)
				cap *= 2;
			if (cap > HTTP_LINE_MAX)
				cap = HTTP_LINE_MAX;
			uint8_t *p = realloc(d->line, cap);
			if (p == NULL) {
				dir_fail(c, d, CNT_DIS_HTTP_OVERSIZE);
				return 0;
			}
			d->line = p;
			d->line_cap = cap;
		}
		rd_copy(r, d->line + d->line_len, n);
		d->line_len += n;
		if (!complete)
			return 0;
		*line = rd_init(d->line, d->line_len);
	} else {
		*line = rd_sub(r, n);
	}
	rd_skip(r, 1); /* LF */
	if (rd_left(line) && rd_peek(line, rd_left(line) - 1) == '\r')
		*line = rd_sub(line, rd_left(line) - 1);
	return 1;
}

static void body_bytes(struct dissect_ctx *c, struct http_state *s, struct http_dir *d,
		       struct rd *r)
{
	size_t n = rd_left(r);
	if (d->phase != PH_BODY_CLOSE && d->left < n)
		n = (size_t)d->left;
	struct rd b = rd_sub(r, n);
	struct http_msg *m = &d->m;
	if (m->counted && m->t)
		*(m->is_req ? &m->t->req_bytes : &m->t->resp_bytes) += n;
	if (m->omadm == OMADM_XML)
		omadm_feed(&s->om, d, &b);
	xfer_bytes(c, s, d, &b);
	if (d->phase == PH_BODY_CLOSE)
		return;
	d->left -= n;
	if (d->left)
		return;
	if (d->phase == PH_CHUNK_DATA) {
		d->phase = PH_CHUNK_END;
	} else {
		xfer_end(d, TRANSFER_HASH_OK);
		message_done(d);
	}
}

/* After a gap: a segment that starts a message of this direction's role. */
static int looks_like_start(const struct http_state *s, int dir, const struct rd *r)
{
	if (!s->client_known)
		return looks_request(r) || looks_response(r);
	return dir == s->client_dir ? looks_request(r) : looks_response(r);
}

/* 1 when the n carried bytes may begin a start line: a method token (up
 * to the first space), or the beginning of "HTTP/1.". */
static int may_start(const uint8_t *p, size_t n)
{
	static const char http[] = "HTTP/1.";
	struct rd r = rd_init(p, n);
	size_t m = n < sizeof(http) - 1 ? n : sizeof(http) - 1, i = 0;
	if (memcmp(p, http, m) == 0)
		return 1;
	while (i < n && !is_ows(rd_peek(&r, i)) && is_tchar(rd_peek(&r, i)))
		i++;
	return i > 0 && (i == n || is_ows(rd_peek(&r, i)));
}

/* A segment that arrives between messages.  Bytes carried from before
 * that start no message (a TCP keep-alive probe's one byte, taken as data
 * when the capture began mid-connection) are dropped when the segment
 * starts one.  On the server side, the answer to an HTTP/0.9 request is a
 * bare body up to the close. */
static void segment_starts(struct dissect_ctx *c, struct http_state *s, int dir,
			   const struct rd *r)
{
	struct http_dir *d = &s->d[dir];
	if (d->line_len && !may_start(d->line, d->line_len) && looks_like_start(s, dir, r))
		d->line_len = 0;
	if (d->line_len == 0 && is_server_dir(s, dir) && pend_peek(s) == M_SIMPLE &&
	    !looks_response(r)) {
		uint8_t mclass;
		struct http_txn *t = pend_pop(s, &mclass);
		memset(&d->m, 0, sizeof(d->m));
		d->m.t = t;
		d->m.counted = 1;
		if (t)
			t->resp_body = 1;
		d->phase = PH_BODY_CLOSE;
		xfer_begin(c, s, dir, 0);
	}
}

static void take(struct dissect_ctx *c, struct http_state *s)
{
	if (!s->taken) {
		s->taken = 1;
		cnt_inc(c->cnt, CNT_DIS_HTTP_FLOWS);
	}
}

static void http_parse(struct dissect_ctx *c, struct flow *f, void *state, int dir,
		       const uint8_t *data, size_t len)
{
	struct http_state *s = state;
	s->flow = f; /* the state lives in f: valid as long as s is */
	take(c, s);
	dir &= 1;
	struct http_dir *d = &s->d[dir];
	struct rd r = rd_init(data, len);
	if (d->phase == PH_RESYNC) {
		if (!looks_like_start(s, dir, &r))
			return;
		d->phase = PH_START;
		d->line_len = 0;
	}
	if (d->phase == PH_START)
		segment_starts(c, s, dir, &r);
	/* After an invalid message the rest of the segment is dropped. */
	while (rd_left(&r) && !s->tunnel && d->phase != PH_DEAD && d->phase != PH_RESYNC) {
		if (d->phase == PH_BODY_LEN || d->phase == PH_CHUNK_DATA ||
		    d->phase == PH_BODY_CLOSE) {
			body_bytes(c, s, d, &r);
			continue;
		}
		struct rd line;
		if (!next_line(c, d, &r, &line))
			break;
		handle_line(c, s, dir, &line);
		d->line_len = 0;
	}
}

/* Bytes were lost: the message they belonged to is cut short.  A
 * close-delimited body still ends at the close (its count is short);
 * otherwise the next message is found at a segment that starts one. */
static void http_gap(struct dissect_ctx *c, struct flow *f, void *state, int dir)
{
	struct http_state *s = state;
	s->flow = f;
	take(c, s);
	struct http_dir *d = &s->d[dir & 1];
	if (s->tunnel || d->phase == PH_DEAD || d->phase == PH_RESYNC)
		return;
	if (d->phase != PH_START || d->line_len)
		cnt_inc(c->cnt, CNT_DIS_HTTP_TRUNC); /* a message was cut short */
	if (d->phase == PH_BODY_CLOSE) {
		xfer_spoil(d, TRANSFER_HASH_GAP); /* still counted up to the close */
		return;
	}
	xfer_end(d, TRANSFER_HASH_GAP);
	if (d->phase == PH_START && s->client_known) {
		/* The lost bytes began a message: on the server side the
		 * response to the oldest request, on the client side a
		 * request whose response will start a transaction. */
		if (is_server_dir(s, dir & 1))
			pend_drop(s);
		else
			pend_push(s, M_OTHER, PEND_LOST);
	}
	message_done(d);
	d->line_len = 0;
	d->phase = PH_RESYNC;
}

static void http_free(void *state)
{
	struct http_state *s = state;
	for (uint32_t i = 0; s->txn && i < s->n_kept; i++) {
		struct http_txn *t = &s->txn[i];
		hstr_free(&t->method);
		hstr_free(&t->uri);
		hstr_free(&t->host);
		hstr_free(&t->ua);
		hstr_free(&t->req_ct);
		hstr_free(&t->resp_ct);
	}
	free(s->txn);
	s->txn = NULL;
	dir_release(&s->d[0]);
	dir_release(&s->d[1]);
	hstr_free(&s->sname);
	hstr_free(&s->om.content_type);
	for (uint8_t i = 0; i < s->om.n_nodes; i++)
		hstr_free(&s->om.nodes[i]);
	for (uint32_t i = 0; s->xf && i < s->n_xf; i++) {
		struct http_xfer_aux *a = &s->xf->a[i];
		sha256_free(&a->hash);
		free(a->method);
		free(a->name);
		free(a->url);
		free(a->ctype);
	}
	free(s->xf);
	s->xf = NULL;
	s->d[0].xt = s->d[1].xt = NULL;
}

/* The flow has ended: a body still open is finished here.  One that runs
 * to the close is whole when its sender closed with a FIN (RFC 9112 6.3
 * item 8); any other is short.  An upload succeeded when its response was
 * 2xx.  The const is cast away: the registry calls this once, at the
 * flow's end, on state it allocated writable. */
static size_t http_transfers(const void *state, const struct app_transfer **v)
{
	struct http_state *s = (struct http_state *)state;
	for (int dir = 0; dir < 2; dir++) {
		struct http_dir *d = &s->d[dir];
		int fin = s->flow && (s->flow->tcp_close & (1u << dir));
		if (d->xt)
			xfer_end(d, d->phase == PH_BODY_CLOSE && fin ? TRANSFER_HASH_OK
								       : TRANSFER_HASH_SHORT);
	}
	for (uint32_t i = 0; i < s->n_xf; i++) {
		const struct http_xfer_aux *a = &s->xf->a[i];
		const struct http_txn *t = a->txn >= 0 && s->txn ? &s->txn[a->txn] : NULL;
		if (a->upload && t)
			s->xf->t[i].status_ok = (uint8_t)(t->has_resp && t->status / 100 == 2);
	}
	*v = s->xf ? s->xf->t : NULL;
	return s->n_xf;
}

/* The client's User-Agent; OMA-DM proves device management, and FUMO
 * nodes a firmware update.  A firmware-like file name is not judged here:
 * intent.c does that from the transfers. */
static void http_intent(const void *state, struct intent_input *in)
{
	const struct http_state *s = state;
	for (uint32_t i = 0; s->txn && i < s->n_kept; i++)
		if (s->txn[i].ua.p) {
			in->user_agent = s->txn[i].ua.p;
			break;
		}
	if (s->om.messages == 0)
		return;
	const char *syntax = s->om.wbxml ? "WBXML" : "XML";
	if (!s->om.fumo) {
		intent_vote(in, INTENT_DM, CONF_CONFIRMED, "OMA-DM session (SyncML %s, %u messages)",
			    syntax, s->om.messages);
		return;
	}
	char nodes[INTENT_EVIDENCE_LEN] = "";
	size_t n = 0;
	for (uint8_t i = 0; i < s->om.n_nodes && n < sizeof(nodes); i++)
		n += (size_t)snprintf(nodes + n, sizeof(nodes) - n, "%s%s", i ? ", " : "",
				      s->om.nodes[i].p);
	intent_vote(in, INTENT_FOTA, CONF_CONFIRMED, "OMA-DM FUMO: %s (SyncML %s)",
		    s->om.n_nodes ? nodes : "node", syntax);
}

/* ---------------------------------------------------------------------
 * Output.
 * --------------------------------------------------------------------- */

static void jw_hstr(struct jw *w, const char *key, const struct hstr *h)
{
	if (h->p)
		jw_strn(w, key, h->p, h->n);
}

static struct rd hstr_rd(const struct hstr *h)
{
	return rd_init((const uint8_t *)(h->p ? h->p : ""), h->p ? h->n : 0);
}

/* The media type of a Content-Type value, without its parameters. */
static void jw_mime(struct jw *w, const char *key, const struct hstr *ct)
{
	struct rd v = hstr_rd(ct);
	struct rd media = rd_sub(&v, rd_index(&v, ';'));
	media = rd_rest_trimmed(&media);
	if (ct->p && rd_left(&media))
		jw_strn(w, key, (const char *)rd_ptr(&media), rd_left(&media));
}

static void jw_body(struct jw *w, uint8_t has, uint64_t bytes)
{
	if (!has)
		return;
	jw_obj_begin(w, "body");
	jw_u64(w, "bytes", bytes);
	jw_end(w);
}

/* url.*: path and query of an origin-form or absolute-form target; the
 * domain and port from Host, else from the target's authority. */
static void json_url(const struct http_txn *t, struct jw *w)
{
	static const uint8_t none[1];
	struct rd target = hstr_rd(&t->uri), authority = rd_init(none, 0), path = rd_init(none, 0);
	int has_path = 0;
	if (rd_peek(&target, 0) == '/') {
		path = target;
		has_path = 1;
	} else if (rd_find(&target, "://") >= 0) {
		struct rd rest = target;
		rd_skip(&rest, (size_t)rd_find(&rest, "://") + 3);
		size_t n = 0;
		while (n < rd_left(&rest) && rd_peek(&rest, n) != '/' && rd_peek(&rest, n) != '?' &&
		       rd_peek(&rest, n) != '#')
			n++;
		authority = rd_sub(&rest, n);
		path = rest;
		has_path = rd_left(&rest) > 0;
	} else if (rd_left(&target) && rd_peek(&target, 0) != '*') {
		authority = target; /* CONNECT's authority-form */
	}
	if (rd_left(&authority) && rd_index(&authority, '@') < rd_left(&authority))
		rd_skip(&authority, rd_index(&authority, '@') + 1);

	jw_obj_begin(w, "url");
	jw_hstr(w, "original", &t->uri);
	if (has_path) {
		struct rd q = path;
		size_t hash = rd_index(&q, '#');
		q = rd_sub(&q, hash);
		size_t qm = rd_index(&q, '?');
		struct rd p = rd_sub(&q, qm);
		if (rd_left(&p))
			jw_strn(w, "path", (const char *)rd_ptr(&p), rd_left(&p));
		if (qm < hash) {
			rd_skip(&q, 1);
			jw_strn(w, "query", (const char *)rd_ptr(&q), rd_left(&q));
		}
	}
	struct rd host = t->host.p && t->host.n ? hstr_rd(&t->host) : authority;
	uint16_t port;
	int has_port;
	struct rd dom = host_domain(&host, &port, &has_port);
	if (rd_left(&dom)) /* a name: at most 255 bytes, also from a long authority */
		jw_strn(w, "domain", (const char *)rd_ptr(&dom),
			rd_left(&dom) < HTTP_NAME_MAX ? rd_left(&dom) : HTTP_NAME_MAX);
	if (has_port)
		jw_u64(w, "port", port);
	jw_end(w);
}

static void http_json_ecs(const void *state, struct jw *w)
{
	const struct http_state *s = state;
	if (s->n_kept == 0)
		return;
	const struct http_txn *t = &s->txn[0];
	jw_obj_begin(w, "http");
	if (t->has_req) {
		jw_obj_begin(w, "request");
		jw_hstr(w, "method", &t->method);
		jw_mime(w, "mime_type", &t->req_ct);
		jw_body(w, t->req_body, t->req_bytes);
		jw_end(w);
	}
	if (t->has_resp || t->resp_body) { /* HTTP/0.9: a body without a status */
		jw_obj_begin(w, "response");
		if (t->has_resp)
			jw_u64(w, "status_code", t->status);
		jw_mime(w, "mime_type", &t->resp_ct);
		jw_body(w, t->resp_body, t->resp_bytes);
		jw_end(w);
	}
	if (t->version) {
		char v[4] = {(char)('0' + t->version / 10), '.', (char)('0' + t->version % 10), 0};
		jw_str(w, "version", v);
	}
	jw_end(w);
	if (t->has_req)
		json_url(t, w);
	if (t->ua.p) {
		jw_obj_begin(w, "user_agent");
		jw_hstr(w, "original", &t->ua);
		jw_end(w);
	}
}

static void json_omadm(const struct omadm_state *om, struct jw *w)
{
	jw_obj_begin(w, "omadm");
	jw_bool(w, "syncml", 1);
	jw_hstr(w, "content_type", &om->content_type);
	if (om->wbxml)
		jw_bool(w, "wbxml", 1);
	jw_u64(w, "messages", om->messages);
	jw_bool(w, "fumo", om->fumo);
	jw_arr_begin(w, "fumo_nodes");
	for (uint8_t i = 0; i < om->n_nodes; i++)
		jw_hstr(w, NULL, &om->nodes[i]);
	jw_end(w);
	jw_end(w);
}

static void http_json_apnwatch(const void *state, struct jw *w)
{
	const struct http_state *s = state;
	if (s->n_txn) {
		jw_obj_begin(w, "http");
		jw_u64(w, "transactions", s->n_txn);
		jw_arr_begin(w, "requests");
		for (uint32_t i = 0; i < s->n_kept; i++) {
			const struct http_txn *t = &s->txn[i];
			jw_obj_begin(w, NULL);
			jw_hstr(w, "method", &t->method);
			jw_hstr(w, "host", &t->host);
			jw_hstr(w, "uri", &t->uri);
			if (t->has_resp)
				jw_u64(w, "status", t->status);
			if (t->resp_body)
				jw_u64(w, "response_bytes", t->resp_bytes);
			jw_hstr(w, "content_type", &t->resp_ct);
			jw_end(w);
		}
		jw_end(w);
		jw_end(w);
	}
	if (s->om.messages)
		json_omadm(&s->om, w);
}

static const char *http_server_name(const void *state, enum server_name_source *how)
{
	const struct http_state *s = state;
	if (s->sname.p == NULL)
		return NULL;
	*how = SNAME_HTTP;
	return s->sname.p;
}

static const uint16_t http_ports[] = {80, 8080, 8000, 8008, 0};
static const uint16_t http_ndpi_ids[] = {NDPI_PROTOCOL_HTTP, NDPI_PROTOCOL_HTTP_CONNECT,
					 NDPI_PROTOCOL_HTTP_PROXY, 0};

const struct dissector dissector_http = {
	.name = "http",
	.transport = 6,
	.ports = http_ports,
	.ndpi_ids = http_ndpi_ids,
	.probe = http_probe,
	.state_size = sizeof(struct http_state),
	.parse = http_parse,
	.gap = http_gap,
	.free = http_free,
	.json_ecs = http_json_ecs,
	.json_apnwatch = http_json_apnwatch,
	.server_name = http_server_name,
	.transfers = http_transfers,
	.intent = http_intent,
};
