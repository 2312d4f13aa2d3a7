/*
 * test-geo.c - src/geo.c on the demo databases built from
 * policies/geo/demo.csv: every range of the table (first and last
 * address), IPv6, IPv4-mapped IPv6, addresses in no range, the cache (hits
 * counted, negative results cached, collisions never wrong, no cache at
 * all), the default search for the demo files, and files that cannot be
 * used: missing, garbage, truncated, empty, of the wrong kind - each a
 * warning naming the file, and no field.
 *
 * Run from the top of the build tree (as make check does): the databases
 * are geo/demo-country.mmdb and geo/demo-asn.mmdb there.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "util-cidr.h"

#include "counters.h"
#include "geo.h"

#define COUNTRY_DB "geo/demo-country.mmdb"
#define ASN_DB "geo/demo-asn.mmdb"

static struct ip_addr addr(const char *s)
{
	struct ip_addr a;
	if (ip_addr_parse(s, &a) < 0)
		fail_msg("bad test address %s", s);
	return a;
}

static struct geo *open_demo(struct counters *cnt, size_t cache_entries)
{
	struct geo_config c;
	geo_config_defaults(&c);
	c.country_db = COUNTRY_DB;
	c.asn_db = ASN_DB;
	c.cache_entries = cache_entries;
	memset(cnt, 0, sizeof(*cnt));
	struct geo *g = geo_open(&c, cnt);
	assert_non_null(g);
	return g;
}

/* stderr into a temporary file while geo_open() warns. */
struct captured {
	int saved;
	FILE *f;
	char text[4096];
};

static void capture_begin(struct captured *cap)
{
	fflush(stderr);
	cap->f = tmpfile();
	assert_non_null(cap->f);
	cap->saved = dup(2);
	assert_true(cap->saved >= 0);
	assert_true(dup2(fileno(cap->f), 2) >= 0);
}

static const char *capture_end(struct captured *cap)
{
	fflush(stderr);
	dup2(cap->saved, 2);
	close(cap->saved);
	rewind(cap->f);
	size_t n = fread(cap->text, 1, sizeof(cap->text) - 1, cap->f);
	cap->text[n] = '\0';
	fclose(cap->f);
	return cap->text;
}

static void expect(struct geo *g, const char *ip, const char *cc, uint32_t asn, const char *org)
{
	struct ip_addr a = addr(ip);
	struct geo_result r;
	int found = geo_lookup(g, &a, &r);
	if (strcmp(r.country, cc) != 0 || r.asn != asn || strcmp(r.as_org, org) != 0)
		fail_msg("%s: got '%s' %u '%s', wanted '%s' %u '%s'", ip, r.country,
			 (unsigned)r.asn, r.as_org, cc, (unsigned)asn, org);
	assert_int_equal(found, cc[0] || asn || org[0]);
}

/* The table of the brief, first and last address of each range. */
static const struct {
	const char *first, *last, *cc;
	uint32_t asn;
	const char *org;
} table[] = {
	{"192.0.2.0", "192.0.2.255", "DE", 64496, "Demo Operator Hosting DE"},
	{"198.51.100.0", "198.51.100.255", "US", 64497, "Demo Cloud US-East"},
	{"203.0.113.0", "203.0.113.15", "CN", 64500, "Demo Cloud CN"},
	{"203.0.113.16", "203.0.113.31", "US", 64501, "Demo Cloud US-West"},
	{"203.0.113.32", "203.0.113.47", "CH", 64502, "Demo Hosting CH"},
	{"203.0.113.48", "203.0.113.63", "RU", 64503, "Demo Hosting RU"},
	{"203.0.113.64", "203.0.113.79", "NO", 64504, "Demo Cloud NO"},
	{"203.0.113.80", "203.0.113.95", "CA", 64505, "Demo Cloud CA"},
	{"203.0.113.96", "203.0.113.111", "IR", 64506, "Demo Hosting IR"},
	{"2001:db8::", "2001:db8:0:ffff:ffff:ffff:ffff:ffff", "DE", 64496,
	 "Demo Operator Hosting DE"},
	{"2001:db8:1::", "2001:db8:1:ffff:ffff:ffff:ffff:ffff", "CN", 64500, "Demo Cloud CN"},
	{"2001:db8:2::", "2001:db8:2:ffff:ffff:ffff:ffff:ffff", "US", 64501, "Demo Cloud US-West"},
};

static void test_every_range(void **state)
{
	(void)state;
	struct counters cnt;
	struct geo *g = open_demo(&cnt, 1024);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		expect(g, table[i].first, table[i].cc, table[i].asn, table[i].org);
		expect(g, table[i].last, table[i].cc, table[i].asn, table[i].org);
	}
	assert_int_equal(cnt.v[CNT_GEO_LOOKUPS], 24);
	assert_int_equal(cnt.v[CNT_GEO_NOT_FOUND], 0);
	assert_int_equal(cnt.v[CNT_GEO_ERRORS], 0);
	geo_close(g);
}

static void test_servers_of_the_brief(void **state)
{
	(void)state;
	struct counters cnt;
	struct geo *g = open_demo(&cnt, 1024);
	expect(g, "203.0.113.10", "CN", 64500, "Demo Cloud CN");        /* quectel */
	expect(g, "203.0.113.22", "US", 64501, "Demo Cloud US-West");   /* xtrapath */
	expect(g, "203.0.113.33", "CH", 64502, "Demo Hosting CH");      /* u-blox */
	expect(g, "203.0.113.65", "NO", 64504, "Demo Cloud NO");        /* nrfcloud */
	expect(g, "203.0.113.50", "RU", 64503, "Demo Hosting RU");      /* unknown */
	expect(g, "192.0.2.40", "DE", 64496, "Demo Operator Hosting DE");/* dm */
	geo_close(g);
}

static void test_ipv6_and_mapped(void **state)
{
	(void)state;
	struct counters cnt;
	struct geo *g = open_demo(&cnt, 16);
	expect(g, "2001:db8:1::42", "CN", 64500, "Demo Cloud CN");
	expect(g, "2001:db8:3::1", "", 0, "");
	/* IPv4-mapped and 6to4 addresses are aliased to the IPv4 tree. */
	expect(g, "::ffff:203.0.113.99", "IR", 64506, "Demo Hosting IR");
	expect(g, "2002:c000:0201::1", "DE", 64496, "Demo Operator Hosting DE");
	/* An IPv4 and an IPv6 address with the same first bytes differ. */
	expect(g, "192.0.2.1", "DE", 64496, "Demo Operator Hosting DE");
	expect(g, "c000:201::", "", 0, "");
	geo_close(g);
}

static void test_not_found(void **state)
{
	(void)state;
	struct counters cnt;
	struct geo *g = open_demo(&cnt, 16);
	const char *outside[] = {"100.64.0.1", "10.0.0.1", "203.0.113.112", "203.0.113.255",
				 "192.0.1.255", "192.0.3.0", "8.8.8.8", "0.0.0.0",
				 "255.255.255.255", "::1", "::", "2001:db9::1"};
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++)
		expect(g, outside[i], "", 0, "");
	assert_int_equal(cnt.v[CNT_GEO_NOT_FOUND], 12);
	assert_int_equal(cnt.v[CNT_GEO_ERRORS], 0);
	/* No family: nothing, and not counted as a lookup. */
	struct ip_addr none;
	struct geo_result r;
	memset(&none, 0, sizeof(none));
	assert_int_equal(geo_lookup(g, &none, &r), 0);
	assert_int_equal(cnt.v[CNT_GEO_LOOKUPS], 12);
	geo_close(g);
}

static void test_cache(void **state)
{
	(void)state;
	struct counters cnt;
	struct geo *g = open_demo(&cnt, 64);
	expect(g, "192.0.2.7", "DE", 64496, "Demo Operator Hosting DE");
	expect(g, "192.0.2.7", "DE", 64496, "Demo Operator Hosting DE");
	expect(g, "100.64.1.1", "", 0, "");
	expect(g, "100.64.1.1", "", 0, "");
	expect(g, "2001:db8::7", "DE", 64496, "Demo Operator Hosting DE");
	expect(g, "2001:db8::7", "DE", 64496, "Demo Operator Hosting DE");
	assert_int_equal(cnt.v[CNT_GEO_LOOKUPS], 6);
	assert_int_equal(cnt.v[CNT_GEO_CACHE_HITS], 3);
	assert_int_equal(cnt.v[CNT_GEO_NOT_FOUND], 2);
	geo_close(g);

	/* One slot: every other address collides, answers stay right. */
	g = open_demo(&cnt, 1);
	for (int round = 0; round < 3; round++) {
		expect(g, "203.0.113.1", "CN", 64500, "Demo Cloud CN");
		expect(g, "203.0.113.17", "US", 64501, "Demo Cloud US-West");
		expect(g, "10.9.9.9", "", 0, "");
	}
	assert_int_equal(cnt.v[CNT_GEO_CACHE_HITS], 0);
	geo_close(g);

	/* No cache at all. */
	g = open_demo(&cnt, 0);
	expect(g, "203.0.113.1", "CN", 64500, "Demo Cloud CN");
	expect(g, "203.0.113.1", "CN", 64500, "Demo Cloud CN");
	assert_int_equal(cnt.v[CNT_GEO_CACHE_HITS], 0);
	assert_int_equal(cnt.v[CNT_GEO_LOOKUPS], 2);
	geo_close(g);
}

static void test_default_finds_demo(void **state)
{
	(void)state;
	struct counters cnt;
	memset(&cnt, 0, sizeof(cnt));
	struct captured cap;
	capture_begin(&cap);
	struct geo *g = geo_open(NULL, &cnt);
	const char *err = capture_end(&cap);
	assert_non_null(g);
	assert_string_equal(err, "");
	assert_non_null(strstr(geo_country_db(g), "geo/demo-country.mmdb (GeoLite2-Country)"));
	assert_non_null(strstr(geo_asn_db(g), "geo/demo-asn.mmdb (GeoLite2-ASN)"));
	expect(g, "198.51.100.80", "US", 64497, "Demo Cloud US-East");
	geo_close(g);

	/* "": none, quietly. */
	struct geo_config c;
	geo_config_defaults(&c);
	c.country_db = "";
	c.asn_db = "";
	capture_begin(&cap);
	g = geo_open(&c, &cnt);
	err = capture_end(&cap);
	assert_string_equal(err, "");
	assert_string_equal(geo_country_db(g), "none");
	assert_string_equal(geo_asn_db(g), "none");
	expect(g, "198.51.100.80", "", 0, "");
	geo_close(g);
}

/* Opens country file path (ASN: none); checks the warning has want and
 * names the file, and that nothing is found. */
static void expect_unusable(const char *country, const char *asn, const char *path,
			    const char *want)
{
	struct counters cnt;
	struct geo_config c;
	struct captured cap;
	geo_config_defaults(&c);
	c.country_db = country;
	c.asn_db = asn;
	memset(&cnt, 0, sizeof(cnt));
	capture_begin(&cap);
	struct geo *g = geo_open(&c, &cnt);
	const char *err = capture_end(&cap);
	assert_non_null(g);
	if (!strstr(err, "warning: ") || !strstr(err, path) || !strstr(err, want))
		fail_msg("warning for %s lacks '%s': %s", path, want, err);
	expect(g, "192.0.2.1", "", 0, "");
	assert_string_equal(geo_country_db(g), "none");
	assert_string_equal(geo_asn_db(g), "none");
	assert_int_equal(cnt.v[CNT_GEO_LOOKUPS], 0);
	geo_close(g);
}

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

static void test_missing_file(void **state)
{
	(void)state;
	expect_unusable("/nonexistent/geo/country.mmdb", "", "/nonexistent/geo/country.mmdb",
			"No such file");
	expect_unusable("", "/nonexistent/asn.mmdb", "/nonexistent/asn.mmdb", "ASN database");
}

static void test_corrupt_files(void **state)
{
	(void)state;
	char path[] = "/tmp/test-geo-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);

	/* Garbage. */
	char junk[4096];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7 + 13);
	write_file(path, junk, sizeof(junk));
	expect_unusable(path, "", path, "invalid metadata");

	/* Empty. */
	write_file(path, "", 0);
	expect_unusable(path, "", path, "country database");

	/* A real database cut in half: the metadata at its end is gone. */
	FILE *f = fopen(COUNTRY_DB, "rb");
	assert_non_null(f);
	char buf[65536];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(n > 100);
	write_file(path, buf, n / 2);
	expect_unusable(path, "", path, "country database");

	/* Garbage with the metadata marker but nonsense after it. */
	static const char marker[] = "\xab\xcd\xefMaxMind.com";
	memcpy(junk + 1000, marker, sizeof(marker) - 1);
	write_file(path, junk, sizeof(junk));
	expect_unusable(path, "", path, "country database");
	unlink(path);
}

static void test_wrong_type(void **state)
{
	(void)state;
	expect_unusable(ASN_DB, "", ASN_DB, "is a ASN database");
	expect_unusable("", COUNTRY_DB, COUNTRY_DB, "is a country database");

	/* Swapped: both refused, so nothing at all. */
	struct counters cnt;
	struct geo_config c;
	struct captured cap;
	geo_config_defaults(&c);
	c.country_db = ASN_DB;
	c.asn_db = COUNTRY_DB;
	memset(&cnt, 0, sizeof(cnt));
	capture_begin(&cap);
	struct geo *g = geo_open(&c, &cnt);
	capture_end(&cap);
	expect(g, "203.0.113.50", "", 0, "");
	geo_close(g);
}

static void test_one_of_two(void **state)
{
	(void)state;
	struct counters cnt;
	struct geo_config c;
	geo_config_defaults(&c);
	c.country_db = COUNTRY_DB;
	c.asn_db = "";
	memset(&cnt, 0, sizeof(cnt));
	struct geo *g = geo_open(&c, &cnt);
	expect(g, "203.0.113.50", "RU", 0, "");
	geo_close(g);
	c.country_db = "";
	c.asn_db = ASN_DB;
	g = geo_open(&c, &cnt);
	expect(g, "203.0.113.50", "", 64503, "Demo Hosting RU");
	geo_close(g);
	geo_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_range),
		cmocka_unit_test(test_servers_of_the_brief),
		cmocka_unit_test(test_ipv6_and_mapped),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_default_finds_demo),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_corrupt_files),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_one_of_two),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
