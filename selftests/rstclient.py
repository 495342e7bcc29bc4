#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# rstclient.py MODE DST PORT: a client whose connection ends in an RST,
# for selftests/resets.sh and raw_zero.sh. Prints "port <local port>".
#   abort   connect, send 10 bytes, wait until the echo is in, close with
#           SO_LINGER {1, 0} (against tcpconn's echoing server);
#   closed  connect to a port nobody listens on: must fail with
#           ECONNREFUSED.

import socket
import struct
import sys
import time

mode, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET6 if ':' in dst else socket.AF_INET)
if mode == 'abort':
    s.connect((dst, port))
    print('port', s.getsockname()[1], flush=True)
    s.sendall(b'x' * 10)
    # The echo is in, unread: close() must find it (and nothing more
    # can come in to cross the RST: the server echoes until EOF).
    while len(s.recv(10, socket.MSG_PEEK)) < 10:
        time.sleep(0.05)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.close()
else:
    s.bind(('::' if ':' in dst else '0.0.0.0', 0))
    print('port', s.getsockname()[1], flush=True)
    try:
        s.connect((dst, port))
        sys.exit('connected to a closed port')
    except ConnectionRefusedError:
        pass
