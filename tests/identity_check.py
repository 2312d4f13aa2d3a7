#!/usr/bin/env python3
"""identity_check.py - the checks of tests/identity.test.

1. The subscriber table end to end, without a dissector in front of it:
   tests/identity-driver feeds src/identity.c a script of signalling and
   flows and writes real device, flow and stats events; they must
   validate (tests/validate-events) and carry the right identities.
2. Pseudonymisation: the values written equal this file's own
   implementation of the algorithm docs/identity.md describes, so the
   document and the code cannot drift apart.
3. The command line: bad --tac-file and --pseudonymize files make
   apnwatch exit 1 with "file:line: what" / "KEYFILE: permissions ...".
4. End to end on apngen captures: every device flow carries the IMEI,
   IMSI and maker of the capture's manifest (docs/apngen.md).  This needs
   the RADIUS dissector; while no RADIUS message is parsed
   (dissector.radius.messages == 0) the check is reported as SKIP.

Prints one "ok"/"FAIL"/"SKIP" line per check and "N passed, N failed".
Exit: 0 when nothing failed, 1 otherwise.
"""

import argparse
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

E164_TWO_DIGIT = {
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44",
    "45", "46", "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58",
    "60", "61", "62", "63", "64", "65", "66", "81", "82", "84", "86", "90", "91",
    "92", "93", "94", "95", "98",
}

# Where the catalog knows a module better than apngen's manifest does.
MODEL_RULES = {
    # Teltonika's TAC declaration and the firmware name seen with TAC
    # 86439404 (EC21ECGAR06...) both say EC21-EC; apngen calls it EC21.
    ("86439404", "EC21"): "EC21-EC",
}


# ---------------------------------------------------------------- pseudonyms
def feistel(key, tweak, digits):
    """docs/identity.md: a 10-round Feistel network in base 10 whose round
    function is HMAC-SHA256; returns the pseudonym of a digit string."""
    n = len(digits)
    if n == 0:
        return digits
    u = n // 2
    v = n - u
    a = int(digits[:u]) if u else 0
    b = int(digits[u:])
    for i in range(10):
        a_len, b_len = (u, v) if i % 2 == 0 else (v, u)
        msg = tweak.encode() + b"\0" + bytes([i, n]) + (f"{b:0{b_len}d}".encode() if b_len else b"")
        y = int.from_bytes(hmac.new(key, msg, hashlib.sha256).digest()[:8], "big") % 10 ** a_len
        a, b = b, (a + y) % 10 ** a_len
    return (f"{a:0{u}d}" if u else "") + f"{b:0{v}d}"


def luhn(d14):
    s = 0
    for i, c in enumerate(d14):
        x = int(c) * (2 if i % 2 else 1)
        s += x - 9 if x > 9 else x
    return str((10 - s % 10) % 10)


def pseudo_imsi(key, imsi):
    return imsi[:5] + feistel(key, "apnwatch-imsi:" + imsi[:5], imsi[5:])


def pseudo_imei(key, imei):
    out = imei[:8] + feistel(key, "apnwatch-imei:" + imei[:8], imei[8:14])
    if len(imei) == 15:
        return out + luhn(out)
    return out + imei[14:]


def pseudo_msisdn(key, msisdn):
    plus = "+" if msisdn.startswith("+") else ""
    d = msisdn[len(plus):]
    cc = 1 if d[0] in "17" else 2 if d[:2] in E164_TWO_DIGIT else 3
    if len(d) <= cc:
        cc = 0
    return plus + d[:cc] + feistel(key, "apnwatch-msisdn:" + d[:cc], d[cc:])


def read_key(path):
    raw = open(path, "rb").read()
    h = raw[:-1] if raw.endswith(b"\n") else raw
    h = h[:-1] if h.endswith(b"\r") else h
    if len(h) >= 32 and len(h) % 2 == 0 and re.fullmatch(rb"[0-9a-fA-F]+", h):
        return bytes.fromhex(h.decode())
    return raw


# ---------------------------------------------------------------- harness
class Checks:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"ok   {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}" + (f": {detail}" if detail else ""))
        return ok

    def skip(self, name, why):
        self.skipped += 1
        print(f"SKIP {name}: {why}")


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    return p.returncode, p.stdout, p.stderr


def parse(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def stat(evs, path):
    node = evs[-1]["apnwatch"]["stats"]
    for k in path.split("."):
        node = node.get(k, 0) if isinstance(node, dict) else 0
    return node


def get(ev, path, default=None):
    node = ev
    for k in path.split("."):
        if not isinstance(node, dict) or k not in node:
            return default
        node = node[k]
    return node


class Env:
    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.srcdir = args.srcdir
        self.catalog = os.path.join(args.srcdir, "policies", "tac.csv")
        self.validate = os.path.join(args.srcdir, "tests", "validate-events")
        self.n = 0

    def file(self, text, mode=0o644, binary=False):
        self.n += 1
        path = os.path.join(self.tmp, f"f{self.n}")
        with open(path, "wb" if binary else "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def validates(self, out):
        path = self.file(out)
        rc, o, e = run([sys.executable, self.validate, "--quiet", path])
        if rc != 0:
            rc2, o2, e2 = run(["/usr/bin/python3", self.validate, "--quiet", path]) \
                if os.path.exists("/usr/bin/python3") else (rc, o, e)
            rc, o, e = rc2, o2, e2
        return rc == 0, (o + e).strip()[:800]

    def driver(self, script, *opts):
        path = self.file(script)
        return run([self.args.driver, "--builtin", self.catalog, *opts, path])


# ---------------------------------------------------------------- 1. the table
BASIC = """
start 0 radius addr=100.64.0.1 imsi=001012821780235 imei=8668340456656101 msisdn=999022213235 apn=iot.example sid=A1 nas=198.51.100.1 rat=6
flow 1 2 100.64.0.1 192.0.2.10
start 3 radius addr=100.64.0.1 imsi=001019999999999 imei=0010010097100203 sid=B1 nas=198.51.100.1
start 3.5 radius addr=100.64.0.1 imsi=001019999999999 sid=B1 apn=fleet.example   # Interim-Update
flow 4 5 100.64.0.1 192.0.2.10
stop 6 radius addr=100.64.0.1 sid=B1
flow 0.5 3.5 100.64.0.1 192.0.2.11
flow 7 8 100.64.0.1 192.0.2.12
"""

MIXED = """
start 0 radius addr=2001:db8:1:2::/64 imsi=001010000000064 sid=v6 nas=pgw-a
flow 1 2 2001:db8:1:2::abcd 2001:db8::1
flow 1 2 2001:db8:1:3::1 2001:db8::1
start 1 lwm2m addr=2001:db8:1:2::abcd imei=864394047457819
flow 2 3 2001:db8:1:2::abcd 2001:db8::1
start 0 gtpv2c imsi=001010000000077 imei=866834045665614 sid=gtp-1 teid=0x1111,0x2222 nas=pgw-b rat=6
flow 1 2 10.200.0.1 192.0.2.1 teid=0x2222
start 2 radius addr=100.64.0.5 imsi=001010000000005 sid=n1 nas=pgw-a
nas-reset 9 pgw-a
flow 10 11 100.64.0.5 192.0.2.1
flow 3 11 100.64.0.5 192.0.2.1
"""


def check_table(c, env):
    rc, out, err = env.driver(BASIC)
    c.check("driver runs a script", rc == 0, err)
    ok, why = env.validates(out)
    c.check("device, flow and stats events validate against the schema", ok, why)
    evs = parse(out)
    dev = [e for e in evs if e["event"]["dataset"] == "apnwatch.device"]
    acts = [(e["event"]["action"], e["event"].get("reason"), get(e, "apnwatch.subscriber.imsi"))
            for e in dev]
    c.check("session-start, replaced (address reuse), session-start, session-end; no event "
            "for the Interim-Update",
            acts == [("session-start", None, "001012821780235"),
                     ("replaced", "address_reused", "001012821780235"),
                     ("session-start", None, "001019999999999"),
                     ("session-end", "stop", "001019999999999")], acts)
    first = dev[0]
    c.check("a device event has source.ip, device.* from the IMEISV and the catalog",
            get(first, "source.ip") == "100.64.0.1" and get(first, "device.id") == "866834045665614"
            and get(first, "device.manufacturer") == "Quectel"
            and get(first, "device.model.identifier") == "EC25-AF"
            and get(first, "apnwatch.imei.tac") == "86683404"
            and get(first, "apnwatch.imei.imeisv") == "8668340456656101"
            and get(first, "apnwatch.subscriber.rat_type") == 6, json.dumps(first))
    flows = [e for e in evs if e["event"]["dataset"] == "apnwatch.flow"]
    who = [(get(f, "apnwatch.subscriber.imsi"), get(f, "device.manufacturer"),
            get(f, "apnwatch.subscriber.apn")) for f in flows]
    c.check("each flow is named after the subscriber bound when it began; the made-up TAC "
            "has no maker; ended sessions still name their flows",
            who == [("001012821780235", "Quectel", "iot.example"),
                    ("001019999999999", None, "fleet.example"),
                    ("001012821780235", "Quectel", "iot.example"),
                    (None, None, None)], who)
    c.check("device.id without a maker for the unknown TAC 00100100",
            get(flows[1], "device.id") == "001001009710028" and "manufacturer" not in flows[1]["device"],
            json.dumps(flows[1].get("device")))
    c.check("identity counters",
            (stat(evs, "identity.sessions_started"), stat(evs, "identity.sessions_ended"),
             stat(evs, "identity.address_reused"), stat(evs, "identity.flows_identified"),
             stat(evs, "identity.active_max")) == (2, 2, 1, 3, 1),
            json.dumps(evs[-1]["apnwatch"]["stats"].get("identity")))

    rc, out, err = env.driver(MIXED)
    ok, why = env.validates(out)
    c.check("IPv6 prefix, TEID, LwM2M and NAS-reset script validates", rc == 0 and ok, err + why)
    evs = parse(out)
    flows = [e for e in evs if e["event"]["dataset"] == "apnwatch.flow"]
    who = [(get(f, "apnwatch.subscriber.imsi"), get(f, "device.id"), get(f, "apnwatch.subscriber.source"))
           for f in flows]
    c.check("an address in the /64 is the prefix's; another /64 is nobody's; LwM2M fills in "
            "the IMEI; a tunnelled flow is named by its TEID; a NAS reset ends its sessions",
            who == [("001010000000064", None, "radius"), (None, None, None),
                    ("001010000000064", "864394047457819", "radius"),
                    ("001010000000077", "866834045665614", "gtpv2c"),
                    (None, None, None), ("001010000000005", None, "radius")], who)
    resets = [e for e in evs if get(e, "event.reason") == "nas_reset"]
    c.check("Accounting-On/Off ends exactly the NAS's sessions",
            sorted(get(e, "apnwatch.subscriber.session_id") for e in resets) == ["n1", "v6"],
            [get(e, "apnwatch.subscriber.session_id") for e in resets])
    gtp = [e for e in evs if get(e, "apnwatch.subscriber.session_id") == "gtp-1"][0]
    c.check("a session without an address has no source.ip and names its TEIDs",
            "source" not in gtp and get(gtp, "apnwatch.subscriber.teid_uplink") == 0x1111
            and get(gtp, "apnwatch.subscriber.teid_downlink") == 0x2222, json.dumps(gtp))
    v6 = [e for e in evs if get(e, "apnwatch.subscriber.session_id") == "v6"][0]
    c.check("an IPv6 session's event gives the prefix",
            get(v6, "source.ip") == "2001:db8:1:2::"
            and get(v6, "apnwatch.subscriber.ip_prefix") == "2001:db8:1:2::/64", json.dumps(v6))

    rc, out, err = env.driver(BASIC, "--max", "1")
    evs = parse(out)
    c.check("a full table evicts the oldest session (identity.evicted)",
            rc == 0 and stat(evs, "identity.evicted") == 0 and stat(evs, "identity.active_max") == 1,
            err)
    rc, out, err = env.driver("start 0 radius addr=100.64.0.1 imsi=001010000000001\n"
                              "start 1 radius addr=100.64.0.2 imsi=001010000000002\n",
                              "--max", "1")
    evs = parse(out)
    ok, why = env.validates(out)
    c.check("eviction writes a session-end with reason evicted",
            ok and stat(evs, "identity.evicted") == 1
            and any(get(e, "event.reason") == "evicted" for e in evs), why)

    rc, out, err = env.driver(BASIC, "--text")
    # device events are the lines naming a session change (flow lines say
    # "device" too, on their second line: who, where and why)
    lines = [l for l in out.splitlines() if l[:1].isdigit() and l[19:28] == "  device "]
    c.check("text mode: one line per device event",
            len(lines) == 4 and lines[0] == "2025-01-01T00:00:00  device 100.64.0.1 session-start: "
            "imsi 001012821780235, imei 866834045665614 (Quectel EC25-AF), apn iot.example, from radius"
            and not any(" -> " in l for l in lines), "\n".join(lines))


def check_catalog(c, env):
    user = env.file("# mine\n86683404,Acme,Z1,lab\n")
    rc, out, err = env.driver(BASIC, "--tac-file", user)
    evs = parse(out)
    c.check("--tac-file entries override the built-in catalog",
            rc == 0 and get(evs[0], "device.manufacturer") == "Acme"
            and get(evs[0], "device.model.identifier") == "Z1", err)
    fake = env.file("00100100,Made,Up\n")
    rc, out, err = env.driver(BASIC, "--tac-file", fake)
    flows = [e for e in parse(out) if e["event"]["dataset"] == "apnwatch.flow"]
    c.check("a user file may name a TAC the built-in catalog lacks",
            get(flows[1], "device.manufacturer") == "Made", err)
    with open(env.catalog) as f:
        text = f.read()
    c.check("the built-in catalog does not know apngen's made-up TAC 00100100",
            not re.search(r"^\s*00100100\s*,", text, re.M))


# ---------------------------------------------------------------- 2. pseudonyms
def check_pseudonyms(c, env):
    keytext = "00112233445566778899aabbccddeeff0123456789abcdef\n"
    key = env.file(keytext, 0o600)
    k = read_key(key)
    rc, out, err = env.driver(BASIC, "--pseudonymize", key)
    rc2, out2, _ = env.driver(BASIC, "--pseudonymize", key)
    c.check("pseudonymised output is deterministic for one key", rc == 0 and out == out2, err)
    ok, why = env.validates(out)
    c.check("pseudonymised events validate (formats kept)", ok, why)
    evs = parse(out)
    first = evs[0]
    want = (pseudo_imsi(k, "001012821780235"), pseudo_imei(k, "866834045665614"),
            pseudo_imei(k, "8668340456656101"), pseudo_msisdn(k, "999022213235"))
    got = (get(first, "apnwatch.subscriber.imsi"), get(first, "device.id"),
           get(first, "apnwatch.imei.imeisv"), get(first, "apnwatch.subscriber.msisdn"))
    c.check("IMSI, IMEI, IMEISV and MSISDN pseudonyms follow docs/identity.md", got == want,
            f"{got} != {want}")
    c.check("pseudonyms keep MCC+MNC, TAC, SVN, country code and the Luhn digit",
            got[0][:5] == "00101" and got[1][:8] == "86683404" and got[2][14:] == "01"
            and got[3][:3] == "999" and got[1][14] == luhn(got[1][:14])
            and got[0] != "001012821780235" and got[1] != "866834045665614",
            str(got))
    c.check("session ids stay; no raw identifier and no key in the output",
            get(first, "apnwatch.subscriber.session_id") == "A1"
            and "001012821780235" not in out and "866834045665614" not in out
            and "999022213235" not in out and "00112233445566" not in out and "00112233445566" not in err)
    rawkey = env.file(b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10",
                      0o600, binary=True)
    rc, out, err = env.driver(BASIC, "--pseudonymize", rawkey)
    got = get(parse(out)[0], "apnwatch.subscriber.imsi") if rc == 0 else None
    c.check("a raw binary key works and is used byte for byte",
            got == pseudo_imsi(read_key(rawkey), "001012821780235"), f"{got} rc={rc} {err}")


# ---------------------------------------------------------------- 3. command line
def check_cli(c, env):
    apn = env.args.apnwatch
    pcap = os.path.join(env.srcdir, "tests", "pcaps", "apn-small.pcap")
    bad = env.file("# comment\n86683404,Quectel,EC25-AF,x\n8668340,Quectel,EC25,x\n")
    rc, out, err = run([apn, "-r", pcap, "--json", "--tac-file", bad])
    c.check("a bad --tac-file: exit 1, 'file:line: what', no events",
            rc == 1 and f"{bad}:3: the TAC is not 8 digits" in err and out == "", err)
    rc, out, err = run([apn, "-r", pcap, "--json", "--tac-file", bad + ".missing"])
    c.check("a missing --tac-file: exit 1, named", rc == 1 and bad + ".missing" in err, err)
    quote = env.file('86683404,"Quectel,EC25-AF,x\n')
    rc, out, err = run([apn, "-r", pcap, "--json", "--tac-file", quote])
    c.check("an unclosed quote is named with its line",
            rc == 1 and f"{quote}:1: a quoted field is not closed" in err, err)
    key = env.file("00112233445566778899aabbccddeeff\n", 0o644)
    rc, out, err = run([apn, "-r", pcap, "--json", "--pseudonymize", key])
    c.check("a key file others can read: exit 1, 'permissions 0644 are too open'",
            rc == 1 and f"{key}: permissions 0644 are too open" in err and out == ""
            and "00112233" not in err, err)
    short = env.file("tooshort\n", 0o600)
    rc, out, err = run([apn, "-r", pcap, "--json", "--pseudonymize", short])
    c.check("a key under 16 bytes: exit 1", rc == 1 and "at least 16" in err, err)
    good = env.file("00112233445566778899aabbccddeeff\n", 0o600)
    rc, out, err = run([apn, "-r", pcap, "--json", "--pseudonymize", good])
    c.check("a good key: the run goes on", rc == 0 and out.count("\n") > 100, err)
    in_tree = os.path.realpath(env.srcdir) == os.path.realpath(".") and os.path.exists("config.status")
    if in_tree:
        rc, out, err = run([apn, "-r", pcap, "--json"])
        c.check("run from the build tree, the source tree's catalog is the built-in one (no "
                "warning)", rc == 0 and "TAC catalog" not in err, err)
    else:
        c.skip("built-in catalog from the build tree", "not an in-tree build")


# ---------------------------------------------------------------- 4. end to end
def model_ok(tac, manifest_model, model):
    return model == MODEL_RULES.get((tac, manifest_model), manifest_model)


def e2e_one(c, env, name, pcap, manifest, key=None):
    apn = env.args.apnwatch
    cmd = [apn, "-r", pcap, "--json"]
    rc, out, err = run(cmd)
    if "no built-in TAC catalog" in err:  # a VPATH build: nothing installed yet
        cmd += ["--tac-file", env.catalog]
        rc, out, err = run(cmd)
    if rc != 0:
        c.check(f"{name}: apnwatch runs", False, err)
        return
    evs = parse(out)
    if stat(evs, "dissector.radius.messages") == 0:
        c.skip(f"{name}: every device flow carries the manifest's IMEI, IMSI and maker",
               "no RADIUS message parsed yet (dissectors/radius.c is a placeholder)")
        return
    if key:
        rc, out, err = run(cmd + ["--pseudonymize", key])
        evs = parse(out)
    ok, why = env.validates(out)
    c.check(f"{name}: events validate", rc == 0 and ok, err + why)
    k = read_key(key) if key else None
    devices = {d["ip"]: d for d in json.load(open(manifest))["devices"]}
    bad, n = [], 0
    for e in evs:
        if e["event"]["dataset"] != "apnwatch.flow" or get(e, "source.ip") not in devices:
            continue
        n += 1
        d = devices[e["source"]["ip"]]
        imei = pseudo_imei(k, d["imei"]) if k else d["imei"]
        imsi = pseudo_imsi(k, d["imsi"]) if k else d["imsi"]
        problems = []
        if get(e, "device.id") != imei:
            problems.append(f"device.id {get(e, 'device.id')} != {imei}")
        if get(e, "apnwatch.subscriber.imsi") != imsi:
            problems.append(f"imsi {get(e, 'apnwatch.subscriber.imsi')} != {imsi}")
        if get(e, "device.manufacturer") != d["maker"]:
            problems.append(f"maker {get(e, 'device.manufacturer')} != {d['maker']}")
        if d["maker"] and not model_ok(d["tac"], d["model"], get(e, "device.model.identifier")):
            problems.append(f"model {get(e, 'device.model.identifier')} != {d['model']}")
        if get(e, "apnwatch.imei.tac") != d["tac"]:
            problems.append(f"tac {get(e, 'apnwatch.imei.tac')} != {d['tac']}")
        if problems:
            bad.append(f"{d['ip']} seq {e['event']['sequence']}: " + "; ".join(problems))
    c.check(f"{name}: every device flow ({n}) carries the manifest's IMEI, IMSI and maker"
            + (" (pseudonymised)" if k else ""), n > 0 and not bad, "\n  ".join(bad[:10]))
    starts = {get(e, "source.ip"): e for e in evs
              if get(e, "event.action") == "session-start"}
    missing = [ip for ip in devices if ip not in starts]
    c.check(f"{name}: one session-start device event per device", not missing, missing)


def check_e2e(c, env):
    pcaps = os.path.join(env.srcdir, "tests", "pcaps")
    for base in ("apn-small-gtp", "apn-small"):
        e2e_one(c, env, base, os.path.join(pcaps, base + ".pcap"),
                os.path.join(pcaps, base + ".devices.json"))
    key = env.file("00112233445566778899aabbccddeeff\n", 0o600)
    e2e_one(c, env, "apn-small-gtp --pseudonymize", os.path.join(pcaps, "apn-small-gtp.pcap"),
            os.path.join(pcaps, "apn-small-gtp.devices.json"), key)
    gen = env.args.apngen
    if not os.access(gen, os.X_OK):
        c.skip("fresh apngen --gtp capture", f"{gen} not built")
        return
    pcap = os.path.join(env.tmp, "gen.pcap")
    manifest = os.path.join(env.tmp, "gen.json")
    rc, _, err = run([gen, "-o", pcap, "--gtp", "--devices", "30", "--flows", "200", "--seed", "7",
                      "--manifest", manifest, "-q"])
    if c.check("apngen --gtp writes a capture", rc == 0, err):
        e2e_one(c, env, "apngen --gtp --devices 30 --seed 7", pcap, manifest)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--srcdir", default=".")
    ap.add_argument("--apnwatch", default="./src/apnwatch")
    ap.add_argument("--driver", default="./tests/identity-driver")
    ap.add_argument("--apngen", default="./tools/apngen")
    args = ap.parse_args()
    for prog in (args.apnwatch, args.driver):
        if not os.access(prog, os.X_OK):
            print(f"identity_check: {prog} not built", file=sys.stderr)
            return 99
    c = Checks()
    tmp = tempfile.mkdtemp(prefix="identity.")
    try:
        env = Env(args, tmp)
        check_table(c, env)
        check_catalog(c, env)
        check_pseudonyms(c, env)
        check_cli(c, env)
        check_e2e(c, env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"identity: {c.passed} passed, {c.failed} failed" +
          (f", {c.skipped} skipped" if c.skipped else ""))
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
