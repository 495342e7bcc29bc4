#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# raw_zero.py FILE: check every record of an events_raw capture, for
# selftests/raw_zero.sh. Each record must be well formed (a known kind, its
# size, the record version) and every byte that carries nothing must be
# zero: the pad and reserved fields, hdr.lost_before (always 0 in this
# stream), the 12 unused bytes of an IPv4 address, the option bytes past
# optlen, the reason bytes past its NUL, the peer address of a listen
# record without a peer, and hdr.conn_id and hdr.netns of a LOST record.
# Prints "kind <name> <count>" per kind, one line per bad record (at most
# 20), and exits 1 if any was bad. Layout: include/uapi/tcpscope.h.

import struct
import sys

VERSION = 1
AF_INET, AF_INET6 = 2, 10
HDR = struct.Struct('<QQIIHHHH')        # ts conn_id netns lost kind size cpu ver
ADDRS = struct.Struct('<16s16s')
# After the header: family, received/old, state/new, pad, sport, dport.
STATE = struct.Struct('<BBBBHH')
PACKET = struct.Struct('<BBHHHHHB3sIII')  # dir fam flags sp dp win urg optlen pad seq ack len
LISTEN = struct.Struct('<BBBBHHIIIIIIQ')  # fam cause ovf flags sp dp 5 x u32 pad since
KINDS = {1: ('state', 72), 2: ('lost', 40), 3: ('packet', 136),
         4: ('reset', 104), 5: ('listen', 104)}


def addr_bad(family, addr, name):
    if family == AF_INET and any(addr[4:]):
        return '%s: bytes past the IPv4 address: %s' % (name, addr[4:].hex())
    if family not in (AF_INET, AF_INET6):
        return 'family %d' % family
    return None


def check_tuple(body, off):
    fam, _, _, pad, _, _ = STATE.unpack_from(body, off)
    saddr, daddr = ADDRS.unpack_from(body, off + STATE.size)
    errs = [addr_bad(fam, saddr, 'saddr'), addr_bad(fam, daddr, 'daddr')]
    if pad:
        errs.append('pad %d' % pad)
    return errs, off + STATE.size + ADDRS.size


def check_state(rec):
    return check_tuple(rec, HDR.size)[0]


def check_reset(rec):
    errs, off = check_tuple(rec, HDR.size)
    reason = rec[off:off + 32]
    nul = reason.find(b'\0')
    if nul < 0:
        errs.append('reason not NUL-terminated')
    elif any(reason[nul:]):
        errs.append('reason bytes past its NUL: %s' % reason[nul:].hex())
    return errs


def check_packet(rec):
    f = PACKET.unpack_from(rec, HDR.size)
    fam, optlen, pad = f[1], f[7], f[8]
    off = HDR.size + PACKET.size
    saddr, daddr = ADDRS.unpack_from(rec, off)
    opts = rec[off + 32:off + 72]
    reserved = rec[off + 72:off + 76]
    errs = [addr_bad(fam, saddr, 'saddr'), addr_bad(fam, daddr, 'daddr')]
    if any(pad) or any(reserved):
        errs.append('pad %s reserved %s' % (pad.hex(), reserved.hex()))
    if optlen > 40:
        errs.append('optlen %d' % optlen)
    elif any(opts[optlen:]):
        errs.append('option bytes past optlen %d: %s' % (optlen, opts.hex()))
    return errs


def check_listen(rec):
    f = LISTEN.unpack_from(rec, HDR.size)
    fam, dport, pad = f[0], f[5], f[11]
    saddr, daddr = ADDRS.unpack_from(rec, HDR.size + LISTEN.size)
    errs = [addr_bad(fam, saddr, 'saddr'), addr_bad(fam, daddr, 'daddr')]
    if pad:
        errs.append('pad %d' % pad)
    if not dport and any(daddr):
        errs.append('a peer address without a peer: %s' % daddr.hex())
    return errs


def check_lost(rec):
    _, conn_id, netns = HDR.unpack_from(rec)[:3]
    return ['conn_id %d netns %d' % (conn_id, netns)] if conn_id or netns else []


CHECKS = {'state': check_state, 'lost': check_lost, 'packet': check_packet,
          'reset': check_reset, 'listen': check_listen}


def main():
    data = open(sys.argv[1], 'rb').read()
    counts = {name: 0 for name, _ in KINDS.values()}
    bad, off = 0, 0
    while off + HDR.size <= len(data):
        _, _, _, lost, kind, size, _, ver = HDR.unpack_from(data, off)
        if kind not in KINDS or size != KINDS[kind][1] or ver != VERSION or \
                off + size > len(data):
            print('malformed record at %d: kind %d size %d version %d' %
                  (off, kind, size, ver))
            sys.exit(1)
        name = KINDS[kind][0]
        rec = data[off:off + size]
        errs = [e for e in CHECKS[name](rec) if e]
        if lost:
            errs.append('hdr.lost_before %d' % lost)
        if errs:
            bad += 1
            if bad <= 20:
                print('bad %s record at %d: %s (%s)' %
                      (name, off, '; '.join(errs), rec.hex()))
        counts[name] += 1
        off += size
    if off != len(data):
        print('%d bytes of a truncated record at the end' % (len(data) - off))
        bad += 1
    for name, n in counts.items():
        print('kind %s %d' % (name, n))
    print('bad %d' % bad)
    sys.exit(1 if bad else 0)


main()
