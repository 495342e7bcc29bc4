/* SPDX-License-Identifier: GPL-2.0 */
/*
 * state: the state and reset records, and what a transition updates
 * besides the ring.
 */
#ifndef _TCPSCOPE_STATE_H
#define _TCPSCOPE_STATE_H

#include <linux/types.h>

struct inet_timewait_sock;
struct sock;

void tcpscope_state_emit(const struct sock *sk, int oldstate, int newstate);
void tcpscope_state_emit_tw(const struct inet_timewait_sock *tw,
			    int oldstate, int newstate);
void tcpscope_state_emit_reset(const struct sock *sk, bool received,
			       const char *reason);

#endif /* _TCPSCOPE_STATE_H */
