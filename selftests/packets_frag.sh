#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# packets_frag.sh: TCP segments that arrive in IP fragments, with
# packets=all. selftests/frag.py (scapy) sends from ns cli, as Ethernet
# frames on its veth, for IPv4 and IPv6: a SYN with options and 100 bytes
# to a listener, split inside the TCP header (IPv4, 8-byte fragments) or
# inside its options (IPv6: the first fragment must hold the fixed TCP
# header), and two 600-byte ACK segments to a closed port in 3 or 4
# fragments, the second sent last fragment first; then an IPv6 atomic
# fragment (Fragment header, no offset, no MF: LOCAL_IN sees it whole,
# and it must not be recorded a second time). tcpdump captures ns
# srv's veth; frag.py puts the captured fragments together (scapy) and
# tcpdump -S -n prints that capture: the ground truth.
#  - ns srv records each segment exactly once, as rx, with tcpdump's text
#    (seq, ack, options, length of the whole segment), and the SYNs with
#    their listener's id (SO_COOKIE);
#  - /proc/net/tcpscope in ns srv: "packets frag" grew by the IPv6 TCP
#    fragments of the capture (IPv4 puts its fragments together before
#    LOCAL_IN), "packets rx" by the rx lines, "packets bad" stayed 0;
#  - the same with conntrack in ns srv (an nft "ct state" rule), where
#    nf_defrag_ipv6 puts IPv6 fragments together before LOCAL_IN: the same
#    lines, "packets frag" unchanged.
# Before the fix, IPv6 fragments were counted as bad and never recorded.

. "$(dirname "$0")/lib.sh"

FRAG_PY=$SELFTESTS_DIR/frag.py

require_env
require_cmds tcpdump
python3 -c 'import scapy.all' 2> /dev/null || skip_all "python3-scapy is not installed"
dmesg_mark
setup_ns_pair || fail_all "cannot set up the namespaces"
CMAC=$(ip -n "$NS_CLI" -br link show veth-cli | awk '{ print $3 }')
SMAC=$(ip -n "$NS_SRV" -br link show veth-srv | awk '{ print $3 }')

ktap_print_header
ktap_set_plan 9

# pkt_counter NAME: "packets NAME" of ns srv's /proc/net/tcpscope.
pkt_counter() {
	ip netns exec "$NS_SRV" cat "$PROC_NET" |
		awk -v n="$1" '$1 == "packets" && $2 == n { print $3 }'
}

# listener ADDR PORT: a tcpconn listener in ns srv; its cookie in LSN_CK.
listener() {
	local out=$TMPD/lsn-$1-$2

	LSN_CK=
	ip netns exec "$NS_SRV" "$TCPCONN" server "$1" "$2" --count 1 --hold \
		> "$out" 2>&1 &
	BG_PIDS+=("$!")
	wait_for_count "$out" '^cookie ' 1 "$START_WAIT" || return 1
	LSN_CK=$(awk '/^cookie /{ print $2; exit }' "$out")
}

# srv_rx FILE: ns srv's rx lines as "<id> <rest>", sorted.
srv_rx() {
	sed -nE "s/^[0-9]+\\.[0-9]{9} cpu[0-9]+ ns=$NSI_SRV id=([0-9a-f]+) rx /\\1 /p" "$1" |
		sort
}

# frag_round NAME LPORT CPORT SEED: send, capture, and check one round.
frag_round() {
	local name=$1 lp=$2 cp=$3 seed=$4 cap=$TMPD/cap-$1 ok=1 tdpid
	local frag0 rx0 bad0 nfrag nfrag4 p ck4 ck6

	listener "$SRV4" "$lp" || ok=
	ck4=$LSN_CK
	listener "$SRV6" "$lp" || ok=
	ck6=$LSN_CK
	frag0=$(pkt_counter frag) rx0=$(pkt_counter rx) bad0=$(pkt_counter bad)
	ip netns exec "$NS_SRV" tcpdump -n -U --immediate-mode -i veth-srv \
		-w "$cap" 2> "$cap.err" &
	tdpid=$!
	BG_PIDS+=("$tdpid")
	wait_for_line "$cap.err" 'listening on' "$START_WAIT" || ok=
	ip netns exec "$NS_CLI" "$FRAG_PY" send veth-cli "$CMAC" "$SMAC" \
		"$CLI4" "$SRV4" "$CLI6" "$SRV6" "$lp" "$cp" "$seed" \
		> "$TMPD/send-$name" 2>&1 || ok=
	td_stop "$tdpid" "$cap"
	stats_quiet $((10 * SLOW)) 0.3 || ok=
	"$FRAG_PY" defrag "$cap" "$cap.whole" > "$cap.n" 2>&1 || ok=
	nfrag4=$(awk '/^fragments4 /{ print $2 }' "$cap.n")
	nfrag=$(awk '/^fragments4 /{ print $4 }' "$cap.n")
	ktap_print_msg "$name: $(cat "$TMPD/send-$name"), captured ${nfrag4:-?} IPv4 and ${nfrag:-?} IPv6 fragments"
	if [ -n "$ok" ] && [ "${nfrag:-0}" -gt 0 ] && [ "${nfrag4:-0}" -gt 0 ]; then
		ktap_test_pass "$name: fragments sent and captured in ns srv"
	else
		ktap_print_msg "$(cat "$TMPD/send-$name" "$cap.err" "$cap.n")"
		ktap_test_fail "$name: fragments sent and captured in ns srv"
	fi

	drain_settled "$TMPD/ev" "$TMPD/st" || ok=
	for p in "$lp" "$cp"; do
		td_norm "$cap.whole" "$p"
	done | expected "$(endpoint "$CLI4")" "$(endpoint "$CLI6")" |
		sed -n "s/^$NSI_SRV rx //p" | sort > "$cap.want"
	srv_rx "$TMPD/ev" | grep -E ":($lp|$cp) " | cut -d' ' -f2- |
		sort > "$cap.got"
	if [ "$(grep -c ' length 600$' "$cap.want")" -eq 5 ] &&
	   [ "$(grep -c 'Flags \[S\].* length 100$' "$cap.want")" -eq 2 ] &&
	   cmp -s "$cap.want" "$cap.got"; then
		ktap_test_pass "$name: each segment recorded once, rx in ns srv, as tcpdump prints it whole"
	else
		ktap_print_msg "tcpdump, put together (<) vs tcpscope (>):"$'\n'"$(diff "$cap.want" "$cap.got")"
		ktap_test_fail "$name: each segment recorded once, rx in ns srv, as tcpdump prints it whole"
	fi

	if srv_rx "$TMPD/ev" | awk -v p=":$lp " -v c4="$ck4" -v c6="$ck6" '
		index($0, p) && / Flags \[S\]/ {
			n++
			want = index($2, "[") ? c6 : c4
			if ($1 != want) { print "# id " $1 " (want " want "): " $0; bad = 1 }
		}
		END { exit bad || n != 2 }'; then
		ktap_test_pass "$name: the SYNs have their listener's id"
	else
		ktap_test_fail "$name: the SYNs have their listener's id"
	fi

	FRAG_DELTA=$(($(pkt_counter frag) - ${frag0:-0}))
	RX_DELTA=$(($(pkt_counter rx) - ${rx0:-0}))
	BAD_DELTA=$(($(pkt_counter bad) - ${bad0:-0}))
	NFRAG=${nfrag:-0}
	RX_LINES=$(srv_rx "$TMPD/ev" | grep -cE ":($lp|$cp) ")
}

tcpscope_load packets=all || fail_all "insmod packets=all failed"

frag_round plain 9104 9105 "${TCPSCOPE_FRAG_SEED:-1}"
if [ "$FRAG_DELTA" = "$NFRAG" ] && [ "$BAD_DELTA" = 0 ] &&
   [ "$RX_DELTA" = "$RX_LINES" ] && [ -n "$(pkt_counter frag)" ]; then
	ktap_test_pass "plain: packets frag +$FRAG_DELTA (the capture's IPv6 fragments), rx +$RX_DELTA (the lines), bad +0"
else
	ktap_print_msg "packets frag +$FRAG_DELTA (IPv6 fragments captured: $NFRAG), rx +$RX_DELTA (lines: $RX_LINES), bad +$BAD_DELTA"
	ktap_test_fail "plain: packets frag, rx and bad agree with the capture and the lines"
fi

# Conntrack in ns srv: nf_defrag_ipv6 and nf_defrag_ipv4 reassemble at
# PRE_ROUTING, before LOCAL_IN.
if command -v nft > /dev/null &&
   ip netns exec "$NS_SRV" nft -f - <<-EOF
	table inet tcpscope_ct {
		chain pre {
			type filter hook prerouting priority 0;
			ct state new counter
		}
	}
	EOF
then
	frag_round conntrack 9114 9115 $((${TCPSCOPE_FRAG_SEED:-1} + 1))
	if [ "$FRAG_DELTA" = 0 ] && [ "$BAD_DELTA" = 0 ] &&
	   [ "$RX_DELTA" = "$RX_LINES" ]; then
		ktap_test_pass "conntrack: packets frag +0 (whole before LOCAL_IN), rx +$RX_DELTA (the lines), bad +0"
	else
		ktap_print_msg "packets frag +$FRAG_DELTA (want 0), rx +$RX_DELTA (lines: $RX_LINES), bad +$BAD_DELTA"
		ktap_test_fail "conntrack: packets frag, rx and bad agree with the lines"
	fi
else
	for t in "fragments sent and captured" "each segment recorded once" \
		 "the SYNs have their listener's id" "packets counters"; do
		ktap_test_skip "conntrack: $t (no nft or nf_tables)"
	done
fi

ktap_test_result "no kernel warnings" dmesg_check
ktap_finished
