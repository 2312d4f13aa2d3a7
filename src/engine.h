/*
 * engine.h - one sensor pipeline: decode -> flow -> classify -> output.
 *
 * The engine owns its counters, decoder, flow table, nDPI module and
 * output; nothing is shared, so several engines could run side by side.
 */
#ifndef APN_ENGINE_H
#define APN_ENGINE_H

#include <signal.h>
#include <stdio.h>

#include "capture.h"
#include "catalog.h"
#include "geo.h"
#include "intent.h"
#include "policy.h"
#include "policy-redis.h"
#include "counters.h"
#include "decode.h"
#include "dissector.h"
#include "identity.h"
#include "dpi.h"
#include "flow.h"
#include "output.h"
#include "util-cidr.h"

struct engine_config {
	struct cidr_list device_nets;
	uint64_t max_flows;
	uint64_t timeout_s[TC__MAX];
	int dpi; /* 0: no nDPI (protocols stay unknown) */
	size_t defrag_bytes;
	uint64_t defrag_timeout_s;
	unsigned stats_interval_s; /* progress lines on stderr; 0: none */
	const char *observer;
	int json;
	struct identity_config identity;
	size_t dns_cache_max;
	size_t ftp_expect_max;
	struct geo_config geo;
	const char *catalogs[16]; /* --catalog files or directories, in order */
	size_t n_catalogs;
	int builtin_catalog;      /* 1: policies/vendors too */
	uint64_t transfer_max_bytes;
	/* The policy: a file (NULL: the built-in default.policy; "": none),
	 * or Redis when redis_url is set (then policy_file is not read). */
	const char *policy_file;
	const char *redis_url;
	const char *policy_cache; /* the last good Redis policy on disk */
	size_t policy_state_max;  /* dedup and campaign entries */
};

#define ENGINE_MAX_CATALOGS 16

/* --check-catalog: loads the configured catalogs, prints each error as
 * "file:line: message" and a summary.  Returns the number of errors. */
int engine_check_catalogs(const struct engine_config *c);

/* The defaults documented in apnwatch(8). */
void engine_config_defaults(struct engine_config *c);

struct engine {
	struct engine_config cfg;
	struct counters cnt;
	struct decoder dec;
	struct flow_config fcfg;
	struct flow_table *flows;
	struct dpi *dpi;
	struct output out;
	struct dissect_ctx dctx;
	struct geo *geo;
	struct catalog *cat;
	struct policy *policy;        /* NULL: no policy, no alerts */
	struct policy_runtime *prt;
	struct policy_redis *predis;
	volatile sig_atomic_t reload; /* SIGHUP: reload the policy file */
	uint64_t last_ts_us;
	uint64_t progress_wall_us;
	uint64_t progress_packets;
};

/* Returns 0, or -1 after logging why. */
int engine_init(struct engine *e, const struct engine_config *cfg, FILE *out);
/* capture_ops callbacks. */
void engine_packet(void *arg, const struct capture_pkt *cp);
void engine_tick(void *arg, uint64_t now_us);
/* Loads the policy the configuration names; prints errors as
 * "file:line:col: message".  Returns it (NULL for none) in *out; returns
 * the number of errors. */
int engine_load_policy(const struct engine_config *c, struct policy **out);
/* -t: checks the catalogs and the policy; prints "configuration OK" or
 * the errors.  Returns the number of errors. */
int engine_check_config(const struct engine_config *c);
/* Ends every flow and writes the final stats event. */
void engine_finish(struct engine *e);
void engine_free(struct engine *e);

#endif /* APN_ENGINE_H */
