/*
 * engine.c - the sensor pipeline for one packet at a time (see engine.h).
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns.h"
#include "engine.h"
#include "ftp.h"
#include "util-log.h"

#define PROGRESS_CHECK_MASK 0xffff /* look at the clock every 65536 packets */

static int load_catalogs(struct catalog *cat, const struct engine_config *c);

void engine_config_defaults(struct engine_config *c)
{
	memset(c, 0, sizeof(*c));
	cidr_list_default_devices(&c->device_nets);
	c->max_flows = 1000000;
	c->timeout_s[TC_TCP] = 300;
	c->timeout_s[TC_TCP_CLOSED] = 10;
	c->timeout_s[TC_UDP] = 120;
	c->timeout_s[TC_OTHER] = 60;
	c->dpi = 1;
	c->defrag_bytes = 16u * 1024 * 1024;
	c->defrag_timeout_s = 30;
	c->observer = "apnwatch";
	c->json = 1;
	identity_config_defaults(&c->identity);
	c->dns_cache_max = 262144;
	c->ftp_expect_max = 4096;
	geo_config_defaults(&c->geo);
	c->builtin_catalog = 1;
	c->transfer_max_bytes = 64u * 1024 * 1024;
	c->policy_state_max = 65536;
	c->policy_cache = "/var/lib/apnwatch/policy.cache";
}

int engine_load_policy(const struct engine_config *c, struct policy **out)
{
	int nerr = 0;
	*out = NULL;
	if (c->policy_file && c->policy_file[0] == '\0')
		return 0; /* --policy "": no policy */
	if (c->policy_file)
		*out = policy_load_file(c->policy_file, stderr, &nerr);
	else
		*out = policy_load_default(stderr, &nerr);
	if (*out == NULL && nerr == 0 && c->policy_file)
		nerr = 1; /* unreadable: policy_load_file said why */
	return nerr;
}

int engine_check_config(const struct engine_config *c)
{
	struct catalog *cat = catalog_new();
	struct policy *p = NULL;
	if (cat == NULL) {
		log_err("out of memory");
		return 1;
	}
	int errors = load_catalogs(cat, c);
	if (!c->redis_url)
		errors += engine_load_policy(c, &p);
	if (errors == 0) {
		printf("configuration OK: %zu makers, %zu services", catalog_vendors(cat),
		       catalog_services(cat));
		if (p)
			printf("; policy %s: %zu rules, %zu set members, sha256 %.12s", policy_name(p),
			       policy_rule_count(p), policy_set_members(p), policy_digest(p));
		printf("\n");
	} else {
		fprintf(stderr, "apnwatch: %d error%s in the configuration\n", errors,
			errors == 1 ? "" : "s");
	}
	policy_free(p);
	catalog_free(cat);
	return errors;
}

/* Loads the built-in catalog and the --catalog paths; returns the number
 * of errors (printed to stderr as "file:line: message"). */
static int load_catalogs(struct catalog *cat, const struct engine_config *c)
{
	int errors = 0;
	if (c->builtin_catalog)
		errors += catalog_load_builtin(cat, stderr);
	for (size_t i = 0; i < c->n_catalogs; i++)
		errors += catalog_load(cat, c->catalogs[i], stderr);
	return errors;
}

int engine_check_catalogs(const struct engine_config *c)
{
	struct catalog *cat = catalog_new();
	if (cat == NULL) {
		log_err("out of memory");
		return 1;
	}
	int errors = load_catalogs(cat, c);
	if (errors)
		fprintf(stderr, "apnwatch: %d error%s in the catalogs\n", errors, errors == 1 ? "" : "s");
	else
		printf("catalogs OK: %zu makers, %zu services\n", catalog_vendors(cat),
		       catalog_services(cat));
	catalog_free(cat);
	return errors;
}

static uint64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The enrich and intent stages, once per flow at its end: the server's
 * name, country and network; the catalog's service; the flow's purpose;
 * its transfers. */
static void enrich(struct engine *e, const struct flow *f, struct flow_enrich *en)
{
	struct intent_input in;
	struct ip_addr dst;
	uint16_t dport;
	enum server_name_source how = SNAME_NONE;
	const struct dissector *d = f->app ? f->app->d : NULL;

	memset(en, 0, offsetof(struct flow_enrich, intent));
	en->transfers = NULL;
	en->n_transfers = 0;
	en->domain = dissect_server_name(&e->dctx, f, &how);
	en->domain_how = how;
	flow_destination(f, &dst, &dport);
	if (e->geo)
		en->has_geo = geo_lookup(e->geo, &dst, &en->geo);
	if (d && d->transfers)
		en->n_transfers = d->transfers(f->app->state, &en->transfers);

	in.n_votes = 0;
	in.user_agent = in.ja3 = in.ja4 = NULL;
	if (d && d->intent)
		d->intent(f->app->state, &in);
	in.server_name = en->domain;
	in.server_name_source = en->domain ? server_name_source_str(how) : NULL;
	in.asn = en->has_geo ? en->geo.asn : 0;
	in.imei = identity_flow_imei(e->dctx.id, f);
	in.transfers = en->transfers;
	in.n_transfers = en->n_transfers;
	intent_decide(e->cat, f, &in, &en->intent);
}

/* ---- the policy stage ---- */

#define HITS_MAX 8 /* alerts kept per subject; more are counted */

struct hits {
	struct engine *e;
	struct policy_hit v[HITS_MAX];
	size_t n;
	char proto[64];
};

static void collect_hit(void *arg, const struct policy_subject *s, const struct policy_hit *h)
{
	struct hits *hs = arg;
	(void)s;
	if (hs->n == HITS_MAX) {
		cnt_inc(&hs->e->cnt, CNT_POLICY_HITS_DROPPED);
		return;
	}
	hs->v[hs->n++] = *h;
}

/* Judges a flow (t NULL) or one of its firmware transfers; the hits are
 * written after the event they are about. */
static enum policy_action judge(struct engine *e, const struct flow *f,
				const struct flow_enrich *en, const struct app_transfer *t,
				struct hits *hs)
{
	struct policy_subject s;
	hs->e = e;
	hs->n = 0;
	if (e->policy == NULL)
		return POLICY_NONE;
	memset(&s, 0, sizeof(s));
	s.f = f;
	s.en = en;
	s.t = t;
	identity_flow_device(e->dctx.id, f, &s.imei, &s.maker, &s.model);
	identity_flow_subscriber(e->dctx.id, f, &s.imsi, &s.msisdn, &s.apn);
	s.protocol = dpi_network_protocol(e->dpi, f, hs->proto, sizeof(hs->proto));
	s.now_us = f->last_us;
	cnt_inc(&e->cnt, CNT_POLICY_EVALUATIONS);
	return policy_eval(e->policy, e->prt, &s, collect_hit, hs);
}

static void write_hits(struct engine *e, const struct flow *f, const struct flow_enrich *en,
		       const struct app_transfer *t, const struct hits *hs)
{
	for (size_t i = 0; i < hs->n; i++) {
		cnt_inc(&e->cnt, hs->v[i].campaign ? CNT_POLICY_CAMPAIGNS : CNT_POLICY_ALERTS);
		output_alert(&e->out, f, en, t, &hs->v[i], e->policy);
	}
}

/* A new policy from Redis, or the file again after SIGHUP: swapped in
 * between two packets; a bad one changes nothing. */
static void policy_refresh(struct engine *e)
{
	struct policy *p = NULL;
	if (e->predis)
		p = policy_redis_take(e->predis);
	if (e->reload) {
		e->reload = 0;
		if (e->cfg.redis_url) {
			log_info("SIGHUP: policies come from Redis; nothing to reload");
		} else if (engine_load_policy(&e->cfg, &p) != 0) {
			log_warn("SIGHUP: the policy has errors (above); the current one stays");
			cnt_inc(&e->cnt, CNT_POLICY_RELOAD_FAILED);
		} else if (p == NULL) {
			log_info("SIGHUP: no policy configured");
		}
	}
	if (p == NULL)
		return;
	log_info("policy %s in force: %zu rules, sha256 %.12s", policy_name(p), policy_rule_count(p),
		 policy_digest(p));
	policy_free(e->policy);
	e->policy = p;
	cnt_inc(&e->cnt, CNT_POLICY_RELOADS);
}

static void on_flow_end(void *arg, struct flow *f, enum flow_end_reason why)
{
	struct engine *e = arg;
	struct flow_enrich en;
	struct hits hs;
	if (e->dpi)
		dpi_flow_end(e->dpi, f);
	enrich(e, f, &en);
	en.action = judge(e, f, &en, NULL, &hs);
	output_flow(&e->out, f, why, &en);
	write_hits(e, f, &en, NULL, &hs);
	for (size_t i = 0; i < en.n_transfers; i++) {
		const char *why_fw = NULL;
		const struct app_transfer *t = &en.transfers[i];
		if (!intent_transfer_is_firmware(&en.intent, t, &why_fw))
			continue;
		cnt_inc(&e->cnt, CNT_FIRMWARE_TRANSFERS);
		enum policy_action flow_action = en.action;
		en.action = judge(e, f, &en, t, &hs);
		output_firmware(&e->out, f, &en, t, why_fw);
		write_hits(e, f, &en, t, &hs);
		en.action = flow_action;
	}
	dissect_flow_free(f);
}

int engine_init(struct engine *e, const struct engine_config *cfg, FILE *out)
{
	memset(e, 0, sizeof(*e));
	e->cfg = *cfg;
	if (decoder_init(&e->dec, &e->cnt, cfg->defrag_bytes, cfg->defrag_timeout_s * 1000000) < 0)
		goto oom;
	e->fcfg.device_nets = &e->cfg.device_nets;
	e->fcfg.max_flows = cfg->max_flows;
	for (int i = 0; i < TC__MAX; i++)
		e->fcfg.timeout_us[i] = cfg->timeout_s[i] * 1000000;
	if (cfg->dpi && (e->dpi = dpi_new(&e->cnt)) == NULL)
		return -1;
	if (output_init(&e->out, out, cfg->json, cfg->observer, e->dpi, &e->cnt) < 0)
		goto oom;
	e->dctx.cnt = &e->cnt;
	e->dctx.transfer_max_bytes = cfg->transfer_max_bytes;
	/* Bad catalogs stop the start ("file:line: what"), before anything
	 * is written; a missing geo database is only a warning. */
	if ((e->cat = catalog_new()) == NULL)
		goto oom;
	if (load_catalogs(e->cat, cfg)) {
		log_err("the catalogs have errors (see above); nothing was started");
		return -1;
	}
	if ((e->geo = geo_open(&cfg->geo, &e->cnt)) == NULL)
		goto oom;
	if (cfg->redis_url) {
		struct policy_redis_config rc = {cfg->redis_url, cfg->policy_cache, NULL};
		if ((e->predis = policy_redis_start(&rc, &e->policy)) == NULL)
			return -1; /* logged */
		if (e->policy == NULL)
			log_warn("no good policy in Redis or its cache yet: no alerts until one is pushed");
	} else if (engine_load_policy(cfg, &e->policy) != 0) {
		log_err("the policy has errors (see above); nothing was started");
		return -1;
	}
	if ((e->prt = policy_runtime_new(cfg->policy_state_max)) == NULL)
		goto oom;
	if (e->policy)
		log_info("policy %s in force: %zu rules, sha256 %.12s", policy_name(e->policy),
			 policy_rule_count(e->policy), policy_digest(e->policy));
	e->dctx.dns = dns_cache_new(cfg->dns_cache_max, &e->cnt);
	e->dctx.ftp = ftp_expect_new(cfg->ftp_expect_max);
	if (e->dctx.dns == NULL || e->dctx.ftp == NULL)
		goto oom;
	e->dctx.id = identity_new(&cfg->identity, &e->cnt, &e->out);
	if (e->dctx.id == NULL)
		return -1; /* logged */
	e->out.dctx = &e->dctx;
	e->out.id = e->dctx.id;
	e->flows = flow_table_new(&e->fcfg, &e->cnt, on_flow_end, e);
	if (e->flows == NULL)
		goto oom;
	e->progress_wall_us = wall_us();
	return 0;
oom:
	log_err("out of memory setting up the engine");
	return -1;
}

static void progress(struct engine *e, uint64_t now)
{
	uint64_t pkts = e->cnt.v[CNT_CAPTURE_PACKETS];
	double secs = (double)(now - e->progress_wall_us) / 1e6;
	log_info("%" PRIu64 " packets (%.0f/s), %" PRIu64 " flows active, %" PRIu64
		 " ended, %" PRIu64 " kernel drops",
		 pkts, secs > 0 ? (double)(pkts - e->progress_packets) / secs : 0.0,
		 flow_table_active(e->flows), e->cnt.v[CNT_FLOW_ENDED],
		 e->cnt.v[CNT_CAPTURE_KERNEL_DROPS]);
	e->progress_wall_us = now;
	e->progress_packets = pkts;
}

void engine_packet(void *arg, const struct capture_pkt *cp)
{
	struct engine *e = arg;
	struct packet p;
	int dir;

	cnt_inc(&e->cnt, CNT_CAPTURE_PACKETS);
	cnt_add(&e->cnt, CNT_CAPTURE_BYTES, cp->wirelen);
	if (e->cfg.stats_interval_s && (e->cnt.v[CNT_CAPTURE_PACKETS] & PROGRESS_CHECK_MASK) == 0) {
		uint64_t now = wall_us();
		if (now - e->progress_wall_us >= (uint64_t)e->cfg.stats_interval_s * 1000000)
			progress(e, now);
	}
	p.data = cp->data;
	p.caplen = cp->caplen;
	p.wirelen = cp->wirelen;
	p.ts_us = cp->ts_us;
	p.linktype = cp->linktype;
	if (p.ts_us > e->last_ts_us)
		e->last_ts_us = p.ts_us;
	/* A pushed policy is looked for every 1024 packets (and at every
	 * tick), not at each: the packet path stays free of locks. */
	if (e->reload || (e->predis && (e->cnt.v[CNT_CAPTURE_PACKETS] & 1023) == 0))
		policy_refresh(e);
	if (decode_packet(&e->dec, &p) != DECODE_OK)
		return;
	struct flow *f = flow_table_packet(e->flows, &p, &dir);
	if (f == NULL)
		return;
	if (e->dec.frag_frames) {
		flow_account(e->flows, f, &p, dir, e->dec.frag_frames, e->dec.frag_wire_bytes);
		f->frag_frames += e->dec.frag_frames;
	} else {
		flow_account(e->flows, f, &p, dir, 1, p.wirelen);
		if (p.is_fragment)
			f->frag_frames++;
	}
	if (e->dpi)
		dpi_packet(e->dpi, f, &p);
	dissect_packet(&e->dctx, f, &p, dir);
}

void engine_tick(void *arg, uint64_t now_us)
{
	struct engine *e = arg;
	if (e->predis || e->reload)
		policy_refresh(e);
	/* Live: packet time follows the clock, so idle flows end even when
	 * no packet arrives to move time on. */
	if (now_us > e->last_ts_us) {
		flow_table_expire(e->flows, now_us);
	}
	if (e->cfg.stats_interval_s) {
		uint64_t now = wall_us();
		if (now - e->progress_wall_us >= (uint64_t)e->cfg.stats_interval_s * 1000000)
			progress(e, now);
	}
}

void engine_finish(struct engine *e)
{
	flow_table_flush(e->flows, FLOW_END_CAPTURE);
	output_stats(&e->out, e->last_ts_us);
}

void engine_free(struct engine *e)
{
	flow_table_free(e->flows);
	catalog_free(e->cat);
	geo_close(e->geo);
	policy_redis_stop(e->predis);
	policy_runtime_free(e->prt);
	policy_free(e->policy);
	identity_free(e->dctx.id);
	dns_cache_free(e->dctx.dns);
	ftp_expect_free(e->dctx.ftp);
	output_free(&e->out);
	dpi_free(e->dpi);
	decoder_free(&e->dec);
}
