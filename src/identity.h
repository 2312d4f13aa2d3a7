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

/* Loads the catalogs; returns NULL after logging "file:line: what" for a
 * bad catalog or key file.  out receives apnwatch.device events. */
struct identity_table *identity_new(const struct identity_config *cfg, struct counters *c,
				    struct output *out);
/* Frees the table; writes no events (the capture ending ends no session). */
void identity_free(struct identity_table *t);

/* Signalling: a session starts (or is updated), or ends. */
void identity_session_start(struct identity_table *t, const struct subscriber_info *s,
			    uint64_t now_us);
void identity_session_stop(struct identity_table *t, const struct subscriber_info *s,
			   uint64_t now_us);
/* Accounting-On/Off: every session the NAS reported ends. */
void identity_nas_reset(struct identity_table *t, const char *nas, uint64_t now_us);

/* Flow events: writes top-level "device" {id, manufacturer,
 * model.identifier} for f's device side, when known. */
void identity_json_device(struct identity_table *t, const struct flow *f, struct jw *w);
/* Writes "subscriber" {imsi, msisdn, apn, ...} and "imei" {tac} inside
 * the event's "apnwatch" object, when known. */
void identity_json_apnwatch(struct identity_table *t, const struct flow *f, struct jw *w);

#endif /* APN_IDENTITY_H */
