#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# scenario.py server|client SCENARIO ADDR PORT [SYNC]: one side of one of
# the reference article's TCP scenarios, for selftests/scenarios.sh.
#
#   server-close    client sends 100 bytes, server answers 100 and closes
#                   first, client closes on EOF;
#   third-ack-data  the client's ACK of the SYN-ACK is delayed (its socket
#                   has TCP_DEFER_ACCEPT, which the kernel honours in
#                   SYN_SENT too), so it rides on the 100 bytes the client
#                   writes at once;
#   tfo             TCP Fast Open: sendto(MSG_FASTOPEN) puts the 100 bytes
#                   on the SYN once the client has a cookie (the first
#                   connection asks for one); the client closes first;
#   half-close      client sends 100 bytes and shutdown(SHUT_WR); the
#                   server reads to EOF, then sends 1000 bytes and closes;
#   simultaneous    a byte each way, then both sides close() when SYNC
#                   (a file) appears;
#   lost-third-ack  the client waits for SYNC before it writes 100 bytes
#                   (the test drops its pure ACKs meanwhile), then waits
#                   for SYNC.2 before it closes.
#
# The server accepts --count connections (default 1), serves them one by
# one, prints "listening" first. The client prints "port <local port>"
# once connected, "done" at the end. Exit 1 on any error.

import os
import socket
import sys
import time

SCENARIOS = ('server-close', 'third-ack-data', 'tfo', 'half-close',
             'simultaneous', 'lost-third-ack')
MSG_FASTOPEN = 0x20000000


def recv_exact(conn, n):
    got = b''
    while len(got) < n:
        chunk = conn.recv(n - len(got))
        if not chunk:
            raise RuntimeError('EOF after %d of %d bytes' % (len(got), n))
        got += chunk
    return got


def recv_eof(conn):
    total = 0
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return total
        total += len(chunk)


def wait_file(path, timeout=120):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise RuntimeError('timed out waiting for ' + path)
        time.sleep(0.01)


def serve(conn, scenario, sync):
    if scenario == 'half-close':
        recv_eof(conn)
        conn.sendall(b's' * 1000)
    elif scenario == 'lost-third-ack':
        recv_eof(conn)
    elif scenario == 'simultaneous':
        recv_exact(conn, 1)
        conn.sendall(b's')
        wait_file(sync)
    else:
        recv_exact(conn, 100)
        conn.sendall(b's' * 100)
        if scenario != 'server-close':
            recv_eof(conn)
    conn.close()


def server(scenario, family, addr, port, sync, count):
    lsn = socket.socket(family, socket.SOCK_STREAM)
    lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if scenario == 'tfo':
        lsn.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
    lsn.bind((addr, port))
    lsn.listen(16)
    print('listening', flush=True)
    for _ in range(count):
        conn, _ = lsn.accept()
        serve(conn, scenario, sync)
    lsn.close()


def connected(sock):
    print('port %d' % sock.getsockname()[1], flush=True)


def client(scenario, family, addr, port, sync):
    sock = socket.socket(family, socket.SOCK_STREAM)
    if scenario == 'tfo':
        sock.sendto(b'c' * 100, MSG_FASTOPEN, (addr, port))
        connected(sock)
    else:
        if scenario == 'third-ack-data':
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 1)
        sock.connect((addr, port))
        if scenario == 'third-ack-data':
            # The kernel holds the third ACK for at most 200 ms (the
            # delayed-ACK timer): the data goes first, the port after.
            sock.sendall(b'c' * 100)
            connected(sock)
        else:
            connected(sock)
            if scenario == 'lost-third-ack':
                wait_file(sync)
            sock.sendall(b'c' * (1 if scenario == 'simultaneous' else 100))
    if scenario == 'half-close':
        sock.shutdown(socket.SHUT_WR)
        if recv_eof(sock) != 1000:
            raise RuntimeError('half-close: expected 1000 bytes')
    elif scenario == 'simultaneous':
        recv_exact(sock, 1)
        wait_file(sync)
    elif scenario == 'server-close':
        if recv_eof(sock) != 100:
            raise RuntimeError('server-close: expected 100 bytes')
    elif scenario == 'lost-third-ack':
        wait_file(sync + '.2')
    else:
        recv_exact(sock, 100)
    sock.close()
    print('done', flush=True)


def main():
    args = sys.argv[1:]
    count = 1
    if len(args) >= 2 and args[-2] == '--count':
        count = int(args[-1])
        args = args[:-2]
    if len(args) not in (4, 5) or args[0] not in ('server', 'client') or \
            args[1] not in SCENARIOS:
        sys.exit('usage: scenario.py server|client SCENARIO ADDR PORT '
                 '[SYNC] [--count N]\nscenarios: ' + ' '.join(SCENARIOS))
    role, scenario, addr, port = args[0], args[1], args[2], int(args[3])
    sync = args[4] if len(args) == 5 else '/nonexistent'
    family = socket.AF_INET6 if ':' in addr else socket.AF_INET
    try:
        if role == 'server':
            server(scenario, family, addr, port, sync, count)
        else:
            client(scenario, family, addr, port, sync)
    except (OSError, RuntimeError) as err:
        sys.exit('scenario.py %s %s: %s' % (role, scenario, err))


if __name__ == '__main__':
    main()
