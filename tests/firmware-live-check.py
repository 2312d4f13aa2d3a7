#!/usr/bin/env python3
"""firmware-live-check.py: the checks of tests/firmware-live.test.

  capture-http PCAP FILE...   tshark --export-objects http must give every
                              FILE byte for byte (tshark de-chunks bodies)
  capture-coap PCAP FILE      the 2.05 Block2 payloads sent from port 5683,
                              put in order by block number, must be FILE
  events [--csv CSV] JSON SPEC...
                              apnwatch's events must carry, for every SPEC
                              (SERVER_IP:PORT:FILE:URL_PATH):
      an event with event.dataset "apnwatch.firmware" whose file.hash.sha256
      is the SHA-256 of FILE, file.size its size, file.name its base name
      (of URL_PATH) and url.original ending in URL_PATH;
      the flow event (event.dataset "apnwatch.flow") to SERVER_IP:PORT with
      destination.geo.country_iso_code, destination.as.number and
      destination.as.organization.name as the demo table gives SERVER_IP
      (CSV rows "network,country,asn,org", longest prefix; without the CSV
      the fixed facts of the brief for the two addresses used), and
      apnwatch.intent "fota" with apnwatch.confidence "confirmed".

Every missing or wrong field is printed on its own line ("MISSING: ..." or
"WRONG: ..."), then the exit status is 1; 0 when all is there.
"""

import csv
import hashlib
import ipaddress
import json
import os
import subprocess
import sys
import tempfile

# The brief's table, for the addresses this test uses, when the CSV is absent.
FALLBACK = {
    "203.0.113.5": ("CN", 64500, "Demo Cloud CN"),
    "192.0.2.10": ("DE", 64496, "Demo Operator Hosting DE"),
}


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def tshark(*args):
    return subprocess.run([os.environ.get("TSHARK", "tshark"), "-n", *args],
                          check=True, capture_output=True, text=True).stdout


def capture_http(pcap, files):
    bad = 0
    with tempfile.TemporaryDirectory() as out:
        tshark("-r", pcap, "-q", "--export-objects", "http," + out)
        got = {}
        for name in os.listdir(out):
            with open(os.path.join(out, name), "rb") as f:
                got[sha256(f.read())] = name
        for path in files:
            with open(path, "rb") as f:
                want = sha256(f.read())
            if want in got:
                print("capture ok: HTTP object %s = %s (sha256 %s)" % (got[want], path, want))
            else:
                print("capture WRONG: no HTTP object in %s is %s; tshark exported %s"
                      % (pcap, path, sorted(got.values())))
                bad += 1
    return bad


def capture_coap(pcap, path):
    rows = tshark("-r", pcap, "-Y", "udp.srcport == 5683 && coap.code == 69",
                  "-T", "fields", "-E", "occurrence=l",
                  "-e", "coap.opt.block_number", "-e", "coap.block_payload")
    blocks = {}
    for line in rows.splitlines():
        num, _, payload = line.partition("\t")
        if num and payload:
            blocks[int(num)] = bytes.fromhex(payload.replace(":", ""))
    data = b"".join(blocks[n] for n in sorted(blocks))
    with open(path, "rb") as f:
        want = f.read()
    if sorted(blocks) == list(range(len(blocks))) and data == want:
        print("capture ok: %d CoAP Block2 blocks = %s (%d bytes, sha256 %s)"
              % (len(blocks), path, len(want), sha256(want)))
        return 0
    print("capture WRONG: CoAP blocks %s (%d bytes) are not %s (%d bytes)"
          % (sorted(blocks), len(data), path, len(want)))
    return 1


def demo_table(csv_path):
    """network -> (country, asn, org) from the demo CSV, or None."""
    if not csv_path or not os.path.exists(csv_path):
        return None
    table = []
    with open(csv_path, newline="") as f:
        for row in csv.reader(f):
            if len(row) < 4 or row[0].lstrip().startswith("#"):
                continue
            try:
                net = ipaddress.ip_network(row[0].strip(), strict=False)
                asn = int(row[2].strip().upper().removeprefix("AS"))
            except ValueError:
                continue  # the header line
            table.append((net, (row[1].strip(), asn, row[3].strip())))
    return table


def place(table, ip):
    if table is None:
        return FALLBACK[ip]
    addr = ipaddress.ip_address(ip)
    hits = [(net.prefixlen, geo) for net, geo in table
            if net.version == addr.version and addr in net]
    return max(hits, key=lambda h: h[0])[1] if hits else None


def get(event, dotted):
    """The value at a dotted ECS path (nested objects or dotted keys)."""
    cur = event
    parts = dotted.split(".")
    i = 0
    while i < len(parts):
        if not isinstance(cur, dict):
            return None
        for j in range(len(parts), i, -1):  # longest key first: "hash.sha256"
            key = ".".join(parts[i:j])
            if key in cur:
                cur, i = cur[key], j
                break
        else:
            return None
    return cur


def events(json_path, specs, csv_path):
    evs = [json.loads(line) for line in open(json_path)]
    flows = [e for e in evs if get(e, "event.dataset") == "apnwatch.flow"]
    fws = [e for e in evs if get(e, "event.dataset") == "apnwatch.firmware"]
    table = demo_table(csv_path)
    print("events: %s: %d flow events, %d apnwatch.firmware events; demo table %s"
          % (json_path, len(flows), len(fws),
             csv_path if table is not None else "absent, using the brief's facts"))
    bad = []

    def check(what, event, field, want):
        got = get(event, field)
        if got is None:
            bad.append("MISSING: %s: %s (want %r)" % (what, field, want))
        elif got != want:
            bad.append("WRONG: %s: %s is %r, want %r" % (what, field, got, want))

    for spec in specs:
        before = len(bad)
        ip, port, path, url_path = spec.split(":", 3)
        with open(path, "rb") as f:
            body = f.read()
        digest, name = sha256(body), url_path.rsplit("/", 1)[-1]
        what = "firmware %s from %s:%s" % (url_path, ip, port)
        mine = [e for e in fws if get(e, "file.hash.sha256") == digest]
        if not mine:
            bad.append("MISSING: %s: no apnwatch.firmware event with file.hash.sha256 %s "
                       "(firmware events: %r)" % (what, digest, [
                           (get(e, "file.name"), get(e, "file.size"), get(e, "file.hash.sha256"),
                            get(e, "apnwatch.firmware.hash_status")) for e in fws]))
        else:
            fw = mine[0]
            check(what, fw, "file.size", len(body))
            check(what, fw, "file.name", name)
            url = get(fw, "url.original")
            if not isinstance(url, str) or not url.endswith(url_path):
                bad.append("%s: %s: url.original %r does not end in %s"
                           % ("MISSING" if url is None else "WRONG", what, url, url_path))
        geo = place(table, ip)
        if geo is None:
            bad.append("WRONG: %s: the demo table places no network around %s" % (what, ip))
            continue
        what = "flow to %s:%s" % (ip, port)
        mine = [e for e in flows if get(e, "destination.ip") == ip
                and get(e, "destination.port") == int(port)]
        if not mine:
            bad.append("MISSING: no flow event to %s:%s" % (ip, port))
            continue
        flow = mine[0]
        check(what, flow, "destination.geo.country_iso_code", geo[0])
        check(what, flow, "destination.as.number", geo[1])
        check(what, flow, "destination.as.organization.name", geo[2])
        check(what, flow, "apnwatch.intent", "fota")
        check(what, flow, "apnwatch.confidence", "confirmed")
        if len(bad) == before:
            print("events ok: %s: sha256 %s, %d bytes; server %s AS%d %r, fota confirmed"
                  % (what, digest, len(body), geo[0], geo[1], geo[2]))
    for b in bad:
        print(b)
    return len(bad)


def main(argv):
    if len(argv) >= 3 and argv[0] == "capture-http":
        return capture_http(argv[1], argv[2:])
    if len(argv) == 3 and argv[0] == "capture-coap":
        return capture_coap(argv[1], argv[2])
    if len(argv) >= 3 and argv[0] == "events":
        csv_path = None
        if argv[1] == "--csv":
            csv_path, argv = argv[2], argv[2:]
        return events(argv[1], argv[2:], csv_path)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(1 if main(sys.argv[1:]) else 0)
