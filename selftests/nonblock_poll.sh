#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# nonblock_poll.sh: file semantics of the events stream: O_NONBLOCK read
# of an empty stream fails with EAGAIN; poll() does not report POLLIN
# while empty and does within a bound once a connection produces events;
# a blocking read blocks while empty and then returns whole lines.

. "$(dirname "$0")/lib.sh"

require_env
dmesg_mark
tcpscope_load || fail_all "insmod $TCPSCOPE_KO failed"
setup_ns_pair || fail_all "cannot set up the namespaces"

ktap_print_header
ktap_set_plan 8

# start_server PORT: a one-connection IPv4 server in ns srv ($SRV_PID).
start_server() {
	ip netns exec "$NS_SRV" "$TCPCONN" server "$SRV4" "$1" --count 1 > "$TMPD/srv" 2>&1 &
	SRV_PID=$!
	BG_PIDS+=("$SRV_PID")
	wait_for_line "$TMPD/srv" '^listening' "$START_WAIT"
}

# client PORT: one connection from ns cli; its port in CPORT.
client() {
	# --hold: the third ACK goes alone, the data 0.2 s later; sent
	# together, they can race through the listener on two CPUs and make
	# a second child, which the kernel discards (2 more events).
	ip netns exec "$NS_CLI" timeout 10 "$TCPCONN" client "$SRV4" "$1" --hold 0.2 \
		> "$TMPD/cli" 2>&1 || return 1
	CPORT=$(awk '/^port /{ print $2; exit }' "$TMPD/cli")
	bg_wait "$SRV_PID" 10
}

# 1: EAGAIN on the empty stream (evread drains first, then needs EAGAIN)
ktap_test_result "O_NONBLOCK read on an empty stream fails with EAGAIN" \
	"$EVREAD" nonblock "$EVENTS"

# 2-4: poll (the listener is up first: the client's connect() must wake)
start_server 8080 || ktap_print_msg "server failed: $(cat "$TMPD/srv")"
"$EVREAD" poll "$EVENTS" $((5000 * SLOW)) > "$TMPD/poll" 2> "$TMPD/poll.err" &
PPID_=$!
BG_PIDS+=("$PPID_")
if wait_for_line "$TMPD/poll" '^ready$' 10; then
	ktap_test_pass "poll() does not report POLLIN while empty"
else
	ktap_print_msg "$(cat "$TMPD/poll.err")"
	ktap_test_fail "poll() does not report POLLIN while empty"
fi
client 8080 || ktap_print_msg "traffic failed: $(cat "$TMPD/srv" "$TMPD/cli")"
bg_wait "$PPID_" 15
rc=$?
if [ "$rc" -eq 0 ] && grep -qx pollin "$TMPD/poll"; then
	ktap_test_pass "poll() reports POLLIN within 5 s of a connection"
else
	ktap_print_msg "evread poll: rc $rc: $(cat "$TMPD/poll.err")"
	ktap_test_fail "poll() reports POLLIN within 5 s of a connection"
fi
if grep -Eq ":${CPORT:-none} > $SRV4:8080 CLOSE -> SYN_SENT\$" "$TMPD/poll" &&
   ! grep -Ev "^(ready|pollin)\$|$RE_EVENT|$RE_LOST" "$TMPD/poll" | grep -q .; then
	ktap_test_pass "the read after POLLIN returns the client's CLOSE -> SYN_SENT"
else
	ktap_print_msg "read after POLLIN (client port ${CPORT:-?}):"$'\n'"$(cat "$TMPD/poll")"
	ktap_test_fail "the read after POLLIN returns the client's CLOSE -> SYN_SENT"
fi

# 5-7: blocking read
sleep 0.5
start_server 8081 || ktap_print_msg "server failed: $(cat "$TMPD/srv")"
"$EVREAD" nonblock "$EVENTS" > "$TMPD/pre" 2>&1
"$EVREAD" block "$EVENTS" 15 > "$TMPD/block" 2> "$TMPD/block.err" &
BPID=$!
BG_PIDS+=("$BPID")
sleep 1.5
if kill -0 "$BPID" 2>/dev/null && [ ! -s "$TMPD/block" ]; then
	ktap_test_pass "blocking read blocks on an empty stream"
else
	ktap_print_msg "reader returned early: $(cat "$TMPD/block" "$TMPD/block.err")"
	ktap_test_fail "blocking read blocks on an empty stream"
fi
client 8081 || ktap_print_msg "traffic failed: $(cat "$TMPD/srv" "$TMPD/cli")"
bg_wait "$BPID" 15
rc=$?
if [ "$rc" -eq 0 ] && grep -Eq ":${CPORT:-none} > $SRV4:8081 CLOSE -> SYN_SENT\$" "$TMPD/block"; then
	ktap_test_pass "blocking read wakes up with whole lines of the connection"
else
	ktap_print_msg "evread block rc $rc: $(cat "$TMPD/block" "$TMPD/block.err")"
	ktap_test_fail "blocking read wakes up with whole lines of the connection"
fi

# Consuming stream: what the blocking read returned is not returned
# again; with what was drained before (the listener's CLOSE -> LISTEN)
# and the rest, each of the connection's 12 events comes exactly once.
# all_12: one more non-blocking read, and the 12 events are in (n: how
# many are).
all_12() {
	"$EVREAD" nonblock "$EVENTS" >> "$TMPD/rest" 2>/dev/null
	n=$(cat "$TMPD/pre" "$TMPD/block" "$TMPD/rest" | grep -Ec ":8081 .* -> |:${CPORT:-none} .* -> ")
	[ "$n" -ge 12 ]
}
: > "$TMPD/rest"
wait_until -i 0.2 10 all_12 || true
dups=$(cat "$TMPD/pre" "$TMPD/block" "$TMPD/rest" | grep -E "$RE_EVENT" | sort | uniq -d)
if [ "$n" -eq 12 ] && [ -z "$dups" ]; then
	ktap_test_pass "each event is read exactly once (12 for the connection)"
else
	ktap_print_msg "$n events for port 8081, duplicates: ${dups:-none}"
	ktap_test_fail "each event is read exactly once (12 for the connection)"
fi

ip netns del "$NS_CLI"
ip netns del "$NS_SRV"
tcpscope_unload
ktap_test_result "no kernel warnings" dmesg_check
ktap_finished
