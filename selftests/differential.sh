#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# differential.sh: random but valid TCP socket life cycles
# (selftests/lifecycles.py), compared per socket with the kernel's own
# sock:inet_sock_set_state trace event. From a seed it prints, two workers
# pinned to CPU 0 and 1 run connect/listen/accept, data, shutdown RD/WR,
# close in every state, SO_LINGER 0, Fast Open client and server (a child
# closed in SYN_RECV before the client's ACK too), simultaneous open and
# close, listeners closed with unaccepted children or half-open requests
# and SYNs to closed ports, over IPv4, IPv6 and IPv4 to a dual-stack
# listener.
#
# The trace event does not print its socket (skaddr), so an event probe
# on it (eprobe, tcpscope_diff/skaddr) records skaddr beside each event;
# lifecycles.py pairs the two, splits each skaddr into socket lives
# (the memory is reused at once after a socket is freed), gives each life
# its 4-tuple and compares it with tcpscope's socket (id = cookie) of the
# same 4-tuple, transition by transition. Only the documented TIME_WAIT
# differences are normalised (Documentation/tcpscope.rst, TIME_WAIT):
# tcpscope's X -> TIME_WAIT is the tracepoint's X -> CLOSE at the
# hand-over, its final TIME_WAIT -> CLOSE is dropped, and an orphan handed
# over in FIN_WAIT2 shows its FIN_WAIT2 -> CLOSE when its timewait socket
# moves on or ends. The namespaces are deleted before the reader stops,
# which ends every timewait socket: tcpscope must then show every
# socket's end, so the normalisation cannot hide a missing one.
#
# TCPSCOPE_DIFF_SEED=N replays a run's choices (timing aside);
# TCPSCOPE_DIFF_CYCLES=N runs N life cycles (default 600, divided by
# TCPSCOPE_SLOW; at least 12, so that every kind runs; at most 6144, the
# port blocks of 8 from 16384 up). TCPSCOPE_DIFF_KEEP=DIR (a directory
# shared with the host, vm-run --share) keeps the run's captures in
# DIR/seed-<seed>: events, trace, cycles/, ss-*, compare.out.

. "$(dirname "$0")/lib.sh"

require_env
require_cmds nft tc python3
ftrace_setup

SEED=${TCPSCOPE_DIFF_SEED:-$(((RANDOM << 15 | RANDOM) % 1000000))}
CYCLES=${TCPSCOPE_DIFF_CYCLES:-$((600 / SLOW))}
[ "$CYCLES" -ge 12 ] || CYCLES=12
[ "$CYCLES" -le 6144 ] || fail_all "TCPSCOPE_DIFF_CYCLES=$CYCLES: at most 6144 per run"
LIFECYCLES=$SELFTESTS_DIR/lifecycles.py
# Orphans in FIN_WAIT2 become timewait sockets at once (the timeout is
# under 60 s) and end that long after; the driver's "late" close comes
# after it.
FIN_TIMEOUT=$((3 * SLOW))
# One-way delay of the second link: SYNs and FINs sent back to back
# cross on it (simultaneous open and close).
DELAY_MS=$((100 * SLOW))
EV=$TMPD/events
TRACE=$TMPD/trace
PROBE=tcpscope_diff/skaddr

# ns_sysctls: Fast Open both ways (a fixed server key), the short FIN
# timeout, orphans that give up after two retries (none outlives the
# run's end by much), the client's ephemeral ports below the driver's
# (16384 and up).
ns_sysctls() {
	local ns

	for ns in "$NS_CLI" "$NS_SRV"; do
		ip netns exec "$ns" sysctl -qw net.ipv4.tcp_fastopen=3 \
			net.ipv4.tcp_fastopen_key=0123abcd-4567ef01-89abcdef-01234567 \
			net.ipv4.tcp_fin_timeout="$FIN_TIMEOUT" \
			net.ipv4.tcp_orphan_retries=2 net.ipv4.tcp_synack_retries=2 \
			net.ipv4.ip_local_port_range="1024 16383" || return 1
	done
}

# delayed_link: a second veth pair, 192.0.2.1/2001:db8:2::1 (client) and
# 192.0.2.2/2001:db8:2::2 (server), netem DELAY_MS on both ends.
delayed_link() {
	ip link add name vd-cli netns "$NS_CLI" type veth \
		peer name vd-srv netns "$NS_SRV" || return 1
	ip -n "$NS_CLI" addr add 192.0.2.1/24 dev vd-cli &&
	ip -n "$NS_CLI" addr add 2001:db8:2::1/64 dev vd-cli nodad &&
	ip -n "$NS_SRV" addr add 192.0.2.2/24 dev vd-srv &&
	ip -n "$NS_SRV" addr add 2001:db8:2::2/64 dev vd-srv nodad &&
	ip -n "$NS_CLI" link set vd-cli up &&
	ip -n "$NS_SRV" link set vd-srv up &&
	tc -n "$NS_CLI" qdisc add dev vd-cli root netem delay "${DELAY_MS}ms" &&
	tc -n "$NS_SRV" qdisc add dev vd-srv root netem delay "${DELAY_MS}ms" ||
		return 1
	wait_until 5 link_up "$NS_SRV" vd-srv
}

# drop_rules: a port's offset in its cycle's block of 8 (port & 7) says
# what is dropped (lifecycles.py, OFF_*): 2, the SYNs to it (the server's
# input), so that the client can close in SYN_SENT; 3, the client's pure
# ACKs to it (its output), so that a Fast Open child stays in SYN_RECV
# and a request in the SYN queue.
drop_rules() {
	ip netns exec "$NS_SRV" nft -f - <<-EOF || return 1
	table inet tcpscope_diff {
		chain in {
			type filter hook input priority 0;
			tcp dport >= 16384 tcp dport & 7 == 2 tcp flags & (syn | ack) == syn drop
		}
	}
	EOF
	ip netns exec "$NS_CLI" nft -f - <<-EOF
	table inet tcpscope_diff {
		chain out {
			type filter hook output priority 0;
			tcp dport >= 16384 tcp dport & 7 == 3 tcp flags & (fin | syn | rst | psh | ack | urg) == ack drop
		}
	}
	EOF
}

# probe_setup: the eprobe that records skaddr (and what identifies the
# event it goes with) at every sock:inet_sock_set_state hit, and a trace
# buffer of 4 KiB per CPU per cycle (a cycle makes about 10 events of
# each, some 1.3 KiB; overruns are checked).
probe_setup() {
	local kb=$((4096 + CYCLES * 4)) old_kb

	# "7 (expanded: 1408)" before the first use: 1408 is what it will be.
	old_kb=$(cat "$TRACEFS/buffer_size_kb")
	case $old_kb in
	*"expanded: "*) old_kb=${old_kb##*expanded: } old_kb=${old_kb%%)*} ;;
	*) old_kb=${old_kb%% *} ;;
	esac
	# One left by a run that was killed (its cleanup did not run).
	probes_remove
	if grep -q '^[[:space:]]*e\[:' "$TRACEFS/README"; then
		echo "e:$PROBE sock.inet_sock_set_state sk=\$skaddr:x64 o=\$oldstate:s32" \
			"n=\$newstate:s32 sp=\$sport:u16 dp=\$dport:u16 fam=\$family:u16" \
			"pr=\$protocol:u16" >> "$TRACEFS/dynamic_events" || return 1
	else
		# No eprobes (before 5.15), and the event's own probe function
		# is notrace: kprobes on the two functions that fire the event,
		# inet_sk_state_store(sk, new) and inet_sk_set_state(sk, new),
		# just before it. Their twins carry the new state only.
		echo "p:${PROBE} inet_sk_state_store sk=%di:x64 n=%si:s32" \
			>> "$TRACEFS/dynamic_events" || return 1
		echo "p:${PROBE}_set inet_sk_set_state sk=%di:x64 n=%si:s32" \
			>> "$TRACEFS/dynamic_events" || return 1
		PROBE_NOTE="no eprobes here: skaddr from kprobes on inet_sk_state_store and inet_sk_set_state"
	fi
	PROBEDIR=$TRACEFS/events/${PROBE%/*}
	CLEANUP_CMDS+=(probes_remove
		"echo ${old_kb:-1408} > $TRACEFS/buffer_size_kb")
	echo "$kb" > "$TRACEFS/buffer_size_kb"
}

# probes_remove: probe_setup's probes, if there are any.
probes_remove() {
	local e

	for e in "$PROBE" "${PROBE}_set"; do
		[ -d "$TRACEFS/events/$e" ] || continue
		echo 0 > "$TRACEFS/events/$e/enable"
		echo "-:$e" >> "$TRACEFS/dynamic_events"
	done
}

# trace_overruns: events the trace buffer lost (overrun or dropped).
trace_overruns() {
	cat "$TRACEFS"/per_cpu/cpu*/stats |
		awk '/^(overrun|dropped events):/ { n += $NF } END { print n + 0 }'
}

# settled NS...: every TCP socket left in each NS is a timewait socket.
settled() {
	local ns

	for ns; do
		ip netns exec "$ns" ss -tanoH | grep -v 'timer:(timewait' | grep -q . &&
			return 1
	done
	return 0
}

# wait_settled: until both namespaces hold timewait sockets only.
wait_settled() {
	wait_until -i 0.5 $((30 * SLOW)) settled "$NS_CLI" "$NS_SRV" && return 0
	ktap_print_msg "sockets left after $((30 * SLOW)) s:" \
		"$(ip netns exec "$NS_CLI" ss -tanoH; ip netns exec "$NS_SRV" ss -tanoH)"
	return 1
}

# none_pending: no tcpscope socket of the run is still open; PENDING is
# how many are.
none_pending() {
	PENDING=$(python3 "$LIFECYCLES" pending --events "$EV")
	[ "$PENDING" = 0 ]
}

# wait_ended: until every tcpscope socket of the run reached CLOSE (the
# namespaces are gone, which ends their timewait sockets).
wait_ended() {
	wait_until -i 1 $((60 * SLOW)) none_pending && return 0
	ktap_print_msg "$PENDING tcpscope sockets still open $((60 * SLOW)) s after the namespaces were deleted"
	return 1
}

# result NAME DESC: KTAP line from lifecycles.py's check NAME.
result() {
	local line

	line=$(grep "^$1 " "$TMPD/results")
	ktap_print_msg "${line#* * }"
	if [[ $line == "$1 ok "* ]]; then
		ktap_test_pass "$2"
	else
		# The first differences again, next to the result (CI shows a
		# failed check with the few messages just before it).
		grep -A3 '^MISMATCH' "$TMPD/compare.out" | head -6 |
			while IFS= read -r m; do ktap_print_msg "$m"; done
		ktap_print_msg "seed $SEED: '$2' failed; replay with TCPSCOPE_DIFF_SEED=$SEED TCPSCOPE_DIFF_CYCLES=$CYCLES"
		ktap_test_fail "$2"
	fi
}

dmesg_mark
setup_ns_pair || fail_all "cannot set up the namespaces"
ns_sysctls || fail_all "cannot set the namespaces' sysctls"
delayed_link || fail_all "cannot set up the delayed link (netem)"
drop_rules || fail_all "cannot add the nft rules"
probe_setup || fail_all "cannot add the probe $PROBE"

ktap_print_header
ktap_set_plan 12
ktap_print_msg "seed $SEED, $CYCLES life cycles (replay: TCPSCOPE_DIFF_SEED=$SEED TCPSCOPE_DIFF_CYCLES=$CYCLES)"
[ -z "${PROBE_NOTE:-}" ] || ktap_print_msg "$PROBE_NOTE"

tcpscope_load || fail_all "insmod $TCPSCOPE_KO failed"
events_reader_start "$EV"
echo > "$TRACEFS/trace"
echo 1 > "$EVDIR/enable"
echo 1 > "$PROBEDIR/enable"

t0=$SECONDS
mkdir "$TMPD/cycles"
timeout $((1000 * SLOW)) python3 "$LIFECYCLES" run --seed "$SEED" --cycles "$CYCLES" \
	--cli "$NS_CLI" --srv "$NS_SRV" --out "$TMPD/cycles" --slow "$SLOW" \
	--fin-timeout "$FIN_TIMEOUT" > "$TMPD/run.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] || ktap_print_msg "lifecycles.py run exited $rc: $(tail -5 "$TMPD/run.out")"
ktap_test_result "seed $SEED: the driver ran $CYCLES life cycles on two CPUs ($((SECONDS - t0)) s)" \
	test "$rc" -eq 0
desc="every socket closed but the timewait ones, within 30 s"
if wait_settled; then ktap_test_pass "$desc"; else ktap_test_fail "$desc"; fi

# The timewait sockets as ss sees them, between two clock readings.
ss_t0=$("$EVREAD" now)
ip netns exec "$NS_CLI" ss -tanHe > "$TMPD/ss-cli"
ip netns exec "$NS_SRV" ss -tanHe > "$TMPD/ss-srv"
ss_t1=$("$EVREAD" now)
ip netns del "$NS_CLI"
ip netns del "$NS_SRV"
desc="the namespaces' deletion ended every timewait socket"
if wait_ended; then ktap_test_pass "$desc"; else ktap_test_fail "$desc"; fi
stats_quiet $((10 * SLOW)) 0.5
events_reader_stop
echo 0 > "$PROBEDIR/enable"
echo 0 > "$EVDIR/enable"
cat "$TRACEFS/trace" > "$TRACE"
cat "$STATS" > "$TMPD/stats"
overruns=$(trace_overruns)

python3 "$LIFECYCLES" compare --seed "$SEED" --want "$CYCLES" --trace "$TRACE" \
	--events "$EV" --cycles "$TMPD/cycles" --nsi-cli "$NSI_CLI" \
	--nsi-srv "$NSI_SRV" --results "$TMPD/results" --ss-cli "$TMPD/ss-cli" \
	--ss-srv "$TMPD/ss-srv" --ss-t0 "$ss_t0" --ss-t1 "$ss_t1" > "$TMPD/compare.out" 2>&1 ||
	ktap_print_msg "lifecycles.py compare failed"
ktap_print_msg "$(cat "$TMPD/compare.out")"

if [ "$overruns" = 0 ]; then
	result trace "the kernel's trace: nothing overrun, every event paired with its skaddr"
else
	ktap_print_msg "seed $SEED: the trace buffer overran ($overruns events): inconclusive"
	ktap_test_fail "the kernel's trace: nothing overrun, every event paired with its skaddr"
fi
ktap_print_msg "tcpscope stats: $(grep -E '^(total|missed|late) ' "$TMPD/stats" | tr '\n' ' ')"
if [ "$(stat_get "$TMPD/stats" total lost)" = 0 ]; then
	result lost "tcpscope lost nothing (stats lost 0, no LOST line)"
else
	ktap_print_msg "$(cat "$TMPD/stats")"
	ktap_test_fail "tcpscope lost nothing (stats lost 0, no LOST line)"
fi
result kernel "every kernel socket life has a tcpscope socket with the same transitions"
result extra "no tcpscope socket or transition the kernel did not have"
result ended "every tcpscope socket ended in CLOSE, timewait sockets included"
result timewait "the timewait sockets ss -e lists at the end are those tcpscope has in TIME_WAIT or FIN_WAIT2"
result cookies "the driver's SO_COOKIEs are tcpscope's ids, each in its namespace"
result kinds "every cycle ran, each kind of life cycle at least once"
if [ -n "${TCPSCOPE_DIFF_KEEP:-}" ]; then
	mkdir -p "$TCPSCOPE_DIFF_KEEP/seed-$SEED" &&
		cp -r "$EV" "$TRACE" "$TMPD"/cycles "$TMPD"/ss-* "$TMPD"/stats \
			"$TMPD"/compare.out "$TMPD"/run.out "$TCPSCOPE_DIFF_KEEP/seed-$SEED/" &&
		ktap_print_msg "captures kept in $TCPSCOPE_DIFF_KEEP/seed-$SEED"
fi
tcpscope_unload || ktap_print_msg "rmmod failed"
ktap_test_result "no kernel warnings" dmesg_check
ktap_finished
