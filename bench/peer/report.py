#!/usr/bin/env python3
"""Summarises bench/peer/run.sh's measurements (WORK dir) as a Markdown table: medians over the
interleaved rounds, and the service's value as a ratio of PostGraphile's."""
import statistics
import sys
from collections import defaultdict

work = sys.argv[1]
runs = defaultdict(list)  # (side, name, conns) -> [(rps, p50, p99, cpu, pgcpu)]
for line in open(f"{work}/runs.tsv"):
    side, name, c, _r, *vals = line.split("\t")
    runs[(side, name, int(c))].append(tuple(float(v) for v in vals))
pgb = defaultdict(list)  # (side, name, conns) -> [tps]
for line in open(f"{work}/pgbench.tsv"):
    side, name, c, _r, tps = line.rstrip("\n").split("\t")
    if tps:
        pgb[(side, name, int(c))].append(float(tps))
stmts = {}
for line in open(f"{work}/statements.tsv"):
    side, name, n = line.split("\t")
    stmts[(side, name)] = float(n)
rss = dict(line.split("\t") for line in open(f"{work}/rss.tsv").read().split("\n") if line)
start = {s: open(f"{work}/{s}.start").read().strip() for s in ("ours", "peer")}

label = {"detail": "household detail", "page50": "page of 50 households", "inbox": "agency inbox (50 referrals)"}
order = list(label)  # the requests in run.sh's order; others after them
print("| request | conns | PostGraphile req/s | p50 | p99 | service req/s | p50 | p99 | req/s ratio | p99 ratio |"
      " server CPU ms/req (PG'ile / service) | PostgreSQL CPU ms/req (PG'ile / service) |"
      " pgbench, the service's statements (req/s) | service / pgbench | rounds |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
rank = lambda name: (order.index(name) if name in order else len(order), name)
for (side, name, c) in sorted((k for k in runs if k[0] == "ours"), key=lambda k: (rank(k[1]), k[2])):
    ours, peer = runs[("ours", name, c)], runs[("peer", name, c)]
    med = lambda rows, i: statistics.median(r[i] for r in rows)
    o = [med(ours, i) for i in range(5)]
    pg = statistics.median(pgb[("ours", name, c)]) if pgb[("ours", name, c)] else 0
    p = [med(peer, i) for i in range(5)]
    print(f"| {label.get(name, name)} | {c} | {p[0]:,.0f} | {p[1]:.1f} ms | {p[2]:.1f} ms | {o[0]:,.0f} | "
          f"{o[1]:.1f} ms | {o[2]:.1f} ms | **{o[0] / p[0]:.2f}** | {o[2] / p[2]:.2f} | {p[3]:.2f} / {o[3]:.2f} | "
          f"{p[4]:.2f} / {o[4]:.2f} | {pg:,.0f} | {o[0] / pg if pg else float('nan'):.2f} | {len(ours)} |")
print()
print("| | PostGraphile | service |")
print("|---|---|---|")
for name in sorted({n for _s, n in stmts}, key=rank):
    print(f"| SQL statements per {label.get(name, name)} request | {stmts.get(('peer', name), '?')} | {stmts.get(('ours', name), '?')} |")
print(f"| peak RSS (VmHWM) | {int(rss['peer']) / 1024:.0f} MB | {int(rss['ours']) / 1024:.0f} MB |")
print(f"| start to first answer | {start['peer']} s | {start['ours']} s |")
