// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs: the directory /sys/kernel/debug/tcpscope/ and its files.
 *
 *  events	a consuming text stream, like trace_pipe: each record is read
 *		once, by one reader. read() blocks until there is something,
 *		O_NONBLOCK gives -EAGAIN, poll() works.
 *  events_raw	the same stream as binary records (include/uapi/tcpscope.h).
 *		Both files consume the same buffer.
 *  stats	buffer accounting, per CPU and in total, and the hook calls
 *		the kernel could not deliver.
 *  connections	the per-connection table (module/conns.c).
 *  listeners	the listener table (module/listeners.c).
 *  probes	every tracepoint, kprobe and kretprobe (module/probes.c).
 *
 * The first three are made here, the others by the file that holds what
 * they show. All are 0400, so they work under lockdown. An open file
 * holds a module reference: rmmod fails with "in use" until every reader
 * has closed.
 */

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "conns.h"
#include "debugfs.h"
#include "format.h"
#include "listeners.h"
#include "probes.h"
#include "ring.h"

static struct dentry *debugfs_dir;

/* How a stream file renders items: text or raw records. */
struct events_format {
	size_t (*render)(const struct tcpscope_item *item, char *buf,
			 size_t size);
};

static const struct events_format format_text = {
	.render = tcpscope_format_item,
};

static const struct events_format format_raw = {
	.render = tcpscope_format_raw,
};

/* Bytes a reader formats per batch, at most. */
#define EVENTS_BUF_SIZE	(16 * 1024)

/*
 * Per open file: a batch of formatted items and how much of it the reader
 * has taken. A batch holds at most what the reader asked for, plus the
 * rest of one item.
 */
struct events_reader {
	struct mutex lock;	/* serialises readers of this file */
	const struct events_format *format;
	size_t len;
	size_t off;
	char buf[EVENTS_BUF_SIZE];
};

static int events_open(struct inode *inode, struct file *file)
{
	struct events_reader *r;

	r = kvzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	mutex_init(&r->lock);
	r->format = inode->i_private;
	file->private_data = r;
	return stream_open(inode, file);
}

static int events_release(struct inode *inode, struct file *file)
{
	kvfree(file->private_data);
	return 0;
}

/* Format items into r->buf until it holds @want bytes or the rings are empty. */
static void events_batch(struct events_reader *r, size_t want)
{
	struct tcpscope_item item;

	tcpscope_ring_read_lock();
	while (r->len < want && sizeof(r->buf) - r->len >= TCPSCOPE_LINE_MAX &&
	       tcpscope_ring_next(&item))
		r->len += r->format->render(&item, r->buf + r->len,
					    sizeof(r->buf) - r->len);
	tcpscope_ring_read_unlock();
}

/* Refill r->buf. Return: 0, or -EAGAIN / -ERESTARTSYS if nothing came. */
static int events_fill(struct events_reader *r, size_t want, bool nonblock)
{
	bool timed_out = false;
	int ret;

	r->len = 0;
	r->off = 0;
	for (;;) {
		events_batch(r, want);
		if (r->len)
			break;
		if (nonblock)
			return -EAGAIN;
		ret = tcpscope_ring_wait();
		if (ret < 0)
			return ret;
		timed_out = ret;
	}
	if (timed_out)
		tcpscope_ring_note_late();
	return 0;
}

/*
 * Blocks only for the first item: once something has been copied, it
 * returns what is there rather than waiting for more.
 */
static ssize_t events_read(struct file *file, char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	struct events_reader *r = file->private_data;
	bool nonblock = file->f_flags & O_NONBLOCK;
	size_t copied = 0, n;
	int ret = 0;

	if (mutex_lock_interruptible(&r->lock))
		return -ERESTARTSYS;
	while (copied < count) {
		if (r->off == r->len) {
			ret = events_fill(r, count - copied, nonblock || copied);
			if (ret)
				break;
		}
		n = min(count - copied, r->len - r->off);
		if (copy_to_user(ubuf + copied, r->buf + r->off, n)) {
			ret = -EFAULT;
			break;
		}
		r->off += n;
		copied += n;
	}
	mutex_unlock(&r->lock);
	return copied ? copied : ret;
}

static __poll_t events_poll(struct file *file, poll_table *wait)
{
	struct events_reader *r = file->private_data;

	if (READ_ONCE(r->off) != READ_ONCE(r->len))
		return EPOLLIN | EPOLLRDNORM;
	return tcpscope_ring_poll(file, wait);
}

static const struct file_operations events_fops = {
	.owner		= THIS_MODULE,
	.open		= events_open,
	.release	= events_release,
	.read		= events_read,
	.poll		= events_poll,
};

/* missed: hook calls the kernel could not deliver (kretprobes ran out). */
static int stats_show(struct seq_file *m, void *v)
{
	tcpscope_ring_show_stats(m);
	seq_printf(m, "missed %llu\n", tcpscope_probes_missed());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

int tcpscope_debugfs_init(void)
{
	debugfs_dir = debugfs_create_dir("tcpscope", NULL);
	if (IS_ERR(debugfs_dir)) {
		pr_err("cannot create debugfs directory (%ld)\n",
		       PTR_ERR(debugfs_dir));
		return PTR_ERR(debugfs_dir);
	}
	debugfs_create_file("events", 0400, debugfs_dir,
			    (void *)&format_text, &events_fops);
	debugfs_create_file("events_raw", 0400, debugfs_dir,
			    (void *)&format_raw, &events_fops);
	debugfs_create_file("stats", 0400, debugfs_dir, NULL, &stats_fops);
	tcpscope_conns_debugfs(debugfs_dir);
	tcpscope_listeners_debugfs(debugfs_dir);
	tcpscope_probes_debugfs(debugfs_dir);
	return 0;
}

void tcpscope_debugfs_exit(void)
{
	debugfs_remove_recursive(debugfs_dir);
}
