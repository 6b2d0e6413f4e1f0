//! The consent gate (docs/casework.md, "What a partner agency sees of a household"): an
//! agency's staff see a household only while a consented (or overridden) referral, a consented
//! match, or an owned case with consent opens it, checked at every read and by every path.
use entity::enums::AgencyType;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::helpers::{
    Client,
    builders::AgencyBuilder,
    casework::{Casework, agency_client, casework, gid, uuid_of},
};

/// Records that hang off the household and that the agency reaches by themselves.
#[derive(Default)]
struct Via<'a> {
    referral: Option<&'a Value>,
    case: Option<&'a Value>,
    matched: Option<&'a Value>,
}

/// Checks every path from `staff` to household `h`: the `households` list, `household(id:)`
/// with its members, `node(id:)`, `person(id:)` of its head, and (when given) the household of
/// a referral, case or match, with the referral's and case's free text. All of them must say
/// `open`; the referral, case and match rows themselves stay visible either way.
async fn assert_sight(
    w: &Casework,
    staff: &Client,
    h: &Value,
    via: Via<'_>,
    open: bool,
    label: &str,
) {
    let head = w
        .gql(
            &w.admin,
            "query($h: ID!) { household(id: $h) { members { nodes { person { id } } } } }",
            json!({ "h": h }),
        )
        .await
        .data("/household/members/nodes/0/person/id")
        .clone();
    let mut seen: Vec<(&str, bool)> = Vec::new();
    let mut rows_missing: Vec<&str> = Vec::new();

    let res = w
        .gql(
            staff,
            "query($h: ID!, $p: ID!) { households(first: 100) { nodes { id } }
              household(id: $h) { id members { totalCount nodes { person { givenName } } } }
              node(id: $h) { id } person(id: $p) { givenName } }",
            json!({ "h": h, "p": head }),
        )
        .await;
    let listed = res
        .data("/households/nodes")
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["id"] == *h);
    seen.push(("households", listed));
    seen.push(("household(id:)", !res.data("/household").is_null()));
    seen.push((
        "household.members",
        res.data("/household")
            .pointer("/members/nodes/0/person/givenName")
            .is_some_and(Value::is_string),
    ));
    seen.push(("node(id:)", !res.data("/node").is_null()));
    seen.push(("person(id:)", !res.data("/person").is_null()));

    if let Some(r) = via.referral {
        let res = w
            .gql(
                staff,
                "query($r: ID!) { referral(id: $r) { id reason household { id members { totalCount } } } }",
                json!({ "r": r }),
            )
            .await;
        let referral = res.data("/referral");
        if referral.is_null() {
            rows_missing.push("referral(id:)");
        }
        seen.push(("referral.household", !referral["household"].is_null()));
        seen.push((
            "referral.household.members",
            referral
                .pointer("/household/members/totalCount")
                .is_some_and(|n| n == 1),
        ));
        seen.push(("referral.reason", referral["reason"].is_string()));
    }
    if let Some(c) = via.case {
        let res = w
            .gql(
                staff,
                "query($c: ID!) { case(id: $c) { id summary household { id } } }",
                json!({ "c": c }),
            )
            .await;
        let case = res.data("/case");
        if case.is_null() {
            rows_missing.push("case(id:)");
        }
        seen.push(("case.household", !case["household"].is_null()));
        seen.push(("case.summary", case["summary"].is_string()));
    }
    if let Some(m) = via.matched {
        let res = w
            .gql(
                staff,
                "query($m: ID!) { node(id: $m) { ... on Match { id household { id } } } }",
                json!({ "m": m }),
            )
            .await;
        let matched = res.data("/node");
        if matched.is_null() {
            rows_missing.push("node(id: match)");
        }
        seen.push(("match.household", !matched["household"].is_null()));
    }

    let wrong: Vec<&str> = seen
        .iter()
        .filter(|(_, v)| *v != open)
        .map(|(path, _)| *path)
        .collect();
    assert!(
        wrong.is_empty() && rows_missing.is_empty(),
        "{label}: expected the household {} to the agency, but these paths disagree: {wrong:?}; \
         rows not visible: {rows_missing:?}",
        if open { "open" } else { "closed" },
    );
}

const STATUSES: [&str; 5] = ["PENDING", "ACCEPTED", "DONE", "REJECTED", "REVOKED"];

/// Brings `referral` (to the default agency) to `status`.
async fn move_referral(w: &Casework, referral: &Value, status: &str) {
    match status {
        "PENDING" => {}
        "ACCEPTED" => w.accept(&w.staff, referral).await,
        "DONE" => {
            w.accept(&w.staff, referral).await;
            w.complete_referral(&w.staff, referral).await;
        }
        "REJECTED" => w.reject(&w.staff, referral).await,
        "REVOKED" => w.revoke(referral).await,
        _ => unreachable!(),
    }
}

#[actix_web::test]
async fn with_referral_consent_a_referral_opens_the_household_while_pending_accepted_or_done() {
    let w = casework().await;
    for (seed, status) in STATUSES.into_iter().enumerate() {
        let h = w.consented_household(seed as u64 + 1, w.agency.id).await;
        let case = w.open_case(&h).await;
        assert_sight(
            &w,
            &w.staff,
            &h,
            Via::default(),
            false,
            "before any referral",
        )
        .await;
        let r = w.refer(&case, w.agency.id).await;
        move_referral(&w, &r, status).await;
        let open = matches!(status, "PENDING" | "ACCEPTED" | "DONE");
        let via = Via {
            referral: Some(&r),
            ..Via::default()
        };
        assert_sight(&w, &w.staff, &h, via, open, &format!("consent, {status}")).await;
    }
}

#[actix_web::test]
async fn without_consent_an_override_opens_the_household_only_while_pending_or_accepted() {
    let w = casework().await;
    for (seed, status) in STATUSES.into_iter().enumerate() {
        let h = w.household(seed as u64 + 1).await;
        let case = w.open_case(&h).await;
        assert_sight(
            &w,
            &w.staff,
            &h,
            Via::default(),
            false,
            "no consent, no referral",
        )
        .await;
        let r = w.refer_overriding(&case, w.agency.id).await;
        move_referral(&w, &r, status).await;
        let open = matches!(status, "PENDING" | "ACCEPTED");
        let via = Via {
            referral: Some(&r),
            ..Via::default()
        };
        assert_sight(&w, &w.staff, &h, via, open, &format!("override, {status}")).await;
    }
}

#[actix_web::test]
async fn a_consent_opens_the_household_only_for_the_purpose_that_matches_the_way_in() {
    let w = casework().await;
    let tech = w.technology(w.agency.id, "Fish feed").await;
    // (purposes, the agency owns a case, the agency delivers a match, open)
    let table: [(&[&str], bool, bool, bool); 5] = [
        (&["RESEARCH"], true, true, false),
        (&["REFERRAL"], true, false, false),
        (&["CASE_MANAGEMENT"], false, true, false),
        (&["CASE_MANAGEMENT"], true, false, true),
        (&["REFERRAL"], false, true, true),
    ];
    for (seed, (purposes, owned, matched, open)) in table.into_iter().enumerate() {
        let h = w.household(seed as u64 + 1).await;
        w.consent(&h, purposes, &[w.agency.id], &[]).await;
        let case = if owned {
            Some(
                w.open_case_with(&h, json!({ "ownerAgencyId": gid("Agency", w.agency.id) }))
                    .await,
            )
        } else {
            None
        };
        let m = if matched {
            w.assess(&h).await;
            Some(w.suggest_match(&h, &tech).await)
        } else {
            None
        };
        let via = Via {
            case: case.as_ref(),
            matched: m.as_ref(),
            ..Via::default()
        };
        let label = format!("{purposes:?}, owned case: {owned}, match: {matched}");
        assert_sight(&w, &w.staff, &h, via, open, &label).await;
    }
}

#[actix_web::test]
async fn a_consent_naming_another_agency_or_agency_type_does_not_open_the_household() {
    let w = casework().await;
    let tech = w.technology(w.agency.id, "Fish feed").await;
    let other = AgencyBuilder::new("Lampang Rajabhat").create(&w.app).await;
    let other_staff = agency_client(&w.app, other.id).await;
    for (seed, (agencies, types)) in [(vec![other.id], vec![]), (vec![], vec!["NGO"])]
        .into_iter()
        .enumerate()
    {
        let h = w.household(seed as u64 + 1).await;
        w.consent(&h, &["REFERRAL", "CASE_MANAGEMENT"], &agencies, &types)
            .await;
        let case = w
            .open_case_with(&h, json!({ "ownerAgencyId": gid("Agency", w.agency.id) }))
            .await;
        w.assess(&h).await;
        let m = w.suggest_match(&h, &tech).await;
        let via = Via {
            case: Some(&case),
            matched: Some(&m),
            ..Via::default()
        };
        let label = format!("consent naming {agencies:?} / {types:?}");
        assert_sight(&w, &w.staff, &h, via, false, &label).await;
        if !agencies.is_empty() {
            // The agency it does name is let in by a referral.
            let sent = w.open_case(&h).await;
            let r = w.refer(&sent, other.id).await;
            let via = Via {
                referral: Some(&r),
                ..Via::default()
            };
            assert_sight(&w, &other_staff, &h, via, true, "the named agency").await;
            assert_sight(
                &w,
                &w.staff,
                &h,
                Via::default(),
                false,
                "after another's referral",
            )
            .await;
        }
    }
}

#[actix_web::test]
async fn a_consent_naming_the_agency_type_opens_the_household_to_a_referred_agency_of_that_type() {
    let w = casework().await;
    let same_type = AgencyBuilder::new("Another university")
        .create(&w.app)
        .await;
    let same_type_staff = agency_client(&w.app, same_type.id).await;
    let h = w.household(1).await;
    w.consent(&h, &["REFERRAL"], &[], &["UNIVERSITY"]).await;
    let case = w.open_case(&h).await;
    let r = w.refer(&case, w.agency.id).await;
    let via = Via {
        referral: Some(&r),
        ..Via::default()
    };
    assert_sight(&w, &w.staff, &h, via, true, "referred, consent by type").await;
    assert_sight(
        &w,
        &same_type_staff,
        &h,
        Via::default(),
        false,
        "same type, not referred",
    )
    .await;
}

#[actix_web::test]
async fn withdrawing_consent_closes_the_household_but_keeps_the_referral_case_and_intervention_rows()
 {
    let w = casework().await;
    let h = w.household(1).await;
    let consent = w.consent(&h, &["REFERRAL"], &[w.agency.id], &[]).await;
    let case = w.open_case(&h).await;
    let r = w.refer(&case, w.agency.id).await;
    w.gql(
        &w.staff,
        &crate::helpers::casework::respond_mutation(),
        json!({ "i": { "id": r, "decision": "ACCEPT", "reason": "รับเข้ารุ่นถัดไป" } }),
    )
    .await
    .data("/respondToReferral");
    let intervention = w.record_intervention(&w.staff, &r).await;
    let via = || Via {
        referral: Some(&r),
        case: Some(&case),
        ..Via::default()
    };
    assert_sight(&w, &w.staff, &h, via(), true, "before the withdrawal").await;

    w.withdraw_consent(&consent).await;

    assert_sight(&w, &w.staff, &h, via(), false, "after the withdrawal").await;
    let q = "{ referrals(filter: { direction: INBOX }) { totalCount nodes { id status reason responseNote household { id } } }
        interventions { totalCount nodes { id notes household { id } } } }";
    let res = w.gql(&w.staff, q, json!({})).await;
    assert_eq!(
        res.data("/referrals/nodes"),
        &json!([{ "id": r, "status": "ACCEPTED", "reason": null, "responseNote": null, "household": null }])
    );
    assert_eq!(
        res.data("/interventions/nodes"),
        &json!([{ "id": intervention, "notes": null, "household": null }])
    );
    // The coordinator still sees all of it.
    let referral = w.read_referral(&w.coordinator, &r).await;
    assert_eq!(referral["household"]["id"], h);
    assert!(referral["reason"].is_string());
    assert_eq!(referral["responseNote"], "รับเข้ารุ่นถัดไป");

    // A new consent (by agency type this time) opens it again on the next request.
    w.consent(&h, &["REFERRAL"], &[], &["UNIVERSITY"]).await;
    assert_sight(&w, &w.staff, &h, via(), true, "after a new consent").await;
}

#[actix_web::test]
async fn a_consent_that_expires_closes_the_household_from_the_next_request_on() {
    let w = casework().await;
    let h = w.household(1).await;
    let consent = w.consent(&h, &["REFERRAL"], &[w.agency.id], &[]).await;
    let case = w.open_case(&h).await;
    let r = w.refer(&case, w.agency.id).await;
    let via = || Via {
        referral: Some(&r),
        ..Via::default()
    };
    assert_sight(&w, &w.staff, &h, via(), true, "before it expires").await;

    // Time passes: the consent's end date is now behind us.
    entity::consent::Entity::update_many()
        .col_expr(
            entity::consent::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .filter(entity::consent::Column::Id.eq(uuid_of(&consent)))
        .exec(&w.app.db)
        .await
        .unwrap();

    assert_sight(&w, &w.staff, &h, via(), false, "after it expired").await;
    let inbox = w
        .gql(
            &w.staff,
            "{ referrals(filter: { direction: INBOX }) { nodes { id reason household { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        inbox.data("/referrals/nodes"),
        &json!([{ "id": r, "reason": null, "household": null }])
    );

    // A consent recorded already expired never opened anything.
    let tech = w.technology(w.agency.id, "Fish feed").await;
    let h2 = w.household(2).await;
    w.consent_with(
        &h2,
        json!({ "purposes": ["REFERRAL"], "recipientAgencyIds": [gid("Agency", w.agency.id)],
            "givenAt": (chrono::Utc::now() - chrono::Duration::days(400)).to_rfc3339(),
            "expiresAt": (chrono::Utc::now() - chrono::Duration::days(35)).to_rfc3339() }),
    )
    .await;
    w.assess(&h2).await;
    let m = w.suggest_match(&h2, &tech).await;
    let via = Via {
        matched: Some(&m),
        ..Via::default()
    };
    assert_sight(&w, &w.staff, &h2, via, false, "expired when recorded").await;
}

#[actix_web::test]
async fn a_match_on_a_technology_the_agency_delivers_opens_the_household_only_with_referral_consent()
 {
    let w = casework().await;
    let tech = w.technology(w.agency.id, "Fish feed").await;
    for (seed, consent) in [(1, true), (2, false)] {
        let h = w.household(seed).await;
        if consent {
            w.consent(&h, &["REFERRAL"], &[w.agency.id], &[]).await;
        }
        w.assess(&h).await;
        let m = w.suggest_match(&h, &tech).await;
        let via = Via {
            matched: Some(&m),
            ..Via::default()
        };
        let label = format!("match, REFERRAL consent: {consent}");
        assert_sight(&w, &w.staff, &h, via, consent, &label).await;
    }
}

#[actix_web::test]
async fn an_agency_sees_only_the_matches_its_agency_delivers_on_a_household() {
    let w = casework().await;
    let other = AgencyBuilder::new("Lampang NGO")
        .agency_type(AgencyType::Ngo)
        .coverage(&["52"])
        .create(&w.app)
        .await;
    let other_staff = agency_client(&w.app, other.id).await;
    let h = w.household(1).await;
    w.consent(&h, &["REFERRAL"], &[], &["UNIVERSITY", "NGO"])
        .await;
    w.assess(&h).await;
    let theirs = w
        .suggest_match(&h, &w.technology(other.id, "Goat bank").await)
        .await;
    w.decline_match(&theirs).await;
    let mine = w
        .suggest_match(&h, &w.technology(w.agency.id, "Fish feed").await)
        .await;
    let q = "query($h: ID!) { household(id: $h) { matches { totalCount nodes { id } } } matches { nodes { id } } }";

    let res = w.gql(&w.staff, q, json!({ "h": h })).await;
    assert_eq!(
        res.data("/household/matches/nodes"),
        &json!([{ "id": mine }])
    );
    assert_eq!(res.data("/matches/nodes"), &json!([{ "id": mine }]));

    // The other agency still sees its (declined) match row, but a declined match no longer
    // opens the household to it, consent or not.
    let res = w.gql(&other_staff, q, json!({ "h": h })).await;
    assert_eq!(res.data("/matches/nodes"), &json!([{ "id": theirs }]));
    assert!(res.data("/household").is_null(), "{}", res.body);

    let all = w.gql(&w.coordinator, q, json!({ "h": h })).await;
    assert_eq!(all.data("/household/matches/totalCount"), 2);
}
