// SPDX-License-Identifier: GPL-2.0
/*
 * pernet: what each network namespace sees in /proc/net/tcpscope.
 *
 * Transition counts are per-CPU per namespace, exact even when the event
 * buffer loses records. The sockets-per-state table is not kept: it is
 * counted at read time from the kernel's own TCP hash tables, the way
 * inet_diag (and so ss) counts them.
 */

#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/seq_file_net.h>
#include <net/inet_hashtables.h>
#include <net/inet_timewait_sock.h>
#include <net/netns/generic.h>
#include <net/tcp.h>

#include "compat.h"
#include "format.h"
#include "listeners.h"
#include "pernet.h"
#include "ring.h"

#define NSTATES	TCPSCOPE_MAX_STATES

/* What the packet hooks count (module/packets.c). */
enum packet_counter {
	PKT_TX,		/* segments sent, recorded */
	PKT_RX,		/* segments received, recorded */
	PKT_BAD,	/* skipped: short or inconsistent headers */
	PKT_FRAG,	/* skipped: a fragment (its packet, once whole) */
	PKT_NR,
};

struct pernet_counters {
	u64 trans[NSTATES][NSTATES];
	u64 packets[PKT_NR];
	u64 handshakes;		/* timed: the SYN and the final ACK seen */
	u64 handshake_ns;	/* their sum */
	u64 handshake_max_ns;	/* this CPU's longest */
};

struct tcpscope_net {
	struct pernet_counters __percpu *counters;
};

static unsigned int tcpscope_net_id __read_mostly;

/* The namespace's counters, or NULL. Any context but NMI, under RCU. */
static struct pernet_counters __percpu *net_counters(const struct net *net)
{
	struct tcpscope_net *tn;

	/* A dying namespace may already have lost its tcpscope_net. */
	if (!check_net(net))
		return NULL;
	tn = net_generic(net, tcpscope_net_id);
	/* A namespace being set up may not have it yet. */
	if (unlikely(!tn))
		return NULL;
	return READ_ONCE(tn->counters);
}

/* Called from the hooks, in any context but NMI, under RCU. */
void tcpscope_pernet_count(const struct net *net, int oldstate, int newstate)
{
	struct pernet_counters __percpu *counters;

	if (oldstate >= NSTATES || newstate >= NSTATES)
		return;
	counters = net_counters(net);
	if (likely(counters))
		this_cpu_inc(counters->trans[oldstate][newstate]);
}

static void count_packet(const struct net *net, enum packet_counter what)
{
	struct pernet_counters __percpu *counters = net_counters(net);

	if (likely(counters))
		this_cpu_inc(counters->packets[what]);
}

/* Called from the netfilter hooks, under RCU: a segment recorded, @tx or rx. */
void tcpscope_pernet_count_segment(const struct net *net, bool tx)
{
	count_packet(net, tx ? PKT_TX : PKT_RX);
}

/* Likewise: a segment skipped, a fragment (@frag) or one with bad headers. */
void tcpscope_pernet_count_skipped(const struct net *net, bool frag)
{
	count_packet(net, frag ? PKT_FRAG : PKT_BAD);
}

/**
 * tcpscope_pernet_handshake() - a handshake completed, SYN to final ACK
 * @net: its namespace
 * @ns: how long it took
 *
 * Called with interrupts off (under a conns bucket lock), under RCU.
 */
void tcpscope_pernet_handshake(const struct net *net, u64 ns)
{
	struct pernet_counters __percpu *counters = net_counters(net);
	struct pernet_counters *c;

	if (unlikely(!counters))
		return;
	c = this_cpu_ptr(counters);
	c->handshakes++;
	c->handshake_ns += ns;
	if (ns > c->handshake_max_ns)
		c->handshake_max_ns = ns;
}

static const char * const packet_counter_names[PKT_NR] = {
	[PKT_TX]	= "tx",
	[PKT_RX]	= "rx",
	[PKT_BAD]	= "bad",
	[PKT_FRAG]	= "frag",
};

static void show_packets(struct seq_file *m, struct tcpscope_net *tn)
{
	int i, cpu;

	for (i = 0; i < PKT_NR; i++) {
		u64 n = 0;

		for_each_possible_cpu(cpu)
			n += per_cpu_ptr(tn->counters, cpu)->packets[i];
		seq_printf(m, "packets %s %llu\n", packet_counter_names[i], n);
	}
}

static u64 trans_sum(struct tcpscope_net *tn, int old, int new)
{
	u64 n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += per_cpu_ptr(tn->counters, cpu)->trans[old][new];
	return n;
}

static void show_transitions(struct seq_file *m, struct tcpscope_net *tn)
{
	int old, new;

	for (old = 0; old < NSTATES; old++) {
		for (new = 0; new < NSTATES; new++) {
			u64 n = trans_sum(tn, old, new);

			if (n)
				seq_printf(m, "%s -> %s %llu\n",
					   tcpscope_state_name(old),
					   tcpscope_state_name(new), n);
		}
	}
}

/* Mean and max over the handshakes timed in this namespace, in us. */
static void show_latency(struct seq_file *m, struct tcpscope_net *tn)
{
	u64 n = 0, sum = 0, max = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct pernet_counters *c = per_cpu_ptr(tn->counters, cpu);

		n += READ_ONCE(c->handshakes);
		sum += READ_ONCE(c->handshake_ns);
		max = max_t(u64, max, READ_ONCE(c->handshake_max_ns));
	}
	seq_printf(m, "handshake latency count %llu mean_us %llu max_us %llu\n",
		   n, n ? div_u64(div64_u64(sum, n), NSEC_PER_USEC) : 0,
		   div_u64(max, NSEC_PER_USEC));
}

/*
 * What the transitions add up to. A close by reset is a connection that
 * went to CLOSE from a state that a FIN exchange never ends in: an RST
 * sent (abort, SO_LINGER 0) or received.
 */
static void show_summary(struct seq_file *m, struct tcpscope_net *tn)
{
	static const int reset_from[] = {
		TCP_ESTABLISHED, TCP_CLOSE_WAIT, TCP_FIN_WAIT1, TCP_CLOSING,
	};
	u64 resets = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(reset_from); i++)
		resets += trans_sum(tn, reset_from[i], TCP_CLOSE);
	seq_printf(m, "handshakes active %llu passive %llu failed %llu\n",
		   trans_sum(tn, TCP_SYN_SENT, TCP_ESTABLISHED),
		   trans_sum(tn, TCP_SYN_RECV, TCP_ESTABLISHED),
		   trans_sum(tn, TCP_SYN_SENT, TCP_CLOSE) +
		   trans_sum(tn, TCP_SYN_RECV, TCP_CLOSE));
	show_latency(m, tn);
	seq_printf(m, "closes active %llu passive %llu simultaneous %llu reset %llu\n",
		   trans_sum(tn, TCP_ESTABLISHED, TCP_FIN_WAIT1),
		   trans_sum(tn, TCP_ESTABLISHED, TCP_CLOSE_WAIT),
		   trans_sum(tn, TCP_FIN_WAIT1, TCP_CLOSING), resets);
	seq_printf(m, "timewait entered %llu finished %llu\n",
		   trans_sum(tn, TCP_FIN_WAIT2, TCP_TIME_WAIT) +
		   trans_sum(tn, TCP_CLOSING, TCP_TIME_WAIT),
		   trans_sum(tn, TCP_TIME_WAIT, TCP_CLOSE));
}

static void count_listeners(struct inet_hashinfo *h, const struct net *net,
			    unsigned int *count)
{
	unsigned int i;

	for (i = 0; i <= h->lhash2_mask; i++) {
		struct inet_listen_hashbucket *ilb = &h->lhash2[i];

		if (compat_ilb_empty(ilb))
			continue;
		spin_lock(&ilb->lock);
		count[TCP_LISTEN] += compat_ilb_count(ilb, net);
		spin_unlock(&ilb->lock);
	}
}

/* As inet_diag reports them: timewait by substate, requests as SYN_RECV. */
static int sock_diag_state(const struct sock *sk)
{
	if (sk->sk_state == TCP_TIME_WAIT)
		return inet_twsk(sk)->tw_substate;
	if (sk->sk_state == TCP_NEW_SYN_RECV)
		return TCP_SYN_RECV;
	return sk->sk_state;
}

static void count_established(struct inet_hashinfo *h, const struct net *net,
			      unsigned int *count)
{
	unsigned int i;

	for (i = 0; i <= h->ehash_mask; i++) {
		struct inet_ehash_bucket *head = &h->ehash[i];
		spinlock_t *lock = inet_ehash_lockp(h, i);
		struct hlist_nulls_node *node;
		struct sock *sk;

		if (hlist_nulls_empty(&head->chain))
			continue;
		spin_lock_bh(lock);
		sk_nulls_for_each(sk, node, &head->chain) {
			int state;

			if (!net_eq(sock_net(sk), net))
				continue;
			state = sock_diag_state(sk);
			if (state < NSTATES)
				count[state]++;
		}
		spin_unlock_bh(lock);
	}
}

static const int shown_states[] = {
	TCP_LISTEN, TCP_SYN_SENT, TCP_SYN_RECV, TCP_ESTABLISHED,
	TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_CLOSE_WAIT, TCP_CLOSING,
	TCP_LAST_ACK, TCP_TIME_WAIT,
};

static void show_sockets(struct seq_file *m, struct net *net)
{
	struct inet_hashinfo *h = net->ipv4.tcp_death_row.hashinfo;
	unsigned int count[NSTATES] = {};
	int i;

	count_listeners(h, net, count);
	count_established(h, net, count);
	for (i = 0; i < ARRAY_SIZE(shown_states); i++)
		seq_printf(m, "sockets %s %u\n",
			   tcpscope_state_name(shown_states[i]),
			   count[shown_states[i]]);
}

/*
 * The file is a seq_file iterator over its parts, so that a read whose
 * output outgrows the buffer runs only the part that did not fit again,
 * not the whole file (single_open() reruns everything for every doubling
 * of its buffer: five hash walks for a namespace with a few hundred
 * listeners). The records: the head (transitions, summary, the sockets
 * counted from the hash tables), a bucket of the listener table each, the
 * tail (packets, lost).
 */
static loff_t proc_records(void)
{
	return 2 + tcpscope_listeners_net_buckets();
}

static void *proc_seq_start(struct seq_file *m, loff_t *pos)
{
	/* Record n is the non-NULL token n + 1. */
	return *pos < proc_records() ? (void *)(uintptr_t)(*pos + 1) : NULL;
}

static void *proc_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return proc_seq_start(m, pos);
}

static void proc_seq_stop(struct seq_file *m, void *v)
{
}

static void show_head(struct seq_file *m, struct net *net,
		      struct tcpscope_net *tn)
{
	seq_printf(m, "# tcpscope ns=%u\n", net->ns.inum);
	show_transitions(m, tn);
	show_summary(m, tn);
	show_sockets(m, net);
}

/*
 * The ring is shared by every namespace, and a lost record's namespace is
 * not known once it is lost: its count would tell a container about the
 * host's traffic. Only the initial namespace shows it.
 */
static void show_tail(struct seq_file *m, struct net *net,
		      struct tcpscope_net *tn)
{
	show_packets(m, tn);
	if (net_eq(net, &init_net))
		seq_printf(m, "lost %llu\n", tcpscope_ring_lost());
}

static int proc_seq_show(struct seq_file *m, void *v)
{
	loff_t rec = (uintptr_t)v - 1;
	struct net *net = seq_file_net(m);
	struct tcpscope_net *tn = net_generic(net, tcpscope_net_id);

	/* Published after the counters were set: tcpscope_net_init(). */
	if (!READ_ONCE(tn->counters))
		return -ENOENT;
	if (rec == 0)
		show_head(m, net, tn);
	else if (rec == proc_records() - 1)
		show_tail(m, net, tn);
	else
		tcpscope_listeners_show_net(m, net, rec - 1);
	return 0;
}

static const struct seq_operations proc_seq_ops = {
	.start	= proc_seq_start,
	.next	= proc_seq_next,
	.stop	= proc_seq_stop,
	.show	= proc_seq_show,
};

static int __net_init tcpscope_net_init(struct net *net)
{
	struct tcpscope_net *tn = net_generic(net, tcpscope_net_id);
	struct pernet_counters __percpu *counters;

	counters = alloc_percpu(struct pernet_counters);
	if (!counters)
		return -ENOMEM;
	/* Before the file is published: a reader may open it at once. */
	WRITE_ONCE(tn->counters, counters);
	if (!proc_create_net("tcpscope", 0444, net->proc_net, &proc_seq_ops,
			     sizeof(struct seq_net_private))) {
		WRITE_ONCE(tn->counters, NULL);
		synchronize_rcu();	/* hooks of a live namespace saw them */
		free_percpu(counters);
		return -ENOMEM;
	}
	return 0;
}

/*
 * The namespace's refcount is zero by now, so the hooks no longer touch
 * tn (see check_net() above), and any hook that did has finished: the
 * core waits for an RCU grace period between pre_exit and exit.
 */
static void __net_exit tcpscope_net_exit(struct net *net)
{
	struct tcpscope_net *tn = net_generic(net, tcpscope_net_id);

	remove_proc_entry("tcpscope", net->proc_net);
	free_percpu(tn->counters);
	tn->counters = NULL;
}

static struct pernet_operations tcpscope_net_ops = {
	.init	= tcpscope_net_init,
	.exit	= tcpscope_net_exit,
	.id	= &tcpscope_net_id,
	.size	= sizeof(struct tcpscope_net),
};

int tcpscope_pernet_init(void)
{
	return register_pernet_subsys(&tcpscope_net_ops);
}

void tcpscope_pernet_exit(void)
{
	unregister_pernet_subsys(&tcpscope_net_ops);
}
