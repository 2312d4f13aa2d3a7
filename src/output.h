/*
 * output.h - events out: ECS JSON lines, or a readable summary for a person
 * at a terminal.  One builder makes every JSON event; sinks only write.
 */
#ifndef APN_OUTPUT_H
#define APN_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "counters.h"
#include "dpi.h"
#include "flow.h"

#include "geo.h"
#include "intent.h"

struct dissect_ctx;
struct identity_table;
struct app_transfer;

/* What the enrich and intent stages found for a flow (engine.c). */
struct flow_enrich {
	const char *domain;      /* destination.domain, or NULL */
	int domain_how;          /* enum server_name_source */
	int has_geo;
	struct geo_result geo;   /* the server side's */
	struct intent_result intent;
	const struct app_transfer *transfers;
	size_t n_transfers;
	int action;              /* enum policy_action of the event being written */
};

struct output {
	FILE *fp;
	int json;            /* 0: the text summary */
	const char *observer;
	uint64_t sequence;   /* of the last event written; gap-free from 1 */
	struct dpi *dpi;
	struct counters *cnt;
	struct dissect_ctx *dctx;    /* application fields and server names */
	struct identity_table *id;   /* device and subscriber fields */
	void *priv;          /* the builder's buffer */
	void *text;          /* the text summary's device table */
};

/* Returns 0, or -1 when out of memory. */
int output_init(struct output *o, FILE *fp, int json, const char *observer, struct dpi *dpi,
		struct counters *c);
void output_free(struct output *o);

void output_flow(struct output *o, const struct flow *f, enum flow_end_reason why,
		 const struct flow_enrich *en);
/* An apnwatch.firmware event for transfer t of flow f; why: the rule that
 * made it firmware (docs/intent.md). */
void output_firmware(struct output *o, const struct flow *f, const struct flow_enrich *en,
		     const struct app_transfer *t, const char *why);
/* The final statistics event, at packet time ts_us. */
void output_stats(struct output *o, uint64_t ts_us);

/*
 * Other events (apnwatch.device, ...): output_begin() starts one, with
 * @timestamp, event {kind, dataset, module, id, sequence} and observer
 * written; the caller adds its fields and calls output_end(), which closes
 * and writes it.  In text mode output_begin() returns NULL and the caller
 * prints a line with output_text_line() instead.
 */
struct jw *output_begin(struct output *o, const char *kind, const char *dataset,
			uint64_t ts_us);
/* More event.* fields for output_begin_fields(); NULL members are left
 * out.  category and type are written as one-element arrays (ECS). */
struct output_event_fields {
	const char *action, *reason, *category, *type;
	int severity; /* event.severity; 0: none */
};
struct jw *output_begin_fields(struct output *o, const char *kind, const char *dataset,
			       const struct output_event_fields *ef, uint64_t ts_us);
void output_end(struct output *o);
/* An alert (event.kind alert, apnwatch.alert) about flow f, or about its
 * firmware transfer t (NULL: the flow), with the whole context. */
struct policy_hit;
struct policy;
void output_alert(struct output *o, const struct flow *f, const struct flow_enrich *en,
		  const struct app_transfer *t, const struct policy_hit *h, const struct policy *p);
void output_text_line(struct output *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- internal, shared by output-json.c and output-text.c ---- */
const char *output_end_reason(enum flow_end_reason why);
const char *output_transport(uint8_t proto, char *buf, size_t len);
/* "2025-01-01T00:00:01.234567Z" */
void output_time(uint64_t ts_us, char *buf, size_t len);
/* TCP flags as letters, e.g. "SAF" */
void output_tcp_flags(uint8_t flags, char *buf);
void output_text_flow(struct output *o, const struct flow *f, enum flow_end_reason why,
		      const struct flow_enrich *en);
void output_text_alert(struct output *o, const struct flow *f, const struct flow_enrich *en,
		       const struct app_transfer *t, const struct policy_hit *h);
void output_text_firmware(struct output *o, const struct flow *f, const struct flow_enrich *en,
			  const struct app_transfer *t, const char *why);
void output_text_stats(struct output *o, uint64_t ts_us);
void output_text_free(struct output *o);

#endif /* APN_OUTPUT_H */
