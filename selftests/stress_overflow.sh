#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stress_overflow.sh: the smallest buffer (bufsize_kb=8) against heavy
# IPv4 + IPv6 connection churn, in overwrite=0 and overwrite=1, once with
# no reader during the churn and once with a slow reader (so that loss
# and reading interleave). After draining, in every case: produced ==
# read + lost and the other stats identities, the LOST lines add up to
# lost, the event lines to read, every line well-formed, none twice; and
# /proc/net/tcpscope, exact whatever the buffer loses, counts each
# transition of each connection exactly once in each namespace (plus
# LISTEN -> SYN_RECV -> CLOSE for any child that lost an ACK race).
# TCPSCOPE_STRESS_CONNS (default 400): connections per client per case.

. "$(dirname "$0")/lib.sh"

require_env
N=${TCPSCOPE_STRESS_CONNS:-400}
dmesg_mark
setup_ns_pair || fail_all "cannot set up the namespaces"
churn_ns_setup || fail_all "cannot set sysctls in $NS_CLI"

ktap_print_header
ktap_set_plan 22

# Every connection, client closing first: the client's socket and the
# server's child each make these transitions once.
CLI_TR=("CLOSE -> SYN_SENT" "SYN_SENT -> ESTABLISHED" "ESTABLISHED -> FIN_WAIT1"
	"FIN_WAIT1 -> FIN_WAIT2" "FIN_WAIT2 -> TIME_WAIT")
SRV_TR=("LISTEN -> SYN_RECV" "SYN_RECV -> ESTABLISHED" "ESTABLISHED -> CLOSE_WAIT"
	"CLOSE_WAIT -> LAST_ACK" "LAST_ACK -> CLOSE")

# proc_trans NS: the transition lines of NS's /proc/net/tcpscope, sorted.
proc_trans() {
	ip netns exec "$1" cat "$PROC_NET" | grep -- ' -> ' | LC_ALL=C sort
}

# expect_trans CONNS LISTENERS DEADKIDS TR...: the expected lines, sorted.
# DEADKIDS server children died in SYN_RECV (two ACKs racing for one
# request, as after a retransmitted SYN-ACK: the kernel creates a child
# for each and destroys the loser, LISTEN -> SYN_RECV -> CLOSE).
expect_trans() {
	local c=$1 l=$2 k=$3 t n

	shift 3
	{
		for t in "$@"; do
			n=$c
			[ "$t" = "LISTEN -> SYN_RECV" ] && n=$((c + k))
			echo "$t $n"
		done
		[ "$k" -gt 0 ] && echo "SYN_RECV -> CLOSE $k"
		if [ "$l" -gt 0 ]; then
			echo "CLOSE -> LISTEN $l"
			echo "LISTEN -> CLOSE $l"
		fi
	} | LC_ALL=C sort
}

# trans_as_expected CONNS TW0: check_trans's test, once.
trans_as_expected() {
	local c=$1 tw0=$2 k

	# TIME_WAITs end (TIME_WAIT -> CLOSE) early, as tcp_tw_reuse=1 lets
	# new connections take their ports, or at 60 s: at most one for each
	# of this case's connections and for each one left by the earlier
	# cases (a slow kernel reaches their 60 s). A client that finds no
	# timewait bucket closes (FIN_WAIT2 -> CLOSE, TCPTimeWaitOverflow):
	# count it as entering TIME_WAIT.
	proc_trans "$NS_CLI" | awk -v c="$((c + tw0))" '
		$1 == "TIME_WAIT" && $3 == "CLOSE" && $4 <= c { next }
		$1 == "FIN_WAIT2" && ($3 == "CLOSE" || $3 == "TIME_WAIT") { fw += $4; next }
		{ print }
		END { if (fw) print "FIN_WAIT2 -> TIME_WAIT", fw }' |
		LC_ALL=C sort > "$TMPD/got-cli"
	proc_trans "$NS_SRV" > "$TMPD/got-srv"
	k=$(awk '$1 == "SYN_RECV" && $3 == "CLOSE" { print $4 }' "$TMPD/got-srv")
	expect_trans "$c" 2 "${k:-0}" "${SRV_TR[@]}" > "$TMPD/want-srv"
	if ! cmp -s "$TMPD/want-cli" "$TMPD/got-cli" ||
	   ! cmp -s "$TMPD/want-srv" "$TMPD/got-srv"; then
		return 1
	fi
	[ "${k:-0}" -gt 0 ] &&
		ktap_print_msg "$k children died in SYN_RECV (racing ACKs), counted as such"
	return 0
}

# check_trans CONNS TW0: both namespaces count exactly CONNS connections
# and the two listeners (waits up to 10 s for the last ACKs). TW0: the
# client namespace's timewait sockets when tcpscope was loaded.
check_trans() {
	expect_trans "$1" 0 0 "${CLI_TR[@]}" > "$TMPD/want-cli"
	wait_until -i 0.3 10 trans_as_expected "$1" "$2" && return 0
	ktap_print_msg "client namespace, expected vs got:"$'\n'"$(diff "$TMPD/want-cli" "$TMPD/got-cli")"
	ktap_print_msg "server namespace, expected vs got:"$'\n'"$(diff "$TMPD/want-srv" "$TMPD/got-srv")"
	return 1
}

# mode_counters STATS MODE: overwrite=0 never overwrites, overwrite=1 never
# drops (with no reader racing the writers).
mode_counters() {
	local ow dr

	ow=$(stat_get "$1" total overwritten)
	dr=$(stat_get "$1" total dropped)
	if [ "$2" = 0 ]; then
		[ "$ow" = 0 ] && [ "$dr" -gt 0 ]
	else
		[ "$dr" = 0 ] && [ "$ow" -gt 0 ]
	fi
}

# slow_reader FILE: read events a line at a time (bash reads a stream one
# byte per read()), pausing every 20 lines ($SLOW_PID).
slow_reader() {
	bash -c 'exec 3< "$1"; n=0
		while IFS= read -r l <&3; do
			printf "%s\n" "$l"
			n=$((n + 1))
			[ $((n % 20)) -eq 0 ] && sleep 0.05
		done' slow-reader "$EVENTS" > "$1" &
	SLOW_PID=$!
	BG_PIDS+=("$SLOW_PID")
}

# caught_up OUT: the reader has taken every record (read + lost ==
# produced) and written every one it took to OUT. A record counts as read
# when read() takes it; a byte-at-a-time reader gets the rest of its line
# later, so stopping the reader before then would lose that line.
caught_up() {
	cat "$STATS" > "$TMPD/st-now"
	[ "$(stat_get "$TMPD/st-now" total produced)" = \
	  "$(( $(stat_get "$TMPD/st-now" total read) + $(stat_get "$TMPD/st-now" total lost) ))" ] &&
	[ "$(grep -vc '^LOST ' "$1")" = "$(stat_get "$TMPD/st-now" total read)" ]
}

CASE=0

# run_case MODE READER: READER is "none" or "slow".
run_case() {
	local mode=$1 rdr=$2 ok=1 p4 p6 c4 c6 pid tag tw0
	local out=$TMPD/out-$mode-$rdr st=$TMPD/stats-$mode-$rdr

	tag="overwrite=$mode, $([ "$rdr" = slow ] && echo "slow reader" || echo "no reader")"
	CASE=$((CASE + 1))
	p4=$((9100 + 2 * CASE))
	p6=$((p4 + 1))
	tw0=$(ip netns exec "$NS_CLI" ss -Htan state time-wait | wc -l)
	if ! tcpscope_load bufsize_kb=8 overwrite="$mode"; then
		ktap_test_fail "$tag: insmod bufsize_kb=8"
		return
	fi
	: > "$out"
	[ "$rdr" = slow ] && slow_reader "$out"
	churn_server "$SRV4" "$p4" "$TMPD/srv4-$CASE" || ok=
	S4=$CHURN_SRV_PID
	churn_server "$SRV6" "$p6" "$TMPD/srv6-$CASE" || ok=
	S6=$CHURN_SRV_PID
	ip netns exec "$NS_CLI" "$CHURN" client "$SRV4" "$p4" --count "$N" \
		> "$TMPD/cli4-$CASE" 2>&1 &
	c4=$!
	ip netns exec "$NS_CLI" "$CHURN" client "$SRV6" "$p6" --count "$N" \
		> "$TMPD/cli6-$CASE" 2>&1 &
	c6=$!
	BG_PIDS+=("$c4" "$c6")
	bg_wait "$c4" $((60 + N / 10)) || ok=
	bg_wait "$c6" $((60 + N / 10)) || ok=
	for pid in "$S4" "$S6"; do
		kill -TERM "$pid"
		bg_wait "$pid" 10 || ok=
	done
	cat "$STATS" > "$st.churn"
	stats_quiet 15 || { ok=; ktap_print_msg "events did not stop within 15s"; }
	if [ "$rdr" = slow ]; then
		# Let it catch up, then stop it while it waits. It reads a
		# byte per read(): on the debug kernel 60 s are not enough.
		if ! wait_until -i 0.5 $((60 * SLOW)) caught_up "$out"; then
			ktap_print_msg "slow reader did not catch up in $((60 * SLOW))s: $(tail -n 1 "$TMPD/st-now")"
			ok=
		fi
		sleep 1
		kill -TERM "$SLOW_PID"
		bg_wait "$SLOW_PID" 5 2>/dev/null
	fi
	drain_settled "$out" "$st" || ok=

	if [ -n "$ok" ] && [ "$(churn_count "$TMPD/cli4-$CASE")" = "$N" ] &&
	   [ "$(churn_count "$TMPD/cli6-$CASE")" = "$N" ]; then
		ktap_test_pass "$tag: 2 x $N connections, drained"
	else
		ktap_print_msg "$(tail -n 2 "$TMPD"/*-"$CASE" "$out.err")"
		ktap_test_fail "$tag: 2 x $N connections, drained"
	fi
	ktap_print_msg "$(tail -n 2 "$st")"
	if [ "$(stat_get "$st" total lost)" -gt 0 ] && stats_balance "$st" 1; then
		ktap_test_pass "$tag: lost > 0; produced == read + lost == written + dropped, per CPU and total"
	else
		ktap_print_msg "$(cat "$st")"
		ktap_test_fail "$tag: lost > 0; produced == read + lost == written + dropped, per CPU and total"
	fi
	if [ "$rdr" = none ]; then
		ktap_test_result "$tag: $([ "$mode" = 0 ] && echo "dropped, none overwritten" || echo "overwritten, none dropped")" \
			mode_counters "$st" "$mode"
	else
		# Reading and loss interleaved: both moved during the churn.
		if [ "$(stat_get "$st.churn" total read)" -gt 0 ] &&
		   [ "$(stat_get "$st.churn" total lost)" -gt 0 ]; then
			ktap_test_pass "$tag: events read and lost during the churn"
		else
			ktap_print_msg "at the end of the churn: $(tail -n 2 "$st.churn")"
			ktap_test_fail "$tag: events read and lost during the churn"
		fi
	fi
	ktap_test_result "$tag: lines well-formed, none twice, LOST lines == lost, event lines == read" \
		events_check "$out" "$st"
	ktap_test_result "$tag: /proc/net/tcpscope: each transition of the $((2 * N)) connections counted once" \
		check_trans $((2 * N)) "$tw0"
	tcpscope_unload || ktap_print_msg "rmmod failed"
}

run_case 0 none
run_case 1 none
run_case 0 slow
run_case 1 slow
ktap_test_result "no tcpscope state left" tcpscope_gone
ktap_test_result "no kernel warnings" dmesg_check
ktap_finished
