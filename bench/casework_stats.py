#!/usr/bin/env python3
"""Measurement helpers of the casework benchmark (bench/casework.sh, bench/CASEWORK.md). Stdlib
only (psql for EXPLAIN).

    casework_stats.py check URL TOKEN BODY.json PAGE OUT.json
        Sends the body once; fails (exit 1) unless HTTP 200, `data`, no `errors`, a non-empty
        page of at most PAGE nodes. Prints status, size, totalCount, nodes, the head.
    casework_stats.py cpu SERVER_PID DB OUT.json
        CPU-time snapshot: the server process, every PostgreSQL backend of database DB, and
        the whole machine (/proc/stat), in clock ticks, with a timestamp.
    casework_stats.py stmts URL TOKEN BODY.json PGLOG DB N OUT.json
        SQL statements per request. Needs `log_min_duration_statement = 0` on DB (casework.sh
        sets it with ALTER DATABASE and restarts the server). Sends 3 warm-up requests, then N
        requests one at a time; for each it notes the PostgreSQL log's size before and after
        (with a pause for the log to settle) and parses the lines of database DB written in
        between: each `duration: … ms  execute …` (extended protocol) or `duration: … ms
        statement: …` (simple protocol) line is one statement executed; the durations of
        parse, bind and execute lines add up to PostgreSQL's time. Keeps the statements of
        the last request, with their parameters.
    casework_stats.py explain STMTS.json DB_URL OUT.txt
        EXPLAIN (ANALYZE, BUFFERS) of each statement kept by `stmts` (parameters inlined).
    casework_stats.py report WORK OUT.md
        Writes the results table from WORK's wrk outputs, CPU snapshots and statement counts.
"""
import http.client
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

TICK = os.sysconf("SC_CLK_TCK")
QUERIES = [("inbox", "agency inbox (AGENCY)"), ("cases", "case list (COORDINATOR of 52)")]


def post(url, token, body):
    u = urllib.parse.urlparse(url)
    assert u.hostname == "127.0.0.1"
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request("POST", u.path, body=body, headers={"content-type": "application/json",
                                                   "authorization": "Bearer " + token})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def cmd_check(url, token, body_file, page, out):
    body = open(body_file).read().strip()
    t0 = time.time()
    status, data = post(url, token, body)
    ms = (time.time() - t0) * 1000
    open(out, "wb").write(data)
    text = data.decode(errors="replace")
    print("HTTP %d, %d bytes, %.1f ms: %s" % (status, len(data), ms, text[:300]))
    try:
        doc = json.loads(text)
    except ValueError:
        sys.exit("not JSON")
    if status != 200 or doc.get("errors") or not doc.get("data"):
        sys.exit("FAILED: HTTP %d, errors: %s" % (status, json.dumps(doc.get("errors"))[:2000]))
    conn = next(iter(doc["data"].values()))
    nodes = conn["nodes"]
    print("totalCount %d, nodes %d" % (conn["totalCount"], len(nodes)))
    if not nodes or len(nodes) > page:
        sys.exit("FAILED: expected 1..%d nodes, got %d" % (page, len(nodes)))
    if "household" in nodes[0]:
        hidden = sum(1 for n in nodes if n["household"] is None)
        print("nodes with household null: %d" % hidden)


def proc_ticks(pid):
    try:
        with open("/proc/%s/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except OSError:
        return None


def backends(db):
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = open("/proc/%s/cmdline" % pid, "rb").read().decode(errors="replace")
        except OSError:
            continue
        # "postgres: 15/main: postgres ppaos_casework_bench 127.0.0.1(51234) idle"
        if cmd.startswith("postgres: ") and (" %s " % db) in cmd:
            t = proc_ticks(pid)
            if t is not None:
                out[pid] = t
    return out


def machine_ticks():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v[:8]), sum(v[:8]) - idle


def cmd_cpu(pid, db, out):
    total, busy = machine_ticks()
    snap = {"t": time.time(), "server": proc_ticks(pid), "pg": backends(db), "total": total, "busy": busy,
            "loadavg": open("/proc/loadavg").read().split()[:3]}
    json.dump(snap, open(out, "w"))


LINE = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] (\S*)@(\S*) LOG:  duration: ([\d.]+) ms  (parse|bind|execute|statement)([^:]*): (.*)$")


DETAIL = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] (\S*)@(\S*) DETAIL:  parameters: (.*)$")


def parse_log(chunk, db):
    """[[parse+bind ms, execute ms, backend pid, sql, parameters]] of database db, and the total
    ms of all parse, bind and execute steps."""
    stmts, pg_ms, pending = [], 0.0, {}
    last = {}
    for line in chunk.splitlines():
        d = DETAIL.match(line)
        if d and d.group(3) == db and d.group(1) in last:
            last.pop(d.group(1))[4] = d.group(4)
            continue
        m = LINE.match(line)
        if not m or m.group(3) != db:
            continue
        pid, ms = m.group(1), float(m.group(4))
        pg_ms += ms
        if m.group(5) in ("execute", "statement"):
            stmts.append([pending.pop(pid, 0.0), ms, pid, m.group(7), ""])
            last[pid] = stmts[-1]
        else:
            last.pop(pid, None)
            pending[pid] = pending.get(pid, 0.0) + ms
    return stmts, pg_ms


def cmd_stmts(url, token, body_file, log, db, n, out):
    body = open(body_file).read().strip()
    for _ in range(30):  # every pooled connection has prepared the statements (as under load)
        post(url, token, body)
    time.sleep(1)
    counts, pg_times, wall, listing = [], [], [], None
    for i in range(n):
        time.sleep(0.3)
        before = os.path.getsize(log)
        t0 = time.time()
        status, data = post(url, token, body)
        wall.append((time.time() - t0) * 1000)
        if status != 200 or b'"errors"' in data:
            sys.exit("FAILED: HTTP %d %s" % (status, data[:500]))
        time.sleep(0.4)  # the log line of the last statement is written before the answer; margin
        with open(log, "rb") as f:
            f.seek(before)
            chunk = f.read(os.path.getsize(log) - before).decode(errors="replace")
        stmts, pg_ms = parse_log(chunk, db)
        counts.append(len(stmts))
        pg_times.append(pg_ms)
        listing = stmts
    res = {"n": n, "counts": counts, "min": min(counts), "max": max(counts), "mean": sum(counts) / n,
           "pg_ms_mean": sum(pg_times) / n, "wall_ms_median": sorted(wall)[n // 2],
           "listing": [{"prep_ms": p, "exec_ms": e, "pid": pid, "sql": sql, "params": params}
                       for p, e, pid, sql, params in listing]}
    json.dump(res, open(out, "w"), indent=1, ensure_ascii=False)
    print("%s: statements/request min %d max %d mean %.2f; PostgreSQL time %.2f ms/request; "
          "sequential wall median %.1f ms" % (
              os.path.basename(body_file), res["min"], res["max"], res["mean"], res["pg_ms_mean"],
              res["wall_ms_median"]))


def literal_sql(sql, params):
    values = dict((int(k), v) for k, v in re.findall(r"\$(\d+) = ('(?:[^']|'')*'|NULL)", params))
    return re.sub(r"\$(\d+)\b", lambda m: values[int(m.group(1))], sql)


def cmd_explain(stmts_file, db_url, out):
    """EXPLAIN (ANALYZE, BUFFERS) of each statement of the last logged request, parameters
    inlined as literals; adds each execution time to the JSON file and writes the plans."""
    res = json.load(open(stmts_file))
    plans = []
    for x in res["listing"]:
        q = "EXPLAIN (ANALYZE, BUFFERS) " + literal_sql(x["sql"], x["params"])
        times = []
        for _ in range(3):  # the first run pays for planning-time catalog lookups
            plan = subprocess.run(["psql", "-qAtX", db_url, "-c", q], capture_output=True, text=True).stdout
            m = re.search(r"Execution Time: ([\d.]+) ms", plan)
            times.append(float(m.group(1)) if m else float("nan"))
        x["explain_ms"] = sorted(times)[1]
        plans.append("-- %.3f ms (median of 3)\n%s\n%s" % (x["explain_ms"], x["sql"][:300], plan))
    json.dump(res, open(stmts_file, "w"), indent=1, ensure_ascii=False)
    open(out, "w").write("\n\n".join(plans))


# ----------------------------------------------------------------------------------------------
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)$", v)
    x = float(m.group(1))
    return x / 1000 if m.group(2) == "us" else x * 1000 if m.group(2) == "s" else x


def parse_wrk(text):
    r = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    r["rps"] = float(m.group(1)) if m else None
    for p in ("50", "75", "90", "99"):
        m = re.search(r"^\s+%s%%\s+(\S+)" % p, text, re.M)
        r["p" + p] = ms(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in", text)
    r["requests"] = int(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    r["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", text)
    r["socket"] = m.group(1).strip() if m else "none"
    m = re.search(r"answers: (\d+), not 200: (\d+), with errors: (\d+)", text)
    r["errors"] = int(m.group(3)) if m else None
    return r


def cpu_delta(a, b, requests):
    secs = b["t"] - a["t"]
    server = (b["server"] - a["server"]) / TICK
    pg = sum(t - a["pg"].get(p, 0) for p, t in b["pg"].items()) / TICK
    busy = (b["busy"] - a["busy"]) / TICK
    return {"secs": secs, "server_cores": server / secs, "pg_cores": pg / secs, "busy_cores": busy / secs,
            "server_ms": 1000 * server / requests, "pg_ms": 1000 * pg / requests}


def cmd_report(work, out):
    info = json.load(open(os.path.join(work, "run-info.json")))
    L = []
    w = L.append
    w("# Casework benchmark, PostgreSQL")
    w("")
    w("%s. Binary built from commit %s, at %s; PostgreSQL %s on 127.0.0.1; %d cores, %s GiB; "
      "server, wrk and PostgreSQL on the same machine. wrk: 3 s warm-up at the same connection count, "
      "then `wrk -t2 -cC -d%ss --latency` (`-t1` at 1 connection), server restarted before the runs, `APP_LOG=warn`, "
      "pool `APP_DATABASE_MAX_CONNECTIONS=%s`." % (
          info["date"], info["commit"], info["binary"], info["pg"], info["cores"], info["mem_gib"],
          info["duration"], info["pool"]))
    w("")
    w("Data (counts from the database after seeding, see CASEWORK.md):")
    w("")
    w("```")
    L.extend(info["data"])
    w("```")
    w("")
    w("| query | connections | req/s | p50 ms | p90 ms | p99 ms | server CPU ms/req | PostgreSQL CPU ms/req | cores busy: server + PostgreSQL + rest (wrk, other) | load avg at start | errors |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|")
    p99_10 = {}
    contention = []
    for q, label in QUERIES:
        for c in info["connections"]:
            base = os.path.join(work, "wrk-%s-%s" % (q, c))
            r = parse_wrk(open(base + ".txt").read())
            d = cpu_delta(json.load(open(base + ".cpu0.json")), json.load(open(base + ".cpu1.json")), r["requests"])
            env = json.load(open(base + ".env.json"))
            if env["others"]:
                contention.append("%s at %s connections: %s" % (q, c, env["others"]))
            errs = "%d non-2xx, %d GraphQL errors, socket errors: %s" % (r["non2xx"], r["errors"] or 0, r["socket"])
            if r["non2xx"] == 0 and not r["errors"] and r["socket"] == "none":
                errs = "none"
            w("| %s | %s | %.1f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f + %.2f + %.2f = %.2f of %d | %s | %s |" % (
                label, c, r["rps"], r["p50"], r["p90"], r["p99"], d["server_ms"], d["pg_ms"], d["server_cores"],
                d["pg_cores"], max(0.0, d["busy_cores"] - d["server_cores"] - d["pg_cores"]), d["busy_cores"],
                info["cores"], " ".join(env["loadavg"]), errs))
            if str(c) == "10":
                p99_10[q] = r["p99"]
    w("")
    w("SQL statements per request (one request at a time, PostgreSQL log with "
      "`log_min_duration_statement = 0` on the bench database; %s requests each after 30 warm-ups; "
      "min–max over the requests; PostgreSQL time = parse + bind + execute durations):" % info["stmt_n"])
    w("")
    w("| query | page size | statements/request | min–max | PostgreSQL time ms/request | sequential latency (median) ms |")
    w("|---|---:|---:|---|---:|---:|")
    constant = {}
    for q, label in QUERIES:
        for n in (5, 20):
            s = json.load(open(os.path.join(work, "stmts-%s-%d.json" % (q, n))))
            constant.setdefault(q, set()).add((s["min"], s["max"]))
            w("| %s | %d | %.2f | %d–%d | %.2f | %.1f |" % (
                label, n, s["mean"], s["min"], s["max"], s["pg_ms_mean"], s["wall_ms_median"]))
    w("")
    w("Peak RSS of the server over all the wrk runs above (VmHWM): **%s**; after startup: %s." % (
        info["vmhwm"], info["rss_start"]))
    w("")
    w("Targets:")
    w("")
    for q, label in QUERIES:
        p = p99_10[q]
        w("- %s: p99 < 20 ms at 10 connections: **%s** (%.2f ms); statements constant in page size: **%s**" % (
            label, "met" if p < 20 else "not met", p,
            "yes" if len(constant[q]) == 1 else "NO (%s)" % sorted(constant[q])))
    w("")
    if contention:
        w("**Measured under contention** (other `cargo test|build|clippy` seen during the run, sampled every second; the “rest” CPU column shows how much they took): " +
          "; ".join(contention) + ".")
    else:
        w("No `cargo test|build|clippy` was seen during any measured run (sampled every second).")
    w("")
    for q, label in QUERIES:
        s = json.load(open(os.path.join(work, "stmts-%s-20.json" % q)))
        w("<details><summary>Statements of one %s request, page size 20: parse+bind ms, execute ms "
          "(from the log), EXPLAIN ANALYZE execution ms (median of 3, parameters inlined), SQL (truncated)</summary>" % label)
        w("")
        w("```")
        for x in s["listing"]:
            w("%7.3f %7.3f %7.3f  %s" % (x["prep_ms"], x["exec_ms"], x.get("explain_ms", float("nan")),
                                         re.sub(r"\s+", " ", x["sql"])[:240]))
        w("```")
        w("</details>")
        w("")
    w("Raw wrk output: `%s/wrk-*.txt`." % work)
    open(out, "w").write("\n".join(L) + "\n")


def main():
    a = sys.argv[1:]
    if a[:1] == ["check"] and len(a) == 6:
        cmd_check(a[1], a[2], a[3], int(a[4]), a[5])
    elif a[:1] == ["cpu"] and len(a) == 4:
        cmd_cpu(a[1], a[2], a[3])
    elif a[:1] == ["stmts"] and len(a) == 8:
        cmd_stmts(a[1], a[2], a[3], a[4], a[5], int(a[6]), a[7])
    elif a[:1] == ["explain"] and len(a) == 4:
        cmd_explain(a[1], a[2], a[3])
    elif a[:1] == ["report"] and len(a) == 3:
        cmd_report(a[1], a[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
