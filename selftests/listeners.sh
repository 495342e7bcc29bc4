#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# listeners.sh: a listener's SYN (half-open) and accept (full) queues, as
# the listen records, the listeners file and /proc/net/tcpscope show them,
# against the kernel's own counters (nstat) and ss. Namespaces cli and srv
# over veth; the client gives up a SYN after one retry, the server a
# SYN-ACK after one (two, then four in part C), so that each part settles
# in seconds.
#  A. accept queue: backlog 2, nobody accepts, 6 clients connect. The
#     depth reaches 3/2 (the kernel admits one more than the limit), as
#     ss -lnt's Recv-Q; the overflows (SYNs and third ACKs dropped) equal
#     the growth of ListenOverflows, line for line in the events; an
#     accept() is an accept event and the depth follows ss again; one
#     source sets no SYN-flood flag.
#  B. SYN queue: 60 SYNs from 60 addresses that never answer, backlog 16,
#     tcp_syncookies 0 then 1 (a listener each): the depth peaks at the
#     SYNs the kernel queued, 60 less TCPReqQFullDrop (17 on 6.1 and
#     later, whose inet_csk_reqsk_queue_is_full() compares with >; 16 on
#     5.10, with >=), and is ss's count of SYN-RECV sockets (read between
#     two of the table's, as the kernel may start expiring them); the overflows equal
#     TCPReqQFullDrop, then TCPReqQFullDoCookies, the cookies
#     SyncookiesSent; the SYN-flood flag is set. Meanwhile the table's memory does not grow.
#  C. a lost third ACK (nft drops the client's pure ACKs): the SYN-ACK is
#     sent again after about 1 s and 3 s (retry 1, 2, TCPSynRetrans), the
#     request leaves the SYN queue when the retries run out (drop timeout);
#     a second client's data completes its handshake (child event; four
#     retries there, so that a slow guest's data comes in time).
#  An IPv4 client of a dual-stack listener shows as [::ffff:a.b.c.d].
#  E. every child is one child event and one accept event, whichever
#     way the kernel made it: from a valid SYN cookie (tcp_syncookies=2;
#     the child events equal the growth of SyncookiesRecv; the client
#     writes only after the server's first byte, so its third ACK is the
#     one segment that carries a cookie to the listener) and at a Fast
#     Open SYN (the first of five connections gets the cookie, the other
#     four carry data on the SYN: TCPFastOpenPassive).
#  D. max_listeners=4: 10 listeners started and stopped on one CPU, the
#     file keeps 4 and counts the rest as evicted. Bad parameter values fail insmod with a message.

. "$(dirname "$0")/lib.sh"

require_env
require_cmds nstat nft
LISTENERS=$DEBUGFS_DIR/listeners
LISTENER=(python3 "$SELFTESTS_DIR/listener.py")
EV=$TMPD/ev

dmesg_mark
setup_ns_pair || fail_all "cannot set up the namespaces"
# The spoofed sources of part B live behind the client, which drops
# what the server sends them.
ip -n "$NS_SRV" route add 10.99.0.0/16 via "$CLI4" ||
	fail_all "cannot add a route"
{ ip netns exec "$NS_CLI" sysctl -qw net.ipv4.tcp_syn_retries=1 &&
  ip netns exec "$NS_SRV" sysctl -qw net.ipv4.tcp_synack_retries=1; } ||
	fail_all "cannot set the retries"
tcpscope_load listen=1 synflood_halfopen=8 synflood_sources=8 ||
	fail_all "insmod failed"
events_reader_start "$EV"

ktap_print_header
ktap_set_plan 21

# nstat_get NS COUNTER: the namespace's counter, absolute.
nstat_get() {
	ip netns exec "$1" nstat -asz "$2" | awk -v c="$2" '$1 == c { print $2 }'
}

# lfield PORT NAME: the value after NAME in the listeners line of PORT.
lfield() {
	awk -v ep="$SRV4:$1" -v n="$2" '$3 == ep { for (i = 4; i < NF; i++) if ($i == n) { print $(i + 1); exit } }' "$LISTENERS"
}

# ss_listen PORT: "Recv-Q Send-Q" of the listener.
ss_listen() {
	ip netns exec "$NS_SRV" ss -Hlnt "sport = :$1" | awk '{ print $2, $3 }'
}

# ss_synrecv PORT: the listener's request sockets, as ss counts them.
ss_synrecv() {
	ip netns exec "$NS_SRV" ss -Hnt state syn-recv "sport = :$1" | wc -l
}

# srv_counters COUNTER...: the server's COUNTERs, on one line.
srv_counters() {
	local c

	for c; do
		printf '%s ' "$(nstat_get "$NS_SRV" "$c")"
	done
}

# settle COUNTER...: until the server's COUNTERs held still for 1.5 s.
settle() {
	# shellcheck disable=SC2034 # unchanged's, by name
	SETTLE_LAST=-1
	wait_until -i 1.5 $((30 * SLOW)) unchanged SETTLE_LAST srv_counters "$@"
}

re_ip() {	# re_ip ADDR: ADDR with its dots escaped
	printf '%s' "$1" | sed 's/\./\\./g'
}

# lines PORT REGEX: listen lines of the listener on PORT matching REGEX.
lines() {
	sleep 0.3	# the reader's wakeup delay
	grep -E " listen $(printf '%s' "$SRV4:$1" | sed 's/\./\\./g')( .*)?$2" "$EV"
}

serve() {	# serve PORT BACKLOG: a server in the background, listening
	mkdir -p "$TMPD/ctl-$1"
	ip netns exec "$NS_SRV" "${LISTENER[@]}" serve "$SRV4" "$1" "$2" "$TMPD/ctl-$1" \
		> "$TMPD/srv-$1" 2>&1 &
	BG_PIDS+=("$!")
	wait_for_line "$TMPD/srv-$1" '^listening' "$START_WAIT"
}

clients() {	# clients PORT COUNT: COUNT connect()s in the background
	mkdir -p "$TMPD/cctl-$1"
	ip netns exec "$NS_CLI" "${LISTENER[@]}" connect "$SRV4" "$1" "$2" "$TMPD/cctl-$1" \
		> "$TMPD/cli-$1" 2>&1 &
	BG_PIDS+=("$!")
	wait_for_line "$TMPD/cli-$1" '^started' "$START_WAIT"
}

# ---------------------------------------------------------------- A
lo0=$(nstat_get "$NS_SRV" TcpExtListenOverflows)
serve 8080 2 || ktap_print_msg "server 8080 did not start"
clients 8080 6 || ktap_print_msg "clients 8080 did not start"
sleep 4
settle TcpExtListenOverflows || ktap_print_msg "the counters did not settle"
lo=$(( $(nstat_get "$NS_SRV" TcpExtListenOverflows) - lo0 ))
read -r rq sq <<< "$(ss_listen 8080)"
ktap_print_msg "8080: $(grep " $SRV4:8080 " "$LISTENERS")"
ktap_print_msg "ss: Recv-Q $rq Send-Q $sq; ListenOverflows +$lo"
aq=$(lfield 8080 acceptq)
if [ "$aq" = "3/2" ] && [ "$rq/$sq" = "3/2" ] &&
   grep -q " $SRV4:8080 listening .* acceptq 3/2 max 3 " "$LISTENERS"; then
	ktap_test_pass "accept queue: depth 3/2 (one above the limit), max 3, as ss -lnt's Recv-Q/Send-Q"
else
	ktap_test_fail "accept queue: depth '$aq' (want 3/2), as ss -lnt's Recv-Q/Send-Q '$rq/$sq'"
fi
drops=$(lfield 8080 acceptq_drops)
if [ "$lo" -gt 0 ] && [ "$drops" = "$lo" ]; then
	ktap_test_pass "accept queue: acceptq_drops $drops = growth of ListenOverflows"
else
	ktap_test_fail "accept queue: acceptq_drops '$drops' = growth of ListenOverflows ($lo, > 0)"
fi
n=$(lines 8080 ' overflow acceptq-(syn|ack) ' | wc -l)
nsyn=$(lines 8080 ' overflow acceptq-syn ' | wc -l)
if [ "$n" = "$lo" ]; then
	ktap_test_pass "accept queue: one overflow event per ListenOverflows ($nsyn SYNs, $((n - nsyn)) third ACKs dropped)"
else
	ktap_test_fail "accept queue: overflow events $n ($nsyn SYNs dropped, the rest third ACKs) = ListenOverflows $lo"
fi
pl=$(ip netns exec "$NS_SRV" cat "$PROC_NET" | grep "^listener $SRV4:8080 ")
plc=$(ip netns exec "$NS_CLI" cat "$PROC_NET" | grep -c '^listener ')
hs=$(lfield 8080 handshakes)
lat=$(ip netns exec "$NS_SRV" cat "$PROC_NET" | awk '$1 == "handshake" && $2 == "latency" { print $4 }')
if [[ $pl == *" acceptq 3/2 max 3 "*" acceptq_overflows $lo handshakes $hs "* ]] &&
   [ "$plc" = 0 ] && [ "$hs" = 3 ] && [ "$lat" = "$hs" ]; then
	ktap_test_pass "/proc/net/tcpscope: the server's namespace has the listener line, the client's none; handshakes timed = children (3), dropped ACKs not"
else
	ktap_print_msg "server: $pl; client: $plc listener lines; latency count $lat"
	ktap_test_fail "/proc/net/tcpscope: the server's namespace has the listener line, the client's none; handshakes timed = children ($hs), dropped ACKs not"
fi
touch "$TMPD/ctl-8080/accept-1"
wait_for_line "$TMPD/srv-8080" '^accepted' $((10 * SLOW))
# The reader may be slow to run on a busy guest: wait for the line.
wait_for_line "$EV" " listen $(re_ip "$SRV4"):8080 .* accept peer " $((5 * SLOW))
sleep 0.5
read -r rq sq <<< "$(ss_listen 8080)"
peer=$(awk '/^accepted/ { print $2 ":" $3; exit }' "$TMPD/srv-8080")
if [ -n "$(lines 8080 " acceptq 2/2 accept peer $peer\$")" ] &&
   [ "$(lfield 8080 acceptq)" = "$rq/$sq" ] && [ "$rq" = 2 ]; then
	ktap_test_pass "accept(): an accept event for $peer, depth 2/2 as ss's"
else
	ktap_test_fail "accept(): an accept event for '$peer', depth $(lfield 8080 acceptq) as ss's $rq/$sq"
fi
if [ "$(lfield 8080 synflood)" = no ] && [ "$(lfield 8080 floods)" = 0 ]; then
	ktap_test_pass "accept queue: one source raises no SYN-flood flag"
else
	ktap_test_fail "accept queue: one source raises no SYN-flood flag"
fi
touch "$TMPD/cctl-8080/stop" "$TMPD/ctl-8080/stop"

# ---------------------------------------------------------------- B
# flood PORT COOKIES: 60 SYNs from 60 addresses to a listener (backlog
# 16). The queue's depth and ss's SYN-RECV count are taken at once: with
# the queue over half full the kernel gives its requests fewer SYN-ACK
# retries, and the first leave after about 7 s.
flood() {
	ip netns exec "$NS_SRV" sysctl -qw net.ipv4.tcp_syncookies="$2" \
		net.ipv4.tcp_synack_retries=5
	serve "$1" 16 || ktap_print_msg "server $1 did not start"
	ip netns exec "$NS_CLI" python3 "$SELFTESTS_DIR/tcpsend.py" --syn-from 10.99 \
		"$SRV4" "$1" 60 "$1" > /dev/null
	sleep 0.5
	# The kernel expires requests of a queue over half full after two
	# SYN-ACK retries (about 7 s): on a slow guest that can happen
	# between two reads, so ss's count is taken between two of the table's.
	SYNQ_TABLE=$(lfield "$1" synq)
	SYNQ_SS=$(ss_synrecv "$1")
	SYNQ_TABLE2=$(lfield "$1" synq)
	settle TcpExtTCPReqQFullDrop TcpExtTCPReqQFullDoCookies ||
		ktap_print_msg "the counters did not settle"
}
vm0=$(awk '$1 == "VmallocUsed:" { print $2 }' /proc/meminfo)
d0=$(nstat_get "$NS_SRV" TcpExtTCPReqQFullDrop)
flood 8081 0
d=$(( $(nstat_get "$NS_SRV" TcpExtTCPReqQFullDrop) - d0 ))
ktap_print_msg "8081: $(grep " $SRV4:8081 " "$LISTENERS")"
ktap_print_msg "right after the SYNs: synq $SYNQ_TABLE, ss $SYNQ_SS SYN-RECV, synq $SYNQ_TABLE2; TCPReqQFullDrop +$d"
queued=$((60 - d))
if [ "$(lfield 8081 max)" = "$queued" ] && { [ "$queued" = 16 ] || [ "$queued" = 17 ]; } &&
   [ "${SYNQ_TABLE#*/}" = 16 ] &&
   { [ "$SYNQ_TABLE" = "$SYNQ_SS/16" ] || [ "$SYNQ_TABLE2" = "$SYNQ_SS/16" ]; }; then
	ktap_test_pass "SYN queue: max depth $queued (the SYNs queued: 60 - TCPReqQFullDrop; limit 16), the depth as ss's SYN-RECV sockets ($SYNQ_SS)"
else
	ktap_test_fail "SYN queue: max depth $(lfield 8081 max) (want 60 - TCPReqQFullDrop = $queued, 16 or 17), depth $SYNQ_TABLE then $SYNQ_TABLE2 (want 16 as the limit, and ss's $SYNQ_SS between)"
fi
if [ "$d" -gt 0 ] && [ "$(lfield 8081 synq_drops)" = "$d" ] && [ "$(lfield 8081 syns)" = 60 ] &&
   [ "$(lines 8081 ' overflow synq-drop ' | wc -l)" = "$d" ]; then
	ktap_test_pass "tcp_syncookies=0: 60 SYNs, synq_drops and overflow events = growth of TCPReqQFullDrop ($d)"
else
	ktap_test_fail "tcp_syncookies=0: 60 SYNs, synq_drops and overflow events = growth of TCPReqQFullDrop ($d)"
fi
c0=$(nstat_get "$NS_SRV" TcpExtTCPReqQFullDoCookies)
s0=$(nstat_get "$NS_SRV" TcpExtSyncookiesSent)
flood 8082 1
c=$(( $(nstat_get "$NS_SRV" TcpExtTCPReqQFullDoCookies) - c0 ))
s=$(( $(nstat_get "$NS_SRV" TcpExtSyncookiesSent) - s0 ))
ktap_print_msg "8082: $(grep " $SRV4:8082 " "$LISTENERS")"
ktap_print_msg "TCPReqQFullDoCookies +$c, SyncookiesSent +$s"
if [ "$c" -gt 0 ] && [ "$(lfield 8082 synq_cookies)" = "$c" ] &&
   [ "$(lfield 8082 cookies_sent)" = "$s" ] &&
   [ "$(lines 8082 ' synack cookie peer ' | wc -l)" = "$s" ]; then
	ktap_test_pass "tcp_syncookies=1: synq_cookies = TCPReqQFullDoCookies ($c), cookies_sent and cookie SYN-ACK events = SyncookiesSent ($s)"
else
	ktap_test_fail "tcp_syncookies=1: synq_cookies = TCPReqQFullDoCookies ($c), cookies_sent and cookie SYN-ACK events = SyncookiesSent ($s)"
fi
f1=$(grep " $SRV4:8081 " "$LISTENERS" | grep -c ' floods 1 last_halfopen ')
f2=$(grep " $SRV4:8082 " "$LISTENERS" | grep -c ' floods 1 last_halfopen ')
if [ "$f1" = 1 ] && [ "$f2" = 1 ] && [ -n "$(lines 8081 ' synflood$')" ]; then
	ktap_test_pass "SYN flood from 60 sources: the flag is raised on both listeners, the events say synflood"
else
	ktap_test_fail "SYN flood from 60 sources: the flag is raised on both listeners, the events say synflood"
fi
vm1=$(awk '$1 == "VmallocUsed:" { print $2 }' /proc/meminfo)
if [ "$(grep -c "^ns=" "$LISTENERS")" -le 256 ] &&
   [ "$(head -n 1 "$LISTENERS" | awk '{ print $3 }')" = 256 ] &&
   [ "$((vm1 - vm0))" -lt 256 ]; then
	ktap_test_pass "SYN flood: the listener table stays at its 256 entries, VmallocUsed ${vm0} -> ${vm1} kB"
else
	ktap_test_fail "SYN flood: the listener table stays at its 256 entries, VmallocUsed ${vm0} -> ${vm1} kB"
fi
touch "$TMPD/ctl-8081/stop" "$TMPD/ctl-8082/stop"
# Gone before part C reads TCPSynRetrans: a request of a listener still
# open would send its SYN-ACK again (one of a closed listener is dropped).
listeners_gone() {
	[ -z "$(ss_listen 8081)$(ss_listen 8082)" ]
}
wait_until $((5 * SLOW)) listeners_gone || true

# ---------------------------------------------------------------- C
ip netns exec "$NS_SRV" sysctl -qw net.ipv4.tcp_synack_retries=2
ip netns exec "$NS_CLI" nft -f - <<-EOF
	table inet tcpscope_test {
		chain out {
			type filter hook output priority 0;
			tcp dport 8083 tcp flags & (fin | syn | rst | psh | ack | urg) == ack drop
		}
	}
EOF
CLEANUP_CMDS+=("ip netns exec $NS_CLI nft delete table inet tcpscope_test")
r0=$(nstat_get "$NS_SRV" TcpExtTCPSynRetrans)
serve 8083 4 || ktap_print_msg "server 8083 did not start"
clients 8083 1
cport=$(awk '/^started/ { print $2 }' "$TMPD/cli-8083")
wait_for_line "$EV" " listen $SRV4:8083 .* drop timeout peer $CLI4:$cport\$" $((15 * SLOW))
r=$(( $(nstat_get "$NS_SRV" TcpExtTCPSynRetrans) - r0 ))
rl=$(lines 8083 " synack-retrans .* peer $CLI4:$cport\$")
ktap_print_msg "SYN-ACK retransmissions (TCPSynRetrans +$r):"$'\n'"$rl"
a1=$(echo "$rl" | sed -n 's/.* retry 1 after_us \([0-9]*\) .*/\1/p')
a2=$(echo "$rl" | sed -n 's/.* retry 2 after_us \([0-9]*\) .*/\1/p')
# Backoff: retry 1 about 1 s after the SYN-ACK, retry 2 about 2 s after
# retry 1. That timer is armed when retry 1 fires, so a late retry 1 on
# a slow guest cannot shorten a2 - a1 (a ratio against a1 could fail).
if [ "$r" = 2 ] && [ "$(echo "$rl" | wc -l)" = 2 ] && [ -n "$a1" ] && [ -n "$a2" ] &&
   [ "$a1" -ge 900000 ] && [ $((a2 - a1)) -ge 1800000 ]; then
	ktap_test_pass "lost third ACK: SYN-ACK retries 1 and 2 = TCPSynRetrans, after $a1 and $a2 us (backoff doubles)"
else
	ktap_test_fail "lost third ACK: SYN-ACK retries 1 and 2 = TCPSynRetrans ($r), after '$a1' and '$a2' us (backoff doubles)"
fi
if [ -n "$(lines 8083 " synq 0/4 acceptq 0/4 drop timeout peer $CLI4:$cport\$")" ] &&
   [ "$(lfield 8083 req_drops)" = 1 ] && [ "$(ss_synrecv 8083)" = 0 ]; then
	ktap_test_pass "lost third ACK: retries run out, the request leaves the SYN queue (drop timeout, synq 0/4, ss agrees)"
else
	ktap_print_msg "$(lines 8083 " peer $CLI4:$cport\$")"$'\n'"$(grep " $SRV4:8083 " "$LISTENERS")"
	ktap_test_fail "lost third ACK: retries run out, the request leaves the SYN queue (drop timeout, synq 0/4, ss agrees)"
fi
touch "$TMPD/cctl-8083/stop"
# Four retries (the request lives about 31 s), so that a slow guest's
# client sends its data before the request expires.
ip netns exec "$NS_SRV" sysctl -qw net.ipv4.tcp_synack_retries=4
mkdir -p "$TMPD/cctl2"
ip netns exec "$NS_CLI" "${LISTENER[@]}" connect "$SRV4" 8083 1 "$TMPD/cctl2" > "$TMPD/cli2" 2>&1 &
BG_PIDS+=("$!")
wait_for_line "$TMPD/cli2" '^started' "$START_WAIT"
cport=$(awk '/^started/ { print $2 }' "$TMPD/cli2")
wait_for_line "$EV" " listen $SRV4:8083 .* synack-retrans retry 1 .* peer $CLI4:$cport\$" $((10 * SLOW))
touch "$TMPD/cctl2/send"
wait_for_line "$EV" " listen $SRV4:8083 .* child peer $CLI4:$cport\$" $((10 * SLOW))
read -r rq sq <<< "$(ss_listen 8083)"
if [ -n "$(lines 8083 " synq 0/4 acceptq 1/4 child peer $CLI4:$cport\$")" ] && [ "$rq" = 1 ]; then
	ktap_test_pass "lost third ACK: the client's data completes the handshake (child event, synq 0/4, acceptq 1/4 as ss)"
else
	ktap_print_msg "$(lines 8083 " peer $CLI4:$cport\$")"
	ktap_test_fail "lost third ACK: the client's data completes the handshake (child event, synq 0/4, acceptq 1/4 as ss: $rq)"
fi
touch "$TMPD/cctl2/stop" "$TMPD/ctl-8083/stop"

# An IPv4 client of a dual-stack listener: its peer, v4-mapped, everywhere.
serve8084() {
	mkdir -p "$TMPD/ctl-8084" "$TMPD/cctl-8084"
	ip netns exec "$NS_SRV" "${LISTENER[@]}" serve :: 8084 4 "$TMPD/ctl-8084" \
		> "$TMPD/srv-8084" 2>&1 &
	BG_PIDS+=("$!")
	wait_for_line "$TMPD/srv-8084" '^listening' "$START_WAIT" &&
	touch "$TMPD/ctl-8084/accept-1" &&
	clients 8084 1 &&
	wait_for_line "$TMPD/srv-8084" '^accepted' $((10 * SLOW))
}
serve8084 || ktap_print_msg "the dual-stack connection did not run"
cport=$(awk '/^started/ { print $2 }' "$TMPD/cli-8084")
wait_for_count "$EV" ' listen \[::\]:8084 ' 4 $((5 * SLOW))
sleep 0.5
l8084=$(grep ' listen \[::\]:8084 ' "$EV")
good=$(grep -cE " synq [0-9]+/4 acceptq [0-9]+/4 (syn|synack|child|accept) peer \[::ffff:$(re_ip "$CLI4")\]:$cport\$" <<< "$l8084")
if [ "$good" = 4 ] && [ "$(wc -l <<< "$l8084")" = 4 ]; then
	ktap_test_pass "IPv4 client of a dual-stack listener: syn, synack, child, accept, each with peer [::ffff:$CLI4]:$cport"
else
	ktap_print_msg "$l8084"
	ktap_test_fail "IPv4 client of a dual-stack listener: syn, synack, child, accept, each with peer [::ffff:$CLI4]:$cport"
fi
touch "$TMPD/cctl-8084/stop" "$TMPD/ctl-8084/stop"

# ---------------------------------------------------------------- E
# burst PORT [fastopen]: five connections through a server that accepts
# them; true once both sides are done.
burst() {
	ip netns exec "$NS_SRV" "${LISTENER[@]}" accept "$SRV4" "$1" 5 > "$TMPD/srv-$1" 2>&1 &
	BG_PIDS+=("$!")
	wait_for_line "$TMPD/srv-$1" '^listening' "$START_WAIT" &&
	ip netns exec "$NS_CLI" timeout $((30 * SLOW)) "${LISTENER[@]}" burst "$SRV4" "$1" 5 "${@:2}" \
		> "$TMPD/cli-$1" 2>&1 &&
	wait_for_line "$TMPD/srv-$1" '^accepted 5' $((10 * SLOW))
}

# children PORT: "<child events> <accept events>" of the listener on PORT.
children() {
	echo "$(lines "$1" ' child peer ' | wc -l) $(lines "$1" ' accept peer ' | wc -l)"
}

{ ip netns exec "$NS_SRV" sysctl -qw net.ipv4.tcp_syncookies=2 net.ipv4.tcp_fastopen=3 &&
  ip netns exec "$NS_CLI" sysctl -qw net.ipv4.tcp_fastopen=3; } ||
	ktap_print_msg "cannot set tcp_syncookies, tcp_fastopen"
sr0=$(nstat_get "$NS_SRV" TcpExtSyncookiesRecv)
burst 8085 || ktap_print_msg "the SYN cookie connections did not run: $(cat "$TMPD/cli-8085")"
sr=$(( $(nstat_get "$NS_SRV" TcpExtSyncookiesRecv) - sr0 ))
read -r nc na <<< "$(children 8085)"
if [ "$sr" -ge 5 ] && [ "$nc" = "$sr" ] && [ "$na" = 5 ] &&
   [ "$(lfield 8085 handshakes)" = "$sr" ] && [ "$(lfield 8085 accepts)" = 5 ]; then
	ktap_test_pass "SYN cookies: $nc child events = growth of SyncookiesRecv, 5 accept events, as the table counts"
else
	ktap_print_msg "$(lines 8085 ' (child|accept) peer ')"$'\n'"$(grep " $SRV4:8085 " "$LISTENERS")"
	ktap_test_fail "SYN cookies: $nc child events = growth of SyncookiesRecv ($sr), $na accept events (want 5)"
fi
ip netns exec "$NS_SRV" sysctl -qw net.ipv4.tcp_syncookies=1
fo0=$(nstat_get "$NS_SRV" TcpExtTCPFastOpenPassive)
burst 8086 fastopen || ktap_print_msg "the Fast Open connections did not run: $(cat "$TMPD/cli-8086")"
fo=$(( $(nstat_get "$NS_SRV" TcpExtTCPFastOpenPassive) - fo0 ))
read -r nc na <<< "$(children 8086)"
if [ "$fo" = 4 ] && [ "$nc" = 5 ] && [ "$na" = 5 ] &&
   [ "$(lfield 8086 handshakes)" = 5 ] && [ "$(lfield 8086 accepts)" = 5 ]; then
	ktap_test_pass "Fast Open: 4 children at the SYN (TCPFastOpenPassive +$fo) and 1 at the third ACK: 5 child and 5 accept events"
else
	ktap_print_msg "$(lines 8086 ' (child|accept) peer ')"$'\n'"$(grep " $SRV4:8086 " "$LISTENERS")"
	ktap_test_fail "Fast Open: TCPFastOpenPassive +$fo (want 4), $nc child and $na accept events (want 5 each)"
fi

bad=$(grep ' listen ' "$EV" | grep -Evc -- "$RE_LISTEN")
total=$(grep -c ' listen ' "$EV")
if [ "$bad" = 0 ] && [ "$total" -gt 0 ]; then
	ktap_test_pass "every listen line ($total) has the documented format"
else
	ktap_print_msg "$(grep ' listen ' "$EV" | grep -Ev -- "$RE_LISTEN" | head -3)"
	ktap_test_fail "every listen line has the documented format ($bad of $total do not)"
fi
events_reader_stop
tcpscope_unload

# ---------------------------------------------------------------- D
tcpscope_load max_listeners=4 || ktap_print_msg "insmod max_listeners=4 failed"
# Each CPU has a table of max_listeners: the listeners all start and stop
# on CPU 0, so that one table is what the file shows.
for p in $(seq 9000 9009); do
	ip netns exec "$NS_SRV" taskset -c 0 python3 -c "
import socket, time
s = socket.socket(); s.bind(('$SRV4', $p)); s.listen(1)" || true
done
n=$(grep -c '^ns=' "$LISTENERS")
ev=$(head -n 1 "$LISTENERS" | awk '{ print $5 }')
if [ "$n" = 4 ] && [ "$ev" = 6 ]; then
	ktap_test_pass "max_listeners=4: 10 listeners, the file keeps 4, evicted 6"
else
	ktap_print_msg "$(cat "$LISTENERS")"
	ktap_test_fail "max_listeners=4: 10 listeners, the file keeps $n (want 4), evicted '$ev' (want 6)"
fi
tcpscope_unload

START0=$DMESG_START
dmesg_mark
if ! insmod "$TCPSCOPE_KO" max_listeners=70000 2> /dev/null &&
   ! insmod "$TCPSCOPE_KO" synflood_sources=0 2> /dev/null &&
   ! insmod "$TCPSCOPE_KO" listen=2 2> /dev/null && tcpscope_gone &&
   dmesg_new | grep -q 'tcpscope: max_listeners=70000 is invalid' &&
   dmesg_new | grep -q 'tcpscope: synflood_sources=0 is invalid' &&
   dmesg_new | grep -q 'tcpscope: listen=2 is invalid'; then
	ktap_test_pass "max_listeners=70000, synflood_sources=0, listen=2: insmod fails with a message"
else
	[ -d "$SYS_MODULE" ] && rmmod tcpscope
	ktap_print_msg "kernel log: $(dmesg_new | tail -3)"
	ktap_test_fail "max_listeners=70000, synflood_sources=0, listen=2: insmod fails with a message"
fi
DMESG_START=$START0
ktap_test_result "no kernel warnings" dmesg_check
ktap_finished
