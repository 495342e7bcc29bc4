#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lost_events.sh: the smallest buffer, no reader, a few hundred
# connections; then drain the stream. In both overwrite modes the stats
# must balance exactly (produced = read + lost, per CPU produced =
# written + dropped and lost = dropped + overwritten), the LOST lines
# must add up to lost, the event lines read to read; overwrite=0 must
# keep the oldest events, overwrite=1 the newest.

. "$(dirname "$0")/lib.sh"

require_env
dmesg_mark
setup_ns_pair || fail_all "cannot set up the namespaces"
# No TIME_WAIT: the first mode's timewait sockets would expire 60 s
# later, during the second mode on a slow guest, and their records
# would land in its rings between the drain and the stats.
ip netns exec "$NS_CLI" sysctl -qw net.ipv4.tcp_max_tw_buckets=0 ||
	fail_all "cannot set tcp_max_tw_buckets"
require_cmds taskset

N=${LOST_CONNS:-250}
BUFKB=8

ktap_print_header
ktap_set_plan 15

run_mode() {
	local mode=$1 port=$((8080 + $1)) out=$TMPD/drain-$1 st=$TMPD/stats-$1 pid
	local first last produced read lost nlost nread ok

	if ! tcpscope_load bufsize_kb=$BUFKB overwrite="$mode"; then
		ktap_test_fail "overwrite=$mode: insmod bufsize_kb=$BUFKB"
		return
	fi
	ip netns exec "$NS_CLI" taskset -c 0 "$TCPCONN" server "$CLI4" "$port" --count "$N" \
		> "$TMPD/srv-$mode" 2>&1 &
	pid=$!
	BG_PIDS+=("$pid")
	ok=1
	wait_for_line "$TMPD/srv-$mode" '^listening' "$START_WAIT" || ok=
	ip netns exec "$NS_CLI" timeout 120 taskset -c 0 "$TCPCONN" client "$CLI4" "$port" \
		--count "$N" --bytes 10 > "$TMPD/cli-$mode" 2>&1 || ok=
	bg_wait "$pid" 30 || ok=
	# Quiet: produced no longer moves.
	stats_quiet 15 0.5 || true
	events_drain > "$out" 2> "$TMPD/drain-err" || ok=
	cat "$STATS" > "$st"
	first=$(awk '/^port /{ print $2; exit }' "$TMPD/cli-$mode")
	last=$(awk '/^port /{ p = $2 } END { print p }' "$TMPD/cli-$mode")
	if [ -n "$ok" ] && [ "$(grep -c '^port ' "$TMPD/cli-$mode")" -eq "$N" ]; then
		ktap_test_pass "overwrite=$mode: $N connections, drained to EAGAIN"
	else
		ktap_print_msg "$(tail -3 "$TMPD/srv-$mode" "$TMPD/cli-$mode" "$TMPD/drain-err")"
		ktap_test_fail "overwrite=$mode: $N connections, drained to EAGAIN"
	fi
	ktap_print_msg "stats:"$'\n'"$(cat "$st")"

	produced=$(stat_get "$st" total produced)
	read=$(stat_get "$st" total read)
	lost=$(stat_get "$st" total lost)
	if [ -n "$produced" ] && [ "${lost:-0}" -gt 0 ] && [ "$produced" -eq $((read + lost)) ]; then
		ktap_test_pass "overwrite=$mode: lost > 0 and produced == read + lost"
	else
		ktap_test_fail "overwrite=$mode: lost > 0 and produced == read + lost"
	fi
	ktap_test_result "overwrite=$mode: per-CPU and total counters balance" \
		stats_balance "$st" 1 "$mode"

	nlost=$(awk '/^LOST [0-9]+ cpu[0-9]+$/ { s += $2 } END { print s + 0 }' "$out")
	nread=$(grep -Ec "$RE_EVENT" "$out")
	if [ "$nlost" = "$lost" ] && [ "$nread" = "$read" ]; then
		ktap_test_pass "overwrite=$mode: sum of LOST lines == lost, event lines == read"
	else
		ktap_print_msg "LOST lines sum $nlost (stats lost $lost), event lines $nread (stats read $read)"
		ktap_test_fail "overwrite=$mode: sum of LOST lines == lost, event lines == read"
	fi
	ktap_test_result "overwrite=$mode: drained lines match the contract" check_format "$out"

	# Events from process context on the pinned CPU.
	local re_first=":$first > $CLI4:$port CLOSE -> SYN_SENT\$"
	local re_last=":$last > $CLI4:$port CLOSE -> SYN_SENT\$"
	local re_lopen="$CLI4:$port > [^ ]* CLOSE -> LISTEN\$"
	local re_lclose="$CLI4:$port > [^ ]* LISTEN -> CLOSE\$"
	if [ "$mode" = 0 ]; then
		grep -Eq "$re_first" "$out" && grep -Eq "$re_lopen" "$out" &&
			! grep -Eq "$re_last" "$out" && ! grep -Eq "$re_lclose" "$out"
		ok=$?
	else
		! grep -Eq "$re_first" "$out" && ! grep -Eq "$re_lopen" "$out" &&
			grep -Eq "$re_last" "$out" && grep -Eq "$re_lclose" "$out"
		ok=$?
	fi
	if [ "$ok" -eq 0 ]; then
		ktap_test_pass "overwrite=$mode: the $([ "$mode" = 0 ] && echo oldest || echo newest) events are kept"
	else
		ktap_print_msg "first port $first, last port $last; drained (head/tail):"$'\n'"$(head -3 "$out")"$'\n'"...."$'\n'"$(tail -3 "$out")"
		ktap_test_fail "overwrite=$mode: the $([ "$mode" = 0 ] && echo oldest || echo newest) events are kept"
	fi
	ktap_test_result "overwrite=$mode: rmmod" tcpscope_unload
}

run_mode 0
run_mode 1
ktap_test_result "no kernel warnings" dmesg_check
ktap_finished
