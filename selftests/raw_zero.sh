#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# raw_zero.sh: every record kind of events_raw, with every byte that
# carries nothing zero (selftests/raw_zero.py: pad and reserved fields,
# the unused 12 bytes of an IPv4 address, options past optlen, the reason
# past its NUL, lost_before). scripts/check builds the module the tests
# load with -ftrivial-auto-var-init=pattern, so that a byte left
# uninitialised is not zero by luck (Debian's kernels zero the stack).
#  1. packets=all, listen=1: a connection and an abortive close (reset tx
#     and rx) per family, and a connect() to a closed port (reset rx in
#     SYN_SENT): state, packet, reset and listen records;
#  2. an 8 KiB buffer and no reader during 30 connections: LOST records.

. "$(dirname "$0")/lib.sh"

require_env
dmesg_mark
setup_ns_pair || fail_all "cannot set up the namespaces"
CHECK=$SELFTESTS_DIR/raw_zero.py

ktap_print_header
ktap_set_plan 4

# traffic SRV PORT: a connection, an abortive close, a closed port.
traffic() {
	ip netns exec "$NS_SRV" "$TCPCONN" server "$1" "$2" --count 2 \
		> "$TMPD/srv-$2" 2>&1 &
	BG_PIDS+=("$!")
	wait_for_line "$TMPD/srv-$2" '^listening ' "$START_WAIT" || return 1
	ip netns exec "$NS_CLI" "$TCPCONN" client "$1" "$2" --bytes 100 > /dev/null &&
	ip netns exec "$NS_CLI" python3 "$SELFTESTS_DIR/rstclient.py" abort "$1" "$2" > /dev/null &&
	ip netns exec "$NS_CLI" python3 "$SELFTESTS_DIR/rstclient.py" closed "$1" $(($2 + 1)) > /dev/null
}

# check_capture NAME FILE KIND...: raw_zero.py finds nothing, and each KIND.
check_capture() {
	local name=$1 file=$2 out kind ok=1

	shift 2
	out=$(python3 "$CHECK" "$file") || ok=
	ktap_print_msg "$name: $(tr '\n' ' ' <<< "$out")"
	for kind in "$@"; do
		grep -Eq "^kind $kind [1-9]" <<< "$out" || { ok=; ktap_print_msg "no $kind record"; }
	done
	[ -n "$ok" ]
}

tcpscope_load packets=all listen=1 || fail_all "insmod $TCPSCOPE_KO failed"
"$EVREAD" follow "$EVENTS_RAW" > "$TMPD/raw1" 2> "$TMPD/raw1.err" &
EVREADER_PID=$!
BG_PIDS+=("$EVREADER_PID")
ok=1
traffic "$SRV4" 8080 && traffic "$SRV6" 8086 || ok=
# Each record was written before the call that caused it returned.
events_reader_stop
[ -n "$ok" ] || fail_all "traffic failed"
name="connections, resets, listeners: every record well formed, unused bytes zero"
if check_capture traffic "$TMPD/raw1" state packet reset listen; then
	ktap_test_pass "$name"
else
	ktap_test_fail "$name"
fi
tcpscope_unload || fail_all "rmmod failed"

tcpscope_load packets=all listen=1 bufsize_kb=8 || fail_all "insmod bufsize_kb=8 failed"
ip netns exec "$NS_SRV" "$TCPCONN" server "$SRV4" 8090 --count 30 > "$TMPD/srv-lost" 2>&1 &
BG_PIDS+=("$!")
wait_for_line "$TMPD/srv-lost" '^listening ' "$START_WAIT" || fail_all "server"
ip netns exec "$NS_CLI" "$TCPCONN" client "$SRV4" 8090 --count 30 --bytes 100 > /dev/null ||
	fail_all "client"
"$EVREAD" nonblock "$EVENTS_RAW" > "$TMPD/raw2" || fail_all "reading events_raw"
name="an overflowing buffer: LOST records well formed"
if check_capture lost "$TMPD/raw2" lost; then
	ktap_test_pass "$name"
else
	ktap_test_fail "$name"
fi
lost=$(stat_get "$STATS" total lost)
ktap_print_msg "stats: total lost $lost"
if [ "${lost:-0}" -gt 0 ]; then
	ktap_test_pass "the stats count the loss"
else
	ktap_test_fail "the stats count the loss"
fi
ktap_test_result "no kernel warnings" dmesg_check
ktap_finished
