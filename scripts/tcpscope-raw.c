// SPDX-License-Identifier: GPL-2.0
/*
 * tcpscope-raw: read tcpscope's binary stream and print it exactly as the
 * events file would have printed the same records.
 *
 *   tcpscope-raw [FILE|-]
 *
 * FILE defaults to /sys/kernel/debug/tcpscope/events_raw; "-" reads
 * standard input (e.g. a saved capture). Runs until end of file or until
 * killed; output is flushed after every read, so nothing read is held
 * back. Exit status: 0, 1 on a read error or a malformed stream, 2 on bad
 * usage.
 *
 * The record layout is include/uapi/tcpscope.h; the text format is
 * module/format.c and Documentation/tcpscope.rst.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../include/uapi/tcpscope.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define DEFAULT_FILE	"/sys/kernel/debug/tcpscope/events_raw"
#define REC_MAX		4096

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

static const char *state_name(unsigned int state)
{
	if (state < TCPSCOPE_MAX_STATES && state_names[state])
		return state_names[state];
	return "UNKNOWN";
}

static char *ip4_string(char *p, const __u8 *a)
{
	return p + sprintf(p, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

static bool ip6_use_ip4(const __u8 *a)
{
	static const __u8 mapped[12] = { [10] = 0xff, [11] = 0xff };

	/* v4-mapped, or ISATAP (::0:5efe:a.b.c.d, ::200:5efe:a.b.c.d) */
	if (!memcmp(a, mapped, sizeof(mapped)))
		return true;
	return (a[8] | 0x02) == 0x02 && a[9] == 0 && a[10] == 0x5e &&
	       a[11] == 0xfe;
}

/* Longest run of zero words (at least two), as the kernel's %pI6c picks. */
static int ip6_zero_run(const __u16 *w, int range, int *longest)
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

/* The kernel's %pI6c (lib/vsprintf.c ip6_compressed_string()). */
static char *ip6_string(char *p, const __u8 *a)
{
	bool use_ip4 = ip6_use_ip4(a), colon = false;
	int i, range = use_ip4 ? 6 : 8, pos, longest;
	__u16 w[8];

	for (i = 0; i < 8; i++)
		w[i] = (__u16)(a[2 * i] << 8 | a[2 * i + 1]);
	pos = ip6_zero_run(w, range, &longest);
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
		p += sprintf(p, "%x", w[i]);
		colon = true;
	}
	if (use_ip4) {
		if (colon)
			*p++ = ':';
		p = ip4_string(p, a + 12);
	}
	*p = '\0';
	return p;
}

static void endpoint(char *buf, __u8 family, const __u8 *addr,
		     __u16 port_be)
{
	char *p = buf;

	if (family == AF_INET6) {
		*p++ = '[';
		p = ip6_string(p, addr);
		*p++ = ']';
	} else {
		p = ip4_string(p, addr);
	}
	sprintf(p, ":%u", ntohs(port_be));
}

static void print_state(const struct tcpscope_state_rec *r)
{
	char local[64], remote[64];

	endpoint(local, r->family, r->saddr, r->sport);
	endpoint(remote, r->family, r->daddr, r->dport);
	printf("state %s > %s %s -> %s\n", local, remote,
	       state_name(r->oldstate), state_name(r->newstate));
}

static void print_reset(const struct tcpscope_reset_rec *r)
{
	char local[64], remote[64];

	endpoint(local, r->family, r->saddr, r->sport);
	endpoint(remote, r->family, r->daddr, r->dport);
	printf("reset %s %s > %s %s", r->received ? "rx" : "tx", local,
	       remote, state_name(r->state));
	if (r->reason[0])
		printf(" reason %.*s", (int)sizeof(r->reason), r->reason);
	printf("\n");
}

/* Text being appended to a buffer, never beyond its end. */
struct text {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len + 1 >= t->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n < t->size - t->len ? (size_t)n :
			  t->size - t->len - 1;
}

static unsigned int get_be16(const __u8 *p)
{
	return p[0] << 8 | p[1];
}

static __u32 get_be32(const __u8 *p)
{
	return (__u32)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void put_hex(struct text *t, const __u8 *p, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		put(t, "%02x", p[i]);
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

static void put_tfo(struct text *t, const __u8 *p, unsigned int n, bool exp)
{
	if (exp)
		put(t, "tfo");
	if (!n) {
		put(t, " cookiereq");
	} else if (n % 2 || n < 4 || n > 16) {
		put(t, " (invalid)");
	} else {
		put(t, " cookie ");
		put_hex(t, p, n);
	}
}

/* module/format.c put_tcp_options(), line for line. */
static bool put_tcp_options(struct text *t, const __u8 *cp,
			    unsigned int hlen, __u32 paylen)
{
	unsigned int opt, len, datalen, i, v;
	char ch = 0;

	put(t, ", options [");
	while (hlen) {
		if (ch)
			put(t, "%c", ch);
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
			put(t, "%s", tcp_option_name(opt));
		else
			put(t, "unknown-%u", opt);
		switch (opt) {
		case 2:
			datalen = 2;
			if (datalen > hlen)
				goto bad;
			put(t, " %u", get_be16(cp));
			break;
		case 3:
			datalen = 1;
			if (datalen > hlen)
				goto bad;
			put(t, " %u", cp[0]);
			break;
		case 5:
			datalen = len - 2;
			if (datalen % 8) {
				put(t, " invalid sack");
				break;
			}
			put(t, " %u ", datalen / 8);
			for (i = 0; i < datalen; i += 8)
				put(t, "{%u:%u}", get_be32(cp + i),
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
			put(t, " %u", get_be32(cp));
			break;
		case 8:
			datalen = 8;
			if (datalen > hlen)
				goto bad;
			put(t, " val %u ecr %u", get_be32(cp), get_be32(cp + 4));
			break;
		case 19:
			datalen = 16;
			if (datalen > hlen)
				goto bad;
			put(t, " shared secret not supplied with -M, can't check - ");
			put_hex(t, cp, datalen);
			break;
		case 20:
			datalen = 2;
			if (datalen > hlen)
				goto bad;
			put(t, " cap %02x id %u", cp[0], cp[1]);
			break;
		case 28:
			datalen = 2;
			if (datalen > hlen)
				goto bad;
			v = get_be16(cp);
			put(t, " 0x%x", v);
			put(t, " %u", v & 1 ? (v >> 1) * 60 : v >> 1);
			break;
		case 29:
			datalen = len - 2;
			if (datalen < 2) {
				put(t, " (invalid)");
				break;
			}
			put(t, " keyid %u rnextkeyid %u", cp[0], cp[1]);
			if (datalen > 2) {
				put(t, " mac 0x");
				put_hex(t, cp + 2, datalen - 2);
			}
			break;
		case 34:
			datalen = len - 2;
			put(t, " ");
			put_tfo(t, cp, datalen, false);
			break;
		case 254:
			datalen = len - 2;
			if (datalen < 2)
				goto bad;
			v = get_be16(cp);
			put(t, "-");
			if (v == 0xf989)
				put_tfo(t, cp + 2, datalen - 2, true);
			else
				put(t, "%04x", v);
			break;
		case 0:
		case 1:
		case 4:
			break;
		default:	/* mptcp included: tcpdump decodes it further */
			datalen = len - 2;
			if (datalen)
				put(t, " 0x");
			put_hex(t, cp, datalen);
			break;
		}
		cp += datalen;
		hlen -= datalen;
		datalen += opt == 0 || opt == 1 ? 1 : 2;
		if (datalen != len)
			put(t, "[len %u]", len);
		ch = ',';
		if (opt == 0)
			break;
	}
	put(t, "]");
	return true;
bad:
	put(t, "[bad opt]");
	if (ch)
		put(t, "]");
	return false;
trunc:
	put(t, " [|tcp]");
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
	size_t i;

	put(t, "Flags [");
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (flags & names[i].bit) {
			put(t, "%c", names[i].c);
			any = true;
		}
	}
	put(t, "%s]", any ? "" : "none");
}

/* module/format.c format_packet(). */
static void print_packet(const struct tcpscope_packet_rec *r)
{
	char src[64], dst[64], line[1024];
	struct text t = { .buf = line, .size = sizeof(line) };
	unsigned int optlen = r->optlen < TCPSCOPE_TCP_OPT_MAX ? r->optlen :
			      TCPSCOPE_TCP_OPT_MAX;

	line[0] = '\0';
	endpoint(src, r->family, r->saddr, r->sport);
	endpoint(dst, r->family, r->daddr, r->dport);
	put(&t, "%s %s > %s ", r->dir == TCPSCOPE_DIR_TX ? "tx" : "rx", src,
	    dst);
	put_tcp_flags(&t, r->flags);
	if (r->len ||
	    r->flags & (TCPSCOPE_TCP_SYN | TCPSCOPE_TCP_FIN | TCPSCOPE_TCP_RST)) {
		put(&t, ", seq %u", r->seq);
		if (r->len)
			put(&t, ":%u", (__u32)(r->seq + r->len));
	}
	if (r->flags & TCPSCOPE_TCP_ACK)
		put(&t, ", ack %u", r->ack);
	put(&t, ", win %u", r->win);
	if (r->flags & TCPSCOPE_TCP_URG)
		put(&t, ", urg %u", r->urg);
	if (!optlen || put_tcp_options(&t, r->opts, optlen, r->len))
		put(&t, ", length %u", r->len);
	printf("%s\n", line);
}

static void print_record(const void *rec)
{
	struct tcpscope_hdr h;

	memcpy(&h, rec, sizeof(h));
	if (h.kind == TCPSCOPE_KIND_LOST) {
		struct tcpscope_lost_rec l;

		memcpy(&l, rec, sizeof(l));
		printf("LOST %llu cpu%u\n", (unsigned long long)l.count, h.cpu);
		return;
	}
	if (h.lost_before)
		printf("LOST %u cpu%u\n", h.lost_before, h.cpu);
	printf("%llu.%09u cpu%u ns=%u id=%llx ",
	       (unsigned long long)(h.ts_ns / 1000000000ull),
	       (unsigned int)(h.ts_ns % 1000000000ull), h.cpu, h.netns,
	       (unsigned long long)h.conn_id);
	if (h.kind == TCPSCOPE_KIND_STATE) {
		struct tcpscope_state_rec r;

		memcpy(&r, rec, sizeof(r));
		print_state(&r);
	} else if (h.kind == TCPSCOPE_KIND_RESET) {
		struct tcpscope_reset_rec r;

		memcpy(&r, rec, sizeof(r));
		print_reset(&r);
	} else if (h.kind == TCPSCOPE_KIND_PACKET) {
		struct tcpscope_packet_rec p;

		memcpy(&p, rec, sizeof(p));
		print_packet(&p);
	} else {
		printf("kind%u\n", h.kind);
	}
}

/* Smallest valid size of a record of @kind. */
static size_t min_size(__u16 kind)
{
	switch (kind) {
	case TCPSCOPE_KIND_STATE:
		return sizeof(struct tcpscope_state_rec);
	case TCPSCOPE_KIND_LOST:
		return sizeof(struct tcpscope_lost_rec);
	case TCPSCOPE_KIND_RESET:
		return sizeof(struct tcpscope_reset_rec);
	case TCPSCOPE_KIND_PACKET:
		return sizeof(struct tcpscope_packet_rec);
	default:
		return sizeof(struct tcpscope_hdr);
	}
}

/* Print the whole records at the start of buf. Return bytes used, or -1. */
static ssize_t print_records(const __u8 *buf, size_t len)
{
	struct tcpscope_hdr h;
	size_t off = 0;

	while (len - off >= sizeof(h)) {
		memcpy(&h, buf + off, sizeof(h));
		if (h.size < min_size(h.kind) || h.size > REC_MAX) {
			fprintf(stderr, "tcpscope-raw: malformed record (kind %u, size %u)\n",
				h.kind, h.size);
			return -1;
		}
		if (len - off < h.size)
			break;
		print_record(buf + off);
		off += h.size;
	}
	return off;
}

static int open_input(const char *path)
{
	int fd;

	if (!strcmp(path, "-"))
		return STDIN_FILENO;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		fprintf(stderr, "tcpscope-raw: %s: %s\n", path, strerror(errno));
	return fd;
}

int main(int argc, char **argv)
{
	static __u8 buf[65536 + REC_MAX];
	size_t have = 0;
	ssize_t n, used;
	int fd;

	if (argc > 2) {
		fprintf(stderr, "usage: tcpscope-raw [FILE|-]\n");
		return 2;
	}
	fd = open_input(argc == 2 ? argv[1] : DEFAULT_FILE);
	if (fd < 0)
		return 1;
	for (;;) {
		n = read(fd, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "tcpscope-raw: read: %s\n", strerror(errno));
			return 1;
		}
		if (n == 0)
			break;
		have += n;
		used = print_records(buf, have);
		if (used < 0)
			return 1;
		memmove(buf, buf + used, have - used);
		have -= used;
		fflush(stdout);
	}
	if (have) {
		fprintf(stderr, "tcpscope-raw: %zu bytes of a truncated record at the end\n",
			have);
		return 1;
	}
	return 0;
}
