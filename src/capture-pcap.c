/*
 * capture-pcap.c - the capture loop: a live interface through libpcap, or
 * a file through our own reader (capture-file.c).
 *
 * A BPF filter applies to both.  For files it is compiled per link type
 * with pcap_open_dead(), because a pcapng file may mix link types.  Kernel
 * and interface drops of a live capture are kept in counters.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture.h"
#include "util-log.h"

#define FILTER_CACHE 8

struct file_filter {
	int linktype;
	int ok; /* 0: the filter does not compile for this link type */
	struct bpf_program prog;
};

struct capture {
	const struct capture_opts *o;
	struct counters *cnt;
	pcap_t *live;
	struct pcapfile *file;
	struct file_filter filters[FILTER_CACHE];
	int n_filters;
	const struct capture_ops *ops; /* while running live */
};

/* The handle a signal handler may break; one capture runs per process. */
static pcap_t *volatile running_live;
static volatile sig_atomic_t stop_requested;

void capture_stop(void)
{
	stop_requested = 1;
	if (running_live)
		pcap_breakloop(running_live);
}

static uint64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static struct capture *open_live(struct capture *cap)
{
	const struct capture_opts *o = cap->o;
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create(o->iface, errbuf);
	if (p == NULL) {
		log_err("%s: %s", o->iface, errbuf);
		return NULL;
	}
	pcap_set_snaplen(p, o->snaplen);
	pcap_set_promisc(p, o->promisc);
	pcap_set_buffer_size(p, o->buffer_mb * 1024 * 1024);
	pcap_set_timeout(p, 500); /* so ticks and signals are seen when idle */
	int rc = pcap_activate(p);
	if (rc < 0) {
		log_err("%s: %s", o->iface, pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	if (rc > 0)
		log_warn("%s: %s", o->iface, pcap_geterr(p));
	if (o->filter) {
		struct bpf_program prog;
		if (pcap_compile(p, &prog, o->filter, 1, PCAP_NETMASK_UNKNOWN) < 0 ||
		    pcap_setfilter(p, &prog) < 0) {
			log_err("filter '%s': %s", o->filter, pcap_geterr(p));
			pcap_close(p);
			return NULL;
		}
		pcap_freecode(&prog);
	}
	/* Non-blocking, and our own poll() with a timeout: with TPACKET_V3
	 * libpcap leaves timeouts to the kernel, which does not wake an idle
	 * reader, and ticks (idle timeouts, policy reloads) must come when
	 * no packet does. */
	char err[PCAP_ERRBUF_SIZE];
	if (pcap_setnonblock(p, 1, err) < 0 || pcap_get_selectable_fd(p) < 0) {
		log_err("%s: cannot read without blocking: %s", o->iface, err);
		pcap_close(p);
		return NULL;
	}
	cap->live = p;
	return cap;
}

struct capture *capture_open(const struct capture_opts *o, struct counters *c)
{
	struct capture *cap = calloc(1, sizeof(*cap));
	if (cap == NULL)
		return NULL;
	cap->o = o;
	cap->cnt = c;
	if (o->iface) {
		if (open_live(cap) == NULL)
			goto err;
		return cap;
	}
	char err[256];
	cap->file = pcapfile_open(o->file, err, sizeof(err));
	if (cap->file == NULL) {
		log_err("%s", err);
		goto err;
	}
	if (o->filter) {
		/* Check the filter now, for the most common link type, so a
		 * typo fails at start rather than silently matching nothing. */
		pcap_t *dead = pcap_open_dead(DLT_EN10MB, o->snaplen);
		struct bpf_program prog;
		if (dead == NULL || pcap_compile(dead, &prog, o->filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			log_err("filter '%s': %s", o->filter, dead ? pcap_geterr(dead) : "no memory");
			if (dead)
				pcap_close(dead);
			goto err;
		}
		pcap_freecode(&prog);
		pcap_close(dead);
	}
	return cap;
err:
	capture_close(cap);
	return NULL;
}

/* The compiled filter for a file's link type; NULL when it does not apply. */
static const struct bpf_program *file_filter(struct capture *cap, int linktype)
{
	for (int i = 0; i < cap->n_filters; i++)
		if (cap->filters[i].linktype == linktype)
			return cap->filters[i].ok ? &cap->filters[i].prog : NULL;
	if (cap->n_filters == FILTER_CACHE)
		return NULL;
	struct file_filter *ff = &cap->filters[cap->n_filters++];
	ff->linktype = linktype;
	ff->ok = 0;
	/* File link types are LINKTYPE_* values; they equal the DLT_*
	 * values but for raw IP. */
	pcap_t *dead = pcap_open_dead(linktype == 101 ? DLT_RAW : linktype, cap->o->snaplen);
	if (dead == NULL)
		return NULL;
	if (pcap_compile(dead, &ff->prog, cap->o->filter, 1, PCAP_NETMASK_UNKNOWN) == 0)
		ff->ok = 1;
	else
		log_warn("filter '%s' does not apply to link type %d: %s; those packets pass",
			 cap->o->filter, linktype, pcap_geterr(dead));
	pcap_close(dead);
	return ff->ok ? &ff->prog : NULL;
}

static int run_file(struct capture *cap, const struct capture_ops *ops)
{
	struct capture_pkt p;
	int r;
	while (!stop_requested && (r = pcapfile_next(cap->file, &p)) == 1) {
		if (cap->o->filter) {
			const struct bpf_program *prog = file_filter(cap, p.linktype);
			struct pcap_pkthdr h = {{0, 0}, p.caplen, p.wirelen};
			if (prog && !pcap_offline_filter(prog, &h, p.data)) {
				cnt_inc(cap->cnt, CNT_CAPTURE_FILTERED);
				continue;
			}
		}
		ops->packet(ops->arg, &p);
	}
	if (!stop_requested && r < 0) {
		/* A cut or corrupt tail: the packets before it were processed.
		 * Say so, count it, and end normally. */
		log_warn("%s: %s; stopped reading there", cap->o->file, pcapfile_error(cap->file));
		cnt_inc(cap->cnt, CNT_CAPTURE_FILE_ERRORS);
	}
	return 0;
}

static void live_handler(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture *cap = (struct capture *)user;
	struct capture_pkt p = {bytes, h->caplen, h->len,
				(uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec,
				pcap_datalink(cap->live)};
	cap->ops->packet(cap->ops->arg, &p);
}

static int run_live(struct capture *cap, const struct capture_ops *ops)
{
	uint64_t last_tick = wall_us();
	cap->ops = ops;
	running_live = cap->live;
	struct pollfd pfd = {pcap_get_selectable_fd(cap->live), POLLIN, 0};
	while (!stop_requested) {
		/* At most 500 ms asleep; a signal ends the wait too (EINTR). */
		if (poll(&pfd, 1, 500) < 0 && errno != EINTR) {
			log_err("%s: poll: %s", cap->o->iface, strerror(errno));
			running_live = NULL;
			return -1;
		}
		int n = pcap_dispatch(cap->live, 256, live_handler, (u_char *)cap);
		if (n == PCAP_ERROR) {
			log_err("%s: %s", cap->o->iface, pcap_geterr(cap->live));
			running_live = NULL;
			return -1;
		}
		uint64_t now = wall_us();
		if (now - last_tick >= 500000 && ops->tick) {
			last_tick = now;
			capture_update_stats(cap);
			ops->tick(ops->arg, now);
		}
	}
	running_live = NULL;
	capture_update_stats(cap);
	return 0;
}

int capture_run(struct capture *cap, const struct capture_ops *ops)
{
	return cap->live ? run_live(cap, ops) : run_file(cap, ops);
}

void capture_update_stats(struct capture *cap)
{
	struct pcap_stat st;
	if (cap->live && pcap_stats(cap->live, &st) == 0) {
		cap->cnt->v[CNT_CAPTURE_KERNEL_DROPS] = st.ps_drop;
		cap->cnt->v[CNT_CAPTURE_IF_DROPS] = st.ps_ifdrop;
	}
}

int capture_is_live(const struct capture *cap) { return cap->live != NULL; }

void capture_close(struct capture *cap)
{
	if (cap == NULL)
		return;
	for (int i = 0; i < cap->n_filters; i++)
		if (cap->filters[i].ok)
			pcap_freecode(&cap->filters[i].prog);
	if (cap->live)
		pcap_close(cap->live);
	pcapfile_close(cap->file);
	free(cap);
}
