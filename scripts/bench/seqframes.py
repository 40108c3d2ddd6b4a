#!/usr/bin/env python3
# Sends and counts sequence-numbered Ethernet frames on one interface, to measure loss and gaps across a live update.
"""seqframes: paced, sequence-numbered raw Ethernet frames (ethertype 0x88b5, IEEE local experimental).

  seqframes.py send --ifname IF --dst MAC --rate FPS (--count N | --seconds S) [--run ID]
  seqframes.py recv --ifname IF [--run ID] [--expect N] --seconds S [--timeline FILE]

send   paces frames at FPS with an absolute schedule (frames due in each millisecond go out together),
       stops after N frames or S seconds or on SIGTERM/SIGINT, then prints {"sent": N, ...} as JSON.
recv   counts frames of run ID arriving on IF (not those IF transmits), until --expect unique frames
       arrived, S seconds passed, or SIGTERM/SIGINT (then it counts what its socket already queued, for
       at most 2 s); prints JSON: received, unique, duplicates, missing
       (expect - unique, or holes below the highest seq), reordered, maxGapMs (largest inter-arrival
       gap) and where it happened, receiverDrops (frames its own socket dropped: a measurement loss).
       --timeline writes "seq arrival_ns" lines.

Every loop is bounded in count and time. Needs root (AF_PACKET). Exit 0, or 64 on bad usage.
"""
import argparse
import json
import signal
import socket
import struct
import sys
import time

ETHERTYPE = 0x88B5
MAGIC = b"TOVS"
PACKET_OUTGOING = 4
SO_RCVBUFFORCE = 33
SOL_PACKET = 263
PACKET_STATISTICS = 6
HEADER = struct.Struct("!4sIQ")  # magic, run id, sequence number
FRAME_LEN = 60

stop = False


def on_signal(signum, frame):
    global stop
    stop = True


def mac_bytes(text):
    parts = text.split(":")
    if len(parts) != 6:
        raise argparse.ArgumentTypeError(f"MAC {text!r} must be six hex bytes like 02:00:5e:00:53:01")
    return bytes(int(p, 16) for p in parts)


def send(args):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((args.ifname, 0))
    src = s.getsockname()[4][:6]
    head = args.dst + src + struct.pack("!H", ETHERTYPE)
    limit = args.count if args.count else int(args.rate * args.seconds)
    deadline = time.monotonic() + (args.seconds if args.seconds else limit / args.rate + 5)
    start = time.monotonic()
    sent = 0
    errors = 0
    while sent < limit and not stop and time.monotonic() < deadline:
        due = min(limit, int((time.monotonic() - start) * args.rate) + 1)
        while sent < due:
            frame = head + HEADER.pack(MAGIC, args.run, sent)
            frame += bytes(FRAME_LEN - len(frame))
            try:
                s.send(frame)
            except OSError:
                errors += 1  # counted, and the frame counts as sent: the receiver will miss it
            sent += 1
        next_at = start + sent / args.rate
        pause = next_at - time.monotonic()
        if pause > 0:
            time.sleep(min(pause, 0.001))
    elapsed = time.monotonic() - start
    print(json.dumps({"sent": sent, "sendErrors": errors, "seconds": round(elapsed, 3),
                      "rate": round(sent / elapsed, 1) if elapsed > 0 else 0}), flush=True)


def recv(args):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETHERTYPE))
    try:  # a receiver starved of CPU must not drop what the agent delivered: 32 MiB, past rmem_max
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
    s.bind((args.ifname, ETHERTYPE))
    s.settimeout(0.05)
    print(json.dumps({"listening": args.ifname}), flush=True)
    seen = set()
    received = duplicates = reordered = 0
    highest = -1
    last_ns = None
    max_gap_ns = 0
    gap_after = None
    timeline = open(args.timeline, "w") if args.timeline else None
    deadline = time.monotonic() + args.seconds
    draining = False
    while True:
        if args.expect and len(seen) >= args.expect:
            break
        if not draining and (stop or time.monotonic() >= deadline):
            # Stopped: count what the kernel already queued on this socket, then report.
            draining = True
            drain_until = time.monotonic() + 2.0  # bounded even if frames still arrive
            s.settimeout(0)
        if draining and time.monotonic() >= drain_until:
            break
        try:
            data, addr = s.recvfrom(2048)
        except (socket.timeout, BlockingIOError):
            if draining:
                break
            continue
        if addr[2] == PACKET_OUTGOING or len(data) < 14 + HEADER.size:
            continue
        magic, run, seq = HEADER.unpack_from(data, 14)
        if magic != MAGIC or run != args.run:
            continue
        now = time.monotonic_ns()
        received += 1
        if seq in seen:
            duplicates += 1
            continue
        seen.add(seq)
        if seq < highest:
            reordered += 1
        highest = max(highest, seq)
        if last_ns is not None and now - last_ns > max_gap_ns:
            max_gap_ns = now - last_ns
            gap_after = seq
        last_ns = now
        if timeline:
            timeline.write(f"{seq} {now}\n")
    if timeline:
        timeline.close()
    # frames the kernel dropped at this socket (its queue was full): a measurement loss, not the agent's
    socket_drops = struct.unpack("II", s.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))[1]
    unique = len(seen)
    missing = (args.expect - unique) if args.expect else (highest + 1 - unique)
    print(json.dumps({"received": received, "unique": unique, "duplicates": duplicates,
                      "missing": missing, "reordered": reordered, "highest": highest,
                      "maxGapMs": round(max_gap_ns / 1e6, 3), "maxGapBeforeSeq": gap_after,
                      "receiverDrops": socket_drops}), flush=True)


class Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"seqframes: {message}", file=sys.stderr)
        sys.exit(64)


def main():
    p = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    ps = sub.add_parser("send")
    ps.add_argument("--ifname", required=True)
    ps.add_argument("--dst", required=True, type=mac_bytes)
    ps.add_argument("--rate", type=float, required=True)
    ps.add_argument("--count", type=int)
    ps.add_argument("--seconds", type=float)
    ps.add_argument("--run", type=int, default=1)
    pr = sub.add_parser("recv")
    pr.add_argument("--ifname", required=True)
    pr.add_argument("--run", type=int, default=1)
    pr.add_argument("--expect", type=int)
    pr.add_argument("--seconds", type=float, required=True)
    pr.add_argument("--timeline")
    args = p.parse_args()
    if args.command == "send":
        if args.rate <= 0 or args.rate > 200000 or not (args.count or args.seconds):
            p.error("send needs 0 < --rate <= 200000 and --count or --seconds")
        if args.seconds and args.seconds > 3600:
            p.error("--seconds is at most 3600")
    elif args.seconds <= 0 or args.seconds > 3600:
        p.error("recv needs 0 < --seconds <= 3600")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    send(args) if args.command == "send" else recv(args)


if __name__ == "__main__":
    sys.exit(main())
