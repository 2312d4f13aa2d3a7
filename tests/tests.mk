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
