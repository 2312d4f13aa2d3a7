/*
 * fuzz-dissector.c - a libFuzzer target for one dissector, chosen at build
 * time with -DFUZZ_DISSECTOR='"name"' (the dissector's name in the
 * registry) and, where two share a name, -DFUZZ_TRANSPORT=6 or 17.
 *
 * Input: records of  dir(1) len(2, big-endian) bytes(len); each record is
 * one datagram (UDP dissectors) or one in-order stream chunk (TCP ones),
 * handed to the dissector's parse() as the registry would.  Then the flow
 * event's fields are written, and the state freed, so the output paths are
 * fuzzed too.  Built against libFuzzer by `make fuzz`, and against
 * replay-main.c by `make check`, which replays the seed corpus
 * fuzz/corpus/<name>/.
 */
#include <stdlib.h>
#include <string.h>

#include "dissector.h"
#include "intent.h"
#include "dns.h"
#include "ftp.h"
#include "identity.h"
#include "util-reader.h"

#ifndef FUZZ_DISSECTOR
#error "build with -DFUZZ_DISSECTOR='\"name\"'"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct dissector *find(void)
{
	size_t n;
	const struct dissector *const *t = dissector_table(&n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i]->name, FUZZ_DISSECTOR) == 0
#ifdef FUZZ_TRANSPORT /* two dissectors of one name: DNS over UDP and TCP */
		    && t[i]->transport == FUZZ_TRANSPORT
#endif
		)
			return t[i];
	abort(); /* a build mistake, not an input problem */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct counters cnt;
	static struct dissect_ctx ctx;
	static const struct dissector *d;
	if (d == NULL) {
		struct identity_config ic;
		identity_config_defaults(&ic);
		ic.max_subscribers = 64;
		d = find();
		ctx.cnt = &cnt;
		ctx.dns = dns_cache_new(256, &cnt);
		ctx.ftp = ftp_expect_new(64);
		/* Device events go nowhere: no output is given. */
		ctx.id = identity_new(&ic, &cnt, NULL);
	}
	struct packet pkt;
	struct flow f;
	memset(&pkt, 0, sizeof(pkt));
	memset(&f, 0, sizeof(f));
	f.key.family = 4;
	f.key.proto = d->transport;
	f.key.addr_lo[0] = 100, f.key.addr_lo[1] = 64, f.key.addr_lo[3] = 1;
	f.key.addr_hi[0] = 192, f.key.addr_hi[2] = 2, f.key.addr_hi[3] = 1;
	f.key.port_lo = 40000;
	f.key.port_hi = d->ports ? d->ports[0] : 1;
	f.src_is_lo = 1;
	f.initiator_is_src = 1;
	pkt.src.family = pkt.dst.family = 4;
	ctx.pkt = &pkt;

	void *state = calloc(1, d->state_size ? d->state_size : 1);
	if (state == NULL)
		return 0;
	struct rd r = rd_init(data, size);
	uint64_t t = 1700000000000000ull;
	while (rd_left(&r) >= 3) {
		int dir = rd_u8(&r) & 1;
		uint16_t len = rd_be16(&r);
		int cut;
		struct rd rec = rd_sub_upto(&r, len, &cut);
		/* Each record its own heap copy, so reads past it are caught. */
		size_t n = rd_left(&rec);
		uint8_t *copy = malloc(n ? n : 1);
		if (copy == NULL)
			break;
		memcpy(copy, rd_ptr(&rec), n);
		ctx.now_us = t += 1000;
		pkt.ts_us = t;
		d->parse(&ctx, &f, state, dir, copy, n);
		free(copy);
	}
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w, NULL);
	if (d->json_ecs)
		d->json_ecs(state, &w);
	jw_obj_begin(&w, "apnwatch");
	if (d->json_apnwatch)
		d->json_apnwatch(state, &w);
	jw_end(&w);
	jw_end(&w);
	if (d->server_name) {
		enum server_name_source how;
		(void)d->server_name(state, &how);
	}
	/* What the flow's end asks of a dissector: its transfers (every
	 * field read, the hash only when complete) and its intent votes;
	 * sink keeps the reads from being optimised away. */
	static volatile size_t sink;
	if (d->transfers) {
		const struct app_transfer *tv = NULL;
		size_t n = d->transfers(state, &tv);
		for (size_t i = 0; i < n; i++) {
			const struct app_transfer *x = &tv[i];
			size_t sum = x->size + x->declared_size + x->hash_state;
			const char *const strs[] = {x->protocol, x->method,  x->name,
						    x->url,      x->package_uri, x->version,
						    x->content_type};
			for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
				sum += strs[k] ? strlen(strs[k]) : 0;
			if (x->hash_state == TRANSFER_HASH_OK)
				sum += x->sha256[0];
			sink += sum;
		}
	}
	if (d->intent) {
		struct intent_input in;
		memset(&in, 0, sizeof(in));
		d->intent(state, &in);
		for (size_t i = 0; i < in.n_votes; i++)
			sink += strlen(in.votes[i].why);
		sink += (in.user_agent ? strlen(in.user_agent) : 0) + (in.ja3 ? strlen(in.ja3) : 0) +
			(in.ja4 ? strlen(in.ja4) : 0);
	}
	jw_free(&w);
	if (d->free)
		d->free(state);
	free(state);
	return 0;
}
