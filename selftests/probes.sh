#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# probes.sh: /sys/kernel/debug/tcpscope/probes against the kernel's own
# view. The file is 0400 and has one line per entry of the module's
# probe table (counted in its source); every kprobe and kretprobe listed
# attached is one the kernel's kprobes/list gained at load, and no other;
# every tracepoint listed is one tracefs knows; an alternative name is
# used only when the names before it are not in /proc/kallsyms; hits
# count the calls of a handshake exactly where the test knows the number;
# the missed column adds up to the stats file's missed; nothing fails to
# attach here, and the kernel log says nothing of it. With the listener
# hooks switched off (listen=0 max_listeners=0) they are listed off and
# left out of kprobes/list, and the rest still attaches.

. "$(dirname "$0")/lib.sh"

require_env
KPROBES_LIST=/sys/kernel/debug/kprobes/list
PROBES=$DEBUGFS_DIR/probes
[ -r "$KPROBES_LIST" ] || skip_all "no $KPROBES_LIST"
TRACEFS=/sys/kernel/tracing
[ -d "$TRACEFS/events" ] || TRACEFS=/sys/kernel/debug/tracing
[ -d "$TRACEFS/events" ] || skip_all "tracefs is not mounted"
setup_ns_pair || fail_all "cannot set up the namespaces"

ktap_print_header
ktap_set_plan 12

NCONN=3
RE_LINE='^(tracepoint|kprobe|kretprobe) [A-Za-z0-9_.|]+ [a-z0-9]+ (attached|failed|spare|replaced|off) hits [0-9]+ missed ([0-9]+|-)( required)?( error -?[A-Z0-9]+)?( lost: .+)?$'

# The table's entries, from the source: one macro call each.
source_entries() {
	grep -hcE 'TCPSCOPE_(TRACEPOINT|TRACEPOINT_REQUIRED|KPROBE|KRETPROBE|KRETPROBE_ELSE)\(' \
		"$TOP_DIR"/module/*.c | awk '{ n += $1 } END { print n }'
}

# The kernel's kprobes, as "k SYMBOL" or "r SYMBOL", sorted (a kprobe at
# a function's entry shows as +0x0, or +0x4 after its ENDBR: dropped).
kernel_kprobes() {
	awk '{ s = $3; sub(/\+0x[0-9a-f]+$/, "", s); print $2, s }' "$KPROBES_LIST" | sort
}

# snapshot FILE: "SYMBOL HITS" of every attached entry.
snapshot() {
	awk '$4 == "attached" { print $2, $6 }' "$PROBES" | sort > "$1"
}

# delta SYMBOL: hits between the snapshots before and after.
delta() {
	join "$TMPD/before" "$TMPD/after" |
		awk -v s="$1" '$1 == s { print $3 - $2; f = 1 } END { if (!f) print "none" }'
}

check_format() {
	local bad

	bad=$(grep -vE "$RE_LINE" "$PROBES")
	[ -z "$bad" ] && return 0
	ktap_print_msg "lines not in the format:"$'\n'"$bad"
	return 1
}

check_count() {
	local want got

	want=$(source_entries)
	got=$(wc -l < "$PROBES")
	[ "$want" -gt 0 ] && [ "$got" -eq "$want" ] && return 0
	ktap_print_msg "probes lists $got entries, the source has $want"
	return 1
}

# The kprobes the kernel gained at load are exactly those listed attached.
check_kprobes_list() {
	local listed gained

	listed=$(awk '$4 == "attached" && $1 == "kprobe" { print "k", $2 }
		$4 == "attached" && $1 == "kretprobe" { print "r", $2 }' "$PROBES" | sort)
	gained=$(comm -13 "$TMPD/kprobes.before" <(kernel_kprobes))
	[ -n "$listed" ] && [ "$listed" = "$gained" ] && return 0
	ktap_print_msg "listed attached:"$'\n'"$listed"$'\n'"kprobes/list gained:"$'\n'"$gained"
	return 1
}

check_tracepoints() {
	local tp ok=0 n=0

	while read -r tp; do
		n=$((n + 1))
		if ! compgen -G "$TRACEFS/events/*/$tp/format" > /dev/null; then
			ktap_print_msg "tracepoint $tp is not under $TRACEFS/events"
			ok=1
		fi
	done < <(awk '$1 == "tracepoint" && $4 == "attached" { print $2 }' "$PROBES")
	[ "$n" -gt 0 ] || ok=1
	return "$ok"
}

# Each entry uses the first of its names the kernel has.
check_names() {
	local ok=0 used names name

	while read -r used names; do
		name=
		for name in ${names//|/ }; do
			[ "$name" = "$used" ] && break
			if grep -qE " [tT] $name\$" /proc/kallsyms; then
				ktap_print_msg "$used is used, but $name comes first and exists"
				ok=1
			fi
		done
		if [ "$name" != "$used" ]; then
			ktap_print_msg "$used is not one of its names $names"
			ok=1
		fi
	done < <(probe_names)
	return "$ok"
}

# "USED NAME|NAME..." of each attached kprobe and kretprobe, its names from
# the source: the string arguments after the handler(s).
probe_names() {
	local used

	awk '$4 == "attached" && $1 != "tracepoint" { print $2 }' "$PROBES" |
	while read -r used; do
		grep -hoE "(\"[A-Za-z0-9_]+\"(, )?)*\"$used\"(, \"[A-Za-z0-9_]+\")*\\)" \
			"$TOP_DIR"/module/*.c | head -1 |
			tr -d '")' | sed 's/, /|/g' | sed "s/^/$used /"
	done
}

# All attached, spare behind an attached one or replaced by an attached
# one after it (5.10's inet_accept for __inet_accept); nothing said at
# load but that.
check_all_attached() {
	local bad said

	bad=$(awk '$4 == "failed" || $4 == "off" ||
		($4 == "spare" && prev != "attached") { print }
		prev == "replaced" && $4 != "attached" { print last }
		{ prev = $4; last = $0 }
		END { if (prev == "replaced") print last }' "$PROBES")
	said=$(dmesg_new | grep -E 'tcpscope: cannot attach')
	[ -z "$bad$said" ] && return 0
	ktap_print_msg "not attached:"$'\n'"$bad"$'\n'"kernel log:"$'\n'"$said"
	return 1
}

# NCONN connections to one server, each accepted.
handshakes() {
	local pid n=0

	ip netns exec "$NS_SRV" "$TCPCONN" server "$SRV4" 8070 --count "$NCONN" \
		> "$TMPD/srv" 2>&1 &
	pid=$!
	BG_PIDS+=("$pid")
	wait_for_line "$TMPD/srv" '^listening' "$START_WAIT" || return 1
	while [ "$n" -lt "$NCONN" ]; do
		timeout 10 ip netns exec "$NS_CLI" "$TCPCONN" client "$SRV4" 8070 \
			> /dev/null || return 1
		n=$((n + 1))
	done
	bg_wait "$pid" 10
}

check_hits() {
	local s d ok=0 accept

	accept=$(awk '$3 == "accept" && $4 == "attached" { print $2 }' "$PROBES")
	# Exact: one SYN, one child and one accept per connection.
	for s in tcp_conn_request tcp_child_process "$accept"; do
		d=$(delta "$s")
		if [ "$d" != "$NCONN" ]; then
			ktap_print_msg "$s: hits grew by $d, want $NCONN"
			ok=1
		fi
	done
	# At least: each connection's transitions, connect(), its child hashed.
	for s in inet_sock_set_state:$((4 * NCONN)) __inet_hash_connect:$NCONN \
		 inet_ehash_nolisten:$NCONN tcp_make_synack:$NCONN; do
		d=$(delta "${s%:*}")
		if [ "$d" = none ] || [ "$d" -lt "${s#*:}" ]; then
			ktap_print_msg "${s%:*}: hits grew by $d, want at least ${s#*:}"
			ok=1
		fi
	done
	return "$ok"
}

check_missed() {
	local sum stat

	sum=$(awk '$8 != "-" { n += $8 } END { print n + 0 }' "$PROBES")
	stat=$(awk '$1 == "missed" { print $2 }' "$STATS")
	[ "$sum" = "$stat" ] && return 0
	ktap_print_msg "probes' missed add up to $sum, stats says $stat"
	return 1
}

# With listen=0 max_listeners=0: the listener entries off, and not in
# kprobes/list; every other entry attached.
check_listen_off() {
	local off gained bad

	off=$(awk '$4 == "off" && ($3 == "listen" || $3 == "accept")' "$PROBES" | wc -l)
	bad=$(awk '$4 != "attached" && $3 != "listen" && $3 != "accept"' "$PROBES")
	gained=$(comm -13 "$TMPD/kprobes.before" <(kernel_kprobes) |
		grep -cE ' (tcp_conn_request|tcp_child_process|inet_csk_listen_stop)$')
	[ "$off" -ge 10 ] && [ -z "$bad" ] && [ "$gained" -eq 0 ] && return 0
	ktap_print_msg "off: $off, kprobes gained: $gained, other entries not attached:"$'\n'"$bad"
	return 1
}

kernel_kprobes > "$TMPD/kprobes.before"
dmesg_mark
ktap_test_result "insmod listen=1" tcpscope_load listen=1
cp "$PROBES" "$TMPD/probes" 2>/dev/null
ktap_print_msg "$(cat "$TMPD/probes")"
ktap_test_result "probes has mode 0400" test "$(stat -c %a "$PROBES")" = 400
ktap_test_result "each line in the documented format" check_format
ktap_test_result "one line per entry of the table in the source" check_count
ktap_test_result "kprobes/list gained exactly the k(ret)probes listed attached" \
	check_kprobes_list
ktap_test_result "each tracepoint listed attached is in tracefs" check_tracepoints
ktap_test_result "each probe uses the first of its names the kernel has" check_names
ktap_test_result "every entry attached (or spare, or replaced by its alternative), nothing said at load" \
	check_all_attached
snapshot "$TMPD/before"
handshakes || ktap_print_msg "the connections failed"
snapshot "$TMPD/after"
ktap_print_msg "after $NCONN handshakes:"$'\n'"$(cat "$PROBES")"
ktap_test_result "hits grow by the calls of $NCONN handshakes" check_hits
ktap_test_result "missed adds up to the stats file's" check_missed
tcpscope_unload
dmesg_mark
if tcpscope_load listen=0 max_listeners=0; then
	ktap_test_result "listen=0 max_listeners=0: listener probes off, the rest attached" \
		check_listen_off
else
	ktap_test_fail "listen=0 max_listeners=0: listener probes off, the rest attached"
fi
tcpscope_unload
ktap_test_result "no kernel warnings" dmesg_check
ktap_finished
