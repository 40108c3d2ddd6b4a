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
    """Replies, "no answer yet" lines, lost sequence numbers and the number sent, of a `ping -D -O` run.

    A probe is lost when it was sent and never answered. When ping is stopped with SIGINT (the demo does),
    the last probe may still be in flight: an unanswered last probe is not counted as lost."""
    replies, misses, sent = [], [], 0
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
                sent = int(m.group(1))
    answered = {seq for _, seq, _ in replies}
    if sent:
        # iputils numbers probes from 1; the last one may have been in flight when ping was stopped
        lost = [seq for seq in range(1, sent) if seq not in answered]
    else:
        lost = sorted({seq for _, seq in misses if seq not in answered})
    return replies, misses, lost, sent


def lost_between(lost, misses, t0, t1):
    """The lost probes whose "no answer yet" line (printed as the next probe went out) falls in [t0, t1)."""
    lost = set(lost)
    return sorted({s for t, s in misses if s in lost and t >= t0 and (t1 is None or t < t1)})


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
    ap.add_argument("--pull-done", type=float, help="when the pull command returned (the port went down before)")
    ap.add_argument("--plug-done", type=float, help="when the plug command returned")
    ap.add_argument("--events")
    ap.add_argument("--ping", required=True)
    ap.add_argument("--standby-pcap")
    ap.add_argument("--primary-pcap")
    ap.add_argument("--png")
    ap.add_argument("--lost-only", action="store_true", help="print only the number of lost probes")
    ap.add_argument("--summary", action="store_true",
                    help="print key=value lines for scripts: sent, answered, in_flight, lost, lost_seqs, max_rtt_ms; "
                         "lost_pull / lost_plug (lost in the phase that starts at --pull / --plug) and, with "
                         "--events, detect_to_switch_ms_pull / _plug (the agent's own time from carrier to switch)")
    a = ap.parse_args()

    replies, misses, lost, sent = parse_ping(a.ping)
    lost_count = len(lost)
    if a.lost_only:
        print(lost_count)
        return 0
    events = parse_events(a.events) if a.events else []
    if a.summary:
        answered = {s for _, s, _ in replies}
        print(f"sent={sent}")
        print(f"answered={len(answered)}")
        print(f"in_flight={1 if sent and sent not in answered else 0}")
        print(f"lost={lost_count}")
        print(f"lost_seqs={','.join(map(str, lost)) or '-'}")
        print(f"max_rtt_ms={max([r for _, _, r in replies], default=0):.1f}")
        for name, t0, t1 in (("pull", a.pull, a.plug), ("plug", a.plug, None)):
            if t0 is None:
                continue
            print(f"lost_{name}={len(lost_between(lost, misses, t0, t1))}")
            if events:
                _, carrier, switch, _ = describe("", t0, t1, events, [])
                if carrier and switch:
                    print(f"detect_to_switch_ms_{name}={(switch['epoch'] - carrier['epoch']) * 1000:.1f}")
        return 0
    announces = announcements(a.standby_pcap) + announcements(a.primary_pcap)

    marks = []
    for label, t0, t1, done in (("cable pull started (primary)", a.pull, a.plug, a.pull_done),
                                ("cable plug started (primary)", a.plug, None, a.plug_done)):
        if t0 is None:
            continue
        rows, carrier, switch, first = describe(label, t0, t1, events, announces)
        if done is not None:
            rows.append(((done - t0) * 1000, "cable command returned (the port changed before this)"))
        for ms, text in sorted(rows, key=lambda r: r[0]):
            print(f"+{ms:8.1f} ms  {text}")
        print(f"            probes lost in this phase: {len(lost_between(lost, misses, t0, t1))}")
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
        lost_set = set(lost)
        lost_t = [t - origin for t, s in misses if s in lost_set]
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
