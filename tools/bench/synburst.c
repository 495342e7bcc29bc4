// SPDX-License-Identifier: GPL-2.0
/*
 * synburst: unanswered SYNs at the highest rate one process sustains, for
 * `make bench` (part synburst).
 *
 *   synburst ADDR PORT SECONDS A.B
 *
 * Sends SYNs to the IPv4 listener ADDR:PORT from addresses A.B.x.y (a new
 * source address and port for each, none of which ever answers), with
 * their own IP headers and valid checksums, through a raw socket, for
 * SECONDS. The caller routes A.B.0.0/16 back to a place that drops the
 * SYN-ACKs. Prints one line:
 *
 *   sent <n> seconds <elapsed>
 *
 * and exits 0, or non-zero after printing an error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct syn {
	struct iphdr ip;
	struct tcphdr tcp;
};

static __u16 csum(const void *data, size_t len, __u32 sum)
{
	const __u8 *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The SYN from @src, its checksums filled in. */
static void make_syn(struct syn *s, __u32 src, __u32 dst,
		     __u16 dport, __u32 n)
{
	struct {
		__u32 src, dst;
		__u8 zero, proto;
		__u16 len;
		struct tcphdr tcp;
	} pseudo;

	memset(s, 0, sizeof(*s));
	s->ip.version = 4;
	s->ip.ihl = 5;
	s->ip.tot_len = htons(sizeof(*s));
	s->ip.frag_off = htons(IP_DF);
	s->ip.ttl = 64;
	s->ip.protocol = IPPROTO_TCP;
	s->ip.saddr = src;
	s->ip.daddr = dst;
	s->ip.check = csum(&s->ip, sizeof(s->ip), 0);
	s->tcp.source = htons(1024 + n % 64512);
	s->tcp.dest = htons(dport);
	s->tcp.seq = htonl(n * 2654435761u);
	s->tcp.doff = 5;
	s->tcp.syn = 1;
	s->tcp.window = htons(64240);
	pseudo.src = src;
	pseudo.dst = dst;
	pseudo.zero = 0;
	pseudo.proto = IPPROTO_TCP;
	pseudo.len = htons(sizeof(s->tcp));
	pseudo.tcp = s->tcp;
	s->tcp.check = csum(&pseudo, sizeof(pseudo), 0);
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	unsigned int a, b;
	char *end;
	long port;
	double t0, secs, t;
	__u32 n = 0;
	struct syn s;
	int fd;

	port = argc == 5 ? strtol(argv[2], &end, 10) : 0;
	if (argc != 5 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 ||
	    *end || port < 1 || port > 65535 ||
	    sscanf(argv[4], "%u.%u", &a, &b) != 2 || a > 255 || b > 255) {
		fprintf(stderr, "usage: synburst ADDR PORT SECONDS A.B\n");
		return 2;
	}
	secs = atof(argv[3]);
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	t0 = now();
	do {
		int i;

		/* Check the clock every 256 SYNs. */
		for (i = 0; i < 256; i++, n++) {
			__u32 src = htonl(a << 24 | b << 16 |
					     (1 + n % 65534));

			make_syn(&s, src, to.sin_addr.s_addr, port, n);
			if (sendto(fd, &s, sizeof(s), 0,
				   (struct sockaddr *)&to, sizeof(to)) < 0 &&
			    errno != ENOBUFS) {
				perror("sendto");
				return 1;
			}
		}
		t = now() - t0;
	} while (t < secs);
	printf("sent %u seconds %.3f\n", n, t);
	return 0;
}
