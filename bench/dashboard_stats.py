#!/usr/bin/env python3
"""Helpers of the dashboard benchmark (bench/dashboard.sh, bench/DASHBOARD.md). Stdlib only;
CPU snapshots, statement counting and wrk parsing are bench/casework_stats.py's.

    dashboard_stats.py bodies OUT_DIR PROVINCE DISTRICT
        Writes OUT_DIR/province.json and OUT_DIR/district.json: the GraphQL request
        `dashboard(areaCode, from, to)` with the area and its children and every cell field
        (not `technology { … }`, which resolves through the catalogue loader), from = the first
        day of the month 11 months back, to = today (explicit, so the cache key is stable).
    dashboard_stats.py check URL TOKEN BODY.json OUT.json
        Sends the body once; fails (exit 1) unless HTTP 200, `data`, no `errors` and at least
        one child. Prints size, latency, children, households, suppressed cells.
    dashboard_stats.py miss URL TOKEN BODY.json DB_URL PROVINCE PGLOG DB N OUT.json
        The cache-miss path: N requests one at a time, each after bumping the province's
        `_version` rollup row (what every write in the province does), so each is assembled
        from the rollups again. Records the sequential latency and, when the bench database
        logs its statements (log_min_duration_statement = 0; PGLOG "-": do not count), the
        statements per request.
    dashboard_stats.py report WORK OUT.md
        Writes the results from WORK (wrk outputs, CPU snapshots, statement counts, import
        timings, run-info.json).
"""
import datetime as dt
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import casework_stats as cw  # noqa: E402  (post, cpu, stmts, parse_log, parse_wrk, cpu_delta)

QUERY = """query Dashboard($area: String, $from: NaiveDate, $to: NaiveDate) {
  dashboard(areaCode: $area, from: $from, to: $to) {
    from to asOf suppressionK
    area { ...cells }
    children { ...cells }
  }
}
fragment n on DashboardCount { key value suppressed }
fragment cells on DashboardArea {
  code exact area { code nameTh nameEn level }
  households { total { ...n } counts { ...n } }
  ladder { assessed { ...n } overall { ...n } human { ...n } physical { ...n }
           financial { ...n } natural { ...n } social { ...n } }
  incomeLevels { ...n }
  matches { total { ...n } counts { ...n } }
  technologies { technologyId matches { ...n } adopted { ...n } }
  referrals { total { ...n } counts { ...n } }
  overdueReferrals { ...n }
  interventions { kind count quantity cost suppressed }
  graduations { ...n } relapses { ...n } relapseRisks { ...n }
}"""

# A narrow selection (households by state only) of the same province dashboard: how the cost
# scales with the number of fields asked for.
SMALL = """query Dashboard($area: String, $from: NaiveDate, $to: NaiveDate) {
  dashboard(areaCode: $area, from: $from, to: $to) {
    area { code households { total { value } counts { key value } } }
    children { code households { total { value } counts { key value } } }
  }
}"""

# (label, role, body) of every measured request; the wrk outputs are wrk-<label>-<conns>-r<round>.txt
REQUESTS = [
    ("admin-province", "ADMIN", "province"),
    ("admin-province-small", "ADMIN", "province-small"),
    ("admin-district", "ADMIN", "district"),
    ("analyst-province", "ANALYST", "province"),
    ("analyst-district", "ANALYST", "district"),
]


def cmd_bodies(out, province, district):
    today = dt.date.today()
    first = today.replace(day=1)
    y, m = first.year, first.month - 11
    while m < 1:
        y, m = y - 1, m + 12
    start = dt.date(y, m, 1)
    for name, code, q in (("province", province, QUERY), ("district", district, QUERY),
                          ("province-small", province, SMALL)):
        body = {"query": q, "variables": {"area": code, "from": start.isoformat(), "to": today.isoformat()}}
        with open(os.path.join(out, name + ".json"), "w") as f:
            f.write(json.dumps(body, ensure_ascii=False) + "\n")


def cells(area):
    """Every DashboardCount-like value of one DashboardArea: (value, suppressed)."""
    out = []

    def walk(x):
        if isinstance(x, dict):
            if "suppressed" in x and ("value" in x or "count" in x):
                out.append((x.get("value", x.get("count")), x["suppressed"]))
            else:
                for v in x.values():
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    walk(area)
    return out


def cmd_check(url, token, body_file, out):
    body = open(body_file).read().strip()
    t0 = time.time()
    status, data = cw.post(url, token, body)
    ms = (time.time() - t0) * 1000
    open(out, "wb").write(data)
    try:
        doc = json.loads(data)
    except ValueError:
        sys.exit("not JSON: %s" % data[:300])
    if status != 200 or doc.get("errors") or not doc.get("data"):
        sys.exit("FAILED: HTTP %d, errors: %s" % (status, json.dumps(doc.get("errors"))[:2000]))
    d = doc["data"]["dashboard"]
    if not d["children"]:
        sys.exit("FAILED: no children")
    all_cells = cells(d["area"]) + [c for ch in d["children"] for c in cells(ch)]
    if not all_cells:  # the narrow selection asks for values only
        all_cells = [(x["value"], x["value"] is None) for a in [d["area"]] + d["children"]
                     for x in [a["households"]["total"]] + a["households"]["counts"]]
    hidden = sum(1 for _, s in all_cells if s)
    nonzero = sum(1 for v, s in all_cells if not s and v)
    hh = d["area"]["households"]
    print("HTTP %d, %d bytes, %.1f ms (first request): area %s exact=%s, %d children, households total %s, "
          "%d cells (%d non-zero, %d suppressed), %d technologies" % (
              status, len(data), ms, d["area"]["code"], d["area"].get("exact"), len(d["children"]),
              hh["total"]["value"], len(all_cells), nonzero, hidden, len(d["area"].get("technologies", []))))
    json.dump({"bytes": len(data), "children": len(d["children"]), "cells": len(all_cells), "nonzero": nonzero,
               "suppressed": hidden, "households": hh["total"]["value"], "area": d["area"]["code"],
               "exact": d["area"].get("exact")}, open(out + ".summary.json", "w"))


def cmd_miss(url, token, body_file, db_url, province, log, db, n, out):
    body = open(body_file).read().strip()
    bump = ("UPDATE area_rollup SET n = n + 1 WHERE metric = '_version' AND bucket = '' "
            "AND area_code = '%s'" % province)
    for _ in range(5):
        cw.post(url, token, body)
    wall, counts, listing = [], [], []
    logging = log != "-"
    for _ in range(n):
        subprocess.run(["psql", "-qAtX", db_url, "-c", bump], check=True, capture_output=True)
        time.sleep(0.3)
        before = os.path.getsize(log) if logging else 0
        t0 = time.time()
        status, data = cw.post(url, token, body)
        wall.append((time.time() - t0) * 1000)
        if status != 200 or b'"errors"' in data:
            sys.exit("FAILED: HTTP %d %s" % (status, data[:500]))
        if logging:
            time.sleep(0.4)
            with open(log, "rb") as f:
                f.seek(before)
                chunk = f.read(os.path.getsize(log) - before).decode(errors="replace")
            stmts, _ = cw.parse_log(chunk, db)
            counts.append(len(stmts))
            listing = stmts
    res = {"n": n, "wall_ms": wall, "wall_ms_median": statistics.median(wall), "wall_ms_max": max(wall),
           "counts": counts, "listing": [{"exec_ms": e, "sql": sql} for _, e, _, sql, _ in listing]}
    json.dump(res, open(out, "w"), indent=1, ensure_ascii=False)
    print("%s cache misses: sequential latency median %.1f ms (max %.1f)%s" % (
        os.path.basename(body_file), res["wall_ms_median"], res["wall_ms_max"],
        "; statements/request %s" % sorted(set(counts)) if counts else ""))


# ----------------------------------------------------------------------------------------------
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float("nan")


def rng(xs, fmt):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "–"
    return (fmt + "–" + fmt) % (min(xs), max(xs))


def load(path, default=None):
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return default


def cmd_report(work, out):
    info = load(os.path.join(work, "run-info.json"), {})
    setup = load(os.path.join(work, "setup-info.json"), {})
    peer = load(os.path.join(work, "peer-info.json"), {})
    L = []
    w = L.append
    w("# Dashboard benchmark, PostgreSQL")
    w("")
    w("Written by `bash bench/dashboard.sh` (see bench/DASHBOARD.md). %s. Binary built from %s. "
      "PostgreSQL %s on 127.0.0.1 (TCP), %s cores, %s GiB; server, wrk and PostgreSQL share the "
      "machine, which is also shared with another engineer's builds and tests (see *Load* below)." % (
          info.get("date", "?"), info.get("commit", "?"), info.get("pg", "?"), info.get("cores", "?"),
          info.get("mem_gib", "?")))
    w("")
    if setup:
        w("## Data")
        w("")
        w("```")
        L.extend(setup.get("data", []))
        w("```")
        w("")
    # ---- dashboards
    w("## Dashboards")
    w("")
    w("wrk: `-t2 -cC -d%ss --latency` after a 3 s warm-up at the same connection count; %s interleaved "
      "rounds (every request and connection count once per round, then the next round); the value "
      "is the median over the rounds, the range below it min–max. Server started once for all "
      "rounds, `APP_LOG=warn`, pool %s. Province `%s`, district `%s`." % (
          info.get("duration"), info.get("rounds"), info.get("pool"), info.get("province"),
          info.get("district")))
    w("")
    w("*province-small* is the same province dashboard asking only `code` and `households { total { value } "
      "counts { key value } }` of the area and its children (a narrow selection).")
    w("")
    w("| request | role | conns | req/s | p50 ms | p99 ms | server CPU ms/req | PostgreSQL CPU ms/req | statements/request (cache hit) | response | errors |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
    contention = []
    results = {}
    for label, role, body in REQUESTS:
        summary = load(os.path.join(work, "check-%s.json.summary.json" % label), {})
        stm = load(os.path.join(work, "stmts-%s.json" % label))
        for c in info.get("conns", {}).get(label, []):
            runs = []
            for path in sorted(glob.glob(os.path.join(work, "wrk-%s-%s-r*.txt" % (label, c)))):
                base = path[:-4]
                r = cw.parse_wrk(open(path).read())
                a, b = load(base + ".cpu0.json"), load(base + ".cpu1.json")
                if a and b and r["requests"]:
                    r.update(cw.cpu_delta(a, b, r["requests"]))
                env = load(base + ".env.json", {})
                if env.get("others"):
                    contention.append("%s c%s %s: %s" % (label, c, os.path.basename(base)[-2:], env["others"][:160]))
                r["load"] = env.get("loadavg", ["?"])[0]
                runs.append(r)
            if not runs:
                continue
            results[(label, str(c))] = runs
            errs = sum((r["non2xx"] or 0) + (r["errors"] or 0) for r in runs)
            sock = [r["socket"] for r in runs if r["socket"] != "none"]
            err_text = "none" if not errs and not sock else "%d non-2xx/GraphQL errors; socket: %s" % (errs, "; ".join(sock))
            w("| %s | %s | %s | **%.0f**<br>%s | %.2f<br>%s | **%.2f**<br>%s | %.3f | %.3f | %s | %s | %s |" % (
                body, role, c,
                med(r["rps"] for r in runs), rng([r["rps"] for r in runs], "%.0f"),
                med(r["p50"] for r in runs), rng([r["p50"] for r in runs], "%.2f"),
                med(r["p99"] for r in runs), rng([r["p99"] for r in runs], "%.2f"),
                med(r.get("server_ms") for r in runs), med(r.get("pg_ms") for r in runs),
                ("%.0f" % stm["mean"] if stm and stm["min"] == stm["max"] else
                 "%.2f (%d–%d)" % (stm["mean"], stm["min"], stm["max"]) if stm else "–"),
                "%s KB, %s children, %s/%s cells suppressed" % (
                    round(summary.get("bytes", 0) / 1024), summary.get("children", "?"),
                    summary.get("suppressed", "?"), summary.get("cells", "?")),
                err_text))
    w("")
    w("Cache misses (each request after a bump of the province's `_version` row, as a write in the "
      "province does; %s requests one at a time; latency without statement logging):" % info.get("miss_n"))
    w("")
    w("| request | role | sequential latency median ms (max) | statements/request |")
    w("|---|---|---:|---:|")
    for label, role, body in REQUESTS:
        m = load(os.path.join(work, "miss-%s.json" % label))
        ms = load(os.path.join(work, "miss-stmts-%s.json" % label))
        if not m:
            continue
        counts = sorted(set(ms["counts"])) if ms and ms["counts"] else []
        w("| %s | %s | %.1f (%.1f) | %s |" % (body, role, m["wall_ms_median"], m["wall_ms_max"],
                                          "–".join(map(str, counts)) if counts else "–"))
    w("")
    target = results.get(("admin-province", "50")) or results.get(("admin-province", "10"))
    best = max((med(r["rps"] for r in runs), c) for (l, c), runs in results.items() if l == "admin-province") \
        if any(l == "admin-province" for l, _ in results) else None
    if best:
        w("Target: a province dashboard at ≥ 5,000 req/s from the rollups on this machine: **%s** "
          "(best median %.0f req/s, at %s connections)." % ("met" if best[0] >= 5000 else "not met", best[0], best[1]))
        w("")
    w("Server peak RSS (VmHWM) over all the wrk runs: **%s** (after startup %s)." % (
        info.get("vmhwm", "?"), info.get("rss_start", "?")))
    w("")
    for label, role, body in REQUESTS[:1] + REQUESTS[2:3]:
        s = load(os.path.join(work, "stmts-%s.json" % label))
        ms = load(os.path.join(work, "miss-stmts-%s.json" % label))
        for name, x in (("cache hit", s), ("cache miss", ms)):
            if not x or not x.get("listing"):
                continue
            w("<details><summary>Statements of one %s %s request (%s): execute ms, SQL (truncated)</summary>" % (
                role, body, name))
            w("")
            w("```")
            for st in x["listing"]:
                w("%7.3f  %s" % (st["exec_ms"], re.sub(r"\s+", " ", st["sql"])[:200]))
            w("```")
            w("</details>")
            w("")
    top = os.path.join(work, "perf-top.txt")
    if os.path.exists(top) and os.path.getsize(top):
        pw = cw.parse_wrk(open(os.path.join(work, "profile-wrk.txt")).read()) if os.path.exists(
            os.path.join(work, "profile-wrk.txt")) else {}
        w("Where the server's CPU goes on the province dashboard (ADMIN, 10 connections, cache hits; "
          "`perf record -F 499` of the server for 8 s of a 12 s wrk run at %s req/s; flat profile, "
          "self time, symbols above 0.8%%; by object: %s):" % (
              "%.0f" % pw["rps"] if pw.get("rps") else "?",
              "; ".join(l.strip() for l in open(os.path.join(work, "perf-dso.txt")).read().splitlines()[:4])
              if os.path.exists(os.path.join(work, "perf-dso.txt")) else "?"))
        w("")
        w("<details><summary>perf report (top symbols)</summary>")
        w("")
        w("```")
        L.extend(l.rstrip() for l in open(top).read().splitlines()[:40])
        w("```")
        w("</details>")
        w("")
    # ---- import
    w("## Import and rollups")
    w("")
    if setup:
        others = [o for o in setup.get("import_others", "").split(";") if o.strip()]
        w("Setup import (current binary, rollups kept current by the import): **%s households in %.1f s = "
          "%.0f households/s**, peak RSS %s MB (`/usr/bin/time -v`); `api rollup check` after it: `%s`. "
          "Load average at its start %s%s." % (
              f"{setup['households']:,}", setup["import_secs"], setup["households"] / setup["import_secs"],
              setup["import_rss_mb"], setup.get("check_after_import", "?"), setup.get("import_load", "?"),
              ("; **measured under contention**, `cargo` processes running when it ended: " +
               "; ".join(o.strip()[:90] for o in others[:5])) if others else ""))
        w("")
        w("Then assessments, matches and interventions were added with SQL (synthetic, bypassing the "
          "writes), so `api rollup rebuild` recounted everything: **%.1f s** wall (%s), peak RSS %s MB; "
          "`api rollup check` after it: `%s`." % (
              setup["rebuild_secs"], setup.get("rebuild_out", ""), setup.get("rebuild_rss_mb", "?"),
              setup.get("check_after_rebuild", "?")))
        w("")
    if peer:
        w("Cost of keeping the rollups current on import: the same file of %s households imported into a "
          "fresh database by the current binary and by %s (the commit before rollups), interleaved, %s rounds "
          "(wall clock of `api import households`, migrations and areas excluded):" % (
              f"{peer['households']:,}", peer["commit"], peer["rounds"]))
        w("")
        w("| round | binary | wall s | households/s | peak RSS MB | load avg at start |")
        w("|---:|---|---:|---:|---:|---|")
        for r in peer["runs"]:
            w("| %d | %s | %.1f | %.0f | %s | %s |" % (r["round"], r["which"], r["secs"], r["hps"], r["rss_mb"], r["load"]))
        cur = [r["hps"] for r in peer["runs"] if r["which"] == "with rollups"]
        old = [r["hps"] for r in peer["runs"] if r["which"] != "with rollups"]
        if cur and old:
            w("")
            w("**With rollups %.0f households/s, without %.0f households/s (medians): ratio %.2f** "
              "(the rollups cost %.0f%% of the import's throughput)." % (
                  med(cur), med(old), med(cur) / med(old), 100 * (1 - med(cur) / med(old))))
        w("")
    # ---- load
    w("## Load")
    w("")
    if contention:
        w("**Measured under contention**: other `cargo test|build|clippy` processes were seen during "
          "these runs (sampled every second): " + "; ".join(contention[:12]) + ("; …" if len(contention) > 12 else "") + ".")
    else:
        w("No other `cargo test|build|clippy` was seen during any measured wrk run (sampled every second).")
    w("")
    for label, role, body in REQUESTS:
        for c in info.get("conns", {}).get(label, []):
            runs = results.get((label, str(c)), [])
            if runs:
                w("- %s %s c%s: load average at start of each round %s; cores busy (server + PostgreSQL + "
                  "rest) %s" % (role, body, c, ", ".join(r["load"] for r in runs), ", ".join(
                      "%.2f+%.2f+%.2f" % (r["server_cores"], r["pg_cores"],
                                          max(0.0, r["busy_cores"] - r["server_cores"] - r["pg_cores"]))
                      for r in runs if "server_cores" in r)))
    w("")
    w("Raw outputs: `%s/` (wrk-*.txt, stmts-*.json, miss-*.json, import-*.txt)." % work)
    open(out, "w").write("\n".join(L) + "\n")


def main():
    a = sys.argv[1:]
    if a[:1] == ["bodies"] and len(a) == 4:
        cmd_bodies(a[1], a[2], a[3])
    elif a[:1] == ["check"] and len(a) == 5:
        cmd_check(a[1], a[2], a[3], a[4])
    elif a[:1] == ["miss"] and len(a) == 10:
        cmd_miss(a[1], a[2], a[3], a[4], a[5], a[6], a[7], int(a[8]), a[9])
    elif a[:1] == ["report"] and len(a) == 3:
        cmd_report(a[1], a[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
