#!/usr/bin/env python3
"""Regenerates docs/benchmarks.md from the outputs of scripts/bench/*.sh: the machine, one section per script, and targets.

Used by scripts/bench/all.sh:
  summary.py render --doc docs/benchmarks.md --results docs/bench-results --manifest RUN.tsv --info INFO.txt
                    [--logs DIR]
  summary.py results FILE...        print the RESULT lines found (or derived) in script outputs
  summary.py targets FILE...        print the targets table for those outputs (what all.sh shows at the end)

The RESULT-line convention (docs/benchmarks.md, "How to rerun" > "Output convention") is parsed here:
  RESULT <key>=<number> unit=<unit> [n=<count>] [target=<op><number>] [label="free text"] [other=value ...]
"""
import argparse
import fnmatch
import os
import re
import shlex
import sys

RESULT_RE = re.compile(r"^RESULT\s+(\S+?)=(\S+)(.*)$")
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
TARGET_RE = re.compile(r"^(<=|>=|==|<|>)\s*(-?[0-9.]+)$")

# Targets from the issues, shown next to the measured values whether or not they were met. A RESULT line's own
# target= overrides these. Keys are fnmatch patterns; the scripts that print them are listed in docs/benchmarks.md.
DEFAULT_TARGETS = [
    ("carrier-detect.poll.median", "<", 50, "ms", "TAP carrier-off (TUNSETCARRIER) reported, 10 ms /sys poll on, median of >= 20", "#3"),
    ("failover.first_announcement.median", "<=", 1, "ms", "cable pull -> first announcement on the standby wire, median of >= 50", "#5"),
    ("failover.first_announcement.p99", "<=", 5, "ms", "cable pull -> first announcement on the standby wire, p99", "#5"),
    ("failover.probes_lost.failover.max", "<=", 1, "frames", "probes lost per cable pull at 500 pps, worst pull", "#5"),
    ("datapath.fps.agent", ">=", 300000, "fps", "64-byte frames/s through the agent, one way", "#4"),
    ("datapath.tcp.ratio_pct", ">=", 30, "%", "TCP throughput through the agent vs the kernel alone", "#4"),
    ("liveupdate.gap_ms.1k", "<=", 50, "ms", "live update: handoff gap at 1,000 frames/s, median", "#7"),
    ("liveupdate.lost.*", "==", 0, "frames", "live update: frames lost during the handoffs", "#7"),
    ("reliability.flap_storm.status_ms.*", "<", 100, "ms", "flap storm (50 flaps/s): `status` answer time", "#10"),
]

# Figures without a target of their own, shown under the targets for context (pattern, what). A pattern with
# no match is left out.
REFERENCE = [
    ("carrier-detect.netlink.median", "TAP carrier-off reported, netlink only, median"),
    ("failover.first_announcement.naive.median", "naive ip monitor + arping -U: pull -> first announcement, median"),
    ("failover.first_announcement.naive.p99", "naive ip monitor + arping -U: pull -> first announcement, p99"),
    ("failover.failback_announcement.median", "tapover: plug -> first announcement on the primary wire, median"),
    ("failover.probes_lost.failback.max", "probes lost per cable plug (failback) at 500 pps, worst plug"),
    ("failover.first_announcement.tap_poll.median", "TAP primary, /sys poll 10 ms: carrier-off -> first announcement, median"),
    ("failover.first_announcement.tap_netlink.median", "TAP primary, netlink only: carrier-off -> first announcement, median"),
    ("failover-timeline.pull.first_announcement_ms", "timeline run: pull -> first announcement (one pull)"),
    ("liveupdate.gap_ms.10k", "live update: handoff gap at 10,000 frames/s, median (#7 states its target at 1,000/s)"),
    ("startup.jdk17.ready_ms.median", "start -> READY, JDK 17, median"),
    ("startup.jdk25.ready_ms.median", "start -> READY, JDK 25, median"),
    ("startup.jdk17.rss_after_mib.median", "RSS after 60 s, JDK 17, median"),
    ("startup.jdk25.rss_after_mib.median", "RSS after 60 s, JDK 25, median"),
]

# Targets all.sh does not measure, and where they are measured instead (pattern -> note).
ELSEWHERE = {
    "reliability.flap_storm.status_ms.*": "not measured by all.sh: the 60 s flap storm is a reliability test "
                                          "(docs/reliability.md)",
}


# ---------------------------------------------------------------------------------------------- parsing

def parse_result(line):
    """A RESULT line as a dict (key, value, unit, ...), or None if it does not follow the convention."""
    m = RESULT_RE.match(line.strip())
    if not m:
        return None
    key, raw, rest = m.groups()
    try:
        value = float(raw)
    except ValueError:
        return None
    out = {"key": key, "value": value}
    try:
        words = shlex.split(rest)
    except ValueError:
        words = rest.split()
    for w in words:
        if "=" in w:
            k, v = w.split("=", 1)
            out[k] = v
    return out


def adapt_carrier_detect(text):
    """carrier-detect.sh prints a text table; turn its rows into RESULT lines (until it prints its own)."""
    rows = {"A: sysfs poll": "poll", "B: netlink only": "netlink", "B: netlink, while A polls": "netlink_while_polled"}
    out = []
    for line in text.splitlines():
        for prefix, name in rows.items():
            if line.startswith(prefix):
                cols = re.findall(r"(-?[0-9.]+)ms", line)
                n = re.search(r"(\d+)/(\d+)\s*$", line)
                if len(cols) == 5:
                    for stat, v in zip(("median", "p90", "p99", "min", "max"), cols):
                        extra = f" n={n.group(2)}" if n else ""
                        out.append(f"RESULT carrier-detect.{name}.{stat}={v} unit=ms{extra}")
    return out


ADAPTERS = {"carrier-detect": adapt_carrier_detect}


def results_of(name, text):
    lines = [line for line in text.splitlines() if line.startswith("RESULT ")]
    if not lines and name in ADAPTERS:
        lines = ADAPTERS[name](text)
    return [r for r in (parse_result(line) for line in lines) if r]


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return ANSI_RE.sub("", f.read())


# ---------------------------------------------------------------------------------------------- targets

def compare(value, op, bound):
    return {"<": value < bound, "<=": value <= bound, ">": value > bound, ">=": value >= bound,
            "==": value == bound}[op]


def num(v):
    if v != v:
        return "nan"
    if v == int(v):
        return f"{int(v):,}"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}".rstrip("0").rstrip(".") if v != 0 else "0"


def measured(r, unit):
    text = f"{num(r['value'])} {r.get('unit', unit)}".rstrip()
    return text + " (earlier run)" if r.get("earlier") else text


def target_rows(results):
    """[(what, target text, measured text, verdict, key)] for every default target and every RESULT with target=."""
    rows = []
    used = set()
    for pattern, op, bound, unit, what, issue in DEFAULT_TARGETS:
        matched = [r for r in results if fnmatch.fnmatchcase(r["key"], pattern)]
        if not matched:
            rows.append((f"{what} ({issue})", f"{op} {num(bound)} {unit}", ELSEWHERE.get(pattern, "not measured"),
                         "-", pattern))
            continue
        for r in matched:
            used.add(r["key"])
            t = TARGET_RE.match(r.get("target", "")) if r.get("target") else None
            o, b = (t.group(1), float(t.group(2))) if t else (op, bound)
            verdict = "met" if compare(r["value"], o, b) else "missed"
            rows.append((f"{r.get('label', what)} ({issue})", f"{o} {num(b)} {r.get('unit', unit)}",
                         measured(r, unit), verdict, r["key"]))
    for pattern, what in REFERENCE:
        for r in results:
            if fnmatch.fnmatchcase(r["key"], pattern) and r["key"] not in used:
                used.add(r["key"])
                rows.append((what, "no target", measured(r, ""), "-", r["key"]))
    for r in results:
        if r["key"] in used or not r.get("target"):
            continue
        t = TARGET_RE.match(r["target"])
        if not t:
            continue
        o, b = t.group(1), float(t.group(2))
        verdict = "met" if compare(r["value"], o, b) else "missed"
        rows.append((r.get("label", r["key"]), f"{o} {num(b)} {r.get('unit', '')}",
                     measured(r, ""), verdict, r["key"]))
    return rows


def targets_markdown(rows):
    out = ["| target | goal | measured | verdict | RESULT key |", "|---|---|---|---|---|"]
    for what, goal, measured, verdict, key in rows:
        v = {"met": "**met**", "missed": "**missed**"}.get(verdict, verdict)
        out.append(f"| {what} | {goal} | {measured} | {v} | `{key}` |")
    return "\n".join(out)


def targets_text(rows):
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r[:4], widths)).rstrip() for r in rows)


# ---------------------------------------------------------------------------------------------- rendering

def block(name, body):
    return f"<!-- bench:{name}:begin -->\n{body.rstrip()}\n<!-- bench:{name}:end -->"


def replace_block(doc, name, body, heading):
    begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
    if begin in doc and end in doc and doc.index(begin) < doc.index(end):
        i, j = doc.index(begin), doc.index(end) + len(end)
        return doc[:i] + block(name, body) + doc[j:], True
    return doc.rstrip("\n") + f"\n\n## {heading}\n\n" + block(name, body) + "\n", False


def section_body(entry, text, images):
    name = entry["name"]
    lines = [f"_Generated by `scripts/bench/all.sh` on {entry.get('date', '?')}: "
             f"`{' '.join(['scripts/bench/' + name + '.sh'] + entry.get('args', []))}`"]
    status = entry.get("status")
    if status == "missing":
        return f"_Not run by `scripts/bench/all.sh` on {entry.get('date', '?')}: " \
               f"`scripts/bench/{name}.sh` does not exist in this tree yet._"
    if status == "skipped":
        return f"_Not run by `scripts/bench/all.sh` on {entry.get('date', '?')}: {entry.get('why', 'skipped')}._"
    lines[0] += f", {entry.get('seconds', 0):.0f} s, exit {entry.get('rc')}"
    if entry.get("timed_out"):
        lines[0] += " (stopped by its time limit: the figures below are missing or partial)"
    if entry.get("why"):
        lines[0] += f"; {entry['why']}"
    lines[0] += "._"
    shown = "\n".join(line for line in text.splitlines() if not line.startswith("RESULT ")).strip("\n")
    if shown:
        lines += ["", "```text", shown, "```"]
    else:
        lines += ["", "_(no output)_"]
    if entry.get("rc") not in (0, None) and entry.get("stderr_tail"):
        lines += ["", "End of its error output:", "", "```text", entry["stderr_tail"].rstrip(), "```"]
    for img in images:
        lines += ["", f"![{name}: {os.path.basename(img)}]({img})"]
    return "\n".join(lines)


def machine_body(run):
    m = run.get("machine", {})
    rows = [
        ("date", f"{run.get('started', '?')} .. {run.get('finished', '?')} (UTC)"),
        ("CPU", m.get("cpu", "?")),
        ("CPUs", m.get("cpus", "?")),
        ("memory", m.get("memory", "?")),
        ("virtualisation", m.get("virt", "?")),
        ("OS / kernel", f"{m.get('os', '?')} / Linux {m.get('kernel', '?')}"),
        ("JDKs", m.get("jdks", "?")),
        ("Maven", m.get("maven", "?")),
        ("tree", m.get("commit", "?")),
        ("load average (1/5/15 min)", f"at start {m.get('load_start', '?')}; at the end {m.get('load_end', '?')}"),
        ("scripts run (seconds each)", ", ".join(f"{e['name']} ({e.get('seconds', 0):.0f})" for e in run.get("scripts", [])
                                                 if e.get("status") == "ran") or "none"),
        ("total run time", f"{run.get('seconds', 0):.0f} s of a {m.get('budget', '?')} s budget, "
                           f"the build included ({m.get('build_seconds', '?')} s)"),
    ]
    out = ["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]
    if run.get("note"):
        out += ["", f"**Note:** {run['note']}"]
    if run.get("leftovers"):
        out += ["", f"**Left behind:** {run['leftovers']}"]
    return "\n".join(out)


TITLES = {"carrier-detect": "Carrier detection", "failover": "Failover", "datapath": "Data path",
          "liveupdate": "Live update", "jmh": "Micro-benchmarks (JMH)", "startup": "Start-up and footprint"}


def load_run(args):
    """all.sh's manifest (TSV: name status rc seconds timed_out date args images why) and info (key=value)."""
    info = {}
    with open(args.info, encoding="utf-8") as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                info[k] = v
    run = {k: info.get(k, "") for k in ("started", "finished", "note", "leftovers")}
    run["seconds"] = float(info.get("seconds") or 0)
    run["machine"] = info
    run["scripts"] = []
    with open(args.manifest, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            name, status, rc, secs, timed_out, date, argv, images, why = (line.rstrip("\n").split("\t") + [""] * 9)[:9]
            entry = {"name": name, "status": status, "rc": int(rc) if rc.lstrip("-").isdigit() else None,
                     "seconds": float(secs or 0), "timed_out": timed_out == "1", "date": date,
                     "args": argv.split() if argv else [], "images": [i for i in images.split(",") if i],
                     "why": why}
            log = os.path.join(args.logs, name + ".log") if args.logs else None
            if entry["rc"] not in (0, None) and log and os.path.exists(log):
                entry["stderr_tail"] = "\n".join(read(log).splitlines()[-15:])
            run["scripts"].append(entry)
    return run


def cmd_render(args):
    run = load_run(args)
    with open(args.doc, encoding="utf-8") as f:
        doc = f.read()
    all_results = []
    appended = []
    not_run = []
    for entry in run["scripts"]:
        name = entry["name"]
        begin = f"<!-- bench:{name}:begin -->"
        if entry.get("status") in ("missing", "skipped"):
            not_run.append(f"`{name}` ({'not in this tree yet' if entry['status'] == 'missing' else entry.get('why') or 'skipped'})")
            if begin not in doc:
                continue  # no section for a script that never ran here: its own branch brings one
        path = os.path.join(args.results, name + ".txt")
        text = read(path) if entry.get("status") == "ran" and os.path.exists(path) else ""
        all_results += results_of(name, text)
        body = section_body(entry, text, entry.get("images", []))
        doc, found = replace_block(doc, name, body, TITLES.get(name, f"Output of scripts/bench/{name}.sh"))
        if not found:
            appended.append(name)
    # Scripts this run left out (--only) keep their sections; their figures still count, marked as older.
    ran = {e["name"] for e in run["scripts"]}
    for path in sorted(os.listdir(args.results)) if os.path.isdir(args.results) else []:
        name = path[:-4] if path.endswith(".txt") else None
        if name and name not in ran:
            for r in results_of(name, read(os.path.join(args.results, path))):
                r["earlier"] = True
                all_results.append(r)
    rows = target_rows(all_results)
    goals = [r for r in rows if r[1] != "no target"]
    context = [r for r in rows if r[1] == "no target"]
    summary = (f"_Generated by `scripts/bench/all.sh` on {run.get('started', '?')} (UTC), "
               f"{run.get('seconds', 0):.0f} s in all._\n\n" + targets_markdown(goals))
    if context:
        summary += "\n\nOther figures of the same run, for context (no target of their own):\n\n" + \
            "\n".join(["| figure | measured | RESULT key |", "|---|---|---|"]
                      + [f"| {what} | {measured} | `{key}` |" for what, _, measured, _, key in context])
    if not_run:
        summary += "\n\nNot run: " + ", ".join(not_run) + "."
    cut = [e for e in run["scripts"] if e.get("status") == "ran" and e.get("why")]
    if cut:
        summary += "\n\nTime limits cut by the budget: " + ", ".join(f"`{e['name']}` ({e['why']})" for e in cut) + "."
    failed = [e for e in run["scripts"] if e.get("status") == "ran" and e.get("rc") not in (0, None)]
    if failed:
        summary += "\n\nFailed: " + ", ".join(f"`{e['name']}` (exit {e['rc']}"
                                              + (", time limit" if e.get("timed_out") else "") + ")"
                                              for e in failed) + "; see their sections."
    doc, _ = replace_block(doc, "summary", summary, "Summary against the targets")
    doc, _ = replace_block(doc, "machine", machine_body(run), "Machine")
    with open(args.doc, "w", encoding="utf-8") as f:
        f.write(doc)
    for name in appended:
        print(f"summary.py: docs had no markers for '{name}'; appended a section '## "
              f"{TITLES.get(name, 'Output of scripts/bench/' + name + '.sh')}' at the end", file=sys.stderr)
    print(targets_text([("target", "goal", "measured", "verdict", "")] + rows))
    return 0


def cmd_results(args):
    for path in args.files:
        name = os.path.basename(path).rsplit(".", 1)[0]
        for r in results_of(name, read(path)):
            extras = " ".join(f"{k}={v}" for k, v in r.items() if k not in ("key", "value"))
            print(f"RESULT {r['key']}={num(r['value']).replace(',', '')} {extras}".rstrip())
    return 0


def cmd_targets(args):
    results = []
    for path in args.files:
        name = os.path.basename(path).rsplit(".", 1)[0]
        results += results_of(name, read(path))
    print(targets_text([("target", "goal", "measured", "verdict", "")] + target_rows(results)))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("render")
    r.add_argument("--doc", required=True)
    r.add_argument("--results", required=True)
    r.add_argument("--manifest", required=True, help="TSV written by all.sh, one line per script")
    r.add_argument("--info", required=True, help="key=value lines written by all.sh: machine, times, note")
    r.add_argument("--logs", help="directory with each script's stderr as NAME.log")
    for name in ("results", "targets"):
        s = sub.add_parser(name)
        s.add_argument("files", nargs="+")
    args = p.parse_args()
    return {"render": cmd_render, "results": cmd_results, "targets": cmd_targets}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
