#!/usr/bin/env python3
"""Times tapover agent start-ups and samples their footprint for scripts/bench/startup.sh; also prints its report.

Subcommands (startup.sh drives them; every process started here is stopped here, SIGTERM then SIGKILL):
  trial      start one agent, time 'event=ready' and the first control answer, run 'tapover status',
             read the RSS, stop it; one JSON line on stdout
  footprint  start several agents at once, sample RSS / threads / CPU every second for S seconds, stop them;
             writes a JSON file
  report     the table, RESULT lines and (with matplotlib) a PNG of RSS against time
"""
import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


class Stop(Exception):
    pass


def on_signal(signum, _frame):
    raise Stop(f"signal {signum}")


class Agent:
    """One agent process: its combined output goes to a log file; the 'event=ready' line is timestamped."""

    def __init__(self, cmd, control, log_path):
        self.cmd = cmd
        self.control = control
        self.log_path = log_path
        self.ready_at = None
        self.control_at = None
        self.connect_at = None
        self.t0 = None
        self.proc = None
        self._reader = None

    def start(self):
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=False)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        with open(self.log_path, "wb") as log:
            for line in self.proc.stdout:
                if self.ready_at is None and b"event=ready" in line:
                    self.ready_at = time.monotonic()
                log.write(line)
                log.flush()

    def ms(self, t):
        return None if t is None else (t - self.t0) * 1000.0

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def control_answers(self):
        """One status request on the control socket; True if it was answered with ok:true."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(2.0)
                s.connect(self.control)
                if self.connect_at is None:
                    self.connect_at = time.monotonic()
                s.sendall(b'{"v":1,"id":"bench","cmd":"status"}\n')
                data = b""
                while not data.endswith(b"\n"):
                    chunk = s.recv(65536)
                    if not chunk:
                        return False
                    data += chunk
            return json.loads(data).get("ok") is True
        except (OSError, ValueError):
            return False

    def wait_control(self, deadline):
        while time.monotonic() < deadline and self.alive():
            if self.control_answers():
                self.control_at = time.monotonic()
                return True
            time.sleep(0.005)
        return False

    def proc_status(self):
        """VmRSS (KiB) and Threads from /proc/PID/status, and user+system CPU seconds from /proc/PID/stat."""
        pid = self.proc.pid
        rss = threads = None
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1])
                    elif line.startswith("Threads:"):
                        threads = int(line.split()[1])
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
            with open(f"/proc/{pid}/comm") as f:
                comm = f.read().strip()
        except (OSError, IndexError, ValueError):
            return None
        return {"rss_kib": rss, "threads": threads, "cpu_s": cpu, "comm": comm}

    def stop(self, grace=15.0):
        """SIGTERM, then SIGKILL after `grace` seconds; returns (exit code, ms to exit)."""
        if self.proc is None:
            return None, None
        t = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        stop_ms = (time.monotonic() - t) * 1000.0
        if self._reader is not None:
            self._reader.join(timeout=5)
        return self.proc.returncode, stop_ms


def cmd_trial(args):
    agent = Agent(args.agent_cmd, args.control, args.log)
    result = {"jdk": args.label, "trial": args.trial}
    try:
        agent.start()
        deadline = agent.t0 + args.timeout
        ok = agent.wait_control(deadline)
        while ok and agent.ready_at is None and time.monotonic() < deadline:
            time.sleep(0.002)  # the log line and the control answer race; wait for both
        result["ready_ms"] = agent.ms(agent.ready_at)
        result["control_ms"] = agent.ms(agent.control_at)
        result["connect_ms"] = agent.ms(agent.connect_at)
        if not ok:
            result["error"] = "no control answer within %ds (exit %s); see %s" % (
                args.timeout, agent.proc.poll(), args.log)
        else:
            t = time.monotonic()
            if agent.control_answers():
                result["status2_ms"] = (time.monotonic() - t) * 1000.0
            st = agent.proc_status() or {}
            result["rss_ready_kib"] = st.get("rss_kib")
            result["threads_ready"] = st.get("threads")
            result["comm"] = st.get("comm")
            t = time.monotonic()
            cli = subprocess.run(args.status_cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, timeout=60)
            result["cli_status_ms"] = (time.monotonic() - t) * 1000.0
            result["cli_rc"] = cli.returncode
    except Stop as e:
        result["error"] = "interrupted (%s)" % e
    finally:
        code, stop_ms = agent.stop()
        result["exit_code"] = code
        result["stop_ms"] = stop_ms
    print(json.dumps(result), flush=True)
    return 0 if "error" not in result else 70


def cmd_footprint(args):
    with open(args.spec) as f:
        spec = json.load(f)
    agents = [(s, Agent(s["cmd"], s["control"], s["log"])) for s in spec]
    out = {"seconds": args.seconds, "agents": []}
    try:
        for _, a in agents:
            a.start()
        waiters = [threading.Thread(target=a.wait_control, args=(a.t0 + args.seconds,), daemon=True)
                   for _, a in agents]
        for w in waiters:
            w.start()
        series = {id(a): [] for _, a in agents}
        start = min(a.t0 for _, a in agents)
        end = start + args.seconds
        while True:
            now = time.monotonic()
            for _, a in agents:
                st = a.proc_status() if a.alive() else None
                if st:
                    series[id(a)].append([round(now - a.t0, 3), st["rss_kib"], st["threads"], st["cpu_s"]])
            if now >= end:
                break
            time.sleep(min(args.interval, max(0.0, end - now)))
        for s, a in agents:
            pts = series[id(a)]
            entry = {"jdk": s["jdk"], "run": s["run"], "series": pts, "ready_ms": a.ms(a.ready_at),
                     "control_ms": a.ms(a.control_at), "alive": a.alive()}
            if pts and a.control_at is not None:
                last = pts[-1]
                after_ready = [p for p in pts if p[0] >= (a.control_at - a.t0)]
                first = after_ready[0] if after_ready else last
                span = last[0] - first[0]
                entry["rss_end_kib"] = last[1]
                entry["threads_end"] = last[2]
                entry["at_s"] = last[0]
                entry["cpu_pct_idle"] = 100.0 * (last[3] - first[3]) / span if span > 0 else None
                entry["cpu_s_total"] = last[3]
            else:
                entry["error"] = "the agent did not answer on its control socket; see " + s["log"]
            out["agents"].append(entry)
    except Stop as e:
        out["error"] = "interrupted (%s)" % e
    finally:
        for s, a in agents:
            code, stop_ms = a.stop()
            for entry in out["agents"]:
                if entry["jdk"] == s["jdk"] and entry["run"] == s["run"]:
                    entry["exit_code"] = code
    with open(args.out, "w") as f:
        json.dump(out, f)
    return 0 if "error" not in out and all("error" not in e for e in out["agents"]) else 70


# ---------------------------------------------------------------------------------------------- report

def stats(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"n": len(values), "median": statistics.median(values), "min": min(values), "max": max(values)}


def show(st, digits):
    if st is None:
        return "-"
    f = f"{{:.{digits}f}}"
    if st["n"] == 1:
        return f.format(st["median"])
    return f"{f.format(st['median'])} ({f.format(st['min'])}..{f.format(st['max'])})"


def cmd_report(args):
    trials = []
    if args.trials and os.path.exists(args.trials):
        with open(args.trials) as f:
            trials = [json.loads(line) for line in f if line.strip()]
    fp = {"agents": [], "seconds": args.rss_after}
    if args.footprint and os.path.exists(args.footprint):
        with open(args.footprint) as f:
            fp = json.load(f)
    jdks = []
    for label in args.jdk:
        if label not in jdks:
            jdks.append(label)
    secs = fp.get("seconds", args.rss_after)

    metrics = [
        # key, label, unit, digits, source, extractor
        ("ready_ms", "start -> 'event=ready' logged", "ms", 0, "t", lambda r: r.get("ready_ms")),
        ("connect_ms", "start -> control socket accepts", "ms", 0, "t", lambda r: r.get("connect_ms")),
        ("control_ms", "start -> first status answer", "ms", 0, "t", lambda r: r.get("control_ms")),
        ("status2_ms", "status round trip, second request", "ms", 1, "t", lambda r: r.get("status2_ms")),
        ("cli_status_ms", "'tapover status' (CLI JVM) round trip", "ms", 0, "t", lambda r: r.get("cli_status_ms")),
        ("rss_ready_mib", "RSS when ready", "MiB", 1, "t",
         lambda r: r["rss_ready_kib"] / 1024 if r.get("rss_ready_kib") else None),
        ("stop_ms", "SIGTERM -> exit (master removed)", "ms", 0, "t", lambda r: r.get("stop_ms")),
        ("rss_after_mib", f"RSS {secs:g} s after start", "MiB", 1, "f",
         lambda a: a["rss_end_kib"] / 1024 if a.get("rss_end_kib") else None),
        ("cpu_idle_pct", f"CPU while idle (ready .. {secs:g} s)", "%", 2, "f", lambda a: a.get("cpu_pct_idle")),
        ("threads", f"threads {secs:g} s after start", "count", 0, "f", lambda a: a.get("threads_end")),
    ]
    table = {}
    for key, label, unit, digits, src, get in metrics:
        for j in jdks:
            rows = [r for r in trials if r.get("jdk") == j] if src == "t" else \
                [a for a in fp.get("agents", []) if a.get("jdk") == j]
            table[(key, j)] = stats([get(r) for r in rows])

    n_trials = {j: len([r for r in trials if r.get("jdk") == j]) for j in jdks}
    n_fp = {j: len([a for a in fp.get("agents", []) if a.get("jdk") == j]) for j in jdks}
    versions = dict(v.split("=", 1) for v in args.version)
    print("Start-up and footprint: 'tapover run' on a netns lab (master fo0, 2 veth links, 1 address),")
    print(f"started by 'ip netns exec ... scripts/tapover run'; median (min..max).")
    if not any(n_fp.values()):
        metrics = [m for m in metrics if m[4] == "t"]
        footprint = "Footprint: not measured (--rss-runs 0)."
    else:
        footprint = "Footprint rows: " + ", ".join(f"JDK {j} {n_fp[j]} agents" for j in jdks) \
            + f", all running side by side for {secs:g} s."
    print("Start-up rows: " + ", ".join(f"JDK {j} {n_trials[j]} trials" for j in jdks)
          + ", one at a time. " + footprint)
    print()
    headers = ["metric", "unit"] + [f"JDK {j} ({versions.get(j, '?')})" for j in jdks]
    body = []
    for key, label, unit, digits, _, _ in metrics:
        body.append([label, unit] + [show(table[(key, j)], digits) for j in jdks])
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    print(line(headers))
    print(line(["-" * w for w in widths]))
    for r in body:
        print(line(r))

    problems = [r for r in trials if r.get("error") or r.get("cli_rc") not in (0, None)
                or r.get("exit_code") not in (0, None)]
    problems += [a for a in fp.get("agents", []) if a.get("error") or a.get("exit_code") not in (0, None)]
    if problems:
        print()
        for p in problems:
            print("problem: JDK %s %s: %s (cli exit %s, agent exit %s)" % (
                p.get("jdk"), "trial %s" % p["trial"] if "trial" in p else "footprint run %s" % p.get("run"),
                p.get("error", "-"), p.get("cli_rc", "-"), p.get("exit_code", "-")))
    print()
    for key, label, unit, digits, _, _ in metrics:
        for j in jdks:
            st = table[(key, j)]
            if st is None:
                continue
            extra = f" after_s={secs:g}" if key == "rss_after_mib" else ""
            for stat in ("median", "min", "max"):
                print(f"RESULT startup.jdk{j}.{key}.{stat}={st[stat]:.{max(digits, 1)}f} unit={unit} n={st['n']}{extra}")

    if args.plot:
        plot(fp, args.plot, secs)
    return 0 if not problems else 70


def plot(fp, path, secs):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no plot: matplotlib is not installed; apt-get install python3-matplotlib)", file=sys.stderr)
        return
    agents = [a for a in fp.get("agents", []) if a.get("series")]
    if not agents:
        return
    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=110)
    colours = {}
    palette = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    for a in agents:
        c = colours.setdefault(a["jdk"], palette[len(colours) % len(palette)])
        xs = [p[0] for p in a["series"]]
        ys = [p[1] / 1024 for p in a["series"]]
        label = f"JDK {a['jdk']}" if sum(1 for b in agents if b["jdk"] == a["jdk"] and b is not a
                                          and agents.index(b) < agents.index(a)) == 0 else None
        ax.plot(xs, ys, color=c, linewidth=1.3, label=label)
        if a.get("control_ms"):
            ax.axvline(a["control_ms"] / 1000, color=c, linewidth=0.6, linestyle=":")
    ax.set_xlabel("seconds since start (dotted: control socket answers)")
    ax.set_ylabel("RSS (MiB)")
    ax.set_xlim(0, secs)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title("tapover agent resident memory after start, one line per agent")
    fig.tight_layout()
    fig.savefig(path)
    print(f"plot: {path}", file=sys.stderr)


def main():
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("trial")
    t.add_argument("--label", required=True)
    t.add_argument("--trial", type=int, required=True)
    t.add_argument("--control", required=True)
    t.add_argument("--log", required=True)
    t.add_argument("--timeout", type=int, default=60)
    t.add_argument("--status-cmd", required=True, help="JSON list: the CLI status command")
    t.add_argument("agent_cmd", nargs=argparse.REMAINDER)
    f = sub.add_parser("footprint")
    f.add_argument("--spec", required=True)
    f.add_argument("--seconds", type=float, required=True)
    f.add_argument("--interval", type=float, default=1.0)
    f.add_argument("--out", required=True)
    r = sub.add_parser("report")
    r.add_argument("--trials")
    r.add_argument("--footprint")
    r.add_argument("--jdk", action="append", default=[])
    r.add_argument("--version", action="append", default=[], help="LABEL=VERSION")
    r.add_argument("--rss-after", type=float, default=60)
    r.add_argument("--plot")
    args = p.parse_args()
    if args.cmd == "trial":
        args.status_cmd = json.loads(args.status_cmd)
        if args.agent_cmd and args.agent_cmd[0] == "--":
            args.agent_cmd = args.agent_cmd[1:]
        if not args.agent_cmd:
            p.error("trial needs the agent command after --")
        return cmd_trial(args)
    if args.cmd == "footprint":
        return cmd_footprint(args)
    return cmd_report(args)


if __name__ == "__main__":
    sys.exit(main())
