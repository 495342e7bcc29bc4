/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pernet: per-network-namespace counters and /proc/net/tcpscope.
 */
#ifndef _TCPSCOPE_PERNET_H
#define _TCPSCOPE_PERNET_H

#include <linux/types.h>

struct net;

int tcpscope_pernet_init(void);
void tcpscope_pernet_exit(void);
void tcpscope_pernet_count(const struct net *net, int oldstate, int newstate);
void tcpscope_pernet_handshake(const struct net *net, u64 ns);
void tcpscope_pernet_count_segment(const struct net *net, bool tx);
void tcpscope_pernet_count_skipped(const struct net *net, bool frag);

#endif /* _TCPSCOPE_PERNET_H */
