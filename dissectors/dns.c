/*
 * dns.c - the DNS dissector (UDP, and TCP with its length prefix) and the
 * per-device name cache it fills (dns.h).
 *
 * Follows RFC 1035 (message format, name compression), RFC 3596 (AAAA),
 * RFC 2181 (TTLs, CNAME), RFC 6891 (EDNS(0): the OPT record's extended
 * RCODE and DO bit), RFC 7766 (DNS over TCP: every message behind a 2-byte
 * length, possibly split over segments or several in one segment), and
 * RFC 6762 (mDNS: the top bit of a class is the QU / cache-flush bit).
 *
 *     0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   |                      ID                       |
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   |QR|  Opcode   |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   |      QDCOUNT      |      ANCOUNT      |  NSCOUNT, ARCOUNT (16 bits each)
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   question: QNAME  QTYPE(16) QCLASS(16)
 *   RR:       NAME   TYPE(16) CLASS(16) TTL(32) RDLENGTH(16) RDATA
 *   NAME:     labels (length byte 0..63, then the bytes), ending with the
 *             root's 0 or with a pointer: two bytes 11xxxxxx xxxxxxxx,
 *             the offset of the rest of the name in the message.
 *   TCP:      LENGTH(16) message, LENGTH(16) message, ...
 *
 * The flow event carries the flow's first transaction (its query, and the
 * answer when one was seen) in ECS dns.*, and the number of transactions
 * with the first 16 question names in apnwatch.dns.  Every answer the
 * device gets feeds the name cache: each A/AAAA at the end of the CNAME
 * chain that starts at the question maps that address to the name the
 * device asked for.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "dissector.h"
#include "dns.h"
#include "util-reader.h"

#include <ndpi/ndpi_protocol_ids.h>

#define DNS_HDR_LEN 12
#define DNS_NAME_WIRE_MAX 255  /* RFC 1035 2.3.4: octets of a whole name */
#define DNS_NAME_JUMPS_MAX 32  /* compression pointers followed in one name */
#define DNS_TEXT_MAX 1024      /* a name in text: 255 octets, some as \DDD */
#define DNS_LIST_MAX 16        /* answers and question names kept for output */
#define DNS_IPS_MAX 32         /* resolved_ip kept for output */
#define DNS_AN_REFS 64         /* answer RRs of one message looked at for the cache */
#define DNS_CHAIN_MAX 16       /* names of one CNAME chain */
#define DNS_PENDING 8          /* transactions remembered for matching answers */
#define DNS_POOL_MAX 16384     /* bytes of text kept per flow */
#define DNS_TCP_MSG_MAX 16384  /* TCP messages longer than this are skipped */
#define DNS_PORT_MDNS 5353

#define F_QR 0x8000
#define F_AA 0x0400
#define F_TC 0x0200
#define F_RD 0x0100
#define F_RA 0x0080
#define F_AD 0x0020
#define F_CD 0x0010

enum { T_A = 1, T_NS = 2, T_CNAME = 5, T_SOA = 6, T_PTR = 12, T_MX = 15, T_TXT = 16,
       T_AAAA = 28, T_SRV = 33, T_DNAME = 39, T_OPT = 41 };
#define C_IN 1

/* What parsing a part of a message found. */
enum pres { P_OK = 0, P_SHORT, P_INVALID };

/* ------------------------------------------------------------------ */
/* Text kept for the flow event: one bounded pool per flow.            */

#define SREF_NONE 0xffff

struct sref {
	uint16_t off, len; /* off == SREF_NONE: no string */
};

struct pool {
	char *buf;
	uint32_t len, cap;
};

/* Appends n bytes of s; *out is SREF_NONE when the pool is full (the
 * string is then left out of the event) or out of memory. */
static void pool_add(struct pool *p, const char *s, size_t n, struct sref *out)
{
	out->off = SREF_NONE;
	out->len = 0;
	if (n > DNS_POOL_MAX - p->len)
		return;
	if (p->len + n > p->cap) {
		uint32_t cap = p->cap ? p->cap : 256;
		while (cap < p->len + n)
			cap *= 2;
		if (cap > DNS_POOL_MAX)
			cap = DNS_POOL_MAX;
		char *b = realloc(p->buf, cap);
		if (b == NULL)
			return;
		p->buf = b;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, s, n);
	out->off = (uint16_t)p->len;
	out->len = (uint16_t)n;
	p->len += (uint32_t)n;
}

static void json_sref(struct jw *w, const char *key, const struct pool *p, struct sref r)
{
	if (r.off != SREF_NONE)
		jw_strn(w, key, p->buf + r.off, r.len);
}

/* ------------------------------------------------------------------ */
/* Flow state.                                                         */

struct dns_rr_out {
	struct sref name, data;
	uint16_t type, class;
	uint32_t ttl;
};

enum first_kind { FIRST_NONE = 0, FIRST_QUERY, FIRST_ANSWER };

/* The flow's first transaction, as the event shows it. */
struct dns_first {
	uint8_t kind;
	uint8_t opcode;
	uint8_t has_q;
	uint8_t do_bit;
	uint8_t n_ans, n_ips;
	uint16_t id, flags, rcode; /* rcode: with the OPT record's upper bits */
	uint16_t qtype, qclass;
	uint32_t qhash;
	struct sref qname;
	struct dns_rr_out ans[DNS_LIST_MAX];
	struct sref ips[DNS_IPS_MAX];
};

/* A transaction of the flow: to tell a retransmitted query or a
 * duplicate answer from a new transaction. */
struct dns_pending {
	uint16_t id, qtype;
	uint32_t qhash;
	uint8_t used, answered;
};

/* TCP: one direction's framing (RFC 7766 8). */
struct dns_tcp {
	uint8_t lenb[2];  /* the length prefix, as it arrives */
	uint8_t lenb_have;
	uint8_t dead;     /* framing lost (a gap, a nonsense length): no more parsing */
	uint32_t need;    /* the message's length, once lenb is complete */
	uint32_t have;    /* bytes of it in buf */
	uint32_t skip;    /* bytes of an oversize message still to drop */
	uint8_t *buf;
};

struct dns_state {
	uint8_t counted; /* the flow was counted in dissector.dns.flows */
	uint8_t mdns;
	uint8_t n_queries;
	uint8_t pending_next;
	uint32_t transactions;
	struct dns_first first;
	struct sref queries[DNS_LIST_MAX];
	struct dns_pending pending[DNS_PENDING];
	struct dns_tcp tcp[2];
	struct pool pool;
};

/* ------------------------------------------------------------------ */
/* Names.                                                              */

/* Reads the name at r's cursor into wire (uncompressed: labels, then the
 * root's 0; *wlen bytes, at most 255) and moves r past the name's bytes
 * in place.  Pointers index msg[0..msglen).  A pointer loop, too many
 * pointers, an unknown label type or a name over 255 octets is invalid;
 * running out of bytes is short. */
static enum pres read_name(struct rd *r, const uint8_t *msg, size_t msglen, uint8_t *wire,
			   size_t *wlen)
{
	struct rd cur = *r;
	int jumps = 0;
	size_t n = 0;
	for (;;) {
		uint8_t len = rd_u8(&cur);
		if (!rd_ok(&cur))
			return P_SHORT;
		if ((len & 0xc0) == 0xc0) {
			uint8_t lo = rd_u8(&cur);
			if (!rd_ok(&cur))
				return P_SHORT;
			if (jumps == 0)
				*r = cur; /* the name's own bytes end after its first pointer */
			if (++jumps > DNS_NAME_JUMPS_MAX)
				return P_INVALID;
			size_t off = (size_t)(len & 0x3f) << 8 | lo;
			if (off >= msglen)
				return P_SHORT; /* past what we have of the message */
			cur = rd_init(msg, msglen);
			rd_skip(&cur, off);
			continue;
		}
		if (len & 0xc0)
			return P_INVALID; /* 01 and 10: extended label types, none in use */
		if (n + 1 + len > DNS_NAME_WIRE_MAX)
			return P_INVALID;
		wire[n++] = len;
		if (len == 0)
			break;
		rd_copy(&cur, wire + n, len);
		if (!rd_ok(&cur))
			return P_SHORT;
		n += len;
	}
	if (jumps == 0)
		*r = cur;
	*wlen = n;
	return P_OK;
}

/* Skips the name at r's cursor, checking it. */
static enum pres skip_name(struct rd *r, const uint8_t *msg, size_t msglen)
{
	uint8_t wire[DNS_NAME_WIRE_MAX];
	size_t wlen;
	return read_name(r, msg, msglen, wire, &wlen);
}

/* One byte of a label (in_name) or of a TXT string as text. */
static size_t text_byte(uint8_t b, char *out, int in_name)
{
	if (b == '.' && !in_name) {
		out[0] = '.';
		return 1;
	}
	switch (b) {
	case '.':
	case '\\':
	case '"':
		out[0] = '\\';
		out[1] = (char)b;
		return 2;
	case '\t':
		memcpy(out, "\\t", 2);
		return 2;
	case '\r':
		memcpy(out, "\\r", 2);
		return 2;
	case '\n':
		memcpy(out, "\\n", 2);
		return 2;
	}
	if (b < 32 || b > 126) {
		out[0] = '\\';
		out[1] = (char)('0' + b / 100);
		out[2] = (char)('0' + b / 10 % 10);
		out[3] = (char)('0' + b % 10);
		return 4;
	}
	out[0] = (char)b;
	return 1;
}

/* The name's text (RFC 1035 5.1 with ECS's escapes: '.', '\' and '"'
 * inside a label get a backslash, tab/CR/LF are \t \r \n, other bytes
 * outside 32..126 are \DDD); the root is ".".  out holds DNS_TEXT_MAX;
 * returns the length. */
static size_t name_text(const uint8_t *wire, size_t wlen, char *out)
{
	size_t o = 0, i = 0;
	while (i < wlen && wire[i] != 0) {
		uint8_t len = wire[i++];
		if (o)
			out[o++] = '.';
		for (uint8_t k = 0; k < len && i < wlen; k++, i++)
			o += text_byte(wire[i], out + o, 1);
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return o;
}

static uint8_t lower(uint8_t b) { return b >= 'A' && b <= 'Z' ? (uint8_t)(b + 32) : b; }

/* Names compare without regard to ASCII case (RFC 4343). */
static int name_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return 0;
	for (size_t i = 0; i < alen; i++)
		if (lower(a[i]) != lower(b[i]))
			return 0;
	return 1;
}

/* FNV-1a of the lower-cased name: to match answers with queries. */
static uint32_t name_hash(const uint8_t *wire, size_t wlen)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < wlen; i++)
		h = (h ^ lower(wire[i])) * 16777619u;
	return h;
}

/* ------------------------------------------------------------------ */
/* Messages.                                                           */

/* Where an answer RR is in its message, to look at again. */
struct rr_ref {
	uint32_t name_off, rdata_off;
	uint16_t type, class, rdlen;
	uint32_t ttl;
};

struct msg {
	const uint8_t *p;
	size_t len;
	uint16_t id, flags, qd, an, ns, ar;
	uint8_t has_q, has_opt, ext_rcode, do_bit;
	uint8_t qwire[DNS_NAME_WIRE_MAX];
	size_t qwlen;
	uint16_t qtype, qclass;
	struct rr_ref an_rr[DNS_AN_REFS];
	size_t n_an;
};

/* Checks the RDATA of the types whose RDATA holds names or has a fixed
 * size; rd is the RDATA (exactly RDLENGTH bytes).  Anything left over or
 * missing inside it contradicts RDLENGTH: invalid. */
static enum pres check_rdata(const struct msg *m, uint16_t type, struct rd rd)
{
	enum pres res = P_OK;
	switch (type) {
	case T_A:
		return rd_left(&rd) == 4 ? P_OK : P_INVALID;
	case T_AAAA:
		return rd_left(&rd) == 16 ? P_OK : P_INVALID;
	case T_NS:
	case T_CNAME:
	case T_PTR:
	case T_DNAME:
		res = skip_name(&rd, m->p, m->len);
		break;
	case T_MX:
		rd_skip(&rd, 2);
		res = skip_name(&rd, m->p, m->len);
		break;
	case T_SRV:
		rd_skip(&rd, 6);
		res = skip_name(&rd, m->p, m->len);
		break;
	case T_SOA:
		res = skip_name(&rd, m->p, m->len);
		if (res == P_OK)
			res = skip_name(&rd, m->p, m->len);
		rd_skip(&rd, 20);
		break;
	case T_TXT:
		while (rd_left(&rd))
			rd_skip(&rd, rd_u8(&rd));
		break;
	default:
		return P_OK;
	}
	if (res == P_INVALID)
		return P_INVALID;
	if (res == P_SHORT && rd.err == RD_OK)
		return P_SHORT; /* a pointer past the captured message */
	return rd_ok(&rd) && rd_left(&rd) == 0 ? P_OK : P_INVALID;
}

/* Parses a whole message into m: header, questions, every RR. */
static enum pres parse_msg(struct msg *m, const uint8_t *data, size_t len)
{
	memset(m, 0, offsetof(struct msg, an_rr));
	m->n_an = 0;
	m->p = data;
	m->len = len;
	struct rd r = rd_init(data, len);
	m->id = rd_be16(&r);
	m->flags = rd_be16(&r);
	m->qd = rd_be16(&r);
	m->an = rd_be16(&r);
	m->ns = rd_be16(&r);
	m->ar = rd_be16(&r);
	if (!rd_ok(&r))
		return P_SHORT;
	for (uint32_t i = 0; i < m->qd; i++) {
		uint8_t wire[DNS_NAME_WIRE_MAX];
		size_t wlen;
		enum pres res = read_name(&r, data, len, wire, &wlen);
		if (res != P_OK)
			return res;
		uint16_t qtype = rd_be16(&r);
		uint16_t qclass = rd_be16(&r);
		if (!rd_ok(&r))
			return P_SHORT;
		if (i == 0) {
			m->has_q = 1;
			memcpy(m->qwire, wire, wlen);
			m->qwlen = wlen;
			m->qtype = qtype;
			m->qclass = qclass;
		}
	}
	uint32_t n_rr = (uint32_t)m->an + m->ns + m->ar;
	for (uint32_t i = 0; i < n_rr; i++) {
		struct rr_ref rr;
		rr.name_off = (uint32_t)rd_off(&r);
		enum pres res = skip_name(&r, data, len);
		if (res != P_OK)
			return res;
		rr.type = rd_be16(&r);
		rr.class = rd_be16(&r);
		rr.ttl = rd_be32(&r);
		rr.rdlen = rd_be16(&r);
		rr.rdata_off = (uint32_t)rd_off(&r);
		struct rd rdata = rd_sub(&r, rr.rdlen);
		if (!rd_ok(&r))
			return P_SHORT;
		res = check_rdata(m, rr.type, rdata);
		if (res != P_OK)
			return res;
		if (i < m->an && m->n_an < DNS_AN_REFS)
			m->an_rr[m->n_an++] = rr;
		if (i >= (uint32_t)m->an + m->ns && rr.type == T_OPT && !m->has_opt) {
			/* RFC 6891 6.1.3: TTL = EXTENDED-RCODE(8) VERSION(8) DO(1) Z(15) */
			m->has_opt = 1;
			m->ext_rcode = (uint8_t)(rr.ttl >> 24);
			m->do_bit = (rr.ttl & 0x8000) != 0;
		}
	}
	return P_OK;
}

/* The owner name of an answer RR (checked by parse_msg). */
static size_t rr_owner(const struct msg *m, const struct rr_ref *rr, uint8_t *wire)
{
	struct rd r = rd_init(m->p, m->len);
	size_t wlen = 0;
	rd_skip(&r, rr->name_off);
	if (read_name(&r, m->p, m->len, wire, &wlen) != P_OK)
		return 0;
	return wlen;
}

/* Reads a name from r into text; returns its length, 0 on error. */
static size_t rd_name_text(const struct msg *m, struct rd *r, char *out)
{
	uint8_t wire[DNS_NAME_WIRE_MAX];
	size_t wlen;
	if (read_name(r, m->p, m->len, wire, &wlen) != P_OK)
		return 0;
	return name_text(wire, wlen, out);
}

static size_t append(char *out, size_t o, size_t cap, const char *s)
{
	size_t n = strlen(s);
	if (o + n >= cap)
		n = cap - 1 - o;
	memcpy(out + o, s, n);
	out[o + n] = '\0';
	return o + n;
}

static size_t append_u32(char *out, size_t o, size_t cap, uint32_t v, const char *sep)
{
	char num[16];
	int k = 0;
	char tmp[12];
	do {
		tmp[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	size_t j = 0;
	while (k)
		num[j++] = tmp[--k];
	num[j] = '\0';
	o = append(out, o, cap, num);
	return append(out, o, cap, sep);
}

/* The RDATA as text for dns.answers[].data: addresses, names, and the
 * usual presentation of MX, SRV, SOA and TXT; 0 (no data) for other
 * types. */
static size_t rdata_text(const struct msg *m, const struct rr_ref *rr, char *out)
{
	struct rd r = rd_init(m->p + rr->rdata_off, rr->rdlen);
	uint8_t b[16];
	size_t o = 0;
	out[0] = '\0';
	switch (rr->type) {
	case T_A:
	case T_AAAA:
		rd_copy(&r, b, rr->type == T_A ? 4 : 16);
		if (!inet_ntop(rr->type == T_A ? AF_INET : AF_INET6, b, out, DNS_TEXT_MAX))
			return 0;
		return strlen(out);
	case T_NS:
	case T_CNAME:
	case T_PTR:
	case T_DNAME:
		return rd_name_text(m, &r, out);
	case T_MX:
		o = append_u32(out, 0, DNS_TEXT_MAX, rd_be16(&r), " ");
		return o + rd_name_text(m, &r, out + o);
	case T_SRV:
		o = append_u32(out, 0, DNS_TEXT_MAX, rd_be16(&r), " ");
		o = append_u32(out, o, DNS_TEXT_MAX, rd_be16(&r), " ");
		o = append_u32(out, o, DNS_TEXT_MAX, rd_be16(&r), " ");
		return o + rd_name_text(m, &r, out + o);
	case T_SOA: {
		/* Two names of up to DNS_TEXT_MAX each do not fit: the second
		 * and the numbers are cut at the buffer's end. */
		char rname[DNS_TEXT_MAX];
		o = rd_name_text(m, &r, out);
		rd_name_text(m, &r, rname);
		o = append(out, o, DNS_TEXT_MAX, " ");
		o = append(out, o, DNS_TEXT_MAX, rname);
		o = append(out, o, DNS_TEXT_MAX, " ");
		for (int i = 0; i < 5; i++)
			o = append_u32(out, o, DNS_TEXT_MAX, rd_be32(&r), i < 4 ? " " : "");
		return o;
	}
	case T_TXT:
		/* Each character-string quoted, as in a zone file. */
		while (rd_left(&r) && o + 8 < DNS_TEXT_MAX) {
			uint8_t n = rd_u8(&r);
			if (o)
				out[o++] = ' ';
			out[o++] = '"';
			for (uint8_t k = 0; k < n && o + 8 < DNS_TEXT_MAX; k++) {
				o += text_byte(rd_u8(&r), out + o, 0);
			}
			out[o++] = '"';
		}
		out[o] = '\0';
		return o;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Names of codes.                                                     */

static const char *type_name(uint16_t t)
{
	static const struct {
		uint16_t t;
		const char *n;
	} names[] = {
		{1, "A"},         {2, "NS"},          {3, "MD"},        {4, "MF"},
		{5, "CNAME"},     {6, "SOA"},         {7, "MB"},        {8, "MG"},
		{9, "MR"},        {10, "NULL"},       {11, "WKS"},      {12, "PTR"},
		{13, "HINFO"},    {14, "MINFO"},      {15, "MX"},       {16, "TXT"},
		{17, "RP"},       {18, "AFSDB"},      {24, "SIG"},      {25, "KEY"},
		{28, "AAAA"},     {29, "LOC"},        {33, "SRV"},      {35, "NAPTR"},
		{36, "KX"},       {37, "CERT"},       {39, "DNAME"},    {41, "OPT"},
		{42, "APL"},      {43, "DS"},         {44, "SSHFP"},    {45, "IPSECKEY"},
		{46, "RRSIG"},    {47, "NSEC"},       {48, "DNSKEY"},   {49, "DHCID"},
		{50, "NSEC3"},    {51, "NSEC3PARAM"}, {52, "TLSA"},     {53, "SMIMEA"},
		{55, "HIP"},      {59, "CDS"},        {60, "CDNSKEY"},  {61, "OPENPGPKEY"},
		{62, "CSYNC"},    {63, "ZONEMD"},     {64, "SVCB"},     {65, "HTTPS"},
		{99, "SPF"},      {249, "TKEY"},      {250, "TSIG"},    {251, "IXFR"},
		{252, "AXFR"},    {253, "MAILB"},     {254, "MAILA"},   {255, "ANY"},
		{256, "URI"},     {257, "CAA"},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].t == t)
			return names[i].n;
	return NULL;
}

static const char *class_name(uint16_t c)
{
	switch (c) {
	case 1:
		return "IN";
	case 3:
		return "CH";
	case 4:
		return "HS";
	case 254:
		return "NONE";
	case 255:
		return "ANY";
	}
	return NULL;
}

static const char *opcode_name(uint8_t op)
{
	static const char *const names[16] = {"QUERY", "IQUERY", "STATUS", NULL, "NOTIFY",
					      "UPDATE", "DSO"};
	return names[op & 15];
}

static const char *rcode_name(uint16_t rc)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					    "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
					    "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI",
					    NULL, NULL, NULL, NULL,
					    "BADVERS", "BADKEY", "BADTIME", "BADMODE",
					    "BADNAME", "BADALG", "BADTRUNC", "BADCOOKIE"};
	return rc < sizeof(names) / sizeof(names[0]) ? names[rc] : NULL;
}

/* Writes name, or prefix followed by the number (RFC 3597's TYPE123). */
static void json_code(struct jw *w, const char *key, const char *name, const char *prefix,
		      uint32_t v)
{
	char buf[24];
	if (name) {
		jw_str(w, key, name);
		return;
	}
	size_t o = append(buf, 0, sizeof(buf), prefix);
	append_u32(buf, o, sizeof(buf), v, "");
	jw_str(w, key, buf);
}

/* ------------------------------------------------------------------ */
/* What a message changes in the flow's state.                         */

static uint16_t class_of(const struct dns_state *s, uint16_t class)
{
	return s->mdns ? class & 0x7fff : class; /* RFC 6762 5.4, 10.2 */
}

/* Records m as the flow's first transaction: its query, or its answer
 * (then also the answers and addresses). */
static void record_first(struct dns_state *s, const struct msg *m, uint32_t qhash)
{
	struct dns_first *fi = &s->first;
	char text[DNS_TEXT_MAX];
	int answer = (m->flags & F_QR) != 0;
	if (fi->kind == FIRST_NONE || !fi->has_q) {
		fi->id = m->id;
		fi->has_q = m->has_q;
		fi->qtype = m->qtype;
		fi->qclass = class_of(s, m->qclass);
		fi->qhash = qhash;
		fi->qname.off = SREF_NONE;
		if (m->has_q)
			pool_add(&s->pool, text, name_text(m->qwire, m->qwlen, text), &fi->qname);
	}
	fi->kind = answer ? FIRST_ANSWER : FIRST_QUERY;
	fi->opcode = (uint8_t)(m->flags >> 11 & 15);
	fi->flags = m->flags;
	fi->do_bit = m->do_bit;
	fi->rcode = (uint16_t)((uint16_t)m->ext_rcode << 4 | (m->flags & 15));
	if (!answer)
		return;
	for (size_t i = 0; i < m->n_an; i++) {
		const struct rr_ref *rr = &m->an_rr[i];
		if (rr->type == T_OPT)
			continue;
		size_t n = 0;
		if (rr->type == T_A || rr->type == T_AAAA) {
			n = rdata_text(m, rr, text);
			if (fi->n_ips < DNS_IPS_MAX)
				pool_add(&s->pool, text, n, &fi->ips[fi->n_ips++]);
		}
		if (fi->n_ans >= DNS_LIST_MAX)
			continue;
		struct dns_rr_out *o = &fi->ans[fi->n_ans++];
		uint8_t wire[DNS_NAME_WIRE_MAX];
		size_t wlen = rr_owner(m, rr, wire);
		pool_add(&s->pool, text, name_text(wire, wlen, text), &o->name);
		n = rdata_text(m, rr, text);
		o->data.off = SREF_NONE;
		if (n)
			pool_add(&s->pool, text, n, &o->data);
		o->type = rr->type;
		o->class = class_of(s, rr->class);
		o->ttl = rr->ttl;
	}
}

/* Finds the transaction m belongs to; NULL when it starts a new one. */
static struct dns_pending *find_pending(struct dns_state *s, const struct msg *m, uint32_t qhash)
{
	for (int i = 0; i < DNS_PENDING; i++) {
		struct dns_pending *p = &s->pending[i];
		if (p->used && p->id == m->id && p->qhash == qhash && p->qtype == m->qtype)
			return p;
	}
	return NULL;
}

/* Counts the transaction m starts or continues; returns 1 when new. */
static int track_transaction(struct dns_state *s, const struct msg *m, uint32_t qhash)
{
	int answer = (m->flags & F_QR) != 0;
	struct dns_pending *p = find_pending(s, m, qhash);
	if (p) {
		if (answer) {
			p->answered = 1; /* the answer, or a duplicate of it */
			return 0;
		}
		if (!p->answered)
			return 0; /* the query again: a retransmission */
		p->answered = 0; /* the same question again, after its answer */
	} else {
		p = &s->pending[s->pending_next];
		s->pending_next = (uint8_t)((s->pending_next + 1) % DNS_PENDING);
		p->used = 1;
		p->id = m->id;
		p->qtype = m->qtype;
		p->qhash = qhash;
		p->answered = (uint8_t)answer;
	}
	s->transactions++;
	if (s->n_queries < DNS_LIST_MAX && m->has_q) {
		char text[DNS_TEXT_MAX];
		pool_add(&s->pool, text, name_text(m->qwire, m->qwlen, text), &s->queries[s->n_queries]);
		if (s->queries[s->n_queries].off != SREF_NONE)
			s->n_queries++;
	}
	return 1;
}

/* One name of a CNAME chain and the shortest TTL on the way to it. */
struct chain_name {
	uint8_t wire[DNS_NAME_WIRE_MAX];
	size_t wlen;
	uint32_t ttl;
};

static int chain_find(const struct chain_name *set, size_t n, const uint8_t *w, size_t wlen)
{
	for (size_t i = 0; i < n; i++)
		if (name_eq(set[i].wire, set[i].wlen, w, wlen))
			return (int)i;
	return -1;
}

/* The names the question leads to through the answer's CNAMEs (the
 * question first); returns how many.  Answers may come in any order, so
 * passes repeat until no name is added; a CNAME loop adds nothing twice. */
static size_t follow_cnames(const struct dns_state *s, const struct msg *m,
			    struct chain_name *set)
{
	size_t n = 1;
	memcpy(set[0].wire, m->qwire, m->qwlen);
	set[0].wlen = m->qwlen;
	set[0].ttl = UINT32_MAX;
	for (int added = 1; added && n < DNS_CHAIN_MAX;) {
		added = 0;
		for (size_t i = 0; i < m->n_an && n < DNS_CHAIN_MAX; i++) {
			const struct rr_ref *rr = &m->an_rr[i];
			if (rr->type != T_CNAME || class_of(s, rr->class) != C_IN)
				continue;
			uint8_t owner[DNS_NAME_WIRE_MAX];
			size_t olen = rr_owner(m, rr, owner);
			int from = chain_find(set, n, owner, olen);
			if (from < 0)
				continue;
			struct rd r = rd_init(m->p + rr->rdata_off, rr->rdlen);
			if (read_name(&r, m->p, m->len, set[n].wire, &set[n].wlen) != P_OK ||
			    chain_find(set, n, set[n].wire, set[n].wlen) >= 0)
				continue;
			set[n].ttl = rr->ttl < set[from].ttl ? rr->ttl : set[from].ttl;
			n++;
			added = 1;
		}
	}
	return n;
}

/* An answer the device got: every A/AAAA at the end of the question's
 * CNAME chain goes into the cache under the question's name. */
static void feed_cache(struct dissect_ctx *c, const struct flow *f, const struct dns_state *s,
		       const struct msg *m)
{
	struct chain_name set[DNS_CHAIN_MAX];
	char qname[DNS_TEXT_MAX];
	struct ip_addr dev;
	uint16_t port;
	if (c->dns == NULL || !m->has_q || class_of(s, m->qclass) != C_IN ||
	    (m->flags >> 11 & 15) != 0 || (m->flags & 15) != 0 || m->ext_rcode != 0)
		return;
	size_t n = follow_cnames(s, m, set);
	name_text(m->qwire, m->qwlen, qname);
	flow_source(f, &dev, &port);
	for (size_t i = 0; i < m->n_an; i++) {
		const struct rr_ref *rr = &m->an_rr[i];
		if ((rr->type != T_A && rr->type != T_AAAA) || class_of(s, rr->class) != C_IN)
			continue;
		uint8_t owner[DNS_NAME_WIRE_MAX];
		size_t olen = rr_owner(m, rr, owner);
		int at = chain_find(set, n, owner, olen);
		if (at < 0)
			continue;
		struct ip_addr addr;
		memset(&addr, 0, sizeof(addr));
		addr.family = rr->type == T_A ? 4 : 6;
		struct rd r = rd_init(m->p + rr->rdata_off, rr->rdlen);
		rd_copy(&r, addr.a, rr->type == T_A ? 4 : 16);
		uint32_t ttl = rr->ttl < set[at].ttl ? rr->ttl : set[at].ttl;
		dns_cache_add(c->dns, &dev, &addr, qname, ttl, c->now_us);
	}
}

/* Whether the capture (snap length) cut the packet being dissected. */
static int packet_cut(const struct dissect_ctx *c)
{
	const struct packet *p = c->pkt;
	return p && (p->caplen < p->wirelen || p->l3_len < p->l3_wirelen);
}

/* One whole message (a datagram, or a TCP message without its length).
 * complete: the transport says these are all its bytes (TCP), so running
 * out is invalid; for UDP it is truncated when the capture cut the packet
 * (or the server set TC), invalid otherwise.  Returns the result. */
static enum pres dissect_msg(struct dissect_ctx *c, struct flow *f, struct dns_state *s, int dir,
			     const uint8_t *data, size_t len, int complete)
{
	struct msg m;
	cnt_inc(c->cnt, CNT_DIS_DNS_MESSAGES);
	enum pres res = parse_msg(&m, data, len);
	if (res == P_SHORT && (complete || !(packet_cut(c) || (m.flags & F_TC))))
		res = P_INVALID;
	if (res != P_OK) {
		cnt_inc(c->cnt, res == P_SHORT ? CNT_DIS_DNS_TRUNC : CNT_DIS_DNS_INVALID);
		return res;
	}
	uint32_t qhash = m.has_q ? name_hash(m.qwire, m.qwlen) : 0;
	track_transaction(s, &m, qhash);
	struct dns_first *fi = &s->first;
	if (fi->kind == FIRST_NONE)
		record_first(s, &m, qhash);
	else if (fi->kind == FIRST_QUERY && (m.flags & F_QR) && m.id == fi->id &&
		 qhash == fi->qhash && m.qtype == fi->qtype)
		record_first(s, &m, qhash);
	/* Only answers toward the device teach it names. */
	if ((m.flags & F_QR) && dir == 1)
		feed_cache(c, f, s, &m);
	return P_OK;
}

/* ------------------------------------------------------------------ */
/* Transports.                                                         */

static void dns_start(struct dissect_ctx *c, const struct flow *f, struct dns_state *s)
{
	if (s->counted)
		return;
	s->counted = 1;
	s->mdns = f->key.port_lo == DNS_PORT_MDNS || f->key.port_hi == DNS_PORT_MDNS;
	cnt_inc(c->cnt, CNT_DIS_DNS_FLOWS);
}

static void dns_parse_udp(struct dissect_ctx *c, struct flow *f, void *state, int dir,
			  const uint8_t *data, size_t len)
{
	struct dns_state *s = state;
	dns_start(c, f, s);
	dissect_msg(c, f, s, dir, data, len, 0);
}

static void tcp_drop(struct dns_tcp *t)
{
	free(t->buf);
	t->buf = NULL;
	t->have = 0;
	t->lenb_have = 0;
}

/* The length prefix is complete: decide what to do with the message. */
static void tcp_length(struct dissect_ctx *c, struct dns_tcp *t)
{
	t->need = (uint32_t)t->lenb[0] << 8 | t->lenb[1];
	t->have = 0;
	if (t->need < DNS_HDR_LEN) {
		/* No message is that short: the framing is lost or lies. */
		cnt_inc(c->cnt, CNT_DIS_DNS_MESSAGES);
		cnt_inc(c->cnt, CNT_DIS_DNS_INVALID);
		t->dead = 1;
	} else if (t->need > DNS_TCP_MSG_MAX) {
		cnt_inc(c->cnt, CNT_DIS_DNS_OVERSIZE);
		t->skip = t->need;
		t->lenb_have = 0;
	}
}

/* RFC 7766 8: in-order stream bytes; messages may be split anywhere and
 * several may share a segment.  A message that is whole in this chunk is
 * parsed in place; a split one is gathered in a buffer of its own length
 * (at most DNS_TCP_MSG_MAX). */
static void dns_parse_tcp(struct dissect_ctx *c, struct flow *f, void *state, int dir,
			  const uint8_t *data, size_t len)
{
	struct dns_state *s = state;
	struct dns_tcp *t = &s->tcp[dir & 1];
	struct rd r = rd_init(data, len);
	dns_start(c, f, s);
	while (rd_left(&r) && !t->dead) {
		if (t->skip) {
			size_t n = rd_left(&r) < t->skip ? rd_left(&r) : t->skip;
			rd_skip(&r, n);
			t->skip -= (uint32_t)n;
			continue;
		}
		if (t->lenb_have < 2) {
			t->lenb[t->lenb_have++] = rd_u8(&r);
			if (t->lenb_have == 2)
				tcp_length(c, t);
			continue;
		}
		if (t->buf == NULL && rd_left(&r) >= t->need) {
			struct rd msg = rd_sub(&r, t->need);
			t->lenb_have = 0;
			if (dissect_msg(c, f, s, dir, rd_ptr(&msg), t->need, 1) == P_INVALID)
				t->dead = 1; /* the framing is suspect from here on */
			continue;
		}
		if (t->buf == NULL && (t->buf = malloc(t->need)) == NULL) {
			t->dead = 1;
			continue;
		}
		size_t n = t->need - t->have;
		if (n > rd_left(&r))
			n = rd_left(&r);
		rd_copy(&r, t->buf + t->have, n);
		t->have += (uint32_t)n;
		if (t->have < t->need)
			continue;
		if (dissect_msg(c, f, s, dir, t->buf, t->need, 1) == P_INVALID)
			t->dead = 1;
		tcp_drop(t);
	}
}

/* Bytes were lost: a message being gathered is cut short, and where the
 * next length prefix starts is unknown, so this direction stops. */
static void dns_gap_tcp(struct dissect_ctx *c, struct flow *f, void *state, int dir)
{
	struct dns_state *s = state;
	struct dns_tcp *t = &s->tcp[dir & 1];
	if (!t->dead && t->lenb_have) {
		cnt_inc(c->cnt, CNT_DIS_DNS_MESSAGES);
		cnt_inc(c->cnt, CNT_DIS_DNS_TRUNC);
	}
	tcp_drop(t);
	t->skip = 0;
	t->dead = 1;
}

static void dns_free(void *state)
{
	struct dns_state *s = state;
	free(s->tcp[0].buf);
	free(s->tcp[1].buf);
	free(s->pool.buf);
}

/* ------------------------------------------------------------------ */
/* The flow event.                                                     */

static void dns_json_ecs(const void *state, struct jw *w)
{
	const struct dns_state *s = state;
	const struct dns_first *fi = &s->first;
	static const struct {
		uint16_t bit;
		const char *name;
	} flags[] = {{F_AA, "AA"}, {F_TC, "TC"}, {F_RD, "RD"}, {F_RA, "RA"},
		     {F_AD, "AD"}, {F_CD, "CD"}};
	if (fi->kind == FIRST_NONE)
		return;
	int answer = fi->kind == FIRST_ANSWER;
	jw_obj_begin(w, "dns");
	char id[8];
	append_u32(id, 0, sizeof(id), fi->id, "");
	jw_str(w, "id", id);
	json_code(w, "op_code", opcode_name(fi->opcode), "", fi->opcode);
	if ((fi->flags & (F_AA | F_TC | F_RD | F_RA | F_AD | F_CD)) || fi->do_bit) {
		jw_arr_begin(w, "header_flags");
		for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
			if (fi->flags & flags[i].bit)
				jw_str(w, NULL, flags[i].name);
		if (fi->do_bit)
			jw_str(w, NULL, "DO");
		jw_end(w);
	}
	if (answer)
		json_code(w, "response_code", rcode_name(fi->rcode), "RCODE", fi->rcode);
	jw_str(w, "type", answer ? "answer" : "query");
	if (fi->has_q) {
		jw_obj_begin(w, "question");
		json_sref(w, "name", &s->pool, fi->qname);
		json_code(w, "type", type_name(fi->qtype), "TYPE", fi->qtype);
		json_code(w, "class", class_name(fi->qclass), "CLASS", fi->qclass);
		jw_end(w);
	}
	if (answer && fi->n_ans) {
		jw_arr_begin(w, "answers");
		for (int i = 0; i < fi->n_ans; i++) {
			const struct dns_rr_out *a = &fi->ans[i];
			jw_obj_begin(w, NULL);
			json_sref(w, "name", &s->pool, a->name);
			json_code(w, "type", type_name(a->type), "TYPE", a->type);
			json_code(w, "class", class_name(a->class), "CLASS", a->class);
			jw_u64(w, "ttl", a->ttl);
			json_sref(w, "data", &s->pool, a->data);
			jw_end(w);
		}
		jw_end(w);
	}
	if (answer && fi->n_ips) {
		jw_arr_begin(w, "resolved_ip");
		for (int i = 0; i < fi->n_ips; i++)
			json_sref(w, NULL, &s->pool, fi->ips[i]);
		jw_end(w);
	}
	jw_end(w);
}

static void dns_json_apnwatch(const void *state, struct jw *w)
{
	const struct dns_state *s = state;
	if (s->transactions == 0)
		return;
	jw_obj_begin(w, "dns");
	jw_u64(w, "transactions", s->transactions);
	jw_arr_begin(w, "queries");
	for (int i = 0; i < s->n_queries; i++)
		json_sref(w, NULL, &s->pool, s->queries[i]);
	jw_end(w);
	jw_end(w);
}

static const uint16_t dns_udp_ports[] = {53, 5353, 5355, 0};
static const uint16_t dns_tcp_ports[] = {53, 0};
static const uint16_t dns_ndpi_ids[] = {NDPI_PROTOCOL_DNS, 0};

/* No probe: too many UDP payloads look like a DNS header.  The ports and
 * nDPI choose.  No server_name: a DNS flow is named by its question
 * (dns.question.name), not by destination.domain. */
const struct dissector dissector_dns = {
	.name = "dns",
	.transport = 17,
	.ports = dns_udp_ports,
	.ndpi_ids = dns_ndpi_ids,
	.state_size = sizeof(struct dns_state),
	.parse = dns_parse_udp,
	.free = dns_free,
	.json_ecs = dns_json_ecs,
	.json_apnwatch = dns_json_apnwatch,
};

/* TCP takes port 53 only: nDPI may name a flow after its first bytes went
 * by, and the length framing cannot be picked up in the middle. */
const struct dissector dissector_dns_tcp = {
	.name = "dns",
	.transport = 6,
	.ports = dns_tcp_ports,
	.state_size = sizeof(struct dns_state),
	.parse = dns_parse_tcp,
	.gap = dns_gap_tcp,
	.free = dns_free,
	.json_ecs = dns_json_ecs,
	.json_apnwatch = dns_json_apnwatch,
};

/* ------------------------------------------------------------------ */
/* The name cache.                                                     */
/*                                                                     */
/* One entry per (device, server address, name): CDN addresses answer  */
/* for many names, and a flow's event is written when the flow ends,   */
/* after later answers, so the names learnt before the flow started    */
/* must still be there.  Entries hash on (device, address) only, so    */
/* the names of one address share a chain; at most CACHE_NAMES_PER_ADDR */
/* per (device, address) (the one that expires first makes room), so a */
/* lookup reads a bounded chain: O(1) on average.  The table doubles   */
/* up to about max entries.  Entries also sit on a list, least         */
/* recently answered first, which the cap evicts from.                 */

#define CACHE_BUCKETS_MIN 256
#define CACHE_NAMES_PER_ADDR 8
#define CACHE_TTL_MAX 604800u /* 7 days, as resolvers cap (RFC 8767 4) */

struct dns_entry {
	struct dns_entry *hnext;
	struct dns_entry *older, *newer;
	uint64_t hash;
	/* The device held the name during [learnt_us, expire_us), and
	 * before that during [prev_learnt_us, prev_expire_us) (the name
	 * learnt again after a break; 0 and 0 when none). */
	uint64_t learnt_us, expire_us;
	uint64_t prev_learnt_us, prev_expire_us;
	struct ip_addr dev, srv;
	char name[];
};

struct dns_cache {
	struct counters *cnt;
	size_t max, n;
	size_t nbuckets, max_buckets; /* powers of two */
	struct dns_entry **bucket;
	struct dns_entry *oldest, *newest;
	uint64_t seed;
};

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t addr_hash(uint64_t h, const struct ip_addr *a)
{
	uint64_t w0, w1;
	memcpy(&w0, a->a, 8);
	memcpy(&w1, a->a + 8, 8);
	h = mix64(h ^ w0 ^ a->family);
	return mix64(h ^ w1);
}

/* Seeded, so answers cannot be chosen to pile into one chain. */
static uint64_t key_hash(const struct dns_cache *dc, const struct ip_addr *dev,
			 const struct ip_addr *srv)
{
	return addr_hash(addr_hash(dc->seed, dev), srv);
}

static int addr_eq(const struct ip_addr *x, const struct ip_addr *y)
{
	return x->family == y->family && memcmp(x->a, y->a, x->family == 4 ? 4 : 16) == 0;
}

/* Case-insensitive equality of two NUL-terminated names. */
static int text_eq(const char *a, const char *b)
{
	for (; *a && lower((uint8_t)*a) == lower((uint8_t)*b); a++, b++)
		;
	return *a == *b;
}

struct dns_cache *dns_cache_new(size_t max_entries, struct counters *c)
{
	struct dns_cache *dc = calloc(1, sizeof(*dc));
	if (dc == NULL)
		return NULL;
	dc->cnt = c;
	dc->max = max_entries;
	dc->max_buckets = CACHE_BUCKETS_MIN;
	while (dc->max_buckets < max_entries && dc->max_buckets < ((size_t)1 << 26))
		dc->max_buckets *= 2;
	dc->nbuckets = CACHE_BUCKETS_MIN;
	dc->bucket = calloc(dc->nbuckets, sizeof(*dc->bucket));
	if (dc->bucket == NULL) {
		free(dc);
		return NULL;
	}
	if (getrandom(&dc->seed, sizeof(dc->seed), GRND_NONBLOCK) != sizeof(dc->seed))
		dc->seed = mix64((uint64_t)(uintptr_t)dc ^ (uint64_t)time(NULL));
	return dc;
}

void dns_cache_free(struct dns_cache *dc)
{
	if (dc == NULL)
		return;
	struct dns_entry *e = dc->oldest;
	while (e) {
		struct dns_entry *next = e->newer;
		free(e);
		e = next;
	}
	free(dc->bucket);
	free(dc);
}

static int entry_is(const struct dns_entry *e, uint64_t h, const struct ip_addr *dev,
		    const struct ip_addr *srv)
{
	return e->hash == h && addr_eq(&e->dev, dev) && addr_eq(&e->srv, srv);
}

static void cache_remove(struct dns_cache *dc, struct dns_entry *e)
{
	struct dns_entry **pp = &dc->bucket[e->hash & (dc->nbuckets - 1)];
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->older)
		e->older->newer = e->newer;
	else
		dc->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		dc->newest = e->older;
	dc->n--;
	free(e);
}

/* Doubles the table when it holds more entries than buckets; stays as it
 * is when memory is short (chains only get longer). */
static void cache_grow(struct dns_cache *dc)
{
	if (dc->n <= dc->nbuckets || dc->nbuckets >= dc->max_buckets)
		return;
	size_t nb = dc->nbuckets * 2;
	struct dns_entry **b = calloc(nb, sizeof(*b));
	if (b == NULL)
		return;
	for (size_t i = 0; i < dc->nbuckets; i++) {
		struct dns_entry *e = dc->bucket[i];
		while (e) {
			struct dns_entry *next = e->hnext;
			e->hnext = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
			e = next;
		}
	}
	free(dc->bucket);
	dc->bucket = b;
	dc->nbuckets = nb;
}

/* TTL: RFC 2181 8 reads a TTL with the top bit set as 0; a TTL of 0 still
 * names flows started within the same second (the device uses the answer
 * it just got), so it counts as 1 s; over 7 days counts as 7 days.
 *
 * Expired entries are kept until the cap evicts them: flow events are
 * written when flows end, and look the name up at the flow's start, which
 * may be long past the answer's TTL. */
void dns_cache_add(struct dns_cache *dc, const struct ip_addr *device, const struct ip_addr *addr,
		   const char *name, uint32_t ttl, uint64_t now_us)
{
	if (dc == NULL || device == NULL || addr == NULL || name == NULL || dc->max == 0)
		return;
	if (ttl & 0x80000000u)
		ttl = 0;
	if (ttl == 0)
		ttl = 1;
	if (ttl > CACHE_TTL_MAX)
		ttl = CACHE_TTL_MAX;
	uint64_t expire = now_us + (uint64_t)ttl * 1000000;
	uint64_t learnt = now_us, prev_learnt = 0, prev_expire = 0;
	uint64_t h = key_hash(dc, device, addr);
	struct dns_entry *e, *same = NULL, *first_out = NULL;
	size_t names = 0;
	for (e = dc->bucket[h & (dc->nbuckets - 1)]; e; e = e->hnext) {
		if (!entry_is(e, h, device, addr))
			continue;
		if (text_eq(e->name, name))
			same = e;
		names++;
		if (first_out == NULL || e->expire_us < first_out->expire_us)
			first_out = e;
	}
	if (same) {
		if (same->expire_us > now_us && same->learnt_us <= now_us) {
			/* Again while the last answer still held: the device
			 * has known the name all along. */
			learnt = same->learnt_us;
			if (same->expire_us > expire)
				expire = same->expire_us;
			prev_learnt = same->prev_learnt_us;
			prev_expire = same->prev_expire_us;
		} else {
			/* Again after a break: keep the last interval too. */
			prev_learnt = same->learnt_us;
			prev_expire = same->expire_us;
		}
		cache_remove(dc, same);
	} else if (names >= CACHE_NAMES_PER_ADDR) {
		cache_remove(dc, first_out);
	}
	if (dc->n >= dc->max) {
		cache_remove(dc, dc->oldest);
		if (dc->cnt)
			cnt_inc(dc->cnt, CNT_DNS_CACHE_EVICTED);
	}
	size_t len = strnlen(name, DNS_TEXT_MAX - 1);
	e = malloc(sizeof(*e) + len + 1);
	if (e == NULL)
		return;
	memset(e, 0, sizeof(*e));
	memcpy(e->name, name, len);
	e->name[len] = '\0';
	e->hash = h;
	e->learnt_us = learnt;
	e->expire_us = expire;
	e->prev_learnt_us = prev_learnt;
	e->prev_expire_us = prev_expire;
	e->dev = *device;
	e->srv = *addr;
	e->hnext = dc->bucket[h & (dc->nbuckets - 1)];
	dc->bucket[h & (dc->nbuckets - 1)] = e;
	e->older = dc->newest;
	if (dc->newest)
		dc->newest->newer = e;
	else
		dc->oldest = e;
	dc->newest = e;
	dc->n++;
	if (dc->cnt)
		cnt_max(dc->cnt, CNT_DNS_CACHE_ENTRIES_MAX, dc->n);
	cache_grow(dc);
}

/* When e's name was held at now_us, the time it was learnt; else 0. */
static uint64_t held_since(const struct dns_entry *e, uint64_t now_us)
{
	if (now_us >= e->learnt_us && now_us < e->expire_us)
		return e->learnt_us ? e->learnt_us : 1;
	if (now_us >= e->prev_learnt_us && now_us < e->prev_expire_us)
		return e->prev_learnt_us ? e->prev_learnt_us : 1;
	return 0;
}

/* Of the names the device held for server at now_us (the flow's start),
 * the one it learnt last: never one learnt later, nor one whose TTL had
 * run out. */
const char *dns_cache_lookup(struct dns_cache *dc, const struct ip_addr *device,
			     const struct ip_addr *server, uint64_t now_us)
{
	if (dc == NULL || device == NULL || server == NULL)
		return NULL;
	uint64_t h = key_hash(dc, device, server), best_since = 0;
	const struct dns_entry *best = NULL;
	for (const struct dns_entry *e = dc->bucket[h & (dc->nbuckets - 1)]; e; e = e->hnext) {
		if (!entry_is(e, h, device, server))
			continue;
		uint64_t since = held_since(e, now_us);
		if (since > best_since) {
			best = e;
			best_since = since;
		}
	}
	if (best == NULL)
		return NULL;
	if (dc->cnt)
		cnt_inc(dc->cnt, CNT_DNS_CACHE_HITS);
	return best->name;
}
