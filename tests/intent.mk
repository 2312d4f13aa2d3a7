# intent.mk - the intent decision (src/intent.c, docs/intent.md): its
# cmocka unit test, and the golden check on the apngen intents capture
# (tests/intent.test runs tests/intent_check.py; skipped while the capture
# does not exist).
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-intent
TESTS += tests/unit/test-intent
tests_unit_test_intent_SOURCES = tests/unit/test-intent.c
tests_unit_test_intent_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(NDPI_CFLAGS)
tests_unit_test_intent_LDADD = libapnwatch.a $(CMOCKA_LIBS) $(NDPI_LIBS) $(PCAP_LIBS) \
	$(CRYPTO_LIBS) $(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread
endif

TESTS += tests/intent.test
EXTRA_DIST += tests/intent.test tests/intent_check.py
