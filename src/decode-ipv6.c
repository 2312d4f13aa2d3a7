/*
 * decode-ipv6.c - IPv6 (RFC 8200): the fixed header, extension headers,
 * fragments reassembled.
 *
 *   |Version| Traffic Class |           Flow Label                  |
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   |                  Source Address (16 bytes)                    |
 *   |               Destination Address (16 bytes)                  |
 *
 * Extension headers walked (at most DECODE_MAX_IPV6_EXT): hop-by-hop (0),
 * routing (43), destination options (60), mobility (135), HIP (139),
 * shim6 (140): next(1) len(1) in 8-octet units past the first 8; AH (51):
 * len in 4-octet units past the first 8 (RFC 4302); fragment (44): next(1)
 * reserved(1) offset(13 bits) M(1) identification(4).  ESP (50) and No
 * Next Header (59) end the walk.
 */
#include "decode.h"

static int is_ext_header(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60 || nh == 135 || nh == 139 || nh == 140 || nh == 51;
}

/* A fragment header.  Sets *done when the packet's decoding ended here
 * (held, dropped, or reassembled and decoded to the end); an atomic
 * fragment leaves *done clear and p->proto set to the next header. */
static enum decode_result ipv6_fragment(struct decoder *d, struct packet *p, const uint8_t *hdr,
					struct rd *r, int depth, int *done)
{
	*done = 1;
	uint8_t next = rd_u8(r);
	rd_skip(r, 1);
	uint16_t offm = rd_be16(r);
	uint32_t id = rd_be32(r);
	if (!rd_ok(r)) {
		decode_short(d, p, CNT_DEC_IPV6_TRUNC, CNT_DEC_IPV6_INVALID);
		return DECODE_BAD;
	}
	uint32_t offset = offm & 0xfff8;
	int more = offm & 1;
	if (offset == 0 && !more) { /* atomic fragment (RFC 6946): not fragmented */
		p->proto = next;
		*done = 0;
		return DECODE_OK;
	}
	struct defrag_out out;
	enum defrag_result res = defrag_ipv6(d->defrag, d->cnt, p->ts_us, p->wirelen, hdr, next, id,
					     rd_ptr(r), rd_left(r), offset, more, &out);
	return decode_defragmented(d, p, res, &out, depth);
}

enum decode_result decode_ipv6(struct decoder *d, struct packet *p, struct rd *r, int depth)
{
	const uint8_t *start = rd_ptr(r);
	size_t avail = rd_left(r);
	uint32_t vtf = rd_be32(r);
	uint16_t plen = rd_be16(r);
	uint8_t next = rd_u8(r);
	rd_skip(r, 1); /* hop limit */
	p->src.family = p->dst.family = 6;
	rd_copy(r, p->src.a, 16);
	rd_copy(r, p->dst.a, 16);
	if (!rd_ok(r)) {
		decode_short(d, p, CNT_DEC_IPV6_TRUNC, CNT_DEC_IPV6_INVALID);
		return DECODE_BAD;
	}
	if (vtf >> 28 != 6) {
		cnt_inc(d->cnt, CNT_DEC_IPV6_INVALID);
		return DECODE_BAD;
	}
	int cut;
	struct rd payload = rd_sub_upto(r, plen, &cut);
	p->l3 = start;
	p->l3_len = (uint32_t)(avail < 40u + plen ? avail : 40u + plen);
	p->l3_wirelen = 40u + plen;
	if (cut)
		decode_short(d, p, CNT_DEC_IPV6_TRUNC, CNT_DEC_IPV6_INVALID);

	for (int i = 0; i <= DECODE_MAX_IPV6_EXT; i++) {
		if (next == 44) {
			if (cut) { /* cannot reassemble what was not captured */
				p->is_fragment = 1;
				return DECODE_HELD;
			}
			int done;
			enum decode_result rc = ipv6_fragment(d, p, start, &payload, depth, &done);
			if (done)
				return rc;
			next = p->proto; /* atomic fragment: go on with its next header */
			continue;
		}
		if (!is_ext_header(next))
			break;
		if (i == DECODE_MAX_IPV6_EXT) {
			cnt_inc(d->cnt, CNT_DEC_IPV6_INVALID);
			return DECODE_BAD;
		}
		uint8_t nh = rd_u8(&payload);
		uint8_t len = rd_u8(&payload);
		rd_skip(&payload, next == 51 ? ((size_t)len + 2) * 4 - 2 : (size_t)len * 8 + 6);
		if (!rd_ok(&payload)) {
			if (!cut) /* a cut payload was counted once already */
				decode_short(d, p, CNT_DEC_IPV6_TRUNC, CNT_DEC_IPV6_INVALID);
			return DECODE_BAD;
		}
		next = nh;
	}
	p->proto = next;
	return decode_l4(d, p, &payload, depth);
}
