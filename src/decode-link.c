/*
 * decode-link.c - link layers and the EtherType switch.
 *
 *   Ethernet II   dst(6) src(6) type(2); type <= 1500 is an 802.3 length
 *                 (LLC/SNAP: not IP for us)
 *   802.1Q/ad     TCI(2) type(2) after type 0x8100, 0x88a8 or 0x9100
 *   MPLS          label(20) tc(3) S(1) ttl(8); after the bottom-of-stack
 *                 label the payload's version nibble says IPv4 or IPv6
 *                 (RFC 3032; pseudowires with a control word are not IP)
 *   PPPoE session ver/type(1) code(1) session(2) length(2) ppp-proto(2)
 *                 (RFC 2516; PPP 0x0021 IPv4, 0x0057 IPv6)
 *   Linux SLL     pkttype(2) hatype(2) halen(2) addr(8) protocol(2)
 *   Linux SLL2    protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1)
 *                 halen(1) addr(8)
 *   NULL          4-byte address family in the capturing host's byte
 *                 order; LOOP: the same in network byte order
 *   raw           the IP header itself
 */
#include "decode.h"

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_QINQ_OLD 0x9100
#define ETH_MPLS 0x8847
#define ETH_MPLS_MC 0x8848
#define ETH_PPPOE_SESS 0x8864

static enum decode_result truncated(struct decoder *d, enum counter_id id)
{
	cnt_inc(d->cnt, id);
	return DECODE_BAD;
}

static enum decode_result decode_mpls(struct decoder *d, struct packet *p, struct rd *r)
{
	for (int i = 0;; i++) {
		if (i == DECODE_MAX_MPLS) {
			cnt_inc(d->cnt, CNT_DEC_MPLS_TOO_DEEP);
			return DECODE_BAD;
		}
		uint32_t lse = rd_be32(r);
		if (!rd_ok(r))
			return truncated(d, CNT_DEC_MPLS_TRUNC);
		p->mpls_count++;
		if (lse & 0x100) /* bottom of stack */
			break;
	}
	uint8_t v = rd_peek(r, 0) >> 4;
	if (v == 4 || v == 6 || rd_left(r) == 0) /* nothing after the labels: truncated */
		return decode_ip(d, p, r, 0);
	cnt_inc(d->cnt, CNT_DEC_NON_IP);
	return DECODE_SKIP;
}

static enum decode_result decode_pppoe(struct decoder *d, struct packet *p, struct rd *r)
{
	uint8_t vt = rd_u8(r);
	uint8_t code = rd_u8(r);
	rd_skip(r, 2); /* session id */
	uint16_t len = rd_be16(r);
	uint16_t proto = rd_be16(r);
	if (!rd_ok(r))
		return truncated(d, CNT_DEC_PPPOE_TRUNC);
	if (vt != 0x11 || code != 0 || len < 2) {
		cnt_inc(d->cnt, CNT_DEC_PPPOE_INVALID);
		return DECODE_BAD;
	}
	p->pppoe = 1;
	if (proto == 0x0021 || proto == 0x0057)
		return decode_ip(d, p, r, 0);
	cnt_inc(d->cnt, CNT_DEC_NON_IP);
	return DECODE_SKIP;
}

enum decode_result decode_ethertype(struct decoder *d, struct packet *p, uint16_t type,
				    struct rd *r)
{
	int tags = 0;
	while (type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD) {
		if (++tags > DECODE_MAX_VLANS) {
			cnt_inc(d->cnt, CNT_DEC_VLAN_TOO_DEEP);
			return DECODE_BAD;
		}
		uint16_t tci = rd_be16(r);
		type = rd_be16(r);
		if (!rd_ok(r))
			return truncated(d, CNT_DEC_VLAN_TRUNC);
		if (p->vlan_count < PKT_MAX_VLANS)
			p->vlan[p->vlan_count++] = tci & 0x0fff;
	}
	switch (type) {
	case ETH_IPV4:
	case ETH_IPV6: {
		/* The EtherType and the header must agree on the version. */
		uint8_t want = type == ETH_IPV4 ? 4 : 6;
		if (rd_left(r) > 0 && rd_peek(r, 0) >> 4 != want) {
			cnt_inc(d->cnt, want == 4 ? CNT_DEC_IPV4_INVALID : CNT_DEC_IPV6_INVALID);
			return DECODE_BAD;
		}
		if (rd_left(r) == 0) {
			if (want == 4)
				decode_short(d, p, CNT_DEC_IPV4_TRUNC, CNT_DEC_IPV4_INVALID);
			else
				decode_short(d, p, CNT_DEC_IPV6_TRUNC, CNT_DEC_IPV6_INVALID);
			return DECODE_BAD;
		}
		return decode_ip(d, p, r, 0);
	}
	case ETH_MPLS:
	case ETH_MPLS_MC:
		return decode_mpls(d, p, r);
	case ETH_PPPOE_SESS:
		return decode_pppoe(d, p, r);
	default:
		cnt_inc(d->cnt, CNT_DEC_NON_IP);
		return DECODE_SKIP;
	}
}

static enum decode_result decode_ethernet(struct decoder *d, struct packet *p, struct rd *r)
{
	rd_skip(r, 12);
	uint16_t type = rd_be16(r);
	if (!rd_ok(r))
		return truncated(d, CNT_DEC_ETH_TRUNC);
	if (type <= 1500) { /* 802.3 length: LLC frames carry no IP here */
		cnt_inc(d->cnt, CNT_DEC_NON_IP);
		return DECODE_SKIP;
	}
	return decode_ethertype(d, p, type, r);
}

static enum decode_result decode_null(struct decoder *d, struct packet *p, struct rd *r,
				      int network_order)
{
	uint32_t fam = network_order ? rd_be32(r) : rd_le32(r);
	if (!rd_ok(r))
		return truncated(d, CNT_DEC_NULL_TRUNC);
	/* DLT_NULL is in the capturing host's order, which the file does not
	 * record: accept either.  AF_INET is 2 everywhere; AF_INET6 is 10
	 * (Linux), 24 (BSDs), 28 (FreeBSD), 30 (macOS). */
	if (!network_order && (fam & 0xffff) == 0)
		fam >>= 24;
	if (fam == 2 || fam == 10 || fam == 24 || fam == 28 || fam == 30)
		return decode_ip(d, p, r, 0);
	cnt_inc(d->cnt, CNT_DEC_NON_IP);
	return DECODE_SKIP;
}

enum decode_result decode_link(struct decoder *d, struct packet *p, struct rd *r)
{
	uint16_t type;
	switch (p->linktype) {
	case LT_ETHERNET:
		return decode_ethernet(d, p, r);
	case LT_LINUX_SLL:
		rd_skip(r, 14);
		type = rd_be16(r);
		if (!rd_ok(r))
			return truncated(d, CNT_DEC_SLL_TRUNC);
		return decode_ethertype(d, p, type, r);
	case LT_LINUX_SLL2:
		type = rd_be16(r);
		rd_skip(r, 18);
		if (!rd_ok(r))
			return truncated(d, CNT_DEC_SLL_TRUNC);
		return decode_ethertype(d, p, type, r);
	case LT_RAW_DLT:
	case LT_RAW_OPENBSD:
	case LT_RAW:
	case LT_IPV4:
	case LT_IPV6:
		return decode_ip(d, p, r, 0);
	case LT_NULL:
		return decode_null(d, p, r, 0);
	case LT_LOOP:
		return decode_null(d, p, r, 1);
	default:
		cnt_inc(d->cnt, CNT_DEC_LINK_UNSUPPORTED);
		return DECODE_SKIP;
	}
}
