#!/usr/bin/env python3
"""gtpv2c.py: differential test of apnwatch.gtpv2c against tshark.

For every capture with GTPv2 over UDP (the public ones tshark finds GTPv2
in, and tests/pcaps/*.pcap, and the fuzz seeds fuzz/corpus/gtpv2c/ written out
as a capture by seed_capture(); or only the captures named on the command
line), both tools decode every GTPv2-C message (piggybacked ones too); per
flow event (5-tuple, and the time span of the event) we compare:

  messages      GTPv2 messages (gtpv2.message_type occurrences)
  types         messages per type (by name: TS 29.274 table 6.1-1)
  sessions      the first 16 Create Session exchanges, field by field:
                imsi (e212.imsi), mei (gtpv2.mei), msisdn (e164.msisdn),
                apn (gtpv2.apn), paa (gtpv2.pdn_type,
                gtpv2.pdn_addr_and_prefix.ipv4, .ipv6 and gtpv2.pdn_ipv6_len),
                rat_type (gtpv2.rat_type), uli (e212.tai/ecgi.mcc/mnc,
                gtpv2.tai_tac, gtpv2.ecgi_eci), cause (the response's
                top-level gtpv2.cause), session_id (the request's top-level
                F-TEID of instance 0: gtpv2.f_teid_gre_key @
                gtpv2.f_teid_ipv4 / ipv6), teids (the F-TEIDs inside Bearer
                Contexts: gtpv2.f_teid_interface_type, f_teid_gre_key, ipv4 /
                ipv6; the request's, then the response's; first 4)
  sessions_total, unmatched

Top-level and grouped IEs are told apart with tshark's JSON tree (-T json).
Requests and responses are paired here as TS 29.274 section 7.6 says
(sequence number; the response goes the other way), independently of
apnwatch: Echo, Create Session, Modify Bearer and Delete Session; at most
16 requests wait per flow (the oldest is dropped as unmatched); requests
never answered count as unmatched.  A response without its request still
makes a Create Session entry of what the response says.  When an IE occurs
twice at the top level, the last one counts (both tools).

Which messages are valid is decided here from the octets (udp.payload):
version 2, the message length within the datagram, IE lengths within
their message or Bearer Context, TBCD digits (0-9, 0xF filler last),
F-TEID / PAA / ULI / Cause / RAT sizes, APN labels.  An invalid message is
counted by both tools, listed and paired by neither.

Besides, apnwatch must write apnwatch.gtpv2c for no flow where tshark
finds no GTPv2 (all public captures are run).

Differences are failures unless a named rule below explains them.
"""

import collections
import datetime
import ipaddress
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

MAX_LIST = 16
MAX_PENDING = 16
MAX_TEIDS = 4
REQUESTS = {1, 32, 34, 36}
RESPONSES = {2, 33, 35, 37}

NAMES = {
    1: "Echo Request", 2: "Echo Response", 3: "Version Not Supported Indication",
    25: "SRVCC PS to CS Request", 26: "SRVCC PS to CS Response",
    27: "SRVCC PS to CS Complete Notification", 28: "SRVCC PS to CS Complete Acknowledge",
    29: "SRVCC PS to CS Cancel Notification", 30: "SRVCC PS to CS Cancel Acknowledge",
    31: "SRVCC CS to PS Request", 32: "Create Session Request", 33: "Create Session Response",
    34: "Modify Bearer Request", 35: "Modify Bearer Response", 36: "Delete Session Request",
    37: "Delete Session Response", 38: "Change Notification Request",
    39: "Change Notification Response", 40: "Remote UE Report Notification",
    41: "Remote UE Report Acknowledge", 64: "Modify Bearer Command",
    65: "Modify Bearer Failure Indication", 66: "Delete Bearer Command",
    67: "Delete Bearer Failure Indication", 68: "Bearer Resource Command",
    69: "Bearer Resource Failure Indication",
    70: "Downlink Data Notification Failure Indication", 71: "Trace Session Activation",
    72: "Trace Session Deactivation", 73: "Stop Paging Indication",
    95: "Create Bearer Request", 96: "Create Bearer Response", 97: "Update Bearer Request",
    98: "Update Bearer Response", 99: "Delete Bearer Request", 100: "Delete Bearer Response",
    101: "Delete PDN Connection Set Request", 102: "Delete PDN Connection Set Response",
    103: "PGW Downlink Triggering Notification", 104: "PGW Downlink Triggering Acknowledge",
    128: "Identification Request", 129: "Identification Response", 130: "Context Request",
    131: "Context Response", 132: "Context Acknowledge", 133: "Forward Relocation Request",
    134: "Forward Relocation Response", 135: "Forward Relocation Complete Notification",
    136: "Forward Relocation Complete Acknowledge", 137: "Forward Access Context Notification",
    138: "Forward Access Context Acknowledge", 139: "Relocation Cancel Request",
    140: "Relocation Cancel Response", 141: "Configuration Transfer Tunnel",
    149: "Detach Notification", 150: "Detach Acknowledge", 151: "CS Paging Indication",
    152: "RAN Information Relay", 153: "Alert MME Notification",
    154: "Alert MME Acknowledge", 155: "UE Activity Notification",
    156: "UE Activity Acknowledge", 157: "ISR Status Indication",
    158: "UE Registration Query Request", 159: "UE Registration Query Response",
    160: "Create Forwarding Tunnel Request", 161: "Create Forwarding Tunnel Response",
    162: "Suspend Notification", 163: "Suspend Acknowledge", 164: "Resume Notification",
    165: "Resume Acknowledge", 166: "Create Indirect Data Forwarding Tunnel Request",
    167: "Create Indirect Data Forwarding Tunnel Response",
    168: "Delete Indirect Data Forwarding Tunnel Request",
    169: "Delete Indirect Data Forwarding Tunnel Response",
    170: "Release Access Bearers Request", 171: "Release Access Bearers Response",
    176: "Downlink Data Notification", 177: "Downlink Data Notification Acknowledge",
    179: "PGW Restart Notification", 180: "PGW Restart Notification Acknowledge",
    200: "Update PDN Connection Set Request", 201: "Update PDN Connection Set Response",
    211: "Modify Access Bearers Request", 212: "Modify Access Bearers Response",
    231: "MBMS Session Start Request", 232: "MBMS Session Start Response",
    233: "MBMS Session Update Request", 234: "MBMS Session Update Response",
    235: "MBMS Session Stop Request", 236: "MBMS Session Stop Response",
}
PDN_TYPES = {1: "ipv4", 2: "ipv6", 3: "ipv4v6", 4: "non-ip", 5: "ethernet"}


# ---- validity, from the octets (independent of apnwatch) ----

def tbcd_ok(v, cap):
    digits, ended = 0, False
    for b in v:
        for d in (b & 15, b >> 4):
            if d == 15:
                ended = True
                continue
            if d > 9 or ended or digits == cap:
                return False
            digits += 1
    return digits > 0


def plmn_ok(b):
    d = [b[0] & 15, b[0] >> 4, b[1] & 15, b[2] & 15, b[2] >> 4, b[1] >> 4]
    return all(x <= 9 for x in d[:5]) and (d[5] <= 9 or d[5] == 15)


def uli_ok(v):
    if not v:
        return False
    flags, i = v[0], 1
    for bit, size, plmn in ((1, 7, True), (2, 7, False), (4, 7, False), (8, 5, True),
                            (16, 7, True)):
        if flags & bit:
            if i + size > len(v) or (plmn and not plmn_ok(v[i:i + 3])):
                return False
            i += size
    return True


def apn_ok(v):
    i, n = 0, 0
    while i < len(v):
        lab = v[i]
        if lab == 0 or i + 1 + lab > len(v) or n + (1 if n else 0) + lab > 100:
            return False
        n += (1 if n else 0) + lab
        i += 1 + lab
    return True


def ie_ok(t, v, depth):
    if depth > 0 and t != 87:
        return True
    if t == 1 or t == 76:
        return tbcd_ok(v, 15)
    if t == 75:
        return tbcd_ok(v, 16)
    if t == 2:
        return len(v) >= 2
    if t == 82:
        return len(v) >= 1
    if t == 71:
        return apn_ok(v)
    if t == 79:
        if not v:
            return False
        pt, need = v[0] & 7, 1
        if pt in (2, 3):
            if len(v) < 2 or v[1] > 128:
                return False
            need += 17
        if pt in (1, 3):
            need += 4
        return len(v) >= need
    if t == 86:
        return uli_ok(v)
    if t == 87:
        return len(v) >= 5 + (4 if v[0] & 0x80 else 0) + (16 if v[0] & 0x40 else 0)
    if t == 93 and depth + 1 < 2:
        return ies_ok(v, depth + 1)
    return True


def ies_ok(b, depth):
    i = 0
    while i < len(b):
        if i + 4 > len(b):
            return False
        t, n = b[i], int.from_bytes(b[i + 1:i + 3], "big")
        if i + 4 + n > len(b) or not ie_ok(t, b[i + 4:i + 4 + n], depth):
            return False
        i += 4 + n
    return True


def split_messages(p):
    """[(valid, type)] for the GTPv2 messages of a datagram, as apnwatch
    reads them: it stops at the first message that is not version 2 or
    not valid, and follows P at most 4 messages deep."""
    out, off = [], 0
    for _ in range(4):
        if off + 4 > len(p) or p[off] >> 5 != 2:
            break
        flags, typ, n = p[off], p[off + 1], int.from_bytes(p[off + 2:off + 4], "big")
        hdr = 8 if flags & 8 else 4
        ok = n >= hdr and off + 4 + n <= len(p) and ies_ok(p[off + 4 + hdr:off + 4 + n], 0)
        out.append((ok, typ))
        off += 4 + n
        if not ok or not flags & 0x10 or off >= len(p):
            break
    return out


# ---- tshark's JSON tree ----

class Many(list):
    """A key repeated in one JSON object (tshark repeats IE labels)."""


def _pairs(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            if not isinstance(d[k], Many):
                d[k] = Many([d[k]])
            d[k].append(v)
        else:
            d[k] = v
    return d


def items(v):
    return list(v) if isinstance(v, Many) else [v]


def ies(layer):
    """The IEs of a message (or a grouped IE), in order."""
    out = []
    for k, v in layer.items():
        for x in items(v):
            if isinstance(x, dict) and "gtpv2.ie_type" in x:
                out.append(x)
    return out


def find(node, name):
    """The first value of name anywhere below node."""
    if isinstance(node, dict):
        if name in node:
            return items(node[name])[0]
        for v in node.values():
            for x in items(v):
                r = find(x, name)
                if r is not None:
                    return r
    return None


def tshark_frames(path):
    cmd = [os.environ.get("TSHARK", "tshark"), "-r", path, "-Y", "gtpv2 && udp", "-T", "json"]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                       errors="replace")
    return json.loads(r.stdout or "[]", object_pairs_hook=_pairs)


def fteid(ie):
    ip = find(ie, "gtpv2.f_teid_ipv4") or find(ie, "gtpv2.f_teid_ipv6") or ""
    return (int(find(ie, "gtpv2.f_teid_interface_type")), int(find(ie, "gtpv2.f_teid_gre_key"), 0),
            ip)


def message(layer):
    """What a session entry needs from one message."""
    m = {"type": int(layer["gtpv2.message_type"]), "seq": int(layer["gtpv2.seq"], 0),
         "user": []}
    for ie in ies(layer):
        t = int(ie["gtpv2.ie_type"])
        inst = int(ie.get("gtpv2.instance", "0"))
        if t == 1:
            m["imsi"] = find(ie, "e212.imsi")
        elif t == 75:
            m["mei"] = find(ie, "gtpv2.mei")
        elif t == 76:
            m["msisdn"] = find(ie, "e164.msisdn")
        elif t == 71:
            m["apn"] = find(ie, "gtpv2.apn") or None
        elif t == 82:
            m["rat_type"] = int(find(ie, "gtpv2.rat_type"))
        elif t == 2:
            m["cause"] = int(find(ie, "gtpv2.cause"))
        elif t == 79:
            paa = {"pdn_type": PDN_TYPES.get(int(find(ie, "gtpv2.pdn_type")),
                                             find(ie, "gtpv2.pdn_type"))}
            v4 = find(ie, "gtpv2.pdn_addr_and_prefix.ipv4")
            v6 = find(ie, "gtpv2.pdn_addr_and_prefix.ipv6")
            if v4:
                paa["ipv4"] = v4
            if v6:
                paa["ipv6"] = "%s/%s" % (ipaddress.IPv6Address(v6), find(ie, "gtpv2.pdn_ipv6_len"))
            m["paa"] = paa
        elif t == 86:
            uli = {}
            for part in ("cgi", "ecgi", "tai"):  # apnwatch: TAI's PLMN, else ECGI's, else CGI's
                mcc = find(ie, "e212.%s.mcc" % part)
                if mcc is not None:
                    uli["mcc"] = int(mcc)
                    uli["mnc"] = int(find(ie, "e212.%s.mnc" % part))
            for k, f in (("tac", "gtpv2.tai_tac"), ("eci", "gtpv2.ecgi_eci"),
                         ("lac", "gtpv2.uli_cgi_lac"), ("ci", "gtpv2.uli_cgi_ci")):
                v = find(ie, f)
                if v is not None:
                    uli[k] = int(v, 0)
            m["uli"] = uli
        elif t == 87 and inst == 0:
            m["sender"] = fteid(ie)
        elif t == 93:
            for sub in ies(ie):
                if int(sub["gtpv2.ie_type"]) == 87:
                    m["user"].append(fteid(sub))
    return m


def entry_from(m, is_request):
    e = {"teids": []}
    for k in ("imsi", "mei", "msisdn", "apn", "paa", "uli"):
        if m.get(k):
            e[k] = m[k]
    if "rat_type" in m:
        e["rat_type"] = m["rat_type"]
    if is_request and "sender" in m:
        e["session_id"] = "%08x@%s" % (m["sender"][1], m["sender"][2])
    if not is_request and "cause" in m:
        e["cause"] = m["cause"]
    add_teids(e, m)
    return e


def add_teids(e, m):
    for iface, teid, ip in m["user"]:
        if len(e["teids"]) < MAX_TEIDS:
            t = {"interface": iface, "teid": teid}
            if ip:
                t["ip"] = ip
            e["teids"].append(t)


def add_response(e, m):
    if "cause" in m:
        e["cause"] = m["cause"]
    if m.get("paa"):
        e["paa"] = m["paa"]
    if "rat_type" not in e and "rat_type" in m:
        e["rat_type"] = m["rat_type"]
    for k in ("imsi", "mei", "msisdn", "apn"):
        if k not in e and m.get(k):
            e[k] = m[k]
    add_teids(e, m)


def ours_entry(s):
    e = dict(s)
    u = e.get("uli")
    if u is not None:
        e["uli"] = {k: (int(v) if k in ("mcc", "mnc") else v) for k, v in u.items()}
    return e


def seed_capture(name, port, tmpdir):
    """The fuzz seeds fuzz/corpus/<name>/* as one capture: each seed is a
    flow from 10.0.0.1:(40000 + its index) to 10.0.0.2:port, each record
    one datagram (dir 0 to the server, 1 back), 1 ms apart.  Seeds come
    from public captures and the unit tests' messages, so this adds the
    cases the public captures lack."""
    import struct
    d = os.path.join(common.SRCDIR, "fuzz", "corpus", name)
    if not os.path.isdir(d):
        return None
    out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
    t = 1700000000 * 1000000
    for i, f in enumerate(sorted(os.listdir(d))):
        data = open(os.path.join(d, f), "rb").read()
        j = 0
        while j + 3 <= len(data):
            direction, n = data[j] & 1, struct.unpack(">H", data[j + 1:j + 3])[0]
            p = data[j + 3:j + 3 + n]
            j += 3 + n
            a, b = (b"\x0a\x00\x00\x01", 40000 + i), (b"\x0a\x00\x00\x02", port)
            (sa, sp), (da, dp) = (a, b) if direction == 0 else (b, a)
            udp = struct.pack(">HHHH", sp, dp, 8 + len(p), 0) + p
            ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, sa, da)
            frame = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + udp
            t += 1000
            out.append(struct.pack("<IIII", t // 1000000, t % 1000000, len(frame), len(frame)))
            out.append(frame)
    path = os.path.join(tmpdir, "seeds-%s.pcap" % name)
    with open(path, "wb") as fp:
        fp.write(b"".join(out))
    return path

def ts(s):
    d = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)
    return d.timestamp()


def frame_key(fr):
    L = fr["_source"]["layers"]
    ip = L.get("ipv6") or L.get("ip")
    ip = items(ip)[-1]
    udp = items(L["udp"])[-1]
    src = ip.get("ipv6.src") or ip.get("ip.src")
    dst = ip.get("ipv6.dst") or ip.get("ip.dst")
    a, b = (src, int(udp["udp.srcport"])), (dst, int(udp["udp.dstport"]))
    return ("udp", frozenset((a, b))), a


def compare(rep, cap, ev, frames):
    g = ev["apnwatch"]["gtpv2c"]
    src = (ev["source"]["ip"], ev["source"]["port"])
    types = {}
    n = 0
    sessions, total, unmatched = [], 0, 0
    pending = collections.OrderedDict()  # (type, seq, dir) -> entry or None
    for fr, sender in frames:
        L = fr["_source"]["layers"]
        direction = 0 if sender == src else 1
        payload = bytes.fromhex(items(L["udp"])[-1].get("udp.payload", "").replace(":", ""))
        layers = items(L["gtpv2"])
        checks = split_messages(payload)
        for i, layer in enumerate(layers):
            t = int(layer["gtpv2.message_type"])
            n += 1
            name = NAMES.get(t, str(t))
            types[name] = types.get(name, 0) + 1
            if i >= len(checks) or not checks[i][0]:
                continue
            m = message(layer)
            if t in REQUESTS:
                k = (t, m["seq"], direction)
                if k in pending:
                    e = pending.pop(k)
                    if e is not None:
                        e.clear()
                        e.update(entry_from(m, True))
                else:
                    if len(pending) >= MAX_PENDING:
                        pending.popitem(last=False)
                        unmatched += 1
                    e = None
                    if t == 32:
                        total += 1
                        if len(sessions) < MAX_LIST:
                            e = entry_from(m, True)
                            sessions.append(e)
                pending[k] = e
            elif t in RESPONSES:
                k = (t - 1, m["seq"], 1 - direction)
                if k in pending:
                    e = pending.pop(k)
                    if t == 33 and e is not None:
                        add_response(e, m)
                else:
                    unmatched += 1
                    if t == 33:
                        total += 1
                        if len(sessions) < MAX_LIST:
                            sessions.append(entry_from(m, False))
    unmatched += len(pending)
    rep.compare(cap, key_of(ev), "apnwatch.gtpv2c.messages", g["messages"], n)
    rep.compare(cap, key_of(ev), "apnwatch.gtpv2c.types", g["types"], types)
    rep.compare(cap, key_of(ev), "apnwatch.gtpv2c.sessions_total", g["sessions_total"], total)
    rep.compare(cap, key_of(ev), "apnwatch.gtpv2c.unmatched", g["unmatched"], unmatched)
    ours = [ours_entry(s) for s in g["sessions"]]
    rep.compare(cap, key_of(ev), "apnwatch.gtpv2c.sessions.length", len(ours), len(sessions))
    for i, (o, t) in enumerate(zip(ours, sessions)):
        for k in sorted(set(o) | set(t)):
            rep.compare(cap, key_of(ev), "apnwatch.gtpv2c.sessions[%d].%s" % (i, k),
                        o.get(k), t.get(k))


def key_of(ev):
    return common.event_key(ev)


def main():
    rep = common.Report("gtpv2c")
    rep.rule("eci-spare", "tshark's ECI keeps the 4 spare bits above the 28-bit ECI "
             "(TS 29.274 8.21.5); apnwatch drops them",
             lambda cap, key, field, ours, theirs:
             field.endswith(".uli") and isinstance(ours, dict) and isinstance(theirs, dict)
             and "eci" in ours and "eci" in theirs and ours["eci"] == theirs["eci"] & 0x0fffffff
             and {k: v for k, v in ours.items() if k != "eci"}
             == {k: v for k, v in theirs.items() if k != "eci"})

    named = [os.path.abspath(a) for a in sys.argv[1:]]
    tmpobj = tempfile.TemporaryDirectory()  # removed at exit
    tmpdir = tmpobj.name
    caps = named or common.captures(protocol_filter="gtpv2 && udp")
    seeds = None if named else seed_capture("gtpv2c", 2123, tmpdir)
    if seeds:
        caps.append(seeds)
    for cap in caps:
        flows, _ = common.run_apnwatch(cap)
        by_key = {}
        for fr in tshark_frames(cap):
            key, sender = frame_key(fr)
            by_key.setdefault(key, []).append((fr, sender))
        for key, frs in by_key.items():
            evs = [e for e in flows.get(key, []) if common.get(e, "apnwatch.gtpv2c")]
            if not evs:
                rep.fail("%s: %s: tshark sees GTPv2, apnwatch no apnwatch.gtpv2c"
                         % (common.short(cap), common.fmt_key(key)))
                continue
            for ev in evs:
                t0 = ts(ev["event"]["start"]) - 1e-6
                t1 = ts(ev["event"]["end"]) + 1e-6
                mine = [(fr, s) for fr, s in frs
                        if t0 <= float(fr["_source"]["layers"]["frame"]["frame.time_epoch"]) <= t1]
                compare(rep, cap, ev, mine)
        for key, evs in flows.items():
            if key not in by_key and any(common.get(e, "apnwatch.gtpv2c.messages") for e in evs):
                rep.fail("%s: %s: apnwatch.gtpv2c messages where tshark sees no GTPv2"
                         % (common.short(cap), common.fmt_key(key)))
    if not named:
        seen = set(caps)
        for cap in common.captures():
            if cap in seen:
                continue
            flows, _ = common.run_apnwatch(cap)
            for key, evs in flows.items():
                if any(common.get(e, "apnwatch.gtpv2c.messages") for e in evs):
                    rep.fail("%s: %s: apnwatch.gtpv2c messages where tshark sees no GTPv2"
                             % (common.short(cap), common.fmt_key(key)))
    return rep.finish()


if __name__ == "__main__":
    sys.exit(main())
