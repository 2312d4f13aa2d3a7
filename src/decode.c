/*
 * decode.c - the decoder's entry point: one packet from the capture stage
 * to the device's IP packet (see decode.h).
 */
#include <string.h>

#include "decode.h"

#define DEFRAG_EXPIRE_EVERY_US 1000000

int decoder_init(struct decoder *d, struct counters *c, size_t defrag_bytes,
		 uint64_t defrag_timeout_us)
{
	memset(d, 0, sizeof(*d));
	d->cnt = c;
	d->defrag = defrag_new(defrag_bytes, defrag_timeout_us);
	return d->defrag ? 0 : -1;
}

void decoder_free(struct decoder *d)
{
	defrag_free(d->defrag);
	d->defrag = NULL;
}

enum decode_result decode_defragmented(struct decoder *d, struct packet *p,
				       enum defrag_result res, const struct defrag_out *out,
				       int depth)
{
	if (res == DEFRAG_HELD) {
		p->is_fragment = 1;
		return DECODE_HELD;
	}
	if (res != DEFRAG_COMPLETE)
		return DECODE_BAD;
	/* The flow counts every frame the datagram was made of. */
	d->frag_frames = out->frames;
	d->frag_wire_bytes = out->wire_bytes;
	struct rd whole = rd_init(out->data, out->len);
	enum decode_result rc = decode_ip(d, p, &whole, depth);
	p->reassembled = 1;
	return rc;
}

enum decode_result decode_packet(struct decoder *d, struct packet *p)
{
	/* Reset what the layers fill; the capture fields stay. */
	memset(&p->vlan, 0, sizeof(*p) - offsetof(struct packet, vlan));
	d->frag_frames = 0;
	d->frag_wire_bytes = 0;
	if (p->ts_us - d->last_expire_us >= DEFRAG_EXPIRE_EVERY_US) {
		defrag_expire(d->defrag, d->cnt, p->ts_us);
		d->last_expire_us = p->ts_us;
	}
	struct rd r = rd_init(p->data, p->caplen);
	return decode_link(d, p, &r);
}
