/*
 * policy-redis-driver.c - drives the sensor's side of the Redis policy
 * store (src/policy-redis.c) the way the packet path does: start, then
 * poll policy_redis_take() between "packets", and say on stdout what it
 * got, one line each, so shell tests can wait for a line:
 *
 *   initial NAME DIGEST     (or "initial none")
 *   take NAME DIGEST        each policy handed over
 *   stop TAKES              at the end
 *
 * Usage: policy-redis-driver --redis URL [--cache PATH] [--prefix P]
 *                            [--takes N] [--seconds S]
 * It stops after N takes (default: never), S seconds (default 30), or
 * SIGTERM / SIGINT.  Exit: 0, 2 usage, 3 policy_redis_start failed.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "policy-redis.h"

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void show(const char *what, struct policy *p)
{
	if (p)
		printf("%s %s %s\n", what, policy_name(p), policy_digest(p));
	else
		printf("%s none\n", what);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"redis", required_argument, NULL, 'r'}, {"cache", required_argument, NULL, 'c'},
		{"prefix", required_argument, NULL, 'p'}, {"takes", required_argument, NULL, 'n'},
		{"seconds", required_argument, NULL, 's'}, {NULL, 0, NULL, 0},
	};
	struct policy_redis_config cf = {NULL, NULL, NULL};
	long takes_max = -1, seconds = 30, takes = 0;
	struct policy *cur, *p;
	struct policy_redis *r;
	struct sigaction sa = {.sa_handler = on_signal};
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'r': cf.url = optarg; break;
		case 'c': cf.cache_path = optarg; break;
		case 'p': cf.prefix = optarg; break;
		case 'n': takes_max = atol(optarg); break;
		case 's': seconds = atol(optarg); break;
		default: return 2;
		}
	}
	if (!cf.url || optind != argc) {
		fprintf(stderr, "usage: policy-redis-driver --redis URL [--cache PATH] "
				"[--prefix P] [--takes N] [--seconds S]\n");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (!(r = policy_redis_start(&cf, &cur)))
		return 3;
	show("initial", cur);
	time_t end = time(NULL) + seconds;
	while (!stopping && time(NULL) < end && (takes_max < 0 || takes < takes_max)) {
		if ((p = policy_redis_take(r))) {
			/* the swap the packet path makes between two packets */
			if (cur)
				policy_free(cur);
			cur = p;
			takes++;
			show("take", cur);
		}
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	policy_redis_stop(r);
	if (cur)
		policy_free(cur);
	printf("stop %ld\n", takes);
	return 0;
}
