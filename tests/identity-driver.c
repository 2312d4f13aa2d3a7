/*
 * identity-driver.c - feeds the identity core (src/identity.c) a script of
 * signalling and flows and writes the events apnwatch would: device
 * events, flow events (through the real event builder) and the final
 * stats event, as JSON lines (or text) on standard output.  Used by
 * tests/identity.test to check the table and its events end to end
 * without a dissector in front of it.
 *
 * usage: identity-driver [--tac-file F]... [--builtin F] [--pseudonymize K]
 *                        [--max N] [--text] SCRIPT
 *
 * Script lines (times T in seconds after 2025-01-01T00:00:00Z, fractions
 * allowed; '#' starts a comment):
 *   start T radius|gtpv2c|lwm2m [addr=A[/LEN]] [imsi=] [imei=] [msisdn=]
 *         [apn=] [sid=] [nas=] [teid=UL[,DL]] [rat=N]
 *   stop  T radius|gtpv2c|lwm2m [the same keys]
 *   nas-reset T NAS
 *   flow FIRST LAST SRC DST [teid=N]     (UDP 40000 -> 443; SRC is the device)
 * Exit: 0, 1 when the table could not be set up, 2 for a bad script.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "output.h"

#define T0_US 1735689600000000ull

static uint64_t at(const char *s) { return T0_US + (uint64_t)(strtod(s, NULL) * 1e6 + 0.5); }

static int parse_ip(const char *s, struct ip_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->a) == 1)
		a->family = 4;
	else if (inet_pton(AF_INET6, s, a->a) == 1)
		a->family = 6;
	return a->family ? 0 : -1;
}

/* Fills s from the words after the source name; strings point into the
 * line.  Returns 0, or -1 on an unknown key. */
static int parse_info(char **words, int n, struct subscriber_info *s)
{
	memset(s, 0, sizeof(*s));
	s->rat_type = -1;
	for (int i = 0; i < n; i++) {
		char *eq = strchr(words[i], '=');
		if (eq == NULL)
			return -1;
		*eq = '\0';
		const char *k = words[i], *v = eq + 1;
		if (strcmp(k, "addr") == 0) {
			char *slash = strchr(eq + 1, '/');
			if (slash)
				*slash = '\0';
			if (parse_ip(v, &s->addr) < 0)
				return -1;
			s->prefix_len = slash ? (uint8_t)atoi(slash + 1)
					      : (uint8_t)(s->addr.family == 4 ? 32 : 128);
		} else if (strcmp(k, "imsi") == 0) {
			s->imsi = v;
		} else if (strcmp(k, "imei") == 0) {
			s->imei = v;
		} else if (strcmp(k, "msisdn") == 0) {
			s->msisdn = v;
		} else if (strcmp(k, "apn") == 0) {
			s->apn = v;
		} else if (strcmp(k, "sid") == 0) {
			s->session_id = v;
		} else if (strcmp(k, "nas") == 0) {
			s->nas = v;
		} else if (strcmp(k, "rat") == 0) {
			s->rat_type = atoi(v);
		} else if (strcmp(k, "teid") == 0) {
			char *comma;
			s->teid[0] = (uint32_t)strtoul(v, &comma, 0);
			if (*comma == ',')
				s->teid[1] = (uint32_t)strtoul(comma + 1, NULL, 0);
		} else {
			return -1;
		}
	}
	return 0;
}

static int source_of(const char *s)
{
	if (strcmp(s, "radius") == 0)
		return ID_SRC_RADIUS;
	if (strcmp(s, "gtpv2c") == 0)
		return ID_SRC_GTPV2C;
	if (strcmp(s, "lwm2m") == 0)
		return ID_SRC_LWM2M;
	return -1;
}

/* A UDP flow from dev:40000 to srv:443, one packet each way. */
static int make_flow(struct flow *f, const char *dev, const char *srv, uint64_t first,
		     uint64_t last)
{
	struct ip_addr d, s;
	memset(f, 0, sizeof(*f));
	if (parse_ip(dev, &d) < 0 || parse_ip(srv, &s) < 0 || d.family != s.family)
		return -1;
	int dev_lo = memcmp(d.a, s.a, 16) < 0;
	f->key.family = d.family;
	f->key.proto = 17;
	memcpy(f->key.addr_lo, dev_lo ? d.a : s.a, 16);
	memcpy(f->key.addr_hi, dev_lo ? s.a : d.a, 16);
	f->key.port_lo = dev_lo ? 40000 : 443;
	f->key.port_hi = dev_lo ? 443 : 40000;
	f->src_is_lo = (uint8_t)dev_lo;
	f->initiator_is_src = 1;
	f->first_us = first;
	f->last_us = last;
	f->bytes[0] = f->bytes[1] = 100;
	f->pkts[0] = f->pkts[1] = 1;
	f->tclass = TC_UDP;
	return 0;
}

int main(int argc, char **argv)
{
	struct identity_config ic;
	struct counters cnt;
	struct output out;
	const char *script = NULL;
	int json = 1;
	identity_config_defaults(&ic);
	memset(&cnt, 0, sizeof(cnt));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--tac-file") == 0 && i + 1 < argc)
			ic.tac_files[ic.n_tac_files++] = argv[++i];
		else if (strcmp(argv[i], "--builtin") == 0 && i + 1 < argc)
			ic.builtin_tac_file = argv[++i];
		else if (strcmp(argv[i], "--pseudonymize") == 0 && i + 1 < argc)
			ic.pseudonymize_key = argv[++i];
		else if (strcmp(argv[i], "--max") == 0 && i + 1 < argc)
			ic.max_subscribers = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--text") == 0)
			json = 0;
		else if (script == NULL && argv[i][0] != '-')
			script = argv[i];
		else {
			fprintf(stderr, "usage: identity-driver [--tac-file F]... [--builtin F] "
					"[--pseudonymize K] [--max N] [--text] SCRIPT\n");
			return 2;
		}
	}
	FILE *in = script ? fopen(script, "r") : NULL;
	if (in == NULL) {
		fprintf(stderr, "identity-driver: no script\n");
		return 2;
	}
	if (output_init(&out, stdout, json, "identity-driver", NULL, &cnt) < 0)
		return 1;
	struct identity_table *t = identity_new(&ic, &cnt, &out);
	if (t == NULL)
		return 1;
	out.id = t;

	char line[1024];
	int lineno = 0, rc = 0;
	uint64_t last_ts = T0_US;
	while (fgets(line, sizeof(line), in)) {
		char *words[32];
		int n = 0;
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		for (char *w = strtok(line, " \t\n"); w && n < 32; w = strtok(NULL, " \t\n"))
			words[n++] = w;
		if (n == 0)
			continue;
		struct subscriber_info s;
		struct flow f;
		uint64_t ts = n > 1 ? at(words[1]) : 0;
		if ((strcmp(words[0], "start") == 0 || strcmp(words[0], "stop") == 0) && n >= 3 &&
		    source_of(words[2]) > 0 && parse_info(words + 3, n - 3, &s) == 0) {
			s.source = (enum identity_source)source_of(words[2]);
			if (words[0][2] == 'a')
				identity_session_start(t, &s, ts);
			else
				identity_session_stop(t, &s, ts);
		} else if (strcmp(words[0], "nas-reset") == 0 && n == 3) {
			identity_nas_reset(t, words[2], ts);
		} else if (strcmp(words[0], "flow") == 0 && n >= 5 &&
			   make_flow(&f, words[3], words[4], at(words[1]), at(words[2])) == 0) {
			ts = f.last_us;
			if (n == 6 && strncmp(words[5], "teid=", 5) == 0) {
				f.gtp = 1;
				f.teid = (uint32_t)strtoul(words[5] + 5, NULL, 0);
				f.tun_family = 4;
			}
			cnt.v[CNT_CAPTURE_PACKETS] += 2;
			cnt.v[CNT_CAPTURE_BYTES] += 200;
			cnt.v[CNT_FLOW_CREATED]++;
			cnt.v[CNT_FLOW_ENDED]++;
			cnt.v[CNT_FLOW_END_CAPTURE]++;
			struct flow_enrich en;
			memset(&en, 0, sizeof(en)); /* no geo, intent other */
			output_flow(&out, &f, FLOW_END_CAPTURE, &en);
		} else {
			fprintf(stderr, "identity-driver: %s:%d: bad line\n", script, lineno);
			rc = 2;
			break;
		}
		if (ts > last_ts)
			last_ts = ts;
	}
	fclose(in);
	if (rc == 0)
		output_stats(&out, last_ts);
	identity_free(t);
	output_free(&out);
	return rc;
}
