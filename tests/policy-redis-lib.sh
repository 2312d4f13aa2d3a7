# policy-redis-lib.sh - shell helpers for tests that need a real
# redis-server (tests/policy-redis.test; the sensor's end-to-end test may
# source it too).  POSIX sh.  The caller sets a trap that calls
# pr_cleanup, so no server outlives the test.
#
#   pr_free_port                 a free loopback TCP port
#   pr_start_redis NAME PORT [redis-server options...]
#                                starts a throw-away server (no disk, in
#                                $PR_TMP/NAME), waits until it answers
#   pr_stop_redis NAME           stops it (and waits until it is gone)
#   pr_cli PORT [args...]        redis-cli against it (no auth)
#   pr_wait_line FILE REGEX SECS waits for a line of FILE to match
#   pr_cleanup                   stops every server started here

PR_TMP=${PR_TMP:-$(mktemp -d "${TMPDIR:-/tmp}/policy-redis.XXXXXX")}
mkdir -p "$PR_TMP"
PR_SERVERS=""

pr_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pr_start_redis() {
	name=$1 port=$2
	shift 2
	mkdir -p "$PR_TMP/$name"
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$PR_TMP/$name" --daemonize no "$@" >"$PR_TMP/$name/log" 2>&1 &
	echo $! >"$PR_TMP/$name/pid"
	PR_SERVERS="$PR_SERVERS $name"
	i=0
	# PING answers NOAUTH on a server with a password: it is up all the same
	until redis-cli -p "$port" PING 2>&1 | grep -Eq 'PONG|NOAUTH'; do
		i=$((i + 1))
		if [ "$i" -gt 100 ]; then
			echo "redis-server $name on port $port did not start:" >&2
			cat "$PR_TMP/$name/log" >&2
			return 1
		fi
		sleep 0.1
	done
}

pr_stop_redis() {
	[ -f "$PR_TMP/$1/pid" ] || return 0
	pid=$(cat "$PR_TMP/$1/pid")
	rm -f "$PR_TMP/$1/pid"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

pr_cli() {
	port=$1
	shift
	redis-cli -p "$port" "$@"
}

pr_wait_line() {
	i=0
	while ! grep -Eq "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -gt $(($3 * 10)) ] && return 1
		sleep 0.1
	done
	return 0
}

pr_cleanup() {
	for s in $PR_SERVERS; do
		pr_stop_redis "$s"
	done
	PR_SERVERS=""
}
