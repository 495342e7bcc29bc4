#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# listener.py, for selftests/listeners.sh:
#
#   listener.py serve ADDR PORT BACKLOG DIR
#       listen(BACKLOG) on ADDR:PORT and print "listening"; accept() one
#       connection each time a file DIR/accept-<n> appears (n = 1, 2, ...),
#       printing "accepted <peer addr> <peer port>"; exit when DIR/stop
#       appears.
#   listener.py connect ADDR PORT COUNT DIR
#       start COUNT non-blocking connect()s to ADDR:PORT, print
#       "started <local port>..." and keep the sockets; when DIR/send
#       appears, write a byte on each that connected; exit when DIR/stop
#       appears.
#   listener.py accept ADDR PORT COUNT
#       listen on ADDR:PORT (Fast Open allowed), print "listening", accept
#       COUNT connections, write a byte to each and read one, print
#       "accepted COUNT".
#   listener.py burst ADDR PORT COUNT [fastopen]
#       COUNT connections to ADDR:PORT, one after the other. With
#       fastopen, each writes a byte on the SYN (sendto(MSG_FASTOPEN)),
#       then reads the server's. Without, each reads the server's byte
#       first and only then writes its own, so its third ACK is the only
#       segment that can reach the listener: a data segment sent right
#       behind it could race it through the SYN cookie check on another
#       CPU, and both would count in SyncookiesRecv though the kernel
#       keeps one child. Each closes when the server has; print
#       "done COUNT".

import os
import socket
import sys
import time


def family(addr):
    return socket.AF_INET6 if ':' in addr else socket.AF_INET


def wait_for(path):
    while not os.path.exists(path):
        time.sleep(0.05)


def serve(addr, port, backlog, ctl):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(backlog)
    print('listening', flush=True)
    conns, n = [], 1
    while not os.path.exists(os.path.join(ctl, 'stop')):
        if os.path.exists(os.path.join(ctl, 'accept-%d' % n)):
            c, peer = s.accept()
            conns.append(c)
            print('accepted %s %d' % (peer[0], peer[1]), flush=True)
            n += 1
        time.sleep(0.05)


def connect(addr, port, count, ctl):
    socks = []
    for _ in range(count):
        c = socket.socket(family(addr), socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect((addr, port))
        except BlockingIOError:
            pass
        socks.append(c)
    print('started %s' % ' '.join(str(c.getsockname()[1]) for c in socks),
          flush=True)
    wait_for(os.path.join(ctl, 'send'))
    for c in socks:
        try:
            c.send(b'x')
        except OSError:
            pass
    print('sent', flush=True)
    wait_for(os.path.join(ctl, 'stop'))


def accept(addr, port, count):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, count)
    s.bind((addr, port))
    s.listen(count)
    print('listening', flush=True)
    for _ in range(count):
        c, _ = s.accept()
        c.sendall(b'y')
        c.recv(1)
        c.close()
    print('accepted %d' % count, flush=True)


def burst(addr, port, count, fastopen):
    for _ in range(count):
        c = socket.socket(family(addr), socket.SOCK_STREAM)
        if fastopen:
            c.sendto(b'x', socket.MSG_FASTOPEN, (addr, port))
            c.recv(1)
        else:
            c.connect((addr, port))
            c.recv(1)	# the child exists: it was accepted
            c.send(b'x')
        c.recv(1)	# until the server closes
        c.close()
    print('done %d' % count, flush=True)


def main():
    cmd, addr, port, n = sys.argv[1:5]
    if cmd == 'serve':
        serve(addr, int(port), int(n), sys.argv[5])
    elif cmd == 'connect':
        connect(addr, int(port), int(n), sys.argv[5])
    elif cmd == 'accept':
        accept(addr, int(port), int(n))
    else:
        burst(addr, int(port), int(n), sys.argv[5:] == ['fastopen'])


main()
