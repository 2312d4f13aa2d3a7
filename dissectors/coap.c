/*
 * coap.c - CoAP over UDP, and OMA LwM2M on top of it.
 *
 * Follows RFC 7252 (CoAP), RFC 7959 (block-wise transfers), RFC 7641
 * (Observe), RFC 6690 (CoRE link format) and OMA-TS-LightweightM2M_Core
 * V1_0 / V1_1 (registration interface /rd, bootstrap /bs, Send /dp, the
 * server's Read / Write / Execute / Observe of object paths; TLV 11542,
 * LwM2M JSON 11543, SenML JSON 110, plain text 0, opaque 42).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Ver| T |  TKL  |      Code     |          Message ID           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |   Token (TKL bytes, 0..8) ...
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |   Options ...
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |1 1 1 1 1 1 1 1|    Payload ...
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *  Option:  | delta (4) | length (4) | delta ext 0-2 | length ext 0-2 | value |
 *           nibble 13: one more byte (+13); 14: two more bytes (+269);
 *           15: reserved (only the whole byte 0xff, the payload marker).
 *  Block1 (27) / Block2 (23), 0-3 bytes:  | NUM (4-20 bits) | M (1) | SZX (3) |
 *           block size 2^(SZX+4); SZX 7 is reserved.
 *
 *  LwM2M TLV:  | type (8) | identifier (8/16) | length (0/8/16/24) | value |
 *     type bits 7-6: 00 object instance, 01 resource instance,
 *                    10 multiple resource, 11 resource with value;
 *     bit 5: 16-bit identifier; bits 4-3: size of the length field
 *     (00: the length is bits 2-0).
 *
 * One flow is one 5-tuple: requests go either way (a LwM2M server reads the
 * device over the device's own registration flow).  Requests and responses
 * are paired by token (and message id for piggybacked answers) in a small
 * table; retransmissions (same message id, type and code from the same side
 * among the last few) are counted, not parsed again.  A run of Block1/Block2
 * requests for the same method and URI is one logical request.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ndpi/ndpi_protocol_ids.h>

#include "dissector.h"
#include "identity.h"
#include "intent.h"
#include "util-cidr.h"
#include "util-reader.h"
#include "util-sha256.h"

#define COAP_REQS_MAX 16      /* requests kept for output; more are counted */
#define COAP_PENDING_MAX 8    /* requests waiting for their response */
#define COAP_TRANSFERS_MAX 8  /* block-wise transfers kept; more are counted */
#define COAP_RECENT 16        /* messages remembered per side to spot retransmissions */
#define COAP_URI_MAX 1024     /* path?query, percent-encoded */
#define COAP_NAME_MAX 255     /* Uri-Host, Location-Path */
#define COAP_QUERIES_MAX 16   /* Uri-Query options kept raw for LwM2M */
#define LW_OBJECTS_MAX 16     /* link-format targets kept */
#define LW_STR_MAX 255        /* endpoint and resource strings */
#define LW_JSON_DEPTH 8
#define COAP_HASH_DEFAULT_MAX (64ull << 20) /* transfer_max_bytes 0: 64 MiB */
#define COAP_WHY_TEXT 120     /* bytes of a path or URI put in one evidence line */

/* Option numbers (RFC 7252 12.2, RFC 7641, RFC 7959). */
enum {
	OPT_URI_HOST = 3,
	OPT_OBSERVE = 6,
	OPT_URI_PORT = 7,
	OPT_LOCATION_PATH = 8,
	OPT_URI_PATH = 11,
	OPT_CONTENT_FORMAT = 12,
	OPT_URI_QUERY = 15,
	OPT_ACCEPT = 17,
	OPT_BLOCK2 = 23,
	OPT_BLOCK1 = 27,
	OPT_SIZE2 = 28,
	OPT_SIZE1 = 60,
};

enum { T_CON = 0, T_NON = 1, T_ACK = 2, T_RST = 3 };
enum { M_GET = 1, M_POST = 2, M_PUT = 3, M_DELETE = 4, M_FETCH = 5 };

/* Content-Formats (IANA CoRE registry; OMA LwM2M). */
enum {
	CF_TEXT = 0,
	CF_LINK = 40,
	CF_OPAQUE = 42,
	CF_SENML_JSON = 110,
	CF_SENML_CBOR = 112,
	CF_LWM2M_TLV_OLD = 1542,
	CF_LWM2M_JSON_OLD = 1543,
	CF_LWM2M_TLV = 11542,
	CF_LWM2M_JSON = 11543,
	CF_LWM2M_CBOR = 11544,
};

/* ---------------------------------------------------------------------
 * State.
 * --------------------------------------------------------------------- */

struct coap_block {
	uint8_t has, m, szx;
	uint32_t num;
};

/* A numeric LwM2M path /obj/inst/res/ri; n = 0 when not numeric. */
struct lw_path {
	uint8_t n;
	uint16_t id[4];
};

/* One logical request (a block-wise run counts once). */
struct coap_req {
	char *uri;
	char *location; /* the response's Location-Path */
	uint64_t uri_hash;
	int32_t cf, rcf; /* Content-Format of the request / the response; -1 none */
	uint8_t method, rcode, dir;
	uint8_t observe; /* 0 none, 1 register (Observe 0), 2 deregister (Observe 1) */
	int8_t tr[2];    /* transfers of its Block1 / Block2 data; -1 none */
};

/* A request waiting for its response (or its notifications). */
struct coap_pending {
	uint64_t seq; /* 0: free; else age (larger is newer) */
	uint64_t uri_hash;
	char *uri;
	uint16_t mid;
	uint8_t dir, tkl, method, observing, answered;
	uint8_t token[8];
	int8_t req;     /* index in reqs, -1 when not kept */
	int8_t tr1;     /* the transfer its Block1 data went to, -1 none */
	uint8_t lw_op;  /* enum lw_op */
	uint8_t lw_counted;
	struct lw_path path;
};

/* A transfer's data (firmware evidence): blocks are hashed in order of
 * their byte offset; hashed is where the next block must start.  The
 * last block is remembered (offset, length, FNV-1a of its bytes) so a
 * block sent again is told from one that changed. */
struct coap_transfer {
	char *uri;
	uint64_t uri_hash;
	uint64_t bytes, next_off, size;
	uint32_t blocks;
	uint8_t opt; /* 1 Block1, 2 Block2, 3 a single message (no block option) */
	uint8_t dir; /* direction the data travels */
	uint8_t complete, has_size;
	struct sha256 sha;
	uint64_t hashed;
	uint64_t gap_from, gap_to; /* the hole that made it TRANSFER_HASH_GAP */
	uint64_t last_off, last_fnv;
	uint32_t last_len;
	uint8_t hash_state; /* enum transfer_hash_state; OK while it runs */
	uint8_t method;
	int32_t cf;         /* the data's Content-Format; -1 none */
	char ctype[8];      /* an unnamed Content-Format number as text */
	char *url, *name, *package_uri, *version;
};

struct coap_recent {
	uint16_t mid;
	uint8_t type, code, used;
};

enum lw_op {
	LW_NONE = 0,
	LW_REGISTER,
	LW_UPDATE,
	LW_DEREGISTER,
	LW_BOOTSTRAP,
	LW_BOOTSTRAP_FINISH,
	LW_SEND,
	LW_READ,
	LW_OBSERVE,
	LW_DISCOVER,
	LW_WRITE,
	LW_WRITE_ATTR,
	LW_EXECUTE,
	LW_CREATE,
	LW_DELETE,
};

struct lwm2m_state {
	char *endpoint, *version, *binding, *location;
	int64_t lifetime; /* -1 unknown */
	char *objects[LW_OBJECTS_MAX];
	uint32_t n_objects, objects_total;
	uint32_t operations;
	uint8_t identity_given;
	/* Object 3 Device */
	char *manufacturer, *model, *serial, *fw_version;
	/* Object 5 Firmware Update */
	char *package_uri, *pkg_name, *pkg_version;
	uint64_t package_bytes;
	uint8_t has_package, update_executed;
	int64_t state, update_result; /* -1 unknown */
	/* What the operations showed, for the intent votes. */
	uint32_t ops_seen;     /* 1 << enum lw_op */
	uint32_t pkg_uri_sets; /* values of /5/x/1 taken */
	char *pkg_uri_written;     /* the first non-empty Package URI written */
	uint8_t pkg_uri_cancelled; /* an empty one written */
	uint8_t dm_op, sensor_how; /* sensor_how: 1 read, 2 notification */
	struct lw_path dm_path, sensor_path;
};

struct coap_state {
	uint8_t seen;
	uint32_t messages, retransmissions, truncated, invalid;
	uint32_t requests_total, observe, notifications, transfers_total;
	struct coap_req *reqs;
	uint8_t n_reqs;
	struct coap_transfer *tr;
	struct app_transfer *out; /* tr as dissector.h gives them, kept up to date */
	uint8_t n_tr;
	uint64_t hashed_total; /* bytes of all transfers hashed (the cap) */
	/* The first request with data from the device that was not LwM2M's
	 * registration or Send: a plain CoAP upload. */
	char *dev_post;
	uint8_t dev_post_method;
	struct coap_pending pend[COAP_PENDING_MAX];
	uint64_t pend_seq;
	struct coap_recent recent[2][COAP_RECENT];
	uint8_t recent_next[2];
	struct {
		uint64_t hash;
		int8_t req;
		uint8_t method, valid;
	} last[2]; /* the last logical request per side: folds block runs */
	char *url_path, *url_query, *host;
	uint16_t url_port;
	uint8_t has_url_port;
	struct lwm2m_state *lw;
};

/* One parsed message; strings point into the datagram or live here. */
struct span {
	const uint8_t *p;
	size_t n;
};

struct coap_msg {
	uint8_t type, tkl, code;
	uint16_t mid;
	uint8_t token[8];
	char path[COAP_URI_MAX + 1];
	size_t path_len;
	char query[COAP_URI_MAX + 1];
	size_t query_len;
	char loc[COAP_NAME_MAX + 1];
	size_t loc_len;
	struct span host;
	uint8_t has_path, uri_cut, loc_cut, has_port;
	uint16_t uri_port;
	int32_t cf, accept;
	struct coap_block b1, b2;
	uint8_t has_size1, has_size2, has_observe;
	uint32_t size1, size2, observe;
	struct span seg[4]; /* the first path segments, raw */
	uint32_t nseg;
	struct span q[COAP_QUERIES_MAX];
	uint32_t nq;
	const uint8_t *payload;
	size_t payload_len;
};

/* ---------------------------------------------------------------------
 * Small helpers.
 * --------------------------------------------------------------------- */

/* A heap copy of at most cap of the n bytes at p, NUL-terminated; NULL
 * when out of memory (the field is then left out of the event). */
static char *str_dupn(const void *p, size_t n, size_t cap)
{
	if (n > cap)
		n = cap;
	char *s = malloc(n + 1);
	if (s == NULL)
		return NULL;
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static void str_set(char **dst, const void *p, size_t n, size_t cap)
{
	free(*dst);
	*dst = str_dupn(p, n, cap);
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h;
}

static int span_is(const struct span *s, const char *lit)
{
	size_t n = strlen(lit);
	return s->n == n && memcmp(s->p, lit, n) == 0;
}

/* 1 when the n bytes at p are n decimal digits, min <= n <= max. */
static int all_digits(const uint8_t *p, size_t n, size_t min, size_t max)
{
	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

/* Decimal integer text (JSON numbers like "3" or "3.0" too); 0 when the
 * text is not one. */
static int parse_int_text(const uint8_t *p, size_t n, int64_t *out)
{
	size_t i = 0;
	int neg = 0;
	int64_t v = 0;
	if (i < n && (p[i] == '-' || p[i] == '+'))
		neg = p[i++] == '-';
	size_t start = i;
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		if (i - start >= 18)
			return 0;
		v = v * 10 + (p[i] - '0');
	}
	if (i == start)
		return 0;
	if (i < n && p[i] == '.') /* "3.0": a whole number written as a float */
		for (i++; i < n && p[i] == '0'; i++)
			;
	if (i != n)
		return 0;
	*out = neg ? -v : v;
	return 1;
}

/* A CoAP uint option: 0-4 bytes, big-endian; 0 when longer. */
static int opt_uint(struct rd *v, uint32_t *out)
{
	size_t n = rd_left(v);
	if (n > 4)
		return 0;
	uint32_t x = 0;
	while (rd_left(v))
		x = x << 8 | rd_u8(v);
	*out = x;
	return 1;
}

/* RFC 3986 pchar without '%' (sub-delims, ':' '@' and unreserved); a query
 * also allows '/' and '?', but '&' separates query items. */
static int uri_char_plain(uint8_t ch, int query)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
		return 1;
	if (ch == '&')
		return !query;
	if (query && (ch == '/' || ch == '?'))
		return 1;
	return ch != 0 && strchr("-._~!$'()*+,;=:@", ch) != NULL;
}

/* Appends sep and the percent-encoded bytes to buf (cap bytes + NUL);
 * returns 0 when they did not fit (buf is left as it was). */
static int uri_append(char *buf, size_t *len, size_t cap, char sep, const uint8_t *p, size_t n,
		      int query)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t need = sep ? 1 : 0;
	for (size_t i = 0; i < n; i++)
		need += uri_char_plain(p[i], query) ? 1 : 3;
	if (*len + need > cap)
		return 0;
	char *o = buf + *len;
	if (sep)
		*o++ = sep;
	for (size_t i = 0; i < n; i++) {
		if (uri_char_plain(p[i], query)) {
			*o++ = (char)p[i];
		} else {
			*o++ = '%';
			*o++ = hex[p[i] >> 4];
			*o++ = hex[p[i] & 15];
		}
	}
	*o = '\0';
	*len += need;
	return 1;
}

static const char *method_name(uint8_t code)
{
	static const char *const names[] = {"", "GET", "POST", "PUT", "DELETE",
					    "FETCH", "PATCH", "iPATCH"};
	return code >= 1 && code <= 7 ? names[code] : NULL;
}

/* "2.05" for code 69. */
static void code_str(uint8_t code, char out[5])
{
	out[0] = (char)('0' + (code >> 5));
	out[1] = '.';
	out[2] = (char)('0' + (code & 31) / 10);
	out[3] = (char)('0' + (code & 31) % 10);
	out[4] = '\0';
}

/* CoAP over UDP has no length field: a message that runs out of bytes was
 * cut by the capture (snap length) when the packet says so, or when there
 * is no packet to ask; a datagram kept whole that runs out contradicts
 * itself.  known: only when the packet says so (for payloads, whose own
 * errors are more likely than a cut). */
static int datagram_cut(const struct dissect_ctx *c, int known)
{
	const struct packet *p = c->pkt;
	if (p == NULL)
		return !known;
	return p->caplen < p->wirelen || p->l3_len < p->l3_wirelen;
}

/* ---------------------------------------------------------------------
 * The message.
 * --------------------------------------------------------------------- */

/* An option's extended delta or length (RFC 7252 3.1). */
static uint32_t opt_ext(struct rd *r, uint32_t nib)
{
	if (nib == 13)
		return 13u + rd_u8(r);
	if (nib == 14)
		return 269u + rd_be16(r);
	if (nib == 15)
		rd_invalid(r);
	return nib;
}

static void block_value(struct rd *v, struct coap_block *b)
{
	uint32_t x;
	if (rd_left(v) > 3 || !opt_uint(v, &x))
		return; /* too long: ignored like an unrecognised option */
	b->has = 1;
	b->num = x >> 4;
	b->m = (x >> 3) & 1;
	b->szx = x & 7;
}

/* Takes one option's value into m. */
static void coap_option(struct coap_msg *m, uint32_t num, struct rd *v)
{
	size_t n = rd_left(v);
	const uint8_t *p = rd_ptr(v);
	uint32_t x;
	switch (num) {
	case OPT_URI_HOST:
		if (m->host.n == 0 && n > 0 && n <= COAP_NAME_MAX)
			m->host = (struct span){p, n};
		break;
	case OPT_URI_PATH:
		m->has_path = 1;
		if (m->nseg < 4)
			m->seg[m->nseg] = (struct span){p, n};
		m->nseg++;
		/* Once cut, nothing more: a later short segment must not slip in. */
		if (!m->uri_cut && !uri_append(m->path, &m->path_len, COAP_URI_MAX, '/', p, n, 0))
			m->uri_cut = 1;
		break;
	case OPT_URI_QUERY:
		if (m->nq < COAP_QUERIES_MAX)
			m->q[m->nq++] = (struct span){p, n};
		if (!m->uri_cut && !uri_append(m->query, &m->query_len, COAP_URI_MAX,
					       m->query_len ? '&' : 0, p, n, 1))
			m->uri_cut = 1;
		break;
	case OPT_LOCATION_PATH:
		if (!m->loc_cut && !uri_append(m->loc, &m->loc_len, COAP_NAME_MAX, '/', p, n, 0))
			m->loc_cut = 1;
		break;
	case OPT_URI_PORT:
		if (n <= 2 && opt_uint(v, &x)) {
			m->has_port = 1;
			m->uri_port = (uint16_t)x;
		}
		break;
	case OPT_CONTENT_FORMAT:
		if (n <= 2 && opt_uint(v, &x))
			m->cf = (int32_t)x;
		break;
	case OPT_ACCEPT:
		if (n <= 2 && opt_uint(v, &x))
			m->accept = (int32_t)x;
		break;
	case OPT_OBSERVE:
		if (n <= 3 && opt_uint(v, &x)) {
			m->has_observe = 1;
			m->observe = x;
		}
		break;
	case OPT_BLOCK1:
		block_value(v, &m->b1);
		break;
	case OPT_BLOCK2:
		block_value(v, &m->b2);
		break;
	case OPT_SIZE1:
		if (opt_uint(v, &x)) {
			m->has_size1 = 1;
			m->size1 = x;
		}
		break;
	case OPT_SIZE2:
		if (opt_uint(v, &x)) {
			m->has_size2 = 1;
			m->size2 = x;
		}
		break;
	default:
		break;
	}
}

/* Parses one datagram into m.  Errors are left in r: RD_ETRUNC when bytes
 * ran out, RD_EINVAL when the message contradicts RFC 7252's format. */
static void coap_msg_parse(struct rd *r, struct coap_msg *m)
{
	m->type = m->tkl = m->code = 0;
	m->path_len = m->query_len = m->loc_len = 0;
	m->path[0] = m->query[0] = m->loc[0] = '\0';
	m->host = (struct span){NULL, 0};
	m->has_path = m->uri_cut = m->loc_cut = m->has_port = 0;
	m->cf = m->accept = -1;
	memset(&m->b1, 0, sizeof(m->b1));
	memset(&m->b2, 0, sizeof(m->b2));
	m->has_size1 = m->has_size2 = m->has_observe = 0;
	m->nseg = m->nq = 0;
	m->payload = NULL;
	m->payload_len = 0;

	uint8_t b0 = rd_u8(r);
	m->code = rd_u8(r);
	m->mid = rd_be16(r);
	if (!rd_ok(r))
		return;
	m->type = (b0 >> 4) & 3;
	m->tkl = b0 & 15;
	uint8_t cls = m->code >> 5;
	/* Version 1 only; TKL 9-15 and code classes 1, 6, 7 are reserved. */
	if ((b0 >> 6) != 1 || m->tkl > 8 || cls == 1 || cls >= 6) {
		rd_invalid(r);
		return;
	}
	rd_copy(r, m->token, m->tkl);
	if (m->code == 0 && (m->tkl != 0 || rd_left(r) != 0)) {
		rd_invalid(r); /* an Empty message is the 4-byte header only */
		return;
	}
	uint32_t num = 0;
	while (rd_ok(r) && rd_left(r) > 0) {
		uint8_t b = rd_u8(r);
		if (b == 0xff) {
			if (rd_left(r) == 0)
				rd_invalid(r); /* a marker must be followed by a payload */
			m->payload = rd_ptr(r);
			m->payload_len = rd_left(r);
			rd_skip(r, m->payload_len);
			break;
		}
		uint32_t delta = opt_ext(r, b >> 4);
		uint32_t len = opt_ext(r, b & 15);
		num += delta;
		if (num > 0xffff)
			rd_invalid(r);
		struct rd v = rd_sub(r, len);
		if (!rd_ok(r))
			break;
		coap_option(m, num, &v);
	}
	if (!m->has_path) { /* no Uri-Path is the path "/" (RFC 7252 6.5) */
		m->path[0] = '/';
		m->path[1] = '\0';
		m->path_len = 1;
	}
}

/* 1 when a datagram looks like CoAP: version 1, TKL <= 8, a known code,
 * and options that walk cleanly to the end. */
static int coap_probe(const uint8_t *data, size_t len, int dir)
{
	(void)dir;
	struct rd r = rd_init(data, len);
	uint8_t b0 = rd_u8(&r), code = rd_u8(&r);
	rd_be16(&r);
	if (!rd_ok(&r) || (b0 >> 6) != 1 || (b0 & 15) > 8)
		return 0;
	uint8_t cls = code >> 5, detail = code & 31;
	switch (cls) {
	case 0:
		if (detail > 7 || (detail == 0 && len != 4))
			return 0;
		break;
	case 2:
		if (!(detail >= 1 && detail <= 5) && detail != 31)
			return 0;
		break;
	case 4:
		if (detail > 15 && detail != 29)
			return 0;
		break;
	case 5:
		if (detail > 8)
			return 0;
		break;
	default:
		return 0;
	}
	rd_skip(&r, b0 & 15);
	uint32_t num = 0;
	while (rd_ok(&r) && rd_left(&r) > 0) {
		uint8_t b = rd_u8(&r);
		if (b == 0xff)
			return rd_left(&r) > 0;
		num += opt_ext(&r, b >> 4);
		rd_skip(&r, opt_ext(&r, b & 15));
		if (num > 0xffff)
			return 0;
	}
	return rd_ok(&r);
}

/* ---------------------------------------------------------------------
 * Requests, responses, transfers.
 * --------------------------------------------------------------------- */

/* 1 when m repeats one of the last messages from the same side. */
static int coap_is_retransmission(struct coap_state *st, int dir, const struct coap_msg *m)
{
	struct coap_recent *rc = st->recent[dir];
	for (int i = 0; i < COAP_RECENT; i++)
		if (rc[i].used && rc[i].mid == m->mid && rc[i].type == m->type &&
		    rc[i].code == m->code)
			return 1;
	struct coap_recent *slot = &rc[st->recent_next[dir]];
	st->recent_next[dir] = (uint8_t)((st->recent_next[dir] + 1) % COAP_RECENT);
	*slot = (struct coap_recent){m->mid, m->type, m->code, 1};
	return 0;
}

/*
 * Transfers (RFC 7959): the data of a Block2 run (in responses) or a
 * Block1 run (in requests), one per URI, option and direction; also a
 * single 2.05 answer to a GET of a firmware-looking path, and a single
 * LwM2M Write of /5/x/0 (the package pushed whole).  Their bytes are
 * hashed in order as the blocks pass:
 *   - a block is placed at NUM * 2^(SZX+4); it is hashed when it starts
 *     where the hashed bytes end (so the client may lower SZX mid-way,
 *     RFC 7959 2.4: the offsets still meet);
 *   - a block that starts before that end was seen already (a CON
 *     retransmission is caught earlier by its message id; a block asked
 *     again comes here): ignored, but if it is the last block again with
 *     other bytes, the server contradicted itself: ORDER;
 *   - a block that starts after it: a block is missing, GAP; when the
 *     missing block then arrives, they came out of order: ORDER;
 *   - a block with M=1 that is not exactly the block size, or one that
 *     straddles the hashed end: ORDER (inconsistent sizes);
 *   - past the flow's byte cap: CAP;
 *   - the block with M=0 ends the transfer; a flow that ends before it
 *     leaves it SHORT.
 * A hash is given only for TRANSFER_HASH_OK.
 */

/* What a transfer's first message says about it. */
struct tr_info {
	const char *uri;    /* path?query, the request's */
	uint64_t hash;
	int opt, dir;       /* the option (1, 2, 3) and the data's direction */
	int req_dir;        /* the request's direction */
	uint8_t method;     /* the request's code */
	int32_t cf;         /* the data message's Content-Format */
	int has_size;
	uint32_t size;      /* Size1 / Size2 */
	const char *host;   /* Uri-Host, or NULL */
	int has_port;
	uint16_t port;      /* Uri-Port */
	int status;         /* a response's code class; -1 for a request */
};

static uint64_t fnv1a_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* Content-Format numbers as media types (IANA CoRE Parameters). */
static const char *cf_media_type(int32_t cf)
{
	switch (cf) {
	case CF_TEXT: return "text/plain;charset=utf-8";
	case CF_LINK: return "application/link-format";
	case 41: return "application/xml";
	case CF_OPAQUE: return "application/octet-stream";
	case 47: return "application/exi";
	case 50: return "application/json";
	case 60: return "application/cbor";
	case CF_SENML_JSON: return "application/senml+json";
	case CF_SENML_CBOR: return "application/senml+cbor";
	case CF_LWM2M_TLV: return "application/vnd.oma.lwm2m+tlv";
	case CF_LWM2M_JSON: return "application/vnd.oma.lwm2m+json";
	case CF_LWM2M_CBOR: return "application/vnd.oma.lwm2m+cbor";
	default: return NULL;
	}
}

/* A path that names a firmware image (docs/intent.md): its last segment
 * ends in .bin .hex .img .fw .dfu .ota .zip .pkg .upd .delta .patch .diff
 * .tar .gz .signed, or one segment is fw, firmware, fota, ota, dfu,
 * upgrade, update or package (any case). */
static int path_looks_firmware(const char *uri)
{
	static const char *const exts[] = {".bin", ".hex", ".img", ".fw", ".dfu", ".ota", ".zip",
					   ".pkg", ".upd", ".delta", ".patch", ".diff", ".tar",
					   ".gz", ".signed"};
	static const char *const segs[] = {"fw", "firmware", "fota", "ota", "dfu",
					   "upgrade", "update", "package"};
	size_t n = strcspn(uri, "?");
	const char *p = uri;
	while (p < uri + n) {
		if (*p == '/')
			p++;
		size_t k = strcspn(p, "/?");
		if (p + k > uri + n)
			k = (size_t)(uri + n - p);
		for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++)
			if (k == strlen(segs[i]) && strncasecmp(p, segs[i], k) == 0)
				return 1;
		if (p + k == uri + n)
			for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
				size_t e = strlen(exts[i]);
				if (k > e && strncasecmp(p + k - e, exts[i], e) == 0)
					return 1;
			}
		p += k;
	}
	return 0;
}

/* coap://host[:port]/path (no query: LwM2M puts the endpoint there) and
 * the last path segment.  The host: the request's Uri-Host, else the
 * address of the side the request went to; the port when it is not
 * 5683. */
static void transfer_names(struct coap_transfer *t, const struct flow *f, const struct tr_info *ti)
{
	struct ip_addr a;
	uint16_t port;
	char host[COAP_NAME_MAX + INET6_ADDRSTRLEN + 3], url[COAP_URI_MAX + sizeof(host) + 16];
	if (ti->req_dir == 0)
		flow_destination(f, &a, &port);
	else
		flow_source(f, &a, &port);
	if (ti->has_port)
		port = ti->port;
	if (ti->host) {
		snprintf(host, sizeof(host), "%s", ti->host);
	} else {
		char ip[INET6_ADDRSTRLEN];
		ip_addr_str(&a, ip, sizeof(ip));
		snprintf(host, sizeof(host), "%s%s%s", a.family == 6 ? "[" : "", ip,
			 a.family == 6 ? "]" : "");
	}
	size_t plen = strcspn(ti->uri, "?");
	int k = port == 5683 || port == 0
			? snprintf(url, sizeof(url), "coap://%s", host)
			: snprintf(url, sizeof(url), "coap://%s:%u", host, port);
	if (k > 0 && (size_t)k < sizeof(url))
		snprintf(url + k, sizeof(url) - (size_t)k, "%.*s", (int)plen, ti->uri);
	t->url = str_dupn(url, strlen(url), TRANSFER_URL_MAX - 1);
	const char *slash = ti->uri;
	for (size_t i = 0; i < plen; i++)
		if (ti->uri[i] == '/')
			slash = ti->uri + i + 1;
	if (slash < ti->uri + plen)
		t->name = str_dupn(slash, (size_t)(ti->uri + plen - slash), TRANSFER_NAME_MAX - 1);
}

static void str_keep(char **dst, const char *src)
{
	if (*dst == NULL && src)
		*dst = str_dupn(src, strlen(src), COAP_URI_MAX);
}

/* Copies what the flow's LwM2M state knows into the transfer (the state's
 * own strings may be replaced later). */
static void transfer_lw(struct coap_transfer *t, const struct lwm2m_state *lw)
{
	if (lw == NULL)
		return;
	str_keep(&t->package_uri, lw->package_uri);
	str_keep(&t->version, lw->pkg_version ? lw->pkg_version : lw->fw_version);
}

/* Writes transfer i as dissector.h gives it. */
static void transfer_publish(struct coap_state *st, int i, uint64_t now_us, int status)
{
	struct coap_transfer *t = &st->tr[i];
	struct app_transfer *o = &st->out[i];
	o->protocol = "coap";
	o->method = method_name(t->method) ? method_name(t->method) : "POST";
	o->name = t->name;
	o->url = t->url;
	o->package_uri = t->package_uri;
	o->version = t->version;
	o->content_type = t->cf < 0 ? NULL : cf_media_type(t->cf) ? cf_media_type(t->cf) : t->ctype;
	o->size = t->bytes;
	o->declared_size = t->has_size ? t->size : 0;
	if (o->start_us == 0)
		o->start_us = now_us;
	o->end_us = now_us;
	o->to_device = t->dir == 1;
	if (status >= 0)
		o->status_ok = status == 2;
	if (t->hash_state != TRANSFER_HASH_OK)
		o->hash_state = t->hash_state;
	else
		o->hash_state = t->complete ? TRANSFER_HASH_OK : TRANSFER_HASH_SHORT;
}

static struct coap_transfer *transfer_find(struct coap_state *st, uint64_t hash, int opt, int dir)
{
	for (int i = st->n_tr - 1; i >= 0; i--)
		if (st->tr[i].uri_hash == hash && st->tr[i].opt == opt && st->tr[i].dir == dir)
			return &st->tr[i];
	return NULL;
}

static struct coap_transfer *transfer_new(struct coap_state *st, const struct flow *f,
					  const struct tr_info *ti)
{
	if (ti->opt != 3)
		st->transfers_total++;
	if (st->tr == NULL) {
		st->tr = calloc(COAP_TRANSFERS_MAX, sizeof(*st->tr));
		st->out = calloc(COAP_TRANSFERS_MAX, sizeof(*st->out));
		if (st->tr == NULL || st->out == NULL) {
			free(st->tr);
			free(st->out);
			st->tr = NULL;
			st->out = NULL;
		}
	}
	if (st->tr == NULL || st->n_tr >= COAP_TRANSFERS_MAX)
		return NULL;
	struct coap_transfer *t = &st->tr[st->n_tr];
	memset(t, 0, sizeof(*t));
	memset(&st->out[st->n_tr], 0, sizeof(st->out[0]));
	t->uri = str_dupn(ti->uri, strlen(ti->uri), COAP_URI_MAX);
	t->uri_hash = ti->hash;
	t->opt = (uint8_t)ti->opt;
	t->dir = (uint8_t)ti->dir;
	t->method = ti->method;
	t->cf = -1;
	transfer_names(t, f, ti);
	transfer_lw(t, st->lw);
	if (sha256_init(&t->sha) != 0)
		t->hash_state = TRANSFER_HASH_ERROR;
	st->n_tr++;
	return t;
}

/* Gives up t's hash for reason why. */
static void transfer_fail(struct coap_transfer *t, enum transfer_hash_state why)
{
	if (t->hash_state == TRANSFER_HASH_OK)
		t->hash_state = (uint8_t)why;
	sha256_free(&t->sha);
}

/* A block that starts before the hashed end: seen already. */
static void transfer_again(struct coap_transfer *t, uint64_t off, const uint8_t *p, size_t len)
{
	if (t->hash_state == TRANSFER_HASH_GAP && off >= t->gap_from && off < t->gap_to) {
		t->hash_state = TRANSFER_HASH_ORDER; /* the missing block, late */
		return;
	}
	if (t->hash_state != TRANSFER_HASH_OK)
		return;
	if (off == t->last_off && len == t->last_len && fnv1a_bytes(p, len) != t->last_fnv)
		transfer_fail(t, TRANSFER_HASH_ORDER); /* the same block, other bytes */
	else if (off < t->hashed && off + len > t->hashed)
		transfer_fail(t, TRANSFER_HASH_ORDER); /* blocks that overlap */
}

/* A new block at off: hash it when it continues the bytes hashed. */
static void transfer_hash(const struct dissect_ctx *c, struct coap_state *st,
			  struct coap_transfer *t, uint64_t off, uint64_t bsize, int more,
			  const uint8_t *p, size_t len)
{
	uint64_t max = c->transfer_max_bytes ? c->transfer_max_bytes : COAP_HASH_DEFAULT_MAX;
	if (t->hash_state != TRANSFER_HASH_OK)
		return;
	if (off > t->hashed) {
		t->gap_from = t->hashed;
		t->gap_to = off;
		transfer_fail(t, TRANSFER_HASH_GAP);
	} else if (more && len != bsize) {
		transfer_fail(t, TRANSFER_HASH_ORDER); /* RFC 7959 2.2: M=1 is a whole block */
	} else if (st->hashed_total + len > max) {
		transfer_fail(t, TRANSFER_HASH_CAP);
	} else {
		sha256_update(&t->sha, p, len);
		t->hashed += len;
		st->hashed_total += len;
	}
}

/* A block of data: Block1 in a request, Block2 in a response, travelling
 * in direction ti->dir (a single message is block 0 without more).
 * Returns the transfer's index, or -1. */
static int transfer_block(const struct dissect_ctx *c, const struct flow *f,
			  struct coap_state *st, const struct tr_info *ti,
			  const struct coap_block *b, const uint8_t *p, size_t len)
{
	if (b->szx == 7)
		return -1; /* reserved (BERT is CoAP over TCP only) */
	uint64_t bsize = 1ull << (b->szx + 4);
	uint64_t off = (uint64_t)b->num * bsize;
	struct coap_transfer *t = transfer_find(st, ti->hash, ti->opt, ti->dir);
	if (t == NULL || (t->complete && off == 0)) {
		t = transfer_new(st, f, ti);
		if (t == NULL)
			return -1;
	} else if (t->complete) {
		return (int)(t - st->tr); /* asked again after the end */
	} else if (off < t->next_off) {
		transfer_again(t, off, p, len);
		transfer_publish(st, (int)(t - st->tr), c->now_us, -1);
		return (int)(t - st->tr);
	}
	transfer_hash(c, st, t, off, bsize, b->m, p, len);
	t->last_off = off;
	t->last_len = (uint32_t)len;
	t->last_fnv = fnv1a_bytes(p, len);
	t->bytes += len;
	t->blocks++;
	t->next_off = off + len;
	if (!b->m) {
		t->complete = 1;
		if (t->hash_state == TRANSFER_HASH_OK)
			sha256_final(&t->sha, st->out[t - st->tr].sha256);
	}
	if (ti->has_size && !t->has_size)
		t->has_size = 1, t->size = ti->size;
	if (t->cf < 0 && ti->cf >= 0) {
		t->cf = ti->cf;
		snprintf(t->ctype, sizeof(t->ctype), "%u", (unsigned)(uint16_t)ti->cf);
	}
	transfer_lw(t, st->lw);
	transfer_publish(st, (int)(t - st->tr), c->now_us, ti->status);
	return (int)(t - st->tr);
}

static struct coap_pending *pending_add(struct coap_state *st, int dir, const struct coap_msg *m)
{
	struct coap_pending *p = &st->pend[0];
	for (int i = 0; i < COAP_PENDING_MAX; i++) { /* a free slot, else the oldest */
		if (st->pend[i].seq == 0) {
			p = &st->pend[i];
			break;
		}
		if (st->pend[i].seq < p->seq)
			p = &st->pend[i];
	}
	free(p->uri);
	memset(p, 0, sizeof(*p));
	p->seq = ++st->pend_seq;
	p->dir = (uint8_t)dir;
	p->mid = m->mid;
	p->tkl = m->tkl;
	memcpy(p->token, m->token, m->tkl);
	p->method = m->code;
	p->req = -1;
	p->tr1 = -1;
	return p;
}

static void pending_drop(struct coap_pending *p)
{
	free(p->uri);
	memset(p, 0, sizeof(*p));
}

/* The request a response answers: a piggybacked answer (ACK) carries the
 * request's message id and token; a separate answer or a notification
 * (CON/NON) only the token. */
static struct coap_pending *pending_match(struct coap_state *st, int dir, const struct coap_msg *m)
{
	struct coap_pending *best = NULL;
	for (int i = 0; i < COAP_PENDING_MAX; i++) {
		struct coap_pending *p = &st->pend[i];
		if (p->seq == 0 || p->dir == dir || p->tkl != m->tkl ||
		    memcmp(p->token, m->token, m->tkl) != 0)
			continue;
		if (m->type == T_ACK && p->mid != m->mid)
			continue;
		if (best == NULL || p->seq > best->seq)
			best = p;
	}
	return best;
}

/* ---------------------------------------------------------------------
 * LwM2M: values of objects 3 and 5.
 * --------------------------------------------------------------------- */

enum lw_enc { ENC_TEXT, ENC_BINARY };

static struct lwm2m_state *lw_get(struct coap_state *st)
{
	if (st->lw == NULL) {
		st->lw = calloc(1, sizeof(*st->lw));
		if (st->lw) {
			st->lw->lifetime = -1;
			st->lw->state = -1;
			st->lw->update_result = -1;
		}
	}
	return st->lw;
}

static int lw_format(int32_t cf)
{
	return cf == CF_LWM2M_TLV || cf == CF_LWM2M_JSON || cf == CF_SENML_JSON ||
	       cf == CF_SENML_CBOR || cf == CF_LWM2M_CBOR || cf == CF_LWM2M_TLV_OLD ||
	       cf == CF_LWM2M_JSON_OLD;
}

/* An LwM2M Integer: TLV gives 1, 2, 4 or 8 bytes, signed big-endian;
 * text gives decimal digits. */
static int lw_int(enum lw_enc enc, const uint8_t *p, size_t n, int64_t *out)
{
	if (enc == ENC_TEXT)
		return parse_int_text(p, n, out);
	if (n != 1 && n != 2 && n != 4 && n != 8)
		return 0;
	uint64_t v = (p[0] & 0x80) ? ~0ull : 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	*out = (int64_t)v;
	return 1;
}

/* One resource value: /obj/inst/res.  Objects 3 and 5 are single-instance;
 * other instances and resources are not kept. */
static void lw_value(struct lwm2m_state *lw, uint16_t obj, uint16_t inst, uint16_t res,
		     enum lw_enc enc, const uint8_t *p, size_t n)
{
	int64_t v;
	if (inst != 0)
		return;
	if (obj == 3) {
		char **dst = res == 0 ? &lw->manufacturer : res == 1 ? &lw->model
			    : res == 2 ? &lw->serial : res == 3 ? &lw->fw_version : NULL;
		if (dst)
			str_set(dst, p, n, LW_STR_MAX);
	} else if (obj == 5) {
		switch (res) {
		case 0:
			lw->has_package = 1;
			lw->package_bytes += n;
			break;
		case 1:
			str_set(&lw->package_uri, p, n, COAP_URI_MAX);
			lw->pkg_uri_sets++;
			break;
		case 3:
			if (lw_int(enc, p, n, &v))
				lw->state = v;
			break;
		case 5:
			if (lw_int(enc, p, n, &v))
				lw->update_result = v;
			break;
		case 6:
			str_set(&lw->pkg_name, p, n, LW_STR_MAX);
			break;
		case 7:
			str_set(&lw->pkg_version, p, n, LW_STR_MAX);
			break;
		default:
			break;
		}
	}
}

/* Walks TLV entries (OMA LwM2M TS Core 7.4.3).  The entry types place the
 * identifiers: an object instance sets inst, a multiple resource sets res
 * for the resource instances inside it.  Returns 0 when an entry claims
 * more bytes than its container holds. */
static int lw_tlv(struct lwm2m_state *lw, struct rd *r, uint16_t obj, uint16_t inst, uint16_t res,
		  int depth)
{
	if (depth > 3)
		return 0;
	while (rd_ok(r) && rd_left(r) > 0) {
		uint8_t t = rd_u8(r);
		uint16_t id = (t & 0x20) ? rd_be16(r) : rd_u8(r);
		uint32_t len;
		switch ((t >> 3) & 3) {
		case 0:
			len = t & 7;
			break;
		case 1:
			len = rd_u8(r);
			break;
		case 2:
			len = rd_be16(r);
			break;
		default:
			len = rd_be24(r);
			break;
		}
		struct rd v = rd_sub(r, len);
		if (!rd_ok(r))
			return 0;
		switch (t >> 6) {
		case 0: /* object instance */
			if (!lw_tlv(lw, &v, obj, id, res, depth + 1))
				return 0;
			break;
		case 2: /* multiple resource: resource instances inside */
			if (!lw_tlv(lw, &v, obj, inst, id, depth + 1))
				return 0;
			break;
		case 3: /* resource with value */
			lw_value(lw, obj, inst, id, ENC_BINARY, rd_ptr(&v), rd_left(&v));
			break;
		default: /* resource instance of the resource res */
			lw_value(lw, obj, inst, res, ENC_BINARY, rd_ptr(&v), rd_left(&v));
			break;
		}
	}
	return rd_ok(r);
}

/* "/3/0/1" (or "3/0/1") into a numeric path; 0 when it is not one. */
static int lw_path_parse(const uint8_t *p, size_t n, struct lw_path *out)
{
	size_t i = 0;
	out->n = 0;
	if (i < n && p[i] == '/')
		i++;
	while (i < n) {
		size_t s = i;
		uint32_t v = 0;
		while (i < n && p[i] >= '0' && p[i] <= '9' && i - s < 5)
			v = v * 10 + (uint32_t)(p[i++] - '0');
		if (i == s || v > 0xffff || out->n >= 4 || (i < n && p[i] != '/'))
			return 0;
		out->id[out->n++] = (uint16_t)v;
		if (i < n)
			i++; /* '/' */
	}
	return out->n > 0;
}

/* ---- a small JSON reader for SenML JSON (RFC 8428) and LwM2M JSON ---- */

struct senml_rec {
	char bn[LW_STR_MAX + 1], n[LW_STR_MAX + 1];
	char sv[COAP_URI_MAX + 1], num[32];
	size_t bn_len, n_len, sv_len, num_len;
	uint8_t has_bn, has_n, has_sv, has_num;
};

static void js_ws(struct rd *r)
{
	while (rd_left(r)) {
		uint8_t ch = rd_peek(r, 0);
		if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r')
			break;
		rd_skip(r, 1);
	}
}

/* Consumes ch after white space; marks r invalid when it is not there. */
static int js_eat(struct rd *r, uint8_t ch)
{
	js_ws(r);
	if (rd_left(r) && rd_peek(r, 0) == ch) {
		rd_skip(r, 1);
		return 1;
	}
	rd_invalid(r);
	return 0;
}

static int js_at(struct rd *r, uint8_t ch)
{
	js_ws(r);
	return rd_left(r) && rd_peek(r, 0) == ch;
}

/* Consumes a ',' between members; 0 at the end of the list. */
static int js_next(struct rd *r)
{
	return js_at(r, ',') && js_eat(r, ',');
}

static void js_put(char *out, size_t cap, size_t *n, uint8_t ch)
{
	if (out && *n < cap)
		out[(*n)++] = (char)ch;
}

static int js_hex4(struct rd *r, uint32_t *cp)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		uint8_t h = rd_u8(r);
		int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
			: h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
		if (d < 0) {
			rd_invalid(r);
			return 0;
		}
		v = v << 4 | (uint32_t)d;
	}
	*cp = v;
	return rd_ok(r);
}

/* A string into out (at most cap bytes kept, escapes decoded; out may be
 * NULL to skip it). */
static int js_string(struct rd *r, char *out, size_t cap, size_t *n)
{
	size_t k = 0;
	if (!js_eat(r, '"'))
		return 0;
	for (;;) {
		uint8_t ch = rd_u8(r);
		if (!rd_ok(r))
			return 0;
		if (ch == '"')
			break;
		if (ch < 0x20) {
			rd_invalid(r);
			return 0;
		}
		if (ch != '\\') {
			js_put(out, cap, &k, ch);
			continue;
		}
		uint8_t e = rd_u8(r);
		uint32_t cp;
		switch (e) {
		case '"': case '\\': case '/':
			js_put(out, cap, &k, e);
			break;
		case 'b': js_put(out, cap, &k, '\b'); break;
		case 'f': js_put(out, cap, &k, '\f'); break;
		case 'n': js_put(out, cap, &k, '\n'); break;
		case 'r': js_put(out, cap, &k, '\r'); break;
		case 't': js_put(out, cap, &k, '\t'); break;
		case 'u':
			if (!js_hex4(r, &cp))
				return 0;
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd; /* surrogates are not paired up here */
			if (cp < 0x80) {
				js_put(out, cap, &k, (uint8_t)cp);
			} else if (cp < 0x800) {
				js_put(out, cap, &k, (uint8_t)(0xc0 | cp >> 6));
				js_put(out, cap, &k, (uint8_t)(0x80 | (cp & 0x3f)));
			} else {
				js_put(out, cap, &k, (uint8_t)(0xe0 | cp >> 12));
				js_put(out, cap, &k, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
				js_put(out, cap, &k, (uint8_t)(0x80 | (cp & 0x3f)));
			}
			break;
		default:
			rd_invalid(r);
			return 0;
		}
	}
	if (out) {
		out[k] = '\0';
		*n = k;
	}
	return 1;
}

static int js_number(struct rd *r, char *out, size_t cap, size_t *n)
{
	size_t k = 0;
	js_ws(r);
	while (rd_left(r) && rd_peek(r, 0) && strchr("+-0123456789.eE", rd_peek(r, 0))) {
		uint8_t ch = rd_u8(r);
		if (out)
			js_put(out, cap, &k, ch);
		else
			k++;
	}
	if (k == 0) {
		rd_invalid(r);
		return 0;
	}
	if (out) {
		out[k] = '\0';
		*n = k;
	}
	return 1;
}

static int js_literal(struct rd *r)
{
	static const char *const lits[] = {"true", "false", "null"};
	js_ws(r);
	for (int i = 0; i < 3; i++) {
		size_t n = strlen(lits[i]);
		if (rd_left(r) >= n && memcmp(rd_ptr(r), lits[i], n) == 0) {
			rd_skip(r, n);
			return 1;
		}
	}
	rd_invalid(r);
	return 0;
}

static int js_skip(struct rd *r, int depth);

/* Skips an object or array body after its opening bracket. */
static int js_skip_members(struct rd *r, uint8_t close, int depth)
{
	if (js_at(r, close))
		return js_eat(r, close);
	do {
		if (close == '}' && (!js_string(r, NULL, 0, NULL) || !js_eat(r, ':')))
			return 0;
		if (!js_skip(r, depth + 1))
			return 0;
	} while (js_next(r));
	return js_eat(r, close);
}

static int js_skip(struct rd *r, int depth)
{
	if (depth > LW_JSON_DEPTH) {
		rd_invalid(r);
		return 0;
	}
	js_ws(r);
	uint8_t ch = rd_peek(r, 0);
	if (!rd_left(r)) {
		rd_need(r, 1);
		return 0;
	}
	if (ch == '{' || ch == '[') {
		rd_skip(r, 1);
		return js_skip_members(r, ch == '{' ? '}' : ']', depth);
	}
	if (ch == '"')
		return js_string(r, NULL, 0, NULL);
	if (ch == 't' || ch == 'f' || ch == 'n')
		return js_literal(r);
	return js_number(r, NULL, 0, NULL);
}

/* Emits one record's value as /bn+n (a '/' is put between the two when
 * neither has one: Leshan's LwM2M JSON wrote "bn":"/3/0","n":"0"). */
static void senml_emit(struct lwm2m_state *lw, const char *base, size_t base_len,
		       const struct senml_rec *rec)
{
	char name[2 * LW_STR_MAX + 2];
	size_t k = 0;
	memcpy(name, base, base_len);
	k = base_len;
	if (rec->has_n && rec->n_len) {
		if (k && name[k - 1] != '/' && rec->n[0] != '/')
			name[k++] = '/';
		memcpy(name + k, rec->n, rec->n_len);
		k += rec->n_len;
	}
	struct lw_path path;
	if (!lw_path_parse((const uint8_t *)name, k, &path) || path.n < 3)
		return;
	if (rec->has_sv)
		lw_value(lw, path.id[0], path.id[1], path.id[2], ENC_TEXT,
			 (const uint8_t *)rec->sv, rec->sv_len);
	else if (rec->has_num)
		lw_value(lw, path.id[0], path.id[1], path.id[2], ENC_TEXT,
			 (const uint8_t *)rec->num, rec->num_len);
}

/* One record object: keeps bn, n, the string value (sv: LwM2M JSON, vs:
 * SenML) and the number value (v), skips the rest. */
static int senml_record(struct rd *r, struct senml_rec *rec, int depth)
{
	char key[8];
	size_t kn;
	rec->has_n = rec->has_sv = rec->has_num = rec->has_bn = 0;
	if (!js_eat(r, '{'))
		return 0;
	if (js_at(r, '}'))
		return js_eat(r, '}');
	do {
		if (!js_string(r, key, sizeof(key) - 1, &kn) || !js_eat(r, ':'))
			return 0;
		int ok;
		if (strcmp(key, "bn") == 0) {
			ok = js_string(r, rec->bn, LW_STR_MAX, &rec->bn_len);
			rec->has_bn = 1;
		} else if (strcmp(key, "n") == 0) {
			ok = js_string(r, rec->n, LW_STR_MAX, &rec->n_len);
			rec->has_n = 1;
		} else if ((strcmp(key, "sv") == 0 || strcmp(key, "vs") == 0) && js_at(r, '"')) {
			ok = js_string(r, rec->sv, COAP_URI_MAX, &rec->sv_len);
			rec->has_sv = 1;
		} else if (strcmp(key, "v") == 0 && !js_at(r, '"') && !js_at(r, '{') &&
			   !js_at(r, '[')) {
			ok = js_number(r, rec->num, sizeof(rec->num) - 1, &rec->num_len);
			rec->has_num = 1;
		} else {
			ok = js_skip(r, depth + 1);
		}
		if (!ok)
			return 0;
	} while (js_next(r));
	return js_eat(r, '}');
}

/* SenML JSON: [ {record}, ... ]; a record's bn applies to it and the
 * records after it.  LwM2M JSON: {"bn": ..., "e": [ {record}, ... ]}.
 * base: the base before any bn (LwM2M JSON: the request path; SenML
 * JSON: none, its names are whole paths). */
static int lw_json(struct lwm2m_state *lw, struct rd *r, const char *base)
{
	struct senml_rec *rec = malloc(sizeof(*rec));
	char bn[LW_STR_MAX + 1];
	size_t bn_len = strlen(base) > LW_STR_MAX ? LW_STR_MAX : strlen(base);
	int ok = 0;
	if (rec == NULL)
		return 1; /* out of memory is not the payload's fault */
	memcpy(bn, base, bn_len);
	if (js_at(r, '[')) {
		js_eat(r, '[');
		if (js_at(r, ']'))
			goto done;
		do {
			if (!senml_record(r, rec, 1))
				goto out;
			if (rec->has_bn) {
				memcpy(bn, rec->bn, rec->bn_len);
				bn_len = rec->bn_len;
			}
			senml_emit(lw, bn, bn_len, rec);
		} while (js_next(r));
		if (!js_eat(r, ']'))
			goto out;
	} else {
		char key[8];
		size_t kn;
		if (!js_eat(r, '{'))
			goto out;
		if (js_at(r, '}'))
			goto done;
		do {
			if (!js_string(r, key, sizeof(key) - 1, &kn) || !js_eat(r, ':'))
				goto out;
			if (strcmp(key, "bn") == 0) {
				if (!js_string(r, bn, LW_STR_MAX, &bn_len))
					goto out;
			} else if (strcmp(key, "e") == 0) {
				if (!js_eat(r, '['))
					goto out;
				if (!js_at(r, ']')) {
					do {
						if (!senml_record(r, rec, 2))
							goto out;
						senml_emit(lw, bn, bn_len, rec);
					} while (js_next(r));
				}
				if (!js_eat(r, ']'))
					goto out;
			} else if (!js_skip(r, 1)) {
				goto out;
			}
		} while (js_next(r));
		if (!js_eat(r, '}'))
			goto out;
	}
done:
	ok = 1;
out:
	free(rec);
	return ok;
}

/* ---- link format (RFC 6690): the register payload's object list ---- */

/* Keeps the link targets "</3/0>" of a register or update payload.
 * Returns 0 when a link is not "<...>". */
static int lw_links(struct lwm2m_state *lw, const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (uint32_t k = 0; k < lw->n_objects; k++) {
		free(lw->objects[k]);
		lw->objects[k] = NULL;
	}
	lw->n_objects = lw->objects_total = 0;
	while (i < n) {
		while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))
			i++;
		if (i >= n)
			break;
		if (p[i] != '<')
			return 0;
		size_t s = i;
		while (i < n && p[i] != '>')
			i++;
		if (i >= n)
			return 0;
		size_t tlen = i + 1 - s;
		i++;
		/* "</>" names the client's root with rt="oma.lwm2m": not an object. */
		if (!(tlen == 3 && p[s + 1] == '/')) {
			/* Longer targets are counted, not kept: a cut one would
			 * lose its '>'. */
			if (lw->n_objects < LW_OBJECTS_MAX && tlen <= LW_STR_MAX)
				lw->objects[lw->n_objects++] = str_dupn(p + s, tlen, LW_STR_MAX);
			lw->objects_total++;
		}
		int quoted = 0; /* attributes up to the next ',' outside quotes */
		for (; i < n && (quoted || p[i] != ','); i++)
			if (p[i] == '"')
				quoted = !quoted;
		if (i < n)
			i++;
	}
	return 1;
}

/* ---- the endpoint name: who the device is ---- */

struct lw_ident {
	char imei[16], imsi[16], msisdn[16];
};

static int prefix_ci(const uint8_t *p, size_t n, const char *lit)
{
	size_t k = strlen(lit);
	if (n < k)
		return 0;
	for (size_t i = 0; i < k; i++) {
		uint8_t ch = p[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (uint8_t)(ch + 32);
		if (ch != (uint8_t)lit[i])
			return 0;
	}
	return 1;
}

/* "<15 digits><sep><min..15 digits>" into a and b. */
static int two_numbers(const uint8_t *p, size_t n, uint8_t sep, size_t min, char *a, char *b)
{
	if (n < 16 || p[15] != sep || !all_digits(p, 15, 15, 15) ||
	    !all_digits(p + 16, n - 16, min, 15))
		return 0;
	memcpy(a, p, 15);
	a[15] = '\0';
	memcpy(b, p + 16, n - 16);
	b[n - 16] = '\0';
	return 1;
}

/* Identity in an endpoint name: urn:imei:<IMEI>, urn:imei-imsi:<IMEI>-<IMSI>,
 * urn:imei-msisdn:<IMEI>-<MSISDN> (OMA LwM2M TS Core 7.3.1 / RFC 7254) and
 * OneNET's "<IMEI>;<IMSI>".  IMEI: 15 digits; IMSI: 6-15 digits; MSISDN:
 * 1-15 digits.  Returns 1 when one was found. */
static int lw_endpoint_identity(const uint8_t *p, size_t n, struct lw_ident *id)
{
	memset(id, 0, sizeof(*id));
	if (prefix_ci(p, n, "urn:imei:")) {
		p += 9, n -= 9;
		if (!all_digits(p, n, 15, 15))
			return 0;
		memcpy(id->imei, p, 15);
		return 1;
	}
	if (prefix_ci(p, n, "urn:imei-imsi:"))
		return two_numbers(p + 14, n - 14, '-', 6, id->imei, id->imsi);
	if (prefix_ci(p, n, "urn:imei-msisdn:"))
		return two_numbers(p + 16, n - 16, '-', 1, id->imei, id->msisdn);
	return two_numbers(p, n, ';', 6, id->imei, id->imsi);
}

/* Tells the subscriber table who sent a register or bootstrap request. */
static void lw_identity(struct dissect_ctx *c, const struct flow *f, int dir,
			const struct lw_ident *id)
{
	struct subscriber_info si;
	uint16_t port;
	memset(&si, 0, sizeof(si));
	si.source = ID_SRC_LWM2M;
	if (dir == 0)
		flow_source(f, &si.addr, &port);
	else
		flow_destination(f, &si.addr, &port);
	si.prefix_len = si.addr.family == 6 ? 128 : 32;
	si.imei = id->imei[0] ? id->imei : NULL;
	si.imsi = id->imsi[0] ? id->imsi : NULL;
	si.msisdn = id->msisdn[0] ? id->msisdn : NULL;
	si.rat_type = -1;
	if (c->id)
		identity_session_start(c->id, &si, c->now_us);
}

/* ---- operations ---- */

/* The LwM2M operation a request is (TS Core 6, table "operation to CoAP"). */
static enum lw_op lw_classify(const struct coap_msg *m, struct lw_path *path, int *has_ep)
{
	*has_ep = 0;
	path->n = 0;
	for (uint32_t i = 0; i < m->nq; i++)
		if (m->q[i].n >= 3 && memcmp(m->q[i].p, "ep=", 3) == 0)
			*has_ep = 1;
	if (m->nseg >= 1 && span_is(&m->seg[0], "rd")) {
		if (m->code == M_POST)
			return m->nseg == 1 ? (*has_ep ? LW_REGISTER : LW_NONE) : LW_UPDATE;
		return m->code == M_DELETE && m->nseg >= 2 ? LW_DEREGISTER : LW_NONE;
	}
	if (m->nseg == 1 && span_is(&m->seg[0], "bs") && m->code == M_POST)
		return *has_ep ? LW_BOOTSTRAP : LW_BOOTSTRAP_FINISH;
	if (m->nseg == 1 && span_is(&m->seg[0], "dp") && m->code == M_POST)
		return LW_SEND;
	if (m->nseg == 0 || m->nseg > 4)
		return LW_NONE;
	for (uint32_t i = 0; i < m->nseg; i++) {
		uint32_t v = 0;
		if (!all_digits(m->seg[i].p, m->seg[i].n, 1, 5))
			return LW_NONE;
		for (size_t k = 0; k < m->seg[i].n; k++)
			v = v * 10 + (uint32_t)(m->seg[i].p[k] - '0');
		if (v > 0xffff)
			return LW_NONE;
		path->id[path->n++] = (uint16_t)v;
	}
	switch (m->code) {
	case M_GET:
		if (m->has_observe && m->observe == 0)
			return LW_OBSERVE;
		return m->accept == CF_LINK ? LW_DISCOVER : LW_READ;
	case M_PUT:
		return m->payload_len || m->nq == 0 ? LW_WRITE : LW_WRITE_ATTR;
	case M_POST:
		if (path->n == 1)
			return LW_CREATE;
		if (path->n == 3 && (m->payload_len == 0 || m->cf == CF_TEXT || m->cf < 0))
			return LW_EXECUTE;
		return LW_WRITE;
	case M_DELETE:
		return LW_DELETE;
	default:
		return LW_NONE;
	}
}

/* Decodes a payload of path (the request's) into object 3 / 5 values.
 * whole: the payload is the whole representation (not one block of a
 * block-wise transfer). */
static void lw_payload(struct dissect_ctx *c, struct lwm2m_state *lw, const struct lw_path *path,
		       int32_t cf, const uint8_t *p, size_t n, int whole)
{
	if (path->n == 0 || n == 0)
		return;
	uint16_t obj = path->id[0], inst = path->n > 1 ? path->id[1] : 0;
	int ok = 1;
	if (path->n >= 3 && obj == 5 && path->id[2] == 0 && (cf != CF_LWM2M_TLV || !whole)) {
		lw_value(lw, 5, inst, 0, ENC_BINARY, p, n); /* the package: bytes only */
		return;
	}
	if (!whole)
		return;
	struct rd r = rd_init(p, n);
	switch (cf) {
	case CF_LWM2M_TLV:
	case CF_LWM2M_TLV_OLD:
		ok = lw_tlv(lw, &r, obj, inst, path->n > 2 ? path->id[2] : 0, 0);
		break;
	case CF_SENML_JSON:
		ok = lw_json(lw, &r, "");
		break;
	case CF_LWM2M_JSON:
	case CF_LWM2M_JSON_OLD: {
		char base[32];
		size_t k = 0;
		for (int i = 0; i < path->n; i++) {
			char seg[8];
			int sl = 0;
			uint16_t v = path->id[i];
			do
				seg[sl++] = (char)('0' + v % 10);
			while ((v /= 10) && sl < 6);
			base[k++] = '/';
			while (sl)
				base[k++] = seg[--sl];
		}
		base[k++] = '/';
		base[k] = '\0';
		ok = lw_json(lw, &r, base);
		break;
	}
	case CF_TEXT:
	case CF_OPAQUE:
	case -1:
		if (path->n == 3)
			lw_value(lw, obj, inst, path->id[2], cf == CF_OPAQUE ? ENC_BINARY : ENC_TEXT,
				 p, n);
		break;
	default:
		break;
	}
	if (!ok)
		cnt_inc(c->cnt, datagram_cut(c, 1) ? CNT_DIS_COAP_TRUNC : CNT_DIS_LWM2M_INVALID);
}

/* IPSO Smart Objects (3200-3499 in the OMA LwM2M registry: inputs,
 * sensors, meters): their values are telemetry. */
static int lw_sensor_object(uint16_t obj)
{
	return obj >= 3200 && obj < 3500;
}

/* 1 when an operation on path is one the firmware update votes name
 * (Object 5's Package, Package URI, Update, State, Update Result). */
static int lw_fota_path(const struct lw_path *path)
{
	if (path->n < 3 || path->id[0] != 5)
		return 0;
	uint16_t r = path->id[2];
	return r == 0 || r == 1 || r == 2 || r == 3 || r == 5;
}

static void lw_count_op(struct dissect_ctx *c, struct lwm2m_state *lw, enum lw_op op,
			const struct lw_path *path)
{
	lw->operations++;
	cnt_inc(c->cnt, CNT_DIS_LWM2M_OPERATIONS);
	lw->ops_seen |= 1u << op;
	/* The first management operation of the server, for its vote. */
	if (op >= LW_READ && lw->dm_op == LW_NONE && !lw_fota_path(path) &&
	    !((op == LW_READ || op == LW_OBSERVE) && lw_sensor_object(path->id[0]))) {
		lw->dm_op = (uint8_t)op;
		lw->dm_path = *path;
	}
}

/* Register / update / bootstrap: the query's parameters, the link list,
 * and the endpoint's identity. */
static void lw_register(struct dissect_ctx *c, const struct flow *f, struct lwm2m_state *lw,
			int dir, const struct coap_msg *m, enum lw_op op)
{
	for (uint32_t i = 0; i < m->nq; i++) {
		const uint8_t *q = m->q[i].p;
		size_t n = m->q[i].n;
		int64_t v;
		if (n >= 3 && memcmp(q, "ep=", 3) == 0) {
			struct lw_ident id;
			int same = lw->endpoint && strlen(lw->endpoint) == n - 3 &&
				   memcmp(lw->endpoint, q + 3, n - 3) == 0;
			if (!same) {
				str_set(&lw->endpoint, q + 3, n - 3, LW_STR_MAX);
				lw->identity_given = 0;
			}
			if (!lw->identity_given && lw_endpoint_identity(q + 3, n - 3, &id)) {
				lw_identity(c, f, dir, &id);
				cnt_inc(c->cnt, CNT_DIS_LWM2M_IDENTITIES);
				lw->identity_given = 1;
			}
		} else if (n >= 3 && memcmp(q, "lt=", 3) == 0 && parse_int_text(q + 3, n - 3, &v) &&
			   v >= 0) {
			lw->lifetime = v;
		} else if (n >= 6 && memcmp(q, "lwm2m=", 6) == 0) {
			str_set(&lw->version, q + 6, n - 6, 15);
		} else if (n >= 2 && memcmp(q, "b=", 2) == 0) {
			str_set(&lw->binding, q + 2, n - 2, 15);
		}
	}
	if ((op == LW_REGISTER || op == LW_UPDATE) && m->payload_len &&
	    (m->cf == CF_LINK || m->cf < 0) && !m->b1.has &&
	    !lw_links(lw, m->payload, m->payload_len))
		cnt_inc(c->cnt, CNT_DIS_LWM2M_INVALID);
}

/* A request's LwM2M side.  folded: a later block of a block-wise run. */
static void lw_request(struct dissect_ctx *c, const struct flow *f, struct coap_state *st,
		       int dir, const struct coap_msg *m, struct coap_pending *p, int folded)
{
	struct lw_path path;
	int has_ep;
	enum lw_op op = lw_classify(m, &path, &has_ep);
	if (op == LW_NONE)
		return;
	int numeric = op >= LW_READ;
	if (numeric && st->lw == NULL && !lw_format(m->cf) && !lw_format(m->accept)) {
		/* /3/0/0 alone may be any CoAP resource: the answer decides. */
		if (p) {
			p->lw_op = (uint8_t)op;
			p->path = path;
		}
		return;
	}
	struct lwm2m_state *lw = lw_get(st);
	if (lw == NULL)
		return;
	if (p) {
		p->lw_op = (uint8_t)op;
		p->path = path;
		p->lw_counted = 1;
	}
	if (!folded)
		lw_count_op(c, lw, op, &path);
	int whole = !m->b1.has || (m->b1.num == 0 && !m->b1.m);
	switch (op) {
	case LW_REGISTER:
	case LW_UPDATE:
	case LW_BOOTSTRAP:
		if (!folded)
			lw_register(c, f, lw, dir, m, op);
		break;
	case LW_SEND:
		if (m->cf == CF_SENML_JSON || m->cf == CF_LWM2M_JSON) {
			struct rd r = rd_init(m->payload, m->payload_len);
			if (whole && m->payload_len && !lw_json(lw, &r, ""))
				cnt_inc(c->cnt, CNT_DIS_LWM2M_INVALID);
		}
		break;
	case LW_EXECUTE:
		if (!folded && path.id[0] == 5 && path.id[1] == 0 && path.id[2] == 2)
			lw->update_executed = 1;
		break;
	case LW_WRITE:
	case LW_CREATE: {
		uint32_t sets = lw->pkg_uri_sets;
		/* An empty Package URI cancels an update (TS Core E.6). */
		if (op == LW_WRITE && m->payload_len == 0 && path.n == 3 && path.id[0] == 5 &&
		    path.id[2] == 1)
			lw_value(lw, 5, path.id[1], 1, ENC_TEXT, (const uint8_t *)"", 0);
		lw_payload(c, lw, &path, m->cf, m->payload, m->payload_len, whole);
		if (lw->pkg_uri_sets != sets && lw->package_uri && lw->package_uri[0])
			str_keep(&lw->pkg_uri_written, lw->package_uri);
		else if (lw->pkg_uri_sets != sets && lw->package_uri)
			lw->pkg_uri_cancelled = 1;
		break;
	}
	default:
		break;
	}
}

/* A response's LwM2M side: the registration's location, values read. */
static void lw_response(struct dissect_ctx *c, struct coap_state *st, struct coap_pending *p,
			const struct coap_msg *m, int notification)
{
	if (p->lw_op == LW_NONE)
		return;
	if (!p->lw_counted) {
		if (st->lw == NULL && !lw_format(m->cf))
			return; /* not LwM2M after all */
		if (lw_get(st) == NULL)
			return;
		lw_count_op(c, st->lw, (enum lw_op)p->lw_op, &p->path);
		p->lw_counted = 1;
	}
	struct lwm2m_state *lw = st->lw;
	if (lw == NULL)
		return;
	if (p->lw_op == LW_REGISTER && m->loc_len)
		str_set(&lw->location, m->loc, m->loc_len, COAP_NAME_MAX);
	if ((p->lw_op == LW_READ || p->lw_op == LW_OBSERVE) && (m->code >> 5) == 2 &&
	    m->payload_len) {
		int whole = !m->b2.has || (m->b2.num == 0 && !m->b2.m);
		lw_payload(c, lw, &p->path, m->cf, m->payload, m->payload_len, whole);
		if (p->path.n && lw_sensor_object(p->path.id[0]) &&
		    lw->sensor_how < 1 + notification) {
			lw->sensor_how = (uint8_t)(1 + notification);
			lw->sensor_path = p->path;
		}
	}
}

/* ---------------------------------------------------------------------
 * The dissector.
 * --------------------------------------------------------------------- */

/* A Write of an LwM2M Package resource /5/x/0: the firmware pushed to
 * the device (a transfer even when it fits one message). */
static int coap_is_package_write(const struct coap_msg *m)
{
	return (m->code == M_PUT || m->code == M_POST) && m->nseg == 3 &&
	       span_is(&m->seg[0], "5") && span_is(&m->seg[2], "0") &&
	       all_digits(m->seg[1].p, m->seg[1].n, 1, 5);
}

/* The device's requests of LwM2M's own interfaces (registration,
 * bootstrap, Send): not a plain CoAP upload. */
static int coap_is_lwm2m_interface(const struct coap_msg *m)
{
	return m->nseg >= 1 && (span_is(&m->seg[0], "rd") || span_is(&m->seg[0], "bs") ||
				span_is(&m->seg[0], "dp"));
}

static void coap_request(struct dissect_ctx *c, struct flow *f, struct coap_state *st, int dir,
			 const struct coap_msg *m)
{
	char uri[2 * COAP_URI_MAX + 2];
	memcpy(uri, m->path, m->path_len + 1);
	if (m->query_len) {
		uri[m->path_len] = '?';
		memcpy(uri + m->path_len + 1, m->query, m->query_len + 1);
	}
	uri[COAP_URI_MAX] = '\0'; /* the whole URI is capped too */
	uint64_t hash = fnv1a(uri);

	/* A later block of a run is part of the request that started it. */
	int cont = (m->b1.has && m->b1.num > 0) || (m->b2.has && m->b2.num > 0);
	int folded = cont && st->last[dir].valid && st->last[dir].method == m->code &&
		     st->last[dir].hash == hash;
	int ri = folded ? st->last[dir].req : -1;
	if (!folded) {
		st->requests_total++;
		if (st->reqs == NULL)
			st->reqs = calloc(COAP_REQS_MAX, sizeof(*st->reqs));
		if (st->reqs && st->n_reqs < COAP_REQS_MAX) {
			struct coap_req *q = &st->reqs[st->n_reqs];
			q->uri = str_dupn(uri, strlen(uri), COAP_URI_MAX);
			q->uri_hash = hash;
			q->cf = m->cf;
			q->rcf = -1;
			q->method = m->code;
			q->dir = (uint8_t)dir;
			q->observe = m->has_observe && m->observe <= 1 ? (uint8_t)(1 + m->observe) : 0;
			q->tr[0] = q->tr[1] = -1;
			ri = st->n_reqs++;
		}
		st->last[dir].hash = hash;
		st->last[dir].method = m->code;
		st->last[dir].req = (int8_t)ri;
		st->last[dir].valid = 1;
		if (st->requests_total == 1) {
			st->url_path = str_dupn(m->path, m->path_len, COAP_URI_MAX);
			if (m->query_len)
				st->url_query = str_dupn(m->query, m->query_len, COAP_URI_MAX);
			st->has_url_port = m->has_port;
			st->url_port = m->uri_port;
		}
		if ((m->code == M_GET || m->code == M_FETCH) && m->has_observe && m->observe == 0)
			st->observe++;
	}
	if (m->host.n && st->host == NULL)
		st->host = str_dupn(m->host.p, m->host.n, COAP_NAME_MAX);

	struct coap_pending *p = pending_add(st, dir, m);
	p->uri = str_dupn(uri, strlen(uri), COAP_URI_MAX);
	p->uri_hash = hash;
	p->req = (int8_t)ri;
	p->observing = (m->code == M_GET || m->code == M_FETCH) && m->has_observe &&
		       m->observe == 0;

	if (m->payload_len && (m->b1.has || coap_is_package_write(m))) {
		char host[COAP_NAME_MAX + 1];
		struct tr_info ti = {uri, hash, 1, dir, dir, m->code, m->cf, m->has_size1,
				     m->size1, NULL, m->has_port, m->uri_port, -1};
		struct coap_block whole = {.has = 1, .szx = 6};
		if (m->host.n) {
			memcpy(host, m->host.p, m->host.n);
			host[m->host.n] = '\0';
			ti.host = host;
		} else if (dir == 0) {
			ti.host = st->host;
		}
		if (!m->b1.has)
			ti.opt = 3;
		int t = transfer_block(c, f, st, &ti, m->b1.has ? &m->b1 : &whole, m->payload,
				       m->payload_len);
		if (ri >= 0 && t >= 0 && m->b1.has)
			st->reqs[ri].tr[0] = (int8_t)t;
		p->tr1 = (int8_t)t;
	}
	if (dir == 0 && !folded && m->payload_len && (m->code == M_POST || m->code == M_PUT) &&
	    st->dev_post == NULL && !coap_is_lwm2m_interface(m)) {
		st->dev_post = str_dupn(m->path, m->path_len, COAP_URI_MAX);
		st->dev_post_method = m->code;
	}
	lw_request(c, f, st, dir, m, p, folded);
}

static void coap_response(struct dissect_ctx *c, const struct flow *f, struct coap_state *st,
			  int dir, const struct coap_msg *m)
{
	struct coap_pending *p = pending_match(st, dir, m);
	if (p == NULL)
		return;
	int notification = p->answered && p->observing;
	if (notification)
		st->notifications++;
	if (p->req >= 0 && st->reqs && !notification) {
		struct coap_req *q = &st->reqs[p->req];
		q->rcode = m->code;
		if (m->cf >= 0)
			q->rcf = m->cf;
		if (m->loc_len && q->location == NULL)
			q->location = str_dupn(m->loc, m->loc_len, COAP_NAME_MAX);
	}
	struct tr_info ti = {p->uri ? p->uri : "", p->uri_hash, 2, dir, p->dir, p->method, m->cf,
			     m->has_size2, m->size2, p->dir == 0 ? st->host : NULL, 0, 0,
			     m->code >> 5};
	if (m->b2.has && m->payload_len) {
		int t = transfer_block(c, f, st, &ti, &m->b2, m->payload, m->payload_len);
		if (p->req >= 0 && st->reqs && t >= 0)
			st->reqs[p->req].tr[1] = (int8_t)t;
	} else if (m->payload_len && !notification && p->method == M_GET &&
		   m->code == (2 << 5 | 5) && path_looks_firmware(ti.uri)) {
		/* A small file in one answer. */
		struct coap_block whole = {.has = 1, .szx = 6};
		ti.opt = 3;
		transfer_block(c, f, st, &ti, &whole, m->payload, m->payload_len);
	}
	if (p->tr1 >= 0 && st->out && p->tr1 < st->n_tr)
		st->out[p->tr1].status_ok = (m->code >> 5) == 2;
	p->answered = 1;
	lw_response(c, st, p, m, notification);
	/* An observation stays for its notifications; other requests are done. */
	if (!(p->observing && m->has_observe && (m->code >> 5) == 2))
		pending_drop(p);
}

static void coap_parse(struct dissect_ctx *c, struct flow *f, void *state, int dir,
		       const uint8_t *data, size_t len)
{
	struct coap_state *st = state;
	if (!st->seen) {
		st->seen = 1;
		cnt_inc(c->cnt, CNT_DIS_COAP_FLOWS);
	}
	st->messages++;
	cnt_inc(c->cnt, CNT_DIS_COAP_MESSAGES);

	struct coap_msg msg, *m = &msg;
	struct rd r = rd_init(data, len);
	coap_msg_parse(&r, m);
	if (r.err == RD_ETRUNC && datagram_cut(c, 0)) {
		st->truncated++;
		cnt_inc(c->cnt, CNT_DIS_COAP_TRUNC);
		goto done;
	}
	if (!rd_ok(&r)) {
		st->invalid++;
		cnt_inc(c->cnt, CNT_DIS_COAP_INVALID);
		goto done;
	}
	if (m->uri_cut || m->loc_cut)
		cnt_inc(c->cnt, CNT_DIS_COAP_OVERSIZE);
	if (coap_is_retransmission(st, dir, m)) {
		st->retransmissions++;
		cnt_inc(c->cnt, CNT_DIS_COAP_RETRANS);
		goto done;
	}
	if (m->code == 0)
		goto done; /* Empty: an ACK, a RST or a ping */
	if ((m->code >> 5) == 0)
		coap_request(c, f, st, dir, m);
	else
		coap_response(c, f, st, dir, m);
done:
	return;
}

static void coap_free(void *state)
{
	struct coap_state *st = state;
	for (int i = 0; i < st->n_reqs; i++) {
		free(st->reqs[i].uri);
		free(st->reqs[i].location);
	}
	free(st->reqs);
	for (int i = 0; i < st->n_tr; i++) {
		struct coap_transfer *t = &st->tr[i];
		sha256_free(&t->sha);
		free(t->uri);
		free(t->url);
		free(t->name);
		free(t->package_uri);
		free(t->version);
	}
	free(st->tr);
	free(st->out);
	free(st->dev_post);
	for (int i = 0; i < COAP_PENDING_MAX; i++)
		free(st->pend[i].uri);
	free(st->url_path);
	free(st->url_query);
	free(st->host);
	struct lwm2m_state *lw = st->lw;
	if (lw) {
		char *strs[] = {lw->endpoint, lw->version, lw->binding, lw->location,
				lw->manufacturer, lw->model, lw->serial, lw->fw_version,
				lw->package_uri, lw->pkg_name, lw->pkg_version,
				lw->pkg_uri_written};
		for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
			free(strs[i]);
		for (uint32_t i = 0; i < lw->n_objects; i++)
			free(lw->objects[i]);
		free(lw);
	}
}

/* ---------------------------------------------------------------------
 * Output.
 * --------------------------------------------------------------------- */

static void coap_json_ecs(const void *state, struct jw *w)
{
	const struct coap_state *st = state;
	if (st->url_path == NULL && st->host == NULL)
		return;
	jw_obj_begin(w, "url");
	if (st->url_path)
		jw_str(w, "path", st->url_path);
	if (st->url_query)
		jw_str(w, "query", st->url_query);
	if (st->host)
		jw_str(w, "domain", st->host);
	if (st->has_url_port)
		jw_u64(w, "port", st->url_port);
	jw_end(w);
}

static void json_block(struct jw *w, const char *key, const struct coap_state *st, int t)
{
	if (t < 0 || st->tr == NULL)
		return;
	jw_obj_begin(w, key);
	jw_u64(w, "bytes", st->tr[t].bytes);
	jw_u64(w, "blocks", st->tr[t].blocks);
	jw_bool(w, "complete", st->tr[t].complete);
	jw_end(w);
}

static void json_req(struct jw *w, const struct coap_state *st, const struct coap_req *q)
{
	char code[5];
	jw_obj_begin(w, NULL);
	if (method_name(q->method)) {
		jw_str(w, "method", method_name(q->method));
	} else {
		code_str(q->method, code);
		jw_str(w, "method", code);
	}
	jw_str(w, "uri", q->uri ? q->uri : "");
	if (q->cf >= 0)
		jw_u64(w, "content_format", (uint64_t)q->cf);
	if (q->observe)
		jw_u64(w, "observe", q->observe - 1u);
	if (q->rcode) {
		jw_obj_begin(w, "response");
		code_str(q->rcode, code);
		jw_str(w, "code", code);
		if (q->rcf >= 0)
			jw_u64(w, "content_format", (uint64_t)q->rcf);
		if (q->location)
			jw_str(w, "location", q->location);
		jw_end(w);
	}
	json_block(w, "block1", st, q->tr[0]);
	json_block(w, "block2", st, q->tr[1]);
	jw_end(w);
}

static void json_lwm2m(const struct lwm2m_state *lw, struct jw *w)
{
	jw_obj_begin(w, "lwm2m");
	if (lw->endpoint)
		jw_str(w, "endpoint", lw->endpoint);
	if (lw->lifetime >= 0)
		jw_u64(w, "lifetime", (uint64_t)lw->lifetime);
	if (lw->version)
		jw_str(w, "version", lw->version);
	if (lw->binding)
		jw_str(w, "binding", lw->binding);
	if (lw->location)
		jw_str(w, "location", lw->location);
	if (lw->objects_total) {
		jw_arr_begin(w, "objects");
		for (uint32_t i = 0; i < lw->n_objects; i++)
			if (lw->objects[i])
				jw_str(w, NULL, lw->objects[i]);
		jw_end(w);
		jw_u64(w, "object_count", lw->objects_total);
	}
	jw_u64(w, "operations", lw->operations);
	if (lw->manufacturer || lw->model || lw->fw_version || lw->serial) {
		jw_obj_begin(w, "device");
		if (lw->manufacturer)
			jw_str(w, "manufacturer", lw->manufacturer);
		if (lw->model)
			jw_str(w, "model", lw->model);
		if (lw->fw_version)
			jw_str(w, "firmware_version", lw->fw_version);
		if (lw->serial)
			jw_str(w, "serial", lw->serial);
		jw_end(w);
	}
	if (lw->package_uri || lw->has_package || lw->update_executed || lw->state >= 0 ||
	    lw->update_result >= 0 || lw->pkg_name || lw->pkg_version) {
		jw_obj_begin(w, "firmware");
		if (lw->package_uri)
			jw_str(w, "package_uri", lw->package_uri);
		if (lw->has_package)
			jw_u64(w, "package_bytes", lw->package_bytes);
		jw_bool(w, "update_executed", lw->update_executed);
		if (lw->state >= 0)
			jw_i64(w, "state", lw->state);
		if (lw->update_result >= 0)
			jw_i64(w, "update_result", lw->update_result);
		if (lw->pkg_name)
			jw_str(w, "pkg_name", lw->pkg_name);
		if (lw->pkg_version)
			jw_str(w, "pkg_version", lw->pkg_version);
		jw_end(w);
	}
	jw_end(w);
}

static void coap_json_apnwatch(const void *state, struct jw *w)
{
	const struct coap_state *st = state;
	if (!st->seen)
		return;
	jw_obj_begin(w, "coap");
	jw_u64(w, "messages", st->messages);
	if (st->retransmissions)
		jw_u64(w, "retransmissions", st->retransmissions);
	if (st->truncated)
		jw_u64(w, "truncated", st->truncated);
	if (st->invalid)
		jw_u64(w, "invalid", st->invalid);
	jw_u64(w, "request_count", st->requests_total);
	if (st->n_reqs) {
		jw_arr_begin(w, "requests");
		for (int i = 0; i < st->n_reqs; i++)
			json_req(w, st, &st->reqs[i]);
		jw_end(w);
	}
	jw_u64(w, "observe", st->observe);
	if (st->notifications)
		jw_u64(w, "notifications", st->notifications);
	if (st->transfers_total) {
		jw_obj_begin(w, "blocks");
		jw_u64(w, "count", st->transfers_total);
		jw_arr_begin(w, "transfers");
		for (int i = 0; i < st->n_tr; i++) {
			const struct coap_transfer *t = &st->tr[i];
			if (t->opt == 3)
				continue; /* a single message: not block-wise */
			jw_obj_begin(w, NULL);
			jw_str(w, "uri", t->uri ? t->uri : "");
			jw_str(w, "option", t->opt == 1 ? "block1" : "block2");
			/* Seen from the source, the device side (flow.h). */
			jw_str(w, "direction", t->dir ? "download" : "upload");
			jw_u64(w, "bytes", t->bytes);
			jw_u64(w, "blocks", t->blocks);
			jw_bool(w, "complete", t->complete);
			if (t->has_size)
				jw_u64(w, "size", t->size);
			jw_end(w);
		}
		jw_end(w);
		jw_end(w);
	}
	jw_end(w);
	if (st->lw)
		json_lwm2m(st->lw, w);
}

/* An address literal is not a name (RFC 7252 6.4: Uri-Host may be one). */
static int is_ip_literal(const char *s)
{
	if (*s == '[' || strchr(s, ':'))
		return 1;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || *s == '.'))
			return 0;
	return 1;
}

static const char *coap_server_name(const void *state, enum server_name_source *how)
{
	const struct coap_state *st = state;
	if (st->host == NULL || is_ip_literal(st->host))
		return NULL;
	*how = SNAME_COAP;
	return st->host;
}

static size_t coap_transfers(const void *state, const struct app_transfer **v)
{
	const struct coap_state *st = state;
	*v = st->out;
	return st->out ? st->n_tr : 0;
}

/* ---------------------------------------------------------------------
 * Intent (docs/intent.md): what the LwM2M operations and the CoAP
 * requests prove about the flow's purpose.
 * --------------------------------------------------------------------- */

/* Text for evidence: printable ASCII, runs of 14 or more digits (an IMEI
 * or IMSI) as "<imei>", cut with "..." past COAP_WHY_TEXT. */
static void why_text(const char *s, char *out, size_t cap)
{
	size_t k = 0;
	while (*s && k + 7 < cap) {
		size_t d = strspn(s, "0123456789");
		if (d >= 14) {
			memcpy(out + k, "<imei>", 6);
			k += 6;
			s += d;
			continue;
		}
		if (d == 0)
			d = 1;
		for (size_t i = 0; i < d && k + 1 < cap; i++, s++)
			out[k++] = *s >= 0x20 && *s < 0x7f ? *s : '?';
	}
	out[k] = '\0';
	if (k > COAP_WHY_TEXT || *s) {
		size_t cut = k > COAP_WHY_TEXT ? COAP_WHY_TEXT - 3 : k - (k > 3 ? 3 : k);
		memcpy(out + cut, "...", 4);
	}
}

static void lw_path_str(const struct lw_path *p, char *out, size_t cap)
{
	size_t k = 0;
	out[0] = '\0';
	for (int i = 0; i < p->n && k < cap; i++) {
		int n = snprintf(out + k, cap - k, "/%u", p->id[i]);
		if (n < 0)
			break;
		k += (size_t)n;
	}
}

static const char *lw_op_name(enum lw_op op)
{
	static const char *const names[] = {
		"", "Register", "Update", "De-register", "Bootstrap-Request",
		"Bootstrap-Finish", "Send", "Read", "Observe", "Discover", "Write",
		"Write-Attributes", "Execute", "Create", "Delete"};
	return (unsigned)op < sizeof(names) / sizeof(names[0]) ? names[op] : "";
}

/* OMA LwM2M TS Core E.6, Object 5 resources 3 and 5. */
static const char *lw_state_text(int64_t v)
{
	static const char *const t[] = {"idle", "downloading", "downloaded", "updating"};
	return v >= 0 && v < 4 ? t[v] : "unknown";
}

static const char *lw_result_text(int64_t v)
{
	static const char *const t[] = {
		"initial", "success", "not enough flash", "out of RAM",
		"connection lost during download", "integrity check failure",
		"unsupported package type", "invalid URI", "update failed",
		"unsupported protocol"};
	return v >= 0 && v < 10 ? t[v] : "unknown";
}

/* Firmware update: the server writes the Package URI, pushes the Package,
 * executes Update; the device's State and Update Result are read or
 * notified.  A State 0 (idle) with Update Result 0 (initial) only shows a
 * server that watches the object: device management. */
static void lw_intent_fota(const struct lwm2m_state *lw, struct intent_input *in)
{
	char uri[COAP_WHY_TEXT + 8];
	if (lw->pkg_uri_written) {
		why_text(lw->pkg_uri_written, uri, sizeof(uri));
		intent_vote(in, INTENT_FOTA, CONF_CONFIRMED, "LwM2M Write /5/0/1 Package URI %s",
			    uri);
	}
	if (lw->pkg_uri_cancelled) {
		intent_vote(in, INTENT_DM, CONF_CONFIRMED,
			    "LwM2M Write /5/0/1 Package URI empty (update cancelled)");
	}
	if (lw->has_package)
		intent_vote(in, INTENT_FOTA, CONF_CONFIRMED,
			    "LwM2M Write /5/0/0 Package (%llu bytes pushed)",
			    (unsigned long long)lw->package_bytes);
	if (lw->update_executed)
		intent_vote(in, INTENT_FOTA, CONF_CONFIRMED, "LwM2M Execute /5/0/2 Update");
	if (lw->state > 0)
		intent_vote(in, INTENT_FOTA, CONF_CONFIRMED, "LwM2M /5/0/3 State %lld (%s)",
			    (long long)lw->state, lw_state_text(lw->state));
	if (lw->update_result > 0)
		intent_vote(in, INTENT_FOTA, CONF_CONFIRMED, "LwM2M /5/0/5 Update Result %lld (%s)",
			    (long long)lw->update_result, lw_result_text(lw->update_result));
	if (lw->state == 0 || lw->update_result == 0)
		intent_vote(in, INTENT_DM, CONF_CONFIRMED, "LwM2M /5/0/%s: no update under way",
			    lw->state == 0 ? "3 State 0 (idle)" : "5 Update Result 0 (initial)");
}

/* The registration interface; the endpoint name is shown unless it holds
 * an identity (IMEI, IMSI: any run of 14 digits or more). */
static void lw_intent_registration(const struct lwm2m_state *lw, struct intent_input *in)
{
	static const enum lw_op order[] = {LW_REGISTER, LW_BOOTSTRAP, LW_UPDATE, LW_DEREGISTER,
					   LW_BOOTSTRAP_FINISH};
	enum lw_op op = LW_NONE;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]) && op == LW_NONE; i++)
		if (lw->ops_seen & (1u << order[i]))
			op = order[i];
	if (op == LW_NONE)
		return;
	char ep[COAP_WHY_TEXT + 16], ver[32];
	struct lw_ident id;
	ep[0] = ver[0] = '\0';
	if (lw->endpoint && (op == LW_REGISTER || op == LW_BOOTSTRAP)) {
		const uint8_t *e = (const uint8_t *)lw->endpoint;
		char shown[COAP_WHY_TEXT + 8];
		why_text(lw->endpoint, shown, sizeof(shown));
		if (!lw_endpoint_identity(e, strlen(lw->endpoint), &id) && !strstr(shown, "<imei>"))
			snprintf(ep, sizeof(ep), " ep=%s", shown);
	}
	if (lw->version)
		snprintf(ver, sizeof(ver), " (lwm2m=%.15s)", lw->version);
	intent_vote(in, INTENT_DM, CONF_CONFIRMED, "LwM2M %s%s%s", lw_op_name(op), ep, ver);
}

static void coap_intent(const void *state, struct intent_input *in)
{
	const struct coap_state *st = state;
	const struct lwm2m_state *lw = st->lw;
	char path[64];
	if (lw) {
		lw_intent_fota(lw, in);
		lw_intent_registration(lw, in);
		if (lw->dm_op != LW_NONE) {
			lw_path_str(&lw->dm_path, path, sizeof(path));
			intent_vote(in, INTENT_DM, CONF_CONFIRMED, "LwM2M %s %s",
				    lw_op_name((enum lw_op)lw->dm_op), path);
		}
		if (lw->sensor_how) {
			lw_path_str(&lw->sensor_path, path, sizeof(path));
			intent_vote(in, INTENT_TELEMETRY, CONF_CONFIRMED, "LwM2M %s %s (IPSO sensor)",
				    lw->sensor_how == 2 ? "Notify" : "Read", path);
		}
		if (lw->ops_seen & (1u << LW_SEND))
			intent_vote(in, INTENT_TELEMETRY, CONF_CONFIRMED, "LwM2M Send /dp");
		return;
	}
	if (st->dev_post) {
		char shown[COAP_WHY_TEXT + 8];
		why_text(st->dev_post, shown, sizeof(shown));
		intent_vote(in, INTENT_TELEMETRY, CONF_PROBABLE, "CoAP %s %s from the device",
			    method_name(st->dev_post_method), shown);
	}
}

static const uint16_t coap_ports[] = {5683, 5686, 5584, 0};
static const uint16_t coap_ndpi_ids[] = {NDPI_PROTOCOL_COAP, 0};

const struct dissector dissector_coap = {
	.name = "coap",
	.transport = 17,
	.ports = coap_ports,
	.ndpi_ids = coap_ndpi_ids,
	.probe = coap_probe,
	.state_size = sizeof(struct coap_state),
	.parse = coap_parse,
	.free = coap_free,
	.json_ecs = coap_json_ecs,
	.json_apnwatch = coap_json_apnwatch,
	.server_name = coap_server_name,
	.transfers = coap_transfers,
	.intent = coap_intent,
};
