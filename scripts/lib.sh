# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared shell helpers for tcpscope's scripts. Source it; do not run it.

TCPSCOPE_CACHE=${TCPSCOPE_CACHE:-/var/cache/tcpscope}

# Kernel lines that build and boot from a chroot of their own Debian
# suite (scripts/toolchain), one a line: LINE CHROOT SUITES KSUITE FLAVOUR.
# CHROOT is shared by the lines of a suite; SUITES (comma-separated) are
# its apt sources; the newest kernel of FLAVOUR in KSUITE is the line's.
TOOLCHAIN_LINES='5.10 bullseye bullseye bullseye amd64
6.1-rt bookworm bookworm,bookworm-backports bookworm rt-amd64
6.12-rt bookworm bookworm,bookworm-backports bookworm-backports rt-amd64
trixie trixie trixie,trixie-backports trixie amd64
trixie-rt trixie trixie,trixie-backports trixie rt-amd64
trixie-cloud trixie trixie,trixie-backports trixie cloud-amd64
trixie-bpo trixie trixie,trixie-backports trixie-backports amd64
sid sid sid,experimental sid amd64
experimental sid sid,experimental experimental amd64'

# line_info LINE: whether LINE is a toolchain line; if so sets
# line_chroot, line_suites, line_ksuite, line_flavour and line_dir (the
# chroot's cache directory; its root file system is $line_dir/root).
line_info() {
	local l c s k f

	while read -r l c s k f; do
		[ "$l" = "$1" ] || continue
		# shellcheck disable=SC2034 # for the callers
		line_chroot=$c line_suites=$s line_ksuite=$k line_flavour=$f
		line_dir=$TCPSCOPE_CACHE/chroots/$c
		return 0
	done <<< "$TOOLCHAIN_LINES"
	return 1
}

# toolchain_lines: the names of all toolchain lines.
toolchain_lines() {
	echo "$TOOLCHAIN_LINES" | cut -d' ' -f1 | tr '\n' ' '
}

# chroot_has_headers ROOT REL: whether the chroot ROOT has REL's kernel
# build tree (its /lib/modules/REL/build is an absolute link inside it).
chroot_has_headers() {
	local b

	b=$(readlink "$1/lib/modules/$2/build") || b=/lib/modules/$2/build
	case $b in
	/*) [ -f "$1$b/Makefile" ] ;;
	*) [ -f "$1/lib/modules/$2/$b/Makefile" ] ;;
	esac
}

# line_release LINE: the kernel release that scripts/toolchain installed
# for LINE (no network access).
line_release() {
	local rel

	line_info "$1" || return 1
	rel=$(cat "$line_dir/$1.release" 2>/dev/null) || rel=
	if [ -z "$rel" ] || ! chroot_has_headers "$line_dir/root" "$rel"; then
		echo "kernel line '$1' is not set up: run scripts/toolchain $1 (as root)" >&2
		return 1
	fi
	echo "$rel"
}

# in_chroot ROOT BIND CMD...: run CMD in the chroot ROOT with /proc and
# /dev, and the host directory BIND (unless empty) at /tcpscope-build, in
# a private mount namespace: the mounts vanish with it on every exit path.
in_chroot() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare --mount --propagation private -- /bin/bash -euc '
		root=$1 bind=$2
		shift 2
		mount -t proc proc "$root/proc"
		mount --bind /dev "$root/dev"
		if [ -n "$bind" ]; then
			mkdir -p "$root/tcpscope-build"
			mount --bind "$bind" "$root/tcpscope-build"
		fi
		exec chroot "$root" /usr/bin/env -i HOME=/root LC_ALL=C.UTF-8 \
			PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"
	' in_chroot "$@"
}

# mirror_uri SUITE: the Debian archive URI that the host's apt sources
# use for SUITE, from a deb822 "URIs:" line or a one-line "deb URI SUITE"
# entry (no host name is written into any script).
mirror_uri() {
	local uri

	uri=$(awk -v s="$1" '
		/^URIs:/ { u = $2 }
		/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) { print u; exit } }
		/^$/ { u = "" }' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
	[ -n "$uri" ] || uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk -v s="$1" '$1 == "deb" && $3 == s { print $2; exit }')
	[ -n "$uri" ] || die "cannot find the $1 mirror URI in the apt sources"
	echo "$uri"
}

# resolve_kver SPEC: print the installed kernel release for SPEC.
# SPEC is "6.1", "6.12" (newest installed release of that series with
# headers), an exact release under /lib/modules, or a toolchain line
# (see TOOLCHAIN_LINES: the release its chroot holds).
resolve_kver() {
	local spec=$1 d best=

	if line_info "$spec"; then
		line_release "$spec"
		return
	fi
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
