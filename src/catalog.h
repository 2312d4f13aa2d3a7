/*
 * catalog.h - the module-maker catalog: per maker its name, home country
 * and services (host names exact or by suffix, IP prefixes, ASNs, ports
 * and transports, the service's intent), the client fingerprints of its
 * modules (User-Agent, JA3, JA4) and its IMEI TAC ranges.  Every entry
 * names its source.  Data: policies/vendors/NAME.catalog (format in
 * docs/catalog.md); users add files or directories of their own.
 *
 * Lookups: host by exact name, then by the longest matching suffix, in
 * time bounded by the name's length (a hash probe per dot); IP by longest
 * prefix (a binary trie, at most 128 steps); then ASN.
 */
#ifndef APN_CATALOG_H
#define APN_CATALOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "intent.h"
#include "packet.h"

struct catalog_vendor {
	const char *name;    /* "Quectel" */
	const char *country; /* ISO 3166-1 alpha-2 of its head office, "CN" */
	const char *source;  /* where the facts come from */
	const char *where;   /* "file:line" of its definition */
};

struct catalog_service {
	const struct catalog_vendor *vendor;
	const char *name;    /* "QuecLocator" */
	enum intent intent;
	const char *source;
	const char *where;   /* "file:line" */
};

/* What the flow's server side looks like. */
struct catalog_query {
	const char *host;          /* destination.domain, or NULL */
	const struct ip_addr *ip;  /* the server's address, or NULL */
	uint32_t asn;              /* 0: unknown */
	uint16_t port;             /* the server's port; 0 for none */
	uint8_t transport;         /* 6, 17, ... */
};

enum catalog_match_kind {
	CAT_MATCH_NONE = 0,
	CAT_MATCH_ASN,
	CAT_MATCH_IP,
	CAT_MATCH_HOST_SUFFIX,
	CAT_MATCH_HOST,
};

struct catalog_match {
	const struct catalog_service *service; /* NULL when nothing matched */
	enum catalog_match_kind kind;
	char why[160]; /* "host iot-south.quectel.com", "host suffix .izatcloud.net",
			  "address 203.0.113.0/24", "AS45102"; plus " port 5683/udp" */
};

struct catalog;

struct catalog *catalog_new(void);
void catalog_free(struct catalog *c);
/*
 * Loads a catalog file, or every .catalog file of a directory (in name
 * order).  Each error is printed to errs as "file:line: message"; a file
 * with any error adds nothing.  Returns the number of errors (0: loaded).
 */
int catalog_load(struct catalog *c, const char *path, FILE *errs);
/* The built-in catalog: policies/vendors in the source tree when run from
 * a build tree, else $(pkgdatadir)/vendors.  Returns errors as above. */
int catalog_load_builtin(struct catalog *c, FILE *errs);
/* Counts, for the startup log and --check-catalog. */
size_t catalog_vendors(const struct catalog *c);
size_t catalog_services(const struct catalog *c);
/* Host names, suffixes, prefixes, ASNs, client fingerprints and TACs. */
size_t catalog_entries(const struct catalog *c);

/* The server side's service.  Returns 1 and fills *m on a match (the most
 * specific: exact host > longest host suffix > longest IP prefix > ASN;
 * a service that lists ports matches only on them, and wins over one
 * that lists none); else 0. */
int catalog_match(const struct catalog *c, const struct catalog_query *q,
		  struct catalog_match *m);
/* The maker whose modules send this User-Agent (exact or prefix, as the
 * file says) or this JA3 / JA4; NULL when none.  why as above. */
const struct catalog_vendor *catalog_client(const struct catalog *c, const char *user_agent,
					    const char *ja3, const char *ja4, char *why,
					    size_t why_len);
/* The maker whose TAC range holds the IMEI's (or TAC's) first 8 digits;
 * NULL when none. */
const struct catalog_vendor *catalog_tac(const struct catalog *c, const char *imei);

#endif /* APN_CATALOG_H */
