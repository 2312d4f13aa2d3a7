/*
 * output-text.c - what a person at a terminal reads: one line per flow
 * (time, device -> server, transport, protocol, packets and bytes each way,
 * duration, why it ended) and a short summary at the end.  --json gives the
 * events instead.
 */
#include <inttypes.h>
#include <string.h>

#include "dissector.h"
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

void output_text_flow(struct output *o, const struct flow *f, enum flow_end_reason why)
{
	struct ip_addr src, dst;
	uint16_t sport, dport;
	char ts[40], s[80], d[160], tr[8], proto[64], up[24], down[24];
	int ports = flow_has_ports(f->key.proto);
	flow_source(f, &src, &sport);
	flow_destination(f, &dst, &dport);
	endpoint_str(&src, sport, ports, s, sizeof(s));
	endpoint_str(&dst, dport, ports, d, sizeof(d));
	/* The server's name beside its address, when any protocol gave it. */
	enum server_name_source how;
	const char *name = o->dctx ? dissect_server_name(o->dctx, f, &how) : NULL;
	if (name) {
		size_t n = strlen(d);
		snprintf(d + n, sizeof(d) - n, " (%.60s)", name);
	}
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
