#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# packets_tcpdump.sh: tcpscope's packet records against tcpdump. One
# connection at a time from ns cli to ns srv over veth (handshake, 1000
# bytes each way, close started by the client), captured by
# `tcpdump -S -n -w` on the client's veth:
#  - packets=control (IPv4 read as text, IPv6 read raw) and packets=all
#    (IPv4 raw, IPv6 text): each segment tcpdump shows that the mode
#    selects is a tx line in the sender's namespace and an rx line in the
#    receiver's, with the same text after "tx|rx " as tcpdump's line after
#    the timestamp and "IP "/"IP6 " (addresses written as tcpscope writes
#    them), and nothing else is; which segments control selects is
#    computed from the capture alone: SYN, FIN or RST; the client's pure
#    ACKs after the SYN-ACK before any data; a pure ACK that acks a FIN;
#  - ids: every client-side line has the client socket's id, server-side
#    lines have the listener's id until the connection's socket exists
#    (its LISTEN -> SYN_RECV), then that socket's; all equal the sockets'
#    SO_COOKIE (`ss -e` sk:);
#  - /proc/net/tcpscope "packets tx/rx" equal the lines recorded;
#  - packets=all with hand-made segments (selftests/tcpsend.py, a raw
#    socket): random flags and option lists, malformed ones included, read
#    as text like the above; segments with a bad TCP header are skipped and
#    counted as "packets bad", on both ends;
#  - packets=off: no packet lines; packets=bogus: insmod fails, with a
#    message.

. "$(dirname "$0")/lib.sh"

require_env
require_cmds tcpdump
dmesg_mark
setup_ns_pair || fail_all "cannot set up the namespaces"

ktap_print_header
ktap_set_plan 26

# control_filter CLIEP: the lines packets=control selects (see the top).
control_filter() {
	awk -v cli="$1" '
	function num(s, key,   i) {
		i = index(s, key)
		if (!i)
			return -1
		s = substr(s, i + length(key))
		match(s, /^[0-9]+/)
		return substr(s, 1, RLENGTH) + 0
	}
	{
		from_cli = index($1, cli ":") == 1
		side = from_cli ? "c" : "s"
		peer = from_cli ? "s" : "c"
		flags = $5
		len = num($0, ", length ")
		seq = num($0, ", seq ")
		ack = num($0, ", ack ")
		keep = flags ~ /[SFR]/
		if (flags == "[.]," && len == 0) {
			if (from_cli && synack && !data)
				keep = 1
			if ((peer in finack) && ack == finack[peer])
				keep = 1
		}
		if (flags ~ /S/ && flags ~ /\./)
			synack = 1
		if (flags ~ /F/)
			finack[side] = (seq + len + 1) % 4294967296
		if (len > 0)
			data = 1
		if (keep)
			print
	}'
}

# check_ids EVFILE: ids of the packet lines, from the state lines and ss.
check_ids() {
	awk -v nc="$NSI_CLI" -v ns="$NSI_SRV" -v p="$PORT" -v cp="$CPORT" \
	    -v ckc="$CK_CLI" -v ckh="$CK_CHILD" -v ckl="$CK_LSN" '
	{
		n = $3; sub(/^ns=/, "", n)
		id = $4; sub(/^id=/, "", id)
	}
	$5 == "state" && n == nc && $6 ~ (":" cp "$") { cli = id }
	$5 == "state" && n == ns && $6 ~ (":" p "$") && $8 ~ (":" cp "$") &&
		child == "" { child = id; child_at = NR }
	$5 == "state" && n == ns && $9 == "CLOSE" && $11 == "LISTEN" &&
		$6 ~ (":" p "$") { lsn = id }
	($5 == "tx" || $5 == "rx") && ($6 ~ (":" p "$") || $8 ~ (":" p "$")) {
		pk[NR] = n " " id " " $0
	}
	END {
		if (cli == "" || child == "" || lsn == "") {
			print "# no state lines for client, child or listener"
			exit 1
		}
		for (i in pk) {
			split(pk[i], f, " ")
			want = f[1] == nc ? cli : (i + 0 < child_at ? lsn : child)
			if (f[2] != want) {
				print "# id " f[2] " (want " want "): " substr(pk[i], length(f[1] f[2]) + 3)
				bad = 1
			}
			if (f[1] == ns && i + 0 < child_at)
				before++
		}
		if (!before) {
			print "# no server-side line before its socket existed"
			bad = 1
		}
		if (cli != ckc || child != ckh || lsn != ckl) {
			print "# ids client " cli " child " child " listener " lsn \
				"; SO_COOKIE " ckc " " ckh " " ckl
			bad = 1
		}
		exit bad
	}' "$1"
}

# proc_counts EVFILE: /proc/net/tcpscope packets tx/rx per namespace equal
# the lines recorded (all ports: only the test's connection runs).
proc_counts() {
	local ns nsi dir want have ok=0

	for ns in "$NS_CLI" "$NS_SRV"; do
		nsi=$(ns_inode "$ns")
		for dir in tx rx; do
			want=$(grep -cE " ns=$nsi id=[0-9a-f]+ $dir " "$1")
			have=$(ip netns exec "$ns" cat "$PROC_NET" | awk -v d="$dir" '$1 == "packets" && $2 == d { print $3 }')
			if [ "$want" != "$have" ]; then
				ktap_print_msg "ns $nsi: $dir lines $want, /proc packets $dir '$have'"
				ok=1
			fi
		done
	done
	return "$ok"
}

# run_case MODE FAMILY SRV CLI PORT READER
run_case() {
	local mode=$1 fam=$2 srv=$3 cli=$4 reader=$6 ev cap tdpid ok=1 desc

	PORT=$5
	desc="packets=$mode $fam ($reader)"
	ev=$TMPD/ev-$mode-$fam
	cap=$TMPD/cap-$mode-$fam
	CK_CLI='' CK_CHILD='' CK_LSN=''
	if ! tcpscope_load "packets=$mode" ||
	   [ "$(cat "$SYS_MODULE/parameters/packets")" != "$mode" ]; then
		ktap_print_msg "insmod packets=$mode failed or does not read back"
		ok=
	fi
	TCPSCOPE_READER=$reader events_reader_start "$ev"
	# --immediate-mode: a packet that waits in a kernel buffer block when
	# tcpdump is interrupted would be lost.
	ip netns exec "$NS_CLI" tcpdump -S -n -U --immediate-mode -i veth-cli -w "$cap" \
		"tcp port $PORT" 2> "$cap.err" &
	tdpid=$!
	BG_PIDS+=("$tdpid")
	wait_for_line "$cap.err" 'listening on' "$START_WAIT" || ok=
	RUN_CONN_HOOK=grab_cookies
	run_conn "$ev" "$srv" "$cli" "$PORT" --bytes 1000 --hold $((6 * SLOW)) || ok=
	stats_quiet 10 0.3 || ok=
	td_stop "$tdpid" "$cap"
	events_reader_stop
	if [ -n "$ok" ] && [ -s "$cap" ]; then
		ktap_test_pass "$desc: traffic ran, tcpdump captured it"
	else
		ktap_print_msg "tcpdump: $(cat "$cap.err")"
		ktap_test_fail "$desc: traffic ran, tcpdump captured it"
	fi
	[ "$mode" != off ] || return 0

	bad=$(grep -Ev -- "$RE_EVENT|$RE_PACKET" "$ev" | head -5)
	if [ -z "$bad" ] && grep -qE -- "$RE_PACKET" "$ev"; then
		ktap_test_pass "$desc: every line is a state or packet line"
	else
		ktap_print_msg "not in the contract format:"$'\n'"$bad"
		ktap_test_fail "$desc: every line is a state or packet line"
	fi

	td_norm "$cap" "$PORT" > "$cap.txt"
	if [ "$mode" = control ]; then
		control_filter "$(endpoint "$cli")" < "$cap.txt" > "$cap.sel"
	else
		cp "$cap.txt" "$cap.sel"
	fi
	expected "$(endpoint "$cli")" < "$cap.sel" | sort > "$cap.want"
	got "$ev" "$PORT" | sort > "$cap.got"
	if [ -s "$cap.want" ] && cmp -s "$cap.want" "$cap.got"; then
		ktap_test_pass "$desc: $(wc -l < "$cap.sel") of $(wc -l < "$cap.txt") segments tcpdump saw, as tx and rx, same text"
	else
		ktap_print_msg "tcpdump -S -n:"$'\n'"$(cat "$cap.txt" "$cap.err")"
		ktap_print_msg "expected (<) vs tcpscope (>):"$'\n'"$(diff "$cap.want" "$cap.got")"
		ktap_test_fail "$desc: the segments tcpdump saw, as tx and rx, same text"
	fi
	ktap_test_result "$desc: ids are the client's, the listener's, then the child's (= SO_COOKIE)" \
		check_ids "$ev"
	ktap_test_result "$desc: /proc/net/tcpscope packets tx/rx equal the lines" \
		proc_counts "$ev"
	tcpscope_unload
}

run_case control ipv4 "$SRV4" "$CLI4" 9090 text
run_case control ipv6 "$SRV6" "$CLI6" 9096 raw
run_case all ipv4 "$SRV4" "$CLI4" 9091 raw
run_case all ipv6 "$SRV6" "$CLI6" 9097 text

# Hand-made segments from a raw socket in ns cli to a closed port in ns srv.
fuzz_case() {
	local ev=$TMPD/ev-fuzz cap=$TMPD/cap-fuzz tdpid ok=1 bad_cli bad_srv

	tcpscope_load packets=all || ok=
	events_reader_start "$ev"
	ip netns exec "$NS_CLI" tcpdump -S -n -U --immediate-mode -B 8192 \
		-i veth-cli -w "$cap" "tcp port 9999" 2> "$cap.err" &
	tdpid=$!
	BG_PIDS+=("$tdpid")
	wait_for_line "$cap.err" 'listening on' "$START_WAIT" || ok=
	ip netns exec "$NS_CLI" "$SELFTESTS_DIR/tcpsend.py" "$SRV4" 9999 150 1 > "$TMPD/send4" 2>&1 || ok=
	ip netns exec "$NS_CLI" "$SELFTESTS_DIR/tcpsend.py" "$SRV6" 9999 150 2 > "$TMPD/send6" 2>&1 || ok=
	stats_quiet 10 0.3 || ok=
	td_stop "$tdpid" "$cap"
	events_reader_stop
	td_norm "$cap" 9999 > "$cap.txt"
	expected "$(endpoint "$CLI4")" "$(endpoint "$CLI6")" < "$cap.txt" |
		sort > "$cap.want"
	got "$ev" 9999 | sort > "$cap.got"
	grep -qx '0 packets dropped by kernel' "$cap.err" || ok=
	if [ -n "$ok" ] && [ "$(wc -l < "$cap.txt")" -ge 300 ] &&
	   cmp -s "$cap.want" "$cap.got"; then
		ktap_test_pass "hand-made segments: $(wc -l < "$cap.txt") lines as tcpdump prints them, as tx and rx"
	else
		ktap_print_msg "$(cat "$TMPD/send4" "$TMPD/send6" "$cap.err")"
		ktap_print_msg "expected (<) vs tcpscope (>):"$'\n'"$(diff "$cap.want" "$cap.got" | head -20)"
		ktap_test_fail "hand-made segments: as tcpdump prints them, as tx and rx"
	fi
	bad_cli=$(ip netns exec "$NS_CLI" cat "$PROC_NET" | awk '$1 == "packets" && $2 == "bad" { print $3 }')
	bad_srv=$(ip netns exec "$NS_SRV" cat "$PROC_NET" | awk '$1 == "packets" && $2 == "bad" { print $3 }')
	if [ "$bad_cli" = 6 ] && [ "$bad_srv" = 6 ] &&
	   ! grep -qE ' (tx|rx) [^ ]+:40[0-9]{3} > [^ ]+:9999 Flags \[\.\], seq 1,' "$ev"; then
		ktap_test_pass "bad TCP headers skipped and counted (packets bad 6 in each namespace)"
	else
		ktap_print_msg "packets bad: cli '$bad_cli' srv '$bad_srv' (want 6 each)"
		ktap_test_fail "bad TCP headers skipped and counted"
	fi
	tcpscope_unload
}
fuzz_case

run_case off ipv4 "$SRV4" "$CLI4" 9092 text
n=$(grep -cE ' (tx|rx) ' "$TMPD/ev-off-ipv4")
if [ "$n" -eq 0 ] && grep -qE -- "$RE_EVENT" "$TMPD/ev-off-ipv4"; then
	ktap_test_pass "packets=off: state lines, no packet lines"
else
	ktap_print_msg "$n packet lines"
	ktap_test_fail "packets=off: state lines, no packet lines"
fi
tcpscope_unload

START0=$DMESG_START
dmesg_mark
if insmod "$TCPSCOPE_KO" packets=bogus 2> /dev/null; then
	rmmod tcpscope
	ktap_test_fail "packets=bogus: insmod fails with a message"
elif tcpscope_gone && dmesg_new | grep -q 'tcpscope: packets=bogus is invalid'; then
	ktap_test_pass "packets=bogus: insmod fails with a message"
else
	ktap_print_msg "kernel log: $(dmesg_new | tail -3)"
	ktap_test_fail "packets=bogus: insmod fails with a message"
fi

DMESG_START=$START0
ktap_test_result "no kernel warnings" dmesg_check
ktap_finished
