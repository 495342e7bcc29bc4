/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stopread.h: open a file whose reader SIGTERM or SIGINT stops without
 * losing anything it took. After the signal the file reads without
 * blocking: a read() blocked at that moment returns EINTR (no
 * SA_RESTART), later ones return what the file still holds and then
 * EAGAIN, where the reader ends. Killing a reader instead (cat, say) can
 * land between its read() and its write(), and what it read is gone.
 *
 * Used by tools/tcpscope-raw and selftests/evread (follow).
 */
#ifndef TCPSCOPE_STOPREAD_H
#define TCPSCOPE_STOPREAD_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>

/* The file opened; set while SIGTERM and SIGINT are blocked. */
static int stopread_fd = -1;

/* fcntl() is async-signal-safe. */
static void stopread_signal(int sig)
{
	int saved = errno, flags = fcntl(stopread_fd, F_GETFL);

	(void)sig;
	if (flags >= 0)
		fcntl(stopread_fd, F_SETFL, flags | O_NONBLOCK);
	errno = saved;
}

/*
 * Open @path for reading, blocking, with SIGTERM and SIGINT set to stop
 * its reader. Returns the descriptor, or -1 with errno set.
 */
static int stopread_open(const char *path)
{
	struct sigaction sa;
	sigset_t sigs, old;
	int err;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stopread_signal;
	sigemptyset(&sa.sa_mask);
	/* Held back until the file is open: then the handler has it. */
	if (sigprocmask(SIG_BLOCK, &sigs, &old) ||
	    sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL))
		return -1;
	stopread_fd = open(path, O_RDONLY);
	err = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = err;
	return stopread_fd;
}

#endif /* TCPSCOPE_STOPREAD_H */
