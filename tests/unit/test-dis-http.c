/*
 * test-dis-http.c - the HTTP/1.x dissector (dissectors/http.c) through its
 * descriptor: pairing of pipelined requests and responses, fields split at
 * every byte, chunked bodies, HEAD and 204, 100-continue, invalid start
 * lines and chunk sizes, every cut of a message, stream gaps, tunnels,
 * HTTP/0.9, the line cap, url.* from the request target and Host, and
 * OMA-DM (SyncML XML with FUMO LocURIs, WBXML).
 *
 * Messages are written line by line as C strings; each chunk is handed to
 * parse() in its own heap copy of exactly its length, so a read past it is
 * caught by ASan or valgrind.  Outputs are compared as exact JSON strings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "counters.h"
#include "dissector.h"
#include "intent.h"
#include "util-json.h"
#include "util-sha256.h"

extern const struct dissector dissector_http;

/* ---------------------------------------------------------------------
 * Harness.
 * --------------------------------------------------------------------- */

struct h {
	struct counters cnt;
	struct dissect_ctx ctx;
	struct flow f;
	void *state;
	struct jw w;
};

static struct h *h_new(void)
{
	struct h *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	h->ctx.cnt = &h->cnt;
	h->f.key.proto = 6;
	h->f.key.family = 4;
	h->state = calloc(1, dissector_http.state_size);
	assert_non_null(h->state);
	jw_init(&h->w);
	return h;
}

static void h_free(struct h *h)
{
	dissector_http.free(h->state);
	free(h->state);
	jw_free(&h->w);
	free(h);
}

/* Hands n bytes to parse() in a heap copy of exactly n bytes. */
static void feedn(struct h *h, int dir, const char *s, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	assert_non_null(p);
	memcpy(p, s, n);
	dissector_http.parse(&h->ctx, &h->f, h->state, dir, p, n);
	free(p);
}

static void feed(struct h *h, int dir, const char *s) { feedn(h, dir, s, strlen(s)); }

/* Feeds s cut into pieces of at most step bytes. */
static void feed_steps(struct h *h, int dir, const char *s, size_t step)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i += step)
		feedn(h, dir, s + i, n - i < step ? n - i : step);
}

static const char *ecs(struct h *h)
{
	jw_reset(&h->w);
	jw_obj_begin(&h->w, NULL);
	dissector_http.json_ecs(h->state, &h->w);
	jw_end(&h->w);
	return h->w.buf;
}

static const char *apn(struct h *h)
{
	jw_reset(&h->w);
	jw_obj_begin(&h->w, NULL);
	dissector_http.json_apnwatch(h->state, &h->w);
	jw_end(&h->w);
	return h->w.buf;
}

static uint64_t cnt(struct h *h, enum counter_id id) { return h->cnt.v[id]; }

/* ---------------------------------------------------------------------
 * Messages.
 * --------------------------------------------------------------------- */

/* A Quectel module's firmware download, as apngen makes it. */
static const char fota_req[] =
	"GET /firmware/EC21.bin?v=2&x= HTTP/1.1\r\n" /* method SP target SP version */
	"Host: fota.example.com:8080\r\n"             /* Host with a port */
	"User-Agent: QUECTEL_MODULE\r\n"
	"Accept: */*\r\n"
	"\r\n"; /* end of fields; GET without Content-Length: no body */

static const char fota_resp[] =
	"HTTP/1.1 200 OK\r\n"                       /* version SP status SP reason */
	"Content-Type: application/octet-stream\r\n" /* -> http.response.mime_type */
	"Content-Length: 10\r\n"                     /* -> body.bytes */
	"\r\n"
	"0123456789"; /* the body: skipped, never buffered */

static const char fota_ecs[] =
	"{\"http\":{\"request\":{\"method\":\"GET\"},"
	"\"response\":{\"status_code\":200,\"mime_type\":\"application/octet-stream\","
	"\"body\":{\"bytes\":10}},\"version\":\"1.1\"},"
	"\"url\":{\"original\":\"/firmware/EC21.bin?v=2&x=\",\"path\":\"/firmware/EC21.bin\","
	"\"query\":\"v=2&x=\",\"domain\":\"fota.example.com\",\"port\":8080},"
	"\"user_agent\":{\"original\":\"QUECTEL_MODULE\"}}";

static const char fota_apn[] =
	"{\"http\":{\"transactions\":1,\"requests\":[{\"method\":\"GET\","
	"\"host\":\"fota.example.com:8080\",\"uri\":\"/firmware/EC21.bin?v=2&x=\","
	"\"status\":200,\"response_bytes\":10,\"content_type\":\"application/octet-stream\"}]}}";

/* ---------------------------------------------------------------------
 * Tests.
 * --------------------------------------------------------------------- */

static void test_probe(void **unused)
{
	(void)unused;
	static const char *const yes[] = {"GET / HTTP/1.1\r\n", "POST /", "PUT /", "HEAD /",
					  "DELETE /", "OPTIONS *", "PATCH /", "CONNECT a:443",
					  "HTTP/1.1 200 OK\r\n", "HTTP/1.0 404"};
	static const char *const no[] = {"GETX / HTTP/1.1", "get / HTTP/1.1", "HTTP/2 200",
					 "SSH-2.0-OpenSSH", "", "GET", "SUBSCRIBE / HTTP/1.1"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_int_equal(dissector_http.probe((const uint8_t *)yes[i], strlen(yes[i]), 0), 1);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_int_equal(dissector_http.probe((const uint8_t *)no[i], strlen(no[i]), 1), 0);
	assert_int_equal(dissector_http.transport, 6);
}

static void test_simple_exchange(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	feed(h, 0, fota_req);
	feed(h, 1, fota_resp);
	assert_string_equal(ecs(h), fota_ecs);
	assert_string_equal(apn(h), fota_apn);
	enum server_name_source how = SNAME_NONE;
	assert_string_equal(dissector_http.server_name(h->state, &how), "fota.example.com");
	assert_int_equal(how, SNAME_HTTP);
	assert_int_equal(cnt(h, CNT_DIS_HTTP_FLOWS), 1);
	assert_int_equal(cnt(h, CNT_DIS_HTTP_MESSAGES), 2);
	assert_int_equal(cnt(h, CNT_DIS_HTTP_INVALID), 0);
	h_free(h);
}

/* Every split point of the request and of the response, and one byte at a
 * time: the same output as whole messages. */
static void test_split_at_every_byte(void **unused)
{
	(void)unused;
	for (size_t step = 1; step <= 3; step++) {
		struct h *h = h_new();
		feed_steps(h, 0, fota_req, step);
		feed_steps(h, 1, fota_resp, step);
		assert_string_equal(ecs(h), fota_ecs);
		assert_string_equal(apn(h), fota_apn);
		h_free(h);
	}
	for (int which = 0; which < 2; which++) {
		const char *m = which ? fota_resp : fota_req;
		for (size_t k = 0; k <= strlen(m); k++) {
			struct h *h = h_new();
			if (which)
				feed(h, 0, fota_req);
			feedn(h, which, m, k);
			feedn(h, which, m + k, strlen(m) - k);
			if (!which)
				feed(h, 1, fota_resp);
			assert_string_equal(ecs(h), fota_ecs);
			assert_string_equal(apn(h), fota_apn);
			assert_int_equal(cnt(h, CNT_DIS_HTTP_INVALID), 0);
			h_free(h);
		}
	}
}

/* Three requests sent before any response (pipelining, RFC 9112 9.3.2);
 * the responses come in order, the HEAD's without a body although it has
 * a Content-Length, then a 204 and a chunked one. */
static void test_pipelined(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	feed(h, 0,
	     "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"     /* 1: GET */
	     "HEAD /b HTTP/1.1\r\nHost: h\r\n\r\n"    /* 2: HEAD: its response has no body */
	     "DELETE /c HTTP/1.1\r\nHost: h\r\n\r\n" /* 3: DELETE */
	     "POST /d HTTP/1.1\r\nHost: h\r\n"       /* 4: POST with a 3-byte body */
	     "Content-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc");
	feed(h, 1,
	     "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello"
	     "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n"
	     "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n"
	     "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
	     "4\r\nwiki\r\n0\r\n\r\n");
	assert_string_equal(
		apn(h),
		"{\"http\":{\"transactions\":4,\"requests\":["
		"{\"method\":\"GET\",\"host\":\"h\",\"uri\":\"/a\",\"status\":200,"
		"\"response_bytes\":5,\"content_type\":\"text/html\"},"
		"{\"method\":\"HEAD\",\"host\":\"h\",\"uri\":\"/b\",\"status\":200,"
		"\"content_type\":\"text/html\"},"
		"{\"method\":\"DELETE\",\"host\":\"h\",\"uri\":\"/c\",\"status\":204},"
		"{\"method\":\"POST\",\"host\":\"h\",\"uri\":\"/d\",\"status\":201,"
		"\"response_bytes\":4}]}}");
	assert_int_equal(cnt(h, CNT_DIS_HTTP_MESSAGES), 8);
	assert_int_equal(cnt(h, CNT_DIS_HTTP_INVALID), 0);
	enum server_name_source how;
	assert_string_equal(dissector_http.server_name(h->state, &how), "h");
	h_free(h);
}

/* A chunked response (RFC 9112 7.1): extensions, a trailer, and the next
 * response right after it; the chunked body's size is counted. */
static void test_chunked(void **unused)
{
	(void)unused;
	static const char resp[] =
		"HTTP/1.1 200 OK\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"Transfer-Encoding: gzip, chunked\r\n" /* chunked is the final coding */
		"\r\n"
		"1a;name=value\r\n"                     /* chunk-size 0x1a, an extension */
		"abcdefghijklmnopqrstuvwxyz\r\n"        /* 26 bytes of data, CRLF */
		"A \r\n"                                /* 10, trailing whitespace */
		"0123456789\r\n"
		"0\r\n"                                 /* last chunk */
		"Expires: never\r\n"                    /* a trailer field */
		"\r\n"
		"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
	for (size_t step = 1; step <= strlen(resp); step += step < 8 ? 1 : 50) {
		struct h *h = h_new();
		feed(h, 0, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n");
		feed_steps(h, 1, resp, step);
		assert_string_equal(apn(h), "{\"http\":{\"transactions\":2,\"requests\":["
					    "{\"method\":\"GET\",\"uri\":\"/1\",\"status\":200,"
					    "\"response_bytes\":36,"
					    "\"content_type\":\"text/plain; charset=utf-8\"},"
					    "{\"method\":\"GET\",\"uri\":\"/2\",\"status\":404,"
					    "\"response_bytes\":0}]}}");
		assert_string_equal(ecs(h),
				    "{\"http\":{\"request\":{\"method\":\"GET\"},"
				    "\"response\":{\"status_code\":200,\"mime_type\":\"text/plain\","
				    "\"body\":{\"bytes\":36}},\"version\":\"1.1\"},"
				    "\"url\":{\"original\":\"/1\",\"path\":\"/1\"}}");
		assert_int_equal(cnt(h, CNT_DIS_HTTP_INVALID), 0);
		h_free(h);
	}
}

/* A chunked request body is counted too; Content-Type goes to
 * http.request.mime_type without its parameters. */
static void test_chunked_request(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	feed(h, 0,
	     "POST /up HTTP/1.1\r\nHost: [2001:db8::1]:8000\r\n"
	     "Content-Type: application/json ; charset=utf-8\r\n"
	     "Transfer-Encoding: chunked\r\n\r\n"
	     "3\r\n{}\n\r\n0\r\n\r\n");
	feed(h, 1, "HTTP/1.0 200 OK\r\n\r\nclose-delimited body");
	assert_string_equal(ecs(h),
			    "{\"http\":{\"request\":{\"method\":\"POST\","
			    "\"mime_type\":\"application/json\",\"body\":{\"bytes\":3}},"
			    "\"response\":{\"status_code\":200,\"body\":{\"bytes\":20}},"
			    "\"version\":\"1.1\"},"
			    "\"url\":{\"original\":\"/up\",\"path\":\"/up\","
			    "\"domain\":\"[2001:db8::1]\",\"port\":8000}}");
	/* An IP literal names no server: the DNS cache may. */
	enum server_name_source how = SNAME_NONE;
	assert_null(dissector_http.server_name(h->state, &how));
	h_free(h);
}

/* Expect: 100-continue: the interim response does not answer the request;
 * the body follows it, then the final response. */
static void test_100_continue(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	feed(h, 0,
	     "PUT /log HTTP/1.1\r\nHost: x.test\r\nExpect: 100-continue\r\n"
	     "Content-Length: 4\r\n\r\n");
	feed(h, 1, "HTTP/1.1 100 Continue\r\n\r\n");
	feed(h, 0, "data");
	feed(h, 1, "HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
	assert_string_equal(apn(h), "{\"http\":{\"transactions\":1,\"requests\":["
				    "{\"method\":\"PUT\",\"host\":\"x.test\",\"uri\":\"/log\","
				    "\"status\":201,\"response_bytes\":0}]}}");
	assert_string_equal(ecs(h), "{\"http\":{\"request\":{\"method\":\"PUT\","
				    "\"body\":{\"bytes\":4}},\"response\":{\"status_code\":201,"
				    "\"body\":{\"bytes\":0}},\"version\":\"1.1\"},"
				    "\"url\":{\"original\":\"/log\",\"path\":\"/log\","
				    "\"domain\":\"x.test\"}}");
	assert_int_equal(cnt(h, CNT_DIS_HTTP_MESSAGES), 4);
	h_free(h);
}

/* Invalid start lines and framing: counted, parsing goes on at the next
 * segment that starts a message. */
static void test_invalid(void **unused)
{
	(void)unused;
	static const char *const bad_req[] = {
		"GET /x HTTP/2.0\r\n\r\n",         /* not HTTP/1.x */
		"G@T /x HTTP/1.1\r\n\r\n",         /* method not a token */
		"GET /x HTTP/1.1 extra\r\n\r\n",   /* a fourth word */
		"GET\r\n\r\n",                     /* no target */
		"HTTP/1.1 200 OK\r\n\r\n",         /* a status line from the client side */
		"POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",  /* bad length */
		"POST / HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\n", /* disagreeing list */
		"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", /* not chunked */
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", /* chunk size */
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", /* no CRLF */
	};
	for (size_t i = 0; i < sizeof(bad_req) / sizeof(bad_req[0]); i++) {
		struct h *h = h_new();
		feed(h, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"); /* sets the roles */
		feed(h, 0, bad_req[i]);
		if (cnt(h, CNT_DIS_HTTP_INVALID) != 1)
			fail_msg("bad request %zu", i);
		/* The rest of that segment is dropped (a partial line too); the
		 * next request on a segment of its own is read. */
		feed(h, 0, "Accept: */*\r\nX-Partial: ab");
		feed(h, 0, "GET /ok HTTP/1.1\r\n\r\n");
		assert_non_null(strstr(apn(h), "\"uri\":\"/ok\""));
		h_free(h);
	}
	/* An invalid line with a partial line behind it in the same segment:
	 * the partial line is not glued to the next request. */
	struct h *h = h_new();
	feed(h, 0, "GET /1 HTTP/1.1\r\n\r\n");
	feed(h, 0, "GET /x HTTP/7.0\r\nHost: a\r\nUser-Age");
	feed(h, 0, "GET /ok HTTP/1.1\r\n\r\n");
	assert_int_equal(cnt(h, CNT_DIS_HTTP_INVALID), 1);
	assert_non_null(strstr(apn(h), "\"transactions\":2,"));
	assert_non_null(strstr(apn(h), "\"uri\":\"/ok\""));
	h_free(h);

	static const char *const bad_resp[] = {
		"HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 099 x\r\n\r\n",
		"HTTP/1.x 200 OK\r\n\r\n", "garbage\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad_resp) / sizeof(bad_resp[0]); i++) {
		h = h_new();
		feed(h, 0, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n");
		feed(h, 1, bad_resp[i]);
		assert_int_equal(cnt(h, CNT_DIS_HTTP_INVALID), 1);
		feed(h, 1, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
		/* Bytes that start no response answer /1 (its start was lost); a
		 * response whose framing is invalid answered /1 itself. */
		assert_non_null(strstr(apn(h), "\"uri\":\"/2\",\"status\":404"));
		h_free(h);
	}
}

/* Every cut of an exchange: no crash; a gap right after the cut counts
 * truncated exactly when a message was in progress. */
static void test_every_cut(void **unused)
{
	(void)unused;
	static const char post[] =
		"POST /dm HTTP/1.1\r\nHost: dm.example.net\r\n"
		"Content-Type: application/vnd.syncml.dm+xml\r\nContent-Length: 24\r\n\r\n"
		"<LocURI>./FUMO</LocURI>\n";
	static const char resp[] =
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
	for (int dir = 0; dir < 2; dir++) {
		const char *m = dir ? resp : post;
		size_t n = strlen(m);
		for (size_t k = 0; k <= n; k++) {
			struct h *h = h_new();
			if (dir)
				feed(h, 0, post);
			feedn(h, dir, m, k);
			dissector_http.gap(&h->ctx, &h->f, h->state, dir);
			(void)ecs(h);
			(void)apn(h);
			assert_int_equal(cnt(h, CNT_DIS_HTTP_TRUNC), k > 0 && k < n ? 1 : 0);
			assert_int_equal(cnt(h, CNT_DIS_HTTP_INVALID), 0);
			/* After the gap, a message on a new segment is read again. */
			feed(h, 0, "GET /after HTTP/1.1\r\n\r\n");
			assert_non_null(strstr(apn(h), "/after"));
			h_free(h);
		}
	}
}

/* A gap in the server's stream in the middle of a body: the next response
 * pairs with the next request. */
static void test_gap_resync(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	feed(h, 0, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n");
	feed(h, 1, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123");
	dissector_http.gap(&h->ctx, &h->f, h->state, 1);
	feed(h, 1, "56789");                        /* the rest of the body: dropped */
	dissector_http.gap(&h->ctx, &h->f, h->state, 1); /* nothing in progress: no count */
	feed(h, 1, "HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n");
	assert_string_equal(apn(h), "{\"http\":{\"transactions\":3,\"requests\":["
				    "{\"method\":\"GET\",\"uri\":\"/1\",\"status\":200,"
				    "\"response_bytes\":100},"
				    "{\"method\":\"GET\",\"uri\":\"/2\",\"status\":302,"
				    "\"response_bytes\":0},"
				    "{\"method\":\"GET\",\"uri\":\"/3\"}]}}");
	assert_int_equal(cnt(h, CNT_DIS_HTTP_TRUNC), 1);
	h_free(h);
}

/* CONNECT 2xx and 101 end HTTP on the connection; what follows is not read. */
static void test_tunnels(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	feed(h, 0, "CONNECT fota.example.com:443 HTTP/1.1\r\nHost: fota.example.com:443\r\n\r\n");
	feed(h, 1, "HTTP/1.1 200 Connection established\r\n\r\n");
	feed(h, 0, "\x16\x03\x01\x02\x00GET / HTTP/1.1\r\n\r\n");
	feed(h, 1, "HTTP/1.1 200 OK\r\n\r\n");
	assert_string_equal(ecs(h), "{\"http\":{\"request\":{\"method\":\"CONNECT\"},"
				    "\"response\":{\"status_code\":200},\"version\":\"1.1\"},"
				    "\"url\":{\"original\":\"fota.example.com:443\","
				    "\"domain\":\"fota.example.com\",\"port\":443}}");
	assert_non_null(strstr(apn(h), "\"transactions\":1,"));
	assert_int_equal(cnt(h, CNT_DIS_HTTP_INVALID), 0);
	h_free(h);

	h = h_new();
	feed(h, 0, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
	feed(h, 1, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello");
	feed(h, 0, "\x81\x85....garbage");
	assert_non_null(strstr(apn(h), "\"status\":101}"));
	assert_int_equal(cnt(h, CNT_DIS_HTTP_INVALID), 0);
	h_free(h);
}

/* The device may be the server: roles come from the first start line.
 * An absolute-form target (to a proxy) gives url.path and the domain when
 * Host is missing; HTTP/0.9's response is a bare body. */
static void test_roles_and_forms(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	feed(h, 1, "GET http://user@proxy.test:3128/a/b?c#frag HTTP/1.0\r\n\r\n");
	feed(h, 0, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
	assert_string_equal(ecs(h), "{\"http\":{\"request\":{\"method\":\"GET\"},"
				    "\"response\":{\"status_code\":200,\"body\":{\"bytes\":2}},"
				    "\"version\":\"1.0\"},"
				    "\"url\":{\"original\":\"http://user@proxy.test:3128/a/b?c#frag\","
				    "\"path\":\"/a/b\",\"query\":\"c\",\"domain\":\"proxy.test\","
				    "\"port\":3128}}");
	h_free(h);

	h = h_new();
	feed(h, 0, "GET /\r\n"); /* HTTP/0.9 (RFC 1945 4.1) */
	feed(h, 1, "<html>simple</html>");
	feed(h, 1, "\n");
	assert_string_equal(ecs(h), "{\"http\":{\"request\":{\"method\":\"GET\"},"
				    "\"response\":{\"body\":{\"bytes\":20}},\"version\":\"0.9\"},"
				    "\"url\":{\"original\":\"/\",\"path\":\"/\"}}");
	assert_string_equal(apn(h), "{\"http\":{\"transactions\":1,\"requests\":["
				    "{\"method\":\"GET\",\"uri\":\"/\",\"response_bytes\":20}]}}");
	h_free(h);
}

/* A TCP keep-alive probe's byte, taken as data when the capture began in
 * the middle of the connection, does not spoil the next request. */
static void test_keepalive_byte(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	feedn(h, 0, "\x00", 1);
	feed(h, 0, "GET /ping HTTP/1.1\r\nHost: p.test\r\n\r\n");
	assert_non_null(strstr(apn(h), "\"uri\":\"/ping\""));
	assert_int_equal(cnt(h, CNT_DIS_HTTP_INVALID), 0);
	h_free(h);
}

/* A line over 8 KiB: counted oversize, the direction is given up; memory
 * stays bounded (valgrind/ASan). */
static void test_oversize(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	feed(h, 0, "GET / HTTP/1.1\r\nCookie: ");
	char big[1024];
	memset(big, 'a', sizeof(big));
	for (int i = 0; i < 10; i++)
		feedn(h, 0, big, sizeof(big));
	feed(h, 0, "\r\n\r\nGET /2 HTTP/1.1\r\n\r\n");
	assert_int_equal(cnt(h, CNT_DIS_HTTP_OVERSIZE), 1);
	assert_null(strstr(apn(h), "/2"));
	h_free(h);

	/* More than 16 transactions: all counted, 16 listed. */
	h = h_new();
	for (int i = 0; i < 40; i++) {
		feed(h, 0, "GET /n HTTP/1.1\r\n\r\n");
		feed(h, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	}
	assert_non_null(strstr(apn(h), "\"transactions\":40,"));
	const char *p = apn(h);
	int n = 0;
	while ((p = strstr(p, "\"uri\"")) != NULL)
		n++, p++;
	assert_int_equal(n, 16);
	h_free(h);
}

/* OMA-DM 1.2 (OMA-TS-DM_Protocol): a server's package 2 to a device,
 * SyncML XML over HTTP, asking for the FUMO MO's nodes (OMA-TS-DM-FUMO:
 * ./FUMO/<x>/PkgURL, ./FUMO/<x>/DownloadAndUpdate, .../State) and one
 * node of DevInfo that is not FUMO's.  Made up for the test from the node
 * names of the specifications. */
static const char omadm_body[] =
	"<SyncML xmlns=\"SYNCML:SYNCML1.2\">"
	"<SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>"
	"<SessionID>1</SessionID><MsgID>2</MsgID>"
	"<Target><LocURI>IMEI:490154203237518</LocURI></Target>" /* the device: not FUMO */
	"<Source><LocURI>https://dm.example.net/dm</LocURI></Source></SyncHdr>"
	"<SyncBody>"
	"<Replace><CmdID>3</CmdID><Item><Target>"
	"<LocURI>./FUMO/fw1/Download/PkgURL</LocURI>" /* where to fetch the package */
	"</Target><Data>http://fw.example.net/pkg.bin</Data></Item></Replace>"
	"<Exec><CmdID>4</CmdID><Item><Target>"
	"<LocURI> ./FUMO/fw1/DownloadAndUpdate </LocURI>" /* whitespace is trimmed */
	"</Target></Item></Exec>"
	"<Get><CmdID>5</CmdID><Item><Target>"
	"<LocURI>./Vendor/Acme/FwUpd/State</LocURI>" /* a vendor's MO: .../State */
	"</Target></Item></Get>"
	"<Get><CmdID>6</CmdID><Item><Target>"
	"<LocURI>./DevInfo/Mod</LocURI>" /* device info: not FUMO */
	"</Target></Item></Get>"
	"<Get><CmdID>7</CmdID><Item><Target>"
	"<LocURI>./FUMO/fw1/Download/PkgURL</LocURI>" /* again: listed once */
	"</Target></Item></Get>"
	"<Final/></SyncBody></SyncML>";

static const char omadm_apn_tail[] =
	"\"omadm\":{\"syncml\":true,\"content_type\":\"application/vnd.syncml.dm+xml\","
	"\"messages\":2,\"fumo\":true,\"fumo_nodes\":[\"./FUMO/fw1/Download/PkgURL\","
	"\"./FUMO/fw1/DownloadAndUpdate\",\"./Vendor/Acme/FwUpd/State\"]}}";

static void test_omadm_fumo(void **unused)
{
	(void)unused;
	char resp[4096];
	int n = snprintf(resp, sizeof(resp),
			 "HTTP/1.1 200 OK\r\n"
			 "Content-Type: application/vnd.syncml.dm+xml; charset=utf-8\r\n"
			 "Content-Length: %zu\r\n\r\n%s",
			 strlen(omadm_body), omadm_body);
	assert_true(n > 0 && (size_t)n < sizeof(resp));
	static const char req[] = "POST /dm HTTP/1.1\r\nHost: dm.example.net\r\n"
				  "Content-Type: application/vnd.syncml.dm+xml\r\n"
				  "Content-Length: 9\r\n\r\n<SyncML/>";
	/* Whole, then cut at every byte: tags split across segments. */
	for (size_t step = 0; step <= 40; step += step < 12 ? 1 : 7) {
		struct h *h = h_new();
		feed(h, 0, req);
		if (step == 0)
			feed(h, 1, resp);
		else
			feed_steps(h, 1, resp, step);
		assert_non_null(strstr(apn(h), omadm_apn_tail));
		assert_non_null(strstr(ecs(h), "\"mime_type\":\"application/vnd.syncml.dm+xml\""));
		h_free(h);
	}
	/* Chunked, and the tag split exactly across two chunks. */
	struct h *h = h_new();
	feed(h, 0, "POST /dm HTTP/1.1\r\nContent-Type: application/vnd.syncml+xml\r\n"
		   "Transfer-Encoding: chunked\r\n\r\n"
		   "7\r\n<LocURI\r\n" "16\r\n>./FwUpdate/1</LocURI>\r\n0\r\n\r\n");
	assert_non_null(strstr(apn(h), "\"omadm\":{\"syncml\":true,\"content_type\":"
				       "\"application/vnd.syncml+xml\",\"messages\":1,"
				       "\"fumo\":true,\"fumo_nodes\":[\"./FwUpdate/1\"]}"));
	h_free(h);
}

static void test_omadm_wbxml(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	static const char req[] = "POST /dm HTTP/1.1\r\n"
				  "Content-Type: application/vnd.syncml.dm+wbxml\r\n"
				  "Content-Length: 6\r\n\r\n"
				  "\x02\xa4\x01\x6a\x00\x6d"; /* WBXML 1.2, SyncML public id */
	feedn(h, 0, req, sizeof(req) - 1);
	assert_non_null(strstr(apn(h), "\"omadm\":{\"syncml\":true,\"content_type\":"
				       "\"application/vnd.syncml.dm+wbxml\",\"wbxml\":true,"
				       "\"messages\":1,\"fumo\":false,\"fumo_nodes\":[]}"));
	h_free(h);

	/* No SyncML: no omadm object. */
	h = h_new();
	feed(h, 0, fota_req);
	assert_null(strstr(apn(h), "omadm"));
	h_free(h);
}

/* Bytes that are no HTTP at all on port 80: counted invalid, nothing written. */
static void test_not_http(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	feed(h, 0, "SSH-2.0-OpenSSH_9.2\r\n");
	feed(h, 0, "\x00\x00\x01\x02 more");
	feed(h, 1, "\x16\x03\x03");
	assert_string_equal(ecs(h), "{}");
	assert_string_equal(apn(h), "{}");
	assert_int_equal(cnt(h, CNT_DIS_HTTP_INVALID), 1); /* then it waits for a message */
	enum server_name_source how = SNAME_NONE;
	assert_null(dissector_http.server_name(h->state, &how));
	h_free(h);
}

/* ---------------------------------------------------------------------
 * Transfers (firmware evidence).
 * --------------------------------------------------------------------- */

/* printf 'EC21 firmware image 1.2.3\n' | sha256sum */
static const char fw_sha[] = "c8ead615128da9ac543ece51e34cc80087acd1d3d32bbb800b4172a3724de0c3";
/* printf 'second file' | sha256sum */
static const char second_sha[] =
	"54811cbc6c86311729b0a33e26c89087881b36b9ca3217d15cb5196e35f9a7e3";

static const char fw_len_resp[] = "HTTP/1.1 200 OK\r\n"
				  "Content-Type: application/octet-stream; x=y\r\n"
				  "Content-Length: 26\r\n"
				  "\r\n"
				  "EC21 firmware image 1.2.3\n";

/* The same 26 bytes in two chunks, with chunk extensions and a trailer. */
static const char fw_chunked_resp[] = "HTTP/1.1 200 OK\r\n"
				      "Transfer-Encoding: chunked\r\n"
				      "\r\n"
				      "9;name=\"v 1\"\r\n" /* 9 bytes, an extension */
				      "EC21 firm\r\n"
				      "11 ; x\r\n" /* 0x11 = 17 bytes */
				      "ware image 1.2.3\n\r\n"
				      "0;last\r\n"
				      "X-Checksum: none\r\n" /* a trailer */
				      "\r\n";

static size_t xfers(struct h *h, const struct app_transfer **v)
{
	return dissector_http.transfers(h->state, v);
}

static void assert_sha(const struct app_transfer *t, const char *want)
{
	char hex[65];
	assert_int_equal(t->hash_state, TRANSFER_HASH_OK);
	sha256_hex(t->sha256, hex);
	assert_string_equal(hex, want);
}

/* No hash where the state is not complete: all zero. */
static void assert_no_sha(const struct app_transfer *t, enum transfer_hash_state st)
{
	static const uint8_t zero[32];
	assert_int_equal(t->hash_state, st);
	assert_memory_equal(t->sha256, zero, 32);
}

static void test_xfer_length(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	h->ctx.now_us = 1000;
	feed(h, 0, fota_req);
	h->ctx.now_us = 2000;
	feed(h, 1, fw_len_resp);
	const struct app_transfer *v;
	assert_int_equal(xfers(h, &v), 1);
	assert_sha(&v[0], fw_sha);
	assert_string_equal(v[0].protocol, "http");
	assert_string_equal(v[0].method, "GET");
	assert_string_equal(v[0].name, "EC21.bin");
	assert_string_equal(v[0].url, "http://fota.example.com:8080/firmware/EC21.bin?v=2&x=");
	assert_string_equal(v[0].content_type, "application/octet-stream");
	assert_int_equal(v[0].size, 26);
	assert_int_equal(v[0].declared_size, 26);
	assert_int_equal(v[0].start_us, 2000);
	assert_int_equal(v[0].end_us, 2000);
	assert_int_equal(v[0].to_device, 1);
	assert_int_equal(v[0].status_ok, 1);
	assert_null(v[0].package_uri);
	/* Asked again (idempotent): the same. */
	assert_int_equal(xfers(h, &v), 1);
	assert_sha(&v[0], fw_sha);
	h_free(h);
}

/* Chunked: only the chunk data is hashed; cut at every byte, and in two
 * pieces at every boundary, the hash stays the same. */
static void test_xfer_chunked_and_splits(void **unused)
{
	(void)unused;
	const char *const resps[] = {fw_len_resp, fw_chunked_resp};
	for (size_t k = 0; k < 2; k++) {
		size_t n = strlen(resps[k]);
		for (size_t cut = 0; cut <= n; cut++) {
			struct h *h = h_new();
			feed(h, 0, "GET /fw/EC21.bin HTTP/1.1\r\nHost: fota.example.com\r\n\r\n");
			feedn(h, 1, resps[k], cut);
			feedn(h, 1, resps[k] + cut, n - cut);
			const struct app_transfer *v;
			assert_int_equal(xfers(h, &v), 1);
			assert_sha(&v[0], fw_sha);
			assert_int_equal(v[0].size, 26);
			assert_int_equal(v[0].declared_size, k == 0 ? 26 : 0);
			assert_string_equal(v[0].url, "http://fota.example.com/fw/EC21.bin");
			h_free(h);
		}
		struct h *h = h_new();
		feed(h, 0, "GET / HTTP/1.1\r\n\r\n");
		feed_steps(h, 1, resps[k], 1);
		const struct app_transfer *v;
		assert_int_equal(xfers(h, &v), 1);
		assert_sha(&v[0], fw_sha);
		assert_null(v[0].name); /* "/": no last segment */
		h_free(h);
	}
}

/* A gap in a body: no hash; the next message on the connection is fine. */
static void test_xfer_gap(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	feed(h, 0, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
	feed(h, 1, "HTTP/1.1 200 OK\r\nContent-Length: 26\r\n\r\nEC21 ");
	dissector_http.gap(&h->ctx, &h->f, h->state, 1);
	feed(h, 1, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nsecond file");
	const struct app_transfer *v;
	assert_int_equal(xfers(h, &v), 2);
	assert_no_sha(&v[0], TRANSFER_HASH_GAP);
	assert_int_equal(v[0].size, 5);
	assert_sha(&v[1], second_sha);
	h_free(h);

	/* A close-delimited body with a gap stays a gap at the FIN. */
	h = h_new();
	feed(h, 0, "GET /a HTTP/1.1\r\n\r\n");
	feed(h, 1, "HTTP/1.1 200 OK\r\n\r\nEC21 ");
	dissector_http.gap(&h->ctx, &h->f, h->state, 1);
	feed(h, 1, "image");
	h->f.tcp_close = 3;
	assert_int_equal(xfers(h, &v), 1);
	assert_no_sha(&v[0], TRANSFER_HASH_GAP);
	assert_int_equal(v[0].size, 10);
	h_free(h);
}

/* The flow's byte cap; 0 means the default (64 MiB). */
static void test_xfer_cap(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	h->ctx.transfer_max_bytes = 30;
	feed(h, 0, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
	feed(h, 1, fw_len_resp); /* 26: under */
	feed(h, 1, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nsecond file"); /* 37: over */
	const struct app_transfer *v;
	assert_int_equal(xfers(h, &v), 2);
	assert_sha(&v[0], fw_sha);
	assert_no_sha(&v[1], TRANSFER_HASH_CAP);
	assert_int_equal(v[1].size, 11);
	h_free(h);
}

/* Content codings, a part, an early end: sizes without a hash. */
static void test_xfer_not_whole(void **unused)
{
	(void)unused;
	static const struct {
		const char *resp;
		uint8_t state, status_ok;
		uint64_t size;
	} cases[] = {
		{"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc",
		 TRANSFER_HASH_ENCODED, 1, 3},
		{"HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\nContent-Length: 3\r\n\r\nabc",
		 TRANSFER_HASH_OK, 1, 3},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		 TRANSFER_HASH_ENCODED, 1, 3},
		{"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-2/26\r\n"
		 "Content-Length: 3\r\n\r\nabc",
		 TRANSFER_HASH_SHORT, 1, 3},
		{"HTTP/1.1 200 OK\r\nContent-Length: 26\r\n\r\nabc", TRANSFER_HASH_SHORT, 1, 3},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
		 TRANSFER_HASH_SHORT, 1, 3},
		{"HTTP/1.1 200 OK\r\n\r\nabc", TRANSFER_HASH_SHORT, 1, 3}, /* no FIN */
		{"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nabc", TRANSFER_HASH_OK, 0, 3},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
		 TRANSFER_HASH_ERROR, 1, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct h *h = h_new();
		feed(h, 0, "GET /fw.bin HTTP/1.1\r\nHost: h\r\n\r\n");
		feed(h, 1, cases[i].resp);
		const struct app_transfer *v;
		assert_int_equal(xfers(h, &v), 1);
		if (cases[i].state == TRANSFER_HASH_OK)
			/* printf 'abc' | sha256sum */
			assert_sha(&v[0], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
		else
			assert_no_sha(&v[0], cases[i].state);
		assert_int_equal(v[0].status_ok, cases[i].status_ok);
		assert_int_equal(v[0].size, cases[i].size);
		h_free(h);
	}
}

/* A body up to the close is whole when the server closed with a FIN. */
static void test_xfer_close(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	feed(h, 0, "GET /fw.bin HTTP/1.0\r\n\r\n");
	feed(h, 1, "HTTP/1.0 200 OK\r\n\r\nEC21 firmware ");
	feed(h, 1, "image 1.2.3\n");
	h->f.tcp_close = 2; /* FIN from the destination (direction 1) */
	const struct app_transfer *v;
	assert_int_equal(xfers(h, &v), 1);
	assert_sha(&v[0], fw_sha);
	assert_int_equal(v[0].declared_size, 0);
	h_free(h);

	/* Only the client closed, then a reset: short. */
	h = h_new();
	feed(h, 0, "GET /fw.bin HTTP/1.0\r\n\r\n");
	feed(h, 1, "HTTP/1.0 200 OK\r\n\r\nEC21 firmware ");
	h->f.tcp_close = 1 | 4;
	assert_int_equal(xfers(h, &v), 1);
	assert_no_sha(&v[0], TRANSFER_HASH_SHORT);
	h_free(h);

	/* HTTP/0.9: a bare body up to the close. */
	h = h_new();
	feed(h, 0, "GET /fw.bin\r\n");
	feed(h, 1, "EC21 firmware image 1.2.3\n");
	h->f.tcp_close = 3;
	assert_int_equal(xfers(h, &v), 1);
	assert_sha(&v[0], fw_sha);
	assert_int_equal(v[0].status_ok, 0);
	h_free(h);
}

/* Keep-alive: several transfers, bodiless responses skipped, at most 8
 * kept; an upload's success comes from its response. */
static void test_xfer_keepalive(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	feed(h, 0, "GET /a/one.bin HTTP/1.1\r\nHost: x\r\n\r\n"
		   "HEAD /a/one.bin HTTP/1.1\r\nHost: x\r\n\r\n"
		   "GET /a/one.bin HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"1\"\r\n\r\n"
		   "PUT /up/log.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nsecond file"
		   "POST /empty HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
		   "DELETE /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
	feed(h, 1, fw_len_resp);
	feed(h, 1, "HTTP/1.1 200 OK\r\nContent-Length: 26\r\n\r\n"); /* HEAD: no body */
	feed(h, 1, "HTTP/1.1 304 Not Modified\r\nContent-Length: 26\r\n\r\n");
	feed(h, 1, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
	feed(h, 1, "HTTP/1.1 204 No Content\r\n\r\n");
	feed(h, 1, "HTTP/1.1 204 No Content\r\n\r\n");
	const struct app_transfer *v;
	/* In the order the bodies began: the pipelined upload first. */
	assert_int_equal(xfers(h, &v), 2);
	assert_sha(&v[0], second_sha);
	assert_string_equal(v[0].method, "PUT");
	assert_string_equal(v[0].name, "log.txt");
	assert_string_equal(v[0].url, "http://x/up/log.txt");
	assert_int_equal(v[0].to_device, 0);
	assert_int_equal(v[0].status_ok, 1);
	assert_sha(&v[1], fw_sha);
	assert_string_equal(v[1].name, "one.bin");
	assert_int_equal(v[1].to_device, 1);
	h_free(h);

	h = h_new();
	for (int i = 0; i < 10; i++) {
		feed(h, 0, "GET /f HTTP/1.1\r\n\r\n");
		feed(h, 1, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nsecond file");
	}
	assert_int_equal(xfers(h, &v), 8);
	for (int i = 0; i < 8; i++)
		assert_sha(&v[i], second_sha);
	h_free(h);
}

/* No Host: the server's address names it; an absolute-form target is
 * the URL. */
static void test_xfer_url(void **unused)
{
	(void)unused;
	struct h *h = h_new();
	h->f.key.addr_lo[0] = 10, h->f.key.addr_lo[3] = 2; /* 10.0.0.2:40000, source */
	h->f.key.addr_hi[0] = 192, h->f.key.addr_hi[2] = 2, h->f.key.addr_hi[3] = 10;
	h->f.key.port_lo = 40000;
	h->f.key.port_hi = 9090;
	h->f.src_is_lo = 1;
	feed(h, 0, "GET /download/xyDelta#frag HTTP/1.1\r\n\r\n"
		   "GET http://u:pw@fota.example.com/a/b.bin?q#f HTTP/1.1\r\nHost: other\r\n\r\n");
	feed(h, 1, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
	feed(h, 1, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
	const struct app_transfer *v;
	assert_int_equal(xfers(h, &v), 2);
	assert_string_equal(v[0].url, "http://192.0.2.10:9090/download/xyDelta");
	assert_string_equal(v[0].name, "xyDelta");
	assert_string_equal(v[1].url, "http://fota.example.com/a/b.bin?q");
	assert_string_equal(v[1].name, "b.bin");
	h_free(h);
}

static void test_intent(void **unused)
{
	(void)unused;
	struct intent_input in;
	struct h *h = h_new();
	memset(&in, 0, sizeof(in));
	feed(h, 0, fota_req);
	dissector_http.intent(h->state, &in);
	assert_string_equal(in.user_agent, "QUECTEL_MODULE");
	assert_int_equal(in.n_votes, 0); /* a file name is judged by intent.c */
	h_free(h);

	h = h_new();
	memset(&in, 0, sizeof(in));
	feed(h, 0, "POST /dm HTTP/1.1\r\nContent-Type: application/vnd.syncml.dm+xml\r\n"
		   "Content-Length: 49\r\n\r\n<SyncML><LocURI>./FUMO/fw1/Update</LocURI></SyncML>");
	dissector_http.intent(h->state, &in);
	assert_null(in.user_agent);
	assert_int_equal(in.n_votes, 1);
	assert_int_equal(in.votes[0].intent, INTENT_FOTA);
	assert_int_equal(in.votes[0].conf, CONF_CONFIRMED);
	assert_string_equal(in.votes[0].why, "OMA-DM FUMO: ./FUMO/fw1/Update (SyncML XML)");
	h_free(h);

	h = h_new();
	memset(&in, 0, sizeof(in));
	feed(h, 0, "POST /dm HTTP/1.1\r\nContent-Type: application/vnd.syncml.dm+xml\r\n"
		   "Content-Length: 40\r\n\r\n<SyncML><LocURI>./DevInfo</LocURI></SyncML>");
	dissector_http.intent(h->state, &in);
	assert_int_equal(in.n_votes, 1);
	assert_int_equal(in.votes[0].intent, INTENT_DM);
	assert_string_equal(in.votes[0].why, "OMA-DM session (SyncML XML, 1 messages)");
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_simple_exchange),
		cmocka_unit_test(test_split_at_every_byte),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_chunked_request),
		cmocka_unit_test(test_100_continue),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_every_cut),
		cmocka_unit_test(test_gap_resync),
		cmocka_unit_test(test_tunnels),
		cmocka_unit_test(test_roles_and_forms),
		cmocka_unit_test(test_keepalive_byte),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_omadm_fumo),
		cmocka_unit_test(test_omadm_wbxml),
		cmocka_unit_test(test_not_http),
		cmocka_unit_test(test_xfer_length),
		cmocka_unit_test(test_xfer_chunked_and_splits),
		cmocka_unit_test(test_xfer_gap),
		cmocka_unit_test(test_xfer_cap),
		cmocka_unit_test(test_xfer_not_whole),
		cmocka_unit_test(test_xfer_close),
		cmocka_unit_test(test_xfer_keepalive),
		cmocka_unit_test(test_xfer_url),
		cmocka_unit_test(test_intent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
