/*
 * output-text.c - what a person at a terminal reads: one line per flow
 * (time, device -> server, transport, protocol, packets and bytes each way,
 * duration, why it ended) and a short summary at the end.  --json gives the
 * events instead.
 */
#include <inttypes.h>
#include <string.h>

#include "catalog.h"
#include "dissector.h"
#include "identity.h"
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
	fprintf(o->fp, "                     %s%s%s  server in %s  %s (%s)%s%s%s%s\n",
		dev[0] ? "device " : "device unknown", dev, dev[0] ? "," : ",",
		where[0] ? where : "unknown", intent_str(r->intent), confidence_str(r->conf),
		r->vendor ? ", " : "", r->vendor ? r->vendor->name : "",
		r->service ? " " : "", r->service ? r->service->name : "");
	if (r->n_evidence)
		fprintf(o->fp, "                     because %s\n", r->evidence[0]);
	cnt_inc(o->cnt, CNT_OUTPUT_EVENTS);
}

void output_text_firmware(struct output *o, const struct flow *f, const struct flow_enrich *en,
			  const struct app_transfer *t, const char *why)
{
	char size[24], hex[65], dev[80];
	(void)en;
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
