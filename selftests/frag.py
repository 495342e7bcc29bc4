#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# frag.py: TCP segments in IP fragments, for selftests/packets_frag.sh.
#
# frag.py send IFACE SMAC DMAC SRC4 DST4 SRC6 DST6 LPORT CPORT SEED
#   sends from IFACE (Ethernet frames, sendp: the sending kernel neither
#   fragments nor sees them), for each family:
#    - a SYN with options and 100 bytes to LPORT (a listener) in
#      fragments of 8 bytes (IPv4: the TCP header itself is split) or 24
#      bytes (IPv6: the first fragment must hold the 20 bytes of the
#      fixed TCP header, RFC 8200 4.5; the split is inside the options);
#    - an ACK with 600 bytes to CPORT (closed) in 3 fragments;
#    - the same in 3 fragments sent last one first;
#   then an IPv6 atomic fragment (a Fragment header with neither offset
#   nor MF, RFC 6946: the kernel takes it as a whole packet) with 600
#   bytes to CPORT; and prints "sent <segments> fragments <fragments>".
#
# frag.py defrag IN OUT
#   copies the capture IN into OUT with each fragmented packet put
#   together (scapy's defragment/defragment6) where its fragments were,
#   and an atomic fragment without its Fragment header, so that
#   tcpdump -r OUT prints the segments as TCP receives them;
#   prints "fragments4 <n> fragments6 <m>": the TCP fragments in IN (IPv4
#   MF or offset; IPv6 Fragment header with MF or offset and Next Header
#   TCP).

import random
import sys

from scapy.all import (IP, TCP, Ether, IPv6, IPv6ExtHdrFragment, Raw,
                       defragment, defragment6, fragment, fragment6,
                       rdpcap, sendp, wrpcap)

OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (12345, 0)),
        ("NOP", None), ("WScale", 7)]


def segments(rng, lport, cport):
    """(tcp layer, fragment size v4, v6, reversed) for one family."""
    syn = TCP(sport=rng.randrange(40000, 50000), dport=lport, flags="S",
              seq=rng.randrange(1 << 32), window=64800,
              options=OPTS) / Raw(b"s" * 100)
    data = TCP(sport=rng.randrange(40000, 50000), dport=cport, flags="PA",
               seq=rng.randrange(1 << 32), ack=rng.randrange(1 << 32),
               window=501) / Raw(b"d" * 600)
    last = data.copy()
    last.sport = rng.randrange(50000, 60000)
    return [(syn, 8, 24, False), (data, 200, 200, False),
            (last, 200, 200, True)]


def frags4(src, dst, tcp, size, rng):
    pkt = IP(bytes(IP(src=src, dst=dst, id=rng.randrange(1, 65536)) / tcp))
    return fragment(pkt, fragsize=size)


def frags6(src, dst, tcp, size, rng):
    pkt = IPv6(src=src, dst=dst) / \
        IPv6ExtHdrFragment(id=rng.randrange(1, 1 << 32)) / tcp
    return fragment6(IPv6(bytes(pkt)), 40 + 8 + size)


def send(argv):
    iface, smac, dmac, s4, d4, s6, d6 = argv[:7]
    lport, cport, seed = int(argv[7]), int(argv[8]), int(argv[9])
    rng = random.Random(seed)
    frames = []
    nseg = 0
    for tcp, size4, _, rev in segments(rng, lport, cport):
        f = list(frags4(s4, d4, tcp.copy(), size4, rng))
        frames.append(f[::-1] if rev else f)
        nseg += 1
    for tcp, _, size6, rev in segments(rng, lport, cport):
        f = list(frags6(s6, d6, tcp.copy(), size6, rng))
        frames.append(f[::-1] if rev else f)
        nseg += 1
    tcp = segments(rng, lport, cport)[1][0]
    frames.append([IPv6(src=s6, dst=d6) /
                   IPv6ExtHdrFragment(id=rng.randrange(1, 1 << 32)) / tcp])
    nseg += 1
    n = 0
    for f in frames:
        sendp([Ether(src=smac, dst=dmac) / x for x in f], iface=iface,
              verbose=False)
        n += len(f)
    print(f"sent {nseg} fragments {n}")


def is_tcp_frag(p):
    if IP in p:
        return p[IP].proto == 6 and (p[IP].flags.MF or p[IP].frag)
    if IPv6ExtHdrFragment in p:
        fh = p[IPv6ExtHdrFragment]
        return fh.nh == 6 and (fh.m or fh.offset)
    return False


def defrag(argv):
    pkts = rdpcap(argv[0])
    out, pend4, pend6 = [], {}, {}
    nfrag = [0, 0]
    for p in pkts:
        if not is_tcp_frag(p):
            out.append(unwrap_atomic(p))
            continue
        nfrag[IPv6 in p] += 1
        if IP in p:
            key = (p[IP].src, p[IP].dst, p[IP].id)
            pend4.setdefault(key, []).append(p[IP])
            whole = [x for x in defragment(pend4[key])
                     if not (x.flags.MF or x.frag)]
        else:
            key = (p[IPv6].src, p[IPv6].dst, p[IPv6ExtHdrFragment].id)
            pend6.setdefault(key, []).append(p[IPv6])
            whole = complete6(pend6[key])
        if whole:
            out.append(Ether(src=p[Ether].src, dst=p[Ether].dst) / whole[0])
    wrpcap(argv[1], out)
    print(f"fragments4 {nfrag[0]} fragments6 {nfrag[1]}")


def unwrap_atomic(p):
    """An atomic fragment (Fragment header right after IPv6) as a packet."""
    if IPv6ExtHdrFragment not in p or p[IPv6].nh != 44:
        return p
    ip, fh = p[IPv6], p[IPv6ExtHdrFragment]
    return Ether(src=p[Ether].src, dst=p[Ether].dst) / \
        IPv6(src=ip.src, dst=ip.dst, hlim=ip.hlim, nh=fh.nh) / fh.payload


def complete6(frags):
    """The packet, if frags hold all of it (no hole, the last one in)."""
    spans = sorted((f[IPv6ExtHdrFragment].offset * 8,
                    len(bytes(f[IPv6ExtHdrFragment].payload)),
                    f[IPv6ExtHdrFragment].m) for f in frags)
    end = 0
    for off, length, _ in spans:
        if off != end:
            return []
        end = off + length
    if spans[-1][2]:
        return []
    frags = sorted(frags, key=lambda f: f[IPv6ExtHdrFragment].offset)
    return [defragment6(frags)]


def main():
    if len(sys.argv) == 12 and sys.argv[1] == "send":
        send(sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "defrag":
        defrag(sys.argv[2:])
    else:
        sys.exit("usage: frag.py send ...|defrag IN OUT")


if __name__ == "__main__":
    main()
