/*
 * dns.h - the per-device, TTL-aware name cache the DNS dissector fills:
 * which names a device's own DNS answers gave for an address, so a later
 * flow from that device to that address can be named (destination.domain)
 * even when its protocol names nothing (raw MQTT, CoAP by address, ...).
 */
#ifndef APN_DNS_H
#define APN_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "packet.h"

struct dns_cache;

/* At most max_entries (device, address) pairs; the oldest goes first when
 * full (dns_cache.evicted).  Returns NULL when out of memory. */
struct dns_cache *dns_cache_new(size_t max_entries, struct counters *c);
void dns_cache_free(struct dns_cache *dc);
/* device was told that name has address addr for ttl seconds at now_us. */
void dns_cache_add(struct dns_cache *dc, const struct ip_addr *device, const struct ip_addr *addr,
		   const char *name, uint32_t ttl, uint64_t now_us);
/* The name device last learnt for server, if still valid at now_us; the
 * pointer is valid until the next call on dc. */
const char *dns_cache_lookup(struct dns_cache *dc, const struct ip_addr *device,
			     const struct ip_addr *server, uint64_t now_us);

#endif /* APN_DNS_H */
