/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hooks: where records come from (TCP tracepoints and kprobes).
 */
#ifndef _TCPSCOPE_HOOKS_H
#define _TCPSCOPE_HOOKS_H

#include <linux/irqflags.h>
#include <linux/kprobes.h>
#include <linux/types.h>

struct inet_timewait_sock;
struct sock;
struct tcpscope_probe_set;

extern struct tcpscope_probe_set tcpscope_hooks_probes;

/*
 * A kprobe or kretprobe handler runs with the CPU's current_kprobe set,
 * and in task context with interrupts on: a kprobe that an interrupt's
 * softirq hits meanwhile is missed (counted, not run). A handler that can
 * run in task context is therefore registered as its _irqoff twin, made
 * by these, which keeps interrupts off while it runs; only the few
 * instructions of the kprobe code around it stay open.
 */
#define TCPSCOPE_KPROBE_IRQOFF(fn)					\
static int fn##_irqoff(struct kprobe *p, struct pt_regs *regs)		\
{									\
	unsigned long flags;						\
	int ret;							\
									\
	local_irq_save(flags);						\
	ret = fn(p, regs);						\
	local_irq_restore(flags);					\
	return ret;							\
}

#define TCPSCOPE_KRETPROBE_IRQOFF(fn)					\
static int fn##_irqoff(struct kretprobe_instance *ri,			\
		       struct pt_regs *regs)				\
{									\
	unsigned long flags;						\
	int ret;							\
									\
	local_irq_save(flags);						\
	ret = fn(ri, regs);						\
	local_irq_restore(flags);					\
	return ret;							\
}

int tcpscope_hooks_attach(void);
void tcpscope_hooks_detach(void);
u64 tcpscope_hooks_missed(void);
void tcpscope_hooks_emit_tw(const struct inet_timewait_sock *tw,
			    int oldstate, int newstate);
u64 tcpscope_sock_id(const struct sock *sk);

#endif /* _TCPSCOPE_HOOKS_H */
