/*
 * util-cidr.h - address prefixes: parsing "10.0.0.0/8" or "fd00::/8",
 * formatting addresses, and a small list to test membership in.
 */
#ifndef APN_UTIL_CIDR_H
#define APN_UTIL_CIDR_H

#include <stddef.h>

#include "packet.h"

struct cidr {
	struct ip_addr net; /* host bits cleared */
	unsigned bits;
};

#define CIDR_LIST_MAX 64

struct cidr_list {
	struct cidr v[CIDR_LIST_MAX];
	size_t n;
};

/* Parses "addr/bits" or a bare address.  Returns 0, or -1 with a reason in
 * *why (a static string). */
int cidr_parse(const char *s, struct cidr *out, const char **why);
/* Returns 0, or -1 when the list is full. */
int cidr_list_add(struct cidr_list *l, const struct cidr *c);
int cidr_list_contains(const struct cidr_list *l, const struct ip_addr *a);
/* The default device networks: RFC 1918, CGNAT 100.64/10, IPv6 ULA fc00::/7. */
void cidr_list_default_devices(struct cidr_list *l);

/* Parses a bare IPv4 or IPv6 address.  Returns 0, or -1 (*out zeroed). */
int ip_addr_parse(const char *s, struct ip_addr *out);

#define IP_ADDR_STRLEN 46
/* Writes the textual form (inet_ntop); "" for family 0. */
const char *ip_addr_str(const struct ip_addr *a, char *buf, size_t len);

#endif /* APN_UTIL_CIDR_H */
