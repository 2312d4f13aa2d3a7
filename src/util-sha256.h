/*
 * util-sha256.h - streaming SHA-256 (OpenSSL libcrypto's EVP), for file
 * evidence: feed the bytes in order, read the digest at the end.
 */
#ifndef APN_UTIL_SHA256_H
#define APN_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	void *ctx; /* EVP_MD_CTX; NULL before init and after final/free */
};

/* Returns 0, or -1 when out of memory. */
int sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Writes the digest and frees the context. */
void sha256_final(struct sha256 *s, uint8_t out[32]);
/* Frees the context without a digest (a transfer given up). */
void sha256_free(struct sha256 *s);
/* 64 lower-case hex digits + NUL */
void sha256_hex(const uint8_t d[32], char out[65]);

#endif /* APN_UTIL_SHA256_H */
