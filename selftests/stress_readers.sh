#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stress_readers.sh: readers of events against rmmod, SIGKILL and each
# other, while connections churn between two namespaces:
#  - rmmod while a reader is blocked in read(): fails "in use", the reader
#    still gets events; once it is killed rmmod succeeds;
#  - rmmod while readers (cat, dd bs=1) read a heavy stream: each attempt
#    fails "in use" at once, no hang; once they are killed rmmod succeeds;
#  - TCPSCOPE_STRESS_KILLS (5) times, 3 cat and 2 dd bs=1 readers SIGKILLed
#    mid-read; their complete lines are well-formed; a fresh reader then
#    gets well-formed lines and, after draining, produced == read + lost;
#  - one reader pinned to each CPU: the union of what they read has no
#    line twice, every line well-formed, lines == stats read, the LOST
#    lines == stats lost, and produced == read + lost.

. "$(dirname "$0")/lib.sh"

require_env
require_cmds taskset
KILLS=${TCPSCOPE_STRESS_KILLS:-5}
# Seconds of churn for the per-CPU readers.
PERCPU_S=${TCPSCOPE_STRESS_PERCPU_S:-5}
NCPU=$(nproc)
dmesg_mark
setup_ns_pair || fail_all "cannot set up the namespaces"
churn_ns_setup || fail_all "cannot set sysctls in $NS_CLI"
churn_server "$SRV4" 9000 "$TMPD/srv4" || fail_all "churn server: $(cat "$TMPD/srv4")"
SRV4_PID=$CHURN_SRV_PID
churn_server "$SRV6" 9001 "$TMPD/srv6" || fail_all "churn server: $(cat "$TMPD/srv6")"
SRV6_PID=$CHURN_SRV_PID

ktap_print_header
ktap_set_plan 18

CLI_PIDS=()
CLI_N=0

# churn_start [ARGS...]: an IPv4 and an IPv6 churn client (with ARGS).
churn_start() {
	local a

	CLI_PIDS=()
	for a in "$SRV4 9000" "$SRV6 9001"; do
		CLI_N=$((CLI_N + 1))
		# shellcheck disable=SC2086
		ip netns exec "$NS_CLI" "$CHURN" client $a "$@" \
			> "$TMPD/cli$CLI_N" 2>&1 &
		CLI_PIDS+=($!)
		BG_PIDS+=($!)
	done
}

# churn_stop: stop the clients (each finishes its connection); non-zero
# if one failed.
churn_stop() {
	local pid ok=0

	for pid in "${CLI_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
		bg_wait "$pid" 20 || ok=1
	done
	CLI_PIDS=()
	return $ok
}

# rmmod_in_use: rmmod must fail, at once, with "in use"; the module stays.
rmmod_in_use() {
	local t0=$SECONDS rc

	timeout $((10 * SLOW)) rmmod tcpscope 2> "$TMPD/rmmod.err"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		ktap_print_msg "rmmod succeeded with a reader open"
		return 1
	fi
	if [ "$rc" -eq 124 ]; then
		ktap_print_msg "rmmod hung (killed after $((10 * SLOW))s)"
		return 1
	fi
	if ! grep -q 'in use' "$TMPD/rmmod.err"; then
		ktap_print_msg "rmmod failed otherwise: $(cat "$TMPD/rmmod.err")"
		return 1
	fi
	[ $((SECONDS - t0)) -le 5 ] || ktap_print_msg "rmmod took $((SECONDS - t0))s"
	tcpscope_loaded
}

# unload_gone: rmmod succeeds and leaves nothing.
unload_gone() {
	if ! tcpscope_unload 2> "$TMPD/rmmod.err"; then
		ktap_print_msg "rmmod: $(cat "$TMPD/rmmod.err")"
		return 1
	fi
	tcpscope_gone
}

# complete_lines FILE: the lines of FILE but an unterminated last one.
complete_lines() {
	if [ -s "$1" ] && [ -n "$(tail -c 1 "$1")" ]; then
		sed '$d' "$1"
	else
		cat "$1"
	fi
}

# ------------------------------------------- 1: a reader blocked in read()
tcpscope_load || fail_all "insmod failed"
"$EVREAD" nonblock "$EVENTS" > /dev/null 2>&1
cat "$EVENTS" > "$TMPD/blocked" &
RB=$!
BG_PIDS+=("$RB")
sleep 1
ktap_test_result "rmmod with a reader blocked in read() fails: in use" rmmod_in_use
ktap_test_result "the blocked reader is still alive" kill -0 "$RB"
ip netns exec "$NS_CLI" "$CHURN" client "$SRV4" 9000 --count 5 > "$TMPD/cli-blocked" 2>&1
if wait_for_count "$TMPD/blocked" ":9000 CLOSE -> SYN_SENT\$" 5 10; then
	ktap_test_pass "the reader still receives events after the failed rmmod"
else
	ktap_print_msg "reader got:"$'\n'"$(tail -5 "$TMPD/blocked")"
	ktap_test_fail "the reader still receives events after the failed rmmod"
fi
kill -KILL "$RB"
bg_wait "$RB" 5 2>/dev/null
ktap_test_result "rmmod succeeds once the reader is killed" unload_gone

# -------------------------------------------- 2: readers of a heavy stream
tcpscope_load || fail_all "insmod failed"
churn_start
cat "$EVENTS" > /dev/null &
RH1=$!
dd if="$EVENTS" of=/dev/null bs=1 status=none &
RH2=$!
BG_PIDS+=("$RH1" "$RH2")
sleep 1
ok=1
for k in 1 2 3 4 5; do
	rmmod_in_use || { ok=; break; }
	sleep 0.2
done
if ! kill -0 "$RH1" || ! kill -0 "$RH2"; then
	ok=
	ktap_print_msg "a reader died"
fi
ktap_test_result "5 rmmod attempts while cat and dd bs=1 read a heavy stream: each fails in use, no hang" \
	test -n "$ok"
kill -KILL "$RH1" "$RH2"
bg_wait "$RH1" 5 2>/dev/null
bg_wait "$RH2" 5 2>/dev/null
ktap_test_result "rmmod succeeds once they are killed (churn still running)" unload_gone

# ------------------------------------------------- 3: readers SIGKILLed
tcpscope_load || fail_all "insmod failed"
ok=1
for ((k = 1; k <= KILLS; k++)); do
	pids=()
	for j in 1 2 3; do
		cat "$EVENTS" > "$TMPD/kill$k.cat$j" &
		pids+=($!)
	done
	for j in 1 2; do
		dd if="$EVENTS" of="$TMPD/kill$k.dd$j" bs=1 status=none &
		pids+=($!)
	done
	BG_PIDS+=("${pids[@]}")
	sleep 0.5
	kill -KILL "${pids[@]}" 2>/dev/null
	for pid in "${pids[@]}"; do
		bg_wait "$pid" 10 2>/dev/null
		[ $? -eq 124 ] && { ok=; ktap_print_msg "round $k: a reader did not die"; }
	done
done
ktap_test_result "$KILLS times: 3 cat and 2 dd bs=1 readers SIGKILLed mid-read, all gone" \
	test -n "$ok"
for f in "$TMPD"/kill*.*; do
	complete_lines "$f"
done > "$TMPD/killed-lines"
ktap_print_msg "killed readers: $(grep -c . "$TMPD/killed-lines") complete lines, $(cat "$TMPD"/kill*.dd* | grep -c .) by dd bs=1"
if check_format "$TMPD/killed-lines" && [ -s "$TMPD/killed-lines" ]; then
	ktap_test_pass "the killed readers' complete lines are well-formed"
else
	ktap_test_fail "the killed readers' complete lines are well-formed"
fi

# A fresh reader while the churn goes on, then stop and drain.
"$EVREAD" follow "$EVENTS" > "$TMPD/fresh" 2>> "$TMPD/fresh.err" &
RF=$!
BG_PIDS+=("$RF")
sleep 1
ok=1
churn_stop || ok=
stats_quiet 15 || { ok=; ktap_print_msg "events did not stop within 15s"; }
kill -TERM "$RF"
bg_wait "$RF" 5 2>/dev/null
drain_settled "$TMPD/fresh" "$TMPD/stats-kill" || ok=
if [ -n "$ok" ] && check_format "$TMPD/fresh" && grep -q ' state ' "$TMPD/fresh"; then
	ktap_test_pass "a fresh reader gets complete, well-formed lines"
else
	ktap_print_msg "$(cat "$TMPD/fresh.err"; tail -3 "$TMPD"/cli*)"
	ktap_test_fail "a fresh reader gets complete, well-formed lines"
fi
if stats_balance "$TMPD/stats-kill" 1; then
	ktap_test_pass "after draining: produced == read + lost, per CPU and total"
else
	ktap_print_msg "$(cat "$TMPD/stats-kill")"
	ktap_test_fail "after draining: produced == read + lost, per CPU and total"
fi
ktap_test_result "rmmod" unload_gone

# ------------------------------------------------- 4: a reader per CPU
tcpscope_load || fail_all "insmod failed"
pids=()
for ((c = 0; c < NCPU; c++)); do
	taskset -c "$c" "$EVREAD" follow "$EVENTS" > "$TMPD/percpu$c" 2>> "$TMPD/percpu.err" &
	pids+=($!)
done
BG_PIDS+=("${pids[@]}")
churn_start --seconds "$PERCPU_S"
ok=1
for pid in "${CLI_PIDS[@]}"; do
	bg_wait "$pid" $((PERCPU_S + 30)) || ok=
done
stats_quiet 15 || { ok=; ktap_print_msg "events did not stop within 15s"; }
for pid in "${pids[@]}"; do
	kill -0 "$pid" 2>/dev/null || { ok=; ktap_print_msg "reader $pid died"; }
done
kill -TERM "${pids[@]}"
for pid in "${pids[@]}"; do
	bg_wait "$pid" 5 2>/dev/null
done
: > "$TMPD/percpu-drain"
drain_settled "$TMPD/percpu-drain" "$TMPD/stats-percpu" || ok=
dist=
for ((c = 0; c < NCPU; c++)); do
	dist+=" cpu$c:$(grep -c . "$TMPD/percpu$c")"
done
ktap_print_msg "lines per reader:$dist, drained after: $(grep -c . "$TMPD/percpu-drain")"
ktap_print_msg "$(tail -n 2 "$TMPD"/stats-percpu)"
if [ -n "$ok" ] && [ "$(stat_get "$TMPD/stats-percpu" total read)" -gt 0 ]; then
	ktap_test_pass "$NCPU readers, one pinned to each CPU, read $PERCPU_S s of churn"
else
	ktap_test_fail "$NCPU readers, one pinned to each CPU, read $PERCPU_S s of churn"
fi
cat "$TMPD"/percpu[0-9]* "$TMPD/percpu-drain" > "$TMPD/percpu-all"
ktap_test_result "their union: well-formed, no line twice, lines == stats read, LOST lines == lost" \
	events_check "$TMPD/percpu-all" "$TMPD/stats-percpu"
if stats_balance "$TMPD/stats-percpu" 1; then
	ktap_test_pass "after draining: produced == read + lost, per CPU and total"
else
	ktap_print_msg "$(cat "$TMPD/stats-percpu")"
	ktap_test_fail "after draining: produced == read + lost, per CPU and total"
fi
ktap_test_result "rmmod" unload_gone

# ------------------------------------------------------------ the end
ok=1
for pid in "$SRV4_PID" "$SRV6_PID"; do
	kill -TERM "$pid"
	bg_wait "$pid" 10 || ok=
done
ktap_test_result "churn servers ran without error" test -n "$ok"
ktap_test_result "no tcpscope state left" tcpscope_gone
ktap_test_result "no kernel warnings" dmesg_check
ktap_finished
