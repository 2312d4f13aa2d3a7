/*
 * test-communityid.c - Community ID v1 against the spec's published vectors.
 *
 * Sources (quoted per table below):
 *   [T0]  community-id-spec baseline/README.md, "Default settings" table
 *   [T1]  community-id-spec baseline/README.md, "A custom seed=1 value" table
 *   [J0]  community-id-spec baseline/baseline_deflt.json (seed 0)
 *   [J1]  community-id-spec baseline/baseline_seed1.json (seed 1)
 *   [PY]  pycommunityid tests/communityid_test.py (the reference
 *         implementation the spec recommends), base64 columns for seed 0
 *         and seed 1
 * The JSON files list ICMP "ports" as the reference tool mapped them (type,
 * counterpart type) for request/reply messages; our API takes (type, code),
 * and since the counterpart replaces the code for those types, passing the
 * JSON's numbers as (type, code) yields the same hash.
 */
#define _POSIX_C_SOURCE 200112L

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "util-cidr.h"

#include "util-communityid.h"

struct vec {
	const char *src, *dst;
	uint8_t proto;
	uint16_t sport, dport; /* ICMP: type, code */
	uint16_t seed;
	const char *want;
};

static struct ip_addr addr(const char *s)
{
	struct ip_addr a;
	if (ip_addr_parse(s, &a) < 0)
		fail_msg("bad address in test vector: %s", s);
	return a;
}

static void check_vectors(const struct vec *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ip_addr s = addr(v[i].src), d = addr(v[i].dst);
		char out[COMMUNITY_ID_LEN];

		assert_int_equal(community_id_v1(&s, &d, v[i].proto, v[i].sport, v[i].dport,
						 v[i].seed, out),
				 0);
		if (strcmp(out, v[i].want) != 0)
			fail_msg("vector %zu (%s -> %s proto %u %u/%u seed %u): got %s, want %s", i,
				 v[i].src, v[i].dst, v[i].proto, v[i].sport, v[i].dport, v[i].seed,
				 out, v[i].want);
		assert_int_equal(strlen(out), COMMUNITY_ID_LEN - 1);
	}
}

#define A6 "fe80:0001:0203:0405:0607:0809:0A0B:0C0D"
#define B6 "fe80:1011:1213:1415:1617:1819:1A1B:1C1D"

/* [T0] baseline/README.md, "Default settings". */
static void test_readme_table_seed0(void **state)
{
	static const struct vec v[] = {
		{"1.2.3.4", "5.6.7.8", 6, 1122, 3344, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM="},
		{"5.6.7.8", "1.2.3.4", 6, 3344, 1122, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM="},
		{"1.2.3.4", "5.6.7.8", 17, 1122, 3344, 0, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="},
		{"5.6.7.8", "1.2.3.4", 17, 3344, 1122, 0, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="},
		{"1.2.3.4", "5.6.7.8", 132, 1122, 3344, 0, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8="},
		{"5.6.7.8", "1.2.3.4", 132, 3344, 1122, 0, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8="},
		/* ICMP echo request, then the reply (type 0, code 0). */
		{"1.2.3.4", "5.6.7.8", 1, 8, 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="},
		{"5.6.7.8", "1.2.3.4", 1, 0, 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="},
		/* ICMP time exceeded: one-way. */
		{"1.2.3.4", "5.6.7.8", 1, 11, 0, 0, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk="},
		{A6, B6, 58, 128, 0, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo="},
		{B6, A6, 58, 129, 0, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo="},
		/* ICMPv6 type 146: one-way. */
		{A6, B6, 58, 146, 0, 0, "1:fYC8+pz24E+EhANP1EZhpX0Dw10="},
		/* RSVP: no ports. */
		{"1.2.3.4", "5.6.7.8", 46, 0, 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768="},
		{"5.6.7.8", "1.2.3.4", 46, 0, 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768="},
		{A6, B6, 46, 0, 0, 0, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0="},
		{B6, A6, 46, 0, 0, 0, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0="},
	};
	(void)state;
	check_vectors(v, sizeof(v) / sizeof(v[0]));
}

/* [T1] baseline/README.md, "A custom seed=1 value". */
static void test_readme_table_seed1(void **state)
{
	static const struct vec v[] = {
		{"1.2.3.4", "5.6.7.8", 6, 1122, 3344, 1, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="},
		{"5.6.7.8", "1.2.3.4", 6, 3344, 1122, 1, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="},
		{"1.2.3.4", "5.6.7.8", 17, 1122, 3344, 1, "1:OShq+iKDAMVouh/4bMxB9Sz4amw="},
		{"5.6.7.8", "1.2.3.4", 17, 3344, 1122, 1, "1:OShq+iKDAMVouh/4bMxB9Sz4amw="},
		{"1.2.3.4", "5.6.7.8", 132, 1122, 3344, 1, "1:uitchpn5MMGAQKBJh7bIr/bAr7s="},
		{"5.6.7.8", "1.2.3.4", 132, 3344, 1122, 1, "1:uitchpn5MMGAQKBJh7bIr/bAr7s="},
		{"1.2.3.4", "5.6.7.8", 1, 8, 0, 1, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU="},
		{"5.6.7.8", "1.2.3.4", 1, 0, 0, 1, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU="},
		{"1.2.3.4", "5.6.7.8", 1, 11, 0, 1, "1:1DD7cWGC/Yg91YGsQeni8du3pIA="},
		{A6, B6, 58, 128, 0, 1, "1:IO27GQzPuCtNnwFvjWALMHu5tJE="},
		{B6, A6, 58, 129, 0, 1, "1:IO27GQzPuCtNnwFvjWALMHu5tJE="},
		{A6, B6, 58, 146, 0, 1, "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s="},
		{"1.2.3.4", "5.6.7.8", 46, 0, 0, 1, "1:/buhqeOmaRCopOZFy9HnoJd5XW8="},
		{"5.6.7.8", "1.2.3.4", 46, 0, 0, 1, "1:/buhqeOmaRCopOZFy9HnoJd5XW8="},
		{A6, B6, 46, 0, 0, 1, "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM="},
		{B6, A6, 46, 0, 0, 1, "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM="},
	};
	(void)state;
	check_vectors(v, sizeof(v) / sizeof(v[0]));
}

/* [J0] baseline/baseline_deflt.json: tuples from the spec's pcaps. */
static void test_baseline_json_seed0(void **state)
{
	static const struct vec v[] = {
		/* ICMPv6 neighbour solicitation/advertisement, both ways. */
		{"fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 58, 135, 136, 0,
		 "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
		{"fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 58, 136, 135, 0,
		 "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
		{"fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 58, 135, 136, 0,
		 "1:zavyT/cezQr1fmImYCwYnMXbgck="},
		{"fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 58, 136, 135, 0,
		 "1:zavyT/cezQr1fmImYCwYnMXbgck="},
		/* ICMPv6 time exceeded and destination unreachable: one-way. */
		{"3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 3, 0, 0,
		 "1:2ObVBgIn28oZvibYZhZMBgh7WdQ="},
		{"3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 1, 4, 0,
		 "1:hLZd0XGWojozrvxqE0dWB1iM6R0="},
		{"3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 58, 128, 129, 0,
		 "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
		{"3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 129, 128, 0,
		 "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
		{"fe80::200:86ff:fe05:80da", "ff02::2", 58, 133, 134, 0,
		 "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0="},
		{"fe80::260:97ff:fe07:69ea", "ff02::1", 58, 134, 133, 0,
		 "1:pkvHqCL88/tg1k4cPigmZXUtL00="},
		{"192.168.0.89", "192.168.0.1", 1, 8, 0, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
		{"192.168.0.1", "192.168.0.89", 1, 0, 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
		{"10.0.0.1", "10.0.0.2", 1, 11, 0, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM="},
		{"2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a",
		 6, 63943, 25, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
		{"2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887",
		 6, 25, 63943, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
		{"192.168.170.8", "192.168.170.56", 132, 7, 7, 0, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
		{"192.168.170.56", "192.168.170.8", 132, 7, 7, 0, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
		{"128.232.110.120", "66.35.250.204", 6, 34855, 80, 0,
		 "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
		{"66.35.250.204", "128.232.110.120", 6, 80, 34855, 0,
		 "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
		{"192.168.1.52", "8.8.8.8", 17, 54585, 53, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
		{"8.8.8.8", "192.168.1.52", 17, 53, 54585, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
		{"10.1.12.1", "10.1.12.2", 46, 0, 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
		{"10.1.12.2", "10.1.12.1", 46, 0, 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
	};
	(void)state;
	check_vectors(v, sizeof(v) / sizeof(v[0]));
}

/* [J1] baseline/baseline_seed1.json: the same tuples with seed 1. */
static void test_baseline_json_seed1(void **state)
{
	static const struct vec v[] = {
		{"fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 58, 135, 136, 1,
		 "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="},
		{"fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 58, 136, 135, 1,
		 "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="},
		{"fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 58, 135, 136, 1,
		 "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM="},
		{"fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 58, 136, 135, 1,
		 "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM="},
		{"3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 3, 0, 1,
		 "1:lVEtCZpYu84Xqaa++3lXFyuu2n4="},
		{"3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 1, 4, 1,
		 "1:W8MHwXpWzpoSTD+cGcaJr4u0ys8="},
		{"3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 58, 128, 129, 1,
		 "1:GfZxjAkDk2MkegpBYHV6tadtFXQ="},
		{"3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 129, 128, 1,
		 "1:GfZxjAkDk2MkegpBYHV6tadtFXQ="},
		{"fe80::200:86ff:fe05:80da", "ff02::2", 58, 133, 134, 1,
		 "1:L7Ka0ZMYu+J3bL4ulW2PrqyXNo8="},
		{"fe80::260:97ff:fe07:69ea", "ff02::1", 58, 134, 133, 1,
		 "1:K/ee5UCqAMAQXDorP5nSa2CGLjc="},
		{"192.168.0.89", "192.168.0.1", 1, 8, 0, 1, "1:03g6IloqVBdcZlPyX8r0hgoE7kA="},
		{"192.168.0.1", "192.168.0.89", 1, 0, 8, 1, "1:03g6IloqVBdcZlPyX8r0hgoE7kA="},
		{"10.0.0.1", "10.0.0.2", 1, 11, 0, 1, "1:XjUibYHaafLQ3pxQeiMI8g25q20="},
		{"2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a",
		 6, 63943, 25, 1, "1:eJYTW6AOzFLlSUoESovMjnu7rMw="},
		{"2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887",
		 6, 25, 63943, 1, "1:eJYTW6AOzFLlSUoESovMjnu7rMw="},
		{"192.168.170.8", "192.168.170.56", 132, 7, 7, 1, "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg="},
		{"192.168.170.56", "192.168.170.8", 132, 7, 7, 1, "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg="},
		{"128.232.110.120", "66.35.250.204", 6, 34855, 80, 1,
		 "1:3V71V58M3Ksw/yuFALMcW0LAHvc="},
		{"66.35.250.204", "128.232.110.120", 6, 80, 34855, 1,
		 "1:3V71V58M3Ksw/yuFALMcW0LAHvc="},
		{"192.168.1.52", "8.8.8.8", 17, 54585, 53, 1, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="},
		{"8.8.8.8", "192.168.1.52", 17, 53, 54585, 1, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="},
		{"10.1.12.1", "10.1.12.2", 46, 0, 0, 1, "1:rYir8gphR31noO9iDRQmF/BteEI="},
		{"10.1.12.2", "10.1.12.1", 46, 0, 0, 1, "1:rYir8gphR31noO9iDRQmF/BteEI="},
	};
	(void)state;
	check_vectors(v, sizeof(v) / sizeof(v[0]));
}

/* [PY] pycommunityid tests/communityid_test.py: corner cases of the ICMP
 * mapping and of port ordering. */
static void test_reference_impl_corners(void **state)
{
	static const struct vec v[] = {
		/* test_icmp: type 20 is not a request/reply, so the code goes into
		 * the hash and codes 0 and 1 differ ... */
		{"192.168.0.89", "192.168.0.1", 1, 20, 0, 0, "1:3o2RFccXzUgjl7zDpqmY7yJi8rI="},
		{"192.168.0.89", "192.168.0.1", 1, 20, 0, 1, "1:lCXHHxavE1Vq3oX9NH5ladQg02o="},
		{"192.168.0.89", "192.168.0.1", 1, 20, 1, 0, "1:tz/fHIDUHs19NkixVVoOZywde+I="},
		{"192.168.0.89", "192.168.0.1", 1, 20, 1, 1, "1:Ie3wmFyxiEyikbsbcO03d2nh+PM="},
		/* ... while an echo reply's code is ignored: same ID as the echo. */
		{"192.168.0.1", "192.168.0.89", 1, 0, 20, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
		/* test_icmp6: neighbour solicitation with code 0, both ways. */
		{"fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 58, 135, 0, 0,
		 "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
		{"fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 58, 136, 0, 1,
		 "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="},
		/* One-way ICMPv6 is not flipped: the two directions differ. */
		{"3ffe:507:0:1:260:97ff:fe07:69ea", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 3, 0, 0,
		 "1:NdobDX8PQNJbAyfkWxhtL2Pqp5w="},
		{"3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:507:0:1:260:97ff:fe07:69ea", 58, 3, 0, 0,
		 "1:/OGBt9BN1ofenrmSPWYicpij2Vc="},
		{"3ffe:507:0:1:260:97ff:fe07:69ea", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 3, 0, 1,
		 "1:OlOWx9psIbBFi7lOCw/4MhlKR9M="},
		/* test_sctp */
		{"192.168.170.8", "192.168.170.56", 132, 7, 80, 0,
		 "1:jQgCxbku+pNGw8WPbEc/TS/uTpQ="},
		{"192.168.170.56", "192.168.170.8", 132, 80, 7, 1,
		 "1:Y1/0jQg6e+I3ZwZZ9LP65DNbTXU="},
		/* test_tcp, pycommunityid issue #3: ports compare as numbers. */
		{"10.0.0.1", "10.0.0.2", 6, 10, 11569, 0, "1:SXBGMX1lBOwhhoDrZynfROxnhnM="},
		{"10.0.0.1", "10.0.0.2", 6, 10, 11569, 1, "1:HmBRGR+fUyXF4t8WEtal7Y0gEAo="},
		/* test_ip: protocol 46 without ports. */
		{"10.1.24.4", "10.1.12.1", 46, 0, 0, 0, "1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4="},
		{"10.1.12.1", "10.1.24.4", 46, 0, 0, 1, "1:BK3BVW3U2eemuwVQVN3zd/GULno="},
	};
	(void)state;
	check_vectors(v, sizeof(v) / sizeof(v[0]));
}

/* The header says ports are ignored for protocols without them. */
static void test_portless_ignores_ports(void **state)
{
	static const struct vec v[] = {
		/* [T0] RSVP 1.2.3.4 -> 5.6.7.8, with junk ports passed in. */
		{"1.2.3.4", "5.6.7.8", 46, 1234, 80, 0, "1:ikv3kmf89luf73WPz1jOs49S768="},
		{"5.6.7.8", "1.2.3.4", 46, 80, 1, 0, "1:ikv3kmf89luf73WPz1jOs49S768="},
	};
	(void)state;
	check_vectors(v, sizeof(v) / sizeof(v[0]));
}

/* Equal addresses: the ports decide the order, so both directions agree. */
static void test_equal_addresses_order_by_port(void **state)
{
	struct ip_addr a = addr("127.0.0.1");
	char x[COMMUNITY_ID_LEN], y[COMMUNITY_ID_LEN];

	(void)state;
	assert_int_equal(community_id_v1(&a, &a, 6, 40000, 80, 0, x), 0);
	assert_int_equal(community_id_v1(&a, &a, 6, 80, 40000, 0, y), 0);
	assert_string_equal(x, y);
}

static void test_errors(void **state)
{
	struct ip_addr v4 = addr("1.2.3.4"), v6 = addr(A6), none;
	char out[COMMUNITY_ID_LEN];

	(void)state;
	memset(&none, 0, sizeof(none));
	assert_int_equal(community_id_v1(&v4, &v6, 6, 1, 2, 0, out), -1);
	assert_string_equal(out, "");
	assert_int_equal(community_id_v1(&v4, &v4, 6, 1, 2, 0, NULL), -1);
	assert_int_equal(community_id_v1(&none, &none, 6, 1, 2, 0, out), -1);
	assert_int_equal(community_id_v1(NULL, &v4, 6, 1, 2, 0, out), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readme_table_seed0),
		cmocka_unit_test(test_readme_table_seed1),
		cmocka_unit_test(test_baseline_json_seed0),
		cmocka_unit_test(test_baseline_json_seed1),
		cmocka_unit_test(test_reference_impl_corners),
		cmocka_unit_test(test_portless_ignores_ports),
		cmocka_unit_test(test_equal_addresses_order_by_port),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
