// SPDX-License-Identifier: GPL-2.0
/*
 * TCPSCOPE_HAVE_TCP_SEND_RESET_REASON: the tcp:tcp_send_reset tracepoint
 * passes the reason, an enum sk_rst_reason of <net/rstreason.h> (6.10).
 */
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <net/rstreason.h>
#include <trace/events/tcp.h>

static_assert(__same_type(&trace_tcp_send_reset,
			  void (*)(const struct sock *, const struct sk_buff *,
				   const enum sk_rst_reason)));
