// SPDX-License-Identifier: GPL-2.0
/*
 * format: records to what readers get: text lines for events (the line
 * format is include/tcptext.h's, documented in Documentation/tcpscope.rst),
 * binary records for events_raw.
 */

#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "format.h"
#include "tcptext.h"

/**
 * tcpscope_state_name() - the name of a TCP state, for the other files
 * @state: enum tcpscope_tcp_state
 *
 * Return: "ESTABLISHED" and so on, "UNKNOWN" for a state it does not know.
 */
const char *tcpscope_state_name(unsigned int state)
{
	return text_state_name(state);
}

/**
 * tcpscope_put_endpoint() - "198.51.100.1:80" or "[2001:db8::1]:80"
 * @p: where to write, room for TCPSCOPE_ENDPOINT_MAX bytes
 * @family: AF_INET or AF_INET6
 * @addr: the address, in network order
 * @port: the port, in network order
 *
 * Return: the end of what was written (a NUL follows it).
 */
char *tcpscope_put_endpoint(char *p, u8 family, const u8 *addr, __be16 port)
{
	struct text t = { .buf = p, .size = TCPSCOPE_ENDPOINT_MAX };

	tput_endpoint(&t, family, addr, port);
	return p + t.len;
}

/**
 * tcpscope_format_item() - one item as text
 * @item: from tcpscope_ring_next()
 * @buf: output, at least TCPSCOPE_LINE_MAX bytes
 * @size: size of @buf
 *
 * The lines are tcptext.h's, as tools/tcpscope-raw prints them.
 *
 * Return: length of the text, each line ending in a newline.
 */
size_t tcpscope_format_item(const struct tcpscope_item *item, char *buf,
			    size_t size)
{
	struct text t = { .buf = buf, .size = size };

	if (WARN_ON_ONCE(size < TCPSCOPE_LINE_MAX))
		return 0;
	if (item->lost)
		tput_lost(&t, item->lost, item->lost_cpu);
	if (item->has_rec)
		tput_record(&t, &item->rec.hdr);
	return t.len;
}

/**
 * tcpscope_format_raw() - one item as binary records
 * @item: from tcpscope_ring_next()
 * @buf: output, at least TCPSCOPE_LINE_MAX bytes
 * @size: size of @buf
 *
 * Losses become a struct tcpscope_lost_rec before the record, whose
 * lost_before is then cleared, so that the stream states each loss once.
 *
 * Return: number of bytes written.
 */
size_t tcpscope_format_raw(const struct tcpscope_item *item, char *buf,
			   size_t size)
{
	struct tcpscope_hdr *h;
	size_t len = 0;

	if (item->lost) {
		struct tcpscope_lost_rec lost = {
			.hdr.kind = TCPSCOPE_KIND_LOST,
			.hdr.size = sizeof(lost),
			.hdr.cpu = item->lost_cpu,
			.hdr.version = TCPSCOPE_RECORD_VERSION,
			.count = item->lost,
		};

		lost.hdr.ts_ns = item->has_rec ? item->rec.hdr.ts_ns :
						 ktime_get_mono_fast_ns();
		memcpy(buf, &lost, sizeof(lost));
		len = sizeof(lost);
	}
	if (!item->has_rec || len + item->rec.hdr.size > size)
		return len;
	tcpscope_copy_words(buf + len, &item->rec, item->rec.hdr.size);
	h = (struct tcpscope_hdr *)(buf + len);
	h->lost_before = 0;
	return len + item->rec.hdr.size;
}
