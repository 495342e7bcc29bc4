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
 * Readers are woken through an irq_work, and only when one is waiting: a
 * burst of events costs one wakeup, not one per event.
 */

#include <linux/atomic.h>
#include <linux/irq_work.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/ring_buffer.h>
#include <linux/sched/signal.h>
#include <linux/timekeeping.h>
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
 */
struct ring_cpu_stats {
	u64 written;
	u64 dropped;
	u64 bytes;
	u64 read;
	atomic_long_t unreported;
};

static DEFINE_PER_CPU(struct ring_cpu_stats, ring_stats);

static struct {
	struct trace_buffer *buf;
	unsigned int bufsize_kb;
	bool overwrite;
	bool waiting;
	wait_queue_head_t wq;
	struct irq_work wake_work;
	struct mutex read_mutex;	/* one consumer at a time */
} ring;

static void ring_wake(struct irq_work *work)
{
	wake_up_all(&ring.wq);
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
	local_irq_restore(flags);

	/* Pairs with smp_mb() in ring_prepare_wait(). */
	smp_mb();
	if (READ_ONCE(ring.waiting)) {
		WRITE_ONCE(ring.waiting, false);
		irq_work_queue(&ring.wake_work);
	}
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

/* Announce a waiter, then look: a writer either sees it or we see data. */
static bool ring_prepare_wait(void)
{
	WRITE_ONCE(ring.waiting, true);
	/* Pairs with smp_mb() in tcpscope_ring_write(). */
	smp_mb();
	return ring_has_data();
}

/* Sleep until there is something to read. Return: 0 or -ERESTARTSYS. */
int tcpscope_ring_wait(void)
{
	return wait_event_interruptible(ring.wq, ring_prepare_wait());
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

	seq_printf(m, "bufsize_kb %u\noverwrite %d\n", ring.bufsize_kb,
		   ring.overwrite);
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
}

int tcpscope_ring_init(unsigned int bufsize_kb, bool overwrite)
{
	ring.buf = ring_buffer_alloc((unsigned long)bufsize_kb * 1024,
				     overwrite ? RB_FL_OVERWRITE : 0);
	if (!ring.buf)
		return -ENOMEM;
	ring.bufsize_kb = bufsize_kb;
	ring.overwrite = overwrite;
	init_waitqueue_head(&ring.wq);
	init_irq_work(&ring.wake_work, ring_wake);
	mutex_init(&ring.read_mutex);
	return 0;
}

/* Call only once no writer can run and no reader is left. */
void tcpscope_ring_exit(void)
{
	irq_work_sync(&ring.wake_work);
	ring_buffer_free(ring.buf);
	ring.buf = NULL;
}
