/*
 * geo-lookup.c - test driver for src/geo.c: looks addresses up as the
 * sensor does and prints one line each, for tests/geo.test to compare with
 * libmaxminddb's own mmdblookup.
 *
 *   geo-lookup [-c COUNTRY_DB] [-a ASN_DB] [-n CACHE_ENTRIES] ADDRESS...
 *
 * -c / -a absent: the bundled demo database; an empty argument: none.
 * Output: "ADDRESS COUNTRY ASN ORGANIZATION", "-" for an absent field, then
 * a last line "# lookups=N cache_hits=N not_found=N errors=N".  Exit 2 on a
 * usage error or an address that does not parse.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geo.h"
#include "util-cidr.h"

int main(int argc, char **argv)
{
	struct geo_config c;
	struct counters cnt;
	int opt;
	geo_config_defaults(&c);
	memset(&cnt, 0, sizeof(cnt));
	while ((opt = getopt(argc, argv, "c:a:n:")) != -1) {
		switch (opt) {
		case 'c': c.country_db = optarg; break;
		case 'a': c.asn_db = optarg; break;
		case 'n': c.cache_entries = strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: geo-lookup [-c DB] [-a DB] [-n N] ADDRESS...\n");
			return 2;
		}
	}
	struct geo *g = geo_open(&c, &cnt);
	if (!g)
		return 1;
	printf("# country %s\n# asn %s\n", geo_country_db(g), geo_asn_db(g));
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		struct ip_addr a;
		struct geo_result r;
		if (ip_addr_parse(argv[i], &a) < 0) {
			fprintf(stderr, "geo-lookup: not an address: %s\n", argv[i]);
			rc = 2;
			continue;
		}
		geo_lookup(g, &a, &r);
		printf("%s %s ", argv[i], r.country[0] ? r.country : "-");
		if (r.asn)
			printf("%u", (unsigned)r.asn);
		else
			printf("-");
		printf(" %s\n", r.as_org[0] ? r.as_org : "-");
	}
	printf("# lookups=%llu cache_hits=%llu not_found=%llu errors=%llu\n",
	       (unsigned long long)cnt.v[CNT_GEO_LOOKUPS], (unsigned long long)cnt.v[CNT_GEO_CACHE_HITS],
	       (unsigned long long)cnt.v[CNT_GEO_NOT_FOUND], (unsigned long long)cnt.v[CNT_GEO_ERRORS]);
	geo_close(g);
	return rc;
}
