/* SPDX-License-Identifier: GPL-2.0 */
/*
 * probes: every tracepoint, kprobe and kretprobe tcpscope attaches to, and
 * the one implementation that attaches, counts, lists and detaches them.
 *
 * Each subsystem describes its probes as an array of entries beside its
 * handlers, and exports it as a struct tcpscope_probe_set, declared at the
 * end of this file; main.c has the sets attached and detached in the order
 * they require. The probes file lists every set's entries, in the order
 * they are attached. The subsystems use this file, and it uses none of
 * theirs.
 */
#ifndef _TCPSCOPE_PROBES_H
#define _TCPSCOPE_PROBES_H

#include <linux/compiler.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/types.h>

struct dentry;
struct tracepoint;

enum tcpscope_probe_kind {
	TCPSCOPE_TRACEPOINT,
	TCPSCOPE_KPROBE,
	TCPSCOPE_KRETPROBE,
};

enum tcpscope_probe_state {
	TCPSCOPE_PROBE_OFF,		/* not tried: its feature is off */
	TCPSCOPE_PROBE_ATTACHED,
	TCPSCOPE_PROBE_FAILED,		/* no name could be attached */
	TCPSCOPE_PROBE_SPARE,		/* the entry before it serves */
	TCPSCOPE_PROBE_REPLACED,	/* not there: the entry after it serves */
};

/* Names a target has had: the first that attaches is used. */
#define TCPSCOPE_PROBE_NAMES	3

/**
 * struct tcpscope_probe - one tracepoint, kprobe or kretprobe target
 * @kind:	what it is
 * @names:	the target's names on the kernels supported, newest first
 * @feature:	the feature it serves (one word)
 * @lost:	what that feature loses without it
 * @required:	tcpscope cannot work without it: loading fails
 * @fallback:	tried only if the entry before it did not attach; it serves
 *		the same events with other handlers
 * @tp_probe:	a tracepoint's probe function
 * @pre:	a kprobe's pre_handler
 * @entry:	a kretprobe's entry_handler (may be NULL)
 * @ret:	a kretprobe's return handler
 * @data_size:	a kretprobe's per-instance data
 * @kp:		the kprobe registered
 * @rp:		the kretprobe registered
 * @tp:		the tracepoint found
 * @name:	the name used, or NULL
 * @err:	why none attached
 * @state:	enum tcpscope_probe_state
 * @id:		its hit counter (0: none)
 */
struct tcpscope_probe {
	enum tcpscope_probe_kind kind;
	const char *names[TCPSCOPE_PROBE_NAMES];
	const char *feature;
	const char *lost;
	bool required;
	bool fallback;
	void *tp_probe;
	kprobe_pre_handler_t pre;
	kretprobe_handler_t entry;
	kretprobe_handler_t ret;
	size_t data_size;

	union {
		struct kprobe kp;
		struct kretprobe rp;
	};
	struct tracepoint *tp;
	const char *name;
	int err;
	int state;
	unsigned int id;
};

/**
 * struct tcpscope_probe_set - a subsystem's probes
 * @probes:	its entries, in the order they are attached
 * @n:		how many
 */
struct tcpscope_probe_set {
	struct tcpscope_probe *probes;
	unsigned int n;
};

/* One entry each; the names come last, the first tried first. */
#define TCPSCOPE_TRACEPOINT(feat, what, fn, ...)			\
	{ .kind = TCPSCOPE_TRACEPOINT, .feature = feat, .lost = what,	\
	  .tp_probe = fn, .names = { __VA_ARGS__ } }
#define TCPSCOPE_TRACEPOINT_REQUIRED(feat, what, fn, ...)		\
	{ .kind = TCPSCOPE_TRACEPOINT, .feature = feat, .lost = what,	\
	  .tp_probe = fn, .required = true, .names = { __VA_ARGS__ } }
#define TCPSCOPE_KPROBE(feat, what, fn, ...)				\
	{ .kind = TCPSCOPE_KPROBE, .feature = feat, .lost = what,	\
	  .pre = fn, .names = { __VA_ARGS__ } }
#define TCPSCOPE_KRETPROBE(feat, what, fn_entry, fn_ret, size, ...)	\
	{ .kind = TCPSCOPE_KRETPROBE, .feature = feat, .lost = what,	\
	  .entry = fn_entry, .ret = fn_ret, .data_size = size,		\
	  .names = { __VA_ARGS__ } }
/* In place of the entry before it, when that one cannot attach. */
#define TCPSCOPE_KRETPROBE_ELSE(feat, what, fn_entry, fn_ret, size, ...) \
	{ .kind = TCPSCOPE_KRETPROBE, .feature = feat, .lost = what,	\
	  .entry = fn_entry, .ret = fn_ret, .data_size = size,		\
	  .fallback = true, .names = { __VA_ARGS__ } }

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

int tcpscope_probes_attach(struct tcpscope_probe_set *set);
void tcpscope_probes_detach(struct tcpscope_probe_set *set);
u64 tcpscope_probes_missed(void);
void tcpscope_probes_debugfs(struct dentry *dir);

/* Whether @p is attached: its handlers run. */
static inline bool tcpscope_probe_attached(const struct tcpscope_probe *p)
{
	return READ_ONCE(p->state) == TCPSCOPE_PROBE_ATTACHED;
}

void tcpscope_probe_hit(void *data);

/* Every set, each defined in the file of the same name, beside its handlers. */
extern struct tcpscope_probe_set tcpscope_hooks_probes;
extern struct tcpscope_probe_set tcpscope_timewait_probes;
extern struct tcpscope_probe_set tcpscope_listen_probes;
extern struct tcpscope_probe_set tcpscope_packets_probes;

#endif /* _TCPSCOPE_PROBES_H */
