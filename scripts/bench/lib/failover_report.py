#!/usr/bin/python3
"""Turns a failover benchmark run (scripts/bench/failover.sh) into latency figures, a table and a plot.

Inputs, all in the run directory:
  pulls.tsv     one line per cable change: scenario phase index port mac t_before_ns t_after_ns lost
                (port: the switch-side interface the first announcement must come in on; mac: its source)
  switch.pcap   tcpdump -i any -y LINUX_SLL2 -Q in (nanosecond timestamps) in the switch namespace:
                gratuitous ARPs coming in from the hosts, and marker frames (ethertype 0x88b5)
  ifindex.tsv   ifindex name of the switch namespace's interfaces
  agent-*.log   the agent's logs (carrier events name the source that saw the change first; each failover
                caused by a carrier change logs event=failover-path with its stages' times)

Latency = first ARP from `mac` on `port` captured after the change - the change. The change is taken
at t_before (the helper's clock just before its rtnetlink request or TUNSETCARRIER ioctl); for veth
pulls it is also taken from the marker frame the helper sent on the switch just before the request,
as timestamped by the same capture as the announcement.
"""
import argparse
import collections
import glob
import math
import os
import re
import struct
import sys

LINKTYPE_LINUX_SLL2 = 276
ETH_P_ARP = 0x0806
ETH_P_MARK = 0x88B5


def read_pcap(path):
    """Yields (ts_ns, ifindex, protocol, source_mac, payload) for each frame of a LINUX_SLL2 capture."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = struct.unpack_from("<I", data)[0]
    endian, nano = {0xA1B2C3D4: ("<", False), 0xA1B23C4D: ("<", True),
                    0xD4C3B2A1: (">", False), 0x4D3CB2A1: (">", True)}[magic]
    linktype = struct.unpack_from(endian + "I", data, 20)[0]
    if linktype != LINKTYPE_LINUX_SLL2:
        raise SystemExit("failover_report: %s has link type %d, expected LINUX_SLL2 (276)" % (path, linktype))
    pos = 24
    while pos + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack_from(endian + "IIII", data, pos)
        pos += 16
        frame = data[pos:pos + caplen]
        pos += caplen
        if len(frame) < 20:
            continue
        protocol, _, ifindex, _, _, halen = struct.unpack_from("!HHIHBB", frame)
        mac = ":".join("%02x" % b for b in frame[12:12 + min(halen, 6)])
        yield sec * 1_000_000_000 + (frac if nano else frac * 1000), ifindex, protocol, mac, frame[20:]


def percentile(sorted_values, p):
    """Nearest-rank percentile of a sorted list (p in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summary(values):
    s = sorted(values)
    return {"n": len(s), "median": percentile(s, 50), "p90": percentile(s, 90), "p99": percentile(s, 99),
            "min": s[0] if s else float("nan"), "max": s[-1] if s else float("nan")}


# RESULT keys (docs/benchmarks.md, output convention) of each scenario and phase.
RESULT_KEYS = {
    ("veth-agent", "pull"): "failover.first_announcement",
    ("veth-agent", "plug"): "failover.failback_announcement",
    ("veth-naive", "pull"): "failover.first_announcement.naive",
    ("veth-naive", "plug"): "failover.failback_announcement.naive",
    ("veth-tuned", "pull"): "failover.first_announcement.compiled",
    ("veth-tuned", "plug"): "failover.failback_announcement.compiled",
    ("tap-poll", "pull"): "failover.first_announcement.tap_poll",
    ("tap-netlink", "pull"): "failover.first_announcement.tap_netlink",
}


def result(key, value, unit, n=None, label=None):
    """One machine-readable line: RESULT <key>=<number> unit=<unit> [n=<count>] [label="..."]."""
    number = "nan" if value is None or (isinstance(value, float) and math.isnan(value)) else (
        "%.3f" % value if isinstance(value, float) else str(value))
    words = ["RESULT %s=%s" % (key, number), "unit=" + unit]
    if n is not None:
        words.append("n=%d" % n)
    if label:
        words.append('label="%s"' % label)
    print(" ".join(words))


def carrier_sources(log_paths, link):
    """Counts, per direction, which carrier source reported `link`'s changes in the agent logs."""
    counts = collections.Counter()
    pattern = re.compile(r"event=carrier group=\S+ link=%s carrier=(up|down) source=(\S+)" % re.escape(link))
    for path in log_paths:
        with open(path, errors="replace") as f:
            for line in f:
                m = pattern.search(line)
                if m:
                    counts[(m.group(1), m.group(2))] += 1
    return counts


PATH_LINE = re.compile(r"event=failover-path group=\S+ to=(\S+) source=(\S+) received_epoch_ns=(\d+) "
                       r"parse_ns=(-?\d+) queue_ns=(-?\d+) decide_ns=(-?\d+) switch_ns=(-?\d+) send_ns=(-?\d+|-) "
                       r"total_ns=(-?\d+|-)")
# Stages of a failover, in order; together they add up to the change -> first announcement on the wire.
PATH_STAGES = [
    ("kernel", "change -> the agent's link monitor has read the carrier change (linkwatch, rtnetlink or the "
               "/sys poll, thread wake-up)"),
    ("parse", "-> decoded and posted to the decision thread"),
    ("queue", "-> the agent's decision thread takes the change (thread hand-off)"),
    ("decide", "-> the policy decided"),
    ("switch", "-> master carrier and data path switched"),
    ("send", "-> the first frame goes to pcap_sendpacket"),
    ("wire", "-> captured on the switch (pcap4j/JNA call, the send syscall, veth and bridge)"),
]
# Per scenario: the agent log whose failover-path lines belong to its changes.
PATH_LOGS = {"veth-agent": "agent-veth.log", "veth-tuned": "agent-veth-tuned.log"}


def read_paths(path):
    """The failover-path lines of an agent log: list of (received_epoch_ns, to, source, stages or None)."""
    out = []
    if not os.path.exists(path):
        return out
    with open(path, errors="replace") as f:
        for line in f:
            m = PATH_LINE.search(line)
            if not m:
                continue
            to, source, received = m.group(1), m.group(2), int(m.group(3))
            parse, queue, decide, switch = (int(m.group(i)) for i in (4, 5, 6, 7))
            send = None if m.group(8) == "-" else int(m.group(8))
            out.append((received, to, source, (parse, queue, decide, switch, send)))
    out.sort()
    return out


def path_breakdown(run, rows, arps, markers):
    """(scenario, phase) -> {stage: [microseconds]} and -> count of first rounds left to the worker thread."""
    stages = collections.defaultdict(lambda: collections.defaultdict(list))
    worker = collections.Counter()
    paths = {scenario: read_paths(os.path.join(run, log)) for scenario, log in PATH_LOGS.items()}
    for scenario, phase, index, port, mac, before, after, _ in rows:
        if scenario not in paths:
            continue
        start = markers.get("%s-%s-%d" % (scenario, phase, index), before) if phase == "pull" else before
        line = next((p for p in paths[scenario] if before <= p[0] <= before + 5_000_000_000), None)
        first = next((t for t in arps.get((port, mac), []) if t >= before), None)
        if line is None or first is None:
            continue
        received, _, _, (parse, queue, decide, switch, send) = line
        key = (scenario, phase)
        if send is None:
            worker[key] += 1
            continue
        sent_at = received + parse + queue + decide + switch + send
        for name, ns in (("kernel", received - start), ("parse", parse), ("queue", queue), ("decide", decide), ("switch", switch),
                         ("send", send), ("wire", first - sent_at)):
            stages[key][name].append(ns / 1e3)
    return stages, worker


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir")
    ap.add_argument("--plot", help="write the latency distribution (PNG) here")
    ap.add_argument("--markdown", help="write the results table (Markdown) here")
    args = ap.parse_args(argv[1:])
    run = args.run_dir

    names = {}
    with open(os.path.join(run, "ifindex.tsv")) as f:
        for line in f:
            index, name = line.split()
            names[int(index)] = name

    arps = collections.defaultdict(list)  # (port, mac) -> sorted capture times
    markers = {}
    for ts, ifindex, protocol, mac, payload in read_pcap(os.path.join(run, "switch.pcap")):
        if protocol == ETH_P_ARP:
            arps[(names.get(ifindex, str(ifindex)), mac)].append(ts)
        elif protocol == ETH_P_MARK and payload.startswith(b"tapover-mark "):
            markers[payload[13:].split(b"\0")[0].decode("ascii")] = ts
    for times in arps.values():
        times.sort()

    rows = []
    with open(os.path.join(run, "pulls.tsv")) as f:
        for line in f:
            scenario, phase, index, port, mac, before, after, lost = line.split()
            rows.append((scenario, phase, int(index), port, mac, int(before), int(after), lost))

    latencies = collections.defaultdict(list)   # (scenario, phase) -> ms from t_before
    from_marker = collections.defaultdict(list)  # (scenario, phase) -> ms from the marker frame
    brackets = collections.defaultdict(list)     # (scenario, phase) -> us between t_before and t_after
    lost = collections.defaultdict(list)
    missing = collections.Counter()
    for scenario, phase, index, port, mac, before, after, lost_probes in rows:
        times = arps.get((port, mac), [])
        first = next((t for t in times if t >= before), None)
        if first is None or first - before > 5_000_000_000:
            missing[(scenario, phase)] += 1
            continue
        key = (scenario, phase)
        latencies[key].append((first - before) / 1e6)
        brackets[key].append((after - before) / 1e3)
        tag = "%s-%s-%d" % (scenario, phase, index)
        if tag in markers and phase == "pull":
            from_marker[key].append((first - markers[tag]) / 1e6)
        if lost_probes != "-":
            lost[key].append(int(lost_probes))

    labels = collections.OrderedDict([
        (("veth-agent", "pull"), "tapover, veth cable pull (failover)"),
        (("veth-naive", "pull"), "naive ip monitor + arping -U, pull"),
        (("veth-agent", "plug"), "tapover, veth cable plug (failback)"),
        (("veth-naive", "plug"), "naive ip monitor + arping -U, plug"),
        (("veth-tuned", "pull"), "tapover compiled at first call, pull"),
        (("veth-tuned", "plug"), "tapover compiled at first call, plug"),
        (("tap-poll", "pull"), "tapover, TAP carrier off, /sys poll 10 ms"),
        (("tap-netlink", "pull"), "tapover, TAP carrier off, netlink only"),
    ])
    header = "%-44s %4s %9s %9s %9s %9s %9s" % ("pull -> first announcement on the wire", "n", "median", "p90",
                                                  "p99", "min", "max")
    print(header)
    table = ["| scenario | n | median | p90 | p99 | min | max |", "|---|---:|---:|---:|---:|---:|---:|"]
    for key, label in labels.items():
        if key not in latencies and key not in missing:
            continue
        s = summary(latencies[key])
        miss = " (%d without announcement)" % missing[key] if missing[key] else ""
        print("%-44s %4d %7.3fms %7.3fms %7.3fms %7.3fms %7.3fms%s" % (label, s["n"], s["median"], s["p90"],
                                                                      s["p99"], s["min"], s["max"], miss))
        table.append("| %s | %d | %.3f ms | %.3f ms | %.3f ms | %.3f ms | %.3f ms |%s" % (
            label, s["n"], s["median"], s["p90"], s["p99"], s["min"], s["max"], miss))
    print()
    notes = []
    for key, label in labels.items():
        if from_marker.get(key):
            s = summary(from_marker[key])
            b = summary(brackets[key])
            line = ("%s, from the marker frame in the switch capture: median %.3f ms, p99 %.3f ms, max %.3f ms "
                    "(request-to-ack bracket of the pull: median %.0f us, max %.0f us)"
                    % (label, s["median"], s["p99"], s["max"], b["median"], b["max"]))
            print(line)
            notes.append(line)
    for key, label in labels.items():
        if lost.get(key):
            values = lost[key]
            hist = collections.Counter(values)
            line = "%s: probes lost at 500 pps: total %d over %d changes, max %d per change, distribution %s" % (
                label, sum(values), len(values), max(values),
                ", ".join("%d lost: %d" % (k, hist[k]) for k in sorted(hist)))
            print(line)
            notes.append(line)
    stages, worker = path_breakdown(run, rows, arps, markers)
    for key, label in labels.items():
        if not stages.get(key):
            continue
        n = len(stages[key]["kernel"])
        print()
        print("where the time goes, %s (n=%d, agent log + capture; us)%s" % (
            label, n, "; %d first rounds sent by the announcer's thread, not timed" % worker[key] if worker[key] else ""))
        print("  %-8s %9s %9s %9s %9s  %s" % ("stage", "median", "p90", "p99", "max", "from the previous stage"))
        notes.append("where the time goes, %s (n=%d, us): %s" % (label, n, ", ".join(
            "%s median %.0f p99 %.0f" % (name, summary(stages[key][name])["median"], summary(stages[key][name])["p99"])
            for name, _ in PATH_STAGES)))
        for name, what in PATH_STAGES:
            st = summary(stages[key][name])
            print("  %-8s %9.1f %9.1f %9.1f %9.1f  %s" % (name, st["median"], st["p90"], st["p99"], st["max"], what))
    print()
    for scenario, link in (("veth", "primary"), ("tap", "tprimary")):
        logs = sorted(glob.glob(os.path.join(run, "agent-%s*.log" % scenario)))
        for log in logs:
            counts = carrier_sources([log], link)
            if counts:
                line = "%s: carrier source that reported the change first: %s" % (
                    os.path.basename(log), ", ".join("%s %s: %d" % (d, src, n) for (d, src), n in sorted(counts.items())))
                print(line)
                notes.append(line)

    print()
    for key, label in labels.items():
        if key in latencies and key in RESULT_KEYS:
            s = summary(latencies[key])
            for stat in ("median", "p90", "p99", "min", "max"):
                result("%s.%s" % (RESULT_KEYS[key], stat), s[stat], "ms", s["n"], "%s, %s" % (label, stat))
        if from_marker.get(key) and key in RESULT_KEYS:
            s = summary(from_marker[key])
            for stat in ("median", "p99"):
                result("%s.marker.%s" % (RESULT_KEYS[key], stat), s[stat], "ms", s["n"],
                       "%s, from the marker frame, %s" % (label, stat))
        if lost.get(key):
            values = lost[key]
            phase = "failback" if key[1] == "plug" else "failover"
            variant = "" if key[0] == "veth-agent" else "." + RESULT_KEYS[key].split(".")[-1]
            result("failover.probes_lost.%s%s.max" % (phase, variant), max(values), "frames", len(values),
                   label + ", probes lost at 500 pps, max")
            result("failover.probes_lost.%s%s.mean" % (phase, variant), sum(values) / len(values), "frames",
                   len(values), label + ", probes lost at 500 pps, mean")
    for key in labels:
        if stages.get(key) and key in RESULT_KEYS:
            for name, _ in PATH_STAGES:
                st = summary(stages[key][name])
                for stat in ("median", "p99"):
                    result("%s.stage.%s.%s" % (RESULT_KEYS[key], name, stat), st[stat], "us", st["n"],
                           "%s, stage %s, %s" % (labels[key], name, stat))
    for (direction, source), n in sorted(carrier_sources(sorted(glob.glob(os.path.join(run, "agent-veth.log"))),
                                                          "primary").items()):
        result("failover.carrier_first.%s.%s" % (direction, source), n, "count", None,
               "veth carrier %s first reported by %s (default run)" % (direction, source))

    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(table) + "\n\n")
            for line in notes:
                f.write("- " + line + "\n")
    if args.plot:
        plot(args.plot, labels, latencies)
    return 0


def plot(path, labels, latencies):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5))
    for key, label in labels.items():
        values = sorted(latencies.get(key, []))
        if not values:
            continue
        ys = [(i + 1) / len(values) for i in range(len(values))]
        ax.step(values, ys, where="post", label="%s (n=%d)" % (label, len(values)))
    ax.set_xscale("log")
    ax.set_xlabel("cable change -> first gratuitous ARP on the wire (ms, log scale)")
    ax.set_ylabel("fraction of changes")
    ax.axvline(1.0, color="grey", linestyle=":", linewidth=1)
    ax.axvline(5.0, color="grey", linestyle="--", linewidth=1)
    ax.text(1.0, 0.02, " 1 ms", color="grey")
    ax.text(5.0, 0.02, " 5 ms", color="grey")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("tapover failover announcements vs a naive user-space loop (ECDF)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
