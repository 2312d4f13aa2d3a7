/*
 * decode.h - from link-layer bytes to the device's packet.
 *
 * decode_packet() walks the layers an APN egress carries: Ethernet,
 * 802.1Q/802.1ad tags, MPLS, PPPoE session, Linux SLL/SLL2, raw IP and
 * NULL/loopback link types, then IPv4 (fragments reassembled), IPv6
 * (extension headers, fragments), TCP, UDP, ICMP, ICMPv6, and GTP-U v1 on
 * UDP 2152, whose inner IP packet becomes the packet (the tunnel's outer
 * addresses and TEID are kept).  Every layer reads through util-reader.h
 * and counts truncated and invalid packets by name.
 */
#ifndef APN_DECODE_H
#define APN_DECODE_H

#include <stddef.h>

#include "counters.h"
#include "decode-defrag.h"
#include "packet.h"
#include "util-reader.h"

#define DECODE_MAX_VLANS 4   /* tags decoded before the packet is refused */
#define DECODE_MAX_MPLS 8    /* labels likewise */
#define DECODE_MAX_TUNNELS 2 /* GTP-U in GTP-U is possible; deeper is an attack */
#define DECODE_MAX_IPV6_EXT 8

/* Link types, as LINKTYPE_* in files and DLT_* live (equal but for raw). */
#define LT_NULL 0
#define LT_ETHERNET 1
#define LT_RAW_DLT 12
#define LT_RAW_OPENBSD 14
#define LT_RAW 101
#define LT_LOOP 108
#define LT_LINUX_SLL 113
#define LT_IPV4 228
#define LT_IPV6 229
#define LT_LINUX_SLL2 276

enum decode_result {
	DECODE_OK = 0,   /* p holds an IP packet for the flow stage */
	DECODE_SKIP = 1, /* not IP (ARP, LLDP, ...) or a fragment held for later */
	DECODE_BAD = 2,  /* truncated or invalid before the flow key was known; counted */
	DECODE_HELD = 3, /* an IP fragment kept until its datagram is complete */
};

struct decoder {
	struct counters *cnt;
	struct defrag *defrag;
	uint64_t last_expire_us;
	/* Frames of the datagram just reassembled, for flow accounting. */
	uint32_t frag_frames;
	uint64_t frag_wire_bytes;
};

/*
 * A layer that runs out of bytes: if the capture stopped early (the snap
 * length cut the frame), the packet is truncated; if the frame was
 * captured whole, a length field claimed more than its parent holds, and
 * the packet is invalid.
 */
static inline void decode_short(struct decoder *d, const struct packet *p, enum counter_id trunc,
				enum counter_id invalid)
{
	cnt_inc(d->cnt, p->caplen < p->wirelen ? trunc : invalid);
}

/* Returns 0, or -1 when out of memory. */
int decoder_init(struct decoder *d, struct counters *c, size_t defrag_bytes,
		 uint64_t defrag_timeout_us);
void decoder_free(struct decoder *d);

/* Decodes p->data..caplen for link type p->linktype into p. */
enum decode_result decode_packet(struct decoder *d, struct packet *p);

/* ---- internal: one function per layer, shared between decode-*.c ---- */
enum decode_result decode_link(struct decoder *d, struct packet *p, struct rd *r);
enum decode_result decode_ethertype(struct decoder *d, struct packet *p, uint16_t type,
				    struct rd *r);
/* Dispatches on the IP version nibble. */
enum decode_result decode_ip(struct decoder *d, struct packet *p, struct rd *r, int depth);
enum decode_result decode_ipv4(struct decoder *d, struct packet *p, struct rd *r, int depth);
enum decode_result decode_ipv6(struct decoder *d, struct packet *p, struct rd *r, int depth);
/* After the defragmenter's verdict on a fragment: held, dropped, or the
 * rebuilt datagram decoded as if captured whole. */
enum decode_result decode_defragmented(struct decoder *d, struct packet *p,
				       enum defrag_result res, const struct defrag_out *out,
				       int depth);
/* The transport layer of an IP packet; r holds the IP payload. */
enum decode_result decode_l4(struct decoder *d, struct packet *p, struct rd *r, int depth);
/* GTP-U; r holds the UDP payload.  Returns DECODE_OK with p rewritten to
 * the inner packet, or DECODE_SKIP when it is not a T-PDU we can open, in
 * which case p is left as the outer UDP packet. */
enum decode_result decode_gtpu(struct decoder *d, struct packet *p, struct rd *r, int depth);

#endif /* APN_DECODE_H */
