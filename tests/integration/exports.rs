//! CSV exports: content, the EXPORT audit event with its filter, who is refused, errors
//! naming the parameter, and a households export streamed over more than one page.
use actix_web::test;
use chrono::Utc;
use entity::{
    enums::{HouseholdSource, HouseholdStatus, Role},
    household,
};
use sea_orm::{EntityTrait, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    dashboards::{DATA, put},
    helpers::{TestApp, casework::casework, fixtures::LAMPANG_VILLAGE},
};

async fn get(app: &TestApp, token: Option<&str>, uri: &str) -> (u16, String, String) {
    let mut req = test::TestRequest::get().uri(uri);
    if let Some(t) = token {
        req = req.insert_header(("authorization", format!("Bearer {t}")));
    }
    let (status, headers, body) = app.call(req).await;
    let content_type = headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (
        status.as_u16(),
        content_type,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

async fn exports(app: &TestApp, admin: &str) -> Vec<Value> {
    app.gql(
        Some(admin),
        "{ auditEvents(filter: { action: EXPORT }, first: 50) { nodes { action entityType reason changedFields actor { login } } } }",
        json!({}),
    )
    .await
    .data("/auditEvents/nodes")
    .as_array()
    .unwrap()
    .clone()
}

#[actix_web::test]
async fn the_dashboard_table_as_csv_with_suppressed_cells_empty_and_an_audit_event() {
    let app = TestApp::spawn().await;
    put(&app, DATA).await;
    let admin = app.client(Role::Admin).await;
    let (status, ct, body) = get(
        &app,
        Some(&admin.token),
        "/export/dashboard.csv?areaCode=52&from=2026-01-01&to=2026-03-31",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ct, "text/csv; charset=utf-8");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 14, "the province and its 13 districts");
    assert_eq!(&rows[0][col("area_code")], "52");
    assert_eq!(&rows[0][col("name_en")], "Lampang");
    assert_eq!(&rows[0][col("households.total")], "52");
    assert_eq!(&rows[0][col("interventions.TRAINING")], "11");
    assert_eq!(&rows[0][col("interventions.TRAINING.cost_baht")], "1100.00");
    let events = exports(&app, &admin.token).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["entityType"], "Dashboard");
    assert_eq!(
        events[0]["reason"],
        "areaCode=52&from=2026-01-01&to=2026-03-31"
    );

    let analyst = app.client(Role::Analyst).await;
    let (status, _, body) = get(
        &app,
        Some(&analyst.token),
        "/export/dashboard.csv?areaCode=52&from=2026-01-01&to=2026-03-31",
    )
    .await;
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let mae_mo = rows.iter().find(|r| &r[0] == "5202").unwrap();
    assert_eq!(
        &mae_mo[col("households.VERIFIED")],
        "",
        "suppressed cells are empty"
    );
    for row in &rows {
        for (i, cell) in row.iter().enumerate().skip(4) {
            if header[i].ends_with(".quantity") || header[i].ends_with(".cost_baht") {
                continue;
            }
            if let Ok(v) = cell.parse::<i64>() {
                assert!(!(v > 0 && v < 5), "{} {} = {v}", &row[0], &header[i]);
            }
        }
    }
}

#[actix_web::test]
async fn exports_refuse_the_anonymous_the_wrong_roles_and_bad_parameters() {
    let app = TestApp::spawn().await;
    let (status, _, body) = get(&app, None, "/export/households.csv").await;
    assert_eq!(status, 401, "{body}");
    let (status, _, _) = get(&app, Some("not-a-token"), "/export/dashboard.csv").await;
    assert_eq!(status, 401);
    let analyst = app.client(Role::Analyst).await;
    let (status, _, body) = get(&app, Some(&analyst.token), "/export/households.csv").await;
    assert_eq!(status, 403, "{body}");
    let agency = app.client(Role::Agency).await;
    let (status, _, _) = get(
        &app,
        Some(&agency.token),
        "/export/dashboard.csv?areaCode=52",
    )
    .await;
    assert_eq!(status, 403);
    let admin = app.client(Role::Admin).await;
    for (uri, field) in [
        ("/export/dashboard.csv?areaCode=5x", "areaCode"),
        ("/export/dashboard.csv?areaCode=52&from=yesterday", "from"),
        ("/export/households.csv?status=HAPPY", "status"),
        ("/export/households.csv?areaCode=52%25", "areaCode"),
    ] {
        let (status, ct, body) = get(&app, Some(&admin.token), uri).await;
        assert_eq!(status, 400, "{uri}: {body}");
        assert!(ct.starts_with("application/json"), "{ct}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{uri}");
    }
    assert!(
        exports(&app, &admin.token).await.is_empty(),
        "refused exports write nothing"
    );
}

#[actix_web::test]
async fn households_stream_de_identified_over_several_pages_in_scope() {
    let w = casework().await;
    let app = &w.app;
    let registered = w.household(1).await;
    w.assess(&registered).await;
    let n = api::export::PAGE as usize + 20;
    let now = Utc::now();
    let rows: Vec<household::ActiveModel> = (0..n)
        .map(|i| household::ActiveModel {
            id: Set(Uuid::now_v7()),
            village_code: Set(if i % 2 == 0 {
                LAMPANG_VILLAGE
            } else {
                "95010101"
            }
            .into()),
            house_number: Set(Some(format!("=1+{i}"))),
            address: Set(Some("ที่อยู่ลับ".into())),
            lat: Set(None),
            lng: Set(None),
            source: Set(HouseholdSource::Tpmap),
            status: Set(HouseholdStatus::Discovered),
            household_size: Set(Some(4)),
            merged_into_id: Set(None),
            verified_on: Set(None),
            version: Set(1),
            created_by: Set(None),
            updated_by: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            client_created_at: Set(None),
            client_updated_at: Set(None),
        })
        .collect();
    for chunk in rows.chunks(200) {
        household::Entity::insert_many(chunk.to_vec())
            .exec(&app.db)
            .await
            .unwrap();
    }
    let (status, ct, body) = get(app, Some(&w.admin.token), "/export/households.csv").await;
    assert_eq!(status, 200);
    assert_eq!(ct, "text/csv; charset=utf-8");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines[0],
        "household_id,village_code,status,source,household_size,overall_level,income_level"
    );
    assert_eq!(lines.len(), n + 2, "every household once, over two pages");
    assert!(
        !body.contains("ที่อยู่ลับ") && !body.contains("=1+"),
        "no addresses or house numbers"
    );
    let mine = registered.as_str().unwrap();
    let line = lines.iter().find(|l| l.starts_with(mine)).unwrap();
    assert!(line.contains(",STRUGGLING,"), "{line}");

    // The coordinator (Lampang) gets Lampang's only; a status filter applies; audited.
    let (_, _, body) = get(
        app,
        Some(&w.coordinator.token),
        "/export/households.csv?areaCode=52&status=DISCOVERED,VERIFIED",
    )
    .await;
    let lines: Vec<&str> = body.lines().skip(1).collect();
    assert!(lines.iter().all(|l| l.contains(",5201")), "only Lampang");
    assert!(lines.len() >= n / 2);
    let events = exports(app, &w.admin.token).await;
    assert_eq!(events.len(), 2);
    assert!(
        events
            .iter()
            .any(|e| e["reason"] == "areaCode=52&status=DISCOVERED,VERIFIED"
                && e["entityType"] == "Household")
    );
}

#[actix_web::test]
async fn an_export_that_fails_inside_the_server_is_500_with_the_generic_json_error() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    app.db
        .execute_unprepared("ALTER TABLE auth_session RENAME TO auth_session_gone")
        .await
        .unwrap();
    let (status, ct, body) = get(
        &app,
        Some(&admin.token),
        "/export/dashboard.csv?areaCode=52",
    )
    .await;
    assert_eq!(status, 500, "{body}");
    assert!(ct.starts_with("application/json"), "{ct}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "INTERNAL_SERVER_ERROR"
    );
    assert_eq!(body["errors"][0]["message"], "internal error");
}
