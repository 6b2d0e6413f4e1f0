#!/usr/bin/env python3
"""Abuse benchmark helper (stdlib only). See bench/README.md, "Abuse benchmark".

    python3 bench/abuse_requests.py write DIR
        writes one file per hostile request (but those named in $ABUSE_EXCLUDE, a comma-
        separated list) into DIR (first line: the path and query string,
        the rest: the body, empty for GET) and DIR/index.tsv (name, method, auth, file);
        bench/abuse.lua and the probes read them.
    python3 bench/abuse_requests.py probe BASE DIR NAME
        sends request NAME once (token in $BENCH_TOKEN) and prints one markdown table row:
        | name | method | size | HTTP status | ms | error codes |
    python3 bench/abuse_requests.py login URL LOGIN    (password on stdin) -> access token

Every request goes to BASE, which abuse.sh sets to http://127.0.0.1:<port>.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

TIMEOUT = 20
MAX_BODY = 64 * 1024
VICTIM = "abuse-victim"

# graphql-js getIntrospectionQuery() (descriptions on), what GraphiQL sends: 13 levels deep
# through the nested ofType of TypeRef.
INTROSPECTION = """
query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}
"""


def fragments(levels, root="QueryRoot"):
    """F1 selects __typename, F(k) spreads F(k-1) six times: 6^(levels-1) spreads in all.
    On the schema's real query type (QueryRoot), so that the document is otherwise valid."""
    parts = [f"fragment F1 on {root} {{ __typename }}"]
    for k in range(2, levels + 1):
        parts.append(f"fragment F{k} on {root} {{ " + " ".join([f"...F{k - 1}"] * 6) + " }")
    return " ".join(parts) + f" query {{ ...F{levels} }}"


def requests():
    """(name, method, auth, path, body) of every hostile request."""
    deep_list = "{ __typename(x: " + "[" * 2000 + "1" + "]" * 2000 + ") }"
    deep_object = "{ __typename(x: " + "{a: " * 1500 + "1" + "}" * 1500 + ") }"
    # 10 fields deep (APP_MAX_DEPTH's default): area > children > nodes > ... > code.
    at_depth_limit = (
        '{ area(code: "52") { children(first: 10) { nodes { children(first: 10) { nodes '
        "{ children(first: 10) { nodes { parent { parent { code } } } } } } } } } }"
    )
    login = "mutation($i: LoginInput!){ login(input: $i){ accessToken } }"
    post = [
        ("list-2000-deep", deep_list, None, None, False),
        ("object-1500-deep", deep_object, None, None, False),
        ("fragments-9-levels", fragments(9), None, None, False),
        ("fragments-10-levels", fragments(10), None, None, False),
        ("nul-login", login, {"i": {"login": "abuse\u0000victim", "password": "wrong-password-0123"}}, None, False),
        ("nul-area-code-variable", "query($c: String!){ area(code: $c){ code } }", {"c": "52\u0000"}, None, True),
        ("nul-area-code-literal", '{ area(code: "52\\u0000") { code } }', None, None, True),
        ("nul-areas-search", 'query($s: String){ areas(search: $s){ nodes { code } } }', {"s": "Lam\u0000pang"}, None, True),
        ("nul-households-search", "query($s: String){ households(filter: {search: $s}){ nodes { id } } }", {"s": "\u0000"}, None, True),
        ("nul-accounts-search", "query($s: String){ accounts(filter: {search: $s}){ nodes { id } } }", {"s": "a\u0000"}, None, True),
        ("unknown-operation-name", "query A { __typename } query B { __typename }", None, "Nope", False),
        ("two-operations-no-name", "query A { __typename } query B { __typename }", None, None, False),
        ("introspection", INTROSPECTION, None, None, False),
        ("selection-at-depth-limit", at_depth_limit, None, None, True),
    ]
    out = []
    for name, query, variables, op, auth in post:
        doc = {"query": query}
        if variables is not None:
            doc["variables"] = variables
        if op is not None:
            doc["operationName"] = op
        out.append((name, "POST", auth, "/graphql", json.dumps(doc)))
    # GET: the deep list in the query string.
    out.append(("list-2000-deep-get", "GET", False,
                "/graphql?query=" + urllib.parse.quote(deep_list, safe=""), ""))
    # A body one byte over the 64 KiB limit (valid JSON, so only its size is wrong).
    head, tail = '{"query":"{ __typename }","variables":{"pad":"', '"}}'
    pad = MAX_BODY + 1 - len(head) - len(tail)
    out.append(("body-64KiB-plus-1", "POST", False, "/graphql", head + "x" * pad + tail))
    return out


def write(directory):
    os.makedirs(directory, exist_ok=True)
    excluded = {n.strip() for n in os.environ.get("ABUSE_EXCLUDE", "").split(",") if n.strip()}
    unknown = excluded - {r[0] for r in requests()}
    if unknown:
        sys.exit(f"ABUSE_EXCLUDE names no request called {', '.join(sorted(unknown))}")
    with open(os.path.join(directory, "index.tsv"), "w") as index:
        for name, method, auth, path, body in requests():
            if name in excluded:
                continue
            file = name + ".req"
            with open(os.path.join(directory, file), "w") as f:
                f.write(path + "\n" + body)
            index.write(f"{name}\t{method}\t{1 if auth else 0}\t{file}\n")
    # The login attack: a wrong password for one existing login name (abuse.sh creates it).
    with open(os.path.join(directory, "login.req"), "w") as f:
        body = {"query": "mutation($i: LoginInput!){ login(input: $i){ accessToken } }",
                "variables": {"i": {"login": VICTIM, "password": "not-the-password-0123"}}}
        f.write("/graphql\n" + json.dumps(body))
    # The normal query, measured with and without the attack.
    with open(os.path.join(directory, "normal.req"), "w") as f:
        f.write("/graphql\n" + json.dumps({"query": "{ areas(first: 20) { nodes { code nameEn } } }"}))


def send(base, method, path, body, token, timeout=TIMEOUT):
    data = body.encode() if method == "POST" else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if method == "POST":
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def probe(base, directory, wanted):
    for line in open(os.path.join(directory, "index.tsv")):
        name, method, auth, file = line.rstrip("\n").split("\t")
        if name == wanted:
            break
    else:
        sys.exit(f"no request named {wanted}")
    text = open(os.path.join(directory, file)).read()
    path, body = text.split("\n", 1)
    token = os.environ.get("BENCH_TOKEN") if auth == "1" else None
    size = len(body) if method == "POST" else len(path)
    started = time.monotonic()
    try:
        status, raw = send(base, method, path, body, token)
        answer = str(status)
        codes = error_codes(raw)
    except Exception as e:  # a reset, a timeout, a refused connection: that is the result
        answer, codes = f"no answer ({type(e).__name__})", ""
    ms = (time.monotonic() - started) * 1000
    print(f"| {name} | {method} | {size} | {answer} | {ms:.1f} | {codes} |")


def error_codes(raw):
    try:
        doc = json.loads(raw)
    except ValueError:
        return "(not JSON: " + raw[:60].decode(errors="replace").replace("|", "/").replace("\n", " ") + ")"
    docs = doc if isinstance(doc, list) else [doc]
    codes = []
    for d in docs:
        if not isinstance(d, dict):
            continue
        for err in d.get("errors") or []:
            code = (err.get("extensions") or {}).get("code", "no code")
            msg = err.get("message", "")[:70].replace("|", "/").replace("\n", " ")
            codes.append(f"{code}: {msg}")
        if d.get("data") and not d.get("errors"):
            codes.append("data")
    return "; ".join(sorted(set(codes)))


def login(url, login_name):
    password = sys.stdin.readline().rstrip("\r\n")
    body = json.dumps({"query": "mutation($i: LoginInput!){ login(input:$i){ accessToken } }",
                       "variables": {"i": {"login": login_name, "password": password}}})
    status, raw = send(url, "POST", "", body, None, timeout=30)
    doc = json.loads(raw)
    if status != 200 or doc.get("errors"):
        sys.exit(f"login failed: HTTP {status} {raw[:300]!r}")
    print(doc["data"]["login"]["accessToken"])


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "write" and len(sys.argv) == 3:
        write(sys.argv[2])
    elif cmd == "probe" and len(sys.argv) == 5:
        probe(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "login" and len(sys.argv) == 4:
        login(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
