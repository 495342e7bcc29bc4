// SPDX-License-Identifier: GPL-2.0
/*
 * evcount: a minimal reader for `make bench`. Reads FILE (or stdin for
 * "-") with read() into a 64 KiB buffer until EOF, SIGINT or SIGTERM, and
 * counts what it read, without printing or keeping it:
 *
 *   evcount text FILE [--nonblock]   newline-terminated lines
 *   evcount raw FILE [--nonblock]    events_raw records, reassembled by
 *                                    their header's size field
 *
 * --nonblock opens FILE with O_NONBLOCK and stops at the first EAGAIN (a
 * drain). At the end it prints one line:
 *
 *   text: lines <n> bytes <n>
 *   raw:  records <n> state <n> lost_records <n> lost <n> bytes <n>
 *
 * "lost" sums the counts of the LOST records (kind 2: header, then a
 * 64-bit count).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../include/uapi/tcpscope.h"

#define BUF_SIZE	65536
#define KIND_LOST	2

/* Set by the handler; read() returns EINTR, so it is reloaded after. */
static sig_atomic_t stop;
static unsigned char buf[BUF_SIZE];

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void print_usage(void)
{
	fprintf(stderr, "usage: evcount text|raw FILE|- [--nonblock]\n");
	exit(2);
}

struct raw_counts {
	unsigned long long records, state, lost_records, lost;
	size_t have;		/* bytes of an incomplete record in buf */
};

/* Count the whole records at the start of buf; keep the tail. */
static int count_raw(struct raw_counts *c)
{
	size_t off = 0;

	while (c->have - off >= sizeof(struct tcpscope_hdr)) {
		struct tcpscope_hdr h;
		__u64 n;

		memcpy(&h, buf + off, sizeof(h));
		if (h.size < sizeof(h)) {
			fprintf(stderr, "evcount: bad record size %u\n", h.size);
			return -1;
		}
		if (c->have - off < h.size)
			break;
		c->records++;
		if (h.kind == TCPSCOPE_KIND_STATE) {
			c->state++;
		} else if (h.kind == KIND_LOST && h.size >= sizeof(h) + 8) {
			memcpy(&n, buf + off + sizeof(h), sizeof(n));
			c->lost_records++;
			c->lost += n;
		}
		off += h.size;
	}
	memmove(buf, buf + off, c->have - off);
	c->have -= off;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long lines = 0, bytes = 0;
	struct raw_counts rc = { 0 };
	struct sigaction sa;
	int raw, fd, flags = O_RDONLY;
	ssize_t n, i;

	if (argc < 3 || argc > 4)
		print_usage();
	if (!strcmp(argv[1], "raw"))
		raw = 1;
	else if (!strcmp(argv[1], "text"))
		raw = 0;
	else
		print_usage();
	if (argc == 4) {
		if (strcmp(argv[3], "--nonblock"))
			print_usage();
		flags |= O_NONBLOCK;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: read() returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fd = strcmp(argv[2], "-") ? open(argv[2], flags) : 0;
	if (fd < 0) {
		fprintf(stderr, "evcount: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	while (!stop) {
		n = read(fd, buf + rc.have, BUF_SIZE - rc.have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			fprintf(stderr, "evcount: read: %s\n", strerror(errno));
			return 1;
		}
		if (!n)
			break;
		bytes += n;
		if (raw) {
			rc.have += n;
			if (count_raw(&rc))
				return 1;
			continue;
		}
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
	}
	if (raw)
		printf("records %llu state %llu lost_records %llu lost %llu bytes %llu\n",
		       rc.records, rc.state, rc.lost_records, rc.lost, bytes);
	else
		printf("lines %llu bytes %llu\n", lines, bytes);
	return 0;
}
