/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ring: the per-CPU record buffer between the hooks (writers, any context)
 * and the debugfs readers (process context).
 */
#ifndef _TCPSCOPE_RING_H
#define _TCPSCOPE_RING_H

#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/types.h>
#include <uapi/tcpscope.h>

/* The largest record the ring takes, in bytes. */
#define TCPSCOPE_REC_MAX	256

/**
 * struct tcpscope_item - what one call of tcpscope_ring_next() yields
 * @lost:	events lost on @lost_cpu just before @rec (0: none)
 * @lost_cpu:	CPU that lost them
 * @has_rec:	@rec holds a record
 * @rec:	the record, copied out of the buffer
 */
struct tcpscope_item {
	u64 lost;
	int lost_cpu;
	bool has_rec;
	union {
		struct tcpscope_hdr hdr;
		struct tcpscope_state_rec state;
		struct tcpscope_reset_rec reset;
		struct tcpscope_packet_rec packet;
		struct tcpscope_listen_rec listen;
		u8 bytes[TCPSCOPE_REC_MAX];
	} rec;
};

/*
 * Records are copied a word at a time: they are short and their sizes are
 * multiples of 8, and the kernel's memcpy() may be "rep movsb" (ERMS),
 * which costs a start-up of tens of cycles on hardware and, under TCG, a
 * pass through the emulator's loop per byte.
 */
static inline void tcpscope_copy_words(void *dst, const void *src, u32 len)
{
	u64 *d = dst;
	const u64 *s = src;
	u32 i;

	for (i = 0; i < len / sizeof(u64); i++)
		d[i] = s[i];
}

int tcpscope_ring_init(unsigned int bufsize_kb, bool overwrite,
		       unsigned int wakeup_ms);
void tcpscope_ring_exit(void);

void tcpscope_ring_write(struct tcpscope_hdr *rec);

void tcpscope_ring_read_lock(void);
void tcpscope_ring_read_unlock(void);
bool tcpscope_ring_next(struct tcpscope_item *item);
int tcpscope_ring_wait(void);
void tcpscope_ring_note_late(void);
__poll_t tcpscope_ring_poll(struct file *file, poll_table *wait);

u64 tcpscope_ring_lost(void);
void tcpscope_ring_show_stats(struct seq_file *m);

#endif /* _TCPSCOPE_RING_H */
