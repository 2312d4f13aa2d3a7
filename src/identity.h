/*
 * identity.h - who the device is: the subscriber table (device address ->
 * IMSI, IMEI(SV), MSISDN, APN, session), filled by RADIUS accounting,
 * GTPv2-C and LwM2M endpoint names; the IMEI TAC catalog (policies/tac.csv and --tac-file)
 * naming the module's maker and model; and pseudonymisation of the
 * identifiers in all output.
 */
#ifndef APN_IDENTITY_H
#define APN_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "flow.h"
#include "packet.h"
#include "util-json.h"

struct output;

#define IDENTITY_MAX_TAC_FILES 16

struct identity_config {
	const char *tac_files[IDENTITY_MAX_TAC_FILES]; /* besides the built-in catalog */
	size_t n_tac_files;
	const char *pseudonymize_key; /* a key file, or NULL */
	size_t max_subscribers;
	/* The built-in TAC catalog: NULL looks in the usual places (the
	 * source tree's policies/tac.csv when running from a build tree,
	 * else $(pkgdatadir)/tac.csv); "" loads none. */
	const char *builtin_tac_file;
	/* Seconds an ended session still names the flows that ran during
	 * it (their events come later: at idle timeout or capture end). */
	uint64_t linger_s;
};

void identity_config_defaults(struct identity_config *c);

enum identity_source { ID_SRC_RADIUS = 1, ID_SRC_GTPV2C, ID_SRC_LWM2M };

/* What a signalling message said about one subscriber; NULL or "" for
 * what it did not say. */
struct subscriber_info {
	enum identity_source source;
	struct ip_addr addr;   /* the device's address (IPv4, or IPv6 prefix) */
	uint8_t prefix_len;    /* 32 for IPv4; the IPv6 prefix length */
	const char *imsi;
	const char *imei;      /* IMEI (15 digits) or IMEISV (16) */
	const char *msisdn;
	const char *apn;
	const char *session_id;
	const char *nas;       /* the NAS / PGW that reported it, for Accounting-On/Off */
	uint32_t teid[2];      /* GTP-U TEIDs (uplink, downlink); 0 if unknown */
	int rat_type;          /* 3GPP RAT type, -1 if unknown */
};

struct identity_table;

/* Loads the key file and the catalogs (the --tac-files in order, then
 * the built-in one; the first to name a TAC wins; a built-in catalog that
 * is not found is a warning).  Returns NULL after logging "file:line:
 * what" for a bad catalog, "file: why" for a bad key file.  out (may be
 * NULL) receives apnwatch.device events. */
struct identity_table *identity_new(const struct identity_config *cfg, struct counters *c,
				    struct output *out);
/* Frees the table; writes no events (the capture ending ends no session). */
void identity_free(struct identity_table *t);

/*
 * Signalling: a session starts (or is updated), or ends.  All three
 * accept a NULL table and copy what they keep (s's strings may go away).
 *
 * identity_session_start: a RADIUS/GTPv2-C message whose session id is
 * bound already (same subscriber) updates that session: no event.  Else
 * the address decides: bound to the same subscriber (IMSI, else IMEI,
 * else MSISDN) -> an update; bound to another -> the old binding ends
 * ("replaced", identity.address_reused) and a new one starts; free -> a
 * new session (an apnwatch.device session-start event).  A session may
 * have no address (TEIDs only).  LwM2M (ID_SRC_LWM2M, the device's own
 * address) fills in what a RADIUS/GTPv2-C session at that address lacks
 * and never overrides it; an address only LwM2M names gets an LwM2M
 * session, which RADIUS/GTPv2-C later takes over ("replaced",
 * "superseded").  Identifiers that are not well formed (IMSI 6-15 digits,
 * IMEI 14-16 digits, MSISDN +?1-15 digits) are dropped.
 *
 * identity_session_stop ends the session bound at s->addr (when its
 * session id and IMSI do not contradict s), else the one with
 * s->session_id (and s->nas, when both say).  An LwM2M stop ends only an
 * LwM2M session.  Ended sessions still name the flows that ran during
 * them for linger_s seconds.
 */
void identity_session_start(struct identity_table *t, const struct subscriber_info *s,
			    uint64_t now_us);
void identity_session_stop(struct identity_table *t, const struct subscriber_info *s,
			   uint64_t now_us);
/* Accounting-On/Off: every session the NAS reported ends. */
void identity_nas_reset(struct identity_table *t, const char *nas, uint64_t now_us);

/* Flow events: writes top-level "device" {id, manufacturer,
 * model.identifier} for f's device side (its source address, else its
 * GTP-U TEID), when an IMEI is known.  The session is the one bound when
 * the flow's first packet went (else the first bound during the flow). */
void identity_json_device(struct identity_table *t, const struct flow *f, struct jw *w);
/* Writes "subscriber" {imsi, msisdn, apn, ...} and "imei" {tac} inside
 * the event's "apnwatch" object, when known. */
void identity_json_apnwatch(struct identity_table *t, const struct flow *f, struct jw *w);

/* The flow's device (as identity_json_device finds it): its IMEI as
 * output shows it, and the TAC catalog's maker and model (NULL when not
 * known).  Returns 1 when an IMEI is known, else 0 (all NULL). */
int identity_flow_device(const struct identity_table *t, const struct flow *f, const char **imei,
			 const char **maker, const char **model);
/* The flow's subscriber: IMSI, MSISDN, APN as output shows them (NULL
 * when unknown).  Returns 1 when a session names the device. */
int identity_flow_subscriber(const struct identity_table *t, const struct flow *f,
			     const char **imsi, const char **msisdn, const char **apn);
/* The IMEI alone, or NULL. */
const char *identity_flow_imei(const struct identity_table *t, const struct flow *f);

/* ---- for dissectors that print identifiers themselves, and for tests ---- */

enum identity_kind { ID_KIND_IMSI, ID_KIND_IMEI, ID_KIND_MSISDN };

/* The identifier as output must show it: with --pseudonymize its
 * pseudonym (docs/identity.md; an IMEI of 15 or 16 digits keeps its
 * length; a value that is not a well-formed identifier of that kind
 * becomes 16 hex digits of its HMAC), else the value itself.  Writes at
 * most len bytes (NUL included) into buf; returns buf.  t may be NULL. */
const char *identity_output_id(const struct identity_table *t, enum identity_kind k,
			       const char *id, char *buf, size_t len);
/* 1 when identifiers are pseudonymised in output. */
int identity_pseudonymizing(const struct identity_table *t);
/* Writes key: the identifier s (n bytes, not NUL-terminated) as output must
 * show it (identity_output_id); nothing when n is 0.  t may be NULL. */
void identity_json_id(struct jw *w, const char *key, const struct identity_table *t,
		      enum identity_kind k, const char *s, size_t n);
/* With --pseudonymize: replaces, in a whole flow event already built, every
 * clear identifier of the flow's subscriber (IMSI, IMEI, IMEISV, MSISDN)
 * by its pseudonym, wherever a dissector copied it (an MQTT client id, a
 * LwM2M endpoint name, a URL query...).  Same lengths, so in place. */
void identity_scrub_event(struct identity_table *t, const struct flow *f, char *buf, size_t len);

/* The catalog's maker and model of an 8-digit TAC; returns 0, or -1 when
 * the TAC is not in the catalog (*maker, *model untouched). */
int identity_tac_lookup(const struct identity_table *t, const char *tac, const char **maker,
			const char **model);
/* The Luhn check digit ('0'..'9') of the first 14 digits (3GPP TS 23.003
 * annex B), or 0 when they are not 14 digits. */
char identity_luhn_digit(const char *digits14);
/* Sessions bound now (ended ones kept for late flow events excluded). */
size_t identity_active_sessions(const struct identity_table *t);

#endif /* APN_IDENTITY_H */
