# policy-redis.mk - the Redis policy store's tests (owner: redis task):
# tests/policy-redis.test runs real redis-server processes on free
# loopback ports (skips without redis-server), drives apnwatch-ctl and
# tests/policy-redis-driver (the sensor's side, src/policy-redis.c).
check_PROGRAMS += tests/policy-redis-driver
tests_policy_redis_driver_SOURCES = tests/policy-redis-driver.c
tests_policy_redis_driver_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_policy_redis_driver_LDADD = libapnwatch.a $(PCAP_LIBS) $(NDPI_LIBS) $(CRYPTO_LIBS) \
	$(MAXMINDDB_LIBS) $(HIREDIS_LIBS) -lpthread

TESTS += tests/policy-redis.test
EXTRA_DIST += tests/policy-redis.test tests/policy-redis-lib.sh tests/policy-redis-good.policy \
	docs/policy-store.md

# The sensor end to end: live capture of a slow tcpreplay, a policy pushed
# mid-run, Redis down at start, SIGHUP (root, tcpreplay, redis-server).
TESTS += tests/policy-live.test
EXTRA_DIST += tests/policy-live.test
