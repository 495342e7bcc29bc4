#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# listener_close.py, for selftests/listener_close.sh:
#
#   listener_close.py server ADDR PORT COUNT SECONDS
#       COUNT listeners, one after the other, on ADDR:PORT ... PORT+COUNT-1:
#       each listens for SECONDS (nobody accepts) and is closed, with
#       children and requests in its queues. Prints "done COUNT".
#   listener_close.py hold ADDR PORT COUNT STOPFILE
#       COUNT listeners on ADDR:PORT ... PORT+COUNT-1, all at once; prints
#       "listening COUNT" and keeps them until STOPFILE appears.
#   listener_close.py client ADDR PORT COUNT CPU STOPFILE
#       pinned to CPU: non-blocking connect()s round the COUNT ports, as
#       fast as one process goes, each socket closed at once, until
#       STOPFILE appears. Prints "sent <n>".

import errno
import os
import socket
import sys
import time


def family(addr):
    return socket.AF_INET6 if ':' in addr else socket.AF_INET


def listener(addr, port, backlog):
    lsn = socket.socket(family(addr), socket.SOCK_STREAM)
    lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsn.bind((addr, port))
    lsn.listen(backlog)
    return lsn


def server(addr, port, count, seconds):
    for i in range(count):
        lsn = listener(addr, port + i, 64)
        time.sleep(seconds)
        lsn.close()
    print('done %d' % count, flush=True)


def hold(addr, port, count, stop):
    socks = [listener(addr, port + i, 8) for i in range(count)]
    print('listening %d' % count, flush=True)
    while not os.path.exists(stop):
        time.sleep(0.05)


def client(addr, port, count, cpu, stop):
    os.sched_setaffinity(0, {cpu})
    sent = 0
    while not os.path.exists(stop):
        for i in range(count):
            s = socket.socket(family(addr), socket.SOCK_STREAM)
            s.setblocking(False)
            err = s.connect_ex((addr, port + i))
            if err not in (0, errno.EINPROGRESS):
                print('connect: %s' % os.strerror(err), file=sys.stderr)
            s.close()
            sent += 1
    print('sent %d' % sent, flush=True)


def main():
    if sys.argv[1] == 'server':
        server(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
               float(sys.argv[5]))
    elif sys.argv[1] == 'hold':
        hold(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
               int(sys.argv[5]), sys.argv[6])


main()
