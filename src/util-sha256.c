/*
 * util-sha256.c - see util-sha256.h.
 */
#include <openssl/evp.h>

#include "util-sha256.h"

int sha256_init(struct sha256 *s)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (c == NULL)
		return -1;
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		return -1;
	}
	s->ctx = c;
	return 0;
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	if (s->ctx && len)
		EVP_DigestUpdate(s->ctx, data, len);
}

void sha256_final(struct sha256 *s, uint8_t out[32])
{
	unsigned n = 0;
	if (s->ctx)
		EVP_DigestFinal_ex(s->ctx, out, &n);
	sha256_free(s);
}

void sha256_free(struct sha256 *s)
{
	EVP_MD_CTX_free(s->ctx);
	s->ctx = NULL;
}

void sha256_hex(const uint8_t d[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}
