/*
 * counters.c - the names of the counters in counters.h.
 */
#include "counters.h"

const char *const counter_names[CNT__MAX] = {
#define APN_X(id, name) name,
	APN_COUNTERS(APN_X)
#undef APN_X
};
