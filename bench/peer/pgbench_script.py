#!/usr/bin/env python3
"""Turns the PostgreSQL log lines of one request (log_statement = 'all') into a pgbench script
that runs exactly the statements that request issued, with its parameter values inlined.

    pgbench_script.py LOGFILE FIRST_LINE USER@DB OUT.sql   -> prints the number of statements
"""
import re
import sys

log, first, who, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
lines = open(log, encoding="utf-8", errors="replace").read().split("\n")[first:]
prefix = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \S+ \[(\d+)\] (\S+) (LOG|DETAIL|ERROR|STATEMENT):  (.*)$")
entries = []  # (pid, who, kind, text) with continuation lines joined
for line in lines:
    m = prefix.match(line)
    if m:
        entries.append([m.group(1), m.group(2), m.group(3), m.group(4)])
    elif entries:
        entries[-1][3] += "\n" + line
statements = []
for i, (pid, w, kind, text) in enumerate(entries):
    if w != who or kind != "LOG":
        continue
    m = re.match(r"(?:execute [^:]+|statement): (.*)", text, re.S)
    if not m:
        continue
    sql = m.group(1).strip()
    params = {}
    # its parameters: the next line of the same backend, when it is a DETAIL
    detail = next((e for e in entries[i + 1:] if e[0] == pid), None)
    if detail and detail[2] == "DETAIL":
        for k, v in re.findall(r"\$(\d+) = ('(?:[^']|'')*'|NULL)", detail[3]):
            params[k] = v
    sql = re.sub(r"\$(\d+)", lambda p: params.get(p.group(1), p.group(0)), sql)
    statements.append(" ".join(sql.split()).rstrip(";") + ";")
open(out, "w").write("\n".join(statements) + "\n")
print(len(statements))
