// SPDX-License-Identifier: GPL-2.0
/*
 * readloop: the cheapest loops a user can run for `make bench`'s procread
 * part, with no fork or exec between reads (unlike a shell loop):
 *
 *   readloop FILE     open(), read() into a 64 KiB buffer until EOF,
 *                     close(), again (on /proc/net/tcpscope)
 *   readloop --diag   the sock_diag dump that `ss -tan` asks the kernel
 *                     for, again: all TCP sockets of the namespace, IPv4
 *                     then IPv6, on one NETLINK_SOCK_DIAG socket
 *
 * On SIGINT or SIGTERM it finishes the current read and prints one line:
 *
 *   reads <complete reads> bytes <bytes of the last read>
 *
 * and exits 0, or non-zero after printing an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
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

/* One read of @path; returns its bytes, or -1. */
static long long read_file(const char *path)
{
	long long bytes = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "readloop: %s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		n = read(fd, buf, sizeof(buf));
		if (n > 0)
			bytes += n;
	} while (n > 0 || (n < 0 && errno == EINTR));
	if (n < 0)
		fprintf(stderr, "readloop: read: %s\n", strerror(errno));
	close(fd);
	return n < 0 ? -1 : bytes;
}

/* One dump of @family's TCP sockets on @fd; returns its bytes, or -1. */
static long long dump_family(int fd, int family)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	long long bytes = 0;
	struct nlmsghdr *h;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.r.sdiag_family = family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0U;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		fprintf(stderr, "readloop: sendto: %s\n", strerror(errno));
		return -1;
	}
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "readloop: recv: %s\n",
				n ? strerror(errno) : "EOF");
			return -1;
		}
		bytes += n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return bytes;
			if (h->nlmsg_type == NLMSG_ERROR) {
				fprintf(stderr, "readloop: sock_diag error\n");
				return -1;
			}
		}
	}
}

int main(int argc, char **argv)
{
	unsigned long long reads = 0;
	long long bytes = 0, b;
	struct sigaction sa;
	int diag, fd = -1;

	if (argc != 2) {
		fprintf(stderr, "usage: readloop FILE|--diag\n");
		return 2;
	}
	diag = !strcmp(argv[1], "--diag");
	if (diag) {
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
			    NETLINK_SOCK_DIAG);
		if (fd < 0) {
			fprintf(stderr, "readloop: socket: %s\n", strerror(errno));
			return 1;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop) {
		if (diag) {
			b = dump_family(fd, AF_INET);
			if (b >= 0) {
				bytes = b;
				b = dump_family(fd, AF_INET6);
				b = b < 0 ? b : bytes + b;
			}
		} else {
			b = read_file(argv[1]);
		}
		if (b < 0)
			return 1;
		bytes = b;
		reads++;
	}
	printf("reads %llu bytes %lld\n", reads, bytes);
	return 0;
}
