/*
 * geo.h - where the server is: country and autonomous system of an
 * address, from MaxMind DB files (GeoLite2-Country / -City / -ASN, or
 * DB-IP Lite country / city / asn, both layouts) through libmaxminddb.
 * A small cache keeps the cost per flow, not per packet.
 *
 * A database that is missing or unreadable is a warning at start; its
 * fields are then left out of every event.  No value is ever guessed.
 */
#ifndef APN_GEO_H
#define APN_GEO_H

#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "packet.h"

struct geo_config {
	/* NULL: the bundled demo database (built from policies/geo/demo.csv,
	 * found in the build tree when run from there, else in
	 * $(pkgdatadir)); "": none. */
	const char *country_db;
	const char *asn_db;
	size_t cache_entries; /* 0: no cache */
};

void geo_config_defaults(struct geo_config *c);

struct geo_result {
	char country[3];        /* ISO 3166-1 alpha-2, "" when unknown */
	uint32_t asn;           /* 0 when unknown */
	char as_org[128];       /* "" when unknown */
};

struct geo;

/* Opens the databases; warns (util-log) about each one that cannot be
 * used and goes on without it.  Returns NULL only when out of memory. */
struct geo *geo_open(const struct geo_config *c, struct counters *cnt);
/* Fills *out (zeroed first).  Returns 1 when anything was found, else 0.
 * Writes the cache: one struct geo per thread. */
int geo_lookup(struct geo *g, const struct ip_addr *a, struct geo_result *out);
/* What is loaded, for the startup log and --version: the files' paths and
 * database types, or "none". */
const char *geo_country_db(const struct geo *g);
const char *geo_asn_db(const struct geo *g);
void geo_close(struct geo *g);

#endif /* APN_GEO_H */
