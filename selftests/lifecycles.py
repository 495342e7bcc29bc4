#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# lifecycles.py: random but valid TCP socket life cycles between two
# network namespaces, for selftests/differential.sh, and the comparison
# of what tcpscope and the kernel's own trace event saw of them.
#
#   lifecycles.py run --seed S --cycles N --cli NS --srv NS --out DIR
#                     [--slow K] [--fin-timeout SEC]
#       Two workers, pinned to CPU 0 and CPU 1, run the cycles i = w,
#       w + 2, ... (w = 0, 1). Cycle i draws every choice from its own
#       random.Random("S:i"), so a seed replays the same plan whichever
#       worker runs it and however the two interleave. Each worker writes
#       DIR/cycles-<w>.jsonl, one line per cycle: its kind, family, port
#       block, a description of what was done and the SO_COOKIE of every
#       socket it held.
#
#   lifecycles.py compare --seed S --want N --trace FILE --events FILE
#                         --cycles DIR --nsi-cli INODE --nsi-srv INODE
#                         --ss-cli FILE --ss-srv FILE --ss-t0 T --ss-t1 T
#                         --results FILE
#       Joins the trace event with its eprobe twin (skaddr), splits each
#       skaddr into socket lives, matches lives with tcpscope's sockets by
#       4-tuple and compares their transitions; checks the timewait
#       sockets `ss -tanHe` listed between CLOCK_MONOTONIC T0 and T1, and
#       the driver's cookies; prints what differs, with the seed, and
#       writes one "<check> ok|fail <summary>" line per check to the
#       results file.
#
#   lifecycles.py pending --events FILE
#       Prints how many of tcpscope's sockets have not reached CLOSE yet.
#
# Ports: cycle i owns the block PORT_BASE + BLOCK * i ... + BLOCK - 1, so
# every connection's 4-tuple is unique to its cycle and any port above
# PORT_BASE names its cycle. Within a block, the offset says what the
# network does to the connection (nft rules of differential.sh):
#   OFF_A, OFF_B   nothing;
#   OFF_SYNDROP    the server's namespace drops SYNs to that port;
#   OFF_ACKDROP    the client's namespace drops its pure ACKs to it.
# The client's ephemeral ports are below PORT_BASE (ip_local_port_range).
# The delayed link (192.0.2.0/24, 2001:db8:2::/64, netem on both ends)
# carries the simultaneous open and close cycles: SYNs and FINs sent one
# right after the other cross on it.

import argparse
import collections
import ctypes
import difflib
import errno
import json
import os
import random
import re
import select
import socket
import struct
import sys
import time

PORT_BASE = 16384
BLOCK = 8
OFF_A, OFF_B, OFF_SYNDROP, OFF_ACKDROP = 0, 1, 2, 3

CLI4, SRV4 = '198.51.100.1', '198.51.100.2'
CLI6, SRV6 = '2001:db8::1', '2001:db8::2'
DCLI4, DSRV4 = '192.0.2.1', '192.0.2.2'
DCLI6, DSRV6 = '2001:db8:2::1', '2001:db8:2::2'
CLI_ADDRS = {CLI4, CLI6, DCLI4, DCLI6, '::ffff:' + CLI4}
SRV_ADDRS = {SRV4, SRV6, DSRV4, DSRV6, '::ffff:' + SRV4, '::'}

CLONE_NEWNET = 0x40000000
SO_COOKIE = 57
TCP_FASTOPEN_CONNECT = 30
MSG_FASTOPEN = 0x20000000
TCPI_OPT_SYN_DATA = 32

STATES = ['', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1',
          'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK',
          'LISTEN', 'CLOSING', 'NEW_SYN_RECV']
ST = {name: num for num, name in enumerate(STATES) if name}

# The kinds of life cycle and how often each is drawn. Every kind is
# drawn at least once in a run of 4 * len(KINDS) cycles or more (the
# plan forces the first ones, see plan_cycle()).
KINDS = {
    'plain': 24,            # connect, accept, data, close in some order
    'tfo': 10,              # Fast Open, client and server
    'tfo-synrecv': 8,       # Fast Open child closed before the ACK
    'syn-sent': 7,          # close while the SYN goes unanswered
    'refused': 7,           # SYN to a closed port, RST
    'listener-close': 10,   # listener closed with children/requests
    'simopen': 8,           # simultaneous open (delayed link)
    'delayed-close': 12,    # simultaneous close, close in FIN_WAIT1,
                            # CLOSING, LAST_ACK (delayed link)
}
FAMILIES = ['v4', 'v6', 'v4-dual']
WARMUP = 4      # cycles 0-3: a Fast Open cookie per worker and family


# ------------------------------------------------------------ the plan

def plan_cycle(seed, i):
    """Every random choice of cycle i, from its own generator."""
    rng = random.Random('%d:%d' % (seed, i))
    if i < WARMUP:
        kind, fam = 'tfo', ('v4', 'v6')[i // 2]
    elif i < WARMUP + len(KINDS):
        kind, fam = list(KINDS)[i - WARMUP], rng.choice(FAMILIES)
    else:
        kind = rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
        fam = rng.choice(FAMILIES)
    if kind in ('simopen', 'delayed-close') and fam == 'v4-dual':
        fam = 'v4'
    return {'i': i, 'kind': kind, 'fam': fam, 'rng': rng,
            'block': PORT_BASE + BLOCK * i}


def addrs(fam, delayed=False):
    """(client family, client address, server family, server address,
    the address the client connects to)."""
    if delayed:
        return ((socket.AF_INET, DCLI4, socket.AF_INET, DSRV4, DSRV4)
                if fam == 'v4' else
                (socket.AF_INET6, DCLI6, socket.AF_INET6, DSRV6, DSRV6))
    if fam == 'v4':
        return socket.AF_INET, CLI4, socket.AF_INET, SRV4, SRV4
    if fam == 'v6':
        return socket.AF_INET6, CLI6, socket.AF_INET6, SRV6, SRV6
    # An IPv4 client of a dual-stack listener on [::].
    return socket.AF_INET, CLI4, socket.AF_INET6, '::', SRV4


# -------------------------------------------------------- socket helpers

class Cycle:
    """One life cycle in progress: its sockets, notes and timing."""

    def __init__(self, net, plan, args):
        self.net, self.plan, self.rng = net, plan, plan['rng']
        self.slow, self.fin_timeout = args.slow, args.fin_timeout
        self.socks, self.notes, self.cookies = [], [], []
        # (when, socket): a close to make after this cycle ('late').
        self.deferred = None

    def note(self, text):
        self.notes.append(text)

    def tmo(self, sec):
        return sec * self.slow

    def sock(self, side, family):
        """A TCP socket created in namespace side ('cli' or 'srv')."""
        self.net.enter(side)
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(self.tmo(10))
        self.socks.append((side, s))
        return s

    def record(self, side, s, role):
        """Keep the socket's SO_COOKIE (tcpscope's id) and local port."""
        try:
            ck = struct.unpack('Q', s.getsockopt(socket.SOL_SOCKET,
                                                 SO_COOKIE, 8))[0]
            port = s.getsockname()[1]
        except OSError:
            return
        self.cookies.append([side, role, '%x' % ck, port])

    def listener(self, fam, port, backlog=8, tfo=False):
        _, _, sfam, saddr, _ = addrs(fam, on_delayed_link(self.plan))
        s = self.sock('srv', sfam)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if sfam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY,
                         0 if fam == 'v4-dual' else 1)
        if tfo:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
        s.bind((saddr, port))
        s.listen(backlog)
        self.record('srv', s, 'listener')
        return s

    def client(self, fam):
        cfam = addrs(fam, on_delayed_link(self.plan))[0]
        return self.sock('cli', cfam)

    def dst(self, port):
        """Where the client connects to for port."""
        return (addrs(self.plan['fam'], on_delayed_link(self.plan))[4], port)


def on_delayed_link(plan):
    return plan['kind'] in ('simopen', 'delayed-close')


def tcp_state(s):
    """The socket's TCP state (tcp_info.tcpi_state), 'CLOSE' once closed."""
    try:
        info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
    except OSError:
        return 'CLOSE'
    return STATES[info[0]]


def tcp_options(s):
    try:
        return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[5]
    except OSError:
        return 0


def wait_state(s, want, timeout):
    """Poll until the socket's state is one of want; the state reached."""
    deadline = time.monotonic() + timeout
    while True:
        st = tcp_state(s)
        if st in want or time.monotonic() > deadline:
            return st
        time.sleep(0.002)


def shutdown(s, how):
    """shutdown(), which fails with ENOTCONN once the socket was reset."""
    try:
        s.shutdown(how)
    except OSError as err:
        if err.errno != errno.ENOTCONN:
            raise


def linger0(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))


def recv_n(s, n):
    """Read n bytes (fewer on EOF, reset or timeout)."""
    got = 0
    while got < n:
        try:
            chunk = s.recv(min(65536, n - got))
        except OSError:
            break
        if not chunk:
            break
        got += len(chunk)
    return got


def recv_eof(s, timeout):
    s.settimeout(timeout)
    try:
        while s.recv(65536):
            pass
        return True
    except OSError:
        return False


def wait_readable(s, nbytes, timeout):
    """Until nbytes are queued for reading (MSG_PEEK), or timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if len(s.recv(nbytes, socket.MSG_PEEK | socket.MSG_DONTWAIT)) >= nbytes:
                return True
        except BlockingIOError:
            pass
        except OSError:
            return False
        time.sleep(0.002)
    return False


def try_accept(cy, lsn, timeout):
    """accept() within timeout; None if nothing came."""
    lsn.settimeout(timeout)
    try:
        conn, _ = lsn.accept()
    except (socket.timeout, OSError):
        return None
    conn.settimeout(cy.tmo(10))
    cy.socks.append(('srv', conn))
    cy.record('srv', conn, 'child')
    return conn


def exchange(a, b, na, nb):
    """a sends na bytes to b, b sends nb to a; both read them."""
    if na:
        a.sendall(b'a' * na)
        recv_n(b, na)
    if nb:
        b.sendall(b'b' * nb)
        recv_n(a, nb)


# ---------------------------------------------------------- the closes

# How the side that closes first does it, on an established connection
# (a closes first, b is the peer), and how b follows. Each returns a note.
FIRST = ['close', 'shut-wr', 'fw2-close', 'linger0', 'unread', 'shut-rd']
SECOND = ['close', 'linger0', 'shut-wr', 'late']


def close_first(cy, a, b, how):
    """a closes first, in manner how (FIRST); returns what was done."""
    if how == 'close':
        a.close()
    elif how == 'shut-wr':
        shutdown(a, socket.SHUT_WR)     # FIN_WAIT1 -> FIN_WAIT2, fd open
    elif how == 'fw2-close':
        shutdown(a, socket.SHUT_WR)
        st = wait_state(a, ('FIN_WAIT2',), cy.tmo(2))
        a.close()                       # an orphan in FIN_WAIT2: timewait
        how += '(in %s)' % st
    elif how == 'linger0':
        linger0(a)
        a.close()                       # RST
    elif how == 'unread':
        b.sendall(b'u' * 10)
        wait_readable(a, 10, cy.tmo(2))
        a.close()                       # data unread: RST
    elif how == 'shut-rd':
        shutdown(a, socket.SHUT_RD)     # no transition of its own
        a.close()
    return how


def close_second(cy, a, b, how):
    """b follows a's close; 'late' waits past tcp_fin_timeout first."""
    st = wait_state(b, ('CLOSE_WAIT', 'CLOSE'), cy.tmo(2))
    if how == 'late':
        cy.deferred = (time.monotonic() + cy.fin_timeout + cy.tmo(1.5), b)
        return 'late close (in %s)' % st
    if how == 'linger0':
        linger0(b)
    if how == 'shut-wr':
        shutdown(b, socket.SHUT_WR)
        recv_eof(b, cy.tmo(2))
    b.close()
    # a, if still open (shut-wr), reads the FIN and closes in TIME_WAIT.
    if a.fileno() >= 0:
        recv_eof(a, cy.tmo(2))
        a.close()
    return '%s (in %s)' % (how, st)


def close_pair(cy, a, b, names):
    """Close an established pair in a random order and manner."""
    rng = cy.rng
    if rng.random() < 0.5:
        a, b, names = b, a, names[::-1]
    first, second = rng.choice(FIRST), rng.choice(SECOND)
    if second == 'late' and first != 'fw2-close':
        second = 'close'
    done = close_first(cy, a, b, first)
    cy.note('%s closes first: %s' % (names[0], done))
    cy.note('%s then: %s' % (names[1], close_second(cy, a, b, second)))


# ------------------------------------------------------------ the kinds

def cyc_plain(cy):
    rng, fam, port = cy.rng, cy.plan['fam'], cy.plan['block'] + OFF_A
    lsn = cy.listener(fam, port)
    c = cy.client(fam)
    c.connect(cy.dst(port))
    cy.record('cli', c, 'client')
    s = try_accept(cy, lsn, cy.tmo(10))
    if s is None:
        cy.note('accept timed out')
        return
    na, nb = rng.choice([0, 1, 100, 3000]), rng.choice([0, 1, 100, 3000])
    exchange(c, s, na, nb)
    cy.note('data %d/%d bytes' % (na, nb))
    if rng.random() < 0.3:
        lsn.close()
        cy.note('listener closed before the connection')
    close_pair(cy, c, s, ('client', 'server'))


def send_first(cy, c, data, flags=0, dst=None):
    """The first write of a Fast Open client. Without the server's cookie
    the SYN goes out alone and the call fails with EINPROGRESS (the
    socket is non-blocking: it has a timeout): then wait until connected
    and send the data after the handshake."""
    try:
        sent = c.sendto(data, flags, dst) if dst else c.send(data)
    except BlockingIOError:
        sent = 0
        select.select([], [c], [], cy.tmo(10))
    c.sendall(data[sent:])


def tfo_connect(cy, c, dst, data):
    """A Fast Open connect: sendto(MSG_FASTOPEN) or TCP_FASTOPEN_CONNECT.
    Data rides on the SYN if the client has the server's cookie."""
    if cy.rng.random() < 0.5:
        c.setsockopt(socket.IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1)
        c.connect(dst)                  # no SYN yet: the write sends it
        send_first(cy, c, data)
        way = 'TCP_FASTOPEN_CONNECT'
    else:
        send_first(cy, c, data, MSG_FASTOPEN, dst)
        way = 'MSG_FASTOPEN'
    cy.record('cli', c, 'client')
    return way


def cyc_tfo(cy):
    rng, fam, port = cy.rng, cy.plan['fam'], cy.plan['block'] + OFF_A
    lsn = cy.listener(fam, port, tfo=True)
    c = cy.client(fam)
    way = tfo_connect(cy, c, cy.dst(port), b'f' * 100)
    s = try_accept(cy, lsn, cy.tmo(10))
    if s is None:
        cy.note('%s: accept timed out' % way)
        return
    cy.note('%s, child accepted in %s' % (way, tcp_state(s)))
    recv_n(s, 100)
    syn_data = bool(tcp_options(c) & TCPI_OPT_SYN_DATA)
    cy.note('data on the SYN' if syn_data else 'cookie request')
    nb = rng.choice([0, 100])
    exchange(c, s, 0, nb)
    close_pair(cy, c, s, ('client', 'server'))


def cyc_tfo_synrecv(cy):
    """The client's pure ACKs are dropped (OFF_ACKDROP): the Fast Open
    child stays in SYN_RECV while the server accepts and closes it."""
    rng, fam = cy.rng, cy.plan['fam']
    port = cy.plan['block'] + OFF_ACKDROP
    lsn = cy.listener(fam, port, tfo=True)
    c = cy.client(fam)
    way = tfo_connect(cy, c, cy.dst(port), b'f' * 100)
    how = rng.choice(['linger0', 'unread', 'read-close', 'unaccepted'])
    if how == 'unaccepted':
        time.sleep(cy.tmo(0.05))
        lsn.close()
        cy.note('%s; listener closed with the child unaccepted' % way)
    else:
        s = try_accept(cy, lsn, cy.tmo(3))
        if s is None:
            cy.note('%s; no child (no cookie?)' % way)
        else:
            st = tcp_state(s)
            if how == 'linger0':
                linger0(s)
            elif how == 'read-close':
                recv_n(s, 100)
            s.close()
            cy.note('%s; child accepted in %s, closed: %s' % (way, st, how))
    wait_state(c, ('CLOSE', 'CLOSE_WAIT'), cy.tmo(1))
    if rng.random() < 0.5:
        linger0(c)
    cy.note('client closes in %s' % tcp_state(c))
    c.close()


def cyc_syn_sent(cy):
    rng, fam = cy.rng, cy.plan['fam']
    port = cy.plan['block'] + OFF_SYNDROP
    if rng.random() < 0.5:
        cy.listener(fam, port)          # it never sees the SYN
    c = cy.client(fam)
    c.setblocking(False)
    c.connect_ex(cy.dst(port))
    cy.record('cli', c, 'client')
    time.sleep(rng.choice([0, 0.05, 0.3]))
    st = tcp_state(c)
    if rng.random() < 0.5:
        linger0(c)
    c.close()
    cy.note('client closed in %s' % st)


def cyc_refused(cy):
    rng, fam, port = cy.rng, cy.plan['fam'], cy.plan['block'] + OFF_A
    if rng.random() < 0.3:
        cy.listener(fam, port).close()
        cy.note('listener opened and closed first')
    c = cy.client(fam)
    try:
        c.connect(cy.dst(port))
        cy.note('connect succeeded?')
    except OSError as err:
        cy.note('connect: %s' % errno.errorcode.get(err.errno, err.errno))
    cy.record('cli', c, 'client')
    c.close()


def cyc_listener_close(cy):
    """Children in the accept queue (OFF_A) or requests in the SYN queue
    (OFF_ACKDROP: the third ACK never arrives) when the listener closes."""
    rng, fam = cy.rng, cy.plan['fam']
    synq = rng.random() < 0.4
    port = cy.plan['block'] + (OFF_ACKDROP if synq else OFF_A)
    backlog = rng.choice([1, 2, 4])
    lsn = cy.listener(fam, port, backlog=backlog, tfo=rng.random() < 0.3)
    clients = []
    for _ in range(rng.randint(1, 3)):
        c = cy.client(fam)
        c.setblocking(False)
        c.connect_ex(cy.dst(port))
        clients.append(c)
    for c in clients:
        wait_state(c, ('ESTABLISHED', 'CLOSE'), cy.tmo(0.5))
        cy.record('cli', c, 'client')
    accepted = 0
    if not synq and rng.random() < 0.5:
        accepted = 1 if try_accept(cy, lsn, cy.tmo(1)) else 0
    time.sleep(cy.tmo(0.02))
    lsn.close()
    cy.note('%s, backlog %d, %d clients, %d accepted, listener closed' %
            ('SYN queue' if synq else 'accept queue', backlog,
             len(clients), accepted))
    for c in clients:
        wait_state(c, ('CLOSE',), cy.tmo(0.05))
        if rng.random() < 0.5:
            linger0(c)
        c.close()


def cyc_simopen(cy):
    """Both ends bind and connect to each other at once: the SYNs cross
    on the delayed link, both go SYN_SENT -> SYN_RECV -> ESTABLISHED."""
    rng, fam, block = cy.rng, cy.plan['fam'], cy.plan['block']
    cfam, caddr, sfam, saddr, _ = addrs(fam, True)
    a, b = cy.sock('cli', cfam), cy.sock('srv', sfam)
    a.bind((caddr, block + OFF_A))
    b.bind((saddr, block + OFF_B))
    for s in (a, b):
        s.setblocking(False)
    a.connect_ex((saddr, block + OFF_B))
    b.connect_ex((caddr, block + OFF_A))
    cy.record('cli', a, 'simopen')
    cy.record('srv', b, 'simopen')
    if rng.random() < 0.25:
        st = wait_state(a, ('SYN_RECV', 'ESTABLISHED', 'CLOSE'), cy.tmo(2))
        linger0(a)
        a.close()
        cy.note('a aborts in %s' % st)
        wait_state(b, ('CLOSE', 'ESTABLISHED'), cy.tmo(2))
        b.close()
        return
    sa = wait_state(a, ('ESTABLISHED', 'CLOSE'), cy.tmo(3))
    sb = wait_state(b, ('ESTABLISHED', 'CLOSE'), cy.tmo(3))
    cy.note('open: %s/%s' % (sa, sb))
    for s in (a, b):
        s.settimeout(cy.tmo(10))
    if sa == sb == 'ESTABLISHED':
        exchange(a, b, 1, 1)
        delayed_close(cy, a, b)
    else:
        a.close()
        b.close()


def both_shut_wr(cy, a, b):
    """Both FINs leave before either arrives: FIN_WAIT1 -> CLOSING."""
    shutdown(a, socket.SHUT_WR)
    shutdown(b, socket.SHUT_WR)
    return wait_state(a, ('CLOSING', 'CLOSE'), cy.tmo(2))


def dc_simultaneous(cy, a, b):
    st = both_shut_wr(cy, a, b)
    recv_eof(a, cy.tmo(3))
    recv_eof(b, cy.tmo(3))
    a.close()
    b.close()
    return st


def dc_simultaneous_close(cy, a, b):
    a.close()                           # orphans: both FINs cross
    b.close()
    return '-'


def dc_closing_close(cy, a, b):
    st = both_shut_wr(cy, a, b)
    a.close()                           # CLOSING -> CLOSING
    recv_eof(b, cy.tmo(3))
    b.close()
    return st


def dc_fw1(cy, a, b, abort):
    shutdown(a, socket.SHUT_WR)
    st = tcp_state(a)                   # the ACK is still on its way
    if abort:
        linger0(a)
    a.close()                           # FIN_WAIT1 -> FIN_WAIT1, or RST
    wait_state(b, ('CLOSE_WAIT', 'CLOSE'), cy.tmo(2))
    b.close()
    return st


def dc_lastack(cy, a, b, abort):
    a.close()
    wait_state(b, ('CLOSE_WAIT', 'CLOSE'), cy.tmo(2))
    shutdown(b, socket.SHUT_WR)
    st = tcp_state(b)
    if abort:
        linger0(b)
    b.close()                           # LAST_ACK -> LAST_ACK, or RST
    return st


# Closes that need segments in flight (the delayed link).
DELAYED = {
    'simultaneous': dc_simultaneous,
    'simultaneous-close': dc_simultaneous_close,
    'closing-close': dc_closing_close,
    'fw1-close': lambda cy, a, b: dc_fw1(cy, a, b, False),
    'fw1-abort': lambda cy, a, b: dc_fw1(cy, a, b, True),
    'lastack-close': lambda cy, a, b: dc_lastack(cy, a, b, False),
    'lastack-abort': lambda cy, a, b: dc_lastack(cy, a, b, True),
}


def delayed_close(cy, a, b):
    how = cy.rng.choice(list(DELAYED))
    st = DELAYED[how](cy, a, b)
    cy.note('close: %s (state then %s)' % (how, st))


def cyc_delayed_close(cy):
    fam, port = cy.plan['fam'], cy.plan['block'] + OFF_A
    lsn = cy.listener(fam, port)
    c = cy.client(fam)
    c.connect(cy.dst(port))
    cy.record('cli', c, 'client')
    s = try_accept(cy, lsn, cy.tmo(10))
    lsn.close()
    if s is None:
        cy.note('accept timed out')
        return
    exchange(c, s, 10, 10)
    if cy.rng.random() < 0.5:
        c, s = s, c
        cy.note('server is a')
    delayed_close(cy, c, s)


CYCLES = {
    'plain': cyc_plain, 'tfo': cyc_tfo, 'tfo-synrecv': cyc_tfo_synrecv,
    'syn-sent': cyc_syn_sent, 'refused': cyc_refused,
    'listener-close': cyc_listener_close, 'simopen': cyc_simopen,
    'delayed-close': cyc_delayed_close,
}


# ------------------------------------------------------------ the workers

class Net:
    """Switches this process between the two namespaces: a socket lives
    in the namespace it was created in."""

    def __init__(self, cli, srv):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fds = {side: os.open('/run/netns/' + name, os.O_RDONLY)
                    for side, name in (('cli', cli), ('srv', srv))}
        self.cur = None

    def enter(self, side):
        if side != self.cur:
            if self.libc.setns(self.fds[side], CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                raise OSError(err, 'setns: ' + os.strerror(err))
            self.cur = side


def run_cycle(net, plan, args, deferred):
    cy = Cycle(net, plan, args)
    t0, err = time.monotonic(), None
    try:
        CYCLES[plan['kind']](cy)
    except OSError as e:
        err = '%s: %s' % (type(e).__name__, e)
    finally:
        keep = cy.deferred[1] if cy.deferred else None
        for _, s in cy.socks:
            if s is not keep:
                s.close()
    if cy.deferred:
        deferred.append(cy.deferred)
    return {'i': plan['i'], 'kind': plan['kind'], 'fam': plan['fam'],
            'block': plan['block'], 'desc': '; '.join(cy.notes),
            'err': err, 'cookies': cy.cookies,
            'secs': round(time.monotonic() - t0, 3)}


def run_deferred(deferred, wait):
    """Close the sockets whose time has come (all of them if wait)."""
    for item in sorted(deferred, key=lambda d: d[0]):
        due, s = item
        if due > time.monotonic():
            if not wait:
                continue
            time.sleep(due - time.monotonic())
        s.close()
        deferred.remove(item)


def worker(w, args):
    os.sched_setaffinity(0, {w % os.cpu_count()})
    net = Net(args.cli, args.srv)
    deferred = []
    path = os.path.join(args.out, 'cycles-%d.jsonl' % w)
    with open(path, 'w') as out:
        for i in range(w, args.cycles, 2):
            rec = run_cycle(net, plan_cycle(args.seed, i), args, deferred)
            out.write(json.dumps(rec) + '\n')
            out.flush()
            run_deferred(deferred, False)
        run_deferred(deferred, True)


def cmd_run(args):
    pids = []
    for w in range(2):
        pid = os.fork()
        if pid == 0:
            try:
                worker(w, args)
                os._exit(0)
            except Exception as err:    # pylint: disable=broad-except
                print('worker %d: %s: %s' % (w, type(err).__name__, err),
                      file=sys.stderr, flush=True)
                os._exit(1)
        pids.append(pid)
    bad = 0
    for pid in pids:
        bad |= os.waitpid(pid, 0)[1]
    return 1 if bad else 0


# --------------------------------------------------------- the compare

def strip(addr):
    return addr.strip('[]')


def parse_events(path):
    """tcpscope's sockets: (ns, id) -> {'key', 'seq', 'ns'}; LOST count."""
    socks, lost = collections.OrderedDict(), 0
    with open(path) as f:
        for line in f:
            fld = line.split()
            if fld and fld[0] == 'LOST':
                lost += int(fld[1])
                continue
            if len(fld) != 11 or fld[4] != 'state':
                continue
            ns, sid = fld[2][3:], fld[3][3:]
            la, lp = fld[5].rsplit(':', 1)
            ra, rp = fld[7].rsplit(':', 1)
            key = (strip(la), int(lp), strip(ra), int(rp))
            sk = socks.setdefault((ns, sid), {'key': key, 'seq': [],
                                              'ts': [], 'ns': ns, 'id': sid,
                                              'keys': set()})
            sk['keys'].add(key)
            sk['seq'].append((fld[8], fld[10]))
            sk['ts'].append(float(fld[0]))
    return socks, lost


TRACE_RE = re.compile(r'\[(\d+)\] .*? [\d.]+: (inet_sock_set_state|skaddr)(?:_set)?: (.*)$')


def trace_lines(path):
    """(cpu, event name, fields) of the two events, in the file's order
    (the trace file merges the CPUs by timestamp)."""
    with open(path) as f:
        for line in f:
            m = TRACE_RE.search(line)
            if line.startswith('#') or not m:
                continue
            fields = dict(kv.split('=', 1) for kv in m.group(3).split()
                          if '=' in kv)
            yield int(m.group(1)), m.group(2), fields


def event_key(ev, f):
    """What the event and its twin both carry. A kprobe twin (kernels
    without eprobes, differential.sh) carries the new state only."""
    if ev == 'inet_sock_set_state':
        fam = {'AF_INET': 2, 'AF_INET6': 10}.get(f.get('family'), -1)
        return (fam, int(f['sport']), int(f['dport']),
                ST[f['oldstate'][4:]], ST[f['newstate'][4:]])
    if 'fam' not in f:
        return (int(f['n']),)
    return (int(f['fam']), int(f['sp']), int(f['dp']), int(f['o']),
            int(f['n']))


def keys_match(a, b):
    """Two keys match on what both carry (the states are last)."""
    n = min(len(a), len(b))
    return a[len(a) - n:] == b[len(b) - n:]


def join_trace(path):
    """Each inet_sock_set_state event with the skaddr its eprobe twin
    (the same tracepoint hit, recorded from the event's trigger on the
    same CPU while the event's own record is reserved) read. Pairs are
    made per CPU, with the latest unpaired twin that carries the same
    family, ports and states, so that an interrupt's events nested
    between the two cannot mispair them. The ring buffer can refuse the
    nested twin (its recursion guard, when a softirq's event interrupts
    a task's pair): such an event comes back unpaired, with its order.
    Returns [(order, skaddr, fields)] and the unpaired [(order, fields)]."""
    pend = collections.defaultdict(list)    # cpu -> [(name, key, f, n)]
    joined, n = [], 0
    for cpu, ev, f in trace_lines(path):
        if ev == 'skaddr' and f.get('pr', '6') != '6':
            continue
        if ev != 'skaddr' and f.get('protocol') != 'IPPROTO_TCP':
            continue
        key, n = event_key(ev, f), n + 1
        other = [p for p in pend[cpu]
                 if p[0] != ev and keys_match(p[1], key)]
        if not other:
            pend[cpu].append((ev, key, f, n))
            continue
        mate = other[-1]
        pend[cpu].remove(mate)
        if ev == 'skaddr':
            joined.append((mate[3], f['sk'], mate[2]))
        else:
            joined.append((n, mate[2]['sk'], f))
    unpaired = [(p[3], p[2]) for ps in pend.values() for p in ps
                if p[0] != 'skaddr']
    twins = [p for ps in pend.values() for p in ps if p[0] == 'skaddr']
    return sorted(joined, key=lambda j: j[0]), sorted(unpaired, key=lambda u: u[0]), twins


def trace_tuple(f):
    if f['family'] == 'AF_INET6':
        return f['saddrv6'], int(f['sport']), f['daddrv6'], int(f['dport'])
    return f['saddr'], int(f['sport']), f['daddr'], int(f['dport'])


def starts_life(old, new):
    """Only a socket's first transition leaves CLOSE (the driver never
    connects or listens again with a socket that reached CLOSE), and only
    a child's first one is LISTEN -> SYN_RECV."""
    return old == 'CLOSE' or (old, new) == ('LISTEN', 'SYN_RECV')


def life_key(f):
    """The event's 4-tuple if it has both ports; a listener's own
    events (remote end any:0) too."""
    la, lp, ra, rp = trace_tuple(f)
    old, new = f['oldstate'][4:], f['newstate'][4:]
    if lp and rp or (new == 'LISTEN' or (old, new) == ('LISTEN', 'CLOSE')):
        return la, lp, ra, rp
    return None


def kernel_lives(events):
    """Split each skaddr's events into socket lives: the kernel reuses a
    freed socket's memory at once, so a life starts at each event that
    can only be a first one (starts_life()), and, in case a twin is
    missing, after X -> CLOSE and where the 4-tuple changes. A life's 4-tuple is that of
    its events with both ports (the tracepoint shows sport 0 at
    CLOSE -> SYN_SENT and the remote end 0 at a child's
    LISTEN -> SYN_RECV); a listener's is local:port > any:0."""
    lives, cur = [], {}
    for order, sk, f in events:
        old, new = f['oldstate'][4:], f['newstate'][4:]
        life = cur.get(sk)
        if life is None or starts_life(old, new) or \
                life['seq'][-1][1] == 'CLOSE' or \
                not all(agree(t, trace_tuple(f)) for t in life['tuples']):
            life = {'sk': sk, 'seq': [], 'order': [], 'keys': set(),
                    'tuples': set()}
            cur[sk] = life
            lives.append(life)
        add_event(life, order, f)
    for life in lives:
        set_key(life)
    return lives


def add_event(life, order, f, pos=None):
    pos = len(life['seq']) if pos is None else pos
    life['seq'].insert(pos, (f['oldstate'][4:], f['newstate'][4:]))
    life['order'].insert(pos, order)
    life['tuples'].add(trace_tuple(f))
    if life_key(f):
        life['keys'].add(life_key(f))


def set_key(life):
    life['key'] = min(life['keys']) if len(life['keys']) == 1 else None


def agree(a, b):
    """Two 4-tuples agree but where one has the tracepoint's zero (an
    address of the same family, or a port)."""
    def same(x, y):
        if isinstance(x, int):
            return x == y or 0 in (x, y)
        return x == y or (x in ('0.0.0.0', '::') or y in ('0.0.0.0', '::')) \
            and (':' in x) == (':' in y)
    return all(same(x, y) for x, y in zip(a, b))


def fits(life, order, f):
    """Where the event fits in the life by its order, if its 4-tuple
    agrees with the life's events' and its states join the neighbours';
    only a life that lacks its first transition (starts_life()) can take
    one before it."""
    ev = trace_tuple(f)
    if not all(agree(t, ev) for t in life['tuples']):
        return None
    old, new = f['oldstate'][4:], f['newstate'][4:]
    pos = sum(1 for o in life['order'] if o < order)
    before = life['seq'][pos - 1][1] if pos else None
    after = life['seq'][pos][0] if pos < len(life['seq']) else None
    if after not in (None, new):
        return None
    if pos == 0:
        return None if starts_life(*life['seq'][0]) else 0
    return pos if before == old and not starts_life(old, new) else None


def place_unpaired(lives, unpaired):
    """Put each event whose twin the ring buffer refused into the one
    life it fits (fits()), again while that places more (two missing
    twins in a row); the ones that fit no life or several are returned."""
    left = list(unpaired)
    while True:
        before = len(left)
        for order, f in list(left):
            spots = [(life, pos) for life in lives
                     for pos in [fits(life, order, f)] if pos is not None]
            if len(spots) == 1:
                add_event(spots[0][0], order, f, spots[0][1])
                set_key(spots[0][0])
                left.remove((order, f))
        if len(left) in (0, before):
            return left


def normalise(seq):
    """tcpscope's transitions as the tracepoint shows them, with exactly
    the documented differences undone (Documentation/tcpscope.rst,
    TIME_WAIT): the timewait socket's end (TIME_WAIT -> CLOSE, last) is
    dropped, and X -> TIME_WAIT at the hand-over (X FIN_WAIT2 or CLOSING)
    is the tracepoint's X -> CLOSE. An orphan handed over in FIN_WAIT2
    shows no transition then, and FIN_WAIT2 -> TIME_WAIT or
    FIN_WAIT2 -> CLOSE when its timewait socket moves on or ends: both
    normalise to the tracepoint's FIN_WAIT2 -> CLOSE at the hand-over."""
    out = list(seq)
    if len(out) > 1 and out[-1] == ('TIME_WAIT', 'CLOSE') and \
            out[-2][1] == 'TIME_WAIT':
        out.pop()
    return [(o, 'CLOSE') if n == 'TIME_WAIT' and o in ('FIN_WAIT2', 'CLOSING')
            else (o, n) for o, n in out]


def seq_text(seq):
    return ' '.join('%s>%s' % t for t in seq) or '(none)'


def ours(key):
    return key is not None and (key[1] >= PORT_BASE or key[3] >= PORT_BASE)


def cycle_of(key):
    port = key[1] if key[1] >= PORT_BASE else key[3]
    return (port - PORT_BASE) // BLOCK


class Report:
    def __init__(self, seed, cycles):
        self.seed, self.cycles, self.checks = seed, cycles, []
        self.shown = 0

    def check(self, name, ok, summary):
        self.checks.append('%s %s %s' % (name, 'ok' if ok else 'fail',
                                          summary))

    def say(self, text):
        print(text, flush=True)

    def untupled(self, kern, scope):
        self.say('MISMATCH seed %d: sockets without one 4-tuple:' % self.seed)
        for l in kern:
            self.say('  kernel sk=%s %s: %s' % (l['sk'], sorted(l['keys']),
                                               seq_text(l['seq'])))
        for s in scope:
            self.say('  tcpscope id=%s %s: %s' % (s['id'], sorted(s['keys']),
                                                 seq_text(s['seq'])))

    def mismatch(self, key, kern, scope):
        """Both sides' sequences for one 4-tuple, and their diff."""
        self.shown += 1
        if self.shown > 20:
            return
        i = cycle_of(key) if ours(key) else -1
        cyc = self.cycles.get(i, {})
        self.say('MISMATCH seed %d cycle %d (%s %s, worker %d): %s' %
                 (self.seed, i, cyc.get('kind'), cyc.get('fam'), i % 2,
                  cyc.get('desc')))
        self.say('  socket %s:%d > %s:%d' % key)
        for life in kern:
            self.say('  kernel   sk=%s: %s' % (life['sk'], seq_text(life['seq'])))
        for sk in scope:
            self.say('  tcpscope ns=%s id=%s: %s' % (sk['ns'], sk['id'],
                                                    seq_text(sk['seq'])))
        a = sorted(seq_text(l['seq']) for l in kern)
        b = sorted(seq_text(normalise(s['seq'])) for s in scope)
        for line in difflib.unified_diff(a, b, 'kernel', 'tcpscope (normalised)',
                                         lineterm='', n=0):
            self.say('  ' + line)


def load_cycles(path):
    cycles = {}
    for name in sorted(os.listdir(path)):
        if name.startswith('cycles-'):
            with open(os.path.join(path, name)) as f:
                for line in f:
                    rec = json.loads(line)
                    cycles[rec['i']] = rec
    return cycles


def compare_sockets(rep, lives, socks):
    """Per 4-tuple, the kernel's lives and tcpscope's sockets must have
    the same transitions (as multisets of sequences: two children of one
    connection, the racing ACKs' case, have the same tuple)."""
    kern, scope = collections.defaultdict(list), collections.defaultdict(list)
    for life in lives:
        kern[life['key']].append(life)
    for sk in socks.values():
        scope[sk['key'] if len(sk['keys']) == 1 else None].append(sk)
    missing = extra = 0
    for key in sorted(set(kern) | set(scope), key=str):
        if key is None:
            missing, extra = missing + len(kern[None]), extra + len(scope[None])
            rep.untupled(kern[None], scope[None])
            continue
        a = collections.Counter(tuple(l['seq']) for l in kern[key])
        b = collections.Counter(tuple(normalise(s['seq'])) for s in scope[key])
        if a != b:
            missing += sum((a - b).values())
            extra += sum((b - a).values())
            rep.mismatch(key, kern[key], scope[key])
    return missing, extra, len(kern), len(scope)


def check_ns(sk, nsi):
    """The local address is one of that namespace's."""
    local = sk['key'][0]
    return (sk['ns'] == nsi['cli']) == (local in CLI_ADDRS) and \
        (sk['ns'] == nsi['srv']) == (local in SRV_ADDRS)


def compare_cookies(rep, socks, cycles, nsi):
    """Each socket the driver held: its SO_COOKIE is a tcpscope id in its
    namespace, with its local port."""
    by_id = {(s['ns'], s['id']): s for s in socks.values()}
    bad = total = 0
    for cyc in cycles.values():
        for side, role, ck, port in cyc['cookies']:
            total += 1
            sk = by_id.get((nsi[side], ck))
            if sk is None or sk['key'][1] != port:
                bad += 1
                if bad <= 5:
                    rep.say('seed %d cycle %d: %s %s cookie %s port %d: tcpscope %s' %
                            (rep.seed, cyc['i'], side, role, ck, port,
                             sk and seq_text(sk['seq'])))
    wrong_ns = [s for s in socks.values() if not check_ns(s, nsi)]
    for s in wrong_ns[:5]:
        rep.say('seed %d: id=%s %s in ns=%s' % (rep.seed, s['id'], s['key'], s['ns']))
    return bad, total, len(wrong_ns)


def coverage(rep, cycles, lives):
    kinds = collections.Counter(c['kind'] for c in cycles.values())
    fams = collections.Counter(c['fam'] for c in cycles.values())
    rep.say('cycles per kind: ' + ', '.join('%s %d' % kv for kv in sorted(kinds.items())))
    rep.say('cycles per family: ' + ', '.join('%s %d' % kv for kv in sorted(fams.items())))
    trans = collections.Counter(t for l in lives for t in l['seq'])
    rep.say('kernel transitions seen: ' + ', '.join(
        '%s>%s %d' % (o, n, c) for (o, n), c in sorted(trans.items())))
    closes = sorted({o for o, n in trans if n == 'CLOSE'})
    rep.say('kernel X -> CLOSE for X in: ' + ' '.join(closes))
    errs = [c for c in cycles.values() if c['err']]
    for c in errs[:5]:
        rep.say('seed %d cycle %d (%s %s): driver error %s; %s' %
                (rep.seed, c['i'], c['kind'], c['fam'], c['err'], c['desc']))
    missing = [k for k in KINDS if not kinds[k]]
    return missing, errs


def state_at(sk, t):
    """tcpscope's state of the socket at CLOCK_MONOTONIC time t."""
    state = None
    for (old, new), ts in zip(sk['seq'], sk['ts']):
        if ts > t:
            return state or old
        state = new
    return state


def read_ss(path):
    """`ss -tanHe` of one namespace: {cookie: state}."""
    found = {}
    with open(path) as f:
        for line in f:
            m = re.search(r' sk:([0-9a-f]+)', line)
            if m:
                found[m.group(1)] = line.split()[0]
    return found


SS_STATE = {'TIME_WAIT': 'TIME-WAIT', 'FIN_WAIT2': 'FIN-WAIT-2'}


def compare_timewait(rep, socks, snap, nsi):
    """The timewait sockets `ss` listed between t0 and t1, before the
    namespaces went, against tcpscope's: a socket tcpscope had in
    TIME_WAIT (or in FIN_WAIT2, a timewait socket's substate) at both
    times is in the list with that state, and each socket in the list
    had its state in tcpscope at t0 or t1. The trace event cannot tell
    a timewait hand-over from a close; `ss` can."""
    t0, t1 = snap['t0'], snap['t1']
    listed = {(nsi[side], ck): st for side in ('cli', 'srv')
              for ck, st in read_ss(snap[side]).items()}
    total, bad = len(listed), 0
    for sk in socks.values():
        a, b = state_at(sk, t0), state_at(sk, t1)
        got = listed.pop((sk['ns'], sk['id']), None)
        if got is None:
            ok = not (a == b and a in SS_STATE)
        else:
            ok = got in (SS_STATE.get(a), SS_STATE.get(b))
        if not ok:
            bad += 1
            if bad <= 5:
                rep.say('seed %d cycle %d: id=%s is %s..%s in tcpscope, %s in ss: %s'
                        % (rep.seed, cycle_of(sk['key']), sk['id'], a, b,
                           got or 'not', seq_text(sk['seq'])))
    for (ns, ck), st in list(listed.items())[:5]:
        rep.say('seed %d: ss lists %s sk:%s in ns=%s, tcpscope has no such id'
                % (rep.seed, st, ck, ns))
    return bad + len(listed), total


def unfinished(socks):
    return [s for s in socks.values() if s['seq'][-1][1] != 'CLOSE']


def check_trace(rep, args):
    """The kernel's lives, from the trace and its eprobe twins."""
    events, unpaired, twins = join_trace(args.trace)
    lives = kernel_lives(events)
    left = place_unpaired(lives, unpaired)
    for order, f in unpaired[:5]:
        rep.say('seed %d: trace event %d without its eprobe twin: %s' %
                (rep.seed, order, ' '.join('%s=%s' % kv for kv in f.items())))
    rep.check('trace', not left and not twins and bool(events),
              '%d kernel events joined with their skaddr; %d without it, '
              '%d of them placed by 4-tuple and states; %d twins alone' %
              (len(events), len(unpaired), len(unpaired) - len(left),
               len(twins)))
    return [l for l in lives if ours(l['key']) or l['key'] is None]


def check_sockets(rep, args, lives, socks, nsi):
    """Per socket, then each socket's end, then the timewait sockets."""
    missing, extra, nkeys, _ = compare_sockets(rep, lives, socks)
    rep.check('kernel', missing == 0,
              '%d kernel socket lives (%d 4-tuples), %d without an equal '
              'tcpscope socket' % (len(lives), nkeys, missing))
    rep.check('extra', extra == 0,
              '%d tcpscope sockets, %d without an equal kernel life' %
              (len(socks), extra))
    left = unfinished(socks)
    for s in left[:5]:
        rep.say('seed %d cycle %d: id=%s never reached CLOSE: %s' %
                (rep.seed, cycle_of(s['key']), s['id'], seq_text(s['seq'])))
    rep.check('ended', not left, '%d tcpscope sockets did not reach CLOSE '
              '(timewait ends included)' % len(left))
    snap = {'t0': args.ss_t0, 't1': args.ss_t1, 'cli': args.ss_cli,
            'srv': args.ss_srv}
    bad_tw, n_tw = compare_timewait(rep, socks, snap, nsi)
    rep.check('timewait', bad_tw == 0, "%d timewait sockets, %d differ "
              "between ss -e and tcpscope's states" % (n_tw, bad_tw))


def check_driver(rep, args, cycles, lives, socks, nsi):
    """The driver's cookies, and what it ran."""
    bad, total, wrong_ns = compare_cookies(rep, socks, cycles, nsi)
    rep.check('cookies', bad == 0 and wrong_ns == 0 and total > 0,
              "%d of the driver's %d SO_COOKIEs are no tcpscope id with that "
              "port; %d sockets in the wrong ns" % (bad, total, wrong_ns))
    with open(args.events) as f:
        cpus = collections.Counter(l.split()[1] for l in f if ' state ' in l)
    rep.say('tcpscope state records per CPU: ' +
            ', '.join('%s %d' % kv for kv in sorted(cpus.items())))
    kinds_missing, errs = coverage(rep, cycles, lives)
    rep.check('kinds', not kinds_missing and len(cycles) == args.want,
              '%d of %d cycles ran, %d kinds, missing: %s; %d driver errors' %
              (len(cycles), args.want, len(KINDS),
               ' '.join(kinds_missing) or 'none', len(errs)))


def cmd_compare(args):
    cycles = load_cycles(args.cycles)
    rep = Report(args.seed, cycles)
    nsi = {'cli': args.nsi_cli, 'srv': args.nsi_srv}
    lives = check_trace(rep, args)
    socks, lost = parse_events(args.events)
    socks = collections.OrderedDict((k, s) for k, s in socks.items()
                                    if ours(s['key']))
    rep.check('lost', lost == 0, 'LOST lines add up to %d' % lost)
    check_sockets(rep, args, lives, socks, nsi)
    check_driver(rep, args, cycles, lives, socks, nsi)
    with open(args.results, 'w') as out:
        out.write('\n'.join(rep.checks) + '\n')
    return 0


def cmd_pending(args):
    socks, _ = parse_events(args.events)
    print(len([s for s in unfinished(socks) if ours(s['key'])]))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest='cmd', required=True)
    run = sub.add_parser('run')
    run.add_argument('--seed', type=int, required=True)
    run.add_argument('--cycles', type=int, required=True)
    run.add_argument('--cli', required=True)
    run.add_argument('--srv', required=True)
    run.add_argument('--out', required=True)
    run.add_argument('--slow', type=float, default=1)
    run.add_argument('--fin-timeout', type=float, default=3)
    cmp_ = sub.add_parser('compare')
    cmp_.add_argument('--seed', type=int, required=True)
    cmp_.add_argument('--want', type=int, required=True)
    cmp_.add_argument('--trace', required=True)
    cmp_.add_argument('--events', required=True)
    cmp_.add_argument('--cycles', required=True)
    cmp_.add_argument('--nsi-cli', required=True)
    cmp_.add_argument('--nsi-srv', required=True)
    cmp_.add_argument('--results', required=True)
    cmp_.add_argument('--ss-cli', required=True)
    cmp_.add_argument('--ss-srv', required=True)
    cmp_.add_argument('--ss-t0', type=float, required=True)
    cmp_.add_argument('--ss-t1', type=float, required=True)
    pend = sub.add_parser('pending')
    pend.add_argument('--events', required=True)
    args = ap.parse_args()
    return {'run': cmd_run, 'compare': cmd_compare,
            'pending': cmd_pending}[args.cmd](args)


if __name__ == '__main__':
    sys.exit(main())
