/*
 * policy.h - what is acceptable for a fleet, and what is an alert.
 *
 * A policy (policies/NAME.policy, the language in docs/policy.md) names
 * sets (countries, ASNs, makers, TACs, SHA-256 allow-lists, device groups)
 * and rules that match a flow or a firmware transfer on its context
 * (intent, confidence, maker, countries, ASN, domain, device, hash,
 * protocol) and decide: alert (severity, rule id and name), allow
 * (suppress), block (recorded now, enforced by an inline mode later).
 * Campaign rules count distinct devices with the same intent from the
 * same server, or the same firmware hash, within a window.
 *
 * A policy is compiled once (sets become hash / radix lookups) and is
 * immutable afterwards: the packet path may swap it for a new one between
 * two packets.  A policy with any error is never returned.
 */
#ifndef APN_POLICY_H
#define APN_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct flow;
struct flow_enrich;
struct app_transfer;

enum policy_action { POLICY_NONE = 0, POLICY_ALLOW, POLICY_ALERT, POLICY_BLOCK };

/* "none", "allow", "alert", "block" */
const char *policy_action_str(enum policy_action a);

struct policy;

/*
 * Compiles policy text.  name is what error messages and events call it
 * (a file's path, "redis:v12").  Every error is printed to errs (may be
 * NULL) as "name:line:col: message"; *nerr gets their number.  Returns
 * the policy, or NULL when there was any error (or out of memory).
 */
struct policy *policy_compile(const char *name, const char *text, size_t len, FILE *errs,
			      int *nerr);
/* Reads and compiles a file (errors as above; a file that cannot be read
 * is "path: reason"). */
struct policy *policy_load_file(const char *path, FILE *errs, int *nerr);
/* The built-in default: policies/default.policy (from the source tree when
 * run from a build tree, else $(pkgdatadir)); NULL after printing why. */
struct policy *policy_load_default(FILE *errs, int *nerr);
void policy_free(struct policy *p);

const char *policy_name(const struct policy *p);
/* SHA-256 of the text, 64 hex digits: what rule.version says. */
const char *policy_digest(const struct policy *p);
size_t policy_rule_count(const struct policy *p);
size_t policy_set_members(const struct policy *p);

/* One thing to judge: a flow at its end, or a firmware transfer. */
struct policy_subject {
	const struct flow *f;
	const struct flow_enrich *en;  /* server name, geo, intent, vendor (output.h) */
	const struct app_transfer *t;  /* the firmware transfer, or NULL for a flow */
	/* the device, as output shows it (pseudonymised with --pseudonymize);
	 * NULL when unknown */
	const char *imei, *imsi, *msisdn, *apn, *maker, *model;
	const char *protocol;          /* network.protocol ("mqtt", "tls", ...) */
	uint64_t now_us;               /* packet time */
};

#define POLICY_CAMPAIGN_FIRST 8

/* One decision of one rule. */
struct policy_hit {
	enum policy_action action;
	int severity;                  /* ECS event.severity, 0-100 (docs/policy.md) */
	const char *rule_id;           /* rule.id */
	const char *rule_name;         /* rule.name */
	const char *ruleset;           /* rule.ruleset: the policy's name */
	const char *description;       /* rule.description, or NULL */
	/* campaign alerts only (campaign 1): what the devices share, how many
	 * distinct devices in the window, and the first ones (imei, else the
	 * device address) */
	int campaign;
	const char *campaign_key;      /* "server 203.0.113.50" or "sha256 ab12..." */
	const char *campaign_intent;
	uint64_t campaign_devices;
	uint64_t campaign_window_s;
	const char *first_devices[POLICY_CAMPAIGN_FIRST];
	size_t n_first;
	/* (added by the policy task) alerts of a rule with "dedup": how many
	 * repeats (same rule, device and server) were suppressed since the
	 * previous alert for them */
	uint64_t dedup_suppressed;
};

/* Dedup windows and campaign counters: they outlive a policy swap (a
 * rule keeps its state across reloads when its id stays). */
struct policy_runtime;

/* max_entries bounds the dedup windows, campaign keys and campaign
 * devices kept together (0: POLICY_RUNTIME_DEFAULT); past it the least
 * recently used entry is evicted and counted.  One runtime per thread:
 * it is not locked.  NULL when out of memory. */
#define POLICY_RUNTIME_DEFAULT 100000
struct policy_runtime *policy_runtime_new(size_t max_entries);
void policy_runtime_free(struct policy_runtime *rt);

/* (added by the policy task) what a runtime holds and has done. */
struct policy_runtime_stats {
	uint64_t entries;          /* in use now */
	uint64_t evictions;        /* entries dropped to stay under max_entries */
	uint64_t dedup_suppressed; /* alerts not written because of a dedup window */
	uint64_t campaign_alerts;
};
void policy_runtime_get_stats(const struct policy_runtime *rt, struct policy_runtime_stats *st);

typedef void (*policy_emit_fn)(void *arg, const struct policy_subject *s,
			       const struct policy_hit *h);

/*
 * Judges s: calls emit for each alert to write (after dedup), campaign
 * alerts included, and returns the subject's action: the first matching
 * non-campaign rule's (allow suppresses the alerts after it), or
 * POLICY_NONE.  Cost: a few hash lookups per rule that could match.
 */
enum policy_action policy_eval(const struct policy *p, struct policy_runtime *rt,
			       const struct policy_subject *s, policy_emit_fn emit, void *arg);

#endif /* APN_POLICY_H */
