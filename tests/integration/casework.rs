//! Casework (docs/casework.md): cases and their phases, referrals to partner agencies,
//! interventions, visits; who may do what; retries; bad input that writes nothing.
use entity::{
    enums::{AgencyType, Role},
    intervention, referral, support_case, visit,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    Client, Gql,
    builders::{AgencyBuilder, CaseBuilder, ReferralBuilder},
    casework::{
        Casework, agency_client, assessment_input, casework, change_phase_mutation,
        complete_visit_mutation, gid, hours_ago, intervention_mutation, open_case_mutation,
        refer_mutation, respond_mutation, rows, schedule_visit_mutation, update_case_mutation,
        yesterday,
    },
};

const PHASES: [&str; 6] = [
    "INTAKE",
    "ASSESSMENT",
    "PLANNING",
    "IMPLEMENTATION",
    "MONITORING",
    "CLOSED",
];

/// The phase table of docs/casework.md.
fn phase_move_allowed(from: &str, to: &str) -> bool {
    let i = PHASES.iter().position(|p| *p == from).unwrap();
    let j = PHASES.iter().position(|p| *p == to).unwrap();
    match (from, to) {
        ("CLOSED", to) => to != "CLOSED",         // reopen
        (_, "CLOSED") => true,                    // closing, early or not
        ("MONITORING", "IMPLEMENTATION") => true, // more support needed
        _ => j == i + 1,                          // one step forward
    }
}

/// The input fields a move to `to` needs beyond `to` itself.
fn move_extras(to: &str) -> Value {
    if to == "CLOSED" {
        json!({ "reason": "ครอบครัวพึ่งตนเองได้", "outcome": "POSITIVE" })
    } else {
        json!({ "reason": "ตามแผน" })
    }
}

/// A case of `household` brought to `phase` through allowed moves, as last written.
async fn case_in(w: &Casework, household: &Value, phase: &str) -> Value {
    let opened = CaseBuilder::new(household)
        .send(&w.app, &w.coordinator.token)
        .await;
    let mut case = opened.data("/openCase/case").clone();
    let path: &[&str] = match phase {
        "CLOSED" => &["CLOSED"],
        _ => {
            let n = PHASES.iter().position(|p| *p == phase).unwrap();
            &PHASES[1..=n]
        }
    };
    for to in path {
        let res = w
            .change_phase(&case["id"], &case["version"], to, move_extras(to))
            .await;
        case = res.data("/changeCasePhase/case").clone();
    }
    case
}

#[actix_web::test]
async fn case_phases_move_exactly_as_the_phase_table_allows() {
    let w = casework().await;
    let h = w.consented_household(1, w.agency.id).await;
    let mut wrong = Vec::new();
    for from in PHASES {
        // Refused moves change nothing, so they can share one case per phase.
        let shared = case_in(&w, &h, from).await;
        for to in PHASES {
            let allowed = phase_move_allowed(from, to);
            let before = if allowed {
                case_in(&w, &h, from).await
            } else {
                shared.clone()
            };
            let res = w
                .change_phase(&before["id"], &before["version"], to, move_extras(to))
                .await;
            if allowed {
                let after = res
                    .body
                    .pointer("/data/changeCasePhase/case")
                    .cloned()
                    .unwrap_or(Value::Null);
                let events = before["events"]["nodes"].as_array().unwrap().len();
                let ok = res.code().is_none()
                    && after["phase"] == to
                    && after["events"]["nodes"].as_array().map(Vec::len) == Some(events + 1)
                    && after["events"]["nodes"][events]["fromPhase"] == from
                    && after["events"]["nodes"][events]["toPhase"] == to;
                if !ok {
                    wrong.push(format!("{from} -> {to} should be allowed: {}", res.body));
                }
            } else {
                let after = w.read_case(&w.coordinator, &before["id"]).await;
                let ok = res.code() == Some("BAD_USER_INPUT")
                    && res.field() == Some("to")
                    && after == before;
                if !ok {
                    wrong.push(format!(
                        "{from} -> {to} should be BAD_USER_INPUT on `to` and change nothing: {} / {after}",
                        res.body
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[actix_web::test]
async fn opening_and_every_phase_change_is_an_event_with_actor_reason_and_outcome() {
    let w = casework().await;
    let h = w.consented_household(1, w.agency.id).await;
    let case = w.open_case(&h).await;
    let opened = w.read_case(&w.coordinator, &case).await;
    assert_eq!(opened["phase"], "INTAKE");
    assert_eq!(
        opened["events"]["nodes"].as_array().unwrap().len(),
        1,
        "{opened}"
    );
    let first = &opened["events"]["nodes"][0];
    assert_eq!(first["fromPhase"], Value::Null);
    assert_eq!(first["toPhase"], "INTAKE");
    assert_eq!(
        first["actor"]["login"],
        w.coordinator.account.login.as_str()
    );
    assert!(first["occurredAt"].is_string());

    let client_time = hours_ago(3);
    let moved = w
        .change_phase(
            &case,
            &opened["version"],
            "ASSESSMENT",
            json!({ "reason": "เยี่ยมบ้านครั้งแรกแล้ว", "clientOccurredAt": client_time }),
        )
        .await;
    let moved = moved.data("/changeCasePhase/case").clone();
    let event = &moved["events"]["nodes"][1];
    assert_eq!(event["fromPhase"], "INTAKE");
    assert_eq!(event["toPhase"], "ASSESSMENT");
    assert_eq!(event["reason"], "เยี่ยมบ้านครั้งแรกแล้ว");
    assert_eq!(event["outcome"], Value::Null);
    assert_eq!(
        event["actor"]["login"],
        w.coordinator.account.login.as_str()
    );
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(event["clientOccurredAt"].as_str().unwrap()).unwrap(),
        chrono::DateTime::parse_from_rfc3339(&client_time).unwrap()
    );

    // Closing needs both a reason and an outcome; without either, nothing changes.
    for (extra, field) in [
        (json!({ "outcome": "POSITIVE" }), "reason"),
        (json!({ "reason": "  ", "outcome": "POSITIVE" }), "reason"),
        (json!({ "reason": "ย้ายออกนอกพื้นที่" }), "outcome"),
    ] {
        w.change_phase(&case, &moved["version"], "CLOSED", extra)
            .await
            .assert_error("BAD_USER_INPUT", Some(field));
    }
    assert_eq!(w.read_case(&w.coordinator, &case).await, moved);

    let closed = w
        .change_phase(
            &case,
            &moved["version"],
            "CLOSED",
            json!({ "reason": "ย้ายออกนอกพื้นที่", "outcome": "NEUTRAL" }),
        )
        .await;
    let closed = closed.data("/changeCasePhase/case").clone();
    assert_eq!(closed["phase"], "CLOSED");
    assert_eq!(closed["closureReason"], "ย้ายออกนอกพื้นที่");
    assert_eq!(closed["outcome"], "NEUTRAL");
    assert!(closed["closedAt"].is_string(), "{closed}");
    assert_eq!(closed["events"]["nodes"][2]["reason"], "ย้ายออกนอกพื้นที่");
    assert_eq!(closed["events"]["nodes"][2]["outcome"], "NEUTRAL");

    // Reopening needs a reason, and clears the closure on the case (the event keeps it).
    w.change_phase(&case, &closed["version"], "PLANNING", json!({}))
        .await
        .assert_error("BAD_USER_INPUT", Some("reason"));
    assert_eq!(w.read_case(&w.coordinator, &case).await, closed);
    let reopened = w
        .change_phase(
            &case,
            &closed["version"],
            "PLANNING",
            json!({ "reason": "กลับมาอยู่ในพื้นที่" }),
        )
        .await;
    let reopened = reopened.data("/changeCasePhase/case").clone();
    assert_eq!(reopened["phase"], "PLANNING");
    assert_eq!(reopened["closureReason"], Value::Null);
    assert_eq!(reopened["outcome"], Value::Null);
    let events = reopened["events"]["nodes"].as_array().unwrap();
    assert_eq!(events.len(), 4, "{reopened}");
    assert_eq!(events[2]["outcome"], "NEUTRAL");
    assert_eq!(events[2]["reason"], "ย้ายออกนอกพื้นที่");
    assert_eq!(events[3]["fromPhase"], "CLOSED");
    assert_eq!(events[3]["toPhase"], "PLANNING");
    assert_eq!(events[3]["reason"], "กลับมาอยู่ในพื้นที่");
}

#[actix_web::test]
async fn going_back_from_monitoring_to_implementation_needs_a_reason() {
    let w = casework().await;
    let h = w.consented_household(1, w.agency.id).await;
    let monitoring = case_in(&w, &h, "MONITORING").await;
    let (case, version) = (&monitoring["id"], &monitoring["version"]);
    w.change_phase(case, version, "IMPLEMENTATION", json!({}))
        .await
        .assert_error("BAD_USER_INPUT", Some("reason"));
    assert_eq!(
        w.read_case(&w.coordinator, case).await["phase"],
        "MONITORING"
    );
    let back = w
        .change_phase(
            case,
            version,
            "IMPLEMENTATION",
            json!({ "reason": "ยังต้องการการสนับสนุน" }),
        )
        .await;
    assert_eq!(back.data("/changeCasePhase/case/phase"), "IMPLEMENTATION");
}

#[actix_web::test]
async fn a_stale_version_is_a_conflict_and_changes_nothing() {
    let w = casework().await;
    let h = w.consented_household(1, w.agency.id).await;
    let case = w.open_case(&h).await;
    let updated = w
        .gql(
            &w.coordinator,
            &update_case_mutation(),
            json!({ "i": { "id": case, "version": 1, "summary": "สรุปใหม่", "priority": "HIGH" } }),
        )
        .await;
    let current = updated.data("/updateCase/case").clone();
    assert_eq!(current["summary"], "สรุปใหม่");
    assert_eq!(current["version"], 2);

    w.gql(
        &w.coordinator,
        &update_case_mutation(),
        json!({ "i": { "id": case, "version": 1, "summary": "ทับของคนอื่น" } }),
    )
    .await
    .assert_error("CONFLICT", None);
    w.change_phase(
        &case,
        &json!(1),
        "ASSESSMENT",
        json!({ "reason": "ตามแผน" }),
    )
    .await
    .assert_error("CONFLICT", None);

    let after = w.read_case(&w.coordinator, &case).await;
    assert_eq!(after, current);
    assert_eq!(after["summary"], "สรุปใหม่");
    assert_eq!(after["phase"], "INTAKE");
    assert_eq!(after["events"]["nodes"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn update_case_leaves_omitted_fields_and_clears_null_ones() {
    let w = casework().await;
    let h = w.consented_household(1, w.agency.id).await;
    let case = w
        .open_case_with(
            &h,
            json!({ "reviewDueOn": "2027-01-15", "priority": "HIGH" }),
        )
        .await;
    let res = w
        .gql(
            &w.coordinator,
            "mutation($i: UpdateCaseInput!) { updateCase(input: $i) { case { summary priority reviewDueOn type } } }",
            json!({ "i": { "id": case, "version": 1, "summary": null } }),
        )
        .await;
    assert_eq!(
        res.data("/updateCase/case"),
        &json!({ "summary": null, "priority": "HIGH", "reviewDueOn": "2027-01-15", "type": "HEALTH" })
    );
}

/// A date 30 days ahead.
fn next_month() -> String {
    (chrono::Utc::now() + chrono::Duration::days(30))
        .date_naive()
        .to_string()
}

const REFERRAL_STATUSES: [&str; 5] = ["PENDING", "ACCEPTED", "DONE", "REJECTED", "REVOKED"];

/// A referral (to the default agency) brought to `status`.
async fn referral_in(w: &Casework, household: &Value, status: &str) -> Value {
    let case = w.open_case(household).await;
    let r = w.refer(&case, w.agency.id).await;
    match status {
        "PENDING" => {}
        "ACCEPTED" => w.accept(&w.staff, &r).await,
        "DONE" => {
            w.accept(&w.staff, &r).await;
            w.complete_referral(&w.staff, &r).await;
        }
        "REJECTED" => w.reject(&w.staff, &r).await,
        "REVOKED" => w.revoke(&r).await,
        _ => unreachable!(),
    }
    r
}

/// Performs `action` on `referral` as the party allowed to: the recipient accepts, rejects
/// and completes; the sender revokes. Returns the response and the status it should give.
async fn act_on_referral(w: &Casework, action: &str, referral: &Value) -> (Gql, &'static str) {
    use crate::helpers::casework::{complete_referral_mutation, revoke_mutation};
    match action {
        "accept" => (
            w.gql(
                &w.staff,
                &respond_mutation(),
                json!({ "i": { "id": referral, "decision": "ACCEPT" } }),
            )
            .await,
            "ACCEPTED",
        ),
        "reject" => (
            w.gql(
                &w.staff,
                &respond_mutation(),
                json!({ "i": { "id": referral, "decision": "REJECT", "reason": "ไม่มีที่ว่าง" } }),
            )
            .await,
            "REJECTED",
        ),
        "complete" => (
            w.gql(
                &w.staff,
                &complete_referral_mutation(),
                json!({ "i": { "id": referral, "note": "เสร็จแล้ว" } }),
            )
            .await,
            "DONE",
        ),
        "revoke" => (
            w.gql(
                &w.coordinator,
                &revoke_mutation(),
                json!({ "i": { "id": referral, "reason": "ส่งผิดหน่วยงาน" } }),
            )
            .await,
            "REVOKED",
        ),
        _ => unreachable!(),
    }
}

#[actix_web::test]
async fn referral_statuses_change_exactly_as_the_referral_lifecycle_allows() {
    let w = casework().await;
    let h = w.consented_household(1, w.agency.id).await;
    let allowed = |from: &str, action: &str| {
        matches!(
            (from, action),
            ("PENDING", "accept" | "reject" | "revoke") | ("ACCEPTED", "complete" | "revoke")
        )
    };
    let mut wrong = Vec::new();
    for from in REFERRAL_STATUSES {
        // Refused actions change nothing, so they can share one referral per status.
        let shared = referral_in(&w, &h, from).await;
        let shared_before = w.read_referral(&w.coordinator, &shared).await;
        assert_eq!(shared_before["status"], from);
        for action in ["accept", "reject", "complete", "revoke"] {
            if allowed(from, action) {
                let r = referral_in(&w, &h, from).await;
                let (res, to) = act_on_referral(&w, action, &r).await;
                let after = w.read_referral(&w.coordinator, &r).await;
                if res.code().is_some() || after["status"] != to {
                    wrong.push(format!(
                        "{from} --{action}--> {to} should be allowed: {} / {after}",
                        res.body
                    ));
                }
            } else {
                let (res, _) = act_on_referral(&w, action, &shared).await;
                let after = w.read_referral(&w.coordinator, &shared).await;
                if res.code() != Some("BAD_USER_INPUT") || after != shared_before {
                    wrong.push(format!(
                        "{from} --{action}--> should be BAD_USER_INPUT and change nothing: {} / {after}",
                        res.body
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[actix_web::test]
async fn each_referral_step_is_stamped_with_its_time_and_text() {
    let w = casework().await;
    let h = w.consented_household(1, w.agency.id).await;
    let done = referral_in(&w, &h, "DONE").await;
    let r = w.read_referral(&w.coordinator, &done).await;
    assert_eq!(r["status"], "DONE");
    assert!(
        r["acceptedAt"].is_string() && r["completedAt"].is_string(),
        "{r}"
    );
    let rejected = referral_in(&w, &h, "REJECTED").await;
    let r = w.read_referral(&w.coordinator, &rejected).await;
    assert_eq!(r["rejectionReason"], "เกินขีดความสามารถ");
    assert!(r["rejectedAt"].is_string(), "{r}");
    let revoked = referral_in(&w, &h, "REVOKED").await;
    let r = w.read_referral(&w.coordinator, &revoked).await;
    assert_eq!(r["revokeReason"], "ครอบครัวย้ายออก");
    assert!(r["revokedAt"].is_string(), "{r}");
}

const VISIT_STATUSES: [&str; 4] = ["SCHEDULED", "COMPLETED", "MISSED", "CANCELLED"];

async fn visit_in(w: &Casework, household: &Value, status: &str) -> Value {
    let v = w.schedule_visit(household, None).await;
    match status {
        "SCHEDULED" => {}
        "COMPLETED" => {
            w.complete_visit(&v, json!({})).await.data("/completeVisit");
        }
        s => {
            w.close_visit(&v, s).await.data("/closeVisit");
        }
    }
    v
}

#[actix_web::test]
async fn visits_end_once_as_completed_missed_or_cancelled() {
    let w = casework().await;
    let h = w.household(1).await;
    let mut wrong = Vec::new();
    for from in VISIT_STATUSES {
        for action in ["COMPLETED", "MISSED", "CANCELLED"] {
            let v = visit_in(&w, &h, from).await;
            let before = w.read_visit(&w.coordinator, &v).await;
            assert_eq!(before["status"], from);
            let res = match action {
                "COMPLETED" => w.complete_visit(&v, json!({ "notes": "อีกครั้ง" })).await,
                s => w.close_visit(&v, s).await,
            };
            let after = w.read_visit(&w.coordinator, &v).await;
            if from == "SCHEDULED" {
                if res.code().is_some() || after["status"] != action {
                    wrong.push(format!(
                        "{from} -> {action} should be allowed: {} / {after}",
                        res.body
                    ));
                }
            } else if res.code() != Some("BAD_USER_INPUT") || after != before {
                wrong.push(format!(
                    "{from} -> {action} should be BAD_USER_INPUT and change nothing: {} / {after}",
                    res.body
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[actix_web::test]
async fn a_visit_completed_twice_is_refused_and_keeps_the_first_completion() {
    let w = casework().await;
    let h = w.household(1).await;
    let v = w.schedule_visit(&h, None).await;
    let first = w.complete_visit(&v, json!({ "notes": "ครั้งแรก" })).await;
    let first = first.data("/completeVisit/visit").clone();
    assert_eq!(first["status"], "COMPLETED");
    w.complete_visit(
        &v,
        json!({ "notes": "ครั้งที่สอง", "occurredAt": hours_ago(0) }),
    )
    .await
    .assert_error("BAD_USER_INPUT", None);
    let after = w.read_visit(&w.coordinator, &v).await;
    assert_eq!(after, first);
    assert_eq!(after["notes"], "ครั้งแรก");
}

#[actix_web::test]
async fn a_visit_of_a_case_must_be_of_the_case_household() {
    let w = casework().await;
    let h1 = w.household(1).await;
    let h2 = w.household(2).await;
    let case = w.open_case(&h1).await;
    let res = w
        .gql(
            &w.surveyor,
            &schedule_visit_mutation(),
            json!({ "i": { "householdId": h2, "caseId": case, "type": "HOME", "scheduledAt": hours_ago(2) } }),
        )
        .await;
    res.assert_error("BAD_USER_INPUT", Some("caseId"));
    assert_eq!(rows::<visit::Entity>(&w.app).await, 0);
}

// ---------------------------------------------------------------------------------------------
// Retries: the same clientUuid and input return the first result; another input is CONFLICT.

/// Sends `input` twice with one key (same record both times), then `other` with that key
/// (CONFLICT). Returns the record.
async fn retried(
    w: &Casework,
    who: &Client,
    mutation: &str,
    pointer: &str,
    input: Value,
    other: Value,
) -> Value {
    let key = json!(Uuid::new_v4());
    let mut input = input;
    input["clientUuid"] = key.clone();
    let first = w.gql(who, mutation, json!({ "i": input })).await;
    let first = first.data(pointer).clone();
    let second = w.gql(who, mutation, json!({ "i": input })).await;
    assert_eq!(
        second.data(pointer)["id"],
        first["id"],
        "a retry returns the first record"
    );
    let mut other = other;
    other["clientUuid"] = key;
    w.gql(who, mutation, json!({ "i": other }))
        .await
        .assert_error("CONFLICT", None);
    first
}

#[actix_web::test]
async fn open_case_retried_with_the_same_key_opens_one_case() {
    let w = casework().await;
    let h = w.consented_household(1, w.agency.id).await;
    let case = CaseBuilder::new(&h).with(json!({ "summary": "ต้องการรถเข็น" }));
    let input = case.input();
    let other = case.case_type("HOUSING").input();
    retried(
        &w,
        &w.coordinator,
        &open_case_mutation(),
        "/openCase/case",
        input,
        other,
    )
    .await;
    assert_eq!(rows::<support_case::Entity>(&w.app).await, 1);
    let list = w
        .gql(
            &w.coordinator,
            "query($h: ID!) { cases(filter: { householdId: $h }) { totalCount } }",
            json!({ "h": h }),
        )
        .await;
    assert_eq!(list.data("/cases/totalCount"), 1);
}

#[actix_web::test]
async fn refer_case_retried_with_the_same_key_sends_one_referral() {
    let w = casework().await;
    let h = w.consented_household(1, w.agency.id).await;
    let case = w.open_case(&h).await;
    let input = ReferralBuilder::new(&case, w.agency.id)
        .with(json!({ "reason": "อาชีพเสริม" }))
        .input();
    let mut other = input.clone();
    other["reason"] = json!("อย่างอื่น");
    retried(
        &w,
        &w.coordinator,
        &refer_mutation(),
        "/referCase/referral",
        input,
        other,
    )
    .await;
    assert_eq!(rows::<referral::Entity>(&w.app).await, 1);
}

#[actix_web::test]
async fn respond_to_referral_retried_with_the_same_key_accepts_once() {
    let w = casework().await;
    let h = w.consented_household(1, w.agency.id).await;
    let case = w.open_case(&h).await;
    let r = w.refer(&case, w.agency.id).await;
    let input = json!({ "id": r, "decision": "ACCEPT" });
    let other = json!({ "id": r, "decision": "REJECT", "reason": "เปลี่ยนใจ" });
    let first = retried(
        &w,
        &w.staff,
        &respond_mutation(),
        "/respondToReferral/referral",
        input,
        other,
    )
    .await;
    assert_eq!(first["status"], "ACCEPTED");
    let after = w.read_referral(&w.coordinator, &r).await;
    assert_eq!(after["status"], "ACCEPTED");
    assert_eq!(after["version"], first["version"]);
    assert_eq!(rows::<referral::Entity>(&w.app).await, 1);
}

#[actix_web::test]
async fn record_intervention_retried_with_the_same_key_records_one() {
    let w = casework().await;
    let h = w.consented_household(1, w.agency.id).await;
    let case = w.open_case(&h).await;
    let r = w.refer(&case, w.agency.id).await;
    w.accept(&w.staff, &r).await;
    let input = Casework::intervention_input(&r);
    let mut other = input.clone();
    other["quantity"] = json!(4);
    retried(
        &w,
        &w.staff,
        &intervention_mutation(),
        "/recordIntervention/intervention",
        input,
        other,
    )
    .await;
    assert_eq!(rows::<intervention::Entity>(&w.app).await, 1);
}

#[actix_web::test]
async fn schedule_visit_retried_with_the_same_key_schedules_one() {
    let w = casework().await;
    let h = w.household(1).await;
    let at = hours_ago(2);
    let input = json!({ "householdId": h, "type": "HOME", "scheduledAt": at });
    let other = json!({ "householdId": h, "type": "PHONE", "scheduledAt": at });
    retried(
        &w,
        &w.surveyor,
        &schedule_visit_mutation(),
        "/scheduleVisit/visit",
        input,
        other,
    )
    .await;
    assert_eq!(rows::<visit::Entity>(&w.app).await, 1);
}

#[actix_web::test]
async fn complete_visit_retried_with_the_same_key_completes_once_with_one_assessment() {
    let w = casework().await;
    let h = w.household(1).await;
    let v = w.schedule_visit(&h, None).await;
    let at = hours_ago(1);
    let input = json!({ "id": v, "occurredAt": at, "notes": "พบครอบครัว",
        "assessment": assessment_input(None, 2.0) });
    let mut other = input.clone();
    other["notes"] = json!("ไม่พบ");
    let first = retried(
        &w,
        &w.surveyor,
        &complete_visit_mutation(),
        "/completeVisit/visit",
        input,
        other,
    )
    .await;
    assert_eq!(first["status"], "COMPLETED");
    assert_eq!(rows::<visit::Entity>(&w.app).await, 1);
    assert_eq!(rows::<entity::assessment::Entity>(&w.app).await, 1);
    assert_eq!(w.read_visit(&w.coordinator, &v).await["notes"], "พบครอบครัว");
}

// ---------------------------------------------------------------------------------------------
// Referral rules, checked before anything is written.

/// No referral row and no referral-related audit event.
async fn assert_no_referral_written(w: &Casework) {
    assert_eq!(rows::<referral::Entity>(&w.app).await, 0);
    let (n, events) = w.audit(json!({ "entityType": "Referral" })).await;
    assert_eq!(n, 0, "{events}");
    let (n, events) = w.audit(json!({ "action": "CONSENT_OVERRIDE" })).await;
    assert_eq!(n, 0, "{events}");
    let list = w
        .gql(&w.coordinator, "{ referrals { totalCount } }", json!({}))
        .await;
    assert_eq!(list.data("/referrals/totalCount"), 0);
}

#[actix_web::test]
async fn a_referral_without_a_valid_consent_or_override_is_refused_on_to_agency_id_and_writes_nothing()
 {
    let w = casework().await;
    let other = AgencyBuilder::new("Another university")
        .create(&w.app)
        .await;
    let a = w.agency.id;
    let yesterday_ts = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let cases: Vec<(&str, Option<Value>)> = vec![
        ("no consent at all", None),
        (
            "a refused consent",
            Some(
                json!({ "purposes": ["REFERRAL"], "recipientAgencyIds": [gid("Agency", a)], "status": "REFUSED", "givenAt": null }),
            ),
        ),
        (
            "a consent for research only",
            Some(
                json!({ "purposes": ["RESEARCH", "CASE_MANAGEMENT"], "recipientAgencyIds": [gid("Agency", a)] }),
            ),
        ),
        (
            "a consent naming another agency",
            Some(
                json!({ "purposes": ["REFERRAL"], "recipientAgencyIds": [gid("Agency", other.id)] }),
            ),
        ),
        (
            "a consent naming another agency type",
            Some(json!({ "purposes": ["REFERRAL"], "recipientAgencyTypes": ["NGO"] })),
        ),
        (
            "an expired consent",
            Some(
                json!({ "purposes": ["REFERRAL"], "recipientAgencyIds": [gid("Agency", a)],
                "givenAt": (chrono::Utc::now() - chrono::Duration::days(400)).to_rfc3339(),
                "expiresAt": yesterday_ts }),
            ),
        ),
    ];
    for (seed, (label, consent)) in cases.into_iter().enumerate() {
        let h = w.household(seed as u64 + 1).await;
        if let Some(c) = consent {
            w.consent_with(&h, c).await;
        }
        let case = w.open_case(&h).await;
        let res = w.refer_with(&w.coordinator, &case, a, json!({})).await;
        assert_eq!(res.code(), Some("BAD_USER_INPUT"), "{label}: {}", res.body);
        assert_eq!(res.field(), Some("toAgencyId"), "{label}: {}", res.body);
        assert_no_referral_written(&w).await;
    }

    // A withdrawn consent no longer allows it either.
    let h = w.household(50).await;
    let consent = w.consent(&h, &["REFERRAL"], &[a], &[]).await;
    w.withdraw_consent(&consent).await;
    let case = w.open_case(&h).await;
    w.refer_with(&w.coordinator, &case, a, json!({}))
        .await
        .assert_error("BAD_USER_INPUT", Some("toAgencyId"));
    assert_no_referral_written(&w).await;
}

#[actix_web::test]
async fn a_referral_keeps_the_consent_that_allowed_it() {
    let w = casework().await;
    let h = w.household(1).await;
    let consent = w.consent(&h, &["REFERRAL"], &[], &["UNIVERSITY"]).await;
    let case = w.open_case(&h).await;
    let r = w.refer(&case, w.agency.id).await;
    let read = w.read_referral(&w.coordinator, &r).await;
    assert_eq!(read["consent"]["id"], consent);
    assert_eq!(read["consentOverridden"], false);
    assert_eq!(read["overrideReason"], Value::Null);
    assert_eq!(read["status"], "PENDING");
    assert_eq!(read["case"]["id"], case);
    assert_eq!(read["household"]["id"], h);
    assert!(read["dueOn"].is_string(), "{read}");
}

#[actix_web::test]
async fn a_referral_to_an_agency_that_does_not_cover_the_household_is_refused_and_writes_nothing() {
    let w = casework().await;
    let yala = AgencyBuilder::new("Yala Rajabhat")
        .agency_type(AgencyType::University)
        .coverage(&["95"])
        .create(&w.app)
        .await;
    let h = w.household(1).await;
    w.consent(&h, &["REFERRAL"], &[yala.id], &[]).await;
    let case = w.open_case(&h).await;
    w.refer_with(&w.coordinator, &case, yala.id, json!({}))
        .await
        .assert_error("BAD_USER_INPUT", Some("toAgencyId"));
    assert_no_referral_written(&w).await;
}

#[actix_web::test]
async fn a_referral_on_a_closed_case_is_refused() {
    let w = casework().await;
    let h = w.consented_household(1, w.agency.id).await;
    let closed = case_in(&w, &h, "CLOSED").await;
    let res = w
        .refer_with(&w.coordinator, &closed["id"], w.agency.id, json!({}))
        .await;
    res.assert_error("BAD_USER_INPUT", None);
    assert_no_referral_written(&w).await;
}

#[actix_web::test]
async fn a_rejection_without_a_reason_is_refused_and_the_referral_stays_pending() {
    let w = casework().await;
    let h = w.consented_household(1, w.agency.id).await;
    let case = w.open_case(&h).await;
    let r = w.refer(&case, w.agency.id).await;
    let before = w.read_referral(&w.coordinator, &r).await;
    for input in [
        json!({ "id": r, "decision": "REJECT" }),
        json!({ "id": r, "decision": "REJECT", "reason": "   " }),
    ] {
        w.gql(&w.staff, &respond_mutation(), json!({ "i": input }))
            .await
            .assert_error("BAD_USER_INPUT", Some("reason"));
    }
    let after = w.read_referral(&w.coordinator, &r).await;
    assert_eq!(after, before);
    assert_eq!(after["status"], "PENDING");
    assert_eq!(after["rejectionReason"], Value::Null);
}

#[actix_web::test]
async fn an_intervention_on_a_referral_that_is_not_accepted_is_refused_on_referral_id() {
    let w = casework().await;
    let h = w.consented_household(1, w.agency.id).await;
    for status in ["PENDING", "REJECTED", "REVOKED", "DONE"] {
        let r = referral_in(&w, &h, status).await;
        let res = w
            .gql(
                &w.coordinator,
                &intervention_mutation(),
                json!({ "i": Casework::intervention_input(&r) }),
            )
            .await;
        assert_eq!(res.code(), Some("BAD_USER_INPUT"), "{status}: {}", res.body);
        assert_eq!(res.field(), Some("referralId"), "{status}: {}", res.body);
    }
    assert_eq!(rows::<intervention::Entity>(&w.app).await, 0);
}

#[actix_web::test]
async fn intervention_quantity_cost_and_date_out_of_range_are_refused_by_field() {
    let w = casework().await;
    let h = w.consented_household(1, w.agency.id).await;
    let r = referral_in(&w, &h, "ACCEPTED").await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(2))
        .date_naive()
        .to_string();
    for (field, value) in [
        ("quantity", json!(0)),
        ("quantity", json!(-1)),
        ("quantity", json!(1_000_000_001)),
        ("cost", json!(-1)),
        ("cost", json!(10_000_001)),
        ("deliveredOn", json!(tomorrow)),
    ] {
        let mut input = Casework::intervention_input(&r);
        input[field] = value.clone();
        let res = w
            .gql(&w.staff, &intervention_mutation(), json!({ "i": input }))
            .await;
        assert_eq!(
            res.code(),
            Some("BAD_USER_INPUT"),
            "{field}={value}: {}",
            res.body
        );
        assert_eq!(res.field(), Some(field), "{field}={value}: {}", res.body);
    }
    // Both or neither of referralId and matchId.
    let mut both = Casework::intervention_input(&r);
    both["matchId"] = gid("Match", Uuid::now_v7());
    w.gql(&w.staff, &intervention_mutation(), json!({ "i": both }))
        .await
        .assert_error("BAD_USER_INPUT", None);
    let mut neither = Casework::intervention_input(&r);
    neither.as_object_mut().unwrap().remove("referralId");
    w.gql(&w.staff, &intervention_mutation(), json!({ "i": neither }))
        .await
        .assert_error("BAD_USER_INPUT", None);
    assert_eq!(rows::<intervention::Entity>(&w.app).await, 0);
    let read = w
        .gql(
            &w.coordinator,
            "query($id: ID!) { referral(id: $id) { interventions { totalCount } } }",
            json!({ "id": r }),
        )
        .await;
    assert_eq!(read.data("/referral/interventions/totalCount"), 0);
}

#[actix_web::test]
async fn an_agency_may_not_override_a_missing_consent() {
    let w = casework().await;
    let onward = AgencyBuilder::new("Lampang NGO").create(&w.app).await;
    let h = w.household(1).await;
    // The agency owns the case (and may see the household for case management), but the
    // household gave no consent to refer it to `onward`.
    w.consent(&h, &["CASE_MANAGEMENT"], &[w.agency.id], &[])
        .await;
    let case = w
        .open_case_with(&h, json!({ "ownerAgencyId": gid("Agency", w.agency.id) }))
        .await;
    assert_eq!(w.read_case(&w.staff, &case).await["id"], case);
    w.refer_with(
        &w.staff,
        &case,
        onward.id,
        json!({ "consentOverrideReason": "เร่งด่วน" }),
    )
    .await
    .assert_error("FORBIDDEN", None);
    assert_no_referral_written(&w).await;
}

#[actix_web::test]
async fn a_coordinators_override_sends_the_referral_and_audits_it_as_consent_override() {
    let w = casework().await;
    let h = w.household(1).await;
    let case = w.open_case(&h).await;
    let reason = "ผู้ป่วยติดเตียง ต้องการความช่วยเหลือด่วน";
    let res = w
        .refer_with(
            &w.coordinator,
            &case,
            w.agency.id,
            json!({ "consentOverrideReason": reason }),
        )
        .await;
    let r = res.data("/referCase/referral").clone();
    assert_eq!(r["consentOverridden"], true);
    assert_eq!(r["overrideReason"], reason);
    assert_eq!(r["consent"], Value::Null);
    assert_eq!(r["status"], "PENDING");
    let (n, events) = w.audit(json!({ "action": "CONSENT_OVERRIDE" })).await;
    assert_eq!(n, 1, "{events}");
    assert_eq!(
        events[0]["actor"]["login"],
        w.coordinator.account.login.as_str()
    );
    assert_eq!(rows::<referral::Entity>(&w.app).await, 1);
}

// ---------------------------------------------------------------------------------------------
// Visits with an assessment: both or neither.

#[actix_web::test]
async fn completing_a_visit_with_an_assessment_makes_it_the_households_active_assessment() {
    let w = casework().await;
    let h = w.household(1).await;
    let case = w.open_case(&h).await;
    let v = w.schedule_visit(&h, Some(&case)).await;
    let res = w
        .complete_visit(&v, json!({ "assessment": assessment_input(None, 2.0) }))
        .await;
    let visit = res.data("/completeVisit/visit").clone();
    assert_eq!(visit["status"], "COMPLETED");
    assert_eq!(visit["assessment"]["status"], "ACTIVE");
    assert_eq!(
        res.data("/completeVisit/assessment/id"),
        &visit["assessment"]["id"]
    );
    let household = w
        .gql(
            &w.coordinator,
            "query($id: ID!) { household(id: $id) { latestAssessment { id overallScore } visits { totalCount nodes { id status } } } }",
            json!({ "id": h }),
        )
        .await;
    assert_eq!(
        household.data("/household/latestAssessment/id"),
        &visit["assessment"]["id"]
    );
    assert_eq!(
        household.data("/household/latestAssessment/overallScore"),
        2.0
    );
    assert_eq!(household.data("/household/visits/totalCount"), 1);
}

#[actix_web::test]
async fn completing_a_visit_with_an_invalid_assessment_changes_neither_the_visit_nor_the_assessments()
 {
    let w = casework().await;
    let h = w.household(1).await;
    let v = w.schedule_visit(&h, None).await;
    let before = w.read_visit(&w.coordinator, &v).await;
    let mut bad = assessment_input(None, 2.0);
    bad["scores"]["human"] = json!(5.0);
    let res = w.complete_visit(&v, json!({ "assessment": bad })).await;
    res.assert_error("BAD_USER_INPUT", Some("assessment.scores.human"));
    assert_eq!(w.read_visit(&w.coordinator, &v).await, before);
    assert_eq!(before["status"], "SCHEDULED");
    let household = w
        .gql(
            &w.coordinator,
            "query($id: ID!) { household(id: $id) { latestAssessment { id } assessments { totalCount } } }",
            json!({ "id": h }),
        )
        .await;
    assert_eq!(household.data("/household/latestAssessment"), &Value::Null);
    assert_eq!(household.data("/household/assessments/totalCount"), 0);
    assert_eq!(rows::<entity::assessment::Entity>(&w.app).await, 0);
}

// ---------------------------------------------------------------------------------------------
// The agency side.

const INBOX: &str =
    "query($s: [ReferralStatus!]) { referrals(filter: { direction: INBOX, status: $s }) {
  totalCount nodes { id status toAgency { id } household { id } } } }";

#[actix_web::test]
async fn an_agencys_inbox_lists_the_referrals_to_it_and_not_those_to_other_agencies() {
    let w = casework().await;
    let other = AgencyBuilder::new("Lampang Rajabhat").create(&w.app).await;
    let other_staff = agency_client(&w.app, other.id).await;
    let h = w.household(1).await;
    w.consent(&h, &["REFERRAL"], &[], &["UNIVERSITY"]).await;
    let mine_case = w.open_case(&h).await;
    let theirs_case = w.open_case(&h).await;
    let mine = w.refer(&mine_case, w.agency.id).await;
    let theirs = w.refer(&theirs_case, other.id).await;

    let inbox = w.gql(&w.staff, INBOX, json!({ "s": ["PENDING"] })).await;
    assert_eq!(inbox.data("/referrals/totalCount"), 1);
    assert_eq!(inbox.data("/referrals/nodes/0/id"), &mine);
    assert_eq!(inbox.data("/referrals/nodes/0/household/id"), &h);
    let theirs_inbox = w
        .gql(&other_staff, INBOX, json!({ "s": ["PENDING"] }))
        .await;
    assert_eq!(theirs_inbox.data("/referrals/totalCount"), 1);
    assert_eq!(theirs_inbox.data("/referrals/nodes/0/id"), &theirs);
    let accepted = w.gql(&w.staff, INBOX, json!({ "s": ["ACCEPTED"] })).await;
    assert_eq!(accepted.data("/referrals/totalCount"), 0);

    // Another agency's referral and the case it was sent on are out of sight, by any path.
    let all = w
        .gql(
            &w.staff,
            "{ referrals { totalCount } cases { totalCount nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(all.data("/referrals/totalCount"), 1);
    assert_eq!(all.data("/cases/nodes"), &json!([{ "id": mine_case }]));
    let q = "query($r: ID!, $c: ID!) { referral(id: $r) { id } case(id: $c) { id }
        rn: node(id: $r) { id } cn: node(id: $c) { id } }";
    let res = w
        .gql(&w.staff, q, json!({ "r": theirs, "c": theirs_case }))
        .await;
    assert_eq!(
        res.data(""),
        &json!({ "referral": null, "case": null, "rn": null, "cn": null })
    );
    let household = w
        .gql(
            &w.staff,
            "query($h: ID!) { household(id: $h) { referrals { totalCount nodes { id } } cases { totalCount } } }",
            json!({ "h": h }),
        )
        .await;
    assert_eq!(
        household.data("/household/referrals/nodes"),
        &json!([{ "id": mine }])
    );
    assert_eq!(household.data("/household/cases/totalCount"), 1);
}

#[actix_web::test]
async fn an_agency_accepts_a_referral_records_what_it_delivered_and_marks_it_done() {
    let w = casework().await;
    let h = w.consented_household(1, w.agency.id).await;
    let case = w.open_case(&h).await;
    let r = w.refer(&case, w.agency.id).await;

    let accepted = w
        .gql(
            &w.staff,
            &respond_mutation(),
            json!({ "i": { "id": r, "decision": "ACCEPT", "reason": "รับเข้ารุ่นถัดไป" } }),
        )
        .await;
    assert_eq!(
        accepted.data("/respondToReferral/referral/status"),
        "ACCEPTED"
    );
    assert!(
        accepted
            .data("/respondToReferral/referral/acceptedAt")
            .is_string()
    );

    let input = json!({ "referralId": r, "kind": "IN_KIND", "targetCapital": "NATURAL", "quantity": 2.5,
        "unit": "กิโลกรัม", "cost": 750, "deliveredOn": yesterday(), "notes": "พันธุ์ปลานิล" });
    let recorded = w
        .gql(&w.staff, &intervention_mutation(), json!({ "i": input }))
        .await;
    let i = recorded.data("/recordIntervention/intervention").clone();
    assert_eq!(i["kind"], "IN_KIND");
    assert_eq!(i["quantity"], 2.5);
    assert_eq!(i["unit"], "กิโลกรัม");
    assert_eq!(i["cost"], 750.0);
    assert_eq!(i["deliveredOn"], yesterday());
    assert_eq!(i["deliveringAgency"]["id"], gid("Agency", w.agency.id));
    assert_eq!(i["referral"]["id"], r);
    assert_eq!(i["household"]["id"], h);

    let done = w
        .gql(
            &w.staff,
            &crate::helpers::casework::complete_referral_mutation(),
            json!({ "i": { "id": r, "note": "ส่งมอบครบ" } }),
        )
        .await;
    assert_eq!(done.data("/completeReferral/referral/status"), "DONE");

    // The delivery counts wherever it is listed.
    let q = "query($r: ID!, $c: ID!, $h: ID!) { referral(id: $r) { interventions { totalCount nodes { quantity unit } } }
        case(id: $c) { interventions { totalCount } }
        household(id: $h) { interventions { totalCount } }
        interventions(filter: { householdId: $h }) { totalCount } }";
    for who in [&w.staff, &w.coordinator] {
        let res = w.gql(who, q, json!({ "r": r, "c": case, "h": h })).await;
        assert_eq!(
            res.data("/referral/interventions/nodes"),
            &json!([{ "quantity": 2.5, "unit": "กิโลกรัม" }])
        );
        assert_eq!(res.data("/case/interventions/totalCount"), 1);
        assert_eq!(res.data("/household/interventions/totalCount"), 1);
        assert_eq!(res.data("/interventions/totalCount"), 1);
    }
}

#[actix_web::test]
async fn agency_staff_see_names_and_phone_but_no_national_id_and_only_consents_naming_them() {
    let w = casework().await;
    let other = AgencyBuilder::new("Lampang Rajabhat").create(&w.app).await;
    let mut input = crate::helpers::fixtures::household_input(
        crate::helpers::fixtures::LAMPANG_VILLAGE,
        "คน1",
        1,
    );
    input["members"][0]["person"]["phone"] = json!("0812345678");
    input["externalIds"] = json!([{ "scheme": "TPMAP", "value": "TP-0001" }]);
    let h = crate::helpers::fixtures::register(&w.app, &w.surveyor.token, input).await["household"]
        ["id"]
        .clone();
    w.consent(&h, &["REFERRAL", "CASE_MANAGEMENT"], &[w.agency.id], &[])
        .await;
    w.consent(&h, &["RESEARCH"], &[other.id], &[]).await;
    let case = w.open_case(&h).await;
    w.refer(&case, w.agency.id).await;
    let q =
        "query($h: ID!) { household(id: $h) { externalIds { value } statusHistory { totalCount }
        consents { totalCount nodes { purposes } }
        members { nodes { person { givenName familyName phone nationalIdMasked } } } } }";
    let staff = w.gql(&w.staff, q, json!({ "h": h })).await;
    let person = staff.data("/household/members/nodes/0/person");
    assert_eq!(person["givenName"], "คน1");
    assert_eq!(person["familyName"], "ใจดี");
    assert_eq!(person["phone"], "0812345678");
    assert_eq!(person["nationalIdMasked"], Value::Null);
    assert_eq!(staff.data("/household/externalIds"), &json!([]));
    assert_eq!(staff.data("/household/statusHistory/totalCount"), 0);
    assert_eq!(staff.data("/household/consents/totalCount"), 1);
    let purposes = staff.data("/household/consents/nodes/0/purposes");
    assert!(
        purposes.as_array().unwrap().contains(&json!("REFERRAL")),
        "{purposes}"
    );
    let coordinator = w.gql(&w.coordinator, q, json!({ "h": h })).await;
    assert!(
        coordinator
            .data("/household/members/nodes/0/person/nationalIdMasked")
            .is_string()
    );
    assert_eq!(coordinator.data("/household/consents/totalCount"), 2);
    assert_eq!(
        coordinator.data("/household/externalIds"),
        &json!([{ "value": "TP-0001" }])
    );
    assert!(
        coordinator
            .data("/household/statusHistory/totalCount")
            .as_i64()
            .unwrap()
            > 0
    );
}

#[actix_web::test]
async fn an_agency_owning_a_case_moves_it_and_other_agencies_cannot() {
    let w = casework().await;
    let outsider = w.app.client(Role::Agency).await;
    let h = w.consented_household(1, w.agency.id).await;
    let case = w
        .open_case_with(&h, json!({ "ownerAgencyId": gid("Agency", w.agency.id) }))
        .await;
    let moved = w
        .gql(
            &w.staff,
            &change_phase_mutation(),
            json!({ "i": { "id": case, "version": 1, "to": "ASSESSMENT", "reason": "รับเรื่องแล้ว" } }),
        )
        .await;
    assert_eq!(moved.data("/changeCasePhase/case/phase"), "ASSESSMENT");
    assert_eq!(
        moved.data("/changeCasePhase/case/events/nodes/1/actor/login"),
        w.staff.account.login.as_str()
    );
    let res = w
        .gql(
            &outsider,
            &change_phase_mutation(),
            json!({ "i": { "id": case, "version": 2, "to": "PLANNING", "reason": "ไม่ใช่ของเรา" } }),
        )
        .await;
    assert!(
        matches!(res.code(), Some("NOT_FOUND" | "FORBIDDEN")),
        "{}",
        res.body
    );
    assert_eq!(
        w.read_case(&w.coordinator, &case).await["phase"],
        "ASSESSMENT"
    );
    assert_eq!(w.read_case(&outsider, &case).await, Value::Null);
}

// ---------------------------------------------------------------------------------------------
// Who may do what.

#[actix_web::test]
async fn a_surveyor_reads_cases_in_its_areas_but_may_not_open_one() {
    let w = casework().await;
    let h = w.household(1).await;
    let case = w.open_case(&h).await;
    let list = w
        .gql(
            &w.surveyor,
            "{ cases { totalCount nodes { id phase } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        list.data("/cases/nodes"),
        &json!([{ "id": case, "phase": "INTAKE" }])
    );
    assert_eq!(w.read_case(&w.surveyor, &case).await["id"], case);
    w.gql(
        &w.surveyor,
        &open_case_mutation(),
        json!({ "i": { "householdId": h, "type": "HEALTH" } }),
    )
    .await
    .assert_error("FORBIDDEN", None);
    assert_eq!(rows::<support_case::Entity>(&w.app).await, 1);

    // Out of its areas: a surveyor of Yala sees none of it.
    let yala = w
        .app
        .client_for(
            &crate::helpers::fixtures::AccountBuilder::new(Role::Surveyor)
                .scopes(&["95"])
                .create(&w.app)
                .await,
        )
        .await;
    let v = w.schedule_visit(&h, Some(&case)).await;
    let res = w
        .gql(
            &yala,
            "query($c: ID!, $v: ID!) { cases { totalCount } visits { totalCount } case(id: $c) { id }
              node(id: $c) { id } visit(id: $v) { id } vn: node(id: $v) { id } }",
            json!({ "c": case, "v": v }),
        )
        .await;
    assert_eq!(
        res.data(""),
        &json!({ "cases": { "totalCount": 0 }, "visits": { "totalCount": 0 }, "case": null,
            "node": null, "visit": null, "vn": null })
    );
}

#[actix_web::test]
async fn an_analyst_may_not_read_cases_or_referrals_nor_the_household_they_hang_off() {
    let w = casework().await;
    let h = w.consented_household(1, w.agency.id).await;
    let case = w.open_case(&h).await;
    w.refer(&case, w.agency.id).await;
    let analyst = w.app.client(Role::Analyst).await;
    for q in [
        "{ cases { totalCount } }",
        "{ referrals { totalCount } }",
        "{ interventions { totalCount } }",
        "{ visits { totalCount } }",
    ] {
        w.gql(&analyst, q, json!({}))
            .await
            .assert_error("FORBIDDEN", None);
    }
    // Nor the household itself (ANALYST works from aggregates only), so none of its cases.
    w.gql(
        &analyst,
        "query($h: ID!) { household(id: $h) { id cases { totalCount } referrals { totalCount } } }",
        json!({ "h": h }),
    )
    .await
    .assert_error("FORBIDDEN", None);
    let node = w
        .gql(
            &analyst,
            "query($h: ID!, $c: ID!) { node(id: $h) { ... on Household { cases { totalCount } } } case: node(id: $c) { id } }",
            json!({ "h": h, "c": case }),
        )
        .await;
    assert_eq!(node.data(""), &json!({ "node": null, "case": null }));
}

#[actix_web::test]
async fn agency_staff_may_not_open_cases_or_schedule_visits() {
    let w = casework().await;
    let h = w.consented_household(1, w.agency.id).await;
    let case = w.open_case(&h).await;
    w.refer(&case, w.agency.id).await;
    w.gql(
        &w.staff,
        &open_case_mutation(),
        json!({ "i": { "householdId": h, "type": "HEALTH" } }),
    )
    .await
    .assert_error("FORBIDDEN", None);
    w.gql(
        &w.staff,
        &schedule_visit_mutation(),
        json!({ "i": { "householdId": h, "type": "HOME", "scheduledAt": hours_ago(2) } }),
    )
    .await
    .assert_error("FORBIDDEN", None);
    w.gql(&w.staff, "{ visits { totalCount } }", json!({}))
        .await
        .assert_error("FORBIDDEN", None);
    assert_eq!(rows::<support_case::Entity>(&w.app).await, 1);
    assert_eq!(rows::<visit::Entity>(&w.app).await, 0);
}

// ---------------------------------------------------------------------------------------------
// More referral rules.

#[actix_web::test]
async fn a_referral_goes_to_an_active_agency_other_than_the_sender_for_what_it_delivers() {
    let w = casework().await;
    let other = AgencyBuilder::new("Lampang Rajabhat").create(&w.app).await;
    let closed = AgencyBuilder::new("Closed down").create(&w.app).await;
    w.gql(
        &w.admin,
        "mutation($i: UpdateAgencyInput!) { updateAgency(input: $i) { agency { active } } }",
        json!({ "i": { "id": gid("Agency", closed.id), "version": 1, "active": false } }),
    )
    .await
    .data("/updateAgency");
    let h = w.household(1).await;
    w.consent(&h, &["REFERRAL", "CASE_MANAGEMENT"], &[], &["UNIVERSITY"])
        .await;
    let owned = w
        .open_case_with(&h, json!({ "ownerAgencyId": gid("Agency", w.agency.id) }))
        .await;
    let their_tech = w.technology(other.id, "Goat bank").await;

    let res = w
        .refer_with(&w.coordinator, &owned, closed.id, json!({}))
        .await;
    res.assert_error("BAD_USER_INPUT", Some("toAgencyId"));
    let res = w.refer_with(&w.staff, &owned, w.agency.id, json!({})).await;
    res.assert_error("BAD_USER_INPUT", Some("toAgencyId"));
    let plain = w.open_case(&h).await;
    let res = w
        .refer_with(
            &w.coordinator,
            &plain,
            w.agency.id,
            json!({ "technologyId": their_tech }),
        )
        .await;
    res.assert_error("BAD_USER_INPUT", Some("technologyId"));
    assert_no_referral_written(&w).await;

    // The technology's own agency is a fine recipient for it.
    let ok = w
        .refer_with(
            &w.coordinator,
            &plain,
            other.id,
            json!({ "technologyId": their_tech }),
        )
        .await;
    assert_eq!(
        ok.data("/referCase/referral/toAgency/id"),
        &gid("Agency", other.id)
    );
}

#[actix_web::test]
async fn an_agency_sends_onward_from_a_case_it_owns_and_revokes_what_it_sent() {
    let w = casework().await;
    let other = AgencyBuilder::new("Lampang Rajabhat").create(&w.app).await;
    let other_staff = agency_client(&w.app, other.id).await;
    let h = w.household(1).await;
    w.consent(&h, &["REFERRAL", "CASE_MANAGEMENT"], &[], &["UNIVERSITY"])
        .await;
    let owned = w
        .open_case_with(&h, json!({ "ownerAgencyId": gid("Agency", w.agency.id) }))
        .await;
    let sent = w.refer_with(&w.staff, &owned, other.id, json!({})).await;
    let r = sent.data("/referCase/referral/id").clone();
    let from = "query($d: ReferralDirection) { referrals(filter: { direction: $d }) { nodes { id fromAgency { id } } } }";
    let outbox = w.gql(&w.staff, from, json!({ "d": "OUTBOX" })).await;
    assert_eq!(
        outbox.data("/referrals/nodes"),
        &json!([{ "id": r, "fromAgency": { "id": gid("Agency", w.agency.id) } }])
    );
    let inbox = w.gql(&w.staff, from, json!({ "d": "INBOX" })).await;
    assert_eq!(inbox.data("/referrals/nodes"), &json!([]));
    let theirs = w.gql(&other_staff, from, json!({ "d": "INBOX" })).await;
    assert_eq!(theirs.data("/referrals/nodes/0/id"), &r);

    let revoked = w
        .gql(
            &w.staff,
            &crate::helpers::casework::revoke_mutation(),
            json!({ "i": { "id": r, "reason": "ส่งผิดหน่วยงาน" } }),
        )
        .await;
    assert_eq!(revoked.data("/revokeReferral/referral/status"), "REVOKED");
}

#[actix_web::test]
async fn only_the_recipient_answers_or_completes_a_referral() {
    let w = casework().await;
    let outsider = w.app.client(Role::Agency).await;
    let h = w.consented_household(1, w.agency.id).await;
    let pending = referral_in(&w, &h, "PENDING").await;
    let accepted = referral_in(&w, &h, "ACCEPTED").await;
    let answer = json!({ "i": { "id": pending, "decision": "ACCEPT" } });
    let complete = json!({ "i": { "id": accepted } });
    let complete_mutation = crate::helpers::casework::complete_referral_mutation();
    for (who, allowed) in [
        (&w.coordinator, &["FORBIDDEN"][..]),
        (&outsider, &["NOT_FOUND", "FORBIDDEN"][..]),
    ] {
        for (mutation, input) in [
            (&respond_mutation(), &answer),
            (&complete_mutation, &complete),
        ] {
            let res = w.gql(who, mutation, input.clone()).await;
            assert!(
                res.code().is_some_and(|c| allowed.contains(&c)),
                "{} {mutation}: {}",
                who.account.login,
                res.body
            );
        }
    }
    let res = w
        .gql(
            &outsider,
            &intervention_mutation(),
            json!({ "i": Casework::intervention_input(&accepted) }),
        )
        .await;
    // Another agency's referral is not one it may name.
    assert!(
        matches!(res.code(), Some("NOT_FOUND" | "FORBIDDEN"))
            || (res.code() == Some("BAD_USER_INPUT") && res.field() == Some("referralId")),
        "{}",
        res.body
    );
    assert_eq!(rows::<intervention::Entity>(&w.app).await, 0);
    assert_eq!(
        w.read_referral(&w.coordinator, &pending).await["status"],
        "PENDING"
    );
    assert_eq!(
        w.read_referral(&w.coordinator, &accepted).await["status"],
        "ACCEPTED"
    );
}

#[actix_web::test]
async fn a_referral_is_due_fourteen_days_after_it_was_sent_unless_given_a_date() {
    let w = casework().await;
    let h = w.consented_household(1, w.agency.id).await;
    let case = w.open_case(&h).await;
    let r = w.refer(&case, w.agency.id).await;
    let read = w
        .gql(
            &w.coordinator,
            "query($id: ID!) { referral(id: $id) { dueOn isOverdue } }",
            json!({ "id": r }),
        )
        .await;
    let now = chrono::Utc::now();
    // The sending day in UTC or in Thailand (UTC+7), whichever the server counts in.
    let expected: Vec<String> = [now, now + chrono::Duration::hours(7)]
        .iter()
        .map(|t| (t.date_naive() + chrono::Duration::days(14)).to_string())
        .collect();
    let due = read.data("/referral/dueOn").as_str().unwrap().to_string();
    assert!(expected.contains(&due), "{due} not in {expected:?}");
    assert_eq!(read.data("/referral/isOverdue"), false);

    let given = w
        .refer_with(
            &w.coordinator,
            &w.open_case(&h).await,
            w.agency.id,
            json!({ "dueOn": next_month() }),
        )
        .await;
    assert_eq!(
        given.data("/referCase/referral/dueOn"),
        &json!(next_month())
    );
}

#[actix_web::test]
async fn an_intervention_on_a_match_needs_the_match_accepted_and_is_delivered_by_its_agency() {
    let w = casework().await;
    let h = w.consented_household(1, w.agency.id).await;
    w.assess(&h).await;
    let tech = w.technology(w.agency.id, "Fish feed").await;
    let m = w.suggest_match(&h, &tech).await;
    let mut input = Casework::intervention_input(&m);
    input.as_object_mut().unwrap().remove("referralId");
    input["matchId"] = m.clone();
    w.gql(&w.staff, &intervention_mutation(), json!({ "i": input }))
        .await
        .assert_error("BAD_USER_INPUT", Some("matchId"));
    assert_eq!(rows::<intervention::Entity>(&w.app).await, 0);

    for (version, to) in [(1, "OFFERED"), (2, "ACCEPTED")] {
        w.gql(
            &w.coordinator,
            "mutation($i: TransitionMatchInput!) { transitionMatch(input: $i) { match { status } } }",
            json!({ "i": { "matchId": m, "version": version, "to": to } }),
        )
        .await
        .data("/transitionMatch");
    }
    let recorded = w
        .gql(&w.staff, &intervention_mutation(), json!({ "i": input }))
        .await;
    let i = recorded.data("/recordIntervention/intervention");
    assert_eq!(i["deliveringAgency"]["id"], gid("Agency", w.agency.id));
    assert_eq!(i["referral"], Value::Null);
    assert_eq!(i["household"]["id"], h);
    assert_eq!(rows::<intervention::Entity>(&w.app).await, 1);
}

#[actix_web::test]
async fn cases_list_oldest_first_and_filter_by_type_phase_owner_and_overdue_review() {
    let w = casework().await;
    let h = w.consented_household(1, w.agency.id).await;
    let last_month = (chrono::Utc::now() - chrono::Duration::days(30))
        .date_naive()
        .to_string();
    let overdue = w
        .open_case_with(&h, json!({ "reviewDueOn": last_month }))
        .await;
    let housing = w
        .open_case_with(
            &h,
            json!({ "type": "HOUSING", "reviewDueOn": next_month() }),
        )
        .await;
    let owned = w
        .open_case_with(
            &h,
            json!({ "ownerAgencyId": gid("Agency", w.agency.id), "reviewDueOn": last_month }),
        )
        .await;
    w.change_phase(
        &owned,
        &json!(1),
        "CLOSED",
        json!({ "reason": "ซ้ำกับเคสอื่น", "outcome": "NEUTRAL" }),
    )
    .await
    .data("/changeCasePhase");
    let q = "query($f: CaseFilter, $first: Int, $last: Int) { cases(filter: $f, first: $first, last: $last) {
        totalCount nodes { id isReviewOverdue } } }";
    let ids = |res: &Gql| -> Vec<Value> {
        res.data("/cases/nodes")
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].clone())
            .collect()
    };
    for (vars, expected) in [
        (json!({}), vec![&overdue, &housing, &owned]),
        (json!({ "last": 1 }), vec![&owned]),
        (json!({ "f": { "overdueReview": true } }), vec![&overdue]),
        (json!({ "f": { "type": ["HOUSING"] } }), vec![&housing]),
        (json!({ "f": { "phase": ["CLOSED"] } }), vec![&owned]),
        (
            json!({ "f": { "phase": ["INTAKE"], "type": ["HEALTH"] } }),
            vec![&overdue],
        ),
        (
            json!({ "f": { "ownerAgencyId": gid("Agency", w.agency.id) } }),
            vec![&owned],
        ),
        (
            json!({ "f": { "householdId": h } }),
            vec![&overdue, &housing, &owned],
        ),
    ] {
        let res = w.gql(&w.coordinator, q, vars.clone()).await;
        let expected: Vec<Value> = expected.into_iter().cloned().collect();
        assert_eq!(ids(&res), expected, "{vars}");
    }
    let all = w.gql(&w.coordinator, q, json!({})).await;
    assert_eq!(all.data("/cases/nodes/0/isReviewOverdue"), true);
    assert_eq!(all.data("/cases/nodes/1/isReviewOverdue"), false);
}

#[actix_web::test]
async fn provincial_staff_send_as_themselves_so_a_case_goes_to_the_agency_that_owns_it() {
    let w = casework().await;
    let h = w.consented_household(71, w.agency.id).await;
    let case = w
        .open_case_with(&h, json!({ "ownerAgencyId": gid("Agency", w.agency.id) }))
        .await;

    let sent = w
        .refer_with(&w.coordinator, &case, w.agency.id, json!({}))
        .await;
    let referral = sent.data("/referCase/referral/id").clone();
    let read = w
        .gql(
            &w.coordinator,
            "query($id: ID!) { referral(id: $id) { fromAgency { id } toAgency { name } } }",
            json!({ "id": referral }),
        )
        .await;
    assert!(read.data("/referral/fromAgency").is_null(), "{}", read.body);
    assert_eq!(read.data("/referral/toAgency/name"), "RMUT Lanna Lampang");

    // The owning agency's own staff cannot refer the case to their own agency.
    let own = w.refer_with(&w.staff, &case, w.agency.id, json!({})).await;
    own.assert_error("BAD_USER_INPUT", Some("toAgencyId"));
}
