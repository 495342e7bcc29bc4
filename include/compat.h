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
#include <net/tcp.h>
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

/*
 * 6.10 gave tcp:tcp_send_reset the reason (enum sk_rst_reason). A probe
 * on it is declared with COMPAT_SEND_RESET_PARAMS and reads the reason's
 * name, or NULL, as COMPAT_SEND_RESET_REASON.
 */
#if KERNEL_VERSION(6, 10, 0) > LINUX_VERSION_CODE
#define COMPAT_SEND_RESET_PARAMS \
	void *data, const struct sock *sk, const struct sk_buff *skb
#define COMPAT_SEND_RESET_REASON	NULL
#else
#include <net/rstreason.h>

#define COMPAT_SEND_RESET_PARAMS \
	void *data, const struct sock *sk, const struct sk_buff *skb, \
	const enum sk_rst_reason reason
#define COMPAT_SEND_RESET_REASON	compat_rst_reason_name(reason)

static inline const char *compat_rst_reason_name(enum sk_rst_reason reason)
{
#define COMPAT_RST_REASON_ENTRY(r)	{ SK_RST_REASON_##r, #r },
	static const struct {
		enum sk_rst_reason reason;
		const char *name;
	} names[] = {
		DEFINE_RST_REASON(COMPAT_RST_REASON_ENTRY, COMPAT_RST_REASON_ENTRY)
	};
#undef COMPAT_RST_REASON_ENTRY
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].reason == reason)
			return names[i].name;
	return "UNKNOWN";
}
#endif

/*
 * 6.10 moved the ISN a SYN gets when it reuses a TIME_WAIT connection
 * from the skb's control block to a per-CPU variable. Valid while the
 * SYN is being processed, in tcp_conn_request().
 */
static inline u32 compat_tw_isn(const struct sk_buff *skb)
{
#if KERNEL_VERSION(6, 10, 0) > LINUX_VERSION_CODE
	return TCP_SKB_CB(skb)->tcp_tw_isn;
#else
	return __this_cpu_read(tcp_tw_isn);
#endif
}

#endif /* _TCPSCOPE_COMPAT_H */
