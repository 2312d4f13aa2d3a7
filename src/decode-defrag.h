/*
 * decode-defrag.h - IPv4 and IPv6 fragment reassembly, bounded in memory
 * and in time.
 *
 * The decoder hands every fragment to defrag_ipv4()/defrag_ipv6().  When a
 * fragment completes its datagram, the defragmenter returns a rebuilt
 * datagram: an IP header (IPv4: the first fragment's header with MF and
 * offset cleared, total length and checksum fixed; IPv6: the fixed 40-byte
 * header with next-header set to the fragment header's next-header and the
 * payload length fixed, any extension headers before the fragment header
 * dropped) followed by the whole reassembled payload.  The decoder then
 * decodes that buffer as if it had been captured whole.
 *
 * Limits: a datagram may not exceed 65535 bytes of payload (IPv4: header
 * plus payload, so the total length fits its field); at most max_bytes are
 * held at once, counting fragment data plus the bookkeeping of each
 * datagram and each stored run of bytes (the oldest incomplete datagram is
 * dropped to make room, counted as defrag.memcap_evictions; so is a
 * fragment that cannot fit even then); an incomplete datagram is dropped
 * timeout_us after its first fragment (defrag.timeouts), checked against
 * packet time.  Overlapping fragments whose bytes disagree make the
 * datagram invalid (defrag.invalid); overlaps that agree are accepted
 * (first copy wins).
 *
 * defrag.invalid counts two kinds of fragment.  One that is wrong on its
 * own (empty, offset not a multiple of 8, offset + length > 65535, MF set
 * but length not a multiple of 8, a bad header) is dropped alone.  One
 * that contradicts the datagram it joins (bytes that disagree, a second
 * last fragment with another end, data beyond the end the last fragment
 * fixed) drops that datagram too.  A fragment with offset 0 and no MF is a
 * whole datagram (an IPv6 "atomic fragment", RFC 6946): it comes back
 * DEFRAG_COMPLETE at once and never mixes with held fragments.
 * defrag.fragments counts every call; defrag.reassembled every
 * DEFRAG_COMPLETE.
 */
#ifndef APN_DECODE_DEFRAG_H
#define APN_DECODE_DEFRAG_H

#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "packet.h"

struct defrag;

/* Returns NULL only when out of memory.  Allocates a 64 KiB output buffer
 * and a bucket array besides max_bytes. */
struct defrag *defrag_new(size_t max_bytes, uint64_t timeout_us);
void defrag_free(struct defrag *d);

/* A rebuilt datagram: valid until the next call on the defragmenter. */
struct defrag_out {
	const uint8_t *data; /* IP header + whole payload */
	size_t len;
	uint32_t frames;     /* fragments that added bytes or fixed the end
				(duplicates and fully covered overlaps not counted) */
	uint64_t wire_bytes; /* sum of those fragments' wirelen arguments */
};

enum defrag_result {
	DEFRAG_HELD = 0,     /* kept; the datagram is not complete yet */
	DEFRAG_COMPLETE = 1, /* *out holds the rebuilt datagram */
	DEFRAG_DROPPED = -1  /* invalid or over a limit; counted */
};

/*
 * One IPv4 fragment.  hdr/hdr_len: its IPv4 header (options included, as
 * captured and already checked by the decoder); data/data_len: the
 * fragment's payload bytes; offset: fragment offset in bytes; more: the MF
 * bit.  The key is (src, dst, proto, id).  *out stays valid until the next
 * call on d.  wirelen: the fragment's frame length on the wire, summed into
 * out->wire_bytes so the flow can count every frame it was made of.
 */
enum defrag_result defrag_ipv4(struct defrag *d, struct counters *c, uint64_t now_us,
			       uint32_t wirelen, const uint8_t *hdr, size_t hdr_len,
			       const uint8_t *data, size_t data_len, uint32_t offset, int more,
			       struct defrag_out *out);

/*
 * One IPv6 fragment.  hdr: the 40-byte fixed header; next: the fragment
 * header's next-header; id: its identification; data/data_len: the bytes
 * after the fragment header; offset in bytes; more: the M flag.  The key is
 * (src, dst, id).
 */
enum defrag_result defrag_ipv6(struct defrag *d, struct counters *c, uint64_t now_us,
			       uint32_t wirelen, const uint8_t *hdr, uint8_t next, uint32_t id,
			       const uint8_t *data, size_t data_len, uint32_t offset, int more,
			       struct defrag_out *out);

/* Drops datagrams older than the timeout; the decoder calls it now and then. */
void defrag_expire(struct defrag *d, struct counters *c, uint64_t now_us);

#endif /* APN_DECODE_DEFRAG_H */
