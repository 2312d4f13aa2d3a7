/* mqtt.c - placeholder until the mqtt dissector lands; takes no flow. */
#include "dissector.h"

const struct dissector dissector_mqtt = {.name = "mqtt", .transport = 0};
