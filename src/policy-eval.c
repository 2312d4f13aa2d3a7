/*
 * policy-eval.c - judging a flow or a firmware transfer against a
 * compiled policy (policy-int.h), and the state that outlives a policy:
 * dedup windows and campaign counters.
 *
 * A subject visits only the rules that can match it, in policy order:
 * those of its (event, intent) pair without a guard, and those whose
 * guard its values hit in the guard index (policy-int.h); each is
 * evaluated in full, each test one lookup in a compiled set.  The first
 * matching allow / alert / block rule decides; campaign rules are
 * all evaluated, whatever the decision (an allowed server can still push
 * a wave of updates: campaigns say so, exclude it in the campaign's when).
 *
 * Runtime state lives in one hash table of entries keyed by strings that
 * start with the rule id (so a reloaded policy finds its rules' state
 * again): dedup windows (rule, device, server), campaign keys (rule,
 * group value) and campaign devices (rule, group value, device).  One
 * least-recently-used list over all of them bounds the memory: past
 * max_entries the oldest goes (a key's devices are always older than the
 * key, since touching a device touches its key after it).  Times are
 * packet times; a clock that jumps back counts as distance, not as
 * "before".
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "dissector.h"
#include "flow.h"
#include "output.h"
#include "policy-int.h"
#include "util-cidr.h"
#include "util-sha256.h"

#define RT_KEY_PART_MAX 255 /* bytes of one key part (ids, devices, values) */
#define RT_KEY_MAX      (4 * (RT_KEY_PART_MAX + 1) + 2)
#define POL_DESC_MAX    800 /* a hit's description with its note */

enum { RT_DEDUP = 1, RT_CKEY, RT_CDEV };

struct rt_entry {
	struct rt_entry *hnext;
	struct rt_entry *older, *newer; /* the LRU list */
	struct rt_entry *parent;        /* a campaign device: its key */
	struct rt_entry *dprev, *dnext; /* a campaign key's devices, least recent first */
	struct rt_entry *dhead, *dtail; /* a campaign key: its devices */
	uint64_t ndev;                  /* a campaign key: devices in its list */
	uint64_t t_us;                  /* dedup: last alert; device: last sighting */
	uint64_t fired_us;              /* a campaign key: its last alert */
	uint64_t suppressed;            /* dedup: repeats since the last alert */
	uint32_t h;
	uint8_t kind, fired;
	uint16_t dev_off; /* a campaign device: where its id starts in key */
	size_t klen;
	char key[]; /* parts separated by NUL, NUL at the end */
};

struct policy_runtime {
	struct rt_entry **b;
	size_t nb, n, max;
	struct rt_entry *oldest, *newest;
	struct policy_runtime_stats st;
};

/* ---- runtime table ------------------------------------------------------- */

struct policy_runtime *policy_runtime_new(size_t max_entries)
{
	struct policy_runtime *rt = calloc(1, sizeof(*rt));
	if (!rt)
		return NULL;
	rt->max = max_entries ? max_entries : POLICY_RUNTIME_DEFAULT;
	rt->nb = 1024;
	if (!(rt->b = calloc(rt->nb, sizeof(*rt->b)))) {
		free(rt);
		return NULL;
	}
	return rt;
}

void policy_runtime_free(struct policy_runtime *rt)
{
	if (!rt)
		return;
	for (struct rt_entry *e = rt->oldest, *nx; e; e = nx) {
		nx = e->newer;
		free(e);
	}
	free(rt->b);
	free(rt);
}

void policy_runtime_get_stats(const struct policy_runtime *rt, struct policy_runtime_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (rt) {
		*st = rt->st;
		st->entries = rt->n;
	}
}

static uint32_t key_hash(const char *k, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 16777619u;
	return h;
}

static struct rt_entry *rt_find(struct policy_runtime *rt, const char *k, size_t n, uint32_t h)
{
	for (struct rt_entry *e = rt->b[h & (rt->nb - 1)]; e; e = e->hnext)
		if (e->h == h && e->klen == n && memcmp(e->key, k, n) == 0)
			return e;
	return NULL;
}

static void lru_unlink(struct policy_runtime *rt, struct rt_entry *e)
{
	if (e->older)
		e->older->newer = e->newer;
	else
		rt->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		rt->newest = e->older;
	e->older = e->newer = NULL;
}

static void lru_append(struct policy_runtime *rt, struct rt_entry *e)
{
	e->older = rt->newest;
	e->newer = NULL;
	if (rt->newest)
		rt->newest->newer = e;
	else
		rt->oldest = e;
	rt->newest = e;
}

static void rt_touch(struct policy_runtime *rt, struct rt_entry *e)
{
	if (rt->newest != e) {
		lru_unlink(rt, e);
		lru_append(rt, e);
	}
}

static void dev_unlink(struct rt_entry *d)
{
	struct rt_entry *k = d->parent;
	if (d->dprev)
		d->dprev->dnext = d->dnext;
	else
		k->dhead = d->dnext;
	if (d->dnext)
		d->dnext->dprev = d->dprev;
	else
		k->dtail = d->dprev;
	d->dprev = d->dnext = NULL;
	k->ndev--;
}

static void dev_append(struct rt_entry *k, struct rt_entry *d)
{
	d->parent = k;
	d->dprev = k->dtail;
	d->dnext = NULL;
	if (k->dtail)
		k->dtail->dnext = d;
	else
		k->dhead = d;
	k->dtail = d;
	k->ndev++;
}

/* Removes e (a campaign key with its devices).  Returns the number of
 * entries removed. */
static size_t rt_remove(struct policy_runtime *rt, struct rt_entry *e)
{
	size_t removed = 1;
	while (e->kind == RT_CKEY && e->dhead)
		removed += rt_remove(rt, e->dhead);
	if (e->kind == RT_CDEV)
		dev_unlink(e);
	struct rt_entry **pp = &rt->b[e->h & (rt->nb - 1)];
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(rt, e);
	rt->n--;
	free(e);
	return removed;
}

static void rt_grow(struct policy_runtime *rt)
{
	size_t nb = rt->nb * 2;
	struct rt_entry **b = calloc(nb, sizeof(*b));
	if (!b)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < rt->nb; i++) {
		for (struct rt_entry *e = rt->b[i], *nx; e; e = nx) {
			nx = e->hnext;
			e->hnext = b[e->h & (nb - 1)];
			b[e->h & (nb - 1)] = e;
		}
	}
	free(rt->b);
	rt->b = b;
	rt->nb = nb;
}

/* A new entry (the newest), after evicting the oldest ones but protect to
 * stay under max.  NULL when there is no room or no memory. */
static struct rt_entry *rt_insert(struct policy_runtime *rt, int kind, const char *k, size_t n,
				  uint32_t h, struct rt_entry *protect)
{
	while (rt->n >= rt->max) {
		struct rt_entry *old = rt->oldest;
		if (old == protect)
			old = old->newer;
		if (!old)
			return NULL;
		rt->st.evictions += rt_remove(rt, old);
	}
	struct rt_entry *e = calloc(1, sizeof(*e) + n + 1);
	if (!e)
		return NULL;
	e->kind = (uint8_t)kind;
	e->h = h;
	e->klen = n;
	memcpy(e->key, k, n);
	if (rt->n >= rt->nb)
		rt_grow(rt);
	e->hnext = rt->b[h & (rt->nb - 1)];
	rt->b[h & (rt->nb - 1)] = e;
	lru_append(rt, e);
	rt->n++;
	return e;
}

/* Builds "KIND\0part\0part..." in buf; parts are cut at RT_KEY_PART_MAX.
 * Returns the length (the last NUL excluded); *off_last gets where the
 * last part starts. */
static size_t key_build(char *buf, int kind, const char *const *parts, size_t n, size_t *off_last)
{
	size_t len = 0;
	buf[len++] = (char)kind;
	for (size_t i = 0; i < n; i++) {
		size_t l = strnlen(parts[i], RT_KEY_PART_MAX);
		buf[len++] = '\0';
		if (off_last)
			*off_last = len;
		memcpy(buf + len, parts[i], l);
		len += l;
	}
	buf[len] = '\0';
	return len;
}

static uint64_t distance(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

/* ---- the subject --------------------------------------------------------- */

struct view {
	const struct policy_subject *s;
	int fw; /* PEV_FIRMWARE for a transfer */
	int intent, conf;
	struct ip_addr src, dst;
	char src_str[IP_ADDR_STRLEN], dst_str[IP_ADDR_STRLEN];
	int hash_known;
	char hash[65];
	enum pol_field unknown;    /* the first field a negated test took as unknown */
	int8_t memo[POL_MEMO_MAX]; /* 0: not looked up yet; else the answer + 2 */
};

static void view_init(struct view *v, const struct policy *p, const struct policy_subject *s)
{
	uint16_t port;
	memset(v, 0, offsetof(struct view, memo));
	memset(v->memo, 0, (size_t)p->n_memo);
	v->s = s;
	v->fw = s->t ? PEV_FIRMWARE : PEV_FLOW;
	v->intent = (unsigned)s->en->intent.intent < INTENT__MAX ? (int)s->en->intent.intent : 0;
	v->conf = (int)s->en->intent.conf;
	if (s->f) {
		flow_source(s->f, &v->src, &port);
		flow_destination(s->f, &v->dst, &port);
		ip_addr_str(&v->src, v->src_str, sizeof(v->src_str));
		ip_addr_str(&v->dst, v->dst_str, sizeof(v->dst_str));
	}
	if (s->t && s->t->hash_state == TRANSFER_HASH_OK) {
		v->hash_known = 1;
		sha256_hex(s->t->sha256, v->hash);
	}
	v->unknown = F__MAX;
}

static int known(const char *s) { return s && s[0]; }

static int has_str(const struct pol_set *st, const char *s)
{
	return known(s) ? pol_strset_has(&st->strs, s, strlen(s)) : -1;
}

static int has_country(const struct pol_set *st, const char *cc)
{
	int k = pol_country_index(cc);
	return k < 0 ? -1 : (st->country[k / 8] >> (k % 8)) & 1;
}

/* The device's TAC as a number, or -1. */
static int64_t device_tac(const char *imei)
{
	int64_t v = 0;
	if (!imei)
		return -1;
	for (int i = 0; i < 8; i++) {
		if (imei[i] < '0' || imei[i] > '9')
			return -1;
		v = v * 10 + (imei[i] - '0');
	}
	return v;
}

static int has_tagged(const struct pol_set *st, const char *tag, const char *val)
{
	char buf[16 + 512 + 1];
	int n = snprintf(buf, sizeof(buf), "%s:%s", tag, val);
	return n > 0 && (size_t)n < sizeof(buf) && pol_strset_has(&st->strs, buf, (size_t)n);
}

/* A device set: any of its members that the device shows.  -1 when the
 * device shows nothing to compare. */
static int device_in(const struct view *v, const struct pol_set *st)
{
	const struct policy_subject *s = v->s;
	int64_t tac = device_tac(s->imei);
	int any = 0;
	if (known(s->apn)) {
		any = 1;
		if (has_tagged(st, "apn", s->apn))
			return 1;
	}
	if (known(s->imei)) {
		any = 1;
		if (has_tagged(st, "imei", s->imei))
			return 1;
	}
	if (known(s->imsi)) {
		any = 1;
		if (pol_imsi_has(st, s->imsi))
			return 1;
	}
	if (v->src.family) {
		any = 1;
		if (pol_trie_has(st, &v->src))
			return 1;
	}
	if (tac >= 0 && pol_numset_has(&st->nums, (uint64_t)tac))
		return 1;
	return any || tac >= 0 ? 0 : -1;
}

/* 1: the subject's field is in the set; 0: it is not; -1: unknown. */
static int test(const struct view *v, const struct pol_expr *e)
{
	const struct policy_subject *s = v->s;
	const struct flow_enrich *en = s->en;
	const struct catalog_vendor *vd = en->intent.vendor;
	const struct pol_set *st = e->set;
	int64_t tac;

	switch (e->field) {
	case F_INTENT: return (st->mask >> v->intent) & 1;
	case F_CONFIDENCE: return (st->mask >> v->conf) & 1;
	case F_EVENT: return (st->mask >> v->fw) & 1;
	case F_VENDOR_NAME: return has_str(st, vd ? vd->name : NULL);
	case F_VENDOR_COUNTRY: return has_country(st, vd ? vd->country : NULL);
	case F_SERVER_COUNTRY: return has_country(st, en->has_geo ? en->geo.country : NULL);
	case F_SERVER_ASN:
		return en->has_geo && en->geo.asn ? pol_numset_has(&st->nums, en->geo.asn) : -1;
	case F_SERVER_DOMAIN: return known(en->domain) ? pol_domain_has(st, en->domain) : -1;
	case F_SERVER_IP: return v->dst.family ? pol_trie_has(st, &v->dst) : -1;
	case F_DEVICE_IP: return v->src.family ? pol_trie_has(st, &v->src) : -1;
	case F_DEVICE_MAKER: return has_str(st, s->maker);
	case F_DEVICE_MODEL: return has_str(st, s->model);
	case F_DEVICE_APN: return has_str(st, s->apn);
	case F_DEVICE_IMEI: return has_str(st, s->imei);
	case F_DEVICE_TAC:
		tac = device_tac(s->imei);
		return tac < 0 ? -1 : pol_numset_has(&st->nums, (uint64_t)tac);
	case F_DEVICE_IMSI: return known(s->imsi) ? pol_imsi_has(st, s->imsi) : -1;
	case F_DEVICE: return device_in(v, st);
	case F_FIRMWARE_HASH: return v->hash_known ? pol_strset_has(&st->strs, v->hash, 64) : -1;
	case F_FIRMWARE_NAME: return has_str(st, s->t ? s->t->name : NULL);
	case F_PROTOCOL: return has_str(st, s->protocol);
	case F_ANY: return 1;
	case F__MAX: break;
	}
	return -1;
}

/* test(), done once per evaluation for a (field, named set) pair. */
static int memo_test(struct view *v, const struct pol_expr *e)
{
	if (!v->memo[e->memo])
		v->memo[e->memo] = (int8_t)(test(v, e) + 2);
	return v->memo[e->memo] - 2;
}

/* 0 when the rule's guard is false: the rule cannot match. */
static int guard_holds(struct view *v, const struct policy *p, const struct pol_ient *ie)
{
	int r;
	if (ie->guard < 0)
		return 1;
	if (ie->guard_fw && v->fw != PEV_FIRMWARE)
		return 0;
	r = memo_test(v, &p->memo_test[ie->guard]);
	return r < 0 ? ie->guard_neg : r ^ ie->guard_neg;
}

/* An unknown value is in no set: "in" is false, "not in" is true (and
 * noted, for the alert's description).  Firmware fields of a flow are not
 * unknown but absent: every test of them is false. */
static int eval(struct view *v, const struct pol_expr *e)
{
	int r;
	switch (e->kind) {
	case PE_AND: return eval(v, e->a) && eval(v, e->b);
	case PE_OR: return eval(v, e->a) || eval(v, e->b);
	case PE_NOT: return !eval(v, e->a);
	case PE_TEST: break;
	}
	if (pol_fields[e->field].firmware_only && v->fw != PEV_FIRMWARE)
		return 0;
	if (e->memo >= 0) {
		r = memo_test(v, e);
	} else {
		r = test(v, e);
	}
	if (r < 0) {
		if (e->negate && v->unknown == F__MAX)
			v->unknown = e->field;
		return e->negate;
	}
	return r ^ e->negate;
}

/* The value a campaign groups by, or NULL when unknown. */
static const char *group_value(const struct view *v, enum pol_field f, char *buf, size_t len)
{
	const struct flow_enrich *en = v->s->en;
	switch (f) {
	case F_SERVER_IP: return known(v->dst_str) ? v->dst_str : NULL;
	case F_SERVER_DOMAIN: return known(en->domain) ? en->domain : NULL;
	case F_SERVER_ASN:
		if (!en->has_geo || !en->geo.asn)
			return NULL;
		snprintf(buf, len, "AS%" PRIu32, en->geo.asn);
		return buf;
	case F_SERVER_COUNTRY:
		return en->has_geo && known(en->geo.country) ? en->geo.country : NULL;
	case F_VENDOR_NAME: return en->intent.vendor ? en->intent.vendor->name : NULL;
	case F_FIRMWARE_HASH: return v->hash_known ? v->hash : NULL;
	case F_FIRMWARE_NAME: return v->s->t && known(v->s->t->name) ? v->s->t->name : NULL;
	default: return NULL;
	}
}

static const char *device_id(const struct view *v)
{
	return known(v->s->imei) ? v->s->imei : known(v->src_str) ? v->src_str : NULL;
}

/* ---- decisions ----------------------------------------------------------- */

static void hit_init(struct policy_hit *h, const struct policy *p, const struct pol_rule *r)
{
	memset(h, 0, sizeof(*h));
	h->action = r->action;
	h->severity = r->severity;
	h->rule_id = r->id;
	h->rule_name = r->name;
	h->ruleset = p->name;
	h->description = r->description;
}

/* The rule's description, plus why it matched on a value it could not
 * see (an analyst must know that "not approved" meant "no hash"). */
static const char *describe(const struct view *v, const struct pol_rule *r, char *buf, size_t len)
{
	char note[200];
	if (v->unknown == F__MAX)
		return r->description;
	if (v->unknown == F_FIRMWARE_HASH)
		snprintf(note, sizeof(note),
			 "the image has no complete SHA-256 (hash %s): treated as not approved",
			 transfer_hash_state_str((enum transfer_hash_state)v->s->t->hash_state));
	else
		snprintf(note, sizeof(note), "%s unknown: treated as in no set",
			 pol_fields[v->unknown].name);
	if (r->description)
		snprintf(buf, len, "%s; %s", r->description, note);
	else
		snprintf(buf, len, "%s", note);
	return buf;
}

static void decided(const struct policy *p, struct policy_runtime *rt, const struct view *v,
		    const struct pol_rule *r, policy_emit_fn emit, void *arg)
{
	struct policy_hit h;
	char desc[POL_DESC_MAX];
	struct rt_entry *e = NULL;
	uint64_t now = v->s->now_us;

	hit_init(&h, p, r);
	h.description = describe(v, r, desc, sizeof(desc));
	if (r->dedup_us && rt) {
		const char *dev = device_id(v);
		const char *parts[3] = {r->id, dev ? dev : "", v->dst_str};
		char key[RT_KEY_MAX];
		size_t n = key_build(key, RT_DEDUP, parts, 3, NULL);
		uint32_t hh = key_hash(key, n);
		if ((e = rt_find(rt, key, n, hh)) && distance(now, e->t_us) < r->dedup_us) {
			e->suppressed++;
			rt->st.dedup_suppressed++;
			rt_touch(rt, e);
			return;
		}
		if (e)
			rt_touch(rt, e);
		else
			e = rt_insert(rt, RT_DEDUP, key, n, hh, NULL);
		if (e) {
			h.dedup_suppressed = e->suppressed;
			e->suppressed = 0;
			e->t_us = now;
		}
	}
	if (emit)
		emit(arg, v->s, &h);
}

static void campaign(const struct policy *p, struct policy_runtime *rt, const struct view *v,
		     const struct pol_rule *r, policy_emit_fn emit, void *arg)
{
	char vbuf[32], key[RT_KEY_MAX], shown[RT_KEY_PART_MAX + 32];
	const char *val = group_value(v, r->group, vbuf, sizeof(vbuf));
	const char *dev = device_id(v);
	const char *gname = pol_fields[r->group].name;
	uint64_t now = v->s->now_us;
	size_t n, off = 0;
	uint32_t h;
	struct rt_entry *k, *d;

	if (!rt || !val || !dev)
		return;
	const char *parts[4] = {r->id, gname, val, dev};
	n = key_build(key, RT_CKEY, parts, 3, NULL);
	h = key_hash(key, n);
	if ((k = rt_find(rt, key, n, h)))
		rt_touch(rt, k);
	else if (!(k = rt_insert(rt, RT_CKEY, key, n, h, NULL)))
		return;
	/* Devices last seen before the window are no longer part of it. */
	while (k->dhead && distance(now, k->dhead->t_us) > r->window_us)
		rt_remove(rt, k->dhead);

	n = key_build(key, RT_CDEV, parts, 4, &off);
	h = key_hash(key, n);
	if ((d = rt_find(rt, key, n, h))) {
		dev_unlink(d);
	} else if ((d = rt_insert(rt, RT_CDEV, key, n, h, k))) {
		d->dev_off = (uint16_t)off;
	} else {
		return;
	}
	d->t_us = now;
	dev_append(k, d);
	rt_touch(rt, d);
	rt_touch(rt, k); /* a key stays newer than its devices */

	if (k->ndev < r->threshold || (k->fired && distance(now, k->fired_us) < r->window_us))
		return;
	k->fired = 1;
	k->fired_us = now;
	rt->st.campaign_alerts++;

	struct policy_hit hit;
	hit_init(&hit, p, r);
	hit.campaign = 1;
	snprintf(shown, sizeof(shown), "%s %s",
		 r->group == F_SERVER_IP       ? "server"
		 : r->group == F_FIRMWARE_HASH ? "sha256"
					       : gname,
		 val);
	hit.campaign_key = shown;
	hit.campaign_intent = intent_str((enum intent)v->intent);
	hit.campaign_devices = k->ndev;
	hit.campaign_window_s = r->window_us / 1000000;
	for (struct rt_entry *x = k->dhead; x && hit.n_first < POLICY_CAMPAIGN_FIRST; x = x->dnext)
		hit.first_devices[hit.n_first++] = x->key + x->dev_off;
	if (emit)
		emit(arg, v->s, &hit);
}

/* ---- candidates: the guard index (policy-int.h) ---------------------------- */

int pol_no_guard_index;

#define CAND_STACK 256

/* The guarded rules a subject's values hit, then sorted and unique. */
struct cands {
	uint32_t *v;
	size_t n, cap;
	int failed; /* out of memory: walk every rule of the bucket instead */
	uint32_t stack[CAND_STACK];
};

static void cand_push(struct cands *c, uint32_t rule)
{
	if (c->n == c->cap) {
		size_t cap = c->cap * 2;
		uint32_t *v = c->v == c->stack ? malloc(cap * sizeof(*v))
					       : realloc(c->v, cap * sizeof(*v));
		if (!v) {
			c->failed = 1;
			return;
		}
		if (c->v == c->stack)
			memcpy(v, c->stack, sizeof(c->stack));
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = rule;
}

/* The rules of a guard list (+ 1) that can match the subject's bucket. */
static void cand_list(struct cands *c, const struct policy *p, uint32_t list, uint32_t bbit)
{
	if (!list)
		return;
	const struct pol_rlist *l = &p->guards.lists[list - 1];
	const uint32_t *r = p->guards.rules + l->off;
	for (uint32_t i = 0; i < l->n && !c->failed; i++)
		if (p->rules[r[i]].buckets & bbit)
			cand_push(c, r[i]);
}

static void cand_key(struct cands *c, const struct policy *p, uint32_t bbit, int field,
		     const char *s, uint64_t num)
{
	if ((p->guards.fields >> field) & 1)
		cand_list(c, p, pol_guard_find(&p->guards, field, s, s ? strlen(s) : 0, num), bbit);
}

static void cand_str(struct cands *c, const struct policy *p, uint32_t bbit, int field,
		     const char *s)
{
	if (known(s))
		cand_key(c, p, bbit, field, s, 0);
}

static void cand_country(struct cands *c, const struct policy *p, uint32_t bbit, int field,
			 const char *cc)
{
	int k = pol_country_index(cc);
	if (k >= 0)
		cand_key(c, p, bbit, field, NULL, (uint64_t)k);
}

/* As pol_domain_has(): the name, then every dot-suffix. */
static void cand_domain(struct cands *c, const struct policy *p, uint32_t bbit, const char *name)
{
	const struct pol_guards *g = &p->guards;
	size_t len = strlen(name);
	if (len && name[len - 1] == '.')
		len--;
	if (!len)
		return;
	if ((g->fields >> F_SERVER_DOMAIN) & 1)
		cand_list(c, p, pol_guard_find(g, F_SERVER_DOMAIN, name, len, 0), bbit);
	if (!((g->fields >> G_SUFFIX) & 1))
		return;
	for (size_t i = 0; i < len; i++)
		if (!i || name[i - 1] == '.')
			cand_list(c, p, pol_guard_find(g, G_SUFFIX, name + i, len - i, 0), bbit);
}

/* As pol_imsi_has(): one probe per prefix length in use. */
static void cand_imsi(struct cands *c, const struct policy *p, uint32_t bbit, const char *imsi)
{
	const struct pol_guards *g = &p->guards;
	size_t len = strlen(imsi);
	if (!((g->fields >> F_DEVICE_IMSI) & 1))
		return;
	for (size_t n = 1; n <= 15 && n <= len; n++)
		if ((g->imsi_lens >> n) & 1)
			cand_list(c, p, pol_guard_find(g, F_DEVICE_IMSI, imsi, n, 0), bbit);
}

/* As pol_trie_has(): every prefix of the address that holds rules. */
static void cand_ip(struct cands *c, const struct policy *p, uint32_t bbit, int which,
		    const struct ip_addr *a)
{
	const struct pol_gtrie *t = &p->guards.ip[which];
	if (!((p->guards.fields >> (which ? F_DEVICE_IP : F_SERVER_IP)) & 1) ||
	    (a->family != 4 && a->family != 6))
		return;
	unsigned bits = a->family == 4 ? 32 : 128;
	uint32_t n = a->family == 4 ? 0 : 1;
	for (unsigned i = 0;; i++) {
		cand_list(c, p, t->v[n].list, bbit);
		if (i == bits || (n = t->v[n].kid[(a->a[i / 8] >> (7 - i % 8)) & 1]) == 0)
			return;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorts the candidates into policy order and drops repeats (a rule with
 * an inline set can be hit through two of its members). */
static void cand_sort(struct cands *c)
{
	if (c->n <= 24) {
		for (size_t i = 1; i < c->n; i++) {
			uint32_t x = c->v[i];
			size_t j = i;
			for (; j && c->v[j - 1] > x; j--)
				c->v[j] = c->v[j - 1];
			c->v[j] = x;
		}
	} else {
		qsort(c->v, c->n, sizeof(*c->v), cmp_u32);
	}
	size_t k = 0;
	for (size_t i = 0; i < c->n; i++)
		if (!k || c->v[k - 1] != c->v[i])
			c->v[k++] = c->v[i];
	c->n = k;
}

/* The guarded rules of the subject's bucket whose guard is a value the
 * subject has (keys and tries). */
static void cand_values(struct cands *c, const struct policy *p, const struct view *v,
			uint32_t bbit)
{
	const struct policy_subject *s = v->s;
	const struct flow_enrich *en = s->en;
	const struct catalog_vendor *vd = en->intent.vendor;
	int64_t tac;

	cand_str(c, p, bbit, F_VENDOR_NAME, vd ? vd->name : NULL);
	cand_country(c, p, bbit, F_VENDOR_COUNTRY, vd ? vd->country : NULL);
	if (en->has_geo) {
		cand_country(c, p, bbit, F_SERVER_COUNTRY, en->geo.country);
		if (en->geo.asn)
			cand_key(c, p, bbit, F_SERVER_ASN, NULL, en->geo.asn);
	}
	if (known(en->domain))
		cand_domain(c, p, bbit, en->domain);
	cand_ip(c, p, bbit, 0, &v->dst);
	cand_ip(c, p, bbit, 1, &v->src);
	cand_str(c, p, bbit, F_DEVICE_MAKER, s->maker);
	cand_str(c, p, bbit, F_DEVICE_MODEL, s->model);
	cand_str(c, p, bbit, F_DEVICE_APN, s->apn);
	cand_str(c, p, bbit, F_DEVICE_IMEI, s->imei);
	if ((p->guards.fields >> F_DEVICE_TAC) & 1 && (tac = device_tac(s->imei)) >= 0)
		cand_key(c, p, bbit, F_DEVICE_TAC, NULL, (uint64_t)tac);
	if (known(s->imsi))
		cand_imsi(c, p, bbit, s->imsi);
	if (v->fw == PEV_FIRMWARE) {
		if (v->hash_known)
			cand_key(c, p, bbit, F_FIRMWARE_HASH, v->hash, 0);
		cand_str(c, p, bbit, F_FIRMWARE_NAME, s->t->name);
	}
	cand_str(c, p, bbit, F_PROTOCOL, s->protocol);
}

/* Every guarded rule of the subject's bucket whose guard holds: its
 * value hit a key, or its set (looked up once) has the subject. */
static void candidates(struct cands *c, const struct policy *p, struct view *v, int b)
{
	uint32_t bbit = 1u << b;
	c->v = c->stack;
	c->cap = CAND_STACK;
	c->n = 0;
	c->failed = 0;
	if (p->guards.fields)
		cand_values(c, p, v, bbit);
	for (size_t i = 0; i < p->guards.n_sets; i++) {
		const struct pol_gset *g = &p->guards.sets[i];
		if (!(g->buckets & bbit))
			continue;
		if (pol_fields[g->test.field].firmware_only && v->fw != PEV_FIRMWARE)
			continue;
		if ((g->test.memo >= 0 ? memo_test(v, &g->test) : test(v, &g->test)) == 1)
			cand_list(c, p, g->list, bbit);
	}
	if (!c->failed)
		cand_sort(c);
}

/* Walks the open list o merged with the candidates of the same kind
 * (campaign or not), in policy order: the next rule, or -1 at the end. */
struct walk {
	const struct pol_rnums *o;
	size_t i, j;
	int campaign;
};

static int64_t walk_next(struct walk *w, const struct policy *p, const struct cands *c)
{
	while (w->j < c->n && p->rules[c->v[w->j]].campaign != w->campaign)
		w->j++;
	if (w->i < w->o->n && (w->j >= c->n || w->o->v[w->i] < c->v[w->j]))
		return w->o->v[w->i++];
	if (w->j < c->n)
		return c->v[w->j++];
	return -1;
}

/* Without the guard index (out of memory, or tests): every rule of the
 * bucket, each after its memoized guard. */
static enum policy_action eval_walk(const struct policy *p, struct policy_runtime *rt,
				    struct view *v, int b, policy_emit_fn emit, void *arg)
{
	enum policy_action act = POLICY_NONE;
	const struct pol_index *ix = &p->decide[b];
	for (size_t i = 0; i < ix->n; i++) {
		if (!guard_holds(v, p, &ix->v[i]))
			continue;
		const struct pol_rule *r = &p->rules[ix->v[i].rule];
		v->unknown = F__MAX;
		if (!eval(v, r->when))
			continue;
		act = r->action;
		if (act != POLICY_ALLOW)
			decided(p, rt, v, r, emit, arg);
		break;
	}
	ix = &p->count[b];
	for (size_t i = 0; i < ix->n; i++) {
		if (!guard_holds(v, p, &ix->v[i]))
			continue;
		const struct pol_rule *r = &p->rules[ix->v[i].rule];
		if (eval(v, r->when))
			campaign(p, rt, v, r, emit, arg);
	}
	return act;
}

enum policy_action policy_eval(const struct policy *p, struct policy_runtime *rt,
			       const struct policy_subject *s, policy_emit_fn emit, void *arg)
{
	struct view v;
	struct cands c;
	enum policy_action act = POLICY_NONE;
	int64_t ri;
	if (!p || !s || !s->en)
		return POLICY_NONE;
	view_init(&v, p, s);
	int b = v.fw * INTENT__MAX + v.intent;
	if (pol_no_guard_index)
		return eval_walk(p, rt, &v, b, emit, arg);
	candidates(&c, p, &v, b);
	if (c.failed) {
		if (c.v != c.stack)
			free(c.v);
		return eval_walk(p, rt, &v, b, emit, arg);
	}

	struct walk w = {&p->open_decide[b], 0, 0, 0};
	while ((ri = walk_next(&w, p, &c)) >= 0) {
		const struct pol_rule *r = &p->rules[ri];
		v.unknown = F__MAX;
		if (!eval(&v, r->when))
			continue;
		act = r->action;
		if (act != POLICY_ALLOW)
			decided(p, rt, &v, r, emit, arg);
		break;
	}
	w = (struct walk){&p->open_count[b], 0, 0, 1};
	while ((ri = walk_next(&w, p, &c)) >= 0) {
		const struct pol_rule *r = &p->rules[ri];
		if (eval(&v, r->when))
			campaign(p, rt, &v, r, emit, arg);
	}
	if (c.v != c.stack)
		free(c.v);
	return act;
}
