/*
 * geo.c - country and autonomous system of a server address, from MaxMind
 * DB files through libmaxminddb (geo.h; docs/geo.md).
 *
 * Format: MaxMind DB File Format Specification 2.0.  Two layouts are read,
 * the ones MaxMind's GeoLite2 and DB-IP's Lite files share:
 *   country / city DB:  country.iso_code                   ("DE")
 *   ASN DB:             autonomous_system_number           (64496)
 *                       autonomous_system_organization     ("Demo ...")
 * The metadata's database_type says which kind a file is; a country file
 * given as the ASN database (or the other way round) is refused with a
 * warning rather than read for fields it does not have.
 *
 * A file that is missing, unreadable, corrupt or of the wrong kind is one
 * warning at open (naming the file and why) and its fields are absent from
 * every event: values come from a database or not at all.
 *
 * The cache.  Lookups happen once per flow, and the servers of an APN are
 * few, so a direct-mapped table keyed by the whole address (cache_entries
 * slots, negative results too) answers most of them.  A collision simply
 * replaces the slot: the worst case is a database lookup, never a wrong
 * answer.  The cache is written on lookup, so one struct geo belongs to one
 * thread (libmaxminddb itself is safe to share read-only).
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <maxminddb.h>

#include "geo.h"
#include "util-log.h"

#ifndef APN_DATADIR
#define APN_DATADIR "/usr/local/share/apnwatch"
#endif

/* Bounds the cache's memory (about 150 bytes a slot). */
#define GEO_CACHE_MAX ((size_t)1 << 20)
/* How many directories above the program a build tree's top may be
 * (src/apnwatch: 1, tests/unit/test-geo: 2). */
#define GEO_BUILD_TREE_DEPTH 3

enum geo_kind { GEO_COUNTRY, GEO_ASN };

struct geo_db {
	MMDB_s mmdb;
	int open;
	char desc[PATH_MAX + 64]; /* "path (database_type)" or "none" */
};

struct geo_slot {
	uint8_t used;
	struct ip_addr key;
	struct geo_result res;
};

struct geo {
	struct geo_db db[2]; /* GEO_COUNTRY, GEO_ASN */
	struct geo_slot *cache;
	size_t cache_n;
	struct counters *cnt;
};

static const char *const kind_name[2] = {"country", "ASN"};
static const char *const demo_file[2] = {"demo-country.mmdb", "demo-asn.mmdb"};

void geo_config_defaults(struct geo_config *c)
{
	memset(c, 0, sizeof(*c));
	c->cache_entries = 65536;
}

static void count(struct geo *g, enum counter_id id)
{
	if (g->cnt)
		cnt_inc(g->cnt, id);
}

/* ------------------------------------------------------------------ */
/* Opening                                                             */
/* ------------------------------------------------------------------ */

static int readable(const char *path) { return access(path, R_OK) == 0; }

/* The bundled demo database of this kind: the build tree's when this
 * program runs from one (a directory at most GEO_BUILD_TREE_DEPTH above
 * it holds config.status and geo/<file>; also a VPATH build such as
 * distcheck's, since the files are built there), else the installed one.
 * Returns 1 with the path in buf, else 0 with the installed path in buf. */
static int demo_db_path(enum geo_kind k, char *buf, size_t len)
{
	char dir[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n > 0) {
		dir[n] = '\0';
		for (int up = 0; up < GEO_BUILD_TREE_DEPTH; up++) {
			char *slash = strrchr(dir, '/');
			if (!slash || slash == dir)
				break;
			*slash = '\0';
			char probe[PATH_MAX + 32];
			snprintf(probe, sizeof(probe), "%s/config.status", dir);
			if (!readable(probe))
				continue;
			snprintf(buf, len, "%s/geo/%s", dir, demo_file[k]);
			if (readable(buf))
				return 1;
			break; /* a build tree without them: use the installed ones */
		}
	}
	snprintf(buf, len, "%s/geo/%s", APN_DATADIR, demo_file[k]);
	return readable(buf);
}

/* Which kind a database_type names: GeoLite2-/GeoIP2-Country, -City,
 * -Enterprise, DBIP-Country-Lite, DBIP-City-Lite, DBIP-Location... are
 * country files; GeoLite2-ASN, GeoIP2-ISP, DBIP-ASN-Lite are ASN files.
 * Returns -1 for a type that says neither. */
static int kind_of_type(const char *type)
{
	static const char *const asn[] = {"asn", "isp"};
	static const char *const country[] = {"country", "city", "enterprise", "location"};
	char low[64];
	size_t i;
	for (i = 0; type[i] && i < sizeof(low) - 1; i++)
		low[i] = (char)(type[i] >= 'A' && type[i] <= 'Z' ? type[i] + 32 : type[i]);
	low[i] = '\0';
	for (i = 0; i < sizeof(asn) / sizeof(asn[0]); i++)
		if (strstr(low, asn[i]))
			return GEO_ASN;
	for (i = 0; i < sizeof(country) / sizeof(country[0]); i++)
		if (strstr(low, country[i]))
			return GEO_COUNTRY;
	return -1;
}

/* Opens one database of kind k, or warns and leaves it closed. */
static void geo_db_open(struct geo_db *d, enum geo_kind k, const char *path)
{
	char demo[PATH_MAX + 32];
	snprintf(d->desc, sizeof(d->desc), "none");
	if (path && path[0] == '\0')
		return;
	if (!path) {
		if (!demo_db_path(k, demo, sizeof(demo))) {
			log_warn("no demo %s database (%s): events get no %s fields", kind_name[k],
				 demo, k == GEO_COUNTRY ? "country" : "AS");
			return;
		}
		path = demo;
	}
	errno = 0;
	int rc = MMDB_open(path, MMDB_MODE_MMAP, &d->mmdb);
	if (rc != MMDB_SUCCESS) {
		if ((rc == MMDB_FILE_OPEN_ERROR || rc == MMDB_IO_ERROR) && errno)
			log_warn("%s database %s: %s: %s; events get no %s fields", kind_name[k],
				 path, MMDB_strerror(rc), strerror(errno),
				 k == GEO_COUNTRY ? "country" : "AS");
		else
			log_warn("%s database %s: %s (not a MaxMind DB file, or damaged); events "
				 "get no %s fields",
				 kind_name[k], path, MMDB_strerror(rc),
				 k == GEO_COUNTRY ? "country" : "AS");
		return;
	}
	const char *type = d->mmdb.metadata.database_type ? d->mmdb.metadata.database_type : "";
	int kind = kind_of_type(type);
	if (kind >= 0 && kind != (int)k) {
		log_warn("%s database %s is a %s database (type \"%s\"), not used; events get "
			 "no %s fields",
			 kind_name[k], path, kind_name[kind], type,
			 k == GEO_COUNTRY ? "country" : "AS");
		MMDB_close(&d->mmdb);
		return;
	}
	if (kind < 0)
		log_warn("%s database %s: unknown type \"%s\"; reading it as a %s database",
			 kind_name[k], path, type, kind_name[k]);
	d->open = 1;
	snprintf(d->desc, sizeof(d->desc), "%s (%s)", path, type);
}

struct geo *geo_open(const struct geo_config *c, struct counters *cnt)
{
	struct geo_config def;
	if (!c) {
		geo_config_defaults(&def);
		c = &def;
	}
	struct geo *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->cnt = cnt;
	g->cache_n = c->cache_entries < GEO_CACHE_MAX ? c->cache_entries : GEO_CACHE_MAX;
	if (g->cache_n) {
		/* calloc: pages are only touched as slots fill. */
		g->cache = calloc(g->cache_n, sizeof(*g->cache));
		if (!g->cache) {
			free(g);
			return NULL;
		}
	}
	geo_db_open(&g->db[GEO_COUNTRY], GEO_COUNTRY, c->country_db);
	geo_db_open(&g->db[GEO_ASN], GEO_ASN, c->asn_db);
	return g;
}

/* ------------------------------------------------------------------ */
/* Lookup                                                              */
/* ------------------------------------------------------------------ */

/* Copies a UTF-8 string of the database into dst (size n), control
 * characters dropped; a string too long is cut before the character that
 * does not fit, never inside it. */
static void copy_utf8(char *dst, size_t n, const char *src, uint32_t len)
{
	size_t j = 0;
	for (uint32_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)src[i];
		if (ch < 0x20 || ch == 0x7f)
			continue;
		if (j + 1 >= n) {
			if ((ch & 0xC0) == 0x80) {
				while (j > 0 && ((unsigned char)dst[j - 1] & 0xC0) == 0x80)
					j--;
				if (j > 0 && ((unsigned char)dst[j - 1] & 0xC0) == 0xC0)
					j--;
			}
			break;
		}
		dst[j++] = (char)ch;
	}
	dst[j] = '\0';
}

/* Looks a up in database d; returns 1 with *r set when it has an entry,
 * 0 when not, -1 on an error (counted). */
static int db_find(struct geo *g, struct geo_db *d, const struct ip_addr *a,
		   MMDB_lookup_result_s *r)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const struct sockaddr *sa;
	if (a->family == 4) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		memcpy(&sin.sin_addr, a->a, 4);
		sa = (const struct sockaddr *)&sin;
	} else {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		memcpy(&sin6.sin6_addr, a->a, 16);
		sa = (const struct sockaddr *)&sin6;
	}
	int err = MMDB_SUCCESS;
	*r = MMDB_lookup_sockaddr(&d->mmdb, sa, &err);
	if (err == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
		return 0; /* an IPv4-only file knows nothing of IPv6 */
	if (err != MMDB_SUCCESS) {
		count(g, CNT_GEO_ERRORS);
		return -1;
	}
	return r->found_entry ? 1 : 0;
}

/* country.iso_code, kept only when it is two letters. */
static void country_get(struct geo *g, const struct ip_addr *a, struct geo_result *out)
{
	MMDB_lookup_result_s r;
	MMDB_entry_data_s v;
	if (db_find(g, &g->db[GEO_COUNTRY], a, &r) <= 0)
		return;
	int rc = MMDB_get_value(&r.entry, &v, "country", "iso_code", NULL);
	if (rc == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR || (rc == MMDB_SUCCESS && !v.has_data))
		return;
	if (rc != MMDB_SUCCESS || v.type != MMDB_DATA_TYPE_UTF8_STRING || v.data_size != 2) {
		count(g, CNT_GEO_ERRORS);
		return;
	}
	for (int i = 0; i < 2; i++) {
		char ch = v.utf8_string[i];
		if (ch < 'A' || ch > 'Z') {
			count(g, CNT_GEO_ERRORS);
			return;
		}
	}
	memcpy(out->country, v.utf8_string, 2);
	out->country[2] = '\0';
}

/* An AS number of any unsigned integer type the file chose, 1..2^32-1. */
static int asn_value(const MMDB_entry_data_s *v, uint32_t *asn)
{
	uint64_t n;
	switch (v->type) {
	case MMDB_DATA_TYPE_UINT16: n = v->uint16; break;
	case MMDB_DATA_TYPE_UINT32: n = v->uint32; break;
	case MMDB_DATA_TYPE_UINT64: n = v->uint64; break;
	case MMDB_DATA_TYPE_INT32:
		if (v->int32 < 0)
			return -1;
		n = (uint64_t)v->int32;
		break;
	default: return -1;
	}
	if (n == 0 || n > UINT32_MAX)
		return -1;
	*asn = (uint32_t)n;
	return 0;
}

static void asn_get(struct geo *g, const struct ip_addr *a, struct geo_result *out)
{
	MMDB_lookup_result_s r;
	MMDB_entry_data_s v;
	if (db_find(g, &g->db[GEO_ASN], a, &r) <= 0)
		return;
	int rc = MMDB_get_value(&r.entry, &v, "autonomous_system_number", NULL);
	if (rc == MMDB_SUCCESS && v.has_data) {
		if (asn_value(&v, &out->asn) < 0)
			count(g, CNT_GEO_ERRORS);
	} else if (rc != MMDB_SUCCESS && rc != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR) {
		count(g, CNT_GEO_ERRORS);
	}
	rc = MMDB_get_value(&r.entry, &v, "autonomous_system_organization", NULL);
	if (rc == MMDB_SUCCESS && v.has_data) {
		if (v.type == MMDB_DATA_TYPE_UTF8_STRING)
			copy_utf8(out->as_org, sizeof(out->as_org), v.utf8_string, v.data_size);
		else
			count(g, CNT_GEO_ERRORS);
	} else if (rc != MMDB_SUCCESS && rc != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR) {
		count(g, CNT_GEO_ERRORS);
	}
}

static size_t cache_index(const struct geo *g, const struct ip_addr *a)
{
	uint64_t w0, w1;
	memcpy(&w0, a->a, 8);
	memcpy(&w1, a->a + 8, 8);
	uint64_t h = (w0 ^ (w1 * 0x9E3779B97F4A7C15ULL) ^ a->family) * 0xBF58476D1CE4E5B9ULL;
	h ^= h >> 31;
	h *= 0x94D049BB133111EBULL;
	h ^= h >> 29;
	return (size_t)(h % g->cache_n);
}

static int same_addr(const struct ip_addr *x, const struct ip_addr *y)
{
	return x->family == y->family && memcmp(x->a, y->a, 16) == 0;
}

static int result_found(const struct geo_result *r)
{
	return r->country[0] != '\0' || r->asn != 0 || r->as_org[0] != '\0';
}

int geo_lookup(struct geo *g, const struct ip_addr *a, struct geo_result *out)
{
	memset(out, 0, sizeof(*out));
	if (!g || !a || (a->family != 4 && a->family != 6) ||
	    (!g->db[GEO_COUNTRY].open && !g->db[GEO_ASN].open))
		return 0;
	count(g, CNT_GEO_LOOKUPS);
	/* The address is the key: only the bytes its family uses count. */
	struct ip_addr key;
	memset(&key, 0, sizeof(key));
	key.family = a->family;
	memcpy(key.a, a->a, a->family == 4 ? 4 : 16);

	struct geo_slot *s = g->cache_n ? &g->cache[cache_index(g, &key)] : NULL;
	if (s && s->used && same_addr(&s->key, &key)) {
		count(g, CNT_GEO_CACHE_HITS);
		*out = s->res;
	} else {
		if (g->db[GEO_COUNTRY].open)
			country_get(g, &key, out);
		if (g->db[GEO_ASN].open)
			asn_get(g, &key, out);
		if (s) {
			s->used = 1;
			s->key = key;
			s->res = *out;
		}
	}
	if (!result_found(out)) {
		count(g, CNT_GEO_NOT_FOUND);
		return 0;
	}
	return 1;
}

const char *geo_country_db(const struct geo *g)
{
	return g ? g->db[GEO_COUNTRY].desc : "none";
}

const char *geo_asn_db(const struct geo *g)
{
	return g ? g->db[GEO_ASN].desc : "none";
}

void geo_close(struct geo *g)
{
	if (!g)
		return;
	for (int k = 0; k < 2; k++)
		if (g->db[k].open)
			MMDB_close(&g->db[k].mmdb);
	free(g->cache);
	free(g);
}
