/*
 * apngen.h - shared declarations of apngen, the deterministic generator of
 * APN-like captures (see docs/apngen.md).
 *
 * apngen-wire.c builds frames (Ethernet, optional GTP-U, IPv4, TCP, UDP) and
 * writes the pcap file; apngen-proto.c builds the sessions of each protocol;
 * apngen-md5.c is the MD5 the RADIUS authenticators need, apngen-sha256.c
 * the SHA-256 of the firmware images in the manifest; apngen.c holds the
 * options, the devices, the manifest, the scheduler and main().
 */
#ifndef APNGEN_H
#define APNGEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Addresses, host byte order. Servers live only in documentation ranges. */
#define IP4(a, b, c, d) \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))
#define ADDR_NAS IP4(198, 51, 100, 1)      /* PGW as RADIUS client */
#define ADDR_AAA IP4(198, 51, 100, 2)      /* RADIUS accounting server */
#define ADDR_SGW_BASE IP4(198, 51, 100, 20) /* four eNodeB/SGW: .20 - .23 */
#define ADDR_PGW IP4(198, 51, 100, 30)     /* S5/S8-U end of the PGW */
#define ADDR_DNS IP4(192, 0, 2, 53)        /* the APN's resolver */
#define NUM_SGW 4

#define TCP_MSS 1400
#define MAX_FRAME 1600

/* splitmix64: small, fast, and the same on every platform. */
struct rng {
	uint64_t s;
};
uint64_t rng_next(struct rng *r);
uint32_t rng_below(struct rng *r, uint32_t n); /* uniform in [0, n), n > 0 */
void rng_bytes(struct rng *r, uint8_t *p, size_t n);

/* What a TAC (the first 8 IMEI digits) stands for in this generator. */
struct tac_model {
	const char *tac;
	const char *maker;      /* NULL: no catalog knows it */
	const char *model;      /* NULL: no catalog knows it */
	const char *fw_model;   /* firmware file name stem */
	const char *fw_ver[2];  /* versions it downloads */
	int tls12_only;         /* which ClientHello its TLS stack sends */
};

struct device {
	uint32_t ip;
	char imsi[16];
	char imei[16];
	char imeisv[17];
	char msisdn[16];
	char acct_session_id[17];
	char lwm2m_loc[8];
	char thing[16];    /* AWS IoT thing name: "meter-" + 8-digit serial */
	const char *apn;
	const struct tac_model *model;
	uint32_t teid_ul;  /* TEID the PGW assigned: uplink G-PDUs carry it */
	uint32_t teid_dl;  /* TEID the SGW assigned: downlink G-PDUs carry it */
	uint32_t sgw_ip;
	uint16_t next_port;
	uint16_t ipid;
	int started;
	uint64_t start_us;
	uint64_t up_octets, down_octets, up_pkts, down_pkts;
};

/* A session: the frames of one or more flows of one device, in order. The
 * scheduler interleaves the frames of several sessions. Each frame is stored
 * as a 2-byte little-endian length followed by the frame. */
struct sess {
	uint8_t *buf;
	size_t len, cap, rpos;
	uint32_t npkts;
};

/* One 5-tuple conversation: client is the device (or the NAS). */
struct flow {
	struct device *dev; /* NULL: operator-side traffic, never in GTP */
	uint32_t cip, sip;
	uint16_t cport, sport;
	uint8_t proto;
	uint32_t cseq, sseq; /* next sequence number each side sends */
	uint16_t cipid; /* used when dev is NULL; devices keep their own */
	uint16_t sipid;
	uint8_t sttl;
};

struct pcap_writer {
	FILE *f;
	uint64_t start_us;
	uint64_t rate;
	uint64_t count;
	uint64_t bytes;
	int err;
};

/* What the manifest says of one device flow: the generator's own truth
 * about why the device opened it (docs/apngen.md). */
struct flow_rec {
	uint32_t cip, sip;
	uint16_t cport, sport;
	uint8_t proto;
	const char *kind, *intent, *conf;
};

/* One firmware object served, for the manifest. */
struct fw_rec {
	uint32_t cip, sip;
	uint16_t cport, sport;
	uint32_t size;
	char url[256];
	char name[64];
	uint8_t sha256[32];
};

struct gen {
	struct rng rng;
	uint64_t seed;
	int gtp;
	int record;              /* keep flow_rec / fw_rec lists (--manifest) */
	const char *dump_dir;    /* --dump-firmware DIR, or NULL */
	/* the current session's kind, intent and confidence: device_flow()
	 * records them */
	const char *cur_kind, *cur_intent, *cur_conf;
	struct flow_rec *flows;
	size_t n_flows, cap_flows;
	struct fw_rec *fws;
	size_t n_fws, cap_fws;
	unsigned n_dumped;
	int dump_err;
	uint16_t outer_ipid_ul, outer_ipid_dl;
	uint64_t flows_made;
	uint64_t pkts_made;
	uint8_t radius_id;
	uint32_t radius_reqs;
	struct pcap_writer *out;
	struct sess direct;      /* frames written as soon as built (RADIUS) */
	uint8_t ip[MAX_FRAME];   /* inner IPv4 packet under construction */
	uint8_t app[1 << 16];    /* application bytes under construction */
	uint8_t fw[1 << 16];     /* a firmware image (FW_MAX bytes at most) */
};

#define FW_MIN 5120  /* firmware image sizes, bytes */
#define FW_MAX 61440

/* apngen-wire.c */
void pcap_writer_open(struct pcap_writer *w, FILE *f, uint64_t start_sec, uint64_t rate);
void pcap_writer_frame(struct pcap_writer *w, const uint8_t *frame, size_t len);
uint64_t pcap_writer_now_us(const struct pcap_writer *w);
void sess_reset(struct sess *s);
void sess_free(struct sess *s);
int sess_done(const struct sess *s);
/* Hands the next frame of s to the writer; returns its length. */
size_t sess_emit_next(struct sess *s, struct pcap_writer *w);
void flow_open(struct gen *g, struct flow *f, struct device *dev, uint32_t cip, uint16_t cport,
	       uint32_t sip, uint16_t sport, uint8_t proto);
void udp_send(struct gen *g, struct sess *s, struct flow *f, int from_client, const uint8_t *data,
	      size_t len);
void tcp_connect(struct gen *g, struct sess *s, struct flow *f);
/* Sends len bytes in MSS-sized segments; the receiver ACKs every second
 * segment, and the last one too when ack_last is set. */
void tcp_send(struct gen *g, struct sess *s, struct flow *f, int from_client, const uint8_t *data,
	      size_t len, int ack_last);
void tcp_close(struct gen *g, struct sess *s, struct flow *f, int client_first);
void put_be16(uint8_t *p, uint16_t v);
void put_be32(uint8_t *p, uint32_t v);
void ip4_str(uint32_t ip, char *buf, size_t n);

/* apngen-proto.c: each appends one session (one or more flows) to s. */
enum sess_kind {
	SESS_DNS,
	SESS_TLS,
	SESS_MQTT,
	SESS_COAP_REGISTER,
	SESS_COAP_FIRMWARE,
	SESS_HTTP_FIRMWARE,
	SESS_HTTP_XTRA,
	SESS_HTTP_FIRMWARE_CHUNKED,
	SESS_HTTP_FIRMWARE_KEEPALIVE,
	SESS_LWM2M_FOTA,
	SESS_OMADM_FUMO,
	SESS_OMADM_DM,
	SESS_MQTT_JOBS,
	SESS_QUECLOCATOR,
	SESS_ASSISTNOW,
	SESS_NRFCLOUD,
	SESS_MEIG_FOTA,
	SESS_TLS_FOTA,
	SESS_TLS_UNKNOWN,
	SESS_FTP_FIRMWARE,
	SESS_KINDS
};
/* The manifest's name of a session kind ("dns", "lwm2m_fota", ...). */
const char *sess_kind_name(enum sess_kind kind);
void sess_build(struct gen *g, struct sess *s, struct device *dev, enum sess_kind kind);
void radius_accounting(struct gen *g, struct device *dev, int status_type);

/* apngen-md5.c */
void md5(const uint8_t *msg, size_t len, uint8_t out[16]);

/* apngen-sha256.c */
void sha256(const uint8_t *msg, size_t len, uint8_t out[32]);

#endif
