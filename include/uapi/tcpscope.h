/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * tcpscope record format: what the kernel module writes into its per-CPU
 * ring buffer, and what tools reading the raw stream see.
 *
 * Every record starts with struct tcpscope_hdr. @size is the size of the
 * whole record, so a reader can skip kinds it does not know. The layout is
 * versioned by TCPSCOPE_RECORD_VERSION: fields are only ever appended, and
 * a change to an existing field bumps the version.
 */
#ifndef _UAPI_TCPSCOPE_H
#define _UAPI_TCPSCOPE_H

#include <linux/types.h>

#define TCPSCOPE_RECORD_VERSION	1

enum tcpscope_kind {
	TCPSCOPE_KIND_STATE = 1,	/* struct tcpscope_state_rec */
	TCPSCOPE_KIND_LOST = 2,		/* struct tcpscope_lost_rec */
	TCPSCOPE_KIND_RESET = 4,	/* struct tcpscope_reset_rec */
};

/* TCP states, numbered as in the kernel's include/net/tcp_states.h. */
enum tcpscope_tcp_state {
	TCPSCOPE_ESTABLISHED = 1,
	TCPSCOPE_SYN_SENT,
	TCPSCOPE_SYN_RECV,
	TCPSCOPE_FIN_WAIT1,
	TCPSCOPE_FIN_WAIT2,
	TCPSCOPE_TIME_WAIT,
	TCPSCOPE_CLOSE,
	TCPSCOPE_CLOSE_WAIT,
	TCPSCOPE_LAST_ACK,
	TCPSCOPE_LISTEN,
	TCPSCOPE_CLOSING,
	TCPSCOPE_NEW_SYN_RECV,
	TCPSCOPE_BOUND_INACTIVE,
	TCPSCOPE_MAX_STATES,
};

/**
 * struct tcpscope_hdr - common header of every record
 * @ts_ns:	CLOCK_MONOTONIC time of the event, in nanoseconds
 * @conn_id:	the socket's cookie (as `ss -e` prints after "sk:"),
 *		unique per socket and stable for its life
 * @netns:	inode number of the socket's network namespace
 * @lost_before: events this CPU dropped just before this one (always 0
 *		in the events_raw stream, which has LOST records instead)
 * @kind:	enum tcpscope_kind
 * @size:	size of the whole record in bytes
 * @cpu:	CPU that wrote the record
 * @version:	TCPSCOPE_RECORD_VERSION
 */
struct tcpscope_hdr {
	__u64 ts_ns;
	__u64 conn_id;
	__u32 netns;
	__u32 lost_before;
	__u16 kind;
	__u16 size;
	__u16 cpu;
	__u16 version;
};

/**
 * struct tcpscope_state_rec - a TCP state transition
 * @hdr:	common header, kind TCPSCOPE_KIND_STATE
 * @family:	AF_INET or AF_INET6
 * @oldstate:	enum tcpscope_tcp_state before the transition
 * @newstate:	enum tcpscope_tcp_state after the transition
 * @pad:	zero
 * @sport:	local port, network byte order
 * @dport:	remote port, network byte order
 * @saddr:	local address (4 bytes used for AF_INET)
 * @daddr:	remote address (4 bytes used for AF_INET)
 */
struct tcpscope_state_rec {
	struct tcpscope_hdr hdr;
	__u8 family;
	__u8 oldstate;
	__u8 newstate;
	__u8 pad;
	__be16 sport;
	__be16 dport;
	__u8 saddr[16];
	__u8 daddr[16];
};

/**
 * struct tcpscope_lost_rec - events lost just before the next record of a CPU
 * @hdr:	common header, kind TCPSCOPE_KIND_LOST; @hdr.cpu is the CPU that
 *		lost them, @hdr.conn_id and @hdr.netns are 0, @hdr.ts_ns is
 *		the time of the next record of that CPU, or of the read if
 *		there is none yet
 * @count:	how many events were lost
 *
 * Only in the events_raw stream; the text stream prints it as
 * "LOST <count> cpu<N>".
 */
struct tcpscope_lost_rec {
	struct tcpscope_hdr hdr;
	__u64 count;
};

/**
 * struct tcpscope_reset_rec - an RST a connection sent or received
 * @hdr:	common header, kind TCPSCOPE_KIND_RESET
 * @family:	AF_INET or AF_INET6
 * @received:	0: this socket sent the RST; 1: it received one
 * @state:	the socket's TCP state at that moment (enum tcpscope_tcp_state)
 * @pad:	zero
 * @sport:	local port, network byte order
 * @dport:	remote port, network byte order
 * @saddr:	local address (4 bytes used for AF_INET)
 * @daddr:	remote address (4 bytes used for AF_INET)
 * @reason:	why the kernel sent it, NUL-terminated: the name of its
 *		enum sk_rst_reason without the prefix ("TCP_ABORT_ON_CLOSE");
 *		empty for a received RST and on kernels before 6.10
 *
 * Recorded from the tcp:tcp_send_reset and tcp:tcp_receive_reset
 * tracepoints, for full sockets only: an RST answering a segment that
 * has no socket (a closed port) has no connection to belong to.
 */
struct tcpscope_reset_rec {
	struct tcpscope_hdr hdr;
	__u8 family;
	__u8 received;
	__u8 state;
	__u8 pad;
	__be16 sport;
	__be16 dport;
	__u8 saddr[16];
	__u8 daddr[16];
	char reason[32];
};

#endif /* _UAPI_TCPSCOPE_H */
