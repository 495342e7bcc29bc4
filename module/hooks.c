// SPDX-License-Identifier: GPL-2.0
/*
 * hooks: TCP state transitions from the sock:inet_sock_set_state
 * tracepoint, which is not exported and is therefore found by name.
 *
 * The tracepoint fires before the kernel has filled in the whole 4-tuple
 * in two places, and tcpscope never prints a zero the connection does not
 * have:
 *  - connect(): CLOSE -> SYN_SENT fires before the source port is chosen.
 *    That transition is announced when __inet_hash_connect() returns, with
 *    the port it chose (or none, if it failed).
 *  - a passive open: the child's LISTEN -> SYN_RECV fires inside
 *    inet_csk_clone_lock(), before its remote address and port are set.
 *    It is announced when the child is hashed, inet_ehash_nolisten(),
 *    right after __inet_inherit_port() gave it the listener's port. A
 *    child that dies before that is announced just before its
 *    SYN_RECV -> CLOSE.
 * Nothing else can happen to either socket in between, so the stream keeps
 * the tracepoint's order. Each hook that is missing degrades to printing
 * what the tracepoint saw, with a warning at load.
 *
 * Also the RSTs sent and received, from the tcp:tcp_send_reset and
 * tcp:tcp_receive_reset tracepoints. The hooks decide what happened;
 * module/state.c makes the records.
 */

#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <net/inet_connection_sock.h>
#include <net/inet_sock.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "compat.h"
#include "hooks.h"
#include "listen.h"
#include "probes.h"
#include "state.h"
#include "timewait.h"

struct hook_data {
	struct sock *sk;
};

static bool sock_is_tcp(const struct sock *sk)
{
	return sk->sk_protocol == IPPROTO_TCP &&
	       (sk->sk_family == AF_INET || sk->sk_family == AF_INET6);
}

static void probe_send_reset(COMPAT_SEND_RESET_PARAMS)
{
	tcpscope_probe_hit(data);
	/* No socket: an answer to a segment for a closed port. */
	if (sk && sk_fullsock(sk) && sock_is_tcp(sk))
		tcpscope_state_emit_reset(sk, false, COMPAT_SEND_RESET_REASON);
}

static void probe_receive_reset(void *data, struct sock *sk)
{
	tcpscope_probe_hit(data);
	if (sock_is_tcp(sk))
		tcpscope_state_emit_reset(sk, true, NULL);
}

enum { HP_CONNECT, HP_CHILD };

static bool hooked(unsigned int i)
{
	return tcpscope_probe_attached(&tcpscope_hooks_probes.probes[i]);
}

/*
 * A child in SYN_RECV -> CLOSE that inet_ehash_nolisten() never saw: its
 * __inet_inherit_port() failed, and tcp_v{4,6}_syn_recv_sock() closes it
 * at once, after inet_csk_prepare_forced_close() marked it dead. Every
 * other child in SYN_RECV was announced when it was hashed, and is alive
 * here (a Fast Open child accepted and closed before the client's ACK,
 * the loser of two racing ACKs): inet_ehash_nolisten() closes the loser
 * before it marks it dead. The bind hash alone cannot tell: by now
 * tcp_set_state() has released the child's port (inet_put_port()).
 */
static bool child_never_hashed(const struct sock *sk)
{
	return sock_flag(sk, SOCK_DEAD) && !inet_csk(sk)->icsk_bind_hash;
}

static void probe_set_state(void *data, const struct sock *sk,
			    const int oldstate, const int newstate)
{
	bool connect_hooked = hooked(HP_CONNECT), child_hooked = hooked(HP_CHILD);

	tcpscope_probe_hit(data);
	if (!sock_is_tcp(sk))
		return;
	/* A child's first transition is LISTEN -> SYN_RECV: not a listener's. */
	if (newstate == TCP_LISTEN ||
	    (oldstate == TCP_LISTEN && newstate == TCP_CLOSE))
		tcpscope_listen_state(sk, oldstate, newstate);
	if (newstate == TCP_CLOSE) {
		/* Closing because a timewait socket took over? */
		switch (tcpscope_timewait_handoff(sk, oldstate)) {
		case TCP_TIME_WAIT:
			tcpscope_state_emit(sk, oldstate, TCP_TIME_WAIT);
			return;
		case TCP_FIN_WAIT2:
			return;		/* still in FIN_WAIT2, as a timewait socket */
		}
	}
	if (connect_hooked && newstate == TCP_SYN_SENT &&
	    !inet_sk(sk)->inet_sport)
		return;		/* announced by connect_return() */
	if (child_hooked && oldstate == TCP_LISTEN && newstate == TCP_SYN_RECV)
		return;		/* announced by child_pre() */
	if (child_hooked && oldstate == TCP_SYN_RECV && newstate == TCP_CLOSE &&
	    child_never_hashed(sk))
		tcpscope_state_emit(sk, TCP_LISTEN, TCP_SYN_RECV);
	tcpscope_state_emit(sk, oldstate, newstate);
}

/* __inet_hash_connect(death_row, sk, port_offset, check_established) */
static int connect_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct sock *sk = (struct sock *)regs_get_kernel_argument(regs, 1);
	struct hook_data *d = (struct hook_data *)ri->data;

	if (!sock_is_tcp(sk) || sk->sk_state != TCP_SYN_SENT ||
	    inet_sk(sk)->inet_sport)
		return 1;	/* the tracepoint already announced it */
	d->sk = sk;
	return 0;
}

static int connect_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct hook_data *d = (struct hook_data *)ri->data;

	tcpscope_state_emit(d->sk, TCP_CLOSE, TCP_SYN_SENT);
	return 0;
}

/*
 * inet_ehash_nolisten(sk, osk, found_dup_sk): only a child is hashed in
 * SYN_RECV (tcp_v{4,6}_syn_recv_sock(), once __inet_inherit_port()
 * succeeded; if it failed, the child closes at once and is announced
 * then). connect() hashes its socket here too, in SYN_SENT.
 */
static int child_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct sock *child = (struct sock *)regs_get_kernel_argument(regs, 0);

	if (sock_is_tcp(child) && child->sk_state == TCP_SYN_RECV)
		tcpscope_state_emit(child, TCP_LISTEN, TCP_SYN_RECV);
	return 0;
}

TCPSCOPE_KRETPROBE_IRQOFF(connect_entry)
TCPSCOPE_KRETPROBE_IRQOFF(connect_return)
TCPSCOPE_KPROBE_IRQOFF(child_pre)

#define ZERO_PORTS	"some transitions show zero ports"

/* In the order they are attached: see tcpscope_hooks_attach(). */
static struct tcpscope_probe hooks_probes[] = {
	[HP_CONNECT] = TCPSCOPE_KRETPROBE("ports", ZERO_PORTS,
					  connect_entry_irqoff,
					  connect_return_irqoff,
					  sizeof(struct hook_data),
					  "__inet_hash_connect"),
	[HP_CHILD] = TCPSCOPE_KPROBE("ports", ZERO_PORTS, child_pre_irqoff,
				     "inet_ehash_nolisten"),
	TCPSCOPE_TRACEPOINT_REQUIRED("state", "no state transitions",
				     probe_set_state, "inet_sock_set_state"),
	TCPSCOPE_TRACEPOINT("reset", "no reset tx events", probe_send_reset,
			    "tcp_send_reset"),
	TCPSCOPE_TRACEPOINT("reset", "no reset rx events",
			    probe_receive_reset, "tcp_receive_reset"),
};

struct tcpscope_probe_set tcpscope_hooks_probes = {
	.probes = hooks_probes,
	.n = ARRAY_SIZE(hooks_probes),
};

/*
 * The kprobes first: the tracepoint leaves to them what they announce, once
 * they are attached. Return: 0, or the error of the tracepoint, required.
 */
int tcpscope_hooks_attach(void)
{
	return tcpscope_probes_attach(&tcpscope_hooks_probes);
}

/* Its tracepoints' handlers may still run: see main.c's detach_hooks(). */
void tcpscope_hooks_detach(void)
{
	tcpscope_probes_detach(&tcpscope_hooks_probes);
}
