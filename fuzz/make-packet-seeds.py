#!/usr/bin/env python3
"""make-packet-seeds.py: seeds for fuzz-packet from the golden captures.

Each seed is one frame preceded by the link-type index fuzz-packet.c uses
(0 Ethernet, 1 SLL, 2 SLL2, 3 raw, 4 NULL, 5 LOOP).  Reads classic pcap only
(the golden captures are); takes the first few frames of each capture.
Usage: fuzz/make-packet-seeds.py tests/pcaps/*.pcap  (writes fuzz/corpus/packet/)
"""
import os
import struct
import sys

INDEX = {1: 0, 113: 1, 276: 2, 101: 3, 12: 3, 0: 4, 108: 5}
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "packet")


def frames(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return
        magic = struct.unpack("<I", hdr[:4])[0]
        end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        lt = struct.unpack(end + "I", hdr[20:24])[0] & 0xFFFF
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            caplen = struct.unpack(end + "IIII", rec)[2]
            data = f.read(caplen)
            if len(data) < caplen:
                return
            yield lt, data


def main():
    os.makedirs(OUT, exist_ok=True)
    n = 0
    for path in sys.argv[1:]:
        base = os.path.splitext(os.path.basename(path))[0]
        for i, (lt, data) in enumerate(frames(path)):
            if i >= 6 or lt not in INDEX:
                break
            with open(os.path.join(OUT, "%s-%d" % (base, i)), "wb") as o:
                o.write(bytes([INDEX[lt]]) + data)
            n += 1
    print("%d seeds in %s" % (n, OUT))


if __name__ == "__main__":
    main()
