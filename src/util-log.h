/*
 * util-log.h - messages for the operator, on stderr.
 *
 * Packet input never calls fatal(): it is for start-up and for broken
 * invariants only.  Anomalies in traffic are counters, not log lines.
 */
#ifndef APN_UTIL_LOG_H
#define APN_UTIL_LOG_H

#include <stdnoreturn.h>

void log_set_quiet(int quiet);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* APN_UTIL_LOG_H */
