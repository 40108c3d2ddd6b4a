#!/usr/bin/python3
"""Turns one failover-timeline run (scripts/bench/failover-timeline.sh) into a probe timeline: RTTs, losses, marks, a plot.

Inputs, all in the run directory:
  switch.pcap   tcpdump -i any -y LINUX_SLL2 -Q in (nanosecond timestamps) in the switch namespace: the peer's
                echo requests coming in on to-peer, the master's echo replies and gratuitous ARPs coming in
                on up-primary / up-standby
  ifindex.tsv   "ifindex name" of the switch namespace's interfaces
  cable.out     cable.py's answers: "<down|up> IFNAME TAG t_before_ns t_after_ns" for the pull and the plug
  agent.log     the agent's log (LinkWatch event=carrier, GroupRuntime event=active-changed; millisecond stamps)
  ping.out      ping -q's summary from the peer (an independent count of the probes lost)

Each probe's RTT is measured at the switch: the request coming in from the peer to the reply coming in from the
master (the peer's own stack is not in it). A probe whose reply never came in is lost. Marks per change: the
cable change (t_before of cable.py's rtnetlink request), the agent's carrier event (detection), its
active-changed event (switch), and the first gratuitous ARP from the master's MAC on the new active link's port.
Prints a text summary and RESULT lines (failover-timeline.*); --plot writes the PNG.
"""
import argparse
import datetime
import os
import re
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from failover_report import read_pcap  # noqa: E402  (same directory)

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
LOG_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z .*")


def log_time_ns(line):
    m = LOG_RE.match(line)
    if not m:
        return None
    t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp() * 1000) * 1_000_000


def load(run, mac):
    ifnames = {}
    with open(os.path.join(run, "ifindex.tsv")) as f:
        for line in f:
            idx, name = line.split()
            ifnames[int(idx)] = name
    requests, replies, arps = {}, {}, []
    for ts, ifindex, proto, src, payload in read_pcap(os.path.join(run, "switch.pcap")):
        port = ifnames.get(ifindex, str(ifindex))
        if proto == ETH_P_ARP:
            if src == mac:
                arps.append((ts, port))
            continue
        if proto != ETH_P_IP or len(payload) < 28 or payload[9] != 1:
            continue
        ihl = (payload[0] & 0x0F) * 4
        icmp_type = payload[ihl]
        ident, seq = struct.unpack_from("!HH", payload, ihl + 4)
        if icmp_type == 8 and port == "to-peer":
            requests.setdefault((ident, seq), ts)
        elif icmp_type == 0 and port != "to-peer":
            replies.setdefault((ident, seq), (ts, port))
    changes = []
    with open(os.path.join(run, "cable.out")) as f:
        for line in f:
            w = line.split()
            if len(w) == 5 and w[0] in ("down", "up"):
                changes.append((w[0], int(w[3]), int(w[4])))
    events = []
    with open(os.path.join(run, "agent.log"), errors="replace") as f:
        for line in f:
            t = log_time_ns(line)
            if t is None:
                continue
            m = re.search(r"event=carrier .*link=primary carrier=(up|down) source=(\S+)", line)
            if m:
                events.append((t, "carrier", m.group(1), m.group(2)))
            m = re.search(r"event=active-changed .*from=(\S+) to=(\S+) reason=(\S+)", line)
            if m:
                events.append((t, "switch", m.group(2), m.group(3)))
    return requests, replies, arps, changes, events


def marks_for(change, arps, events):
    """(detection_ns, source, switch_ns, announcement_ns) after one cable change."""
    action, before, _ = change
    carrier = "down" if action == "down" else "up"
    to = "standby" if action == "down" else "primary"
    port = "up-" + to
    # Log stamps are truncated to the millisecond: an event in the same millisecond as the change counts.
    floor = before - before % 1_000_000
    detection = next(((t, src) for t, kind, what, src in events if kind == "carrier" and what == carrier
                      and t >= floor), (None, None))
    switch = next((t for t, kind, what, _ in events if kind == "switch" and what == to and t >= floor), None)
    announcement = next((t for t, p in arps if p == port and t >= before), None)
    return detection[0], detection[1], switch, announcement


def ms(v):
    return "-" if v is None else "%.3f ms" % (v / 1e6)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run")
    p.add_argument("--mac", required=True, help="the master's MAC (source of its ARPs)")
    p.add_argument("--plot", help="write the timeline PNG here")
    args = p.parse_args(argv[1:])
    requests, replies, arps, changes, events = load(args.run, args.mac.lower())
    if not requests or not changes:
        print("timeline.py: no probes or no cable change in %s" % args.run, file=sys.stderr)
        return 70
    t0 = min(requests.values())
    probes = []  # (t_ms, rtt_ms or None, port)
    for key, ts in sorted(requests.items(), key=lambda kv: kv[1]):
        reply = replies.get(key)
        probes.append(((ts - t0) / 1e6, (reply[0] - ts) / 1e6 if reply else None, reply[1] if reply else None))
    # The last probes may still be in flight when the capture stops: ignore unanswered ones at the very end.
    while probes and probes[-1][1] is None:
        probes.pop()
    lost = [t for t, rtt, _ in probes if rtt is None]
    rtts = sorted(rtt for _, rtt, _ in probes if rtt is not None)

    ping_sent = ping_got = None
    try:
        with open(os.path.join(args.run, "ping.out")) as f:
            m = re.search(r"(\d+) packets transmitted, (\d+) received", f.read())
            if m:
                ping_sent, ping_got = int(m.group(1)), int(m.group(2))
    except OSError:
        pass

    print("Failover timeline: one cable pull and one plug while the peer pings the master at 500 pps; probe RTTs")
    print("from the switch capture (request in from the peer -> reply in from the master), marks from the cable")
    print("helper's clock, the agent's log and the capture. The log stamps whole milliseconds, so detection and")
    print("switch are shown as the millisecond they were logged in (earliest..latest after the change).")
    print()
    print("probes seen at the switch: %d, answered %d, lost %d; RTT median %.3f ms, max %.3f ms"
          % (len(probes), len(rtts), len(lost), rtts[len(rtts) // 2] if rtts else float("nan"),
             rtts[-1] if rtts else float("nan")))
    if ping_sent is not None:
        print("ping on the peer: %d sent, %d received, %d lost" % (ping_sent, ping_got, ping_sent - ping_got))
    print()
    print("%-12s %16s %16s %12s %16s %12s" % ("change", "detection", "switch", "first ARP", "carrier source",
                                               "probes lost"))
    results = []
    marks = []
    for i, change in enumerate(changes):
        det, src, sw, ann = marks_for(change, arps, events)
        before = change[1]
        name = "pull" if change[0] == "down" else "plug"
        nxt = changes[i + 1][1] if i + 1 < len(changes) else None
        window = [t for t in lost if t * 1e6 + t0 >= before - 2e6 and (nxt is None or t * 1e6 + t0 < nxt)]

        def span(stamp):
            """A log stamp (start of its millisecond) as (earliest, latest) after the change, in ns."""
            return None if stamp is None else (max(0, stamp - before), stamp + 1_000_000 - before)

        def text(sp):
            return "-" if sp is None else "%.2f..%.2f ms" % (sp[0] / 1e6, sp[1] / 1e6)
        d, w = span(det), span(sw)
        a = None if ann is None else ann - before
        print("%-12s %16s %16s %12s %16s %12d" % (name, text(d), text(w), ms(a), src or "-", len(window)))
        for what, v, how in (("detection_ms", d and d[1], "cable change -> carrier event logged (upper bound)"),
                             ("switch_ms", w and w[1], "cable change -> active-changed logged (upper bound)"),
                             ("first_announcement_ms", a, "cable change -> first gratuitous ARP")):
            results.append('RESULT failover-timeline.%s.%s=%s unit=ms n=1 label="timeline, %s: %s"'
                           % (name, what, "nan" if v is None else "%.3f" % (v / 1e6), name, how))
        results.append('RESULT failover-timeline.%s.probes_lost=%d unit=frames n=1 label="timeline, %s: probes '
                       'lost at 500 pps"' % (name, len(window), name))
        rel0 = lambda v: None if v is None else (v - t0) / 1e6  # noqa: E731
        marks.append((name, rel0(before), d and (rel0(before + d[0]), rel0(before + d[1])),
                      w and (rel0(before + w[0]), rel0(before + w[1])), rel0(ann)))
    print()
    print("\n".join(results))
    print("RESULT failover-timeline.probes=%d unit=count" % len(probes))
    print("RESULT failover-timeline.probes_lost=%d unit=frames" % len(lost))
    if args.plot:
        plot(args.plot, probes, marks)
    return 0


def plot(path, probes, marks):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"pull": "#d62728", "detection": "#9467bd", "switch": "#2ca02c", "first ARP": "#ff7f0e"}
    fig, axes = plt.subplots(1 + len(marks), 1, figsize=(10, 3.2 * (1 + len(marks))))
    spans = [(None, None)] + [(m[1] - 10, m[1] + 40) for m in marks]
    titles = ["whole run"] + ["%s: -10..+40 ms around the cable change" % m[0] for m in marks]
    for ax, (lo, hi), title in zip(axes, spans, titles):
        inside = [p for p in probes if lo is None or lo <= p[0] <= hi]
        for port, colour in (("up-primary", "#1f77b4"), ("up-standby", "#17becf")):
            pts = [(t, r) for t, r, pp in inside if pp == port]
            if pts:
                ax.plot([t for t, _ in pts], [r for _, r in pts], ".", ms=3 if lo is None else 6, color=colour,
                        label="probe RTT, reply via %s" % port.replace("up-", ""))
        gone = [t for t, r, _ in inside if r is None]
        if gone:
            ax.plot(gone, [0.0] * len(gone), "x", color="black", ms=7, label="probe lost (%d)" % len(gone))
        for m in marks:
            for label, x, style in (("cable " + m[0], m[1], "-"), ("first ARP", m[4], ":")):
                if x is None or (lo is not None and not lo <= x <= hi):
                    continue
                ax.axvline(x, color=colours.get(label, colours["pull"]), linestyle=style, linewidth=1.2,
                           label=label if lo is not None else None)
            for label, sp in (("detection", m[2]), ("switch", m[3])):
                if sp is None or (lo is not None and not (lo <= sp[1] and sp[0] <= hi)):
                    continue
                ax.axvspan(sp[0], sp[1], color=colours[label], alpha=0.25,
                           label=(label + " (logged in this ms)") if lo is not None else None)
        if lo is not None:
            ax.set_xlim(lo, hi)
        ax.set_xlabel("time since the first probe (ms)")
        ax.set_ylabel("RTT at the switch (ms)")
        ax.set_title(title, fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper right", fontsize=7)
    fig.suptitle("tapover failover timeline: probes at 500 pps across a cable pull and plug")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
