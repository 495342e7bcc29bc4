/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pernet: per-network-namespace counters and /proc/net/tcpscope.
 */
#ifndef _TCPSCOPE_PERNET_H
#define _TCPSCOPE_PERNET_H

#include <net/net_namespace.h>

int tcpscope_pernet_init(void);
void tcpscope_pernet_exit(void);
void tcpscope_pernet_count(const struct net *net, int oldstate, int newstate);

#endif /* _TCPSCOPE_PERNET_H */
