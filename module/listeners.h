/* SPDX-License-Identifier: GPL-2.0 */
/*
 * listeners: the listener table (the SYN and accept queues of listening
 * sockets, their counts and SYN-flood flag), the listeners file and the
 * per-namespace listener lines.
 */
#ifndef _TCPSCOPE_LISTENERS_H
#define _TCPSCOPE_LISTENERS_H

#include <linux/types.h>
#include <uapi/tcpscope.h>

struct dentry;
struct net;
struct seq_file;
struct sock;

/**
 * struct tcpscope_listeners_params - the module parameters it takes
 * @max_listeners:	listeners the table keeps (0: no table)
 * @synflood_halfopen:	half-open requests that, with @synflood_sources,
 *			make a SYN flood
 * @synflood_sources:	distinct sources within one second, likewise
 */
struct tcpscope_listeners_params {
	unsigned int max_listeners;
	unsigned int synflood_halfopen;
	unsigned int synflood_sources;
};

int tcpscope_listeners_init(const struct tcpscope_listeners_params *p);
void tcpscope_listeners_exit(void);
bool tcpscope_listeners_enabled(void);
bool tcpscope_listeners_update(const struct sock *sk,
			       const struct tcpscope_listen_rec *r);
void tcpscope_listeners_mark(const struct tcpscope_listen_rec *r,
			     bool listening);
void tcpscope_listeners_debugfs(struct dentry *dir);
unsigned int tcpscope_listeners_net_buckets(void);
void tcpscope_listeners_show_net(struct seq_file *m, const struct net *net,
				 unsigned int i);

#endif /* _TCPSCOPE_LISTENERS_H */
