#!/usr/bin/env python3
"""coap.py: differential test of apnwatch.coap / apnwatch.lwm2m / url.* against tshark.

For every capture where tshark finds CoAP (the public ones, tests/pcaps/*.pcap
including the libcoap recordings lwm2m-*.pcap and coap-block-fw.pcap), both
tools decode every CoAP message; per flow (5-tuple) we compare:

  messages          CoAP messages in the flow (retransmissions included)
  requests          (method, uri) of the logical requests, first 16, in order:
                    uri = "/" + the Uri-Path options joined by "/" (each
                    percent-encoded per RFC 3986 pchar), then "?" + the
                    Uri-Query options joined by "&" (each encoded, "&" too);
                    a request tshark marks as a retransmission
                    (coap.request_first_in) is skipped; a request with
                    Block1/Block2 NUM > 0 for the same method and uri as the
                    previous logical request of its side continues it
  request_count     the number of logical requests
  content_format    each listed request's coap.opt.ctype (as a number)
  response_code     each listed request's answer: coap.code (and
  response_content_format, response_location: coap.opt.ctype, the first
                    coap.opt.location_path joined) of the last
                    response paired with one of its frames (RFC 7252 5.3.2:
                    an ACK by coap.mid and coap.token, a CON/NON answer by
                    coap.token; tshark's own coap.response_to misses answers
                    to empty tokens and separate answers); for an Observe
                    registration the first answer
  url               path, query and port (coap.opt.uri_port) of the first
                    request, domain = the first coap.opt.uri_host
  observe           GET/FETCH logical requests with coap.opt.observe == 0
  transfers         per (uri, Block1|Block2, direction) the data blocks: Block1
                    in requests, Block2 in answers (uri of the request tshark
                    pairs it with), from the option's NUM, M, size
                    (coap.opt.name "Block2: NUM:n, M:m, SZX:size") and the
                    payload length (coap.block_length / coap.payload_length):
                    a block at an offset (NUM * size) below the next expected
                    one was counted already; M=0 completes the transfer
  lwm2m.device.*    the last lwm2mtlv.resource.manufacturer / model_number /
  lwm2m.firmware.*  serial_number / firmware_version / package_uri / state /
                    update_result / pkgname / pkgversion tshark decodes
  lwm2m.endpoint    the last ep= / lt= / lwm2m= / b= query items of POST /rd
  lifetime, ...     and POST /bs requests

Besides, apnwatch must write apnwatch.coap for no flow where tshark finds no
CoAP (every public capture is run).

Differences are failures unless a named rule below explains them.
"""

import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

# Captures with CoAP on a port tshark does not know (apnwatch's probe finds it).
DECODE_AS = {
    "ndpi/coap_mqtt.pcap": ["-d", "udp.port==17500,coap"],
}

MAX_REQS = 16
MAX_TRANSFERS = 8
URI_MAX = 1024

METHODS = {1: "GET", 2: "POST", 3: "PUT", 4: "DELETE", 5: "FETCH", 6: "PATCH", 7: "iPATCH"}

# tshark 4.0's names of Content-Formats (packet-coap.c vals_ctype).
CTYPES = {
    "text/plain; charset=utf-8": 0,
    "application/cose; cose-type=\"cose-encrypt0\"": 16,
    "application/cose; cose-type=\"cose-mac0\"": 17,
    "application/cose; cose-type=\"cose-sign1\"": 18,
    "application/link-format": 40,
    "application/xml": 41,
    "application/octet-stream": 42,
    "application/exi": 47,
    "application/json": 50,
    "application/json-patch+json": 51,
    "application/merge-patch+json": 52,
    "application/cbor": 60,
    "application/cwt": 61,
    "application/multipart-core": 62,
    "application/cbor-seq": 63,
    "application/cose-key": 101,
    "application/cose-key-set": 102,
    "application/senml+json": 110,
    "application/sensml+json": 111,
    "application/senml+cbor": 112,
    "application/sensml+cbor": 113,
    "application/senml-exi": 114,
    "application/sensml-exi": 115,
    "application/coap-group+json": 256,
    "application/pkcs7-mime; smime-type=server-generated-key": 280,
    "application/pkcs7-mime; smime-type=certs-only": 281,
    "application/pkcs8": 284,
    "application/csrattrs": 285,
    "application/pkcs10": 286,
    "application/pkix-cert": 287,
    "application/senml+xml": 310,
    "application/sensml+xml": 311,
    "application/senml-etch+json": 320,
    "application/senml-etch+cbor": 322,
    "application/td+json": 432,
    "application/vnd.ocf+cbor": 10000,
    "application/oscore": 10001,
    "application/javascript": 10002,
    "application/vnd.oma.lwm2m+tlv": 11542,
    "application/vnd.oma.lwm2m+json": 11543,
    "application/vnd.oma.lwm2m+cbor": 11544,
    "text/css": 20000,
    "image/svg+xml": 30000,
}

LW_FIELDS = {
    "lwm2mtlv.resource.manufacturer": "device.manufacturer",
    "lwm2mtlv.resource.model_number": "device.model",
    "lwm2mtlv.resource.serial_number": "device.serial",
    "lwm2mtlv.resource.firmware_version": "device.firmware_version",
    "lwm2mtlv.resource.package_uri": "firmware.package_uri",
    "lwm2mtlv.resource.state": "firmware.state",
    "lwm2mtlv.resource.update_result": "firmware.update_result",
    "lwm2mtlv.resource.pkgname": "firmware.pkg_name",
    "lwm2mtlv.resource.pkgversion": "firmware.pkg_version",
}

FIELDS = ["coap.type", "coap.code", "coap.mid", "coap.token", "coap.opt.name",
          "coap.opt.uri_path", "coap.opt.uri_query", "coap.opt.location_path", "coap.opt.uri_host", "coap.opt.uri_port", "coap.opt.ctype",
          "coap.opt.observe", "coap.opt.block_number", "coap.opt.block_mflag",
          "coap.opt.block_size", "coap.block_length", "coap.payload_length",
          "coap.request_first_in", "coap.response_first_in", "coap.response_to"] + list(LW_FIELDS)

PCHAR = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$'()*+,;=:@")


def pct(s, query):
    """RFC 3986 percent-encoding of a path segment (query=False) or a query
    item (query=True: '/' and '?' stay, '&' is encoded)."""
    out = []
    for b in s.encode("utf-8", "surrogateescape"):
        ok = b in PCHAR or (query and b in b"/?") or (b == ord("&") and not query)
        out.append(chr(b) if ok else "%%%02X" % b)
    return "".join(out)


def replace_bad_utf8(uri):
    """uri as tshark shows its options: percent-decode, decode the bytes as
    UTF-8 with U+FFFD for what is not UTF-8, encode again."""
    path, q, query = uri.partition("?")

    def fix(part, is_query):
        b = bytearray()
        i = 0
        while i < len(part):
            if part[i] == "%":
                b.append(int(part[i + 1:i + 3], 16))
                i += 3
            else:
                b += part[i].encode()
                i += 1
        sep = "&" if is_query else "/"
        items = bytes(b).split(sep.encode())
        return sep.join(pct(x.decode("utf-8", "replace"), is_query) for x in items)
    return fix(path, False) + (q + fix(query, True) if q else "")


def bad_utf8(cap, key, field, ours, theirs):
    if field == "requests":
        return [(m, replace_bad_utf8(u)) for m, u in ours] == theirs
    if field == "url":
        o = dict(ours)
        for k in ("path", "query"):
            if k in o:
                o[k] = replace_bad_utf8(o[k] if k == "path" else "?" + o[k])
                o[k] = o[k][1:] if k == "query" else o[k]
        return o == theirs
    return False


def ctype_num(name):
    if name in CTYPES:
        return CTYPES[name]
    m = re.match(r"Unknown Type (\d+)$", name)
    if m:
        return int(m.group(1))
    raise KeyError("tshark Content-Format name not in the table: %r" % name)


def code_str(code):
    return "%d.%02d" % (code >> 5, code & 31)


def blocks_of(row):
    """[(option 1|2, num, m, size)]: the block fields in option order, named
    by coap.opt.name ("#3: Block2")."""
    opts = [1 if n.endswith("Block1") else 2 for n in row["coap.opt.name"]
            if n.endswith(("Block1", "Block2"))]
    return [(o, int(n), int(m), 16 << int(z)) for o, n, m, z in
            zip(opts, row["coap.opt.block_number"], row["coap.opt.block_mflag"],
                row["coap.opt.block_size"])]


def payload_len(row):
    for f in ("coap.block_length", "coap.payload_length"):
        if row[f]:
            return int(row[f][0])
    return 0


def token(row):
    return row["coap.token"][0] if row["coap.token"] else ""


def request_uri(row):
    path = "/" + "/".join(pct(s, False) for s in row["coap.opt.uri_path"])
    if row["coap.opt.uri_query"]:
        path += "?" + "&".join(pct(s, True) for s in row["coap.opt.uri_query"])
    return path[:URI_MAX], path


def expected(rows, source):
    """What apnwatch should say about one flow, from tshark's rows."""
    exp = {"messages": len(rows), "requests": [], "request_count": 0,
           "content_format": [], "response_code": [], "url": {}, "url_port": None,
           "observe": 0,
           "transfers": [], "lwm2m": {}}
    last = {0: None, 1: None}     # previous logical request per side: (method, uri, index)
    pending = []                  # [dir, mid, token, idx, observing, answered]
    observe_reqs = set()
    transfers = []                # dicts, in order of creation
    reqs = []                     # [method, uri, cf, code]
    frames = {r["frame.number"] for r in rows}

    def repeated(row, field):  # a retransmission of a frame of this flow event
        return bool(row[field]) and int(row[field][0]) in frames

    for row in rows:
        d = 0 if (row["src"], row["sport"]) == source else 1
        code = int(row["coap.code"][0]) if row["coap.code"] else 0
        cls = code >> 5
        if code == 0 or cls not in (0, 2, 4, 5):
            continue
        blocks = blocks_of(row)
        plen = payload_len(row)
        if cls == 0:
            if repeated(row, "coap.request_first_in"):
                continue  # tshark: a retransmission
            method = METHODS.get(code, code_str(code))
            uri, _full = request_uri(row)
            cont = any(b[1] > 0 for b in blocks)
            prev = last[d]
            if cont and prev and prev[0] == method and prev[1] == uri:
                idx = prev[2]
            else:
                exp["request_count"] += 1
                idx = len(reqs)
                cf = ctype_num(row["coap.opt.ctype"][0]) if row["coap.opt.ctype"] else None
                reqs.append([method, uri, cf, None, None, None])
                last[d] = (method, uri, idx)
                if len(reqs) == 1:
                    path, _, query = uri.partition("?")
                    exp["url"]["path"] = path
                    if query:
                        exp["url"]["query"] = query
                    if row["coap.opt.uri_port"]:
                        exp["url_port"] = int(row["coap.opt.uri_port"][0])
                obs = [int(v) for v in row["coap.opt.observe"]]
                if method in ("GET", "FETCH") and obs and obs[0] == 0:
                    exp["observe"] += 1
                    observe_reqs.add(idx)
            if row["coap.opt.uri_host"] and "domain" not in exp["url"]:
                exp["url"]["domain"] = row["coap.opt.uri_host"][0]
            obs = [int(v) for v in row["coap.opt.observe"]]
            pending.append([d, row["coap.mid"][0], token(row), idx,
                            method in ("GET", "FETCH") and obs[:1] == [0], False])
            for opt, num, m, size in blocks:
                if opt == 1 and plen:
                    block(transfers, uri, 1, d, num, m, size, plen, reqs[idx])
        else:
            if repeated(row, "coap.response_first_in"):
                continue
            ack = row["coap.type"] == ["2"]
            match = [p for p in pending if p[0] != d and p[2] == token(row)
                     and (not ack or p[1] == row["coap.mid"][0])]
            if not match:
                continue
            p = match[-1]
            idx = p[3]
            if not (p[4] and p[5]):
                reqs[idx][3] = code_str(code)
                if row["coap.opt.ctype"]:
                    reqs[idx][4] = ctype_num(row["coap.opt.ctype"][0])
                if row["coap.opt.location_path"] and reqs[idx][5] is None:
                    reqs[idx][5] = "/" + "/".join(pct(x, False)
                                                  for x in row["coap.opt.location_path"])
            p[5] = True
            for opt, num, m, size in blocks:
                if opt == 2 and plen:
                    block(transfers, reqs[idx][1], 2, d, num, m, size, plen, reqs[idx])
            if not (p[4] and row["coap.opt.observe"] and cls == 2):
                pending.remove(p)
    exp["requests"] = [(r[0], r[1]) for r in reqs[:MAX_REQS]]
    exp["content_format"] = [r[2] for r in reqs[:MAX_REQS]]
    exp["response_code"] = [r[3] for r in reqs[:MAX_REQS]]
    exp["response_content_format"] = [r[4] for r in reqs[:MAX_REQS]]
    exp["response_location"] = [r[5] for r in reqs[:MAX_REQS]]
    exp["transfers"] = [(t["uri"], "block%d" % t["opt"], "download" if t["dir"] else "upload",
                         t["bytes"], t["blocks"], t["complete"])
                        for t in transfers[:MAX_TRANSFERS]]
    # LwM2M: registration parameters and the TLV values tshark decodes.
    lw = {}
    for row in rows:
        code = int(row["coap.code"][0]) if row["coap.code"] else 0
        if code == 2 and row["coap.opt.uri_path"] in (["rd"], ["bs"]) \
                and not repeated(row, "coap.request_first_in"):
            q = {}
            for item in row["coap.opt.uri_query"]:
                k, _, v = item.partition("=")
                q.setdefault(k, v)
            if "ep" in q:
                lw["endpoint"] = q["ep"]
            if row["coap.opt.uri_path"] == ["rd"] and "ep" in q:
                if re.fullmatch(r"[0-9]+", q.get("lt", "x")):
                    lw["lifetime"] = int(q["lt"])
                if "lwm2m" in q:
                    lw["version"] = q["lwm2m"]
                if "b" in q:
                    lw["binding"] = q["b"]
        for f, ours in LW_FIELDS.items():
            if row[f]:
                v = row[f][-1]
                lw[ours] = int(v) if ours in ("firmware.state", "firmware.update_result") else v
    exp["lwm2m"] = lw
    return exp


def block(transfers, uri, opt, d, num, m, size, plen, req):
    t = None
    for cand in reversed(transfers):
        if cand["uri"] == uri and cand["opt"] == opt and cand["dir"] == d:
            t = cand
            break
    off = num * size
    if t is None or (t["complete"] and off == 0):
        t = {"uri": uri, "opt": opt, "dir": d, "bytes": 0, "blocks": 0, "next": 0,
             "complete": False}
        transfers.append(t)
    elif t["complete"] or off < t["next"]:
        return
    t["bytes"] += plen
    t["blocks"] += 1
    t["next"] = off + plen
    if not m:
        t["complete"] = True


UDP_IDLE_US = 120 * 1000000  # apnwatch's default UDP idle timeout


def frame_times(cap):
    """Every frame's time in microseconds, in capture order."""
    r = subprocess.run([os.environ.get("TSHARK", "tshark"), "-r", cap, "-T", "fields",
                        "-e", "frame.number", "-e", "frame.time_epoch"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = []
    for line in r.stdout.splitlines():
        n, t = line.split("\t")
        out.append((int(n), round(float(t) * 1e6)))
    return out


def split_by_event(times, evs, rows):
    """[(event, its rows)]: one 5-tuple makes several flow events when the
    capture's clock jumps past the idle timeout.  The flow's rows are cut
    where a frame (of any flow) comes more than the timeout after the flow's
    last frame, as apnwatch's flow table does; the pieces go to the events
    in order.  Rows of no event come with None."""
    mine = {r["frame.number"]: r for r in rows}
    pieces, cur, last = [], [], None
    for n, t in times:
        if last is not None and last + UDP_IDLE_US < t and cur:
            pieces.append(cur)
            cur, last = [], None
        if n in mine:
            cur.append(mine[n])
            last = t
    if cur:
        pieces.append(cur)
    res = [(evs[i] if i < len(evs) else None, p) for i, p in enumerate(pieces)]
    return res


def ours_of(ev):
    co = common.get(ev, "apnwatch.coap") or {}
    reqs = co.get("requests", [])
    lw = common.get(ev, "apnwatch.lwm2m") or {}
    got = {}
    for k in ("endpoint", "lifetime", "version", "binding"):
        if k in lw:
            got[k] = lw[k]
    for k in LW_FIELDS.values():
        v = common.get(lw, k)
        if v is not None:
            got[k] = v
    return {
        "messages": co.get("messages", 0),
        "requests": [(r["method"], r["uri"]) for r in reqs],
        "request_count": co.get("request_count", 0),
        "content_format": [r.get("content_format") for r in reqs],
        "response_code": [common.get(r, "response.code") for r in reqs],
        "response_content_format": [common.get(r, "response.content_format") for r in reqs],
        "response_location": [common.get(r, "response.location") for r in reqs],
        "url": {k: v for k, v in ev.get("url", {}).items() if k != "port"},
        "url_port": common.get(ev, "url.port"),
        "observe": co.get("observe", 0),
        "transfers": [(t["uri"], t["option"], t["direction"], t["bytes"], t["blocks"],
                       t["complete"]) for t in common.get(co, "blocks.transfers") or []],
        "lwm2m": got,
    }


BASE = ["frame.number", "frame.time_epoch", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "udp.srcport",
        "udp.dstport"]


def tshark_fields(cap, fields, display_filter, extra=()):
    """Rows like common.tshark's (base fields: the last occurrence, "" when
    absent; the others: lists of every occurrence)."""
    cmd = [os.environ.get("TSHARK", "tshark"), "-r", cap, "-T", "fields", "-E",
           "separator=/t", "-E", "occurrence=a", "-E", "aggregator=\x1f",
           "-Y", display_filter] + list(extra)
    allf = BASE + fields
    for f in allf:
        cmd += ["-e", f]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       errors="surrogateescape")
    rows = []
    for line in r.stdout.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(allf) - len(cols))
        row = {}
        for name, val in zip(allf, cols):
            vals = val.split("\x1f") if val != "" else []
            row[name] = (vals[-1] if vals else "") if name in BASE else vals
        row["frame.number"] = int(row["frame.number"] or 0)
        row["tcp.srcport"] = ""
        rows.append(row)
    return rows


def tshark_rows(cap, extra):
    rows = tshark_fields(cap, FIELDS, "coap", extra)
    out = {}
    for r in rows:
        key = common.packet_key(r)
        if key is None:
            continue
        r["src"] = r["ipv6.src"] or r["ip.src"]
        r["sport"] = int(r["udp.srcport"] or 0)
        out.setdefault(key, []).append(r)
    return out


def main():
    rep = common.Report("coap")
    rep.rule("lwm2m-values-tshark-lacks",
             "object 3/5 values apnwatch has and tshark does not name: tshark decodes them "
             "from TLV only (apnwatch also from LwM2M JSON, SenML JSON, plain text: "
             "TD_LWM2M_1_INT_204_PASS), and names TLV resources after the path of the "
             "first request that used the token (libcoap restarts its tokens at 01 each "
             "run: in lwm2m-mgmt the TLV of GET /3/0 is shown as object 0 under /rd); "
             "every field both have is equal",
             lambda cap, key, field, ours, theirs:
             field == "lwm2m" and all(ours.get(k) == v for k, v in theirs.items())
             and all(k.startswith(("device.", "firmware.")) for k in ours if k not in theirs))

    rep.rule("uri-port-over-2-bytes",
             "a Uri-Port longer than 2 bytes is out of its range (RFC 7252 5.10: 0-2 bytes) "
             "and is treated like an unrecognised option (5.4.3): apnwatch writes no "
             "url.port, tshark shows the value (4294967295 in ndpi/coap_mqtt frame 5)",
             lambda cap, key, field, ours, theirs:
             field == "url_port" and ours is None and theirs > 65535)
    rep.rule("tshark-replaces-bad-utf8",
             "tshark shows option bytes that are not UTF-8 as U+FFFD; apnwatch "
             "percent-encodes the bytes themselves (RFC 3986): equal once apnwatch's "
             "bytes are decoded the way tshark does",
             bad_utf8)

    pub = common.public_dir()
    extra = {}
    if len(sys.argv) > 1:  # only these captures
        caps = [os.path.abspath(p) for p in sys.argv[1:]]
    else:
        caps = common.captures(protocol_filter="coap")
    if pub:
        for rel, args in DECODE_AS.items():
            p = os.path.join(pub, rel)
            extra[p] = args
            if len(sys.argv) == 1 and os.path.exists(p) and p not in caps:
                caps.append(p)
    if len(sys.argv) > 1:
        pub = None
    for cap in caps:
        flows, _ = common.run_apnwatch(cap)
        by_key = tshark_rows(cap, extra.get(cap, []))
        times = frame_times(cap) if any(len(v) > 1 for v in flows.values()) else []
        for key, rows in by_key.items():
            evs = flows.get(key, [])
            pieces = split_by_event(times, evs, rows) if len(evs) > 1 else [
                (evs[0] if evs else None, rows)]
            for ev, ev_rows in pieces:
                if ev is None:
                    rep.fail("%s: %s: %d CoAP frames in no flow event"
                             % (common.short(cap), common.fmt_key(key), len(ev_rows)))
                    continue
                source = (ev["source"]["ip"], ev["source"].get("port"))
                exp = expected(ev_rows, source)
                ours = ours_of(ev)
                for field in exp:
                    rep.compare(cap, key, field, ours[field], exp[field])
        for key, evs in flows.items():
            if key not in by_key and any(common.get(e, "apnwatch.coap") for e in evs):
                rep.fail("%s: %s: apnwatch.coap where tshark finds no CoAP"
                         % (common.short(cap), common.fmt_key(key)))
    if pub:
        done = set(caps)
        others = [p for p in sorted(glob.glob(os.path.join(pub, "**", "*.pcap*"),
                                              recursive=True)) if p not in done]
        for cap in others:
            flows, _ = common.run_apnwatch(cap)
            for key, evs in flows.items():
                if any(common.get(e, "apnwatch.coap") for e in evs):
                    rep.fail("%s: %s: apnwatch.coap where tshark finds no CoAP"
                             % (common.short(cap), common.fmt_key(key)))
        print("coap: %d captures with CoAP, %d without checked for false positives"
              % (len(caps), len(others)))
    return rep.finish()


if __name__ == "__main__":
    sys.exit(main())
