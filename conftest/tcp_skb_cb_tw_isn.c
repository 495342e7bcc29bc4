// SPDX-License-Identifier: GPL-2.0
/*
 * TCPSCOPE_HAVE_TCP_SKB_CB_TW_ISN: the ISN that a SYN reusing a TIME_WAIT
 * connection gets is in the skb's control block, TCP_SKB_CB(skb). 6.10
 * moved it to the per-CPU variable tcp_tw_isn; the 6.12 stable series
 * (by 6.12.118) and mainline moved it back, so only a compile test can
 * tell.
 */
#include <linux/build_bug.h>
#include <linux/types.h>
#include <net/tcp.h>

static_assert(sizeof(((struct tcp_skb_cb *)0)->tcp_tw_isn) == sizeof(u32));
