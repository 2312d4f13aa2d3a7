/*
 * test-dis-gtpv2c.c - the GTPv2-C dissector (dissectors/gtpv2c.c): a
 * Create Session Request/Response pair on S5/S8 with nested Bearer
 * Contexts, TBCD with and without the 0xF filler, PAA for IPv4, IPv6 and
 * IPv4v6, Delete Session, piggybacking, pairing and what stays unmatched,
 * GTPv1 on the same port, and every cut of a message.
 *
 * The dissector is driven through its descriptor as the registry does;
 * what it found is read back from its apnwatch.gtpv2c output, and what it
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

extern const struct dissector dissector_gtpv2c;

/* ---------------------------------------------------------------------
 * The subscriber table's entry points, caught.
 * --------------------------------------------------------------------- */

struct id_call {
	char what[8];
	int source, rat_type;
	char addr[64];
	unsigned prefix_len;
	uint32_t teid[2];
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
	c->teid[0] = s->teid[0];
	c->teid[1] = s->teid[1];
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
 * Harness.
 * --------------------------------------------------------------------- */

struct h {
	struct counters cnt;
	struct dissect_ctx ctx;
	struct packet pkt;
	struct flow f;
	void *state;
	struct jw w;
};

/* The SGW 10.101.0.2 (direction 0) talks to the PGW 10.102.0.2. */
static void set_dir(struct h *h, int dir)
{
	static const uint8_t sgw[4] = {10, 101, 0, 2}, pgw[4] = {10, 102, 0, 2};
	h->pkt.src.family = h->pkt.dst.family = 4;
	memcpy(h->pkt.src.a, dir ? pgw : sgw, 4);
	memcpy(h->pkt.dst.a, dir ? sgw : pgw, 4);
}

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
	h->state = calloc(1, dissector_gtpv2c.state_size);
	assert_non_null(h->state);
	jw_init(&h->w);
	n_calls = 0;
	return h;
}

static void h_free(struct h *h)
{
	dissector_gtpv2c.free(h->state);
	free(h->state);
	identity_free(h->ctx.id);
	jw_free(&h->w);
	free(h);
}

static void feed(struct h *h, int dir, const uint8_t *p, size_t n, int cut_by_capture)
{
	set_dir(h, dir);
	h->pkt.caplen = 100;
	h->pkt.wirelen = cut_by_capture ? 200 : 100;
	h->ctx.now_us += 1000;
	dissector_gtpv2c.parse(&h->ctx, &h->f, h->state, dir, p, n);
}

static const char *out(struct h *h)
{
	jw_reset(&h->w);
	jw_obj_begin(&h->w, NULL);
	dissector_gtpv2c.json_apnwatch(h->state, &h->w);
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
 * Messages (S5/S8: SGW -> PGW and back).
 * --------------------------------------------------------------------- */

static const uint8_t cs_req[] = {
	0x48,             /* flags: version 2, P 0, T 1 */
	32,               /* Create Session Request */
	0x00, 0x7c,       /* length: 124 octets after the first 4 */
	0x00, 0x00, 0x00, 0x00, /* TEID 0: the PGW has none for us yet */
	0x4b, 0x54, 0x62, /* sequence 0x4b5462 */
	0x00,             /* spare */
	/* IMSI (1), len 8, instance 0: 262011234567895 (15 digits, 0xF filler) */
	0x01, 0x00, 0x08, 0x00, 0x62, 0x02, 0x11, 0x32, 0x54, 0x76, 0x98, 0xf5,
	/* MSISDN (76), len 6: 491701234567 (12 digits, no filler) */
	0x4c, 0x00, 0x06, 0x00, 0x94, 0x71, 0x10, 0x32, 0x54, 0x76,
	/* MEI (75), len 8: IMEI 866834041234560 (15 digits + 0xF) */
	0x4b, 0x00, 0x08, 0x00, 0x68, 0x86, 0x43, 0x40, 0x21, 0x43, 0x65, 0xf0,
	/* ULI (86), len 13: flags TAI|ECGI; TAI 262/01 TAC 0x1234;
	 * ECGI 262/01 ECI 0x1234567 */
	0x56, 0x00, 0x0d, 0x00, 0x18,
	0x62, 0xf2, 0x10, 0x12, 0x34,
	0x62, 0xf2, 0x10, 0x01, 0x23, 0x45, 0x67,
	/* RAT Type (82), len 1: EUTRAN (6) */
	0x52, 0x00, 0x01, 0x00, 0x06,
	/* F-TEID (87), len 9, instance 0 (sender): V4, S5/S8 SGW GTP-C (6),
	 * TEID 0x35529204, 10.101.0.2 */
	0x57, 0x00, 0x09, 0x00, 0x86, 0x35, 0x52, 0x92, 0x04, 10, 101, 0, 2,
	/* APN (71), len 12: labels "iot" "example" */
	0x47, 0x00, 0x0c, 0x00, 3, 'i', 'o', 't', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
	/* PAA (79), len 5: IPv4 0.0.0.0 (the PGW chooses) */
	0x4f, 0x00, 0x05, 0x00, 0x01, 0, 0, 0, 0,
	/* Bearer Context (93), len 18, grouped:
	 *   EBI (73), len 1: 5
	 *   F-TEID (87), len 9, instance 2: V4, S5/S8 SGW GTP-U (4),
	 *     TEID 0x35529205, 10.101.0.2 */
	0x5d, 0x00, 0x12, 0x00,
	0x49, 0x00, 0x01, 0x00, 0x05,
	0x57, 0x00, 0x09, 0x02, 0x84, 0x35, 0x52, 0x92, 0x05, 10, 101, 0, 2,
};

static const uint8_t cs_resp[] = {
	0x48, 33,         /* version 2, T; Create Session Response */
	0x00, 0x45,       /* length 69 */
	0x35, 0x52, 0x92, 0x04, /* TEID: the SGW's, from the request */
	0x4b, 0x54, 0x62, 0x00, /* the request's sequence */
	/* Cause (2), len 2: Request accepted (16) */
	0x02, 0x00, 0x02, 0x00, 16, 0x00,
	/* F-TEID (87), len 9, instance 1: V4, S5/S8 PGW GTP-C (7),
	 * TEID 0x35529206, 10.102.0.2 */
	0x57, 0x00, 0x09, 0x01, 0x87, 0x35, 0x52, 0x92, 0x06, 10, 102, 0, 2,
	/* PAA (79), len 5: IPv4 100.64.0.9 */
	0x4f, 0x00, 0x05, 0x00, 0x01, 100, 64, 0, 9,
	/* Bearer Context (93), len 24:
	 *   EBI 5; Cause (2) 16 (the bearer's, not the message's);
	 *   F-TEID instance 2: V4, S5/S8 PGW GTP-U (5), TEID 0x35529207 */
	0x5d, 0x00, 0x18, 0x00,
	0x49, 0x00, 0x01, 0x00, 0x05,
	0x02, 0x00, 0x02, 0x00, 16, 0x00,
	0x57, 0x00, 0x09, 0x02, 0x85, 0x35, 0x52, 0x92, 0x07, 10, 102, 0, 2,
	/* Recovery (3), len 1: 1 */
	0x03, 0x00, 0x01, 0x00, 0x01,
};

static const uint8_t ds_req[] = {
	0x48, 36, 0x00, 0x0d,   /* Delete Session Request, length 13 */
	0x35, 0x52, 0x92, 0x06, /* TEID: the PGW's control plane */
	0x00, 0x00, 0x07, 0x00, /* sequence 7 */
	0x49, 0x00, 0x01, 0x00, 0x05, /* EBI 5 */
};

static const uint8_t ds_resp[] = {
	0x48, 37, 0x00, 0x0e,   /* Delete Session Response, length 14 */
	0x35, 0x52, 0x92, 0x04, /* TEID: the SGW's, the session's requester */
	0x00, 0x00, 0x07, 0x00, /* sequence 7 */
	0x02, 0x00, 0x02, 0x00, 16, 0x00, /* Cause: accepted */
};

static const char session_json[] =
	"{\"imsi\":\"262011234567895\",\"mei\":\"866834041234560\",\"msisdn\":\"491701234567\","
	"\"apn\":\"iot.example\",\"paa\":{\"pdn_type\":\"ipv4\",\"ipv4\":\"100.64.0.9\"},"
	"\"rat_type\":6,\"uli\":{\"mcc\":\"262\",\"mnc\":\"01\",\"tac\":4660,\"eci\":19088743},"
	"\"cause\":16,\"session_id\":\"35529204@10.101.0.2\",\"teids\":["
	"{\"interface\":4,\"teid\":894603781,\"ip\":\"10.101.0.2\"},"
	"{\"interface\":5,\"teid\":894603783,\"ip\":\"10.102.0.2\"}]}";

static void test_create_delete(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	assert_int_equal(sizeof(cs_req), 4 + 124);
	assert_int_equal(sizeof(cs_resp), 4 + 69);
	assert_true(dissector_gtpv2c.probe(cs_req, sizeof(cs_req), 0));
	assert_true(dissector_gtpv2c.probe(cs_resp, sizeof(cs_resp), 1));
	feed(h, 0, cs_req, sizeof(cs_req), 0);
	const char *o = out(h);
	assert_has(o, "\"unmatched\":1"); /* the request waits */
	assert_int_equal(n_calls, 0);
	feed(h, 1, cs_resp, sizeof(cs_resp), 0);
	o = out(h);
	assert_has(o, "\"gtpv2c\":{\"messages\":2,\"types\":{\"Create Session Request\":1,"
		      "\"Create Session Response\":1},\"sessions\":[");
	assert_has(o, session_json);
	assert_has(o, "\"sessions_total\":1,\"unmatched\":0}");
	assert_int_equal(h->cnt.v[CNT_DIS_GTPV2C_FLOWS], 1);
	assert_int_equal(h->cnt.v[CNT_DIS_GTPV2C_MESSAGES], 2);
	assert_int_equal(h->cnt.v[CNT_DIS_GTPV2C_INVALID], 0);

	assert_int_equal(n_calls, 1);
	assert_string_equal(calls[0].what, "start");
	assert_int_equal(calls[0].source, ID_SRC_GTPV2C);
	assert_string_equal(calls[0].addr, "100.64.0.9");
	assert_int_equal(calls[0].prefix_len, 32);
	assert_string_equal(calls[0].imsi, "262011234567895");
	assert_string_equal(calls[0].imei, "866834041234560");
	assert_string_equal(calls[0].msisdn, "491701234567");
	assert_string_equal(calls[0].apn, "iot.example");
	assert_string_equal(calls[0].session_id, "35529204@10.101.0.2");
	assert_string_equal(calls[0].nas, "10.102.0.2");
	assert_int_equal(calls[0].rat_type, 6);
	assert_int_equal(calls[0].teid[0], 0x35529207); /* uplink: the PGW's S5-U */
	assert_int_equal(calls[0].teid[1], 0x35529205); /* downlink: the SGW's S5-U */

	feed(h, 0, ds_req, sizeof(ds_req), 0);
	feed(h, 1, ds_resp, sizeof(ds_resp), 0);
	assert_int_equal(n_calls, 2);
	assert_string_equal(calls[1].what, "stop");
	assert_string_equal(calls[1].session_id, "35529204@10.101.0.2");
	assert_string_equal(calls[1].addr, "100.64.0.9");
	o = out(h);
	assert_has(o, "\"Delete Session Request\":1,\"Delete Session Response\":1}");
	assert_has(o, "\"unmatched\":0}");
	h_free(h);
}

/* Create Session Response alone, with a PAA of each type, from a copy of
 * cs_resp whose PAA is replaced. */
static size_t resp_with_paa(uint8_t *buf, const uint8_t *paa, size_t paa_len)
{
	/* cs_resp's PAA IE starts at 12 + 6 + 13 = 31 and takes 9 octets. */
	size_t at = 31, old = 9;
	assert_int_equal(cs_resp[at], 79);
	memcpy(buf, cs_resp, at);
	memcpy(buf + at, paa, paa_len);
	memcpy(buf + at + paa_len, cs_resp + at + old, sizeof(cs_resp) - at - old);
	size_t n = sizeof(cs_resp) - old + paa_len;
	buf[2] = (uint8_t)((n - 4) >> 8);
	buf[3] = (uint8_t)(n - 4);
	return n;
}

static void test_paa_types(void **unused)
{
	(void)unused;
	static const uint8_t v6[] = {
		0x4f, 0x00, 0x12, 0x00, /* PAA, len 18 */
		0x02,                   /* PDN type IPv6 */
		64,                     /* prefix length */
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	static const uint8_t v4v6[] = {
		0x4f, 0x00, 0x16, 0x00, /* PAA, len 22 */
		0x03,                   /* PDN type IPv4v6 */
		64, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0,
		100, 64, 0, 10,         /* IPv4 after the IPv6 prefix */
	};
	static const uint8_t v6_short[] = {
		0x4f, 0x00, 0x05, 0x00, 0x02, 64, 0x20, 0x01, 0x0d, /* IPv6 cut at 3 octets */
	};
	uint8_t buf[sizeof(cs_resp) + 32];
	struct h *h = h_new();
	feed(h, 0, cs_req, sizeof(cs_req), 0);
	size_t n = resp_with_paa(buf, v6, sizeof(v6));
	assert_true(dissector_gtpv2c.probe(buf, n, 1));
	feed(h, 1, buf, n, 0);
	assert_has(out(h), "\"paa\":{\"pdn_type\":\"ipv6\",\"ipv6\":\"2001:db8:1:2::/64\"}");
	assert_int_equal(n_calls, 1);
	assert_string_equal(calls[0].addr, "v6:20010db8");
	assert_int_equal(calls[0].prefix_len, 64);
	assert_string_equal(calls[0].session_id, "35529204@10.101.0.2");
	h_free(h);

	h = h_new();
	feed(h, 0, cs_req, sizeof(cs_req), 0);
	n = resp_with_paa(buf, v4v6, sizeof(v4v6));
	feed(h, 1, buf, n, 0);
	assert_has(out(h), "\"paa\":{\"pdn_type\":\"ipv4v6\",\"ipv4\":\"100.64.0.10\","
			   "\"ipv6\":\"2001:db8:1:2::/64\"}");
	assert_int_equal(n_calls, 2); /* one session per address */
	assert_string_equal(calls[0].addr, "100.64.0.10");
	assert_string_equal(calls[0].session_id, "35529204@10.101.0.2");
	assert_string_equal(calls[1].addr, "v6:20010db8");
	assert_string_equal(calls[1].session_id, "35529204@10.101.0.2#v6");
	feed(h, 0, ds_req, sizeof(ds_req), 0);
	feed(h, 1, ds_resp, sizeof(ds_resp), 0);
	assert_int_equal(n_calls, 4); /* both end */
	assert_string_equal(calls[2].session_id, "35529204@10.101.0.2");
	assert_string_equal(calls[3].session_id, "35529204@10.101.0.2#v6");
	h_free(h);

	h = h_new();
	feed(h, 0, cs_req, sizeof(cs_req), 0);
	n = resp_with_paa(buf, v6_short, sizeof(v6_short));
	feed(h, 1, buf, n, 0);
	assert_int_equal(h->cnt.v[CNT_DIS_GTPV2C_INVALID], 1);
	assert_int_equal(n_calls, 0);
	assert_has(out(h), "\"unmatched\":1"); /* the request never got a valid answer */
	h_free(h);
}

static void test_tbcd(void **unused)
{
	(void)unused;
	uint8_t m[sizeof(cs_req)];
	struct h *h = h_new();
	/* IMSI octets are at 16..23; MSISDN at 28..33. */
	memcpy(m, cs_req, sizeof(m));
	m[17] = 0x1a; /* a digit A */
	feed(h, 0, m, sizeof(m), 0);
	memcpy(m, cs_req, sizeof(m));
	m[20] = 0xf5; /* the filler, then a digit */
	feed(h, 0, m, sizeof(m), 0);
	memcpy(m, cs_req, sizeof(m));
	m[33] = 0xe6; /* MSISDN digit E */
	feed(h, 0, m, sizeof(m), 0);
	assert_int_equal(h->cnt.v[CNT_DIS_GTPV2C_INVALID], 3);
	assert_has(out(h), "\"sessions\":[]");

	/* A filler in the low nibble too ends the number (14 digits). */
	memcpy(m, cs_req, sizeof(m));
	m[23] = 0xff;
	feed(h, 0, m, sizeof(m), 0);
	assert_int_equal(h->cnt.v[CNT_DIS_GTPV2C_INVALID], 3);
	assert_has(out(h), "\"imsi\":\"26201123456789\"");
	h_free(h);
}

static void test_unmatched_and_piggyback(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	/* A response without its request. */
	feed(h, 1, ds_resp, sizeof(ds_resp), 0);
	assert_has(out(h), "\"unmatched\":1");
	assert_int_equal(h->cnt.v[CNT_DIS_GTPV2C_UNMATCHED], 1);
	/* ... still ends the session it names: the requester is the
	 * response's destination. */
	assert_int_equal(n_calls, 2);
	assert_string_equal(calls[0].session_id, "35529204@10.101.0.2");
	assert_string_equal(calls[1].session_id, "35529204@10.101.0.2#v6");

	/* A response in the same direction as the request is not its answer. */
	feed(h, 0, cs_req, sizeof(cs_req), 0);
	feed(h, 0, cs_resp, sizeof(cs_resp), 0);
	assert_has(out(h), "\"sessions_total\":2,\"unmatched\":3");

	/* Echo Request with a piggybacked Echo Response (flags P). */
	static const uint8_t echo2[] = {
		0x50, 1, 0x00, 0x09, 0x00, 0x00, 0x10, 0x00, 0x03, 0x00, 0x01, 0x00, 0x07,
		0x40, 2, 0x00, 0x09, 0x00, 0x00, 0x20, 0x00, 0x03, 0x00, 0x01, 0x00, 0x07,
	};
	assert_true(dissector_gtpv2c.probe(echo2, sizeof(echo2), 0));
	assert_false(dissector_gtpv2c.probe(echo2, 13, 0)); /* P without a second message */
	feed(h, 0, echo2, sizeof(echo2), 0);
	const char *o = out(h);
	assert_has(o, "\"types\":{\"Echo Request\":1,\"Echo Response\":1,");
	assert_has(o, "\"unmatched\":5"); /* neither pairs: same direction */

	/* More requests than the table holds: the oldest are unmatched. */
	static uint8_t echo[] = {0x40, 1, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x07};
	for (int i = 0; i < 40; i++) {
		echo[6] = (uint8_t)(0x40 + i);
		feed(h, 1, echo, sizeof(echo), 0);
	}
	assert_has(out(h), "\"unmatched\":45");
	h_free(h);
}

static void test_other_version(void **unused)
{
	(void)unused;
	/* GTPv1-C Echo Request on port 2123: not ours, counted apart. */
	static const uint8_t v1[] = {0x32, 0x01, 0x00, 0x04, 0, 0, 0, 0, 0x12, 0x34, 0x00, 0x00};
	struct h *h = h_new();
	assert_false(dissector_gtpv2c.probe(v1, sizeof(v1), 0));
	feed(h, 0, v1, sizeof(v1), 0);
	assert_int_equal(h->cnt.v[CNT_DIS_GTPV2C_OTHER_VERSION], 1);
	assert_int_equal(h->cnt.v[CNT_DIS_GTPV2C_INVALID], 0);
	assert_int_equal(h->cnt.v[CNT_DIS_GTPV2C_MESSAGES], 0);
	assert_has(out(h), "\"other_version\":1}");

	/* Length shorter than the header it announces; unknown type. */
	static const uint8_t shortlen[] = {0x48, 32, 0x00, 0x04, 0, 0, 0, 0};
	assert_false(dissector_gtpv2c.probe(shortlen, sizeof(shortlen), 0));
	feed(h, 0, shortlen, sizeof(shortlen), 0);
	assert_int_equal(h->cnt.v[CNT_DIS_GTPV2C_INVALID], 1);
	static const uint8_t unknown[] = {0x40, 250, 0x00, 0x04, 0, 0, 1, 0};
	assert_false(dissector_gtpv2c.probe(unknown, sizeof(unknown), 0));
	feed(h, 0, unknown, sizeof(unknown), 0);
	assert_has(out(h), "\"250\":1");
	h_free(h);
}

/* Every cut of the request: truncated when the capture cut it, invalid
 * when not; never listed, never paired. */
static void test_every_cut(void **unused)
{
	(void)unused;
	for (size_t n = 0; n < sizeof(cs_req); n++) {
		struct h *h = h_new();
		uint8_t *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, cs_req, n);
		feed(h, 0, copy, n, 1);
		assert_int_equal(h->cnt.v[CNT_DIS_GTPV2C_TRUNC], 1);
		assert_int_equal(h->cnt.v[CNT_DIS_GTPV2C_INVALID], 0);
		feed(h, 0, copy, n, 0);
		assert_int_equal(h->cnt.v[CNT_DIS_GTPV2C_INVALID], 1);
		feed(h, 1, cs_resp, sizeof(cs_resp), 0);
		assert_int_equal(n_calls, 0);
		assert_has(out(h), "\"unmatched\":1");
		free(copy);
		h_free(h);
	}
	for (size_t n = 0; n < sizeof(cs_resp); n++) {
		struct h *h = h_new();
		uint8_t *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, cs_resp, n);
		feed(h, 0, cs_req, sizeof(cs_req), 0);
		feed(h, 1, copy, n, 1);
		assert_int_equal(h->cnt.v[CNT_DIS_GTPV2C_TRUNC], 1);
		assert_int_equal(n_calls, 0);
		free(copy);
		h_free(h);
	}
}

/* An IE running past its message, and a Bearer Context whose inner IE
 * runs past the group: invalid. */
static void test_ie_overrun(void **unused)
{
	(void)unused;
	uint8_t m[sizeof(cs_resp)];
	struct h *h = h_new();
	memcpy(m, cs_resp, sizeof(m));
	m[sizeof(m) - 3] = 0x09; /* Recovery says 9 octets, 1 is there */
	feed(h, 1, m, sizeof(m), 0);
	memcpy(m, cs_resp, sizeof(m));
	m[40 + 4 + 5 + 6 + 2] = 0x0a; /* the bearer's F-TEID says 10 */
	feed(h, 1, m, sizeof(m), 0);
	assert_int_equal(h->cnt.v[CNT_DIS_GTPV2C_INVALID], 2);
	assert_int_equal(h->cnt.v[CNT_DIS_GTPV2C_TRUNC], 0);
	h_free(h);
}

/* With --pseudonymize, IMSI, MEI and MSISDN go out as pseudonyms. */
static void test_pseudonymized(void **unused)
{
	(void)unused;
	char key[] = "/tmp/test-dis-gtpv2c-key.XXXXXX";
	int fd = mkstemp(key);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789abcdef0123456789abcdef", 32), 32);
	close(fd);
	struct h *h = h_new();
	identity_free(h->ctx.id);
	h->ctx.id = table_new(&h->cnt, key);
	unlink(key);
	feed(h, 0, cs_req, sizeof(cs_req), 0);
	feed(h, 1, cs_resp, sizeof(cs_resp), 0);
	const char *o = out(h);
	assert_null(strstr(o, "262011234567895"));
	assert_null(strstr(o, "866834041234560"));
	assert_null(strstr(o, "491701234567"));
	assert_has(o, "\"imsi\":\"");
	assert_has(o, "\"mei\":\"");
	assert_has(o, "\"apn\":\"iot.example\"");
	/* The table itself is told the real values. */
	assert_string_equal(calls[0].imsi, "262011234567895");
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_delete),
		cmocka_unit_test(test_paa_types),
		cmocka_unit_test(test_tbcd),
		cmocka_unit_test(test_unmatched_and_piggyback),
		cmocka_unit_test(test_other_version),
		cmocka_unit_test(test_every_cut),
		cmocka_unit_test(test_ie_overrun),
		cmocka_unit_test(test_pseudonymized),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
