#!/usr/bin/env python3
# Test stand-in for systemd restarting a service with its fd store: receive one named fd, put it at fd 3, exec with LISTEN_FDS.
"""relaunch.py SOCKET -- COMMAND...

Listens on the unix SOCK_SEQPACKET socket SOCKET (for at most 60 s), receives one message whose payload is
the fd's name (e.g. tap/fo0) and whose SCM_RIGHTS carry the fd, moves that fd to 3 and execs COMMAND with
LISTEN_FDS=1, LISTEN_FDNAMES=<name> and LISTEN_PID=<its own pid> (exec keeps the pid), as systemd does.
Prints "waiting" once it listens. Exit 64 on bad usage, 69 if nothing arrives in time.
"""
import os
import socket
import sys


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 64
    path, command = sys.argv[1], sys.argv[3:]
    server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    server.bind(path)
    server.listen(1)
    server.settimeout(60)
    print("waiting", flush=True)
    try:
        conn, _ = server.accept()
        conn.settimeout(30)
        payload, fds, _, _ = socket.recv_fds(conn, 256, 4)
    except socket.timeout:
        print("relaunch: no fd arrived within the time limit", file=sys.stderr)
        return 69
    if len(fds) != 1:
        print(f"relaunch: expected one fd, got {len(fds)}", file=sys.stderr)
        return 69
    conn.close()
    server.close()  # first: the listening socket may itself be fd 3
    os.unlink(path)
    if fds[0] != 3:
        os.dup2(fds[0], 3, inheritable=True)
        os.close(fds[0])
    else:
        os.set_inheritable(3, True)
    os.environ["LISTEN_FDS"] = "1"
    os.environ["LISTEN_FDNAMES"] = payload.decode().strip()
    sys.stdout.flush()
    os.execvp("sh", ["sh", "-c", 'export LISTEN_PID=$$; exec "$@"', "sh"] + command)


if __name__ == "__main__":
    sys.exit(main())
