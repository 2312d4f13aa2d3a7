# Unit tests (cmocka) for the checked reader, the decoders, the flow table,
# the JSON writer and CIDR lists, and the capture-file reader.  Each links
# the library the sensor runs.
if HAVE_CMOCKA
UNIT_LDADD = libapnwatch.a $(CMOCKA_LIBS) $(NDPI_LIBS) $(PCAP_LIBS) $(CRYPTO_LIBS) $(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread

check_PROGRAMS += tests/unit/test-reader tests/unit/test-decode tests/unit/test-flow \
	tests/unit/test-json tests/unit/test-capture-file
TESTS += tests/unit/test-reader tests/unit/test-decode tests/unit/test-flow \
	tests/unit/test-json tests/unit/test-capture-file

tests_unit_test_reader_SOURCES = tests/unit/test-reader.c
tests_unit_test_reader_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_reader_LDADD = $(UNIT_LDADD)

tests_unit_test_decode_SOURCES = tests/unit/test-decode.c
tests_unit_test_decode_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_decode_LDADD = $(UNIT_LDADD)

tests_unit_test_flow_SOURCES = tests/unit/test-flow.c
tests_unit_test_flow_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_flow_LDADD = $(UNIT_LDADD)

tests_unit_test_json_SOURCES = tests/unit/test-json.c
tests_unit_test_json_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_json_LDADD = $(UNIT_LDADD)

tests_unit_test_capture_file_SOURCES = tests/unit/test-capture-file.c
tests_unit_test_capture_file_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_capture_file_LDADD = $(UNIT_LDADD)
endif
