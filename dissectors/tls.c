/*
 * tls.c - TLS over TCP: the cleartext handshake.  Server name (SNI),
 * ALPN, versions, cipher suites, the JA3 / JA3S / JA4 fingerprints, and
 * the server's certificate (TLS 1.2 and older, where it is not encrypted).
 *
 * Specs: RFC 8446 (TLS 1.3), RFC 5246 (TLS 1.2), RFC 6066 (server_name),
 * RFC 7301 (ALPN), RFC 8422 (groups, point formats), RFC 8701 (GREASE),
 * RFC 5280 (certificates); JA3/JA3S as Salesforce published them; JA4 as
 * FoxIO's technical_details/JA4.md describes it.
 *
 * Record layer: every byte of the stream is in a record.
 *
 *    0        1        2        3        4
 *   +--------+--------+--------+--------+--------+------------------+
 *   | type   | version (3, 0..4)| length (<= 2^14 + 2048)| fragment |
 *   +--------+--------+--------+--------+--------+------------------+
 *   type: 20 change_cipher_spec, 21 alert, 22 handshake,
 *         23 application_data, 24 heartbeat
 *
 * Handshake messages (type 22) are a second framing over the records'
 * fragments: a message may span records, a record may hold several.
 *
 *   +--------+--------+--------+--------+------------------------+
 *   | msg    | length (24 bits)         | body                   |
 *   +--------+--------+--------+--------+------------------------+
 *
 *   ClientHello (1)  version(2) random(32) session_id(<1>0..32)
 *                    cipher_suites(<2>) compression(<1>) [extensions(<2>)]
 *   ServerHello (2)  version(2) random(32) session_id(<1>) cipher(2)
 *                    compression(1) [extensions(<2>)]
 *                    (random = SHA-256("HelloRetryRequest"): an HRR)
 *   Certificate (11) certificate_list(<3>): (cert_data(<3>) DER)+
 *   extension        type(2) length(2) data
 *
 * Framing: each direction reads record headers a byte at a time and hands
 * handshake fragments to the message reassembler: a message wholly inside
 * one fragment is parsed where it lies; otherwise it is gathered into a
 * buffer of exactly its length, capped at TLS_MSG_CAP (over it: oversize,
 * the direction is left).  What we want is all before the first encrypted
 * byte, so a direction is left as soon as it has given it: the client's
 * after its first ClientHello, the server's after its Certificate (or a
 * TLS 1.3 ServerHello, or application data, or a change_cipher_spec).
 * A hole in the stream ends the direction; a ClientHello cut by it is
 * still read for the extensions that arrived whole (no fingerprint).  A
 * direction whose first bytes are no record header was picked up in the
 * middle (counted midstream, not invalid) and is left.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ndpi/ndpi_protocol_ids.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dissector.h"
#include "intent.h"
#include "util-reader.h"

#define TLS_REC_MAX (16384u + 2048u) /* TLSCiphertext.length limit (RFC 5246 6.2.3) */
#define TLS_MSG_CAP 65536u           /* one handshake message gathered */
#define TLS_NAME_MAX 255             /* SNI, ALPN ids, SAN names */
#define TLS_DN_MAX 1024              /* subject and issuer strings */
#define TLS_ALPN_KEEP 16             /* ALPN ids offered, kept for output */
#define TLS_CIPHERS_KEEP 64          /* cipher suites offered, kept for output */
#define TLS_SAN_KEEP 32              /* DNS names of the certificate, kept */
#define TLS_JA3_STR_MAX 4096         /* longer JA3 strings are hashed, not written */
#define TLS_SB_MAX (1u << 20)        /* scratch strings: never above this */

enum { REC_CCS = 20, REC_ALERT = 21, REC_HANDSHAKE = 22, REC_APPDATA = 23, REC_HEARTBEAT = 24 };
enum { HS_CLIENT_HELLO = 1, HS_SERVER_HELLO = 2, HS_CERTIFICATE = 11, HS_SERVER_DONE = 14 };
enum {
	EXT_SERVER_NAME = 0,
	EXT_GROUPS = 10,
	EXT_POINT_FORMATS = 11,
	EXT_SIG_ALGS = 13,
	EXT_ALPN = 16,
	EXT_PRE_SHARED_KEY = 41,
	EXT_SUPPORTED_VERSIONS = 43,
};

/* ServerHello.random of a HelloRetryRequest (RFC 8446 4.1.3). */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* IANA names of the cipher suites seen in practice (TLS Cipher Suites
 * registry); the rest are written as hex.  Sorted by value. */
static const struct cipher_name {
	uint16_t id;
	const char *name;
} cipher_names[] = {
	{0x0001, "TLS_RSA_WITH_NULL_MD5"},
	{0x0002, "TLS_RSA_WITH_NULL_SHA"},
	{0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"},
	{0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
	{0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
	{0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"},
	{0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA"},
	{0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0009, "TLS_RSA_WITH_DES_CBC_SHA"},
	{0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA"},
	{0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"},
	{0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"},
	{0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5"},
	{0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"},
	{0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA"},
	{0x001a, "TLS_DH_anon_WITH_DES_CBC_SHA"},
	{0x001b, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"},
	{0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"},
	{0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA"},
	{0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA"},
	{0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"},
	{0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
	{0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"},
	{0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
	{0x0036, "TLS_DH_DSS_WITH_AES_256_CBC_SHA"},
	{0x0037, "TLS_DH_RSA_WITH_AES_256_CBC_SHA"},
	{0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"},
	{0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
	{0x003a, "TLS_DH_anon_WITH_AES_256_CBC_SHA"},
	{0x003b, "TLS_RSA_WITH_NULL_SHA256"},
	{0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
	{0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
	{0x003e, "TLS_DH_DSS_WITH_AES_128_CBC_SHA256"},
	{0x003f, "TLS_DH_RSA_WITH_AES_128_CBC_SHA256"},
	{0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256"},
	{0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
	{0x0068, "TLS_DH_DSS_WITH_AES_256_CBC_SHA256"},
	{0x0069, "TLS_DH_RSA_WITH_AES_256_CBC_SHA256"},
	{0x006a, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256"},
	{0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
	{0x006c, "TLS_DH_anon_WITH_AES_128_CBC_SHA256"},
	{0x006d, "TLS_DH_anon_WITH_AES_256_CBC_SHA256"},
	{0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"},
	{0x008a, "TLS_PSK_WITH_RC4_128_SHA"},
	{0x008b, "TLS_PSK_WITH_3DES_EDE_CBC_SHA"},
	{0x008c, "TLS_PSK_WITH_AES_128_CBC_SHA"},
	{0x008d, "TLS_PSK_WITH_AES_256_CBC_SHA"},
	{0x0096, "TLS_RSA_WITH_SEED_CBC_SHA"},
	{0x009a, "TLS_DHE_RSA_WITH_SEED_CBC_SHA"},
	{0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
	{0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
	{0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
	{0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
	{0x00a2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256"},
	{0x00a3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384"},
	{0x00a6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"},
	{0x00a7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384"},
	{0x00a8, "TLS_PSK_WITH_AES_128_GCM_SHA256"},
	{0x00a9, "TLS_PSK_WITH_AES_256_GCM_SHA384"},
	{0x00ae, "TLS_PSK_WITH_AES_128_CBC_SHA256"},
	{0x00af, "TLS_PSK_WITH_AES_256_CBC_SHA384"},
	{0x00ba, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00be, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0x00c0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00c4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
	{0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
	{0x1301, "TLS_AES_128_GCM_SHA256"},
	{0x1302, "TLS_AES_256_GCM_SHA384"},
	{0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
	{0x1304, "TLS_AES_128_CCM_SHA256"},
	{0x1305, "TLS_AES_128_CCM_8_SHA256"},
	{0x5600, "TLS_FALLBACK_SCSV"},
	{0xc001, "TLS_ECDH_ECDSA_WITH_NULL_SHA"},
	{0xc002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA"},
	{0xc003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA"},
	{0xc005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA"},
	{0xc006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"},
	{0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"},
	{0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
	{0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
	{0xc00b, "TLS_ECDH_RSA_WITH_NULL_SHA"},
	{0xc00c, "TLS_ECDH_RSA_WITH_RC4_128_SHA"},
	{0xc00d, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc00e, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA"},
	{0xc00f, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA"},
	{0xc010, "TLS_ECDHE_RSA_WITH_NULL_SHA"},
	{0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"},
	{0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
	{0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
	{0xc015, "TLS_ECDH_anon_WITH_NULL_SHA"},
	{0xc016, "TLS_ECDH_anon_WITH_RC4_128_SHA"},
	{0xc017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA"},
	{0xc018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"},
	{0xc019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"},
	{0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
	{0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
	{0xc025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256"},
	{0xc026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384"},
	{0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
	{0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
	{0xc029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256"},
	{0xc02a, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384"},
	{0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
	{0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
	{0xc02d, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256"},
	{0xc02e, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384"},
	{0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
	{0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
	{0xc031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256"},
	{0xc032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384"},
	{0xc035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA"},
	{0xc036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA"},
	{0xc037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256"},
	{0xc038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384"},
	{0xc072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xc073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xc076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
	{0xc077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xc09c, "TLS_RSA_WITH_AES_128_CCM"},
	{0xc09d, "TLS_RSA_WITH_AES_256_CCM"},
	{0xc09e, "TLS_DHE_RSA_WITH_AES_128_CCM"},
	{0xc09f, "TLS_DHE_RSA_WITH_AES_256_CCM"},
	{0xc0a0, "TLS_RSA_WITH_AES_128_CCM_8"},
	{0xc0a1, "TLS_RSA_WITH_AES_256_CCM_8"},
	{0xc0a2, "TLS_DHE_RSA_WITH_AES_128_CCM_8"},
	{0xc0a3, "TLS_DHE_RSA_WITH_AES_256_CCM_8"},
	{0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"},
	{0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"},
	{0xc0ae, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"},
	{0xc0af, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"},
	{0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccab, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccac, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccad, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccae, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256"},
};

/* A bounded copy of bytes from the packet or a certificate; NUL-ended. */
struct tls_str {
	char *s;
	uint16_t n;
};

/* A capped list of strings, allocated at its first entry. */
struct tls_list {
	struct tls_str *v; /* keep entries, the first ones */
	uint16_t keep;
	uint16_t total;    /* entries seen */
};

/* The server's first certificate. */
struct tls_cert {
	struct tls_str subject, issuer;
	char not_before[32], not_after[32];
	struct tls_list san; /* DNS names of its subjectAltName */
};

/* One direction of the stream. */
struct tls_dir {
	uint8_t stopped;   /* nothing more is read in this direction */
	uint8_t framed;    /* a record header was read: the stream started at a record */
	uint8_t hdr_len;   /* record header bytes read: 0..5 */
	uint8_t hdr[5];
	uint8_t rec_type;  /* of the record being read */
	uint32_t rec_left; /* its fragment bytes still to come */
	uint8_t mhdr_len;  /* handshake header bytes gathered: 0..4 */
	uint8_t mhdr[4];
	uint8_t *msg;      /* gathered message body: mgot of mlen */
	uint32_t mlen, mgot;
};

struct tls_state {
	struct tls_dir d[2];
	uint8_t counted;       /* the flow was counted in dissector.tls.flows */
	uint8_t roles;         /* client_dir is known */
	uint8_t client_dir;
	uint8_t have_ch, have_sh, have_cert;
	uint8_t ch_error;      /* 0, RD_ETRUNC or RD_EINVAL: the ClientHello was not whole */
	uint8_t fingerprinted; /* ja3, ja4 and ja3_string are set */
	uint8_t hrr;           /* the server sent a HelloRetryRequest */
	uint8_t tls13;         /* the ServerHello selected TLS 1.3 (or a later or private version) */
	uint8_t resumed;
	uint8_t server_done;   /* ServerHelloDone, or a certificate: the server's cleartext is over */
	uint8_t sid_len;
	uint8_t sid[32];       /* the client's session id, to see the server echo it */
	uint16_t ch_max_version; /* highest version the client offered */
	uint16_t sh_version;     /* the version the server selected */
	uint16_t cipher;         /* the cipher suite the server selected */
	uint16_t n_ciphers;      /* non-GREASE suites offered; first TLS_CIPHERS_KEEP kept */
	uint16_t *ciphers;
	struct tls_list alpn;    /* ALPN ids offered */
	struct tls_str alpn_sel; /* the server's choice */
	struct tls_str sni;
	char ja3[33], ja3s[33], ja4[40];
	struct tls_str ja3_str, ja3s_str;
	struct tls_cert *cert;
};

/* Windows into one hello message, each checked for its own length. */
struct hello {
	uint16_t version;
	uint8_t random[32];
	struct rd sid, ciphers, exts;
	uint16_t cipher; /* ServerHello */
	struct rd sni, alpn, groups, pformats, sigalgs, versions;
	uint8_t has_sni, has_alpn, has_groups, has_pformats, has_sigalgs, has_versions, has_psk;
};

/* Every window starts empty (never a NULL pointer, which even a 0-byte
 * memcpy may not be given). */
static void hello_init(struct hello *h)
{
	static const uint8_t none[1];
	memset(h, 0, sizeof(*h));
	h->sid = h->ciphers = h->exts = rd_init(none, 0);
	h->sni = h->alpn = h->groups = h->pformats = h->sigalgs = h->versions = rd_init(none, 0);
}

/* A growing string for fingerprints; bad once it would pass TLS_SB_MAX. */
struct sbuf {
	char *s;
	size_t len, cap;
	int bad;
};

static int is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static const char *cipher_name(uint16_t id)
{
	size_t lo = 0, hi = sizeof(cipher_names) / sizeof(cipher_names[0]);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cipher_names[mid].id == id)
			return cipher_names[mid].name;
		if (cipher_names[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* "1.2" for 0x0303; drafts of TLS 1.3 (0x7fNN) count as 1.3; NULL when
 * the value names no version we know. */
static const char *version_str(uint16_t v)
{
	switch (v) {
	case 0x0300:
		return "3.0";
	case 0x0301:
		return "1.0";
	case 0x0302:
		return "1.1";
	case 0x0303:
		return "1.2";
	case 0x0304:
		return "1.3";
	}
	return (v >> 8) == 0x7f ? "1.3" : NULL;
}

/* ---- small helpers ---- */

static void tstr_free(struct tls_str *t)
{
	free(t->s);
	t->s = NULL;
	t->n = 0;
}

/* Replaces t with at most max of the n bytes at r's cursor; r moves past n. */
static void tstr_take(struct tls_str *t, struct rd *r, size_t n, size_t max)
{
	struct rd w = rd_sub(r, n);
	size_t k = n < max ? n : max;
	char *s;
	if (!rd_ok(&w) || (s = malloc(k + 1)) == NULL)
		return;
	rd_copy(&w, s, k);
	s[k] = '\0';
	tstr_free(t);
	t->s = s;
	t->n = (uint16_t)k;
}

static void tstr_set(struct tls_str *t, const char *p, size_t n, size_t max)
{
	if (p == NULL) /* an empty ASN.1 string may have no data */
		p = "", n = 0;
	struct rd r = rd_init((const uint8_t *)p, n);
	tstr_take(t, &r, n, max);
}

/* Counts one more entry of l; returns where to store it, or NULL when it
 * is past the first keep (or out of memory). */
static struct tls_str *list_slot(struct tls_list *l, uint16_t keep)
{
	struct tls_str *t = NULL;
	if (l->v == NULL && l->total == 0) {
		l->v = calloc(keep, sizeof(*l->v));
		l->keep = l->v ? keep : 0;
	}
	if (l->total < l->keep)
		t = &l->v[l->total];
	if (l->total < UINT16_MAX)
		l->total++;
	return t;
}

static void list_free(struct tls_list *l)
{
	for (uint16_t i = 0; i < l->keep; i++)
		tstr_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->keep = l->total = 0;
}

static void sb_add(struct sbuf *b, const char *p, size_t n)
{
	if (b->bad)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *s = cap <= TLS_SB_MAX ? realloc(b->s, cap) : NULL;
		if (s == NULL) {
			b->bad = 1;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_char(struct sbuf *b, char c) { sb_add(b, &c, 1); }

static void sb_dec(struct sbuf *b, unsigned v)
{
	char t[12];
	int k = snprintf(t, sizeof(t), "%u", v);
	sb_add(b, t, (size_t)k);
}

static void sb_hex4(struct sbuf *b, uint16_t v)
{
	char t[8];
	snprintf(t, sizeof(t), "%04x", v);
	sb_add(b, t, 4);
}

/* Lowercase hex of the first hexlen/2 bytes of the digest of in. */
static void digest_hex(const EVP_MD *md, const char *in, size_t n, char *out, size_t hexlen)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	out[0] = '\0';
	if (EVP_Digest(in, n, d, &dl, md, NULL) != 1)
		return;
	for (size_t i = 0; i < hexlen / 2 && i < dl; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static int cmp_u16(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
	return (x > y) - (x < y);
}

/* ---- JA3, JA3S, JA4 ---- */

/* Appends the non-GREASE values of a list of width 1 or 2, '-' between. */
static void ja3_list(struct sbuf *b, struct rd r, int width)
{
	int first = 1;
	while (rd_left(&r) >= (size_t)width) {
		uint16_t v = width == 2 ? rd_be16(&r) : rd_u8(&r);
		if (width == 2 && is_grease(v))
			continue;
		if (!first)
			sb_char(b, '-');
		sb_dec(b, v);
		first = 0;
	}
}

/* Appends the extension types of an extensions block, GREASE left out. */
static void ja3_ext_types(struct sbuf *b, struct rd e)
{
	int first = 1;
	while (rd_left(&e) >= 4) {
		uint16_t t = rd_be16(&e);
		rd_skip(&e, rd_be16(&e));
		if (!rd_ok(&e) || is_grease(t))
			continue;
		if (!first)
			sb_char(b, '-');
		sb_dec(b, t);
		first = 0;
	}
}

/* The u16 values of r, GREASE left out and the excluded ones too, sorted,
 * into a new array; *n their number.  NULL (and *n 0) when none or out
 * of memory. */
static uint16_t *sorted_u16(struct rd r, int skip_len, const uint16_t *excl, size_t n_excl,
			    size_t *n)
{
	size_t cap = rd_left(&r) / 2, k = 0;
	uint16_t *v = cap ? malloc(cap * sizeof(*v)) : NULL;
	*n = 0;
	if (v == NULL)
		return NULL;
	while (rd_left(&r) >= 2) {
		uint16_t x = rd_be16(&r);
		if (skip_len)
			rd_skip(&r, rd_be16(&r));
		if (!rd_ok(&r))
			break;
		int drop = is_grease(x);
		for (size_t i = 0; i < n_excl; i++)
			drop |= x == excl[i];
		if (!drop)
			v[k++] = x;
	}
	qsort(v, k, sizeof(*v), cmp_u16);
	*n = k;
	return v;
}

static size_t count_u16(struct rd r, int skip_len)
{
	size_t n = 0;
	while (rd_left(&r) >= 2) {
		uint16_t x = rd_be16(&r);
		if (skip_len)
			rd_skip(&r, rd_be16(&r));
		if (rd_ok(&r) && !is_grease(x))
			n++;
	}
	return n;
}

/* JA4 version: the highest non-GREASE supported_versions entry, else the
 * hello's version. */
static uint16_t client_max_version(const struct hello *h)
{
	uint16_t best = 0;
	if (h->has_versions) {
		struct rd r = h->versions;
		rd_u8(&r);
		while (rd_left(&r) >= 2) {
			uint16_t v = rd_be16(&r);
			if (!is_grease(v) && v > best)
				best = v;
		}
	}
	return best ? best : h->version;
}

static const char *ja4_version(uint16_t v)
{
	switch (v) {
	case 0x0304:
		return "13";
	case 0x0303:
		return "12";
	case 0x0302:
		return "11";
	case 0x0301:
		return "10";
	case 0x0300:
		return "s3";
	case 0x0002:
		return "s2";
	case 0xfeff:
		return "d1";
	case 0xfefd:
		return "d2";
	case 0xfefc:
		return "d3";
	}
	return "00";
}

static int is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* JA4's two ALPN characters: first and last of the first id when both are
 * alphanumeric, else the first and last hex digits of the id; "00" when
 * there is no id. */
static void ja4_alpn(const struct hello *h, char out[2])
{
	static const char hex[] = "0123456789abcdef";
	out[0] = out[1] = '0';
	if (!h->has_alpn)
		return;
	struct rd r = h->alpn;
	rd_be16(&r);
	uint8_t n = rd_u8(&r);
	struct rd id = rd_sub(&r, n);
	if (!rd_ok(&id) || n == 0)
		return;
	uint8_t a = rd_peek(&id, 0), z = rd_peek(&id, n - 1u);
	if (is_alnum(a) && is_alnum(z)) {
		out[0] = (char)a;
		out[1] = (char)z;
	} else {
		out[0] = hex[a >> 4];
		out[1] = hex[z & 15];
	}
}

/* sha256 of the comma-joined hex list (+ "_" + tail when tail is set),
 * first 12 hex digits; "000000000000" for an empty list. */
static void ja4_hash(const uint16_t *v, size_t n, struct sbuf *tail, char out[13])
{
	struct sbuf b = {0};
	if (n == 0) {
		memcpy(out, "000000000000", 13);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_char(&b, ',');
		sb_hex4(&b, v[i]);
	}
	if (tail && tail->len) {
		sb_char(&b, '_');
		sb_add(&b, tail->s, tail->len);
	}
	if (b.bad)
		memcpy(out, "000000000000", 13);
	else
		digest_hex(EVP_sha256(), b.s, b.len, out, 12);
	free(b.s);
}

static void make_ja4(struct tls_state *s, const struct hello *h)
{
	static const uint16_t sni_alpn[] = {EXT_SERVER_NAME, EXT_ALPN};
	size_t nc = count_u16(h->ciphers, 0), ne = count_u16(h->exts, 1), n;
	char alpn[2], b[13], c[13];
	struct sbuf sig = {0};

	ja4_alpn(h, alpn);
	uint16_t *v = sorted_u16(h->ciphers, 0, NULL, 0, &n);
	ja4_hash(v, n, NULL, b);
	free(v);
	if (h->has_sigalgs) {
		struct rd r = h->sigalgs;
		int first = 1;
		rd_be16(&r);
		while (rd_left(&r) >= 2) {
			uint16_t a = rd_be16(&r);
			if (is_grease(a))
				continue;
			if (!first)
				sb_char(&sig, ',');
			sb_hex4(&sig, a);
			first = 0;
		}
	}
	v = sorted_u16(h->exts, 1, sni_alpn, 2, &n);
	ja4_hash(v, n, &sig, c);
	free(v);
	free(sig.s);
	snprintf(s->ja4, sizeof(s->ja4), "t%s%c%02u%02u%c%c_%s_%s",
		 ja4_version(client_max_version(h)), h->has_sni ? 'd' : 'i',
		 (unsigned)(nc > 99 ? 99 : nc), (unsigned)(ne > 99 ? 99 : ne), alpn[0], alpn[1], b,
		 c);
}

static void make_ja3(struct tls_state *s, const struct hello *h)
{
	struct sbuf b = {0};
	struct rd r;
	sb_dec(&b, h->version);
	sb_char(&b, ',');
	ja3_list(&b, h->ciphers, 2);
	sb_char(&b, ',');
	ja3_ext_types(&b, h->exts);
	sb_char(&b, ',');
	if (h->has_groups) {
		r = h->groups;
		rd_be16(&r);
		ja3_list(&b, r, 2);
	}
	sb_char(&b, ',');
	if (h->has_pformats) {
		r = h->pformats;
		rd_u8(&r);
		ja3_list(&b, r, 1);
	}
	if (!b.bad) {
		digest_hex(EVP_md5(), b.s, b.len, s->ja3, 32);
		if (b.len <= TLS_JA3_STR_MAX)
			tstr_set(&s->ja3_str, b.s, b.len, TLS_JA3_STR_MAX);
	}
	free(b.s);
}

static void make_ja3s(struct tls_state *s, const struct hello *h)
{
	struct sbuf b = {0};
	sb_dec(&b, h->version);
	sb_char(&b, ',');
	sb_dec(&b, h->cipher);
	sb_char(&b, ',');
	ja3_ext_types(&b, h->exts);
	if (!b.bad) {
		digest_hex(EVP_md5(), b.s, b.len, s->ja3s, 32);
		tstr_set(&s->ja3s_str, b.s, b.len, TLS_JA3_STR_MAX);
	}
	free(b.s);
}

/* ---- hello messages ---- */

/* Checks an extension's inner list against its own length:
 * len_width-byte length, then exactly that many bytes, a multiple of
 * item bytes, at least min_len.  Returns 1 when it holds. */
static int list_ok(struct rd r, int len_width, size_t item, size_t min_len)
{
	size_t n = len_width == 2 ? rd_be16(&r) : rd_u8(&r);
	return rd_ok(&r) && n == rd_left(&r) && n % item == 0 && n >= min_len;
}

/* server_name (RFC 6066 3): a list of (type, u16 length, name) that fills
 * the extension exactly. */
static int sni_ok(struct rd r)
{
	if (!list_ok(r, 2, 1, 1))
		return 0;
	rd_be16(&r);
	while (rd_left(&r) > 0) {
		rd_u8(&r);
		rd_skip(&r, rd_be16(&r));
	}
	return rd_ok(&r);
}

/* ALPN (RFC 7301 3.1): a list of non-empty u8-length ids that fills the
 * extension exactly. */
static int alpn_ok(struct rd r)
{
	if (!list_ok(r, 2, 1, 2))
		return 0;
	rd_be16(&r);
	while (rd_left(&r) > 0) {
		uint8_t n = rd_u8(&r);
		if (n == 0)
			return 0;
		rd_skip(&r, n);
	}
	return rd_ok(&r);
}

/* Notes where the extensions we read lie.  Returns RD_OK, RD_ETRUNC (the
 * block ended inside an extension) or RD_EINVAL (an extension's own list
 * contradicts its length).  With a partial block, the extensions before
 * the cut are noted. */
static int walk_extensions(struct rd e, struct hello *h, int server)
{
	while (rd_left(&e) > 0) {
		uint16_t type = rd_be16(&e);
		uint16_t len = rd_be16(&e);
		struct rd x = rd_sub(&e, len);
		if (!rd_ok(&e))
			return e.err;
		int ok = 1;
		switch (type) {
		case EXT_SERVER_NAME:
			/* A server's is empty (RFC 6066 3); a client's is a list. */
			if (!server && len)
				ok = sni_ok(x);
			if (ok && !h->has_sni)
				h->sni = x;
			h->has_sni = 1;
			break;
		case EXT_ALPN:
			ok = alpn_ok(x);
			if (ok && !h->has_alpn) {
				h->alpn = x;
				h->has_alpn = 1;
			}
			break;
		case EXT_GROUPS:
			ok = list_ok(x, 2, 2, 0);
			if (ok && !h->has_groups) {
				h->groups = x;
				h->has_groups = 1;
			}
			break;
		case EXT_POINT_FORMATS:
			ok = list_ok(x, 1, 1, 0);
			if (ok && !h->has_pformats) {
				h->pformats = x;
				h->has_pformats = 1;
			}
			break;
		case EXT_SIG_ALGS:
			ok = list_ok(x, 2, 2, 0);
			if (ok && !h->has_sigalgs) {
				h->sigalgs = x;
				h->has_sigalgs = 1;
			}
			break;
		case EXT_SUPPORTED_VERSIONS:
			ok = server ? len == 2 : list_ok(x, 1, 2, 2);
			if (ok && !h->has_versions) {
				h->versions = x;
				h->has_versions = 1;
			}
			break;
		case EXT_PRE_SHARED_KEY:
			h->has_psk = 1;
			break;
		}
		if (!ok)
			return RD_EINVAL;
	}
	return RD_OK;
}

/* Reads a ClientHello (client = 1) or ServerHello body up to its
 * extensions.  Returns RD_OK, RD_ETRUNC or RD_EINVAL; the windows read
 * before an error stay valid. */
static int hello_parse(struct rd *m, struct hello *h, int client)
{
	h->version = rd_be16(m);
	rd_copy(m, h->random, sizeof(h->random));
	uint8_t sl = rd_u8(m);
	if (rd_ok(m) && sl > 32)
		return RD_EINVAL;
	h->sid = rd_sub(m, sl);
	if (client) {
		uint16_t cl = rd_be16(m);
		if (rd_ok(m) && (cl & 1))
			return RD_EINVAL;
		h->ciphers = rd_sub(m, cl);
		rd_skip(m, rd_u8(m)); /* compression methods */
	} else {
		h->cipher = rd_be16(m);
		rd_u8(m); /* compression method */
	}
	if (!rd_ok(m))
		return m->err;
	if (rd_left(m) == 0) /* no extensions: TLS 1.2 and older allow it */
		return RD_OK;
	uint16_t el = rd_be16(m);
	int cut;
	h->exts = rd_sub_upto(m, el, &cut);
	if (!rd_ok(m))
		return m->err;
	int err = walk_extensions(h->exts, h, !client);
	if (err == RD_OK && cut)
		err = RD_ETRUNC;
	if (err == RD_OK && rd_left(m) != 0) /* extensions come last */
		err = RD_EINVAL;
	return err;
}

static void take_sni(struct tls_state *s, const struct hello *h)
{
	struct rd r = h->sni;
	if (!h->has_sni || rd_left(&r) == 0)
		return;
	rd_be16(&r);
	while (rd_left(&r) >= 3) {
		uint8_t type = rd_u8(&r);
		uint16_t n = rd_be16(&r);
		if (type == 0) { /* host_name */
			tstr_take(&s->sni, &r, n, TLS_NAME_MAX);
			return;
		}
		rd_skip(&r, n);
	}
}

static void take_alpn_offered(struct tls_state *s, const struct hello *h)
{
	struct rd r = h->alpn;
	if (!h->has_alpn)
		return;
	rd_be16(&r);
	while (rd_left(&r) >= 1) { /* alpn_ok() saw every id fit */
		uint8_t n = rd_u8(&r);
		struct tls_str *t = list_slot(&s->alpn, TLS_ALPN_KEEP);
		if (t)
			tstr_take(t, &r, n, TLS_NAME_MAX);
		else
			rd_skip(&r, n);
	}
}

static void take_ciphers(struct tls_state *s, const struct hello *h)
{
	struct rd r = h->ciphers;
	while (rd_left(&r) >= 2) {
		uint16_t v = rd_be16(&r);
		if (is_grease(v))
			continue;
		if (s->ciphers == NULL && s->n_ciphers == 0)
			s->ciphers = malloc(TLS_CIPHERS_KEEP * sizeof(*s->ciphers));
		if (s->ciphers && s->n_ciphers < TLS_CIPHERS_KEEP)
			s->ciphers[s->n_ciphers] = v;
		if (s->n_ciphers < UINT16_MAX)
			s->n_ciphers++;
	}
}

/* complete: the message arrived whole (else a hole in the stream cut it). */
static void client_hello(struct dissect_ctx *c, struct tls_state *s, int dir, struct rd m,
			 int complete)
{
	struct hello h;
	hello_init(&h);
	int err = hello_parse(&m, &h, 1);
	if (err != RD_OK && complete) {
		err = RD_EINVAL; /* lengths that run past the message contradict it */
		cnt_inc(c->cnt, CNT_DIS_TLS_INVALID);
	} else if (!complete && err == RD_OK) {
		err = RD_ETRUNC; /* whatever parsed, the message had more */
	}
	s->have_ch = 1;
	s->roles = 1;
	s->client_dir = (uint8_t)dir;
	s->ch_error = (uint8_t)err;
	s->ch_max_version = client_max_version(&h);
	s->sid_len = (uint8_t)rd_left(&h.sid);
	rd_copy(&h.sid, s->sid, s->sid_len);
	take_sni(s, &h);
	take_alpn_offered(s, &h);
	take_ciphers(s, &h);
	if (err == RD_OK) {
		make_ja3(s, &h);
		make_ja4(s, &h);
		s->fingerprinted = 1;
	}
}

static void server_hello(struct dissect_ctx *c, struct tls_state *s, int dir, struct rd m)
{
	struct hello h;
	hello_init(&h);
	s->roles = 1;
	s->client_dir = (uint8_t)!dir;
	if (hello_parse(&m, &h, 0) != RD_OK) {
		cnt_inc(c->cnt, CNT_DIS_TLS_INVALID);
		return;
	}
	if (memcmp(h.random, hrr_random, sizeof(hrr_random)) == 0) {
		s->hrr = 1; /* the real ServerHello follows, after a second ClientHello */
		return;
	}
	s->have_sh = 1;
	s->hrr = 0;
	s->cipher = h.cipher;
	s->sh_version = h.version;
	if (h.has_versions) {
		struct rd r = h.versions;
		s->sh_version = rd_be16(&r);
	}
	/* 1.3, its drafts and private variants (Fizz's 0xfbNN): the rest of
	 * the server's handshake is encrypted. */
	s->tls13 = s->sh_version > 0x0303;
	if (h.has_alpn) {
		struct rd r = h.alpn;
		rd_be16(&r);
		tstr_take(&s->alpn_sel, &r, rd_u8(&r), TLS_NAME_MAX);
	}
	if (s->tls13)
		s->resumed = h.has_psk;
	else
		s->resumed = s->sid_len && rd_left(&h.sid) == s->sid_len &&
			     memcmp(rd_ptr(&h.sid), s->sid, s->sid_len) == 0;
	make_ja3s(s, &h);
}

/* ---- the server's certificate ---- */

static void x509_name(struct tls_str *t, const X509_NAME *name)
{
	/* RFC 4514 order (most specific first), ", " between RDNs, UTF-8 kept. */
	unsigned long flags = (XN_FLAG_RFC2253 & ~(XN_FLAG_SEP_MASK | ASN1_STRFLGS_ESC_MSB)) |
			      XN_FLAG_SEP_CPLUS_SPC;
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, name, 0, flags) >= 0) {
		long n = BIO_get_mem_data(b, &p);
		if (n > 0)
			tstr_set(t, p, (size_t)n, TLS_DN_MAX);
	}
	BIO_free(b);
}

static void x509_time(char out[32], const ASN1_TIME *t)
{
	struct tm tm;
	char b[96]; /* room for any int the compiler can imagine in tm */
	out[0] = '\0';
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 || tm.tm_year < -1900 ||
	    tm.tm_year > 9999 - 1900)
		return;
	int n = snprintf(b, sizeof(b), "%04d-%02d-%02dT%02d:%02d:%02d.000000Z", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n > 0 && n < 32)
		memcpy(out, b, (size_t)n + 1);
}

static void x509_sans(struct tls_list *l, X509 *x)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (names == NULL)
		return;
	for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		if (g->type != GEN_DNS)
			continue;
		const ASN1_IA5STRING *a = g->d.dNSName;
		struct tls_str *t = list_slot(l, TLS_SAN_KEEP);
		if (t)
			tstr_set(t, (const char *)ASN1_STRING_get0_data(a),
				 (size_t)ASN1_STRING_length(a), TLS_NAME_MAX);
	}
	GENERAL_NAMES_free(names);
}

/* Certificate (TLS 1.2 and older): the first entry is the server's own. */
static void certificate(struct dissect_ctx *c, struct tls_state *s, struct rd m)
{
	uint32_t total = rd_be24(&m);
	struct rd list = rd_sub(&m, total);
	if (!rd_ok(&m) || rd_left(&m) != 0)
		goto invalid;
	if (total == 0) /* no certificate (anonymous suites) */
		return;
	uint32_t n = rd_be24(&list);
	struct rd der = rd_sub(&list, n);
	if (!rd_ok(&list) || n == 0)
		goto invalid;
	const unsigned char *p = rd_ptr(&der);
	X509 *x = d2i_X509(NULL, &p, (long)rd_left(&der));
	if (x == NULL)
		goto invalid;
	s->have_cert = 1;
	s->cert = calloc(1, sizeof(*s->cert));
	if (s->cert) {
		x509_name(&s->cert->subject, X509_get_subject_name(x));
		x509_name(&s->cert->issuer, X509_get_issuer_name(x));
		x509_time(s->cert->not_before, X509_get0_notBefore(x));
		x509_time(s->cert->not_after, X509_get0_notAfter(x));
		x509_sans(&s->cert->san, x);
	}
	X509_free(x);
	return;
invalid:
	cnt_inc(c->cnt, CNT_DIS_TLS_INVALID);
}

/* ---- framing ---- */

static void dir_stop(struct tls_dir *d)
{
	free(d->msg);
	d->msg = NULL;
	d->mlen = d->mgot = 0;
	d->mhdr_len = 0;
	d->stopped = 1;
}

static int is_server_dir(const struct tls_state *s, int dir)
{
	return s->roles && dir != s->client_dir;
}

/* One whole handshake message (or, complete = 0, a ClientHello cut by a
 * hole).  Leaves the direction once it has given what we read. */
static void handshake_message(struct dissect_ctx *c, struct tls_state *s, int dir, uint8_t type,
			      struct rd m, int complete)
{
	struct tls_dir *d = &s->d[dir];
	if (complete)
		cnt_inc(c->cnt, CNT_DIS_TLS_MESSAGES);
	switch (type) {
	case HS_CLIENT_HELLO:
		if (s->have_ch || is_server_dir(s, dir))
			break;
		client_hello(c, s, dir, m, complete);
		dir_stop(d); /* the rest of the client's handshake tells us nothing more */
		break;
	case HS_SERVER_HELLO:
		if (s->roles && !is_server_dir(s, dir))
			break;
		server_hello(c, s, dir, m);
		if (s->tls13 && s->have_sh)
			dir_stop(d); /* all that follows is encrypted */
		break;
	case HS_CERTIFICATE:
		if (!is_server_dir(s, dir) || !s->have_sh || s->tls13 || s->have_cert)
			break;
		certificate(c, s, m);
		s->server_done = 1;
		dir_stop(d);
		break;
	case HS_SERVER_DONE:
		if (is_server_dir(s, dir)) {
			s->server_done = 1;
			dir_stop(d);
		}
		break;
	}
}

/* Handshake-protocol bytes of direction dir, in order. */
static void handshake_bytes(struct dissect_ctx *c, struct tls_state *s, int dir, struct rd *b)
{
	struct tls_dir *d = &s->d[dir];
	while (!d->stopped && rd_left(b) > 0) {
		if (d->mhdr_len < 4) {
			/* A message wholly in this fragment is read where it lies. */
			if (d->mhdr_len == 0 && rd_left(b) >= 4) {
				uint32_t n = (uint32_t)rd_peek(b, 1) << 16 | (uint32_t)rd_peek(b, 2) << 8 |
					     rd_peek(b, 3);
				if (n <= rd_left(b) - 4) {
					uint8_t type = rd_u8(b);
					rd_be24(b);
					handshake_message(c, s, dir, type, rd_sub(b, n), 1);
					continue;
				}
			}
			d->mhdr[d->mhdr_len++] = rd_u8(b);
			if (d->mhdr_len < 4)
				continue;
			d->mlen = (uint32_t)d->mhdr[1] << 16 | (uint32_t)d->mhdr[2] << 8 | d->mhdr[3];
			d->mgot = 0;
			if (d->mlen > TLS_MSG_CAP) {
				cnt_inc(c->cnt, CNT_DIS_TLS_OVERSIZE);
				dir_stop(d);
				break;
			}
			d->msg = malloc(d->mlen ? d->mlen : 1);
			if (d->msg == NULL) {
				dir_stop(d);
				break;
			}
		}
		size_t n = d->mlen - d->mgot;
		if (n > rd_left(b))
			n = rd_left(b);
		rd_copy(b, d->msg + d->mgot, n);
		d->mgot += (uint32_t)n;
		if (d->mgot < d->mlen)
			break;
		uint8_t *msg = d->msg;
		d->msg = NULL;
		d->mhdr_len = 0;
		handshake_message(c, s, dir, d->mhdr[0], rd_init(msg, d->mlen), 1);
		free(msg);
	}
}

/* The record header in d->hdr: 1 when it is one TLS could send. */
static int record_header_ok(const struct tls_dir *d)
{
	struct rd r = rd_init(d->hdr, sizeof(d->hdr));
	uint8_t type = rd_u8(&r), major = rd_u8(&r), minor = rd_u8(&r);
	uint16_t len = rd_be16(&r);
	return type >= REC_CCS && type <= REC_HEARTBEAT && major == 3 && minor <= 4 &&
	       len <= TLS_REC_MAX;
}

/* A change_cipher_spec: what follows in this direction is encrypted,
 * except on a server that sent a HelloRetryRequest (its ServerHello comes
 * after the compatibility change_cipher_spec, RFC 8446 D.4).  A TLS 1.2
 * server that changes cipher right after its ServerHello resumed a
 * session. */
static void record_ccs(struct tls_state *s, int dir)
{
	if (is_server_dir(s, dir) && s->hrr && !s->have_sh)
		return;
	if (is_server_dir(s, dir) && s->have_sh && !s->tls13 && !s->server_done)
		s->resumed = 1;
	dir_stop(&s->d[dir]);
}

static void tls_parse(struct dissect_ctx *c, struct flow *f, void *state, int dir,
		      const uint8_t *data, size_t len)
{
	struct tls_state *s = state;
	struct tls_dir *d = &s->d[dir & 1];
	struct rd r = rd_init(data, len);
	(void)f;
	dir &= 1;
	if (!s->counted) {
		s->counted = 1;
		cnt_inc(c->cnt, CNT_DIS_TLS_FLOWS);
	}
	while (!d->stopped && rd_left(&r) > 0) {
		if (d->hdr_len < sizeof(d->hdr)) {
			d->hdr[d->hdr_len++] = rd_u8(&r);
			if (d->hdr_len < sizeof(d->hdr))
				continue;
			if (!record_header_ok(d)) {
				/* The first bytes of a direction: a stream picked up in
				 * the middle (or not TLS), not a record that lies. */
				cnt_inc(c->cnt, d->framed ? CNT_DIS_TLS_INVALID : CNT_DIS_TLS_MIDSTREAM);
				dir_stop(d);
				break;
			}
			d->framed = 1;
			d->rec_type = d->hdr[0];
			d->rec_left = (uint32_t)d->hdr[3] << 8 | d->hdr[4];
			if (d->rec_type == REC_APPDATA) {
				dir_stop(d);
				break;
			}
			if (d->rec_type == REC_CCS) {
				record_ccs(s, dir);
				if (d->stopped)
					break;
			}
		}
		size_t n = d->rec_left < rd_left(&r) ? d->rec_left : rd_left(&r);
		struct rd frag = rd_sub(&r, n);
		d->rec_left -= (uint32_t)n;
		if (d->rec_left == 0)
			d->hdr_len = 0;
		if (d->rec_type == REC_HANDSHAKE)
			handshake_bytes(c, s, dir, &frag);
	}
}

/* Bytes were lost: the framing cannot be found again, so the direction
 * ends; a ClientHello it cut still gives the extensions that came whole. */
static void tls_gap(struct dissect_ctx *c, struct flow *f, void *state, int dir)
{
	struct tls_state *s = state;
	struct tls_dir *d = &s->d[dir & 1];
	(void)f;
	if (d->stopped)
		return;
	cnt_inc(c->cnt, CNT_DIS_TLS_TRUNC);
	if (d->msg && d->mhdr[0] == HS_CLIENT_HELLO)
		handshake_message(c, s, dir & 1, HS_CLIENT_HELLO, rd_init(d->msg, d->mgot), 0);
	dir_stop(d);
}

static void tls_free(void *state)
{
	struct tls_state *s = state;
	for (int i = 0; i < 2; i++)
		free(s->d[i].msg);
	list_free(&s->alpn);
	free(s->ciphers);
	if (s->cert) {
		tstr_free(&s->cert->subject);
		tstr_free(&s->cert->issuer);
		list_free(&s->cert->san);
		free(s->cert);
	}
	tstr_free(&s->alpn_sel);
	tstr_free(&s->sni);
	tstr_free(&s->ja3_str);
	tstr_free(&s->ja3s_str);
}

/* 0x16, then version 3.0 to 3.4, then a ClientHello or ServerHello; a
 * first segment shorter than that is taken on the bytes it has. */
static int tls_probe(const uint8_t *data, size_t len, int dir)
{
	struct rd r = rd_init(data, len);
	(void)dir;
	if (len < 1 || rd_peek(&r, 0) != REC_HANDSHAKE)
		return 0;
	if (len >= 2 && rd_peek(&r, 1) != 3)
		return 0;
	if (len >= 3 && rd_peek(&r, 2) > 4)
		return 0;
	if (len >= 6 && rd_peek(&r, 5) != HS_CLIENT_HELLO && rd_peek(&r, 5) != HS_SERVER_HELLO)
		return 0;
	return 1;
}

/* ---- output ---- */

static void json_tstr(struct jw *w, const char *key, const struct tls_str *t)
{
	if (t->s)
		jw_strn(w, key, t->s, t->n);
}

/* The kept entries of l as an array; nothing when there are none. */
static void json_list(struct jw *w, const char *key, const struct tls_list *l)
{
	if (l->total == 0 || l->keep == 0)
		return;
	jw_arr_begin(w, key);
	for (uint16_t i = 0; i < l->total && i < l->keep; i++)
		json_tstr(w, NULL, &l->v[i]);
	jw_end(w);
}

static void json_cipher(struct jw *w, const char *key, uint16_t v)
{
	const char *name = cipher_name(v);
	char hex[8];
	if (name == NULL) {
		snprintf(hex, sizeof(hex), "0x%04x", v);
		name = hex;
	}
	jw_str(w, key, name);
}

static void tls_json_ecs(const void *state, struct jw *w)
{
	const struct tls_state *s = state;
	if (!s->have_ch && !s->have_sh)
		return;
	jw_obj_begin(w, "tls");
	const char *v = s->have_sh ? version_str(s->sh_version) : NULL;
	if (v) {
		jw_str(w, "version", v);
		jw_str(w, "version_protocol", s->sh_version == 0x0300 ? "ssl" : "tls");
	}
	if (s->have_sh)
		json_cipher(w, "cipher", s->cipher);
	if (s->alpn_sel.s)
		json_tstr(w, "next_protocol", &s->alpn_sel);
	else if (s->alpn.total && s->alpn.keep)
		json_tstr(w, "next_protocol", &s->alpn.v[0]);
	jw_bool(w, "established", s->have_ch && s->have_sh);
	if (s->have_sh)
		jw_bool(w, "resumed", s->resumed);
	if (s->have_ch && (s->sni.s || s->fingerprinted || s->n_ciphers)) {
		jw_obj_begin(w, "client");
		json_tstr(w, "server_name", &s->sni);
		if (s->fingerprinted)
			jw_str(w, "ja3", s->ja3);
		if (s->n_ciphers && s->ciphers) {
			jw_arr_begin(w, "supported_ciphers");
			for (int i = 0; i < s->n_ciphers && i < TLS_CIPHERS_KEEP; i++)
				json_cipher(w, NULL, s->ciphers[i]);
			jw_end(w);
		}
		jw_end(w);
	}
	if (s->have_sh) {
		jw_obj_begin(w, "server");
		if (s->ja3s[0])
			jw_str(w, "ja3s", s->ja3s);
		const struct tls_cert *ct = s->cert;
		if (ct) {
			json_tstr(w, "subject", &ct->subject);
			json_tstr(w, "issuer", &ct->issuer);
			if (ct->not_before[0])
				jw_str(w, "not_before", ct->not_before);
			if (ct->not_after[0])
				jw_str(w, "not_after", ct->not_after);
			if (ct->san.total && ct->san.keep) {
				jw_obj_begin(w, "x509");
				json_list(w, "alternative_names", &ct->san);
				jw_end(w);
			}
		}
		jw_end(w);
	}
	jw_end(w);
}

static void tls_json_apnwatch(const void *state, struct jw *w)
{
	const struct tls_state *s = state;
	if (!s->have_ch && !s->have_sh)
		return;
	jw_obj_begin(w, "tls");
	if (s->have_ch) {
		const char *v = version_str(s->ch_max_version);
		char hex[8];
		if (v == NULL) {
			snprintf(hex, sizeof(hex), "0x%04x", s->ch_max_version);
			v = hex;
		}
		jw_str(w, "client_version", v);
		if (s->fingerprinted) {
			jw_str(w, "ja4", s->ja4);
			json_tstr(w, "ja3_string", &s->ja3_str);
		}
		if (s->ch_error)
			jw_str(w, "client_hello_error",
			       s->ch_error == RD_ETRUNC ? "truncated" : "invalid");
		json_list(w, "alpn_offered", &s->alpn);
		if (s->alpn.total > TLS_ALPN_KEEP)
			jw_u64(w, "alpn_offered_total", s->alpn.total);
		if (s->n_ciphers > TLS_CIPHERS_KEEP)
			jw_u64(w, "supported_ciphers_total", s->n_ciphers);
	}
	if (s->have_sh)
		json_tstr(w, "ja3s_string", &s->ja3s_str);
	if (s->cert && s->cert->san.total > TLS_SAN_KEEP)
		jw_u64(w, "alternative_names_total", s->cert->san.total);
	jw_end(w);
}

static const char *tls_server_name(const void *state, enum server_name_source *how)
{
	const struct tls_state *s = state;
	if (s->sni.s == NULL || s->sni.n == 0)
		return NULL;
	*how = SNAME_TLS;
	return s->sni.s;
}

/* The client's fingerprints for the intent rules (catalog JA3 / JA4
 * entries name a maker's firmware); TLS itself proves no purpose, so no
 * vote.  The pointers stay valid until the state is freed. */
static void tls_intent(const void *state, struct intent_input *in)
{
	const struct tls_state *s = state;
	if (!s->fingerprinted)
		return;
	in->ja3 = s->ja3;
	in->ja4 = s->ja4[0] ? s->ja4 : NULL;
}

static const uint16_t tls_ports[] = {443, 8443, 8883, 5061, 993, 995, 465, 853, 0};
static const uint16_t tls_ndpi_ids[] = {NDPI_PROTOCOL_TLS,        NDPI_PROTOCOL_MAIL_IMAPS,
					NDPI_PROTOCOL_MAIL_POPS,  NDPI_PROTOCOL_MAIL_SMTPS,
					NDPI_PROTOCOL_DOH_DOT,    0};

const struct dissector dissector_tls = {
	.name = "tls",
	.transport = 6,
	.ports = tls_ports,
	.ndpi_ids = tls_ndpi_ids,
	.probe = tls_probe,
	.state_size = sizeof(struct tls_state),
	.parse = tls_parse,
	.gap = tls_gap,
	.free = tls_free,
	.json_ecs = tls_json_ecs,
	.json_apnwatch = tls_json_apnwatch,
	.server_name = tls_server_name,
	.intent = tls_intent,
};
