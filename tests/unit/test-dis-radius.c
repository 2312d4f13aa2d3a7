/*
 * test-dis-radius.c - the RADIUS dissector (dissectors/radius.c): an
 * Accounting-Request Start with 3GPP vendor attributes, Framed-IPv6-Prefix,
 * Stop and Accounting-On/Off, Access-Request/Accept, and what must be
 * counted rather than believed: a vendor attribute with a bad length, a
 * Length field the datagram contradicts, every cut of a message.
 *
 * The dissector is driven through its descriptor as the registry does;
 * what it found is read back from its apnwatch.radius output, and what it
 * told the subscriber table from the calls caught with the linker's
 * --wrap (see dis-radius-gtpv2c.mk).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dissector.h"
#include "identity.h"

extern const struct dissector dissector_radius;

/* ---------------------------------------------------------------------
 * The subscriber table's entry points, caught.
 * --------------------------------------------------------------------- */

struct id_call {
	char what[8]; /* "start", "stop", "reset" */
	int source, rat_type;
	char addr[64];
	unsigned prefix_len;
	char imsi[32], imei[32], msisdn[40], apn[128], session_id[80], nas[80];
};

static struct id_call calls[16];
static int n_calls;

static void copy(char *dst, size_t cap, const char *s)
{
	snprintf(dst, cap, "%s", s ? s : "(null)");
}

static void record(const char *what, const struct subscriber_info *s)
{
	if (n_calls >= 16)
		return;
	struct id_call *c = &calls[n_calls++];
	memset(c, 0, sizeof(*c));
	copy(c->what, sizeof(c->what), what);
	c->source = s->source;
	c->rat_type = s->rat_type;
	c->prefix_len = s->prefix_len;
	if (s->addr.family == 4)
		snprintf(c->addr, sizeof(c->addr), "%u.%u.%u.%u", s->addr.a[0], s->addr.a[1],
			 s->addr.a[2], s->addr.a[3]);
	else if (s->addr.family == 6)
		snprintf(c->addr, sizeof(c->addr), "v6:%02x%02x%02x%02x", s->addr.a[0],
			 s->addr.a[1], s->addr.a[2], s->addr.a[3]);
	copy(c->imsi, sizeof(c->imsi), s->imsi);
	copy(c->imei, sizeof(c->imei), s->imei);
	copy(c->msisdn, sizeof(c->msisdn), s->msisdn);
	copy(c->apn, sizeof(c->apn), s->apn);
	copy(c->session_id, sizeof(c->session_id), s->session_id);
	copy(c->nas, sizeof(c->nas), s->nas);
}

void __wrap_identity_session_start(struct identity_table *t, const struct subscriber_info *s,
				   uint64_t now_us);
void __wrap_identity_session_stop(struct identity_table *t, const struct subscriber_info *s,
				  uint64_t now_us);
void __wrap_identity_nas_reset(struct identity_table *t, const char *nas, uint64_t now_us);

void __wrap_identity_session_start(struct identity_table *t, const struct subscriber_info *s,
				   uint64_t now_us)
{
	(void)t, (void)now_us;
	record("start", s);
}

void __wrap_identity_session_stop(struct identity_table *t, const struct subscriber_info *s,
				  uint64_t now_us)
{
	(void)t, (void)now_us;
	record("stop", s);
}

void __wrap_identity_nas_reset(struct identity_table *t, const char *nas, uint64_t now_us)
{
	(void)t, (void)now_us;
	struct subscriber_info s;
	memset(&s, 0, sizeof(s));
	s.nas = nas;
	record("reset", &s);
}

/* ---------------------------------------------------------------------
 * Harness: one flow, its state, its output.
 * --------------------------------------------------------------------- */

struct h {
	struct counters cnt;
	struct dissect_ctx ctx;
	struct packet pkt;
	struct flow f;
	void *state;
	struct jw w;
};

/* A real table: pseudonymised output goes through it.  key: a key file
 * for --pseudonymize, or NULL. */
static struct identity_table *table_new(struct counters *c, const char *key)
{
	struct identity_config ic;
	identity_config_defaults(&ic);
	ic.builtin_tac_file = "";
	ic.pseudonymize_key = key;
	struct identity_table *t = identity_new(&ic, c, NULL);
	assert_non_null(t);
	return t;
}

static struct h *h_new(void)
{
	struct h *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	h->f.key.family = 4;
	h->f.key.proto = 17;
	h->ctx.cnt = &h->cnt;
	h->ctx.id = table_new(&h->cnt, NULL); /* its session calls are caught */
	h->ctx.pkt = &h->pkt;
	h->pkt.src.family = 4;
	memcpy(h->pkt.src.a, "\xc6\x33\x64\x09", 4); /* 198.51.100.9 */
	h->state = calloc(1, dissector_radius.state_size);
	assert_non_null(h->state);
	jw_init(&h->w);
	n_calls = 0;
	return h;
}

static void h_free(struct h *h)
{
	if (dissector_radius.free)
		dissector_radius.free(h->state);
	free(h->state);
	identity_free(h->ctx.id);
	jw_free(&h->w);
	free(h);
}

/* One datagram; cut_by_capture: the snap length cut its frame. */
static void feed(struct h *h, int dir, const uint8_t *p, size_t n, int cut_by_capture)
{
	h->pkt.caplen = 100;
	h->pkt.wirelen = cut_by_capture ? 200 : 100;
	h->ctx.now_us += 1000;
	dissector_radius.parse(&h->ctx, &h->f, h->state, dir, p, n);
}

static const char *out(struct h *h)
{
	jw_reset(&h->w);
	jw_obj_begin(&h->w, NULL);
	dissector_radius.json_apnwatch(h->state, &h->w);
	jw_end(&h->w);
	assert_int_equal(h->w.oom, 0);
	return h->w.buf;
}

static void assert_has(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("missing %s\n in %s", needle, hay);
}

/* ---------------------------------------------------------------------
 * Messages.
 * --------------------------------------------------------------------- */

/* Accounting-Request, Start, with the attributes a PGW/GGSN sends. */
static const uint8_t acct_start[] = {
	0x04,       /* Code: Accounting-Request */
	0x2a,       /* Identifier */
	0x00, 0xa9, /* Length: 169 */
	/* Request Authenticator (16) */
	0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
	/* Acct-Status-Type (40), len 6: Start (1) */
	40, 6, 0x00, 0x00, 0x00, 0x01,
	/* User-Name (1), len 17: "001010123456789" */
	1, 17, '0', '0', '1', '0', '1', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9',
	/* Framed-IP-Address (8), len 6: 100.64.0.7 */
	8, 6, 100, 64, 0, 7,
	/* Calling-Station-Id (31), len 14: MSISDN "491701234567" */
	31, 14, '4', '9', '1', '7', '0', '1', '2', '3', '4', '5', '6', '7',
	/* Called-Station-Id (30), len 13: APN "iot.example" */
	30, 13, 'i', 'o', 't', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e',
	/* Acct-Session-Id (44), len 10: "SESS0001" */
	44, 10, 'S', 'E', 'S', 'S', '0', '0', '0', '1',
	/* NAS-IP-Address (4), len 6: 198.51.100.1 */
	4, 6, 198, 51, 100, 1,
	/* Vendor-Specific (26), len 23, Vendor-Id 10415 (3GPP);
	 *   3GPP-IMSI (1), len 17: "001010123456789" */
	26, 23, 0x00, 0x00, 0x28, 0xaf,
	1, 17, '0', '0', '1', '0', '1', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9',
	/* Vendor-Specific (26), len 24, 3GPP;
	 *   3GPP-IMEISV (20), len 18: "8668340412345601" */
	26, 24, 0x00, 0x00, 0x28, 0xaf,
	20, 18, '8', '6', '6', '8', '3', '4', '0', '4', '1', '2', '3', '4', '5', '6', '0', '1',
	/* Vendor-Specific (26), len 9, 3GPP; 3GPP-RAT-Type (21), len 3: EUTRAN (6) */
	26, 9, 0x00, 0x00, 0x28, 0xaf, 21, 3, 6,
	/* Vendor-Specific (26), len 21, 3GPP;
	 *   3GPP-User-Location-Info (22), len 15: type 130 (TAI and ECGI) */
	26, 21, 0x00, 0x00, 0x28, 0xaf, 22, 15, 130,
	0x62, 0xf2, 0x10, /* TAI: MCC 262, MNC 01 (MNC digit 3 = 0xF) */
	0x12, 0x34,       /* TAC 0x1234 = 4660 */
	0x62, 0xf2, 0x10, /* ECGI: MCC 262, MNC 01 */
	0x01, 0x23, 0x45, 0x67, /* spare(4 bits) + ECI 0x1234567 = 19088743 */
};

static const char start_json[] =
	"{\"code\":\"Accounting-Request\",\"status\":\"Start\",\"session_id\":\"SESS0001\","
	"\"user_name\":\"001010123456789\",\"framed_ip\":\"100.64.0.7\","
	"\"imsi\":\"001010123456789\",\"imeisv\":\"8668340412345601\","
	"\"msisdn\":\"491701234567\",\"apn\":\"iot.example\",\"rat_type\":6,"
	"\"uli\":{\"type\":130,\"mcc\":\"262\",\"mnc\":\"01\",\"tac\":4660,\"eci\":19088743},"
	"\"nas_ip\":\"198.51.100.1\"}";

static void test_start_3gpp(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	assert_int_equal(sizeof(acct_start), 169);
	assert_true(dissector_radius.probe(acct_start, sizeof(acct_start), 0));
	feed(h, 0, acct_start, sizeof(acct_start), 0);
	const char *o = out(h);
	assert_has(o, "\"radius\":{\"messages\":1,\"codes\":{\"Accounting-Request\":1},"
		      "\"status_types\":{\"Start\":1},\"sessions\":[");
	assert_has(o, start_json);
	assert_has(o, "\"sessions_total\":1}");
	assert_int_equal(h->cnt.v[CNT_DIS_RADIUS_FLOWS], 1);
	assert_int_equal(h->cnt.v[CNT_DIS_RADIUS_MESSAGES], 1);
	assert_int_equal(h->cnt.v[CNT_DIS_RADIUS_INVALID], 0);
	assert_int_equal(h->cnt.v[CNT_DIS_RADIUS_TRUNC], 0);

	/* The session starts in the subscriber table. */
	assert_int_equal(n_calls, 1);
	assert_string_equal(calls[0].what, "start");
	assert_int_equal(calls[0].source, ID_SRC_RADIUS);
	assert_string_equal(calls[0].addr, "100.64.0.7");
	assert_int_equal(calls[0].prefix_len, 32);
	assert_string_equal(calls[0].imsi, "001010123456789");
	assert_string_equal(calls[0].imei, "8668340412345601");
	assert_string_equal(calls[0].msisdn, "491701234567");
	assert_string_equal(calls[0].apn, "iot.example");
	assert_string_equal(calls[0].session_id, "SESS0001");
	assert_string_equal(calls[0].nas, "198.51.100.1");
	assert_int_equal(calls[0].rat_type, 6);

	/* The Accounting-Response: counted, not listed. */
	static const uint8_t resp[20] = {0x05, 0x2a, 0x00, 0x14};
	feed(h, 1, resp, sizeof(resp), 0);
	o = out(h);
	assert_has(o, "\"messages\":2,\"codes\":{\"Accounting-Request\":1,"
		      "\"Accounting-Response\":1}");
	assert_has(o, "\"sessions_total\":1}");
	assert_int_equal(h->cnt.v[CNT_DIS_RADIUS_FLOWS], 1);
	h_free(h);
}

/* Copies acct_start with a new status type (and no NAS-IP-Address when
 * drop_nas), for Interim, Stop, On, Off. */
static size_t with_status(uint8_t *buf, uint8_t status, int drop_nas)
{
	memcpy(buf, acct_start, sizeof(acct_start));
	buf[25] = status; /* Acct-Status-Type's last value octet */
	if (!drop_nas)
		return sizeof(acct_start);
	/* NAS-IP-Address sits at offset 86: 20 + 6 + 17 + 6 + 14 + 13 + 10. */
	size_t at = 20 + 6 + 17 + 6 + 14 + 13 + 10;
	assert_int_equal(buf[at], 4);
	memmove(buf + at, buf + at + 6, sizeof(acct_start) - at - 6);
	size_t n = sizeof(acct_start) - 6;
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	return n;
}

static void test_stop_interim_on_off(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	uint8_t buf[sizeof(acct_start)];
	size_t n = with_status(buf, 3, 0);
	feed(h, 0, buf, n, 0);
	n = with_status(buf, 2, 0);
	feed(h, 0, buf, n, 0);
	n = with_status(buf, 7, 1); /* no NAS-IP-Address: the sender's address */
	feed(h, 0, buf, n, 0);
	n = with_status(buf, 8, 0);
	feed(h, 0, buf, n, 0);
	n = with_status(buf, 99, 0);
	feed(h, 0, buf, n, 0);
	const char *o = out(h);
	assert_has(o, "\"status_types\":{\"Stop\":1,\"Interim-Update\":1,"
		      "\"Accounting-On\":1,\"Accounting-Off\":1,\"other\":1}");
	assert_has(o, "\"status\":\"99\"");
	assert_int_equal(n_calls, 4);
	assert_string_equal(calls[0].what, "start"); /* Interim-Update refreshes */
	assert_string_equal(calls[1].what, "stop");
	assert_string_equal(calls[1].session_id, "SESS0001");
	assert_string_equal(calls[2].what, "reset");
	assert_string_equal(calls[2].nas, "198.51.100.9");
	assert_string_equal(calls[3].what, "reset");
	assert_string_equal(calls[3].nas, "198.51.100.1");
	h_free(h);
}

/* Accounting-Request Start for an IPv6-only device (RFC 3162). */
static const uint8_t acct_v6[] = {
	0x04, 0x07, 0x00, 0x2a, /* Accounting-Request, id 7, Length 42 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* Authenticator */
	40, 6, 0, 0, 0, 1,      /* Acct-Status-Type: Start */
	/* Framed-IPv6-Prefix (97), len 12: reserved 0, prefix length 56,
	 * 8 octets 2001:0db8:0001:02ff (the last 8 bits are past /56) */
	97, 12, 0x00, 56, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x02, 0xff,
	44, 4, 'v', '6',        /* Acct-Session-Id "v6" */
};

static void test_framed_ipv6_prefix(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	assert_int_equal(sizeof(acct_v6), 42);
	feed(h, 0, acct_v6, sizeof(acct_v6), 0);
	const char *o = out(h);
	assert_has(o, "\"framed_ipv6_prefix\":\"2001:db8:1:200::/56\"");
	assert_int_equal(n_calls, 1);
	assert_string_equal(calls[0].addr, "v6:20010db8");
	assert_int_equal(calls[0].prefix_len, 56);
	assert_string_equal(calls[0].nas, "198.51.100.9");

	/* A prefix length over 128, and one longer than the octets given. */
	uint8_t bad[sizeof(acct_v6)];
	memcpy(bad, acct_v6, sizeof(bad));
	bad[29] = 129;
	feed(h, 0, bad, sizeof(bad), 0);
	bad[29] = 72;
	feed(h, 0, bad, sizeof(bad), 0);
	assert_int_equal(h->cnt.v[CNT_DIS_RADIUS_INVALID], 2);
	assert_int_equal(n_calls, 1);
	o = out(h);
	assert_has(o, "\"sessions_total\":1,\"invalid\":2}");
	h_free(h);
}

/* Accounting-Request whose only attribute is a 3GPP VSA; the bytes at
 * [26..27] (sub-attribute type and length) are what each case changes. */
static const uint8_t vsa_msg[] = {
	0x04, 0x01, 0x00, 0x23, /* Accounting-Request, Length 35 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	26, 15, 0x00, 0x00, 0x28, 0xaf, /* Vendor-Specific, len 15, 3GPP */
	1, 9, '2', '6', '2', '0', '1', '9', '9', /* 3GPP-IMSI, len 9 */
};

static void test_vsa_bad_length(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	uint8_t m[sizeof(vsa_msg)];
	assert_int_equal(sizeof(vsa_msg), 35);
	feed(h, 0, vsa_msg, sizeof(vsa_msg), 0); /* the good one */
	assert_int_equal(h->cnt.v[CNT_DIS_RADIUS_INVALID], 0);
	assert_has(out(h), "\"imsi\":\"2620199\"");

	static const uint8_t sub_len[] = {0, 1, 10, 255};
	for (size_t i = 0; i < sizeof(sub_len); i++) {
		memcpy(m, vsa_msg, sizeof(m));
		m[27] = sub_len[i]; /* < 2, or past the VSA */
		feed(h, 0, m, sizeof(m), 0);
	}
	memcpy(m, vsa_msg, sizeof(m));
	m[21] = 5; /* a VSA too short for its Vendor-Id */
	feed(h, 0, m, sizeof(m), 0);
	memcpy(m, vsa_msg, sizeof(m));
	m[21] = 1; /* an attribute length under 2 */
	feed(h, 0, m, sizeof(m), 0);
	memcpy(m, vsa_msg, sizeof(m));
	m[21] = 16; /* an attribute past the message's Length */
	feed(h, 0, m, sizeof(m), 0);
	memcpy(m, vsa_msg, sizeof(m));
	m[30] = 'A'; /* an IMSI that is not digits */
	feed(h, 0, m, sizeof(m), 0);
	assert_int_equal(h->cnt.v[CNT_DIS_RADIUS_INVALID], 8);
	assert_int_equal(h->cnt.v[CNT_DIS_RADIUS_TRUNC], 0);
	assert_int_equal(h->cnt.v[CNT_DIS_RADIUS_MESSAGES], 9);
	const char *o = out(h);
	assert_has(o, "\"sessions_total\":1,\"invalid\":8}");
	assert_has(o, "\"codes\":{\"Accounting-Request\":9}");

	/* Another vendor's attributes are skipped whole. */
	memcpy(m, vsa_msg, sizeof(m));
	m[24] = 0x01; /* vendor 0x000001af */
	m[27] = 0;    /* would be a bad sub-attribute for 3GPP */
	feed(h, 0, m, sizeof(m), 0);
	assert_int_equal(h->cnt.v[CNT_DIS_RADIUS_INVALID], 8);
	h_free(h);
}

static void test_code_length_mismatch(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	uint8_t m[sizeof(acct_start) + 8];
	memcpy(m, acct_start, sizeof(acct_start));

	/* Length larger than the datagram, which arrived whole: invalid. */
	m[3] = 0xff;
	assert_false(dissector_radius.probe(m, sizeof(acct_start), 0));
	feed(h, 0, m, sizeof(acct_start), 0);
	assert_int_equal(h->cnt.v[CNT_DIS_RADIUS_INVALID], 1);
	/* The same when the capture cut the frame: truncated. */
	feed(h, 0, m, sizeof(acct_start), 1);
	assert_int_equal(h->cnt.v[CNT_DIS_RADIUS_TRUNC], 1);
	/* Length under 20 or over 4096: invalid however it was captured. */
	m[2] = 0x00, m[3] = 19;
	feed(h, 0, m, sizeof(acct_start), 1);
	m[2] = 0x10, m[3] = 0x01;
	feed(h, 0, m, sizeof(acct_start), 1);
	assert_int_equal(h->cnt.v[CNT_DIS_RADIUS_INVALID], 3);
	assert_int_equal(n_calls, 0);

	/* Bytes past Length are padding (RFC 2865 3): parsed, but not probed. */
	memcpy(m, acct_start, sizeof(acct_start));
	memset(m + sizeof(acct_start), 0xee, 8);
	assert_false(dissector_radius.probe(m, sizeof(m), 0));
	feed(h, 0, m, sizeof(m), 0);
	assert_int_equal(h->cnt.v[CNT_DIS_RADIUS_INVALID], 3);
	assert_int_equal(n_calls, 1);

	/* An unknown code is counted by number; the probe refuses it. */
	m[0] = 99;
	assert_false(dissector_radius.probe(m, sizeof(acct_start), 0));
	feed(h, 0, m, sizeof(acct_start), 0);
	assert_has(out(h), "\"codes\":{\"Accounting-Request\":5,\"99\":1}");
	assert_int_equal(h->cnt.v[CNT_DIS_RADIUS_MESSAGES], 6);
	h_free(h);
}

/* Every cut of the Start message: truncated, never listed, never told. */
static void test_every_cut(void **unused)
{
	(void)unused;
	for (size_t n = 0; n < sizeof(acct_start); n++) {
		struct h *h = h_new();
		uint8_t *copy = malloc(n ? n : 1); /* exact size: reads past it are caught */
		assert_non_null(copy);
		memcpy(copy, acct_start, n);
		feed(h, 0, copy, n, 1);
		assert_int_equal(h->cnt.v[CNT_DIS_RADIUS_TRUNC], 1);
		assert_int_equal(h->cnt.v[CNT_DIS_RADIUS_INVALID], 0);
		assert_int_equal(n_calls, 0);
		assert_has(out(h), "\"sessions\":[]");
		/* Not cut by the capture: the same bytes are invalid. */
		feed(h, 0, copy, n, 0);
		assert_int_equal(h->cnt.v[CNT_DIS_RADIUS_INVALID], 1);
		free(copy);
		h_free(h);
	}
}

/* Access-Request and Access-Accept (RFC 2865) are listed too. */
static void test_access(void **unused)
{
	(void)unused;
	static const uint8_t req[] = {
		0x01, 0x03, 0x00, 0x27, /* Access-Request, id 3, Length 39 */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		1, 5, 'b', 'o', 'b',                         /* User-Name "bob" */
		32, 6, 'p', 'g', 'w', '1',                   /* NAS-Identifier "pgw1" */
		31, 8, '4', '9', '1', '7', '0', '1',         /* Calling-Station-Id */
	};
	static const uint8_t acc[] = {
		0x02, 0x03, 0x00, 0x1a, /* Access-Accept, id 3, Length 26 */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		8, 6, 10, 1, 2, 3,      /* Framed-IP-Address 10.1.2.3 */
	};
	struct h *h = h_new();
	assert_true(dissector_radius.probe(req, sizeof(req), 0));
	feed(h, 0, req, sizeof(req), 0);
	feed(h, 1, acc, sizeof(acc), 0);
	const char *o = out(h);
	assert_has(o, "\"sessions\":[{\"code\":\"Access-Request\",\"user_name\":\"bob\","
		      "\"msisdn\":\"491701\",\"nas_identifier\":\"pgw1\"},"
		      "{\"code\":\"Access-Accept\",\"framed_ip\":\"10.1.2.3\"}]");
	assert_int_equal(n_calls, 0); /* only accounting feeds the table */
	h_free(h);
}

/* The list keeps the first 16; the total goes on. */
static void test_list_cap(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	for (int i = 0; i < 40; i++)
		feed(h, 0, acct_start, sizeof(acct_start), 0);
	const char *o = out(h);
	assert_has(o, "\"sessions_total\":40");
	size_t k = 0;
	for (const char *p = o; (p = strstr(p, "\"code\":\"Accounting-Request\"")); p++)
		k++;
	assert_int_equal(k, 16);
	h_free(h);
}

/* With --pseudonymize, identifiers go out as pseudonyms: the User-Name
 * holding the IMSI as the IMSI's. */
static void test_pseudonymized(void **unused)
{
	(void)unused;
	char key[] = "/tmp/test-dis-radius-key.XXXXXX";
	int fd = mkstemp(key); /* mode 0600, as the table wants */
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789abcdef0123456789abcdef", 32), 32);
	close(fd);
	struct h *h = h_new();
	identity_free(h->ctx.id);
	h->ctx.id = table_new(&h->cnt, key);
	unlink(key);
	feed(h, 0, acct_start, sizeof(acct_start), 0);
	const char *o = out(h);
	assert_null(strstr(o, "001010123456789"));
	assert_null(strstr(o, "8668340412345601"));
	assert_null(strstr(o, "491701234567"));
	char imsi[64], user[64];
	const char *p = strstr(o, "\"imsi\":\""), *q = strstr(o, "\"user_name\":\"");
	assert_non_null(p);
	assert_non_null(q);
	snprintf(imsi, sizeof(imsi), "%.15s", p + 8);
	snprintf(user, sizeof(user), "%.15s", q + 13);
	assert_string_equal(imsi, user);
	assert_has(o, "\"apn\":\"iot.example\""); /* not an identifier */
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_3gpp),
		cmocka_unit_test(test_stop_interim_on_off),
		cmocka_unit_test(test_framed_ipv6_prefix),
		cmocka_unit_test(test_vsa_bad_length),
		cmocka_unit_test(test_code_length_mismatch),
		cmocka_unit_test(test_every_cut),
		cmocka_unit_test(test_access),
		cmocka_unit_test(test_list_cap),
		cmocka_unit_test(test_pseudonymized),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
