/*
 * util-reader.h - the one bounds-checked reader for untrusted bytes.
 *
 * Every decoder and dissector reads packet bytes through a struct rd: a
 * window [p, p+len) with a cursor and a sticky error flag.  A read past the
 * end returns 0 and sets RD_ETRUNC; once an error is set, every later read
 * returns 0 too, so a parser can chain reads and check rd_ok() once (one
 * error path, like OpenBSD's ibuf_get chains).  Multi-byte reads name their
 * byte order and assemble values byte by byte: no alignment assumptions and
 * no casts of packet bytes to structs.
 *
 * RD_EINVAL is for a parser that finds the bytes contradict themselves
 * (a length field larger than its container, say): rd_invalid() sets it.
 * Callers count the two differently: truncated means the capture stopped
 * early, invalid means the packet lies.
 */
#ifndef APN_UTIL_READER_H
#define APN_UTIL_READER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum rd_err { RD_OK = 0, RD_ETRUNC = 1, RD_EINVAL = 2 };

struct rd {
	const uint8_t *p; /* start of the window */
	size_t len;       /* bytes in the window */
	size_t off;       /* cursor, 0..len */
	int err;          /* sticky: first error wins */
};

static inline struct rd rd_init(const uint8_t *p, size_t len)
{
	struct rd r = {p, len, 0, RD_OK};
	return r;
}

static inline int rd_ok(const struct rd *r) { return r->err == RD_OK; }
static inline size_t rd_left(const struct rd *r) { return r->err ? 0 : r->len - r->off; }
static inline size_t rd_off(const struct rd *r) { return r->off; }

/* Pointer to the cursor; valid for rd_left() bytes.  Only for handing a
 * window to another reader or to a library that takes (ptr, len). */
static inline const uint8_t *rd_ptr(const struct rd *r) { return r->p + r->off; }

static inline void rd_invalid(struct rd *r)
{
	if (r->err == RD_OK)
		r->err = RD_EINVAL;
}

/* Returns 1 when n more bytes are there; otherwise sets RD_ETRUNC. */
static inline int rd_need(struct rd *r, size_t n)
{
	if (r->err)
		return 0;
	if (n > r->len - r->off) {
		r->err = RD_ETRUNC;
		return 0;
	}
	return 1;
}

static inline uint8_t rd_u8(struct rd *r)
{
	if (!rd_need(r, 1))
		return 0;
	return r->p[r->off++];
}

static inline uint16_t rd_be16(struct rd *r)
{
	if (!rd_need(r, 2))
		return 0;
	const uint8_t *b = r->p + r->off;
	r->off += 2;
	return (uint16_t)((uint16_t)b[0] << 8 | b[1]);
}

static inline uint16_t rd_le16(struct rd *r)
{
	if (!rd_need(r, 2))
		return 0;
	const uint8_t *b = r->p + r->off;
	r->off += 2;
	return (uint16_t)((uint16_t)b[1] << 8 | b[0]);
}

static inline uint32_t rd_be24(struct rd *r)
{
	if (!rd_need(r, 3))
		return 0;
	const uint8_t *b = r->p + r->off;
	r->off += 3;
	return (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
}

static inline uint32_t rd_be32(struct rd *r)
{
	if (!rd_need(r, 4))
		return 0;
	const uint8_t *b = r->p + r->off;
	r->off += 4;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint32_t rd_le32(struct rd *r)
{
	if (!rd_need(r, 4))
		return 0;
	const uint8_t *b = r->p + r->off;
	r->off += 4;
	return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

static inline uint64_t rd_be64(struct rd *r)
{
	if (!rd_need(r, 8))
		return 0;
	uint64_t hi = rd_be32(r);
	return hi << 32 | rd_be32(r);
}

static inline uint64_t rd_le64(struct rd *r)
{
	if (!rd_need(r, 8))
		return 0;
	uint64_t lo = rd_le32(r);
	return (uint64_t)rd_le32(r) << 32 | lo;
}

/* Copies n bytes out; on error dst is zeroed. */
static inline void rd_copy(struct rd *r, void *dst, size_t n)
{
	if (!rd_need(r, n)) {
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, r->p + r->off, n);
	r->off += n;
}

static inline void rd_skip(struct rd *r, size_t n)
{
	if (rd_need(r, n))
		r->off += n;
}

/* Peeks at byte i past the cursor without moving it; 0 (and no error) when
 * it is not there, so a probe never marks a packet truncated. */
static inline uint8_t rd_peek(const struct rd *r, size_t i)
{
	if (r->err || i >= r->len - r->off)
		return 0;
	return r->p[r->off + i];
}

/* A child reader over the next n bytes; the parent moves past them.  A child
 * of a parent that cannot give n bytes is an empty reader with the parent's
 * error, so the child's first read fails too. */
static inline struct rd rd_sub(struct rd *r, size_t n)
{
	struct rd c = {r->p + r->off, 0, 0, RD_OK};
	if (!rd_need(r, n)) {
		c.err = r->err;
		return c;
	}
	c.len = n;
	r->off += n;
	return c;
}

/* Like rd_sub, but takes whatever is left when fewer than n bytes were
 * captured: for payloads whose length field counts bytes the snap length
 * cut off.  *cut is set to 1 when the child is shorter than n. */
static inline struct rd rd_sub_upto(struct rd *r, size_t n, int *cut)
{
	size_t have = rd_left(r);
	*cut = n > have;
	return rd_sub(r, *cut ? have : n);
}

#endif /* APN_UTIL_READER_H */
