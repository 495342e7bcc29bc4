#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# listener_close.sh: listeners closed while SYNs reach them on both CPUs
# stay closed in tcpscope's listener table. 40 listeners per family, one
# after the other, each listening 0.2 s (times SLOW) under a stream of
# connect()s from two client processes (one per CPU). A SYN that saw its
# listener still listening may reach the table after the close; it must
# not make the listener an entry again (the table marks a listener closed
# once it has stored TCP_CLOSE, at inet_csk_listen_stop(), and a hook
# makes a new entry only for a socket that still listens). Against
# ground truth:
#  - `ss -ltn` in the server's namespace shows no listener at the end, and
#    /proc/net/tcpscope there shows no listener line either;
#  - the listeners file has an entry for each of the 80 listeners, each
#    closed, and at least 40 SYNs counted (the load reached them).
# Then 300 listeners held open at once: /proc/net/tcpscope has a line for
# each, as ss -ltn counts them, and a read a byte at a time, 3000 bytes at
# a time or whole gives the same bytes (the file is a seq_file iterator
# of parts, about 45 KB here). The table is 4096 buckets of 4 per CPU, so
# that no bucket of a CPU holds five of the 300 (chance 0.007 %; with 1024
# buckets it is 1.4 %, and a fifth open listener evicts one, whose line
# is then missing). A failure prints the evictions and the missing ports.

. "$(dirname "$0")/lib.sh"

require_env
dmesg_mark
setup_ns_pair || fail_all "cannot set up the namespaces"
HELPER=$SELFTESTS_DIR/listener_close.py
N=40

ktap_print_header
ktap_set_plan 5

# 4096 buckets of 4 per CPU: 80 listeners, then 300, evict none.
tcpscope_load listen=1 max_listeners=16384 || fail_all "insmod $TCPSCOPE_KO failed"
NSI=$(ns_inode "$NS_SRV")

# churn ADDR PORT: N listeners on PORT..., under load from both CPUs.
churn() {
	local cpu pids=() rc=0

	for cpu in 0 1; do
		ip netns exec "$NS_CLI" python3 "$HELPER" client "$1" "$2" "$N" \
			"$cpu" "$TMPD/stop-$2" > "$TMPD/cli-$2-$cpu" 2>&1 &
		pids+=("$!")
		BG_PIDS+=("$!")
	done
	ip netns exec "$NS_SRV" python3 "$HELPER" server "$1" "$2" "$N" \
		"$(awk -v s="$SLOW" 'BEGIN { print 0.2 * s }')" > "$TMPD/srv-$2" 2>&1 || rc=1
	: > "$TMPD/stop-$2"
	for cpu in 0 1; do
		bg_wait "${pids[$cpu]}" $((30 * SLOW)) || rc=1
	done
	ktap_print_msg "$1: $(cat "$TMPD/srv-$2") $(cat "$TMPD/cli-$2-0" "$TMPD/cli-$2-1" | tr '\n' ' ')"
	return "$rc"
}

{ churn "$SRV4" 7000 && churn "$SRV6" 7100; } || fail_all "the load did not run"
ss=$(ip netns exec "$NS_SRV" ss -Hltn)
if [ -z "$ss" ] && ! grep -q '^listener ' <(ip netns exec "$NS_SRV" cat "$PROC_NET"); then
	ktap_test_pass "no listener in ss -ltn, none in /proc/net/tcpscope"
else
	ktap_print_msg "ss: $ss"$'\n'"$(ip netns exec "$NS_SRV" grep '^listener ' "$PROC_NET")"
	ktap_test_fail "no listener in ss -ltn, none in /proc/net/tcpscope"
fi
grep "^ns=$NSI " "$DEBUGFS_DIR/listeners" > "$TMPD/listeners"
entries=$(wc -l < "$TMPD/listeners")
open=$(grep -vc ' closed ' "$TMPD/listeners")
syns=$(awk '{ for (i = 1; i < NF; i++) if ($i == "syns") n += $(i + 1) } END { print n + 0 }' "$TMPD/listeners")
ktap_print_msg "listeners file: $entries entries, $open not closed, $syns SYNs; $(head -1 "$DEBUGFS_DIR/listeners")"
if [ "$open" -eq 0 ]; then
	ktap_test_pass "every entry of the listeners file is closed"
else
	ktap_print_msg "$(grep -v ' closed ' "$TMPD/listeners" | head -5)"
	ktap_test_fail "every entry of the listeners file is closed"
fi
if [ "$entries" -eq $((2 * N)) ] && [ "$syns" -ge "$N" ]; then
	ktap_test_pass "an entry for each of the $((2 * N)) listeners, at least $N SYNs counted"
else
	ktap_test_fail "an entry for each of the $((2 * N)) listeners, at least $N SYNs counted"
fi
ip netns exec "$NS_SRV" python3 "$HELPER" hold "$SRV4" 8000 300 "$TMPD/stop-hold" \
	> "$TMPD/hold" 2>&1 &
BG_PIDS+=("$!")
wait_for_line "$TMPD/hold" '^listening 300$' $((60 * SLOW)) || fail_all "300 listeners: $(cat "$TMPD/hold")"
nss=$(ip netns exec "$NS_SRV" ss -Hltn | wc -l)
for bs in 1 3000 1M; do
	ip netns exec "$NS_SRV" dd if="$PROC_NET" bs="$bs" status=none > "$TMPD/proc-$bs"
done
nproc=$(grep -c '^listener ' "$TMPD/proc-1M")
ktap_print_msg "300 listeners: ss -ltn $nss, /proc lines $nproc, $(wc -c < "$TMPD/proc-1M") bytes; $(head -1 "$DEBUGFS_DIR/listeners")"
if [ "$nss" -eq 300 ] && [ "$nproc" -eq 300 ] &&
   cmp -s "$TMPD/proc-1" "$TMPD/proc-1M" && cmp -s "$TMPD/proc-3000" "$TMPD/proc-1M"; then
	ktap_test_pass "300 listeners: a /proc line each, the same bytes read whole or in pieces"
else
	ip netns exec "$NS_SRV" ss -Hltn | awk '{ sub(/.*:/, "", $4); print $4 }' | sort > "$TMPD/ss-ports"
	awk '$1 == "listener" { sub(/.*:/, "", $2); print $2 }' "$TMPD/proc-1M" | sort > "$TMPD/proc-ports"
	ktap_print_msg "ports in ss -ltn only: $(comm -23 "$TMPD/ss-ports" "$TMPD/proc-ports" | tr '\n' ' ')"
	ktap_test_fail "300 listeners: a /proc line each, the same bytes read whole or in pieces"
fi
: > "$TMPD/stop-hold"
ktap_test_result "no kernel warnings" dmesg_check
ktap_finished
