/* radius.c - placeholder until the radius dissector lands; takes no flow. */
#include "dissector.h"

const struct dissector dissector_radius = {.name = "radius", .transport = 0};
