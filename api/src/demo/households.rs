//! The generated households (import CSV) and their lifecycle targets.
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate};
use entity::{
    enums::{HouseholdSource, HouseholdStatus},
    household_external_id,
};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{ActiveEnum, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::error::ApiResult;

use super::{names::*, *};

/// External id → household id, for the demo households created by this run.
pub(super) async fn household_ids(
    db: &DatabaseConnection,
    households: &[&DemoHousehold],
) -> ApiResult<HashMap<String, Uuid>> {
    let mut out = HashMap::new();
    for chunk in households.chunks(500) {
        let rows = household_external_id::Entity::find()
            .filter(household_external_id::Column::Value.is_in(chunk.iter().map(|h| h.id.clone())))
            .all(db)
            .await?;
        for r in rows {
            out.insert(format!("{}:{}", r.scheme, r.value), r.household_id);
        }
    }
    Ok(out)
}

/// One generated household: its key and where its lifecycle should end.
pub(super) struct DemoHousehold {
    pub(super) scheme: &'static str,
    pub(super) id: String,
    pub(super) target: HouseholdStatus,
}

impl DemoHousehold {
    pub(super) fn key(&self) -> String {
        format!("{}:{}", self.scheme, self.id)
    }
}

pub(super) struct Generated {
    pub(super) csv: Vec<u8>,
    pub(super) households: Vec<DemoHousehold>,
}

/// The household CSV (import format) and the lifecycle targets. Deterministic.
pub(super) fn generate_households(
    places: &BTreeMap<&'static str, Vec<Place>>,
    total: usize,
) -> Generated {
    let mut rng = StdRng::seed_from_u64(SEED + 1);
    let mut rows: Vec<[String; 21]> = Vec::new();
    let mut households = Vec::new();
    let mut used_ids: HashSet<String> = HashSet::new();
    let provinces: Vec<(&&str, &Vec<Place>)> = places.iter().collect();
    let share = total / provinces.len().max(1);
    // Ages count from a fixed day, so that every run makes the same people.
    let today = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap_or_default();
    for (p, (province, villages)) in provinces.iter().enumerate() {
        let count = if p + 1 == provinces.len() {
            total - share * (provinces.len() - 1)
        } else {
            share
        };
        let muslim_south = matches!(**province, "94" | "95");
        for n in 1..=count {
            let place = pick(&mut rng, villages);
            let source = weighted(
                &mut rng,
                &[
                    (HouseholdSource::Tpmap, 40),
                    (HouseholdSource::BmnSurvey, 20),
                    (HouseholdSource::WelfareCard, 15),
                    (HouseholdSource::Pppconnext, 15),
                    (HouseholdSource::FieldDiscovery, 7),
                    (HouseholdSource::PartnerImport, 3),
                ],
            );
            let scheme = match source {
                HouseholdSource::Tpmap => "TPMAP",
                HouseholdSource::BmnSurvey => "BMN",
                HouseholdSource::WelfareCard => "WELFARE_CARD",
                HouseholdSource::Pppconnext => "PPPCONNEXT",
                HouseholdSource::FieldDiscovery => "FIELD",
                HouseholdSource::PartnerImport => "PARTNER",
            };
            let id = format!("DEMO-{province}-{n:05}");
            let target = weighted(
                &mut rng,
                &[
                    (HouseholdStatus::Discovered, 45),
                    (HouseholdStatus::Verified, 30),
                    (HouseholdStatus::Enrolled, 12),
                    (HouseholdStatus::Graduated, 5),
                    (HouseholdStatus::NotFound, 4),
                    (HouseholdStatus::NotEligible, 4),
                ],
            );
            let size = weighted(
                &mut rng,
                &[(1, 8), (2, 15), (3, 22), (4, 25), (5, 15), (6, 9), (7, 6)],
            );
            let reported_size = if rng.random_bool(0.1) { size + 1 } else { size };
            let house_number = if rng.random_bool(0.4) {
                format!("{}/{}", rng.random_range(1..300), rng.random_range(1..9))
            } else {
                rng.random_range(1..400).to_string()
            };
            let address = format!(
                "หมู่ {} ต.{} อ.{} จ.{}",
                place.moo, place.subdistrict, place.district, place.province
            );
            let location = place
                .location
                .filter(|_| rng.random_bool(0.7))
                .map(|(lat, lng)| {
                    let j = |r: &mut StdRng| f64::from(r.random_range(-40..=40)) / 10_000.0;
                    (lat + j(&mut rng), lng + j(&mut rng))
                });
            let household = [
                scheme.to_string(),
                id.clone(),
                place.village_code.clone(),
                house_number,
                address,
                location.map(|l| format!("{:.5}", l.0)).unwrap_or_default(),
                location.map(|l| format!("{:.5}", l.1)).unwrap_or_default(),
                source.to_value(),
                reported_size.to_string(),
            ];
            let family = if muslim_south {
                pick(&mut rng, FAMILY_NAMES_SOUTH)
            } else {
                pick(&mut rng, FAMILY_NAMES)
            };
            let district = place.village_code.get(..4).unwrap_or("0000");
            for member in members(&mut rng, size, today) {
                let given = match (muslim_south, member.female) {
                    (false, false) => pick(&mut rng, MALE_NAMES),
                    (false, true) => pick(&mut rng, FEMALE_NAMES),
                    (true, false) => pick(&mut rng, MALE_NAMES_SOUTH),
                    (true, true) => pick(&mut rng, FEMALE_NAMES_SOUTH),
                };
                // Spouses and other relatives often keep another family name.
                let family_name =
                    if member.role != "HEAD" && member.role != "CHILD" && rng.random_bool(0.3) {
                        if muslim_south {
                            pick(&mut rng, FAMILY_NAMES_SOUTH)
                        } else {
                            pick(&mut rng, FAMILY_NAMES)
                        }
                    } else {
                        family
                    };
                let (id_type, number) = identity(&mut rng, &member, district, &mut used_ids);
                let adult = member.age >= 18;
                let phone = if adult && rng.random_bool(0.55) {
                    format!(
                        "0{}{:08}",
                        pick(&mut rng, &[6, 8, 9]),
                        rng.random_range(0..100_000_000u32)
                    )
                } else {
                    String::new()
                };
                let education = education(&mut rng, member.age).to_string();
                let occupation = occupation(&mut rng, member.age, province).to_string();
                let disability = if rng.random_bool(0.04) {
                    pick(&mut rng, DISABILITIES).to_string()
                } else {
                    String::new()
                };
                let illness = if member.age >= 45 && rng.random_bool(0.25) {
                    pick(&mut rng, ILLNESSES).to_string()
                } else {
                    String::new()
                };
                rows.push([
                    household[0].clone(),
                    household[1].clone(),
                    household[2].clone(),
                    household[3].clone(),
                    household[4].clone(),
                    household[5].clone(),
                    household[6].clone(),
                    household[7].clone(),
                    household[8].clone(),
                    member.role.to_string(),
                    given.to_string(),
                    family_name.to_string(),
                    if member.female { "FEMALE" } else { "MALE" }.to_string(),
                    member.birth_date.format("%Y-%m-%d").to_string(),
                    phone,
                    id_type.to_string(),
                    number,
                    education,
                    occupation,
                    disability,
                    illness,
                ]);
            }
            households.push(DemoHousehold { scheme, id, target });
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail; an error would only drop the demo rows, which the
    // import would then report as missing households.
    let _ = w.write_record(crate::household::import::COLUMNS);
    for row in &rows {
        let _ = w.write_record(row);
    }
    Generated {
        csv: w.into_inner().unwrap_or_default(),
        households,
    }
}

pub(super) struct Member {
    pub(super) role: &'static str,
    pub(super) female: bool,
    pub(super) age: i32,
    pub(super) birth_date: NaiveDate,
}

/// A plausible household: a head, often a spouse, children, sometimes an elder or others.
pub(super) fn members(rng: &mut StdRng, size: usize, today: NaiveDate) -> Vec<Member> {
    let born = |rng: &mut StdRng, age: i32| {
        let year = today.year() - age - 1;
        NaiveDate::from_ymd_opt(year, 1, 1)
            .map(|d| d + Duration::days(rng.random_range(0..365)))
            .unwrap_or(today)
    };
    let head_age = rng.random_range(30..=78);
    let head_female = rng.random_bool(0.45);
    let mut out = vec![Member {
        role: "HEAD",
        female: head_female,
        age: head_age,
        birth_date: born(rng, head_age),
    }];
    if size >= 2 && rng.random_bool(0.75) {
        let age = (head_age + rng.random_range(-6..=6)).max(20);
        out.push(Member {
            role: "SPOUSE",
            female: !head_female,
            age,
            birth_date: born(rng, age),
        });
    }
    if out.len() < size && head_age >= 55 && rng.random_bool(0.3) {
        let age = (head_age + rng.random_range(18..=25)).min(99);
        out.push(Member {
            role: "ELDER",
            female: rng.random_bool(0.6),
            age,
            birth_date: born(rng, age),
        });
    }
    while out.len() < size {
        let (role, age) = if rng.random_bool(0.8) {
            ("CHILD", (head_age - rng.random_range(18..=40)).clamp(0, 40))
        } else if rng.random_bool(0.7) {
            ("OTHER_RELATIVE", rng.random_range(2..=70))
        } else {
            ("NON_RELATIVE", rng.random_range(16..=60))
        };
        out.push(Member {
            role,
            female: rng.random_bool(0.5),
            age,
            birth_date: born(rng, age),
        });
    }
    out
}

/// An ID type and number: mostly Thai national IDs (first digit 1 for people registered at
/// birth since 1984, 3 before; digits 2–5 the registering district), some non-Thai IDs
/// (migrant workers, stateless people), a few without any.
pub(super) fn identity(
    rng: &mut StdRng,
    member: &Member,
    district: &str,
    used: &mut HashSet<String>,
) -> (&'static str, String) {
    let roll = rng.random_range(0..100);
    if roll < 4 {
        return ("NONE", String::new());
    }
    if roll < 7 {
        loop {
            let number = format!("MM{:07}", rng.random_range(0..10_000_000u32));
            if used.insert(number.clone()) {
                return ("NON_THAI_ID", number);
            }
        }
    }
    let first = if member.birth_date.year() >= 1984 {
        '1'
    } else {
        '3'
    };
    loop {
        let body = format!("{first}{district}{:07}", rng.random_range(0..10_000_000u32));
        let sum: u32 = body
            .chars()
            .zip((2..=13).rev())
            .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
            .sum();
        let number = format!("{body}{}", (11 - sum % 11) % 10);
        if used.insert(number.clone()) {
            return ("THAI_NATIONAL_ID", number);
        }
    }
}

pub(super) fn education(rng: &mut StdRng, age: i32) -> &'static str {
    match age {
        0..=5 => "",
        6..=11 => "ประถมศึกษา (กำลังเรียน)",
        12..=17 => "มัธยมศึกษา (กำลังเรียน)",
        _ => weighted(
            rng,
            &[
                ("ไม่ได้เรียน", 5),
                ("ประถมศึกษา", 45),
                ("มัธยมศึกษาตอนต้น", 20),
                ("มัธยมศึกษาตอนปลาย", 17),
                ("ปวช./ปวส.", 8),
                ("ปริญญาตรี", 5),
            ],
        ),
    }
}

pub(super) fn occupation(rng: &mut StdRng, age: i32, province: &str) -> &'static str {
    match age {
        0..=5 => "",
        6..=17 => "นักเรียน",
        70.. => "ไม่ได้ทำงาน (ผู้สูงอายุ)",
        _ => {
            let south = matches!(province, "93" | "94" | "95");
            let farming = if south {
                "ทำสวนยางพารา"
            } else {
                "ทำนา"
            };
            weighted(
                rng,
                &[
                    (farming, 35),
                    ("รับจ้างทั่วไป", 30),
                    (
                        if south {
                            "ประมงพื้นบ้าน"
                        } else {
                            "ทำไร่"
                        },
                        10,
                    ),
                    ("ค้าขาย", 8),
                    ("เลี้ยงสัตว์", 7),
                    ("ว่างงาน", 10),
                ],
            )
        }
    }
}

pub(super) fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

pub(super) fn weighted<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total);
    for (item, weight) in items {
        if roll < *weight {
            return *item;
        }
        roll -= weight;
    }
    items[items.len() - 1].0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_thai_ids_pass_the_check_digit() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut used = HashSet::new();
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        for m in members(&mut rng, 7, today) {
            for _ in 0..50 {
                let (kind, number) = identity(&mut rng, &m, "5201", &mut used);
                if kind == "THAI_NATIONAL_ID" {
                    assert!(crate::pii::normalize_thai_id(&number).is_ok(), "{number}");
                    assert_eq!(&number[1..5], "5201");
                }
            }
        }
    }

    #[test]
    fn a_generated_household_has_exactly_one_head() {
        let mut rng = StdRng::seed_from_u64(7);
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        for size in 1..=7 {
            let m = members(&mut rng, size, today);
            assert_eq!(m.len(), size);
            assert_eq!(m.iter().filter(|m| m.role == "HEAD").count(), 1);
            assert!(m.iter().all(|m| m.birth_date <= today));
        }
    }
}
