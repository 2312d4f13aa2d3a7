/*
 * test-json.c - the JSON writer (src/util-json.h): nesting, commas,
 * escaping, invalid UTF-8; address prefixes (src/util-cidr.h): parse
 * errors, host bits, membership at prefix boundaries; and the counter
 * table (src/counters.h) keeping each dotted prefix together, which the
 * stats event's one-pass nesting relies on.
 *
 * Outputs are compared as exact strings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "counters.h"
#include "util-cidr.h"
#include "util-json.h"

/* ---------------------------------------------------------------------
 * JSON writer.
 * --------------------------------------------------------------------- */

static void test_json_nesting_and_commas(void **state)
{
	(void)state;
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "a", "x");
	jw_obj_begin(&w, "b");
	jw_u64(&w, "c", 1);
	jw_i64(&w, "d", -2);
	jw_end(&w);
	jw_arr_begin(&w, "e");
	jw_u64(&w, NULL, 1);
	jw_str(&w, NULL, "y");
	jw_obj_begin(&w, NULL);
	jw_bool(&w, "t", 1);
	jw_end(&w);
	jw_arr_begin(&w, NULL);
	jw_end(&w);
	jw_obj_begin(&w, NULL);
	jw_end(&w);
	jw_end(&w);
	jw_bool(&w, "f", 0);
	jw_obj_begin(&w, "empty");
	jw_end(&w);
	jw_arr_begin(&w, "deep");
	jw_arr_begin(&w, NULL);
	jw_arr_begin(&w, NULL);
	jw_i64(&w, NULL, 0);
	jw_end(&w);
	jw_end(&w);
	jw_i64(&w, NULL, 3);
	jw_end(&w);
	jw_end(&w);
	jw_raw(&w, "\n");
	assert_int_equal(w.oom, 0);
	assert_int_equal(w.depth, 0);
	assert_string_equal(w.buf, "{\"a\":\"x\",\"b\":{\"c\":1,\"d\":-2},"
				   "\"e\":[1,\"y\",{\"t\":true},[],{}],\"f\":false,"
				   "\"empty\":{},\"deep\":[[[0]],3]}\n");
	assert_int_equal(w.len, strlen(w.buf));

	/* Reset: a fresh event in the same buffer, commas start over. */
	jw_reset(&w);
	jw_obj_begin(&w, NULL);
	jw_u64(&w, "max", UINT64_MAX);
	jw_i64(&w, "min", INT64_MIN);
	jw_end(&w);
	assert_string_equal(w.buf,
			    "{\"max\":18446744073709551615,\"min\":-9223372036854775808}");
	jw_free(&w);
	assert_null(w.buf);
}

/* Quotes, backslashes, control characters; keys are escaped too. */
static void test_json_escaping(void **state)
{
	(void)state;
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "q", "say \"hi\"");
	jw_str(&w, "b", "C:\\dir\\");
	jw_str(&w, "ws", "a\nb\rc\td");
	jw_str(&w, "ctl", "\x01\x08\x0c\x1f\x7f");
	jw_str(&w, "slash", "a/b");
	jw_str(&w, "k\"\n", "v");
	jw_strn(&w, "nul", "a\0b", 3);
	jw_str(&w, "", "");
	jw_end(&w);
	assert_int_equal(w.oom, 0);
	assert_string_equal(w.buf, "{\"q\":\"say \\\"hi\\\"\","
				   "\"b\":\"C:\\\\dir\\\\\","
				   "\"ws\":\"a\\nb\\rc\\td\","
				   "\"ctl\":\"\\u0001\\u0008\\u000c\\u001f\\u007f\","
				   "\"slash\":\"a/b\","
				   "\"k\\\"\\n\":\"v\","
				   "\"nul\":\"a\\u0000b\","
				   "\"\":\"\"}");
	jw_free(&w);
}

/* One string in, its JSON form out (a bare value). */
static void assert_escapes(const char *in, size_t n, const char *want)
{
	struct jw w;
	jw_init(&w);
	jw_strn(&w, NULL, in, n);
	assert_int_equal(w.oom, 0);
	assert_string_equal(w.buf, want);
	jw_free(&w);
}
#define ESC(lit, want) assert_escapes((lit), sizeof(lit) - 1, (want))

/* Bytes that are not UTF-8 become \u00XX of the byte; valid sequences of
 * two to four bytes are kept as they are. */
static void test_json_utf8(void **state)
{
	(void)state;
	/* Valid: é (2 bytes), € (3), 😀 (4), U+10FFFF (the last), U+0080
	 * and U+0800 and U+10000 (the first of each length). */
	ESC("caf\xc3\xa9", "\"caf\xc3\xa9\"");
	ESC("\xe2\x82\xac 5", "\"\xe2\x82\xac 5\"");
	ESC("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");
	ESC("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");
	ESC("\xc2\x80\xe0\xa0\x80\xf0\x90\x80\x80", "\"\xc2\x80\xe0\xa0\x80\xf0\x90\x80\x80\"");

	/* A lone continuation byte; bytes that never start UTF-8. */
	ESC("\x80", "\"\\u0080\"");
	ESC("a\xff" "b", "\"a\\u00ffb\"");
	ESC("\xfe\xf8", "\"\\u00fe\\u00f8\"");
	/* A lead byte cut by the end of the string, or by another byte. */
	ESC("ab\xc3", "\"ab\\u00c3\"");
	ESC("\xe2\x82", "\"\\u00e2\\u0082\"");
	ESC("\xc3(", "\"\\u00c3(\"");
	ESC("\xf0\x9f\x98" "A", "\"\\u00f0\\u009f\\u0098A\"");
	/* Overlong forms. */
	ESC("\xc0\xaf", "\"\\u00c0\\u00af\"");
	ESC("\xe0\x80\xaf", "\"\\u00e0\\u0080\\u00af\"");
	ESC("\xf0\x80\x80\xaf", "\"\\u00f0\\u0080\\u0080\\u00af\"");
	/* A UTF-16 surrogate (U+D800) and a value past U+10FFFF. */
	ESC("\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"");
	ESC("\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"");
	/* Valid after invalid resynchronises at once. */
	ESC("\xff\xc3\xa9", "\"\\u00ff\xc3\xa9\"");
}

/* A string longer than the first buffer; the depth limit and unbalanced
 * ends drop the event (oom) rather than emit bad JSON. */
static void test_json_growth_and_misuse(void **state)
{
	(void)state;
	struct jw w;
	char big[5000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	jw_init(&w);
	jw_arr_begin(&w, NULL);
	jw_str(&w, NULL, big);
	jw_str(&w, NULL, "\"");
	jw_end(&w);
	assert_int_equal(w.oom, 0);
	assert_int_equal(w.len, 1 + 1 + 4999 + 1 + 1 + 4 + 1);
	assert_memory_equal(w.buf + w.len - 6, ",\"\\\"\"]", 6);
	assert_true(w.cap > w.len);

	jw_reset(&w);
	for (int i = 0; i < JW_MAX_DEPTH + 2; i++)
		jw_arr_begin(&w, NULL);
	assert_int_equal(w.oom, 1);
	assert_true(w.depth < JW_MAX_DEPTH);

	jw_reset(&w);
	assert_int_equal(w.oom, 0);
	jw_obj_begin(&w, NULL);
	jw_end(&w);
	jw_end(&w); /* one too many */
	assert_int_equal(w.oom, 1);
	jw_free(&w);
}

/* ---------------------------------------------------------------------
 * Address prefixes.
 * --------------------------------------------------------------------- */

static struct ip_addr addr(const char *s)
{
	struct ip_addr a;
	if (ip_addr_parse(s, &a) < 0)
		fail_msg("bad test address %s", s);
	return a;
}

static void test_cidr_parse_errors(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"10.0.0.0/33", "fe80::/129", "abc", "10.0.0.1/", "", "/8", "10.0.0.0/8x",
		"10.0.0.0/-1", "10.0.0.0//8", "10.0.0/8", "1.2.3.4.5", "10.0.0.0/99999999999999999999",
		"2001:db8:::1/64",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cidr c;
		const char *why = NULL;
		if (cidr_parse(bad[i], &c, &why) != -1)
			fail_msg("\"%s\" parsed", bad[i]);
		assert_non_null(why);
		assert_true(strlen(why) > 0);
	}
	struct cidr c;
	const char *why = NULL;
	assert_int_equal(cidr_parse("10.0.0.0/33", &c, &why), -1);
	assert_string_equal(why, "prefix length must be 0 to 32");
	assert_int_equal(cidr_parse("fe80::/129", &c, &why), -1);
	assert_string_equal(why, "prefix length must be 0 to 128");
}

static void assert_parses(const char *s, const char *net, unsigned bits)
{
	struct cidr c;
	const char *why = NULL;
	char buf[IP_ADDR_STRLEN];
	if (cidr_parse(s, &c, &why) != 0)
		fail_msg("\"%s\": %s", s, why);
	assert_string_equal(ip_addr_str(&c.net, buf, sizeof(buf)), net);
	assert_int_equal(c.bits, bits);
	/* Bytes past the address stay zero (IPv4 in the first 4 of 16). */
	struct ip_addr want = addr(net);
	assert_memory_equal(c.net.a, want.a, 16);
}

static void test_cidr_host_bits_cleared(void **state)
{
	(void)state;
	assert_parses("10.1.2.3/8", "10.0.0.0", 8);
	assert_parses("192.168.1.255/25", "192.168.1.128", 25);
	assert_parses("172.31.255.255/12", "172.16.0.0", 12);
	assert_parses("10.1.2.3/0", "0.0.0.0", 0);
	assert_parses("10.1.2.3/32", "10.1.2.3", 32);
	assert_parses("10.1.2.3", "10.1.2.3", 32);
	assert_parses("2001:db8:ffff::1/32", "2001:db8::", 32);
	assert_parses("fdff:ffff::1/7", "fc00::", 7);
	assert_parses("2001:db8::ffff/127", "2001:db8::fffe", 127);
	assert_parses("::1", "::1", 128);
	assert_parses("2001:db8::1/0", "::", 0);
}

static int contains(const char *net, const char *a)
{
	struct cidr_list l;
	struct cidr c;
	const char *why;
	memset(&l, 0, sizeof(l));
	assert_int_equal(cidr_parse(net, &c, &why), 0);
	assert_int_equal(cidr_list_add(&l, &c), 0);
	struct ip_addr x = addr(a);
	return cidr_list_contains(&l, &x);
}

static void test_cidr_contains_boundaries(void **state)
{
	(void)state;
	/* Whole-byte prefix. */
	assert_true(contains("10.0.0.0/8", "10.0.0.0"));
	assert_true(contains("10.0.0.0/8", "10.255.255.255"));
	assert_false(contains("10.0.0.0/8", "9.255.255.255"));
	assert_false(contains("10.0.0.0/8", "11.0.0.0"));
	/* Prefixes ending inside a byte. */
	assert_true(contains("172.16.0.0/12", "172.31.255.255"));
	assert_false(contains("172.16.0.0/12", "172.32.0.0"));
	assert_false(contains("172.16.0.0/12", "172.15.255.255"));
	assert_true(contains("100.64.0.0/10", "100.127.255.255"));
	assert_false(contains("100.64.0.0/10", "100.128.0.0"));
	assert_false(contains("100.64.0.0/10", "100.63.255.255"));
	assert_true(contains("192.168.1.128/25", "192.168.1.128"));
	assert_false(contains("192.168.1.128/25", "192.168.1.127"));
	assert_true(contains("10.0.0.0/31", "10.0.0.1"));
	assert_false(contains("10.0.0.0/31", "10.0.0.2"));
	/* /32, /0. */
	assert_true(contains("10.1.2.3/32", "10.1.2.3"));
	assert_false(contains("10.1.2.3/32", "10.1.2.2"));
	assert_true(contains("0.0.0.0/0", "255.255.255.255"));
	assert_false(contains("0.0.0.0/0", "::ffff:10.0.0.1")); /* families never mix */

	/* IPv6. */
	assert_true(contains("fc00::/7", "fc00::"));
	assert_true(contains("fc00::/7", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	assert_false(contains("fc00::/7", "fe00::"));
	assert_false(contains("fc00::/7", "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	assert_true(contains("2001:db8::/64", "2001:db8::ffff:ffff:ffff:ffff"));
	assert_false(contains("2001:db8::/64", "2001:db8:0:1::"));
	assert_true(contains("2001:db8::/65", "2001:db8::7fff:ffff:ffff:ffff"));
	assert_false(contains("2001:db8::/65", "2001:db8::8000:0:0:0"));
	assert_true(contains("2001:db8::1/128", "2001:db8::1"));
	assert_false(contains("2001:db8::1/128", "2001:db8::"));
	assert_true(contains("::/0", "2001:db8::1"));
	assert_false(contains("::/0", "10.0.0.1"));
}

static void test_cidr_lists(void **state)
{
	(void)state;
	struct cidr_list l;
	cidr_list_default_devices(&l);
	assert_int_equal(l.n, 5);
	struct ip_addr a = addr("10.1.2.3");
	assert_true(cidr_list_contains(&l, &a));
	a = addr("100.64.0.1");
	assert_true(cidr_list_contains(&l, &a));
	a = addr("fd00::2");
	assert_true(cidr_list_contains(&l, &a));
	a = addr("198.51.100.7");
	assert_false(cidr_list_contains(&l, &a));
	a = addr("2001:db8::1");
	assert_false(cidr_list_contains(&l, &a));
	struct ip_addr none;
	memset(&none, 0, sizeof(none));
	assert_false(cidr_list_contains(&l, &none));

	/* The list refuses entry CIDR_LIST_MAX + 1. */
	struct cidr c;
	const char *why;
	assert_int_equal(cidr_parse("192.0.2.0/24", &c, &why), 0);
	memset(&l, 0, sizeof(l));
	for (int i = 0; i < CIDR_LIST_MAX; i++)
		assert_int_equal(cidr_list_add(&l, &c), 0);
	assert_int_equal(cidr_list_add(&l, &c), -1);
	assert_int_equal(l.n, CIDR_LIST_MAX);

	char buf[IP_ADDR_STRLEN];
	assert_string_equal(ip_addr_str(&none, buf, sizeof(buf)), "");
}

/* ---------------------------------------------------------------------
 * Counter names: one pass nests them (output-json.c), so the names of one
 * dotted prefix must stay together.
 * --------------------------------------------------------------------- */

/* 1 when name starts with the first plen bytes of prefix. */
static int has_prefix(const char *name, const char *prefix, size_t plen)
{
	return strncmp(name, prefix, plen) == 0;
}

static void test_counter_prefixes_stay_together(void **state)
{
	(void)state;
	for (int i = 0; i < CNT__MAX; i++) {
		const char *name = counter_names[i];
		assert_non_null(name);
		size_t n = strlen(name);
		/* Non-empty components. */
		if (n == 0 || name[0] == '.' || name[n - 1] == '.' || strstr(name, ".."))
			fail_msg("counter %d has a bad name \"%s\"", i, name);
		for (int j = 0; j < CNT__MAX; j++) {
			const char *other = counter_names[j];
			if (j != i && strcmp(name, other) == 0)
				fail_msg("counter \"%s\" twice", name);
			/* A leaf may not also be an object. */
			if (j != i && has_prefix(other, name, n) && other[n] == '.')
				fail_msg("\"%s\" is a counter and the prefix of \"%s\"", name, other);
		}
		/* Each prefix "a." "a.b." of this name: if an earlier name had
		 * it, the name just before must have it too, or the prefix
		 * came back after another one came between. */
		for (size_t k = 0; k < n; k++) {
			if (name[k] != '.')
				continue;
			size_t plen = k + 1;
			for (int j = 0; j < i - 1; j++) {
				if (has_prefix(counter_names[j], name, plen) &&
				    !has_prefix(counter_names[i - 1], name, plen))
					fail_msg("prefix \"%.*s\" of \"%s\" reappears after \"%s\"",
						 (int)plen, name, name, counter_names[i - 1]);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_nesting_and_commas),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_json_utf8),
		cmocka_unit_test(test_json_growth_and_misuse),
		cmocka_unit_test(test_cidr_parse_errors),
		cmocka_unit_test(test_cidr_host_bits_cleared),
		cmocka_unit_test(test_cidr_contains_boundaries),
		cmocka_unit_test(test_cidr_lists),
		cmocka_unit_test(test_counter_prefixes_stay_together),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
