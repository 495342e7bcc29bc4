// SPDX-License-Identifier: GPL-2.0
/*
 * events: the debugfs files.
 *
 *  events	a consuming text stream, like trace_pipe: each record is read
 *		once, by one reader. read() blocks until there is something,
 *		O_NONBLOCK gives -EAGAIN, poll() works.
 *  events_raw	the same stream as binary records (include/uapi/tcpscope.h).
 *		Both files consume the same buffer.
 *  stats	buffer accounting, per CPU and in total.
 *
 * Both are 0400, so they work under lockdown. An open file holds a module
 * reference: rmmod fails with "in use" until every reader has closed.
 */

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "events.h"
#include "format.h"
#include "hooks.h"
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

/* Per open file: the part of the last item the reader has not taken yet. */
struct events_reader {
	struct mutex lock;	/* serialises readers of this file */
	const struct events_format *format;
	size_t len;
	size_t off;
	char buf[TCPSCOPE_LINE_MAX];
};

static int events_open(struct inode *inode, struct file *file)
{
	struct events_reader *r;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	mutex_init(&r->lock);
	r->format = inode->i_private;
	file->private_data = r;
	return stream_open(inode, file);
}

static int events_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

/* Refill r->buf. Return: 0, or -EAGAIN / -ERESTARTSYS if nothing came. */
static int events_fill(struct events_reader *r, bool nonblock)
{
	struct tcpscope_item item;
	bool timed_out = false;
	int ret;

	while (!tcpscope_ring_next(&item)) {
		if (nonblock)
			return -EAGAIN;
		ret = tcpscope_ring_wait();
		if (ret < 0)
			return ret;
		timed_out = ret;
	}
	if (timed_out)
		tcpscope_ring_note_late();
	r->len = r->format->render(&item, r->buf, sizeof(r->buf));
	r->off = 0;
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
			ret = events_fill(r, nonblock || copied);
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

static int stats_show(struct seq_file *m, void *v)
{
	tcpscope_ring_show_stats(m);
	seq_printf(m, "missed %llu\n", tcpscope_hooks_missed());
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
	return 0;
}

void tcpscope_debugfs_exit(void)
{
	debugfs_remove_recursive(debugfs_dir);
}
