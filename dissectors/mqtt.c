/*
 * mqtt.c - MQTT over TCP: who connects (client id, user name; never the
 * password), what it publishes and is delivered (topics, QoS, retain,
 * payload sizes), what it subscribes to.
 *
 * Specs: MQTT V3.1 Protocol Specification (IBM, Eurotech; protocol name
 * "MQIsdp", level 3); OASIS MQTT Version 3.1.1 (2014; "MQTT", level 4);
 * OASIS MQTT Version 5.0 (2019; "MQTT", level 5, with properties).
 *
 * Every control packet starts with a fixed header:
 *
 *     7   6   5   4   3   2   1   0
 *   +---------------+---------------+
 *   | packet type   | flags         |  PUBLISH flags: DUP, QoS (2 bits), RETAIN;
 *   +---------------+---------------+  PUBREL, SUBSCRIBE, UNSUBSCRIBE: 0010
 *   | remaining length: 1 to 4 bytes, 7 bits each, least      |
 *   | significant first, bit 7 set = another byte follows     |
 *   | (so at most 268,435,455; a 5th byte is invalid)          |
 *   +----------------------------------------------------------+
 *   | variable header and payload: remaining length bytes      |
 *   +----------------------------------------------------------+
 *
 *   CONNECT     protocol name (u16 length + "MQTT" | "MQIsdp"), level
 *               (3, 4, 5), flags (user, password, will retain, will QoS x2,
 *               will, clean session, reserved), keep alive (u16),
 *               [5.0: properties], client id, [5.0: will properties,]
 *               [will topic, will message], [user name], [password]
 *   CONNACK     flags (session present), return code / reason code,
 *               [5.0: properties]
 *   PUBLISH     topic (u16 length + UTF-8), [packet id when QoS > 0],
 *               [5.0: properties], payload: the rest
 *   SUBSCRIBE   packet id, [5.0: properties], (filter, options byte)+
 *   UNSUBSCRIBE packet id, [5.0: properties], filter+
 *   DISCONNECT  [5.0: reason code, properties]
 *
 * A 5.0 property list is a variable byte integer (like the remaining
 * length) giving its length, then (identifier, value) pairs.
 *
 * Framing: each direction has a small state machine.  The fixed header is
 * read a byte at a time; then the body is gathered into a buffer capped at
 * MQTT_MSG_CAP.  A PUBLISH gathers only its head (topic, packet id,
 * properties) and skips its payload by length, so a 200 KB payload costs
 * no memory; other messages longer than the cap are skipped by length and
 * counted oversize (the framing survives, so the flow goes on).  The
 * protocol level is known only from CONNECT: until then PUBLISH follows
 * the 3.1.1 rules (no properties), which is right for the topic in every
 * version.  A stream picked up mid-way, or after a hole, is re-entered at
 * the first segment that starts with a plausible run of fixed headers.
 */
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_protocol_ids.h>

#include "dissector.h"
#include "intent.h"
#include "util-reader.h"

#define MQTT_MAX_ITEMS 16   /* topics, filters kept for output */
#define MQTT_ALIASES 16     /* 5.0 topic aliases remembered per direction */
#define MQTT_NAME_MAX 255   /* client id, user name, protocol name */
#define MQTT_TOPIC_MAX 1024 /* topics and filters */
/* Gathered bytes of one message: 64 KiB, plus room for the largest PUBLISH
 * head without properties (2 + 65535 + 2 + 4). */
#define MQTT_MSG_CAP (65536u + 16u)
#define MQTT_BUF_KEEP 4096u  /* a bigger buffer is freed after its message */
#define MQTT_MAX_INVALID 8   /* invalid messages before the flow is left */

enum mqtt_type {
	MQTT_CONNECT = 1,
	MQTT_CONNACK,
	MQTT_PUBLISH,
	MQTT_PUBACK,
	MQTT_PUBREC,
	MQTT_PUBREL,
	MQTT_PUBCOMP,
	MQTT_SUBSCRIBE,
	MQTT_SUBACK,
	MQTT_UNSUBSCRIBE,
	MQTT_UNSUBACK,
	MQTT_PINGREQ,
	MQTT_PINGRESP,
	MQTT_DISCONNECT,
	MQTT_AUTH,
};

/* Connect flags. */
#define CF_USER 0x80
#define CF_PASSWORD 0x40
#define CF_WILL_RETAIN 0x20
#define CF_WILL 0x04
#define CF_CLEAN 0x02

/* 5.0 property identifiers we read. */
#define PROP_ASSIGNED_CLIENT_ID 0x12
#define PROP_TOPIC_ALIAS 0x23

enum mqtt_phase {
	PH_SYNC = 0, /* looking for a segment that starts at a message */
	PH_HDR,      /* reading the fixed header */
	PH_BODY,     /* gathering the body (or a PUBLISH head) */
	PH_SKIP,     /* skipping a payload or an oversize message */
};

/* A string from the packet, copied and bounded; n bytes, NUL-terminated. */
struct mqtt_str {
	char *s;
	uint16_t n;
};

struct mqtt_alias {
	uint16_t id;
	struct mqtt_str topic;
};

/* One line of the publish list: messages of one topic, QoS, retain flag
 * and direction. */
struct mqtt_topic {
	struct mqtt_str topic;
	uint8_t qos, retain, dir;
	uint64_t count, bytes;
};

struct mqtt_filter {
	struct mqtt_str filter;
	uint8_t qos;
};

struct mqtt_dir {
	uint8_t phase;
	uint8_t fh_len;  /* fixed header bytes read (type byte + length bytes) */
	uint8_t type, flags;
	uint32_t rem;    /* remaining length of the current message */
	uint32_t skip;   /* bytes still to skip */
	uint8_t *buf;    /* gathered body bytes, blen of bcap */
	uint32_t blen, bcap;
	uint8_t n_alias;
	struct mqtt_alias *alias; /* MQTT_ALIASES, allocated at the first alias */
	uint64_t pub_count, pub_bytes;
};

struct mqtt_state {
	struct mqtt_dir d[2];
	uint8_t counted;  /* the flow was counted in dissector.mqtt.flows */
	uint8_t invalid;  /* invalid messages so far */
	uint8_t dead;     /* not MQTT after all: parse nothing more */
	uint8_t client_known, client_dir; /* which direction the client sends */
	/* CONNECT */
	uint8_t have_connect;
	uint8_t level;    /* 0 until CONNECT says */
	uint8_t conflags;
	uint16_t keepalive;
	char proto_name[16];
	struct mqtt_str client_id, username, will_topic;
	/* CONNACK */
	uint8_t have_connack;
	uint8_t connack_code, session_present;
	struct mqtt_str assigned_id;
	/* DISCONNECT */
	uint8_t disconnect;
	int16_t disconnect_reason; /* 5.0 reason code; -1 when none was sent */
	uint32_t pingreq;
	uint64_t messages;
	uint32_t n_topics, n_subs, n_unsubs; /* kept */
	uint64_t subs_total, unsubs_total;  /* seen */
	/* MQTT_MAX_ITEMS each, allocated at their first use: most flows need
	 * few of them, and the state of every MQTT flow stays small. */
	struct mqtt_topic *topics;
	struct mqtt_filter *subs;
	struct mqtt_str *unsubs;
};

/* ------------------------------------------------------------ readers */

/* A variable byte integer: 1 to 4 bytes; a 4th byte with bit 7 set is
 * invalid (the number would need a 5th). */
static uint32_t rd_mqtt_varint(struct rd *r)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		uint8_t b = rd_u8(r);
		v |= (uint32_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80))
			return v;
	}
	rd_invalid(r);
	return 0;
}

/* A u16-length-prefixed string or binary field, as a child reader. */
static struct rd rd_mqtt_str(struct rd *r)
{
	uint16_t n = rd_be16(r);
	return rd_sub(r, n);
}

/* A 5.0 property list, as a child reader. */
static struct rd rd_mqtt_props(struct rd *r)
{
	uint32_t n = rd_mqtt_varint(r);
	return rd_sub(r, n);
}

/* Skips the value of property id; an unknown id makes the list invalid
 * (its values have no length of their own, so nothing after it can be
 * read). */
static void mqtt_prop_skip(struct rd *p, uint32_t id)
{
	switch (id) {
	case 0x01: case 0x17: case 0x19: case 0x24: case 0x25: case 0x28: case 0x29:
	case 0x2a:
		rd_skip(p, 1);
		break;
	case 0x13: case 0x21: case 0x22: case 0x23:
		rd_skip(p, 2);
		break;
	case 0x02: case 0x11: case 0x18: case 0x27:
		rd_skip(p, 4);
		break;
	case 0x0b:
		(void)rd_mqtt_varint(p);
		break;
	case 0x03: case 0x08: case 0x09: case 0x12: case 0x15: case 0x16: case 0x1a:
	case 0x1c: case 0x1f:
		(void)rd_mqtt_str(p);
		break;
	case 0x26: /* user property: a string pair */
		(void)rd_mqtt_str(p);
		(void)rd_mqtt_str(p);
		break;
	default:
		rd_invalid(p);
	}
}

/* ------------------------------------------------------------ strings */

static void mstr_free(struct mqtt_str *m)
{
	free(m->s);
	m->s = NULL;
	m->n = 0;
}

/* Copies s (whole) into m, at most cap bytes, cut before a UTF-8
 * sequence that would not fit.  Out of memory leaves m empty. */
static void mstr_set(struct mqtt_str *m, struct rd s, size_t cap)
{
	size_t n = rd_left(&s);
	mstr_free(m);
	if (n > cap) {
		n = cap;
		/* Back off to the start of the sequence the cut falls in. */
		while (n > 0 && (rd_peek(&s, n) & 0xc0) == 0x80)
			n--;
	}
	m->s = malloc(n + 1);
	if (m->s == NULL)
		return;
	rd_copy(&s, m->s, n);
	m->s[n] = '\0';
	m->n = (uint16_t)n;
}

static int mstr_eq(const struct mqtt_str *m, struct rd s, size_t cap)
{
	size_t n = rd_left(&s);
	if (n > cap) {
		n = cap;
		while (n > 0 && (rd_peek(&s, n) & 0xc0) == 0x80)
			n--;
	}
	return m->s && m->n == n && memcmp(m->s, rd_ptr(&s), n) == 0;
}

static int mstr_same(const struct mqtt_str *a, const struct mqtt_str *b)
{
	return a->n == b->n && a->s && b->s && memcmp(a->s, b->s, a->n) == 0;
}

/* ------------------------------------------------------------ messages */

static int is_v5(const struct mqtt_state *st) { return (st->level & 0x7f) == 5; }

static void mqtt_connect(struct mqtt_state *st, struct rd *b)
{
	struct rd name = rd_mqtt_str(b);
	uint8_t level = rd_u8(b);
	uint8_t flags = rd_u8(b);
	uint16_t keepalive = rd_be16(b);
	/* Bridges set bit 7 of the level (mosquitto's try_private). */
	int v5 = (level & 0x7f) == 5;
	if (v5)
		(void)rd_mqtt_props(b);
	struct rd client_id = rd_mqtt_str(b);
	struct rd will_topic = rd_init(NULL, 0);
	if (flags & CF_WILL) {
		if (v5)
			(void)rd_mqtt_props(b);
		will_topic = rd_mqtt_str(b);
		(void)rd_mqtt_str(b); /* will message */
	}
	struct rd user = rd_init(NULL, 0);
	if (flags & CF_USER)
		user = rd_mqtt_str(b);
	if (flags & CF_PASSWORD)
		(void)rd_mqtt_str(b); /* never kept */
	if (!rd_ok(b))
		return;
	size_t nl = rd_left(&name);
	int known = (nl == 4 && memcmp(rd_ptr(&name), "MQTT", 4) == 0) ||
		    (nl == 6 && memcmp(rd_ptr(&name), "MQIsdp", 6) == 0);
	if (!known) {
		rd_invalid(b);
		return;
	}
	if (st->have_connect) /* a second CONNECT is a protocol error: keep the first */
		return;
	st->have_connect = 1;
	rd_copy(&name, st->proto_name, nl);
	st->level = level;
	st->conflags = flags;
	st->keepalive = keepalive;
	mstr_set(&st->client_id, client_id, MQTT_NAME_MAX);
	if (flags & CF_USER)
		mstr_set(&st->username, user, MQTT_NAME_MAX);
	if (flags & CF_WILL)
		mstr_set(&st->will_topic, will_topic, MQTT_TOPIC_MAX);
}

static void mqtt_connack(struct mqtt_state *st, struct rd *b)
{
	uint8_t flags = rd_u8(b);
	uint8_t code = rd_u8(b);
	struct rd assigned = rd_init(NULL, 0);
	int have_assigned = 0;
	if (is_v5(st) && rd_left(b)) {
		struct rd p = rd_mqtt_props(b);
		while (rd_left(&p)) {
			uint32_t id = rd_mqtt_varint(&p);
			if (id == PROP_ASSIGNED_CLIENT_ID) {
				assigned = rd_mqtt_str(&p);
				have_assigned = 1;
			} else {
				mqtt_prop_skip(&p, id);
			}
		}
		if (p.err == RD_ETRUNC || p.err == RD_EINVAL)
			rd_invalid(b);
	}
	if (!rd_ok(b) || st->have_connack)
		return;
	st->have_connack = 1;
	st->session_present = flags & 1;
	st->connack_code = code;
	if (have_assigned)
		mstr_set(&st->assigned_id, assigned, MQTT_NAME_MAX);
}

/* 5.0 topic aliases (one map per direction: each sender numbers its own). */
static struct mqtt_alias *alias_find(struct mqtt_dir *d, uint16_t id)
{
	for (uint8_t i = 0; i < d->n_alias; i++)
		if (d->alias[i].id == id)
			return &d->alias[i];
	return NULL;
}

static void alias_set(struct mqtt_dir *d, uint16_t id, struct rd topic)
{
	struct mqtt_alias *a = alias_find(d, id);
	if (a == NULL) {
		if (d->alias == NULL)
			d->alias = calloc(MQTT_ALIASES, sizeof(*d->alias));
		if (d->alias == NULL || d->n_alias >= MQTT_ALIASES)
			return;
		a = &d->alias[d->n_alias++];
		a->id = id;
	}
	mstr_set(&a->topic, topic, MQTT_TOPIC_MAX);
}

static void publish_record(struct mqtt_state *st, int dir, const struct mqtt_str *topic,
			   struct rd topic_rd, int use_rd, uint8_t qos, uint8_t retain,
			   uint64_t bytes)
{
	struct mqtt_dir *d = &st->d[dir];
	d->pub_count++;
	d->pub_bytes += bytes;
	for (uint32_t i = 0; i < st->n_topics; i++) {
		struct mqtt_topic *t = &st->topics[i];
		if (t->dir != dir || t->qos != qos || t->retain != retain)
			continue;
		if (use_rd ? mstr_eq(&t->topic, topic_rd, MQTT_TOPIC_MAX)
			   : mstr_same(&t->topic, topic)) {
			t->count++;
			t->bytes += bytes;
			return;
		}
	}
	if (st->topics == NULL)
		st->topics = calloc(MQTT_MAX_ITEMS, sizeof(*st->topics));
	if (st->topics == NULL || st->n_topics >= MQTT_MAX_ITEMS)
		return;
	struct mqtt_topic *t = &st->topics[st->n_topics];
	if (use_rd) {
		mstr_set(&t->topic, topic_rd, MQTT_TOPIC_MAX);
	} else {
		struct rd copy = rd_init((const uint8_t *)topic->s, topic->n);
		mstr_set(&t->topic, copy, MQTT_TOPIC_MAX);
	}
	if (t->topic.s == NULL)
		return;
	st->n_topics++;
	t->qos = qos;
	t->retain = retain;
	t->dir = (uint8_t)dir;
	t->count = 1;
	t->bytes = bytes;
}

/* b holds the PUBLISH head at least (topic, packet id, 5.0 properties);
 * rem is the whole message's length. */
static void mqtt_publish(struct mqtt_state *st, int dir, uint8_t flags, struct rd *b,
			 uint32_t rem)
{
	uint8_t qos = (flags >> 1) & 3;
	uint8_t retain = flags & 1;
	struct rd topic = rd_mqtt_str(b);
	if (qos)
		(void)rd_be16(b); /* packet id */
	int have_alias = 0;
	uint16_t alias = 0;
	if (is_v5(st)) {
		struct rd p = rd_mqtt_props(b);
		while (rd_left(&p)) {
			uint32_t id = rd_mqtt_varint(&p);
			if (id == PROP_TOPIC_ALIAS) {
				alias = rd_be16(&p);
				have_alias = 1;
			} else {
				mqtt_prop_skip(&p, id);
			}
		}
		if (p.err)
			rd_invalid(b);
	}
	if (!rd_ok(b))
		return;
	uint64_t bytes = rem - rd_off(b);
	struct mqtt_dir *d = &st->d[dir];
	if (have_alias && rd_left(&topic) == 0) {
		/* The topic this alias was given earlier in this direction. */
		struct mqtt_alias *a = alias_find(d, alias);
		if (a && a->topic.s) {
			publish_record(st, dir, &a->topic, topic, 0, qos, retain, bytes);
			return;
		}
	} else if (have_alias) {
		alias_set(d, alias, topic);
	}
	publish_record(st, dir, NULL, topic, 1, qos, retain, bytes);
}

/* Walks a SUBSCRIBE (want_qos) or UNSUBSCRIBE payload; records into st
 * when st is not NULL.  Returns 1 when the list filled the message
 * exactly with at least one entry. */
static int mqtt_filters(struct mqtt_state *st, struct rd *b, int v5, int want_qos)
{
	(void)rd_be16(b); /* packet id */
	if (v5)
		(void)rd_mqtt_props(b);
	int n = 0;
	while (rd_left(b)) {
		struct rd f = rd_mqtt_str(b);
		uint8_t opts = want_qos ? rd_u8(b) : 0;
		if (!rd_ok(b))
			break;
		n++;
		if (st == NULL)
			continue;
		if (want_qos) {
			st->subs_total++;
			if (st->subs == NULL)
				st->subs = calloc(MQTT_MAX_ITEMS, sizeof(*st->subs));
			if (st->subs && st->n_subs < MQTT_MAX_ITEMS) {
				struct mqtt_filter *s = &st->subs[st->n_subs];
				mstr_set(&s->filter, f, MQTT_TOPIC_MAX);
				s->qos = opts & 3;
				if (s->filter.s)
					st->n_subs++;
			}
		} else {
			st->unsubs_total++;
			if (st->unsubs == NULL)
				st->unsubs = calloc(MQTT_MAX_ITEMS, sizeof(*st->unsubs));
			if (st->unsubs && st->n_unsubs < MQTT_MAX_ITEMS) {
				mstr_set(&st->unsubs[st->n_unsubs], f, MQTT_TOPIC_MAX);
				if (st->unsubs[st->n_unsubs].s)
					st->n_unsubs++;
			}
		}
	}
	if (n == 0)
		rd_invalid(b);
	return rd_ok(b);
}

/* Until CONNECT tells the level, a (UN)SUBSCRIBE is read by the 3.1.1
 * rules, or by the 5.0 ones when only those make its bytes fit. */
static void mqtt_subscribe(struct mqtt_state *st, struct rd *b, int want_qos)
{
	int v5 = is_v5(st);
	if (st->level == 0) {
		struct rd t = *b;
		if (!mqtt_filters(NULL, &t, 0, want_qos)) {
			t = *b;
			if (mqtt_filters(NULL, &t, 1, want_qos))
				v5 = 1;
		}
	}
	mqtt_filters(st, b, v5, want_qos);
}

static void mqtt_disconnect(struct mqtt_state *st, struct rd *b)
{
	st->disconnect = 1;
	if (rd_left(b)) {
		st->disconnect_reason = rd_u8(b);
		if (rd_left(b))
			(void)rd_mqtt_props(b);
	}
}

/* Which side is the client: the first message only one side sends tells
 * (the flow's source is usually the client, but a capture that starts
 * mid-way can make the broker the source). */
static void mqtt_learn_client(struct mqtt_state *st, int dir, uint8_t type)
{
	if (st->client_known)
		return;
	switch (type) {
	case MQTT_CONNECT:
	case MQTT_SUBSCRIBE:
	case MQTT_UNSUBSCRIBE:
	case MQTT_PINGREQ:
		st->client_dir = (uint8_t)dir;
		break;
	case MQTT_CONNACK:
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
	case MQTT_PINGRESP:
		st->client_dir = (uint8_t)!dir;
		break;
	default:
		return;
	}
	st->client_known = 1;
}

/* One framed message: b holds its body, or for a PUBLISH at least its
 * head; rem is the body's length on the wire. */
static void mqtt_message(struct dissect_ctx *c, struct mqtt_state *st, int dir, uint8_t type,
			 uint8_t flags, struct rd *b, uint32_t rem)
{
	cnt_inc(c->cnt, CNT_DIS_MQTT_MESSAGES);
	st->messages++;
	mqtt_learn_client(st, dir, type);
	switch (type) {
	case MQTT_CONNECT:
		mqtt_connect(st, b);
		break;
	case MQTT_CONNACK:
		mqtt_connack(st, b);
		break;
	case MQTT_PUBLISH:
		mqtt_publish(st, dir, flags, b, rem);
		break;
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
	case MQTT_UNSUBACK:
		rd_skip(b, 2); /* packet id; 5.0 adds a reason code and properties */
		break;
	case MQTT_SUBACK:
		rd_skip(b, 3); /* packet id, at least one return code */
		break;
	case MQTT_SUBSCRIBE:
		mqtt_subscribe(st, b, 1);
		break;
	case MQTT_UNSUBSCRIBE:
		mqtt_subscribe(st, b, 0);
		break;
	case MQTT_PINGREQ:
		st->pingreq++;
		break;
	case MQTT_DISCONNECT:
		mqtt_disconnect(st, b);
		break;
	default: /* PINGRESP, AUTH: nothing to keep */
		break;
	}
	if (!rd_ok(b)) {
		/* The body was complete: running out means it lied about its
		 * own lengths. */
		cnt_inc(c->cnt, CNT_DIS_MQTT_INVALID);
		if (++st->invalid >= MQTT_MAX_INVALID)
			st->dead = 1;
	}
}

/* ------------------------------------------------------------ framing */

/* Flags the 3.1.1 rules fix per type (3.1 also lets PUBREL, SUBSCRIBE
 * and UNSUBSCRIBE set DUP); PUBLISH must not use QoS 3. */
static int mqtt_type_ok(uint8_t b)
{
	uint8_t type = b >> 4, flags = b & 0x0f;
	switch (type) {
	case 0:
		return 0;
	case MQTT_PUBLISH:
		return ((flags >> 1) & 3) != 3;
	case MQTT_PUBREL:
	case MQTT_SUBSCRIBE:
	case MQTT_UNSUBSCRIBE:
		return (flags & 7) == 2;
	default:
		return flags == 0;
	}
}

/* Smallest and largest remaining length each type can have (5.0 lets
 * acknowledgements carry reason codes and properties). */
static int mqtt_len_ok(uint8_t type, uint32_t rem)
{
	switch (type) {
	case MQTT_CONNECT:
		return rem >= 12; /* "MQTT" name, level, flags, keep alive, client id length */
	case MQTT_CONNACK:
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
	case MQTT_UNSUBACK:
	case MQTT_PUBLISH:
		return rem >= 2;
	case MQTT_SUBSCRIBE:
		return rem >= 5;
	case MQTT_SUBACK:
		return rem >= 3;
	case MQTT_UNSUBSCRIBE:
		return rem >= 4;
	case MQTT_PINGREQ:
	case MQTT_PINGRESP:
		return rem == 0;
	default:
		return 1;
	}
}

/* Whether a PUBLISH body (as far as the segment has it) starts with a
 * topic that fits the message and has no control characters or
 * wildcards: text payloads are full of bytes 0x30-0x35, which read as
 * PUBLISH headers. */
static int mqtt_topic_plausible(struct rd r, uint8_t b, uint32_t rem)
{
	if (rd_left(&r) < 2)
		return 1;
	uint32_t tlen = rd_be16(&r);
	if (2 + tlen + (((b >> 1) & 3) ? 2u : 0u) > rem)
		return 0;
	for (uint32_t i = 0; i < tlen && rd_left(&r); i++) {
		uint8_t ch = rd_u8(&r);
		if (ch < 0x20 || ch == 0x7f || ch == '+' || ch == '#')
			return 0;
	}
	return 1;
}

/* Whether a segment seems to start at a message: its fixed headers are
 * plausible one after the other up to the segment's end (the last
 * message may go on past it). */
static int mqtt_plausible(const uint8_t *data, size_t len)
{
	struct rd r = rd_init(data, len);
	int n = 0;
	while (rd_left(&r)) {
		uint8_t b = rd_u8(&r);
		if (!mqtt_type_ok(b))
			return 0;
		if (!rd_left(&r))
			return 1; /* the length comes in the next segment */
		struct rd t = r;
		uint32_t rem = rd_mqtt_varint(&t);
		if (t.err == RD_EINVAL)
			return 0;
		if (t.err == RD_ETRUNC)
			return 1;
		r = t;
		if (!mqtt_len_ok(b >> 4, rem))
			return 0;
		if (b >> 4 == MQTT_PUBLISH && !mqtt_topic_plausible(r, b, rem))
			return 0;
		if (rem >= rd_left(&r))
			return 1;
		rd_skip(&r, rem);
		if (++n > 64)
			return 1;
	}
	return 1;
}

static void mqtt_sync_lost(struct dissect_ctx *c, struct mqtt_state *st, struct mqtt_dir *d)
{
	cnt_inc(c->cnt, CNT_DIS_MQTT_INVALID);
	if (++st->invalid >= MQTT_MAX_INVALID)
		st->dead = 1;
	d->phase = PH_SYNC;
	d->fh_len = 0;
	d->blen = 0;
}

/* How many body bytes to gather before parsing: the whole body, or for a
 * PUBLISH its head (topic, packet id, 5.0 properties), as far as the
 * bytes gathered so far tell. */
static uint32_t mqtt_want(const struct mqtt_state *st, const struct mqtt_dir *d)
{
	if (d->type != MQTT_PUBLISH)
		return d->rem;
	struct rd b = rd_init(d->buf, d->blen);
	uint64_t need = 2;
	if (d->blen >= 2) {
		need += rd_be16(&b);
		if ((d->flags >> 1) & 3)
			need += 2;
		if (is_v5(st)) {
			/* The properties length, a byte at a time, then the
			 * properties. */
			uint32_t plen = 0;
			int i;
			for (i = 0; i < 4; i++) {
				need++;
				if (need > d->blen)
					break;
				struct rd v = rd_init(d->buf, d->blen);
				rd_skip(&v, (size_t)need - 1);
				uint8_t x = rd_u8(&v);
				plen |= (uint32_t)(x & 0x7f) << (7 * i);
				if (!(x & 0x80)) {
					need += plen;
					break;
				}
			}
		}
	}
	return need < d->rem ? (uint32_t)need : d->rem;
}

static int buf_reserve(struct mqtt_dir *d, uint32_t n)
{
	if (n <= d->bcap)
		return 1;
	uint32_t cap = d->bcap ? d->bcap : 512;
	while (cap < n)
		cap *= 2;
	if (cap > MQTT_MSG_CAP)
		cap = MQTT_MSG_CAP;
	uint8_t *p = realloc(d->buf, cap);
	if (p == NULL)
		return 0;
	d->buf = p;
	d->bcap = cap;
	return 1;
}

static void mqtt_done(struct mqtt_dir *d)
{
	d->blen = 0;
	d->phase = d->skip ? PH_SKIP : PH_HDR;
	if (d->bcap > MQTT_BUF_KEEP) {
		free(d->buf);
		d->buf = NULL;
		d->bcap = 0;
	}
}

/* The fixed header is complete: start the body. */
static void mqtt_header_done(struct dissect_ctx *c, struct mqtt_state *st, struct mqtt_dir *d,
			     int dir)
{
	d->fh_len = 0;
	d->blen = 0;
	d->skip = 0;
	if (!mqtt_len_ok(d->type, d->rem)) {
		/* Bytes of a message that cannot be: the framing is off. */
		mqtt_sync_lost(c, st, d);
		return;
	}
	if (d->type != MQTT_PUBLISH && d->rem > MQTT_MSG_CAP) {
		cnt_inc(c->cnt, CNT_DIS_MQTT_OVERSIZE);
		cnt_inc(c->cnt, CNT_DIS_MQTT_MESSAGES);
		st->messages++;
		d->skip = d->rem;
		d->phase = PH_SKIP;
		return;
	}
	if (d->rem == 0) {
		struct rd empty = rd_init(NULL, 0);
		mqtt_message(c, st, dir, d->type, d->flags, &empty, 0);
		d->phase = PH_HDR;
		return;
	}
	d->phase = PH_BODY;
}

static void mqtt_header_byte(struct dissect_ctx *c, struct mqtt_state *st, struct mqtt_dir *d,
			     int dir, uint8_t b)
{
	if (d->fh_len == 0) {
		if (!mqtt_type_ok(b) || (b >> 4 == MQTT_AUTH && st->level && !is_v5(st))) {
			mqtt_sync_lost(c, st, d);
			return;
		}
		d->type = b >> 4;
		d->flags = b & 0x0f;
		d->rem = 0;
		d->fh_len = 1;
		return;
	}
	d->rem |= (uint32_t)(b & 0x7f) << (7 * (d->fh_len - 1));
	d->fh_len++;
	if (!(b & 0x80)) {
		mqtt_header_done(c, st, d, dir);
		return;
	}
	if (d->fh_len == 5) /* a 4th length byte that asks for a 5th */
		mqtt_sync_lost(c, st, d);
}

static void mqtt_body(struct dissect_ctx *c, struct mqtt_state *st, struct mqtt_dir *d,
		      int dir, struct rd *r)
{
	if (d->blen == 0 && rd_left(r) >= d->rem) {
		/* The whole message is in this segment: no copy. */
		struct rd body = rd_sub(r, d->rem);
		mqtt_message(c, st, dir, d->type, d->flags, &body, d->rem);
		d->phase = PH_HDR;
		return;
	}
	uint32_t want;
	while ((want = mqtt_want(st, d)) > d->blen) {
		if (want > MQTT_MSG_CAP) {
			/* A PUBLISH head (properties) bigger than the cap. */
			cnt_inc(c->cnt, CNT_DIS_MQTT_OVERSIZE);
			cnt_inc(c->cnt, CNT_DIS_MQTT_MESSAGES);
			st->messages++;
			d->skip = d->rem - d->blen;
			mqtt_done(d);
			return;
		}
		if (rd_left(r) == 0)
			return;
		if (!buf_reserve(d, want)) {
			st->dead = 1;
			return;
		}
		size_t n = want - d->blen;
		if (n > rd_left(r))
			n = rd_left(r);
		rd_copy(r, d->buf + d->blen, n);
		d->blen += (uint32_t)n;
	}
	struct rd body = rd_init(d->buf, d->blen);
	mqtt_message(c, st, dir, d->type, d->flags, &body, d->rem);
	d->skip = d->rem - d->blen;
	mqtt_done(d);
}

static void mqtt_parse(struct dissect_ctx *c, struct flow *f, void *state, int dir,
		       const uint8_t *data, size_t len)
{
	struct mqtt_state *st = state;
	struct mqtt_dir *d = &st->d[dir & 1];
	(void)f;
	if (!st->counted) {
		st->counted = 1;
		st->disconnect_reason = -1;
		cnt_inc(c->cnt, CNT_DIS_MQTT_FLOWS);
	}
	if (st->dead)
		return;
	if (d->phase == PH_SYNC) {
		if (!mqtt_plausible(data, len))
			return;
		d->phase = PH_HDR;
		d->fh_len = 0;
	}
	struct rd r = rd_init(data, len);
	while (rd_left(&r) && !st->dead && d->phase != PH_SYNC) {
		switch (d->phase) {
		case PH_HDR:
			mqtt_header_byte(c, st, d, dir & 1, rd_u8(&r));
			break;
		case PH_BODY:
			mqtt_body(c, st, d, dir & 1, &r);
			break;
		case PH_SKIP: {
			size_t n = rd_left(&r) < d->skip ? rd_left(&r) : d->skip;
			rd_skip(&r, n);
			d->skip -= (uint32_t)n;
			if (d->skip == 0)
				d->phase = PH_HDR;
			break;
		}
		}
	}
}

/* Bytes were lost: a message under way is cut short, and the next one
 * is found again at a segment that starts with one. */
static void mqtt_gap(struct dissect_ctx *c, struct flow *f, void *state, int dir)
{
	struct mqtt_state *st = state;
	struct mqtt_dir *d = &st->d[dir & 1];
	(void)f;
	if (d->phase == PH_BODY || d->phase == PH_SKIP || (d->phase == PH_HDR && d->fh_len))
		cnt_inc(c->cnt, CNT_DIS_MQTT_TRUNC);
	d->phase = PH_SYNC;
	d->fh_len = 0;
	d->blen = 0;
	d->skip = 0;
}

/* A client's CONNECT: type 1, a plausible length, "MQTT" or "MQIsdp" and
 * a level 3 to 5. */
static int mqtt_probe(const uint8_t *data, size_t len, int dir)
{
	struct rd r = rd_init(data, len);
	(void)dir;
	if (rd_u8(&r) != 0x10)
		return 0;
	uint32_t rem = rd_mqtt_varint(&r);
	struct rd name = rd_mqtt_str(&r);
	uint8_t level = rd_u8(&r) & 0x7f;
	if (!rd_ok(&r) || rem < 12)
		return 0;
	size_t nl = rd_left(&name);
	if (nl == 4 && memcmp(rd_ptr(&name), "MQTT", 4) == 0)
		return level == 4 || level == 5;
	if (nl == 6 && memcmp(rd_ptr(&name), "MQIsdp", 6) == 0)
		return level == 3;
	return 0;
}

static void mqtt_free(void *state)
{
	struct mqtt_state *st = state;
	for (int i = 0; i < 2; i++) {
		free(st->d[i].buf);
		for (int j = 0; j < st->d[i].n_alias; j++)
			mstr_free(&st->d[i].alias[j].topic);
		free(st->d[i].alias);
	}
	mstr_free(&st->client_id);
	mstr_free(&st->username);
	mstr_free(&st->will_topic);
	mstr_free(&st->assigned_id);
	for (uint32_t i = 0; i < st->n_topics; i++)
		mstr_free(&st->topics[i].topic);
	for (uint32_t i = 0; i < st->n_subs; i++)
		mstr_free(&st->subs[i].filter);
	for (uint32_t i = 0; i < st->n_unsubs; i++)
		mstr_free(&st->unsubs[i]);
	free(st->topics);
	free(st->subs);
	free(st->unsubs);
}

/* ------------------------------------------------------------ output */

static void jw_mstr(struct jw *w, const char *key, const struct mqtt_str *m)
{
	jw_strn(w, key, m->s ? m->s : "", m->n);
}

static const char *mqtt_version(uint8_t level)
{
	switch (level & 0x7f) {
	case 3:
		return "3.1";
	case 4:
		return "3.1.1";
	case 5:
		return "5.0";
	default:
		return NULL;
	}
}

/* "publish": client to broker; "deliver": broker to client.  Without a
 * message that tells the client, the flow's source is taken for it. */
static void json_publish(const struct mqtt_state *st, struct jw *w)
{
	int cd = st->client_known ? st->client_dir : 0;
	const struct mqtt_dir *up = &st->d[cd], *down = &st->d[!cd];
	jw_obj_begin(w, "publish");
	jw_u64(w, "count", up->pub_count + down->pub_count);
	jw_u64(w, "bytes", up->pub_bytes + down->pub_bytes);
	jw_obj_begin(w, "published");
	jw_u64(w, "count", up->pub_count);
	jw_u64(w, "bytes", up->pub_bytes);
	jw_end(w);
	jw_obj_begin(w, "delivered");
	jw_u64(w, "count", down->pub_count);
	jw_u64(w, "bytes", down->pub_bytes);
	jw_end(w);
	jw_arr_begin(w, "topics");
	for (uint32_t i = 0; i < st->n_topics; i++) {
		const struct mqtt_topic *t = &st->topics[i];
		jw_obj_begin(w, NULL);
		jw_mstr(w, "topic", &t->topic);
		jw_u64(w, "qos", t->qos);
		jw_bool(w, "retain", t->retain);
		jw_str(w, "direction", t->dir == cd ? "publish" : "deliver");
		jw_u64(w, "count", t->count);
		jw_u64(w, "bytes", t->bytes);
		jw_end(w);
	}
	jw_end(w);
	jw_end(w);
}

static void mqtt_json_apnwatch(const void *state, struct jw *w)
{
	const struct mqtt_state *st = state;
	if (st->messages == 0) /* taken for MQTT, but no message was: say nothing */
		return;
	jw_obj_begin(w, "mqtt");
	if (st->have_connect) {
		const char *v = mqtt_version(st->level);
		if (v)
			jw_str(w, "version", v);
		jw_str(w, "protocol_name", st->proto_name);
		jw_u64(w, "protocol_level", st->level);
		jw_mstr(w, "client_id", &st->client_id);
		if (st->conflags & CF_USER)
			jw_mstr(w, "username", &st->username);
		jw_bool(w, "password_present", (st->conflags & CF_PASSWORD) != 0);
		jw_u64(w, "keepalive", st->keepalive);
		jw_bool(w, "clean_session", (st->conflags & CF_CLEAN) != 0);
		if (st->conflags & CF_WILL)
			jw_mstr(w, "will_topic", &st->will_topic);
	}
	if (st->have_connack) {
		jw_u64(w, "connack_code", st->connack_code);
		jw_bool(w, "session_present", st->session_present);
		if (st->assigned_id.s)
			jw_mstr(w, "assigned_client_id", &st->assigned_id);
	}
	if (st->d[0].pub_count + st->d[1].pub_count)
		json_publish(st, w);
	if (st->subs_total) {
		jw_arr_begin(w, "subscribe");
		for (uint32_t i = 0; i < st->n_subs; i++) {
			jw_obj_begin(w, NULL);
			jw_mstr(w, "filter", &st->subs[i].filter);
			jw_u64(w, "qos", st->subs[i].qos);
			jw_end(w);
		}
		jw_end(w);
		jw_u64(w, "subscribe_count", st->subs_total);
	}
	if (st->unsubs_total) {
		jw_arr_begin(w, "unsubscribe");
		for (uint32_t i = 0; i < st->n_unsubs; i++)
			jw_mstr(w, NULL, &st->unsubs[i]);
		jw_end(w);
		jw_u64(w, "unsubscribe_count", st->unsubs_total);
	}
	if (st->pingreq)
		jw_u64(w, "pingreq", st->pingreq);
	if (st->disconnect) {
		jw_bool(w, "disconnect", 1);
		if (st->disconnect_reason >= 0)
			jw_u64(w, "disconnect_reason", (uint64_t)st->disconnect_reason);
	}
	jw_u64(w, "messages", st->messages);
	jw_end(w);
}

/* ------------------------------------------------------------ intent */

/*
 * Topics that prove a purpose (docs/intent.md):
 *   $aws/things/<thing>/jobs/...     AWS IoT Jobs (notify-next, $next/get,
 *                                    <id>/update, get): OTA jobs -> fota
 *   $aws/things/<thing>/streams/...  AWS IoT MQTT file streams (the OTA
 *                                    image itself) -> fota
 *   <a>/<b>/<c>/.../jobs/<x>...      a "jobs" level at the 4th level or
 *                                    deeper with a level after it: nRF
 *                                    Cloud's <stage>/<team>/<device>/jobs/...
 *                                    and job services built like it -> fota
 *   $iothub/twin/..., $iothub/methods/...  Azure IoT Hub device twin and
 *                                    direct methods -> device_management
 * A PUBLISH of such a topic (either way) confirms; a SUBSCRIBE alone is
 * probable (every AWS device subscribes to its jobs, update or not).  Any
 * other PUBLISH from the device is probable telemetry.
 */
enum topic_kind { TK_NONE, TK_AWS_JOBS, TK_AWS_STREAMS, TK_JOBS, TK_AZURE };

#define MQTT_WHY_TOPIC 120 /* topic bytes put in one evidence line */

/* Level k (0-based) of the n bytes at s: *at and *len; 0 when none. */
static int topic_level(const char *s, size_t n, int k, size_t *at, size_t *len)
{
	size_t i = 0;
	for (int lvl = 0; lvl < k; lvl++) {
		while (i < n && s[i] != '/')
			i++;
		if (i >= n)
			return 0;
		i++;
	}
	size_t e = i;
	while (e < n && s[e] != '/')
		e++;
	*at = i;
	*len = e - i;
	return 1;
}

static int level_is(const char *s, size_t n, int k, const char *lit)
{
	size_t at, len;
	return topic_level(s, n, k, &at, &len) && len == strlen(lit) &&
	       memcmp(s + at, lit, len) == 0;
}

static int has_prefix(const char *s, size_t n, const char *lit)
{
	size_t k = strlen(lit);
	return n >= k && memcmp(s, lit, k) == 0;
}

/* *jobs_level: the level that says "jobs" (TK_JOBS). */
static enum topic_kind topic_classify(const char *s, size_t n, int *jobs_level)
{
	if (has_prefix(s, n, "$aws/things/")) {
		if (level_is(s, n, 3, "jobs"))
			return TK_AWS_JOBS;
		if (level_is(s, n, 3, "streams"))
			return TK_AWS_STREAMS;
		return TK_NONE;
	}
	if (has_prefix(s, n, "$iothub/twin/") || has_prefix(s, n, "$iothub/methods/"))
		return TK_AZURE;
	for (int k = 3; k < 16; k++) {
		size_t at, len;
		if (!topic_level(s, n, k, &at, &len))
			break;
		if (len == 4 && memcmp(s + at, "jobs", 4) == 0 && at + len < n) {
			*jobs_level = k;
			return TK_JOBS;
		}
	}
	return TK_NONE;
}

/* Appends the bytes to out (cap with the NUL), printable ASCII only. */
static void why_put(char *out, size_t cap, size_t *k, const char *p, size_t n)
{
	for (size_t i = 0; i < n && *k + 1 < cap; i++) {
		char ch = p[i];
		out[(*k)++] = ch >= 0x20 && ch < 0x7f ? ch : '?';
	}
	out[*k] = '\0';
}

/* The topic as evidence may show it: no identifiers.  The thing or
 * device level of the job topics is named, not printed; every run of 14
 * or more digits (an IMEI, an IMSI, with or without its check digit)
 * becomes "<imei>"; long topics are cut with "...". */
static void topic_shown(const char *s, size_t n, enum topic_kind kind, int jobs_level,
			char *out, size_t cap)
{
	size_t k = 0, skip_at = 0, skip_len = 0;
	const char *name = NULL;
	out[0] = '\0';
	if (kind == TK_AWS_JOBS || kind == TK_AWS_STREAMS) {
		topic_level(s, n, 2, &skip_at, &skip_len);
		name = "<thing>";
	} else if (kind == TK_JOBS) {
		size_t at, len; /* levels 1 .. jobs-1: team, device */
		topic_level(s, n, 1, &skip_at, &len);
		topic_level(s, n, jobs_level, &at, &len);
		skip_len = at - 1 - skip_at;
		name = "...";
	}
	for (size_t i = 0; i < n && k + 1 < cap;) {
		if (name && i == skip_at) {
			why_put(out, cap, &k, name, strlen(name));
			i += skip_len;
			continue;
		}
		size_t d = i;
		while (d < n && s[d] >= '0' && s[d] <= '9')
			d++;
		if (d - i >= 14) {
			why_put(out, cap, &k, "<imei>", 6);
			i = d;
			continue;
		}
		if (d == i)
			d++;
		why_put(out, cap, &k, s + i, d - i);
		i = d;
	}
	if (k > MQTT_WHY_TOPIC) {
		out[MQTT_WHY_TOPIC - 3] = '\0';
		strcat(out, "...");
	}
}

static void mqtt_intent(const void *state, struct intent_input *in)
{
	const struct mqtt_state *st = state;
	char shown[MQTT_WHY_TOPIC + 64];
	int fota = 0, dm = 0, tel = -1, jl = 0;
	for (uint32_t i = 0; i < st->n_topics; i++) {
		const struct mqtt_topic *t = &st->topics[i];
		enum topic_kind kind = topic_classify(t->topic.s, t->topic.n, &jl);
		const char *way = t->dir == 0 ? "from" : "to";
		if (kind == TK_NONE) {
			if (t->dir == 0 && tel < 0)
				tel = (int)i;
			continue;
		}
		topic_shown(t->topic.s, t->topic.n, kind, jl, shown, sizeof(shown));
		if (kind == TK_AZURE && !dm++)
			intent_vote(in, INTENT_DM, CONF_CONFIRMED, "MQTT PUBLISH %s %s the device",
				    shown, way);
		else if (kind != TK_AZURE && !fota++)
			intent_vote(in, INTENT_FOTA, CONF_CONFIRMED,
				    "MQTT PUBLISH %s %s the device (%s)", shown, way,
				    kind == TK_AWS_STREAMS ? "AWS IoT OTA stream"
				    : kind == TK_AWS_JOBS ? "AWS IoT Jobs" : "jobs topic");
	}
	for (uint32_t i = 0; i < st->n_subs; i++) {
		const struct mqtt_str *f = &st->subs[i].filter;
		if (f->s == NULL)
			continue;
		enum topic_kind kind = topic_classify(f->s, f->n, &jl);
		if (kind == TK_NONE)
			continue;
		topic_shown(f->s, f->n, kind, jl, shown, sizeof(shown));
		if (kind == TK_AZURE && !dm++)
			intent_vote(in, INTENT_DM, CONF_PROBABLE, "MQTT SUBSCRIBE %s", shown);
		else if (kind != TK_AZURE && !fota++)
			intent_vote(in, INTENT_FOTA, CONF_PROBABLE, "MQTT SUBSCRIBE %s", shown);
	}
	if (tel >= 0) {
		const struct mqtt_topic *t = &st->topics[tel];
		topic_shown(t->topic.s, t->topic.n, TK_NONE, 0, shown, sizeof(shown));
		intent_vote(in, INTENT_TELEMETRY, CONF_PROBABLE, "MQTT PUBLISH %s from the device",
			    shown);
	}
}

static const uint16_t mqtt_ports[] = {1883, 0};
static const uint16_t mqtt_ndpi_ids[] = {NDPI_PROTOCOL_MQTT, 0};

const struct dissector dissector_mqtt = {
	.name = "mqtt",
	.transport = 6,
	.ports = mqtt_ports,
	.ndpi_ids = mqtt_ndpi_ids,
	.probe = mqtt_probe,
	.state_size = sizeof(struct mqtt_state),
	.parse = mqtt_parse,
	.gap = mqtt_gap,
	.free = mqtt_free,
	.json_apnwatch = mqtt_json_apnwatch,
	.intent = mqtt_intent,
};
