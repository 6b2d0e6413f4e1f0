#!/usr/bin/env python3
"""Seeding for the casework benchmark (bench/casework.sh, bench/CASEWORK.md). Stdlib only.

    python3 bench/casework_seed.py villages OUT.csv
        Villages for province 52: 4 synthetic villages (moo 1-4) under each of its
        subdistricts in api/data/areas.csv, in the `api import areas` format.
    python3 bench/casework_seed.py agencies URL OUT.json
        As the admin: the partner agency (UNIVERSITY, covers 52), another agency (NGO,
        covers 52) and their technologies (createAgency, createTechnology). Writes their
        ids to OUT.json and prints the partner agency's UUID (for `api account create`).
    python3 bench/casework_seed.py data URL AGENCIES.json [HOUSEHOLDS] [--workers 8]
        Through the GraphQL API, one pipeline per household, 8 in parallel (see
        CASEWORK.md "Seeded data"): registerHousehold, transitionHousehold (VERIFIED),
        recordAssessment (ACTIVE), recordConsent, suggestMatch, openCase, changeCasePhase,
        referCase, and as the agency user respondToReferral, recordIntervention,
        completeReferral.
    python3 bench/casework_seed.py token URL LOGIN
        Prints an access token.

Every write is checked: a GraphQL error stops the seeding (exit 1) with the request and the
answer. Deterministic for a given household count (random.Random per household index).
"""
import base64
import csv
import datetime as dt
import http.client
import json
import os
import random
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor, as_completed

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "bench-password-0123"
PROVINCE = "52"
ADMIN, COORD, AGENCY = "cw-admin", "cw-coord", "cw-agency"

MALE = ["สมชาย", "สมศักดิ์", "ประเสริฐ", "บุญมี", "สมบัติ", "วิชัย", "สุรชัย", "ชัยวัฒน์", "อนันต์",
        "ประสิทธิ์", "สุเทพ", "มานพ", "บุญเลิศ", "ทองดี", "สมพงษ์", "วีระ", "นิพนธ์", "ธนากร"]
FEMALE = ["สมศรี", "บุญเรือน", "มาลี", "สุดา", "วันเพ็ญ", "ประนอม", "บัวผัน", "ทองใบ", "จันทร์เพ็ญ",
          "สายสุนีย์", "นงลักษณ์", "อรุณี", "กัญญา", "ศิริพร", "พรทิพย์", "รัตนา", "สุภาพร", "ดวงใจ"]
FAMILY = ["ใจดี", "แสนสุข", "ศรีสุข", "บุญมา", "ทองคำ", "แก้วมณี", "สุขเจริญ", "ชัยมงคล", "วงศ์ใหญ่",
          "ปัญญาดี", "อินทร์แก้ว", "คำมูล", "ศรีวงศ์", "ทองสุข", "มณีวงศ์", "จันทร์หอม", "พรหมมา",
          "สิทธิชัย", "บุญเรือง", "เรือนคำ", "ไชยวงศ์", "อุ่นเรือน", "ปวงคำ", "กาวิละ", "ดวงแก้ว"]
SOURCES = ["TPMAP", "TPMAP", "BMN_SURVEY", "WELFARE_CARD", "PPPCONNEXT", "FIELD_DISCOVERY"]
CASE_TYPES = ["OCCUPATION_DEVELOPMENT", "OCCUPATION_DEVELOPMENT", "URGENT_SOCIAL_PROTECTION",
              "VALUE_CHAIN", "HOUSING", "HEALTH", "EDUCATION", "OTHER"]
PRIORITIES = ["LOW", "NORMAL", "NORMAL", "NORMAL", "HIGH", "URGENT"]
KINDS = ["TECHNOLOGY_ADOPTION", "TRAINING", "IN_KIND", "SERVICE", "MARKET_LINKAGE"]


def gid(type_name, key):
    return base64.urlsafe_b64encode(("%s:%s" % (type_name, key)).encode()).decode().rstrip("=")


def key_of(global_id):
    raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    return raw.split(":", 1)[1]


def thai_id(n):
    """A valid 13-digit Thai ID (check digit computed), unique per n."""
    body = "3%011d" % n
    total = sum(int(d) * w for d, w in zip(body, range(13, 1, -1)))
    return body + str((11 - total % 11) % 10)


class GraphQLError(Exception):
    pass


class Client:
    """One keep-alive HTTP connection per thread."""

    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.host, self.port, self.path = u.hostname, u.port, u.path
        assert self.host == "127.0.0.1", "traffic stays on 127.0.0.1"
        self.local = threading.local()

    def conn(self):
        c = getattr(self.local, "conn", None)
        if c is None:
            c = self.local.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        return c

    def gql(self, query, variables=None, token=None):
        body = json.dumps({"query": query, "variables": variables or {}})
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = "Bearer " + token
        for attempt in range(2):
            try:
                c = self.conn()
                c.request("POST", self.path, body=body, headers=headers)
                r = c.getresponse()
                text = r.read().decode()
                break
            except (http.client.HTTPException, OSError):
                self.local.conn = None
                if attempt:
                    raise
        try:
            out = json.loads(text)
        except ValueError:
            raise GraphQLError("HTTP %s, not JSON: %s\nrequest: %s" % (r.status, text[:500], body[:1500]))
        if r.status != 200 or out.get("errors") or out.get("data") is None:
            raise GraphQLError("HTTP %s: %s\nrequest: %s" % (r.status, text[:1500], body[:1500]))
        return out["data"]


def login(client, name):
    q = "mutation($i: LoginInput!) { login(input: $i) { accessToken } }"
    return client.gql(q, {"i": {"login": name, "password": PASSWORD}})["login"]["accessToken"]


# ---------------------------------------------------------------------------------------------
def cmd_villages(out):
    with open(os.path.join(ROOT, "api", "data", "areas.csv"), encoding="utf-8") as f:
        subs = [r for r in csv.DictReader(f) if r["level"] == "SUBDISTRICT" and r["code"].startswith(PROVINCE)]
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["code", "level", "parent_code", "name_th", "name_en", "postal_code", "lat", "lng", "region"])
        for s in subs:
            for moo in range(1, 5):
                w.writerow(["%s%02d" % (s["code"], moo), "VILLAGE", s["code"], "บ้านทดสอบ %d" % moo,
                            "Ban Thotsop %d" % moo, s["postal_code"], s["lat"], s["lng"], ""])
    print("%s: %d villages of province %s" % (out, 4 * len(subs), PROVINCE))


# ---------------------------------------------------------------------------------------------
AGENCY_Q = "mutation($i: CreateAgencyInput!) { createAgency(input: $i) { agency { id name } } }"
TECH_Q = "mutation($i: TechnologyInput!) { createTechnology(input: $i) { technology { id name } } }"


def technology(agency, name, sector, capitals, cost, gain):
    return {"agencyId": agency, "name": name, "description": "Bench technology " + name,
            "capitalsRaised": capitals, "sector": sector, "unitCost": cost, "monthlyIncomeGain": gain,
            "trainingDays": 5, "seatsPerRound": 60, "readinessLevel": 7, "suitableAreas": [PROVINCE]}


def cmd_agencies(url, out):
    c = Client(url)
    t = login(c, ADMIN)
    partner = c.gql(AGENCY_Q, {"i": {"name": "มทร.ล้านนา ลำปาง (bench partner)", "nameEn": "RMUTL Lampang (bench)",
                                     "type": "UNIVERSITY", "coverageAreaCodes": [PROVINCE],
                                     "contactName": "ฝ่ายบริการวิชาการ", "contactPhone": "054000000"}}, t)
    other = c.gql(AGENCY_Q, {"i": {"name": "มูลนิธิพัฒนาลำปาง (bench other)", "nameEn": "Lampang Dev Foundation (bench)",
                                   "type": "NGO", "coverageAreaCodes": [PROVINCE]}}, t)
    p, o = partner["createAgency"]["agency"]["id"], other["createAgency"]["agency"]["id"]
    techs = [
        technology(p, "โรงเรือนเพาะเห็ดนางฟ้า", "AGRICULTURE", ["FINANCIAL", "NATURAL"], 4500, 1800),
        technology(p, "เลี้ยงไก่ไข่อารมณ์ดี", "LIVESTOCK", ["FINANCIAL"], 3000, 1200),
        technology(p, "ระบบน้ำหยดพลังแสงอาทิตย์", "ENERGY", ["PHYSICAL", "NATURAL"], 9000, 1500),
        technology(o, "ทอผ้าพื้นเมือง", "HANDICRAFT", ["HUMAN", "SOCIAL"], 2000, 900),
    ]
    ids = [c.gql(TECH_Q, {"i": x}, t)["createTechnology"]["technology"]["id"] for x in techs]
    with open(out, "w") as f:
        json.dump({"partner": p, "other": o, "partnerTechs": ids[:3], "otherTechs": ids[3:]}, f, indent=1)
    print(key_of(p))


# ---------------------------------------------------------------------------------------------
REGISTER_Q = "mutation($i: RegisterHouseholdInput!) { registerHousehold(input: $i) { household { id version members { nodes { person { id } } } } } }"
TRANSITION_Q = "mutation($i: TransitionHouseholdInput!) { transitionHousehold(input: $i) { household { id version status } } }"
ASSESS_Q = "mutation($i: RecordAssessmentInput!) { recordAssessment(input: $i) { assessment { id status } } }"
CONSENT_Q = "mutation($i: RecordConsentInput!) { recordConsent(input: $i) { consent { id status } } }"
MATCH_Q = "mutation($i: SuggestMatchInput!) { suggestMatch(input: $i) { match { id status } } }"
OPEN_Q = "mutation($i: OpenCaseInput!) { openCase(input: $i) { case { id version phase } } }"
PHASE_Q = "mutation($i: ChangeCasePhaseInput!) { changeCasePhase(input: $i) { case { id version phase } } }"
REFER_Q = "mutation($i: ReferCaseInput!) { referCase(input: $i) { referral { id status consent { id } } } }"
RESPOND_Q = "mutation($i: RespondToReferralInput!) { respondToReferral(input: $i) { referral { id status } } }"
INTERVENE_Q = "mutation($i: RecordInterventionInput!) { recordIntervention(input: $i) { intervention { id } } }"
COMPLETE_Q = "mutation($i: CompleteReferralInput!) { completeReferral(input: $i) { referral { id status } } }"
NEXT_PHASE = {"INTAKE": "ASSESSMENT", "ASSESSMENT": "PLANNING", "PLANNING": "IMPLEMENTATION"}


def household_input(i, rng, villages):
    village = villages[i % len(villages)]
    family = rng.choice(FAMILY)
    size = rng.choice([3, 3, 4, 4])
    head_age = rng.randint(32, 75)
    head_female = rng.random() < 0.35
    members = []
    for m in range(size):
        if m == 0:
            role, age, female = "HEAD", head_age, head_female
        elif m == 1:
            role, age, female = "SPOUSE", max(20, head_age + rng.randint(-6, 6)), not head_female
        elif m == 3 and head_age < 50 and rng.random() < 0.5:
            role, age, female = "ELDER", head_age + rng.randint(20, 30), rng.random() < 0.6
        else:
            role, age, female = "CHILD", max(1, head_age - rng.randint(18, 35)), rng.random() < 0.5
        year = 2025 - age
        person = {"givenName": rng.choice(FEMALE if female else MALE), "familyName": family,
                  "sex": "FEMALE" if female else "MALE",
                  "birthDate": "%04d-%02d-%02d" % (year, rng.randint(1, 12), rng.randint(1, 28)),
                  "idType": "THAI_NATIONAL_ID", "nationalId": thai_id(i * 10 + m + 1)}
        if age >= 18:
            person["phone"] = "09%08d" % (i * 10 + m)  # unique: no SAME_PHONE duplicate flags
            person["occupation"] = rng.choice(["ทำนา", "รับจ้างทั่วไป", "ทำสวน", "ค้าขาย", "เลี้ยงสัตว์"])
        members.append({"role": role, "person": person})
    return {"villageCode": village, "houseNumber": "%d/%d" % (rng.randint(1, 300), rng.randint(1, 9)),
            "address": "หมู่ %d" % int(village[-2:]), "source": rng.choice(SOURCES),
            "householdSize": size, "members": members}


def pipeline(i, c, tok, ids, villages, today):
    """Everything for household i. Returns counters."""
    rng = random.Random(2563 * 100003 + i)
    done = {"households": 1}
    coord, agency = tok["coord"], tok["agency"]
    h = c.gql(REGISTER_Q, {"i": household_input(i, rng, villages)}, coord)["registerHousehold"]["household"]
    hid = h["id"]
    c.gql(TRANSITION_Q, {"i": {"householdId": hid, "version": h["version"], "to": "VERIFIED",
                               "evidence": {"verifiedOn": str(today - dt.timedelta(days=rng.randint(1, 60))),
                                            "note": "ตรวจสอบในพื้นที่"}}}, coord)
    sc = lambda: round(rng.uniform(1.0, 4.0), 2)
    c.gql(ASSESS_Q, {"i": {"householdId": hid, "assessedOn": str(today - dt.timedelta(days=rng.randint(1, 30))),
                           "householdSize": len(h["members"]["nodes"]),
                           "incomePerPerson": float(rng.randint(1200, 7000)), "hasLand": rng.random() < 0.6,
                           "scores": {"human": sc(), "physical": sc(), "financial": sc(), "natural": sc(),
                                      "social": sc()}}}, coord)
    given = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=rng.randint(2, 90))
    c.gql(CONSENT_Q, {"i": {"householdId": hid, "purposes": ["REFERRAL", "CASE_MANAGEMENT"],
                            "recipientAgencyIds": [ids["partner"], ids["other"]], "legalBasis": "CONSENT",
                            "status": "GIVEN", "givenAt": given.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "expiresAt": (given + dt.timedelta(days=730)).strftime("%Y-%m-%dT%H:%M:%SZ")}}, coord)
    done["consents"] = 1
    # matches: a third on a partner technology, a sixth on the other agency's
    if i % 3 == 0:
        c.gql(MATCH_Q, {"i": {"householdId": hid, "technologyId": ids["partnerTechs"][(i // 3) % 3]}}, coord)
        done["matches_partner"] = 1
    elif i % 6 == 1:
        c.gql(MATCH_Q, {"i": {"householdId": hid, "technologyId": ids["otherTechs"][0]}}, coord)
        done["matches_other"] = 1
    if i % 2:
        return done
    # a case for every other household: k % 4 decides owner and referrals
    k = i // 2
    owner = {1: ids["partner"], 3: ids["other"]}.get(k % 4)
    review = today + dt.timedelta(days=rng.randint(7, 120)) if rng.random() < 0.8 \
        else today - dt.timedelta(days=rng.randint(1, 30))
    case_in = {"householdId": hid, "type": rng.choice(CASE_TYPES), "priority": rng.choice(PRIORITIES),
               "reviewDueOn": str(review), "summary": "ครัวเรือนต้องการสนับสนุนด้านอาชีพและรายได้"}
    if owner:
        case_in["ownerAgencyId"] = owner
    case = c.gql(OPEN_Q, {"i": case_in}, coord)["openCase"]["case"]
    done["cases"] = 1
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):  # 0-3 steps forward
        case = c.gql(PHASE_Q, {"i": {"id": case["id"], "version": case["version"],
                                     "to": NEXT_PHASE[case["phase"]]}}, coord)["changeCasePhase"]["case"]
    if k % 4 == 3 and rng.random() < 0.4:  # some cases without referrals closed early
        c.gql(PHASE_Q, {"i": {"id": case["id"], "version": case["version"], "to": "CLOSED",
                              "reason": "ครัวเรือนย้ายออกนอกพื้นที่", "outcome": "NEUTRAL"}}, coord)
        done["cases_closed"] = 1
    targets = {0: ["partner"], 1: ["other"], 2: ["partner", "other"], 3: []}[k % 4]
    for to in targets:
        ref_in = {"caseId": case["id"], "toAgencyId": ids[to],
                  "reason": "ขอรับการสนับสนุนการฝึกอาชีพและอุปกรณ์ตามแผนพัฒนาครัวเรือน"}
        if to == "partner" and rng.random() < 0.5:
            ref_in["technologyId"] = ids["partnerTechs"][rng.randrange(3)]
        r = c.gql(REFER_Q, {"i": ref_in}, coord)["referCase"]["referral"]
        if r["consent"] is None:
            raise GraphQLError("referral %s was sent without a consent" % r["id"])
        done["referrals_" + to] = 1
        if to != "partner":
            continue
        # the partner's answer: 40% PENDING, 35% ACCEPTED (+ intervention), 20% DONE, 5% REJECTED
        fate = rng.random()
        if fate < 0.40:
            done["partner_pending"] = 1
            continue
        if fate >= 0.95:
            c.gql(RESPOND_Q, {"i": {"id": r["id"], "decision": "REJECT",
                                    "reason": "รอบการอบรมเต็มแล้ว"}}, agency)
            done["partner_rejected"] = 1
            continue
        c.gql(RESPOND_Q, {"i": {"id": r["id"], "decision": "ACCEPT"}}, agency)
        c.gql(INTERVENE_Q, {"i": {"referralId": r["id"], "kind": rng.choice(KINDS), "targetCapital": "FINANCIAL",
                                  "quantity": 1.0, "unit": "ครัวเรือน", "cost": float(rng.randint(500, 9000)),
                                  "deliveredOn": str(today - dt.timedelta(days=1)),
                                  "notes": "ส่งมอบอุปกรณ์และอบรมแล้ว"}}, agency)
        done["interventions"] = 1
        if fate >= 0.75:
            c.gql(COMPLETE_Q, {"i": {"id": r["id"], "note": "ติดตามผลแล้ว"}}, agency)
            done["partner_done"] = 1
        else:
            done["partner_accepted"] = 1
    return done


def cmd_data(url, agencies_file, households, workers):
    c = Client(url)
    ids = json.load(open(agencies_file))
    tok = {"coord": login(c, COORD), "agency": login(c, AGENCY)}
    villages = []
    q = "query($a: String) { areas(level: VILLAGE, first: 100, after: $a) { nodes { code } pageInfo { hasNextPage endCursor } } }"
    after = None
    while True:
        page = c.gql(q, {"a": after}, tok["coord"])["areas"]
        villages += [n["code"] for n in page["nodes"] if n["code"].startswith(PROVINCE)]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    villages.sort()
    if not villages:
        sys.exit("no villages of province %s (import them first)" % PROVINCE)
    today = dt.datetime.now(dt.timezone.utc).date()
    totals, t0, n = {}, time.time(), 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(pipeline, i, c, tok, ids, villages, today) for i in range(households)]
        try:
            for f in as_completed(futures):
                for key, v in f.result().items():
                    totals[key] = totals.get(key, 0) + v
                n += 1
                if n % 250 == 0:
                    print("  %d/%d households, %.0f s" % (n, households, time.time() - t0), file=sys.stderr)
        except GraphQLError as e:
            for f in futures:
                f.cancel()
            print("seeding failed: %s" % e, file=sys.stderr)
            sys.exit(1)
    print("seeded in %.0f s with %d workers over %d villages: %s" % (
        time.time() - t0, workers, len(villages), json.dumps(totals, sort_keys=True)))


def main():
    a = sys.argv[1:]
    workers = 8
    if "--workers" in a:
        j = a.index("--workers")
        workers = int(a[j + 1])
        del a[j:j + 2]
    if a[:1] == ["villages"] and len(a) == 2:
        cmd_villages(a[1])
    elif a[:1] == ["agencies"] and len(a) == 3:
        cmd_agencies(a[1], a[2])
    elif a[:1] == ["data"] and len(a) in (3, 4):
        cmd_data(a[1], a[2], int(a[3]) if len(a) == 4 else 2000, workers)
    elif a[:1] == ["token"] and len(a) == 3:
        print(login(Client(a[1]), a[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
