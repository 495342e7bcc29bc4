// SPDX-License-Identifier: GPL-2.0
/*
 * churn: many short TCP connections from one process, for the tcpscope
 * stress tests (one process per connection is far too slow under TCG).
 *
 *   churn server ADDR PORT
 *   churn client ADDR PORT [--count N] [--seconds S] [--report MS]
 *
 * IPv6 if ADDR contains ':', IPv4 otherwise. Exits non-zero on any error.
 *
 * server: binds ADDR:PORT, prints "listening <port>", then accepts one
 *   connection at a time: reads until EOF, closes (passive close). On
 *   SIGTERM or SIGINT it closes the listener, prints "accepted <n>" and
 *   exits 0.
 *
 * client: connections one after the other, each: connect, shutdown(SHUT_WR),
 *   read until EOF, close. Per connection that is, on the client,
 *   CLOSE -> SYN_SENT -> ESTABLISHED -> FIN_WAIT1 -> FIN_WAIT2 -> CLOSE
 *   and on the server's child LISTEN -> SYN_RECV -> ESTABLISHED ->
 *   CLOSE_WAIT -> LAST_ACK -> CLOSE. Stops after N connections, after S
 *   seconds, or on SIGTERM/SIGINT (the connection in progress is finished
 *   first), whichever comes first; without --count and --seconds it runs
 *   until signalled. --report MS prints "connections <n>" every MS ms.
 *   At the end it prints "connections <n>" (completed connections).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sockaddr.h"

/* Set by the signal handler; read with __atomic builtins, not volatile. */
static int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	__atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
}

static int stopped(void)
{
	return __atomic_load_n(&stop_flag, __ATOMIC_RELAXED);
}

static void die(const char *what)
{
	fprintf(stderr, "churn: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void print_usage(void)
{
	fprintf(stderr,
		"usage: churn server ADDR PORT\n"
		"       churn client ADDR PORT [--count N] [--seconds S] [--report MS]\n");
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Catch SIGTERM/SIGINT without SA_RESTART: blocking calls get EINTR. */
static void set_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL))
		die("sigaction");
}

/* Read until EOF. Return: 0, or -1 if interrupted by a stop signal. */
static int read_eof(int fd, int interruptible)
{
	char buf[512];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EINTR) {
				if (interruptible && stopped())
					return -1;
				continue;
			}
			die("read");
		}
		if (!n)
			return 0;
	}
}

static int run_server(struct sockaddr_storage *ss, socklen_t len)
{
	unsigned long accepted = 0;
	const char *what;
	int lfd, fd;

	lfd = sockaddr_listen(ss, len, 1024, &what);
	if (lfd < 0)
		die(what);
	fflush(stdout);

	while (!stopped()) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			die("accept");
		}
		accepted++;
		read_eof(fd, 1);
		if (close(fd))
			die("close");
	}
	if (close(lfd))
		die("close listener");
	printf("accepted %lu\n", accepted);
	return 0;
}

static int run_client(struct sockaddr_storage *ss, socklen_t len, long count,
		      double seconds, long report_ms)
{
	double start = now(), next_report = start + report_ms / 1e3;
	unsigned long done = 0;
	int fd;

	while (!stopped() && (count < 0 || (long)done < count)) {
		if (seconds > 0 && now() - start >= seconds)
			break;
		fd = socket(ss->ss_family, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket");
		while (connect(fd, (struct sockaddr *)ss, len)) {
			/* A signal during the handshake: let it complete. */
			if (errno == EINTR || errno == EALREADY) {
				usleep(1000);
				continue;
			}
			if (errno == EISCONN)
				break;
			die("connect");
		}
		if (shutdown(fd, SHUT_WR))
			die("shutdown");
		read_eof(fd, 0);
		if (close(fd))
			die("close");
		done++;
		if (report_ms > 0 && now() >= next_report) {
			printf("connections %lu\n", done);
			fflush(stdout);
			next_report = now() + report_ms / 1e3;
		}
	}
	printf("connections %lu\n", done);
	return 0;
}

int main(int argc, char **argv)
{
	long count = -1, report_ms = 0;
	struct sockaddr_storage ss;
	double seconds = 0;
	socklen_t len;
	int server, i;

	len = sockaddr_args(argc, argv, &server, &ss);
	if (!len)
		print_usage();
	for (i = 4; i < argc; i++) {
		if (server)
			print_usage();
		if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = atol(argv[++i]);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--report") && i + 1 < argc)
			report_ms = atol(argv[++i]);
		else
			print_usage();
	}
	set_signals();
	if (server)
		return run_server(&ss, len);
	return run_client(&ss, len, count, seconds, report_ms);
}
