#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# connections.sh: the per-connection table (debugfs connections) and the
# handshake latency in /proc/net/tcpscope, against tcpdump and netem.
# One connection (IPv4, then IPv6) from ns cli to ns srv, with packets=off
# (the table has its own use of the netfilter hooks) and netem delaying
# what the server sends by 300 ms:
#  - client and server entries: role, 4-tuple, id (= the state records'),
#    final state, ISNs = the SYN's and SYN-ACK's seq in tcpdump's capture,
#    both handshake checks ok, one SYN-ACK;
#  - the client's handshake_us = tcpdump's SYN -> ACK interval (+-50 ms),
#    and both sides' >= 300 ms (the SYN-ACK's delay);
#  - time_us: the states each side went through, SYN_SENT and LAST_ACK
#    >= 300 ms (each waits for something the server sent);
#  - /proc/net/tcpscope "handshake latency": count 1, mean = max = the
#    entry's handshake_us, in each namespace;
#  - deleting ns cli ends the client's TIME_WAIT: its entry says CLOSE
#    and how long TIME_WAIT lasted.
# Then max_conns=64 and a flood of 600 SYNs from distinct ports: the file
# never holds more than 64 entries, each SYN made an entry where it was
# sent and none on the closed port's side (evictions + entries = 600),
# and a connection made after the flood is
# tracked in full; so is an IPv4 connection to a dual-stack listener,
# as IPv4. max_conns beyond the limit: insmod fails with a message.

. "$(dirname "$0")/lib.sh"

require_env
require_cmds tcpdump tc
CONNS=$DEBUGFS_DIR/connections
DELAY_US=300000
dmesg_mark
setup_ns_pair || fail_all "cannot set up the namespaces"
# Static neighbours: a first SYN must not wait for an ARP or ND reply
# (which netem delays too) before tcpdump sees it.
static_neigh() {
	local mcli msrv

	mcli=$(ip -n "$NS_CLI" -br link show veth-cli | awk '{ print $3 }')
	msrv=$(ip -n "$NS_SRV" -br link show veth-srv | awk '{ print $3 }')
	ip -n "$NS_CLI" neigh replace "$SRV4" lladdr "$msrv" dev veth-cli nud permanent &&
	ip -n "$NS_CLI" neigh replace "$SRV6" lladdr "$msrv" dev veth-cli nud permanent &&
	ip -n "$NS_SRV" neigh replace "$CLI4" lladdr "$mcli" dev veth-srv nud permanent &&
	ip -n "$NS_SRV" neigh replace "$CLI6" lladdr "$mcli" dev veth-srv nud permanent
}
static_neigh || fail_all "cannot set static neighbours"
tc -n "$NS_SRV" qdisc add dev veth-srv root netem delay 300ms ||
	fail_all "cannot add netem to veth-srv"

ktap_print_header
ktap_set_plan 14

# entry NSI LOCALEP REMOTEEP: the table's line for that connection.
entry() {
	awk -v ns="ns=$1" -v l="$2" -v r="$3" '$1 == ns && $4 == l && $6 == r' "$TMPD/conns"
}

# field LINE NAME: the word after NAME in LINE.
field() {
	awk -v n="$2" '{ for (i = 1; i < NF; i++) if ($i == n) { print $(i + 1); exit } }' <<< "$1"
}

# states LINE: the state names of time_us, in order.
states() {
	field "$1" time_us | tr ',' '\n' | sed 's/=.*//' | tr '\n' ' '
}

# state_us LINE STATE
state_us() {
	field "$1" time_us | tr ',' '\n' | sed -n "s/^$2=//p"
}

# proc_latency NS: "count mean max" of its handshake latency line.
proc_latency() {
	ip netns exec "$1" cat "$PROC_NET" |
		awk '$1 == "handshake" && $2 == "latency" { print $4, $6, $8 }'
}

# td_handshake PCAP PORT CLIEP: J, K and the client's SYN -> ACK interval
# in us, from the capture.
td_handshake() {
	tcpdump -tt -S -n -r "$1" "tcp port $2" 2>/dev/null | awk -v c="$3" '
	function us(t,   s) { s = t; sub(/\..*/, "", s); return s * 1000000 + substr(t, length(s) + 2) }
	{ from_cli = index($3, c ".") == 1 || index($3, c ":") == 1 }
	from_cli && $7 == "[S]," && j == "" { j = $9; sub(/,$/, "", j); t0 = us($1) }
	!from_cli && $7 == "[S.]," && k == "" { k = $9; sub(/,$/, "", k) }
	from_cli && k != "" && $7 == "[.]," && t1 == "" { t1 = us($1) }
	END { print j, k, (t0 && t1 ? t1 - t0 : "") }'
}

check_family() {
	local fam=$1 srv=$2 cli=$3 port=$4 ev=$TMPD/ev-$1 cap=$TMPD/cap-$1
	local tdpid cl sl cid sid j k td_us srvep cliep c_us s_us lat ok

	srvep=$(endpoint "$srv") cliep=$(endpoint "$cli")
	tcpscope_load || fail_all "insmod failed"
	events_reader_start "$ev"
	ip netns exec "$NS_CLI" tcpdump -S -n -U --immediate-mode -i veth-cli -w "$cap" \
		"tcp port $port" 2> "$cap.err" &
	tdpid=$!
	BG_PIDS+=("$tdpid")
	wait_for_line "$cap.err" 'listening on' "$START_WAIT" || ktap_print_msg "tcpdump: $(cat "$cap.err")"
	ok=1
	run_conn "$ev" "$srv" "$cli" "$port" --bytes 100 || ok=
	td_stop "$tdpid" "$cap"
	cat "$CONNS" > "$TMPD/conns"
	cl=$(entry "$NSI_CLI" "$cliep:$CPORT" "$srvep:$port")
	sl=$(entry "$NSI_SRV" "$srvep:$port" "$cliep:$CPORT")
	cid=$(ev_norm "$ev" | awk -v p="$CPORT" '$6 == p && $9 == "CLOSE" && $10 == "SYN_SENT" { print $4 }')
	# The server's child that lived: two racing ACKs (the handshake's and
	# the data's, on two CPUs) can make the kernel create a second child,
	# which dies in SYN_RECV and never reaches ESTABLISHED.
	sid=$(ev_norm "$ev" | awk -v p="$CPORT" '$8 == p && $9 == "SYN_RECV" && $10 == "ESTABLISHED" { print $4 }')
	read -r j k td_us <<< "$(td_handshake "$cap" "$port" "$cli")"
	ktap_print_msg "client: $cl"
	ktap_print_msg "server: $sl"
	ktap_print_msg "tcpdump: J $j K $k, client SYN -> ACK ${td_us} us"

	if [ -n "$ok" ] && [ -n "$j" ] && [ -n "$k" ] && [ -n "$cid" ] && [ -n "$sid" ] &&
	   [[ $cl == "ns=$NSI_CLI id=$cid active $cliep:$CPORT > $srvep:$port TIME_WAIT isn_local $j isn_remote $k synack ok ack ok synacks 1 "* ]] &&
	   [[ $sl == "ns=$NSI_SRV id=$sid passive $srvep:$port > $cliep:$CPORT CLOSE isn_local $k isn_remote $j synack ok ack ok synacks 1 "* ]]; then
		ktap_test_pass "$fam: client and server entries: ids, roles, states, ISNs J and K as tcpdump's, checks ok"
	else
		ktap_test_fail "$fam: client and server entries: ids ($cid, $sid), roles, states, ISNs J and K as tcpdump's, checks ok"
	fi

	c_us=$(field "$cl" handshake_us)
	s_us=$(field "$sl" handshake_us)
	if [[ $c_us =~ ^[0-9]+$ && $s_us =~ ^[0-9]+$ && $td_us =~ ^[0-9]+$ ]] &&
	   [ "$c_us" -ge "$DELAY_US" ] && [ "$s_us" -ge "$DELAY_US" ] &&
	   [ "$((c_us - td_us))" -le 50000 ] && [ "$((td_us - c_us))" -le 50000 ]; then
		ktap_test_pass "$fam: handshake_us: client $c_us = tcpdump's $td_us (+-50 ms), server $s_us, both >= 300 ms"
	else
		ktap_test_fail "$fam: handshake_us: client '$c_us' = tcpdump's '$td_us' (+-50 ms), server '$s_us', both >= 300 ms"
	fi

	if [ "$(states "$cl")" = "SYN_SENT ESTABLISHED FIN_WAIT1 FIN_WAIT2 TIME_WAIT " ] &&
	   [ "$(states "$sl")" = "SYN_RECV ESTABLISHED CLOSE_WAIT LAST_ACK " ] &&
	   [ "$(state_us "$cl" SYN_SENT)" -ge "$DELAY_US" ] &&
	   [ "$(state_us "$sl" LAST_ACK)" -ge "$DELAY_US" ]; then
		ktap_test_pass "$fam: time per state: the states each side went through; SYN_SENT and LAST_ACK >= 300 ms"
	else
		ktap_test_fail "$fam: time per state: the states each side went through; SYN_SENT and LAST_ACK >= 300 ms"
	fi

	lat="$(proc_latency "$NS_CLI") / $(proc_latency "$NS_SRV")"
	if [ "$lat" = "1 $c_us $c_us / 1 $s_us $s_us" ]; then
		ktap_test_pass "$fam: /proc handshake latency in each namespace: count 1, mean = max = the entry's"
	else
		ktap_print_msg "/proc (client / server): $lat"
		ktap_test_fail "$fam: /proc handshake latency in each namespace: count 1, mean = max = the entry's"
	fi
}

check_family ipv4 "$SRV4" "$CLI4" 9400
events_reader_stop
tcpscope_unload
# The client's TIME_WAIT (IPv6) ends with its namespace: wait for its
# record while the reader still reads.
check_family ipv6 "$SRV6" "$CLI6" 9406
ip netns del "$NS_CLI"
wait_for_line "$TMPD/ev-ipv6" "ns=$NSI_CLI id=[0-9a-f]+ state .* TIME_WAIT -> CLOSE\$" $((20 * SLOW)) ||
	ktap_print_msg "no TIME_WAIT -> CLOSE record for the client within $((20 * SLOW)) s"
events_reader_stop
cat "$CONNS" > "$TMPD/conns"
cl=$(entry "$NSI_CLI" "[$CLI6]:$CPORT" "[$SRV6]:9406")
tw=$(state_us "$cl" TIME_WAIT)
if [[ $cl == *" CLOSE isn_local "* ]] && [[ $tw =~ ^[0-9]+$ ]] && [ "$tw" -gt 0 ]; then
	ktap_test_pass "ipv6: namespace deleted: the client's entry is CLOSE, TIME_WAIT lasted $tw us"
else
	ktap_print_msg "client: $cl"
	ktap_test_fail "ipv6: namespace deleted: the client's entry is CLOSE, with its TIME_WAIT time"
fi
tcpscope_unload

# ---------------------------------------------------------- the bound
setup_ns_pair || fail_all "cannot set up the namespaces"
tcpscope_load max_conns=64 || fail_all "insmod max_conns=64 failed"
ip netns exec "$NS_CLI" "$SELFTESTS_DIR/tcpsend.py" --syn "$SRV4" 9999 600 1 > "$TMPD/flood" 2>&1
# The server's RSTs may still be on their way (a slow guest leaves the
# softirq work to ksoftirqd): read the table until it reaches 600 or
# the time is up.
# seen_600: the table holds or has evicted 600 entries; n is how many
# it holds, ev how many it evicted.
seen_600() {
	cat "$CONNS" > "$TMPD/conns"
	n=$(grep -vc '^#' "$TMPD/conns")
	ev=$(sed -n 's/^# max_conns 64 evicted \([0-9]*\) entry_bytes [0-9]*$/\1/p' "$TMPD/conns")
	[[ $ev =~ ^[0-9]+$ ]] && [ "$((ev + n))" -ge 600 ]
}
wait_until -i 0.5 $((10 * SLOW)) seen_600 || true
ktap_print_msg "$(cat "$TMPD/flood"): $(head -n 1 "$TMPD/conns"), $n entries"
# Each SYN makes an entry where it is sent; nothing listens on port 9999,
# so none where it is received (no socket takes it): 600 in all.
srv=$(grep -c "^ns=$NSI_SRV " "$TMPD/conns")
name="SYN flood (600 ports): at most 64 entries, evictions + entries = 600, none on the closed port's side"
if [ "$n" -le 64 ] && [ "$n" -gt 0 ] && [[ $ev =~ ^[0-9]+$ ]] &&
   [ "$((ev + n))" -eq 600 ] && [ "$srv" -eq 0 ]; then
	ktap_test_pass "$name"
else
	ktap_print_msg "the server namespace's entries: $srv"
	ktap_test_fail "$name"
fi
EV=$TMPD/ev-after
events_reader_start "$EV"
ok=1
run_conn "$EV" "$SRV4" "$CLI4" 9410 || ok=
events_reader_stop
cat "$CONNS" > "$TMPD/conns"
cl=$(entry "$NSI_CLI" "$CLI4:$CPORT" "$SRV4:9410")
sl=$(entry "$NSI_SRV" "$SRV4:9410" "$CLI4:$CPORT")
if [ -n "$ok" ] && [[ $cl == *" active "*" TIME_WAIT isn_local "*" synack ok ack ok "* ]] &&
   [[ $sl == *" passive "*" CLOSE isn_local "*" synack ok ack ok "* ]]; then
	ktap_test_pass "after the flood, a new connection is tracked on both ends"
else
	ktap_print_msg "client: $cl"$'\n'"server: $sl"
	ktap_test_fail "after the flood, a new connection is tracked on both ends"
fi

# IPv4 to a dual-stack listener: the server's socket is IPv6 with
# v4-mapped addresses, its segments IPv4; one entry, keyed as IPv4.
ip netns exec "$NS_SRV" "$TCPCONN" server :: 9420 --count 1 > "$TMPD/ds.srv" 2>&1 &
BG_PIDS+=("$!")
wait_for_line "$TMPD/ds.srv" '^listening ' "$START_WAIT"
ip netns exec "$NS_CLI" "$TCPCONN" client "$SRV4" 9420 --bytes 10 > "$TMPD/ds.cli" 2>&1
cport=$(awk '/^port /{print $2; exit}' "$TMPD/ds.cli")
sleep $((2 * SLOW))
cat "$CONNS" > "$TMPD/conns"
sl=$(entry "$NSI_SRV" "$SRV4:9420" "$CLI4:$cport")
if [[ $sl == *" passive "*" isn_local "[0-9]*" isn_remote "[0-9]*" synack ok ack ok "* ]] &&
   ! grep -q ':ffff:' "$TMPD/conns"; then
	ktap_test_pass "IPv4 to a dual-stack listener: one server entry, as IPv4, ISNs and checks"
else
	ktap_print_msg "server: $sl"$'\n'"$(grep ':9420 ' "$TMPD/conns")"
	ktap_test_fail "IPv4 to a dual-stack listener: one server entry, as IPv4, ISNs and checks"
fi
tcpscope_unload

START0=$DMESG_START
dmesg_mark
if insmod "$TCPSCOPE_KO" max_conns=2000000 2> /dev/null; then
	rmmod tcpscope
	ktap_test_fail "max_conns=2000000: insmod fails with a message"
elif tcpscope_gone && dmesg_new | grep -q 'tcpscope: max_conns=2000000 is invalid'; then
	ktap_test_pass "max_conns=2000000: insmod fails with a message"
else
	ktap_print_msg "kernel log: $(dmesg_new | tail -3)"
	ktap_test_fail "max_conns=2000000: insmod fails with a message"
fi
DMESG_START=$START0
ktap_test_result "no kernel warnings" dmesg_check
ktap_finished
