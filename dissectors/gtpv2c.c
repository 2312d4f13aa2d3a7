/*
 * gtpv2c.c - GTPv2-C, the EPC's control plane on S11, S5/S8, S2a/S2b
 * (3GPP TS 29.274), UDP port 2123.
 *
 * What we want from it is who the device is: a Create Session Request
 * names the subscriber (IMSI, MEI, MSISDN, APN, RAT), the accepted
 * Create Session Response gives the device its address (PAA) and the
 * user plane its GTP-U TEIDs; together they start a session in the
 * subscriber table (src/identity.h).  An accepted Delete Session Response
 * ends it.  Requests and responses are paired by sequence number within
 * the flow (a bounded table); what stays alone is counted as unmatched.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Ver=2|P|T|MP|sp| Message Type  |     Message Length (after     |
 *   |     | | |  |  |               |      the first 4 octets)      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |        TEID (4 octets, only when T is 1)                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Sequence Number (3 octets)           |    Spare      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | IE: Type(1) Length(2, of the value) CR/Instance(1) Value ...  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * P (piggybacking): another message follows this one in the datagram
 * (TS 29.274 5.5.1).  IMSI, MEI and MSISDN are TBCD (TS 29.274 8.3, 8.10,
 * 8.11): two digits an octet, low nibble first, 0xF filling the last one;
 * any other nibble above 9 makes the message invalid.  A message whose
 * length runs past the datagram is truncated when the capture cut the
 * frame, else invalid; so is an IE running past its message.  Messages
 * that are not version 2 (GTPv1-C shares port 2123) are counted apart.
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

#define G_MAX_LIST 16    /* Create Session exchanges listed per flow */
#define G_MAX_PENDING 16 /* requests waiting for their response, per flow */
#define G_MAX_ACTIVE 32  /* accepted sessions remembered for Delete Session */
#define G_MAX_TEIDS 4    /* user-plane F-TEIDs listed per session */
#define G_MAX_PIGGY 4    /* messages per datagram */
#define G_MAX_GROUP 2    /* Bearer Context nesting we follow */

/* Message types (TS 29.274 table 6.1-1). */
enum {
	M_ECHO_REQ = 1,
	M_ECHO_RESP = 2,
	M_CS_REQ = 32,
	M_CS_RESP = 33,
	M_MB_REQ = 34,
	M_MB_RESP = 35,
	M_DS_REQ = 36,
	M_DS_RESP = 37,
};

/* IE types (TS 29.274 table 8.1-1). */
enum {
	IE_IMSI = 1,
	IE_CAUSE = 2,
	IE_RECOVERY = 3,
	IE_APN = 71,
	IE_EBI = 73,
	IE_MEI = 75,
	IE_MSISDN = 76,
	IE_PAA = 79,
	IE_RAT = 82,
	IE_ULI = 86,
	IE_FTEID = 87,
	IE_BEARER_CTX = 93,
};

/* F-TEID interface types (TS 29.274 8.22) we care about. */
enum {
	IF_S1U_ENB = 0,
	IF_S1U_SGW = 1,
	IF_S5U_SGW = 4,
	IF_S5U_PGW = 5,
	IF_S5C_PGW = 7,
	IF_S2B_PGW_C = 32,
	IF_S2A_PGW_C = 36,
};

struct msg_name {
	uint8_t type;
	const char *name;
};

static const struct msg_name msg_names[] = {
	{1, "Echo Request"},
	{2, "Echo Response"},
	{3, "Version Not Supported Indication"},
	{25, "SRVCC PS to CS Request"},
	{26, "SRVCC PS to CS Response"},
	{27, "SRVCC PS to CS Complete Notification"},
	{28, "SRVCC PS to CS Complete Acknowledge"},
	{29, "SRVCC PS to CS Cancel Notification"},
	{30, "SRVCC PS to CS Cancel Acknowledge"},
	{31, "SRVCC CS to PS Request"},
	{32, "Create Session Request"},
	{33, "Create Session Response"},
	{34, "Modify Bearer Request"},
	{35, "Modify Bearer Response"},
	{36, "Delete Session Request"},
	{37, "Delete Session Response"},
	{38, "Change Notification Request"},
	{39, "Change Notification Response"},
	{40, "Remote UE Report Notification"},
	{41, "Remote UE Report Acknowledge"},
	{64, "Modify Bearer Command"},
	{65, "Modify Bearer Failure Indication"},
	{66, "Delete Bearer Command"},
	{67, "Delete Bearer Failure Indication"},
	{68, "Bearer Resource Command"},
	{69, "Bearer Resource Failure Indication"},
	{70, "Downlink Data Notification Failure Indication"},
	{71, "Trace Session Activation"},
	{72, "Trace Session Deactivation"},
	{73, "Stop Paging Indication"},
	{95, "Create Bearer Request"},
	{96, "Create Bearer Response"},
	{97, "Update Bearer Request"},
	{98, "Update Bearer Response"},
	{99, "Delete Bearer Request"},
	{100, "Delete Bearer Response"},
	{101, "Delete PDN Connection Set Request"},
	{102, "Delete PDN Connection Set Response"},
	{103, "PGW Downlink Triggering Notification"},
	{104, "PGW Downlink Triggering Acknowledge"},
	{128, "Identification Request"},
	{129, "Identification Response"},
	{130, "Context Request"},
	{131, "Context Response"},
	{132, "Context Acknowledge"},
	{133, "Forward Relocation Request"},
	{134, "Forward Relocation Response"},
	{135, "Forward Relocation Complete Notification"},
	{136, "Forward Relocation Complete Acknowledge"},
	{137, "Forward Access Context Notification"},
	{138, "Forward Access Context Acknowledge"},
	{139, "Relocation Cancel Request"},
	{140, "Relocation Cancel Response"},
	{141, "Configuration Transfer Tunnel"},
	{149, "Detach Notification"},
	{150, "Detach Acknowledge"},
	{151, "CS Paging Indication"},
	{152, "RAN Information Relay"},
	{153, "Alert MME Notification"},
	{154, "Alert MME Acknowledge"},
	{155, "UE Activity Notification"},
	{156, "UE Activity Acknowledge"},
	{157, "ISR Status Indication"},
	{158, "UE Registration Query Request"},
	{159, "UE Registration Query Response"},
	{160, "Create Forwarding Tunnel Request"},
	{161, "Create Forwarding Tunnel Response"},
	{162, "Suspend Notification"},
	{163, "Suspend Acknowledge"},
	{164, "Resume Notification"},
	{165, "Resume Acknowledge"},
	{166, "Create Indirect Data Forwarding Tunnel Request"},
	{167, "Create Indirect Data Forwarding Tunnel Response"},
	{168, "Delete Indirect Data Forwarding Tunnel Request"},
	{169, "Delete Indirect Data Forwarding Tunnel Response"},
	{170, "Release Access Bearers Request"},
	{171, "Release Access Bearers Response"},
	{176, "Downlink Data Notification"},
	{177, "Downlink Data Notification Acknowledge"},
	{179, "PGW Restart Notification"},
	{180, "PGW Restart Notification Acknowledge"},
	{200, "Update PDN Connection Set Request"},
	{201, "Update PDN Connection Set Response"},
	{211, "Modify Access Bearers Request"},
	{212, "Modify Access Bearers Response"},
	{231, "MBMS Session Start Request"},
	{232, "MBMS Session Start Response"},
	{233, "MBMS Session Update Request"},
	{234, "MBMS Session Update Response"},
	{235, "MBMS Session Stop Request"},
	{236, "MBMS Session Stop Response"},
};

static const char *msg_name(unsigned type)
{
	for (size_t i = 0; i < sizeof(msg_names) / sizeof(msg_names[0]); i++)
		if (msg_names[i].type == type)
			return msg_names[i].name;
	return NULL;
}

/* A request we pair with its response: the response's type. */
static int response_to(unsigned type)
{
	switch (type) {
	case M_ECHO_REQ:
	case M_CS_REQ:
	case M_MB_REQ:
	case M_DS_REQ:
		return (int)type + 1;
	}
	return 0;
}

static int is_response(unsigned type)
{
	return type == M_ECHO_RESP || type == M_CS_RESP || type == M_MB_RESP ||
	       type == M_DS_RESP;
}

#define TEXT(name, cap) \
	uint8_t name##_len; \
	char name[cap]

struct g_fteid {
	uint8_t present, iface;
	uint32_t teid;
	struct ip_addr v4, v6;
};

/* User Location Info (TS 29.274 8.21): the parts we decode. */
struct g_uli {
	uint8_t present, flags;
	uint8_t has_cgi, has_tai, has_ecgi;
	char mcc[4], mnc[4];
	uint16_t lac, ci, tac;
	uint32_t eci;
};

/* PDN Address Allocation (TS 29.274 8.14). */
struct g_paa {
	uint8_t present, pdn_type, v6_len, has_v4, has_v6;
	struct ip_addr v4, v6;
};

/* What one message said (bearer contexts flattened). */
struct g_msg {
	uint8_t type, has_teid;
	uint32_t teid, seq;
	int cause;    /* -1: absent */
	int rat_type; /* -1: absent */
	TEXT(imsi, 15);
	TEXT(mei, 16);
	TEXT(msisdn, 15);
	TEXT(apn, 100);
	struct g_paa paa;
	struct g_uli uli;
	struct g_fteid sender; /* top level, instance 0: the sender's control plane */
	struct g_fteid pgw_c;  /* top level, a PGW control-plane F-TEID */
	uint8_t n_user;
	struct g_fteid user[G_MAX_TEIDS]; /* in bearer contexts */
};

/* A user-plane F-TEID as listed. */
struct g_teid {
	uint8_t iface;
	uint32_t teid;
	struct ip_addr ip;
};

/* One Create Session exchange: the request's subscriber, the response's
 * verdict, address and tunnels. */
struct g_sess {
	uint8_t have_req, have_resp, n_teids;
	int cause, rat_type;
	TEXT(imsi, 15);
	TEXT(mei, 16);
	TEXT(msisdn, 15);
	TEXT(apn, 100);
	struct g_paa paa;
	struct g_uli uli;
	struct g_fteid sender; /* the requester's control plane */
	struct g_teid teids[G_MAX_TEIDS];
	uint32_t ul_teid, dl_teid; /* for the subscriber table */
	uint8_t ul_rank, dl_rank;
};

struct g_pending {
	uint8_t used, type, dir;
	uint32_t seq;
	uint64_t order;
	int list_idx; /* into the list, or -1 */
	struct g_sess sess; /* Create Session Requests only */
};

/* Sessions started, so that Delete Session can name what it ends. */
struct g_active {
	uint8_t used;
	uint32_t req_teid;
	struct g_paa paa;
	char sid[64];
};

/* Allocated at the flow's first request or response we pair. */
struct g_tables {
	uint64_t order;
	unsigned active_next;
	struct g_sess list[G_MAX_LIST];
	struct g_pending pending[G_MAX_PENDING];
	struct g_active active[G_MAX_ACTIVE];
};

struct gtpv2c_state {
	uint8_t seen, n_list, no_tables;
	const struct identity_table *id; /* for pseudonymised output */
	uint64_t messages, truncated, invalid, other_version, unmatched;
	uint32_t sessions_total;
	uint32_t types[256];
	struct g_tables *t;
};

enum g_res { G_OK = 0, G_TRUNC, G_INVALID };

/* Bytes running out: truncated when the capture cut the frame (snap
 * length), else the message lies about its length. */
static enum g_res short_result(const struct dissect_ctx *c)
{
	if (c->pkt && c->pkt->caplen >= c->pkt->wirelen)
		return G_INVALID;
	return G_TRUNC;
}

/* TBCD digits into out (at most cap).  Returns G_OK, or G_INVALID for a
 * nibble A-E, a digit after the 0xF filler, or more digits than cap. */
static enum g_res tbcd(struct rd *v, char *out, uint8_t *olen, size_t cap)
{
	size_t n = 0;
	int ended = 0;
	*olen = 0;
	while (rd_left(v) > 0) {
		uint8_t b = rd_u8(v);
		uint8_t d[2] = {b & 0x0f, b >> 4};
		for (int i = 0; i < 2; i++) {
			if (d[i] == 0x0f) {
				ended = 1;
				continue;
			}
			if (d[i] > 9 || ended || n == cap)
				return G_INVALID;
			out[n++] = (char)('0' + d[i]);
		}
	}
	*olen = (uint8_t)n;
	return n ? G_OK : G_INVALID;
}

/* APN (TS 29.274 8.6, TS 23.003 9.1): DNS-style labels, written dotted. */
static enum g_res parse_apn(struct g_msg *m, struct rd *v)
{
	size_t n = 0;
	while (rd_left(v) > 0) {
		uint8_t l = rd_u8(v);
		if (l == 0 || l > rd_left(v) || n + (n ? 1 : 0) + l > sizeof(m->apn))
			return G_INVALID;
		if (n)
			m->apn[n++] = '.';
		rd_copy(v, m->apn + n, l);
		n += l;
	}
	m->apn_len = (uint8_t)n;
	return G_OK;
}

/* PAA: PDN type (low 3 bits), then IPv4, or IPv6 prefix length + 16
 * octets, or both (IPv6 first). */
static enum g_res parse_paa(struct g_paa *p, struct rd *v)
{
	memset(p, 0, sizeof(*p));
	p->pdn_type = rd_u8(v) & 0x07;
	if (p->pdn_type == 2 || p->pdn_type == 3) {
		p->v6_len = rd_u8(v);
		p->v6.family = 6;
		rd_copy(v, p->v6.a, 16);
		p->has_v6 = 1;
		if (p->v6_len > 128)
			return G_INVALID;
	}
	if (p->pdn_type == 1 || p->pdn_type == 3) {
		p->v4.family = 4;
		rd_copy(v, p->v4.a, 4);
		p->has_v4 = 1;
	}
	if (!rd_ok(v))
		return G_INVALID;
	p->present = 1;
	return G_OK;
}

/* F-TEID: V4 V6 flags and the interface type, TEID, then the addresses. */
static enum g_res parse_fteid(struct g_fteid *t, struct rd *v)
{
	memset(t, 0, sizeof(*t));
	uint8_t b = rd_u8(v);
	t->iface = b & 0x3f;
	t->teid = rd_be32(v);
	if (b & 0x80) {
		t->v4.family = 4;
		rd_copy(v, t->v4.a, 4);
	}
	if (b & 0x40) {
		t->v6.family = 6;
		rd_copy(v, t->v6.a, 16);
	}
	if (!rd_ok(v))
		return G_INVALID;
	t->present = 1;
	return G_OK;
}

/* ULI: flags, then CGI SAI RAI TAI ECGI LAI (macro eNodeB ids follow, not
 * decoded), each present when its flag bit is. */
static enum g_res parse_uli(struct g_uli *u, struct rd *v)
{
	memset(u, 0, sizeof(*u));
	u->flags = rd_u8(v);
	char mcc[4], mnc[4];
	if (u->flags & 0x01) { /* CGI */
		if (tgpp_mcc_mnc(v, u->mcc, u->mnc) < 0)
			return G_INVALID;
		u->lac = rd_be16(v);
		u->ci = rd_be16(v);
		u->has_cgi = 1;
	}
	if (u->flags & 0x02) /* SAI */
		rd_skip(v, 7);
	if (u->flags & 0x04) /* RAI */
		rd_skip(v, 7);
	if (u->flags & 0x08) { /* TAI */
		if (tgpp_mcc_mnc(v, mcc, mnc) < 0)
			return G_INVALID;
		u->tac = rd_be16(v);
		u->has_tai = 1;
		memcpy(u->mcc, mcc, 4);
		memcpy(u->mnc, mnc, 4);
	}
	if (u->flags & 0x10) { /* ECGI */
		if (tgpp_mcc_mnc(v, mcc, mnc) < 0)
			return G_INVALID;
		u->eci = rd_be32(v) & 0x0fffffff;
		u->has_ecgi = 1;
		if (!u->has_tai) {
			memcpy(u->mcc, mcc, 4);
			memcpy(u->mnc, mnc, 4);
		}
	}
	if (!rd_ok(v))
		return G_INVALID;
	u->present = 1;
	return G_OK;
}

static enum g_res parse_ies(struct g_msg *m, struct rd *r, int depth, int cut,
			    const struct dissect_ctx *c);

static enum g_res parse_ie(struct g_msg *m, uint8_t type, uint8_t instance, struct rd *v,
			   int depth, const struct dissect_ctx *c)
{
	/* Only top-level IEs describe the message; inside a bearer context
	 * only the user-plane F-TEIDs matter (its Cause is the bearer's). */
	if (depth > 0 && type != IE_FTEID)
		return G_OK;
	switch (type) {
	case IE_IMSI:
		return tbcd(v, m->imsi, &m->imsi_len, sizeof(m->imsi));
	case IE_MEI:
		return tbcd(v, m->mei, &m->mei_len, sizeof(m->mei));
	case IE_MSISDN:
		return tbcd(v, m->msisdn, &m->msisdn_len, sizeof(m->msisdn));
	case IE_CAUSE:
		if (rd_left(v) < 2)
			return G_INVALID;
		m->cause = rd_u8(v);
		return G_OK;
	case IE_APN:
		return parse_apn(m, v);
	case IE_RAT:
		if (rd_left(v) < 1)
			return G_INVALID;
		m->rat_type = rd_u8(v);
		return G_OK;
	case IE_PAA:
		return parse_paa(&m->paa, v);
	case IE_ULI:
		return parse_uli(&m->uli, v);
	case IE_BEARER_CTX:
		if (depth + 1 >= G_MAX_GROUP)
			return G_OK;
		return parse_ies(m, v, depth + 1, 0, c);
	case IE_FTEID: {
		struct g_fteid t;
		if (parse_fteid(&t, v) != G_OK)
			return G_INVALID;
		if (depth > 0) {
			if (m->n_user < G_MAX_TEIDS)
				m->user[m->n_user++] = t;
		} else if (instance == 0) {
			m->sender = t;
		}
		if (depth == 0 && (t.iface == IF_S5C_PGW || t.iface == IF_S2B_PGW_C ||
				   t.iface == IF_S2A_PGW_C))
			m->pgw_c = t;
		return G_OK;
	}
	}
	return G_OK;
}

/* IEs until the window ends; cut: the capture lost the window's end. */
static enum g_res parse_ies(struct g_msg *m, struct rd *r, int depth, int cut,
			    const struct dissect_ctx *c)
{
	while (rd_left(r) > 0) {
		uint8_t type = rd_u8(r);
		uint16_t len = rd_be16(r);
		uint8_t inst = rd_u8(r) & 0x0f;
		struct rd v = rd_sub(r, len);
		if (!rd_ok(r))
			return cut ? short_result(c) : G_INVALID;
		enum g_res res = parse_ie(m, type, inst, &v, depth, c);
		if (res != G_OK)
			return res;
	}
	return cut ? short_result(c) : G_OK;
}

/* ---- pairing and the subscriber table ---- */

static int cause_accepted(int cause)
{
	return cause >= 16 && cause <= 19; /* TS 29.274 8.4: the acceptance causes */
}

static void addr_of(const struct g_fteid *t, struct ip_addr *a)
{
	*a = t->v4.family ? t->v4 : t->v6;
}

/* "teid@address" of the requester's control-plane F-TEID. */
static void session_id(char *buf, size_t cap, uint32_t teid, const struct ip_addr *a)
{
	char ip[IP_ADDR_STRLEN];
	snprintf(buf, cap, "%08x@%s", teid, ip_addr_str(a, ip, sizeof(ip)));
}

/* The user-plane F-TEIDs of m's bearer contexts join the session.  For the
 * subscriber table, uplink is what the core side receives on (PGW S5/S8-U,
 * else SGW S1-U), downlink what the access side does (SGW S5/S8-U, else
 * eNodeB S1-U). */
static void sess_add_teids(struct g_sess *ss, const struct g_msg *m)
{
	for (unsigned i = 0; i < m->n_user; i++) {
		const struct g_fteid *t = &m->user[i];
		if (ss->n_teids < G_MAX_TEIDS) {
			struct g_teid *o = &ss->teids[ss->n_teids++];
			o->iface = t->iface;
			o->teid = t->teid;
			addr_of(t, &o->ip);
		}
		uint8_t rank = (t->iface == IF_S5U_PGW || t->iface == IF_S5U_SGW) ? 2 : 1;
		if ((t->iface == IF_S5U_PGW || t->iface == IF_S1U_SGW) && rank > ss->ul_rank) {
			ss->ul_rank = rank;
			ss->ul_teid = t->teid;
		}
		if ((t->iface == IF_S5U_SGW || t->iface == IF_S1U_ENB) && rank > ss->dl_rank) {
			ss->dl_rank = rank;
			ss->dl_teid = t->teid;
		}
	}
}

static void sess_from_request(struct g_sess *ss, const struct g_msg *m)
{
	memset(ss, 0, sizeof(*ss));
	ss->have_req = 1;
	ss->cause = -1;
	ss->rat_type = m->rat_type;
	memcpy(ss->imsi, m->imsi, ss->imsi_len = m->imsi_len);
	memcpy(ss->mei, m->mei, ss->mei_len = m->mei_len);
	memcpy(ss->msisdn, m->msisdn, ss->msisdn_len = m->msisdn_len);
	memcpy(ss->apn, m->apn, ss->apn_len = m->apn_len);
	ss->paa = m->paa;
	ss->uli = m->uli;
	ss->sender = m->sender;
	sess_add_teids(ss, m);
}

static void sess_add_response(struct g_sess *ss, const struct g_msg *m)
{
	ss->have_resp = 1;
	ss->cause = m->cause;
	/* Identities a response carries fill in for a request not seen. */
	if (!ss->imsi_len)
		memcpy(ss->imsi, m->imsi, ss->imsi_len = m->imsi_len);
	if (!ss->mei_len)
		memcpy(ss->mei, m->mei, ss->mei_len = m->mei_len);
	if (!ss->msisdn_len)
		memcpy(ss->msisdn, m->msisdn, ss->msisdn_len = m->msisdn_len);
	if (!ss->apn_len)
		memcpy(ss->apn, m->apn, ss->apn_len = m->apn_len);
	if (m->paa.present) /* the address given wins over the one asked for */
		ss->paa = m->paa;
	if (ss->rat_type < 0)
		ss->rat_type = m->rat_type;
	sess_add_teids(ss, m);
}

static struct g_pending *pending_find(struct g_tables *t, uint8_t req_type, uint32_t seq,
				      int dir)
{
	for (size_t i = 0; i < G_MAX_PENDING; i++) {
		struct g_pending *p = &t->pending[i];
		if (p->used && p->type == req_type && p->seq == seq && p->dir == dir)
			return p;
	}
	return NULL;
}

static void count_unmatched(struct dissect_ctx *c, struct gtpv2c_state *s)
{
	s->unmatched++;
	cnt_inc(c->cnt, CNT_DIS_GTPV2C_UNMATCHED);
}

/* A free slot, or the oldest request's, which then never meets its
 * response: unmatched. */
static struct g_pending *pending_slot(struct dissect_ctx *c, struct gtpv2c_state *s)
{
	struct g_tables *t = s->t;
	struct g_pending *old = &t->pending[0];
	for (size_t i = 0; i < G_MAX_PENDING; i++) {
		if (!t->pending[i].used)
			return &t->pending[i];
		if (t->pending[i].order < old->order)
			old = &t->pending[i];
	}
	count_unmatched(c, s);
	return old;
}

static struct g_active *active_find(struct g_tables *t, uint32_t teid)
{
	for (size_t i = 0; i < G_MAX_ACTIVE; i++)
		if (t->active[i].used && t->active[i].req_teid == teid)
			return &t->active[i];
	return NULL;
}

struct g_cstr {
	char imsi[16], mei[17], msisdn[16], apn[101], sid[64], sid6[68], nas[IP_ADDR_STRLEN];
};

/* An accepted Create Session: the session starts.  An IPv4v6 PDN makes two
 * sessions, one per address; the IPv6 one's id ends in "#v6". */
static void session_start(struct dissect_ctx *c, struct gtpv2c_state *s, const struct g_sess *ss,
			  const struct g_msg *resp)
{
	const struct g_paa *paa = &ss->paa;
	if (!ss->sender.present || !paa->present || (!paa->has_v4 && !paa->has_v6))
		return;
	struct g_cstr t;
	struct ip_addr ra, pgw;
	addr_of(&ss->sender, &ra);
	session_id(t.sid, sizeof(t.sid), ss->sender.teid, &ra);
	snprintf(t.sid6, sizeof(t.sid6), "%s#v6", t.sid);
	memset(&pgw, 0, sizeof(pgw));
	if (resp->pgw_c.present)
		addr_of(&resp->pgw_c, &pgw);
	else if (c->pkt)
		pgw = c->pkt->src; /* the response came from the PGW (S5/S8) */
	ip_addr_str(&pgw, t.nas, sizeof(t.nas));

	struct g_active *a = active_find(s->t, ss->sender.teid);
	if (a == NULL)
		a = &s->t->active[s->t->active_next++ % G_MAX_ACTIVE];
	memset(a, 0, sizeof(*a));
	a->used = 1;
	a->req_teid = ss->sender.teid;
	a->paa = *paa;
	memcpy(a->sid, t.sid, sizeof(a->sid));
	if (c->id == NULL)
		return;

	tgpp_cstr(t.imsi, sizeof(t.imsi), ss->imsi, ss->imsi_len);
	tgpp_cstr(t.mei, sizeof(t.mei), ss->mei, ss->mei_len);
	tgpp_cstr(t.msisdn, sizeof(t.msisdn), ss->msisdn, ss->msisdn_len);
	tgpp_cstr(t.apn, sizeof(t.apn), ss->apn, ss->apn_len);
	struct subscriber_info si;
	memset(&si, 0, sizeof(si));
	si.source = ID_SRC_GTPV2C;
	si.imsi = t.imsi;
	si.imei = t.mei;
	si.msisdn = t.msisdn;
	si.apn = t.apn;
	si.nas = t.nas;
	si.rat_type = ss->rat_type;
	si.teid[0] = ss->ul_teid;
	si.teid[1] = ss->dl_teid;
	if (paa->has_v4) {
		si.addr = paa->v4;
		si.prefix_len = 32;
		si.session_id = t.sid;
		identity_session_start(c->id, &si, c->now_us);
	}
	if (paa->has_v6) {
		si.addr = paa->v6;
		si.prefix_len = paa->v6_len;
		si.session_id = paa->has_v4 ? t.sid6 : t.sid;
		identity_session_start(c->id, &si, c->now_us);
	}
}

/* An accepted Delete Session Response: its TEID is the requester's
 * control-plane TEID, and it goes to the requester. */
static void session_stop(struct dissect_ctx *c, struct gtpv2c_state *s, const struct g_msg *resp)
{
	struct g_cstr t;
	struct subscriber_info si;
	memset(&si, 0, sizeof(si));
	si.source = ID_SRC_GTPV2C;
	si.rat_type = -1;
	struct g_active *a = active_find(s->t, resp->teid);
	struct g_paa paa;
	memset(&paa, 0, sizeof(paa));
	int dual = 1; /* not knowing the session, end both of a pair */
	if (a) {
		memcpy(t.sid, a->sid, sizeof(t.sid));
		paa = a->paa;
		dual = paa.has_v4 && paa.has_v6;
		a->used = 0;
	} else {
		struct ip_addr none = {0, {0}};
		session_id(t.sid, sizeof(t.sid), resp->teid, c->pkt ? &c->pkt->dst : &none);
	}
	if (c->id == NULL)
		return;
	si.session_id = t.sid;
	if (paa.has_v4) {
		si.addr = paa.v4;
		si.prefix_len = 32;
	} else if (paa.has_v6) {
		si.addr = paa.v6;
		si.prefix_len = paa.v6_len;
	}
	identity_session_stop(c->id, &si, c->now_us);
	if (dual) {
		snprintf(t.sid6, sizeof(t.sid6), "%s#v6", t.sid);
		si.session_id = t.sid6;
		si.addr = paa.v6;
		si.prefix_len = paa.v6_len;
		identity_session_stop(c->id, &si, c->now_us);
	}
}

/* A listed session, or NULL past the cap. */
static struct g_sess *list_add(struct gtpv2c_state *s)
{
	s->sessions_total++;
	if (s->n_list >= G_MAX_LIST)
		return NULL;
	return &s->t->list[s->n_list++];
}

/* A response meets its request (sent the other way), or is unmatched. */
static void on_response(struct dissect_ctx *c, struct gtpv2c_state *s, const struct g_msg *m,
			int dir)
{
	struct g_pending *p = pending_find(s->t, (uint8_t)(m->type - 1), m->seq, !dir);
	if (m->type == M_DS_RESP && cause_accepted(m->cause))
		session_stop(c, s, m);
	if (p == NULL) {
		count_unmatched(c, s);
		struct g_sess *ls = m->type == M_CS_RESP ? list_add(s) : NULL;
		if (ls) {
			memset(ls, 0, sizeof(*ls));
			ls->rat_type = -1;
			sess_add_response(ls, m);
		}
		return;
	}
	if (m->type == M_CS_RESP) {
		sess_add_response(&p->sess, m);
		if (p->list_idx >= 0)
			s->t->list[p->list_idx] = p->sess;
		if (cause_accepted(m->cause))
			session_start(c, s, &p->sess, m);
	}
	p->used = 0;
}

static void on_request(struct dissect_ctx *c, struct gtpv2c_state *s, const struct g_msg *m,
		       int dir)
{
	struct g_pending *p = pending_find(s->t, m->type, m->seq, dir);
	int list_idx = -1;
	if (p) { /* a retransmission: it keeps its first copy's place */
		list_idx = p->list_idx;
	} else {
		p = pending_slot(c, s);
		if (m->type == M_CS_REQ && list_add(s))
			list_idx = s->n_list - 1;
	}
	memset(p, 0, sizeof(*p));
	p->used = 1;
	p->type = m->type;
	p->dir = (uint8_t)dir;
	p->seq = m->seq;
	p->order = ++s->t->order;
	p->list_idx = list_idx;
	if (m->type == M_CS_REQ) {
		sess_from_request(&p->sess, m);
		if (list_idx >= 0)
			s->t->list[list_idx] = p->sess;
	}
}

/* Requests and responses we pair go through the tables, allocated on
 * first use; without memory the flow is only counted. */
static void pair(struct dissect_ctx *c, struct gtpv2c_state *s, const struct g_msg *m, int dir)
{
	if (!response_to(m->type) && !is_response(m->type))
		return;
	if (s->t == NULL && !s->no_tables) {
		s->t = calloc(1, sizeof(*s->t));
		s->no_tables = s->t == NULL;
	}
	if (s->t == NULL)
		return;
	if (response_to(m->type))
		on_request(c, s, m, dir);
	else
		on_response(c, s, m, dir);
}

/* ---- messages ---- */

static void count_result(struct dissect_ctx *c, struct gtpv2c_state *s, enum g_res res)
{
	if (res == G_TRUNC) {
		s->truncated++;
		cnt_inc(c->cnt, CNT_DIS_GTPV2C_TRUNC);
	} else if (res == G_INVALID) {
		s->invalid++;
		cnt_inc(c->cnt, CNT_DIS_GTPV2C_INVALID);
	}
}

/* One message from r's cursor.  Returns 1 when another one follows
 * (piggybacking) and r is at its first byte. */
static int parse_message(struct dissect_ctx *c, struct gtpv2c_state *s, struct rd *r, int dir,
			 struct g_msg *m)
{
	uint8_t flags = rd_u8(r);
	uint8_t type = rd_u8(r);
	uint16_t len = rd_be16(r);
	if (!rd_ok(r)) {
		count_result(c, s, short_result(c));
		return 0;
	}
	if ((flags >> 5) != 2) {
		s->other_version++;
		cnt_inc(c->cnt, CNT_DIS_GTPV2C_OTHER_VERSION);
		return 0;
	}
	cnt_inc(c->cnt, CNT_DIS_GTPV2C_MESSAGES);
	s->messages++;
	s->types[type]++;
	size_t hdr = (flags & 0x08) ? 8 : 4;
	if (len < hdr) {
		count_result(c, s, G_INVALID);
		return 0;
	}
	int cut;
	struct rd body = rd_sub_upto(r, len, &cut);
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->cause = m->rat_type = -1;
	if (flags & 0x08) {
		m->has_teid = 1;
		m->teid = rd_be32(&body);
	}
	m->seq = rd_be24(&body);
	rd_skip(&body, 1); /* spare, or message priority */
	enum g_res res = rd_ok(&body) ? parse_ies(m, &body, 0, cut, c) : short_result(c);
	count_result(c, s, res);
	if (res == G_OK)
		pair(c, s, m, dir);
	return res == G_OK && (flags & 0x10) && rd_left(r) > 0;
}

static void gtpv2c_parse(struct dissect_ctx *c, struct flow *f, void *state, int dir,
			 const uint8_t *data, size_t len)
{
	struct gtpv2c_state *s = state;
	if (!s->seen) {
		s->seen = 1;
		cnt_inc(c->cnt, CNT_DIS_GTPV2C_FLOWS);
	}
	s->id = c->id;
	struct rd r = rd_init(data, len);
	struct g_msg m; /* large: one per datagram, reused for piggybacked ones */
	for (int i = 0; i < G_MAX_PIGGY; i++)
		if (!parse_message(c, s, &r, dir, &m))
			break;
}

/* ---- output ---- */

static void json_addr(struct jw *w, const char *key, const struct ip_addr *a)
{
	char buf[IP_ADDR_STRLEN];
	jw_str(w, key, ip_addr_str(a, buf, sizeof(buf)));
}

static void json_paa(struct jw *w, const struct g_paa *p)
{
	static const char *const types[] = {"0", "ipv4", "ipv6", "ipv4v6", "non-ip", "ethernet",
					    "6", "7"};
	char buf[IP_ADDR_STRLEN + 4], a[IP_ADDR_STRLEN];
	jw_obj_begin(w, "paa");
	jw_str(w, "pdn_type", types[p->pdn_type & 7]);
	if (p->has_v4)
		json_addr(w, "ipv4", &p->v4);
	if (p->has_v6) {
		snprintf(buf, sizeof(buf), "%s/%u", ip_addr_str(&p->v6, a, sizeof(a)), p->v6_len);
		jw_str(w, "ipv6", buf);
	}
	jw_end(w);
}

static void json_uli(struct jw *w, const struct g_uli *u)
{
	jw_obj_begin(w, "uli");
	if (u->has_cgi || u->has_tai || u->has_ecgi) {
		jw_str(w, "mcc", u->mcc);
		jw_str(w, "mnc", u->mnc);
	}
	if (u->has_cgi) {
		jw_u64(w, "lac", u->lac);
		jw_u64(w, "ci", u->ci);
	}
	if (u->has_tai)
		jw_u64(w, "tac", u->tac);
	if (u->has_ecgi)
		jw_u64(w, "eci", u->eci);
	jw_end(w);
}

/* An identifier as the output must show it: its pseudonym under
 * --pseudonymize (identity.h), else the value. */
static void json_session(struct jw *w, const struct g_sess *ss, const struct identity_table *id)
{
	jw_obj_begin(w, NULL);
	identity_json_id(w, "imsi", id, ID_KIND_IMSI, ss->imsi, ss->imsi_len);
	identity_json_id(w, "mei", id, ID_KIND_IMEI, ss->mei, ss->mei_len);
	identity_json_id(w, "msisdn", id, ID_KIND_MSISDN, ss->msisdn, ss->msisdn_len);
	if (ss->apn_len)
		jw_strn(w, "apn", ss->apn, ss->apn_len);
	if (ss->paa.present)
		json_paa(w, &ss->paa);
	if (ss->rat_type >= 0)
		jw_u64(w, "rat_type", (uint64_t)ss->rat_type);
	if (ss->uli.present)
		json_uli(w, &ss->uli);
	if (ss->cause >= 0)
		jw_u64(w, "cause", (uint64_t)ss->cause);
	if (ss->sender.present) {
		char sid[64];
		struct ip_addr a;
		addr_of(&ss->sender, &a);
		session_id(sid, sizeof(sid), ss->sender.teid, &a);
		jw_str(w, "session_id", sid);
	}
	jw_arr_begin(w, "teids");
	for (unsigned i = 0; i < ss->n_teids; i++) {
		jw_obj_begin(w, NULL);
		jw_u64(w, "interface", ss->teids[i].iface);
		jw_u64(w, "teid", ss->teids[i].teid);
		if (ss->teids[i].ip.family)
			json_addr(w, "ip", &ss->teids[i].ip);
		jw_end(w);
	}
	jw_end(w);
	jw_end(w);
}

static void gtpv2c_json_apnwatch(const void *state, struct jw *w)
{
	const struct gtpv2c_state *s = state;
	if (!s->seen)
		return;
	uint64_t unmatched = s->unmatched; /* and requests still waiting */
	for (size_t i = 0; s->t && i < G_MAX_PENDING; i++)
		unmatched += s->t->pending[i].used;
	jw_obj_begin(w, "gtpv2c");
	jw_u64(w, "messages", s->messages);
	tgpp_json_counts(w, "types", s->types, 256, msg_name);
	jw_arr_begin(w, "sessions");
	for (unsigned i = 0; s->t && i < s->n_list; i++)
		json_session(w, &s->t->list[i], s->id);
	jw_end(w);
	jw_u64(w, "sessions_total", s->sessions_total);
	jw_u64(w, "unmatched", unmatched);
	if (s->truncated)
		jw_u64(w, "truncated", s->truncated);
	if (s->invalid)
		jw_u64(w, "invalid", s->invalid);
	if (s->other_version)
		jw_u64(w, "other_version", s->other_version);
	jw_end(w);
}

static void gtpv2c_free(void *state)
{
	struct gtpv2c_state *s = state;
	free(s->t);
	s->t = NULL;
}

/* ---- probe and descriptor ---- */

/* Version 2, a known message type, and a length that ends the datagram
 * (or, with P, leaves room for a piggybacked message). */
static int gtpv2c_probe(const uint8_t *data, size_t len, int dir)
{
	struct rd r = rd_init(data, len);
	uint8_t flags = rd_u8(&r);
	uint8_t type = rd_u8(&r);
	uint16_t mlen = rd_be16(&r);
	if (!rd_ok(&r) || (flags >> 5) != 2 || msg_name(type) == NULL)
		return 0;
	if (mlen < ((flags & 0x08) ? 8 : 4))
		return 0;
	if (flags & 0x10)
		return 4 + (size_t)mlen + 8 <= len;
	return 4 + (size_t)mlen == len;
}

static const uint16_t gtpv2c_ports[] = {2123, 0};
static const uint16_t gtpv2c_ndpi[] = {NDPI_PROTOCOL_GTP_C, 0};

const struct dissector dissector_gtpv2c = {
	.name = "gtpv2c",
	.transport = 17,
	.ports = gtpv2c_ports,
	.ndpi_ids = gtpv2c_ndpi,
	.probe = gtpv2c_probe,
	.state_size = sizeof(struct gtpv2c_state),
	.parse = gtpv2c_parse,
	.free = gtpv2c_free,
	.json_apnwatch = gtpv2c_json_apnwatch,
};
