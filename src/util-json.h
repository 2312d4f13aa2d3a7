/*
 * util-json.h - a small JSON writer for events.
 *
 * Events are built into one growing buffer, then written with one write.
 * The writer tracks whether a comma is due, so callers only say what they
 * add: jw_obj_begin(w, "source"); jw_str(w, "ip", "10.0.0.1"); jw_end(w).
 * A NULL key adds a bare value (inside arrays, or for the top object).
 * Strings are escaped per RFC 8259; bytes that are not valid UTF-8 are
 * written as \u00XX of the byte, so output is always valid JSON.
 */
#ifndef APN_UTIL_JSON_H
#define APN_UTIL_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JW_MAX_DEPTH 16

struct jw {
	char *buf;
	size_t len, cap;
	int depth;
	uint8_t need_comma[JW_MAX_DEPTH];
	char closer[JW_MAX_DEPTH];
	int oom; /* sticky: an allocation failed; the event is dropped */
};

/* Length of the valid UTF-8 sequence at s (n >= 1 bytes readable), 0 when
 * it is not UTF-8 (overlong forms, surrogates and values past U+10FFFF
 * included).  The writer uses it to repair strings; configuration readers
 * (catalog, policy) to refuse them. */
size_t utf8_len(const unsigned char *s, size_t n);

void jw_init(struct jw *w);
void jw_reset(struct jw *w);
void jw_free(struct jw *w);

void jw_obj_begin(struct jw *w, const char *key);
void jw_arr_begin(struct jw *w, const char *key);
void jw_end(struct jw *w); /* closes the innermost object or array */
void jw_str(struct jw *w, const char *key, const char *val);
void jw_strn(struct jw *w, const char *key, const char *val, size_t n);
void jw_u64(struct jw *w, const char *key, uint64_t val);
void jw_i64(struct jw *w, const char *key, int64_t val);
void jw_bool(struct jw *w, const char *key, int val);
/* Appends raw text (no key, no comma handling): for the final newline. */
void jw_raw(struct jw *w, const char *s);

#endif /* APN_UTIL_JSON_H */
