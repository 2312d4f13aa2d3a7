#!/usr/bin/env python3
"""tls.py: the TLS dissector's fields against tshark (and nDPI's JA3 where
ndpiReader is installed), on every capture that carries a TLS hello.

Per TCP connection (tshark's tcp.stream, matched to the apnwatch flow event
whose time span holds the packet), the first ClientHello and the first
ServerHello tshark decodes give:

  tls.client.server_name      tls.handshake.extensions_server_name (first)
  tls.client.ja3              tls.handshake.ja3
  apnwatch.tls.ja3_string     tls.handshake.ja3_full
  tls.client.supported_ciphers  tls.handshake.ciphersuite of the ClientHello
                              (GREASE left out, first 64; names as tshark's
                              value strings name them, hex otherwise)
  apnwatch.tls.alpn_offered   tls.handshake.extensions_alpn_str of the ClientHello
  tls.next_protocol           the ServerHello's ALPN, else the first offered
  tls.server.ja3s             tls.handshake.ja3s
  tls.version                 the ServerHello's supported_version, else its
                              tls.handshake.version (0x0303 -> "1.2")
  tls.cipher                  the ServerHello's tls.handshake.ciphersuite

and the first certificate of the server's first Certificate message (read
from tshark's PDML: the tree says which certificate a field belongs to):

  tls.server.x509.alternative_names  x509ce.dNSName of its subjectAltName
  tls.server.subject / issuer        its rdnSequence, most specific first
  tls.server.not_before / not_after  x509af.utcTime / generalizedTime

  apnwatch.tls.ja4            JA4 computed here, by FoxIO's technical_details/
                              JA4.md, from tshark's dissection of the ClientHello
                              (PDML: its suites, extension types, the
                              signature_algorithms extension's list)

With ndpiReader (libndpi-bin): tls.client.ja3 against nDPI's JA3C.
TLS_VERBOSE=1 prints every difference a rule explains.
"""

import datetime
import hashlib
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

HELLO = "tls.handshake.type == 1 || tls.handshake.type == 2"
FIELDS = ["frame.time_epoch", "tcp.stream", "tls.handshake.type", "tls.handshake.version",
          "tls.handshake.extensions_server_name", "tls.handshake.ja3", "tls.handshake.ja3_full",
          "tls.handshake.ja3s", "tls.handshake.extensions_alpn_str",
          "tls.handshake.extensions.supported_version", "tls.handshake.ciphersuite"]
KEEP_CIPHERS, KEEP_ALPN, KEEP_SAN = 64, 16, 32
GREASE = {0x0a0a + 0x1010 * i for i in range(16)}

# Short names OpenSSL prints for the attribute types of X.509 names.
ATTR = {"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O",
        "2.5.4.11": "OU", "2.5.4.5": "serialNumber", "2.5.4.9": "street",
        "2.5.4.17": "postalCode", "2.5.4.15": "businessCategory", "2.5.4.4": "SN",
        "2.5.4.42": "GN", "2.5.4.12": "title", "2.5.4.46": "dnQualifier",
        "1.2.840.113549.1.9.1": "emailAddress", "0.9.2342.19200300.100.1.25": "DC",
        "0.9.2342.19200300.100.1.1": "UID", "2.5.4.13": "description", "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionL",
        "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionST", "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionC"}


def version_str(v):
    v = int(v, 0)
    names = {0x0300: "3.0", 0x0301: "1.0", 0x0302: "1.1", 0x0303: "1.2", 0x0304: "1.3"}
    if v in names:
        return names[v]
    return "1.3" if v >> 8 == 0x7f else None


def tshark_cipher_names():
    """Wireshark's value strings of tls.handshake.ciphersuite: number -> name."""
    r = subprocess.run([os.environ.get("TSHARK", "tshark"), "-G", "values"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = {}
    for line in r.stdout.splitlines():
        f = line.split("\t")
        if len(f) >= 4 and f[0] == "V" and f[1] == "tls.handshake.ciphersuite":
            out[int(f[2])] = f[3]
    return out


def cipher_value(name, by_name):
    """apnwatch's cipher string back to its number (None if unknown)."""
    if name.startswith("0x"):
        return int(name, 16)
    return by_name.get(name)


def tshark_rows(path, fields, display_filter):
    """common.tshark's rows.  common.tshark() raises IndexError when one of
    its base fields is empty (an IPv4 packet has no ipv6.src); until it is
    fixed, the same rows are built here with "" for an empty base field."""
    try:
        return common.tshark(path, fields, display_filter=display_filter)
    except IndexError:
        pass
    allf = common._BASE + [f for f in fields if f not in common._BASE]
    cmd = [os.environ.get("TSHARK", "tshark"), "-r", path, "-T", "fields", "-E",
           "separator=/t", "-E", "occurrence=a", "-E", "aggregator=\x1f", "-Y", display_filter]
    for f in allf:
        cmd += ["-e", f]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                       errors="replace")
    rows = []
    for line in r.stdout.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(allf) - len(cols))
        row = {}
        for name, val in zip(allf, cols):
            vals = val.split("\x1f") if val != "" else []
            row[name] = (vals[-1] if vals else "") if name in common._BASE else vals
        row["frame.number"] = int(row["frame.number"] or 0)
        rows.append(row)
    return rows


# ---- certificates from PDML ----

def _children(el, name):
    return [c for c in el if c.get("name") == name]


def _find_all(el, name):
    return [c for c in el.iter("field") if c.get("name") == name]


def _escape_2253(v):
    """RFC 2253 escaping as OpenSSL's X509_NAME_print_ex (ESC_2253) does it."""
    out = []
    for i, ch in enumerate(v):
        if ch in ',+"\\<>;' or (i == 0 and ch in "# ") or (i == len(v) - 1 and ch == " "):
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7f:
            out.append("\\%02X" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def _rdn_string(seq):
    """An rdnSequence element -> 'CN=x, O=y' (RFC 4514 order), or None when
    an attribute type is one we do not name."""
    rdns = []
    for item in _children(seq, "x509if.RDNSequence_item"):
        avas = []
        for ava in _children(item, "x509if.RelativeDistinguishedName_item_element"):
            oid = [f.get("show") for f in ava.iter("field")
                   if f.get("name") in ("x509if.oid", "x509if.id")]
            leaves = [f for f in ava.iter("field") if len(f) == 0
                      and f.get("name") not in ("x509if.oid", "x509if.id")]
            if not oid or oid[0] not in ATTR or not leaves:
                return None
            avas.append("%s=%s" % (ATTR[oid[0]], _escape_2253(leaves[-1].get("show", ""))))
        rdns.append(" + ".join(avas))
    return ", ".join(reversed(rdns))


def _time(el):
    for f in el.iter("field"):
        if f.get("name") in ("x509af.utcTime", "x509af.generalizedTime"):
            s = f.get("show", "")  # "2019-12-17 01:17:28 (UTC)"
            if len(s) >= 19:
                return s[:10] + "T" + s[11:19] + ".000000Z"
    return None


def pdml_certs(path):
    """frame number -> facts of the first certificate of the first
    Certificate message in that frame."""
    cmd = [os.environ.get("TSHARK", "tshark"), "-r", path, "-Y", "tls.handshake.type == 11",
           "-T", "pdml"]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = {}
    if not r.stdout:
        return out
    root = ET.fromstring(r.stdout)
    for pkt in root.iter("packet"):
        frame = None
        for proto in pkt.iter("proto"):
            if proto.get("name") == "frame":
                for f in proto.iter("field"):
                    if f.get("name") == "frame.number":
                        frame = int(f.get("show"))
                        break
        certs = _find_all(pkt, "tls.handshake.certificate")
        if frame is None or not certs:
            continue
        cert = certs[0]
        sans = []
        for ext in _find_all(cert, "x509af.Extension_element"):
            ids = [f.get("show") for f in ext if f.get("name") == "x509af.extension.id"]
            if ids and ids[0] == "2.5.29.17":
                sans += [f.get("show") for f in _find_all(ext, "x509ce.dNSName")]
        facts = {"sans": sans}
        for what in ("subject", "issuer"):
            els = _find_all(cert, "x509af." + what)
            seqs = _find_all(els[0], "x509if.rdnSequence") if els else []
            if not seqs and els:
                seqs = _find_all(els[0], "x509af.rdnSequence")
            facts[what] = _rdn_string(seqs[0]) if seqs else None
        for what in ("notBefore", "notAfter"):
            els = _find_all(cert, "x509af." + what)
            facts[what] = _time(els[0]) if els else None
        out[frame] = facts
    return out


# ---- JA4 of tshark's dissection of a ClientHello ----

def _ja4_version(v):
    return {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3",
            0x0002: "s2", 0xfeff: "d1", 0xfefd: "d2", 0xfefc: "d3"}.get(v, "00")


def _ja4_alpn(raw):
    """raw: bytes of the first ALPN id, or None."""
    if not raw:
        return "00"
    a, z = raw[0], raw[-1]
    alnum = lambda c: chr(c).isascii() and chr(c).isalnum()  # noqa: E731
    if alnum(a) and alnum(z):
        return chr(a) + chr(z)
    h = raw.hex()
    return h[0] + h[-1]


def _sha12(items):
    return hashlib.sha256(items.encode()).hexdigest()[:12]


def ja4_of(hs):
    """JA4 (FoxIO technical_details/JA4.md) of a tls.handshake PDML element."""
    val = lambda f: int(f.get("show"), 0)  # noqa: E731
    version = val(_children(hs, "tls.handshake.version")[0])
    ciphers = [val(f) for f in _find_all(hs, "tls.handshake.ciphersuite")]
    ciphers = [c for c in ciphers if c not in GREASE]
    exts, sigs, versions, alpn = [], [], [], None
    for ext in hs:
        t = _children(ext, "tls.handshake.extension.type")
        if not t:
            continue
        t = int(t[0].get("show"))
        if t in GREASE:
            continue
        exts.append(t)
        if t == 13:
            sigs = [val(f) for f in _find_all(ext, "tls.handshake.sig_hash_alg")]
        elif t == 43:
            versions = [val(f) for f in _find_all(ext, "tls.handshake.extensions.supported_version")]
        elif t == 16:
            ids = _find_all(ext, "tls.handshake.extensions_alpn_str")
            alpn = bytes.fromhex(ids[0].get("value", "")) if ids else None
    versions = [v for v in versions if v not in GREASE]
    if versions:
        version = max(versions)
    a = "t%s%s%02d%02d%s" % (_ja4_version(version), "d" if 0 in exts else "i",
                             min(len(ciphers), 99), min(len(exts), 99), _ja4_alpn(alpn))
    b = _sha12(",".join("%04x" % c for c in sorted(ciphers))) if ciphers else "000000000000"
    rest = sorted(e for e in exts if e not in (0, 16))
    sigs = [x for x in sigs if x not in GREASE]
    c = ",".join("%04x" % e for e in rest)
    if sigs:
        c += "_" + ",".join("%04x" % x for x in sigs)
    c = _sha12(c) if rest else "000000000000"
    return "%s_%s_%s" % (a, b, c)


def pdml_client_hellos(path):
    """frame number -> JA4 of the first ClientHello in that frame."""
    cmd = [os.environ.get("TSHARK", "tshark"), "-r", path, "-Y", "tls.handshake.type == 1",
           "-T", "pdml"]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = {}
    if not r.stdout:
        return out
    for pkt in ET.fromstring(r.stdout).iter("packet"):
        frame = [int(f.get("show")) for f in pkt.iter("field") if f.get("name") == "frame.number"]
        for hs in _find_all(pkt, "tls.handshake"):
            t = _children(hs, "tls.handshake.type")
            if frame and t and t[0].get("show") == "1":
                try:
                    out[frame[0]] = ja4_of(hs)
                except (IndexError, ValueError):
                    out[frame[0]] = None  # tshark could not dissect it whole
                break
    return out


# ---- nDPI ----

def ndpi_cut_ja3(full):
    """nDPI 4.2's JA3C of a JA3 string: it builds the string in a 1024-byte
    buffer (JA3_STR_LEN), leaving out each value that does not fit, and
    hashes what is there."""
    f = full.split(",")
    out = f[0] + ","
    for k, sec in enumerate(f[1:]):
        for i, x in enumerate(sec.split("-") if sec else []):
            t = ("-" if i else "") + x
            if len(out) + len(t) >= 1024:
                break
            out += t
        if k < 3 and len(out) + 1 < 1024:
            out += ","
    return hashlib.md5(out.encode()).hexdigest()


def ndpi_ja3(path):
    """key -> JA3C from ndpiReader's flow list (empty without ndpiReader)."""
    if not shutil.which("ndpiReader"):
        return {}
    r = subprocess.run(["ndpiReader", "-i", path, "-v", "2"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True, errors="replace")
    out = {}
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) < 5 or f[1] != "TCP" or f[3] != "<->" or "[JA3C: " not in line:
            continue
        ends = []
        for e in (f[2], f[4]):
            host, _, port = e.rpartition(":")
            ends.append((host.strip("[]"), int(port)))
        ja3 = line.split("[JA3C: ", 1)[1].split("]", 1)[0]
        out[("tcp", frozenset(ends))] = ja3
    return out


def find_event(flows, key, t):
    """The flow event of key whose time span holds t (seconds)."""
    evs = flows.get(key, [])
    for ev in evs:
        s, e = ev["event"]["start"], ev["event"]["end"]
        if _ts(s) - 1e-6 <= t <= _ts(e) + 1e-6:
            return ev
    return evs[0] if len(evs) == 1 else None


def _ts(s):
    d = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
    return d.replace(tzinfo=datetime.timezone.utc).timestamp()


def main():
    rep = common.Report("tls")
    if os.environ.get("TLS_VERBOSE"):  # print what each rule explains
        compare = rep.compare

        def verbose(cap, key, field, ours, theirs):
            n = dict(rep.explained)
            ok = compare(cap, key, field, ours, theirs)
            if rep.explained != n:
                print("EXPLAINED %s %s %s: ours %r theirs %r"
                      % (common.short(cap), common.fmt_key(key), field, ours, theirs))
            return ok
        rep.compare = verbose
    per_field = {}
    compare_all = rep.compare

    def counted(cap, key, field, ours, theirs):
        per_field[field] = per_field.get(field, 0) + 1
        return compare_all(cap, key, field, ours, theirs)
    rep.compare = counted
    names = tshark_cipher_names()
    by_name = {v: k for k, v in names.items()}
    state = {}

    def partial_ch(cap, key, field, ours, theirs):
        ev = state.get("ev")
        return common.get(ev, "apnwatch.tls.client_hello_error") is not None

    rep.rule("client-hello-error",
             "a ClientHello that is malformed (lengths that contradict the message) or "
             "cut by a hole in the capture: apnwatch counts it (invalid / truncated), keeps "
             "the extensions that came whole (SNI, ALPN) and fingerprints nothing; tshark "
             "fingerprints the fields before the error, or decodes nothing of an unreassembled "
             "message",
             lambda cap, key, field, ours, theirs: partial_ch(cap, key, field, ours, theirs)
             and (field in ("tls.client.ja3", "apnwatch.tls.ja3_string", "apnwatch.tls.ja4", "ndpi.ja3")
                  or theirs is None or theirs == [] or field == "tls.next_protocol"))
    rep.rule("not-tls-dissector",
             "the flow was taken by another apnwatch dissector (STARTTLS inside FTP: the FTP "
             "dissector owns the flow); tshark decodes the TLS that follows AUTH TLS",
             lambda cap, key, field, ours, theirs:
             common.get(state.get("ev"), "apnwatch.dissector") not in (None, "tls"))
    rep.rule("cipher-hex",
             "apnwatch names the cipher suites of its table of common suites and writes the "
             "others as 0x-hex; the value is the one tshark names",
             lambda cap, key, field, ours, theirs: field == "tls.cipher" and isinstance(ours, str)
             and ours.startswith("0x") and theirs == names.get(int(ours, 16)))
    rep.rule("ndpi-ja3-1024",
             "nDPI 4.2 builds the JA3 string in a 1024-byte buffer and hashes only what fits; "
             "for a longer string (hundreds of cipher suites) its JA3C is that of the cut "
             "string (checked: the cut string's MD5 is nDPI's value); apnwatch and tshark hash "
             "the whole string, as JA3 is defined",
             lambda cap, key, field, ours, theirs: field == "ndpi.ja3" and
             state.get("tshark_ja3") == ours and len(state.get("tshark_ja3_full") or "") >= 1024
             and ndpi_cut_ja3(state["tshark_ja3_full"]) == theirs)

    caps = common.captures(protocol_filter=HELLO)
    for cap in caps:
        flows, _ = common.run_apnwatch(cap)
        rows = tshark_rows(cap, FIELDS, HELLO)
        certs = pdml_certs(cap)
        hellos = pdml_client_hellos(cap)
        cert_rows = tshark_rows(cap, ["tcp.stream"], "tls.handshake.type == 11")
        streams = {}
        for r in rows + cert_rows:
            key = common.packet_key(r)
            if key is None or key[0] != "tcp":
                continue
            st = streams.setdefault((key, r["tcp.stream"][0]), {"rows": [], "cert": None})
            if r in cert_rows:
                if st["cert"] is None and r["frame.number"] in certs:
                    st["cert"] = (r, certs[r["frame.number"]])
            else:
                st["rows"].append(r)
        ndpi = ndpi_ja3(cap)
        for (key, _stream), st in sorted(streams.items(), key=lambda kv: str(kv[0])):
            ch = next((r for r in st["rows"] if "1" in r["tls.handshake.type"]), None)
            sh = next((r for r in st["rows"] if "2" in r["tls.handshake.type"]), None)
            first = ch or sh or (st["cert"][0] if st["cert"] else None)
            if first is None:
                continue
            t = float(first["frame.time_epoch"][0])
            ev = find_event(flows, key, t)
            state["ev"] = ev
            if ev is None:
                rep.fail("%s: %s: no apnwatch flow event" % (common.short(cap),
                                                             common.fmt_key(key)))
                continue
            g = lambda p: common.get(ev, p)  # noqa: E731
            if ch is not None:
                sni = ch["tls.handshake.extensions_server_name"]
                rep.compare(cap, key, "tls.client.server_name", g("tls.client.server_name"),
                            sni[0] if sni else None)
                ja3 = ch["tls.handshake.ja3"]
                rep.compare(cap, key, "tls.client.ja3", g("tls.client.ja3"),
                            ja3[0] if ja3 else None)
                full = ch["tls.handshake.ja3_full"]
                rep.compare(cap, key, "apnwatch.tls.ja3_string", g("apnwatch.tls.ja3_string"),
                            full[0] if full else None)
                cs = [int(v, 0) for v in ch["tls.handshake.ciphersuite"]]
                cs = [v for v in cs if v not in GREASE][:KEEP_CIPHERS]
                ours = g("tls.client.supported_ciphers") or []
                rep.compare(cap, key, "tls.client.supported_ciphers",
                            [cipher_value(v, by_name) for v in ours], cs)
                alpn = ch["tls.handshake.extensions_alpn_str"]
                rep.compare(cap, key, "apnwatch.tls.alpn_offered",
                            g("apnwatch.tls.alpn_offered") or [], alpn[:KEEP_ALPN])
                state["tshark_ja3"] = ja3[0] if ja3 else None
                state["tshark_ja3_full"] = full[0] if full else None
                if ch["frame.number"] in hellos:
                    rep.compare(cap, key, "apnwatch.tls.ja4", g("apnwatch.tls.ja4"),
                                hellos[ch["frame.number"]])
                if key in ndpi:
                    rep.compare(cap, key, "ndpi.ja3", g("tls.client.ja3"), ndpi[key])
            offered = ch["tls.handshake.extensions_alpn_str"] if ch else []
            if sh is not None:
                rep.compare(cap, key, "tls.server.ja3s", g("tls.server.ja3s"),
                            (sh["tls.handshake.ja3s"] or [None])[0])
                sv = sh["tls.handshake.extensions.supported_version"]
                v = sv[0] if sv else sh["tls.handshake.version"][0]
                rep.compare(cap, key, "tls.version", g("tls.version"), version_str(v))
                c = int(sh["tls.handshake.ciphersuite"][0], 0)
                rep.compare(cap, key, "tls.cipher", g("tls.cipher"), names.get(c, "0x%04x" % c))
                sel = sh["tls.handshake.extensions_alpn_str"]
                rep.compare(cap, key, "tls.next_protocol", g("tls.next_protocol"),
                            sel[0] if sel else (offered[0] if offered else None))
            elif ch is not None:
                rep.compare(cap, key, "tls.next_protocol", g("tls.next_protocol"),
                            offered[0] if offered else None)
            if st["cert"] is not None:
                facts = st["cert"][1]
                rep.compare(cap, key, "tls.server.x509.alternative_names",
                            g("tls.server.x509.alternative_names") or [],
                            facts["sans"][:KEEP_SAN])
                rep.compare(cap, key, "tls.server.subject", g("tls.server.subject"),
                            facts["subject"])
                rep.compare(cap, key, "tls.server.issuer", g("tls.server.issuer"),
                            facts["issuer"])
                rep.compare(cap, key, "tls.server.not_before", g("tls.server.not_before"),
                            facts["notBefore"])
                rep.compare(cap, key, "tls.server.not_after", g("tls.server.not_after"),
                            facts["notAfter"])
    print("%d captures with TLS hellos; fields compared: %s" % (
        len(caps), ", ".join("%s %d" % kv for kv in sorted(per_field.items()))))
    return rep.finish()


if __name__ == "__main__":
    sys.exit(main())
