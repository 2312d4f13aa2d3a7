# MQTT dissector: unit tests, the differential test against tshark, the
# live recording with mosquitto in network namespaces, and the fuzz seeds.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-dis-mqtt
TESTS += tests/unit/test-dis-mqtt
tests_unit_test_dis_mqtt_SOURCES = tests/unit/test-dis-mqtt.c
tests_unit_test_dis_mqtt_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_dis_mqtt_LDADD = libapnwatch.a $(CMOCKA_LIBS) $(NDPI_LIBS) $(PCAP_LIBS) $(CRYPTO_LIBS) $(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread
endif

TESTS += tests/fields-mqtt.test tests/mqtt-live.test
EXTRA_DIST += tests/fields-mqtt.test tests/fields/mqtt.py fuzz/corpus/mqtt \
	tests/mqtt-live.test tests/pcaps/mqtt-mosquitto.pcap
