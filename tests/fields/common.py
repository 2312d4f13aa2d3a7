"""common.py: shared pieces of the per-dissector differential tests against tshark.

A test (tests/fields/<name>.py) picks captures, runs apnwatch and tshark on each,
and compares the fields both tools extract, flow by flow:

    import common
    rep = common.Report("dns")
    rep.rule("no-tcp-dns", "tshark decodes DNS over TCP port 5353 too; we take 53 only",
             lambda cap, key, field, ours, theirs: ...)
    for cap in common.captures(protocol_filter="dns"):
        flows = common.run_apnwatch(cap)              # flow events, by 5-tuple key
        rows = common.tshark(cap, ["dns.qry.name"], display_filter="dns")
        for r in rows:
            key = common.packet_key(r)                # same key as flow events'
            ...
            rep.compare(cap, key, "dns.question.name", ours, theirs)
    sys.exit(rep.finish())

Keys: ("tcp"|"udp", frozenset({(ip, port), (ip, port)})).  tshark rows always carry
frame.number, the innermost ip/ipv6 addresses and tcp/udp ports (occurrence=l,
so the inner packet of a GTP-U tunnel wins), plus the fields asked for, each as a
list of strings (all occurrences).  Set APNWATCH, APN_PUBLIC_PCAPS, TSHARK in the
environment to override paths.
"""

import glob
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("srcdir") or os.path.normpath(os.path.join(HERE, "..", ".."))
SRCDIR = os.path.abspath(SRCDIR)


def apnwatch_bin():
    b = os.environ.get("APNWATCH")
    if b:
        return b
    for cand in ("./src/apnwatch", os.path.join(SRCDIR, "src", "apnwatch")):
        if os.path.exists(cand):
            return os.path.abspath(cand)
    sys.exit("apnwatch binary not found (set APNWATCH)")


def public_dir():
    for cand in (os.environ.get("APN_PUBLIC_PCAPS"),
                 os.path.join(SRCDIR, "..", "shared", "pcaps", "public"),
                 "/work/shared/pcaps/public"):
        if cand and os.path.isdir(cand):
            return os.path.abspath(cand)
    return None


def captures(protocol_filter=None, include_public=True, include_local=True, extra=()):
    """Capture files to test: the public ones and tests/pcaps/*.pcap.  With
    protocol_filter (a tshark display filter), only those where tshark finds
    at least one matching packet."""
    out = []
    pub = public_dir()
    if include_public and pub:
        for p in sorted(glob.glob(os.path.join(pub, "**", "*.pcap*"), recursive=True)):
            out.append(p)
    if include_local:
        out += sorted(glob.glob(os.path.join(SRCDIR, "tests", "pcaps", "*.pcap")))
    out += list(extra)
    if protocol_filter:
        out = [p for p in out if _has_packets(p, protocol_filter)]
    return out


def _has_packets(path, display_filter):
    r = subprocess.run([os.environ.get("TSHARK", "tshark"), "-r", path, "-Y", display_filter,
                        "-T", "fields", "-e", "frame.number", "-c", "1000000"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return bool(r.stdout.strip())


def short(path):
    """A capture's name for messages: relative to the public dir or the repo."""
    pub = public_dir()
    if pub and path.startswith(pub + os.sep):
        return os.path.relpath(path, pub)
    return os.path.relpath(path, SRCDIR)


def event_key(ev):
    t = ev["network"]["transport"]
    a = (ev["source"]["ip"], ev["source"].get("port"))
    b = (ev["destination"]["ip"], ev["destination"].get("port"))
    return (t, frozenset((a, b)))


def run_apnwatch(path, *args):
    """Runs apnwatch on path; returns (dict key -> list of flow events, stats).
    Raises on a non-zero exit."""
    with tempfile.NamedTemporaryFile(suffix=".jsonl") as tmp:
        cmd = [apnwatch_bin(), "-r", path, "--json", "-o", tmp.name] + list(args)
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise RuntimeError("%s exited %d: %s" % (" ".join(cmd), r.returncode, r.stderr))
        flows, stats = {}, None
        with open(tmp.name, encoding="utf-8") as f:
            for line in f:
                ev = json.loads(line)
                ds = ev["event"]["dataset"]
                if ds == "apnwatch.flow":
                    flows.setdefault(event_key(ev), []).append(ev)
                elif ds == "apnwatch.stats":
                    stats = ev
        return flows, stats


def get(ev, path, default=None):
    """Dotted getter: get(ev, "tls.client.server_name")."""
    cur = ev
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return default
        cur = cur[part]
    return cur


_BASE = ["frame.number", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
         "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport"]


def tshark(path, fields, display_filter=None, extra_args=()):
    """Per-packet rows: dict field -> list of strings (all occurrences; the
    base address/port fields hold the last occurrence only, as a string)."""
    cmd = [os.environ.get("TSHARK", "tshark"), "-r", path, "-T", "fields", "-E",
           "separator=/t", "-E", "occurrence=a", "-E", "aggregator=\x1f"]
    cmd += list(extra_args)
    if display_filter:
        cmd += ["-Y", display_filter]
    allf = _BASE + [f for f in fields if f not in _BASE]
    for f in allf:
        cmd += ["-e", f]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       errors="replace")
    rows = []
    for line in r.stdout.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(allf) - len(cols))
        row = {}
        for name, val in zip(allf, cols):
            vals = val.split("\x1f") if val != "" else []
            row[name] = (vals[-1] if vals else "") if name in _BASE else vals
        row["frame.number"] = int(row["frame.number"] or 0)
        rows.append(row)
    return rows


def packet_key(row):
    """The flow key of a tshark row (innermost addresses and ports)."""
    if row["tcp.srcport"]:
        t, sp, dp = "tcp", row["tcp.srcport"], row["tcp.dstport"]
    elif row["udp.srcport"]:
        t, sp, dp = "udp", row["udp.srcport"], row["udp.dstport"]
    else:
        return None
    src = row["ipv6.src"] or row["ip.src"]
    dst = row["ipv6.dst"] or row["ip.dst"]
    # With several IP layers (tunnels) tshark's "last occurrence" is the inner one
    # for both families only when the families agree; prefer the deepest family.
    return (t, frozenset(((src, int(sp)), (dst, int(dp)))))


def fmt_key(key):
    t, ends = key
    return "%s %s" % (t, " <-> ".join("%s:%s" % e for e in sorted(ends, key=str)))


class Report:
    """Collects comparisons; differences are failures unless a rule explains them."""

    def __init__(self, name):
        self.name = name
        self.rules = []
        self.checked = 0
        self.agree = 0
        self.explained = {}
        self.failures = []

    def rule(self, name, reason, pred):
        """pred(capture, key, field, ours, theirs) -> True when the difference is
        this rule's justified case."""
        self.rules.append((name, reason, pred))

    def compare(self, capture, key, field, ours, theirs):
        self.checked += 1
        if ours == theirs:
            self.agree += 1
            return True
        for name, reason, pred in self.rules:
            if pred(capture, key, field, ours, theirs):
                self.explained[name] = self.explained.get(name, 0) + 1
                return True
        self.failures.append("%s: %s %s: apnwatch %r, tshark %r"
                             % (short(capture), fmt_key(key) if key else "-", field, ours, theirs))
        return False

    def fail(self, msg):
        self.failures.append(msg)

    def finish(self):
        for f in self.failures[:50]:
            print("DIFF " + f)
        if len(self.failures) > 50:
            print("... %d more differences" % (len(self.failures) - 50))
        for name, reason, _ in self.rules:
            print("rule %-24s %5d  %s" % (name, self.explained.get(name, 0), reason))
        print("%s: %d fields compared, %d agree, %d explained, %d differ"
              % (self.name, self.checked, self.agree, sum(self.explained.values()),
                 len(self.failures)))
        ok = not self.failures and self.checked > 0
        if self.checked == 0:
            print("FAIL: nothing was compared")
        print("%d passed, %d failed" % (1 if ok else 0, 0 if ok else 1))
        return 0 if ok else 1
