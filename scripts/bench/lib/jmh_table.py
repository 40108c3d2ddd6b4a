#!/usr/bin/env python3
"""Turns a JMH JSON result file into the table and RESULT lines that scripts/bench/jmh.sh prints."""
import json
import re
import sys

# What each benchmark measures, one line each (the class comments in agent/src/test/java/dev/tapover/jmh say more).
WHAT = {
    "NetlinkBench.decodeLink": "decode one 1496-byte RTM_NEWLINK (kernel capture)",
    "NetlinkBench.decodeAddress": "decode one 80-byte RTM_NEWADDR",
    "NetlinkBench.carrierChange": "decode + LinkTable diff of a carrier change -> 1 event",
    "AnnouncementBench.arpFrame": "build one gratuitous ARP frame (pcap4j)",
    "AnnouncementBench.naFrame": "build one unsolicited NA frame with checksum",
    "AnnouncementBench.plan": "build a plan: 2 ARP forms + 1 NA (done ahead of failover)",
    "PolicyBench.decideFailover": "ActiveLinkSelector.decide: primary lost -> standby",
    "PolicyBench.decideSteady": "ActiveLinkSelector.decide: both up -> keep",
    "PolicyBench.linkChanged": "FailoverGroup.linkChanged -> failover/failback event",
    "FrameFilterBench.classify": "FrameFilter.classify, per frame (4 kinds of frame)",
    "TapBench.hostToLink": "packet send on the TAP + TAP read, 64-byte frame",
    "TapBench.linkToHost": "TAP write + packet recv on the TAP, 64-byte frame",
}


def snake(name):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def num(value):
    """A plain decimal (no exponent) with about four significant digits."""
    if value != value:
        return "nan"
    digits = 0 if abs(value) >= 1000 else 1 if abs(value) >= 100 else 2 if abs(value) >= 10 else 3
    return f"{value:.{digits}f}"


def fmt(value):
    if value != value:  # NaN: JMH reports no error with fewer than 2 iterations
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def main(path):
    with open(path) as f:
        runs = json.load(f)
    rows = []
    results = []
    for run in runs:
        full = run["benchmark"]
        short = ".".join(full.split(".")[-2:])
        pm = run["primaryMetric"]
        score, err, unit = float(pm["score"]), float(pm.get("scoreError", "nan")), pm["scoreUnit"]
        alloc = float("nan")
        for key, metric in run.get("secondaryMetrics", {}).items():
            if key.endswith("gc.alloc.rate.norm"):
                alloc = float(metric["score"])
        n = len(pm.get("rawData", [[]])[0]) if pm.get("rawData") else 0
        rows.append((short, fmt(score), fmt(err), fmt(alloc) if alloc != alloc or alloc >= 1 else "0", unit,
                     WHAT.get(short, "")))
        cls, method = short.split(".")
        key = f"jmh.{snake(cls.removesuffix('Bench'))}.{snake(method)}"
        extra = f" err={num(err)}" if err == err else ""
        extra += f" alloc_bytes={alloc:.0f}" if alloc == alloc else ""
        results.append(f"RESULT {key}={num(score)} unit={unit} n={n}{extra}")
    if not rows:
        print("no benchmark ran (see the JMH log)")
        return 1
    headers = ("benchmark", "score", "± 99.9%", "B/op", "unit", "what")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    right = {1, 2, 3}
    def line(cells):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    print(line(headers))
    print(line(tuple("-" * w for w in widths)))
    for r in rows:
        print(line(r))
    print()
    for r in results:
        print(r)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: jmh_table.py RESULTS.json", file=sys.stderr)
        sys.exit(64)
    sys.exit(main(sys.argv[1]))
