/*
 * test-dis-ftp.c - the FTP control and data dissectors (dissectors/ftp.c)
 * and their expectation table (dissectors/ftp.h): commands and replies,
 * multi-line replies, PASV/EPSV/PORT/EPRT announcements (good and bad
 * numbers), a data flow built by hand claimed and linked to its control
 * flow, PASS's argument never written, AUTH TLS records skipped, every cut
 * of a session, overlong lines, the table's bound and expiry.
 *
 * Dissectors are called through their descriptors, as the registry does;
 * results are read from their JSON output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissector.h"
#include "ftp.h"
#include "util-communityid.h"
#include "util-sha256.h"

extern const struct dissector dissector_ftp;
extern const struct dissector dissector_ftp_data;

#define T0 1700000000000000ull /* packet time of the first message */

/* One engine's worth of shared state. */
struct env {
	struct counters cnt;
	struct dissect_ctx ctx;
};

static void env_init(struct env *e, size_t max_expect)
{
	memset(e, 0, sizeof(*e));
	e->ctx.cnt = &e->cnt;
	e->ctx.ftp = ftp_expect_new(max_expect);
	e->ctx.now_us = T0;
	assert_non_null(e->ctx.ftp);
}

static void env_free(struct env *e) { ftp_expect_free(e->ctx.ftp); }

static void set_v4(uint8_t *a, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
	memset(a, 0, 16);
	a[0] = b0, a[1] = b1, a[2] = b2, a[3] = b3;
}

/* The control flow: client 10.0.0.2:40000 (source, the key's lo end) to
 * server 192.0.2.1:21. */
static void control_flow(struct flow *f)
{
	memset(f, 0, sizeof(*f));
	f->key.family = 4;
	f->key.proto = 6;
	set_v4(f->key.addr_lo, 10, 0, 0, 2);
	set_v4(f->key.addr_hi, 192, 0, 2, 1);
	f->key.port_lo = 40000;
	f->key.port_hi = 21;
	f->src_is_lo = 1;
	f->initiator_is_src = 1;
}

static void control_cid(char *out)
{
	struct ip_addr c = {.family = 4}, s = {.family = 4};
	set_v4(c.a, 10, 0, 0, 2);
	set_v4(s.a, 192, 0, 2, 1);
	assert_int_equal(community_id_v1(&c, &s, 6, 40000, 21, 0, out), 0);
}

struct ftp_session {
	struct flow f;
	void *state;
	const struct dissector *d;
};

static void session_new(struct ftp_session *s, const struct dissector *d)
{
	control_flow(&s->f);
	s->d = d;
	s->state = calloc(1, d->state_size);
	assert_non_null(s->state);
}

static void session_free(struct ftp_session *s)
{
	if (s->d->free)
		s->d->free(s->state);
	free(s->state);
}

/* dir 0: client to server; dir 1: server to client. */
static void feed(struct env *e, struct ftp_session *s, int dir, const char *text)
{
	e->ctx.now_us += 1000;
	s->d->parse(&e->ctx, &s->f, s->state, dir, (const uint8_t *)text, strlen(text));
}

/* The dissector's fields as one JSON object: {"file":...,"ftp":...}. */
static char *json_of(const struct ftp_session *s)
{
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w, NULL);
	if (s->d->json_ecs)
		s->d->json_ecs(s->state, &w);
	if (s->d->json_apnwatch)
		s->d->json_apnwatch(s->state, &w);
	jw_end(&w);
	char *out = strdup(w.buf);
	jw_free(&w);
	assert_non_null(out);
	return out;
}

static void assert_json(const struct ftp_session *s, const char *want)
{
	char *got = json_of(s);
	if (strcmp(got, want) != 0)
		print_error("got:  %s\nwant: %s\n", got, want);
	assert_string_equal(got, want);
	free(got);
}

static void assert_json_has(const struct ftp_session *s, const char *part)
{
	char *got = json_of(s);
	if (strstr(got, part) == NULL)
		print_error("missing %s in %s\n", part, got);
	assert_non_null(strstr(got, part));
	free(got);
}

static void assert_json_lacks(const struct ftp_session *s, const char *part)
{
	char *got = json_of(s);
	if (strstr(got, part) != NULL)
		print_error("unexpected %s in %s\n", part, got);
	assert_null(strstr(got, part));
	free(got);
}

/* A whole passive-mode download, as vsFTPd and curl speak it. */
static const struct {
	int dir;
	const char *text;
} pasv_session[] = {
	{1, "220 (vsFTPd 3.0.3)\r\n"},                 /* greeting: no command */
	{0, "USER anonymous\r\n"},                     /* the user is kept */
	{1, "331 Please specify the password.\r\n"},   /* */
	{0, "PASS hunter2\r\n"},                       /* only "PASS" is kept */
	{1, "230 Login successful.\r\n"},              /* */
	{0, "FEAT\r\n"},                               /* */
	{1, "211-Features:\r\n EPSV\r\n PASV\r\n SIZE\r\n211 End\r\n"}, /* one reply */
	{0, "TYPE I\r\n"},                             /* */
	{1, "200 Switching to Binary mode.\r\n"},      /* */
	{0, "SIZE fw.bin\r\n"},                        /* */
	{1, "213 1048576\r\n"},                        /* size of fw.bin */
	{0, "PASV\r\n"},                               /* */
	{1, "227 Entering Passive Mode (192,0,2,1,195,80).\r\n"}, /* 192.0.2.1:50000 */
	{0, "RETR fw.bin\r\n"},                        /* the data connection's command */
	{1, "150 Opening BINARY mode data connection for fw.bin (1048576 bytes).\r\n"},
	{1, "226 Transfer complete.\r\n"},             /* the file's reply code */
	{0, "QUIT\r\n"},                               /* */
	{1, "221 Goodbye.\r\n"},                       /* */
};

static const char *const pasv_json =
	"{\"ftp\":{\"user\":\"anonymous\",\"password_sent\":true,\"commands\":8,"
	"\"command_list\":[\"USER anonymous\",\"PASS\",\"FEAT\",\"TYPE I\",\"SIZE fw.bin\","
	"\"PASV\",\"RETR fw.bin\",\"QUIT\"],"
	"\"files\":[{\"command\":\"RETR\",\"name\":\"fw.bin\",\"reply_code\":226,"
	"\"size\":1048576}],"
	"\"data_connections\":1,\"reply_codes\":[220,331,230,211,200,213,227,150,226,221]}}";

static void run_pasv_session(struct env *e, struct ftp_session *s)
{
	for (size_t i = 0; i < sizeof(pasv_session) / sizeof(pasv_session[0]); i++)
		feed(e, s, pasv_session[i].dir, pasv_session[i].text);
}

static void test_pasv_session(void **unused)
{
	(void)unused;
	struct env e;
	struct ftp_session s;
	env_init(&e, 16);
	session_new(&s, &dissector_ftp);
	run_pasv_session(&e, &s);
	assert_json(&s, pasv_json);
	assert_int_equal(e.cnt.v[CNT_DIS_FTP_FLOWS], 1);
	assert_int_equal(e.cnt.v[CNT_DIS_FTP_MESSAGES], 18); /* 8 commands + 10 replies */
	assert_int_equal(e.cnt.v[CNT_DIS_FTP_INVALID], 0);
	assert_int_equal(e.cnt.v[CNT_DIS_FTP_TRUNC], 0);
	assert_int_equal(ftp_expect_count(e.ctx.ftp), 1);
	session_free(&s);
	env_free(&e);
}

/* RFC 959 4.2: lines inside a multi-line reply may begin with digits, even
 * with another code and a space, or the same code and '-'; only the first
 * line's code and a space end it.  Replies may arrive in pieces. */
static void test_multiline_reply(void **unused)
{
	(void)unused;
	struct env e;
	struct ftp_session s;
	env_init(&e, 16);
	session_new(&s, &dissector_ftp);
	feed(&e, &s, 1, "220-Welcome\r\n");
	feed(&e, &s, 1, "220-second line\r\n");
	feed(&e, &s, 1, "331 not the end\r\n227 (1,2,3,4,5,6) not a reply\r\n");
	feed(&e, &s, 1, "22");
	feed(&e, &s, 1, "0 ready\r\n");
	feed(&e, &s, 0, "HELP\r\n");
	feed(&e, &s, 1, "214-The following commands are recognized.\n"); /* bare LF */
	feed(&e, &s, 1, " ABOR ACCT\n214 Help OK.\n");
	feed(&e, &s, 0, "NOOP\r\n");
	feed(&e, &s, 1, "200 NOOP ok.\r\n");
	assert_json(&s, "{\"ftp\":{\"password_sent\":false,\"commands\":2,"
			"\"command_list\":[\"HELP\",\"NOOP\"],\"data_connections\":0,"
			"\"reply_codes\":[220,214,200]}}");
	assert_int_equal(e.cnt.v[CNT_DIS_FTP_MESSAGES], 5);
	assert_int_equal(e.cnt.v[CNT_DIS_FTP_INVALID], 0);
	assert_int_equal(ftp_expect_count(e.ctx.ftp), 0);
	session_free(&s);
	env_free(&e);
}

/* 227 replies: the six numbers wherever they start (RFC 1123 4.1.2.6);
 * a number over 255, one missing, four digits or port 0 make it invalid
 * and announce nothing. */
static void test_pasv_parse(void **unused)
{
	(void)unused;
	struct ip_addr a;
	uint16_t port;
	static const struct {
		const char *text;
		int ok;
		uint8_t a0, a3;
		uint16_t port;
	} cases[] = {
		{"Entering Passive Mode (192,0,2,1,195,80).", 1, 192, 1, 50000},
		{"Entering Passive Mode 192,0,2,1,195,80", 1, 192, 1, 50000},
		{"=10,1,2,3,0,21", 1, 10, 3, 21},
		{"(010,001,002,003,255,255)", 1, 10, 3, 65535},
		{"(192,0,2,256,195,80)", 0, 0, 0, 0},   /* 256 */
		{"(192,0,2,1,195,800)", 0, 0, 0, 0},    /* 800 */
		{"(192,0,2,1,195)", 0, 0, 0, 0},        /* five numbers */
		{"(192,0,2,1,195,)", 0, 0, 0, 0},       /* empty sixth */
		{"(1920,0,2,1,195,80)", 0, 0, 0, 0},    /* four digits */
		{"(192,0,2,1,0,0)", 0, 0, 0, 0},        /* port 0 */
		{"(192;0;2;1;195;80)", 0, 0, 0, 0},     /* not commas */
		{"Entering Passive Mode", 0, 0, 0, 0},  /* no numbers */
		{"", 0, 0, 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = ftp_parse_hostport((const uint8_t *)cases[i].text, strlen(cases[i].text),
					    &a, &port);
		if (rc != (cases[i].ok ? 0 : -1))
			print_error("case %zu: %s\n", i, cases[i].text);
		assert_int_equal(rc, cases[i].ok ? 0 : -1);
		if (!cases[i].ok)
			continue;
		assert_int_equal(a.family, 4);
		assert_int_equal(a.a[0], cases[i].a0);
		assert_int_equal(a.a[3], cases[i].a3);
		assert_int_equal(port, cases[i].port);
	}

	/* Through the dissector: the bad ones are counted invalid. */
	struct env e;
	struct ftp_session s;
	env_init(&e, 16);
	session_new(&s, &dissector_ftp);
	feed(&e, &s, 1, "220 ready\r\n");
	feed(&e, &s, 0, "PASV\r\n");
	feed(&e, &s, 1, "227 Entering Passive Mode (192,0,2,1,256,80).\r\n");
	feed(&e, &s, 0, "PASV\r\n");
	feed(&e, &s, 1, "227 Entering Passive Mode (192,0,2,1).\r\n");
	assert_int_equal(e.cnt.v[CNT_DIS_FTP_INVALID], 2);
	assert_int_equal(ftp_expect_count(e.ctx.ftp), 0);
	assert_json_has(&s, "\"data_connections\":0");
	/* 0.0.0.0 means the server's own address. */
	feed(&e, &s, 0, "PASV\r\n");
	feed(&e, &s, 1, "227 Entering Passive Mode (0,0,0,0,195,80).\r\n");
	assert_int_equal(ftp_expect_count(e.ctx.ftp), 1);
	struct flow_key k = s.f.key;
	set_v4(k.addr_hi, 192, 0, 2, 1);
	k.port_hi = 50000;
	k.port_lo = 40001;
	assert_int_equal(ftp_expect_claim(e.ctx.ftp, &k, e.ctx.now_us), 1);
	/* An address other than the server's (NAT): both are expected. */
	feed(&e, &s, 0, "PASV\r\n");
	feed(&e, &s, 1, "227 Entering Passive Mode (172,16,0,9,195,81).\r\n");
	assert_int_equal(ftp_expect_count(e.ctx.ftp), 3);
	assert_json_has(&s, "\"data_connections\":2");
	session_free(&s);
	env_free(&e);
}

/* 229 replies carry only the port; the address is the replying server's. */
static void test_epsv_parse(void **unused)
{
	(void)unused;
	uint16_t port;
	static const struct {
		const char *text;
		int ok;
		uint16_t port;
	} cases[] = {
		{"Entering Extended Passive Mode (|||57086|)", 1, 57086},
		{"Entering Extended Passive Mode (!!!1|)", 0, 0}, /* delimiters differ */
		{"(!!!1!)", 1, 1},
		{"(|||65535|)", 1, 65535},
		{"(|||65536|)", 0, 0},  /* over 16 bits */
		{"(|||0|)", 0, 0},      /* port 0 */
		{"(|||123456|)", 0, 0}, /* six digits */
		{"(||57086|)", 0, 0},   /* two delimiters */
		{"(|||57086)", 0, 0},   /* no closing delimiter */
		{"(|||x|)", 0, 0},      /* no number */
		{"(111222)", 0, 0},     /* digits are no delimiter */
		{"Entering Extended Passive Mode", 0, 0},
		{"(", 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *t = cases[i].text;
		int rc = ftp_parse_epsv((const uint8_t *)t, strlen(t), &port);
		if (rc != (cases[i].ok ? 0 : -1))
			print_error("case %zu: %s\n", i, cases[i].text);
		assert_int_equal(rc, cases[i].ok ? 0 : -1);
		if (cases[i].ok)
			assert_int_equal(port, cases[i].port);
	}

	struct env e;
	struct ftp_session s;
	env_init(&e, 16);
	session_new(&s, &dissector_ftp);
	feed(&e, &s, 0, "EPSV\r\n");
	feed(&e, &s, 1, "229 Entering Extended Passive Mode (|||57086|)\r\n");
	feed(&e, &s, 0, "EPSV\r\n");
	feed(&e, &s, 1, "229 Entering Extended Passive Mode (|||0|)\r\n");
	assert_int_equal(e.cnt.v[CNT_DIS_FTP_INVALID], 1);
	assert_int_equal(ftp_expect_count(e.ctx.ftp), 1);
	/* The server 192.0.2.1 sent it: a connection to 192.0.2.1:57086. */
	struct flow_key k = s.f.key;
	k.port_lo = 40002;
	k.port_hi = 57086;
	assert_int_equal(ftp_expect_claim(e.ctx.ftp, &k, e.ctx.now_us), 1);
	k.port_hi = 57087;
	assert_int_equal(ftp_expect_claim(e.ctx.ftp, &k, e.ctx.now_us), 0);
	session_free(&s);
	env_free(&e);
}

/* PORT and EPRT announce the client's end. */
static void test_port_eprt(void **unused)
{
	(void)unused;
	struct ip_addr a;
	uint16_t port;
	const char *v4 = "|1|132.235.1.2|6275|";
	assert_int_equal(ftp_parse_eprt((const uint8_t *)v4, strlen(v4), &a, &port), 0);
	assert_int_equal(a.family, 4);
	assert_int_equal(a.a[0], 132);
	assert_int_equal(a.a[3], 2);
	assert_int_equal(port, 6275);
	const char *v6 = "|2|1080::8:800:200C:417A|5282|";
	assert_int_equal(ftp_parse_eprt((const uint8_t *)v6, strlen(v6), &a, &port), 0);
	assert_int_equal(a.family, 6);
	assert_int_equal(a.a[0], 0x10);
	assert_int_equal(a.a[15], 0x7a);
	assert_int_equal(port, 5282);
	static const char *const bad[] = {
		"|3|132.235.1.2|6275|",    /* no such family */
		"|1|1080::8|6275|",        /* not IPv4 */
		"|2|132.235.1.2|6275|",    /* not IPv6 */
		"|1|132.235.1.2|0|",       /* port 0 */
		"|1|132.235.1.2|70000|",   /* over 16 bits */
		"|1|132.235.1.2|6275",     /* no closing delimiter */
		"|1|132.235.1.2!6275|",    /* delimiters differ */
		"1|132.235.1.2|6275|",     /* a digit is no delimiter */
		"|2|1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb|1|", /* too long */
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ftp_parse_eprt((const uint8_t *)bad[i], strlen(bad[i]), &a, &port) != -1)
			print_error("case %zu: %s\n", i, bad[i]);
		assert_int_equal(ftp_parse_eprt((const uint8_t *)bad[i], strlen(bad[i]), &a, &port),
				 -1);
	}

	struct env e;
	struct ftp_session s;
	env_init(&e, 16);
	session_new(&s, &dissector_ftp);
	feed(&e, &s, 0, "PORT 10,0,0,2,131,46\r\n");  /* 10.0.0.2:33582 */
	feed(&e, &s, 1, "200 PORT command successful.\r\n");
	feed(&e, &s, 0, "EPRT |1|10.0.0.2|33583|\r\n");
	feed(&e, &s, 1, "200 EPRT command successful.\r\n");
	feed(&e, &s, 0, "PORT 10,0,0,2,131\r\n");      /* invalid */
	feed(&e, &s, 0, "EPRT |9|x|1|\r\n");           /* invalid */
	assert_int_equal(e.cnt.v[CNT_DIS_FTP_INVALID], 2);
	assert_int_equal(ftp_expect_count(e.ctx.ftp), 2);
	assert_json_has(&s, "\"data_connections\":2");
	/* The server connects from port 20 to the client's port. */
	struct flow_key k = s.f.key;
	k.port_lo = 33582;
	k.port_hi = 20;
	assert_int_equal(ftp_expect_claim(e.ctx.ftp, &k, e.ctx.now_us), 1);
	k.port_lo = 33583;
	assert_int_equal(ftp_expect_claim(e.ctx.ftp, &k, e.ctx.now_us), 1);
	session_free(&s);
	env_free(&e);
}

/* The data flow, built by hand: 10.0.0.2:40001 -> 192.0.2.1:50000, the
 * endpoint the 227 reply announced.  The registry asks claim() at its
 * first packet (SYN), then feeds its payload. */
static void data_flow(struct flow *f, uint16_t client_port, uint16_t server_port)
{
	memset(f, 0, sizeof(*f));
	f->key.family = 4;
	f->key.proto = 6;
	set_v4(f->key.addr_lo, 10, 0, 0, 2);
	set_v4(f->key.addr_hi, 192, 0, 2, 1);
	f->key.port_lo = client_port;
	f->key.port_hi = server_port;
	f->src_is_lo = 1;
	f->initiator_is_src = 1;
	f->first_us = f->last_us = T0;
}

static void test_claim_data_flow(void **unused)
{
	(void)unused;
	struct env e;
	struct ftp_session ctl, data;
	char cid[COMMUNITY_ID_LEN], want[512];
	env_init(&e, 16);
	control_cid(cid);
	session_new(&ctl, &dissector_ftp);
	session_new(&data, &dissector_ftp_data);
	data_flow(&data.f, 40001, 50000);

	/* Nothing announced yet: not claimed. */
	assert_int_equal(dissector_ftp_data.claim(&e.ctx, &data.f), 0);
	for (size_t i = 0; i < 13; i++) /* up to the 227 reply */
		feed(&e, &ctl, pasv_session[i].dir, pasv_session[i].text);
	/* The client connects before it sends RETR (curl does). */
	data.f.last_us = e.ctx.now_us;
	assert_int_equal(dissector_ftp_data.claim(&e.ctx, &data.f), 1);
	/* Another flow to another port is not the announced one. */
	struct flow other;
	data_flow(&other, 40001, 50001);
	other.last_us = e.ctx.now_us;
	assert_int_equal(dissector_ftp_data.claim(&e.ctx, &other), 0);
	for (size_t i = 13; i < sizeof(pasv_session) / sizeof(pasv_session[0]); i++)
		feed(&e, &ctl, pasv_session[i].dir, pasv_session[i].text);
	/* The file comes from the server (direction 1), in two pieces. */
	feed(&e, &data, 1, "0123456789");
	feed(&e, &data, 1, "abcdef");
	snprintf(want, sizeof(want),
		 "{\"file\":{\"name\":\"fw.bin\",\"size\":16},\"ftp_data\":{\"control\":\"%s\","
		 "\"command\":\"RETR\",\"file\":\"fw.bin\",\"bytes\":16}}",
		 cid);
	assert_json(&data, want);
	assert_int_equal(e.cnt.v[CNT_DIS_FTPDATA_FLOWS], 1);
	assert_int_equal(e.cnt.v[CNT_DIS_FTPDATA_MESSAGES], 1);
	/* Taken: the announcement is used up (it stays for the 150 and 226
	 * replies, but no other flow can claim it). */
	assert_int_equal(ftp_expect_count(e.ctx.ftp), 1);
	assert_int_equal(dissector_ftp_data.claim(&e.ctx, &other), 0);
	session_free(&data);
	session_free(&ctl);
	env_free(&e);
}

/* Active mode: the server connects from port 20 to the client's PORT; a
 * STOR with a directory gives file.name and file.path; a gap drops
 * file.size. */
static void test_claim_active_stor(void **unused)
{
	(void)unused;
	struct env e;
	struct ftp_session ctl, data;
	char cid[COMMUNITY_ID_LEN], want[512];
	env_init(&e, 16);
	control_cid(cid);
	session_new(&ctl, &dissector_ftp);
	session_new(&data, &dissector_ftp_data);
	feed(&e, &ctl, 1, "220 ready\r\n");
	/* A first upload whose data flow is not part of this test. */
	feed(&e, &ctl, 0, "PORT 10,0,0,2,156,65\r\n"); /* 10.0.0.2:40001 */
	feed(&e, &ctl, 1, "200 ok\r\n");
	feed(&e, &ctl, 0, "STOR logs/today.txt\r\n");
	feed(&e, &ctl, 1, "150 ok to send\r\n");
	feed(&e, &ctl, 1, "226 done\r\n");
	feed(&e, &ctl, 0, "EPRT |1|10.0.0.2|40100|\r\n");
	feed(&e, &ctl, 1, "200 ok\r\n");
	feed(&e, &ctl, 0, "STOR logs/today.txt\r\n");
	data_flow(&data.f, 40100, 20);
	data.f.src_is_lo = 0; /* the server started it */
	data.f.last_us = e.ctx.now_us;
	assert_int_equal(dissector_ftp_data.claim(&e.ctx, &data.f), 1);
	feed(&e, &data, 1, "line one\n");
	snprintf(want, sizeof(want),
		 "{\"file\":{\"name\":\"today.txt\",\"path\":\"logs/today.txt\",\"size\":9},"
		 "\"ftp_data\":{\"control\":\"%s\",\"command\":\"STOR\","
		 "\"file\":\"logs/today.txt\","
		 "\"bytes\":9}}",
		 cid);
	assert_json(&data, want);
	dissector_ftp_data.gap(&e.ctx, &data.f, data.state, 1);
	feed(&e, &data, 1, "line three\n");
	assert_json_has(&data, "{\"file\":{\"name\":\"today.txt\",\"path\":\"logs/today.txt\"},");
	assert_json_has(&data, "\"bytes\":20}");
	assert_int_equal(e.cnt.v[CNT_DIS_FTPDATA_TRUNC], 1);
	assert_json_has(&ctl, "\"files\":[{\"command\":\"STOR\",\"name\":\"logs/today.txt\","
			      "\"reply_code\":226},"
			      "{\"command\":\"STOR\",\"name\":\"logs/today.txt\"}]");
	session_free(&data);
	session_free(&ctl);
	env_free(&e);
}

/* A LIST's data flow: no ECS file; an empty listing stays unlinked until
 * bytes come (the registry feeds no empty segments). */
static void test_claim_list(void **unused)
{
	(void)unused;
	struct env e;
	struct ftp_session ctl, data;
	env_init(&e, 16);
	session_new(&ctl, &dissector_ftp);
	session_new(&data, &dissector_ftp_data);
	feed(&e, &ctl, 0, "EPSV\r\n");
	feed(&e, &ctl, 1, "229 Entering Extended Passive Mode (|||50010|)\r\n");
	data_flow(&data.f, 40003, 50010);
	assert_int_equal(dissector_ftp_data.claim(&e.ctx, &data.f), 1);
	/* Bytes before the command: linked, command still unknown. */
	feed(&e, &data, 1, "x");
	assert_json_lacks(&data, "\"command\"");
	assert_json_has(&data, "\"control\":\"1:");
	feed(&e, &ctl, 0, "LIST\r\n");
	feed(&e, &data, 1, "-rw-r--r-- 1 ftp ftp 77 fw.bin\r\n");
	assert_json_has(&data, "{\"ftp_data\":{\"control\":\"1:");
	assert_json_has(&data, "\"command\":\"LIST\",\"bytes\":33}}");
	assert_json_lacks(&data, "\"file\"");
	assert_int_equal(e.cnt.v[CNT_DIS_FTPDATA_MESSAGES], 1);
	session_free(&data);
	session_free(&ctl);
	env_free(&e);
}

/* PASS's (and ACCT's) argument is never written, wherever it appears. */
static void test_pass_never_in_output(void **unused)
{
	(void)unused;
	struct env e;
	struct ftp_session s;
	env_init(&e, 16);
	session_new(&s, &dissector_ftp);
	feed(&e, &s, 1, "220 ready\r\n");
	feed(&e, &s, 0, "user Admin\r\n"); /* lower case verbs are commands too */
	feed(&e, &s, 1, "331 password\r\n");
	feed(&e, &s, 0, "pass s3cr3t-PW\r\n");
	feed(&e, &s, 1, "530 wrong\r\n");
	feed(&e, &s, 0, "PASS other-s3cr3t\r\n");
	feed(&e, &s, 1, "230 ok\r\n");
	feed(&e, &s, 0, "ACCT billing-s3cr3t\r\n");
	feed(&e, &s, 1, "202 superfluous\r\n");
	assert_json(&s, "{\"ftp\":{\"user\":\"Admin\",\"password_sent\":true,\"commands\":4,"
			"\"command_list\":[\"USER Admin\",\"PASS\",\"PASS\",\"ACCT\"],"
			"\"data_connections\":0,\"reply_codes\":[220,331,530,230,202]}}");
	assert_json_lacks(&s, "s3cr3t");
	session_free(&s);
	env_free(&e);
}

/* The session as one stream per direction, cut anywhere: every prefix of
 * each direction parses without harm, a cut inside a line is counted as
 * truncated at the gap that follows, and feeding the stream in two pieces
 * at any split gives the same output as feeding it whole. */
static size_t direction_stream(int dir, char *buf, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < sizeof(pasv_session) / sizeof(pasv_session[0]); i++) {
		if (pasv_session[i].dir != dir)
			continue;
		size_t k = strlen(pasv_session[i].text);
		assert_true(n + k <= cap);
		memcpy(buf + n, pasv_session[i].text, k);
		n += k;
	}
	return n;
}

static void test_every_cut(void **unused)
{
	(void)unused;
	static char stream[2][2048];
	size_t len[2] = {direction_stream(0, stream[0], sizeof(stream[0])),
			 direction_stream(1, stream[1], sizeof(stream[1]))};
	for (int dir = 0; dir < 2; dir++) {
		for (size_t cut = 0; cut <= len[dir]; cut++) {
			struct env e;
			struct ftp_session s;
			env_init(&e, 4);
			session_new(&s, &dissector_ftp);
			/* A heap copy of exactly the prefix, so reads past it are caught. */
			uint8_t *p = malloc(cut ? cut : 1);
			assert_non_null(p);
			memcpy(p, stream[dir], cut);
			dissector_ftp.parse(&e.ctx, &s.f, s.state, dir, p, cut);
			free(p);
			int mid_line = cut > 0 && stream[dir][cut - 1] != '\n';
			/* Inside the 211 reply's continuation lines the reply is open too. */
			const char *ml = strstr(stream[dir], "211-");
			const char *end = strstr(stream[dir], "211 End\r\n");
			if (ml && end && cut > (size_t)(ml - stream[dir]) &&
			    cut < (size_t)(end - stream[dir]) + 9)
				mid_line = 1;
			dissector_ftp.gap(&e.ctx, &s.f, s.state, dir);
			assert_int_equal(e.cnt.v[CNT_DIS_FTP_TRUNC], mid_line ? 1 : 0);
			char *j = json_of(&s);
			free(j);
			session_free(&s);
			env_free(&e);
		}
		for (size_t cut = 0; cut <= len[dir]; cut++) {
			struct env e;
			struct ftp_session s;
			env_init(&e, 4);
			session_new(&s, &dissector_ftp);
			/* The other direction whole first, so the replies' commands
			 * are known the same way whatever the split. */
			if (dir == 0) {
				dissector_ftp.parse(&e.ctx, &s.f, s.state, 0, (uint8_t *)stream[0],
						    cut);
				dissector_ftp.parse(&e.ctx, &s.f, s.state, 0,
						    (uint8_t *)stream[0] + cut, len[0] - cut);
				dissector_ftp.parse(&e.ctx, &s.f, s.state, 1, (uint8_t *)stream[1],
						    len[1]);
			} else {
				dissector_ftp.parse(&e.ctx, &s.f, s.state, 0, (uint8_t *)stream[0],
						    len[0]);
				dissector_ftp.parse(&e.ctx, &s.f, s.state, 1, (uint8_t *)stream[1],
						    cut);
				dissector_ftp.parse(&e.ctx, &s.f, s.state, 1,
						    (uint8_t *)stream[1] + cut, len[1] - cut);
			}
			assert_int_equal(e.cnt.v[CNT_DIS_FTP_TRUNC], 0);
			assert_int_equal(e.cnt.v[CNT_DIS_FTP_MESSAGES], 18);
			char *j = json_of(&s);
			assert_non_null(strstr(j, "\"commands\":8"));
			assert_non_null(strstr(j, "\"reply_codes\":[220,331,230,211,200,213,"
						  "227,150,226,221]"));
			free(j);
			session_free(&s);
			env_free(&e);
		}
	}
}

/* A line over the cap is skipped (counted), the next one is parsed; a
 * line cut by a gap is truncated and its rest is not taken for a line. */
static void test_oversize_and_gap(void **unused)
{
	(void)unused;
	struct env e;
	struct ftp_session s;
	env_init(&e, 16);
	session_new(&s, &dissector_ftp);
	char *big = malloc(5000);
	assert_non_null(big);
	memcpy(big, "SITE ", 5);
	memset(big + 5, 'A', 4990);
	memcpy(big + 4995, "\r\n", 3);
	feed(&e, &s, 0, big);
	free(big);
	feed(&e, &s, 0, "NOOP\r\n");
	assert_int_equal(e.cnt.v[CNT_DIS_FTP_OVERSIZE], 1);
	assert_json_has(&s, "\"commands\":1,\"command_list\":[\"NOOP\"]");
	feed(&e, &s, 0, "RETR hal");
	dissector_ftp.gap(&e.ctx, &s.f, s.state, 0);
	feed(&e, &s, 0, "f-lost.bin\r\nCWD /\r\n");
	assert_int_equal(e.cnt.v[CNT_DIS_FTP_TRUNC], 1);
	assert_json_has(&s, "\"command_list\":[\"NOOP\",\"CWD /\"]");
	assert_int_equal(e.cnt.v[CNT_DIS_FTP_INVALID], 0);
	session_free(&s);
	env_free(&e);
}

/* Lines that are neither commands nor replies are invalid. */
static void test_invalid_lines(void **unused)
{
	(void)unused;
	struct env e;
	struct ftp_session s;
	env_init(&e, 16);
	session_new(&s, &dissector_ftp);
	feed(&e, &s, 1, "220 ready\r\n");
	feed(&e, &s, 0, "R3TR x\r\n");        /* not letters */
	feed(&e, &s, 0, "RETRIEVE x\r\n");    /* five or more letters */
	feed(&e, &s, 0, "GE\r\n");            /* fewer than three */
	feed(&e, &s, 0, "\x16\x03\x01\x01\x05hello\r\n"); /* TLS without AUTH */
	feed(&e, &s, 1, "999 nine\r\n");      /* no such first digit */
	feed(&e, &s, 1, "22 short\r\n");      /* two digits */
	feed(&e, &s, 1, "226:colon\r\n");     /* neither SP nor '-' */
	feed(&e, &s, 1, "226\r\n");           /* a bare code is a reply */
	feed(&e, &s, 0, "\xff\xf4\xff\xf2" "ABOR\r\n"); /* telnet IP, DM, then ABOR */
	assert_int_equal(e.cnt.v[CNT_DIS_FTP_INVALID], 7);
	assert_json(&s, "{\"ftp\":{\"password_sent\":false,\"commands\":1,"
			"\"command_list\":[\"ABOR\"],\"data_connections\":0,"
			"\"reply_codes\":[220,226]}}");
	session_free(&s);
	env_free(&e);
}

/* AUTH TLS (RFC 4217): after 234 both directions carry TLS records, which
 * are skipped, even split anywhere; after CCC and the TLS close, clear text
 * comes back and is parsed again. */
static void test_auth_tls(void **unused)
{
	(void)unused;
	struct env e;
	struct ftp_session s;
	env_init(&e, 16);
	session_new(&s, &dissector_ftp);
	feed(&e, &s, 1, "220 ready\r\n");
	feed(&e, &s, 0, "AUTH TLS\r\n");
	feed(&e, &s, 1, "234 Proceed with negotiation.\r\n");
	static const uint8_t hello[] = {
		0x16, 0x03, 0x01, 0x00, 0x06, /* handshake, TLS 1.0, 6 bytes */
		'\r', '\n', 'P', 'A', 'S', 'V', /* body bytes that look like text */
		0x17, 0x03, 0x03, 0x00, 0x02, /* application data, 2 bytes */
		'\n', '\n',
	};
	for (size_t i = 0; i < sizeof(hello); i++) /* one byte at a time */
		dissector_ftp.parse(&e.ctx, &s.f, s.state, 0, hello + i, 1);
	static const uint8_t srv[] = {0x15, 0x03, 0x03, 0x00, 0x01, 0x00, /* alert */
				      '2', '0', '0', ' ', 'C', 'C', 'C', '\r', '\n'};
	dissector_ftp.parse(&e.ctx, &s.f, s.state, 1, srv, sizeof(srv));
	feed(&e, &s, 0, "PASV\r\n");
	feed(&e, &s, 1, "227 Entering Passive Mode (192,0,2,1,195,80).\r\n");
	assert_json(&s, "{\"ftp\":{\"password_sent\":false,\"commands\":2,"
			"\"command_list\":[\"AUTH TLS\",\"PASV\"],\"data_connections\":1,"
			"\"reply_codes\":[220,234,200,227],\"tls\":true}}");
	assert_int_equal(e.cnt.v[CNT_DIS_FTP_INVALID], 0);
	/* A record that claims version 2 ends it: counted, the direction is lost. */
	feed(&e, &s, 0, "AUTH SSL\r\n");
	feed(&e, &s, 1, "234 ok\r\n");
	static const uint8_t bad[] = {0x16, 0x02, 0x00, 0x00, 0x01, 0x00, 'N', 'O', 'O', 'P', '\n'};
	dissector_ftp.parse(&e.ctx, &s.f, s.state, 0, bad, sizeof(bad));
	assert_int_equal(e.cnt.v[CNT_DIS_FTP_INVALID], 1);
	assert_json_has(&s, "\"commands\":3,");
	session_free(&s);
	env_free(&e);
}

/* The greeting and the first command pick FTP; SMTP's greeting does not. */
static void test_probe(void **unused)
{
	(void)unused;
	static const struct {
		const char *text;
		int dir, want;
	} cases[] = {
		{"220 (vsFTPd 3.0.3)\r\n", 1, 1},
		{"220-Welcome\r\n", 1, 1},
		{"USER anonymous\r\n", 0, 1},
		{"user bob\r\n", 0, 1},
		{"220 mx.example.com ESMTP Postfix\r\n", 1, 0},
		{"220 ready\r\n250 SMTP later line\r\n", 1, 1}, /* only the first line counts */
		{"221 bye\r\n", 1, 0},
		{"220", 1, 0},
		{"USER", 0, 0},
		{"GET / HTTP/1.1\r\n", 0, 0},
		{"", 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = dissector_ftp.probe((const uint8_t *)cases[i].text, strlen(cases[i].text),
					      cases[i].dir);
		if (got != cases[i].want)
			print_error("case %zu: %s\n", i, cases[i].text);
		assert_int_equal(got, cases[i].want);
	}
	assert_null(dissector_ftp_data.probe);
	assert_int_equal(dissector_ftp.transport, 6);
	assert_int_equal(dissector_ftp.ports[0], 21);
	assert_int_equal(dissector_ftp.ndpi_ids[0], 1); /* NDPI_PROTOCOL_FTP_CONTROL */
	assert_null(dissector_ftp.server_name);
}

/* A flow on another port whose server spoke first: replies come from the
 * side that sent the first reply-looking line. */
static void test_server_side_without_port_21(void **unused)
{
	(void)unused;
	struct env e;
	struct ftp_session s;
	env_init(&e, 16);
	session_new(&s, &dissector_ftp);
	s.f.key.port_hi = 2121;
	feed(&e, &s, 1, "220 ready\r\n");
	feed(&e, &s, 0, "USER x\r\n");
	assert_json_has(&s, "\"user\":\"x\"");
	assert_json_has(&s, "\"reply_codes\":[220]");
	session_free(&s);
	env_free(&e);

	/* The device is the server: its greeting goes in direction 0. */
	env_init(&e, 16);
	session_new(&s, &dissector_ftp);
	s.f.key.port_hi = 2121;
	feed(&e, &s, 0, "220 device ready\r\n");
	feed(&e, &s, 1, "USER y\r\n");
	feed(&e, &s, 0, "331 pw\r\n");
	assert_json_has(&s, "\"user\":\"y\"");
	assert_json_has(&s, "\"reply_codes\":[220,331]");
	session_free(&s);
	env_free(&e);
}

/* Lists stop at 16, counts go on. */
static void test_caps(void **unused)
{
	(void)unused;
	struct env e;
	struct ftp_session s;
	env_init(&e, 64);
	session_new(&s, &dissector_ftp);
	char line[64];
	for (int i = 0; i < 40; i++) {
		snprintf(line, sizeof(line), "RETR f%d\r\n", i);
		feed(&e, &s, 0, line);
		feed(&e, &s, 1, "550 no\r\n");
	}
	char *j = json_of(&s);
	assert_non_null(strstr(j, "\"commands\":40,"));
	assert_non_null(strstr(j, "\"RETR f15\"]"));
	assert_null(strstr(j, "f16"));
	int codes = 0;
	for (const char *p = j; (p = strstr(p, "550")) != NULL; p++)
		codes++;
	assert_int_equal(codes, 16 + 16); /* reply_codes and the files' codes */
	free(j);
	/* A name longer than FTP_NAME_MAX is cut. */
	session_free(&s);
	session_new(&s, &dissector_ftp);
	char big[600];
	memcpy(big, "STOR ", 5);
	memset(big + 5, 'n', 500);
	memcpy(big + 505, "\r\n", 3);
	feed(&e, &s, 0, big);
	j = json_of(&s);
	char want[300];
	memset(want, 'n', FTP_NAME_MAX);
	want[FTP_NAME_MAX] = '\0';
	assert_non_null(strstr(j, want));
	/* command_list's "STOR nnn..." holds FTP_NAME_MAX bytes in all. */
	char *cl = strstr(j, "\"STOR n");
	assert_non_null(cl);
	assert_int_equal(strchr(cl + 1, '"') - (cl + 1), FTP_NAME_MAX);
	free(j);
	session_free(&s);
	env_free(&e);
}

/* The table: bounded (the oldest goes), entries expire after 120 s of
 * packet time, one per endpoint, a newer announcement wins a claim. */
static void test_expect_table(void **unused)
{
	(void)unused;
	struct ftp_expect *fe = ftp_expect_new(2);
	assert_non_null(fe);
	struct ip_addr a = {.family = 4};
	set_v4(a.a, 192, 0, 2, 1);
	int dropped;
	uint64_t h1 = ftp_expect_add(fe, &a, 1001, "1:one", T0, &dropped);
	assert_int_equal(dropped, 0);
	uint64_t h2 = ftp_expect_add(fe, &a, 1002, "1:two", T0 + 1, &dropped);
	uint64_t h3 = ftp_expect_add(fe, &a, 1003, "1:three", T0 + 2, &dropped);
	assert_int_equal(dropped, 1);
	assert_true(h1 && h2 && h3 && h1 != h2 && h2 != h3);
	assert_int_equal(ftp_expect_count(fe), 2);
	/* h1 is gone: setting its command does nothing, even though its slot
	 * was reused. */
	ftp_expect_set_command(fe, h1, "RETR", (const uint8_t *)"x", 1);
	struct flow_key k;
	memset(&k, 0, sizeof(k));
	k.family = 4;
	k.proto = 6;
	set_v4(k.addr_lo, 10, 0, 0, 2);
	memcpy(k.addr_hi, a.a, 16);
	k.port_lo = 5000;
	k.port_hi = 1001;
	assert_int_equal(ftp_expect_claim(fe, &k, T0 + 3), 0);
	k.port_hi = 1003;
	assert_int_equal(ftp_expect_claim(fe, &k, T0 + 3), 1);
	struct ftp_expect_info info;
	assert_int_equal(ftp_expect_take(fe, &k, &info), 1);
	assert_string_equal(info.control, "1:three");
	assert_string_equal(info.command, "");
	assert_int_equal(ftp_expect_count(fe), 2); /* kept: no command yet */
	ftp_expect_set_command(fe, h3, "RETR", (const uint8_t *)"a\0b", 3);
	assert_int_equal(ftp_expect_take(fe, &k, &info), 1);
	assert_string_equal(info.command, "RETR");
	assert_string_equal(info.file, "a"); /* cut at the NUL */
	assert_int_equal(ftp_expect_count(fe), 2); /* taken, kept for later replies */
	assert_int_equal(ftp_expect_take(fe, &k, &info), 0);
	assert_int_equal(ftp_expect_claim(fe, &k, T0 + 3), 0); /* taken: never again */
	/* Replies reach it by handle; the first size and code stay. */
	ftp_expect_set_reply(fe, h3, 26, 0, T0 + 4);
	ftp_expect_set_reply(fe, h3, 0, 226, T0 + 5);
	assert_int_equal(ftp_expect_get(fe, h3, &info), 1);
	assert_int_equal(info.size, 26);
	assert_int_equal(info.reply, 226);
	assert_int_equal(info.handle, h3);
	assert_int_equal(ftp_expect_get(fe, h1, &info), 0);
	/* A flow not bound to it cannot take it. */
	k.port_hi = 1002;
	struct flow_key k2 = k;
	k2.port_lo = 5001;
	assert_int_equal(ftp_expect_take(fe, &k2, &info), 0);
	/* Expiry: alive at 120 s, gone after. */
	assert_int_equal(ftp_expect_claim(fe, &k, T0 + 1 + FTP_EXPECT_TTL_US), 1);
	assert_int_equal(ftp_expect_claim(fe, &k, T0 + 2 + FTP_EXPECT_TTL_US), 0);
	/* The taken one was renewed at T0 + 5. */
	assert_int_equal(ftp_expect_count(fe), 1);
	assert_int_equal(ftp_expect_claim(fe, &k, T0 + 6 + FTP_EXPECT_TTL_US), 0);
	assert_int_equal(ftp_expect_count(fe), 0);
	/* The same endpoint announced again replaces the old one. */
	ftp_expect_add(fe, &a, 1004, "1:old", T0 + 10, NULL);
	ftp_expect_add(fe, &a, 1004, "1:new", T0 + 11, NULL);
	assert_int_equal(ftp_expect_count(fe), 1);
	k.port_hi = 1004;
	assert_int_equal(ftp_expect_claim(fe, &k, T0 + 12), 1);
	uint64_t h = ftp_expect_add(fe, &a, 1005, "1:x", T0 + 13, NULL);
	ftp_expect_set_command(fe, h, "LIST", NULL, 0);
	/* Both ends match: the newer announcement wins. */
	memcpy(k.addr_lo, a.a, 16);
	k.port_lo = 1004;
	k.port_hi = 1005;
	assert_int_equal(ftp_expect_claim(fe, &k, T0 + 14), 1);
	assert_int_equal(ftp_expect_take(fe, &k, &info), 1);
	assert_string_equal(info.control, "1:x");
	/* No family: nothing added. */
	struct ip_addr none = {0};
	assert_int_equal(ftp_expect_add(fe, &none, 1, "1:y", T0, NULL), 0);
	assert_int_equal(ftp_expect_add(NULL, &a, 1, "1:y", T0, NULL), 0);
	assert_int_equal(ftp_expect_claim(NULL, &k, T0), 0);
	ftp_expect_free(fe);

	/* Many announcements through a small table stay within its bound. */
	fe = ftp_expect_new(0);
	assert_non_null(fe);
	for (int i = 0; i < 1000; i++)
		ftp_expect_add(fe, &a, (uint16_t)(2000 + i), "1:z", T0 + (uint64_t)i, NULL);
	assert_int_equal(ftp_expect_count(fe), 1);
	ftp_expect_free(fe);
}

/* ---- transfers: the data flow's bytes hashed (firmware evidence) ---- */

/* printf 'EC21 firmware image 1.2.3\n' | sha256sum */
static const char fw_sha[] = "c8ead615128da9ac543ece51e34cc80087acd1d3d32bbb800b4172a3724de0c3";

struct xfer_case {
	const char *command;  /* "RETR fw/EC21.bin" */
	const char *reply150; /* the 150's text */
	int data_dir;         /* the direction the file goes on the data flow */
	int gap, fin, reply226, two_way;
	uint64_t cap;
};

/* A passive session up to the transfer command, the data flow claimed and
 * fed "EC21 firmware image 1.2.3\n" in three pieces; its one transfer. */
static void run_xfer(const struct xfer_case *x, size_t *n, struct app_transfer *out)
{
	struct env e;
	struct ftp_session ctl, data;
	char line[128];
	env_init(&e, 16);
	e.ctx.transfer_max_bytes = x->cap;
	session_new(&ctl, &dissector_ftp);
	session_new(&data, &dissector_ftp_data);
	data_flow(&data.f, 40001, 50000);
	feed(&e, &ctl, 1, "220 ready\r\n");
	feed(&e, &ctl, 0, "TYPE I\r\n");
	feed(&e, &ctl, 1, "200 Switching to Binary mode.\r\n");
	feed(&e, &ctl, 0, "PASV\r\n");
	feed(&e, &ctl, 1, "227 Entering Passive Mode (192,0,2,1,195,80).\r\n");
	data.f.last_us = e.ctx.now_us;
	assert_int_equal(dissector_ftp_data.claim(&e.ctx, &data.f), 1);
	feed(&e, &data, 0, ""); /* the handshake: no payload */
	snprintf(line, sizeof(line), "%s\r\n", x->command);
	feed(&e, &ctl, 0, line);
	snprintf(line, sizeof(line), "150 %s\r\n", x->reply150);
	feed(&e, &ctl, 1, line);
	feed(&e, &data, x->data_dir, "EC21 firm");
	if (x->gap)
		dissector_ftp_data.gap(&e.ctx, &data.f, data.state, x->data_dir);
	feed(&e, &data, x->two_way ? !x->data_dir : x->data_dir, "ware ");
	feed(&e, &data, x->data_dir, "image 1.2.3\n");
	if (x->fin)
		data.f.tcp_close = (uint8_t)(1u << x->data_dir);
	feed(&e, &data, x->data_dir, "");
	if (x->reply226)
		feed(&e, &ctl, 1, "226 Transfer complete.\r\n");
	const struct app_transfer *v = NULL;
	*n = dissector_ftp_data.transfers(data.state, &v);
	if (*n) {
		*out = *v;
		/* Strings live in the state: checked before it goes. */
		assert_string_equal(out->protocol, "ftp");
		assert_string_equal(out->method, x->command[0] == 'R' ? "RETR" : "STOR");
		assert_string_equal(out->name, "EC21.bin");
		assert_string_equal(out->url, "ftp://192.0.2.1/fw/EC21.bin");
		out->protocol = out->method = out->name = out->url = NULL;
		/* Asked again: the same answer. */
		const struct app_transfer *w = NULL;
		assert_int_equal(dissector_ftp_data.transfers(data.state, &w), 1);
		assert_ptr_equal(w, v);
	}
	session_free(&data);
	session_free(&ctl);
	env_free(&e);
}

static void assert_hex(const uint8_t d[32], const char *want)
{
	char hex[65];
	sha256_hex(d, hex);
	assert_string_equal(hex, want);
}

static void test_xfer_retr(void **unused)
{
	(void)unused;
	static const uint8_t zero[32];
	struct xfer_case x = {"RETR fw/EC21.bin", "Opening BINARY mode data connection (26 bytes).",
			      1, 0, 1, 1, 0, 0};
	struct app_transfer t;
	size_t n;
	run_xfer(&x, &n, &t);
	assert_int_equal(n, 1);
	assert_int_equal(t.hash_state, TRANSFER_HASH_OK);
	assert_hex(t.sha256, fw_sha);
	assert_int_equal(t.size, 26);
	assert_int_equal(t.declared_size, 26);
	assert_int_equal(t.to_device, 1);
	assert_int_equal(t.status_ok, 1);
	assert_true(t.start_us > T0 && t.end_us > t.start_us);

	/* No 226 (yet): complete, not said to be ok. */
	x.reply226 = 0;
	run_xfer(&x, &n, &t);
	assert_int_equal(t.hash_state, TRANSFER_HASH_OK);
	assert_int_equal(t.status_ok, 0);
	x.reply226 = 1;

	/* An upload: STOR on a data flow the client sends on. */
	struct xfer_case up = {"STOR fw/EC21.bin", "Ok to send data.", 0, 0, 1, 1, 0, 0};
	run_xfer(&up, &n, &t);
	assert_int_equal(t.hash_state, TRANSFER_HASH_OK);
	assert_hex(t.sha256, fw_sha);
	assert_int_equal(t.to_device, 0);
	assert_int_equal(t.declared_size, 0);

	/* Not whole: a gap, no FIN, the cap, fewer bytes than the 150 said,
	 * bytes both ways. */
	static const struct {
		int gap, fin, two_way;
		uint64_t cap;
		const char *reply150;
		uint8_t state;
	} bad[] = {
		{1, 1, 0, 0, "ok (26 bytes)", TRANSFER_HASH_GAP},
		{0, 0, 0, 0, "ok (26 bytes)", TRANSFER_HASH_SHORT},
		{0, 1, 0, 20, "ok (26 bytes)", TRANSFER_HASH_CAP},
		{0, 1, 0, 0, "ok (27 bytes)", TRANSFER_HASH_SHORT},
		{0, 1, 1, 0, "ok", TRANSFER_HASH_ERROR},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xfer_case y = x;
		y.gap = bad[i].gap;
		y.fin = bad[i].fin;
		y.two_way = bad[i].two_way;
		y.cap = bad[i].cap;
		y.reply150 = bad[i].reply150;
		run_xfer(&y, &n, &t);
		assert_int_equal(n, 1);
		assert_int_equal(t.hash_state, bad[i].state);
		assert_memory_equal(t.sha256, zero, 32);
	}
}

/* A listing is no transfer; an empty file is one (the empty hash). */
static void test_xfer_list_and_empty(void **unused)
{
	(void)unused;
	struct env e;
	struct ftp_session ctl, data;
	const struct app_transfer *v = NULL;
	env_init(&e, 16);
	session_new(&ctl, &dissector_ftp);
	session_new(&data, &dissector_ftp_data);
	data_flow(&data.f, 40001, 50000);
	feed(&e, &ctl, 1, "220 ready\r\n");
	feed(&e, &ctl, 0, "PASV\r\n");
	feed(&e, &ctl, 1, "227 Entering Passive Mode (192,0,2,1,195,80).\r\n");
	data.f.last_us = e.ctx.now_us;
	assert_int_equal(dissector_ftp_data.claim(&e.ctx, &data.f), 1);
	feed(&e, &ctl, 0, "LIST\r\n");
	feed(&e, &ctl, 1, "150 Here comes the directory listing.\r\n");
	feed(&e, &data, 1, "-rw-r--r-- 1 ftp ftp 26 Jan 1 fw.bin\r\n");
	data.f.tcp_close = 3;
	feed(&e, &ctl, 1, "226 Directory send OK.\r\n");
	assert_int_equal(dissector_ftp_data.transfers(data.state, &v), 0);
	session_free(&data);

	session_new(&data, &dissector_ftp_data);
	data_flow(&data.f, 40002, 50001);
	feed(&e, &ctl, 0, "EPSV\r\n");
	feed(&e, &ctl, 1, "229 Entering Extended Passive Mode (|||50001|)\r\n");
	data.f.last_us = e.ctx.now_us;
	assert_int_equal(dissector_ftp_data.claim(&e.ctx, &data.f), 1);
	feed(&e, &ctl, 0, "RETR /empty\r\n");
	feed(&e, &data, 0, "");
	data.f.tcp_close = 2;
	feed(&e, &data, 1, "");
	feed(&e, &ctl, 1, "226 done\r\n");
	assert_int_equal(dissector_ftp_data.transfers(data.state, &v), 1);
	assert_int_equal(v->hash_state, TRANSFER_HASH_OK);
	/* printf '' | sha256sum */
	assert_hex(v->sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_string_equal(v->url, "ftp://192.0.2.1/empty");
	assert_string_equal(v->name, "empty");
	assert_int_equal(v->status_ok, 1);
	session_free(&data);
	session_free(&ctl);
	env_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pasv_session),
		cmocka_unit_test(test_multiline_reply),
		cmocka_unit_test(test_pasv_parse),
		cmocka_unit_test(test_epsv_parse),
		cmocka_unit_test(test_port_eprt),
		cmocka_unit_test(test_claim_data_flow),
		cmocka_unit_test(test_claim_active_stor),
		cmocka_unit_test(test_claim_list),
		cmocka_unit_test(test_pass_never_in_output),
		cmocka_unit_test(test_every_cut),
		cmocka_unit_test(test_oversize_and_gap),
		cmocka_unit_test(test_invalid_lines),
		cmocka_unit_test(test_auth_tls),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_server_side_without_port_21),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_expect_table),
		cmocka_unit_test(test_xfer_retr),
		cmocka_unit_test(test_xfer_list_and_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
