/*
 * apngen-proto.c - the sessions apngen generates, one builder per protocol:
 *
 *   DNS       RFC 1035   A query and answer with a TTL, UDP 53
 *   TLS       RFC 8446 / RFC 5246   ClientHello with (or without) SNI,
 *             groups, point formats, signature algorithms, ALPN,
 *             supported_versions; a TLS 1.3 ServerHello, or a TLS 1.2
 *             abbreviated (resumed) handshake; then encrypted application
 *             data (a few records, or hundreds of kB for a FOTA image),
 *             TCP 443 / 8883
 *   MQTT      3.1.1      CONNECT, CONNACK, PUBLISH QoS 0 telemetry, or the
 *             AWS IoT Jobs topics (SUBSCRIBE notify-next, PUBLISH
 *             $next/get), DISCONNECT, TCP 1883
 *   CoAP      RFC 7252 / RFC 7959   LwM2M 1.1 register (POST /rd) and the
 *             Object 5 firmware update (OMA-TS-LightweightM2M-Core 1.1:
 *             Write /5/0/1 Package URI, Observe /5/0/3 State, Execute
 *             /5/0/2, Read /5/0/5), firmware pulls with Block2 (SZX 6),
 *             UDP 5683
 *   HTTP/1.1  RFC 9112   GET of a firmware image (Content-Length, chunked,
 *             or two objects on a keep-alive connection), GNSS assistance
 *             data, a QuecLocator query, a MeiG delta (TCP 9090); OMA-DM
 *             1.2 SyncML POSTs (OMA-TS-DM_Protocol, FUMO MO
 *             OMA-TS-DM-FUMO 1.0), TCP 80
 *   FTP       RFC 959 / RFC 3659   USER, PASS, TYPE I, SIZE, PASV, RETR
 *             of a firmware image on the announced data connection, TCP 21
 *   RADIUS    RFC 2866 / TS 29.061   Accounting Start and Stop with 3GPP
 *             vendor attributes, and their responses, UDP 1813
 *
 * Every name resolves into a documentation range (RFC 5737). Firmware
 * images are bytes drawn from the seed and the URL, so that one URL serves
 * one image whichever device fetches it.
 */
#include <errno.h>
#include <stdlib.h>
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
static const struct server srv_dm = {"dm.example.com", IP4(192, 0, 2, 40), 300};
static const struct server srv_queclocator = {"www.queclocator.com", IP4(203, 0, 113, 12), 600};
static const struct server srv_meig = {"iotsvr.meigsmart.com", IP4(203, 0, 113, 13), 600};
static const struct server srv_ublox = {"online-live1.services.u-blox.com", IP4(203, 0, 113, 33),
					60};
static const struct server srv_nrfcloud = {"mqtt.nrfcloud.com", IP4(203, 0, 113, 65), 60};
/* A server nobody names: no DNS lookup, no SNI. */
#define ADDR_UNKNOWN_RU IP4(203, 0, 113, 50)

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

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	size_t c = *cap ? *cap * 2 : 256;
	void *np = realloc(p, c * elem);
	if (!np) {
		fprintf(stderr, "apngen: out of memory\n");
		exit(1);
	}
	*cap = c;
	return np;
}

/* Opens a flow of dev to sip:sport and, for the manifest, notes the
 * current session's kind, intent and confidence. */
static void device_flow(struct gen *g, struct flow *f, struct device *dev, uint32_t sip,
			uint16_t sport, uint8_t proto)
{
	flow_open(g, f, dev, dev->ip, device_port(g, dev), sip, sport, proto);
	g->flows_made++;
	if (!g->record)
		return;
	g->flows = grow(g->flows, &g->cap_flows, g->n_flows + 1, sizeof(*g->flows));
	struct flow_rec *r = &g->flows[g->n_flows++];
	r->cip = f->cip;
	r->sip = f->sip;
	r->cport = f->cport;
	r->sport = f->sport;
	r->proto = proto;
	r->kind = g->cur_kind;
	r->intent = g->cur_intent;
	r->conf = g->cur_conf;
}

static void set_intent(struct gen *g, const char *intent, const char *conf)
{
	g->cur_intent = intent;
	g->cur_conf = conf;
}

/* ---- firmware images ---- */

/* FNV-1a: the URL's part of an image's seed. */
static uint64_t fnv1a64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3u;
	return h;
}

/* Fills g->fw with the image at url: its size (in [min, max]) and bytes
 * come from the seed and the URL alone, not from the session stream. */
static uint32_t fw_image(struct gen *g, const char *url, uint32_t min, uint32_t max)
{
	struct rng r = {g->seed ^ fnv1a64(url)};
	uint32_t size = min + rng_below(&r, max - min + 1);
	rng_bytes(&r, g->fw, size);
	/* A header like the ones update agents check: magic and the URL's
	 * last segment, so that a dump is recognisable. */
	const char *name = strrchr(url, '/');
	snprintf((char *)g->fw, 48, "APNGEN-FW %s", name ? name + 1 : url);
	return size;
}

/* The manifest's file name: the URL's last path segment without a query. */
static void fw_name(const char *url, char *out, size_t n)
{
	const char *q = strchr(url, '?');
	size_t end = q ? (size_t)(q - url) : strlen(url);
	size_t start = end;
	while (start > 0 && url[start - 1] != '/')
		start--;
	size_t len = end - start < n - 1 ? end - start : n - 1;
	memcpy(out, url + start, len);
	out[len] = 0;
}

/* --dump-firmware: DIR/fw-NNNN-<name>, NNNN the image's index in the
 * manifest's "firmware" list. */
static void fw_dump(struct gen *g, const char *name, uint32_t size)
{
	char path[4096];
	char safe[64];
	size_t i;
	for (i = 0; name[i] && i + 1 < sizeof(safe); i++) {
		char c = name[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			 c == '.' || c == '-' || c == '_';
		safe[i] = ok ? c : '_';
	}
	safe[i] = 0;
	snprintf(path, sizeof(path), "%s/fw-%04u-%s", g->dump_dir, g->n_dumped++, safe);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(g->fw, 1, size, f) != size || fclose(f) != 0) {
		if (!g->dump_err)
			fprintf(stderr, "apngen: %s: %s\n", path, strerror(errno));
		g->dump_err = 1;
	}
}

/* Notes the image in g->fw, served on flow f, for the manifest and the
 * dump directory. */
static void fw_served(struct gen *g, const struct flow *f, const char *url, uint32_t size)
{
	if (!g->record && !g->dump_dir)
		return;
	char name[64];
	fw_name(url, name, sizeof(name));
	if (g->dump_dir)
		fw_dump(g, name, size);
	if (!g->record)
		return;
	g->fws = grow(g->fws, &g->cap_fws, g->n_fws + 1, sizeof(*g->fws));
	struct fw_rec *r = &g->fws[g->n_fws++];
	r->cip = f->cip;
	r->sip = f->sip;
	r->cport = f->cport;
	r->sport = f->sport;
	r->size = size;
	snprintf(r->url, sizeof(r->url), "%s", url);
	snprintf(r->name, sizeof(r->name), "%s", name);
	sha256(g->fw, size, r->sha256);
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
	const char *kind = g->cur_kind, *intent = g->cur_intent, *conf = g->cur_conf;

	/* A lookup is a flow of its own, whatever the session is for. */
	g->cur_kind = "dns";
	set_intent(g, "other", "none");
	device_flow(g, &f, dev, ADDR_DNS, 53, 17);
	g->cur_kind = kind;
	set_intent(g, intent, conf);
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

	/* server_name; a client that connects to an address leaves it out */
	if (sni) {
		tls_ext_begin(w, 0, &e);
		m = w_begin(w, 2);
		w_u8(w, 0); /* host_name */
		size_t hn = w_begin(w, 2);
		w_str(w, sni);
		w_end(w, hn, 2);
		w_end(w, m, 2);
		w_end(w, e, 2);
	}

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

/* The server's answer to a download request: bulk bytes of application
 * data in full-size records, built a few records at a time. */
static void tls_bulk(struct gen *g, struct sess *s, struct flow *f, uint32_t bulk)
{
	while (bulk > 0) {
		struct wbuf w = {g->app, 0};
		for (int i = 0; i < 3 && bulk > 0; i++) {
			uint32_t n = bulk < 16384 ? bulk : 16384;
			tls_record(g, &w, 23, n);
			bulk -= n;
		}
		tcp_send(g, s, f, 0, w.p, w.n, bulk == 0);
	}
}

/* A TLS connection to ip:port with SNI sni (NULL: none). bulk > 0: after
 * the request the server sends that many bytes of application data (a
 * download); else a few request/answer rounds. */
static void tls_session(struct gen *g, struct sess *s, struct device *dev, const char *sni,
			uint32_t ip, uint16_t port, uint32_t bulk)
{
	struct flow f;
	struct wbuf w = {g->app, 0};
	uint8_t sid[32];
	int tls12 = dev->model->tls12_only;

	device_flow(g, &f, dev, ip, port, 6);
	tcp_connect(g, s, &f);
	rng_bytes(&g->rng, sid, sizeof(sid));
	tls_client_hello(g, &w, sni, tls12, sid);
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

	unsigned rounds = bulk ? 0 : 1 + rng_below(&g->rng, 2);
	if (bulk)
		tls_bulk(g, s, &f, bulk);
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

/* Opens the TCP connection and sends CONNECT (client id, user fleet01 and
 * a password); the server answers CONNACK, accepted. */
static void mqtt_connect(struct gen *g, struct sess *s, struct flow *f, const char *client_id)
{
	struct wbuf w = {g->app, 0};
	uint8_t body[256];
	struct wbuf b = {body, 0};
	char pass[17];

	tcp_connect(g, s, f);
	for (int i = 0; i < 16; i++)
		pass[i] = "0123456789abcdef"[rng_below(&g->rng, 16)];
	pass[16] = 0;
	mqtt_string(&b, "MQTT");
	w_u8(&b, 4);    /* protocol level 3.1.1 */
	w_u8(&b, 0xc2); /* user name, password, clean session */
	w_be16(&b, 120);
	mqtt_string(&b, client_id);
	mqtt_string(&b, "fleet01");
	mqtt_string(&b, pass);
	mqtt_fixed_header(&w, 0x10, b.n);
	w_bytes(&w, body, b.n);
	tcp_send(g, s, f, 1, w.p, w.n, 0);

	static const uint8_t connack[4] = {0x20, 2, 0, 0};
	tcp_send(g, s, f, 0, connack, sizeof(connack), 0);
}

/* A PUBLISH QoS 0 of payload to topic, from the device or the server. */
static void mqtt_publish(struct gen *g, struct sess *s, struct flow *f, int from_client,
			 const char *topic, const char *payload, int ack_last)
{
	struct wbuf w = {g->app, 0};
	uint8_t body[1024];
	struct wbuf b = {body, 0};
	mqtt_string(&b, topic);
	w_str(&b, payload);
	mqtt_fixed_header(&w, 0x30, b.n);
	w_bytes(&w, body, b.n);
	tcp_send(g, s, f, from_client, w.p, w.n, ack_last);
}

static void mqtt_disconnect(struct gen *g, struct sess *s, struct flow *f)
{
	static const uint8_t disconnect[2] = {0xe0, 0};
	tcp_send(g, s, f, 1, disconnect, sizeof(disconnect), 0);
	tcp_close(g, s, f, 1);
}

/* AWS IoT Jobs (the device side of an OTA job): subscribe to the job
 * notifications, ask for the next pending job, get its document (a
 * firmware URL), report it in progress. The thing name is not the IMEI. */
static void mqtt_jobs_session(struct gen *g, struct sess *s, struct device *dev,
			      const struct server *srv)
{
	struct flow f;
	struct wbuf w = {g->app, 0};
	uint8_t body[512];
	struct wbuf b = {body, 0};
	char topic[2][96], t[128], json[512];
	const struct tac_model *m = dev->model;
	uint16_t pid = (uint16_t)(1 + rng_below(&g->rng, 60000));
	uint64_t ts = pcap_writer_now_us(g->out) / 1000000u;

	device_flow(g, &f, dev, srv->ip, 1883, 6);
	mqtt_connect(g, s, &f, dev->thing);

	snprintf(topic[0], sizeof(topic[0]), "$aws/things/%s/jobs/notify-next", dev->thing);
	snprintf(topic[1], sizeof(topic[1]), "$aws/things/%s/jobs/$next/get/accepted", dev->thing);
	w_be16(&b, pid);
	for (int i = 0; i < 2; i++) {
		mqtt_string(&b, topic[i]);
		w_u8(&b, 1); /* requested QoS 1 */
	}
	mqtt_fixed_header(&w, 0x82, b.n); /* SUBSCRIBE: flags 0010 */
	w_bytes(&w, body, b.n);
	tcp_send(g, s, &f, 1, w.p, w.n, 0);
	uint8_t suback[6] = {0x90, 4, (uint8_t)(pid >> 8), (uint8_t)pid, 1, 1};
	tcp_send(g, s, &f, 0, suback, sizeof(suback), 0);

	snprintf(t, sizeof(t), "$aws/things/%s/jobs/$next/get", dev->thing);
	snprintf(json, sizeof(json), "{\"clientToken\":\"%s-%u\"}", dev->thing, (unsigned)pid);
	mqtt_publish(g, s, &f, 1, t, json, 0);
	snprintf(json, sizeof(json),
		 "{\"clientToken\":\"%s-%u\",\"timestamp\":%llu,\"execution\":{"
		 "\"jobId\":\"ota-%s\",\"status\":\"QUEUED\",\"queuedAt\":%llu,"
		 "\"versionNumber\":1,\"executionNumber\":1,\"jobDocument\":{"
		 "\"operation\":\"firmware_update\",\"version\":\"%s\","
		 "\"url\":\"https://fota.example.com/firmware/%s-%s.bin\"}}}",
		 dev->thing, (unsigned)pid, (unsigned long long)ts, m->fw_ver[1],
		 (unsigned long long)ts - 3600, m->fw_ver[1], m->fw_model, m->fw_ver[1]);
	mqtt_publish(g, s, &f, 0, topic[1], json, 0);
	snprintf(t, sizeof(t), "$aws/things/%s/jobs/ota-%s/update", dev->thing, m->fw_ver[1]);
	mqtt_publish(g, s, &f, 1, t, "{\"status\":\"IN_PROGRESS\",\"expectedVersion\":1}", 1);
	mqtt_disconnect(g, s, &f);
}

static void mqtt_session(struct gen *g, struct sess *s, struct device *dev,
			 const struct server *srv)
{
	struct flow f;
	char topic[64], json[256];

	device_flow(g, &f, dev, srv->ip, 1883, 6);
	mqtt_connect(g, s, &f, dev->imei);

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
		mqtt_publish(g, s, &f, 1, topic, json, 1);
	}
	mqtt_disconnect(g, s, &f);
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
#define COAP_NON 1
#define COAP_ACK 2
#define COAP_OBSERVE 6
#define COAP_URI_HOST 3
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

/* A firmware pull: Block2 GETs of /fw/<file> from ip (RFC 7959 2.4), the
 * image of url in 1024-byte blocks, Size2 in the first answer. uri_host:
 * the Uri-Host option, NULL when the URI names the address itself (the
 * option's default, RFC 7252 6.4). */
static void coap_pull(struct gen *g, struct sess *s, struct device *dev, uint32_t ip,
		      const char *uri_host, const char *file, const char *url)
{
	struct flow f;
	struct coap c = {{g->app, 0}, 0};
	uint8_t token[4];
	uint16_t mid = (uint16_t)rng_next(&g->rng);
	uint32_t size = fw_image(g, url, FW_MIN, FW_MAX / 2);
	uint32_t nblocks = (size + 1023) / 1024;

	device_flow(g, &f, dev, ip, 5683, 17);
	rng_bytes(&g->rng, token, sizeof(token));
	for (uint32_t num = 0; num < nblocks; num++, mid++) {
		c.w.n = 0;
		coap_header(&c, COAP_CON, 0x01, mid, token); /* GET */
		if (uri_host)
			coap_option_str(&c, COAP_URI_HOST, uri_host);
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
		w_bytes(&c.w, g->fw + num * 1024, len);
		udp_send(g, s, &f, 0, c.w.p, c.w.n);
	}
	fw_served(g, &f, url, size);
}

static void coap_firmware(struct gen *g, struct sess *s, struct device *dev,
			  const struct server *srv)
{
	const struct tac_model *m = dev->model;
	char file[48], url[128];
	snprintf(file, sizeof(file), "%s-%s.bin", m->fw_model, m->fw_ver[1]);
	snprintf(url, sizeof(url), "coap://%s/fw/%s", srv->name, file);
	coap_pull(g, s, dev, srv->ip, srv->name, file, url);
}

/* One LwM2M request from the server to the device on flow f (CON, a new
 * message id and token) and the device's piggybacked answer. path: the
 * object/instance/resource; payload (text/plain) may be NULL. */
static void lwm2m_request(struct gen *g, struct sess *s, struct flow *f, uint8_t code,
			  const char *const path[3], const uint8_t *observe, const char *payload,
			  uint8_t answer, const char *answer_payload, uint8_t token[4])
{
	struct coap c = {{g->app, 0}, 0};
	uint16_t mid = (uint16_t)rng_next(&g->rng);
	rng_bytes(&g->rng, token, 4);
	coap_header(&c, COAP_CON, code, mid, token);
	if (observe)
		coap_option_uint(&c, COAP_OBSERVE, *observe);
	for (int i = 0; i < 3; i++)
		coap_option_str(&c, COAP_URI_PATH, path[i]);
	if (payload) {
		coap_option_uint(&c, COAP_CONTENT_FORMAT, 0); /* text/plain */
		w_u8(&c.w, 0xff);
		w_str(&c.w, payload);
	}
	udp_send(g, s, f, 0, c.w.p, c.w.n);

	c.w.n = 0;
	coap_header(&c, COAP_ACK, answer, mid, token);
	if (observe)
		coap_option_uint(&c, COAP_OBSERVE, 1);
	if (answer_payload) {
		coap_option_uint(&c, COAP_CONTENT_FORMAT, 0);
		w_u8(&c.w, 0xff);
		w_str(&c.w, answer_payload);
	}
	udp_send(g, s, f, 1, c.w.p, c.w.n);
}

/* A notification of the observed /5/0/3 State (RFC 7641 4.2): NON 2.05
 * with the observation's token and a growing sequence number. */
static void lwm2m_notify(struct gen *g, struct sess *s, struct flow *f, const uint8_t token[4],
			 uint32_t seq, const char *state)
{
	struct coap c = {{g->app, 0}, 0};
	coap_header(&c, COAP_NON, 0x45, (uint16_t)rng_next(&g->rng), token);
	coap_option_uint(&c, COAP_OBSERVE, seq);
	coap_option_uint(&c, COAP_CONTENT_FORMAT, 0);
	w_u8(&c.w, 0xff);
	w_str(&c.w, state);
	udp_send(g, s, f, 1, c.w.p, c.w.n);
}

/* LwM2M firmware update, pull delivery (Object 5): the device updates its
 * registration; the server observes /5/0/3 State, writes the Package URI
 * /5/0/1; the device pulls the image block-wise from a new port, notifies
 * State 1 (downloading) and 2 (downloaded); the server executes Update
 * /5/0/2; State 3 (updating); the server reads Update Result /5/0/5 = 1. */
static void lwm2m_fota(struct gen *g, struct sess *s, struct device *dev,
		       const struct server *srv)
{
	static const char *const p_state[3] = {"5", "0", "3"};
	static const char *const p_uri[3] = {"5", "0", "1"};
	static const char *const p_update[3] = {"5", "0", "2"};
	static const char *const p_result[3] = {"5", "0", "5"};
	const struct tac_model *m = dev->model;
	struct flow f;
	struct coap c = {{g->app, 0}, 0};
	uint8_t token[4], obs_token[4];
	uint16_t mid = (uint16_t)rng_next(&g->rng);
	char file[48], url[128], ip[16];
	const uint8_t observe = 0;

	ip4_str(srv->ip, ip, sizeof(ip));
	snprintf(file, sizeof(file), "%s-%s.bin", m->fw_model, m->fw_ver[1]);
	snprintf(url, sizeof(url), "coap://%s/fw/%s", ip, file);

	device_flow(g, &f, dev, srv->ip, 5683, 17);
	rng_bytes(&g->rng, token, sizeof(token));
	coap_header(&c, COAP_CON, 0x02, mid, token); /* POST /rd/<loc>: Update */
	coap_option_str(&c, COAP_URI_PATH, "rd");
	coap_option_str(&c, COAP_URI_PATH, dev->lwm2m_loc);
	udp_send(g, s, &f, 1, c.w.p, c.w.n);
	c.w.n = 0;
	coap_header(&c, COAP_ACK, 0x44, mid, token); /* 2.04 Changed */
	udp_send(g, s, &f, 0, c.w.p, c.w.n);

	lwm2m_request(g, s, &f, 0x01, p_state, &observe, NULL, 0x45, "0", obs_token);
	lwm2m_request(g, s, &f, 0x03, p_uri, NULL, url, 0x44, NULL, token); /* PUT: Write */
	lwm2m_notify(g, s, &f, obs_token, 2, "1");
	coap_pull(g, s, dev, srv->ip, NULL, file, url);
	lwm2m_notify(g, s, &f, obs_token, 3, "2");
	lwm2m_request(g, s, &f, 0x02, p_update, NULL, NULL, 0x44, NULL, token); /* Execute */
	lwm2m_notify(g, s, &f, obs_token, 4, "3");
	lwm2m_request(g, s, &f, 0x01, p_result, NULL, NULL, 0x45, "1", token); /* Read */
}

/* ---- HTTP/1.1 ---- */

/* A request on flow f. ua, ctype and body may be NULL. */
static void http_request(struct gen *g, struct sess *s, struct flow *f, const char *method,
			 const char *host, const char *path, const char *ua, const char *ctype,
			 const char *body, int keep_alive)
{
	size_t blen = body ? strlen(body) : 0;
	int n = snprintf((char *)g->app, 2048, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, host);
	if (ua)
		n += snprintf((char *)g->app + n, 256, "User-Agent: %s\r\n", ua);
	if (ctype)
		n += snprintf((char *)g->app + n, 256, "Content-Type: %s\r\nContent-Length: %u\r\n",
			      ctype, (unsigned)blen);
	n += snprintf((char *)g->app + n, 256, "Accept: */*\r\nConnection: %s\r\n\r\n",
		      keep_alive ? "keep-alive" : "close");
	memcpy(g->app + n, body, blen);
	tcp_send(g, s, f, 1, g->app, (size_t)n + blen, 1);
}

/* A 200 answer on flow f: the body in one piece with Content-Length, or
 * with the chunked transfer coding (RFC 9112 7.1) in chunks of 1-8 kB. */
static void http_response(struct gen *g, struct sess *s, struct flow *f, const char *ctype,
			  const uint8_t *body, size_t len, int chunked, int keep_alive)
{
	int n = snprintf((char *)g->app, 512, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n", ctype);
	if (chunked)
		n += snprintf((char *)g->app + n, 64, "Transfer-Encoding: chunked\r\n");
	else
		n += snprintf((char *)g->app + n, 64, "Content-Length: %u\r\n", (unsigned)len);
	n += snprintf((char *)g->app + n, 64, "Connection: %s\r\n\r\n",
		      keep_alive ? "keep-alive" : "close");
	size_t pos = (size_t)n;
	if (!chunked) {
		memcpy(g->app + pos, body, len);
		pos += len;
	} else {
		for (size_t off = 0; off < len;) {
			size_t c = 1024 * (1 + rng_below(&g->rng, 8));
			if (c > len - off)
				c = len - off;
			pos += (size_t)snprintf((char *)g->app + pos, 16, "%zx\r\n", c);
			memcpy(g->app + pos, body + off, c);
			pos += c;
			memcpy(g->app + pos, "\r\n", 2);
			pos += 2;
			off += c;
		}
		memcpy(g->app + pos, "0\r\n\r\n", 5);
		pos += 5;
	}
	tcp_send(g, s, f, 0, g->app, pos, 1);
}

/* GET of one object, the server closes (the GNSS assistance files). */
static void http_download(struct gen *g, struct sess *s, struct device *dev,
			  const struct server *srv, const char *path, uint32_t size)
{
	struct flow f;
	device_flow(g, &f, dev, srv->ip, 80, 6);
	tcp_connect(g, s, &f);
	http_request(g, s, &f, "GET", srv->name, path, "QUECTEL_MODULE", NULL, NULL, 0);
	rng_bytes(&g->rng, g->fw, size);
	http_response(g, s, &f, "application/octet-stream", g->fw, size, 0, 0);
	tcp_close(g, s, &f, 0);
}

/* Firmware over HTTP from fota.example.com: one image with Content-Length
 * (variant 0) or chunked (1), the server closes; or (2) two images on one
 * keep-alive connection, which the device closes. */
static void http_firmware(struct gen *g, struct sess *s, struct device *dev,
			  const struct server *srv, const char *file, int variant)
{
	struct flow f;
	char path[2][128], url[320];
	int nobj = variant == 2 ? 2 : 1;

	snprintf(path[0], sizeof(path[0]), "/firmware/%s", file);
	/* The second object of a keep-alive connection: the application image
	 * that goes with the module's. */
	snprintf(path[1], sizeof(path[1]), "/firmware/app-%s", file);
	device_flow(g, &f, dev, srv->ip, 80, 6);
	tcp_connect(g, s, &f);
	for (int i = 0; i < nobj; i++) {
		http_request(g, s, &f, "GET", srv->name, path[i], "QUECTEL_MODULE", NULL, NULL,
			     variant == 2);
		snprintf(url, sizeof(url), "http://%s%s", srv->name, path[i]);
		uint32_t size = fw_image(g, url, FW_MIN, FW_MAX);
		http_response(g, s, &f, "application/octet-stream", g->fw, size, variant == 1,
			      variant == 2);
		fw_served(g, &f, url, size);
	}
	tcp_close(g, s, &f, variant != 2);
}

/* QuecLocator: the module's cell-location query (AT+QLBS) with its token
 * and serving cell; a short JSON answer. */
static void queclocator(struct gen *g, struct sess *s, struct device *dev,
			const struct server *srv)
{
	struct flow f;
	char path[256], json[160], token[17];
	for (int i = 0; i < 16; i++)
		token[i] = "0123456789abcdef"[rng_below(&g->rng, 16)];
	token[16] = 0;
	unsigned tac = 0x1000 + rng_below(&g->rng, 0xe000);
	unsigned ci = rng_below(&g->rng, 0x10000000);
	unsigned lat = rng_below(&g->rng, 1000000), lon = rng_below(&g->rng, 1000000);
	unsigned acc = 100 + rng_below(&g->rng, 1400);

	snprintf(path, sizeof(path),
		 "/location/QLOC?token=%s&imei=%s&mcc=001&mnc=01&lac=%u&cellid=%u&rat=LTE", token,
		 dev->imei, tac, ci);
	device_flow(g, &f, dev, srv->ip, 80, 6);
	tcp_connect(g, s, &f);
	http_request(g, s, &f, "GET", srv->name, path, "QUECTEL_MODULE", NULL, NULL, 0);
	int n = snprintf(json, sizeof(json), "{\"result\":0,\"lat\":31.%06u,\"lon\":121.%06u,\"accuracy\":%u}",
			 lat, lon, acc);
	http_response(g, s, &f, "application/json", (const uint8_t *)json, (size_t)n, 0, 0);
	tcp_close(g, s, &f, 0);
}

/* MeiG FOTA: the module asks its maker's server for the delta from its
 * version to the next, on port 9090. */
static void meig_fota(struct gen *g, struct sess *s, struct device *dev,
		      const struct server *srv)
{
	const struct tac_model *m = dev->model;
	struct flow f;
	char path[160], host[64], url[256];
	snprintf(path, sizeof(path), "/download/xyDelta?model=%s&from=%s&to=%s", m->fw_model,
		 m->fw_ver[0], m->fw_ver[1]);
	snprintf(host, sizeof(host), "%s:9090", srv->name);
	snprintf(url, sizeof(url), "http://%s%s", host, path);
	device_flow(g, &f, dev, srv->ip, 9090, 6);
	tcp_connect(g, s, &f);
	http_request(g, s, &f, "GET", host, path, NULL, NULL, NULL, 0);
	uint32_t size = fw_image(g, url, FW_MIN, FW_MAX * 2 / 3);
	http_response(g, s, &f, "application/octet-stream", g->fw, size, 0, 0);
	fw_served(g, &f, url, size);
	tcp_close(g, s, &f, 0);
}

/* ---- OMA-DM 1.2 (SyncML over HTTP) ---- */

#define SYNCML_CT "application/vnd.syncml.dm+xml"

static size_t syncml_head(char *x, size_t n, const char *sid, int msg, const char *target,
			  const char *source)
{
	return (size_t)snprintf(x, n,
				"<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD>"
				"<VerProto>DM/1.2</VerProto><SessionID>%s</SessionID>"
				"<MsgID>%d</MsgID><Target><LocURI>%s</LocURI></Target>"
				"<Source><LocURI>%s</LocURI></Source></SyncHdr><SyncBody>",
				sid, msg, target, source);
}

/* An OMA-DM session on one keep-alive connection to the DM server:
 * package 1 (the device's Alert and DevInfo), package 2 (the server's
 * commands), package 3 (the device's Status / Results), package 4 (the
 * server's last Status). FUMO (fumo set): a server-initiated session
 * (Alert 1200) whose commands are Replace ./FUMO/DownloadAndUpdate/PkgURL
 * and Exec ./FUMO/DownloadAndUpdate; the device then downloads the image
 * from the package URL. Without FUMO: Get ./DevDetail/SwV. */
static void omadm_session(struct gen *g, struct sess *s, struct device *dev,
			  const struct server *srv, const struct server *fota, int fumo)
{
	const struct tac_model *m = dev->model;
	struct flow f;
	char x[4096], sid[8], devid[32], pkg[160], file[48];
	size_t n;
	const char *dmurl = "http://dm.example.com/dm";

	snprintf(sid, sizeof(sid), "%X", (unsigned)(1 + rng_below(&g->rng, 0xfffe)));
	snprintf(devid, sizeof(devid), "IMEI:%s", dev->imei);
	snprintf(file, sizeof(file), "%s-%s.bin", m->fw_model, m->fw_ver[1]);
	snprintf(pkg, sizeof(pkg), "http://%s/firmware/%s", fota->name, file);
	device_flow(g, &f, dev, srv->ip, 80, 6);
	tcp_connect(g, s, &f);

	n = syncml_head(x, sizeof(x), sid, 1, dmurl, devid);
	n += (size_t)snprintf(x + n, sizeof(x) - n,
			      "<Alert><CmdID>1</CmdID><Data>%s</Data></Alert>"
			      "<Replace><CmdID>2</CmdID>"
			      "<Item><Source><LocURI>./DevInfo/DevId</LocURI></Source><Data>%s</Data></Item>"
			      "<Item><Source><LocURI>./DevInfo/Man</LocURI></Source><Data>%s</Data></Item>"
			      "<Item><Source><LocURI>./DevInfo/Mod</LocURI></Source><Data>%s</Data></Item>"
			      "<Item><Source><LocURI>./DevInfo/DmV</LocURI></Source><Data>1.2</Data></Item>"
			      "<Item><Source><LocURI>./DevInfo/Lang</LocURI></Source><Data>en-US</Data></Item>"
			      "</Replace><Final/></SyncBody></SyncML>",
			      fumo ? "1200" : "1201", devid, m->maker ? m->maker : "Generic",
			      m->model ? m->model : m->fw_model);
	http_request(g, s, &f, "POST", srv->name, "/dm", "OMA-DM-Client/1.2", SYNCML_CT, x, 1);

	n = syncml_head(x, sizeof(x), sid, 1, devid, dmurl);
	n += (size_t)snprintf(x + n, sizeof(x) - n,
			      "<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef>"
			      "<Cmd>SyncHdr</Cmd><Data>212</Data></Status>"
			      "<Status><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>1</CmdRef>"
			      "<Cmd>Alert</Cmd><Data>200</Data></Status>"
			      "<Status><CmdID>3</CmdID><MsgRef>1</MsgRef><CmdRef>2</CmdRef>"
			      "<Cmd>Replace</Cmd><Data>200</Data></Status>");
	if (fumo)
		n += (size_t)snprintf(
			x + n, sizeof(x) - n,
			"<Replace><CmdID>4</CmdID><Item><Target><LocURI>./FUMO/DownloadAndUpdate/PkgURL"
			"</LocURI></Target><Data>%s</Data></Item></Replace>"
			"<Exec><CmdID>5</CmdID><Item><Target><LocURI>./FUMO/DownloadAndUpdate</LocURI>"
			"</Target></Item></Exec>",
			pkg);
	else
		n += (size_t)snprintf(x + n, sizeof(x) - n,
				      "<Get><CmdID>4</CmdID><Item><Target><LocURI>./DevDetail/SwV"
				      "</LocURI></Target></Item></Get>");
	snprintf(x + n, sizeof(x) - n, "<Final/></SyncBody></SyncML>");
	http_response(g, s, &f, SYNCML_CT, (const uint8_t *)x, strlen(x), 0, 1);

	n = syncml_head(x, sizeof(x), sid, 2, dmurl, devid);
	n += (size_t)snprintf(x + n, sizeof(x) - n,
			      "<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef>"
			      "<Cmd>SyncHdr</Cmd><Data>200</Data></Status>");
	if (fumo)
		n += (size_t)snprintf(x + n, sizeof(x) - n,
				      "<Status><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>4</CmdRef>"
				      "<Cmd>Replace</Cmd><Data>200</Data></Status>"
				      "<Status><CmdID>3</CmdID><MsgRef>1</MsgRef><CmdRef>5</CmdRef>"
				      "<Cmd>Exec</Cmd><Data>202</Data></Status>");
	else
		n += (size_t)snprintf(x + n, sizeof(x) - n,
				      "<Status><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>4</CmdRef>"
				      "<Cmd>Get</Cmd><Data>200</Data></Status>"
				      "<Results><CmdID>3</CmdID><MsgRef>1</MsgRef><CmdRef>4</CmdRef>"
				      "<Item><Source><LocURI>./DevDetail/SwV</LocURI></Source>"
				      "<Data>%s</Data></Item></Results>",
				      m->fw_ver[0]);
	snprintf(x + n, sizeof(x) - n, "<Final/></SyncBody></SyncML>");
	http_request(g, s, &f, "POST", srv->name, "/dm", "OMA-DM-Client/1.2", SYNCML_CT, x, 1);

	n = syncml_head(x, sizeof(x), sid, 2, devid, dmurl);
	snprintf(x + n, sizeof(x) - n,
		 "<Status><CmdID>1</CmdID><MsgRef>2</MsgRef><CmdRef>0</CmdRef>"
		 "<Cmd>SyncHdr</Cmd><Data>200</Data></Status><Final/></SyncBody></SyncML>");
	http_response(g, s, &f, SYNCML_CT, (const uint8_t *)x, strlen(x), 0, 1);
	tcp_close(g, s, &f, 1);

	if (fumo)
		http_firmware(g, s, dev, fota, file, 0);
}

/* ---- FTP ---- */

static void ftp_line(struct gen *g, struct sess *s, struct flow *f, int from_client,
		     const char *line)
{
	size_t n = strlen(line);
	memcpy(g->app, line, n);
	memcpy(g->app + n, "\r\n", 2);
	tcp_send(g, s, f, from_client, g->app, n + 2, 0);
}

/* A firmware download over FTP (passive mode): the control connection
 * logs in, asks the size, opens the data connection PASV announces and
 * RETRs the image on it; the server closes the data connection and says
 * 226. */
static void ftp_firmware(struct gen *g, struct sess *s, struct device *dev,
			 const struct server *srv)
{
	const struct tac_model *m = dev->model;
	struct flow c, d;
	char line[256], path[96], url[160];
	uint16_t dport = (uint16_t)(40000 + rng_below(&g->rng, 10000));

	snprintf(path, sizeof(path), "/fw/%s-%s.bin", m->fw_model, m->fw_ver[1]);
	snprintf(url, sizeof(url), "ftp://%s%s", srv->name, path);
	uint32_t size = fw_image(g, url, FW_MIN, FW_MAX);

	device_flow(g, &c, dev, srv->ip, 21, 6);
	tcp_connect(g, s, &c);
	ftp_line(g, s, &c, 0, "220 FOTA FTP server ready");
	ftp_line(g, s, &c, 1, "USER fota");
	ftp_line(g, s, &c, 0, "331 Password required for fota");
	snprintf(line, sizeof(line), "PASS %08x", (unsigned)rng_next(&g->rng));
	ftp_line(g, s, &c, 1, line);
	ftp_line(g, s, &c, 0, "230 User fota logged in");
	ftp_line(g, s, &c, 1, "TYPE I");
	ftp_line(g, s, &c, 0, "200 Type set to I");
	snprintf(line, sizeof(line), "SIZE %s", path);
	ftp_line(g, s, &c, 1, line);
	snprintf(line, sizeof(line), "213 %u", (unsigned)size);
	ftp_line(g, s, &c, 0, line);
	ftp_line(g, s, &c, 1, "PASV");
	snprintf(line, sizeof(line), "227 Entering Passive Mode (%u,%u,%u,%u,%u,%u)",
		 (unsigned)(srv->ip >> 24), (unsigned)(srv->ip >> 16 & 0xff),
		 (unsigned)(srv->ip >> 8 & 0xff), (unsigned)(srv->ip & 0xff), (unsigned)(dport >> 8),
		 (unsigned)(dport & 0xff));
	ftp_line(g, s, &c, 0, line);

	device_flow(g, &d, dev, srv->ip, dport, 6);
	tcp_connect(g, s, &d);
	snprintf(line, sizeof(line), "RETR %s", path);
	ftp_line(g, s, &c, 1, line);
	snprintf(line, sizeof(line), "150 Opening BINARY mode data connection for %s (%u bytes)",
		 path, (unsigned)size);
	ftp_line(g, s, &c, 0, line);
	tcp_send(g, s, &d, 0, g->fw, size, 1);
	tcp_close(g, s, &d, 0);
	fw_served(g, &d, url, size);
	ftp_line(g, s, &c, 0, "226 Transfer complete");
	ftp_line(g, s, &c, 1, "QUIT");
	ftp_line(g, s, &c, 0, "221 Goodbye");
	tcp_close(g, s, &c, 1);
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

static const char *const kind_names[SESS_KINDS] = {
	[SESS_DNS] = "dns",
	[SESS_TLS] = "tls",
	[SESS_MQTT] = "mqtt_telemetry",
	[SESS_COAP_REGISTER] = "lwm2m_register",
	[SESS_COAP_FIRMWARE] = "coap_firmware",
	[SESS_HTTP_FIRMWARE] = "http_firmware",
	[SESS_HTTP_XTRA] = "http_xtra",
	[SESS_HTTP_FIRMWARE_CHUNKED] = "http_firmware_chunked",
	[SESS_HTTP_FIRMWARE_KEEPALIVE] = "http_firmware_keepalive",
	[SESS_LWM2M_FOTA] = "lwm2m_fota",
	[SESS_OMADM_FUMO] = "omadm_fumo",
	[SESS_OMADM_DM] = "omadm_dm",
	[SESS_MQTT_JOBS] = "mqtt_jobs",
	[SESS_QUECLOCATOR] = "queclocator",
	[SESS_ASSISTNOW] = "assistnow",
	[SESS_NRFCLOUD] = "nrfcloud",
	[SESS_MEIG_FOTA] = "meig_fota",
	[SESS_TLS_FOTA] = "tls_fota",
	[SESS_TLS_UNKNOWN] = "tls_unknown",
	[SESS_FTP_FIRMWARE] = "ftp_firmware",
};

const char *sess_kind_name(enum sess_kind kind)
{
	return kind < SESS_KINDS ? kind_names[kind] : "?";
}

/* Looks the server up first in pct % of the sessions (devices cache
 * answers, so not every connection follows a lookup). */
static void maybe_lookup(struct gen *g, struct sess *s, struct device *dev,
			 const struct server *srv, unsigned pct)
{
	if (rng_below(&g->rng, 100) < pct)
		dns_lookup(g, s, dev, srv);
}

/* Each session sets the intent and confidence the manifest gives its
 * flows: "confirmed" when the clear-text payload shows the purpose,
 * "probable" when only the server and the traffic's shape do. */
void sess_build(struct gen *g, struct sess *s, struct device *dev, enum sess_kind kind)
{
	const struct server *srv;
	const struct tac_model *m = dev->model;
	char file[48];

	g->cur_kind = sess_kind_name(kind);
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
		if (srv == &srv_xtra[0] || srv == &srv_xtra[1])
			set_intent(g, "gnss_assist", "probable");
		else if (srv == &srv_bootstrap) /* picks the device's server: management */
			set_intent(g, "device_management", "probable");
		else
			set_intent(g, "cloud", "probable");
		maybe_lookup(g, s, dev, srv, 60);
		tls_session(g, s, dev, srv->name, srv->ip, 443, 0);
		break;
	}
	case SESS_MQTT:
		srv = rng_below(&g->rng, 2) ? &srv_mqtt : &srv_quectel;
		set_intent(g, "telemetry", "probable"); /* the topic and the direction, not the payload */
		maybe_lookup(g, s, dev, srv, 50);
		mqtt_session(g, s, dev, srv);
		break;
	case SESS_COAP_REGISTER:
		srv = rng_below(&g->rng, 2) ? &srv_lwm2m : &srv_quectel;
		set_intent(g, "device_management", "confirmed");
		maybe_lookup(g, s, dev, srv, 40);
		coap_register(g, s, dev, srv);
		break;
	case SESS_COAP_FIRMWARE:
		set_intent(g, "fota", "confirmed");
		maybe_lookup(g, s, dev, &srv_fota, 50);
		coap_firmware(g, s, dev, &srv_fota);
		break;
	case SESS_HTTP_FIRMWARE:
	case SESS_HTTP_FIRMWARE_CHUNKED:
	case SESS_HTTP_FIRMWARE_KEEPALIVE:
		set_intent(g, "fota", "confirmed");
		maybe_lookup(g, s, dev, &srv_fota, 70);
		snprintf(file, sizeof(file), "%s-%s.bin", m->fw_model,
			 m->fw_ver[rng_below(&g->rng, 2)]);
		http_firmware(g, s, dev, &srv_fota, file,
			      kind == SESS_HTTP_FIRMWARE	   ? 0
			      : kind == SESS_HTTP_FIRMWARE_CHUNKED ? 1
								   : 2);
		break;
	case SESS_HTTP_XTRA: {
		static const char *files[] = {"/xtra2.bin", "/xtra3grc.bin", "/xtra3grcej.bin"};
		srv = &srv_xtra[rng_below(&g->rng, 3)];
		set_intent(g, "gnss_assist", "confirmed");
		maybe_lookup(g, s, dev, srv, 70);
		const char *xfile = files[rng_below(&g->rng, 3)];
		http_download(g, s, dev, srv, xfile, 2048 + rng_below(&g->rng, 4096));
		break;
	}
	case SESS_LWM2M_FOTA:
		set_intent(g, "fota", "confirmed");
		maybe_lookup(g, s, dev, &srv_lwm2m, 40);
		lwm2m_fota(g, s, dev, &srv_lwm2m);
		break;
	case SESS_OMADM_FUMO:
	case SESS_OMADM_DM:
		if (kind == SESS_OMADM_FUMO)
			set_intent(g, "fota", "confirmed");
		else
			set_intent(g, "device_management", "confirmed");
		maybe_lookup(g, s, dev, &srv_dm, 70);
		omadm_session(g, s, dev, &srv_dm, &srv_fota, kind == SESS_OMADM_FUMO);
		break;
	case SESS_MQTT_JOBS:
		set_intent(g, "fota", "confirmed");
		maybe_lookup(g, s, dev, &srv_mqtt, 50);
		mqtt_jobs_session(g, s, dev, &srv_mqtt);
		break;
	case SESS_QUECLOCATOR:
		set_intent(g, "location", "confirmed");
		maybe_lookup(g, s, dev, &srv_queclocator, 70);
		queclocator(g, s, dev, &srv_queclocator);
		break;
	case SESS_ASSISTNOW:
		set_intent(g, "gnss_assist", "probable");
		maybe_lookup(g, s, dev, &srv_ublox, 70);
		tls_session(g, s, dev, srv_ublox.name, srv_ublox.ip, 443,
			    3000 + rng_below(&g->rng, 6000));
		break;
	case SESS_NRFCLOUD:
		set_intent(g, "cloud", "probable");
		maybe_lookup(g, s, dev, &srv_nrfcloud, 70);
		tls_session(g, s, dev, srv_nrfcloud.name, srv_nrfcloud.ip, 8883, 0);
		break;
	case SESS_MEIG_FOTA:
		set_intent(g, "fota", "confirmed");
		maybe_lookup(g, s, dev, &srv_meig, 70);
		meig_fota(g, s, dev, &srv_meig);
		break;
	case SESS_TLS_FOTA:
		/* An encrypted download: only its size says firmware. */
		set_intent(g, "fota", "probable");
		maybe_lookup(g, s, dev, &srv_fota, 70);
		tls_session(g, s, dev, srv_fota.name, srv_fota.ip, 443,
			    200000 + rng_below(&g->rng, 100000));
		break;
	case SESS_TLS_UNKNOWN:
		set_intent(g, "other", "none");
		tls_session(g, s, dev, NULL, ADDR_UNKNOWN_RU, 443, 0);
		break;
	case SESS_FTP_FIRMWARE:
		set_intent(g, "fota", "confirmed");
		maybe_lookup(g, s, dev, &srv_fota, 70);
		ftp_firmware(g, s, dev, &srv_fota);
		break;
	case SESS_KINDS:
		break;
	}
}
