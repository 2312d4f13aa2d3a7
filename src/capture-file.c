/*
 * capture-file.c - pcap and pcapng files, read by us rather than libpcap.
 *
 * libpcap refuses a pcapng file whose interfaces have different link types
 * ("an interface has a type X different from the type of the first
 * interface"); merged captures have them.  So we read both formats here,
 * going by the magic number, never the file name:
 *
 *   pcap:   a1b2c3d4 (microseconds) or a1b23c4d (nanoseconds), either
 *           byte order; 24-byte header, 16-byte record headers.
 *   pcapng: blocks of  type(4) total_length(4) body total_length(4);
 *           Section Header (0x0a0d0d0a, byte-order magic 0x1a2b3c4d) sets
 *           the byte order, Interface Description (1) gives each interface
 *           its link type and timestamp resolution (if_tsresol, option 9)
 *           and offset (if_tsoffset, option 14), Enhanced (6), Simple (3)
 *           and obsolete (2) Packet blocks carry packets; other blocks are
 *           skipped.  (draft-ietf-opsawg-pcapng)
 *
 * Block contents are untrusted and parsed with the checked reader.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "util-reader.h"

#define PCAP_MAX_RECORD (256u * 1024u)        /* larger caplen: a corrupt file */
#define PCAPNG_MAX_BLOCK (16u * 1024u * 1024u) /* larger block: a corrupt file */
#define PCAPNG_MAX_IFACES 256

struct pcapng_iface {
	int linktype;
	uint64_t units;     /* timestamp units per second */
	int64_t offset_s;   /* if_tsoffset */
};

struct pcapfile {
	FILE *fp;
	int ng;      /* pcapng */
	int swap;    /* pcap: header written in the other byte order */
	int le;      /* pcapng: this section is little-endian */
	int nsec;    /* pcap: nanosecond timestamps */
	int linktype;
	uint8_t *buf;
	size_t cap;
	struct pcapng_iface ifaces[PCAPNG_MAX_IFACES];
	unsigned n_ifaces;
	char err[160];
};

static int buf_reserve(struct pcapfile *f, size_t n)
{
	if (n <= f->cap)
		return 0;
	uint8_t *b = realloc(f->buf, n);
	if (b == NULL)
		return -1;
	f->buf = b;
	f->cap = n;
	return 0;
}

/* Reads exactly n bytes; 1 = ok, 0 = clean end before any byte, -1 = cut. */
static int read_exact(struct pcapfile *f, void *dst, size_t n)
{
	size_t got = fread(dst, 1, n, f->fp);
	if (got == n)
		return 1;
	if (got == 0 && feof(f->fp))
		return 0;
	return -1;
}

static uint32_t u32_of(const uint8_t *b, int le)
{
	return le ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24
		  : (uint32_t)b[3] | (uint32_t)b[2] << 8 | (uint32_t)b[1] << 16 | (uint32_t)b[0] << 24;
}

static uint16_t rd16(struct rd *r, int le) { return le ? rd_le16(r) : rd_be16(r); }
static uint32_t rd32(struct rd *r, int le) { return le ? rd_le32(r) : rd_be32(r); }
static uint64_t rd64(struct rd *r, int le) { return le ? rd_le64(r) : rd_be64(r); }

/* Converts a timestamp in units-per-second to microseconds without
 * overflowing for any unit up to 2^63. */
static uint64_t ts_to_us(uint64_t ts, uint64_t units)
{
	if (units == 1000000)
		return ts;
	return ts / units * 1000000 + (ts % units) * 1000000 / units;
}

static int pcap_open_classic(struct pcapfile *f, const uint8_t hdr[24])
{
	uint32_t magic = u32_of(hdr, 1);
	switch (magic) {
	case 0xa1b2c3d4: f->swap = 0; f->nsec = 0; break;
	case 0xd4c3b2a1: f->swap = 1; f->nsec = 0; break;
	case 0xa1b23c4d: f->swap = 0; f->nsec = 1; break;
	case 0x4d3cb2a1: f->swap = 1; f->nsec = 1; break;
	default: return -1;
	}
	/* The link type is the low 16 bits; the upper ones may carry FCS
	 * information. */
	f->linktype = (int)(u32_of(hdr + 20, !f->swap) & 0xffff);
	return 0;
}

static int pcap_next_classic(struct pcapfile *f, struct capture_pkt *out)
{
	uint8_t h[16];
	int r = read_exact(f, h, sizeof(h));
	if (r == 0)
		return 0;
	if (r < 0) {
		snprintf(f->err, sizeof(f->err), "file ends inside a record header");
		return -1;
	}
	int le = !f->swap;
	uint32_t sec = u32_of(h, le), frac = u32_of(h + 4, le);
	uint32_t caplen = u32_of(h + 8, le), wirelen = u32_of(h + 12, le);
	if (caplen > PCAP_MAX_RECORD) {
		snprintf(f->err, sizeof(f->err), "record claims %u captured bytes (corrupt file)", caplen);
		return -1;
	}
	if (buf_reserve(f, caplen ? caplen : 1) < 0) {
		snprintf(f->err, sizeof(f->err), "out of memory");
		return -1;
	}
	if (caplen && read_exact(f, f->buf, caplen) != 1) {
		snprintf(f->err, sizeof(f->err), "file ends inside a packet (cut capture)");
		return -1;
	}
	out->data = f->buf;
	out->caplen = caplen;
	out->wirelen = wirelen < caplen ? caplen : wirelen;
	out->ts_us = (uint64_t)sec * 1000000 + (f->nsec ? frac / 1000 : frac);
	out->linktype = f->linktype;
	return 1;
}

/* Section Header Block body (after type and length): sets the byte order. */
static int pcapng_section(struct pcapfile *f, const uint8_t *body, size_t len)
{
	if (len < 4)
		return -1;
	uint32_t bom = u32_of(body, 1);
	if (bom == 0x1a2b3c4d)
		f->le = 1;
	else if (bom == 0x4d3c2b1a)
		f->le = 0;
	else
		return -1;
	f->n_ifaces = 0; /* interface ids are per section */
	return 0;
}

static void pcapng_interface(struct pcapfile *f, struct rd *r)
{
	struct pcapng_iface ifc = {0, 1000000, 0};
	ifc.linktype = rd16(r, f->le);
	rd_skip(r, 2 + 4); /* reserved, snaplen */
	while (rd_left(r) >= 4) {
		uint16_t code = rd16(r, f->le), olen = rd16(r, f->le);
		struct rd opt = rd_sub(r, olen);
		rd_skip(r, (4 - olen % 4) % 4);
		if (code == 0)
			break;
		if (code == 9 && olen >= 1) {
			uint8_t v = rd_u8(&opt);
			uint64_t units = 1;
			unsigned exp = v & 0x7f;
			if (v & 0x80)
				units = exp < 63 ? (uint64_t)1 << exp : 0;
			else
				for (unsigned i = 0; i < exp && units && units <= UINT64_MAX / 10; i++)
					units *= 10;
			if (units >= 1 && ((v & 0x80) ? exp < 63 : exp <= 19))
				ifc.units = units;
		} else if (code == 14 && olen >= 8) {
			ifc.offset_s = (int64_t)rd64(&opt, f->le);
		}
	}
	if (f->n_ifaces < PCAPNG_MAX_IFACES)
		f->ifaces[f->n_ifaces++] = ifc;
}

static int pcapng_packet(struct pcapfile *f, uint32_t type, struct rd *r, struct capture_pkt *out)
{
	uint32_t ifid = 0, caplen, wirelen;
	uint64_t ts = 0;
	if (type == 6 || type == 2) {
		if (type == 6) {
			ifid = rd32(r, f->le);
		} else {
			ifid = rd16(r, f->le);
			rd_skip(r, 2); /* drops count */
		}
		uint32_t hi = rd32(r, f->le), lo = rd32(r, f->le);
		ts = (uint64_t)hi << 32 | lo;
		caplen = rd32(r, f->le);
		wirelen = rd32(r, f->le);
	} else { /* simple packet block: no timestamp, interface 0 */
		wirelen = rd32(r, f->le);
		caplen = (uint32_t)(rd_left(r) < wirelen ? rd_left(r) : wirelen);
	}
	if (!rd_ok(r) || caplen > rd_left(r)) {
		snprintf(f->err, sizeof(f->err), "packet block shorter than its captured length");
		return -1;
	}
	if (ifid >= f->n_ifaces) {
		snprintf(f->err, sizeof(f->err), "packet names interface %u, which was not described", ifid);
		return -1;
	}
	const struct pcapng_iface *ifc = &f->ifaces[ifid];
	out->data = rd_ptr(r);
	out->caplen = caplen;
	out->wirelen = wirelen < caplen ? caplen : wirelen;
	out->ts_us = ts_to_us(ts, ifc->units) + (uint64_t)(ifc->offset_s * 1000000);
	out->linktype = ifc->linktype;
	return 1;
}

static int pcapng_next(struct pcapfile *f, struct capture_pkt *out)
{
	for (;;) {
		uint8_t h[8];
		int r = read_exact(f, h, sizeof(h));
		if (r == 0)
			return 0;
		if (r < 0) {
			snprintf(f->err, sizeof(f->err), "file ends inside a block header");
			return -1;
		}
		uint32_t type = u32_of(h, f->le);
		uint32_t total = u32_of(h + 4, f->le);
		if (type == 0x0a0d0d0a) {
			/* A new section may switch byte order: its length is read
			 * after its byte-order magic. */
			uint8_t bom[4];
			if (read_exact(f, bom, 4) != 1) {
				snprintf(f->err, sizeof(f->err), "file ends inside a section header");
				return -1;
			}
			if (pcapng_section(f, bom, 4) < 0) {
				snprintf(f->err, sizeof(f->err), "section header with a bad byte-order magic");
				return -1;
			}
			total = u32_of(h + 4, f->le);
			if (total < 28 || total > PCAPNG_MAX_BLOCK || total % 4) {
				snprintf(f->err, sizeof(f->err), "section header length %u is invalid", total);
				return -1;
			}
			if (buf_reserve(f, total) < 0 || read_exact(f, f->buf, total - 12) != 1) {
				snprintf(f->err, sizeof(f->err), "file ends inside a section header");
				return -1;
			}
			continue;
		}
		if (total < 12 || total > PCAPNG_MAX_BLOCK || total % 4) {
			snprintf(f->err, sizeof(f->err), "block of type 0x%x has invalid length %u", type, total);
			return -1;
		}
		if (buf_reserve(f, total) < 0) {
			snprintf(f->err, sizeof(f->err), "out of memory");
			return -1;
		}
		if (read_exact(f, f->buf, total - 8) != 1) {
			snprintf(f->err, sizeof(f->err), "file ends inside a block (cut capture)");
			return -1;
		}
		if (u32_of(f->buf + total - 12, f->le) != total) {
			snprintf(f->err, sizeof(f->err), "block of type 0x%x: trailing length disagrees", type);
			return -1;
		}
		struct rd body = rd_init(f->buf, total - 12);
		if (type == 1) {
			pcapng_interface(f, &body);
		} else if (type == 6 || type == 3 || type == 2) {
			return pcapng_packet(f, type, &body, out);
		}
		/* Other blocks (name resolution, statistics, secrets, custom): skip. */
	}
}

struct pcapfile *pcapfile_open(const char *path, char *err, size_t errlen)
{
	struct pcapfile *f = calloc(1, sizeof(*f));
	uint8_t hdr[24];
	if (f == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->fp = fopen(path, "rb");
	if (f->fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto err;
	}
	setvbuf(f->fp, NULL, _IOFBF, 1 << 20); /* fewer reads on big files */
	if (read_exact(f, hdr, 4) != 1) {
		snprintf(err, errlen, "%s: too short to be a capture file", path);
		goto err;
	}
	if (u32_of(hdr, 1) == 0x0a0d0d0a) {
		f->ng = 1;
		rewind(f->fp);
		return f;
	}
	if (read_exact(f, hdr + 4, 20) != 1 || pcap_open_classic(f, hdr) < 0) {
		snprintf(err, errlen, "%s: not a pcap or pcapng file", path);
		goto err;
	}
	return f;
err:
	pcapfile_close(f);
	return NULL;
}

int pcapfile_next(struct pcapfile *f, struct capture_pkt *out)
{
	return f->ng ? pcapng_next(f, out) : pcap_next_classic(f, out);
}

const char *pcapfile_error(const struct pcapfile *f) { return f->err; }

void pcapfile_close(struct pcapfile *f)
{
	if (f == NULL)
		return;
	if (f->fp)
		fclose(f->fp);
	free(f->buf);
	free(f);
}
