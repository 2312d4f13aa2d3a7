# make bench: build, then measure apnwatch against ndpiReader and a bare
# libpcap read loop on a 2.2 M-packet apngen capture (bench/README.md).
# Not part of make check. Options go through BENCH_FLAGS, e.g.
#   make bench BENCH_FLAGS='--runs 5 --keep'
EXTRA_DIST += bench/run bench/README.md bench/pcaploop.c

.PHONY: bench
bench: all
	bash $(srcdir)/bench/run --top $(abs_top_builddir) $(BENCH_FLAGS)
