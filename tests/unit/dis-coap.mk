# CoAP / LwM2M dissector: unit tests (identity_session_start wrapped to see
# what the endpoint names give), the differential test against tshark, the
# live recording with libcoap's programs in network namespaces, and the
# fuzz seeds.  The recorded captures live in tests/pcaps (distributed whole
# by tests/diff/diff.mk).
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-dis-coap
TESTS += tests/unit/test-dis-coap
tests_unit_test_dis_coap_SOURCES = tests/unit/test-dis-coap.c
tests_unit_test_dis_coap_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_dis_coap_LDFLAGS = -Wl,--wrap=identity_session_start
tests_unit_test_dis_coap_LDADD = libapnwatch.a $(CMOCKA_LIBS) $(NDPI_LIBS) $(PCAP_LIBS) \
	$(CRYPTO_LIBS) $(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread
endif

TESTS += tests/fields-coap.test tests/lwm2m-live.test
EXTRA_DIST += tests/fields-coap.test tests/fields/coap.py fuzz/corpus/coap \
	tests/lwm2m-live.test
