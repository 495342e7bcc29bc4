#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# tcpsend.py ADDR PORT COUNT SEED: send hand-made TCP segments to ADDR:PORT
# through a raw socket (the kernel adds the IP header), for the tcpscope
# selftests:
#  - COUNT well-formed segments with random flags, sequence numbers,
#    windows, 0 to 3 payload bytes and random (often malformed) option
#    lists, whose lengths still agree with the TCP header;
#  - then 3 segments whose TCP header is bad: data offset below 5, data
#    offset beyond the segment, and a segment shorter than a TCP header.
# Segments are paced (5 ms apart) so that tcpdump, slow under emulation,
# drops none.
# Prints "sent <n> bad 3".
#
# tcpsend.py --syn ADDR PORT COUNT SEED: COUNT SYNs, each from another
# source port (a SYN flood from one address), unpaced. Prints "sent <n>".
#
# tcpsend.py --syn-from A.B ADDR PORT COUNT SEED: COUNT SYNs to IPv4
# ADDR:PORT from COUNT distinct addresses A.B.x.y (a SYN flood from many
# sources), with their own IP headers and valid checksums, unpaced; the
# sender's route to ADDR is used, whatever the source. Prints "sent <n>".

import random
import socket
import struct
import sys
import time

KINDS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 19, 20, 28, 29, 34, 253,
         254, 99]


def options(rnd):
    want = rnd.choice([0, 4, 8, 12, 20, 40])
    opts = b''
    while len(opts) < want:
        kind = rnd.choice(KINDS)
        if kind > 1 and rnd.random() < 0.8:
            length = rnd.choice([2, 3, 4, 6, 8, 10, 18, rnd.randint(0, 40)])
            body = bytes(rnd.randrange(256) for _ in range(max(0, length - 2)))
            opts += bytes([kind, length]) + body
        else:
            opts += bytes([kind])
    return opts[:want]


def segment(rnd, sport, dport):
    opts = options(rnd)
    payload = b'z' * rnd.randint(0, 3)
    flags = rnd.randrange(0x100)
    word = ((20 + len(opts)) // 4) << 12 | flags
    return struct.pack('!HHIIHHHH', sport, dport, rnd.randrange(1 << 32),
                       rnd.randrange(1 << 32), word, rnd.randrange(1 << 16),
                       0, rnd.randrange(1 << 16)) + opts + payload


def syn_flood(sock, dest, port, count, rnd):
    for sport in rnd.sample(range(1024, 65536), count):
        sock.sendto(struct.pack('!HHIIHHHH', sport, port,
                                rnd.randrange(1 << 32), 0, 5 << 12 | 0x02,
                                64240, 0, 0), dest)
    print('sent %d' % count)


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def spoofed_syn(src, dst, sport, dport, seq):
    tcp = struct.pack('!HHIIHHHH', sport, dport, seq, 0, 5 << 12 | 0x02,
                      64240, 0, 0)
    pseudo = src + dst + struct.pack('!BBH', 0, socket.IPPROTO_TCP, len(tcp))
    tcp = tcp[:16] + struct.pack('!H', csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 0, 0x4000, 64,
                     socket.IPPROTO_TCP, 0, src, dst)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return ip + tcp


def syn_flood_from(args):
    prefix, addr = args[0], args[1]
    port, count, seed = int(args[2]), int(args[3]), int(args[4])
    rnd = random.Random(seed)
    net = socket.inet_aton(prefix + '.0.0')[:2]
    dst = socket.inet_aton(addr)
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for host in rnd.sample(range(1, 65535), count):
        src = net + struct.pack('!H', host)
        sock.sendto(spoofed_syn(src, dst, rnd.randrange(1024, 65536), port,
                                rnd.randrange(1 << 32)), (addr, 0))
    print('sent %d' % count)


def main():
    args = sys.argv[1:]
    if args[:1] == ['--syn-from']:
        syn_flood_from(args[1:])
        return
    flood = args[:1] == ['--syn']
    if flood:
        args = args[1:]
    addr, port, count, seed = args[0], int(args[1]), int(args[2]), \
        int(args[3])
    rnd = random.Random(seed)
    family = socket.AF_INET6 if ':' in addr else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_TCP)
    dest = (addr, 0, 0, 0) if family == socket.AF_INET6 else (addr, 0)
    if flood:
        syn_flood(sock, dest, port, count, rnd)
        return
    sport = 40000 + rnd.randrange(1000)
    for _ in range(count):
        sock.sendto(segment(rnd, sport, port), dest)
        time.sleep(0.005)	# a burst would overrun tcpdump's buffer
    good = struct.pack('!HHIIHHHH', sport, port, 1, 2, 5 << 12 | 0x10,
                       100, 0, 0)
    bad = [
        good[:12] + struct.pack('!H', 4 << 12 | 0x10) + good[14:],
        good[:12] + struct.pack('!H', 15 << 12 | 0x10) + good[14:],
        good[:10],
    ]
    for seg in bad:
        sock.sendto(seg, dest)
    print('sent %d bad %d' % (count, len(bad)))


main()
