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
 * back. SIGTERM or SIGINT on a FILE it opened stops it without losing
 * anything it took: it prints what the file still holds, without
 * waiting, and exits at EAGAIN. Exit status: 0, 1 on a read error or a
 * malformed stream, 2 on bad usage.
 *
 * The record layout is include/uapi/tcpscope.h; the text format is
 * module/format.c and Documentation/tcpscope.rst.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../include/uapi/tcpscope.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

typedef __u8 u8;
typedef __u32 u32;

#include "../include/tcptext.h"
#include "stopread.h"

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

/* module/format.c format_packet(). */
static void print_packet(const struct tcpscope_packet_rec *r)
{
	char src[64], dst[64], line[1024];
	struct text t = { .buf = line, .size = sizeof(line) };

	line[0] = '\0';
	endpoint(src, r->family, r->saddr, r->sport);
	endpoint(dst, r->family, r->daddr, r->dport);
	tput_str(&t, r->dir == TCPSCOPE_DIR_TX ? "tx " : "rx ");
	tput_str(&t, src);
	tput_str(&t, " > ");
	tput_str(&t, dst);
	tput_char(&t, ' ');
	tput_tcp(&t, r);
	printf("%s\n", line);
}

/* module/format.c format_listen(). */
static void print_listen(const struct tcpscope_listen_rec *r)
{
	char local[64], peer[64], line[512];
	struct text t = { .buf = line, .size = sizeof(line) };

	line[0] = '\0';
	endpoint(local, r->family, r->saddr, r->sport);
	endpoint(peer, r->family, r->daddr, r->dport);
	tput_listen(&t, r, local, peer);
	printf("listen %s\n", line);
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
	} else if (h.kind == TCPSCOPE_KIND_LISTEN) {
		struct tcpscope_listen_rec l;

		memcpy(&l, rec, sizeof(l));
		print_listen(&l);
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
	case TCPSCOPE_KIND_LISTEN:
		return sizeof(struct tcpscope_listen_rec);
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

int main(int argc, char **argv)
{
	static __u8 buf[65536 + REC_MAX];
	const char *path;
	size_t have = 0;
	ssize_t n, used;
	int fd;

	if (argc > 2) {
		fprintf(stderr, "usage: tcpscope-raw [FILE|-]\n");
		return 2;
	}
	path = argc == 2 ? argv[1] : DEFAULT_FILE;
	fd = strcmp(path, "-") ? stopread_open(path) : STDIN_FILENO;
	if (fd < 0) {
		fprintf(stderr, "tcpscope-raw: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (;;) {
		n = read(fd, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		/* Stopped (stopread.h): the file was opened blocking. */
		if (n < 0 && errno == EAGAIN && fd != STDIN_FILENO)
			break;
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
