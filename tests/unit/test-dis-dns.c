/*
 * test-dis-dns.c - the DNS dissector (dissectors/dns.c) through its
 * descriptors dissector_dns (UDP) and dissector_dns_tcp, and the name
 * cache (dissectors/dns.h).
 *
 * Covers: a query and its answer with name compression and a CNAME
 * (exact ECS and apnwatch JSON); compression pointer loops, pointers past
 * the message, reserved label types and names over 255 octets (invalid);
 * every cut of a message (truncated when the capture cut the packet,
 * invalid otherwise); CNAME chains in any order feeding the cache with
 * the name the device asked for; TTL expiry, TTL 0, names never taken
 * from the future; eviction at the cap; TCP framing (two messages in one
 * chunk, one message split over chunks, a gap, an oversize message).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "dissector.h"
#include "dns.h"

extern const struct dissector dissector_dns;
extern const struct dissector dissector_dns_tcp;

#define T0 1735689600000000ull /* 2025-01-01T00:00:00Z in microseconds */

/* A flow from device 100.64.0.1:40000 to the resolver 192.0.2.53:53. */
struct tctx {
	struct counters cnt;
	struct dissect_ctx c;
	struct packet pkt;
	struct flow f;
	const struct dissector *d;
	void *state;
};

static void tctx_init(struct tctx *t, const struct dissector *d)
{
	memset(t, 0, sizeof(*t));
	t->d = d;
	t->c.cnt = &t->cnt;
	t->c.dns = dns_cache_new(64, &t->cnt);
	assert_non_null(t->c.dns);
	t->c.now_us = T0;
	t->c.pkt = &t->pkt;
	t->f.key.family = 4;
	t->f.key.proto = d->transport;
	memcpy(t->f.key.addr_lo, (uint8_t[]){100, 64, 0, 1}, 4);
	memcpy(t->f.key.addr_hi, (uint8_t[]){192, 0, 2, 53}, 4);
	t->f.key.port_lo = 40000;
	t->f.key.port_hi = 53;
	t->f.src_is_lo = 1;
	t->f.initiator_is_src = 1;
	t->state = calloc(1, d->state_size);
	assert_non_null(t->state);
}

static void tctx_free(struct tctx *t)
{
	if (t->d->free)
		t->d->free(t->state);
	free(t->state);
	dns_cache_free(t->c.dns);
}

/* Fresh dissector state, same cache and counters. */
static void tctx_reset_state(struct tctx *t)
{
	if (t->d->free)
		t->d->free(t->state);
	memset(t->state, 0, t->d->state_size);
}

static void feed(struct tctx *t, int dir, const uint8_t *data, size_t len)
{
	/* A heap copy of exactly len bytes, so reads past it are caught. */
	uint8_t *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, data, len);
	t->d->parse(&t->c, &t->f, t->state, dir, copy, len);
	free(copy);
}

/* The flow event's ECS part ({"dns":...}) or apnwatch part; caller frees. */
static char *json_of(struct tctx *t, int apnwatch)
{
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w, NULL);
	if (apnwatch)
		t->d->json_apnwatch(t->state, &w);
	else
		t->d->json_ecs(t->state, &w);
	jw_end(&w);
	char *s = strdup(w.buf);
	jw_free(&w);
	return s;
}

static void assert_json(struct tctx *t, int apnwatch, const char *want)
{
	char *got = json_of(t, apnwatch);
	assert_string_equal(got, want);
	free(got);
}

static struct ip_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct ip_addr x;
	memset(&x, 0, sizeof(x));
	x.family = 4;
	x.a[0] = a, x.a[1] = b, x.a[2] = c, x.a[3] = d;
	return x;
}

static const char *lookup(struct tctx *t, struct ip_addr srv, uint64_t at)
{
	struct ip_addr dev = v4(100, 64, 0, 1);
	return dns_cache_lookup(t->c.dns, &dev, &srv, at);
}

/* ---------------------------------------------------------------------
 * Messages.
 * --------------------------------------------------------------------- */

/* Query: www.example.com A IN, RD. */
static const uint8_t q_www[] = {
	0x12, 0x34,             /* ID 0x1234 */
	0x01, 0x00,             /* QR=0 opcode QUERY, RD */
	0x00, 0x01,             /* QDCOUNT 1 */
	0x00, 0x00,             /* ANCOUNT 0 */
	0x00, 0x00,             /* NSCOUNT 0 */
	0x00, 0x00,             /* ARCOUNT 0 */
	/* @12 QNAME www.example.com */
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
	0x00, 0x01,             /* QTYPE A */
	0x00, 0x01,             /* QCLASS IN */
};

/* An answer whose CNAME RDATA is shorter than its name: RDLENGTH 9
 * covers "edge.cdn" but not the root label after it.  Invalid. */
static const uint8_t r_www[] = {
	0x12, 0x34,             /* ID 0x1234 */
	0x81, 0x80,             /* QR=1 QUERY, RD RA, NOERROR */
	0x00, 0x01,             /* QDCOUNT 1 */
	0x00, 0x01,             /* ANCOUNT 1 */
	0x00, 0x00,             /* NSCOUNT 0 */
	0x00, 0x00,             /* ARCOUNT 0 */
	/* @12 QNAME www.example.com */
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
	0x00, 0x01, 0x00, 0x01, /* A IN */
	/* @33 answer: NAME -> @12, CNAME IN, TTL 3600 */
	0xc0, 12, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10,
	0x00, 9,                /* RDLENGTH 9 */
	4, 'e', 'd', 'g', 'e', 3, 'c', 'd', 'n', /* RDATA ends here */
	0,                      /* the name's root label, outside RDLENGTH */
};

/* The answer to q_www: www.example.com CNAME edge.cdn.example.com, whose
 * A 192.0.2.7 and AAAA 2001:db8::7 (TTL 60) follow; names compressed;
 * an OPT record with the DO bit. */
static const uint8_t r_www_ok[] = {
	0x12, 0x34,             /* ID 0x1234 */
	0x81, 0x80,             /* QR=1 QUERY, RD RA, NOERROR */
	0x00, 0x01,             /* QDCOUNT 1 */
	0x00, 0x03,             /* ANCOUNT 3 */
	0x00, 0x00,             /* NSCOUNT 0 */
	0x00, 0x01,             /* ARCOUNT 1 (OPT) */
	/* @12 QNAME www.example.com */
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
	0x00, 0x01, 0x00, 0x01, /* A IN */
	/* @33 answer 1: www.example.com (-> @12) CNAME edge.cdn.example.com */
	0xc0, 12,               /* NAME -> @12 */
	0x00, 0x05,             /* TYPE CNAME */
	0x00, 0x01,             /* CLASS IN */
	0x00, 0x00, 0x0e, 0x10, /* TTL 3600 */
	0x00, 11,               /* RDLENGTH 11 */
	/* @45 */ 4, 'e', 'd', 'g', 'e', 3, 'c', 'd', 'n', 0xc0, 16, /* edge.cdn -> @16 example.com */
	/* @56 answer 2: edge.cdn.example.com (-> @45) A 192.0.2.7 */
	0xc0, 45,
	0x00, 0x01,             /* TYPE A */
	0x00, 0x01,             /* CLASS IN */
	0x00, 0x00, 0x00, 60,   /* TTL 60 */
	0x00, 4,                /* RDLENGTH 4 */
	192, 0, 2, 7,
	/* @72 answer 3: edge.cdn.example.com AAAA 2001:db8::7 */
	0xc0, 45,
	0x00, 28,               /* TYPE AAAA */
	0x00, 0x01,             /* CLASS IN */
	0x00, 0x00, 0x00, 60,   /* TTL 60 */
	0x00, 16,               /* RDLENGTH 16 */
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7,
	/* @100 additional: OPT, root name, UDP size 1232, DO */
	0,                      /* NAME root */
	0x00, 41,               /* TYPE OPT */
	0x04, 0xd0,             /* CLASS = UDP payload size 1232 */
	0x00, 0x00, 0x80, 0x00, /* TTL = ext-rcode 0, version 0, DO */
	0x00, 0x00,             /* RDLENGTH 0 */
};

static void test_query_then_answer(void **state)
{
	(void)state;
	struct tctx t;
	tctx_init(&t, &dissector_dns);
	feed(&t, 0, q_www, sizeof(q_www));
	assert_json(&t, 0,
		    "{\"dns\":{\"id\":\"4660\",\"op_code\":\"QUERY\",\"header_flags\":[\"RD\"],"
		    "\"type\":\"query\",\"question\":{\"name\":\"www.example.com\",\"type\":\"A\","
		    "\"class\":\"IN\"}}}");
	t.c.now_us = T0 + 2000;
	feed(&t, 1, r_www_ok, sizeof(r_www_ok));
	assert_json(&t, 0,
		    "{\"dns\":{\"id\":\"4660\",\"op_code\":\"QUERY\",\"header_flags\":[\"RD\",\"RA\","
		    "\"DO\"],\"response_code\":\"NOERROR\",\"type\":\"answer\",\"question\":{\"name\":"
		    "\"www.example.com\",\"type\":\"A\",\"class\":\"IN\"},\"answers\":["
		    "{\"name\":\"www.example.com\",\"type\":\"CNAME\",\"class\":\"IN\",\"ttl\":3600,"
		    "\"data\":\"edge.cdn.example.com\"},"
		    "{\"name\":\"edge.cdn.example.com\",\"type\":\"A\",\"class\":\"IN\",\"ttl\":60,"
		    "\"data\":\"192.0.2.7\"},"
		    "{\"name\":\"edge.cdn.example.com\",\"type\":\"AAAA\",\"class\":\"IN\",\"ttl\":60,"
		    "\"data\":\"2001:db8::7\"}],"
		    "\"resolved_ip\":[\"192.0.2.7\",\"2001:db8::7\"]}}");
	assert_json(&t, 1, "{\"dns\":{\"transactions\":1,\"queries\":[\"www.example.com\"]}}");
	assert_int_equal(t.cnt.v[CNT_DIS_DNS_FLOWS], 1);
	assert_int_equal(t.cnt.v[CNT_DIS_DNS_MESSAGES], 2);
	assert_int_equal(t.cnt.v[CNT_DIS_DNS_TRUNC] + t.cnt.v[CNT_DIS_DNS_INVALID], 0);
	/* The cache names both addresses with the name asked for. */
	assert_string_equal(lookup(&t, v4(192, 0, 2, 7), T0 + 5000), "www.example.com");
	struct ip_addr dev = v4(100, 64, 0, 1), six;
	memset(&six, 0, sizeof(six));
	six.family = 6;
	inet_pton(AF_INET6, "2001:db8::7", six.a);
	assert_string_equal(dns_cache_lookup(t.c.dns, &dev, &six, T0 + 5000), "www.example.com");
	/* Another device learnt nothing. */
	struct ip_addr other = v4(100, 64, 0, 2), srv = v4(192, 0, 2, 7);
	assert_null(dns_cache_lookup(t.c.dns, &other, &srv, T0 + 5000));
	assert_int_equal(t.cnt.v[CNT_DNS_CACHE_HITS], 2);
	tctx_free(&t);
}

/* A name that runs past its RDLENGTH contradicts it: invalid. */
static void test_rdlength_contradiction(void **state)
{
	(void)state;
	struct tctx t;
	tctx_init(&t, &dissector_dns);
	feed(&t, 1, r_www, sizeof(r_www));
	assert_int_equal(t.cnt.v[CNT_DIS_DNS_INVALID], 1);
	assert_json(&t, 0, "{}");
	assert_json(&t, 1, "{}");
	tctx_free(&t);
}

/* Query header + a question whose name is given by the test. */
static size_t make_query(uint8_t *buf, const uint8_t *name, size_t nlen)
{
	static const uint8_t hdr[] = {
		0xab, 0xcd, /* ID */
		0x01, 0x00, /* RD */
		0x00, 0x01, /* QDCOUNT 1 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	memcpy(buf, hdr, sizeof(hdr));
	memcpy(buf + 12, name, nlen);
	memcpy(buf + 12 + nlen, (uint8_t[]){0x00, 0x01, 0x00, 0x01}, 4); /* A IN */
	return 12 + nlen + 4;
}

static void expect_invalid_name(const uint8_t *name, size_t nlen)
{
	uint8_t buf[600];
	struct tctx t;
	tctx_init(&t, &dissector_dns);
	size_t n = make_query(buf, name, nlen);
	feed(&t, 0, buf, n);
	assert_int_equal(t.cnt.v[CNT_DIS_DNS_INVALID], 1);
	assert_int_equal(t.cnt.v[CNT_DIS_DNS_TRUNC], 0);
	assert_json(&t, 0, "{}");
	tctx_free(&t);
}

static void test_compression_pointer_loops(void **state)
{
	(void)state;
	/* @12: a pointer to itself. */
	expect_invalid_name((const uint8_t[]){0xc0, 12}, 2);
	/* @12 "a" then a pointer back to @12: a loop through a label. */
	expect_invalid_name((const uint8_t[]){1, 'a', 0xc0, 12}, 4);
	/* @12 -> @14 -> @12: two pointers pointing at each other. */
	expect_invalid_name((const uint8_t[]){0xc0, 14, 0xc0, 12}, 4);
	/* A pointer past the end of the message (not cut by the capture). */
	expect_invalid_name((const uint8_t[]){0xc1, 0x00}, 2);
	/* Label types 01 and 10 (RFC 6891 deprecated them; none in use). */
	expect_invalid_name((const uint8_t[]){0x41, 'a', 0}, 3);
	expect_invalid_name((const uint8_t[]){0x81, 'a', 0}, 3);
	/* 33 pointers in a row, each to the next: deeper than followed. */
	uint8_t chain[2 * 34 + 1];
	for (int i = 0; i < 34; i++) {
		chain[2 * i] = 0xc0;
		chain[2 * i + 1] = (uint8_t)(12 + 2 * (i + 1));
	}
	chain[68] = 0;
	expect_invalid_name(chain, sizeof(chain));
	/* A name of 256 octets: 4 labels of 63 + one of 0... 4*64 = 256 > 255. */
	uint8_t longname[4 * 64 + 1];
	for (int i = 0; i < 4; i++) {
		longname[64 * i] = 63;
		memset(longname + 64 * i + 1, 'x', 63);
	}
	longname[256] = 0;
	expect_invalid_name(longname, sizeof(longname));
}

static void test_compression_depth_ok(void **state)
{
	(void)state;
	/* 10 pointers in a row, then "ok": legal, if odd. */
	uint8_t name[2 * 10 + 4];
	for (int i = 0; i < 10; i++) {
		name[2 * i] = 0xc0;
		name[2 * i + 1] = (uint8_t)(12 + 2 * (i + 1));
	}
	memcpy(name + 20, (uint8_t[]){2, 'o', 'k', 0}, 4);
	uint8_t buf[100];
	struct tctx t;
	tctx_init(&t, &dissector_dns);
	feed(&t, 0, buf, make_query(buf, name, sizeof(name)));
	assert_int_equal(t.cnt.v[CNT_DIS_DNS_INVALID], 0);
	assert_json(&t, 1, "{\"dns\":{\"transactions\":1,\"queries\":[\"ok\"]}}");
	tctx_free(&t);
}

/* Bytes that need escapes, the root name, unknown type and class. */
static void test_name_escapes_and_codes(void **state)
{
	(void)state;
	static const uint8_t q[] = {
		0x00, 0x07, /* ID 7 */
		0x00, 0x00, /* no flags */
		0x00, 0x02, /* QDCOUNT 2: only the first is the event's */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		/* @12: a.b (one label with a dot), a quote, a backslash, a tab, 0xff */
		8, 'a', '.', 'b', '"', '\\', '\t', 0xff, ' ', 0,
		0x01, 0x00, /* QTYPE 256 URI */
		0x00, 0x09, /* QCLASS 9 */
		0,          /* root */
		0x12, 0x34, /* QTYPE 4660 */
		0x00, 0xff, /* QCLASS ANY */
	};
	struct tctx t;
	tctx_init(&t, &dissector_dns);
	feed(&t, 0, q, sizeof(q));
	assert_json(&t, 0,
		    "{\"dns\":{\"id\":\"7\",\"op_code\":\"QUERY\",\"type\":\"query\",\"question\":"
		    "{\"name\":\"a\\\\.b\\\\\\\"\\\\\\\\\\\\t\\\\255 \",\"type\":\"URI\",\"class\":\"CLASS9\"}}}");
	tctx_free(&t);

	static const uint8_t q2[] = {
		0x00, 0x08, 0x28, 0x00, /* opcode 5 UPDATE */
		0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0,                      /* root */
		0x12, 0x34, 0x00, 0xff, /* TYPE4660 ANY */
	};
	tctx_init(&t, &dissector_dns);
	feed(&t, 0, q2, sizeof(q2));
	assert_json(&t, 0,
		    "{\"dns\":{\"id\":\"8\",\"op_code\":\"UPDATE\",\"type\":\"query\",\"question\":"
		    "{\"name\":\".\",\"type\":\"TYPE4660\",\"class\":\"ANY\"}}}");
	tctx_free(&t);
}

/* Every cut of the answer: truncated when the capture cut the packet, no
 * crash, nothing recorded; invalid when the packet was whole. */
static void test_truncated_every_cut(void **state)
{
	(void)state;
	struct tctx t;
	tctx_init(&t, &dissector_dns);
	t.pkt.caplen = 60;
	t.pkt.wirelen = 1500; /* the snap length cut it */
	for (size_t cut = 0; cut < sizeof(r_www_ok); cut++) {
		tctx_reset_state(&t);
		feed(&t, 1, r_www_ok, cut);
		char *s = json_of(&t, 0);
		assert_string_equal(s, "{}");
		free(s);
	}
	assert_int_equal(t.cnt.v[CNT_DIS_DNS_TRUNC], sizeof(r_www_ok));
	assert_int_equal(t.cnt.v[CNT_DIS_DNS_INVALID], 0);
	assert_int_equal(t.cnt.v[CNT_DIS_DNS_MESSAGES], sizeof(r_www_ok));
	assert_null(lookup(&t, v4(192, 0, 2, 7), T0 + 1));

	/* Not cut by the capture: the message lies about its counts. */
	t.pkt.caplen = t.pkt.wirelen = 100;
	memset(&t.cnt, 0, sizeof(t.cnt));
	for (size_t cut = 0; cut < sizeof(r_www_ok); cut++) {
		tctx_reset_state(&t);
		feed(&t, 1, r_www_ok, cut);
	}
	assert_int_equal(t.cnt.v[CNT_DIS_DNS_INVALID], sizeof(r_www_ok));
	assert_int_equal(t.cnt.v[CNT_DIS_DNS_TRUNC], 0);
	tctx_free(&t);
}

/* A chain a -> b -> c given out of order, with an A for c, an unrelated A,
 * and a CNAME loop beside it. */
static const uint8_t r_chain[] = {
	0x55, 0x66,             /* ID */
	0x81, 0x80,             /* QR RD RA NOERROR */
	0x00, 0x01,             /* QDCOUNT 1 */
	0x00, 0x06,             /* ANCOUNT 6 */
	0x00, 0x00, 0x00, 0x00,
	/* @12 QNAME a.test */
	1, 'a', 4, 't', 'e', 's', 't', 0,
	0x00, 0x01, 0x00, 0x01, /* A IN */
	/* @24 c.test (-> @14 "test") A 198.51.100.9 TTL 300 */
	1, 'c', 0xc0, 14,
	0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 4, 198, 51, 100, 9,
	/* @42 b.test CNAME c.test (-> @24) TTL 120 */
	1, 'b', 0xc0, 14,
	0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 120, 0x00, 2, 0xc0, 24,
	/* @58 a.test (-> @12) CNAME b.test (-> @42) TTL 3600 */
	0xc0, 12,
	0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 2, 0xc0, 42,
	/* @72 x.test A 203.0.113.99: not on the chain */
	1, 'x', 0xc0, 14,
	0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 4, 203, 0, 113, 99,
	/* @90 y.test CNAME z.test (RDATA @104); @108 z.test CNAME y.test:
	 * a loop off the chain */
	1, 'y', 0xc0, 14,
	0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 60, 0x00, 4, 1, 'z', 0xc0, 14,
	0xc0, 104,
	0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 60, 0x00, 2, 0xc0, 90,
};

static void test_cname_chain_feeds_cache(void **state)
{
	(void)state;
	struct tctx t;
	tctx_init(&t, &dissector_dns);
	feed(&t, 1, r_chain, sizeof(r_chain));
	assert_int_equal(t.cnt.v[CNT_DIS_DNS_INVALID] + t.cnt.v[CNT_DIS_DNS_TRUNC], 0);
	assert_string_equal(lookup(&t, v4(198, 51, 100, 9), T0 + 1), "a.test");
	assert_null(lookup(&t, v4(203, 0, 113, 99), T0 + 1));
	/* The shortest TTL on the chain (b -> c, 120 s) bounds the name. */
	assert_non_null(lookup(&t, v4(198, 51, 100, 9), T0 + 119999999));
	assert_null(lookup(&t, v4(198, 51, 100, 9), T0 + 120000000));
	/* An answer toward the resolver (direction 0) teaches the device nothing. */
	dns_cache_free(t.c.dns);
	t.c.dns = dns_cache_new(64, &t.cnt);
	tctx_reset_state(&t);
	feed(&t, 0, r_chain, sizeof(r_chain));
	assert_null(lookup(&t, v4(198, 51, 100, 9), T0 + 1));
	/* An answer seen without its query is the flow's first transaction. */
	assert_json(&t, 1, "{\"dns\":{\"transactions\":1,\"queries\":[\"a.test\"]}}");
	char *s = json_of(&t, 0);
	assert_non_null(strstr(s, "\"type\":\"answer\""));
	assert_non_null(strstr(s, "\"resolved_ip\":[\"198.51.100.9\",\"203.0.113.99\"]"));
	assert_non_null(strstr(s, "{\"name\":\"y.test\",\"type\":\"CNAME\",\"class\":\"IN\","
				  "\"ttl\":60,\"data\":\"z.test\"}"));
	free(s);
	tctx_free(&t);
}

/* NXDOMAIN: no answers, response_code named; extended RCODE from OPT. */
static void test_rcodes(void **state)
{
	(void)state;
	static const uint8_t nx[] = {
		0x00, 0x09, 0x81, 0x83, /* QR RD RA NXDOMAIN */
		0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		3, 'n', 'o', 'p', 0, 0x00, 28, 0x00, 0x01, /* nop AAAA IN */
	};
	struct tctx t;
	tctx_init(&t, &dissector_dns);
	feed(&t, 1, nx, sizeof(nx));
	assert_json(&t, 0,
		    "{\"dns\":{\"id\":\"9\",\"op_code\":\"QUERY\",\"header_flags\":[\"RD\",\"RA\"],"
		    "\"response_code\":\"NXDOMAIN\",\"type\":\"answer\",\"question\":{\"name\":\"nop\","
		    "\"type\":\"AAAA\",\"class\":\"IN\"}}}");
	tctx_free(&t);

	static const uint8_t badvers[] = {
		0x00, 0x0a, 0x80, 0x00, /* QR, RCODE 0 in the header */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
		0, 0x00, 41, 0x10, 0x00, /* OPT, size 4096 */
		0x01, 0x00, 0x00, 0x00,  /* ext-rcode 1: 16 BADVERS */
		0x00, 0x00,
	};
	tctx_init(&t, &dissector_dns);
	feed(&t, 1, badvers, sizeof(badvers));
	assert_json(&t, 0,
		    "{\"dns\":{\"id\":\"10\",\"op_code\":\"QUERY\",\"response_code\":\"BADVERS\","
		    "\"type\":\"answer\"}}");
	tctx_free(&t);
}

/* Retransmissions count once; a new id is a new transaction; the list of
 * names keeps 16. */
static void test_transactions(void **state)
{
	(void)state;
	struct tctx t;
	tctx_init(&t, &dissector_dns);
	feed(&t, 0, q_www, sizeof(q_www));
	feed(&t, 0, q_www, sizeof(q_www)); /* retransmitted */
	feed(&t, 1, r_www_ok, sizeof(r_www_ok));
	feed(&t, 1, r_www_ok, sizeof(r_www_ok)); /* duplicate answer */
	assert_json(&t, 1, "{\"dns\":{\"transactions\":1,\"queries\":[\"www.example.com\"]}}");
	uint8_t q[sizeof(q_www)];
	memcpy(q, q_www, sizeof(q));
	for (int i = 0; i < 20; i++) {
		q[1] = (uint8_t)i; /* new ID */
		feed(&t, 0, q, sizeof(q));
	}
	char *s = json_of(&t, 1);
	assert_non_null(strstr(s, "\"transactions\":21,"));
	size_t names = 0;
	for (const char *p = s; (p = strstr(p, "www.example.com")) != NULL; p++)
		names++;
	assert_int_equal(names, 16);
	free(s);
	/* The first transaction stays the event's. */
	s = json_of(&t, 0);
	assert_non_null(strstr(s, "\"id\":\"4660\""));
	assert_non_null(strstr(s, "\"type\":\"answer\""));
	free(s);
	tctx_free(&t);
}

/* mDNS: the class's top bit is the QU / cache-flush bit. */
static void test_mdns_class_bit(void **state)
{
	(void)state;
	static const uint8_t r[] = {
		0x00, 0x00, 0x84, 0x00, /* QR AA */
		0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		/* @12 */ 4, 'h', 'o', 's', 't', 5, 'l', 'o', 'c', 'a', 'l', 0,
		0x00, 0x01, 0x80, 0x01, /* A, QU + IN */
		0xc0, 12, 0x00, 0x01, 0x80, 0x01, /* A, cache-flush + IN */
		0x00, 0x00, 0x00, 120, 0x00, 4, 192, 168, 1, 9,
	};
	struct tctx t;
	tctx_init(&t, &dissector_dns);
	t.f.key.port_lo = 5353;
	t.f.key.port_hi = 5353;
	feed(&t, 1, r, sizeof(r));
	assert_json(&t, 0,
		    "{\"dns\":{\"id\":\"0\",\"op_code\":\"QUERY\",\"header_flags\":[\"AA\"],"
		    "\"response_code\":\"NOERROR\",\"type\":\"answer\",\"question\":{\"name\":"
		    "\"host.local\",\"type\":\"A\",\"class\":\"IN\"},\"answers\":[{\"name\":"
		    "\"host.local\",\"type\":\"A\",\"class\":\"IN\",\"ttl\":120,\"data\":"
		    "\"192.168.1.9\"}],\"resolved_ip\":[\"192.168.1.9\"]}}");
	tctx_free(&t);
}

/* Other RDATA as text: MX, SRV, TXT, SOA, NS; unknown types have none. */
static void test_rdata_text(void **state)
{
	(void)state;
	static const uint8_t r[] = {
		0x00, 0x0b, 0x81, 0x80,
		0x00, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00,
		/* @12 */ 1, 'e', 0, 0x00, 0xff, 0x00, 0x01, /* e ANY IN */
		/* MX 10 m.e */
		0xc0, 12, 0x00, 15, 0x00, 0x01, 0, 0, 0, 1, 0x00, 6, 0x00, 10, 1, 'm', 0xc0, 12,
		/* SRV 1 2 5683 s.e */
		0xc0, 12, 0x00, 33, 0x00, 0x01, 0, 0, 0, 1, 0x00, 10, 0, 1, 0, 2, 0x16, 0x33,
		1, 's', 0xc0, 12,
		/* TXT "v=1" "a b" */
		0xc0, 12, 0x00, 16, 0x00, 0x01, 0, 0, 0, 1, 0x00, 8, 3, 'v', '=', '1', 3, 'a', ' ', 'b',
		/* SOA ns.e (@91) h.e 1 2 3 4 5 */
		0xc0, 12, 0x00, 6, 0x00, 0x01, 0, 0, 0, 1, 0x00, 29,
		2, 'n', 's', 0xc0, 12, 1, 'h', 0xc0, 12,
		0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5,
		/* NS ns.e (-> the SOA's) */
		0xc0, 12, 0x00, 2, 0x00, 0x01, 0, 0, 0, 1, 0x00, 2, 0xc0, 91,
		/* TYPE 256 (URI): no data shown; CLASS CH */
		0xc0, 12, 0x01, 0x00, 0x00, 0x03, 0, 0, 0, 1, 0x00, 2, 0xab, 0xcd,
	};
	struct tctx t;
	tctx_init(&t, &dissector_dns);
	feed(&t, 1, r, sizeof(r));
	assert_int_equal(t.cnt.v[CNT_DIS_DNS_INVALID] + t.cnt.v[CNT_DIS_DNS_TRUNC], 0);
	char *s = json_of(&t, 0);
	assert_non_null(strstr(s, "\"type\":\"MX\",\"class\":\"IN\",\"ttl\":1,\"data\":\"10 m.e\"}"));
	assert_non_null(strstr(s, "\"type\":\"SRV\",\"class\":\"IN\",\"ttl\":1,\"data\":\"1 2 5683 s.e\"}"));
	assert_non_null(strstr(s, "\"type\":\"TXT\",\"class\":\"IN\",\"ttl\":1,\"data\":"
				  "\"\\\"v=1\\\" \\\"a b\\\"\"}"));
	assert_non_null(strstr(s, "\"type\":\"SOA\",\"class\":\"IN\",\"ttl\":1,\"data\":"
				  "\"ns.e h.e 1 2 3 4 5\"}"));
	assert_non_null(strstr(s, "\"type\":\"NS\",\"class\":\"IN\",\"ttl\":1,\"data\":\"ns.e\"}"));
	assert_non_null(strstr(s, "{\"name\":\"e\",\"type\":\"URI\",\"class\":\"CH\",\"ttl\":1}"));
	free(s);
	tctx_free(&t);
}

/* ---------------------------------------------------------------------
 * The cache.
 * --------------------------------------------------------------------- */

static void test_cache_ttl(void **state)
{
	(void)state;
	struct counters cnt;
	memset(&cnt, 0, sizeof(cnt));
	struct dns_cache *dc = dns_cache_new(16, &cnt);
	struct ip_addr dev = v4(100, 64, 0, 1), srv = v4(192, 0, 2, 20), srv0 = v4(192, 0, 2, 21),
		       srvneg = v4(192, 0, 2, 22);
	dns_cache_add(dc, &dev, &srv, "mqtt.example.com", 10, T0);
	assert_null(dns_cache_lookup(dc, &dev, &srv, T0 - 1)); /* never from the future */
	assert_string_equal(dns_cache_lookup(dc, &dev, &srv, T0), "mqtt.example.com");
	assert_string_equal(dns_cache_lookup(dc, &dev, &srv, T0 + 9999999), "mqtt.example.com");
	assert_null(dns_cache_lookup(dc, &dev, &srv, T0 + 10000000));
	/* TTL 0 names flows started within the same second. */
	dns_cache_add(dc, &dev, &srv0, "zero.example", 0, T0);
	assert_string_equal(dns_cache_lookup(dc, &dev, &srv0, T0 + 999999), "zero.example");
	assert_null(dns_cache_lookup(dc, &dev, &srv0, T0 + 1000000));
	/* RFC 2181 8: a TTL with the top bit set is 0. */
	dns_cache_add(dc, &dev, &srvneg, "neg.example", 0x80000000u, T0);
	assert_null(dns_cache_lookup(dc, &dev, &srvneg, T0 + 1000000));
	/* The same name again while valid: known since the first answer, and
	 * the later expiry holds. */
	dns_cache_add(dc, &dev, &srv, "MQTT.example.com", 100, T0 + 5000000);
	assert_non_null(dns_cache_lookup(dc, &dev, &srv, T0 + 1));
	assert_non_null(dns_cache_lookup(dc, &dev, &srv, T0 + 104999999));
	/* Another name for the address (a CDN): it names flows from now on,
	 * the first still names the flows that started before. */
	dns_cache_add(dc, &dev, &srv, "other.example", 100, T0 + 6000000);
	assert_string_equal(dns_cache_lookup(dc, &dev, &srv, T0 + 1), "MQTT.example.com");
	assert_string_equal(dns_cache_lookup(dc, &dev, &srv, T0 + 6000000), "other.example");
	assert_string_equal(dns_cache_lookup(dc, &dev, &srv, T0 + 105000000), "other.example");
	assert_null(dns_cache_lookup(dc, &dev, &srv, T0 + 106000000));
	assert_int_equal(cnt.v[CNT_DNS_CACHE_HITS], 8);
	/* At most 8 names per (device, address): the one that expires first
	 * makes room. */
	struct ip_addr cdn = v4(192, 0, 2, 80);
	char nm[8] = "n0.cdn";
	for (int i = 0; i < 9; i++) {
		nm[1] = (char)('0' + i);
		dns_cache_add(dc, &dev, &cdn, nm, (uint32_t)(100 + (i == 0 ? 0 : 10 * i)), T0 + (uint64_t)i);
	}
	assert_string_equal(dns_cache_lookup(dc, &dev, &cdn, T0 + 4), "n4.cdn");
	assert_null(dns_cache_lookup(dc, &dev, &cdn, T0)); /* n0 went */
	assert_string_equal(dns_cache_lookup(dc, &dev, &cdn, T0 + 1), "n1.cdn");
	dns_cache_free(dc);
	/* NULL is accepted everywhere. */
	dns_cache_free(NULL);
	dns_cache_add(NULL, &dev, &srv, "x", 1, T0);
	assert_null(dns_cache_lookup(NULL, &dev, &srv, T0));
}

static void test_cache_eviction(void **state)
{
	(void)state;
	struct counters cnt;
	memset(&cnt, 0, sizeof(cnt));
	struct dns_cache *dc = dns_cache_new(4, &cnt);
	struct ip_addr dev = v4(100, 64, 0, 1);
	char name[16];
	for (uint8_t i = 1; i <= 5; i++) {
		struct ip_addr srv = v4(198, 51, 100, i);
		name[0] = (char)('a' + i - 1);
		memcpy(name + 1, ".example", 9);
		dns_cache_add(dc, &dev, &srv, name, 3600, T0 + i);
	}
	assert_int_equal(cnt.v[CNT_DNS_CACHE_EVICTED], 1);
	assert_int_equal(cnt.v[CNT_DNS_CACHE_ENTRIES_MAX], 4);
	struct ip_addr s1 = v4(198, 51, 100, 1), s2 = v4(198, 51, 100, 2), s5 = v4(198, 51, 100, 5);
	assert_null(dns_cache_lookup(dc, &dev, &s1, T0 + 10)); /* the oldest went */
	assert_string_equal(dns_cache_lookup(dc, &dev, &s2, T0 + 10), "b.example");
	assert_string_equal(dns_cache_lookup(dc, &dev, &s5, T0 + 10), "e.example");
	dns_cache_free(dc);

	/* Expired entries stay (flows that started while they held are
	 * named when their events are written, later) until the cap. */
	memset(&cnt, 0, sizeof(cnt));
	dc = dns_cache_new(2, &cnt);
	struct ip_addr s6 = v4(198, 51, 100, 6), s7 = v4(198, 51, 100, 7),
		       s8 = v4(198, 51, 100, 8);
	dns_cache_add(dc, &dev, &s6, "f.example", 1, T0);
	dns_cache_add(dc, &dev, &s7, "g.example", 3600, T0 + 1);
	assert_string_equal(dns_cache_lookup(dc, &dev, &s6, T0 + 500000), "f.example");
	dns_cache_add(dc, &dev, &s6, "f.example", 1, T0 + 2000000); /* refreshed: now newest */
	dns_cache_add(dc, &dev, &s8, "h.example", 3600, T0 + 3000000);
	assert_int_equal(cnt.v[CNT_DNS_CACHE_EVICTED], 1);
	assert_null(dns_cache_lookup(dc, &dev, &s7, T0 + 3000000)); /* g was the oldest */
	/* f: both intervals, before and after the break, still name flows. */
	assert_string_equal(dns_cache_lookup(dc, &dev, &s6, T0 + 500000), "f.example");
	assert_null(dns_cache_lookup(dc, &dev, &s6, T0 + 1500000));
	assert_string_equal(dns_cache_lookup(dc, &dev, &s6, T0 + 2500000), "f.example");
	dns_cache_free(dc);

	/* Many entries: the table grows, every one is found, and 0 keeps none. */
	memset(&cnt, 0, sizeof(cnt));
	dc = dns_cache_new(5000, &cnt);
	for (unsigned i = 0; i < 5000; i++) {
		struct ip_addr d = v4(100, 64, (uint8_t)(i >> 8), (uint8_t)i);
		struct ip_addr s = v4(203, 0, 113, (uint8_t)(i % 7));
		dns_cache_add(dc, &d, &s, "n.example", 60, T0);
	}
	for (unsigned i = 0; i < 5000; i++) {
		struct ip_addr d = v4(100, 64, (uint8_t)(i >> 8), (uint8_t)i);
		struct ip_addr s = v4(203, 0, 113, (uint8_t)(i % 7));
		assert_non_null(dns_cache_lookup(dc, &d, &s, T0 + 1));
	}
	assert_int_equal(cnt.v[CNT_DNS_CACHE_EVICTED], 0);
	dns_cache_free(dc);
	dc = dns_cache_new(0, &cnt);
	dns_cache_add(dc, &dev, &s1, "a", 60, T0);
	assert_null(dns_cache_lookup(dc, &dev, &s1, T0));
	dns_cache_free(dc);
}

/* ---------------------------------------------------------------------
 * TCP framing (RFC 7766).
 * --------------------------------------------------------------------- */

/* Appends a 2-byte length and the message. */
static size_t frame(uint8_t *out, const uint8_t *msg, size_t len)
{
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	memcpy(out + 2, msg, len);
	return len + 2;
}

static void test_tcp_two_in_one_and_split(void **state)
{
	(void)state;
	struct tctx t;
	tctx_init(&t, &dissector_dns_tcp);
	uint8_t buf[512];
	uint8_t q2[sizeof(q_www)];
	memcpy(q2, q_www, sizeof(q2));
	q2[0] = 0x77; /* another ID */
	/* Two queries in one segment. */
	size_t n = frame(buf, q_www, sizeof(q_www));
	n += frame(buf + n, q2, sizeof(q2));
	feed(&t, 0, buf, n);
	assert_json(&t, 1,
		    "{\"dns\":{\"transactions\":2,\"queries\":[\"www.example.com\","
		    "\"www.example.com\"]}}");
	/* The answer split inside its length, then inside the message. */
	n = frame(buf, r_www_ok, sizeof(r_www_ok));
	feed(&t, 1, buf, 1);
	feed(&t, 1, buf + 1, 30);
	assert_json(&t, 0,
		    "{\"dns\":{\"id\":\"4660\",\"op_code\":\"QUERY\",\"header_flags\":[\"RD\"],"
		    "\"type\":\"query\",\"question\":{\"name\":\"www.example.com\",\"type\":\"A\","
		    "\"class\":\"IN\"}}}");
	feed(&t, 1, buf + 31, n - 31);
	char *s = json_of(&t, 0);
	assert_non_null(strstr(s, "\"type\":\"answer\""));
	assert_non_null(strstr(s, "\"resolved_ip\":[\"192.0.2.7\",\"2001:db8::7\"]"));
	free(s);
	assert_string_equal(lookup(&t, v4(192, 0, 2, 7), T0 + 1), "www.example.com");
	/* Byte by byte: the same. */
	tctx_reset_state(&t);
	for (size_t i = 0; i < n; i++)
		feed(&t, 1, buf + i, 1);
	assert_json(&t, 1, "{\"dns\":{\"transactions\":1,\"queries\":[\"www.example.com\"]}}");
	assert_int_equal(t.cnt.v[CNT_DIS_DNS_MESSAGES], 4);
	assert_int_equal(t.cnt.v[CNT_DIS_DNS_INVALID] + t.cnt.v[CNT_DIS_DNS_TRUNC], 0);
	/* A message and a half, then a gap: the half is truncated, and the
	 * direction stops (where the next length starts is unknown). */
	tctx_reset_state(&t);
	n = frame(buf, q_www, sizeof(q_www));
	n += frame(buf + n, q2, sizeof(q2));
	feed(&t, 0, buf, n - 5);
	t.d->gap(&t.c, &t.f, t.state, 0);
	feed(&t, 0, buf, n);
	assert_int_equal(t.cnt.v[CNT_DIS_DNS_TRUNC], 1);
	assert_json(&t, 1, "{\"dns\":{\"transactions\":1,\"queries\":[\"www.example.com\"]}}");
	/* The other direction still works. */
	feed(&t, 1, buf, frame(buf, r_www_ok, sizeof(r_www_ok)));
	s = json_of(&t, 0);
	assert_non_null(strstr(s, "\"type\":\"answer\""));
	free(s);
	/* Freed with half a message buffered (valgrind checks). */
	feed(&t, 1, buf, 40);
	tctx_free(&t);
}

static void test_tcp_oversize_and_nonsense_length(void **state)
{
	(void)state;
	struct tctx t;
	tctx_init(&t, &dissector_dns_tcp);
	/* A 20000-byte message is skipped (counted), the next one parsed. */
	size_t big = 20000;
	uint8_t *buf = calloc(1, big + 2 + sizeof(q_www) + 2);
	assert_non_null(buf);
	buf[0] = (uint8_t)(big >> 8);
	buf[1] = (uint8_t)big;
	size_t n = 2 + big;
	n += frame(buf + n, q_www, sizeof(q_www));
	feed(&t, 0, buf, 1000);
	feed(&t, 0, buf + 1000, n - 1000);
	assert_int_equal(t.cnt.v[CNT_DIS_DNS_OVERSIZE], 1);
	assert_json(&t, 1, "{\"dns\":{\"transactions\":1,\"queries\":[\"www.example.com\"]}}");
	/* A length shorter than a header: invalid, and the direction stops. */
	uint8_t bad[] = {0x00, 0x03, 1, 2, 3};
	feed(&t, 1, bad, sizeof(bad));
	feed(&t, 1, buf + 2 + big, sizeof(q_www) + 2);
	assert_int_equal(t.cnt.v[CNT_DIS_DNS_INVALID], 1);
	assert_json(&t, 1, "{\"dns\":{\"transactions\":1,\"queries\":[\"www.example.com\"]}}");
	free(buf);
	tctx_free(&t);
}

/* An invalid message in the middle of a TCP stream stops the direction;
 * a UDP flow goes on after one. */
static void test_invalid_then_valid(void **state)
{
	(void)state;
	struct tctx t;
	tctx_init(&t, &dissector_dns);
	feed(&t, 1, r_www, sizeof(r_www));
	feed(&t, 0, q_www, sizeof(q_www));
	assert_int_equal(t.cnt.v[CNT_DIS_DNS_INVALID], 1);
	assert_json(&t, 1, "{\"dns\":{\"transactions\":1,\"queries\":[\"www.example.com\"]}}");
	tctx_free(&t);

	tctx_init(&t, &dissector_dns_tcp);
	uint8_t buf[256];
	size_t n = frame(buf, r_www, sizeof(r_www));
	n += frame(buf + n, r_www_ok, sizeof(r_www_ok));
	feed(&t, 1, buf, n);
	assert_int_equal(t.cnt.v[CNT_DIS_DNS_INVALID], 1);
	assert_json(&t, 1, "{}");
	tctx_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_then_answer),
		cmocka_unit_test(test_rdlength_contradiction),
		cmocka_unit_test(test_compression_pointer_loops),
		cmocka_unit_test(test_compression_depth_ok),
		cmocka_unit_test(test_name_escapes_and_codes),
		cmocka_unit_test(test_truncated_every_cut),
		cmocka_unit_test(test_cname_chain_feeds_cache),
		cmocka_unit_test(test_rcodes),
		cmocka_unit_test(test_transactions),
		cmocka_unit_test(test_mdns_class_bit),
		cmocka_unit_test(test_rdata_text),
		cmocka_unit_test(test_cache_ttl),
		cmocka_unit_test(test_cache_eviction),
		cmocka_unit_test(test_tcp_two_in_one_and_split),
		cmocka_unit_test(test_tcp_oversize_and_nonsense_length),
		cmocka_unit_test(test_invalid_then_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
