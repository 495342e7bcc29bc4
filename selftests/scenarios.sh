#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scenarios.sh: the reference article's scenarios, each run once over
# IPv4 and once over IPv6 from ns cli to ns srv (selftests/scenario.py),
# with packets=all, tcpdump -S -n capturing veth-cli and the kernel's
# sock:inet_sock_set_state trace event on:
#   server-close    four-way close started by the server;
#   third-ack-data  the client's data rides on the third handshake ACK;
#   tfo             TCP Fast Open: the second connection's SYN carries data;
#   half-close      client shutdown(SHUT_WR), the server keeps sending;
#   simultaneous    both close at once (netem delays each FIN 400 ms), so
#                   both sides go FIN_WAIT1 -> CLOSING -> TIME_WAIT;
#   lost-third-ack  nft drops the client's pure ACKs: the server
#                   retransmits its SYN-ACK, and the connection completes
#                   when the client's data arrives.
# For each, four checks:
#  - tcpscope's tx/rx lines are the segments tcpdump saw, same text;
#  - each socket's transitions are the textbook's for the scenario, and
#    the same (as a multiset) as the trace event's, where the tracepoint's
#    X -> CLOSE of a socket handing over to TIME_WAIT is X -> TIME_WAIT;
#  - what makes the scenario, read off tcpdump's capture (and tcpscope's
#    order of records where the capture cannot tell);
#  - the connections table on both ends: ISNs J and K as in the capture,
#    the SYN-ACK acks J+1 (plus Fast Open data), the final ACK K+1.

. "$(dirname "$0")/lib.sh"

require_env
require_cmds tcpdump nft tc
ftrace_setup
dmesg_mark
setup_ns_pair || fail_all "cannot set up the namespaces"
SCENARIO=$SELFTESTS_DIR/scenario.py
SCENARIOS="server-close third-ack-data tfo half-close simultaneous lost-third-ack"
EV=$TMPD/events
CAP=$TMPD/cap

# TCPSCOPE_SCENARIO_FAMILIES: "ipv4 ipv6" (default), or one of them (the
# debug kernel runs IPv4 only: each scenario costs it about 40 s).
FAMILIES=${TCPSCOPE_SCENARIO_FAMILIES:-ipv4 ipv6}
for fam in $FAMILIES; do
	[ "$fam" = ipv4 ] || [ "$fam" = ipv6 ] || fail_all "TCPSCOPE_SCENARIO_FAMILIES: '$fam'?"
done

ktap_print_header
ktap_set_plan $((24 * $(wc -w <<< "$FAMILIES") + 2))

{ ip netns exec "$NS_CLI" sysctl -qw net.ipv4.tcp_fastopen=1 &&
  ip netns exec "$NS_SRV" sysctl -qw net.ipv4.tcp_fastopen=2; } ||
	fail_all "cannot enable TCP Fast Open"
tcpscope_load packets=all || fail_all "insmod $TCPSCOPE_KO packets=all failed"
events_reader_start "$EV"
ip netns exec "$NS_CLI" tcpdump -S -n -U --immediate-mode -B 8192 -i veth-cli \
	-w "$CAP" tcp 2> "$CAP.err" &
TD_PID=$!
BG_PIDS+=("$TD_PID")
wait_for_line "$CAP.err" 'listening on' "$START_WAIT" || fail_all "tcpdump: $(cat "$CAP.err")"
echo > "$TRACEFS/trace"
echo "protocol == 6" > "$EVDIR/filter"
echo 1 > "$EVDIR/enable"

# state_lines PORT: regex of tcpscope's state lines of connections on PORT.
state_lines() {
	echo " state [^ ]+:$1 > | state [^ ]+ > [^ ]+:$1 [A-Z]"
}

# before_conn SCENARIO PORT / after_conn: the network tweaks a scenario needs.
before_conn() {
	case $1 in
	simultaneous)
		tc -n "$NS_CLI" qdisc add dev veth-cli root netem delay 400ms &&
		tc -n "$NS_SRV" qdisc add dev veth-srv root netem delay 400ms ;;
	lost-third-ack)
		ip netns exec "$NS_CLI" nft -f - <<-EOF
		table inet tcpscope_test {
			chain out {
				type filter hook output priority 0;
				tcp dport $2 tcp flags & (fin | syn | rst | psh | ack | urg) == ack drop
			}
		}
		EOF
		;;
	esac
}

after_conn() {
	tc -n "$NS_CLI" qdisc del dev veth-cli root 2> /dev/null
	tc -n "$NS_SRV" qdisc del dev veth-srv root 2> /dev/null
	ip netns exec "$NS_CLI" nft delete table inet tcpscope_test 2> /dev/null
	return 0
}

# re ENDPOINT: ENDPOINT as an extended regular expression.
re() {
	printf '%s' "$1" | sed 's/[][\\.*^$]/\\&/g'
}

# client_steps SCENARIO PORT SRVEP CLIEP PFX: drive a running client.
client_steps() {
	local cport s c

	cport=$(awk '/^port /{print $2; exit}' "$5.cli")
	s=$(re "$3:$2") c=$(re "$4:$cport")
	case $1 in
	simultaneous)
		# Both have exchanged their byte: close together.
		wait_for_line "$EV" "ns=$NSI_CLI id=[0-9a-f]+ rx $s > $c Flags \[P\.\].*, length 1\$" \
			$((20 * SLOW)) || return 1
		touch "$TMPD/sync-$2" ;;
	lost-third-ack)
		# The SYN-ACK went out twice before the client writes.
		wait_for_count "$EV" "ns=$NSI_SRV id=[0-9a-f]+ tx $s > $c Flags \[S\.\]" 2 \
			$((20 * SLOW)) || return 1
		touch "$TMPD/sync-$2"
		wait_for_line "$EV" "state $s > $c SYN_RECV -> ESTABLISHED\$" \
			$((20 * SLOW)) || return 1
		after_conn
		touch "$TMPD/sync-$2.2" ;;
	esac
}

# run_scenario SCENARIO SRVADDR CLIADDR PORT: the scenario's connections
# (tfo: two), until all their transitions are in $EV. Sets OK_<port>.
run_scenario() {
	local sc=$1 srv=$2 cli=$3 port=$4 pfx=$TMPD/run-$4 n=1 spid cpid ok=1

	[ "$sc" = tfo ] && n=2
	ip netns exec "$NS_SRV" python3 "$SCENARIO" server "$sc" "$srv" "$port" \
		"$TMPD/sync-$port" --count "$n" > "$pfx.srv" 2>&1 &
	spid=$!
	BG_PIDS+=("$spid")
	wait_for_line "$pfx.srv" '^listening' "$START_WAIT" || ok=
	before_conn "$sc" "$port" || ok=
	for _ in $(seq "$n"); do
		ip netns exec "$NS_CLI" python3 "$SCENARIO" client "$sc" "$srv" "$port" \
			"$TMPD/sync-$port" > "$pfx.cli" 2>&1 &
		cpid=$!
		BG_PIDS+=("$cpid")
		wait_for_line "$pfx.cli" '^port ' $((10 * SLOW)) || ok=
		awk '/^port /{print $2}' "$pfx.cli" >> "$pfx.ports"
		client_steps "$sc" "$port" "$(endpoint "$srv")" "$(endpoint "$cli")" "$pfx" || ok=
		bg_wait "$cpid" $((30 * SLOW)) || ok=
		cat "$pfx.cli" >> "$pfx.log"
	done
	bg_wait "$spid" $((30 * SLOW)) || ok=
	# 5 transitions per socket, 2 for the listener.
	wait_for_count "$EV" "$(state_lines "$port")" $((10 * n + 2)) $((20 * SLOW)) || ok=
	after_conn
	[ -n "$ok" ] || ktap_print_msg "$sc $srv:$port: $(cat "$pfx.srv" "$pfx.log" 2>/dev/null)"
	eval "OK_$port=$ok"
}

PORT=9300
for fam in $FAMILIES; do
	if [ "$fam" = ipv4 ]; then srv=$SRV4 cli=$CLI4; else srv=$SRV6 cli=$CLI6; fi
	for sc in $SCENARIOS; do
		run_scenario "$sc" "$srv" "$cli" "$PORT"
		PORT=$((PORT + 1))
	done
done

stats_quiet 10 0.3
td_stop "$TD_PID" "$CAP"
events_reader_stop
cat "$DEBUGFS_DIR/connections" > "$TMPD/conns"
echo 0 > "$EVDIR/enable"
cat "$TRACEFS/trace" > "$TMPD/trace"
ftrace_norm "$TMPD/trace" > "$TMPD/ftrace"
ev_norm "$EV" > "$TMPD/states"

# transitions PORT: tcpscope's transitions per socket, one line per
# socket: "<role> <old>><new>,...", role listener, client or child;
# children the kernel discarded at once (two racing ACKs) are left out.
transitions() {
	awk -v p="$1" '($6 == p || $8 == p) && !($9 == "TIME_WAIT" && $10 == "CLOSE") {
		if (!($4 in seq)) { order[n++] = $4; first[$4] = $9 }
		seq[$4] = seq[$4] (seq[$4] == "" ? "" : ",") $9 ">" $10
	}
	END {
		for (i = 0; i < n; i++) {
			id = order[i]
			if (seq[id] == "LISTEN>SYN_RECV,SYN_RECV>CLOSE")
				continue
			role = "child"
			if (seq[id] ~ /^CLOSE>LISTEN/)
				role = "listener"
			else if (first[id] == "CLOSE")
				role = "client"
			print role, seq[id]
		}
	}' "$TMPD/states" | LC_ALL=C sort
}

CONNECT="CLOSE>SYN_SENT,SYN_SENT>ESTABLISHED"
ACCEPT="LISTEN>SYN_RECV,SYN_RECV>ESTABLISHED"
ACTIVE="ESTABLISHED>FIN_WAIT1,FIN_WAIT1>FIN_WAIT2,FIN_WAIT2>TIME_WAIT"
PASSIVE="ESTABLISHED>CLOSE_WAIT,CLOSE_WAIT>LAST_ACK,LAST_ACK>CLOSE"
SIMUL="ESTABLISHED>FIN_WAIT1,FIN_WAIT1>CLOSING,CLOSING>TIME_WAIT"

# textbook SCENARIO: the transitions() the scenario must give.
textbook() {
	local cli="client $CONNECT,$ACTIVE" child="child $ACCEPT,$PASSIVE"

	case $1 in
	server-close) cli="client $CONNECT,$PASSIVE" child="child $ACCEPT,$ACTIVE" ;;
	simultaneous) cli="client $CONNECT,$SIMUL" child="child $ACCEPT,$SIMUL" ;;
	esac
	{
		echo "$cli"
		echo "$child"
		if [ "$1" = tfo ]; then
			echo "$cli"
			echo "$child"
		fi
		echo "listener CLOSE>LISTEN,LISTEN>CLOSE"
	} | LC_ALL=C sort
}

# side_multiset PORT FILE: "<side> <old> <new>" sorted, from laddr lport
# raddr rport old new lines (side srv when lport is PORT); X -> CLOSE of a
# socket leaving FIN_WAIT2 or CLOSING is X -> TIME_WAIT, TIME_WAIT -> CLOSE
# is left out.
side_multiset() {
	awk -v p="$1" '$2 == p || $4 == p {
		if ($5 == "TIME_WAIT" && $6 == "CLOSE") next
		if (($5 == "FIN_WAIT2" || $5 == "CLOSING") && $6 == "CLOSE") $6 = "TIME_WAIT"
		print ($2 == p ? "srv" : "cli"), $5, $6
	}' "$2" | LC_ALL=C sort
}

check_transitions() {
	local sc=$1 port=$2

	transitions "$port" > "$TMPD/tr-$port"
	textbook "$sc" > "$TMPD/tb-$port"
	side_multiset "$port" "$TMPD/ftrace" > "$TMPD/ftm-$port"
	awk '{ print $5, $6, $7, $8, $9, $10 }' "$TMPD/states" |
		side_multiset "$port" - > "$TMPD/tsm-$port"
	if ! cmp -s "$TMPD/tr-$port" "$TMPD/tb-$port"; then
		ktap_print_msg "textbook (<) vs tcpscope (>):"$'\n'"$(diff "$TMPD/tb-$port" "$TMPD/tr-$port")"
		return 1
	fi
	if [ ! -s "$TMPD/ftm-$port" ] || ! cmp -s "$TMPD/ftm-$port" "$TMPD/tsm-$port"; then
		ktap_print_msg "ftrace (<) vs tcpscope (>):"$'\n'"$(diff "$TMPD/ftm-$port" "$TMPD/tsm-$port")"
		return 1
	fi
}

# cap_fields PORT: per line of td_norm: from, to, flags, seq (the first
# number), ack, length ("-" where tcpdump shows none), and tfo-req,
# tfo-cookie or "-" for the Fast Open option.
cap_fields() {
	awk '{
		seq = "-"; ack = "-"; len = "-"
		if (match($0, /, seq [0-9]+/)) seq = substr($0, RSTART + 6, RLENGTH - 6)
		if (match($0, /, ack [0-9]+/)) ack = substr($0, RSTART + 6, RLENGTH - 6)
		if (match($0, /, length [0-9]+/)) len = substr($0, RSTART + 9, RLENGTH - 9)
		f = $5; sub(/,$/, "", f)
		print $1, $3, f, seq, ack, len, (/tfo +cookiereq/ ? "tfo-req" : /tfo +cookie [0-9a-f]+/ ? "tfo-cookie" : "-")
	}' "$TMPD/td-$1"
}

# prop_SCENARIO PORT SRVEP CLIEP: the scenario's own property.
prop_server-close() {
	cap_fields "$1" | awk -v s="$2:$1" '$3 ~ /F/ { first = $1; exit }
		END { if (first != s) { print "# first FIN from " first ", not the server"; exit 1 } }'
}

prop_third-ack-data() {
	cap_fields "$1" | awk -v s="$2:$1" '
	$1 == s && $3 == "[S.]" { k = $4; next }
	k != "" && $1 != s {
		if ($3 == "[P.]" && $5 == (k + 1) % 4294967296 && $6 == 100) exit 0
		print "# client segment after the SYN-ACK: " $0; exit 1
	}
	END { if (k == "") { print "# no SYN-ACK"; exit 1 } }'
}

prop_tfo() {
	cap_fields "$1" | awk -v s="$2:$1" '
	$3 == "[S]" { syn[++n] = $0; seq[n] = $4; len[n] = $6; tfo[n] = $7 }
	$1 == s && $3 == "[S.]" { sa[n] = $5 }
	END {
		if (n != 2 || tfo[1] != "tfo-req" || len[1] != 0 ||
		    tfo[2] != "tfo-cookie" || len[2] != 100 ||
		    sa[2] != (seq[2] + 101) % 4294967296) {
			print "# SYNs: " syn[1] " / " syn[2] "; SYN-ACK ack " sa[2]
			exit 1
		}
	}'
}

prop_half-close() {
	cap_fields "$1" | awk -v s="$2:$1" '
	$1 != s && $3 ~ /F/ { fin = 1; next }
	$1 == s && fin && $3 !~ /F/ { after += $6 }
	$1 == s && $3 ~ /F/ { after += $6; sfin = fin }
	END {
		if (after != 1000 || !sfin) {
			print "# server bytes after the client FIN: " after + 0 " (want 1000), server FIN after it: " sfin + 0
			exit 1
		}
	}'
}

prop_simultaneous() {
	cap_fields "$1" | awk -v s="$2:$1" '
	$3 ~ /F/ { side = $1 == s ? "s" : "c"; if (!(side in fs)) { fs[side] = $4; fa[side] = $5; fl[side] = $6 } }
	END {
		if (!("s" in fs) || !("c" in fs)) { print "# not two FINs"; exit 1 }
		if (fa["s"] == (fs["c"] + fl["c"] + 1) % 4294967296 ||
		    fa["c"] == (fs["s"] + fl["s"] + 1) % 4294967296) {
			print "# one FIN acks the other: it was sent after the other arrived"
			exit 1
		}
	}'
}

prop_lost-third-ack() {
	local cport

	cport=$(head -n 1 "$TMPD/run-$1.ports")
	cap_fields "$1" | awk -v s="$2:$1" '
	$1 == s && $3 == "[S.]" { if (k != "" && $4 != k) { print "# SYN-ACK seq changed"; exit 1 } k = $4; synacks++; next }
	k != "" && $1 != s {
		if (synacks >= 2 && $3 == "[P.]" && $5 == (k + 1) % 4294967296) exit 0
		print "# client segment after " synacks " SYN-ACK(s): " $0; exit 1
	}' || return 1
	# The server's socket appears only when the data (with its ACK) does.
	awk -v ns="ns=$NSI_SRV" -v c="$3:$cport" -v s="$2:$1" '
	$3 == ns && $5 == "rx" && $6 == c && $8 == s && $9 == "Flags" && $10 == "[P.]," { data = NR }
	$3 == ns && $5 == "state" && $6 == s && $8 == c && $9 == "LISTEN" { child = NR }
	END {
		if (!data || !child || child < data) {
			print "# server rx of the data at line " data + 0 ", its LISTEN -> SYN_RECV at " child + 0
			exit 1
		}
	}' "$EV"
}

# check_conns PORT SRVEP CLIEP: for each connection on PORT, the table's
# entries on both ends: roles, ISNs J and K as in the capture (the
# client's SYN, the server's SYN-ACK), both handshake checks ok.
check_conns() {
	local port=$1 cport jk j k bad=0
	local -a cports

	mapfile -t cports < "$TMPD/run-$port.ports"
	for cport in "${cports[@]}"; do
		jk=$(cap_fields "$port" | awk -v c="$3:$cport" -v s="$2:$port" '
			$1 == c && $3 == "[S]" && j == "" { j = $4 }
			$1 == s && $2 == c && $3 == "[S.]" && k == "" { k = $4 }
			END { print j, k }')
		read -r j k <<< "$jk"
		if [ -z "$j" ] || [ -z "$k" ] ||
		   ! grep -qE "^ns=$NSI_CLI id=[0-9a-f]+ active $(re "$3:$cport > $2:$port") [A-Z_]+ isn_local $j isn_remote $k synack ok ack ok " "$TMPD/conns" ||
		   ! grep -qE "^ns=$NSI_SRV id=[0-9a-f]+ passive $(re "$2:$port > $3:$cport") [A-Z_]+ isn_local $k isn_remote $j synack ok ack ok " "$TMPD/conns"; then
			ktap_print_msg "J $j K $k; table:"$'\n'"$(grep -F ":$cport " "$TMPD/conns")"
			bad=1
		fi
	done
	return "$bad"
}

PORT=9300
for fam in $FAMILIES; do
	if [ "$fam" = ipv4 ]; then srv=$SRV4 cli=$CLI4; else srv=$SRV6 cli=$CLI6; fi
	srvep=$(endpoint "$srv") cliep=$(endpoint "$cli")
	for sc in $SCENARIOS; do
		td_norm "$CAP" "$PORT" > "$TMPD/td-$PORT"
		expected "$cliep" < "$TMPD/td-$PORT" | sort > "$TMPD/want-$PORT"
		got "$EV" "$PORT" | sort > "$TMPD/got-$PORT"
		ok=$(eval "echo \$OK_$PORT")
		if [ -n "$ok" ] && [ -s "$TMPD/want-$PORT" ] &&
		   cmp -s "$TMPD/want-$PORT" "$TMPD/got-$PORT"; then
			ktap_test_pass "$fam $sc: ran; tcpscope's segments are tcpdump's $(wc -l < "$TMPD/td-$PORT"), as tx and rx"
		else
			ktap_print_msg "tcpdump -S -n:"$'\n'"$(cat "$TMPD/td-$PORT")"
			ktap_print_msg "expected (<) vs tcpscope (>):"$'\n'"$(diff "$TMPD/want-$PORT" "$TMPD/got-$PORT")"
			ktap_test_fail "$fam $sc: ran; tcpscope's segments are tcpdump's, as tx and rx"
		fi
		ktap_test_result "$fam $sc: transitions as in the textbook, and as the trace event's" \
			check_transitions "$sc" "$PORT"
		ktap_test_result "$fam $sc: $(case $sc in
			server-close) echo "the server's FIN comes first" ;;
			third-ack-data) echo "the client's first segment after the SYN-ACK carries data and ack K+1" ;;
			tfo) echo "SYN 1 asks for a cookie; SYN 2 has it, 100 bytes, and the SYN-ACK acks them" ;;
			half-close) echo "the server sends 1000 bytes after the client's FIN, then its FIN" ;;
			simultaneous) echo "neither FIN acks the other (both sent before either arrived)" ;;
			lost-third-ack) echo "SYN-ACK sent twice, same K; data with ack K+1 creates the server's socket" ;;
			esac)" "prop_$sc" "$PORT" "$srvep" "$cliep"
		ktap_test_result "$fam $sc: connections: ISNs J and K as tcpdump's on both ends, SYN-ACK and final ACK checks ok" \
			check_conns "$PORT" "$srvep" "$cliep"
		PORT=$((PORT + 1))
	done
done

if [ "$(stat_get "$STATS" total lost)" = 0 ]; then
	ktap_test_pass "no record lost"
else
	ktap_print_msg "$(cat "$STATS")"
	ktap_test_fail "no record lost"
fi
tcpscope_unload || ktap_print_msg "rmmod failed"
ktap_test_result "no kernel warnings" dmesg_check
ktap_finished
