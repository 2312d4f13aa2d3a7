/*
 * ftp.c - FTP control connections (port 21) and the data connections they
 * announce.
 *
 * Follows RFC 959 (commands, replies, multi-line replies, PORT and PASV),
 * RFC 1123 4.1.2 (scan a 227 reply for its numbers, not its parentheses),
 * RFC 2428 (EPRT, EPSV), RFC 3659 (SIZE), and RFC 4217 (AUTH TLS: the
 * control connection turns into TLS records, and back to clear text after
 * CCC).
 *
 * The control connection is lines of text, each ended by CRLF (a bare LF
 * is taken too):
 *
 *   client -> server   command:  VERB [SP argument] CRLF       "RETR fw.bin"
 *                                 1-4 letters
 *   server -> client   reply:    ddd SP text CRLF              "226 Done"
 *                      multi:    ddd - text CRLF               "211-Features:"
 *                                 any lines, even "234 x"       " EPSV"
 *                                ddd SP text CRLF              "211 End"
 *
 *   227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)  -> server h1.h2.h3.h4,
 *   PORT h1,h2,h3,h4,p1,p2                             port p1*256+p2
 *   229 Entering Extended Passive Mode (|||port|)  -> the replying server
 *   EPRT |af|address|port|                          -> af 1 IPv4, 2 IPv6
 *
 * Each announcement becomes an expectation (ftp.h): the data connection's
 * endpoint, this control flow's Community ID and the transfer command the
 * client sends next.  dissector_ftp_data claims the TCP flow that connects
 * to that endpoint, counts its bytes and names its file and command.
 *
 * Never written out: PASS's and ACCT's arguments (only that a password was
 * sent).
 */
#include <arpa/inet.h>
#include <ndpi/ndpi_protocol_ids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dissector.h"
#include "ftp.h"
#include "intent.h"
#include "util-reader.h"
#include "util-sha256.h"

#define FTP_LINE_MAX 2048  /* longest line kept; longer ones are skipped */
#define FTP_LIST_MAX 16    /* commands, files and reply codes listed */
#define FTP_PENDING_MAX 8  /* commands awaiting their reply (pipelining) */
#define TLS_RECORD_MAX (16384 + 2048) /* RFC 5246 6.2.3: TLSCiphertext */

/* ---- the expectation table ---- */

struct expect_entry {
	uint8_t used, bound, taken, family;
	uint8_t addr[16];
	uint16_t port;
	uint32_t gen;
	uint64_t created_us;
	int32_t hnext;        /* hash chain, or free list */
	int32_t older, newer; /* age list */
	struct flow_key key;  /* the data flow, once bound */
	struct ftp_expect_info info;
};

struct ftp_expect {
	size_t max, n;
	uint32_t mask; /* buckets - 1 */
	int32_t *bucket;
	struct expect_entry *e;
	int32_t oldest, newest, free_head;
	uint32_t gen;
};

struct ftp_expect *ftp_expect_new(size_t max)
{
	if (max == 0)
		max = 1;
	if (max > (1u << 24))
		max = 1u << 24;
	struct ftp_expect *fe = calloc(1, sizeof(*fe));
	if (fe == NULL)
		return NULL;
	size_t nb = 16;
	while (nb < 2 * max)
		nb *= 2;
	fe->bucket = malloc(nb * sizeof(*fe->bucket));
	fe->e = calloc(max, sizeof(*fe->e));
	if (fe->bucket == NULL || fe->e == NULL)
		goto err;
	for (size_t i = 0; i < nb; i++)
		fe->bucket[i] = -1;
	for (size_t i = 0; i < max; i++)
		fe->e[i].hnext = i + 1 < max ? (int32_t)(i + 1) : -1;
	fe->max = max;
	fe->mask = (uint32_t)(nb - 1);
	fe->oldest = fe->newest = -1;
	fe->free_head = 0;
	return fe;
err:
	ftp_expect_free(fe);
	return NULL;
}

void ftp_expect_free(struct ftp_expect *fe)
{
	if (fe == NULL)
		return;
	free(fe->bucket);
	free(fe->e);
	free(fe);
}

size_t ftp_expect_count(const struct ftp_expect *fe) { return fe ? fe->n : 0; }

/* FNV-1a over the endpoint. */
static uint32_t expect_hash(uint8_t family, const uint8_t *addr, uint16_t port)
{
	uint32_t h = 2166136261u;
	h = (h ^ family) * 16777619u;
	for (int i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	h = (h ^ (port >> 8)) * 16777619u;
	h = (h ^ (port & 0xff)) * 16777619u;
	return h;
}

static int32_t expect_find(const struct ftp_expect *fe, uint8_t family, const uint8_t *addr,
			   uint16_t port)
{
	int32_t i = fe->bucket[expect_hash(family, addr, port) & fe->mask];
	for (; i >= 0; i = fe->e[i].hnext) {
		const struct expect_entry *x = &fe->e[i];
		if (x->family == family && x->port == port && memcmp(x->addr, addr, 16) == 0)
			return i;
	}
	return -1;
}

static void expect_remove(struct ftp_expect *fe, int32_t i)
{
	struct expect_entry *x = &fe->e[i];
	int32_t *pp = &fe->bucket[expect_hash(x->family, x->addr, x->port) & fe->mask];
	while (*pp != i)
		pp = &fe->e[*pp].hnext;
	*pp = x->hnext;
	if (x->older >= 0)
		fe->e[x->older].newer = x->newer;
	else
		fe->oldest = x->newer;
	if (x->newer >= 0)
		fe->e[x->newer].older = x->older;
	else
		fe->newest = x->older;
	memset(x, 0, sizeof(*x));
	x->hnext = fe->free_head;
	fe->free_head = i;
	fe->n--;
}

/* Packet time may step back (merged captures): then nothing expires. */
static int expect_expired(const struct expect_entry *x, uint64_t now_us)
{
	return now_us > x->created_us && now_us - x->created_us > FTP_EXPECT_TTL_US;
}

static void expect_sweep(struct ftp_expect *fe, uint64_t now_us)
{
	while (fe->oldest >= 0 && expect_expired(&fe->e[fe->oldest], now_us))
		expect_remove(fe, fe->oldest);
}

uint64_t ftp_expect_add(struct ftp_expect *fe, const struct ip_addr *addr, uint16_t port,
			const char *control_id, uint64_t now_us, int *dropped)
{
	if (dropped)
		*dropped = 0;
	if (fe == NULL || addr->family == 0)
		return 0;
	expect_sweep(fe, now_us);
	int32_t old = expect_find(fe, addr->family, addr->a, port);
	if (old >= 0)
		expect_remove(fe, old);
	if (fe->n == fe->max) {
		expect_remove(fe, fe->oldest);
		if (dropped)
			*dropped = 1;
	}
	int32_t i = fe->free_head;
	struct expect_entry *x = &fe->e[i];
	fe->free_head = x->hnext;
	memset(x, 0, sizeof(*x));
	x->used = 1;
	x->family = addr->family;
	memcpy(x->addr, addr->a, 16);
	x->port = port;
	x->created_us = now_us;
	if (++fe->gen == 0)
		fe->gen = 1;
	x->gen = fe->gen;
	snprintf(x->info.control, sizeof(x->info.control), "%s", control_id ? control_id : "");
	uint32_t b = expect_hash(x->family, x->addr, port) & fe->mask;
	x->hnext = fe->bucket[b];
	fe->bucket[b] = i;
	x->older = fe->newest;
	x->newer = -1;
	if (fe->newest >= 0)
		fe->e[fe->newest].newer = i;
	else
		fe->oldest = i;
	fe->newest = i;
	fe->n++;
	x->info.handle = (uint64_t)x->gen << 32 | (uint32_t)(i + 1);
	return x->info.handle;
}

static struct expect_entry *expect_by_handle(const struct ftp_expect *fe, uint64_t handle)
{
	uint32_t slot = (uint32_t)handle;
	if (fe == NULL || slot == 0 || slot > fe->max)
		return NULL;
	struct expect_entry *x = &fe->e[slot - 1];
	return x->used && x->gen == (uint32_t)(handle >> 32) ? x : NULL;
}

/* Moves entry i to the newest end of the age list, alive from now_us. */
static void expect_renew(struct ftp_expect *fe, int32_t i, uint64_t now_us)
{
	struct expect_entry *x = &fe->e[i];
	if (now_us > x->created_us)
		x->created_us = now_us;
	if (fe->newest == i)
		return;
	if (x->older >= 0)
		fe->e[x->older].newer = x->newer;
	else
		fe->oldest = x->newer;
	fe->e[x->newer].older = x->older; /* not the newest: it has a newer */
	x->older = fe->newest;
	x->newer = -1;
	fe->e[fe->newest].newer = i;
	fe->newest = i;
}

void ftp_expect_set_server(struct ftp_expect *fe, uint64_t handle, const char *server)
{
	struct expect_entry *x = expect_by_handle(fe, handle);
	if (x)
		snprintf(x->info.server, sizeof(x->info.server), "%s", server);
}

void ftp_expect_set_reply(struct ftp_expect *fe, uint64_t handle, uint64_t size, uint16_t reply,
			  uint64_t now_us)
{
	struct expect_entry *x = expect_by_handle(fe, handle);
	if (x == NULL)
		return;
	if (size)
		x->info.size = size;
	if (reply)
		x->info.reply = reply;
	expect_renew(fe, (int32_t)(x - fe->e), now_us);
}

int ftp_expect_get(const struct ftp_expect *fe, uint64_t handle, struct ftp_expect_info *out)
{
	const struct expect_entry *x = expect_by_handle(fe, handle);
	if (x == NULL)
		return 0;
	*out = x->info;
	return 1;
}

/* Copies up to FTP_NAME_MAX bytes of an argument, stopping at a NUL. */
static void copy_arg(char *dst, const uint8_t *arg, size_t n)
{
	size_t k = 0;
	for (; k < n && k < FTP_NAME_MAX && arg[k]; k++)
		dst[k] = (char)arg[k];
	dst[k] = '\0';
}

void ftp_expect_set_command(struct ftp_expect *fe, uint64_t handle, const char *command,
			    const uint8_t *arg, size_t arg_len)
{
	struct expect_entry *x = expect_by_handle(fe, handle);
	if (x == NULL)
		return;
	snprintf(x->info.command, sizeof(x->info.command), "%s", command);
	copy_arg(x->info.file, arg, arg_len);
}

int ftp_expect_claim(struct ftp_expect *fe, const struct flow_key *key, uint64_t now_us)
{
	if (fe == NULL || fe->n == 0)
		return 0;
	expect_sweep(fe, now_us);
	int32_t a = expect_find(fe, key->family, key->addr_lo, key->port_lo);
	int32_t b = expect_find(fe, key->family, key->addr_hi, key->port_hi);
	if (a >= 0 && (expect_expired(&fe->e[a], now_us) || fe->e[a].taken))
		a = -1;
	if (b >= 0 && (expect_expired(&fe->e[b], now_us) || fe->e[b].taken))
		b = -1;
	/* gen grows with every announcement: the larger is the newer. */
	if (a < 0 || (b >= 0 && (int32_t)(fe->e[b].gen - fe->e[a].gen) > 0))
		a = b;
	if (a < 0)
		return 0;
	fe->e[a].bound = 1;
	fe->e[a].key = *key;
	return 1;
}

int ftp_expect_take(struct ftp_expect *fe, const struct flow_key *key,
		    struct ftp_expect_info *out)
{
	if (fe == NULL || fe->n == 0)
		return 0;
	int32_t c[2] = {expect_find(fe, key->family, key->addr_lo, key->port_lo),
			expect_find(fe, key->family, key->addr_hi, key->port_hi)};
	for (int k = 0; k < 2; k++) {
		struct expect_entry *x = c[k] >= 0 ? &fe->e[c[k]] : NULL;
		if (x == NULL || !x->bound || x->taken || memcmp(&x->key, key, sizeof(*key)) != 0)
			continue;
		*out = x->info;
		if (x->info.command[0])
			x->taken = 1;
		return 1;
	}
	return 0;
}

/* ---- parsing the announcements ---- */

/* A decimal number of at most maxdig digits; -1 when none or too long. */
static long rd_decimal(struct rd *r, int maxdig)
{
	long v = 0;
	int d = 0;
	while (rd_left(r) && rd_peek(r, 0) >= '0' && rd_peek(r, 0) <= '9') {
		if (++d > maxdig)
			return -1;
		v = v * 10 + (rd_u8(r) - '0');
	}
	return d ? v : -1;
}

int ftp_parse_hostport(const uint8_t *text, size_t len, struct ip_addr *addr, uint16_t *port)
{
	struct rd r = rd_init(text, len);
	long v[6];
	while (rd_left(&r) && !(rd_peek(&r, 0) >= '0' && rd_peek(&r, 0) <= '9'))
		rd_skip(&r, 1);
	for (int i = 0; i < 6; i++) {
		if (i > 0 && rd_u8(&r) != ',')
			return -1;
		v[i] = rd_decimal(&r, 3);
		if (v[i] < 0 || v[i] > 255)
			return -1;
	}
	memset(addr, 0, sizeof(*addr));
	addr->family = 4;
	for (int i = 0; i < 4; i++)
		addr->a[i] = (uint8_t)v[i];
	*port = (uint16_t)(v[4] << 8 | v[5]);
	return *port ? 0 : -1;
}

/* The port between two delimiters: "port<d>". */
static int rd_port(struct rd *r, uint8_t delim, uint16_t *port)
{
	long p = rd_decimal(r, 5);
	if (p <= 0 || p > 65535 || rd_u8(r) != delim)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

/* RFC 2428: the delimiter is a printable ASCII character; '|' is usual. */
static int is_delim(uint8_t c) { return c >= 33 && c <= 126 && !(c >= '0' && c <= '9'); }

int ftp_parse_eprt(const uint8_t *text, size_t len, struct ip_addr *addr, uint16_t *port)
{
	struct rd r = rd_init(text, len);
	uint8_t d = rd_u8(&r);
	if (!rd_ok(&r) || !is_delim(d))
		return -1;
	long af = rd_decimal(&r, 1);
	if ((af != 1 && af != 2) || rd_u8(&r) != d)
		return -1;
	char host[INET6_ADDRSTRLEN];
	size_t n = 0;
	while (rd_left(&r) && rd_peek(&r, 0) != d) {
		if (n + 1 >= sizeof(host))
			return -1;
		host[n++] = (char)rd_u8(&r);
	}
	host[n] = '\0';
	if (rd_u8(&r) != d)
		return -1;
	memset(addr, 0, sizeof(*addr));
	addr->family = af == 1 ? 4 : 6;
	if (inet_pton(af == 1 ? AF_INET : AF_INET6, host, addr->a) != 1)
		return -1;
	return rd_port(&r, d, port);
}

int ftp_parse_epsv(const uint8_t *text, size_t len, uint16_t *port)
{
	struct rd r = rd_init(text, len);
	while (rd_left(&r) && rd_peek(&r, 0) != '(')
		rd_skip(&r, 1);
	rd_skip(&r, 1); /* '(' */
	uint8_t d = rd_u8(&r);
	if (!rd_ok(&r) || !is_delim(d) || rd_u8(&r) != d || rd_u8(&r) != d)
		return -1;
	return rd_port(&r, d, port);
}

/* ---- the control connection ---- */

enum verb {
	V_OTHER = 0,
	V_USER,
	V_PASS,
	V_ACCT,
	V_PORT,
	V_EPRT,
	V_RETR,
	V_STOR,
	V_STOU,
	V_APPE,
	V_LIST,
	V_NLST,
	V_MLSD,
	V_SIZE,
	V_AUTH,
};

static const char *const verb_names[] = {"",     "USER", "PASS", "ACCT", "PORT",
					 "EPRT", "RETR", "STOR", "STOU", "APPE",
					 "LIST", "NLST", "MLSD", "SIZE", "AUTH"};

struct ftp_file {
	char *name;
	uint8_t verb;
	uint8_t has_size;
	uint16_t reply_code;
	uint64_t size;
};

/* A direction of the stream: its line being assembled, and the TLS records
 * being skipped after AUTH TLS. */
struct ftp_dir {
	uint8_t buf[FTP_LINE_MAX];
	uint16_t len;
	uint8_t skipping;    /* dropping bytes up to the next LF */
	uint8_t tls;         /* inside TLS records */
	uint8_t tls_lost;    /* a gap or a broken record inside TLS: stop */
	uint8_t tls_hdr_len;
	uint8_t tls_hdr[5];
	uint32_t tls_left;   /* bytes of the current record still to skip */
	uint16_t multi_code; /* inside a multi-line reply with this code */
};

struct ftp_pending {
	uint8_t verb;
	int8_t file;        /* index into files, -1 */
	uint64_t expect[2]; /* a transfer's expectations: its replies go there */
};

struct ftp_state {
	struct ftp_dir d[2];
	uint8_t started;
	uint8_t server_dir; /* direction of the replies */
	uint8_t password_sent, tls;
	char *user;
	uint64_t commands, data_connections;
	char *command_list[FTP_LIST_MAX];
	uint8_t n_command_list;
	struct ftp_file files[FTP_LIST_MAX];
	uint8_t n_files;
	uint16_t reply_codes[FTP_LIST_MAX];
	uint8_t n_reply_codes;
	struct ftp_pending pending[FTP_PENDING_MAX];
	uint8_t pending_head, pending_n;
	uint64_t expect[2]; /* the last announcement's expectations */
	char size_name[FTP_NAME_MAX + 1]; /* the last SIZE answered ... */
	uint64_t size_value;              /* ... and its answer */
	uint8_t has_size_value;
	char *size_query; /* the SIZE argument awaiting its reply */
};

static char *dup_bytes(const uint8_t *p, size_t n)
{
	char *s = malloc((n < FTP_NAME_MAX ? n : FTP_NAME_MAX) + 1);
	if (s)
		copy_arg(s, p, n);
	return s;
}

static int is_alpha(uint8_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/* The server side: the port 21 end, else whoever spoke a reply first. */
static uint8_t guess_server_dir(const struct flow *f, int dir, const uint8_t *data, size_t len)
{
	struct ip_addr a;
	uint16_t sport, dport;
	flow_source(f, &a, &sport);
	flow_destination(f, &a, &dport);
	if (dport == 21 && sport != 21)
		return 1;
	if (sport == 21 && dport != 21)
		return 0;
	struct rd r = rd_init(data, len);
	int reply = len >= 3 && is_digit(rd_peek(&r, 0)) && is_digit(rd_peek(&r, 1)) &&
		    is_digit(rd_peek(&r, 2));
	return (uint8_t)(reply ? dir : !dir);
}

/* The sender of direction dir's address. */
static void sender(const struct flow *f, int dir, struct ip_addr *a)
{
	uint16_t port;
	if (dir == 0)
		flow_source(f, a, &port);
	else
		flow_destination(f, a, &port);
}

static void control_id(const struct flow *f, char *out)
{
	struct ip_addr src, dst;
	uint16_t sport, dport;
	flow_source(f, &src, &sport);
	flow_destination(f, &dst, &dport);
	if (community_id_v1(&src, &dst, f->key.proto, sport, dport, 0, out) < 0)
		out[0] = '\0';
}

/* The control server's address as a URL host: "192.0.2.1", "[2001:db8::1]". */
static void server_host(const struct flow *f, const struct ftp_state *s,
			char out[FTP_SERVER_MAX])
{
	struct ip_addr a;
	char ip[INET6_ADDRSTRLEN];
	sender(f, s->server_dir, &a);
	out[0] = '\0';
	if (a.family && inet_ntop(a.family == 4 ? AF_INET : AF_INET6, a.a, ip, sizeof(ip)))
		snprintf(out, FTP_SERVER_MAX, a.family == 6 ? "[%s]" : "%s", ip);
}

/* A data connection to addr:port, announced by the sender of direction
 * dir.  When the announced address is not the sender's (a NAT in between,
 * or 0.0.0.0), the sender's address is expected as well. */
static void announce(struct dissect_ctx *c, const struct flow *f, struct ftp_state *s, int dir,
		     const struct ip_addr *addr, uint16_t port)
{
	char cid[COMMUNITY_ID_LEN];
	struct ip_addr seen;
	int dropped;
	control_id(f, cid);
	sender(f, dir, &seen);
	s->data_connections++;
	s->expect[0] = s->expect[1] = 0;
	int zero = addr->family == 4 && !(addr->a[0] | addr->a[1] | addr->a[2] | addr->a[3]);
	if (!zero) {
		s->expect[0] = ftp_expect_add(c->ftp, addr, port, cid, c->now_us, &dropped);
		if (dropped)
			cnt_inc(c->cnt, CNT_DIS_FTP_EXPECT_DROPPED);
	}
	if (zero || seen.family != addr->family || memcmp(seen.a, addr->a, 16) != 0) {
		s->expect[1] = ftp_expect_add(c->ftp, &seen, port, cid, c->now_us, &dropped);
		if (dropped)
			cnt_inc(c->cnt, CNT_DIS_FTP_EXPECT_DROPPED);
	}
	char host[FTP_SERVER_MAX];
	server_host(f, s, host);
	for (int i = 0; i < 2; i++)
		ftp_expect_set_server(c->ftp, s->expect[i], host);
}

static void pending_push(struct ftp_state *s, uint8_t verb, int file, const uint64_t expect[2])
{
	if (s->pending_n == FTP_PENDING_MAX)
		return; /* deeper pipelining is not followed */
	struct ftp_pending *p = &s->pending[(s->pending_head + s->pending_n) % FTP_PENDING_MAX];
	p->verb = verb;
	p->file = (int8_t)file;
	p->expect[0] = expect[0];
	p->expect[1] = expect[1];
	s->pending_n++;
}

static enum verb verb_of(const uint8_t *v, size_t n)
{
	if (n != 4)
		return V_OTHER;
	for (size_t i = 1; i < sizeof(verb_names) / sizeof(verb_names[0]); i++)
		if (memcmp(verb_names[i], v, 4) == 0)
			return (enum verb)i;
	return V_OTHER;
}

static void list_command(struct ftp_state *s, const uint8_t *verb, size_t vn, enum verb v,
			 const uint8_t *arg, size_t an)
{
	if (s->n_command_list == FTP_LIST_MAX)
		return;
	/* Secrets stay out: the verb alone. */
	if (v == V_PASS || v == V_ACCT)
		an = 0;
	size_t n = vn + (an ? 1 + an : 0);
	if (n > FTP_NAME_MAX)
		n = FTP_NAME_MAX;
	uint8_t line[FTP_NAME_MAX];
	memcpy(line, verb, vn);
	if (an) {
		line[vn] = ' ';
		memcpy(line + vn + 1, arg, n - vn - 1);
	}
	char *e = dup_bytes(line, n);
	if (e)
		s->command_list[s->n_command_list++] = e;
}

static void size_known(struct ftp_state *s, const char *name, uint64_t size)
{
	for (int i = s->n_files - 1; i >= 0; i--)
		if (s->files[i].name && strcmp(s->files[i].name, name) == 0) {
			if (!s->files[i].has_size) {
				s->files[i].has_size = 1;
				s->files[i].size = size;
			}
			return;
		}
	snprintf(s->size_name, sizeof(s->size_name), "%s", name);
	s->size_value = size;
	s->has_size_value = 1;
}

static int add_file(struct ftp_state *s, enum verb v, const uint8_t *arg, size_t an)
{
	if (s->n_files == FTP_LIST_MAX)
		return -1;
	struct ftp_file *fl = &s->files[s->n_files];
	fl->name = dup_bytes(arg, an);
	if (fl->name == NULL)
		return -1;
	fl->verb = (uint8_t)v;
	if (s->has_size_value && strcmp(s->size_name, fl->name) == 0) {
		fl->has_size = 1;
		fl->size = s->size_value;
	}
	return s->n_files++;
}

static void on_command(struct dissect_ctx *c, const struct flow *f, struct ftp_state *s, int dir,
		       const uint8_t *line, size_t n)
{
	struct rd r = rd_init(line, n);
	/* Telnet commands (IAC IP, IAC DM before ABOR) are not part of it. */
	while (rd_peek(&r, 0) == 0xff && rd_left(&r) >= 2)
		rd_skip(&r, 2);
	size_t vn = 0;
	uint8_t up[4];
	while (vn < rd_left(&r) && is_alpha(rd_peek(&r, vn))) {
		if (vn < 4)
			up[vn] = (uint8_t)(rd_peek(&r, vn) & ~0x20);
		vn++;
	}
	/* RFC 959 5.3.1: four or fewer alphabetic characters. */
	if (vn < 3 || vn > 4 || (vn < rd_left(&r) && rd_peek(&r, vn) != ' ')) {
		cnt_inc(c->cnt, CNT_DIS_FTP_INVALID);
		return;
	}
	rd_skip(&r, vn);
	if (rd_left(&r))
		rd_skip(&r, 1); /* the space */
	const uint8_t *arg = rd_ptr(&r);
	size_t an = rd_left(&r);
	enum verb v = verb_of(up, vn);
	int file = -1;
	struct ip_addr addr;
	uint16_t port;
	uint64_t xh[2] = {0, 0};

	cnt_inc(c->cnt, CNT_DIS_FTP_MESSAGES);
	s->commands++;
	list_command(s, up, vn, v, arg, an);
	switch (v) {
	case V_USER:
		if (s->user == NULL)
			s->user = dup_bytes(arg, an);
		break;
	case V_PASS:
		s->password_sent = 1;
		break;
	case V_PORT:
		if (ftp_parse_hostport(arg, an, &addr, &port) == 0)
			announce(c, f, s, dir, &addr, port);
		else
			cnt_inc(c->cnt, CNT_DIS_FTP_INVALID);
		break;
	case V_EPRT:
		if (ftp_parse_eprt(arg, an, &addr, &port) == 0)
			announce(c, f, s, dir, &addr, port);
		else
			cnt_inc(c->cnt, CNT_DIS_FTP_INVALID);
		break;
	case V_RETR:
	case V_STOR:
	case V_STOU:
	case V_APPE:
	case V_LIST:
	case V_NLST:
	case V_MLSD:
		if (v != V_LIST && v != V_NLST && v != V_MLSD)
			file = add_file(s, v, arg, an);
		/* The last announced data connection carries it. */
		for (int i = 0; i < 2; i++) {
			if (s->expect[i] == 0)
				continue;
			ftp_expect_set_command(c->ftp, s->expect[i], verb_names[v], arg, an);
			if (file >= 0 && s->files[file].has_size) /* SIZE asked before */
				ftp_expect_set_reply(c->ftp, s->expect[i], s->files[file].size, 0,
						     c->now_us);
			xh[i] = s->expect[i];
		}
		s->expect[0] = s->expect[1] = 0; /* one transfer per announcement */
		break;
	case V_SIZE:
		free(s->size_query);
		s->size_query = dup_bytes(arg, an);
		break;
	default:
		break;
	}
	pending_push(s, (uint8_t)v, file, xh);
}

static void tls_begin(struct ftp_state *s)
{
	s->tls = 1;
	for (int i = 0; i < 2; i++) {
		s->d[i].tls = 1;
		s->d[i].tls_hdr_len = 0;
		s->d[i].tls_left = 0;
	}
}

/* The size in a 150 reply: "... (1048576 bytes)" (vsftpd, ProFTPD); 0
 * when it has none. */
static uint64_t reply_size(const uint8_t *text, size_t n)
{
	struct rd r = rd_init(text, n);
	while (rd_left(&r)) {
		if (rd_u8(&r) != '(')
			continue;
		struct rd num = r;
		uint64_t v = 0;
		int digits = 0;
		while (rd_left(&num) && is_digit(rd_peek(&num, 0)) && digits < 19) {
			v = v * 10 + (uint64_t)(rd_u8(&num) - '0');
			digits++;
		}
		static const char bytes[] = " bytes)";
		if (digits && rd_left(&num) >= sizeof(bytes) - 1 &&
		    memcmp(rd_ptr(&num), bytes, sizeof(bytes) - 1) == 0)
			return v;
	}
	return 0;
}

/* A reply to a transfer command reaches its data flow: the size of a
 * 150 (or 125), and the final code (226: the file went whole). */
static void transfer_reply(struct dissect_ctx *c, const struct ftp_pending *p, uint16_t code,
			   const uint8_t *text, size_t n)
{
	if (p->expect[0] == 0 && p->expect[1] == 0)
		return;
	uint64_t size = code < 200 ? reply_size(text, n) : 0;
	for (int i = 0; i < 2; i++)
		if (p->expect[i])
			ftp_expect_set_reply(c->ftp, p->expect[i], size, code >= 200 ? code : 0,
					     c->now_us);
}

/* A reply's first line: code, separator, text.  Continuation lines of a
 * multi-line reply never get here. */
static void on_reply(struct dissect_ctx *c, const struct flow *f, struct ftp_state *s, int dir,
		     uint16_t code, const uint8_t *text, size_t n)
{
	struct ip_addr addr;
	uint16_t port;
	cnt_inc(c->cnt, CNT_DIS_FTP_MESSAGES);
	if (s->n_reply_codes < FTP_LIST_MAX)
		s->reply_codes[s->n_reply_codes++] = code;
	if (code == 227) {
		if (ftp_parse_hostport(text, n, &addr, &port) == 0)
			announce(c, f, s, dir, &addr, port);
		else
			cnt_inc(c->cnt, CNT_DIS_FTP_INVALID);
	} else if (code == 229) {
		sender(f, dir, &addr);
		if (ftp_parse_epsv(text, n, &port) == 0)
			announce(c, f, s, dir, &addr, port);
		else
			cnt_inc(c->cnt, CNT_DIS_FTP_INVALID);
	}
	if (s->pending_n == 0)
		return; /* the greeting, or a reply nobody asked for (421) */
	struct ftp_pending *p = &s->pending[s->pending_head];
	if (p->file >= 0 && p->file < s->n_files)
		s->files[p->file].reply_code = code;
	transfer_reply(c, p, code, text, n);
	if (code < 200)
		return; /* preliminary: the command's last word is still to come */
	if (p->verb == V_SIZE && code == 213 && s->size_query) {
		struct rd r = rd_init(text, n);
		uint64_t v = 0;
		int digits = 0;
		while (rd_left(&r) && is_digit(rd_peek(&r, 0)) && digits < 19) {
			v = v * 10 + (uint64_t)(rd_u8(&r) - '0');
			digits++;
		}
		if (digits && rd_left(&r) == 0)
			size_known(s, s->size_query, v);
		else
			cnt_inc(c->cnt, CNT_DIS_FTP_INVALID);
	}
	if (p->verb == V_AUTH && code == 234)
		tls_begin(s);
	s->pending_head = (uint8_t)((s->pending_head + 1) % FTP_PENDING_MAX);
	s->pending_n--;
}

static void on_reply_line(struct dissect_ctx *c, const struct flow *f, struct ftp_state *s,
			  int dir, const uint8_t *line, size_t n)
{
	struct ftp_dir *d = &s->d[dir];
	struct rd r = rd_init(line, n);
	uint8_t a = rd_u8(&r), b = rd_u8(&r), k = rd_u8(&r);
	int is_code = rd_ok(&r) && is_digit(a) && is_digit(b) && is_digit(k);
	uint16_t code = is_code ? (uint16_t)((a - '0') * 100 + (b - '0') * 10 + (k - '0')) : 0;
	uint8_t sep = rd_left(&r) ? rd_u8(&r) : ' ';
	if (d->multi_code) {
		/* RFC 959 4.2: only "ddd SP" with the first line's code ends it. */
		if (code == d->multi_code && sep == ' ')
			d->multi_code = 0;
		return;
	}
	if (!is_code || a < '1' || a > '5' || (sep != ' ' && sep != '-')) {
		cnt_inc(c->cnt, CNT_DIS_FTP_INVALID);
		return;
	}
	if (sep == '-')
		d->multi_code = code;
	on_reply(c, f, s, dir, code, rd_ptr(&r), rd_left(&r));
}

static void on_line(struct dissect_ctx *c, const struct flow *f, struct ftp_state *s, int dir)
{
	struct ftp_dir *d = &s->d[dir];
	size_t n = d->len;
	if (n && d->buf[n - 1] == '\r')
		n--;
	if (n == 0)
		return;
	if (dir == s->server_dir)
		on_reply_line(c, f, s, dir, d->buf, n);
	else
		on_command(c, f, s, dir, d->buf, n);
}

/* Skips TLS records (RFC 5246 6.2.1: type 20-23, version 3.x, length)
 * until something that is not a record starts: clear text again (CCC). */
static void tls_skip(struct dissect_ctx *c, struct ftp_dir *d, struct rd *r)
{
	while (rd_left(r) && d->tls) {
		if (d->tls_left) {
			size_t k = rd_left(r) < d->tls_left ? rd_left(r) : d->tls_left;
			rd_skip(r, k);
			d->tls_left -= (uint32_t)k;
			continue;
		}
		uint8_t t = rd_peek(r, 0);
		if (d->tls_hdr_len == 0 && (t < 20 || t > 23)) {
			d->tls = 0;
			return;
		}
		d->tls_hdr[d->tls_hdr_len++] = rd_u8(r);
		if (d->tls_hdr_len < 5)
			continue;
		d->tls_hdr_len = 0;
		d->tls_left = (uint32_t)d->tls_hdr[3] << 8 | d->tls_hdr[4];
		if (d->tls_hdr[1] != 3 || d->tls_left > TLS_RECORD_MAX) {
			cnt_inc(c->cnt, CNT_DIS_FTP_INVALID);
			d->tls = 0;
			d->tls_lost = 1;
		}
	}
}

static void ftp_parse(struct dissect_ctx *c, struct flow *f, void *state, int dir,
		      const uint8_t *data, size_t len)
{
	struct ftp_state *s = state;
	struct ftp_dir *d = &s->d[dir];
	if (!s->started) {
		s->started = 1;
		s->server_dir = guess_server_dir(f, dir, data, len);
		cnt_inc(c->cnt, CNT_DIS_FTP_FLOWS);
	}
	struct rd r = rd_init(data, len);
	while (rd_left(&r) && !d->tls_lost) {
		if (d->tls) {
			tls_skip(c, d, &r);
			continue;
		}
		uint8_t b = rd_u8(&r);
		if (b == '\n') {
			if (!d->skipping)
				on_line(c, f, s, dir);
			d->len = 0;
			d->skipping = 0;
		} else if (d->skipping) {
			continue;
		} else if (d->len == FTP_LINE_MAX) {
			/* Memory stays bounded; the stream goes on at the next line. */
			cnt_inc(c->cnt, CNT_DIS_FTP_OVERSIZE);
			d->skipping = 1;
			d->len = 0;
		} else {
			d->buf[d->len++] = b;
		}
	}
}

static void ftp_gap(struct dissect_ctx *c, struct flow *f, void *state, int dir)
{
	struct ftp_state *s = state;
	struct ftp_dir *d = &s->d[dir];
	(void)f;
	if (d->len || d->multi_code || (d->tls && (d->tls_left || d->tls_hdr_len)))
		cnt_inc(c->cnt, CNT_DIS_FTP_TRUNC);
	d->len = 0;
	d->multi_code = 0;
	d->skipping = 1; /* the rest of a line whose start was lost */
	if (d->tls) {
		d->tls = 0;
		d->tls_lost = 1;
	}
}

static void ftp_free(void *state)
{
	struct ftp_state *s = state;
	free(s->user);
	free(s->size_query);
	for (int i = 0; i < s->n_command_list; i++)
		free(s->command_list[i]);
	for (int i = 0; i < s->n_files; i++)
		free(s->files[i].name);
}

static void ftp_json_apnwatch(const void *state, struct jw *w)
{
	const struct ftp_state *s = state;
	jw_obj_begin(w, "ftp");
	if (s->user)
		jw_str(w, "user", s->user);
	jw_bool(w, "password_sent", s->password_sent);
	jw_u64(w, "commands", s->commands);
	jw_arr_begin(w, "command_list");
	for (int i = 0; i < s->n_command_list; i++)
		jw_str(w, NULL, s->command_list[i]);
	jw_end(w);
	if (s->n_files) {
		jw_arr_begin(w, "files");
		for (int i = 0; i < s->n_files; i++) {
			const struct ftp_file *fl = &s->files[i];
			jw_obj_begin(w, NULL);
			jw_str(w, "command", verb_names[fl->verb]);
			jw_str(w, "name", fl->name);
			if (fl->reply_code)
				jw_u64(w, "reply_code", fl->reply_code);
			if (fl->has_size)
				jw_u64(w, "size", fl->size);
			jw_end(w);
		}
		jw_end(w);
	}
	jw_u64(w, "data_connections", s->data_connections);
	jw_arr_begin(w, "reply_codes");
	for (int i = 0; i < s->n_reply_codes; i++)
		jw_u64(w, NULL, s->reply_codes[i]);
	jw_end(w);
	if (s->tls)
		jw_bool(w, "tls", 1);
	jw_end(w);
}

/* "220" + SP or "-" from a server (not an SMTP greeting), or "USER ". */
static int ftp_probe(const uint8_t *data, size_t len, int dir)
{
	struct rd r = rd_init(data, len);
	(void)dir;
	if (len >= 5 && (rd_peek(&r, 0) & ~0x20) == 'U' && (rd_peek(&r, 1) & ~0x20) == 'S' &&
	    (rd_peek(&r, 2) & ~0x20) == 'E' && (rd_peek(&r, 3) & ~0x20) == 'R' &&
	    rd_peek(&r, 4) == ' ')
		return 1;
	if (len < 4 || rd_peek(&r, 0) != '2' || rd_peek(&r, 1) != '2' || rd_peek(&r, 2) != '0' ||
	    (rd_peek(&r, 3) != ' ' && rd_peek(&r, 3) != '-'))
		return 0;
	for (size_t i = 4; i + 3 < len && rd_peek(&r, i) != '\n'; i++)
		if (rd_peek(&r, i) == 'S' && rd_peek(&r, i + 1) == 'M' &&
		    rd_peek(&r, i + 2) == 'T' && rd_peek(&r, i + 3) == 'P')
			return 0;
	return 1;
}

/* A RETR of a firmware-like file is a firmware download requested on
 * this control connection (the data flow carries the bytes and its own
 * evidence); the name rules are intent.c's. */
static void ftp_intent(const void *state, struct intent_input *in)
{
	const struct ftp_state *s = state;
	for (unsigned i = 0; i < s->n_files; i++) {
		const char *why = NULL;
		if (s->files[i].verb != V_RETR || s->files[i].name == NULL ||
		    !intent_name_is_firmware(s->files[i].name, &why))
			continue;
		const char *base = strrchr(s->files[i].name, '/');
		intent_vote(in, INTENT_FOTA, CONF_CONFIRMED, "FTP RETR %.80s; %s",
			    base ? base + 1 : s->files[i].name, why ? why : "firmware-like name");
		return;
	}
}

static const uint16_t ftp_ports[] = {21, 0};
static const uint16_t ftp_ndpi[] = {NDPI_PROTOCOL_FTP_CONTROL, 0};

const struct dissector dissector_ftp = {
	.name = "ftp",
	.transport = 6,
	.ports = ftp_ports,
	.ndpi_ids = ftp_ndpi,
	.probe = ftp_probe,
	.state_size = sizeof(struct ftp_state),
	.parse = ftp_parse,
	.gap = ftp_gap,
	.free = ftp_free,
	.json_apnwatch = ftp_json_apnwatch,
	.intent = ftp_intent,
};

/* ---- the data connection ---- */

/* Bytes hashed per data flow when dissect_ctx.transfer_max_bytes is 0. */
#define FTP_XFER_CAP_DEFAULT (64ull << 20)

/* In stream mode (RFC 959 3.4.1) the file is every byte one side sends,
 * and its end is that side's close: the data flow's bytes are hashed as
 * they pass, and a transfer is whole when the sender closed with a FIN
 * and nothing was lost. */
struct ftp_data_state {
	uint8_t started, linked, complete, gap;
	uint8_t sender;   /* 1 + the direction that carries the file; 0 none yet */
	uint8_t two_way;  /* bytes both ways: not one file */
	uint8_t capped, hash_err, finished;
	uint64_t bytes[2];
	uint64_t hashed;
	struct ftp_expect_info info;
	struct sha256 hash;
	const struct ftp_expect *fe; /* the engine's table: the 150 and 226 come later */
	const struct flow *flow;     /* its flow (the state lives in it): how it closed */
	struct app_transfer t;
	char name[TRANSFER_NAME_MAX];
	char url[TRANSFER_URL_MAX];
};

static int ftp_data_claim(struct dissect_ctx *c, const struct flow *f)
{
	uint64_t now = c->now_us > f->last_us ? c->now_us : f->last_us;
	return ftp_expect_claim(c->ftp, &f->key, now);
}

/* Payload of direction dir: hashed while it is one side's, in order, and
 * under the flow's cap. */
static void data_bytes(struct dissect_ctx *c, struct ftp_data_state *s, int dir,
		       const uint8_t *data, size_t len)
{
	s->t.end_us = c->now_us;
	if (s->sender == 0)
		s->sender = (uint8_t)(dir + 1);
	if (s->sender != dir + 1 && !s->two_way) {
		s->two_way = 1;
		sha256_free(&s->hash);
	}
	if (s->hash.ctx == NULL)
		return;
	uint64_t cap = c->transfer_max_bytes ? c->transfer_max_bytes : FTP_XFER_CAP_DEFAULT;
	if (s->hashed + len > cap) {
		s->capped = 1;
		sha256_free(&s->hash);
		return;
	}
	s->hashed += len;
	sha256_update(&s->hash, data, len);
}

static void ftp_data_parse(struct dissect_ctx *c, struct flow *f, void *state, int dir,
			   const uint8_t *data, size_t len)
{
	struct ftp_data_state *s = state;
	if (!s->started) {
		s->started = 1;
		cnt_inc(c->cnt, CNT_DIS_FTPDATA_FLOWS);
		s->t.start_us = c->now_us;
		if (sha256_init(&s->hash) < 0)
			s->hash_err = 1;
	}
	s->flow = f;
	s->fe = c->ftp;
	/* The command may follow the connection (PASV, connect, RETR): ask
	 * until it is known. */
	if (!s->complete && ftp_expect_take(c->ftp, &f->key, &s->info)) {
		if (!s->linked)
			cnt_inc(c->cnt, CNT_DIS_FTPDATA_MESSAGES);
		s->linked = 1;
		s->complete = s->info.command[0] != '\0';
	}
	s->bytes[dir & 1] += len;
	if (len)
		data_bytes(c, s, dir & 1, data, len);
}

static void ftp_data_gap(struct dissect_ctx *c, struct flow *f, void *state, int dir)
{
	struct ftp_data_state *s = state;
	(void)f;
	(void)dir;
	if (!s->gap)
		cnt_inc(c->cnt, CNT_DIS_FTPDATA_TRUNC);
	s->gap = 1;
	sha256_free(&s->hash);
}

static void ftp_data_free(void *state)
{
	struct ftp_data_state *s = state;
	sha256_free(&s->hash);
}

static int is_transfer(const char *cmd)
{
	return strcmp(cmd, "RETR") == 0 || strcmp(cmd, "STOR") == 0 || strcmp(cmd, "STOU") == 0 ||
	       strcmp(cmd, "APPE") == 0;
}

/* ECS file.name is the last path component; file.path the whole argument
 * when it has directories. */
static void ftp_data_json_ecs(const void *state, struct jw *w)
{
	const struct ftp_data_state *s = state;
	if (!s->linked || !is_transfer(s->info.command) || s->info.file[0] == '\0')
		return;
	const char *name = strrchr(s->info.file, '/');
	name = name && name[1] ? name + 1 : s->info.file;
	jw_obj_begin(w, "file");
	jw_str(w, "name", name);
	if (name != s->info.file)
		jw_str(w, "path", s->info.file);
	/* What went over the wire is the file only for a whole, unbroken
	 * download or upload. */
	if (!s->gap && strcmp(s->info.command, "APPE") != 0)
		jw_u64(w, "size", s->bytes[0] + s->bytes[1]);
	jw_end(w);
}

/* How the file went: the first reason it is not whole wins. */
static enum transfer_hash_state data_hash_state(const struct ftp_data_state *s)
{
	uint8_t close = s->flow ? s->flow->tcp_close : 0;
	int fin = s->sender ? (close & (1u << (s->sender - 1))) != 0 : (close & 3) != 0;
	uint64_t size = s->sender ? s->bytes[s->sender - 1] : 0;
	if (s->hash_err || s->two_way)
		return TRANSFER_HASH_ERROR;
	if (s->gap)
		return TRANSFER_HASH_GAP;
	if (s->capped)
		return TRANSFER_HASH_CAP;
	/* APPE: the bytes are the end of a file, not the file. */
	if (!fin || strcmp(s->info.command, "APPE") == 0 || size < s->info.size)
		return TRANSFER_HASH_SHORT;
	return TRANSFER_HASH_OK;
}

/* Fills the transfer once, at the flow's end: the control connection's
 * later news (the 150's size, the 226) are read by handle first. */
static void data_finish(struct ftp_data_state *s)
{
	struct ftp_expect_info now;
	struct app_transfer *t = &s->t;
	if (ftp_expect_get(s->fe, s->info.handle, &now)) {
		s->info.size = now.size;
		s->info.reply = now.reply;
	}
	const char *file = s->info.file, *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	snprintf(s->name, sizeof(s->name), "%s", base);
	if (s->info.server[0])
		snprintf(s->url, sizeof(s->url), "ftp://%s%s%s", s->info.server,
			 file[0] == '/' ? "" : "/", file);
	t->protocol = "ftp";
	t->method = s->info.command;
	t->name = s->name[0] ? s->name : NULL;
	t->url = s->url[0] ? s->url : NULL;
	t->size = s->sender ? s->bytes[s->sender - 1] : 0;
	t->declared_size = s->info.size;
	t->to_device = (uint8_t)(strcmp(s->info.command, "RETR") == 0);
	t->status_ok = (uint8_t)(s->info.reply / 100 == 2);
	if (t->end_us == 0)
		t->end_us = t->start_us;
	t->hash_state = (uint8_t)data_hash_state(s);
	if (t->hash_state == TRANSFER_HASH_OK)
		sha256_final(&s->hash, t->sha256);
	else
		sha256_free(&s->hash);
	s->finished = 1;
}

/* A RETR, STOR, STOU or APPE data flow is one transfer; LIST's and
 * NLST's are none.  The const is cast away: the registry calls this once,
 * at the flow's end, on state it allocated writable. */
static size_t ftp_data_transfers(const void *state, const struct app_transfer **v)
{
	struct ftp_data_state *s = (struct ftp_data_state *)state;
	if (!s->linked || !is_transfer(s->info.command))
		return 0;
	if (!s->finished)
		data_finish(s);
	*v = &s->t;
	return 1;
}

static void ftp_data_json_apnwatch(const void *state, struct jw *w)
{
	const struct ftp_data_state *s = state;
	jw_obj_begin(w, "ftp_data");
	if (s->linked && s->info.control[0])
		jw_str(w, "control", s->info.control);
	if (s->linked && s->info.command[0])
		jw_str(w, "command", s->info.command);
	if (s->linked && s->info.file[0])
		jw_str(w, "file", s->info.file);
	jw_u64(w, "bytes", s->bytes[0] + s->bytes[1]);
	jw_end(w);
}

const struct dissector dissector_ftp_data = {
	.name = "ftp_data",
	.transport = 6,
	.claim = ftp_data_claim,
	.state_size = sizeof(struct ftp_data_state),
	.parse = ftp_data_parse,
	.gap = ftp_data_gap,
	.free = ftp_data_free,
	.json_ecs = ftp_data_json_ecs,
	.json_apnwatch = ftp_data_json_apnwatch,
	.transfers = ftp_data_transfers,
};
