# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# lib/tcpscope.sh: tcpscope itself: its files and line formats, loading
# and unloading it, reading its events and stats, the kernel log, and
# ftrace for comparison. Sourced by selftests/lib.sh; do not run it.

# shellcheck disable=SC2034 # formats and paths for the tests
DEBUGFS_DIR=/sys/kernel/debug/tcpscope
EVENTS=$DEBUGFS_DIR/events
STATS=$DEBUGFS_DIR/stats
PROC_NET=/proc/net/tcpscope
SYS_MODULE=/sys/module/tcpscope

# Contract line formats (extended regular expressions).
RE_ADDR4='[0-9]{1,3}(\.[0-9]{1,3}){3}'
RE_ADDR6='\[[0-9a-f:.]+\]'
RE_STATE='(CLOSE|LISTEN|SYN_SENT|SYN_RECV|ESTABLISHED|FIN_WAIT1|FIN_WAIT2|CLOSE_WAIT|LAST_ACK|CLOSING|TIME_WAIT)'
RE_PREFIX='^[0-9]+\.[0-9]{9} cpu[0-9]+ ns=[0-9]+ id=[0-9a-f]+ '
RE_ENDPOINTS="(($RE_ADDR4):[0-9]+ > ($RE_ADDR4)|($RE_ADDR6):[0-9]+ > ($RE_ADDR6)):[0-9]+"
RE_STATE_EVENT="state $RE_ENDPOINTS $RE_STATE -> $RE_STATE"
RE_RESET_EVENT="reset (tx|rx) $RE_ENDPOINTS $RE_STATE( reason [A-Z0-9_]+)?"
RE_EVENT="$RE_PREFIX($RE_STATE_EVENT|$RE_RESET_EVENT)\$"
RE_LOST='^LOST [0-9]+ cpu[0-9]+$'
# A listen record (listen=1).
RE_LISTEN="$RE_PREFIX""listen ($RE_ADDR4|$RE_ADDR6):[0-9]+ synq [0-9]+/[0-9]+ acceptq [0-9]+/[0-9]+ (syn|synack|synack-retrans|child|accept|drop|overflow)( (synq-drop|synq-cookie|acceptq-syn|acceptq-ack))?( retry [0-9]+ after_us [0-9]+)?( cookie)?( timeout)?( peer ($RE_ADDR4|$RE_ADDR6):[0-9]+)?( synflood)?\$"
# A packet record (packets= other than off), as tcpdump -S -n prints it.
# The options hold no bracket but "[len N]"; a malformed list ends the
# line with "[bad opt]", "]" after it unless the first option was bad, or
# " [|tcp]", as tcpdump does (Documentation/tcpscope.rst).
RE_TCPOPTS='(\[len [0-9]+\]|[^][])*'
RE_BADOPT='([^][,]*\[bad opt\]|'"$RE_TCPOPTS"',[^][,]*\[bad opt\]\])'
RE_PACKET="^[0-9]+\\.[0-9]{9} cpu[0-9]+ ns=[0-9]+ id=[0-9a-f]+ (tx|rx) (($RE_ADDR4):[0-9]+ > ($RE_ADDR4)|($RE_ADDR6):[0-9]+ > ($RE_ADDR6)):[0-9]+ Flags \\[([FSRP.UEW]+|none)\\](, seq [0-9]+(:[0-9]+)?)?(, ack [0-9]+)?, win [0-9]+(, urg [0-9]+)?((, options \\[$RE_TCPOPTS\\])?, length [0-9]+|, options \\[($RE_BADOPT|($RE_TCPOPTS,)? \\[\\|tcp\\]))\$"

# tcpscope_load [PARAM=VALUE...]: insmod $TCPSCOPE_KO. Packet and listen
# records are off unless a packets= or listen= parameter is given: most
# tests check the state lines alone (packets_tcpdump.sh, raw_agree.sh and
# listeners.sh turn them on).
tcpscope_load() {
	local p

	for p in "$@"; do
		[[ $p == packets=* ]] && break
	done
	[[ ${p:-} == packets=* ]] || set -- "$@" packets=off
	for p in "$@"; do
		[[ $p == listen=* ]] && break
	done
	[[ ${p:-} == listen=* ]] || set -- "$@" listen=0
	if [ -z "${TCPSCOPE_KO:-}" ]; then
		echo "# TCPSCOPE_KO is not set (path of tcpscope.ko for this kernel)"
		return 1
	fi
	if [ ! -f "$TCPSCOPE_KO" ]; then
		echo "# TCPSCOPE_KO=$TCPSCOPE_KO does not exist"
		return 1
	fi
	# A module left over by an earlier, failed test.
	[ -d "$SYS_MODULE" ] && rmmod tcpscope
	TCPSCOPE_LOADED_BY_US=1
	insmod "$TCPSCOPE_KO" "$@"
}

# rmmod waits for RCU grace periods and patches code back (kprobes on
# ftrace, the tracepoint's static key): seconds under TCG while
# connections churn, and more than 10 s on a busy 2-core host. The timeout
# only catches a hang.
tcpscope_unload() {
	timeout $((60 * SLOW)) rmmod tcpscope
}

tcpscope_loaded() {
	[ -d "$SYS_MODULE" ]
}

# Which stream the tests read: "text" (events) or "raw" (events_raw,
# rendered to the same text by tools/tcpscope-raw, which must agree).
TCPSCOPE_READER=${TCPSCOPE_READER:-text}
EVENTS_RAW=$DEBUGFS_DIR/events_raw
RAWREAD=${RAWREAD:-$SELFTESTS_DIR/../tools/tcpscope-raw}

# Background reader of the events stream, as text, into FILE
# ($EVREADER_PID; its errors into FILE.err). events_reader_stop's SIGTERM
# makes it take what the stream holds and exit: nothing it read is lost
# (cat could die between its read() and its write()).
events_reader_start() {
	if [ "$TCPSCOPE_READER" = raw ]; then
		"$RAWREAD" "$EVENTS_RAW" > "$1" 2>> "$1.err" &
	else
		"$EVREAD" follow "$EVENTS" > "$1" 2>> "$1.err" &
	fi
	EVREADER_PID=$!
	BG_PIDS+=("$EVREADER_PID")
}

# events_drain: print, as text, all the stream holds now; fails unless
# reading stopped at EAGAIN.
events_drain() {
	if [ "$TCPSCOPE_READER" = raw ]; then
		"$EVREAD" nonblock "$EVENTS_RAW" | "$RAWREAD" -
		return $((PIPESTATUS[0] | PIPESTATUS[1]))
	fi
	"$EVREAD" nonblock "$EVENTS"
}

events_reader_stop() {
	kill -TERM "$EVREADER_PID" 2>/dev/null
	bg_wait "$EVREADER_PID" 5 >/dev/null 2>&1
	return 0
}

# stat_get FILE ROW FIELD: FIELD=<n> of the stats row starting with ROW.
stat_get() {
	awk -v row="$2" -v f="$3" '$1 == row {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }' "$1"
}

# ev_norm FILE: the state lines of an events capture as
#   ts cpu ns id laddr lport raddr rport old new
# (cpu without "cpu", ns and id without "ns=" / "id=", addresses without
# brackets).
ev_norm() {
	awk '$5 == "state" && NF == 11 {
		l = $6; r = $8
		match(l, /:[0-9]+$/); la = substr(l, 1, RSTART - 1); lp = substr(l, RSTART + 1)
		match(r, /:[0-9]+$/); ra = substr(r, 1, RSTART - 1); rp = substr(r, RSTART + 1)
		gsub(/[][]/, "", la); gsub(/[][]/, "", ra)
		cpu = $2; sub(/^cpu/, "", cpu)
		ns = $3; sub(/^ns=/, "", ns)
		id = $4; sub(/^id=/, "", id)
		print $1, cpu, ns, id, la, lp, ra, rp, $9, $11
	}' "$1"
}

# check_format FILE: every line is a contract event or LOST line.
check_format() {
	local bad

	bad=$(grep -Ev -- "$RE_EVENT|$RE_LOST" "$1" | head -5)
	if [ -n "$bad" ]; then
		ktap_print_msg "lines not in contract format:"$'\n'"$bad"
		return 1
	fi
	return 0
}

# check_timestamps FILE [MIN MAX]: timestamps are sec.9digits and do not
# go backwards; with MIN/MAX (CLOCK_MONOTONIC, from "evread now") they
# also lie within [MIN, MAX].
check_timestamps() {
	awk -v min="${2:-}" -v max="${3:-}" '
	function cmp(a, b,   as, an, bs, bn) {
		as = a; sub(/\..*/, "", as); an = a; sub(/.*\./, "", an)
		bs = b; sub(/\..*/, "", bs); bn = b; sub(/.*\./, "", bn)
		if (as + 0 != bs + 0) return as + 0 < bs + 0 ? -1 : 1
		if (an + 0 != bn + 0) return an + 0 < bn + 0 ? -1 : 1
		return 0
	}
	/^LOST / { next }
	{
		if ($1 !~ /^[0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]$/) {
			print "# bad timestamp: " $0; bad = 1; next
		}
		if (prev != "" && cmp($1, prev) < 0) {
			print "# timestamp goes backwards: " prev " then " $0; bad = 1
		}
		if (min != "" && (cmp($1, min) < 0 || cmp($1, max) > 0)) {
			print "# timestamp outside [" min ", " max "]: " $0; bad = 1
		}
		prev = $1
	}
	END { exit bad }' "$1"
}

dmesg_mark() {
	DMESG_START=$(dmesg | wc -l)
}

DMESG_BAD='WARNING:|BUG:|Oops|general protection|Call Trace:|KASAN|UBSAN|refcount_t:|list_(add|del) corruption|INFO: task|circular locking|recursive locking|inconsistent lock state|sleeping function called|kmemleak'

# dmesg_check: no kernel warnings since dmesg_mark.
dmesg_check() {
	local bad

	bad=$(dmesg | tail -n +"$((DMESG_START + 1))" | grep -E -- "$DMESG_BAD" | head -20)
	if [ -n "$bad" ]; then
		ktap_print_msg "kernel log:"$'\n'"$bad"
		return 1
	fi
	return 0
}

# dmesg_new: kernel log lines since dmesg_mark.
dmesg_new() {
	dmesg | tail -n +"$((DMESG_START + 1))"
}

# ftrace_setup: TRACEFS and EVDIR (the sock:inet_sock_set_state event),
# on the same clock as tcpscope so that both merge CPUs the same way;
# everything touched is restored at exit. Skips the test if the kernel
# lacks the event.
ftrace_setup() {
	local old_clock

	TRACEFS=/sys/kernel/tracing
	[ -d "$TRACEFS/events" ] || TRACEFS=/sys/kernel/debug/tracing
	EVDIR=$TRACEFS/events/sock/inet_sock_set_state
	[ -d "$EVDIR" ] || skip_all "no sock:inet_sock_set_state trace event"
	old_clock=$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$TRACEFS/trace_clock")
	CLEANUP_CMDS+=("echo 0 > $EVDIR/enable" "echo 0 > $EVDIR/filter"
		"echo $old_clock > $TRACEFS/trace_clock" "echo > $TRACEFS/trace")
	grep -qw mono "$TRACEFS/trace_clock" && echo mono > "$TRACEFS/trace_clock"
	echo 1 > "$TRACEFS/tracing_on"
}

# ftrace_norm FILE: laddr lport raddr rport old new, per the family.
ftrace_norm() {
	awk '/inet_sock_set_state:/ {
		delete f
		for (i = 1; i <= NF; i++)
			if (split($i, kv, "=") == 2)
				f[kv[1]] = kv[2]
		if (f["protocol"] != "IPPROTO_TCP")
			next
		if (f["family"] == "AF_INET6") {
			la = f["saddrv6"]; ra = f["daddrv6"]
		} else {
			la = f["saddr"]; ra = f["daddr"]
		}
		o = f["oldstate"]; n = f["newstate"]
		sub(/^TCP_/, "", o); sub(/^TCP_/, "", n)
		print la, f["sport"], ra, f["dport"], o, n
	}' "$1"
}

# (stat_get, above, reads one stats field.)

# stats_balance FILE [DRAINED [OVERWRITE]]: per CPU and total, produced =
# written + dropped and lost = dropped + overwritten, total = sum over
# CPUs; with DRAINED=1 also produced = read + lost (only once events was
# read to empty with nothing produced since); with OVERWRITE=0 nothing was
# overwritten, with OVERWRITE=1 nothing dropped.
stats_balance() {
	awk -v drained="${2:-0}" -v mode="${3:-}" '
	$1 ~ /^cpu[0-9]+$/ || $1 == "total" {
		delete v
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		if (v["produced"] != v["written"] + v["dropped"]) { print "# " $0 ": produced != written + dropped"; bad = 1 }
		if (v["lost"] != v["dropped"] + v["overwritten"]) { print "# " $0 ": lost != dropped + overwritten"; bad = 1 }
		if (drained && v["produced"] != v["read"] + v["lost"]) { print "# " $0 ": produced != read + lost"; bad = 1 }
		if (mode == "0" && v["overwritten"] != 0) { print "# " $0 ": overwritten with overwrite=0"; bad = 1 }
		if (mode == "1" && v["dropped"] != 0) { print "# " $0 ": dropped with overwrite=1"; bad = 1 }
		if ($1 == "total") {
			for (k in v) if (v[k] != sum[k]) { print "# total " k " " v[k] " != sum over CPUs " sum[k]; bad = 1 }
			seen_total = 1
		} else {
			for (k in v) sum[k] += v[k]
			ncpu++
		}
	}
	END {
		if (!seen_total || !ncpu) { print "# no total or cpu lines"; bad = 1 }
		exit bad
	}' "$1"
}

# stats_produced: total produced from stats (no subprocess).
stats_produced() {
	local row

	while read -r row; do
		if [[ $row =~ ^total\ produced=([0-9]+) ]]; then
			echo "${BASH_REMATCH[1]}"
			return 0
		fi
	done < "$STATS"
	return 1
}

# stats_quiet TIMEOUT [INTERVAL]: wait until stats' total produced stops
# moving (unchanged over INTERVAL seconds, default 0.2); non-zero on
# timeout.
stats_quiet() {
	QUIET_PRODUCED=-1
	wait_until -i "${2:-0.2}" "$1" unchanged QUIET_PRODUCED stats_produced
}

# drain_settled OUT ST: read what events holds into OUT (appended; evread's
# errors into OUT.err) and snapshot stats into ST; again while records keep
# coming in meanwhile (the churn's timewait sockets expire on their own, in
# bursts, 60 s after it made them), until produced == read + lost, until
# produced stayed the same across a pause of 0.2 s and a drain, or for at
# most 10 s (times SLOW): then any difference left is the caller's to
# report. Non-zero if evread failed.
drain_settled() {
	DRAIN_PRODUCED=-1
	DRAIN_FAILED=
	# The pause: a burst of expiries may still be running.
	wait_until -i 0.2 $((10 * SLOW)) drained_once "$1" "$2" || true
	[ -z "$DRAIN_FAILED" ]
}

# drained_once OUT ST: one round of drain_settled: whether it may stop
# (DRAIN_FAILED set if evread failed).
drained_once() {
	local cur

	if ! "$EVREAD" nonblock "$EVENTS" >> "$1" 2>> "$1.err"; then
		DRAIN_FAILED=1
		return 0
	fi
	cat "$STATS" > "$2"
	cur=$(stat_get "$2" total produced)
	[ "$cur" = "$(( $(stat_get "$2" total read) + $(stat_get "$2" total lost) ))" ] &&
		return 0
	[ "$cur" = "$DRAIN_PRODUCED" ] && return 0
	DRAIN_PRODUCED=$cur
	return 1
}

# tcpscope_gone: no module, debugfs directory or /proc/net/tcpscope left.
tcpscope_gone() {
	local f

	for f in "$SYS_MODULE" "$DEBUGFS_DIR" "$PROC_NET"; do
		if [ -e "$f" ]; then
			ktap_print_msg "$f still exists"
			return 1
		fi
	done
	if grep -q '^tcpscope ' /proc/modules; then
		ktap_print_msg "tcpscope still in /proc/modules"
		return 1
	fi
	return 0
}

# events_check FILE STATS: a drained capture against the stats read right
# after it: every line well-formed, no line twice, event lines == read,
# LOST lines sum == lost. Prints a diagnostic and fails otherwise.
events_check() {
	check_format "$1" || return 1
	awk -v st="$2" '
	BEGIN {
		while ((getline l < st) > 0) {
			n = split(l, f, " ")
			if (f[1] != "total") continue
			for (i = 2; i <= n; i++) { split(f[i], kv, "="); t[kv[1]] = kv[2] }
		}
	}
	/^LOST / { lost += $2; next }
	{
		ev++
		if ($0 in seen) { if (dups++ < 3) print "# read twice: " $0; bad = 1 }
		seen[$0] = 1
	}
	END {
		if (ev + 0 != t["read"] + 0 || lost + 0 != t["lost"] + 0) {
			print "# event lines " ev + 0 " (stats read " t["read"] "), LOST lines sum " lost + 0 " (stats lost " t["lost"] ")"
			bad = 1
		}
		exit bad
	}' "$1"
}
