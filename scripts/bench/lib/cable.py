#!/usr/bin/python3
"""Pulls and plugs virtual cables on command and times each change as tightly as user space can.

Usage (one command per line on stdin, one answer per line on stdout, flushed):

  cable.py veth [--marker IF]   commands: "down IFNAME TAG" / "up IFNAME TAG"
      Sets IFNAME (in this namespace) administratively down or up with one rtnetlink request, which
      drops or raises the carrier of its veth peer. With --marker, a marker frame (ethertype 0x88b5,
      payload "tapover-mark TAG") is sent on IF just before a pull and just after a plug, so a capture
      on IF's peer shows the change on the kernel's own capture clock.
  cable.py tap NAME             commands: "down TAG" / "up TAG"
      Creates TAP NAME (IFF_TAP|IFF_NO_PI), holds its only fd, and sets its carrier with
      TUNSETCARRIER: the carrier-off the kernel's linkwatch batches (up to 1 s) for non-veth links.
      It never reads the TAP; frames sent into it are dropped once its queue is full.

Answer: "<down|up> <IFNAME> <TAG> <t_before_ns> <t_after_ns>", CLOCK_REALTIME nanoseconds taken just
before the request and just after the kernel acknowledged it: the change happened in between.
"quit" or end of input exits; the TAP disappears with this process.
"""
import fcntl
import os
import socket
import struct
import sys
import time

RTM_NEWLINK = 16
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NLMSG_ERROR = 2
IFF_UP = 1
TUNSETIFF = 0x400454CA
TUNSETCARRIER = 0x400454E2
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
MARK_ETHERTYPE = 0x88B5


class Rtnl:
    """One rtnetlink socket that sets links up or down and waits for the kernel's acknowledgement."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        self.sock.bind((0, 0))
        self.seq = 0

    def set_up(self, ifindex, up):
        self.seq += 1
        body = struct.pack("=BBHiII", socket.AF_UNSPEC, 0, 0, ifindex, IFF_UP if up else 0, IFF_UP)
        header = struct.pack("=IHHII", 16 + len(body), RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, self.seq, 0)
        self.sock.send(header + body)
        while True:
            reply = self.sock.recv(65536)
            length, kind, _, seq, _ = struct.unpack_from("=IHHII", reply)
            if kind == NLMSG_ERROR and seq == self.seq:
                error = struct.unpack_from("=i", reply, 16)[0]
                if error != 0:
                    raise OSError(-error, os.strerror(-error))
                return


class Marker:
    """Sends one recognisable broadcast frame on an interface."""

    def __init__(self, ifname):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(MARK_ETHERTYPE))
        self.sock.bind((ifname, MARK_ETHERTYPE))
        self.mac = self.sock.getsockname()[4]

    def send(self, tag):
        payload = ("tapover-mark " + tag).encode("ascii")[:46].ljust(46, b"\0")
        self.sock.send(b"\xff" * 6 + self.mac + struct.pack("!H", MARK_ETHERTYPE) + payload)


def answer(*fields):
    sys.stdout.write(" ".join(str(f) for f in fields) + "\n")
    sys.stdout.flush()


def run_veth(marker_if):
    rtnl = Rtnl()
    marker = Marker(marker_if) if marker_if else None
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        action, ifname, tag = words[0], words[1], words[2] if len(words) > 2 else "-"
        if action not in ("down", "up"):
            raise SystemExit("cable.py: unknown command %r (use down/up IFNAME TAG or quit)" % line.strip())
        ifindex = socket.if_nametoindex(ifname)
        before = time.time_ns()
        if marker and action == "down":
            marker.send(tag)
        rtnl.set_up(ifindex, action == "up")
        after = time.time_ns()
        if marker and action == "up":
            marker.send(tag)
        answer(action, ifname, tag, before, after)


def run_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", name.encode("ascii"), IFF_TAP | IFF_NO_PI))
    answer("ready", name, "-", time.time_ns(), time.time_ns())
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        action, tag = words[0], words[1] if len(words) > 1 else "-"
        if action not in ("down", "up"):
            raise SystemExit("cable.py: unknown command %r (use down/up TAG or quit)" % line.strip())
        before = time.time_ns()
        fcntl.ioctl(fd, TUNSETCARRIER, struct.pack("i", 1 if action == "up" else 0))
        after = time.time_ns()
        answer(action, name, tag, before, after)
    os.close(fd)


def main(argv):
    if len(argv) >= 2 and argv[1] == "veth":
        marker_if = argv[3] if len(argv) >= 4 and argv[2] == "--marker" else None
        run_veth(marker_if)
    elif len(argv) == 3 and argv[1] == "tap":
        run_tap(argv[2])
    else:
        sys.stderr.write(__doc__)
        return 64
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
