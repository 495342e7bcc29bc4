# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# lib/ktap.sh: the KTAP output of a test, modelled on the kernel's
# tools/testing/selftests/kselftest/ktap_helpers.sh: the plan, a result
# per check, the totals and the exit status; skip_all and fail_all
# before the plan. Sourced by selftests/lib.sh; do not run it.

# shellcheck disable=SC2034 # XFAIL and XPASS: the kselftest set, unused

KSFT_PASS=0
KSFT_FAIL=1
KSFT_XFAIL=2
KSFT_XPASS=3
KSFT_SKIP=4

KTAP_TESTNO=1
KTAP_CNT_PASS=0
KTAP_CNT_FAIL=0
KTAP_CNT_SKIP=0
KSFT_NUM_TESTS=0

ktap_print_header() {
	echo "TAP version 13"
}

ktap_print_msg() {
	local line

	# One "# " diagnostic per line of the message.
	while IFS= read -r line; do
		echo "# $line"
	done <<< "$*"
}

ktap_set_plan() {
	KSFT_NUM_TESTS=$1
	echo "1..$KSFT_NUM_TESTS"
}

ktap_skip_all() {
	echo "1..0 # SKIP $*"
}

__ktap_test() {
	local result=$1 description=$2 directive=${3:-}

	if [ -n "$directive" ]; then
		echo "$result $KTAP_TESTNO $description # $directive"
	else
		echo "$result $KTAP_TESTNO $description"
	fi
	KTAP_TESTNO=$((KTAP_TESTNO + 1))
}

ktap_test_pass() {
	__ktap_test "ok" "$1"
	KTAP_CNT_PASS=$((KTAP_CNT_PASS + 1))
}

ktap_test_skip() {
	__ktap_test "ok" "$1" "SKIP"
	KTAP_CNT_SKIP=$((KTAP_CNT_SKIP + 1))
}

ktap_test_fail() {
	__ktap_test "not ok" "$1"
	KTAP_CNT_FAIL=$((KTAP_CNT_FAIL + 1))
}

# ktap_test_result DESC CMD [ARGS...]: pass if CMD succeeds.
ktap_test_result() {
	local description=$1

	shift
	if "$@"; then
		ktap_test_pass "$description"
	else
		ktap_test_fail "$description"
	fi
}

ktap_print_totals() {
	echo "# Totals: pass:$KTAP_CNT_PASS fail:$KTAP_CNT_FAIL xfail:0 xpass:0 skip:$KTAP_CNT_SKIP error:0"
}

# Exit 1 on any failure (or a plan mismatch), 4 if everything was
# skipped, 0 otherwise.
ktap_finished() {
	local ran=$((KTAP_TESTNO - 1))

	ktap_print_totals
	if [ "$ran" -ne "$KSFT_NUM_TESTS" ]; then
		echo "# Planned tests != run tests ($KSFT_NUM_TESTS != $ran)"
		exit "$KSFT_FAIL"
	fi
	if [ "$KTAP_CNT_FAIL" -gt 0 ]; then
		exit "$KSFT_FAIL"
	fi
	if [ "$KTAP_CNT_PASS" -eq 0 ] && [ "$KTAP_CNT_SKIP" -gt 0 ]; then
		exit "$KSFT_SKIP"
	fi
	exit "$KSFT_PASS"
}

# Skip or fail the whole test before its plan: print a plan of 0 tests.
skip_all() {
	ktap_print_header
	ktap_skip_all "$*"
	exit "$KSFT_SKIP"
}

fail_all() {
	ktap_print_header
	echo "1..1"
	ktap_print_msg "$*"
	echo "not ok 1 setup"
	exit "$KSFT_FAIL"
}
