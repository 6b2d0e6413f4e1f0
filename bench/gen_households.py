#!/usr/bin/env python3
"""Generates a synthetic household file for `api import households` (stdlib only).

    python3 bench/gen_households.py OUT_DIR [HOUSEHOLDS] [--seed N] [--bad-every K]

Writes OUT_DIR/villages.csv (import it first with `api import areas`) and
OUT_DIR/households.csv: HOUSEHOLDS households (default 100,000), about 3.5 persons each,
spread over villages in the 7 SRA provinces (about 50 households per village), with valid
13-digit Thai national IDs (unique, check digit computed), some phones and non-Thai IDs.
With --bad-every K, every K-th household has one invalid row (a birth date in the future), to
exercise the rejection path. Deterministic for a given seed. All data is synthetic.
"""
import csv
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AREAS = os.path.join(ROOT, "api", "data", "areas.csv")
SRA = ["52", "46", "49", "45", "93", "94", "95"]
HOUSEHOLDS_PER_VILLAGE = 50
VILLAGES_PER_SUBDISTRICT = 5

COLUMNS = [
    "household_external_scheme", "household_external_id", "village_code", "house_number",
    "address", "lat", "lng", "source", "household_size", "member_role", "given_name",
    "family_name", "sex", "birth_date", "phone", "id_type", "national_id", "education",
    "occupation", "disability", "chronic_illness",
]
MALE = ["สมชาย", "สมศักดิ์", "ประเสริฐ", "บุญมี", "สมบัติ", "วิชัย", "สุรชัย", "ชัยวัฒน์", "อนันต์",
        "ประสิทธิ์", "สุเทพ", "มานพ", "บุญเลิศ", "ทองดี", "สมพงษ์", "วีระ", "นิพนธ์", "ธนากร",
        "กิตติศักดิ์", "ณัฐพล", "พงศกร", "อภิชาติ", "ศุภชัย", "จักรพันธ์", "ธีรวัฒน์"]
FEMALE = ["สมศรี", "บุญเรือน", "มาลี", "สุดา", "วันเพ็ญ", "ประนอม", "บัวผัน", "ทองใบ", "จันทร์เพ็ญ",
          "สายสุนีย์", "นงลักษณ์", "อรุณี", "กัญญา", "ศิริพร", "พรทิพย์", "รัตนา", "สุภาพร",
          "วิไลวรรณ", "ปิยะนุช", "ณัฐธิดา", "กมลชนก", "สุนิสา", "อัมพร", "แสงเดือน", "ดวงใจ"]
FAMILY = ["ใจดี", "แสนสุข", "ศรีสุข", "บุญมา", "ทองคำ", "แก้วมณี", "สุขเจริญ", "ชัยมงคล", "วงศ์ใหญ่",
          "ปัญญาดี", "อินทร์แก้ว", "คำมูล", "ศรีวงศ์", "ทองสุข", "มณีวงศ์", "จันทร์หอม", "พรหมมา",
          "สิทธิชัย", "บุญเรือง", "เรือนคำ", "ไชยวงศ์", "อุ่นเรือน", "ปวงคำ", "กาวิละ", "ดวงแก้ว",
          "ภูมิสวัสดิ์", "นาคสวัสดิ์", "พิมพ์ทอง", "สายบุญ", "หอมจันทร์", "ทิพย์มณี", "ศรีภูมิ",
          "บุญยืน", "มหาวงศ์", "คงสมบูรณ์", "ทองอินทร์", "เพชรรัตน์", "รักษ์ไทย", "สาและ", "ยูโซะ"]
SOURCES = ["TPMAP"] * 5 + ["BMN_SURVEY"] * 2 + ["WELFARE_CARD"] * 2 + ["PPPCONNEXT"] * 2
EDUCATION = ["ประถมศึกษา", "มัธยมศึกษาตอนต้น", "มัธยมศึกษาตอนปลาย", "ปวช./ปวส.", ""]
OCCUPATION = ["ทำนา", "รับจ้างทั่วไป", "ทำสวนยางพารา", "ค้าขาย", "เลี้ยงสัตว์", ""]


def thai_id(n):
    """A unique valid Thai ID for person number n."""
    body = "1%011d" % n
    total = sum(int(d) * w for d, w in zip(body, range(13, 1, -1)))
    return body + str((11 - total % 11) % 10)


def main():
    args = [a for a in sys.argv[1:]]
    seed, bad_every = 2563, 0
    if "--seed" in args:
        i = args.index("--seed")
        seed = int(args[i + 1])
        del args[i:i + 2]
    if "--bad-every" in args:
        i = args.index("--bad-every")
        bad_every = int(args[i + 1])
        del args[i:i + 2]
    if not args:
        sys.exit(__doc__)
    out = args[0]
    households = int(args[1]) if len(args) > 1 else 100_000
    rng = random.Random(seed)
    os.makedirs(out, exist_ok=True)

    with open(AREAS, encoding="utf-8") as f:
        subdistricts = [r for r in csv.DictReader(f)
                        if r["level"] == "SUBDISTRICT" and r["code"][:2] in SRA]
    villages_needed = max(1, -(-households // HOUSEHOLDS_PER_VILLAGE))
    subdistricts_needed = -(-villages_needed // VILLAGES_PER_SUBDISTRICT)
    if subdistricts_needed > len(subdistricts):
        sys.exit("too many households for the SRA subdistricts (%d available)" % len(subdistricts))
    chosen = rng.sample(subdistricts, subdistricts_needed)
    chosen.sort(key=lambda r: r["code"])
    villages = []
    with open(os.path.join(out, "villages.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["code", "level", "parent_code", "name_th", "name_en", "postal_code", "lat",
                    "lng", "region"])
        for s in chosen:
            for moo in range(1, VILLAGES_PER_SUBDISTRICT + 1):
                code = "%s%02d" % (s["code"], moo)
                villages.append((code, moo, s))
                w.writerow([code, "VILLAGE", s["code"], "บ้านทดสอบ %d" % moo,
                            "Ban Thotsop %d" % moo, s["postal_code"], s["lat"], s["lng"], ""])

    person = 0
    rows = 0
    this_year = 2025
    with open(os.path.join(out, "households.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for h in range(households):
            code, moo, s = villages[h % len(villages)]
            size = rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 6, 7])
            family = rng.choice(FAMILY)
            lat = lng = ""
            if s["lat"] and rng.random() < 0.6:
                lat = "%.5f" % (float(s["lat"]) + rng.uniform(-0.02, 0.02))
                lng = "%.5f" % (float(s["lng"]) + rng.uniform(-0.02, 0.02))
            head = [
                "TPMAP", "BENCH-%07d" % h, code, "%d/%d" % (rng.randint(1, 300), rng.randint(1, 9)),
                "หมู่ %d ต.%s" % (moo, s["name_th"]), lat, lng, rng.choice(SOURCES), str(size),
            ]
            bad_row = rng.randrange(size) if bad_every and h % bad_every == bad_every - 1 else -1
            head_age = rng.randint(30, 78)
            for m in range(size):
                person += 1
                rows += 1
                if m == 0:
                    role, age = "HEAD", head_age
                elif m == 1 and size > 2:
                    role, age = "SPOUSE", max(20, head_age + rng.randint(-6, 6))
                else:
                    role, age = "CHILD", max(0, head_age - rng.randint(18, 40))
                female = rng.random() < 0.5
                year = this_year - age if m != bad_row else this_year + 5
                birth = "%04d-%02d-%02d" % (year, rng.randint(1, 12), rng.randint(1, 28))
                phone = "08%08d" % rng.randrange(10 ** 8) if age >= 18 and rng.random() < 0.5 else ""
                if rng.random() < 0.03:
                    id_type, number = "NON_THAI_ID", "MM%08d" % person
                else:
                    id_type, number = "THAI_NATIONAL_ID", thai_id(person)
                w.writerow(head + [
                    role, rng.choice(FEMALE if female else MALE), family,
                    "FEMALE" if female else "MALE", birth, phone, id_type, number,
                    rng.choice(EDUCATION) if age >= 18 else "", rng.choice(OCCUPATION) if age >= 18 else "",
                    "", "เบาหวาน" if age >= 50 and rng.random() < 0.1 else "",
                ])
    print("%s: %d villages, %d households, %d rows" % (out, len(villages), households, rows))


if __name__ == "__main__":
    main()
