#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fastopen_child.sh: a Fast Open child that dies in SYN_RECV is announced
# once. The client's SYN carries data (no cookie needed: tcp_fastopen
# 0x5 on the client, 0x202 on the server), so the listener creates the
# child at the SYN and hands it to accept() while it is still in SYN_RECV;
# nft drops the client's pure ACKs, so it stays there; the server closes
# it without reading, so the kernel resets it: SYN_RECV -> CLOSE. Once
# with a listener bound to a port and once with one bound to port 0 (the
# kernel picks the port), over IPv4 and IPv6.
# Each case checks against the kernel's own sock:inet_sock_set_state
# event: the child reached SYN_RECV -> CLOSE (the case happened), and the
# transitions of the sockets on the listener's port are the event's, as a
# multiset (a second LISTEN -> SYN_RECV would be one too many).

. "$(dirname "$0")/lib.sh"

require_env
require_cmds nft
ftrace_setup
dmesg_mark
setup_ns_pair || fail_all "cannot set up the namespaces"
HELPER=$SELFTESTS_DIR/fastopen_child.py
EV=$TMPD/events
# ADDR:PORT, PORT 0 for a port the kernel picks.
CASES="$SRV4:9001 $SRV4:0 $SRV6:9002 $SRV6:0"

ktap_print_header
ktap_set_plan 9

{ ip netns exec "$NS_CLI" sysctl -qw net.ipv4.tcp_fastopen=5 &&
	ip netns exec "$NS_SRV" sysctl -qw net.ipv4.tcp_fastopen=514; } ||
	fail_all "cannot enable TCP Fast Open"
ip netns exec "$NS_CLI" nft -f - <<-NFT || fail_all "nft"
table inet tcpscope_test {
	chain out {
		type filter hook output priority 0;
		tcp flags & (fin | syn | rst | psh | ack | urg) == ack drop
	}
}
NFT
tcpscope_load || fail_all "insmod $TCPSCOPE_KO failed"
events_reader_start "$EV"
echo > "$TRACEFS/trace"
echo "protocol == 6" > "$EVDIR/filter"
echo 1 > "$EVDIR/enable"

# one_case ADDR PORT: prints the listener's port; non-zero on failure.
one_case() {
	local addr=$1 ctl=$TMPD/ctl-$1-$2 srv cli port

	mkdir -p "$ctl"
	srv=$ctl/srv
	ip netns exec "$NS_SRV" python3 "$HELPER" server "$addr" "$2" "$ctl" \
		> "$srv" 2>&1 &
	BG_PIDS+=("$!")
	wait_for_line "$srv" '^port ' "$START_WAIT" || { cat "$srv" >&2; return 1; }
	port=$(sed -n 's/^port //p' "$srv")
	cli=$ctl/cli
	ip netns exec "$NS_CLI" python3 "$HELPER" client "$addr" "$port" "$ctl" \
		> "$cli" 2>&1 &
	BG_PIDS+=("$!")
	wait_for_line "$srv" '^accepted' "$START_WAIT" || { cat "$srv" "$cli" >&2; return 1; }
	: > "$ctl/close"
	wait_for_line "$srv" '^closed' "$START_WAIT" || { cat "$srv" >&2; return 1; }
	: > "$ctl/stop"
	echo "$port"
}

ports=()
for c in $CASES; do
	port=$(one_case "${c%:*}" "${c##*:}") || fail_all "case $c did not run"
	ports+=("$port")
	# The listener's LISTEN -> CLOSE is the case's last transition.
	wait_for_line "$EV" " state [^ ]+:$port > [^ ]+ LISTEN -> CLOSE\$" \
		$((10 * SLOW)) || fail_all "case $c: no LISTEN -> CLOSE for port $port"
done
echo 0 > "$EVDIR/enable"
cp "$TRACEFS/trace" "$TMPD/trace"
events_reader_stop
ktap_print_msg "cases $CASES: listener ports ${ports[*]}"

i=0
for c in $CASES; do
	port=${ports[$i]}
	i=$((i + 1))
	ours=$(ev_norm "$EV" | awk -v p="$port" '$6 == p { print $9, $10 }' | sort)
	theirs=$(ftrace_norm "$TMPD/trace" | awk -v p="$port" '$2 == p { print $5, $6 }' | sort)
	if grep -qx 'SYN_RECV CLOSE' <<< "$theirs"; then
		rec=yes
	else
		rec=no
	fi
	if [ "$rec" = yes ] && [ "$ours" = "$theirs" ]; then
		ktap_test_pass "$c: the sockets' transitions are the kernel's (port $port)"
	else
		ktap_print_msg "kernel's event:"$'\n'"$theirs"
		ktap_print_msg "tcpscope:"$'\n'"$ours"
		ktap_test_fail "$c: the sockets' transitions are the kernel's (port $port)"
	fi
	n=$(grep -Ec " state [^ ]+:$port > [^ ]+ LISTEN -> SYN_RECV\$" "$EV")
	if [ "$rec" = yes ] && [ "$n" -eq 1 ]; then
		ktap_test_pass "$c: one LISTEN -> SYN_RECV"
	else
		ktap_test_fail "$c: one LISTEN -> SYN_RECV (got $n; the child closed in SYN_RECV: $rec)"
	fi
done
ktap_test_result "no kernel warnings" dmesg_check
ktap_finished
