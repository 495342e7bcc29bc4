/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcptext: the TCP part of a packet record as `tcpdump -S -n` prints it.
 * One copy for the two places that must print the same text:
 * module/format.c (the events file) and scripts/tcpscope-raw.c (the reader
 * of events_raw). The includer first includes uapi/tcpscope.h and provides
 * u8 and u32, bool, size_t, ARRAY_SIZE() and the definition of
 * tput(), a printf that appends to a struct text and never writes beyond
 * its end.
 */
#ifndef _TCPSCOPE_TCPTEXT_H
#define _TCPSCOPE_TCPTEXT_H

/* Text being appended to a buffer, never beyond its end. */
struct text {
	char *buf;
	size_t size;
	size_t len;
};

static void tput(struct text *t, const char *fmt, ...);

static u32 get_be16(const u8 *p)
{
	return p[0] << 8 | p[1];
}

static u32 get_be32(const u8 *p)
{
	return (u32)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void tput_hex(struct text *t, const u8 *p, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		tput(t, "%02x", p[i]);
}

/* TCP option kinds tcpdump names (print-tcp.c tcp_option_values). */
static const char *tcp_option_name(unsigned int kind)
{
	switch (kind) {
	case 0:		return "eol";
	case 1:		return "nop";
	case 2:		return "mss";
	case 3:		return "wscale";
	case 4:		return "sackOK";
	case 5:		return "sack";
	case 6:		return "echo";
	case 7:		return "echoreply";
	case 8:		return "TS";
	case 11:	return "cc";
	case 12:	return "ccnew";
	case 13:	return "";	/* sic */
	case 19:	return "md5";
	case 20:	return "scps";
	case 28:	return "uto";
	case 29:	return "tcp-ao";
	case 30:	return "mptcp";
	case 34:	return "tfo";
	case 254:	return "exp";
	}
	return NULL;
}

static void put_tfo(struct text *t, const u8 *p, unsigned int n, bool exp)
{
	if (exp)
		tput(t, "tfo");
	if (!n) {
		tput(t, " cookiereq");
	} else if (n % 2 || n < 4 || n > 16) {
		tput(t, " (invalid)");
	} else {
		tput(t, " cookie ");
		tput_hex(t, p, n);
	}
}

/*
 * The TCP options as tcpdump 4.99 prints them, quirks included: an option
 * whose length disagrees with its kind gets "[len N]" and the parse goes
 * on after the bytes the kind defines; a length that does not fit ends
 * the list with "[bad opt]", or " [|tcp]" where tcpdump would need a
 * length byte from a payload there is not (and tcpdump then prints
 * nothing more). MPTCP options are printed as hex, where tcpdump decodes
 * them.
 * Return: false after "[bad opt]".
 */
static bool put_tcp_options(struct text *t, const u8 *cp, unsigned int hlen,
			    u32 paylen)
{
	unsigned int opt, len, datalen, i, v;
	char ch = 0;

	tput(t, ", options [");
	while (hlen) {
		if (ch)
			tput(t, "%c", ch);
		opt = *cp++;
		if (opt == 0 || opt == 1) {
			len = 1;
		} else {
			/* tcpdump reads the length from the payload, if any */
			if (hlen < 2 && !paylen)
				goto trunc;
			if (hlen < 2)
				goto bad;
			len = *cp++;
			if (len < 2 || len > hlen)
				goto bad;
			hlen--;
		}
		hlen--;
		datalen = 0;
		if (tcp_option_name(opt))
			tput(t, "%s", tcp_option_name(opt));
		else
			tput(t, "unknown-%u", opt);
		switch (opt) {
		case 2:
			datalen = 2;
			if (datalen > hlen)
				goto bad;
			tput(t, " %u", get_be16(cp));
			break;
		case 3:
			datalen = 1;
			if (datalen > hlen)
				goto bad;
			tput(t, " %u", cp[0]);
			break;
		case 5:
			datalen = len - 2;
			if (datalen % 8) {
				tput(t, " invalid sack");
				break;
			}
			tput(t, " %u ", datalen / 8);
			for (i = 0; i < datalen; i += 8)
				tput(t, "{%u:%u}", get_be32(cp + i),
				     get_be32(cp + i + 4));
			break;
		case 6:
		case 7:
		case 11:
		case 12:
		case 13:
			datalen = 4;
			if (datalen > hlen)
				goto bad;
			tput(t, " %u", get_be32(cp));
			break;
		case 8:
			datalen = 8;
			if (datalen > hlen)
				goto bad;
			tput(t, " val %u ecr %u", get_be32(cp), get_be32(cp + 4));
			break;
		case 19:
			datalen = 16;
			if (datalen > hlen)
				goto bad;
			tput(t, " shared secret not supplied with -M, can't check - ");
			tput_hex(t, cp, datalen);
			break;
		case 20:
			datalen = 2;
			if (datalen > hlen)
				goto bad;
			tput(t, " cap %02x id %u", cp[0], cp[1]);
			break;
		case 28:
			datalen = 2;
			if (datalen > hlen)
				goto bad;
			v = get_be16(cp);
			tput(t, " 0x%x", v);
			tput(t, " %u", v & 1 ? (v >> 1) * 60 : v >> 1);
			break;
		case 29:
			datalen = len - 2;
			if (datalen < 2) {
				tput(t, " (invalid)");
				break;
			}
			tput(t, " keyid %u rnextkeyid %u", cp[0], cp[1]);
			if (datalen > 2) {
				tput(t, " mac 0x");
				tput_hex(t, cp + 2, datalen - 2);
			}
			break;
		case 34:
			datalen = len - 2;
			tput(t, " ");
			put_tfo(t, cp, datalen, false);
			break;
		case 254:
			datalen = len - 2;
			if (datalen < 2)
				goto bad;
			v = get_be16(cp);
			tput(t, "-");
			if (v == 0xf989)
				put_tfo(t, cp + 2, datalen - 2, true);
			else
				tput(t, "%04x", v);
			break;
		case 0:
		case 1:
		case 4:
			break;
		default:	/* mptcp included: tcpdump decodes it further */
			datalen = len - 2;
			if (datalen)
				tput(t, " 0x");
			tput_hex(t, cp, datalen);
			break;
		}
		cp += datalen;
		hlen -= datalen;
		datalen += opt == 0 || opt == 1 ? 1 : 2;
		if (datalen != len)
			tput(t, "[len %u]", len);
		ch = ',';
		if (opt == 0)
			break;
	}
	tput(t, "]");
	return true;
bad:
	tput(t, "[bad opt]");
	if (ch)
		tput(t, "]");
	return false;
trunc:
	tput(t, " [|tcp]");
	return false;
}

/* TCP flags as tcpdump prints them, in its order: F S R P . U E W. */
static void put_tcp_flags(struct text *t, unsigned int flags)
{
	static const struct {
		unsigned int bit;
		char c;
	} names[] = {
		{ TCPSCOPE_TCP_FIN, 'F' }, { TCPSCOPE_TCP_SYN, 'S' },
		{ TCPSCOPE_TCP_RST, 'R' }, { TCPSCOPE_TCP_PSH, 'P' },
		{ TCPSCOPE_TCP_ACK, '.' }, { TCPSCOPE_TCP_URG, 'U' },
		{ TCPSCOPE_TCP_ECE, 'E' }, { TCPSCOPE_TCP_CWR, 'W' },
	};
	bool any = false;
	unsigned int i;

	tput(t, "Flags [");
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (flags & names[i].bit) {
			tput(t, "%c", names[i].c);
			any = true;
		}
	}
	tput(t, "%s]", any ? "" : "none");
}

/* What tcpdump prints after "<src>.<port> > <dst>.<port>: ". */
static void tput_tcp(struct text *t, const struct tcpscope_packet_rec *r)
{
	unsigned int optlen = r->optlen < TCPSCOPE_TCP_OPT_MAX ? r->optlen :
			      TCPSCOPE_TCP_OPT_MAX;

	put_tcp_flags(t, r->flags);
	if (r->len ||
	    r->flags & (TCPSCOPE_TCP_SYN | TCPSCOPE_TCP_FIN | TCPSCOPE_TCP_RST)) {
		tput(t, ", seq %u", r->seq);
		if (r->len)
			tput(t, ":%u", (u32)(r->seq + r->len));
	}
	if (r->flags & TCPSCOPE_TCP_ACK)
		tput(t, ", ack %u", r->ack);
	tput(t, ", win %u", r->win);
	if (r->flags & TCPSCOPE_TCP_URG)
		tput(t, ", urg %u", r->urg);
	if (optlen && !put_tcp_options(t, r->opts, optlen, r->len))
		return;
	tput(t, ", length %u", r->len);
}

static const char *listen_cause_name(unsigned int cause)
{
	static const char * const names[] = {
		[TCPSCOPE_LISTEN_SYN]		= "syn",
		[TCPSCOPE_LISTEN_SYNACK]	= "synack",
		[TCPSCOPE_LISTEN_SYNACK_RETRANS] = "synack-retrans",
		[TCPSCOPE_LISTEN_CHILD]		= "child",
		[TCPSCOPE_LISTEN_ACCEPT]	= "accept",
		[TCPSCOPE_LISTEN_DROP]		= "drop",
		[TCPSCOPE_LISTEN_OVERFLOW]	= "overflow",
	};

	return cause < ARRAY_SIZE(names) && names[cause] ? names[cause] : "?";
}

static const char *listen_overflow_name(unsigned int overflow)
{
	static const char * const names[] = {
		[TCPSCOPE_OVERFLOW_NONE]	= "-",
		[TCPSCOPE_OVERFLOW_SYNQ_DROP]	= "synq-drop",
		[TCPSCOPE_OVERFLOW_SYNQ_COOKIE]	= "synq-cookie",
		[TCPSCOPE_OVERFLOW_ACCEPTQ_SYN]	= "acceptq-syn",
		[TCPSCOPE_OVERFLOW_ACCEPTQ_ACK]	= "acceptq-ack",
	};

	return overflow < ARRAY_SIZE(names) ? names[overflow] : "?";
}

/*
 * A listen record after "listen ", given its two endpoints as text:
 * "<local> synq D/L acceptq D/L <cause>[ <overflow>][ retry N after_us N]
 * [ cookie][ timeout][ peer <peer>][ synflood]"
 */
static void tput_listen(struct text *t, const struct tcpscope_listen_rec *r,
			const char *local, const char *peer)
{
	tput(t, "%s synq %u/%u acceptq %u/%u %s", local, r->synq, r->synq_max,
	     r->acceptq, r->acceptq_max, listen_cause_name(r->cause));
	if (r->cause == TCPSCOPE_LISTEN_OVERFLOW)
		tput(t, " %s", listen_overflow_name(r->overflow));
	if (r->cause == TCPSCOPE_LISTEN_SYNACK_RETRANS)
		tput(t, " retry %u after_us %llu", r->retrans,
		     (unsigned long long)r->since_us);
	if (r->flags & TCPSCOPE_LISTEN_F_COOKIE)
		tput(t, " cookie");
	if (r->flags & TCPSCOPE_LISTEN_F_TIMEOUT)
		tput(t, " timeout");
	if (r->dport)
		tput(t, " peer %s", peer);
	if (r->flags & TCPSCOPE_LISTEN_F_FLOOD)
		tput(t, " synflood");
}

#endif /* _TCPSCOPE_TCPTEXT_H */
