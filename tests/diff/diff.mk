# tests/diff/diff.mk: golden tests and the differential test against tshark,
# plus the event schema and its validator.  Included from tests/tests.mk.
#
# The tests are shell scripts run directly by automake's parallel harness
# (".test" is its default TEST_EXTENSIONS; no LOG_COMPILER needed).  The
# harness exports srcdir; the tests find the sensor as ./src/apnwatch in the
# build directory ($APNWATCH overrides) and the public captures as
# $srcdir/../shared/pcaps/public ($APN_PUBLIC_PCAPS overrides).
# They need python3, python3-jsonschema and tshark (tshark-diff.test is
# skipped, exit 77, only when tshark is missing).
# Nothing here sets TEST_EXTENSIONS or AM_TESTS_ENVIRONMENT; if the lead
# moves such settings to Makefile.am, these tests need none of them.
#
# docs/events.schema.json and docs/events.md are distributed by the "docs"
# entry of EXTRA_DIST in Makefile.am.

TESTS += tests/golden.test tests/tshark-diff.test

EXTRA_DIST += \
	tests/golden.test \
	tests/tshark-diff.test \
	tests/tshark_diff.py \
	tests/validate-events \
	tests/pcaps \
	tests/expected
