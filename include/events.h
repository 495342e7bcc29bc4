/* SPDX-License-Identifier: GPL-2.0 */
/*
 * events: the debugfs files, /sys/kernel/debug/tcpscope/.
 */
#ifndef _TCPSCOPE_EVENTS_H
#define _TCPSCOPE_EVENTS_H

int tcpscope_debugfs_init(void);
void tcpscope_debugfs_exit(void);

#endif /* _TCPSCOPE_EVENTS_H */
