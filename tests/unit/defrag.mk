# Unit tests for fragment reassembly (src/decode-defrag.c) and Community ID
# (src/util-communityid.c).  Both link the library the sensor runs.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-defrag tests/unit/test-communityid
TESTS += tests/unit/test-defrag tests/unit/test-communityid

tests_unit_test_defrag_SOURCES = tests/unit/test-defrag.c
tests_unit_test_defrag_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_defrag_LDADD = libapnwatch.a $(CMOCKA_LIBS) $(CRYPTO_LIBS) $(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread $(PCAP_LIBS) $(NDPI_LIBS)

tests_unit_test_communityid_SOURCES = tests/unit/test-communityid.c
tests_unit_test_communityid_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_communityid_LDADD = libapnwatch.a $(CMOCKA_LIBS) $(CRYPTO_LIBS) $(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread $(PCAP_LIBS) $(NDPI_LIBS)
endif
