// SPDX-License-Identifier: GPL-2.0
/*
 * listeners: the listener table: the SYN (half-open) and accept (full)
 * queues of listening sockets, their counts and SYN-flood flag, as the
 * listen records of module/listen.c tell them. It is read in
 * /sys/kernel/debug/tcpscope/listeners and in the listener lines of
 * /proc/net/tcpscope.
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
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "format.h"
#include "listeners.h"

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

static struct {
	/* nbuckets per CPU, CPU after CPU */
	struct listener_bucket *buckets;
	unsigned int nbuckets;
	/* a bucket of all CPUs, for the files */
	struct listener *merged;
	struct mutex merged_mutex;	/* protects merged */
	atomic64_t evicted;
	u32 hash_seed;
	unsigned int flood_halfopen, flood_sources;
} listeners = {
	.merged_mutex = __MUTEX_INITIALIZER(listeners.merged_mutex),
};

static unsigned int bucket_index(u64 id)
{
	return jhash_2words((u32)id, (u32)(id >> 32), listeners.hash_seed) %
	       listeners.nbuckets;
}

static struct listener_bucket *cpu_bucket(int cpu, unsigned int i)
{
	return &listeners.buckets[(size_t)cpu * listeners.nbuckets + i];
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
	atomic64_inc(&listeners.evicted);
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
		if (!flood_current(l, now) ||
		    l->win_peak < listeners.flood_halfopen)
			l->flood = false;
		l->win_start = now;
		l->win_full = 0;
		l->win_peak = 0;
		bitmap_zero(l->win_sources, FLOOD_BITS);
	}
	if (r->cause == TCPSCOPE_LISTEN_SYN)
		__set_bit(jhash(r->daddr, sizeof(r->daddr), listeners.hash_seed) %
			  FLOOD_BITS, l->win_sources);
	if (r->cause == TCPSCOPE_LISTEN_OVERFLOW &&
	    (r->overflow == TCPSCOPE_OVERFLOW_SYNQ_DROP ||
	     r->overflow == TCPSCOPE_OVERFLOW_SYNQ_COOKIE))
		l->win_full++;
	halfopen = r->synq + l->win_full;
	l->win_peak = max(l->win_peak, halfopen);
	if (l->flood || !listeners.flood_halfopen ||
	    halfopen < listeners.flood_halfopen)
		return;
	sources = bitmap_weight(l->win_sources, FLOOD_BITS);
	if (sources < listeners.flood_sources)
		return;
	l->flood = true;
	l->floods++;
	l->flood_since = now;
	l->flood_halfopen = halfopen;
	l->flood_sources = sources;
}

/**
 * tcpscope_listeners_update() - account a listen record to its listener
 * @sk: the listener
 * @r: the record, an event of @sk
 *
 * In this CPU's table. Any context but NMI.
 *
 * An event may have seen @sk listening just before it closed, and reach
 * the table after listen.c's listen_stop_pre() marked the listener's
 * entries closed. It creates no entry then: the closing CPU stores
 * TCP_CLOSE before it takes any bucket lock to mark the entries, so an
 * entry made under this lock while @sk still listened is one that
 * marking finds.
 *
 * Return: whether the SYN-flood flag is set there.
 */
bool tcpscope_listeners_update(const struct sock *sk,
			       const struct tcpscope_listen_rec *r)
{
	struct listener_bucket *b;
	struct listener *l;
	unsigned long flags;
	u64 now = r->hdr.ts_ns;
	bool flood = false;

	if (!listeners.buckets)
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

/**
 * tcpscope_listeners_mark() - a listener starts or stops listening
 * @r: a record of it, as it is now (the ring does not get it)
 * @listening: it starts
 *
 * Every CPU's entry learns it, and this CPU's table gets one, so that a
 * closed listener's entry stays closed. Rare.
 */
void tcpscope_listeners_mark(const struct tcpscope_listen_rec *r,
			     bool listening)
{
	struct listener_bucket *b;
	struct listener *l;
	unsigned long flags;
	unsigned int i;
	int cpu, self;

	if (!listeners.buckets)
		return;
	i = bucket_index(r->hdr.conn_id);
	self = get_cpu();
	for_each_possible_cpu(cpu) {
		b = cpu_bucket(cpu, i);
		spin_lock_irqsave(&b->lock, flags);
		l = cpu == self ? listener_get(b, r->hdr.conn_id, r) :
				  bucket_find(b, r->hdr.conn_id);
		if (l) {
			l->t_used = r->hdr.ts_ns;
			l->closed = !listening;
			l->synq = listening ? r->synq : 0;
			l->acceptq = listening ? r->acceptq : 0;
		}
		spin_unlock_irqrestore(&b->lock, flags);
	}
	put_cpu();
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
 * Bucket @i of every CPU into listeners.merged[], an entry per listener,
 * under its mutex. Return: how many.
 */
static unsigned int gather_bucket(unsigned int i, u64 now)
{
	unsigned int n = 0, j, k;
	unsigned long flags;
	int cpu;

	lockdep_assert_held(&listeners.merged_mutex);
	for_each_possible_cpu(cpu) {
		struct listener_bucket *b = cpu_bucket(cpu, i);

		spin_lock_irqsave(&b->lock, flags);
		for (j = 0; j < LISTENERS_WAYS; j++) {
			const struct listener *l = &b->slot[j];

			if (!l->id)
				continue;
			for (k = 0; k < n && listeners.merged[k].id != l->id; k++)
				;
			if (k < n)
				merge_entry(&listeners.merged[k], l, now);
			else
				listeners.merged[n++] = *l;
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
	return pos <= listeners.nbuckets ? cpu_bucket(0, pos - 1) : NULL;
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
			   listeners.nbuckets * LISTENERS_WAYS,
			   (long long)atomic64_read(&listeners.evicted),
			   listeners.flood_halfopen, listeners.flood_sources);
		return 0;
	}
	now = ktime_get_mono_fast_ns();
	mutex_lock(&listeners.merged_mutex);
	n = gather_bucket((struct listener_bucket *)v - listeners.buckets, now);
	for (i = 0; i < n; i++)
		show_listener(m, &listeners.merged[i], now);
	mutex_unlock(&listeners.merged_mutex);
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
	return listeners.buckets ? listeners.nbuckets : 0;
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

	if (!listeners.buckets || i >= listeners.nbuckets ||
	    !bucket_has_netns(i, net->ns.inum))
		return;
	mutex_lock(&listeners.merged_mutex);
	n = gather_bucket(i, now);
	for (j = 0; j < n; j++)
		if (!listeners.merged[j].closed &&
		    listeners.merged[j].netns == net->ns.inum)
			show_net_listener(m, &listeners.merged[j], now);
	mutex_unlock(&listeners.merged_mutex);
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

	listeners.flood_halfopen = p->synflood_halfopen;
	listeners.flood_sources = p->synflood_sources;
	if (!p->max_listeners)
		return 0;
	listeners.nbuckets = DIV_ROUND_UP(p->max_listeners, LISTENERS_WAYS);
	n = array_size(listeners.nbuckets, nr_cpu_ids);
	listeners.buckets = vzalloc(array_size(n, sizeof(*listeners.buckets)));
	listeners.merged = kvcalloc(array_size(LISTENERS_WAYS, nr_cpu_ids),
				    sizeof(*listeners.merged), GFP_KERNEL);
	if (!listeners.buckets || !listeners.merged) {
		tcpscope_listeners_exit();
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		spin_lock_init(&listeners.buckets[i].lock);
	listeners.hash_seed = get_random_u32();
	return 0;
}

/* Only once no hook can call in any more. */
void tcpscope_listeners_exit(void)
{
	vfree(listeners.buckets);
	kvfree(listeners.merged);
	listeners.buckets = NULL;
	listeners.merged = NULL;
	listeners.nbuckets = 0;
}

/* Whether there is a table: max_listeners was not 0. */
bool tcpscope_listeners_enabled(void)
{
	return listeners.buckets;
}
