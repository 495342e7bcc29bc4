// SPDX-License-Identifier: GPL-2.0
/*
 * timewait: TIME_WAIT and the end of it.
 *
 * When a connection enters TIME_WAIT (or an orphaned one waits in
 * FIN_WAIT2), tcp_time_wait() creates a timewait socket with the same
 * cookie, hashes it in place of the full socket and closes the full
 * socket: the tracepoint shows FIN_WAIT2 -> CLOSE (or CLOSING -> CLOSE),
 * and nothing of what follows. tcpscope tells what happens to the
 * connection instead:
 *  - the hand-over (kprobe on inet_twsk_hashdance_schedule(), or
 *    inet_twsk_hashdance() before 6.10) is noted per CPU, and the full
 *    socket's X -> CLOSE that follows at once on the same CPU is shown as
 *    X -> TIME_WAIT, or not at all if the timewait socket starts in
 *    FIN_WAIT2: the connection is still in FIN_WAIT2. A FIN_WAIT2 or
 *    CLOSING -> CLOSE without a note (the kprobe was missed: another
 *    kprobe's handler was running on the CPU, or it is not set) looks for
 *    the timewait socket in the established hash instead;
 *  - FIN_WAIT2 -> TIME_WAIT when the peer's FIN reaches the timewait
 *    socket: tcp_timewait_state_process() notes the substate it starts
 *    from, and __inet_twsk_schedule() re-arming the timer with the
 *    substate now TIME_WAIT is the moment it changed;
 *  - TIME_WAIT -> CLOSE (or FIN_WAIT2 -> CLOSE) when inet_twsk_kill()
 *    unhashes the timewait socket: at the end of 2MSL, or early (RST,
 *    port reuse, namespace exit).
 * Each hook that cannot be set degrades to the tracepoint's view, with a
 * warning at load.
 */

#include <linux/irqflags.h>
#include <linux/kprobes.h>
#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <net/inet6_hashtables.h>
#include <net/inet_hashtables.h>
#include <net/inet_timewait_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/tcp_states.h>

#include "compat.h"
#include "probes.h"
#include "state.h"
#include "timewait.h"

/* One per context that can be inside tcp_time_wait() at once, and spares. */
#define TW_HANDOFF_SLOTS	4

struct tw_handoff {
	const struct sock *sk;
	u64 cookie;
	int substate;
};

/* The timewait socket tcp_timewait_state_process() works on. */
struct tw_current {
	const struct inet_timewait_sock *tw;
	int substate;
};

/**
 * struct tw_cpu - what each CPU notes
 * @handoffs:	hand-overs noted but not yet claimed by the full socket's
 *		CLOSE: one per context that can be inside tcp_time_wait()
 *		on a CPU at once (task, softirq), and spares
 * @cur:	the timewait socket a segment is being processed for
 */
struct tw_cpu {
	struct tw_handoff handoffs[TW_HANDOFF_SLOTS];
	struct tw_current cur;
};

static DEFINE_PER_CPU(struct tw_cpu, tw_cpus);

static const struct inet_timewait_sock *tw_arg(struct pt_regs *regs, int n)
{
	return (const struct inet_timewait_sock *)
		regs_get_kernel_argument(regs, n);
}

static bool tw_is_tcp(const struct inet_timewait_sock *tw)
{
	const struct sock *sk = (const struct sock *)tw;

	return sk->sk_prot &&
	       (tw->tw_family == AF_INET || tw->tw_family == AF_INET6) &&
	       !strncmp(sk->sk_prot->name, "TCP", 3);
}

/* inet_twsk_hashdance{,_schedule}(tw, sk, hashinfo[, timeo]) */
static int handoff_pre(struct kprobe *p, struct pt_regs *regs)
{
	const struct inet_timewait_sock *tw = tw_arg(regs, 0);
	const struct sock *sk = (const struct sock *)
				regs_get_kernel_argument(regs, 1);
	struct tw_handoff *slots;
	unsigned long flags;
	int i, free = 0;

	if (!tw_is_tcp(tw))
		return 0;
	local_irq_save(flags);
	slots = this_cpu_ptr(&tw_cpus)->handoffs;
	for (i = 0; i < TW_HANDOFF_SLOTS; i++)
		if (!slots[i].sk) {
			free = i;
			break;
		}
	/* All taken: the oldest note is stale by now; reuse slot 0. */
	slots[free].sk = sk;
	slots[free].cookie = atomic64_read(&tw->tw_cookie);
	slots[free].substate = tw->tw_substate;
	local_irq_restore(flags);
	return 0;
}

/* The socket hashed now under @sk's 4-tuple, with a reference, or NULL. */
static struct sock *lookup_tuple(const struct sock *sk)
{
	struct inet_hashinfo *h = sock_net(sk)->ipv4.tcp_death_row.hashinfo;
	const struct inet_sock *inet = inet_sk(sk);
	int dif = READ_ONCE(sk->sk_bound_dev_if);

#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6 &&
	    !ipv6_addr_v4mapped(&sk->sk_v6_daddr))
		return compat_inet6_lookup_established(sock_net(sk), h,
						       &sk->sk_v6_daddr,
						       inet->inet_dport,
						       &sk->sk_v6_rcv_saddr,
						       ntohs(inet->inet_sport),
						       dif, 0);
#endif
	return compat_inet_lookup_established(sock_net(sk), h,
					      inet->inet_daddr,
					      inet->inet_dport,
					      inet->inet_rcv_saddr,
					      ntohs(inet->inet_sport), dif, 0);
}

/*
 * The starting substate of the timewait socket that took over @sk, found
 * in the established hash (it has @sk's cookie), or 0.
 */
static int handoff_lookup(const struct sock *sk)
{
	struct sock *tw;
	int substate = 0;

	rcu_read_lock();
	tw = lookup_tuple(sk);
	if (tw) {
		if (tw->sk_state == TCP_TIME_WAIT &&
		    atomic64_read(&tw->sk_cookie) == atomic64_read(&sk->sk_cookie))
			substate = inet_twsk(tw)->tw_substate;
		sock_gen_put(tw);
	}
	rcu_read_unlock();
	return substate;
}

/**
 * tcpscope_timewait_handoff() - is @sk closing because it enters TIME_WAIT?
 * @sk: a full socket whose state becomes CLOSE
 * @oldstate: its state before
 *
 * Return: the timewait socket's starting substate (TCP_TIME_WAIT or
 * TCP_FIN_WAIT2) if a timewait socket took over @sk on this CPU just now,
 * else 0. The note is consumed.
 */
int tcpscope_timewait_handoff(const struct sock *sk, int oldstate)
{
	struct tw_handoff *slots;
	unsigned long flags;
	int i, substate = 0;

	/*
	 * A note for @sk, if there is one here, was written by this same
	 * context before @sk's CLOSE: when no slot of this CPU holds @sk now,
	 * nothing that interrupts us can add one for it. Most CLOSEs end here,
	 * without turning interrupts off.
	 */
	slots = this_cpu_ptr(&tw_cpus)->handoffs;
	for (i = 0; i < TW_HANDOFF_SLOTS; i++)
		if (READ_ONCE(slots[i].sk) == sk)
			break;
	if (i == TW_HANDOFF_SLOTS) {
		/* Only these states hand over (tcp_time_wait()). */
		if (oldstate != TCP_FIN_WAIT2 && oldstate != TCP_CLOSING)
			return 0;
		return handoff_lookup(sk);
	}

	local_irq_save(flags);
	slots = this_cpu_ptr(&tw_cpus)->handoffs;
	for (i = 0; i < TW_HANDOFF_SLOTS; i++)
		if (slots[i].sk == sk) {
			/* The same socket, not a new one at the same address. */
			if (slots[i].cookie == atomic64_read(&sk->sk_cookie))
				substate = slots[i].substate;
			slots[i].sk = NULL;
			break;
		}
	local_irq_restore(flags);
	return substate;
}

/* tcp_timewait_state_process(tw, skb, th, ...): runs in softirq context. */
static int segment_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct tw_current *cur = &this_cpu_ptr(&tw_cpus)->cur;
	const struct inet_timewait_sock *tw = tw_arg(regs, 0);

	cur->tw = tw;
	cur->substate = tw->tw_substate;
	return 0;
}

/* __inet_twsk_schedule(tw, timeo, rearm) */
static int schedule_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct tw_current *cur = &this_cpu_ptr(&tw_cpus)->cur;
	const struct inet_timewait_sock *tw = tw_arg(regs, 0);

	if (!regs_get_kernel_argument(regs, 2) || cur->tw != tw)
		return 0;
	if (cur->substate == TCP_FIN_WAIT2 &&
	    tw->tw_substate == TCP_TIME_WAIT && tw_is_tcp(tw))
		tcpscope_state_emit_tw(tw, TCP_FIN_WAIT2, TCP_TIME_WAIT);
	cur->substate = tw->tw_substate;
	return 0;
}

/* inet_twsk_kill(tw) */
static int kill_pre(struct kprobe *p, struct pt_regs *regs)
{
	const struct inet_timewait_sock *tw = tw_arg(regs, 0);

	if (tw_is_tcp(tw))
		tcpscope_state_emit_tw(tw, tw->tw_substate, TCP_CLOSE);
	return 0;
}

TCPSCOPE_KPROBE_IRQOFF(handoff_pre)
TCPSCOPE_KPROBE_IRQOFF(kill_pre)

#define TIMEWAIT_LOST	"TIME_WAIT shows as the tracepoint sees it"

/* 6.10 merged the hand-over and the timer start: the new name first. */
static struct tcpscope_probe tw_probes[] = {
	TCPSCOPE_KPROBE("timewait", TIMEWAIT_LOST, handoff_pre_irqoff,
			"inet_twsk_hashdance_schedule", "inet_twsk_hashdance"),
	TCPSCOPE_KPROBE("timewait", TIMEWAIT_LOST, segment_pre,
			"tcp_timewait_state_process"),
	TCPSCOPE_KPROBE("timewait", TIMEWAIT_LOST, schedule_pre,
			"__inet_twsk_schedule"),
	TCPSCOPE_KPROBE("timewait", TIMEWAIT_LOST, kill_pre_irqoff,
			"inet_twsk_kill"),
};

struct tcpscope_probe_set tcpscope_timewait_probes = {
	.probes = tw_probes,
	.n = ARRAY_SIZE(tw_probes),
};

void tcpscope_timewait_attach(void)
{
	tcpscope_probes_attach(&tcpscope_timewait_probes);
}

/* After this returns, no timewait hook runs any more. */
void tcpscope_timewait_detach(void)
{
	tcpscope_probes_detach(&tcpscope_timewait_probes);
}
