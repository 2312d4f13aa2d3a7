/* gtpv2c.c - placeholder until the gtpv2c dissector lands; takes no flow. */
#include "dissector.h"

const struct dissector dissector_gtpv2c = {.name = "gtpv2c", .transport = 0};
