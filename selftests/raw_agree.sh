#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# raw_agree.sh: the text stream (events) and the binary stream
# (events_raw, rendered by tools/tcpscope-raw) must agree. N identical
# connections run one at a time, and after each one the stream is drained
# by the text reader and the raw reader in turn, so each reader gets whole
# connections. Then:
#  - every line of both is well formed;
#  - each raw-read connection reads exactly like the text-read one before
#    it, once timestamps, CPUs, ids and the client's port are set aside,
#    and in packet lines (packets=control) the numbers that differ
#    between two connections: seq, ack, win and TS val/ecr; the listen
#    lines (listen=1) are compared too; lines that read the same count
#    once: whether a socket sends a second pure ACK after the peer's FIN
#    (a window update, say) depends on timing, not on the reader (one
#    connection on the debug kernel had one); the server's pure ACKs are
#    left out: whether it acks the client's FIN alone or on its own FIN
#    depends on how soon its close follows (a debug-kernel connection
#    had one alone, the one it was compared with none);
#  - together they hold every event once: their transition counts equal
#    /proc/net/tcpscope's (exact, kept apart from the buffer) and their
#    line count equals stats' read, with nothing lost.

. "$(dirname "$0")/lib.sh"

require_env
dmesg_mark
tcpscope_load packets=control listen=1 || fail_all "insmod $TCPSCOPE_KO failed"
setup_ns_pair || fail_all "cannot set up the namespaces"
PORT=8081
N=6

ktap_print_header
ktap_set_plan 6

ip netns exec "$NS_SRV" "$TCPCONN" server "$SRV4" "$PORT" --count "$N" \
	--hold > "$TMPD/srv" 2>&1 &
SRV_PID=$!
BG_PIDS+=("$SRV_PID")
ok=1
wait_for_line "$TMPD/srv" '^listening' "$START_WAIT" || ok=
# The listener's CLOSE -> LISTEN, so that each drain below is one connection.
stats_quiet 10 0.3 || ok=
events_drain > "$TMPD/listen.text" 2>> "$TMPD/drain-err" || ok=
for i in $(seq "$N"); do
	# --hold: the third ACK and the data apart (together they can race
	# through the listener on two CPUs: a second child, discarded).
	timeout 20 ip netns exec "$NS_CLI" "$TCPCONN" client "$SRV4" "$PORT" \
		--hold 0.2 > "$TMPD/cli-$i" 2>&1 || ok=
	stats_quiet 10 0.3 || ok=
	if [ $((i % 2)) -eq 1 ]; then
		reader=text
	else
		reader=raw
	fi
	TCPSCOPE_READER=$reader events_drain > "$TMPD/conn-$i.$reader" \
		2>> "$TMPD/drain-err" || ok=
done
kill -TERM "$SRV_PID" 2>/dev/null
bg_wait "$SRV_PID" 10 > /dev/null 2>&1
stats_quiet 10 0.3 || ok=
events_drain > "$TMPD/rest.text" 2>> "$TMPD/drain-err" || ok=
if [ -n "$ok" ]; then
	ktap_test_pass "$N connections, drained alternately as text and raw"
else
	ktap_print_msg "$(tail -3 "$TMPD/srv" "$TMPD"/cli-* "$TMPD/drain-err")"
	ktap_test_fail "$N connections, drained alternately as text and raw"
fi

cat "$TMPD/listen.text" "$TMPD"/conn-*.text "$TMPD/rest.text" > "$TMPD/all.text"
cat "$TMPD"/conn-*.raw > "$TMPD/all.raw"
bad=$(cat "$TMPD/all.text" "$TMPD/all.raw" | grep -cvE "$RE_EVENT|$RE_PACKET|$RE_LISTEN")
if [ "$bad" -eq 0 ] && [ -s "$TMPD/all.raw" ] && [ -s "$TMPD/all.text" ]; then
	ktap_test_pass "every text and raw line is well formed ($(wc -l < "$TMPD/all.text") text, $(wc -l < "$TMPD/all.raw") raw)"
else
	ktap_print_msg "$(cat "$TMPD/all.text" "$TMPD/all.raw" | grep -vE "$RE_EVENT|$RE_PACKET|$RE_LISTEN" | head -5)"
	ktap_test_fail "every text and raw line is well formed"
fi

# shape FILE CPORT: the connection as "<socket#> laddr > raddr OLD -> NEW"
# and "<socket#> tx|rx src > dst <rest>" lines, sockets numbered by first
# appearance, the client's port as P, seq, ack, win and TS numbers as N,
# sorted, each line once; the server's pure ACKs left out (timing).
shape() {
	awk -v cport="$2" -v srv="$SRV4:$PORT" '
	($5 == "tx" || $5 == "rx") && $6 == srv && $10 == "[.]," && $NF == "0" { next }
	$5 == "state" || $5 == "tx" || $5 == "rx" || $5 == "listen" {
		if (!($4 in sock))
			sock[$4] = ++n
		if ($5 == "listen") {
			rest = $0
			for (i = 0; i < 4; i++)
				sub(/^[^ ]+ /, "", rest)
			sub(":" cport, ":P", rest)
			print sock[$4], rest
			next
		}
		l = $6; r = $8
		sub(":" cport "$", ":P", l); sub(":" cport "$", ":P", r)
		if ($5 == "state") {
			print sock[$4], l, ">", r, $9, $10, $11
			next
		}
		rest = $0
		for (i = 0; i < 8; i++)
			sub(/^[^ ]+ /, "", rest)
		gsub(/(seq|ack|win|val|ecr) [0-9]+(:[0-9]+)?/, "& N", rest)
		gsub(/ [0-9]+(:[0-9]+)? N/, " N", rest)
		print sock[$4], $5, l, ">", r, rest
	}' "$1" | sort -u
}

same=1
for i in $(seq 2 2 "$N"); do
	p_raw=$(awk '/^port /{ print $2; exit }' "$TMPD/cli-$i")
	p_text=$(awk '/^port /{ print $2; exit }' "$TMPD/cli-$((i - 1))")
	shape "$TMPD/conn-$i.raw" "$p_raw" > "$TMPD/shape-raw"
	shape "$TMPD/conn-$((i - 1)).text" "$p_text" > "$TMPD/shape-text"
	if [ ! -s "$TMPD/shape-raw" ] || ! cmp -s "$TMPD/shape-raw" "$TMPD/shape-text"; then
		same=
		ktap_print_msg "connection $i (raw) vs $((i - 1)) (text):"$'\n'"$(diff "$TMPD/shape-text" "$TMPD/shape-raw")"
	fi
done
if [ -n "$same" ]; then
	ktap_test_pass "raw-read connections read exactly like text-read ones"
else
	ktap_test_fail "raw-read connections read exactly like text-read ones"
fi

# Transition counts: text + raw together vs /proc/net/tcpscope of both
# namespaces.
cat "$TMPD/all.text" "$TMPD/all.raw" |
	awk '$5 == "state" { print $9, $10, $11 }' | sort | uniq -c |
	awk '{ print $2, $3, $4, $1 }' > "$TMPD/counts-stream"
{
	ip netns exec "$NS_CLI" cat "$PROC_NET"
	ip netns exec "$NS_SRV" cat "$PROC_NET"
} | awk '$2 == "->" { n[$1 " -> " $3] += $4 }
	END { for (k in n) print k, n[k] }' | sort > "$TMPD/counts-proc"
if [ -s "$TMPD/counts-proc" ] && cmp -s "$TMPD/counts-stream" "$TMPD/counts-proc"; then
	ktap_test_pass "text + raw hold every transition /proc/net/tcpscope counted"
else
	ktap_print_msg "$(diff "$TMPD/counts-proc" "$TMPD/counts-stream")"
	ktap_test_fail "text + raw hold every transition /proc/net/tcpscope counted"
fi

lines=$(cat "$TMPD/all.text" "$TMPD/all.raw" | wc -l)
read=$(stat_get "$STATS" total read)
lost=$(stat_get "$STATS" total lost)
late=$(awk '$1 == "late" { print $2 }' "$STATS")
if [ "$lines" -eq "$read" ] && [ "$lost" -eq 0 ] && [ "$late" = 0 ] &&
   [ "$(sort "$TMPD/all.text" "$TMPD/all.raw" | uniq -d | wc -l)" -eq 0 ]; then
	ktap_test_pass "each event read once: $lines lines == stats read, lost 0, late 0"
else
	ktap_print_msg "lines $lines, stats read $read, lost $lost, late $late"
	ktap_test_fail "each event read once: lines == stats read, lost 0"
fi

ktap_test_result "no kernel warnings" dmesg_check
ktap_finished
