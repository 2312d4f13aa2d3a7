/*
 * util-json.c - a small JSON writer for events (see util-json.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util-json.h"

void jw_init(struct jw *w)
{
	memset(w, 0, sizeof(*w));
}

void jw_reset(struct jw *w)
{
	w->len = 0;
	w->depth = 0;
	w->oom = 0;
	memset(w->need_comma, 0, sizeof(w->need_comma));
}

void jw_free(struct jw *w)
{
	free(w->buf);
	jw_init(w);
}

static int jw_grow(struct jw *w, size_t n)
{
	if (w->oom)
		return 0;
	if (w->len + n + 1 <= w->cap)
		return 1;
	size_t cap = w->cap ? w->cap : 1024;
	while (cap < w->len + n + 1)
		cap *= 2;
	char *b = realloc(w->buf, cap);
	if (b == NULL) {
		w->oom = 1;
		return 0;
	}
	w->buf = b;
	w->cap = cap;
	return 1;
}

static void jw_put(struct jw *w, const char *s, size_t n)
{
	if (w->len + n + 1 > w->cap && !jw_grow(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void jw_putc(struct jw *w, char c)
{
	if (w->len + 2 > w->cap && !jw_grow(w, 1))
		return;
	w->buf[w->len++] = c;
	w->buf[w->len] = '\0';
}

size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static void jw_escaped(struct jw *w, const char *val, size_t n)
{
	const unsigned char *s = (const unsigned char *)val;
	char esc[8];
	jw_putc(w, '"');
	for (size_t i = 0; i < n;) {
		/* Printable ASCII but the quote and backslash goes out as it is,
		 * a run at a time: most of what we write. */
		size_t run = i;
		while (run < n && s[run] >= 0x20 && s[run] < 0x7f && s[run] != '"' && s[run] != '\\')
			run++;
		if (run > i) {
			jw_put(w, (const char *)s + i, run - i);
			i = run;
			continue;
		}
		unsigned char c = s[i];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			jw_put(w, esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			const char *short_esc = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
			if (short_esc) {
				jw_put(w, short_esc, 2);
			} else {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				jw_put(w, esc, 6);
			}
			i++;
		} else {
			size_t l = utf8_len(s + i, n - i);
			if (l == 0) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				jw_put(w, esc, 6);
				i++;
			} else {
				jw_put(w, (const char *)s + i, l);
				i += l;
			}
		}
	}
	jw_putc(w, '"');
}

/* The comma and the key, before any value. */
static void jw_key(struct jw *w, const char *key)
{
	if (w->depth > 0) {
		if (w->need_comma[w->depth])
			jw_putc(w, ',');
		w->need_comma[w->depth] = 1;
	}
	if (key != NULL) {
		jw_escaped(w, key, strlen(key));
		jw_putc(w, ':');
	}
}

static void jw_open(struct jw *w, const char *key, char c)
{
	jw_key(w, key);
	jw_putc(w, c);
	if (w->depth + 1 >= JW_MAX_DEPTH) {
		w->oom = 1; /* a programming error; drop the event rather than emit bad JSON */
		return;
	}
	w->depth++;
	w->need_comma[w->depth] = 0;
	w->closer[w->depth] = c == '{' ? '}' : ']';
}

void jw_obj_begin(struct jw *w, const char *key) { jw_open(w, key, '{'); }
void jw_arr_begin(struct jw *w, const char *key) { jw_open(w, key, '['); }

void jw_end(struct jw *w)
{
	if (w->depth <= 0) {
		w->oom = 1; /* unbalanced: a programming error; drop the event */
		return;
	}
	jw_putc(w, w->closer[w->depth]);
	w->depth--;
}

void jw_str(struct jw *w, const char *key, const char *val)
{
	jw_key(w, key);
	jw_escaped(w, val, strlen(val));
}

void jw_strn(struct jw *w, const char *key, const char *val, size_t n)
{
	jw_key(w, key);
	jw_escaped(w, val, n);
}

void jw_u64(struct jw *w, const char *key, uint64_t val)
{
	/* By hand: snprintf was a tenth of the sensor's time. */
	char b[24];
	size_t i = sizeof(b);
	do {
		b[--i] = (char)('0' + val % 10);
		val /= 10;
	} while (val);
	jw_key(w, key);
	jw_put(w, b + i, sizeof(b) - i);
}

void jw_i64(struct jw *w, const char *key, int64_t val)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRId64, val);
	jw_key(w, key);
	jw_put(w, b, (size_t)n);
}

void jw_bool(struct jw *w, const char *key, int val)
{
	jw_key(w, key);
	jw_put(w, val ? "true" : "false", val ? 4 : 5);
}

void jw_raw(struct jw *w, const char *s)
{
	jw_put(w, s, strlen(s));
}
