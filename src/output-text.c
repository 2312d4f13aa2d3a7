/*
 * output-text.c - what a person at a terminal reads: one line per flow
 * (time, device -> server, transport, protocol, packets and bytes each way,
 * duration, why it ended) and a short summary at the end.  --json gives the
 * events instead.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "dissector.h"
#include "identity.h"
#include "policy.h"
#include "util-sha256.h"
#include "output.h"
#include "util-cidr.h"

static void human_bytes(uint64_t b, char *buf, size_t len)
{
	if (b < 10000)
		snprintf(buf, len, "%" PRIu64 " B", b);
	else if (b < 10000000)
		snprintf(buf, len, "%.1f kB", (double)b / 1e3);
	else
		snprintf(buf, len, "%.1f MB", (double)b / 1e6);
}

static void endpoint_str(const struct ip_addr *a, uint16_t port, int ports, char *buf,
			 size_t len)
{
	char ip[IP_ADDR_STRLEN];
	ip_addr_str(a, ip, sizeof(ip));
	if (!ports)
		snprintf(buf, len, "%s", ip);
	else if (a->family == 6)
		snprintf(buf, len, "[%s]:%u", ip, port);
	else
		snprintf(buf, len, "%s:%u", ip, port);
}

/*
 * The summary's device table: per device address, what a person asks
 * first: which module, how many flows, to which countries, why, and how
 * many firmware images.  Bounded: the first TEXT_DEVICES_MAX devices.
 */
#define TEXT_DEVICES_MAX 4096
#define TEXT_COUNTRIES_MAX 8

struct text_device {
	char ip[IP_ADDR_STRLEN];
	char imei[20];
	const char *maker, *model; /* the identity table's, alive until the end */
	uint64_t flows, firmware, bytes_down;
	uint64_t intents[INTENT__MAX];
	char countries[TEXT_COUNTRIES_MAX][3];
	unsigned n_countries;
};

struct text_table {
	struct text_device *v;
	size_t n, cap, dropped;
};

void output_text_free(struct output *o)
{
	struct text_table *t = o->text;
	if (t) {
		free(t->v);
		free(t);
		o->text = NULL;
	}
}

/* The device side's entry; NULL when the table is full or out of memory. */
static struct text_device *text_device(struct output *o, const struct flow *f)
{
	struct text_table *t = o->text;
	struct ip_addr a;
	uint16_t port;
	char ip[IP_ADDR_STRLEN];
	if (t == NULL && (t = o->text = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	flow_source(f, &a, &port);
	ip_addr_str(&a, ip, sizeof(ip));
	for (size_t i = 0; i < t->n; i++) /* a person's summary: small tables */
		if (strcmp(t->v[i].ip, ip) == 0)
			return &t->v[i];
	if (t->n == TEXT_DEVICES_MAX) {
		t->dropped++;
		return NULL;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct text_device *v = realloc(t->v, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	struct text_device *d = &t->v[t->n++];
	memset(d, 0, sizeof(*d));
	snprintf(d->ip, sizeof(d->ip), "%s", ip);
	return d;
}

static void text_count(struct output *o, const struct flow *f, const struct flow_enrich *en)
{
	const char *imei, *maker, *model;
	/* Devices are the addresses a subscriber session names. */
	if (o->id == NULL || !identity_flow_device(o->id, f, &imei, &maker, &model))
		return;
	struct text_device *d = text_device(o, f);
	if (d == NULL)
		return;
	if (!d->imei[0]) {
		snprintf(d->imei, sizeof(d->imei), "%s", imei);
		d->maker = maker;
		d->model = model;
	}
	d->flows++;
	d->bytes_down += f->bytes[1];
	d->intents[en->intent.intent]++;
	if (en->has_geo && en->geo.country[0]) {
		unsigned i = 0;
		while (i < d->n_countries && strcmp(d->countries[i], en->geo.country) != 0)
			i++;
		if (i == d->n_countries && i < TEXT_COUNTRIES_MAX)
			memcpy(d->countries[d->n_countries++], en->geo.country, 3);
	}
}

static void text_devices(struct output *o)
{
	struct text_table *t = o->text;
	if (t == NULL || t->n == 0)
		return;
	fprintf(o->fp, "\n%zu devices%s:\n", t->n, t->dropped ? " (the first ones)" : "");
	for (size_t i = 0; i < t->n; i++) {
		const struct text_device *d = &t->v[i];
		char who[96], where[48] = "", why[160] = "";
		snprintf(who, sizeof(who), "%s%s%s", d->maker ? d->maker : d->imei[0] ? "unknown maker" : "no identity",
			 d->model ? " " : "", d->model ? d->model : "");
		for (unsigned c = 0; c < d->n_countries; c++) {
			size_t n = strlen(where);
			snprintf(where + n, sizeof(where) - n, "%s%s", c ? "," : "", d->countries[c]);
		}
		for (int k = 1; k <= INTENT__MAX; k++) {
			int in = k % INTENT__MAX; /* "other" last */
			if (d->intents[in] == 0)
				continue;
			size_t n = strlen(why);
			snprintf(why + n, sizeof(why) - n, "%s%s %" PRIu64, why[0] ? ", " : "",
				 intent_str((enum intent)in), d->intents[in]);
		}
		fprintf(o->fp, "  %-15s %-16s imei %-16s %4" PRIu64 " flows  servers in %-12s %s",
			d->ip, who, d->imei[0] ? d->imei : "-", d->flows, where[0] ? where : "-", why);
		if (d->firmware)
			fprintf(o->fp, "; %" PRIu64 " firmware image%s", d->firmware,
				d->firmware == 1 ? "" : "s");
		fputc('\n', o->fp);
	}
}

/* "Quectel EC25-AF" for the flow's device, or its address's side alone. */
static void device_str(struct output *o, const struct flow *f, char *buf, size_t len)
{
	const char *imei, *maker, *model;
	buf[0] = '\0';
	if (o->id && identity_flow_device(o->id, f, &imei, &maker, &model))
		snprintf(buf, len, "%s%s%s", maker ? maker : "unknown maker", model ? " " : "",
			 model ? model : "");
}

void output_text_flow(struct output *o, const struct flow *f, enum flow_end_reason why,
		      const struct flow_enrich *en)
{
	struct ip_addr src, dst;
	uint16_t sport, dport;
	char ts[40], s[80], d[200], tr[8], proto[64], up[24], down[24], dev[80], where[48];
	int ports = flow_has_ports(f->key.proto);
	flow_source(f, &src, &sport);
	flow_destination(f, &dst, &dport);
	endpoint_str(&src, sport, ports, s, sizeof(s));
	endpoint_str(&dst, dport, ports, d, sizeof(d));
	/* The server's name beside its address, when any protocol gave it. */
	if (en->domain) {
		size_t n = strlen(d);
		snprintf(d + n, sizeof(d) - n, " (%.60s)", en->domain);
	}
	/* Where the server is, as the databases say: "CN AS64500". */
	where[0] = '\0';
	if (en->has_geo && en->geo.country[0])
		snprintf(where, sizeof(where), "%s", en->geo.country);
	if (en->has_geo && en->geo.asn) {
		size_t n = strlen(where);
		snprintf(where + n, sizeof(where) - n, "%sAS%" PRIu32, n ? " " : "", en->geo.asn);
	}
	device_str(o, f, dev, sizeof(dev));
	output_time(f->first_us, ts, sizeof(ts));
	ts[19] = '\0'; /* seconds are enough for a person */
	human_bytes(f->bytes[0], up, sizeof(up));
	human_bytes(f->bytes[1], down, sizeof(down));
	o->sequence++;
	fprintf(o->fp, "%s  %-28s -> %-44s %-4s %-16s up %" PRIu32 " pkts %s, down %" PRIu32
		       " pkts %s, %.1f s%s%s\n",
		ts, s, d, output_transport(f->key.proto, tr, sizeof(tr)),
		dpi_protocol_name(o->dpi, f, proto, sizeof(proto)), f->pkts[0], up, f->pkts[1], down,
		(double)(f->last_us - f->first_us) / 1e6, why == FLOW_END_EVICTED ? " (evicted)" : "",
		f->gtp ? " [GTP-U]" : "");
	/* Who, where and why, on a second line. */
	const struct intent_result *r = &en->intent;
	fprintf(o->fp, "                     device: %s; server in: %s; intent: %s (%s)%s%s%s%s\n",
		dev[0] ? dev : "unknown", where[0] ? where : "unknown", intent_str(r->intent),
		confidence_str(r->conf), r->vendor ? "; service: " : "",
		r->vendor ? r->vendor->name : "", r->service ? " " : "",
		r->service ? r->service->name : "");
	if (r->n_evidence && r->conf != CONF_NONE)
		fprintf(o->fp, "                     because %s\n", r->evidence[0]);
	text_count(o, f, en);
	cnt_inc(o->cnt, CNT_OUTPUT_EVENTS);
}

void output_text_alert(struct output *o, const struct flow *f, const struct flow_enrich *en,
		       const struct app_transfer *t, const struct policy_hit *h)
{
	char dev[80];
	(void)en;
	device_str(o, f, dev, sizeof(dev));
	o->sequence++;
	fprintf(o->fp, "                     %s [%s, severity %d] %s: %s%s%s\n",
		h->action == POLICY_BLOCK ? "BLOCK" : h->action == POLICY_ALLOW ? "ALLOW" : "ALERT",
		h->rule_id, h->severity, h->rule_name,
		t && t->name ? t->name : "this flow", dev[0] ? ", device " : "", dev);
	if (h->campaign)
		fprintf(o->fp, "                       campaign: %" PRIu64 " devices within %" PRIu64
			       " s, %s\n",
			h->campaign_devices, h->campaign_window_s,
			h->campaign_key ? h->campaign_key : "");
	cnt_inc(o->cnt, CNT_OUTPUT_EVENTS);
}

void output_text_firmware(struct output *o, const struct flow *f, const struct flow_enrich *en,
			  const struct app_transfer *t, const char *why)
{
	char size[24], hex[65], dev[80];
	(void)en;
	struct text_device *td = text_device(o, f);
	if (td)
		td->firmware++;
	human_bytes(t->size, size, sizeof(size));
	device_str(o, f, dev, sizeof(dev));
	if (t->hash_state == TRANSFER_HASH_OK)
		sha256_hex(t->sha256, hex);
	else
		snprintf(hex, sizeof(hex), "none (%s)", transfer_hash_state_str(t->hash_state));
	o->sequence++;
	fprintf(o->fp, "                     FIRMWARE %s %s, %s, sha256 %s\n"
		       "                       %s%s%s%s\n",
		t->to_device ? "download" : "upload", t->name ? t->name : "(no name)", size, hex,
		t->url ? t->url : "", dev[0] ? " to " : "", dev, why ? "" : "");
	cnt_inc(o->cnt, CNT_OUTPUT_EVENTS);
}

void output_text_stats(struct output *o, uint64_t ts_us)
{
	const uint64_t *v = o->cnt->v;
	uint64_t trunc = 0, invalid = 0;
	for (int i = 0; i < CNT__MAX; i++) {
		if (strstr(counter_names[i], ".truncated"))
			trunc += v[i];
		else if (strstr(counter_names[i], ".invalid"))
			invalid += v[i];
	}
	(void)ts_us;
	text_devices(o);
	fprintf(o->fp,
		"\n%" PRIu64 " packets (%" PRIu64 " bytes), %" PRIu64 " flows (%" PRIu64
		" at most at once, %" PRIu64 " evicted), %" PRIu64 " named by nDPI\n"
		"%" PRIu64 " non-IP frames, %" PRIu64 " truncated and %" PRIu64
		" invalid headers, %" PRIu64 " GTP-U packets opened, %" PRIu64
		" datagrams reassembled, %" PRIu64 " kernel drops\n",
		v[CNT_CAPTURE_PACKETS], v[CNT_CAPTURE_BYTES], v[CNT_FLOW_CREATED],
		v[CNT_FLOW_ACTIVE_MAX], v[CNT_FLOW_END_EVICTED], v[CNT_DPI_DETECTED],
		v[CNT_DEC_NON_IP], trunc, invalid, v[CNT_DEC_GTPU_PACKETS], v[CNT_DEFRAG_REASSEMBLED],
		v[CNT_CAPTURE_KERNEL_DROPS]);
	fflush(o->fp);
}
