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
# TCPSCOPE_TEST_TIMEOUT (default 300) bounds each test in seconds.

dir=$(cd "$(dirname "$0")" && pwd)
timeout_s=${TCPSCOPE_TEST_TIMEOUT:-300}

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

echo "TAP version 13"
echo "1..${#tests[@]}"
pass=0 fail=0 skip=0 n=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	name=${t##*/}
	echo "# selftests: tcpscope: $name"
	timeout -k 10 "$timeout_s" "$t" 2>&1 | sed 's/^/# /'
	rc=${PIPESTATUS[0]}
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
done

summary="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && summary+=", $skip skipped"
echo "$summary"
[ "$fail" -eq 0 ]
