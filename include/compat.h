/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference tcpscope depends on lives here, one
 * wrapper per API change, so that the rest of the code has no #if on
 * LINUX_VERSION_CODE. Supported: Debian 6.1 and 6.12 (bookworm-backports).
 */
#ifndef _TCPSCOPE_COMPAT_H
#define _TCPSCOPE_COMPAT_H

#include <linux/version.h>
#include <linux/timer.h>
#include <net/tcp_states.h>

/* 6.2 renamed del_timer_sync() to timer_delete_sync(). */
static inline int compat_timer_delete_sync(struct timer_list *timer)
{
#if KERNEL_VERSION(6, 2, 0) > LINUX_VERSION_CODE
	return del_timer_sync(timer);
#else
	return timer_delete_sync(timer);
#endif
}

#endif /* _TCPSCOPE_COMPAT_H */
