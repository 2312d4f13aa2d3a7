/*
 * util-cidr.c - address prefixes (see util-cidr.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util-cidr.h"

static void mask_host_bits(struct ip_addr *a, unsigned bits)
{
	unsigned total = a->family == 4 ? 32 : 128;
	for (unsigned i = bits; i < total; i++)
		a->a[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
}

int ip_addr_parse(const char *s, struct ip_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->a) == 1)
		out->family = 4;
	else if (inet_pton(AF_INET6, s, out->a) == 1)
		out->family = 6;
	else
		return -1;
	return 0;
}

int cidr_parse(const char *s, struct cidr *out, const char **why)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	memset(out, 0, sizeof(*out));
	if (alen == 0 || alen >= sizeof(buf)) {
		*why = "not an address";
		return -1;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (ip_addr_parse(buf, &out->net) < 0) {
		*why = "not an IPv4 or IPv6 address";
		return -1;
	}
	unsigned max = out->net.family == 4 ? 32 : 128;
	out->bits = max;
	if (slash) {
		char *end;
		errno = 0;
		long b = strtol(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || errno || b < 0 || (unsigned long)b > max) {
			*why = out->net.family == 4 ? "prefix length must be 0 to 32"
						    : "prefix length must be 0 to 128";
			return -1;
		}
		out->bits = (unsigned)b;
	}
	mask_host_bits(&out->net, out->bits);
	return 0;
}

int cidr_list_add(struct cidr_list *l, const struct cidr *c)
{
	if (l->n >= CIDR_LIST_MAX)
		return -1;
	l->v[l->n++] = *c;
	return 0;
}

static int cidr_contains(const struct cidr *c, const struct ip_addr *a)
{
	if (c->net.family != a->family)
		return 0;
	unsigned full = c->bits / 8, rest = c->bits % 8;
	if (memcmp(c->net.a, a->a, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	uint8_t m = (uint8_t)(0xff00u >> rest);
	return (a->a[full] & m) == c->net.a[full];
}

int cidr_list_contains(const struct cidr_list *l, const struct ip_addr *a)
{
	for (size_t i = 0; i < l->n; i++)
		if (cidr_contains(&l->v[i], a))
			return 1;
	return 0;
}

void cidr_list_default_devices(struct cidr_list *l)
{
	static const char *const nets[] = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
					   "100.64.0.0/10", "fc00::/7"};
	struct cidr c;
	const char *why;
	l->n = 0;
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
		if (cidr_parse(nets[i], &c, &why) == 0)
			cidr_list_add(l, &c);
}

const char *ip_addr_str(const struct ip_addr *a, char *buf, size_t len)
{
	buf[0] = '\0';
	if (a->family == 4 && len >= 16) {
		/* By hand: glibc's inet_ntop goes through sprintf, and every
		 * event prints several addresses. */
		size_t n = 0;
		for (int i = 0; i < 4; i++) {
			unsigned v = a->a[i];
			if (v >= 100)
				buf[n++] = (char)('0' + v / 100);
			if (v >= 10)
				buf[n++] = (char)('0' + v / 10 % 10);
			buf[n++] = (char)('0' + v % 10);
			buf[n++] = i < 3 ? '.' : '\0';
		}
	} else if (a->family == 4)
		inet_ntop(AF_INET, a->a, buf, (socklen_t)len);
	else if (a->family == 6)
		inet_ntop(AF_INET6, a->a, buf, (socklen_t)len);
	return buf;
}
