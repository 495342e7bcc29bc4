/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hooks: the probes of state transitions and resets.
 */
#ifndef _TCPSCOPE_HOOKS_H
#define _TCPSCOPE_HOOKS_H

int tcpscope_hooks_attach(void);
void tcpscope_hooks_detach(void);

#endif /* _TCPSCOPE_HOOKS_H */
