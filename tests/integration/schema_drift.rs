/// `schema.graphql` at the repository root is what the server exposes. Regenerate with
/// `cargo run -p api -- print-schema > schema.graphql` (or `UPDATE_SCHEMA=1 cargo test`).
#[test]
fn the_checked_in_schema_matches_the_server() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql");
    let current = api::graphql::schema::sdl();
    if std::env::var("UPDATE_SCHEMA").is_ok() {
        std::fs::write(&path, &current).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == current,
        "schema.graphql is stale: run `cargo run -p api -- print-schema > schema.graphql` and commit it"
    );
}

#[actix_web::test]
async fn every_type_field_argument_and_enum_value_is_described() {
    let schema = api::graphql::schema::bare();
    let q = "{ __schema { types { name kind description
        fields { name description args { name description } }
        inputFields { name description } enumValues { name description } } } }";
    let res = schema.execute(q).await;
    assert!(res.errors.is_empty(), "{:?}", res.errors);
    let data = res.data.into_json().unwrap();
    let blank = |v: &serde_json::Value| {
        v["description"]
            .as_str()
            .is_none_or(|d| d.trim().is_empty())
    };
    let mut missing = Vec::new();
    for t in data["__schema"]["types"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        if blank(t) {
            missing.push(name.to_string());
        }
        for f in t["fields"].as_array().into_iter().flatten() {
            if blank(f) {
                missing.push(format!("{name}.{}", f["name"]));
            }
            for a in f["args"].as_array().into_iter().flatten() {
                if blank(a) {
                    missing.push(format!("{name}.{}({})", f["name"], a["name"]));
                }
            }
        }
        for f in t["inputFields"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(t["enumValues"].as_array().into_iter().flatten())
        {
            if blank(f) {
                missing.push(format!("{name}.{}", f["name"]));
            }
        }
    }
    assert!(missing.is_empty(), "undocumented: {missing:#?}");
}

/// Reads every row of each entity's table (so each column the entity names must exist with a
/// type it can decode) and returns (table, rows read).
macro_rules! read_every_table {
    ($db:expr, $($entity:ident),+ $(,)?) => {{
        use sea_orm::{EntityName, EntityTrait};
        let mut read = Vec::new();
        $(
            let rows = entity::$entity::Entity::find()
                .all($db)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", stringify!($entity)));
            read.push((entity::$entity::Entity.table_name().to_string(), rows.len()));
        )+
        read
    }};
}

/// Every migrated table has an entity, and every entity reads back from its table (same
/// columns, same types), with rows in the tables a registration, an assessment, a login and an
/// agency write.
#[actix_web::test]
async fn the_entities_match_the_migrated_tables() {
    use crate::helpers::{
        builders::{AgencyBuilder, AssessmentSpec, HouseholdBuilder},
        fixtures::seed_villages,
    };
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = crate::helpers::TestApp::spawn().await;
    app.client(entity::enums::Role::Admin).await; // account, session, token, audit rows
    AgencyBuilder::new("An agency")
        .agency_type(entity::enums::AgencyType::Ngo)
        .coverage(&["95"])
        .create(&app)
        .await;
    seed_villages(&app).await;
    let surveyor = app.client(entity::enums::Role::Surveyor).await;
    let household = HouseholdBuilder::new(7)
        .head("สมศรี")
        .assessment(
            AssessmentSpec::new(2.0, 2500.0)
                .on("2026-11-01")
                .activate(true),
        )
        .create(&app, &surveyor.token)
        .await;
    assert!(household.assessment.is_some());

    let db = &app.db;
    let read = read_every_table!(
        db,
        account,
        agency,
        agency_coverage,
        area,
        area_rollup,
        assessment,
        audit_event,
        auth_session,
        case_event,
        change_log,
        change_log_horizon,
        change_log_mark,
        consent,
        consent_grant,
        enterprise,
        enterprise_link,
        graduation,
        household,
        household_contribution,
        household_external_id,
        household_status_event,
        idempotency_key,
        intervention,
        login_throttle,
        r#match,
        match_event,
        matching_run,
        membership,
        persisted_query,
        person,
        potential_duplicate,
        poverty_line,
        referral,
        refresh_token,
        request_budget,
        service,
        support_case,
        technology,
        visit,
    );

    // The tables the migrations made, all of them.
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => {
            "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        _ => "SELECT tablename AS t FROM pg_tables WHERE schemaname = current_schema()",
    };
    let migrated: std::collections::BTreeSet<String> = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.try_get::<String>("", "t").unwrap())
        .filter(|t| t != "seaql_migrations")
        .collect();
    let entities: std::collections::BTreeSet<String> =
        read.iter().map(|(table, _)| table.clone()).collect();
    assert_eq!(entities, migrated, "entities vs migrated tables");

    // Rows were decoded, not just an empty result, where the fixtures above write.
    let rows: std::collections::BTreeMap<&str, usize> =
        read.iter().map(|(t, n)| (t.as_str(), *n)).collect();
    for table in [
        "area",
        "agency",
        "agency_coverage",
        "account",
        "auth_session",
        "refresh_token",
        "audit_event",
        "household",
        "person",
        "membership",
        "household_status_event",
        "assessment",
        "poverty_line",
        "area_rollup",
    ] {
        assert!(rows[table] > 0, "no {table} row was read: {rows:?}");
    }
}
