# The DNS dissector and name cache: unit tests (cmocka), the differential
# test against tshark, and the fuzz seeds.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-dis-dns
TESTS += tests/unit/test-dis-dns
tests_unit_test_dis_dns_SOURCES = tests/unit/test-dis-dns.c
tests_unit_test_dis_dns_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_dis_dns_LDADD = libapnwatch.a $(CMOCKA_LIBS) $(NDPI_LIBS) $(PCAP_LIBS) \
	$(CRYPTO_LIBS) $(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread
endif
TESTS += tests/fields-dns.test
EXTRA_DIST += tests/fields-dns.test tests/fields/dns.py fuzz/corpus/dns
