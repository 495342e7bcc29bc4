// SPDX-License-Identifier: GPL-2.0
/*
 * listen: the listen records, from hooks on each step of a passive open,
 * and what they tell the listener table (module/listeners.c).
 *
 * Request sockets never pass through the state tracepoint, so each step of
 * a passive open is hooked where the kernel takes it, and each hook
 * records the listener's queues as they are at that moment (a listen
 * record):
 *  - syn: tcp_conn_request(), a SYN reached the listener. The kernel's
 *    own tests follow at once, and tcpscope makes them first: a full SYN
 *    queue drops the SYN (TCPReqQFullDrop) or answers it with a SYN cookie
 *    (TCPReqQFullDoCookies), a full accept queue drops it
 *    (ListenOverflows). Each is an overflow record.
 *  - synack: tcp_make_synack() building a request's first SYN-ACK (a
 *    cookie one included); synack-retrans: the tcp_retransmit_synack
 *    tracepoint, with the retransmission's number and the time since the
 *    first SYN-ACK.
 *  - child: inet_csk_complete_hashdance() moved the request out of the
 *    SYN queue and its child socket into the accept queue (or
 *    tcp_get_cookie_sock() put the child of a valid cookie there), seen
 *    as tcp_child_process() is called for the child. The accept queue
 *    full at that point drops the third ACK (ListenOverflows):
 *    tcp_v4_syn_recv_sock() and tcp_v6_syn_recv_sock() test it first.
 *    A Fast Open child joins the accept queue at the SYN, through
 *    inet_csk_reqsk_queue_add(), and so does a child that a closing
 *    SO_REUSEPORT listener hands on;
 *  - accept: inet_accept() took a child, seen at __inet_accept(), or
 *    where there is none as inet_accept() returns;
 *  - drop: a request left the SYN queue without a child: its SYN-ACK
 *    retries ran out (the request freed inside reqsk_timer_handler(),
 *    flagged timeout), or inet_csk_reqsk_queue_drop() took it out (an
 *    RST, a bad ACK).
 * The state tracepoint tells when a listener starts listening,
 * inet_csk_listen_stop() when it stops.
 *
 * Each record goes to the table (which says whether the listener's
 * SYN-flood flag is up, a flag of the record) and, with listen=1, to the
 * ring.
 */

#include <linux/kprobes.h>
#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <net/inet_connection_sock.h>
#include <net/ipv6.h>
#include <net/request_sock.h>
#include <net/tcp.h>

#include "compat.h"
#include "listen.h"
#include "listeners.h"
#include "probes.h"
#include "record.h"
#include "ring.h"

static bool record_events;

/* The peer of a request, as the listener's family shows it. */
struct peer {
	__be16 port;
	u8 addr[16];
};

/* A v4 address, as an AF_INET listener (4 bytes) or an AF_INET6 one sees it. */
static void peer_set4(struct peer *p, u8 family, __be32 addr)
{
	if (family == AF_INET6)
		ipv6_addr_set_v4mapped(addr, (struct in6_addr *)p->addr);
	else
		memcpy(p->addr, &addr, sizeof(addr));
}

/* The source of a SYN that reached @sk. */
static void peer_from_skb(struct peer *p, const struct sock *sk,
			  const struct sk_buff *skb)
{
	memset(p, 0, sizeof(*p));
	p->port = tcp_hdr(skb)->source;
	if (skb->protocol == htons(ETH_P_IP))
		peer_set4(p, sk->sk_family, ip_hdr(skb)->saddr);
#if IS_ENABLED(CONFIG_IPV6)
	else
		memcpy(p->addr, &ipv6_hdr(skb)->saddr, sizeof(struct in6_addr));
#endif
}

static void peer_from_req(struct peer *p, const struct sock *sk,
			  const struct request_sock *req)
{
	const struct inet_request_sock *ireq = inet_rsk(req);

	memset(p, 0, sizeof(*p));
	p->port = ireq->ir_rmt_port;
#if IS_ENABLED(CONFIG_IPV6)
	/* The request's own family: an IPv4 one of an IPv6 listener has no v6 address. */
	if (req->rsk_ops->family == AF_INET6) {
		memcpy(p->addr, &ireq->ir_v6_rmt_addr, sizeof(struct in6_addr));
		return;
	}
#endif
	peer_set4(p, sk->sk_family, ireq->ir_rmt_addr);
}

static void peer_from_child(struct peer *p, const struct sock *sk,
			    const struct sock *child)
{
	memset(p, 0, sizeof(*p));
	p->port = inet_sk(child)->inet_dport;
#if IS_ENABLED(CONFIG_IPV6)
	if (child->sk_family == AF_INET6) {
		memcpy(p->addr, &child->sk_v6_daddr, sizeof(struct in6_addr));
		return;
	}
#endif
	peer_set4(p, sk->sk_family, inet_sk(child)->inet_daddr);
}

static bool is_tcp_listener(const struct sock *sk)
{
	return sk && sk->sk_protocol == IPPROTO_TCP &&
	       (sk->sk_family == AF_INET || sk->sk_family == AF_INET6) &&
	       sk->sk_state == TCP_LISTEN;
}

/* ------------------------------------------------------------ records */

static void fill_listener(struct tcpscope_listen_rec *r, const struct sock *sk)
{
	const struct inet_sock *inet = inet_sk(sk);

	tcpscope_record_hdr(&r->hdr, TCPSCOPE_KIND_LISTEN, sizeof(*r), sk);
	/* For the flood window; the ring stamps the record again. */
	r->hdr.ts_ns = ktime_get_mono_fast_ns();
	r->family = sk->sk_family;
	r->sport = inet->inet_sport;
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6)
		memcpy(r->saddr, &sk->sk_v6_rcv_saddr, sizeof(struct in6_addr));
	else
#endif
		memcpy(r->saddr, &inet->inet_rcv_saddr, 4);
	r->synq = inet_csk_reqsk_queue_len(sk);
	r->synq_max = READ_ONCE(sk->sk_max_ack_backlog);
	r->acceptq = READ_ONCE(sk->sk_ack_backlog);
	r->acceptq_max = r->synq_max;
}

/**
 * struct listen_event - what a hook saw, besides the listener
 * @cause:	enum tcpscope_listen_cause
 * @overflow:	enum tcpscope_listen_overflow
 * @flags:	TCPSCOPE_LISTEN_F_COOKIE or 0
 * @retrans:	number of a retransmitted SYN-ACK
 * @since_us:	time since the first SYN-ACK of a retransmitted one
 * @peer:	the peer, or NULL
 */
struct listen_event {
	u8 cause;
	u8 overflow;
	u8 flags;
	u32 retrans;
	u64 since_us;
	const struct peer *peer;
};

static void emit(const struct sock *sk, const struct listen_event *ev)
{
	struct tcpscope_listen_rec r;

	memset(&r, 0, sizeof(r));
	fill_listener(&r, sk);
	r.cause = ev->cause;
	r.overflow = ev->overflow;
	r.flags = ev->flags;
	r.retrans = ev->retrans;
	r.since_us = ev->since_us;
	if (ev->peer) {
		r.dport = ev->peer->port;
		memcpy(r.daddr, ev->peer->addr, sizeof(r.daddr));
	}
	if (tcpscope_listeners_update(sk, &r))
		r.flags |= TCPSCOPE_LISTEN_F_FLOOD;
	if (record_events)
		tcpscope_ring_write(&r.hdr);
}

/* @sk starts (@listening) or stops listening: the table learns it. */
static void mark_listener(const struct sock *sk, bool listening)
{
	struct tcpscope_listen_rec r;

	if (!tcpscope_listeners_enabled())
		return;
	memset(&r, 0, sizeof(r));
	fill_listener(&r, sk);
	tcpscope_listeners_mark(&r, listening);
}

/* ------------------------------------------------------------ hooks */

static void *karg(struct pt_regs *regs, unsigned int n)
{
	return (void *)regs_get_kernel_argument(regs, n);
}

/*
 * What tcp_conn_request() is about to decide, in its order: a full SYN
 * queue (or tcp_syncookies=2) means a cookie or a drop, unless the SYN
 * reuses a TIME_WAIT connection; then a full accept queue means a drop.
 */
static void syn_overflows(const struct sock *sk, const struct sk_buff *skb,
			  struct listen_event *ev)
{
	u8 syncookies = READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_syncookies);

	ev->cause = TCPSCOPE_LISTEN_OVERFLOW;
	/* tcp_syncookies=2 answers every SYN with a cookie, counted as here. */
	if ((syncookies == 2 || inet_csk_reqsk_queue_is_full(sk)) &&
	    !compat_tw_isn(skb)) {
		ev->overflow = syncookies ? TCPSCOPE_OVERFLOW_SYNQ_COOKIE :
					    TCPSCOPE_OVERFLOW_SYNQ_DROP;
		emit(sk, ev);
		if (!syncookies)
			return;
	}
	if (sk_acceptq_is_full(sk)) {
		ev->overflow = TCPSCOPE_OVERFLOW_ACCEPTQ_SYN;
		emit(sk, ev);
	}
}

/* tcp_conn_request(rsk_ops, af_ops, sk, skb) */
static int conn_request_pre(struct kprobe *p, struct pt_regs *regs)
{
	const struct sock *sk = karg(regs, 2);
	const struct sk_buff *skb = karg(regs, 3);
	struct listen_event ev = { .cause = TCPSCOPE_LISTEN_SYN };
	struct peer peer;

	if (!is_tcp_listener(sk))
		return 0;
	peer_from_skb(&peer, sk, skb);
	ev.peer = &peer;
	emit(sk, &ev);
	syn_overflows(sk, skb, &ev);
	return 0;
}

/* tcp_make_synack(sk, dst, req, foc, synack_type, syn_skb) */
static int make_synack_pre(struct kprobe *p, struct pt_regs *regs)
{
	const struct request_sock *req = karg(regs, 2);
	int type = (int)regs_get_kernel_argument(regs, 4);
	const struct sock *sk = karg(regs, 0);
	struct listen_event ev = { .cause = TCPSCOPE_LISTEN_SYNACK };
	struct peer peer;

	/* A retransmission: retransmit_synack(). */
	if (tcp_rsk(req)->snt_synack)
		return 0;
	if (type == TCP_SYNACK_FASTOPEN)
		sk = req->rsk_listener;		/* sk is the child */
	if (!is_tcp_listener(sk))
		return 0;
	if (type == TCP_SYNACK_COOKIE)
		ev.flags = TCPSCOPE_LISTEN_F_COOKIE;
	peer_from_req(&peer, sk, req);
	ev.peer = &peer;
	emit(sk, &ev);
	return 0;
}

/* tcp:tcp_retransmit_synack(sk, req): @req's SYN-ACK is sent again. */
static void retransmit_synack(void *data, const struct sock *sk,
			      const struct request_sock *req)
{
	struct listen_event ev = { .cause = TCPSCOPE_LISTEN_SYNACK_RETRANS };
	u64 first = tcp_rsk(req)->snt_synack, now = tcp_clock_us();
	struct peer peer;

	tcpscope_probe_hit(data);
	if (!is_tcp_listener(sk))
		return;
	/* num_retrans counts the retransmissions sent so far. */
	ev.retrans = req->num_retrans + 1;
	ev.since_us = first && now > first ? now - first : 0;
	peer_from_req(&peer, sk, req);
	ev.peer = &peer;
	emit(sk, &ev);
}

/* tcp_v{4,6}_syn_recv_sock(sk, skb, req, ...): a request's third ACK. */
static void syn_recv_sock(struct pt_regs *regs)
{
	const struct sock *sk = karg(regs, 0);
	const struct request_sock *req = karg(regs, 2);
	struct listen_event ev = {
		.cause = TCPSCOPE_LISTEN_OVERFLOW,
		.overflow = TCPSCOPE_OVERFLOW_ACCEPTQ_ACK,
	};
	struct peer peer;

	if (!is_tcp_listener(sk) || !sk_acceptq_is_full(sk))
		return;
	peer_from_req(&peer, sk, req);
	ev.peer = &peer;
	emit(sk, &ev);
}

static int syn_recv_sock4_pre(struct kprobe *p, struct pt_regs *regs)
{
	syn_recv_sock(regs);
	return 0;
}

static int syn_recv_sock6_pre(struct kprobe *p, struct pt_regs *regs)
{
	const struct sk_buff *skb = karg(regs, 1);

	/* It hands IPv4 to tcp_v4_syn_recv_sock(). */
	if (skb->protocol != htons(ETH_P_IP))
		syn_recv_sock(regs);
	return 0;
}

struct req_data {
	struct sock *sk;
	struct peer peer;
};

/* A @cause event of listener @sk about its full child socket @child. */
static void emit_child(const struct sock *sk, const struct sock *child,
		       u8 cause)
{
	struct listen_event ev = { .cause = cause };
	struct peer peer;

	if (!is_tcp_listener(sk))
		return;
	peer_from_child(&peer, sk, child);
	ev.peer = &peer;
	emit(sk, &ev);
}

/*
 * tcp_child_process(parent, child, skb): the child of a third ACK (or of a
 * valid SYN cookie) that inet_csk_complete_hashdance() (or
 * tcp_get_cookie_sock()) has just put in the accept queue of @parent.
 */
static int child_process_pre(struct kprobe *p, struct pt_regs *regs)
{
	emit_child(karg(regs, 0), karg(regs, 1), TCPSCOPE_LISTEN_CHILD);
	return 0;
}

/*
 * inet_csk_reqsk_queue_drop(sk, req): a request that is still hashed
 * leaves the SYN queue. One that is not (inet_csk_complete_hashdance()
 * has put its child in its place) cannot be unlinked, and the call
 * returns false: no return probe for it.
 */
static int drop_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct req_data *d = (struct req_data *)ri->data;
	struct request_sock *req = karg(regs, 1);

	d->sk = karg(regs, 0);
	if (!is_tcp_listener(d->sk) || !sk_hashed(req_to_sk(req)))
		return 1;
	peer_from_req(&d->peer, d->sk, req);
	return 0;
}

static int reqsk_drop_return(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	struct req_data *d = (struct req_data *)ri->data;
	struct listen_event ev = {
		.cause = TCPSCOPE_LISTEN_DROP,
		.peer = &d->peer,
	};

	/* It returns whether the request was still in the queue. */
	if (regs_return_value(regs))
		emit(d->sk, &ev);
	return 0;
}

/*
 * inet_csk_reqsk_queue_add(sk, req, child): a Fast Open child at the SYN,
 * or a child that a closing SO_REUSEPORT listener hands on. The other
 * children, in SYN_RECV, are seen at tcp_child_process().
 */
static int queue_add_entry(struct kretprobe_instance *ri,
			   struct pt_regs *regs)
{
	struct req_data *d = (struct req_data *)ri->data;
	const struct request_sock *req = karg(regs, 1);
	const struct sock *child = karg(regs, 2);

	d->sk = karg(regs, 0);
	if (!is_tcp_listener(d->sk) ||
	    (child->sk_state == TCP_SYN_RECV && !tcp_rsk(req)->tfo_listener))
		return 1;
	peer_from_req(&d->peer, d->sk, req);
	return 0;
}

static int queue_add_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct req_data *d = (struct req_data *)ri->data;
	struct listen_event ev = {
		.cause = TCPSCOPE_LISTEN_CHILD,
		.peer = &d->peer,
	};

	if (regs_return_value(regs))
		emit(d->sk, &ev);
	return 0;
}

/*
 * The request whose SYN-ACK timer runs on this CPU. When its retries run
 * out, the timer unlinks it from the SYN queue with functions the compiler
 * inlines there, and frees it: its destructor running inside the timer is
 * the drop.
 */
static DEFINE_PER_CPU(const struct request_sock *, timer_req);

/* reqsk_timer_handler(t) */
static int reqsk_timer_entry(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	struct timer_list *t = karg(regs, 0);

	this_cpu_write(timer_req, container_of(t, struct request_sock,
					       rsk_timer));
	return 0;
}

static int reqsk_timer_return(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	this_cpu_write(timer_req, NULL);
	return 0;
}

/* tcp_v{4,6}_reqsk_destructor(req): a request is being freed. */
static int reqsk_destructor_pre(struct kprobe *p, struct pt_regs *regs)
{
	const struct request_sock *req = karg(regs, 0);
	const struct sock *sk = req->rsk_listener;
	struct listen_event ev = {
		.cause = TCPSCOPE_LISTEN_DROP,
		.flags = TCPSCOPE_LISTEN_F_TIMEOUT,
	};
	struct peer peer;

	if (this_cpu_read(timer_req) != req || !is_tcp_listener(sk))
		return 0;
	peer_from_req(&peer, sk, req);
	ev.peer = &peer;
	emit(sk, &ev);
	return 0;
}

/*
 * __inet_accept(sock, newsock, newsk): accept() took @newsk from the
 * accept queue of sock->sk (inet_accept(), after inet_csk_accept()).
 */
static int accept_pre(struct kprobe *p, struct pt_regs *regs)
{
	const struct socket *sock = karg(regs, 0);

	emit_child(sock->sk, karg(regs, 2), TCPSCOPE_LISTEN_ACCEPT);
	return 0;
}

struct accept_data {
	const struct sock *sk;
	const struct socket *newsock;
};

/*
 * inet_accept(sock, newsock, ...), in place of __inet_accept() where there
 * is none (5.10): it grafts the child it took from the accept queue onto
 * newsock, and returns 0.
 */
static int inet_accept_entry(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	struct accept_data *d = (struct accept_data *)ri->data;
	const struct socket *sock = karg(regs, 0);

	d->sk = sock->sk;
	d->newsock = karg(regs, 1);
	return !is_tcp_listener(d->sk);
}

static int inet_accept_return(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct accept_data *d = (struct accept_data *)ri->data;

	if (!regs_return_value(regs))
		emit_child(d->sk, READ_ONCE(d->newsock->sk),
			   TCPSCOPE_LISTEN_ACCEPT);
	return 0;
}

/*
 * inet_csk_listen_stop(sk): a listener that has just stored TCP_CLOSE
 * (tcp_close(), tcp_disconnect()) drops its queues. Its entries are
 * marked closed here rather than at the tracepoint, which fires before
 * the store: see tcpscope_listeners_update().
 */
static int listen_stop_pre(struct kprobe *p, struct pt_regs *regs)
{
	const struct sock *sk = karg(regs, 0);

	if (sk->sk_protocol == IPPROTO_TCP)
		mark_listener(sk, false);
	return 0;
}

TCPSCOPE_KPROBE_IRQOFF(listen_stop_pre)
TCPSCOPE_KPROBE_IRQOFF(conn_request_pre)
TCPSCOPE_KPROBE_IRQOFF(make_synack_pre)
TCPSCOPE_KPROBE_IRQOFF(syn_recv_sock4_pre)
TCPSCOPE_KPROBE_IRQOFF(syn_recv_sock6_pre)
TCPSCOPE_KPROBE_IRQOFF(reqsk_destructor_pre)
TCPSCOPE_KPROBE_IRQOFF(child_process_pre)
TCPSCOPE_KPROBE_IRQOFF(accept_pre)
TCPSCOPE_KRETPROBE_IRQOFF(drop_entry)
TCPSCOPE_KRETPROBE_IRQOFF(reqsk_drop_return)
TCPSCOPE_KRETPROBE_IRQOFF(queue_add_entry)
TCPSCOPE_KRETPROBE_IRQOFF(queue_add_return)

TCPSCOPE_KRETPROBE_IRQOFF(inet_accept_entry)
TCPSCOPE_KRETPROBE_IRQOFF(inet_accept_return)

enum { LP_LISTEN_STOP };

static struct tcpscope_probe listen_probes[] = {
	[LP_LISTEN_STOP] = TCPSCOPE_KPROBE("listen",
		"a listener's close is marked at the tracepoint, before it stores CLOSE",
		listen_stop_pre_irqoff, "inet_csk_listen_stop"),
	TCPSCOPE_KPROBE("listen", "no syn and overflow (synq, acceptq-syn) events",
			conn_request_pre_irqoff, "tcp_conn_request"),
	TCPSCOPE_KPROBE("listen", "no synack events",
			make_synack_pre_irqoff, "tcp_make_synack"),
	TCPSCOPE_KPROBE("listen", "no IPv4 acceptq-ack overflow events",
			syn_recv_sock4_pre_irqoff, "tcp_v4_syn_recv_sock"),
	TCPSCOPE_KPROBE("listen", "no IPv6 acceptq-ack overflow events",
			syn_recv_sock6_pre_irqoff, "tcp_v6_syn_recv_sock"),
	TCPSCOPE_KPROBE("listen", "no IPv4 timeout drop events",
			reqsk_destructor_pre_irqoff, "tcp_v4_reqsk_destructor"),
	TCPSCOPE_KPROBE("listen", "no IPv6 timeout drop events",
			reqsk_destructor_pre_irqoff, "tcp_v6_reqsk_destructor"),
	TCPSCOPE_KPROBE("listen", "no child events",
			child_process_pre_irqoff, "tcp_child_process"),
	TCPSCOPE_KPROBE("accept", "no accept events",
			accept_pre_irqoff, "__inet_accept"),
	TCPSCOPE_KRETPROBE_ELSE("accept", "no accept events",
				inet_accept_entry_irqoff,
				inet_accept_return_irqoff,
				sizeof(struct accept_data), "inet_accept"),
	TCPSCOPE_KRETPROBE("listen", "no drop events (RST, bad ACK)",
			   drop_entry_irqoff, reqsk_drop_return_irqoff,
			   sizeof(struct req_data), "inet_csk_reqsk_queue_drop"),
	TCPSCOPE_KRETPROBE("listen", "no Fast Open and reuseport child events",
			   queue_add_entry_irqoff, queue_add_return_irqoff,
			   sizeof(struct req_data), "inet_csk_reqsk_queue_add"),
	TCPSCOPE_KRETPROBE("listen", "no timeout drop events",
			   reqsk_timer_entry, reqsk_timer_return, 0,
			   "reqsk_timer_handler"),
	TCPSCOPE_TRACEPOINT("listen", "no synack-retrans events",
			    retransmit_synack, "tcp_retransmit_synack"),
};

struct tcpscope_probe_set tcpscope_listen_probes = {
	.probes = listen_probes,
	.n = ARRAY_SIZE(listen_probes),
};

/**
 * tcpscope_listen_attach() - attach the hooks
 * @events: write listen records to the ring (the listen parameter)
 *
 * The hooks feed the records and the table: without either, none is set.
 * Each one that cannot be set leaves its events out, with a warning.
 */
void tcpscope_listen_attach(bool events)
{
	record_events = events;
	if (record_events || tcpscope_listeners_enabled())
		tcpscope_probes_attach(&tcpscope_listen_probes);
}

void tcpscope_listen_detach(void)
{
	tcpscope_probes_detach(&tcpscope_listen_probes);
}

/**
 * tcpscope_listen_state() - a listener starts or stops listening
 * @sk: the socket
 * @oldstate: its state before
 * @newstate: after: TCP_LISTEN, or TCP_CLOSE from TCP_LISTEN
 *
 * From the state tracepoint. The close is listen_stop_pre()'s, unless
 * that probe is missing.
 */
void tcpscope_listen_state(const struct sock *sk, int oldstate,
			   int newstate)
{
	if (newstate == TCP_LISTEN ||
	    !tcpscope_probe_attached(&listen_probes[LP_LISTEN_STOP]))
		mark_listener(sk, newstate == TCP_LISTEN);
}
