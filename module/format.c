// SPDX-License-Identifier: GPL-2.0
/*
 * format: records to what readers get: text lines for events, binary
 * records for events_raw. The line format is documented in
 * Documentation/tcpscope.rst and reproduced by scripts/tcpscope-raw.c;
 * change all three together.
 */

#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/time64.h>
#include <linux/timekeeping.h>

#include "format.h"

static const char * const state_names[TCPSCOPE_MAX_STATES] = {
	[TCPSCOPE_ESTABLISHED]		= "ESTABLISHED",
	[TCPSCOPE_SYN_SENT]		= "SYN_SENT",
	[TCPSCOPE_SYN_RECV]		= "SYN_RECV",
	[TCPSCOPE_FIN_WAIT1]		= "FIN_WAIT1",
	[TCPSCOPE_FIN_WAIT2]		= "FIN_WAIT2",
	[TCPSCOPE_TIME_WAIT]		= "TIME_WAIT",
	[TCPSCOPE_CLOSE]		= "CLOSE",
	[TCPSCOPE_CLOSE_WAIT]		= "CLOSE_WAIT",
	[TCPSCOPE_LAST_ACK]		= "LAST_ACK",
	[TCPSCOPE_LISTEN]		= "LISTEN",
	[TCPSCOPE_CLOSING]		= "CLOSING",
	[TCPSCOPE_NEW_SYN_RECV]		= "NEW_SYN_RECV",
	[TCPSCOPE_BOUND_INACTIVE]	= "BOUND_INACTIVE",
};

const char *tcpscope_state_name(unsigned int state)
{
	if (state < TCPSCOPE_MAX_STATES && state_names[state])
		return state_names[state];
	return "UNKNOWN";
}

/* "198.51.100.1:80" or "[2001:db8::1]:80" */
static int format_endpoint(char *buf, size_t size, u8 family,
			   const u8 *addr, __be16 port)
{
	if (family == AF_INET6)
		return scnprintf(buf, size, "[%pI6c]:%u", addr, ntohs(port));
	return scnprintf(buf, size, "%pI4:%u", addr, ntohs(port));
}

static size_t format_state(const struct tcpscope_state_rec *r, char *buf,
			   size_t size)
{
	char local[56], remote[56];

	format_endpoint(local, sizeof(local), r->family, r->saddr, r->sport);
	format_endpoint(remote, sizeof(remote), r->family, r->daddr, r->dport);
	return scnprintf(buf, size, "state %s > %s %s -> %s\n", local, remote,
			 tcpscope_state_name(r->oldstate),
			 tcpscope_state_name(r->newstate));
}

/* "<sec>.<nsec> cpu<N> ns=<inode> id=<cookie> " */
static size_t format_prefix(const struct tcpscope_hdr *h, char *buf,
			    size_t size)
{
	u32 nsec;
	u64 sec = div_u64_rem(h->ts_ns, NSEC_PER_SEC, &nsec);

	return scnprintf(buf, size, "%llu.%09u cpu%u ns=%u id=%llx ", sec,
			 nsec, h->cpu, h->netns, h->conn_id);
}

/**
 * tcpscope_format_item() - one item as text
 * @item: from tcpscope_ring_next()
 * @buf: output, at least TCPSCOPE_LINE_MAX bytes
 * @size: size of @buf
 *
 * Return: length of the text, each line ending in a newline.
 */
size_t tcpscope_format_item(const struct tcpscope_item *item, char *buf,
			    size_t size)
{
	size_t len = 0;

	if (item->lost)
		len += scnprintf(buf, size, "LOST %llu cpu%d\n", item->lost,
				 item->lost_cpu);
	if (!item->has_rec)
		return len;
	len += format_prefix(&item->rec.hdr, buf + len, size - len);
	switch (item->rec.hdr.kind) {
	case TCPSCOPE_KIND_STATE:
		len += format_state(&item->rec.state, buf + len, size - len);
		break;
	default:
		len += scnprintf(buf + len, size - len, "kind%u\n",
				 item->rec.hdr.kind);
		break;
	}
	return len;
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
	memcpy(buf + len, &item->rec, item->rec.hdr.size);
	h = (struct tcpscope_hdr *)(buf + len);
	h->lost_before = 0;
	return len + item->rec.hdr.size;
}
