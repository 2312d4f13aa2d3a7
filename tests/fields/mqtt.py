#!/usr/bin/env python3
"""mqtt.py: differential test of apnwatch.mqtt against tshark.

For every capture with MQTT (the public ones tshark finds MQTT in, the
ones named below with a decode-as, tests/pcaps/*.pcap), both tools decode
every MQTT message; per flow (5-tuple) we compare:

  version          first CONNECT's mqtt.ver (3 -> "3.1", 4 -> "3.1.1", 5 -> "5.0")
  client_id        first CONNECT's mqtt.clientid
  username         first CONNECT's mqtt.username (absent when the flag is off)
  will_topic       first CONNECT's mqtt.willtopic
  publish.topics   PUBLISH mqtt.topic, mqtt.qos, mqtt.retain, direction, and
                   per line the message count and payload bytes (len of
                   mqtt.msg): one line per distinct (topic, qos, retain,
                   direction), first 16, in order of first appearance
  publish.published / .delivered   count and payload bytes per direction
  subscribe        SUBSCRIBE filters (mqtt.topic) with mqtt.sub.qos (3.x) or
                   mqtt.subscription_options_qos (5.0), first 16; and the total
  unsubscribe      UNSUBSCRIBE filters (mqtt.topic), first 16; and the total
  pingreq          PINGREQ count
  messages         MQTT messages in the flow

Direction: "publish" is the client's (the side that sent CONNECT, SUBSCRIBE,
UNSUBSCRIBE or PINGREQ, or that did not send CONNACK, SUBACK, UNSUBACK or
PINGRESP, whichever comes first), "deliver" the broker's; with none of these
the flow's source is the client.  That rule is applied here to tshark's
decode, independently of apnwatch's.

Besides, apnwatch must write apnwatch.mqtt for no flow where tshark finds no
MQTT (all public captures are run).

Differences are failures unless a named rule below explains them.
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

MAX_ITEMS = 16
TOPIC_MAX = 1024  # apnwatch keeps topics and filters up to 1024 bytes
NAME_MAX = 255    # client id, user name

# Captures with MQTT on a port tshark does not know.
DECODE_AS = {
    "ndpi/coap_mqtt.pcap": ["-d", "tcp.port==17501,mqtt"],
}

VERSIONS = {"3": "3.1", "4": "3.1.1", "5": "5.0"}
CLIENT_SENDS = {1, 8, 10, 12}  # CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ
SERVER_SENDS = {2, 9, 11, 13}  # CONNACK, SUBACK, UNSUBACK, PINGRESP


class Many(list):
    """Several protocol layers of one name in one frame (tshark's JSON
    repeats the key)."""


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


def as_list(v):
    if v is None:
        return []
    return list(v) if isinstance(v, list) else [v]


def last(v):
    return v[-1] if isinstance(v, Many) else v


def utf8_cut(s, cap):
    b = s.encode("utf-8", "surrogateescape")
    if len(b) <= cap:
        return s
    n = cap
    while n > 0 and (b[n] & 0xC0) == 0x80:
        n -= 1
    return b[:n].decode("utf-8", "surrogateescape")


def cut_topics(field, lines):
    """lines with their topics (filters) cut as apnwatch cuts them."""
    if field == "unsubscribe":
        return [utf8_cut(f, TOPIC_MAX) for f in lines]
    return [[utf8_cut(x[0], TOPIC_MAX)] + list(x[1:]) for x in lines]


def tshark_messages(cap, extra):
    """[(key, src (ip, port), message dict)] in capture order."""
    cmd = [os.environ.get("TSHARK", "tshark"), "-r", cap, "-T", "json", "-J",
           "ip ipv6 tcp mqtt", "-Y", "mqtt"] + extra
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                       errors="surrogateescape")
    out = []
    for pkt in json.loads(r.stdout or "[]", object_pairs_hook=_pairs):
        layers = pkt["_source"]["layers"]
        ip = last(layers.get("ipv6")) or last(layers.get("ip"))
        tcp = last(layers.get("tcp"))
        if ip is None or tcp is None:
            continue
        fam = "ipv6" if "ipv6" in layers and last(layers["ipv6"]) is ip else "ip"
        src = (ip[fam + ".src"], int(tcp["tcp.srcport"]))
        dst = (ip[fam + ".dst"], int(tcp["tcp.dstport"]))
        key = ("tcp", frozenset((src, dst)))
        for m in as_list(layers.get("mqtt")) if isinstance(layers.get("mqtt"), Many) \
                else [layers.get("mqtt")]:
            if isinstance(m, dict) and "mqtt.hdrflags_tree" in m:
                out.append((key, src, m))
    return out


def msg_type(m):
    return int(m["mqtt.hdrflags_tree"]["mqtt.msgtype"])


def payload_len(m):
    v = m.get("mqtt.msg")
    if not v:
        return 0
    return (len(v) + 1) // 3


def expected(msgs, source):
    """What apnwatch.mqtt should say about one flow, from tshark's decode."""
    exp = {"messages": len(msgs), "pingreq": 0}
    client = None
    for src, m in msgs:
        t = msg_type(m)
        if t in CLIENT_SENDS:
            client = src
            break
        if t in SERVER_SENDS:
            others = {s for s, _ in msgs if s != src}
            client = others.pop() if others else ("?", 0)
            break
    if client is None:
        client = source
    connect = None
    topics, lines = [], {}
    pub = {"publish": [0, 0], "deliver": [0, 0]}
    subs, nsubs, unsubs, nunsubs = [], 0, [], 0
    for src, m in msgs:
        t = msg_type(m)
        if t == 1 and connect is None:
            connect = m
        elif t == 3:
            d = "publish" if src == client else "deliver"
            hf = m["mqtt.hdrflags_tree"]
            topic = m.get("mqtt.topic", "")
            k = (topic, int(hf["mqtt.qos"]), hf["mqtt.retain"] in ("1", "True", "true"), d)
            n = payload_len(m)
            pub[d][0] += 1
            pub[d][1] += n
            if k in lines:
                lines[k][1] += 1
                lines[k][2] += n
            elif len(topics) < MAX_ITEMS:
                lines[k] = [k, 1, n]
                topics.append(lines[k])
        elif t == 8:
            filters = as_list(m.get("mqtt.topic"))
            qos = as_list(m.get("mqtt.sub.qos"))
            if not qos:
                qos = [o.get("mqtt.subscription_options_qos")
                       for o in as_list(m.get("mqtt.subscription_options_tree"))]
            for f, q in zip(filters, qos):
                nsubs += 1
                if len(subs) < MAX_ITEMS:
                    subs.append([f, int(q)])
        elif t == 10:
            for f in as_list(m.get("mqtt.topic")):
                nunsubs += 1
                if len(unsubs) < MAX_ITEMS:
                    unsubs.append(f)
        elif t == 12:
            exp["pingreq"] += 1
    if connect is not None:
        exp["version"] = VERSIONS.get(connect.get("mqtt.ver"))
        exp["client_id"] = connect.get("mqtt.clientid", "")
        exp["username"] = connect.get("mqtt.username")
        exp["will_topic"] = connect.get("mqtt.willtopic")
    else:
        exp["version"] = exp["client_id"] = exp["username"] = exp["will_topic"] = None
    exp["publish.topics"] = [[k[0], k[1], k[2], k[3], c, b] for k, c, b in topics]
    exp["publish.published"] = pub["publish"]
    exp["publish.delivered"] = pub["deliver"]
    exp["subscribe"] = subs
    exp["subscribe_count"] = nsubs
    exp["unsubscribe"] = unsubs
    exp["unsubscribe_count"] = nunsubs
    return exp


def ours_of(ev):
    m = common.get(ev, "apnwatch.mqtt") or {}
    p = m.get("publish", {})
    return {
        "messages": m.get("messages", 0),
        "pingreq": m.get("pingreq", 0),
        "version": m.get("version"),
        "client_id": m.get("client_id"),
        "username": m.get("username"),
        "will_topic": m.get("will_topic"),
        "publish.topics": [[t["topic"], t["qos"], t["retain"], t["direction"], t["count"],
                            t["bytes"]] for t in p.get("topics", [])],
        "publish.published": [p.get("published", {}).get("count", 0),
                              p.get("published", {}).get("bytes", 0)],
        "publish.delivered": [p.get("delivered", {}).get("count", 0),
                              p.get("delivered", {}).get("bytes", 0)],
        "subscribe": [[s["filter"], s["qos"]] for s in m.get("subscribe", [])],
        "subscribe_count": m.get("subscribe_count", 0),
        "unsubscribe": list(m.get("unsubscribe", [])),
        "unsubscribe_count": m.get("unsubscribe_count", 0),
    }


def main():
    rep = common.Report("mqtt")
    rep.rule("name-cap-255",
             "apnwatch keeps client ids and user names up to 255 bytes (cut at a UTF-8 "
             "boundary); tshark shows them whole",
             lambda cap, key, field, ours, theirs:
             field in ("client_id", "username") and isinstance(theirs, str)
             and isinstance(ours, str) and ours == utf8_cut(theirs, NAME_MAX))
    rep.rule("topic-cap-1024",
             "apnwatch keeps topics and filters up to 1024 bytes (cut at a UTF-8 boundary); "
             "tshark shows them whole",
             lambda cap, key, field, ours, theirs:
             field in ("publish.topics", "subscribe", "unsubscribe")
             and ours == cut_topics(field, theirs) != theirs)
    rep.rule("in-flight-order",
             "tshark lists a PUBLISH at the segment that completes it, apnwatch at the one "
             "that completes its topic: when both sides publish at once, a long message "
             "of one side and a message of the other can swap places in the topic list "
             "(same lines, same order within each direction)",
             lambda cap, key, field, ours, theirs:
             field == "publish.topics" and sorted(ours) == sorted(theirs)
             and all([t for t in ours if t[3] == d] == [t for t in theirs if t[3] == d]
                     for d in ("publish", "deliver")))

    pub = common.public_dir()
    if len(sys.argv) > 1:  # only these captures (tests/mqtt-live.test)
        caps = [os.path.abspath(p) for p in sys.argv[1:]]
        pub = None
    else:
        caps = common.captures(protocol_filter="mqtt")
    extra = {}
    if pub:
        for rel, args in DECODE_AS.items():
            p = os.path.join(pub, rel)
            if os.path.exists(p):
                extra[p] = args
                if p not in caps:
                    caps.append(p)
    for cap in caps:
        flows, _ = common.run_apnwatch(cap)
        by_key = {}
        for key, src, m in tshark_messages(cap, extra.get(cap, [])):
            by_key.setdefault(key, []).append((src, m))
        for key, msgs in by_key.items():
            evs = flows.get(key, [])
            if len(evs) != 1:
                rep.fail("%s: %s: %d flow events for one MQTT 5-tuple"
                         % (common.short(cap), common.fmt_key(key), len(evs)))
                continue
            ev = evs[0]
            source = (ev["source"]["ip"], ev["source"]["port"])
            exp = expected(msgs, source)
            ours = ours_of(ev)
            for field in exp:
                rep.compare(cap, key, field, ours[field], exp[field])
        # No MQTT where tshark saw none in this capture.
        for key, evs in flows.items():
            if key not in by_key and any(common.get(e, "apnwatch.mqtt") for e in evs):
                rep.fail("%s: %s: apnwatch.mqtt where tshark finds no MQTT"
                         % (common.short(cap), common.fmt_key(key)))

    # Every other public capture: apnwatch must find no MQTT in it.
    if pub:
        import glob
        done = set(caps)
        others = [p for p in sorted(glob.glob(os.path.join(pub, "**", "*.pcap*"),
                                              recursive=True)) if p not in done]
        for cap in others:
            flows, stats = common.run_apnwatch(cap)
            for key, evs in flows.items():
                if any(common.get(e, "apnwatch.mqtt") for e in evs):
                    rep.fail("%s: %s: apnwatch.mqtt where tshark finds no MQTT"
                             % (common.short(cap), common.fmt_key(key)))
        print("mqtt: %d captures with MQTT, %d without checked for false positives"
              % (len(caps), len(others)))
    return rep.finish()


if __name__ == "__main__":
    sys.exit(main())
