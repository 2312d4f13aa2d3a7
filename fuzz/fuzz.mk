# Fuzz targets: one per dissector and one for the whole packet path.
#
# `make check` builds each target against replay-main.c (no libFuzzer) and
# replays its seed corpus fuzz/corpus/<name>/ (fuzz/replay.test).
# `make fuzz [FUZZ_SECONDS=N]` builds them with clang's libFuzzer, ASan and
# UBSan into fuzz/out/ and runs each for N seconds (default 60) on a copy
# of its corpus; new crashes are left in fuzz/out/<name>/crash-*.
FUZZ_DISSECTORS = dns dns_tcp tls http ftp ftp_data mqtt coap radius gtpv2c
FUZZ_TARGETS = $(FUZZ_DISSECTORS) packet
FUZZ_LIBS = libapnwatch.a $(NDPI_LIBS) $(PCAP_LIBS) $(CRYPTO_LIBS) $(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread
FUZZ_SRC = $(srcdir)/fuzz/fuzz-dissector.c $(srcdir)/fuzz/replay-main.c

check_PROGRAMS += fuzz/replay-dns fuzz/replay-dns_tcp fuzz/replay-tls fuzz/replay-http \
	fuzz/replay-ftp fuzz/replay-ftp_data \
	fuzz/replay-mqtt fuzz/replay-coap fuzz/replay-radius fuzz/replay-gtpv2c \
	fuzz/replay-packet
TESTS += fuzz/replay.test
EXTRA_DIST += fuzz/replay.test fuzz/corpus

fuzz_replay_dns_SOURCES = fuzz/fuzz-dissector.c fuzz/replay-main.c
fuzz_replay_dns_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_DISSECTOR='"dns"'
fuzz_replay_dns_LDADD = $(FUZZ_LIBS)
fuzz_replay_dns_tcp_SOURCES = fuzz/fuzz-dissector.c fuzz/replay-main.c
fuzz_replay_dns_tcp_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_DISSECTOR='"dns"' -DFUZZ_TRANSPORT=6
fuzz_replay_dns_tcp_LDADD = $(FUZZ_LIBS)
fuzz_replay_ftp_data_SOURCES = fuzz/fuzz-dissector.c fuzz/replay-main.c
fuzz_replay_ftp_data_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_DISSECTOR='"ftp_data"'
fuzz_replay_ftp_data_LDADD = $(FUZZ_LIBS)
fuzz_replay_tls_SOURCES = fuzz/fuzz-dissector.c fuzz/replay-main.c
fuzz_replay_tls_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_DISSECTOR='"tls"'
fuzz_replay_tls_LDADD = $(FUZZ_LIBS)
fuzz_replay_http_SOURCES = fuzz/fuzz-dissector.c fuzz/replay-main.c
fuzz_replay_http_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_DISSECTOR='"http"'
fuzz_replay_http_LDADD = $(FUZZ_LIBS)
fuzz_replay_ftp_SOURCES = fuzz/fuzz-dissector.c fuzz/replay-main.c
fuzz_replay_ftp_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_DISSECTOR='"ftp"'
fuzz_replay_ftp_LDADD = $(FUZZ_LIBS)
fuzz_replay_mqtt_SOURCES = fuzz/fuzz-dissector.c fuzz/replay-main.c
fuzz_replay_mqtt_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_DISSECTOR='"mqtt"'
fuzz_replay_mqtt_LDADD = $(FUZZ_LIBS)
fuzz_replay_coap_SOURCES = fuzz/fuzz-dissector.c fuzz/replay-main.c
fuzz_replay_coap_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_DISSECTOR='"coap"'
fuzz_replay_coap_LDADD = $(FUZZ_LIBS)
fuzz_replay_radius_SOURCES = fuzz/fuzz-dissector.c fuzz/replay-main.c
fuzz_replay_radius_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_DISSECTOR='"radius"'
fuzz_replay_radius_LDADD = $(FUZZ_LIBS)
fuzz_replay_gtpv2c_SOURCES = fuzz/fuzz-dissector.c fuzz/replay-main.c
fuzz_replay_gtpv2c_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_DISSECTOR='"gtpv2c"'
fuzz_replay_gtpv2c_LDADD = $(FUZZ_LIBS)
fuzz_replay_packet_SOURCES = fuzz/fuzz-packet.c fuzz/replay-main.c
fuzz_replay_packet_LDADD = $(FUZZ_LIBS)

FUZZ_SECONDS = 60
FUZZ_CC = clang
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
.PHONY: fuzz fuzz-build
fuzz-build: config.h
	@mkdir -p fuzz/out
	@for t in $(FUZZ_TARGETS); do \
	  main=$(srcdir)/fuzz/fuzz-dissector.c; def="-DFUZZ_DISSECTOR=\"$$t\""; \
	  case $$t in packet) main=$(srcdir)/fuzz/fuzz-packet.c; def=-DFUZZ_PACKET;; \
	    dns_tcp) def="-DFUZZ_DISSECTOR=\"dns\" -DFUZZ_TRANSPORT=6";; esac; \
	  echo "  FUZZCC   fuzz/out/fuzz-$$t"; \
	  $(FUZZ_CC) $(FUZZ_FLAGS) -std=c11 -include config.h -I. -I$(srcdir)/src \
	    -I$(srcdir)/dissectors $(PCAP_CFLAGS) $(NDPI_CFLAGS) $$def -o fuzz/out/fuzz-$$t \
	    $$main $(addprefix $(srcdir)/,$(filter %.c,$(libapnwatch_a_SOURCES))) \
	    $(NDPI_LIBS) $(PCAP_LIBS) $(CRYPTO_LIBS) $(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread -lm || exit 1; \
	done
fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/out/$$t fuzz/out/$$t-corpus; \
	  cp $(srcdir)/fuzz/corpus/$$t/* fuzz/out/$$t-corpus/ 2>/dev/null; \
	  echo "fuzz-$$t: $(FUZZ_SECONDS) s"; \
	  ( cd fuzz/out/$$t && ../fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    ../$$t-corpus 2>&1 | grep -E 'stat::number_of_executed_units|ERROR|SUMMARY' ) ; \
	done
