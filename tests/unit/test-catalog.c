/*
 * test-catalog.c - unit tests of the module-maker catalog (src/catalog.c,
 * docs/catalog.md): exact and suffix host lookups, IPv4/IPv6 longest
 * prefix, ASN, the port filter and specificity order, client fingerprints,
 * TACs, every error message with its line number, all-or-nothing loading,
 * directories in name order, a 100 000-entry catalog and the built-in one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "util-cidr.h"

#include "catalog.h"

/* ---- helpers --------------------------------------------------------- */

static char tmpdir[64];

static int setup_dir(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/test-catalog-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes text to tmpdir/name; returns the path (static buffer). */
static const char *write_file(const char *name, const char *text)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	return path;
}

/* Loads path into c; *msgs gets what was printed (caller frees). */
static int load(struct catalog *c, const char *path, char **msgs)
{
	size_t len;
	FILE *errs = open_memstream(msgs, &len);
	assert_non_null(errs);
	int n = catalog_load(c, path, errs);
	fclose(errs);
	return n;
}

static struct catalog *load_text(const char *text)
{
	struct catalog *c = catalog_new();
	char *msgs = NULL;
	int n = load(c, write_file("t.catalog", text), &msgs);
	if (n)
		print_error("%s", msgs);
	assert_int_equal(n, 0);
	free(msgs);
	return c;
}

static struct ip_addr ip(const char *s)
{
	struct ip_addr a;
	ip_addr_parse(s, &a); /* zeroed when not an address */
	return a;
}

/* The service name matched for a query, or NULL. */
static const char *match(const struct catalog *c, const char *host, const char *addr,
			 uint32_t asn, uint16_t port, uint8_t transport, struct catalog_match *m)
{
	struct ip_addr a = addr ? ip(addr) : (struct ip_addr){0};
	struct catalog_query q = {.host = host, .ip = addr ? &a : NULL, .asn = asn,
				  .port = port, .transport = transport};
	struct catalog_match tmp;
	if (!m)
		m = &tmp;
	if (!catalog_match(c, &q, m)) {
		assert_null(m->service);
		return NULL;
	}
	return m->service->name;
}

#define V "vendor \"Maker\" country CN source \"test\"\n"

/* ---- lookups --------------------------------------------------------- */

static void test_exact(void **state)
{
	(void)state;
	struct catalog *c = load_text(V "service \"Cloud\" intent cloud source \"s\"\n"
					"  host iot-south.quectel.com\n"
					"  port 1883/tcp 5683/udp\n");
	struct catalog_match m;
	assert_string_equal(match(c, "iot-south.quectel.com", NULL, 0, 1883, 6, &m), "Cloud");
	assert_int_equal(m.kind, CAT_MATCH_HOST);
	assert_string_equal(m.why, "host iot-south.quectel.com port 1883/tcp");
	assert_int_equal(m.service->intent, INTENT_CLOUD);
	assert_string_equal(m.service->vendor->name, "Maker");
	assert_string_equal(m.service->vendor->country, "CN");
	assert_non_null(strstr(m.service->where, "t.catalog:2"));
	/* case and a trailing dot do not matter */
	assert_string_equal(match(c, "IOT-South.Quectel.COM.", NULL, 0, 5683, 17, NULL), "Cloud");
	assert_null(match(c, "south.quectel.com", NULL, 0, 1883, 6, NULL));
	assert_null(match(c, "", NULL, 0, 1883, 6, NULL));
	assert_null(match(c, ".", NULL, 0, 1883, 6, NULL));
	assert_int_equal(catalog_vendors(c), 1);
	assert_int_equal(catalog_services(c), 1);
	assert_int_equal(catalog_entries(c), 1);
	catalog_free(c);
}

static void test_suffix(void **state)
{
	(void)state;
	struct catalog *c = load_text(V "service \"Wide\" intent cloud source \"s\"\n"
					"  suffix quectel.com\n"
					"service \"Narrow\" intent fota source \"s\"\n"
					"  suffix .cloud.quectel.com\n"
					"service \"Star\" intent location source \"s\"\n"
					"  suffix *.link.example\n");
	struct catalog_match m;
	assert_string_equal(match(c, "a.b.cloud.quectel.com", NULL, 0, 0, 0, &m), "Narrow");
	assert_int_equal(m.kind, CAT_MATCH_HOST_SUFFIX);
	assert_string_equal(m.why, "host suffix .cloud.quectel.com");
	assert_string_equal(match(c, "cloud.quectel.com", NULL, 0, 0, 0, NULL), "Narrow");
	assert_string_equal(match(c, "www.quectel.com", NULL, 0, 0, 0, &m), "Wide");
	assert_string_equal(m.why, "host suffix .quectel.com");
	assert_string_equal(match(c, "QUECTEL.COM", NULL, 0, 0, 0, NULL), "Wide");
	/* label boundary */
	assert_null(match(c, "evilquectel.com", NULL, 0, 0, 0, NULL));
	assert_null(match(c, "xcloud.quectel.com.evil", NULL, 0, 0, 0, NULL));
	assert_string_equal(match(c, "evilcloud.quectel.com", NULL, 0, 0, 0, NULL), "Wide");
	assert_null(match(c, "com", NULL, 0, 0, 0, NULL));
	assert_string_equal(match(c, "pk.link.example", NULL, 0, 0, 0, NULL), "Star");
	/* a name too long for DNS matches nothing, without harm */
	char longname[400];
	memset(longname, 'a', sizeof(longname));
	strcpy(longname + sizeof(longname) - 13, ".quectel.com");
	assert_null(match(c, longname, NULL, 0, 0, 0, NULL));
	catalog_free(c);
}

static void test_ip_lpm(void **state)
{
	(void)state;
	struct catalog *c = load_text(V "service \"Net24\" intent cloud source \"s\"\n"
					"  ip 203.0.113.0/24\n"
					"service \"Net28\" intent fota source \"s\"\n"
					"  ip 203.0.113.0/28 192.0.2.7\n"
					"service \"V6-32\" intent cloud source \"s\"\n"
					"  ip 2001:db8::/32\n"
					"service \"V6-48\" intent telemetry source \"s\"\n"
					"  ip 2001:db8:1::/48\n"
					"service \"Host128\" intent location source \"s\"\n"
					"  ip 2001:db8:1::1\n");
	struct catalog_match m;
	assert_string_equal(match(c, NULL, "203.0.113.5", 0, 0, 0, &m), "Net28");
	assert_int_equal(m.kind, CAT_MATCH_IP);
	assert_string_equal(m.why, "address 203.0.113.0/28");
	assert_string_equal(match(c, NULL, "203.0.113.200", 0, 0, 0, &m), "Net24");
	assert_string_equal(m.why, "address 203.0.113.0/24");
	assert_string_equal(match(c, NULL, "192.0.2.7", 0, 0, 0, &m), "Net28");
	assert_string_equal(m.why, "address 192.0.2.7/32");
	assert_null(match(c, NULL, "192.0.2.8", 0, 0, 0, NULL));
	assert_string_equal(match(c, NULL, "2001:db8:1::5", 0, 0, 0, NULL), "V6-48");
	assert_string_equal(match(c, NULL, "2001:db8:1::1", 0, 0, 0, &m), "Host128");
	assert_string_equal(m.why, "address 2001:db8:1::1/128");
	assert_string_equal(match(c, NULL, "2001:db8:2::1", 0, 0, 0, &m), "V6-32");
	assert_string_equal(m.why, "address 2001:db8::/32");
	assert_null(match(c, NULL, "2001:db9::1", 0, 0, 0, NULL));
	assert_null(match(c, NULL, "198.51.100.1", 0, 0, 0, NULL));
	/* an IPv4 address never matches an IPv6 prefix and back */
	assert_null(match(c, NULL, "32.1.13.184", 0, 0, 0, NULL));
	/* a host that matches nothing falls back to the address */
	assert_string_equal(match(c, "unknown.example", "203.0.113.9", 0, 0, 0, NULL), "Net28");
	catalog_free(c);
}

static void test_asn(void **state)
{
	(void)state;
	struct catalog *c = load_text(V "service \"ByAS\" intent cloud source \"s\"\n"
					"  asn 45102 AS64500\n");
	struct catalog_match m;
	assert_string_equal(match(c, NULL, NULL, 45102, 0, 0, &m), "ByAS");
	assert_int_equal(m.kind, CAT_MATCH_ASN);
	assert_string_equal(m.why, "AS45102");
	assert_string_equal(match(c, "x.example", "192.0.2.1", 64500, 0, 0, &m), "ByAS");
	assert_string_equal(m.why, "AS64500");
	assert_null(match(c, NULL, NULL, 4510, 0, 0, NULL));
	assert_null(match(c, NULL, NULL, 0, 0, 0, NULL));
	catalog_free(c);
}

static void test_ports(void **state)
{
	(void)state;
	struct catalog *c = load_text(V "service \"CoAP\" intent device_management source \"s\"\n"
					"  host h.example\n"
					"  port 5683/udp\n"
					"service \"MQTT\" intent telemetry source \"s\"\n"
					"  host h.example\n"
					"  port 1883/tcp 8000-8999/tcp\n"
					"service \"Any\" intent fota source \"s\"\n"
					"  host any.example\n"
					"  port 9090\n");
	struct catalog_match m;
	assert_string_equal(match(c, "h.example", NULL, 0, 5683, 17, &m), "CoAP");
	assert_string_equal(m.why, "host h.example port 5683/udp");
	assert_string_equal(match(c, "h.example", NULL, 0, 1883, 6, NULL), "MQTT");
	assert_string_equal(match(c, "h.example", NULL, 0, 8883, 6, NULL), "MQTT");
	assert_null(match(c, "h.example", NULL, 0, 1883, 17, NULL));
	assert_null(match(c, "h.example", NULL, 0, 5683, 6, NULL));
	assert_null(match(c, "h.example", NULL, 0, 0, 0, NULL));
	assert_string_equal(match(c, "any.example", NULL, 0, 9090, 6, NULL), "Any");
	assert_string_equal(match(c, "any.example", NULL, 0, 9090, 17, &m), "Any");
	assert_string_equal(m.why, "host any.example port 9090/udp");
	assert_null(match(c, "any.example", NULL, 0, 80, 6, NULL));
	catalog_free(c);
}

static void test_specificity(void **state)
{
	(void)state;
	struct catalog *c = load_text(V "service \"Exact\" intent fota source \"s\"\n"
					"  host a.b.example\n"
					"service \"Suffix\" intent cloud source \"s\"\n"
					"  suffix b.example\n"
					"service \"Suffix443\" intent telemetry source \"s\"\n"
					"  suffix b.example\n"
					"  port 443/tcp\n"
					"service \"Net\" intent location source \"s\"\n"
					"  ip 192.0.2.0/24\n"
					"service \"AS\" intent gnss_assist source \"s\"\n"
					"  asn 64496\n");
	/* exact > suffix > IP > ASN */
	assert_string_equal(match(c, "a.b.example", "192.0.2.1", 64496, 443, 6, NULL), "Exact");
	assert_string_equal(match(c, "c.b.example", "192.0.2.1", 64496, 80, 6, NULL), "Suffix");
	assert_string_equal(match(c, "z.example", "192.0.2.1", 64496, 80, 6, NULL), "Net");
	assert_string_equal(match(c, "z.example", "198.51.100.1", 64496, 80, 6, NULL), "AS");
	/* at one level, a service that lists the port wins over one that lists none */
	assert_string_equal(match(c, "c.b.example", NULL, 0, 443, 6, NULL), "Suffix443");
	catalog_free(c);
}

static void test_client(void **state)
{
	(void)state;
	struct catalog *c = load_text(
		"vendor \"Quectel\" country CN source \"s\"\n"
		"  user-agent prefix \"QUECTEL\"\n"
		"  user-agent prefix \"QUECTEL_MODULE\" source \"sample\"\n"
		"  ja3 0123456789ABCDEF0123456789abcdef\n"
		"vendor \"Other\" source \"s\"\n"
		"  user-agent exact \"OtherAgent/1.0\"\n"
		"  ja4 t13d1516h2_8daaf6152771_b186095e22b6\n");
	char why[160];
	const struct catalog_vendor *v;
	v = catalog_client(c, "QUECTEL_MODULE/2", NULL, NULL, why, sizeof(why));
	assert_non_null(v);
	assert_string_equal(v->name, "Quectel");
	assert_non_null(strstr(why, "user-agent prefix \"QUECTEL_MODULE\""));
	v = catalog_client(c, "QUECTELX", NULL, NULL, why, sizeof(why));
	assert_string_equal(v->name, "Quectel");
	assert_non_null(strstr(why, "\"QUECTEL\""));
	v = catalog_client(c, "OtherAgent/1.0", NULL, NULL, why, sizeof(why));
	assert_string_equal(v->name, "Other");
	assert_non_null(strstr(why, "user-agent \"OtherAgent/1.0\""));
	assert_null(catalog_client(c, "OtherAgent/1.01", NULL, NULL, why, sizeof(why)));
	assert_string_equal(why, "");
	v = catalog_client(c, NULL, "0123456789abcdef0123456789ABCDEF", NULL, why, sizeof(why));
	assert_string_equal(v->name, "Quectel");
	assert_non_null(strstr(why, "ja3 "));
	v = catalog_client(c, "curl/8", NULL, "t13d1516h2_8daaf6152771_b186095e22b6", why,
			   sizeof(why));
	assert_string_equal(v->name, "Other");
	assert_null(catalog_client(c, "curl/8", "00", "t13", why, sizeof(why)));
	assert_null(catalog_client(c, NULL, NULL, NULL, why, 0));
	catalog_free(c);
}

static void test_tac(void **state)
{
	(void)state;
	struct catalog *c = load_text("vendor \"Quectel\" country CN source \"s\"\n"
				      "  tac 86683404\n"
				      "  tac-range 86000000-86999999\n"
				      "vendor \"Model\" source \"s\"\n"
				      "  tac-range 86100000-86100099 source \"narrow\"\n");
	assert_string_equal(catalog_tac(c, "866834040000001")->name, "Quectel");
	assert_string_equal(catalog_tac(c, "86683404")->name, "Quectel");
	assert_string_equal(catalog_tac(c, "86500000")->name, "Quectel");
	assert_string_equal(catalog_tac(c, "861000505555555")->name, "Model");
	assert_null(catalog_tac(c, "87000000"));
	assert_null(catalog_tac(c, "8668340"));
	assert_null(catalog_tac(c, "8668340x"));
	assert_null(catalog_tac(c, NULL));
	catalog_free(c);
}

/* ---- errors ---------------------------------------------------------- */

struct bad {
	const char *text;
	const char *want; /* "LINE: message" after "path:" */
};

static const struct bad bads[] = {
	{V "hostname x.example\n", "2: unknown keyword \"hostname\""},
	{"vendor \"A\" country CN\n", "1: missing source"},
	{V "service \"S\" intent fota\n  host a.example\n", "2: missing source"},
	{V "service \"S\" intent firmware source \"s\"\n  host a.example\n",
	 "2: bad intent \"firmware\""},
	{V "service \"S\" source \"s\"\n  host a.example\n", "2: missing intent"},
	{V "service \"S\" intent fota source \"s\"\n  ip 10.0.0.1/8\n",
	 "3: bad prefix \"10.0.0.1/8\""},
	{V "service \"S\" intent fota source \"s\"\n  ip 10.0.0.0/33\n",
	 "3: bad prefix \"10.0.0.0/33\""},
	{V "service \"S\" intent fota source \"s\"\n  ip 2001:db8::/129\n",
	 "3: bad prefix \"2001:db8::/129\""},
	{V "service \"S\" intent fota source \"s\"\n  ip example.com\n",
	 "3: bad prefix \"example.com\""},
	{V "service \"S\" intent fota source \"s\"\n  host a.example\n  port 0\n",
	 "4: bad port \"0\""},
	{V "service \"S\" intent fota source \"s\"\n  host a.example\n  port 65536/tcp\n",
	 "4: bad port \"65536/tcp\""},
	{V "service \"S\" intent fota source \"s\"\n  host a.example\n  port 90-80\n",
	 "4: bad port \"90-80\""},
	{V "service \"S\" intent fota source \"s\"\n  host a.example\n  port 80/icmp\n",
	 "4: bad port \"80/icmp\""},
	{V "service \"S\" intent fota source \"s\"\n  asn 0\n", "3: bad ASN \"0\""},
	{V "service \"S\" intent fota source \"s\"\n  asn AS4294967296\n",
	 "3: bad ASN \"AS4294967296\""},
	{V "service \"S\" intent fota source \"s\"\n  asn 12x\n", "3: bad ASN \"12x\""},
	{V "tac 1234567\n", "2: bad TAC \"1234567\""},
	{V "tac 1234567a\n", "2: bad TAC \"1234567a\""},
	{V "tac-range 20000000-10000000\n", "2: bad TAC range \"20000000-10000000\""},
	{V "tac-range 20000000\n", "2: bad TAC range \"20000000\""},
	{"service \"S\" intent fota source \"s\"\n", "1: service before any vendor"},
	{"tac 12345678\n", "1: \"tac\" before any vendor"},
	{V "host a.example\n", "2: \"host\" before any service"},
	{V "service \"S\" intent fota source \"s\"\n  host a.example\n"
	   "service \"T\" intent cloud source \"s\"\n  host a.example\n",
	 "5: duplicate host \"a.example\": also in service \"S\""},
	{V "service \"S\" intent fota source \"s\"\n  host a.example a.example\n",
	 "3: host \"a.example\" listed twice"},
	{V "service \"S\" intent fota source \"s\"\n  host ok.example ex!ample\n",
	 "3: bad host name \"ex!ample\""},
	{V "service \"S\" intent fota source \"s\"\n  host a..example\n",
	 "3: bad host name \"a..example\""},
	{V "service \"Empty\" intent fota source \"s\"\n",
	 "2: service \"Empty\" has no host, suffix, ip or asn"},
	{V "service \"S intent fota source s\n", "2: unterminated quote"},
	{V "service \"S\"x intent fota source s\n", "2: text right after a closing quote"},
	{V "service S\"x intent fota source s\n", "2: quote inside a word"},
	{"vendor \"\xe9t\xe9\" source \"s\"\n", "1: not UTF-8"},
	{"vendor \"\xed\xa0\x80\" source \"s\"\n", "1: not UTF-8"},
	{"vendor \"a\x01\" source \"s\"\n", "1: control character 0x01"},
	{"vendor \"A\" country Cn source \"s\"\n", "1: bad country \"Cn\""},
	{"vendor \"A\" source \"s\" source \"t\"\n", "1: \"source\" given twice"},
	{"vendor \"A\" source\n", "1: missing value after \"source\""},
	{"vendor \"A\" colour red source \"s\"\n", "1: unexpected \"colour\""},
	{"vendor\n", "1: missing vendor name"},
	{V "user-agent maybe \"X\"\n", "2: bad user-agent"},
	{V "ja3 0123\n", "2: bad JA3 \"0123\""},
	{V "ja4 t13d\n", "2: bad JA4 \"t13d\""},
};

static void test_errors(void **state)
{
	(void)state;
	char path[160];
	snprintf(path, sizeof(path), "%s/bad.catalog", tmpdir);
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct catalog *c = catalog_new();
		char *msgs = NULL, want[256];
		write_file("bad.catalog", bads[i].text);
		int n = load(c, path, &msgs);
		snprintf(want, sizeof(want), "%s:%s", path, bads[i].want);
		if (n == 0 || !strstr(msgs, want))
			print_error("case %zu: want \"%s\", got \"%s\"\n", i, want, msgs);
		assert_true(n > 0);
		assert_non_null(strstr(msgs, want));
		/* the file added nothing */
		assert_int_equal(catalog_vendors(c), 0);
		assert_int_equal(catalog_services(c), 0);
		assert_int_equal(catalog_entries(c), 0);
		free(msgs);
		catalog_free(c);
	}
}

static void test_long_line(void **state)
{
	(void)state;
	char *text = malloc(4096), *msgs = NULL;
	strcpy(text, V "# ");
	size_t n = strlen(text);
	memset(text + n, 'x', 2000);
	strcpy(text + n + 2000, "\nbogus\n");
	struct catalog *c = catalog_new();
	assert_int_equal(load(c, write_file("long.catalog", text), &msgs), 2);
	assert_non_null(strstr(msgs, "long.catalog:2: line longer than 1024 bytes"));
	assert_non_null(strstr(msgs, "long.catalog:3: unknown keyword \"bogus\""));
	free(msgs);
	free(text);
	catalog_free(c);
}

static void test_all_or_nothing(void **state)
{
	(void)state;
	struct catalog *c = catalog_new();
	char *msgs = NULL;
	assert_int_equal(load(c, write_file("good.catalog",
					    V "service \"Good\" intent fota source \"s\"\n"
					      "  host good.example\n  port 80/tcp\n"),
			      &msgs),
			 0);
	free(msgs);
	/* right lines, one wrong one: nothing of the file stays */
	assert_int_equal(load(c, write_file("half.catalog",
					    "vendor \"Half\" source \"s\"\n"
					    "service \"Half\" intent cloud source \"s\"\n"
					    "  host half.example\n  ip 198.51.100.0/24\n"
					    "  port 99999\n"),
			      &msgs),
			 1);
	free(msgs);
	assert_int_equal(catalog_vendors(c), 1);
	assert_int_equal(catalog_services(c), 1);
	assert_null(match(c, "half.example", "198.51.100.1", 0, 0, 0, NULL));
	/* a host of another file with overlapping ports is an error that
	 * names the first definition; a disjoint port is fine */
	assert_int_equal(load(c, write_file("dup.catalog",
					    "vendor \"Dup\" source \"s\"\n"
					    "service \"Dup\" intent cloud source \"s\"\n"
					    "  host GOOD.example.\n"),
			      &msgs),
			 1);
	assert_non_null(strstr(msgs, "dup.catalog:3: duplicate host \"good.example\": also in "
				     "service \"Good\" ("));
	assert_non_null(strstr(msgs, "good.catalog:2) with overlapping ports"));
	free(msgs);
	assert_int_equal(load(c, write_file("other-port.catalog",
					    "vendor \"Dup\" source \"s\"\n"
					    "service \"Dup\" intent cloud source \"s\"\n"
					    "  host good.example\n  port 443/tcp\n"),
			      &msgs),
			 0);
	free(msgs);
	assert_string_equal(match(c, "good.example", NULL, 0, 443, 6, NULL), "Dup");
	assert_string_equal(match(c, "good.example", NULL, 0, 80, 6, NULL), "Good");
	/* a missing file */
	assert_int_equal(load(c, "/nonexistent/x.catalog", &msgs), 1);
	assert_non_null(strstr(msgs, "/nonexistent/x.catalog: cannot open"));
	free(msgs);
	catalog_free(c);
}

static void test_directory(void **state)
{
	(void)state;
	char dir[128], cmd[160], *msgs = NULL;
	snprintf(dir, sizeof(dir), "%s/dir", tmpdir);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dir);
	assert_int_equal(system(cmd), 0);
	/* b.catalog duplicates a.catalog's host: the error lands in b, so a was first */
	write_file("dir/b.catalog", "vendor \"B\" source \"s\"\n"
				    "service \"B\" intent cloud source \"s\"\n  host a.example\n");
	write_file("dir/a.catalog", "vendor \"A\" source \"s\"\n"
				    "service \"A\" intent fota source \"s\"\n  host a.example\n");
	write_file("dir/c.catalog", "vendor \"C\" source \"s\"\n"
				    "service \"C\" intent fota source \"s\"\n  host c.example\n");
	write_file("dir/readme.txt", "not a catalog\n");
	write_file("dir/.hidden.catalog", "garbage\n");
	struct catalog *c = catalog_new();
	assert_int_equal(load(c, dir, &msgs), 1);
	assert_non_null(strstr(msgs, "dir/b.catalog:3: duplicate host \"a.example\""));
	free(msgs);
	assert_int_equal(catalog_vendors(c), 2);
	assert_string_equal(match(c, "a.example", NULL, 0, 0, 0, NULL), "A");
	assert_string_equal(match(c, "c.example", NULL, 0, 0, 0, NULL), "C");
	catalog_free(c);
}

/* 20 000 services of 4 hosts and a prefix each: 100 000 entries. */
static void test_large(void **state)
{
	(void)state;
	char path[160];
	snprintf(path, sizeof(path), "%s/large.catalog", tmpdir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("vendor \"Big\" country US source \"generated\"\n", fp);
	for (unsigned i = 0; i < 20000; i++) {
		fprintf(fp, "service \"S%u\" intent %s source \"generated\"\n", i,
			i % 2 ? "fota" : "telemetry");
		fprintf(fp, "  host h%u.big.example\n  suffix s%u.big.example\n", i, i);
		fprintf(fp, "  host www.h%u.example v%u.example\n", i, i);
		fprintf(fp, "  ip 10.%u.%u.0/24\n", i / 256, i % 256);
	}
	fclose(fp);
	struct catalog *c = catalog_new();
	char *msgs = NULL;
	assert_int_equal(load(c, path, &msgs), 0);
	free(msgs);
	assert_int_equal(catalog_services(c), 20000);
	assert_int_equal(catalog_entries(c), 100000);
	char host[64], addr[32], want[16];
	struct catalog_match m;
	for (unsigned i = 0; i < 20000; i++) {
		snprintf(want, sizeof(want), "S%u", i);
		snprintf(host, sizeof(host), "h%u.big.example", i);
		assert_string_equal(match(c, host, NULL, 0, 0, 0, &m), want);
		snprintf(host, sizeof(host), "deep.x.s%u.big.example", i);
		assert_string_equal(match(c, host, NULL, 0, 0, 0, &m), want);
		assert_int_equal(m.kind, CAT_MATCH_HOST_SUFFIX);
		snprintf(addr, sizeof(addr), "10.%u.%u.77", i / 256, i % 256);
		assert_string_equal(match(c, NULL, addr, 0, 0, 0, NULL), want);
	}
	assert_null(match(c, "nothing.big.example", "11.0.0.1", 0, 0, 0, NULL));
	catalog_free(c);
}

/* The built-in catalog loads cleanly, names makers, and holds none of
 * the demo addresses (apngen's servers are matched by name). */
static void test_builtin(void **state)
{
	(void)state;
	struct catalog *c = catalog_new();
	assert_int_equal(catalog_load_builtin(c, stderr), 0);
	assert_true(catalog_vendors(c) >= 12);
	struct catalog_match m;
	assert_string_equal(match(c, "www.queclocator.com", "203.0.113.12", 0, 80, 6, &m),
			    "QuecLocator");
	assert_int_equal(m.service->intent, INTENT_LOCATION);
	assert_string_equal(m.service->vendor->country, "CN");
	assert_string_equal(match(c, "xtrapath2.izatcloud.net", NULL, 0, 443, 6, &m),
			    "XTRA GNSS assistance");
	assert_int_equal(m.service->intent, INTENT_GNSS_ASSIST);
	assert_string_equal(match(c, "online-live1.services.u-blox.com", NULL, 0, 443, 6, &m),
			    "AssistNow Online");
	assert_string_equal(m.service->vendor->country, "CH");
	assert_string_equal(match(c, "mqtt.nrfcloud.com", NULL, 0, 8883, 6, &m), "nRF Cloud MQTT");
	assert_string_equal(match(c, "iotsvr.meigsmart.com", NULL, 0, 9090, 6, &m),
			    "MeiG FOTA server");
	assert_int_equal(m.service->intent, INTENT_FOTA);
	assert_string_equal(match(c, "iot-south.quectel.com", NULL, 0, 1883, 6, NULL),
			    "QuecThing device cloud");
	assert_string_equal(match(c, "iot-south.quectel.com", NULL, 0, 443, 6, NULL),
			    "Quectel (other hosts)");
	assert_string_equal(match(c, "aiot-bootstrap.quectel.com", NULL, 0, 443, 6, NULL),
			    "QuecThing bootstrap");
	const char *demo[] = {"203.0.113.10", "203.0.113.11", "203.0.113.12", "203.0.113.13",
			      "203.0.113.21", "203.0.113.33", "203.0.113.50", "203.0.113.65",
			      "192.0.2.10",   "192.0.2.40",   "198.51.100.80"};
	for (size_t i = 0; i < sizeof(demo) / sizeof(demo[0]); i++)
		assert_null(match(c, NULL, demo[i], 64500, 443, 6, NULL));
	char why[160];
	assert_string_equal(catalog_client(c, "QUECTEL_MODULE", NULL, NULL, why, sizeof(why))->name,
			    "Quectel");
	assert_string_equal(catalog_tac(c, "866834041234567")->name, "Quectel");
	catalog_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),	    cmocka_unit_test(test_suffix),
		cmocka_unit_test(test_ip_lpm),	    cmocka_unit_test(test_asn),
		cmocka_unit_test(test_ports),	    cmocka_unit_test(test_specificity),
		cmocka_unit_test(test_client),	    cmocka_unit_test(test_tac),
		cmocka_unit_test(test_errors),	    cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_all_or_nothing), cmocka_unit_test(test_directory),
		cmocka_unit_test(test_large),	    cmocka_unit_test(test_builtin),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
