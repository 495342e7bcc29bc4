#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# timewait.sh: TIME_WAIT, which the tracepoint cannot see (a timewait
# socket takes over from the full socket). Per family (IPv4, IPv6):
#  - the client closes first: tcpscope shows its FIN_WAIT2 -> TIME_WAIT,
#    and `ss` shows a TIME-WAIT socket with the same cookie (sk:) as the
#    connection's id;
#  - a new connection on the same 4-tuple (the client's port range cut
#    to that one port, tcp_tw_reuse=1) ends that TIME_WAIT early:
#    tcpscope shows TIME_WAIT -> CLOSE for the same id, and `ss` no
#    longer shows the old TIME-WAIT socket;
#  - the server closes first: its child goes FIN_WAIT1 -> FIN_WAIT2 ->
#    TIME_WAIT, also matched against `ss`;
#  - deleting the server's namespace ends that TIME_WAIT: TIME_WAIT ->
#    CLOSE for the child's id.
# The full 2MSL (60 s) is too long for CI; an early end takes the same
# path out (inet_twsk_kill()).

. "$(dirname "$0")/lib.sh"

require_env
dmesg_mark
tcpscope_load || fail_all "insmod $TCPSCOPE_KO failed"

ktap_print_header
ktap_set_plan 13

# tw_cookie NS LPORT RPORT: the sk: cookie of the TIME-WAIT socket.
tw_cookie() {
	ss_cookie "$1" state time-wait "( sport = :$2 and dport = :$3 )"
}

# id_of FILE PATTERN: the id= of the first line matching PATTERN.
id_of() {
	grep -E -- "$2" "$1" | head -1 | sed -n 's/.* id=\([0-9a-f]*\) .*/\1/p'
}

check_family() {
	local fam=$1 srv=$2 cli=$3 port=$4 ev id ck cport

	setup_ns_pair || fail_all "cannot set up the namespaces"
	ip netns exec "$NS_CLI" sysctl -qw net.ipv4.tcp_tw_reuse=1
	ev=$TMPD/events-$fam
	events_reader_start "$ev"

	# 1. The client closes first.
	run_conn "$ev" "$srv" "$cli" "$port" --bytes 100
	id=$(id_of "$ev" ":$CPORT > [^ ]*:$port FIN_WAIT2 -> TIME_WAIT\$")
	ck=$(tw_cookie "$NS_CLI" "$CPORT" "$port")
	if [ -n "$id" ] && [ "$id" = "$ck" ] &&
	   ! grep -q " id=$id .* TIME_WAIT -> CLOSE\$" "$ev"; then
		ktap_test_pass "$fam: client FIN_WAIT2 -> TIME_WAIT, id = cookie of ss's TIME-WAIT socket"
	else
		ktap_print_msg "tcpscope id '$id', ss cookie '$ck'"$'\n'"$(grep -- ":$CPORT " "$ev")"
		ktap_test_fail "$fam: client FIN_WAIT2 -> TIME_WAIT, id = cookie of ss's TIME-WAIT socket"
	fi

	# 2. A new connection on the same 4-tuple ends it early: the only
	# local port left is the old one, and tcp_tw_reuse=1 lets connect()
	# take it over from the timewait socket.
	cport=$CPORT
	ip netns exec "$NS_CLI" sysctl -qw net.ipv4.ip_local_port_range="$cport $cport"
	ip netns exec "$NS_SRV" "$TCPCONN" server "$srv" "$port" --count 1 \
		> "$TMPD/srv2-$fam" 2>&1 &
	BG_PIDS+=("$!")
	wait_for_line "$TMPD/srv2-$fam" '^listening ' "$START_WAIT"
	sleep 1.1	# tcp_tw_reuse needs the last timestamp to be 1 s old
	if timeout 20 ip netns exec "$NS_CLI" "$TCPCONN" client "$srv" "$port" --bytes 10 \
		> "$TMPD/re-$fam" 2>&1 &&
	   grep -qx "port $cport" "$TMPD/re-$fam" &&
	   wait_for_line "$ev" " id=$id .*:$cport > [^ ]*:$port TIME_WAIT -> CLOSE\$" 10 &&
	   [ "$(tw_cookie "$NS_CLI" "$cport" "$port")" != "$id" ]; then
		ktap_test_pass "$fam: port reuse ends it: TIME_WAIT -> CLOSE, gone from ss"
	else
		ktap_print_msg "$(cat "$TMPD/re-$fam")"$'\n'"$(grep -- ":$cport " "$ev")"
		ktap_test_fail "$fam: port reuse ends it: TIME_WAIT -> CLOSE, gone from ss"
	fi
	if [ "$(grep -c " id=$id .* TIME_WAIT -> CLOSE\$" "$ev")" -eq 1 ] &&
	   [ "$(grep -c " id=$id .* -> TIME_WAIT\$" "$ev")" -eq 1 ]; then
		ktap_test_pass "$fam: one TIME_WAIT entry and one exit for the connection"
	else
		ktap_test_fail "$fam: one TIME_WAIT entry and one exit for the connection"
	fi

	# 3. The server closes first.
	ip netns exec "$NS_SRV" "$TCPCONN" server "$srv" $((port + 1)) --count 1 --close-first \
		> "$TMPD/srv3-$fam" 2>&1 &
	BG_PIDS+=("$!")
	wait_for_line "$TMPD/srv3-$fam" '^listening ' "$START_WAIT"
	timeout 20 ip netns exec "$NS_CLI" "$TCPCONN" client "$srv" $((port + 1)) \
		--wait-eof --bytes 10 > "$TMPD/cli3-$fam" 2>&1
	cport=$(awk '/^port /{ print $2; exit }' "$TMPD/cli3-$fam")
	wait_for_line "$ev" ":$((port + 1)) > [^ ]*:$cport FIN_WAIT2 -> TIME_WAIT\$" 10
	id=$(id_of "$ev" ":$((port + 1)) > [^ ]*:$cport FIN_WAIT2 -> TIME_WAIT\$")
	ck=$(tw_cookie "$NS_SRV" $((port + 1)) "$cport")
	if [ -n "$id" ] && [ "$id" = "$ck" ] &&
	   grep -q " id=$id .* ESTABLISHED -> FIN_WAIT1\$" "$ev" &&
	   grep -q " id=$id .* FIN_WAIT1 -> FIN_WAIT2\$" "$ev"; then
		ktap_test_pass "$fam: server child FIN_WAIT1 -> FIN_WAIT2 -> TIME_WAIT, id = ss cookie"
	else
		ktap_print_msg "tcpscope id '$id', ss cookie '$ck'"$'\n'"$(grep -- ":$cport " "$ev")"
		ktap_test_fail "$fam: server child FIN_WAIT1 -> FIN_WAIT2 -> TIME_WAIT, id = ss cookie"
	fi

	# The client's /proc/net/tcpscope sums it up: three connections, two
	# closed by the client first, two TIME_WAITs of which one ended.
	ip netns exec "$NS_CLI" cat "$PROC_NET" > "$TMPD/proc-$fam"
	if grep -qx "handshakes active 3 passive 0 failed 0" "$TMPD/proc-$fam" &&
	   grep -qx "closes active 2 passive 1 simultaneous 0 reset 0" "$TMPD/proc-$fam" &&
	   grep -qx "timewait entered 2 finished 1" "$TMPD/proc-$fam"; then
		ktap_test_pass "$fam: client namespace summary: handshakes, closes, TIME_WAITs"
	else
		ktap_print_msg "$(grep -E '^(handshakes|closes|timewait) ' "$TMPD/proc-$fam")"
		ktap_test_fail "$fam: client namespace summary: handshakes, closes, TIME_WAITs"
	fi

	# 4. Namespace exit ends it (once no process keeps it alive).
	ip netns pids "$NS_SRV" | xargs -r kill 2> /dev/null
	ip netns del "$NS_SRV"
	if wait_for_line "$ev" " id=$id .* TIME_WAIT -> CLOSE\$" $((20 * SLOW)); then
		ktap_test_pass "$fam: deleting the namespace ends the server's TIME_WAIT"
	else
		ktap_test_fail "$fam: deleting the namespace ends the server's TIME_WAIT"
	fi
	events_reader_stop
	ip netns del "$NS_CLI"
}

check_family ipv4 "$SRV4" "$CLI4" 8080
check_family ipv6 "$SRV6" "$CLI6" 8086

ktap_test_result "no kernel warnings" dmesg_check
ktap_finished
