// SPDX-License-Identifier: GPL-2.0
/*
 * TCPSCOPE_HAVE_INET6_LOOKUP_HASHINFO: __inet6_lookup_established() and
 * inet6_lookup_listener() take the struct inet_hashinfo to look in; 7.x
 * dropped the argument, as for IPv4.
 */
#include <linux/compiler.h>
#include <net/inet6_hashtables.h>

static __maybe_unused struct sock *lookup(struct net *net,
					  struct inet_hashinfo *h,
					  const struct in6_addr *a)
{
	struct sock *sk = __inet6_lookup_established(net, h, a, 0, a, 0, 0, 0);

	return sk ?: inet6_lookup_listener(net, h, NULL, 0, a, 0, a, 0, 0, 0);
}
