/*
 * test-dis-mqtt.c - the MQTT dissector (dissectors/mqtt.c) through its
 * descriptor: CONNECT of 3.1, 3.1.1 and 5.0 (properties), CONNACK,
 * PUBLISH both ways (5.0 properties, topic aliases), SUBSCRIBE,
 * UNSUBSCRIBE, PINGREQ, DISCONNECT; remaining-length edge cases (127,
 * 128, 16383, 16384, 2^28-1 and a 5-byte length); messages split at
 * every byte and several in one chunk; big payloads skipped, not
 * buffered; a stream picked up mid-way; truncated and invalid input
 * counted; the password never in the output.
 *
 * Messages are byte arrays annotated field by field; results are read
 * back through json_apnwatch.
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

extern const struct dissector dissector_mqtt;

/* ------------------------------------------------------------ harness */

struct harness {
	struct counters cnt;
	struct dissect_ctx ctx;
	struct flow f;
	void *state;
	char *json;
};

static void h_init(struct harness *h)
{
	memset(h, 0, sizeof(*h));
	h->ctx.cnt = &h->cnt;
	h->f.key.proto = 6;
	h->state = calloc(1, dissector_mqtt.state_size);
	assert_non_null(h->state);
}

static void h_feed(struct harness *h, int dir, const uint8_t *p, size_t n)
{
	dissector_mqtt.parse(&h->ctx, &h->f, h->state, dir, p, n);
}

static void h_gap(struct harness *h, int dir)
{
	dissector_mqtt.gap(&h->ctx, &h->f, h->state, dir);
}

/* The "mqtt" object (or "" when the dissector writes none). */
static const char *h_json(struct harness *h)
{
	struct jw w;
	jw_init(&w);
	dissector_mqtt.json_apnwatch(h->state, &w);
	free(h->json);
	h->json = malloc(w.len + 1);
	assert_non_null(h->json);
	memcpy(h->json, w.buf ? w.buf : "", w.len);
	h->json[w.len] = '\0';
	jw_free(&w);
	return h->json;
}

static void h_free(struct harness *h)
{
	dissector_mqtt.free(h->state);
	free(h->state);
	free(h->json);
}

static uint64_t h_cnt(struct harness *h, enum counter_id id) { return h->cnt.v[id]; }

#define assert_has(hay, needle)                                                   \
	do {                                                                       \
		if (strstr((hay), (needle)) == NULL)                               \
			fail_msg("%s\n  has no %s", (hay), (needle));              \
	} while (0)
#define assert_hasnt(hay, needle)                                                 \
	do {                                                                       \
		if (strstr((hay), (needle)) != NULL)                               \
			fail_msg("%s\n  has %s", (hay), (needle));                 \
	} while (0)

/* ------------------------------------------------------------ messages */

/* CONNECT, 3.1.1, with will, user name and password. */
static const uint8_t connect311[] = {
	0x10, 60,                           /* CONNECT, remaining length 60 */
	0x00, 0x04, 'M', 'Q', 'T', 'T',     /* protocol name */
	0x04,                               /* level 4: 3.1.1 */
	0xee,                               /* user, password, will retain, will QoS 1, will, clean */
	0x00, 0x3c,                         /* keep alive 60 s */
	0x00, 0x0f, '8', '6', '4', '3', '9', '4', '0', '4', '7', '5', '3', '7', '0', '0', '8',
	                                    /* client id: an IMEI */
	0x00, 0x06, 'd', 'e', 'v', '/', 'l', 'w', /* will topic */
	0x00, 0x04, 'g', 'o', 'n', 'e',     /* will message */
	0x00, 0x07, 'f', 'l', 'e', 'e', 't', '0', '1', /* user name */
	0x00, 0x08, 's', '3', 'c', 'r', '3', 't', 'P', 'W', /* password */
};

/* CONNECT, 3.1: "MQIsdp", level 3, clean session, no user. */
static const uint8_t connect31[] = {
	0x10, 19,
	0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', /* protocol name */
	0x03,                               /* level 3 */
	0x02,                               /* clean session */
	0x00, 0x0a,                         /* keep alive 10 s */
	0x00, 0x05, 'p', 'a', 'h', 'o', '1',/* client id */
};

/* CONNECT, 5.0, with a property, user name and password. */
static const uint8_t connect5[] = {
	0x10, 30,
	0x00, 0x04, 'M', 'Q', 'T', 'T',
	0x05,                               /* level 5 */
	0xc2,                               /* user, password, clean start */
	0x00, 0x1e,                         /* keep alive 30 s */
	0x05,                               /* properties: 5 bytes */
	0x11, 0x00, 0x00, 0x0e, 0x10,       /*   session expiry interval 3600 */
	0x00, 0x06, 'i', 'm', 'e', 'i', '-', '1', /* client id */
	0x00, 0x01, 'u',                    /* user name */
	0x00, 0x01, 'p',                    /* password */
};

/* CONNACK, 3.1.1: session present, accepted. */
static const uint8_t connack311[] = {0x20, 0x02, 0x01, 0x00};

/* CONNACK, 5.0: accepted, with an assigned client identifier. */
static const uint8_t connack5[] = {
	0x20, 14,
	0x00,                               /* flags */
	0x00,                               /* reason code: success */
	0x0b,                               /* properties: 11 bytes */
	0x12, 0x00, 0x08, 'a', 'u', 't', 'o', '-', 'a', 'b', 'c', /* assigned client id */
};

/* PUBLISH, QoS 1, retain. */
static const uint8_t publish_q1[] = {
	0x33, 18,                           /* PUBLISH, QoS 1, retain */
	0x00, 0x0a, 'd', 'e', 'v', '/', '1', '/', 't', 'e', 'm', 'p', /* topic */
	0x00, 0x01,                         /* packet id */
	'2', '1', '.', '5',                 /* payload: 4 bytes */
};

/* PUBLISH, QoS 0, from the broker. */
static const uint8_t publish_q0[] = {
	0x30, 11,
	0x00, 0x06, 'c', 'm', 'd', '/', 'g', 'o', /* topic */
	'r', 'u', 'n',                      /* payload: 3 bytes */
};

/* PUBLISH, 5.0, QoS 1, topic with an alias. */
static const uint8_t publish5_alias_set[] = {
	0x32, 15,
	0x00, 0x05, 'a', '/', 'b', '/', 'c',/* topic */
	0x00, 0x02,                         /* packet id */
	0x03,                               /* properties: 3 bytes */
	0x23, 0x00, 0x01,                   /*   topic alias 1 */
	'x', 'y',                           /* payload: 2 bytes */
};

/* PUBLISH, 5.0, QoS 1, empty topic: alias 1 stands for it. */
static const uint8_t publish5_alias_use[] = {
	0x32, 9,
	0x00, 0x00,                         /* topic: empty */
	0x00, 0x03,                         /* packet id */
	0x03,                               /* properties */
	0x23, 0x00, 0x01,                   /*   topic alias 1 */
	'z',                                /* payload: 1 byte */
};

/* PUBLISH, 5.0, QoS 0, from the broker. */
static const uint8_t publish5_q0[] = {
	0x30, 12,
	0x00, 0x06, 'c', 'm', 'd', '/', 'g', 'o', /* topic */
	0x00,                               /* properties: none */
	'r', 'u', 'n',                      /* payload: 3 bytes */
};

/* SUBSCRIBE, 3.1.1: two filters. */
static const uint8_t subscribe311[] = {
	0x82, 14,
	0x00, 0x01,                         /* packet id */
	0x00, 0x03, 'a', '/', '#', 0x01,    /* filter, QoS 1 */
	0x00, 0x03, 'b', '/', '+', 0x02,    /* filter, QoS 2 */
};

/* SUBSCRIBE, 5.0: properties, then options with QoS 2, no local, retain
 * as published, retain handling 2. */
static const uint8_t subscribe5[] = {
	0x82, 9,
	0x00, 0x02,                         /* packet id */
	0x00,                               /* properties: none */
	0x00, 0x03, 'c', '/', 'd', 0x2e,    /* filter, options */
};

static const uint8_t suback[] = {0x90, 0x04, 0x00, 0x01, 0x01, 0x02};
static const uint8_t unsubscribe[] = {
	0xa2, 7,
	0x00, 0x03,                         /* packet id */
	0x00, 0x03, 'a', '/', '#',          /* filter */
};
static const uint8_t unsuback[] = {0xb0, 0x02, 0x00, 0x03};
static const uint8_t puback[] = {0x40, 0x02, 0x00, 0x01};
static const uint8_t pingreq[] = {0xc0, 0x00};
static const uint8_t pingresp[] = {0xd0, 0x00};
static const uint8_t disconnect[] = {0xe0, 0x00};
static const uint8_t disconnect5[] = {0xe0, 0x01, 0x04}; /* reason: with will */

/* ------------------------------------------------------------ tests */

static void test_probe(void **unused)
{
	(void)unused;
	assert_true(dissector_mqtt.probe(connect311, sizeof(connect311), 0));
	assert_true(dissector_mqtt.probe(connect31, sizeof(connect31), 0));
	assert_true(dissector_mqtt.probe(connect5, sizeof(connect5), 0));
	assert_false(dissector_mqtt.probe(publish_q1, sizeof(publish_q1), 0));
	assert_false(dissector_mqtt.probe(connack311, sizeof(connack311), 1));
	/* Cut before the level: not enough to say. */
	assert_false(dissector_mqtt.probe(connect311, 8, 0));
	/* "MQTT" with level 3, "MQIsdp" with level 4: no. */
	uint8_t bad[sizeof(connect311)];
	memcpy(bad, connect311, sizeof(bad));
	bad[8] = 3;
	assert_false(dissector_mqtt.probe(bad, sizeof(bad), 0));
	uint8_t bad31[sizeof(connect31)];
	memcpy(bad31, connect31, sizeof(bad31));
	bad31[10] = 4;
	assert_false(dissector_mqtt.probe(bad31, sizeof(bad31), 0));
	/* A remaining length too small for any CONNECT. */
	uint8_t small[sizeof(connect311)];
	memcpy(small, connect311, sizeof(small));
	small[1] = 11;
	assert_false(dissector_mqtt.probe(small, sizeof(small), 0));
	assert_false(dissector_mqtt.probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16, 0));
	assert_int_equal(dissector_mqtt.transport, 6);
	assert_int_equal(dissector_mqtt.ports[0], 1883);
	assert_int_equal(dissector_mqtt.ndpi_ids[0], 222); /* NDPI_PROTOCOL_MQTT */
}

static void test_connect_311(void **unused)
{
	(void)unused;
	struct harness h;
	h_init(&h);
	h_feed(&h, 0, connect311, sizeof(connect311));
	h_feed(&h, 1, connack311, sizeof(connack311));
	assert_string_equal(h_json(&h),
			    "\"mqtt\":{\"version\":\"3.1.1\",\"protocol_name\":\"MQTT\","
			    "\"protocol_level\":4,\"client_id\":\"864394047537008\","
			    "\"username\":\"fleet01\",\"password_present\":true,\"keepalive\":60,"
			    "\"clean_session\":true,\"will_topic\":\"dev/lw\",\"connack_code\":0,"
			    "\"session_present\":true,\"messages\":2}");
	assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_FLOWS), 1);
	assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_MESSAGES), 2);
	assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_INVALID), 0);
	h_free(&h);
}

static void test_connect_31(void **unused)
{
	(void)unused;
	struct harness h;
	h_init(&h);
	h_feed(&h, 0, connect31, sizeof(connect31));
	const uint8_t refused[] = {0x20, 0x02, 0x00, 0x05}; /* not authorised */
	h_feed(&h, 1, refused, sizeof(refused));
	assert_string_equal(h_json(&h),
			    "\"mqtt\":{\"version\":\"3.1\",\"protocol_name\":\"MQIsdp\","
			    "\"protocol_level\":3,\"client_id\":\"paho1\","
			    "\"password_present\":false,\"keepalive\":10,\"clean_session\":true,"
			    "\"connack_code\":5,\"session_present\":false,\"messages\":2}");
	h_free(&h);
}

static void test_connect_5_properties(void **unused)
{
	(void)unused;
	struct harness h;
	h_init(&h);
	h_feed(&h, 0, connect5, sizeof(connect5));
	h_feed(&h, 1, connack5, sizeof(connack5));
	h_feed(&h, 0, disconnect5, sizeof(disconnect5));
	assert_string_equal(h_json(&h),
			    "\"mqtt\":{\"version\":\"5.0\",\"protocol_name\":\"MQTT\","
			    "\"protocol_level\":5,\"client_id\":\"imei-1\",\"username\":\"u\","
			    "\"password_present\":true,\"keepalive\":30,\"clean_session\":true,"
			    "\"connack_code\":0,\"session_present\":false,"
			    "\"assigned_client_id\":\"auto-abc\",\"disconnect\":true,"
			    "\"disconnect_reason\":4,\"messages\":3}");
	assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_INVALID), 0);
	h_free(&h);
}

/* The password's bytes appear nowhere in the output, in any version. */
static void test_password_never_output(void **unused)
{
	(void)unused;
	struct harness h;
	h_init(&h);
	h_feed(&h, 0, connect311, sizeof(connect311));
	const char *j = h_json(&h);
	assert_has(j, "\"password_present\":true");
	assert_hasnt(j, "s3cr3tPW");
	assert_hasnt(j, "s3cr");
	h_free(&h);
	/* A 3.1 client may send a password without a user name. */
	const uint8_t pw_only[] = {
		0x10, 25,
		0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p',
		0x03,
		0x42,                       /* password, clean session */
		0x00, 0x0a,
		0x00, 0x02, 'c', '1',       /* client id */
		0x00, 0x07, 'h', 'u', 'n', 't', 'e', 'r', '2', /* password */
	};
	h_init(&h);
	h_feed(&h, 0, pw_only, sizeof(pw_only));
	j = h_json(&h);
	assert_has(j, "\"client_id\":\"c1\"");
	assert_has(j, "\"password_present\":true");
	assert_hasnt(j, "hunter2");
	assert_hasnt(j, "username");
	h_free(&h);
}

static void test_publish_both_ways(void **unused)
{
	(void)unused;
	struct harness h;
	h_init(&h);
	h_feed(&h, 0, connect311, sizeof(connect311));
	h_feed(&h, 1, connack311, sizeof(connack311));
	h_feed(&h, 0, publish_q1, sizeof(publish_q1));
	h_feed(&h, 1, puback, sizeof(puback));
	h_feed(&h, 0, publish_q1, sizeof(publish_q1));
	h_feed(&h, 1, publish_q0, sizeof(publish_q0));
	const char *j = h_json(&h);
	assert_has(j, "\"publish\":{\"count\":3,\"bytes\":11,"
		      "\"published\":{\"count\":2,\"bytes\":8},"
		      "\"delivered\":{\"count\":1,\"bytes\":3},"
		      "\"topics\":[{\"topic\":\"dev/1/temp\",\"qos\":1,\"retain\":true,"
		      "\"direction\":\"publish\",\"count\":2,\"bytes\":8},"
		      "{\"topic\":\"cmd/go\",\"qos\":0,\"retain\":false,"
		      "\"direction\":\"deliver\",\"count\":1,\"bytes\":3}]}");
	assert_has(j, "\"messages\":6}");
	h_free(&h);
}

/* The topic list keeps the first 16 (topic, QoS, retain, direction); the
 * totals count every message. */
static void test_publish_list_capped(void **unused)
{
	(void)unused;
	struct harness h;
	h_init(&h);
	for (int i = 0; i < 40; i++) {
		uint8_t m[] = {0x30, 6, 0x00, 0x02, 't', (uint8_t)('A' + i), 'p', 'q'};
		h_feed(&h, 0, m, sizeof(m));
	}
	const char *j = h_json(&h);
	assert_has(j, "\"publish\":{\"count\":40,\"bytes\":80,");
	assert_has(j, "\"topic\":\"tP\"");   /* the 16th */
	assert_hasnt(j, "\"topic\":\"tQ\""); /* the 17th */
	assert_has(j, "\"messages\":40}");
	h_free(&h);
}

static void test_publish_5_properties_alias(void **unused)
{
	(void)unused;
	struct harness h;
	h_init(&h);
	h_feed(&h, 0, connect5, sizeof(connect5));
	h_feed(&h, 0, publish5_alias_set, sizeof(publish5_alias_set));
	h_feed(&h, 0, publish5_alias_use, sizeof(publish5_alias_use));
	const char *j = h_json(&h);
	/* Payload sizes leave the properties out: 2 + 1 bytes. */
	assert_has(j, "\"topics\":[{\"topic\":\"a/b/c\",\"qos\":1,\"retain\":false,"
		      "\"direction\":\"publish\",\"count\":2,\"bytes\":3}]");
	assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_INVALID), 0);
	h_free(&h);
	/* Without the CONNECT the level is unknown: 3.1.1 rules, the topic
	 * is still right and the properties count as payload. */
	h_init(&h);
	h_feed(&h, 0, publish5_alias_set, sizeof(publish5_alias_set));
	j = h_json(&h);
	assert_has(j, "{\"topic\":\"a/b/c\",\"qos\":1,\"retain\":false,"
		      "\"direction\":\"publish\",\"count\":1,\"bytes\":6}");
	assert_hasnt(j, "version");
	h_free(&h);
}

static void test_subscribe_unsubscribe_ping(void **unused)
{
	(void)unused;
	struct harness h;
	h_init(&h);
	h_feed(&h, 0, connect311, sizeof(connect311));
	h_feed(&h, 0, subscribe311, sizeof(subscribe311));
	h_feed(&h, 1, suback, sizeof(suback));
	h_feed(&h, 0, unsubscribe, sizeof(unsubscribe));
	h_feed(&h, 1, unsuback, sizeof(unsuback));
	h_feed(&h, 0, pingreq, sizeof(pingreq));
	h_feed(&h, 1, pingresp, sizeof(pingresp));
	h_feed(&h, 0, pingreq, sizeof(pingreq));
	h_feed(&h, 1, pingresp, sizeof(pingresp));
	h_feed(&h, 0, disconnect, sizeof(disconnect));
	const char *j = h_json(&h);
	assert_has(j, "\"subscribe\":[{\"filter\":\"a/#\",\"qos\":1},"
		      "{\"filter\":\"b/+\",\"qos\":2}],\"subscribe_count\":2,"
		      "\"unsubscribe\":[\"a/#\"],\"unsubscribe_count\":1,"
		      "\"pingreq\":2,\"disconnect\":true,\"messages\":10}");
	assert_hasnt(j, "disconnect_reason");
	assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_INVALID), 0);
	h_free(&h);
}

static void test_subscribe_5(void **unused)
{
	(void)unused;
	struct harness h;
	h_init(&h);
	h_feed(&h, 0, connect5, sizeof(connect5));
	h_feed(&h, 0, subscribe5, sizeof(subscribe5));
	assert_has(h_json(&h), "\"subscribe\":[{\"filter\":\"c/d\",\"qos\":2}]");
	h_free(&h);
	/* Level unknown: only the 5.0 reading makes the bytes fit. */
	h_init(&h);
	h_feed(&h, 0, subscribe5, sizeof(subscribe5));
	assert_has(h_json(&h), "\"subscribe\":[{\"filter\":\"c/d\",\"qos\":2}]");
	assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_INVALID), 0);
	h_free(&h);
}

/* A PUBLISH of remaining length rem with topic "t", QoS 0: header into
 * out, returns the header's length (payload follows, rem - 3 bytes). */
static size_t publish_header(uint8_t *out, uint32_t rem)
{
	size_t n = 0;
	out[n++] = 0x30;
	do {
		uint8_t b = rem & 0x7f;
		rem >>= 7;
		out[n++] = b | (rem ? 0x80 : 0);
	} while (rem);
	out[n++] = 0x00;
	out[n++] = 0x01;
	out[n++] = 't';
	return n;
}

static void test_remaining_length_edges(void **unused)
{
	(void)unused;
	static const uint32_t lens[] = {127, 128, 16383, 16384, 2097151, 2097152};
	static const size_t hdr[] = {2, 3, 3, 4, 4, 5}; /* fixed header bytes */
	static uint8_t payload[2097152];
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct harness h;
		uint8_t head[16];
		h_init(&h);
		size_t n = publish_header(head, lens[i]);
		assert_int_equal(n - 3, hdr[i]);
		h_feed(&h, 0, head, n);
		h_feed(&h, 0, payload, lens[i] - 3);
		h_feed(&h, 0, pingreq, sizeof(pingreq));
		char want[128];
		snprintf(want, sizeof(want), "\"publish\":{\"count\":1,\"bytes\":%u,",
			 lens[i] - 3);
		const char *j = h_json(&h);
		assert_has(j, want);
		assert_has(j, "\"pingreq\":1");
		assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_INVALID), 0);
		h_free(&h);
	}
	/* 2^28 - 1, the largest: ff ff ff 7f.  Only the head is fed. */
	struct harness h;
	uint8_t head[16];
	h_init(&h);
	size_t n = publish_header(head, 268435455u);
	assert_int_equal(n, 8);
	assert_memory_equal(head + 1, "\xff\xff\xff\x7f", 4);
	h_feed(&h, 0, head, n);
	assert_has(h_json(&h), "\"publish\":{\"count\":1,\"bytes\":268435452,");
	assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_INVALID), 0);
	h_free(&h);
	/* Five length bytes: invalid, and nothing is parsed from there. */
	const uint8_t five[] = {0x30, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0x01, 't'};
	h_init(&h);
	h_feed(&h, 0, pingreq, sizeof(pingreq));
	h_feed(&h, 0, five, sizeof(five));
	assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_INVALID), 1);
	assert_hasnt(h_json(&h), "publish");
	/* The next segment that starts with a message is read again. */
	h_feed(&h, 0, publish_q0, sizeof(publish_q0));
	assert_has(h_json(&h), "\"topic\":\"cmd/go\"");
	h_free(&h);
}

/* A message longer than the cap that is not a PUBLISH is skipped by
 * length (counted oversize); what follows is parsed. */
static void test_oversize_skipped(void **unused)
{
	(void)unused;
	struct harness h;
	h_init(&h);
	uint8_t head[] = {0x82, 0x80, 0x80, 0x08, 0x00, 0x01}; /* SUBSCRIBE, 131072 bytes */
	static uint8_t body[131072 - 2];
	h_feed(&h, 0, head, sizeof(head));
	for (size_t off = 0; off < sizeof(body); off += 1000)
		h_feed(&h, 0, body + off, sizeof(body) - off < 1000 ? sizeof(body) - off : 1000);
	h_feed(&h, 0, publish_q0, sizeof(publish_q0));
	assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_OVERSIZE), 1);
	assert_has(h_json(&h), "\"topic\":\"cmd/go\"");
	h_free(&h);
}

/* A 200 KB PUBLISH in 1400-byte segments: the topic and size are right;
 * the payload is skipped. */
static void test_big_publish_streamed(void **unused)
{
	(void)unused;
	static uint8_t msg[200000 + 16];
	uint8_t head[16];
	size_t n = publish_header(head, 200000);
	memcpy(msg, head, n);
	memset(msg + n, 'x', 200000 - 3);
	size_t total = n + 200000 - 3;
	memcpy(msg + total, pingreq, 2);
	total += 2;
	struct harness h;
	h_init(&h);
	for (size_t off = 0; off < total; off += 1400)
		h_feed(&h, 0, msg + off, total - off < 1400 ? total - off : 1400);
	const char *j = h_json(&h);
	assert_has(j, "\"publish\":{\"count\":1,\"bytes\":199997,");
	assert_has(j, "\"pingreq\":1");
	assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_OVERSIZE), 0);
	h_free(&h);
}

/* A session per direction, as bytes. */
struct session {
	uint8_t b[2][512];
	size_t n[2];
};

static void add(struct session *s, int dir, const uint8_t *p, size_t n)
{
	assert_true(s->n[dir] + n <= sizeof(s->b[dir]));
	memcpy(s->b[dir] + s->n[dir], p, n);
	s->n[dir] += n;
}

static void session_build(struct session *s, int v5)
{
	memset(s, 0, sizeof(*s));
	if (v5) {
		add(s, 0, connect5, sizeof(connect5));
		add(s, 1, connack5, sizeof(connack5));
		add(s, 1, publish5_q0, sizeof(publish5_q0));
		add(s, 0, publish5_alias_set, sizeof(publish5_alias_set));
		add(s, 0, publish5_alias_use, sizeof(publish5_alias_use));
		add(s, 0, subscribe5, sizeof(subscribe5));
		add(s, 0, disconnect5, sizeof(disconnect5));
	} else {
		add(s, 0, connect311, sizeof(connect311));
		add(s, 1, connack311, sizeof(connack311));
		add(s, 1, publish_q0, sizeof(publish_q0));
		add(s, 0, publish_q1, sizeof(publish_q1));
		add(s, 0, subscribe311, sizeof(subscribe311));
		add(s, 0, unsubscribe, sizeof(unsubscribe));
		add(s, 0, pingreq, sizeof(pingreq));
		add(s, 0, disconnect, sizeof(disconnect));
	}
	add(s, 1, puback, sizeof(puback));
	add(s, 1, suback, sizeof(suback));
	add(s, 1, pingresp, sizeof(pingresp));
}

/* Fed whole, split in two at every byte, or a byte at a time: the same
 * output.  (The client's bytes go first: the broker's PUBLISH payload
 * size does not depend on it, but the level does.) */
static void test_split_at_every_byte(void **unused)
{
	(void)unused;
	for (int v5 = 0; v5 < 2; v5++) {
		struct session s;
		session_build(&s, v5);
		struct harness ref;
		h_init(&ref);
		h_feed(&ref, 0, s.b[0], s.n[0]);
		h_feed(&ref, 1, s.b[1], s.n[1]);
		const char *want = h_json(&ref);
		assert_int_equal(h_cnt(&ref, CNT_DIS_MQTT_INVALID), 0);
		assert_has(want, "\"publish\":{\"count\":");
		for (int dir = 0; dir < 2; dir++) {
			for (size_t k = 1; k < s.n[dir]; k++) {
				struct harness h;
				h_init(&h);
				h_feed(&h, 0, s.b[0], dir == 0 ? k : s.n[0]);
				if (dir == 0)
					h_feed(&h, 0, s.b[0] + k, s.n[0] - k);
				h_feed(&h, 1, s.b[1], dir == 1 ? k : s.n[1]);
				if (dir == 1)
					h_feed(&h, 1, s.b[1] + k, s.n[1] - k);
				if (strcmp(h_json(&h), want) != 0)
					fail_msg("v5 %d dir %d split at %zu: %s", v5, dir, k, h.json);
				assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_INVALID), 0);
				h_free(&h);
			}
		}
		struct harness h;
		h_init(&h);
		for (size_t i = 0; i < s.n[0]; i++)
			h_feed(&h, 0, s.b[0] + i, 1);
		for (size_t i = 0; i < s.n[1]; i++)
			h_feed(&h, 1, s.b[1] + i, 1);
		assert_string_equal(h_json(&h), want);
		h_free(&h);
		h_free(&ref);
	}
}

static void test_two_messages_one_chunk(void **unused)
{
	(void)unused;
	uint8_t two[sizeof(publish_q1) + sizeof(pingreq)];
	memcpy(two, publish_q1, sizeof(publish_q1));
	memcpy(two + sizeof(publish_q1), pingreq, sizeof(pingreq));
	struct harness h;
	h_init(&h);
	h_feed(&h, 0, two, sizeof(two));
	const char *j = h_json(&h);
	assert_has(j, "\"topic\":\"dev/1/temp\"");
	assert_has(j, "\"pingreq\":1,\"messages\":2}");
	h_free(&h);
}

/* Picked up mid-way: the first segment is the tail of a payload (dropped),
 * then the broker's CONNACK tells which side is the client, and the
 * client's PUBLISH is read by 3.1.1 rules. */
static void test_midstream_start(void **unused)
{
	(void)unused;
	struct harness h;
	h_init(&h);
	h_feed(&h, 1, (const uint8_t *)"21.5", 4); /* tail of a payload */
	h_feed(&h, 1, connack311, sizeof(connack311));
	h_feed(&h, 0, (const uint8_t *)"1.5\"}", 5);
	h_feed(&h, 0, publish_q1, sizeof(publish_q1));
	const char *j = h_json(&h);
	assert_hasnt(j, "version");
	assert_hasnt(j, "client_id");
	assert_has(j, "\"connack_code\":0");
	assert_has(j, "{\"topic\":\"dev/1/temp\",\"qos\":1,\"retain\":true,"
		      "\"direction\":\"publish\",\"count\":1,\"bytes\":4}");
	assert_has(j, "\"messages\":2}");
	assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_INVALID), 0);
	h_free(&h);
	/* The broker is the flow's source (dir 0), and its CONNACK says so. */
	h_init(&h);
	h_feed(&h, 0, connack311, sizeof(connack311));
	h_feed(&h, 1, publish_q1, sizeof(publish_q1));
	h_feed(&h, 0, publish_q0, sizeof(publish_q0));
	j = h_json(&h);
	assert_has(j, "\"published\":{\"count\":1,\"bytes\":4},"
		      "\"delivered\":{\"count\":1,\"bytes\":3}");
	assert_has(j, "{\"topic\":\"dev/1/temp\",\"qos\":1,\"retain\":true,"
		      "\"direction\":\"publish\"");
	assert_has(j, "{\"topic\":\"cmd/go\",\"qos\":0,\"retain\":false,"
		      "\"direction\":\"deliver\"");
	h_free(&h);
}

/* Every cut of a message, then a hole: no crash, counted truncated,
 * nothing half-read recorded; the stream is read again after the hole. */
static void test_truncated_every_cut(void **unused)
{
	(void)unused;
	const uint8_t *msgs[] = {connect311, connect5, publish_q1, subscribe311, publish5_alias_set};
	const size_t lens[] = {sizeof(connect311), sizeof(connect5), sizeof(publish_q1),
			       sizeof(subscribe311), sizeof(publish5_alias_set)};
	for (size_t m = 0; m < sizeof(msgs) / sizeof(msgs[0]); m++) {
		for (size_t k = 1; k < lens[m]; k++) {
			struct harness h;
			h_init(&h);
			h_feed(&h, 0, msgs[m], k);
			h_gap(&h, 0);
			assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_TRUNC), 1);
			const char *j = h_json(&h);
			assert_hasnt(j, "client_id");
			assert_hasnt(j, "subscribe");
			/* A publish head may be complete before its payload. */
			if (msgs[m] == publish_q1 && k < 2 + 14)
				assert_hasnt(j, "publish");
			h_feed(&h, 0, publish_q0, sizeof(publish_q0));
			assert_has(h_json(&h), "\"topic\":\"cmd/go\"");
			assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_INVALID), 0);
			h_free(&h);
		}
	}
	/* A hole between messages cuts nothing. */
	struct harness h;
	h_init(&h);
	h_feed(&h, 0, pingreq, sizeof(pingreq));
	h_gap(&h, 0);
	assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_TRUNC), 0);
	h_free(&h);
}

static void test_invalid(void **unused)
{
	(void)unused;
	struct harness h;
	/* A protocol name that is not MQTT's. */
	uint8_t badname[sizeof(connect311)];
	memcpy(badname, connect311, sizeof(badname));
	badname[7] = 'X';
	h_init(&h);
	h_feed(&h, 0, badname, sizeof(badname));
	assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_INVALID), 1);
	assert_hasnt(h_json(&h), "client_id");
	h_free(&h);
	/* A user name longer than the message. */
	uint8_t longuser[sizeof(connect311)];
	memcpy(longuser, connect311, sizeof(longuser));
	longuser[43] = 0x40; /* user name length 0x4007 */
	h_init(&h);
	h_feed(&h, 0, longuser, sizeof(longuser));
	assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_INVALID), 1);
	assert_hasnt(h_json(&h), "client_id");
	/* Framing holds: the next message is read. */
	h_feed(&h, 0, pingreq, sizeof(pingreq));
	assert_has(h_json(&h), "\"pingreq\":1");
	h_free(&h);
	/* A SUBSCRIBE filter running past the message; one with no filter. */
	const uint8_t sub_over[] = {0x82, 0x06, 0x00, 0x01, 0x00, 0x09, 'a', 0x00};
	const uint8_t sub_none[] = {0x82, 0x02, 0x00, 0x01};
	h_init(&h);
	h_feed(&h, 0, pingreq, sizeof(pingreq));
	h_feed(&h, 0, sub_over, sizeof(sub_over));
	h_feed(&h, 0, sub_none, sizeof(sub_none));
	assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_INVALID), 2);
	h_free(&h);
	/* Type 0, a PINGREQ with a body, PUBLISH QoS 3: the framing is lost. */
	const uint8_t type0[] = {0x00, 0x00};
	const uint8_t ping_body[] = {0xc0, 0x01, 0x00};
	const uint8_t qos3[] = {0x36, 0x03, 0x00, 0x01, 't'};
	h_init(&h);
	h_feed(&h, 0, pingreq, sizeof(pingreq));
	h_feed(&h, 0, type0, sizeof(type0));
	h_feed(&h, 0, pingreq, sizeof(pingreq));
	h_feed(&h, 0, ping_body, sizeof(ping_body));
	h_feed(&h, 0, pingreq, sizeof(pingreq));
	h_feed(&h, 0, pingreq, sizeof(pingreq));
	h_feed(&h, 0, qos3, sizeof(qos3));
	assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_INVALID), 3);
	assert_has(h_json(&h), "\"pingreq\":4");
	h_free(&h);
	/* A 5.0 PUBLISH whose property has an unknown id. */
	const uint8_t badprop[] = {0x30, 0x07, 0x00, 0x01, 't', 0x02, 0x7e, 0x00, 'x'};
	h_init(&h);
	h_feed(&h, 0, connect5, sizeof(connect5));
	h_feed(&h, 0, badprop, sizeof(badprop));
	assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_INVALID), 1);
	assert_hasnt(h_json(&h), "publish");
	h_free(&h);
	/* Not MQTT at all: after a few invalid messages the flow is left. */
	h_init(&h);
	for (int i = 0; i < 20; i++) {
		h_feed(&h, 0, pingreq, sizeof(pingreq));
		h_feed(&h, 0, type0, sizeof(type0));
	}
	assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_INVALID), 8);
	assert_int_equal(h_cnt(&h, CNT_DIS_MQTT_FLOWS), 1);
	h_free(&h);
}

/* Long strings are cut at a UTF-8 boundary; invalid UTF-8 is escaped by
 * the writer. */
static void test_long_and_odd_strings(void **unused)
{
	(void)unused;
	static uint8_t msg[3 + 2004];
	size_t tlen = 2000;
	msg[0] = 0x30;
	msg[1] = 0xd4; /* 2004 = 0x7d4: d4 0f */
	msg[2] = 0x0f;
	msg[3] = (uint8_t)(tlen >> 8);
	msg[4] = (uint8_t)tlen;
	for (size_t i = 0; i < tlen; i += 2) {
		msg[5 + i] = 0xc3; /* U+00E9, two bytes */
		msg[5 + i + 1] = 0xa9;
	}
	/* Payload: the last 1 byte of the 2004 (2004 - 2 - 2000 = 2). */
	struct harness h;
	h_init(&h);
	h_feed(&h, 0, msg, 3 + 2004);
	const char *j = h_json(&h);
	/* 1024 bytes would cut a character: 1024 is even, so exactly 512. */
	const char *t = strstr(j, "\"topic\":\"");
	assert_non_null(t);
	t += 9;
	const char *e = strchr(t, '"');
	assert_int_equal(e - t, 1024);
	assert_has(j, "\"bytes\":2");
	h_free(&h);
	const uint8_t odd[] = {0x30, 0x06, 0x00, 0x03, 'a', 0xff, 'b', 'p'};
	h_init(&h);
	h_feed(&h, 0, odd, sizeof(odd));
	assert_has(h_json(&h), "\"topic\":\"a\\u00ffb\"");
	h_free(&h);
}

/* ------------------------------------------------------------ intent */

/* A PUBLISH (QoS 0, payload "1") or a SUBSCRIBE (packet id 1, QoS 1) of
 * one topic; returns its length. */
static size_t topic_msg(uint8_t *out, int subscribe, const char *topic)
{
	size_t tl = strlen(topic), rem = 2 + tl + (subscribe ? 3 : 1), k = 0;
	out[k++] = subscribe ? 0x82 : 0x30;
	do { /* remaining length, 7 bits a byte */
		out[k++] = (uint8_t)((rem & 0x7f) | (rem > 0x7f ? 0x80 : 0));
		rem >>= 7;
	} while (rem);
	if (subscribe) {
		out[k++] = 0x00;
		out[k++] = 0x01; /* packet id */
	}
	out[k++] = (uint8_t)(tl >> 8);
	out[k++] = (uint8_t)tl;
	memcpy(out + k, topic, tl);
	k += tl;
	out[k++] = subscribe ? 0x01 : '1'; /* QoS 1 / the payload */
	return k;
}

/* The votes for one message of topic in direction dir. */
static void vote_one(struct intent_input *in, int dir, int subscribe, const char *topic)
{
	struct harness h;
	uint8_t m[600];
	h_init(&h);
	h_feed(&h, 0, connect311, sizeof(connect311));
	h_feed(&h, dir, m, topic_msg(m, subscribe, topic));
	memset(in, 0, sizeof(*in));
	dissector_mqtt.intent(h.state, in);
	h_free(&h);
}

static void assert_vote(const struct intent_input *in, size_t i, enum intent it,
			enum confidence c, const char *why)
{
	assert_true(in->n_votes > i);
	assert_int_equal(in->votes[i].intent, it);
	assert_int_equal(in->votes[i].conf, c);
	assert_string_equal(in->votes[i].why, why);
}

static void test_intent_topics(void **unused)
{
	struct intent_input in;
	(void)unused;
	/* AWS IoT Jobs, both ways; the thing name (an IMEI here) not shown. */
	vote_one(&in, 0, 0, "$aws/things/359123456789012/jobs/$next/get");
	assert_int_equal(in.n_votes, 1);
	assert_vote(&in, 0, INTENT_FOTA, CONF_CONFIRMED,
		    "MQTT PUBLISH $aws/things/<thing>/jobs/$next/get from the device "
		    "(AWS IoT Jobs)");
	vote_one(&in, 1, 0, "$aws/things/meter-7/jobs/notify-next");
	assert_vote(&in, 0, INTENT_FOTA, CONF_CONFIRMED,
		    "MQTT PUBLISH $aws/things/<thing>/jobs/notify-next to the device "
		    "(AWS IoT Jobs)");
	vote_one(&in, 0, 0, "$aws/things/meter-7/jobs/job-42/update");
	assert_vote(&in, 0, INTENT_FOTA, CONF_CONFIRMED,
		    "MQTT PUBLISH $aws/things/<thing>/jobs/job-42/update from the device "
		    "(AWS IoT Jobs)");
	vote_one(&in, 1, 0, "$aws/things/meter-7/streams/AFR_OTA-1/data/cbor");
	assert_vote(&in, 0, INTENT_FOTA, CONF_CONFIRMED,
		    "MQTT PUBLISH $aws/things/<thing>/streams/AFR_OTA-1/data/cbor to the "
		    "device (AWS IoT OTA stream)");
	/* A shadow topic is not a job: from the device it is telemetry. */
	vote_one(&in, 0, 0, "$aws/things/meter-7/shadow/update");
	assert_vote(&in, 0, INTENT_TELEMETRY, CONF_PROBABLE,
		    "MQTT PUBLISH $aws/things/meter-7/shadow/update from the device");
	/* nRF Cloud: team and device levels left out. */
	vote_one(&in, 1, 0, "prod/6c0f5b0a-team/nrf-352656100123456/jobs/rcv");
	assert_vote(&in, 0, INTENT_FOTA, CONF_CONFIRMED,
		    "MQTT PUBLISH prod/.../jobs/rcv to the device (jobs topic)");
	/* "jobs" too high up, or the last level, is no job topic. */
	vote_one(&in, 0, 0, "a/b/jobs/x");
	assert_vote(&in, 0, INTENT_TELEMETRY, CONF_PROBABLE,
		    "MQTT PUBLISH a/b/jobs/x from the device");
	vote_one(&in, 0, 0, "a/b/c/jobs");
	assert_int_equal(in.votes[0].intent, INTENT_TELEMETRY);
	/* Azure IoT Hub twin and direct methods: device management. */
	vote_one(&in, 0, 0, "$iothub/twin/PATCH/properties/reported/?$rid=1");
	assert_int_equal(in.n_votes, 1);
	assert_vote(&in, 0, INTENT_DM, CONF_CONFIRMED,
		    "MQTT PUBLISH $iothub/twin/PATCH/properties/reported/?$rid=1 from the "
		    "device");
	vote_one(&in, 1, 0, "$iothub/methods/POST/reboot/?$rid=7");
	assert_vote(&in, 0, INTENT_DM, CONF_CONFIRMED,
		    "MQTT PUBLISH $iothub/methods/POST/reboot/?$rid=7 to the device");
	/* Telemetry: digit runs of 14+ masked, 13 kept. */
	vote_one(&in, 0, 0, "devices/860123456789012/telemetry/1234567890123");
	assert_int_equal(in.n_votes, 1);
	assert_vote(&in, 0, INTENT_TELEMETRY, CONF_PROBABLE,
		    "MQTT PUBLISH devices/<imei>/telemetry/1234567890123 from the device");
	/* The broker's deliveries of other topics say nothing. */
	vote_one(&in, 1, 0, "cmd/go");
	assert_int_equal(in.n_votes, 0);
	/* A subscription alone is probable. */
	vote_one(&in, 0, 1, "$aws/things/+/jobs/notify-next");
	assert_int_equal(in.n_votes, 1);
	assert_vote(&in, 0, INTENT_FOTA, CONF_PROBABLE,
		    "MQTT SUBSCRIBE $aws/things/<thing>/jobs/notify-next");
	vote_one(&in, 0, 1, "$iothub/twin/res/#");
	assert_vote(&in, 0, INTENT_DM, CONF_PROBABLE, "MQTT SUBSCRIBE $iothub/twin/res/#");
	vote_one(&in, 0, 1, "a/#");
	assert_int_equal(in.n_votes, 0);
}

/* A long topic is cut in the evidence; control bytes are not printed. */
static void test_intent_long_topic(void **unused)
{
	struct intent_input in;
	char topic[400];
	(void)unused;
	memset(topic, 'x', sizeof(topic));
	topic[0] = 't', topic[1] = '/', topic[2] = '\t';
	topic[sizeof(topic) - 1] = '\0';
	vote_one(&in, 0, 0, topic);
	assert_int_equal(in.n_votes, 1);
	assert_true(strlen(in.votes[0].why) < INTENT_EVIDENCE_LEN);
	assert_non_null(strstr(in.votes[0].why, "t/?xxx"));
	assert_non_null(strstr(in.votes[0].why, "x... from the device"));
	/* Nothing published: nothing to say. */
	struct harness h;
	h_init(&h);
	memset(&in, 0, sizeof(in));
	dissector_mqtt.intent(h.state, &in);
	assert_int_equal(in.n_votes, 0);
	h_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_connect_311),
		cmocka_unit_test(test_connect_31),
		cmocka_unit_test(test_connect_5_properties),
		cmocka_unit_test(test_password_never_output),
		cmocka_unit_test(test_publish_both_ways),
		cmocka_unit_test(test_publish_list_capped),
		cmocka_unit_test(test_publish_5_properties_alias),
		cmocka_unit_test(test_subscribe_unsubscribe_ping),
		cmocka_unit_test(test_subscribe_5),
		cmocka_unit_test(test_remaining_length_edges),
		cmocka_unit_test(test_oversize_skipped),
		cmocka_unit_test(test_big_publish_streamed),
		cmocka_unit_test(test_split_at_every_byte),
		cmocka_unit_test(test_two_messages_one_chunk),
		cmocka_unit_test(test_midstream_start),
		cmocka_unit_test(test_truncated_every_cut),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_long_and_odd_strings),
		cmocka_unit_test(test_intent_topics),
		cmocka_unit_test(test_intent_long_topic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
