# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared shell helpers for tcpscope's scripts. Source it; do not run it.

TCPSCOPE_CACHE=${TCPSCOPE_CACHE:-/var/cache/tcpscope}

# resolve_kver SPEC: print the installed kernel release for SPEC.
# SPEC is "6.1", "6.12" (newest installed release of that series with
# headers) or an exact release under /lib/modules.
resolve_kver() {
	local spec=$1 d best=

	if [ -d "/lib/modules/$spec/build" ]; then
		echo "$spec"
		return 0
	fi
	for d in /lib/modules/"$spec".*; do
		[ -d "$d/build" ] || continue
		case "${d##*/}" in
		"$spec".[0-9]*) best=${d##*/} ;;
		esac
	done
	if [ -z "$best" ]; then
		echo "no installed kernel with headers matches '$spec'" >&2
		return 1
	fi
	echo "$best"
}

die() {
	echo "error: $*" >&2
	exit 1
}

warn() {
	echo "warning: $*" >&2
}

# bzimage_release FILE: print the release ("uname -r") that a bzImage
# announces in its setup header (boot protocol: the 16-bit pointer at
# 0x20e, plus 0x200, locates the version string).
bzimage_release() {
	local f=$1 off

	off=$(od -An -t u2 -j 526 -N 2 "$f" 2>/dev/null | tr -d ' ') || return 1
	[ -n "$off" ] && [ "$off" -gt 0 ] || return 1
	dd if="$f" bs=1 skip=$((off + 512)) count=256 status=none |
		tr '\0' '\n' | head -n 1 | cut -d' ' -f1
}

# qemu_accel: print QEMU accelerator arguments. KVM when the CPU has
# vmx/svm and /dev/kvm is usable, else multi-threaded TCG ($1 = "single"
# asks for single-threaded TCG, see vm-run --single).
qemu_accel() {
	if [ -w /dev/kvm ] &&
		grep -qE '^flags.*\b(vmx|svm)\b' /proc/cpuinfo; then
		echo "-accel kvm -cpu host"
	elif [ "${1:-}" = single ]; then
		echo "-accel tcg,thread=single -cpu max"
	else
		echo "-accel tcg,thread=multi -cpu max"
	fi
}

# cache_dir: print a writable cache directory: $TCPSCOPE_CACHE, or a
# per-user one when that is not writable (scripts run as non-root).
cache_dir() {
	if mkdir -p "$TCPSCOPE_CACHE" 2>/dev/null && [ -w "$TCPSCOPE_CACHE" ]; then
		echo "$TCPSCOPE_CACHE"
	else
		echo "${XDG_CACHE_HOME:-$HOME/.cache}/tcpscope"
	fi
}
