#!/usr/bin/env python3
"""suggestMatch as the match table grows, two servers side by side (see bench/SUGGEST.md).

Each cycle suggests a match for a household (a technology recommendTechnologies ranked for it)
and then declines it, so the household may get another; the `match` table grows by one row per
cycle. Windows of cycles alternate between server A and server B (same database), and each
window reports suggestMatch calls/s, median and p99 latency, and the size of the table.

    python3 bench/suggest.py --a http://127.0.0.1:18391 --b http://127.0.0.1:18392 \
        --login bench-admin --password bench-password-0123 --windows 10 --cycles 200

Standard library only. The servers must be the release binary with APP_LOG=warn.
"""
import argparse
import http.client
import json
import statistics
import sys
import time
import urllib.parse


class Client:
    def __init__(self, base):
        self.url = urllib.parse.urlparse(base)
        self.conn = None
        self.token = None

    def gql(self, query, variables=None):
        body = json.dumps({"query": query, "variables": variables or {}})
        headers = {"content-type": "application/json"}
        if self.token:
            headers["authorization"] = "Bearer " + self.token
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=120)
            try:
                self.conn.request("POST", "/graphql", body, headers)
                r = self.conn.getresponse()
                return json.loads(r.read())
            except (http.client.HTTPException, OSError):
                # The server closed an idle keep-alive connection: a new one, once.
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise

    def login(self, login, password):
        d = self.gql(
            "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
            {"i": {"login": login, "password": password}},
        )
        self.token = d["data"]["login"]["accessToken"]


SUGGEST = "mutation($i: SuggestMatchInput!) { suggestMatch(input: $i) { match { id version } } }"
DECLINE = "mutation($i: TransitionMatchInput!) { transitionMatch(input: $i) { match { status } } }"
RECOMMEND = """query($h: ID!) { recommendTechnologies(householdId: $h, first: 5) { technology { id } } }"""
HOUSEHOLDS = """query($after: String) { households(first: 100, after: $after, filter: { status: VERIFIED }) {
  pageInfo { hasNextPage endCursor } nodes { id matches(first: 5) { nodes { id status version } } } } }"""
COUNT = "{ matches(first: 1) { totalCount } }"
OPEN = {"SUGGESTED", "OFFERED", "ACCEPTED", "IN_TRAINING"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", required=True)
    ap.add_argument("--b", required=True)
    ap.add_argument("--login", default="bench-admin")
    ap.add_argument("--password", default="bench-password-0123")
    ap.add_argument("--windows", type=int, default=10)
    ap.add_argument("--cycles", type=int, default=200)
    args = ap.parse_args()

    servers = {"A": Client(args.a), "B": Client(args.b)}
    for c in servers.values():
        c.login(args.login, args.password)
    a = servers["A"]

    # Households, closing any open match first (one open match per household is allowed).
    households, after = [], None
    while True:
        d = a.gql(HOUSEHOLDS, {"after": after})["data"]["households"]
        for h in d["nodes"]:
            for m in h["matches"]["nodes"]:
                if m["status"] in OPEN:
                    to = "DROPPED" if m["status"] in ("ACCEPTED", "IN_TRAINING") else "DECLINED"
                    r = a.gql(DECLINE, {"i": {"matchId": m["id"], "version": m["version"], "to": to, "reason": "bench"}})
                    if r.get("errors"):
                        print("closing:", m["status"], r["errors"][0].get("message"), file=sys.stderr)
            households.append(h["id"])
        if not d["pageInfo"]["hasNextPage"] or len(households) >= args.windows * 2 * args.cycles * 1.5:
            break
        after = d["pageInfo"]["endCursor"]
    print(f"{len(households)} households", file=sys.stderr)

    suitable = {}
    nxt = 0
    rows = []
    for w in range(args.windows * 2):
        name = "AB"[w % 2]
        c = servers[name]
        lat = []
        done = 0
        t0 = time.perf_counter()
        while done < args.cycles:
            h = households[nxt % len(households)]
            nxt += 1
            if h not in suitable:
                rec = a.gql(RECOMMEND, {"h": h}).get("data") or {}
                suitable[h] = [r["technology"]["id"] for r in rec.get("recommendTechnologies") or []]
            techs = suitable[h]
            if not techs:
                continue
            t = techs[nxt % len(techs)]
            s = time.perf_counter()
            d = c.gql(SUGGEST, {"i": {"householdId": h, "technologyId": t}})
            took = time.perf_counter() - s
            if d.get("errors"):
                print("suggestMatch:", d["errors"][0].get("message"), file=sys.stderr)
                continue
            lat.append(took)
            m = d["data"]["suggestMatch"]["match"]
            r = c.gql(DECLINE, {"i": {"matchId": m["id"], "version": m["version"], "to": "DECLINED", "reason": "bench"}})
            if r.get("errors"):
                sys.exit("transitionMatch: %s" % r["errors"][0].get("message"))
            done += 1
        elapsed = sum(lat)
        total = a.gql(COUNT)["data"]["matches"]["totalCount"]
        lat.sort()
        row = {
            "window": w // 2 + 1,
            "server": name,
            "matches": total,
            "suggest_per_s": round(len(lat) / elapsed, 1),
            "p50_ms": round(statistics.median(lat) * 1000, 2),
            "p99_ms": round(lat[int(len(lat) * 0.99) - 1] * 1000, 2),
            "wall_s": round(time.perf_counter() - t0, 1),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    for name in "AB":
        mine = [r for r in rows if r["server"] == name]
        print(f"{name}: first window {mine[0]['suggest_per_s']}/s, last {mine[-1]['suggest_per_s']}/s "
              f"(median p50 {statistics.median(r['p50_ms'] for r in mine)} ms)")


if __name__ == "__main__":
    main()
