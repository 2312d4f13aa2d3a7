/*
 * flow.h - bidirectional flows keyed on the innermost 5-tuple.
 *
 * A flow has a source (the device side: the endpoint inside --device-net,
 * else the one that sent the first packet) and a destination (the server
 * side).  Direction 0 is source to destination.  Flows end on idle
 * timeouts (per transport, on packet time), a TCP close, eviction when the
 * table is full (the idlest flow goes), or the end of the capture; each end
 * calls the table's on_end callback once, then the flow is recycled.
 */
#ifndef APN_FLOW_H
#define APN_FLOW_H

#include <stdint.h>

#include "counters.h"
#include "packet.h"
#include "util-cidr.h"

struct ndpi_flow_struct;
struct flow_app;

enum flow_end_reason {
	FLOW_END_IDLE = 0,
	FLOW_END_TCP_CLOSE,
	FLOW_END_EVICTED,
	FLOW_END_CAPTURE,
};

/* Canonical: (addr_lo, port_lo) <= (addr_hi, port_hi), so both directions
 * of a flow make the same key.  Padding is zero: keys compare with memcmp. */
struct flow_key {
	uint8_t addr_lo[16];
	uint8_t addr_hi[16];
	uint16_t port_lo, port_hi;
	uint8_t family, proto;
	uint8_t pad[2];
};

enum flow_tclass { TC_TCP = 0, TC_TCP_CLOSED, TC_UDP, TC_OTHER, TC__MAX };

enum dpi_state { DPI_NONE = 0, DPI_RUNNING, DPI_DONE };

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_ACK 0x10

struct flow {
	struct flow *hnext;       /* hash chain */
	struct flow *prev, *next; /* its timeout class's list, oldest first */
	struct flow_key key;
	uint64_t first_us, last_us;
	uint64_t bytes[2];
	uint32_t pkts[2];
	uint32_t frag_frames; /* frames that arrived as IP fragments */
	uint32_t teid;
	uint16_t vlan;
	uint16_t app_proto, master_proto, category; /* from nDPI */
	uint8_t src_is_lo;        /* the source is the key's lo endpoint */
	uint8_t initiator_is_src; /* the source sent the first packet */
	uint8_t internal;         /* both ends are in the device networks */
	uint8_t has_vlan, gtp;
	uint8_t tclass;
	uint8_t tcp_flags[2]; /* flags seen per direction, ORed */
	uint8_t tcp_close;    /* bit 0: FIN from source, bit 1: FIN from destination, bit 2: RST */
	uint8_t icmp_type, icmp_code;
	uint8_t dpi_state, dpi_packets;
	struct ndpi_flow_struct *ndpi;
	struct flow_app *app; /* the application dissector and its state */
	uint8_t tun_family;
	uint8_t tun_src[16], tun_dst[16];
};

/* The source's and destination's addresses and ports, from the key. */
void flow_source(const struct flow *f, struct ip_addr *a, uint16_t *port);
void flow_destination(const struct flow *f, struct ip_addr *a, uint16_t *port);
int flow_has_ports(uint8_t proto);

struct flow_config {
	const struct cidr_list *device_nets;
	uint64_t max_flows;
	uint64_t timeout_us[TC__MAX];
};

typedef void (*flow_end_fn)(void *arg, struct flow *f, enum flow_end_reason why);

struct flow_table;

/* Returns NULL when out of memory. */
struct flow_table *flow_table_new(const struct flow_config *cfg, struct counters *c,
				  flow_end_fn on_end, void *arg);
void flow_table_free(struct flow_table *t);

/* The packet's flow, created if new; *dir is 0 when the packet goes from
 * source to destination.  Ends flows whose time is up first.  Returns NULL
 * only when out of memory (counted). */
struct flow *flow_table_packet(struct flow_table *t, const struct packet *p, int *dir);
/* Counts a packet of frames/bytes into f and keeps its timeout class. */
void flow_account(struct flow_table *t, struct flow *f, const struct packet *p, int dir,
		  uint32_t frames, uint64_t bytes);
/* Ends every flow idle since before now_us minus its timeout. */
void flow_table_expire(struct flow_table *t, uint64_t now_us);
/* Ends every flow, oldest activity first. */
void flow_table_flush(struct flow_table *t, enum flow_end_reason why);
uint64_t flow_table_active(const struct flow_table *t);

#endif /* APN_FLOW_H */
