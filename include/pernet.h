/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pernet: per-network-namespace counters and /proc/net/tcpscope.
 */
#ifndef _TCPSCOPE_PERNET_H
#define _TCPSCOPE_PERNET_H

#include <net/net_namespace.h>

/* Per-namespace packet counters (module/packets.c). */
enum tcpscope_pkt_counter {
	TCPSCOPE_PKT_TX,	/* segments sent, recorded */
	TCPSCOPE_PKT_RX,	/* segments received, recorded */
	TCPSCOPE_PKT_BAD,	/* skipped: short or inconsistent headers */
	TCPSCOPE_PKT_FRAG,	/* skipped: a fragment (its packet, once whole) */
	TCPSCOPE_PKT_NR,
};

int tcpscope_pernet_init(void);
void tcpscope_pernet_exit(void);
void tcpscope_pernet_count(const struct net *net, int oldstate, int newstate);
void tcpscope_pernet_handshake(const struct net *net, u64 ns);
void tcpscope_pernet_count_packet(const struct net *net,
				  enum tcpscope_pkt_counter what);

#endif /* _TCPSCOPE_PERNET_H */
