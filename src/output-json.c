/*
 * output-json.c - the event builder: flow and stats events as ECS JSON,
 * one object per line (docs/events.md, docs/events.schema.json).
 *
 * Everything here derives from packet data and packet time, so the same
 * capture always gives the same bytes out (golden tests depend on it).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stdarg.h>

#include "config.h"
#include "catalog.h"
#include "policy.h"
#include "dissector.h"
#include "identity.h"
#include "output.h"
#include "util-cidr.h"
#include "util-communityid.h"
#include "util-json.h"
#include "util-sha256.h"

int output_init(struct output *o, FILE *fp, int json, const char *observer, struct dpi *dpi,
		struct counters *c)
{
	memset(o, 0, sizeof(*o));
	o->fp = fp;
	o->json = json;
	o->observer = observer;
	o->dpi = dpi;
	o->cnt = c;
	struct jw *w = malloc(sizeof(*w));
	if (w == NULL)
		return -1;
	jw_init(w);
	o->priv = w;
	return 0;
}

void output_free(struct output *o)
{
	if (o->priv) {
		jw_free(o->priv);
		free(o->priv);
		o->priv = NULL;
	}
	output_text_free(o);
	if (o->fp)
		fflush(o->fp);
}

const char *output_end_reason(enum flow_end_reason why)
{
	static const char *const names[] = {"idle_timeout", "tcp_close", "evicted",
					    "end_of_capture"};
	return names[why];
}

const char *output_transport(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 1: return "icmp";
	case 2: return "igmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 47: return "gre";
	case 50: return "esp";
	case 51: return "ah";
	case 58: return "ipv6-icmp";
	case 89: return "ospf";
	case 103: return "pim";
	case 112: return "vrrp";
	case 132: return "sctp";
	default: snprintf(buf, len, "%u", proto); return buf;
	}
}

void output_time(uint64_t ts_us, char *buf, size_t len)
{
	/* Events come in time order, so the date and time of the last second
	 * formatted is usually the one wanted: keep it (per thread). */
	static _Thread_local time_t last_s = (time_t)-1;
	static _Thread_local char last[64];
	time_t s = (time_t)(ts_us / 1000000);
	unsigned us = (unsigned)(ts_us % 1000000);
	if (s != last_s) {
		struct tm tm;
		gmtime_r(&s, &tm);
		snprintf(last, sizeof(last), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		last_s = s;
	}
	if (len < 28 || strlen(last) > len - 8) {
		buf[0] = '\0';
		return;
	}
	size_t n = strlen(last);
	memcpy(buf, last, n);
	buf[n++] = '.';
	for (int i = 5; i >= 0; i--, us /= 10)
		buf[n + (size_t)i] = (char)('0' + us % 10);
	buf[n + 6] = 'Z';
	buf[n + 7] = '\0';
}

void output_tcp_flags(uint8_t flags, char *buf)
{
	static const char letters[] = "FSRPAUEC";
	int n = 0;
	for (int i = 0; i < 8; i++)
		if (flags & (1u << i))
			buf[n++] = letters[i];
	buf[n] = '\0';
}

static void emit(struct output *o, struct jw *w)
{
	if (w->oom) {
		cnt_inc(o->cnt, CNT_OUTPUT_ERRORS);
		return;
	}
	jw_raw(w, "\n");
	if (fwrite(w->buf, 1, w->len, o->fp) != w->len)
		cnt_inc(o->cnt, CNT_OUTPUT_ERRORS);
	else
		cnt_inc(o->cnt, CNT_OUTPUT_EVENTS);
}

/* A stable id: FNV-1a over what identifies the flow and its start. */
static void event_id(const char *community_id, uint64_t first_us, uint64_t seq, char *out)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (const char *s = community_id; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	for (int i = 0; i < 8; i++)
		h = (h ^ (uint8_t)(first_us >> (8 * i))) * 0x100000001b3ull;
	for (int i = 0; i < 8; i++)
		h = (h ^ (uint8_t)(seq >> (8 * i))) * 0x100000001b3ull;
	snprintf(out, 17, "%016" PRIx64, h);
}

static void observer(struct output *o, struct jw *w)
{
	jw_obj_begin(w, "observer");
	jw_str(w, "name", o->observer);
	jw_str(w, "product", "apnwatch");
	jw_str(w, "vendor", "apnwatch");
	jw_str(w, "type", "sensor");
	jw_str(w, "version", PACKAGE_VERSION);
	jw_end(w);
}

static void endpoint(struct jw *w, const char *name, const struct ip_addr *a, uint16_t port,
		     int ports, uint64_t bytes, uint64_t packets, const char *domain,
		     const struct flow_enrich *en)
{
	char ip[IP_ADDR_STRLEN];
	jw_obj_begin(w, name);
	jw_str(w, "ip", ip_addr_str(a, ip, sizeof(ip)));
	if (ports)
		jw_u64(w, "port", port);
	if (domain)
		jw_str(w, "domain", domain);
	if (bytes != UINT64_MAX) {
		jw_u64(w, "bytes", bytes);
		jw_u64(w, "packets", packets);
	}
	/* Only what the databases said: a field is left out, never guessed. */
	if (en && en->has_geo && en->geo.country[0]) {
		jw_obj_begin(w, "geo");
		jw_str(w, "country_iso_code", en->geo.country);
		jw_end(w);
	}
	if (en && en->has_geo && en->geo.asn) {
		jw_obj_begin(w, "as");
		jw_u64(w, "number", en->geo.asn);
		if (en->geo.as_org[0]) {
			jw_obj_begin(w, "organization");
			jw_str(w, "name", en->geo.as_org);
			jw_end(w);
		}
		jw_end(w);
	}
	jw_end(w);
}

/* Community ID v1 of the flow; "" when it has none.  ICMP flows are keyed
 * without ports; their ID uses the first message's type and code, as
 * Zeek and Suricata do, from the side that sent it. */
static void flow_community_id(const struct flow *f, char *cid)
{
	struct ip_addr src, dst;
	uint16_t sport, dport;
	int icmp = f->key.proto == 1 || f->key.proto == 58;
	int rc;
	flow_source(f, &src, &sport);
	flow_destination(f, &dst, &dport);
	if (icmp && !f->initiator_is_src)
		rc = community_id_v1(&dst, &src, f->key.proto, f->icmp_type, f->icmp_code, 0, cid);
	else if (icmp)
		rc = community_id_v1(&src, &dst, f->key.proto, f->icmp_type, f->icmp_code, 0, cid);
	else
		rc = community_id_v1(&src, &dst, f->key.proto, sport, dport, 0, cid);
	if (rc < 0)
		cid[0] = '\0';
}

/* apnwatch.intent, .confidence, .evidence, .vendor, .client_vendor */
static void intent_json(struct jw *w, const struct intent_result *r)
{
	jw_str(w, "intent", intent_str(r->intent));
	jw_str(w, "confidence", confidence_str(r->conf));
	jw_arr_begin(w, "evidence");
	for (size_t i = 0; i < r->n_evidence; i++)
		jw_str(w, NULL, r->evidence[i]);
	jw_end(w);
	if (r->vendor) {
		jw_obj_begin(w, "vendor");
		jw_str(w, "name", r->vendor->name);
		if (r->vendor->country && r->vendor->country[0])
			jw_str(w, "country", r->vendor->country);
		if (r->service)
			jw_str(w, "service", r->service->name);
		jw_end(w);
	}
	if (r->client_vendor) {
		jw_obj_begin(w, "client_vendor");
		jw_str(w, "name", r->client_vendor->name);
		if (r->client_vendor->country && r->client_vendor->country[0])
			jw_str(w, "country", r->client_vendor->country);
		jw_end(w);
	}
}

/* ECS network.direction from the device's point of view. */
static const char *direction(const struct flow *f)
{
	if (f->internal)
		return "internal";
	return f->initiator_is_src ? "outbound" : "inbound";
}

/* ---- alerts: the rule that decided, on top of the event's context ---- */

static void alert_rule(struct jw *w, const struct policy_hit *h, const struct policy *p)
{
	jw_obj_begin(w, "rule");
	jw_str(w, "id", h->rule_id);
	jw_str(w, "name", h->rule_name);
	if (h->description)
		jw_str(w, "description", h->description);
	/* A file's name without its directory: events must not depend on
	 * where the policy is installed ("default.policy", "redis:v12"). */
	const char *rs = h->ruleset ? h->ruleset : p ? policy_name(p) : "";
	const char *slash = strrchr(rs, '/');
	jw_str(w, "ruleset", slash ? slash + 1 : rs);
	if (p)
		jw_str(w, "version", policy_digest(p));
	jw_str(w, "category", h->campaign ? "campaign" : "policy");
	jw_end(w);
}

/* apnwatch.policy and, for a campaign, apnwatch.campaign */
static void alert_apnwatch(struct jw *w, const struct policy_hit *h, int action)
{
	jw_obj_begin(w, "policy");
	jw_str(w, "action", policy_action_str(h ? h->action : (enum policy_action)action));
	if (h && h->dedup_suppressed)
		jw_u64(w, "suppressed_before", h->dedup_suppressed);
	jw_end(w);
	if (h == NULL || !h->campaign)
		return;
	jw_obj_begin(w, "campaign");
	if (h->campaign_key)
		jw_str(w, "key", h->campaign_key);
	if (h->campaign_intent)
		jw_str(w, "intent", h->campaign_intent);
	jw_u64(w, "devices", h->campaign_devices);
	jw_u64(w, "window_s", h->campaign_window_s);
	jw_arr_begin(w, "first_devices");
	for (size_t i = 0; i < h->n_first && i < POLICY_CAMPAIGN_FIRST; i++)
		if (h->first_devices[i])
			jw_str(w, NULL, h->first_devices[i]);
	jw_end(w);
	jw_end(w);
}

static void flow_json(struct output *o, struct jw *w, const struct flow *f,
		      enum flow_end_reason why, const struct flow_enrich *en,
		      const struct policy_hit *hit, const struct policy *pol)
{
	struct ip_addr src, dst;
	uint16_t sport, dport;
	char ts[40], cid[COMMUNITY_ID_LEN], id[17], buf[64], num[8];
	int ports = flow_has_ports(f->key.proto);
	int icmp = f->key.proto == 1 || f->key.proto == 58;
	flow_source(f, &src, &sport);
	flow_destination(f, &dst, &dport);
	flow_community_id(f, cid);
	event_id(cid, f->first_us, o->sequence + 1, id);

	jw_reset(w);
	jw_obj_begin(w, NULL);
	output_time(f->last_us, ts, sizeof(ts));
	jw_str(w, "@timestamp", ts);
	jw_obj_begin(w, "event");
	jw_str(w, "kind", hit ? "alert" : "event");
	jw_arr_begin(w, "category");
	jw_str(w, NULL, "network");
	jw_end(w);
	jw_arr_begin(w, "type");
	if (hit) {
		jw_str(w, NULL, hit->action == POLICY_BLOCK ? "denied" : "info");
	} else {
		jw_str(w, NULL, "connection");
		jw_str(w, NULL, "end");
	}
	jw_end(w);
	jw_str(w, "dataset", hit ? "apnwatch.alert" : "apnwatch.flow");
	if (hit)
		jw_u64(w, "severity", (uint64_t)hit->severity);
	jw_str(w, "module", "apnwatch");
	jw_str(w, "id", id);
	jw_u64(w, "sequence", ++o->sequence);
	output_time(f->first_us, ts, sizeof(ts));
	jw_str(w, "start", ts);
	output_time(f->last_us, ts, sizeof(ts));
	jw_str(w, "end", ts);
	jw_u64(w, "duration", (f->last_us - f->first_us) * 1000);
	jw_str(w, "reason", output_end_reason(why));
	jw_end(w);
	observer(o, w);
	if (hit)
		alert_rule(w, hit, pol);
	enum server_name_source how = (enum server_name_source)en->domain_how;
	const char *domain = en->domain;
	const struct dissector *d = f->app ? f->app->d : NULL;
	endpoint(w, "source", &src, sport, ports, f->bytes[0], f->pkts[0], NULL, NULL);
	endpoint(w, "destination", &dst, dport, ports, f->bytes[1], f->pkts[1], domain, en);

	jw_obj_begin(w, "network");
	jw_str(w, "transport", output_transport(f->key.proto, buf, sizeof(buf)));
	snprintf(num, sizeof(num), "%u", f->key.proto);
	jw_str(w, "iana_number", num);
	jw_str(w, "type", f->key.family == 4 ? "ipv4" : "ipv6");
	jw_str(w, "protocol", dpi_network_protocol(o->dpi, f, buf, sizeof(buf)));
	if (cid[0])
		jw_str(w, "community_id", cid);
	jw_u64(w, "bytes", f->bytes[0] + f->bytes[1]);
	jw_u64(w, "packets", (uint64_t)f->pkts[0] + f->pkts[1]);
	jw_str(w, "direction", direction(f));
	if (f->has_vlan) {
		jw_obj_begin(w, "vlan");
		snprintf(num, sizeof(num), "%u", f->vlan);
		jw_str(w, "id", num);
		jw_end(w);
	}
	jw_end(w);
	if (o->id)
		identity_json_device(o->id, f, w);
	if (d && d->json_ecs)
		d->json_ecs(f->app->state, w);

	jw_obj_begin(w, "apnwatch");
	jw_obj_begin(w, "flow");
	jw_str(w, "initiator", f->initiator_is_src ? "source" : "destination");
	if (f->key.proto == 6) {
		char fl[9];
		jw_obj_begin(w, "tcp_flags");
		output_tcp_flags(f->tcp_flags[0], fl);
		jw_str(w, "source", fl);
		output_tcp_flags(f->tcp_flags[1], fl);
		jw_str(w, "destination", fl);
		jw_end(w);
	}
	if (icmp) {
		jw_obj_begin(w, "icmp");
		jw_u64(w, "type", f->icmp_type);
		jw_u64(w, "code", f->icmp_code);
		jw_end(w);
	}
	if (f->frag_frames)
		jw_u64(w, "fragments", f->frag_frames);
	jw_end(w);
	jw_obj_begin(w, "ndpi");
	jw_str(w, "protocol", dpi_protocol_name(o->dpi, f, buf, sizeof(buf)));
	jw_str(w, "category", dpi_category_name(o->dpi, f));
	jw_end(w);
	if (f->gtp) {
		struct ip_addr a = {f->tun_family, {0}};
		char ip[IP_ADDR_STRLEN];
		jw_obj_begin(w, "gtp");
		jw_u64(w, "teid", f->teid);
		jw_obj_begin(w, "tunnel");
		memcpy(a.a, f->tun_src, 16);
		jw_str(w, "source_ip", ip_addr_str(&a, ip, sizeof(ip)));
		memcpy(a.a, f->tun_dst, 16);
		jw_str(w, "destination_ip", ip_addr_str(&a, ip, sizeof(ip)));
		jw_end(w);
		jw_end(w);
	}
	if (domain) {
		jw_obj_begin(w, "server_name");
		jw_str(w, "source", server_name_source_str(how));
		jw_end(w);
	}
	if (d)
		jw_str(w, "dissector", d->name);
	intent_json(w, &en->intent);
	if (hit || en->action)
		alert_apnwatch(w, hit, en->action);
	if (o->id)
		identity_json_apnwatch(o->id, f, w);
	if (d && d->json_apnwatch)
		d->json_apnwatch(f->app->state, w);
	jw_end(w);
	jw_end(w);
}

void output_flow(struct output *o, const struct flow *f, enum flow_end_reason why,
		 const struct flow_enrich *en)
{
	if (!o->json) {
		output_text_flow(o, f, why, en);
		return;
	}
	struct jw *w = o->priv;
	flow_json(o, w, f, why, en, NULL, NULL);
	if (o->id && !w->oom)
		identity_scrub_event(o->id, f, w->buf, w->len);
	emit(o, w);
}

/* The name a file event gives a transfer's direction. */
static const char *transfer_action(const struct app_transfer *t)
{
	return t->to_device ? "firmware-download" : "firmware-upload";
}

static void firmware_json(struct output *o, const struct flow *f, const struct flow_enrich *en,
			  const struct app_transfer *t, const char *why, const struct policy_hit *hit,
			  const struct policy *pol);

void output_firmware(struct output *o, const struct flow *f, const struct flow_enrich *en,
		     const struct app_transfer *t, const char *why)
{
	if (!o->json) {
		output_text_firmware(o, f, en, t, why);
		return;
	}
	firmware_json(o, f, en, t, why, NULL, NULL);
}

void output_alert(struct output *o, const struct flow *f, const struct flow_enrich *en,
		  const struct app_transfer *t, const struct policy_hit *h, const struct policy *p)
{
	if (!o->json) {
		output_text_alert(o, f, en, t, h);
		return;
	}
	if (t) {
		firmware_json(o, f, en, t, NULL, h, p);
		return;
	}
	struct jw *w = o->priv;
	/* The flow's whole context, as its flow event had it, under the
	 * alert's own event fields. */
	flow_json(o, w, f, FLOW_END_CAPTURE, en, h, p);
	if (o->id && !w->oom)
		identity_scrub_event(o->id, f, w->buf, w->len);
	emit(o, w);
}

static void firmware_json(struct output *o, const struct flow *f, const struct flow_enrich *en,
			  const struct app_transfer *t, const char *why, const struct policy_hit *hit,
			  const struct policy *pol)
{
	struct ip_addr src, dst;
	uint16_t sport, dport;
	char cid[COMMUNITY_ID_LEN], buf[64], hex[65];
	int ports = flow_has_ports(f->key.proto);
	const struct output_event_fields ef = {transfer_action(t), NULL, "file",
					       hit && hit->action == POLICY_BLOCK ? "denied" : "info",
					       hit ? hit->severity : 0};
	struct jw *w = output_begin_fields(o, hit ? "alert" : "event",
					   hit ? "apnwatch.alert" : "apnwatch.firmware", &ef,
					   t->end_us ? t->end_us : f->last_us);
	if (hit)
		alert_rule(w, hit, pol);
	flow_source(f, &src, &sport);
	flow_destination(f, &dst, &dport);
	flow_community_id(f, cid);
	endpoint(w, "source", &src, sport, ports, UINT64_MAX, 0, NULL, NULL);
	endpoint(w, "destination", &dst, dport, ports, UINT64_MAX, 0, en->domain, en);
	jw_obj_begin(w, "network");
	jw_str(w, "transport", output_transport(f->key.proto, buf, sizeof(buf)));
	jw_str(w, "protocol", t->protocol);
	if (cid[0])
		jw_str(w, "community_id", cid);
	jw_end(w);
	jw_obj_begin(w, "file");
	if (t->name && t->name[0])
		jw_str(w, "name", t->name);
	jw_u64(w, "size", t->size);
	if (t->content_type)
		jw_str(w, "mime_type", t->content_type);
	/* A hash only of every byte: a gap or the cap leaves it out. */
	if (t->hash_state == TRANSFER_HASH_OK) {
		jw_obj_begin(w, "hash");
		sha256_hex(t->sha256, hex);
		jw_str(w, "sha256", hex);
		jw_end(w);
	}
	jw_end(w);
	if (t->url) {
		jw_obj_begin(w, "url");
		jw_str(w, "original", t->url);
		jw_end(w);
	}
	if (o->id)
		identity_json_device(o->id, f, w);
	jw_obj_begin(w, "apnwatch");
	intent_json(w, &en->intent);
	if (hit || en->action)
		alert_apnwatch(w, hit, en->action);
	jw_obj_begin(w, "firmware");
	jw_str(w, "hash_status", transfer_hash_state_str(t->hash_state));
	if (t->declared_size)
		jw_u64(w, "declared_size", t->declared_size);
	if (t->method)
		jw_str(w, "method", t->method);
	jw_str(w, "direction", t->to_device ? "download" : "upload");
	jw_bool(w, "status_ok", t->status_ok);
	if (t->package_uri)
		jw_str(w, "package_uri", t->package_uri);
	if (t->version)
		jw_str(w, "version", t->version);
	if (why)
		jw_str(w, "rule", why);
	jw_end(w);
	if (o->id)
		identity_json_apnwatch(o->id, f, w);
	jw_end(w);
	jw_end(w);
	if (o->id && !w->oom)
		identity_scrub_event(o->id, f, w->buf, w->len);
	emit(o, w);
}

/* Length of the dotted prefix the two names share, in whole components. */
static size_t shared_components(const char *a, const char *b)
{
	size_t i = 0, last = 0;
	while (a[i] && a[i] == b[i]) {
		if (a[i] == '.')
			last = i + 1;
		i++;
	}
	return last;
}

/* Writes the counters as nested objects: "decoder.ipv4.truncated" becomes
 * {"decoder":{"ipv4":{"truncated":N}}}.  The table keeps names of one
 * prefix together, so one pass opening and closing levels suffices. */
static void counters_json(struct jw *w, const struct counters *c)
{
	const char *prev = "";
	int open = 0;
	for (int i = 0; i < CNT__MAX; i++) {
		const char *name = counter_names[i];
		size_t keep = shared_components(prev, name);
		int keep_levels = 0;
		for (size_t j = 0; j < keep; j++)
			keep_levels += name[j] == '.';
		while (open > keep_levels) {
			jw_end(w);
			open--;
		}
		const char *s = name + keep;
		const char *dot;
		while ((dot = strchr(s, '.')) != NULL) {
			char part[64];
			size_t n = (size_t)(dot - s) < sizeof(part) - 1 ? (size_t)(dot - s) : sizeof(part) - 1;
			memcpy(part, s, n);
			part[n] = '\0';
			jw_obj_begin(w, part);
			open++;
			s = dot + 1;
		}
		jw_u64(w, s, c->v[i]);
		prev = name;
	}
	while (open-- > 0)
		jw_end(w);
}

struct jw *output_begin(struct output *o, const char *kind, const char *dataset,
			uint64_t ts_us)
{
	return output_begin_fields(o, kind, dataset, NULL, ts_us);
}

struct jw *output_begin_fields(struct output *o, const char *kind, const char *dataset,
			       const struct output_event_fields *ef, uint64_t ts_us)
{
	if (!o->json)
		return NULL;
	struct jw *w = o->priv;
	char ts[40], id[17];
	event_id(dataset, ts_us, o->sequence + 1, id);
	jw_reset(w);
	jw_obj_begin(w, NULL);
	output_time(ts_us, ts, sizeof(ts));
	jw_str(w, "@timestamp", ts);
	jw_obj_begin(w, "event");
	jw_str(w, "kind", kind);
	if (ef && ef->category) {
		jw_arr_begin(w, "category");
		jw_str(w, NULL, ef->category);
		jw_end(w);
	}
	if (ef && ef->type) {
		jw_arr_begin(w, "type");
		jw_str(w, NULL, ef->type);
		jw_end(w);
	}
	if (ef && ef->action)
		jw_str(w, "action", ef->action);
	jw_str(w, "dataset", dataset);
	jw_str(w, "module", "apnwatch");
	jw_str(w, "id", id);
	jw_u64(w, "sequence", ++o->sequence);
	if (ef && ef->reason)
		jw_str(w, "reason", ef->reason);
	if (ef && ef->severity)
		jw_u64(w, "severity", (uint64_t)ef->severity);
	jw_end(w);
	observer(o, w);
	return w;
}

void output_end(struct output *o)
{
	struct jw *w = o->priv;
	jw_end(w);
	emit(o, w);
}

void output_text_line(struct output *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(o->fp, fmt, ap);
	va_end(ap);
	fputc('\n', o->fp);
	o->sequence++;
	cnt_inc(o->cnt, CNT_OUTPUT_EVENTS);
}

void output_stats(struct output *o, uint64_t ts_us)
{
	if (!o->json) {
		output_text_stats(o, ts_us);
		return;
	}
	/* The stats event counts itself among the events written. */
	o->cnt->v[CNT_OUTPUT_EVENTS]++;
	struct jw *w = output_begin(o, "metric", "apnwatch.stats", ts_us);
	jw_obj_begin(w, "apnwatch");
	jw_obj_begin(w, "stats");
	counters_json(w, o->cnt);
	jw_end(w);
	jw_end(w);
	o->cnt->v[CNT_OUTPUT_EVENTS]--;
	output_end(o);
	fflush(o->fp);
}
