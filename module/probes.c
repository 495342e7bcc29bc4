// SPDX-License-Identifier: GPL-2.0
/*
 * probes: attaches, counts, lists and detaches every probe of the sets in
 * sets[] below, /sys/kernel/debug/tcpscope/probes.
 *
 * A tracepoint is found by name (the TCP ones are not exported); a kprobe
 * or kretprobe is registered by symbol. An entry tries its names in turn;
 * one that none fits degrades the feature it serves, said once in the
 * kernel log and in the probes file, and the rest still attach, unless it
 * is required: then its set fails to attach, and loading fails.
 *
 * Hits are counted per CPU in the common handlers that run the entry's:
 * kprobe_pre() and kretprobe_entry(); a tracepoint's handler, registered
 * with its entry as its data, calls tcpscope_probe_hit() itself.
 */

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/kprobes.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include "compat.h"
#include "probes.h"

/* Every set, in the order they are attached: what the probes file lists. */
static struct tcpscope_probe_set *const sets[] = {
	&tcpscope_hooks_probes,
	&tcpscope_timewait_probes,
	&tcpscope_listen_probes,
	&tcpscope_packets_probes,
};

/* Hit counters; 0 is every entry's that has none. */
#define PROBES_MAX	40

static DEFINE_PER_CPU(u64, probe_hits[PROBES_MAX]);
static unsigned int probes_ids;

static void hit(const struct tcpscope_probe *p)
{
	this_cpu_inc(probe_hits[p->id]);
}

static int kprobe_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct tcpscope_probe *p = container_of(kp, struct tcpscope_probe, kp);

	hit(p);
	return p->pre(kp, regs);
}

static int kretprobe_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct kretprobe *rp = compat_get_kretprobe(ri);
	struct tcpscope_probe *p = container_of(rp, struct tcpscope_probe, rp);

	hit(p);
	return p->entry ? p->entry(ri, regs) : 0;
}

/**
 * tcpscope_probe_hit() - count a call of a tracepoint's handler
 * @data: the data the handler was registered with, its table entry
 *
 * A tracepoint handler's arguments are the tracepoint's own, so no common
 * wrapper can count it as kprobe_pre() does: each calls this first.
 */
void tcpscope_probe_hit(void *data)
{
	hit(data);
}

struct tp_lookup {
	const char *name;
	struct tracepoint *tp;
};

static void tp_match(struct tracepoint *tp, void *priv)
{
	struct tp_lookup *l = priv;

	if (!strcmp(tp->name, l->name))
		l->tp = tp;
}

static int attach_tracepoint(struct tcpscope_probe *p, const char *name)
{
	struct tp_lookup l = { .name = name };
	int ret;

	for_each_kernel_tracepoint(tp_match, &l);
	if (!l.tp)
		return -ENOENT;
	ret = tracepoint_probe_register(l.tp, p->tp_probe, p);
	if (ret)
		return ret;
	p->tp = l.tp;
	return 0;
}

static int attach_kprobe(struct tcpscope_probe *p, const char *name)
{
	memset(&p->kp, 0, sizeof(p->kp));
	p->kp.symbol_name = name;
	p->kp.pre_handler = kprobe_pre;
	return register_kprobe(&p->kp);
}

static int attach_kretprobe(struct tcpscope_probe *p, const char *name)
{
	memset(&p->rp, 0, sizeof(p->rp));
	p->rp.kp.symbol_name = name;
	p->rp.entry_handler = kretprobe_entry;
	p->rp.handler = p->ret;
	p->rp.data_size = p->data_size;
	/* Up to this many calls may be in flight at once (preemptible). */
	p->rp.maxactive = max_t(int, 64, 8 * num_possible_cpus());
	return register_kretprobe(&p->rp);
}

/* Each name in turn; @p->err tells why none attached. */
static bool attach_one(struct tcpscope_probe *p)
{
	int i, ret = -ENOENT;

	if (probes_ids + 1 < PROBES_MAX)
		p->id = ++probes_ids;
	for (i = 0; i < TCPSCOPE_PROBE_NAMES && p->names[i]; i++) {
		if (p->kind == TCPSCOPE_TRACEPOINT)
			ret = attach_tracepoint(p, p->names[i]);
		else if (p->kind == TCPSCOPE_KPROBE)
			ret = attach_kprobe(p, p->names[i]);
		else
			ret = attach_kretprobe(p, p->names[i]);
		if (!ret) {
			p->name = p->names[i];
			WRITE_ONCE(p->state, TCPSCOPE_PROBE_ATTACHED);
			return true;
		}
	}
	p->err = ret;
	WRITE_ONCE(p->state, TCPSCOPE_PROBE_FAILED);
	return false;
}

static const char *const kind_names[] = {
	[TCPSCOPE_TRACEPOINT]	= "tracepoint",
	[TCPSCOPE_KPROBE]	= "kprobe",
	[TCPSCOPE_KRETPROBE]	= "kretprobe",
};

/* Once per load, for an entry that failed, and for its fallback. */
static void report(const struct tcpscope_probe *p,
		   const struct tcpscope_probe *next)
{
	if (p->required)
		pr_err("cannot attach %s %s (%pe): %s, required\n",
		       kind_names[p->kind], p->names[0], ERR_PTR(p->err),
		       p->lost);
	else if (next && next->state == TCPSCOPE_PROBE_ATTACHED)
		pr_info("no %s %s (%pe): %s %s serves %s in its place\n",
			kind_names[p->kind], p->names[0], ERR_PTR(p->err),
			kind_names[next->kind], next->name, next->feature);
	else if (!next || next->state == TCPSCOPE_PROBE_FAILED)
		pr_warn("cannot attach %s %s (%pe): %s feature degraded, %s\n",
			kind_names[p->kind], p->names[0], ERR_PTR(p->err),
			p->feature, p->lost);
}

/**
 * tcpscope_probes_attach() - attach a set's probes, in order
 * @set: the set
 *
 * Return: 0, or the error of a required probe; then none is attached.
 */
int tcpscope_probes_attach(struct tcpscope_probe_set *set)
{
	unsigned int i;

	for (i = 0; i < set->n; i++) {
		struct tcpscope_probe *p = &set->probes[i];
		struct tcpscope_probe *next = i + 1 < set->n &&
			set->probes[i + 1].fallback ? p + 1 : NULL;

		if (p->fallback)
			continue;	/* tried after the one before it */
		if (attach_one(p)) {
			if (next)
				WRITE_ONCE(next->state, TCPSCOPE_PROBE_SPARE);
			continue;
		}
		if (next && !attach_one(next))
			report(next, NULL);
		report(p, next);
		if (next && next->state == TCPSCOPE_PROBE_ATTACHED)
			WRITE_ONCE(p->state, TCPSCOPE_PROBE_REPLACED);
		if (p->required) {
			tcpscope_probes_detach(set);
			return p->err;
		}
	}
	return 0;
}

static void detach_tracepoint(struct tcpscope_probe *p)
{
	tracepoint_probe_unregister(p->tp, p->tp_probe, p);
}

/**
 * tcpscope_probes_detach() - detach a set's probes
 * @set: the set
 *
 * After this returns, no kprobe or kretprobe handler of the set runs any
 * more; a tracepoint's may still, until tracepoint_synchronize_unregister().
 * One unregister call per kind: each waits for an RCU grace period.
 */
void tcpscope_probes_detach(struct tcpscope_probe_set *set)
{
	struct kretprobe *rps[PROBES_MAX];
	struct kprobe *kps[PROBES_MAX];
	unsigned int i, nk = 0, nr = 0;

	for (i = 0; i < set->n; i++) {
		struct tcpscope_probe *p = &set->probes[i];

		if (p->state != TCPSCOPE_PROBE_ATTACHED)
			continue;
		if (p->kind == TCPSCOPE_TRACEPOINT)
			detach_tracepoint(p);
		else if (p->kind == TCPSCOPE_KPROBE && nk < PROBES_MAX)
			kps[nk++] = &p->kp;
		else if (nr < PROBES_MAX)
			rps[nr++] = &p->rp;
		WRITE_ONCE(p->state, TCPSCOPE_PROBE_OFF);
	}
	unregister_kretprobes(rps, nr);
	unregister_kprobes(kps, nk);
}

/* Calls the kernel could not deliver to a kprobe or kretprobe handler. */
static u64 missed(const struct tcpscope_probe *p)
{
	if (p->kind == TCPSCOPE_KPROBE)
		return p->kp.nmissed;
	return (u64)p->rp.nmissed + p->rp.kp.nmissed;
}

/* Of every kprobe and kretprobe of every set. */
u64 tcpscope_probes_missed(void)
{
	u64 n = 0;
	unsigned int s, i;

	for (s = 0; s < ARRAY_SIZE(sets); s++)
		for (i = 0; i < sets[s]->n; i++)
			if (sets[s]->probes[i].kind != TCPSCOPE_TRACEPOINT)
				n += missed(&sets[s]->probes[i]);
	return n;
}

static u64 hits(const struct tcpscope_probe *p)
{
	u64 n = 0;
	int cpu;

	if (!p->id)
		return 0;
	for_each_possible_cpu(cpu)
		n += per_cpu(probe_hits[p->id], cpu);
	return n;
}

static const char *const state_names[] = {
	[TCPSCOPE_PROBE_OFF]		= "off",
	[TCPSCOPE_PROBE_ATTACHED]	= "attached",
	[TCPSCOPE_PROBE_FAILED]		= "failed",
	[TCPSCOPE_PROBE_SPARE]		= "spare",
	[TCPSCOPE_PROBE_REPLACED]	= "replaced",
};

/* KIND SYMBOL FEATURE STATE hits N missed N [required] [error E] [lost: ...] */
static void show_probe(struct seq_file *m, const struct tcpscope_probe *p)
{
	int state = READ_ONCE(p->state);
	int i;

	seq_printf(m, "%s ", kind_names[p->kind]);
	if (state == TCPSCOPE_PROBE_ATTACHED)
		seq_puts(m, p->name);
	else		/* each name tried, or to be */
		for (i = 0; i < TCPSCOPE_PROBE_NAMES && p->names[i]; i++)
			seq_printf(m, "%s%s", i ? "|" : "", p->names[i]);
	seq_printf(m, " %s %s hits %llu missed ", p->feature,
		   state_names[state], hits(p));
	if (p->kind == TCPSCOPE_TRACEPOINT)
		seq_putc(m, '-');
	else
		seq_printf(m, "%llu", missed(p));
	if (p->required)
		seq_puts(m, " required");
	if (state == TCPSCOPE_PROBE_FAILED || state == TCPSCOPE_PROBE_REPLACED)
		seq_printf(m, " error %pe", ERR_PTR(p->err));
	if (state == TCPSCOPE_PROBE_FAILED || state == TCPSCOPE_PROBE_OFF)
		seq_printf(m, " lost: %s", p->lost);
	seq_putc(m, '\n');
}

static int probes_show(struct seq_file *m, void *v)
{
	unsigned int s, i;

	for (s = 0; s < ARRAY_SIZE(sets); s++)
		for (i = 0; i < sets[s]->n; i++)
			show_probe(m, &sets[s]->probes[i]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(probes);

void tcpscope_probes_debugfs(struct dentry *dir)
{
	debugfs_create_file("probes", 0400, dir, NULL, &probes_fops);
}
