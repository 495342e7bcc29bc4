/* SPDX-License-Identifier: GPL-2.0 */
/*
 * record: the ground floor of every record: a socket's id, its 4-tuple
 * and the common header. Anything may use it; it uses nothing of
 * tcpscope's.
 */
#ifndef _TCPSCOPE_RECORD_H
#define _TCPSCOPE_RECORD_H

#include <linux/sock_diag.h>
#include <linux/string.h>
#include <linux/types.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <uapi/tcpscope.h>

struct inet_timewait_sock;

/*
 * The socket cookie: unique per socket, the id `ss -e` shows as sk:. Also
 * valid for request and timewait sockets (the cookie is in sock_common).
 */
static inline u64 tcpscope_sock_id(const struct sock *sk)
{
	u32 cookie[2];

	sock_diag_save_cookie((struct sock *)sk, cookie);
	return (u64)cookie[1] << 32 | cookie[0];
}

/* The common header of a record about @sk (full, request or timewait). */
static inline void tcpscope_record_hdr(struct tcpscope_hdr *h, u16 kind,
				       u16 size, const struct sock *sk)
{
	h->kind = kind;
	h->size = size;
	h->conn_id = tcpscope_sock_id(sk);
	h->netns = sock_net(sk)->ns.inum;
}

static inline void tcpscope_record_addrs6(const struct sock *sk,
					  struct tcpscope_state_rec *r)
{
#if IS_ENABLED(CONFIG_IPV6)
	const struct inet_sock *inet = inet_sk(sk);

	/*
	 * A v4 child of a v6 listener gets its v4-mapped v6 addresses only
	 * after it is announced: map them from the v4 fields.
	 */
	if (ipv6_addr_any(&sk->sk_v6_daddr) && inet->inet_daddr) {
		ipv6_addr_set_v4mapped(inet->inet_saddr,
				       (struct in6_addr *)r->saddr);
		ipv6_addr_set_v4mapped(inet->inet_daddr,
				       (struct in6_addr *)r->daddr);
		return;
	}
	memcpy(r->saddr, &sk->sk_v6_rcv_saddr, sizeof(struct in6_addr));
	memcpy(r->daddr, &sk->sk_v6_daddr, sizeof(struct in6_addr));
#endif
}

/**
 * tcpscope_record_tuple() - the 4-tuple of a full socket
 * @sk: the socket
 * @r: the record that gets it: family, ports and addresses
 *
 * The same fields the state tracepoint reports, read from the socket now.
 * An IPv4 address takes 4 of the 16 bytes: the rest stays as it was.
 */
static inline void tcpscope_record_tuple(const struct sock *sk,
					 struct tcpscope_state_rec *r)
{
	const struct inet_sock *inet = inet_sk(sk);

	r->family = sk->sk_family;
	r->sport = inet->inet_sport;
	r->dport = inet->inet_dport;
	if (sk->sk_family == AF_INET6) {
		tcpscope_record_addrs6(sk, r);
		return;
	}
	memcpy(r->saddr, &inet->inet_saddr, sizeof(inet->inet_saddr));
	memcpy(r->daddr, &inet->inet_daddr, sizeof(inet->inet_daddr));
}

void tcpscope_record_tw_tuple(const struct inet_timewait_sock *tw,
			      struct tcpscope_state_rec *r);

#endif /* _TCPSCOPE_RECORD_H */
