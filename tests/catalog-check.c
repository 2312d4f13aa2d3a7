/*
 * catalog-check.c - loads catalogs the way the sensor does and reports
 * "file:line: message" for each error (docs/catalog.md).  Used by
 * tests/catalog.test; mirrors `apnwatch --check-catalog`.
 *
 *   catalog-check [--no-builtin-catalog] [--catalog FILE|DIR]...
 *
 * Exit: 0 with a summary line when every file loaded, 1 on errors,
 * 2 on a usage error.
 */
#include <stdio.h>
#include <string.h>

#include "catalog.h"

int main(int argc, char **argv)
{
	int builtin = 1, nerr = 0;
	struct catalog *c = catalog_new();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-builtin-catalog") == 0) {
			builtin = 0;
		} else if (strcmp(argv[i], "--catalog") != 0 || i + 1 == argc) {
			fprintf(stderr, "usage: %s [--no-builtin-catalog] [--catalog PATH]...\n",
				argv[0]);
			catalog_free(c);
			return 2;
		} else {
			i++;
		}
	}
	if (builtin)
		nerr += catalog_load_builtin(c, stdout);
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--catalog") == 0)
			nerr += catalog_load(c, argv[++i], stdout);
	if (!nerr)
		printf("catalog OK: %zu vendors, %zu services, %zu entries\n", catalog_vendors(c),
		       catalog_services(c), catalog_entries(c));
	catalog_free(c);
	return nerr ? 1 : 0;
}
