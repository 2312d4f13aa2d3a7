/*
 * ftp.h - FTP data connections announced on control connections (PASV,
 * EPSV, PORT, EPRT): the FTP dissector records them, the ftp-data
 * dissector claims the flow that matches and links it to its control flow.
 */
#ifndef APN_FTP_H
#define APN_FTP_H

#include <stddef.h>
#include <stdint.h>

#include "packet.h"

struct ftp_expect;

/* Returns NULL when out of memory; at most max expectations are kept. */
struct ftp_expect *ftp_expect_new(size_t max);
void ftp_expect_free(struct ftp_expect *fe);

#endif /* APN_FTP_H */
