/*
 * decode-l4.c - TCP (RFC 9293), UDP (RFC 768), SCTP (RFC 9260) ports,
 * ICMP (RFC 792) and ICMPv6 (RFC 4443) type and code.
 *
 *   TCP  sport(2) dport(2) seq(4) ack(4) offset(4 bits)+flags(12 bits)
 *        window(2) checksum(2) urgent(2) options
 *   UDP  sport(2) dport(2) length(2) checksum(2)
 *   ICMP type(1) code(1) checksum(2) ...
 *
 * A transport header cut short keeps whatever it could read:
 * with the ports read, the packet still belongs to its flow (and counts
 * as truncated); without them it is keyed on addresses alone.
 */
#include "decode.h"

#define GTPU_PORT 2152

static void decode_tcp(struct decoder *d, struct packet *p, struct rd *r)
{
	p->sport = rd_be16(r);
	p->dport = rd_be16(r);
	uint32_t seq = rd_be32(r);
	rd_skip(r, 4); /* acknowledgement number */
	uint8_t off = rd_u8(r);
	uint8_t flags = rd_u8(r);
	if (!rd_ok(r)) {
		decode_short(d, p, CNT_DEC_TCP_TRUNC, CNT_DEC_TCP_INVALID);
		return;
	}
	p->tcp_flags = flags;
	p->tcp_seq = seq;
	size_t hlen = (size_t)(off >> 4) * 4;
	if (hlen < 20) {
		cnt_inc(d->cnt, CNT_DEC_TCP_INVALID);
		return;
	}
	rd_skip(r, hlen - 14);
	if (!rd_ok(r)) {
		decode_short(d, p, CNT_DEC_TCP_TRUNC, CNT_DEC_TCP_INVALID);
		return;
	}
	p->payload = rd_ptr(r);
	p->payload_len = (uint32_t)rd_left(r);
}

static enum decode_result decode_udp(struct decoder *d, struct packet *p, struct rd *r, int depth)
{
	p->sport = rd_be16(r);
	p->dport = rd_be16(r);
	uint16_t len = rd_be16(r);
	rd_skip(r, 2);
	if (!rd_ok(r)) {
		decode_short(d, p, CNT_DEC_UDP_TRUNC, CNT_DEC_UDP_INVALID);
		return DECODE_OK;
	}
	if (len < 8) {
		cnt_inc(d->cnt, CNT_DEC_UDP_INVALID);
		return DECODE_OK;
	}
	int cut;
	struct rd payload = rd_sub_upto(r, len - 8u, &cut);
	if (cut)
		decode_short(d, p, CNT_DEC_UDP_TRUNC, CNT_DEC_UDP_INVALID);
	p->payload = rd_ptr(&payload);
	p->payload_len = (uint32_t)rd_left(&payload);
	if (p->sport == GTPU_PORT || p->dport == GTPU_PORT) {
		if (depth >= DECODE_MAX_TUNNELS) {
			cnt_inc(d->cnt, CNT_DEC_TUNNEL_TOO_DEEP);
			return DECODE_OK;
		}
		return decode_gtpu(d, p, &payload, depth);
	}
	return DECODE_OK;
}

static void decode_icmp(struct decoder *d, struct packet *p, struct rd *r)
{
	p->icmp_type = rd_u8(r);
	p->icmp_code = rd_u8(r);
	if (!rd_ok(r)) {
		decode_short(d, p, CNT_DEC_ICMP_TRUNC, CNT_DEC_ICMP_INVALID);
		return;
	}
	p->sport = p->icmp_type;
	p->dport = p->icmp_code;
	p->payload = rd_ptr(r);
	p->payload_len = (uint32_t)rd_left(r);
}

enum decode_result decode_l4(struct decoder *d, struct packet *p, struct rd *r, int depth)
{
	switch (p->proto) {
	case 6:
		decode_tcp(d, p, r);
		return DECODE_OK;
	case 17:
		return decode_udp(d, p, r, depth);
	case 1:
	case 58:
		decode_icmp(d, p, r);
		return DECODE_OK;
	case 132:
		p->sport = rd_be16(r);
		p->dport = rd_be16(r);
		if (!rd_ok(r))
			decode_short(d, p, CNT_DEC_SCTP_TRUNC, CNT_DEC_SCTP_INVALID);
		return DECODE_OK;
	default:
		p->payload = rd_ptr(r);
		p->payload_len = (uint32_t)rd_left(r);
		return DECODE_OK;
	}
}
