#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# resets.sh: RSTs sent and received, per family (IPv4, IPv6), against the
# kernel's own counters (nstat, per namespace) and the state records:
#  - abortive close (close() with data unread, SO_LINGER {1, 0}): the
#    client's kernel sets CLOSE and sends an RST ("reset tx" in CLOSE,
#    TcpOutRsts +1 in its namespace), the server's child receives it
#    ("reset rx" in ESTABLISHED, then ESTABLISHED -> CLOSE,
#    TcpEstabResets +1), each with its own id;
#  - connect() to a closed port: the client's SYN_SENT socket receives
#    the RST ("reset rx" in SYN_SENT, then SYN_SENT -> CLOSE). The RST
#    comes from no socket, so the server's side records none, and its
#    connections table has no row for the SYN.
# On 6.10 and later a sent RST carries the kernel's reason.

. "$(dirname "$0")/lib.sh"

require_env
dmesg_mark
tcpscope_load || fail_all "insmod $TCPSCOPE_KO failed"

# Sent RSTs carry the kernel's reason from 6.10 on.
RST_REASON=
if [ "$(uname -r | awk -F. '{ print $1 * 1000 + $2 }')" -ge 6010 ]; then
	RST_REASON=" reason TCP_ABORT_ON_CLOSE"
fi

ktap_print_header
ktap_set_plan 11

# nstat_get NS COUNTER: the counter's absolute value in NS.
nstat_get() {
	ip netns exec "$1" nstat -az "$2" 2>/dev/null | awk -v c="$2" '$1 == c { print $2 }'
}

# py_client NS MODE DST PORT: selftests/rstclient.py MODE DST PORT in NS.
py_client() {
	ip netns exec "$1" /usr/bin/python3 "$SELFTESTS_DIR/rstclient.py" "$2" "$3" "$4"
}

check_family() {
	local fam=$1 srv=$2 cli=$3 port=$4 ev cport id_cli id_child out0 er0 rows

	setup_ns_pair || fail_all "cannot set up the namespaces"
	ev=$TMPD/events-$fam
	events_reader_start "$ev"

	# 1. Abortive close by the client.
	ip netns exec "$NS_SRV" "$TCPCONN" server "$srv" "$port" --count 1 \
		> "$TMPD/srv-$fam" 2>&1 &
	BG_PIDS+=("$!")
	wait_for_line "$TMPD/srv-$fam" '^listening ' "$START_WAIT"
	out0=$(nstat_get "$NS_CLI" TcpOutRsts)
	er0=$(nstat_get "$NS_SRV" TcpEstabResets)
	py_client "$NS_CLI" abort "$srv" "$port" > "$TMPD/abort-$fam" 2>&1
	cport=$(awk '/^port /{ print $2; exit }' "$TMPD/abort-$fam")
	wait_for_line "$ev" ":$port > [^ ]*:$cport ESTABLISHED -> CLOSE\$" 10
	id_cli=$(grep -E -- ":$cport > [^ ]*:$port CLOSE -> SYN_SENT\$" "$ev" | sed -n 's/.* id=\([0-9a-f]*\) .*/\1/p')
	# The child that lived (a second one from two racing ACKs dies in
	# SYN_RECV).
	id_child=$(grep -E -- ":$port > [^ ]*:$cport SYN_RECV -> ESTABLISHED\$" "$ev" | sed -n 's/.* id=\([0-9a-f]*\) .*/\1/p')
	# close() with the echo unread: the kernel sets CLOSE, then sends
	# the RST (reason TCP_ABORT_ON_CLOSE from 6.10 on).
	if [ -n "$id_cli" ] &&
	   grep -Eq " id=$id_cli reset tx [^ ]*:$cport > [^ ]*:$port CLOSE$RST_REASON\$" "$ev" &&
	   [ "$(grep -c " id=$id_cli reset tx " "$ev")" -eq 1 ]; then
		ktap_test_pass "$fam: abortive close: one reset tx, client's id,${RST_REASON:- no reason}"
	else
		ktap_print_msg "$(cat "$TMPD/abort-$fam")"$'\n'"$(grep -- ":$cport " "$ev")"
		ktap_test_fail "$fam: abortive close: one reset tx, client's id,${RST_REASON:- no reason}"
	fi
	if [ -n "$id_child" ] &&
	   grep -Eq " id=$id_child reset rx [^ ]*:$port > [^ ]*:$cport ESTABLISHED\$" "$ev" &&
	   grep -q " id=$id_child state .* ESTABLISHED -> CLOSE\$" "$ev"; then
		ktap_test_pass "$fam: the server's child: reset rx in ESTABLISHED, then ESTABLISHED -> CLOSE"
	else
		ktap_print_msg "$(grep -- ":$cport" "$ev")"
		ktap_test_fail "$fam: the server's child: reset rx in ESTABLISHED, then ESTABLISHED -> CLOSE"
	fi
	if [ $(($(nstat_get "$NS_CLI" TcpOutRsts) - out0)) -eq \
	     "$(grep -c "ns=$(ns_inode "$NS_CLI") .* reset tx " "$ev")" ] &&
	   [ $(($(nstat_get "$NS_SRV" TcpEstabResets) - er0)) -eq 1 ]; then
		ktap_test_pass "$fam: nstat agrees: client TcpOutRsts = its reset tx records, server TcpEstabResets +1"
	else
		ktap_print_msg "client TcpOutRsts $out0 -> $(nstat_get "$NS_CLI" TcpOutRsts), server TcpEstabResets $er0 -> $(nstat_get "$NS_SRV" TcpEstabResets)"
		ktap_test_fail "$fam: nstat agrees: client TcpOutRsts = its reset tx records, server TcpEstabResets +1"
	fi

	# 2. A closed port.
	py_client "$NS_CLI" closed "$srv" $((port + 1)) > "$TMPD/closed-$fam" 2>&1
	cport=$(awk '/^port /{ print $2; exit }' "$TMPD/closed-$fam")
	wait_for_line "$ev" ":$cport > [^ ]*:$((port + 1)) SYN_SENT -> CLOSE\$" 10
	id_cli=$(grep -E -- ":$cport > [^ ]*:$((port + 1)) CLOSE -> SYN_SENT\$" "$ev" | sed -n 's/.* id=\([0-9a-f]*\) .*/\1/p')
	if [ -n "$id_cli" ] &&
	   grep -Eq " id=$id_cli reset rx [^ ]*:$cport > [^ ]*:$((port + 1)) SYN_SENT\$" "$ev" &&
	   ! grep -q "ns=$(ns_inode "$NS_SRV") .* reset .*:$((port + 1)) " "$ev"; then
		ktap_test_pass "$fam: closed port: reset rx in SYN_SENT, nothing on the server's side"
	else
		ktap_print_msg "$(cat "$TMPD/closed-$fam")"$'\n'"$(grep -- ":$((port + 1))" "$ev")"
		ktap_test_fail "$fam: closed port: reset rx in SYN_SENT, nothing on the server's side"
	fi
	# A SYN that found no socket is no connection: no row for it.
	rows=$(grep -E -- "^ns=$(ns_inode "$NS_SRV") .*:$((port + 1)) > " "$DEBUGFS_DIR/connections")
	if [ -z "$rows" ]; then
		ktap_test_pass "$fam: closed port: no connections row on the server's side"
	else
		ktap_print_msg "$rows"
		ktap_test_fail "$fam: closed port: no connections row on the server's side"
	fi
	events_reader_stop
	ktap_print_msg "$(grep ' reset ' "$ev")"
	ip netns pids "$NS_SRV" | xargs -r kill 2> /dev/null
	ip netns del "$NS_CLI"
	ip netns del "$NS_SRV"
}

check_family ipv4 "$SRV4" "$CLI4" 8080
check_family ipv6 "$SRV6" "$CLI6" 8086

ktap_test_result "no kernel warnings" dmesg_check
ktap_finished
