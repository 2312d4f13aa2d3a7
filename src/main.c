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
		"  -h, --help               this text\n"
		"  -V, --version            the version\n"
		"\n"
		"Events are ECS JSON (docs/events.md); the last one is an apnwatch.stats event.\n"
		"SIGINT or SIGTERM ends the run cleanly, flows and statistics included.\n");
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
	capture_stop();
}

/* Parses a whole number in [min, max] for option name; exits on error. */
static uint64_t number(const char *name, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno || v < min || v > max) {
		fprintf(stderr, "apnwatch: --%s: '%s' is not a number from %" PRIu64 " to %" PRIu64 "\n",
			name, s, min, max);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct capture_opts co = {NULL, NULL, NULL, 1, 262144, 64};
	struct engine_config ec;
	const char *out_path = NULL;
	int json = -1, quiet = 0, device_nets_given = 0;
	long stats = -1;
	char host[256] = "apnwatch";
	int c;

	engine_config_defaults(&ec);
	if (gethostname(host, sizeof(host) - 1) < 0)
		strcpy(host, "apnwatch");
	ec.observer = host;

	while ((c = getopt_long(argc, argv, "r:i:f:o:ps:B:qhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'r': co.file = optarg; break;
		case 'i': co.iface = optarg; break;
		case 'f': co.filter = optarg; break;
		case 'o': out_path = optarg; break;
		case 'p': co.promisc = 0; break;
		case 's': co.snaplen = (int)number("snaplen", optarg, 64, 262144); break;
		case 'B': co.buffer_mb = (int)number("buffer-size", optarg, 1, 4096); break;
		case 'q': quiet = 1; break;
		case OPT_JSON: json = 1; break;
		case OPT_TEXT: json = 0; break;
		case OPT_DEVICE_NET: {
			struct cidr cidr;
			const char *why;
			if (!device_nets_given) {
				ec.device_nets.n = 0;
				device_nets_given = 1;
			}
			if (cidr_parse(optarg, &cidr, &why) < 0) {
				fprintf(stderr, "apnwatch: --device-net '%s': %s\n", optarg, why);
				return 2;
			}
			if (cidr_list_add(&ec.device_nets, &cidr) < 0) {
				fprintf(stderr, "apnwatch: --device-net: at most %d networks\n", CIDR_LIST_MAX);
				return 2;
			}
			break;
		}
		case OPT_MAX_FLOWS: ec.max_flows = number("max-flows", optarg, 1, 100000000); break;
		case OPT_TIMEOUT_TCP: ec.timeout_s[TC_TCP] = number("timeout-tcp", optarg, 1, 86400); break;
		case OPT_TIMEOUT_TCP_CLOSED:
			ec.timeout_s[TC_TCP_CLOSED] = number("timeout-tcp-closed", optarg, 0, 86400);
			break;
		case OPT_TIMEOUT_UDP: ec.timeout_s[TC_UDP] = number("timeout-udp", optarg, 1, 86400); break;
		case OPT_TIMEOUT_OTHER:
			ec.timeout_s[TC_OTHER] = number("timeout-other", optarg, 1, 86400);
			break;
		case OPT_OBSERVER: ec.observer = optarg; break;
		case OPT_STATS: stats = (long)number("stats-interval", optarg, 0, 86400); break;
		case OPT_NO_DPI: ec.dpi = 0; break;
		case OPT_TAC_FILE:
			if (ec.identity.n_tac_files == IDENTITY_MAX_TAC_FILES) {
				fprintf(stderr, "apnwatch: --tac-file: at most %d files\n",
					IDENTITY_MAX_TAC_FILES);
				return 2;
			}
			ec.identity.tac_files[ec.identity.n_tac_files++] = optarg;
			break;
		case OPT_PSEUDONYMIZE: ec.identity.pseudonymize_key = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("apnwatch %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
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
