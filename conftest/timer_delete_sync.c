// SPDX-License-Identifier: GPL-2.0
/*
 * TCPSCOPE_HAVE_TIMER_DELETE_SYNC: timer_delete_sync() exists. 6.2
 * renamed del_timer_sync() to it, and 7.x has no del_timer_sync() left;
 * stable series gained the new name too (Debian's 5.10 has both).
 */
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/timer.h>

static_assert(__same_type(&timer_delete_sync, int (*)(struct timer_list *)));
