# Tests: each area keeps its own fragment.
include tests/unit/unit.mk
include tests/unit/defrag.mk
include tests/diff/diff.mk
