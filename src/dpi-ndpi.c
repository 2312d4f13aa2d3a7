/*
 * dpi-ndpi.c - nDPI 4.2 behind dpi.h.
 *
 * nDPI is handed the innermost IP packet (after GTP-U, after reassembly),
 * as its API expects: a pointer to the IP header and its captured length.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

#include "dpi.h"
#include "util-log.h"

/* Payload packets after which a flow still unnamed is given up on:
 * protocols nDPI knows announce themselves within the first few. */
#define DPI_MAX_PACKETS_TCP 24
#define DPI_MAX_PACKETS_UDP 16

struct dpi {
	struct ndpi_detection_module_struct *ndpi;
	struct counters *cnt;
	uint64_t live_states;
};

struct dpi *dpi_new(struct counters *c)
{
	struct dpi *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->cnt = c;
	d->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
	if (d->ndpi == NULL) {
		log_err("nDPI could not be initialised");
		free(d);
		return NULL;
	}
	NDPI_PROTOCOL_BITMASK all;
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(d->ndpi, &all);
	ndpi_finalize_initialization(d->ndpi);
	return d;
}

void dpi_free(struct dpi *d)
{
	if (d == NULL)
		return;
	ndpi_exit_detection_module(d->ndpi);
	free(d);
}

static void release(struct dpi *d, struct flow *f)
{
	if (f->ndpi) {
		ndpi_free_flow(f->ndpi);
		f->ndpi = NULL;
		d->live_states--;
		cnt_inc(d->cnt, CNT_DPI_STATES_FREED);
	}
	f->dpi_state = DPI_DONE;
}

static void keep(struct flow *f, ndpi_protocol proto)
{
	f->app_proto = proto.app_protocol;
	f->master_proto = proto.master_protocol;
	f->category = (uint16_t)proto.category;
}

static void give_up(struct dpi *d, struct flow *f)
{
	uint8_t guessed = 0;
	if (f->ndpi) {
		ndpi_protocol proto = ndpi_detection_giveup(d->ndpi, f->ndpi, 1, &guessed);
		keep(f, proto);
		cnt_inc(d->cnt, proto.app_protocol || proto.master_protocol ? CNT_DPI_DETECTED
									      : CNT_DPI_GAVE_UP);
	}
	release(d, f);
}

void dpi_packet(struct dpi *d, struct flow *f, const struct packet *p)
{
	if (f->dpi_state == DPI_DONE || p->payload_len == 0 || p->l3 == NULL)
		return;
	if (f->ndpi == NULL) {
		f->ndpi = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
		if (f->ndpi == NULL) {
			f->dpi_state = DPI_DONE;
			return;
		}
		memset(f->ndpi, 0, SIZEOF_FLOW_STRUCT);
		f->dpi_state = DPI_RUNNING;
		d->live_states++;
		cnt_inc(d->cnt, CNT_DPI_STATES_ALLOCATED);
		cnt_max(d->cnt, CNT_DPI_STATES_MAX, d->live_states);
	}
	uint32_t len = p->l3_len > 0xffff ? 0xffff : p->l3_len;
	ndpi_protocol proto = ndpi_detection_process_packet(d->ndpi, f->ndpi, p->l3,
							    (unsigned short)len, p->ts_us / 1000);
	cnt_inc(d->cnt, CNT_DPI_PACKETS);
	f->dpi_packets++;
	if (proto.app_protocol != NDPI_PROTOCOL_UNKNOWN) {
		keep(f, proto);
		cnt_inc(d->cnt, CNT_DPI_DETECTED);
		release(d, f);
		return;
	}
	unsigned max = f->key.proto == 6 ? DPI_MAX_PACKETS_TCP : DPI_MAX_PACKETS_UDP;
	if (f->dpi_packets >= max)
		give_up(d, f);
}

void dpi_flow_end(struct dpi *d, struct flow *f)
{
	if (f->dpi_state == DPI_RUNNING)
		give_up(d, f);
}

static ndpi_protocol proto_of(const struct flow *f)
{
	ndpi_protocol p;
	memset(&p, 0, sizeof(p));
	p.app_protocol = f->app_proto;
	p.master_protocol = f->master_proto;
	p.category = (ndpi_protocol_category_t)f->category;
	return p;
}

const char *dpi_protocol_name(struct dpi *d, const struct flow *f, char *buf, size_t len)
{
	if (d == NULL) /* --no-dpi */
		return "Unknown";
	return ndpi_protocol2name(d->ndpi, proto_of(f), buf, (u_int)len);
}

const char *dpi_network_protocol(struct dpi *d, const struct flow *f, char *buf, size_t len)
{
	/* "TLS.Google": the master (TLS) is the network protocol; with no
	 * master, the application protocol itself ("DNS"). */
	uint16_t id = f->master_proto ? f->master_proto : f->app_proto;
	const char *name = d ? ndpi_get_proto_name(d->ndpi, id) : NULL;
	size_t i;
	if (name == NULL)
		name = "unknown";
	for (i = 0; name[i] && i + 1 < len; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	buf[i] = '\0';
	return buf;
}

const char *dpi_category_name(struct dpi *d, const struct flow *f)
{
	if (d == NULL)
		return "Unspecified";
	const char *c = ndpi_category_get_name(d->ndpi, (ndpi_protocol_category_t)f->category);
	return c ? c : "Unspecified";
}
