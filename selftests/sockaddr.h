/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sockaddr.h: the address, argument and listener helpers that the
 * selftests' C helpers (churn, tcpconn) share.
 */
#ifndef _TCPSCOPE_SELFTESTS_SOCKADDR_H
#define _TCPSCOPE_SELFTESTS_SOCKADDR_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * sockaddr_parse() - ADDR (IPv6 if it contains ':') and PORT into @ss.
 * Return: the address length, or 0 if either does not parse.
 */
static inline socklen_t sockaddr_parse(const char *addr, const char *port,
				       struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char *end;
	unsigned long p = strtoul(port, &end, 10);

	if (*end || p > 65535)
		return 0;
	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':')) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p);
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			return 0;
		return sizeof(*s6);
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons(p);
	if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
		return 0;
	return sizeof(*s4);
}

static inline int sockaddr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/*
 * sockaddr_args() - "server|client ADDR PORT [...]": whether argv[1] is
 * "server" into *@server, ADDR and PORT into @ss.
 * Return: the address length, or 0 if the arguments are not so.
 */
static inline socklen_t sockaddr_args(int argc, char **argv, int *server,
				      struct sockaddr_storage *ss)
{
	if (argc < 4)
		return 0;
	if (!strcmp(argv[1], "server"))
		*server = 1;
	else if (!strcmp(argv[1], "client"))
		*server = 0;
	else
		return 0;
	return sockaddr_parse(argv[2], argv[3], ss);
}

/* sockaddr_local_port() - the port @fd is bound to, or -1 (errno set). */
static inline int sockaddr_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	return sockaddr_port(&ss);
}

/*
 * sockaddr_listen() - a TCP socket bound to @ss (with SO_REUSEADDR) and
 * listening with @backlog; prints "listening PORT", the port it is bound
 * to (not flushed).
 * Return: the socket; or -1, errno set and *@what naming the call that
 * failed.
 */
static inline int sockaddr_listen(const struct sockaddr_storage *ss,
				  socklen_t len, int backlog, const char **what)
{
	int one = 1, fd, port, err;

	*what = "socket";
	fd = socket(ss->ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	*what = "SO_REUSEADDR";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto fail;
	*what = "bind";
	if (bind(fd, (const struct sockaddr *)ss, len))
		goto fail;
	*what = "listen";
	if (listen(fd, backlog))
		goto fail;
	*what = "getsockname";
	port = sockaddr_local_port(fd);
	if (port < 0)
		goto fail;
	printf("listening %d\n", port);
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

#endif /* _TCPSCOPE_SELFTESTS_SOCKADDR_H */
