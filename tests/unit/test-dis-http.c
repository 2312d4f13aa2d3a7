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
#include "util-json.h"

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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
