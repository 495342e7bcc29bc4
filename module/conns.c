// SPDX-License-Identifier: GPL-2.0
/*
 * conns: the per-connection table and /sys/kernel/debug/tcpscope/connections.
 *
 * One entry per connection, keyed by network namespace and 4-tuple as the
 * local end sees it. The state hooks give each entry its id, its state
 * and the time it spent in each state; the packet hooks give it the ISNs,
 * the times of the SYN, the first SYN-ACK and the ACK that completes the
 * handshake, and the article's checks: the SYN-ACK acknowledges the
 * client's ISN + 1, the final ACK the server's ISN + 1.
 *
 * Bounded: max_conns entries are allocated once, at load, in buckets of
 * CONNS_WAYS. A connection whose bucket is full takes the place of the
 * bucket's least recently updated entry, closed connections first, and
 * the eviction is counted. A SYN flood from random addresses churns the
 * table; it never grows it. Each bucket has its own lock, taken with
 * interrupts off (kprobe handlers may run with them off already); there
 * is no global lock. Entries of closed connections stay until evicted, so
 * that their history can still be read.
 */

#include <linux/debugfs.h>
#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#include <net/ipv6.h>
#include <net/tcp.h>
#include <net/tcp_states.h>

#include "conns.h"
#include "format.h"
#include "pernet.h"

#define CONNS_WAYS	8

enum conn_role {
	ROLE_UNKNOWN,
	ROLE_ACTIVE,	/* sent the SYN */
	ROLE_PASSIVE,	/* received it */
};

/* Handshake checks: not done yet (0), passed or failed. */
enum conn_check {
	CHECK_NONE,
	CHECK_OK,
	CHECK_BAD,
};

struct conn_key {
	u32 netns;
	u8 family;
	u8 pad;
	__be16 lport;
	__be16 rport;
	u16 pad2;
	u8 laddr[16];
	u8 raddr[16];
};

/*
 * @t_*: CLOCK_MONOTONIC ns, as the records' timestamps; 0: not seen.
 * @in_state: ns spent in each state left so far.
 */
struct conn {
	struct conn_key key;
	u64 id;
	u64 id2;		/* a second child for the connection (racing ACKs) */
	u64 t_syn;
	u64 t_synack;
	u64 t_ack;
	u64 t_state;
	u64 t_used;
	u64 in_state[TCPSCOPE_MAX_STATES];
	u32 isn_local;
	u32 isn_remote;
	u32 syn_len;		/* data on the SYN (Fast Open) */
	u16 synacks;		/* SYN-ACKs seen, retransmits included */
	u8 path[TCPSCOPE_MAX_STATES];	/* states entered, in order */
	u8 npath;
	u8 used;
	u8 role;
	u8 state;		/* 0: none seen yet */
	u8 have_isn_local:1;
	u8 have_isn_remote:1;
	u8 closed:1;
	u8 synack_check:2;
	u8 ack_check:2;
};

struct conn_bucket {
	spinlock_t lock;	/* protects slot[] */
	struct conn slot[CONNS_WAYS];
};

static struct {
	struct conn_bucket *buckets;
	unsigned int nbuckets;
	u32 hash_seed;
	atomic64_t evicted;
} conns;

static void conn_key_init(struct conn_key *k, u32 netns, u8 family,
			  const u8 *laddr, __be16 lport,
			  const u8 *raddr, __be16 rport)
{
	memset(k, 0, sizeof(*k));
	k->netns = netns;
	k->lport = lport;
	k->rport = rport;
	/* IPv4 on a dual-stack socket: keyed as on the wire. */
	if (family == AF_INET6 &&
	    ipv6_addr_v4mapped((const struct in6_addr *)laddr) &&
	    ipv6_addr_v4mapped((const struct in6_addr *)raddr)) {
		family = AF_INET;
		laddr += 12;
		raddr += 12;
	}
	k->family = family;
	memcpy(k->laddr, laddr, family == AF_INET6 ? 16 : 4);
	memcpy(k->raddr, raddr, family == AF_INET6 ? 16 : 4);
}

static struct conn_bucket *key_bucket(const struct conn_key *k)
{
	u32 h = jhash2((const u32 *)k, sizeof(*k) / sizeof(u32),
		       conns.hash_seed);

	return &conns.buckets[reciprocal_scale(h, conns.nbuckets)];
}

/*
 * Keys are compared, like hashed, as words: conn_key_init() zeroes the
 * padding, and the whole key is compared without a branch per byte.
 */
static bool conn_key_equal(const struct conn_key *a, const struct conn_key *b)
{
	const u32 *x = (const u32 *)a, *y = (const u32 *)b;
	unsigned int i;
	u32 diff = 0;

	BUILD_BUG_ON(sizeof(*a) % sizeof(u32));
	for (i = 0; i < sizeof(*a) / sizeof(u32); i++)
		diff |= x[i] ^ y[i];
	return !diff;
}

/* The entry for @k in @b, or NULL. Under b->lock. */
static struct conn *bucket_find(struct conn_bucket *b,
				const struct conn_key *k)
{
	int i;

	for (i = 0; i < CONNS_WAYS; i++)
		if (b->slot[i].used && conn_key_equal(&b->slot[i].key, k))
			return &b->slot[i];
	return NULL;
}

/* A fresh entry for @k: a free slot, or the one to evict. Under b->lock. */
static struct conn *bucket_take(struct conn_bucket *b,
				const struct conn_key *k)
{
	struct conn *victim = NULL, *c;
	int i;

	for (i = 0; i < CONNS_WAYS; i++) {
		c = &b->slot[i];
		if (!c->used) {
			victim = c;
			break;
		}
		if (!victim || c->closed > victim->closed ||
		    (c->closed == victim->closed && c->t_used < victim->t_used))
			victim = c;
	}
	if (victim->used)
		atomic64_inc(&conns.evicted);
	memset(victim, 0, sizeof(*victim));
	victim->key = *k;
	victim->used = 1;
	return victim;
}

static void conn_reset(struct conn *c)
{
	struct conn_key k = c->key;

	memset(c, 0, sizeof(*c));
	c->key = k;
	c->used = 1;
}

/* Forget what the state hooks told, keep what the segments did. */
static void conn_forget_states(struct conn *c)
{
	c->id = 0;
	c->state = 0;
	c->t_state = 0;
	c->closed = 0;
	c->npath = 0;
	memset(c->in_state, 0, sizeof(c->in_state));
}

/* Move @c to @state at @now, adding the time spent in the state it left. */
static void conn_enter(struct conn *c, int state, u64 now)
{
	int i;

	if (c->state && c->t_state && c->state < TCPSCOPE_MAX_STATES)
		c->in_state[c->state] += now - c->t_state;
	c->state = state;
	c->t_state = now;
	if (state == TCP_CLOSE) {
		c->closed = 1;
		return;
	}
	for (i = 0; i < c->npath; i++)
		if (c->path[i] == state)
			return;
	if (c->npath < ARRAY_SIZE(c->path))
		c->path[c->npath++] = state;
}

/* Does this transition start a new connection on the entry's 4-tuple? */
static bool starts_conn(int oldstate, int newstate)
{
	return (oldstate == TCP_CLOSE && newstate == TCP_SYN_SENT) ||
	       (oldstate == TCP_LISTEN && newstate == TCP_SYN_RECV);
}

/* A child that died in SYN_RECV, its only state: a duplicate. */
static bool died_as_duplicate(const struct conn *c)
{
	return c->closed && c->npath == 1 && c->path[0] == TCP_SYN_RECV;
}

/*
 * A transition of a socket other than the entry's: whether the entry now
 * follows it. Yes for a new connection on the 4-tuple once the old one is
 * gone (or the entry has none yet). Two racing ACKs can make the kernel
 * create two children for one connection, announce both, and destroy the
 * loser in SYN_RECV: the entry follows whichever child lives on.
 * Anything else (the old timewait socket ending after its port was
 * reused) is left out.
 */
static bool conn_adopt(struct conn *c, const struct tcpscope_state_rec *r)
{
	if (starts_conn(r->oldstate, r->newstate)) {
		if (died_as_duplicate(c)) {
			conn_forget_states(c);
			return true;
		}
		if (c->closed || c->state == TCP_TIME_WAIT) {
			conn_reset(c);
			return true;
		}
		if (!c->id && !c->state)
			return true;	/* the entry a SYN made */
		if (c->state == TCP_SYN_RECV)
			c->id2 = r->hdr.conn_id;
		return false;
	}
	if (r->oldstate != TCP_SYN_RECV ||
	    !(died_as_duplicate(c) ||
	      (r->hdr.conn_id == c->id2 && r->newstate != TCP_CLOSE)))
		return false;
	c->id2 = c->id;
	c->closed = 0;
	c->state = TCP_SYN_RECV;
	return true;
}

static enum conn_check check(u32 got, u32 isn, u32 data)
{
	return got == isn + 1 || (data && got == isn + 1 + data) ?
	       CHECK_OK : CHECK_BAD;
}

/*
 * The passive opener's socket accepted the handshake's final ACK: the
 * handshake is complete now, not when an ACK was seen (the kernel drops
 * one that finds the accept queue full). The netfilter hooks look up only
 * some received segments, so they may have missed that ACK (over
 * loopback, where early demux does not run, or when it carries data):
 * then the socket says what was acknowledged, snd_una, which the kernel
 * checked against its ISN + 1.
 */
static void conn_accepted(struct conn *c, const struct sock *sk, u64 now)
{
	if (!c->t_synack || c->t_ack)
		return;
	c->t_ack = now;
	if (c->have_isn_local && c->ack_check == CHECK_NONE)
		c->ack_check = check(READ_ONCE(tcp_sk(sk)->snd_una),
				     c->isn_local, 0);
	if (c->t_syn)
		tcpscope_pernet_handshake(sock_net(sk), now - c->t_syn);
}

/**
 * tcpscope_conns_state() - a connection changed state
 * @r: its state record, stamped by tcpscope_ring_write() (listeners are
 *	not tracked)
 * @sk: its full socket, or NULL (a timewait socket)
 *
 * Any context but NMI.
 */
void tcpscope_conns_state(const struct tcpscope_state_rec *r,
			  const struct sock *sk)
{
	struct conn_bucket *b;
	struct conn_key k;
	unsigned long flags;
	struct conn *c;
	u64 now;

	if (!conns.buckets || r->newstate == TCP_LISTEN ||
	    (r->oldstate == TCP_LISTEN && r->newstate == TCP_CLOSE))
		return;
	conn_key_init(&k, r->hdr.netns, r->family, r->saddr, r->sport,
		      r->daddr, r->dport);
	b = key_bucket(&k);
	now = r->hdr.ts_ns;
	spin_lock_irqsave(&b->lock, flags);
	c = bucket_find(b, &k);
	if (!c)
		c = bucket_take(b, &k);
	else if (c->id != r->hdr.conn_id && !conn_adopt(c, r))
		goto out_unlock;
	else if (c->id == r->hdr.conn_id && c->state != r->oldstate)
		goto out_unlock;	/* out of order */
	c->id = r->hdr.conn_id;
	if (r->newstate == TCP_SYN_SENT)
		c->role = ROLE_ACTIVE;
	else if (r->oldstate == TCP_LISTEN)
		c->role = ROLE_PASSIVE;
	conn_enter(c, r->newstate, now);
	if (sk && r->oldstate == TCP_SYN_RECV && r->newstate == TCP_ESTABLISHED)
		conn_accepted(c, sk, now);
	c->t_used = now;
out_unlock:
	spin_unlock_irqrestore(&b->lock, flags);
}

/* A SYN, @local: sent by the local end. Under the bucket lock. */
static void seg_syn(struct conn *c, const struct tcpscope_packet_rec *r,
		    bool local, u64 now)
{
	bool known = local ? c->have_isn_local : c->have_isn_remote;
	u32 isn = local ? c->isn_local : c->isn_remote;

	if (known && isn == r->seq)
		return;		/* retransmitted */
	if (c->t_syn) {
		/* A SYN inside a live connection does not start one. */
		if (!c->closed && c->state && c->state != TCP_TIME_WAIT)
			return;
		conn_reset(c);
	} else if (c->closed) {
		conn_reset(c);
	}
	c->role = local ? ROLE_ACTIVE : ROLE_PASSIVE;
	c->t_syn = now;
	c->syn_len = r->len;
	if (local) {
		c->isn_local = r->seq;
		c->have_isn_local = 1;
	} else {
		c->isn_remote = r->seq;
		c->have_isn_remote = 1;
	}
}

/* A SYN-ACK, @local: sent by the local end. */
static void seg_synack(struct conn *c, const struct tcpscope_packet_rec *r,
		       bool local, u64 now)
{
	if (c->synacks < U16_MAX)
		c->synacks++;
	if (c->t_synack)
		return;
	c->t_synack = now;
	if (local) {
		c->isn_local = r->seq;
		c->have_isn_local = 1;
		if (c->have_isn_remote)
			c->synack_check = check(r->ack, c->isn_remote,
						c->syn_len);
	} else {
		c->isn_remote = r->seq;
		c->have_isn_remote = 1;
		if (c->have_isn_local)
			c->synack_check = check(r->ack, c->isn_local,
						c->syn_len);
	}
}

/* The ACK that completes the handshake, if this is it. */
static void seg_ack(const struct net *net, struct conn *c,
		    const struct tcpscope_packet_rec *r, bool local, u64 now)
{
	if (!c->t_synack || c->t_ack)
		return;
	if (!local) {
		/*
		 * Checked; the child's SYN_RECV -> ESTABLISHED completes it.
		 * Only the first ACK: while the child waits in the backlog a
		 * Fast Open server's data may be acked by the next one.
		 */
		if (c->have_isn_local && c->ack_check == CHECK_NONE)
			c->ack_check = check(r->ack, c->isn_local, 0);
		return;
	}
	c->t_ack = now;
	if (c->have_isn_remote)
		c->ack_check = check(r->ack, c->isn_remote, 0);
	if (c->t_syn)
		tcpscope_pernet_handshake(net, now - c->t_syn);
}

/**
 * tcpscope_conns_segment() - a handshake segment
 * @net: the namespace it was seen in
 * @r: the segment, parsed
 *
 * For any SYN, and for a segment that may be the handshake's final ACK
 * (the packet hooks decide from the socket's state). Any context but NMI.
 */
void tcpscope_conns_segment(const struct net *net,
			    const struct tcpscope_packet_rec *r)
{
	bool local = r->dir == TCPSCOPE_DIR_TX;
	bool syn = r->flags & TCPSCOPE_TCP_SYN;
	bool ack = r->flags & TCPSCOPE_TCP_ACK;
	struct conn_bucket *b;
	struct conn_key k;
	unsigned long flags;
	struct conn *c;
	u64 now;

	if (!conns.buckets || (r->flags & TCPSCOPE_TCP_RST))
		return;
	if (local)
		conn_key_init(&k, net->ns.inum, r->family, r->saddr,
			      r->sport, r->daddr, r->dport);
	else
		conn_key_init(&k, net->ns.inum, r->family, r->daddr,
			      r->dport, r->saddr, r->sport);
	b = key_bucket(&k);
	now = ktime_get_mono_fast_ns();
	spin_lock_irqsave(&b->lock, flags);
	c = bucket_find(b, &k);
	if (!c && !syn)
		goto out_unlock;
	if (!c)
		c = bucket_take(b, &k);
	if (syn && !ack)
		seg_syn(c, r, local, now);
	else if (syn)
		seg_synack(c, r, local, now);
	else
		seg_ack(net, c, r, local, now);
	c->t_used = now;
out_unlock:
	spin_unlock_irqrestore(&b->lock, flags);
}

/* ------------------------------------------------------------ the file */

static const char * const role_names[] = {
	[ROLE_UNKNOWN]	= "-",
	[ROLE_ACTIVE]	= "active",
	[ROLE_PASSIVE]	= "passive",
};

static const char * const check_names[] = {
	[CHECK_NONE]	= "-",
	[CHECK_OK]	= "ok",
	[CHECK_BAD]	= "bad",
};

static void show_u32_or_dash(struct seq_file *m, const char *name, bool have,
			     u32 v)
{
	if (have)
		seq_printf(m, " %s %u", name, v);
	else
		seq_printf(m, " %s -", name);
}

static void show_us_or_dash(struct seq_file *m, const char *name, u64 from,
			    u64 to)
{
	if (from && to)
		seq_printf(m, " %s %llu", name, div_u64(to - from, NSEC_PER_USEC));
	else
		seq_printf(m, " %s -", name);
}

/* "STATE=us,..." for each state entered, in order; the current one until @now. */
static void show_states(struct seq_file *m, const struct conn *c, u64 now)
{
	int i;

	seq_puts(m, " time_us ");
	for (i = 0; i < c->npath; i++) {
		int s = c->path[i];
		u64 ns = c->in_state[s];

		if (s == c->state && !c->closed && now > c->t_state)
			ns += now - c->t_state;
		seq_printf(m, "%s%s=%llu", i ? "," : "", tcpscope_state_name(s),
			   div_u64(ns, NSEC_PER_USEC));
	}
	if (!c->npath)
		seq_puts(m, "-");
}

static void show_conn(struct seq_file *m, const struct conn *c, u64 now)
{
	char l[TCPSCOPE_ENDPOINT_MAX], r[TCPSCOPE_ENDPOINT_MAX];

	*tcpscope_put_endpoint(l, c->key.family, c->key.laddr,
			       c->key.lport) = '\0';
	*tcpscope_put_endpoint(r, c->key.family, c->key.raddr,
			       c->key.rport) = '\0';
	seq_printf(m, "ns=%u id=%llx %s %s > %s %s", c->key.netns, c->id,
		   role_names[c->role], l, r,
		   c->state ? tcpscope_state_name(c->state) : "-");
	show_u32_or_dash(m, "isn_local", c->have_isn_local, c->isn_local);
	show_u32_or_dash(m, "isn_remote", c->have_isn_remote, c->isn_remote);
	seq_printf(m, " synack %s ack %s synacks %u",
		   check_names[c->synack_check], check_names[c->ack_check],
		   c->synacks);
	show_us_or_dash(m, "syn_synack_us", c->t_syn, c->t_synack);
	show_us_or_dash(m, "handshake_us", c->t_syn, c->t_ack);
	show_states(m, c, now);
	seq_putc(m, '\n');
}

static void *conns_seq_start(struct seq_file *m, loff_t *pos)
{
	if (*pos == 0)
		return SEQ_START_TOKEN;
	return *pos <= conns.nbuckets ? &conns.buckets[*pos - 1] : NULL;
}

static void *conns_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return *pos <= conns.nbuckets ? &conns.buckets[*pos - 1] : NULL;
}

static void conns_seq_stop(struct seq_file *m, void *v)
{
}

static int conns_seq_show(struct seq_file *m, void *v)
{
	struct conn_bucket *b = v;
	unsigned long flags;
	u64 now;
	int i;

	if (v == SEQ_START_TOKEN) {
		seq_printf(m, "# max_conns %u evicted %lld entry_bytes %zu\n",
			   conns.nbuckets * CONNS_WAYS,
			   (long long)atomic64_read(&conns.evicted),
			   sizeof(struct conn));
		return 0;
	}
	now = ktime_get_mono_fast_ns();
	spin_lock_irqsave(&b->lock, flags);
	for (i = 0; i < CONNS_WAYS; i++)
		if (b->slot[i].used)
			show_conn(m, &b->slot[i], now);
	spin_unlock_irqrestore(&b->lock, flags);
	return 0;
}

static const struct seq_operations conns_sops = {
	.start	= conns_seq_start,
	.next	= conns_seq_next,
	.stop	= conns_seq_stop,
	.show	= conns_seq_show,
};
DEFINE_SEQ_ATTRIBUTE(conns);

/* The connections file, in @dir. */
void tcpscope_conns_debugfs(struct dentry *dir)
{
	debugfs_create_file("connections", 0400, dir, NULL, &conns_fops);
}

/**
 * tcpscope_conns_init() - allocate the table
 * @max_conns: entries, rounded up to a multiple of CONNS_WAYS; 0: no table
 *
 * Return: 0 or -ENOMEM.
 */
int tcpscope_conns_init(unsigned int max_conns)
{
	unsigned int i;

	if (!max_conns)
		return 0;
	conns.nbuckets = DIV_ROUND_UP(max_conns, CONNS_WAYS);
	conns.buckets = vzalloc(array_size(conns.nbuckets,
					   sizeof(*conns.buckets)));
	if (!conns.buckets)
		return -ENOMEM;
	for (i = 0; i < conns.nbuckets; i++)
		spin_lock_init(&conns.buckets[i].lock);
	conns.hash_seed = get_random_u32();
	return 0;
}

/* Only once no hook can call in any more. */
void tcpscope_conns_exit(void)
{
	vfree(conns.buckets);
	conns.buckets = NULL;
	conns.nbuckets = 0;
}
