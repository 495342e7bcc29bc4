// SPDX-License-Identifier: GPL-2.0
/*
 * tcpconn: tiny TCP traffic generator for the tcpscope selftests.
 *
 *   tcpconn server ADDR PORT [--count N] [--close-first] [--hold]
 *   tcpconn client ADDR PORT [--count N] [--bytes B] [--close-first|--wait-eof]
 *                            [--hold SEC]
 *
 * IPv6 if ADDR contains ':', IPv4 otherwise. Exits non-zero on any error.
 *
 * server: binds ADDR:PORT (PORT 0: ephemeral), prints "listening <port>",
 *   then handles N connections one after the other, printing
 *   "accepted <peer port>" for each. Each of those lines, and the client's
 *   "port" line, is followed by "cookie <hex>": the socket's SO_COOKIE
 *   (what `ss -e` shows as sk:), in the same write. Default: echo
 *   everything until EOF, wait (up to 2 s) until the peer has acknowledged
 *   all of it, then close (passive close: CLOSE_WAIT -> LAST_ACK -> CLOSE).
 *   The wait keeps the ACK of the echo from crossing the close, when the
 *   FIN is being queued: tcpscope's packets=control could not tell that
 *   ACK from the FIN's.
 *   --close-first: shutdown(SHUT_WR) at once, read until EOF, close
 *   (active close: FIN_WAIT1 -> FIN_WAIT2 -> CLOSE).
 *   --hold: after N connections keep the listener open until SIGTERM,
 *   SIGINT or SIGUSR1, then close it and exit 0.
 *
 * client: N sequential connections; prints "port <local port>" after each
 *   connect. --hold SEC sleeps after the handshake. Default (--close-first):
 *   send B bytes, shutdown(SHUT_WR), read the echo until EOF (it must be
 *   the B bytes sent), close. The server closes only after the client's
 *   FIN, so the close is never simultaneous. --wait-eof (against a
 *   --close-first server): send B bytes, read until EOF, close.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>

#include "sockaddr.h"

#define MAX_BYTES 65536

static void die(const char *what)
{
	fprintf(stderr, "tcpconn: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* "cookie <hex>": the socket's cookie, as `ss -e` prints it (sk:%llx). */
static void print_cookie(int fd)
{
	unsigned long long cookie = 0;
	socklen_t clen = sizeof(cookie);

	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &clen))
		die("SO_COOKIE");
	printf("cookie %llx\n", cookie);
}

static void print_usage(void)
{
	fprintf(stderr,
		"usage: tcpconn server ADDR PORT [--count N] [--close-first] [--hold]\n"
		"       tcpconn client ADDR PORT [--count N] [--bytes B] [--close-first|--wait-eof] [--hold SEC]\n");
	exit(2);
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		buf += n;
		len -= n;
	}
}

/* Read until EOF; echo back if @echo; store up to @max bytes in @keep. */
static size_t read_eof(int fd, int echo, char *keep, size_t max)
{
	char buf[4096];
	size_t total = 0;

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("read");
		}
		if (!n)
			return total;
		if (echo)
			write_all(fd, buf, n);
		if (keep && total + n <= max)
			memcpy(keep + total, buf, n);
		total += n;
	}
}

/* Until the peer has acknowledged all @fd sent (SIOCOUTQ), or 2 s. */
static void wait_acked(int fd)
{
	struct timespec ts = { 0, 1000000 };
	int i, n;

	for (i = 0; i < 2000; i++) {
		if (ioctl(fd, SIOCOUTQ, &n) || !n)
			return;
		nanosleep(&ts, NULL);
	}
}

static int run_server(struct sockaddr_storage *ss, socklen_t len, long count,
		      int close_first, int hold)
{
	struct sockaddr_storage peer;
	const char *what;
	socklen_t plen;
	sigset_t set;
	int lfd, fd, sig;
	long i;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	if (hold && sigprocmask(SIG_BLOCK, &set, NULL))
		die("sigprocmask");

	lfd = sockaddr_listen(ss, len, 128, &what);
	if (lfd < 0)
		die(what);
	print_cookie(lfd);
	fflush(stdout);

	for (i = 0; i < count; i++) {
		plen = sizeof(peer);
		fd = accept(lfd, (struct sockaddr *)&peer, &plen);
		if (fd < 0) {
			if (errno == EINTR) {
				i--;
				continue;
			}
			die("accept");
		}
		printf("accepted %d\n", sockaddr_port(&peer));
		print_cookie(fd);
		fflush(stdout);
		if (close_first) {
			if (shutdown(fd, SHUT_WR))
				die("shutdown");
			read_eof(fd, 0, NULL, 0);
		} else {
			read_eof(fd, 1, NULL, 0);
			wait_acked(fd);
		}
		if (close(fd))
			die("close");
	}
	if (hold && sigwait(&set, &sig))
		die("sigwait");
	if (close(lfd))
		die("close listener");
	return 0;
}

static int run_client(struct sockaddr_storage *ss, socklen_t len, long count,
		      long bytes, int wait_eof, double hold)
{
	static char out[MAX_BYTES], in[MAX_BYTES];
	struct sockaddr_storage me;
	struct timespec ts;
	socklen_t mlen;
	size_t got;
	long i, j;
	int fd;

	for (j = 0; j < bytes; j++)
		out[j] = 'a' + j % 26;
	for (i = 0; i < count; i++) {
		fd = socket(ss->ss_family, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket");
		if (connect(fd, (struct sockaddr *)ss, len))
			die("connect");
		mlen = sizeof(me);
		if (getsockname(fd, (struct sockaddr *)&me, &mlen))
			die("getsockname");
		printf("port %d\n", sockaddr_port(&me));
		print_cookie(fd);
		fflush(stdout);
		if (hold > 0) {
			ts.tv_sec = (time_t)hold;
			ts.tv_nsec = (long)((hold - ts.tv_sec) * 1e9);
			while (nanosleep(&ts, &ts) && errno == EINTR)
				;
		}
		write_all(fd, out, bytes);
		if (wait_eof) {
			read_eof(fd, 0, NULL, 0);
		} else {
			if (shutdown(fd, SHUT_WR))
				die("shutdown");
			got = read_eof(fd, 0, in, sizeof(in));
			if (got != (size_t)bytes || memcmp(in, out, bytes)) {
				fprintf(stderr, "tcpconn: echo mismatch: sent %ld got %zu\n",
					bytes, got);
				return 1;
			}
		}
		if (close(fd))
			die("close");
	}
	return 0;
}

int main(int argc, char **argv)
{
	int server, close_first = 0, wait_eof = 0, hold_flag = 0, i;
	long count = 1, bytes = 100;
	struct sockaddr_storage ss;
	double hold = 0;
	socklen_t len;

	len = sockaddr_args(argc, argv, &server, &ss);
	if (!len)
		print_usage();
	for (i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			count = atol(argv[++i]);
		} else if (!strcmp(argv[i], "--bytes") && i + 1 < argc) {
			bytes = atol(argv[++i]);
		} else if (!strcmp(argv[i], "--close-first")) {
			close_first = 1;
		} else if (!strcmp(argv[i], "--wait-eof")) {
			wait_eof = 1;
		} else if (!strcmp(argv[i], "--hold")) {
			if (server)
				hold_flag = 1;
			else if (i + 1 < argc)
				hold = atof(argv[++i]);
			else
				print_usage();
		} else {
			print_usage();
		}
	}
	if (count < 1 || bytes < 0 || bytes > MAX_BYTES ||
	    (!server && close_first && wait_eof))
		print_usage();
	if (server)
		return run_server(&ss, len, count, close_first, hold_flag);
	return run_client(&ss, len, count, bytes, wait_eof, hold);
}
