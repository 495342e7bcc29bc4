// SPDX-License-Identifier: GPL-2.0
/*
 * evread: file semantics of /sys/kernel/debug/tcpscope/events.
 *
 *   evread nonblock FILE     open O_NONBLOCK, read (copying to stdout) until
 *                            read() fails; exit 0 only if it failed with
 *                            EAGAIN (EOF or another error: exit 1)
 *   evread poll FILE MS      open O_NONBLOCK, drain as above, then poll():
 *                            it must time out (no POLLIN while empty); print
 *                            "ready", then poll() must report POLLIN within MS
 *                            ms; print "pollin", then read() must return one
 *                            or more whole lines, printed to stdout
 *   evread block FILE [SEC]  open blocking, one read() (SEC timeout, default
 *                            10): must return one or more whole lines, printed
 *   evread follow FILE       open blocking, copy to stdout (flushed after
 *                            every read) until SIGTERM or SIGINT; then copy
 *                            what the file still holds, without waiting,
 *                            and exit 0 at EAGAIN: stopping it loses nothing
 *                            it took, unlike killing cat(1) between its
 *                            read() and its write(), or with the rest of a
 *                            line left in the open file
 *   evread now               print CLOCK_MONOTONIC as <sec>.<9-digit nsec>
 *
 * Diagnostics go to stderr; every mode but follow is bounded by alarm().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../tools/stopread.h"

static char buf[1 << 16];

static int fail(const char *what)
{
	fprintf(stderr, "evread: %s: %s\n", what, errno ? strerror(errno) : "");
	return 1;
}

/* Print a chunk that must be one or more whole lines. */
static int whole_lines(ssize_t n)
{
	if (n <= 0 || buf[n - 1] != '\n') {
		fprintf(stderr, "evread: read returned %zd bytes, not whole lines\n", n);
		return 1;
	}
	fwrite(buf, 1, n, stdout);
	fflush(stdout);
	return 0;
}

/* Read until failure; 0 if the failure is EAGAIN. */
static int drain(int fd)
{
	size_t total = 0;

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n > 0) {
			fwrite(buf, 1, n, stdout);
			fflush(stdout);
			total += n;
			continue;
		}
		if (n == 0) {
			fprintf(stderr, "evread: EOF after %zu bytes (expected EAGAIN)\n", total);
			return 1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return fail("read");
		fprintf(stderr, "evread: EAGAIN after %zu bytes\n", total);
		return 0;
	}
}

/* Until SIGTERM or SIGINT, then what is left: see stopread.h. */
static int follow(const char *path)
{
	int fd = stopread_open(path);

	if (fd < 0)
		return fail("open");
	return drain(fd);
}

int main(int argc, char **argv)
{
	struct pollfd pfd;
	struct timespec ts;
	int fd, ms, r;
	ssize_t n;

	if (argc == 2 && !strcmp(argv[1], "now")) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		printf("%lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
		return 0;
	}
	if (argc < 3)
		goto usage;

	if (!strcmp(argv[1], "nonblock") && argc == 3) {
		alarm(20);
		fd = open(argv[2], O_RDONLY | O_NONBLOCK);
		if (fd < 0)
			return fail("open");
		return drain(fd);
	}

	if (!strcmp(argv[1], "poll") && argc == 4) {
		ms = atoi(argv[3]);
		alarm(20 + ms / 1000);
		fd = open(argv[2], O_RDONLY | O_NONBLOCK);
		if (fd < 0)
			return fail("open");
		if (drain(fd))
			return 1;
		pfd.fd = fd;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, 300);
		if (r != 0) {
			fprintf(stderr, "evread: poll on empty stream returned %d revents 0x%x\n",
				r, r > 0 ? pfd.revents : 0);
			return 1;
		}
		printf("ready\n");
		fflush(stdout);
		r = poll(&pfd, 1, ms);
		if (r < 0)
			return fail("poll");
		if (r == 0 || !(pfd.revents & POLLIN)) {
			fprintf(stderr, "evread: no POLLIN within %d ms (r=%d revents 0x%x)\n",
				ms, r, pfd.revents);
			return 1;
		}
		printf("pollin\n");
		fflush(stdout);
		n = read(fd, buf, sizeof(buf));
		if (n < 0)
			return fail("read after POLLIN");
		return whole_lines(n);
	}

	if (!strcmp(argv[1], "follow") && argc == 3)
		return follow(argv[2]);

	if (!strcmp(argv[1], "block") && (argc == 3 || argc == 4)) {
		alarm(argc == 4 ? atoi(argv[3]) : 10);
		fd = open(argv[2], O_RDONLY);
		if (fd < 0)
			return fail("open");
		n = read(fd, buf, sizeof(buf));
		if (n < 0)
			return fail("read");
		return whole_lines(n);
	}
usage:
	fprintf(stderr, "usage: evread nonblock FILE | poll FILE MS | block FILE [SEC] |\n"
		"       evread follow FILE | now\n");
	return 2;
}
