#!/usr/bin/env python3
"""intent_check.py - the checks of tests/intent.test.

Runs
    apnwatch -r tests/pcaps/apn-intents.pcap --json \
        --catalog tests/catalog/example.catalog
and compares its events with the capture's manifest
(tests/pcaps/apn-intents.devices.json, written by tools/apngen):

- "flows": [{proto, src, sport, dst, dport, kind, intent, confidence}]:
  the flow event with that 5-tuple (source.ip/port, destination.ip/port,
  network.transport) has apnwatch.intent and apnwatch.confidence equal to
  the manifest's;
- "firmware": [{src, sport, dst, dport, url, name, size, sha256}]: an
  event.dataset "apnwatch.firmware" event of that flow (or, when firmware
  events carry no addresses, with that URL or name) has file.hash.sha256
  and file.size equal to the manifest's.

Prints a per-kind agreement table and every disagreement.
Exit: 0 all agree, 1 a disagreement or apnwatch failed, 77 the capture (or
apnwatch's --catalog option) does not exist yet.
"""

import argparse
import collections
import json
import os
import subprocess
import sys

SKIP = 77
CAPTURE = "tests/pcaps/apn-intents.pcap"
MANIFEST = "tests/pcaps/apn-intents.devices.json"
CATALOG = "tests/catalog/example.catalog"
PROTO_NAMES = {6: "tcp", 17: "udp", "6": "tcp", "17": "udp"}


def get(ev, dotted):
    """A field by its dotted name, nested objects or flat keys."""
    if dotted in ev:
        return ev[dotted]
    cur = ev
    parts = dotted.split(".")
    for i, p in enumerate(parts):
        if not isinstance(cur, dict):
            return None
        if p in cur:
            cur = cur[p]
            continue
        rest = ".".join(parts[i:])
        return cur.get(rest)
    return cur


def proto_name(p):
    if p is None:
        return None
    return PROTO_NAMES.get(p, str(p).lower())


def flow_key(src, sport, dst, dport, proto):
    return (str(src), int(sport or 0), str(dst), int(dport or 0), proto_name(proto))


def ev_key(ev):
    return flow_key(get(ev, "source.ip"), get(ev, "source.port"),
                    get(ev, "destination.ip"), get(ev, "destination.port"),
                    get(ev, "network.transport"))


def run_apnwatch(args, capture, catalog):
    cmd = [args.apnwatch, "-r", capture, "--json", "--catalog", catalog]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=300)
    except OSError as e:
        print("FAIL cannot run %s: %s" % (args.apnwatch, e))
        sys.exit(99)
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode != 0:
        if "catalog" in err and ("unrecognized" in err or "unknown" in err
                                 or "invalid option" in err or "usage" in err.lower()):
            print("SKIP apnwatch has no --catalog option yet:\n" + err.strip())
            sys.exit(SKIP)
        print("FAIL %s exited %d:\n%s" % (" ".join(cmd), p.returncode, err.strip()))
        sys.exit(1)
    events = []
    for n, line in enumerate(p.stdout.decode("utf-8", "replace").splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        try:
            events.append(json.loads(line))
        except ValueError as e:
            print("FAIL output line %d is not JSON: %s" % (n, e))
            sys.exit(1)
    return events


def check_flows(manifest, events):
    """Returns (rows per kind, failures)."""
    flows = collections.defaultdict(list)
    for ev in events:
        if get(ev, "event.dataset") == "apnwatch.flow":
            flows[ev_key(ev)].append(ev)
    per_kind = collections.OrderedDict()
    failures = []
    for m in manifest.get("flows", []):
        kind = m.get("kind", "?")
        row = per_kind.setdefault(kind, [0, 0, 0])  # total, agree, missing
        row[0] += 1
        key = flow_key(m["src"], m.get("sport"), m["dst"], m.get("dport"), m.get("proto"))
        got = flows.get(key)
        if not got:
            row[2] += 1
            failures.append("%s %s: no flow event" % (kind, key))
            continue
        want = (m.get("intent"), m.get("confidence"))
        # a 5-tuple may be reused; any of its events agreeing is enough
        seen = [(get(e, "apnwatch.intent"), get(e, "apnwatch.confidence"), e) for e in got]
        if any((i, c) == want for i, c, _ in seen):
            row[1] += 1
            continue
        i, c, e = seen[0]
        failures.append("%s %s: intent %s/%s, manifest %s/%s; evidence %s"
                        % (kind, key, i, c, want[0], want[1],
                           json.dumps(get(e, "apnwatch.evidence"))))
    return per_kind, failures


def check_firmware(manifest, events):
    fw_events = [e for e in events if get(e, "event.dataset") == "apnwatch.firmware"]
    total = agree = 0
    failures = []
    for m in manifest.get("firmware", []):
        total += 1
        key = flow_key(m["src"], m.get("sport"), m["dst"], m.get("dport"),
                       m.get("proto") or "tcp")
        cands = [e for e in fw_events
                 if get(e, "source.ip") is not None and ev_key(e)[:4] == key[:4]]
        if not cands:  # firmware events without addresses: by URL or name
            cands = [e for e in fw_events
                     if (m.get("url") and get(e, "url.original") == m["url"])
                     or (m.get("name") and get(e, "file.name") == m["name"])]
        if m.get("url") and len(cands) > 1:
            by_url = [e for e in cands if get(e, "url.original") == m["url"]]
            cands = by_url or cands
        ok = [e for e in cands
              if get(e, "file.hash.sha256") == m.get("sha256")
              and get(e, "file.size") == m.get("size")]
        if ok:
            agree += 1
            continue
        if not cands:
            failures.append("firmware %s %s: no apnwatch.firmware event"
                            % (m.get("name"), m.get("url")))
        else:
            e = cands[0]
            failures.append("firmware %s: sha256 %s size %s, manifest %s size %s (%s)"
                            % (m.get("name"), get(e, "file.hash.sha256"),
                               get(e, "file.size"), m.get("sha256"), m.get("size"),
                               get(e, "apnwatch.firmware.hash_status")))
    return total, agree, failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--srcdir", default=".")
    ap.add_argument("--apnwatch", default="./src/apnwatch")
    args = ap.parse_args()
    capture = os.path.join(args.srcdir, CAPTURE)
    manifest_path = os.path.join(args.srcdir, MANIFEST)
    catalog = os.path.join(args.srcdir, CATALOG)
    for what, path in (("capture", capture), ("manifest", manifest_path),
                       ("catalog", catalog)):
        if not os.path.exists(path):
            print("SKIP no %s %s yet" % (what, path))
            return SKIP
    with open(manifest_path) as f:
        manifest = json.load(f)
    if not manifest.get("flows"):
        print("SKIP the manifest lists no flows")
        return SKIP

    events = run_apnwatch(args, capture, catalog)
    per_kind, failures = check_flows(manifest, events)
    fw_total, fw_agree, fw_failures = check_firmware(manifest, events)
    failures += fw_failures

    print("%-28s %6s %6s %8s" % ("kind", "flows", "agree", "missing"))
    all_total = all_agree = 0
    for kind, (total, agree, missing) in per_kind.items():
        print("%-28s %6d %6d %8d" % (kind, total, agree, missing))
        all_total += total
        all_agree += agree
    print("%-28s %6d %6d" % ("all flows", all_total, all_agree))
    print("%-28s %6d %6d" % ("firmware objects", fw_total, fw_agree))
    for f in failures:
        print("FAIL " + f)
    print("%d passed, %d failed" % (all_agree + fw_agree, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
