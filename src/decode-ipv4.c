/*
 * decode-ipv4.c - IPv4 (RFC 791), fragments reassembled.
 *
 *    0                   1                   2                   3
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   |         Identification        |Flags|     Fragment Offset     |
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   |                       Source Address                          |
 *   |                    Destination Address                        |
 *   |                    Options (IHL > 5)                          |
 *
 * Total Length shorter than the capture: Ethernet padding, trimmed.
 * Longer: the snap length cut the packet; what was captured is decoded.
 */
#include "decode.h"

enum decode_result decode_ip(struct decoder *d, struct packet *p, struct rd *r, int depth)
{
	switch (rd_peek(r, 0) >> 4) {
	case 4:
		return decode_ipv4(d, p, r, depth);
	case 6:
		return decode_ipv6(d, p, r, depth);
	default:
		/* Nothing there at all: the link layer said IP, so the capture
		 * (or the tunnel) ended early. */
		if (rd_left(r) == 0)
			decode_short(d, p, CNT_DEC_IPV4_TRUNC, CNT_DEC_IPV4_INVALID);
		else
			cnt_inc(d->cnt, CNT_DEC_IP_VERSION);
		return DECODE_BAD;
	}
}

static enum decode_result ipv4_fragment(struct decoder *d, struct packet *p, const uint8_t *hdr,
					size_t ihl, struct rd *payload, uint32_t offset, int more,
					int depth)
{
	struct defrag_out out;
	enum defrag_result res =
		defrag_ipv4(d->defrag, d->cnt, p->ts_us, p->wirelen, hdr, ihl, rd_ptr(payload),
			    rd_left(payload), offset, more, &out);
	return decode_defragmented(d, p, res, &out, depth);
}

enum decode_result decode_ipv4(struct decoder *d, struct packet *p, struct rd *r, int depth)
{
	const uint8_t *start = rd_ptr(r);
	size_t avail = rd_left(r);
	uint8_t vihl = rd_u8(r);
	rd_skip(r, 1); /* type of service */
	uint16_t total = rd_be16(r);
	rd_skip(r, 2); /* identification: the defragmenter reads it */
	uint16_t frag = rd_be16(r);
	rd_skip(r, 1); /* ttl */
	uint8_t proto = rd_u8(r);
	rd_skip(r, 2); /* checksum: not checked, offloading leaves it zero */
	uint8_t src[4], dst[4];
	rd_copy(r, src, 4);
	rd_copy(r, dst, 4);
	if (!rd_ok(r)) {
		decode_short(d, p, CNT_DEC_IPV4_TRUNC, CNT_DEC_IPV4_INVALID);
		return DECODE_BAD;
	}
	size_t ihl = (size_t)(vihl & 0x0f) * 4;
	if (ihl < 20 || total < ihl) {
		cnt_inc(d->cnt, CNT_DEC_IPV4_INVALID);
		return DECODE_BAD;
	}
	rd_skip(r, ihl - 20); /* options */
	if (!rd_ok(r)) {
		decode_short(d, p, CNT_DEC_IPV4_TRUNC, CNT_DEC_IPV4_INVALID);
		return DECODE_BAD;
	}
	int cut;
	struct rd payload = rd_sub_upto(r, total - ihl, &cut);
	p->l3 = start;
	p->l3_len = (uint32_t)(avail < total ? avail : total);
	p->l3_wirelen = total;
	p->src.family = p->dst.family = 4;
	memset(p->src.a, 0, sizeof(p->src.a));
	memset(p->dst.a, 0, sizeof(p->dst.a));
	memcpy(p->src.a, src, 4);
	memcpy(p->dst.a, dst, 4);
	p->proto = proto;
	if (cut)
		decode_short(d, p, CNT_DEC_IPV4_TRUNC, CNT_DEC_IPV4_INVALID);

	uint32_t offset = (uint32_t)(frag & 0x1fff) * 8;
	int more = (frag & 0x2000) != 0;
	if (more || offset) {
		/* A fragment the snap length cut cannot be reassembled.  The
		 * first one still names the ports; later ones are lost. */
		if (!cut)
			return ipv4_fragment(d, p, start, ihl, &payload, offset, more, depth);
		if (offset) {
			p->is_fragment = 1;
			return DECODE_HELD;
		}
		p->is_fragment = 1;
	}
	return decode_l4(d, p, &payload, depth);
}
