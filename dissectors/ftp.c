/* ftp.c - placeholder until the FTP dissector lands; takes no flow. */
#include <stdlib.h>

#include "dissector.h"
#include "ftp.h"

struct ftp_expect {
	size_t max;
};

struct ftp_expect *ftp_expect_new(size_t max)
{
	struct ftp_expect *fe = calloc(1, sizeof(*fe));
	if (fe)
		fe->max = max;
	return fe;
}

void ftp_expect_free(struct ftp_expect *fe) { free(fe); }

const struct dissector dissector_ftp = {.name = "ftp", .transport = 0};
const struct dissector dissector_ftp_data = {.name = "ftp_data", .transport = 0};
