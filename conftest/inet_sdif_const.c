// SPDX-License-Identifier: GPL-2.0
/*
 * TCPSCOPE_HAVE_INET_SDIF_CONST: inet_sdif() takes a const skb, as it
 * does by 6.1; 5.10's takes a plain one (a const one draws a warning).
 */
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/skbuff.h>
#include <net/ip.h>

static_assert(__same_type(&inet_sdif, int (*)(const struct sk_buff *)));
