// SPDX-License-Identifier: GPL-2.0
/*
 * TCPSCOPE_HAVE_GET_KRETPROBE: get_kretprobe() finds a kretprobe
 * instance's kretprobe. 5.11 added it when the instances stopped
 * pointing at their kretprobe directly; 5.10 has ri->rp.
 */
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/kprobes.h>

static_assert(__same_type(get_kretprobe((struct kretprobe_instance *)NULL),
			  struct kretprobe *));
