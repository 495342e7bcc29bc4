/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel API difference tcpscope depends on lives here, one wrapper
 * per API change, so that the rest of the code has no #if on a kernel.
 * Which API the target kernel has is not read from its version but found
 * by compiling: Kbuild runs each test in conftest/ against the kernel's
 * headers, and tcpscope_conftest.h, which it generates in the build
 * directory, defines TCPSCOPE_HAVE_<TEST> for each one that compiled.
 * Built for Debian's 5.10, 6.1, 6.12 and 7.x kernels.
 */
#ifndef _TCPSCOPE_COMPAT_H
#define _TCPSCOPE_COMPAT_H

#include <linux/kprobes.h>
#include <linux/timer.h>
#include <net/inet6_hashtables.h>
#include <net/inet_connection_sock.h>
#include <net/inet_hashtables.h>
#include <net/ip.h>
#include <net/tcp.h>
#include <net/tcp_states.h>

#include "tcpscope_conftest.h"

/* 5.11 hid a kretprobe instance's kretprobe behind get_kretprobe(). */
static inline struct kretprobe *
compat_get_kretprobe(struct kretprobe_instance *ri)
{
#ifdef TCPSCOPE_HAVE_GET_KRETPROBE
	return get_kretprobe(ri);
#else
	return ri->rp;
#endif
}

/* 6.2 renamed del_timer_sync() to timer_delete_sync(). */
static inline int compat_timer_delete_sync(struct timer_list *timer)
{
#ifdef TCPSCOPE_HAVE_TIMER_DELETE_SYNC
	return timer_delete_sync(timer);
#else
	return del_timer_sync(timer);
#endif
}

/*
 * 6.10 gave tcp:tcp_send_reset the reason (enum sk_rst_reason). A probe
 * on it is declared with COMPAT_SEND_RESET_PARAMS and reads the reason's
 * name, or NULL, as COMPAT_SEND_RESET_REASON.
 */
#ifndef TCPSCOPE_HAVE_TCP_SEND_RESET_REASON
#define COMPAT_SEND_RESET_PARAMS \
	void *data, const struct sock *sk, const struct sk_buff *skb
#define COMPAT_SEND_RESET_REASON	NULL
#else
#include <net/rstreason.h>

#define COMPAT_SEND_RESET_PARAMS \
	void *data, const struct sock *sk, const struct sk_buff *skb, \
	const enum sk_rst_reason reason
#define COMPAT_SEND_RESET_REASON	compat_rst_reason_name(reason)

static inline const char *compat_rst_reason_name(enum sk_rst_reason reason)
{
#define COMPAT_RST_REASON_ENTRY(r)	{ SK_RST_REASON_##r, #r },
	static const struct {
		enum sk_rst_reason reason;
		const char *name;
	} names[] = {
		DEFINE_RST_REASON(COMPAT_RST_REASON_ENTRY, COMPAT_RST_REASON_ENTRY)
	};
#undef COMPAT_RST_REASON_ENTRY
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].reason == reason)
			return names[i].name;
	return "UNKNOWN";
}
#endif

/*
 * The ISN a SYN gets when it reuses a TIME_WAIT connection: in the skb's
 * control block, or, from 6.10 until the 6.12 stable series and mainline
 * moved it back, in a per-CPU variable. Valid while the SYN is being
 * processed, in tcp_conn_request().
 */
static inline u32 compat_tw_isn(const struct sk_buff *skb)
{
#ifdef TCPSCOPE_HAVE_TCP_SKB_CB_TW_ISN
	return TCP_SKB_CB(skb)->tcp_tw_isn;
#else
	return __this_cpu_read(tcp_tw_isn);
#endif
}

/* 5.10's inet_sdif() only reads the skb, but does not say so. */
static inline int compat_inet_sdif(const struct sk_buff *skb)
{
#ifdef TCPSCOPE_HAVE_INET_SDIF_CONST
	return inet_sdif(skb);
#else
	return inet_sdif((struct sk_buff *)skb);
#endif
}

/*
 * The socket lookups, in @h, the hash tables of @net: 7.x dropped the
 * argument, as a namespace's tables are the only ones looked in.
 */
static inline struct sock *
compat_inet_lookup_established(struct net *net, struct inet_hashinfo *h,
			       __be32 saddr, __be16 sport, __be32 daddr,
			       u16 hnum, int dif, int sdif)
{
#ifdef TCPSCOPE_HAVE_INET_LOOKUP_HASHINFO
	return __inet_lookup_established(net, h, saddr, sport, daddr, hnum,
					 dif, sdif);
#else
	return __inet_lookup_established(net, saddr, sport, daddr, hnum, dif,
					 sdif);
#endif
}

/* A listener for a SYN that is not in an skb: no reuseport selection. */
static inline struct sock *
compat_inet_lookup_listener(struct net *net, struct inet_hashinfo *h,
			    __be32 saddr, __be16 sport, __be32 daddr,
			    u16 hnum, int dif, int sdif)
{
#ifdef TCPSCOPE_HAVE_INET_LOOKUP_HASHINFO
	return __inet_lookup_listener(net, h, NULL, 0, saddr, sport, daddr,
				      hnum, dif, sdif);
#else
	return __inet_lookup_listener(net, NULL, 0, saddr, sport, daddr, hnum,
				      dif, sdif);
#endif
}

#if IS_ENABLED(CONFIG_IPV6)
static inline struct sock *
compat_inet6_lookup_established(struct net *net, struct inet_hashinfo *h,
				const struct in6_addr *saddr, __be16 sport,
				const struct in6_addr *daddr, u16 hnum,
				int dif, int sdif)
{
#ifdef TCPSCOPE_HAVE_INET6_LOOKUP_HASHINFO
	return __inet6_lookup_established(net, h, saddr, sport, daddr, hnum,
					  dif, sdif);
#else
	return __inet6_lookup_established(net, saddr, sport, daddr, hnum, dif,
					  sdif);
#endif
}

static inline struct sock *
compat_inet6_lookup_listener(struct net *net, struct inet_hashinfo *h,
			     const struct in6_addr *saddr, __be16 sport,
			     const struct in6_addr *daddr, u16 hnum,
			     int dif, int sdif)
{
#ifdef TCPSCOPE_HAVE_INET6_LOOKUP_HASHINFO
	return inet6_lookup_listener(net, h, NULL, 0, saddr, sport, daddr,
				     hnum, dif, sdif);
#else
	return inet6_lookup_listener(net, NULL, 0, saddr, sport, daddr, hnum,
				     dif, sdif);
#endif
}
#endif

/*
 * The listeners of @net in @ilb, a bucket of the listener table lhash2,
 * with its lock held. Until 5.19 its chains were plain hlists, linked
 * through icsk_listen_portaddr_node; since, hlist_nulls lists through
 * sk_nulls_node.
 */
#ifdef TCPSCOPE_HAVE_LHASH2_PORTADDR
static inline bool compat_ilb_empty(const struct inet_listen_hashbucket *ilb)
{
	return hlist_empty(&ilb->head);
}

static inline unsigned int
compat_ilb_count(struct inet_listen_hashbucket *ilb, const struct net *net)
{
	struct inet_connection_sock *icsk;
	unsigned int n = 0;

	hlist_for_each_entry(icsk, &ilb->head, icsk_listen_portaddr_node)
		if (net_eq(sock_net(&icsk->icsk_inet.sk), net))
			n++;
	return n;
}
#else
static inline bool compat_ilb_empty(const struct inet_listen_hashbucket *ilb)
{
	return hlist_nulls_empty(&ilb->nulls_head);
}

static inline unsigned int
compat_ilb_count(struct inet_listen_hashbucket *ilb, const struct net *net)
{
	struct hlist_nulls_node *node;
	unsigned int n = 0;
	struct sock *sk;

	sk_nulls_for_each(sk, node, &ilb->nulls_head)
		if (net_eq(sock_net(sk), net))
			n++;
	return n;
}
#endif

#endif /* _TCPSCOPE_COMPAT_H */
