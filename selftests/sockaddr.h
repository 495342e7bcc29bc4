/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sockaddr.h: address helpers shared by the selftests' C helpers.
 */
#ifndef _TCPSCOPE_SELFTESTS_SOCKADDR_H
#define _TCPSCOPE_SELFTESTS_SOCKADDR_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

#endif /* _TCPSCOPE_SELFTESTS_SOCKADDR_H */
