/*
 * util-file.c - see util-file.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util-file.h"

char *file_read_all(const char *path, size_t max, size_t *len, const char **why)
{
	static _Thread_local char too_big[64];
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	*len = 0;
	if (f == NULL) {
		*why = strerror(errno);
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				snprintf(too_big, sizeof(too_big), "too big (at most %zu bytes)", max);
				*why = too_big;
				goto bad;
			}
			cap = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, cap + 1);
			if (nb == NULL) {
				*why = "out of memory";
				goto bad;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		*why = "read error";
		goto bad;
	}
	if (n > max) {
		snprintf(too_big, sizeof(too_big), "too big (at most %zu bytes)", max);
		*why = too_big;
		goto bad;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
bad:
	fclose(f);
	free(buf);
	return NULL;
}
