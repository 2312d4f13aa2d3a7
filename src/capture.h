/*
 * capture.h - where packets come from: a capture file (pcap or pcapng,
 * read by our own reader so that pcapng files whose interfaces have
 * different link types work) or a live interface (libpcap).
 */
#ifndef APN_CAPTURE_H
#define APN_CAPTURE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"

struct capture_pkt {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	uint64_t ts_us;
	int linktype; /* LINKTYPE_* (file) or DLT_* (live) of the packet's interface */
};

/* ---- capture-file.c: pcap and pcapng files ---- */
struct pcapfile;

/* Opens and checks the file header.  Returns NULL with a message in err. */
struct pcapfile *pcapfile_open(const char *path, char *err, size_t errlen);
/* Returns 1 with a packet, 0 at the end of the file, -1 on a corrupt or
 * cut file (pcapfile_error() says what; the packets before it are good). */
int pcapfile_next(struct pcapfile *f, struct capture_pkt *out);
const char *pcapfile_error(const struct pcapfile *f);
void pcapfile_close(struct pcapfile *f);

/* ---- capture-pcap.c: the capture loop, file or live ---- */
struct capture_opts {
	const char *file;   /* -r */
	const char *iface;  /* -i */
	const char *filter; /* -f, BPF */
	int promisc;
	int snaplen;
	int buffer_mb;
};

struct capture_ops {
	/* One packet.  Never fails: packet problems are counters. */
	void (*packet)(void *arg, const struct capture_pkt *p);
	/* Called about every half second of wall time while live, so flows
	 * time out when traffic stops; now_us is wall time. */
	void (*tick)(void *arg, uint64_t now_us);
	void *arg;
};

struct capture;

/* Opens the source and compiles the filter.  Returns NULL after logging
 * the reason.  Privileges may be dropped after this. */
struct capture *capture_open(const struct capture_opts *o, struct counters *c);
/* Runs until the source ends or capture_stop().  Returns 0, or -1 when the
 * source failed (logged). */
int capture_run(struct capture *cap, const struct capture_ops *ops);
/* Safe to call from a signal handler. */
void capture_stop(void);
/* Refreshes kernel drop counters (live). */
void capture_update_stats(struct capture *cap);
int capture_is_live(const struct capture *cap);
void capture_close(struct capture *cap);

#endif /* APN_CAPTURE_H */
