#!/usr/bin/env python3
"""tshark_diff.py: differential test of apnwatch's flow accounting against tshark.

For every capture under the public captures directory, run
    apnwatch -r FILE --json --observer-name tshark-diff
and
    tshark -2 -n -r FILE -T fields -E occurrence=a -e frame.len -e frame.protocols ...
then rebuild, in Python, the flows apnwatch ought to have made from tshark's
per-packet fields (the decode rules D1..D8 below mirror the output contract),
and compare them with apnwatch's flow events:

  * the set of flows by unordered 5-tuple (transport, {ip:port, ip:port}),
    apnwatch's flow events summed per 5-tuple (timeouts may split one);
  * per 5-tuple, packets and bytes (frame wire lengths) sent by each side;
  * how many flow events each 5-tuple makes (timeouts and TCP close
    simulated on packet time) and each event's packets/bytes/start/end;
  * TCP flags per side, first ICMP type/code, IP fragment frames, the
    outermost VLAN, GTP-U TEID and tunnel endpoints, the initiator;
  * capture totals (stats capture.packets/bytes) against tshark's frame
    count and byte sum;
  * apnwatch exits 0 and its output validates (tests/validate-events).

Anything that differs must be explained by a named rule in RULES below
(with its reason); every other difference fails the test.  Rules that
explain nothing are reported as stale (a warning, not a failure).

Usage: tshark_diff.py [--apnwatch BIN] [--pcaps DIR] [--jobs N] [-v] [FILE ...]
Exit: 0 all agree, 1 unexplained differences or errors, 77 tshark missing.
"""

import argparse
import collections
import concurrent.futures
import importlib.machinery
import importlib.util
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# ------------------------------------------------------------------ contract
# Flow timeouts, packet time (output contract).
TCP_IDLE_S = 300
TCP_CLOSED_S = 10  # after FIN both ways, or RST
UDP_IDLE_S = 120
OTHER_IDLE_S = 60
# Packets whose gap to the previous packet of the same 5-tuple lies within
# this margin of a timeout make the split count ambiguous: only totals are
# compared for that 5-tuple then.
TIMEOUT_MARGIN_S = 2

# Device networks given to apnwatch explicitly (the same as its defaults), so
# that the device side (source.*) and network.direction can be checked.
DEVICE_NETS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"]
_DEVICE_NETS = [ipaddress.ip_network(n) for n in DEVICE_NETS]


def is_device(ip):
    a = ipaddress.ip_address(ip)
    return any(a in n for n in _DEVICE_NETS if n.version == a.version)


GTPU_PORT = 2152
GTP_GPDU = 0xFF

# ---------------------------------------------------------------------------
# Decode rules: how a tshark frame maps to apnwatch's flow key.  They mirror
# the output contract, they are not differences:
#
# D1 first-ip      The flow's IP layer is the outermost ip/ipv6 layer in
#                  frame.protocols (whatever link layers come before it).
# D2 gtpu-inner    If that layer is followed by udp:gtp, the UDP has port
#                  2152 on either side, the GTP message is a G-PDU (0xff)
#                  and an ip/ipv6 layer follows the gtp layer, the flow
#                  moves to that inner IP layer (and again, for nested
#                  GTP-U).  GTP' (gtpprime, UDP 3386), GTP-C (2123), GTP
#                  over TCP and GTP-U signalling stay plain UDP/TCP flows.
# D3 transport     The layer after the flow's IP layer (IPv6 extension
#                  headers skipped) is its transport: tcp/udp/sctp give
#                  ports (apnwatch reads SCTP's ports too),
#                  icmp/icmpv6 give type and code but no ports in the key;
#                  any other protocol is keyed on addresses + number.
# D4 icmp-payload  IP layers after icmp/icmpv6 (the quoted packet of an
#                  ICMP error) are never a flow of their own (from D1/D3).
# D5 tunnels-outer Tunnels apnwatch does not decode (GRE, IP-in-IP,
#                  VXLAN, Teredo, CAPWAP, ESP, ...) end the flow at the
#                  outer layer (from D1/D3).
# D6 fragments     tshark reassembles IPv4/IPv6 (ip.defragment and
#                  ipv6.defragment on, two-pass -2): a fragment frame that
#                  carries ip.reassembled_in / ipv6.reassembled.in = N
#                  belongs to the flow of frame N, counted with its own
#                  wire length; N itself carries the list (ip.fragment /
#                  ipv6.fragment) of all frames of the datagram.
#                  Fragments whose datagram never completes belong to no
#                  flow.
# D7 non-ip        Frames with no ip/ipv6 layer belong to no flow.
# D8 bytes         Bytes are frame.len (wire length, not captured length)
#                  of every frame, as in the contract.
# D9 timeouts      Flow ends are simulated on packet time (see simulate()):
#                  TCP 300 s idle, 10 s after FIN both ways or RST, UDP
#                  120 s, others 60 s; a SYN without ACK after a FIN or RST
#                  starts a new flow.  A gap within TIMEOUT_MARGIN_S of a
#                  timeout makes that 5-tuple's split count unchecked.
# ---------------------------------------------------------------------------

IPV6_EXT_LAYERS = {"ipv6.hopopts", "ipv6.routing", "ipv6.fraghdr", "ipv6.dstopts",
                   "ipv6.shim6", "ipv6.mipv6", "ah"}
LAYER_PROTO = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "sctp": 132, "gre": 47,
               "esp": 50, "igmp": 2, "ospf": 89, "pim": 103, "vrrp": 112, "ip": 4,
               "ipv6": 41, "udplite": 136, "l2tp": 115, "etherip": 97, "ipcomp": 108,
               "carp": 112, "eigrp": 88, "rsvp": 46}
TCP_LETTERS = [(0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, "A"),
               (0x20, "U"), (0x40, "E"), (0x80, "C")]

FIELDS = [
    "frame.number", "frame.time_epoch", "frame.len", "frame.protocols",
    "ip.src", "ip.dst", "ip.proto", "ip.flags.mf", "ip.frag_offset", "ip.reassembled_in", "ip.fragment",
    "ipv6.src", "ipv6.dst", "ipv6.nxt", "ipv6.reassembled.in", "ipv6.fragment",
    "tcp.srcport", "tcp.dstport", "tcp.flags",
    "udp.srcport", "udp.dstport", "sctp.srcport", "sctp.dstport",
    "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code",
    "gtp.message", "gtp.teid",
    "vlan.id", "ieee8021ad.id",
]


# ===========================================================================
# Justified differences.  Each rule: a name, the reason, and a predicate on
# (capture, diff).  A diff is a dict with at least "kind" and "key" (text of
# the 5-tuple, or None for capture-wide diffs); see compare() for kinds.
# ===========================================================================
class Rule:
    def __init__(self, name, reason, match):
        self.name, self.reason, self.match = name, reason, match
        self.used = 0


def _cap(*names):
    return lambda cap, d: cap in names


# Add a rule only for a difference that is right on both sides (a tshark
# quirk, or something the contract leaves open), never for an apnwatch bug:
# a bug stays a failure until it is fixed.  Example:
#   Rule("tshark-no-gtp-ext", "tshark 4.0 cannot decode GTP-U extension "
#        "header type X, so it sees no inner packet",
#        lambda cap, d: cap == "zeek/tunnels/gtp/foo.pcap" and d["kind"] == "only-apnwatch"),
#
# As of 2026-11-25 no rule is needed: on all 125 public captures and the
# golden captures, tshark (4.0.17) and apnwatch agree on every 5-tuple,
# packet and byte once D1-D9 are applied; the differences that remain are
# apnwatch bugs (reported), not tool differences.
RULES = [
]


# ===========================================================================
# tshark side
# ===========================================================================
def tshark_env(tmpdir):
    env = dict(os.environ)
    # Keep personal preferences (decode-as, disabled protocols) out.
    env["WIRESHARK_CONFIG_DIR"] = os.path.join(tmpdir, "wsconf")
    os.makedirs(env["WIRESHARK_CONFIG_DIR"], exist_ok=True)
    env.pop("WIRESHARK_RUN_FROM_BUILD_DIRECTORY", None)
    return env


def run_tshark(tshark, path, tmpdir):
    cmd = [tshark, "-2", "-n", "-r", path,
           "-o", "ip.defragment:TRUE", "-o", "ipv6.defragment:TRUE",
           "-o", "gtp.v1u_port:%d" % GTPU_PORT,
           "-T", "fields", "-E", "occurrence=a", "-E", "separator=/t", "-E", "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=tshark_env(tmpdir), timeout=300)
    if p.returncode != 0:
        raise RuntimeError("tshark failed (%d): %s" % (p.returncode, p.stderr.decode(errors="replace")[-500:]))
    return p.stdout.decode("utf-8", errors="replace")


def ts_to_us(s):
    if "." in s:
        sec, frac = s.split(".", 1)
    else:
        sec, frac = s, ""
    frac = (frac + "000000")[:6]
    neg = sec.startswith("-")
    v = abs(int(sec)) * 1000000 + int(frac)
    return -v if neg else v


def norm_ip(s):
    return ipaddress.ip_address(s).compressed


class Frame:
    __slots__ = ("num", "ts", "len", "layers", "f")


def parse_tshark(text):
    frames = []
    for line in text.splitlines():
        cols = line.split("\t")
        if len(cols) < len(FIELDS):
            cols += [""] * (len(FIELDS) - len(cols))
        fr = Frame()
        vals = {}
        for name, c in zip(FIELDS, cols):
            vals[name] = c.split(",") if c != "" else []
        fr.num = int(cols[0])
        fr.ts = ts_to_us(cols[1])
        fr.len = int(cols[2])
        fr.layers = cols[3].split(":") if cols[3] else []
        fr.f = vals
        frames.append(fr)
    return frames


def _nth(fr, field, idx):
    v = fr.f.get(field, [])
    return v[idx] if idx < len(v) else None


def _int(s):
    if s is None or s == "":
        return None
    return int(s, 0)


class Pkt:
    """What one tshark frame contributes to a flow."""
    __slots__ = ("num", "ts", "key", "sender", "nbytes", "nframes", "tcp_flags", "icmp",
                 "vlan", "gtp", "frags", "proto")


def frame_flow(fr):
    """Apply D1-D5 to one frame. Returns (Pkt or None, why-not or None)."""
    L = fr.layers
    ip_idx = [i for i, n in enumerate(L) if n in ("ip", "ipv6")]
    if not ip_idx:
        return None, "non-ip"  # D7
    cnt = collections.Counter()
    occ = []  # per layer position: its occurrence index among same-named layers
    for n in L:
        occ.append(cnt[n])
        cnt[n] += 1
    # gtp.message occurs for both gtp and gtpprime layers
    gtpmsg_occ, g = [], 0
    for n in L:
        gtpmsg_occ.append(g)
        if n in ("gtp", "gtpprime"):
            g += 1

    # Field values are matched to layers by occurrence; make sure they line up.
    for layer, field in (("ip", "ip.src"), ("ipv6", "ipv6.src"), ("tcp", "tcp.srcport"),
                         ("udp", "udp.srcport"), ("sctp", "sctp.srcport")):
        if cnt[layer] != len(fr.f[field]):
            return None, "tshark fields do not line up with layers (%s: %d layers, %d values)" % (
                layer, cnt[layer], len(fr.f[field]))

    pos = ip_idx[0]  # D1
    gtp = None
    while True:  # D2
        nxt = pos + 1
        if (nxt + 2 < len(L) and L[nxt] == "udp" and L[nxt + 1] == "gtp"
                and L[nxt + 2] in ("ip", "ipv6")):
            sp = _int(_nth(fr, "udp.srcport", occ[nxt]))
            dp = _int(_nth(fr, "udp.dstport", occ[nxt]))
            msg = _int(_nth(fr, "gtp.message", gtpmsg_occ[nxt + 1]))
            if GTPU_PORT in (sp, dp) and msg == GTP_GPDU:
                fam = "ip" if L[pos] == "ip" else "ipv6"
                teid = None
                if len(fr.f["gtp.teid"]) == L.count("gtp"):
                    teid = _int(_nth(fr, "gtp.teid", occ[nxt + 1]))
                gtp = (teid, norm_ip(_nth(fr, fam + ".src", occ[pos])),
                       norm_ip(_nth(fr, fam + ".dst", occ[pos])))
                pos = nxt + 2
                continue
        break

    fam = L[pos]
    src = _nth(fr, fam + ".src", occ[pos])
    dst = _nth(fr, fam + ".dst", occ[pos])
    if src is None or dst is None:
        return None, "ip layer without addresses (truncated?)"
    src, dst = norm_ip(src), norm_ip(dst)
    t = pos + 1  # D3
    while t < len(L) and L[t] in IPV6_EXT_LAYERS and fam == "ipv6":
        t += 1
    tname = L[t] if t < len(L) else None
    # D6: a fragment whose datagram tshark did not reassemble makes no flow
    reasm = fr.f["ip.fragment"] + fr.f["ipv6.fragment"]
    if not reasm:
        if fam == "ip":
            mf = _int(_nth(fr, "ip.flags.mf", occ[pos])) or 0
            off = _int(_nth(fr, "ip.frag_offset", occ[pos])) or 0
            if mf or off:
                return None, "IPv4 fragment never reassembled"
        elif "ipv6.fraghdr" in L[pos + 1:t + 1]:
            return None, "IPv6 fragment never reassembled"
    p = Pkt()
    p.num, p.ts, p.nbytes, p.nframes = fr.num, fr.ts, fr.len, 1
    p.tcp_flags = p.icmp = None
    p.gtp = gtp
    p.frags = 0
    p.vlan = None
    for n, i in zip(L, range(len(L))):
        if n == "vlan":
            p.vlan = _nth(fr, "vlan.id", occ[i])
            break
        if n == "ieee8021ad":
            p.vlan = _nth(fr, "ieee8021ad.id", occ[i])
            break
        if n in ("ip", "ipv6"):
            break
    sport = dport = None
    if tname in ("tcp", "udp", "sctp"):
        sport = _int(_nth(fr, tname + ".srcport", occ[t]))
        dport = _int(_nth(fr, tname + ".dstport", occ[t]))
        if sport is None or dport is None:
            return None, "%s layer without ports (truncated?)" % tname
        proto = LAYER_PROTO[tname]
        if tname == "tcp":
            p.tcp_flags = _int(_nth(fr, "tcp.flags", occ[t]))
    elif tname in ("icmp", "icmpv6"):
        proto = LAYER_PROTO[tname]
        ty = _int(_nth(fr, tname + ".type", occ[t]))
        co = _int(_nth(fr, tname + ".code", occ[t]))
        p.icmp = (ty, co)
    else:
        proto = None
        if fam == "ip":
            proto = _int(_nth(fr, "ip.proto", occ[pos]))
        elif t == pos + 1:
            proto = _int(_nth(fr, "ipv6.nxt", occ[pos]))
        if proto is None and tname in LAYER_PROTO:
            proto = LAYER_PROTO[tname]
        if proto is None:
            return None, "no transport protocol number for layer %r" % tname
    p.proto = proto
    a, b = (src, sport), (dst, dport)
    p.key = (proto,) + tuple(sorted([a, b], key=_ep_sort))
    p.sender = a
    return p, None


def _ep_sort(ep):
    ip = ipaddress.ip_address(ep[0])
    return (ip.version, ip.packed, -1 if ep[1] is None else ep[1])


def tshark_packets(frames):
    """Apply D6 (fragments) on top of frame_flow(). Returns (pkts, skipped)."""
    by_num = {}
    pending = collections.defaultdict(list)  # completing frame -> fragment frames
    skipped = collections.Counter()
    for fr in frames:
        rin = fr.f["ip.reassembled_in"] + fr.f["ipv6.reassembled.in"]
        if rin:
            target = int(rin[-1])
            if target != fr.num:
                pending[target].append(fr)
                continue
        by_num[fr.num] = fr
    pkts = []
    for num in sorted(by_num):
        fr = by_num[num]
        p, why = frame_flow(fr)
        if p is None:
            skipped[why] += 1
            continue
        frags = pending.pop(num, [])
        nfrag_list = fr.f["ip.fragment"] + fr.f["ipv6.fragment"]
        if frags or nfrag_list:
            p.nframes += len(frags)
            p.nbytes += sum(x.len for x in frags)
            p.frags = len(frags) + 1
        pkts.append(p)
    for num, frs in pending.items():
        skipped["fragment of datagram completed in frame %d not decodable" % num] += len(frs)
    return pkts, skipped


def tcp_letters(v):
    return "".join(ch for bit, ch in TCP_LETTERS if v & bit)


class SimFlow:
    def __init__(self, p):
        self.first = self.last = p.ts
        self.initiator = p.sender
        self.ep = collections.defaultdict(lambda: [0, 0])
        self.flags = collections.defaultdict(int)
        self.fin = set()
        self.rst = False
        self.icmp = p.icmp
        self.frags = 0
        self.vlans = set()
        self.gtp = set()
        self.ambiguous = False
        self.nums = []
        self.reasons = None  # acceptable event.reason values; None: not checked

    def add(self, p):
        self.last = max(self.last, p.ts)
        e = self.ep[p.sender]
        e[0] += p.nframes
        e[1] += p.nbytes
        self.frags += p.frags
        self.vlans.add(p.vlan)
        if p.gtp:
            self.gtp.add(p.gtp)
        self.nums.append(p.num)
        if p.tcp_flags is not None:
            self.flags[p.sender] |= p.tcp_flags & 0xFF
            if p.tcp_flags & 0x01:
                self.fin.add(p.sender)
            if p.tcp_flags & 0x04:
                self.rst = True

    def timeout_s(self, proto, nsides):
        if proto == 6:
            if self.rst or (len(self.fin) >= 2 or (nsides == 1 and self.fin)):
                return TCP_CLOSED_S
            return TCP_IDLE_S
        if proto == 17:
            return UDP_IDLE_S
        return OTHER_IDLE_S


class RangeMax:
    """Maximum of a[i..j] in O(1) after O(n log n) set-up (sparse table)."""

    def __init__(self, a):
        self.t = [list(a)]
        k = 1
        while (1 << k) <= len(a):
            prev, half = self.t[-1], 1 << (k - 1)
            self.t.append([max(prev[i], prev[i + half]) for i in range(len(a) - (1 << k) + 1)])
            k += 1

    def query(self, i, j):
        if i > j:
            return None
        k = (j - i + 1).bit_length() - 1
        return max(self.t[k][i], self.t[k][j - (1 << k) + 1])


def _end_reasons(f, proto, nsides, gap, syn):
    """event.reason values acceptable for a flow that ended before the capture did."""
    if proto == 6 and f.timeout_s(proto, nsides) == TCP_CLOSED_S:
        return {"tcp_close"}
    if syn:  # a new SYN after a one-sided FIN ended it
        return {"tcp_close", "idle_timeout"}
    return {"idle_timeout"}


def simulate(pkts, frames):
    """Group tshark packets into the flow events apnwatch ought to make.

    Timeouts run on packet time: a flow is over once a later packet (of any
    flow, in capture order) is more than the timeout past the flow's last
    packet.  Packet times can go back (merged captures), so the clock seen
    between two packets of a 5-tuple is the latest time of the flow packets
    in between, and a flow still open at the end of the capture ends as
    end_of_capture unless a packet after its last one timed it out.
    Frames that make no flow (non-IP, lone fragments) do not move the clock.
    """
    clock = RangeMax([p.ts for p in pkts])
    index = {p.num: i for i, p in enumerate(pkts)}
    last_i = len(pkts) - 1
    by_key = collections.defaultdict(list)
    for p in pkts:
        by_key[p.key].append(p)
    flows = {}
    for key, ps in by_key.items():
        proto = key[0]
        nsides = len(set(key[1:]))
        evs = []
        cur = None
        prev_i = None
        for p in ps:  # capture order
            i = index[p.num]
            if cur is not None:
                now = clock.query(prev_i + 1, i)
                gap = now - cur.last
                to = cur.timeout_s(proto, nsides)
                split = gap > to * 1000000
                if abs(gap - to * 1000000) <= TIMEOUT_MARGIN_S * 1000000:
                    cur.ambiguous = True
                if (not split and proto == 6 and (cur.fin or cur.rst) and p.tcp_flags is not None
                        and (p.tcp_flags & 0x12) == 0x02):
                    split = True
                if split:
                    cur.reasons = _end_reasons(cur, proto, nsides, gap, syn=gap <= to * 1000000)
                    evs.append(cur)
                    cur = None
            if cur is None:
                cur = SimFlow(p)
            cur.add(p)
            prev_i = i
        # the last flow of the 5-tuple: timed out before the capture ended?
        end_clock = clock.query(prev_i + 1, last_i)
        gap = (end_clock if end_clock is not None else cur.last) - cur.last
        to = cur.timeout_s(proto, nsides)
        if abs(gap - to * 1000000) <= TIMEOUT_MARGIN_S * 1000000:
            cur.reasons = None
        elif gap > to * 1000000:
            cur.reasons = _end_reasons(cur, proto, nsides, gap, syn=False)
        else:
            cur.reasons = {"end_of_capture"}
            if proto == 6 and cur.timeout_s(proto, nsides) == TCP_CLOSED_S:
                cur.reasons.add("tcp_close")  # closed, 10 s not over yet: either
        evs.append(cur)
        flows[key] = evs
    return flows


# ===========================================================================
# apnwatch side
# ===========================================================================
def load_validator_module():
    path = os.path.join(HERE, "validate-events")
    loader = importlib.machinery.SourceFileLoader("validate_events", path)
    spec = importlib.util.spec_from_loader("validate_events", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def run_apnwatch(binary, path, tmpdir):
    out = os.path.join(tmpdir, "out.jsonl")
    cmd = [binary, "-r", path, "--json", "--observer-name", "tshark-diff", "-o", out]
    for n in DEVICE_NETS:
        cmd += ["--device-net", n]
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    el = time.monotonic() - t0
    lines = []
    if os.path.exists(out):
        with open(out, encoding="utf-8", errors="replace") as f:
            lines = f.readlines()
    return p.returncode, p.stderr.decode(errors="replace"), lines, el


def apn_events(lines):
    evs, stats = [], None
    for line in lines:
        try:
            e = json.loads(line)
        except ValueError:
            continue
        ds = e.get("event", {}).get("dataset")
        if ds == "apnwatch.flow":
            evs.append(e)
        elif ds == "apnwatch.stats":
            stats = e
    return evs, stats


def apn_key(e):
    proto = int(e["network"]["iana_number"])
    s, d = e["source"], e["destination"]
    a = (norm_ip(s["ip"]), s.get("port"))
    b = (norm_ip(d["ip"]), d.get("port"))
    return (proto,) + tuple(sorted([a, b], key=_ep_sort)), a, b


def key_text(key):
    proto = key[0]
    names = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6"}

    def ep(e):
        ip, port = e
        ips = "[%s]" % ip if ":" in ip else ip
        return ips if port is None else "%s:%d" % (ips, port)
    return "%s %s <-> %s" % (names.get(proto, "proto%d" % proto), ep(key[1]), ep(key[2]))


def us_text(us):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(us // 1000000)) + ".%06dZ" % (us % 1000000)


# ===========================================================================
# comparison
# ===========================================================================
def compare(frames, pkts, sim, evs, stats):
    """Returns a list of diff dicts."""
    diffs = []

    def diff(kind, key, msg, **kw):
        d = {"kind": kind, "key": key_text(key) if key else None, "msg": msg}
        d.update(kw)
        diffs.append(d)

    # capture totals
    if stats is not None:
        cap = stats.get("apnwatch", {}).get("stats", {}).get("capture", {})
        tp, tb = len(frames), sum(f.len for f in frames)
        if cap.get("packets") != tp or cap.get("bytes") != tb:
            diff("capture-totals", None, "stats capture packets/bytes %s/%s, tshark %d/%d"
                 % (cap.get("packets"), cap.get("bytes"), tp, tb))

    apn = collections.defaultdict(list)
    for e in evs:
        try:
            k, a, b = apn_key(e)
        except (KeyError, ValueError, TypeError):
            diff("bad-event", None, "flow event without a usable 5-tuple: %s" % json.dumps(e)[:200])
            continue
        apn[k].append((e, a, b))

    for key in sorted(set(sim) | set(apn), key=lambda k: (k[0], _ep_sort(k[1]), _ep_sort(k[2]))):
        t_evs = sim.get(key, [])
        a_evs = sorted(apn.get(key, []), key=lambda x: (x[0]["event"]["start"], x[0]["event"]["sequence"]))
        t_ep = collections.defaultdict(lambda: [0, 0])
        for f in t_evs:
            for ep, (n, b) in f.ep.items():
                t_ep[ep][0] += n
                t_ep[ep][1] += b
        a_ep = collections.defaultdict(lambda: [0, 0])
        for e, a, b in a_evs:
            a_ep[a][0] += e["source"]["packets"]
            a_ep[a][1] += e["source"]["bytes"]
            a_ep[b][0] += e["destination"]["packets"]
            a_ep[b][1] += e["destination"]["bytes"]

        def fmt(d):
            return ", ".join("%s sent %d pkts/%d B" % (key_text((0, ep, ep)).split(" ")[1], v[0], v[1])
                             for ep, v in sorted(d.items(), key=lambda x: _ep_sort(x[0])) if v[0] or v[1])
        if not a_evs:
            frames_ = sorted(n for f in t_evs for n in f.nums)
            diff("only-tshark", key, "tshark: %s (frames %s)" % (fmt(t_ep), _ranges(frames_)),
                 frames=frames_)
            continue
        if not t_evs:
            diff("only-apnwatch", key, "apnwatch: %s in %d event(s)" % (fmt(a_ep), len(a_evs)))
            continue
        tn = {ep: v for ep, v in t_ep.items() if v[0] or v[1]}
        an = {ep: v for ep, v in a_ep.items() if v[0] or v[1]}
        if tn != an:
            diff("counts", key, "tshark: %s | apnwatch: %s" % (fmt(tn), fmt(an)),
                 tshark=tn, apnwatch=an)
            continue

        # totals agree: now the finer points
        ambiguous = any(f.ambiguous for f in t_evs)
        if len(t_evs) != len(a_evs):
            if not ambiguous:
                diff("split", key, "tshark+timeouts expect %d flow event(s) starting %s; apnwatch made %d starting %s"
                     % (len(t_evs), ",".join(us_text(f.first) for f in t_evs), len(a_evs),
                        ",".join(e["event"]["start"] for e, _, _ in a_evs)))
        else:
            for i, (f, (e, a, b)) in enumerate(zip(t_evs, a_evs)):
                ev_ep = {a: [e["source"]["packets"], e["source"]["bytes"]]}
                if b != a:
                    ev_ep[b] = [e["destination"]["packets"], e["destination"]["bytes"]]
                else:
                    ev_ep[a] = [ev_ep[a][0] + e["destination"]["packets"], ev_ep[a][1] + e["destination"]["bytes"]]
                fe = {ep: v for ep, v in f.ep.items() if v[0] or v[1]}
                ev_ep = {ep: v for ep, v in ev_ep.items() if v[0] or v[1]}
                if fe != ev_ep:
                    diff("event-counts", key, "event %d: tshark %s | apnwatch %s" % (i + 1, fmt(fe), fmt(ev_ep)))
                t0, t1 = us_text(f.first), us_text(f.last)
                if (e["event"]["start"], e["event"]["end"]) != (t0, t1):
                    if not (f.frags and e["event"]["end"] == t1):
                        diff("times", key, "event %d: tshark first/last packet %s / %s, apnwatch start/end %s / %s"
                             % (i + 1, t0, t1, e["event"]["start"], e["event"]["end"]))
                if f.reasons and not ambiguous and e["event"]["reason"] not in f.reasons:
                    diff("reason", key, "event %d: event.reason %s, expected %s"
                         % (i + 1, e["event"]["reason"], " or ".join(sorted(f.reasons))))
                init = a if e["apnwatch"]["flow"]["initiator"] == "source" else b
                if init != f.initiator and a != b:
                    diff("initiator", key, "event %d: first packet sent by %s, apnwatch initiator %s"
                         % (i + 1, key_text((0, f.initiator, f.initiator)).split(" ")[1],
                            key_text((0, init, init)).split(" ")[1]))
                # device side and direction (contract: source = device side)
                sdev, ddev = is_device(a[0]), is_device(b[0])
                if ddev and not sdev:
                    diff("sides", key, "event %d: source %s is outside the device networks, destination %s inside"
                         % (i + 1, a[0], b[0]))
                want_dir = ("internal" if sdev and ddev else
                            "outbound" if init == a else "inbound")
                if e["network"]["direction"] != want_dir:
                    diff("direction", key, "event %d: network.direction %s, expected %s (source %s device net, "
                         "destination %s, initiator %s)"
                         % (i + 1, e["network"]["direction"], want_dir, "in" if sdev else "not in",
                            "in" if ddev else "not in", e["apnwatch"]["flow"]["initiator"]))
                if key[0] in (1, 58):
                    ic = e["apnwatch"]["flow"].get("icmp", {})
                    if (ic.get("type"), ic.get("code")) != tuple(f.icmp or (None, None)):
                        diff("icmp", key, "event %d: first packet type/code %s, apnwatch %s"
                             % (i + 1, f.icmp, (ic.get("type"), ic.get("code"))))

        # tcp flags, union per side over all events
        if key[0] == 6:
            tf = collections.defaultdict(int)
            for f in t_evs:
                for ep, v in f.flags.items():
                    tf[ep] |= v
            af = collections.defaultdict(str)
            for e, a, b in a_evs:
                fl = e["apnwatch"]["flow"].get("tcp_flags", {})
                af[a] = _merge_letters(af[a], fl.get("source", ""))
                af[b] = _merge_letters(af[b], fl.get("destination", ""))
            eps = set(tf) | set(af)
            mism = ["%s: tshark %s apnwatch %s" % (key_text((0, ep, ep)).split(" ")[1],
                                                   tcp_letters(tf.get(ep, 0)) or "-", af.get(ep, "") or "-")
                    for ep in sorted(eps, key=_ep_sort) if tcp_letters(tf.get(ep, 0)) != af.get(ep, "")]
            if mism:
                diff("tcp-flags", key, "; ".join(mism))

        # fragments
        tfr = sum(f.frags for f in t_evs)
        afr = sum(e["apnwatch"]["flow"].get("fragments", 0) for e, _, _ in a_evs)
        if tfr != afr:
            diff("fragments", key, "fragment frames: tshark %d, apnwatch %d" % (tfr, afr))

        # vlan: apnwatch's (outermost) VLAN must be one tshark saw on this 5-tuple
        tv = set()
        for f in t_evs:
            tv |= f.vlans
        for e, _, _ in a_evs:
            av = e.get("network", {}).get("vlan", {}).get("id")
            if av not in tv:
                diff("vlan", key, "apnwatch vlan %s, tshark outermost VLAN(s) %s"
                     % (av, sorted(str(x) for x in tv)))
                break

        # GTP-U
        tg = set()
        for f in t_evs:
            tg |= f.gtp
        for e, _, _ in a_evs:
            g = e["apnwatch"].get("gtp")
            if not tg and g:
                diff("gtp", key, "apnwatch says GTP-U (teid %s), tshark saw no G-PDU" % g.get("teid"))
                break
            if tg and not g:
                diff("gtp", key, "tshark saw GTP-U TEID(s) %s, apnwatch has no apnwatch.gtp"
                     % sorted("0x%08x" % t[0] for t in tg if t[0] is not None))
                break
            if g:
                tun = g.get("tunnel", {})
                pair = {norm_ip(tun.get("source_ip", "0.0.0.0")), norm_ip(tun.get("destination_ip", "0.0.0.0"))}
                ok_teid = any(t[0] == g.get("teid") or t[0] is None for t in tg)
                ok_tun = any({t[1], t[2]} == pair for t in tg)
                if not (ok_teid and ok_tun):
                    diff("gtp", key, "apnwatch teid %s tunnel %s; tshark saw %s"
                         % (g.get("teid"), sorted(pair),
                            sorted("0x%08x %s>%s" % (t[0] or 0, t[1], t[2]) for t in tg)))
                    break
    return diffs


def _merge_letters(a, b):
    s = set(a) | set(b)
    return "".join(ch for _, ch in TCP_LETTERS if ch in s)


def _ranges(nums):
    out, i = [], 0
    nums = sorted(nums)
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[i]) if i == j else "%d-%d" % (nums[i], nums[j]))
        i = j + 1
    s = ",".join(out)
    return s if len(s) < 80 else s[:77] + "..."


# ===========================================================================
# driver
# ===========================================================================
def check_capture(path, rel, args, ve):
    res = {"rel": rel, "errors": [], "diffs": [], "explained": [], "summary": ""}
    with tempfile.TemporaryDirectory(prefix="tshark-diff.") as tmp:
        try:
            rc, err, lines, el = run_apnwatch(args.apnwatch, path, tmp)
        except subprocess.TimeoutExpired:
            res["errors"].append("apnwatch did not finish within 300 s")
            return res
        if rc != 0:
            res["errors"].append("apnwatch exit status %d: %s" % (rc, err.strip()[-400:]))
        verrs = ve.validate_lines(lines)
        for ln, msg in verrs[:10]:
            res["errors"].append("validate-events line %d: %s" % (ln, msg))
        if len(verrs) > 10:
            res["errors"].append("validate-events: %d more errors" % (len(verrs) - 10))
        try:
            frames = parse_tshark(run_tshark(args.tshark, path, tmp))
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            res["errors"].append(str(e))
            return res
    pkts, skipped = tshark_packets(frames)
    sim = simulate(pkts, frames)
    evs, stats = apn_events(lines)
    diffs = compare(frames, pkts, sim, evs, stats)
    for d in diffs:
        rule = next((r for r in RULES if r.match(rel, d)), None)
        if rule:
            rule.used += 1
            res["explained"].append((d, rule.name))
        else:
            res["diffs"].append(d)
    res["summary"] = ("%d frames, %d tshark 5-tuples, %d apnwatch flow events, %d diffs (%d explained), %.2fs"
                      % (len(frames), len(sim), len(evs), len(diffs), len(res["explained"]), el))
    res["skipped"] = skipped
    if args.show:
        res["show"] = show_table(sim, evs, skipped)
    return res


def show_table(sim, evs, skipped):
    rows = []
    apn = collections.defaultdict(list)
    for e in evs:
        try:
            apn[apn_key(e)[0]].append(e)
        except (KeyError, ValueError, TypeError):
            pass
    for key in sorted(set(sim) | set(apn), key=lambda k: (k[0], _ep_sort(k[1]), _ep_sort(k[2]))):
        t = sim.get(key, [])
        tp = sum(v[0] for f in t for v in f.ep.values())
        tb = sum(v[1] for f in t for v in f.ep.values())
        ap_ = sum(e["network"]["packets"] for e in apn.get(key, []))
        ab = sum(e["network"]["bytes"] for e in apn.get(key, []))
        extra = []
        if any(f.gtp for f in t):
            extra.append("gtp")
        if any(f.frags for f in t):
            extra.append("frags=%d" % sum(f.frags for f in t))
        rows.append("      %-60s tshark %d ev %d pkts %d B | apnwatch %d ev %d pkts %d B %s"
                    % (key_text(key), len(t), tp, tb, len(apn.get(key, [])), ap_, ab, " ".join(extra)))
    for why, n in sorted(skipped.items()):
        rows.append("      (tshark frames in no flow: %d %s)" % (n, why))
    return rows


def find_pcaps(root):
    out = []
    for d, _, files in os.walk(root):
        for f in files:
            if f.endswith((".pcap", ".pcapng", ".cap")):
                out.append(os.path.join(d, f))
    return sorted(out)


def default_pcaps_dir():
    if os.environ.get("APN_PUBLIC_PCAPS"):
        return os.environ["APN_PUBLIC_PCAPS"]
    srcdir = os.environ.get("srcdir", os.path.join(HERE, ".."))
    for c in (os.path.join(srcdir, "..", "shared", "pcaps", "public"), "/work/shared/pcaps/public"):
        if os.path.isdir(c):
            return os.path.normpath(c)
    return os.path.normpath(os.path.join(srcdir, "..", "shared", "pcaps", "public"))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--apnwatch", default=os.environ.get("APNWATCH", "./src/apnwatch"))
    ap.add_argument("--tshark", default=os.environ.get("TSHARK", "tshark"))
    ap.add_argument("--pcaps", default=None, help="captures directory (default $APN_PUBLIC_PCAPS, "
                    "$srcdir/../shared/pcaps/public, /work/shared/pcaps/public)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("-v", "--verbose", action="store_true", help="also print explained differences")
    ap.add_argument("--max-diffs", type=int, default=8, help="differences printed per kind and capture")
    ap.add_argument("--show", action="store_true", help="print every 5-tuple with tshark's and apnwatch's numbers")
    ap.add_argument("files", nargs="*", help="captures (default: all under --pcaps)")
    args = ap.parse_args(argv)

    if not shutil.which(args.tshark):
        print("SKIP: tshark not found (apt-get install tshark)")
        return 77
    if not os.access(args.apnwatch, os.X_OK):
        print("ERROR: apnwatch binary %s not found (set APNWATCH)" % args.apnwatch)
        return 1
    args.apnwatch = os.path.abspath(args.apnwatch)
    root = os.path.abspath(args.pcaps or default_pcaps_dir())
    files = [os.path.abspath(f) for f in args.files]
    if not files:
        files = find_pcaps(root)
        if not files:
            print("ERROR: no captures under %s (set APN_PUBLIC_PCAPS)" % root)
            return 1
        # the golden captures get the same cross-check
        golden = os.path.join(os.environ.get("srcdir", os.path.join(HERE, "..")), "tests", "pcaps")
        files += find_pcaps(os.path.abspath(golden))
    ve = load_validator_module()
    ve.load_validator()  # fail early if jsonschema is missing

    t0 = time.monotonic()
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futs = {}
        for f in files:
            rel = os.path.relpath(f, root) if f.startswith(root + os.sep) else os.path.relpath(f)
            futs[ex.submit(check_capture, f, rel, args, ve)] = rel
        for fut in concurrent.futures.as_completed(futs):
            rel = futs[fut]
            try:
                results[rel] = fut.result()
            except Exception as e:  # report, do not hide
                results[rel] = {"rel": rel, "errors": ["internal error: %r" % e], "diffs": [],
                                "explained": [], "summary": ""}

    nbad = ndiff = nexpl = 0
    for rel in sorted(results):
        r = results[rel]
        bad = bool(r["errors"] or r["diffs"])
        nbad += bad
        ndiff += len(r["diffs"])
        nexpl += len(r["explained"])
        print("%s %s: %s" % ("FAIL" if bad else "ok  ", rel, r["summary"] or "-"))
        for e in r["errors"]:
            print("    error: %s" % e)
        for row in r.get("show", []):
            print(row)
        shown = collections.Counter()
        for d in r["diffs"]:
            shown[d["kind"]] += 1
            if shown[d["kind"]] <= args.max_diffs:
                print("    DIFF %-13s %s%s" % (d["kind"], (d["key"] + ": ") if d["key"] else "", d["msg"]))
        for kind, n in sorted(shown.items()):
            if n > args.max_diffs:
                print("    ... and %d more %s differences" % (n - args.max_diffs, kind))
        if args.verbose:
            for d, name in r["explained"]:
                print("    explained by %s: %s %s%s" % (name, d["kind"], (d["key"] + ": ") if d["key"] else "", d["msg"]))
    stale = [r for r in RULES if r.used == 0]
    if stale and len(files) > 1:
        for r in stale:
            print("warning: rule %s explained nothing (stale?)" % r.name)
    print("tshark-diff: %d captures, %d unexplained differences, %d explained by %d rules, %.1fs"
          % (len(results), ndiff, nexpl, len(RULES) - len(stale), time.monotonic() - t0))
    print("tshark-diff: %d passed, %d failed" % (len(results) - nbad, nbad))
    return 1 if nbad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
