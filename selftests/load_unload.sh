#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# load_unload.sh: insmod/rmmod, the files and their modes, parameter
# validation, rmmod while a reader is blocked in read() (must fail with
# the module in use, the reader unharmed), repeated load/unload cycles,
# unprivileged readers of /proc/net/tcpscope racing them.

. "$(dirname "$0")/lib.sh"

require_env
{ [ -d /sys/kernel/debug ] && [ -n "$(ls -A /sys/kernel/debug)" ]; } ||
	skip_all "debugfs is not mounted at /sys/kernel/debug"
dmesg_mark
setup_ns_pair || fail_all "cannot set up the namespaces"

ktap_print_header
ktap_set_plan 16

# mode_is MODE FILE...
mode_is() {
	local mode=$1 f got

	shift
	for f in "$@"; do
		got=$(stat -c %a "$f" 2>/dev/null)
		if [ "$got" != "$mode" ]; then
			ktap_print_msg "$f: mode '${got:-missing}', expected $mode"
			return 1
		fi
	done
	return 0
}

# stats_header BUFSIZE OVERWRITE: the first two lines of stats.
stats_header() {
	local want got

	want=$(printf 'bufsize_kb %s\noverwrite %s\nwakeup_ms %s' "$1" "$2" "${3:-10}")
	got=$(head -3 "$STATS")
	if [ "$got" != "$want" ]; then
		ktap_print_msg "stats starts with:"$'\n'"$got"$'\n'"expected:"$'\n'"$want"
		return 1
	fi
	[ "$(cat "$SYS_MODULE/parameters/bufsize_kb")" = "$1" ] || return 1
	[ "$(cat "$SYS_MODULE/parameters/overwrite")" = "$2" ] ||
		[ "$(cat "$SYS_MODULE/parameters/overwrite")" = "$([ "$2" = 1 ] && echo Y || echo N)" ]
}

# 1: plain load, files, modes
if tcpscope_load; then
	ktap_test_pass "insmod with default parameters"
else
	ktap_test_fail "insmod with default parameters"
fi
ktap_test_result "debugfs events and stats exist with mode 0400" \
	mode_is 400 "$EVENTS" "$STATS"
ktap_test_result "/proc/net/tcpscope and parameters exist with mode 0444" \
	mode_is 444 "$PROC_NET" "$SYS_MODULE/parameters/bufsize_kb" \
	"$SYS_MODULE/parameters/overwrite" "$SYS_MODULE/parameters/wakeup_ms" \
	"$SYS_MODULE/parameters/packets"
ktap_test_result "defaults: bufsize_kb 1024, overwrite 0, wakeup_ms 10" stats_header 1024 0 10
ktap_test_result "rmmod" tcpscope_unload
ktap_test_result "rmmod removes module, debugfs dir and /proc/net/tcpscope" tcpscope_gone

# 2: bad parameters
bad_param() {
	dmesg_mark
	if insmod "$TCPSCOPE_KO" "$@" 2>/dev/null; then
		ktap_print_msg "insmod $* succeeded"
		rmmod tcpscope
		return 1
	fi
	tcpscope_gone || return 1
	if ! dmesg_new | grep -q 'tcpscope'; then
		ktap_print_msg "no kernel message for $*"
		return 1
	fi
	return 0
}
START0=$DMESG_START
ok=1
for p in bufsize_kb=0 bufsize_kb=7 bufsize_kb=65537 overwrite=7 wakeup_ms=1001 \
	 wakeup_ms=-1 packets=bogus packets=; do
	bad_param "$p" || ok=
done
DMESG_START=$START0
if [ -n "$ok" ]; then
	ktap_test_pass "bad parameters rejected with a message, no state left"
else
	ktap_test_fail "bad parameters rejected with a message, no state left"
fi

if tcpscope_load bufsize_kb=8 overwrite=1 wakeup_ms=0 &&
   stats_header 8 1 0 && tcpscope_unload; then
	ktap_test_pass "bufsize_kb=8 overwrite=1 wakeup_ms=0 accepted and reported"
else
	ktap_test_fail "bufsize_kb=8 overwrite=1 wakeup_ms=0 accepted and reported"
fi

# 3: rmmod while a reader is blocked in read()
tcpscope_load
"$EVREAD" nonblock "$EVENTS" > /dev/null 2>&1
cat "$EVENTS" > "$TMPD/reader" &
RPID=$!
BG_PIDS+=("$RPID")
sleep 1
if ! kill -0 "$RPID" 2>/dev/null; then
	ktap_print_msg "reader exited before rmmod"
fi
if timeout 10 rmmod tcpscope 2> "$TMPD/rmmod.err"; then
	ktap_print_msg "rmmod succeeded with a reader blocked in read()"
	ktap_test_fail "rmmod with a blocked reader fails (module in use)"
else
	ktap_print_msg "rmmod: $(cat "$TMPD/rmmod.err")"
	ktap_test_result "rmmod with a blocked reader fails (module in use)" tcpscope_loaded
fi
ktap_test_result "the reader is still alive" kill -0 "$RPID"
run_conn "$TMPD/reader" "$SRV4" "$CLI4" 8080 --bytes 10
if grep -Eq ":$CPORT > $SRV4:8080 CLOSE -> SYN_SENT\$" "$TMPD/reader"; then
	ktap_test_pass "the reader still receives events"
else
	ktap_print_msg "reader got:"$'\n'"$(cat "$TMPD/reader")"
	ktap_test_fail "the reader still receives events"
fi
kill -TERM "$RPID"
bg_wait "$RPID" 5
ktap_test_result "rmmod succeeds once the reader is gone" tcpscope_unload
ktap_test_result "no state left" tcpscope_gone

# 4: load/unload cycles with traffic in between
ok=1
for i in 1 2 3 4 5; do
	if ! tcpscope_load; then
		ok=
		break
	fi
	ip netns exec "$NS_SRV" "$TCPCONN" server "$SRV6" 8090 --count 1 > "$TMPD/srv$i" &
	pid=$!
	BG_PIDS+=("$pid")
	wait_for_line "$TMPD/srv$i" '^listening' "$START_WAIT" || ok=
	timeout 10 ip netns exec "$NS_CLI" "$TCPCONN" client "$SRV6" 8090 > /dev/null || ok=
	bg_wait "$pid" 10 || ok=
	head -c 4096 "$STATS" > /dev/null || ok=
	ip netns exec "$NS_CLI" cat "$PROC_NET" > /dev/null || ok=
	tcpscope_unload || ok=
	tcpscope_gone || ok=
	[ -n "$ok" ] || break
done
if [ -n "$ok" ]; then
	ktap_test_pass "5 load/traffic/unload cycles"
else
	ktap_print_msg "cycle $i failed"
	ktap_test_fail "5 load/traffic/unload cycles"
fi

# 5: unprivileged readers of /proc/net/tcpscope in an idle namespace,
# racing insmod and rmmod. The file is published only once its counters
# exist: a read that succeeds shows no transition and only zeros (before,
# a reader that won the race summed per-CPU memory at offset 0; the window
# is a few instructions wide, so this test exercises it more than it
# proves it closed).
ip netns add "$NS_CLI-idle" && NS_LIST+=("$NS_CLI-idle")
# shellcheck disable=SC2016 # $1 is the inner shell's
ip netns exec "$NS_CLI-idle" setpriv --reuid=65534 --regid=65534 --clear-groups \
	bash -c 'while [ ! -e "$1" ]; do cat /proc/net/tcpscope 2>/dev/null; done' \
	_ "$TMPD/stop-readers" > "$TMPD/idle-reads" &
RPID=$!
BG_PIDS+=("$RPID")
ok=1
for i in 1 2 3 4 5 6 7 8; do
	{ tcpscope_load && tcpscope_unload; } || ok=
done
: > "$TMPD/stop-readers"
bg_wait "$RPID" $((10 * SLOW))
reads=$(grep -c '^# tcpscope ns=' "$TMPD/idle-reads")
bad=$(awk '/^# tcpscope ns=[0-9]+$/ { next }
	/->/ { print; next }
	{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/ && $i != 0) { print; next } }' \
	"$TMPD/idle-reads" | sort | uniq -c | head -5)
ktap_print_msg "8 load/unload cycles, $reads reads of the idle namespace's file"
if [ -n "$ok" ] && [ -z "$bad" ] && [ "$reads" -gt 0 ]; then
	ktap_test_pass "an idle namespace's /proc/net/tcpscope shows only zeros while loading"
else
	ktap_print_msg "load/unload ok: ${ok:-no}; lines not zero:"$'\n'"$bad"
	ktap_test_fail "an idle namespace's /proc/net/tcpscope shows only zeros while loading"
fi

ktap_test_result "no kernel warnings" dmesg_check
ktap_finished
