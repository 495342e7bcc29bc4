#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# handshake.sh: one connection per family (IPv4, IPv6) from ns cli to ns
# srv with a client-initiated close; the events stream must show exactly
# the contract's transitions for the client socket, the server child and
# the listener, with full 4-tuples (the client's port as the client
# reported it), ns= equal to each namespace's inode, one id per socket
# equal to the socket's SO_COOKIE (the cookie `ss -e` shows), and
# CLOCK_MONOTONIC timestamps.

. "$(dirname "$0")/lib.sh"

require_env
dmesg_mark
tcpscope_load || fail_all "insmod $TCPSCOPE_KO failed"
setup_ns_pair || fail_all "cannot set up the namespaces"

ktap_print_header
ktap_set_plan 20

CLIENT_SEQ="CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>FIN_WAIT1 FIN_WAIT1>FIN_WAIT2 FIN_WAIT2>TIME_WAIT"
CHILD_SEQ="LISTEN>SYN_RECV SYN_RECV>ESTABLISHED ESTABLISHED>CLOSE_WAIT CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSE"
LISTENER_SEQ="CLOSE>LISTEN LISTEN>CLOSE"

# role NORM SEL: the normalized lines of one socket.
#   client: ns cli, lport = client port
#   child: ns srv, lport = server port, rport = client port
#   listener: ns srv, lport = server port, CLOSE->LISTEN or LISTEN->CLOSE
role() {
	awk -v sel="$2" -v nc="$NSI_CLI" -v ns="$NSI_SRV" -v p="$PORT" -v cp="$CPORT" '
	sel == "client" && $3 == nc && $6 == cp { print }
	sel == "child" && $3 == ns && $6 == p && $8 == cp { print }
	sel == "listener" && $3 == ns && $6 == p &&
		(($9 == "CLOSE" && $10 == "LISTEN") || ($9 == "LISTEN" && $10 == "CLOSE")) { print }
	' "$1"
}

seq_of() {
	awk '{ printf("%s%s>%s", (NR > 1 ? " " : ""), $9, $10) }' "$1"
}

# check_role FILE SEQ LADDR LPORT RADDR RPORT COOKIE: exact sequence, one
# id equal to COOKIE, and (RADDR non-empty) the full 4-tuple on every line.
check_role() {
	local f=$1 seq=$2 la=$3 lp=$4 ra=$5 rp=$6 ck=$7 got ids bad

	got=$(seq_of "$f")
	ids=$(awk '{ print $4 }' "$f" | sort -u)
	bad=$(awk -v la="$la" -v lp="$lp" -v ra="$ra" -v rp="$rp" '
		$5 != la || $6 != lp || (ra != "" && ($7 != ra || $8 != rp))' "$f")
	if [ "$got" != "$seq" ] || [ -n "$bad" ] || [ "$(echo "$ids" | wc -l)" -ne 1 ]; then
		ktap_print_msg "expected: $seq ($la:$lp > ${ra:-*}:${rp:-*})"$'\n'"got:"$'\n'"$(cat "$f")"
		return 1
	fi
	if [ "$ids" != "$ck" ]; then
		ROLE_COOKIE_BAD+=" id=$ids cookie:${ck:-none}"
	fi
	return 0
}

check_family() {
	local fam=$1 srv=$2 cli=$3 ev norm t0 t1 nall idc idh idl ok

	PORT=$4
	ev=$TMPD/events-$fam
	norm=$TMPD/norm-$fam
	CK_CLI='' CK_CHILD='' CK_LSN='' ROLE_COOKIE_BAD=''

	events_reader_start "$ev"
	t0=$("$EVREAD" now)
	RUN_CONN_HOOK=grab_cookies
	ktap_test_result "$fam: traffic ran, all close events seen" \
		run_conn "$ev" "$srv" "$cli" "$PORT" --bytes 1000 --hold $((5 * SLOW))
	t1=$("$EVREAD" now)
	events_reader_stop
	ev_norm "$ev" > "$norm"

	ktap_test_result "$fam: every line matches the contract format" check_format "$ev"
	ktap_test_result "$fam: timestamps sec.nsec, non-decreasing, CLOCK_MONOTONIC" \
		check_timestamps "$ev" "$t0" "$t1"

	# Two racing ACKs can make the kernel create a second child for the
	# connection and destroy it at once: set such sockets (whole life
	# LISTEN -> SYN_RECV -> CLOSE, in the server's namespace) aside.
	dups=$(awk -v ns="$NSI_SRV" '$3 == ns { s[$4] = s[$4] " " $9 ">" $10 }
		END { for (i in s) if (s[i] == " LISTEN>SYN_RECV SYN_RECV>CLOSE") print i }' "$norm")
	ndup=$(echo "$dups" | grep -c .)
	if [ "$ndup" -gt 0 ]; then
		ktap_print_msg "set aside $ndup discarded duplicate child(ren): $dups"
		awk -v ids=" $(tr -s '[:space:]' ' ' <<< "$dups") " 'index(ids, " " $4 " ") == 0' "$norm" > "$norm.nodup"
		mv "$norm.nodup" "$norm"
	fi
	nall=$(awk -v p="$PORT" -v cp="${CPORT:-none}" '$6 == p || $8 == p || $6 == cp || $8 == cp' "$norm" | wc -l)
	if [ "$nall" -eq 12 ] && [ "$ndup" -le 2 ]; then
		ktap_test_pass "$fam: exactly 12 events for the test's ports"
	else
		ktap_print_msg "$nall events for ports $PORT/$CPORT:"$'\n'"$(grep -E ":($PORT|${CPORT:-none}) " "$ev")"
		ktap_test_fail "$fam: exactly 12 events for the test's ports"
	fi

	role "$norm" client > "$TMPD/client-$fam"
	role "$norm" child > "$TMPD/child-$fam"
	role "$norm" listener > "$TMPD/listener-$fam"
	ktap_test_result "$fam: client $cli:$CPORT: $CLIENT_SEQ" \
		check_role "$TMPD/client-$fam" "$CLIENT_SEQ" "$cli" "$CPORT" "$srv" "$PORT" "$CK_CLI"
	ktap_test_result "$fam: server child: $CHILD_SEQ" \
		check_role "$TMPD/child-$fam" "$CHILD_SEQ" "$srv" "$PORT" "$cli" "$CPORT" "$CK_CHILD"
	ktap_test_result "$fam: listener: $LISTENER_SEQ" \
		check_role "$TMPD/listener-$fam" "$LISTENER_SEQ" "$srv" "$PORT" "" "" "$CK_LSN"

	ok=1
	if [ "$(awk '{ print $3 }' "$TMPD/client-$fam" | sort -u)" != "$NSI_CLI" ] ||
	   [ "$(cat "$TMPD/child-$fam" "$TMPD/listener-$fam" | awk '{ print $3 }' | sort -u)" != "$NSI_SRV" ]; then
		ktap_print_msg "ns= expected cli $NSI_CLI srv $NSI_SRV"
		ok=
	fi
	idc=$(awk '{ print $4 }' "$TMPD/client-$fam" | sort -u)
	idh=$(awk '{ print $4 }' "$TMPD/child-$fam" | sort -u)
	idl=$(awk '{ print $4 }' "$TMPD/listener-$fam" | sort -u)
	if [ -z "$idc" ] || [ -z "$idh" ] || [ -z "$idl" ] ||
	   [ "$idc" = "$idh" ] || [ "$idc" = "$idl" ] || [ "$idh" = "$idl" ]; then
		ktap_print_msg "ids not distinct: client '$idc' child '$idh' listener '$idl'"
		ok=
	fi
	if [ -n "$ok" ]; then
		ktap_test_pass "$fam: ns= is each namespace's inode, ids distinct per socket"
	else
		ktap_test_fail "$fam: ns= is each namespace's inode, ids distinct per socket"
	fi

	if [ -z "$CK_CLI" ] || [ -z "$CK_CHILD" ] || [ -z "$CK_LSN" ]; then
		ktap_print_msg "tcpconn gave no cookies: client '$CK_CLI' child '$CK_CHILD' listener '$CK_LSN'"
		ktap_test_fail "$fam: id equals the socket cookie (SO_COOKIE, = ss -e sk:)"
	elif [ -n "$ROLE_COOKIE_BAD" ] || [ "$idc" != "$CK_CLI" ] ||
	     [ "$idh" != "$CK_CHILD" ] || [ "$idl" != "$CK_LSN" ]; then
		ktap_print_msg "ids client $idc child $idh listener $idl; SO_COOKIE $CK_CLI $CK_CHILD $CK_LSN"
		ktap_test_fail "$fam: id equals the socket cookie (SO_COOKIE, = ss -e sk:)"
	else
		ktap_test_pass "$fam: id equals the socket cookie (SO_COOKIE, = ss -e sk:)"
	fi
}

check_family ipv4 "$SRV4" "$CLI4" 8080
check_family ipv6 "$SRV6" "$CLI6" 8086

ip netns del "$NS_CLI"
ip netns del "$NS_SRV"
ktap_test_result "rmmod succeeds" tcpscope_unload
ktap_test_result "no kernel warnings" dmesg_check
ktap_finished
