// SPDX-License-Identifier: GPL-2.0
/*
 * record: what every record says about its socket, read from the socket
 * itself: the id (the socket's cookie), the 4-tuple and the common header.
 * The ground floor: whatever builds a record calls it (state.c, listen.c,
 * packets.c), and it calls nothing of tcpscope's. What every record takes
 * is inline, in record.h, since each record pays for each call; the
 * timewait socket's tuple is here.
 */

#include <linux/string.h>
#include <net/inet_timewait_sock.h>
#include <net/sock.h>

#include "record.h"

/**
 * tcpscope_record_tw_tuple() - the 4-tuple of a timewait socket
 * @tw: the socket
 * @r: the record that gets it, as tcpscope_record_tuple()
 */
void tcpscope_record_tw_tuple(const struct inet_timewait_sock *tw,
			      struct tcpscope_state_rec *r)
{
	r->family = tw->tw_family;
	r->sport = tw->tw_sport;
	r->dport = tw->tw_dport;
#if IS_ENABLED(CONFIG_IPV6)
	if (tw->tw_family == AF_INET6) {
		memcpy(r->saddr, &tw->tw_v6_rcv_saddr, sizeof(struct in6_addr));
		memcpy(r->daddr, &tw->tw_v6_daddr, sizeof(struct in6_addr));
	}
#endif
	if (tw->tw_family == AF_INET) {
		memcpy(r->saddr, &tw->tw_rcv_saddr, sizeof(tw->tw_rcv_saddr));
		memcpy(r->daddr, &tw->tw_daddr, sizeof(tw->tw_daddr));
	}
}
