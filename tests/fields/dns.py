#!/usr/bin/env python3
"""dns.py: differential test of apnwatch's DNS fields against tshark.

Captures: every public one and tests/pcaps/*.pcap where tshark finds DNS,
mDNS or LLMNR.  Both tools decode every message; per flow event (the
5-tuple, and the event's start..end time) the flow's first transaction is
taken from tshark's decode by the same rule apnwatch states (docs/events.md):
the first message; when it is a query, the first later answer with the same
ID, question name and type completes it.  Compared:

  dns.id                 dns.id of that first message
  dns.type               "answer" when an answer completes the transaction
  dns.question.name      dns.qry.name (first question)
  dns.question.type      dns.qry.type
  dns.response_code      dns.flags.rcode of the answer
  dns.resolved_ip        dns.a + dns.aaaa of the answer section (as sets)
  apnwatch.dns.queries   as a set: every question name of the flow's messages
                         (when the flow had at most 16 transactions)
  no DNS flow            apnwatch writes dns.* for no flow where tshark finds
                         no DNS

The name cache: from tshark's answers toward each flow's source (the device),
every A/AAAA at the end of the question's CNAME chain names its address for
min(TTL on the chain) seconds (TTL 0: one second).  Then every flow from that
device to that address that starts inside such a time must carry
destination.domain, and when apnwatch.server_name.source is "dns", it must be
one of the names valid then; a flow outside every such time must not be
named "dns"; DNS flows themselves carry no destination.domain.

Differences are failures unless a named rule below explains them.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

RESOLVER_NAMES = set()  # DNS flows to an address the device had asked the name of
MAX_LIST = 16
MAX_IPS = 32
FILTER = "dns || mdns || llmnr"

FIELDS = ["frame.time_epoch", "dns.id", "dns.flags.response", "dns.flags.rcode",
          "dns.flags.truncated", "dns.count.queries", "dns.count.answers",
          "dns.qry.name", "dns.qry.type", "dns.resp.name", "dns.resp.type",
          "dns.resp.ttl", "dns.a", "dns.aaaa", "dns.cname", "_ws.malformed",
          "frame.protocols"]

TYPES = {"A": 1, "NS": 2, "MD": 3, "MF": 4, "CNAME": 5, "SOA": 6, "MB": 7, "MG": 8,
         "MR": 9, "NULL": 10, "WKS": 11, "PTR": 12, "HINFO": 13, "MINFO": 14, "MX": 15,
         "TXT": 16, "RP": 17, "AFSDB": 18, "SIG": 24, "KEY": 25, "AAAA": 28, "LOC": 29,
         "SRV": 33, "NAPTR": 35, "KX": 36, "CERT": 37, "DNAME": 39, "OPT": 41, "APL": 42,
         "DS": 43, "SSHFP": 44, "IPSECKEY": 45, "RRSIG": 46, "NSEC": 47, "DNSKEY": 48,
         "DHCID": 49, "NSEC3": 50, "NSEC3PARAM": 51, "TLSA": 52, "SMIMEA": 53, "HIP": 55,
         "CDS": 59, "CDNSKEY": 60, "OPENPGPKEY": 61, "CSYNC": 62, "ZONEMD": 63,
         "SVCB": 64, "HTTPS": 65, "SPF": 99, "TKEY": 249, "TSIG": 250, "IXFR": 251,
         "AXFR": 252, "MAILB": 253, "MAILA": 254, "ANY": 255, "URI": 256, "CAA": 257}
RCODES = {"NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3, "NOTIMP": 4,
          "REFUSED": 5, "YXDOMAIN": 6, "YXRRSET": 7, "NXRRSET": 8, "NOTAUTH": 9,
          "NOTZONE": 10, "DSOTYPENI": 11}


def tshark_rows(path, fields, display_filter):
    """common.tshark, but a base field that is empty in a row (ipv6.src of an
    IPv4 packet, say) is "" instead of an IndexError in common.py (reported
    to the lead; remove this once common.tshark handles it)."""
    try:
        return common.tshark(path, fields, display_filter=display_filter)
    except IndexError:
        pass
    import subprocess
    cmd = [os.environ.get("TSHARK", "tshark"), "-r", path, "-T", "fields", "-E",
           "separator=/t", "-E", "occurrence=a", "-E", "aggregator=\x1f", "-Y", display_filter]
    allf = common._BASE + [f for f in fields if f not in common._BASE]
    for f in allf:
        cmd += ["-e", f]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       errors="replace")
    rows = []
    for line in r.stdout.split("\n"):
        if not line:
            continue
        cols = line.split("\t")
        cols += [""] * (len(allf) - len(cols))
        row = {}
        for name, val in zip(allf, cols):
            vals = val.split("\x1f") if val != "" else []
            row[name] = (vals[-1] if vals else "") if name in common._BASE else vals
        row["frame.number"] = int(row["frame.number"] or 0)
        rows.append(row)
    return rows


def code_num(s, table, prefix):
    if s is None:
        return None
    if s in table:
        return table[s]
    if s.startswith(prefix) and s[len(prefix):].isdigit():
        return int(s[len(prefix):])
    return s


def us_of_epoch(s):
    """tshark's frame.time_epoch ("1735689600.016000000") in microseconds."""
    sec, _, frac = s.partition(".")
    return int(sec) * 1000000 + int((frac + "000000")[:6])


def us_of_rfc3339(s):
    import calendar
    import time
    base, _, frac = s.rstrip("Z").partition(".")
    t = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S"))
    return t * 1000000 + int((frac + "000000")[:6])


def tnum(s):
    return int(s, 16) if s.startswith("0x") else int(s)


class Msg:
    """One DNS message of tshark's decode (one per row: see rule tcp-multi)."""

    def __init__(self, row):
        self.t = us_of_epoch(row["frame.time_epoch"][0])
        self.frame = row["frame.number"]
        self.src = row["ipv6.src"] or row["ip.src"]
        self.dst = row["ipv6.dst"] or row["ip.dst"]
        self.n_msgs = len(row["dns.id"])
        self.id = tnum(row["dns.id"][0]) if row["dns.id"] else None
        self.response = row["dns.flags.response"][:1] == ["1"] or \
            row["dns.flags.response"][:1] == ["True"]
        self.rcode = int(row["dns.flags.rcode"][0]) if row["dns.flags.rcode"] else None
        self.qname = row["dns.qry.name"][0] if row["dns.qry.name"] else None
        self.qtype = int(row["dns.qry.type"][0]) if row["dns.qry.type"] else None
        self.malformed = bool(row["_ws.malformed"])
        protos = (row["frame.protocols"] or [""])[0].split(":")
        ip_layers = sum(1 for p in protos if p in ("ip", "ipv6"))
        # Inside a tunnel apnwatch does not open (GRE, IP-in-IP, 6in4, an ICMP
        # error's quote): apnwatch's flow is the outer packet's.
        self.tunneled = ("icmp" in protos or "icmpv6" in protos or
                         (ip_layers > 1 and "gtp" not in protos))
        ancount = int(row["dns.count.answers"][0]) if row["dns.count.answers"] else 0
        # The answer section: the first ANCOUNT records tshark lists.
        names = row["dns.resp.name"][:ancount]
        types = [int(x) for x in row["dns.resp.type"][:ancount]]
        ttls = [int(x) for x in row["dns.resp.ttl"][:ancount]]
        a, aaaa, cname = list(row["dns.a"]), list(row["dns.aaaa"]), list(row["dns.cname"])
        self.answers = []  # (name, type, ttl, data)
        for i, ty in enumerate(types):
            data = None
            if ty == 1 and a:
                data = a.pop(0)
            elif ty == 28 and aaaa:
                data = aaaa.pop(0)
            elif ty == 5 and cname:
                data = cname.pop(0)
            ttl = ttls[i] if i < len(ttls) else 0
            self.answers.append((names[i] if i < len(names) else "", ty, ttl, data))
        self.ips = set(d for (_, ty, _, d) in self.answers if ty in (1, 28) and d)


def first_transaction(msgs):
    """(first message, its answer or None), by apnwatch's documented rule."""
    if not msgs:
        return None, None
    m0 = msgs[0]
    if m0.response:
        return m0, m0
    for m in msgs[1:]:
        if m.response and m.id == m0.id and m.qname == m0.qname and m.qtype == m0.qtype:
            return m0, m
    return m0, None


def chain_addresses(m):
    """{address: ttl} of the A/AAAA at the end of m's CNAME chain."""
    if m.qname is None:
        return {}
    reach = {m.qname.lower(): 2 ** 32 - 1}
    changed = True
    while changed:
        changed = False
        for (name, ty, ttl, data) in m.answers:
            if ty == 5 and data and name.lower() in reach and data.lower() not in reach:
                reach[data.lower()] = min(ttl, reach[name.lower()])
                changed = True
    out = {}
    for (name, ty, ttl, data) in m.answers:
        if ty in (1, 28) and data and name.lower() in reach:
            t = min(ttl, reach[name.lower()])
            if t >= 2 ** 31:
                t = 0
            out[data] = max(out.get(data, 0), max(min(t, 604800), 1))
    return out


def unescape(s):
    """ECS's \\DDD escapes back to bytes, as UTF-8 text."""
    out, i = bytearray(), 0
    while i < len(s):
        if s[i] == "\\" and s[i + 1:i + 4].isdigit():
            out.append(int(s[i + 1:i + 4]))
            i += 4
        else:
            out += s[i].encode()
            i += 1
    return out.decode("utf-8", "replace")


def utf8_escaped(ours, theirs):
    if isinstance(ours, list) and isinstance(theirs, list):
        return sorted(unescape(x) for x in ours) == sorted(theirs)
    return isinstance(ours, str) and isinstance(theirs, str) and unescape(ours) == theirs


def event_for(evs, t):
    """The flow event a message at time t belongs to: the one whose
    start..end holds t, else the nearest (a capture whose clock jumps back
    puts a packet before its flow's start)."""
    best = None
    for e in evs:
        a, b = event_span(e)
        if a <= t <= b:
            return e
        d = a - t if t < a else t - b
        if best is None or d < best[0]:
            best = (d, e)
    return best[1] if best else None


def event_span(ev):
    return us_of_rfc3339(ev["event"]["start"]), us_of_rfc3339(ev["event"]["end"])


def main():
    rep = common.Report("dns")
    per_field = {}
    compare = rep.compare

    def counted(cap, key, field, ours, theirs):
        per_field[field] = per_field.get(field, 0) + 1
        return compare(cap, key, field, ours, theirs)
    rep.compare = counted
    rep.rule("root-name", "tshark writes the root name as <Root>, apnwatch as \".\" (RFC 1035 5.1)",
             lambda cap, key, field, ours, theirs:
             field == "dns.question.name" and ours == "." and theirs == "<Root>")
    rep.rule("ecs-escapes",
             "ECS writes name bytes outside 32..126 as \\DDD; tshark shows them as UTF-8",
             lambda cap, key, field, ours, theirs:
             field in ("dns.question.name", "apnwatch.dns.queries") and utf8_escaped(ours, theirs))
    rep.rule("tunnel-not-opened",
             "DNS inside GRE, IP-in-IP, 6in4 or quoted in an ICMP error: apnwatch's flow is the "
             "outer packet's (docs/events.md), tshark decodes the inner DNS",
             lambda cap, key, field, ours, theirs:
             field == "flow" and str(theirs).startswith("tunneled"))
    rep.rule("resolver-answered",
             "the DNS server's own address was in an earlier answer to the device (it asked for "
             "the server's name): the registry names the flow from the cache like any other",
             lambda cap, key, field, ours, theirs:
             field == "dns.destination.domain" and theirs is None and ours in RESOLVER_NAMES)
    rep.rule("tcp-not-53",
             "tshark decodes DNS over TCP on ports 5353/5355 too; apnwatch takes TCP 53 only "
             "(a TCP stream picked up later cannot be framed)",
             lambda cap, key, field, ours, theirs:
             field == "flow" and key[0] == "tcp" and all(p != 53 for (_, p) in key[1]))
    rep.rule("malformed",
             "tshark marks the message malformed (it contradicts its own counts or lengths); "
             "apnwatch counts it invalid or truncated and keeps nothing from it",
             lambda cap, key, field, ours, theirs: theirs == "malformed")
    rep.rule("resolved-ip-cap",
             "apnwatch keeps the first %d addresses of an answer" % MAX_IPS,
             lambda cap, key, field, ours, theirs:
             field == "dns.resolved_ip" and len(ours) == MAX_IPS and set(ours) < set(theirs))
    rep.rule("names-per-address",
             "over 8 names were valid for the address when the flow started: the cache keeps "
             "8 per (device, address)",
             lambda cap, key, field, ours, theirs:
             field == "cache.domain" and isinstance(theirs, tuple) and theirs[0] == "replaced")

    caps = sys.argv[1:] or common.captures(protocol_filter=FILTER)
    for cap in caps:
        flows, _ = common.run_apnwatch(cap)
        rows = tshark_rows(cap, FIELDS, FILTER)
        by_key = {}
        for r in rows:
            key = common.packet_key(r)
            if key is None or not r["dns.id"]:
                continue
            by_key.setdefault(key, []).append(Msg(r))
        # Each message to its flow event: same key, time inside start..end.
        ev_msgs = {}
        for key, msgs in by_key.items():
            evs = flows.get(key, [])
            for m in msgs:
                ev = event_for(evs, m.t)
                if ev is None:
                    rep.compare(cap, key, "flow", "no flow event",
                                ("tunneled frame %d" if m.tunneled else "frame %d") % m.frame)
                    continue
                ev_msgs.setdefault(id(ev), (ev, []))[1].append(m)
        answered = {}  # (device, address) -> [(start_us, end_us, name)]
        for key, evs in flows.items():
            for ev in evs:
                ours = ev.get("dns")
                if id(ev) not in ev_msgs:
                    if ours is not None:
                        rep.compare(cap, key, "dns", "dns written", "no DNS")
                    continue
                msgs = ev_msgs[id(ev)][1]
                is_dns = common.get(ev, "apnwatch.dissector") == "dns"
                if not is_dns:
                    rep.compare(cap, key, "flow", "not taken by the DNS dissector",
                                "%d DNS messages" % len(msgs))
                    continue
                good = [m for m in msgs if not m.malformed]
                first, ans = first_transaction(good)
                if len(good) != len(msgs) and (first is None or msgs[0].malformed):
                    rep.compare(cap, key, "dns.first", ours is not None, "malformed")
                    continue
                if first is None:
                    continue
                if ours is None:
                    rep.compare(cap, key, "dns", None, "frame %d" % first.frame)
                    continue
                rep.compare(cap, key, "dns.id", int(ours["id"]), first.id)
                rep.compare(cap, key, "dns.type", ours["type"],
                            "answer" if ans else "query")
                q = ours.get("question", {})
                rep.compare(cap, key, "dns.question.name", q.get("name"), first.qname)
                rep.compare(cap, key, "dns.question.type",
                            code_num(q.get("type"), TYPES, "TYPE"), first.qtype)
                if ans:
                    rep.compare(cap, key, "dns.response_code",
                                code_num(ours.get("response_code"), RCODES, "RCODE"),
                                ans.rcode)
                    theirs = sorted(ans.ips)
                    mine = sorted(ours.get("resolved_ip", []))
                    rep.compare(cap, key, "dns.resolved_ip", mine, theirs)
                aw = common.get(ev, "apnwatch.dns") or {}
                if aw.get("transactions", 0) <= MAX_LIST:
                    rep.compare(cap, key, "apnwatch.dns.queries",
                                sorted(set(aw.get("queries", []))),
                                sorted(set(m.qname for m in good if m.qname is not None)))
                # Answers toward the flow's source teach the device.
                dev = ev["source"]["ip"]
                for m in good:
                    if not m.response or m.dst != dev or m.rcode != 0 or m.qname is None:
                        continue
                    for addr, ttl in chain_addresses(m).items():
                        answered.setdefault((dev, addr), []).append(
                            (m.t, m.t + ttl * 1000000, m.qname))
        check_cache(rep, cap, flows, answered)
    print("compared: " + ", ".join("%s %d" % kv for kv in sorted(per_field.items())))
    if any("apn-small" in c for c in caps) and not per_field.get("cache.domain"):
        rep.fail("no flow of the apngen captures was named from the DNS cache")
    sys.exit(rep.finish())


def check_cache(rep, cap, flows, answered):
    for key, evs in flows.items():
        for ev in evs:
            dev, srv = ev["source"]["ip"], ev["destination"]["ip"]
            start = event_span(ev)[0]
            spans = answered.get((dev, srv), [])
            valid = sorted(set(n for (a, b, n) in spans if a <= start < b))
            domain = ev["destination"].get("domain")
            how = common.get(ev, "apnwatch.server_name.source")
            if common.get(ev, "apnwatch.dissector") == "dns":
                if domain in valid:
                    RESOLVER_NAMES.add(domain)
                rep.compare(cap, key, "dns.destination.domain", domain, None)
                continue
            if not valid:
                if how == "dns":
                    rep.compare(cap, key, "cache.domain", domain, None)
                continue
            if how != "dns":
                # Named by its own protocol (SNI, Host, Uri-Host): only present.
                rep.compare(cap, key, "cache.domain_present", domain is not None, True)
                continue
            if domain in valid:
                rep.compare(cap, key, "cache.domain", domain, domain)
            else:
                rep.compare(cap, key, "cache.domain", domain,
                            ("replaced", valid) if len(valid) > 8 else valid)


if __name__ == "__main__":
    main()
