/*
 * dpi.h - application protocol naming with nDPI 4.2.
 *
 * nDPI's per-flow state is large (sizeof(struct ndpi_flow_struct)), so a
 * flow gets one only when it first carries payload, and loses it as soon as
 * nDPI names the protocol or we give up (after a bounded number of payload
 * packets, or when the flow ends); what nDPI said is kept in three small
 * fields of the flow.
 */
#ifndef APN_DPI_H
#define APN_DPI_H

#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "flow.h"
#include "packet.h"

struct dpi;

/* Returns NULL after logging when nDPI cannot be set up. */
struct dpi *dpi_new(struct counters *c);
void dpi_free(struct dpi *d);

/* Feeds a packet of f to nDPI while detection runs. */
void dpi_packet(struct dpi *d, struct flow *f, const struct packet *p);
/* Ends detection (guessing by port when nothing was found) and frees
 * nDPI's state; called when the flow ends. */
void dpi_flow_end(struct dpi *d, struct flow *f);

/* The names below take d == NULL (nDPI off) and then name nothing.
 * nDPI's name for the flow's protocol, e.g. "TLS.Google", "DNS", "Unknown". */
const char *dpi_protocol_name(struct dpi *d, const struct flow *f, char *buf, size_t len);
/* The application protocol in lower case for network.protocol ("tls"). */
const char *dpi_network_protocol(struct dpi *d, const struct flow *f, char *buf, size_t len);
const char *dpi_category_name(struct dpi *d, const struct flow *f);

#endif /* APN_DPI_H */
