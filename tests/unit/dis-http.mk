# HTTP/1.x dissector (dissectors/http.c): unit tests, the differential test
# against tshark, and the fuzz seeds (replayed by fuzz/replay.test).
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-dis-http
TESTS += tests/unit/test-dis-http
tests_unit_test_dis_http_SOURCES = tests/unit/test-dis-http.c
tests_unit_test_dis_http_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_dis_http_LDADD = libapnwatch.a $(CMOCKA_LIBS) $(NDPI_LIBS) $(PCAP_LIBS) $(CRYPTO_LIBS) $(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread
endif

TESTS += tests/fields-http.test
EXTRA_DIST += tests/fields-http.test tests/fields/http.py fuzz/corpus/http
