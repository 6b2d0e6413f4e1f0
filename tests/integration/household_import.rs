//! Household CSV import (CLI and `importHouseholds`) and `api seed-demo`.
use api::{
    audit::service::Actor,
    auth::Scope,
    demo::{DemoOptions, seed_demo},
    error::ApiError,
    graphql::node,
    household::import::{ImportOutcome, ImportRowResult, ImportTotals, import_households},
};
use entity::{
    audit_event,
    enums::{AuditAction, DuplicateReason, Role},
    household, household_external_id, person, potential_duplicate,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::helpers::TestApp;

const HEADER: &str = "household_external_scheme,household_external_id,village_code,house_number,\
address,lat,lng,source,household_size,member_role,given_name,family_name,sex,birth_date,phone,\
id_type,national_id,education,occupation,disability,chronic_illness";

const LAMPANG: &str = "52010101";
const LAMPANG_2: &str = "52010102";
const YALA: &str = "95010101";

async fn villages(app: &TestApp) {
    let csv = "code,level,parent_code,name_th,name_en,postal_code,lat,lng,region\n\
               52010101,VILLAGE,520101,บ้านเวียงเหนือ,Ban Wiang Nuea,,,,\n\
               52010102,VILLAGE,520101,บ้านป่าขาม,Ban Pa Kham,,,,\n\
               95010101,VILLAGE,950101,บ้านสะเตง,Ban Sateng,,,,\n";
    let report = api::area::service::import_areas(&app.db, csv.as_bytes())
        .await
        .expect("villages");
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
}

/// A valid 13-digit Thai national ID (check digit computed) for `n`.
fn thai_id(n: u64) -> String {
    let body = format!("3{:011}", n);
    let sum: u32 = body
        .chars()
        .zip((2..=13).rev())
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    format!("{body}{}", (11 - sum % 11) % 10)
}

/// One person row of household TPMAP:`household` (other columns: plain valid values).
fn row(household: &str, village: &str, role: &str, given: &str, born: &str, id: &str) -> String {
    format!(
        "TPMAP,{household},{village},12/3,หมู่ 1,,,TPMAP,,{role},{given},ใจดี,FEMALE,{born},,,{id},,,,"
    )
}

fn file(rows: &[String]) -> String {
    let mut csv = String::from(HEADER);
    for r in rows {
        csv.push('\n');
        csv.push_str(r);
    }
    csv.push('\n');
    csv
}

/// Imports `input` as the server command does (all areas, a system actor).
async fn import(
    app: &TestApp,
    input: impl AsRef<[u8]>,
) -> Result<(ImportTotals, Vec<ImportRowResult>), ApiError> {
    let mut rows = Vec::new();
    let totals = import_households(
        &app.db,
        &app.state.services.pii,
        &Scope::All,
        &Actor::system("test"),
        input.as_ref(),
        &mut |r| rows.push(r.clone()),
        &mut |_| {},
    )
    .await?;
    rows.sort_by_key(|r| r.line);
    Ok((totals, rows))
}

async fn household_id(app: &TestApp, external_id: &str) -> Option<uuid::Uuid> {
    household_external_id::Entity::find_by_id(("TPMAP".to_string(), external_id.to_string()))
        .one(&app.db)
        .await
        .unwrap()
        .map(|e| e.household_id)
}

const HOUSEHOLDS: &str = "query($s: String) { households(first: 50, filter: { search: $s }) {
  totalCount nodes { id status version houseNumber villageCode source externalIds { scheme value }
    members { totalCount nodes { role person { givenName birthDate phone nationalIdMasked } } }
    statusHistory { nodes { fromStatus toStatus reason } } } } }";

fn outcomes(rows: &[ImportRowResult]) -> Vec<(u64, ImportOutcome)> {
    rows.iter().map(|r| (r.line, r.outcome)).collect()
}

#[actix_web::test]
async fn a_file_of_good_households_registers_each_with_its_members_and_history() {
    let app = TestApp::spawn().await;
    villages(&app).await;
    let csv = file(&[
        row("H-1", LAMPANG, "HEAD", "สมศรี", "1970-05-01", &thai_id(1)),
        row("H-1", LAMPANG, "SPOUSE", "สมชาย", "1968-02-11", &thai_id(2)),
        row("H-1", LAMPANG, "CHILD", "มานี", "2010-09-30", ""),
        row("H-2", LAMPANG_2, "HEAD", "บัวผัน", "1955-01-20", &thai_id(3)),
    ]);

    let (totals, rows) = import(&app, csv).await.unwrap();

    assert_eq!(
        totals,
        ImportTotals {
            rows: 4,
            households: 2,
            created: 2,
            ..ImportTotals::default()
        }
    );
    assert_eq!(
        outcomes(&rows),
        [
            (2, ImportOutcome::Created),
            (3, ImportOutcome::Created),
            (4, ImportOutcome::Created),
            (5, ImportOutcome::Created)
        ]
    );
    let admin = app.client(Role::Admin).await;
    let res = app
        .gql(Some(&admin.token), HOUSEHOLDS, json!({ "s": "H-1" }))
        .await;
    let h = &res.data("/households/nodes")[0];
    assert_eq!(h["status"], "DISCOVERED");
    assert_eq!(h["villageCode"], LAMPANG);
    assert_eq!(h["source"], "TPMAP");
    assert_eq!(
        h["externalIds"],
        json!([{ "scheme": "TPMAP", "value": "H-1" }])
    );
    assert_eq!(h["members"]["totalCount"], 3);
    assert_eq!(
        h["members"]["nodes"][0],
        json!({ "role": "HEAD", "person": { "givenName": "สมศรี", "birthDate": "1970-05-01",
                "phone": null, "nationalIdMasked": format!("x-xxxx-xxxxx-xx-{}", &thai_id(1)[12..]) } })
    );
    assert_eq!(
        h["statusHistory"]["nodes"],
        json!([{ "fromStatus": null, "toStatus": "DISCOVERED", "reason": "imported" }])
    );
    let created = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(AuditAction::Create))
        .filter(audit_event::Column::EntityType.eq("Household"))
        .filter(audit_event::Column::ActorLogin.eq("system:test"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(created, 2);
}

#[actix_web::test]
async fn a_bad_row_refuses_only_its_household_and_names_its_line_and_column() {
    let app = TestApp::spawn().await;
    villages(&app).await;
    let csv = file(&[
        row("H-1", LAMPANG, "HEAD", "สมศรี", "1970-05-01", &thai_id(1)),
        row("H-2", LAMPANG, "HEAD", "บัวผัน", "1955-01-20", &thai_id(2)),
        row("H-2", LAMPANG, "CHILD", "มานี", "2099-01-01", &thai_id(3)),
        row("H-3", LAMPANG, "HEAD", "ทองใบ", "1949-12-01", &thai_id(4)),
        row("H-4", LAMPANG, "HEAD", "มาลี", "01/02/1980", ""),
        row("H-5", LAMPANG, "HEAD", "สุดา", "1980-01-02", "1234567890123"),
        row("H-6", "52010199", "HEAD", "อรุณี", "1980-01-02", ""),
    ]);

    let (totals, rows) = import(&app, csv).await.unwrap();

    assert_eq!((totals.created, totals.rejected), (2, 4));
    assert_eq!(
        outcomes(&rows),
        [
            (2, ImportOutcome::Created),
            (3, ImportOutcome::Rejected),
            (4, ImportOutcome::Rejected),
            (5, ImportOutcome::Created),
            (6, ImportOutcome::Rejected),
            (7, ImportOutcome::Rejected),
            (8, ImportOutcome::Rejected),
        ]
    );
    let reason = |line: u64| {
        rows.iter()
            .find(|r| r.line == line)
            .and_then(|r| r.reason.clone())
            .unwrap_or_default()
    };
    // Both rows of the refused household carry the reason, which names the bad row.
    assert_eq!(
        reason(3),
        "line 4: birth_date: the birth date is in the future"
    );
    assert_eq!(reason(4), reason(3));
    assert_eq!(
        reason(6),
        "line 6: birth_date: write the date as YYYY-MM-DD"
    );
    assert_eq!(
        reason(7),
        "line 7: national_id: the check digit of this national ID is wrong"
    );
    assert_eq!(
        reason(8),
        "line 8: village_code: unknown village code '52010199'"
    );
    assert_eq!(rows[1].household_key, "TPMAP:H-2");
    // Nothing of a refused household was written.
    assert!(household_id(&app, "H-2").await.is_none());
    assert_eq!(person::Entity::find().count(&app.db).await.unwrap(), 2);
}

#[actix_web::test]
async fn an_id_number_twice_in_a_file_refuses_the_household_or_makes_the_later_one_a_duplicate() {
    let app = TestApp::spawn().await;
    villages(&app).await;
    let csv = file(&[
        row("H-1", LAMPANG, "HEAD", "สมศรี", "1970-05-01", &thai_id(1)),
        row("H-2", LAMPANG, "HEAD", "บัวผัน", "1955-01-20", &thai_id(2)),
        row("H-2", LAMPANG, "SPOUSE", "สมชาย", "1956-01-20", &thai_id(2)),
        row("H-3", LAMPANG_2, "HEAD", "ทองใบ", "1949-12-01", &thai_id(3)),
        row("H-3", LAMPANG_2, "ELDER", "สมศรี", "1970-05-01", &thai_id(1)),
    ]);

    let (totals, rows) = import(&app, csv).await.unwrap();

    assert_eq!(
        (totals.created, totals.rejected, totals.duplicate),
        (1, 1, 1)
    );
    assert_eq!(rows[1].outcome, ImportOutcome::Rejected);
    assert_eq!(
        rows[1].reason.as_deref(),
        Some("line 4: national_id: the same ID number appears twice")
    );
    let first = household_id(&app, "H-1").await.unwrap();
    assert_eq!(
        outcomes(&rows[3..]),
        [(5, ImportOutcome::Duplicate), (6, ImportOutcome::Duplicate)]
    );
    assert_eq!(
        rows[3].reason.clone().unwrap(),
        format!(
            "line 6: national_id: a person with this ID number is in household {}, earlier in this file",
            node::encode("Household", first).0
        )
    );
    assert!(household_id(&app, "H-3").await.is_none());
}

#[actix_web::test]
async fn a_person_registered_in_another_household_makes_the_household_a_duplicate() {
    let app = TestApp::spawn().await;
    villages(&app).await;
    import(
        &app,
        file(&[row(
            "H-1",
            LAMPANG,
            "HEAD",
            "สมศรี",
            "1970-05-01",
            &thai_id(1),
        )]),
    )
    .await
    .unwrap();
    let existing = household_id(&app, "H-1").await.unwrap();

    let (totals, rows) = import(
        &app,
        file(&[
            row("H-9", YALA, "HEAD", "ฟาตีเมาะ", "1980-03-03", &thai_id(9)),
            row(
                "H-9",
                YALA,
                "OTHER_RELATIVE",
                "สมศรี",
                "1970-05-01",
                &thai_id(1),
            ),
        ]),
    )
    .await
    .unwrap();

    assert_eq!((totals.households, totals.duplicate), (1, 1));
    assert_eq!(
        outcomes(&rows),
        [(2, ImportOutcome::Duplicate), (3, ImportOutcome::Duplicate)]
    );
    assert_eq!(
        rows[0].reason.clone().unwrap(),
        format!(
            "line 3: national_id: a person with this ID number is already registered, in household {}",
            node::encode("Household", existing).0
        )
    );
    assert!(household_id(&app, "H-9").await.is_none());
    assert_eq!(person::Entity::find().count(&app.db).await.unwrap(), 1);
}

#[actix_web::test]
async fn importing_a_file_again_changes_nothing_and_a_changed_file_updates_in_place() {
    let app = TestApp::spawn().await;
    villages(&app).await;
    let h1 = |house: &str, phone: &str| {
        vec![
            format!(
                "TPMAP,H-1,{LAMPANG},{house},หมู่ 1,,,TPMAP,3,HEAD,สมศรี,ใจดี,FEMALE,1970-05-01,{phone},,{},,,,",
                thai_id(1)
            ),
            row("H-1", LAMPANG, "CHILD", "มานี", "2010-09-30", ""),
        ]
    };
    let h2 = row("H-2", LAMPANG_2, "HEAD", "บัวผัน", "1955-01-20", &thai_id(2));
    let first = file(&[h1("12/3", ""), vec![h2.clone()]].concat());
    import(&app, &first).await.unwrap();
    let audits = || async { audit_event::Entity::find().count(&app.db).await.unwrap() };
    let before = audits().await;

    let (again, rows) = import(&app, &first).await.unwrap();

    assert_eq!(
        (again.households, again.unchanged, again.created),
        (2, 2, 0)
    );
    assert!(rows.iter().all(|r| r.outcome == ImportOutcome::Unchanged));
    assert_eq!(audits().await, before, "an unchanged import writes nothing");

    // The head has a new phone, the house number changed, and a newborn joined.
    let mut changed = [h1("12/4", "081-234-5678"), vec![h2]].concat();
    changed.insert(2, row("H-1", LAMPANG, "CHILD", "มะลิ", "2024-02-29", ""));
    let (update, rows) = import(&app, file(&changed)).await.unwrap();

    assert_eq!((update.updated, update.unchanged), (1, 1));
    assert_eq!(
        outcomes(&rows),
        [
            (2, ImportOutcome::Updated),
            (3, ImportOutcome::Updated),
            (4, ImportOutcome::Updated),
            (5, ImportOutcome::Unchanged)
        ]
    );
    let admin = app.client(Role::Admin).await;
    let res = app
        .gql(Some(&admin.token), HOUSEHOLDS, json!({ "s": "H-1" }))
        .await;
    let h = &res.data("/households/nodes")[0];
    assert_eq!(h["version"], 2);
    assert_eq!(h["houseNumber"], "12/4");
    assert_eq!(h["members"]["totalCount"], 3);
    assert_eq!(h["members"]["nodes"][0]["person"]["phone"], "0812345678");
    assert_eq!(household::Entity::find().count(&app.db).await.unwrap(), 2);
    assert_eq!(person::Entity::find().count(&app.db).await.unwrap(), 4);
    let updates: Vec<Vec<String>> = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(AuditAction::Update))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.changed_fields.0)
        .collect();
    assert!(updates.contains(&vec!["houseNumber".to_string(), "members".to_string()]));
    assert!(updates.contains(&vec!["phone".to_string()]));

    // An empty cell keeps what is stored: the first file again leaves the phone.
    let (third, _) = import(&app, &first).await.unwrap();
    assert_eq!(
        (third.updated, third.unchanged),
        (1, 1),
        "house number back"
    );
    let res = app
        .gql(Some(&admin.token), HOUSEHOLDS, json!({ "s": "H-1" }))
        .await;
    assert_eq!(
        res.data("/households/nodes/0/members/nodes/0/person/phone"),
        "0812345678"
    );
}

#[actix_web::test]
async fn rows_of_a_household_that_come_back_later_in_the_file_are_refused() {
    let app = TestApp::spawn().await;
    villages(&app).await;
    let csv = file(&[
        row("H-1", LAMPANG, "HEAD", "สมศรี", "1970-05-01", &thai_id(1)),
        row("H-2", LAMPANG, "HEAD", "บัวผัน", "1955-01-20", &thai_id(2)),
        row("H-1", LAMPANG, "CHILD", "มานี", "2010-09-30", ""),
    ]);

    let (totals, rows) = import(&app, csv).await.unwrap();

    assert_eq!((totals.created, totals.rejected), (2, 1));
    assert_eq!(rows[2].outcome, ImportOutcome::Rejected);
    assert_eq!(
        rows[2].reason.as_deref(),
        Some(
            "line 4: rows of one household must be consecutive (this household's rows began at line 2)"
        )
    );
}

#[actix_web::test]
async fn look_alikes_are_flagged_once_from_the_later_household() {
    let app = TestApp::spawn().await;
    villages(&app).await;
    let with_phone = |household: &str, village: &str, given: &str, phone: &str| {
        format!(
            "TPMAP,{household},{village},,,,,TPMAP,,HEAD,{given},มีสุข,MALE,1990-01-01,{phone},,,,,,"
        )
    };
    let csv = file(&[
        row("H-1", LAMPANG, "HEAD", "สมศรี", "1970-05-01", &thai_id(1)),
        with_phone("H-2", LAMPANG_2, "ประเสริฐ", "0811111111"),
        row("H-3", LAMPANG, "HEAD", "สมศรี", "1970-08-08", ""),
        with_phone("H-4", YALA, "อาหมัด", "081-111-1111"),
    ]);
    import(&app, csv).await.unwrap();
    // A later file: the phone is already in the registry.
    import(
        &app,
        file(&[with_phone("H-5", YALA, "ยูโซะ", "+66 81 111 1111")]),
    )
    .await
    .unwrap();

    let id = |key: &'static str| {
        let app = &app;
        async move { household_id(app, key).await.unwrap() }
    };
    let mut flags: Vec<_> = potential_duplicate::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.household_id, d.other_household_id, d.reason))
        .collect();
    flags.sort_by_key(|f| (f.0, f.1));
    let mut expected = vec![
        (
            id("H-3").await,
            id("H-1").await,
            DuplicateReason::SimilarName,
        ),
        (id("H-4").await, id("H-2").await, DuplicateReason::SamePhone),
        (id("H-5").await, id("H-2").await, DuplicateReason::SamePhone),
        (id("H-5").await, id("H-4").await, DuplicateReason::SamePhone),
    ];
    expected.sort_by_key(|f| (f.0, f.1));
    assert_eq!(flags, expected);
}

#[actix_web::test]
async fn a_file_without_the_required_columns_is_refused_naming_them() {
    let app = TestApp::spawn().await;
    let csv = "household_external_scheme,household_external_id,house_number,address,lat,lng,\
               source,household_size,given_name,family_name,sex,birth_date,phone,id_type,\
               national_id,education,occupation,disability,chronic_illness\n";

    let Err(ApiError::BadUserInput { field, message }) = import(&app, csv).await else {
        panic!("a file without village_code and member_role was accepted");
    };

    assert_eq!(field, "file");
    assert_eq!(
        message,
        "line 1: missing columns: village_code, member_role"
    );
}

#[actix_web::test]
async fn a_file_that_is_not_utf8_is_refused_at_the_first_bad_line() {
    let app = TestApp::spawn().await;
    villages(&app).await;
    let mut bytes = file(&[
        row("H-1", LAMPANG, "HEAD", "สมศรี", "1970-05-01", &thai_id(1)),
        row("H-2", LAMPANG, "HEAD", "บัวผัน", "1955-01-20", &thai_id(2)),
    ])
    .into_bytes();
    // "สมชาย" in TIS-620, as older Thai systems export it.
    bytes.extend_from_slice(
        b"TPMAP,H-2,52010101,,,,,TPMAP,,CHILD,\xca\xc1\xaa\xd2\xc2,x,,,,,,,,,\n",
    );

    let Err(ApiError::BadUserInput { message, .. }) = import(&app, bytes).await else {
        panic!("a file that is not UTF-8 was accepted");
    };

    assert!(
        message.starts_with("line 4: the file is not UTF-8"),
        "{message}"
    );
    // Households read whole before the bad line are imported; the one it belongs to is not.
    // Importing the fixed file again is safe.
    assert!(household_id(&app, "H-1").await.is_some());
    assert!(household_id(&app, "H-2").await.is_none());
}

#[actix_web::test]
async fn spreadsheet_files_with_crlf_line_ends_report_the_lines_an_editor_shows() {
    let app = TestApp::spawn().await;
    villages(&app).await;
    let csv = file(&[
        row("H-1", LAMPANG, "HEAD", "สมศรี", "1970-05-01", &thai_id(1)),
        row("H-2", LAMPANG, "HEAD", "บัวผัน", "1955-13-20", ""),
    ])
    .replace('\n', "\r\n");

    let (_, rows) = import(&app, csv).await.unwrap();

    assert_eq!(
        outcomes(&rows),
        [(2, ImportOutcome::Created), (3, ImportOutcome::Rejected)]
    );
    assert_eq!(
        rows[1].reason.as_deref(),
        Some("line 3: birth_date: write the date as YYYY-MM-DD")
    );
}

const IMPORT: &str = "mutation($i: ImportHouseholdsInput!) { importHouseholds(input: $i) {
  totals { rows households created updated unchanged duplicate rejected }
  rows { line householdKey outcome reason } } }";

#[actix_web::test]
async fn a_coordinator_imports_households_in_their_areas_only() {
    let app = TestApp::spawn().await;
    villages(&app).await;
    let coordinator = app.client(Role::Coordinator).await; // scoped to 52
    let csv = file(&[
        row("H-1", LAMPANG, "HEAD", "สมศรี", "1970-05-01", &thai_id(1)),
        row("H-2", YALA, "HEAD", "ฟาตีเมาะ", "1980-03-03", &thai_id(2)),
    ]);

    let res = app
        .gql(
            Some(&coordinator.token),
            IMPORT,
            json!({ "i": { "csv": csv } }),
        )
        .await;

    assert_eq!(
        res.data("/importHouseholds/totals"),
        &json!({ "rows": 2, "households": 2, "created": 1, "updated": 0, "unchanged": 0,
                 "duplicate": 0, "rejected": 1 })
    );
    assert_eq!(
        res.data("/importHouseholds/rows"),
        &json!([{ "line": 3, "householdKey": "TPMAP:H-2", "outcome": "REJECTED",
                  "reason": "line 3: village_code: this village is outside your areas" }])
    );
    let seen = app
        .gql(Some(&coordinator.token), HOUSEHOLDS, json!({ "s": null }))
        .await;
    assert_eq!(seen.data("/households/totalCount"), 1);
    let audit = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(AuditAction::Create))
        .filter(audit_event::Column::EntityType.eq("Household"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(audit.actor_id, Some(coordinator.account.id));
}

#[actix_web::test]
async fn only_admins_and_coordinators_may_import_households() {
    let app = TestApp::spawn().await;
    villages(&app).await;
    let csv = file(&[row(
        "H-1",
        LAMPANG,
        "HEAD",
        "สมศรี",
        "1970-05-01",
        &thai_id(1),
    )]);
    for role in [Role::Surveyor, Role::Agency, Role::Analyst] {
        let client = app.client(role).await;
        app.gql(Some(&client.token), IMPORT, json!({ "i": { "csv": csv } }))
            .await
            .assert_error("FORBIDDEN", None);
    }
    app.gql(None, IMPORT, json!({ "i": { "csv": csv } }))
        .await
        .assert_error("UNAUTHENTICATED", None);
    assert!(household_id(&app, "H-1").await.is_none());

    let admin = app.client(Role::Admin).await;
    let res = app
        .gql(Some(&admin.token), IMPORT, json!({ "i": { "csv": csv } }))
        .await;
    assert_eq!(res.data("/importHouseholds/totals/created"), 1);
    assert_eq!(res.data("/importHouseholds/rows"), &json!([]));
    let res = app
        .gql(
            Some(&admin.token),
            IMPORT,
            json!({ "i": { "csv": "a,b\n1,2\n" } }),
        )
        .await;
    res.assert_error("BAD_USER_INPUT", Some("csv"));
    assert!(res.message().starts_with("line 1: missing columns:"));
}

#[actix_web::test]
async fn seed_demo_fills_an_empty_database_and_refuses_to_seed_it_twice() {
    let app = TestApp::spawn().await;
    let settings = &app.state.services.settings;
    let pii = &app.state.services.pii;
    let options = DemoOptions {
        force: false,
        households: 140,
    };

    let summary = seed_demo(&app.db, pii, settings, options).await.unwrap();

    assert_eq!(summary.import.created, 140);
    assert_eq!(summary.import.rejected + summary.import.duplicate, 0);
    assert!(summary.villages_created > 0);
    assert!(summary.transitions > 0);
    assert_eq!(summary.households_by_province.len(), 7);
    assert!(
        summary
            .households_by_province
            .iter()
            .all(|(_, _, n)| *n == 20)
    );
    assert!(summary.accounts.iter().all(|(_, _, created)| *created));
    let statuses: Vec<String> = household::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|h| format!("{:?}", h.status))
        .collect();
    for status in ["Discovered", "Verified", "Enrolled"] {
        assert!(
            statuses.iter().any(|s| s == status),
            "no {status} household"
        );
    }

    // The demo logins work and see what their role and areas allow.
    let password = api::config::DEFAULT_DEMO_PASSWORD;
    let (coordinator, _) = app.login("demo-coordinator-52", password).await;
    let res = app
        .gql(Some(&coordinator), HOUSEHOLDS, json!({ "s": null }))
        .await;
    assert_eq!(res.data("/households/totalCount"), 20);
    for node in res.data("/households/nodes").as_array().unwrap() {
        assert!(node["villageCode"].as_str().unwrap().starts_with("52"));
    }
    let (admin, _) = app.login("demo-admin", password).await;
    let res = app
        .gql(Some(&admin), HOUSEHOLDS, json!({ "s": null }))
        .await;
    assert_eq!(res.data("/households/totalCount"), 140);
    let (agency, _) = app.login("demo-agency", password).await;
    let me = app
        .gql(Some(&agency), "{ me { login role } }", json!({}))
        .await;
    assert_eq!(
        me.data("/me"),
        &json!({ "login": "demo-agency", "role": "AGENCY" })
    );

    let again = seed_demo(&app.db, pii, settings, options).await;
    assert!(
        matches!(&again, Err(ApiError::Conflict(m)) if m.contains("--force")),
        "{again:?}"
    );

    let forced = seed_demo(
        &app.db,
        pii,
        settings,
        DemoOptions {
            force: true,
            ..options
        },
    )
    .await
    .unwrap();
    assert_eq!((forced.import.created, forced.import.unchanged), (0, 140));
    assert_eq!(forced.transitions, 0);
    assert!(forced.accounts.iter().all(|(_, _, created)| !*created));
    assert_eq!(household::Entity::find().count(&app.db).await.unwrap(), 140);
}

#[actix_web::test]
async fn seed_demo_refuses_the_default_password_in_production_mode() {
    let app = TestApp::spawn().await;
    let mut settings = app.state.services.settings.clone();
    settings.environment = api::config::Environment::Production;

    let res = seed_demo(
        &app.db,
        &app.state.services.pii,
        &settings,
        DemoOptions::default(),
    )
    .await;

    assert!(
        matches!(&res, Err(ApiError::BadUserInput { field, .. }) if field == "APP_DEMO_PASSWORD"),
        "{res:?}"
    );
    assert_eq!(household::Entity::find().count(&app.db).await.unwrap(), 0);
}

/// [`row`] with a phone number.
fn row_with_phone(
    household: &str,
    village: &str,
    role: &str,
    given: &str,
    born: &str,
    phone: &str,
) -> String {
    format!(
        "TPMAP,{household},{village},12/3,หมู่ 1,,,TPMAP,,{role},{given},ใจดี,FEMALE,{born},{phone},,,,,,"
    )
}

/// Potential duplicates as (household, other household, reason), by external id.
async fn flags(app: &TestApp) -> std::collections::BTreeSet<(String, String, String)> {
    let by_id: std::collections::HashMap<uuid::Uuid, String> =
        household_external_id::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.household_id, e.value))
            .collect();
    potential_duplicate::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|d| {
            (
                by_id[&d.household_id].clone(),
                by_id[&d.other_household_id].clone(),
                format!("{:?}", d.reason),
            )
        })
        .collect()
}

#[actix_web::test]
async fn a_batch_flags_similar_people_exactly_as_importing_its_households_one_by_one() {
    // Already registered: H0 in Lampang.
    let registered = file(&[row("H0", LAMPANG, "HEAD", "สมชาย", "1970-03-01", "")]);
    // One file: similar names in one village, a shared phone across villages, and H0 coming
    // back with a new member who looks like a member of H1 (before it in the file) and of H4
    // (after it: H4 flags the pair, H0 does not point forward).
    let h0_again = [
        row("H0", LAMPANG, "HEAD", "สมชาย", "1970-03-01", ""),
        row_with_phone("H0", LAMPANG, "SPOUSE", "มาลี", "1980-01-01", ""),
    ];
    let batch = [
        row("H1", LAMPANG, "HEAD", "สมชาญ", "1970-09-09", ""),
        row_with_phone("H1", LAMPANG, "SPOUSE", "มาลี", "1980-05-05", "0811112222"),
        row("H2", LAMPANG, "HEAD", "สมชาย", "1970-01-01", ""),
        h0_again[0].clone(),
        h0_again[1].clone(),
        row_with_phone(
            "H3",
            LAMPANG_2,
            "HEAD",
            "บุญมา",
            "1960-01-01",
            "081-111-2222",
        ),
        row_with_phone("H4", LAMPANG, "HEAD", "มาลี", "1980-07-07", ""),
    ];
    let expected: std::collections::BTreeSet<(String, String, String)> = [
        ("H1", "H0", "SimilarName"),
        ("H2", "H0", "SimilarName"),
        ("H2", "H1", "SimilarName"),
        ("H0", "H1", "SimilarName"),
        ("H3", "H1", "SamePhone"),
        ("H4", "H0", "SimilarName"),
        ("H4", "H1", "SimilarName"),
    ]
    .into_iter()
    .map(|(a, b, r)| (a.to_string(), b.to_string(), r.to_string()))
    .collect();

    let together = TestApp::spawn().await;
    villages(&together).await;
    import(&together, &registered).await.unwrap();
    let (totals, _) = import(&together, file(&batch)).await.unwrap();
    assert_eq!((totals.created, totals.updated), (4, 1), "{totals:?}");
    assert_eq!(flags(&together).await, expected);

    let one_by_one = TestApp::spawn().await;
    villages(&one_by_one).await;
    import(&one_by_one, &registered).await.unwrap();
    for household in ["H1", "H2", "H0", "H3", "H4"] {
        let rows: Vec<String> = batch
            .iter()
            .filter(|r| r.starts_with(&format!("TPMAP,{household},")))
            .cloned()
            .collect();
        import(&one_by_one, file(&rows)).await.unwrap();
    }
    assert_eq!(flags(&one_by_one).await, expected);
}

/// The potential duplicates pointing from `household` (by external id), as
/// (other household's id, reason).
async fn flags_of(app: &TestApp, household: &str) -> Vec<(uuid::Uuid, DuplicateReason)> {
    let id = household_id(app, household).await.unwrap();
    let mut found: Vec<_> = potential_duplicate::Entity::find()
        .filter(potential_duplicate::Column::HouseholdId.eq(id))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.other_household_id, d.reason))
        .collect();
    found.sort_by_key(|(other, reason)| (*other, format!("{reason:?}")));
    found
}

#[actix_web::test]
async fn look_alikes_are_found_where_a_household_lives_now_with_its_corrected_birth_years() {
    let app = TestApp::spawn().await;
    villages(&app).await;
    let h1 = |village: &str, spouse_born: &str| {
        file(&[
            row("H1", village, "HEAD", "สมชาย", "1970-03-01", ""),
            // With an ID number, so that a new birth date corrects this person.
            row("H1", village, "SPOUSE", "มาลี", spouse_born, &thai_id(31)),
        ])
    };
    import(&app, h1(LAMPANG, "1980-01-01")).await.unwrap();
    // H1 moves to the next village; its spouse's birth year is corrected later.
    let (moved, _) = import(&app, h1(LAMPANG_2, "1980-01-01")).await.unwrap();
    assert_eq!(moved.updated, 1);
    let (corrected, _) = import(&app, h1(LAMPANG_2, "1985-06-01")).await.unwrap();
    assert_eq!(corrected.updated, 1);
    let first = household_id(&app, "H1").await.unwrap();

    import(
        &app,
        file(&[
            // Where H1 lived: nobody like them now.
            row("H2", LAMPANG, "HEAD", "สมชาญ", "1970-09-09", ""),
            // Where H1 lives.
            row("H3", LAMPANG_2, "HEAD", "สมชาญ", "1970-09-09", ""),
            // The spouse's old birth year no longer matches; the corrected one does.
            row("H4", LAMPANG_2, "HEAD", "มาลี", "1980-02-02", ""),
            row("H5", LAMPANG_2, "HEAD", "มาลี", "1985-02-02", ""),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(flags_of(&app, "H2").await, []);
    assert_eq!(
        flags_of(&app, "H3").await,
        [(first, DuplicateReason::SimilarName)]
    );
    assert_eq!(flags_of(&app, "H4").await, []);
    assert_eq!(
        flags_of(&app, "H5").await,
        [(first, DuplicateReason::SimilarName)]
    );

    // A merge moves the members of the household merged away into the survivor's village
    // (all but the matched person, who is the survivor's member already).
    import(
        &app,
        file(&[
            row_with_phone("H6", LAMPANG, "HEAD", "บุญมา", "1960-01-01", "0812223333"),
            row_with_phone(
                "H7",
                LAMPANG_2,
                "HEAD",
                "ประเสริฐ",
                "1962-01-01",
                "0812223333",
            ),
            row("H7", LAMPANG_2, "CHILD", "ดวงใจ", "2005-01-01", ""),
        ]),
    )
    .await
    .unwrap();
    let (survivor, merged) = (
        household_id(&app, "H6").await.unwrap(),
        household_id(&app, "H7").await.unwrap(),
    );
    assert_eq!(
        flags_of(&app, "H7").await,
        [(survivor, DuplicateReason::SamePhone)]
    );
    let flag = potential_duplicate::Entity::find()
        .filter(potential_duplicate::Column::HouseholdId.eq(merged))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let coordinator = app.client(Role::Coordinator).await;
    let resolved = app
        .gql(
            Some(&coordinator.token),
            "mutation($i: ResolveDuplicateInput!) { resolveDuplicate(input: $i) {
               potentialDuplicate { status survivorHousehold { id } } } }",
            json!({ "i": { "id": node::encode("PotentialDuplicate", flag.id),
                           "resolution": "MERGE" } }),
        )
        .await;
    assert_eq!(
        resolved.data("/resolveDuplicate/potentialDuplicate/survivorHousehold/id"),
        &json!(node::encode("Household", survivor))
    );
    import(
        &app,
        file(&[
            row("H8", LAMPANG, "HEAD", "ดวงใจ", "2005-05-05", ""),
            row("H9", LAMPANG_2, "HEAD", "ดวงใจ", "2005-05-05", ""),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(
        flags_of(&app, "H8").await,
        [(survivor, DuplicateReason::SimilarName)]
    );
    assert_eq!(flags_of(&app, "H9").await, []);
}
