/*
 * intent.c - why a device talks to a server: the dissectors' votes, the
 * catalog's service for the server, the client's fingerprints, the flow's
 * transfers and its traffic shape, combined into one intent, a confidence
 * and the evidence a person can read.
 *
 * Follows the rules of docs/intent.md (one table row per rule); the
 * firmware-like name patterns come from the module makers' FOTA practice
 * in DOMAIN.md (Quectel DFOTA, MeiG xyDelta, LwM2M Object 5, OMA-DM FUMO).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <ndpi/ndpi_protocol_ids.h>

#include "catalog.h"
#include "dissector.h"
#include "flow.h"
#include "intent.h"

static const char *const intent_names[INTENT__MAX] = {
	"other", "fota", "device_management", "telemetry", "location", "gnss_assist", "cloud",
};

const char *intent_str(enum intent i)
{
	return (unsigned)i < INTENT__MAX ? intent_names[i] : "other";
}

int intent_parse(const char *s)
{
	for (int i = 0; i < INTENT__MAX; i++)
		if (strcmp(s, intent_names[i]) == 0)
			return i;
	return -1;
}

const char *confidence_str(enum confidence c)
{
	return c == CONF_CONFIRMED ? "confirmed" : c == CONF_PROBABLE ? "probable" : "none";
}

void intent_vote(struct intent_input *in, enum intent i, enum confidence c, const char *fmt, ...)
{
	if (in->n_votes >= INTENT_EVIDENCE_MAX)
		return;
	struct intent_vote *v = &in->votes[in->n_votes++];
	v->intent = i;
	v->conf = c;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
}

/* ---- thresholds of the shape rules (docs/intent.md) ---- */

#define SHAPE_FOTA_MIN_DOWN 100000u /* bytes server to device */
#define SHAPE_FOTA_RATIO 10u        /* down >= ratio * up */
#define SHAPE_TELEMETRY_MIN_UP_PKTS 3u
#define SHAPE_TELEMETRY_MAX_DOWN 100000u
#define REDACT_DIGITS 10 /* runs of this many digits or more are hidden */
#define MAX_TRANSFER_REASONS 4

/* Precedence among candidates of equal confidence: higher wins. */
static int intent_rank(enum intent i)
{
	switch (i) {
	case INTENT_FOTA: return 6;
	case INTENT_DM: return 5;
	case INTENT_LOCATION: return 4;
	case INTENT_GNSS_ASSIST: return 3;
	case INTENT_TELEMETRY: return 2;
	case INTENT_CLOUD: return 1;
	default: return 0;
	}
}

/* A reason for an intent; intent OTHER with CONF_NONE is a remark that
 * never wins (the client's maker, a DNS lookup). */
struct cand {
	enum intent intent;
	enum confidence conf;
	char why[INTENT_EVIDENCE_LEN];
};

#define CAND_MAX (2 * INTENT_EVIDENCE_MAX + MAX_TRANSFER_REASONS + 4)

struct cands {
	struct cand v[CAND_MAX];
	size_t n;
};

static void cand_add(struct cands *cs, enum intent i, enum confidence c, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void cand_add(struct cands *cs, enum intent i, enum confidence c, const char *fmt, ...)
{
	if (cs->n >= CAND_MAX)
		return;
	struct cand *k = &cs->v[cs->n++];
	k->intent = i;
	k->conf = c;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(k->why, sizeof(k->why), fmt, ap);
	va_end(ap);
}

/* ---- small string helpers ---- */

static int ends_with_ci(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);
	return n >= m && strncasecmp(s + n - m, suffix, m) == 0;
}

/* The path of a URL ("http://h/a/b?q" -> "/a/b"), without query or
 * fragment; *len gets its length.  A URL without "://" is a path. */
static const char *url_path(const char *url, size_t *len)
{
	const char *p = url;
	const char *scheme = strstr(url, "://");
	if (scheme) {
		p = strchr(scheme + 3, '/');
		if (!p) {
			*len = 0;
			return "";
		}
	}
	*len = strcspn(p, "?#");
	return p;
}

/* The last segment of a path (the file name). */
static const char *path_name(const char *path, size_t len, size_t *name_len)
{
	size_t i = len;
	while (i > 0 && path[i - 1] != '/')
		i--;
	*name_len = len - i;
	return path + i;
}

/* "412 kB" (1 kB = 1000 bytes, rounded) or "812 B". */
static const char *fmt_bytes(uint64_t n, char *buf, size_t len)
{
	if (n < 1000)
		snprintf(buf, len, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, len, "%llu kB", (unsigned long long)((n + 500) / 1000));
	return buf;
}

/* Copies src to dst hiding every run of REDACT_DIGITS or more digits
 * (IMEI, IMSI, MSISDN, ICCID) as "[id]": evidence never names a
 * subscriber or a device. */
static void redact(char *dst, size_t len, const char *src)
{
	size_t o = 0;
	for (size_t i = 0; src[i] && o + 1 < len;) {
		size_t run = 0;
		while (isdigit((unsigned char)src[i + run]))
			run++;
		if (run >= REDACT_DIGITS) {
			const char *mark = "[id]";
			for (size_t k = 0; mark[k] && o + 1 < len; k++)
				dst[o++] = mark[k];
			i += run;
		} else if (run > 0) {
			for (size_t k = 0; k < run && o + 1 < len; k++)
				dst[o++] = src[i + k];
			i += run;
		} else {
			dst[o++] = src[i++];
		}
	}
	dst[o] = '\0';
}

/* ---- firmware-like objects (docs/intent.md, "Firmware-like") ---- */

/* Each pattern with its reason (a static string: safe across workers). */
struct fw_pattern {
	const char *pat;
	const char *why;
};

#define FW_EXT(e)                                                                                  \
	{                                                                                          \
		e, "firmware-like name (" e ")"                                                    \
	}
static const struct fw_pattern fw_extensions[] = {
	FW_EXT(".bin"), FW_EXT(".img"),   FW_EXT(".fw"),     FW_EXT(".hex"), FW_EXT(".dfu"),
	FW_EXT(".zip"), FW_EXT(".delta"), FW_EXT(".pkg"),    FW_EXT(".ota"), FW_EXT(".upd"),
	FW_EXT(".swu"), FW_EXT(".cpio"),  FW_EXT(".signed"), {NULL, NULL},
};

#define FW_SEG(s)                                                                                  \
	{                                                                                          \
		s, "firmware-like path (" s "/)"                                                   \
	}
static const struct fw_pattern fw_segments[] = {
	FW_SEG("firmware"), FW_SEG("fw"),     FW_SEG("fota"),    FW_SEG("ota"), FW_SEG("dfota"),
	FW_SEG("delta"),    FW_SEG("update"), FW_SEG("updates"), {NULL, NULL},
};

/* Answers that describe an update, not the image: a FOTA service's
 * version checks and manifests. */
static int content_is_text(const char *ct)
{
	if (!ct)
		return 0;
	return strncasecmp(ct, "text/", 5) == 0 || strncasecmp(ct, "application/json", 16) == 0 ||
	       strncasecmp(ct, "application/xml", 15) == 0 || strstr(ct, "+json") ||
	       strstr(ct, "+xml");
}

/* Qualcomm XTRA files (xtra.bin, xtra2.bin, xtra3grc.bin...) are GNSS
 * assistance data, never firmware, even without a catalog. */
static int name_is_gnss(const char *name, size_t n)
{
	return n >= 4 && strncasecmp(name, "xtra", 4) == 0;
}

/* 1 when a path segment (not the file name) is one of fw_segments, or the
 * path holds MeiG's "download/xyDelta"; *why gets the reason. */
static int path_has_fw_segment(const char *path, size_t len, const char **why)
{
	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && path[j] != '/')
			j++;
		if (j < len) { /* a directory segment: followed by '/' */
			for (int k = 0; fw_segments[k].pat; k++) {
				size_t m = strlen(fw_segments[k].pat);
				if (j - i == m &&
				    strncasecmp(path + i, fw_segments[k].pat, m) == 0) {
					*why = fw_segments[k].why;
					return 1;
				}
			}
		}
		i = j + 1;
	}
	static const char meig[] = "/download/xydelta";
	size_t m = sizeof(meig) - 1;
	for (size_t i = 0; i + m <= len; i++)
		if (strncasecmp(path + i, meig, m) == 0 && (i + m == len || path[i + m] == '/')) {
			*why = "firmware-like path (download/xyDelta, MeiG FOTA delta)";
			return 1;
		}
	return 0;
}

/* 1 when the strings are the same URL: scheme and host compared without
 * case, the rest exactly. */
static int url_equal(const char *a, const char *b)
{
	const char *pa = strstr(a, "://"), *pb = strstr(b, "://");
	if (!pa || !pb)
		return strcmp(a, b) == 0;
	size_t ha = strcspn(pa + 3, "/?#") + (size_t)(pa + 3 - a);
	size_t hb = strcspn(pb + 3, "/?#") + (size_t)(pb + 3 - b);
	return ha == hb && strncasecmp(a, b, ha) == 0 && strcmp(a + ha, b + hb) == 0;
}

/*
 * The rules of a firmware-like object, without the transfer's outcome:
 * returns 1 and sets *why, or 0 (*why then says why not, or is NULL).
 * svc is the flow's catalog service (may be NULL).
 */
/* The transfer's path (from its URL) and file name (the URL's last
 * segment, else t->name). */
static void transfer_path(const struct app_transfer *t, const char **path, size_t *plen,
			  const char **name, size_t *nlen)
{
	*plen = 0;
	*path = t->url ? url_path(t->url, plen) : "";
	*name = path_name(*path, *plen, nlen);
	if (*nlen == 0 && t->name) {
		*name = t->name;
		*nlen = strlen(t->name);
	}
}

/* 1 when path is an LwM2M Firmware Update Package resource, /5/<inst>/0:
 * a Write there pushes the image itself (OMA LwM2M, Object 5). */
static int path_is_lwm2m_package(const char *path, size_t plen)
{
	size_t i = 0;
	if (plen < 6 || path[0] != '/' || path[1] != '5' || path[2] != '/')
		return 0;
	for (i = 3; i < plen && path[i] >= '0' && path[i] <= '9'; i++)
		;
	return i > 3 && i + 2 == plen && path[i] == '/' && path[i + 1] == '0';
}

/* Rules 6 and 7 of docs/intent.md: the name or a directory. */
static int path_is_firmware(const char *path, size_t plen, const char *name, size_t nlen,
			    const char **why)
{
	for (int k = 0; fw_extensions[k].pat; k++)
		if (ends_with_ci(name, nlen, fw_extensions[k].pat)) {
			*why = fw_extensions[k].why;
			return 1;
		}
	return path_has_fw_segment(path, plen, why);
}

int intent_name_is_firmware(const char *url, const char **why)
{
	size_t plen = 0, nlen = 0;
	*why = NULL;
	if (!url)
		return 0;
	const char *path = url_path(url, &plen);
	const char *name = path_name(path, plen, &nlen);
	if (name_is_gnss(name, nlen)) {
		*why = "GNSS assistance data (XTRA)";
		return 0;
	}
	return path_is_firmware(path, plen, name, nlen, why);
}

static int firmware_like(const struct catalog_service *svc, const struct app_transfer *t,
			 const char **why)
{
	size_t plen, nlen;
	const char *path, *name;
	transfer_path(t, &path, &plen, &name, &nlen);
	*why = NULL;
	if (!t->to_device && !t->package_uri) {
		*why = "an upload, not an LwM2M package push";
		return 0;
	}
	if (svc && (svc->intent == INTENT_GNSS_ASSIST || svc->intent == INTENT_LOCATION)) {
		*why = svc->intent == INTENT_GNSS_ASSIST ? "a catalog GNSS assistance service"
							 : "a catalog location service";
		return 0;
	}
	if (name_is_gnss(name, nlen)) {
		*why = "GNSS assistance data (XTRA)";
		return 0;
	}
	if (t->package_uri && t->url && url_equal(t->package_uri, t->url)) {
		*why = "the URL is the announced package URI (LwM2M /5/0/1, FUMO PkgURL)";
		return 1;
	}
	if (!t->to_device) {
		*why = "an LwM2M package push";
		return 1;
	}
	if (t->protocol && strcmp(t->protocol, "coap") == 0 && path_is_lwm2m_package(path, plen)) {
		*why = "an LwM2M package push (Write /5/x/0 Package)";
		return 1;
	}
	if (path_is_firmware(path, plen, name, nlen, why))
		return 1;
	if (svc && svc->intent == INTENT_FOTA && !content_is_text(t->content_type)) {
		*why = "download from a catalog FOTA service";
		return 1;
	}
	return 0;
}

/*
 * A download that is the purpose of a GNSS assistance or location service:
 * an XTRA file anywhere, or any answer of a catalog gnss_assist / location
 * service.  Returns that intent and sets *why, or INTENT_OTHER.
 */
static enum intent assist_like(const struct catalog_service *svc, const struct app_transfer *t,
			       const char **why)
{
	size_t plen, nlen;
	const char *path, *name;
	if (!t->to_device)
		return INTENT_OTHER;
	transfer_path(t, &path, &plen, &name, &nlen);
	if (name_is_gnss(name, nlen)) {
		*why = "GNSS assistance data (XTRA)";
		return INTENT_GNSS_ASSIST;
	}
	if (svc && svc->intent == INTENT_GNSS_ASSIST) {
		*why = "answer of a catalog GNSS assistance service";
		return INTENT_GNSS_ASSIST;
	}
	if (svc && svc->intent == INTENT_LOCATION) {
		*why = "answer of a catalog location service";
		return INTENT_LOCATION;
	}
	return INTENT_OTHER;
}

/* An HTTP answer other than 2xx is an error page, not an image. */
static int transfer_failed(const struct app_transfer *t)
{
	return !t->status_ok && t->protocol && strcmp(t->protocol, "http") == 0;
}

int intent_transfer_is_firmware(const struct intent_result *r, const struct app_transfer *t,
				const char **why)
{
	const struct catalog_service *svc = r ? r->service : NULL;
	if (!firmware_like(svc, t, why))
		return 0;
	if (transfer_failed(t)) {
		*why = "the server answered with an error";
		return 0;
	}
	return 1;
}

/* ---- what kind of flow ---- */

static const char *dissector_name(const struct flow *f)
{
	return f && f->app && f->app->d ? f->app->d->name : NULL;
}

static int flow_is(const struct flow *f, const char *dname, uint16_t ndpi_id)
{
	const char *d = dissector_name(f);
	if (d && strcmp(d, dname) == 0)
		return 1;
	return f && (f->app_proto == ndpi_id || f->master_proto == ndpi_id);
}

static int flow_is_encrypted(const struct flow *f, uint16_t port)
{
	return flow_is(f, "tls", NDPI_PROTOCOL_TLS) || flow_is(f, "dtls", NDPI_PROTOCOL_DTLS) ||
	       port == 443 || port == 8883 || port == 5684;
}

/* "MQTT", "CoAP" or NULL. */
static const char *flow_messaging(const struct flow *f, uint16_t port)
{
	if (flow_is(f, "mqtt", NDPI_PROTOCOL_MQTT) ||
	    (f->key.proto == 6 && (port == 1883 || port == 8883)))
		return "MQTT";
	if (flow_is(f, "coap", NDPI_PROTOCOL_COAP) ||
	    (f->key.proto == 17 && (port == 5683 || port == 5684)))
		return "CoAP";
	return NULL;
}

static int flow_is_dns(const struct flow *f, uint16_t port)
{
	return flow_is(f, "dns", NDPI_PROTOCOL_DNS) || port == 53;
}

/* ---- the sources of evidence ---- */

static void add_votes(struct cands *cs, const struct intent_input *in)
{
	for (size_t i = 0; i < in->n_votes && i < INTENT_EVIDENCE_MAX; i++) {
		const struct intent_vote *v = &in->votes[i];
		enum intent it = (unsigned)v->intent < INTENT__MAX ? v->intent : INTENT_OTHER;
		enum confidence c = it == INTENT_OTHER ? CONF_NONE : v->conf;
		cand_add(cs, it, c, "%s", v->why);
	}
}

/* A vote that names a purpose (not "other"). */
static int votes_name_intent(const struct intent_input *in)
{
	for (size_t i = 0; i < in->n_votes && i < INTENT_EVIDENCE_MAX; i++)
		if (in->votes[i].intent != INTENT_OTHER && in->votes[i].conf != CONF_NONE)
			return 1;
	return 0;
}

static const char *service_kind(enum intent i)
{
	switch (i) {
	case INTENT_FOTA: return "FOTA";
	case INTENT_DM: return "device management";
	case INTENT_TELEMETRY: return "telemetry";
	case INTENT_LOCATION: return "location";
	case INTENT_GNSS_ASSIST: return "GNSS assistance";
	case INTENT_CLOUD: return "device cloud";
	default: return "other";
	}
}

static void add_catalog(struct cands *cs, const struct catalog *cat, const struct flow *f,
			const struct intent_input *in, struct intent_result *out)
{
	struct ip_addr ip;
	uint16_t port;
	flow_destination(f, &ip, &port);
	struct catalog_query q = {
		.host = in->server_name,
		.ip = &ip,
		.asn = in->asn,
		.port = flow_has_ports(f->key.proto) ? port : 0,
		.transport = f->key.proto,
	};
	struct catalog_match m;
	memset(&m, 0, sizeof(m));
	if (!catalog_match(cat, &q, &m) || !m.service)
		return;
	const struct catalog_service *s = m.service;
	out->service = s;
	out->vendor = s->vendor;
	const char *vname = s->vendor && s->vendor->name ? s->vendor->name : "";
	const char *sname = s->name ? s->name : "";
	/* "Quectel QuecLocator", but not "Quectel Quectel FOTA" */
	int name_has_vendor = vname[0] && strncasecmp(sname, vname, strlen(vname)) == 0;
	const char *sep = vname[0] && sname[0] && !name_has_vendor ? " " : "";
	enum intent it = (unsigned)s->intent < INTENT__MAX ? s->intent : INTENT_OTHER;
	cand_add(cs, it, it == INTENT_OTHER ? CONF_NONE : CONF_PROBABLE, "catalog: %s%s%s (%s%s%s)",
		 name_has_vendor ? "" : vname, sep, sname, m.why, s->where ? ", " : "",
		 s->where ? s->where : "");
}

/* The catalog says 'user-agent "QUECTEL_MODULE" (file:line)'; the
 * evidence says "client: User-Agent QUECTEL_MODULE (Quectel, file:line)". */
static void client_reason(char *buf, size_t len, const char *why, const char *vendor)
{
	static const struct {
		const char *how, *label;
	} labels[] = {
		{"user-agent prefix", "User-Agent prefix"},
		{"user-agent", "User-Agent"},
		{"ja3", "JA3"},
		{"ja4", "JA4"},
	};
	const char *q1 = strchr(why, '"');
	const char *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
	const char *label = NULL;
	for (size_t i = 0; q1 && i < sizeof(labels) / sizeof(labels[0]); i++) {
		size_t n = strlen(labels[i].how);
		if ((size_t)(q1 - why) == n + 1 && strncmp(why, labels[i].how, n) == 0) {
			label = labels[i].label;
			break;
		}
	}
	if (!label || !q2) {
		snprintf(buf, len, "client: %s (%s)", why[0] ? why : "fingerprint", vendor);
		return;
	}
	const char *where = strstr(q2, " (");
	size_t wlen = where ? strcspn(where + 2, ")") : 0;
	snprintf(buf, len, "client: %s %.*s (%s%s%.*s)", label, (int)(q2 - q1 - 1), q1 + 1, vendor,
		 where ? ", " : "", (int)wlen, where ? where + 2 : "");
}

static void add_client(struct cands *cs, const struct catalog *cat, const struct intent_input *in,
		       struct intent_result *out)
{
	if (!in->user_agent && !in->ja3 && !in->ja4)
		return;
	char why[160];
	const struct catalog_vendor *v =
		catalog_client(cat, in->user_agent, in->ja3, in->ja4, why, sizeof(why));
	if (!v)
		return;
	out->client_vendor = v;
	char text[INTENT_EVIDENCE_LEN];
	client_reason(text, sizeof(text), why, v->name ? v->name : "?");
	cand_add(cs, INTENT_OTHER, CONF_NONE, "%s", text);
}

/* "HTTP GET /firmware/EC25-AF-1.2.bin, 41 kB, complete; WHY" (the path
 * without its query). */
static void add_transfer_reason(struct cands *cs, enum intent it, const struct app_transfer *t,
				const char *why)
{
	size_t plen, nlen;
	const char *path, *name;
	transfer_path(t, &path, &plen, &name, &nlen);
	if (plen == 0) {
		path = name;
		plen = nlen;
	}
	char proto[16], size[32];
	size_t k = 0;
	for (const char *p = t->protocol ? t->protocol : "?"; *p && k + 1 < sizeof(proto); p++)
		proto[k++] = (char)toupper((unsigned char)*p);
	proto[k] = '\0';
	if (strcmp(proto, "COAP") == 0)
		strcpy(proto, "CoAP");
	fmt_bytes(t->size, size, sizeof(size));
	int failed = transfer_failed(t);
	cand_add(cs, it, failed ? CONF_PROBABLE : CONF_CONFIRMED, "%s %s %.*s, %s, %s; %s", proto,
		 t->method ? t->method : "", (int)plen, path, size,
		 failed ? "failed"
			: transfer_hash_state_str((enum transfer_hash_state)t->hash_state),
		 why);
}

static void add_transfers(struct cands *cs, const struct intent_input *in,
			  const struct catalog_service *svc)
{
	size_t added = 0;
	for (size_t i = 0; i < in->n_transfers && added < MAX_TRANSFER_REASONS; i++) {
		const struct app_transfer *t = &in->transfers[i];
		const char *why = NULL;
		enum intent it = INTENT_FOTA;
		if (!firmware_like(svc, t, &why) &&
		    (it = assist_like(svc, t, &why)) == INTENT_OTHER)
			continue;
		add_transfer_reason(cs, it, t, why);
		added++;
	}
}

static void add_shape(struct cands *cs, const struct flow *f, const struct intent_input *in,
		      const struct catalog_service *svc)
{
	struct ip_addr ip;
	uint16_t port;
	flow_destination(f, &ip, &port);
	if (!flow_has_ports(f->key.proto))
		port = 0;
	uint64_t up = f->bytes[0], down = f->bytes[1];
	char u[32], d[32];

	if (svc && (svc->intent == INTENT_FOTA || svc->intent == INTENT_DM) &&
	    flow_is_encrypted(f, port) && down >= SHAPE_FOTA_MIN_DOWN &&
	    down >= SHAPE_FOTA_RATIO * up)
		cand_add(cs, INTENT_FOTA, CONF_PROBABLE,
			 "encrypted, %s down / %s up, to a catalog %s service",
			 fmt_bytes(down, d, sizeof(d)), fmt_bytes(up, u, sizeof(u)),
			 service_kind(svc->intent));

	const char *msg = flow_messaging(f, port);
	if (msg && !svc && !votes_name_intent(in) && f->pkts[0] >= SHAPE_TELEMETRY_MIN_UP_PKTS &&
	    down < SHAPE_TELEMETRY_MAX_DOWN)
		cand_add(cs, INTENT_TELEMETRY, CONF_PROBABLE,
			 "%s, small periodic upstream: %u packets, %s up / %s down", msg,
			 (unsigned)f->pkts[0], fmt_bytes(up, u, sizeof(u)),
			 fmt_bytes(down, d, sizeof(d)));
}

/* ---- choosing and writing the evidence ---- */

static int cand_better(const struct cand *a, enum intent bi, enum confidence bc)
{
	if (a->conf != bc)
		return a->conf > bc;
	return intent_rank(a->intent) > intent_rank(bi);
}

static void evidence_add(struct intent_result *out, const char *why)
{
	if (out->n_evidence >= INTENT_EVIDENCE_MAX || !why[0])
		return;
	char clean[INTENT_EVIDENCE_LEN];
	redact(clean, sizeof(clean), why);
	for (size_t i = 0; i < out->n_evidence; i++)
		if (strcmp(out->evidence[i], clean) == 0)
			return;
	memcpy(out->evidence[out->n_evidence++], clean, sizeof(clean));
}

/* The winner's reasons first (its confidence, then lower ones for the
 * same intent), then every other reason in the order gathered. */
static void write_evidence(struct intent_result *out, const struct cands *cs)
{
	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < cs->n; i++) {
			const struct cand *k = &cs->v[i];
			int same = k->intent == out->intent && out->intent != INTENT_OTHER;
			if ((pass == 0 && same && k->conf == out->conf) ||
			    (pass == 1 && same && k->conf != out->conf) || (pass == 2 && !same))
				evidence_add(out, k->why);
		}
}

void intent_decide(const struct catalog *cat, const struct flow *f, const struct intent_input *in,
		   struct intent_result *out)
{
	struct cands cs;
	struct ip_addr ip;
	uint16_t port;

	memset(out, 0, sizeof(*out));
	cs.n = 0;
	if (!f || !in) {
		evidence_add(out, "no catalog service, no protocol evidence");
		return;
	}
	flow_destination(f, &ip, &port);
	int dns = flow_is_dns(f, flow_has_ports(f->key.proto) ? port : 0);

	add_votes(&cs, in);
	if (cat && !dns)
		add_catalog(&cs, cat, f, in, out);
	if (cat)
		add_client(&cs, cat, in, out);
	if (!dns) {
		add_transfers(&cs, in, out->service);
		add_shape(&cs, f, in, out->service);
	}

	enum intent bi = INTENT_OTHER;
	enum confidence bc = CONF_NONE;
	for (size_t i = 0; i < cs.n; i++)
		if (cs.v[i].intent != INTENT_OTHER && cs.v[i].conf != CONF_NONE &&
		    cand_better(&cs.v[i], bi, bc)) {
			bi = cs.v[i].intent;
			bc = cs.v[i].conf;
		}
	out->intent = bi;
	out->conf = bi == INTENT_OTHER ? CONF_NONE : bc;
	if (bi == INTENT_OTHER)
		evidence_add(out, dns            ? "DNS lookup"
				  : out->service ? "no protocol evidence"
						 : "no catalog service, no protocol evidence");
	write_evidence(out, &cs);
}
