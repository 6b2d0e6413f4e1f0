#!/usr/bin/env python3
"""Client side of the delta-sync benchmark (bench/sync.sh). Stdlib only.

    python3 bench/sync_client.py URL LOGIN CHANGES [--workers 8] [--page 500] [--incremental 100]

As LOGIN (a coordinator of province 52): registers ceil(CHANGES / 3) households of one member
through the API (each logs 3 changes: household, person, membership), 8 in parallel; then
syncs from null in pages of --page as a device would (`changes(since:, first:)` until hasMore
is false) and reports requests, bytes received, seconds and changes; then makes --incremental
more changes (updateHousehold on as many households) and syncs from the stored cursor.
The selection per change is what a device keeps: ids, versions and a few fields.
"""
import json
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import casework_seed as seed  # noqa: E402  (villages, thai_id, Client, login)

CHANGES_Q = """query Sync($s: String, $n: Int) { changes(since: $s, first: $n) { cursor hasMore
  changes { type id tombstone mergedIntoId node { id
    ... on Household { version status villageCode houseNumber address }
    ... on Person { version givenName familyName sex birthDate }
    ... on Membership { role startDate endDate }
  } } } }"""
REGISTER_Q = "mutation($i: RegisterHouseholdInput!) { registerHousehold(input: $i) { household { id } } }"
UPDATE_Q = "mutation($i: UpdateHouseholdInput!) { updateHousehold(input: $i) { household { version } } }"


def villages():
    import csv
    with open(os.path.join(seed.ROOT, "api", "data", "areas.csv"), encoding="utf-8") as f:
        subs = [r["code"] for r in csv.DictReader(f)
                if r["level"] == "SUBDISTRICT" and r["code"].startswith(seed.PROVINCE)]
    return ["%s%02d" % (s, moo) for s in subs for moo in range(1, 5)]


def register(client, token, vill, i):
    person = {"givenName": seed.MALE[i % len(seed.MALE)], "familyName": seed.FAMILY[i % len(seed.FAMILY)],
              "sex": "MALE", "birthDate": "1970-01-%02d" % (i % 28 + 1),
              "idType": "THAI_NATIONAL_ID", "nationalId": seed.thai_id(900000 + i)}
    client.gql(REGISTER_Q, {"i": {"villageCode": vill[i % len(vill)], "houseNumber": "%d/1" % i,
                                  "source": "FIELD_DISCOVERY", "householdSize": 1,
                                  "members": [{"role": "HEAD", "person": person}]}}, token)


def sync(client, token, since, page):
    """Pulls pages until hasMore is false: (cursor, requests, bytes, seconds, changes, households)."""
    requests = size = changes = 0
    households = {}
    started = time.perf_counter()
    while True:
        body = json.dumps({"query": CHANGES_Q, "variables": {"s": since, "n": page}})
        for attempt in range(2):  # a keep-alive connection the server closed: once more
            try:
                c = client.conn()
                c.request("POST", client.path, body=body,
                          headers={"content-type": "application/json", "authorization": "Bearer " + token})
                r = c.getresponse()
                raw = r.read()
                break
            except (OSError, ConnectionError) as e:
                client.local.conn = None
                if attempt:
                    raise SystemExit("sync request failed: %s" % e)
        requests += 1
        size += len(raw)
        out = json.loads(raw)
        if r.status != 200 or out.get("errors"):
            raise SystemExit("sync failed: HTTP %s %s" % (r.status, raw[:500]))
        p = out["data"]["changes"]
        for ch in p["changes"]:
            changes += 1
            if ch["type"] == "HOUSEHOLD" and ch["node"]:
                households[ch["id"]] = ch["node"]["version"]
        since = p["cursor"]
        if not p["hasMore"]:
            return since, requests, size, time.perf_counter() - started, changes, households


def main():
    a = sys.argv[1:]
    opts = {"--workers": 8, "--page": 500, "--incremental": 100}
    for k in list(opts):
        if k in a:
            j = a.index(k)
            opts[k] = int(a[j + 1])
            del a[j:j + 2]
    if len(a) != 3:
        sys.exit(__doc__)
    url, login, changes = a[0], a[1], int(a[2])
    client = seed.Client(url)
    token = seed.login(client, login)
    vill = villages()
    n = math.ceil(changes / 3)
    started = time.perf_counter()
    with ThreadPoolExecutor(opts["--workers"]) as pool:
        list(pool.map(lambda i: register(client, token, vill, i), range(n)))
    print("seeded: %d households (%d changes) in %.1f s" % (n, 3 * n, time.perf_counter() - started))

    cursor, req, size, secs, got, households = sync(client, token, None, opts["--page"])
    rows = [("full sync from null", req, size, secs, got)]
    k = min(opts["--incremental"], len(households))
    for i, (hid, version) in enumerate(list(households.items())[:k]):
        client.gql(UPDATE_Q, {"i": {"householdId": hid, "version": version, "houseNumber": "%d/2" % i}}, token)
    _, req, size, secs, got2, _ = sync(client, token, cursor, opts["--page"])
    rows.append(("incremental after %d changes" % k, req, size, secs, got2))
    print("\n| sync (page of %d) | requests | bytes received | seconds | changes |" % opts["--page"])
    print("|---|---:|---:|---:|---:|")
    for name, req, size, secs, got in rows:
        print("| %s | %d | %d | %.2f | %d |" % (name, req, size, secs, got))


if __name__ == "__main__":
    main()
