#!/usr/bin/env python3
"""Captures rtnetlink golden fixtures from the real kernel for the dev.tapover.netlink unit tests.

Run it ONLY through capture-fixtures.sh, which starts it inside a throwaway network namespace: it creates
veth pairs and a TAP and changes their state. Output: one .hex file per scenario in the given directory,
'#' comment lines, then one received datagram per line as lowercase hex (native byte order, x86_64).
"""
import fcntl
import os
import socket
import struct
import subprocess
import sys
import time

NETLINK_ROUTE = 0
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
RTM_GETLINK, RTM_GETADDR = 18, 22
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_DONE = 3
RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR = 1, 5, 9
TUNSETIFF, TUNSETCARRIER = 0x400454CA, 0x400454E2
IFF_TAP, IFF_NO_PI = 0x0002, 0x1000

OUT = sys.argv[1]
if not os.environ.get("TAPOVER_TEST_NETNS"):
    sys.exit("capture-fixtures.py must run inside a throwaway namespace: use capture-fixtures.sh")


def ip(*args):
    subprocess.run(["ip", *args], check=True, timeout=10)


def monitor(*groups):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
    s.bind((0, 0))
    for g in groups:
        s.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, g)
    return s


def drain(s, quiet_s=0.3, limit_s=3.0):
    """Every datagram until the socket stays quiet for quiet_s (bounded by limit_s)."""
    out = []
    end = time.monotonic() + limit_s
    s.settimeout(quiet_s)
    while time.monotonic() < end:
        try:
            out.append(s.recv(65536))
        except socket.timeout:
            break
    return out


def dump(msg_type, body):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
    s.bind((0, 0))
    s.send(struct.pack("=IHHII", 16 + len(body), msg_type, NLM_F_REQUEST | NLM_F_DUMP, 1, 0) + body)
    s.settimeout(2)
    out = []
    for _ in range(1000):
        d = s.recv(65536)
        out.append(d)
        if find_type(d, NLMSG_DONE):
            break
    s.close()
    return out


def find_type(datagram, wanted):
    off = 0
    while off + 16 <= len(datagram):
        length, mtype = struct.unpack_from("=IH", datagram, off)
        if mtype == wanted:
            return True
        if length < 16:
            return False
        off += (length + 3) & ~3
    return False


def save(name, comment, datagrams):
    with open(os.path.join(OUT, name), "w") as f:
        f.write("# " + comment + "\n")
        f.write("# captured by capture-fixtures.py on Linux " + os.uname().release + "\n")
        for d in datagrams:
            f.write(d.hex() + "\n")
    print(f"{name}: {len(datagrams)} datagrams", file=sys.stderr)


def messages(datagram):
    off = 0
    while off + 16 <= len(datagram):
        length = struct.unpack_from("=I", datagram, off)[0]
        yield datagram[off:off + length]
        off += (length + 3) & ~3


def with_length(msg):
    return struct.pack("=I", len(msg)) + msg[4:]


def attr(atype, value):
    a = struct.pack("=HH", 4 + len(value), atype) + value
    return a + b"\0" * (-len(a) % 4)


# Quiet setup: no IPv6 link-local addresses on new links, so events are only the ones a scenario causes.
with open("/proc/sys/net/ipv6/conf/default/addr_gen_mode", "w") as f:
    f.write("1")
ip("link", "add", "tovfx0", "address", "02:00:00:00:f0:00", "type", "veth",
   "peer", "name", "tovfx1", "address", "02:00:00:00:f0:01")
ip("link", "set", "tovfx1", "up")
ip("link", "set", "tovfx0", "mtu", "1400", "up")
time.sleep(0.3)

save("link-dump.hex", "RTM_GETLINK dump: lo, tovfx0 (02:00:00:00:f0:00, mtu 1400, up) <-> tovfx1, ending NLMSG_DONE",
     dump(RTM_GETLINK, bytes(16)))

s = monitor(RTNLGRP_LINK)
ip("link", "set", "tovfx1", "down")
time.sleep(0.3)
ip("link", "set", "tovfx1", "up")
carrier = drain(s)
s.close()
save("veth-carrier.hex", "RTNLGRP_LINK while 'ip link set tovfx1 down', 0.3 s, 'ip link set tovfx1 up' "
     "(tovfx0 loses and regains carrier)", carrier)

s = monitor(RTNLGRP_LINK)
ip("link", "set", "tovfx0", "down")
ip("link", "set", "tovfx0", "name", "tovfx9")
ip("link", "set", "tovfx9", "name", "tovfx0")
ip("link", "set", "tovfx0", "up")
save("rename.hex", "RTNLGRP_LINK while 'ip link set tovfx0 down; ... name tovfx9; ... tovfx9 name tovfx0; "
     "... tovfx0 up'", drain(s))
s.close()

s = monitor(RTNLGRP_LINK)
ip("link", "set", "tovfx0", "address", "02:00:00:00:f0:0a")
save("mac-change.hex", "RTNLGRP_LINK while 'ip link set tovfx0 address 02:00:00:00:f0:0a'", drain(s))
s.close()

s = monitor(RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR)
ip("address", "add", "192.0.2.1/24", "dev", "tovfx0")
ip("address", "add", "2001:db8::1/64", "dev", "tovfx0", "nodad")
time.sleep(0.1)
addr_dump = dump(RTM_GETADDR, bytes(8))
ip("address", "del", "192.0.2.1/24", "dev", "tovfx0")
ip("address", "del", "2001:db8::1/64", "dev", "tovfx0")
save("address-add-remove.hex", "RTNLGRP_IPV4_IFADDR + RTNLGRP_IPV6_IFADDR while 'ip address add 192.0.2.1/24 "
     "dev tovfx0; ... add 2001:db8::1/64 dev tovfx0 nodad; ... del 192.0.2.1/24; ... del 2001:db8::1/64'", drain(s))
s.close()
save("address-dump.hex", "RTM_GETADDR dump with 192.0.2.1/24 and 2001:db8::1/64 (nodad) on tovfx0, "
     "127.0.0.1/8 and ::1/128 on lo", addr_dump)

s = monitor(RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR)
ip("address", "add", "198.51.100.1/24", "dev", "tovfx0")
ip("link", "del", "tovfx0")
ip("link", "add", "tovfx0", "address", "02:00:00:00:f0:00", "type", "veth",
   "peer", "name", "tovfx1", "address", "02:00:00:00:f0:01")
save("delete-readd.hex", "RTNLGRP_LINK + address groups while 'ip address add 198.51.100.1/24 dev tovfx0; "
     "ip link del tovfx0; ip link add tovfx0 type veth peer name tovfx1' (new ifindexes)", drain(s))
s.close()

# A TAP whose carrier is switched off with TUNSETCARRIER: the kernel's linkwatch delays this one.
tun = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH22x", b"tovfxtap", IFF_TAP | IFF_NO_PI))
ip("link", "set", "tovfxtap", "address", "02:00:00:00:f0:ee", "up")
time.sleep(0.3)
s = monitor(RTNLGRP_LINK)
fcntl.ioctl(tun, TUNSETCARRIER, struct.pack("=i", 0))
save("tap-carrier-off.hex", "RTNLGRP_LINK after TUNSETCARRIER 0 on the up TAP tovfxtap", drain(s, 1.5, 4.0))
s.close()
os.close(tun)

# Derived fixtures: real messages changed in one documented way each.
first_link = next(m for d in carrier for m in messages(d) if struct.unpack_from("=H", m, 4)[0] == 16)
save("truncated.hex", "DERIVED from veth-carrier.hex message 1: the datagram cut to 100 bytes (nlmsg_len still says "
     + str(len(first_link)) + "), then the full message with its last attribute's rta_len overrunning the message",
     [first_link[:100], first_link[:-8] + struct.pack("=HH", 64, 0x3ff0) + bytes(4)])
unknown = (first_link + attr(0x3ff0, b"\x01\x02\x03\x04\x05") + attr(0x8000 | 0x3ff1, attr(7, b"xyz"))
           + attr(0x4000 | 0x3ff2, struct.pack(">I", 7)))
route = struct.pack("=IHHII", 28, 24, 0, 0, 0) + bytes(12)  # RTM_NEWROUTE: not a type the monitor reads
save("unknown-attributes.hex", "DERIVED from veth-carrier.hex message 1: appended attributes 0x3ff0 (5 bytes, "
     "padded), nested 0x3ff1 (NLA_F_NESTED), 0x3ff2 (NLA_F_NET_BYTEORDER); second datagram adds an RTM_NEWROUTE",
     [with_length(unknown), with_length(unknown) + route])
notify = with_length(first_link + attr(44, struct.pack("=I", 4)))
save("notify-peers.hex", "DERIVED from veth-carrier.hex message 1 with IFLA_EVENT = IFLA_EVENT_NOTIFY_PEERS (4) "
     "appended, as netif_notify_peers() makes the kernel send (no veth/TAP driver calls it)", [notify])
