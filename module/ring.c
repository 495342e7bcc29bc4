// SPDX-License-Identifier: GPL-2.0
/*
 * ring: the per-CPU record buffer.
 *
 * Each CPU has its own byte ring with one writer side and one reader side.
 * Writers are the hooks, in any context but NMI: with interrupts off, a
 * writer owns its CPU's ring, so it needs no lock and no atomic operation
 * in drop mode. It stamps the record with CLOCK_MONOTONIC once it owns
 * its CPU's ring (interrupts off), so on each CPU the order of records is
 * the order of their timestamps, and publishes it with a release store of
 * the head. The
 * reader (one at a time, under read_mutex) merges the CPUs by taking the
 * oldest record each time and frees it with a release store of the tail.
 * A record is an 8-byte slot header plus the record rounded up to 8
 * bytes; it never wraps: a filler slot takes the end of the ring instead.
 *
 * In overwrite mode a full ring frees its oldest slots itself. Writer and
 * reader then both move the tail, with cmpxchg(): the writer before it
 * reuses the space, the reader after it has copied a record out, so a
 * reader whose cmpxchg() fails lost a race with the writer and drops its
 * (possibly torn) copy. Positions only grow, so a tail never repeats.
 *
 * Nothing is lost silently: a record refused in drop mode is reported in
 * the stream by the next record of that CPU (or by the reader once the
 * ring is empty); records overwritten are reported just before the oldest
 * record that survived them.
 *
 * Wakeups are batched. A reader that finds nothing to read announces it
 * waits (RING_WAITING). The first record written after that arms a timer,
 * from an irq_work, and the timer wakes the readers wakeup_ms later, so a
 * stream of events costs a reader one wakeup per wakeup_ms, not one per
 * event. A CPU that writes a quarter of its ring in the meantime wakes
 * them at once, so that batching never costs events. wakeup_ms=0 wakes
 * at the first record.
 */

#include <linux/atomic.h>
#include <linux/irq_work.h>
#include <linux/math64.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/sched/signal.h>
#include <linux/timekeeping.h>
#include <linux/timer.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include "compat.h"
#include "ring.h"

#define RING_SLOT_FILLER	1

/**
 * struct ring_slot - what precedes each record in a ring
 * @len:	bytes of the slot, this header included; a multiple of 8
 * @flags:	RING_SLOT_FILLER: no record, skip to the end of the ring
 */
struct ring_slot {
	u32 len;
	u32 flags;
};

/**
 * struct ring_cpu - one CPU's ring and its accounting
 * @head:	position after the newest slot; written by this CPU's writers
 * @written:	records written
 * @dropped:	records refused: no room in drop mode
 * @overwritten: records overwritten in overwrite mode
 * @bytes:	record bytes written
 * @batch:	records written since this CPU last woke readers early
 * @unreported:	dropped records no record has reported yet
 * @tail:	position of the oldest slot; moved by the reader, and by the
 *		writer in overwrite mode
 * @read:	records taken by readers (written only under read_mutex)
 * @lost_unreported: overwritten records the reader has not reported yet
 * @data:	the ring, ring.size bytes
 *
 * Positions count bytes since the start and only grow; the offset in
 * @data is the position modulo ring.size.
 */
struct ring_cpu {
	u64 head;
	u64 written;
	u64 dropped;
	u64 overwritten;
	u64 bytes;
	unsigned int batch;
	atomic_long_t unreported;

	u64 tail ____cacheline_aligned_in_smp;
	u64 read;
	atomic_long_t lost_unreported;
	char *data;
};

/* ring.waiting: whether a reader sleeps, and whether its wakeup is due. */
enum {
	RING_IDLE,	/* no reader waiting, or one already woken */
	RING_WAITING,	/* a reader waits, no wakeup scheduled yet */
	RING_ARMED,	/* a reader waits, the wakeup timer is set */
};

static DEFINE_PER_CPU_SHARED_ALIGNED(struct ring_cpu, ring_cpus);

static struct {
	u32 size;			/* bytes per CPU, a multiple of 8 */
	unsigned int bufsize_kb;
	bool overwrite;
	unsigned int wakeup_ms;
	unsigned int wake_batch;	/* records per CPU that wake at once */
	int waiting;			/* RING_* */
	wait_queue_head_t wq;
	struct irq_work arm_work;	/* sets wake_timer */
	struct irq_work wake_work;	/* wakes at once */
	struct timer_list wake_timer;
	struct mutex read_mutex;	/* one reader at a time */
	atomic_long_t late;		/* found only after a wait timed out */
} ring;

static struct ring_slot *ring_slot_at(struct ring_cpu *rc, u64 pos)
{
	u32 off;

	div_u64_rem(pos, ring.size, &off);
	return (struct ring_slot *)(rc->data + off);
}

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

/* After a write, with interrupts off: wake readers now or a bit later. */
static void ring_maybe_wake(struct ring_cpu *rc)
{
	int waiting;

	/* Pairs with smp_mb() in ring_prepare_wait(). */
	smp_mb();
	waiting = READ_ONCE(ring.waiting);
	if (likely(waiting == RING_IDLE))
		return;
	if (++rc->batch >= ring.wake_batch || !ring.wakeup_ms) {
		rc->batch = 0;
		WRITE_ONCE(ring.waiting, RING_IDLE);
		irq_work_queue(&ring.wake_work);
		return;
	}
	if (waiting == RING_WAITING &&
	    cmpxchg(&ring.waiting, RING_WAITING, RING_ARMED) == RING_WAITING)
		irq_work_queue(&ring.arm_work);
}

static u32 ring_claim(atomic_long_t *unreported)
{
	long n;

	if (likely(!atomic_long_read(unreported)))
		return 0;
	n = atomic_long_xchg(unreported, 0);
	if (unlikely(n > U32_MAX)) {
		atomic_long_add(n - U32_MAX, unreported);
		n = U32_MAX;
	}
	return n;
}

/*
 * Writer side: make [tail, end) fit in the ring. In overwrite mode, free
 * the oldest slots until it does; the reader may move the tail meanwhile.
 */
static bool ring_make_room(struct ring_cpu *rc, u64 end)
{
	/* Pairs with the reader's release of the tail: it is done reading. */
	u64 tail = smp_load_acquire(&rc->tail);

	while (end - tail > ring.size) {
		struct ring_slot *slot;
		u64 old;

		if (!ring.overwrite)
			return false;
		/* Only this CPU writes slots: this one is stable. */
		slot = ring_slot_at(rc, tail);
		old = cmpxchg(&rc->tail, tail, tail + slot->len);
		if (old != tail) {
			tail = old;
			continue;
		}
		if (!(slot->flags & RING_SLOT_FILLER)) {
			rc->overwritten++;
			atomic_long_inc(&rc->lost_unreported);
		}
		tail += slot->len;
	}
	return true;
}

/**
 * tcpscope_ring_write() - stamp a record and append it to this CPU's ring
 * @rec: the record; @rec->size bytes (at most TCPSCOPE_REC_MAX), with kind,
 *	 conn_id and netns filled in.
 *
 * Fills in ts_ns (also when the ring has no room and the record is dropped,
 * so that the caller can use it as the event's time), cpu, version and
 * lost_before. Safe in any context but NMI.
 */
void tcpscope_ring_write(struct tcpscope_hdr *rec)
{
	u32 off, filler, len = sizeof(struct ring_slot) + ALIGN(rec->size, 8);
	struct ring_slot *slot;
	struct ring_cpu *rc;
	unsigned long flags;
	u64 head;

	if (WARN_ON_ONCE(rec->size < sizeof(*rec) ||
			 rec->size > TCPSCOPE_REC_MAX || rec->size % 8))
		return;
	local_irq_save(flags);
	rec->ts_ns = ktime_get_mono_fast_ns();
	rc = this_cpu_ptr(&ring_cpus);
	head = rc->head;
	div_u64_rem(head, ring.size, &off);
	filler = ring.size - off < len ? ring.size - off : 0;
	if (unlikely(!ring_make_room(rc, head + filler + len))) {
		rc->dropped++;
		atomic_long_inc(&rc->unreported);
		local_irq_restore(flags);
		return;
	}
	if (unlikely(filler)) {
		slot = (struct ring_slot *)(rc->data + off);
		slot->len = filler;
		slot->flags = RING_SLOT_FILLER;
		head += filler;
		off = 0;
	}
	slot = (struct ring_slot *)(rc->data + off);
	slot->len = len;
	slot->flags = 0;
	rec->cpu = smp_processor_id();
	rec->version = TCPSCOPE_RECORD_VERSION;
	rec->lost_before = ring_claim(&rc->unreported);
	tcpscope_copy_words(slot + 1, rec, rec->size);
	/* Pairs with the reader's acquire of the head: the slot is whole. */
	smp_store_release(&rc->head, head + len);
	rc->written++;
	rc->bytes += rec->size;
	ring_maybe_wake(rc);
	local_irq_restore(flags);
}

/* Reader side: free the slot at @tail. False if a writer overwrote it. */
static bool ring_release(struct ring_cpu *rc, u64 tail, u32 len)
{
	if (ring.overwrite)
		return cmpxchg(&rc->tail, tail, tail + len) == tail;
	/* Pairs with ring_make_room(): done with the slot. */
	smp_store_release(&rc->tail, tail + len);
	return true;
}

/* The oldest record slot of a CPU, fillers skipped; NULL if empty. */
static struct ring_slot *ring_peek(struct ring_cpu *rc, u64 *tailp)
{
	/* Pairs with the writer's release of the head. */
	u64 head = smp_load_acquire(&rc->head);
	u64 tail = READ_ONCE(rc->tail);

	while ((s64)(head - tail) > 0) {
		struct ring_slot *slot = ring_slot_at(rc, tail);
		u32 len = READ_ONCE(slot->len);

		if (!(READ_ONCE(slot->flags) & RING_SLOT_FILLER)) {
			*tailp = tail;
			return slot;
		}
		if (ring_release(rc, tail, len))
			tail += len;
		else
			tail = READ_ONCE(rc->tail);
	}
	return NULL;
}

/* Copy the record at @tail out and free its slot. False: lost a race. */
static bool ring_take(int cpu, struct ring_cpu *rc, u64 tail,
		      struct ring_slot *slot, struct tcpscope_item *item)
{
	u32 len = READ_ONCE(slot->len);
	u32 room = ring.size - ((char *)(slot + 1) - rc->data);
	u32 size = min3(len - (u32)sizeof(*slot), room, (u32)TCPSCOPE_REC_MAX);
	u32 lost = ring_claim(&rc->lost_unreported);

	/* A torn slot (overwrite mode) fails ring_release(): bound it anyway. */
	if (len < sizeof(*slot))
		size = 0;

	tcpscope_copy_words(&item->rec, slot + 1, size);
	if (!ring_release(rc, tail, len)) {
		atomic_long_add(lost, &rc->lost_unreported);
		return false;
	}
	/* Never trust a size beyond what was copied. */
	item->rec.hdr.size = min_t(u32, item->rec.hdr.size, size);
	item->has_rec = true;
	item->lost = (u64)lost + item->rec.hdr.lost_before;
	item->lost_cpu = cpu;
	rc->read++;
	return true;
}

/* With the rings empty: losses that no record has reported yet. */
static bool ring_take_unreported(struct tcpscope_item *item)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct ring_cpu *rc = per_cpu_ptr(&ring_cpus, cpu);
		u64 n = ring_claim(&rc->unreported);

		n += ring_claim(&rc->lost_unreported);
		if (n) {
			item->lost = n;
			item->lost_cpu = cpu;
			return true;
		}
	}
	return false;
}

void tcpscope_ring_read_lock(void)
{
	mutex_lock(&ring.read_mutex);
}

void tcpscope_ring_read_unlock(void)
{
	mutex_unlock(&ring.read_mutex);
}

/**
 * tcpscope_ring_next() - take the oldest record of all CPUs
 * @item: filled with the record and the losses to report before it
 *
 * Call between tcpscope_ring_read_lock() and tcpscope_ring_read_unlock().
 *
 * Return: false if there is nothing to report.
 */
bool tcpscope_ring_next(struct tcpscope_item *item)
{
	lockdep_assert_held(&ring.read_mutex);
	memset(item, 0, offsetof(struct tcpscope_item, rec));
	for (;;) {
		struct ring_slot *slot, *best = NULL;
		u64 tail, best_tail = 0, best_ts = U64_MAX;
		int cpu, best_cpu = -1;

		for_each_possible_cpu(cpu) {
			struct tcpscope_hdr *h;

			slot = ring_peek(per_cpu_ptr(&ring_cpus, cpu), &tail);
			if (!slot)
				continue;
			h = (struct tcpscope_hdr *)(slot + 1);
			if (READ_ONCE(h->ts_ns) < best_ts) {
				best_ts = READ_ONCE(h->ts_ns);
				best = slot;
				best_tail = tail;
				best_cpu = cpu;
			}
		}
		if (!best)
			return ring_take_unreported(item);
		if (ring_take(best_cpu, per_cpu_ptr(&ring_cpus, best_cpu),
			      best_tail, best, item))
			return true;
	}
}

static bool ring_has_data(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct ring_cpu *rc = per_cpu_ptr(&ring_cpus, cpu);

		if (READ_ONCE(rc->head) != READ_ONCE(rc->tail) ||
		    atomic_long_read(&rc->unreported) ||
		    atomic_long_read(&rc->lost_unreported))
			return true;
	}
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

/* Records lost so far: refused by a ring or overwritten in it. */
u64 tcpscope_ring_lost(void)
{
	u64 lost = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct ring_cpu *rc = per_cpu_ptr(&ring_cpus, cpu);

		lost += READ_ONCE(rc->dropped) + READ_ONCE(rc->overwritten);
	}
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
		const struct ring_cpu *rc = per_cpu_ptr(&ring_cpus, cpu);

		c.written = READ_ONCE(rc->written);
		c.dropped = READ_ONCE(rc->dropped);
		c.overwritten = READ_ONCE(rc->overwritten);
		c.bytes = READ_ONCE(rc->bytes);
		c.read = READ_ONCE(rc->read);
		snprintf(name, sizeof(name), "cpu%d", cpu);
		ring_show_counts(m, name, &c);
		total.written += c.written;
		total.dropped += c.dropped;
		total.overwritten += c.overwritten;
		total.bytes += c.bytes;
		total.read += c.read;
	}
	ring_show_counts(m, "total", &total);
	seq_printf(m, "late %ld\n", atomic_long_read(&ring.late));
}

static void ring_free_data(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct ring_cpu *rc = per_cpu_ptr(&ring_cpus, cpu);

		vfree(rc->data);
		memset(rc, 0, sizeof(*rc));
	}
}

static int ring_alloc_data(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct ring_cpu *rc = per_cpu_ptr(&ring_cpus, cpu);

		memset(rc, 0, sizeof(*rc));
		rc->data = vmalloc_node(ring.size, cpu_to_node(cpu));
		if (!rc->data) {
			ring_free_data();
			return -ENOMEM;
		}
	}
	return 0;
}

int tcpscope_ring_init(unsigned int bufsize_kb, bool overwrite,
		       unsigned int wakeup_ms)
{
	int ret;

	/* Records are copied as whole words: tcpscope_copy_words(). */
	BUILD_BUG_ON(sizeof(struct tcpscope_state_rec) % 8 ||
		     sizeof(struct tcpscope_reset_rec) % 8 ||
		     sizeof(struct tcpscope_packet_rec) % 8 ||
		     sizeof(struct tcpscope_listen_rec) % 8 ||
		     TCPSCOPE_REC_MAX % 8);
	ring.size = bufsize_kb * 1024;
	ring.bufsize_kb = bufsize_kb;
	ring.overwrite = overwrite;
	ring.wakeup_ms = wakeup_ms;
	ret = ring_alloc_data();
	if (ret)
		return ret;
	ring.wake_batch = max_t(u32, 1, ring.size / 4 /
				(sizeof(struct ring_slot) +
				 sizeof(struct tcpscope_state_rec)));
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
	ring_free_data();
}
