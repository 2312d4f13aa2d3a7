/*
 * test-policy.c - unit tests of the policy language (src/policy-parse.c,
 * src/policy-eval.c, docs/policy.md): every error class with its exact
 * "file:line:col: message", all errors of a file reported, includes (loop,
 * missing, depth), the presets and the default policy, each field and
 * operator on hand-built subjects, first match and allow, block, dedup,
 * campaign threshold / window / re-alert / eviction bound / reload, the
 * index, and a policy of 10 000 rules and 100 000 set members.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalog.h"
#include "dissector.h"
#include "flow.h"
#include "output.h"
#include "policy-int.h"
#include "policy.h"
#include "util-cidr.h"

/* ---- helpers ------------------------------------------------------------- */

static char errbuf[65536];

/* Compiles text named "t.policy"; errors go to errbuf. */
static struct policy *compile(const char *text, int *nerr)
{
	FILE *fp = fmemopen(errbuf, sizeof(errbuf) - 1, "w");
	memset(errbuf, 0, sizeof(errbuf));
	struct policy *p = policy_compile("t.policy", text, strlen(text), fp, nerr);
	fclose(fp);
	return p;
}

/* text must fail with exactly one error, msg. */
static void expect_error(const char *text, const char *msg)
{
	int nerr = -1;
	char want[1024];
	struct policy *p = compile(text, &nerr);
	snprintf(want, sizeof(want), "%s\n", msg);
	if (p || nerr != 1 || strcmp(errbuf, want) != 0) {
		print_error("text:\n%s\nwant: %sgot (%d):\n%s", text, want, nerr, errbuf);
		fail();
	}
	policy_free(p);
}

struct subj {
	struct flow f;
	struct flow_enrich en;
	struct app_transfer t;
	struct catalog_vendor vd;
	struct policy_subject s;
};

static void set_ip(struct flow *f, int lo, const char *s)
{
	struct ip_addr a;
	assert_int_equal(ip_addr_parse(s, &a), 0);
	f->key.family = a.family;
	memcpy(lo ? f->key.addr_lo : f->key.addr_hi, a.a, 16);
}

/* A FOTA flow from a Quectel device to a CN server, everything known. */
static void subj_init(struct subj *x)
{
	memset(x, 0, sizeof(*x));
	x->f.src_is_lo = 1;
	set_ip(&x->f, 1, "100.64.0.1");
	set_ip(&x->f, 0, "203.0.113.5");
	x->en.domain = "fota.quectel.com";
	x->en.has_geo = 1;
	strcpy(x->en.geo.country, "CN");
	x->en.geo.asn = 45102;
	x->en.intent.intent = INTENT_FOTA;
	x->en.intent.conf = CONF_PROBABLE;
	x->vd.name = "Quectel";
	x->vd.country = "CN";
	x->en.intent.vendor = &x->vd;
	x->t.name = "EC25-1.2.bin";
	x->t.hash_state = TRANSFER_HASH_OK;
	memset(x->t.sha256, 0xab, 32);
	x->s.f = &x->f;
	x->s.en = &x->en;
	x->s.imei = "866834045665614";
	x->s.imsi = "001012821780235";
	x->s.apn = "iot.example";
	x->s.maker = "Quectel";
	x->s.model = "EC25-AF";
	x->s.protocol = "http";
	x->s.now_us = 1000000;
}

static void as_firmware(struct subj *x) { x->s.t = &x->t; }

struct hits {
	int n;
	struct policy_hit last;
	char desc[512], key[300], first[POLICY_CAMPAIGN_FIRST][64];
	int campaigns;
};

static void on_hit(void *arg, const struct policy_subject *s, const struct policy_hit *h)
{
	struct hits *hs = arg;
	(void)s;
	hs->n++;
	hs->campaigns += h->campaign;
	hs->last = *h;
	snprintf(hs->desc, sizeof(hs->desc), "%s", h->description ? h->description : "");
	snprintf(hs->key, sizeof(hs->key), "%s", h->campaign_key ? h->campaign_key : "");
	for (size_t i = 0; i < h->n_first; i++)
		snprintf(hs->first[i], sizeof(hs->first[i]), "%s", h->first_devices[i]);
}

/* 1 when "rule r { when COND alert }" alerts on x. */
static int matches(const char *cond, struct subj *x)
{
	char text[2048];
	int nerr;
	struct hits hs = {0};
	snprintf(text, sizeof(text),
		 "set cc country { CN HK }\nset fw sha256 { %s }\n"
		 "set m device { apn iot.example }\nset nets prefix { 203.0.113.0/24 }\n"
		 "rule r { when %s alert }\n",
		 "abababababababababababababababababababababababababababababababab", cond);
	struct policy *p = compile(text, &nerr);
	if (!p) {
		print_error("%s", errbuf);
		fail();
	}
	enum policy_action a = policy_eval(p, NULL, &x->s, on_hit, &hs);
	policy_free(p);
	assert_int_equal(hs.n, a == POLICY_ALERT);
	return a == POLICY_ALERT;
}

/* ---- errors ---------------------------------------------------------------- */

static void test_error_messages(void **state)
{
	(void)state;
	expect_error("rule r { when intnet fota alert }",
		     "t.policy:1:15: unknown field \"intnet\"");
	expect_error(
		"set a asn { 1 }\nrule r {\n  when server.country in a\n  alert\n}",
		"t.policy:3:26: type mismatch: server.country takes a country set, \"a\" is an "
		"asn set");
	expect_error("rule r { when server.country in nowhere alert }",
		     "t.policy:1:33: undefined set \"nowhere\"");
	expect_error("rule r { when any alert }\nrule r { when any allow }",
		     "t.policy:2:6: duplicate rule id \"r\" (first at t.policy:1:6)");
	expect_error(
		"rule r { when any alert dedup 5y }",
		"t.policy:1:31: bad duration \"5y\" (like 30s, 5m, 1h, 1d or 1h30m; at most 30d)");
	expect_error(
		"rule r { when any alert dedup 0s }",
		"t.policy:1:31: bad duration \"0s\" (like 30s, 5m, 1h, 1d or 1h30m; at most 30d)");
	expect_error("rule r {\n  when any alert\n", "t.policy:1:8: unclosed \"{\"");
	expect_error("set s country { CN\nrule r { when any alert }",
		     "t.policy:1:15: unclosed \"{\"");
	expect_error("rule r \"name\n{ when any alert }", "t.policy:1:8: unterminated quote");
	expect_error(
		"set c country { CN usa }",
		"t.policy:1:20: bad country \"usa\" (two capital letters, ISO 3166-1 alpha-2)");
	expect_error("set c asn { AS0 }",
		     "t.policy:1:13: bad ASN \"AS0\" (1 to 4294967295, \"AS\" optional)");
	expect_error("set c sha256 { abc }", "t.policy:1:16: bad SHA-256 \"abc\" (64 hex digits)");
	expect_error("set c prefix { 10.0.0.0/33 }",
		     "t.policy:1:16: bad prefix \"10.0.0.0/33\" (prefix length must be 0 to 32)");
	expect_error("set c prefix { 10.1.0.0/8 }",
		     "t.policy:1:16: bad prefix \"10.1.0.0/8\" (bits set past the length)");
	expect_error("set c tac { 8668340x }", "t.policy:1:13: bad TAC \"8668340x\" (8 digits)");
	expect_error("set c imsi { 0010128217802351 }",
		     "t.policy:1:14: bad IMSI prefix \"0010128217802351\" (1 to 15 digits)");
	expect_error("set c domain { a..b }", "t.policy:1:16: bad domain \"a..b\" (a host name, or "
					      "*.suffix)");
	expect_error("rule r { when intent fotaa alert }",
		     "t.policy:1:22: bad intent \"fotaa\" (fota, device_management, telemetry, "
		     "location, gnss_assist, cloud, other)");
	expect_error(
		"rule r { when any alert severity extreme }",
		"t.policy:1:34: bad severity \"extreme\" (low, medium, high, critical, or 1 to "
		"100)");
	expect_error(
		"rule r { when any alert frob }",
		"t.policy:1:25: unknown statement \"frob\" in a rule (when, alert, allow, block, "
		"dedup, description)");
	expect_error("rule r { when any }",
		     "t.policy:1:6: rule \"r\" has no action (alert, allow or block)");
	expect_error("rule r { alert }", "t.policy:1:6: rule \"r\" has no \"when\" (write \"when "
					 "any\" to match everything)");
	expect_error("campaign c { when any alert }",
		     "t.policy:1:10: campaign \"c\" needs \"devices >= N within DURATION\"");
	expect_error("campaign c { when any group by server devices >= 2 within 1h block }",
		     "t.policy:1:62: a campaign can only alert");
	expect_error("campaign c { when any group by intent devices >= 2 within 1h alert }",
		     "t.policy:1:32: cannot group by \"intent\" (server, server.ip, server.domain, "
		     "server.asn, server.country, vendor.name, firmware.hash, firmware.name)");
	expect_error("set a country { CN }\nset a country { RU }",
		     "t.policy:2:5: duplicate set \"a\" (first at t.policy:1:5)");
	expect_error(
		"set a colour { CN }",
		"t.policy:1:7: unknown set type \"colour\" (country, asn, sha256, domain, prefix, "
		"tac, imsi, name, intent, device)");
	expect_error("rule r { when intent >= fota alert }",
		     "t.policy:1:22: \">=\" compares only confidence");
	expect_error("rule r { when (intent fota alert }",
		     "t.policy:1:28: expected \")\" for the \"(\" at 1:15, got \"alert\"");
	expect_error("hello",
		     "t.policy:1:1: unexpected \"hello\" (a statement starts with include, "
		     "set, rule or campaign)");
	expect_error("rule r { when any\x01 alert }", "t.policy:1:18: control character 0x01");
	expect_error("rule r \"caf\xe9\" { when any alert }", "t.policy:1:12: not UTF-8");
	expect_error("include \"no/such.policy\"",
		     "t.policy:1:9: cannot include \"no/such.policy\": No such file or directory");
}

static void test_all_errors_reported(void **state)
{
	(void)state;
	int nerr;
	struct policy *p = compile("set c country { cn }\n"
				   "rule a { when server.asn in c alert }\n"
				   "rule a { when foo bar alert dedup 2w }\n",
				   &nerr);
	assert_null(p);
	assert_int_equal(nerr, 5);
	assert_string_equal(
		errbuf,
		"t.policy:1:17: bad country \"cn\" (two capital letters, ISO 3166-1 alpha-2)\n"
		"t.policy:2:29: type mismatch: server.asn takes an asn set, \"c\" is a "
		"country set\n"
		"t.policy:3:6: duplicate rule id \"a\" (first at t.policy:2:6)\n"
		"t.policy:3:15: unknown field \"foo\"\n"
		"t.policy:3:35: bad duration \"2w\" (like 30s, 5m, 1h, 1d or 1h30m; at most "
		"30d)\n");
}

static char tmpdir[64];

static void write_file(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static struct policy *load(const char *name, int *nerr)
{
	char path[256];
	FILE *fp = fmemopen(errbuf, sizeof(errbuf) - 1, "w");
	memset(errbuf, 0, sizeof(errbuf));
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	struct policy *p = policy_load_file(path, fp, nerr);
	fclose(fp);
	return p;
}

static void test_includes(void **state)
{
	(void)state;
	int nerr;
	char want[1024];
	struct policy *p;

	strcpy(tmpdir, "/tmp/test-policy-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	/* relative to the including file; a shared file read once */
	write_file("sets.policy", "set home country { FR }\n");
	write_file("more.policy", "include \"sets.policy\"\nset far country { CN }\n");
	write_file("main.policy",
		   "include \"sets.policy\"\ninclude \"more.policy\"\n"
		   "include \"presets/countries.policy\"\n"
		   "rule r { when server.country in far or server.country in eu alert }\n");
	p = load("main.policy", &nerr);
	assert_non_null(p);
	assert_int_equal(policy_set_members(p), 2 + 27 + 30 + 5 + 8 + 4);
	policy_free(p);

	/* a loop */
	write_file("a.policy", "include \"b.policy\"\n");
	write_file("b.policy", "\n include \"a.policy\"\n");
	p = load("a.policy", &nerr);
	assert_null(p);
	snprintf(want, sizeof(want),
		 "%s/b.policy:2:10: include loop: \"a.policy\" is already being read\n", tmpdir);
	assert_string_equal(errbuf, want);

	/* too deep: 0 includes 1 ... includes 9 */
	for (int i = 0; i < 10; i++) {
		char name[32], text[64];
		snprintf(name, sizeof(name), "d%d.policy", i);
		snprintf(text, sizeof(text), "include \"d%d.policy\"\n", i + 1);
		write_file(name, i < 9 ? text : "set deep country { CN }\n");
	}
	p = load("d0.policy", &nerr);
	assert_null(p);
	snprintf(want, sizeof(want), "%s/d8.policy:1:9: includes nested deeper than 8\n", tmpdir);
	assert_string_equal(errbuf, want);
	p = load("d1.policy", &nerr);
	assert_non_null(p);
	policy_free(p);

	/* an error in an included file names that file */
	write_file("bad.policy", "set x asn { none }\n");
	write_file("top.policy", "include \"bad.policy\"\n");
	p = load("top.policy", &nerr);
	assert_null(p);
	snprintf(want, sizeof(want),
		 "%s/bad.policy:1:13: bad ASN \"none\" (1 to 4294967295, \"AS\" optional)\n",
		 tmpdir);
	assert_string_equal(errbuf, want);

	/* a file that cannot be read */
	p = load("missing.policy", &nerr);
	assert_null(p);
	assert_int_equal(nerr, 1);
	snprintf(want, sizeof(want), "%s/missing.policy: No such file or directory\n", tmpdir);
	assert_string_equal(errbuf, want);

	snprintf(want, sizeof(want), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(want), 0);
}

static void test_presets_and_default(void **state)
{
	(void)state;
	int nerr;
	struct policy *p = policy_load_default(NULL, &nerr);
	assert_non_null(p);
	assert_int_equal(nerr, 0);
	assert_int_equal(policy_rule_count(p), 4);
	assert_int_equal(policy_set_members(p), 27 + 30 + 5 + 8 + 4);
	assert_int_equal(strlen(policy_digest(p)), 64);
	assert_non_null(strstr(policy_name(p), "default.policy"));

	/* compiled twice: the same digest and shape */
	struct policy *q = policy_load_file(policy_name(p), NULL, &nerr);
	assert_non_null(q);
	assert_string_equal(policy_digest(p), policy_digest(q));
	assert_int_equal(q->n_rules, p->n_rules);
	for (int b = 0; b < POL_BUCKETS; b++) {
		assert_int_equal(q->decide[b].n, p->decide[b].n);
		assert_int_equal(q->count[b].n, p->count[b].n);
	}
	policy_free(q);
	policy_free(p);

	p = policy_load_file(APN_SRCDIR "/policies/presets/countries.policy", stderr, &nerr);
	assert_non_null(p);
	assert_int_equal(policy_rule_count(p), 0);
	policy_free(p);
	p = policy_load_file(APN_SRCDIR "/tests/policy/example.policy", stderr, &nerr);
	assert_non_null(p);
	policy_free(p);
}

/* ---- evaluation ------------------------------------------------------------ */

static void test_fields(void **state)
{
	(void)state;
	struct subj x;
	subj_init(&x);

	assert_true(matches("intent fota", &x));
	assert_true(matches("intent == fota", &x));
	assert_false(matches("intent != fota", &x));
	assert_true(matches("intent in { location fota }", &x));
	assert_false(matches("intent not in { location fota }", &x));
	assert_true(matches("confidence probable", &x));
	assert_true(matches("confidence >= probable", &x));
	assert_false(matches("confidence > probable", &x));
	assert_true(matches("confidence <= confirmed", &x));
	assert_false(matches("confidence < probable", &x));
	assert_true(matches("event flow", &x));
	assert_false(matches("event firmware", &x));
	assert_true(matches("vendor.name quectel", &x)); /* names without case */
	assert_true(matches("vendor.name in { \"Quectel\" Fibocom }", &x));
	assert_true(matches("vendor.country in cc", &x));
	assert_true(matches("server.country in cc", &x));
	assert_false(matches("server.country not in cc", &x));
	assert_true(matches("server.country CN", &x));
	assert_true(matches("server.asn 45102", &x));
	assert_true(matches("server.asn in { AS45102 }", &x));
	assert_false(matches("server.asn 37963", &x));
	assert_true(matches("server.domain fota.quectel.com", &x));
	assert_true(matches("server.domain \"*.quectel.com\"", &x));
	assert_true(matches("server.domain .quectel.com", &x));
	assert_false(matches("server.domain \"*.ectel.com\"", &x));
	assert_false(matches("server.domain quectel.com", &x));
	assert_true(matches("server.ip 203.0.113.0/24", &x));
	assert_true(matches("server.ip in nets", &x));
	assert_true(matches("server.ip 203.0.113.5", &x));
	assert_false(matches("server.ip 203.0.113.6", &x));
	assert_true(matches("server.ip 0.0.0.0/0", &x));
	assert_false(matches("server.ip ::/0", &x));
	assert_true(matches("device.ip 100.64.0.0/10", &x));
	assert_true(matches("device.maker QUECTEL", &x));
	assert_true(matches("device.model \"EC25-AF\"", &x));
	assert_true(matches("device.tac 86683404", &x));
	assert_false(matches("device.tac 86439404", &x));
	assert_true(matches("device.apn IOT.example", &x));
	assert_true(matches("device.imsi 00101", &x));
	assert_true(matches("device.imsi in { 99 001012821780235 }", &x));
	assert_false(matches("device.imsi 00102", &x));
	assert_true(matches("device.imei 866834045665614", &x));
	assert_true(matches("device in m", &x));
	assert_true(matches("device in { imsi-prefix 0010128 }", &x));
	assert_true(matches("device in { address 100.64.0.1 }", &x));
	assert_true(matches("device in { tac 86683404 }", &x));
	assert_true(matches("device in { imei 866834045665614 }", &x));
	assert_false(matches("device in { apn other.example imsi-prefix 262 }", &x));
	assert_true(matches("device not in { apn other.example }", &x));
	assert_true(matches("protocol http", &x));
	assert_true(matches("any", &x));
	/* operators */
	assert_true(matches("intent fota and server.country CN", &x));
	assert_false(matches("intent fota and server.country RU", &x));
	assert_true(matches("intent telemetry or server.country CN", &x));
	assert_true(matches("not intent telemetry", &x));
	assert_true(matches("not (intent telemetry or server.country RU)", &x));
	assert_false(matches("intent fota and not (server.country CN or server.asn 1)", &x));
	assert_true(matches("intent telemetry or intent fota and server.asn 45102", &x));
	/* firmware fields: false for a flow, whatever the operator */
	assert_false(matches("firmware.hash in fw", &x));
	assert_false(matches("firmware.hash not in fw", &x));
	assert_false(matches("firmware.name \"EC25-1.2.bin\"", &x));
	as_firmware(&x);
	assert_true(matches("event firmware", &x));
	assert_true(matches("firmware.hash in fw", &x));
	assert_false(matches("firmware.hash not in fw", &x));
	assert_true(matches("firmware.name ec25-1.2.BIN", &x));
	/* unknown values are in no set */
	x.en.has_geo = 0;
	x.en.domain = NULL;
	x.s.imei = NULL;
	assert_false(matches("server.country in cc", &x));
	assert_true(matches("server.country not in cc", &x));
	assert_false(matches("server.asn 45102", &x));
	assert_true(matches("server.domain != a.b", &x));
	assert_false(matches("device.tac 86683404", &x));
	assert_true(matches("device in m", &x)); /* by its APN still */
}

static void test_unknown_hash(void **state)
{
	(void)state;
	int nerr;
	struct subj x;
	struct hits hs = {0};
	struct policy *p =
		compile("set ok sha256 { }\n"
			"rule fw \"Unapproved\" { when event firmware and firmware.hash not "
			"in ok alert severity critical description \"not on the list\" }\n",
			&nerr);
	assert_non_null(p);
	subj_init(&x);
	as_firmware(&x);
	assert_int_equal(policy_eval(p, NULL, &x.s, on_hit, &hs), POLICY_ALERT);
	assert_string_equal(hs.desc, "not on the list");
	assert_int_equal(hs.last.severity, 99);
	x.t.hash_state = TRANSFER_HASH_GAP;
	assert_int_equal(policy_eval(p, NULL, &x.s, on_hit, &hs), POLICY_ALERT);
	assert_string_equal(hs.desc, "not on the list; the image has no complete SHA-256 (hash "
				     "gap): treated as not approved");
	x.s.t = NULL;
	assert_int_equal(policy_eval(p, NULL, &x.s, on_hit, &hs), POLICY_NONE);
	assert_int_equal(hs.n, 2);
	policy_free(p);
}

static void test_first_match_allow_block(void **state)
{
	(void)state;
	int nerr;
	struct subj x;
	struct hits hs = {0};
	struct policy *p = compile("rule quiet \"Quiet\" { when intent gnss_assist allow }\n"
				   "rule stop \"Stop\" { when server.country RU block }\n"
				   "rule a1 \"First\" { when intent fota alert severity low }\n"
				   "rule a2 \"Second\" { when any alert severity high }\n",
				   &nerr);
	assert_non_null(p);
	subj_init(&x);
	assert_int_equal(policy_eval(p, NULL, &x.s, on_hit, &hs), POLICY_ALERT);
	assert_int_equal(hs.n, 1);
	assert_string_equal(hs.last.rule_id, "a1");
	assert_string_equal(hs.last.rule_name, "First");
	assert_string_equal(hs.last.ruleset, "t.policy");
	assert_int_equal(hs.last.severity, 21);
	assert_int_equal(hs.last.action, POLICY_ALERT);

	x.en.intent.intent = INTENT_GNSS_ASSIST;
	assert_int_equal(policy_eval(p, NULL, &x.s, on_hit, &hs), POLICY_ALLOW);
	assert_int_equal(hs.n, 1); /* allow stops: a2 is not reached */

	strcpy(x.en.geo.country, "RU");
	x.en.intent.intent = INTENT_TELEMETRY;
	assert_int_equal(policy_eval(p, NULL, &x.s, on_hit, &hs), POLICY_BLOCK);
	assert_int_equal(hs.n, 2);
	assert_int_equal(hs.last.action, POLICY_BLOCK);
	assert_int_equal(hs.last.severity, 73);
	assert_string_equal(policy_action_str(POLICY_BLOCK), "block");
	policy_free(p);
}

static void test_index(void **state)
{
	(void)state;
	int nerr;
	struct policy *p = compile("rule a { when intent fota alert }\n"
				   "rule b { when event firmware alert }\n"
				   "rule c { when not intent fota and server.country CN alert }\n"
				   "rule d { when firmware.hash not in { } alert }\n"
				   "rule e { when server.country CN or intent location alert }\n"
				   "rule f { when not (server.country CN) alert }\n",
				   &nerr);
	assert_non_null(p);
#define B(ev, in) ((ev)*INTENT__MAX + (in))
	/* a flow with intent fota: a, e, f */
	assert_int_equal(p->decide[B(PEV_FLOW, INTENT_FOTA)].n, 3);
	/* a flow with intent telemetry: c, e, f */
	assert_int_equal(p->decide[B(PEV_FLOW, INTENT_TELEMETRY)].n, 3);
	/* a firmware transfer with intent fota: a, b, d, e, f */
	assert_int_equal(p->decide[B(PEV_FIRMWARE, INTENT_FOTA)].n, 5);
	assert_int_equal(p->decide[B(PEV_FIRMWARE, INTENT_OTHER)].n, 5);
	policy_free(p);
}

static void test_dedup(void **state)
{
	(void)state;
	int nerr;
	struct subj x;
	struct hits hs = {0};
	struct policy_runtime *rt = policy_runtime_new(0);
	struct policy_runtime_stats st;
	struct policy *p = compile("rule d { when intent fota alert dedup 10m }\n", &nerr);
	assert_non_null(p);
	subj_init(&x);
	assert_int_equal(policy_eval(p, rt, &x.s, on_hit, &hs), POLICY_ALERT);
	x.s.now_us += 60000000;
	assert_int_equal(policy_eval(p, rt, &x.s, on_hit, &hs),
			 POLICY_ALERT); /* decided, not written */
	x.s.now_us += 60000000;
	assert_int_equal(policy_eval(p, rt, &x.s, on_hit, &hs), POLICY_ALERT);
	assert_int_equal(hs.n, 1);
	/* another server: its own window */
	set_ip(&x.f, 0, "203.0.113.6");
	policy_eval(p, rt, &x.s, on_hit, &hs);
	assert_int_equal(hs.n, 2);
	/* another device (no IMEI: by address) */
	x.s.imei = NULL;
	policy_eval(p, rt, &x.s, on_hit, &hs);
	assert_int_equal(hs.n, 3);
	/* after the window: alerts again and tells the repeats */
	x.s.imei = "866834045665614";
	set_ip(&x.f, 0, "203.0.113.5");
	x.s.now_us += 10 * 60000000ull;
	policy_eval(p, rt, &x.s, on_hit, &hs);
	assert_int_equal(hs.n, 4);
	assert_int_equal(hs.last.dedup_suppressed, 2);
	policy_runtime_get_stats(rt, &st);
	assert_int_equal(st.dedup_suppressed, 2);
	assert_int_equal(st.entries, 3);
	/* without a runtime every match alerts */
	policy_eval(p, NULL, &x.s, on_hit, &hs);
	policy_eval(p, NULL, &x.s, on_hit, &hs);
	assert_int_equal(hs.n, 6);
	policy_free(p);
	policy_runtime_free(rt);
}

static const char *const imeis[] = {
	"866834045665614", "864394047457819", "001001009710028", "866834045744807",
	"864394047537008", "001001009789212", "866834045823999", "864394047616190",
	"866834045800001", "866834045800002",
};

static void test_campaign(void **state)
{
	(void)state;
	int nerr;
	struct subj x;
	struct hits hs = {0};
	struct policy_runtime *rt = policy_runtime_new(0);
	struct policy *p =
		compile("rule quiet { when intent fota allow }\n"
			"campaign wave \"FOTA wave\" { when intent fota group by server "
			"devices >= 3 within 1h alert severity high description \"wave\" }\n",
			&nerr);
	assert_non_null(p);
	subj_init(&x);
	/* the same device three times is one device */
	for (int i = 0; i < 3; i++)
		assert_int_equal(policy_eval(p, rt, &x.s, on_hit, &hs), POLICY_ALLOW);
	assert_int_equal(hs.n, 0);
	x.s.imei = imeis[1];
	policy_eval(p, rt, &x.s, on_hit, &hs);
	assert_int_equal(hs.n, 0);
	x.s.imei = NULL; /* known by its address */
	set_ip(&x.f, 1, "100.64.0.9");
	x.s.now_us += 1000;
	/* campaigns count even when a rule allowed the subject */
	assert_int_equal(policy_eval(p, rt, &x.s, on_hit, &hs), POLICY_ALLOW);
	assert_int_equal(hs.n, 1);
	assert_int_equal(hs.last.campaign, 1);
	assert_int_equal(hs.last.action, POLICY_ALERT);
	assert_int_equal(hs.last.severity, 73);
	assert_string_equal(hs.key, "server 203.0.113.5");
	assert_string_equal(hs.last.campaign_intent, "fota");
	assert_int_equal(hs.last.campaign_devices, 3);
	assert_int_equal(hs.last.campaign_window_s, 3600);
	assert_int_equal(hs.last.n_first, 3);
	assert_string_equal(hs.first[0], imeis[0]);
	assert_string_equal(hs.first[1], imeis[1]);
	assert_string_equal(hs.first[2], "100.64.0.9");
	assert_string_equal(hs.desc, "wave");
	/* more devices in the window: no second alert */
	for (int i = 2; i < 10; i++) {
		x.s.imei = imeis[i];
		policy_eval(p, rt, &x.s, on_hit, &hs);
	}
	assert_int_equal(hs.n, 1);
	/* another server is another key */
	set_ip(&x.f, 0, "192.0.2.10");
	for (int i = 0; i < 3; i++) {
		x.s.imei = imeis[i];
		policy_eval(p, rt, &x.s, on_hit, &hs);
	}
	assert_int_equal(hs.n, 2);
	assert_string_equal(hs.key, "server 192.0.2.10");
	/* after the window the wave goes on: one more alert */
	x.s.now_us += 3601000000ull;
	for (int i = 3; i < 6; i++) {
		x.s.imei = imeis[i];
		policy_eval(p, rt, &x.s, on_hit, &hs);
	}
	assert_int_equal(hs.n, 3);
	assert_int_equal(hs.last.campaign_devices, 3); /* the older sightings left the window */
	policy_free(p);
	policy_runtime_free(rt);
}

static void test_campaign_window(void **state)
{
	(void)state;
	int nerr;
	struct subj x;
	struct hits hs = {0};
	struct policy_runtime *rt = policy_runtime_new(0);
	struct policy *p = compile("campaign img { when event firmware group by firmware.hash "
				   "devices >= 3 within 10m alert }\n",
				   &nerr);
	assert_non_null(p);
	subj_init(&x);
	as_firmware(&x);
	/* one device every 6 minutes: never 3 within 10 minutes */
	for (int i = 0; i < 8; i++) {
		x.s.imei = imeis[i];
		x.s.now_us += 6 * 60000000ull;
		policy_eval(p, rt, &x.s, on_hit, &hs);
	}
	assert_int_equal(hs.n, 0);
	/* an image without a hash is not counted */
	x.t.hash_state = TRANSFER_HASH_CAP;
	for (int i = 0; i < 8; i++) {
		x.s.imei = imeis[i];
		policy_eval(p, rt, &x.s, on_hit, &hs);
	}
	assert_int_equal(hs.n, 0);
	/* then 3 within a minute */
	x.t.hash_state = TRANSFER_HASH_OK;
	for (int i = 0; i < 3; i++) {
		x.s.imei = imeis[i];
		x.s.now_us += 20000000;
		policy_eval(p, rt, &x.s, on_hit, &hs);
	}
	assert_int_equal(hs.n, 1);
	assert_string_equal(hs.key, "sha256 abababababababababababababababababababababababababab"
				    "abababababab");
	policy_free(p);
	policy_runtime_free(rt);
}

static void test_campaign_eviction_and_reload(void **state)
{
	(void)state;
	int nerr;
	struct subj x;
	struct hits hs = {0};
	struct policy_runtime_stats st;
	struct policy_runtime *rt = policy_runtime_new(16);
	struct policy *p = compile("campaign w { when any group by server devices >= 1000 within "
				   "1h alert }\n",
				   &nerr);
	assert_non_null(p);
	subj_init(&x);
	char ip[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i % 200);
		set_ip(&x.f, 0, ip);
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 250, i % 250);
		set_ip(&x.f, 1, ip);
		x.s.imei = NULL;
		policy_eval(p, rt, &x.s, on_hit, &hs);
		policy_runtime_get_stats(rt, &st);
		assert_true(st.entries <= 16);
	}
	assert_true(st.evictions > 0);
	assert_int_equal(hs.n, 0);
	policy_free(p);
	policy_runtime_free(rt);

	/* state is keyed by rule id: a reloaded policy goes on counting */
	rt = policy_runtime_new(0);
	p = compile("campaign w { when any group by server devices >= 3 within 1h alert }\n",
		    &nerr);
	subj_init(&x);
	for (int i = 0; i < 2; i++) {
		x.s.imei = imeis[i];
		policy_eval(p, rt, &x.s, on_hit, &hs);
	}
	policy_free(p);
	p = compile(
		"rule other { when intent telemetry alert }\n"
		"campaign w \"renamed\" { when intent fota group by server devices >= 3 within 1h "
		"alert }\n",
		&nerr);
	assert_non_null(p);
	x.s.imei = imeis[2];
	policy_eval(p, rt, &x.s, on_hit, &hs);
	assert_int_equal(hs.n, 1);
	assert_int_equal(hs.last.campaign_devices, 3);
	assert_string_equal(hs.last.rule_name, "renamed");
	policy_free(p);
	policy_runtime_free(rt);
}

/* ---- scale ------------------------------------------------------------------ */

struct sbuf {
	char *s;
	size_t n, cap;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if ((size_t)n < b->cap - b->n) {
			b->n += (size_t)n;
			return;
		}
		b->cap = b->cap ? b->cap * 2 : 1 << 20;
		b->s = realloc(b->s, b->cap);
		assert_non_null(b->s);
	}
}

static void test_large_policy(void **state)
{
	(void)state;
	struct sbuf b = {0};
	int nerr;
	sb_printf(&b, "set hashes sha256 {\n");
	for (int i = 0; i < 50000; i++)
		sb_printf(&b, "%056x%08x\n", 0, i);
	sb_printf(&b, "}\nset nets prefix {\n");
	for (int i = 0; i < 25000; i++)
		sb_printf(&b, "10.%d.%d.0/24\n", i / 256, i % 256);
	sb_printf(&b, "}\nset asns asn {\n");
	for (int i = 0; i < 12500; i++)
		sb_printf(&b, "%ld\n", 4200000000L + i);
	sb_printf(&b, "}\nset hosts domain {\n");
	for (int i = 0; i < 12500; i++)
		sb_printf(&b, "*.h%d.invalid\n", i);
	sb_printf(&b, "}\n");
	for (int i = 0; i < 10000; i++) {
		switch (i % 4) {
		case 0:
			sb_printf(&b, "rule r%d { when intent fota and server.asn %d alert }\n", i,
				  i + 1);
			break;
		case 1:
			sb_printf(&b,
				  "rule r%d { when server.ip in nets and server.asn in asns alert "
				  "}\n",
				  i);
			break;
		case 2:
			sb_printf(&b,
				  "rule r%d { when event firmware and firmware.hash not in hashes "
				  "and server.asn %d alert }\n",
				  i, i + 1);
			break;
		default:
			sb_printf(
				&b,
				"rule r%d { when server.domain in hosts and protocol p%d alert }\n",
				i, i);
		}
	}
	sb_printf(&b, "rule last { when server.domain \"x.h77.invalid\" alert }\n");
	struct policy *p = policy_compile("big.policy", b.s, b.n, stderr, &nerr);
	assert_non_null(p);
	assert_int_equal(policy_rule_count(p), 10001);
	assert_int_equal(policy_set_members(p), 100000);

	struct subj x;
	struct hits hs = {0};
	subj_init(&x);
	for (int i = 0; i < 100; i++) {
		if (policy_eval(p, NULL, &x.s, on_hit, &hs) != POLICY_NONE)
			fail_msg("rule %s matched", hs.last.rule_id);
	}
	/* in hosts (*.h77.invalid), but the protocol is no rule's: the last rule */
	x.en.domain = "X.h77.invalid.";
	assert_int_equal(policy_eval(p, NULL, &x.s, on_hit, &hs), POLICY_ALERT);
	assert_string_equal(hs.last.rule_id, "last");
	x.s.protocol = "p3";
	assert_int_equal(policy_eval(p, NULL, &x.s, on_hit, &hs), POLICY_ALERT);
	assert_string_equal(hs.last.rule_id, "r3");
	policy_free(p);
	free(b.s);
}

/* ---- the guard index ------------------------------------------------------- */

/* What an evaluation did, as text: every hit in order, then the action. */
static void log_hit(void *arg, const struct policy_subject *s, const struct policy_hit *h)
{
	struct sbuf *b = arg;
	(void)s;
	sb_printf(b, "%s %s %d \"%s\" %llu", h->rule_id, policy_action_str(h->action), h->campaign,
		  h->description ? h->description : "", (unsigned long long)h->dedup_suppressed);
	if (h->campaign)
		sb_printf(b, " [%s %llu %zu]", h->campaign_key,
			  (unsigned long long)h->campaign_devices, h->n_first);
	sb_printf(b, "; ");
}

static const char *pick(unsigned *r, const char *const *v, size_t n)
{
	*r = *r * 1103515245u + 12345u;
	return v[(*r >> 8) % n];
}
#define PICK(r, v) pick(r, v, sizeof(v) / sizeof(v[0]))

/* Subjects from small pools of values, unknowns included, so that every
 * kind of guard hits, misses and overlaps. */
static void random_subject(struct subj *x, unsigned *r, unsigned i)
{
	static const char *const intents[] = {"fota", "telemetry", "other", "location"};
	static const char *const dsts[] = {"203.0.113.5", "203.0.113.77", "192.0.2.1",
					   "10.1.2.3", "2001:db8::1", "0.0.0.0"};
	static const char *const srcs[] = {"100.64.0.1", "100.65.3.4", "10.9.9.9", "2001:db8::9"};
	static const char *const ccs[] = {"CN", "US", "DE", "RU", "", "-"};
	static const char *const doms[] = {"fota.quectel.com", "FOTA.Quectel.com.", "a.b.quectel.com",
					   "quectel.com", "x.example.net", "", ".", "-"};
	static const char *const vends[] = {"Quectel", "fibocom", "-"};
	static const char *const imei_vals[] = {"866834045665614", "351234567890123", "12ab", "-"};
	static const char *const imsis[] = {"001012821780235", "262011234567890", "0", "-"};
	static const char *const apns[] = {"iot.example", "IOT.EXAMPLE", "other.example", "-"};
	static const char *const makers[] = {"Quectel", "Telit", "-"};
	static const char *const protos[] = {"http", "mqtt", "p7", "p150", "-"};
	static const char *const events[] = {"flow", "flow", "ok", "gap"};
	const char *v;
#define OPT(val) (strcmp((val), "-") ? (val) : NULL)

	subj_init(x);
	x->s.now_us = 1000000ull + i * 60000000ull;
	x->en.intent.intent = (enum intent)intent_parse(PICK(r, intents));
	set_ip(&x->f, 0, PICK(r, dsts));
	set_ip(&x->f, 1, PICK(r, srcs));
	v = PICK(r, ccs);
	x->en.has_geo = strcmp(v, "-") != 0;
	snprintf(x->en.geo.country, sizeof(x->en.geo.country), "%s", x->en.has_geo ? v : "");
	x->en.geo.asn = (uint32_t)atoi(PICK(r, ((const char *const[]){"64496", "64500", "45102",
								       "0"})));
	x->en.domain = OPT(PICK(r, doms));
	x->en.intent.vendor = OPT(PICK(r, vends)) ? &x->vd : NULL;
	x->vd.name = x->en.intent.vendor ? PICK(r, vends) : NULL;
	x->s.imei = OPT(PICK(r, imei_vals));
	x->s.imsi = OPT(PICK(r, imsis));
	x->s.apn = OPT(PICK(r, apns));
	x->s.maker = OPT(PICK(r, makers));
	x->s.protocol = OPT(PICK(r, protos));
	v = PICK(r, events);
	if (strcmp(v, "flow")) {
		as_firmware(x);
		x->t.hash_state = strcmp(v, "ok") ? TRANSFER_HASH_GAP : TRANSFER_HASH_OK;
		x->t.name = *r & 1 ? "fw.bin" : "other.bin";
		memset(x->t.sha256, *r & 2 ? 0xab : 0xcd, 32);
	}
#undef OPT
}

/* The guard index must pick exactly the rules the reference walk (every
 * rule of the subject's (event, intent) list) does, in the same order,
 * with the same dedup and campaign state: same hits, same action. */
static void test_guard_index_agrees(void **state)
{
	(void)state;
	struct sbuf pol = {0}, a = {0}, b = {0};
	int nerr;
	sb_printf(&pol, "set cc country { CN HK }\n"
			"set nets prefix { 203.0.113.0/24 10.0.0.0/8 2001:db8::/32 }\n"
			"set asns asn { 64496 64500 }\n"
			"set m device { apn iot.example imsi-prefix 26201 }\n"
			"set hosts domain { *.quectel.com x.example.net }\n"
			"set fw sha256 { %s }\n",
		  "abababababababababababababababababababababababababababababababab");
	sb_printf(
		&pol,
		"rule a1 { when server.asn 64500 and device.apn iot.example alert severity low }\n"
		"rule a2 { when server.country in cc and server.asn in { 45102 64496 } alert }\n"
		"rule a3 { when server.domain in { fota.quectel.com \"*.quectel.com\" .b.quectel.com }"
		" and intent fota alert dedup 1h }\n"
		"rule a4 { when server.ip in { 203.0.113.0/24 203.0.113.77 0.0.0.0/1 } and protocol "
		"http alert }\n"
		"rule al { when device.ip in { 100.65.0.0/16 } allow }\n"
		"rule a5 { when device.imsi in { 00101 0010128 262 } and intent telemetry alert "
		"dedup 1h }\n"
		"rule a6 { when device.tac in { 86683404 35123456 } and server.asn in asns block }\n"
		"rule a7 { when vendor.name fibocom and vendor.country CN alert }\n"
		"rule a8 { when device in m and server.ip in nets alert }\n"
		"rule a9 { when firmware.hash in fw and firmware.name \"fw.bin\" alert }\n"
		"rule a10 { when firmware.hash not in fw and server.domain in hosts alert }\n"
		"rule a11 { when server.country RU or server.asn 64496 alert }\n"
		"rule a12 { when not server.country in cc and device.maker quectel alert }\n"
		"rule a13 { when device.model \"EC25-AF\" and device.imei 866834045665614 and "
		"server.country US alert }\n"
		"rule a14 { when server.ip ::/0 alert }\n"
		"rule a15 { when intent location and device in { address 10.0.0.0/8 } alert }\n"
		"rule a16 { when server.country in { DE RU } and server.domain != x.example.net "
		"alert }\n"
		"campaign c1 { when server.ip in nets group by server devices >= 2 within 1h alert }\n"
		"campaign c2 { when server.asn 64496 group by server.asn devices >= 2 within 1h "
		"alert }\n"
		"campaign c3 { when event firmware group by firmware.hash devices >= 2 within 1h "
		"alert }\n");
	/* more candidates than the evaluator keeps on its stack */
	for (int i = 0; i < 300; i++)
		sb_printf(&pol,
			  "rule b%d { when server.ip in nets and not protocol p%d alert }\n"
			  "campaign cb%d { when device.apn in { iot.example other.example } and "
			  "server.asn %d group by server devices >= %d within 1h alert }\n",
			  i, i, i, i % 2 ? 64496 : 64500, 2 + i % 5);
	sb_printf(&pol, "rule last { when protocol mqtt alert }\n");
	struct policy *p = policy_compile("g.policy", pol.s, pol.n, stderr, &nerr);
	assert_non_null(p);

	struct policy_runtime *rt1 = policy_runtime_new(0), *rt2 = policy_runtime_new(0);
	unsigned r = 7, hits = 0;
	struct subj x;
	for (unsigned i = 0; i < 4000; i++) {
		random_subject(&x, &r, i / 4);
		a.n = b.n = 0;
		pol_no_guard_index = 0;
		sb_printf(&a, "=> %s", policy_action_str(policy_eval(p, rt1, &x.s, log_hit, &a)));
		pol_no_guard_index = 1;
		sb_printf(&b, "=> %s", policy_action_str(policy_eval(p, rt2, &x.s, log_hit, &b)));
		pol_no_guard_index = 0;
		if (strcmp(a.s, b.s)) {
			print_error("subject %u:\nindex:     %s\nreference: %s\n", i, a.s, b.s);
			fail();
		}
		hits += strncmp(a.s, "=> ", 3) != 0;
	}
	assert_true(hits > 1000); /* the subjects exercise the rules */
	policy_runtime_free(rt1);
	policy_runtime_free(rt2);
	policy_free(p);
	free(pol.s);
	free(a.s);
	free(b.s);
}

/* Which conjunct guards a rule: an exact value beats a set, a named set
 * and a prefix; "not", "or" and intent tests are no guards. */
static void test_guard_choice(void **state)
{
	(void)state;
	int nerr;
	struct policy *p = compile("set cc country { CN }\nset asns asn { 1 2 }\n"
				   "rule a { when server.country in cc and server.asn 7 alert }\n"
				   "rule b { when server.asn in asns and server.ip 10.0.0.0/8 alert }\n"
				   "rule c { when server.country in cc and device.apn x alert }\n"
				   "rule d { when intent fota and not server.asn 7 alert }\n"
				   "rule e { when server.asn 7 or server.asn 8 alert }\n"
				   "rule f { when server.domain \"*.example.com\" alert }\n"
				   "campaign g { when intent fota group by server devices >= 2 "
				   "within 1h alert }\n",
				   &nerr);
	assert_non_null(p);
	const struct pol_guards *g = &p->guards;
	const int b = PEV_FLOW * INTENT__MAX + INTENT_FOTA;
	uint32_t l = pol_guard_find(g, F_SERVER_ASN, NULL, 0, 7);
	assert_int_not_equal(l, 0);
	assert_int_equal(g->lists[l - 1].n, 1); /* a only: e has no guard */
	assert_int_equal(g->rules[g->lists[l - 1].off], 0);
	assert_int_not_equal(pol_guard_find(g, F_DEVICE_APN, "X", 1, 0), 0); /* c */
	assert_int_not_equal(pol_guard_find(g, G_SUFFIX, "example.com", 11, 0), 0); /* f */
	assert_int_equal(pol_guard_find(g, F_SERVER_ASN, NULL, 0, 8), 0);
	assert_int_equal(g->n_sets, 0); /* b is guarded by its prefix */
	assert_int_not_equal(g->ip[0].n, 2);
	/* open: d, e; g among the campaigns */
	assert_int_equal(p->open_decide[b].n, 2);
	assert_int_equal(p->open_decide[b].v[0], 3);
	assert_int_equal(p->open_decide[b].v[1], 4);
	assert_int_equal(p->open_count[b].n, 1);
	assert_int_equal(p->decide[b].n, 6); /* the reference walk has them all */
	policy_free(p);
}

static void test_hostile_text(void **state)
{
	(void)state;
	int nerr;
	/* odd bytes, deep parentheses, unbalanced braces: errors, never a crash */
	static const char *const texts[] = {
		"",
		"{",
		"}",
		"((((((",
		"rule",
		"rule r",
		"rule r {",
		"rule r { when",
		"rule r { when (",
		"rule r { when intent",
		"rule r { when intent in",
		"rule r { when intent in {",
		"set",
		"set s",
		"set s country",
		"set s country {",
		"campaign c { devices >=",
		"campaign c { devices >= 3 within",
		"include",
		"\"",
		"\"\\",
		"rule r { when not not",
		"rule r { description",
		"rule r { group by",
		"set s device { apn",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct policy *p = compile(texts[i], &nerr);
		if (texts[i][0])
			assert_null(p);
		policy_free(p);
	}
	/* an empty policy is valid: no rules, nothing decided */
	struct policy *p = compile("# nothing\n", &nerr);
	assert_non_null(p);
	struct subj x;
	subj_init(&x);
	assert_int_equal(policy_eval(p, NULL, &x.s, NULL, NULL), POLICY_NONE);
	policy_free(p);
	char deep[4000];
	memset(deep, '(', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	char text[4100];
	snprintf(text, sizeof(text), "rule r { when %s", deep);
	p = compile(text, &nerr);
	assert_null(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_includes),
		cmocka_unit_test(test_presets_and_default),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_unknown_hash),
		cmocka_unit_test(test_first_match_allow_block),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_dedup),
		cmocka_unit_test(test_campaign),
		cmocka_unit_test(test_campaign_window),
		cmocka_unit_test(test_campaign_eviction_and_reload),
		cmocka_unit_test(test_large_policy),
		cmocka_unit_test(test_guard_index_agrees),
		cmocka_unit_test(test_guard_choice),
		cmocka_unit_test(test_hostile_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
