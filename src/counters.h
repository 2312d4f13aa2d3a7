/*
 * counters.h - named counters, one table.
 *
 * Anomalies are counters with stable dotted names (Suricata's habit), not
 * log lines: "decoder.ipv4.truncated" rises when a capture cut an IPv4
 * packet short, "decoder.ipv4.invalid" when the packet contradicted itself.
 * The final apnwatch.stats event prints every counter.  Each engine owns one
 * struct counters; nothing here is global or locked.
 */
#ifndef APN_COUNTERS_H
#define APN_COUNTERS_H

#include <stdint.h>

/* Every dissector's own counters: flows it took, messages it parsed,
 * messages cut short (end of capture, a stream gap), invalid messages,
 * and messages over its buffer cap. */
#define APN_DISSECTOR_COUNTERS(X, N, n)                               \
	X(DIS_##N##_FLOWS, "dissector." n ".flows")                  \
	X(DIS_##N##_MESSAGES, "dissector." n ".messages")            \
	X(DIS_##N##_TRUNC, "dissector." n ".truncated")              \
	X(DIS_##N##_INVALID, "dissector." n ".invalid")              \
	X(DIS_##N##_OVERSIZE, "dissector." n ".oversize")

/* X(enum name, "dotted.name") */
#define APN_COUNTERS(X)                                              \
	X(CAPTURE_PACKETS, "capture.packets")                        \
	X(CAPTURE_BYTES, "capture.bytes")                            \
	X(CAPTURE_KERNEL_DROPS, "capture.kernel_drops")              \
	X(CAPTURE_IF_DROPS, "capture.interface_drops")               \
	X(CAPTURE_FILTERED, "capture.filtered")                      \
	X(CAPTURE_FILE_ERRORS, "capture.file_errors")                \
	X(DEC_LINK_UNSUPPORTED, "decoder.link.unsupported")          \
	X(DEC_NON_IP, "decoder.non_ip")                              \
	X(DEC_ETH_TRUNC, "decoder.ethernet.truncated")               \
	X(DEC_VLAN_TRUNC, "decoder.vlan.truncated")                  \
	X(DEC_VLAN_TOO_DEEP, "decoder.vlan.too_deep")                \
	X(DEC_MPLS_TRUNC, "decoder.mpls.truncated")                  \
	X(DEC_MPLS_TOO_DEEP, "decoder.mpls.too_deep")                \
	X(DEC_PPPOE_TRUNC, "decoder.pppoe.truncated")                \
	X(DEC_PPPOE_INVALID, "decoder.pppoe.invalid")                \
	X(DEC_SLL_TRUNC, "decoder.sll.truncated")                    \
	X(DEC_NULL_TRUNC, "decoder.null.truncated")                  \
	X(DEC_IP_VERSION, "decoder.ip.unknown_version")              \
	X(DEC_IPV4_TRUNC, "decoder.ipv4.truncated")                  \
	X(DEC_IPV4_INVALID, "decoder.ipv4.invalid")                  \
	X(DEC_IPV6_TRUNC, "decoder.ipv6.truncated")                  \
	X(DEC_IPV6_INVALID, "decoder.ipv6.invalid")                  \
	X(DEC_TCP_TRUNC, "decoder.tcp.truncated")                    \
	X(DEC_TCP_INVALID, "decoder.tcp.invalid")                    \
	X(DEC_UDP_TRUNC, "decoder.udp.truncated")                    \
	X(DEC_UDP_INVALID, "decoder.udp.invalid")                    \
	X(DEC_ICMP_TRUNC, "decoder.icmp.truncated")                  \
	X(DEC_ICMP_INVALID, "decoder.icmp.invalid")                  \
	X(DEC_SCTP_TRUNC, "decoder.sctp.truncated")                  \
	X(DEC_SCTP_INVALID, "decoder.sctp.invalid")                  \
	X(DEC_GTPU_PACKETS, "decoder.gtpu.packets")                  \
	X(DEC_GTPU_TRUNC, "decoder.gtpu.truncated")                  \
	X(DEC_GTPU_INVALID, "decoder.gtpu.invalid")                  \
	X(DEC_GTPU_NON_TPDU, "decoder.gtpu.signalling")              \
	X(DEC_TUNNEL_TOO_DEEP, "decoder.tunnel.too_deep")            \
	X(DEFRAG_FRAGMENTS, "defrag.fragments")                      \
	X(DEFRAG_REASSEMBLED, "defrag.reassembled")                  \
	X(DEFRAG_TIMEOUTS, "defrag.timeouts")                        \
	X(DEFRAG_EVICTED, "defrag.memcap_evictions")                 \
	X(DEFRAG_INVALID, "defrag.invalid")                          \
	X(FLOW_CREATED, "flow.created")                              \
	X(FLOW_ENDED, "flow.ended")                                  \
	X(FLOW_END_IDLE, "flow.end.idle_timeout")                    \
	X(FLOW_END_TCP, "flow.end.tcp_close")                        \
	X(FLOW_END_EVICTED, "flow.end.evicted")                      \
	X(FLOW_END_CAPTURE, "flow.end.end_of_capture")               \
	X(FLOW_ACTIVE_MAX, "flow.active_max")                        \
	X(FLOW_NO_L4, "flow.packets_without_ports")                  \
	X(DPI_STATES_ALLOCATED, "dpi.states_allocated")              \
	X(DPI_STATES_FREED, "dpi.states_freed")                      \
	X(DPI_STATES_MAX, "dpi.states_max")                          \
	X(DPI_DETECTED, "dpi.detected")                              \
	X(DPI_GAVE_UP, "dpi.gave_up")                                \
	X(DPI_PACKETS, "dpi.packets")                                \
	X(DIS_STREAM_GAPS, "dissector.stream.gaps")                  \
	X(DIS_STREAM_RETRANS, "dissector.stream.retransmitted_bytes") \
	X(DIS_NONE, "dissector.none")                                \
	APN_DISSECTOR_COUNTERS(X, DNS, "dns")                        \
	APN_DISSECTOR_COUNTERS(X, TLS, "tls")                        \
	X(DIS_TLS_MIDSTREAM, "dissector.tls.midstream")              \
	APN_DISSECTOR_COUNTERS(X, HTTP, "http")                      \
	APN_DISSECTOR_COUNTERS(X, FTP, "ftp")                        \
	X(DIS_FTP_EXPECT_DROPPED, "dissector.ftp.expectations_dropped") \
	APN_DISSECTOR_COUNTERS(X, FTPDATA, "ftp_data")               \
	APN_DISSECTOR_COUNTERS(X, MQTT, "mqtt")                      \
	APN_DISSECTOR_COUNTERS(X, COAP, "coap")                      \
	X(DIS_COAP_RETRANS, "dissector.coap.retransmissions")        \
	X(DIS_LWM2M_OPERATIONS, "dissector.lwm2m.operations")        \
	X(DIS_LWM2M_IDENTITIES, "dissector.lwm2m.identities")        \
	X(DIS_LWM2M_INVALID, "dissector.lwm2m.invalid")              \
	APN_DISSECTOR_COUNTERS(X, RADIUS, "radius")                  \
	APN_DISSECTOR_COUNTERS(X, GTPV2C, "gtpv2c")                  \
	X(DIS_GTPV2C_OTHER_VERSION, "dissector.gtpv2c.other_version") \
	X(DIS_GTPV2C_UNMATCHED, "dissector.gtpv2c.unmatched")        \
	X(DNS_CACHE_ENTRIES_MAX, "dns_cache.entries_max")            \
	X(DNS_CACHE_EVICTED, "dns_cache.evicted")                    \
	X(DNS_CACHE_HITS, "dns_cache.hits")                          \
	X(ID_SESSIONS_STARTED, "identity.sessions_started")          \
	X(ID_SESSIONS_ENDED, "identity.sessions_ended")              \
	X(ID_ACTIVE_MAX, "identity.active_max")                      \
	X(ID_EVICTED, "identity.evicted")                            \
	X(ID_ADDRESS_REUSED, "identity.address_reused")              \
	X(ID_FLOWS_IDENTIFIED, "identity.flows_identified")          \
	/* geo (src/geo.c): lookups = cache hits + database lookups;   \
	 * not_found: lookups that found nothing in either database;   \
	 * errors: lookups a damaged database or a bad value failed */ \
	X(GEO_LOOKUPS, "geo.lookups")                                \
	X(GEO_CACHE_HITS, "geo.cache_hits")                          \
	X(GEO_NOT_FOUND, "geo.not_found")                            \
	X(GEO_ERRORS, "geo.errors")                                  \
	X(FIRMWARE_TRANSFERS, "firmware.events")                     \
	X(POLICY_EVALUATIONS, "policy.evaluations")                  \
	X(POLICY_ALERTS, "policy.alerts")                            \
	X(POLICY_CAMPAIGNS, "policy.campaign_alerts")                \
	X(POLICY_HITS_DROPPED, "policy.hits_dropped")                \
	X(POLICY_RELOADS, "policy.reloads")                          \
	X(POLICY_RELOAD_FAILED, "policy.reload_failed")              \
	X(OUTPUT_EVENTS, "output.events")                            \
	X(OUTPUT_ERRORS, "output.write_errors")

enum counter_id {
#define APN_X(id, name) CNT_##id,
	APN_COUNTERS(APN_X)
#undef APN_X
	CNT__MAX
};

struct counters {
	uint64_t v[CNT__MAX];
};

extern const char *const counter_names[CNT__MAX];

static inline void cnt_inc(struct counters *c, enum counter_id id) { c->v[id]++; }
static inline void cnt_add(struct counters *c, enum counter_id id, uint64_t n) { c->v[id] += n; }
static inline void cnt_max(struct counters *c, enum counter_id id, uint64_t n)
{
	if (n > c->v[id])
		c->v[id] = n;
}

#endif /* APN_COUNTERS_H */
