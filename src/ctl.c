/*
 * ctl.c - apnwatch-ctl: the policies kept in Redis (docs/policy-store.md,
 * docs/apnwatch-ctl.1): push a checked file as a new version, list the
 * versions, show one, diff two, roll back to an older one.
 *
 * Nothing reaches Redis that does not compile: push and rollback compile
 * the text first and print its errors as "file:line:col: message".  The
 * writes that change the active version are one Lua script each, so a
 * sensor never sees a version that is half stored, and the announcement
 * goes out in the same step.
 *
 * Exit codes: 0 done; 1 the policy has errors or the file cannot be read
 * (nothing changed); 2 usage; 3 Redis unreachable, authentication failed,
 * or an unexpected reply; 4 no such version (or no active one).
 */
#include <errno.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy-redis.h"
#include "util-file.h"

#define EXIT_POLICY 1
#define EXIT_USAGE 2
#define EXIT_REDIS 3
#define EXIT_MISSING 4

#define CTL_TIMEOUT_MS 5000
#define CTL_FIELD_MAX 1024     /* author and comment bytes */
#define DIFF_CONTEXT 3
#define DIFF_LINES_MAX 2000000 /* per text */
#define DIFF_D_MAX 2000        /* edit distance searched; past it, a whole replacement */

struct ctl {
	const char *url;
	const char *prefix;
	redisContext *c;
};

/* ---- messages ---------------------------------------------------------- */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("apnwatch-ctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void usage(FILE *f)
{
	fputs("usage: apnwatch-ctl [--redis URL] [--prefix PREFIX] policy COMMAND\n"
	      "commands:\n"
	      "  push FILE [--author NAME] [--comment TEXT]\n"
	      "                    check FILE, store it as a new version, make it active\n"
	      "  list              the versions (* marks the active one)\n"
	      "  show [VERSION]    a version's text (default: the active one)\n"
	      "  diff A B          unified diff; A and B are versions, 'active', or files\n"
	      "  rollback VERSION  make an older version active again (checked first)\n"
	      "URL: redis://[user:password@]host[:port][/db]; default $REDIS_URL, else\n"
	      "redis://127.0.0.1:6379.  PREFIX: the store's key prefix (apnwatch:).\n"
	      "exit: 0 done, 1 policy errors, 2 usage, 3 Redis error, 4 no such version\n",
	      f);
}

/* Prints an untrusted field: printable bytes (UTF-8 passes), at most max. */
static void put_clean(const char *s, size_t n, size_t max)
{
	for (size_t i = 0; i < n && i < max; i++) {
		unsigned char ch = (unsigned char)s[i];
		putchar(ch < ' ' || ch == 0x7f ? '?' : ch);
	}
}

/* ---- Redis -------------------------------------------------------------- */

static int need_redis(struct ctl *x)
{
	char err[768];
	enum policy_redis_status st;

	if (x->c)
		return 0;
	x->c = policy_redis_connect(x->url, CTL_TIMEOUT_MS, &st, err, sizeof(err));
	if (!x->c) {
		say("%s", err);
		return st == PR_BAD_URL ? EXIT_USAGE : EXIT_REDIS;
	}
	return 0;
}

static int status_exit(enum policy_redis_status st)
{
	if (st == PR_MISSING)
		return EXIT_MISSING;
	return st == PR_TOO_BIG ? EXIT_POLICY : EXIT_REDIS;
}

/* "active" or a version number: its number into *n, or an exit code. */
static int resolve_version(struct ctl *x, const char *spec, long long *n)
{
	char err[768];
	enum policy_redis_status st;
	int rc;

	if ((rc = need_redis(x)))
		return rc;
	if (!strcmp(spec, "active")) {
		if ((st = policy_redis_active(x->c, x->prefix, n, err, sizeof(err))) != PR_OK) {
			say("%s", err);
			return status_exit(st);
		}
		return 0;
	}
	char *end;
	errno = 0;
	*n = strtoll(spec, &end, 10);
	if (errno || *end || end == spec || *n <= 0 || spec[0] == '+' || spec[0] == ' ') {
		say("bad version \"%s\": a number, or 'active'", spec);
		return EXIT_USAGE;
	}
	return 0;
}

static int fetch(struct ctl *x, long long n, char **text, size_t *len)
{
	char err[768];
	enum policy_redis_status st = policy_redis_fetch(x->c, x->prefix, n, text, len, err,
							 sizeof(err));
	if (st != PR_OK) {
		say("%s", err);
		return status_exit(st);
	}
	return 0;
}

/* One field of version n's hash (malloc'd, "" when absent); NULL on a Redis error. */
static char *hget(struct ctl *x, long long n, const char *field, size_t *len)
{
	redisReply *r = redisCommand(x->c, "HGET %spolicy:v:%lld %s", x->prefix, n, field);
	char *s = NULL;

	if (r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_NIL)) {
		size_t l = r->type == REDIS_REPLY_STRING ? r->len : 0;
		if ((s = malloc(l + 1))) {
			memcpy(s, r->str ? r->str : "", l);
			s[l] = '\0';
			*len = l;
		}
	} else {
		say("HGET %spolicy:v:%lld: %s", x->prefix, n,
		    r && r->type == REDIS_REPLY_ERROR ? r->str : x->c->errstr);
	}
	if (r)
		freeReplyObject(r);
	return s;
}

/* ---- files and checks --------------------------------------------------- */

/* Reads a whole file, bounded; NULL after printing "path: reason". */
static char *read_file(const char *path, size_t *len)
{
	const char *why;
	char *buf = file_read_all(path, POLICY_REDIS_TEXT_MAX, len, &why);
	if (buf == NULL)
		fprintf(stderr, "%s: %s\n", path, why);
	return buf;
}

/* Compiles text under name; 0 when good, else EXIT_POLICY after its errors. */
static int check_policy(const char *name, const char *text, size_t len)
{
	int nerr = 0;
	struct policy *p = policy_compile(name, text, len, stderr, &nerr);

	if (p) {
		policy_free(p);
		return 0;
	}
	if (nerr == 0)
		fprintf(stderr, "%s: the policy was not compiled\n", name);
	say("%s: %d error%s, nothing changed", name, nerr, nerr == 1 ? "" : "s");
	return EXIT_POLICY;
}

/* ---- push, list, show, rollback ----------------------------------------- */

/* The store's writes; see docs/policy-store.md.  KEYS: next, versions,
 * active; ARGV: version key prefix, text, author, time, sha256, comment,
 * channel. */
static const char push_lua[] =
	"local n = redis.call('INCR', KEYS[1])\n"
	"redis.call('HSET', ARGV[1] .. n, 'text', ARGV[2], 'author', ARGV[3],\n"
	"  'time', ARGV[4], 'sha256', ARGV[5], 'comment', ARGV[6])\n"
	"redis.call('ZADD', KEYS[2], n, n)\n"
	"redis.call('SET', KEYS[3], n)\n"
	"redis.call('PUBLISH', ARGV[7], n)\n"
	"return n\n";

/* KEYS: the version's hash, active; ARGV: the text checked, n, channel.
 * 0: no such version, -1: its text changed since it was checked. */
static const char rollback_lua[] =
	"if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
	"if redis.call('HGET', KEYS[1], 'text') ~= ARGV[1] then return -1 end\n"
	"redis.call('SET', KEYS[2], ARGV[2])\n"
	"redis.call('PUBLISH', ARGV[3], ARGV[2])\n"
	"return 1\n";

static void default_author(char *out, size_t n)
{
	char host[256] = "localhost";
	const char *user = getenv("USER");
	struct passwd *pw;

	if (!user || !*user)
		user = (pw = getpwuid(getuid())) ? pw->pw_name : "unknown";
	if (gethostname(host, sizeof(host)) < 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(out, n, "%s@%s", user, host);
}

static int cmd_push(struct ctl *x, const char *path, const char *author, const char *comment)
{
	char sha[65], when[32], who[600], keys[3][300], vprefix[300], channel[300];
	size_t len;
	time_t now = time(NULL);
	struct tm tm;
	int rc;
	char *text = read_file(path, &len);

	if (!text)
		return EXIT_POLICY;
	if ((rc = check_policy(path, text, len)))
		goto out;
	if ((rc = need_redis(x)))
		goto out;
	if (!author)
		default_author(who, sizeof(who));
	else
		snprintf(who, sizeof(who), "%s", author);
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	policy_redis_sha256(text, len, sha);
	snprintf(keys[0], sizeof(keys[0]), "%spolicy:next", x->prefix);
	snprintf(keys[1], sizeof(keys[1]), "%spolicy:versions", x->prefix);
	snprintf(keys[2], sizeof(keys[2]), "%spolicy:active", x->prefix);
	snprintf(vprefix, sizeof(vprefix), "%spolicy:v:", x->prefix);
	snprintf(channel, sizeof(channel), "%spolicy", x->prefix);
	redisReply *r = redisCommand(x->c, "EVAL %s 3 %s %s %s %s %b %s %s %s %s %s", push_lua,
				     keys[0], keys[1], keys[2], vprefix, text, len, who, when, sha,
				     comment ? comment : "", channel);
	if (r && r->type == REDIS_REPLY_INTEGER) {
		printf("pushed %s as version %lld, now active (sha256 %.12s)\n", path, r->integer,
		       sha);
		rc = 0;
	} else {
		say("push: %s", r && r->type == REDIS_REPLY_ERROR ? r->str
				: r ? "unexpected reply" : x->c->errstr);
		rc = EXIT_REDIS;
	}
	if (r)
		freeReplyObject(r);
out:
	free(text);
	return rc;
}

static int cmd_list(struct ctl *x)
{
	long long active = 0, n;
	char err[768];
	enum policy_redis_status st;
	int rc;

	if ((rc = need_redis(x)))
		return rc;
	/* a broken active number must not hide the history it would be repaired from */
	st = policy_redis_active(x->c, x->prefix, &active, err, sizeof(err));
	if (st == PR_UNREACHABLE) {
		say("%s", err);
		return EXIT_REDIS;
	}
	if (st != PR_OK && st != PR_MISSING)
		say("warning: %s", err);
	redisReply *r = redisCommand(x->c, "ZRANGE %spolicy:versions 0 -1", x->prefix);
	if (!r || r->type != REDIS_REPLY_ARRAY) {
		say("ZRANGE %spolicy:versions: %s", x->prefix,
		    r && r->type == REDIS_REPLY_ERROR ? r->str : r ? "unexpected reply"
								   : x->c->errstr);
		rc = EXIT_REDIS;
		goto out;
	}
	printf("  %-7s  %-20s  %-12s  %-24s  %s\n", "VERSION", "TIME", "SHA256", "AUTHOR",
	       "COMMENT");
	for (size_t i = 0; i < r->elements; i++) {
		redisReply *e = r->element[i];
		char *end;
		if (e->type != REDIS_REPLY_STRING)
			continue;
		n = strtoll(e->str, &end, 10);
		if (*end || n <= 0)
			continue;
		redisReply *h = redisCommand(x->c, "HMGET %spolicy:v:%lld %s %s %s %s", x->prefix,
					     n, "time", "sha256", "author", "comment");
		if (!h) {
			say("HMGET: %s", x->c->errstr);
			rc = EXIT_REDIS;
			goto out;
		}
		if (h->type != REDIS_REPLY_ARRAY || h->elements != 4) {
			/* one broken version: say so, list the others */
			say("HMGET %spolicy:v:%lld: %s", x->prefix, n,
			    h->type == REDIS_REPLY_ERROR ? h->str : "unexpected reply");
			freeReplyObject(h);
			rc = EXIT_REDIS;
			continue;
		}
		printf("%c %7lld  ", n == active ? '*' : ' ', n);
		static const int width[4] = {20, 12, 24, 0};
		static const size_t max[4] = {20, 12, 64, 80};
		for (int f = 0; f < 4; f++) {
			redisReply *v = h->element[f];
			size_t l = 1;
			if (v->type == REDIS_REPLY_STRING)
				l = v->len < max[f] ? v->len : max[f];
			if (v->type == REDIS_REPLY_STRING)
				put_clean(v->str, l, max[f]);
			else
				putchar('-');
			for (int pad = (int)l; f < 3 && pad < width[f] + 2; pad++)
				putchar(' ');
		}
		putchar('\n');
		freeReplyObject(h);
	}
out:
	if (r)
		freeReplyObject(r);
	return rc;
}

static int cmd_show(struct ctl *x, const char *spec)
{
	long long n;
	char *text;
	size_t len;
	int rc;

	if ((rc = resolve_version(x, spec, &n)) || (rc = fetch(x, n, &text, &len)))
		return rc;
	fwrite(text, 1, len, stdout);
	free(text);
	return 0;
}

static int cmd_rollback(struct ctl *x, const char *spec)
{
	long long n;
	char *text, name[64], key[300], active[300], channel[300], num[32];
	size_t len;
	int rc;

	if ((rc = resolve_version(x, spec, &n)) || (rc = fetch(x, n, &text, &len)))
		return rc;
	snprintf(name, sizeof(name), "redis:v%lld", n);
	if ((rc = check_policy(name, text, len))) {
		free(text);
		return rc;
	}
	snprintf(key, sizeof(key), "%spolicy:v:%lld", x->prefix, n);
	snprintf(active, sizeof(active), "%spolicy:active", x->prefix);
	snprintf(channel, sizeof(channel), "%spolicy", x->prefix);
	snprintf(num, sizeof(num), "%lld", n);
	redisReply *r = redisCommand(x->c, "EVAL %s 2 %s %s %b %s %s", rollback_lua, key, active,
				     text, len, num, channel);
	free(text);
	if (r && r->type == REDIS_REPLY_INTEGER && r->integer == 1) {
		printf("version %lld is active again\n", n);
		rc = 0;
	} else if (r && r->type == REDIS_REPLY_INTEGER) {
		say(r->integer == 0 ? "no policy version %lld in the store"
				    : "version %lld changed while it was checked; try again", n);
		rc = r->integer == 0 ? EXIT_MISSING : EXIT_REDIS;
	} else {
		say("rollback: %s", r && r->type == REDIS_REPLY_ERROR ? r->str
				    : r ? "unexpected reply" : x->c->errstr);
		rc = EXIT_REDIS;
	}
	if (r)
		freeReplyObject(r);
	return rc;
}

/* ---- diff: Myers' O(ND) line diff, bounded ------------------------------ */

struct line {
	const char *p;
	size_t n; /* bytes, the newline included when there is one */
	uint64_t h;
};

enum { OP_EQ, OP_DEL, OP_INS };

struct op {
	int t;
	int32_t a, b; /* lines of each text before this one (0-based indexes) */
};

struct text {
	char *buf;
	size_t len;
	char label[400];
	struct line *l;
	int32_t n;
};

/* Splits t into lines; -1 when it has too many. */
static int split_lines(struct text *t)
{
	size_t cap = 0;
	const char *p = t->buf, *end = t->buf + t->len;

	t->n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl + 1 : end;
		uint64_t h = 1469598103934665603ull;
		if (t->n >= DIFF_LINES_MAX)
			return -1;
		if ((size_t)t->n == cap) {
			cap = cap ? cap * 2 : 256;
			struct line *nl2 = realloc(t->l, cap * sizeof(*nl2));
			if (!nl2)
				return -1;
			t->l = nl2;
		}
		for (const char *q = p; q < e; q++)
			h = (h ^ (unsigned char)*q) * 1099511628211ull;
		t->l[t->n++] = (struct line){p, (size_t)(e - p), h};
		p = e;
	}
	return 0;
}

static int same_line(const struct line *a, const struct line *b)
{
	return a->h == b->h && a->n == b->n && !memcmp(a->p, b->p, a->n);
}

/*
 * The edit script of a[0..n) -> b[0..m) (offsets ao, bo added), appended
 * to ops in order.  Returns 0, or -1 when the distance passes DIFF_D_MAX
 * or memory runs out (the caller then replaces the whole middle).
 */
static int myers(const struct line *a, int32_t n, const struct line *b, int32_t m, int32_t ao,
		 int32_t bo, struct op *ops, size_t *nops)
{
	int32_t dmax = n + m < DIFF_D_MAX ? n + m : DIFF_D_MAX;
	int32_t off = dmax + 1, *v = calloc((size_t)(2 * dmax + 3), sizeof(int32_t));
	int32_t **trace = calloc((size_t)dmax + 1, sizeof(*trace));
	int32_t d, k, x, y, found = -1;
	int rc = -1;

	if (!v || !trace)
		goto out;
	for (d = 0; d <= dmax && found < 0; d++) {
		/* keep V[-d..d] as it was before step d: the backtrack reads it */
		if (!(trace[d] = malloc((size_t)(2 * d + 1) * sizeof(int32_t))))
			goto out;
		memcpy(trace[d], v + off - d, (size_t)(2 * d + 1) * sizeof(int32_t));
		for (k = -d; k <= d; k += 2) {
			if (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
				x = v[off + k + 1];
			else
				x = v[off + k - 1] + 1;
			y = x - k;
			while (x < n && y < m && same_line(&a[x], &b[y]))
				x++, y++;
			v[off + k] = x;
			if (x >= n && y >= m) {
				found = d;
				break;
			}
		}
	}
	if (found < 0)
		goto out;
	/* walk back from (n, m), writing the script from its end */
	size_t total = (size_t)n + (size_t)m, w = total;
	struct op *tmp = malloc((total ? total : 1) * sizeof(*tmp));
	if (!tmp)
		goto out;
	x = n;
	y = m;
	for (d = found; d >= 0; d--) {
		int32_t *vd = trace[d] + d; /* vd[k], k in [-d, d] */
		int32_t pk, px, py;
		k = x - y;
		if (d == 0) {
			px = py = 0;
		} else {
			pk = (k == -d || (k != d && vd[k - 1] < vd[k + 1])) ? k + 1 : k - 1;
			px = vd[pk];
			py = px - pk;
		}
		while (x > px && y > py) {
			x--, y--;
			tmp[--w] = (struct op){OP_EQ, x + ao, y + bo};
		}
		if (d > 0) {
			if (x == px)
				tmp[--w] = (struct op){OP_INS, x + ao, py + bo};
			else
				tmp[--w] = (struct op){OP_DEL, px + ao, y + bo};
			x = px;
			y = py;
		}
	}
	memcpy(ops + *nops, tmp + w, (total - w) * sizeof(*tmp));
	*nops += total - w;
	free(tmp);
	rc = 0;
out:
	if (trace)
		for (d = 0; d <= dmax && trace[d]; d++)
			free(trace[d]);
	free(trace);
	free(v);
	return rc;
}

static void put_line(char c, const struct line *l)
{
	putchar(c);
	fwrite(l->p, 1, l->n, stdout);
	if (!l->n || l->p[l->n - 1] != '\n')
		fputs("\n\\ No newline at end of file\n", stdout);
}

static void put_range(char sign, int32_t first, int32_t count)
{
	/* GNU: a range of one line is just its number; an empty one names the line before */
	if (count == 1)
		printf("%c%d", sign, first + 1);
	else
		printf("%c%d,%d", sign, count ? first + 1 : first, count);
}

/* Prints ops as unified diff hunks with DIFF_CONTEXT lines of context. */
static void print_hunks(const struct text *A, const struct text *B, const struct op *ops,
			size_t nops)
{
	size_t i = 0;
	while (i < nops) {
		size_t j = i, start, stop, end;
		while (j < nops && ops[j].t == OP_EQ)
			j++;
		if (j == nops)
			break;
		start = j - i > DIFF_CONTEXT ? j - DIFF_CONTEXT : i;
		end = j;
		for (;;) {
			while (end < nops && ops[end].t != OP_EQ)
				end++;
			size_t k = end;
			while (k < nops && ops[k].t == OP_EQ)
				k++;
			if (k < nops && k - end <= 2 * DIFF_CONTEXT) {
				end = k;
				continue;
			}
			stop = end + DIFF_CONTEXT < nops ? end + DIFF_CONTEXT : nops;
			break;
		}
		int32_t ca = 0, cb = 0;
		for (size_t q = start; q < stop; q++) {
			ca += ops[q].t != OP_INS;
			cb += ops[q].t != OP_DEL;
		}
		fputs("@@ ", stdout);
		put_range('-', ops[start].a, ca);
		putchar(' ');
		put_range('+', ops[start].b, cb);
		fputs(" @@\n", stdout);
		for (size_t q = start; q < stop; q++) {
			if (ops[q].t == OP_EQ)
				put_line(' ', &A->l[ops[q].a]);
			else if (ops[q].t == OP_DEL)
				put_line('-', &A->l[ops[q].a]);
			else
				put_line('+', &B->l[ops[q].b]);
		}
		i = stop;
	}
}

/* Loads a side of a diff: a version ("active", a number) or a file. */
static int load_side(struct ctl *x, const char *spec, struct text *t)
{
	int rc;
	long long n;
	size_t dl = 0;

	if (strcmp(spec, "active") && strspn(spec, "0123456789") != strlen(spec)) {
		if (!(t->buf = read_file(spec, &t->len)))
			return EXIT_POLICY;
		snprintf(t->label, sizeof(t->label), "%s", spec);
		return 0;
	}
	if ((rc = resolve_version(x, spec, &n)) || (rc = fetch(x, n, &t->buf, &t->len)))
		return rc;
	char *when = hget(x, n, "time", &dl);
	if (!when)
		return EXIT_REDIS;
	/* untrusted: the label must stay one printable line */
	for (char *p = when; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
	snprintf(t->label, sizeof(t->label), "v%lld\t%.64s", n, when);
	free(when);
	return 0;
}

static int cmd_diff(struct ctl *x, const char *sa, const char *sb)
{
	struct text A = {0}, B = {0};
	struct op *ops = NULL;
	size_t nops = 0;
	int rc;

	if ((rc = load_side(x, sa, &A)) || (rc = load_side(x, sb, &B)))
		goto out;
	if (split_lines(&A) < 0 || split_lines(&B) < 0) {
		say("diff: too many lines (at most %d) or out of memory", DIFF_LINES_MAX);
		rc = EXIT_POLICY;
		goto out;
	}
	if (!(ops = malloc(((size_t)A.n + (size_t)B.n + 1) * sizeof(*ops)))) {
		say("diff: out of memory");
		rc = EXIT_POLICY;
		goto out;
	}
	/* the common head and tail cost nothing; Myers sees only the middle */
	int32_t pre = 0, suf = 0;
	while (pre < A.n && pre < B.n && same_line(&A.l[pre], &B.l[pre]))
		pre++;
	while (suf < A.n - pre && suf < B.n - pre &&
	       same_line(&A.l[A.n - 1 - suf], &B.l[B.n - 1 - suf]))
		suf++;
	for (int32_t i = 0; i < pre; i++)
		ops[nops++] = (struct op){OP_EQ, i, i};
	int32_t na = A.n - pre - suf, nb = B.n - pre - suf;
	if (myers(A.l + pre, na, B.l + pre, nb, pre, pre, ops, &nops) < 0) {
		for (int32_t i = 0; i < na; i++)
			ops[nops++] = (struct op){OP_DEL, pre + i, pre};
		for (int32_t i = 0; i < nb; i++)
			ops[nops++] = (struct op){OP_INS, pre + na, pre + i};
	}
	for (int32_t i = 0; i < suf; i++)
		ops[nops++] = (struct op){OP_EQ, A.n - suf + i, B.n - suf + i};
	if (na || nb) {
		printf("--- %s\n+++ %s\n", A.label, B.label);
		print_hunks(&A, &B, ops, nops);
	}
	rc = 0;
out:
	free(ops);
	free(A.buf);
	free(A.l);
	free(B.buf);
	free(B.l);
	return rc;
}

/* ---- main ---------------------------------------------------------------- */

static int run(struct ctl *x, int argc, char **argv, const char *author, const char *comment)
{
	const char *cmd = argc >= 2 ? argv[1] : "";

	if (argc < 2 || strcmp(argv[0], "policy")) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((author || comment) && strcmp(cmd, "push")) {
		say("--author and --comment go with push");
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "push") && argc == 3)
		return cmd_push(x, argv[2], author, comment);
	if (!strcmp(cmd, "list") && argc == 2)
		return cmd_list(x);
	if (!strcmp(cmd, "show") && argc <= 3)
		return cmd_show(x, argc == 3 ? argv[2] : "active");
	if (!strcmp(cmd, "diff") && argc == 4)
		return cmd_diff(x, argv[2], argv[3]);
	if (!strcmp(cmd, "rollback") && argc == 3)
		return cmd_rollback(x, argv[2]);
	say("policy %s: unknown command or wrong arguments (apnwatch-ctl --help)", cmd);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"redis", required_argument, NULL, 'r'},
		{"prefix", required_argument, NULL, 'p'},
		{"author", required_argument, NULL, 'a'},
		{"comment", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ctl x = {getenv("REDIS_URL"), POLICY_REDIS_PREFIX, NULL};
	const char *author = NULL, *comment = NULL;
	int o, rc;

	if (!x.url || !*x.url)
		x.url = "redis://127.0.0.1:6379";
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'r': x.url = optarg; break;
		case 'p': x.prefix = optarg; break;
		case 'a': author = optarg; break;
		case 'c': comment = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if ((author && (!*author || strlen(author) > CTL_FIELD_MAX)) ||
	    (comment && strlen(comment) > CTL_FIELD_MAX) || strlen(x.prefix) > 200) {
		say("--author (not empty), --comment: at most %d bytes; --prefix: 200",
		    CTL_FIELD_MAX);
		return EXIT_USAGE;
	}
	rc = run(&x, argc - optind, argv + optind, author, comment);
	if (fflush(stdout) != 0 && !rc) {
		say("writing the output: %s", strerror(errno));
		rc = EXIT_REDIS;
	}
	if (x.c)
		redisFree(x.c);
	return rc;
}
