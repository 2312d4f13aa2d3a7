/* geo.c - placeholder: being written (see geo.h). */
#include <stdlib.h>
#include <string.h>

#include "geo.h"

struct geo {
	int unused;
};

void geo_config_defaults(struct geo_config *c)
{
	memset(c, 0, sizeof(*c));
	c->cache_entries = 65536;
}

struct geo *geo_open(const struct geo_config *c, struct counters *cnt)
{
	(void)c;
	(void)cnt;
	return calloc(1, sizeof(struct geo));
}

int geo_lookup(struct geo *g, const struct ip_addr *a, struct geo_result *out)
{
	(void)g;
	(void)a;
	memset(out, 0, sizeof(*out));
	return 0;
}

const char *geo_country_db(const struct geo *g)
{
	(void)g;
	return "none";
}

const char *geo_asn_db(const struct geo *g)
{
	(void)g;
	return "none";
}

void geo_close(struct geo *g)
{
	free(g);
}
