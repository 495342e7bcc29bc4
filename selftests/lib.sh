# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for the tcpscope selftests. Source it; do not run it.
# KTAP helpers modelled on tools/testing/selftests/kselftest/ktap_helpers.sh,
# namespace helpers on tools/testing/selftests/net/lib.sh.

SELFTESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_DIR=$(dirname "$SELFTESTS_DIR")
TCPCONN=${TCPCONN:-$SELFTESTS_DIR/tcpconn}
EVREAD=${EVREAD:-$SELFTESTS_DIR/evread}
CHURN=${CHURN:-$SELFTESTS_DIR/churn}

DEBUGFS_DIR=/sys/kernel/debug/tcpscope
EVENTS=$DEBUGFS_DIR/events
STATS=$DEBUGFS_DIR/stats
PROC_NET=/proc/net/tcpscope
# How much slower than a plain TCG guest this kernel runs (the KASAN and
# lockdep debug kernel: 4): hold times and deadlines scale by it.
SLOW=${TCPSCOPE_SLOW:-1}
# Seconds a helper (python3 or tcpdump, started from the 9p root) may take
# to say it is ready: generous, since a wait ends as soon as it is.
START_WAIT=$((30 * SLOW))
SYS_MODULE=/sys/module/tcpscope

CLI4=198.51.100.1
SRV4=198.51.100.2
CLI6=2001:db8::1
SRV6=2001:db8::2

# Contract line formats (extended regular expressions).
RE_ADDR4='[0-9]{1,3}(\.[0-9]{1,3}){3}'
RE_ADDR6='\[[0-9a-f:.]+\]'
RE_STATE='(CLOSE|LISTEN|SYN_SENT|SYN_RECV|ESTABLISHED|FIN_WAIT1|FIN_WAIT2|CLOSE_WAIT|LAST_ACK|CLOSING|TIME_WAIT)'
RE_PREFIX='^[0-9]+\.[0-9]{9} cpu[0-9]+ ns=[0-9]+ id=[0-9a-f]+ '
RE_ENDPOINTS="(($RE_ADDR4):[0-9]+ > ($RE_ADDR4)|($RE_ADDR6):[0-9]+ > ($RE_ADDR6)):[0-9]+"
RE_STATE_EVENT="state $RE_ENDPOINTS $RE_STATE -> $RE_STATE"
RE_RESET_EVENT="reset (tx|rx) $RE_ENDPOINTS $RE_STATE( reason [A-Z0-9_]+)?"
RE_EVENT="$RE_PREFIX($RE_STATE_EVENT|$RE_RESET_EVENT)\$"
RE_LOST='^LOST [0-9]+ cpu[0-9]+$'
# A listen record (listen=1).
RE_LISTEN="$RE_PREFIX""listen ($RE_ADDR4|$RE_ADDR6):[0-9]+ synq [0-9]+/[0-9]+ acceptq [0-9]+/[0-9]+ (syn|synack|synack-retrans|child|accept|drop|overflow)( (synq-drop|synq-cookie|acceptq-syn|acceptq-ack))?( retry [0-9]+ after_us [0-9]+)?( cookie)?( timeout)?( peer ($RE_ADDR4|$RE_ADDR6):[0-9]+)?( synflood)?\$"
# A packet record (packets= other than off), as tcpdump -S -n prints it.
# The options hold no bracket but "[len N]"; a malformed list ends the
# line with "[bad opt]", "]" after it unless the first option was bad, or
# " [|tcp]", as tcpdump does (Documentation/tcpscope.rst).
RE_TCPOPTS='(\[len [0-9]+\]|[^][])*'
RE_BADOPT='([^][,]*\[bad opt\]|'"$RE_TCPOPTS"',[^][,]*\[bad opt\]\])'
RE_PACKET="^[0-9]+\\.[0-9]{9} cpu[0-9]+ ns=[0-9]+ id=[0-9a-f]+ (tx|rx) (($RE_ADDR4):[0-9]+ > ($RE_ADDR4)|($RE_ADDR6):[0-9]+ > ($RE_ADDR6)):[0-9]+ Flags \\[([FSRP.UEW]+|none)\\](, seq [0-9]+(:[0-9]+)?)?(, ack [0-9]+)?, win [0-9]+(, urg [0-9]+)?((, options \\[$RE_TCPOPTS\\])?, length [0-9]+|, options \\[($RE_BADOPT|($RE_TCPOPTS,)? \\[\\|tcp\\]))\$"

# ---------------------------------------------------------------- KTAP

KSFT_PASS=0
KSFT_FAIL=1
KSFT_XFAIL=2
KSFT_XPASS=3
KSFT_SKIP=4

KTAP_TESTNO=1
KTAP_CNT_PASS=0
KTAP_CNT_FAIL=0
KTAP_CNT_SKIP=0
KSFT_NUM_TESTS=0

ktap_print_header() {
	echo "TAP version 13"
}

ktap_print_msg() {
	local line

	# One "# " diagnostic per line of the message.
	while IFS= read -r line; do
		echo "# $line"
	done <<< "$*"
}

ktap_set_plan() {
	KSFT_NUM_TESTS=$1
	echo "1..$KSFT_NUM_TESTS"
}

ktap_skip_all() {
	echo "1..0 # SKIP $*"
}

__ktap_test() {
	local result=$1 description=$2 directive=${3:-}

	if [ -n "$directive" ]; then
		echo "$result $KTAP_TESTNO $description # $directive"
	else
		echo "$result $KTAP_TESTNO $description"
	fi
	KTAP_TESTNO=$((KTAP_TESTNO + 1))
}

ktap_test_pass() {
	__ktap_test "ok" "$1"
	KTAP_CNT_PASS=$((KTAP_CNT_PASS + 1))
}

ktap_test_skip() {
	__ktap_test "ok" "$1" "SKIP"
	KTAP_CNT_SKIP=$((KTAP_CNT_SKIP + 1))
}

ktap_test_fail() {
	__ktap_test "not ok" "$1"
	KTAP_CNT_FAIL=$((KTAP_CNT_FAIL + 1))
}

# ktap_test_result DESC CMD [ARGS...]: pass if CMD succeeds.
ktap_test_result() {
	local description=$1

	shift
	if "$@"; then
		ktap_test_pass "$description"
	else
		ktap_test_fail "$description"
	fi
}

ktap_print_totals() {
	echo "# Totals: pass:$KTAP_CNT_PASS fail:$KTAP_CNT_FAIL xfail:0 xpass:0 skip:$KTAP_CNT_SKIP error:0"
}

# Exit 1 on any failure (or a plan mismatch), 4 if everything was
# skipped, 0 otherwise.
ktap_finished() {
	local ran=$((KTAP_TESTNO - 1))

	ktap_print_totals
	if [ "$ran" -ne "$KSFT_NUM_TESTS" ]; then
		echo "# Planned tests != run tests ($KSFT_NUM_TESTS != $ran)"
		exit "$KSFT_FAIL"
	fi
	if [ "$KTAP_CNT_FAIL" -gt 0 ]; then
		exit "$KSFT_FAIL"
	fi
	if [ "$KTAP_CNT_PASS" -eq 0 ] && [ "$KTAP_CNT_SKIP" -gt 0 ]; then
		exit "$KSFT_SKIP"
	fi
	exit "$KSFT_PASS"
}

# Skip or fail the whole test before its plan: print a plan of 0 tests.
skip_all() {
	ktap_print_header
	ktap_skip_all "$*"
	exit "$KSFT_SKIP"
}

fail_all() {
	ktap_print_header
	echo "1..1"
	ktap_print_msg "$*"
	echo "not ok 1 setup"
	exit "$KSFT_FAIL"
}

# -------------------------------------------------------------- cleanup

BG_PIDS=()
CLEANUP_CMDS=()
NS_LIST=()
TCPSCOPE_LOADED_BY_US=

cleanup() {
	local pid cmd ns

	for pid in "${BG_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
	done
	for pid in "${BG_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	for cmd in "${CLEANUP_CMDS[@]}"; do
		eval "$cmd" >/dev/null 2>&1
	done
	for ns in "${NS_LIST[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$TCPSCOPE_LOADED_BY_US" ] && [ -d "$SYS_MODULE" ]; then
		rmmod tcpscope 2>/dev/null
	fi
	[ -n "${TMPD:-}" ] && rm -rf "$TMPD"
}
trap cleanup EXIT
# A timeout (run_all.sh) or ^C still cleans up.
trap 'exit 1' TERM INT

# Every test needs root, the helpers and a scratch directory.
require_env() {
	[ "$(id -u)" -eq 0 ] || skip_all "must run as root (in the test VM)"
	{ [ -x "$TCPCONN" ] && [ -x "$EVREAD" ] && [ -x "$CHURN" ]; } ||
		fail_all "C helpers missing: run 'make -C selftests' on the host first"
	{ [ -n "${TCPSCOPE_KO:-}" ] && [ -f "$TCPSCOPE_KO" ]; } ||
		fail_all "TCPSCOPE_KO='${TCPSCOPE_KO:-}' is not a module file"
	[ -r /proc/modules ] || skip_all "kernel without module support"
	TMPD=$(mktemp -d /tmp/tcpscope-selftest.XXXXXX)
}

# wait_until [-i EVERY] TIMEOUT CMD...: run CMD (in this shell, so that it
# may set variables) every EVERY seconds (0.1) until it succeeds: 0; or,
# once TIMEOUT whole seconds have passed and a last run failed, 1. Every
# polling loop of the tests is this one.
wait_until() {
	local every=0.1 deadline

	if [ "$1" = -i ]; then
		every=$2
		shift 2
	fi
	if ! [[ $1 =~ ^[0-9]+$ ]] || [ $# -lt 2 ]; then
		echo "wait_until: want [-i EVERY] TIMEOUT CMD..., not: $*" >&2
		return 2
	fi
	deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep "$every"
	done
}

# gone PID: PID has ended.
gone() {
	! kill -0 "$1" 2>/dev/null
}

# bg_wait PID TIMEOUT: wait for a background job; its exit status, or
# 124 (and the job killed) if it is still running after TIMEOUT seconds.
bg_wait() {
	if ! wait_until "$2" gone "$1"; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		return 124
	fi
	wait "$1"
}

# has_count FILE REGEX COUNT: FILE has at least COUNT lines matching
# REGEX (extended).
has_count() {
	local n

	n=$(grep -Ec -- "$2" "$1" 2>/dev/null)
	[ "${n:-0}" -ge "$3" ]
}

# wait_for_count FILE REGEX COUNT TIMEOUT: until FILE has at least COUNT
# lines matching REGEX (extended); non-zero on timeout.
wait_for_count() {
	wait_until "$4" has_count "$1" "$2" "$3"
}

wait_for_line() {
	wait_for_count "$1" "$2" 1 "$3"
}

# --------------------------------------------------------------- netns

# setup_ns_pair: two fresh namespaces $NS_CLI and $NS_SRV joined by a
# veth pair, $CLI4/$CLI6 on the client side, $SRV4/$SRV6 on the server.
setup_ns_pair() {
	local suffix

	suffix=$(mktemp -u XXXXXX)
	NS_CLI=tcpscope-cli-$suffix
	NS_SRV=tcpscope-srv-$suffix
	ip netns add "$NS_CLI" || return 1
	NS_LIST+=("$NS_CLI")
	ip netns add "$NS_SRV" || return 1
	NS_LIST+=("$NS_SRV")
	ip -n "$NS_CLI" link set lo up || return 1
	ip -n "$NS_SRV" link set lo up || return 1
	ip link add name veth-cli netns "$NS_CLI" type veth \
		peer name veth-srv netns "$NS_SRV" || return 1
	ip -n "$NS_CLI" addr add "$CLI4/24" dev veth-cli || return 1
	ip -n "$NS_CLI" addr add "$CLI6/64" dev veth-cli nodad || return 1
	ip -n "$NS_SRV" addr add "$SRV4/24" dev veth-srv || return 1
	ip -n "$NS_SRV" addr add "$SRV6/64" dev veth-srv nodad || return 1
	ip -n "$NS_CLI" link set veth-cli up || return 1
	ip -n "$NS_SRV" link set veth-srv up || return 1
	# Wait for carrier so the first SYN is not lost.
	wait_until 5 link_up "$NS_CLI" veth-cli &&
		wait_until 5 link_up "$NS_SRV" veth-srv
}

# link_up NS DEV: DEV in NS has carrier.
link_up() {
	ip -n "$1" link show "$2" | grep -q LOWER_UP
}

# ns_inode NSNAME: the namespace's inode number (what ns= shows).
ns_inode() {
	stat -L -c %i "/run/netns/$1"
}

# ------------------------------------------------------------- module

# tcpscope_load [PARAM=VALUE...]: insmod $TCPSCOPE_KO. Packet and listen
# records are off unless a packets= or listen= parameter is given: most
# tests check the state lines alone (packets_tcpdump.sh, raw_agree.sh and
# listeners.sh turn them on).
tcpscope_load() {
	local p

	for p in "$@"; do
		[[ $p == packets=* ]] && break
	done
	[[ ${p:-} == packets=* ]] || set -- "$@" packets=off
	for p in "$@"; do
		[[ $p == listen=* ]] && break
	done
	[[ ${p:-} == listen=* ]] || set -- "$@" listen=0
	if [ -z "${TCPSCOPE_KO:-}" ]; then
		echo "# TCPSCOPE_KO is not set (path of tcpscope.ko for this kernel)"
		return 1
	fi
	if [ ! -f "$TCPSCOPE_KO" ]; then
		echo "# TCPSCOPE_KO=$TCPSCOPE_KO does not exist"
		return 1
	fi
	# A module left over by an earlier, failed test.
	[ -d "$SYS_MODULE" ] && rmmod tcpscope
	TCPSCOPE_LOADED_BY_US=1
	insmod "$TCPSCOPE_KO" "$@"
}

# rmmod waits for RCU grace periods and patches code back (kprobes on
# ftrace, the tracepoint's static key): seconds under TCG while
# connections churn, and more than 10 s on a busy 2-core host. The timeout
# only catches a hang.
tcpscope_unload() {
	timeout $((60 * SLOW)) rmmod tcpscope
}

tcpscope_loaded() {
	[ -d "$SYS_MODULE" ]
}

# Which stream the tests read: "text" (events) or "raw" (events_raw,
# rendered to the same text by scripts/tcpscope-raw, which must agree).
TCPSCOPE_READER=${TCPSCOPE_READER:-text}
EVENTS_RAW=$DEBUGFS_DIR/events_raw
RAWREAD=${RAWREAD:-$SELFTESTS_DIR/../scripts/tcpscope-raw}

# Background reader of the events stream, as text, into FILE
# ($EVREADER_PID; its errors into FILE.err). events_reader_stop's SIGTERM
# makes it take what the stream holds and exit: nothing it read is lost
# (cat could die between its read() and its write()).
events_reader_start() {
	if [ "$TCPSCOPE_READER" = raw ]; then
		"$RAWREAD" "$EVENTS_RAW" > "$1" 2>> "$1.err" &
	else
		"$EVREAD" follow "$EVENTS" > "$1" 2>> "$1.err" &
	fi
	EVREADER_PID=$!
	BG_PIDS+=("$EVREADER_PID")
}

# events_drain: print, as text, all the stream holds now; fails unless
# reading stopped at EAGAIN.
events_drain() {
	if [ "$TCPSCOPE_READER" = raw ]; then
		"$EVREAD" nonblock "$EVENTS_RAW" | "$RAWREAD" -
		return $((PIPESTATUS[0] | PIPESTATUS[1]))
	fi
	"$EVREAD" nonblock "$EVENTS"
}

events_reader_stop() {
	kill -TERM "$EVREADER_PID" 2>/dev/null
	bg_wait "$EVREADER_PID" 5 >/dev/null 2>&1
	return 0
}

# stat_get FILE ROW FIELD: FIELD=<n> of the stats row starting with ROW.
stat_get() {
	awk -v row="$2" -v f="$3" '$1 == row {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }' "$1"
}

# ev_norm FILE: the state lines of an events capture as
#   ts cpu ns id laddr lport raddr rport old new
# (cpu without "cpu", ns and id without "ns=" / "id=", addresses without
# brackets).
ev_norm() {
	awk '$5 == "state" && NF == 11 {
		l = $6; r = $8
		match(l, /:[0-9]+$/); la = substr(l, 1, RSTART - 1); lp = substr(l, RSTART + 1)
		match(r, /:[0-9]+$/); ra = substr(r, 1, RSTART - 1); rp = substr(r, RSTART + 1)
		gsub(/[][]/, "", la); gsub(/[][]/, "", ra)
		cpu = $2; sub(/^cpu/, "", cpu)
		ns = $3; sub(/^ns=/, "", ns)
		id = $4; sub(/^id=/, "", id)
		print $1, cpu, ns, id, la, lp, ra, rp, $9, $11
	}' "$1"
}

# check_format FILE: every line is a contract event or LOST line.
check_format() {
	local bad

	bad=$(grep -Ev -- "$RE_EVENT|$RE_LOST" "$1" | head -5)
	if [ -n "$bad" ]; then
		ktap_print_msg "lines not in contract format:"$'\n'"$bad"
		return 1
	fi
	return 0
}

# check_timestamps FILE [MIN MAX]: timestamps are sec.9digits and do not
# go backwards; with MIN/MAX (CLOCK_MONOTONIC, from "evread now") they
# also lie within [MIN, MAX].
check_timestamps() {
	awk -v min="${2:-}" -v max="${3:-}" '
	function cmp(a, b,   as, an, bs, bn) {
		as = a; sub(/\..*/, "", as); an = a; sub(/.*\./, "", an)
		bs = b; sub(/\..*/, "", bs); bn = b; sub(/.*\./, "", bn)
		if (as + 0 != bs + 0) return as + 0 < bs + 0 ? -1 : 1
		if (an + 0 != bn + 0) return an + 0 < bn + 0 ? -1 : 1
		return 0
	}
	/^LOST / { next }
	{
		if ($1 !~ /^[0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]$/) {
			print "# bad timestamp: " $0; bad = 1; next
		}
		if (prev != "" && cmp($1, prev) < 0) {
			print "# timestamp goes backwards: " prev " then " $0; bad = 1
		}
		if (min != "" && (cmp($1, min) < 0 || cmp($1, max) > 0)) {
			print "# timestamp outside [" min ", " max "]: " $0; bad = 1
		}
		prev = $1
	}
	END { exit bad }' "$1"
}

# ------------------------------------------------------------- dmesg

dmesg_mark() {
	DMESG_START=$(dmesg | wc -l)
}

DMESG_BAD='WARNING:|BUG:|Oops|general protection|Call Trace:|KASAN|UBSAN|refcount_t:|list_(add|del) corruption|INFO: task|circular locking|recursive locking|inconsistent lock state|sleeping function called|kmemleak'

# dmesg_check: no kernel warnings since dmesg_mark.
dmesg_check() {
	local bad

	bad=$(dmesg | tail -n +"$((DMESG_START + 1))" | grep -E -- "$DMESG_BAD" | head -20)
	if [ -n "$bad" ]; then
		ktap_print_msg "kernel log:"$'\n'"$bad"
		return 1
	fi
	return 0
}

# dmesg_new: kernel log lines since dmesg_mark.
dmesg_new() {
	dmesg | tail -n +"$((DMESG_START + 1))"
}

# ------------------------------------------------------------ traffic

# run_conn EVFILE SRVADDR CLIADDR PORT [CLIENT ARGS...]: one connection
# from $NS_CLI to a server in $NS_SRV on SRVADDR:PORT, client-initiated
# close; then the listener is closed. Waits (bounded) until EVFILE shows
# the child's LAST_ACK -> CLOSE, the client's FIN_WAIT2 -> TIME_WAIT and the
# listener's LISTEN -> CLOSE. Sets CPORT (client port, as the client
# reported it) and RUN_CONN_PFX (the helpers' output: PFX.srv, PFX.cli).
# If RUN_CONN_HOOK names a function, it runs while the client is
# connected (pass --hold SEC to the client for that).
# Non-zero, with a diagnostic, on any failure.
run_conn() {
	local ev=$1 srv=$2 cli=$3 port=$4 pfx rc

	shift 4
	pfx=$TMPD/conn-$port
	RUN_CONN_PFX=$pfx
	CPORT=
	ip netns exec "$NS_SRV" "$TCPCONN" server "$srv" "$port" --count 1 --hold \
		> "$pfx.srv" 2>&1 &
	SRV_PID=$!
	BG_PIDS+=("$SRV_PID")
	if ! wait_for_line "$pfx.srv" '^listening ' "$START_WAIT"; then
		ktap_print_msg "server did not start: $(cat "$pfx.srv")"
		return 1
	fi
	ip netns exec "$NS_CLI" "$TCPCONN" client "$srv" "$port" "$@" \
		> "$pfx.cli" 2>&1 &
	CLI_PID=$!
	BG_PIDS+=("$CLI_PID")
	if ! wait_for_line "$pfx.cli" '^port [0-9]+$' $((10 * SLOW)); then
		ktap_print_msg "client did not connect: $(cat "$pfx.cli")"
		return 1
	fi
	CPORT=$(awk '/^port /{print $2; exit}' "$pfx.cli")
	[ -n "${RUN_CONN_HOOK:-}" ] && "$RUN_CONN_HOOK"
	bg_wait "$CLI_PID" $((30 * SLOW))
	rc=$?
	if [ "$rc" -ne 0 ]; then
		ktap_print_msg "client failed ($rc): $(cat "$pfx.cli")"
		return 1
	fi
	if ! wait_for_line "$ev" ":$port > [^ ]*:$CPORT LAST_ACK -> CLOSE\$" $((10 * SLOW)) ||
	   ! wait_for_line "$ev" ":$CPORT > [^ ]*:$port FIN_WAIT2 -> TIME_WAIT\$" $((10 * SLOW)); then
		ktap_print_msg "close events for $cli:$CPORT <-> $srv:$port not seen within 10s"
		return 1
	fi
	kill -TERM "$SRV_PID"
	bg_wait "$SRV_PID" $((10 * SLOW))
	rc=$?
	if [ "$rc" -ne 0 ]; then
		ktap_print_msg "server failed ($rc): $(cat "$pfx.srv")"
		return 1
	fi
	if ! wait_for_line "$ev" ":$port > [^ ]* LISTEN -> CLOSE\$" $((10 * SLOW)); then
		ktap_print_msg "listener LISTEN -> CLOSE on port $port not seen within 10s"
		return 1
	fi
	return 0
}

# ss_cookie NS FILTER...: the sk: cookie of the one socket `ss` finds.
ss_cookie() {
	local ns=$1

	shift
	ip netns exec "$ns" ss -tanHe "$@" 2>/dev/null | sed -n 's/.* sk:\([0-9a-f]*\).*/\1/p'
}

# grab_cookies: a RUN_CONN_HOOK. The cookies of the connection's three
# sockets: CK_CLI, CK_CHILD, CK_LSN, from the "cookie" lines tcpconn
# prints after "port", "accepted" and "listening" (getsockopt SO_COOKIE,
# the kernel's own id of the socket, which `ss -e` shows as sk:). Waits up
# to START_WAIT for the server's accept.
# Before, they came from `ss -e` while the client held the connection; on
# a busy host a few slow ss runs could miss the child, or find its request
# socket (SYN-RECV, another cookie) before the third ACK was processed.
grab_cookies() {
	local pfx=$RUN_CONN_PFX

	CK_CLI='' CK_CHILD='' CK_LSN=''
	wait_for_count "$pfx.srv" '^cookie ' 2 "$START_WAIT" ||
		ktap_print_msg "no cookie from the server's accept: $(cat "$pfx.srv")"
	CK_LSN=$(awk '/^listening /{a=1; next} a && /^cookie /{print $2; exit}' "$pfx.srv")
	CK_CHILD=$(awk '/^accepted /{a=1; next} a && /^cookie /{print $2; exit}' "$pfx.srv")
	CK_CLI=$(awk '/^port /{a=1; next} a && /^cookie /{print $2; exit}' "$pfx.cli")
	[ -n "$CK_CLI" ] && [ -n "$CK_CHILD" ] && [ -n "$CK_LSN" ]
}

# ------------------------------------------------------------- ftrace

# ftrace_setup: TRACEFS and EVDIR (the sock:inet_sock_set_state event),
# on the same clock as tcpscope so that both merge CPUs the same way;
# everything touched is restored at exit. Skips the test if the kernel
# lacks the event.
ftrace_setup() {
	local old_clock

	TRACEFS=/sys/kernel/tracing
	[ -d "$TRACEFS/events" ] || TRACEFS=/sys/kernel/debug/tracing
	EVDIR=$TRACEFS/events/sock/inet_sock_set_state
	[ -d "$EVDIR" ] || skip_all "no sock:inet_sock_set_state trace event"
	old_clock=$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$TRACEFS/trace_clock")
	CLEANUP_CMDS+=("echo 0 > $EVDIR/enable" "echo 0 > $EVDIR/filter"
		"echo $old_clock > $TRACEFS/trace_clock" "echo > $TRACEFS/trace")
	grep -qw mono "$TRACEFS/trace_clock" && echo mono > "$TRACEFS/trace_clock"
	echo 1 > "$TRACEFS/tracing_on"
}

# ftrace_norm FILE: laddr lport raddr rport old new, per the family.
ftrace_norm() {
	awk '/inet_sock_set_state:/ {
		delete f
		for (i = 1; i <= NF; i++)
			if (split($i, kv, "=") == 2)
				f[kv[1]] = kv[2]
		if (f["protocol"] != "IPPROTO_TCP")
			next
		if (f["family"] == "AF_INET6") {
			la = f["saddrv6"]; ra = f["daddrv6"]
		} else {
			la = f["saddr"]; ra = f["daddr"]
		}
		o = f["oldstate"]; n = f["newstate"]
		sub(/^TCP_/, "", o); sub(/^TCP_/, "", n)
		print la, f["sport"], ra, f["dport"], o, n
	}' "$1"
}

# ------------------------------------------------------------ tcpdump

# capture_still PCAP: PCAP has the size it had at the last call (TD_SIZE).
capture_still() {
	local cur

	cur=$(stat -c %s "$1" 2>/dev/null || echo 0)
	[ "$cur" = "$TD_SIZE" ] && return 0
	TD_SIZE=$cur
	return 1
}

# td_stop PID PCAP: stop tcpdump once its capture file has stopped growing
# (it writes each packet at once: -U, --immediate-mode).
td_stop() {
	TD_SIZE=-1
	wait_until -i 1 $((20 * SLOW)) capture_still "$2" || true
	kill -INT "$1"
	bg_wait "$1" 10 > /dev/null 2>&1
}

# endpoint ADDR: how tcpscope writes ADDR before ":<port>".
endpoint() {
	case $1 in
	*:*) echo "[$1]" ;;
	*) echo "$1" ;;
	esac
}

# td_norm PCAP PORT: tcpdump's lines for PORT as "<src> > <dst> <rest>",
# addresses as tcpscope writes them, without what tcpdump decodes after
# the length; not the segments whose TCP header is bad (tcpscope skips
# them).
td_norm() {
	tcpdump -S -n -r "$1" "tcp port $2" 2>/dev/null | awk '
	function ep(s, v6,   i) {
		sub(/:$/, "", s)
		i = match(s, /\.[0-9]+$/)
		return (v6 ? "[" substr(s, 1, i - 1) "]" : substr(s, 1, i - 1)) ":" substr(s, i + 1)
	}
	($2 == "IP" || $2 == "IP6") && / Flags \[/ && !/bad hdr length/ {
		v6 = $2 == "IP6"
		rest = $0
		sub(/^[^ ]+ [^ ]+ [^ ]+ > [^ ]+ /, "", rest)
		if (match(rest, /, length [0-9]+/))
			rest = substr(rest, 1, RSTART + RLENGTH - 1)
		print ep($3, v6), ">", ep($5, v6), rest
	}'
}

# expected CLIEP [CLIEP2]: "<ns> tx|rx <line>" for each tcpdump line on
# stdin (lines from CLIEP or CLIEP2 were sent by ns cli; namespace inodes
# NSI_CLI and NSI_SRV).
expected() {
	awk -v cli="$1" -v cli2="${2:-none}" -v nc="$NSI_CLI" -v ns="$NSI_SRV" '{
		from_cli = index($1, cli ":") == 1 || index($1, cli2 ":") == 1
		print (from_cli ? nc : ns), "tx", $0
		print (from_cli ? ns : nc), "rx", $0
	}'
}

# got EVFILE PORT: the packet lines for PORT as "<ns> <dir> <rest>".
got() {
	sed -nE 's/^[0-9]+\.[0-9]{9} cpu[0-9]+ ns=([0-9]+) id=[0-9a-f]+ (tx|rx) /\1 \2 /p' "$1" |
		grep -E ":$2 " || true
}

# ------------------------------------------------------------ stress
# (stat_get, above, reads one stats field.)

# stats_balance FILE [DRAINED [OVERWRITE]]: per CPU and total, produced =
# written + dropped and lost = dropped + overwritten, total = sum over
# CPUs; with DRAINED=1 also produced = read + lost (only once events was
# read to empty with nothing produced since); with OVERWRITE=0 nothing was
# overwritten, with OVERWRITE=1 nothing dropped.
stats_balance() {
	awk -v drained="${2:-0}" -v mode="${3:-}" '
	$1 ~ /^cpu[0-9]+$/ || $1 == "total" {
		delete v
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		if (v["produced"] != v["written"] + v["dropped"]) { print "# " $0 ": produced != written + dropped"; bad = 1 }
		if (v["lost"] != v["dropped"] + v["overwritten"]) { print "# " $0 ": lost != dropped + overwritten"; bad = 1 }
		if (drained && v["produced"] != v["read"] + v["lost"]) { print "# " $0 ": produced != read + lost"; bad = 1 }
		if (mode == "0" && v["overwritten"] != 0) { print "# " $0 ": overwritten with overwrite=0"; bad = 1 }
		if (mode == "1" && v["dropped"] != 0) { print "# " $0 ": dropped with overwrite=1"; bad = 1 }
		if ($1 == "total") {
			for (k in v) if (v[k] != sum[k]) { print "# total " k " " v[k] " != sum over CPUs " sum[k]; bad = 1 }
			seen_total = 1
		} else {
			for (k in v) sum[k] += v[k]
			ncpu++
		}
	}
	END {
		if (!seen_total || !ncpu) { print "# no total or cpu lines"; bad = 1 }
		exit bad
	}' "$1"
}

# stats_produced: total produced from stats (no subprocess).
stats_produced() {
	local row

	while read -r row; do
		if [[ $row =~ ^total\ produced=([0-9]+) ]]; then
			echo "${BASH_REMATCH[1]}"
			return 0
		fi
	done < "$STATS"
	return 1
}

# stats_quiet TIMEOUT [INTERVAL]: wait until stats' total produced stops
# moving (unchanged over INTERVAL seconds, default 0.2); non-zero on
# timeout.
stats_quiet() {
	QUIET_PRODUCED=-1
	wait_until -i "${2:-0.2}" "$1" produced_still
}

# produced_still: stats' total produced is as at the last call
# (QUIET_PRODUCED).
produced_still() {
	local cur

	cur=$(stats_produced)
	[ -n "$cur" ] && [ "$cur" = "$QUIET_PRODUCED" ] && return 0
	QUIET_PRODUCED=$cur
	return 1
}

# drain_settled OUT ST: read what events holds into OUT (appended; evread's
# errors into OUT.err) and snapshot stats into ST; again while records keep
# coming in meanwhile (the churn's timewait sockets expire on their own, in
# bursts, 60 s after it made them), until produced == read + lost, until
# produced stayed the same across a pause of 0.2 s and a drain, or for at
# most 10 s (times SLOW): then any difference left is the caller's to
# report. Non-zero if evread failed.
drain_settled() {
	DRAIN_PRODUCED=-1
	DRAIN_FAILED=
	# The pause: a burst of expiries may still be running.
	wait_until -i 0.2 $((10 * SLOW)) drained_once "$1" "$2" || true
	[ -z "$DRAIN_FAILED" ]
}

# drained_once OUT ST: one round of drain_settled: whether it may stop
# (DRAIN_FAILED set if evread failed).
drained_once() {
	local cur

	if ! "$EVREAD" nonblock "$EVENTS" >> "$1" 2>> "$1.err"; then
		DRAIN_FAILED=1
		return 0
	fi
	cat "$STATS" > "$2"
	cur=$(stat_get "$2" total produced)
	[ "$cur" = "$(( $(stat_get "$2" total read) + $(stat_get "$2" total lost) ))" ] &&
		return 0
	[ "$cur" = "$DRAIN_PRODUCED" ] && return 0
	DRAIN_PRODUCED=$cur
	return 1
}

# tcpscope_gone: no module, debugfs directory or /proc/net/tcpscope left.
tcpscope_gone() {
	local f

	for f in "$SYS_MODULE" "$DEBUGFS_DIR" "$PROC_NET"; do
		if [ -e "$f" ]; then
			ktap_print_msg "$f still exists"
			return 1
		fi
	done
	if grep -q '^tcpscope ' /proc/modules; then
		ktap_print_msg "tcpscope still in /proc/modules"
		return 1
	fi
	return 0
}

# churn_ns_setup: let $NS_CLI make tens of thousands of short
# connections (TIME_WAIT reuse, a wide port range).
churn_ns_setup() {
	ip netns exec "$NS_CLI" sysctl -qw net.ipv4.tcp_tw_reuse=1 \
		net.ipv4.ip_local_port_range="10000 65000"
}

# churn_server ADDR PORT OUT: a churn server in $NS_SRV ($CHURN_SRV_PID),
# waits until it listens.
churn_server() {
	ip netns exec "$NS_SRV" "$CHURN" server "$1" "$2" > "$3" 2>&1 &
	CHURN_SRV_PID=$!
	BG_PIDS+=("$CHURN_SRV_PID")
	wait_for_line "$3" '^listening ' "$START_WAIT"
}

# churn_count FILE: the last "connections <n>" a churn client printed.
churn_count() {
	local last

	last=$(tail -n 1 "$1")
	[[ $last =~ ^connections\ ([0-9]+)$ ]] && echo "${BASH_REMATCH[1]}" ||
		echo 0
}

# events_check FILE STATS: a drained capture against the stats read right
# after it: every line well-formed, no line twice, event lines == read,
# LOST lines sum == lost. Prints a diagnostic and fails otherwise.
events_check() {
	check_format "$1" || return 1
	awk -v st="$2" '
	BEGIN {
		while ((getline l < st) > 0) {
			n = split(l, f, " ")
			if (f[1] != "total") continue
			for (i = 2; i <= n; i++) { split(f[i], kv, "="); t[kv[1]] = kv[2] }
		}
	}
	/^LOST / { lost += $2; next }
	{
		ev++
		if ($0 in seen) { if (dups++ < 3) print "# read twice: " $0; bad = 1 }
		seen[$0] = 1
	}
	END {
		if (ev + 0 != t["read"] + 0 || lost + 0 != t["lost"] + 0) {
			print "# event lines " ev + 0 " (stats read " t["read"] "), LOST lines sum " lost + 0 " (stats lost " t["lost"] ")"
			bad = 1
		}
		exit bad
	}' "$1"
}
