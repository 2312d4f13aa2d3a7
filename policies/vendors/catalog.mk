# catalog.mk - the module-maker catalog (src/catalog.c, docs/catalog.md):
# its data, installed to $(pkgdatadir)/vendors, and its tests.
vendorsdir = $(pkgdatadir)/vendors
dist_vendors_DATA = \
	policies/vendors/alibaba-iot.catalog \
	policies/vendors/fibocom.catalog \
	policies/vendors/meig.catalog \
	policies/vendors/nordic.catalog \
	policies/vendors/onenet.catalog \
	policies/vendors/qualcomm-xtra.catalog \
	policies/vendors/quectel.catalog \
	policies/vendors/sierra.catalog \
	policies/vendors/simcom.catalog \
	policies/vendors/telit.catalog \
	policies/vendors/tmobile-us.catalog \
	policies/vendors/u-blox.catalog

# A driver that loads catalogs and prints their errors (what
# `apnwatch --check-catalog` does), for tests/catalog.test.
check_PROGRAMS += tests/catalog-check
tests_catalog_check_SOURCES = tests/catalog-check.c
tests_catalog_check_LDADD = libapnwatch.a $(NDPI_LIBS) $(PCAP_LIBS) $(CRYPTO_LIBS) $(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread

TESTS += tests/catalog.test
EXTRA_DIST += tests/catalog.test docs/catalog.md tests/catalog/example.catalog \
	tests/catalog/bad-syntax.catalog tests/catalog/bad-values.catalog \
	tests/catalog/bad-structure.catalog tests/catalog/bad-duplicate.catalog \
	tests/catalog/bad-encoding.catalog

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-catalog
TESTS += tests/unit/test-catalog
tests_unit_test_catalog_SOURCES = tests/unit/test-catalog.c
tests_unit_test_catalog_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_catalog_LDADD = libapnwatch.a $(CMOCKA_LIBS) $(NDPI_LIBS) $(PCAP_LIBS) \
	$(CRYPTO_LIBS) $(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread
endif
