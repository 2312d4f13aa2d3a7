/*
 * apngen.c - deterministic generator of APN-like captures: cellular IoT
 * devices behind a PGW doing DNS, TLS, MQTT, CoAP/LwM2M and HTTP, RADIUS
 * accounting from the PGW, and with --gtp the device traffic in GTP-U.
 *
 * The same options give the same bytes: every choice comes from one seeded
 * splitmix64 stream consumed in a fixed order, timestamps come from the
 * packet count (--start, --rate), never from the clock. See docs/apngen.md.
 *
 * Layout: this file holds the options, the devices, the manifest and the
 * scheduler that interleaves sessions; apngen-proto.c builds the sessions,
 * apngen-wire.c the frames and the pcap file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "apngen.h"

#define MAX_DEVICES 1000000u

/* TACs are the 8 first IMEI digits. The two Quectel ones are public data
 * points (see DOMAIN.md); the last one is made up, for a device that no
 * catalog knows. */
static const struct tac_model tac_models[] = {
	{"86683404", "Quectel", "EC25-AF", "EC25AF", {"R07A08", "R07A09"}, 0},
	{"86439404", "Quectel", "EC21", "EC21", {"R02A05", "R02A06"}, 1},
	{"00100100", NULL, NULL, "MODEM", {"1.0.3", "1.0.4"}, 1},
};
#define NUM_TACS (sizeof(tac_models) / sizeof(tac_models[0]))

/* Relative weights of the session kinds, per mille (docs/apngen.md).
 * Firmware updates are rare, as on a real APN; the rule below still puts
 * every kind in small captures. */
static const unsigned sess_weights[SESS_KINDS] = {
	[SESS_DNS] = 130,
	[SESS_TLS] = 190,
	[SESS_MQTT] = 240,
	[SESS_COAP_REGISTER] = 210,
	[SESS_COAP_FIRMWARE] = 5,
	[SESS_HTTP_FIRMWARE] = 5,
	[SESS_HTTP_XTRA] = 30,
	[SESS_HTTP_FIRMWARE_CHUNKED] = 3,
	[SESS_HTTP_FIRMWARE_KEEPALIVE] = 2,
	[SESS_LWM2M_FOTA] = 5,
	[SESS_OMADM_FUMO] = 3,
	[SESS_OMADM_DM] = 15,
	[SESS_MQTT_JOBS] = 20,
	[SESS_QUECLOCATOR] = 40,
	[SESS_ASSISTNOW] = 30,
	[SESS_NRFCLOUD] = 40,
	[SESS_MEIG_FOTA] = 3,
	[SESS_TLS_FOTA] = 1,
	[SESS_TLS_UNKNOWN] = 25,
	[SESS_FTP_FIRMWARE] = 3,
};

/* Every kind at least twice in each block of KIND_BLOCK sessions: the
 * even-numbered sessions among a block's first 4 * SESS_KINDS take the
 * kinds in turn, the others are drawn by weight. So small captures show
 * every kind too. */
#define KIND_BLOCK 4096u

struct options {
	const char *output;
	const char *manifest;
	const char *dump_dir;
	uint64_t devices;
	uint64_t flows;
	uint64_t packets;
	uint64_t seed;
	uint64_t start;
	uint64_t rate;
	uint64_t concurrency;
	int flows_set;
	int gtp;
	int quiet;
};

/* ---- PRNG ---- */

uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

void rng_bytes(struct rng *r, uint8_t *p, size_t n)
{
	while (n >= 8) {
		uint64_t v = rng_next(r);
		for (int i = 0; i < 8; i++)
			p[i] = (uint8_t)(v >> (8 * i));
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t v = rng_next(r);
		for (size_t i = 0; i < n; i++)
			p[i] = (uint8_t)(v >> (8 * i));
	}
}

/* ---- devices ---- */

/* Luhn check digit of the 14 first IMEI digits (3GPP TS 23.003 annex B). */
static char luhn_digit(const char *d14)
{
	unsigned sum = 0;
	for (int i = 0; i < 14; i++) {
		unsigned v = (unsigned)(d14[i] - '0');
		if (i % 2 == 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return (char)('0' + (10 - sum % 10) % 10);
}

static void devices_init(struct gen *g, struct device *devs, uint64_t n)
{
	uint32_t snr_base[NUM_TACS];
	for (size_t t = 0; t < NUM_TACS; t++)
		snr_base[t] = rng_below(&g->rng, 1000000);
	uint64_t imsi_base = rng_next(&g->rng) % 9000000000u;
	uint32_t msisdn_base = rng_below(&g->rng, 50000000);
	uint32_t teid_ul_base = (uint32_t)rng_next(&g->rng);
	uint32_t teid_dl_base = (uint32_t)rng_next(&g->rng);
	uint32_t serial_base = rng_below(&g->rng, 100000000);

	for (uint64_t i = 0; i < n; i++) {
		struct device *d = &devs[i];
		size_t t = (size_t)(i % NUM_TACS);
		/* k * 7919 mod 10^6 is a bijection (7919 is prime to 10), so
		 * serial numbers are unique within a TAC. */
		uint32_t snr = (uint32_t)((snr_base[t] + (i / NUM_TACS) * 7919u) % 1000000u);
		memset(d, 0, sizeof(*d));
		d->model = &tac_models[t];
		d->ip = IP4(100, 64, 0, 0) + (uint32_t)(i / 254) * 256 + (uint32_t)(i % 254) + 1;
		snprintf(d->imei, sizeof(d->imei), "%s%06u", d->model->tac, (unsigned)snr);
		d->imei[14] = luhn_digit(d->imei);
		d->imei[15] = 0;
		snprintf(d->imeisv, sizeof(d->imeisv), "%.14s%02u", d->imei, (unsigned)(t + 1));
		snprintf(d->imsi, sizeof(d->imsi), "00101%010llu",
			 (unsigned long long)((imsi_base + i) % 10000000000u));
		snprintf(d->msisdn, sizeof(d->msisdn), "9990%08u",
			 (unsigned)((msisdn_base + i) % 100000000u));
		for (int k = 0; k < 16; k++)
			d->acct_session_id[k] = "0123456789ABCDEF"[rng_below(&g->rng, 16)];
		snprintf(d->lwm2m_loc, sizeof(d->lwm2m_loc), "%05x",
			 (unsigned)rng_below(&g->rng, 0x100000));
		d->apn = rng_below(&g->rng, 8) ? "iot.example" : "fleet.example";
		/* Multiplying by an odd constant is a bijection mod 2^32: TEIDs
		 * are unique per direction. */
		d->teid_ul = teid_ul_base + (uint32_t)i * 0x9e3779b1u;
		d->teid_dl = teid_dl_base + (uint32_t)i * 0x9e3779b1u;
		/* 7919 is prime to 10^8: serials are unique. */
		snprintf(d->thing, sizeof(d->thing), "meter-%08u",
			 (unsigned)((serial_base + i * 7919u) % 100000000u));
		d->sgw_ip = ADDR_SGW_BASE + (uint32_t)(i % NUM_SGW);
		d->next_port = (uint16_t)(32768 + rng_below(&g->rng, 28232));
		d->ipid = (uint16_t)rng_next(&g->rng);
	}
}

static const char *proto_name(uint8_t proto)
{
	return proto == 6 ? "tcp" : "udp";
}

static void manifest_flows(FILE *f, const struct gen *g)
{
	char c[16], sv[16];
	fputs("  \"flows\": [\n", f);
	for (size_t i = 0; i < g->n_flows; i++) {
		const struct flow_rec *r = &g->flows[i];
		ip4_str(r->cip, c, sizeof(c));
		ip4_str(r->sip, sv, sizeof(sv));
		fprintf(f,
			"    {\"proto\": \"%s\", \"src\": \"%s\", \"sport\": %u, \"dst\": \"%s\", "
			"\"dport\": %u, \"kind\": \"%s\", \"intent\": \"%s\", \"confidence\": \"%s\"}%s\n",
			proto_name(r->proto), c, (unsigned)r->cport, sv, (unsigned)r->sport, r->kind,
			r->intent, r->conf, i + 1 < g->n_flows ? "," : "");
	}
	fputs("  ],\n", f);
}

static void manifest_firmware(FILE *f, const struct gen *g)
{
	char c[16], sv[16], hex[65];
	fputs("  \"firmware\": [\n", f);
	for (size_t i = 0; i < g->n_fws; i++) {
		const struct fw_rec *r = &g->fws[i];
		ip4_str(r->cip, c, sizeof(c));
		ip4_str(r->sip, sv, sizeof(sv));
		for (int k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02x", r->sha256[k]);
		/* URLs and names are apngen's own: no character needs escaping. */
		fprintf(f,
			"    {\"src\": \"%s\", \"sport\": %u, \"dst\": \"%s\", \"dport\": %u, "
			"\"url\": \"%s\", \"name\": \"%s\", \"size\": %lu, \"sha256\": \"%s\"}%s\n",
			c, (unsigned)r->cport, sv, (unsigned)r->sport, r->url, r->name,
			(unsigned long)r->size, hex, i + 1 < g->n_fws ? "," : "");
	}
	fputs("  ],\n", f);
}

static int manifest_write(const char *path, const struct options *o, const struct gen *g,
			  const struct device *devs)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "apngen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f,
		"{\n  \"generator\": \"apngen\",\n  \"seed\": %llu,\n  \"gtp\": %s,\n"
		"  \"start\": %llu,\n  \"radius_secret\": \"testing123\",\n  \"devices\": [\n",
		(unsigned long long)o->seed, o->gtp ? "true" : "false",
		(unsigned long long)o->start);
	for (uint64_t i = 0; i < o->devices; i++) {
		const struct device *d = &devs[i];
		char ip[16];
		ip4_str(d->ip, ip, sizeof(ip));
		fprintf(f,
			"    {\"ip\": \"%s\", \"imsi\": \"%s\", \"imei\": \"%s\", \"imeisv\": \"%s\", "
			"\"msisdn\": \"%s\", \"apn\": \"%s\", \"teid\": %lu, \"teid_dl\": %lu, "
			"\"tac\": \"%s\", \"thing\": \"%s\", ",
			ip, d->imsi, d->imei, d->imeisv, d->msisdn, d->apn, (unsigned long)d->teid_ul,
			(unsigned long)d->teid_dl, d->model->tac, d->thing);
		if (d->model->maker)
			fprintf(f, "\"maker\": \"%s\", \"model\": \"%s\"}", d->model->maker,
				d->model->model);
		else
			fprintf(f, "\"maker\": null, \"model\": null}");
		fputs(i + 1 < o->devices ? ",\n" : "\n", f);
	}
	fputs("  ],\n", f);
	manifest_flows(f, g);
	manifest_firmware(f, g);
	fprintf(f, "  \"kinds\": [");
	for (int k = 0; k < SESS_KINDS; k++)
		fprintf(f, "%s\"%s\"", k ? ", " : "", sess_kind_name((enum sess_kind)k));
	fputs("]\n}\n", f);
	if (fclose(f) != 0) {
		fprintf(stderr, "apngen: %s: write failed\n", path);
		return -1;
	}
	return 0;
}

/* ---- the scheduler ---- */

static enum sess_kind pick_kind(struct gen *g, uint64_t built)
{
	uint64_t slot = built % KIND_BLOCK;
	if (slot % 2 == 0 && slot / 2 < 2 * SESS_KINDS)
		return (enum sess_kind)(slot / 2 % SESS_KINDS);
	unsigned total = 0;
	for (int k = 0; k < SESS_KINDS; k++)
		total += sess_weights[k];
	unsigned r = rng_below(&g->rng, total);
	for (int k = 0; k < SESS_KINDS; k++) {
		if (r < sess_weights[k])
			return (enum sess_kind)k;
		r -= sess_weights[k];
	}
	return SESS_DNS;
}

/* Builds sessions until both the flow and the packet targets are met, and
 * interleaves the frames of up to o->concurrency sessions at a time. A
 * device's first session is preceded by its Accounting Start; all Stops
 * come at the end. */
static void generate(struct gen *g, const struct options *o, struct device *devs)
{
	struct sess *pool = calloc((size_t)o->concurrency, sizeof(*pool));
	size_t active = 0;
	uint64_t built = 0;
	if (!pool) {
		fprintf(stderr, "apngen: out of memory\n");
		exit(1);
	}

	for (;;) {
		while (active < o->concurrency && o->devices > 0 &&
		       (g->flows_made < o->flows || g->pkts_made < o->packets)) {
			uint64_t i = built < o->devices ? built : rng_below(&g->rng, (uint32_t)o->devices);
			struct device *d = &devs[i];
			if (!d->started) {
				d->started = 1;
				d->start_us = pcap_writer_now_us(g->out);
				radius_accounting(g, d, 1);
			}
			sess_reset(&pool[active]);
			sess_build(g, &pool[active], d, pick_kind(g, built));
			active++;
			built++;
		}
		if (active == 0)
			break;
		size_t k = rng_below(&g->rng, (uint32_t)active);
		sess_emit_next(&pool[k], g->out);
		if (sess_done(&pool[k])) {
			struct sess tmp = pool[k];
			pool[k] = pool[active - 1];
			pool[active - 1] = tmp;
			active--;
		}
	}
	for (uint64_t i = 0; i < o->devices; i++)
		if (devs[i].started)
			radius_accounting(g, &devs[i], 2);

	for (uint64_t i = 0; i < o->concurrency; i++)
		sess_free(&pool[i]);
	free(pool);
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fputs("usage: apngen -o FILE [options]\n"
	      "Writes a deterministic pcap (Ethernet, microsecond) of cellular IoT devices\n"
	      "behind an APN: DNS, TLS (SNI), MQTT (telemetry, AWS IoT jobs), CoAP/LwM2M\n"
	      "(register, Object 5 firmware update, Block2 firmware pull), HTTP firmware\n"
	      "(plain, chunked, keep-alive), OMA-DM (FUMO), FTP firmware, GNSS assistance,\n"
	      "QuecLocator and MeiG FOTA downloads, and RADIUS accounting (Start/Stop with\n"
	      "3GPP attributes) from the PGW. Same options, same bytes.\n"
	      "\n"
	      "  -o, --output FILE     pcap to write (required; - for standard output)\n"
	      "      --devices N       number of devices (default 10, at most 1000000)\n"
	      "      --flows N         device flows (5-tuples) to generate\n"
	      "                        (default 20 per device)\n"
	      "      --packets N       keep generating sessions until at least N packets\n"
	      "                        (default 0: the flow count alone decides)\n"
	      "      --seed S          seed of the generator (default 1)\n"
	      "      --gtp             wrap device traffic in GTP-U (UDP 2152) between\n"
	      "                        eNodeB/SGW 198.51.100.20-23 and PGW 198.51.100.30\n"
	      "      --start EPOCH     time of the first packet, seconds (default\n"
	      "                        1735689600 = 2025-01-01T00:00:00Z)\n"
	      "      --rate PPS        packets per second of packet time (default 1000)\n"
	      "      --concurrency N   sessions interleaved at a time (default 32)\n"
	      "      --manifest FILE   write the devices (ip, imsi, imei, imeisv, msisdn,\n"
	      "                        apn, teid, tac, thing), every device flow with its\n"
	      "                        kind, intent and confidence, and every firmware\n"
	      "                        image served (URL, size, SHA-256) as JSON\n"
	      "      --dump-firmware DIR  write each firmware image served to\n"
	      "                        DIR/fw-NNNN-NAME (NNNN: its place in the manifest)\n"
	      "  -q, --quiet           no summary on standard error\n"
	      "  -h, --help            this text\n"
	      "\n"
	      "Benchmark capture (>= 1.5 M packets, >= 300 k flows, a few seconds):\n"
	      "  apngen -o bench.pcap --devices 20000 --flows 300000 --packets 1500000\n",
	      f);
}

static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-') {
		fprintf(stderr, "apngen: %s needs a number\n", opt);
		return -1;
	}
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max) {
		fprintf(stderr, "apngen: %s: '%s' is not a number in [%llu, %llu]\n", opt, s,
			(unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->devices = 10;
	o->seed = 1;
	o->start = 1735689600u;
	o->rate = 1000;
	o->concurrency = 32;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		char name[32];
		const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
		if (eq && (size_t)(eq - a) < sizeof(name)) {
			memcpy(name, a, (size_t)(eq - a));
			name[eq - a] = 0;
			a = name;
			val = eq + 1;
		}
#define FLAG(s) (strcmp(a, s) == 0)
#define VALUE() (val ? val : (i + 1 < argc ? argv[++i] : NULL))
		if (FLAG("-h") || FLAG("--help")) {
			usage(stdout);
			exit(0);
		} else if (FLAG("-o") || FLAG("--output")) {
			o->output = VALUE();
			if (!o->output) {
				fprintf(stderr, "apngen: %s needs a file name\n", a);
				return -1;
			}
		} else if (FLAG("--manifest")) {
			o->manifest = VALUE();
			if (!o->manifest) {
				fprintf(stderr, "apngen: %s needs a file name\n", a);
				return -1;
			}
		} else if (FLAG("--dump-firmware")) {
			o->dump_dir = VALUE();
			if (!o->dump_dir) {
				fprintf(stderr, "apngen: %s needs a directory\n", a);
				return -1;
			}
		} else if (FLAG("--devices")) {
			if (parse_u64(a, VALUE(), 1, MAX_DEVICES, &o->devices))
				return -1;
		} else if (FLAG("--flows")) {
			if (parse_u64(a, VALUE(), 0, UINT64_MAX / 2, &o->flows))
				return -1;
			o->flows_set = 1;
		} else if (FLAG("--packets")) {
			if (parse_u64(a, VALUE(), 0, UINT64_MAX / 2, &o->packets))
				return -1;
		} else if (FLAG("--seed")) {
			if (parse_u64(a, VALUE(), 0, UINT64_MAX, &o->seed))
				return -1;
		} else if (FLAG("--start")) {
			if (parse_u64(a, VALUE(), 0, 4000000000u, &o->start))
				return -1;
		} else if (FLAG("--rate")) {
			if (parse_u64(a, VALUE(), 1, 100000000u, &o->rate))
				return -1;
		} else if (FLAG("--concurrency")) {
			if (parse_u64(a, VALUE(), 1, 100000u, &o->concurrency))
				return -1;
		} else if (FLAG("--gtp") && !val) {
			o->gtp = 1;
		} else if ((FLAG("-q") || FLAG("--quiet")) && !val) {
			o->quiet = 1;
		} else {
			fprintf(stderr, "apngen: unknown option '%s' (see --help)\n", argv[i]);
			return -1;
		}
#undef FLAG
#undef VALUE
	}
	if (!o->output) {
		fprintf(stderr, "apngen: -o FILE is required (see --help)\n");
		return -1;
	}
	if (!o->flows_set)
		o->flows = 20 * o->devices;
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	if (parse_options(argc, argv, &o))
		return 2;

	static struct gen g; /* big buffers: not on the stack */
	struct pcap_writer w;
	g.rng.s = o.seed;
	g.seed = o.seed;
	g.gtp = o.gtp;
	g.record = o.manifest != NULL;
	g.dump_dir = o.dump_dir;
	if (o.dump_dir && mkdir(o.dump_dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "apngen: %s: %s\n", o.dump_dir, strerror(errno));
		return 1;
	}
	g.out = &w;

	struct device *devs = calloc((size_t)o.devices, sizeof(*devs));
	if (!devs) {
		fprintf(stderr, "apngen: out of memory\n");
		return 1;
	}
	devices_init(&g, devs, o.devices);
	g.outer_ipid_ul = (uint16_t)rng_next(&g.rng);
	g.outer_ipid_dl = (uint16_t)rng_next(&g.rng);
	g.radius_id = (uint8_t)rng_next(&g.rng);

	int to_stdout = strcmp(o.output, "-") == 0;
	FILE *f = to_stdout ? stdout : fopen(o.output, "wb");
	if (!f) {
		fprintf(stderr, "apngen: %s: %s\n", o.output, strerror(errno));
		return 1;
	}
	static char iobuf[1 << 20];
	setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));
	pcap_writer_open(&w, f, o.start, o.rate);
	generate(&g, &o, devs);
	sess_free(&g.direct);
	if (fflush(f) != 0 || w.err || (!to_stdout && fclose(f) != 0)) {
		fprintf(stderr, "apngen: %s: write failed\n", o.output);
		return 1;
	}
	if (o.manifest && manifest_write(o.manifest, &o, &g, devs))
		return 1;
	if (g.dump_err)
		return 1;

	if (!o.quiet) {
		uint64_t active = 0;
		for (uint64_t i = 0; i < o.devices; i++)
			active += devs[i].started != 0;
		fprintf(stderr,
			"apngen: %s: %llu packets, %llu device flows, %llu active devices, "
			"%llu bytes\n",
			o.output, (unsigned long long)w.count, (unsigned long long)g.flows_made,
			(unsigned long long)active, (unsigned long long)w.bytes);
	}
	free(devs);
	free(g.flows);
	free(g.fws);
	return 0;
}
