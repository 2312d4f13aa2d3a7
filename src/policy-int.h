/*
 * policy-int.h - a compiled policy, shared by the compiler
 * (policy-parse.c) and the evaluator (policy-eval.c).  Nothing outside
 * those two files includes it.
 *
 * Every test in a rule is "field value in set" (==, !=, >= ... are sets
 * too: "confidence >= probable" is the set {probable confirmed}), so the
 * evaluator has one kind of leaf: look a subject's field up in a set.  A
 * set is compiled by its type into the structure that answers that in a
 * few steps: bit masks (intents, confidences, events, countries), open
 * addressing hash tables (strings, numbers), a binary trie (address
 * prefixes) and a hash of IMSI prefixes probed once per prefix length.
 */
#ifndef APN_POLICY_INT_H
#define APN_POLICY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "intent.h"
#include "packet.h"
#include "policy.h"

enum pol_type {
	PT_COUNTRY = 0,
	PT_ASN,
	PT_SHA256,
	PT_DOMAIN,
	PT_PREFIX,
	PT_TAC,
	PT_IMSI,
	PT_NAME,
	PT_INTENT,
	PT_DEVICE,
	PT_CONFIDENCE, /* inline only */
	PT_EVENT,      /* inline only */
	PT__MAX
};

enum pol_field {
	F_INTENT = 0,
	F_CONFIDENCE,
	F_EVENT,
	F_VENDOR_NAME,
	F_VENDOR_COUNTRY,
	F_SERVER_COUNTRY,
	F_SERVER_ASN,
	F_SERVER_DOMAIN,
	F_SERVER_IP,
	F_DEVICE_IP,
	F_DEVICE_MAKER,
	F_DEVICE_MODEL,
	F_DEVICE_TAC,
	F_DEVICE_APN,
	F_DEVICE_IMSI,
	F_DEVICE_IMEI,
	F_DEVICE,
	F_FIRMWARE_HASH,
	F_FIRMWARE_NAME,
	F_PROTOCOL,
	F_ANY, /* "when any": always true */
	F__MAX
};

struct pol_field_info {
	const char *name;
	enum pol_type type;
	int firmware_only; /* false for a flow subject, whatever the operator */
};
extern const struct pol_field_info pol_fields[F__MAX];
/* "country", "asn", ... as the language spells set types */
extern const char *const pol_type_names[PT__MAX];

/* Event kinds, for the index and the "event" field. */
enum { PEV_FLOW = 0, PEV_FIRMWARE = 1, PEV__MAX };
#define POL_BUCKETS     (PEV__MAX * INTENT__MAX)
#define POL_ALL_BUCKETS ((1u << POL_BUCKETS) - 1)

/* Open addressing, linear probing; keys compared by length and bytes
 * (names are stored lower-case and looked up without case). */
struct pol_sent {
	const char *s; /* NULL: empty slot */
	uint32_t len;
	uint32_t h;
	const void *val; /* the compiler's name tables only */
};
struct pol_strset {
	struct pol_sent *v;
	size_t cap, n; /* cap a power of two, or 0 */
};

#define POL_NUM_EMPTY UINT64_MAX
struct pol_numset {
	uint64_t *v;
	size_t cap, n;
};

/* Node 0 is the IPv4 root, node 1 the IPv6 root; kid 0 means none. */
struct pol_tnode {
	uint32_t kid[2];
	uint8_t term;
};

struct pol_set {
	const char *name; /* NULL for a set written inline in a rule */
	enum pol_type type;
	const char *file;
	unsigned line, col;
	uint32_t mask; /* intent, confidence, event: bit per value */
	uint8_t country[(26 * 26 + 7) / 8];
	struct pol_numset nums;     /* asn, tac */
	struct pol_strset strs;     /* sha256, exact domains, names; device "apn:", "imei:" */
	struct pol_strset suffixes; /* domains written "*.x" or ".x": x and below */
	struct pol_strset imsi;     /* IMSI prefixes */
	uint16_t imsi_lens;         /* bit n: some prefix has n digits */
	struct pol_tnode *trie;     /* prefixes; device "address" */
	uint32_t trie_n, trie_cap;
	size_t members;
};

enum pol_ekind { PE_AND = 0, PE_OR, PE_NOT, PE_TEST };

struct pol_expr {
	enum pol_ekind kind;
	struct pol_expr *a, *b;
	enum pol_field field;
	int negate; /* "not in", "!=" */
	const struct pol_set *set;
	int memo; /* slot of the (field, named set) lookup, or -1 */
};

/* Lookups of one field in one named set are shared by every rule that
 * makes them: an evaluation does each at most once (policy-eval.c). */
#define POL_MEMO_MAX 256

struct pol_rule {
	const char *id, *name, *description;
	const char *file;
	unsigned line, col;
	int campaign;
	enum policy_action action;
	int severity;
	uint64_t dedup_us; /* 0: every match alerts */
	struct pol_expr *when;
	/* campaign rules */
	enum pol_field group;
	uint64_t threshold; /* distinct devices */
	uint64_t window_us;
	uint32_t buckets; /* the (event, intent) pairs it can match */
};

/* A rule in a (event, intent) list, with a memoized test on a named set
 * that must hold for the rule to match (a conjunct of its top-level
 * "and"): the reference walk (eval_walk() in policy-eval.c, used when the
 * guard index cannot be) skips it from the list alone. */
struct pol_ient {
	uint32_t rule;
	int16_t guard;     /* memo slot, or -1 */
	uint8_t guard_neg; /* the guard is "not in" */
	uint8_t guard_fw;  /* the guard tests a firmware field */
};

struct pol_index {
	struct pol_ient *v; /* in policy order */
	size_t n;
};

/*
 * The guard index: what lets a subject visit only the rules that can
 * match it.  Each rule gets at most one guard, the most selective
 * conjunct of its top-level "and" an index can answer (a test, not
 * negated, of a field other than intent, event or confidence):
 *  - a test on an inline set of exact values (ASNs, TACs, names,
 *    SHA-256s, exact domains, countries): a key (field, value) per
 *    member in one hash table; also domain suffixes (probed once per
 *    label) and IMSI prefixes (once per prefix length in use);
 *  - a test on inline address prefixes: a binary trie per field whose
 *    nodes hold rules, walked down the subject's address;
 *  - a test on a named set (or an inline device set): the set's answer
 *    is looked up once per subject, and its rules are candidates if yes.
 * Each key holds a list of rule numbers in policy order.  The rules
 * without a guard stay in per-(event, intent) lists (open_decide,
 * open_count).  A subject merges these with the lists its values hit,
 * in policy order, and evaluates every candidate fully.
 */
#define G_SUFFIX  F__MAX /* pseudo-field: domain suffix keys */
#define G_NFIELDS (F__MAX + 1)

struct pol_rlist {
	uint32_t off, n; /* in pol_guards.rules */
};

struct pol_gkey {
	const char *s; /* a string key, or NULL for a number key */
	uint64_t num;
	uint32_t len, h;
	uint32_t list; /* index in pol_guards.lists + 1; 0: empty slot */
	uint8_t field;
};

struct pol_gnode {
	uint32_t kid[2]; /* 0: none (node 0 is the IPv4 root, 1 the IPv6 root) */
	uint32_t list;   /* + 1; 0: no rule has this prefix */
};

struct pol_gtrie {
	struct pol_gnode *v;
	uint32_t n, cap;
};

struct pol_gset {
	struct pol_expr test; /* field, set and memo slot of the lookup */
	uint32_t buckets;     /* the buckets of its rules */
	uint32_t list;        /* + 1 */
};

struct pol_guards {
	struct pol_gkey *keys; /* open addressing, linear probing */
	size_t cap, n;
	uint32_t fields;        /* bit per field (and G_SUFFIX) with keys or trie rules */
	uint16_t imsi_lens;     /* bit n: some IMSI key has n digits */
	struct pol_gtrie ip[2]; /* server.ip, device.ip */
	struct pol_gset *sets;
	size_t n_sets;
	struct pol_rlist *lists;
	size_t n_lists;
	uint32_t *rules; /* every list, one after the other */
	size_t n_rules;
};

struct pol_rnums {
	uint32_t *v; /* rule numbers, in policy order */
	size_t n;
};

struct policy {
	char *name;
	char digest[65];
	struct pol_rule *rules;
	size_t n_rules, cap_rules;
	struct pol_set **sets; /* named and inline */
	size_t n_sets, cap_sets;
	size_t members;
	size_t trie_nodes;
	struct pol_index decide[POL_BUCKETS];    /* allow / alert / block rules */
	struct pol_index count[POL_BUCKETS];     /* campaign rules */
	struct pol_rnums open_decide[POL_BUCKETS]; /* decide[b]'s rules without a guard */
	struct pol_rnums open_count[POL_BUCKETS];  /* count[b]'s rules without a guard */
	struct pol_guards guards;
	int n_memo;                              /* memo slots in use */
	struct pol_expr memo_test[POL_MEMO_MAX]; /* each slot's lookup */
	char **blocks;                           /* text every string above points into */
	size_t n_blocks, cap_blocks;
};

/* ---- lookups (policy-parse.c builds, policy-eval.c asks) ---- */
uint32_t pol_hash(const char *s, size_t len); /* without case */
int pol_strset_has(const struct pol_strset *t, const char *s, size_t len);
int pol_numset_has(const struct pol_numset *t, uint64_t v);
int pol_trie_has(const struct pol_set *st, const struct ip_addr *a);
int pol_country_index(const char *cc); /* 0..675, or -1 when not two capitals */
int pol_domain_has(const struct pol_set *st, const char *name);
int pol_imsi_has(const struct pol_set *st, const char *imsi);
/* The guard index's list (+ 1) for the key (field, s[0..len)) or, when s
 * is NULL, (field, num); 0 when no rule has that key. */
uint32_t pol_guard_find(const struct pol_guards *g, int field, const char *s, size_t len,
			uint64_t num);

/* Tests only: when set, policy_eval walks every rule of the subject's
 * (event, intent) lists (decide, count), without the guard index: the
 * reference the index must agree with. */
extern int pol_no_guard_index;

#endif /* APN_POLICY_INT_H */
