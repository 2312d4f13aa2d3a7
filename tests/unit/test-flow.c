/*
 * test-flow.c - the flow table (src/flow.h): both directions in one flow,
 * which side is the device, idle timeouts on packet time, TCP close and
 * reuse of a closed 5-tuple, eviction at the cap, flush, ICMP, counters.
 * Packets are built by hand as struct packet; nothing is decoded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "counters.h"
#include "flow.h"
#include "util-cidr.h"

#define SEC 1000000ull

/* Timeouts of the test configuration. */
#define TO_TCP (60 * SEC)
#define TO_TCP_CLOSED (5 * SEC)
#define TO_UDP (30 * SEC)
#define TO_OTHER (10 * SEC)

#define MAX_ENDS 16

/* What the on_end callback saw; the flow itself is recycled afterwards. */
struct ended {
	enum flow_end_reason why;
	struct flow f;
};

struct fx {
	struct cidr_list devices;
	struct flow_config cfg;
	struct counters c;
	struct flow_table *t;
	struct ended ends[MAX_ENDS];
	int n_ends;
};

static void on_end(void *arg, struct flow *f, enum flow_end_reason why)
{
	struct fx *x = arg;
	assert_true(x->n_ends < MAX_ENDS);
	x->ends[x->n_ends].why = why;
	x->ends[x->n_ends].f = *f;
	x->n_ends++;
}

static int setup_max(void **state, uint64_t max_flows)
{
	struct fx *x = calloc(1, sizeof(*x));
	assert_non_null(x);
	cidr_list_default_devices(&x->devices);
	x->cfg.device_nets = &x->devices;
	x->cfg.max_flows = max_flows;
	x->cfg.timeout_us[TC_TCP] = TO_TCP;
	x->cfg.timeout_us[TC_TCP_CLOSED] = TO_TCP_CLOSED;
	x->cfg.timeout_us[TC_UDP] = TO_UDP;
	x->cfg.timeout_us[TC_OTHER] = TO_OTHER;
	x->t = flow_table_new(&x->cfg, &x->c, on_end, x);
	assert_non_null(x->t);
	*state = x;
	return 0;
}

static int setup(void **state) { return setup_max(state, 1000); }
static int setup3(void **state) { return setup_max(state, 3); }

static int teardown(void **state)
{
	struct fx *x = *state;
	flow_table_free(x->t); /* may call on_end: x must still be there */
	free(x);
	return 0;
}

/* A packet proto src:sport -> dst:dport at ts_us with TCP flags. */
static struct packet pkt(uint8_t proto, const char *src, uint16_t sport, const char *dst,
			 uint16_t dport, uint8_t flags, uint64_t ts_us)
{
	struct packet p;
	memset(&p, 0, sizeof(p));
	int af = strchr(src, ':') ? AF_INET6 : AF_INET;
	p.src.family = p.dst.family = af == AF_INET ? 4 : 6;
	assert_int_equal(inet_pton(af, src, p.src.a), 1);
	assert_int_equal(inet_pton(af, dst, p.dst.a), 1);
	p.proto = proto;
	p.sport = sport;
	p.dport = dport;
	if (proto == 1 || proto == 58) {
		p.icmp_type = (uint8_t)sport;
		p.icmp_code = (uint8_t)dport;
	}
	p.tcp_flags = flags;
	p.ts_us = ts_us;
	p.caplen = p.wirelen = 100;
	return p;
}

/* The packet through the table and accounted, as the engine does it. */
static struct flow *feed(struct fx *x, const struct packet *p, int *dir)
{
	struct flow *f = flow_table_packet(x->t, p, dir);
	assert_non_null(f);
	flow_account(x->t, f, p, *dir, 1, p->wirelen);
	return f;
}

static void assert_endpoint(const struct ip_addr *a, uint16_t port, const char *want,
			    uint16_t want_port)
{
	char buf[IP_ADDR_STRLEN];
	assert_string_equal(ip_addr_str(a, buf, sizeof(buf)), want);
	assert_int_equal(port, want_port);
}

static void assert_source(const struct flow *f, const char *addr, uint16_t port)
{
	struct ip_addr a;
	uint16_t p;
	flow_source(f, &a, &p);
	assert_endpoint(&a, p, addr, port);
}

static void assert_destination(const struct flow *f, const char *addr, uint16_t port)
{
	struct ip_addr a;
	uint16_t p;
	flow_destination(f, &a, &p);
	assert_endpoint(&a, p, addr, port);
}

#define DEV "10.1.2.3"
#define SRV "198.51.100.7"

/* ---------------------------------------------------------------------- */

static void test_both_directions_one_flow(void **state)
{
	struct fx *x = *state;
	int dir = -1;
	struct packet syn = pkt(6, DEV, 50000, SRV, 443, TCPF_SYN, 1 * SEC);
	struct packet synack = pkt(6, SRV, 443, DEV, 50000, TCPF_SYN | TCPF_ACK, 1 * SEC + 1000);
	struct packet ack = pkt(6, DEV, 50000, SRV, 443, TCPF_ACK, 1 * SEC + 2000);

	struct flow *f = feed(x, &syn, &dir);
	assert_int_equal(dir, 0);
	assert_ptr_equal(feed(x, &synack, &dir), f);
	assert_int_equal(dir, 1);
	assert_ptr_equal(feed(x, &ack, &dir), f);
	assert_int_equal(dir, 0);

	assert_source(f, DEV, 50000);
	assert_destination(f, SRV, 443);
	assert_int_equal(f->initiator_is_src, 1);
	assert_int_equal(f->pkts[0], 2);
	assert_int_equal(f->pkts[1], 1);
	assert_int_equal(f->bytes[0], 200);
	assert_int_equal(f->bytes[1], 100);
	assert_int_equal(f->tcp_flags[0], TCPF_SYN | TCPF_ACK);
	assert_int_equal(f->tcp_flags[1], TCPF_SYN | TCPF_ACK);
	assert_true(f->first_us == 1 * SEC);
	assert_true(f->last_us == 1 * SEC + 2000);
	assert_int_equal(f->tclass, TC_TCP);
	assert_int_equal(flow_table_active(x->t), 1);
	assert_int_equal(x->c.v[CNT_FLOW_CREATED], 1);
	assert_int_equal(x->c.v[CNT_FLOW_ACTIVE_MAX], 1);

	/* Another source port is another flow. */
	struct packet other = pkt(6, DEV, 50001, SRV, 443, TCPF_SYN, 2 * SEC);
	assert_ptr_not_equal(feed(x, &other, &dir), f);
	assert_int_equal(x->c.v[CNT_FLOW_CREATED], 2);
	assert_int_equal(x->c.v[CNT_FLOW_ACTIVE_MAX], 2);
	assert_int_equal(x->n_ends, 0);
}

/* The device side is the private address even when the server spoke first. */
static void test_device_side_when_server_first(void **state)
{
	struct fx *x = *state;
	int dir = -1;
	struct packet from_srv = pkt(17, SRV, 53, DEV, 40000, 0, 1 * SEC);
	struct packet from_dev = pkt(17, DEV, 40000, SRV, 53, 0, 2 * SEC);

	struct flow *f = feed(x, &from_srv, &dir);
	assert_int_equal(dir, 1); /* destination to source */
	assert_source(f, DEV, 40000);
	assert_destination(f, SRV, 53);
	assert_int_equal(f->initiator_is_src, 0);
	assert_ptr_equal(feed(x, &from_dev, &dir), f);
	assert_int_equal(dir, 0);
	assert_int_equal(f->pkts[0], 1);
	assert_int_equal(f->pkts[1], 1);

	/* The same over IPv6 with a ULA device (fc00::/7). */
	struct packet v6 = pkt(17, "2001:db8::1", 53, "fd00::2", 40000, 0, 3 * SEC);
	f = feed(x, &v6, &dir);
	assert_int_equal(dir, 1);
	assert_source(f, "fd00::2", 40000);
	assert_destination(f, "2001:db8::1", 53);
	assert_int_equal(f->initiator_is_src, 0);

	/* A CGNAT address (100.64/10) is a device too. */
	struct packet cgnat = pkt(17, SRV, 123, "100.100.1.1", 123, 0, 4 * SEC);
	f = feed(x, &cgnat, &dir);
	assert_int_equal(dir, 1);
	assert_source(f, "100.100.1.1", 123);
}

/* Both private (or both public): the sender of the first packet is the
 * source, whichever end of the key it is. */
static void test_both_private_first_sender_is_source(void **state)
{
	struct fx *x = *state;
	int dir = -1;
	/* 10.0.0.5 < 192.168.1.1: the sender is the key's lo end. */
	struct packet a = pkt(17, "10.0.0.5", 1000, "192.168.1.1", 2000, 0, 1 * SEC);
	struct flow *f = feed(x, &a, &dir);
	assert_int_equal(dir, 0);
	assert_source(f, "10.0.0.5", 1000);
	assert_destination(f, "192.168.1.1", 2000);
	assert_int_equal(f->initiator_is_src, 1);
	struct packet a_back = pkt(17, "192.168.1.1", 2000, "10.0.0.5", 1000, 0, 2 * SEC);
	assert_ptr_equal(feed(x, &a_back, &dir), f);
	assert_int_equal(dir, 1);

	/* 192.168.1.1 > 10.0.0.6: the sender is the key's hi end. */
	struct packet b = pkt(17, "192.168.1.1", 3000, "10.0.0.6", 4000, 0, 3 * SEC);
	f = feed(x, &b, &dir);
	assert_int_equal(dir, 0);
	assert_source(f, "192.168.1.1", 3000);
	assert_destination(f, "10.0.0.6", 4000);
	assert_int_equal(f->initiator_is_src, 1);

	/* Same address, ports decide the key's order. */
	struct packet c = pkt(17, "10.0.0.7", 9000, "10.0.0.7", 53, 0, 4 * SEC);
	f = feed(x, &c, &dir);
	assert_int_equal(dir, 0);
	assert_source(f, "10.0.0.7", 9000);
	struct packet c_back = pkt(17, "10.0.0.7", 53, "10.0.0.7", 9000, 0, 5 * SEC);
	assert_ptr_equal(feed(x, &c_back, &dir), f);
	assert_int_equal(dir, 1);

	/* Both public. */
	struct packet d = pkt(6, "203.0.113.9", 443, SRV, 50000, TCPF_SYN, 6 * SEC);
	f = feed(x, &d, &dir);
	assert_int_equal(dir, 0);
	assert_source(f, "203.0.113.9", 443);
	assert_int_equal(x->c.v[CNT_FLOW_CREATED], 4);
}

/* Idle timeouts per transport, on packet time. */
static void test_idle_timeouts(void **state)
{
	struct fx *x = *state;
	int dir;
	struct packet tcp = pkt(6, DEV, 50000, SRV, 443, TCPF_ACK, 0);
	struct packet udp = pkt(17, DEV, 40000, SRV, 53, 0, 0);
	struct packet icmp = pkt(1, DEV, 8, SRV, 0, 0, 0);
	feed(x, &tcp, &dir);
	feed(x, &udp, &dir);
	feed(x, &icmp, &dir);
	assert_int_equal(flow_table_active(x->t), 3);

	/* Exactly at the timeout: still alive. */
	flow_table_expire(x->t, TO_OTHER);
	assert_int_equal(x->n_ends, 0);

	/* A packet of another flow 1 µs later ends the ICMP flow. */
	struct packet tick = pkt(17, "10.9.9.9", 1, SRV, 2, 0, TO_OTHER + 1);
	feed(x, &tick, &dir);
	assert_int_equal(x->n_ends, 1);
	assert_int_equal(x->ends[0].why, FLOW_END_IDLE);
	assert_int_equal(x->ends[0].f.key.proto, 1);

	/* Traffic keeps a flow alive: the UDP flow gets a packet at 20 s,
	 * so it lives until 20 + 30 s. */
	udp.ts_us = 20 * SEC;
	feed(x, &udp, &dir);
	flow_table_expire(x->t, TO_UDP + 1);
	assert_int_equal(x->n_ends, 1);
	assert_int_equal(x->ends[0].f.key.proto, 1);

	/* The tick flow (UDP, last at 10 s) ends after 40 s; the UDP flow,
	 * busy at 20 s, at 50 s; TCP at 60 s. */
	flow_table_expire(x->t, 45 * SEC);
	assert_int_equal(x->n_ends, 2);
	assert_int_equal(x->ends[1].why, FLOW_END_IDLE);
	assert_source(&x->ends[1].f, "10.9.9.9", 1);
	flow_table_expire(x->t, 20 * SEC + TO_UDP + 1);
	assert_int_equal(x->n_ends, 3);
	assert_source(&x->ends[2].f, DEV, 40000);
	assert_int_equal(x->ends[2].f.pkts[0], 2);
	flow_table_expire(x->t, TO_TCP);
	assert_int_equal(x->n_ends, 3);
	flow_table_expire(x->t, TO_TCP + 1);
	assert_int_equal(x->n_ends, 4);
	assert_int_equal(x->ends[3].f.key.proto, 6);
	assert_int_equal(x->ends[3].why, FLOW_END_IDLE);
	assert_int_equal(flow_table_active(x->t), 0);
	assert_int_equal(x->c.v[CNT_FLOW_END_IDLE], 4);
	assert_int_equal(x->c.v[CNT_FLOW_ENDED], 4);
	assert_int_equal(x->c.v[CNT_FLOW_CREATED], 4);
}

/* FIN both ways: the flow moves to the closed class and ends after its
 * (short) timeout as a TCP close. */
static void test_fin_both_ways(void **state)
{
	struct fx *x = *state;
	int dir;
	struct packet syn = pkt(6, DEV, 50000, SRV, 443, TCPF_SYN, 1 * SEC);
	struct packet fin1 = pkt(6, DEV, 50000, SRV, 443, TCPF_FIN | TCPF_ACK, 2 * SEC);
	struct packet fin2 = pkt(6, SRV, 443, DEV, 50000, TCPF_FIN | TCPF_ACK, 3 * SEC);
	struct packet last = pkt(6, DEV, 50000, SRV, 443, TCPF_ACK, 3 * SEC + 1);

	struct flow *f = feed(x, &syn, &dir);
	feed(x, &fin1, &dir);
	assert_int_equal(f->tclass, TC_TCP); /* half closed */
	assert_int_equal(f->tcp_close, 1);
	feed(x, &fin2, &dir);
	assert_int_equal(f->tclass, TC_TCP_CLOSED);
	assert_int_equal(f->tcp_close, 3);
	assert_ptr_equal(feed(x, &last, &dir), f); /* the last ACK still belongs */
	assert_int_equal(f->tclass, TC_TCP_CLOSED);

	flow_table_expire(x->t, 3 * SEC + 1 + TO_TCP_CLOSED);
	assert_int_equal(x->n_ends, 0);
	flow_table_expire(x->t, 3 * SEC + 2 + TO_TCP_CLOSED);
	assert_int_equal(x->n_ends, 1);
	assert_int_equal(x->ends[0].why, FLOW_END_TCP_CLOSE);
	assert_int_equal(x->ends[0].f.pkts[0], 3);
	assert_int_equal(x->ends[0].f.pkts[1], 1);
	assert_int_equal(x->c.v[CNT_FLOW_END_TCP], 1);
	assert_int_equal(x->c.v[CNT_FLOW_END_IDLE], 0);
}

/* A SYN on a closed flow's 5-tuple ends it and starts a new one. */
static void test_syn_reopens_closed_tuple(void **state)
{
	struct fx *x = *state;
	int dir;
	struct packet syn = pkt(6, DEV, 50000, SRV, 443, TCPF_SYN, 1 * SEC);
	struct packet fin1 = pkt(6, DEV, 50000, SRV, 443, TCPF_FIN | TCPF_ACK, 2 * SEC);
	struct packet fin2 = pkt(6, SRV, 443, DEV, 50000, TCPF_FIN | TCPF_ACK, 2 * SEC + 10);
	feed(x, &syn, &dir);
	feed(x, &fin1, &dir);
	feed(x, &fin2, &dir);

	/* A SYN|ACK (not a new connection) does not reopen it. */
	struct packet synack = pkt(6, SRV, 443, DEV, 50000, TCPF_SYN | TCPF_ACK, 2 * SEC + 20);
	feed(x, &synack, &dir);
	assert_int_equal(x->n_ends, 0);

	struct packet syn2 = pkt(6, DEV, 50000, SRV, 443, TCPF_SYN, 2 * SEC + 30);
	struct flow *g = feed(x, &syn2, &dir);
	assert_int_equal(x->n_ends, 1);
	assert_int_equal(x->ends[0].why, FLOW_END_TCP_CLOSE);
	assert_int_equal(x->ends[0].f.pkts[0] + x->ends[0].f.pkts[1], 4);
	assert_int_equal(dir, 0);
	assert_int_equal(g->pkts[0], 1); /* a fresh flow */
	assert_int_equal(g->pkts[1], 0);
	assert_int_equal(g->tclass, TC_TCP);
	assert_int_equal(g->tcp_close, 0);
	assert_true(g->first_us == 2 * SEC + 30);
	assert_int_equal(flow_table_active(x->t), 1);
	assert_int_equal(x->c.v[CNT_FLOW_CREATED], 2);
	assert_int_equal(x->c.v[CNT_FLOW_ENDED], 1);
}

/* An RST closes at once (either side). */
static void test_rst(void **state)
{
	struct fx *x = *state;
	int dir;
	struct packet syn = pkt(6, DEV, 50000, SRV, 443, TCPF_SYN, 1 * SEC);
	struct packet rst = pkt(6, SRV, 443, DEV, 50000, TCPF_RST | TCPF_ACK, 1 * SEC + 500);
	struct flow *f = feed(x, &syn, &dir);
	feed(x, &rst, &dir);
	assert_int_equal(dir, 1);
	assert_int_equal(f->tclass, TC_TCP_CLOSED);
	assert_true(f->tcp_close & 4);
	assert_int_equal(f->tcp_flags[1], TCPF_RST | TCPF_ACK);

	/* Ended by the next packet past the closed timeout. */
	struct packet later = pkt(17, DEV, 1, SRV, 2, 0, 1 * SEC + 501 + TO_TCP_CLOSED);
	feed(x, &later, &dir);
	assert_int_equal(x->n_ends, 1);
	assert_int_equal(x->ends[0].why, FLOW_END_TCP_CLOSE);
	assert_int_equal(x->ends[0].f.key.proto, 6);
	assert_int_equal(x->c.v[CNT_FLOW_END_TCP], 1);
}

/* max_flows 3: a fourth flow evicts the idlest, across classes. */
static void test_eviction(void **state)
{
	struct fx *x = *state;
	int dir;
	struct packet a = pkt(6, DEV, 1001, SRV, 443, TCPF_SYN, 1 * SEC);
	struct packet b = pkt(17, DEV, 1002, SRV, 53, 0, 2 * SEC);
	struct packet c = pkt(1, DEV, 8, SRV, 0, 0, 3 * SEC);
	struct packet d = pkt(17, DEV, 1004, SRV, 53, 0, 5 * SEC);
	feed(x, &a, &dir);
	feed(x, &b, &dir);
	feed(x, &c, &dir);
	a.ts_us = 4 * SEC; /* a is busy again: b is now the idlest */
	a.tcp_flags = TCPF_ACK;
	feed(x, &a, &dir);
	assert_int_equal(flow_table_active(x->t), 3);
	assert_int_equal(x->n_ends, 0);

	feed(x, &d, &dir);
	assert_int_equal(x->n_ends, 1);
	assert_int_equal(x->ends[0].why, FLOW_END_EVICTED);
	assert_int_equal(x->ends[0].f.key.proto, 17);
	struct ip_addr addr;
	uint16_t port;
	flow_source(&x->ends[0].f, &addr, &port);
	assert_int_equal(port, 1002);
	assert_int_equal(flow_table_active(x->t), 3);
	assert_int_equal(x->c.v[CNT_FLOW_END_EVICTED], 1);
	assert_int_equal(x->c.v[CNT_FLOW_ENDED], 1);
	assert_int_equal(x->c.v[CNT_FLOW_CREATED], 4);
	assert_int_equal(x->c.v[CNT_FLOW_ACTIVE_MAX], 3);

	/* The survivors are still found: a is at 4 s, c at 3 s, d at 5 s. */
	a.ts_us = 6 * SEC;
	feed(x, &a, &dir);
	c.ts_us = 6 * SEC;
	feed(x, &c, &dir);
	assert_int_equal(x->n_ends, 1);
	assert_int_equal(x->c.v[CNT_FLOW_CREATED], 4);
}

/* Flush at the end of the capture ends every flow, idlest first. */
static void test_flush(void **state)
{
	struct fx *x = *state;
	int dir;
	struct packet a = pkt(6, DEV, 1001, SRV, 443, TCPF_SYN, 3 * SEC);
	struct packet b = pkt(17, DEV, 1002, SRV, 53, 0, 1 * SEC);
	struct packet c = pkt(58, "fd00::2", 128, "2001:db8::1", 0, 0, 2 * SEC);
	feed(x, &b, &dir);
	feed(x, &c, &dir);
	feed(x, &a, &dir);
	flow_table_flush(x->t, FLOW_END_CAPTURE);
	assert_int_equal(x->n_ends, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(x->ends[i].why, FLOW_END_CAPTURE);
	assert_int_equal(x->ends[0].f.key.proto, 17);
	assert_int_equal(x->ends[1].f.key.proto, 58);
	assert_int_equal(x->ends[2].f.key.proto, 6);
	assert_int_equal(flow_table_active(x->t), 0);
	assert_int_equal(x->c.v[CNT_FLOW_END_CAPTURE], 3);
	assert_int_equal(x->c.v[CNT_FLOW_ENDED], 3);

	/* The table works after a flush (records come from the free list). */
	struct flow *f = feed(x, &a, &dir);
	assert_int_equal(f->pkts[0], 1);
	assert_int_equal(flow_table_active(x->t), 1);
	assert_int_equal(x->c.v[CNT_FLOW_CREATED], 4);
}

/* An ICMP echo request and its reply (types 8 and 0) meet in one flow. */
static void test_icmp_request_reply(void **state)
{
	struct fx *x = *state;
	int dir;
	struct packet req = pkt(1, DEV, 8, SRV, 0, 0, 1 * SEC);
	struct packet rep = pkt(1, SRV, 0, DEV, 0, 0, 1 * SEC + 100);
	struct flow *f = feed(x, &req, &dir);
	assert_int_equal(dir, 0);
	assert_ptr_equal(feed(x, &rep, &dir), f);
	assert_int_equal(dir, 1);
	assert_int_equal(f->icmp_type, 8); /* from the first packet */
	assert_int_equal(f->tclass, TC_OTHER);
	assert_source(f, DEV, 0);
	assert_int_equal(x->c.v[CNT_FLOW_CREATED], 1);

	/* ICMPv6 echo (128) and reply (129) likewise. */
	struct packet req6 = pkt(58, "fd00::2", 128, "2001:db8::1", 0, 0, 2 * SEC);
	struct packet rep6 = pkt(58, "2001:db8::1", 129, "fd00::2", 0, 0, 2 * SEC + 100);
	f = feed(x, &req6, &dir);
	assert_ptr_equal(feed(x, &rep6, &dir), f);
	assert_int_equal(dir, 1);
	assert_int_equal(x->c.v[CNT_FLOW_CREATED], 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_both_directions_one_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_side_when_server_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_both_private_first_sender_is_source, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fin_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_reopens_closed_tuple, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eviction, setup3, teardown),
		cmocka_unit_test_setup_teardown(test_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_request_reply, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
