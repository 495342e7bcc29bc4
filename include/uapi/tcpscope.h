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
	TCPSCOPE_KIND_PACKET = 3,	/* struct tcpscope_packet_rec */
	TCPSCOPE_KIND_RESET = 4,	/* struct tcpscope_reset_rec */
	TCPSCOPE_KIND_LISTEN = 5,	/* struct tcpscope_listen_rec */
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

/* Direction of a packet record. */
enum tcpscope_packet_dir {
	TCPSCOPE_DIR_TX = 0,	/* sent by this host (netfilter LOCAL_OUT) */
	TCPSCOPE_DIR_RX = 1,	/* received for this host (netfilter LOCAL_IN) */
};

/* TCP flag bits of struct tcpscope_packet_rec @flags, as on the wire. */
#define TCPSCOPE_TCP_FIN	0x001
#define TCPSCOPE_TCP_SYN	0x002
#define TCPSCOPE_TCP_RST	0x004
#define TCPSCOPE_TCP_PSH	0x008
#define TCPSCOPE_TCP_ACK	0x010
#define TCPSCOPE_TCP_URG	0x020
#define TCPSCOPE_TCP_ECE	0x040
#define TCPSCOPE_TCP_CWR	0x080
#define TCPSCOPE_TCP_AE		0x100	/* RFC 9768 accurate ECN, was NS */

#define TCPSCOPE_TCP_OPT_MAX	40

/**
 * struct tcpscope_packet_rec - one TCP segment sent or received
 * @hdr:	common header, kind TCPSCOPE_KIND_PACKET; @hdr.conn_id is the
 *		cookie of the socket the segment belongs to (see
 *		Documentation/tcpscope.rst), 0 if there is none
 * @dir:	enum tcpscope_packet_dir
 * @family:	AF_INET or AF_INET6 (of the IP header, not of the socket)
 * @flags:	the 12 flag bits of the TCP header (TCPSCOPE_TCP_*)
 * @sport:	source port, network byte order
 * @dport:	destination port, network byte order
 * @win:	window field as on the wire (not scaled)
 * @seq:	sequence number
 * @ack:	acknowledgment number (meaningful with TCPSCOPE_TCP_ACK)
 * @urg:	urgent pointer (meaningful with TCPSCOPE_TCP_URG)
 * @optlen:	bytes of TCP options in @opts (0 to 40)
 * @pad:	zero
 * @len:	TCP payload length in bytes (the payload is never recorded)
 * @saddr:	source address (4 bytes used for AF_INET)
 * @daddr:	destination address (4 bytes used for AF_INET)
 * @opts:	the TCP options, raw, as on the wire
 * @reserved:	zero
 *
 * Source and destination are as on the wire: for TCPSCOPE_DIR_TX the
 * source is the local end, for TCPSCOPE_DIR_RX the remote end. @win, @seq,
 * @ack, @urg and @len are in host byte order.
 */
struct tcpscope_packet_rec {
	struct tcpscope_hdr hdr;
	__u8 dir;
	__u8 family;
	__u16 flags;
	__be16 sport;
	__be16 dport;
	__u16 win;
	__u16 urg;
	__u8 optlen;
	__u8 pad[3];
	__u32 seq;
	__u32 ack;
	__u32 len;
	__u8 saddr[16];
	__u8 daddr[16];
	__u8 opts[TCPSCOPE_TCP_OPT_MAX];
	__u8 reserved[4];
};

/* What made tcpscope sample a listener's queues (tcpscope_listen_rec @cause). */
enum tcpscope_listen_cause {
	TCPSCOPE_LISTEN_SYN = 0,	/* a SYN reached the listener */
	TCPSCOPE_LISTEN_SYNACK = 1,	/* the first SYN-ACK of a request */
	TCPSCOPE_LISTEN_SYNACK_RETRANS = 2, /* a SYN-ACK sent again */
	TCPSCOPE_LISTEN_CHILD = 3,	/* third ACK: a child joined the accept queue */
	TCPSCOPE_LISTEN_ACCEPT = 4,	/* accept() took a child */
	TCPSCOPE_LISTEN_DROP = 5,	/* a request left the SYN queue, no child */
	TCPSCOPE_LISTEN_OVERFLOW = 6,	/* a queue was full: see @overflow */
};

/* Which queue was full, and what the kernel did (tcpscope_listen_rec @overflow). */
enum tcpscope_listen_overflow {
	TCPSCOPE_OVERFLOW_NONE = 0,
	TCPSCOPE_OVERFLOW_SYNQ_DROP = 1,	/* SYN dropped: TCPReqQFullDrop */
	TCPSCOPE_OVERFLOW_SYNQ_COOKIE = 2,	/* SYN cookie sent: TCPReqQFullDoCookies */
	TCPSCOPE_OVERFLOW_ACCEPTQ_SYN = 3,	/* SYN dropped: ListenOverflows */
	TCPSCOPE_OVERFLOW_ACCEPTQ_ACK = 4,	/* third ACK dropped: ListenOverflows */
};

/* tcpscope_listen_rec @flags */
#define TCPSCOPE_LISTEN_F_COOKIE	0x01	/* the SYN-ACK carries a SYN cookie */
#define TCPSCOPE_LISTEN_F_FLOOD		0x02	/* the listener's SYN-flood flag is set */
#define TCPSCOPE_LISTEN_F_TIMEOUT	0x04	/* drop: the SYN-ACK retries ran out */

/**
 * struct tcpscope_listen_rec - a listener's queues, sampled at an event
 * @hdr:	common header, kind TCPSCOPE_KIND_LISTEN; @hdr.conn_id is the
 *		listening socket's cookie
 * @family:	AF_INET or AF_INET6, of the listener
 * @cause:	enum tcpscope_listen_cause
 * @overflow:	enum tcpscope_listen_overflow (with TCPSCOPE_LISTEN_OVERFLOW)
 * @flags:	TCPSCOPE_LISTEN_F_*
 * @sport:	the listener's port, network byte order
 * @dport:	the peer's port, network byte order (0: no peer)
 * @synq:	SYN (half-open) queue depth: request sockets
 * @synq_max:	its limit, as the kernel applies it (sk_max_ack_backlog)
 * @acceptq:	accept (full) queue depth: children not yet accepted
 * @acceptq_max: its limit (sk_max_ack_backlog, Send-Q in `ss -lnt`)
 * @retrans:	TCPSCOPE_LISTEN_SYNACK_RETRANS: which retransmission (1, 2...)
 * @pad:	zero
 * @since_us:	TCPSCOPE_LISTEN_SYNACK_RETRANS: microseconds since the
 *		request's first SYN-ACK
 * @saddr:	the listener's address (4 bytes used for AF_INET)
 * @daddr:	the peer's address; a v4 peer of an AF_INET6 listener is
 *		v4-mapped
 *
 * The kernel calls a queue full when its depth is above the limit, so
 * either depth may reach @synq_max + 1 or @acceptq_max + 1.
 */
struct tcpscope_listen_rec {
	struct tcpscope_hdr hdr;
	__u8 family;
	__u8 cause;
	__u8 overflow;
	__u8 flags;
	__be16 sport;
	__be16 dport;
	__u32 synq;
	__u32 synq_max;
	__u32 acceptq;
	__u32 acceptq_max;
	__u32 retrans;
	__u32 pad;
	__u64 since_us;
	__u8 saddr[16];
	__u8 daddr[16];
};

#endif /* _UAPI_TCPSCOPE_H */
