/* SPDX-License-Identifier: GPL-2.0 */
/*
 * conns: the per-connection table (ISNs, handshake checks and times, time
 * per state) and the connections file.
 */
#ifndef _TCPSCOPE_CONNS_H
#define _TCPSCOPE_CONNS_H

#include <linux/types.h>
#include <uapi/tcpscope.h>

struct dentry;
struct net;
struct sock;

int tcpscope_conns_init(unsigned int max_conns);
void tcpscope_conns_exit(void);
void tcpscope_conns_debugfs(struct dentry *dir);
void tcpscope_conns_state(const struct tcpscope_state_rec *r,
			  const struct sock *sk);
void tcpscope_conns_segment(const struct net *net,
			    const struct tcpscope_packet_rec *r);

#endif /* _TCPSCOPE_CONNS_H */
