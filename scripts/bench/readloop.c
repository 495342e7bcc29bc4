// SPDX-License-Identifier: GPL-2.0
/*
 * readloop: reads a file whole, over and over, for `make bench`'s procread
 * part: the cheapest loop a user can run on /proc/net/tcpscope (no
 * fork or exec between reads, unlike `cat` in a shell loop).
 *
 *   readloop FILE
 *
 * Each read is open(), read() into a 64 KiB buffer until EOF, close().
 * On SIGINT or SIGTERM it finishes the current read and prints one line:
 *
 *   reads <complete reads> bytes <bytes of the last read>
 *
 * and exits 0, or non-zero after printing an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BUF_SIZE	65536

/* Set by the handler; each loop calls read(), so it is reloaded. */
static sig_atomic_t stop;
static char buf[BUF_SIZE];

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	unsigned long long reads = 0, bytes = 0, last = 0;
	struct sigaction sa;
	ssize_t n;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: readloop FILE\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop) {
		fd = open(argv[1], O_RDONLY);
		if (fd < 0) {
			fprintf(stderr, "readloop: %s: %s\n", argv[1], strerror(errno));
			return 1;
		}
		bytes = 0;
		do {
			n = read(fd, buf, sizeof(buf));
			if (n > 0)
				bytes += n;
		} while (n > 0 || (n < 0 && errno == EINTR));
		if (n < 0) {
			fprintf(stderr, "readloop: read: %s\n", strerror(errno));
			return 1;
		}
		close(fd);
		reads++;
		last = bytes;
	}
	printf("reads %llu bytes %llu\n", reads, last);
	return 0;
}
