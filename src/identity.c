/*
 * identity.c - who the device is: the subscriber table, the IMEI TAC
 * catalog and pseudonymisation (identity.h; docs/identity.md,
 * docs/tac-catalog.md).
 *
 * Identifiers follow 3GPP TS 23.003: IMSI = MCC (3) + MNC (2-3) + MSIN,
 * at most 15 digits; IMEI = TAC (8) + serial (6) + Luhn check digit
 * (annex B); IMEISV = TAC + serial + SVN (2).  RAT types are those of
 * TS 29.061 / TS 29.274.
 *
 *   IMEI    | TAC (8 digits) | serial (6) | Luhn (1) |
 *   IMEISV  | TAC (8 digits) | serial (6) | SVN (2)  |
 *   IMSI    | MCC (3) | MNC (2) | the rest (up to 10) |
 *
 * The table.  Signalling (RADIUS accounting, GTPv2-C, LwM2M endpoint
 * names) binds a device address - an IPv4 address, or an IPv6 prefix -
 * to a subscriber record.  Flow events are written when flows end, which
 * is often after the session ended (idle timeouts, the capture ending), so
 * an ended record stays for linger_s seconds and still names the flows
 * that ran while it was bound; a flow is named by the record bound to its
 * device address when its first packet went, else by the first record
 * bound during the flow (or up to START_SLACK_US after its last packet:
 * accounting may trail the first packets).  Records are found by:
 *   - address: one hash per (family, prefix length, masked address); a
 *     lookup tries the prefix lengths in use, longest first, and prefers a
 *     RADIUS/GTPv2-C record to an LwM2M one;
 *   - session id (bound records only), for Interim-Updates and Stops;
 *   - GTP-U TEID, for tunnelled flows whose inner address names nothing.
 * Memory is bounded: at most max_subscribers records (ended ones go
 * first, then the oldest session: identity.evicted) and at most
 * HISTORY_MAX ended records per address.
 *
 * Identifiers are validated when they come in and, with --pseudonymize,
 * replaced by their pseudonyms at once: the raw values are never stored.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "identity.h"
#include "output.h"
#include "util-cidr.h"
#include "util-log.h"

#ifndef APN_DATADIR
#define APN_DATADIR "/usr/local/share/apnwatch"
#endif

#define IMSI_MIN 6
#define IMSI_MAX 15
#define MSISDN_MAX 15 /* digits, E.164 */
#define APN_MAX 100   /* TS 23.003 9.1 */
#define TEXT_MAX 253  /* session ids, NAS names: a RADIUS attribute's most */
#define HISTORY_MAX 4 /* ended records kept per address */
#define START_SLACK_US 5000000ull
#define DEFAULT_LINGER_S 3600
#define DEFAULT_MAX_SUBSCRIBERS 1000000
#define FIRST_BUCKETS 256

#define KEY_MIN 16
#define KEY_FILE_MAX 4096
#define FEISTEL_ROUNDS 10

#define TAC_LINE_MAX 1024
#define TAC_FIELD_MAX 255

/* ------------------------------------------------------------------ */
/* Records and the table                                               */
/* ------------------------------------------------------------------ */

struct sub;

/* A TEID's place in the TEID hash: a record has two (uplink, downlink). */
struct teid_link {
	struct teid_link *next;
	struct sub *owner;
	uint32_t teid;
	uint8_t linked;
};

struct sub {
	struct sub *prev, *next; /* the bound list (by start) or the ended list (by end) */
	struct sub *a_next;      /* address hash chain */
	struct sub *s_next;      /* session id hash chain (bound records only) */
	struct teid_link tl[2];
	uint64_t serial; /* creation order: breaks ties between equal times */
	uint64_t start_us, end_us;
	struct ip_addr addr; /* host bits cleared */
	uint8_t plen, has_addr, bound, in_sid;
	uint8_t src; /* enum identity_source */
	int rat;     /* -1: unknown */
	char imsi[IMSI_MAX + 1];
	char imei[16];      /* 15 digits, or "" */
	char imeisv[17];    /* 16 digits, or "" */
	char msisdn[MSISDN_MAX + 2];
	char *apn, *sid, *nas; /* NULL when unknown */
};

struct sub_list {
	struct sub *head, *tail;
	size_t n;
};

struct tac_entry {
	uint32_t key; /* TAC + 1; 0: free slot */
	uint32_t line;
	uint16_t file;
	char *maker, *model;
};

struct tac_table {
	struct tac_entry *v;
	size_t cap, n; /* cap: a power of two */
};

struct identity_table {
	struct counters *cnt;
	struct output *out;
	size_t max;
	uint64_t linger_us;
	uint64_t seed;
	struct sub **a_tab, **s_tab;
	struct teid_link **t_tab;
	size_t nb; /* buckets in each hash: a power of two */
	size_t n;  /* records */
	uint64_t serial;
	struct sub_list bound, ended;
	uint32_t len_count[2][129]; /* records with an address, per family and prefix length */
	struct tac_table tac;
	int pseudo;
	unsigned char key[KEY_FILE_MAX];
	size_t key_len;
};

/* What one signalling message said, checked, bounded and (with
 * --pseudonymize) pseudonymised. */
struct norm {
	uint8_t src, has_addr, plen;
	struct ip_addr addr;
	char imsi[IMSI_MAX + 1], imei[16], imeisv[17], msisdn[MSISDN_MAX + 2];
	char apn[APN_MAX + 1], sid[TEXT_MAX + 1], nas[TEXT_MAX + 1];
	uint32_t teid[2];
	int rat;
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

char identity_luhn_digit(const char *d)
{
	if (d == NULL || strnlen(d, 14) < 14 || !all_digits(d, 14))
		return 0;
	/* From the right of the 14 digits, every second digit (the last one
	 * first) is doubled and its digits added. */
	unsigned sum = 0;
	for (int i = 0; i < 14; i++) {
		unsigned v = (unsigned)(d[i] - '0');
		if (i % 2 == 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return (char)('0' + (10 - sum % 10) % 10);
}

/* Copies at most max bytes of s (NULL: "") into dst[max + 1]. */
static void copy_bounded(char *dst, const char *s, size_t max)
{
	size_t n = s ? strnlen(s, max) : 0;
	memcpy(dst, s ? s : "", n);
	dst[n] = '\0';
}

static const char *source_name(uint8_t src)
{
	switch (src) {
	case ID_SRC_RADIUS: return "radius";
	case ID_SRC_GTPV2C: return "gtpv2c";
	case ID_SRC_LWM2M: return "lwm2m";
	default: return "unknown";
	}
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* ------------------------------------------------------------------ */
/* Pseudonymisation                                                    */
/* ------------------------------------------------------------------ */

/* Length of the E.164 country code that starts d (ITU-T E.164 assigned
 * codes: 1 and 7 have one digit, the list below two, all others three). */
static size_t e164_cc_len(const char *d)
{
	static const char two[][3] = {
		"20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41",
		"43", "44", "45", "46", "47", "48", "49", "51", "52", "53", "54",
		"55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66",
		"81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
	};
	if (d[0] == '1' || d[0] == '7')
		return 1;
	for (size_t i = 0; i < sizeof(two) / sizeof(two[0]); i++)
		if (d[0] == two[i][0] && d[1] == two[i][1])
			return 2;
	return 3;
}

static uint64_t pow10u(unsigned n)
{
	uint64_t p = 1;
	while (n--)
		p *= 10;
	return p;
}

static uint64_t digits_value(const char *d, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint64_t)(d[i] - '0');
	return v;
}

static void digits_write(char *d, size_t n, uint64_t v)
{
	for (size_t i = n; i > 0; i--, v /= 10)
		d[i - 1] = (char)('0' + v % 10);
}

/* The round function: the first 8 bytes of HMAC-SHA256(key, tweak 0x00
 * round n B), big-endian, modulo 10^a_len.  B is written in b_len digits. */
static uint64_t feistel_prf(const struct identity_table *t, const char *tweak, unsigned round,
			    unsigned n, uint64_t b, unsigned b_len, unsigned a_len)
{
	unsigned char msg[96], mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	size_t tl = strlen(tweak), k = 0;
	if (tl > sizeof(msg) - 32)
		tl = sizeof(msg) - 32;
	memcpy(msg, tweak, tl);
	k = tl;
	msg[k++] = 0;
	msg[k++] = (unsigned char)round;
	msg[k++] = (unsigned char)n;
	digits_write((char *)msg + k, b_len, b);
	k += b_len;
	if (HMAC(EVP_sha256(), t->key, (int)t->key_len, msg, k, mac, &mac_len) == NULL ||
	    mac_len < 8)
		return 0; /* cannot happen with SHA-256; the mapping stays a permutation */
	uint64_t y = 0;
	for (int i = 0; i < 8; i++)
		y = y << 8 | mac[i];
	return y % pow10u(a_len);
}

/*
 * Replaces the n digits at d (n <= 18) by their image under a keyed
 * permutation of [0, 10^n): a balanced Feistel network in base 10 (the
 * structure of NIST SP 800-38G FF1) with FEISTEL_ROUNDS rounds whose round
 * function is HMAC-SHA256.  A permutation: two different inputs never
 * share a pseudonym.  tweak separates the kinds of identifier and the
 * digits kept in clear (MCC+MNC, TAC, country code).
 */
static void feistel_digits(const struct identity_table *t, const char *tweak, char *d, size_t n)
{
	if (n == 0 || n > 18)
		return;
	unsigned u = (unsigned)n / 2, v = (unsigned)n - u;
	uint64_t a = digits_value(d, u), b = digits_value(d + u, v);
	for (unsigned i = 0; i < FEISTEL_ROUNDS; i++) {
		unsigned a_len = i % 2 == 0 ? u : v, b_len = i % 2 == 0 ? v : u;
		uint64_t m = pow10u(a_len);
		uint64_t c = (a + feistel_prf(t, tweak, i, (unsigned)n, b, b_len, a_len)) % m;
		a = b;
		b = c;
	}
	digits_write(d, u, a);
	digits_write(d + u, v, b);
}

/* IMSI: the MCC and a 2-digit MNC (5 digits) stay. */
static void pseudo_imsi(const struct identity_table *t, char *imsi)
{
	char tweak[32];
	size_t n = strlen(imsi);
	snprintf(tweak, sizeof(tweak), "apnwatch-imsi:%.5s", imsi);
	feistel_digits(t, tweak, imsi + 5, n - 5);
}

/* IMEI (14, 15 digits) or IMEISV (16): the TAC stays, the serial (digits
 * 9-14) is replaced the same way in all three, the check digit is
 * recomputed, the SVN stays. */
static void pseudo_imei(const struct identity_table *t, char *imei)
{
	char tweak[32];
	size_t n = strlen(imei);
	snprintf(tweak, sizeof(tweak), "apnwatch-imei:%.8s", imei);
	feistel_digits(t, tweak, imei + 8, 6);
	if (n == 15)
		imei[14] = identity_luhn_digit(imei);
}

/* MSISDN: a leading '+' and the E.164 country code stay. */
static void pseudo_msisdn(const struct identity_table *t, char *msisdn)
{
	char tweak[32];
	char *d = msisdn[0] == '+' ? msisdn + 1 : msisdn;
	size_t n = strlen(d), cc = e164_cc_len(d);
	if (n <= cc)
		cc = 0; /* too short to hold a country code and a number */
	snprintf(tweak, sizeof(tweak), "apnwatch-msisdn:%.*s", (int)cc, d);
	feistel_digits(t, tweak, d + cc, n - cc);
}

static int valid_imsi(const char *s)
{
	size_t n = strnlen(s, IMSI_MAX + 1);
	return n >= IMSI_MIN && n <= IMSI_MAX && all_digits(s, n);
}

static int valid_imei(const char *s)
{
	size_t n = strnlen(s, 17);
	return n >= 14 && n <= 16 && all_digits(s, n);
}

static int valid_msisdn(const char *s)
{
	const char *d = s[0] == '+' ? s + 1 : s;
	size_t n = strnlen(d, MSISDN_MAX + 1);
	return n >= 1 && n <= MSISDN_MAX && all_digits(d, n);
}

/* 16 hex digits of HMAC-SHA256(key, "apnwatch-other:" kind id). */
static void pseudo_other(const struct identity_table *t, enum identity_kind k, const char *id,
			 char *buf, size_t len)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	char head[32];
	size_t n = strnlen(id, 1024);
	size_t h = (size_t)snprintf(head, sizeof(head), "apnwatch-other:%u", (unsigned)k & 0xffu);
	unsigned char *msg = malloc(h + n + 1);
	buf[0] = '\0';
	if (msg == NULL)
		return;
	memcpy(msg, head, h);
	memcpy(msg + h, id, n);
	if (HMAC(EVP_sha256(), t->key, (int)t->key_len, msg, h + n, mac, &mac_len) &&
	    mac_len >= 8 && len >= 17)
		for (int i = 0; i < 8; i++)
			snprintf(buf + 2 * i, 3, "%02x", mac[i]);
	free(msg);
}

const char *identity_output_id(const struct identity_table *t, enum identity_kind k,
			       const char *id, char *buf, size_t len)
{
	if (buf == NULL || len == 0)
		return "";
	if (id == NULL)
		id = "";
	if (t == NULL || !t->pseudo) {
		snprintf(buf, len, "%s", id);
		return buf;
	}
	char tmp[24];
	int ok = 0;
	switch (k) {
	case ID_KIND_IMSI:
		if ((ok = valid_imsi(id)) != 0) {
			copy_bounded(tmp, id, IMSI_MAX);
			pseudo_imsi(t, tmp);
		}
		break;
	case ID_KIND_IMEI:
		if ((ok = valid_imei(id)) != 0) {
			copy_bounded(tmp, id, 16);
			pseudo_imei(t, tmp);
		}
		break;
	case ID_KIND_MSISDN:
		if ((ok = valid_msisdn(id)) != 0) {
			copy_bounded(tmp, id, MSISDN_MAX + 1);
			pseudo_msisdn(t, tmp);
		}
		break;
	}
	if (ok) {
		size_t n = strlen(tmp) < len - 1 ? strlen(tmp) : len - 1;
		memcpy(buf, tmp, n);
		buf[n] = '\0';
	}
	else if (id[0] == '\0')
		buf[0] = '\0';
	else
		pseudo_other(t, k, id, buf, len);
	return buf;
}

int identity_pseudonymizing(const struct identity_table *t) { return t && t->pseudo; }

void identity_json_id(struct jw *w, const char *key, const struct identity_table *t,
		      enum identity_kind k, const char *s, size_t n)
{
	char raw[256], buf[64];
	if (n == 0)
		return;
	if (!identity_pseudonymizing(t)) {
		jw_strn(w, key, s, n);
		return;
	}
	if (n >= sizeof(raw))
		n = sizeof(raw) - 1;
	memcpy(raw, s, n);
	raw[n] = 0; /* a NUL inside the value ends the string there */
	jw_str(w, key, identity_output_id(t, k, raw, buf, sizeof(buf)));
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Reads the key.  The file must be a regular file that neither group nor
 * others may access (as ssh demands of private keys).  Content that is
 * only hex digits (an even number, at least 32), optionally followed by
 * one newline, is the hex form of the key; anything else is the key's raw
 * bytes, all of them (at least KEY_MIN).  The key itself is never logged.
 */
static int load_key(struct identity_table *t, const char *path)
{
	unsigned char buf[KEY_FILE_MAX + 1];
	struct stat st;
	ssize_t got;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		log_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		log_err("%s: %s", path, strerror(errno));
		goto err;
	}
	if (!S_ISREG(st.st_mode)) {
		log_err("%s: not a regular file", path);
		goto err;
	}
	if (st.st_mode & 077) {
		log_err("%s: permissions %04o are too open: the pseudonymisation key must not be "
			"accessible by group or others (chmod 600 %s)",
			path, (unsigned)(st.st_mode & 07777), path);
		goto err;
	}
	while (n < sizeof(buf) && (got = read(fd, buf + n, sizeof(buf) - n)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			log_err("%s: %s", path, strerror(errno));
			goto err;
		}
		n += (size_t)got;
	}
	close(fd);
	fd = -1;
	if (n > KEY_FILE_MAX) {
		log_err("%s: a key file is at most %d bytes", path, KEY_FILE_MAX);
		goto err;
	}
	size_t h = n;
	if (h > 0 && buf[h - 1] == '\n')
		h--;
	if (h > 0 && buf[h - 1] == '\r')
		h--;
	int hex = h >= 2 * KEY_MIN && h % 2 == 0;
	for (size_t i = 0; hex && i < h; i++)
		hex = hexval(buf[i]) >= 0;
	if (hex) {
		for (size_t i = 0; i < h / 2; i++)
			t->key[i] = (unsigned char)(hexval(buf[2 * i]) << 4 | hexval(buf[2 * i + 1]));
		t->key_len = h / 2;
	} else {
		if (n < KEY_MIN) {
			log_err("%s: the key is %zu bytes; at least %d are needed (or %d hex digits)",
				path, n, KEY_MIN, 2 * KEY_MIN);
			goto err;
		}
		memcpy(t->key, buf, n);
		t->key_len = n;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	t->pseudo = 1;
	return 0;
err:
	OPENSSL_cleanse(buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* ------------------------------------------------------------------ */
/* The TAC catalog                                                     */
/* ------------------------------------------------------------------ */

static uint32_t tac_key(const char *tac) { return (uint32_t)digits_value(tac, 8) + 1; }

static struct tac_entry *tac_slot(const struct tac_table *c, uint32_t key)
{
	size_t mask = c->cap - 1;
	for (size_t i = (size_t)mix64(key) & mask;; i = (i + 1) & mask)
		if (c->v[i].key == key || c->v[i].key == 0)
			return &c->v[i];
}

static int tac_grow(struct tac_table *c)
{
	struct tac_table nc = {NULL, c->cap ? c->cap * 2 : 1024, c->n};
	nc.v = calloc(nc.cap, sizeof(*nc.v));
	if (nc.v == NULL)
		return -1;
	for (size_t i = 0; i < c->cap; i++)
		if (c->v[i].key)
			*tac_slot(&nc, c->v[i].key) = c->v[i];
	free(c->v);
	*c = nc;
	return 0;
}

static void tac_free(struct tac_table *c)
{
	for (size_t i = 0; i < c->cap; i++)
		if (c->v[i].key) {
			free(c->v[i].maker);
			free(c->v[i].model);
		}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

int identity_tac_lookup(const struct identity_table *t, const char *tac, const char **maker,
			const char **model)
{
	if (t == NULL || tac == NULL || t->tac.n == 0 || strnlen(tac, 8) < 8 || !all_digits(tac, 8))
		return -1;
	const struct tac_entry *e = tac_slot(&t->tac, tac_key(tac));
	if (e->key == 0)
		return -1;
	if (maker)
		*maker = e->maker;
	if (model)
		*model = e->model;
	return 0;
}

/* Splits one line into fields: comma-separated; a field may be quoted
 * ("a, b" with "" for a quote inside); unquoted fields lose the blanks
 * around them.  Returns the number of fields (at most max), or -1 with
 * *why set. */
static int csv_split(char *line, char **f, int max, const char **why)
{
	int n = 0;
	char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (n == max) {
			*why = "too many fields";
			return -1;
		}
		if (*p == '"') {
			char *w = ++p;
			f[n++] = w;
			for (;;) {
				if (*p == '\0') {
					*why = "a quoted field is not closed";
					return -1;
				}
				if (*p == '"' && p[1] == '"') {
					*w++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					*w++ = *p++;
				}
			}
			*w = '\0';
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p != ',' && *p != '\0') {
				*why = "text after a closing quote";
				return -1;
			}
		} else {
			f[n++] = p;
			while (*p != ',' && *p != '\0') {
				if (*p == '"') {
					*why = "a quote inside an unquoted field (quote the whole field)";
					return -1;
				}
				p++;
			}
			char *e = p;
			while (e > f[n - 1] && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if (*p == ',') {
				*e = '\0';
				p++;
				continue;
			}
			*e = '\0';
		}
		if (*p == ',') {
			p++;
			continue;
		}
		return n;
	}
}

static int is_header(char **f, int n)
{
	return n >= 3 && strcasecmp(f[0], "tac") == 0 && strcasecmp(f[1], "manufacturer") == 0 &&
	       strcasecmp(f[2], "model") == 0;
}

/* Loads one catalog file; entries already present (from an earlier file)
 * stay.  Returns 0, or -1 after logging "file:line: what". */
static int tac_load(struct tac_table *c, const char *path, uint16_t file_no)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL, *f[8];
	size_t cap = 0;
	ssize_t len;
	uint32_t lineno = 0;
	int data_lines = 0;
	if (fp == NULL) {
		log_err("%s: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, fp)) >= 0) {
		const char *why = NULL;
		char msg[96];
		lineno++;
		if ((size_t)len != strlen(line)) {
			why = "a NUL byte (not a text file)";
			goto bad;
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len > TAC_LINE_MAX) {
			why = "line longer than 1024 bytes";
			goto bad;
		}
		char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		int n = csv_split(s, f, 8, &why);
		if (n < 0)
			goto bad;
		if (data_lines++ == 0 && is_header(f, n))
			continue;
		if (n < 3 || n > 4) {
			snprintf(msg, sizeof(msg),
				 "%d field%s; a line is tac,manufacturer,model[,source]", n,
				 n == 1 ? "" : "s");
			why = msg;
			goto bad;
		}
		if (strlen(f[0]) != 8 || !all_digits(f[0], 8)) {
			why = "the TAC is not 8 digits";
			goto bad;
		}
		if (f[1][0] == '\0') {
			why = "the manufacturer is empty";
			goto bad;
		}
		for (int i = 0; i < n; i++)
			if (strlen(f[i]) > TAC_FIELD_MAX) {
				why = "a field longer than 255 bytes";
				goto bad;
			}
		if ((c->n + 1) * 2 > c->cap && tac_grow(c) < 0) {
			why = "out of memory";
			goto bad;
		}
		struct tac_entry *e = tac_slot(c, tac_key(f[0]));
		if (e->key && e->file == file_no) {
			snprintf(msg, sizeof(msg), "TAC %s is already on line %" PRIu32, f[0], e->line);
			why = msg;
			goto bad;
		}
		if (e->key)
			continue; /* an earlier file (the user's) names it */
		e->maker = strdup(f[1]);
		e->model = strdup(f[2]);
		if (e->maker == NULL || e->model == NULL) {
			free(e->maker);
			free(e->model);
			e->maker = e->model = NULL;
			why = "out of memory";
			goto bad;
		}
		e->key = tac_key(f[0]);
		e->file = file_no;
		e->line = lineno;
		c->n++;
		continue;
	bad:
		log_err("%s:%" PRIu32 ": %s", path, lineno, why);
		free(line);
		fclose(fp);
		return -1;
	}
	int rc = ferror(fp) ? -1 : 0;
	if (rc < 0)
		log_err("%s: %s", path, strerror(errno));
	free(line);
	fclose(fp);
	return rc;
}

static int readable(const char *path) { return access(path, R_OK) == 0; }

/* The built-in catalog: the source tree's when this program runs from a
 * build tree (its directory's parent holds config.status), else the
 * installed one.  Returns 1 with the path in buf, or 0. */
static int builtin_catalog(char *buf, size_t len, char *tried, size_t tried_len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	tried[0] = '\0';
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			char probe[PATH_MAX + 32];
			snprintf(probe, sizeof(probe), "%s/../config.status", exe);
			snprintf(buf, len, "%s/../policies/tac.csv", exe);
			if (readable(probe) && readable(buf))
				return 1;
#ifdef APN_SRCDIR
			/* A build tree apart from its sources (VPATH, distcheck). */
			snprintf(buf, len, "%s/policies/tac.csv", APN_SRCDIR);
			if (readable(probe) && readable(buf))
				return 1;
#endif
		}
	}
	snprintf(buf, len, "%s/tac.csv", APN_DATADIR);
	snprintf(tried, tried_len, "%s/tac.csv", APN_DATADIR);
	return readable(buf);
}

static int load_catalogs(struct identity_table *t, const struct identity_config *cfg)
{
	uint16_t file_no = 0;
	for (size_t i = 0; i < cfg->n_tac_files; i++)
		if (tac_load(&t->tac, cfg->tac_files[i], ++file_no) < 0)
			return -1;
	if (cfg->builtin_tac_file && cfg->builtin_tac_file[0] == '\0')
		return 0;
	char path[PATH_MAX + 32], tried[PATH_MAX + 32];
	if (cfg->builtin_tac_file)
		snprintf(path, sizeof(path), "%s", cfg->builtin_tac_file);
	else if (!builtin_catalog(path, sizeof(path), tried, sizeof(tried))) {
		log_warn("no built-in TAC catalog (%s): devices get a maker and model only from "
			 "--tac-file",
			 tried);
		return 0;
	}
	return tac_load(&t->tac, path, ++file_no);
}

/* ------------------------------------------------------------------ */
/* Hashes and lists                                                    */
/* ------------------------------------------------------------------ */

static size_t addr_bucket(const struct identity_table *t, const struct ip_addr *a, uint8_t plen)
{
	uint64_t w0, w1;
	memcpy(&w0, a->a, 8);
	memcpy(&w1, a->a + 8, 8);
	uint64_t h = mix64(t->seed ^ ((uint64_t)a->family << 8 | plen));
	h = mix64(h ^ w0);
	h = mix64(h ^ w1);
	return (size_t)h & (t->nb - 1);
}

static size_t sid_bucket(const struct identity_table *t, const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull ^ t->seed;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return (size_t)mix64(h) & (t->nb - 1);
}

static size_t teid_bucket(const struct identity_table *t, uint32_t teid)
{
	return (size_t)mix64(t->seed ^ 0x7e1d000000000000ull ^ teid) & (t->nb - 1);
}

static int fam_index(uint8_t family) { return family == 6 ? 1 : 0; }

static void mask_addr(struct ip_addr *a, unsigned plen)
{
	unsigned bits = a->family == 4 ? 32 : 128;
	for (unsigned i = 0; i < 16; i++) {
		unsigned lo = i * 8;
		if (lo >= bits || lo >= plen + 8)
			a->a[i] = 0;
		else if (lo + 8 > plen)
			a->a[i] &= (uint8_t)(0xff << (lo + 8 - plen));
	}
}

static int same_key(const struct sub *r, const struct ip_addr *a, uint8_t plen)
{
	return r->has_addr && r->plen == plen && r->addr.family == a->family &&
	       memcmp(r->addr.a, a->a, 16) == 0;
}

static void link_addr(struct identity_table *t, struct sub *r)
{
	size_t b = addr_bucket(t, &r->addr, r->plen);
	r->a_next = t->a_tab[b];
	t->a_tab[b] = r;
}

static void unlink_addr(struct identity_table *t, struct sub *r)
{
	for (struct sub **pp = &t->a_tab[addr_bucket(t, &r->addr, r->plen)]; *pp;
	     pp = &(*pp)->a_next)
		if (*pp == r) {
			*pp = r->a_next;
			return;
		}
}

static void link_sid(struct identity_table *t, struct sub *r)
{
	size_t b = sid_bucket(t, r->sid);
	r->s_next = t->s_tab[b];
	t->s_tab[b] = r;
	r->in_sid = 1;
}

static void unlink_sid(struct identity_table *t, struct sub *r)
{
	if (!r->in_sid)
		return;
	for (struct sub **pp = &t->s_tab[sid_bucket(t, r->sid)]; *pp; pp = &(*pp)->s_next)
		if (*pp == r) {
			*pp = r->s_next;
			break;
		}
	r->in_sid = 0;
}

static void unlink_teid(struct identity_table *t, struct teid_link *l)
{
	if (!l->linked)
		return;
	for (struct teid_link **pp = &t->t_tab[teid_bucket(t, l->teid)]; *pp; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	l->linked = 0;
}

/* A TEID names one bearer: a new record taking it takes it from any
 * other. */
static void link_teid(struct identity_table *t, struct teid_link *l)
{
	size_t b = teid_bucket(t, l->teid);
	for (struct teid_link **pp = &t->t_tab[b]; *pp;) {
		struct teid_link *x = *pp;
		if (x->teid == l->teid) {
			*pp = x->next;
			x->linked = 0;
		} else {
			pp = &x->next;
		}
	}
	l->next = t->t_tab[b];
	t->t_tab[b] = l;
	l->linked = 1;
}

static void list_append(struct sub_list *l, struct sub *r)
{
	r->next = NULL;
	r->prev = l->tail;
	if (l->tail)
		l->tail->next = r;
	else
		l->head = r;
	l->tail = r;
	l->n++;
}

static void list_remove(struct sub_list *l, struct sub *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		l->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		l->tail = r->prev;
	r->prev = r->next = NULL;
	l->n--;
}

/* Doubles the hashes once there are more records than buckets. */
static int rehash(struct identity_table *t)
{
	size_t nb = t->nb * 2;
	struct sub **a = calloc(nb, sizeof(*a)), **s = calloc(nb, sizeof(*s));
	struct teid_link **tt = calloc(nb, sizeof(*tt));
	if (a == NULL || s == NULL || tt == NULL) {
		free(a);
		free(s);
		free(tt);
		return -1;
	}
	free(t->a_tab);
	free(t->s_tab);
	free(t->t_tab);
	t->a_tab = a;
	t->s_tab = s;
	t->t_tab = tt;
	t->nb = nb;
	struct sub_list *lists[2] = {&t->bound, &t->ended};
	for (int i = 0; i < 2; i++)
		for (struct sub *r = lists[i]->head; r; r = r->next) {
			if (r->has_addr)
				link_addr(t, r);
			if (r->in_sid)
				link_sid(t, r);
			for (int j = 0; j < 2; j++)
				if (r->tl[j].linked) {
					r->tl[j].next = t->t_tab[teid_bucket(t, r->tl[j].teid)];
					t->t_tab[teid_bucket(t, r->tl[j].teid)] = &r->tl[j];
				}
		}
	return 0;
}

static void set_addr(struct identity_table *t, struct sub *r, const struct ip_addr *a,
		     uint8_t plen)
{
	if (r->has_addr) {
		unlink_addr(t, r);
		t->len_count[fam_index(r->addr.family)][r->plen]--;
	}
	r->addr = *a;
	r->plen = plen;
	r->has_addr = 1;
	t->len_count[fam_index(a->family)][plen]++;
	link_addr(t, r);
}

static void free_sub(struct identity_table *t, struct sub *r)
{
	if (r->has_addr) {
		unlink_addr(t, r);
		t->len_count[fam_index(r->addr.family)][r->plen]--;
	}
	unlink_sid(t, r);
	unlink_teid(t, &r->tl[0]);
	unlink_teid(t, &r->tl[1]);
	list_remove(r->bound ? &t->bound : &t->ended, r);
	free(r->apn);
	free(r->sid);
	free(r->nas);
	free(r);
	t->n--;
}

/* ------------------------------------------------------------------ */
/* Device events                                                       */
/* ------------------------------------------------------------------ */

static void json_device_obj(const struct identity_table *t, const struct sub *r, struct jw *w)
{
	const char *maker = NULL, *model = NULL;
	if (!r->imei[0])
		return;
	identity_tac_lookup(t, r->imei, &maker, &model);
	jw_obj_begin(w, "device");
	jw_str(w, "id", r->imei);
	if (maker)
		jw_str(w, "manufacturer", maker);
	if (model && model[0]) {
		jw_obj_begin(w, "model");
		jw_str(w, "identifier", model);
		jw_end(w);
	}
	jw_end(w);
}

static void json_subscriber_obj(const struct sub *r, struct jw *w, int detail)
{
	jw_obj_begin(w, "subscriber");
	if (r->imsi[0])
		jw_str(w, "imsi", r->imsi);
	if (r->msisdn[0])
		jw_str(w, "msisdn", r->msisdn);
	if (r->apn)
		jw_str(w, "apn", r->apn);
	if (r->sid)
		jw_str(w, "session_id", r->sid);
	jw_str(w, "source", source_name(r->src));
	if (r->rat >= 0)
		jw_u64(w, "rat_type", (uint64_t)r->rat);
	if (detail) {
		char ts[40];
		if (r->nas)
			jw_str(w, "nas", r->nas);
		if (r->has_addr && r->plen != (r->addr.family == 4 ? 32 : 128)) {
			char ip[IP_ADDR_STRLEN], pfx[IP_ADDR_STRLEN + 8];
			snprintf(pfx, sizeof(pfx), "%s/%u", ip_addr_str(&r->addr, ip, sizeof(ip)),
				 r->plen);
			jw_str(w, "ip_prefix", pfx);
		}
		if (r->tl[0].teid)
			jw_u64(w, "teid_uplink", r->tl[0].teid);
		if (r->tl[1].teid)
			jw_u64(w, "teid_downlink", r->tl[1].teid);
		output_time(r->start_us, ts, sizeof(ts));
		jw_str(w, "start", ts);
	}
	jw_end(w);
}

static void json_imei_obj(const struct sub *r, struct jw *w)
{
	if (!r->imei[0])
		return;
	jw_obj_begin(w, "imei");
	jw_strn(w, "tac", r->imei, 8);
	if (r->imeisv[0])
		jw_str(w, "imeisv", r->imeisv);
	jw_end(w);
}

/* Text for a person: bytes that could drive a terminal become '?'. */
static const char *printable(const char *s, char *buf, size_t len)
{
	size_t i = 0;
	for (; s && s[i] && i + 1 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

static void text_event(struct identity_table *t, const struct sub *r, uint64_t now_us,
		       const char *action)
{
	char ts[40], ip[IP_ADDR_STRLEN] = "-", where[IP_ADDR_STRLEN + 8], dev[200] = "";
	char maker[96], model[96], apn[APN_MAX + 4] = "-";
	const char *mk = NULL, *md = NULL;
	output_time(now_us, ts, sizeof(ts));
	ts[19] = '\0'; /* seconds are enough for a person */
	if (r->has_addr)
		ip_addr_str(&r->addr, ip, sizeof(ip));
	if (r->has_addr && r->plen != (r->addr.family == 4 ? 32 : 128))
		snprintf(where, sizeof(where), "%s/%u", ip, r->plen);
	else
		snprintf(where, sizeof(where), "%s", ip);
	if (r->imei[0] && identity_tac_lookup(t, r->imei, &mk, &md) == 0)
		snprintf(dev, sizeof(dev), " (%s %s)", printable(mk, maker, sizeof(maker)),
			 printable(md, model, sizeof(model)));
	if (r->apn)
		printable(r->apn, apn, sizeof(apn));
	output_text_line(t->out, "%s  device %s %s: imsi %s, imei %s%s, apn %s, from %s", ts, where,
			 action, r->imsi[0] ? r->imsi : "-", r->imei[0] ? r->imei : "-", dev, apn,
			 source_name(r->src));
}

static void device_event(struct identity_table *t, const struct sub *r, uint64_t now_us,
			 const char *action, const char *reason)
{
	if (t->out == NULL)
		return;
	struct output_event_fields ef = {action, reason, "session",
					 strcmp(action, "session-start") == 0 ? "start" : "end", 0};
	struct jw *w = output_begin_fields(t->out, "event", "apnwatch.device", &ef, now_us);
	if (w == NULL) {
		text_event(t, r, now_us, action);
		return;
	}
	if (r->has_addr) {
		char ip[IP_ADDR_STRLEN];
		jw_obj_begin(w, "source");
		jw_str(w, "ip", ip_addr_str(&r->addr, ip, sizeof(ip)));
		jw_end(w);
	}
	json_device_obj(t, r, w);
	jw_obj_begin(w, "apnwatch");
	json_subscriber_obj(r, w, 1);
	json_imei_obj(r, w);
	jw_end(w);
	output_end(t->out);
}

/* ------------------------------------------------------------------ */
/* The table: starting, updating and ending sessions                   */
/* ------------------------------------------------------------------ */

static int authoritative(uint8_t src) { return src == ID_SRC_RADIUS || src == ID_SRC_GTPV2C; }

static int end_session(struct identity_table *t, struct sub *r, uint64_t now_us,
		       const char *action, const char *reason);

/* Frees ended records past their linger time. */
static void purge_ended(struct identity_table *t, uint64_t now_us)
{
	while (t->ended.head && t->ended.head->end_us + t->linger_us < now_us)
		free_sub(t, t->ended.head);
}

/* Makes room for one record: an ended one goes first, else the oldest
 * session (ended as "evicted"). */
static void make_room(struct identity_table *t, uint64_t now_us)
{
	while (t->n >= t->max) {
		if (t->ended.head) {
			free_sub(t, t->ended.head);
			continue;
		}
		struct sub *r = t->bound.head;
		cnt_inc(t->cnt, CNT_ID_EVICTED);
		if (end_session(t, r, now_us, "session-end", "evicted") == 0)
			free_sub(t, r); /* no room to keep it for late flow events */
	}
}

/* Ends r's binding: it moves to the ended list.  Returns 1 when r was
 * freed (it can name no flow), else 0. */
static int end_session(struct identity_table *t, struct sub *r, uint64_t now_us,
		       const char *action, const char *reason)
{
	device_event(t, r, now_us, action, reason);
	list_remove(&t->bound, r);
	unlink_sid(t, r);
	r->bound = 0;
	r->end_us = now_us;
	list_append(&t->ended, r);
	cnt_inc(t->cnt, CNT_ID_SESSIONS_ENDED);
	/* A record that names no address nor TEID can name no flow. */
	if (!r->has_addr && !r->tl[0].linked && !r->tl[1].linked) {
		free_sub(t, r);
		return 1;
	}
	if (!r->has_addr)
		return 0;
	/* At most HISTORY_MAX ended records per address: the oldest other
	 * than r goes. */
	for (;;) {
		struct sub *oldest = NULL;
		int n = 0;
		for (struct sub *x = t->a_tab[addr_bucket(t, &r->addr, r->plen)]; x; x = x->a_next)
			if (!x->bound && same_key(x, &r->addr, r->plen)) {
				n++;
				if (x != r && (oldest == NULL || x->serial < oldest->serial))
					oldest = x;
			}
		if (n <= HISTORY_MAX || oldest == NULL)
			return 0;
		free_sub(t, oldest);
	}
}

/* Sets a heap string field when s is not empty. */
static void set_str(char **field, const char *s)
{
	if (s[0] == '\0' || (*field && strcmp(*field, s) == 0))
		return;
	char *d = strdup(s);
	if (d == NULL)
		return; /* keep the old value */
	free(*field);
	*field = d;
}

static void set_teid(struct identity_table *t, struct sub *r, int i, uint32_t teid)
{
	if (teid == 0 || (r->tl[i].linked && r->tl[i].teid == teid))
		return;
	unlink_teid(t, &r->tl[i]);
	r->tl[i].teid = teid;
	r->tl[i].owner = r;
	link_teid(t, &r->tl[i]);
}

static void set_sid(struct identity_table *t, struct sub *r, const char *sid)
{
	if (sid[0] == '\0' || (r->sid && strcmp(r->sid, sid) == 0 && r->in_sid))
		return;
	unlink_sid(t, r);
	set_str(&r->sid, sid);
	if (r->sid && r->bound)
		link_sid(t, r);
}

/* overwrite: 1 replaces what the record has with what n says; 0 only
 * fills what it lacks. */
static void merge_fields(struct identity_table *t, struct sub *r, const struct norm *n,
			 int overwrite)
{
#define MERGE_ARR(f)                                                       \
	if (n->f[0] && (overwrite || !r->f[0]))                             \
	memcpy(r->f, n->f, sizeof(r->f))
	MERGE_ARR(imsi);
	MERGE_ARR(msisdn);
#undef MERGE_ARR
	if (n->imei[0] && (overwrite || !r->imei[0])) {
		memcpy(r->imei, n->imei, sizeof(r->imei));
		/* An IMEISV of another device must not stay beside the IMEI. */
		if (strncmp(r->imeisv, r->imei, 14) != 0)
			r->imeisv[0] = '\0';
	}
	if (n->imeisv[0] && (overwrite || !r->imeisv[0]) && strncmp(n->imeisv, r->imei, 14) == 0)
		memcpy(r->imeisv, n->imeisv, sizeof(r->imeisv));
	if (n->apn[0] && (overwrite || !r->apn))
		set_str(&r->apn, n->apn);
	if (n->nas[0] && (overwrite || !r->nas))
		set_str(&r->nas, n->nas);
	if (n->rat >= 0 && (overwrite || r->rat < 0))
		r->rat = n->rat;
	for (int i = 0; i < 2; i++)
		if (n->teid[i] && (overwrite || !r->tl[i].teid))
			set_teid(t, r, i, n->teid[i]);
	if (n->sid[0] && (overwrite || !r->sid))
		set_sid(t, r, n->sid);
}

static struct sub *create_session(struct identity_table *t, const struct norm *n,
				  uint64_t now_us)
{
	make_room(t, now_us);
	if (t->n + 1 > t->nb && rehash(t) < 0 && t->n + 1 > 4 * t->nb)
		return NULL; /* out of memory, and chains would grow long */
	struct sub *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->serial = ++t->serial;
	r->start_us = now_us;
	r->src = n->src;
	r->rat = -1;
	r->bound = 1;
	r->tl[0].owner = r->tl[1].owner = r;
	list_append(&t->bound, r);
	t->n++;
	if (n->has_addr)
		set_addr(t, r, &n->addr, n->plen);
	merge_fields(t, r, n, 1);
	cnt_inc(t->cnt, CNT_ID_SESSIONS_STARTED);
	cnt_max(t->cnt, CNT_ID_ACTIVE_MAX, t->bound.n);
	device_event(t, r, now_us, "session-start", NULL);
	return r;
}

static struct sub *find_sid(const struct identity_table *t, const char *sid)
{
	if (sid[0] == '\0')
		return NULL;
	for (struct sub *r = t->s_tab[sid_bucket(t, sid)]; r; r = r->s_next)
		if (strcmp(r->sid, sid) == 0)
			return r;
	return NULL;
}

/* The bound record with exactly this address key. */
static struct sub *find_bound_exact(const struct identity_table *t, const struct ip_addr *a,
				    uint8_t plen)
{
	for (struct sub *r = t->a_tab[addr_bucket(t, a, plen)]; r; r = r->a_next)
		if (r->bound && same_key(r, a, plen))
			return r;
	return NULL;
}

/* The bound record whose prefix holds a, longest prefix first; a
 * RADIUS/GTPv2-C record before an LwM2M one. */
static struct sub *find_bound_longest(const struct identity_table *t, const struct ip_addr *a)
{
	int fi = fam_index(a->family);
	struct sub *lw = NULL;
	for (int len = a->family == 4 ? 32 : 128; len >= 0; len--) {
		if (t->len_count[fi][len] == 0)
			continue;
		struct ip_addr k = *a;
		mask_addr(&k, (unsigned)len);
		struct sub *r = find_bound_exact(t, &k, (uint8_t)len);
		if (r && authoritative(r->src))
			return r;
		if (r && lw == NULL)
			lw = r;
	}
	return lw;
}

/* Whether a record and a message are about one subscriber: the first
 * identifier both know decides (IMSI, then IMEI, then MSISDN); when they
 * share none, they are taken as one. */
static int same_subscriber(const struct sub *r, const struct norm *n)
{
	if (r->imsi[0] && n->imsi[0])
		return strcmp(r->imsi, n->imsi) == 0;
	if (r->imei[0] && n->imei[0])
		return strncmp(r->imei, n->imei, 14) == 0;
	if (r->msisdn[0] && n->msisdn[0])
		return strcmp(r->msisdn, n->msisdn) == 0;
	return 1;
}

/* The binding at n's address (if another) ends, replaced by n's. */
static void replace_binding(struct identity_table *t, struct sub *old, const struct norm *n,
			    uint64_t now_us)
{
	int other = !same_subscriber(old, n);
	if (other)
		cnt_inc(t->cnt, CNT_ID_ADDRESS_REUSED);
	end_session(t, old, now_us, "replaced", other ? "address_reused" : "superseded");
}

/* An Interim-Update (or a Start of a session already known): fields
 * change, no event; the address may move. */
static void update_session(struct identity_table *t, struct sub *r, const struct norm *n,
			   uint64_t now_us)
{
	if (n->has_addr && !same_key(r, &n->addr, n->plen)) {
		struct sub *old = find_bound_exact(t, &n->addr, n->plen);
		if (old && old != r)
			replace_binding(t, old, n, now_us);
		set_addr(t, r, &n->addr, n->plen);
	}
	merge_fields(t, r, n, 1);
}

static void start_lwm2m(struct identity_table *t, const struct norm *n, uint64_t now_us)
{
	if (!n->has_addr)
		return;
	struct sub *r = find_bound_longest(t, &n->addr);
	if (r && authoritative(r->src)) {
		merge_fields(t, r, n, 0); /* fills what accounting did not say */
		return;
	}
	if (r && same_subscriber(r, n)) {
		merge_fields(t, r, n, 1);
		return;
	}
	if (r)
		replace_binding(t, r, n, now_us);
	create_session(t, n, now_us);
}

/* Checks, bounds and pseudonymises what a message said. */
static void normalize(const struct identity_table *t, const struct subscriber_info *s,
		      struct norm *n)
{
	memset(n, 0, sizeof(*n));
	n->src = (uint8_t)s->source;
	n->rat = s->rat_type >= 0 && s->rat_type <= 255 ? s->rat_type : -1;
	n->teid[0] = s->teid[0];
	n->teid[1] = s->teid[1];
	unsigned full = s->addr.family == 4 ? 32 : 128;
	int zero = 1;
	for (int i = 0; i < 16; i++)
		zero &= s->addr.a[i] == 0;
	if ((s->addr.family == 4 || s->addr.family == 6) && !zero) {
		n->has_addr = 1;
		n->addr = s->addr;
		n->plen = (uint8_t)(s->prefix_len >= 1 && s->prefix_len <= full ? s->prefix_len : full);
		if (n->src == ID_SRC_LWM2M)
			n->plen = (uint8_t)full; /* a device's own address, not its prefix */
		mask_addr(&n->addr, n->plen);
	}
	if (s->imsi && valid_imsi(s->imsi))
		copy_bounded(n->imsi, s->imsi, IMSI_MAX);
	if (s->imei && valid_imei(s->imei)) {
		size_t len = strlen(s->imei);
		char d14[15];
		memcpy(d14, s->imei, 14);
		d14[14] = '\0';
		if (len == 16)
			memcpy(n->imeisv, s->imei, 17);
		/* The IMEI: its 14 first digits and their Luhn digit (an
		 * IMEISV has an SVN instead; a 15-digit IMEI is taken as
		 * given). */
		if (len == 15)
			memcpy(n->imei, s->imei, 16);
		else {
			memcpy(n->imei, d14, 14);
			n->imei[14] = identity_luhn_digit(d14);
			n->imei[15] = '\0';
		}
	}
	if (s->msisdn && valid_msisdn(s->msisdn))
		copy_bounded(n->msisdn, s->msisdn, MSISDN_MAX + 1);
	copy_bounded(n->apn, s->apn, APN_MAX);
	copy_bounded(n->sid, s->session_id, TEXT_MAX);
	copy_bounded(n->nas, s->nas, TEXT_MAX);
	if (t->pseudo) {
		if (n->imsi[0])
			pseudo_imsi(t, n->imsi);
		if (n->imei[0])
			pseudo_imei(t, n->imei);
		if (n->imeisv[0])
			pseudo_imei(t, n->imeisv);
		if (n->msisdn[0])
			pseudo_msisdn(t, n->msisdn);
	}
}

void identity_session_start(struct identity_table *t, const struct subscriber_info *s,
			    uint64_t now_us)
{
	struct norm n;
	if (t == NULL || s == NULL)
		return;
	normalize(t, s, &n);
	purge_ended(t, now_us);
	if (!authoritative(n.src)) {
		if (n.src == ID_SRC_LWM2M)
			start_lwm2m(t, &n, now_us);
		return;
	}
	struct sub *r = find_sid(t, n.sid);
	if (r && authoritative(r->src) && same_subscriber(r, &n)) {
		update_session(t, r, &n, now_us);
		return;
	}
	if (n.has_addr && (r = find_bound_exact(t, &n.addr, n.plen)) != NULL) {
		if (authoritative(r->src) && same_subscriber(r, &n)) {
			update_session(t, r, &n, now_us);
			return;
		}
		/* Another subscriber, or a binding only LwM2M knew of: what it
		 * knew and n does not say is kept when they are one subscriber. */
		struct norm m = n;
		int same = same_subscriber(r, &n);
		if (same) {
			if (!m.imsi[0])
				memcpy(m.imsi, r->imsi, sizeof(m.imsi));
			if (!m.imei[0]) {
				memcpy(m.imei, r->imei, sizeof(m.imei));
				memcpy(m.imeisv, r->imeisv, sizeof(m.imeisv));
			}
			if (!m.msisdn[0])
				memcpy(m.msisdn, r->msisdn, sizeof(m.msisdn));
		}
		replace_binding(t, r, &n, now_us);
		create_session(t, &m, now_us);
		return;
	}
	create_session(t, &n, now_us);
}

static int stop_matches(const struct sub *r, const struct norm *n)
{
	if (n->sid[0] && r->sid && strcmp(n->sid, r->sid) != 0)
		return 0;
	if (n->imsi[0] && r->imsi[0] && strcmp(n->imsi, r->imsi) != 0)
		return 0;
	return 1;
}

void identity_session_stop(struct identity_table *t, const struct subscriber_info *s,
			   uint64_t now_us)
{
	struct norm n;
	struct sub *r = NULL;
	if (t == NULL || s == NULL)
		return;
	normalize(t, s, &n);
	purge_ended(t, now_us);
	if (n.has_addr) {
		r = find_bound_exact(t, &n.addr, n.plen);
		if (r == NULL)
			r = find_bound_longest(t, &n.addr);
		/* LwM2M de-registering never ends what accounting bound. */
		if (r && (!stop_matches(r, &n) || (!authoritative(n.src) && authoritative(r->src))))
			r = NULL;
	}
	if (r == NULL && authoritative(n.src)) {
		r = find_sid(t, n.sid);
		if (r && n.nas[0] && r->nas && strcmp(r->nas, n.nas) != 0)
			r = NULL;
	}
	if (r)
		end_session(t, r, now_us, "session-end", "stop");
}

void identity_nas_reset(struct identity_table *t, const char *nas, uint64_t now_us)
{
	if (t == NULL || nas == NULL || nas[0] == '\0')
		return;
	char key[TEXT_MAX + 1];
	copy_bounded(key, nas, TEXT_MAX);
	purge_ended(t, now_us);
	for (struct sub *r = t->bound.head, *next; r; r = next) {
		next = r->next;
		if (r->nas && strcmp(r->nas, key) == 0)
			end_session(t, r, now_us, "session-end", "nas_reset");
	}
}

size_t identity_active_sessions(const struct identity_table *t) { return t ? t->bound.n : 0; }

/* ------------------------------------------------------------------ */
/* Flows                                                               */
/* ------------------------------------------------------------------ */

struct pick {
	uint64_t first, last;
	const struct sub *during; /* bound when the flow's first packet went */
	const struct sub *later;  /* else: bound during the flow, or just after */
};

static void pick_consider(struct pick *p, const struct sub *r)
{
	if (r->start_us <= p->first && (r->bound || p->first < r->end_us)) {
		if (p->during == NULL || r->start_us > p->during->start_us ||
		    (r->start_us == p->during->start_us && r->serial > p->during->serial))
			p->during = r;
	} else if (r->start_us > p->first && r->start_us <= p->last + START_SLACK_US) {
		if (p->later == NULL || r->start_us < p->later->start_us ||
		    (r->start_us == p->later->start_us && r->serial < p->later->serial))
			p->later = r;
	}
}

static const struct sub *pick_result(const struct pick *p)
{
	return p->during ? p->during : p->later;
}

static const struct sub *flow_subscriber(const struct identity_table *t, const struct flow *f)
{
	struct ip_addr a;
	uint16_t port;
	const struct sub *lw = NULL;
	flow_source(f, &a, &port);
	if (a.family == 4 || a.family == 6) {
		int fi = fam_index(a.family);
		for (int len = a.family == 4 ? 32 : 128; len >= 0; len--) {
			if (t->len_count[fi][len] == 0)
				continue;
			struct ip_addr k = a;
			mask_addr(&k, (unsigned)len);
			struct pick p = {f->first_us, f->last_us, NULL, NULL};
			for (const struct sub *r = t->a_tab[addr_bucket(t, &k, (uint8_t)len)]; r;
			     r = r->a_next)
				if (same_key(r, &k, (uint8_t)len))
					pick_consider(&p, r);
			const struct sub *r = pick_result(&p);
			if (r && authoritative(r->src))
				return r;
			if (r && lw == NULL)
				lw = r;
		}
	}
	if (lw)
		return lw;
	if (f->gtp && f->teid) {
		struct pick p = {f->first_us, f->last_us, NULL, NULL};
		for (const struct teid_link *l = t->t_tab[teid_bucket(t, f->teid)]; l; l = l->next)
			if (l->teid == f->teid)
				pick_consider(&p, l->owner);
		return pick_result(&p);
	}
	return NULL;
}

void identity_json_device(struct identity_table *t, const struct flow *f, struct jw *w)
{
	if (t == NULL || f == NULL)
		return;
	const struct sub *r = flow_subscriber(t, f);
	if (r)
		json_device_obj(t, r, w);
}

int identity_flow_device(const struct identity_table *t, const struct flow *f, const char **imei,
			 const char **maker, const char **model)
{
	*imei = *maker = *model = NULL;
	if (t == NULL || f == NULL)
		return 0;
	const struct sub *r = flow_subscriber(t, f);
	if (r == NULL || !r->imei[0])
		return 0;
	*imei = r->imei;
	identity_tac_lookup(t, r->imei, maker, model);
	return 1;
}

int identity_flow_subscriber(const struct identity_table *t, const struct flow *f,
			     const char **imsi, const char **msisdn, const char **apn)
{
	*imsi = *msisdn = *apn = NULL;
	if (t == NULL || f == NULL)
		return 0;
	const struct sub *r = flow_subscriber(t, f);
	if (r == NULL)
		return 0;
	*imsi = r->imsi[0] ? r->imsi : NULL;
	*msisdn = r->msisdn[0] ? r->msisdn : NULL;
	*apn = r->apn;
	return 1;
}

const char *identity_flow_imei(const struct identity_table *t, const struct flow *f)
{
	const char *imei, *maker, *model;
	identity_flow_device(t, f, &imei, &maker, &model);
	return imei;
}

void identity_json_apnwatch(struct identity_table *t, const struct flow *f, struct jw *w)
{
	if (t == NULL || f == NULL)
		return;
	const struct sub *r = flow_subscriber(t, f);
	if (r == NULL)
		return;
	cnt_inc(t->cnt, CNT_ID_FLOWS_IDENTIFIED);
	json_subscriber_obj(r, w, 0);
	json_imei_obj(r, w);
}

/* Raw identifiers are never stored (only their pseudonyms), so a digit
 * run in the event is the subscriber's identifier when its pseudonym is the
 * one stored.  Returns the pseudonym to write, or NULL. */
static const char *scrub_match(const struct identity_table *t, const struct sub *r,
			       const char *run, size_t n, char *out, size_t outlen)
{
	char id[24];
	if (n >= sizeof(id))
		return NULL;
	memcpy(id, run, n);
	id[n] = '\0';
	if (n == 15 && r->imsi[0] &&
	    strcmp(identity_output_id(t, ID_KIND_IMSI, id, out, outlen), r->imsi) == 0)
		return out;
	if ((n == 15 || n == 16) && (r->imei[0] || r->imeisv[0])) {
		identity_output_id(t, ID_KIND_IMEI, id, out, outlen);
		/* A 15-digit IMEI matches the IMEISV's first 14 digits too. */
		if (strcmp(out, r->imei) == 0 || strcmp(out, r->imeisv) == 0 ||
		    (n == 15 && r->imeisv[0] && strncmp(out, r->imeisv, 14) == 0))
			return out;
	}
	if (r->msisdn[0] && n == strlen(r->msisdn) &&
	    strcmp(identity_output_id(t, ID_KIND_MSISDN, id, out, outlen), r->msisdn) == 0)
		return out;
	return NULL;
}

void identity_scrub_event(struct identity_table *t, const struct flow *f, char *buf, size_t len)
{
	if (!identity_pseudonymizing(t) || f == NULL)
		return;
	const struct sub *r = flow_subscriber(t, f);
	if (r == NULL)
		return;
	int in_string = 0;
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (c == '\\' && in_string) {
			i++; /* the escaped character */
			continue;
		}
		if (c == '"') {
			in_string = !in_string;
			continue;
		}
		if (!in_string || c < '0' || c > '9' || (i > 0 && buf[i - 1] >= '0' && buf[i - 1] <= '9'))
			continue;
		size_t n = 0;
		while (i + n < len && buf[i + n] >= '0' && buf[i + n] <= '9')
			n++;
		char out[64];
		const char *p = n >= 10 && n <= 16 ? scrub_match(t, r, buf + i, n, out, sizeof(out)) : NULL;
		if (p && strlen(p) == n)
			memcpy(buf + i, p, n);
		i += n - 1;
	}
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */
/* ------------------------------------------------------------------ */

void identity_config_defaults(struct identity_config *c)
{
	*c = (struct identity_config){.max_subscribers = DEFAULT_MAX_SUBSCRIBERS,
				      .linger_s = DEFAULT_LINGER_S};
}

struct identity_table *identity_new(const struct identity_config *cfg, struct counters *c,
				    struct output *out)
{
	struct identity_table *t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto oom;
	t->cnt = c;
	t->out = out;
	t->max = cfg->max_subscribers ? cfg->max_subscribers : DEFAULT_MAX_SUBSCRIBERS;
	t->linger_us = (cfg->linger_s ? cfg->linger_s : DEFAULT_LINGER_S) * 1000000ull;
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != sizeof(t->seed))
		t->seed = mix64((uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)t);
	t->nb = FIRST_BUCKETS;
	t->a_tab = calloc(t->nb, sizeof(*t->a_tab));
	t->s_tab = calloc(t->nb, sizeof(*t->s_tab));
	t->t_tab = calloc(t->nb, sizeof(*t->t_tab));
	if (t->a_tab == NULL || t->s_tab == NULL || t->t_tab == NULL)
		goto oom;
	if (cfg->pseudonymize_key && load_key(t, cfg->pseudonymize_key) < 0)
		goto err;
	if (load_catalogs(t, cfg) < 0)
		goto err;
	return t;
oom:
	log_err("out of memory setting up the subscriber table");
err:
	identity_free(t);
	return NULL;
}

void identity_free(struct identity_table *t)
{
	if (t == NULL)
		return;
	while (t->bound.head)
		free_sub(t, t->bound.head);
	while (t->ended.head)
		free_sub(t, t->ended.head);
	free(t->a_tab);
	free(t->s_tab);
	free(t->t_tab);
	tac_free(&t->tac);
	OPENSSL_cleanse(t->key, sizeof(t->key));
	free(t);
}
