/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hooks: where records come from (TCP tracepoints and kprobes).
 */
#ifndef _TCPSCOPE_HOOKS_H
#define _TCPSCOPE_HOOKS_H

#include <linux/types.h>

struct inet_timewait_sock;
struct sock;

int tcpscope_hooks_attach(void);
void tcpscope_hooks_detach(void);
u64 tcpscope_hooks_missed(void);
void tcpscope_hooks_emit_tw(const struct inet_timewait_sock *tw,
			    int oldstate, int newstate);
u64 tcpscope_sock_id(const struct sock *sk);

#endif /* _TCPSCOPE_HOOKS_H */
