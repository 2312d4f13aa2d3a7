# Tests: each area keeps its own fragment.
include tests/unit/unit.mk
include tests/unit/defrag.mk
include tests/diff/diff.mk

# Live capture in network namespaces (root only; skips otherwise).
TESTS += tests/live.test
EXTRA_DIST += tests/live.test

# The command line: usage errors, bad files, filters, caps, text output.
TESTS += tests/cli.test
EXTRA_DIST += tests/cli.test
include tests/unit/dis-dns.mk
include tests/unit/dis-tls.mk
include tests/unit/dis-http.mk
include tests/unit/dis-ftp.mk
include tests/unit/dis-mqtt.mk
include tests/unit/dis-coap.mk
include tests/unit/dis-radius-gtpv2c.mk
include tests/unit/dis-identity.mk

# The shared library of the per-dissector tshark differential tests.
EXTRA_DIST += tests/fields/common.py
