/*
 * registry.c - the table of dissectors, and the glue that chooses one per
 * flow and feeds it (see dissector.h).
 *
 * Adding a dissector: one file in dissectors/, one line in the table below.
 */
#include <stdlib.h>
#include <string.h>

#include "dissector.h"
#include "dns.h"

extern const struct dissector dissector_dns;
extern const struct dissector dissector_dns_tcp;
extern const struct dissector dissector_tls;
extern const struct dissector dissector_http;
extern const struct dissector dissector_ftp;
extern const struct dissector dissector_ftp_data;
extern const struct dissector dissector_mqtt;
extern const struct dissector dissector_coap;
extern const struct dissector dissector_radius;
extern const struct dissector dissector_gtpv2c;

/* Order matters only for probes: the first whose probe says yes wins. */
static const struct dissector *const table[] = {
	&dissector_ftp_data, /* claims announced data connections first */
	&dissector_dns,
	&dissector_dns_tcp,
	&dissector_tls,
	&dissector_http,
	&dissector_ftp,
	&dissector_mqtt,
	&dissector_coap,
	&dissector_radius,
	&dissector_gtpv2c,
};

#define N_DISSECTORS (sizeof(table) / sizeof(table[0]))
/* Payload packets after which a flow no dissector recognised is left. */
#define CHOOSE_TRIES 8
#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)

const struct dissector *const *dissector_table(size_t *n)
{
	*n = N_DISSECTORS;
	return table;
}

static int has_id(const uint16_t *ids, uint16_t id)
{
	if (ids == NULL || id == 0)
		return 0;
	for (; *ids; ids++)
		if (*ids == id)
			return 1;
	return 0;
}

static int has_port(const uint16_t *ports, uint16_t a, uint16_t b)
{
	if (ports == NULL)
		return 0;
	for (; *ports; ports++)
		if (*ports == a || *ports == b)
			return 1;
	return 0;
}

static const struct dissector *choose(struct dissect_ctx *c, const struct flow *f,
				      const struct packet *p, int dir)
{
	size_t i;
	for (i = 0; i < N_DISSECTORS; i++)
		if (table[i]->transport == f->key.proto && table[i]->claim && table[i]->claim(c, f))
			return table[i];
	if (p->payload_len == 0)
		return NULL;
	for (i = 0; i < N_DISSECTORS; i++)
		if (table[i]->transport == f->key.proto && table[i]->probe &&
		    table[i]->probe(p->payload, p->payload_len, dir))
			return table[i];
	for (i = 0; i < N_DISSECTORS; i++)
		if (table[i]->transport == f->key.proto &&
		    has_port(table[i]->ports, f->key.port_lo, f->key.port_hi))
			return table[i];
	for (i = 0; i < N_DISSECTORS; i++)
		if (table[i]->transport == f->key.proto &&
		    (has_id(table[i]->ndpi_ids, f->master_proto) ||
		     has_id(table[i]->ndpi_ids, f->app_proto)))
			return table[i];
	return NULL;
}

static int attach(struct dissect_ctx *c, struct flow *f, const struct packet *p, int dir)
{
	struct flow_app *a = f->app;
	if (a == NULL) {
		a = calloc(1, sizeof(*a));
		if (a == NULL)
			return 0;
		f->app = a;
	}
	if (a->given_up)
		return 0;
	const struct dissector *d = choose(c, f, p, dir);
	if (d == NULL) {
		if (p->payload_len && ++a->tries >= CHOOSE_TRIES) {
			a->given_up = 1;
			cnt_inc(c->cnt, CNT_DIS_NONE);
		}
		return 0;
	}
	struct flow_app *b = realloc(a, sizeof(*a) + d->state_size);
	if (b == NULL) {
		a->given_up = 1;
		return 0;
	}
	memset(b->state, 0, d->state_size);
	b->d = d;
	f->app = b;
	return 1;
}

/* TCP: hands the dissector only bytes it has not had, in order. */
static void feed_tcp(struct dissect_ctx *c, struct flow *f, const struct packet *p, int dir)
{
	struct flow_app *a = f->app;
	uint32_t seq = p->tcp_seq + ((p->tcp_flags & TCPF_SYN) ? 1 : 0);
	const uint8_t *data = p->payload;
	uint32_t len = p->payload_len;
	if (!a->seq_known[dir]) {
		a->seq_known[dir] = 1;
		a->next_seq[dir] = seq;
	}
	if (len == 0) {
		/* A flow taken by claim() is told of every packet, payload or
		 * not: an empty FTP data connection is still a transfer. */
		if (a->d->claim)
			a->d->parse(c, f, a->state, dir, NULL, 0);
		return;
	}
	if (SEQ_LT(seq, a->next_seq[dir])) {
		uint32_t old = a->next_seq[dir] - seq;
		cnt_add(c->cnt, CNT_DIS_STREAM_RETRANS, old < len ? old : len);
		if (old >= len)
			return;
		data += old;
		len -= old;
	} else if (seq != a->next_seq[dir]) {
		cnt_inc(c->cnt, CNT_DIS_STREAM_GAPS);
		if (a->d->gap)
			a->d->gap(c, f, a->state, dir);
	}
	a->next_seq[dir] = seq + (uint32_t)(data - p->payload) + len;
	a->d->parse(c, f, a->state, dir, data, len);
}

void dissect_packet(struct dissect_ctx *c, struct flow *f, const struct packet *p, int dir)
{
	if (f->key.proto != 6 && f->key.proto != 17)
		return;
	if ((f->app == NULL || f->app->d == NULL) && !attach(c, f, p, dir))
		return;
	c->now_us = p->ts_us;
	c->pkt = p;
	if (f->key.proto == 6)
		feed_tcp(c, f, p, dir);
	else if (p->payload_len)
		f->app->d->parse(c, f, f->app->state, dir, p->payload, p->payload_len);
}

void dissect_flow_free(struct flow *f)
{
	if (f->app == NULL)
		return;
	if (f->app->d && f->app->d->free)
		f->app->d->free(f->app->state);
	free(f->app);
	f->app = NULL;
}

const char *dissect_server_name(struct dissect_ctx *c, const struct flow *f,
				enum server_name_source *how)
{
	*how = SNAME_NONE;
	if (f->app && f->app->d && f->app->d->server_name) {
		const char *n = f->app->d->server_name(f->app->state, how);
		if (n && *n)
			return n;
	}
	/* A DNS flow is named by its question, not by the resolver's name. */
	if (f->app && f->app->d && strcmp(f->app->d->name, "dns") == 0)
		return NULL;
	struct ip_addr dev, srv;
	uint16_t port;
	flow_source(f, &dev, &port);
	flow_destination(f, &srv, &port);
	const char *n = c->dns ? dns_cache_lookup(c->dns, &dev, &srv, f->first_us) : NULL;
	*how = n ? SNAME_DNS : SNAME_NONE;
	return n;
}

const char *server_name_source_str(enum server_name_source s)
{
	static const char *const names[] = {"none", "dns", "coap.uri_host", "http.host",
					    "tls.sni"};
	return names[s];
}

const char *transfer_hash_state_str(enum transfer_hash_state s)
{
	static const char *const names[] = {"complete", "gap",     "cap",  "short",
					    "order",    "encoded", "error"};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "error";
}
