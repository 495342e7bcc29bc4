// SPDX-License-Identifier: GPL-2.0
/*
 * state: the records of a connection's own life, its state transitions
 * (of its full socket, then of its timewait socket) and its resets, which
 * the hooks (module/hooks.c, module/timewait.c) hand over. A transition
 * is written to the ring, then counted in the namespace's transitions
 * (module/pernet.c) and given to the connection table (module/conns.c),
 * stamped as the ring stamped it.
 */

#include <linux/build_bug.h>
#include <linux/string.h>
#include <net/inet_timewait_sock.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "conns.h"
#include "pernet.h"
#include "record.h"
#include "ring.h"
#include "state.h"

static void check_state_numbers(void)
{
	BUILD_BUG_ON((int)TCPSCOPE_ESTABLISHED != (int)TCP_ESTABLISHED);
	BUILD_BUG_ON((int)TCPSCOPE_CLOSE != (int)TCP_CLOSE);
	BUILD_BUG_ON((int)TCPSCOPE_LISTEN != (int)TCP_LISTEN);
	BUILD_BUG_ON((int)TCPSCOPE_CLOSING != (int)TCP_CLOSING);
	BUILD_BUG_ON((int)TCPSCOPE_NEW_SYN_RECV != (int)TCP_NEW_SYN_RECV);
	BUILD_BUG_ON((int)TCPSCOPE_MAX_STATES < (int)TCP_MAX_STATES);
}

/* @r's header and states, for @sk (full or timewait); the tuple is next. */
static void state_rec_init(struct tcpscope_state_rec *r, const struct sock *sk,
			   int oldstate, int newstate)
{
	memset(r, 0, sizeof(*r));
	tcpscope_record_hdr(&r->hdr, TCPSCOPE_KIND_STATE, sizeof(*r), sk);
	r->oldstate = oldstate;
	r->newstate = newstate;
}

/*
 * @r to the ring, then to @net's counts and the connection table (@sk:
 * the full socket, NULL for a timewait socket's).
 */
static void state_rec_write(struct tcpscope_state_rec *r,
			    const struct net *net, const struct sock *sk)
{
	tcpscope_ring_write(&r->hdr);
	tcpscope_pernet_count(net, r->oldstate, r->newstate);
	tcpscope_conns_state(r, sk);
}

/**
 * tcpscope_state_emit() - record a transition of a full socket
 * @sk: the socket
 * @oldstate: TCP state before
 * @newstate: TCP state after
 */
void tcpscope_state_emit(const struct sock *sk, int oldstate, int newstate)
{
	struct tcpscope_state_rec r;

	check_state_numbers();
	state_rec_init(&r, sk, oldstate, newstate);
	tcpscope_record_tuple(sk, &r);
	state_rec_write(&r, sock_net(sk), sk);
}

/**
 * tcpscope_state_emit_tw() - record a transition of a timewait socket
 * @tw: the timewait socket; it has the full socket's cookie
 * @oldstate: TCP state before
 * @newstate: TCP state after
 */
void tcpscope_state_emit_tw(const struct inet_timewait_sock *tw,
			    int oldstate, int newstate)
{
	struct tcpscope_state_rec r;

	state_rec_init(&r, (const struct sock *)tw, oldstate, newstate);
	tcpscope_record_tw_tuple(tw, &r);
	state_rec_write(&r, twsk_net(tw), NULL);
}

/**
 * tcpscope_state_emit_reset() - record an RST
 * @sk: the full socket that sent or received it
 * @received: received, not sent
 * @reason: why it was sent, or NULL
 */
void tcpscope_state_emit_reset(const struct sock *sk, bool received,
			       const char *reason)
{
	struct tcpscope_reset_rec r;
	struct tcpscope_state_rec t;

	/* tcpscope_record_tuple() writes 4 of the 16 address bytes of IPv4. */
	memset(&t, 0, sizeof(t));
	memset(&r, 0, sizeof(r));
	tcpscope_record_hdr(&r.hdr, TCPSCOPE_KIND_RESET, sizeof(r), sk);
	r.received = received;
	r.state = sk->sk_state;
	tcpscope_record_tuple(sk, &t);
	r.family = t.family;
	r.sport = t.sport;
	r.dport = t.dport;
	memcpy(r.saddr, t.saddr, sizeof(r.saddr));
	memcpy(r.daddr, t.daddr, sizeof(r.daddr));
	if (reason)
		strscpy(r.reason, reason, sizeof(r.reason));
	tcpscope_ring_write(&r.hdr);
}
