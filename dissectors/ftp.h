/*
 * ftp.h - FTP data connections announced on control connections (PASV,
 * EPSV, PORT, EPRT): the FTP dissector records them, the ftp-data
 * dissector claims the flow that matches and links it to its control flow.
 *
 * An expectation is an endpoint (address, port) a data connection will
 * use, with the announcing control flow's Community ID and, once the
 * client asked for it, the transfer command (RETR name, STOR name, LIST).
 * Expectations live FTP_EXPECT_TTL_US of packet time (120 s); the table keeps
 * at most max of them and drops the oldest when full.  One endpoint holds
 * one expectation: a newer announcement of the same endpoint replaces it.
 *
 * Once its data flow took it with its command, an expectation stays (no
 * other flow can claim it) so that the control connection's later news
 * reach the data flow by handle: the size from "150 ... (N bytes)" and
 * the final reply (226).  Each such news renews its life.
 */
#ifndef APN_FTP_H
#define APN_FTP_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "packet.h"
#include "util-communityid.h"

#define FTP_NAME_MAX 255 /* bytes kept of a file name, a user, a command line */
#define FTP_EXPECT_TTL_US (120ull * 1000000)
#define FTP_SERVER_MAX 48 /* "[" IPv6 "]" and NUL */

/* What a data connection learns from its control connection. */
struct ftp_expect_info {
	char control[COMMUNITY_ID_LEN]; /* the control flow's Community ID */
	char command[5];                /* "RETR", "STOR", "LIST", ...; "" while unknown */
	char file[FTP_NAME_MAX + 1];    /* the command's argument (NUL-free); "" when none */
	char server[FTP_SERVER_MAX];    /* the control server's address as a URL host */
	uint64_t size;                  /* the file's size (SIZE, 150 reply); 0 unknown */
	uint16_t reply;                 /* the command's final reply (226...); 0 not yet */
	uint64_t handle;                /* the expectation, for ftp_expect_get() */
};

struct ftp_expect;

/* Returns NULL when out of memory; at most max expectations are kept
 * (a max of 0 keeps one). */
struct ftp_expect *ftp_expect_new(size_t max);
void ftp_expect_free(struct ftp_expect *fe);

/* Expects a connection to or from addr:port, announced at now_us on the
 * control flow control_id.  Returns a handle for ftp_expect_set_command
 * (never 0); 0 when fe is NULL or addr has no family.  Sets *dropped to 1
 * when a live expectation had to go to make room (may be NULL). */
uint64_t ftp_expect_add(struct ftp_expect *fe, const struct ip_addr *addr, uint16_t port,
			const char *control_id, uint64_t now_us, int *dropped);
/* Records the transfer command (name up to 4 letters) and its argument
 * (arg_len bytes, cut at FTP_NAME_MAX) of the expectation handle; does
 * nothing when it is gone. */
void ftp_expect_set_command(struct ftp_expect *fe, uint64_t handle, const char *command,
			    const uint8_t *arg, size_t arg_len);
/* Records the control server's address (a URL host) for handle. */
void ftp_expect_set_server(struct ftp_expect *fe, uint64_t handle, const char *server);
/* Records what the control connection said of handle's transfer at now_us:
 * a size when not 0, a final reply code when not 0; renews its life.  Does
 * nothing when it is gone. */
void ftp_expect_set_reply(struct ftp_expect *fe, uint64_t handle, uint64_t size, uint16_t reply,
			  uint64_t now_us);
/* Copies expectation handle into *out and returns 1; 0 when it is gone. */
int ftp_expect_get(const struct ftp_expect *fe, uint64_t handle, struct ftp_expect_info *out);
/* 1 when an expectation alive at now_us, not taken yet, matches either end
 * of key (the newest wins); it is then bound to key.  0 otherwise. */
int ftp_expect_claim(struct ftp_expect *fe, const struct flow_key *key, uint64_t now_us);
/* Copies the expectation bound to key into *out and returns 1; 0 when
 * none.  Once its command is known it is taken: a flow that asks before
 * the client sent the command can ask again, but once only after; later
 * news come through ftp_expect_get(). */
int ftp_expect_take(struct ftp_expect *fe, const struct flow_key *key,
		    struct ftp_expect_info *out);
/* Expectations held (expired ones included until they are swept). */
size_t ftp_expect_count(const struct ftp_expect *fe);

/* Parses the six numbers "h1,h2,h3,h4,p1,p2" of PORT and of a 227 reply,
 * starting at the first digit of text (RFC 1123 4.1.2.6: do not rely on the
 * parentheses).  Returns 0, or -1 when a number is missing or over 255. */
int ftp_parse_hostport(const uint8_t *text, size_t len, struct ip_addr *addr, uint16_t *port);
/* Parses EPRT's "<d>af<d>addr<d>port<d>" (RFC 2428 2).  Returns 0, or -1. */
int ftp_parse_eprt(const uint8_t *text, size_t len, struct ip_addr *addr, uint16_t *port);
/* Parses the port of a 229 reply's "(<d><d><d>port<d>)" (RFC 2428 3).
 * Returns 0, or -1. */
int ftp_parse_epsv(const uint8_t *text, size_t len, uint16_t *port);

#endif /* APN_FTP_H */
