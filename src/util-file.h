/*
 * util-file.h - reading a whole configuration file (a policy, a cached
 * policy) with a size bound.
 */
#ifndef APN_UTIL_FILE_H
#define APN_UTIL_FILE_H

#include <stddef.h>

/* Reads path whole, NUL-terminated (the NUL not counted in *len).  Returns
 * it (the caller frees it), or NULL with *why set: the system's reason,
 * "too big (at most N bytes)" past max bytes, "read error", or "out of
 * memory" (a static string or one valid until the next call). */
char *file_read_all(const char *path, size_t max, size_t *len, const char **why);

#endif /* APN_UTIL_FILE_H */
