# TLS dissector (dissectors/tls.c): unit tests (cmocka), the differential
# test against tshark and nDPI, and the fuzz seeds.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-dis-tls
TESTS += tests/unit/test-dis-tls
tests_unit_test_dis_tls_SOURCES = tests/unit/test-dis-tls.c
tests_unit_test_dis_tls_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_dis_tls_LDADD = libapnwatch.a $(CMOCKA_LIBS) $(NDPI_LIBS) $(PCAP_LIBS) \
	$(CRYPTO_LIBS) $(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread
endif
TESTS += tests/fields-tls.test
EXTRA_DIST += tests/fields-tls.test tests/fields/tls.py fuzz/corpus/tls
