# firmware-live.mk - the end-to-end firmware test (issue 4): curl against
# python3 -m http.server and a chunked server, coap-client-notls pulling
# block-wise from coap-server-notls, in network namespaces made by the
# test (root only; skips otherwise).  Its recordings
# tests/pcaps/firmware-{http,coap}-live.pcap ship with tests/pcaps
# (tests/diff/diff.mk).
TESTS += tests/firmware-live.test
EXTRA_DIST += tests/firmware-live.test tests/firmware-live-check.py \
	tests/firmware-live-chunked.py
