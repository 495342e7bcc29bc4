// SPDX-License-Identifier: GPL-2.0
/*
 * tcpscope_bench: drives the sock:inet_sock_set_state tracepoint for
 * `make bench`, to time tcpscope's record path and to generate events at a
 * chosen rate.
 *
 * It creates one kernel TCP socket, never bound or connected, and calls
 * tcp_set_state(sk, TCP_CLOSE) on it. On such a socket that does almost
 * nothing but fire the tracepoint (CLOSE -> CLOSE), so the time per call is
 * the tracepoint's cost plus a small constant.
 *
 * Commands, written to /sys/kernel/debug/tcpscope_bench/ctl:
 *   probe 1|2|3|4|0 attach an empty probe on the tracepoint (1: the floor
 *                   any probe pays) or a probe that only reads the clock
 *                   tcpscope stamps records with (2: the floor any
 *                   timestamped record pays), or an empty kprobe (3) or
 *                   kretprobe (4) on tcp_set_state() itself (what each of
 *                   tcpscope's kprobe and kretprobe hits pays before its
 *                   handler runs), or detach it (0). The tracepoint is not
 *                   exported, so it is found by name with
 *                   for_each_kernel_tracepoint()
 *   run N           N calls in a row, timed with ktime_get_ns()
 *   rate R MS       R calls per second for MS milliseconds, paced in
 *                   steps of about 1 ms (sleeping in between)
 * The write returns when the command is done. The result of the last one
 * is read from /sys/kernel/debug/tcpscope_bench/result:
 *   run <N> ns <total>
 *   rate <R> ms <MS> calls <n> ns <elapsed>
 */

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp.h>

#define RATE_CHUNK	4096

static struct socket *bench_sock;
static struct tracepoint *tp_set_state;
static struct dentry *bench_dir;
static unsigned long probe_on;
static DEFINE_PER_CPU(u64, clock_sink);
static char result[128];
static DEFINE_MUTEX(bench_mutex);	/* one command at a time */

static void empty_probe(void *data, const struct sock *sk,
			const int oldstate, const int newstate)
{
}

static void clock_probe(void *data, const struct sock *sk,
			const int oldstate, const int newstate)
{
	this_cpu_write(clock_sink, ktime_get_mono_fast_ns());
}

static void *probe_fn(unsigned long which)
{
	return which == 2 ? (void *)clock_probe : (void *)empty_probe;
}

static int empty_kprobe(struct kprobe *p, struct pt_regs *regs)
{
	return 0;
}

static int empty_kretprobe(struct kretprobe_instance *ri,
			   struct pt_regs *regs)
{
	return 0;
}

static struct kprobe set_state_kp = {
	.symbol_name	= "tcp_set_state",
	.pre_handler	= empty_kprobe,
};

static struct kretprobe set_state_krp = {
	.kp.symbol_name	= "tcp_set_state",
	.handler	= empty_kretprobe,
	.maxactive	= 4,
};

/* Probes 3 and 4: a kprobe or a kretprobe instead of the tracepoint. */
static int set_kprobe(unsigned long which, bool on)
{
	if (which == 3) {
		if (!on) {
			unregister_kprobe(&set_state_kp);
			return 0;
		}
		set_state_kp.addr = NULL;
		set_state_kp.flags = 0;
		return register_kprobe(&set_state_kp);
	}
	if (!on) {
		unregister_kretprobe(&set_state_krp);
		return 0;
	}
	set_state_krp.kp.addr = NULL;
	set_state_krp.kp.flags = 0;
	return register_kretprobe(&set_state_krp);
}

static void find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "inet_sock_set_state"))
		*(struct tracepoint **)priv = tp;
}

static int set_probe(unsigned long which)
{
	int ret = 0;

	if (which == probe_on)
		return 0;
	if (probe_on >= 3) {
		set_kprobe(probe_on, false);
		probe_on = 0;
	} else if (probe_on) {
		ret = tracepoint_probe_unregister(tp_set_state,
						  probe_fn(probe_on), NULL);
		if (ret)
			return ret;
		tracepoint_synchronize_unregister();
		probe_on = 0;
	}
	if (which >= 3)
		ret = set_kprobe(which, true);
	else if (which)
		ret = tracepoint_probe_register(tp_set_state, probe_fn(which),
						NULL);
	if (!ret)
		probe_on = which;
	return ret;
}

static void fire(unsigned long n)
{
	struct sock *sk = bench_sock->sk;

	while (n--)
		tcp_set_state(sk, TCP_CLOSE);
}

static int cmd_run(unsigned long n)
{
	u64 t0, t1;

	lock_sock(bench_sock->sk);
	t0 = ktime_get_ns();
	fire(n);
	t1 = ktime_get_ns();
	release_sock(bench_sock->sk);
	scnprintf(result, sizeof(result), "run %lu ns %llu\n", n, t1 - t0);
	return 0;
}

static int cmd_rate(unsigned long rate, unsigned long ms)
{
	u64 start = ktime_get_ns(), elapsed, due, calls = 0;
	u64 end = (u64)ms * NSEC_PER_MSEC;

	for (;;) {
		elapsed = ktime_get_ns() - start;
		if (elapsed >= end || fatal_signal_pending(current))
			break;
		due = div_u64(elapsed * rate, NSEC_PER_SEC);
		if (calls >= due) {
			usleep_range(1000, 1100);
			continue;
		}
		due = min_t(u64, due - calls, RATE_CHUNK);
		lock_sock(bench_sock->sk);
		fire(due);
		release_sock(bench_sock->sk);
		calls += due;
		cond_resched();
	}
	scnprintf(result, sizeof(result), "rate %lu ms %lu calls %llu ns %llu\n",
		  rate, ms, calls, ktime_get_ns() - start);
	return 0;
}

static ssize_t ctl_write(struct file *file, const char __user *ubuf,
			 size_t count, loff_t *ppos)
{
	unsigned long a, b;
	char cmd[64];
	int ret;

	if (count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, count))
		return -EFAULT;
	cmd[count] = '\0';
	mutex_lock(&bench_mutex);
	if (sscanf(cmd, "probe %lu", &a) == 1 && a <= 4)
		ret = set_probe(a);
	else if (sscanf(cmd, "run %lu", &a) == 1 && a)
		ret = cmd_run(a);
	else if (sscanf(cmd, "rate %lu %lu", &a, &b) == 2 && a && b)
		ret = cmd_rate(a, b);
	else
		ret = -EINVAL;
	mutex_unlock(&bench_mutex);
	return ret ? ret : count;
}

static ssize_t result_read(struct file *file, char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	char out[sizeof(result)];

	mutex_lock(&bench_mutex);
	memcpy(out, result, sizeof(out));
	mutex_unlock(&bench_mutex);
	return simple_read_from_buffer(ubuf, count, ppos, out, strlen(out));
}

static const struct file_operations ctl_fops = {
	.owner	= THIS_MODULE,
	.write	= ctl_write,
	.llseek	= noop_llseek,
};

static const struct file_operations result_fops = {
	.owner	= THIS_MODULE,
	.read	= result_read,
	.llseek	= default_llseek,
};

static int __init tcpscope_bench_init(void)
{
	int ret;

	for_each_kernel_tracepoint(find_tracepoint, &tp_set_state);
	if (!tp_set_state) {
		pr_err("tracepoint sock:inet_sock_set_state not found\n");
		return -ENOENT;
	}
	ret = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			       &bench_sock);
	if (ret) {
		pr_err("cannot create a TCP socket (%d)\n", ret);
		return ret;
	}
	bench_dir = debugfs_create_dir("tcpscope_bench", NULL);
	debugfs_create_file("ctl", 0200, bench_dir, NULL, &ctl_fops);
	debugfs_create_file("result", 0400, bench_dir, NULL, &result_fops);
	return 0;
}

static void __exit tcpscope_bench_exit(void)
{
	debugfs_remove_recursive(bench_dir);
	set_probe(0);
	sock_release(bench_sock);
}

module_init(tcpscope_bench_init);
module_exit(tcpscope_bench_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("tcpscope benchmark: fires sock:inet_sock_set_state on demand");
