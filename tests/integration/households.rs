//! The household registry: registration, lifecycle, duplicates, visibility, protected data.
use entity::{audit_event, enums::Role, household, membership, person};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::helpers::{
    Client, TestApp,
    fixtures::{
        AccountBuilder, LAMPANG_VILLAGE, LAMPANG_VILLAGE_2, YALA_VILLAGE, household_input,
        register, seed_villages, thai_id,
    },
};

const TRANSITION: &str = "mutation($i: TransitionHouseholdInput!) { transitionHousehold(input: $i) { household { id status version verifiedOn statusHistory { totalCount nodes { fromStatus toStatus reason note verifiedOn } } } } }";
const HOUSEHOLD: &str = "query($id: ID!) { household(id: $id) { id status version houseNumber address location { lat lng } externalIds { scheme value }
  members { totalCount nodes { role person { givenName familyName phone birthDate birthYear nationalIdMasked } } } } }";

async fn setup() -> (TestApp, Client, Client) {
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let surveyor = app.client(Role::Surveyor).await; // scoped to 52
    let coordinator = app.client(Role::Coordinator).await; // scoped to 52
    (app, surveyor, coordinator)
}

async fn counts(app: &TestApp) -> (u64, u64, u64, u64) {
    (
        household::Entity::find().count(&app.db).await.unwrap(),
        person::Entity::find().count(&app.db).await.unwrap(),
        membership::Entity::find().count(&app.db).await.unwrap(),
        audit_event::Entity::find().count(&app.db).await.unwrap(),
    )
}

#[actix_web::test]
async fn a_surveyor_registers_a_household_with_its_members_and_reads_it_back_masked() {
    let (app, surveyor, _) = setup().await;
    let done = register(
        &app,
        &surveyor.token,
        json!({
            "villageCode": LAMPANG_VILLAGE, "source": "FIELD_DISCOVERY", "houseNumber": "12/3",
            "address": "12/3 หมู่ 1 ต.เวียงเหนือ", "location": { "lat": 18.29, "lng": 99.49 }, "householdSize": 3,
            "externalIds": [{ "scheme": "tpmap", "value": "TP-0001" }],
            "members": [
                { "role": "HEAD", "person": { "givenName": " สม\u{200B}ศรี ", "familyName": "ใจดี", "sex": "FEMALE", "birthDate": "1968-02-11", "phone": "+66 81 234 5678", "nationalId": "3-1006-00445-63-5" } },
                { "role": "CHILD", "person": { "givenName": "สมชาย", "familyName": "ใจดี", "sex": "MALE", "birthDate": "2010-07-01" } }
            ]
        }),
    )
    .await;
    assert_eq!(done["household"]["status"], "DISCOVERED");
    assert_eq!(done["household"]["version"], 1);
    assert_eq!(done["household"]["members"]["totalCount"], 2);
    let head = &done["household"]["members"]["nodes"][0]["person"];
    assert_eq!(head["givenName"], "สมศรี");
    assert_eq!(head["nationalIdMasked"], "x-xxxx-xxxxx-xx-5");
    assert_eq!(
        done["household"]["statusHistory"]["nodes"],
        json!([{ "fromStatus": null, "toStatus": "DISCOVERED", "reason": "registered" }])
    );

    let id = done["household"]["id"].clone();
    let read = app
        .gql(Some(&surveyor.token), HOUSEHOLD, json!({ "id": id }))
        .await;
    assert_eq!(
        read.data("/household/externalIds"),
        &json!([{ "scheme": "TPMAP", "value": "TP-0001" }])
    );
    assert_eq!(
        read.data("/household/members/nodes/0/person/phone"),
        "0812345678"
    );
    assert_eq!(
        read.data("/household/location"),
        &json!({ "lat": 18.29, "lng": 99.49 })
    );

    // The number is nowhere in the database in clear.
    let stored = person::Entity::find().all(&app.db).await.unwrap();
    assert!(stored.iter().all(|p| {
        p.national_id_ciphertext
            .as_deref()
            .is_none_or(|c| !c.contains("3100600445635"))
    }));
    assert!(stored.iter().all(|p| {
        p.national_id_hash
            .as_deref()
            .is_none_or(|h| !h.contains("3100600445635"))
    }));
}

#[actix_web::test]
async fn bad_registrations_name_the_field_and_write_nothing() {
    let (app, surveyor, _) = setup().await;
    let base = household_input(LAMPANG_VILLAGE, "สมศรี", 7);
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = base.clone();
        f(&mut v);
        v
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            with(&|v| v["members"][0]["person"]["nationalId"] = json!("1234545678789")),
            "members[0].person.nationalId",
        ),
        (
            with(&|v| v["members"][0]["person"]["nationalId"] = json!("12345")),
            "members[0].person.nationalId",
        ),
        (
            with(&|v| v["villageCode"] = json!("52019999")),
            "villageCode",
        ),
        (with(&|v| v["villageCode"] = json!("520101")), "villageCode"),
        (
            with(&|v| v["villageCode"] = json!(YALA_VILLAGE)),
            "villageCode",
        ),
        (
            with(&|v| v["members"][0]["person"]["birthDate"] = json!("2999-01-01")),
            "members[0].person.birthDate",
        ),
        (with(&|v| v["householdSize"] = json!(-2)), "householdSize"),
        (
            with(&|v| v["members"][0]["role"] = json!("SPOUSE")),
            "members",
        ),
        (
            with(&|v| {
                let head = v["members"][0].clone();
                v["members"].as_array_mut().unwrap().push(head);
            }),
            "members",
        ),
        (with(&|v| v["members"] = json!([])), "members"),
        (
            with(&|v| v["members"][0]["person"]["phone"] = json!("12")),
            "members[0].person.phone",
        ),
        (
            with(&|v| v["members"][0]["person"]["givenName"] = json!("  ")),
            "members[0].person.givenName",
        ),
        (
            with(&|v| v["location"] = json!({ "lat": 48.8, "lng": 2.3 })),
            "location",
        ),
        (
            with(&|v| v["externalIds"] = json!([{ "scheme": "bad scheme!", "value": "1" }])),
            "externalIds[0].scheme",
        ),
    ];
    let before = counts(&app).await;
    for (input, field) in cases {
        let res = app
            .gql(
                Some(&surveyor.token),
                crate::helpers::REGISTER,
                json!({ "i": input }),
            )
            .await;
        res.assert_error("BAD_USER_INPUT", Some(field));
    }
    assert_eq!(
        counts(&app).await,
        before,
        "a failed registration wrote something"
    );
}

/// A household in `state`, reached through legal transitions by the coordinator.
async fn household_in(
    app: &TestApp,
    surveyor: &Client,
    coordinator: &Client,
    state: &str,
    seed: u64,
) -> (Value, i64) {
    let done = register(
        app,
        &surveyor.token,
        household_input(LAMPANG_VILLAGE, "ผู้ทดสอบ", seed),
    )
    .await;
    let id = done["household"]["id"].clone();
    if matches!(state, "ENROLLED" | "GRADUATED") {
        // Graduating needs two qualifying assessments (docs/graduation.md).
        crate::helpers::graduation::make_ready(app, &coordinator.token, &id).await;
    }
    let path: &[&str] = match state {
        "DISCOVERED" => &[],
        "VERIFIED" => &["VERIFIED"],
        "ENROLLED" => &["VERIFIED", "ENROLLED"],
        "GRADUATED" => &["VERIFIED", "ENROLLED", "GRADUATED"],
        "EXITED" => &["VERIFIED", "ENROLLED", "EXITED"],
        "NOT_ELIGIBLE" => &["NOT_ELIGIBLE"],
        "NOT_FOUND" => &["NOT_FOUND"],
        other => panic!("no path to {other}"),
    };
    let mut version = 1;
    for to in path {
        let res = app
            .gql(
                Some(&coordinator.token),
                TRANSITION,
                json!({ "i": { "householdId": id, "version": version, "to": to, "reason": "test path",
                    "evidence": { "verifiedOn": "2026-11-20", "note": "visited" } } }),
            )
            .await;
        version = res
            .data("/transitionHousehold/household/version")
            .as_i64()
            .unwrap();
    }
    (id, version)
}

#[actix_web::test]
async fn every_legal_transition_succeeds_and_every_illegal_one_changes_nothing() {
    let (app, surveyor, coordinator) = setup().await;
    let states = [
        "DISCOVERED",
        "VERIFIED",
        "ENROLLED",
        "GRADUATED",
        "NOT_ELIGIBLE",
        "NOT_FOUND",
        "DUPLICATE",
        "EXITED",
    ];
    let legal = [
        ("DISCOVERED", "VERIFIED"),
        ("DISCOVERED", "NOT_ELIGIBLE"),
        ("DISCOVERED", "NOT_FOUND"),
        ("VERIFIED", "ENROLLED"),
        ("ENROLLED", "GRADUATED"),
        ("ENROLLED", "EXITED"),
        ("GRADUATED", "ENROLLED"),
    ];
    let mut seed = 100;
    let mut failures = Vec::new();
    for from in states.iter().filter(|s| **s != "DUPLICATE") {
        for to in states {
            seed += 1;
            let (id, version) = household_in(&app, &surveyor, &coordinator, from, seed).await;
            let res = app
                .gql(
                    Some(&coordinator.token),
                    TRANSITION,
                    json!({ "i": { "householdId": id, "version": version, "to": to, "reason": "because",
                        "evidence": { "verifiedOn": "2026-11-21", "note": "seen", "location": { "lat": 18.3, "lng": 99.5 } } } }),
                )
                .await;
            let after = app
                .gql(
                    Some(&coordinator.token),
                    "query($id: ID!) { household(id: $id) { status version } }",
                    json!({ "id": id }),
                )
                .await;
            let ok = legal.contains(&(*from, to));
            let got_ok = res.code().is_none();
            let state_now = after
                .data("/household/status")
                .as_str()
                .unwrap()
                .to_string();
            let expected_state = if ok { to } else { from };
            if got_ok != ok || state_now != expected_state || (!ok && res.field() != Some("to")) {
                failures.push(format!(
                    "{from} -> {to}: ok={got_ok}, now {state_now}: {}",
                    res.body
                ));
            }
            if ok {
                let history = res.data("/transitionHousehold/household/statusHistory");
                let last = &history["nodes"][history["totalCount"].as_u64().unwrap() as usize - 1];
                assert_eq!(
                    (last["fromStatus"].as_str(), last["toStatus"].as_str()),
                    (Some(*from), Some(to))
                );
            } else {
                assert_eq!(
                    after.data("/household/version"),
                    version,
                    "{from} -> {to} changed the version"
                );
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[actix_web::test]
async fn verification_needs_its_date_and_side_exits_need_a_reason() {
    let (app, surveyor, coordinator) = setup().await;
    let (id, _) = household_in(&app, &surveyor, &coordinator, "DISCOVERED", 1).await;
    app.gql(
        Some(&coordinator.token),
        TRANSITION,
        json!({ "i": { "householdId": id, "version": 1, "to": "VERIFIED" } }),
    )
    .await
    .assert_error("BAD_USER_INPUT", Some("evidence.verifiedOn"));
    app.gql(Some(&coordinator.token), TRANSITION, json!({ "i": { "householdId": id, "version": 1, "to": "VERIFIED", "evidence": { "verifiedOn": "2999-01-01" } } }))
        .await
        .assert_error("BAD_USER_INPUT", Some("evidence.verifiedOn"));
    app.gql(
        Some(&coordinator.token),
        TRANSITION,
        json!({ "i": { "householdId": id, "version": 1, "to": "NOT_FOUND" } }),
    )
    .await
    .assert_error("BAD_USER_INPUT", Some("reason"));
    let ok = app
        .gql(Some(&coordinator.token), TRANSITION, json!({ "i": { "householdId": id, "version": 1, "to": "VERIFIED",
            "evidence": { "verifiedOn": "2026-11-02", "note": "house seen, income checked", "location": { "lat": 18.3, "lng": 99.5 } } } }))
        .await;
    assert_eq!(
        ok.data("/transitionHousehold/household/verifiedOn"),
        "2026-11-02"
    );
    let last = ok.data("/transitionHousehold/household/statusHistory/nodes/1");
    assert_eq!(last["note"], "house seen, income checked");
    // Surveyors register but do not verify.
    app.gql(
        Some(&surveyor.token),
        TRANSITION,
        json!({ "i": { "householdId": id, "version": 2, "to": "ENROLLED" } }),
    )
    .await
    .assert_error("FORBIDDEN", None);
}

#[actix_web::test]
async fn of_two_concurrent_transitions_with_the_same_version_exactly_one_succeeds() {
    let (app, surveyor, coordinator) = setup().await;
    let (id, _) = household_in(&app, &surveyor, &coordinator, "DISCOVERED", 5).await;
    let a = app.gql(Some(&coordinator.token), TRANSITION, json!({ "i": { "householdId": id, "version": 1, "to": "NOT_FOUND", "reason": "moved away" } }));
    let b = app.gql(Some(&coordinator.token), TRANSITION, json!({ "i": { "householdId": id, "version": 1, "to": "NOT_ELIGIBLE", "reason": "not poor" } }));
    let (a, b) = futures::join!(a, b);
    let ok = [&a, &b].iter().filter(|r| r.code().is_none()).count();
    let conflict = [&a, &b]
        .iter()
        .filter(|r| r.code() == Some("CONFLICT"))
        .count();
    assert_eq!((ok, conflict), (1, 1), "a: {} b: {}", a.body, b.body);
    let after = app
        .gql(
            Some(&coordinator.token),
            "query($id: ID!) { household(id: $id) { version statusHistory { totalCount } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(after.data("/household/version"), 2);
    assert_eq!(after.data("/household/statusHistory/totalCount"), 2);
}

#[actix_web::test]
async fn a_retried_registration_returns_the_first_result_and_a_reused_key_is_a_conflict() {
    let (app, surveyor, _) = setup().await;
    let mut input = household_input(LAMPANG_VILLAGE, "สมหญิง", 11);
    input["clientUuid"] = json!("0193a000-0000-7000-8000-00000000abcd");
    let first = register(&app, &surveyor.token, input.clone()).await;
    let before = counts(&app).await;
    let retry = register(&app, &surveyor.token, input.clone()).await;
    assert_eq!(first["household"]["id"], retry["household"]["id"]);
    assert_eq!(counts(&app).await.0, before.0);

    input["houseNumber"] = json!("99/9");
    let reused = app
        .gql(
            Some(&surveyor.token),
            crate::helpers::REGISTER,
            json!({ "i": input }),
        )
        .await;
    reused.assert_error("CONFLICT", None);
}

#[actix_web::test]
async fn an_id_number_registered_already_is_a_conflict_naming_the_household_only_to_those_who_see_it()
 {
    let (app, surveyor, _) = setup().await;
    let first = register(
        &app,
        &surveyor.token,
        household_input(LAMPANG_VILLAGE, "สมศรี", 21),
    )
    .await;
    let again = app
        .gql(
            Some(&surveyor.token),
            crate::helpers::REGISTER,
            json!({ "i": household_input(LAMPANG_VILLAGE_2, "สมศรี", 21) }),
        )
        .await;
    again.assert_error("CONFLICT", None);
    assert!(
        again
            .message()
            .contains(first["household"]["id"].as_str().unwrap()),
        "{}",
        again.message()
    );

    let yala = app
        .client_for(
            &AccountBuilder::new(Role::Surveyor)
                .scopes(&["95"])
                .create(&app)
                .await,
        )
        .await;
    let hidden = app
        .gql(
            Some(&yala.token),
            crate::helpers::REGISTER,
            json!({ "i": household_input(YALA_VILLAGE, "สมศรี", 21) }),
        )
        .await;
    hidden.assert_error("CONFLICT", None);
    assert!(
        !hidden
            .message()
            .contains(first["household"]["id"].as_str().unwrap())
    );
}

const DUPLICATES: &str = "{ potentialDuplicates { totalCount nodes { id reason status household { id } otherHousehold { id } } } }";
const RESOLVE: &str = "mutation($i: ResolveDuplicateInput!) { resolveDuplicate(input: $i) { potentialDuplicate { status survivorHousehold { id } } } }";

#[actix_web::test]
async fn a_similar_person_in_the_same_village_is_flagged_and_merging_moves_members_and_history() {
    let (app, surveyor, coordinator) = setup().await;
    let older = register(&app, &surveyor.token, json!({ "villageCode": LAMPANG_VILLAGE, "source": "TPMAP", "members": [
        { "role": "HEAD", "person": { "givenName": "สมชาย", "familyName": "ใจดี", "birthDate": "1970-03-01" } },
        { "role": "SPOUSE", "person": { "givenName": "มาลี", "familyName": "ใจดี", "birthDate": "1972-01-01" } } ] })).await;
    assert_eq!(older["potentialDuplicates"], json!([]));
    // One letter off, same birth year, same village; plus a child not in the first record.
    let newer = register(&app, &surveyor.token, json!({ "villageCode": LAMPANG_VILLAGE, "source": "BMN_SURVEY", "members": [
        { "role": "HEAD", "person": { "givenName": "สมชาญ", "familyName": "ใจดี", "birthDate": "1970-09-09" } },
        { "role": "CHILD", "person": { "givenName": "ดวงใจ", "familyName": "ใจดี", "birthDate": "2005-01-01" } } ] })).await;
    let flagged = &newer["potentialDuplicates"];
    assert_eq!(flagged.as_array().unwrap().len(), 1);
    assert_eq!(flagged[0]["reason"], "SIMILAR_NAME");
    assert_eq!(flagged[0]["otherHousehold"]["id"], older["household"]["id"]);

    // A different village is not flagged.
    let elsewhere = register(&app, &surveyor.token, json!({ "villageCode": LAMPANG_VILLAGE_2, "source": "TPMAP", "members": [
        { "role": "HEAD", "person": { "givenName": "สมชาย", "familyName": "ใจดี", "birthDate": "1970-03-01" } } ] })).await;
    assert_eq!(elsewhere["potentialDuplicates"], json!([]));

    let list = app
        .gql(Some(&coordinator.token), DUPLICATES, json!({}))
        .await;
    assert_eq!(list.data("/potentialDuplicates/totalCount"), 1);
    let dup_id = list.data("/potentialDuplicates/nodes/0/id").clone();
    let merged = app
        .gql(
            Some(&coordinator.token),
            RESOLVE,
            json!({ "i": { "id": dup_id, "resolution": "MERGE", "note": "same family" } }),
        )
        .await;
    assert_eq!(
        merged.data("/resolveDuplicate/potentialDuplicate/status"),
        "MERGED"
    );
    assert_eq!(
        merged.data("/resolveDuplicate/potentialDuplicate/survivorHousehold/id"),
        &older["household"]["id"]
    );

    // The merged record says where it went; the survivor has the new child, not a second head.
    let q = "query($id: ID!) { node(id: $id) { ... on Household { status mergedInto { id } members { nodes { role person { givenName } } } statusHistory { totalCount } } } }";
    let gone = app
        .gql(
            Some(&coordinator.token),
            q,
            json!({ "id": newer["household"]["id"] }),
        )
        .await;
    assert_eq!(gone.data("/node/status"), "DUPLICATE");
    assert_eq!(gone.data("/node/mergedInto/id"), &older["household"]["id"]);
    assert_eq!(gone.data("/node/members/nodes"), &json!([]));
    let survivor = app
        .gql(
            Some(&coordinator.token),
            q,
            json!({ "id": older["household"]["id"] }),
        )
        .await;
    let members: Vec<(String, String)> = survivor
        .data("/node/members/nodes")
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().to_string(),
                m["person"]["givenName"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        members,
        [
            ("HEAD".into(), "สมชาย".into()),
            ("SPOUSE".into(), "มาลี".into()),
            ("CHILD".into(), "ดวงใจ".into())
        ]
    );
    assert_eq!(
        survivor.data("/node/statusHistory/totalCount"),
        2,
        "the moved registration event joins the survivor's history"
    );

    // Resolved is resolved.
    app.gql(
        Some(&coordinator.token),
        RESOLVE,
        json!({ "i": { "id": dup_id, "resolution": "NOT_DUPLICATE" } }),
    )
    .await
    .assert_error("BAD_USER_INPUT", Some("id"));
}

#[actix_web::test]
async fn the_same_phone_is_flagged_and_can_be_dismissed_as_not_a_duplicate() {
    let (app, surveyor, coordinator) = setup().await;
    register(&app, &surveyor.token, json!({ "villageCode": LAMPANG_VILLAGE, "source": "TPMAP", "members": [
        { "role": "HEAD", "person": { "givenName": "อำไพ", "familyName": "ศรีสุข", "phone": "081-111-2222" } } ] })).await;
    let second = register(&app, &surveyor.token, json!({ "villageCode": LAMPANG_VILLAGE_2, "source": "TPMAP", "members": [
        { "role": "HEAD", "person": { "givenName": "บุญมา", "familyName": "ทองดี", "phone": "0811112222" } } ] })).await;
    assert_eq!(second["potentialDuplicates"][0]["reason"], "SAME_PHONE");
    let dup = app
        .gql(Some(&coordinator.token), DUPLICATES, json!({}))
        .await;
    let id = dup.data("/potentialDuplicates/nodes/0/id").clone();
    let res = app
        .gql(
            Some(&coordinator.token),
            RESOLVE,
            json!({ "i": { "id": id, "resolution": "NOT_DUPLICATE", "note": "shared phone" } }),
        )
        .await;
    assert_eq!(
        res.data("/resolveDuplicate/potentialDuplicate/status"),
        "NOT_DUPLICATE"
    );
    assert_eq!(
        app.gql(Some(&coordinator.token), DUPLICATES, json!({}))
            .await
            .data("/potentialDuplicates/totalCount"),
        0
    );
    let status = app
        .gql(
            Some(&coordinator.token),
            "query($id: ID!) { household(id: $id) { status } }",
            json!({ "id": second["household"]["id"] }),
        )
        .await;
    assert_eq!(status.data("/household/status"), "DISCOVERED");
}

#[actix_web::test]
async fn a_lampang_surveyor_cannot_see_a_yala_household_not_even_through_node() {
    let (app, surveyor, _) = setup().await;
    let admin = app.client(Role::Admin).await;
    let yala = register(
        &app,
        &admin.token,
        household_input(YALA_VILLAGE, "ฮาซัน", 31),
    )
    .await;
    let id = yala["household"]["id"].clone();
    let person_id = yala["household"]["members"]["nodes"][0]["person"]["id"].clone();
    assert!(
        app.gql(
            Some(&surveyor.token),
            "query($id: ID!) { household(id: $id) { id } }",
            json!({ "id": id })
        )
        .await
        .data("/household")
        .is_null()
    );
    assert!(
        app.gql(
            Some(&surveyor.token),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id })
        )
        .await
        .data("/node")
        .is_null()
    );
    assert!(
        app.gql(
            Some(&surveyor.token),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": person_id })
        )
        .await
        .data("/node")
        .is_null()
    );
    assert!(
        app.gql(
            Some(&surveyor.token),
            "query($id: ID!) { person(id: $id) { id } }",
            json!({ "id": person_id })
        )
        .await
        .data("/person")
        .is_null()
    );
    assert_eq!(
        app.gql(
            Some(&surveyor.token),
            "{ households { totalCount } }",
            json!({})
        )
        .await
        .data("/households/totalCount"),
        0
    );
    // Nor change it.
    app.gql(
        Some(&surveyor.token),
        "mutation($i: UpdateHouseholdInput!) { updateHousehold(input: $i) { household { id } } }",
        json!({ "i": { "householdId": id, "version": 1, "address": "x" } }),
    )
    .await
    .assert_error("NOT_FOUND", None);
    // Admin sees it.
    assert_eq!(
        app.gql(
            Some(&admin.token),
            "{ households { totalCount } }",
            json!({})
        )
        .await
        .data("/households/totalCount"),
        1
    );
}

#[actix_web::test]
async fn an_analyst_reads_no_household_and_agency_staff_see_no_household() {
    let (app, surveyor, _) = setup().await;
    let done = register(&app, &surveyor.token, json!({ "villageCode": LAMPANG_VILLAGE, "source": "TPMAP", "houseNumber": "5",
        "address": "5 หมู่ 1", "location": { "lat": 18.3, "lng": 99.5 }, "externalIds": [{ "scheme": "TPMAP", "value": "X1" }],
        "members": [{ "role": "HEAD", "person": { "givenName": "สมศรี", "familyName": "ใจดี", "birthDate": "1970-01-02", "phone": "0812345678", "nationalId": thai_id(41) } }] })).await;
    let id = done["household"]["id"].clone();
    // ANALYST works from aggregates only (`dashboard`): no household, not even de-identified
    // (tests/integration/analyst_aggregates.rs covers every road).
    let analyst = app.client(Role::Analyst).await;
    app.gql(Some(&analyst.token), HOUSEHOLD, json!({ "id": id }))
        .await
        .assert_error("FORBIDDEN", None);
    app.gql(
        Some(&analyst.token),
        "{ households(filter: { search: \"สมศรี\" }) { totalCount } }",
        json!({}),
    )
    .await
    .assert_error("FORBIDDEN", None);

    let agency = app.client(Role::Agency).await;
    assert_eq!(
        app.gql(
            Some(&agency.token),
            "{ households { totalCount } }",
            json!({})
        )
        .await
        .data("/households/totalCount"),
        0
    );
    assert!(
        app.gql(Some(&agency.token), HOUSEHOLD, json!({ "id": id }))
            .await
            .data("/household")
            .is_null()
    );
    assert!(
        app.gql(
            Some(&agency.token),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id })
        )
        .await
        .data("/node")
        .is_null()
    );
}

const REVEAL: &str = "mutation($i: RevealNationalIdInput!) { revealNationalId(input: $i) { nationalId person { nationalIdMasked } } }";

#[actix_web::test]
async fn revealing_a_full_id_is_for_coordinators_in_scope_and_is_audited() {
    let (app, surveyor, coordinator) = setup().await;
    let done = register(
        &app,
        &surveyor.token,
        household_input(LAMPANG_VILLAGE, "สมศรี", 51),
    )
    .await;
    let person = done["household"]["members"]["nodes"][0]["person"]["id"].clone();
    let res = app
        .gql(
            Some(&coordinator.token),
            REVEAL,
            json!({ "i": { "personId": person, "reason": "welfare card check" } }),
        )
        .await;
    let number = thai_id(51);
    let formatted = format!(
        "{}-{}-{}-{}-{}",
        &number[0..1],
        &number[1..5],
        &number[5..10],
        &number[10..12],
        &number[12..]
    );
    assert_eq!(res.data("/revealNationalId/nationalId"), formatted.as_str());
    assert_eq!(
        res.data("/revealNationalId/person/nationalIdMasked"),
        format!("x-xxxx-xxxxx-xx-{}", &number[12..]).as_str()
    );

    let admin = app.client(Role::Admin).await;
    let events = app
        .gql(Some(&admin.token), "{ auditEvents(filter: { action: READ_PII }) { totalCount nodes { reason entityType changedFields actor { login } } } }", json!({}))
        .await;
    assert_eq!(events.data("/auditEvents/totalCount"), 1);
    assert_eq!(
        events.data("/auditEvents/nodes/0/reason"),
        "welfare card check"
    );
    assert_eq!(
        events.data("/auditEvents/nodes/0/actor/login"),
        coordinator.account.login.as_str()
    );

    app.gql(
        Some(&surveyor.token),
        REVEAL,
        json!({ "i": { "personId": person, "reason": "curious" } }),
    )
    .await
    .assert_error("FORBIDDEN", None);
    app.gql(
        Some(&coordinator.token),
        REVEAL,
        json!({ "i": { "personId": person, "reason": "" } }),
    )
    .await
    .assert_error("BAD_USER_INPUT", Some("reason"));
    let yala = app
        .client_for(
            &AccountBuilder::new(Role::Coordinator)
                .scopes(&["95"])
                .create(&app)
                .await,
        )
        .await;
    app.gql(
        Some(&yala.token),
        REVEAL,
        json!({ "i": { "personId": person, "reason": "checking" } }),
    )
    .await
    .assert_error("NOT_FOUND", None);
    let after = app
        .gql(
            Some(&admin.token),
            "{ auditEvents(filter: { action: READ_PII }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        after.data("/auditEvents/totalCount"),
        1,
        "refused reveals are not reads"
    );
}

#[actix_web::test]
async fn households_are_found_by_name_house_number_external_id_and_exact_national_id() {
    let (app, surveyor, coordinator) = setup().await;
    register(&app, &surveyor.token, json!({ "villageCode": LAMPANG_VILLAGE, "source": "TPMAP", "houseNumber": "77/1",
        "externalIds": [{ "scheme": "PPPCONNEXT", "value": "PPC-778" }],
        "members": [{ "role": "HEAD", "person": { "givenName": "ประเสริฐ", "familyName": "มั่นคง", "nationalId": thai_id(61) } }] })).await;
    register(
        &app,
        &surveyor.token,
        household_input(LAMPANG_VILLAGE_2, "วันดี", 62),
    )
    .await;
    let q = "query($s: String, $a: String) { households(filter: { search: $s, areaCode: $a }) { totalCount nodes { houseNumber } } }";
    for search in [
        "ประเสริฐ",
        "ประ\u{200B}เสริฐ  มั่น",
        "77/1",
        "PPC-778",
        &thai_id(61),
    ] {
        let res = app
            .gql(Some(&coordinator.token), q, json!({ "s": search }))
            .await;
        assert_eq!(res.data("/households/totalCount"), 1, "search {search:?}");
        assert_eq!(res.data("/households/nodes/0/houseNumber"), "77/1");
    }
    assert_eq!(
        app.gql(Some(&coordinator.token), q, json!({ "a": "5201" }))
            .await
            .data("/households/totalCount"),
        2
    );
    assert_eq!(
        app.gql(
            Some(&coordinator.token),
            q,
            json!({ "a": LAMPANG_VILLAGE_2 })
        )
        .await
        .data("/households/totalCount"),
        1
    );
    let admin = app.client(Role::Admin).await;
    let searches = app
        .gql(
            Some(&admin.token),
            "{ auditEvents(filter: { action: SEARCH }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        searches.data("/auditEvents/totalCount"),
        1,
        "only the national-ID search is recorded"
    );
}

#[actix_web::test]
async fn members_can_be_added_updated_and_ended_with_one_head_at_all_times() {
    let (app, surveyor, _) = setup().await;
    let done = register(
        &app,
        &surveyor.token,
        household_input(LAMPANG_VILLAGE, "สมศรี", 71),
    )
    .await;
    let id = done["household"]["id"].clone();
    let head_membership = done["household"]["members"]["nodes"][0]["id"].clone();
    let add = "mutation($i: AddMemberInput!) { addMember(input: $i) { membership { id role person { id version givenName } } } }";
    app.gql(Some(&surveyor.token), add, json!({ "i": { "householdId": id, "version": 1, "role": "HEAD", "person": { "givenName": "สอง", "familyName": "หัว" } } }))
        .await
        .assert_error("BAD_USER_INPUT", Some("role"));
    let child = app.gql(Some(&surveyor.token), add, json!({ "i": { "householdId": id, "version": 1, "role": "CHILD", "person": { "givenName": "น้อง", "familyName": "ใจดี", "birthDate": "2015-01-01" } } })).await;
    let person_id = child.data("/addMember/membership/person/id").clone();
    // The household is at version 2 now.
    app.gql(Some(&surveyor.token), add, json!({ "i": { "householdId": id, "version": 1, "role": "ELDER", "person": { "givenName": "ยาย", "familyName": "ใจดี" } } }))
        .await
        .assert_error("CONFLICT", None);

    let update = "mutation($i: UpdatePersonInput!) { updatePerson(input: $i) { person { givenName occupation version } } }";
    let updated = app.gql(Some(&surveyor.token), update, json!({ "i": { "personId": person_id, "version": 1,
        "person": { "givenName": "น้องเล็ก", "familyName": "ใจดี", "birthDate": "2015-01-01", "occupation": "student" } } })).await;
    assert_eq!(updated.data("/updatePerson/person/version"), 2);
    assert_eq!(updated.data("/updatePerson/person/givenName"), "น้องเล็ก");

    let end = "mutation($i: EndMembershipInput!) { endMembership(input: $i) { membership { endDate endReason } } }";
    app.gql(Some(&surveyor.token), end, json!({ "i": { "membershipId": head_membership, "version": 2, "endDate": "2026-11-01", "reason": "moved" } }))
        .await
        .assert_error("BAD_USER_INPUT", Some("membershipId"));
    let child_membership = child.data("/addMember/membership/id").clone();
    let ended = app.gql(Some(&surveyor.token), end, json!({ "i": { "membershipId": child_membership, "version": 2, "endDate": "2026-11-01", "reason": "moved to Bangkok" } })).await;
    assert_eq!(
        ended.data("/endMembership/membership/endReason"),
        "moved to Bangkok"
    );
    let members = app.gql(Some(&surveyor.token), "query($id: ID!) { household(id: $id) { version members { totalCount } all: members(includeEnded: true) { totalCount } } }", json!({ "id": id })).await;
    assert_eq!(members.data("/household/members/totalCount"), 1);
    assert_eq!(members.data("/household/all/totalCount"), 2);
    assert_eq!(members.data("/household/version"), 3);
}

#[actix_web::test]
async fn area_household_counts_follow_the_viewers_scope() {
    let (app, surveyor, _) = setup().await;
    let admin = app.client(Role::Admin).await;
    register(
        &app,
        &surveyor.token,
        household_input(LAMPANG_VILLAGE, "หนึ่ง", 81),
    )
    .await;
    register(
        &app,
        &surveyor.token,
        household_input(LAMPANG_VILLAGE_2, "สอง", 82),
    )
    .await;
    register(&app, &admin.token, household_input(YALA_VILLAGE, "สาม", 83)).await;
    let q = "{ areas(cohort: SRA) { nodes { code householdCount } } lampang: area(code: \"5201\") { householdCount children(first: 2) { nodes { code householdCount } } } }";
    let mine = app.gql(Some(&surveyor.token), q, json!({})).await;
    let counts: Vec<(String, i64)> = mine
        .data("/areas/nodes")
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["code"].as_str().unwrap().to_string(),
                n["householdCount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(
        counts.contains(&("52".into(), 2)) && counts.contains(&("95".into(), 0)),
        "{counts:?}"
    );
    assert_eq!(
        mine.data("/lampang/children/nodes"),
        &json!([{ "code": "520101", "householdCount": 2 }, { "code": "520102", "householdCount": 0 }])
    );
    let all = app.gql(Some(&admin.token), q, json!({})).await;
    let yala = all
        .data("/areas/nodes")
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["code"] == "95")
        .unwrap()
        .clone();
    assert_eq!(yala["householdCount"], 1);
}
