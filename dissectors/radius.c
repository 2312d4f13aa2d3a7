/*
 * radius.c - RADIUS (RFC 2865 authentication, RFC 2866 accounting, RFC
 * 5176 dynamic authorization) with the IPv6 attributes of RFC 3162 and the
 * 3GPP vendor-specific attributes of 3GPP TS 29.061 section 16.4.7 (vendor
 * 10415; names as in FreeRADIUS' dictionary.3gpp).
 *
 * What we want from it is who the device is: an Accounting-Request Start
 * or Interim-Update ties the device's address (Framed-IP-Address or
 * Framed-IPv6-Prefix) to its IMSI, IMEISV, MSISDN and APN in the
 * subscriber table (src/identity.h); Stop ends that session;
 * Accounting-On/Off ends every session of the NAS that sent it.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Code      |  Identifier   |            Length             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                     Authenticator (16 octets)                 |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Attributes: Type(1) Length(1, >= 2, itself included) Value ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *   Vendor-Specific (26): Vendor-Id(4) then, for 3GPP (10415) as for most
 *   vendors, sub-attributes Vendor-Type(1) Vendor-Length(1, >= 2) Value.
 *
 * Length counts the whole message, 20..4096 (RFC 2865 section 3); bytes
 * after it are padding.  A length the datagram cannot hold is invalid when
 * the datagram arrived whole, and truncated when the capture cut the frame
 * short.  An attribute with a bad length makes the whole message invalid
 * (RFC 2865 section 5: "the entire request SHOULD be silently discarded"),
 * so such a message is counted but neither listed nor given to the
 * subscriber table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_protocol_ids.h>

#include "dissector.h"
#include "util-3gpp.h"
#include "identity.h"
#include "util-cidr.h"
#include "util-reader.h"

#define RAD_HDR_LEN 20
#define RAD_MAX_LEN 4096
#define RAD_MAX_LIST 16 /* messages listed per flow */
#define VENDOR_3GPP 10415

/* Attribute types (RFC 2865, 2866, 3162). */
enum {
	A_USER_NAME = 1,
	A_NAS_IP = 4,
	A_FRAMED_IP = 8,
	A_VSA = 26,
	A_CALLED_STATION = 30,
	A_CALLING_STATION = 31,
	A_NAS_IDENTIFIER = 32,
	A_ACCT_STATUS = 40,
	A_ACCT_SESSION_ID = 44,
	A_NAS_IPV6 = 95,
	A_FRAMED_IPV6_PREFIX = 97,
};

/* 3GPP vendor attribute types (TS 29.061 table 16.4.7.2). */
enum {
	V_IMSI = 1,
	V_CHARGING_ID = 2,
	V_PDP_TYPE = 3,
	V_IMSI_MCC_MNC = 8,
	V_NSAPI = 10,
	V_SGSN_MCC_MNC = 18,
	V_IMEISV = 20,
	V_RAT_TYPE = 21,
	V_ULI = 22,
	V_MS_TIMEZONE = 23,
};

/* Codes we name; the others are written as their number. */
static const char *code_name(unsigned code)
{
	switch (code) {
	case 1: return "Access-Request";
	case 2: return "Access-Accept";
	case 3: return "Access-Reject";
	case 4: return "Accounting-Request";
	case 5: return "Accounting-Response";
	case 11: return "Access-Challenge";
	case 12: return "Status-Server";
	case 13: return "Status-Client";
	case 40: return "Disconnect-Request";
	case 41: return "Disconnect-ACK";
	case 42: return "Disconnect-NAK";
	case 43: return "CoA-Request";
	case 44: return "CoA-ACK";
	case 45: return "CoA-NAK";
	}
	return NULL;
}

/* Acct-Status-Type values (RFC 2866 5.1, RFC 2867 4.1). */
static const char *status_name(unsigned v)
{
	static const char *const names[] = {
		NULL, "Start", "Stop", "Interim-Update", NULL, NULL, NULL, "Accounting-On",
		"Accounting-Off", "Tunnel-Start", "Tunnel-Stop", "Tunnel-Reject",
		"Tunnel-Link-Start", "Tunnel-Link-Stop", "Tunnel-Link-Reject", "Failed"};
	return v < sizeof(names) / sizeof(names[0]) ? names[v] : NULL;
}

#define N_STATUS 16 /* counted one by one; larger values go to "other" */

/* A bounded copy of a text attribute; longer values are cut. */
#define TEXT(name, cap) \
	uint8_t name##_len; \
	char name[cap]

/* 3GPP-User-Location-Info (TS 29.061 16.4.7.2 item 22): a geographic
 * location type, then the location as TS 29.274 8.21 codes it. */
struct rad_uli {
	uint8_t present;
	uint8_t type;
	uint8_t decoded;                 /* mcc/mnc and the ids below are set */
	char mcc[4], mnc[4];
	uint8_t has_lac, has_ci, has_tac, has_eci;
	uint16_t lac, ci;                /* CGI (0), SAI (1: ci is the SAC), RAI (2) */
	uint32_t tac, eci;               /* TAI (128), ECGI (129), both (130) */
};

/* What one message said. */
struct rad_msg {
	uint8_t code;
	uint8_t has_status, has_framed_ip, has_framed_v6, has_nas_ip, has_charging_id;
	uint8_t framed_v6_len;
	uint32_t status;
	uint32_t charging_id;
	int rat_type; /* -1: absent */
	struct ip_addr framed_ip, framed_v6, nas_ip;
	TEXT(user_name, 128);
	TEXT(session_id, 64);
	TEXT(msisdn, 32);
	TEXT(apn, 100);
	TEXT(nas_id, 64);
	TEXT(imsi, 16);
	TEXT(imeisv, 16);
	TEXT(imsi_mcc_mnc, 8);
	TEXT(sgsn_mcc_mnc, 8);
	struct rad_uli uli;
};

struct radius_state {
	uint8_t seen;
	const struct identity_table *id; /* for pseudonymised output */
	uint64_t messages, truncated, invalid;
	uint32_t codes[256];
	uint32_t status[N_STATUS], status_other;
	uint32_t listed_total; /* messages that would have been listed */
	uint8_t n_list, no_list;
	struct rad_msg *list; /* RAD_MAX_LIST, allocated at the first to list */
};

enum rad_res { R_OK = 0, R_TRUNC, R_INVALID };

/* A message running past the captured bytes: truncated when the capture
 * cut the frame (snap length), else the message lies about its length. */
static enum rad_res short_result(const struct dissect_ctx *c)
{
	if (c->pkt && c->pkt->caplen >= c->pkt->wirelen)
		return R_INVALID;
	return R_TRUNC;
}

static void text_copy(char *dst, uint8_t *dlen, size_t cap, struct rd *v)
{
	size_t n = rd_left(v);
	if (n > cap)
		n = cap;
	rd_copy(v, dst, n);
	*dlen = (uint8_t)n;
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Returns R_OK, or R_INVALID when the value is shorter than its type needs
 * or a digit is not one.  Unknown types are kept as their number only. */
static enum rad_res parse_uli(struct rad_uli *u, struct rd *v)
{
	memset(u, 0, sizeof(*u));
	u->present = 1;
	u->type = rd_u8(v);
	size_t need;
	switch (u->type) {
	case 0: /* CGI: LAC, CI */
	case 1: /* SAI: LAC, SAC */
		need = 7;
		break;
	case 2: /* RAI: LAC, RAC (and 0xFF) */
		need = 6;
		break;
	case 128: /* TAI */
		need = 5;
		break;
	case 129: /* ECGI */
		need = 7;
		break;
	case 130: /* TAI and ECGI */
		need = 12;
		break;
	default:
		return rd_ok(v) ? R_OK : R_INVALID;
	}
	if (!rd_ok(v) || rd_left(v) < need)
		return R_INVALID;
	if (tgpp_mcc_mnc(v, u->mcc, u->mnc) < 0)
		return R_INVALID;
	if (u->type <= 2) {
		u->lac = rd_be16(v);
		u->has_lac = 1;
		if (u->type != 2) {
			u->ci = rd_be16(v);
			u->has_ci = 1;
		}
	} else {
		if (u->type != 129) {
			u->tac = rd_be16(v);
			u->has_tac = 1;
		}
		if (u->type == 130) {
			char mcc2[4], mnc2[4];
			if (tgpp_mcc_mnc(v, mcc2, mnc2) < 0)
				return R_INVALID;
		}
		if (u->type != 128) {
			u->eci = rd_be32(v) & 0x0fffffff;
			u->has_eci = 1;
		}
	}
	u->decoded = 1;
	return rd_ok(v) ? R_OK : R_INVALID;
}

/* One 3GPP sub-attribute.  Fixed-size ones of the wrong size are invalid. */
static enum rad_res parse_3gpp(struct rad_msg *m, uint8_t type, struct rd *v)
{
	size_t n = rd_left(v);
	switch (type) {
	case V_IMSI:
		text_copy(m->imsi, &m->imsi_len, sizeof(m->imsi), v);
		return n >= 1 && n <= 15 && all_digits(m->imsi, m->imsi_len) ? R_OK : R_INVALID;
	case V_IMEISV:
		text_copy(m->imeisv, &m->imeisv_len, sizeof(m->imeisv), v);
		return n >= 14 && n <= 16 && all_digits(m->imeisv, m->imeisv_len) ? R_OK
										     : R_INVALID;
	case V_CHARGING_ID:
		if (n != 4)
			return R_INVALID;
		m->charging_id = rd_be32(v);
		m->has_charging_id = 1;
		return R_OK;
	case V_PDP_TYPE:
		return n == 4 ? R_OK : R_INVALID;
	case V_IMSI_MCC_MNC:
		text_copy(m->imsi_mcc_mnc, &m->imsi_mcc_mnc_len, sizeof(m->imsi_mcc_mnc), v);
		return R_OK;
	case V_SGSN_MCC_MNC:
		text_copy(m->sgsn_mcc_mnc, &m->sgsn_mcc_mnc_len, sizeof(m->sgsn_mcc_mnc), v);
		return R_OK;
	case V_NSAPI:
		return n == 1 ? R_OK : R_INVALID;
	case V_RAT_TYPE:
		if (n != 1)
			return R_INVALID;
		m->rat_type = rd_u8(v);
		return R_OK;
	case V_ULI:
		return parse_uli(&m->uli, v);
	case V_MS_TIMEZONE:
		return n == 2 ? R_OK : R_INVALID;
	}
	return R_OK;
}

/* Vendor-Specific: the vendor id, then (3GPP) sub-attributes filling the
 * value exactly. */
static enum rad_res parse_vsa(struct rad_msg *m, struct rd *v)
{
	uint32_t vendor = rd_be32(v);
	if (!rd_ok(v))
		return R_INVALID;
	if (vendor != VENDOR_3GPP)
		return R_OK;
	while (rd_left(v) > 0) {
		uint8_t t = rd_u8(v);
		uint8_t l = rd_u8(v);
		if (!rd_ok(v) || l < 2)
			return R_INVALID;
		struct rd sv = rd_sub(v, (size_t)l - 2);
		if (!rd_ok(v))
			return R_INVALID;
		enum rad_res res = parse_3gpp(m, t, &sv);
		if (res != R_OK)
			return res;
	}
	return R_OK;
}

static enum rad_res parse_addr(struct ip_addr *a, uint8_t *has, struct rd *v, uint8_t family)
{
	size_t n = family == 4 ? 4 : 16;
	if (rd_left(v) != n)
		return R_INVALID;
	memset(a, 0, sizeof(*a));
	a->family = family;
	rd_copy(v, a->a, n);
	*has = 1;
	return R_OK;
}

/* Framed-IPv6-Prefix (RFC 3162 2.3): Reserved(1) Prefix-Length(1) Prefix
 * (as many octets as the length needs, up to 16). */
static enum rad_res parse_v6_prefix(struct rad_msg *m, struct rd *v)
{
	rd_skip(v, 1);
	uint8_t plen = rd_u8(v);
	size_t have = rd_left(v);
	if (!rd_ok(v) || plen > 128 || have > 16 || have * 8 < plen)
		return R_INVALID;
	memset(&m->framed_v6, 0, sizeof(m->framed_v6));
	m->framed_v6.family = 6;
	rd_copy(v, m->framed_v6.a, have);
	/* Bits past the prefix length are not part of the prefix. */
	for (unsigned i = plen; i < 128; i++)
		m->framed_v6.a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	m->framed_v6_len = plen;
	m->has_framed_v6 = 1;
	return R_OK;
}

static enum rad_res parse_attr(struct rad_msg *m, uint8_t type, struct rd *v)
{
	size_t n = rd_left(v);
	switch (type) {
	case A_USER_NAME:
		text_copy(m->user_name, &m->user_name_len, sizeof(m->user_name), v);
		return n ? R_OK : R_INVALID;
	case A_NAS_IP:
		return parse_addr(&m->nas_ip, &m->has_nas_ip, v, 4);
	case A_NAS_IPV6: { /* NAS-IP-Address wins when both are there */
		struct ip_addr a;
		uint8_t has = 0;
		if (parse_addr(&a, &has, v, 6) != R_OK)
			return R_INVALID;
		if (!m->has_nas_ip || m->nas_ip.family == 6) {
			m->nas_ip = a;
			m->has_nas_ip = 1;
		}
		return R_OK;
	}
	case A_FRAMED_IP:
		return parse_addr(&m->framed_ip, &m->has_framed_ip, v, 4);
	case A_VSA:
		return parse_vsa(m, v);
	case A_CALLED_STATION:
		text_copy(m->apn, &m->apn_len, sizeof(m->apn), v);
		return R_OK;
	case A_CALLING_STATION:
		text_copy(m->msisdn, &m->msisdn_len, sizeof(m->msisdn), v);
		return R_OK;
	case A_NAS_IDENTIFIER:
		text_copy(m->nas_id, &m->nas_id_len, sizeof(m->nas_id), v);
		return R_OK;
	case A_ACCT_SESSION_ID:
		text_copy(m->session_id, &m->session_id_len, sizeof(m->session_id), v);
		return R_OK;
	case A_ACCT_STATUS:
		if (n != 4)
			return R_INVALID;
		m->status = rd_be32(v);
		m->has_status = 1;
		return R_OK;
	case A_FRAMED_IPV6_PREFIX:
		return parse_v6_prefix(m, v);
	}
	return R_OK;
}

/* The attributes of one message; cut: the capture lost the message's end. */
static enum rad_res parse_attrs(struct rad_msg *m, struct rd *body, int cut,
				const struct dissect_ctx *c)
{
	while (rd_left(body) > 0) {
		uint8_t t = rd_u8(body);
		uint8_t l = rd_u8(body);
		if (rd_ok(body) && l < 2)
			return R_INVALID;
		struct rd v = rd_sub(body, (size_t)l - 2);
		if (!rd_ok(body))
			return cut ? short_result(c) : R_INVALID;
		enum rad_res res = parse_attr(m, t, &v);
		if (res != R_OK)
			return res;
	}
	return cut ? short_result(c) : R_OK;
}

/* NUL-terminated copies of a message's texts, for the subscriber table. */
struct rad_cstr {
	char imsi[17], imei[17], msisdn[33], apn[101], session_id[65], nas[IP_ADDR_STRLEN + 64];
};

/* The NAS: NAS-IP-Address (or NAS-IPv6-Address), else NAS-Identifier,
 * else the address the message came from. */
static void nas_of(const struct rad_msg *m, const struct dissect_ctx *c, char *buf, size_t cap)
{
	buf[0] = 0;
	if (m->has_nas_ip)
		ip_addr_str(&m->nas_ip, buf, cap);
	else if (m->nas_id_len)
		tgpp_cstr(buf, cap, m->nas_id, m->nas_id_len);
	else if (c->pkt && c->pkt->src.family)
		ip_addr_str(&c->pkt->src, buf, cap);
}

/* Accounting tells the subscriber table what changed. */
static void tell_identity(struct dissect_ctx *c, const struct rad_msg *m)
{
	if (c->id == NULL || m->code != 4 || !m->has_status)
		return;
	struct rad_cstr t;
	struct subscriber_info si;
	memset(&si, 0, sizeof(si));
	nas_of(m, c, t.nas, sizeof(t.nas));
	if (m->status == 7 || m->status == 8) {
		identity_nas_reset(c->id, t.nas, c->now_us);
		return;
	}
	if (m->status != 1 && m->status != 2 && m->status != 3)
		return;
	tgpp_cstr(t.imsi, sizeof(t.imsi), m->imsi, m->imsi_len);
	tgpp_cstr(t.imei, sizeof(t.imei), m->imeisv, m->imeisv_len);
	tgpp_cstr(t.msisdn, sizeof(t.msisdn), m->msisdn, m->msisdn_len);
	tgpp_cstr(t.apn, sizeof(t.apn), m->apn, m->apn_len);
	tgpp_cstr(t.session_id, sizeof(t.session_id), m->session_id, m->session_id_len);
	si.source = ID_SRC_RADIUS;
	if (m->has_framed_ip) {
		si.addr = m->framed_ip;
		si.prefix_len = 32;
	} else if (m->has_framed_v6) {
		si.addr = m->framed_v6;
		si.prefix_len = m->framed_v6_len;
	}
	si.imsi = t.imsi;
	si.imei = t.imei;
	si.msisdn = t.msisdn;
	si.apn = t.apn;
	si.session_id = t.session_id;
	si.nas = t.nas;
	si.rat_type = m->rat_type;
	if (m->status == 2)
		identity_session_stop(c->id, &si, c->now_us);
	else if (si.addr.family) /* a session without an address maps nothing */
		identity_session_start(c->id, &si, c->now_us);
}

static void count_result(struct dissect_ctx *c, struct radius_state *s, enum rad_res res)
{
	if (res == R_TRUNC) {
		s->truncated++;
		cnt_inc(c->cnt, CNT_DIS_RADIUS_TRUNC);
	} else if (res == R_INVALID) {
		s->invalid++;
		cnt_inc(c->cnt, CNT_DIS_RADIUS_INVALID);
	}
}

static void radius_parse(struct dissect_ctx *c, struct flow *f, void *state, int dir,
			 const uint8_t *data, size_t len)
{
	struct radius_state *s = state;
	if (!s->seen) {
		s->seen = 1;
		cnt_inc(c->cnt, CNT_DIS_RADIUS_FLOWS);
	}
	s->id = c->id;
	cnt_inc(c->cnt, CNT_DIS_RADIUS_MESSAGES);
	s->messages++;

	struct rd r = rd_init(data, len);
	uint8_t code = rd_u8(&r);
	rd_skip(&r, 1); /* identifier */
	uint16_t mlen = rd_be16(&r);
	rd_skip(&r, 16); /* authenticator */
	if (!rd_ok(&r)) {
		count_result(c, s, short_result(c));
		return;
	}
	s->codes[code]++;
	if (mlen < RAD_HDR_LEN || mlen > RAD_MAX_LEN) {
		count_result(c, s, R_INVALID);
		return;
	}
	int cut;
	struct rd body = rd_sub_upto(&r, mlen - RAD_HDR_LEN, &cut);

	struct rad_msg m;
	memset(&m, 0, sizeof(m));
	m.code = code;
	m.rat_type = -1;
	enum rad_res res = parse_attrs(&m, &body, cut, c);
	count_result(c, s, res);
	if (res != R_OK)
		return;
	if (m.has_status) {
		if (m.status < N_STATUS)
			s->status[m.status]++;
		else
			s->status_other++;
	}
	if (code == 1 || code == 2 || code == 4) {
		s->listed_total++;
		if (s->list == NULL && !s->no_list) { /* without memory, only counted */
			s->list = calloc(RAD_MAX_LIST, sizeof(*s->list));
			s->no_list = s->list == NULL;
		}
		if (s->list && s->n_list < RAD_MAX_LIST)
			s->list[s->n_list++] = m;
	}
	tell_identity(c, &m);
}

/* ---- output ---- */

static void json_text(struct jw *w, const char *key, const char *s, uint8_t n)
{
	if (n)
		jw_strn(w, key, s, n);
}

/* An identifier as the output must show it: its pseudonym under
 * --pseudonymize (identity.h), else the value. */
static void json_uli(struct jw *w, const struct rad_uli *u)
{
	if (!u->present)
		return;
	jw_obj_begin(w, "uli");
	jw_u64(w, "type", u->type);
	if (u->decoded) {
		jw_str(w, "mcc", u->mcc);
		jw_str(w, "mnc", u->mnc);
		if (u->has_lac)
			jw_u64(w, "lac", u->lac);
		if (u->has_ci)
			jw_u64(w, u->type == 1 ? "sac" : "ci", u->ci);
		if (u->has_tac)
			jw_u64(w, "tac", u->tac);
		if (u->has_eci)
			jw_u64(w, "eci", u->eci);
	}
	jw_end(w);
}

static void json_msg(struct jw *w, const struct rad_msg *m, const struct identity_table *id)
{
	char buf[IP_ADDR_STRLEN + 4];
	const char *name = code_name(m->code);
	jw_obj_begin(w, NULL);
	jw_str(w, "code", name ? name : "?");
	if (m->has_status) {
		const char *sn = status_name(m->status);
		if (sn) {
			jw_str(w, "status", sn);
		} else {
			snprintf(buf, sizeof(buf), "%u", (unsigned)m->status);
			jw_str(w, "status", buf);
		}
	}
	json_text(w, "session_id", m->session_id, m->session_id_len);
	/* User-Name often is the IMSI, or an NAI holding it: a pseudonym too. */
	identity_json_id(w, "user_name", id, ID_KIND_IMSI, m->user_name, m->user_name_len);
	if (m->has_framed_ip)
		jw_str(w, "framed_ip", ip_addr_str(&m->framed_ip, buf, sizeof(buf)));
	if (m->has_framed_v6) {
		char a[IP_ADDR_STRLEN];
		snprintf(buf, sizeof(buf), "%s/%u", ip_addr_str(&m->framed_v6, a, sizeof(a)),
			 m->framed_v6_len);
		jw_str(w, "framed_ipv6_prefix", buf);
	}
	identity_json_id(w, "imsi", id, ID_KIND_IMSI, m->imsi, m->imsi_len);
	identity_json_id(w, "imeisv", id, ID_KIND_IMEI, m->imeisv, m->imeisv_len);
	identity_json_id(w, "msisdn", id, ID_KIND_MSISDN, m->msisdn, m->msisdn_len);
	json_text(w, "apn", m->apn, m->apn_len);
	if (m->rat_type >= 0)
		jw_u64(w, "rat_type", (uint64_t)m->rat_type);
	json_uli(w, &m->uli);
	if (m->has_charging_id)
		jw_u64(w, "charging_id", m->charging_id);
	json_text(w, "imsi_mcc_mnc", m->imsi_mcc_mnc, m->imsi_mcc_mnc_len);
	json_text(w, "sgsn_mcc_mnc", m->sgsn_mcc_mnc, m->sgsn_mcc_mnc_len);
	if (m->has_nas_ip)
		jw_str(w, "nas_ip", ip_addr_str(&m->nas_ip, buf, sizeof(buf)));
	json_text(w, "nas_identifier", m->nas_id, m->nas_id_len);
	jw_end(w);
}

static void radius_json_apnwatch(const void *state, struct jw *w)
{
	const struct radius_state *s = state;
	char num[16];
	if (!s->seen)
		return;
	jw_obj_begin(w, "radius");
	jw_u64(w, "messages", s->messages);
	tgpp_json_counts(w, "codes", s->codes, 256, code_name);
	jw_obj_begin(w, "status_types");
	for (unsigned i = 0; i < N_STATUS; i++) {
		if (!s->status[i])
			continue;
		const char *name = status_name(i);
		if (name == NULL) {
			snprintf(num, sizeof(num), "%u", i);
			name = num;
		}
		jw_u64(w, name, s->status[i]);
	}
	if (s->status_other)
		jw_u64(w, "other", s->status_other);
	jw_end(w);
	jw_arr_begin(w, "sessions");
	for (unsigned i = 0; i < s->n_list; i++)
		json_msg(w, &s->list[i], s->id);
	jw_end(w);
	jw_u64(w, "sessions_total", s->listed_total);
	if (s->truncated)
		jw_u64(w, "truncated", s->truncated);
	if (s->invalid)
		jw_u64(w, "invalid", s->invalid);
	jw_end(w);
}

static void radius_free(void *state)
{
	struct radius_state *s = state;
	free(s->list);
	s->list = NULL;
}

/* ---- probe and descriptor ---- */

static int code_known(unsigned code)
{
	return (code >= 1 && code <= 5) || (code >= 11 && code <= 13) ||
	       (code >= 40 && code <= 45);
}

/* A known code and a Length equal to the datagram's. */
static int radius_probe(const uint8_t *data, size_t len, int dir)
{
	struct rd r = rd_init(data, len);
	uint8_t code = rd_u8(&r);
	rd_skip(&r, 1);
	uint16_t mlen = rd_be16(&r);
	return rd_ok(&r) && code_known(code) && mlen >= RAD_HDR_LEN && mlen == len;
}

static const uint16_t radius_ports[] = {1812, 1813, 1645, 1646, 3799, 0};
static const uint16_t radius_ndpi[] = {NDPI_PROTOCOL_RADIUS, 0};

const struct dissector dissector_radius = {
	.name = "radius",
	.transport = 17,
	.ports = radius_ports,
	.ndpi_ids = radius_ndpi,
	.probe = radius_probe,
	.state_size = sizeof(struct radius_state),
	.parse = radius_parse,
	.free = radius_free,
	.json_apnwatch = radius_json_apnwatch,
};

