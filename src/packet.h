/*
 * packet.h - one captured packet and what the decoders learnt about it.
 *
 * The capture stage fills the first block; decode_packet() fills the rest.
 * Pointers point into the capture buffer (or into the defragmenter's buffer
 * for a reassembled datagram) and are valid until the next packet.
 */
#ifndef APN_PACKET_H
#define APN_PACKET_H

#include <stdint.h>

/* An IPv4 address is stored as ::ffff:a.b.c.d would be, but in the first 4
 * bytes with the rest zero; family says which. */
struct ip_addr {
	uint8_t family; /* 4 or 6; 0 for none */
	uint8_t a[16];
};

#define PKT_MAX_VLANS 2 /* kept; deeper stacks are decoded but not recorded */

struct packet {
	/* From the capture stage. */
	const uint8_t *data; /* first byte of the link layer */
	uint32_t caplen;     /* bytes captured */
	uint32_t wirelen;    /* bytes on the wire */
	uint64_t ts_us;      /* packet time, microseconds since the epoch */
	int linktype;        /* DLT_* of this packet's interface */

	/* Link and tunnel layers. */
	uint16_t vlan[PKT_MAX_VLANS];
	uint8_t vlan_count;
	uint8_t mpls_count;
	uint8_t pppoe;
	uint8_t gtp;            /* 1 when the inner packet came out of GTP-U */
	uint32_t teid;          /* GTP-U TEID of the innermost tunnel */
	struct ip_addr tun_src; /* outer IP of the innermost GTP-U tunnel */
	struct ip_addr tun_dst;

	/* Innermost IP layer: the device's packet. */
	const uint8_t *l3;    /* IP header; l3_len bytes readable */
	uint32_t l3_len;      /* captured bytes from l3 (or the reassembled length) */
	uint32_t l3_wirelen;  /* IP total length the header claims */
	struct ip_addr src, dst;
	uint8_t proto; /* IPPROTO_* of the transport, after IPv6 extension headers */
	uint8_t reassembled; /* 1 when l3 is a datagram rebuilt from fragments */
	uint8_t is_fragment; /* 1 for a fragment that did not complete a datagram */

	/* Transport. */
	uint16_t sport, dport; /* ICMP: type and code, as Community ID maps them */
	uint32_t tcp_seq;
	uint8_t tcp_flags;
	uint8_t icmp_type, icmp_code;
	const uint8_t *payload;
	uint32_t payload_len; /* captured payload bytes */
};

#endif /* APN_PACKET_H */
