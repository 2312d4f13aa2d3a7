/* identity.c - placeholder until the subscriber table lands. */
#include <stdlib.h>

#include "identity.h"

struct identity_table {
	int unused;
};

void identity_config_defaults(struct identity_config *c)
{
	*c = (struct identity_config){.max_subscribers = 1000000};
}

struct identity_table *identity_new(const struct identity_config *cfg, struct counters *c,
				    struct output *out)
{
	(void)cfg; (void)c; (void)out;
	return calloc(1, sizeof(struct identity_table));
}

void identity_free(struct identity_table *t) { free(t); }
void identity_json_device(struct identity_table *t, const struct flow *f, struct jw *w)
{
	(void)t; (void)f; (void)w;
}
void identity_json_apnwatch(struct identity_table *t, const struct flow *f, struct jw *w)
{
	(void)t; (void)f; (void)w;
}
