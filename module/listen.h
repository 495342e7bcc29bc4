/* SPDX-License-Identifier: GPL-2.0 */
/*
 * listen: the listen records, from the hooks of a passive open's steps.
 */
#ifndef _TCPSCOPE_LISTEN_H
#define _TCPSCOPE_LISTEN_H

#include <linux/types.h>

struct sock;

void tcpscope_listen_attach(bool events);
void tcpscope_listen_detach(void);
void tcpscope_listen_state(const struct sock *sk, int oldstate, int newstate);

#endif /* _TCPSCOPE_LISTEN_H */
