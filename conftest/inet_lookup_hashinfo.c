// SPDX-License-Identifier: GPL-2.0
/*
 * TCPSCOPE_HAVE_INET_LOOKUP_HASHINFO: __inet_lookup_established() and
 * __inet_lookup_listener() take the struct inet_hashinfo to look in; 7.x
 * dropped the argument (the table is the namespace's).
 */
#include <linux/compiler.h>
#include <net/inet_hashtables.h>

static __maybe_unused struct sock *lookup(struct net *net,
					  struct inet_hashinfo *h)
{
	struct sock *sk = __inet_lookup_established(net, h, 0, 0, 0, 0, 0, 0);

	return sk ?: __inet_lookup_listener(net, h, NULL, 0, 0, 0, 0, 0, 0, 0);
}
