# RADIUS and GTPv2-C dissectors: unit tests, the differential tests against
# tshark, the live recording with radclient in network namespaces, and the
# fuzz seeds.  The unit tests catch the calls into the subscriber table with
# the linker's --wrap, so they check what the dissectors tell it without
# depending on how src/identity.c stores it.
DIS_ID_WRAP = -Wl,--wrap=identity_session_start -Wl,--wrap=identity_session_stop \
	-Wl,--wrap=identity_nas_reset
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-dis-radius tests/unit/test-dis-gtpv2c
TESTS += tests/unit/test-dis-radius tests/unit/test-dis-gtpv2c
tests_unit_test_dis_radius_SOURCES = tests/unit/test-dis-radius.c
tests_unit_test_dis_radius_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_dis_radius_LDFLAGS = $(DIS_ID_WRAP)
tests_unit_test_dis_radius_LDADD = libapnwatch.a $(CMOCKA_LIBS) $(NDPI_LIBS) $(PCAP_LIBS) $(CRYPTO_LIBS) $(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread
tests_unit_test_dis_gtpv2c_SOURCES = tests/unit/test-dis-gtpv2c.c
tests_unit_test_dis_gtpv2c_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_dis_gtpv2c_LDFLAGS = $(DIS_ID_WRAP)
tests_unit_test_dis_gtpv2c_LDADD = libapnwatch.a $(CMOCKA_LIBS) $(NDPI_LIBS) $(PCAP_LIBS) $(CRYPTO_LIBS) $(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread
endif

TESTS += tests/fields-radius.test tests/fields-gtpv2c.test tests/radius-live.test
EXTRA_DIST += tests/fields-radius.test tests/fields/radius.py fuzz/corpus/radius \
	tests/fields-gtpv2c.test tests/fields/gtpv2c.py fuzz/corpus/gtpv2c \
	tests/radius-live.test tests/pcaps/radius-3gpp-radclient.pcap
