/*
 * policy-redis.h - the sensor's side of the Redis policy store: loads the
 * active version at start, listens for announcements of a new one
 * (pub/sub, on its own thread) and hands compiled policies to the packet
 * path, which swaps them in between two packets.  The last good policy
 * is cached on disk; with Redis down at start the cache is used, and the
 * listener reconnects with backoff.  Layout of the store: docs/policy-store.md.
 */
#ifndef APN_POLICY_REDIS_H
#define APN_POLICY_REDIS_H

#include "policy.h"

struct policy_redis_config {
	const char *url;        /* redis://[user:password@]host[:port][/db] */
	const char *cache_path; /* the last good policy's text; NULL: none */
	const char *prefix;     /* key prefix, default "apnwatch:" */
};

struct policy_redis;

/*
 * Connects and loads the active policy (or, when Redis is unreachable or
 * has none, the cache; says which through util-log), then starts the
 * listener thread.  *initial gets the policy to start with (NULL when
 * neither Redis nor the cache had a good one).  Returns NULL only for a
 * bad URL or out of memory (after logging why).
 */
struct policy_redis *policy_redis_start(const struct policy_redis_config *c,
					struct policy **initial);
/* A newer good policy announced since the last call, or NULL.  Never
 * blocks (the packet path calls it).  The caller owns the result. */
struct policy *policy_redis_take(struct policy_redis *r);
/* Stops the thread, frees what is not taken. */
void policy_redis_stop(struct policy_redis *r);

/* ---- the store, shared with apnwatch-ctl ---------------------------- */

#define POLICY_REDIS_PREFIX "apnwatch:"
/* Policy texts larger than this are refused (push, fetch). */
#define POLICY_REDIS_TEXT_MAX (64u << 20)

struct redisContext; /* hiredis */

/* A parsed redis://[user:password@]host[:port][/db] (user and password
 * percent-decoded; host may be [IPv6]). */
struct policy_redis_url {
	char host[256];
	int port;
	int db;
	char user[256];
	char password[256];
	int has_password;
	char shown[600]; /* for messages: redis://user@host:port/db, never the password */
};

/* Returns 0, or -1 after writing why to err. */
int policy_redis_parse_url(const char *url, struct policy_redis_url *u, char *err, size_t errlen);

enum policy_redis_status {
	PR_OK = 0,
	PR_BAD_URL,
	PR_UNREACHABLE, /* connect failed, timed out, connection lost */
	PR_AUTH,        /* AUTH refused, or the server wants one */
	PR_PROTOCOL,    /* an unexpected reply (error, type) */
	PR_MISSING,     /* no such version, no active version */
	PR_TOO_BIG,
};

/*
 * Connects (timeout_ms for the connect and for every later command),
 * sends AUTH (user + password, or password only) and SELECT, then PING.
 * Returns the context, or NULL with *st and err saying why.
 */
struct redisContext *policy_redis_connect(const char *url, int timeout_ms,
					  enum policy_redis_status *st, char *err, size_t errlen);

/* The active version's number into *n (PR_MISSING when none). */
enum policy_redis_status policy_redis_active(struct redisContext *c, const char *prefix,
					     long long *n, char *err, size_t errlen);

/* Version n's text (malloc'd, NUL-terminated, *len bytes); PR_MISSING
 * when there is no such version. */
enum policy_redis_status policy_redis_fetch(struct redisContext *c, const char *prefix,
					    long long n, char **text, size_t *len, char *err,
					    size_t errlen);

/* SHA-256 of text as 64 hex digits (what the store's sha256 field holds). */
void policy_redis_sha256(const char *text, size_t len, char out[65]);

#endif /* APN_POLICY_REDIS_H */
