/*
 * test-dis-tls.c - the TLS dissector (dissectors/tls.c) through its
 * descriptor dissector_tls.
 *
 * Covers: a real ClientHello with GREASE everywhere (exact ECS and
 * apnwatch JSON, JA3 as tshark computes it, JA4); the same bytes in one
 * chunk, in three chunks, in every two-chunk split, byte by byte and in two
 * records; every cut length, with and without a hole after it (a hole keeps
 * the extensions that arrived whole); invalid lengths (session id, cipher
 * suites, extensions, server_name list, record header) and an oversize
 * message; JA4's published examples (FoxIO technical_details/JA4.md) and
 * its ALPN rules; GREASE left out of JA3 and JA4; a TLS 1.2 server flight
 * (ServerHello, Certificate with a real DER certificate, ServerHelloDone)
 * across records and segments; TLS 1.3 and 1.2 resumption; a
 * HelloRetryRequest; the probe.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissector.h"
#include "intent.h"
#include "util-json.h"

extern const struct dissector dissector_tls;

/* ---- a real ClientHello ----
 * Chrome's, from PcapPlusPlus Tests/Packet++Test/PacketExamples/tls_grease.pcap
 * (the TCP payload of frame 1: one record, one message).  tshark 4.0 gives
 * JA3 b32309a26951912be7dba376398abc3b for it. */
static const uint8_t real_ch[] = {
	0x16, /* record: handshake (22) */
	0x03, 0x01, /* record version 3.1 (TLS 1.0) */
	0x02, 0x00, /* record length 512 */
	0x01, /* handshake: ClientHello (1) */
	0x00, 0x01, 0xfc, /* handshake length 508 */
	0x03, 0x03, /* legacy_version 0x0303 (TLS 1.2) */
	/* random (32 bytes) */
	0x6e, 0xdb, 0x9b, 0x6b, 0xb8, 0xc4, 0xa8, 0xe6, 0xbb, 0x2c, 0x83, 0xe0,
	0xee, 0x74, 0x82, 0x08, 0xd6, 0x35, 0x87, 0xad, 0x9f, 0x30, 0xe9, 0x67,
	0x1c, 0x02, 0xa2, 0x56, 0xeb, 0x61, 0x1f, 0xbd,
	0x20, /* session_id length 32 */
	/* session_id */
	0xc7, 0x92, 0xd7, 0x3b, 0xb8, 0x1e, 0x82, 0xd0, 0x14, 0x97, 0x12, 0x1d,
	0x1a, 0x57, 0x96, 0x4a, 0xc2, 0xd4, 0x7b, 0xe2, 0xbf, 0xf7, 0x67, 0xbf,
	0x02, 0xea, 0xc0, 0xc0, 0xa1, 0x2f, 0x9e, 0x46,
	0x00, 0x20, /* cipher_suites length 32 */
	0x7a, 0x7a, /*   0x7a7a GREASE */
	0x13, 0x01, /*   0x1301 TLS_AES_128_GCM_SHA256 */
	0x13, 0x02, /*   0x1302 TLS_AES_256_GCM_SHA384 */
	0x13, 0x03, /*   0x1303 TLS_CHACHA20_POLY1305_SHA256 */
	0xc0, 0x2b, /*   0xc02b ECDHE_ECDSA_AES_128_GCM_SHA256 */
	0xc0, 0x2f, /*   0xc02f ECDHE_RSA_AES_128_GCM_SHA256 */
	0xc0, 0x2c, /*   0xc02c ECDHE_ECDSA_AES_256_GCM_SHA384 */
	0xc0, 0x30, /*   0xc030 ECDHE_RSA_AES_256_GCM_SHA384 */
	0xcc, 0xa9, /*   0xcca9 ECDHE_ECDSA_CHACHA20_POLY1305 */
	0xcc, 0xa8, /*   0xcca8 ECDHE_RSA_CHACHA20_POLY1305 */
	0xc0, 0x13, /*   0xc013 ECDHE_RSA_AES_128_CBC_SHA */
	0xc0, 0x14, /*   0xc014 ECDHE_RSA_AES_256_CBC_SHA */
	0x00, 0x9c, /*   0x009c RSA_AES_128_GCM_SHA256 */
	0x00, 0x9d, /*   0x009d RSA_AES_256_GCM_SHA384 */
	0x00, 0x2f, /*   0x002f RSA_AES_128_CBC_SHA */
	0x00, 0x35, /*   0x0035 RSA_AES_256_CBC_SHA */
	0x01, /* compression_methods length 1 */
	0x00, /*   null (0) */
	0x01, 0x93, /* extensions length 403 */
	0x5a, 0x5a, 0x00, 0x00, /* ext 0x5a5a GREASE, length 0 */
	0x00, 0x00, 0x00, 0x15, /* ext 0x0000 server_name, length 21 */
	0x00, 0x13, /*   server_name_list length */
	0x00, /*   host_name (0) */
	0x00, 0x10, /*   length 16 */
	's', 'e', 'c', 'u', 'r', 'e', '.', 'a', 'd', 'n', 'x', 's', '.', 'c', 'o', 'm', /* secure.adnxs.com */
	0x00, 0x17, 0x00, 0x00, /* ext 0x0017 extended_master_secret, length 0 */
	0xff, 0x01, 0x00, 0x01, /* ext 0xff01 renegotiation_info, length 1 */
	0x00, /*   renegotiated_connection length 0 */
	0x00, 0x0a, 0x00, 0x0a, /* ext 0x000a supported_groups, length 10 */
	0x00, 0x08, /*   named_group_list length 8 */
	0x2a, 0x2a, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18, /*   GREASE, x25519, secp256r1, secp384r1 */
	0x00, 0x0b, 0x00, 0x02, /* ext 0x000b ec_point_formats, length 2 */
	0x01, 0x00, /*   list length 1: uncompressed (0) */
	0x00, 0x23, 0x00, 0xc0, /* ext 0x0023 session_ticket, length 192 */
	0x63, 0xc4, 0xfd, 0xf5, 0x76, 0x51, 0xcc, 0x91, 0xbc, 0x4d, 0x3f, 0xf1, /*   an opaque ticket */
	0x46, 0x13, 0x81, 0xa3, 0xb5, 0xcb, 0x7c, 0xb0, 0x4e, 0x61, 0x60, 0xd0,
	0x0d, 0x0d, 0xb4, 0x1c, 0xef, 0x53, 0x08, 0x86, 0x0d, 0x46, 0x14, 0xcc,
	0xde, 0x39, 0x69, 0x58, 0x6c, 0x71, 0x37, 0x81, 0xab, 0x39, 0x48, 0xc1,
	0xb4, 0xa6, 0x9e, 0x75, 0x58, 0x7d, 0x8d, 0xe9, 0x1f, 0x59, 0x41, 0x67,
	0xe5, 0x1e, 0xe2, 0xbf, 0x19, 0x92, 0x69, 0xa6, 0x77, 0xd1, 0x1f, 0x2c,
	0xb0, 0x10, 0xbd, 0xd6, 0xa8, 0xa6, 0x58, 0x99, 0xaa, 0x03, 0xe9, 0x86,
	0x0b, 0x33, 0x31, 0xfd, 0xe6, 0x8e, 0x5b, 0xfa, 0x1c, 0x5f, 0x76, 0x96,
	0x10, 0xbf, 0xf9, 0x47, 0xb5, 0xbc, 0xb2, 0xab, 0xf8, 0x27, 0xc3, 0x60,
	0x8b, 0xa5, 0x72, 0xc4, 0x45, 0x28, 0x04, 0xa0, 0x1a, 0x82, 0xd8, 0xa0,
	0xfd, 0x6f, 0x82, 0xdb, 0x94, 0x41, 0x89, 0x69, 0x91, 0x16, 0x71, 0x81,
	0x01, 0xe4, 0x3a, 0x8d, 0x0b, 0xaf, 0x6d, 0x70, 0xb8, 0x04, 0xb5, 0xde,
	0x87, 0x07, 0x48, 0x8a, 0xf9, 0x85, 0xef, 0x0d, 0xfa, 0xf0, 0x7c, 0x59,
	0x61, 0x7f, 0x4b, 0xbb, 0x44, 0xe1, 0x91, 0xd7, 0x5c, 0xc7, 0x93, 0x9a,
	0x43, 0xb8, 0x00, 0xe8, 0x4e, 0x0a, 0x51, 0x36, 0x02, 0x5c, 0xae, 0x53,
	0x7c, 0x43, 0x55, 0xa9, 0x3a, 0xc1, 0x2a, 0xc6, 0x76, 0xa3, 0xf0, 0x9b,
	0x00, 0x10, 0x00, 0x0e, /* ext 0x0010 ALPN, length 14 */
	0x00, 0x0c, /*   protocol_name_list length */
	0x02, 0x68, 0x32, /*   2 "h2" */
	0x08, 0x68, 0x74, 0x74, 0x70, 0x2f, 0x31, 0x2e, 0x31, /*   8 "http/1.1" */
	0x00, 0x05, 0x00, 0x05, /* ext 0x0005 status_request, length 5 */
	0x01, 0x00, 0x00, 0x00, 0x00, /*   ocsp (1), no responder ids, no extensions */
	0x00, 0x0d, 0x00, 0x12, /* ext 0x000d signature_algorithms, length 18 */
	0x00, 0x10, /*   supported_signature_algorithms length 16 */
	0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03, /*   ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, rsa_pkcs1_sha256, ecdsa_secp384r1_sha384 */
	0x08, 0x05, 0x05, 0x01, 0x08, 0x06, 0x06, 0x01, /*   rsa_pss_rsae_sha384, rsa_pkcs1_sha384, rsa_pss_rsae_sha512, rsa_pkcs1_sha512 */
	0x00, 0x12, 0x00, 0x00, /* ext 0x0012 signed_certificate_timestamp, length 0 */
	0x00, 0x33, 0x00, 0x2b, /* ext 0x0033 key_share, length 43 */
	0x00, 0x29, 0x2a, 0x2a, 0x00, 0x01, 0x00, 0x00, 0x1d, 0x00, 0x20, 0x22, /*   client_shares length 41: GREASE (len 1), x25519 (len 32) */
	0x7b, 0x47, 0xa4, 0xee, 0x2c, 0x3c, 0x87, 0x15, 0xb4, 0x3c, 0xe5, 0x5e,
	0x45, 0xc8, 0x60, 0x8f, 0x88, 0x40, 0xa7, 0x69, 0x0c, 0x73, 0xd0, 0x52,
	0xff, 0xe9, 0xce, 0x34, 0x7c, 0xfc, 0x6b,
	0x00, 0x2d, 0x00, 0x02, /* ext 0x002d psk_key_exchange_modes, length 2 */
	0x01, 0x01, /*   list length 1: psk_dhe_ke (1) */
	0x00, 0x2b, 0x00, 0x0b, /* ext 0x002b supported_versions, length 11 */
	0x0a, /*   versions length 10 */
	0xfa, 0xfa, 0x03, 0x04, 0x03, 0x03, 0x03, 0x02, 0x03, 0x01, /*   GREASE, TLS 1.3, 1.2, 1.1, 1.0 */
	0x00, 0x1b, 0x00, 0x03, /* ext 0x001b compress_certificate, length 3 */
	0x02, 0x00, 0x02, /*   list length 2: brotli (2) */
	0xfa, 0xfa, 0x00, 0x01, /* ext 0xfafa GREASE, length 1 */
	0x00, /*   one zero byte */
	0x00, 0x15, 0x00, 0x0c, /* ext 0x0015 padding, length 12 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /*   12 zero bytes */
};

/* Offsets in real_ch of fields the invalid tests change. */
#define CH_SID_LEN 43      /* session_id length (32) */
#define CH_CIPHERS_LEN 76  /* cipher_suites length (2 bytes: 32) */
#define CH_EXTS_LEN 112    /* extensions length (2 bytes: 403) */
#define CH_SNI_LIST 122    /* server_name_list length (2 bytes: 19) */
#define CH_SNI_END 143     /* first byte after the server_name extension */
#define CH_ALPN_LIST 372   /* protocol_name_list length (2 bytes: 12) */

#define REAL_JA3_STR                                                                          \
	"771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"   \
	"0-23-65281-10-11-35-16-5-13-18-51-45-43-27-21,29-23-24,0"
#define REAL_JA3 "b32309a26951912be7dba376398abc3b"
#define REAL_JA4 "t13d1515h2_8daaf6152771_de4a06bb82e3"

static const char real_ecs[] =
	"{\"tls\":{\"next_protocol\":\"h2\",\"established\":false,\"client\":{"
	"\"server_name\":\"secure.adnxs.com\",\"ja3\":\"" REAL_JA3 "\","
	"\"supported_ciphers\":[\"TLS_AES_128_GCM_SHA256\",\"TLS_AES_256_GCM_SHA384\","
	"\"TLS_CHACHA20_POLY1305_SHA256\",\"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\","
	"\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\",\"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\","
	"\"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\","
	"\"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256\","
	"\"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256\",\"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA\","
	"\"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA\",\"TLS_RSA_WITH_AES_128_GCM_SHA256\","
	"\"TLS_RSA_WITH_AES_256_GCM_SHA384\",\"TLS_RSA_WITH_AES_128_CBC_SHA\","
	"\"TLS_RSA_WITH_AES_256_CBC_SHA\"]}}}";

static const char real_apn[] = "{\"tls\":{\"client_version\":\"1.3\",\"ja4\":\"" REAL_JA4
			       "\",\"ja3_string\":\"" REAL_JA3_STR
			       "\",\"alpn_offered\":[\"h2\",\"http/1.1\"]}}";

/* ---- a certificate ----
 * Made for this test with openssl(1): an ECDSA P-256 leaf signed by
 * "O=Example, CN=Example Root CA"; subject C=DE, O="Example, Inc.",
 * CN=device.example.com; valid 2026-11-25 09:04:02 to 2029-02-27 09:04:02
 * UTC; subjectAltName DNS:device.example.com, DNS:*.example.com,
 * IP:192.0.2.1, email:ops@example.com. */
static const uint8_t leaf_der[] = {
	0x30, 0x82, 0x01, 0xe6, 0x30, 0x82, 0x01, 0x8c, 0xa0, 0x03, 0x02, 0x01,
	0x02, 0x02, 0x01, 0x02, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
	0x3d, 0x04, 0x03, 0x02, 0x30, 0x2c, 0x31, 0x10, 0x30, 0x0e, 0x06, 0x03,
	0x55, 0x04, 0x0a, 0x0c, 0x07, 0x45, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x31, 0x18, 0x30, 0x16, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0f, 0x45,
	0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x20, 0x52, 0x6f, 0x6f, 0x74, 0x20,
	0x43, 0x41, 0x30, 0x1e, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x31, 0x32, 0x35,
	0x30, 0x39, 0x30, 0x34, 0x30, 0x32, 0x5a, 0x17, 0x0d, 0x32, 0x39, 0x30,
	0x32, 0x32, 0x37, 0x30, 0x39, 0x30, 0x34, 0x30, 0x32, 0x5a, 0x30, 0x42,
	0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 0x44,
	0x45, 0x31, 0x16, 0x30, 0x14, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x0d,
	0x45, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2c, 0x20, 0x49, 0x6e, 0x63,
	0x2e, 0x31, 0x1b, 0x30, 0x19, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x12,
	0x64, 0x65, 0x76, 0x69, 0x63, 0x65, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70,
	0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d, 0x30, 0x59, 0x30, 0x13, 0x06, 0x07,
	0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
	0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0x2f, 0x0c, 0x1a,
	0xe7, 0xeb, 0x54, 0x2d, 0x04, 0xa2, 0x0d, 0x93, 0x11, 0x21, 0x7f, 0xbc,
	0xae, 0x77, 0x23, 0xde, 0xed, 0x4c, 0x4c, 0x0f, 0x8a, 0x44, 0x5a, 0x0f,
	0x89, 0x80, 0x27, 0x03, 0xd8, 0x80, 0x88, 0xdf, 0x23, 0x31, 0x93, 0xc8,
	0xe7, 0x7e, 0x81, 0xf0, 0x29, 0x88, 0x4b, 0xef, 0x8d, 0x5c, 0x9f, 0x91,
	0x2b, 0xc4, 0x6e, 0xce, 0x7c, 0xe2, 0xf9, 0x03, 0x3e, 0xd5, 0xe9, 0x36,
	0x0d, 0xa3, 0x81, 0x88, 0x30, 0x81, 0x85, 0x30, 0x43, 0x06, 0x03, 0x55,
	0x1d, 0x11, 0x04, 0x3c, 0x30, 0x3a, 0x82, 0x12, 0x64, 0x65, 0x76, 0x69,
	0x63, 0x65, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x63,
	0x6f, 0x6d, 0x82, 0x0d, 0x2a, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c,
	0x65, 0x2e, 0x63, 0x6f, 0x6d, 0x87, 0x04, 0xc0, 0x00, 0x02, 0x01, 0x81,
	0x0f, 0x6f, 0x70, 0x73, 0x40, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x2e, 0x63, 0x6f, 0x6d, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04,
	0x16, 0x04, 0x14, 0x6b, 0x45, 0xe0, 0xc9, 0xf3, 0xe5, 0x70, 0x98, 0x96,
	0xbf, 0xf9, 0x25, 0x23, 0xdc, 0x3c, 0x14, 0x3c, 0xac, 0x6d, 0x2e, 0x30,
	0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04, 0x18, 0x30, 0x16, 0x80, 0x14,
	0xe5, 0x30, 0x8c, 0x56, 0x7f, 0xef, 0xc3, 0x24, 0xb7, 0x09, 0x0f, 0x96,
	0xe3, 0x2c, 0xb4, 0xe7, 0xe2, 0xa7, 0xde, 0x8b, 0x30, 0x0a, 0x06, 0x08,
	0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x03, 0x48, 0x00, 0x30,
	0x45, 0x02, 0x21, 0x00, 0xcd, 0x0e, 0xcc, 0xe8, 0x90, 0x8d, 0xaf, 0xc1,
	0xc5, 0x9d, 0x24, 0xe2, 0xcf, 0x4e, 0xe5, 0x15, 0x66, 0xb5, 0xf1, 0x2a,
	0xc1, 0xac, 0x12, 0xb8, 0xd3, 0xea, 0xeb, 0x7a, 0x02, 0x00, 0x0c, 0xba,
	0x02, 0x20, 0x6f, 0xfb, 0x74, 0xfa, 0x5e, 0xe2, 0x22, 0x2b, 0x8d, 0x76,
	0xdd, 0x02, 0xbe, 0x67, 0xba, 0xcd, 0xd1, 0x2d, 0x67, 0x9e, 0x06, 0x19,
	0x39, 0x1a, 0x50, 0x07, 0xe3, 0x38, 0x57, 0x8a, 0x00, 0xca
};

/* ---- the test context ---- */

struct tctx {
	struct counters cnt;
	struct dissect_ctx c;
	struct packet pkt;
	struct flow f;
	void *state;
};

static void tctx_init(struct tctx *t)
{
	memset(t, 0, sizeof(*t));
	t->c.cnt = &t->cnt;
	t->c.pkt = &t->pkt;
	t->c.now_us = 1735689600000000ull;
	t->f.key.family = 4;
	t->f.key.proto = dissector_tls.transport;
	t->f.key.port_lo = 40000;
	t->f.key.port_hi = 443;
	t->f.src_is_lo = 1;
	t->f.initiator_is_src = 1;
	t->state = calloc(1, dissector_tls.state_size);
	assert_non_null(t->state);
}

static void tctx_free(struct tctx *t)
{
	dissector_tls.free(t->state);
	free(t->state);
}

static void feed(struct tctx *t, int dir, const uint8_t *data, size_t len)
{
	/* A heap copy of exactly len bytes, so a read past it is caught. */
	uint8_t *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, data, len);
	dissector_tls.parse(&t->c, &t->f, t->state, dir, copy, len);
	free(copy);
}

/* The JSON a json callback writes, inside {}; the caller frees it. */
static char *json_of(void (*fn)(const void *, struct jw *), const void *state)
{
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w, NULL);
	fn(state, &w);
	jw_end(&w);
	char *s = malloc(w.len + 1);
	assert_non_null(s);
	memcpy(s, w.buf, w.len);
	s[w.len] = '\0';
	jw_free(&w);
	return s;
}

static char *ecs(struct tctx *t) { return json_of(dissector_tls.json_ecs, t->state); }
static char *apn(struct tctx *t) { return json_of(dissector_tls.json_apnwatch, t->state); }

static void assert_ecs_eq(struct tctx *t, const char *want)
{
	char *s = ecs(t);
	assert_string_equal(s, want);
	free(s);
}

static void assert_apn_eq(struct tctx *t, const char *want)
{
	char *s = apn(t);
	assert_string_equal(s, want);
	free(s);
}

static void assert_ecs_has(struct tctx *t, const char *part)
{
	char *s = ecs(t);
	if (strstr(s, part) == NULL)
		fail_msg("%s\nlacks %s", s, part);
	free(s);
}

static void assert_ecs_lacks(struct tctx *t, const char *part)
{
	char *s = ecs(t);
	if (strstr(s, part) != NULL)
		fail_msg("%s\nhas %s", s, part);
	free(s);
}

static void assert_apn_has(struct tctx *t, const char *part)
{
	char *s = apn(t);
	if (strstr(s, part) == NULL)
		fail_msg("%s\nlacks %s", s, part);
	free(s);
}

static void assert_apn_lacks(struct tctx *t, const char *part)
{
	char *s = apn(t);
	if (strstr(s, part) != NULL)
		fail_msg("%s\nhas %s", s, part);
	free(s);
}

/* The flow's output after the real ClientHello, split as splits[] says
 * (offsets, increasing, 0-terminated). */
static void run_real_split(const size_t *splits)
{
	struct tctx t;
	size_t at = 0;
	tctx_init(&t);
	for (; *splits; splits++) {
		feed(&t, 0, real_ch + at, *splits - at);
		at = *splits;
	}
	feed(&t, 0, real_ch + at, sizeof(real_ch) - at);
	assert_ecs_eq(&t, real_ecs);
	assert_apn_eq(&t, real_apn);
	assert_int_equal(t.cnt.v[CNT_DIS_TLS_MESSAGES], 1);
	assert_int_equal(t.cnt.v[CNT_DIS_TLS_INVALID], 0);
	assert_int_equal(t.cnt.v[CNT_DIS_TLS_TRUNC], 0);
	tctx_free(&t);
}

/* ---- building synthetic messages ---- */

struct bld {
	uint8_t b[8192];
	size_t n;
};

static void put8(struct bld *b, unsigned v)
{
	assert_true(b->n < sizeof(b->b));
	b->b[b->n++] = (uint8_t)v;
}

static void put16(struct bld *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v & 0xff);
}

static void put24(struct bld *b, unsigned v)
{
	put8(b, v >> 16);
	put16(b, v & 0xffff);
}

static void putn(struct bld *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof(b->b));
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

/* Length fields written before their contents: open, then close. */
static size_t open_len(struct bld *b, int width)
{
	size_t at = b->n;
	for (int i = 0; i < width; i++)
		put8(b, 0);
	return at;
}

static void close_len(struct bld *b, size_t at, int width)
{
	size_t n = b->n - at - (size_t)width;
	for (int i = width - 1; i >= 0; i--, n >>= 8)
		b->b[at + (size_t)i] = (uint8_t)(n & 0xff);
}

/* One record of the given type around body. */
static void record(struct bld *out, uint8_t type, const struct bld *body)
{
	put8(out, type);
	put16(out, 0x0303);
	put16(out, (unsigned)body->n);
	putn(out, body->b, body->n);
}

/* One handshake message appended to b. */
static void handshake(struct bld *b, uint8_t type, const struct bld *body)
{
	put8(b, type);
	put24(b, (unsigned)body->n);
	putn(b, body->b, body->n);
}

struct ext {
	uint16_t type;
	const uint8_t *data;
	size_t len;
};

/* A ClientHello body: version 0x0303, random 0x11..., session id sid
 * (sid_len bytes), the suites, null compression, the extensions. */
static void client_hello_body(struct bld *b, const uint8_t *sid, size_t sid_len,
			      const uint16_t *suites, size_t n_suites, const struct ext *exts,
			      size_t n_exts)
{
	put16(b, 0x0303);
	for (int i = 0; i < 32; i++)
		put8(b, 0x11);
	put8(b, (unsigned)sid_len);
	putn(b, sid, sid_len);
	put16(b, (unsigned)(2 * n_suites));
	for (size_t i = 0; i < n_suites; i++)
		put16(b, suites[i]);
	put8(b, 1);
	put8(b, 0);
	size_t at = open_len(b, 2);
	for (size_t i = 0; i < n_exts; i++) {
		put16(b, exts[i].type);
		put16(b, (unsigned)exts[i].len);
		putn(b, exts[i].data, exts[i].len);
	}
	close_len(b, at, 2);
}

/* A ServerHello body; random is 32 bytes or NULL for 0x22... */
static void server_hello_body(struct bld *b, uint16_t version, const uint8_t *random,
			      const uint8_t *sid, size_t sid_len, uint16_t suite,
			      const struct ext *exts, size_t n_exts)
{
	put16(b, version);
	if (random)
		putn(b, random, 32);
	else
		for (int i = 0; i < 32; i++)
			put8(b, 0x22);
	put8(b, (unsigned)sid_len);
	putn(b, sid, sid_len);
	put16(b, suite);
	put8(b, 0);
	size_t at = open_len(b, 2);
	for (size_t i = 0; i < n_exts; i++) {
		put16(b, exts[i].type);
		put16(b, (unsigned)exts[i].len);
		putn(b, exts[i].data, exts[i].len);
	}
	close_len(b, at, 2);
}

/* Feeds one handshake message as one record in direction dir. */
static void feed_message(struct tctx *t, int dir, uint8_t type, const struct bld *body)
{
	struct bld msg = {0}, rec = {0};
	handshake(&msg, type, body);
	record(&rec, 22, &msg);
	feed(t, dir, rec.b, rec.n);
}

/* ---- JA4's published example (technical_details/JA4.md) ---- */

static const uint16_t spec_suites[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
				       0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
				       0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
static const uint8_t sni_example[] = {0x00, 0x0e, 0x00, 0x00, 0x0b, 'e', 'x', 'a', 'm',
				      'p',  'l',  'e',  '.',  'c',  'o', 'm'};
static const uint8_t alpn_h2[] = {0x00, 0x03, 0x02, 'h', '2'};
static const uint8_t spec_sigalgs[] = {0x00, 0x10, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05,
				       0x03, 0x08, 0x05, 0x05, 0x01, 0x08, 0x06, 0x06, 0x01};
static const uint8_t no_sigalgs[] = {0x00, 0x00};
static const uint8_t versions_13_12[] = {0x04, 0x03, 0x04, 0x03, 0x03};
static const uint8_t groups[] = {0x00, 0x04, 0x00, 0x1d, 0x00, 0x17};
static const uint8_t pformats[] = {0x01, 0x00};

/* The example's extensions, in the example's order:
 * 001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015 */
static void spec_exts(struct ext *e, const uint8_t *alpn, size_t alpn_len, const uint8_t *sig,
		      size_t sig_len)
{
	const struct ext x[16] = {
		{0x001b, NULL, 0},
		{0x0000, sni_example, sizeof(sni_example)},
		{0x0033, NULL, 0},
		{0x0010, alpn, alpn_len},
		{0x4469, NULL, 0},
		{0x0017, NULL, 0},
		{0x002d, NULL, 0},
		{0x000d, sig, sig_len},
		{0x0005, NULL, 0},
		{0x0023, NULL, 0},
		{0x0012, NULL, 0},
		{0x002b, versions_13_12, sizeof(versions_13_12)},
		{0xff01, NULL, 0},
		{0x000b, pformats, sizeof(pformats)},
		{0x000a, groups, sizeof(groups)},
		{0x0015, NULL, 0},
	};
	memcpy(e, x, sizeof(x));
}

static void run_spec(struct tctx *t, const uint8_t *alpn, size_t alpn_len, const uint8_t *sig,
		     size_t sig_len)
{
	struct ext e[16];
	struct bld body = {0};
	spec_exts(e, alpn, alpn_len, sig, sig_len);
	client_hello_body(&body, NULL, 0, spec_suites, 15, e, 16);
	feed_message(t, 0, 1, &body);
}

static void test_ja4_spec_example(void **unused)
{
	struct tctx t;
	(void)unused;
	tctx_init(&t);
	run_spec(&t, alpn_h2, sizeof(alpn_h2), spec_sigalgs, sizeof(spec_sigalgs));
	assert_apn_has(&t, "\"ja4\":\"t13d1516h2_8daaf6152771_e5627efa2ab1\"");
	/* JA3 of the same hello, by hand from the lists above. */
	assert_apn_has(&t, "\"ja3_string\":\"771,4865-4866-4867-49195-49199-49196-49200-52393-"
			   "52392-49171-49172-156-157-47-53,27-0-51-16-17513-23-45-13-5-35-18-43-"
			   "65281-11-10-21,29-23,0\"");
	assert_ecs_has(&t, "\"ja3\":\"c7240d90981bb4a546a859dd3bd5457c\"");
	assert_ecs_has(&t, "\"server_name\":\"example.com\"");
	tctx_free(&t);

	/* "If there are no signature algorithms in the hello packet, then the
	 * string ends without an underscore": 6d807ffa2a79. */
	tctx_init(&t);
	run_spec(&t, alpn_h2, sizeof(alpn_h2), no_sigalgs, sizeof(no_sigalgs));
	assert_apn_has(&t, "\"ja4\":\"t13d1516h2_8daaf6152771_6d807ffa2a79\"");
	tctx_free(&t);
}

/* The spec's ALPN examples: non-alphanumeric first or last byte -> the
 * first and last hex digits of the id. */
static void test_ja4_alpn_rules(void **unused)
{
	static const struct {
		uint8_t id[4];
		uint8_t n;
		const char *want;
	} cases[] = {
		{{0xab}, 1, "t13d1516ab_"},
		{{0xab, 0xcd}, 2, "t13d1516ad_"},
		{{0x30, 0xab}, 2, "t13d15163b_"},
		{{0x30, 0x31, 0xab, 0xcd}, 4, "t13d15163d_"},
		{{0x30, 0xab, 0xcd, 0x31}, 4, "t13d151601_"},
		{{'h', 't', 't', 'p'}, 4, "t13d1516hp_"},
		{{'a'}, 1, "t13d1516aa_"}, /* one character is both first and last */
	};
	(void)unused;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tctx t;
		uint8_t alpn[8] = {0, (uint8_t)(cases[i].n + 1), cases[i].n};
		char want[64];
		memcpy(alpn + 3, cases[i].id, cases[i].n);
		tctx_init(&t);
		run_spec(&t, alpn, 3u + cases[i].n, spec_sigalgs, sizeof(spec_sigalgs));
		snprintf(want, sizeof(want), "\"ja4\":\"%s", cases[i].want);
		assert_apn_has(&t, want);
		tctx_free(&t);
	}
}

/* GREASE in suites, extensions, groups, signature algorithms and versions
 * changes neither JA3 nor JA4; it is not listed as a supported cipher. */
static void test_grease_ignored(void **unused)
{
	static const uint16_t suites[] = {0x3a3a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
					  0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
					  0x009c, 0x009d, 0x002f, 0x0035};
	static const uint8_t sig[] = {0x00, 0x12, 0x9a, 0x9a, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01,
				      0x05, 0x03, 0x08, 0x05, 0x05, 0x01, 0x08, 0x06, 0x06, 0x01};
	static const uint8_t ver[] = {0x06, 0xea, 0xea, 0x03, 0x04, 0x03, 0x03};
	static const uint8_t grp[] = {0x00, 0x06, 0x1a, 0x1a, 0x00, 0x1d, 0x00, 0x17};
	struct ext e[18];
	struct bld body = {0};
	struct tctx t;
	(void)unused;
	spec_exts(e + 1, alpn_h2, sizeof(alpn_h2), sig, sizeof(sig));
	e[0] = (struct ext){0x0a0a, NULL, 0};
	e[17] = (struct ext){0xfafa, (const uint8_t *)"\0", 1};
	e[12].data = ver, e[12].len = sizeof(ver); /* supported_versions */
	e[15].data = grp, e[15].len = sizeof(grp); /* supported_groups */
	client_hello_body(&body, NULL, 0, suites, 16, e, 18);
	tctx_init(&t);
	feed_message(&t, 0, 1, &body);
	assert_apn_has(&t, "\"ja4\":\"t13d1516h2_8daaf6152771_e5627efa2ab1\"");
	assert_ecs_has(&t, "\"ja3\":\"c7240d90981bb4a546a859dd3bd5457c\"");
	assert_ecs_has(&t, "\"supported_ciphers\":[\"TLS_AES_128_GCM_SHA256\",");
	assert_apn_has(&t, "\"client_version\":\"1.3\"");
	tctx_free(&t);
}

/* ---- the real ClientHello, whole and in pieces ---- */

static void test_real_client_hello(void **unused)
{
	static const size_t whole[] = {0};
	struct tctx t;
	enum server_name_source how = SNAME_NONE;
	(void)unused;
	assert_int_equal(sizeof(real_ch), 517);
	assert_int_equal(real_ch[CH_SID_LEN], 32);
	assert_int_equal(real_ch[CH_CIPHERS_LEN + 1], 32);
	assert_int_equal(real_ch[CH_EXTS_LEN] << 8 | real_ch[CH_EXTS_LEN + 1], 403);
	assert_int_equal(real_ch[CH_SNI_LIST + 1], 19);
	assert_int_equal(real_ch[CH_ALPN_LIST + 1], 12);
	run_real_split(whole);

	tctx_init(&t);
	feed(&t, 0, real_ch, sizeof(real_ch));
	assert_string_equal(dissector_tls.server_name(t.state, &how), "secure.adnxs.com");
	assert_int_equal(how, SNAME_TLS);
	assert_int_equal(t.cnt.v[CNT_DIS_TLS_FLOWS], 1);
	/* The client's direction is left after its hello: more bytes are not read. */
	feed(&t, 0, real_ch, sizeof(real_ch));
	feed(&t, 0, (const uint8_t *)"garbage", 7);
	assert_int_equal(t.cnt.v[CNT_DIS_TLS_MESSAGES], 1);
	assert_int_equal(t.cnt.v[CNT_DIS_TLS_INVALID], 0);
	assert_int_equal(t.cnt.v[CNT_DIS_TLS_FLOWS], 1);
	tctx_free(&t);
}

static void test_real_three_chunks(void **unused)
{
	/* Inside the record header, inside the handshake header, inside the
	 * session ticket. */
	static const size_t a[] = {3, 7, 300, 0};
	/* One byte, then the rest of the header, then the SNI cut in two. */
	static const size_t b[] = {1, 5, 130, 0};
	(void)unused;
	run_real_split(a);
	run_real_split(b);
}

static void test_real_every_split(void **unused)
{
	(void)unused;
	for (size_t k = 1; k < sizeof(real_ch); k++) {
		size_t s[] = {k, 0};
		run_real_split(s);
	}
	/* Byte by byte. */
	size_t *s = calloc(sizeof(real_ch), sizeof(*s));
	assert_non_null(s);
	for (size_t k = 1; k < sizeof(real_ch); k++)
		s[k - 1] = k;
	run_real_split(s);
	free(s);
}

/* The handshake message split over two records (RFC 8446 5.1 allows it). */
static void test_real_two_records(void **unused)
{
	struct bld out = {0}, part = {0};
	struct tctx t;
	(void)unused;
	/* real_ch: 5 bytes of record header, then 512 of handshake. */
	putn(&part, real_ch + 5, 200);
	record(&out, 22, &part);
	part.n = 0;
	putn(&part, real_ch + 205, sizeof(real_ch) - 205);
	record(&out, 22, &part);
	tctx_init(&t);
	feed(&t, 0, out.b, out.n);
	assert_ecs_eq(&t, real_ecs);
	assert_apn_eq(&t, real_apn);
	tctx_free(&t);
}

/* Every cut: without a hole nothing is written yet (the rest may come);
 * with a hole after it the flow counts truncated once, keeps the SNI when
 * its extension arrived whole, and fingerprints nothing. */
static void test_real_every_cut(void **unused)
{
	(void)unused;
	for (size_t n = 0; n < sizeof(real_ch); n++) {
		struct tctx t;
		tctx_init(&t);
		feed(&t, 0, real_ch, n);
		assert_ecs_eq(&t, "{}");
		assert_int_equal(t.cnt.v[CNT_DIS_TLS_TRUNC], 0);
		dissector_tls.gap(&t.c, &t.f, t.state, 0);
		assert_int_equal(t.cnt.v[CNT_DIS_TLS_TRUNC], 1);
		assert_int_equal(t.cnt.v[CNT_DIS_TLS_INVALID], 0);
		assert_ecs_lacks(&t, "ja3");
		assert_apn_lacks(&t, "ja4");
		if (n >= CH_SNI_END) {
			assert_ecs_has(&t, "\"server_name\":\"secure.adnxs.com\"");
			assert_apn_has(&t, "\"client_hello_error\":\"truncated\"");
		} else {
			assert_ecs_lacks(&t, "server_name");
		}
		/* After the hole the direction is left: the rest is not read. */
		feed(&t, 0, real_ch + n, sizeof(real_ch) - n);
		assert_ecs_lacks(&t, "ja3");
		assert_int_equal(t.cnt.v[CNT_DIS_TLS_MESSAGES], 0);
		tctx_free(&t);
	}
}

/* A ClientHello whose lengths contradict it: counted invalid, no
 * fingerprint; extensions before the error are kept. */
static void run_invalid(size_t at, uint8_t v, const char *still_has)
{
	uint8_t ch[sizeof(real_ch)];
	struct tctx t;
	memcpy(ch, real_ch, sizeof(ch));
	ch[at] = v;
	tctx_init(&t);
	feed(&t, 0, ch, sizeof(ch));
	assert_int_equal(t.cnt.v[CNT_DIS_TLS_INVALID], 1);
	assert_int_equal(t.cnt.v[CNT_DIS_TLS_MESSAGES], 1);
	assert_ecs_lacks(&t, "ja3");
	assert_apn_lacks(&t, "ja4");
	assert_apn_has(&t, "\"client_hello_error\":\"invalid\"");
	if (still_has)
		assert_ecs_has(&t, still_has);
	else
		assert_ecs_lacks(&t, "server_name");
	tctx_free(&t);
}

static void test_invalid_lengths(void **unused)
{
	(void)unused;
	run_invalid(CH_SID_LEN, 33, NULL);             /* session_id over 32 */
	run_invalid(CH_CIPHERS_LEN + 1, 31, NULL);     /* an odd cipher_suites length */
	run_invalid(CH_CIPHERS_LEN, 0x7f, NULL);       /* cipher_suites past the message */
	/* The extensions block one byte past the message, one byte short of
	 * it: the extensions before the error (SNI) are kept. */
	run_invalid(CH_EXTS_LEN + 1, 0x94, "\"server_name\":\"secure.adnxs.com\"");
	run_invalid(CH_EXTS_LEN + 1, 0x92, "\"server_name\":\"secure.adnxs.com\"");
	run_invalid(CH_SNI_LIST + 1, 18, NULL);        /* server_name list shorter than its extension */
	/* The ALPN list, then its first id, longer than they are: the
	 * extensions before it (SNI) are kept. */
	run_invalid(CH_ALPN_LIST + 1, 0x0d, "\"server_name\":\"secure.adnxs.com\"");
	run_invalid(CH_ALPN_LIST + 2, 0x03, "\"server_name\":\"secure.adnxs.com\"");
	run_invalid(CH_ALPN_LIST + 2, 0x00, "\"server_name\":\"secure.adnxs.com\"");
}

/* Record headers TLS never sends: after a valid record they are invalid;
 * as the first bytes of a direction, a stream picked up in the middle.
 * Either way the direction is left. */
static void test_invalid_records(void **unused)
{
	static const uint8_t bad[][5] = {
		{0x16, 0x04, 0x01, 0x00, 0x10}, /* version 4.1 */
		{0x16, 0x03, 0x05, 0x00, 0x10}, /* version 3.5 */
		{0x19, 0x03, 0x03, 0x00, 0x10}, /* content type 25 */
		{0x16, 0x03, 0x03, 0x48, 0x01}, /* 18433 bytes: over 2^14 + 2048 */
		{'G', 'E', 'T', ' ', '/'},      /* not TLS at all */
	};
	(void)unused;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		static const uint8_t alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00};
		struct tctx t;
		tctx_init(&t);
		feed(&t, 0, bad[i], 5);
		assert_int_equal(t.cnt.v[CNT_DIS_TLS_MIDSTREAM], 1);
		assert_int_equal(t.cnt.v[CNT_DIS_TLS_INVALID], 0);
		feed(&t, 0, real_ch, sizeof(real_ch));
		assert_int_equal(t.cnt.v[CNT_DIS_TLS_INVALID], 0);
		assert_ecs_eq(&t, "{}");
		tctx_free(&t);

		tctx_init(&t);
		feed(&t, 1, alert, sizeof(alert)); /* a warning alert: a record */
		feed(&t, 1, bad[i], 5);
		assert_int_equal(t.cnt.v[CNT_DIS_TLS_INVALID], 1);
		assert_int_equal(t.cnt.v[CNT_DIS_TLS_MIDSTREAM], 0);
		feed(&t, 1, real_ch, sizeof(real_ch));
		assert_int_equal(t.cnt.v[CNT_DIS_TLS_INVALID], 1);
		assert_ecs_eq(&t, "{}");
		tctx_free(&t);
	}
}

/* A handshake message over the 64 KiB cap: oversize, nothing buffered. */
static void test_oversize(void **unused)
{
	static const uint8_t big[] = {
		0x16, 0x03, 0x01, 0x00, 0x08, /* handshake record, 8 bytes */
		0x01, 0x01, 0x00, 0x01,       /* ClientHello of 65537 bytes */
		0x03, 0x03, 0x00, 0x00,
	};
	struct tctx t;
	(void)unused;
	tctx_init(&t);
	feed(&t, 0, big, sizeof(big));
	assert_int_equal(t.cnt.v[CNT_DIS_TLS_OVERSIZE], 1);
	assert_int_equal(t.cnt.v[CNT_DIS_TLS_INVALID], 0);
	assert_ecs_eq(&t, "{}");
	tctx_free(&t);
}

/* Application data first (a stream picked up after its handshake): the
 * direction is left quietly. */
static void test_application_data_first(void **unused)
{
	static const uint8_t app[] = {0x17, 0x03, 0x03, 0x00, 0x03, 0xaa, 0xbb, 0xcc};
	struct tctx t;
	(void)unused;
	tctx_init(&t);
	feed(&t, 0, app, sizeof(app));
	feed(&t, 0, real_ch, sizeof(real_ch));
	assert_ecs_eq(&t, "{}");
	assert_int_equal(t.cnt.v[CNT_DIS_TLS_INVALID], 0);
	tctx_free(&t);
}

/* ---- servers ---- */

static const uint8_t sid32[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

/* A TLS 1.2 ClientHello with sid as its session id. */
static void client_12(struct tctx *t, const uint8_t *sid, size_t sid_len)
{
	static const uint16_t suites[] = {0xc02f, 0x009c};
	struct ext e[2] = {{0x0000, sni_example, sizeof(sni_example)},
			   {0x0010, (const uint8_t *)"\x00\x0c\x02h2\x08http/1.1", 14}};
	struct bld body = {0};
	client_hello_body(&body, sid, sid_len, suites, 2, e, 2);
	feed_message(t, 0, 1, &body);
}

/* ServerHello, Certificate (the leaf and a second, unread entry) and
 * ServerHelloDone, as two records cut inside the certificate, delivered
 * in segments of seg bytes. */
static void server_12_flight(struct tctx *t, size_t seg)
{
	static const uint8_t reneg[] = {0x00};
	static const uint8_t alpn[] = {0x00, 0x03, 0x02, 'h', '2'};
	struct ext e[3] = {{0xff01, reneg, 1}, {0x0010, alpn, sizeof(alpn)},
			   {0x000b, pformats, sizeof(pformats)}};
	struct bld sh = {0}, cert = {0}, done = {0}, hs = {0}, part = {0}, out = {0};
	server_hello_body(&sh, 0x0303, NULL, sid32 + 16, 16, 0xc02f, e, 3);
	size_t list = open_len(&cert, 3);
	put24(&cert, sizeof(leaf_der));
	putn(&cert, leaf_der, sizeof(leaf_der));
	put24(&cert, 3);
	putn(&cert, "\x30\x01\x00", 3); /* the CA's place: not read */
	close_len(&cert, list, 3);
	handshake(&hs, 2, &sh);
	handshake(&hs, 11, &cert);
	handshake(&hs, 14, &done);
	putn(&part, hs.b, 300);
	record(&out, 22, &part);
	part.n = 0;
	putn(&part, hs.b + 300, hs.n - 300);
	record(&out, 22, &part);
	for (size_t at = 0; at < out.n; at += seg)
		feed(t, 1, out.b + at, out.n - at < seg ? out.n - at : seg);
}

static const char server_12_ecs[] =
	"{\"tls\":{\"version\":\"1.2\",\"version_protocol\":\"tls\","
	"\"cipher\":\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\",\"next_protocol\":\"h2\","
	"\"established\":true,\"resumed\":false,\"client\":{\"server_name\":\"example.com\","
	"\"ja3\":\"%s\",\"supported_ciphers\":[\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\","
	"\"TLS_RSA_WITH_AES_128_GCM_SHA256\"]},\"server\":{"
	"\"ja3s\":\"2de81c22ea32a57162df5cb08d4a2795\","
	"\"subject\":\"CN=device.example.com, O=Example\\\\, Inc., C=DE\","
	"\"issuer\":\"CN=Example Root CA, O=Example\","
	"\"not_before\":\"2026-11-25T09:04:02.000000Z\","
	"\"not_after\":\"2029-02-27T09:04:02.000000Z\","
	"\"x509\":{\"alternative_names\":[\"device.example.com\",\"*.example.com\"]}}}}";

static void test_server_tls12(void **unused)
{
	static const size_t segs[] = {100000, 1, 2, 3, 7, 100, 299, 305};
	(void)unused;
	for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
		struct tctx t;
		char want[2048], j[33];
		tctx_init(&t);
		client_12(&t, sid32, 32);
		server_12_flight(&t, segs[i]);
		/* The client's JA3 is tested elsewhere; the rest is exact. */
		char *s = ecs(&t);
		const char *ja3 = strstr(s, "\"ja3\":\"");
		assert_non_null(ja3);
		memcpy(j, ja3 + 7, 32);
		j[32] = '\0';
		snprintf(want, sizeof(want), server_12_ecs, j);
		assert_string_equal(s, want);
		free(s);
		assert_apn_has(&t, "\"ja3s_string\":\"771,49199,65281-16-11\"");
		assert_apn_has(&t, "\"alpn_offered\":[\"h2\",\"http/1.1\"]");
		/* ClientHello, ServerHello, Certificate; then the server's
		 * direction is left (ServerHelloDone is not read). */
		assert_int_equal(t.cnt.v[CNT_DIS_TLS_MESSAGES], 3);
		assert_int_equal(t.cnt.v[CNT_DIS_TLS_INVALID], 0);
		tctx_free(&t);
	}
}

/* A TLS 1.2 ServerHello that (against RFC 8446 4.2.1) carries
 * supported_versions 0x0303 is still 1.2: its certificate is read. */
static void test_server_tls12_with_supported_versions(void **unused)
{
	static const uint8_t sv[] = {0x03, 0x03};
	struct ext e[1] = {{0x002b, sv, 2}};
	struct bld sh = {0}, cert = {0};
	struct tctx t;
	(void)unused;
	tctx_init(&t);
	client_12(&t, NULL, 0);
	server_hello_body(&sh, 0x0303, NULL, NULL, 0, 0xc030, e, 1);
	feed_message(&t, 1, 2, &sh);
	size_t list = open_len(&cert, 3);
	put24(&cert, sizeof(leaf_der));
	putn(&cert, leaf_der, sizeof(leaf_der));
	close_len(&cert, list, 3);
	feed_message(&t, 1, 11, &cert);
	assert_ecs_has(&t, "\"version\":\"1.2\"");
	assert_ecs_has(&t, "\"cipher\":\"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\"");
	assert_ecs_has(&t, "\"subject\":\"CN=device.example.com, O=Example\\\\, Inc., C=DE\"");
	tctx_free(&t);
}

/* Lists kept for output are capped, with the total beside them; the
 * fingerprints still see every value. */
static void test_caps(void **unused)
{
	uint16_t suites[71];
	uint8_t alpn[2 + 20 * 4];
	struct ext e[1] = {{0x0010, alpn, sizeof(alpn)}};
	struct bld body = {0};
	struct tctx t;
	(void)unused;
	suites[0] = 0x2a2a; /* GREASE: neither listed nor counted */
	for (int i = 1; i < 71; i++)
		suites[i] = (uint16_t)(0xc000 + i);
	alpn[0] = 0, alpn[1] = 20 * 4;
	for (int i = 0; i < 20; i++) {
		alpn[2 + 4 * i] = 3;
		alpn[3 + 4 * i] = 'p';
		alpn[4 + 4 * i] = (uint8_t)('0' + i / 10);
		alpn[5 + 4 * i] = (uint8_t)('0' + i % 10);
	}
	client_hello_body(&body, NULL, 0, suites, 71, e, 1);
	tctx_init(&t);
	feed_message(&t, 0, 1, &body);
	char *s = ecs(&t);
	const char *p = strstr(s, "\"supported_ciphers\":[");
	assert_non_null(p);
	int n = 0;
	for (; *p && *p != ']'; p++)
		n += *p == ',';
	assert_int_equal(n + 1, 64);
	assert_non_null(strstr(s, "\"TLS_ECDH_ECDSA_WITH_NULL_SHA\",\"TLS_ECDH_ECDSA_WITH_RC4_128_SHA\""));
	assert_non_null(strstr(s, "\"0xc040\"]")); /* the 64th: 0xc040 has no name here */
	assert_non_null(strstr(s, "\"next_protocol\":\"p00\""));
	free(s);
	assert_apn_has(&t, "\"supported_ciphers_total\":70");
	assert_apn_has(&t, "\"alpn_offered_total\":20");
	assert_apn_has(&t, "\"p14\",\"p15\"],\"alpn_offered_total\"");
	assert_apn_has(&t, "-49221-49222,16,,\""); /* 0xc045, 0xc046: JA3 has all 70 */
	assert_apn_has(&t, "\"ja4\":\"t12i7001p0_");
	tctx_free(&t);
}

/* A certificate that is not DER: invalid, no subject. */
static void test_bad_certificate(void **unused)
{
	struct bld sh = {0}, cert = {0};
	struct tctx t;
	(void)unused;
	tctx_init(&t);
	client_12(&t, NULL, 0);
	server_hello_body(&sh, 0x0303, NULL, NULL, 0, 0xc02f, NULL, 0);
	feed_message(&t, 1, 2, &sh);
	put24(&cert, 7);
	put24(&cert, 4);
	putn(&cert, "\x30\x05\x02\x01", 4); /* a SEQUENCE longer than its bytes */
	feed_message(&t, 1, 11, &cert);
	assert_int_equal(t.cnt.v[CNT_DIS_TLS_INVALID], 1);
	assert_ecs_lacks(&t, "subject");
	assert_ecs_has(&t, "\"established\":true");
	tctx_free(&t);
}

/* TLS 1.3: the version from supported_versions; pre_shared_key in the
 * ServerHello is a resumption; the rest of the server's bytes are not read. */
static void test_server_tls13_resumed(void **unused)
{
	static const uint8_t sv[] = {0x03, 0x04};
	static const uint8_t psk[] = {0x00, 0x00};
	static const uint8_t ccs_app[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01, 0x17, 0x03, 0x03,
					  0x00, 0x02, 0xde, 0xad, 'x',  'y',  'z',  'z', 'y'};
	struct ext e[2] = {{0x002b, sv, 2}, {0x0029, psk, 2}};
	struct bld sh = {0};
	struct tctx t;
	(void)unused;
	tctx_init(&t);
	run_spec(&t, alpn_h2, sizeof(alpn_h2), spec_sigalgs, sizeof(spec_sigalgs));
	server_hello_body(&sh, 0x0303, NULL, NULL, 0, 0x1302, e, 2);
	feed_message(&t, 1, 2, &sh);
	feed(&t, 1, ccs_app, sizeof(ccs_app));
	assert_ecs_has(&t, "\"version\":\"1.3\",\"version_protocol\":\"tls\","
			   "\"cipher\":\"TLS_AES_256_GCM_SHA384\",\"next_protocol\":\"h2\","
			   "\"established\":true,\"resumed\":true");
	assert_ecs_has(&t, "\"ja3s\":\"b834cbcc4b0f8b509a0fe7e3c844a0a0\"");
	assert_int_equal(t.cnt.v[CNT_DIS_TLS_INVALID], 0);
	tctx_free(&t);
}

/* TLS 1.2 resumption: the server echoes the client's session id, or
 * changes cipher right after its ServerHello (a ticket). */
static void test_server_tls12_resumed(void **unused)
{
	static const uint8_t ccs[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
	struct bld sh = {0};
	struct tctx t;
	(void)unused;
	tctx_init(&t);
	client_12(&t, sid32, 32);
	server_hello_body(&sh, 0x0303, NULL, sid32, 32, 0xc02f, NULL, 0);
	feed_message(&t, 1, 2, &sh);
	assert_ecs_has(&t, "\"resumed\":true");
	tctx_free(&t);

	tctx_init(&t);
	client_12(&t, sid32, 32);
	sh.n = 0;
	server_hello_body(&sh, 0x0303, NULL, sid32 + 1, 31, 0xc02f, NULL, 0);
	feed_message(&t, 1, 2, &sh);
	assert_ecs_has(&t, "\"resumed\":false");
	feed(&t, 1, ccs, sizeof(ccs));
	assert_ecs_has(&t, "\"resumed\":true");
	tctx_free(&t);
}

/* HelloRetryRequest, the compatibility change_cipher_spec, a second
 * ClientHello (not read: the first one is the flow's), then the real
 * ServerHello. */
static void test_hello_retry_request(void **unused)
{
	static const uint8_t hrr[32] = {
		0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
		0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
		0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
	static const uint8_t sv[] = {0x03, 0x04};
	static const uint8_t ks[] = {0x00, 0x17};
	static const uint8_t ccs[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
	struct ext e1[2] = {{0x002b, sv, 2}, {0x0033, ks, 2}};
	struct ext e2[1] = {{0x002b, sv, 2}};
	struct bld sh = {0};
	struct tctx t;
	(void)unused;
	tctx_init(&t);
	feed(&t, 0, real_ch, sizeof(real_ch));
	server_hello_body(&sh, 0x0303, hrr, NULL, 0, 0x1301, e1, 2);
	feed_message(&t, 1, 2, &sh);
	assert_ecs_lacks(&t, "\"version\"");
	feed(&t, 1, ccs, sizeof(ccs));
	sh.n = 0;
	server_hello_body(&sh, 0x0303, NULL, NULL, 0, 0x1302, e2, 1);
	feed_message(&t, 1, 2, &sh);
	assert_ecs_has(&t, "\"version\":\"1.3\",\"version_protocol\":\"tls\","
			   "\"cipher\":\"TLS_AES_256_GCM_SHA384\"");
	assert_ecs_has(&t, "\"ja3s\":\"13b064e3d43575147f6ca25c24556a31\""); /* 771,4866,43 */
	assert_ecs_has(&t, "\"ja3\":\"" REAL_JA3 "\"");
	tctx_free(&t);
}

/* The first ServerHello of a flow whose ClientHello was not seen still
 * names the roles: the server's later bytes are its own. */
static void test_server_hello_alone(void **unused)
{
	struct bld sh = {0};
	struct tctx t;
	(void)unused;
	tctx_init(&t);
	server_hello_body(&sh, 0x0302, NULL, NULL, 0, 0x0035, NULL, 0);
	feed_message(&t, 1, 2, &sh);
	assert_ecs_eq(&t, "{\"tls\":{\"version\":\"1.1\",\"version_protocol\":\"tls\","
			  "\"cipher\":\"TLS_RSA_WITH_AES_256_CBC_SHA\",\"established\":false,"
			  "\"resumed\":false,\"server\":{"
			  "\"ja3s\":\"e05da289b42d4cf4dcd64a1e6152aed6\"}}}"); /* 770,53, */
	assert_apn_eq(&t, "{\"tls\":{\"ja3s_string\":\"770,53,\"}}");
	/* A ClientHello from the server's side is not the flow's. */
	feed(&t, 1, real_ch, sizeof(real_ch));
	assert_ecs_lacks(&t, "server_name");
	tctx_free(&t);
}

static void test_probe(void **unused)
{
	static const uint8_t sh_start[] = {0x16, 0x03, 0x03, 0x00, 0x40, 0x02};
	static const uint8_t cert_start[] = {0x16, 0x03, 0x03, 0x00, 0x40, 0x0b};
	(void)unused;
	assert_true(dissector_tls.probe(real_ch, sizeof(real_ch), 0));
	assert_true(dissector_tls.probe(real_ch, 1, 0)); /* a first segment of one byte */
	assert_true(dissector_tls.probe(real_ch, 3, 0));
	assert_true(dissector_tls.probe(sh_start, sizeof(sh_start), 1));
	assert_false(dissector_tls.probe(cert_start, sizeof(cert_start), 1));
	assert_false(dissector_tls.probe((const uint8_t *)"\x16\x03\x05", 3, 0));
	assert_false(dissector_tls.probe((const uint8_t *)"\x16\x02", 2, 0));
	assert_false(dissector_tls.probe((const uint8_t *)"\x17\x03\x03\x00\x10", 5, 0));
	assert_false(dissector_tls.probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16, 0));
	assert_false(dissector_tls.probe(real_ch, 0, 0));
}

/* The intent hook hands the fingerprints over (pointers into the state)
 * and votes nothing: TLS proves no purpose. */
static void test_intent_fingerprints(void **unused)
{
	struct tctx t;
	struct intent_input in;
	(void)unused;
	tctx_init(&t);
	memset(&in, 0, sizeof(in));
	dissector_tls.intent(t.state, &in); /* nothing seen yet */
	assert_null(in.ja3);
	assert_null(in.ja4);
	feed(&t, 0, real_ch, sizeof(real_ch));
	dissector_tls.intent(t.state, &in);
	assert_non_null(in.ja3);
	assert_string_equal(in.ja3, REAL_JA3);
	assert_string_equal(in.ja4, REAL_JA4);
	assert_int_equal(in.n_votes, 0);
	tctx_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_client_hello),
		cmocka_unit_test(test_real_three_chunks),
		cmocka_unit_test(test_real_every_split),
		cmocka_unit_test(test_real_two_records),
		cmocka_unit_test(test_real_every_cut),
		cmocka_unit_test(test_invalid_lengths),
		cmocka_unit_test(test_invalid_records),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_application_data_first),
		cmocka_unit_test(test_ja4_spec_example),
		cmocka_unit_test(test_ja4_alpn_rules),
		cmocka_unit_test(test_grease_ignored),
		cmocka_unit_test(test_server_tls12),
		cmocka_unit_test(test_server_tls12_with_supported_versions),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_bad_certificate),
		cmocka_unit_test(test_server_tls13_resumed),
		cmocka_unit_test(test_server_tls12_resumed),
		cmocka_unit_test(test_hello_retry_request),
		cmocka_unit_test(test_server_hello_alone),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_intent_fingerprints),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
