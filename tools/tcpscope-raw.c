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
 * The record layout is include/uapi/tcpscope.h; the lines are
 * include/tcptext.h's, which module/format.c prints too
 * (Documentation/tcpscope.rst).
 */

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
typedef __u16 u16;
typedef __u32 u32;

#include "../include/tcptext.h"
#include "stopread.h"

#define DEFAULT_FILE	"/sys/kernel/debug/tcpscope/events_raw"
#define REC_MAX		4096

/*
 * @rec (at least min_size() of its kind, aligned) as the events file
 * prints it: tcptext.h's lines, a LOST line first for a loss.
 */
static void print_record(const void *rec)
{
	char line[1024];
	struct text t = { .buf = line, .size = sizeof(line) };
	const struct tcpscope_hdr *h = rec;

	line[0] = '\0';
	if (h->kind == TCPSCOPE_KIND_LOST) {
		const struct tcpscope_lost_rec *l = rec;

		tput_lost(&t, l->count, h->cpu);
	} else {
		if (h->lost_before)
			tput_lost(&t, h->lost_before, h->cpu);
		tput_record(&t, h);
	}
	fputs(line, stdout);
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
	static union {
		struct tcpscope_hdr hdr;
		__u8 bytes[REC_MAX];
	} rec;
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
		memcpy(rec.bytes, buf + off, h.size);
		print_record(&rec.hdr);
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
