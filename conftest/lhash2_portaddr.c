// SPDX-License-Identifier: GPL-2.0
/*
 * TCPSCOPE_HAVE_LHASH2_PORTADDR: the buckets of the listener table lhash2
 * are plain hlists, linked through icsk_listen_portaddr_node (5.10). 5.19
 * ("net: inet: Retire port only listening_hash") made them hlist_nulls
 * lists linked through sk_nulls_node, left only nulls_head in struct
 * inet_listen_hashbucket and removed icsk_listen_portaddr_node.
 */
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/list.h>
#include <net/inet_connection_sock.h>
#include <net/inet_hashtables.h>

static_assert(__same_type(((struct inet_listen_hashbucket *)0)->head,
			  struct hlist_head));
static_assert(__same_type(((struct inet_connection_sock *)0)->icsk_listen_portaddr_node,
			  struct hlist_node));
