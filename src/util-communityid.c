/*
 * util-communityid.c - Community ID v1 flow hashes.
 *
 * Spec: https://github.com/corelight/community-id-spec (README.md); the ICMP
 * type/code handling follows the reference implementation it names,
 * pycommunityid (communityid/icmp.py, icmp6.py), which mirrors Zeek's
 * ICMP4_counterpart()/ICMP6_counterpart().
 *
 * The hash input, all in network byte order, 32-bit aligned:
 *
 *    0      2                  2+a                2+2a   +1    +2      +4      +6
 *   +------+-------------------+-------------------+-----+-----+-------+-------+
 *   | seed | src addr (4 or 16)| dst addr (4 or 16)|proto|  0  | sport | dport |
 *   +------+-------------------+-------------------+-----+-----+-------+-------+
 *                                                               (port protocols
 *                                                                only)
 *
 * The endpoints are put in order first (smaller address, then smaller port,
 * comes first) so both directions of a flow hash alike; one-way ICMP
 * messages are never flipped.  The result is "1:" + base64(SHA-1(input)).
 */
#include "util-communityid.h"

#include <string.h>

#include <openssl/sha.h>

enum {
	PROTO_ICMP = 1,
	PROTO_TCP = 6,
	PROTO_UDP = 17,
	PROTO_ICMP6 = 58,
	PROTO_SCTP = 132,
};

/* Seed 2 + two IPv6 addresses 32 + proto and pad 2 + ports 4. */
#define CID_INPUT_MAX 40

/* The protocols whose tuple has ports (or ICMP's port equivalents). */
static int proto_has_ports(uint8_t proto)
{
	return proto == PROTO_TCP || proto == PROTO_UDP || proto == PROTO_SCTP ||
	       proto == PROTO_ICMP || proto == PROTO_ICMP6;
}

/*
 * ICMPv4 request/reply pairs (pycommunityid icmp.py TYPE_MAPPER): the
 * counterpart type, or -1 when the type has none and the message is one-way.
 */
static int icmp4_counterpart(uint16_t type)
{
	switch (type) {
	case 8: return 0;   /* echo -> echo reply */
	case 0: return 8;   /* echo reply -> echo */
	case 13: return 14; /* timestamp -> timestamp reply */
	case 14: return 13;
	case 15: return 16; /* information request -> reply */
	case 16: return 15;
	case 10: return 9;  /* router solicitation -> advertisement */
	case 9: return 10;
	case 17: return 18; /* address mask request -> reply */
	case 18: return 17;
	default: return -1;
	}
}

/* ICMPv6 pairs (pycommunityid icmp6.py TYPE_MAPPER). */
static int icmp6_counterpart(uint16_t type)
{
	switch (type) {
	case 128: return 129; /* echo request -> reply */
	case 129: return 128;
	case 130: return 131; /* MLD listener query -> report */
	case 131: return 130;
	case 133: return 134; /* router solicitation -> advertisement */
	case 134: return 133;
	case 135: return 136; /* neighbour solicitation -> advertisement */
	case 136: return 135;
	case 139: return 140; /* node information (who-are-you) query -> reply */
	case 140: return 139;
	case 144: return 145; /* home agent address discovery request -> reply */
	case 145: return 144;
	default: return -1;
	}
}

/*
 * Turns an ICMP type and code into ports: a request or reply gets (type,
 * counterpart) so both directions share a tuple and may be flipped; any
 * other message keeps (type, code) and is one-way, so it is never flipped
 * and an error about a flow does not hash like the flow.
 */
static void icmp_to_ports(uint8_t proto, uint16_t *sport, uint16_t *dport, int *one_way)
{
	int peer = proto == PROTO_ICMP ? icmp4_counterpart(*sport) : icmp6_counterpart(*sport);

	if (peer < 0) {
		*one_way = 1;
		return;
	}
	*dport = (uint16_t)peer;
	*one_way = 0;
}

/* RFC 4648 base64 with padding; out gets 4 * ceil(n / 3) characters + NUL. */
static void base64_encode(const uint8_t *in, size_t n, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		*out++ = tab[v >> 18 & 63];
		*out++ = tab[v >> 12 & 63];
		*out++ = tab[v >> 6 & 63];
		*out++ = tab[v & 63];
	}
	if (i < n) {
		/* One or two bytes left: pad the quantum with '='. */
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		*out++ = tab[v >> 18 & 63];
		*out++ = tab[v >> 12 & 63];
		*out++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
		*out++ = '=';
	}
	*out = '\0';
}

static size_t put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

int community_id_v1(const struct ip_addr *src, const struct ip_addr *dst, uint8_t proto,
		    uint16_t sport, uint16_t dport, uint16_t seed, char *out)
{
	uint8_t buf[CID_INPUT_MAX];
	uint8_t md[SHA_DIGEST_LENGTH];
	size_t alen, n = 0;
	int ports = proto_has_ports(proto);
	int one_way = 0;
	int cmp;

	if (out == NULL || src == NULL || dst == NULL || src->family != dst->family)
		goto err;
	if (src->family == 4)
		alen = 4;
	else if (src->family == 6)
		alen = 16;
	else
		goto err;

	if (!ports)
		sport = dport = 0;
	else if (proto == PROTO_ICMP || proto == PROTO_ICMP6)
		icmp_to_ports(proto, &sport, &dport, &one_way);

	/* Smaller address first; on equal addresses the smaller port.  Both are
	 * big-endian, so comparing bytes compares numbers. */
	cmp = memcmp(src->a, dst->a, alen);
	if (!one_way && (cmp > 0 || (cmp == 0 && sport > dport))) {
		const struct ip_addr *ta = src;
		uint16_t tp = sport;
		src = dst;
		dst = ta;
		sport = dport;
		dport = tp;
	}

	n += put_be16(buf + n, seed);
	memcpy(buf + n, src->a, alen);
	n += alen;
	memcpy(buf + n, dst->a, alen);
	n += alen;
	buf[n++] = proto;
	buf[n++] = 0;
	if (ports) {
		n += put_be16(buf + n, sport);
		n += put_be16(buf + n, dport);
	}

	SHA1(buf, n, md);
	out[0] = '1';
	out[1] = ':';
	base64_encode(md, sizeof(md), out + 2);
	return 0;

err:
	if (out != NULL)
		out[0] = '\0';
	return -1;
}
