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
 */

#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <linux/sock_diag.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <net/inet_connection_sock.h>
#include <net/inet_sock.h>
#include <net/inet_timewait_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "compat.h"
#include "conns.h"
#include "hooks.h"
#include "listeners.h"
#include "pernet.h"
#include "probes.h"
#include "ring.h"
#include "timewait.h"

struct hook_data {
	struct sock *sk;
};

static bool sock_is_tcp(const struct sock *sk)
{
	return sk->sk_protocol == IPPROTO_TCP &&
	       (sk->sk_family == AF_INET || sk->sk_family == AF_INET6);
}

/*
 * The socket cookie: unique per socket, the id `ss -e` shows as sk:. Also
 * valid for request and timewait sockets (the cookie is in sock_common).
 */
u64 tcpscope_sock_id(const struct sock *sk)
{
	u32 cookie[2];

	sock_diag_save_cookie((struct sock *)sk, cookie);
	return (u64)cookie[1] << 32 | cookie[0];
}

static void fill_addrs6(const struct sock *sk, struct tcpscope_state_rec *r)
{
#if IS_ENABLED(CONFIG_IPV6)
	const struct inet_sock *inet = inet_sk(sk);

	/*
	 * A v4 child of a v6 listener gets its v4-mapped v6 addresses only
	 * after it is announced: map them from the v4 fields.
	 */
	if (ipv6_addr_any(&sk->sk_v6_daddr) && inet->inet_daddr) {
		ipv6_addr_set_v4mapped(inet->inet_saddr,
				       (struct in6_addr *)r->saddr);
		ipv6_addr_set_v4mapped(inet->inet_daddr,
				       (struct in6_addr *)r->daddr);
		return;
	}
	memcpy(r->saddr, &sk->sk_v6_rcv_saddr, sizeof(struct in6_addr));
	memcpy(r->daddr, &sk->sk_v6_daddr, sizeof(struct in6_addr));
#endif
}

/* The same fields the tracepoint reports, read from the socket now. */
static void fill_tuple(const struct sock *sk, struct tcpscope_state_rec *r)
{
	const struct inet_sock *inet = inet_sk(sk);

	r->family = sk->sk_family;
	r->sport = inet->inet_sport;
	r->dport = inet->inet_dport;
	if (sk->sk_family == AF_INET6) {
		fill_addrs6(sk, r);
		return;
	}
	memcpy(r->saddr, &inet->inet_saddr, sizeof(inet->inet_saddr));
	memcpy(r->daddr, &inet->inet_daddr, sizeof(inet->inet_daddr));
}

/* The common header of a record about @sk (full, request or timewait). */
static void fill_hdr(struct tcpscope_hdr *h, u16 kind, u16 size,
		     const struct sock *sk)
{
	h->kind = kind;
	h->size = size;
	h->conn_id = tcpscope_sock_id(sk);
	h->netns = sock_net(sk)->ns.inum;
}

static void emit_state(const struct sock *sk, int oldstate, int newstate)
{
	struct tcpscope_state_rec r;

	memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, TCPSCOPE_KIND_STATE, sizeof(r), sk);
	r.oldstate = oldstate;
	r.newstate = newstate;
	fill_tuple(sk, &r);
	tcpscope_ring_write(&r.hdr);
	tcpscope_pernet_count(sock_net(sk), oldstate, newstate);
	tcpscope_conns_state(&r, sk);
}

/**
 * tcpscope_hooks_emit_tw() - record a transition of a timewait socket
 * @tw: the timewait socket; it has the full socket's cookie
 * @oldstate: TCP state before
 * @newstate: TCP state after
 */
void tcpscope_hooks_emit_tw(const struct inet_timewait_sock *tw,
			    int oldstate, int newstate)
{
	struct tcpscope_state_rec r;

	memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, TCPSCOPE_KIND_STATE, sizeof(r), (const struct sock *)tw);
	r.oldstate = oldstate;
	r.newstate = newstate;
	r.family = tw->tw_family;
	r.sport = tw->tw_sport;
	r.dport = tw->tw_dport;
#if IS_ENABLED(CONFIG_IPV6)
	if (tw->tw_family == AF_INET6) {
		memcpy(r.saddr, &tw->tw_v6_rcv_saddr, sizeof(struct in6_addr));
		memcpy(r.daddr, &tw->tw_v6_daddr, sizeof(struct in6_addr));
	}
#endif
	if (tw->tw_family == AF_INET) {
		memcpy(r.saddr, &tw->tw_rcv_saddr, sizeof(tw->tw_rcv_saddr));
		memcpy(r.daddr, &tw->tw_daddr, sizeof(tw->tw_daddr));
	}
	tcpscope_ring_write(&r.hdr);
	tcpscope_pernet_count(twsk_net(tw), oldstate, newstate);
	tcpscope_conns_state(&r, NULL);
}

/* An RST @sk sent (@received false) or received; @reason may be NULL. */
static void emit_reset(const struct sock *sk, bool received,
		       const char *reason)
{
	struct tcpscope_reset_rec r;
	struct tcpscope_state_rec t;

	/* fill_tuple() writes 4 of the 16 address bytes of an IPv4 socket. */
	memset(&t, 0, sizeof(t));
	memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, TCPSCOPE_KIND_RESET, sizeof(r), sk);
	r.received = received;
	r.state = sk->sk_state;
	fill_tuple(sk, &t);
	r.family = t.family;
	r.sport = t.sport;
	r.dport = t.dport;
	memcpy(r.saddr, t.saddr, sizeof(r.saddr));
	memcpy(r.daddr, t.daddr, sizeof(r.daddr));
	if (reason)
		strscpy(r.reason, reason, sizeof(r.reason));
	tcpscope_ring_write(&r.hdr);
}

static void probe_send_reset(COMPAT_SEND_RESET_PARAMS)
{
	tcpscope_probe_hit(data);
	/* No socket: an answer to a segment for a closed port. */
	if (sk && sk_fullsock(sk) && sock_is_tcp(sk))
		emit_reset(sk, false, COMPAT_SEND_RESET_REASON);
}

static void probe_receive_reset(void *data, struct sock *sk)
{
	tcpscope_probe_hit(data);
	if (sock_is_tcp(sk))
		emit_reset(sk, true, NULL);
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
		tcpscope_listeners_state(sk, oldstate, newstate);
	if (newstate == TCP_CLOSE) {
		/* Closing because a timewait socket took over? */
		switch (tcpscope_timewait_handoff(sk, oldstate)) {
		case TCP_TIME_WAIT:
			emit_state(sk, oldstate, TCP_TIME_WAIT);
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
		emit_state(sk, TCP_LISTEN, TCP_SYN_RECV);
	emit_state(sk, oldstate, newstate);
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

	emit_state(d->sk, TCP_CLOSE, TCP_SYN_SENT);
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
		emit_state(child, TCP_LISTEN, TCP_SYN_RECV);
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

static void check_state_numbers(void)
{
	BUILD_BUG_ON((int)TCPSCOPE_ESTABLISHED != (int)TCP_ESTABLISHED);
	BUILD_BUG_ON((int)TCPSCOPE_CLOSE != (int)TCP_CLOSE);
	BUILD_BUG_ON((int)TCPSCOPE_LISTEN != (int)TCP_LISTEN);
	BUILD_BUG_ON((int)TCPSCOPE_CLOSING != (int)TCP_CLOSING);
	BUILD_BUG_ON((int)TCPSCOPE_NEW_SYN_RECV != (int)TCP_NEW_SYN_RECV);
	BUILD_BUG_ON((int)TCPSCOPE_MAX_STATES < (int)TCP_MAX_STATES);
}

/*
 * The kprobes first: the tracepoint leaves to them what they announce, once
 * they are attached.
 */
int tcpscope_hooks_attach(void)
{
	int ret;

	check_state_numbers();
	ret = tcpscope_probes_attach(&tcpscope_hooks_probes);
	if (ret)
		return ret;
	/* After the tracepoint, which claims what they note. */
	tcpscope_timewait_attach();
	tcpscope_listeners_attach();
	return 0;
}

/* After this returns, no hook runs any more and none is running. */
void tcpscope_hooks_detach(void)
{
	tcpscope_listeners_detach();
	tcpscope_timewait_detach();
	tcpscope_probes_detach(&tcpscope_hooks_probes);
	tracepoint_synchronize_unregister();
}

/* Hook calls the kernel could not deliver (kretprobe instances ran out). */
u64 tcpscope_hooks_missed(void)
{
	return tcpscope_probes_missed();
}
