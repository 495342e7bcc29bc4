# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# lib/net.sh: namespaces and traffic, modelled on the kernel's
# tools/testing/selftests/net/lib.sh: the two namespaces and their veth
# pair, one connection between them, cookies from ss, tcpdump captures
# and what tcpscope should print for them, the churn helpers. Sourced by
# selftests/lib.sh; do not run it.

# shellcheck disable=SC2034 # addresses for the tests

CLI4=198.51.100.1
SRV4=198.51.100.2
CLI6=2001:db8::1
SRV6=2001:db8::2

# setup_ns_pair: two fresh namespaces $NS_CLI and $NS_SRV (inodes
# $NSI_CLI and $NSI_SRV, what ns= shows) joined by a veth pair, $CLI4/$CLI6
# on the client side, $SRV4/$SRV6 on the server.
setup_ns_pair() {
	local suffix

	suffix=$(mktemp -u XXXXXX)
	NS_CLI=tcpscope-cli-$suffix
	NS_SRV=tcpscope-srv-$suffix
	ip netns add "$NS_CLI" || return 1
	NS_LIST+=("$NS_CLI")
	ip netns add "$NS_SRV" || return 1
	NS_LIST+=("$NS_SRV")
	ip -n "$NS_CLI" link set lo up || return 1
	ip -n "$NS_SRV" link set lo up || return 1
	ip link add name veth-cli netns "$NS_CLI" type veth \
		peer name veth-srv netns "$NS_SRV" || return 1
	ip -n "$NS_CLI" addr add "$CLI4/24" dev veth-cli || return 1
	ip -n "$NS_CLI" addr add "$CLI6/64" dev veth-cli nodad || return 1
	ip -n "$NS_SRV" addr add "$SRV4/24" dev veth-srv || return 1
	ip -n "$NS_SRV" addr add "$SRV6/64" dev veth-srv nodad || return 1
	ip -n "$NS_CLI" link set veth-cli up || return 1
	ip -n "$NS_SRV" link set veth-srv up || return 1
	NSI_CLI=$(ns_inode "$NS_CLI")
	NSI_SRV=$(ns_inode "$NS_SRV")
	# Wait for carrier so the first SYN is not lost.
	wait_until 5 link_up "$NS_CLI" veth-cli &&
		wait_until 5 link_up "$NS_SRV" veth-srv
}

# link_up NS DEV: DEV in NS has carrier.
link_up() {
	ip -n "$1" link show "$2" | grep -q LOWER_UP
}

# ns_inode NSNAME: the namespace's inode number (what ns= shows).
ns_inode() {
	stat -L -c %i "/run/netns/$1"
}

# run_conn EVFILE SRVADDR CLIADDR PORT [CLIENT ARGS...]: one connection
# from $NS_CLI to a server in $NS_SRV on SRVADDR:PORT, client-initiated
# close; then the listener is closed. Waits (bounded) until EVFILE shows
# the child's LAST_ACK -> CLOSE, the client's FIN_WAIT2 -> TIME_WAIT and the
# listener's LISTEN -> CLOSE. Sets CPORT (client port, as the client
# reported it) and RUN_CONN_PFX (the helpers' output: PFX.srv, PFX.cli).
# If RUN_CONN_HOOK names a function, it runs while the client is
# connected (pass --hold SEC to the client for that).
# Non-zero, with a diagnostic, on any failure.
run_conn() {
	local ev=$1 srv=$2 cli=$3 port=$4 pfx rc

	shift 4
	pfx=$TMPD/conn-$port
	RUN_CONN_PFX=$pfx
	CPORT=
	ip netns exec "$NS_SRV" "$TCPCONN" server "$srv" "$port" --count 1 --hold \
		> "$pfx.srv" 2>&1 &
	SRV_PID=$!
	BG_PIDS+=("$SRV_PID")
	if ! wait_for_line "$pfx.srv" '^listening ' "$START_WAIT"; then
		ktap_print_msg "server did not start: $(cat "$pfx.srv")"
		return 1
	fi
	ip netns exec "$NS_CLI" "$TCPCONN" client "$srv" "$port" "$@" \
		> "$pfx.cli" 2>&1 &
	CLI_PID=$!
	BG_PIDS+=("$CLI_PID")
	if ! wait_for_line "$pfx.cli" '^port [0-9]+$' $((10 * SLOW)); then
		ktap_print_msg "client did not connect: $(cat "$pfx.cli")"
		return 1
	fi
	CPORT=$(awk '/^port /{print $2; exit}' "$pfx.cli")
	[ -n "${RUN_CONN_HOOK:-}" ] && "$RUN_CONN_HOOK"
	bg_wait "$CLI_PID" $((30 * SLOW))
	rc=$?
	if [ "$rc" -ne 0 ]; then
		ktap_print_msg "client failed ($rc): $(cat "$pfx.cli")"
		return 1
	fi
	if ! wait_for_line "$ev" ":$port > [^ ]*:$CPORT LAST_ACK -> CLOSE\$" $((10 * SLOW)) ||
	   ! wait_for_line "$ev" ":$CPORT > [^ ]*:$port FIN_WAIT2 -> TIME_WAIT\$" $((10 * SLOW)); then
		ktap_print_msg "close events for $cli:$CPORT <-> $srv:$port not seen within 10s"
		return 1
	fi
	kill -TERM "$SRV_PID"
	bg_wait "$SRV_PID" $((10 * SLOW))
	rc=$?
	if [ "$rc" -ne 0 ]; then
		ktap_print_msg "server failed ($rc): $(cat "$pfx.srv")"
		return 1
	fi
	if ! wait_for_line "$ev" ":$port > [^ ]* LISTEN -> CLOSE\$" $((10 * SLOW)); then
		ktap_print_msg "listener LISTEN -> CLOSE on port $port not seen within 10s"
		return 1
	fi
	return 0
}

# ss_cookie NS FILTER...: the sk: cookie of the one socket `ss` finds.
ss_cookie() {
	local ns=$1

	shift
	ip netns exec "$ns" ss -tanHe "$@" 2>/dev/null | sed -n 's/.* sk:\([0-9a-f]*\).*/\1/p'
}

# grab_cookies: a RUN_CONN_HOOK. The cookies of the connection's three
# sockets: CK_CLI, CK_CHILD, CK_LSN, from the "cookie" lines tcpconn
# prints after "port", "accepted" and "listening" (getsockopt SO_COOKIE,
# the kernel's own id of the socket, which `ss -e` shows as sk:). Waits up
# to START_WAIT for the server's accept.
# Before, they came from `ss -e` while the client held the connection; on
# a busy host a few slow ss runs could miss the child, or find its request
# socket (SYN-RECV, another cookie) before the third ACK was processed.
grab_cookies() {
	local pfx=$RUN_CONN_PFX

	CK_CLI='' CK_CHILD='' CK_LSN=''
	wait_for_count "$pfx.srv" '^cookie ' 2 "$START_WAIT" ||
		ktap_print_msg "no cookie from the server's accept: $(cat "$pfx.srv")"
	CK_LSN=$(awk '/^listening /{a=1; next} a && /^cookie /{print $2; exit}' "$pfx.srv")
	CK_CHILD=$(awk '/^accepted /{a=1; next} a && /^cookie /{print $2; exit}' "$pfx.srv")
	CK_CLI=$(awk '/^port /{a=1; next} a && /^cookie /{print $2; exit}' "$pfx.cli")
	[ -n "$CK_CLI" ] && [ -n "$CK_CHILD" ] && [ -n "$CK_LSN" ]
}

# file_size FILE: its size in bytes, 0 if it does not exist.
file_size() {
	stat -c %s "$1" 2>/dev/null || echo 0
}

# td_stop PID PCAP: stop tcpdump once its capture file has stopped growing
# (it writes each packet at once: -U, --immediate-mode).
td_stop() {
	TD_SIZE=-1
	wait_until -i 1 $((20 * SLOW)) unchanged TD_SIZE file_size "$2" || true
	kill -INT "$1"
	bg_wait "$1" 10 > /dev/null 2>&1
}

# endpoint ADDR: how tcpscope writes ADDR before ":<port>".
endpoint() {
	case $1 in
	*:*) echo "[$1]" ;;
	*) echo "$1" ;;
	esac
}

# td_norm PCAP PORT: tcpdump's lines for PORT as "<src> > <dst> <rest>",
# addresses as tcpscope writes them, without what tcpdump decodes after
# the length; not the segments whose TCP header is bad (tcpscope skips
# them).
td_norm() {
	tcpdump -S -n -r "$1" "tcp port $2" 2>/dev/null | awk '
	function ep(s, v6,   i) {
		sub(/:$/, "", s)
		i = match(s, /\.[0-9]+$/)
		return (v6 ? "[" substr(s, 1, i - 1) "]" : substr(s, 1, i - 1)) ":" substr(s, i + 1)
	}
	($2 == "IP" || $2 == "IP6") && / Flags \[/ && !/bad hdr length/ {
		v6 = $2 == "IP6"
		rest = $0
		sub(/^[^ ]+ [^ ]+ [^ ]+ > [^ ]+ /, "", rest)
		if (match(rest, /, length [0-9]+/))
			rest = substr(rest, 1, RSTART + RLENGTH - 1)
		print ep($3, v6), ">", ep($5, v6), rest
	}'
}

# expected CLIEP [CLIEP2]: "<ns> tx|rx <line>" for each tcpdump line on
# stdin (lines from CLIEP or CLIEP2 were sent by ns cli; namespace inodes
# NSI_CLI and NSI_SRV).
expected() {
	awk -v cli="$1" -v cli2="${2:-none}" -v nc="$NSI_CLI" -v ns="$NSI_SRV" '{
		from_cli = index($1, cli ":") == 1 || index($1, cli2 ":") == 1
		print (from_cli ? nc : ns), "tx", $0
		print (from_cli ? ns : nc), "rx", $0
	}'
}

# got EVFILE PORT: the packet lines for PORT as "<ns> <dir> <rest>".
got() {
	sed -nE 's/^[0-9]+\.[0-9]{9} cpu[0-9]+ ns=([0-9]+) id=[0-9a-f]+ (tx|rx) /\1 \2 /p' "$1" |
		grep -E ":$2 " || true
}

# churn_ns_setup: let $NS_CLI make tens of thousands of short
# connections (TIME_WAIT reuse, a wide port range).
churn_ns_setup() {
	ip netns exec "$NS_CLI" sysctl -qw net.ipv4.tcp_tw_reuse=1 \
		net.ipv4.ip_local_port_range="10000 65000"
}

# churn_server ADDR PORT OUT: a churn server in $NS_SRV ($CHURN_SRV_PID),
# waits until it listens.
churn_server() {
	ip netns exec "$NS_SRV" "$CHURN" server "$1" "$2" > "$3" 2>&1 &
	CHURN_SRV_PID=$!
	BG_PIDS+=("$CHURN_SRV_PID")
	wait_for_line "$3" '^listening ' "$START_WAIT"
}

# churn_count FILE: the last "connections <n>" a churn client printed.
churn_count() {
	local last

	last=$(tail -n 1 "$1")
	[[ $last =~ ^connections\ ([0-9]+)$ ]] && echo "${BASH_REMATCH[1]}" ||
		echo 0
}
