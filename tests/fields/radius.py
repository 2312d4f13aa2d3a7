#!/usr/bin/env python3
"""radius.py: differential test of apnwatch.radius against tshark.

For every capture with RADIUS (the public ones tshark finds RADIUS in, and
tests/pcaps/*.pcap, and the fuzz seeds fuzz/corpus/radius/ written out
as a capture by seed_capture(); or only the captures named on the command line), both
tools decode every RADIUS message; per flow event (5-tuple, and the time
span of the event) we compare:

  messages       RADIUS messages (radius.code occurrences)
  codes          messages per code, by name
  status_types   valid Accounting-Requests per Acct-Status-Type, by name
  sessions       the first 16 Access-Request, Access-Accept and
                 Accounting-Request messages that are valid, field by field:
                 code, status (radius.Acct_Status_Type), session_id
                 (radius.Acct_Session_Id), user_name (radius.User_Name),
                 framed_ip (radius.Framed-IP-Address), framed_ipv6_prefix
                 (radius.Framed_IPv6_Prefix, decoded from its octets),
                 imsi (e212.imsi: the 3GPP-IMSI), imeisv (radius.3GPP_IMEISV),
                 msisdn (radius.Calling_Station_Id), apn
                 (radius.Called_Station_Id), rat_type (radius.3GPP_RAT_Type),
                 uli mcc / mnc / tac / eci (e212.tai.mcc, e212.tai.mnc or
                 e212.ecgi.*, gtpv2.tai_tac, gtpv2.ecgi_eci: tshark decodes
                 3GPP-User-Location-Info with its GTPv2 ULI code), nas_ip
                 (radius.NAS_IP_Address, else radius.NAS_IPv6_Address),
                 nas_identifier (radius.NAS_Identifier)
  sessions_total how many such messages

When an attribute occurs twice, the last one counts (both tools).  Which
messages are valid is decided here, independently of apnwatch, from the
message's octets (udp.payload): RFC 2865 section 3 and 5 lengths, the
fixed sizes of the attributes both tools decode, RFC 3162 prefix lengths,
3GPP sub-attribute lengths, IMSI / IMEISV digits (TS 29.061 16.4.7).  A
message that fails is counted by both tools but listed by neither: apnwatch
discards it (RFC 2865 section 5), tshark shows what it could.

Besides, apnwatch must write apnwatch.radius for no flow where tshark finds
no RADIUS (all public captures are run).

Differences are failures unless a named rule below explains them.
"""

import datetime
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

MAX_LIST = 16
CAPS = {"session_id": 64, "user_name": 128, "msisdn": 32, "apn": 100, "nas_identifier": 64}

CODES = {1: "Access-Request", 2: "Access-Accept", 3: "Access-Reject", 4: "Accounting-Request",
         5: "Accounting-Response", 11: "Access-Challenge", 12: "Status-Server",
         13: "Status-Client", 40: "Disconnect-Request", 41: "Disconnect-ACK",
         42: "Disconnect-NAK", 43: "CoA-Request", 44: "CoA-ACK", 45: "CoA-NAK"}
STATUS = {1: "Start", 2: "Stop", 3: "Interim-Update", 7: "Accounting-On", 8: "Accounting-Off",
          9: "Tunnel-Start", 10: "Tunnel-Stop", 11: "Tunnel-Reject", 12: "Tunnel-Link-Start",
          13: "Tunnel-Link-Stop", 14: "Tunnel-Link-Reject", 15: "Failed"}
LISTED = {1, 2, 4}
BASE = ["frame.number", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
        "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport"]

FIELDS = ["frame.time_epoch", "udp.payload", "radius.code", "radius.Acct_Status_Type",
          "radius.Acct_Session_Id", "radius.User_Name", "radius.Framed-IP-Address",
          "radius.Framed_IPv6_Prefix", "e212.imsi", "radius.3GPP_IMEISV",
          "radius.Calling_Station_Id", "radius.Called_Station_Id", "radius.3GPP_RAT_Type",
          "e212.tai.mcc", "e212.tai.mnc", "e212.ecgi.mcc", "e212.ecgi.mnc", "gtpv2.tai_tac",
          "gtpv2.ecgi_eci", "radius.NAS_IP_Address", "radius.NAS_IPv6_Address",
          "radius.NAS_Identifier"]


# ---- validity, from the octets (independent of apnwatch) ----

FIXED = {4: 4, 8: 4, 40: 4, 95: 16}      # NAS-IP, Framed-IP, Acct-Status-Type, NAS-IPv6
FIXED_3GPP = {2: 4, 3: 4, 10: 1, 21: 1, 23: 2}
ULI_NEED = {0: 7, 1: 7, 2: 6, 128: 5, 129: 7, 130: 12}


def _tbcd_ok(b):
    d = [b[0] & 15, b[0] >> 4, b[1] & 15, b[2] & 15, b[2] >> 4, b[1] >> 4]
    return all(x <= 9 for x in d[:5]) and (d[5] <= 9 or d[5] == 15)


def _uli_ok(v):
    if not v:
        return False
    t = v[0]
    if t not in ULI_NEED:
        return True
    body = v[1:]
    if len(body) < ULI_NEED[t] or not _tbcd_ok(body[:3]):
        return False
    return t != 130 or _tbcd_ok(body[5:8])


def _vsa_ok(v):
    if len(v) < 4:
        return False
    if int.from_bytes(v[:4], "big") != 10415:
        return True
    i = 4
    while i < len(v):
        if i + 2 > len(v) or v[i + 1] < 2 or i + v[i + 1] > len(v):
            return False
        t, sv = v[i], v[i + 2:i + v[i + 1]]
        if t in FIXED_3GPP and len(sv) != FIXED_3GPP[t]:
            return False
        if t == 1 and not (1 <= len(sv) <= 15 and sv.isdigit()):
            return False
        if t == 20 and not (14 <= len(sv) <= 16 and sv.isdigit()):
            return False
        if t == 22 and not _uli_ok(sv):
            return False
        i += v[i + 1]
    return True


def valid(p):
    if len(p) < 20:
        return False
    n = int.from_bytes(p[2:4], "big")
    if n < 20 or n > 4096 or n > len(p):
        return False
    i = 20
    while i < n:
        if i + 2 > n or p[i + 1] < 2 or i + p[i + 1] > n:
            return False
        t, v = p[i], p[i + 2:i + p[i + 1]]
        if t in FIXED and len(v) != FIXED[t]:
            return False
        if t == 1 and not v:
            return False
        if t == 97 and (len(v) < 2 or v[1] > 128 or len(v) - 2 > 16 or (len(v) - 2) * 8 < v[1]):
            return False
        if t == 26 and not _vsa_ok(v):
            return False
        i += p[i + 1]
    return True


# ---- tshark's values, as apnwatch writes them ----

def v6_prefix(hexval):
    """RFC 3162: reserved, prefix length, prefix octets -> "addr/len"."""
    import ipaddress
    b = bytes.fromhex(hexval.replace(":", ""))
    plen = b[1]
    a = bytearray(b[2:].ljust(16, b"\0"))
    for i in range(plen, 128):
        a[i // 8] &= ~(0x80 >> (i % 8)) & 0xff
    return "%s/%d" % (ipaddress.IPv6Address(bytes(a)), plen)


def last(row, f):
    return row[f][-1] if row[f] else None


def expected_msg(row):
    code = int(row["radius.code"][0])
    m = {"code": CODES.get(code, "?")}
    st = last(row, "radius.Acct_Status_Type")
    if st is not None:
        m["status"] = STATUS.get(int(st), st)
    for key, f in (("session_id", "radius.Acct_Session_Id"), ("user_name", "radius.User_Name"),
                   ("framed_ip", "radius.Framed-IP-Address"), ("imsi", "e212.imsi"),
                   ("imeisv", "radius.3GPP_IMEISV"), ("msisdn", "radius.Calling_Station_Id"),
                   ("apn", "radius.Called_Station_Id"), ("nas_identifier", "radius.NAS_Identifier")):
        v = last(row, f)
        if v:
            m[key] = v
    v = last(row, "radius.Framed_IPv6_Prefix")
    if v:
        m["framed_ipv6_prefix"] = v6_prefix(v)
    v = last(row, "radius.3GPP_RAT_Type")
    if v is not None:
        m["rat_type"] = int(v)
    nas = last(row, "radius.NAS_IP_Address") or last(row, "radius.NAS_IPv6_Address")
    if nas:
        m["nas_ip"] = nas
    uli = {}
    mcc = last(row, "e212.tai.mcc") or last(row, "e212.ecgi.mcc")
    mnc = last(row, "e212.tai.mnc") or last(row, "e212.ecgi.mnc")
    if mcc is not None:
        uli["mcc"] = int(mcc)
        uli["mnc"] = int(mnc)
    if last(row, "gtpv2.tai_tac") is not None:
        uli["tac"] = int(last(row, "gtpv2.tai_tac"), 0)
    if last(row, "gtpv2.ecgi_eci") is not None:
        uli["eci"] = int(last(row, "gtpv2.ecgi_eci"), 0)
    if uli:
        m["uli"] = uli
    return m


def ours_msg(s):
    """apnwatch's list entry in the same terms (ULI numbers as integers)."""
    m = {k: v for k, v in s.items() if k not in ("uli", "charging_id", "imsi_mcc_mnc",
                                                  "sgsn_mcc_mnc")}
    u = s.get("uli")
    if u:
        mu = {}
        if "mcc" in u:
            mu["mcc"] = int(u["mcc"])
            mu["mnc"] = int(u["mnc"])
        for k in ("tac", "eci"):
            if k in u:
                mu[k] = u[k]
        if mu:
            m["uli"] = mu
    return m


def tshark_rows(path, fields, display_filter):
    """common.tshark's rows (all occurrences of each field, the base
    address and port fields as their last occurrence), with an empty base
    field kept as "" (common.tshark indexes an empty list there)."""
    cmd = [os.environ.get("TSHARK", "tshark"), "-r", path, "-T", "fields", "-E",
           "separator=/t", "-E", "occurrence=a", "-E", "aggregator=\x1f", "-Y", display_filter]
    allf = BASE + [f for f in fields if f not in BASE]
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
            row[name] = (vals[-1] if vals else "") if name in BASE else vals
        rows.append(row)
    return rows


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


def main():
    rep = common.Report("radius")
    rep.rule("value-cut", "apnwatch keeps at most %s bytes of these texts" % CAPS,
             lambda cap, key, field, ours, theirs:
             field.split(".")[-1] in CAPS and isinstance(ours, str) and isinstance(theirs, str)
             and len(theirs) > CAPS[field.split(".")[-1]]
             and ours == theirs[:CAPS[field.split(".")[-1]]])
    rep.rule("eci-spare", "tshark's ECI keeps the 4 spare bits above the 28-bit ECI "
             "(TS 29.274 8.21.5); apnwatch drops them",
             lambda cap, key, field, ours, theirs:
             field.endswith("uli.eci") and ours == (theirs & 0x0fffffff))

    named = [os.path.abspath(a) for a in sys.argv[1:]]
    tmpobj = tempfile.TemporaryDirectory()  # removed at exit
    tmpdir = tmpobj.name
    caps = named or common.captures(protocol_filter="radius")
    seeds = None if named else seed_capture("radius", 1813, tmpdir)
    if seeds:
        caps.append(seeds)
    discarded = 0
    for cap in caps:
        flows, _ = common.run_apnwatch(cap)
        rows = [r for r in tshark_rows(cap, FIELDS, "radius") if r["radius.code"]]
        by_key = {}
        for r in rows:
            by_key.setdefault(common.packet_key(r), []).append(r)
        for key, krows in by_key.items():
            evs = [e for e in flows.get(key, []) if common.get(e, "apnwatch.radius")]
            if not evs:
                rep.fail("%s: %s: tshark sees RADIUS, apnwatch no apnwatch.radius"
                         % (common.short(cap), common.fmt_key(key)))
                continue
            for ev in evs:
                t0 = ts(ev["event"]["start"]) - 1e-6
                t1 = ts(ev["event"]["end"]) + 1e-6
                er = [r for r in krows if t0 <= float(r["frame.time_epoch"][0]) <= t1]
                discarded += compare(rep, cap, key, ev["apnwatch"]["radius"], er)
        # The other way: RADIUS only where tshark sees it.
        for key, evs in flows.items():
            if key not in by_key and any(common.get(e, "apnwatch.radius") for e in evs):
                rep.fail("%s: %s: apnwatch.radius where tshark sees no RADIUS"
                         % (common.short(cap), common.fmt_key(key)))
    if not named:
        seen = set(caps)
        for cap in common.captures():
            if cap in seen:
                continue
            flows, _ = common.run_apnwatch(cap)
            for key, evs in flows.items():
                if any(common.get(e, "apnwatch.radius") for e in evs):
                    rep.fail("%s: %s: apnwatch.radius where tshark sees no RADIUS"
                             % (common.short(cap), common.fmt_key(key)))
    print("messages invalid by their octets (counted, listed by neither): %d" % discarded)
    return rep.finish()


def compare(rep, cap, key, r, rows):
    """One flow event against its tshark rows; returns the invalid count."""
    codes, status = {}, {}
    listed = []
    total = 0
    bad = 0
    for row in rows:
        code = int(row["radius.code"][0])
        name = CODES.get(code, str(code))
        codes[name] = codes.get(name, 0) + 1
        payload = bytes.fromhex(row["udp.payload"][-1]) if row["udp.payload"] else b""
        if not valid(payload):
            bad += 1
            continue
        st = last(row, "radius.Acct_Status_Type")
        if st is not None:
            sname = STATUS.get(int(st), "other" if int(st) >= 16 else st)
            status[sname] = status.get(sname, 0) + 1
        if code in LISTED:
            total += 1
            if len(listed) < MAX_LIST:
                listed.append(expected_msg(row))
    rep.compare(cap, key, "apnwatch.radius.messages", r["messages"], len(rows))
    rep.compare(cap, key, "apnwatch.radius.codes", r["codes"], codes)
    rep.compare(cap, key, "apnwatch.radius.status_types", r["status_types"], status)
    rep.compare(cap, key, "apnwatch.radius.invalid", r.get("invalid", 0), bad)
    rep.compare(cap, key, "apnwatch.radius.sessions_total", r["sessions_total"], total)
    ours = [ours_msg(s) for s in r["sessions"]]
    rep.compare(cap, key, "apnwatch.radius.sessions.length", len(ours), len(listed))
    for i, (o, t) in enumerate(zip(ours, listed)):
        for k in sorted(set(o) | set(t)):
            if k == "uli":
                ou, tu = o.get("uli", {}), t.get("uli", {})
                for uk in sorted(set(ou) | set(tu)):
                    rep.compare(cap, key, "apnwatch.radius.sessions[%d].uli.%s" % (i, uk),
                                ou.get(uk), tu.get(uk))
            else:
                rep.compare(cap, key, "apnwatch.radius.sessions[%d].%s" % (i, k),
                            o.get(k), t.get(k))
    return bad


if __name__ == "__main__":
    sys.exit(main())
