/*
 * test-dis-identity.c - the identity core (src/identity.c): the subscriber
 * table (IPv4 and IPv6-prefix bindings, Interim-Updates, stops, NAS resets,
 * address reuse, eviction, TEIDs, LwM2M filling in), the flow fields and
 * device events it writes, IMEISV -> IMEI, the TAC catalog's format and
 * its errors (file:line), and pseudonymisation (stable, format-keeping, a
 * permutation, the key file's checks).
 *
 * Device events are written through a real struct output into a memory
 * stream and compared as substrings; flow fields through a jw buffer,
 * compared as exact strings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "util-cidr.h"

#include "identity.h"
#include "output.h"
#include "util-json.h"

#define SEC 1000000ull
#define T0 (1735689600ull * SEC)

/* ---------------------------------------------------------------------
 * Fixture: a table with a small catalog of our own, device events into
 * a memory stream.
 * --------------------------------------------------------------------- */

struct fx {
	struct counters cnt;
	struct output out;
	FILE *fp;
	char *buf;
	size_t len;
	struct identity_table *t;
	char dir[64];
	char catalog[96];
	char json[4096];
};

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

static const char *CATALOG = "# test catalog\n"
			     "tac,manufacturer,model,source\n"
			     "86683404,Quectel,EC25-AF,test\n"
			     "86439404,Quectel,EC21-EC,test\n"
			     "35209900,\"Acme, Inc.\",\"Model \"\"X\"\"\",test\n";

static struct fx *fx_new(size_t max, const char *key, int json)
{
	struct fx *x = calloc(1, sizeof(*x));
	assert_non_null(x);
	snprintf(x->dir, sizeof(x->dir), "/tmp/test-identity.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->catalog, sizeof(x->catalog), "%s/tac.csv", x->dir);
	write_file(x->catalog, CATALOG, 0644);
	x->fp = open_memstream(&x->buf, &x->len);
	assert_non_null(x->fp);
	assert_int_equal(output_init(&x->out, x->fp, json, "test", NULL, &x->cnt), 0);
	struct identity_config c;
	identity_config_defaults(&c);
	c.builtin_tac_file = x->catalog;
	c.max_subscribers = max;
	c.pseudonymize_key = key;
	x->t = identity_new(&c, &x->cnt, &x->out);
	assert_non_null(x->t);
	return x;
}

static void fx_free(struct fx *x)
{
	char cmd[128];
	identity_free(x->t);
	output_free(&x->out);
	fclose(x->fp);
	free(x->buf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->dir);
	assert_int_equal(system(cmd), 0);
	free(x);
}

/* The device events written so far. */
static const char *events(struct fx *x)
{
	fflush(x->fp);
	return x->buf ? x->buf : "";
}

static int count_of(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static struct ip_addr ip(const char *s)
{
	struct ip_addr a;
	ip_addr_parse(s, &a); /* zeroed when not an address */
	return a;
}

static struct subscriber_info radius(const char *addr, const char *imsi, const char *imei,
				     const char *sid)
{
	struct subscriber_info s;
	memset(&s, 0, sizeof(s));
	s.source = ID_SRC_RADIUS;
	if (addr) {
		char a[64];
		snprintf(a, sizeof(a), "%s", addr);
		char *slash = strchr(a, '/');
		if (slash)
			*slash = '\0';
		s.addr = ip(a);
		s.prefix_len = slash ? (uint8_t)atoi(slash + 1) : (s.addr.family == 4 ? 32 : 128);
	}
	s.imsi = imsi;
	s.imei = imei;
	s.msisdn = "999022213235";
	s.apn = "iot.example";
	s.session_id = sid;
	s.nas = "198.51.100.1";
	s.rat_type = 6;
	return s;
}

/* A flow from device address dev to 192.0.2.1 (or 2001:db8::1). */
static struct flow flow_from(const char *dev, uint64_t first, uint64_t last)
{
	struct flow f;
	memset(&f, 0, sizeof(f));
	struct ip_addr d = ip(dev), s = ip(d.family == 4 ? "192.0.2.1" : "2001:db8::1");
	f.key.family = d.family;
	f.key.proto = 17;
	memcpy(f.key.addr_lo, d.a, 16);
	memcpy(f.key.addr_hi, s.a, 16);
	f.key.port_lo = 40000;
	f.key.port_hi = 443;
	f.src_is_lo = 1;
	f.initiator_is_src = 1;
	f.first_us = first;
	f.last_us = last;
	return f;
}

/* The flow's device and apnwatch fields as {"device":...,"subscriber":...}. */
static const char *flow_json(struct fx *x, const struct flow *f)
{
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w, NULL);
	identity_json_device(x->t, f, &w);
	identity_json_apnwatch(x->t, f, &w);
	jw_end(&w);
	snprintf(x->json, sizeof(x->json), "%.*s", (int)w.len, w.buf);
	jw_free(&w);
	return x->json;
}

static const char *flow_imsi(struct fx *x, const char *dev, uint64_t first, uint64_t last)
{
	static char imsi[32];
	struct flow f = flow_from(dev, first, last);
	const char *j = flow_json(x, &f), *p = strstr(j, "\"imsi\":\"");
	if (p == NULL)
		return "";
	snprintf(imsi, sizeof(imsi), "%.15s", p + 8);
	char *q = strchr(imsi, '"');
	if (q)
		*q = '\0';
	return imsi;
}

/* ---------------------------------------------------------------------
 * IMEI check digits.
 * --------------------------------------------------------------------- */

static void test_luhn(void **state)
{
	(void)state;
	assert_int_equal(identity_luhn_digit("49015420323751"), '8');
	assert_int_equal(identity_luhn_digit("86683404566561"), '4'); /* apngen's first device */
	assert_int_equal(identity_luhn_digit("35209900176148"), '1'); /* TS 23.003's example */
	assert_int_equal(identity_luhn_digit("3520990017614"), 0);
	assert_int_equal(identity_luhn_digit("3520990017614x"), 0);
	assert_int_equal(identity_luhn_digit(NULL), 0);
}

static void test_imeisv_gives_imei(void **state)
{
	(void)state;
	struct fx *x = fx_new(100, NULL, 1);
	struct subscriber_info s = radius("100.64.0.1", "001012821780235", "8668340456656101", "s1");
	identity_session_start(x->t, &s, T0);
	struct flow f = flow_from("100.64.0.1", T0 + SEC, T0 + 2 * SEC);
	assert_string_equal(flow_json(x, &f),
			    "{\"device\":{\"id\":\"866834045665614\",\"manufacturer\":\"Quectel\","
			    "\"model\":{\"identifier\":\"EC25-AF\"}},"
			    "\"subscriber\":{\"imsi\":\"001012821780235\",\"msisdn\":\"999022213235\","
			    "\"apn\":\"iot.example\",\"session_id\":\"s1\",\"source\":\"radius\","
			    "\"rat_type\":6},"
			    "\"imei\":{\"tac\":\"86683404\",\"imeisv\":\"8668340456656101\"}}");
	assert_int_equal(x->cnt.v[CNT_ID_FLOWS_IDENTIFIED], 1);
	/* A 14-digit IMEI (no check digit) gets one. */
	s = radius("100.64.0.2", "001012821780236", "86439404745781", "s2");
	identity_session_start(x->t, &s, T0);
	f = flow_from("100.64.0.2", T0 + SEC, T0 + SEC);
	assert_non_null(strstr(flow_json(x, &f), "\"id\":\"864394047457819\""));
	fx_free(x);
}

/* ---------------------------------------------------------------------
 * Binding and lookup.
 * --------------------------------------------------------------------- */

static void test_bind_ipv4(void **state)
{
	(void)state;
	struct fx *x = fx_new(100, NULL, 1);
	struct subscriber_info s = radius("100.64.0.1", "001010000000001", "866834045665614", "a");
	identity_session_start(x->t, &s, T0);
	assert_string_equal(flow_imsi(x, "100.64.0.1", T0 + SEC, T0 + 9 * SEC), "001010000000001");
	assert_string_equal(flow_imsi(x, "100.64.0.2", T0 + SEC, T0 + 9 * SEC), "");
	/* An unknown device: nothing at all. */
	struct flow f = flow_from("100.64.0.9", T0 + SEC, T0 + SEC);
	assert_string_equal(flow_json(x, &f), "{}");
	assert_int_equal(identity_active_sessions(x->t), 1);
	assert_int_equal(x->cnt.v[CNT_ID_SESSIONS_STARTED], 1);
	assert_int_equal(x->cnt.v[CNT_ID_ACTIVE_MAX], 1);
	const char *ev = events(x);
	assert_int_equal(count_of(ev, "\"dataset\":\"apnwatch.device\""), 1);
	assert_non_null(strstr(ev, "\"event\":{\"kind\":\"event\",\"category\":[\"session\"],"
				   "\"type\":[\"start\"],\"action\":\"session-start\","
				   "\"dataset\":\"apnwatch.device\""));
	assert_non_null(strstr(ev, "\"source\":{\"ip\":\"100.64.0.1\"}"));
	assert_non_null(strstr(ev, "\"device\":{\"id\":\"866834045665614\",\"manufacturer\":"
				   "\"Quectel\",\"model\":{\"identifier\":\"EC25-AF\"}}"));
	assert_non_null(strstr(ev, "\"nas\":\"198.51.100.1\""));
	assert_non_null(strstr(ev, "\"start\":\"2025-01-01T00:00:00.000000Z\""));
	fx_free(x);
}

static void test_bind_ipv6_prefix(void **state)
{
	(void)state;
	struct fx *x = fx_new(100, NULL, 1);
	struct subscriber_info s = radius("2001:db8:1:2::/64", "001010000000064", NULL, "p64");
	identity_session_start(x->t, &s, T0);
	assert_string_equal(flow_imsi(x, "2001:db8:1:2::abcd", T0 + SEC, T0 + SEC), "001010000000064");
	assert_string_equal(flow_imsi(x, "2001:db8:1:2:ffff:ffff:ffff:ffff", T0 + SEC, T0 + SEC),
			    "001010000000064");
	assert_string_equal(flow_imsi(x, "2001:db8:1:3::1", T0 + SEC, T0 + SEC), "");
	/* Host bits in the prefix are ignored. */
	s = radius("2001:db8:9:9::77/64", "001010000000099", NULL, "p99");
	identity_session_start(x->t, &s, T0);
	assert_string_equal(flow_imsi(x, "2001:db8:9:9::1", T0 + SEC, T0 + SEC), "001010000000099");
	/* The longest prefix wins: a /128 inside the /64. */
	s = radius("2001:db8:1:2::5", "001010000000128", NULL, "p128");
	s.source = ID_SRC_GTPV2C;
	identity_session_start(x->t, &s, T0);
	assert_string_equal(flow_imsi(x, "2001:db8:1:2::5", T0 + SEC, T0 + SEC), "001010000000128");
	assert_string_equal(flow_imsi(x, "2001:db8:1:2::6", T0 + SEC, T0 + SEC), "001010000000064");
	/* A /56 holds many /64s. */
	s = radius("2001:db8:100::/56", "001010000000056", NULL, "p56");
	identity_session_start(x->t, &s, T0);
	assert_string_equal(flow_imsi(x, "2001:db8:100:ff::1", T0 + SEC, T0 + SEC), "001010000000056");
	assert_string_equal(flow_imsi(x, "2001:db8:101::1", T0 + SEC, T0 + SEC), "");
	/* The event names the prefix. */
	assert_non_null(strstr(events(x), "\"ip_prefix\":\"2001:db8:1:2::/64\""));
	assert_non_null(strstr(events(x), "\"source\":{\"ip\":\"2001:db8:1:2::\"}"));
	fx_free(x);
}

static void test_interim_update(void **state)
{
	(void)state;
	struct fx *x = fx_new(100, NULL, 1);
	struct subscriber_info s = radius("100.64.0.1", "001010000000001", NULL, "sess-1");
	identity_session_start(x->t, &s, T0);
	s.apn = "fleet.example";
	s.imei = "8668340456656101"; /* the Interim-Update adds the IMEISV */
	s.rat_type = 10;
	identity_session_start(x->t, &s, T0 + 60 * SEC);
	assert_int_equal(x->cnt.v[CNT_ID_SESSIONS_STARTED], 1);
	assert_int_equal(count_of(events(x), "\"apnwatch.device\""), 1);
	struct flow f = flow_from("100.64.0.1", T0 + 61 * SEC, T0 + 62 * SEC);
	const char *j = flow_json(x, &f);
	assert_non_null(strstr(j, "\"apn\":\"fleet.example\""));
	assert_non_null(strstr(j, "\"rat_type\":10"));
	assert_non_null(strstr(j, "\"id\":\"866834045665614\""));
	/* A Start of the same subscriber on the same address with a new
	 * session id carries on: no new event. */
	s.session_id = "sess-2";
	identity_session_start(x->t, &s, T0 + 70 * SEC);
	assert_int_equal(count_of(events(x), "\"apnwatch.device\""), 1);
	assert_int_equal(identity_active_sessions(x->t), 1);
	f = flow_from("100.64.0.1", T0 + 71 * SEC, T0 + 72 * SEC);
	assert_non_null(strstr(flow_json(x, &f), "\"session_id\":\"sess-2\""));
	fx_free(x);
}

static void test_stop(void **state)
{
	(void)state;
	struct fx *x = fx_new(100, NULL, 1);
	struct subscriber_info s = radius("100.64.0.1", "001010000000001", NULL, "a");
	identity_session_start(x->t, &s, T0);
	/* A Stop for another session at that address is stale: ignored. */
	struct subscriber_info stale = radius("100.64.0.1", "001010000000001", NULL, "old");
	identity_session_stop(x->t, &stale, T0 + 5 * SEC);
	assert_int_equal(identity_active_sessions(x->t), 1);
	identity_session_stop(x->t, &s, T0 + 10 * SEC);
	assert_int_equal(identity_active_sessions(x->t), 0);
	assert_int_equal(x->cnt.v[CNT_ID_SESSIONS_ENDED], 1);
	const char *ev = events(x);
	assert_non_null(strstr(ev, "\"type\":[\"end\"],\"action\":\"session-end\""));
	assert_non_null(strstr(ev, "\"reason\":\"stop\""));
	/* Flows that ran during the session are still named after it; a
	 * flow that began after the Stop is not. */
	assert_string_equal(flow_imsi(x, "100.64.0.1", T0 + SEC, T0 + 20 * SEC), "001010000000001");
	assert_string_equal(flow_imsi(x, "100.64.0.1", T0 + 11 * SEC, T0 + 20 * SEC), "");
	/* Accounting may trail the first packets by a little. */
	assert_string_equal(flow_imsi(x, "100.64.0.1", T0 - 2 * SEC, T0 - SEC), "001010000000001");
	assert_string_equal(flow_imsi(x, "100.64.0.1", T0 - 60 * SEC, T0 - 50 * SEC), "");

	/* A Stop by session id alone. */
	s = radius("100.64.0.2", "001010000000002", NULL, "b");
	identity_session_start(x->t, &s, T0 + 30 * SEC);
	struct subscriber_info by_sid = radius(NULL, NULL, NULL, "b");
	identity_session_stop(x->t, &by_sid, T0 + 40 * SEC);
	assert_int_equal(identity_active_sessions(x->t), 0);
	/* A Stop nobody matches changes nothing. */
	identity_session_stop(x->t, &by_sid, T0 + 41 * SEC);
	assert_int_equal(x->cnt.v[CNT_ID_SESSIONS_ENDED], 2);

	/* Past the linger time an ended session names nothing. */
	s = radius("100.64.0.3", "001010000000003", NULL, "c");
	identity_session_start(x->t, &s, T0 + 50 * SEC);
	assert_string_equal(flow_imsi(x, "100.64.0.1", T0 + SEC, T0 + 2 * SEC), "001010000000001");
	identity_session_start(x->t, &s, T0 + 5000 * SEC);
	assert_string_equal(flow_imsi(x, "100.64.0.1", T0 + SEC, T0 + 2 * SEC), "");
	fx_free(x);
}

static void test_nas_reset(void **state)
{
	(void)state;
	struct fx *x = fx_new(100, NULL, 1);
	struct subscriber_info s = radius("100.64.0.1", "001010000000001", NULL, "a");
	identity_session_start(x->t, &s, T0);
	s = radius("100.64.0.2", "001010000000002", NULL, "b");
	identity_session_start(x->t, &s, T0);
	s = radius("100.64.0.3", "001010000000003", NULL, "c");
	s.nas = "pgw2";
	identity_session_start(x->t, &s, T0);
	identity_nas_reset(x->t, "198.51.100.1", T0 + SEC);
	assert_int_equal(identity_active_sessions(x->t), 1);
	assert_int_equal(count_of(events(x), "\"reason\":\"nas_reset\""), 2);
	identity_nas_reset(x->t, "nobody", T0 + SEC);
	identity_nas_reset(x->t, "", T0 + SEC);
	identity_nas_reset(x->t, NULL, T0 + SEC);
	assert_int_equal(identity_active_sessions(x->t), 1);
	assert_string_equal(flow_imsi(x, "100.64.0.3", T0 + 2 * SEC, T0 + 2 * SEC),
			    "001010000000003");
	fx_free(x);
}

static void test_address_reuse(void **state)
{
	(void)state;
	struct fx *x = fx_new(100, NULL, 1);
	struct subscriber_info a = radius("100.64.0.1", "001010000000001", NULL, "a");
	struct subscriber_info b = radius("100.64.0.1", "001010000000002", NULL, "b");
	identity_session_start(x->t, &a, T0 + 10 * SEC);
	identity_session_start(x->t, &b, T0 + 20 * SEC);
	assert_int_equal(x->cnt.v[CNT_ID_ADDRESS_REUSED], 1);
	assert_int_equal(x->cnt.v[CNT_ID_SESSIONS_STARTED], 2);
	assert_int_equal(x->cnt.v[CNT_ID_SESSIONS_ENDED], 1);
	assert_int_equal(identity_active_sessions(x->t), 1);
	const char *ev = events(x);
	const char *rep = strstr(ev, "\"action\":\"replaced\"");
	assert_non_null(rep);
	assert_non_null(strstr(ev, "\"reason\":\"address_reused\""));
	/* The replaced event names the old subscriber. */
	const char *line_end = strchr(rep, '\n');
	const char *old = strstr(rep, "001010000000001");
	assert_true(old != NULL && old < line_end);
	/* Each flow is named after the subscriber bound when it began. */
	assert_string_equal(flow_imsi(x, "100.64.0.1", T0 + 15 * SEC, T0 + 30 * SEC),
			    "001010000000001");
	assert_string_equal(flow_imsi(x, "100.64.0.1", T0 + 25 * SEC, T0 + 30 * SEC),
			    "001010000000002");
	/* The old session's late Stop does not end the new one. */
	identity_session_stop(x->t, &a, T0 + 30 * SEC);
	assert_int_equal(identity_active_sessions(x->t), 1);
	/* Many reuses of one address keep a bounded history. */
	for (int i = 0; i < 50; i++) {
		char imsi[16];
		snprintf(imsi, sizeof(imsi), "0010100000001%02d", i);
		struct subscriber_info c = radius("100.64.0.1", imsi, NULL, NULL);
		identity_session_start(x->t, &c, T0 + (uint64_t)(40 + i) * SEC);
	}
	assert_int_equal(x->cnt.v[CNT_ID_ADDRESS_REUSED], 51);
	assert_int_equal(identity_active_sessions(x->t), 1);
	assert_string_equal(flow_imsi(x, "100.64.0.1", T0 + 89 * SEC + 1, T0 + 90 * SEC),
			    "001010000000149");
	fx_free(x);
}

static void test_eviction(void **state)
{
	(void)state;
	struct fx *x = fx_new(2, NULL, 1);
	for (int i = 1; i <= 3; i++) {
		char addr[32], imsi[16];
		snprintf(addr, sizeof(addr), "100.64.0.%d", i);
		snprintf(imsi, sizeof(imsi), "00101000000000%d", i);
		struct subscriber_info s = radius(addr, imsi, NULL, NULL);
		identity_session_start(x->t, &s, T0 + (uint64_t)i * SEC);
	}
	assert_int_equal(x->cnt.v[CNT_ID_EVICTED], 1);
	assert_int_equal(identity_active_sessions(x->t), 2);
	assert_int_equal(x->cnt.v[CNT_ID_ACTIVE_MAX], 2);
	assert_non_null(strstr(events(x), "\"reason\":\"evicted\""));
	assert_string_equal(flow_imsi(x, "100.64.0.1", T0 + 5 * SEC, T0 + 5 * SEC), "");
	assert_string_equal(flow_imsi(x, "100.64.0.3", T0 + 5 * SEC, T0 + 5 * SEC),
			    "001010000000003");
	/* Ended sessions go before bound ones. */
	struct subscriber_info s = radius("100.64.0.2", "001010000000002", NULL, NULL);
	identity_session_stop(x->t, &s, T0 + 6 * SEC);
	s = radius("100.64.0.4", "001010000000004", NULL, NULL);
	identity_session_start(x->t, &s, T0 + 7 * SEC);
	assert_int_equal(x->cnt.v[CNT_ID_EVICTED], 1);
	assert_int_equal(identity_active_sessions(x->t), 2);
	fx_free(x);
}

static void test_many_sessions(void **state)
{
	(void)state;
	struct fx *x = fx_new(100000, NULL, 0);
	char addr[32], imsi[16];
	for (int i = 0; i < 5000; i++) {
		snprintf(addr, sizeof(addr), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		snprintf(imsi, sizeof(imsi), "00101%010d", i);
		struct subscriber_info s = radius(addr, imsi, NULL, addr);
		identity_session_start(x->t, &s, T0);
	}
	for (int i = 0; i < 5000; i += 7) {
		snprintf(addr, sizeof(addr), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		snprintf(imsi, sizeof(imsi), "00101%010d", i);
		assert_string_equal(flow_imsi(x, addr, T0 + SEC, T0 + SEC), imsi);
	}
	for (int i = 0; i < 5000; i += 2) {
		snprintf(addr, sizeof(addr), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		struct subscriber_info s = radius(NULL, NULL, NULL, addr);
		identity_session_stop(x->t, &s, T0 + SEC);
	}
	assert_int_equal(identity_active_sessions(x->t), 2500);
	fx_free(x);
}

static void test_teid(void **state)
{
	(void)state;
	struct fx *x = fx_new(100, NULL, 1);
	struct subscriber_info s = radius(NULL, "001010000000007", "866834045665614", "gtp-1");
	s.source = ID_SRC_GTPV2C;
	s.teid[0] = 0x1111;
	s.teid[1] = 0x2222;
	identity_session_start(x->t, &s, T0);
	struct flow f = flow_from("10.9.9.9", T0 + SEC, T0 + SEC);
	f.gtp = 1;
	f.teid = 0x2222;
	assert_non_null(strstr(flow_json(x, &f), "\"imsi\":\"001010000000007\""));
	f.teid = 0x1111;
	assert_non_null(strstr(flow_json(x, &f), "\"source\":\"gtpv2c\""));
	f.teid = 0x3333;
	assert_string_equal(flow_json(x, &f), "{}");
	f.gtp = 0;
	f.teid = 0x1111;
	assert_string_equal(flow_json(x, &f), "{}");
	/* A new session taking the TEID takes it from the old one. */
	s = radius(NULL, "001010000000008", NULL, "gtp-2");
	s.source = ID_SRC_GTPV2C;
	s.teid[0] = 0x1111;
	identity_session_start(x->t, &s, T0 + 10 * SEC);
	f = flow_from("10.9.9.9", T0 + 11 * SEC, T0 + 11 * SEC);
	f.gtp = 1;
	f.teid = 0x1111;
	assert_non_null(strstr(flow_json(x, &f), "\"imsi\":\"001010000000008\""));
	/* Ended by session id: still names the flows that ran during it. */
	identity_session_stop(x->t, &s, T0 + 20 * SEC);
	assert_non_null(strstr(flow_json(x, &f), "\"imsi\":\"001010000000008\""));
	assert_non_null(strstr(events(x), "\"teid_uplink\":4369"));
	fx_free(x);
}

static void test_lwm2m(void **state)
{
	(void)state;
	struct fx *x = fx_new(100, NULL, 1);
	/* RADIUS gave only the IMSI; LwM2M's endpoint name gives the IMEI. */
	struct subscriber_info r = radius("100.64.0.1", "001010000000001", NULL, "a");
	identity_session_start(x->t, &r, T0);
	struct subscriber_info l;
	memset(&l, 0, sizeof(l));
	l.source = ID_SRC_LWM2M;
	l.addr = ip("100.64.0.1");
	l.imei = "866834045665614";
	l.imsi = "001019999999999"; /* never overrides what accounting said */
	l.msisdn = "4912345";
	l.rat_type = -1;
	identity_session_start(x->t, &l, T0 + SEC);
	struct flow f = flow_from("100.64.0.1", T0 + 2 * SEC, T0 + 2 * SEC);
	const char *j = flow_json(x, &f);
	assert_non_null(strstr(j, "\"id\":\"866834045665614\""));
	assert_non_null(strstr(j, "\"imsi\":\"001010000000001\""));
	assert_non_null(strstr(j, "\"msisdn\":\"999022213235\""));
	assert_non_null(strstr(j, "\"source\":\"radius\""));
	assert_int_equal(x->cnt.v[CNT_ID_SESSIONS_STARTED], 1);
	/* An LwM2M de-registration does not end an accounting session. */
	identity_session_stop(x->t, &l, T0 + 3 * SEC);
	assert_int_equal(identity_active_sessions(x->t), 1);

	/* LwM2M alone binds a device it is the only source for. */
	l.addr = ip("100.64.0.2");
	l.imsi = NULL;
	l.msisdn = NULL;
	identity_session_start(x->t, &l, T0 + 4 * SEC);
	assert_int_equal(identity_active_sessions(x->t), 2);
	f = flow_from("100.64.0.2", T0 + 5 * SEC, T0 + 5 * SEC);
	assert_non_null(strstr(flow_json(x, &f), "\"source\":\"lwm2m\""));
	/* Accounting for that address takes over, keeping the IMEI, and the
	 * LwM2M binding ends as superseded (not an address reuse). */
	r = radius("100.64.0.2", "001010000000002", NULL, "b");
	identity_session_start(x->t, &r, T0 + 6 * SEC);
	assert_int_equal(x->cnt.v[CNT_ID_ADDRESS_REUSED], 0);
	assert_non_null(strstr(events(x), "\"reason\":\"superseded\""));
	f = flow_from("100.64.0.2", T0 + 7 * SEC, T0 + 7 * SEC);
	j = flow_json(x, &f);
	assert_non_null(strstr(j, "\"source\":\"radius\""));
	assert_non_null(strstr(j, "\"id\":\"866834045665614\""));
	/* LwM2M inside an IPv6 prefix fills the prefix's session. */
	r = radius("2001:db8:5:5::/64", "001010000000005", NULL, "c");
	identity_session_start(x->t, &r, T0);
	l.addr = ip("2001:db8:5:5::42");
	l.imei = "8643940474578102";
	identity_session_start(x->t, &l, T0 + SEC);
	f = flow_from("2001:db8:5:5::42", T0 + 2 * SEC, T0 + 2 * SEC);
	j = flow_json(x, &f);
	assert_non_null(strstr(j, "\"id\":\"864394047457819\""));
	assert_non_null(strstr(j, "\"imeisv\":\"8643940474578102\""));
	assert_non_null(strstr(j, "\"imsi\":\"001010000000005\""));
	fx_free(x);
}

static void test_bad_identifiers(void **state)
{
	(void)state;
	struct fx *x = fx_new(100, NULL, 1);
	char apn[300];
	memset(apn, 'a', sizeof(apn) - 1);
	apn[sizeof(apn) - 1] = '\0';
	struct subscriber_info s = radius("100.64.0.1", "00101ABC", "12345", "a");
	s.msisdn = "+49 170 1234567";
	s.apn = apn;
	s.rat_type = 1000;
	identity_session_start(x->t, &s, T0);
	struct flow f = flow_from("100.64.0.1", T0 + SEC, T0 + SEC);
	const char *j = flow_json(x, &f);
	assert_null(strstr(j, "imsi"));
	assert_null(strstr(j, "device"));
	assert_null(strstr(j, "msisdn"));
	assert_null(strstr(j, "rat_type"));
	char want[128];
	snprintf(want, sizeof(want), "\"apn\":\"%.100s\",", apn);
	assert_non_null(strstr(j, want));
	/* No address, no session id, no TEID: nothing can name it later. */
	struct subscriber_info none;
	memset(&none, 0, sizeof(none));
	none.source = ID_SRC_RADIUS;
	none.rat_type = -1;
	identity_session_start(x->t, &none, T0);
	identity_session_stop(x->t, &none, T0);
	none.addr.family = 4; /* 0.0.0.0 is no address */
	identity_session_start(x->t, &none, T0);
	none.source = 99;
	identity_session_start(x->t, &none, T0);
	/* A NULL table or message is ignored. */
	identity_session_start(NULL, &s, T0);
	identity_session_stop(NULL, &s, T0);
	identity_session_start(x->t, NULL, T0);
	identity_nas_reset(NULL, "x", T0);
	identity_json_device(NULL, &f, NULL);
	identity_json_apnwatch(NULL, &f, NULL);
	fx_free(x);
}

static void test_text_output(void **state)
{
	(void)state;
	struct fx *x = fx_new(100, NULL, 0);
	struct subscriber_info s = radius("100.64.0.1", "001010000000001", "866834045665614", "a");
	s.apn = "iot\x1b[2J.example";
	identity_session_start(x->t, &s, T0);
	identity_session_stop(x->t, &s, T0 + SEC);
	const char *ev = events(x);
	assert_non_null(strstr(ev, "2025-01-01T00:00:00  device 100.64.0.1 session-start: imsi "
				   "001010000000001, imei 866834045665614 (Quectel EC25-AF), apn "
				   "iot?[2J.example, from radius\n"));
	assert_non_null(strstr(ev, "device 100.64.0.1 session-end:"));
	assert_null(strstr(ev, " -> "));
	assert_int_equal(x->out.sequence, 2);
	fx_free(x);
}

/* ---------------------------------------------------------------------
 * The TAC catalog.
 * --------------------------------------------------------------------- */

/* Runs identity_new with the given catalog text as a --tac-file, stderr
 * captured into err; returns the table or NULL. */
static struct identity_table *load_catalog(const char *text, char *err, size_t err_len,
					   char *path, size_t path_len)
{
	char dir[] = "/tmp/test-identity-tac.XXXXXX";
	assert_non_null(mkdtemp(dir));
	snprintf(path, path_len, "%s/user.csv", dir);
	write_file(path, text, 0644);
	char errpath[64];
	snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
	fflush(stderr);
	int saved = dup(2);
	FILE *ef = fopen(errpath, "w");
	assert_non_null(ef);
	dup2(fileno(ef), 2);
	struct identity_config c;
	identity_config_defaults(&c);
	c.tac_files[c.n_tac_files++] = path;
	c.builtin_tac_file = "";
	static struct counters cnt;
	struct identity_table *t = identity_new(&c, &cnt, NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fclose(ef);
	FILE *rf = fopen(errpath, "r");
	size_t n = fread(err, 1, err_len - 1, rf);
	err[n] = '\0';
	fclose(rf);
	unlink(errpath);
	return t;
}

static void expect_tac_error(const char *text, int line, const char *what)
{
	char err[1024], path[96], want[160];
	struct identity_table *t = load_catalog(text, err, sizeof(err), path, sizeof(path));
	assert_null(t);
	snprintf(want, sizeof(want), "%s:%d: %s", path, line, what);
	if (strstr(err, want) == NULL)
		fail_msg("wanted '%s' in '%s'", want, err);
	unlink(path);
	*strrchr(path, '/') = '\0';
	rmdir(path);
}

static void test_tac_errors(void **state)
{
	(void)state;
	expect_tac_error("# c\n1234567,Acme,X,src\n", 2, "the TAC is not 8 digits");
	expect_tac_error("1234567a,Acme,X\n", 1, "the TAC is not 8 digits");
	expect_tac_error("12345678,Acme\n", 1, "2 fields; a line is tac,manufacturer,model[,source]");
	expect_tac_error("12345678,Acme,X,src,extra\n", 1, "5 fields");
	expect_tac_error("\n\n12345678,,X,src\n", 3, "the manufacturer is empty");
	expect_tac_error("12345678,\"Acme,X,src\n", 1, "a quoted field is not closed");
	expect_tac_error("12345678,\"Acme\" Inc,X,src\n", 1, "text after a closing quote");
	expect_tac_error("12345678,Ac\"me,X,src\n", 1, "a quote inside an unquoted field");
	expect_tac_error("tac,manufacturer,model,source\n12345678,A,X,s\n12345678,B,Y,s\n", 3,
			 "TAC 12345678 is already on line 2");
	expect_tac_error("12345678,A,X,s\ntac,manufacturer,model,source\n", 2,
			 "the TAC is not 8 digits");
	char big[1100];
	memset(big, 'x', sizeof(big));
	memcpy(big, "12345678,", 9);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	expect_tac_error(big, 1, "line longer than 1024 bytes");
	char field[400];
	snprintf(field, sizeof(field), "12345678,%0300d,X\n", 0);
	expect_tac_error(field, 1, "a field longer than 255 bytes");
	/* A file that is not there is named. */
	struct identity_config c;
	struct counters cnt;
	identity_config_defaults(&c);
	c.tac_files[c.n_tac_files++] = "/nonexistent/tac.csv";
	c.builtin_tac_file = "";
	fflush(stderr);
	int saved = dup(2), devnull = open("/dev/null", 0);
	dup2(devnull, 2);
	struct identity_table *t = identity_new(&c, &cnt, NULL);
	dup2(saved, 2);
	close(saved);
	close(devnull);
	assert_null(t);
}

static void test_tac_format(void **state)
{
	(void)state;
	char err[1024], path[96];
	const char *maker, *model;
	/* CRLF, blanks around unquoted fields, quoted commas and quotes, no
	 * header, 3 fields, comments after blanks. */
	struct identity_table *t =
	    load_catalog("   # comment\r\n"
			 " 86683404 , Acme Modules ,  EC25-AF  \r\n"
			 "35209900,\"Acme, Inc.\",\"Model \"\"X\"\"\",\"a, b\"\n"
			 "12345678,Acme,,\n",
			 err, sizeof(err), path, sizeof(path));
	assert_non_null(t);
	assert_string_equal(err, "");
	assert_int_equal(identity_tac_lookup(t, "86683404", &maker, &model), 0);
	assert_string_equal(maker, "Acme Modules");
	assert_string_equal(model, "EC25-AF");
	assert_int_equal(identity_tac_lookup(t, "35209900", &maker, &model), 0);
	assert_string_equal(maker, "Acme, Inc.");
	assert_string_equal(model, "Model \"X\"");
	assert_int_equal(identity_tac_lookup(t, "12345678", &maker, &model), 0);
	assert_string_equal(model, "");
	assert_int_equal(identity_tac_lookup(t, "00100100", &maker, &model), -1);
	assert_int_equal(identity_tac_lookup(t, "8668340", &maker, &model), -1);
	assert_int_equal(identity_tac_lookup(t, NULL, &maker, &model), -1);
	identity_free(t);
	unlink(path);
	*strrchr(path, '/') = '\0';
	rmdir(path);
}

/* --tac-file entries come before the built-in catalog's; among
 * --tac-files the first file given wins. */
static void test_tac_order(void **state)
{
	(void)state;
	char dir[] = "/tmp/test-identity-ord.XXXXXX", u1[64], u2[64], b[64];
	const char *maker, *model;
	assert_non_null(mkdtemp(dir));
	snprintf(u1, sizeof(u1), "%s/u1.csv", dir);
	snprintf(u2, sizeof(u2), "%s/u2.csv", dir);
	snprintf(b, sizeof(b), "%s/builtin.csv", dir);
	write_file(u1, "86683404,First,One\n", 0644);
	write_file(u2, "86683404,Second,Two\n86439404,Second,EC21\n", 0644);
	write_file(b, "86683404,Quectel,EC25-AF,x\n86439404,Quectel,EC21-EC,x\n"
		      "11111111,Builtin,Only,x\n",
		   0644);
	struct identity_config c;
	struct counters cnt;
	identity_config_defaults(&c);
	c.tac_files[c.n_tac_files++] = u1;
	c.tac_files[c.n_tac_files++] = u2;
	c.builtin_tac_file = b;
	struct identity_table *t = identity_new(&c, &cnt, NULL);
	assert_non_null(t);
	assert_int_equal(identity_tac_lookup(t, "86683404", &maker, &model), 0);
	assert_string_equal(maker, "First");
	assert_int_equal(identity_tac_lookup(t, "86439404", &maker, &model), 0);
	assert_string_equal(maker, "Second");
	assert_int_equal(identity_tac_lookup(t, "11111111", &maker, &model), 0);
	assert_string_equal(maker, "Builtin");
	identity_free(t);
	/* A catalog named explicitly must be there (only the default
	 * search's finding none is a mere warning). */
	c.n_tac_files = 0;
	c.builtin_tac_file = "/nonexistent/tac.csv";
	fflush(stderr);
	int saved = dup(2), devnull = open("/dev/null", 0);
	dup2(devnull, 2);
	t = identity_new(&c, &cnt, NULL);
	dup2(saved, 2);
	close(saved);
	close(devnull);
	assert_null(t); /* named explicitly: an error */
	unlink(u1);
	unlink(u2);
	unlink(b);
	rmdir(dir);
}

/* The shipped catalog parses, gives every entry a source, knows apngen's
 * two real TACs and not its made-up one. */
static void test_builtin_catalog(void **state)
{
	(void)state;
	const char *srcdir = getenv("srcdir");
	char path[512];
	snprintf(path, sizeof(path), "%s/policies/tac.csv", srcdir ? srcdir : ".");
	if (access(path, R_OK) != 0)
		skip();
	struct identity_config c;
	struct counters cnt;
	const char *maker, *model;
	identity_config_defaults(&c);
	c.builtin_tac_file = path;
	struct identity_table *t = identity_new(&c, &cnt, NULL);
	assert_non_null(t);
	assert_int_equal(identity_tac_lookup(t, "86683404", &maker, &model), 0);
	assert_string_equal(maker, "Quectel");
	assert_string_equal(model, "EC25-AF");
	assert_int_equal(identity_tac_lookup(t, "86439404", &maker, &model), 0);
	assert_string_equal(maker, "Quectel");
	assert_int_equal(identity_tac_lookup(t, "00100100", &maker, &model), -1);
	identity_free(t);
	FILE *fp = fopen(path, "r");
	char line[1100];
	int entries = 0;
	while (fgets(line, sizeof(line), fp)) {
		if (line[0] == '#' || line[0] == '\n' || strncmp(line, "tac,", 4) == 0)
			continue;
		entries++;
		/* Four fields, the last (the source) not empty. */
		char *last = strrchr(line, ',');
		assert_non_null(last);
		assert_true(strlen(last) > 3);
	}
	fclose(fp);
	assert_true(entries >= 2);
}

/* ---------------------------------------------------------------------
 * Pseudonymisation.
 * --------------------------------------------------------------------- */

static const char *HEX_KEY = "00112233445566778899aabbccddeeff0123456789abcdef\n";

static char *key_file(const char *dir, const char *name, const char *content, size_t len,
		      mode_t mode)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(content, 1, len, fp), len);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static struct identity_table *with_key(const char *path, char *err, size_t err_len)
{
	struct identity_config c;
	static struct counters cnt;
	identity_config_defaults(&c);
	c.builtin_tac_file = "";
	c.pseudonymize_key = path;
	char errpath[] = "/tmp/test-identity-err.XXXXXX";
	int efd = mkstemp(errpath);
	assert_true(efd >= 0);
	fflush(stderr);
	int saved = dup(2);
	dup2(efd, 2);
	struct identity_table *t = identity_new(&c, &cnt, NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	lseek(efd, 0, SEEK_SET);
	ssize_t n = read(efd, err, err_len - 1);
	err[n > 0 ? n : 0] = '\0';
	close(efd);
	unlink(errpath);
	return t;
}

static int is_digits(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static void test_pseudonyms(void **state)
{
	(void)state;
	char dir[] = "/tmp/test-identity-key.XXXXXX", err[512];
	char a[32], b[32], c[32];
	assert_non_null(mkdtemp(dir));
	char *p1 = strdup(key_file(dir, "k1", HEX_KEY, strlen(HEX_KEY), 0600));
	struct identity_table *t1 = with_key(p1, err, sizeof(err));
	assert_non_null(t1);
	assert_string_equal(err, "");
	assert_true(identity_pseudonymizing(t1));
	struct identity_table *t1b = with_key(p1, err, sizeof(err));
	char *p2 = strdup(key_file(dir, "k2", "another key of at least 16 bytes", 32, 0400));
	struct identity_table *t2 = with_key(p2, err, sizeof(err));
	assert_non_null(t2);

	/* IMSI: MCC+MNC kept, 15 digits, changed, stable per key. */
	identity_output_id(t1, ID_KIND_IMSI, "001012821780235", a, sizeof(a));
	identity_output_id(t1b, ID_KIND_IMSI, "001012821780235", b, sizeof(b));
	identity_output_id(t2, ID_KIND_IMSI, "001012821780235", c, sizeof(c));
	assert_true(is_digits(a, 15));
	assert_memory_equal(a, "00101", 5);
	assert_string_not_equal(a, "001012821780235");
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	/* IMEI: TAC kept, valid check digit; the IMEISV maps its serial the
	 * same way and keeps its SVN. */
	identity_output_id(t1, ID_KIND_IMEI, "866834045665614", a, sizeof(a));
	assert_true(is_digits(a, 15));
	assert_memory_equal(a, "86683404", 8);
	assert_string_not_equal(a, "866834045665614");
	assert_int_equal(a[14], identity_luhn_digit(a));
	identity_output_id(t1, ID_KIND_IMEI, "8668340456656101", b, sizeof(b));
	assert_true(is_digits(b, 16));
	assert_memory_equal(a, b, 14);
	assert_memory_equal(b + 14, "01", 2);
	/* MSISDN: the country code (and a '+') kept. */
	identity_output_id(t1, ID_KIND_MSISDN, "999022213235", a, sizeof(a));
	assert_true(is_digits(a, 12));
	assert_memory_equal(a, "999", 3);
	assert_string_not_equal(a, "999022213235");
	identity_output_id(t1, ID_KIND_MSISDN, "+4915112345678", a, sizeof(a));
	assert_int_equal(strlen(a), 14);
	assert_memory_equal(a, "+49", 3);
	identity_output_id(t1, ID_KIND_MSISDN, "12025550123", a, sizeof(a));
	assert_memory_equal(a, "1", 1);
	/* Not an identifier of the kind: 16 hex digits. */
	identity_output_id(t1, ID_KIND_IMSI, "user@realm", a, sizeof(a));
	assert_int_equal(strlen(a), 16);
	assert_int_equal(strspn(a, "0123456789abcdef"), 16);
	identity_output_id(t1, ID_KIND_IMSI, "", a, sizeof(a));
	assert_string_equal(a, "");
	/* Without a key, identifiers stay. */
	identity_output_id(NULL, ID_KIND_IMSI, "001012821780235", a, sizeof(a));
	assert_string_equal(a, "001012821780235");

	/* A permutation: the 10^4 MSISDNs 49 + 4 digits all differ. */
	static unsigned char seen[10000];
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < 10000; i++) {
		char in[8];
		snprintf(in, sizeof(in), "49%04d", i);
		identity_output_id(t1, ID_KIND_MSISDN, in, a, sizeof(a));
		assert_true(is_digits(a, 6));
		assert_memory_equal(a, "49", 2);
		int v = atoi(a + 2);
		assert_int_equal(seen[v], 0);
		seen[v] = 1;
	}
	identity_free(t1);
	identity_free(t1b);
	identity_free(t2);
	unlink(p1);
	unlink(p2);
	free(p1);
	free(p2);
	rmdir(dir);
}

/* The table stores and writes pseudonyms only; session ids stay; the key
 * appears nowhere. */
static void test_pseudonymised_output(void **state)
{
	(void)state;
	char dir[] = "/tmp/test-identity-key.XXXXXX", want[64], imei[32], imsi[32], msisdn[32];
	assert_non_null(mkdtemp(dir));
	char *path = strdup(key_file(dir, "k", HEX_KEY, strlen(HEX_KEY), 0600));
	struct fx *x = fx_new(100, path, 1);
	struct subscriber_info s = radius("100.64.0.1", "001012821780235", "8668340456656101", "sid-7");
	identity_session_start(x->t, &s, T0);
	/* LwM2M's IMEI for the same device matches the stored pseudonym. */
	struct subscriber_info l;
	memset(&l, 0, sizeof(l));
	l.source = ID_SRC_LWM2M;
	l.addr = ip("100.64.0.1");
	l.imei = "866834045665614";
	l.rat_type = -1;
	identity_session_start(x->t, &l, T0 + SEC);
	struct flow f = flow_from("100.64.0.1", T0 + 2 * SEC, T0 + 2 * SEC);
	const char *j = flow_json(x, &f);
	identity_output_id(x->t, ID_KIND_IMEI, "866834045665614", imei, sizeof(imei));
	identity_output_id(x->t, ID_KIND_IMSI, "001012821780235", imsi, sizeof(imsi));
	identity_output_id(x->t, ID_KIND_MSISDN, "999022213235", msisdn, sizeof(msisdn));
	snprintf(want, sizeof(want), "\"id\":\"%s\",\"manufacturer\":\"Quectel\"", imei);
	assert_non_null(strstr(j, want));
	snprintf(want, sizeof(want), "\"imsi\":\"%s\"", imsi);
	assert_non_null(strstr(j, want));
	snprintf(want, sizeof(want), "\"msisdn\":\"%s\"", msisdn);
	assert_non_null(strstr(j, want));
	assert_non_null(strstr(j, "\"session_id\":\"sid-7\""));
	assert_non_null(strstr(events(x), want));
	assert_null(strstr(j, "001012821780235"));
	assert_null(strstr(j, "5665614"));
	assert_null(strstr(events(x), "001012821780235"));
	assert_null(strstr(events(x), "00112233445566778899"));
	/* Stops match on pseudonyms too. */
	identity_session_stop(x->t, &s, T0 + 3 * SEC);
	assert_int_equal(identity_active_sessions(x->t), 0);
	fx_free(x);
	unlink(path);
	free(path);
	rmdir(dir);
}

static void expect_key_error(const char *dir, const char *content, size_t len, mode_t mode,
			     const char *what)
{
	char err[512];
	char *path = key_file(dir, "bad", content, len, mode);
	struct identity_table *t = with_key(path, err, sizeof(err));
	assert_null(t);
	if (strstr(err, what) == NULL || strstr(err, path) == NULL)
		fail_msg("wanted '%s: ...%s' in '%s'", path, what, err);
	/* The key never appears in messages. */
	if (len >= 8 && memmem(err, strlen(err), content, 8) != NULL)
		fail_msg("key material in '%s'", err);
	unlink(path);
}

static void test_key_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/test-identity-key.XXXXXX", err[512];
	assert_non_null(mkdtemp(dir));
	expect_key_error(dir, HEX_KEY, strlen(HEX_KEY), 0644, "permissions 0644 are too open");
	expect_key_error(dir, HEX_KEY, strlen(HEX_KEY), 0640, "permissions 0640 are too open");
	expect_key_error(dir, HEX_KEY, strlen(HEX_KEY), 0604, "too open");
	expect_key_error(dir, "short-key-xyz\n", 14, 0600, "at least 16");
	expect_key_error(dir, "", 0, 0600, "at least 16");
	char huge[5000];
	memset(huge, 'k', sizeof(huge));
	expect_key_error(dir, huge, sizeof(huge), 0600, "at most 4096 bytes");
	struct identity_table *t = with_key("/nonexistent/key", err, sizeof(err));
	assert_null(t);
	assert_non_null(strstr(err, "/nonexistent/key"));
	t = with_key(dir, err, sizeof(err));
	assert_null(t);
	assert_non_null(strstr(err, "not a regular file"));
	/* 16 raw bytes, binary: fine. */
	const char raw[16] = {0, 1, 2, 3, '\n', 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, (char)255};
	char *path = key_file(dir, "raw", raw, sizeof(raw), 0600);
	t = with_key(path, err, sizeof(err));
	assert_non_null(t);
	identity_free(t);
	unlink(path);
	/* The hex form and the raw bytes it stands for are one key. */
	char a[32], b[32];
	path = key_file(dir, "hex", "000102030405060708090a0b0c0d0e0f", 32, 0600);
	struct identity_table *th = with_key(path, err, sizeof(err));
	unlink(path);
	const char raw2[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
	path = key_file(dir, "raw2", raw2, sizeof(raw2), 0600);
	struct identity_table *tr = with_key(path, err, sizeof(err));
	unlink(path);
	assert_non_null(th);
	assert_non_null(tr);
	identity_output_id(th, ID_KIND_IMSI, "001012821780235", a, sizeof(a));
	identity_output_id(tr, ID_KIND_IMSI, "001012821780235", b, sizeof(b));
	assert_string_equal(a, b);
	identity_free(th);
	identity_free(tr);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_luhn),
		cmocka_unit_test(test_imeisv_gives_imei),
		cmocka_unit_test(test_bind_ipv4),
		cmocka_unit_test(test_bind_ipv6_prefix),
		cmocka_unit_test(test_interim_update),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_nas_reset),
		cmocka_unit_test(test_address_reuse),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_many_sessions),
		cmocka_unit_test(test_teid),
		cmocka_unit_test(test_lwm2m),
		cmocka_unit_test(test_bad_identifiers),
		cmocka_unit_test(test_text_output),
		cmocka_unit_test(test_tac_errors),
		cmocka_unit_test(test_tac_format),
		cmocka_unit_test(test_tac_order),
		cmocka_unit_test(test_builtin_catalog),
		cmocka_unit_test(test_pseudonyms),
		cmocka_unit_test(test_pseudonymised_output),
		cmocka_unit_test(test_key_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
