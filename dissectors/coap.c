/* coap.c - placeholder until the coap dissector lands; takes no flow. */
#include "dissector.h"

const struct dissector dissector_coap = {.name = "coap", .transport = 0};
