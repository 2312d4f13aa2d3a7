/*
 * test-dis-coap.c - the CoAP / LwM2M dissector (dissectors/coap.c),
 * called through its descriptor the way the registry calls it, checked
 * through its JSON callbacks and counters.
 *
 * CoAP: options with extended deltas and lengths (nibbles 13 and 14), the
 * reserved nibble 15, every cut length of a message, reserved codes, the
 * probe, request/response pairing (piggybacked, separate, Observe
 * notifications), retransmissions, a Block2 transfer of three blocks, the
 * caps.  LwM2M: register with a link-format payload, update, deregister;
 * TLV values of /3/0 and /5/0 (nested object instance and multiple
 * resource TLVs, 16-bit identifiers and lengths), plain text, SenML JSON
 * and LwM2M JSON; execute; endpoint names that carry identity (good and
 * bad digits) reaching identity_session_start, which this test wraps
 * (-Wl,--wrap=identity_session_start).
 *
 * Firmware evidence (the transfers callback): Block2 and Block1 runs hashed
 * in order (the SHA-256 of the file, hard-coded), blocks sent again,
 * missing, out of order, of the wrong size, a block size lowered mid-way,
 * the byte cap, a run cut short, a single 2.05 answer of a firmware path,
 * an LwM2M package push.  Intent: the votes of every LwM2M case and of a
 * plain CoAP upload.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissector.h"
#include "identity.h"
#include "intent.h"
#include "util-sha256.h"

extern const struct dissector dissector_coap;

/* ---------------------------------------------------------------------
 * identity_session_start, wrapped: remembers the last call.
 * --------------------------------------------------------------------- */

static struct {
	int calls;
	struct subscriber_info si;
	char imei[32], imsi[32], msisdn[32];
} idcall;

void __wrap_identity_session_start(struct identity_table *t, const struct subscriber_info *s,
				   uint64_t now_us);
void __wrap_identity_session_start(struct identity_table *t, const struct subscriber_info *s,
				   uint64_t now_us)
{
	(void)t;
	(void)now_us;
	idcall.calls++;
	idcall.si = *s;
	strcpy(idcall.imei, s->imei ? s->imei : "-");
	strcpy(idcall.imsi, s->imsi ? s->imsi : "-");
	strcpy(idcall.msisdn, s->msisdn ? s->msisdn : "-");
}

/* ---------------------------------------------------------------------
 * Fixture: one UDP flow 10.0.0.2:40000 (device, source) <-> 192.0.2.30:5683.
 * --------------------------------------------------------------------- */

struct fx {
	struct counters cnt;
	struct dissect_ctx c;
	struct flow f;
	struct packet pkt;
	void *st;
	struct jw w;
};

static struct fx *fx_new(void)
{
	struct fx *x = calloc(1, sizeof(*x));
	assert_non_null(x);
	x->c.cnt = &x->cnt;
	x->c.id = (struct identity_table *)&idcall; /* never dereferenced: wrapped */
	x->c.now_us = 1700000000000000ull;
	x->f.key.family = 4;
	x->f.key.proto = 17;
	x->f.key.addr_lo[0] = 10, x->f.key.addr_lo[3] = 2;
	x->f.key.addr_hi[0] = 192, x->f.key.addr_hi[2] = 2, x->f.key.addr_hi[3] = 30;
	x->f.key.port_lo = 40000;
	x->f.key.port_hi = 5683;
	x->f.src_is_lo = 1;
	x->st = calloc(1, dissector_coap.state_size);
	assert_non_null(x->st);
	jw_init(&x->w);
	memset(&idcall, 0, sizeof(idcall));
	return x;
}

static void fx_free(struct fx *x)
{
	dissector_coap.free(x->st);
	free(x->st);
	jw_free(&x->w);
	free(x);
}

/* Hands one datagram to the dissector, as a heap copy so reads past its
 * end would be caught by valgrind / ASan. */
static void feed(struct fx *x, int dir, const uint8_t *p, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);
	assert_non_null(copy);
	memcpy(copy, p, n);
	dissector_coap.parse(&x->c, &x->f, x->st, dir, copy, n);
	free(copy);
}

static const char *out_apnwatch(struct fx *x)
{
	jw_reset(&x->w);
	jw_obj_begin(&x->w, NULL);
	dissector_coap.json_apnwatch(x->st, &x->w);
	jw_end(&x->w);
	return x->w.buf;
}

static const char *out_ecs(struct fx *x)
{
	jw_reset(&x->w);
	jw_obj_begin(&x->w, NULL);
	dissector_coap.json_ecs(x->st, &x->w);
	jw_end(&x->w);
	return x->w.buf;
}

#define assert_has(hay, needle)                                                       \
	do {                                                                          \
		if (strstr((hay), (needle)) == NULL)                                  \
			fail_msg("missing %s\n in %s", (needle), (hay));              \
	} while (0)
#define assert_lacks(hay, needle)                                                     \
	do {                                                                          \
		if (strstr((hay), (needle)) != NULL)                                  \
			fail_msg("unexpected %s\n in %s", (needle), (hay));           \
	} while (0)

/* ---------------------------------------------------------------------
 * A message builder for the LwM2M tests (checked against an annotated
 * array in test_builder_matches_bytes).
 * --------------------------------------------------------------------- */

struct msg {
	uint8_t b[4096];
	size_t n;
	uint32_t last;
};

static void m_begin(struct msg *m, int type, int code, uint16_t mid, const char *token)
{
	size_t tkl = strlen(token);
	m->b[0] = (uint8_t)(0x40 | type << 4 | tkl);
	m->b[1] = (uint8_t)code;
	m->b[2] = (uint8_t)(mid >> 8);
	m->b[3] = (uint8_t)mid;
	memcpy(m->b + 4, token, tkl);
	m->n = 4 + tkl;
	m->last = 0;
}

static size_t nib(uint32_t v, uint8_t *ext, size_t *extn)
{
	if (v < 13)
		return v;
	if (v < 269) {
		ext[(*extn)++] = (uint8_t)(v - 13);
		return 13;
	}
	ext[(*extn)++] = (uint8_t)((v - 269) >> 8);
	ext[(*extn)++] = (uint8_t)(v - 269);
	return 14;
}

static void m_opt(struct msg *m, uint32_t num, const void *v, size_t len)
{
	uint8_t ext[4];
	size_t extn = 0;
	size_t d = nib(num - m->last, ext, &extn);
	size_t l = nib((uint32_t)len, ext, &extn);
	m->b[m->n++] = (uint8_t)(d << 4 | l);
	memcpy(m->b + m->n, ext, extn);
	m->n += extn;
	memcpy(m->b + m->n, v, len);
	m->n += len;
	m->last = num;
}

static void m_str(struct msg *m, uint32_t num, const char *s) { m_opt(m, num, s, strlen(s)); }

static void m_uint(struct msg *m, uint32_t num, uint32_t v)
{
	uint8_t b[4];
	size_t n = 0;
	for (int sh = 24; sh >= 0; sh -= 8)
		if (n || (v >> sh) & 0xff)
			b[n++] = (uint8_t)(v >> sh);
	m_opt(m, num, b, n);
}

static void m_path(struct msg *m, const char *path) /* "3/0/1" */
{
	while (*path) {
		const char *e = strchr(path, '/');
		size_t n = e ? (size_t)(e - path) : strlen(path);
		m_opt(m, 11, path, n);
		path += n + (e ? 1 : 0);
	}
}

static void m_payload(struct msg *m, const void *p, size_t n)
{
	m->b[m->n++] = 0xff;
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void m_feed(struct fx *x, int dir, const struct msg *m) { feed(x, dir, m->b, m->n); }

/* ---------------------------------------------------------------------
 * CoAP framing.
 * --------------------------------------------------------------------- */

/* A CON GET with Uri-Host, a 20-byte Uri-Path (length nibble 13), an
 * elective option 300 reached with delta nibble 14, and a 280-byte
 * Uri-Query (length nibble 14). */
static void test_options_extended(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	uint8_t b[400];
	size_t n = 0;
	const uint8_t hdr[] = {
		0x42, 0x01, 0xbe, 0xef, /* ver 1, CON, TKL 2; GET; MID 0xbeef */
		0xaa, 0xbb,             /* token */
	};
	memcpy(b, hdr, sizeof(hdr));
	n = sizeof(hdr);
	b[n++] = 0x3d;            /* delta 3 (Uri-Host), length 13+ext */
	b[n++] = 17 - 13;         /* length 17 */
	memcpy(b + n, "lwm2m.example.com", 17);
	n += 17;
	b[n++] = 0x8d;            /* delta 8 -> 11 (Uri-Path), length 13+ext */
	b[n++] = 20 - 13;         /* length 20 */
	memcpy(b + n, "aaaaaaaaaaaaaaaaaaaa", 20);
	n += 20;
	b[n++] = 0x4e;            /* delta 4 -> 15 (Uri-Query), length 269+ext16 */
	b[n++] = 0x00, b[n++] = 280 - 269;
	memset(b + n, 'q', 280);
	n += 280;
	b[n++] = 0xe1;            /* delta 269+ext16 -> 300 (unknown, elective), length 1 */
	b[n++] = 0x00, b[n++] = 300 - 15 - 269;
	b[n++] = 0x55;
	feed(x, 0, b, n);
	const char *o = out_apnwatch(x);
	assert_has(o, "\"uri\":\"/aaaaaaaaaaaaaaaaaaaa?qqqqqqqq");
	assert_has(o, "qqqq\"");
	assert_int_equal(x->cnt.v[CNT_DIS_COAP_MESSAGES], 1);
	assert_int_equal(x->cnt.v[CNT_DIS_COAP_INVALID], 0);
	assert_int_equal(x->cnt.v[CNT_DIS_COAP_TRUNC], 0);
	o = out_ecs(x);
	assert_has(o, "\"url\":{\"path\":\"/aaaaaaaaaaaaaaaaaaaa\",\"query\":\"qqq");
	assert_has(o, "\"domain\":\"lwm2m.example.com\"}");
	enum server_name_source how = SNAME_NONE;
	assert_string_equal(dissector_coap.server_name(x->st, &how), "lwm2m.example.com");
	assert_int_equal(how, SNAME_COAP);
	fx_free(x);
}

/* Nibble 15 in delta or length (other than the 0xff marker) is invalid. */
static void test_option_15_invalid(void **state)
{
	(void)state;
	const uint8_t delta15[] = {
		0x40, 0x01, 0x00, 0x01, /* CON GET MID 1, no token */
		0xf1, 0x00,             /* delta 15 (reserved), length 1 */
	};
	const uint8_t len15[] = {
		0x40, 0x01, 0x00, 0x02,
		0xbf, 'x',              /* delta 11, length 15 (reserved) */
	};
	const uint8_t marker_empty[] = {
		0x40, 0x01, 0x00, 0x03,
		0xff,                   /* payload marker with no payload */
	};
	struct fx *x = fx_new();
	feed(x, 0, delta15, sizeof(delta15));
	feed(x, 0, len15, sizeof(len15));
	feed(x, 0, marker_empty, sizeof(marker_empty));
	assert_int_equal(x->cnt.v[CNT_DIS_COAP_INVALID], 3);
	assert_int_equal(x->cnt.v[CNT_DIS_COAP_TRUNC], 0);
	assert_int_equal(x->cnt.v[CNT_DIS_COAP_MESSAGES], 3);
	const char *o = out_apnwatch(x);
	assert_has(o, "\"coap\":{\"messages\":3,\"invalid\":3,\"request_count\":0");
	assert_int_equal(dissector_coap.probe(delta15, sizeof(delta15), 0), 0);
	assert_int_equal(dissector_coap.probe(len15, sizeof(len15), 0), 0);
	assert_int_equal(dissector_coap.probe(marker_empty, sizeof(marker_empty), 0), 0);
	fx_free(x);
}

/* Reserved versions, token lengths, code classes; Empty messages with
 * bytes after the header. */
static void test_header_invalid(void **state)
{
	(void)state;
	const uint8_t bad[][6] = {
		{0x80, 0x01, 0x00, 0x01, 0, 0}, /* version 2 */
		{0x49, 0x01, 0x00, 0x01, 0, 0}, /* TKL 9 */
		{0x40, 0x21, 0x00, 0x01, 0, 0}, /* class 1 (reserved) */
		{0x40, 0xe0, 0x00, 0x01, 0, 0}, /* class 7 (signalling: TCP only) */
		{0x41, 0x00, 0x00, 0x01, 7, 0}, /* Empty with a token */
		{0x60, 0x00, 0x00, 0x01, 0xb1, 'a'}, /* Empty ACK with an option */
	};
	const size_t len[] = {4, 5, 4, 4, 5, 6};
	struct fx *x = fx_new();
	for (size_t i = 0; i < sizeof(len) / sizeof(len[0]); i++) {
		feed(x, 0, bad[i], len[i]);
		assert_int_equal(dissector_coap.probe(bad[i], len[i], 0), 0);
	}
	assert_int_equal(x->cnt.v[CNT_DIS_COAP_INVALID], 6);
	/* An Empty CON (ping) and its RST are fine. */
	const uint8_t ping[] = {0x40, 0x00, 0x12, 0x34}, rst[] = {0x70, 0x00, 0x12, 0x34};
	feed(x, 0, ping, 4);
	feed(x, 1, rst, 4);
	assert_int_equal(dissector_coap.probe(ping, 4, 0), 1);
	assert_int_equal(x->cnt.v[CNT_DIS_COAP_INVALID], 6);
	assert_int_equal(x->cnt.v[CNT_DIS_COAP_MESSAGES], 8);
	fx_free(x);
}

static const uint8_t reg_bytes[] = {
	0x44, 0x02, 0x12, 0x34, /* ver 1, CON, TKL 4; POST (0.02); MID 0x1234 */
	0x01, 0x02, 0x03, 0x04, /* token */
	0xb2, 'r', 'd',         /* delta 11: Uri-Path "rd" */
	0x11, 40,               /* delta 1: Content-Format 40 (link-format) */
	0x3d, 27 - 13,          /* delta 3: Uri-Query, length 13+14 = 27 */
	'e', 'p', '=', 'u', 'r', 'n', ':', 'i', 'm', 'e', 'i', ':',
	'8', '6', '6', '8', '3', '4', '0', '4', '0', '0', '0', '0', '0', '0', '1',
	0x08, 'l', 't', '=', '8', '6', '4', '0', '0',      /* Uri-Query "lt=86400" */
	0x09, 'l', 'w', 'm', '2', 'm', '=', '1', '.', '1', /* Uri-Query "lwm2m=1.1" */
	0x03, 'b', '=', 'U',                               /* Uri-Query "b=U" */
	0xff,                                              /* payload marker */
	'<', '/', '3', '/', '0', '>', ',', '<', '/', '5', '/', '0', '>',
};

static void build_register(struct msg *m)
{
	m_begin(m, 0, 2, 0x1234, "\x01\x02\x03\x04");
	m_str(m, 11, "rd");
	m_uint(m, 12, 40);
	m_str(m, 15, "ep=urn:imei:866834040000001");
	m_str(m, 15, "lt=86400");
	m_str(m, 15, "lwm2m=1.1");
	m_str(m, 15, "b=U");
	m_payload(m, "</3/0>,</5/0>", 13);
}

static void test_builder_matches_bytes(void **state)
{
	(void)state;
	struct msg m;
	build_register(&m);
	assert_int_equal(m.n, sizeof(reg_bytes));
	assert_memory_equal(m.b, reg_bytes, sizeof(reg_bytes));
	assert_int_equal(dissector_coap.probe(reg_bytes, sizeof(reg_bytes), 0), 1);
}

/* Every prefix of the register message: nothing crashes; cuts inside the
 * header, token or an option count as truncated when the capture may have
 * cut the datagram, as invalid when the datagram was whole. */
static void test_every_cut_length(void **state)
{
	(void)state;
	size_t trunc = 0, inval = 0, ok = 0;
	for (size_t n = 0; n < sizeof(reg_bytes); n++) {
		struct fx *x = fx_new();
		feed(x, 0, reg_bytes, n);
		trunc += x->cnt.v[CNT_DIS_COAP_TRUNC];
		inval += x->cnt.v[CNT_DIS_COAP_INVALID];
		ok += !x->cnt.v[CNT_DIS_COAP_TRUNC] && !x->cnt.v[CNT_DIS_COAP_INVALID];
		assert_int_equal(x->cnt.v[CNT_DIS_COAP_MESSAGES], 1);
		out_apnwatch(x);
		out_ecs(x);
		fx_free(x);
	}
	/* Valid prefixes: cuts at option boundaries and inside the payload. */
	/* After the token, "rd", Content-Format and each query: 7; 12 payloads. */
	assert_int_equal(ok, 7 + 12);
	assert_int_equal(inval, 1); /* the marker with nothing after it */
	assert_int_equal(trunc, sizeof(reg_bytes) - 7 - 12 - 1);

	/* The same cut of a datagram the capture kept whole is invalid. */
	struct fx *x = fx_new();
	x->pkt.caplen = x->pkt.wirelen = 100;
	x->pkt.l3_len = x->pkt.l3_wirelen = 86;
	x->c.pkt = &x->pkt;
	feed(x, 0, reg_bytes, 20);
	assert_int_equal(x->cnt.v[CNT_DIS_COAP_INVALID], 1);
	assert_int_equal(x->cnt.v[CNT_DIS_COAP_TRUNC], 0);
	x->pkt.caplen = 60; /* snap length cut it */
	feed(x, 0, reg_bytes, 20);
	assert_int_equal(x->cnt.v[CNT_DIS_COAP_TRUNC], 1);
	fx_free(x);
}

/* A GET answered in three Block2 blocks (SZX 6: 1024 bytes), Size2 in the
 * first answer, the second answer retransmitted. */
static void test_block2_three_blocks(void **state)
{
	(void)state;
	static uint8_t data[1024];
	memset(data, 0x5a, sizeof(data));
	struct fx *x = fx_new();
	struct msg m;
	for (uint32_t num = 0; num < 3; num++) {
		m_begin(&m, 0, 1, (uint16_t)(100 + num), "\x42");
		m_str(&m, 11, "fw");
		m_str(&m, 11, "EC25.bin");
		m_uint(&m, 23, num << 4 | 6); /* Block2 NUM, M=0, SZX 6 */
		m_feed(x, 0, &m);
		m_begin(&m, 2, 69, (uint16_t)(100 + num), "\x42"); /* ACK 2.05 */
		m_uint(&m, 12, 42);
		m_uint(&m, 23, num << 4 | (num < 2 ? 8 : 0) | 6); /* M=1 but the last */
		if (num == 0)
			m_uint(&m, 28, 2548); /* Size2 */
		m_payload(&m, data, num < 2 ? 1024 : 500);
		m_feed(x, 1, &m);
		if (num == 1)
			m_feed(x, 1, &m); /* retransmitted: not counted twice */
	}
	const char *o = out_apnwatch(x);
	assert_has(o, "\"messages\":7,\"retransmissions\":1,\"request_count\":1,");
	assert_has(o, "{\"method\":\"GET\",\"uri\":\"/fw/EC25.bin\",\"response\":{\"code\":\"2.05\","
		      "\"content_format\":42},\"block2\":{\"bytes\":2548,\"blocks\":3,"
		      "\"complete\":true}}");
	assert_has(o, "\"blocks\":{\"count\":1,\"transfers\":[{\"uri\":\"/fw/EC25.bin\","
		      "\"option\":\"block2\",\"direction\":\"download\",\"bytes\":2548,"
		      "\"blocks\":3,\"complete\":true,\"size\":2548}]}");
	assert_lacks(o, "lwm2m");
	fx_free(x);
}

/* An Observe registration answered by an empty ACK and a separate CON
 * response, then notifications (matched by token only). */
static void test_observe_separate(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	struct msg m;
	m_begin(&m, 0, 1, 7, "\xe3\xd5");
	m_uint(&m, 6, 0); /* Observe: register */
	m_str(&m, 11, "obs");
	m_feed(x, 0, &m);
	const uint8_t empty_ack[] = {0x60, 0x00, 0x00, 0x07}; /* ACK, Empty, MID 7 */
	feed(x, 1, empty_ack, sizeof(empty_ack));
	for (int i = 0; i < 3; i++) {
		m_begin(&m, 0, 69, (uint16_t)(900 + i), "\xe3\xd5"); /* CON 2.05 */
		m_uint(&m, 6, (uint32_t)(5 + i));
		m_uint(&m, 12, 0);
		m_payload(&m, "22C", 3);
		m_feed(x, 1, &m);
		const uint8_t ack[] = {0x60, 0x00, 0x03, (uint8_t)(0x84 + i)};
		feed(x, 0, ack, sizeof(ack));
	}
	/* An answer with an unknown token pairs with nothing. */
	m_begin(&m, 1, 69, 999, "\x01");
	m_feed(x, 1, &m);
	const char *o = out_apnwatch(x);
	assert_has(o, "{\"method\":\"GET\",\"uri\":\"/obs\",\"observe\":0,\"response\":{\"code\":"
		      "\"2.05\",\"content_format\":0}}");
	assert_has(o, "\"observe\":1,\"notifications\":2");
	fx_free(x);
}

/* Only 16 requests are listed; all are counted. */
static void test_request_cap(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	struct msg m;
	for (int i = 0; i < 20; i++) {
		char seg[8];
		seg[0] = (char)('a' + i);
		seg[1] = '\0';
		m_begin(&m, 1, 1, (uint16_t)i, "");
		m_str(&m, 11, seg);
		m_feed(x, 0, &m);
	}
	const char *o = out_apnwatch(x);
	assert_has(o, "\"request_count\":20");
	assert_has(o, "\"uri\":\"/p\"}]");
	assert_lacks(o, "\"/q\"");
	assert_has(out_ecs(x), "{\"url\":{\"path\":\"/a\"}}");
	fx_free(x);
}

/* Path segments and query items with characters outside RFC 3986 pchar
 * are percent-encoded; '&' inside a query item too. */
static void test_uri_encoding(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	struct msg m;
	m_begin(&m, 0, 1, 1, "");
	m_str(&m, 3, "192.0.2.30");
	m_str(&m, 11, "a b/c");
	m_str(&m, 15, "k=v&w");
	m_str(&m, 15, "x=/?");
	m_feed(x, 0, &m);
	assert_has(out_apnwatch(x), "\"uri\":\"/a%20b%2Fc?k=v%26w&x=/?\"");
	enum server_name_source how = SNAME_NONE;
	assert_null(dissector_coap.server_name(x->st, &how)); /* an address is no name */
	assert_has(out_ecs(x), "\"domain\":\"192.0.2.30\"");
	fx_free(x);
}

/* A URI over 1024 bytes is cut at a whole segment and counted; a later
 * short segment does not slip in after the cut. */
static void test_uri_cap(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	struct msg m;
	char seg[251];
	memset(seg, 's', 250);
	seg[250] = '\0';
	m_begin(&m, 0, 1, 1, "");
	for (int i = 0; i < 5; i++)
		m_str(&m, 11, seg); /* 4 x 251 = 1004 bytes fit, the fifth not */
	m_str(&m, 11, "x");
	m_feed(x, 0, &m);
	assert_int_equal(x->cnt.v[CNT_DIS_COAP_OVERSIZE], 1);
	const char *o = out_ecs(x);
	const char *path = strstr(o, "\"path\":\"");
	assert_non_null(path);
	path += 8;
	assert_int_equal(strchr(path, '"') - path, 4 * 251);
	assert_lacks(o, "/x");
	fx_free(x);
}

static void test_probe(void **state)
{
	(void)state;
	const uint8_t get[] = {0x40, 0x01, 0x00, 0x01, 0xb3, 'f', 'o', 'o'};
	const uint8_t resp[] = {0x60, 0x45, 0x00, 0x01, 0xff, 'x'};
	const uint8_t cont[] = {0x60, 0x5f, 0x00, 0x01};       /* 2.31 Continue */
	const uint8_t badcode[] = {0x40, 0x08, 0x00, 0x01};    /* 0.08 */
	const uint8_t badresp[] = {0x60, 0x46, 0x00, 0x01};    /* 2.06 */
	const uint8_t dtls[] = {0x16, 0xfe, 0xfd, 0x00, 0x00}; /* DTLS record */
	const uint8_t cut[] = {0x40, 0x01, 0x00, 0x01, 0xb3, 'f'};
	assert_int_equal(dissector_coap.probe(get, sizeof(get), 0), 1);
	assert_int_equal(dissector_coap.probe(resp, sizeof(resp), 1), 1);
	assert_int_equal(dissector_coap.probe(cont, sizeof(cont), 1), 1);
	assert_int_equal(dissector_coap.probe(badcode, sizeof(badcode), 0), 0);
	assert_int_equal(dissector_coap.probe(badresp, sizeof(badresp), 0), 0);
	assert_int_equal(dissector_coap.probe(dtls, sizeof(dtls), 0), 0);
	assert_int_equal(dissector_coap.probe(cut, sizeof(cut), 0), 0);
	assert_int_equal(dissector_coap.probe(get, 3, 0), 0);
	assert_int_equal(dissector_coap.transport, 17);
}

/* ---------------------------------------------------------------------
 * LwM2M.
 * --------------------------------------------------------------------- */

/* Register (with "</>" and attributes in the link list), its 2.01 with a
 * Location-Path, an update with a new lifetime, a deregister. */
static void test_register_update_deregister(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	struct msg m;
	const char *links = "</>;rt=\"oma.lwm2m\";ct=\"11543,110\",</1/0>;ver=1.1,</3/0>,"
			    "</5/0>";
	m_begin(&m, 0, 2, 1, "\x11\x22");
	m_str(&m, 11, "rd");
	m_uint(&m, 12, 40);
	m_str(&m, 15, "ep=urn:imei:866834040000001");
	m_str(&m, 15, "lt=86400");
	m_str(&m, 15, "lwm2m=1.0");
	m_str(&m, 15, "b=UQ");
	m_payload(&m, links, strlen(links));
	m_feed(x, 0, &m);
	m_begin(&m, 2, 65, 1, "\x11\x22"); /* ACK 2.01 Created */
	m_str(&m, 8, "rd");
	m_str(&m, 8, "5a3f");
	m_feed(x, 1, &m);
	m_begin(&m, 0, 2, 2, "\x11\x23"); /* update */
	m_str(&m, 11, "rd");
	m_str(&m, 11, "5a3f");
	m_str(&m, 15, "lt=600");
	m_feed(x, 0, &m);
	m_begin(&m, 0, 4, 3, "\x11\x24"); /* deregister */
	m_str(&m, 11, "rd");
	m_str(&m, 11, "5a3f");
	m_feed(x, 0, &m);
	const char *o = out_apnwatch(x);
	assert_has(o, "\"response\":{\"code\":\"2.01\",\"location\":\"/rd/5a3f\"}");
	assert_has(o, "\"lwm2m\":{\"endpoint\":\"urn:imei:866834040000001\",\"lifetime\":600,"
		      "\"version\":\"1.0\",\"binding\":\"UQ\",\"location\":\"/rd/5a3f\","
		      "\"objects\":[\"</1/0>\",\"</3/0>\",\"</5/0>\"],\"object_count\":3,"
		      "\"operations\":3}");
	assert_has(o, "{\"method\":\"DELETE\",\"uri\":\"/rd/5a3f\"}");
	assert_int_equal(x->cnt.v[CNT_DIS_LWM2M_OPERATIONS], 3);
	assert_int_equal(idcall.calls, 1);
	assert_string_equal(idcall.imei, "866834040000001");
	assert_string_equal(idcall.imsi, "-");
	assert_int_equal(idcall.si.source, ID_SRC_LWM2M);
	assert_int_equal(idcall.si.addr.family, 4);
	assert_int_equal(idcall.si.addr.a[0], 10);
	assert_int_equal(idcall.si.addr.a[3], 2);
	assert_int_equal(idcall.si.prefix_len, 32);
	fx_free(x);
}

/* A link list that is not "<...>" is invalid (counted); the CoAP message
 * itself is fine. */
static void test_register_bad_links(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	struct msg m;
	m_begin(&m, 0, 2, 1, "");
	m_str(&m, 11, "rd");
	m_str(&m, 15, "ep=node-1");
	m_payload(&m, "</3/0>,/5/0", 11);
	m_feed(x, 0, &m);
	assert_int_equal(x->cnt.v[CNT_DIS_LWM2M_INVALID], 1);
	assert_int_equal(x->cnt.v[CNT_DIS_COAP_INVALID], 0);
	assert_int_equal(idcall.calls, 0); /* "node-1" says nothing about the device */
	assert_has(out_apnwatch(x), "\"endpoint\":\"node-1\"");
	fx_free(x);
}

/* Endpoint names: which carry identity, which do not. */
static void test_endpoint_identity(void **state)
{
	(void)state;
	static const struct {
		const char *ep, *imei, *imsi, *msisdn;
	} cases[] = {
		{"urn:imei:866834040000001", "866834040000001", "-", "-"},
		{"URN:IMEI:866834040000001", "866834040000001", "-", "-"},
		{"urn:imei-imsi:866834040000001-001010123456789", "866834040000001",
		 "001010123456789", "-"},
		{"urn:imei-msisdn:866834040000001-4915112345678", "866834040000001", "-",
		 "4915112345678"},
		{"866834040000001;460041234567890", "866834040000001", "460041234567890", "-"},
		{"urn:imei:86683404000000", NULL, NULL, NULL},    /* 14 digits */
		{"urn:imei:8668340400000012", NULL, NULL, NULL},  /* 16 digits */
		{"urn:imei:86683404000000X", NULL, NULL, NULL},   /* not a digit */
		{"urn:imei-imsi:866834040000001-0010101234a", NULL, NULL, NULL},
		{"urn:imei-imsi:866834040000001-00101", NULL, NULL, NULL}, /* IMSI too short */
		{"urn:imei-imsi:866834040000001", NULL, NULL, NULL},
		{"urn:imei-msisdn:866834040000001-", NULL, NULL, NULL},
		{"866834040000001;", NULL, NULL, NULL},
		{"86683404000000;460041234567890", NULL, NULL, NULL},
		{"urn:uuid:5f0b1c1e-0000-4000-8000-000000000001", NULL, NULL, NULL},
		{"", NULL, NULL, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *x = fx_new();
		struct msg m;
		char q[128] = "ep=";
		strcat(q, cases[i].ep);
		m_begin(&m, 0, 2, 1, "");
		m_str(&m, 11, i % 2 ? "bs" : "rd"); /* bootstrap requests too */
		m_str(&m, 15, q);
		m_feed(x, 0, &m);
		if (cases[i].imei == NULL) {
			if (idcall.calls != 0)
				fail_msg("%s gave identity", cases[i].ep);
		} else {
			assert_int_equal(idcall.calls, 1);
			assert_string_equal(idcall.imei, cases[i].imei);
			assert_string_equal(idcall.imsi, cases[i].imsi);
			assert_string_equal(idcall.msisdn, cases[i].msisdn);
			assert_int_equal(x->cnt.v[CNT_DIS_LWM2M_IDENTITIES], 1);
		}
		fx_free(x);
	}
}

/* The sender of the register is the device, also when it is the flow's
 * destination; IPv6 gives a /128. */
static void test_identity_address(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	x->f.key.family = 6;
	memset(x->f.key.addr_lo, 0, 16);
	memset(x->f.key.addr_hi, 0, 16);
	x->f.key.addr_lo[0] = 0x20, x->f.key.addr_lo[1] = 0x01, x->f.key.addr_lo[15] = 1;
	x->f.key.addr_hi[0] = 0xfd, x->f.key.addr_hi[15] = 9;
	struct msg m;
	build_register(&m);
	m_feed(x, 1, &m);
	assert_int_equal(idcall.calls, 1);
	assert_int_equal(idcall.si.addr.family, 6);
	assert_int_equal(idcall.si.addr.a[0], 0xfd);
	assert_int_equal(idcall.si.addr.a[15], 9);
	assert_int_equal(idcall.si.prefix_len, 128);
	/* The same endpoint again does not start the session again. */
	m.b[3] ^= 1; /* another message id */
	m_feed(x, 1, &m);
	assert_int_equal(idcall.calls, 1);
	assert_int_equal(x->cnt.v[CNT_DIS_LWM2M_OPERATIONS], 2);
	fx_free(x);
}

/* The server reads /3/0: resources with 8-bit ids and lengths, one with
 * a 16-bit length. */
static void test_tlv_device(void **state)
{
	(void)state;
	const uint8_t tlv[] = {
		0xc8, 0x00, 0x07, 'Q', 'u', 'e', 'c', 't', 'e', 'l', /* res 0, len 7 */
		0xc7, 0x01, 'E', 'C', '2', '5', '-', 'A', 'F',      /* res 1, len 7 in type */
		0xd0, 0x03, 0x00, 0x06, 'R', '0', '7', 'A', '0', '9', /* res 3, 16-bit len 6 */
		0xc8, 0x02, 0x03, 'S', 'N', '1',                    /* res 2, len 3 */
		0xc1, 0x09, 0x64,                                   /* res 9 (battery) 100 */
	};
	struct fx *x = fx_new();
	struct msg m;
	m_begin(&m, 0, 1, 50, "\x0a\x0b");
	m_path(&m, "3/0");
	m_uint(&m, 17, 11542); /* Accept: TLV */
	m_feed(x, 1, &m);      /* the server reads the device */
	m_begin(&m, 2, 69, 50, "\x0a\x0b");
	m_uint(&m, 12, 11542);
	m_payload(&m, tlv, sizeof(tlv));
	m_feed(x, 0, &m);
	const char *o = out_apnwatch(x);
	assert_has(o, "\"operations\":1,\"device\":{\"manufacturer\":\"Quectel\",\"model\":"
		      "\"EC25-AF\",\"firmware_version\":\"R07A09\",\"serial\":\"SN1\"}");
	assert_int_equal(x->cnt.v[CNT_DIS_LWM2M_INVALID], 0);
	fx_free(x);
}

/* /5 read as an object: an object instance TLV holding resources, a
 * multiple resource (8, protocol support) with resource instances, a
 * 16-bit identifier, integers of 1, 2 and 8 bytes. */
static void test_tlv_firmware_nested(void **state)
{
	(void)state;
	const uint8_t tlv[] = {
		0x08, 0x00, 54,                          /* object instance 0, len 54 */
		  0xc8, 0x01, 0x0f,                      /* res 1 Package URI, len 15 */
		    'c', 'o', 'a', 'p', ':', '/', '/', 'f', 'w', '/', 'a', '.', 'b', 'i', 'n',
		  0xc1, 0x03, 0x01,                      /* res 3 State: 1 (downloading) */
		  0xc2, 0x05, 0x00, 0x08,                /* res 5 Update Result: 8 (2 bytes) */
		  0x88, 0x08, 0x06,                      /* res 8 multiple, len 6 */
		    0x41, 0x00, 0x00,                    /* instance 0: 0 (CoAP) */
		    0x41, 0x01, 0x03,                    /* instance 1: 3 (HTTPS) */
		  0xe4, 0x00, 0x06, 'E', 'C', '2', '5',  /* res 6 (16-bit id) PkgName */
		  0xc8, 0x07, 0x03, '1', '.', '2',       /* res 7 PkgVersion */
		  0xc8, 0x09, 0x01, 0x00,                /* res 9 delivery method */
		  0xc8, 0x0a, 0x00,                      /* res 10, empty */
	};
	struct fx *x = fx_new();
	struct msg m;
	m_begin(&m, 0, 1, 60, "\x0c");
	m_path(&m, "5");
	m_uint(&m, 17, 11542);
	m_feed(x, 1, &m);
	m_begin(&m, 2, 69, 60, "\x0c");
	m_uint(&m, 12, 11542);
	m_payload(&m, tlv, sizeof(tlv));
	m_feed(x, 0, &m);
	const char *o = out_apnwatch(x);
	assert_has(o, "\"firmware\":{\"package_uri\":\"coap://fw/a.bin\",\"update_executed\":"
		      "false,\"state\":1,\"update_result\":8,\"pkg_name\":\"EC25\","
		      "\"pkg_version\":\"1.2\"}");
	assert_int_equal(x->cnt.v[CNT_DIS_LWM2M_INVALID], 0);

	/* An 8-byte integer; then a TLV whose length runs past its container. */
	const uint8_t st8[] = {0xc8, 0x03, 0x08, 0, 0, 0, 0, 0, 0, 0, 3}; /* res 3, len 8 */
	m_begin(&m, 0, 1, 61, "\x0d");
	m_path(&m, "5/0/3");
	m_uint(&m, 17, 11542);
	m_feed(x, 1, &m);
	m_begin(&m, 2, 69, 61, "\x0d");
	m_uint(&m, 12, 11542);
	m_payload(&m, st8, sizeof(st8));
	m_feed(x, 0, &m);
	assert_has(out_apnwatch(x), "\"state\":3,");
	const uint8_t bad[] = {0x08, 0x00, 0x09, 0xc8, 0x06, 0x0a, 'x'};
	m_begin(&m, 0, 1, 62, "\x0e");
	m_path(&m, "5/0");
	m_feed(x, 1, &m);
	m_begin(&m, 2, 69, 62, "\x0e");
	m_uint(&m, 12, 11542);
	m_payload(&m, bad, sizeof(bad));
	m_feed(x, 0, &m);
	assert_int_equal(x->cnt.v[CNT_DIS_LWM2M_INVALID], 1);
	fx_free(x);
}

/* The firmware update the server drives: write the package URI (text),
 * push the package with Block1 (counted in bytes), execute Update, read the
 * State as text and the rest as SenML JSON. */
static void test_firmware_update_flow(void **state)
{
	(void)state;
	static uint8_t pkg[512];
	struct fx *x = fx_new();
	struct msg m;
	build_register(&m);
	m_feed(x, 0, &m);
	m_begin(&m, 0, 3, 70, "\x01");
	m_path(&m, "5/0/1");
	m_uint(&m, 12, 0);
	m_payload(&m, "http://192.0.2.10/fw.bin", 24);
	m_feed(x, 1, &m);
	for (uint32_t num = 0; num < 3; num++) { /* 2 x 512 + 100 bytes */
		m_begin(&m, 0, 3, (uint16_t)(71 + num), "\x02");
		m_path(&m, "5/0/0");
		m_uint(&m, 12, 42);
		m_uint(&m, 27, num << 4 | (num < 2 ? 8 : 0) | 5);
		m_payload(&m, pkg, num < 2 ? 512 : 100);
		m_feed(x, 1, &m);
		m_begin(&m, 2, num < 2 ? 95 : 68, (uint16_t)(71 + num), "\x02");
		m_uint(&m, 27, num << 4 | (num < 2 ? 8 : 0) | 5);
		m_feed(x, 0, &m);
	}
	m_begin(&m, 0, 2, 80, "\x03"); /* Execute /5/0/2 */
	m_path(&m, "5/0/2");
	m_feed(x, 1, &m);
	m_begin(&m, 0, 1, 81, "\x04"); /* Read /5/0/3, answered in text */
	m_path(&m, "5/0/3");
	m_feed(x, 1, &m);
	m_begin(&m, 2, 69, 81, "\x04");
	m_uint(&m, 12, 0);
	m_payload(&m, "3", 1);
	m_feed(x, 0, &m);
	const char *senml = "[{\"bn\":\"/5/0/\",\"n\":\"5\",\"v\":1},{\"n\":\"6\",\"vs\":\"EC25\\u00e9\"},"
			    "{\"n\":\"7\",\"vs\":\"R07\",\"t\":0},{\"n\":\"8\",\"vb\":true}]";
	m_begin(&m, 0, 1, 82, "\x05"); /* Read /5/0 in SenML JSON */
	m_path(&m, "5/0");
	m_uint(&m, 17, 110);
	m_feed(x, 1, &m);
	m_begin(&m, 2, 69, 82, "\x05");
	m_uint(&m, 12, 110);
	m_payload(&m, senml, strlen(senml));
	m_feed(x, 0, &m);
	const char *o = out_apnwatch(x);
	assert_has(o, "\"firmware\":{\"package_uri\":\"http://192.0.2.10/fw.bin\","
		      "\"package_bytes\":1124,\"update_executed\":true,\"state\":3,"
		      "\"update_result\":1,\"pkg_name\":\"EC25\xc3\xa9\",\"pkg_version\":\"R07\"}");
	assert_has(o, "\"operations\":6,");
	assert_has(o, "{\"method\":\"PUT\",\"uri\":\"/5/0/0\",\"content_format\":42,\"response\":"
		      "{\"code\":\"2.04\"},\"block1\":{\"bytes\":1124,\"blocks\":3,"
		      "\"complete\":true}}");
	assert_has(o, "\"direction\":\"download\"");
	assert_int_equal(x->cnt.v[CNT_DIS_LWM2M_INVALID], 0);
	fx_free(x);
}

/* LwM2M JSON (11543) as Leshan wrote it: "bn":"/3/0" without the slash. */
static void test_lwm2m_json(void **state)
{
	(void)state;
	const char *js = "{\"bn\":\"/3/0\",\"e\":[{\"n\":\"0\",\"sv\":\"Leshan Demo Device\"},"
			 "{\"n\":\"1\",\"sv\":\"Model 500\"},{\"n\":\"9\",\"v\":80},"
			 "{\"n\":\"11/0\",\"v\":0},{\"n\":\"13\",\"v\":1.527093283E9},"
			 "{\"n\":\"3\",\"sv\":\"1.0.0\"}, {\"n\" : \"2\" , \"sv\" : \"LT-1\"}]}";
	struct fx *x = fx_new();
	struct msg m;
	m_begin(&m, 0, 1, 5, "\x09");
	m_path(&m, "3/0");
	m_feed(x, 1, &m);
	m_begin(&m, 2, 69, 5, "\x09");
	m_uint(&m, 12, 11543);
	m_payload(&m, js, strlen(js));
	m_feed(x, 0, &m);
	const char *o = out_apnwatch(x);
	assert_has(o, "\"device\":{\"manufacturer\":\"Leshan Demo Device\",\"model\":\"Model 500\","
		      "\"firmware_version\":\"1.0.0\",\"serial\":\"LT-1\"}");
	/* Broken JSON is counted, and keeps what came before the break. */
	m_begin(&m, 0, 1, 6, "\x0a");
	m_path(&m, "3/0");
	m_feed(x, 1, &m);
	m_begin(&m, 2, 69, 6, "\x0a");
	m_uint(&m, 12, 11543);
	const char *broken = "{\"e\":[{\"n\":\"0\",\"sv\":\"X\"},{\"n\":";
	m_payload(&m, broken, strlen(broken));
	m_feed(x, 0, &m);
	assert_int_equal(x->cnt.v[CNT_DIS_LWM2M_INVALID], 1);
	assert_has(out_apnwatch(x), "\"manufacturer\":\"X\"");
	fx_free(x);
}

/* LwM2M 1.1 Send: the device POSTs /dp with SenML JSON whose names are
 * whole paths (no bn). */
static void test_send_senml(void **state)
{
	(void)state;
	const char *js = "[{\"n\":\"/3/0/0\",\"vs\":\"Nordic\"},{\"n\":\"/3/0/3\",\"vs\":"
			 "\"2.0.1\"},{\"n\":\"/5/0/3\",\"v\":2.0}]";
	struct fx *x = fx_new();
	struct msg m;
	m_begin(&m, 0, 2, 9, "\x01");
	m_str(&m, 11, "dp");
	m_uint(&m, 12, 110);
	m_payload(&m, js, strlen(js));
	m_feed(x, 0, &m);
	const char *o = out_apnwatch(x);
	assert_has(o, "\"lwm2m\":{\"operations\":1,\"device\":{\"manufacturer\":\"Nordic\","
		      "\"firmware_version\":\"2.0.1\"},\"firmware\":{\"update_executed\":false,"
		      "\"state\":2}}");
	fx_free(x);
}

/* GET /3/0/0 in text on a plain CoAP flow is not LwM2M; with a TLV answer
 * it is. */
static void test_lwm2m_needs_evidence(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	struct msg m;
	m_begin(&m, 0, 1, 5, "\x09");
	m_path(&m, "3/0/0");
	m_feed(x, 0, &m);
	m_begin(&m, 2, 69, 5, "\x09");
	m_uint(&m, 12, 0);
	m_payload(&m, "Acme", 4);
	m_feed(x, 1, &m);
	assert_lacks(out_apnwatch(x), "lwm2m");
	const uint8_t tlv[] = {0xc8, 0x00, 0x04, 'A', 'c', 'm', 'e'};
	m_begin(&m, 0, 1, 6, "\x0a");
	m_path(&m, "3/0/0");
	m_feed(x, 0, &m);
	m_begin(&m, 2, 69, 6, "\x0a");
	m_uint(&m, 12, 11542);
	m_payload(&m, tlv, sizeof(tlv));
	m_feed(x, 1, &m);
	assert_has(out_apnwatch(x), "\"lwm2m\":{\"operations\":1,\"device\":{\"manufacturer\":"
				    "\"Acme\"}}");
	fx_free(x);
}

/* Fuzz-found shapes stay here: deep JSON, a huge TLV nesting. */
static void test_lwm2m_hostile(void **state)
{
	(void)state;
	char js[200];
	memset(js, '[', sizeof(js));
	const uint8_t tlv[] = {0x08, 0x00, 0x0c, 0x08, 0x00, 0x09, 0x08, 0x00, 0x06,
			       0x08, 0x00, 0x03, 0xc1, 0x00, 0x41};
	struct fx *x = fx_new();
	struct msg m;
	build_register(&m);
	m_feed(x, 0, &m);
	m_begin(&m, 0, 1, 5, "\x09");
	m_path(&m, "3");
	m_feed(x, 1, &m);
	m_begin(&m, 2, 69, 5, "\x09");
	m_uint(&m, 12, 110);
	m_payload(&m, js, sizeof(js));
	m_feed(x, 0, &m);
	m_begin(&m, 0, 1, 6, "\x0a");
	m_path(&m, "3");
	m_feed(x, 1, &m);
	m_begin(&m, 2, 69, 6, "\x0a");
	m_uint(&m, 12, 11542);
	m_payload(&m, tlv, sizeof(tlv));
	m_feed(x, 0, &m);
	assert_int_equal(x->cnt.v[CNT_DIS_LWM2M_INVALID], 2);
	out_apnwatch(x);
	fx_free(x);
}

/* ---------------------------------------------------------------------
 * Transfers: firmware evidence.
 * --------------------------------------------------------------------- */

/* The file every transfer test moves: byte i is i * 7 + 3.  Its SHA-256
 * for the lengths used:
 *   python3 -c "import hashlib; print(hashlib.sha256(bytes((i*7+3) & 255
 *               for i in range(2548))).hexdigest())"          (and 300) */
#define FILE_SHA_2548 "6bd24eeb3680fa4f6107a61e27875ff6d5afcec8b41b9ad2fe6f7f010f54fd78"
#define FILE_SHA_300 "04773f8726c81cafcfa1a09a82664b98b00d2021031a1715bca1154f2dad3472"
static uint8_t file_bytes[4096];

static void file_init(void)
{
	for (size_t i = 0; i < sizeof(file_bytes); i++)
		file_bytes[i] = (uint8_t)(i * 7 + 3);
}

/* One Block2 exchange of GET /fw/EC25.bin: the device asks block num at
 * szx, the server answers with len bytes of data (the file's bytes at the
 * block's offset when data is NULL), M = more. */
static void b2_data(struct fx *x, uint16_t mid, uint32_t num, int szx, int more, size_t len,
		    const uint8_t *data)
{
	struct msg m;
	m_begin(&m, 0, 1, mid, "\x42");
	m_str(&m, 11, "fw");
	m_str(&m, 11, "EC25.bin");
	m_uint(&m, 23, num << 4 | (uint32_t)szx);
	m_feed(x, 0, &m);
	m_begin(&m, 2, 69, mid, "\x42"); /* ACK 2.05 */
	m_uint(&m, 12, 42);
	m_uint(&m, 23, num << 4 | (more ? 8u : 0u) | (uint32_t)szx);
	if (num == 0)
		m_uint(&m, 28, 2548); /* Size2 */
	m_payload(&m, data ? data : file_bytes + num * (16u << szx), len);
	m_feed(x, 1, &m);
}

static void b2(struct fx *x, uint16_t mid, uint32_t num, int szx, int more, size_t len)
{
	b2_data(x, mid, num, szx, more, len, NULL);
}

static const struct app_transfer *tr_at(struct fx *x, size_t i, size_t want_n)
{
	const struct app_transfer *v = NULL;
	size_t n = dissector_coap.transfers(x->st, &v);
	assert_int_equal(n, want_n);
	assert_true(i < n);
	return &v[i];
}

static void assert_state(const struct app_transfer *t, const char *state)
{
	assert_string_equal(transfer_hash_state_str(t->hash_state), state);
}

static void assert_sha(const struct app_transfer *t, const char *hex)
{
	char got[65];
	assert_state(t, "complete");
	sha256_hex(t->sha256, got);
	assert_string_equal(got, hex);
}

/* Three blocks of 1024, 1024, 500 bytes; the second is sent again with
 * its message id (a CON retransmission) and asked again with a new one
 * (a duplicate): neither is hashed twice. */
static void test_block2_hashed(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	const struct app_transfer *v;
	assert_int_equal(dissector_coap.transfers(x->st, &v), 0);
	b2(x, 100, 0, 6, 1, 1024);
	b2(x, 101, 1, 6, 1, 1024);
	b2(x, 101, 1, 6, 1, 1024); /* retransmitted: same message ids */
	b2(x, 102, 1, 6, 1, 1024); /* asked again */
	const struct app_transfer *t = tr_at(x, 0, 1);
	assert_state(t, "short"); /* not over yet */
	b2(x, 103, 2, 6, 0, 500);
	t = tr_at(x, 0, 1);
	assert_sha(t, FILE_SHA_2548);
	assert_string_equal(t->protocol, "coap");
	assert_string_equal(t->method, "GET");
	assert_string_equal(t->name, "EC25.bin");
	assert_string_equal(t->url, "coap://192.0.2.30/fw/EC25.bin");
	assert_string_equal(t->content_type, "application/octet-stream");
	assert_null(t->package_uri);
	assert_null(t->version);
	assert_int_equal(t->size, 2548);
	assert_int_equal(t->declared_size, 2548);
	assert_int_equal(t->to_device, 1);
	assert_int_equal(t->status_ok, 1);
	assert_int_equal(t->start_us, x->c.now_us);
	const char *o = out_apnwatch(x);
	assert_has(o, "\"bytes\":2548,\"blocks\":3,\"complete\":true,\"size\":2548}");
	/* Asked from the start again: a second transfer. */
	b2(x, 104, 0, 6, 1, 1024);
	t = tr_at(x, 1, 2);
	assert_state(t, "short");
	assert_int_equal(t->size, 1024);
	fx_free(x);
}

/* RFC 7959 2.4: the client lowers SZX after the first block; the offsets
 * (NUM * size) still meet: blocks 0/1024, then 2, 3, 4 of 512. */
static void test_block2_szx_lowered(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	b2(x, 100, 0, 6, 1, 1024);
	b2(x, 101, 2, 5, 1, 512);
	b2(x, 102, 3, 5, 1, 512);
	b2(x, 103, 4, 5, 0, 500);
	assert_sha(tr_at(x, 0, 1), FILE_SHA_2548);
	fx_free(x);
}

/* A block never seen: gap, and no hash. */
static void test_block2_gap(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	b2(x, 100, 0, 6, 1, 1024);
	b2(x, 102, 2, 6, 0, 500);
	const struct app_transfer *t = tr_at(x, 0, 1);
	assert_state(t, "gap");
	assert_int_equal(t->size, 1524);
	static const uint8_t zero[32];
	assert_memory_equal(t->sha256, zero, 32);
	fx_free(x);
}

/* The missing block arrives late: out of order.  A block with M=1 that is
 * not a whole block, and the last block sent again with other bytes, are
 * inconsistent: order too. */
static void test_block2_order(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	b2(x, 100, 0, 6, 1, 1024);
	b2(x, 102, 2, 6, 1, 1024);
	assert_state(tr_at(x, 0, 1), "gap");
	b2(x, 101, 1, 6, 1, 1024);
	assert_state(tr_at(x, 0, 1), "order");
	b2(x, 103, 3, 6, 0, 10);
	assert_state(tr_at(x, 0, 1), "order");
	fx_free(x);

	x = fx_new();
	b2(x, 100, 0, 6, 1, 1000); /* M=1, but 1000 of 1024 bytes */
	assert_state(tr_at(x, 0, 1), "order");
	fx_free(x);

	x = fx_new();
	b2(x, 100, 0, 6, 1, 1024);
	b2_data(x, 101, 0, 6, 1, 1024, file_bytes + 1); /* block 0, other bytes */
	assert_state(tr_at(x, 0, 1), "order");
	fx_free(x);
}

/* The flow's byte cap (--firmware-max-bytes): over it, no hash. */
static void test_block2_cap(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	x->c.transfer_max_bytes = 2000;
	b2(x, 100, 0, 6, 1, 1024);
	b2(x, 101, 1, 6, 1, 1024);
	b2(x, 102, 2, 6, 0, 500);
	const struct app_transfer *t = tr_at(x, 0, 1);
	assert_state(t, "cap");
	assert_int_equal(t->size, 2548); /* the size is still counted */
	fx_free(x);
	x = fx_new();
	x->c.transfer_max_bytes = 2548; /* exactly the file: fits */
	b2(x, 100, 0, 6, 1, 1024);
	b2(x, 101, 1, 6, 1, 1024);
	b2(x, 102, 2, 6, 0, 500);
	assert_sha(tr_at(x, 0, 1), FILE_SHA_2548);
	fx_free(x);
}

/* The flow ends before the block with M=0: short. */
static void test_block2_short(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	b2(x, 100, 0, 6, 1, 1024);
	b2(x, 101, 1, 6, 1, 1024);
	const struct app_transfer *t = tr_at(x, 0, 1);
	assert_state(t, "short");
	assert_int_equal(t->size, 2048);
	assert_int_equal(t->declared_size, 2548);
	fx_free(x);
}

/* Block1: the device PUTs a file to coap://fota.example.com:5684 (Uri-Host,
 * Uri-Port, Size1); 2.31 Continue, then 2.04 Changed. */
static void test_block1_upload(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	struct msg m;
	for (uint32_t num = 0; num < 3; num++) {
		m_begin(&m, 0, 3, (uint16_t)(200 + num), "\x07");
		m_str(&m, 3, "fota.example.com");
		m_uint(&m, 7, 5684);
		m_str(&m, 11, "up");
		m_str(&m, 11, "log.bin");
		m_uint(&m, 12, 42);
		m_uint(&m, 27, num << 4 | (num < 2 ? 8 : 0) | 6);
		if (num == 0)
			m_uint(&m, 60, 2548); /* Size1 */
		m_payload(&m, file_bytes + num * 1024, num < 2 ? 1024 : 500);
		m_feed(x, 0, &m);
		m_begin(&m, 2, num < 2 ? 95 : 68, (uint16_t)(200 + num), "\x07");
		m_uint(&m, 27, num << 4 | (num < 2 ? 8 : 0) | 6);
		m_feed(x, 1, &m);
	}
	const struct app_transfer *t = tr_at(x, 0, 1);
	assert_sha(t, FILE_SHA_2548);
	assert_string_equal(t->method, "PUT");
	assert_string_equal(t->name, "log.bin");
	assert_string_equal(t->url, "coap://fota.example.com:5684/up/log.bin");
	assert_int_equal(t->declared_size, 2548);
	assert_int_equal(t->to_device, 0);
	assert_int_equal(t->status_ok, 1);
	/* A plain CoAP upload from the device: probable telemetry. */
	struct intent_input in;
	memset(&in, 0, sizeof(in));
	dissector_coap.intent(x->st, &in);
	assert_int_equal(in.n_votes, 1);
	assert_int_equal(in.votes[0].intent, INTENT_TELEMETRY);
	assert_int_equal(in.votes[0].conf, CONF_PROBABLE);
	assert_string_equal(in.votes[0].why, "CoAP PUT /up/log.bin from the device");
	fx_free(x);
}

/* A single 2.05 answer to a GET of a firmware-looking path is a small
 * transfer (not a block-wise one in the event); other paths are not. */
static void test_single_get(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	struct msg m;
	m_begin(&m, 0, 1, 300, "\x09");
	m_str(&m, 11, "sensors");
	m_str(&m, 11, "temp");
	m_feed(x, 0, &m);
	m_begin(&m, 2, 69, 300, "\x09");
	m_payload(&m, "21.5", 4);
	m_feed(x, 1, &m);
	const struct app_transfer *v;
	assert_int_equal(dissector_coap.transfers(x->st, &v), 0);
	m_begin(&m, 0, 1, 301, "\x0a");
	m_str(&m, 11, "FOTA");
	m_str(&m, 11, "app");
	m_feed(x, 0, &m);
	m_begin(&m, 2, 69, 301, "\x0a");
	m_uint(&m, 12, 12345); /* a Content-Format without a name */
	m_payload(&m, file_bytes, 300);
	m_feed(x, 1, &m);
	const struct app_transfer *t = tr_at(x, 0, 1);
	assert_sha(t, FILE_SHA_300);
	assert_string_equal(t->name, "app");
	assert_string_equal(t->content_type, "12345");
	assert_int_equal(t->to_device, 1);
	assert_int_equal(t->declared_size, 0);
	assert_lacks(out_apnwatch(x), "\"blocks\":{");
	assert_int_equal(dissector_coap.transfers(x->st, &v), 1);
	fx_free(x);
}

/* ---------------------------------------------------------------------
 * Intent votes.
 * --------------------------------------------------------------------- */

static const struct intent_input *votes_of(struct fx *x)
{
	static struct intent_input in;
	memset(&in, 0, sizeof(in));
	dissector_coap.intent(x->st, &in);
	return &in;
}

static void assert_vote(const struct intent_input *in, size_t i, enum intent it,
			enum confidence c, const char *why)
{
	if (i >= in->n_votes)
		fail_msg("vote %zu of %zu: want %s", i, in->n_votes, why);
	assert_string_equal(in->votes[i].why, why);
	assert_int_equal(in->votes[i].intent, it);
	assert_int_equal(in->votes[i].conf, c);
}

/* A server read of one resource in text, answered. */
static void lw_read_text(struct fx *x, uint16_t mid, const char *path, const char *value)
{
	struct msg m;
	m_begin(&m, 0, 1, mid, "\x31");
	m_path(&m, path);
	m_feed(x, 1, &m);
	m_begin(&m, 2, 69, mid, "\x31");
	m_uint(&m, 12, 0);
	m_payload(&m, value, strlen(value));
	m_feed(x, 0, &m);
}

/* The whole update the server drives over the registration's flow:
 * Package URI, the package pushed in Block1 (hashed: a transfer to the
 * device with the URI and the version), Update, State, Update Result. */
static void test_votes_fota(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	struct msg m;
	build_register(&m);
	m_feed(x, 0, &m);
	lw_read_text(x, 60, "3/0/3", "R05");
	m_begin(&m, 0, 3, 70, "\x01");
	m_path(&m, "5/0/1");
	m_uint(&m, 12, 0);
	m_payload(&m, "coap://192.0.2.10/fw/866834040000001.bin", 40);
	m_feed(x, 1, &m);
	for (uint32_t num = 0; num < 3; num++) { /* 128 + 128 + 44 bytes */
		m_begin(&m, 0, 3, (uint16_t)(71 + num), "\x02");
		m_path(&m, "5/0/0");
		m_uint(&m, 12, 42);
		m_uint(&m, 27, num << 4 | (num < 2 ? 8 : 0) | 3);
		m_payload(&m, file_bytes + num * 128, num < 2 ? 128 : 44);
		m_feed(x, 1, &m);
		m_begin(&m, 2, num < 2 ? 95 : 68, (uint16_t)(71 + num), "\x02");
		m_uint(&m, 27, num << 4 | (num < 2 ? 8 : 0) | 3);
		m_feed(x, 0, &m);
	}
	const struct app_transfer *t = tr_at(x, 0, 1);
	assert_sha(t, FILE_SHA_300);
	assert_string_equal(t->method, "PUT");
	assert_string_equal(t->name, "0");
	assert_string_equal(t->url, "coap://10.0.0.2:40000/5/0/0");
	assert_string_equal(t->package_uri, "coap://192.0.2.10/fw/866834040000001.bin");
	assert_string_equal(t->version, "R05");
	assert_int_equal(t->to_device, 1);
	assert_int_equal(t->status_ok, 1);
	m_begin(&m, 0, 2, 80, "\x03"); /* Execute /5/0/2 */
	m_path(&m, "5/0/2");
	m_feed(x, 1, &m);
	lw_read_text(x, 81, "5/0/3", "3");
	lw_read_text(x, 82, "5/0/5", "1");
	const struct intent_input *in = votes_of(x);
	assert_vote(in, 0, INTENT_FOTA, CONF_CONFIRMED,
		    "LwM2M Write /5/0/1 Package URI coap://192.0.2.10/fw/<imei>.bin");
	assert_vote(in, 1, INTENT_FOTA, CONF_CONFIRMED, "LwM2M Write /5/0/0 Package (300 bytes pushed)");
	assert_vote(in, 2, INTENT_FOTA, CONF_CONFIRMED, "LwM2M Execute /5/0/2 Update");
	assert_vote(in, 3, INTENT_FOTA, CONF_CONFIRMED, "LwM2M /5/0/3 State 3 (updating)");
	assert_vote(in, 4, INTENT_FOTA, CONF_CONFIRMED, "LwM2M /5/0/5 Update Result 1 (success)");
	/* The endpoint holds an IMEI: not printed. */
	assert_vote(in, 5, INTENT_DM, CONF_CONFIRMED, "LwM2M Register (lwm2m=1.1)");
	assert_vote(in, 6, INTENT_DM, CONF_CONFIRMED, "LwM2M Read /3/0/3");
	assert_int_equal(in->n_votes, 7);
	fx_free(x);
}

/* A package written whole (no Block1) is a transfer too; the Update
 * Result alone is evidence.  Without a registration or an LwM2M format,
 * /5/0/0 may be any CoAP resource: a transfer, but no LwM2M vote. */
static void test_votes_push_whole(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	struct msg m;
	m_begin(&m, 0, 3, 89, "\x01");
	m_path(&m, "5/0/0");
	m_uint(&m, 12, 42);
	m_payload(&m, file_bytes, 300);
	m_feed(x, 1, &m);
	assert_sha(tr_at(x, 0, 1), FILE_SHA_300);
	assert_int_equal(votes_of(x)->n_votes, 0);
	fx_free(x);

	x = fx_new();
	build_register(&m);
	m_feed(x, 0, &m);
	m_begin(&m, 0, 3, 90, "\x01");
	m_path(&m, "5/0/0");
	m_uint(&m, 12, 42);
	m_payload(&m, file_bytes, 300);
	m_feed(x, 1, &m);
	m_begin(&m, 2, 68, 90, "\x01");
	m_feed(x, 0, &m);
	lw_read_text(x, 91, "5/0/5", "5");
	const struct app_transfer *t = tr_at(x, 0, 1);
	assert_sha(t, FILE_SHA_300);
	assert_int_equal(t->to_device, 1);
	const struct intent_input *in = votes_of(x);
	assert_vote(in, 0, INTENT_FOTA, CONF_CONFIRMED, "LwM2M Write /5/0/0 Package (300 bytes pushed)");
	assert_vote(in, 1, INTENT_FOTA, CONF_CONFIRMED,
		    "LwM2M /5/0/5 Update Result 5 (integrity check failure)");
	assert_vote(in, 2, INTENT_DM, CONF_CONFIRMED, "LwM2M Register (lwm2m=1.1)");
	assert_int_equal(in->n_votes, 3);
	fx_free(x);
}

/* Registration with a plain endpoint name (shown), Update, an idle
 * firmware object observed (management, not an update), an empty Package
 * URI (a cancel), a Write of another object. */
static void test_votes_dm(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	struct msg m;
	m_begin(&m, 0, 2, 1, "\x11");
	m_str(&m, 11, "rd");
	m_str(&m, 15, "ep=meter-7");
	m_str(&m, 15, "lwm2m=1.0");
	m_feed(x, 0, &m);
	m_begin(&m, 0, 3, 2, "\x12"); /* Write /1/0/1 lifetime */
	m_path(&m, "1/0/1");
	m_uint(&m, 12, 0);
	m_payload(&m, "300", 3);
	m_feed(x, 1, &m);
	m_begin(&m, 0, 1, 3, "\x13"); /* Observe /5/0/3, idle */
	m_uint(&m, 6, 0);
	m_path(&m, "5/0/3");
	m_feed(x, 1, &m);
	m_begin(&m, 2, 69, 3, "\x13");
	m_uint(&m, 6, 1);
	m_uint(&m, 12, 0);
	m_payload(&m, "0", 1);
	m_feed(x, 0, &m);
	m_begin(&m, 0, 3, 8, "\x18"); /* Write /5/0/1, then "": a cancel */
	m_path(&m, "5/0/1");
	m_uint(&m, 12, 0);
	m_payload(&m, "coap://[2001:db8::1]/fw.bin", 27);
	m_feed(x, 1, &m);
	m_begin(&m, 0, 3, 4, "\x14");
	m_path(&m, "5/0/1");
	m_uint(&m, 12, 0);
	m_feed(x, 1, &m);
	const struct intent_input *in = votes_of(x);
	assert_vote(in, 0, INTENT_FOTA, CONF_CONFIRMED,
		    "LwM2M Write /5/0/1 Package URI coap://[2001:db8::1]/fw.bin");
	assert_vote(in, 1, INTENT_DM, CONF_CONFIRMED,
		    "LwM2M Write /5/0/1 Package URI empty (update cancelled)");
	assert_vote(in, 2, INTENT_DM, CONF_CONFIRMED, "LwM2M /5/0/3 State 0 (idle): no update under way");
	assert_vote(in, 3, INTENT_DM, CONF_CONFIRMED, "LwM2M Register ep=meter-7 (lwm2m=1.0)");
	assert_vote(in, 4, INTENT_DM, CONF_CONFIRMED, "LwM2M Write /1/0/1");
	assert_int_equal(in->n_votes, 5);
	fx_free(x);

	x = fx_new(); /* Update and De-register alone; a Bootstrap-Request */
	m_begin(&m, 0, 2, 5, "\x15");
	m_str(&m, 11, "rd");
	m_str(&m, 11, "5a3f");
	m_feed(x, 0, &m);
	m_begin(&m, 0, 4, 6, "\x16");
	m_str(&m, 11, "rd");
	m_str(&m, 11, "5a3f");
	m_feed(x, 0, &m);
	in = votes_of(x);
	assert_vote(in, 0, INTENT_DM, CONF_CONFIRMED, "LwM2M Update");
	assert_int_equal(in->n_votes, 1);
	fx_free(x);
	x = fx_new();
	m_begin(&m, 0, 2, 7, "\x17");
	m_str(&m, 11, "bs");
	m_str(&m, 15, "ep=urn:imei-imsi:866834040000001-001010000000001");
	m_feed(x, 0, &m);
	in = votes_of(x);
	assert_vote(in, 0, INTENT_DM, CONF_CONFIRMED, "LwM2M Bootstrap-Request");
	fx_free(x);
}

/* IPSO sensors observed and notified, and LwM2M Send: telemetry. */
static void test_votes_telemetry(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	struct msg m;
	build_register(&m);
	m_feed(x, 0, &m);
	m_begin(&m, 0, 1, 10, "\x21"); /* Observe /3303/0/5700 */
	m_uint(&m, 6, 0);
	m_path(&m, "3303/0/5700");
	m_feed(x, 1, &m);
	m_begin(&m, 2, 69, 10, "\x21");
	m_uint(&m, 6, 1);
	m_uint(&m, 12, 0);
	m_payload(&m, "21.5", 4);
	m_feed(x, 0, &m);
	m_begin(&m, 1, 69, 11, "\x21"); /* NON notification */
	m_uint(&m, 6, 2);
	m_uint(&m, 12, 0);
	m_payload(&m, "21.7", 4);
	m_feed(x, 0, &m);
	m_begin(&m, 0, 2, 12, "\x22"); /* Send */
	m_str(&m, 11, "dp");
	m_uint(&m, 12, 110);
	m_payload(&m, "[{\"n\":\"/3303/0/5700\",\"v\":21.7}]", 30);
	m_feed(x, 0, &m);
	const struct intent_input *in = votes_of(x);
	assert_vote(in, 0, INTENT_DM, CONF_CONFIRMED, "LwM2M Register (lwm2m=1.1)");
	assert_vote(in, 1, INTENT_TELEMETRY, CONF_CONFIRMED, "LwM2M Notify /3303/0/5700 (IPSO sensor)");
	assert_vote(in, 2, INTENT_TELEMETRY, CONF_CONFIRMED, "LwM2M Send /dp");
	assert_int_equal(in->n_votes, 3);
	fx_free(x);

	/* A plain CoAP POST with an IMEI in its path: masked; a GET from the
	 * device and the server's POSTs say nothing. */
	x = fx_new();
	m_begin(&m, 0, 1, 20, "\x23");
	m_str(&m, 11, "time");
	m_feed(x, 0, &m);
	m_begin(&m, 0, 2, 21, "\x24");
	m_str(&m, 11, "cmd");
	m_payload(&m, "x", 1);
	m_feed(x, 1, &m);
	in = votes_of(x);
	assert_int_equal(in->n_votes, 0);
	m_begin(&m, 0, 2, 22, "\x25");
	m_str(&m, 11, "t");
	m_str(&m, 11, "866834040000001");
	m_payload(&m, "{\"t\":21}", 8);
	m_feed(x, 0, &m);
	in = votes_of(x);
	assert_vote(in, 0, INTENT_TELEMETRY, CONF_PROBABLE, "CoAP POST /t/<imei> from the device");
	fx_free(x);
}

int main(void)
{
	file_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_extended),
		cmocka_unit_test(test_option_15_invalid),
		cmocka_unit_test(test_header_invalid),
		cmocka_unit_test(test_builder_matches_bytes),
		cmocka_unit_test(test_every_cut_length),
		cmocka_unit_test(test_block2_three_blocks),
		cmocka_unit_test(test_observe_separate),
		cmocka_unit_test(test_request_cap),
		cmocka_unit_test(test_uri_encoding),
		cmocka_unit_test(test_uri_cap),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_register_update_deregister),
		cmocka_unit_test(test_register_bad_links),
		cmocka_unit_test(test_endpoint_identity),
		cmocka_unit_test(test_identity_address),
		cmocka_unit_test(test_tlv_device),
		cmocka_unit_test(test_tlv_firmware_nested),
		cmocka_unit_test(test_firmware_update_flow),
		cmocka_unit_test(test_lwm2m_json),
		cmocka_unit_test(test_send_senml),
		cmocka_unit_test(test_lwm2m_needs_evidence),
		cmocka_unit_test(test_lwm2m_hostile),
		cmocka_unit_test(test_block2_hashed),
		cmocka_unit_test(test_block2_szx_lowered),
		cmocka_unit_test(test_block2_gap),
		cmocka_unit_test(test_block2_order),
		cmocka_unit_test(test_block2_cap),
		cmocka_unit_test(test_block2_short),
		cmocka_unit_test(test_block1_upload),
		cmocka_unit_test(test_single_get),
		cmocka_unit_test(test_votes_fota),
		cmocka_unit_test(test_votes_push_whole),
		cmocka_unit_test(test_votes_dm),
		cmocka_unit_test(test_votes_telemetry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
