"""http.py: differential test of the HTTP dissector against tshark.

For every capture where tshark or apnwatch finds HTTP (the public captures and
tests/pcaps/*.pcap), flow by flow, on the flow event apnwatch wrote:

  first transaction (ECS fields)
    http.request.method        <-> http.request.method of the first request
    url.original               <-> http.request.uri
    url.domain                 <-> http.host without its port
    user_agent.original        <-> http.user_agent
    http.request.mime_type     <-> http.content_type of the request, media type only
    http.request.body.bytes    <-> http.content_length of the request
    http.version               <-> the version of http.request.version (else of the response)
    http.response.status_code  <-> http.response.code of its final response
    http.response.mime_type    <-> http.content_type of that response, media type only
    http.response.body.bytes   <-> its http.content_length (chunked: sum of http.chunk_size)
  the list (apnwatch.http)
    transactions               <-> number of tshark transactions (T2)
    requests[i].method/host/uri                      <-> i-th transaction's request
    requests[i].status/content_type/response_bytes   <-> its response (content_type in full)

Decode rules (how tshark's per-packet rows become transactions):
  T1  a frame's HTTP fields are attributed to its messages in order; a frame
      with several messages attributes Content-Type/-Length only when every
      message has one (no capture has such a frame today);
  T2  transactions in frame order: each request starts one; a final response
      joins the request tshark names in http.request_in, or, when it names
      none, starts one of its own (as apnwatch does for a response whose
      request it did not see);
  T3  1xx interim responses (but 101, which ends HTTP on the connection) are
      not final responses: tshark lists them, apnwatch skips them (counted
      in the summary line as "interim");
  T4  tshark reads HTTP on its default ports and by its TCP heuristic; a flow
      apnwatch took on another port is decoded with -d tcp.port==N,http (the
      brief's non-standard-port rule).

Every other difference fails, unless one of the named rules below explains it.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

FIELDS = ["http.request.method", "http.request.uri", "http.request.version", "http.host",
          "http.user_agent", "http.response.code", "http.response.version",
          "http.content_type", "http.content_length", "http.chunk_size", "http.request_in"]
KEPT = 16  # transactions apnwatch keeps in apnwatch.http.requests
URI_MAX, NAME_MAX, UA_MAX = 1024, 255, 1024
# tshark's default http.tcp.port range (Wireshark 4.0 preferences).
TSHARK_PORTS = {80, 3128, 3132, 5985, 8080, 8088, 11371, 1900, 2869, 2710}
# Methods apnwatch's probe recognises (the brief's list); on other ports a
# flow that starts with another method is not taken.
PROBE_METHODS = {"GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "CONNECT"}
APN_PORTS = {80, 8080, 8000, 8008}

rep = common.Report("http")

# ---- named rules: each a justified difference ------------------------------
# Facts the rules check, gathered while comparing: (capture, key, field) -> value.
INCOMPLETE = {}    # the response tshark shows only with http.desegment_body off
NO_BODY = set()    # body sizes of responses to HEAD, and of 204/304
UNTAKEN = set()    # (capture, key) of flows apnwatch's probe/ports/nDPI do not take


def _incomplete(cap, key, field, ours, theirs):
    # tshark (http.desegment_body on, its default) shows a response only once
    # its whole body is reassembled; when segments are missing or the capture
    # ends first, the response never appears.  apnwatch reads the headers as
    # they come.  Checked: tshark with -o http.desegment_body:FALSE shows that
    # response with apnwatch's value (body size: its Content-Length, or for a
    # body without one, apnwatch's count of what it saw).
    k = (cap, key, field)
    if theirs is not None or k not in INCOMPLETE:
        return False
    want = INCOMPLETE[k]
    return ours == want or (want == "counted" and isinstance(ours, int))


rep.rule("tshark-body-incomplete", "tshark shows a response only after reassembling its "
         "whole body; segments missing or the capture ended (checked with "
         "http.desegment_body:FALSE)", _incomplete)


def _counted(cap, key, field, ours, theirs):
    # apnwatch writes the bytes it counted for a body without Content-Length
    # that ends at the close (RFC 9112 6.3 #8) or HTTP/0.9's bare body; tshark
    # has no http.content_length there.  (Chunked bodies are compared with the
    # sum of tshark's chunk sizes, not explained here.)
    return field.endswith(("body.bytes", "response_bytes")) and theirs is None and \
        isinstance(ours, int) and (cap, key, field) in CLOSE_DELIMITED


CLOSE_DELIMITED = set()
rep.rule("close-delimited-body", "a body without Content-Length or chunking ends at the "
         "close: apnwatch counts its bytes, tshark has no content_length", _counted)


def _no_body(cap, key, field, ours, theirs):
    # A response to HEAD, and 204/304, carries no body whatever its
    # Content-Length says (RFC 9110 9.3.2, 15.3.5, 15.4.5): apnwatch writes no
    # body size, tshark shows the header's value.
    return ours is None and theirs is not None and (cap, key, field) in NO_BODY


rep.rule("no-body-response", "HEAD/204/304 responses have no body (RFC 9110); tshark still "
         "reports their Content-Length header", _no_body)


def _capped(cap, key, field, ours, theirs):
    lim = {"url.original": URI_MAX, "uri": URI_MAX, "host": NAME_MAX,
           "user_agent.original": UA_MAX, "content_type": NAME_MAX}
    n = lim.get(field.split(".")[-1] if field.startswith("requests[") else field)
    return n is not None and isinstance(theirs, str) and isinstance(ours, str) and \
        len(theirs.encode()) > n and theirs.encode()[:n] == ours.encode()[:n]


rep.rule("length-cap", "strings are capped (URI 1024, Host/Content-Type 255, User-Agent "
         "1024 bytes)", _capped)


def _untaken(cap, key, field, ours, theirs):
    # tshark's TCP heuristic finds HTTP on any port; apnwatch takes a flow by
    # its probe (the brief's methods GET POST PUT HEAD DELETE OPTIONS PATCH
    # CONNECT, or "HTTP/1."), its ports (80 8080 8000 8008) or nDPI's HTTP,
    # and gets the flow's bytes from the packet that made it choose.  A flow
    # on another port whose request uses another method (UPnP GENA's
    # SUBSCRIBE/NOTIFY) is taken at its response, or not at all.
    return (cap, key) in UNTAKEN


rep.rule("probe-methods", "flow on a port not HTTP's whose request method is outside the "
         "probe's list (UPnP SUBSCRIBE): apnwatch takes it at the response or never",
         _untaken)


def _ws_target(cap, key, field, ours, theirs):
    # RFC 9112 3: a recipient may parse the request line on whitespace-
    # delimited words; apnwatch does, so "GET    /x HTTP/1.1" has target
    # "/x".  tshark takes the empty string between the first two spaces and
    # shows no http.request.uri (nDPI's http-manipulated.pcap).
    return (field == "url.original" or field.endswith(".uri")) and theirs is None and \
        isinstance(ours, str) and (cap, key) in NO_URI


NO_URI = set()
rep.rule("whitespace-request-line", "request line with several spaces between method and "
         "target: apnwatch parses words (RFC 9112 3), tshark sees an empty target",
         _ws_target)


def _simple(cap, key, field, ours, theirs):
    # HTTP/0.9's "GET /path" has no version: apnwatch writes http.version
    # "0.9", tshark has no http.request.version (and shows the bare body
    # as continuation, covered by close-delimited-body).
    return field == "http.version" and ours == "0.9" and theirs is None


rep.rule("http-0.9", "a simple request (RFC 1945 4.1) has no version field in tshark; "
         "apnwatch writes 0.9", _simple)

# ---- tshark side --------------------------------------------------------------


def tshark_rows(cap, extra):
    """common.tshark's rows.  common.tshark() raises IndexError on a row whose
    base field is empty (ipv6.src of an IPv4 packet: vals[-1] of []), so this
    parses the same output itself; drop it once common.py is fixed."""
    allf = common._BASE + [f for f in FIELDS if f not in common._BASE]
    cmd = [os.environ.get("TSHARK", "tshark"), "-r", cap, "-T", "fields", "-E",
           "separator=/t", "-E", "occurrence=a", "-E", "aggregator=\x1f", "-Y", "http"]
    cmd += list(extra)
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
            row[name] = (vals[-1] if vals else "") if name in common._BASE else vals
        row["frame.number"] = int(row["frame.number"] or 0)
        rows.append(row)
    return rows


def version(v):
    return v[5:] if v and v.startswith("HTTP/") else None


def tshark_transactions(cap, extra, dechunk=True):
    """key -> {"txn": [{"req": {...} or None, "resp": {...} or None}], "interim": n}."""
    flows = {}
    for r in tshark_rows(cap, extra):
        key = common.packet_key(r)
        if key is None or key[0] != "tcp":
            continue
        fl = flows.setdefault(key, {"txn": [], "interim": 0, "by_frame": {}})
        methods, codes = r["http.request.method"], r["http.response.code"]
        nmsg = len(methods) + len(codes)
        if nmsg == 0:
            continue
        cts, cls = r["http.content_type"], r["http.content_length"]

        def attr(vals, i, n=nmsg):  # T1
            if n == 1:
                return vals[0] if vals else None
            return vals[i] if len(vals) == n else None
        i = 0
        for j, m in enumerate(methods):
            t = {"req": {"method": m, "uri": attr(r["http.request.uri"], j, len(methods)),
                         "host": attr(r["http.host"], j, len(methods)),
                         "ua": attr(r["http.user_agent"], j, len(methods)),
                         "version": version(attr(r["http.request.version"], j,
                                                 len(methods))),
                         "ct": attr(cts, i), "cl": attr(cls, i)},
                 "resp": None, "frame": r["frame.number"]}
            fl["txn"].append(t)
            fl["by_frame"].setdefault(r["frame.number"], []).append(t)
            i += 1
        for j, c in enumerate(codes):
            code = int(c)
            if 100 <= code < 200 and code != 101:  # T3
                fl["interim"] += 1
                i += 1
                continue
            cl = attr(cls, i)
            chunks = r["http.chunk_size"]
            if cl is None and chunks and nmsg == 1 and dechunk:
                cl = str(sum(int(x) for x in chunks))
            resp = {"code": code, "ct": attr(cts, i), "cl": cl,
                    "version": version(attr(r["http.response.version"], j, len(codes)))}
            i += 1
            req_in = attr(r["http.request_in"], j, len(codes))
            for t in fl["by_frame"].get(int(req_in) if req_in else -1, []):  # T2
                if t["resp"] is None:
                    t["resp"] = resp
                    break
            else:
                fl["txn"].append({"req": None, "resp": resp, "frame": r["frame.number"]})
    return flows


def as_int(v):
    return int(v) if v is not None else None


def compare_flow(cap, key, evs, ts, ts2):
    """evs: apnwatch's HTTP flow events for key, oldest first; ts, ts2: tshark's
    transactions (default, and with http.desegment_body off)."""
    ev = evs[0]
    txns = ts["txn"] if ts else []
    # Responses tshark shows only without body reassembly, by request frame.
    late = {}
    for t in (ts2 or {}).get("txn", []):
        if t["req"] is not None and t["resp"] is not None:
            late[t["frame"]] = t["resp"]
    ours_list, ours_n = [], 0
    for e in evs:
        h = common.get(e, "apnwatch.http", {})
        ours_list += h.get("requests", [])
        ours_n += h.get("transactions", 0)

    def note(t, field_ct, field_cl, field_code=None, full_ct=False):
        """Facts for the rules about transaction t's response fields."""
        q, s = t["req"] or {}, t["resp"]
        if s is None and t["req"] is not None and t["frame"] in late:
            s2 = late[t["frame"]]
            if field_code:
                INCOMPLETE[(cap, key, field_code)] = s2["code"]
            ct = s2["ct"] if full_ct else (media(s2["ct"]) if s2["ct"] else None)
            INCOMPLETE[(cap, key, field_ct)] = ct
            INCOMPLETE[(cap, key, field_cl)] = as_int(s2["cl"]) if s2["cl"] else "counted"
        if q.get("method") == "HEAD" or (s or {}).get("code") in (204, 304):
            NO_BODY.add((cap, key, field_cl))
        if q.get("method") and not q.get("uri"):
            NO_URI.add((cap, key))
        if (s is not None and s["cl"] is None) or (q.get("method") and not q.get("version")):
            CLOSE_DELIMITED.add((cap, key, field_cl))

    t0 = txns[0] if txns else {"req": None, "resp": None, "frame": 0}
    q0, s0 = t0["req"] or {}, t0["resp"] or {}
    note(t0, "http.response.mime_type", "http.response.body.bytes",
         "http.response.status_code")
    g = lambda f: common.get(ev, f)  # noqa: E731
    rep.compare(cap, key, "http.request.method", g("http.request.method"), q0.get("method"))
    rep.compare(cap, key, "url.original", g("url.original"), q0.get("uri"))
    rep.compare(cap, key, "url.domain", g("url.domain"), host_domain(q0.get("host")) or None)
    rep.compare(cap, key, "user_agent.original", g("user_agent.original"), q0.get("ua"))
    rep.compare(cap, key, "http.request.mime_type", g("http.request.mime_type"),
                media(q0.get("ct")) or None)
    rep.compare(cap, key, "http.request.body.bytes", g("http.request.body.bytes"),
                as_int(q0.get("cl")))
    rep.compare(cap, key, "http.version", g("http.version"),
                q0.get("version") or s0.get("version"))
    rep.compare(cap, key, "http.response.status_code", g("http.response.status_code"),
                s0.get("code"))
    rep.compare(cap, key, "http.response.mime_type", g("http.response.mime_type"),
                media(s0.get("ct")) or None)
    rep.compare(cap, key, "http.response.body.bytes", g("http.response.body.bytes"),
                as_int(s0.get("cl")))
    rep.compare(cap, key, "transactions", ours_n, len(txns))
    for i, t in enumerate(txns[:KEPT]):
        o = ours_list[i] if i < len(ours_list) else {}
        q, s = t["req"] or {}, t["resp"] or {}
        p = "requests[%d]." % i
        note(t, p + "content_type", p + "response_bytes", p + "status", full_ct=True)
        rep.compare(cap, key, p + "method", o.get("method"), q.get("method"))
        rep.compare(cap, key, p + "host", o.get("host"), q.get("host"))
        rep.compare(cap, key, p + "uri", o.get("uri"), q.get("uri"))
        rep.compare(cap, key, p + "status", o.get("status"), s.get("code"))
        rep.compare(cap, key, p + "content_type", o.get("content_type"), s.get("ct"))
        rep.compare(cap, key, p + "response_bytes", o.get("response_bytes"),
                    as_int(s.get("cl")))


def media(ct):
    return ct.split(";")[0].strip() if ct is not None else None


def host_domain(h):
    """Host without its port, as apnwatch's url.domain (brackets kept)."""
    if not h:
        return None
    if h.startswith("["):
        e = h.find("]")
        return h[:e + 1] if e >= 0 else h
    if h.count(":") == 1:
        d, p = h.split(":")
        if p == "" or (p.isdigit() and len(p) <= 5 and int(p) <= 65535):
            return d
    return h


def main():
    caps = common.captures()
    only = [a for a in sys.argv[1:] if not a.startswith("-")]
    if only:
        caps = [c for c in caps if any(o in c for o in only)]
    flows_compared = interim = 0
    for cap in caps:
        ours, _ = common.run_apnwatch(cap)
        mine = {}
        for k, evs in ours.items():
            evs = [e for e in evs if common.get(e, "apnwatch.dissector") == "http"]
            if evs:
                mine[k] = sorted(evs, key=lambda e: e["event"]["start"])
        extra = []
        for p in sorted({e["destination"].get("port") for evs in mine.values() for e in evs}
                        - TSHARK_PORTS - {None}):  # T4
            extra += ["-d", "tcp.port==%d,http" % p]
        if not mine and not common._has_packets(cap, "http"):
            continue
        ts = tshark_transactions(cap, extra)
        ts2 = {}
        if any(t["req"] and not t["resp"] for f in ts.values() for t in f["txn"]):
            ts2 = tshark_transactions(cap, extra + ["-o", "http.desegment_body:FALSE"],
                                      dechunk=False)
        for key in sorted(set(mine) | set(ts), key=common.fmt_key):
            t = ts.get(key)
            if t:
                interim += t["interim"]
            if key not in mine and (not t or not t["txn"]):
                continue
            q = (t["txn"][0]["req"] or {}) if t and t["txn"] else {}
            if q and q.get("method") not in PROBE_METHODS and \
                    not {p for _, p in key[1]} & APN_PORTS:
                UNTAKEN.add((cap, key))
            compare_flow(cap, key, mine.get(key, [{}]), t, ts2.get(key))
            flows_compared += 1
    print("flows compared: %d; interim 1xx responses tshark lists (T3): %d"
          % (flows_compared, interim))
    return rep.finish()


if __name__ == "__main__":
    sys.exit(main())
