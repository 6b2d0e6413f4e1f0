//! Recommendations, area-wide matching and the match lifecycle.
use entity::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{
    Client, TestApp,
    builders::{AgencyBuilder, AssessmentSpec, HouseholdBuilder, TechnologyBuilder},
    fixtures::{AccountBuilder, seed_villages},
};

const RUN: &str = "mutation($i: RunMatchingInput!) { runMatching(input: $i) { run { id householdsConsidered matchesCreated totalBenefit greedyBenefit
  matches(first: 100) { totalCount nodes { id status score household { id } technology { id name } } } } } }";

struct World {
    app: TestApp,
    admin: Client,
    coordinator: Client,
    surveyor: Client,
    agency: uuid::Uuid,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let admin = app.client(Role::Admin).await;
    let coordinator = app.client(Role::Coordinator).await;
    let surveyor = app.client(Role::Surveyor).await;
    let agency = AgencyBuilder::new("RMUT Lanna Lampang")
        .create(&app)
        .await
        .id;
    World {
        app,
        admin,
        coordinator,
        surveyor,
        agency,
    }
}

impl World {
    async fn technology(&self, name: &str, extra: Value) -> Value {
        TechnologyBuilder::new(self.agency, name)
            .with(extra)
            .create(&self.app, &self.admin.token)
            .await
    }

    /// A VERIFIED household with an ACTIVE assessment.
    async fn household(&self, seed: u64, scores: [f64; 5], income: f64, has_land: bool) -> Value {
        HouseholdBuilder::new(seed)
            .status_path(&["VERIFIED"])
            .moved_by(&self.coordinator.token)
            .verified_on("2026-11-01")
            .assessment(
                AssessmentSpec::new(0.0, income)
                    .on("2026-11-02")
                    .size(4)
                    .capitals(scores)
                    .with(json!({ "hasLand": has_land })),
            )
            .create(&self.app, &self.surveyor.token)
            .await
            .id
    }
}

#[actix_web::test]
async fn recommendations_rank_by_need_and_their_reasons_add_up_to_the_score() {
    let w = world().await;
    let h = w
        .household(1, [3.0, 3.0, 1.2, 3.0, 3.0], 1500.0, false)
        .await;
    w.technology(
        "Fish feed (financial)",
        json!({ "capitalsRaised": ["FINANCIAL"] }),
    )
    .await;
    w.technology(
        "Community group (social)",
        json!({ "capitalsRaised": ["SOCIAL"], "monthlyIncomeGain": 1200 }),
    )
    .await;
    w.technology(
        "Rice farming (needs land)",
        json!({ "capitalsRaised": ["FINANCIAL", "NATURAL"], "requiresLand": true }),
    )
    .await;
    w.technology(
        "Solar pump (needs savings)",
        json!({ "capitalsRaised": ["FINANCIAL"], "minScores": { "financial": 2.0 } }),
    )
    .await;
    let q = "query($h: ID!) { recommendTechnologies(householdId: $h, first: 10) { score technology { name } reasons { factor detail contribution } } }";
    let res = w
        .app
        .gql(Some(&w.surveyor.token), q, json!({ "h": h }))
        .await;
    let recs = res
        .data("/recommendTechnologies")
        .as_array()
        .unwrap()
        .clone();
    let names: Vec<&str> = recs
        .iter()
        .map(|r| r["technology"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Fish feed (financial)", "Community group (social)"],
        "hard filters drop land and savings"
    );
    for r in &recs {
        let sum: f64 = r["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["contribution"].as_f64().unwrap())
            .sum();
        assert!((sum - r["score"].as_f64().unwrap()).abs() < 1e-9, "{r}");
        assert!((0.0..=1.0).contains(&r["score"].as_f64().unwrap()));
    }
    assert!(recs[0]["score"].as_f64().unwrap() > recs[1]["score"].as_f64().unwrap());

    // Without an assessment there is nothing to rank on.
    let bare = HouseholdBuilder::new(99)
        .head("ไม่มี")
        .create(&w.app, &w.surveyor.token)
        .await
        .registered;
    w.app
        .gql(
            Some(&w.surveyor.token),
            q,
            json!({ "h": bare["household"]["id"] }),
        )
        .await
        .assert_error("BAD_USER_INPUT", Some("householdId"));
}

#[actix_web::test]
async fn recommendations_see_catalogue_changes_at_once_and_return_the_best_first() {
    let w = world().await;
    let h = w
        .household(1, [3.0, 3.0, 1.2, 3.0, 3.0], 1500.0, true)
        .await;
    let feed = w
        .technology("Fish feed", json!({ "monthlyIncomeGain": 1200 }))
        .await;
    w.technology("Small loan", json!({ "monthlyIncomeGain": 400 }))
        .await;
    let q = "query($h: ID!, $n: Int) { recommendTechnologies(householdId: $h, first: $n) { score technology { name } reasons { contribution } } }";
    let names = |res: &crate::helpers::Gql| -> Vec<String> {
        res.data("/recommendTechnologies")
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["technology"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    let before = w
        .app
        .gql(Some(&w.surveyor.token), q, json!({ "h": h, "n": 10 }))
        .await;
    assert_eq!(names(&before), ["Fish feed", "Small loan"]);
    let top = w
        .app
        .gql(Some(&w.surveyor.token), q, json!({ "h": h, "n": 1 }))
        .await;
    assert_eq!(names(&top), ["Fish feed"], "first: 1 is the best one");

    // Saving a technology (now it needs savings the household lacks) and adding one: the
    // very next recommendation reflects both (the per-process catalogue cache is checked
    // against the database on every request).
    let update = "mutation($i: UpdateTechnologyInput!) { updateTechnology(input: $i) { technology { version } } }";
    w.app
        .gql(
            Some(&w.admin.token),
            update,
            json!({ "i": { "id": feed, "version": 1, "technology": {
                "agencyId": api::graphql::node::encode("Agency", w.agency), "name": "Fish feed", "sector": "FISHERY",
                "capitalsRaised": ["FINANCIAL"], "unitCost": 3000, "monthlyIncomeGain": 1200, "trainingDays": 3,
                "seatsPerRound": 30, "readinessLevel": 7, "minScores": { "financial": 2.0 } } } }),
        )
        .await
        .data("/updateTechnology");
    w.technology("Mushroom house", json!({ "monthlyIncomeGain": 900 }))
        .await;
    let after = w
        .app
        .gql(Some(&w.surveyor.token), q, json!({ "h": h, "n": 10 }))
        .await;
    assert_eq!(names(&after), ["Mushroom house", "Small loan"]);
}

#[actix_web::test]
async fn run_matching_beats_greedy_where_greedy_fails_and_never_exceeds_seats() {
    let w = world().await;
    // A is poorer (STRUGGLING) and slightly prefers T1; B can only use T1 (T2 needs land).
    let a = w
        .household(1, [1.2, 1.2, 1.2, 1.2, 1.2], 1000.0, true)
        .await;
    let b = w
        .household(2, [2.0, 2.0, 2.0, 2.0, 2.0], 1000.0, false)
        .await;
    let t1 = w
        .technology("T1", json!({ "monthlyIncomeGain": 4000 }))
        .await;
    let t2 = w
        .technology(
            "T2",
            json!({ "monthlyIncomeGain": 3000, "requiresLand": true }),
        )
        .await;
    let res = w
        .app
        .gql(
            Some(&w.coordinator.token),
            RUN,
            json!({ "i": { "areaCode": "52",
        "seats": [{ "technologyId": t1, "seats": 1 }, { "technologyId": t2, "seats": 1 }] } }),
        )
        .await;
    let run = res.data("/runMatching/run").clone();
    assert_eq!(run["householdsConsidered"], 2);
    assert_eq!(run["matchesCreated"], 2);
    assert!(
        run["totalBenefit"].as_i64().unwrap() > run["greedyBenefit"].as_i64().unwrap(),
        "{run}"
    );
    let pairs: Vec<(Value, Value)> = run["matches"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["household"]["id"].clone(), m["technology"]["id"].clone()))
        .collect();
    assert!(
        pairs.contains(&(a.clone(), t2.clone())) && pairs.contains(&(b.clone(), t1.clone())),
        "{pairs:?}"
    );

    // The run can be read back.
    let again = w
        .app
        .gql(
            Some(&w.coordinator.token),
            "query($id: ID!) { matchingRun(id: $id) { matchesCreated matches { totalCount } } }",
            json!({ "id": run["id"] }),
        )
        .await;
    assert_eq!(again.data("/matchingRun/matches/totalCount"), 2);
}

#[actix_web::test]
async fn seats_are_respected_and_the_same_input_gives_the_same_matches() {
    let w = world().await;
    let mut households = Vec::new();
    for i in 0..6u64 {
        let poor = 1.0 + 0.3 * i as f64;
        households.push(
            w.household(
                10 + i,
                [poor, poor, poor, 2.5, 2.5],
                1200.0 + 300.0 * i as f64,
                i % 2 == 0,
            )
            .await,
        );
    }
    let t1 = w
        .technology(
            "Mushroom house",
            json!({ "capitalsRaised": ["FINANCIAL", "PHYSICAL"] }),
        )
        .await;
    let t2 = w
        .technology(
            "Low-cost fish feed",
            json!({ "capitalsRaised": ["FINANCIAL"], "requiresLand": true }),
        )
        .await;
    let input = json!({ "i": { "areaCode": "5201", "seats": [{ "technologyId": t1, "seats": 2 }, { "technologyId": t2, "seats": 1 }] } });
    let first = w
        .app
        .gql(Some(&w.coordinator.token), RUN, input.clone())
        .await;
    let run = first.data("/runMatching/run").clone();
    let assigned = |run: &Value, t: &Value| {
        run["matches"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["technology"]["id"] == *t)
            .count()
    };
    assert_eq!(run["matchesCreated"], 3);
    assert!(assigned(&run, &t1) <= 2 && assigned(&run, &t2) <= 1);
    // Poorest first: the only STRUGGLING household (ladder weight 4) is among those matched.
    let matched: Vec<Value> = run["matches"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["household"]["id"].clone())
        .collect();
    assert!(matched.contains(&households[0]), "{matched:?}");

    // Decline them all, run again: the same pairs.
    for m in run["matches"]["nodes"].as_array().unwrap() {
        w.app.gql(Some(&w.coordinator.token), "mutation($i: TransitionMatchInput!) { transitionMatch(input: $i) { match { status } } }",
            json!({ "i": { "matchId": m["id"], "version": 1, "to": "DECLINED", "reason": "test rerun" } })).await.data("/transitionMatch");
    }
    let second = w.app.gql(Some(&w.coordinator.token), RUN, input).await;
    let run2 = second.data("/runMatching/run").clone();
    let key = |run: &Value| {
        let mut v: Vec<(String, String)> = run["matches"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["household"]["id"].as_str().unwrap().to_string(),
                    m["technology"]["id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(key(&run), key(&run2));
    assert_eq!(run["totalBenefit"], run2["totalBenefit"]);
}

#[actix_web::test]
async fn bad_run_input_names_the_field_and_runs_nothing() {
    let w = world().await;
    let t = w.technology("T", json!({ "seatsPerRound": 5 })).await;
    let other = w.technology("U", json!({})).await;
    for (input, field) in [
        (
            json!({ "areaCode": "52", "seats": [{ "technologyId": t, "seats": 6 }] }),
            "seats[0].seats",
        ),
        (
            json!({ "areaCode": "52", "seats": [{ "technologyId": t, "seats": -1 }] }),
            "seats[0].seats",
        ),
        (
            json!({ "areaCode": "52", "technologyIds": [other], "seats": [{ "technologyId": t, "seats": 2 }] }),
            "technologyIds[0]",
        ),
        (
            json!({ "areaCode": "95", "seats": [{ "technologyId": t, "seats": 2 }] }),
            "areaCode",
        ),
        (json!({ "areaCode": "52", "seats": [] }), "seats"),
    ] {
        w.app
            .gql(Some(&w.coordinator.token), RUN, json!({ "i": input }))
            .await
            .assert_error("BAD_USER_INPUT", Some(field));
    }
    w.app
        .gql(
            Some(&w.surveyor.token),
            RUN,
            json!({ "i": { "areaCode": "52", "seats": [{ "technologyId": t, "seats": 2 }] } }),
        )
        .await
        .assert_error("FORBIDDEN", None);
    let runs = w
        .app
        .gql(
            Some(&w.admin.token),
            "{ matches { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(runs.data("/matches/totalCount"), 0);
}

const MOVE: &str = "mutation($i: TransitionMatchInput!) { transitionMatch(input: $i) { match { status version baselineIncome followUpIncome history { fromStatus toStatus } } } }";

#[actix_web::test]
async fn a_match_moves_through_its_lifecycle_and_its_agency_sees_and_moves_it() {
    let w = world().await;
    let h = w
        .household(1, [1.5, 1.5, 1.5, 2.0, 2.0], 2100.0, true)
        .await;
    let t = w.technology("Fish feed", json!({})).await;
    let m = w.app.gql(Some(&w.coordinator.token), "mutation($i: SuggestMatchInput!) { suggestMatch(input: $i) { match { id status score reasons { contribution } } } }",
        json!({ "i": { "householdId": h, "technologyId": t } })).await;
    let id = m.data("/suggestMatch/match/id").clone();
    let sum: f64 = m
        .data("/suggestMatch/match/reasons")
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["contribution"].as_f64().unwrap())
        .sum();
    assert!((sum - m.data("/suggestMatch/match/score").as_f64().unwrap()).abs() < 1e-9);

    w.app
        .gql(
            Some(&w.coordinator.token),
            MOVE,
            json!({ "i": { "matchId": id, "version": 1, "to": "ADOPTED" } }),
        )
        .await
        .assert_error("BAD_USER_INPUT", Some("to"));
    w.app
        .gql(
            Some(&w.coordinator.token),
            MOVE,
            json!({ "i": { "matchId": id, "version": 1, "to": "DECLINED" } }),
        )
        .await
        .assert_error("BAD_USER_INPUT", Some("reason"));
    let offered = w
        .app
        .gql(
            Some(&w.coordinator.token),
            MOVE,
            json!({ "i": { "matchId": id, "version": 1, "to": "OFFERED" } }),
        )
        .await;
    assert_eq!(offered.data("/transitionMatch/match/status"), "OFFERED");

    // Staff of the providing agency see it and move it on; other agencies and analysts do not.
    let staff = w
        .app
        .client_for(
            &AccountBuilder::new(Role::Agency)
                .agency(w.agency)
                .create(&w.app)
                .await,
        )
        .await;
    let outsider = w.app.client(Role::Agency).await;
    assert_eq!(
        w.app
            .gql(
                Some(&staff.token),
                "{ matches { totalCount nodes { household { id } } } }",
                json!({})
            )
            .await
            .data("/matches/totalCount"),
        1
    );
    assert_eq!(
        w.app
            .gql(
                Some(&outsider.token),
                "{ matches { totalCount } }",
                json!({})
            )
            .await
            .data("/matches/totalCount"),
        0
    );
    w.app
        .gql(
            Some(&outsider.token),
            MOVE,
            json!({ "i": { "matchId": id, "version": 2, "to": "ACCEPTED" } }),
        )
        .await
        .assert_error("NOT_FOUND", None);
    let analyst = w.app.client(Role::Analyst).await;
    w.app
        .gql(
            Some(&analyst.token),
            MOVE,
            json!({ "i": { "matchId": id, "version": 2, "to": "ACCEPTED" } }),
        )
        .await
        .assert_error("FORBIDDEN", None);

    let accepted = w
        .app
        .gql(
            Some(&staff.token),
            MOVE,
            json!({ "i": { "matchId": id, "version": 2, "to": "ACCEPTED" } }),
        )
        .await;
    assert_eq!(
        accepted.data("/transitionMatch/match/baselineIncome"),
        2100.0
    );
    w.app
        .gql(
            Some(&staff.token),
            MOVE,
            json!({ "i": { "matchId": id, "version": 3, "to": "IN_TRAINING" } }),
        )
        .await
        .data("/transitionMatch");
    let adopted = w.app.gql(Some(&staff.token), MOVE, json!({ "i": { "matchId": id, "version": 4, "to": "ADOPTED", "followUpIncome": 3400 } })).await;
    assert_eq!(
        adopted.data("/transitionMatch/match/followUpIncome"),
        3400.0
    );
    let history = adopted
        .data("/transitionMatch/match/history")
        .as_array()
        .unwrap()
        .len();
    assert_eq!(history, 5);
    w.app
        .gql(
            Some(&staff.token),
            MOVE,
            json!({ "i": { "matchId": id, "version": 4, "to": "SUSTAINED" } }),
        )
        .await
        .assert_error("CONFLICT", None);
}

#[actix_web::test]
async fn households_with_assessments_and_matches_take_the_same_statements_at_5_and_50() {
    let w = world().await;
    let t = w.technology("T", json!({})).await;
    for i in 0..52u64 {
        let h = w
            .household(200 + i, [1.5, 1.5, 1.5, 2.0, 2.0], 2000.0, true)
            .await;
        if i % 2 == 0 {
            w.app
                .gql(
                    Some(&w.coordinator.token),
                    "mutation($i: SuggestMatchInput!) { suggestMatch(input: $i) { match { id } } }",
                    json!({ "i": { "householdId": h, "technologyId": t } }),
                )
                .await
                .data("/suggestMatch");
        }
    }
    let q = "query($n: Int!) { households(first: $n) { edges { node { id ladder { overall } latestAssessment { overallScore }
        matches { totalCount nodes { status technology { name provider { name } } } } } } } }";
    let mut counts = Vec::new();
    for n in [5, 50] {
        w.app.reset_statements().await;
        let res = w
            .app
            .gql(Some(&w.coordinator.token), q, json!({ "n": n }))
            .await;
        assert_eq!(res.data("/households/edges").as_array().unwrap().len(), n);
        counts.push(w.app.statements());
    }
    assert_eq!(counts[0], counts[1], "{counts:?}");
}

#[actix_web::test]
async fn follow_up_income_outside_0_to_10_million_baht_is_refused_and_the_match_stays() {
    let w = world().await;
    let h = w
        .household(1, [1.5, 1.5, 1.5, 2.0, 2.0], 2100.0, true)
        .await;
    let t = w.technology("Fish feed", json!({})).await;
    let m = w
        .app
        .gql(
            Some(&w.coordinator.token),
            "mutation($i: SuggestMatchInput!) { suggestMatch(input: $i) { match { id } } }",
            json!({ "i": { "householdId": h, "technologyId": t } }),
        )
        .await;
    let id = m.data("/suggestMatch/match/id").clone();
    for (version, to) in [(1, "OFFERED"), (2, "ACCEPTED"), (3, "IN_TRAINING")] {
        w.app
            .gql(
                Some(&w.coordinator.token),
                MOVE,
                json!({ "i": { "matchId": id, "version": version, "to": to } }),
            )
            .await
            .data("/transitionMatch");
    }
    for bad in [json!(1e300), json!(-1), json!(10_000_001)] {
        w.app
            .gql(
                Some(&w.coordinator.token),
                MOVE,
                json!({ "i": { "matchId": id, "version": 4, "to": "ADOPTED", "followUpIncome": bad } }),
            )
            .await
            .assert_error("BAD_USER_INPUT", Some("followUpIncome"));
    }
    let read = w
        .app
        .gql(
            Some(&w.coordinator.token),
            "query($id: ID!) { node(id: $id) { ... on Match { status version followUpIncome } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        read.data("/node"),
        &json!({ "status": "IN_TRAINING", "version": 4, "followUpIncome": null })
    );
    let adopted = w
        .app
        .gql(
            Some(&w.coordinator.token),
            MOVE,
            json!({ "i": { "matchId": id, "version": 4, "to": "ADOPTED", "followUpIncome": 10_000_000 } }),
        )
        .await;
    assert_eq!(
        adopted.data("/transitionMatch/match/followUpIncome"),
        10_000_000.0
    );
}

/// Open matches per household, straight from the database.
async fn open_matches_per_household(app: &TestApp) -> std::collections::HashMap<uuid::Uuid, usize> {
    use sea_orm::EntityTrait;
    let mut per = std::collections::HashMap::new();
    for m in entity::r#match::Entity::find().all(&app.db).await.unwrap() {
        if m.status.is_open() {
            *per.entry(m.household_id).or_default() += 1;
        }
    }
    per
}

#[actix_web::test]
async fn two_runs_on_one_area_at_once_never_give_a_household_two_open_matches() {
    let w = world().await;
    for seed in 1..=4 {
        w.household(seed, [1.5, 1.5, 1.5, 2.0, 2.0], 1500.0, true)
            .await;
    }
    let t = w.technology("Fish feed", json!({})).await;
    let input = json!({ "i": { "areaCode": "52", "seats": [{ "technologyId": t, "seats": 4 }] } });

    let (first, second) = futures::future::join(
        w.app.gql(Some(&w.coordinator.token), RUN, input.clone()),
        w.app.gql(Some(&w.coordinator.token), RUN, input.clone()),
    )
    .await;

    let mut created = 0;
    for res in [&first, &second] {
        match res.code() {
            None => {
                created += res
                    .data("/runMatching/run/matchesCreated")
                    .as_i64()
                    .unwrap()
            }
            Some("CONFLICT") => {}
            _ => panic!("expected a run or CONFLICT: {}", res.body),
        }
    }
    let per = open_matches_per_household(&w.app).await;
    assert!(per.values().all(|n| *n == 1), "{per:?}");
    assert_eq!(per.len(), 4);
    assert_eq!(
        created, 4,
        "4 seats, 4 households: one run matched them, the other nobody"
    );

    // A third run finds nobody free.
    let third = w.app.gql(Some(&w.coordinator.token), RUN, input).await;
    assert_eq!(third.data("/runMatching/run/householdsConsidered"), 0);
}

#[actix_web::test]
async fn a_household_with_an_open_match_gets_no_second_one() {
    use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel};
    let w = world().await;
    let h = w
        .household(1, [1.5, 1.5, 1.5, 2.0, 2.0], 1500.0, true)
        .await;
    let t1 = w.technology("Fish feed", json!({})).await;
    let t2 = w.technology("Mushroom house", json!({})).await;
    let suggest = "mutation($i: SuggestMatchInput!) { suggestMatch(input: $i) { match { id } } }";
    let first = w
        .app
        .gql(
            Some(&w.coordinator.token),
            suggest,
            json!({ "i": { "householdId": h, "technologyId": t1 } }),
        )
        .await;
    let id = first.data("/suggestMatch/match/id").clone();
    for t in [&t1, &t2] {
        w.app
            .gql(
                Some(&w.coordinator.token),
                suggest,
                json!({ "i": { "householdId": h, "technologyId": t } }),
            )
            .await
            .assert_error("CONFLICT", None);
    }
    // The database itself refuses a second open match, whatever writes it.
    let existing = entity::r#match::Entity::find()
        .one(&w.app.db)
        .await
        .unwrap()
        .unwrap();
    let mut copy = existing.clone().into_active_model();
    copy.id = sea_orm::Set(uuid::Uuid::now_v7());
    assert!(copy.insert(&w.app.db).await.is_err());
    assert_eq!(open_matches_per_household(&w.app).await.len(), 1);

    // Once it is closed, another may be suggested.
    w.app
        .gql(
            Some(&w.coordinator.token),
            MOVE,
            json!({ "i": { "matchId": id, "version": 1, "to": "DECLINED", "reason": "not now" } }),
        )
        .await
        .data("/transitionMatch");
    w.app
        .gql(
            Some(&w.coordinator.token),
            suggest,
            json!({ "i": { "householdId": h, "technologyId": t2 } }),
        )
        .await
        .data("/suggestMatch/match/id");
}

#[actix_web::test]
async fn the_one_open_match_migration_closes_duplicate_suggestions_and_keeps_the_one_furthest_along()
 {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
    let w = world().await;
    let h = w
        .household(1, [1.5, 1.5, 1.5, 2.0, 2.0], 1500.0, true)
        .await;
    let t1 = w.technology("Fish feed", json!({})).await;
    let m = w
        .app
        .gql(
            Some(&w.coordinator.token),
            "mutation($i: SuggestMatchInput!) { suggestMatch(input: $i) { match { id } } }",
            json!({ "i": { "householdId": h, "technologyId": t1 } }),
        )
        .await;
    let offered_id = m.data("/suggestMatch/match/id").clone();
    w.app
        .gql(
            Some(&w.coordinator.token),
            MOVE,
            json!({ "i": { "matchId": offered_id, "version": 1, "to": "OFFERED" } }),
        )
        .await
        .data("/transitionMatch");

    // A database from before the rule, where two runs raced: the household has a later,
    // SUGGESTED duplicate.
    let all = Migrator::migrations();
    let ours = all
        .iter()
        .position(|m| m.name() == "m20261201_000001_create_one_open_match_index")
        .unwrap();
    let steps = (all.len() - ours) as u32;
    Migrator::down(&w.app.db, Some(steps)).await.unwrap();
    let original = entity::r#match::Entity::find()
        .one(&w.app.db)
        .await
        .unwrap()
        .unwrap();
    let mut duplicate = original.clone().into_active_model();
    let duplicate_id = uuid::Uuid::now_v7();
    duplicate.id = Set(duplicate_id);
    duplicate.status = Set(entity::enums::MatchStatus::Suggested);
    duplicate.version = Set(1);
    duplicate.created_at = Set(original.created_at + chrono::Duration::seconds(1));
    duplicate.insert(&w.app.db).await.unwrap();

    Migrator::up(&w.app.db, None).await.unwrap();

    let closed = entity::r#match::Entity::find_by_id(duplicate_id)
        .one(&w.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(closed.status, entity::enums::MatchStatus::Declined);
    assert_eq!(closed.version, 2);
    let kept = entity::r#match::Entity::find_by_id(original.id)
        .one(&w.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.status, entity::enums::MatchStatus::Offered);
    let events = entity::match_event::Entity::find()
        .filter(entity::match_event::Column::MatchId.eq(duplicate_id))
        .all(&w.app.db)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].to_status, entity::enums::MatchStatus::Declined);
    assert!(events[0].actor_id.is_none());
    assert!(
        events[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("one open match")
    );
    assert_eq!(open_matches_per_household(&w.app).await.len(), 1);
    // What the migration wrote reads back through the API like any other change.
    let read = w
        .app
        .gql(
            Some(&w.coordinator.token),
            "query($id: ID!) { node(id: $id) { ... on Match { status version history { fromStatus toStatus occurredAt } } } }",
            json!({ "id": api::graphql::node::encode("Match", duplicate_id) }),
        )
        .await;
    assert_eq!(read.data("/node/status"), "DECLINED");
    let history = read.data("/node/history").as_array().unwrap();
    assert_eq!(history.last().unwrap()["fromStatus"], "SUGGESTED");
    assert!(history.last().unwrap()["occurredAt"].is_string());

    // Two open matches past SUGGESTED are for people to sort out: the migration says so.
    Migrator::down(&w.app.db, Some(steps)).await.unwrap();
    let mut second = original.into_active_model();
    second.id = Set(uuid::Uuid::now_v7());
    second.insert(&w.app.db).await.unwrap();
    let err = Migrator::up(&w.app.db, None).await.unwrap_err();
    assert!(
        err.to_string().contains("more than one open match"),
        "{err}"
    );
}

#[actix_web::test]
async fn a_retried_transition_match_returns_the_first_result_and_another_payload_is_conflict() {
    let w = world().await;
    let h = w
        .household(1, [1.5, 1.5, 1.5, 2.0, 2.0], 2100.0, true)
        .await;
    let t = w.technology("Fish feed", json!({})).await;
    let id = w
        .app
        .gql(
            Some(&w.coordinator.token),
            "mutation($i: SuggestMatchInput!) { suggestMatch(input: $i) { match { id } } }",
            json!({ "i": { "householdId": h, "technologyId": t } }),
        )
        .await
        .data("/suggestMatch/match/id")
        .clone();
    let key = uuid::Uuid::now_v7();
    let offer = json!({ "i": { "matchId": id, "version": 1, "to": "OFFERED", "clientUuid": key } });
    let first = w
        .app
        .gql(Some(&w.coordinator.token), MOVE, offer.clone())
        .await;
    assert_eq!(first.data("/transitionMatch/match/status"), "OFFERED");
    // The response was lost; the device sends the same request again.
    let retry = w.app.gql(Some(&w.coordinator.token), MOVE, offer).await;
    assert_eq!(
        retry.data("/transitionMatch"),
        first.data("/transitionMatch")
    );
    // Without the key the same request is stale: the match moved on.
    w.app
        .gql(
            Some(&w.coordinator.token),
            MOVE,
            json!({ "i": { "matchId": id, "version": 1, "to": "OFFERED" } }),
        )
        .await
        .assert_error("CONFLICT", None);
    // The same key for another move is CONFLICT, and moves nothing.
    w.app
        .gql(
            Some(&w.coordinator.token),
            MOVE,
            json!({ "i": { "matchId": id, "version": 2, "to": "ACCEPTED", "clientUuid": key } }),
        )
        .await
        .assert_error("CONFLICT", None);
    let status = w
        .app
        .gql(
            Some(&w.coordinator.token),
            "query($id: ID!) { node(id: $id) { ... on Match { status version } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        status.data("/node"),
        &json!({ "status": "OFFERED", "version": 2 })
    );
    // One move was recorded, not two.
    assert_eq!(
        first.data("/transitionMatch/match/history"),
        retry.data("/transitionMatch/match/history")
    );
}
