/*
 * policy-check.c - compiles a policy the way the sensor does and prints
 * "file:line:col: message" for each error (docs/policy.md), or
 * "configuration OK"; with --eval, judges subjects described one a line
 * on stdin and prints the decisions and alerts.  Used by
 * tests/policy.test until `apnwatch -t --policy FILE` exists, and by
 * anyone trying a policy on made-up traffic.
 *
 *   policy-check [FILE]                 (no FILE: the default policy)
 *   policy-check --eval [FILE] < SUBJECTS
 *
 * A subject line is KEY=VALUE words (values without blanks):
 *   t=SECONDS event=flow|firmware intent=fota conf=probable
 *   src=100.64.0.1 dst=203.0.113.5 domain=fota.example.com country=CN
 *   asn=64500 vendor=Quectel vcountry=CN imei=... imsi=... apn=...
 *   maker=... model=... protocol=http hash=HEX64|gap name=fw.bin
 * Output: one line per alert ("alert RULE severity N ..." or "campaign
 * RULE key ... devices N first a,b"), then "=> ACTION".
 *
 * Exit: 0 OK, 1 policy errors, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "dissector.h"
#include "flow.h"
#include "output.h"
#include "policy.h"
#include "util-cidr.h"

static void print_hit(void *arg, const struct policy_subject *s, const struct policy_hit *h)
{
	(void)arg;
	(void)s;
	if (h->campaign) {
		printf("campaign %s severity %d key \"%s\" intent %s devices %llu window %llus "
		       "first",
		       h->rule_id, h->severity, h->campaign_key, h->campaign_intent,
		       (unsigned long long)h->campaign_devices,
		       (unsigned long long)h->campaign_window_s);
		for (size_t i = 0; i < h->n_first; i++)
			printf("%c%s", i ? ',' : ' ', h->first_devices[i]);
		printf("\n");
		return;
	}
	printf("%s %s severity %d", policy_action_str(h->action), h->rule_id, h->severity);
	if (h->dedup_suppressed)
		printf(" suppressed %llu", (unsigned long long)h->dedup_suppressed);
	if (h->description)
		printf(" description \"%s\"", h->description);
	printf("\n");
}

static int hexval(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

static void set_addr(struct flow *f, int lo, const char *s)
{
	struct ip_addr a;
	if (ip_addr_parse(s, &a) < 0) {
		fprintf(stderr, "bad address %s\n", s);
		return;
	}
	f->key.family = a.family;
	memcpy(lo ? f->key.addr_lo : f->key.addr_hi, a.a, 16);
}

/* One line: fills the subject and evaluates it. */
static void eval_line(const struct policy *p, struct policy_runtime *rt, char *line)
{
	struct flow f;
	struct flow_enrich en;
	struct app_transfer t;
	struct catalog_vendor vd = {0};
	struct policy_subject s = {0};
	int fw = 0;
	memset(&f, 0, sizeof(f));
	memset(&en, 0, sizeof(en));
	memset(&t, 0, sizeof(t));
	f.src_is_lo = 1;
	s.f = &f;
	s.en = &en;
	for (char *w = strtok(line, " \t\n"); w; w = strtok(NULL, " \t\n")) {
		char *v = strchr(w, '=');
		if (!v)
			continue;
		*v++ = '\0';
		if (!strcmp(w, "t"))
			s.now_us = (uint64_t)(atof(v) * 1e6);
		else if (!strcmp(w, "event"))
			fw = !strcmp(v, "firmware");
		else if (!strcmp(w, "intent"))
			en.intent.intent =
				intent_parse(v) < 0 ? INTENT_OTHER : (enum intent)intent_parse(v);
		else if (!strcmp(w, "conf"))
			en.intent.conf = !strcmp(v, "confirmed")  ? CONF_CONFIRMED
					 : !strcmp(v, "probable") ? CONF_PROBABLE
								  : CONF_NONE;
		else if (!strcmp(w, "src"))
			set_addr(&f, 1, v);
		else if (!strcmp(w, "dst"))
			set_addr(&f, 0, v);
		else if (!strcmp(w, "domain"))
			en.domain = v;
		else if (!strcmp(w, "country")) {
			en.has_geo = 1;
			snprintf(en.geo.country, sizeof(en.geo.country), "%s", v);
		} else if (!strcmp(w, "asn")) {
			en.has_geo = 1;
			en.geo.asn = (uint32_t)strtoul(v, NULL, 10);
		} else if (!strcmp(w, "vendor")) {
			vd.name = v;
			en.intent.vendor = &vd;
		} else if (!strcmp(w, "vcountry"))
			vd.country = v;
		else if (!strcmp(w, "imei"))
			s.imei = v;
		else if (!strcmp(w, "imsi"))
			s.imsi = v;
		else if (!strcmp(w, "apn"))
			s.apn = v;
		else if (!strcmp(w, "maker"))
			s.maker = v;
		else if (!strcmp(w, "model"))
			s.model = v;
		else if (!strcmp(w, "protocol"))
			s.protocol = v;
		else if (!strcmp(w, "name"))
			t.name = v;
		else if (!strcmp(w, "hash")) {
			t.hash_state = TRANSFER_HASH_GAP;
			if (strlen(v) == 64) {
				t.hash_state = TRANSFER_HASH_OK;
				for (int i = 0; i < 32; i++) {
					int a = hexval(v[2 * i]), b = hexval(v[2 * i + 1]);
					if (a < 0 || b < 0)
						t.hash_state = TRANSFER_HASH_GAP;
					t.sha256[i] = (uint8_t)(a * 16 + b);
				}
			}
		}
	}
	if (fw)
		s.t = &t;
	printf("=> %s\n", policy_action_str(policy_eval(p, rt, &s, print_hit, NULL)));
}

int main(int argc, char **argv)
{
	int nerr = 0, evalmode = 0;
	const char *file = NULL;
	struct policy *p;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--eval"))
			evalmode = 1;
		else if (argv[i][0] == '-' || file) {
			fprintf(stderr, "usage: %s [--eval] [FILE]\n", argv[0]);
			return 2;
		} else
			file = argv[i];
	}
	p = file ? policy_load_file(file, stdout, &nerr) : policy_load_default(stdout, &nerr);
	if (!p) {
		printf("%d error%s\n", nerr, nerr == 1 ? "" : "s");
		return 1;
	}
	if (!evalmode) {
		printf("configuration OK: %s, %zu rules, %zu set members, sha256 %s\n",
		       policy_name(p), policy_rule_count(p), policy_set_members(p),
		       policy_digest(p));
	} else {
		struct policy_runtime *rt = policy_runtime_new(0);
		char line[4096];
		while (fgets(line, sizeof(line), stdin))
			if (line[0] != '#' && line[0] != '\n')
				eval_line(p, rt, line);
		policy_runtime_free(rt);
	}
	policy_free(p);
	return 0;
}
