/*
 * util-log.c - messages for the operator, on stderr, prefixed by the
 * program name so they read well in a journal.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util-log.h"

static int quiet;

void log_set_quiet(int q) { quiet = q; }

static void vlog(const char *level, const char *fmt, va_list ap)
{
	fprintf(stderr, "apnwatch: %s", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void log_info(const char *fmt, ...)
{
	va_list ap;
	if (quiet)
		return;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void log_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("error: ", fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("fatal: ", fmt, ap);
	va_end(ap);
	exit(1);
}
