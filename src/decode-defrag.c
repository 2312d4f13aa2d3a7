/*
 * decode-defrag.c - IPv4 (RFC 791) and IPv6 (RFC 8200 section 4.5)
 * fragment reassembly, bounded in memory and in time.
 *
 * Each incomplete datagram is a struct dg, found through a chained hash
 * table by its key and kept on an age list, oldest first, for timeouts and
 * for memcap eviction.  A datagram holds its payload as a list of pieces
 * sorted by offset that never overlap: a fragment that overlaps what is
 * held is compared byte for byte with it, and only the parts not held yet
 * are stored.  So duplicates cost nothing, "first copy wins" falls out of
 * the structure, and the datagram is complete when the held bytes equal the
 * length the last fragment fixed.
 *
 *   what the decoder hands us            what we hand back
 *   +------------+-----------------+     +--------------+--------------------+
 *   | IP header  | data at offset  | ... | first header | payload [0, total) |
 *   | (IPv6: +   | [off, off+len)  |     | MF/off clear |                    |
 *   |  frag hdr) |                 |     | length fixed |                    |
 *   +------------+-----------------+     +--------------+--------------------+
 *
 * Memory: every datagram and every piece is charged to the memcap with its
 * bookkeeping, not just its payload bytes, so many tiny fragments cannot
 * hold more memory than max_bytes says.
 */
#include "decode-defrag.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "util-reader.h"

#define DG_MAX_PAYLOAD 65535u /* both families' length fields are 16 bits */
#define IPV4_HDR_MIN 20
#define IPV4_HDR_MAX 60
#define IPV6_HDR_LEN 40
#define OUT_MAX (IPV4_HDR_MAX + DG_MAX_PAYLOAD)

/* What identifies a datagram: (src, dst, proto, id) for IPv4, (src, dst,
 * id) for IPv6 (proto stays 0). */
struct dg_key {
	uint8_t family; /* 4 or 6 */
	uint8_t proto;
	uint32_t id;
	uint8_t src[16], dst[16];
};

/* A run of payload bytes [off, off+len) of one datagram. */
struct piece {
	struct piece *next;
	uint32_t off, len;
	uint8_t data[];
};

struct dg {
	struct dg_key key;
	struct dg *hnext;         /* hash chain */
	struct dg *older, *newer; /* age list */
	uint64_t first_us;        /* packet time of the first fragment seen */
	struct piece *pieces;     /* sorted by off, never overlapping */
	uint32_t held;            /* payload bytes in pieces */
	uint32_t end;             /* highest end of any piece */
	uint32_t total;           /* payload length, once have_last */
	uint8_t have_last;        /* a fragment without MF came */
	uint8_t have_first;       /* the offset 0 fragment came: hdr is set */
	uint8_t next;             /* IPv6: the first fragment's next header */
	uint8_t hdr_len;
	uint8_t hdr[IPV4_HDR_MAX]; /* the first fragment's header */
	uint32_t frames;
	uint64_t wire_bytes;
	size_t cost; /* bytes charged to the memcap */
};

struct defrag {
	size_t max_bytes;
	size_t used; /* charged to the memcap, <= max_bytes */
	uint64_t timeout_us;
	struct dg **buckets;
	size_t nbuckets; /* a power of two */
	uint32_t seed;
	struct dg *oldest, *newest;
	uint8_t *out; /* the rebuilt datagram, OUT_MAX bytes, reused */
};

/* One fragment as the public functions understood it. */
struct frag {
	struct dg_key key;
	struct rd hdr; /* the IP header, as captured */
	uint8_t next;  /* IPv6 fragment header's next header */
	struct rd data;
	uint32_t off, len;
	int more;
	uint32_t wirelen;
};

/* ---- hash table and age list ---------------------------------------- */

/* Murmur3's 32-bit mixing with a per-instance random seed, so that chains
 * are not the same from one run to the next.  Not a keyed PRF; the memcap
 * bounds how long a chain can get. */
static uint32_t mix32(uint32_t h, uint32_t k)
{
	k *= 0xcc9e2d51u;
	k = k << 15 | k >> 17;
	k *= 0x1b873593u;
	h ^= k;
	h = h << 13 | h >> 19;
	return h * 5 + 0xe6546b64u;
}

static uint32_t bytes32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static size_t key_bucket(const struct defrag *d, const struct dg_key *k)
{
	size_t alen = k->family == 4 ? 4 : 16;
	uint32_t h = d->seed;

	h = mix32(h, (uint32_t)k->family << 8 | k->proto);
	h = mix32(h, k->id);
	for (size_t i = 0; i < alen; i += 4) {
		h = mix32(h, bytes32(k->src + i));
		h = mix32(h, bytes32(k->dst + i));
	}
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	return h & (d->nbuckets - 1);
}

static int key_equal(const struct dg_key *a, const struct dg_key *b)
{
	return a->family == b->family && a->proto == b->proto && a->id == b->id &&
	       memcmp(a->src, b->src, sizeof(a->src)) == 0 &&
	       memcmp(a->dst, b->dst, sizeof(a->dst)) == 0;
}

static struct dg *dg_lookup(const struct defrag *d, const struct dg_key *k)
{
	struct dg *g = d->buckets[key_bucket(d, k)];

	while (g != NULL && !key_equal(&g->key, k))
		g = g->hnext;
	return g;
}

/* Unlinks g from its chain and the age list, frees it and its pieces, and
 * gives its memory back to the memcap. */
static void dg_destroy(struct defrag *d, struct dg *g)
{
	struct dg **pp = &d->buckets[key_bucket(d, &g->key)];
	struct piece *p, *pn;

	while (*pp != g)
		pp = &(*pp)->hnext;
	*pp = g->hnext;

	if (g->older != NULL)
		g->older->newer = g->newer;
	else
		d->oldest = g->newer;
	if (g->newer != NULL)
		g->newer->older = g->older;
	else
		d->newest = g->older;

	for (p = g->pieces; p != NULL; p = pn) {
		pn = p->next;
		free(p);
	}
	d->used -= g->cost;
	free(g);
}

/*
 * Makes room for cost more bytes by dropping the oldest datagrams other
 * than keep.  Returns 1 when the bytes fit, 0 when they cannot (the caller
 * then drops what it was adding, counted as an eviction too).
 */
static int make_room(struct defrag *d, struct counters *c, const struct dg *keep, size_t cost)
{
	if (cost > d->max_bytes)
		return 0;
	while (d->used + cost > d->max_bytes) {
		struct dg *victim = d->oldest;
		if (victim == keep)
			victim = victim->newer;
		if (victim == NULL)
			return 0;
		dg_destroy(d, victim);
		cnt_inc(c, CNT_DEFRAG_EVICTED);
	}
	return 1;
}

/* A new, empty datagram at the young end of the age list; NULL when out of
 * memory.  The caller has made room for sizeof(struct dg). */
static struct dg *dg_create(struct defrag *d, const struct dg_key *k, uint64_t now_us)
{
	struct dg *g = calloc(1, sizeof(*g));
	size_t b;

	if (g == NULL)
		return NULL;
	g->key = *k;
	g->first_us = now_us;
	g->cost = sizeof(*g);
	d->used += g->cost;

	b = key_bucket(d, k);
	g->hnext = d->buckets[b];
	d->buckets[b] = g;

	g->older = d->newest;
	if (d->newest != NULL)
		d->newest->newer = g;
	else
		d->oldest = g;
	d->newest = g;
	return g;
}

/* ---- placing a fragment's bytes -------------------------------------- */

/* The fragment's payload bytes [from, from+n), in datagram offsets, through
 * the checked reader; NULL if the fragment does not hold them (it always
 * does once frag_check() passed). */
static const uint8_t *frag_bytes(const struct frag *f, uint32_t from, uint32_t n)
{
	struct rd r = f->data;
	struct rd span;

	rd_skip(&r, from - f->off);
	span = rd_sub(&r, n);
	if (!rd_ok(&span))
		return NULL;
	return rd_ptr(&span);
}

/*
 * First pass over the held pieces: checks that the bytes f shares with
 * them agree, and counts the bytes and pieces f would add.  Returns 0, or
 * -1 when an overlap disagrees (the datagram is then invalid).
 */
static int dg_scan(const struct dg *g, const struct frag *f, uint32_t *new_bytes,
		   uint32_t *new_pieces)
{
	uint32_t pos = f->off, end = f->off + f->len;
	const struct piece *p;

	*new_bytes = 0;
	*new_pieces = 0;
	for (p = g->pieces; p != NULL && pos < end; p = p->next) {
		uint32_t pend = p->off + p->len, upto;
		const uint8_t *mine;

		if (pend <= pos)
			continue;
		if (p->off >= end)
			break;
		if (p->off > pos) {
			*new_bytes += p->off - pos;
			(*new_pieces)++;
			pos = p->off;
		}
		upto = pend < end ? pend : end;
		mine = frag_bytes(f, pos, upto - pos);
		if (mine == NULL || memcmp(mine, p->data + (pos - p->off), upto - pos) != 0)
			return -1;
		pos = upto;
	}
	if (pos < end) {
		*new_bytes += end - pos;
		(*new_pieces)++;
	}
	return 0;
}

static struct piece *piece_new(const struct frag *f, uint32_t from, uint32_t n)
{
	const uint8_t *src = frag_bytes(f, from, n);
	struct piece *p;

	if (src == NULL)
		return NULL;
	p = malloc(sizeof(*p) + n);
	if (p == NULL)
		return NULL;
	p->off = from;
	p->len = n;
	memcpy(p->data, src, n);
	return p;
}

/*
 * Second pass: stores the parts of f that no piece holds yet, in the gaps
 * dg_scan() counted.  Returns 0, or -1 when out of memory (pieces stored so
 * far stay; the caller drops the datagram).
 */
static int dg_insert(struct defrag *d, struct dg *g, const struct frag *f)
{
	uint32_t pos = f->off, end = f->off + f->len;
	struct piece **pp = &g->pieces;

	while (pos < end) {
		struct piece *p = *pp, *n;
		uint32_t gap_end;

		if (p != NULL && p->off + p->len <= pos) {
			pp = &p->next;
			continue;
		}
		if (p != NULL && p->off <= pos) {
			/* Held already (and known to agree): skip over it. */
			pos = p->off + p->len;
			pp = &p->next;
			continue;
		}
		gap_end = p != NULL && p->off < end ? p->off : end;
		n = piece_new(f, pos, gap_end - pos);
		if (n == NULL)
			return -1;
		n->next = p;
		*pp = n;
		pp = &n->next;
		g->held += n->len;
		g->cost += sizeof(*n) + n->len;
		d->used += sizeof(*n) + n->len;
		if (gap_end > g->end)
			g->end = gap_end;
		pos = gap_end;
	}
	return 0;
}

/* ---- checks ---------------------------------------------------------- */

/* What a fragment must satisfy on its own, before any datagram is
 * looked at.  Returns 1 when it is sane. */
static int frag_check(const struct frag *f, size_t data_len)
{
	if (data_len == 0 || data_len > DG_MAX_PAYLOAD)
		return 0; /* nothing to place, or more than any datagram */
	if (rd_left(&f->data) != data_len)
		return 0; /* no bytes behind the length */
	if (f->off % 8 != 0)
		return 0; /* offsets count 8-byte units on the wire */
	if ((uint64_t)f->off + data_len > DG_MAX_PAYLOAD)
		return 0;
	if (f->more && data_len % 8 != 0)
		return 0; /* only the last fragment may end off an 8-byte unit */
	return 1;
}

/*
 * What a fragment must satisfy against the datagram it joins: one last
 * fragment, nothing beyond its end, and (IPv4) a total length that fits
 * the 16-bit field with the first fragment's header.  Returns 1 when f
 * fits.
 */
static int dg_check(const struct dg *g, const struct frag *f)
{
	uint32_t end = f->off + f->len;
	uint32_t hi = end > g->end ? end : g->end;
	size_t hlen = 0;

	if (!f->more) {
		if (g->have_last && end != g->total)
			return 0;
		if (end < g->end)
			return 0;
	} else if (g->have_last && end > g->total) {
		return 0;
	}

	if (g->have_first)
		hlen = g->hdr_len;
	else if (f->off == 0)
		hlen = rd_left(&f->hdr);
	if (f->key.family == 4 && hlen + hi > 0xffff)
		return 0;
	return 1;
}

/* ---- output ---------------------------------------------------------- */

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 791 header checksum over our own copy of the header. */
static uint16_t ipv4_checksum(const uint8_t *h, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Writes g's rebuilt header into o; the payload goes after g->hdr_len. */
static void dg_build_header(uint8_t *o, const struct dg *g)
{
	size_t hl = g->hdr_len;

	memcpy(o, g->hdr, hl);
	if (g->key.family == 4) {
		put_be16(o + 2, (uint16_t)(hl + g->total));  /* total length */
		o[6] &= 0x40;                                /* keep DF; clear MF, offset */
		o[7] = 0;
		put_be16(o + 10, 0);
		put_be16(o + 10, ipv4_checksum(o, hl));
	} else {
		put_be16(o + 4, (uint16_t)g->total);         /* payload length */
		o[6] = g->next;                              /* the header before was ours */
	}
}

static void dg_out(const struct defrag *d, const struct dg *g, struct defrag_out *out)
{
	out->data = d->out;
	out->len = g->hdr_len + g->total;
	out->frames = g->frames;
	out->wire_bytes = g->wire_bytes;
}

/* Writes the rebuilt datagram into d->out. */
static void dg_build(struct defrag *d, const struct dg *g, struct defrag_out *out)
{
	const struct piece *p;

	dg_build_header(d->out, g);
	for (p = g->pieces; p != NULL; p = p->next)
		memcpy(d->out + g->hdr_len + p->off, p->data, p->len);
	dg_out(d, g, out);
}

/* ---- the common path ------------------------------------------------- */

/* Keeps the first fragment's header (for IPv6 its fixed header and the
 * next header from its fragment header). */
static void dg_take_header(struct dg *g, const struct frag *f)
{
	struct rd h = f->hdr;
	size_t n = rd_left(&h);

	rd_copy(&h, g->hdr, n);
	g->hdr_len = (uint8_t)n;
	g->next = f->next;
	g->have_first = 1;
}

/*
 * A fragment with offset 0 and no MF is a whole datagram (IPv6 calls it an
 * atomic fragment, RFC 6946): it is rebuilt on its own, never mixed with
 * held fragments that happen to share its id.
 */
static void frag_build_atomic(struct defrag *d, const struct frag *f, struct defrag_out *out)
{
	struct dg g;
	const uint8_t *src = frag_bytes(f, 0, f->len);

	memset(&g, 0, sizeof(g));
	g.key = f->key;
	dg_take_header(&g, f);
	g.total = f->len;
	g.frames = 1;
	g.wire_bytes = f->wirelen;
	dg_build_header(d->out, &g);
	if (src != NULL) /* always, once frag_check() passed */
		memcpy(d->out + g.hdr_len, src, f->len);
	dg_out(d, &g, out);
}

static enum defrag_result defrag_feed(struct defrag *d, struct counters *c, uint64_t now_us,
				      const struct frag *f, size_t data_len,
				      struct defrag_out *out)
{
	enum counter_id why = CNT_DEFRAG_INVALID;
	struct dg *g = NULL;
	uint32_t new_bytes, new_pieces;
	int adds_last;

	defrag_expire(d, c, now_us);
	if (!frag_check(f, data_len))
		goto err;
	if (f->off == 0 && !f->more) {
		if (f->key.family == 4 && rd_left(&f->hdr) + f->len > 0xffff)
			goto err;
		frag_build_atomic(d, f, out);
		cnt_inc(c, CNT_DEFRAG_REASSEMBLED);
		return DEFRAG_COMPLETE;
	}

	g = dg_lookup(d, &f->key);
	if (g == NULL) {
		why = CNT_DEFRAG_EVICTED;
		if (!make_room(d, c, NULL, sizeof(*g)))
			goto err;
		g = dg_create(d, &f->key, now_us);
		if (g == NULL)
			goto err;
		why = CNT_DEFRAG_INVALID;
	}
	if (!dg_check(g, f) || dg_scan(g, f, &new_bytes, &new_pieces) < 0)
		goto err;

	adds_last = !f->more && !g->have_last;
	if (new_bytes == 0 && !adds_last)
		return DEFRAG_HELD; /* a duplicate: nothing new */

	why = CNT_DEFRAG_EVICTED;
	if (!make_room(d, c, g, new_bytes + (size_t)new_pieces * sizeof(struct piece)))
		goto err;
	if (dg_insert(d, g, f) < 0)
		goto err;

	if (f->off == 0 && !g->have_first)
		dg_take_header(g, f);
	if (adds_last) {
		g->have_last = 1;
		g->total = f->off + f->len;
	}
	g->frames++;
	g->wire_bytes += f->wirelen;

	if (!g->have_last || g->held != g->total)
		return DEFRAG_HELD;
	dg_build(d, g, out);
	dg_destroy(d, g);
	cnt_inc(c, CNT_DEFRAG_REASSEMBLED);
	return DEFRAG_COMPLETE;

err:
	cnt_inc(c, why);
	if (g != NULL)
		dg_destroy(d, g);
	return DEFRAG_DROPPED;
}

/* ---- the API --------------------------------------------------------- */

static size_t pick_buckets(size_t max_bytes)
{
	/* About four datagrams a bucket when the memcap is full of them. */
	size_t want = max_bytes / (4 * sizeof(struct dg)), n = 64;

	while (n < want && n < ((size_t)1 << 16))
		n <<= 1;
	return n;
}

struct defrag *defrag_new(size_t max_bytes, uint64_t timeout_us)
{
	struct defrag *d = calloc(1, sizeof(*d));

	if (d == NULL)
		goto err;
	d->max_bytes = max_bytes;
	d->timeout_us = timeout_us;
	d->nbuckets = pick_buckets(max_bytes);
	d->buckets = calloc(d->nbuckets, sizeof(*d->buckets));
	d->out = malloc(OUT_MAX);
	if (d->buckets == NULL || d->out == NULL)
		goto err;
	/* A seed nobody can predict; a fixed one still works if this fails. */
	if (getrandom(&d->seed, sizeof(d->seed), GRND_NONBLOCK) != (ssize_t)sizeof(d->seed))
		d->seed = 0x9747b28cu;
	return d;

err:
	defrag_free(d);
	return NULL;
}

void defrag_free(struct defrag *d)
{
	if (d == NULL)
		return;
	while (d->oldest != NULL)
		dg_destroy(d, d->oldest);
	free(d->buckets);
	free(d->out);
	free(d);
}

void defrag_expire(struct defrag *d, struct counters *c, uint64_t now_us)
{
	/* The age list is in arrival order, so the expired ones are at its
	 * head.  Packet time running backwards expires nothing. */
	while (d->oldest != NULL && now_us >= d->oldest->first_us &&
	       now_us - d->oldest->first_us >= d->timeout_us) {
		dg_destroy(d, d->oldest);
		cnt_inc(c, CNT_DEFRAG_TIMEOUTS);
	}
}

enum defrag_result defrag_ipv4(struct defrag *d, struct counters *c, uint64_t now_us,
			       uint32_t wirelen, const uint8_t *hdr, size_t hdr_len,
			       const uint8_t *data, size_t data_len, uint32_t offset, int more,
			       struct defrag_out *out)
{
	struct frag f;
	struct rd h;

	cnt_inc(c, CNT_DEFRAG_FRAGMENTS);
	memset(&f, 0, sizeof(f));
	if (hdr == NULL || hdr_len < IPV4_HDR_MIN || hdr_len > IPV4_HDR_MAX)
		goto err;

	/*  0 ver/ihl  1 tos  2 total length  4 id  6 flags/offset  8 ttl
	 *  9 proto  10 checksum  12 src  16 dst  20 options */
	h = rd_init(hdr, hdr_len);
	f.hdr = h;
	rd_skip(&h, 4);
	f.key.id = rd_be16(&h);
	rd_skip(&h, 3);
	f.key.proto = rd_u8(&h);
	rd_skip(&h, 2);
	rd_copy(&h, f.key.src, 4);
	rd_copy(&h, f.key.dst, 4);
	if (!rd_ok(&h))
		goto err;
	f.key.family = 4;
	f.data = rd_init(data, data == NULL ? 0 : data_len);
	f.off = offset;
	f.len = (uint32_t)(data_len > DG_MAX_PAYLOAD ? DG_MAX_PAYLOAD : data_len);
	f.more = more != 0;
	f.wirelen = wirelen;
	return defrag_feed(d, c, now_us, &f, data_len, out);

err:
	cnt_inc(c, CNT_DEFRAG_INVALID);
	return DEFRAG_DROPPED;
}

enum defrag_result defrag_ipv6(struct defrag *d, struct counters *c, uint64_t now_us,
			       uint32_t wirelen, const uint8_t *hdr, uint8_t next, uint32_t id,
			       const uint8_t *data, size_t data_len, uint32_t offset, int more,
			       struct defrag_out *out)
{
	struct frag f;
	struct rd h;

	cnt_inc(c, CNT_DEFRAG_FRAGMENTS);
	memset(&f, 0, sizeof(f));
	if (hdr == NULL)
		goto err;

	/*  0 ver/class/flow  4 payload length  6 next header  7 hop limit
	 *  8 src  24 dst */
	h = rd_init(hdr, IPV6_HDR_LEN);
	f.hdr = h;
	rd_skip(&h, 8);
	rd_copy(&h, f.key.src, 16);
	rd_copy(&h, f.key.dst, 16);
	if (!rd_ok(&h))
		goto err;
	f.key.family = 6;
	f.key.id = id;
	f.next = next;
	f.data = rd_init(data, data == NULL ? 0 : data_len);
	f.off = offset;
	f.len = (uint32_t)(data_len > DG_MAX_PAYLOAD ? DG_MAX_PAYLOAD : data_len);
	f.more = more != 0;
	f.wirelen = wirelen;
	return defrag_feed(d, c, now_us, &f, data_len, out);

err:
	cnt_inc(c, CNT_DEFRAG_INVALID);
	return DEFRAG_DROPPED;
}
