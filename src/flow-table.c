/*
 * flow-table.c - the flow table: a chained hash of canonical keys, and one
 * list per timeout class kept in order of last activity.
 *
 * A packet moves its flow to the tail of its class's list, so the head of
 * each list is that class's idlest flow: expiry looks at four heads per
 * packet, and eviction at a full table takes the idlest of the four.
 * Flow records are recycled through a free list.
 */
#include <stdlib.h>
#include <string.h>

#include "flow.h"

struct flow_list {
	struct flow *head, *tail;
};

struct flow_table {
	struct flow_config cfg;
	struct counters *cnt;
	flow_end_fn on_end;
	void *arg;
	struct flow **buckets;
	uint64_t mask;
	uint64_t active;
	struct flow_list lists[TC__MAX];
	struct flow *free_list;
};

int flow_has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132;
}

static void endpoint(const struct flow *f, int lo, struct ip_addr *a, uint16_t *port)
{
	a->family = f->key.family;
	memcpy(a->a, lo ? f->key.addr_lo : f->key.addr_hi, 16);
	*port = lo ? f->key.port_lo : f->key.port_hi;
}

void flow_source(const struct flow *f, struct ip_addr *a, uint16_t *port)
{
	endpoint(f, f->src_is_lo, a, port);
}

void flow_destination(const struct flow *f, struct ip_addr *a, uint16_t *port)
{
	endpoint(f, !f->src_is_lo, a, port);
}

/* Builds the canonical key; returns 1 when the packet's sender is lo. */
static int make_key(const struct packet *p, struct flow_key *k)
{
	uint16_t sport = 0, dport = 0;
	memset(k, 0, sizeof(*k));
	k->family = p->src.family;
	k->proto = p->proto;
	if (flow_has_ports(p->proto)) {
		sport = p->sport;
		dport = p->dport;
	}
	/* ICMP flows are keyed on addresses alone: a ping's request and
	 * reply have different types and must meet in one flow. */
	int c = memcmp(p->src.a, p->dst.a, 16);
	int src_lo = c < 0 || (c == 0 && sport <= dport);
	memcpy(k->addr_lo, src_lo ? p->src.a : p->dst.a, 16);
	memcpy(k->addr_hi, src_lo ? p->dst.a : p->src.a, 16);
	k->port_lo = src_lo ? sport : dport;
	k->port_hi = src_lo ? dport : sport;
	return src_lo;
}

static uint64_t key_hash(const struct flow_key *k)
{
	uint64_t w[5], h = 0x9e3779b97f4a7c15ull;
	memcpy(w, k, sizeof(w));
	for (int i = 0; i < 5; i++) {
		h ^= w[i];
		h *= 0xbf58476d1ce4e5b9ull;
		h ^= h >> 31;
	}
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 29);
}

_Static_assert(sizeof(struct flow_key) == 40, "flow_key is hashed as five words");

static void list_remove(struct flow_list *l, struct flow *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		l->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		l->tail = f->prev;
	f->prev = f->next = NULL;
}

static void list_append(struct flow_list *l, struct flow *f)
{
	f->next = NULL;
	f->prev = l->tail;
	if (l->tail)
		l->tail->next = f;
	else
		l->head = f;
	l->tail = f;
}

struct flow_table *flow_table_new(const struct flow_config *cfg, struct counters *c,
				  flow_end_fn on_end, void *arg)
{
	struct flow_table *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->cfg = *cfg;
	t->cnt = c;
	t->on_end = on_end;
	t->arg = arg;
	/* One bucket per flow at the cap (at least 1024): chains stay short.
	 * calloc'd pages are only touched as they fill. */
	uint64_t n = 1024;
	while (n < cfg->max_flows && n < (1ull << 26))
		n <<= 1;
	t->buckets = calloc(n, sizeof(*t->buckets));
	if (t->buckets == NULL) {
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	return t;
}

static void unlink_flow(struct flow_table *t, struct flow *f)
{
	struct flow **pp = &t->buckets[key_hash(&f->key) & t->mask];
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	list_remove(&t->lists[f->tclass], f);
	t->active--;
}

static void end_flow(struct flow_table *t, struct flow *f, enum flow_end_reason why)
{
	static const enum counter_id by_reason[] = {CNT_FLOW_END_IDLE, CNT_FLOW_END_TCP,
						    CNT_FLOW_END_EVICTED, CNT_FLOW_END_CAPTURE};
	unlink_flow(t, f);
	cnt_inc(t->cnt, CNT_FLOW_ENDED);
	cnt_inc(t->cnt, by_reason[why]);
	t->on_end(t->arg, f, why);
	f->hnext = t->free_list;
	t->free_list = f;
}

void flow_table_free(struct flow_table *t)
{
	if (t == NULL)
		return;
	flow_table_flush(t, FLOW_END_CAPTURE);
	while (t->free_list) {
		struct flow *f = t->free_list;
		t->free_list = f->hnext;
		free(f);
	}
	free(t->buckets);
	free(t);
}

/* The flow whose last activity is oldest, across all classes. */
static struct flow *idlest(struct flow_table *t)
{
	struct flow *best = NULL;
	for (int i = 0; i < TC__MAX; i++) {
		struct flow *h = t->lists[i].head;
		if (h && (best == NULL || h->last_us < best->last_us))
			best = h;
	}
	return best;
}

void flow_table_expire(struct flow_table *t, uint64_t now_us)
{
	for (int i = 0; i < TC__MAX; i++) {
		struct flow *f;
		uint64_t to = t->cfg.timeout_us[i];
		while ((f = t->lists[i].head) && f->last_us + to < now_us)
			end_flow(t, f, i == TC_TCP_CLOSED ? FLOW_END_TCP_CLOSE : FLOW_END_IDLE);
	}
}

void flow_table_flush(struct flow_table *t, enum flow_end_reason why)
{
	struct flow *f;
	while ((f = idlest(t)) != NULL)
		end_flow(t, f, why);
}

uint64_t flow_table_active(const struct flow_table *t) { return t->active; }

static enum flow_tclass class_of(const struct flow *f)
{
	switch (f->key.proto) {
	case 6:
		return (f->tcp_close & 4) || (f->tcp_close & 3) == 3 ? TC_TCP_CLOSED : TC_TCP;
	case 17:
		return TC_UDP;
	default:
		return TC_OTHER;
	}
}

static struct flow *create(struct flow_table *t, const struct packet *p, const struct flow_key *k,
			   uint64_t h, int pkt_src_lo)
{
	if (t->active >= t->cfg.max_flows) {
		struct flow *victim = idlest(t);
		if (victim)
			end_flow(t, victim, FLOW_END_EVICTED);
	}
	struct flow *f = t->free_list;
	if (f)
		t->free_list = f->hnext;
	else if ((f = malloc(sizeof(*f))) == NULL)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->first_us = f->last_us = p->ts_us;
	/* The device side is the address inside the device networks; when
	 * both or neither are, the sender of the first packet. */
	int src_dev = cidr_list_contains(t->cfg.device_nets, &p->src);
	int dst_dev = cidr_list_contains(t->cfg.device_nets, &p->dst);
	int sender_is_source = !(dst_dev && !src_dev);
	f->src_is_lo = sender_is_source ? pkt_src_lo : !pkt_src_lo;
	f->initiator_is_src = (uint8_t)sender_is_source;
	f->internal = (uint8_t)(src_dev && dst_dev);
	if (p->vlan_count) {
		f->has_vlan = 1;
		f->vlan = p->vlan[0];
	}
	if (p->gtp) {
		f->gtp = 1;
		f->teid = p->teid;
		f->tun_family = p->tun_src.family;
		memcpy(f->tun_src, p->tun_src.a, 16);
		memcpy(f->tun_dst, p->tun_dst.a, 16);
	}
	if (p->proto == 1 || p->proto == 58) {
		f->icmp_type = p->icmp_type;
		f->icmp_code = p->icmp_code;
	}
	f->tclass = (uint8_t)class_of(f);
	f->hnext = t->buckets[h & t->mask];
	t->buckets[h & t->mask] = f;
	list_append(&t->lists[f->tclass], f);
	t->active++;
	cnt_inc(t->cnt, CNT_FLOW_CREATED);
	cnt_max(t->cnt, CNT_FLOW_ACTIVE_MAX, t->active);
	return f;
}

struct flow *flow_table_packet(struct flow_table *t, const struct packet *p, int *dir)
{
	struct flow_key k;
	int src_lo = make_key(p, &k);
	uint64_t h = key_hash(&k);
	struct flow *f;

	flow_table_expire(t, p->ts_us);
	for (f = t->buckets[h & t->mask]; f; f = f->hnext)
		if (memcmp(&f->key, &k, sizeof(k)) == 0)
			break;
	/* A SYN on the 5-tuple of a connection that saw a FIN or RST opens a
	 * new connection (as tshark starts a new TCP stream). */
	if (f && f->tcp_close && (p->tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN) {
		end_flow(t, f, FLOW_END_TCP_CLOSE);
		f = NULL;
	}
	if (f == NULL && (f = create(t, p, &k, h, src_lo)) == NULL)
		return NULL;
	*dir = src_lo == f->src_is_lo ? 0 : 1;
	return f;
}

void flow_account(struct flow_table *t, struct flow *f, const struct packet *p, int dir,
		  uint32_t frames, uint64_t bytes)
{
	f->pkts[dir] += frames;
	f->bytes[dir] += bytes;
	if (p->ts_us > f->last_us)
		f->last_us = p->ts_us;
	if (f->key.proto == 6) {
		f->tcp_flags[dir] |= p->tcp_flags;
		if (p->tcp_flags & TCPF_FIN)
			f->tcp_close |= (uint8_t)(1u << dir);
		if (p->tcp_flags & TCPF_RST)
			f->tcp_close |= 4;
	}
	/* Move to the tail of its (maybe new) class: the lists stay ordered
	 * by last activity as long as packet time does not go backwards. */
	list_remove(&t->lists[f->tclass], f);
	f->tclass = (uint8_t)class_of(f);
	list_append(&t->lists[f->tclass], f);
}
