/*
 * util-3gpp.h - small decoders shared by the 3GPP dissectors (RADIUS
 * 3GPP VSAs, GTPv2-C).
 */
#ifndef APN_UTIL_3GPP_H
#define APN_UTIL_3GPP_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util-json.h"
#include "util-reader.h"

/* A length-counted value from a message as a C string, cut to cap; a NUL
 * inside the value ends the string there. */
static inline void tgpp_cstr(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

/* {"<name>": count, ...} for every non-zero count of a message-type table;
 * name() returns NULL for a type it does not know (written as its number). */
static inline void tgpp_json_counts(struct jw *w, const char *key, const uint32_t *counts,
				    unsigned n, const char *(*name)(unsigned))
{
	char num[16];
	jw_obj_begin(w, key);
	for (unsigned i = 0; i < n; i++) {
		if (!counts[i])
			continue;
		const char *s = name(i);
		if (s == NULL) {
			snprintf(num, sizeof(num), "%u", i);
			s = num;
		}
		jw_u64(w, s, counts[i]);
	}
	jw_end(w);
}

/* MCC and MNC in TBCD (TS 24.008 10.5.1.13): MCC2 MCC1, MNC3 MCC3, MNC2
 * MNC1; MNC3 0xF for a two-digit MNC.  Reads 3 bytes; returns 0, or -1 for
 * a nibble that is not a digit (or bytes that ran out: the reader's error
 * is set). */
static inline int tgpp_mcc_mnc(struct rd *r, char mcc[4], char mnc[4])
{
	uint8_t b0 = rd_u8(r), b1 = rd_u8(r), b2 = rd_u8(r);
	uint8_t d[6] = {b0 & 0xf, b0 >> 4, b1 & 0xf, b2 & 0xf, b2 >> 4, b1 >> 4};
	for (int i = 0; i < 5; i++)
		if (d[i] > 9)
			return -1;
	if (d[5] > 9 && d[5] != 0xf)
		return -1;
	for (int i = 0; i < 3; i++)
		mcc[i] = (char)('0' + d[i]);
	mcc[3] = 0;
	mnc[0] = (char)('0' + d[3]);
	mnc[1] = (char)('0' + d[4]);
	mnc[2] = d[5] == 0xf ? 0 : (char)('0' + d[5]);
	mnc[3] = 0;
	return 0;
}

#endif /* APN_UTIL_3GPP_H */
