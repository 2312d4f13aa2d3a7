/*
 * intent.h - why a device talks to a server: firmware update, device
 * management, telemetry, location, GNSS assistance, a general device
 * cloud, or other; how sure we are (confirmed by payload, probable by
 * metadata) and the evidence a person can read.
 *
 * Dissectors vote (their intent() callback, dissector.h) with what the
 * payload proved; intent_decide() adds the catalog's service, the server
 * name, the ports and the traffic shape and picks one answer.  The rules
 * are written down in docs/intent.md.
 */
#ifndef APN_INTENT_H
#define APN_INTENT_H

#include <stddef.h>
#include <stdint.h>

struct flow;
struct catalog;
struct catalog_service;
struct catalog_vendor;
struct app_transfer;

enum intent {
	INTENT_OTHER = 0,      /* nothing points to a purpose */
	INTENT_FOTA,           /* firmware update */
	INTENT_DM,             /* device management */
	INTENT_TELEMETRY,
	INTENT_LOCATION,       /* cell / Wi-Fi location lookup */
	INTENT_GNSS_ASSIST,    /* GNSS assistance data (XTRA, AssistNow) */
	INTENT_CLOUD,          /* a maker's or platform's device cloud, purpose unsaid */
	INTENT__MAX
};

enum confidence {
	CONF_NONE = 0,  /* intent "other": no evidence either way */
	CONF_PROBABLE,  /* metadata suggests it: catalog service, port, shape */
	CONF_CONFIRMED, /* the payload proves it */
};

/* "fota", "device_management", "telemetry", "location", "gnss_assist",
 * "cloud", "other" */
const char *intent_str(enum intent i);
/* Returns the intent named s, or -1. */
int intent_parse(const char *s);
/* "confirmed", "probable", "none" */
const char *confidence_str(enum confidence c);

#define INTENT_EVIDENCE_MAX 8
#define INTENT_EVIDENCE_LEN 200

/* A vote: one intent at one confidence with its reason. */
struct intent_vote {
	enum intent intent;
	enum confidence conf;
	char why[INTENT_EVIDENCE_LEN];
};

/* Everything intent_decide() knows about one flow.  Dissectors fill
 * votes and the client's fingerprints; the engine fills the rest. */
struct intent_input {
	struct intent_vote votes[INTENT_EVIDENCE_MAX];
	size_t n_votes;
	/* the device's software, when the protocol shows it (pointers into
	 * the dissector's state; valid until the flow is freed) */
	const char *user_agent;
	const char *ja3;
	const char *ja4;
	/* the server's name (destination.domain) and how it was learnt:
	 * "tls", "http", "coap", "dns" */
	const char *server_name;
	const char *server_name_source;
	uint32_t asn;  /* the server's ASN from the geo database; 0 unknown */
	const char *imei; /* the device's IMEI when known (TAC match) */
	/* the flow's finished transfers (dissector.h), for download rules */
	const struct app_transfer *transfers;
	size_t n_transfers;
	/* filled by intent_decide() from the flow itself: bytes and packets
	 * each way (flow.h) are read there */
};

/* Adds a vote (dissectors call this from their intent() callback).
 * Extra votes past INTENT_EVIDENCE_MAX are dropped. */
void intent_vote(struct intent_input *in, enum intent i, enum confidence c, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

struct intent_result {
	enum intent intent;
	enum confidence conf;
	char evidence[INTENT_EVIDENCE_MAX][INTENT_EVIDENCE_LEN];
	size_t n_evidence;
	/* the catalog's match for the server side, or NULL */
	const struct catalog_service *service;
	const struct catalog_vendor *vendor;
	/* the catalog's maker of the client software (User-Agent, JA3), or NULL */
	const struct catalog_vendor *client_vendor;
};

/* Decides the intent of flow f.  cat may be NULL (no catalog). */
void intent_decide(const struct catalog *cat, const struct flow *f, const struct intent_input *in,
		   struct intent_result *out);

/* 1 when a transfer is a firmware image by the rules of docs/intent.md
 * (given the flow's decided intent and catalog service); *why gets the
 * reason (a static string or r->evidence text). */
int intent_transfer_is_firmware(const struct intent_result *r, const struct app_transfer *t,
				const char **why);

/* 1 when a URL or path names a firmware-like object by its name or a
 * directory (rules 3, 6 and 7 of docs/intent.md's firmware table): for
 * dissectors that see a request but not its bytes (FTP RETR on the
 * control connection, an MQTT job's URL).  *why as above. */
int intent_name_is_firmware(const char *url, const char **why);

#endif /* APN_INTENT_H */
