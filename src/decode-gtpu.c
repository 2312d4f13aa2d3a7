/*
 * decode-gtpu.c - GTP-U version 1 (3GPP TS 29.281) on UDP 2152.
 *
 *   flags(1): version(3)=1 PT(1)=1 (*) E(1) S(1) PN(1)
 *   message type(1): 0xff G-PDU (T-PDU: a user's packet), 1/2 echo,
 *                    26 error indication, 254 end marker
 *   length(2): bytes after the first 8
 *   TEID(4)
 *   if any of E, S, PN: sequence(2) N-PDU(1) next extension type(1)
 *   extension headers: length(1, in 4-octet units, all of it) content
 *                      next type(1); type 0 ends the chain
 *
 * A G-PDU's payload is the device's IP packet: the packet becomes that
 * inner packet, and the tunnel's outer addresses and TEID are kept.  Other
 * messages, and payloads we cannot open, stay the outer UDP packet.
 */
#include "decode.h"

#define GTPU_MAX_EXT 8

enum decode_result decode_gtpu(struct decoder *d, struct packet *p, struct rd *r, int depth)
{
	uint8_t flags = rd_u8(r);
	uint8_t type = rd_u8(r);
	uint16_t len = rd_be16(r);
	uint32_t teid = rd_be32(r);
	if (!rd_ok(r)) {
		decode_short(d, p, CNT_DEC_GTPU_TRUNC, CNT_DEC_GTPU_INVALID);
		return DECODE_OK;
	}
	if ((flags >> 5) != 1 || !(flags & 0x10)) {
		cnt_inc(d->cnt, CNT_DEC_GTPU_INVALID); /* not GTPv1-U on the GTP-U port */
		return DECODE_OK;
	}
	int cut;
	struct rd body = rd_sub_upto(r, len, &cut);
	if (cut) /* counted, and what there is is still opened */
		decode_short(d, p, CNT_DEC_GTPU_TRUNC, CNT_DEC_GTPU_INVALID);
	if (flags & 0x07) {
		rd_skip(&body, 3); /* sequence number, N-PDU number */
		uint8_t ext = rd_u8(&body);
		for (int i = 0; ext != 0; i++) {
			uint8_t units = rd_u8(&body);
			if (i == GTPU_MAX_EXT || (rd_ok(&body) && units == 0)) {
				cnt_inc(d->cnt, CNT_DEC_GTPU_INVALID);
				return DECODE_OK;
			}
			rd_skip(&body, (size_t)units * 4 - 2);
			ext = rd_u8(&body);
			if (!rd_ok(&body))
				break;
		}
	}
	if (!rd_ok(&body)) {
		if (!cut)
			decode_short(d, p, CNT_DEC_GTPU_TRUNC, CNT_DEC_GTPU_INVALID);
		return DECODE_OK;
	}
	if (type != 0xff) {
		cnt_inc(d->cnt, CNT_DEC_GTPU_NON_TPDU);
		return DECODE_OK;
	}
	uint8_t v = rd_peek(&body, 0) >> 4;
	if (v != 4 && v != 6) {
		cnt_inc(d->cnt, rd_left(&body) ? CNT_DEC_GTPU_INVALID : CNT_DEC_GTPU_TRUNC);
		return DECODE_OK;
	}
	cnt_inc(d->cnt, CNT_DEC_GTPU_PACKETS);

	/* Decode the inner packet over a copy, so that an inner packet we
	 * cannot read leaves the outer one intact. */
	struct packet inner = *p;
	inner.gtp = 1;
	inner.teid = teid;
	inner.tun_src = p->src;
	inner.tun_dst = p->dst;
	inner.sport = inner.dport = 0;
	inner.tcp_flags = inner.icmp_type = inner.icmp_code = 0;
	inner.payload = NULL;
	inner.payload_len = 0;
	inner.reassembled = inner.is_fragment = 0;
	enum decode_result rc = decode_ip(d, &inner, &body, depth + 1);
	if (rc == DECODE_OK || rc == DECODE_HELD) {
		*p = inner;
		return rc;
	}
	return DECODE_OK; /* counted by the inner layer; keep the outer packet */
}
