#!/usr/bin/python3
"""Turns a demo or benchmark run (agent events, ping output, standby-wire capture) into a failover timeline and a PNG."""
import argparse
import datetime
import json
import re
import subprocess
import sys

PING_REPLY = re.compile(r"^\[(\d+\.\d+)\] \d+ bytes from .*icmp_seq=(\d+) .*time=([\d.]+) ms")
PING_MISS = re.compile(r"^\[(\d+\.\d+)\] no answer yet for icmp_seq=(\d+)")
PING_SUMMARY = re.compile(r"(\d+) packets transmitted, (\d+) received")


def parse_ping(path):
    replies, misses, sent, received = [], [], 0, 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = PING_REPLY.match(line)
            if m:
                replies.append((float(m.group(1)), int(m.group(2)), float(m.group(3))))
                continue
            m = PING_MISS.match(line)
            if m:
                misses.append((float(m.group(1)), int(m.group(2))))
                continue
            m = PING_SUMMARY.search(line)
            if m:
                sent, received = int(m.group(1)), int(m.group(2))
    answered = {seq for _, seq, _ in replies}
    lost = sorted({seq for _, seq in misses if seq not in answered})
    lost_count = sent - received if sent else len(lost)
    return replies, misses, lost, lost_count


def parse_events(path):
    events = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                e = json.loads(line)
            except json.JSONDecodeError:
                continue
            t = e.get("time")
            if t:
                e["epoch"] = datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
                events.append(e)
    return events


def announcements(pcap):
    """Epoch times of gratuitous ARP / unsolicited NA / RARP frames in a capture, decoded by tshark."""
    if not pcap:
        return []
    out = subprocess.run(["tshark", "-r", pcap, "-Y", "arp.isgratuitous || icmpv6.type == 136 || arp.opcode == 3",
                          "-T", "fields", "-e", "frame.time_epoch"], capture_output=True, text=True, check=False)
    return [float(x) for x in out.stdout.split()]


def first_after(times, t0, t1=None):
    for t in sorted(times):
        if t >= t0 and (t1 is None or t < t1):
            return t
    return None


def describe(label, t0, t1, events, announces):
    rows = [(0.0, f"{label}")]
    carrier = next((e for e in events if e["type"] == "carrier" and e["epoch"] >= t0
                    and (t1 is None or e["epoch"] < t1)), None)
    if carrier:
        rows.append(((carrier["epoch"] - t0) * 1000, f"agent saw carrier {'up' if carrier.get('carrier') else 'down'} "
                     f"on {carrier.get('link')} (source: {carrier.get('source')})"))
    switch = next((e for e in events if e["type"] == "active-changed" and e["epoch"] >= t0
                   and (t1 is None or e["epoch"] < t1)), None)
    if switch:
        rows.append(((switch["epoch"] - t0) * 1000, f"active link {switch.get('from')} -> {switch.get('to')} "
                     f"(reason {switch.get('reason')})"))
    first = first_after(announces, t0, t1)
    if first:
        rows.append(((first - t0) * 1000, "first announcement on the wire"))
    return rows, carrier, switch, first


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pull", type=float)
    ap.add_argument("--plug", type=float)
    ap.add_argument("--events")
    ap.add_argument("--ping", required=True)
    ap.add_argument("--standby-pcap")
    ap.add_argument("--primary-pcap")
    ap.add_argument("--png")
    ap.add_argument("--lost-only", action="store_true", help="print only the number of lost probes")
    a = ap.parse_args()

    replies, misses, lost, lost_count = parse_ping(a.ping)
    if a.lost_only:
        print(lost_count)
        return 0
    events = parse_events(a.events) if a.events else []
    announces = announcements(a.standby_pcap) + announcements(a.primary_pcap)

    marks = []
    for label, t0, t1 in (("cable pulled (primary)", a.pull, a.plug), ("cable plugged back (primary)", a.plug, None)):
        if t0 is None:
            continue
        rows, carrier, switch, first = describe(label, t0, t1, events, announces)
        for ms, text in rows:
            print(f"+{ms:8.1f} ms  {text}")
        lost_here = [s for t, s in misses if s not in {q for _, q, _ in replies} and t >= t0 and (t1 is None or t < t1)]
        print(f"            probes lost in this phase: {len(set(lost_here))}")
        print()
        marks.append((t0, label, carrier, switch, first))
    print(f"probes: {len(replies)} answered, {lost_count} lost in all")

    if a.png:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        origin = a.pull if a.pull else (replies[0][0] if replies else 0)
        fig, ax = plt.subplots(figsize=(10, 4.5), dpi=110)
        ax.scatter([t - origin for t, _, _ in replies], [rtt for _, _, rtt in replies], s=4, label="probe RTT (ms)")
        answered = {q for _, q, _ in replies}
        lost_t = [t - origin for t, s in misses if s not in answered]
        ax.scatter(lost_t, [0] * len(lost_t), marker="x", color="red", s=30, label=f"lost probe ({lost_count})")
        colors = {"carrier": "tab:orange", "switch": "tab:green", "announce": "tab:purple", "cable": "black"}
        for t0, label, carrier, switch, first in marks:
            ax.axvline(t0 - origin, color=colors["cable"], linestyle="--", linewidth=1)
            ax.text(t0 - origin, ax.get_ylim()[1] * 0.95, " " + label, fontsize=8, va="top")
            if carrier:
                ax.axvline(carrier["epoch"] - origin, color=colors["carrier"], linewidth=1)
            if switch:
                ax.axvline(switch["epoch"] - origin, color=colors["switch"], linewidth=1)
            if first:
                ax.axvline(first - origin, color=colors["announce"], linewidth=1)
        for name, c in (("detection", "carrier"), ("switch", "switch"), ("first announcement", "announce")):
            ax.plot([], [], color=colors[c], label=name)
        ax.set_xlabel("seconds since the cable pull")
        ax.set_ylabel("RTT (ms)")
        ax.set_title("tapover failover timeline: probes from the peer to the master")
        ax.legend(loc="upper right", fontsize=8)
        fig.tight_layout()
        fig.savefig(a.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
