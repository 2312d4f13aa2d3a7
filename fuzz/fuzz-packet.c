/*
 * fuzz-packet.c - a libFuzzer target for the whole packet path: decode,
 * flows, nDPI, dissectors, output.  Input: one byte choosing the link type
 * (an index into the table below), then the frame.  One engine lives
 * across inputs, so state built by earlier inputs (flows, fragments,
 * sessions) meets later ones, as on a real link.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {LT_ETHERNET, LT_LINUX_SLL, LT_LINUX_SLL2, LT_RAW,
				LT_NULL, LT_LOOP, LT_IPV4, LT_IPV6};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct engine *e;
	static uint64_t t = 1700000000000000ull;
	if (e == NULL) {
		struct engine_config ec;
		engine_config_defaults(&ec);
		ec.max_flows = 1024;
		ec.dns_cache_max = 1024;
		ec.identity.max_subscribers = 1024;
		ec.defrag_bytes = 1 << 20;
		ec.observer = "fuzz";
		FILE *devnull = fopen("/dev/null", "w");
		e = calloc(1, sizeof(*e));
		if (devnull == NULL || e == NULL || engine_init(e, &ec, devnull) < 0)
			abort();
	}
	if (size < 1)
		return 0;
	/* A heap copy of exactly the frame, so reads past it are caught. */
	size_t n = size - 1;
	uint8_t *frame = malloc(n ? n : 1);
	if (frame == NULL)
		return 0;
	memcpy(frame, data + 1, n);
	struct capture_pkt p = {frame, (uint32_t)n, (uint32_t)n, t += 1000,
				linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))]};
	engine_packet(e, &p);
	free(frame);
	return 0;
}
