/*
 * util-communityid.h - Community ID v1 flow hashes
 * (https://github.com/corelight/community-id-spec), so analysts can join
 * our events with Zeek's and Suricata's.
 */
#ifndef APN_UTIL_COMMUNITYID_H
#define APN_UTIL_COMMUNITYID_H

#include <stddef.h>
#include <stdint.h>

#include "packet.h"

#define COMMUNITY_ID_LEN 31 /* "1:" + 28 base64 characters + NUL */

/*
 * Writes "1:<base64 sha1>" into out (at least COMMUNITY_ID_LEN bytes) for
 * the flow src:sport -> dst:dport with IP protocol proto and the given seed
 * (0 by default).  For ICMP and ICMPv6, sport/dport are the message type and
 * code; the function applies the spec's type/code to port mapping and its
 * one-way rules itself.  For protocols without ports (not TCP, UDP, SCTP,
 * ICMP, ICMPv6) the ports are ignored.  Returns 0, or -1 when src and dst
 * are of different families or out is NULL.
 */
int community_id_v1(const struct ip_addr *src, const struct ip_addr *dst, uint8_t proto,
		    uint16_t sport, uint16_t dport, uint16_t seed, char *out);

#endif /* APN_UTIL_COMMUNITYID_H */
