/*
 * dissector.h - application dissectors: one file each in dissectors/, one
 * line each in dissectors/registry.c.
 *
 * A dissector is a struct of callbacks (Suricata's app-layer habit).  The
 * registry picks one per flow, on the flow's first payload packets: first
 * a payload probe, then the ports, then nDPI's verdict.  It then feeds the
 * dissector
 *   - UDP: every datagram's payload;
 *   - TCP: the stream's bytes in order, each direction on its own (the
 *     registry follows sequence numbers; retransmitted bytes are not given
 *     twice; a hole in the stream is announced with gap(), then the bytes
 *     after it follow).
 * Direction 0 is source to destination: the device side to the server
 * side (flow.h).
 *
 * Parsing goes through the checked reader (src/util-reader.h) only.  A
 * dissector keeps what it found in its state (state_size bytes, zeroed,
 * freed after the flow's event is written) and writes it into the flow
 * event through its json callbacks.  It must bound its own memory (buffers
 * for messages split across segments are capped; over the cap it counts
 * and gives up on the flow, never grows without bound).
 */
#ifndef APN_DISSECTOR_H
#define APN_DISSECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "flow.h"
#include "packet.h"
#include "util-json.h"

struct identity_table; /* src/identity.h */
struct dns_cache;      /* dissectors/dns.h */
struct ftp_expect;     /* dissectors/ftp.h */
struct intent_input;   /* src/intent.h */

/* What every dissector may use besides its flow: shared, per engine. */
struct dissect_ctx {
	struct counters *cnt;
	struct identity_table *id; /* subscriber identity: RADIUS, GTPv2-C, LwM2M */
	struct dns_cache *dns;     /* device + server address -> name */
	struct ftp_expect *ftp;    /* FTP data connections announced on control flows */
	uint64_t now_us;           /* packet time of the packet being dissected */
	const struct packet *pkt;  /* the packet being dissected (addresses, TEID) */
	/* Bytes of one flow's transfers hashed at most (firmware evidence);
	 * past it a transfer's hash is given up (TRANSFER_HASH_CAP). */
	uint64_t transfer_max_bytes;
};

/*
 * A file that went over the flow (firmware evidence): an HTTP body (plain
 * or chunked), an FTP data connection, a CoAP Block2 / Block1 run.  Its
 * bytes are hashed in order as they pass; nothing is buffered.  The hash
 * is given only when every byte was seen (hash_state TRANSFER_HASH_OK):
 * never a wrong hash.
 */
enum transfer_hash_state {
	TRANSFER_HASH_OK = 0,   /* complete: sha256 is the file's */
	TRANSFER_HASH_GAP,      /* bytes lost in the capture (TCP gap, missing block) */
	TRANSFER_HASH_CAP,      /* over transfer_max_bytes */
	TRANSFER_HASH_SHORT,    /* ended before its declared size / last block */
	TRANSFER_HASH_ORDER,    /* blocks out of order or inconsistent sizes */
	TRANSFER_HASH_ENCODED,  /* a content coding (gzip...) we do not undo */
	TRANSFER_HASH_ERROR,    /* out of memory or a framing error */
};

#define TRANSFER_NAME_MAX 256
#define TRANSFER_URL_MAX 1024

struct app_transfer {
	const char *protocol;     /* "http", "ftp", "coap" */
	const char *method;       /* "GET", "PUT", "POST", "RETR", "STOR", "Block2", ... */
	const char *name;         /* file.name: the last path segment; NULL if none */
	const char *url;          /* the full URL (http://host/path, ftp://..., coap://...) */
	const char *package_uri;  /* LwM2M /5/0/1 or FUMO PkgURL that announced it; NULL */
	const char *version;      /* the version when the protocol says it; NULL */
	const char *content_type; /* NULL if none */
	uint64_t size;            /* bytes of the file seen */
	uint64_t declared_size;   /* Content-Length, Size2, SIZE; 0 unknown */
	uint64_t start_us, end_us;
	uint8_t sha256[32];       /* valid only when hash_state == TRANSFER_HASH_OK */
	uint8_t hash_state;       /* enum transfer_hash_state */
	uint8_t to_device;        /* 1: server to device (a download) */
	uint8_t status_ok;        /* 1: the protocol said success (HTTP 2xx, FTP 226, CoAP 2.05) */
};

/* "complete", "gap", "cap", "short", "order", "encoded", "error" */
const char *transfer_hash_state_str(enum transfer_hash_state s);

/* How destination.domain was learnt, best first. */
enum server_name_source {
	SNAME_NONE = 0,
	SNAME_DNS,       /* the device's own DNS answer for the server's address */
	SNAME_COAP,      /* CoAP Uri-Host */
	SNAME_HTTP,      /* HTTP Host */
	SNAME_TLS,       /* TLS SNI */
};

struct dissector {
	const char *name; /* "dns", "tls", ... also the counters' prefix */
	uint8_t transport; /* 6 TCP, 17 UDP */
	const uint16_t *ports;    /* either side; 0-terminated; may be NULL */
	const uint16_t *ndpi_ids; /* nDPI protocol ids (master or app); 0-terminated */
	/* Optional: 1 when the first payload bytes look like the protocol.
	 * dir: the direction of those bytes. */
	int (*probe)(const uint8_t *data, size_t len, int dir);
	/* Optional: 1 when this dissector takes the flow at its first packet,
	 * before any payload (an FTP data connection announced on its control
	 * connection, say).  Asked before probes and ports.  A dissector with
	 * a claim callback also gets parse() calls for TCP packets without
	 * payload, with data NULL and len 0. */
	int (*claim)(struct dissect_ctx *c, const struct flow *f);
	size_t state_size;
	/* Bytes of the flow in direction dir (see above). */
	void (*parse)(struct dissect_ctx *c, struct flow *f, void *state, int dir,
		      const uint8_t *data, size_t len);
	/* Optional: bytes were lost in direction dir (TCP only). */
	void (*gap)(struct dissect_ctx *c, struct flow *f, void *state, int dir);
	/* Optional: frees what state points to (not state itself). */
	void (*free)(void *state);
	/* Optional: top-level ECS objects for the flow event: "tls", "dns",
	 * "http", "url", "user_agent", "file", ... (jw_obj_begin(w, "tls")...).
	 * Never "source", "destination", "network", "event", "apnwatch". */
	void (*json_ecs)(const void *state, struct jw *w);
	/* Optional: objects inside the event's "apnwatch" object, named after
	 * the dissector ("mqtt", "coap", "lwm2m", "radius", "gtpv2c", "ftp"). */
	void (*json_apnwatch)(const void *state, struct jw *w);
	/* Optional: the server's name as this protocol gave it, or NULL. */
	const char *(*server_name)(const void *state, enum server_name_source *how);
	/* Optional: the flow's finished transfers (firmware evidence), at
	 * most a capped few; returns how many, *v points to the first.  The
	 * transfers stay valid until free(). */
	size_t (*transfers)(const void *state, const struct app_transfer **v);
	/* Optional: what the payload proved or suggested about the flow's
	 * purpose: intent_vote(in, ...) (src/intent.h), and the client's
	 * User-Agent / JA3 / JA4 in in->user_agent ... */
	void (*intent)(const void *state, struct intent_input *in);
};

/* ---- registry.c ---- */

/* The flow's dissector and its state; NULL until one is chosen. */
struct flow_app {
	const struct dissector *d;
	uint32_t next_seq[2]; /* TCP: next byte expected, per direction */
	uint8_t seq_known[2];
	uint8_t tries;        /* payload packets seen while choosing */
	uint8_t given_up;     /* no dissector fits */
	_Alignas(16) uint8_t state[];
};

/* Returns the registry's table and its length. */
const struct dissector *const *dissector_table(size_t *n);
/* Called for every packet of f after nDPI. */
void dissect_packet(struct dissect_ctx *c, struct flow *f, const struct packet *p, int dir);
/* Frees f's dissector state (after the flow's event was written). */
void dissect_flow_free(struct flow *f);

/* The flow event's server name: the dissector's, else the device's DNS
 * answer for the server address; NULL when none. */
const char *dissect_server_name(struct dissect_ctx *c, const struct flow *f,
				enum server_name_source *how);
const char *server_name_source_str(enum server_name_source s);

#endif /* APN_DISSECTOR_H */
