# policy.mk - presets and the policy language's tests (owner: policy task).
# docs/policy.md describes the language; src/policy-parse.c and
# src/policy-eval.c implement it.
#
# Installed layout mirrors the source tree, so that default.policy's
# `include "presets/countries.policy"` works in both:
#   $(pkgdatadir)/default.policy, $(pkgdatadir)/presets/*.policy
policydir = $(pkgdatadir)
dist_policy_DATA = policies/default.policy
presetsdir = $(pkgdatadir)/presets
dist_presets_DATA = policies/presets/countries.policy

EXTRA_DIST += docs/policy.md src/policy-int.h tools/genpolicy tests/policy.test \
	tests/policy/example.policy tests/policy/subjects-default.txt \
	tests/policy/expected-default.txt \
	tests/policy/bad-syntax.policy tests/policy/bad-types.policy \
	tests/policy/bad-values.policy tests/policy/bad-structure.policy \
	tests/policy/bad-include.policy tests/policy/loop-a.policy \
	tests/policy/loop-b.policy tests/policy/bad-encoding.policy

# A driver that compiles a policy and prints its errors, or judges
# subjects read from stdin (tests/policy.test).
check_PROGRAMS += tests/policy-check
tests_policy_check_SOURCES = tests/policy-check.c
tests_policy_check_LDADD = libapnwatch.a $(NDPI_LIBS) $(PCAP_LIBS) $(CRYPTO_LIBS) $(MAXMINDDB_LIBS) \
	$(HIREDIS_LIBS) -lpthread
TESTS += tests/policy.test

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-policy
TESTS += tests/unit/test-policy
tests_unit_test_policy_SOURCES = tests/unit/test-policy.c
tests_unit_test_policy_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_policy_LDADD = libapnwatch.a $(CMOCKA_LIBS) $(NDPI_LIBS) $(PCAP_LIBS) \
	$(CRYPTO_LIBS) $(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread
endif
