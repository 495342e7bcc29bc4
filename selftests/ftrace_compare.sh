#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ftrace_compare.sh: the kernel's own sock:inet_sock_set_state trace
# event and tcpscope watch the same connection (IPv4, then IPv6); both
# must report the same transitions in the same order with the same
# addresses and ports. Where the tracepoint still has a zero port or
# address (the client's local port at CLOSE -> SYN_SENT, the child's
# remote side at LISTEN -> SYN_RECV), tcpscope must report the real one.

. "$(dirname "$0")/lib.sh"

require_env
ftrace_setup

dmesg_mark
tcpscope_load || fail_all "insmod $TCPSCOPE_KO failed"
setup_ns_pair || fail_all "cannot set up the namespaces"

ktap_print_header
ktap_set_plan 12

# compare FTRACE TCPSCOPE CLI: event-for-event, with the two exceptions.
compare() {
	paste -d' ' "$1" "$2" | awk -v cli="$3" -v cp="$CPORT" '
	NF != 12 { print "# count differs at event " NR ": " $0; bad = 1; next }
	{
		# ftrace: $1-$6, tcpscope: $7-$12
		ok = $5 == $11 && $6 == $12 && $1 == $7
		if ($5 == "CLOSE" && $6 == "SYN_SENT" && $2 == 0) {
			ok = ok && $8 == cp && $3 == $9
			fixed_sport++
		} else {
			ok = ok && $2 == $8
		}
		if ($5 == "LISTEN" && $6 == "SYN_RECV") {
			ok = ok && $9 == cli && $10 == cp
			if ($3 == "0.0.0.0" || $3 == "::" || $4 == 0)
				fixed_child++
		} else {
			ok = ok && $3 == $9 && $4 == $10
		}
		if (!ok) {
			print "# mismatch at event " NR ":"
			print "#   ftrace:   " $1 ":" $2 " > " $3 ":" $4 " " $5 " -> " $6
			print "#   tcpscope: " $7 ":" $8 " > " $9 ":" $10 " " $11 " -> " $12
			bad = 1
		}
	}
	END {
		print "# " NR " events compared; tracepoint had sport 0 at connect " \
			fixed_sport + 0 "x, zero remote on the child " fixed_child + 0 "x"
		exit bad
	}'
}

check_family() {
	local fam=$1 srv=$2 cli=$3 ev trace ft ts n

	PORT=$4
	ev=$TMPD/events-$fam
	trace=$TMPD/trace-$fam
	ft=$TMPD/ft-$fam
	ts=$TMPD/ts-$fam

	echo > "$TRACEFS/trace"
	echo "protocol == 6" > "$EVDIR/filter" 2>/dev/null
	echo 1 > "$EVDIR/enable"
	events_reader_start "$ev"
	ktap_test_result "$fam: traffic ran, all close events seen" \
		run_conn "$ev" "$srv" "$cli" "$PORT" --bytes 1000
	events_reader_stop
	echo 0 > "$EVDIR/enable"
	cat "$TRACEFS/trace" > "$trace"

	ftrace_norm "$trace" | awk -v p="$PORT" '$2 == p || $4 == p' > "$ft.all"
	ev_norm "$ev" | awk -v p="$PORT" '$6 == p || $8 == p { print $5, $6, $7, $8, $9, $10 }' > "$ts.all"
	# The client enters TIME_WAIT: the tracepoint sees its full socket
	# close (FIN_WAIT2 -> CLOSE) when the timewait socket takes over;
	# tcpscope shows FIN_WAIT2 -> TIME_WAIT when the server's FIN
	# arrives. Compared apart from the rest, whose order is the same.
	awk '$5 == "FIN_WAIT2" && $6 == "CLOSE" { print $1, $2, $3, $4 }' "$ft.all" > "$ft.tw"
	awk '$5 == "FIN_WAIT2" && $6 == "TIME_WAIT" { print $1, $2, $3, $4 }' "$ts.all" > "$ts.tw"
	awk '!($5 == "FIN_WAIT2" && $6 == "CLOSE")' "$ft.all" > "$ft"
	awk '$5 != "TIME_WAIT" && $6 != "TIME_WAIT"' "$ts.all" > "$ts"
	n=$(wc -l < "$ft")
	# Two racing ACKs can make the kernel create a second child for the
	# same connection and destroy it at once (LISTEN -> SYN_RECV,
	# SYN_RECV -> CLOSE): 11 events plus such pairs, the same on both.
	dup=$(awk '$5 == "SYN_RECV" && $6 == "CLOSE"' "$ft" | wc -l)
	want=$((11 + 2 * dup))
	if [ "$dup" -le 2 ] && [ "$n" -eq "$want" ] && [ "$(wc -l < "$ts")" -eq "$want" ]; then
		ktap_test_pass "$fam: ftrace and tcpscope both saw 11 events besides TIME_WAIT (+$dup discarded duplicate children)"
	else
		ktap_print_msg "ftrace $n events, tcpscope $(wc -l < "$ts") events (expected $want each)"
		ktap_test_fail "$fam: ftrace and tcpscope both saw 11 events besides TIME_WAIT (+ discarded duplicate children)"
	fi
	if [ "$(wc -l < "$ft.tw")" -eq 1 ] && [ -n "$CPORT" ] &&
	   [ "$(cat "$ts.tw")" = "$cli $CPORT $srv $PORT" ] && cmp -s "$ft.tw" "$ts.tw"; then
		ktap_test_pass "$fam: the client's FIN_WAIT2 -> CLOSE (ftrace) is FIN_WAIT2 -> TIME_WAIT (tcpscope)"
	else
		ktap_print_msg "ftrace FIN_WAIT2 -> CLOSE: $(cat "$ft.tw")"$'\n'"tcpscope FIN_WAIT2 -> TIME_WAIT: $(cat "$ts.tw")"
		ktap_test_fail "$fam: the client's FIN_WAIT2 -> CLOSE (ftrace) is FIN_WAIT2 -> TIME_WAIT (tcpscope)"
	fi
	ktap_test_result "$fam: event-for-event match (order, states, addresses, ports)" \
		compare "$ft" "$ts" "$cli"
	if [ -n "$CPORT" ] && grep -qx "$cli $CPORT $srv $PORT CLOSE SYN_SENT" "$ts"; then
		ktap_test_pass "$fam: CLOSE -> SYN_SENT has the client's real port $CPORT"
	else
		ktap_print_msg "tcpscope CLOSE -> SYN_SENT: $(grep ' CLOSE SYN_SENT$' "$ts")"
		ktap_test_fail "$fam: CLOSE -> SYN_SENT has the client's real port $CPORT"
	fi
	if [ -n "$CPORT" ] && grep -qx "$srv $PORT $cli $CPORT LISTEN SYN_RECV" "$ts"; then
		ktap_test_pass "$fam: child LISTEN -> SYN_RECV has the client's address and port"
	else
		ktap_print_msg "tcpscope LISTEN -> SYN_RECV: $(grep ' LISTEN SYN_RECV$' "$ts")"
		ktap_test_fail "$fam: child LISTEN -> SYN_RECV has the client's address and port"
	fi
}

check_family ipv4 "$SRV4" "$CLI4" 8080
check_family ipv6 "$SRV6" "$CLI6" 8086

ktap_print_msg "ftrace (ipv6), for reference:"$'\n'"$(cat "$TMPD/ft-ipv6")"
ip netns del "$NS_CLI"
ip netns del "$NS_SRV"
ktap_finished
