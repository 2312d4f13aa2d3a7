/*
 * apngen-wire.c - frames and the pcap file: Ethernet II, IPv4 (RFC 791),
 * UDP (RFC 768), TCP (RFC 9293) with consistent sequence numbers, and with
 * --gtp the GTPv1-U wrapping of 3GPP TS 29.281:
 *
 *   outer Ethernet | outer IPv4 SGW <-> PGW | UDP 2152 -> 2152 |
 *   GTP-U: flags 0x30 (version 1, PT 1), type 0xff (G-PDU), length, TEID |
 *   inner IPv4 of the device
 *
 * The pcap file is the classic format: microsecond timestamps, linktype 1,
 * every integer little-endian so that the bytes do not depend on the host.
 */
#include <stdlib.h>
#include <string.h>

#include "apngen.h"

/* Locally administered MAC addresses ("apn" in bytes 2-4). */
static const uint8_t mac_pgw_sgi[6] = {0x02, 0x61, 0x70, 0x6e, 0x00, 0x01};
static const uint8_t mac_router[6] = {0x02, 0x61, 0x70, 0x6e, 0x00, 0x02};
static const uint8_t mac_pgw_s5[6] = {0x02, 0x61, 0x70, 0x6e, 0x00, 0x03};
static const uint8_t mac_aaa[6] = {0x02, 0x61, 0x70, 0x6e, 0x00, 0x04};
static const uint8_t mac_sgw[6] = {0x02, 0x61, 0x70, 0x6e, 0x01, 0x00};

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_PSH 0x08
#define TCP_ACK 0x10

void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void ip4_str(uint32_t ip, char *buf, size_t n)
{
	snprintf(buf, n, "%u.%u.%u.%u", (unsigned)(ip >> 24), (unsigned)(ip >> 16 & 0xff),
		 (unsigned)(ip >> 8 & 0xff), (unsigned)(ip & 0xff));
}

/* ---- pcap ---- */

void pcap_writer_open(struct pcap_writer *w, FILE *f, uint64_t start_sec, uint64_t rate)
{
	uint8_t hdr[24];
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->start_us = start_sec * 1000000u;
	w->rate = rate;
	put_le32(hdr, 0xa1b2c3d4);
	put_le16(hdr + 4, 2);
	put_le16(hdr + 6, 4);
	put_le32(hdr + 8, 0);      /* thiszone */
	put_le32(hdr + 12, 0);     /* sigfigs */
	put_le32(hdr + 16, 65535); /* snaplen */
	put_le32(hdr + 20, 1);     /* LINKTYPE_ETHERNET */
	if (fwrite(hdr, sizeof(hdr), 1, f) != 1)
		w->err = 1;
	w->bytes = sizeof(hdr);
}

uint64_t pcap_writer_now_us(const struct pcap_writer *w)
{
	return w->start_us + w->count * 1000000u / w->rate;
}

void pcap_writer_frame(struct pcap_writer *w, const uint8_t *frame, size_t len)
{
	uint8_t rec[16];
	uint64_t ts = pcap_writer_now_us(w);
	put_le32(rec, (uint32_t)(ts / 1000000u));
	put_le32(rec + 4, (uint32_t)(ts % 1000000u));
	put_le32(rec + 8, (uint32_t)len);
	put_le32(rec + 12, (uint32_t)len);
	if (fwrite(rec, sizeof(rec), 1, w->f) != 1 || fwrite(frame, len, 1, w->f) != 1)
		w->err = 1;
	w->count++;
	w->bytes += sizeof(rec) + len;
}

/* ---- sessions: buffers of frames ---- */

void sess_reset(struct sess *s)
{
	s->len = 0;
	s->rpos = 0;
	s->npkts = 0;
}

void sess_free(struct sess *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

int sess_done(const struct sess *s)
{
	return s->rpos >= s->len;
}

size_t sess_emit_next(struct sess *s, struct pcap_writer *w)
{
	size_t flen = (size_t)s->buf[s->rpos] | (size_t)s->buf[s->rpos + 1] << 8;
	pcap_writer_frame(w, s->buf + s->rpos + 2, flen);
	s->rpos += 2 + flen;
	return flen;
}

static uint8_t *sess_reserve(struct sess *s, size_t flen)
{
	if (s->len + 2 + flen > s->cap) {
		size_t cap = s->cap ? s->cap : 16384;
		while (cap < s->len + 2 + flen)
			cap *= 2;
		uint8_t *nb = realloc(s->buf, cap);
		if (!nb) {
			fprintf(stderr, "apngen: out of memory\n");
			exit(1);
		}
		s->buf = nb;
		s->cap = cap;
	}
	uint8_t *p = s->buf + s->len;
	put_le16(p, (uint16_t)flen);
	s->len += 2 + flen;
	s->npkts++;
	return p + 2;
}

/* ---- checksums ---- */

static uint32_t sum16(uint32_t acc, const uint8_t *p, size_t len)
{
	while (len > 1) {
		acc += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)p[0] << 8;
	return acc;
}

static uint16_t fold16(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

/* TCP/UDP checksum over the IPv4 pseudo-header and the segment at l4. */
static uint16_t l4_checksum(uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *l4,
			    size_t len)
{
	uint32_t acc = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff);
	acc += proto;
	acc += (uint32_t)len;
	acc = sum16(acc, l4, len);
	uint16_t c = fold16(acc);
	if (proto == 17 && c == 0)
		c = 0xffff;
	return c;
}

static void ip4_header(uint8_t *ip, uint32_t src, uint32_t dst, uint8_t proto, uint16_t id,
		       uint8_t ttl, int df, size_t total)
{
	ip[0] = 0x45;
	ip[1] = 0;
	put_be16(ip + 2, (uint16_t)total);
	put_be16(ip + 4, id);
	put_be16(ip + 6, df ? 0x4000 : 0);
	ip[8] = ttl;
	ip[9] = proto;
	put_be16(ip + 10, 0);
	put_be32(ip + 12, src);
	put_be32(ip + 16, dst);
	put_be16(ip + 10, fold16(sum16(0, ip, 20)));
}

/* ---- frames ---- */

/* Wraps the IPv4 packet in g->ip into a frame of session s: Ethernet on the
 * SGi side, or the GTP-U tunnel when the flow belongs to a device and --gtp
 * is on; and counts it for the device's accounting. */
static void frame_append(struct gen *g, struct sess *s, const struct flow *f, int from_client,
			 size_t iplen)
{
	struct device *dev = f->dev;
	int tunnel = g->gtp && dev;
	size_t flen = 14 + (tunnel ? 36 : 0) + iplen;
	uint8_t *p = sess_reserve(s, flen);

	const uint8_t *src_mac, *dst_mac;
	if (!dev) {
		src_mac = from_client ? mac_pgw_sgi : mac_aaa;
		dst_mac = from_client ? mac_aaa : mac_pgw_sgi;
	} else if (tunnel) {
		src_mac = from_client ? mac_sgw : mac_pgw_s5;
		dst_mac = from_client ? mac_pgw_s5 : mac_sgw;
	} else {
		src_mac = from_client ? mac_pgw_sgi : mac_router;
		dst_mac = from_client ? mac_router : mac_pgw_sgi;
	}
	memcpy(p, dst_mac, 6);
	memcpy(p + 6, src_mac, 6);
	if (tunnel) {
		/* The SGW MAC's last byte tells which SGW. */
		uint8_t *sgw = from_client ? p + 6 : p;
		sgw[5] = (uint8_t)(dev->sgw_ip - ADDR_SGW_BASE);
	}
	put_be16(p + 12, 0x0800);
	p += 14;

	if (tunnel) {
		uint32_t osrc = from_client ? dev->sgw_ip : ADDR_PGW;
		uint32_t odst = from_client ? ADDR_PGW : dev->sgw_ip;
		uint16_t id = from_client ? g->outer_ipid_ul++ : g->outer_ipid_dl++;
		ip4_header(p, osrc, odst, 17, id, 64, 0, 36 + iplen);
		uint8_t *udp = p + 20;
		put_be16(udp, 2152);
		put_be16(udp + 2, 2152);
		put_be16(udp + 4, (uint16_t)(16 + iplen));
		put_be16(udp + 6, 0);
		uint8_t *gtp = udp + 8;
		gtp[0] = 0x30;
		gtp[1] = 0xff;
		put_be16(gtp + 2, (uint16_t)iplen);
		put_be32(gtp + 4, from_client ? dev->teid_ul : dev->teid_dl);
		memcpy(gtp + 8, g->ip, iplen);
		put_be16(udp + 6, l4_checksum(osrc, odst, 17, udp, 16 + iplen));
	} else {
		memcpy(p, g->ip, iplen);
	}

	if (dev) {
		if (from_client) {
			dev->up_octets += iplen;
			dev->up_pkts++;
		} else {
			dev->down_octets += iplen;
			dev->down_pkts++;
		}
	}
	g->pkts_made++;
}

void flow_open(struct gen *g, struct flow *f, struct device *dev, uint32_t cip, uint16_t cport,
	       uint32_t sip, uint16_t sport, uint8_t proto)
{
	memset(f, 0, sizeof(*f));
	f->dev = dev;
	f->cip = cip;
	f->cport = cport;
	f->sip = sip;
	f->sport = sport;
	f->proto = proto;
	f->cseq = (uint32_t)rng_next(&g->rng);
	f->sseq = (uint32_t)rng_next(&g->rng);
	f->cipid = (uint16_t)rng_next(&g->rng);
	f->sipid = (uint16_t)rng_next(&g->rng);
	f->sttl = (uint8_t)(48 + rng_below(&g->rng, 12));
}

/* Fills the IPv4 header in g->ip for a packet of flow f and appends it. */
static void ip_finish(struct gen *g, struct sess *s, struct flow *f, int from_client,
		      size_t l4len)
{
	uint32_t src = from_client ? f->cip : f->sip;
	uint32_t dst = from_client ? f->sip : f->cip;
	uint16_t id;
	if (from_client)
		id = f->dev ? f->dev->ipid++ : f->cipid++;
	else
		id = f->sipid++;
	ip4_header(g->ip, src, dst, f->proto, id, from_client ? 64 : f->sttl, 1, 20 + l4len);
	frame_append(g, s, f, from_client, 20 + l4len);
}

void udp_send(struct gen *g, struct sess *s, struct flow *f, int from_client, const uint8_t *data,
	      size_t len)
{
	uint8_t *udp = g->ip + 20;
	uint32_t src = from_client ? f->cip : f->sip;
	uint32_t dst = from_client ? f->sip : f->cip;
	put_be16(udp, from_client ? f->cport : f->sport);
	put_be16(udp + 2, from_client ? f->sport : f->cport);
	put_be16(udp + 4, (uint16_t)(8 + len));
	put_be16(udp + 6, 0);
	memcpy(udp + 8, data, len);
	put_be16(udp + 6, l4_checksum(src, dst, 17, udp, 8 + len));
	ip_finish(g, s, f, from_client, 8 + len);
}

static void tcp_segment(struct gen *g, struct sess *s, struct flow *f, int from_client,
			uint8_t flags, const uint8_t *data, size_t len)
{
	uint8_t *tcp = g->ip + 20;
	size_t optlen = (flags & TCP_SYN) ? 8 : 0;
	size_t thl = 20 + optlen;
	uint32_t src = from_client ? f->cip : f->sip;
	uint32_t dst = from_client ? f->sip : f->cip;
	uint32_t *seq = from_client ? &f->cseq : &f->sseq;
	uint32_t ack = (flags & TCP_ACK) ? (from_client ? f->sseq : f->cseq) : 0;

	put_be16(tcp, from_client ? f->cport : f->sport);
	put_be16(tcp + 2, from_client ? f->sport : f->cport);
	put_be32(tcp + 4, *seq);
	put_be32(tcp + 8, ack);
	tcp[12] = (uint8_t)((thl / 4) << 4);
	tcp[13] = flags;
	put_be16(tcp + 14, from_client ? 64240 : 65160);
	put_be16(tcp + 16, 0);
	put_be16(tcp + 18, 0);
	if (optlen) {
		static const uint8_t opts[8] = {2, 4, TCP_MSS >> 8, TCP_MSS & 0xff, 1, 1, 4, 2};
		memcpy(tcp + 20, opts, sizeof(opts));
	}
	if (len)
		memcpy(tcp + thl, data, len);
	put_be16(tcp + 16, l4_checksum(src, dst, 6, tcp, thl + len));
	*seq += (uint32_t)len + ((flags & (TCP_SYN | TCP_FIN)) ? 1 : 0);
	ip_finish(g, s, f, from_client, thl + len);
}

void tcp_connect(struct gen *g, struct sess *s, struct flow *f)
{
	tcp_segment(g, s, f, 1, TCP_SYN, NULL, 0);
	tcp_segment(g, s, f, 0, TCP_SYN | TCP_ACK, NULL, 0);
	tcp_segment(g, s, f, 1, TCP_ACK, NULL, 0);
}

void tcp_send(struct gen *g, struct sess *s, struct flow *f, int from_client, const uint8_t *data,
	      size_t len, int ack_last)
{
	size_t off = 0;
	unsigned nseg = 0;
	while (off < len) {
		size_t n = len - off < TCP_MSS ? len - off : TCP_MSS;
		int last = off + n == len;
		tcp_segment(g, s, f, from_client, TCP_ACK | (last ? TCP_PSH : 0), data + off, n);
		off += n;
		if (!last && ++nseg % 2 == 0)
			tcp_segment(g, s, f, !from_client, TCP_ACK, NULL, 0);
	}
	if (ack_last && len)
		tcp_segment(g, s, f, !from_client, TCP_ACK, NULL, 0);
}

void tcp_close(struct gen *g, struct sess *s, struct flow *f, int client_first)
{
	tcp_segment(g, s, f, client_first, TCP_FIN | TCP_ACK, NULL, 0);
	tcp_segment(g, s, f, !client_first, TCP_FIN | TCP_ACK, NULL, 0);
	tcp_segment(g, s, f, client_first, TCP_ACK, NULL, 0);
}
