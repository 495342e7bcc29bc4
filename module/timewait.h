/* SPDX-License-Identifier: GPL-2.0 */
/*
 * timewait: TIME_WAIT, which the kernel hands from the full socket to a
 * timewait socket that sock:inet_sock_set_state never sees.
 */
#ifndef _TCPSCOPE_TIMEWAIT_H
#define _TCPSCOPE_TIMEWAIT_H

#include <linux/types.h>

struct sock;

void tcpscope_timewait_attach(void);
void tcpscope_timewait_detach(void);
int tcpscope_timewait_handoff(const struct sock *sk, int oldstate);

#endif /* _TCPSCOPE_TIMEWAIT_H */
