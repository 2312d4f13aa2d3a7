# geo.mk - the demo geography databases (docs/geo.md) and their tests.
#
# policies/geo/demo.csv (documentation ranges only) is turned into
# geo/demo-country.mmdb and geo/demo-asn.mmdb in the BUILD tree by
# tools/mkmmdb (Perl, MaxMind::DB::Writer; configure checks for it).  They
# are built by `all`, installed to $(pkgdatadir)/geo, and found by
# src/geo.c from a build tree (also a VPATH one) or the installed place.
GEO_DEMO_DBS = geo/demo-country.mmdb geo/demo-asn.mmdb
geodir = $(pkgdatadir)/geo
geo_DATA = $(GEO_DEMO_DBS)
CLEANFILES += $(GEO_DEMO_DBS) geo/demo-country.mmdb.tmp geo/demo-asn.mmdb.tmp
EXTRA_DIST += policies/geo/demo.csv tools/mkmmdb docs/geo.md

GEO_MKMMDB = $(PERL) $(srcdir)/tools/mkmmdb
GEO_DEPS = $(srcdir)/policies/geo/demo.csv $(srcdir)/tools/mkmmdb

geo/demo-country.mmdb: $(GEO_DEPS)
	$(AM_V_GEN)$(MKDIR_P) geo && $(GEO_MKMMDB) country $(srcdir)/policies/geo/demo.csv $@

geo/demo-asn.mmdb: $(GEO_DEPS)
	$(AM_V_GEN)$(MKDIR_P) geo && $(GEO_MKMMDB) asn $(srcdir)/policies/geo/demo.csv $@

# Tests: cmocka unit test, and a comparison with libmaxminddb's own
# mmdblookup through a small driver (skips without mmdblookup).
check_PROGRAMS += tests/geo-lookup
tests_geo_lookup_SOURCES = tests/geo-lookup.c
tests_geo_lookup_CFLAGS = $(AM_CFLAGS) $(MAXMINDDB_CFLAGS)
tests_geo_lookup_LDADD = libapnwatch.a $(NDPI_LIBS) $(PCAP_LIBS) $(CRYPTO_LIBS) $(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread
TESTS += tests/geo.test
EXTRA_DIST += tests/geo.test
# (make check builds them through all; this is for `make tests/geo.log`.)
tests/geo.log: $(GEO_DEMO_DBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-geo
TESTS += tests/unit/test-geo
tests_unit_test_geo_SOURCES = tests/unit/test-geo.c
tests_unit_test_geo_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(MAXMINDDB_CFLAGS)
tests_unit_test_geo_LDADD = libapnwatch.a $(CMOCKA_LIBS) $(NDPI_LIBS) $(PCAP_LIBS) $(CRYPTO_LIBS) $(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread
endif
