/*
 * test-defrag.c - IPv4/IPv6 fragment reassembly: order, duplicates,
 * overlaps, limits in time and memory, and the rebuilt headers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "counters.h"
#include "decode-defrag.h"

/* IPv4 header of a UDP datagram 192.0.2.1 -> 198.51.100.7, 20 bytes. */
static const uint8_t V4_HDR[20] = {
	0x45,                   /* version 4, IHL 5 (20 bytes) */
	0x00,                   /* DSCP/ECN */
	0x00, 0x1c,             /* total length (of the fragment; ignored) */
	0xbe, 0xef,             /* identification 0xbeef */
	0x20, 0x00,             /* flags MF, offset 0 (ignored: passed as arguments) */
	0x40,                   /* TTL 64 */
	0x11,                   /* protocol 17 (UDP) */
	0x00, 0x00,             /* header checksum (not checked here) */
	0xc0, 0x00, 0x02, 0x01, /* source 192.0.2.1 */
	0xc6, 0x33, 0x64, 0x07, /* destination 198.51.100.7 */
};

/* The same with DF set and 4 bytes of options, 24 bytes. */
static const uint8_t V4_HDR_OPTS[24] = {
	0x46,                   /* version 4, IHL 6 (24 bytes) */
	0x00,                   /* DSCP/ECN */
	0x00, 0x20,             /* total length (ignored) */
	0x12, 0x34,             /* identification 0x1234 */
	0x60, 0x00,             /* flags DF+MF, offset 0 */
	0x40,                   /* TTL 64 */
	0x06,                   /* protocol 6 (TCP) */
	0x00, 0x00,             /* header checksum */
	0xc0, 0x00, 0x02, 0x01, /* source 192.0.2.1 */
	0xc6, 0x33, 0x64, 0x07, /* destination 198.51.100.7 */
	0x01, 0x01, 0x01, 0x00, /* options: NOP, NOP, NOP, end of list */
};

/* IPv6 fixed header 2001:db8::1 -> 2001:db8::2 whose next header is the
 * fragment header (44). */
static const uint8_t V6_HDR[40] = {
	0x60, 0x00, 0x00, 0x00, /* version 6, traffic class 0, flow label 0 */
	0x00, 0x20,             /* payload length (of the fragment; ignored) */
	0x2c,                   /* next header 44 (Fragment) */
	0x40,                   /* hop limit 64 */
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, /* source 2001:db8::1 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, /* destination 2001:db8::2 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
};

/* The same, but a hop-by-hop options header (0) precedes the fragment
 * header, as the decoder saw it; the rebuilt datagram drops it. */
static const uint8_t V6_HDR_HBH[40] = {
	0x60, 0x00, 0x00, 0x00, /* version 6, traffic class 0, flow label 0 */
	0x00, 0x28,             /* payload length (HBH 8 + frag 8 + data; ignored) */
	0x00,                   /* next header 0 (Hop-by-Hop Options) */
	0x40,                   /* hop limit 64 */
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, /* source 2001:db8::1 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, /* destination 2001:db8::2 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
};

#define MAX_PAYLOAD 65535
static uint8_t payload[MAX_PAYLOAD]; /* a known pattern the fragments carve up */

struct fx {
	struct defrag *d;
	struct counters c;
	struct defrag_out out;
};

static int setup(void **state)
{
	static struct fx fx;

	memset(&fx, 0, sizeof(fx));
	fx.d = defrag_new(1 << 20, 30 * 1000000ull);
	if (fx.d == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	defrag_free(fx->d);
	return 0;
}

/* Feeds payload[off, off+len) as an IPv4 fragment of V4_HDR at time t;
 * wirelen is 14 (Ethernet) + 20 + len. */
static enum defrag_result v4(struct fx *fx, uint64_t t, uint32_t off, uint32_t len, int more)
{
	return defrag_ipv4(fx->d, &fx->c, t, 34 + len, V4_HDR, sizeof(V4_HDR), payload + off, len,
			   off, more, &fx->out);
}

static enum defrag_result v6(struct fx *fx, const uint8_t *hdr, uint32_t off, uint32_t len,
			     int more)
{
	/* wirelen: Ethernet 14 + IPv6 40 + fragment header 8 + data */
	return defrag_ipv6(fx->d, &fx->c, 0, 62 + len, hdr, 17, 0xcafe0001u, payload + off, len,
			   off, more, &fx->out);
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The one's complement sum of a correct IPv4 header, checksum included,
 * is 0xffff. */
static void assert_ipv4_checksum_ok(const uint8_t *h, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < len; i += 2)
		sum += be16(h + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff);
}

/* Checks a rebuilt IPv4 datagram of V4_HDR carrying payload[0, n). */
static void assert_v4_out(const struct defrag_out *o, uint32_t n)
{
	assert_int_equal(o->len, 20 + n);
	assert_int_equal(o->data[0], 0x45);
	assert_int_equal(be16(o->data + 2), 20 + n);    /* total length fixed */
	assert_int_equal(be16(o->data + 4), 0xbeef);    /* id kept */
	assert_int_equal(be16(o->data + 6), 0);         /* MF and offset cleared */
	assert_int_equal(o->data[9], 17);               /* protocol kept */
	assert_memory_equal(o->data + 12, V4_HDR + 12, 8); /* addresses kept */
	assert_ipv4_checksum_ok(o->data, 20);
	assert_memory_equal(o->data + 20, payload, n);
}

static void test_v4_in_order(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(v4(fx, 0, 0, 8, 1), DEFRAG_HELD);
	assert_int_equal(v4(fx, 1, 8, 16, 1), DEFRAG_HELD);
	assert_int_equal(v4(fx, 2, 24, 5, 0), DEFRAG_COMPLETE);
	assert_v4_out(&fx->out, 29);
	assert_int_equal(fx->out.frames, 3);
	assert_int_equal(fx->out.wire_bytes, (34 + 8) + (34 + 16) + (34 + 5));
	assert_int_equal(fx->c.v[CNT_DEFRAG_FRAGMENTS], 3);
	assert_int_equal(fx->c.v[CNT_DEFRAG_REASSEMBLED], 1);
	assert_int_equal(fx->c.v[CNT_DEFRAG_INVALID], 0);
}

static void test_v4_reverse_order(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(v4(fx, 0, 24, 5, 0), DEFRAG_HELD);
	assert_int_equal(v4(fx, 0, 16, 8, 1), DEFRAG_HELD);
	assert_int_equal(v4(fx, 0, 8, 8, 1), DEFRAG_HELD);
	assert_int_equal(v4(fx, 0, 0, 8, 1), DEFRAG_COMPLETE);
	assert_v4_out(&fx->out, 29);
	assert_int_equal(fx->out.frames, 4);
	assert_int_equal(fx->c.v[CNT_DEFRAG_REASSEMBLED], 1);
}

/* A repeated fragment is absorbed and not counted as a frame. */
static void test_v4_duplicate(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(v4(fx, 0, 0, 16, 1), DEFRAG_HELD);
	assert_int_equal(v4(fx, 0, 0, 16, 1), DEFRAG_HELD);
	assert_int_equal(v4(fx, 0, 16, 16, 1), DEFRAG_HELD);
	assert_int_equal(v4(fx, 0, 16, 16, 1), DEFRAG_HELD);
	assert_int_equal(v4(fx, 0, 32, 3, 0), DEFRAG_COMPLETE);
	assert_v4_out(&fx->out, 35);
	assert_int_equal(fx->out.frames, 3);
	assert_int_equal(fx->out.wire_bytes, (34 + 16) + (34 + 16) + (34 + 3));
	assert_int_equal(fx->c.v[CNT_DEFRAG_FRAGMENTS], 5);
	assert_int_equal(fx->c.v[CNT_DEFRAG_INVALID], 0);
}

/* Overlaps whose bytes agree are accepted, including one that bridges a
 * gap between two held pieces. */
static void test_v4_agreeing_overlap(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(v4(fx, 0, 0, 16, 1), DEFRAG_HELD);  /* [0,16) */
	assert_int_equal(v4(fx, 0, 32, 16, 1), DEFRAG_HELD); /* [32,48) */
	assert_int_equal(v4(fx, 0, 8, 32, 1), DEFRAG_HELD);  /* [8,40): fills [16,32) */
	assert_int_equal(v4(fx, 0, 40, 20, 0), DEFRAG_COMPLETE); /* [40,60), last */
	assert_v4_out(&fx->out, 60);
	assert_int_equal(fx->out.frames, 4);
	assert_int_equal(fx->c.v[CNT_DEFRAG_INVALID], 0);
}

/* An overlap whose bytes disagree drops the whole datagram. */
static void test_v4_conflicting_overlap(void **state)
{
	struct fx *fx = *state;
	uint8_t evil[16];

	memcpy(evil, payload + 8, sizeof(evil));
	evil[12] ^= 0xff; /* byte 20 of the datagram differs */

	assert_int_equal(v4(fx, 0, 0, 24, 1), DEFRAG_HELD);
	assert_int_equal(defrag_ipv4(fx->d, &fx->c, 0, 50, V4_HDR, sizeof(V4_HDR), evil,
				     sizeof(evil), 8, 1, &fx->out),
			 DEFRAG_DROPPED);
	assert_int_equal(fx->c.v[CNT_DEFRAG_INVALID], 1);
	/* The datagram is gone: the last fragment now starts a new one. */
	assert_int_equal(v4(fx, 0, 24, 4, 0), DEFRAG_HELD);
	assert_int_equal(fx->c.v[CNT_DEFRAG_REASSEMBLED], 0);
}

static void test_v4_timeout(void **state)
{
	struct fx *fx = *state;
	const uint64_t t0 = 1700000000000000ull, timeout = 30 * 1000000ull;

	assert_int_equal(v4(fx, t0, 0, 8, 1), DEFRAG_HELD);
	/* Just before the timeout the datagram is still there ... */
	defrag_expire(fx->d, &fx->c, t0 + timeout - 1);
	assert_int_equal(fx->c.v[CNT_DEFRAG_TIMEOUTS], 0);
	/* ... at it, the next fragment finds it gone. */
	assert_int_equal(v4(fx, t0 + timeout, 8, 4, 0), DEFRAG_HELD);
	assert_int_equal(fx->c.v[CNT_DEFRAG_TIMEOUTS], 1);
	defrag_expire(fx->d, &fx->c, t0 + 2 * timeout);
	assert_int_equal(fx->c.v[CNT_DEFRAG_TIMEOUTS], 2);
	assert_int_equal(fx->c.v[CNT_DEFRAG_REASSEMBLED], 0);
}

/* Packet time running backwards does not expire anything. */
static void test_v4_time_backwards(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(v4(fx, 5000000, 0, 8, 1), DEFRAG_HELD);
	assert_int_equal(v4(fx, 1000, 8, 4, 0), DEFRAG_COMPLETE);
	assert_int_equal(fx->c.v[CNT_DEFRAG_TIMEOUTS], 0);
}

/* Two datagrams that differ only in source address, protocol or id do not
 * mix. */
static void test_v4_keys_apart(void **state)
{
	struct fx *fx = *state;
	uint8_t other_src[20], other_proto[20], other_id[20];

	memcpy(other_src, V4_HDR, 20);
	other_src[15] = 0x02; /* source 192.0.2.2 */
	memcpy(other_proto, V4_HDR, 20);
	other_proto[9] = 0x06; /* protocol TCP */
	memcpy(other_id, V4_HDR, 20);
	other_id[5] = 0xf0; /* identification 0xbef0 */

	assert_int_equal(v4(fx, 0, 0, 8, 1), DEFRAG_HELD);
	assert_int_equal(defrag_ipv4(fx->d, &fx->c, 0, 42, other_src, 20, payload + 8, 4, 8, 0,
				     &fx->out),
			 DEFRAG_HELD);
	assert_int_equal(defrag_ipv4(fx->d, &fx->c, 0, 42, other_proto, 20, payload + 8, 4, 8, 0,
				     &fx->out),
			 DEFRAG_HELD);
	assert_int_equal(defrag_ipv4(fx->d, &fx->c, 0, 42, other_id, 20, payload + 8, 4, 8, 0,
				     &fx->out),
			 DEFRAG_HELD);
	assert_int_equal(v4(fx, 0, 8, 4, 0), DEFRAG_COMPLETE);
	assert_int_equal(fx->out.frames, 2);
}

/*
 * Memcap: each datagram below holds 2000 bytes plus bookkeeping (a few
 * hundred bytes at most), so two fit in 5000 and a third evicts the
 * oldest.
 */
static void test_memcap_eviction(void **state)
{
	struct fx *fx = *state;
	struct defrag *d = defrag_new(5000, 30 * 1000000ull);
	uint8_t hdr[3][20];

	(void)fx;
	assert_non_null(d);
	for (int i = 0; i < 3; i++) {
		memcpy(hdr[i], V4_HDR, 20);
		hdr[i][5] = (uint8_t)i; /* identification 0xbe00 + i */
		assert_int_equal(defrag_ipv4(d, &fx->c, (uint64_t)i, 2034, hdr[i], 20, payload,
					     2000, 0, 1, &fx->out),
				 DEFRAG_HELD);
	}
	assert_int_equal(fx->c.v[CNT_DEFRAG_EVICTED], 1);

	/* The oldest (id 0xbe00) was dropped: its next fragment starts over ... */
	assert_int_equal(defrag_ipv4(d, &fx->c, 3, 2034, hdr[0], 20, payload + 2000, 2000, 2000,
				     1, &fx->out),
			 DEFRAG_HELD);
	/* ... which made room by evicting id 0xbe01, while 0xbe02 completes. */
	assert_int_equal(fx->c.v[CNT_DEFRAG_EVICTED], 2);
	assert_int_equal(defrag_ipv4(d, &fx->c, 4, 38, hdr[2], 20, payload + 2000, 4, 2000, 0,
				     &fx->out),
			 DEFRAG_COMPLETE);
	assert_int_equal(fx->out.len, 20 + 2004);
	assert_memory_equal(fx->out.data + 20, payload, 2004);

	/* One fragment larger than the whole memcap is dropped as well. */
	assert_int_equal(defrag_ipv4(d, &fx->c, 5, 6034, hdr[1], 20, payload, 6000, 0, 1,
				     &fx->out),
			 DEFRAG_DROPPED);
	assert_int_equal(fx->c.v[CNT_DEFRAG_EVICTED], 3);
	assert_int_equal(fx->c.v[CNT_DEFRAG_INVALID], 0);
	defrag_free(d); /* frees the datagram still held */
}

/* Fragments that cannot be part of any datagram. */
static void test_v4_invalid_fragments(void **state)
{
	struct fx *fx = *state;

	/* offset + length beyond 65535 */
	assert_int_equal(v4(fx, 0, 65528, 8, 0), DEFRAG_DROPPED);
	/* a non-last fragment whose length is not a multiple of 8 */
	assert_int_equal(v4(fx, 0, 0, 12, 1), DEFRAG_DROPPED);
	/* an empty fragment */
	assert_int_equal(v4(fx, 0, 8, 0, 0), DEFRAG_DROPPED);
	/* an offset that no 13-bit field of 8-byte units can give */
	assert_int_equal(v4(fx, 0, 4, 8, 1), DEFRAG_DROPPED);
	/* a header too short to be IPv4 */
	assert_int_equal(defrag_ipv4(fx->d, &fx->c, 0, 50, V4_HDR, 19, payload, 8, 0, 1,
				     &fx->out),
			 DEFRAG_DROPPED);
	assert_int_equal(fx->c.v[CNT_DEFRAG_INVALID], 5);
	assert_int_equal(fx->c.v[CNT_DEFRAG_FRAGMENTS], 5);
}

/* The last fragment fixes the length; contradicting it drops the datagram. */
static void test_v4_beyond_last(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(v4(fx, 0, 16, 4, 0), DEFRAG_HELD); /* ends at 20 */
	assert_int_equal(v4(fx, 0, 16, 8, 1), DEFRAG_DROPPED); /* ends at 24 */
	assert_int_equal(fx->c.v[CNT_DEFRAG_INVALID], 1);

	/* A second last fragment with another end. */
	assert_int_equal(v4(fx, 0, 16, 4, 0), DEFRAG_HELD);
	assert_int_equal(v4(fx, 0, 24, 4, 0), DEFRAG_DROPPED);
	assert_int_equal(fx->c.v[CNT_DEFRAG_INVALID], 2);

	/* A last fragment ending before bytes already held. */
	assert_int_equal(v4(fx, 0, 24, 8, 1), DEFRAG_HELD);
	assert_int_equal(v4(fx, 0, 8, 4, 0), DEFRAG_DROPPED);
	assert_int_equal(fx->c.v[CNT_DEFRAG_INVALID], 3);
}

/* The biggest IPv4 datagram: a 20-byte header and 65515 bytes of payload
 * fill the 16-bit total length; one more byte is invalid. */
static void test_v4_too_big(void **state)
{
	struct fx *fx = *state;
	uint32_t off;

	for (off = 0; off + 1480 < 65515; off += 1480)
		assert_int_equal(v4(fx, 0, off, 1480, 1), DEFRAG_HELD);
	assert_int_equal(v4(fx, 0, off, 65515 - off, 0), DEFRAG_COMPLETE);
	assert_v4_out(&fx->out, 65515);

	for (off = 0; off + 1480 < 65516; off += 1480)
		assert_int_equal(v4(fx, 0, off, 1480, 1), DEFRAG_HELD);
	assert_int_equal(v4(fx, 0, off, 65516 - off, 0), DEFRAG_DROPPED);
	assert_int_equal(fx->c.v[CNT_DEFRAG_INVALID], 1);
}

/* Options are copied, DF is kept, MF and the offset are cleared. */
static void test_v4_header_with_options(void **state)
{
	struct fx *fx = *state;
	const uint8_t *o;

	assert_int_equal(defrag_ipv4(fx->d, &fx->c, 0, 62, V4_HDR_OPTS, 24, payload + 24, 4, 24,
				     0, &fx->out),
			 DEFRAG_HELD);
	assert_int_equal(defrag_ipv4(fx->d, &fx->c, 0, 62, V4_HDR_OPTS, 24, payload, 24, 0, 1,
				     &fx->out),
			 DEFRAG_COMPLETE);
	o = fx->out.data;
	assert_int_equal(fx->out.len, 24 + 28);
	assert_int_equal(o[0], 0x46);
	assert_int_equal(be16(o + 2), 24 + 28);
	assert_int_equal(be16(o + 6), 0x4000); /* DF only */
	assert_memory_equal(o + 20, V4_HDR_OPTS + 20, 4);
	assert_ipv4_checksum_ok(o, 24);
	assert_memory_equal(o + 24, payload, 28);
}

/* Checks a rebuilt IPv6 datagram of V6_HDR's addresses with payload[0, n). */
static void assert_v6_out(const struct defrag_out *o, uint32_t n)
{
	assert_int_equal(o->len, 40 + n);
	assert_int_equal(o->data[0] >> 4, 6);
	assert_int_equal(be16(o->data + 4), n); /* payload length fixed */
	assert_int_equal(o->data[6], 17);       /* next header from the fragment header */
	assert_int_equal(o->data[7], 64);
	assert_memory_equal(o->data + 8, V6_HDR + 8, 32);
	assert_memory_equal(o->data + 40, payload, n);
}

static void test_v6_plain(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(v6(fx, V6_HDR, 1232, 100, 0), DEFRAG_HELD);
	assert_int_equal(v6(fx, V6_HDR, 0, 1232, 1), DEFRAG_COMPLETE);
	assert_v6_out(&fx->out, 1332);
	assert_int_equal(fx->out.frames, 2);
	assert_int_equal(fx->out.wire_bytes, (62 + 100) + (62 + 1232));
}

/* A hop-by-hop header before the fragment header is dropped. */
static void test_v6_after_extension_header(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(v6(fx, V6_HDR_HBH, 0, 16, 1), DEFRAG_HELD);
	assert_int_equal(v6(fx, V6_HDR_HBH, 16, 5, 0), DEFRAG_COMPLETE);
	assert_v6_out(&fx->out, 21);
}

/* IPv6 datagrams may carry the full 65535 bytes of payload. */
static void test_v6_largest(void **state)
{
	struct fx *fx = *state;
	uint32_t off;

	for (off = 0; off + 1448 < MAX_PAYLOAD; off += 1448)
		assert_int_equal(v6(fx, V6_HDR, off, 1448, 1), DEFRAG_HELD);
	assert_int_equal(v6(fx, V6_HDR, off, MAX_PAYLOAD - off, 0), DEFRAG_COMPLETE);
	assert_v6_out(&fx->out, MAX_PAYLOAD);
	assert_int_equal(v6(fx, V6_HDR, 65528, 8, 0), DEFRAG_DROPPED);
	assert_int_equal(fx->c.v[CNT_DEFRAG_INVALID], 1);
}

/* An overlap that disagrees is invalid for IPv6 too. */
static void test_v6_conflict(void **state)
{
	struct fx *fx = *state;
	uint8_t evil[8] = {0};

	assert_int_equal(v6(fx, V6_HDR, 0, 16, 1), DEFRAG_HELD);
	assert_int_equal(defrag_ipv6(fx->d, &fx->c, 0, 70, V6_HDR, 17, 0xcafe0001u, evil, 8, 8, 1,
				     &fx->out),
			 DEFRAG_DROPPED);
	assert_int_equal(fx->c.v[CNT_DEFRAG_INVALID], 1);
}

/* Offset 0 without MF is a whole datagram (an IPv6 atomic fragment, RFC
 * 6946): it comes back at once and leaves held fragments of its id alone. */
static void test_v6_atomic_fragment(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(v6(fx, V6_HDR, 16, 8, 0), DEFRAG_HELD);
	assert_int_equal(v6(fx, V6_HDR, 0, 10, 0), DEFRAG_COMPLETE);
	assert_v6_out(&fx->out, 10);
	assert_int_equal(fx->out.frames, 1);
	assert_int_equal(fx->out.wire_bytes, 62 + 10);
	assert_int_equal(v6(fx, V6_HDR, 0, 16, 1), DEFRAG_COMPLETE);
	assert_v6_out(&fx->out, 24);
	assert_int_equal(fx->out.frames, 2);
	assert_int_equal(fx->c.v[CNT_DEFRAG_REASSEMBLED], 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_v4_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_reverse_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_agreeing_overlap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_conflicting_overlap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_time_backwards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_keys_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memcap_eviction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_invalid_fragments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_beyond_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_header_with_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v6_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v6_after_extension_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v6_largest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v6_conflict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v6_atomic_fragment, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
