// SPDX-License-Identifier: GPL-2.0
/*
 * tcpscope: makes TCP connection life cycles visible.
 *
 * Module parameters, and the order in which the subsystems come up and go
 * down: ring (the buffer), conns (the connection table), listeners (the
 * listener table), pernet (/proc/net/tcpscope), debugfs, then the
 * sources of records, last up and first down: the hooks (state
 * transitions and resets, then timewait, then the listeners' hooks) and
 * packets (netfilter). This file alone knows that order.
 */

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/tracepoint.h>

#include "conns.h"
#include "debugfs.h"
#include "hooks.h"
#include "listen.h"
#include "listeners.h"
#include "packets.h"
#include "pernet.h"
#include "ring.h"
#include "timewait.h"

#define BUFSIZE_KB_MIN	8
#define BUFSIZE_KB_MAX	65536

#define WAKEUP_MS_MAX	1000

#define MAX_CONNS_MAX	1048576
#define MAX_LISTENERS_MAX	65536
#define SYNFLOOD_MAX	1048576

/* The module parameters, each named as in modinfo, with its default. */
static struct {
	unsigned int bufsize_kb;
	unsigned int overwrite;
	unsigned int wakeup_ms;
	unsigned int packets;
	unsigned int max_conns;
	unsigned int listen;
	struct tcpscope_listeners_params listeners;
} params = {
	.bufsize_kb	= 1024,
	.wakeup_ms	= 10,
	.packets	= TCPSCOPE_PACKETS_CONTROL,
	.max_conns	= 4096,
	.listen		= 1,
	.listeners	= {
		.max_listeners		= 256,
		.synflood_halfopen	= 64,
		.synflood_sources	= 16,
	},
};

static const char * const packets_names[] = {
	[TCPSCOPE_PACKETS_OFF]		= "off",
	[TCPSCOPE_PACKETS_CONTROL]	= "control",
	[TCPSCOPE_PACKETS_ALL]		= "all",
};

static int set_uint_in(const char *val, const struct kernel_param *kp,
		       unsigned int min, unsigned int max)
{
	unsigned int v;

	if (kstrtouint(val, 0, &v) || v < min || v > max) {
		pr_err("%s=%s is invalid: expected an integer from %u to %u\n",
		       kp->name, val, min, max);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = v;
	return 0;
}

static int set_bufsize_kb(const char *val, const struct kernel_param *kp)
{
	return set_uint_in(val, kp, BUFSIZE_KB_MIN, BUFSIZE_KB_MAX);
}

static int set_zero_one(const char *val, const struct kernel_param *kp)
{
	return set_uint_in(val, kp, 0, 1);
}

static int set_wakeup_ms(const char *val, const struct kernel_param *kp)
{
	return set_uint_in(val, kp, 0, WAKEUP_MS_MAX);
}

static int set_max_conns(const char *val, const struct kernel_param *kp)
{
	return set_uint_in(val, kp, 0, MAX_CONNS_MAX);
}

static int set_max_listeners(const char *val, const struct kernel_param *kp)
{
	return set_uint_in(val, kp, 0, MAX_LISTENERS_MAX);
}

static int set_synflood(const char *val, const struct kernel_param *kp)
{
	return set_uint_in(val, kp, 1, SYNFLOOD_MAX);
}

static int set_packets(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(packets_names, val);

	if (i < 0) {
		pr_err("%s=%s is invalid: expected off, control or all\n",
		       kp->name, val);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = i;
	return 0;
}

static int get_packets(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", packets_names[*(unsigned int *)kp->arg]);
}

static const struct kernel_param_ops bufsize_kb_ops = {
	.set = set_bufsize_kb,
	.get = param_get_uint,
};

static const struct kernel_param_ops zero_one_ops = {
	.set = set_zero_one,
	.get = param_get_uint,
};

static const struct kernel_param_ops wakeup_ms_ops = {
	.set = set_wakeup_ms,
	.get = param_get_uint,
};

static const struct kernel_param_ops max_conns_ops = {
	.set = set_max_conns,
	.get = param_get_uint,
};

static const struct kernel_param_ops max_listeners_ops = {
	.set = set_max_listeners,
	.get = param_get_uint,
};

static const struct kernel_param_ops synflood_ops = {
	.set = set_synflood,
	.get = param_get_uint,
};

static const struct kernel_param_ops packets_ops = {
	.set = set_packets,
	.get = get_packets,
};

module_param_cb(bufsize_kb, &bufsize_kb_ops, &params.bufsize_kb, 0444);
MODULE_PARM_DESC(bufsize_kb, "Event buffer size per CPU, in KiB (8-65536, default 1024)");
module_param_cb(overwrite, &zero_one_ops, &params.overwrite, 0444);
MODULE_PARM_DESC(overwrite, "When the buffer is full: 0 drops the newest event, 1 overwrites the oldest (default 0); both are counted");
module_param_cb(wakeup_ms, &wakeup_ms_ops, &params.wakeup_ms, 0444);
MODULE_PARM_DESC(wakeup_ms, "A waiting reader is woken this long after the first new event, or at once when a CPU fills a quarter of its buffer (0-1000, default 10; 0: at once)");
module_param_cb(packets, &packets_ops, &params.packets, 0444);
MODULE_PARM_DESC(packets, "TCP segments to record: control (SYN, FIN, RST, the ACK completing a handshake, the ACK of a FIN; default), all, off");
module_param_cb(max_conns, &max_conns_ops, &params.max_conns, 0444);
MODULE_PARM_DESC(max_conns, "Connections the table keeps, rounded up to a multiple of 8; a full table evicts the least recently updated, closed ones first (0-1048576, default 4096; 0: no table)");
module_param_cb(listen, &zero_one_ops, &params.listen, 0444);
MODULE_PARM_DESC(listen, "Record listen events: a listener's SYN and accept queues at each step of a passive open, its overflows and SYN-ACK retransmissions (0 or 1, default 1)");
module_param_cb(max_listeners, &max_listeners_ops, &params.listeners.max_listeners, 0444);
MODULE_PARM_DESC(max_listeners, "Listening sockets the listener table of each CPU keeps, rounded up to a multiple of 4; a full table evicts the least recently used, closed ones first (0-65536, default 256; 0: no table, no SYN-flood flag)");
module_param_cb(synflood_halfopen, &synflood_ops, &params.listeners.synflood_halfopen, 0444);
MODULE_PARM_DESC(synflood_halfopen, "SYN-flood flag: half-open requests of a listener within one second, the SYN queue plus the SYNs that found it full (1-1048576, default 64)");
module_param_cb(synflood_sources, &synflood_ops, &params.listeners.synflood_sources, 0444);
MODULE_PARM_DESC(synflood_sources, "SYN-flood flag: distinct source addresses within the same second, estimated (1-1048576, default 16)");

/*
 * The hooks, in order: the state hooks first, then the timewait and
 * listener hooks, after the state tracepoint, which claims what they note.
 * Only the state tracepoint is required.
 */
static int attach_hooks(void)
{
	int ret;

	ret = tcpscope_hooks_attach();
	if (ret)
		return ret;
	tcpscope_timewait_attach();
	tcpscope_listen_attach(params.listen);
	return 0;
}

/* After this returns, no hook runs any more and none is running. */
static void detach_hooks(void)
{
	tcpscope_listen_detach();
	tcpscope_timewait_detach();
	tcpscope_hooks_detach();
	tracepoint_synchronize_unregister();
}

static int __init tcpscope_init(void)
{
	int ret;

	ret = tcpscope_ring_init(params.bufsize_kb, params.overwrite,
				 params.wakeup_ms);
	if (ret) {
		pr_err("cannot allocate %u KiB per CPU for events\n",
		       params.bufsize_kb);
		return ret;
	}
	ret = tcpscope_conns_init(params.max_conns);
	if (ret) {
		pr_err("cannot allocate a table of %u connections\n",
		       params.max_conns);
		goto err_free_ring;
	}
	ret = tcpscope_listeners_init(&params.listeners);
	if (ret) {
		pr_err("cannot allocate a table of %u listeners per CPU (%u CPUs)\n",
		       params.listeners.max_listeners, nr_cpu_ids);
		goto err_free_conns;
	}
	ret = tcpscope_pernet_init();
	if (ret)
		goto err_free_listeners;
	ret = tcpscope_debugfs_init();
	if (ret)
		goto err_unregister_pernet;
	ret = attach_hooks();
	if (ret)
		goto err_remove_debugfs;
	ret = tcpscope_packets_init(params.packets, params.max_conns);
	if (ret)
		goto err_detach_hooks;
	pr_info("loaded: bufsize_kb=%u overwrite=%u wakeup_ms=%u packets=%s max_conns=%u listen=%u max_listeners=%u synflood_halfopen=%u synflood_sources=%u\n",
		params.bufsize_kb, params.overwrite, params.wakeup_ms,
		packets_names[params.packets], params.max_conns, params.listen,
		params.listeners.max_listeners,
		params.listeners.synflood_halfopen,
		params.listeners.synflood_sources);
	return 0;

err_detach_hooks:
	detach_hooks();
err_remove_debugfs:
	tcpscope_debugfs_exit();
err_unregister_pernet:
	tcpscope_pernet_exit();
err_free_listeners:
	tcpscope_listeners_exit();
err_free_conns:
	tcpscope_conns_exit();
err_free_ring:
	tcpscope_ring_exit();
	return ret;
}

static void __exit tcpscope_exit(void)
{
	tcpscope_packets_exit();
	detach_hooks();
	tcpscope_debugfs_exit();
	tcpscope_pernet_exit();
	tcpscope_listeners_exit();
	tcpscope_conns_exit();
	tcpscope_ring_exit();
	pr_info("unloaded\n");
}

module_init(tcpscope_init);
module_exit(tcpscope_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("TCP connection life cycles: state transitions, per CPU, in debugfs and /proc/net/tcpscope");
MODULE_VERSION("0.1");
