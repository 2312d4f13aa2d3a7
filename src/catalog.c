/* catalog.c - placeholder: being written (see catalog.h). */
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

struct catalog {
	int unused;
};

struct catalog *catalog_new(void)
{
	return calloc(1, sizeof(struct catalog));
}

void catalog_free(struct catalog *c)
{
	free(c);
}

int catalog_load(struct catalog *c, const char *path, FILE *errs)
{
	(void)c;
	(void)path;
	(void)errs;
	return 0;
}

int catalog_load_builtin(struct catalog *c, FILE *errs)
{
	(void)c;
	(void)errs;
	return 0;
}

size_t catalog_vendors(const struct catalog *c)
{
	(void)c;
	return 0;
}

size_t catalog_services(const struct catalog *c)
{
	(void)c;
	return 0;
}

int catalog_match(const struct catalog *c, const struct catalog_query *q, struct catalog_match *m)
{
	(void)c;
	(void)q;
	memset(m, 0, sizeof(*m));
	return 0;
}

const struct catalog_vendor *catalog_client(const struct catalog *c, const char *user_agent,
					    const char *ja3, const char *ja4, char *why,
					    size_t why_len)
{
	(void)c;
	(void)user_agent;
	(void)ja3;
	(void)ja4;
	if (why_len)
		why[0] = '\0';
	return NULL;
}

const struct catalog_vendor *catalog_tac(const struct catalog *c, const char *imei)
{
	(void)c;
	(void)imei;
	return NULL;
}
