// SPDX-License-Identifier: GPL-2.0
/*
 * listeners: the SYN (half-open) and accept (full) queues of listening
 * sockets, /sys/kernel/debug/tcpscope/listeners and the listener lines of
 * /proc/net/tcpscope.
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
 * Per listener, a table keeps the depths, their maxima, the counts of each
 * event and a SYN-flood flag. Each CPU has a table of its own, and an
 * event updates the one of the CPU it runs on, so that SYNs handled on
 * several CPUs at once never wait for each other: the bucket locks only
 * keep the files' readers out, and a CPU takes only its own ones on the
 * SYN path. A listener's entries sit in the bucket of the same index on
 * every CPU; the files add them up (merge_entry()). Bounded like the
 * connection table: max_listeners entries per CPU allocated at load, in
 * buckets of LISTENERS_WAYS; a full bucket evicts its least recently used
 * entry, closed listeners first. A flood adds records and counts, never
 * memory.
 *
 * The flag, per CPU: within one second (a window), the half-open requests
 * (the SYN queue's depth, which the kernel keeps for the listener, plus
 * the SYNs this CPU saw find it full) reach synflood_halfopen and the SYNs
 * this CPU saw came from at least synflood_sources distinct addresses
 * (estimated: hashed into a 256-bit map). It clears after a window whose
 * half-open count stayed below the threshold, or after two windows
 * without a SYN. A listener's flag is up while it is up on any CPU.
 */

#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/jhash.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#include <net/inet_connection_sock.h>
#include <net/ipv6.h>
#include <net/request_sock.h>
#include <net/tcp.h>

#include "compat.h"
#include "format.h"
#include "listeners.h"
#include "probes.h"
#include "record.h"
#include "ring.h"

#define LISTENERS_WAYS	4
#define FLOOD_WINDOW_NS	NSEC_PER_SEC
#define FLOOD_BITS	256

enum listener_count {
	LC_SYNS,
	LC_SYNACKS,
	LC_RETRANS,
	LC_SYNQ_DROPS,
	LC_SYNQ_COOKIES,	/* SYN queue full, answered with a cookie */
	LC_COOKIES,		/* SYN-ACKs with a cookie, sent */
	LC_ACCEPTQ_DROPS,
	LC_CHILDREN,
	LC_ACCEPTS,
	LC_REQ_DROPS,
	LC_NR,
};

static const char * const count_names[LC_NR] = {
	[LC_SYNS]		= "syns",
	[LC_SYNACKS]		= "synacks",
	[LC_RETRANS]		= "synack_retrans",
	[LC_SYNQ_DROPS]		= "synq_drops",
	[LC_SYNQ_COOKIES]	= "synq_cookies",
	[LC_COOKIES]		= "cookies_sent",
	[LC_ACCEPTQ_DROPS]	= "acceptq_drops",
	[LC_CHILDREN]		= "handshakes",
	[LC_ACCEPTS]		= "accepts",
	[LC_REQ_DROPS]		= "req_drops",
};

struct listener {
	u64 id;			/* the socket's cookie; 0: a free slot */
	u64 t_used;
	u32 netns;
	u8 family;
	bool closed;
	bool flood;
	__be16 port;
	u8 addr[16];
	u32 synq, synq_hi, acceptq, acceptq_hi, limit;
	u64 count[LC_NR];
	/* SYN-flood detection */
	u64 win_start;
	u32 win_full;		/* SYNs that found the SYN queue full */
	u32 win_peak;		/* highest half-open count in the window */
	DECLARE_BITMAP(win_sources, FLOOD_BITS);
	u64 floods;
	u64 flood_since;
	u32 flood_halfopen, flood_sources;
};

struct listener_bucket {
	spinlock_t lock;	/* the slots */
	struct listener slot[LISTENERS_WAYS];
};

/* nbuckets per CPU, CPU after CPU; merged: a bucket of all CPUs, for the files */
static struct listener_bucket *buckets;
static unsigned int nbuckets;
static struct listener *merged;
static DEFINE_MUTEX(merged_mutex);	/* protects merged */
static atomic64_t evicted;
static u32 hash_seed;
static unsigned int flood_halfopen, flood_sources;
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

/* ------------------------------------------------------------ table */

static unsigned int bucket_index(u64 id)
{
	return jhash_2words((u32)id, (u32)(id >> 32), hash_seed) % nbuckets;
}

static struct listener_bucket *cpu_bucket(int cpu, unsigned int i)
{
	return &buckets[(size_t)cpu * nbuckets + i];
}

/* @id's entry in @b, or NULL; the bucket is locked. */
static struct listener *bucket_find(struct listener_bucket *b, u64 id)
{
	int i;

	for (i = 0; i < LISTENERS_WAYS; i++)
		if (b->slot[i].id == id)
			return &b->slot[i];
	return NULL;
}

/* The slot to give a new listener: a free one, else the LRU, closed first. */
static struct listener *bucket_victim(struct listener_bucket *b)
{
	struct listener *v = NULL, *l;
	int i;

	for (i = 0; i < LISTENERS_WAYS; i++) {
		l = &b->slot[i];
		if (!l->id)
			return l;
		if (!v || (l->closed && !v->closed) ||
		    (l->closed == v->closed && l->t_used < v->t_used))
			v = l;
	}
	atomic64_inc(&evicted);
	return v;
}

/* @id's entry, made from @r if there is none; the bucket is locked. */
static struct listener *listener_get(struct listener_bucket *b, u64 id,
				     const struct tcpscope_listen_rec *r)
{
	struct listener *l = bucket_find(b, id);

	if (l)
		return l;
	l = bucket_victim(b);
	memset(l, 0, sizeof(*l));
	l->id = id;
	l->netns = r->hdr.netns;
	l->family = r->family;
	l->port = r->sport;
	memcpy(l->addr, r->saddr, sizeof(l->addr));
	l->limit = r->synq_max;
	return l;
}

static void count_event(struct listener *l, const struct tcpscope_listen_rec *r)
{
	static const u8 by_overflow[] = {
		[TCPSCOPE_OVERFLOW_SYNQ_DROP]	= LC_SYNQ_DROPS,
		[TCPSCOPE_OVERFLOW_SYNQ_COOKIE]	= LC_SYNQ_COOKIES,
		[TCPSCOPE_OVERFLOW_ACCEPTQ_SYN]	= LC_ACCEPTQ_DROPS,
		[TCPSCOPE_OVERFLOW_ACCEPTQ_ACK]	= LC_ACCEPTQ_DROPS,
	};
	static const u8 by_cause[] = {
		[TCPSCOPE_LISTEN_SYN]		= LC_SYNS,
		[TCPSCOPE_LISTEN_SYNACK]	= LC_SYNACKS,
		[TCPSCOPE_LISTEN_SYNACK_RETRANS] = LC_RETRANS,
		[TCPSCOPE_LISTEN_CHILD]		= LC_CHILDREN,
		[TCPSCOPE_LISTEN_ACCEPT]	= LC_ACCEPTS,
		[TCPSCOPE_LISTEN_DROP]		= LC_REQ_DROPS,
	};

	if (r->cause == TCPSCOPE_LISTEN_OVERFLOW) {
		if (r->overflow && r->overflow < ARRAY_SIZE(by_overflow))
			l->count[by_overflow[r->overflow]]++;
		return;
	}
	if (r->cause < ARRAY_SIZE(by_cause))
		l->count[by_cause[r->cause]]++;
	if (r->flags & TCPSCOPE_LISTEN_F_COOKIE)
		l->count[LC_COOKIES]++;
}

/* Is the flag still meaningful at @now: has a SYN come in lately? */
static bool flood_current(const struct listener *l, u64 now)
{
	/* Stamped before the lock: @now may be a little older than win_start. */
	return l->flood && (s64)(now - l->win_start) < 2 * FLOOD_WINDOW_NS;
}

static void flood_update(struct listener *l, const struct tcpscope_listen_rec *r,
			 u64 now)
{
	u32 halfopen, sources;

	if ((s64)(now - l->win_start) >= FLOOD_WINDOW_NS) {
		if (!flood_current(l, now) || l->win_peak < flood_halfopen)
			l->flood = false;
		l->win_start = now;
		l->win_full = 0;
		l->win_peak = 0;
		bitmap_zero(l->win_sources, FLOOD_BITS);
	}
	if (r->cause == TCPSCOPE_LISTEN_SYN)
		__set_bit(jhash(r->daddr, sizeof(r->daddr), hash_seed) %
			  FLOOD_BITS, l->win_sources);
	if (r->cause == TCPSCOPE_LISTEN_OVERFLOW &&
	    (r->overflow == TCPSCOPE_OVERFLOW_SYNQ_DROP ||
	     r->overflow == TCPSCOPE_OVERFLOW_SYNQ_COOKIE))
		l->win_full++;
	halfopen = r->synq + l->win_full;
	l->win_peak = max(l->win_peak, halfopen);
	if (l->flood || !flood_halfopen || halfopen < flood_halfopen)
		return;
	sources = bitmap_weight(l->win_sources, FLOOD_BITS);
	if (sources < flood_sources)
		return;
	l->flood = true;
	l->floods++;
	l->flood_since = now;
	l->flood_halfopen = halfopen;
	l->flood_sources = sources;
}

/*
 * Account @r, an event of listener @sk, to it in this CPU's table.
 * Return: whether the SYN-flood flag is set there.
 *
 * An event may have seen @sk listening just before it closed, and reach
 * the table after listen_stop_pre() marked the listener's entries closed.
 * It creates no entry then: the closing CPU stores TCP_CLOSE before it
 * takes any bucket lock to mark the entries, so an entry made under this
 * lock while @sk still listened is one that marking finds.
 */
static bool listener_update(const struct sock *sk,
			    const struct tcpscope_listen_rec *r)
{
	struct listener_bucket *b;
	struct listener *l;
	unsigned long flags;
	u64 now = r->hdr.ts_ns;
	bool flood = false;

	if (!buckets)
		return false;
	local_irq_save(flags);
	b = cpu_bucket(smp_processor_id(), bucket_index(r->hdr.conn_id));
	spin_lock(&b->lock);
	l = bucket_find(b, r->hdr.conn_id);
	if (!l && READ_ONCE(sk->sk_state) != TCP_LISTEN)
		goto out_unlock;
	if (!l)
		l = listener_get(b, r->hdr.conn_id, r);
	l->t_used = now;
	l->synq = r->synq;
	l->acceptq = r->acceptq;
	l->limit = r->synq_max;
	l->synq_hi = max(l->synq_hi, r->synq);
	l->acceptq_hi = max(l->acceptq_hi, r->acceptq);
	count_event(l, r);
	flood_update(l, r, now);
	flood = l->flood;
out_unlock:
	spin_unlock(&b->lock);
	local_irq_restore(flags);
	return flood;
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
	if (listener_update(sk, &r))
		r.flags |= TCPSCOPE_LISTEN_F_FLOOD;
	if (record_events)
		tcpscope_ring_write(&r.hdr);
}

/*
 * @sk starts (@listening) or stops listening: every CPU's entry learns it,
 * and this CPU's table gets one, so that a closed listener's entry stays
 * closed. Rare.
 */
static void mark_listener(const struct sock *sk, bool listening)
{
	struct tcpscope_listen_rec r;
	struct listener_bucket *b;
	struct listener *l;
	unsigned long flags;
	unsigned int i;
	int cpu, self;

	if (!buckets)
		return;
	memset(&r, 0, sizeof(r));
	fill_listener(&r, sk);
	i = bucket_index(r.hdr.conn_id);
	self = get_cpu();
	for_each_possible_cpu(cpu) {
		b = cpu_bucket(cpu, i);
		spin_lock_irqsave(&b->lock, flags);
		l = cpu == self ? listener_get(b, r.hdr.conn_id, &r) :
				  bucket_find(b, r.hdr.conn_id);
		if (l) {
			l->t_used = r.hdr.ts_ns;
			l->closed = !listening;
			l->synq = listening ? r.synq : 0;
			l->acceptq = listening ? r.acceptq : 0;
		}
		spin_unlock_irqrestore(&b->lock, flags);
	}
	put_cpu();
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

	/* A retransmission: tcpscope_listeners_retransmit_synack(). */
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
 * the store: see listener_update().
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

struct tcpscope_probe_set tcpscope_listeners_probes = {
	.probes = listen_probes,
	.n = ARRAY_SIZE(listen_probes),
};

/*
 * The hooks feed the records and the table: without either, none is set.
 * Each one that cannot be set leaves its events out, with a warning.
 */
void tcpscope_listeners_attach(void)
{
	if (record_events || buckets)
		tcpscope_probes_attach(&tcpscope_listeners_probes);
}

void tcpscope_listeners_detach(void)
{
	tcpscope_probes_detach(&tcpscope_listeners_probes);
}

/**
 * tcpscope_listeners_state() - a listener starts or stops listening
 * @sk: the socket
 * @oldstate: its state before
 * @newstate: after: TCP_LISTEN, or TCP_CLOSE from TCP_LISTEN
 *
 * From the state tracepoint. The close is listen_stop_pre()'s, unless
 * that probe is missing.
 */
void tcpscope_listeners_state(const struct sock *sk, int oldstate,
			      int newstate)
{
	if (newstate == TCP_LISTEN ||
	    !tcpscope_probe_attached(&listen_probes[LP_LISTEN_STOP]))
		mark_listener(sk, newstate == TCP_LISTEN);
}

/* ------------------------------------------------------------ files */

static void show_endpoint(struct seq_file *m, const struct listener *l)
{
	char buf[TCPSCOPE_ENDPOINT_MAX];

	*tcpscope_put_endpoint(buf, l->family, l->addr, l->port) = '\0';
	seq_puts(m, buf);
}

static void show_queues(struct seq_file *m, const struct listener *l)
{
	seq_printf(m, " synq %u/%u max %u acceptq %u/%u max %u", l->synq,
		   l->limit, l->synq_hi, l->acceptq, l->limit, l->acceptq_hi);
}

static void show_flood(struct seq_file *m, const struct listener *l, u64 now)
{
	seq_printf(m, " synflood %s floods %llu", flood_current(l, now) ?
		   "yes" : "no", l->floods);
	if (l->floods)
		seq_printf(m, " last_halfopen %u last_sources %u last_ago_ms %llu",
			   l->flood_halfopen, l->flood_sources,
			   div_u64(now - l->flood_since, NSEC_PER_MSEC));
}

static void show_listener(struct seq_file *m, const struct listener *l,
			  u64 now)
{
	int i;

	seq_printf(m, "ns=%u id=%llx ", l->netns, l->id);
	show_endpoint(m, l);
	seq_puts(m, l->closed ? " closed" : " listening");
	show_queues(m, l);
	for (i = 0; i < LC_NR; i++)
		seq_printf(m, " %s %llu", count_names[i], l->count[i]);
	show_flood(m, l, now);
	seq_putc(m, '\n');
}

/*
 * Add @src, another CPU's entry for the same listener, to @dst: the counts
 * add up, the maxima take the higher, the depths are the latest sample's;
 * the flag is up (at @now) if it is up on either CPU, and floods is the
 * most that one CPU counted.
 */
static void merge_entry(struct listener *dst, const struct listener *src,
			u64 now)
{
	int i;

	for (i = 0; i < LC_NR; i++)
		dst->count[i] += src->count[i];
	dst->synq_hi = max(dst->synq_hi, src->synq_hi);
	dst->acceptq_hi = max(dst->acceptq_hi, src->acceptq_hi);
	dst->closed |= src->closed;
	if (src->t_used > dst->t_used) {
		dst->t_used = src->t_used;
		dst->synq = src->synq;
		dst->acceptq = src->acceptq;
		dst->limit = src->limit;
	}
	if (flood_current(src, now) && !flood_current(dst, now)) {
		dst->flood = true;
		dst->win_start = src->win_start;
	}
	if (src->floods && src->flood_since > dst->flood_since) {
		dst->flood_since = src->flood_since;
		dst->flood_halfopen = src->flood_halfopen;
		dst->flood_sources = src->flood_sources;
	}
	dst->floods = max(dst->floods, src->floods);
}

/*
 * Bucket @i of every CPU into merged[], an entry per listener, under
 * merged_mutex. Return: how many.
 */
static unsigned int gather_bucket(unsigned int i, u64 now)
{
	unsigned int n = 0, j, k;
	unsigned long flags;
	int cpu;

	lockdep_assert_held(&merged_mutex);
	for_each_possible_cpu(cpu) {
		struct listener_bucket *b = cpu_bucket(cpu, i);

		spin_lock_irqsave(&b->lock, flags);
		for (j = 0; j < LISTENERS_WAYS; j++) {
			const struct listener *l = &b->slot[j];

			if (!l->id)
				continue;
			for (k = 0; k < n && merged[k].id != l->id; k++)
				;
			if (k < n)
				merge_entry(&merged[k], l, now);
			else
				merged[n++] = *l;
		}
		spin_unlock_irqrestore(&b->lock, flags);
	}
	return n;
}

/*
 * The seq_file position: 0 the header, i + 1 bucket i of every CPU, named
 * by CPU 0's.
 */
static void *listeners_seq_pos(loff_t pos)
{
	return pos <= nbuckets ? cpu_bucket(0, pos - 1) : NULL;
}

static void *listeners_seq_start(struct seq_file *m, loff_t *pos)
{
	if (*pos == 0)
		return SEQ_START_TOKEN;
	return listeners_seq_pos(*pos);
}

static void *listeners_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return listeners_seq_pos(*pos);
}

static void listeners_seq_stop(struct seq_file *m, void *v)
{
}

static int listeners_seq_show(struct seq_file *m, void *v)
{
	unsigned int i, n;
	u64 now;

	if (v == SEQ_START_TOKEN) {
		seq_printf(m, "# max_listeners %u evicted %lld synflood_halfopen %u synflood_sources %u\n",
			   nbuckets * LISTENERS_WAYS,
			   (long long)atomic64_read(&evicted), flood_halfopen,
			   flood_sources);
		return 0;
	}
	now = ktime_get_mono_fast_ns();
	mutex_lock(&merged_mutex);
	n = gather_bucket((struct listener_bucket *)v - buckets, now);
	for (i = 0; i < n; i++)
		show_listener(m, &merged[i], now);
	mutex_unlock(&merged_mutex);
	return 0;
}

static const struct seq_operations listeners_sops = {
	.start	= listeners_seq_start,
	.next	= listeners_seq_next,
	.stop	= listeners_seq_stop,
	.show	= listeners_seq_show,
};
DEFINE_SEQ_ATTRIBUTE(listeners);

/* The listeners file, in @dir. */
void tcpscope_listeners_debugfs(struct dentry *dir)
{
	debugfs_create_file("listeners", 0400, dir, NULL, &listeners_fops);
}

static void show_net_listener(struct seq_file *m, const struct listener *l,
			      u64 now)
{
	seq_puts(m, "listener ");
	show_endpoint(m, l);
	show_queues(m, l);
	seq_printf(m, " syns %llu synq_overflows %llu cookies_sent %llu acceptq_overflows %llu handshakes %llu",
		   l->count[LC_SYNS],
		   l->count[LC_SYNQ_DROPS] + l->count[LC_SYNQ_COOKIES],
		   l->count[LC_COOKIES], l->count[LC_ACCEPTQ_DROPS],
		   l->count[LC_CHILDREN]);
	show_flood(m, l, now);
	seq_putc(m, '\n');
}

/*
 * Whether bucket @i of some CPU holds an entry of namespace @netns: a look
 * without the lock, so that a reader of /proc/net/tcpscope, which anyone
 * may be, locks (with interrupts off) only the buckets it shows. An entry
 * made during the look may be missed, as it may by a later look.
 */
static bool bucket_has_netns(unsigned int i, u32 netns)
{
	unsigned int j;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct listener_bucket *b = cpu_bucket(cpu, i);

		for (j = 0; j < LISTENERS_WAYS; j++)
			/* Racy by design: a hint, confirmed under the lock. */
			if (data_race(b->slot[j].id && b->slot[j].netns == netns))
				return true;
	}
	return false;
}

/* Records of /proc/net/tcpscope the listener lines take: a bucket each. */
unsigned int tcpscope_listeners_net_buckets(void)
{
	return buckets ? nbuckets : 0;
}

/*
 * /proc/net/tcpscope: a line per listener of @net that still listens, of
 * those in bucket @i (< tcpscope_listeners_net_buckets()).
 */
void tcpscope_listeners_show_net(struct seq_file *m, const struct net *net,
				 unsigned int i)
{
	u64 now = ktime_get_mono_fast_ns();
	unsigned int j, n;

	if (!buckets || i >= nbuckets || !bucket_has_netns(i, net->ns.inum))
		return;
	mutex_lock(&merged_mutex);
	n = gather_bucket(i, now);
	for (j = 0; j < n; j++)
		if (!merged[j].closed && merged[j].netns == net->ns.inum)
			show_net_listener(m, &merged[j], now);
	mutex_unlock(&merged_mutex);
}

/**
 * tcpscope_listeners_init() - allocate the tables, one per CPU
 * @p: the module parameters
 *
 * Return: 0 or -ENOMEM.
 */
int tcpscope_listeners_init(const struct tcpscope_listeners_params *p)
{
	size_t i, n;

	record_events = p->events;
	flood_halfopen = p->synflood_halfopen;
	flood_sources = p->synflood_sources;
	if (!p->max_listeners)
		return 0;
	nbuckets = DIV_ROUND_UP(p->max_listeners, LISTENERS_WAYS);
	n = array_size(nbuckets, nr_cpu_ids);
	buckets = vzalloc(array_size(n, sizeof(*buckets)));
	merged = kvcalloc(array_size(LISTENERS_WAYS, nr_cpu_ids),
			  sizeof(*merged), GFP_KERNEL);
	if (!buckets || !merged) {
		tcpscope_listeners_exit();
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		spin_lock_init(&buckets[i].lock);
	hash_seed = get_random_u32();
	return 0;
}

/* Only once no hook can call in any more. */
void tcpscope_listeners_exit(void)
{
	vfree(buckets);
	kvfree(merged);
	buckets = NULL;
	merged = NULL;
	nbuckets = 0;
}
