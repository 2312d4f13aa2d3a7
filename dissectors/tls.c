/* tls.c - placeholder until the tls dissector lands; takes no flow. */
#include "dissector.h"

const struct dissector dissector_tls = {.name = "tls", .transport = 0};
