#!/usr/bin/env python3
"""Benchmark helper (stdlib only): log in, and seed agencies with accounts over GraphQL.

    python3 bench/seed.py login URL LOGIN          (password on stdin) -> prints the access token
    python3 bench/seed.py seed URL [AGENCIES] [ACCOUNTS_PER_AGENCY]   (token in $BENCH_TOKEN)
    python3 bench/seed.py check FILE               checks a saved GraphQL response has data, no errors

Every request goes to URL, which run.sh sets to http://127.0.0.1:<port>/graphql.
"""
import json
import os
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

TIMEOUT = 30
PASSWORD = "bench-password-0123"


def gql(url, query, variables, token=None):
    body = json.dumps({"query": query, "variables": variables}).encode()
    req = urllib.request.Request(url, data=body, method="POST")
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            status, text = resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    if status != 200:
        sys.exit(f"HTTP {status} from {url}: {text[:500]}")
    doc = json.loads(text)
    if doc.get("errors"):
        sys.exit(f"GraphQL errors: {json.dumps(doc['errors'])[:500]}")
    return doc["data"]


def login(url, login_name):
    password = sys.stdin.readline().rstrip("\r\n")
    data = gql(
        url,
        "mutation($i: LoginInput!){ login(input:$i){ accessToken } }",
        {"i": {"login": login_name, "password": password}},
    )
    print(data["login"]["accessToken"])


def seed(url, agencies, per_agency):
    token = os.environ["BENCH_TOKEN"]

    def one_agency(n):
        data = gql(
            url,
            "mutation($i: CreateAgencyInput!){ createAgency(input:$i){ agency { id } } }",
            {"i": {"name": f"Bench agency {n}", "type": "UNIVERSITY", "coverageAreaCodes": ["52"]}},
            token,
        )
        agency_id = data["createAgency"]["agency"]["id"]
        for m in range(1, per_agency + 1):
            gql(
                url,
                "mutation($i: CreateAccountInput!){ createAccount(input:$i){ account { id } } }",
                {
                    "i": {
                        "login": f"bench-a-{n}-{m}",
                        "displayName": f"Bench {n} {m}",
                        "password": PASSWORD,
                        "role": "AGENCY",
                        "agencyId": agency_id,
                    }
                },
                token,
            )
        return agency_id

    # Two workers: account creation hashes with argon2id, and the machine has 2 cores.
    with ThreadPoolExecutor(max_workers=2) as pool:
        ids = list(pool.map(one_agency, range(1, agencies + 1)))
    print(f"seeded {len(ids)} agencies x {per_agency} accounts")


def check(path):
    with open(path) as f:
        doc = json.load(f)
    if "errors" in doc:
        sys.exit(f"{path}: response has errors: {json.dumps(doc['errors'])[:800]}")
    if not doc.get("data"):
        sys.exit(f"{path}: response has no data")
    print(f"ok: {path}: {json.dumps(doc)[:160]}...")


def main(argv):
    if len(argv) >= 3 and argv[0] == "login":
        login(argv[1], argv[2])
    elif len(argv) >= 2 and argv[0] == "seed":
        agencies = int(argv[2]) if len(argv) > 2 else 60
        per_agency = int(argv[3]) if len(argv) > 3 else 5
        seed(argv[1], agencies, per_agency)
    elif len(argv) == 2 and argv[0] == "check":
        check(argv[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
