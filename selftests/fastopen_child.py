#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# fastopen_child.py, for selftests/fastopen_child.sh:
#
#   fastopen_child.py server ADDR PORT DIR
#       a Fast Open listener on ADDR, bound to PORT (0: the kernel picks
#       one); prints "port <port>", accepts one child, which Fast Open
#       hands over while it is still in SYN_RECV, prints "accepted", waits
#       for DIR/close, then closes the child without reading the data of
#       its SYN (so the kernel resets it: SYN_RECV -> CLOSE), then the
#       listener, and prints "closed".
#   fastopen_child.py client ADDR PORT DIR
#       sendto(MSG_FASTOPEN) 10 bytes to ADDR:PORT (a SYN with data),
#       prints "sent", keeps the socket until DIR/stop appears.

import os
import socket
import sys
import time

MSG_FASTOPEN = 0x20000000


def wait_file(path, timeout=300):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            sys.exit('fastopen_child.py: timed out waiting for ' + path)
        time.sleep(0.05)


def family(addr):
    return socket.AF_INET6 if ':' in addr else socket.AF_INET


def server(addr, port, ctl):
    lsn = socket.socket(family(addr), socket.SOCK_STREAM)
    lsn.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 4)
    lsn.bind((addr, port))
    lsn.listen(4)
    print('port %d' % lsn.getsockname()[1], flush=True)
    child, _ = lsn.accept()
    print('accepted', flush=True)
    wait_file(os.path.join(ctl, 'close'))
    child.close()
    lsn.close()
    print('closed', flush=True)


def client(addr, port, ctl):
    sock = socket.socket(family(addr), socket.SOCK_STREAM)
    sock.sendto(b'f' * 10, MSG_FASTOPEN, (addr, port))
    print('sent', flush=True)
    wait_file(os.path.join(ctl, 'stop'))
    sock.close()


def main():
    if sys.argv[1] == 'server':
        server(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        client(sys.argv[2], int(sys.argv[3]), sys.argv[4])


main()
