/*
 * apngen-proto.c - the sessions apngen generates, one builder per protocol:
 *
 *   DNS       RFC 1035   A query and answer with a TTL, UDP 53
 *   TLS       RFC 8446 / RFC 5246   ClientHello with SNI, groups, point
 *             formats, signature algorithms, ALPN, supported_versions;
 *             a TLS 1.3 ServerHello, or a TLS 1.2 abbreviated (resumed)
 *             handshake; then encrypted application data, TCP 443
 *   MQTT      3.1.1      CONNECT (client id = IMEI), CONNACK, PUBLISH QoS 0
 *             telemetry, DISCONNECT, TCP 1883
 *   CoAP      RFC 7252 / RFC 7959   LwM2M 1.1 register (POST /rd) and a
 *             firmware pull with Block2 (SZX 6), UDP 5683
 *   HTTP/1.1  RFC 9112   GET of a firmware image or of GNSS assistance
 *             data, body in MSS-sized segments, TCP 80
 *   RADIUS    RFC 2866 / TS 29.061   Accounting Start and Stop with 3GPP
 *             vendor attributes, and their responses, UDP 1813
 *
 * Every name resolves into a documentation range (RFC 5737).
 */
#include <string.h>

#include "apngen.h"

#define RADIUS_SECRET "testing123"

struct server {
	const char *name;
	uint32_t ip;
	uint32_t ttl;
};

static const struct server srv_quectel = {"iot-south.quectel.com", IP4(203, 0, 113, 10), 300};
static const struct server srv_bootstrap = {"aiot-bootstrap.quectel.com", IP4(203, 0, 113, 11),
					    600};
static const struct server srv_xtra[3] = {
	{"xtrapath1.izatcloud.net", IP4(203, 0, 113, 21), 3600},
	{"xtrapath2.izatcloud.net", IP4(203, 0, 113, 22), 3600},
	{"xtrapath3.izatcloud.net", IP4(203, 0, 113, 23), 3600},
};
static const struct server srv_fota = {"fota.example.com", IP4(192, 0, 2, 10), 60};
static const struct server srv_mqtt = {"mqtt.example.com", IP4(192, 0, 2, 20), 300};
static const struct server srv_lwm2m = {"lwm2m.example.com", IP4(192, 0, 2, 30), 300};
static const struct server srv_api = {"api.example.net", IP4(198, 51, 100, 80), 120};

/* ---- a small byte writer ---- */

struct wbuf {
	uint8_t *p;
	size_t n;
};

static void w_u8(struct wbuf *w, uint8_t v)
{
	w->p[w->n++] = v;
}

static void w_be16(struct wbuf *w, uint16_t v)
{
	put_be16(w->p + w->n, v);
	w->n += 2;
}

static void w_be32(struct wbuf *w, uint32_t v)
{
	put_be32(w->p + w->n, v);
	w->n += 4;
}

static void w_bytes(struct wbuf *w, const void *d, size_t len)
{
	memcpy(w->p + w->n, d, len);
	w->n += len;
}

static void w_str(struct wbuf *w, const char *s)
{
	w_bytes(w, s, strlen(s));
}

static void w_rand(struct gen *g, struct wbuf *w, size_t len)
{
	rng_bytes(&g->rng, w->p + w->n, len);
	w->n += len;
}

/* Reserves a big-endian length field of width bytes; w_end fills it in. */
static size_t w_begin(struct wbuf *w, unsigned width)
{
	size_t mark = w->n;
	w->n += width;
	return mark;
}

static void w_end(struct wbuf *w, size_t mark, unsigned width)
{
	size_t len = w->n - mark - width;
	for (unsigned i = 0; i < width; i++)
		w->p[mark + i] = (uint8_t)(len >> (8 * (width - 1 - i)));
}

/* ---- flows of a device ---- */

static uint16_t device_port(struct gen *g, struct device *dev)
{
	uint16_t p = dev->next_port;
	uint32_t next = (uint32_t)p + 1 + rng_below(&g->rng, 7);
	if (next > 60999)
		next = 32768 + (next - 61000);
	dev->next_port = (uint16_t)next;
	return p;
}

static void device_flow(struct gen *g, struct flow *f, struct device *dev, uint32_t sip,
			uint16_t sport, uint8_t proto)
{
	flow_open(g, f, dev, dev->ip, device_port(g, dev), sip, sport, proto);
	g->flows_made++;
}

/* ---- DNS ---- */

static void dns_name(struct wbuf *w, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);
		w_u8(w, (uint8_t)len);
		w_bytes(w, name, len);
		name += len + (dot ? 1 : 0);
	}
	w_u8(w, 0);
}

static void dns_lookup(struct gen *g, struct sess *s, struct device *dev,
		       const struct server *srv)
{
	struct flow f;
	struct wbuf w = {g->app, 0};
	uint16_t id = (uint16_t)rng_next(&g->rng);

	device_flow(g, &f, dev, ADDR_DNS, 53, 17);
	w_be16(&w, id);
	w_be16(&w, 0x0100); /* standard query, recursion desired */
	w_be16(&w, 1);
	w_be16(&w, 0);
	w_be16(&w, 0);
	w_be16(&w, 0);
	dns_name(&w, srv->name);
	w_be16(&w, 1); /* A */
	w_be16(&w, 1); /* IN */
	udp_send(g, s, &f, 1, w.p, w.n);

	w.n = 0;
	w_be16(&w, id);
	w_be16(&w, 0x8180); /* response, RD, RA, no error */
	w_be16(&w, 1);
	w_be16(&w, 1);
	w_be16(&w, 0);
	w_be16(&w, 0);
	dns_name(&w, srv->name);
	w_be16(&w, 1);
	w_be16(&w, 1);
	w_be16(&w, 0xc00c); /* the name of the question */
	w_be16(&w, 1);
	w_be16(&w, 1);
	w_be32(&w, srv->ttl);
	w_be16(&w, 4);
	w_be32(&w, srv->ip);
	udp_send(g, s, &f, 0, w.p, w.n);
}

/* ---- TLS ---- */

/* Two TLS stacks: one offers TLS 1.3 (and 1.2), one is a TLS 1.2 stack of
 * the kind small modules carry. Their ClientHellos differ, and so do their
 * JA3 fingerprints. */
static const uint16_t tls13_ciphers[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c,
					 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c,
					 0x009d, 0x002f, 0x0035};
static const uint16_t tls12_ciphers[] = {0xc02b, 0xc02f, 0xc02c, 0xc030, 0xc023, 0xc027, 0xc009,
					 0xc013, 0x009c, 0x009d, 0x003c, 0x002f, 0x0035, 0x00ff};
static const uint16_t tls13_groups[] = {0x001d, 0x0017, 0x0018};
static const uint16_t tls12_groups[] = {0x0017, 0x0018, 0x0019};
static const uint16_t sig_algs[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805,
				    0x0501, 0x0806, 0x0601, 0x0201};

static void tls_ext_begin(struct wbuf *w, uint16_t type, size_t *mark)
{
	w_be16(w, type);
	*mark = w_begin(w, 2);
}

static void tls_u16_list(struct wbuf *w, const uint16_t *v, size_t n)
{
	size_t m = w_begin(w, 2);
	for (size_t i = 0; i < n; i++)
		w_be16(w, v[i]);
	w_end(w, m, 2);
}

static void tls_client_hello(struct gen *g, struct wbuf *w, const char *sni, int tls12_only,
			     const uint8_t sid[32])
{
	size_t rec, hs, exts, e, m;

	w_u8(w, 22); /* handshake */
	w_be16(w, 0x0301);
	rec = w_begin(w, 2);
	w_u8(w, 1); /* client_hello */
	hs = w_begin(w, 3);
	w_be16(w, 0x0303);
	w_rand(g, w, 32);
	w_u8(w, 32);
	w_bytes(w, sid, 32);
	if (tls12_only)
		tls_u16_list(w, tls12_ciphers, sizeof(tls12_ciphers) / 2);
	else
		tls_u16_list(w, tls13_ciphers, sizeof(tls13_ciphers) / 2);
	w_u8(w, 1);
	w_u8(w, 0); /* null compression */
	exts = w_begin(w, 2);

	/* server_name */
	tls_ext_begin(w, 0, &e);
	m = w_begin(w, 2);
	w_u8(w, 0); /* host_name */
	size_t hn = w_begin(w, 2);
	w_str(w, sni);
	w_end(w, hn, 2);
	w_end(w, m, 2);
	w_end(w, e, 2);

	if (tls12_only) {
		tls_ext_begin(w, 13, &e); /* signature_algorithms */
		tls_u16_list(w, sig_algs, sizeof(sig_algs) / 2);
		w_end(w, e, 2);
		tls_ext_begin(w, 10, &e); /* supported_groups */
		tls_u16_list(w, tls12_groups, sizeof(tls12_groups) / 2);
		w_end(w, e, 2);
		tls_ext_begin(w, 11, &e); /* ec_point_formats: uncompressed */
		w_u8(w, 1);
		w_u8(w, 0);
		w_end(w, e, 2);
	} else {
		tls_ext_begin(w, 11, &e);
		w_u8(w, 1);
		w_u8(w, 0);
		w_end(w, e, 2);
		tls_ext_begin(w, 10, &e);
		tls_u16_list(w, tls13_groups, sizeof(tls13_groups) / 2);
		w_end(w, e, 2);
	}
	tls_ext_begin(w, 35, &e); /* session_ticket, empty */
	w_end(w, e, 2);
	tls_ext_begin(w, 16, &e); /* ALPN */
	m = w_begin(w, 2);
	w_u8(w, 8);
	w_str(w, "http/1.1");
	w_end(w, m, 2);
	w_end(w, e, 2);
	if (!tls12_only) {
		tls_ext_begin(w, 22, &e); /* encrypt_then_mac */
		w_end(w, e, 2);
	}
	tls_ext_begin(w, 23, &e); /* extended_master_secret */
	w_end(w, e, 2);
	if (!tls12_only) {
		tls_ext_begin(w, 13, &e);
		tls_u16_list(w, sig_algs, sizeof(sig_algs) / 2);
		w_end(w, e, 2);
	}
	tls_ext_begin(w, 43, &e); /* supported_versions */
	if (tls12_only) {
		w_u8(w, 2);
		w_be16(w, 0x0303);
	} else {
		w_u8(w, 4);
		w_be16(w, 0x0304);
		w_be16(w, 0x0303);
	}
	w_end(w, e, 2);
	if (!tls12_only) {
		tls_ext_begin(w, 45, &e); /* psk_key_exchange_modes: psk_dhe_ke */
		w_u8(w, 1);
		w_u8(w, 1);
		w_end(w, e, 2);
		tls_ext_begin(w, 51, &e); /* key_share: x25519 */
		m = w_begin(w, 2);
		w_be16(w, 0x001d);
		w_be16(w, 32);
		w_rand(g, w, 32);
		w_end(w, m, 2);
		w_end(w, e, 2);
	} else {
		tls_ext_begin(w, 0xff01, &e); /* renegotiation_info, initial */
		w_u8(w, 0);
		w_end(w, e, 2);
	}
	w_end(w, exts, 2);
	w_end(w, hs, 3);
	w_end(w, rec, 2);
}

static void tls_record(struct gen *g, struct wbuf *w, uint8_t type, size_t len)
{
	w_u8(w, type);
	w_be16(w, 0x0303);
	w_be16(w, (uint16_t)len);
	w_rand(g, w, len);
}

static void tls_ccs(struct wbuf *w)
{
	static const uint8_t ccs[6] = {20, 0x03, 0x03, 0, 1, 1};
	w_bytes(w, ccs, sizeof(ccs));
}

static void tls_server_hello(struct gen *g, struct wbuf *w, int tls12, const uint8_t sid[32])
{
	size_t rec, hs, exts, e;
	w_u8(w, 22);
	w_be16(w, 0x0303);
	rec = w_begin(w, 2);
	w_u8(w, 2); /* server_hello */
	hs = w_begin(w, 3);
	w_be16(w, 0x0303);
	w_rand(g, w, 32);
	w_u8(w, 32);
	w_bytes(w, sid, 32);
	w_be16(w, tls12 ? 0xc02f : 0x1301);
	w_u8(w, 0);
	exts = w_begin(w, 2);
	if (tls12) {
		tls_ext_begin(w, 0xff01, &e);
		w_u8(w, 0);
		w_end(w, e, 2);
		tls_ext_begin(w, 23, &e);
		w_end(w, e, 2);
	} else {
		tls_ext_begin(w, 43, &e);
		w_be16(w, 0x0304);
		w_end(w, e, 2);
		tls_ext_begin(w, 51, &e);
		w_be16(w, 0x001d);
		w_be16(w, 32);
		w_rand(g, w, 32);
		w_end(w, e, 2);
	}
	w_end(w, exts, 2);
	w_end(w, hs, 3);
	w_end(w, rec, 2);
}

static void tls_session(struct gen *g, struct sess *s, struct device *dev,
			const struct server *srv)
{
	struct flow f;
	struct wbuf w = {g->app, 0};
	uint8_t sid[32];
	int tls12 = dev->model->tls12_only;

	device_flow(g, &f, dev, srv->ip, 443, 6);
	tcp_connect(g, s, &f);
	rng_bytes(&g->rng, sid, sizeof(sid));
	tls_client_hello(g, &w, srv->name, tls12, sid);
	tcp_send(g, s, &f, 1, w.p, w.n, 1);

	/* Server flight. TLS 1.3: ServerHello, the middlebox-compatibility
	 * ChangeCipherSpec, then the encrypted rest of the handshake. TLS 1.2:
	 * the abbreviated handshake of a resumed session, which needs no
	 * certificate: ServerHello, ChangeCipherSpec, Finished. */
	w.n = 0;
	tls_server_hello(g, &w, tls12, sid);
	tls_ccs(&w);
	if (tls12)
		tls_record(g, &w, 22, 40);
	else
		tls_record(g, &w, 23, 900 + rng_below(&g->rng, 1100));
	tcp_send(g, s, &f, 0, w.p, w.n, 0);

	/* Client: its ChangeCipherSpec and Finished, then a request. */
	w.n = 0;
	tls_ccs(&w);
	if (tls12)
		tls_record(g, &w, 22, 40);
	else
		tls_record(g, &w, 23, 53);
	tls_record(g, &w, 23, 120 + rng_below(&g->rng, 500));
	tcp_send(g, s, &f, 1, w.p, w.n, 0);

	unsigned rounds = 1 + rng_below(&g->rng, 2);
	for (unsigned i = 0; i < rounds; i++) {
		w.n = 0;
		tls_record(g, &w, 23, 150 + rng_below(&g->rng, 1350));
		tcp_send(g, s, &f, 0, w.p, w.n, 1);
		if (i + 1 < rounds) {
			w.n = 0;
			tls_record(g, &w, 23, 80 + rng_below(&g->rng, 300));
			tcp_send(g, s, &f, 1, w.p, w.n, 0);
		}
	}
	/* close_notify: encrypted, so an application_data record in 1.3. */
	w.n = 0;
	tls_record(g, &w, tls12 ? 21 : 23, tls12 ? 26 : 19);
	tcp_send(g, s, &f, 1, w.p, w.n, 1);
	tcp_close(g, s, &f, 1);
}

/* ---- MQTT 3.1.1 ---- */

static void mqtt_fixed_header(struct wbuf *w, uint8_t type_flags, size_t remaining)
{
	w_u8(w, type_flags);
	do {
		uint8_t b = remaining & 0x7f;
		remaining >>= 7;
		w_u8(w, (uint8_t)(b | (remaining ? 0x80 : 0)));
	} while (remaining);
}

static void mqtt_string(struct wbuf *w, const char *s)
{
	w_be16(w, (uint16_t)strlen(s));
	w_str(w, s);
}

static void mqtt_session(struct gen *g, struct sess *s, struct device *dev,
			 const struct server *srv)
{
	struct flow f;
	struct wbuf w = {g->app, 0};
	uint8_t body[512];
	struct wbuf b = {body, 0};
	char pass[17], topic[64], json[256];

	device_flow(g, &f, dev, srv->ip, 1883, 6);
	tcp_connect(g, s, &f);

	for (int i = 0; i < 16; i++)
		pass[i] = "0123456789abcdef"[rng_below(&g->rng, 16)];
	pass[16] = 0;
	mqtt_string(&b, "MQTT");
	w_u8(&b, 4);    /* protocol level 3.1.1 */
	w_u8(&b, 0xc2); /* user name, password, clean session */
	w_be16(&b, 120);
	mqtt_string(&b, dev->imei);
	mqtt_string(&b, "fleet01");
	mqtt_string(&b, pass);
	mqtt_fixed_header(&w, 0x10, b.n);
	w_bytes(&w, body, b.n);
	tcp_send(g, s, &f, 1, w.p, w.n, 0);

	static const uint8_t connack[4] = {0x20, 2, 0, 0};
	tcp_send(g, s, &f, 0, connack, sizeof(connack), 0);

	unsigned n = 1 + rng_below(&g->rng, 4);
	uint64_t ts = pcap_writer_now_us(g->out) / 1000000u;
	for (unsigned i = 0; i < n; i++) {
		int status = rng_below(&g->rng, 5) == 0;
		snprintf(topic, sizeof(topic), "devices/%s/%s", dev->imei,
			 status ? "status" : "telemetry");
		if (status)
			snprintf(json, sizeof(json), "{\"ts\":%llu,\"state\":\"online\",\"fw\":\"%s\"}",
				 (unsigned long long)ts + i, dev->model->fw_ver[0]);
		else {
			/* One draw a statement: the order in which a call's
			 * arguments are evaluated is unspecified. */
			unsigned temp = 15 + rng_below(&g->rng, 15);
			unsigned tenth = rng_below(&g->rng, 10);
			unsigned rssi = 60 + rng_below(&g->rng, 50);
			unsigned bat = 50 + rng_below(&g->rng, 50);
			snprintf(json, sizeof(json),
				 "{\"ts\":%llu,\"seq\":%u,\"temp\":%u.%u,\"rssi\":-%u,\"bat\":3.%02u}",
				 (unsigned long long)ts + i, i, temp, tenth, rssi, bat);
		}
		b.n = 0;
		mqtt_string(&b, topic);
		w_str(&b, json);
		w.n = 0;
		mqtt_fixed_header(&w, 0x30, b.n);
		w_bytes(&w, body, b.n);
		tcp_send(g, s, &f, 1, w.p, w.n, 1);
	}
	static const uint8_t disconnect[2] = {0xe0, 0};
	tcp_send(g, s, &f, 1, disconnect, sizeof(disconnect), 0);
	tcp_close(g, s, &f, 1);
}

/* ---- CoAP / LwM2M ---- */

struct coap {
	struct wbuf w;
	unsigned last_opt;
};

static void coap_header(struct coap *c, uint8_t type, uint8_t code, uint16_t mid,
			const uint8_t token[4])
{
	w_u8(&c->w, (uint8_t)(0x40 | type << 4 | 4));
	w_u8(&c->w, code);
	w_be16(&c->w, mid);
	w_bytes(&c->w, token, 4);
	c->last_opt = 0;
}

static void coap_nibble(unsigned v, uint8_t *nib, uint8_t ext[2], size_t *extlen)
{
	if (v < 13) {
		*nib = (uint8_t)v;
		*extlen = 0;
	} else if (v < 269) {
		*nib = 13;
		ext[0] = (uint8_t)(v - 13);
		*extlen = 1;
	} else {
		*nib = 14;
		ext[0] = (uint8_t)((v - 269) >> 8);
		ext[1] = (uint8_t)(v - 269);
		*extlen = 2;
	}
}

static void coap_option(struct coap *c, unsigned num, const void *val, size_t len)
{
	uint8_t dn, ln, dext[2], lext[2];
	size_t dlen, llen;
	coap_nibble(num - c->last_opt, &dn, dext, &dlen);
	coap_nibble((unsigned)len, &ln, lext, &llen);
	w_u8(&c->w, (uint8_t)(dn << 4 | ln));
	w_bytes(&c->w, dext, dlen);
	w_bytes(&c->w, lext, llen);
	w_bytes(&c->w, val, len);
	c->last_opt = num;
}

static void coap_option_str(struct coap *c, unsigned num, const char *s)
{
	coap_option(c, num, s, strlen(s));
}

static void coap_option_uint(struct coap *c, unsigned num, uint32_t v)
{
	uint8_t b[4];
	size_t len = v > 0xffffff ? 4 : v > 0xffff ? 3 : v > 0xff ? 2 : v ? 1 : 0;
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(v >> (8 * (len - 1 - i)));
	coap_option(c, num, b, len);
}

#define COAP_CON 0
#define COAP_ACK 2
#define COAP_URI_PATH 11
#define COAP_LOCATION_PATH 8
#define COAP_CONTENT_FORMAT 12
#define COAP_URI_QUERY 15
#define COAP_BLOCK2 23
#define COAP_SIZE2 28

static void coap_register(struct gen *g, struct sess *s, struct device *dev,
			  const struct server *srv)
{
	struct flow f;
	struct coap c = {{g->app, 0}, 0};
	uint8_t token[4];
	uint16_t mid = (uint16_t)rng_next(&g->rng);
	char ep[40];

	device_flow(g, &f, dev, srv->ip, 5683, 17);
	rng_bytes(&g->rng, token, sizeof(token));
	coap_header(&c, COAP_CON, 0x02, mid, token); /* POST */
	coap_option_str(&c, COAP_URI_PATH, "rd");
	coap_option_uint(&c, COAP_CONTENT_FORMAT, 40); /* application/link-format */
	snprintf(ep, sizeof(ep), "ep=urn:imei:%s", dev->imei);
	coap_option_str(&c, COAP_URI_QUERY, ep);
	coap_option_str(&c, COAP_URI_QUERY, "lt=86400");
	coap_option_str(&c, COAP_URI_QUERY, "lwm2m=1.1");
	coap_option_str(&c, COAP_URI_QUERY, "b=U");
	w_u8(&c.w, 0xff);
	w_str(&c.w, "</3/0>,</5/0>");
	udp_send(g, s, &f, 1, c.w.p, c.w.n);

	c.w.n = 0;
	coap_header(&c, COAP_ACK, 0x41, mid, token); /* 2.01 Created */
	coap_option_str(&c, COAP_LOCATION_PATH, "rd");
	coap_option_str(&c, COAP_LOCATION_PATH, dev->lwm2m_loc);
	udp_send(g, s, &f, 0, c.w.p, c.w.n);
}

static void coap_firmware(struct gen *g, struct sess *s, struct device *dev,
			  const struct server *srv)
{
	struct flow f;
	struct coap c = {{g->app, 0}, 0};
	uint8_t token[4];
	uint16_t mid = (uint16_t)rng_next(&g->rng);
	char file[48];
	const struct tac_model *m = dev->model;
	uint32_t size = 1024 * (2 + rng_below(&g->rng, 4));
	size += rng_below(&g->rng, 1024) + 1;
	uint32_t nblocks = (size + 1023) / 1024;

	device_flow(g, &f, dev, srv->ip, 5683, 17);
	rng_bytes(&g->rng, token, sizeof(token));
	snprintf(file, sizeof(file), "%s-%s.bin", m->fw_model, m->fw_ver[1]);
	for (uint32_t num = 0; num < nblocks; num++, mid++) {
		c.w.n = 0;
		coap_header(&c, COAP_CON, 0x01, mid, token); /* GET */
		coap_option_str(&c, COAP_URI_PATH, "fw");
		coap_option_str(&c, COAP_URI_PATH, file);
		coap_option_uint(&c, COAP_BLOCK2, num << 4 | 6);
		udp_send(g, s, &f, 1, c.w.p, c.w.n);

		int more = num + 1 < nblocks;
		uint32_t len = more ? 1024 : size - num * 1024;
		c.w.n = 0;
		coap_header(&c, COAP_ACK, 0x45, mid, token); /* 2.05 Content */
		coap_option_uint(&c, COAP_CONTENT_FORMAT, 42); /* application/octet-stream */
		coap_option_uint(&c, COAP_BLOCK2, num << 4 | (uint32_t)more << 3 | 6);
		if (num == 0)
			coap_option_uint(&c, COAP_SIZE2, size);
		w_u8(&c.w, 0xff);
		w_rand(g, &c.w, len);
		udp_send(g, s, &f, 0, c.w.p, c.w.n);
	}
}

/* ---- HTTP/1.1 ---- */

static void http_download(struct gen *g, struct sess *s, struct device *dev,
			  const struct server *srv, const char *path, uint32_t size)
{
	struct flow f;
	char hdr[512];
	int n;

	device_flow(g, &f, dev, srv->ip, 80, 6);
	tcp_connect(g, s, &f);
	n = snprintf(hdr, sizeof(hdr),
		     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: QUECTEL_MODULE\r\n"
		     "Accept: */*\r\nConnection: close\r\n\r\n",
		     path, srv->name);
	tcp_send(g, s, &f, 1, (const uint8_t *)hdr, (size_t)n, 1);

	n = snprintf((char *)g->app, 512,
		     "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
		     "Content-Length: %u\r\nConnection: close\r\n\r\n",
		     (unsigned)size);
	rng_bytes(&g->rng, g->app + n, size);
	tcp_send(g, s, &f, 0, g->app, (size_t)n + size, 1);
	tcp_close(g, s, &f, 0);
}

/* ---- RADIUS accounting ---- */

static void radius_attr(struct wbuf *w, uint8_t type, const void *val, size_t len)
{
	w_u8(w, type);
	w_u8(w, (uint8_t)(2 + len));
	w_bytes(w, val, len);
}

static void radius_attr_str(struct wbuf *w, uint8_t type, const char *s)
{
	radius_attr(w, type, s, strlen(s));
}

static void radius_attr_u32(struct wbuf *w, uint8_t type, uint32_t v)
{
	uint8_t b[4];
	put_be32(b, v);
	radius_attr(w, type, b, 4);
}

static void radius_vsa_3gpp(struct wbuf *w, uint8_t type, const void *val, size_t len)
{
	w_u8(w, 26);
	w_u8(w, (uint8_t)(8 + len));
	w_be32(w, 10415);
	w_u8(w, type);
	w_u8(w, (uint8_t)(2 + len));
	w_bytes(w, val, len);
}

/* Authenticator = MD5(packet with auth_in in the authenticator field, then
 * the shared secret), written into the packet. */
static void radius_sign(uint8_t *pkt, size_t len, const uint8_t auth_in[16])
{
	uint8_t buf[4096 + 16];
	size_t slen = strlen(RADIUS_SECRET);
	memcpy(buf, pkt, len);
	memcpy(buf + 4, auth_in, 16);
	memcpy(buf + len, RADIUS_SECRET, slen);
	md5(buf, len + slen, pkt + 4);
}

void radius_accounting(struct gen *g, struct device *dev, int status_type)
{
	static const uint8_t zero[16];
	struct flow f;
	struct wbuf w = {g->app, 0};
	uint8_t id = g->radius_id++;
	uint64_t now = pcap_writer_now_us(g->out);
	/* A new source port every 256 requests keeps identifiers unique. */
	uint16_t sport = (uint16_t)(32768 + (g->radius_reqs++ / 256) % 28000);

	flow_open(g, &f, NULL, ADDR_NAS, sport, ADDR_AAA, 1813, 17);
	w_u8(&w, 4); /* Accounting-Request */
	w_u8(&w, id);
	w_be16(&w, 0); /* length, set below */
	w_bytes(&w, zero, 16);
	radius_attr_u32(&w, 40, (uint32_t)status_type);
	radius_attr_str(&w, 1, dev->imsi);
	uint8_t ip[4];
	put_be32(ip, dev->ip);
	radius_attr(&w, 8, ip, 4);
	radius_attr_str(&w, 31, dev->msisdn);
	radius_attr_str(&w, 30, dev->apn);
	radius_attr_str(&w, 44, dev->acct_session_id);
	radius_attr_u32(&w, 4, ADDR_NAS);
	radius_attr_u32(&w, 61, 18); /* NAS-Port-Type: Wireless - Other */
	radius_attr_u32(&w, 55, (uint32_t)(now / 1000000u));
	if (status_type == 2) {
		radius_attr_u32(&w, 46, (uint32_t)((now - dev->start_us) / 1000000u));
		radius_attr_u32(&w, 42, (uint32_t)dev->up_octets);
		radius_attr_u32(&w, 43, (uint32_t)dev->down_octets);
		radius_attr_u32(&w, 47, (uint32_t)dev->up_pkts);
		radius_attr_u32(&w, 48, (uint32_t)dev->down_pkts);
		radius_attr_u32(&w, 49, 1); /* User-Request */
	}
	radius_vsa_3gpp(&w, 1, dev->imsi, strlen(dev->imsi));
	radius_vsa_3gpp(&w, 20, dev->imeisv, strlen(dev->imeisv));
	uint8_t rat = 6; /* EUTRAN */
	radius_vsa_3gpp(&w, 21, &rat, 1);
	put_be16(w.p + 2, (uint16_t)w.n);
	radius_sign(w.p, w.n, zero);
	uint8_t req_auth[16];
	memcpy(req_auth, w.p + 4, 16);
	udp_send(g, &g->direct, &f, 1, w.p, w.n);

	w.n = 0;
	w_u8(&w, 5); /* Accounting-Response */
	w_u8(&w, id);
	w_be16(&w, 20);
	w_bytes(&w, req_auth, 16);
	radius_sign(w.p, w.n, req_auth);
	udp_send(g, &g->direct, &f, 0, w.p, w.n);

	while (!sess_done(&g->direct))
		sess_emit_next(&g->direct, g->out);
	sess_reset(&g->direct);
}

/* ---- sessions ---- */

void sess_build(struct gen *g, struct sess *s, struct device *dev, enum sess_kind kind)
{
	const struct server *srv;
	const struct tac_model *m = dev->model;
	char path[96];

	switch (kind) {
	case SESS_DNS: {
		static const struct server *names[] = {&srv_quectel, &srv_xtra[0], &srv_fota,
						       &srv_mqtt,    &srv_lwm2m,   &srv_api};
		dns_lookup(g, s, dev, names[rng_below(&g->rng, 6)]);
		break;
	}
	case SESS_TLS: {
		static const struct server *names[] = {&srv_xtra[0], &srv_xtra[1], &srv_bootstrap,
						       &srv_api, &srv_quectel};
		srv = names[rng_below(&g->rng, 5)];
		if (rng_below(&g->rng, 10) < 6)
			dns_lookup(g, s, dev, srv);
		tls_session(g, s, dev, srv);
		break;
	}
	case SESS_MQTT:
		srv = rng_below(&g->rng, 2) ? &srv_mqtt : &srv_quectel;
		if (rng_below(&g->rng, 2))
			dns_lookup(g, s, dev, srv);
		mqtt_session(g, s, dev, srv);
		break;
	case SESS_COAP_REGISTER:
		srv = rng_below(&g->rng, 2) ? &srv_lwm2m : &srv_quectel;
		if (rng_below(&g->rng, 10) < 4)
			dns_lookup(g, s, dev, srv);
		coap_register(g, s, dev, srv);
		break;
	case SESS_COAP_FIRMWARE:
		if (rng_below(&g->rng, 2))
			dns_lookup(g, s, dev, &srv_fota);
		coap_firmware(g, s, dev, &srv_fota);
		break;
	case SESS_HTTP_FIRMWARE:
		if (rng_below(&g->rng, 10) < 7)
			dns_lookup(g, s, dev, &srv_fota);
		snprintf(path, sizeof(path), "/firmware/%s-%s.bin", m->fw_model,
			 m->fw_ver[rng_below(&g->rng, 2)]);
		http_download(g, s, dev, &srv_fota, path, 3072 + rng_below(&g->rng, 6144));
		break;
	case SESS_HTTP_XTRA: {
		static const char *files[] = {"/xtra2.bin", "/xtra3grc.bin", "/xtra3grcej.bin"};
		srv = &srv_xtra[rng_below(&g->rng, 3)];
		if (rng_below(&g->rng, 10) < 7)
			dns_lookup(g, s, dev, srv);
		const char *file = files[rng_below(&g->rng, 3)];
		http_download(g, s, dev, srv, file, 2048 + rng_below(&g->rng, 4096));
		break;
	}
	case SESS_KINDS:
		break;
	}
}
