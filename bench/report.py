#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turn bench/run.sh's raw measurements into RESULTS-<stamp>.md, .csv and .png.

Every ratio is paired: a case's figure in a round divided by the reference's
figure at the same concurrency in the same round, then the median over the
rounds. Medians of interleaved runs are what the targets speak of.
"""
import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
from collections import defaultdict

p = argparse.ArgumentParser()
for a in ("raw", "mem", "machine", "forkrate", "notes", "out", "stamp"):
    p.add_argument("--" + a, required=True)
args = p.parse_args()


def kv_file(path):
    d = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if "=" in line:
                k, v = line.split("=", 1)
                d[k] = v
    return d


rows = list(csv.DictReader(open(args.raw)))
mem = list(csv.DictReader(open(args.mem))) if os.path.exists(args.mem) else []
machine = kv_file(args.machine)
notes = kv_file(args.notes)
fork = []
for line in open(args.forkrate):
    parts = dict(x.split("=", 1) for x in line.split()[1:])
    kind = "vfork" if "vfork" in parts else "fork"
    fork.append((kind, int(parts["mib"]), float(parts["rate"]), float(parts["usec_per_cycle"])))

cases, works, concs, rounds = [], {}, [], []
by = defaultdict(dict)  # (case, conc) -> round -> row
for r in rows:
    c, n, rd = r["case"], int(r["conc"]), int(r["round"])
    if c not in works:
        cases.append(c)
        works[c] = r["work"]
    if n not in concs:
        concs.append(n)
    if rd not in rounds:
        rounds.append(rd)
    by[(c, n)][rd] = r
concs.sort()


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fig(case, conc, key):
    return med(float(r[key]) for r in by[(case, conc)].values())


def ratio(case, conc, key, ref="ref"):
    """Median over rounds of case/ref in the same round."""
    out = []
    for rd, r in by[(case, conc)].items():
        b = by.get((ref, conc), {}).get(rd)
        if b and float(b[key]) > 0:
            out.append(float(r[key]) / float(b[key]))
    return med(out)


def parent_share(case, conc):
    """Parent CPU / (parent + reaped children) per round, median; and ms per connection."""
    sh, per = [], []
    for r in by[(case, conc)].values():
        s, ch, n = float(r["srv_self_s"]), float(r["srv_children_s"]), int(r["completed"])
        if s + ch > 0:
            sh.append(s / (s + ch))
        if n:
            per.append((s * 1000 / n, (s + ch) * 1000 / n))
    return med(sh), med(x[0] for x in per), med(x[1] for x in per)


def f0(x):
    return "–" if x is None else f"{x:.0f}"


def f2(x):
    return "–" if x is None else f"{x:.2f}"


md = []
w = md.append
w(f"# acceptd benchmark, {machine.get('date', args.stamp)}\n")
w(f"Machine: {machine.get('nproc')} CPUs ({machine.get('cpu')}), {machine.get('virt')} virtual machine, "
  f"kernel {machine.get('kernel')}, {machine.get('mem_mib')} MiB; load average "
  f"{machine.get('loadavg_start')} at the start, {machine.get('loadavg_end')} at the end. "
  f"acceptd: `{machine.get('acceptd')}` ({machine.get('acceptd_version')}, sha256 "
  f"{machine.get('acceptd_sha256')}, built {machine.get('acceptd_built')}, source "
  f"{machine.get('acceptd_source')}); the bench's own tree: git {machine.get('git')}.\n")
w(f"Run: {machine.get('duration')}; closed loop, every point a fresh loadgen process; rounds "
  "interleave every case (A B C … then … C B A), so drift hits all alike. Ratios are paired per "
  "round against `ref` (the minimal fork-per-connection server) at the same concurrency, then "
  "the median over rounds.\n")
w(f"Logging: {machine.get('logging')}.\n")

w("## Fork rate (the physical ceiling)\n")
w("| probe | cycles/s | µs per cycle |\n| --- | ---: | ---: |")
for kind, mib, rate, us in fork:
    name = f"{kind}+_exit+waitpid" + (f", parent with {mib} MiB touched" if mib else "")
    w(f"| {name} | {rate:.0f} | {us:.0f} |")
w("")

w("## Connections per second (median) and ratio to `ref`\n")
hdr = "| case | work | " + " | ".join(f"C={c} conn/s" for c in concs) + " | " + \
      " | ".join(f"C={c} ×ref" for c in concs) + " | errors |"
w(hdr)
w("| --- | --- | " + " | ".join("---:" for _ in concs * 2) + " | ---: |")
for c in cases:
    errs = sum(int(r["errors"]) for (cc, n), rr in by.items() if cc == c for r in rr.values())
    w(f"| {c} | {works[c]} | " + " | ".join(f0(fig(c, n, "cps")) for n in concs) + " | " +
      " | ".join(f2(ratio(c, n, "cps")) for n in concs) + f" | {errs} |")
w("")
w("## p99 latency, connect to close (median over rounds, ms) and ratio to `ref`\n")
w("| case | " + " | ".join(f"C={c} p99 ms" for c in concs) + " | " +
  " | ".join(f"C={c} ×ref" for c in concs) + " | C=64 p50 ms |")
w("| --- | " + " | ".join("---:" for _ in concs * 2) + " | ---: |")
for c in cases:
    p99 = [fig(c, n, "p99_us") for n in concs]
    w(f"| {c} | " + " | ".join(f2(x / 1000 if x is not None else None) for x in p99) + " | " +
      " | ".join(f2(ratio(c, n, "p99_us")) for n in concs) + " | " +
      f2((fig(c, max(concs), "p50_us") or 0) / 1000) + " |")
w("")

w("## CPU per connection\n")
w("`parent` is acceptd's main process (utime+stime); `total` adds the children it reaped "
  "(cutime+cstime, including exec'd programs). `machine` is all CPUs' busy time per connection "
  "(server, loadgen, kernel networking, journald, and whatever else ran on the machine). "
  "`journald` is the private journald's CPU per connection.\n")
w("| case | C | parent ms/conn | total ms/conn | parent share | journald ms/conn | machine ms/conn | loadgen CPU share |")
w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for c in cases:
    for n in concs:
        rr = list(by[(c, n)].values())
        comp = [int(r["completed"]) for r in rr]
        jd = med(float(r["journald_s"]) * 1000 / int(r["completed"]) for r in rr if int(r["completed"]))
        mach = med(float(r["machine_busy_s"]) * 1000 / int(r["completed"]) for r in rr if int(r["completed"]))
        lg = med(float(r["lg_cpu_share"]) for r in rr)
        if c.startswith("acceptd") or c == "ref-wait":
            sh, pms, tms = parent_share(c, n)
            w(f"| {c} | {n} | {f2(pms)} | {f2(tms)} | {f2(sh * 100 if sh is not None else None)} % | "
              f"{f2(jd)} | {f2(mach)} | {f2(lg * 100)} % |")
        else:
            w(f"| {c} | {n} | – | – | – | {f2(jd)} | {f2(mach)} | {f2(lg * 100)} % |")
w("")
lgmax = max((float(r["lg_cpu_share"]) for r in rows), default=0)
w(f"The load generator's own CPU share (CPU time over wall time) was at most {lgmax * 100:.1f} % "
  "of one CPU at any point.\n")

refmem = None
if mem:
    w(f"## Memory: {mem[0]['held']} connections held open\n")
    w("Sum of PSS (`/proc/PID/smaps_rollup`) over the server's whole process tree, idle and "
      "while holding; per connection = (held − idle) / connections.\n")
    w("| case | held | errors | processes | PSS idle KiB | PSS held KiB | KiB per connection | ×ref |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for m in mem:
        if m["case"] == "ref":
            refmem = float(m["per_conn_kib"])
    for m in mem:
        pc = float(m["per_conn_kib"])
        w(f"| {m['case']} | {m['held']} | {m['errors']} | {m['procs_held']} | {m['pss_idle_kib']} | "
          f"{m['pss_held_kib']} | {pc:.1f} | {f2(pc / refmem) if refmem else '–'} |")
    w("")

# ---- targets (issue 6 / DESIGN §11) ----
T = []


def target(desc, ok, detail):
    T.append((desc, ok, detail))


def have(c):
    return any(cc == c for (cc, _n) in by)


bigc = [n for n in concs if n >= 8] or concs
acc_echo = [c for c in cases if works[c] == "echo" and c.startswith("acceptd")]
acc_cat = [c for c in cases if works[c] == "cat" and c.startswith("acceptd")]
for n in bigc:
    for c in acc_echo:
        if have(c) and have("ref"):
            r = ratio(c, n, "cps")
            target(f"{c} (resolve none) ≥ 0.95 × ref at C={n}", r is not None and r >= 0.95, f"{f2(r)}")
for n in concs:
    if have("acceptd-name-repeat"):
        r = ratio("acceptd-name-repeat", n, "cps")
        target(f"acceptd resolve=name, repeat client ≥ 0.90 × ref at C={n}", r is not None and r >= 0.90, f2(r))
    if have("acceptd-name-many") and have("ref-gni"):
        r = ratio("acceptd-name-many", n, "cps", "ref-gni")
        target(f"acceptd resolve=name, many clients ≥ 0.95 × ref-gni at C={n}", r is not None and r >= 0.95, f2(r))
# Other builds of acceptd (BENCH_ACCEPTD_EXTRA) are compared, never counted as peers.
servers = {r["case"]: r["server"] for r in rows}
extra = {s for s, note in notes.items() if note.startswith("another acceptd build")}


def is_peer(c):
    return not c.startswith(("acceptd", "ref")) and servers.get(c) not in extra


peer_echo = [c for c in cases if works[c] == "echo" and is_peer(c)]
peer_cat = [c for c in cases if works[c] == "cat" and is_peer(c)]
peer_catdns = [c for c in cases if works[c] == "cat-dns" and is_peer(c)]
for n in concs:
    for ac in [c for c in acc_echo if c != "acceptd-nolog"]:
        if not peer_echo:
            break
        a = fig(ac, n, "cps")
        best = max(peer_echo, key=lambda c: fig(c, n, "cps") or 0)
        b = fig(best, n, "cps")
        target(f"{ac} echo above every peer at C={n}", a is not None and b is not None and a > b,
               f"{f0(a)} vs {best} {f0(b)}")
    for ac in acc_cat:
        if not peer_cat:
            break
        a = fig(ac, n, "cps")
        best = max(peer_cat, key=lambda c: fig(c, n, "cps") or 0)
        b = fig(best, n, "cps")
        target(f"{ac} (exec /bin/cat) ≥ the best peer at C={n}", a is not None and b is not None and a >= b,
               f"{f0(a)} vs {best} {f0(b)}")
    if have("acceptd-exec-name") and peer_catdns:
        a = fig("acceptd-exec-name", n, "cps")
        best = max(peer_catdns, key=lambda c: fig(c, n, "cps") or 0)
        b = fig(best, n, "cps")
        target(f"acceptd exec /bin/cat with names above {best} at C={n}",
               a is not None and b is not None and a > b, f"{f0(a)} vs {f0(b)}")
top = max(concs)
for ac in [c for c in acc_echo if c != "acceptd-nolog"]:
    if not have("ref"):
        break
    r = ratio(ac, top, "p99_us")
    target(f"{ac} p99 at C={top} no worse than ref", r is not None and r <= 1.0, f"×{f2(r)}")
    sh, pms, tms = parent_share(ac, top)
    target(f"{ac} parent CPU < 10 % of the CPU per connection at C={top}",
           sh is not None and sh < 0.10, f"{f2(sh * 100 if sh is not None else None)} % ({f2(pms)} of {f2(tms)} ms)")
if mem and refmem:
    peers = [m for m in mem if is_peer(m["case"])]
    echo_peers = [m for m in peers if works.get(m["case"]) == "echo"]
    for m in [m for m in mem if m["case"] in acc_echo]:
        am = float(m["per_conn_kib"])
        target(f"{m['case']} memory per held connection ≤ 1.1 × ref", am <= 1.1 * refmem,
               f"{am:.1f} vs {refmem:.1f} KiB")
        if echo_peers:
            lo = min(echo_peers, key=lambda m: float(m["per_conn_kib"]))
            target(f"{m['case']} memory below every echo peer", am < float(lo["per_conn_kib"]),
                   f"{am:.1f} vs {lo['case']} {float(lo['per_conn_kib']):.1f} KiB")
    ae = next((float(m["per_conn_kib"]) for m in mem if m["case"] == "acceptd-exec"), None)
    cat_peers = [m for m in mem if works.get(m["case"]) == "cat" and is_peer(m["case"])]
    if ae is not None and cat_peers:
        lo = min(cat_peers, key=lambda m: float(m["per_conn_kib"]))
        target("acceptd exec memory below every exec peer", ae < float(lo["per_conn_kib"]),
               f"{ae:.1f} vs {lo['case']} {float(lo['per_conn_kib']):.1f} KiB")

if "journal_ended" in machine:
    served = sum(int(r["completed"]) + int(r["errors"]) for r in rows if r["server"] == "acceptd")
    served += sum(int(m["held"]) for m in mem if m["server"] == "acceptd")
    w("## What reached the journal (acceptd, log_connections = both)\n")
    w(f"Connections served by the `acceptd` instance: {served}; connection-accepted entries: "
      f"{machine['journal_accepted']}; connection-ended entries: {machine['journal_ended']}; "
      f"drops reported: {machine.get('journal_dropped', '?')}. The parent writes both entries "
      f"(for a looked-up name, once it is known), never waits for journald, and counts "
      f"what it drops: entries plus drops should make twice the connections served.\n")

w("## Targets (issue 6, DESIGN §11)\n")
w("| target | met | measured |\n| --- | --- | --- |")
for d, ok, det in T:
    w(f"| {d} | {'yes' if ok else '**no**'} | {det} |")
w("")
w("## Servers and the limits lifted\n")
for k, v in sorted(notes.items()):
    w(f"- `{k}`: {v}")
w("")
w(f"Raw data: `RESULTS-{args.stamp}.csv` (one row per point); plot: `RESULTS-{args.stamp}.png`.\n")

os.makedirs(args.out, exist_ok=True)
base = os.path.join(args.out, f"RESULTS-{args.stamp}")
with open(base + ".md", "w") as f:
    f.write("\n".join(md) + "\n")
for src, dst in ((args.raw, base + ".csv"), (args.mem, base + "-memory.csv")):
    if os.path.exists(src) and not (os.path.exists(dst) and os.path.samefile(src, dst)):
        shutil.copy(src, dst)
# Everything else the report was made from, so it can be made again (report.py --raw ... --mem ...).
meta = "".join(f"## {os.path.basename(p)}\n" + open(p).read() for p in (args.machine, args.forkrate, args.notes))
with open(base + "-meta.txt", "w") as f:
    f.write(meta)

# ---- plot ----
dat = base + ".dat"
with open(dat, "w") as f:
    for i, c in enumerate(cases):
        f.write(f'# "{c}"\n')
        for n in concs:
            v = fig(c, n, "cps")
            if v is not None:
                f.write(f"{n} {v:.1f}\n")
        f.write("\n\n")
if shutil.which("gnuplot"):
    colors = ["#000000", "#777777", "#d62728", "#ff7f0e", "#e377c2", "#1f77b4", "#17becf",
              "#2ca02c", "#9467bd", "#8c564b", "#bcbd22", "#7f7f00", "#006400", "#00008b",
              "#b8860b", "#ff1493", "#4b0082", "#a0522d", "#008080", "#800000"]
    dash = {"echo": 1, "echo-dns": 2, "cat": 3, "cat-dns": 4}
    plots = ", ".join(
        f"'{dat}' index {i} with linespoints lw 2 lc rgb '{colors[i % len(colors)]}' "
        f"dt {dash.get(works[c], 5)} pt {i % 13 + 1} title '{c} ({works[c]})'"
        for i, c in enumerate(cases))
    script = f"""
set terminal pngcairo size 1100,700 noenhanced
set output '{base}.png'
set title 'Connections/s against concurrency ({machine.get("nproc")} CPUs, payload 64 B, median of {len(rounds)} rounds)'
set logscale x 2
set xrange [{min(concs) / 1.3}:{max(concs) * 1.3}]
set xtics ({", ".join(str(n) for n in concs)})
set xlabel 'concurrent clients (C)'
set ylabel 'connections/s'
set key outside right
set grid
plot {plots}
"""
    r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if r.returncode:
        print("gnuplot failed: " + r.stderr, file=sys.stderr)
os.remove(dat) if os.path.exists(base + ".png") else None

print("\n".join(md))
print(f"\nresults: {base}.md, {base}.csv" + (f", {base}.png" if os.path.exists(base + ".png") else ""))
