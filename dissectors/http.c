/* http.c - placeholder until the http dissector lands; takes no flow. */
#include "dissector.h"

const struct dissector dissector_http = {.name = "http", .transport = 0};
