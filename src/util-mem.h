/*
 * util-mem.h - allocation for loading configuration (catalogs, policies):
 * there, running out of memory ends the program with a message (the
 * packet path never uses these; it counts and drops instead).
 */
#ifndef APN_UTIL_MEM_H
#define APN_UTIL_MEM_H

#include <stdlib.h>
#include <string.h>

#include "util-log.h"

static inline void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		fatal("out of memory");
	return q;
}

static inline void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p)
		fatal("out of memory");
	return p;
}

static inline char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xrealloc(NULL, n);
	memcpy(p, s, n);
	return p;
}

#endif /* APN_UTIL_MEM_H */
