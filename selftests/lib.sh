# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared helpers for the tcpscope selftests. Source it; do not run it.
# This file: paths, the slowness factor, cleanup, require_env and the
# waiting helpers (wait_until, bg_wait, wait_for_count); it sources
# lib/ktap.sh (KTAP output), lib/net.sh (namespaces and traffic) and
# lib/tcpscope.sh (the module, its files and formats, dmesg, ftrace).

# shellcheck disable=SC2034 # paths for the tests
SELFTESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_DIR=$(dirname "$SELFTESTS_DIR")
TCPCONN=${TCPCONN:-$SELFTESTS_DIR/tcpconn}
EVREAD=${EVREAD:-$SELFTESTS_DIR/evread}
CHURN=${CHURN:-$SELFTESTS_DIR/churn}

# How much slower than a plain TCG guest this kernel runs (the KASAN and
# lockdep debug kernel: 4): hold times and deadlines scale by it.
SLOW=${TCPSCOPE_SLOW:-1}
# Seconds a helper (python3 or tcpdump, started from the 9p root) may take
# to say it is ready: generous, since a wait ends as soon as it is.
START_WAIT=$((30 * SLOW))

# shellcheck source=selftests/lib/ktap.sh
. "$SELFTESTS_DIR/lib/ktap.sh"
# shellcheck source=selftests/lib/net.sh
. "$SELFTESTS_DIR/lib/net.sh"
# shellcheck source=selftests/lib/tcpscope.sh
. "$SELFTESTS_DIR/lib/tcpscope.sh"

# -------------------------------------------------------------- cleanup

BG_PIDS=()
CLEANUP_CMDS=()
NS_LIST=()
TCPSCOPE_LOADED_BY_US=

cleanup() {
	local pid cmd ns

	for pid in "${BG_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
	done
	for pid in "${BG_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	for cmd in "${CLEANUP_CMDS[@]}"; do
		eval "$cmd" >/dev/null 2>&1
	done
	for ns in "${NS_LIST[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$TCPSCOPE_LOADED_BY_US" ] && [ -d "$SYS_MODULE" ]; then
		rmmod tcpscope 2>/dev/null
	fi
	[ -n "${TMPD:-}" ] && rm -rf "$TMPD"
}
trap cleanup EXIT
# A timeout (run_all.sh) or ^C still cleans up.
trap 'exit 1' TERM INT

# Every test needs root, the helpers and a scratch directory.
require_env() {
	[ "$(id -u)" -eq 0 ] || skip_all "must run as root (in the test VM)"
	{ [ -x "$TCPCONN" ] && [ -x "$EVREAD" ] && [ -x "$CHURN" ]; } ||
		fail_all "C helpers missing: run 'make -C selftests' on the host first"
	{ [ -n "${TCPSCOPE_KO:-}" ] && [ -f "$TCPSCOPE_KO" ]; } ||
		fail_all "TCPSCOPE_KO='${TCPSCOPE_KO:-}' is not a module file"
	[ -r /proc/modules ] || skip_all "kernel without module support"
	TMPD=$(mktemp -d /tmp/tcpscope-selftest.XXXXXX)
}

# require_cmds CMD...: skip the test unless every CMD is installed.
require_cmds() {
	local c

	for c; do
		command -v "$c" > /dev/null || skip_all "$c is not installed"
	done
}

# wait_until [-i EVERY] TIMEOUT CMD...: run CMD (in this shell, so that it
# may set variables) every EVERY seconds (0.1) until it succeeds: 0; or,
# once TIMEOUT whole seconds have passed and a last run failed, 1. Every
# polling loop of the tests is this one.
wait_until() {
	local every=0.1 deadline

	if [ "$1" = -i ]; then
		every=$2
		shift 2
	fi
	if ! [[ $1 =~ ^[0-9]+$ ]] || [ $# -lt 2 ]; then
		echo "wait_until: want [-i EVERY] TIMEOUT CMD..., not: $*" >&2
		return 2
	fi
	deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep "$every"
	done
}

# unchanged VAR CMD...: CMD's output is what it was at the last call with
# VAR, which keeps it (set VAR to -1 before the first). A CMD that fails
# is not unchanged, and clears VAR. For waits on a value to settle:
# wait_until -i EVERY TIMEOUT unchanged VAR CMD...
unchanged() {
	local var=$1 cur

	shift
	if ! cur=$("$@"); then
		printf -v "$var" '%s' ''
		return 1
	fi
	[ "$cur" = "${!var}" ] && return 0
	printf -v "$var" '%s' "$cur"
	return 1
}

# gone PID: PID has ended.
gone() {
	! kill -0 "$1" 2>/dev/null
}

# bg_wait PID TIMEOUT: wait for a background job; its exit status, or
# 124 (and the job killed) if it is still running after TIMEOUT seconds.
bg_wait() {
	if ! wait_until "$2" gone "$1"; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		return 124
	fi
	wait "$1"
}

# has_count FILE REGEX COUNT: FILE has at least COUNT lines matching
# REGEX (extended).
has_count() {
	local n

	n=$(grep -Ec -- "$2" "$1" 2>/dev/null)
	[ "${n:-0}" -ge "$3" ]
}

# wait_for_count FILE REGEX COUNT TIMEOUT: until FILE has at least COUNT
# lines matching REGEX (extended); non-zero on timeout.
wait_for_count() {
	wait_until "$4" has_count "$1" "$2" "$3"
}

wait_for_line() {
	wait_for_count "$1" "$2" 1 "$3"
}
