/* intent.c - placeholder: being written (see intent.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "dissector.h"
#include "intent.h"

static const char *const intent_names[INTENT__MAX] = {
	"other", "fota", "device_management", "telemetry", "location", "gnss_assist", "cloud",
};

const char *intent_str(enum intent i)
{
	return (unsigned)i < INTENT__MAX ? intent_names[i] : "other";
}

int intent_parse(const char *s)
{
	for (int i = 0; i < INTENT__MAX; i++)
		if (strcmp(s, intent_names[i]) == 0)
			return i;
	return -1;
}

const char *confidence_str(enum confidence c)
{
	return c == CONF_CONFIRMED ? "confirmed" : c == CONF_PROBABLE ? "probable" : "none";
}

void intent_vote(struct intent_input *in, enum intent i, enum confidence c, const char *fmt, ...)
{
	if (in->n_votes >= INTENT_EVIDENCE_MAX)
		return;
	struct intent_vote *v = &in->votes[in->n_votes++];
	v->intent = i;
	v->conf = c;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
}

void intent_decide(const struct catalog *cat, const struct flow *f, const struct intent_input *in,
		   struct intent_result *out)
{
	(void)cat;
	(void)f;
	(void)in;
	memset(out, 0, sizeof(*out));
}

int intent_transfer_is_firmware(const struct intent_result *r, const struct app_transfer *t,
				const char **why)
{
	(void)r;
	(void)t;
	*why = NULL;
	return 0;
}
