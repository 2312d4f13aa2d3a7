# FTP control and data dissectors (dissectors/ftp.c): unit tests, the
# differential test against tshark, and a live recording in network
# namespaces (root only; skips otherwise).
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-dis-ftp
TESTS += tests/unit/test-dis-ftp
tests_unit_test_dis_ftp_SOURCES = tests/unit/test-dis-ftp.c
tests_unit_test_dis_ftp_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_dis_ftp_LDADD = libapnwatch.a $(CMOCKA_LIBS) $(NDPI_LIBS) $(PCAP_LIBS) $(CRYPTO_LIBS) $(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread
endif
TESTS += tests/fields-ftp.test tests/ftp-live.test
EXTRA_DIST += tests/fields-ftp.test tests/fields/ftp.py tests/ftp-live.test fuzz/corpus/ftp
