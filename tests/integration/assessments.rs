//! Capability assessments: derived ladder and income levels, one ACTIVE per household.
use entity::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp,
    builders::HouseholdBuilder,
    fixtures::{AccountBuilder, seed_villages},
};

const RECORD: &str = "mutation($i: RecordAssessmentInput!) { recordAssessment(input: $i) { assessment { id status overallScore
  scores { human physical financial natural social } ladder { overall human physical financial natural social incomeLevel }
  incomePerPerson povertyLineYear notes } } }";

fn input(household: &Value, scores: [f64; 5], income: f64) -> Value {
    json!({ "householdId": household, "assessedOn": "2026-11-01", "householdSize": 4, "incomePerPerson": income,
        "scores": { "human": scores[0], "physical": scores[1], "financial": scores[2], "natural": scores[3], "social": scores[4] },
        "notes": "ครอบครัวทำนา", "hasLand": true })
}

async fn setup() -> (TestApp, crate::helpers::Client, Value) {
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let surveyor = app.client(Role::Surveyor).await;
    let done = HouseholdBuilder::new(9)
        .head("สมศรี")
        .create(&app, &surveyor.token)
        .await
        .registered;
    let id = done["household"]["id"].clone();
    (app, surveyor, id)
}

#[actix_web::test]
async fn ladder_levels_are_derived_at_every_band_edge() {
    let (app, surveyor, household) = setup().await;
    let res = app
        .gql(
            Some(&surveyor.token),
            RECORD,
            json!({ "i": input(&household, [1.74, 1.75, 2.49, 2.50, 3.25], 2762.99) }),
        )
        .await;
    let ladder = res.data("/recordAssessment/assessment/ladder");
    assert_eq!(ladder["human"], "STRUGGLING");
    assert_eq!(ladder["physical"], "DIFFICULT");
    assert_eq!(ladder["financial"], "DIFFICULT");
    assert_eq!(ladder["natural"], "MANAGEABLE");
    assert_eq!(ladder["social"], "WELL");
    // mean (1.74 + 1.75 + 2.49 + 2.50 + 3.25) / 5 = 2.346 → 2.35 → DIFFICULT
    assert_eq!(res.data("/recordAssessment/assessment/overallScore"), 2.35);
    assert_eq!(ladder["overall"], "DIFFICULT");
    assert_eq!(ladder["incomeLevel"], "BELOW_POVERTY_LINE");
    assert_eq!(
        res.data("/recordAssessment/assessment/povertyLineYear"),
        2563
    );

    for (income, level) in [
        (2763.0, "BELOW_POOREST_40"),
        (5346.0, "BELOW_POOREST_40"),
        (5347.0, "BELOW_MEDIAN"),
        (6531.0, "BELOW_MEDIAN"),
        (6532.0, "ABOVE_MEDIAN"),
        (0.0, "BELOW_POVERTY_LINE"),
    ] {
        let res = app
            .gql(
                Some(&surveyor.token),
                RECORD,
                json!({ "i": input(&household, [1.0, 1.0, 1.0, 1.0, 4.0], income) }),
            )
            .await;
        assert_eq!(
            res.data("/recordAssessment/assessment/ladder/incomeLevel"),
            level,
            "{income}"
        );
    }
    let top = app
        .gql(
            Some(&surveyor.token),
            RECORD,
            json!({ "i": input(&household, [4.0, 4.0, 4.0, 4.0, 3.25], 9000.0) }),
        )
        .await;
    assert_eq!(
        top.data("/recordAssessment/assessment/ladder/overall"),
        "WELL"
    );
    // One step below the WELL edge (3.25) on every capital.
    let below_well = app
        .gql(
            Some(&surveyor.token),
            RECORD,
            json!({ "i": input(&household, [3.24, 3.24, 3.24, 3.24, 3.24], 9000.0) }),
        )
        .await;
    let ladder = below_well.data("/recordAssessment/assessment/ladder");
    for capital in [
        "human",
        "physical",
        "financial",
        "natural",
        "social",
        "overall",
    ] {
        assert_eq!(ladder[capital], "MANAGEABLE", "{capital}");
    }
    let bottom = app
        .gql(
            Some(&surveyor.token),
            RECORD,
            json!({ "i": input(&household, [1.0, 1.0, 1.0, 1.0, 1.0], 9000.0) }),
        )
        .await;
    assert_eq!(
        bottom.data("/recordAssessment/assessment/ladder/overall"),
        "STRUGGLING"
    );
}

#[actix_web::test]
async fn a_new_active_assessment_supersedes_the_old_one_and_drafts_wait() {
    let (app, surveyor, household) = setup().await;
    let first = app
        .gql(
            Some(&surveyor.token),
            RECORD,
            json!({ "i": input(&household, [1.5, 1.5, 1.5, 1.5, 1.5], 2000.0) }),
        )
        .await;
    let first_id = first.data("/recordAssessment/assessment/id").clone();
    let mut draft_input = input(&household, [2.5, 2.5, 2.5, 2.5, 2.5], 4000.0);
    draft_input["activate"] = json!(false);
    let draft = app
        .gql(Some(&surveyor.token), RECORD, json!({ "i": draft_input }))
        .await;
    assert_eq!(draft.data("/recordAssessment/assessment/status"), "DRAFT");
    let q = "query($id: ID!) { household(id: $id) { ladder { overall } latestAssessment { id } assessments { totalCount nodes { status } } } }";
    let h = app
        .gql(Some(&surveyor.token), q, json!({ "id": household }))
        .await;
    assert_eq!(h.data("/household/latestAssessment/id"), &first_id);
    assert_eq!(h.data("/household/ladder/overall"), "STRUGGLING");

    let draft_id = draft.data("/recordAssessment/assessment/id").clone();
    let activated = app.gql(Some(&surveyor.token), "mutation($i: AssessmentStatusInput!) { activateAssessment(input: $i) { assessment { status } } }", json!({ "i": { "id": draft_id } })).await;
    assert_eq!(
        activated.data("/activateAssessment/assessment/status"),
        "ACTIVE"
    );
    let h = app
        .gql(Some(&surveyor.token), q, json!({ "id": household }))
        .await;
    assert_eq!(h.data("/household/latestAssessment/id"), &draft_id);
    assert_eq!(
        h.data("/household/assessments/nodes"),
        &json!([{ "status": "SUPERSEDED" }, { "status": "ACTIVE" }])
    );

    let cancel = "mutation($i: AssessmentStatusInput!) { cancelAssessment(input: $i) { assessment { status } } }";
    app.gql(
        Some(&surveyor.token),
        cancel,
        json!({ "i": { "id": draft_id } }),
    )
    .await
    .assert_error("BAD_USER_INPUT", Some("reason"));
    app.gql(
        Some(&surveyor.token),
        cancel,
        json!({ "i": { "id": first_id, "reason": "wrong household" } }),
    )
    .await
    .assert_error("BAD_USER_INPUT", Some("id"));
    let c = app
        .gql(
            Some(&surveyor.token),
            cancel,
            json!({ "i": { "id": draft_id, "reason": "scores entered for the neighbour" } }),
        )
        .await;
    assert_eq!(c.data("/cancelAssessment/assessment/status"), "CANCELLED");
    assert!(
        app.gql(Some(&surveyor.token), q, json!({ "id": household }))
            .await
            .data("/household/latestAssessment")
            .is_null()
    );
}

#[actix_web::test]
async fn bad_scores_income_and_size_name_the_field_and_write_nothing() {
    let (app, surveyor, household) = setup().await;
    let cases = [
        (
            input(&household, [0.99, 2.0, 2.0, 2.0, 2.0], 1.0),
            "scores.human",
        ),
        (
            input(&household, [2.0, 2.0, 4.01, 2.0, 2.0], 1.0),
            "scores.financial",
        ),
        (
            input(&household, [2.0, 2.0, 2.0, 2.0, 2.0], -1.0),
            "incomePerPerson",
        ),
        (
            {
                let mut v = input(&household, [2.0; 5], 1.0);
                v["householdSize"] = json!(0);
                v
            },
            "householdSize",
        ),
        (
            {
                let mut v = input(&household, [2.0; 5], 1.0);
                v["assessedOn"] = json!("2999-01-01");
                v
            },
            "assessedOn",
        ),
    ];
    for (i, field) in cases {
        app.gql(Some(&surveyor.token), RECORD, json!({ "i": i }))
            .await
            .assert_error("BAD_USER_INPUT", Some(field));
    }
    let h = app
        .gql(
            Some(&surveyor.token),
            "query($id: ID!) { household(id: $id) { assessments { totalCount } } }",
            json!({ "id": household }),
        )
        .await;
    assert_eq!(h.data("/household/assessments/totalCount"), 0);
}

#[actix_web::test]
async fn a_retried_upload_returns_the_first_assessment() {
    let (app, surveyor, household) = setup().await;
    let mut i = input(&household, [2.0; 5], 3000.0);
    i["clientUuid"] = json!("0193a000-0000-7000-8000-0000000000aa");
    let a = app
        .gql(Some(&surveyor.token), RECORD, json!({ "i": i }))
        .await;
    let b = app
        .gql(Some(&surveyor.token), RECORD, json!({ "i": i }))
        .await;
    assert_eq!(
        a.data("/recordAssessment/assessment/id"),
        b.data("/recordAssessment/assessment/id")
    );
    assert_eq!(b.data("/recordAssessment/assessment/status"), "ACTIVE");
}

#[actix_web::test]
async fn assessments_follow_household_visibility_and_analysts_read_none() {
    let (app, surveyor, household) = setup().await;
    let res = app
        .gql(
            Some(&surveyor.token),
            RECORD,
            json!({ "i": input(&household, [2.0; 5], 3000.0) }),
        )
        .await;
    let id = res.data("/recordAssessment/assessment/id").clone();
    let analyst = app.client(Role::Analyst).await;
    // ANALYST works from aggregates only: no assessment, through `assessment` or `node`.
    app.gql(
        Some(&analyst.token),
        "query($id: ID!) { assessment(id: $id) { notes ladder { overall } } }",
        json!({ "id": id }),
    )
    .await
    .assert_error("FORBIDDEN", None);
    assert!(
        app.gql(
            Some(&analyst.token),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id })
        )
        .await
        .data("/node")
        .is_null()
    );
    let yala = app
        .client_for(
            &AccountBuilder::new(Role::Surveyor)
                .scopes(&["95"])
                .create(&app)
                .await,
        )
        .await;
    assert!(
        app.gql(
            Some(&yala.token),
            "query($id: ID!) { assessment(id: $id) { id } }",
            json!({ "id": id })
        )
        .await
        .data("/assessment")
        .is_null()
    );
    app.gql(
        Some(&yala.token),
        RECORD,
        json!({ "i": input(&household, [2.0; 5], 3000.0) }),
    )
    .await
    .assert_error("NOT_FOUND", None);
    let agency = app.client(Role::Agency).await;
    app.gql(
        Some(&agency.token),
        RECORD,
        json!({ "i": input(&household, [2.0; 5], 3000.0) }),
    )
    .await
    .assert_error("FORBIDDEN", None);
    assert!(
        app.gql(
            Some(&agency.token),
            "query($id: ID!) { assessment(id: $id) { id } }",
            json!({ "id": id })
        )
        .await
        .data("/assessment")
        .is_null()
    );
}

#[actix_web::test]
async fn an_admin_adds_a_poverty_line_year_once() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    let m =
        "mutation($i: SetPovertyLineInput!) { addPovertyLine(input: $i) { yearBe povertyLine } }";
    let ok = app.gql(Some(&admin.token), m, json!({ "i": { "yearBe": 2567, "povertyLine": 3078, "poorest40Cut": 5900, "median": 7200 } })).await;
    assert_eq!(ok.data("/addPovertyLine/yearBe"), 2567);
    app.gql(Some(&admin.token), m, json!({ "i": { "yearBe": 2567, "povertyLine": 3000, "poorest40Cut": 5900, "median": 7200 } })).await.assert_error("CONFLICT", None);
    app.gql(Some(&admin.token), m, json!({ "i": { "yearBe": 2568, "povertyLine": 3000, "poorest40Cut": 2000, "median": 7200 } })).await.assert_error("BAD_USER_INPUT", Some("poorest40Cut"));
    let lines = app
        .gql(Some(&admin.token), "{ povertyLines { yearBe } }", json!({}))
        .await;
    assert_eq!(
        lines.data("/povertyLines"),
        &json!([{ "yearBe": 2563 }, { "yearBe": 2567 }])
    );
}

#[actix_web::test]
async fn income_per_person_outside_0_to_10_million_baht_is_refused_and_nothing_is_written() {
    let (app, surveyor, household) = setup().await;
    for bad in [
        json!(1e300),
        json!(-1),
        json!(10_000_001),
        json!(10_000_000.01),
    ] {
        let mut i = input(&household, [2.0; 5], 1.0);
        i["incomePerPerson"] = bad.clone();
        app.gql(Some(&surveyor.token), RECORD, json!({ "i": i }))
            .await
            .assert_error("BAD_USER_INPUT", Some("incomePerPerson"));
    }
    let count = "query($id: ID!) { household(id: $id) { assessments { totalCount } } }";
    let none = app
        .gql(Some(&surveyor.token), count, json!({ "id": household }))
        .await;
    assert_eq!(none.data("/household/assessments/totalCount"), 0);

    let max = app
        .gql(
            Some(&surveyor.token),
            RECORD,
            json!({ "i": input(&household, [2.0; 5], 10_000_000.0) }),
        )
        .await;
    assert_eq!(
        max.data("/recordAssessment/assessment/incomePerPerson"),
        10_000_000.0
    );
}

#[actix_web::test]
async fn poverty_line_values_outside_1_to_1_million_baht_are_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    let m = "mutation($i: SetPovertyLineInput!) { addPovertyLine(input: $i) { yearBe povertyLine median } }";
    let ok = json!({ "yearBe": 2568, "povertyLine": 3000, "poorest40Cut": 5900, "median": 7200 });
    for field in ["povertyLine", "poorest40Cut", "median"] {
        for bad in [json!(-1), json!(0), json!(1_000_001)] {
            let mut i = ok.clone();
            i[field] = bad.clone();
            app.gql(Some(&admin.token), m, json!({ "i": i }))
                .await
                .assert_error("BAD_USER_INPUT", Some(field));
        }
        let mut i = ok.clone();
        i[field] = json!(1e300);
        app.gql(Some(&admin.token), m, json!({ "i": i }))
            .await
            .assert_not_an_int(field);
    }
    let lines = app
        .gql(Some(&admin.token), "{ povertyLines { yearBe } }", json!({}))
        .await;
    assert_eq!(lines.data("/povertyLines"), &json!([{ "yearBe": 2563 }]));

    let max = app
        .gql(
            Some(&admin.token),
            m,
            json!({ "i": { "yearBe": 2568, "povertyLine": 999_998, "poorest40Cut": 999_999, "median": 1_000_000 } }),
        )
        .await;
    assert_eq!(max.data("/addPovertyLine/median"), 1_000_000);
}
