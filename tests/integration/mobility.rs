//! Ladder movement (docs/mobility.md) on a constructed data set whose answers are known:
//! a household's ladder, an area's transition matrices, up / stayed / fell by intervention
//! kind and by technology, drill-downs that list exactly the households a figure counts,
//! and the measured effect that recommendations carry.
use chrono::Utc;
use entity::{
    enums::{InterventionKind, Role},
    intervention,
};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    Client, TestApp,
    builders::{AgencyBuilder, AssessmentSpec, HouseholdBuilder, TechnologyBuilder},
    casework::uuid_of,
    fixtures::{AccountBuilder, LAMPANG_VILLAGE, LAMPANG_VILLAGE_2, seed_villages},
    graduation::days_ago,
};

const TRANSITION: &str = "mutation($i: TransitionMatchInput!) { transitionMatch(input: $i) { match { status version } } }";

/// An ACTIVE assessment on `on` of three people with land: every capital at `score`,
/// `income` baht per person per month.
fn round(on: &str, score: f64, income: f64) -> AssessmentSpec {
    AssessmentSpec::new(score, income)
        .on(on)
        .activate(true)
        .with(json!({ "hasLand": true }))
}

struct World {
    app: TestApp,
    coordinator: Client,
    /// H1 … H7 (index 0 … 6).
    households: Vec<Value>,
    /// (baseline, endline) assessment ids of H3.
    h3_rounds: (Value, Value),
    technology: Value,
    from: String,
    to: String,
}

impl World {
    fn h(&self, n: usize) -> &Value {
        &self.households[n - 1]
    }
}

async fn suggest(app: &TestApp, who: &Client, household: &Value, technology: &Value) -> Value {
    app.gql(
        Some(&who.token),
        "mutation($i: SuggestMatchInput!) { suggestMatch(input: $i) { match { id } } }",
        json!({ "i": { "householdId": household, "technologyId": technology } }),
    )
    .await
    .data("/suggestMatch/match/id")
    .clone()
}

async fn move_match(app: &TestApp, who: &Client, m: &Value, steps: &[&str]) {
    for (i, to) in steps.iter().enumerate() {
        let reason = (*to == "DECLINED").then_some("ไม่สนใจ");
        app.gql(
            Some(&who.token),
            TRANSITION,
            json!({ "i": { "matchId": m, "version": i + 1, "to": to, "reason": reason } }),
        )
        .await
        .data("/transitionMatch/match/status");
    }
}

async fn deliver(app: &TestApp, household: &Value, agency: Uuid, kind: InterventionKind, on: &str) {
    intervention::ActiveModel {
        id: Set(Uuid::now_v7()),
        household_id: Set(uuid_of(household)),
        case_id: Set(None),
        referral_id: Set(None),
        match_id: Set(None),
        kind: Set(kind),
        target_capital: Set(None),
        quantity: Set(1.0),
        unit: Set("ครั้ง".into()),
        cost_satang: Set(None),
        delivered_on: Set(on.parse().unwrap()),
        delivering_agency_id: Set(agency),
        notes: Set(None),
        recorded_by: Set(None),
        created_at: Set(Utc::now()),
        client_created_at: Set(None),
    }
    .insert(&app.db)
    .await
    .expect("fixture intervention");
}

/// The data set (levels: 1.5 STRUGGLING, 2.0 DIFFICULT, 3.0 MANAGEABLE, 3.5 WELL; incomes
/// 2,000 BELOW_POVERTY_LINE, 2,500 BPL, 4,000 BELOW_POOREST_40, 6,000 BELOW_MEDIAN, 7,000
/// ABOVE_MEDIAN). Round 1 is 400 days ago, round 2 today; the period runs from 450 days ago
/// to today, so every baseline is "the first after `from`".
///
/// | | village | round 1 → round 2 | income | interventions in the window | technology T |
/// |---|---|---|---|---|---|
/// | H1 | A | S → D (up) | 2,000 → 4,000 | TRAINING | ADOPTED |
/// | H2 | A | S → S (human 1.5 → 2.0: up) | 2,000 → 2,500 | CASH | DECLINED |
/// | H3 | A | D → M (up) | 4,000 → 6,000 | TRAINING, CASH | ADOPTED |
/// | H4 | B | D → S (fell) | 4,000 → 2,000 | (TRAINING before round 1) | — |
/// | H5 | B | M → W (up), then a CANCELLED 1.0 | 6,000 → 7,000 | — | — |
/// | H6 | B | S, then a DRAFT (not reassessed) | 2,000 | — | — |
/// | H7 | A | S → S | 2,000 → 2,000 | — | — |
async fn world(adjust: impl FnOnce(&mut api::config::Settings)) -> World {
    // The exact figures right after the world's last write (the evidence computed during
    // setup is not reused for a refresh interval unless a test asks for one).
    let app = TestApp::spawn_with(|s| {
        s.measurement.evidence_refresh_secs = 0;
        adjust(s)
    })
    .await;
    seed_villages(&app).await;
    let admin = app.client(Role::Admin).await;
    let coordinator = app.client(Role::Coordinator).await;
    let agency = AgencyBuilder::new("RMUT Lanna Lampang").create(&app).await;
    let t = TechnologyBuilder::new(agency.id, "Fish feed")
        .create(&app, &admin.token)
        .await;
    let (r1, r2) = (days_ago(400), days_ago(0));
    let villages = [
        LAMPANG_VILLAGE,
        LAMPANG_VILLAGE,
        LAMPANG_VILLAGE,
        LAMPANG_VILLAGE_2,
        LAMPANG_VILLAGE_2,
        LAMPANG_VILLAGE_2,
        LAMPANG_VILLAGE,
    ];
    let mut households = Vec::new();
    for (i, v) in villages.iter().enumerate() {
        let h = HouseholdBuilder::new(700 + i as u64)
            .village(v)
            .head(&format!("ครัวเรือน{i}"))
            .create(&app, &coordinator.token)
            .await;
        households.push(h.id);
    }
    let h = |n: usize| households[n - 1].clone();
    let c = &coordinator;
    round(&r1, 1.5, 2000.0).record(&app, &c.token, &h(1)).await;
    round(&r1, 1.5, 2000.0).record(&app, &c.token, &h(2)).await;
    let h3_base = round(&r1, 2.0, 4000.0).record(&app, &c.token, &h(3)).await;
    round(&r1, 2.0, 4000.0).record(&app, &c.token, &h(4)).await;
    round(&r1, 3.0, 6000.0).record(&app, &c.token, &h(5)).await;
    round(&r1, 1.5, 2000.0).record(&app, &c.token, &h(6)).await;
    round(&r1, 1.5, 2000.0).record(&app, &c.token, &h(7)).await;
    // Matches (on the round-1 assessments): H1 and H3 adopt T, H2 declines it.
    for n in [1, 3] {
        let m = suggest(&app, c, &h(n), &t).await;
        move_match(
            &app,
            c,
            &m,
            &["OFFERED", "ACCEPTED", "IN_TRAINING", "ADOPTED"],
        )
        .await;
    }
    let m = suggest(&app, c, &h(2), &t).await;
    move_match(&app, c, &m, &["DECLINED"]).await;
    round(&r2, 2.0, 4000.0).record(&app, &c.token, &h(1)).await;
    round(&r2, 1.5, 2500.0)
        .human(2.0)
        .record(&app, &c.token, &h(2))
        .await;
    let h3_end = round(&r2, 3.0, 6000.0).record(&app, &c.token, &h(3)).await;
    round(&r2, 1.5, 2000.0).record(&app, &c.token, &h(4)).await;
    round(&r2, 3.5, 7000.0).record(&app, &c.token, &h(5)).await;
    let cancelled = round(&r2, 1.0, 100.0).record(&app, &c.token, &h(5)).await;
    app.gql(
        Some(&c.token),
        "mutation($i: AssessmentStatusInput!) { cancelAssessment(input: $i) { assessment { status } } }",
        json!({ "i": { "id": cancelled, "reason": "บันทึกผิดครัวเรือน" } }),
    )
    .await
    .data("/cancelAssessment/assessment/status");
    round(&r2, 3.5, 7000.0)
        .activate(false)
        .record(&app, &c.token, &h(6))
        .await;
    round(&r2, 1.5, 2000.0).record(&app, &c.token, &h(7)).await;
    deliver(
        &app,
        &h(1),
        agency.id,
        InterventionKind::Training,
        &days_ago(200),
    )
    .await;
    deliver(
        &app,
        &h(2),
        agency.id,
        InterventionKind::Cash,
        &days_ago(100),
    )
    .await;
    deliver(
        &app,
        &h(3),
        agency.id,
        InterventionKind::Training,
        &days_ago(150),
    )
    .await;
    deliver(
        &app,
        &h(3),
        agency.id,
        InterventionKind::Cash,
        &days_ago(50),
    )
    .await;
    deliver(
        &app,
        &h(4),
        agency.id,
        InterventionKind::Training,
        &days_ago(450),
    )
    .await;
    World {
        app,
        coordinator,
        households,
        h3_rounds: (h3_base, h3_end),
        technology: t,
        from: days_ago(450),
        to: days_ago(0),
    }
}

const MOBILITY: &str = "query($a: String!, $f: NaiveDate!, $t: NaiveDate!) { mobility(areaCode: $a, from: $f, to: $t) {
  areaCode households reassessed notReassessed up stayed fell
  ladders { capital up stayed fell cells { fromLevel toLevel households } }
  income { up stayed fell meanChange cells { fromLevel toLevel households } }
  byInterventionKind { kind reassessed up stayed fell meanIncomeChange }
  byTechnology { technologyId technology { name } adopters adoptersUp comparison comparisonUp adopterUpRate
    comparisonUpRate adopterIncomeChange comparisonIncomeChange byLevel { level adopters adoptersUp comparison comparisonUp } } } }";

const DRILL: &str =
    "query($a: String!, $f: NaiveDate!, $t: NaiveDate!, $p: MobilityPopulation, $c: MobilityCapital,
  $fl: LadderLevel, $tl: LadderLevel, $d: MovementDirection, $ifl: IncomeLevel, $itl: IncomeLevel,
  $k: InterventionKind, $tech: ID, $g: MobilityGroup, $n: Int, $after: String) {
  mobilityHouseholds(areaCode: $a, from: $f, to: $t, population: $p, capital: $c, fromLevel: $fl,
    toLevel: $tl, direction: $d, incomeFromLevel: $ifl, incomeToLevel: $itl, interventionKind: $k,
    technologyId: $tech, group: $g, first: $n, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id } } }";

impl World {
    async fn mobility(&self, who: &Client, area: &str) -> Value {
        self.app
            .gql(
                Some(&who.token),
                MOBILITY,
                json!({ "a": area, "f": self.from, "t": self.to }),
            )
            .await
            .data("/mobility")
            .clone()
    }

    /// Every household of a drill-down (paging through it 2 at a time), sorted.
    async fn drill(&self, who: &Client, area: &str, filters: Value) -> (i64, Vec<String>) {
        let mut vars = json!({ "a": area, "f": self.from, "t": self.to, "n": 2 });
        for (k, v) in filters.as_object().unwrap() {
            vars[k] = v.clone();
        }
        let mut ids = Vec::new();
        loop {
            let res = self.app.gql(Some(&who.token), DRILL, vars.clone()).await;
            let page = res.data("/mobilityHouseholds").clone();
            for n in page["nodes"].as_array().unwrap() {
                ids.push(n["id"].as_str().unwrap().to_string());
            }
            if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                ids.sort();
                return (page["totalCount"].as_i64().unwrap(), ids);
            }
            vars["after"] = page["pageInfo"]["endCursor"].clone();
        }
    }

    fn ids(&self, ns: &[usize]) -> Vec<String> {
        let mut v: Vec<String> = ns
            .iter()
            .map(|n| self.h(*n).as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    }
}

fn nonzero(cells: &Value) -> Vec<(String, String, i64)> {
    cells
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["households"].as_i64().unwrap() > 0)
        .map(|c| {
            (
                c["fromLevel"].as_str().unwrap().to_string(),
                c["toLevel"].as_str().unwrap().to_string(),
                c["households"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn cells(list: &[(&str, &str, i64)]) -> Vec<(String, String, i64)> {
    list.iter()
        .map(|(f, t, n)| (f.to_string(), t.to_string(), *n))
        .collect()
}

#[actix_web::test]
async fn an_area_s_transitions_counts_and_splits_are_the_known_answers_and_each_drills_into_its_households()
 {
    let w = world(|_| {}).await;
    let c = &w.coordinator;
    let m = w.mobility(c, "52").await;
    assert_eq!(m["areaCode"], "52");
    assert_eq!(
        (&m["households"], &m["reassessed"], &m["notReassessed"]),
        (&json!(7), &json!(6), &json!(1))
    );
    assert_eq!(
        (&m["up"], &m["stayed"], &m["fell"]),
        (&json!(3), &json!(2), &json!(1))
    );

    let ladders = m["ladders"].as_array().unwrap();
    let capitals: Vec<&str> = ladders
        .iter()
        .map(|l| l["capital"].as_str().unwrap())
        .collect();
    assert_eq!(
        capitals,
        [
            "OVERALL",
            "HUMAN",
            "PHYSICAL",
            "FINANCIAL",
            "NATURAL",
            "SOCIAL"
        ]
    );
    assert!(
        ladders
            .iter()
            .all(|l| l["cells"].as_array().unwrap().len() == 16)
    );
    assert_eq!(
        nonzero(&ladders[0]["cells"]),
        cells(&[
            ("STRUGGLING", "STRUGGLING", 2),
            ("STRUGGLING", "DIFFICULT", 1),
            ("DIFFICULT", "STRUGGLING", 1),
            ("DIFFICULT", "MANAGEABLE", 1),
            ("MANAGEABLE", "WELL", 1),
        ])
    );
    // H2's human capital went 1.5 → 2.0 while its overall stayed STRUGGLING.
    assert_eq!(
        nonzero(&ladders[1]["cells"]),
        cells(&[
            ("STRUGGLING", "STRUGGLING", 1),
            ("STRUGGLING", "DIFFICULT", 2),
            ("DIFFICULT", "STRUGGLING", 1),
            ("DIFFICULT", "MANAGEABLE", 1),
            ("MANAGEABLE", "WELL", 1),
        ])
    );
    assert_eq!(
        (
            &ladders[1]["up"],
            &ladders[1]["stayed"],
            &ladders[1]["fell"]
        ),
        (&json!(4), &json!(1), &json!(1))
    );
    assert_eq!(ladders[2]["cells"], ladders[0]["cells"]);

    let income = &m["income"];
    assert_eq!(
        (&income["up"], &income["stayed"], &income["fell"]),
        (&json!(3), &json!(2), &json!(1))
    );
    // (2,000 + 500 + 2,000 − 2,000 + 1,000 + 0) / 6
    assert!((income["meanChange"].as_f64().unwrap() - 3500.0 / 6.0).abs() < 1e-9);
    assert_eq!(
        nonzero(&income["cells"]),
        cells(&[
            ("BELOW_POVERTY_LINE", "BELOW_POVERTY_LINE", 2),
            ("BELOW_POVERTY_LINE", "BELOW_POOREST_40", 1),
            ("BELOW_POOREST_40", "BELOW_POVERTY_LINE", 1),
            ("BELOW_POOREST_40", "BELOW_MEDIAN", 1),
            ("BELOW_MEDIAN", "ABOVE_MEDIAN", 1),
        ])
    );

    let kinds = m["byInterventionKind"].as_array().unwrap();
    assert_eq!(kinds.len(), 7);
    let kind = |k: &str| kinds.iter().find(|x| x["kind"] == k).unwrap().clone();
    // H4's training came before its baseline: not counted.
    assert_eq!(
        kind("TRAINING"),
        json!({ "kind": "TRAINING", "reassessed": 2, "up": 2, "stayed": 0, "fell": 0, "meanIncomeChange": 2000.0 })
    );
    assert_eq!(
        kind("CASH"),
        json!({ "kind": "CASH", "reassessed": 2, "up": 1, "stayed": 1, "fell": 0, "meanIncomeChange": 1250.0 })
    );
    assert_eq!(kind("HOUSING_REPAIR")["reassessed"], 0);
    assert_eq!(kind("HOUSING_REPAIR")["meanIncomeChange"], Value::Null);

    // T: adopters H1 (STRUGGLING, up) and H3 (DIFFICULT, up); comparison H7 (STRUGGLING;
    // H2 was matched, declined) and H4 (DIFFICULT, fell); H5 starts MANAGEABLE, where T has
    // no adopters: nothing to compare it with.
    let techs = m["byTechnology"].as_array().unwrap();
    assert_eq!(techs.len(), 1);
    let t = &techs[0];
    assert_eq!(t["technologyId"], w.technology);
    assert_eq!(t["technology"]["name"], "Fish feed");
    assert_eq!(
        (
            &t["adopters"],
            &t["adoptersUp"],
            &t["comparison"],
            &t["comparisonUp"]
        ),
        (&json!(2), &json!(2), &json!(2), &json!(0))
    );
    assert_eq!(
        (&t["adopterUpRate"], &t["comparisonUpRate"]),
        (&json!(1.0), &json!(0.0))
    );
    assert_eq!(t["adopterIncomeChange"], json!(2000.0));
    // Standardised: half the adopters start STRUGGLING (H7: 0), half DIFFICULT (H4: −2,000).
    assert_eq!(t["comparisonIncomeChange"], json!(-1000.0));
    assert_eq!(
        t["byLevel"],
        json!([
            { "level": "STRUGGLING", "adopters": 1, "adoptersUp": 1, "comparison": 1, "comparisonUp": 0 },
            { "level": "DIFFICULT", "adopters": 1, "adoptersUp": 1, "comparison": 1, "comparisonUp": 0 },
            { "level": "MANAGEABLE", "adopters": 0, "adoptersUp": 0, "comparison": 0, "comparisonUp": 0 },
            { "level": "WELL", "adopters": 0, "adoptersUp": 0, "comparison": 0, "comparisonUp": 0 },
        ])
    );

    // Drill-downs: the households behind each figure, as many as the figure says.
    let area = "52";
    assert_eq!(
        w.drill(c, area, json!({ "p": "CONSIDERED" })).await,
        (7, w.ids(&[1, 2, 3, 4, 5, 6, 7]))
    );
    assert_eq!(
        w.drill(c, area, json!({})).await,
        (6, w.ids(&[1, 2, 3, 4, 5, 7]))
    );
    assert_eq!(
        w.drill(c, area, json!({ "p": "NOT_REASSESSED" })).await,
        (1, w.ids(&[6]))
    );
    assert_eq!(
        w.drill(c, area, json!({ "d": "UP" })).await,
        (3, w.ids(&[1, 3, 5]))
    );
    assert_eq!(
        w.drill(c, area, json!({ "d": "FELL" })).await,
        (1, w.ids(&[4]))
    );
    for (i, ladder) in ladders.iter().enumerate() {
        for cell in ladder["cells"].as_array().unwrap() {
            let (n, ids) = w
                .drill(c, area, json!({ "c": ladder["capital"], "fl": cell["fromLevel"], "tl": cell["toLevel"] }))
                .await;
            assert_eq!(
                n,
                cell["households"].as_i64().unwrap(),
                "ladder {i}: {cell}"
            );
            assert_eq!(ids.len() as i64, n);
        }
        for d in ["UP", "STAYED", "FELL"] {
            let (n, _) = w
                .drill(c, area, json!({ "c": ladder["capital"], "d": d }))
                .await;
            assert_eq!(
                json!(n),
                ladder[d.to_lowercase()],
                "{} {d}",
                ladder["capital"]
            );
        }
    }
    for cell in income["cells"].as_array().unwrap() {
        let (n, _) = w
            .drill(
                c,
                area,
                json!({ "ifl": cell["fromLevel"], "itl": cell["toLevel"] }),
            )
            .await;
        assert_eq!(n, cell["households"].as_i64().unwrap(), "{cell}");
    }
    assert_eq!(
        w.drill(
            c,
            area,
            json!({ "c": "HUMAN", "fl": "STRUGGLING", "tl": "DIFFICULT" })
        )
        .await,
        (2, w.ids(&[1, 2]))
    );
    for k in kinds {
        let (n, _) = w.drill(c, area, json!({ "k": k["kind"] })).await;
        assert_eq!(json!(n), k["reassessed"], "{k}");
    }
    assert_eq!(
        w.drill(c, area, json!({ "k": "TRAINING" })).await.1,
        w.ids(&[1, 3])
    );
    assert_eq!(
        w.drill(c, area, json!({ "tech": w.technology })).await,
        (2, w.ids(&[1, 3]))
    );
    assert_eq!(
        w.drill(c, area, json!({ "tech": w.technology, "g": "COMPARISON" }))
            .await,
        (2, w.ids(&[4, 7]))
    );
    for level in t["byLevel"].as_array().unwrap() {
        for (g, key) in [("ADOPTERS", "adopters"), ("COMPARISON", "comparison")] {
            let (n, _) = w
                .drill(
                    c,
                    area,
                    json!({ "tech": w.technology, "g": g, "fl": level["level"] }),
                )
                .await;
            assert_eq!(json!(n), level[key], "{g} {level}");
        }
    }

    // A village: only its households.
    let a = w.mobility(c, LAMPANG_VILLAGE).await;
    assert_eq!(
        (&a["households"], &a["up"], &a["stayed"]),
        (&json!(4), &json!(2), &json!(2))
    );

    // A surveyor of village B sees only village B, even when asking for the province.
    let surveyor = AccountBuilder::new(Role::Surveyor)
        .scopes(&[LAMPANG_VILLAGE_2])
        .create(&w.app)
        .await;
    let surveyor = w.app.client_for(&surveyor).await;
    let b = w.mobility(&surveyor, "52").await;
    assert_eq!(
        (&b["households"], &b["reassessed"], &b["up"], &b["fell"]),
        (&json!(3), &json!(2), &json!(1), &json!(1))
    );
    assert_eq!(b["byTechnology"], json!([]));
    assert_eq!(
        w.drill(&surveyor, "52", json!({ "p": "CONSIDERED" })).await,
        (3, w.ids(&[4, 5, 6]))
    );
}

#[actix_web::test]
async fn a_household_s_ladder_names_its_baseline_and_endline_and_what_it_got_in_between() {
    let w = world(|_| {}).await;
    let c = &w.coordinator;
    let q = "query($id: ID!, $f: NaiveDate, $t: NaiveDate) { household(id: $id) { ladderMovement(from: $f, to: $t) {
        baseline { id assessedOn } endline { id } reassessed
        overall { capital fromLevel toLevel fromScore toScore scoreChange direction }
        capitals { capital fromLevel toLevel direction }
        income { fromLevel toLevel fromIncomePerPerson toIncomePerPerson change direction }
        interventions { kind deliveredOn } matches { status technology { name } } } } }";
    let (w, c) = (&w, c);
    let ladder = |h: &Value, f: Option<String>, t: Option<String>| {
        let vars = json!({ "id": h, "f": f, "t": t });
        async move {
            w.app
                .gql(Some(&c.token), q, vars)
                .await
                .data("/household/ladderMovement")
                .clone()
        }
    };
    let l = ladder(w.h(3), Some(w.from.clone()), Some(w.to.clone())).await;
    assert_eq!(l["baseline"]["id"], w.h3_rounds.0);
    assert_eq!(l["endline"]["id"], w.h3_rounds.1);
    assert_eq!(l["reassessed"], true);
    assert_eq!(
        l["overall"],
        json!({ "capital": "OVERALL", "fromLevel": "DIFFICULT", "toLevel": "MANAGEABLE",
                "fromScore": 2.0, "toScore": 3.0, "scoreChange": 1.0, "direction": "UP" })
    );
    assert_eq!(l["capitals"].as_array().unwrap().len(), 5);
    assert_eq!(
        l["income"],
        json!({ "fromLevel": "BELOW_POOREST_40", "toLevel": "BELOW_MEDIAN", "fromIncomePerPerson": 4000.0,
                "toIncomePerPerson": 6000.0, "change": 2000.0, "direction": "UP" })
    );
    let kinds: Vec<&str> = l["interventions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["TRAINING", "CASH"]);
    assert_eq!(
        l["matches"],
        json!([{ "status": "ADOPTED", "technology": { "name": "Fish feed" } }])
    );
    // Without dates: first to latest, the same two here.
    assert_eq!(ladder(w.h(3), None, None).await, l);

    // H2: overall stayed, human capital up.
    let l2 = ladder(w.h(2), None, None).await;
    assert_eq!(l2["overall"]["direction"], "STAYED");
    assert_eq!(
        l2["capitals"][0],
        json!({ "capital": "HUMAN", "fromLevel": "STRUGGLING", "toLevel": "DIFFICULT", "direction": "UP" })
    );
    assert_eq!(
        l2["matches"],
        json!([]),
        "a declined match is not an adoption"
    );

    // H5: the cancelled assessment does not count; its endline is the superseded round 2.
    let l5 = ladder(w.h(5), None, None).await;
    assert_eq!(l5["overall"]["toLevel"], "WELL");
    assert_eq!(l5["income"]["toIncomePerPerson"], 7000.0);

    // H6: a draft does not count: not reassessed.
    let l6 = ladder(w.h(6), None, None).await;
    assert_eq!(l6["reassessed"], false);
    assert_eq!(l6["baseline"]["id"], l6["endline"]["id"]);
    assert_eq!(l6["overall"]["direction"], "STAYED");

    // Up to a year ago, H3 had only round 1; before it, nothing at all.
    let early = ladder(w.h(3), None, Some(days_ago(300))).await;
    assert_eq!(early["reassessed"], false);
    assert_eq!(early["endline"]["id"], w.h3_rounds.0);
    assert_eq!(early["interventions"], json!([]));
    assert_eq!(ladder(w.h(3), None, Some(days_ago(401))).await, Value::Null);

    // Dates the wrong way round name `from`.
    w.app
        .gql(
            Some(&c.token),
            q,
            json!({ "id": w.h(3), "f": days_ago(0), "t": days_ago(10) }),
        )
        .await
        .assert_error("BAD_USER_INPUT", Some("from"));
}

#[actix_web::test]
async fn bad_areas_and_periods_name_their_argument() {
    let app = TestApp::spawn().await;
    let c = app.client(Role::Coordinator).await;
    let q = "query($a: String!, $f: NaiveDate!, $t: NaiveDate!) { mobility(areaCode: $a, from: $f, to: $t) { households } }";
    for (a, f, t, field) in [
        ("5x", "2024-01-01", "2024-12-31", "areaCode"),
        ("", "2024-01-01", "2024-12-31", "areaCode"),
        ("52", "2024-12-31", "2024-01-01", "from"),
        ("52", "2000-01-01", "2024-12-31", "to"),
    ] {
        app.gql(Some(&c.token), q, json!({ "a": a, "f": f, "t": t }))
            .await
            .assert_error("BAD_USER_INPUT", Some(field));
    }
    // An area with nobody in it: zeros, not an error.
    let res = app
        .gql(
            Some(&c.token),
            q,
            json!({ "a": "52", "f": "2024-01-01", "t": "2024-12-31" }),
        )
        .await;
    assert_eq!(res.data("/mobility/households"), 0);
}

const RECOMMEND: &str = "query($h: ID!) { recommendTechnologies(householdId: $h, first: 5) { score technology { name }
  reasons { factor detail contribution evidence { adopters adoptersMovedUp comparison comparisonMovedUp
    adopterUpRate comparisonUpRate adopterIncomeChange comparisonIncomeChange since minSample } } } }";

async fn track_reason(w: &World) -> (Value, f64) {
    // H6 has an ACTIVE assessment and no match.
    let res = w
        .app
        .gql(
            Some(&w.coordinator.token),
            RECOMMEND,
            json!({ "h": w.h(6) }),
        )
        .await;
    let rec = res.data("/recommendTechnologies/0").clone();
    let reasons = rec["reasons"].as_array().unwrap();
    let sum: f64 = reasons
        .iter()
        .map(|r| r["contribution"].as_f64().unwrap())
        .sum();
    assert!((sum - rec["score"].as_f64().unwrap()).abs() < 1e-9, "{rec}");
    for r in reasons {
        assert_eq!(
            r["evidence"].is_null(),
            r["factor"] != "TRACK_RECORD",
            "{r}"
        );
    }
    let track = reasons
        .iter()
        .find(|r| r["factor"] == "TRACK_RECORD")
        .expect("a track-record reason")
        .clone();
    (track, rec["score"].as_f64().unwrap())
}

#[actix_web::test]
async fn below_the_minimum_sample_a_recommendation_says_not_enough_evidence_and_counts_nothing() {
    let w = world(|_| {}).await;
    let (r, _) = track_reason(&w).await;
    assert_eq!(
        r["detail"],
        "not enough evidence yet (2 adopters, 2 comparable households; need 10 each)"
    );
    assert_eq!(r["contribution"], 0.0);
    assert_eq!(r["evidence"]["adopters"], 2);
    assert_eq!(r["evidence"]["minSample"], 10);
}

#[actix_web::test]
async fn with_enough_evidence_a_recommendation_carries_the_measured_effect() {
    let w = world(|s| s.measurement.evidence_min_sample = 2).await;
    let (r, _) = track_reason(&w).await;
    let e = &r["evidence"];
    assert_eq!(
        (
            &e["adopters"],
            &e["adoptersMovedUp"],
            &e["comparison"],
            &e["comparisonMovedUp"]
        ),
        (&json!(2), &json!(2), &json!(2), &json!(0))
    );
    assert_eq!(
        (&e["adopterUpRate"], &e["comparisonUpRate"]),
        (&json!(1.0), &json!(0.0))
    );
    assert_eq!(e["adopterIncomeChange"], 2000.0);
    assert_eq!(e["comparisonIncomeChange"], -1000.0);
    assert_eq!(e["minSample"], 2);
    assert_eq!(
        e["since"],
        json!((Utc::now().date_naive() - chrono::Months::new(24)).to_string())
    );
    // Weight 0.10 × clamp(0.5 + (1.0 − 0.0), 0, 1).
    assert_eq!(r["contribution"], 0.1);
    let detail = r["detail"].as_str().unwrap();
    assert!(detail.contains("2 of 2 adopters"), "{detail}");
    assert!(detail.contains("0 of 2 comparable households"), "{detail}");

    // A match stores its reasons with the evidence, and reads it back.
    let m = suggest(&w.app, &w.coordinator, w.h(6), &w.technology).await;
    let res = w
        .app
        .gql(
            Some(&w.coordinator.token),
            "query($id: ID!) { node(id: $id) { ... on Match { reasons { factor evidence { adopters } } } } }",
            json!({ "id": m }),
        )
        .await;
    let stored = res.data("/node/reasons").as_array().unwrap().clone();
    let track = stored
        .iter()
        .find(|r| r["factor"] == "TRACK_RECORD")
        .unwrap();
    assert_eq!(track["evidence"]["adopters"], 2);
}

#[actix_web::test]
async fn the_measured_effect_is_read_again_only_after_a_write_that_changes_it() {
    let w = world(|s| s.measurement.evidence_min_sample = 2).await;
    w.app.reset_statements().await;
    let (first, _) = track_reason(&w).await;
    let cold = w.app.statements();
    w.app.reset_statements().await;
    let (again, _) = track_reason(&w).await;
    let warm = w.app.statements();
    assert_eq!(first, again);
    // Skipped the second time: the evidence's three statements and the catalogue's load
    // (both caches still read their revision).
    assert_eq!(warm + 4, cold, "cold {cold}, warm {warm}");
    assert_eq!(first["evidence"]["comparisonMovedUp"], 0);

    // H7, a comparable household, is reassessed higher: the next recommendation counts it.
    let today = Utc::now().date_naive().to_string();
    round(&today, 3.0, 2000.0)
        .record(&w.app, &w.coordinator.token, w.h(7))
        .await;
    let (after, _) = track_reason(&w).await;
    assert_eq!(after["evidence"]["comparison"], 2);
    assert_eq!(after["evidence"]["comparisonMovedUp"], 1);
}

#[actix_web::test]
async fn within_the_refresh_interval_writes_do_not_make_each_call_recompute_the_province() {
    let w = world(|s| {
        s.measurement.evidence_min_sample = 2;
        s.measurement.evidence_refresh_secs = 600;
    })
    .await;
    let (first, _) = track_reason(&w).await;
    w.app.reset_statements().await;
    let (_, _) = track_reason(&w).await;
    let warm = w.app.statements();

    // A write moves the province's figures; the next calls still use the kept evidence
    // (no recount of the province: the same statements as a warm call), so a run of
    // suggestions costs the same per call however large the province is.
    let today = Utc::now().date_naive().to_string();
    round(&today, 3.0, 2000.0)
        .record(&w.app, &w.coordinator.token, w.h(7))
        .await;
    w.app.reset_statements().await;
    let (after, _) = track_reason(&w).await;
    assert_eq!(w.app.statements(), warm);
    assert_eq!(after, first);
    assert_eq!(after["evidence"]["comparisonMovedUp"], 0);
}

#[actix_web::test]
async fn ladders_of_a_page_of_households_take_the_same_statements_at_5_and_20() {
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let c = app.client(Role::Coordinator).await;
    let agency = AgencyBuilder::new("RMUT Lanna Lampang").create(&app).await;
    for i in 0..22u64 {
        let h = HouseholdBuilder::new(900 + i)
            .create(&app, &c.token)
            .await
            .id;
        round(&days_ago(300), 1.5, 2000.0)
            .record(&app, &c.token, &h)
            .await;
        round(&days_ago(1), 2.0, 3000.0)
            .record(&app, &c.token, &h)
            .await;
        deliver(
            &app,
            &h,
            agency.id,
            InterventionKind::Training,
            &days_ago(100),
        )
        .await;
    }
    let q = "query($n: Int!) { households(first: $n) { nodes { id ladderMovement { reassessed baseline { id } endline { id }
        overall { direction } income { change } interventions { kind } matches { id } } } } }";
    app.reset_statements().await;
    let small = app.gql(Some(&c.token), q, json!({ "n": 5 })).await;
    let at5 = app.statements();
    app.reset_statements().await;
    let large = app.gql(Some(&c.token), q, json!({ "n": 20 })).await;
    let at20 = app.statements();
    let nodes = large.data("/households/nodes").as_array().unwrap();
    assert_eq!(nodes.len(), 20);
    assert!(nodes.iter().all(|n| {
        n["ladderMovement"]["overall"]["direction"] == "UP"
            && n["ladderMovement"]["interventions"]
                .as_array()
                .unwrap()
                .len()
                == 1
    }));
    assert_eq!(small.data("/households/nodes").as_array().unwrap().len(), 5);
    assert_eq!(
        at5, at20,
        "statements at first:5 = {at5}, at first:20 = {at20}"
    );
}
