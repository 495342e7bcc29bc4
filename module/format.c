// SPDX-License-Identifier: GPL-2.0
/*
 * format: records to what readers get: text lines for events, binary
 * records for events_raw. The line format is documented in
 * Documentation/tcpscope.rst and reproduced by tools/tcpscope-raw.c;
 * change all three together.
 */

#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/time64.h>
#include <linux/timekeeping.h>

#include "format.h"
#include "tcptext.h"

#define STATE_NAME(s)	{ #s, sizeof(#s) - 1 }

static const struct {
	const char *name;
	size_t len;
} state_names[TCPSCOPE_MAX_STATES] = {
	[TCPSCOPE_ESTABLISHED]	= STATE_NAME(ESTABLISHED),
	[TCPSCOPE_SYN_SENT]	= STATE_NAME(SYN_SENT),
	[TCPSCOPE_SYN_RECV]	= STATE_NAME(SYN_RECV),
	[TCPSCOPE_FIN_WAIT1]	= STATE_NAME(FIN_WAIT1),
	[TCPSCOPE_FIN_WAIT2]	= STATE_NAME(FIN_WAIT2),
	[TCPSCOPE_TIME_WAIT]	= STATE_NAME(TIME_WAIT),
	[TCPSCOPE_CLOSE]	= STATE_NAME(CLOSE),
	[TCPSCOPE_CLOSE_WAIT]	= STATE_NAME(CLOSE_WAIT),
	[TCPSCOPE_LAST_ACK]	= STATE_NAME(LAST_ACK),
	[TCPSCOPE_LISTEN]	= STATE_NAME(LISTEN),
	[TCPSCOPE_CLOSING]	= STATE_NAME(CLOSING),
	[TCPSCOPE_NEW_SYN_RECV]	= STATE_NAME(NEW_SYN_RECV),
	[TCPSCOPE_BOUND_INACTIVE]	= STATE_NAME(BOUND_INACTIVE),
};

const char *tcpscope_state_name(unsigned int state)
{
	if (state < TCPSCOPE_MAX_STATES && state_names[state].name)
		return state_names[state].name;
	return "UNKNOWN";
}

/*
 * Text is built with the put_*() helpers below and tcptext.h's
 * text_put_*() rather than with one vsnprintf() per field: the reader
 * formats every event, and parsing a format string per field was most of
 * its cost. Each helper writes at the cursor and returns the new cursor;
 * the caller's buffer has room for a whole line (TCPSCOPE_LINE_MAX), so
 * they do not check bounds. Packet and listen lines go through tcptext.h's
 * bounded tput_*(), shared with tools/tcpscope-raw.c.
 */

/* A string literal: its length is known at compile time. */
#define put_lit(p, lit)	text_put_mem(p, lit, sizeof(lit) - 1)

/* @v < 10^9, as nine digits with leading zeros */
static char *put_dec9(char *p, u32 v)
{
	text_put_digits(p + 9, v, 9);
	return p + 9;
}

/**
 * tcpscope_put_endpoint() - "198.51.100.1:80" or "[2001:db8::1]:80"
 * @p: where to write, room for TCPSCOPE_ENDPOINT_MAX - 1 bytes
 * @family: AF_INET or AF_INET6
 * @addr: the address, in network order
 * @port: the port, in network order
 *
 * Return: the end of what was written (no NUL is added).
 */
char *tcpscope_put_endpoint(char *p, u8 family, const u8 *addr, __be16 port)
{
	int i;

	if (family == AF_INET6) {
		p += sprintf(p, "[%pI6c]", addr);
	} else {
		for (i = 0; i < 4; i++) {
			if (i)
				*p++ = '.';
			p = text_put_dec(p, addr[i]);
		}
	}
	*p++ = ':';
	return text_put_dec(p, ntohs(port));
}

static char *put_state_name(char *p, unsigned int state)
{
	if (state < TCPSCOPE_MAX_STATES && state_names[state].name)
		return text_put_mem(p, state_names[state].name,
				    state_names[state].len);
	return put_lit(p, "UNKNOWN");
}

static char *put_state(char *p, const struct tcpscope_state_rec *r)
{
	p = put_lit(p, "state ");
	p = tcpscope_put_endpoint(p, r->family, r->saddr, r->sport);
	p = put_lit(p, " > ");
	p = tcpscope_put_endpoint(p, r->family, r->daddr, r->dport);
	*p++ = ' ';
	p = put_state_name(p, r->oldstate);
	p = put_lit(p, " -> ");
	p = put_state_name(p, r->newstate);
	*p++ = '\n';
	return p;
}

/* "reset tx|rx <local> > <remote> <STATE>[ reason <REASON>]" */
static char *put_reset(char *p, const struct tcpscope_reset_rec *r)
{
	p = put_lit(p, "reset ");
	p = r->received ? put_lit(p, "rx ") : put_lit(p, "tx ");
	p = tcpscope_put_endpoint(p, r->family, r->saddr, r->sport);
	p = put_lit(p, " > ");
	p = tcpscope_put_endpoint(p, r->family, r->daddr, r->dport);
	*p++ = ' ';
	p = put_state_name(p, r->state);
	if (r->reason[0]) {
		p = put_lit(p, " reason ");
		p = text_put_mem(p, r->reason,
				 strnlen(r->reason, sizeof(r->reason)));
	}
	*p++ = '\n';
	return p;
}

/*
 * "tx|rx <src>:<port> > <dst>:<port> " and then the rest of what
 * `tcpdump -S -n` prints after "<src>.<port> > <dst>.<port>: ".
 */
static size_t format_packet(const struct tcpscope_packet_rec *r, char *buf,
			    size_t size)
{
	struct text t = { .buf = buf, .size = size };
	char ep[TCPSCOPE_ENDPOINT_MAX];

	tput_str(&t, r->dir == TCPSCOPE_DIR_TX ? "tx " : "rx ");
	tput_mem(&t, ep, tcpscope_put_endpoint(ep, r->family, r->saddr,
					       r->sport) - ep);
	tput_str(&t, " > ");
	tput_mem(&t, ep, tcpscope_put_endpoint(ep, r->family, r->daddr,
					       r->dport) - ep);
	tput_char(&t, ' ');
	tput_tcp(&t, r);
	tput_char(&t, '\n');
	return t.len;
}

/* "listen " and tcptext.h's tput_listen() */
static size_t format_listen(const struct tcpscope_listen_rec *r, char *buf,
			    size_t size)
{
	struct text t = { .buf = buf, .size = size };
	char local[TCPSCOPE_ENDPOINT_MAX], peer[TCPSCOPE_ENDPOINT_MAX];

	*tcpscope_put_endpoint(local, r->family, r->saddr, r->sport) = '\0';
	*tcpscope_put_endpoint(peer, r->family, r->daddr, r->dport) = '\0';
	tput_str(&t, "listen ");
	tput_listen(&t, r, local, peer);
	tput_char(&t, '\n');
	return t.len;
}

/* "<sec>.<nsec> cpu<N> ns=<inode> id=<cookie> " */
static char *put_prefix(char *p, const struct tcpscope_hdr *h)
{
	u32 nsec;
	u64 sec = div_u64_rem(h->ts_ns, NSEC_PER_SEC, &nsec);

	p = text_put_dec(p, sec);
	*p++ = '.';
	p = put_dec9(p, nsec);
	p = put_lit(p, " cpu");
	p = text_put_dec(p, h->cpu);
	p = put_lit(p, " ns=");
	p = text_put_dec(p, h->netns);
	p = put_lit(p, " id=");
	p = text_put_hex(p, h->conn_id, 1);
	*p++ = ' ';
	return p;
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
	char *p = buf;

	if (WARN_ON_ONCE(size < TCPSCOPE_LINE_MAX))
		return 0;
	if (item->lost) {
		p = put_lit(p, "LOST ");
		p = text_put_dec(p, item->lost);
		p = put_lit(p, " cpu");
		p = text_put_dec(p, item->lost_cpu);
		*p++ = '\n';
	}
	if (!item->has_rec)
		return p - buf;
	p = put_prefix(p, &item->rec.hdr);
	switch (item->rec.hdr.kind) {
	case TCPSCOPE_KIND_STATE:
		p = put_state(p, &item->rec.state);
		break;
	case TCPSCOPE_KIND_RESET:
		p = put_reset(p, &item->rec.reset);
		break;
	case TCPSCOPE_KIND_PACKET:
		p += format_packet(&item->rec.packet, p, size - (p - buf));
		break;
	case TCPSCOPE_KIND_LISTEN:
		p += format_listen(&item->rec.listen, p, size - (p - buf));
		break;
	default:
		p = put_lit(p, "kind");
		p = text_put_dec(p, item->rec.hdr.kind);
		*p++ = '\n';
		break;
	}
	return p - buf;
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
