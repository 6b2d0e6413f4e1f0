//! Dashboard rollups (docs/rollups.md): kept current by every write that changes what a
//! household contributes, always equal to a recount from the records.
use api::{
    audit::service::Actor,
    auth::Scope,
    household::import::import_households,
    rollup::{self, metric},
};
use entity::{area_rollup, household, household_contribution, intervention};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp,
    builders::{AssessmentSpec, HouseholdBuilder},
    casework::{Casework, assessment_input, casework, uuid_of, yesterday},
    fixtures::{LAMPANG_VILLAGE, LAMPANG_VILLAGE_2},
    graduation::{move_to, transition},
};

/// A village in another district of Lampang (Mae Mo, 5202).
const MAE_MO_VILLAGE: &str = "52020101";
/// The seeded village in a second subdistrict of Mueang Lampang (520102).
const HUA_WIANG_VILLAGE: &str = "52010201";

const MOVE_MATCH: &str = "mutation($i: TransitionMatchInput!) { transitionMatch(input: $i) { match { status version } } }";
const RESOLVE: &str = "mutation($i: ResolveDuplicateInput!) { resolveDuplicate(input: $i) { potentialDuplicate { status } } }";
const CANCEL: &str = "mutation($i: AssessmentStatusInput!) { cancelAssessment(input: $i) { assessment { status } } }";
const ACTIVATE: &str = "mutation($i: AssessmentStatusInput!) { activateAssessment(input: $i) { assessment { status } } }";

async fn mae_mo(app: &TestApp) {
    let csv = "code,level,parent_code,name_th,name_en,postal_code,lat,lng,region\n\
               52020101,VILLAGE,520201,บ้านดง,Ban Dong,,,,\n";
    let report = api::area::service::import_areas(&app.db, csv.as_bytes())
        .await
        .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
}

/// One rollup cell: (n, quantity, amount_satang); a missing row is zero.
async fn cell(app: &TestApp, area: &str, metric: &str, bucket: &str) -> (i64, f64, i64) {
    area_rollup::Entity::find_by_id((area.to_string(), metric.to_string(), bucket.to_string()))
        .one(&app.db)
        .await
        .unwrap()
        .map_or((0, 0.0, 0), |r| (r.n, r.quantity, r.amount_satang))
}

async fn n(app: &TestApp, area: &str, metric: &str, bucket: &str) -> i64 {
    cell(app, area, metric, bucket).await.0
}

/// The rollups equal a recount from the records.
async fn assert_recounts(app: &TestApp) {
    let differences = rollup::check(&app.db).await.unwrap();
    assert!(
        differences.is_empty(),
        "rollups ≠ recount: {differences:#?}"
    );
    let stored = rollup::stored_rollups(&app.db).await.unwrap();
    let recounted = rollup::recount(&app.db).await.unwrap();
    assert_eq!(stored.len(), recounted.len());
    assert!(!recounted.is_empty());
}

/// Registers a household (as the surveyor) with a head named `given`, without an ID number,
/// so that look-alikes are flagged; returns (id, potential duplicates).
async fn register_named(cw: &Casework, village: &str, given: &str) -> (Value, Value) {
    let done = HouseholdBuilder::new(0)
        .village(village)
        .head(given)
        .head_with(json!({ "birthDate": "1970-03-01" }))
        .head_omit(&["nationalId", "sex"])
        .omit(&["houseNumber"])
        .create(&cw.app, &cw.surveyor.token)
        .await
        .registered;
    (
        done["household"]["id"].clone(),
        done["potentialDuplicates"].clone(),
    )
}

async fn assess(cw: &Casework, household: &Value, score: f64, activate: bool) -> Value {
    AssessmentSpec::new(score, 2500.0)
        .on(&yesterday())
        .with(json!({ "hasLand": true }))
        .activate(activate)
        .record(&cw.app, &cw.surveyor.token, household)
        .await
}

async fn move_match(cw: &Casework, m: &Value, version: i64, to: &str, extra: Value) -> i64 {
    let mut input = json!({ "matchId": m, "version": version, "to": to });
    for (k, v) in extra.as_object().unwrap() {
        input[k] = v.clone();
    }
    cw.gql(&cw.staff, MOVE_MATCH, json!({ "i": input }))
        .await
        .data("/transitionMatch/match/version")
        .as_i64()
        .unwrap()
}

#[actix_web::test]
async fn rollups_follow_a_mix_of_writes_and_equal_a_recount() {
    let cw = casework().await;
    mae_mo(&cw.app).await;
    let app = &cw.app;
    let coord = &cw.coordinator.token;
    // Built at start: the marker is there, the rollups hold nothing yet.
    assert!(rollup::is_built(&app.db).await.unwrap());

    // Three households enrolled: two in Mueang Lampang (5201), one in Mae Mo (5202).
    let h1 = cw.consented_household(1, cw.agency.id).await;
    let h2 = cw.household(2).await;
    let (h3, _) = register_named(&cw, MAE_MO_VILLAGE, "สมชาย").await;
    for h in [&h1, &h2, &h3] {
        let v = move_to(app, coord, h, 1, "VERIFIED", None).await;
        move_to(app, coord, h, v, "ENROLLED", None).await;
    }
    // A look-alike of h3, assessed, then merged into h3: it counts as DUPLICATE only.
    let (h4, flagged) = register_named(&cw, MAE_MO_VILLAGE, "สมชาญ").await;
    assert_eq!(flagged.as_array().unwrap().len(), 1, "{flagged}");
    assess(&cw, &h4, 1.5, true).await;
    cw.gql(
        &cw.coordinator,
        RESOLVE,
        json!({ "i": { "id": flagged[0]["id"], "resolution": "MERGE", "survivorHouseholdId": h3 } }),
    )
    .await
    .data("/resolveDuplicate");
    // One not eligible in another village.
    let h5 = HouseholdBuilder::new(5)
        .village(LAMPANG_VILLAGE_2)
        .head("คนห้า")
        .create(app, &cw.surveyor.token)
        .await
        .id;
    transition(app, coord, &h5, 1, "NOT_ELIGIBLE", Some("รายได้เกินเกณฑ์"))
        .await
        .data("/transitionHousehold");

    // Assessments: h1 STRUGGLING superseded by MANAGEABLE; h2's cancelled, then one from a
    // visit; h3 DIFFICULT.
    assess(&cw, &h1, 1.5, true).await;
    assess(&cw, &h1, 3.0, true).await;
    let a2 = assess(&cw, &h2, 1.5, true).await;
    assert_eq!(n(app, "52", metric::LADDER, "OVERALL.STRUGGLING").await, 1);
    cw.gql(
        &cw.surveyor,
        CANCEL,
        json!({ "i": { "id": a2, "reason": "กรอกผิดครัวเรือน" } }),
    )
    .await
    .data("/cancelAssessment");
    assert_eq!(n(app, "52", metric::LADDER, "OVERALL.STRUGGLING").await, 0);
    let visit = cw.schedule_visit(&h2, None).await;
    cw.complete_visit(&visit, json!({ "assessment": assessment_input(None, 2.6) }))
        .await
        .data("/completeVisit");
    let draft = assess(&cw, &h3, 2.0, false).await;
    assert_eq!(n(app, "5202", metric::LADDER, "OVERALL.DIFFICULT").await, 0);
    cw.gql(&cw.surveyor, ACTIVATE, json!({ "i": { "id": draft } }))
        .await
        .data("/activateAssessment");

    // Matches: h1 adopts the technology, h3 declines it.
    let tech = cw.technology(cw.agency.id, "เลี้ยงปลานิล").await;
    let m1 = cw.suggest_match(&h1, &tech).await;
    let mut v = 1;
    for to in ["OFFERED", "ACCEPTED", "IN_TRAINING"] {
        v = move_match(&cw, &m1, v, to, json!({})).await;
    }
    move_match(&cw, &m1, v, "ADOPTED", json!({ "followUpIncome": 3400 })).await;
    let m3 = cw.suggest_match(&h3, &tech).await;
    cw.decline_match(&m3).await;

    // Referrals: one accepted, delivered and done; one pending.
    let case = cw.open_case(&h1).await;
    let r1 = cw.refer(&case, cw.agency.id).await;
    cw.accept(&cw.staff, &r1).await;
    let i1 = cw.record_intervention(&cw.staff, &r1).await;
    cw.complete_referral(&cw.staff, &r1).await;
    let r2 = cw.refer(&case, cw.agency.id).await;

    // Known cells.
    assert_eq!(n(app, "52", metric::HOUSEHOLDS, "ENROLLED").await, 3);
    assert_eq!(n(app, "5201", metric::HOUSEHOLDS, "ENROLLED").await, 2);
    assert_eq!(n(app, "520101", metric::HOUSEHOLDS, "ENROLLED").await, 2);
    assert_eq!(
        n(app, LAMPANG_VILLAGE, metric::HOUSEHOLDS, "ENROLLED").await,
        2
    );
    assert_eq!(n(app, "5202", metric::HOUSEHOLDS, "ENROLLED").await, 1);
    assert_eq!(
        n(app, MAE_MO_VILLAGE, metric::HOUSEHOLDS, "DUPLICATE").await,
        1
    );
    assert_eq!(n(app, "52", metric::HOUSEHOLDS, "DISCOVERED").await, 0);
    assert_eq!(n(app, "52", metric::HOUSEHOLDS, "NOT_ELIGIBLE").await, 1);
    assert_eq!(
        n(app, LAMPANG_VILLAGE_2, metric::HOUSEHOLDS, "NOT_ELIGIBLE").await,
        1
    );
    // The duplicate's and the superseded and cancelled assessments count nowhere.
    assert_eq!(n(app, "52", metric::LADDER, "OVERALL.MANAGEABLE").await, 2);
    assert_eq!(n(app, "52", metric::LADDER, "OVERALL.DIFFICULT").await, 1);
    assert_eq!(n(app, "52", metric::LADDER, "OVERALL.STRUGGLING").await, 0);
    assert_eq!(n(app, "52", metric::LADDER, "HUMAN.MANAGEABLE").await, 2);
    assert_eq!(n(app, "5202", metric::LADDER, "SOCIAL.DIFFICULT").await, 1);
    let mut incomes = 0;
    for level in [
        "BELOW_POVERTY_LINE",
        "BELOW_POOREST_40",
        "BELOW_MEDIAN",
        "ABOVE_MEDIAN",
    ] {
        incomes += n(app, "52", metric::INCOME, level).await;
    }
    assert_eq!(incomes, 3);
    let tech_id = uuid_of(&tech).to_string();
    assert_eq!(n(app, "52", metric::MATCHES, "ADOPTED").await, 1);
    assert_eq!(n(app, "52", metric::MATCHES, "DECLINED").await, 1);
    assert_eq!(n(app, "52", metric::MATCH_TECHNOLOGY, &tech_id).await, 2);
    assert_eq!(n(app, "5202", metric::MATCH_TECHNOLOGY, &tech_id).await, 1);
    assert_eq!(
        n(app, "52", metric::MATCH_TECHNOLOGY_ADOPTED, &tech_id).await,
        1
    );
    assert_eq!(n(app, "52", metric::REFERRALS, "DONE").await, 1);
    assert_eq!(n(app, "52", metric::REFERRALS, "PENDING").await, 1);
    let r2_row = entity::referral::Entity::find_by_id(uuid_of(&r2))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        n(
            app,
            LAMPANG_VILLAGE,
            metric::REFERRALS_OPEN_DUE,
            &metric::day(r2_row.due_on)
        )
        .await,
        1
    );
    let delivered = intervention::Entity::find_by_id(uuid_of(&i1))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let bucket = metric::intervention_bucket(delivered.kind, delivered.delivered_on);
    assert_eq!(
        bucket,
        format!("TRAINING.{}", metric::month(delivered.delivered_on))
    );
    assert_eq!(
        cell(app, "52", metric::INTERVENTIONS, &bucket).await,
        (1, 3.0, delivered.cost_satang.unwrap())
    );
    // Parents as documented; each write bumped the province's version.
    let village = area_rollup::Entity::find_by_id((
        MAE_MO_VILLAGE.to_string(),
        metric::HOUSEHOLDS.to_string(),
        "ENROLLED".to_string(),
    ))
    .one(&app.db)
    .await
    .unwrap()
    .unwrap();
    assert_eq!(village.parent_code, "520201");
    assert!(n(app, "52", metric::VERSION, "").await >= 20);

    assert_recounts(app).await;
}

/// A household as the random walk knows it.
struct Walked {
    id: Value,
    version: i64,
    status: &'static str,
    assessments: Vec<Value>,
    active: bool,
    cases: Vec<Value>,
}

#[actix_web::test]
async fn rollups_equal_a_recount_after_a_seeded_random_sequence_of_writes() {
    let cw = casework().await;
    mae_mo(&cw.app).await;
    let app = &cw.app;
    let coord = &cw.coordinator.token;
    let tech = cw.technology(cw.agency.id, "โรงเรือนเห็ด").await;
    let villages = [
        LAMPANG_VILLAGE,
        LAMPANG_VILLAGE_2,
        HUA_WIANG_VILLAGE,
        MAE_MO_VILLAGE,
    ];
    let mut rng = StdRng::seed_from_u64(10);
    let mut hs: Vec<Walked> = Vec::new();
    let mut matches: Vec<(Value, i64, &'static str)> = Vec::new();
    let mut referrals: Vec<(Value, &'static str)> = Vec::new();
    let mut done = [0usize; 10];
    let mut tried = [0usize; 10];
    for step in 0..130u64 {
        let op = if hs.len() < 4 {
            0
        } else {
            rng.random_range(0..10)
        };
        let pick = if hs.is_empty() {
            0
        } else {
            rng.random_range(0..hs.len())
        };
        let ok = match op {
            0 => {
                let village = villages[rng.random_range(0..villages.len())];
                let res = HouseholdBuilder::new(1000 + step)
                    .village(village)
                    .head(&format!("คน{step}"))
                    .phone("0812345678")
                    .create(app, &cw.surveyor.token)
                    .await
                    .registered;
                let id = res["household"]["id"].clone();
                cw.consent(&id, &["REFERRAL", "CASE_MANAGEMENT"], &[cw.agency.id], &[])
                    .await;
                hs.push(Walked {
                    id,
                    version: 1,
                    status: "DISCOVERED",
                    assessments: vec![],
                    active: false,
                    cases: vec![],
                });
                true
            }
            1 | 2 => {
                let h = &mut hs[pick];
                let next: &[&'static str] = match h.status {
                    "DISCOVERED" => &["VERIFIED", "VERIFIED", "NOT_ELIGIBLE"],
                    "VERIFIED" => &["ENROLLED"],
                    "ENROLLED" => &["EXITED"],
                    _ => &[],
                };
                if next.is_empty() {
                    false
                } else {
                    let to = next[rng.random_range(0..next.len())];
                    let res =
                        transition(app, coord, &h.id, h.version, to, Some("ตามผลสำรวจ")).await;
                    match res
                        .body
                        .pointer("/data/transitionHousehold/household/version")
                    {
                        Some(v) => {
                            h.version = v.as_i64().unwrap();
                            h.status = to;
                            true
                        }
                        None => false,
                    }
                }
            }
            3 => {
                let score = [1.2, 2.0, 2.7, 3.5][rng.random_range(0..4)];
                let activate = rng.random_bool(0.8);
                let a = assess(&cw, &hs[pick].id, score, activate).await;
                let h = &mut hs[pick];
                h.assessments.push(a);
                h.active |= activate;
                true
            }
            4 => {
                // Cancel or activate any assessment recorded so far (either may be refused).
                let all: Vec<&Value> = hs.iter().flat_map(|h| &h.assessments).collect();
                let a = (!all.is_empty()).then(|| all[rng.random_range(0..all.len())]);
                match a {
                    Some(a) if rng.random_bool(0.5) => cw
                        .gql(
                            &cw.surveyor,
                            CANCEL,
                            json!({ "i": { "id": a, "reason": "ทดสอบ" } }),
                        )
                        .await
                        .body
                        .get("errors")
                        .is_none(),
                    Some(a) => cw
                        .gql(&cw.surveyor, ACTIVATE, json!({ "i": { "id": a } }))
                        .await
                        .body
                        .get("errors")
                        .is_none(),
                    None => false,
                }
            }
            5 => {
                // A household with an ACTIVE assessment, if any.
                let assessed: Vec<usize> = (0..hs.len()).filter(|i| hs[*i].active).collect();
                let pick = if assessed.is_empty() {
                    pick
                } else {
                    assessed[rng.random_range(0..assessed.len())]
                };
                let res = cw
                    .gql(
                        &cw.coordinator,
                        "mutation($i: SuggestMatchInput!) { suggestMatch(input: $i) { match { id } } }",
                        json!({ "i": { "householdId": hs[pick].id, "technologyId": tech } }),
                    )
                    .await;
                match res.body.pointer("/data/suggestMatch/match/id") {
                    Some(id) => {
                        matches.push((id.clone(), 1, "SUGGESTED"));
                        true
                    }
                    None => false,
                }
            }
            6 => {
                if matches.is_empty() {
                    false
                } else {
                    let i = rng.random_range(0..matches.len());
                    let (id, version, status) = matches[i].clone();
                    let (to, extra): (&'static str, Value) = match status {
                        "SUGGESTED" => ("OFFERED", json!({})),
                        "OFFERED" => ("ACCEPTED", json!({})),
                        "ACCEPTED" => ("IN_TRAINING", json!({})),
                        "IN_TRAINING" if rng.random_bool(0.7) => {
                            ("ADOPTED", json!({ "followUpIncome": 3000 }))
                        }
                        "IN_TRAINING" | "ADOPTED" => ("DROPPED", json!({ "reason": "ย้ายงาน" })),
                        _ => ("", json!({})),
                    };
                    if to.is_empty() {
                        false
                    } else {
                        let mut input = json!({ "matchId": id, "version": version, "to": to });
                        for (k, v) in extra.as_object().unwrap() {
                            input[k] = v.clone();
                        }
                        let res = cw.gql(&cw.staff, MOVE_MATCH, json!({ "i": input })).await;
                        match res.body.pointer("/data/transitionMatch/match/version") {
                            Some(v) => {
                                matches[i] = (id, v.as_i64().unwrap(), to);
                                true
                            }
                            None => false,
                        }
                    }
                }
            }
            7 => {
                // Open a case if needed and refer it.
                if hs[pick].cases.is_empty() {
                    let case = cw.open_case(&hs[pick].id).await;
                    hs[pick].cases.push(case);
                }
                let case = hs[pick].cases[0].clone();
                let res = cw
                    .refer_with(&cw.coordinator, &case, cw.agency.id, json!({}))
                    .await;
                match res.body.pointer("/data/referCase/referral/id") {
                    Some(id) => {
                        referrals.push((id.clone(), "PENDING"));
                        true
                    }
                    None => false,
                }
            }
            9 => {
                // A household and a look-alike of it beside it: the look-alike is assessed,
                // then merged into the first (it stays as DUPLICATE, its assessment no longer
                // counts on the ladder).
                let village = villages[rng.random_range(0..villages.len())];
                let (survivor, _) = register_named(&cw, village, &format!("ทองคำ{step}")).await;
                let (lookalike, flagged) =
                    register_named(&cw, village, &format!("ทองคำ{step}ก")).await;
                hs.push(Walked {
                    id: survivor.clone(),
                    version: 1,
                    status: "DISCOVERED",
                    assessments: vec![],
                    active: false,
                    cases: vec![],
                });
                assess(
                    &cw,
                    &lookalike,
                    [1.4, 2.6, 3.3][rng.random_range(0..3)],
                    true,
                )
                .await;
                let flag = flagged.as_array().unwrap().iter().find(|f| {
                    f["household"]["id"] == survivor || f["otherHousehold"]["id"] == survivor
                });
                match flag {
                    Some(flag) => cw
                        .gql(
                            &cw.coordinator,
                            RESOLVE,
                            json!({ "i": { "id": flag["id"], "resolution": "MERGE",
                                           "survivorHouseholdId": survivor } }),
                        )
                        .await
                        .body
                        .pointer("/data/resolveDuplicate")
                        .is_some_and(|v| !v.is_null()),
                    None => false,
                }
            }
            _ => {
                // Move a referral on, delivering an intervention on some accepted ones.
                if referrals.is_empty() {
                    false
                } else {
                    let i = rng.random_range(0..referrals.len());
                    let (id, status) = referrals[i].clone();
                    match status {
                        "PENDING" => match rng.random_range(0..3) {
                            0 => {
                                cw.reject(&cw.staff, &id).await;
                                referrals[i].1 = "REJECTED";
                            }
                            1 => {
                                cw.revoke(&id).await;
                                referrals[i].1 = "REVOKED";
                            }
                            _ => {
                                cw.accept(&cw.staff, &id).await;
                                referrals[i].1 = "ACCEPTED";
                            }
                        },
                        "ACCEPTED" => {
                            if rng.random_bool(0.6) {
                                cw.record_intervention(&cw.staff, &id).await;
                            } else {
                                cw.complete_referral(&cw.staff, &id).await;
                                referrals[i].1 = "DONE";
                            }
                        }
                        _ => {}
                    }
                    status == "PENDING" || status == "ACCEPTED"
                }
            }
        };
        tried[op] += 1;
        if ok {
            done[op] += 1;
        }
        if step % 37 == 36 {
            assert_recounts(app).await;
        }
    }
    // Every kind of write went through several times.
    assert!(
        done.iter().all(|d| *d >= 3),
        "writes that went through per kind: {done:?} of {tried:?}"
    );
    assert!(hs.iter().any(|h| h.active));
    assert_recounts(app).await;
}

fn import_file(rows: &[(String, &str)]) -> String {
    let mut csv = String::from(
        "household_external_scheme,household_external_id,village_code,house_number,address,lat,lng,\
         source,household_size,member_role,given_name,family_name,sex,birth_date,phone,id_type,\
         national_id,education,occupation,disability,chronic_illness",
    );
    // Heads unlike each other (name, family, birth year), so that none is a look-alike.
    const SYLLABLES: [&str; 10] = ["กา", "นี", "สม", "ศรี", "มา", "ลี", "ทอง", "คำ", "บุญ", "แก้ว"];
    for (i, (key, village)) in rows.iter().enumerate() {
        let name: String = format!("{i:04}")
            .chars()
            .map(|d| SYLLABLES[d.to_digit(10).unwrap() as usize])
            .collect();
        let family = SYLLABLES[(i / 7) % 10].repeat(2);
        let born = 1940 + i % 60;
        csv.push_str(&format!(
            "\nTPMAP,{key},{village},1/{key},หมู่ 1,,,TPMAP,,HEAD,{name},{family},FEMALE,{born}-05-01,,,,,,,"
        ));
    }
    csv.push('\n');
    csv
}

#[actix_web::test]
async fn an_import_moves_the_rollups_by_its_households_in_their_villages() {
    let cw = casework().await;
    mae_mo(&cw.app).await;
    let app = &cw.app;
    // Something there already.
    cw.household(1).await;
    let before = (
        n(app, LAMPANG_VILLAGE, metric::HOUSEHOLDS, "DISCOVERED").await,
        n(app, MAE_MO_VILLAGE, metric::HOUSEHOLDS, "DISCOVERED").await,
        n(app, "52", metric::HOUSEHOLDS, "DISCOVERED").await,
    );
    assert_eq!(before, (1, 0, 1));
    let rows: Vec<(String, &str)> = (0..60)
        .map(|i| {
            (
                format!("R{i}"),
                if i % 3 == 0 {
                    MAE_MO_VILLAGE
                } else {
                    LAMPANG_VILLAGE
                },
            )
        })
        .collect();
    let totals = import_households(
        &app.db,
        &app.state.services.pii,
        &Scope::All,
        &Actor::system("test"),
        import_file(&rows).as_bytes(),
        &mut |_| {},
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(totals.created, 60);
    assert_eq!(
        n(app, LAMPANG_VILLAGE, metric::HOUSEHOLDS, "DISCOVERED").await,
        41
    );
    assert_eq!(
        n(app, MAE_MO_VILLAGE, metric::HOUSEHOLDS, "DISCOVERED").await,
        20
    );
    assert_eq!(n(app, "5201", metric::HOUSEHOLDS, "DISCOVERED").await, 41);
    assert_eq!(n(app, "5202", metric::HOUSEHOLDS, "DISCOVERED").await, 20);
    assert_eq!(n(app, "52", metric::HOUSEHOLDS, "DISCOVERED").await, 61);
    assert_recounts(app).await;

    // Importing the same file again changes nothing.
    let version = n(app, "52", metric::VERSION, "").await;
    import_households(
        &app.db,
        &app.state.services.pii,
        &Scope::All,
        &Actor::system("test"),
        import_file(&rows).as_bytes(),
        &mut |_| {},
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(n(app, "52", metric::HOUSEHOLDS, "DISCOVERED").await, 61);
    assert_eq!(n(app, "52", metric::VERSION, "").await, version);

    // `touch` takes the same few statements for 5 households as for 60 (measured on a copy
    // of the contributions that is thrown away: each household counts as new).
    let all: Vec<uuid::Uuid> = household::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect();
    let mut counts = Vec::new();
    for batch in [&all[..5], &all[..]] {
        let txn = app.db.begin().await.unwrap();
        household_contribution::Entity::delete_many()
            .filter(household_contribution::Column::HouseholdId.is_in(batch.iter().copied()))
            .exec(&txn)
            .await
            .unwrap();
        app.reset_statements().await;
        rollup::touch(&txn, batch).await.unwrap();
        counts.push(app.statements());
        txn.rollback().await.unwrap();
    }
    // ≤ 7 reads (none of assessments when nobody counts), 1 delete, 1 insert of contributions,
    // 1 upsert of the deltas.
    assert!(counts.iter().all(|c| *c <= 10), "statements: {counts:?}");
    assert_eq!(counts[0], counts[1], "statements: {counts:?}");
    assert_eq!(all.len(), 61);
    assert_recounts(app).await;
}

#[actix_web::test]
async fn a_check_finds_tampered_rollups_and_a_rebuild_repairs_them() {
    let cw = casework().await;
    let app = &cw.app;
    let h = cw.household(1).await;
    assess(&cw, &h, 2.0, true).await;
    cw.household(2).await;
    assert_recounts(app).await;
    let version = n(app, "52", metric::VERSION, "").await;

    // One count off by one, one row gone, one row that should not be there.
    area_rollup::Entity::update_many()
        .col_expr(
            area_rollup::Column::N,
            Expr::col(area_rollup::Column::N).add(1),
        )
        .filter(area_rollup::Column::AreaCode.eq("5201"))
        .filter(area_rollup::Column::Metric.eq(metric::HOUSEHOLDS))
        .filter(area_rollup::Column::Bucket.eq("DISCOVERED"))
        .exec(&app.db)
        .await
        .unwrap();
    area_rollup::Entity::delete_many()
        .filter(area_rollup::Column::AreaCode.eq(LAMPANG_VILLAGE))
        .filter(area_rollup::Column::Metric.eq(metric::LADDER))
        .filter(area_rollup::Column::Bucket.eq("OVERALL.DIFFICULT"))
        .exec(&app.db)
        .await
        .unwrap();
    area_rollup::Entity::insert(area_rollup::ActiveModel {
        area_code: sea_orm::Set("95".into()),
        parent_code: sea_orm::Set(String::new()),
        metric: sea_orm::Set(metric::HOUSEHOLDS.into()),
        bucket: sea_orm::Set("ENROLLED".into()),
        n: sea_orm::Set(4),
        quantity: sea_orm::Set(0.0),
        amount_satang: sea_orm::Set(0),
    })
    .exec_without_returning(&app.db)
    .await
    .unwrap();

    let differences = rollup::check(&app.db).await.unwrap();
    let found: Vec<(String, String, String, i64, i64)> = differences
        .into_iter()
        .map(|d| (d.area_code, d.metric, d.bucket, d.stored.n, d.recounted.n))
        .collect();
    let s = |a: &str, m: &str, b: &str, stored, recounted| {
        (
            a.to_string(),
            m.to_string(),
            b.to_string(),
            stored,
            recounted,
        )
    };
    assert_eq!(
        found,
        vec![
            s("5201", "households", "DISCOVERED", 3, 2),
            s(LAMPANG_VILLAGE, "ladder", "OVERALL.DIFFICULT", 0, 1),
            s("95", "households", "ENROLLED", 4, 0),
        ]
    );

    let summary = rollup::rebuild(&app.db).await.unwrap();
    assert_eq!(summary.households, 2);
    assert_recounts(app).await;
    assert_eq!(n(app, "95", metric::HOUSEHOLDS, "ENROLLED").await, 0);
    // Readers' caches see the change; the marker counts the rebuilds (one at start).
    assert_eq!(n(app, "52", metric::VERSION, "").await, version + 1);
    assert_eq!(n(app, "", metric::BUILT, "").await, 2);
    assert_eq!(
        household_contribution::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        // The assessed household: households, 6 ladder cells, income; the other: households.
        8 + 1
    );
}

/// The cost of keeping rollups current on import (docs/rollups.md, "Cost"): imports
/// `ROLLUP_BENCH_HOUSEHOLDS` (default 5,000) households into 50 villages, then times `touch`
/// alone on each import batch of the same households (in a transaction rolled back, with
/// their contributions removed first, so it does the work the import's did), and a rebuild
/// and a check. Run: `TEST_DATABASE_URL=… cargo test -p tests -- --ignored --nocapture
/// rollup_cost`.
#[actix_web::test]
#[ignore = "a measurement, not a test"]
async fn rollup_cost_of_an_import() {
    use std::time::Instant;
    let app = TestApp::spawn().await;
    let total: usize = std::env::var("ROLLUP_BENCH_HOUSEHOLDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let mut areas =
        String::from("code,level,parent_code,name_th,name_en,postal_code,lat,lng,region\n");
    let mut villages = Vec::new();
    for sub in ["520101", "520201"] {
        for i in 1..=25 {
            let code = format!("{sub}{i:02}");
            areas.push_str(&format!("{code},VILLAGE,{sub},บ้าน{code},Ban {code},,,,\n"));
            villages.push(code);
        }
    }
    api::area::service::import_areas(&app.db, areas.as_bytes())
        .await
        .unwrap();
    let rows: Vec<(String, &str)> = (0..total)
        .map(|i| (format!("B{i}"), villages[i % villages.len()].as_str()))
        .collect();
    let csv = import_file(&rows);
    let started = Instant::now();
    let totals = import_households(
        &app.db,
        &app.state.services.pii,
        &Scope::All,
        &Actor::system("bench"),
        csv.as_bytes(),
        &mut |_| {},
        &mut |_| {},
    )
    .await
    .unwrap();
    let import_secs = started.elapsed().as_secs_f64();
    assert_eq!(totals.created as usize, total);

    let ids: Vec<uuid::Uuid> = household::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect();
    let batch = api::household::import::BATCH_HOUSEHOLDS;
    let mut touch_secs = 0.0;
    for chunk in ids.chunks(batch) {
        let txn = app.db.begin().await.unwrap();
        household_contribution::Entity::delete_many()
            .filter(household_contribution::Column::HouseholdId.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await
            .unwrap();
        let t = Instant::now();
        rollup::touch(&txn, chunk).await.unwrap();
        touch_secs += t.elapsed().as_secs_f64();
        txn.rollback().await.unwrap();
    }
    let t = Instant::now();
    rollup::rebuild(&app.db).await.unwrap();
    let rebuild_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    assert!(rollup::check(&app.db).await.unwrap().is_empty());
    let check_secs = t.elapsed().as_secs_f64();
    let batches = total.div_ceil(batch);
    println!(
        "rollup cost: {total} households in {batches} batches of {batch}: import {import_secs:.2} s \
         ({:.0} households/s with rollups); touch {touch_secs:.2} s ({:.1} ms per batch, {:.0}% \
         of the import); without it ≈ {:.0} households/s; rebuild {rebuild_secs:.2} s, check \
         {check_secs:.2} s",
        total as f64 / import_secs,
        1000.0 * touch_secs / batches as f64,
        100.0 * touch_secs / import_secs,
        total as f64 / (import_secs - touch_secs),
    );
}
