/* SPDX-License-Identifier: GPL-2.0 */
/*
 * packets: records of TCP segments, from netfilter hooks.
 */
#ifndef _TCPSCOPE_PACKETS_H
#define _TCPSCOPE_PACKETS_H

#include <linux/types.h>

/* What the `packets` module parameter selects. */
enum tcpscope_packets_mode {
	TCPSCOPE_PACKETS_OFF,
	TCPSCOPE_PACKETS_CONTROL,
	TCPSCOPE_PACKETS_ALL,
};

int tcpscope_packets_init(enum tcpscope_packets_mode mode, bool conns);
void tcpscope_packets_exit(void);

#endif /* _TCPSCOPE_PACKETS_H */
