# The identity core (src/identity.c): subscriber table, TAC catalog,
# pseudonymisation.  Unit tests, a driver that feeds the table a script
# of signalling and flows and writes real events (tests/identity.test),
# and the end-to-end check on apngen captures.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-dis-identity
TESTS += tests/unit/test-dis-identity
tests_unit_test_dis_identity_SOURCES = tests/unit/test-dis-identity.c
tests_unit_test_dis_identity_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_dis_identity_LDADD = libapnwatch.a $(CMOCKA_LIBS) $(NDPI_LIBS) $(PCAP_LIBS) $(CRYPTO_LIBS) $(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread
endif

check_PROGRAMS += tests/identity-driver
tests_identity_driver_SOURCES = tests/identity-driver.c
tests_identity_driver_LDADD = libapnwatch.a $(NDPI_LIBS) $(PCAP_LIBS) $(CRYPTO_LIBS) $(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread

TESTS += tests/identity.test
EXTRA_DIST += tests/identity.test tests/identity_check.py policies/tac.csv \
	docs/identity.md docs/tac-catalog.md
