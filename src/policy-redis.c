/*
 * policy-redis.c - the sensor's side of the Redis policy store
 * (docs/policy-store.md), and the connection helpers apnwatch-ctl shares.
 *
 * At start the active version is fetched and compiled; the good text is
 * cached on disk (temp file + rename, so a crash never leaves half a
 * policy), and with Redis down the cache is compiled instead.  A listener
 * thread subscribes to the announcement channel and, for each announced
 * version, fetches and compiles it on its own short-lived connection.  A
 * good policy goes into a one-pointer slot under a mutex held only for a
 * pointer swap (the packet path only tries it, never waits; an older
 * policy nobody took is freed); a bad one is refused with its first
 * errors and the last good one stays.
 *
 * Everything Redis returns is untrusted: reply types are checked, version
 * numbers parsed strictly, texts bounded (POLICY_REDIS_TEXT_MAX).  The
 * thread waits with poll() on the socket and on a self-pipe, so stop is
 * immediate; lost connections are retried with backoff 1 s .. 30 s.
 */
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy-redis.h"
#include "util-file.h"
#include "util-log.h"
#include "util-sha256.h"

#define PR_TIMEOUT_MS 2000     /* connect and each command */
#define PR_BACKOFF_MIN_S 1
#define PR_BACKOFF_MAX_S 30
#define PR_ERRORS_SHOWN 3      /* compile errors quoted in a refusal */

struct policy_redis {
	char *url, *cache_path, *prefix, *channel;
	pthread_t thread;
	int thread_started, lock_made;
	int wake[2];                   /* self-pipe: stop wakes the thread */
	atomic_int stop;
	pthread_mutex_t lock;          /* guards slot: held only for a pointer swap */
	struct policy *slot;           /* newest good policy not yet taken */
	/* the listener's own state */
	char in_force[65];             /* sha256 of the last good text ("" none) */
	char refused[65];              /* sha256 of the last text refused (not retried) */
};

/* ---- URL and connection ---------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes [s, s+n) into out; -1 when malformed, too long or NUL. */
static int pct_decode(const char *s, size_t n, char *out, size_t outsz)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			int h, l;
			if (i + 2 >= n || (h = hexval(s[i + 1])) < 0 || (l = hexval(s[i + 2])) < 0)
				return -1;
			c = h * 16 + l;
			i += 2;
		}
		if (c == 0 || o + 1 >= outsz)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

static int parse_uint(const char *s, size_t n, long max, long *v)
{
	long x = 0;
	if (n == 0 || n > 9)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	if (x > max)
		return -1;
	*v = x;
	return 0;
}

int policy_redis_parse_url(const char *url, struct policy_redis_url *u, char *err, size_t errlen)
{
	const char *p, *end, *at, *hp, *hend, *colon = NULL;
	long v;

	memset(u, 0, sizeof(*u));
	u->port = 6379;
	if (!url || strncmp(url, "redis://", 8) != 0) {
		snprintf(err, errlen, "bad Redis URL: it must start with redis:// "
			 "(redis://[user:password@]host[:port][/db])");
		return -1;
	}
	p = url + 8;
	end = p + strlen(p);
	/* userinfo: the last '@' before the path, so a password may hold '@' encoded or not */
	const char *slash = memchr(p, '/', (size_t)(end - p));
	const char *auth_end = slash ? slash : end;
	at = NULL;
	for (const char *q = p; q < auth_end; q++)
		if (*q == '@')
			at = q;
	if (at) {
		const char *c = memchr(p, ':', (size_t)(at - p));
		if (!c) {
			snprintf(err, errlen, "bad Redis URL: a user needs a password "
				 "(redis://user:password@host, or redis://:password@host)");
			return -1;
		}
		if (pct_decode(p, (size_t)(c - p), u->user, sizeof(u->user)) < 0 ||
		    pct_decode(c + 1, (size_t)(at - c - 1), u->password, sizeof(u->password)) < 0) {
			snprintf(err, errlen, "bad Redis URL: bad or too long user or password");
			return -1;
		}
		u->has_password = u->password[0] != 0;
		hp = at + 1;
	} else {
		hp = p;
	}
	hend = auth_end;
	/* host: [IPv6] or a name / IPv4, then an optional :port */
	if (hp < hend && *hp == '[') {
		const char *rb = memchr(hp, ']', (size_t)(hend - hp));
		if (!rb || (size_t)(rb - hp - 1) >= sizeof(u->host) || rb == hp + 1) {
			snprintf(err, errlen, "bad Redis URL: malformed [IPv6] host");
			return -1;
		}
		memcpy(u->host, hp + 1, (size_t)(rb - hp - 1));
		if (rb + 1 < hend) {
			if (rb[1] != ':') {
				snprintf(err, errlen, "bad Redis URL: junk after the [IPv6] host");
				return -1;
			}
			colon = rb + 1;
		}
	} else {
		colon = memchr(hp, ':', (size_t)(hend - hp));
		const char *he = colon ? colon : hend;
		if ((size_t)(he - hp) >= sizeof(u->host)) {
			snprintf(err, errlen, "bad Redis URL: host name too long");
			return -1;
		}
		memcpy(u->host, hp, (size_t)(he - hp));
		for (const char *q = hp; q < he; q++)
			if (*q <= ' ' || *q == '%' || (unsigned char)*q >= 0x7f) {
				snprintf(err, errlen, "bad Redis URL: bad character in the host");
				return -1;
			}
	}
	if (!u->host[0])
		strcpy(u->host, "127.0.0.1");
	if (colon) {
		if (parse_uint(colon + 1, (size_t)(hend - colon - 1), 65535, &v) < 0 || v == 0) {
			snprintf(err, errlen, "bad Redis URL: the port must be 1-65535");
			return -1;
		}
		u->port = (int)v;
	}
	if (slash && slash + 1 < end) {
		if (parse_uint(slash + 1, (size_t)(end - slash - 1), 1000000, &v) < 0) {
			snprintf(err, errlen, "bad Redis URL: the database must be a number (/0)");
			return -1;
		}
		u->db = (int)v;
	}
	int ipv6 = strchr(u->host, ':') != NULL;
	snprintf(u->shown, sizeof(u->shown), "redis://%s%s%s%s%s:%d/%d", u->user,
		 u->user[0] ? "@" : "", ipv6 ? "[" : "", u->host, ipv6 ? "]" : "", u->port, u->db);
	return 0;
}

/* Copies an untrusted reply string for a message: printable ASCII only, bounded. */
static void clean_copy(char *out, size_t outsz, const char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < outsz && o < 160; i++)
		out[o++] = (s[i] >= ' ' && s[i] < 0x7f) ? s[i] : '?';
	out[o] = '\0';
}

static enum policy_redis_status reply_error(const struct policy_redis_url *u, redisContext *c,
					    redisReply *r, const char *what, char *err,
					    size_t errlen)
{
	char msg[200];
	if (!r) {
		snprintf(err, errlen, "%s: %s: %s", u ? u->shown : "redis", what,
			 c->errstr[0] ? c->errstr : "connection lost");
		return PR_UNREACHABLE;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		clean_copy(msg, sizeof(msg), r->str, r->len);
		if (!strncmp(r->str, "NOAUTH", 6)) {
			snprintf(err, errlen, "%s: authentication required: give the password in "
				 "the URL (redis://user:password@host or redis://:password@host)",
				 u ? u->shown : "redis");
			return PR_AUTH;
		}
		if (!strncmp(r->str, "WRONGPASS", 9) || strstr(r->str, "invalid password")) {
			snprintf(err, errlen, "%s: authentication failed: %s",
				 u ? u->shown : "redis", msg);
			return PR_AUTH;
		}
		snprintf(err, errlen, "%s: %s: %s", u ? u->shown : "redis", what, msg);
		return PR_PROTOCOL;
	}
	snprintf(err, errlen, "%s: %s: unexpected reply (type %d)", u ? u->shown : "redis", what,
		 r->type);
	return PR_PROTOCOL;
}

/* Runs one command that must answer +OK / +PONG (a status). */
static enum policy_redis_status expect_status(const struct policy_redis_url *u, redisContext *c,
					      redisReply *r, const char *what, char *err,
					      size_t errlen)
{
	enum policy_redis_status st = PR_OK;
	if (!r || r->type != REDIS_REPLY_STATUS)
		st = reply_error(u, c, r, what, err, errlen);
	if (r)
		freeReplyObject(r);
	return st;
}

struct redisContext *policy_redis_connect(const char *url, int timeout_ms,
					  enum policy_redis_status *st, char *err, size_t errlen)
{
	struct policy_redis_url u;
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	redisContext *c;

	if (policy_redis_parse_url(url, &u, err, errlen) < 0) {
		*st = PR_BAD_URL;
		return NULL;
	}
	c = redisConnectWithTimeout(u.host, u.port, tv);
	if (!c) {
		snprintf(err, errlen, "%s: out of memory", u.shown);
		*st = PR_UNREACHABLE;
		return NULL;
	}
	if (c->err) {
		snprintf(err, errlen, "%s: cannot connect: %s", u.shown, c->errstr);
		*st = PR_UNREACHABLE;
		goto bad;
	}
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		snprintf(err, errlen, "%s: cannot set a timeout", u.shown);
		*st = PR_UNREACHABLE;
		goto bad;
	}
	if (u.has_password) {
		redisReply *r = u.user[0] ? redisCommand(c, "AUTH %s %s", u.user, u.password)
					  : redisCommand(c, "AUTH %s", u.password);
		if (r && r->type == REDIS_REPLY_ERROR) {
			char msg[200];
			clean_copy(msg, sizeof(msg), r->str, r->len);
			snprintf(err, errlen, "%s: authentication failed: %s", u.shown, msg);
			freeReplyObject(r);
			*st = PR_AUTH;
			goto bad;
		}
		if ((*st = expect_status(&u, c, r, "AUTH", err, errlen)) != PR_OK)
			goto bad;
	}
	if (u.db && (*st = expect_status(&u, c, redisCommand(c, "SELECT %d", u.db), "SELECT",
					 err, errlen)) != PR_OK)
		goto bad;
	/* PING: a server that wants AUTH says so now, not at the first real command */
	if ((*st = expect_status(&u, c, redisCommand(c, "PING"), "PING", err, errlen)) != PR_OK)
		goto bad;
	*st = PR_OK;
	return c;
bad:
	redisFree(c);
	return NULL;
}

/* Parses a version number: 1 .. 10^15, digits only. */
static int parse_version(const char *s, size_t n, long long *v)
{
	long long x = 0;
	if (n == 0 || n > 15)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	if (x <= 0)
		return -1;
	*v = x;
	return 0;
}

enum policy_redis_status policy_redis_active(struct redisContext *c, const char *prefix,
					     long long *n, char *err, size_t errlen)
{
	enum policy_redis_status st = PR_OK;
	redisReply *r = redisCommand(c, "GET %spolicy:active", prefix);

	if (r && r->type == REDIS_REPLY_NIL) {
		snprintf(err, errlen, "no active policy version in the store (%spolicy:active)",
			 prefix);
		st = PR_MISSING;
	} else if (r && r->type == REDIS_REPLY_STRING) {
		if (parse_version(r->str, r->len, n) < 0) {
			char msg[64];
			clean_copy(msg, sizeof(msg), r->str, r->len);
			snprintf(err, errlen, "%spolicy:active is not a version number: \"%s\"",
				 prefix, msg);
			st = PR_PROTOCOL;
		}
	} else {
		st = reply_error(NULL, c, r, "GET policy:active", err, errlen);
	}
	if (r)
		freeReplyObject(r);
	return st;
}

enum policy_redis_status policy_redis_fetch(struct redisContext *c, const char *prefix,
					    long long n, char **text, size_t *len, char *err,
					    size_t errlen)
{
	enum policy_redis_status st = PR_OK;
	redisReply *r = redisCommand(c, "HGET %spolicy:v:%lld text", prefix, n);

	*text = NULL;
	*len = 0;
	if (r && r->type == REDIS_REPLY_NIL) {
		snprintf(err, errlen, "no policy version %lld in the store", n);
		st = PR_MISSING;
	} else if (r && r->type == REDIS_REPLY_STRING) {
		if (r->len > POLICY_REDIS_TEXT_MAX) {
			snprintf(err, errlen, "policy version %lld is too big (%zu bytes, "
				 "at most %u)", n, r->len, POLICY_REDIS_TEXT_MAX);
			st = PR_TOO_BIG;
		} else if (!(*text = malloc(r->len + 1))) {
			snprintf(err, errlen, "out of memory");
			st = PR_PROTOCOL;
		} else {
			memcpy(*text, r->str, r->len);
			(*text)[r->len] = '\0';
			*len = r->len;
		}
	} else {
		st = reply_error(NULL, c, r, "HGET", err, errlen);
	}
	if (r)
		freeReplyObject(r);
	return st;
}

void policy_redis_sha256(const char *text, size_t len, char out[65])
{
	struct sha256 s;
	uint8_t d[32];
	if (sha256_init(&s) < 0)
		fatal("policy-redis: out of memory");
	sha256_update(&s, text, len);
	sha256_final(&s, d);
	sha256_hex(d, out);
}

/* ---- compiling and caching ------------------------------------------- */

/*
 * Compiles text; on errors logs a refusal that names `what` and quotes
 * the first errors, so an operator sees why the old policy stays.
 */
static struct policy *compile_or_refuse(const char *name, const char *text, size_t len,
					const char *what)
{
	char *buf = NULL;
	size_t bufsz = 0;
	int nerr = 0;
	struct policy *p;
	FILE *errs = open_memstream(&buf, &bufsz);

	p = policy_compile(name, text, len, errs, &nerr);
	if (errs)
		fclose(errs);
	if (!p) {
		/* keep the first few lines, joined with "; " */
		char first[600] = "";
		size_t o = 0;
		int lines = 0;
		for (size_t i = 0; buf && i < bufsz && lines < PR_ERRORS_SHOWN; i++) {
			if (buf[i] == '\n') {
				int more = ++lines < PR_ERRORS_SHOWN && i + 1 < bufsz;
				if (more && o + 3 < sizeof(first)) {
					first[o++] = ';';
					first[o++] = ' ';
				}
				continue;
			}
			if (o + 1 < sizeof(first))
				first[o++] = buf[i] >= ' ' && buf[i] < 0x7f ? buf[i] : '?';
		}
		first[o] = '\0';
		log_warn("policy %s refused (%d error%s), keeping the last good policy: %s", what,
			 nerr, nerr == 1 ? "" : "s", first[0] ? first : "no policy compiled");
	}
	free(buf);
	return p;
}

/* Writes text to path through a temporary file and rename(2). */
static void cache_write(const char *path, const char *text, size_t len)
{
	size_t n = strlen(path);
	char *tmp = malloc(n + 8);
	int fd;

	if (!tmp)
		return;
	memcpy(tmp, path, n);
	memcpy(tmp + n, ".XXXXXX", 8);
	fd = mkstemp(tmp);
	if (fd < 0) {
		log_warn("policy cache %s: %s", path, strerror(errno));
		free(tmp);
		return;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto bad;
		off += (size_t)w;
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto bad;
	}
	if (rename(tmp, path) < 0) {
		fd = -1;
		goto bad;
	}
	free(tmp);
	return;
bad:
	log_warn("policy cache %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
}

/* Reads the cache (bounded); NULL after logging why. */
static char *read_file(const char *path, size_t *len)
{
	const char *why;
	char *buf = file_read_all(path, POLICY_REDIS_TEXT_MAX, len, &why);
	if (buf == NULL)
		log_warn("policy cache %s: %s", path, why);
	return buf;
}

static struct policy *load_cache(struct policy_redis *r)
{
	char *text, *name;
	size_t len;
	struct policy *p;

	if (!r->cache_path) {
		log_warn("no policy cache configured: starting without a Redis policy");
		return NULL;
	}
	if (!(text = read_file(r->cache_path, &len)))
		return NULL;
	if (asprintf(&name, "cache:%s", r->cache_path) < 0) {
		free(text);
		return NULL;
	}
	p = compile_or_refuse(name, text, len, name);
	if (p) {
		policy_redis_sha256(text, len, r->in_force);
		log_info("policy: using the cached policy %s (%s)", r->cache_path, r->in_force);
	}
	free(name);
	free(text);
	return p;
}

/*
 * Fetches and compiles version n.  Returns the policy (text cached,
 * in_force updated), or NULL: refused, unchanged (*same set) or Redis
 * failed (*st).
 */
static struct policy *load_version(struct policy_redis *r, redisContext *c, long long n,
				   int *same, enum policy_redis_status *st, int retry_refused)
{
	char err[512], name[64], what[64], sha[65];
	char *text;
	size_t len;
	struct policy *p;

	*same = 0;
	*st = policy_redis_fetch(c, r->prefix, n, &text, &len, err, sizeof(err));
	if (*st != PR_OK) {
		log_warn("policy store: %s", err);
		return NULL;
	}
	policy_redis_sha256(text, len, sha);
	if (!strcmp(sha, r->in_force)) {
		*same = 1;
		free(text);
		return NULL;
	}
	if (!retry_refused && !strcmp(sha, r->refused)) {
		free(text);
		return NULL;
	}
	snprintf(name, sizeof(name), "redis:v%lld", n);
	snprintf(what, sizeof(what), "version %lld", n);
	p = compile_or_refuse(name, text, len, what);
	if (!p)
		memcpy(r->refused, sha, sizeof(sha));
	if (p) {
		memcpy(r->in_force, sha, sizeof(sha));
		if (r->cache_path)
			cache_write(r->cache_path, text, len);
	}
	free(text);
	return p;
}

/* ---- the listener thread --------------------------------------------- */

static void hand_over(struct policy_redis *r, struct policy *p, long long n)
{
	struct policy *old;

	pthread_mutex_lock(&r->lock);
	old = r->slot;
	r->slot = p;
	pthread_mutex_unlock(&r->lock);
	if (old)
		policy_free(old);
	log_info("policy: version %lld ready (%s)", n, r->in_force);
}

/* Checks the active version on a fresh connection (after a (re)subscribe). */
static void check_active(struct policy_redis *r)
{
	char err[512];
	enum policy_redis_status st;
	long long n;
	int same;
	redisContext *c = policy_redis_connect(r->url, PR_TIMEOUT_MS, &st, err, sizeof(err));

	if (!c) {
		log_warn("policy store: %s", err);
		return;
	}
	if (policy_redis_active(c, r->prefix, &n, err, sizeof(err)) != PR_OK)
		log_warn("policy store: %s", err);
	else {
		/* the text decides, not the number: a store wiped and refilled reuses numbers */
		struct policy *p = load_version(r, c, n, &same, &st, 0);
		if (p)
			hand_over(r, p, n);
	}
	redisFree(c);
}

static void announced(struct policy_redis *r, long long n)
{
	char err[512];
	enum policy_redis_status st;
	int same;
	redisContext *c = policy_redis_connect(r->url, PR_TIMEOUT_MS, &st, err, sizeof(err));

	if (!c) {
		log_warn("policy store: version %lld announced but not fetched: %s", n, err);
		return;
	}
	struct policy *p = load_version(r, c, n, &same, &st, 1);
	if (p)
		hand_over(r, p, n);
	else if (same)
		log_info("policy: version %lld announced, already in force", n);
	redisFree(c);
}

/* Waits up to ms for the socket (fd >= 0) or the stop pipe.  1: socket readable. */
static int wait_readable(struct policy_redis *r, int fd, int ms)
{
	struct pollfd pf[2] = {{r->wake[0], POLLIN, 0}, {fd, POLLIN, 0}};
	int n = poll(pf, fd >= 0 ? 2 : 1, ms);
	if (n <= 0 || atomic_load(&r->stop))
		return 0;
	return fd >= 0 && (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) ? 1 : 0;
}

/* Handles one pub/sub reply; ignores what is not a well-formed message. */
static void on_message(struct policy_redis *r, redisReply *m)
{
	long long n;
	char shown[64];

	if (m->type != REDIS_REPLY_ARRAY || m->elements != 3 ||
	    m->element[0]->type != REDIS_REPLY_STRING || strcmp(m->element[0]->str, "message"))
		return; /* subscribe confirmations and the like */
	if (m->element[2]->type != REDIS_REPLY_STRING ||
	    parse_version(m->element[2]->str, m->element[2]->len, &n) < 0) {
		if (m->element[2]->type == REDIS_REPLY_STRING)
			clean_copy(shown, sizeof(shown), m->element[2]->str, m->element[2]->len);
		else
			strcpy(shown, "?");
		log_warn("policy store: ignored an announcement that is not a version: \"%s\"",
			 shown);
		return;
	}
	announced(r, n);
}

/* Reads announcements until the connection fails or stop; 0 on stop. */
static int listen_loop(struct policy_redis *r, redisContext *c)
{
	while (!atomic_load(&r->stop)) {
		void *reply = NULL;
		if (redisGetReplyFromReader(c, &reply) != REDIS_OK)
			return -1;
		if (reply) {
			on_message(r, reply);
			freeReplyObject(reply);
			continue;
		}
		if (wait_readable(r, c->fd, 1000) && redisBufferRead(c) != REDIS_OK)
			return -1;
	}
	return 0;
}

/* Subscribes; NULL after logging why (when `loud`). */
static redisContext *subscribe(struct policy_redis *r, int loud)
{
	char err[512];
	enum policy_redis_status st;
	redisContext *c = policy_redis_connect(r->url, PR_TIMEOUT_MS, &st, err, sizeof(err));
	redisReply *rep;

	if (!c) {
		if (loud)
			log_warn("policy store: %s", err);
		return NULL;
	}
	rep = redisCommand(c, "SUBSCRIBE %s", r->channel);
	if (!rep || rep->type != REDIS_REPLY_ARRAY) {
		if (loud) {
			reply_error(NULL, c, rep, "SUBSCRIBE", err, sizeof(err));
			log_warn("policy store: %s", err);
		}
		if (rep)
			freeReplyObject(rep);
		redisFree(c);
		return NULL;
	}
	freeReplyObject(rep);
	return c;
}

static void *listener(void *arg)
{
	struct policy_redis *r = arg;
	int backoff = PR_BACKOFF_MIN_S, down = 0;

	while (!atomic_load(&r->stop)) {
		redisContext *c = subscribe(r, !down);
		if (!c) {
			if (!down)
				log_warn("policy store: unreachable, retrying with backoff "
					 "(%d s .. %d s)", PR_BACKOFF_MIN_S, PR_BACKOFF_MAX_S);
			down = 1;
			wait_readable(r, -1, backoff * 1000);
			backoff = backoff * 2 > PR_BACKOFF_MAX_S ? PR_BACKOFF_MAX_S : backoff * 2;
			continue;
		}
		if (down)
			log_info("policy store: reconnected");
		down = 0;
		backoff = PR_BACKOFF_MIN_S;
		/* subscribed first, then checked: nothing announced in between is lost */
		check_active(r);
		if (listen_loop(r, c) < 0 && !atomic_load(&r->stop)) {
			log_warn("policy store: connection lost (%s), reconnecting",
				 c->errstr[0] ? c->errstr : "closed");
			down = 1;
		}
		redisFree(c);
	}
	return NULL;
}

/* ---- the API ----------------------------------------------------------- */

struct policy_redis *policy_redis_start(const struct policy_redis_config *cf,
					struct policy **initial)
{
	char err[512];
	struct policy_redis_url u;
	struct policy_redis *r;
	enum policy_redis_status st;
	redisContext *c;
	long long n;
	int same;

	*initial = NULL;
	if (policy_redis_parse_url(cf->url, &u, err, sizeof(err)) < 0) {
		log_err("%s", err);
		return NULL;
	}
	if (!(r = calloc(1, sizeof(*r))))
		goto oom;
	r->wake[0] = r->wake[1] = -1;
	atomic_init(&r->stop, 0);
	pthread_mutex_init(&r->lock, NULL);
	r->lock_made = 1;
	r->url = strdup(cf->url);
	r->prefix = strdup(cf->prefix ? cf->prefix : POLICY_REDIS_PREFIX);
	r->cache_path = cf->cache_path ? strdup(cf->cache_path) : NULL;
	if (!r->url || !r->prefix || (cf->cache_path && !r->cache_path) ||
	    asprintf(&r->channel, "%spolicy", r->prefix) < 0 || pipe2(r->wake, O_CLOEXEC) < 0)
		goto oom;

	c = policy_redis_connect(r->url, PR_TIMEOUT_MS, &st, err, sizeof(err));
	if (!c) {
		log_warn("policy store: %s; trying the cache", err);
	} else {
		if (policy_redis_active(c, r->prefix, &n, err, sizeof(err)) != PR_OK)
			log_warn("policy store: %s; trying the cache", err);
		else if ((*initial = load_version(r, c, n, &same, &st, 1)))
			log_info("policy: version %lld from %s (%s)", n, u.shown, r->in_force);
		redisFree(c);
	}
	if (!*initial)
		*initial = load_cache(r);
	if (pthread_create(&r->thread, NULL, listener, r) != 0) {
		log_err("policy store: cannot start the listener thread");
		goto oom;
	}
	r->thread_started = 1;
	return r;
oom:
	log_err("policy store: out of memory");
	if (*initial)
		policy_free(*initial);
	*initial = NULL;
	policy_redis_stop(r);
	return NULL;
}

/* trylock: the packet path never waits; a policy missed now is taken at
 * the next call. */
struct policy *policy_redis_take(struct policy_redis *r)
{
	struct policy *p;

	if (!r || pthread_mutex_trylock(&r->lock) != 0)
		return NULL;
	p = r->slot;
	r->slot = NULL;
	pthread_mutex_unlock(&r->lock);
	return p;
}

void policy_redis_stop(struct policy_redis *r)
{
	if (!r)
		return;
	atomic_store(&r->stop, 1);
	if (r->thread_started) {
		ssize_t w;
		do
			w = write(r->wake[1], "x", 1);
		while (w < 0 && errno == EINTR);
		pthread_join(r->thread, NULL);
	}
	if (r->slot)
		policy_free(r->slot);
	if (r->lock_made)
		pthread_mutex_destroy(&r->lock);
	for (int i = 0; i < 2; i++)
		if (r->wake[i] >= 0)
			close(r->wake[i]);
	free(r->url);
	free(r->prefix);
	free(r->cache_path);
	free(r->channel);
	free(r);
}
