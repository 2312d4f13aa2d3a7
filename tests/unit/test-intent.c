/*
 * test-intent.c - the intent decision (src/intent.h, rules in
 * docs/intent.md): votes, confirmed over probable, the fixed precedence,
 * other/none, DNS lookups, firmware-like transfers (and XTRA not), the
 * traffic-shape rules and their thresholds, the evidence cap and order,
 * identifiers never in evidence; with a small catalog (docs/catalog.md)
 * written to a temporary file: the catalog's service, vendor and client.
 * Flows are built by hand as struct flow; nothing is decoded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <ndpi/ndpi_protocol_ids.h>

#include "catalog.h"
#include "dissector.h"
#include "flow.h"
#include "intent.h"

/* ---- flows ---- */

/* A device 100.64.0.5:40000 talking to server a.b.c.d:port. */
static void mkflow(struct flow *f, uint8_t proto, const uint8_t srv[4], uint16_t port)
{
	static const uint8_t dev[4] = {100, 64, 0, 5};
	memset(f, 0, sizeof(*f));
	f->key.family = 4;
	f->key.proto = proto;
	memcpy(f->key.addr_lo, dev, 4);
	memcpy(f->key.addr_hi, srv, 4);
	f->key.port_lo = 40000;
	f->key.port_hi = port;
	f->src_is_lo = 1;
	f->initiator_is_src = 1;
	f->pkts[0] = 4;
	f->pkts[1] = 4;
	f->bytes[0] = 600;
	f->bytes[1] = 800;
}

static const uint8_t ip_fota[4] = {192, 0, 2, 10};
static const uint8_t ip_mqtt[4] = {192, 0, 2, 20};
static const uint8_t ip_dm[4] = {192, 0, 2, 40};
static const uint8_t ip_resolver[4] = {192, 0, 2, 53};
static const uint8_t ip_queclocator[4] = {203, 0, 113, 12};
static const uint8_t ip_xtra[4] = {203, 0, 113, 21};
static const uint8_t ip_unknown[4] = {203, 0, 113, 50};

static int has_evidence(const struct intent_result *r, const char *needle)
{
	for (size_t i = 0; i < r->n_evidence; i++)
		if (strstr(r->evidence[i], needle))
			return 1;
	return 0;
}

static struct app_transfer dl(const char *url, const char *name, uint64_t size)
{
	struct app_transfer t;
	memset(&t, 0, sizeof(t));
	t.protocol = "http";
	t.method = "GET";
	t.url = url;
	t.name = name;
	t.size = size;
	t.hash_state = TRANSFER_HASH_OK;
	t.to_device = 1;
	t.status_ok = 1;
	return t;
}

/* ---- names ---- */

static void test_names(void **state)
{
	(void)state;
	for (int i = 0; i < INTENT__MAX; i++)
		assert_int_equal(intent_parse(intent_str((enum intent)i)), i);
	assert_string_equal(intent_str(INTENT_DM), "device_management");
	assert_string_equal(intent_str(INTENT_GNSS_ASSIST), "gnss_assist");
	assert_int_equal(intent_parse("firmware"), -1);
	assert_string_equal(confidence_str(CONF_CONFIRMED), "confirmed");
	assert_string_equal(confidence_str(CONF_PROBABLE), "probable");
	assert_string_equal(confidence_str(CONF_NONE), "none");
}

/* ---- choosing ---- */

static void test_nothing(void **state)
{
	(void)state;
	struct flow f;
	struct intent_input in;
	struct intent_result r;
	mkflow(&f, 6, ip_unknown, 443);
	memset(&in, 0, sizeof(in));
	intent_decide(NULL, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_OTHER);
	assert_int_equal(r.conf, CONF_NONE);
	assert_int_equal(r.n_evidence, 1);
	assert_string_equal(r.evidence[0], "no catalog service, no protocol evidence");
	assert_null(r.service);
	assert_null(r.vendor);
	assert_null(r.client_vendor);
}

static void test_confirmed_beats_probable(void **state)
{
	(void)state;
	struct flow f;
	struct intent_input in;
	struct intent_result r;
	mkflow(&f, 17, ip_unknown, 5683);
	memset(&in, 0, sizeof(in));
	intent_vote(&in, INTENT_FOTA, CONF_PROBABLE, "LwM2M Object 5 listed");
	intent_vote(&in, INTENT_TELEMETRY, CONF_CONFIRMED, "LwM2M Send of sensor objects");
	intent_decide(NULL, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_TELEMETRY);
	assert_int_equal(r.conf, CONF_CONFIRMED);
	assert_string_equal(r.evidence[0], "LwM2M Send of sensor objects");
	assert_string_equal(r.evidence[1], "LwM2M Object 5 listed");
}

static void test_precedence(void **state)
{
	(void)state;
	static const enum intent order[] = {INTENT_FOTA,        INTENT_DM,        INTENT_LOCATION,
					    INTENT_GNSS_ASSIST, INTENT_TELEMETRY, INTENT_CLOUD};
	size_t n = sizeof(order) / sizeof(order[0]);
	struct flow f;
	mkflow(&f, 6, ip_unknown, 80);
	/* drop the best one at a time: the next in precedence wins, whatever
	 * the order of the votes */
	for (size_t first = 0; first < n; first++) {
		for (int rev = 0; rev < 2; rev++) {
			struct intent_input in;
			struct intent_result r;
			memset(&in, 0, sizeof(in));
			for (size_t k = first; k < n; k++) {
				size_t j = rev ? n - 1 - (k - first) : k;
				intent_vote(&in, order[j], CONF_PROBABLE, "vote %s",
					    intent_str(order[j]));
			}
			intent_decide(NULL, &f, &in, &r);
			assert_int_equal(r.intent, order[first]);
			assert_int_equal(r.conf, CONF_PROBABLE);
			char want[64];
			snprintf(want, sizeof(want), "vote %s", intent_str(order[first]));
			assert_string_equal(r.evidence[0], want);
		}
	}
}

static void test_vote_other_never_wins(void **state)
{
	(void)state;
	struct flow f;
	struct intent_input in;
	struct intent_result r;
	mkflow(&f, 6, ip_unknown, 80);
	memset(&in, 0, sizeof(in));
	intent_vote(&in, INTENT_OTHER, CONF_CONFIRMED, "HTTP GET /index.html");
	intent_decide(NULL, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_OTHER);
	assert_int_equal(r.conf, CONF_NONE);
	assert_string_equal(r.evidence[0], "no catalog service, no protocol evidence");
	assert_string_equal(r.evidence[1], "HTTP GET /index.html");
}

static void test_dns(void **state)
{
	(void)state;
	struct flow f;
	struct intent_input in;
	struct intent_result r;
	mkflow(&f, 17, ip_resolver, 53);
	memset(&in, 0, sizeof(in));
	in.server_name = "fota.example.com"; /* even a catalog name: a lookup */
	intent_decide(NULL, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_OTHER);
	assert_int_equal(r.conf, CONF_NONE);
	assert_string_equal(r.evidence[0], "DNS lookup");

	/* nDPI's word, on another port */
	mkflow(&f, 17, ip_resolver, 5353);
	f.app_proto = NDPI_PROTOCOL_DNS;
	intent_decide(NULL, &f, &in, &r);
	assert_string_equal(r.evidence[0], "DNS lookup");

	/* a vote says otherwise */
	intent_vote(&in, INTENT_CLOUD, CONF_PROBABLE, "a vote");
	intent_decide(NULL, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_CLOUD);
	assert_int_equal(r.conf, CONF_PROBABLE);
}

/* ---- transfers ---- */

static void test_transfer_fota_confirmed(void **state)
{
	(void)state;
	struct flow f;
	struct intent_input in;
	struct intent_result r;
	struct app_transfer t[2];
	t[0] = dl("http://fota.example.com/", NULL, 312);
	t[0].content_type = "text/html";
	t[1] = dl("http://fota.example.com/firmware/EC25-AF-1.2.bin?imei=352099001761481",
		  "EC25-AF-1.2.bin", 41000);
	mkflow(&f, 6, ip_unknown, 80);
	memset(&in, 0, sizeof(in));
	intent_vote(&in, INTENT_CLOUD, CONF_PROBABLE, "a cloud vote");
	in.transfers = t;
	in.n_transfers = 2;
	intent_decide(NULL, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_FOTA);
	assert_int_equal(r.conf, CONF_CONFIRMED);
	assert_string_equal(r.evidence[0], "HTTP GET /firmware/EC25-AF-1.2.bin, 41 kB, complete; "
					   "firmware-like name (.bin)");
	assert_string_equal(r.evidence[1], "a cloud vote");
	assert_int_equal(r.n_evidence, 2);

	/* a gap: still a firmware download, the state says so */
	t[1].hash_state = TRANSFER_HASH_GAP;
	intent_decide(NULL, &f, &in, &r);
	assert_int_equal(r.conf, CONF_CONFIRMED);
	assert_true(has_evidence(&r, "41 kB, gap"));

	/* an error page: FOTA attempted, probable */
	t[1].hash_state = TRANSFER_HASH_OK;
	t[1].status_ok = 0;
	intent_decide(NULL, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_FOTA);
	assert_int_equal(r.conf, CONF_PROBABLE);
	assert_true(has_evidence(&r, ", failed;"));
}

static void test_transfer_xtra_not_firmware(void **state)
{
	(void)state;
	struct flow f;
	struct intent_input in;
	struct intent_result r;
	struct app_transfer t = dl("http://xtrapath1.izatcloud.net/xtra2.bin", "xtra2.bin", 62000);
	mkflow(&f, 6, ip_xtra, 80);
	memset(&in, 0, sizeof(in));
	in.transfers = &t;
	in.n_transfers = 1;
	intent_decide(NULL, &f, &in, &r);
	/* not firmware: GNSS assistance, proven by the download */
	assert_int_equal(r.intent, INTENT_GNSS_ASSIST);
	assert_int_equal(r.conf, CONF_CONFIRMED);
	assert_string_equal(r.evidence[0],
			    "HTTP GET /xtra2.bin, 62 kB, complete; GNSS assistance data (XTRA)");
	const char *why;
	assert_int_equal(intent_transfer_is_firmware(&r, &t, &why), 0);
	assert_non_null(why);
	assert_non_null(strstr(why, "GNSS"));
	/* an upload of that name says nothing */
	t.to_device = 0;
	intent_decide(NULL, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_OTHER);
}

static void test_name_is_firmware(void **state)
{
	(void)state;
	const char *why;
	assert_int_equal(intent_name_is_firmware("ftp://h/pub/EC25.bin", &why), 1);
	assert_string_equal(why, "firmware-like name (.bin)");
	assert_int_equal(intent_name_is_firmware("/fota/get?x=1", &why), 1);
	assert_int_equal(intent_name_is_firmware("EC25_delta.zip", &why), 1);
	assert_int_equal(intent_name_is_firmware("xtra3grc.bin", &why), 0);
	assert_int_equal(intent_name_is_firmware("/readme.txt", &why), 0);
	assert_int_equal(intent_name_is_firmware(NULL, &why), 0);
}

struct fw_case {
	const char *url;
	int is_fw;
};

static void test_firmware_like_names(void **state)
{
	(void)state;
	static const struct fw_case cases[] = {
		{"http://h/x.bin", 1},
		{"http://h/x.IMG", 1},
		{"http://h/a/x.fw", 1},
		{"http://h/x.hex", 1},
		{"http://h/x.dfu", 1},
		{"http://h/x.zip", 1},
		{"http://h/EC25_01.002-01.003.delta", 1},
		{"http://h/x.pkg", 1},
		{"http://h/x.ota", 1},
		{"http://h/x.upd", 1},
		{"http://h/x.swu", 1},
		{"http://h/x.cpio", 1},
		{"http://h/image.bin.signed", 1},
		{"http://h/x.bin?token=abc", 1},
		{"ftp://user@h/pub/x.bin", 1},
		{"coap://h/firmware/package", 1},
		{"http://h/fw/latest", 1},
		{"http://h/FOTA/get", 1},
		{"http://h/ota/v2/image", 1},
		{"http://h/dfota/EC25", 1},
		{"http://h/delta/1", 1},
		{"http://h/update/now", 1},
		{"http://h/updates/42", 1},
		{"http://iotsvr.meigsmart.com:9090/download/xyDelta", 1},
		{"http://iotsvr.meigsmart.com:9090/download/xyDelta?v=1", 1},
		/* not firmware */
		{"http://h/index.html", 0},
		{"http://h/api/v1/status", 0},
		{"http://h/firmware", 0},       /* the name, not a directory */
		{"http://h/fwupdate/x.txt", 0}, /* a segment must match whole */
		{"http://h/x.binary", 0},
		{"http://h/x.bin/readme", 0},
		{"http://h/download/other", 0},
		{"http://h/?f=x.bin", 0},
		{"http://h/xtra2.bin", 0},
		{"http://h/xtra3grcej.bin", 0},
		{"http://h", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct app_transfer t = dl(cases[i].url, NULL, 1000);
		const char *why = NULL;
		int got = intent_transfer_is_firmware(NULL, &t, &why);
		if (got != cases[i].is_fw)
			print_error("%s: got %d (%s)\n", cases[i].url, got, why ? why : "-");
		assert_int_equal(got, cases[i].is_fw);
		if (got)
			assert_non_null(why);
	}
}

static void test_firmware_services(void **state)
{
	(void)state;
	struct catalog_vendor v = {"Example Meter Co", "DE", "test", "t:1"};
	struct catalog_service fota = {&v, "FOTA", INTENT_FOTA, "test", "t:2"};
	struct catalog_service gnss = {&v, "XTRA", INTENT_GNSS_ASSIST, "test", "t:3"};
	struct catalog_service loc = {&v, "Locator", INTENT_LOCATION, "test", "t:4"};
	struct intent_result r;
	const char *why;
	memset(&r, 0, sizeof(r));

	/* any binary download from a catalog FOTA service */
	struct app_transfer t = dl("http://fota.example.com/get?id=7", NULL, 5000);
	assert_int_equal(intent_transfer_is_firmware(&r, &t, &why), 0);
	r.service = &fota;
	assert_int_equal(intent_transfer_is_firmware(&r, &t, &why), 1);
	assert_string_equal(why, "download from a catalog FOTA service");
	t.content_type = "application/octet-stream";
	assert_int_equal(intent_transfer_is_firmware(&r, &t, &why), 1);
	/* but not its version check or manifest */
	t.content_type = "application/json; charset=utf-8";
	assert_int_equal(intent_transfer_is_firmware(&r, &t, &why), 0);
	t.content_type = "application/vnd.example+xml";
	assert_int_equal(intent_transfer_is_firmware(&r, &t, &why), 0);

	/* a .bin from a GNSS assistance or location service is not */
	t = dl("http://h/assist.bin", NULL, 5000);
	r.service = &gnss;
	assert_int_equal(intent_transfer_is_firmware(&r, &t, &why), 0);
	r.service = &loc;
	assert_int_equal(intent_transfer_is_firmware(&r, &t, &why), 0);
	r.service = NULL;
	assert_int_equal(intent_transfer_is_firmware(&r, &t, &why), 1);

	/* an HTTP error page is not an image; other protocols' status is not
	 * always seen */
	t.status_ok = 0;
	assert_int_equal(intent_transfer_is_firmware(&r, &t, &why), 0);
	t.protocol = "ftp";
	t.method = "RETR";
	assert_int_equal(intent_transfer_is_firmware(&r, &t, &why), 1);
}

static void test_firmware_package_uri(void **state)
{
	(void)state;
	struct intent_result r;
	const char *why;
	memset(&r, 0, sizeof(r));

	/* a name that says nothing, announced as the package URI */
	struct app_transfer t = dl("coap://lwm2m.example.com:5683/pkg/7", NULL, 3000);
	t.protocol = "coap";
	t.method = "Block2";
	assert_int_equal(intent_transfer_is_firmware(&r, &t, &why), 0);
	t.package_uri = "COAP://LwM2M.example.com:5683/pkg/7";
	assert_int_equal(intent_transfer_is_firmware(&r, &t, &why), 1);
	assert_non_null(strstr(why, "package URI"));
	t.package_uri = "coap://lwm2m.example.com:5683/pkg/8";
	assert_int_equal(intent_transfer_is_firmware(&r, &t, &why), 0);

	/* uploads: not firmware, unless an LwM2M push of /5/0/0 */
	t = dl("http://h/firmware/x.bin", NULL, 3000);
	t.method = "PUT";
	t.to_device = 0;
	assert_int_equal(intent_transfer_is_firmware(&r, &t, &why), 0);
	assert_non_null(strstr(why, "upload"));
	t.protocol = "coap";
	t.method = "Block1";
	t.url = "coap://100.64.0.5/5/0/0";
	t.package_uri = "coap://100.64.0.5/5/0/0";
	assert_int_equal(intent_transfer_is_firmware(&r, &t, &why), 1);
	t.package_uri = "/5/0/0";
	assert_int_equal(intent_transfer_is_firmware(&r, &t, &why), 1);
	assert_string_equal(why, "an LwM2M package push");
}

/* ---- shape ---- */

static void test_shape_telemetry(void **state)
{
	(void)state;
	struct flow f;
	struct intent_input in;
	struct intent_result r;
	memset(&in, 0, sizeof(in));

	mkflow(&f, 6, ip_unknown, 1883);
	f.pkts[0] = 3;
	f.bytes[0] = 900;
	f.bytes[1] = 99999;
	intent_decide(NULL, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_TELEMETRY);
	assert_int_equal(r.conf, CONF_PROBABLE);
	assert_string_equal(r.evidence[0],
			    "MQTT, small periodic upstream: 3 packets, 900 B up / 100 kB down");

	f.bytes[1] = 100000; /* a download is not telemetry */
	intent_decide(NULL, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_OTHER);
	f.bytes[1] = 200;
	f.pkts[0] = 2; /* too few to be periodic */
	intent_decide(NULL, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_OTHER);

	/* CoAP by nDPI on another port */
	mkflow(&f, 17, ip_unknown, 6000);
	f.app_proto = NDPI_PROTOCOL_COAP;
	intent_decide(NULL, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_TELEMETRY);
	assert_true(has_evidence(&r, "CoAP, small periodic upstream"));
	/* not MQTT/CoAP: nothing */
	f.app_proto = 0;
	intent_decide(NULL, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_OTHER);

	/* a vote that says more wins and the shape rule stays quiet */
	mkflow(&f, 6, ip_unknown, 8883);
	intent_vote(&in, INTENT_FOTA, CONF_CONFIRMED, "MQTT OTA job topic");
	intent_decide(NULL, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_FOTA);
	assert_false(has_evidence(&r, "periodic"));
}

static void test_evidence_cap_and_order(void **state)
{
	(void)state;
	struct flow f;
	struct intent_input in;
	struct intent_result r;
	struct app_transfer t[3];
	mkflow(&f, 6, ip_unknown, 80);
	memset(&in, 0, sizeof(in));
	for (int i = 0; i < INTENT_EVIDENCE_MAX + 3; i++) /* extra votes dropped */
		intent_vote(&in, INTENT_CLOUD, CONF_PROBABLE, "cloud vote %d", i);
	assert_int_equal(in.n_votes, INTENT_EVIDENCE_MAX);
	t[0] = dl("http://h/fw/a.bin", "a.bin", 2000);
	t[1] = dl("http://h/fw/b.bin", "b.bin", 2000);
	t[2] = dl("http://h/fw/c.bin", "c.bin", 2000);
	in.transfers = t;
	in.n_transfers = 3;
	intent_decide(NULL, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_FOTA);
	assert_int_equal(r.n_evidence, INTENT_EVIDENCE_MAX);
	assert_non_null(strstr(r.evidence[0], "/fw/a.bin"));
	assert_non_null(strstr(r.evidence[1], "/fw/b.bin"));
	assert_non_null(strstr(r.evidence[2], "/fw/c.bin"));
	assert_string_equal(r.evidence[3], "cloud vote 0");
	assert_string_equal(r.evidence[7], "cloud vote 4");
	for (size_t i = 0; i < r.n_evidence; i++)
		assert_true(strlen(r.evidence[i]) < INTENT_EVIDENCE_LEN);

	/* equal reasons are given once */
	memset(&in, 0, sizeof(in));
	intent_vote(&in, INTENT_DM, CONF_CONFIRMED, "same");
	intent_vote(&in, INTENT_DM, CONF_CONFIRMED, "same");
	intent_decide(NULL, &f, &in, &r);
	assert_int_equal(r.n_evidence, 1);
}

static void test_no_identifiers(void **state)
{
	(void)state;
	struct flow f;
	struct intent_input in;
	struct intent_result r;
	struct app_transfer t =
		dl("http://h/fw/352099001761481/x.bin?imsi=001010123456789", "x.bin", 2000);
	mkflow(&f, 17, ip_unknown, 5683);
	memset(&in, 0, sizeof(in));
	in.imei = "352099001761481";
	intent_vote(&in, INTENT_DM, CONF_CONFIRMED,
		    "LwM2M register ep=urn:imei-imsi:352099001761481-001010123456789");
	intent_vote(&in, INTENT_DM, CONF_PROBABLE, "OneNET ep 352099001761481;001010123456789");
	intent_vote(&in, INTENT_TELEMETRY, CONF_PROBABLE, "msisdn +4915112345678");
	in.transfers = &t;
	in.n_transfers = 1;
	intent_decide(NULL, &f, &in, &r);
	assert_int_equal(r.n_evidence, 4);
	for (size_t i = 0; i < r.n_evidence; i++) {
		assert_null(strstr(r.evidence[i], "3520990017"));
		assert_null(strstr(r.evidence[i], "0010101234"));
		assert_null(strstr(r.evidence[i], "4915112345678"));
	}
	assert_true(has_evidence(&r, "ep=urn:imei-imsi:[id]-[id]"));
	assert_true(has_evidence(&r, "HTTP GET /fw/[id]/x.bin, 2 kB"));
	/* short numbers stay: versions, ports, sizes */
	assert_true(has_evidence(&r, "2 kB, complete"));
}

/* ---- with a catalog ---- */

/* A user's catalog in the format of docs/catalog.md. */
static const char catalog_text[] = "# test catalog for test-intent\n"
				   "vendor \"Example Meter Co\" country DE source \"test-intent\"\n"
				   "service FOTA intent fota source \"test-intent\"\n"
				   "  host fota.example.com\n"
				   "service DM intent device_management source \"test-intent\"\n"
				   "  host dm.example.com\n"
				   "service MQTT intent telemetry source \"test-intent\"\n"
				   "  host mqtt.example.com\n"
				   "vendor Quectel country CN source \"test-intent\"\n"
				   "service QuecLocator intent location source \"test-intent\"\n"
				   "  host www.queclocator.com\n"
				   "  port 80/tcp\n"
				   "user-agent exact \"QUECTEL_MODULE\"\n"
				   "vendor Qualcomm country US source \"test-intent\"\n"
				   "service XTRA intent gnss_assist source \"test-intent\"\n"
				   "  suffix .izatcloud.net\n";

struct cat_fx {
	struct catalog *cat;
	char path[64];
};

static int cat_setup(void **state)
{
	struct cat_fx *x = calloc(1, sizeof(*x));
	assert_non_null(x);
	snprintf(x->path, sizeof(x->path), "/tmp/test-intent-XXXXXX");
	int fd = mkstemp(x->path);
	assert_true(fd >= 0);
	FILE *fp = fdopen(fd, "w");
	assert_non_null(fp);
	fputs(catalog_text, fp);
	fclose(fp);
	/* catalog_load takes .catalog files of a directory, or any file */
	x->cat = catalog_new();
	assert_non_null(x->cat);
	FILE *errs = tmpfile();
	int n = catalog_load(x->cat, x->path, errs ? errs : stderr);
	if (n != 0 && errs) {
		char line[256];
		rewind(errs);
		while (fgets(line, sizeof(line), errs))
			print_error("catalog: %s", line);
	}
	if (errs)
		fclose(errs);
	assert_int_equal(n, 0);
	*state = x;
	return 0;
}

static int cat_teardown(void **state)
{
	struct cat_fx *x = *state;
	catalog_free(x->cat);
	unlink(x->path);
	free(x);
	return 0;
}

#define NEED_CATALOG(x)                                                                            \
	do {                                                                                       \
		if (catalog_vendors((x)->cat) == 0) {                                              \
			print_message("catalog_load is a stub: catalog tests skipped\n");          \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

static void test_catalog_service(void **state)
{
	struct cat_fx *x = *state;
	NEED_CATALOG(x);
	struct flow f;
	struct intent_input in;
	struct intent_result r;
	mkflow(&f, 6, ip_queclocator, 80);
	memset(&in, 0, sizeof(in));
	in.server_name = "www.queclocator.com";
	in.server_name_source = "http";
	in.user_agent = "QUECTEL_MODULE";
	intent_decide(x->cat, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_LOCATION);
	assert_int_equal(r.conf, CONF_PROBABLE);
	assert_non_null(r.service);
	assert_non_null(r.vendor);
	assert_string_equal(r.vendor->name, "Quectel");
	assert_ptr_equal(r.service->vendor, r.vendor);
	assert_non_null(
		strstr(r.evidence[0], "catalog: Quectel QuecLocator (host www.queclocator.com"));
	/* the catalog file by its name, without the directory */
	const char *base = strrchr(x->path, '/');
	assert_non_null(strstr(r.evidence[0], base ? base + 1 : x->path));
	assert_non_null(r.client_vendor);
	assert_string_equal(r.client_vendor->name, "Quectel");
	assert_true(has_evidence(&r, "client: User-Agent QUECTEL_MODULE (Quectel, "));
}

static void test_catalog_fota_shape(void **state)
{
	struct cat_fx *x = *state;
	NEED_CATALOG(x);
	struct flow f;
	struct intent_input in;
	struct intent_result r;
	memset(&in, 0, sizeof(in));
	in.server_name = "fota.example.com";
	mkflow(&f, 6, ip_fota, 443);
	f.bytes[1] = 412000;
	f.bytes[0] = 3000;
	intent_decide(x->cat, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_FOTA);
	assert_int_equal(r.conf, CONF_PROBABLE);
	/* both reasons name FOTA probable: in the order gathered */
	assert_non_null(
		strstr(r.evidence[0], "catalog: Example Meter Co FOTA (host fota.example.com, "));
	assert_string_equal(r.evidence[1],
			    "encrypted, 412 kB down / 3 kB up, to a catalog FOTA service");

	/* thresholds: 100 kB down, ten times the upstream */
	f.bytes[1] = 99999;
	f.bytes[0] = 100;
	intent_decide(x->cat, &f, &in, &r);
	assert_false(has_evidence(&r, "encrypted"));
	f.bytes[1] = 100000;
	f.bytes[0] = 10000;
	intent_decide(x->cat, &f, &in, &r);
	assert_true(has_evidence(&r, "encrypted, 100 kB down / 10 kB up"));
	f.bytes[0] = 10001;
	intent_decide(x->cat, &f, &in, &r);
	assert_false(has_evidence(&r, "encrypted"));

	/* not encrypted (port 80, no TLS) */
	f.bytes[0] = 3000;
	f.bytes[1] = 412000;
	f.key.port_hi = 80;
	intent_decide(x->cat, &f, &in, &r);
	assert_false(has_evidence(&r, "encrypted"));
	/* encrypted by nDPI's word */
	f.app_proto = NDPI_PROTOCOL_TLS;
	intent_decide(x->cat, &f, &in, &r);
	assert_true(has_evidence(&r, "encrypted"));

	/* a DM service: probable FOTA beats probable DM */
	in.server_name = "dm.example.com";
	mkflow(&f, 6, ip_dm, 443);
	f.bytes[1] = 412000;
	f.bytes[0] = 3000;
	intent_decide(x->cat, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_FOTA);
	assert_string_equal(r.evidence[0], "encrypted, 412 kB down / 3 kB up, to a "
					   "catalog device management service");
	assert_true(has_evidence(&r, "catalog: Example Meter Co DM"));
	/* a telemetry service: no */
	in.server_name = "mqtt.example.com";
	mkflow(&f, 6, ip_mqtt, 8883);
	f.bytes[1] = 412000;
	f.bytes[0] = 3000;
	intent_decide(x->cat, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_TELEMETRY);
	assert_false(has_evidence(&r, "encrypted"));
	assert_false(has_evidence(&r, "periodic")); /* the catalog said it */
}

static void test_catalog_gnss_and_dns(void **state)
{
	struct cat_fx *x = *state;
	NEED_CATALOG(x);
	struct flow f;
	struct intent_input in;
	struct intent_result r;
	struct app_transfer t =
		dl("http://xtrapath1.izatcloud.net/assist.bin", "assist.bin", 62000);
	memset(&in, 0, sizeof(in));
	in.server_name = "xtrapath1.izatcloud.net";
	in.transfers = &t;
	in.n_transfers = 1;
	mkflow(&f, 6, ip_xtra, 80);
	intent_decide(x->cat, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_GNSS_ASSIST);
	assert_int_equal(r.conf, CONF_CONFIRMED);
	assert_string_equal(r.evidence[0], "HTTP GET /assist.bin, 62 kB, complete; answer of a "
					   "catalog GNSS assistance service");
	assert_true(has_evidence(&r, "catalog: Qualcomm XTRA (host suffix .izatcloud.net"));
	const char *why;
	assert_int_equal(intent_transfer_is_firmware(&r, &t, &why), 0);
	/* the service alone: probable */
	in.n_transfers = 0;
	intent_decide(x->cat, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_GNSS_ASSIST);
	assert_int_equal(r.conf, CONF_PROBABLE);

	/* a location lookup answered: confirmed; refused: probable */
	struct app_transfer l =
		dl("http://www.queclocator.com/location/QLOC?imei=352099001761481", NULL, 60);
	l.content_type = "application/json";
	in.server_name = "www.queclocator.com";
	in.transfers = &l;
	in.n_transfers = 1;
	mkflow(&f, 6, ip_queclocator, 80);
	intent_decide(x->cat, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_LOCATION);
	assert_int_equal(r.conf, CONF_CONFIRMED);
	assert_string_equal(r.evidence[0], "HTTP GET /location/QLOC, 60 B, complete; answer of a "
					   "catalog location service");
	l.status_ok = 0;
	intent_decide(x->cat, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_LOCATION);
	assert_int_equal(r.conf, CONF_PROBABLE);
	assert_true(has_evidence(&r, "60 B, failed"));

	/* a download from the FOTA service */
	struct app_transfer g = dl("http://fota.example.com/get?id=7", NULL, 41000);
	in.server_name = "fota.example.com";
	in.transfers = &g;
	mkflow(&f, 6, ip_fota, 80);
	intent_decide(x->cat, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_FOTA);
	assert_int_equal(r.conf, CONF_CONFIRMED);
	assert_true(
		has_evidence(&r, "HTTP GET /get, 41 kB, complete; download from a catalog FOTA"));
	assert_int_equal(intent_transfer_is_firmware(&r, &g, &why), 1);

	/* a lookup of a catalog name is a DNS lookup */
	memset(&in, 0, sizeof(in));
	in.server_name = "fota.example.com";
	mkflow(&f, 17, ip_resolver, 53);
	intent_decide(x->cat, &f, &in, &r);
	assert_int_equal(r.intent, INTENT_OTHER);
	assert_string_equal(r.evidence[0], "DNS lookup");
	assert_null(r.service);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_nothing),
		cmocka_unit_test(test_confirmed_beats_probable),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_vote_other_never_wins),
		cmocka_unit_test(test_dns),
		cmocka_unit_test(test_transfer_fota_confirmed),
		cmocka_unit_test(test_transfer_xtra_not_firmware),
		cmocka_unit_test(test_firmware_like_names),
		cmocka_unit_test(test_name_is_firmware),
		cmocka_unit_test(test_firmware_services),
		cmocka_unit_test(test_firmware_package_uri),
		cmocka_unit_test(test_shape_telemetry),
		cmocka_unit_test(test_evidence_cap_and_order),
		cmocka_unit_test(test_no_identifiers),
		cmocka_unit_test_setup_teardown(test_catalog_service, cat_setup, cat_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_fota_shape, cat_setup, cat_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_gnss_and_dns, cat_setup, cat_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
