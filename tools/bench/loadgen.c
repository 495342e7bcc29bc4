// SPDX-License-Identifier: GPL-2.0
/*
 * loadgen: TCP connection churn for `make bench`.
 *
 *   loadgen ADDR PORT SECONDS fin|rst [--workers N] [--bytes B]
 *           [--client-ns PATH]
 *
 * Starts N worker processes (default: the number of online CPUs). Worker i
 * listens on ADDR:PORT+i in the namespace loadgen was started in; with
 * --client-ns it then moves to that network namespace (setns) for its
 * client sockets, so the connections cross a veth pair. Each worker then
 * repeats one cycle until SECONDS have passed:
 *
 *   connect, accept, the client sends B bytes (default 64), the server
 *   reads them and sends them back, the client reads them; then
 *   fin: the client closes (FIN), the server reads EOF and closes:
 *        a full four-way close, 10 state transitions per connection
 *        (client CLOSE>SYN_SENT>ESTABLISHED>FIN_WAIT1>FIN_WAIT2>CLOSE, the
 *        tracepoint's view: tcpscope shows FIN_WAIT2>TIME_WAIT instead,
 *        server child LISTEN>SYN_RECV>ESTABLISHED>CLOSE_WAIT>LAST_ACK>CLOSE);
 *   rst: the client sets SO_LINGER {1, 0} and closes (RST), the server
 *        reads the reset and closes: 6 transitions per connection
 *        (client CLOSE>SYN_SENT>ESTABLISHED>CLOSE, server child
 *        LISTEN>SYN_RECV>ESTABLISHED>CLOSE).
 *
 * Each listener adds 2 transitions (CLOSE>LISTEN, LISTEN>CLOSE). At the end
 * it prints one line:
 *
 *   conns <n> seconds <elapsed> rate <conn/s> events <expected transitions>
 *   resets <n>
 *
 * where resets counts the RSTs sent and received by the connections'
 * sockets (2 per connection for rst, 0 for fin), which tcpscope records
 * besides the transitions.
 *
 * and exits 0, or non-zero after printing an error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS	64
#define MAX_BYTES	65536
#define FIN_EVENTS	10
#define RST_EVENTS	6
#define LISTEN_EVENTS	2

struct worker_result {
	unsigned long long conns;
};

static char buf[MAX_BYTES];

static void fail(const char *what)
{
	fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void print_usage(void)
{
	fprintf(stderr,
		"usage: loadgen ADDR PORT SECONDS fin|rst [--workers N] [--bytes B] [--client-ns PATH]\n");
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long parse_num(const char *s, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > max)
		print_usage();
	return v;
}

static void xfer(int fd, size_t len, int writing)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		if (writing)
			n = write(fd, buf + done, len - done);
		else
			n = read(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail(writing ? "write" : "read");
		if (n == 0) {
			errno = EPIPE;
			fail("unexpected EOF");
		}
		done += n;
	}
}

/* One connect/accept/data/close cycle. */
static void cycle(int lfd, const struct sockaddr_in *sa, size_t bytes, int rst)
{
	struct linger lin = { .l_onoff = 1, .l_linger = 0 };
	int c, s;
	ssize_t n;

	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0)
		fail("socket");
	if (connect(c, (const struct sockaddr *)sa, sizeof(*sa)))
		fail("connect");
	s = accept(lfd, NULL, NULL);
	if (s < 0)
		fail("accept");
	xfer(c, bytes, 1);
	xfer(s, bytes, 0);
	xfer(s, bytes, 1);
	xfer(c, bytes, 0);
	if (rst && setsockopt(c, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin)))
		fail("SO_LINGER");
	close(c);
	/* Wait for the FIN (EOF) or the RST (ECONNRESET) before closing. */
	do {
		n = read(s, buf, sizeof(buf));
	} while (n > 0 || (n < 0 && errno == EINTR));
	if (n < 0 && !(rst && errno == ECONNRESET))
		fail("read at close");
	close(s);
}

static void worker(const struct sockaddr_in *srv, const char *client_ns,
		   double deadline, size_t bytes, int rst,
		   struct worker_result *res)
{
	int one = 1, lfd, nsfd;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0)
		fail("socket");
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		fail("SO_REUSEADDR");
	if (bind(lfd, (const struct sockaddr *)srv, sizeof(*srv)))
		fail("bind");
	if (listen(lfd, 128))
		fail("listen");
	if (client_ns) {
		nsfd = open(client_ns, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0)
			fail(client_ns);
		if (setns(nsfd, CLONE_NEWNET))
			fail("setns");
		close(nsfd);
	}
	while (now() < deadline) {
		cycle(lfd, srv, bytes, rst);
		res->conns++;
	}
	close(lfd);
}

int main(int argc, char **argv)
{
	unsigned long workers = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned long port, seconds, bytes = 64, total = 0, i;
	const char *client_ns = NULL;
	struct worker_result *res;
	struct sockaddr_in srv;
	double start, elapsed;
	int rst, status, failed = 0;

	if (argc < 5)
		print_usage();
	memset(&srv, 0, sizeof(srv));
	srv.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[1], &srv.sin_addr) != 1)
		print_usage();
	port = parse_num(argv[2], 65535);
	seconds = parse_num(argv[3], 3600);
	if (!strcmp(argv[4], "fin"))
		rst = 0;
	else if (!strcmp(argv[4], "rst"))
		rst = 1;
	else
		print_usage();
	for (i = 5; i < (unsigned long)argc; i++) {
		if (i + 1 >= (unsigned long)argc)
			print_usage();
		if (!strcmp(argv[i], "--workers"))
			workers = parse_num(argv[++i], MAX_WORKERS);
		else if (!strcmp(argv[i], "--bytes"))
			bytes = parse_num(argv[++i], MAX_BYTES);
		else if (!strcmp(argv[i], "--client-ns"))
			client_ns = argv[++i];
		else
			print_usage();
	}
	if (!workers || !bytes || port + workers > 65536)
		print_usage();
	memset(buf, 'x', sizeof(buf));

	res = mmap(NULL, workers * sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		fail("mmap");
	memset(res, 0, workers * sizeof(*res));
	start = now();
	for (i = 0; i < workers; i++) {
		pid_t pid = fork();

		if (pid < 0)
			fail("fork");
		if (!pid) {
			srv.sin_port = htons(port + i);
			worker(&srv, client_ns, start + seconds, bytes, rst,
			       &res[i]);
			_exit(0);
		}
	}
	for (i = 0; i < workers; i++) {
		if (wait(&status) < 0)
			fail("wait");
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed = 1;
	}
	elapsed = now() - start;
	for (i = 0; i < workers; i++)
		total += res[i].conns;
	printf("conns %lu seconds %.3f rate %.1f events %lu resets %lu\n",
	       total, elapsed, total / elapsed,
	       total * (rst ? RST_EVENTS : FIN_EVENTS) + workers * LISTEN_EVENTS,
	       rst ? 2 * total : 0);
	return failed;
}
