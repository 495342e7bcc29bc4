#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz_packets.sh: malformed TCP segments against packets=all.
# selftests/fuzz.py (scapy) sends, as Ethernet frames from ns cli's veth to
# a closed port in ns srv, TCPSCOPE_FUZZ_COUNT cases (default 2000, in two
# halves) drawn from TCPSCOPE_FUZZ_SEED (printed; set it to replay a run):
# bad data offsets, runt headers, option lengths 0/1/255, kinds without a
# length, truncated SACK and timestamp options, IPv4 options, short and
# long total lengths, bad checksums, IPv4 fragments that split the TCP
# header, IPv6 extension header chains, bad payload lengths, v4-mapped
# sources, IPv6 fragments; valid segments in between. The first half is
# read from events (text), the second from events_raw. Then:
#  - every text line is a state, packet or LOST line (lib.sh's RE_EVENT,
#    RE_PACKET, RE_LOST);
#  - every events_raw record is well formed (fuzz.py rawcheck: kind, size,
#    version; packet records: dir, family, flags, optlen <= 40), and
#    tools/tcpscope-raw renders them into lines of the same formats;
#  - ns srv's "packets rx + bad + frag" grew by exactly what reached
#    LOCAL_IN as TCP, counted by netfilter itself (nft "meta l4proto tcp"
#    counters at input: tcpscope finds TCP the same way, but through AH,
#    which fuzz.py does not send), plus the IPv6 packets reassembled after
#    it (Ip6ReasmOKs), which never pass LOCAL_IN; fuzz.py sends no atomic
#    fragment, which Ip6ReasmOKs counts too;
#  - rx, bad and frag each grew as fuzz.py's own model of the cases says
#    (RFC 791/793/8200 and the IP layer's input checks), bad within the
#    cases the kernels disagree on (an extension header that names TCP
#    and runs past the end: not TCP to 6.1's ipv6_find_hdr(), mostly TCP
#    to 6.12's), and rx by the rx lines in ns srv when nothing was lost;
#    no hook call was missed;
#  - a normal connection afterwards is still recorded, handshake and
#    close;
#  - no kernel warning (vm-run also fails the run on any report).
# To narrow a failure down: TCPSCOPE_FUZZ_WAYS (fuzz.py's ways, e.g.
# "chain frag6"), TCPSCOPE_FUZZ_TRACE=FILE (one line per case: way, kind,
# source port, what the model expects), TCPSCOPE_FUZZ_KEEP=DIR (a copy of
# the test's files and the nft counters; share DIR with vm-run --share).

. "$(dirname "$0")/lib.sh"

FUZZ_PY=$SELFTESTS_DIR/fuzz.py
PORT=9999
SEED=${TCPSCOPE_FUZZ_SEED:-$(((RANDOM << 15) | RANDOM))}
COUNT=${TCPSCOPE_FUZZ_COUNT:-2000}

require_env
python3 -c 'import scapy.all' 2> /dev/null || skip_all "python3-scapy is not installed"
require_cmds nft
dmesg_mark
setup_ns_pair || fail_all "cannot set up the namespaces"
CMAC=$(ip -n "$NS_CLI" -br link show veth-cli | awk '{ print $3 }')
SMAC=$(ip -n "$NS_SRV" -br link show veth-srv | awk '{ print $3 }')
ip netns exec "$NS_SRV" nft -f - <<-EOF || fail_all "nft: no input counter"
	table inet tcpscope_fuzz {
		chain in {
			type filter hook input priority 0;
			meta nfproto ipv4 meta l4proto tcp counter
			meta nfproto ipv6 meta l4proto tcp counter
		}
	}
	EOF

ktap_print_header
ktap_set_plan 9
ktap_print_msg "seed $SEED count $COUNT (TCPSCOPE_FUZZ_SEED=$SEED replays it)"

# srv_counts: "rx bad frag nft reasm" in ns srv.
srv_counts() {
	{
		ip netns exec "$NS_SRV" cat "$PROC_NET"
		ip netns exec "$NS_SRV" nft list table inet tcpscope_fuzz
		ip netns exec "$NS_SRV" cat /proc/net/snmp6
	} | awk '
		$1 == "packets" { p[$2] = $3 }
		$1 == "meta" && / l4proto tcp / { for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) }
		$1 == "Ip6ReasmOKs" { r = $2 }
		END { print p["rx"] + 0, p["bad"] + 0, p["frag"] + 0, n + 0, r + 0 }'
}

# fuzz_half N SEED: fuzz.py's cases, appending its output to $TMPD/fuzz.
fuzz_half() {
	ip netns exec "$NS_CLI" "$FUZZ_PY" veth-cli "$CMAC" "$SMAC" "$CLI4" \
		"$SRV4" "$CLI6" "$SRV6" "$PORT" "$2" "$1" >> "$TMPD/fuzz" 2>&1
}

tcpscope_load packets=all || fail_all "insmod packets=all failed"
read -r rx0 bad0 frag0 nft0 reasm0 <<< "$(srv_counts)"
ok=1
events_reader_start "$TMPD/ev"
fuzz_half $((COUNT / 2)) "$SEED" || ok=
stats_quiet $((10 * SLOW)) 0.3 || ok=
events_reader_stop
"$EVREAD" follow "$EVENTS_RAW" > "$TMPD/raw" 2> "$TMPD/raw.err" &
RAW_PID=$!
BG_PIDS+=("$RAW_PID")
fuzz_half $((COUNT - COUNT / 2)) $((SEED + 1)) || ok=
stats_quiet $((10 * SLOW)) 0.3 || ok=
kill -TERM "$RAW_PID"
bg_wait "$RAW_PID" 10 || ok=
read -r rx1 bad1 frag1 nft1 reasm1 <<< "$(srv_counts)"
cat "$STATS" > "$TMPD/stats"
ktap_print_msg "$(cat "$TMPD/fuzz")"
if [ -n "$ok" ] && [ "$(grep -c '^expect ' "$TMPD/fuzz")" = 2 ]; then
	ktap_test_pass "fuzz.py sent $COUNT cases in two halves"
else
	ktap_test_fail "fuzz.py sent $COUNT cases in two halves"
fi

bad=$(grep -Ev -- "$RE_EVENT|$RE_PACKET|$RE_LOST" "$TMPD/ev" | head -5)
n=$(grep -cE -- "$RE_PACKET" "$TMPD/ev")
if [ -z "$bad" ] && [ "$n" -gt 0 ]; then
	ktap_test_pass "events: all $(wc -l < "$TMPD/ev") lines well formed ($n packet lines)"
else
	ktap_print_msg "not in the contract format:"$'\n'"$bad"
	ktap_test_fail "events: every line well formed"
fi

raw_ok=1
ktap_print_msg "$("$FUZZ_PY" rawcheck "$TMPD/raw" 2>&1 || echo FAILED)" |
	tee "$TMPD/rawcheck"
grep -q FAILED "$TMPD/rawcheck" && raw_ok=
"$RAWREAD" - < "$TMPD/raw" > "$TMPD/raw.txt" 2>> "$TMPD/raw.err"
rc=$?
bad=$(grep -Ev -- "$RE_EVENT|$RE_PACKET|$RE_LOST" "$TMPD/raw.txt" | head -5)
n=$(grep -cE -- "$RE_PACKET" "$TMPD/raw.txt")
if [ -n "$raw_ok" ] && [ "$rc" = 0 ] &&
   [ -z "$bad" ] && [ "$n" -gt 0 ]; then
	ktap_test_pass "events_raw: every record well formed, $n packet records rendered in format"
else
	ktap_print_msg "tcpscope-raw exit $rc: $(head -3 "$TMPD/raw.err")"$'\n'"$bad"
	ktap_test_fail "events_raw: every record well formed and rendered in format"
fi

d_rx=$((rx1 - rx0)) d_bad=$((bad1 - bad0)) d_frag=$((frag1 - frag0))
d_nft=$((nft1 - nft0)) d_reasm=$((reasm1 - reasm0))
ktap_print_msg "ns srv: packets rx +$d_rx bad +$d_bad frag +$d_frag; nft input tcp +$d_nft, Ip6ReasmOKs +$d_reasm"
if [ "$d_nft" -gt 0 ] && [ $((d_rx + d_bad + d_frag)) -eq $((d_nft + d_reasm)) ]; then
	ktap_test_pass "rx + bad + frag = $((d_rx + d_bad + d_frag)) = nft input tcp + Ip6ReasmOKs"
else
	ktap_test_fail "rx + bad + frag = nft input tcp + Ip6ReasmOKs"
fi

read -r w_rx w_bad w_frag w_either <<< "$(awk '$1 == "expect" {
	r += $3; b += $5; f += $7; e += $13 }
	END { print r + 0, b + 0, f + 0, e + 0 }' "$TMPD/fuzz")"
if [ "$d_rx" = "$w_rx" ] && [ "$d_frag" = "$w_frag" ] &&
   [ "$d_bad" -ge "$w_bad" ] && [ "$d_bad" -le $((w_bad + w_either)) ]; then
	ktap_test_pass "rx, bad, frag as fuzz.py's model says ($w_rx, $w_bad + $((d_bad - w_bad)) of $w_either, $w_frag)"
else
	ktap_print_msg "model: rx $w_rx bad $w_bad (+ up to $w_either) frag $w_frag"
	ktap_test_fail "rx, bad, frag as fuzz.py's model says"
fi

lost=$(stat_get "$TMPD/stats" total lost)
missed=$(awk '$1 == "missed" { print $2 }' "$TMPD/stats")
lines=$(cat "$TMPD/ev" "$TMPD/raw.txt" | grep -cE " ns=$NSI_SRV id=[0-9a-f]+ rx ")
if [ "${missed:-x}" = 0 ] && { [ "$lost" != 0 ] || [ "$lines" = "$d_rx" ]; }; then
	ktap_test_pass "rx lines in ns srv: $lines (lost $lost), missed 0"
else
	ktap_print_msg "rx lines $lines, packets rx +$d_rx, lost '$lost', missed '$missed'"
	ktap_test_fail "rx lines in ns srv = packets rx, missed 0"
fi

events_reader_start "$TMPD/ev2"
if run_conn "$TMPD/ev2" "$SRV4" "$CLI4" 9090 --bytes 100 &&
   grep -qE " ns=$NSI_SRV id=[0-9a-f]+ rx $CLI4:$CPORT > $SRV4:9090 Flags \\[S\\]," "$TMPD/ev2" &&
   grep -qE " ns=$NSI_SRV id=[0-9a-f]+ state $SRV4:9090 > $CLI4:$CPORT SYN_RECV -> ESTABLISHED\$" "$TMPD/ev2"; then
	ktap_test_pass "a connection afterwards: its SYN, handshake and close recorded"
else
	ktap_print_msg "$(tail -5 "$TMPD/ev2")"
	ktap_test_fail "a connection afterwards: its SYN, handshake and close recorded"
fi
events_reader_stop
tcpscope_unload
ktap_test_result "tcpscope unloads" tcpscope_gone
ktap_test_result "no kernel warnings" dmesg_check
if [ -n "${TCPSCOPE_FUZZ_KEEP:-}" ]; then
	cp -r "$TMPD" "$TCPSCOPE_FUZZ_KEEP/"
	ip netns exec "$NS_SRV" nft list table inet tcpscope_fuzz > "$TCPSCOPE_FUZZ_KEEP/nft" 2>&1
fi
ktap_finished
