#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# fuzz.py IFACE SMAC DMAC CLI4 SRV4 CLI6 SRV6 PORT SEED COUNT
#
# Malformed and valid TCP segments for selftests/fuzz_packets.sh, sent as
# Ethernet frames from IFACE (the sending kernel does not touch them) to
# SRV4/SRV6:PORT, a closed port. COUNT cases drawn from SEED (the same
# seed sends the same frames), each one segment in one frame or in
# fragments:
#  - valid segments, random flags, options and payload;
#  - TCP header: data offset below 5, data offset past the end, runt
#    headers (0 to 19 bytes);
#  - options (data offset right): a length of 0, 1 or 255, a kind without
#    its length byte at the end, truncated SACK and timestamp options;
#  - IPv4: options, a total length shorter than the frame (the kernel
#    trims) or longer (dropped), a bad header checksum (dropped),
#    fragments of 8 to 32 bytes (split inside the TCP header), in order,
#    reversed or shuffled;
#  - IPv6: extension header chains (hop-by-hop, destination options,
#    routing) before TCP, chains that end in No Next Header or are cut
#    short, a payload length shorter than the frame, 0 or longer,
#    v4-mapped sources, fragments (the first one holding the chain and 24
#    bytes of TCP or more).
# No AH (netfilter's ipv6_find_hdr() calls AH the transport) and no
# atomic fragment (Ip6ReasmOKs counts those).
#
# fuzz.py rawcheck FILE: every record of an events_raw capture has a
# known kind with its size, version 1, and packet records a direction,
# family, flags and optlen (0 to 40, a multiple of 4) in range; exit 1
# otherwise. Prints "records N packets P bytes B".
#
# Sending prints "seed S cases N frames F", then the model: what reaches
# LOCAL_IN and how tcpscope must count it, from RFC 791/793/8200 and the
# kernel's documented input checks (not from tcpscope's code):
#   "expect rx R bad B frag G dropped D other O either E"
# rx: whole segments with a sound TCP header (data offset 5 or more,
# within the segment); bad: whole segments without; frag: IPv6 fragments
# at LOCAL_IN (IPv4 puts its own together before); dropped: cases the IP
# layer drops before LOCAL_IN; other: cases that reach it but are not TCP
# (a chain that ends in No Next Header or is cut short); either: a chain
# whose last header names TCP but runs past the end, bad on some kernels
# (6.12), not TCP on others (6.1).

import os
import random
import socket
import struct
import sys

from scapy.all import (IP, IPv6, Ether, IPOption, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                       IPv6ExtHdrRouting, HBHOptUnknown, PadN, Raw, conf)

HOP, ROUTING, FRAG, NONE, DSTOPT, TCP = 0, 43, 44, 59, 60, 6
EITHER = "either"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def valid_opts(rng):
    out = b""
    for _ in range(rng.randrange(5)):
        kind = rng.choice(["mss", "ws", "sackok", "ts", "sack", "nop"])
        if kind == "mss":
            o = struct.pack("!BBH", 2, 4, rng.randrange(1 << 16))
        elif kind == "ws":
            o = struct.pack("!BBB", 3, 3, rng.randrange(15))
        elif kind == "sackok":
            o = b"\x04\x02"
        elif kind == "ts":
            o = struct.pack("!BBII", 8, 10, rng.randrange(1 << 32),
                            rng.randrange(1 << 32))
        elif kind == "sack":
            n = rng.randrange(1, 4)
            o = bytes([5, 2 + 8 * n]) + bytes(rng.randrange(256)
                                               for _ in range(8 * n))
        else:
            o = b"\x01"
        if len(out) + len(o) > 40:
            break
        out += o
    return out


def pad4(opts, fill=b"\x00"):
    return opts + fill * (-len(opts) % 4)


def bad_opts(rng):
    """Options whose lengths are wrong, within a right data offset."""
    what = rng.choice(["len0", "len1", "len255", "nolen", "sack", "ts"])
    pre = valid_opts(rng)[:20]
    if what in ("len0", "len1", "len255"):
        ln = {"len0": 0, "len1": 1, "len255": 255}[what]
        o = pre + bytes([rng.choice([2, 3, 5, 8, 19, 30, 34, 253]), ln])
        o += bytes(rng.randrange(256) for _ in range(rng.randrange(6)))
        return pad4(o)[:40]
    if what == "nolen":
        o = pad4(pre + b"\x01", b"\x01")
        body = o + b"\x01\x01\x01" + bytes([rng.choice([2, 3, 5, 8, 29])])
        return body[-40:] if len(body) > 40 else body
    if what == "sack":
        # the length says more blocks than the header holds, or not 2+8n
        room = rng.choice([4, 8, 12])
        ln = rng.choice([10, 18, 26, 34, 7, 13])
        return bytes([5, ln]) + bytes(rng.randrange(256)
                                      for _ in range(room - 2))
    room = rng.choice([4, 8])
    ln = rng.choice([10, 6, 11])
    return bytes([8, ln]) + bytes(rng.randrange(256) for _ in range(room - 2))


def tcp_bytes(rng, dport, kind):
    """Raw TCP bytes (checksum 0, set later) for a case kind."""
    sport = rng.randrange(20000, 30000)
    flags = rng.randrange(1 << 12)
    seq, ack = rng.randrange(1 << 32), rng.randrange(1 << 32)
    win, urg = rng.randrange(1 << 16), rng.randrange(1 << 16)
    payload = bytes(rng.randrange(256)
                    for _ in range(rng.choice([0, 0, 1, 3, 10, 40])))
    opts = pad4(valid_opts(rng))
    doff = None
    if kind == "badopts":
        opts = bad_opts(rng)
    elif kind == "doff_low":
        doff = rng.randrange(5)
    elif kind == "doff_past":
        opts = b""
        payload = payload[:rng.randrange(min(len(payload), 36) + 1)]
        doff = rng.randrange((20 + len(payload)) // 4 + 1, 16)
    if doff is None:
        doff = (20 + len(opts)) // 4
    hdr = struct.pack("!HHIIHHHH", sport, dport, seq, ack,
                      (doff << 12) | flags, win, 0, urg)
    seg = hdr + opts + payload
    if kind == "runt":
        seg = seg[:rng.randrange(20)]
    return seg


def with_csum(seg, pseudo):
    if len(seg) < 18:
        return seg
    c = csum(pseudo + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def classify_tcp(seg):
    if len(seg) < 20:
        return "bad"
    doff = seg[12] >> 4
    return "bad" if doff < 5 or doff * 4 > len(seg) else "rx"


def walk6(nh, data):
    """RFC 8200 chain walk: the TCP bytes, or None if not TCP (a header
    that runs past the end included)."""
    while nh in (HOP, ROUTING, DSTOPT):
        if len(data) < 2:
            return None
        ln = (data[1] + 1) * 8
        if len(data) < ln:
            # 6.1's ipv6_find_hdr() wants the header whole, 6.12's
            # does not: TCP with a bad header there if it names TCP
            return EITHER if data[0] == TCP else None
        nh, data = data[0], data[ln:]
    return data if nh == TCP else None


class Fuzz:
    def __init__(self, argv):
        (self.iface, self.smac, self.dmac, self.cli4, self.srv4,
         self.cli6, self.srv6) = argv[:7]
        self.port, self.seed, self.count = map(int, argv[7:10])
        self.rng = random.Random(self.seed)
        self.frames = []
        self.model = dict(rx=0, bad=0, frag=0, dropped=0, other=0, either=0)
        # TCPSCOPE_FUZZ_TRACE=FILE: "way kind sport class" per case
        trace = os.environ.get("TCPSCOPE_FUZZ_TRACE")
        self.trace = open(trace, "a") if trace else None
        self.way = self.kind = ""
        self.ehdr = {v: bytes(Ether(src=self.smac, dst=self.dmac, type=t))
                     for v, t in ((4, 0x0800), (6, 0x86dd))}

    def expect(self, cls, seg=b""):
        """The model: how tcpscope must count this case."""
        self.model[cls] += 1
        if self.trace:
            sport = struct.unpack("!H", seg[:2])[0] if len(seg) >= 2 else -1
            print(self.way, self.kind, sport, cls, file=self.trace)

    def eth(self, ip):
        """The frame: an Ethernet header built once, then the packet."""
        raw = bytes(ip)
        return self.ehdr[raw[0] >> 4] + raw

    def pseudo4(self, src, length):
        return (bytes(map(int, src.split("."))) +
                bytes(map(int, self.srv4.split("."))) +
                struct.pack("!BBH", 0, TCP, length))

    def case4(self, kind, mods=False):
        rng = self.rng
        seg = tcp_bytes(rng, self.port, kind)
        seg = with_csum(seg, self.pseudo4(self.cli4, len(seg)))
        nopt = rng.choice([0, 0, 0, 1, 2, 10]) if mods else 0
        full = 20 + 4 * nopt + len(seg)
        ip = dict(src=self.cli4, dst=self.srv4, proto=TCP,
                  id=rng.randrange(1 << 16), ttl=64)
        if nopt:
            ip["options"] = IPOption(b"\x01" * (4 * nopt - 1) + b"\x00")
        tot = full
        how = rng.choice(["ok", "ok", "short", "long", "csum"]) \
            if mods else "ok"
        if how == "short":
            tot = rng.randrange(20 + 4 * nopt, full + 1)
        elif how == "long":
            tot = full + rng.randrange(1, 40)
        pkt = IP(len=tot, **ip) / Raw(seg)
        if how == "csum":
            raw = bytearray(bytes(pkt))
            raw[10] ^= 0x5a
            self.frames.append(self.eth(raw))
            self.expect("dropped", seg)
            return
        self.frames.append(self.eth(pkt))
        if how == "long":
            self.expect("dropped", seg)
            return
        self.expect(classify_tcp(seg[:tot - 20 - 4 * nopt]), seg)

    def frag4(self, kind):
        rng = self.rng
        seg = tcp_bytes(rng, self.port, kind)
        seg = with_csum(seg, self.pseudo4(self.cli4, len(seg)))
        size = rng.choice([8, 8, 16, 24, 32])
        ident = rng.randrange(1 << 16)
        parts = []
        for off in range(0, len(seg), size):
            mf = 1 if off + size < len(seg) else 0
            parts.append(IP(src=self.cli4, dst=self.srv4, proto=TCP,
                            id=ident, flags=mf, frag=off // 8) /
                         Raw(seg[off:off + size]))
        if len(parts) < 2:
            return self.case4(kind)
        self.order(parts)
        self.expect(classify_tcp(seg), seg)

    def order(self, parts):
        how = self.rng.choice(["in", "reversed", "shuffled"])
        if how == "reversed":
            parts.reverse()
        elif how == "shuffled":
            self.rng.shuffle(parts)
        self.frames.extend(self.eth(p) for p in parts)

    def chain6(self, final=TCP, hop=True):
        """(bytes, first nh): an extension header chain, last nh final."""
        rng = self.rng
        types = []
        for i in range(rng.randrange(1, 4)):
            types.append(rng.choice([DSTOPT, ROUTING] +
                                    ([HOP] if i == 0 and hop else [])))
        hdrs = []
        for i, t in enumerate(types):
            nh = types[i + 1] if i + 1 < len(types) else final
            if t == HOP:
                h = IPv6ExtHdrHopByHop(nh=nh,
                                       options=[PadN(optdata=b"\0" * 4)])
            elif t == DSTOPT:
                # PadN holds 7 bytes at most (ip6_parse_tlv() drops more);
                # an unknown option of type 0x1e is skipped
                n = rng.choice([0, 8, 16])
                h = IPv6ExtHdrDestOpt(nh=nh, options=[
                    HBHOptUnknown(otype=0x1e, optdata=b"\0" * (4 + n))])
            else:
                # segments left 0: passed over (types 2, 3, 4 would drop)
                h = IPv6ExtHdrRouting(nh=nh, type=rng.choice([0, 253]),
                                      segleft=0, addresses=[])
            hdrs.append(bytes(h))
        return b"".join(hdrs), types[0]

    def pseudo6(self, src, length):
        return (socket.inet_pton(socket.AF_INET6, src) +
                socket.inet_pton(socket.AF_INET6, self.srv6) +
                struct.pack("!IxxxB", length, TCP))

    def case6(self, kind, mode="plain"):
        rng = self.rng
        src = "::ffff:" + self.cli4 if mode == "mapped" else self.cli6
        seg = tcp_bytes(rng, self.port, kind)
        seg = with_csum(seg, self.pseudo6(src, len(seg)))
        chain, nh = b"", TCP
        if mode == "chain":
            end = rng.choice(["tcp", "tcp", "none", "cut"])
            chain, nh = self.chain6(NONE if end == "none" else TCP)
            if end == "cut":
                # not inside a hop-by-hop header: that drops before LOCAL_IN
                low = 8 if nh == HOP else 1
                if len(chain) > low:
                    chain, seg = chain[:rng.randrange(low, len(chain))], b""
        payload = chain + seg
        plen = len(payload)
        how = rng.choice(["short", "zero", "long"]) if mode == "plen" else "ok"
        if how == "short":
            plen = rng.randrange(len(payload)) if payload else 0
        elif how == "zero":
            plen = 0
        elif how == "long":
            plen = len(payload) + rng.randrange(1, 40)
        pkt = IPv6(src=src, dst=self.srv6, nh=nh, plen=plen, hlim=64) / \
            Raw(payload)
        self.frames.append(self.eth(pkt))
        if how == "long":
            self.expect("dropped", seg)
            return
        tcp = walk6(nh, payload[:plen])
        if tcp is None or tcp == EITHER:
            self.expect("other" if tcp is None else EITHER, seg)
        else:
            self.expect(classify_tcp(tcp), seg)

    def frag6(self, kind):
        rng = self.rng
        seg = tcp_bytes(rng, self.port, kind)
        if len(seg) < 32:
            return self.case6(kind)
        seg = with_csum(seg, self.pseudo6(self.cli6, len(seg)))
        # the unfragmentable part: none, or a chain to the Fragment header
        chain, nh = self.chain6(FRAG) if rng.randrange(2) else (b"", FRAG)
        first = rng.choice([24, 32, 40])
        first = min(first, (len(seg) - 1) // 8 * 8)
        size = rng.choice([8, 16, 24, 48])
        ident = rng.randrange(1, 1 << 32)
        parts, off = [], 0
        while off < len(seg):
            n = first if off == 0 else size
            m = 1 if off + n < len(seg) else 0
            fh = IPv6ExtHdrFragment(nh=TCP, offset=off // 8, m=m, id=ident)
            parts.append(IPv6(src=self.cli6, dst=self.srv6,
                              nh=nh, hlim=64) /
                         Raw(chain + bytes(fh) + seg[off:off + n]))
            off += n
        self.order(parts)
        self.model["frag"] += len(parts)
        self.expect(classify_tcp(seg), seg)

    def run(self):
        kinds = (["valid"] * 6 + ["doff_low"] * 2 + ["doff_past"] * 2 +
                 ["runt"] * 2 + ["badopts"] * 5)
        ways = ["v4", "v4", "v4mod", "frag4", "v6", "v6", "chain", "plen",
                "mapped", "frag6"]
        # TCPSCOPE_FUZZ_WAYS="chain plen": only these (to narrow a failure)
        only = os.environ.get("TCPSCOPE_FUZZ_WAYS", "").split()
        ways = [w for w in ways if w in only] if only else ways
        for _ in range(self.count):
            self.kind = kind = self.rng.choice(kinds)
            self.way = way = self.rng.choice(ways)
            if way in ("v4", "v4mod"):
                self.case4(kind, way == "v4mod")
            elif way == "frag4":
                self.frag4(kind)
            elif way == "frag6":
                self.frag6(kind)
            else:
                self.case6(kind, "plain" if way == "v6" else way)
        sock = conf.L2socket(iface=self.iface)
        for f in self.frames:
            sock.send(f)
        sock.close()
        print(f"seed {self.seed} cases {self.count} frames {len(self.frames)}")
        m = self.model
        print(f"expect rx {m['rx']} bad {m['bad']} frag {m['frag']} "
              f"dropped {m['dropped']} other {m['other']} "
              f"either {m['either']}")


# include/uapi/tcpscope.h: struct tcpscope_hdr, then each kind's size.
HDR = struct.Struct("<QQIIHHHH")
SIZES = {1: 72, 2: 40, 3: 136, 4: 104, 5: 104}
PACKET = struct.Struct("<BBHHHHHB3sIII16s16s40s4s")


def rawcheck(path):
    """Every record of an events_raw capture well formed, or exit 1."""
    with open(path, "rb") as f:
        data = f.read()
    off, n, kinds, errors = 0, 0, {}, []
    while off < len(data) and len(errors) < 5:
        if len(data) - off < HDR.size:
            errors.append(f"{len(data) - off} bytes left at {off}")
            break
        _, _, _, _, kind, size, _, version = HDR.unpack_from(data, off)
        if version != 1 or SIZES.get(kind) != size or \
           off + size > len(data):
            errors.append(f"record {n} at {off}: kind {kind} size {size} "
                          f"version {version}")
            break
        if kind == 3:
            f = PACKET.unpack_from(data, off + HDR.size)
            dirn, fam, flags, optlen = f[0], f[1], f[2], f[7]
            if dirn > 1 or fam not in (2, 10) or flags > 0xfff or \
               optlen > 40 or optlen % 4 or any(f[8] + f[15]):
                errors.append(f"packet record {n}: dir {dirn} family "
                              f"{fam} flags {flags:#x} optlen {optlen}")
        kinds[kind] = kinds.get(kind, 0) + 1
        off += size
        n += 1
    for e in errors:
        print(f"# {e}")
    print(f"records {n} packets {kinds.get(3, 0)} bytes {len(data)}")
    return 1 if errors else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "rawcheck":
        sys.exit(rawcheck(sys.argv[2]))
    if len(sys.argv) != 11:
        sys.exit("usage: fuzz.py IFACE SMAC DMAC CLI4 SRV4 CLI6 SRV6 PORT "
                 "SEED COUNT | fuzz.py rawcheck FILE")
    Fuzz(sys.argv[1:]).run()


if __name__ == "__main__":
    main()
