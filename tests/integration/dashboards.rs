//! Dashboards: exact numbers for ADMIN from a constructed data set, suppression for viewers
//! without household access (no small cell visible, nothing recoverable by subtraction, the
//! parent agreeing with its children), the cache seeing writes at once, the cost in statements.
use entity::{area_rollup, enums::Role};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, ExprTrait, QueryFilter, Set, sea_query::Expr,
};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp,
    builders::{AgencyBuilder, HouseholdBuilder, TechnologyBuilder},
    casework::{casework, gid},
    fixtures::{AccountBuilder, LAMPANG_VILLAGE},
};

/// Every cell of a dashboard area, as the API returns them.
pub const AREA_FIELDS: &str = "code exact area { nameEn }
  households { total { key value suppressed } counts { key value suppressed } }
  ladder { assessed { key value suppressed } overall { key value suppressed } human { key value suppressed }
    physical { key value suppressed } financial { key value suppressed } natural { key value suppressed }
    social { key value suppressed } }
  incomeLevels { key value suppressed }
  matches { total { key value suppressed } counts { key value suppressed } }
  technologies { technologyId technology { name } matches { key value suppressed } adopted { key value suppressed } }
  referrals { total { key value suppressed } counts { key value suppressed } }
  overdueReferrals { key value suppressed }
  interventions { kind count quantity cost suppressed }
  graduations { key value suppressed } relapses { key value suppressed } relapseRisks { key value suppressed }";

pub fn dashboard_query() -> String {
    format!(
        "query($a: String, $from: NaiveDate, $to: NaiveDate) {{ dashboard(areaCode: $a, from: $from, to: $to) {{
          from to asOf suppressionK area {{ {AREA_FIELDS} }} children {{ {AREA_FIELDS} }} }} }}"
    )
}

/// Adds district-level counts to the rollups at the district, its first subdistrict and its
/// province, and bumps the province's `_version` (what a write does through `rollup::touch`).
pub async fn put(app: &TestApp, cells: &[(&str, &str, &str, i64)]) {
    let mut rows: std::collections::BTreeMap<(String, String, String), (String, i64)> =
        Default::default();
    for &(district, metric, bucket, n) in cells {
        let subdistrict = format!("{district}01");
        for code in [subdistrict.as_str(), district, &district[..2]] {
            let parent = code[..code.len() - 2].to_string();
            rows.entry((code.into(), metric.into(), bucket.into()))
                .or_insert((parent, 0))
                .1 += n;
        }
    }
    let mut provinces = std::collections::BTreeSet::new();
    for ((area, metric, bucket), (parent, n)) in rows {
        provinces.insert(area[..2].to_string());
        let existing =
            area_rollup::Entity::find_by_id((area.clone(), metric.clone(), bucket.clone()))
                .one(&app.db)
                .await
                .unwrap();
        match existing {
            Some(row) => {
                let total = row.n + n;
                let mut row: area_rollup::ActiveModel = row.into();
                row.n = Set(total);
                row.update(&app.db).await.unwrap();
            }
            None => {
                area_rollup::ActiveModel {
                    area_code: Set(area),
                    parent_code: Set(parent),
                    metric: Set(metric),
                    bucket: Set(bucket),
                    n: Set(n),
                    quantity: Set(n as f64),
                    amount_satang: Set(n * 10_000),
                }
                .insert(&app.db)
                .await
                .unwrap();
            }
        }
    }
    for p in provinces {
        let bumped = area_rollup::Entity::update_many()
            .col_expr(
                area_rollup::Column::N,
                Expr::col(area_rollup::Column::N).add(1),
            )
            .filter(area_rollup::Column::AreaCode.eq(p.clone()))
            .filter(area_rollup::Column::Metric.eq("_version"))
            .exec(&app.db)
            .await
            .unwrap();
        if bumped.rows_affected == 0 {
            area_rollup::ActiveModel {
                area_code: Set(p),
                parent_code: Set(String::new()),
                metric: Set("_version".into()),
                bucket: Set(String::new()),
                n: Set(1),
                quantity: Set(0.0),
                amount_satang: Set(0),
            }
            .insert(&app.db)
            .await
            .unwrap();
        }
    }
    // Written as a mutation of this replica would be: its kept versions go at once (other
    // replicas hear of it from the database, see
    // `kept_versions_follow_a_change_by_another_process`).
    app.state.services.live.versions.forget_all();
}

/// Lampang: district 5201 (Mueang) and 5202 (Mae Mo) with small and large counts; Yala (95)
/// with one district, so the country table has two provinces.
pub const DATA: &[(&str, &str, &str, i64)] = &[
    ("5201", "households", "ENROLLED", 20),
    ("5201", "households", "VERIFIED", 3),
    ("5201", "households", "DISCOVERED", 9),
    ("5202", "households", "ENROLLED", 12),
    ("5202", "households", "VERIFIED", 1),
    ("5202", "households", "DISCOVERED", 7),
    ("5201", "ladder", "OVERALL.STRUGGLING", 15),
    ("5201", "ladder", "OVERALL.DIFFICULT", 5),
    ("5202", "ladder", "OVERALL.STRUGGLING", 10),
    ("5202", "ladder", "OVERALL.WELL", 2),
    ("5201", "income", "BELOW_POVERTY_LINE", 20),
    ("5202", "income", "BELOW_POVERTY_LINE", 12),
    ("5201", "referrals", "PENDING", 6),
    ("5202", "referrals", "PENDING", 2),
    ("5201", "referrals_open_due", "2020-01-01", 2),
    ("5202", "referrals_open_due", "2020-01-01", 1),
    ("5201", "interventions", "TRAINING.2026-02", 8),
    ("5202", "interventions", "TRAINING.2026-02", 3),
    ("5202", "interventions", "CASH.2026-02", 6),
    ("9501", "households", "ENROLLED", 40),
    ("9501", "households", "VERIFIED", 2),
];

fn value(cell: &Value) -> Option<i64> {
    cell["value"].as_i64()
}

fn hidden(cell: &Value) -> bool {
    cell["suppressed"].as_bool().unwrap()
}

/// Every count of an area, flattened as (cell name, cell), in a fixed order.
pub fn cells(area: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut push = |name: String, v: &Value| out.push((name, v.clone()));
    for section in ["households", "matches", "referrals"] {
        push(format!("{section}.total"), &area[section]["total"]);
        for c in area[section]["counts"].as_array().unwrap() {
            push(format!("{section}.{}", c["key"].as_str().unwrap()), c);
        }
    }
    push("ladder.assessed".into(), &area["ladder"]["assessed"]);
    for l in [
        "overall",
        "human",
        "physical",
        "financial",
        "natural",
        "social",
    ] {
        for c in area["ladder"][l].as_array().unwrap() {
            push(format!("ladder.{l}.{}", c["key"].as_str().unwrap()), c);
        }
    }
    for c in area["incomeLevels"].as_array().unwrap() {
        push(format!("income.{}", c["key"].as_str().unwrap()), c);
    }
    for t in area["technologies"].as_array().unwrap() {
        let id = t["technologyId"].as_str().unwrap();
        push(format!("technology.{id}.matches"), &t["matches"]);
        push(format!("technology.{id}.adopted"), &t["adopted"]);
    }
    for d in area["interventions"].as_array().unwrap() {
        let kind = d["kind"].as_str().unwrap_or("total");
        push(
            format!("interventions.{kind}"),
            &json!({ "value": d["count"], "suppressed": d["suppressed"] }),
        );
    }
    push("referrals.overdue".into(), &area["overdueReferrals"]);
    for single in ["graduations", "relapses", "relapseRisks"] {
        push(single.into(), &area[single]);
    }
    out
}

/// The groups of one area's cells that add up (a total and its parts), by cell name.
fn row_groups(names: &[String]) -> Vec<Vec<String>> {
    let with = |prefix: &str, total: &str| -> Vec<String> {
        let mut g = vec![total.to_string()];
        g.extend(
            names
                .iter()
                .filter(|n| n.starts_with(prefix) && !n.ends_with(".total"))
                .cloned(),
        );
        g
    };
    let mut groups = vec![
        with("households.", "households.total"),
        with("matches.", "matches.total"),
        with("referrals.", "referrals.total")
            .into_iter()
            .filter(|n| n != "referrals.overdue")
            .collect(),
        with("income.", "ladder.assessed"),
        with("interventions.", "interventions.total"),
    ];
    for l in [
        "overall",
        "human",
        "physical",
        "financial",
        "natural",
        "social",
    ] {
        groups.push(with(&format!("ladder.{l}."), "ladder.assessed"));
    }
    groups
}

/// What a reader learns by subtraction from a group (total first): the total minus its
/// visible parts, i.e. the sum of the hidden parts, when the total is visible and some part
/// is hidden.
fn subtracted(group: &[&Value]) -> Option<i64> {
    let total = value(group[0])?;
    let parts = &group[1..];
    if !parts.iter().any(|c| hidden(c)) {
        return None;
    }
    Some(total - parts.iter().filter_map(|c| value(c)).sum::<i64>())
}

/// Checks a suppressed table mechanically: no visible count in 1..k in the suppressed areas,
/// no group (row: a breakdown and its total; column: a cell over the children and the area)
/// with exactly one hidden cell or whose visible total minus its visible parts is in 1..k,
/// and visible children never add up to more than the parent.
pub fn assert_safe(dashboard: &Value, k: i64) {
    let mut areas = vec![dashboard["area"].clone()];
    areas.extend(dashboard["children"].as_array().unwrap().iter().cloned());
    let tables: Vec<Vec<(String, Value)>> = areas.iter().map(cells).collect();
    for (area, cells) in areas.iter().zip(&tables) {
        let exact = area["exact"].as_bool().unwrap();
        for (name, cell) in cells {
            if exact {
                assert!(!hidden(cell), "{name} hidden in an exact area");
            } else if let Some(v) = value(cell) {
                assert!(!(v > 0 && v < k), "{} {name} = {v} visible", area["code"]);
            }
        }
        let names: Vec<String> = cells.iter().map(|(n, _)| n.clone()).collect();
        let by_name: std::collections::HashMap<&String, &Value> =
            cells.iter().map(|(n, c)| (n, c)).collect();
        for group in row_groups(&names) {
            let n = group.iter().filter(|g| hidden(by_name[g])).count();
            assert_ne!(
                n, 1,
                "{}: row group {group:?} has one hidden cell",
                area["code"]
            );
            if !exact {
                let cells: Vec<&Value> = group.iter().map(|g| by_name[g]).collect();
                if let Some(rest) = subtracted(&cells) {
                    assert!(
                        !(rest > 0 && rest < k),
                        "{}: row group {group:?} gives away {rest} by subtraction",
                        area["code"]
                    );
                }
            }
        }
    }
    if tables.len() > 1 {
        for (i, (name, parent)) in tables[0].iter().enumerate() {
            let column: Vec<&Value> = std::iter::once(parent)
                .chain(tables[1..].iter().map(|t| &t[i].1))
                .collect();
            let n = column.iter().filter(|c| hidden(c)).count();
            assert_ne!(n, 1, "column {name} has one hidden cell: {column:?}");
            if let Some(rest) = subtracted(&column) {
                assert!(
                    !(rest > 0 && rest < k),
                    "column {name} gives away {rest} by subtraction: {column:?}"
                );
            }
            if n == 0 {
                let sum: i64 = column[1..].iter().map(|c| value(c).unwrap()).sum();
                assert_eq!(value(parent).unwrap(), sum, "column {name} does not add up");
            }
        }
    }
}

fn find<'a>(list: &'a Value, key: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == key)
        .unwrap_or_else(|| panic!("no {key} in {list}"))
}

fn child<'a>(d: &'a Value, code: &str) -> &'a Value {
    d["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code)
        .unwrap_or_else(|| panic!("no child {code}"))
}

const PERIOD: (&str, &str) = ("2026-01-01", "2026-03-31");

async fn read(app: &TestApp, token: &str, area: Option<&str>) -> crate::helpers::Gql {
    app.gql(
        Some(token),
        &dashboard_query(),
        json!({ "a": area, "from": PERIOD.0, "to": PERIOD.1 }),
    )
    .await
}

#[actix_web::test]
async fn admin_reads_exact_cells_of_a_province_and_its_districts() {
    let app = TestApp::spawn().await;
    put(&app, DATA).await;
    let admin = app.client(Role::Admin).await;
    let res = read(&app, &admin.token, Some("52")).await;
    let d = res.data("/dashboard");
    assert_eq!(d["from"], "2026-01-01");
    assert_eq!(d["suppressionK"], 5);
    let p = &d["area"];
    assert_eq!(p["code"], "52");
    assert_eq!(p["exact"], true);
    assert_eq!(p["area"]["nameEn"], "Lampang");
    assert_eq!(p["households"]["total"]["value"], 52);
    assert_eq!(find(&p["households"]["counts"], "VERIFIED")["value"], 4);
    assert_eq!(find(&p["households"]["counts"], "GRADUATED")["value"], 0);
    assert_eq!(p["ladder"]["assessed"]["value"], 32);
    assert_eq!(find(&p["ladder"]["overall"], "WELL")["value"], 2);
    assert_eq!(find(&p["incomeLevels"], "BELOW_POVERTY_LINE")["value"], 32);
    assert_eq!(p["referrals"]["total"]["value"], 8);
    assert_eq!(p["overdueReferrals"]["value"], 3);
    let training = &p["interventions"][1];
    assert_eq!(training["kind"], "TRAINING");
    assert_eq!(training["count"], 11);
    assert_eq!(training["cost"], 1100.0);
    assert_eq!(p["interventions"][7]["kind"], Value::Null);
    assert_eq!(p["interventions"][7]["count"], 17);
    // Every district of Lampang is a child (13), those without rows at zero.
    let children = d["children"].as_array().unwrap();
    assert_eq!(children.len(), 13);
    assert_eq!(child(d, "5201")["households"]["total"]["value"], 32);
    assert_eq!(child(d, "5202")["households"]["total"]["value"], 20);
    assert_eq!(child(d, "5203")["households"]["total"]["value"], 0);
    assert!(children.iter().all(|c| c["exact"] == true));
    // The country is the sum of the provinces; a village has no children.
    let country = read(&app, &admin.token, None).await;
    assert_eq!(country.data("/dashboard/area/code"), &Value::Null);
    assert_eq!(country.data("/dashboard/area/households/total/value"), 94);
    assert_eq!(
        country
            .data("/dashboard/children")
            .as_array()
            .unwrap()
            .len(),
        77
    );
    crate::helpers::fixtures::seed_villages(&app).await;
    let village = read(&app, &admin.token, Some(LAMPANG_VILLAGE)).await;
    assert_eq!(village.data("/dashboard/children"), &json!([]));
}

#[actix_web::test]
async fn analysts_read_suppressed_tables_that_give_nothing_away_by_subtraction() {
    let app = TestApp::spawn().await;
    put(&app, DATA).await;
    let analyst = app.client(Role::Analyst).await;
    for area in [None, Some("52"), Some("5201"), Some("5202")] {
        let res = read(&app, &analyst.token, area).await;
        let d = res.data("/dashboard");
        assert_safe(d, 5);
        assert_eq!(d["area"]["exact"], false);
    }
    let d = read(&app, &analyst.token, Some("52")).await;
    let d = d.data("/dashboard");
    // 5202's single VERIFIED household is hidden, and so is one more cell of its column.
    let verified = find(&child(d, "5202")["households"]["counts"], "VERIFIED");
    assert_eq!(verified["value"], Value::Null);
    assert_eq!(verified["suppressed"], true);
    // Large counts stay visible.
    assert_eq!(d["area"]["households"]["total"]["value"], 52);
    // A district's cells read the same as a child of the province and in its own dashboard.
    let own = read(&app, &analyst.token, Some("5202")).await;
    let own = own.data("/dashboard/area");
    assert_eq!(cells(own), cells(child(d, "5202")));
}

#[actix_web::test]
async fn a_coordinator_is_exact_in_its_district_and_suppressed_in_the_other() {
    let app = TestApp::spawn().await;
    put(&app, DATA).await;
    let account = AccountBuilder::new(Role::Coordinator)
        .scopes(&["5202"])
        .create(&app)
        .await;
    let coordinator = app.client_for(&account).await;
    let res = read(&app, &coordinator.token, Some("52")).await;
    let d = res.data("/dashboard");
    assert_safe(d, 5);
    let mae_mo = child(d, "5202");
    assert_eq!(mae_mo["exact"], true);
    assert_eq!(
        find(&mae_mo["households"]["counts"], "VERIFIED")["value"],
        1
    );
    let mueang = child(d, "5201");
    assert_eq!(mueang["exact"], false);
    assert_eq!(
        find(&mueang["households"]["counts"], "VERIFIED")["suppressed"],
        true
    );
    // In its own district, everything exact.
    let own = read(&app, &coordinator.token, Some("5202")).await;
    assert_eq!(own.data("/dashboard/area/exact"), true);
}

#[actix_web::test]
async fn who_may_read_which_dashboard() {
    let app = TestApp::spawn().await;
    put(&app, DATA).await;
    let agency = app.client(Role::Agency).await;
    read(&app, &agency.token, Some("52"))
        .await
        .assert_error("FORBIDDEN", None);
    let account = AccountBuilder::new(Role::Analyst)
        .scopes(&["95"])
        .create(&app)
        .await;
    let analyst = app.client_for(&account).await;
    read(&app, &analyst.token, Some("52"))
        .await
        .assert_error("FORBIDDEN", None);
    read(&app, &analyst.token, None)
        .await
        .assert_error("FORBIDDEN", None);
    let ok = read(&app, &analyst.token, Some("95")).await;
    assert_eq!(ok.data("/dashboard/area/code"), "95");
    let admin = app.client(Role::Admin).await;
    read(&app, &admin.token, Some("5299"))
        .await
        .assert_error("BAD_USER_INPUT", Some("areaCode"));
    read(&app, &admin.token, Some("52x"))
        .await
        .assert_error("BAD_USER_INPUT", Some("areaCode"));
    app.gql(
        Some(&admin.token),
        "{ dashboard(areaCode: \"52\", from: \"2026-02-01\", to: \"2026-01-01\") { from } }",
        json!({}),
    )
    .await
    .assert_error("BAD_USER_INPUT", Some("from"));
    app.gql(None, "{ dashboard { from } }", json!({}))
        .await
        .assert_error("UNAUTHENTICATED", None);
}

#[actix_web::test]
async fn a_write_after_a_read_is_seen_by_the_next_read() {
    let app = TestApp::spawn().await;
    put(&app, DATA).await;
    let admin = app.client(Role::Admin).await;
    let analyst = app.client(Role::Analyst).await;
    let total = |g: &crate::helpers::Gql| g.data("/dashboard/area/households/total/value").clone();
    assert_eq!(total(&read(&app, &admin.token, Some("52")).await), 52);
    assert_eq!(total(&read(&app, &analyst.token, Some("52")).await), 52);
    put(&app, &[("5201", "households", "ENROLLED", 10)]).await;
    assert_eq!(total(&read(&app, &admin.token, Some("52")).await), 62);
    assert_eq!(total(&read(&app, &analyst.token, Some("52")).await), 62);
    // A write in another province changes the country table an analyst's pattern starts from.
    put(&app, &[("9501", "households", "VERIFIED", 3)]).await;
    assert_eq!(
        read(&app, &analyst.token, None)
            .await
            .data("/dashboard/area/households/total/value"),
        107
    );
}

#[actix_web::test]
async fn registered_households_reach_the_dashboard_through_the_rollups() {
    let w = casework().await;
    let admin = &w.admin;
    let before = read(&w.app, &admin.token, Some("5201")).await;
    assert_eq!(before.data("/dashboard/area/households/total/value"), 0);
    for seed in 0..3 {
        HouseholdBuilder::new(500 + seed)
            .head(&format!("คน{seed}"))
            .create(&w.app, &w.surveyor.token)
            .await;
    }
    let h = w.household(600).await;
    w.assess(&h).await;
    api::rollup::rebuild(&w.app.db).await.unwrap();
    let after = read(&w.app, &admin.token, Some("5201")).await;
    let d = after.data("/dashboard");
    assert_eq!(d["area"]["households"]["total"]["value"], 4);
    assert_eq!(d["area"]["ladder"]["assessed"]["value"], 1);
    assert_eq!(child(d, "520101")["households"]["total"]["value"], 4);
    let _ = gid;
}

#[actix_web::test]
async fn a_province_dashboard_takes_the_same_statements_with_2_and_12_districts() {
    let app = TestApp::spawn().await;
    put(&app, DATA).await;
    let analyst = app.client(Role::Analyst).await;
    let admin = app.client(Role::Admin).await;
    let q = "query($a: String) { dashboard(areaCode: $a) { children { code area { nameEn }
      households { total { value } } technologies { technology { name } } } } }";
    let count = |token: String| {
        let app = &app;
        async move {
            app.reset_statements().await;
            let res = app.gql(Some(&token), q, json!({ "a": "52" })).await;
            res.data("/dashboard");
            app.statements()
        }
    };
    // The province list is read once per process: read it before counting.
    read(&app, &analyst.token, Some("95"))
        .await
        .data("/dashboard");
    // Both stages start with answers kept from before a write (as the second does).
    count(analyst.token.clone()).await;
    count(admin.token.clone()).await;
    put(&app, &[("5201", "households", "ENROLLED", 0)]).await;
    // Cold (kept answers stale after a write), then warm.
    let cold_small = count(analyst.token.clone()).await;
    let warm_small = count(analyst.token.clone()).await;
    let admin_small = count(admin.token.clone()).await;
    let mut more = Vec::new();
    for d in 3..=12 {
        more.push((format!("52{d:02}"), "households", "ENROLLED", 7));
    }
    let more: Vec<(&str, &str, &str, i64)> = more
        .iter()
        .map(|(a, m, b, n)| (a.as_str(), *m, *b, *n))
        .collect();
    put(&app, &more).await;
    let cold_large = count(analyst.token.clone()).await;
    let warm_large = count(analyst.token.clone()).await;
    let admin_large = count(admin.token.clone()).await;
    assert_eq!(
        (cold_small, warm_small, admin_small),
        (cold_large, warm_large, admin_large)
    );
    // Cold: viewer, the kept answer's versions (stale), the dashboard's versions, areas,
    // rollup rows. Warm: viewer, versions.
    assert!(cold_large <= 5, "{cold_large} statements");
    assert!(warm_large <= 2, "{warm_large} statements");
}

#[actix_web::test]
async fn a_repeated_dashboard_is_answered_from_memory_per_viewer_until_its_province_changes() {
    let app = TestApp::spawn().await;
    put(&app, DATA).await;
    let admin = app.client(Role::Admin).await;
    let analyst = app.client(Role::Analyst).await;
    let verified = |g: &crate::helpers::Gql| {
        find(
            &child(g.data("/dashboard"), "5202")["households"]["counts"],
            "VERIFIED",
        )
        .clone()
    };
    let first = read(&app, &admin.token, Some("52")).await;
    assert_eq!(verified(&first)["value"], 1);
    assert_eq!(app.state.services.responses.len(), 1);
    // The same text from the same kind of viewer: the same bytes, after the versions and the
    // session only (none at all where the replica keeps both, on PostgreSQL).
    app.reset_statements().await;
    let again = read(&app, &admin.token, Some("52")).await;
    assert_eq!(
        app.statements(),
        app.version_statements() + app.session_statements()
    );
    assert_eq!(again.body, first.body);
    // Another viewer with the same text gets its own answer (a 1 is hidden from an analyst),
    // and the admin's kept answer is still the admin's.
    assert!(hidden(&verified(
        &read(&app, &analyst.token, Some("52")).await
    )));
    assert_eq!(app.state.services.responses.len(), 2);
    assert_eq!(
        verified(&read(&app, &admin.token, Some("52")).await)["value"],
        1
    );
    // A write in the province (from any replica: it bumps the version in the database)
    // makes the kept answers stale.
    put(&app, &[("5202", "households", "VERIFIED", 4)]).await;
    assert_eq!(
        verified(&read(&app, &admin.token, Some("52")).await)["value"],
        5
    );
    assert_eq!(
        verified(&read(&app, &analyst.token, Some("52")).await)["value"],
        5
    );
}

#[actix_web::test]
async fn a_dashboard_that_names_technologies_is_never_answered_from_memory() {
    let app = TestApp::spawn().await;
    put(&app, DATA).await;
    let admin = app.client(Role::Admin).await;
    let agency = AgencyBuilder::new("RMUT Lanna Lampang")
        .create(&app)
        .await
        .id;
    let tech = |name: &str| TechnologyBuilder::new(agency, name).input();
    let id = TechnologyBuilder::new(agency, "Fish feed")
        .create(&app, &admin.token)
        .await;
    let (_, uuid) = api::graphql::node::decode(id.as_str().unwrap()).unwrap();
    put(&app, &[("5201", "match_technology", &uuid, 6)]).await;
    let q = "query($a: String) { dashboard(areaCode: $a) { area { technologies { technology { name } matches { value } } } } }";
    let name = |g: crate::helpers::Gql| {
        g.data("/dashboard/area/technologies/0/technology/name")
            .clone()
    };
    let read = || app.gql(Some(&admin.token), q, json!({ "a": "52" }));
    assert_eq!(name(read().await), "Fish feed");
    assert_eq!(name(read().await), "Fish feed");
    // The catalogue has no province version: a rename must show at once.
    app.gql(
        Some(&admin.token),
        "mutation($i: UpdateTechnologyInput!) { updateTechnology(input: $i) { technology { name } } }",
        json!({ "i": { "id": id, "version": 1, "technology": tech("Fish feed pellets") } }),
    )
    .await
    .data("/updateTechnology");
    assert_eq!(name(read().await), "Fish feed pellets");
    assert!(app.state.services.responses.is_empty());
}

#[actix_web::test]
async fn kept_versions_follow_a_change_by_another_process() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = TestApp::spawn().await;
    put(&app, DATA).await;
    let admin = app.client(Role::Admin).await;
    let first = read(&app, &admin.token, Some("52")).await;
    read(&app, &admin.token, Some("52")).await;
    if app.db.get_database_backend() != DbBackend::Postgres {
        assert!(!app.state.services.live.versions.enabled());
        return;
    }
    assert!(!app.state.services.live.versions.is_empty());
    // Another process changes Lampang's figures: nothing in this one is told but the
    // database's notification.
    for sql in [
        "UPDATE area_rollup SET n = n + 10 WHERE area_code IN ('52', '5202', '520201') \
         AND metric = 'households' AND bucket = 'VERIFIED'",
        "UPDATE area_rollup SET n = n + 1 WHERE area_code = '52' AND metric = '_version'",
    ] {
        app.db
            .execute_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .expect("write");
    }
    let start = std::time::Instant::now();
    loop {
        let now = read(&app, &admin.token, Some("52")).await;
        if now.body != first.body {
            let verified = find(
                &child(now.data("/dashboard"), "5202")["households"]["counts"],
                "VERIFIED",
            )["value"]
                .clone();
            assert_eq!(verified, 11);
            return;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "the dashboard kept the old figures after another process changed them"
        );
        tokio::task::yield_now().await;
    }
}
