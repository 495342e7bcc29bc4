#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run_all.sh [TEST...]: run the tcpscope selftests (every selftests/*.sh
# but lib.sh and run_all.sh, or the ones named) in this machine, which
# must be the test VM:
#   make -C selftests
#   scripts/vm-run --kernel 6.1 -- env TCPSCOPE_KO=$(scripts/build-for 6.1) selftests/run_all.sh
# Prints each test's KTAP output indented as diagnostics, one result
# line per test, and a summary "N passed, N failed[, N skipped]". Exit 1
# if any test failed. TCPSCOPE_KO comes from the environment;
# TCPSCOPE_TEST_TIMEOUT (default 600) bounds each test in seconds, and is
# exported to the tests (stress_load_unload caps its rounds by it).
# TCPSCOPE_CLAIM_DIR (a directory shared with other VMs running the same
# list, scripts/check's debug lanes) makes the list a queue: a test runs
# only in the VM that creates DIR/NAME first (mkdir is atomic on the host),
# DIR/NAME/done marks it finished, and no test starts once DIR/stop
# exists; the tests not taken are not reported here (the host counts
# them), and the plan line comes last.
# On a kernel with kmemleak (the debug kernel, scripts/debug-kernel) a
# last test "kmemleak" unloads tcpscope, scans twice and fails on any
# suspected leak (leaks found before the first test are cleared).
# Each test's time is printed after it ("# run_all: NAME took N s").

dir=$(cd "$(dirname "$0")" && pwd)
timeout_s=${TCPSCOPE_TEST_TIMEOUT:-600}
export TCPSCOPE_TEST_TIMEOUT=$timeout_s
claim=${TCPSCOPE_CLAIM_DIR:-}

tests=()
if [ $# -gt 0 ]; then
	for t in "$@"; do
		tests+=("$dir/${t%.sh}.sh")
	done
else
	for t in "$dir"/*.sh; do
		case ${t##*/} in
		lib.sh | run_all.sh) ;;
		*) tests+=("$t") ;;
		esac
	done
fi

# kmemleak: scan it twice, a few seconds apart (objects younger than 5 s
# are not reported); print and fail on any report.
kmemleak=/sys/kernel/debug/kmemleak
kmemleak_check() {
	local report

	[ ! -d /sys/module/tcpscope ] || timeout 30 rmmod tcpscope || return 1
	sleep 6
	echo scan > "$kmemleak" || return 1
	sleep 6
	echo scan > "$kmemleak" || return 1
	report=$(cat "$kmemleak") || return 1
	[ -z "$report" ] && return 0
	echo "kmemleak reports (after tcpscope was unloaded):"
	echo "$report"
	return 1
}

# Before the tests: scan once and clear what it finds (leaks from boot,
# not ours), with the console quiet so that vm-run does not see them.
kmemleak_baseline() {
	local lvl n

	lvl=$(cut -f1 /proc/sys/kernel/printk)
	echo 4 > /proc/sys/kernel/printk
	echo scan > "$kmemleak"
	n=$(grep -c '^unreferenced object' "$kmemleak")
	echo clear > "$kmemleak"
	echo "$lvl" > /proc/sys/kernel/printk
	echo "# kmemleak: $n object(s) suspected before the tests, cleared"
}

# take NAME: whether this VM runs it (always, without a claim directory).
take() {
	[ -n "$claim" ] || return 0
	[ ! -e "$claim/stop" ] && mkdir "$claim/$1" 2>/dev/null
}

nleak=$([ -w "$kmemleak" ] && echo 1 || echo 0)
echo "TAP version 13"
[ -n "$claim" ] || echo "1..$((${#tests[@]} + nleak))"
[ ! -w "$kmemleak" ] || kmemleak_baseline
pass=0 fail=0 skip=0 n=0
for t in "${tests[@]}"; do
	name=${t##*/}
	take "${name%.sh}" || continue
	n=$((n + 1))
	echo "# selftests: tcpscope: $name"
	t0=$SECONDS
	# Each test leads its own session and writes to a file: whatever it
	# leaves behind is killed with the session, and cannot hold a pipe
	# open and stall this loop.
	out=$(mktemp)
	setsid timeout -k 10 "$timeout_s" "$t" > "$out" 2>&1 &
	tpid=$!
	tail -n +1 --pid="$tpid" -f "$out" | sed 's/^/# /'
	wait "$tpid"
	rc=$?
	pkill -KILL -s "$tpid" 2>/dev/null
	rm -f "$out"
	# A test killed on timeout may leave tcpscope loaded: unload it, so
	# that the next test starts clean.
	if [ -d /sys/module/tcpscope ]; then
		echo "# run_all: $name left tcpscope loaded; unloading it"
		sleep 1
		rmmod tcpscope 2>/dev/null || echo "# run_all: rmmod failed"
	fi
	case $rc in
	0)
		pass=$((pass + 1))
		echo "ok $n selftests: tcpscope: $name"
		;;
	4)
		skip=$((skip + 1))
		echo "ok $n selftests: tcpscope: $name # SKIP"
		;;
	124 | 137)
		fail=$((fail + 1))
		echo "not ok $n selftests: tcpscope: $name # TIMEOUT ${timeout_s}s"
		;;
	*)
		fail=$((fail + 1))
		echo "not ok $n selftests: tcpscope: $name # exit=$rc"
		;;
	esac
	echo "# run_all: $name took $((SECONDS - t0)) s"
	[ -z "$claim" ] || : > "$claim/${name%.sh}/done"
done

if [ -w "$kmemleak" ]; then
	n=$((n + 1))
	echo "# selftests: tcpscope: kmemleak"
	kmemleak_check 2>&1 | sed 's/^/# /'
	if [ "${PIPESTATUS[0]}" -eq 0 ]; then
		pass=$((pass + 1))
		echo "ok $n selftests: tcpscope: kmemleak"
	else
		fail=$((fail + 1))
		echo "not ok $n selftests: tcpscope: kmemleak"
	fi
fi

[ -z "$claim" ] || echo "1..$n"
summary="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && summary+=", $skip skipped"
echo "$summary"
[ "$fail" -eq 0 ]
