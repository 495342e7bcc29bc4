// SPDX-License-Identifier: GPL-2.0
/*
 * ring: the per-CPU record buffer, built on the kernel's ring_buffer API.
 *
 * Writers are the hooks, in any context but NMI. A record is reserved and
 * stamped with CLOCK_MONOTONIC with interrupts off, so on each CPU the
 * order of records in the buffer is the order of their timestamps; the
 * reader merges the CPUs by taking the oldest head each time.
 *
 * Nothing is lost silently: a failed reserve (buffer full in drop mode, or
 * any other refusal) counts as dropped and is reported in the stream, in
 * place, by the next record of that CPU (or by the reader once the buffer
 * is empty); in overwrite mode the ring buffer counts what it overwrote
 * and the reader reports that in place too.
 *
 * Wakeups are batched. A reader that finds nothing to read announces it
 * waits (RING_WAITING). The first record written after that arms a timer,
 * from an irq_work, and the timer wakes the readers wakeup_ms later, so a
 * stream of events costs a reader one wakeup per wakeup_ms, not one per
 * event. A CPU that writes a quarter of its buffer in the meantime wakes
 * them at once, so that batching never costs events. wakeup_ms=0 wakes
 * at the first record.
 */

#include <linux/atomic.h>
#include <linux/irq_work.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/ring_buffer.h>
#include <linux/sched/signal.h>
#include <linux/timekeeping.h>
#include <linux/timer.h>
#include <linux/wait.h>

#include "compat.h"
#include "ring.h"

/**
 * struct ring_cpu_stats - per-CPU accounting
 * @written:	records committed
 * @dropped:	records refused by the buffer
 * @bytes:	bytes committed
 * @read:	records consumed by readers (written only under read_mutex)
 * @unreported:	dropped records not yet reported in the stream
 * @batch:	records written since this CPU last woke readers early
 */
struct ring_cpu_stats {
	u64 written;
	u64 dropped;
	u64 bytes;
	u64 read;
	atomic_long_t unreported;
	unsigned int batch;
};

/* ring.waiting: whether a reader sleeps, and whether its wakeup is due. */
enum {
	RING_IDLE,	/* no reader waiting, or one already woken */
	RING_WAITING,	/* a reader waits, no wakeup scheduled yet */
	RING_ARMED,	/* a reader waits, the wakeup timer is set */
};

static DEFINE_PER_CPU(struct ring_cpu_stats, ring_stats);

static struct {
	struct trace_buffer *buf;
	unsigned int bufsize_kb;
	bool overwrite;
	unsigned int wakeup_ms;
	unsigned int wake_batch;	/* records per CPU that wake at once */
	int waiting;			/* RING_* */
	wait_queue_head_t wq;
	struct irq_work arm_work;	/* sets wake_timer */
	struct irq_work wake_work;	/* wakes at once */
	struct timer_list wake_timer;
	struct mutex read_mutex;	/* one consumer at a time */
	atomic_long_t late;		/* found only after a wait timed out */
} ring;

static void ring_wake_now(struct irq_work *work)
{
	wake_up_all(&ring.wq);
}

static void ring_wake_timer(struct timer_list *t)
{
	WRITE_ONCE(ring.waiting, RING_IDLE);
	wake_up_all(&ring.wq);
}

static void ring_arm(struct irq_work *work)
{
	mod_timer(&ring.wake_timer,
		  jiffies + msecs_to_jiffies(ring.wakeup_ms));
}

/* After a commit, with interrupts off: wake readers now or a bit later. */
static void ring_maybe_wake(struct ring_cpu_stats *st)
{
	int waiting;

	/* Pairs with smp_mb() in ring_prepare_wait(). */
	smp_mb();
	waiting = READ_ONCE(ring.waiting);
	if (likely(waiting == RING_IDLE))
		return;
	if (++st->batch >= ring.wake_batch || !ring.wakeup_ms) {
		st->batch = 0;
		WRITE_ONCE(ring.waiting, RING_IDLE);
		irq_work_queue(&ring.wake_work);
		return;
	}
	if (waiting == RING_WAITING &&
	    cmpxchg(&ring.waiting, RING_WAITING, RING_ARMED) == RING_WAITING)
		irq_work_queue(&ring.arm_work);
}

static u32 ring_claim_unreported(struct ring_cpu_stats *st)
{
	long n;

	if (likely(!atomic_long_read(&st->unreported)))
		return 0;
	n = atomic_long_xchg(&st->unreported, 0);
	if (unlikely(n > U32_MAX)) {
		atomic_long_add(n - U32_MAX, &st->unreported);
		n = U32_MAX;
	}
	return n;
}

/**
 * tcpscope_ring_write() - stamp a record and append it to this CPU's buffer
 * @rec: the record; @rec->size bytes, kind, conn_id and netns filled in.
 *
 * Fills in ts_ns, cpu, version and lost_before. Safe in any context but NMI.
 */
void tcpscope_ring_write(struct tcpscope_hdr *rec)
{
	struct ring_buffer_event *ev;
	struct ring_cpu_stats *st;
	unsigned long flags;

	local_irq_save(flags);
	st = this_cpu_ptr(&ring_stats);
	ev = ring_buffer_lock_reserve(ring.buf, rec->size);
	if (unlikely(!ev)) {
		st->dropped++;
		atomic_long_inc(&st->unreported);
		local_irq_restore(flags);
		return;
	}
	rec->ts_ns = ktime_get_mono_fast_ns();
	rec->cpu = smp_processor_id();
	rec->version = TCPSCOPE_RECORD_VERSION;
	rec->lost_before = ring_claim_unreported(st);
	memcpy(ring_buffer_event_data(ev), rec, rec->size);
	compat_ring_buffer_commit(ring.buf, ev);
	st->written++;
	st->bytes += rec->size;
	ring_maybe_wake(st);
	local_irq_restore(flags);
}

/* The CPU whose oldest record is the oldest of all, or -1 if none. */
static int ring_oldest_cpu(void)
{
	u64 ts, best_ts = U64_MAX;
	int cpu, best = -1;

	for_each_possible_cpu(cpu) {
		struct ring_buffer_event *ev;
		struct tcpscope_hdr *h;

		ev = ring_buffer_peek(ring.buf, cpu, NULL, NULL);
		if (!ev)
			continue;
		h = ring_buffer_event_data(ev);
		/* Event data is only 4-byte aligned. */
		memcpy(&ts, &h->ts_ns, sizeof(ts));
		if (ts < best_ts) {
			best_ts = ts;
			best = cpu;
		}
	}
	return best;
}

static bool ring_consume(int cpu, struct tcpscope_item *item)
{
	struct ring_buffer_event *ev;
	unsigned long overwritten = 0;
	unsigned int size;

	ev = ring_buffer_consume(ring.buf, cpu, NULL, &overwritten);
	if (!ev)
		return false;
	size = min_t(unsigned int, ring_buffer_event_length(ev),
		     sizeof(item->rec));
	memcpy(&item->rec, ring_buffer_event_data(ev), size);
	/* Never trust a size beyond what was copied. */
	item->rec.hdr.size = min_t(unsigned int, item->rec.hdr.size, size);
	item->has_rec = true;
	item->lost = (u64)overwritten + item->rec.hdr.lost_before;
	item->lost_cpu = cpu;
	per_cpu_ptr(&ring_stats, cpu)->read++;
	return true;
}

/* With the buffer empty: drops that no later record has reported yet. */
static bool ring_take_unreported(struct tcpscope_item *item)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		u32 n = ring_claim_unreported(per_cpu_ptr(&ring_stats, cpu));

		if (n) {
			item->lost = n;
			item->lost_cpu = cpu;
			return true;
		}
	}
	return false;
}

/**
 * tcpscope_ring_next() - consume the oldest record of all CPUs
 * @item: filled with the record and the losses to report before it
 *
 * Return: false if there is nothing to report.
 */
bool tcpscope_ring_next(struct tcpscope_item *item)
{
	bool found = false;
	int cpu;

	memset(item, 0, offsetof(struct tcpscope_item, rec));
	mutex_lock(&ring.read_mutex);
	cpu = ring_oldest_cpu();
	if (cpu >= 0)
		found = ring_consume(cpu, item);
	if (!found)
		found = ring_take_unreported(item);
	mutex_unlock(&ring.read_mutex);
	return found;
}

static bool ring_has_data(void)
{
	int cpu;

	if (!ring_buffer_empty(ring.buf))
		return true;
	for_each_possible_cpu(cpu)
		if (atomic_long_read(&per_cpu_ptr(&ring_stats, cpu)->unreported))
			return true;
	return false;
}

/*
 * Announce a waiter, then look: a writer either sees it or we see data.
 * A wakeup already scheduled (RING_ARMED) stands.
 */
static bool ring_prepare_wait(void)
{
	cmpxchg(&ring.waiting, RING_IDLE, RING_WAITING);
	/* Pairs with smp_mb() in ring_maybe_wake(). */
	smp_mb();
	return ring_has_data();
}

/*
 * Sleep until there is something to read, or for at most a second: a
 * reader that finds records after such a timeout counts them as late
 * (tcpscope_ring_note_late()), so that a lost wakeup, which must never
 * happen, shows in stats instead of stranding events.
 *
 * Return: 0 if woken, 1 on timeout, or -ERESTARTSYS.
 */
int tcpscope_ring_wait(void)
{
	long ret = wait_event_interruptible_timeout(ring.wq,
						    ring_prepare_wait(), HZ);

	if (ret < 0)
		return ret;
	/* A timeout while the batching timer is set is no lost wakeup. */
	return !ret && READ_ONCE(ring.waiting) != RING_ARMED;
}

void tcpscope_ring_note_late(void)
{
	atomic_long_inc(&ring.late);
}

__poll_t tcpscope_ring_poll(struct file *file, poll_table *wait)
{
	poll_wait(file, &ring.wq, wait);
	return ring_prepare_wait() ? EPOLLIN | EPOLLRDNORM : 0;
}

/* Records lost so far: refused by the buffer or overwritten in it. */
u64 tcpscope_ring_lost(void)
{
	u64 lost = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		lost += per_cpu_ptr(&ring_stats, cpu)->dropped +
			ring_buffer_overrun_cpu(ring.buf, cpu);
	return lost;
}

struct ring_counts {
	u64 written, dropped, overwritten, read, bytes;
};

static void ring_show_counts(struct seq_file *m, const char *name,
			     const struct ring_counts *c)
{
	seq_printf(m, "%s produced=%llu written=%llu dropped=%llu overwritten=%llu read=%llu lost=%llu bytes=%llu\n",
		   name, c->written + c->dropped, c->written, c->dropped,
		   c->overwritten, c->read, c->dropped + c->overwritten,
		   c->bytes);
}

void tcpscope_ring_show_stats(struct seq_file *m)
{
	struct ring_counts total = {}, c;
	char name[16];
	int cpu;

	seq_printf(m, "bufsize_kb %u\noverwrite %d\nwakeup_ms %u\n",
		   ring.bufsize_kb, ring.overwrite, ring.wakeup_ms);
	for_each_possible_cpu(cpu) {
		const struct ring_cpu_stats *st = per_cpu_ptr(&ring_stats, cpu);

		c.written = READ_ONCE(st->written);
		c.dropped = READ_ONCE(st->dropped);
		c.bytes = READ_ONCE(st->bytes);
		c.read = READ_ONCE(st->read);
		c.overwritten = ring_buffer_overrun_cpu(ring.buf, cpu);
		snprintf(name, sizeof(name), "cpu%d", cpu);
		ring_show_counts(m, name, &c);
		total.written += c.written;
		total.dropped += c.dropped;
		total.bytes += c.bytes;
		total.read += c.read;
		total.overwritten += c.overwritten;
	}
	ring_show_counts(m, "total", &total);
	seq_printf(m, "late %ld\n", atomic_long_read(&ring.late));
}

int tcpscope_ring_init(unsigned int bufsize_kb, bool overwrite,
		       unsigned int wakeup_ms)
{
	unsigned long size = (unsigned long)bufsize_kb * 1024;

	ring.buf = ring_buffer_alloc(size, overwrite ? RB_FL_OVERWRITE : 0);
	if (!ring.buf)
		return -ENOMEM;
	ring.bufsize_kb = bufsize_kb;
	ring.overwrite = overwrite;
	ring.wakeup_ms = wakeup_ms;
	ring.wake_batch = max_t(unsigned long, 1,
				size / 4 / sizeof(struct tcpscope_state_rec));
	ring.waiting = RING_IDLE;
	atomic_long_set(&ring.late, 0);
	init_waitqueue_head(&ring.wq);
	init_irq_work(&ring.arm_work, ring_arm);
	init_irq_work(&ring.wake_work, ring_wake_now);
	timer_setup(&ring.wake_timer, ring_wake_timer, 0);
	mutex_init(&ring.read_mutex);
	return 0;
}

/* Call only once no writer can run and no reader is left. */
void tcpscope_ring_exit(void)
{
	irq_work_sync(&ring.arm_work);
	compat_timer_delete_sync(&ring.wake_timer);
	irq_work_sync(&ring.wake_work);
	ring_buffer_free(ring.buf);
	ring.buf = NULL;
}
