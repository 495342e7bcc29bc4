/* SPDX-License-Identifier: GPL-2.0 */
/*
 * format: records to the text lines of the events file.
 */
#ifndef _TCPSCOPE_FORMAT_H
#define _TCPSCOPE_FORMAT_H

#include <linux/types.h>

#include "ring.h"

/*
 * Longest output one item can produce: a LOST line and a record line (or,
 * raw, a LOST record and a record). The longest record line is a packet
 * with IPv6 addresses and 40 bytes of options printed as hex (about 560).
 */
#define TCPSCOPE_LINE_MAX	768

/* "[" IPv6 "]:" port, and a NUL. */
#define TCPSCOPE_ENDPOINT_MAX	64

const char *tcpscope_state_name(unsigned int state);
char *tcpscope_put_endpoint(char *p, u8 family, const u8 *addr, __be16 port);
size_t tcpscope_format_item(const struct tcpscope_item *item, char *buf,
			    size_t size);
size_t tcpscope_format_raw(const struct tcpscope_item *item, char *buf,
			   size_t size);

#endif /* _TCPSCOPE_FORMAT_H */
