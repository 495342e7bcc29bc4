/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcptext: the line format: every record of include/uapi/tcpscope.h as
 * the text line the events file prints (Documentation/tcpscope.rst),
 * tput_record() and tput_lost(); the packet lines as `tcpdump -S -n`
 * prints a segment. One copy for every place that prints them:
 * module/format.c (the events file, and the endpoints and state names of
 * the other files) and tools/tcpscope-raw.c (the reader of events_raw).
 * The includer first includes uapi/tcpscope.h and provides u8, u16 and
 * u32, bool, size_t, strlen(), strnlen(), ARRAY_SIZE(), AF_INET6 and
 * __always_inline (the C library's <sys/cdefs.h> has it).
 *
 * Text is appended with the tput_*() helpers below, never with a printf:
 * the events reader formats every record, and parsing a format string per
 * field was most of what a packet line cost it.
 */
#ifndef _TCPSCOPE_TCPTEXT_H
#define _TCPSCOPE_TCPTEXT_H

/*
 * Text being appended to a buffer of @size bytes (at least 1). It never
 * goes beyond the end: what does not fit is cut, and the text is always
 * NUL-terminated, @len bytes long.
 */
struct text {
	char *buf;
	size_t size;
	size_t len;
};

static const char tcptext_hex[] = "0123456789abcdef";

/*
 * @n bytes of @s at @p, unbounded; returns the end. Text comes in short
 * pieces: a loop beats a call to memcpy() (rep movsb, which TCG runs a
 * byte at a time), and a short piece of constant length, such as a string
 * literal, is copied by a few moves the compiler puts inline.
 */
static __always_inline char *text_put_mem(char *p, const char *s, size_t n)
{
	size_t i;

	if (__builtin_constant_p(n) && n <= 16)
		return (char *)__builtin_memcpy(p, s, n) + n;

	for (i = 0; i < n; i++)
		p[i] = s[i];
	return p + n;
}

static void tput_mem(struct text *t, const char *s, size_t n)
{
	size_t room = t->size - t->len - 1;

	if (n > room)
		n = room;
	*text_put_mem(t->buf + t->len, s, n) = '\0';
	t->len += n;
}

static void tput_str(struct text *t, const char *s)
{
	tput_mem(t, s, strlen(s));
}

/* @n bytes of @s, bounded like tput_mem(); for tput_lit(). */
static __always_inline void tput_lit_n(struct text *t, const char *s,
				       size_t n)
{
	if (t->size - t->len > n) {
		t->len = text_put_mem(t->buf + t->len, s, n) - t->buf;
		t->buf[t->len] = '\0';
		return;
	}
	tput_mem(t, s, n);
}

/* A string literal: its length is a constant, its copy inline. */
#define tput_lit(t, lit)	tput_lit_n((t), (lit), sizeof(lit) - 1)

static void tput_char(struct text *t, char c)
{
	if (t->size - t->len > 1) {
		t->buf[t->len++] = c;
		t->buf[t->len] = '\0';
	}
}

static const unsigned long long tcptext_pow10[20] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
	10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
	100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL,
	10000000000000000000ULL,
};

/*
 * The number of decimal digits of @v, 1 to 20, without a loop: from its
 * bit length (1233 / 4096 is just above log10(2)), corrected by one
 * comparison.
 */
static unsigned int text_dec_len(unsigned long long v)
{
	unsigned long long u = v | 1;	/* 0 has one digit too */
	unsigned int n = (64 - __builtin_clzll(u)) * 1233 >> 12;

	return n + (u >= tcptext_pow10[n]);
}

/* "00" to "99": two digits per division by 100. */
static const char tcptext_pairs[100][3] = {
	"00", "01", "02", "03", "04", "05", "06", "07", "08", "09",
	"10", "11", "12", "13", "14", "15", "16", "17", "18", "19",
	"20", "21", "22", "23", "24", "25", "26", "27", "28", "29",
	"30", "31", "32", "33", "34", "35", "36", "37", "38", "39",
	"40", "41", "42", "43", "44", "45", "46", "47", "48", "49",
	"50", "51", "52", "53", "54", "55", "56", "57", "58", "59",
	"60", "61", "62", "63", "64", "65", "66", "67", "68", "69",
	"70", "71", "72", "73", "74", "75", "76", "77", "78", "79",
	"80", "81", "82", "83", "84", "85", "86", "87", "88", "89",
	"90", "91", "92", "93", "94", "95", "96", "97", "98", "99",
};

/*
 * The last @n digits of @v in decimal, ending at @end (written backwards,
 * one division per two digits). Returns the start.
 */
static char *text_put_digits(char *end, unsigned long long v, unsigned int n)
{
	unsigned int r;

	while (n >= 2) {
		r = (unsigned int)(v % 100);
		v /= 100;
		end -= 2;
		end[0] = tcptext_pairs[r][0];
		end[1] = tcptext_pairs[r][1];
		n -= 2;
	}
	if (n)
		*--end = (char)('0' + v % 10);
	return end;
}

/*
 * @v in decimal at @p, which has room for 20 digits; returns the end.
 * 64-bit targets only (the kernel module is built for x86_64).
 */
static char *text_put_dec(char *p, unsigned long long v)
{
	unsigned int n = text_dec_len(v);

	text_put_digits(p + n, v, n);
	return p + n;
}

/*
 * @v in lower-case hex at @p, at least @width digits (zero-padded, 16 at
 * most); @p has room for 16 digits. Returns the end.
 */
static char *text_put_hex(char *p, unsigned long long v, unsigned int width)
{
	unsigned int n = 1, i;

	while (n < 16 && v >> (4 * n))
		n++;
	if (n < width)
		n = width;
	for (i = n; i; i--) {
		p[i - 1] = tcptext_hex[v & 0xf];
		v >>= 4;
	}
	return p + n;
}

static void tput_dec(struct text *t, unsigned long long v)
{
	char tmp[20];

	if (t->size - t->len > 20) {
		t->len = text_put_dec(t->buf + t->len, v) - t->buf;
		t->buf[t->len] = '\0';
		return;
	}
	tput_mem(t, tmp, text_put_dec(tmp, v) - tmp);
}

static void tput_xint(struct text *t, u32 v, unsigned int width)
{
	char tmp[16];

	tput_mem(t, tmp, text_put_hex(tmp, v, width) - tmp);
}

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
		tput_xint(t, p[i], 2);
}

/*
 * Where to write a piece of at most @n bytes with the unbounded
 * text_put_*() helpers: at the end of @t if it fits there with the NUL,
 * else in @tmp (@n bytes). text_piece_end() then appends it.
 */
static __always_inline char *text_piece(struct text *t, char *tmp, size_t n)
{
	return t->size - t->len > n ? t->buf + t->len : tmp;
}

/* The piece written from @p (text_piece()'s) to @end. */
static __always_inline void text_piece_end(struct text *t, char *p, char *tmp,
					   char *end)
{
	if (p == tmp) {
		tput_mem(t, tmp, end - tmp);
		return;
	}
	t->len = end - t->buf;
	*end = '\0';
}

#define TEXT_NAME(s)	{ #s, sizeof(#s) - 1 }

struct text_name {
	const char *name;
	unsigned int len;
};

/* enum tcpscope_tcp_state's names, with their lengths (14 at most). */
static const struct text_name tcptext_states[TCPSCOPE_MAX_STATES] = {
	[TCPSCOPE_ESTABLISHED]		= TEXT_NAME(ESTABLISHED),
	[TCPSCOPE_SYN_SENT]		= TEXT_NAME(SYN_SENT),
	[TCPSCOPE_SYN_RECV]		= TEXT_NAME(SYN_RECV),
	[TCPSCOPE_FIN_WAIT1]		= TEXT_NAME(FIN_WAIT1),
	[TCPSCOPE_FIN_WAIT2]		= TEXT_NAME(FIN_WAIT2),
	[TCPSCOPE_TIME_WAIT]		= TEXT_NAME(TIME_WAIT),
	[TCPSCOPE_CLOSE]		= TEXT_NAME(CLOSE),
	[TCPSCOPE_CLOSE_WAIT]		= TEXT_NAME(CLOSE_WAIT),
	[TCPSCOPE_LAST_ACK]		= TEXT_NAME(LAST_ACK),
	[TCPSCOPE_LISTEN]		= TEXT_NAME(LISTEN),
	[TCPSCOPE_CLOSING]		= TEXT_NAME(CLOSING),
	[TCPSCOPE_NEW_SYN_RECV]		= TEXT_NAME(NEW_SYN_RECV),
	[TCPSCOPE_BOUND_INACTIVE]	= TEXT_NAME(BOUND_INACTIVE),
};

/* enum tcpscope_tcp_state @state's name, or "UNKNOWN". */
static inline const struct text_name *text_state(unsigned int state)
{
	static const struct text_name unknown = TEXT_NAME(UNKNOWN);

	if (state < TCPSCOPE_MAX_STATES && tcptext_states[state].name)
		return &tcptext_states[state];
	return &unknown;
}

static inline const char *text_state_name(unsigned int state)
{
	return text_state(state)->name;
}

/* @state's name at @p, unbounded (14 bytes at most); returns the end. */
static char *text_put_state_name(char *p, unsigned int state)
{
	const struct text_name *n = text_state(state);

	return text_put_mem(p, n->name, n->len);
}

/* "198.51.100.1" at @p, unbounded (15 bytes at most). */
static char *text_put_ip4(char *p, const u8 *a)
{
	p = text_put_dec(p, a[0]);
	*p++ = '.';
	p = text_put_dec(p, a[1]);
	*p++ = '.';
	p = text_put_dec(p, a[2]);
	*p++ = '.';
	return text_put_dec(p, a[3]);
}

/* v4-mapped, or ISATAP (::0:5efe:a.b.c.d, ::200:5efe:a.b.c.d) */
static bool text_ip6_has_ip4(const u8 *a)
{
	static const u8 mapped[12] = { [10] = 0xff, [11] = 0xff };
	unsigned int i;

	for (i = 0; i < sizeof(mapped) && a[i] == mapped[i]; i++)
		;
	if (i == sizeof(mapped))
		return true;
	return (a[8] | 0x02) == 0x02 && a[9] == 0 && a[10] == 0x5e &&
	       a[11] == 0xfe;
}

/*
 * The first of the longest run of zero words among the first @range,
 * if it is at least two long (else -1), as the kernel's %pI6c picks it;
 * its length in *@longest.
 */
static int text_ip6_zero_run(const u16 *w, int range, int *longest)
{
	int i, j, len, pos = -1;

	*longest = 1;
	for (i = 0; i < range; i++) {
		for (j = i, len = 0; j < range && !w[j]; j++)
			len++;
		if (len > *longest) {
			*longest = len;
			pos = i;
		}
	}
	return pos;
}

/*
 * "2001:db8::1" at @p, unbounded (45 bytes at most): the kernel's %pI6c
 * (lib/vsprintf.c ip6_compressed_string()).
 */
static char *text_put_ip6(char *p, const u8 *a)
{
	bool use_ip4 = text_ip6_has_ip4(a), colon = false;
	int i, range = use_ip4 ? 6 : 8, pos, longest;
	u16 w[8];

	for (i = 0; i < 8; i++)
		w[i] = (u16)(a[2 * i] << 8 | a[2 * i + 1]);
	pos = text_ip6_zero_run(w, range, &longest);
	for (i = 0; i < range; i++) {
		if (i == pos) {
			if (colon || i == 0)
				*p++ = ':';
			*p++ = ':';
			colon = false;
			i += longest - 1;
			continue;
		}
		if (colon)
			*p++ = ':';
		p = text_put_hex(p, w[i], 1);
		colon = true;
	}
	if (use_ip4) {
		if (colon)
			*p++ = ':';
		p = text_put_ip4(p, a + 12);
	}
	return p;
}

/* The most an endpoint takes: "[" 45 "]:" 5. */
#define TEXT_ENDPOINT_MAX	53

/*
 * "198.51.100.1:80" or "[2001:db8::1]:80" at @p, unbounded
 * (TEXT_ENDPOINT_MAX bytes at most); @port in network order.
 */
static char *text_put_endpoint(char *p, unsigned int family, const u8 *addr,
			       __be16 port)
{
	const u8 *pb = (const u8 *)&port;

	if (family == AF_INET6) {
		*p++ = '[';
		p = text_put_ip6(p, addr);
		*p++ = ']';
	} else {
		p = text_put_ip4(p, addr);
	}
	*p++ = ':';
	return text_put_dec(p, get_be16(pb));
}

/* "<local> > <remote>" at @p, unbounded (2 * TEXT_ENDPOINT_MAX + 3). */
static char *text_put_endpoints(char *p, unsigned int family,
				const u8 *saddr, __be16 sport,
				const u8 *daddr, __be16 dport)
{
	p = text_put_endpoint(p, family, saddr, sport);
	p = text_put_mem(p, " > ", 3);
	return text_put_endpoint(p, family, daddr, dport);
}

static void tput_endpoint(struct text *t, unsigned int family, const u8 *addr,
			  __be16 port)
{
	char tmp[TEXT_ENDPOINT_MAX], *p = text_piece(t, tmp, sizeof(tmp));

	text_piece_end(t, p, tmp, text_put_endpoint(p, family, addr, port));
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
		tput_lit(t, "tfo");
	if (!n) {
		tput_lit(t, " cookiereq");
	} else if (n % 2 || n < 4 || n > 16) {
		tput_lit(t, " (invalid)");
	} else {
		tput_lit(t, " cookie ");
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

	tput_lit(t, ", options [");
	while (hlen) {
		if (ch)
			tput_char(t, ch);
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
		if (tcp_option_name(opt)) {
			tput_str(t, tcp_option_name(opt));
		} else {
			tput_lit(t, "unknown-");
			tput_dec(t, opt);
		}
		switch (opt) {
		case 2:
			datalen = 2;
			if (datalen > hlen)
				goto bad;
			tput_char(t, ' ');
			tput_dec(t, get_be16(cp));
			break;
		case 3:
			datalen = 1;
			if (datalen > hlen)
				goto bad;
			tput_char(t, ' ');
			tput_dec(t, cp[0]);
			break;
		case 5:
			datalen = len - 2;
			if (datalen % 8) {
				tput_lit(t, " invalid sack");
				break;
			}
			tput_char(t, ' ');
			tput_dec(t, datalen / 8);
			tput_char(t, ' ');
			for (i = 0; i < datalen; i += 8) {
				tput_char(t, '{');
				tput_dec(t, get_be32(cp + i));
				tput_char(t, ':');
				tput_dec(t, get_be32(cp + i + 4));
				tput_char(t, '}');
			}
			break;
		case 6:
		case 7:
		case 11:
		case 12:
		case 13:
			datalen = 4;
			if (datalen > hlen)
				goto bad;
			tput_char(t, ' ');
			tput_dec(t, get_be32(cp));
			break;
		case 8:
			datalen = 8;
			if (datalen > hlen)
				goto bad;
			tput_lit(t, " val ");
			tput_dec(t, get_be32(cp));
			tput_lit(t, " ecr ");
			tput_dec(t, get_be32(cp + 4));
			break;
		case 19:
			datalen = 16;
			if (datalen > hlen)
				goto bad;
			tput_lit(t, " shared secret not supplied with -M, can't check - ");
			tput_hex(t, cp, datalen);
			break;
		case 20:
			datalen = 2;
			if (datalen > hlen)
				goto bad;
			tput_lit(t, " cap ");
			tput_xint(t, cp[0], 2);
			tput_lit(t, " id ");
			tput_dec(t, cp[1]);
			break;
		case 28:
			datalen = 2;
			if (datalen > hlen)
				goto bad;
			v = get_be16(cp);
			tput_lit(t, " 0x");
			tput_xint(t, v, 1);
			tput_char(t, ' ');
			tput_dec(t, v & 1 ? (v >> 1) * 60 : v >> 1);
			break;
		case 29:
			datalen = len - 2;
			if (datalen < 2) {
				tput_lit(t, " (invalid)");
				break;
			}
			tput_lit(t, " keyid ");
			tput_dec(t, cp[0]);
			tput_lit(t, " rnextkeyid ");
			tput_dec(t, cp[1]);
			if (datalen > 2) {
				tput_lit(t, " mac 0x");
				tput_hex(t, cp + 2, datalen - 2);
			}
			break;
		case 34:
			datalen = len - 2;
			tput_char(t, ' ');
			put_tfo(t, cp, datalen, false);
			break;
		case 254:
			datalen = len - 2;
			if (datalen < 2)
				goto bad;
			v = get_be16(cp);
			tput_char(t, '-');
			if (v == 0xf989)
				put_tfo(t, cp + 2, datalen - 2, true);
			else
				tput_xint(t, v, 4);
			break;
		case 0:
		case 1:
		case 4:
			break;
		default:	/* mptcp included: tcpdump decodes it further */
			datalen = len - 2;
			if (datalen)
				tput_lit(t, " 0x");
			tput_hex(t, cp, datalen);
			break;
		}
		cp += datalen;
		hlen -= datalen;
		datalen += opt == 0 || opt == 1 ? 1 : 2;
		if (datalen != len) {
			tput_lit(t, "[len ");
			tput_dec(t, len);
			tput_char(t, ']');
		}
		ch = ',';
		if (opt == 0)
			break;
	}
	tput_char(t, ']');
	return true;
bad:
	tput_lit(t, "[bad opt]");
	if (ch)
		tput_char(t, ']');
	return false;
trunc:
	tput_lit(t, " [|tcp]");
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

	tput_lit(t, "Flags [");
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (flags & names[i].bit) {
			tput_char(t, names[i].c);
			any = true;
		}
	}
	tput_str(t, any ? "]" : "none]");
}

/* What tcpdump prints after "<src>.<port> > <dst>.<port>: ". */
static void tput_tcp(struct text *t, const struct tcpscope_packet_rec *r)
{
	unsigned int optlen = r->optlen < TCPSCOPE_TCP_OPT_MAX ? r->optlen :
			      TCPSCOPE_TCP_OPT_MAX;

	put_tcp_flags(t, r->flags);
	if (r->len ||
	    r->flags & (TCPSCOPE_TCP_SYN | TCPSCOPE_TCP_FIN | TCPSCOPE_TCP_RST)) {
		tput_lit(t, ", seq ");
		tput_dec(t, r->seq);
		if (r->len) {
			tput_char(t, ':');
			tput_dec(t, (u32)(r->seq + r->len));
		}
	}
	if (r->flags & TCPSCOPE_TCP_ACK) {
		tput_lit(t, ", ack ");
		tput_dec(t, r->ack);
	}
	tput_lit(t, ", win ");
	tput_dec(t, r->win);
	if (r->flags & TCPSCOPE_TCP_URG) {
		tput_lit(t, ", urg ");
		tput_dec(t, r->urg);
	}
	if (optlen && !put_tcp_options(t, r->opts, optlen, r->len))
		return;
	tput_lit(t, ", length ");
	tput_dec(t, r->len);
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
 * A listen record after "listen ":
 * "<local> synq D/L acceptq D/L <cause>[ <overflow>][ retry N after_us N]
 * [ cookie][ timeout][ peer <peer>][ synflood]"
 */
static void tput_listen(struct text *t, const struct tcpscope_listen_rec *r)
{
	tput_endpoint(t, r->family, r->saddr, r->sport);
	tput_lit(t, " synq ");
	tput_dec(t, r->synq);
	tput_char(t, '/');
	tput_dec(t, r->synq_max);
	tput_lit(t, " acceptq ");
	tput_dec(t, r->acceptq);
	tput_char(t, '/');
	tput_dec(t, r->acceptq_max);
	tput_char(t, ' ');
	tput_str(t, listen_cause_name(r->cause));
	if (r->cause == TCPSCOPE_LISTEN_OVERFLOW) {
		tput_char(t, ' ');
		tput_str(t, listen_overflow_name(r->overflow));
	}
	if (r->cause == TCPSCOPE_LISTEN_SYNACK_RETRANS) {
		tput_lit(t, " retry ");
		tput_dec(t, r->retrans);
		tput_lit(t, " after_us ");
		tput_dec(t, r->since_us);
	}
	if (r->flags & TCPSCOPE_LISTEN_F_COOKIE)
		tput_lit(t, " cookie");
	if (r->flags & TCPSCOPE_LISTEN_F_TIMEOUT)
		tput_lit(t, " timeout");
	if (r->dport) {
		tput_lit(t, " peer ");
		tput_endpoint(t, r->family, r->daddr, r->dport);
	}
	if (r->flags & TCPSCOPE_LISTEN_F_FLOOD)
		tput_lit(t, " synflood");
}

/* The most a state line takes after the prefix, and a reset line. */
#define TEXT_STATE_MAX	(6 + 2 * TEXT_ENDPOINT_MAX + 3 + 1 + 14 + 4 + 14)
#define TEXT_RESET_MAX	(9 + 2 * TEXT_ENDPOINT_MAX + 3 + 1 + 14 + 8 + 32)

/* "state <local> > <remote> <OLD> -> <NEW>" at @p, unbounded. */
static char *text_put_state(char *p, const struct tcpscope_state_rec *r)
{
	p = text_put_mem(p, "state ", 6);
	p = text_put_endpoints(p, r->family, r->saddr, r->sport, r->daddr,
			       r->dport);
	*p++ = ' ';
	p = text_put_state_name(p, r->oldstate);
	p = text_put_mem(p, " -> ", 4);
	return text_put_state_name(p, r->newstate);
}

/* "reset tx|rx <local> > <remote> <STATE>[ reason <REASON>]", unbounded */
static char *text_put_reset(char *p, const struct tcpscope_reset_rec *r)
{
	p = text_put_mem(p, r->received ? "reset rx " : "reset tx ", 9);
	p = text_put_endpoints(p, r->family, r->saddr, r->sport, r->daddr,
			       r->dport);
	*p++ = ' ';
	p = text_put_state_name(p, r->state);
	if (r->reason[0]) {
		p = text_put_mem(p, " reason ", 8);
		p = text_put_mem(p, r->reason,
				 strnlen(r->reason, sizeof(r->reason)));
	}
	return p;
}

static void tput_state(struct text *t, const struct tcpscope_state_rec *r)
{
	char tmp[TEXT_STATE_MAX], *p = text_piece(t, tmp, sizeof(tmp));

	text_piece_end(t, p, tmp, text_put_state(p, r));
}

static void tput_reset(struct text *t, const struct tcpscope_reset_rec *r)
{
	char tmp[TEXT_RESET_MAX], *p = text_piece(t, tmp, sizeof(tmp));

	text_piece_end(t, p, tmp, text_put_reset(p, r));
}

/* "tx|rx <src> > <dst> " and what tcpdump prints after "...: ". */
static void tput_packet(struct text *t, const struct tcpscope_packet_rec *r)
{
	tput_str(t, r->dir == TCPSCOPE_DIR_TX ? "tx " : "rx ");
	tput_endpoint(t, r->family, r->saddr, r->sport);
	tput_lit(t, " > ");
	tput_endpoint(t, r->family, r->daddr, r->dport);
	tput_char(t, ' ');
	tput_tcp(t, r);
}

/* The most a prefix takes: 11 "." 9 " cpu" 5 " ns=" 10 " id=" 16 " " */
#define TEXT_PREFIX_MAX	70

/* "<sec>.<nsec> cpu<N> ns=<inode> id=<cookie> " at @p, unbounded. */
static char *text_put_prefix(char *p, const struct tcpscope_hdr *h)
{
	p = text_put_dec(p, h->ts_ns / 1000000000ULL);
	*p++ = '.';
	p += 9;
	text_put_digits(p, h->ts_ns % 1000000000ULL, 9);
	p = text_put_mem(p, " cpu", 4);
	p = text_put_dec(p, h->cpu);
	p = text_put_mem(p, " ns=", 4);
	p = text_put_dec(p, h->netns);
	p = text_put_mem(p, " id=", 4);
	p = text_put_hex(p, h->conn_id, 1);
	*p++ = ' ';
	return p;
}

static void tput_prefix(struct text *t, const struct tcpscope_hdr *h)
{
	char tmp[TEXT_PREFIX_MAX], *p = text_piece(t, tmp, sizeof(tmp));

	text_piece_end(t, p, tmp, text_put_prefix(p, h));
}

/* "LOST <count> cpu<N>\n": @count records lost on CPU @cpu. */
static void tput_lost(struct text *t, unsigned long long count,
		      unsigned int cpu)
{
	tput_lit(t, "LOST ");
	tput_dec(t, count);
	tput_lit(t, " cpu");
	tput_dec(t, cpu);
	tput_char(t, '\n');
}

/*
 * The line of the record that starts with @h (aligned for its kind, all
 * of its @h->size bytes there), ending in a newline; its header's
 * lost_before is the caller's (tput_lost()).
 */
static void tput_record(struct text *t, const struct tcpscope_hdr *h)
{
	tput_prefix(t, h);
	switch (h->kind) {
	case TCPSCOPE_KIND_STATE:
		tput_state(t, (const struct tcpscope_state_rec *)h);
		break;
	case TCPSCOPE_KIND_RESET:
		tput_reset(t, (const struct tcpscope_reset_rec *)h);
		break;
	case TCPSCOPE_KIND_PACKET:
		tput_packet(t, (const struct tcpscope_packet_rec *)h);
		break;
	case TCPSCOPE_KIND_LISTEN:
		tput_lit(t, "listen ");
		tput_listen(t, (const struct tcpscope_listen_rec *)h);
		break;
	default:
		tput_lit(t, "kind");
		tput_dec(t, h->kind);
		break;
	}
	tput_char(t, '\n');
}

#endif /* _TCPSCOPE_TCPTEXT_H */
