/*
 * main.c - apnwatch, the sensor: options, signals, and the run.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "capture.h"
#include "engine.h"
#include "util-log.h"

enum {
	OPT_JSON = 256,
	OPT_DEVICE_NET,
	OPT_MAX_FLOWS,
	OPT_TIMEOUT_TCP,
	OPT_TIMEOUT_TCP_CLOSED,
	OPT_TIMEOUT_UDP,
	OPT_TIMEOUT_OTHER,
	OPT_OBSERVER,
	OPT_STATS,
	OPT_NO_DPI,
	OPT_TEXT,
	OPT_TAC_FILE,
	OPT_PSEUDONYMIZE,
	OPT_GEOIP_COUNTRY,
	OPT_GEOIP_ASN,
	OPT_CATALOG,
	OPT_NO_BUILTIN_CATALOG,
	OPT_CHECK_CATALOG,
	OPT_FIRMWARE_MAX,
	OPT_POLICY,
	OPT_REDIS,
	OPT_POLICY_CACHE,
};

static const struct option long_opts[] = {
	{"read", required_argument, NULL, 'r'},
	{"interface", required_argument, NULL, 'i'},
	{"filter", required_argument, NULL, 'f'},
	{"output", required_argument, NULL, 'o'},
	{"no-promisc", no_argument, NULL, 'p'},
	{"snaplen", required_argument, NULL, 's'},
	{"buffer-size", required_argument, NULL, 'B'},
	{"quiet", no_argument, NULL, 'q'},
	{"json", no_argument, NULL, OPT_JSON},
	{"text", no_argument, NULL, OPT_TEXT},
	{"device-net", required_argument, NULL, OPT_DEVICE_NET},
	{"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
	{"timeout-tcp", required_argument, NULL, OPT_TIMEOUT_TCP},
	{"timeout-tcp-closed", required_argument, NULL, OPT_TIMEOUT_TCP_CLOSED},
	{"timeout-udp", required_argument, NULL, OPT_TIMEOUT_UDP},
	{"timeout-other", required_argument, NULL, OPT_TIMEOUT_OTHER},
	{"observer-name", required_argument, NULL, OPT_OBSERVER},
	{"stats-interval", required_argument, NULL, OPT_STATS},
	{"no-dpi", no_argument, NULL, OPT_NO_DPI},
	{"tac-file", required_argument, NULL, OPT_TAC_FILE},
	{"pseudonymize", required_argument, NULL, OPT_PSEUDONYMIZE},
	{"geoip-country", required_argument, NULL, OPT_GEOIP_COUNTRY},
	{"geoip-asn", required_argument, NULL, OPT_GEOIP_ASN},
	{"catalog", required_argument, NULL, OPT_CATALOG},
	{"no-builtin-catalog", no_argument, NULL, OPT_NO_BUILTIN_CATALOG},
	{"check-catalog", no_argument, NULL, OPT_CHECK_CATALOG},
	{"firmware-max-bytes", required_argument, NULL, OPT_FIRMWARE_MAX},
	{"config", required_argument, NULL, 'c'},
	{"policy", required_argument, NULL, OPT_POLICY},
	{"check-config", no_argument, NULL, 't'},
	{"redis", required_argument, NULL, OPT_REDIS},
	{"policy-cache", required_argument, NULL, OPT_POLICY_CACHE},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: apnwatch (-r FILE | -i IFACE) [options]\n"
		"\n"
		"Watches the traffic of cellular IoT devices at an APN egress and writes one\n"
		"event per flow: who the device is, whom it talks to, and over what.\n"
		"\n"
		"Input:\n"
		"  -r, --read FILE          read a pcap or pcapng file\n"
		"  -i, --interface IFACE    capture live from IFACE\n"
		"  -f, --filter EXPR        BPF filter, as in tcpdump\n"
		"  -p, --no-promisc         do not put the interface in promiscuous mode\n"
		"  -s, --snaplen N          bytes to capture per packet (default 262144)\n"
		"  -B, --buffer-size MIB    kernel capture buffer (default 64)\n"
		"Output:\n"
		"  -o, --output FILE        write events to FILE (default: standard output)\n"
		"      --json               JSON lines even on a terminal\n"
		"      --text               the readable summary even when not on a terminal\n"
		"      --observer-name NAME observer.name in events (default: the host name)\n"
		"      --stats-interval S   progress on stderr every S seconds (default 60 live,\n"
		"                           0 = off for files)\n"
		"  -q, --quiet              no progress or information messages\n"
		"Flows:\n"
		"      --device-net CIDR    device addresses (repeatable; default 10/8,\n"
		"                           172.16/12, 192.168/16, 100.64/10, fc00::/7)\n"
		"      --max-flows N        flows kept at once; the idlest is evicted past it\n"
		"                           (default 1000000)\n"
		"      --timeout-tcp S      idle timeout of TCP flows (default 300)\n"
		"      --timeout-tcp-closed S  after FIN both ways or RST (default 10)\n"
		"      --timeout-udp S      idle timeout of UDP flows (default 120)\n"
		"      --timeout-other S    ICMP and other protocols (default 60)\n"
		"      --no-dpi             do not run nDPI\n"
		"Devices:\n"
		"      --tac-file FILE      more IMEI TAC -> maker/model entries (repeatable;\n"
		"                           the built-in catalog is policies/tac.csv)\n"
		"      --pseudonymize KEYFILE  replace IMSI, MSISDN and the IMEI serial by a\n"
		"                           keyed HMAC-SHA256 in all output (the TAC stays)\n"
		"Where and why:\n"
		"      --geoip-country FILE country or city database (MaxMind DB: GeoLite2 or\n"
		"                           DB-IP Lite); default the bundled demo database,\n"
		"                           \"\" for none\n"
		"      --geoip-asn FILE     ASN database (GeoLite2-ASN or DB-IP ASN Lite)\n"
		"      --catalog PATH       a module-maker catalog file or directory of your\n"
		"                           own (repeatable; docs/catalog.md)\n"
		"      --no-builtin-catalog do not load the built-in catalog\n"
		"      --check-catalog      check the catalogs, print file:line: errors, exit\n"
		"      --firmware-max-bytes N  bytes of one flow's transfers hashed at most\n"
		"                           (default 67108864)\n"
		"Policy:\n"
		"      --policy FILE        the policy (docs/policy.md); default the built-in\n"
		"                           default.policy, \"\" for none; SIGHUP reloads it\n"
		"      --redis URL          take the policy from Redis (redis://[user:pass@]host\n"
		"                           [:port][/db]) and follow pushed versions live\n"
		"      --policy-cache FILE  the last good Redis policy, used when Redis is down\n"
		"                           at start (default /var/lib/apnwatch/policy.cache)\n"
		"  -t, --check-config       check the catalogs and the policy, print\n"
		"                           \"configuration OK\" or file:line:col: errors, exit\n"
		"  -c, --config FILE        options from FILE: one \"name value\" a line, names\n"
		"                           as the long options; the command line wins\n"
		"  -h, --help               this text\n"
		"  -V, --version            the version\n"
		"\n"
		"Events are ECS JSON (docs/events.md); the last one is an apnwatch.stats event.\n"
		"SIGINT or SIGTERM ends the run cleanly, flows and statistics included.\n");
}

static volatile sig_atomic_t got_signal;
static struct engine *the_engine; /* for SIGHUP */

static void on_hup(int sig)
{
	(void)sig;
	if (the_engine)
		the_engine->reload = 1;
}

static void on_signal(int sig)
{
	got_signal = sig;
	capture_stop();
}

/* What the options say; the command line and the config file fill it. */
struct opts {
	struct capture_opts co;
	struct engine_config ec;
	const char *out_path;
	int json, quiet, device_nets_given, check_catalog, check_config;
	long stats;
};

/* Parses a whole number in [min, max]; where names the option (and the
 * config file's line).  Returns 0, or -1 after saying why. */
static int number(const char *where, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno || v < min || v > max) {
		fprintf(stderr, "%s: '%s' is not a number from %" PRIu64 " to %" PRIu64 "\n", where,
			s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* Applies option c with argument arg; where is "apnwatch: --name" or
 * "file:line: name" for messages.  Returns 0, 1 when the run is over
 * (--help, --version), or -1 after saying what is wrong. */
static int apply(struct opts *o, int c, const char *arg, const char *where)
{
	struct engine_config *ec = &o->ec;
	uint64_t v;
#define NUM(min, max, lval)                                            \
	do {                                                           \
		if (number(where, arg, (min), (max), &v) < 0)          \
			return -1;                                     \
		(lval) = v;                                            \
	} while (0)
	switch (c) {
	case 'r': o->co.file = arg; break;
	case 'i': o->co.iface = arg; break;
	case 'f': o->co.filter = arg; break;
	case 'o': o->out_path = arg; break;
	case 'p': o->co.promisc = 0; break;
	case 's': NUM(64, 262144, o->co.snaplen); break;
	case 'B': NUM(1, 4096, o->co.buffer_mb); break;
	case 'q': o->quiet = 1; break;
	case OPT_JSON: o->json = 1; break;
	case OPT_TEXT: o->json = 0; break;
	case OPT_DEVICE_NET: {
		struct cidr cidr;
		const char *why;
		if (!o->device_nets_given) {
			ec->device_nets.n = 0;
			o->device_nets_given = 1;
		}
		if (cidr_parse(arg, &cidr, &why) < 0) {
			fprintf(stderr, "%s: '%s': %s\n", where, arg, why);
			return -1;
		}
		if (cidr_list_add(&ec->device_nets, &cidr) < 0) {
			fprintf(stderr, "%s: at most %d networks\n", where, CIDR_LIST_MAX);
			return -1;
		}
		break;
	}
	case OPT_MAX_FLOWS: NUM(1, 100000000, ec->max_flows); break;
	case OPT_TIMEOUT_TCP: NUM(1, 86400, ec->timeout_s[TC_TCP]); break;
	case OPT_TIMEOUT_TCP_CLOSED: NUM(0, 86400, ec->timeout_s[TC_TCP_CLOSED]); break;
	case OPT_TIMEOUT_UDP: NUM(1, 86400, ec->timeout_s[TC_UDP]); break;
	case OPT_TIMEOUT_OTHER: NUM(1, 86400, ec->timeout_s[TC_OTHER]); break;
	case OPT_OBSERVER: ec->observer = arg; break;
	case OPT_STATS: NUM(0, 86400, o->stats); break;
	case OPT_NO_DPI: ec->dpi = 0; break;
	case OPT_TAC_FILE:
		if (ec->identity.n_tac_files == IDENTITY_MAX_TAC_FILES) {
			fprintf(stderr, "%s: at most %d files\n", where, IDENTITY_MAX_TAC_FILES);
			return -1;
		}
		ec->identity.tac_files[ec->identity.n_tac_files++] = arg;
		break;
	case OPT_PSEUDONYMIZE: ec->identity.pseudonymize_key = arg; break;
	case OPT_GEOIP_COUNTRY: ec->geo.country_db = arg; break;
	case OPT_GEOIP_ASN: ec->geo.asn_db = arg; break;
	case OPT_CATALOG:
		if (ec->n_catalogs == ENGINE_MAX_CATALOGS) {
			fprintf(stderr, "%s: at most %d catalogs\n", where, ENGINE_MAX_CATALOGS);
			return -1;
		}
		ec->catalogs[ec->n_catalogs++] = arg;
		break;
	case OPT_NO_BUILTIN_CATALOG: ec->builtin_catalog = 0; break;
	case OPT_CHECK_CATALOG: o->check_catalog = 1; break;
	case 't': o->check_config = 1; break;
	case OPT_POLICY: ec->policy_file = arg; break;
	case OPT_REDIS: ec->redis_url = arg; break;
	case OPT_POLICY_CACHE: ec->policy_cache = arg; break;
	case OPT_FIRMWARE_MAX: NUM(0, UINT64_MAX / 2, ec->transfer_max_bytes); break;
	case 'h': usage(stdout); return 1;
	case 'V': printf("apnwatch %s\n", PACKAGE_VERSION); return 1;
	default: usage(stderr); return -1;
	}
#undef NUM
	return 0;
}

/*
 * The config file: one option a line, "name value" (or "name" alone for
 * a switch), names as the long options without "--"; "#" starts a
 * comment; a value may be quoted with double quotes ("" is empty).  Any
 * error is "file:line: what" and ends the start before anything runs.
 * Returns 0 or -1.  The strings stay allocated for the run.
 */
static int read_config(struct opts *o, const char *path)
{
	FILE *fp = fopen(path, "r");
	if (fp == NULL) {
		fprintf(stderr, "apnwatch: %s: %s\n", path, strerror(errno));
		return -1;
	}
	char *line = NULL, where[512];
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = 0;
	while (rc == 0 && getline(&line, &cap, fp) >= 0) {
		lineno++;
		char *p = line, *name, *val = NULL;
		char *hash = strchr(p, '#');
		if (hash && (strchr(p, '"') == NULL || hash < strchr(p, '"')))
			*hash = '\0';
		p += strspn(p, " \t\r\n");
		if (*p == '\0')
			continue;
		name = p;
		p += strcspn(p, " \t\r\n");
		if (*p) {
			*p++ = '\0';
			p += strspn(p, " \t");
			if (*p == '"') {
				char *q = strchr(p + 1, '"');
				if (q == NULL) {
					fprintf(stderr, "%s:%u: unterminated quote\n", path, lineno);
					rc = -1;
					break;
				}
				*q = '\0';
				val = p + 1;
				p = q + 1;
			} else if (*p && *p != '\r' && *p != '\n') {
				val = p;
				p += strcspn(p, " \t\r\n");
				if (*p)
					*p++ = '\0';
			}
			p += strspn(p, " \t\r\n");
			if (*p) {
				fprintf(stderr, "%s:%u: '%s' takes one value\n", path, lineno, name);
				rc = -1;
				break;
			}
		}
		snprintf(where, sizeof(where), "%s:%u: %s", path, lineno, name);
		const struct option *opt = NULL;
		for (const struct option *lo = long_opts; lo->name; lo++)
			if (strcmp(lo->name, name) == 0)
				opt = lo;
		if (opt == NULL || opt->val == 'c' || opt->val == 'h' || opt->val == 'V') {
			fprintf(stderr, "%s:%u: unknown option '%s' (see apnwatch --help)\n", path,
				lineno, name);
			rc = -1;
		} else if ((opt->has_arg == required_argument) != (val != NULL)) {
			fprintf(stderr, "%s:%u: '%s' %s\n", path, lineno, name,
				val ? "takes no value" : "needs a value");
			rc = -1;
		} else {
			char *copy = val ? strdup(val) : NULL;
			if (val && copy == NULL)
				fatal("out of memory");
			rc = apply(o, opt->val, copy, where) == 0 ? 0 : -1;
		}
	}
	free(line);
	fclose(fp);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = {.co = {NULL, NULL, NULL, 1, 262144, 64}, .json = -1, .stats = -1};
	char host[256] = "apnwatch", where[64];
	int c;

	engine_config_defaults(&o.ec);
	if (gethostname(host, sizeof(host) - 1) < 0)
		strcpy(host, "apnwatch");
	o.ec.observer = host;

	/* The config file first, so that the command line wins. */
	for (int i = 1; i < argc; i++) {
		const char *cfg = NULL;
		if (strcmp(argv[i], "--") == 0)
			break;
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc)
			cfg = argv[++i];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			cfg = argv[i] + 9;
		if (cfg && read_config(&o, cfg) < 0)
			return 2;
	}
	while ((c = getopt_long(argc, argv, "r:i:f:o:ps:B:qhVc:t", long_opts, NULL)) != -1) {
		if (c == 'c')
			continue; /* read above */
		const char *name = "?";
		for (const struct option *lo = long_opts; lo->name; lo++)
			if (lo->val == c)
				name = lo->name;
		snprintf(where, sizeof(where), "apnwatch: --%s", name);
		int rc = apply(&o, c, optarg, where);
		if (rc)
			return rc > 0 ? 0 : 2;
	}
	struct capture_opts co = o.co;
	struct engine_config ec = o.ec;
	const char *out_path = o.out_path;
	int json = o.json, quiet = o.quiet;
	long stats = o.stats;
	if (o.check_catalog)
		return engine_check_catalogs(&ec) == 0 ? 0 : 1;
	if (o.check_config)
		return engine_check_config(&ec) == 0 ? 0 : 1;
	if (optind < argc) {
		fprintf(stderr, "apnwatch: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if ((co.file == NULL) == (co.iface == NULL)) {
		fprintf(stderr, "apnwatch: give one of -r FILE or -i IFACE (see --help)\n");
		return 2;
	}
	log_set_quiet(quiet);

	/* Everything that can be wrong with the configuration (catalogs, key
	 * files, the capture source, the filter) is checked before the output
	 * file is opened, so a bad start changes nothing. */
	int to_stdout = out_path == NULL || strcmp(out_path, "-") == 0;
	/* A person at a terminal gets the summary; pipes and files get JSON. */
	ec.json = json >= 0 ? json : to_stdout ? !isatty(fileno(stdout)) : 1;
	ec.stats_interval_s = stats >= 0 ? (unsigned)stats : co.iface ? 60 : 0;

	struct engine *e = calloc(1, sizeof(*e));
	if (e == NULL)
		fatal("out of memory");
	if (engine_init(e, &ec, stdout) < 0)
		return 1;
	struct capture *cap = capture_open(&co, &e->cnt);
	if (cap == NULL) {
		engine_free(e);
		return 1;
	}
	FILE *out = stdout;
	if (!to_stdout && (out = fopen(out_path, "w")) == NULL) {
		log_err("%s: %s", out_path, strerror(errno));
		capture_close(cap);
		engine_free(e);
		return 1;
	}
	e->out.fp = out;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	the_engine = e;
	sa.sa_handler = on_hup;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (co.iface)
		log_info("capturing on %s", co.iface);
	struct capture_ops ops = {engine_packet, engine_tick, e};
	int rc = capture_run(cap, &ops);
	if (got_signal)
		log_info("stopping on signal %d", (int)got_signal);
	capture_update_stats(cap);
	engine_finish(e);
	int write_failed = ferror(out) || e->cnt.v[CNT_OUTPUT_ERRORS] > 0;
	capture_close(cap);
	engine_free(e);
	free(e);
	if (out != stdout && fclose(out) != 0)
		write_failed = 1;
	if (write_failed) {
		log_err("writing events failed");
		return 1;
	}
	return rc < 0 ? 1 : 0;
}
