// SPDX-License-Identifier: GPL-2.0
/*
 * packets: a record per TCP segment sent or received, from netfilter hooks
 * at LOCAL_OUT (tx) and LOCAL_IN (rx), IPv4 and IPv6, in every network
 * namespace (pernet operations, so namespaces created later get them too).
 *
 * The hooks only read: they return NF_ACCEPT, never change the skb, and
 * copy headers out with skb_header_pointer()/skb_copy_bits(), never
 * trusting a length field. A segment whose headers are short or
 * inconsistent is skipped and counted ("packets bad" in /proc/net/tcpscope).
 * No payload byte is ever copied.
 *
 * A fragment is counted ("packets frag"), not recorded: the segment is
 * recorded once whole. IPv4 reassembles before LOCAL_IN, so LOCAL_IN sees
 * the whole segment. IPv6 reassembles after it, in ipv6_frag_rcv(), unless
 * nf_defrag_ipv6 did before (conntrack): a return probe there records the
 * reassembled segment as LOCAL_IN would have.
 *
 * An IPv6 packet is TCP, and a fragment a TCP one, as netfilter decides
 * (ipv6_find_hdr(), nft "meta l4proto tcp"; but through AH): not if its
 * extension headers run past its end.
 *
 * Priorities: rx runs first in LOCAL_IN, before any filter can drop the
 * segment (tcpdump sees those too); tx runs last in LOCAL_OUT, after the
 * filters, on the segment as it leaves the TCP stack.
 *
 * With packets=control only these segments are recorded:
 *  - every segment with SYN, FIN or RST;
 *  - the ACK that completes a handshake, a segment with ACK, without SYN,
 *    FIN, RST or payload, sent by the active opener before any data:
 *     tx: from a full socket in ESTABLISHED that has neither sent nor
 *         received a byte of data and of which the peer has acknowledged
 *         only the SYN (bytes_acked == 1; a passive opener never counts its
 *         SYN there), or only the SYN and its Fast Open data - the ACK of
 *         the SYN-ACK, again for a retransmitted SYN-ACK;
 *     rx: for a request socket (NEW_SYN_RECV), a Fast Open child in
 *         SYN_RECV, or a passive opener's socket in ESTABLISHED before any
 *         data (bytes_acked, bytes_sent and bytes_received 0);
 *  - the ACK of a FIN, also without SYN, FIN, RST or payload:
 *     tx: from a timewait socket in TIME_WAIT, or from a full socket that
 *         has processed the peer's FIN (SOCK_DONE);
 *     rx: acking all the local socket sent, its FIN included: a full
 *         socket in FIN_WAIT1, FIN_WAIT2, CLOSING or LAST_ACK with
 *         ack == write_seq, a timewait socket with ack == tw_snd_nxt.
 * An ACK that carries data, or whose ACK of the FIN rides on the peer's own
 * FIN, is therefore only recorded for its other flags.
 *
 * The hooks also feed the connection table (module/conns.c), whatever
 * packets= says: every SYN sent, every SYN received that a socket takes (a
 * listener, or the socket of a simultaneous open: not one for a closed
 * port), and each ACK that may complete a handshake.
 * With packets=off and max_conns=0 they are not registered at all.
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/kprobes.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <linux/string.h>
#include <linux/tcp.h>
#include <net/inet6_hashtables.h>
#include <net/inet_hashtables.h>
#include <net/inet_sock.h>
#include <net/inet_timewait_sock.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/request_sock.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/tcp_states.h>

#include "compat.h"
#include "conns.h"
#include "packets.h"
#include "pernet.h"
#include "probes.h"
#include "record.h"
#include "ring.h"

static struct {
	enum tcpscope_packets_mode mode;
	bool conns;		/* feed the connection table */
	bool registered;	/* the netfilter hooks */
} packets;

enum parse_result {
	PKT_TCP,	/* a TCP segment, parsed */
	PKT_OTHER,	/* not TCP: ignored */
	PKT_BAD,	/* TCP (or undecidable) with bad headers: counted */
	PKT_FRAG,	/* a fragment of a TCP segment: counted */
};

/*
 * Where the TCP header is, from skb->data, and how long the segment is,
 * headers included. The options are copied into the record only when it
 * is written. Offsets are signed: in a reassembled IPv6 packet the network
 * header lies in front of skb->data.
 */
struct pkt_pos {
	int thoff;
	unsigned int l4len;
};

static enum parse_result parse_ipv4(const struct sk_buff *skb,
				    struct tcpscope_packet_rec *r,
				    struct pkt_pos *pos)
{
	unsigned int nhoff = skb_network_offset(skb), ihl, tot, avail;
	const struct iphdr *iph;
	struct iphdr _iph;

	if (skb->len < nhoff)
		return PKT_BAD;
	iph = skb_header_pointer(skb, nhoff, sizeof(_iph), &_iph);
	if (!iph)
		return PKT_BAD;
	if (iph->protocol != IPPROTO_TCP)
		return PKT_OTHER;
	ihl = iph->ihl * 4;
	avail = skb->len - nhoff;
	tot = ntohs(iph->tot_len);
	if (!tot)		/* BIG TCP: the length is the skb's */
		tot = avail;
	if (iph->version != 4 || ihl < sizeof(*iph) || tot < ihl ||
	    tot > avail)
		return PKT_BAD;
	if (ip_is_fragment(iph))
		return PKT_FRAG;
	r->family = AF_INET;
	memcpy(r->saddr, &iph->saddr, sizeof(iph->saddr));
	memcpy(r->daddr, &iph->daddr, sizeof(iph->daddr));
	pos->thoff = nhoff + ihl;
	pos->l4len = tot - ihl;
	return PKT_TCP;
}

/*
 * Where TCP is in an IPv6 packet, as netfilter finds it (ipv6_find_hdr(),
 * nft "meta l4proto tcp"): each extension header whole within the packet,
 * through AH (where netfilter stops) and a first fragment's Fragment
 * header; a later fragment, by its Fragment header's Next Header.
 */
static enum parse_result ipv6_tcp(const struct sk_buff *skb, int *thoff)
{
	unsigned int off = 0, fhoff = 0;
	unsigned short fragoff = 0;
	const __be16 *fp;
	int flags = 0;
	__be16 _fo;

	if (ipv6_find_hdr(skb, &off, -1, &fragoff, &flags) != IPPROTO_TCP)
		return PKT_OTHER;
	if (fragoff)
		return PKT_FRAG;
	*thoff = off;
	if (!(flags & IP6_FH_F_FRAG))
		return PKT_TCP;
	/* The first fragment, or an atomic one: neither offset nor MF. */
	if (ipv6_find_hdr(skb, &fhoff, NEXTHDR_FRAGMENT, NULL, NULL) < 0)
		return PKT_BAD;
	fp = skb_header_pointer(skb, fhoff + offsetof(struct frag_hdr, frag_off),
				sizeof(_fo), &_fo);
	if (!fp)
		return PKT_BAD;
	return *fp & htons(IP6_MF) ? PKT_FRAG : PKT_TCP;
}

/*
 * nhoff: where the IPv6 header starts, from skb->data (negative in a
 * reassembled packet, whose data is at the transport header).
 */
static enum parse_result parse_ipv6(const struct sk_buff *skb, int nhoff,
				    struct tcpscope_packet_rec *r,
				    struct pkt_pos *pos)
{
	int avail = (int)skb->len - nhoff - (int)sizeof(struct ipv6hdr);
	const struct ipv6hdr *ip6h;
	struct ipv6hdr _ip6h;
	enum parse_result res;
	int thoff, plen, end;

	if (avail < 0)
		return PKT_BAD;
	ip6h = skb_header_pointer(skb, nhoff, sizeof(_ip6h), &_ip6h);
	if (!ip6h)
		return PKT_BAD;
	res = ipv6_tcp(skb, &thoff);
	if (res != PKT_TCP)
		return res;
	plen = ntohs(ip6h->payload_len);
	if (!plen)		/* jumbogram or BIG TCP */
		plen = avail;
	end = nhoff + (int)sizeof(_ip6h) + plen;
	if (ip6h->version != 6 || plen > avail || thoff > end)
		return PKT_BAD;
	r->family = AF_INET6;
	memcpy(r->saddr, &ip6h->saddr, sizeof(ip6h->saddr));
	memcpy(r->daddr, &ip6h->daddr, sizeof(ip6h->daddr));
	pos->thoff = thoff;
	pos->l4len = end - thoff;
	return PKT_TCP;
}

static enum parse_result parse_tcp(const struct sk_buff *skb,
				   struct tcpscope_packet_rec *r,
				   const struct pkt_pos *pos)
{
	const struct tcphdr *th;
	struct tcphdr _th;
	unsigned int doff;

	th = skb_header_pointer(skb, pos->thoff, sizeof(_th), &_th);
	if (!th)
		return PKT_BAD;
	doff = th->doff * 4;
	if (doff < sizeof(*th) || doff > pos->l4len)
		return PKT_BAD;
	r->optlen = doff - sizeof(*th);
	r->sport = th->source;
	r->dport = th->dest;
	r->seq = ntohl(th->seq);
	r->ack = ntohl(th->ack_seq);
	r->win = ntohs(th->window);
	r->urg = ntohs(th->urg_ptr);
	r->flags = (ntohl(tcp_flag_word(th)) >> 16) & 0xfff;
	r->len = pos->l4len - doff;
	return PKT_TCP;
}

/* A TCP socket of any kind: full (stream, not the kernel's control sock),
 * request or timewait.
 */
static bool sock_is_tcp_conn(const struct sock *sk)
{
	if (!sk_fullsock(sk))
		return sk->sk_state == TCP_TIME_WAIT ||
		       sk->sk_state == TCP_NEW_SYN_RECV;
	return sk->sk_protocol == IPPROTO_TCP && sk->sk_type == SOCK_STREAM;
}

/*
 * The socket of the connection, looked up from the local end's point of
 * view: rx, the source is remote; tx, the destination. Established,
 * request and timewait sockets; for an rx SYN that finds none, the
 * listener. *ref says whether the caller must sock_gen_put() it.
 */
static struct sock *lookup_sock(struct net *net, const struct sk_buff *skb,
				const struct nf_hook_state *state,
				const struct tcpscope_packet_rec *r, bool tx,
				bool *ref)
{
	struct inet_hashinfo *h = net->ipv4.tcp_death_row.hashinfo;
	const u8 *laddr = tx ? r->saddr : r->daddr;
	const u8 *raddr = tx ? r->daddr : r->saddr;
	__be16 lport = tx ? r->sport : r->dport;
	__be16 rport = tx ? r->dport : r->sport;
	bool syn = (r->flags & (TCPSCOPE_TCP_SYN | TCPSCOPE_TCP_ACK)) ==
		   TCPSCOPE_TCP_SYN;
	int dif, sdif;
	struct sock *sk;

	if (tx) {
		dif = state->out ? state->out->ifindex : 0;
		sdif = 0;
	} else if (r->family == AF_INET) {
		dif = inet_iif(skb);
		sdif = compat_inet_sdif(skb);
	} else {
		dif = inet6_iif(skb);
		sdif = inet6_sdif(skb);
	}
	*ref = true;
	if (r->family == AF_INET) {
		__be32 la, ra;

		memcpy(&la, laddr, sizeof(la));
		memcpy(&ra, raddr, sizeof(ra));
		sk = compat_inet_lookup_established(net, h, ra, rport, la,
						    ntohs(lport), dif, sdif);
		if (sk || tx || !syn)
			return sk;
		*ref = false;
		return compat_inet_lookup_listener(net, h, ra, rport, la,
						   ntohs(lport), dif, sdif);
	}
#if IS_ENABLED(CONFIG_IPV6)
	sk = compat_inet6_lookup_established(net, h,
					     (const struct in6_addr *)raddr,
					     rport,
					     (const struct in6_addr *)laddr,
					     ntohs(lport), dif, sdif);
	if (sk || tx || !syn)
		return sk;
	*ref = false;
	return compat_inet6_lookup_listener(net, h,
					    (const struct in6_addr *)raddr,
					    rport,
					    (const struct in6_addr *)laddr,
					    ntohs(lport), dif, sdif);
#else
	return NULL;
#endif
}

/* The socket the segment belongs to, or NULL. */
static struct sock *packet_sock(struct sk_buff *skb,
				const struct nf_hook_state *state,
				const struct tcpscope_packet_rec *r, bool tx,
				bool *ref)
{
	struct sock *sk = skb->sk;

	*ref = false;
	/* tx: the sender; rx: early demux may have found it already. */
	if (sk && sock_is_tcp_conn(sk))
		return sk;
	return lookup_sock(state->net, skb, state, r, tx, ref);
}

/*
 * The connection id: the socket's cookie. Before the server's connection
 * socket exists, its request socket stands for it: it has the listener's.
 */
static u64 packet_conn_id(const struct sock *sk)
{
	if (sk && sk->sk_state == TCP_NEW_SYN_RECV)
		sk = inet_reqsk(sk)->rsk_listener;
	return sk ? tcpscope_sock_id(sk) : 0;
}

/*
 * An active opener's socket that may not have sent its handshake's final
 * ACK yet: in ESTABLISHED, nothing received, and the peer has acknowledged
 * only the SYN (bytes_acked == 1; a passive opener never counts its SYN
 * there), or only the SYN and its Fast Open data, with no data sent since.
 */
static bool tx_before_final_ack(const struct sock *sk)
{
	const struct tcp_sock *tp;

	if (!sk_fullsock(sk) || READ_ONCE(sk->sk_state) != TCP_ESTABLISHED)
		return false;
	tp = tcp_sk(sk);
	if (READ_ONCE(tp->bytes_received))
		return false;
	if (tp->syn_data_acked)
		return READ_ONCE(tp->data_segs_out) <= 1;
	return READ_ONCE(tp->bytes_acked) == 1;
}

/* packets=control, for an ACK without SYN, FIN, RST or payload. */
static bool tx_control_ack(const struct sock *sk)
{
	if (sk->sk_state == TCP_TIME_WAIT)
		return inet_twsk(sk)->tw_substate == TCP_TIME_WAIT;
	if (!sk_fullsock(sk))
		return false;
	if (sock_flag(sk, SOCK_DONE))
		return true;	/* the peer's FIN arrived: this acks it */
	return tx_before_final_ack(sk) &&
	       (!READ_ONCE(tcp_sk(sk)->bytes_sent) || tcp_sk(sk)->syn_data_acked);
}

static bool rx_control_ack(const struct sock *sk, u32 ack)
{
	const struct tcp_sock *tp;

	if (sk->sk_state == TCP_NEW_SYN_RECV)
		return true;
	if (sk->sk_state == TCP_TIME_WAIT)
		return ack == READ_ONCE(tcp_twsk(sk)->tw_snd_nxt);
	if (!sk_fullsock(sk))
		return false;
	tp = tcp_sk(sk);
	switch (READ_ONCE(sk->sk_state)) {
	case TCP_SYN_RECV:
		return true;
	case TCP_ESTABLISHED:
		/* the passive opener's child, before any data */
		return !READ_ONCE(tp->bytes_acked) &&
		       !READ_ONCE(tp->bytes_sent) &&
		       !READ_ONCE(tp->bytes_received);
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		return ack == READ_ONCE(tp->write_seq);
	}
	return false;
}

/* Whether packets=control records it, before any socket lookup. */
static bool control_maybe(const struct tcpscope_packet_rec *r)
{
	if (r->flags & (TCPSCOPE_TCP_SYN | TCPSCOPE_TCP_FIN | TCPSCOPE_TCP_RST))
		return true;
	return (r->flags & TCPSCOPE_TCP_ACK) && !r->len;
}

static bool control_wanted(const struct tcpscope_packet_rec *r,
			   const struct sock *sk, bool tx)
{
	if (r->flags & (TCPSCOPE_TCP_SYN | TCPSCOPE_TCP_FIN | TCPSCOPE_TCP_RST))
		return true;
	if (!sk)
		return false;
	return tx ? tx_control_ack(sk) : rx_control_ack(sk, r->ack);
}

/*
 * Might this segment (ACK, no SYN) complete a handshake? tx: see
 * tx_before_final_ack(); rx: for a request socket, or a Fast Open child.
 * The table decides from there.
 */
static bool handshake_ack_maybe(const struct sock *sk, bool tx)
{
	if (tx)
		return tx_before_final_ack(sk);
	return sk->sk_state == TCP_NEW_SYN_RECV ||
	       (sk_fullsock(sk) && READ_ONCE(sk->sk_state) == TCP_SYN_RECV);
}

static void packet_record(struct tcpscope_packet_rec *r, const struct sock *sk,
			  const struct sk_buff *skb, const struct pkt_pos *pos,
			  const struct net *net, bool tx)
{
	/* parse_tcp() checked that the options lie within the segment. */
	if (r->optlen && skb_copy_bits(skb, pos->thoff + sizeof(struct tcphdr),
				       r->opts, r->optlen)) {
		tcpscope_pernet_count_skipped(net, false);
		return;
	}
	r->hdr.kind = TCPSCOPE_KIND_PACKET;
	r->hdr.size = sizeof(*r);
	r->hdr.conn_id = packet_conn_id(sk);
	r->hdr.netns = net->ns.inum;
	tcpscope_ring_write(&r->hdr);
	tcpscope_pernet_count_segment(net, tx);
}

/*
 * The socket is looked up for the segments that packets= may record, and
 * for received SYNs; otherwise the table makes do with the one the skb
 * already has (the sender's, or the one early demux found).
 */
static unsigned int packets_hook(void *priv, struct sk_buff *skb,
				 const struct nf_hook_state *state)
{
	bool tx = state->hook == NF_INET_LOCAL_OUT;
	struct tcpscope_packet_rec r;
	enum parse_result res;
	struct pkt_pos pos;
	struct sock *sk;
	bool ref, lookup, record, syn;

	memset(&r, 0, sizeof(r));
	if (state->pf == NFPROTO_IPV4)
		res = parse_ipv4(skb, &r, &pos);
	else
		res = parse_ipv6(skb, skb_network_offset(skb), &r, &pos);
	if (res == PKT_TCP)
		res = parse_tcp(skb, &r, &pos);
	if (res == PKT_OTHER)
		return NF_ACCEPT;
	if (res != PKT_TCP) {
		tcpscope_pernet_count_skipped(state->net, res == PKT_FRAG);
		return NF_ACCEPT;
	}
	r.dir = tx ? TCPSCOPE_DIR_TX : TCPSCOPE_DIR_RX;
	syn = r.flags & TCPSCOPE_TCP_SYN;
	record = packets.mode == TCPSCOPE_PACKETS_ALL ||
		 (packets.mode == TCPSCOPE_PACKETS_CONTROL && control_maybe(&r));
	/* A received SYN that no socket takes (a closed port) is no connection. */
	lookup = record || (packets.conns && syn && !tx);
	if (lookup) {
		sk = packet_sock(skb, state, &r, tx, &ref);
	} else {
		sk = skb->sk && sock_is_tcp_conn(skb->sk) ? skb->sk : NULL;
		ref = false;
	}
	if (packets.conns && syn && (tx || sk))
		tcpscope_conns_segment(state->net, &r);
	if (packets.conns && sk &&
	    (r.flags & (TCPSCOPE_TCP_SYN | TCPSCOPE_TCP_ACK)) == TCPSCOPE_TCP_ACK &&
	    handshake_ack_maybe(sk, tx))
		tcpscope_conns_segment(state->net, &r);
	if (record && (packets.mode == TCPSCOPE_PACKETS_ALL ||
		       control_wanted(&r, sk, tx)))
		packet_record(&r, sk, skb, &pos, state->net, tx);
	if (sk && ref)
		sock_gen_put(sk);
	return NF_ACCEPT;
}

static const struct nf_hook_ops packets_ops[] = {
	{
		.hook		= packets_hook,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= NF_IP_PRI_FIRST,
	},
	{
		.hook		= packets_hook,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP_PRI_LAST,
	},
#if IS_ENABLED(CONFIG_IPV6)
	{
		.hook		= packets_hook,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= NF_IP6_PRI_FIRST,
	},
	{
		.hook		= packets_hook,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP6_PRI_LAST,
	},
#endif
};

static int __net_init packets_net_init(struct net *net)
{
	return nf_register_net_hooks(net, packets_ops, ARRAY_SIZE(packets_ops));
}

/* Unregistering waits until no hook of this namespace is running. */
static void __net_exit packets_net_exit(struct net *net)
{
	nf_unregister_net_hooks(net, packets_ops, ARRAY_SIZE(packets_ops));
}

static struct pernet_operations packets_net_ops = {
	.init	= packets_net_init,
	.exit	= packets_net_exit,
};

#if IS_ENABLED(CONFIG_IPV6)
/*
 * ipv6_frag_rcv(skb) handles a Fragment header after LOCAL_IN. It returns
 * 1 when skb, a fragment, completed its packet: skb is then the whole
 * packet, without the Fragment header, its data at the transport header,
 * its network header in front; the kernel hands it on to TCP without
 * passing LOCAL_IN again. A packet with a Fragment header but neither
 * offset nor MF (an atomic fragment) returns 1 too, but LOCAL_IN saw it
 * whole: no return probe for it.
 */
static int frag_rcv_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct sk_buff *skb = (struct sk_buff *)regs_get_kernel_argument(regs, 0);
	const struct frag_hdr *fh;
	struct frag_hdr _fh;

	fh = skb_header_pointer(skb, skb_transport_offset(skb), sizeof(_fh),
				&_fh);
	if (!fh || !(fh->frag_off & htons(IP6_OFFSET | IP6_MF)) || !skb->dev)
		return 1;
	*(struct sk_buff **)ri->data = skb;
	return 0;
}

static int frag_rcv_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct sk_buff *skb = *(struct sk_buff **)ri->data;
	struct nf_hook_state state = {
		.hook	= NF_INET_LOCAL_IN,
		.pf	= NFPROTO_IPV6,
	};

	/* Otherwise skb was queued or freed. */
	if ((int)regs_return_value(regs) != 1)
		return 0;
	rcu_read_lock();
	state.in = skb->dev;
	state.net = dev_net(skb->dev);
	packets_hook(NULL, skb, &state);
	rcu_read_unlock();
	return 0;
}

static struct tcpscope_probe frag_probes[] = {
	TCPSCOPE_KRETPROBE("frag6",
			   "TCP segments in IPv6 fragments are counted as packets frag, not recorded",
			   frag_rcv_entry, frag_rcv_return,
			   sizeof(struct sk_buff *), "ipv6_frag_rcv"),
};

struct tcpscope_probe_set tcpscope_packets_probes = {
	.probes = frag_probes,
	.n = ARRAY_SIZE(frag_probes),
};
#else
struct tcpscope_probe_set tcpscope_packets_probes;
#endif

/**
 * tcpscope_packets_init() - start watching segments
 * @mode: what to record
 * @conns: feed the connection table too
 *
 * With TCPSCOPE_PACKETS_OFF and no table, registers nothing.
 *
 * Return: 0 or a negative errno.
 */
int tcpscope_packets_init(enum tcpscope_packets_mode mode, bool conns)
{
	int ret;

	packets.mode = mode;
	packets.conns = conns;
	if (mode == TCPSCOPE_PACKETS_OFF && !conns)
		return 0;
	ret = register_pernet_subsys(&packets_net_ops);
	if (ret) {
		pr_err("cannot register the netfilter hooks (%d)\n", ret);
		return ret;
	}
	packets.registered = true;
	/* Without it, IPv6 fragments are still counted, their segments missing. */
	tcpscope_probes_attach(&tcpscope_packets_probes);
	return 0;
}

/* After this returns, no hook runs any more and none is running. */
void tcpscope_packets_exit(void)
{
	tcpscope_probes_detach(&tcpscope_packets_probes);
	if (packets.registered)
		unregister_pernet_subsys(&packets_net_ops);
	packets.registered = false;
}
