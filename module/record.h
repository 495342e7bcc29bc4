/* SPDX-License-Identifier: GPL-2.0 */
/*
 * record: the ground floor of every record: a socket's id, its 4-tuple
 * and the common header. Anything may use it; it uses nothing of
 * tcpscope's.
 */
#ifndef _TCPSCOPE_RECORD_H
#define _TCPSCOPE_RECORD_H

#include <linux/types.h>
#include <uapi/tcpscope.h>

struct inet_timewait_sock;
struct sock;

u64 tcpscope_sock_id(const struct sock *sk);
void tcpscope_record_hdr(struct tcpscope_hdr *h, u16 kind, u16 size,
			 const struct sock *sk);
void tcpscope_record_tuple(const struct sock *sk, struct tcpscope_state_rec *r);
void tcpscope_record_tw_tuple(const struct inet_timewait_sock *tw,
			      struct tcpscope_state_rec *r);

#endif /* _TCPSCOPE_RECORD_H */
