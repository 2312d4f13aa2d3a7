# tools/apngen: deterministic generator of APN-like captures (docs/apngen.md).
# Needs nothing but libc: it writes pcap by hand and carries its own MD5 and SHA-256.
noinst_PROGRAMS += tools/apngen
tools_apngen_SOURCES = \
	tools/apngen.c tools/apngen.h \
	tools/apngen-wire.c \
	tools/apngen-proto.c \
	tools/apngen-md5.c \
	tools/apngen-sha256.c

# Determinism and a tshark decode of what apngen writes (skips without tshark).
TESTS += tests/apngen.test
EXTRA_DIST += tests/apngen.test \
	tests/pcaps/apn-small.pcap tests/pcaps/apn-small.devices.json \
	tests/pcaps/apn-small-gtp.pcap tests/pcaps/apn-small-gtp.devices.json \
	tests/pcaps/apn-intents.pcap tests/pcaps/apn-intents.devices.json
