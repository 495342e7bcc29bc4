/* SPDX-License-Identifier: GPL-2.0 */
/*
 * debugfs: the debugfs files, /sys/kernel/debug/tcpscope/.
 */
#ifndef _TCPSCOPE_DEBUGFS_H
#define _TCPSCOPE_DEBUGFS_H

int tcpscope_debugfs_init(void);
void tcpscope_debugfs_exit(void);

#endif /* _TCPSCOPE_DEBUGFS_H */
