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

/// Every entity reads back from the migrated tables (same columns, same types).
#[actix_web::test]
async fn the_entities_match_the_migrated_tables() {
    use entity::*;
    use sea_orm::EntityTrait;
    let app = crate::helpers::TestApp::spawn().await;
    app.client(entity::enums::Role::Admin).await; // account, session, token, audit rows
    api::agency::service::create_agency(
        &app.db,
        &api::audit::service::Actor::system("test"),
        "An agency".into(),
        entity::enums::AgencyType::Ngo,
        api::agency::service::AgencyFields {
            name: None,
            name_en: None,
            agency_type: None,
            contact_name: None,
            contact_email: None,
            contact_phone: None,
            coverage: Some(vec!["95".into()]),
            active: None,
        },
    )
    .await
    .unwrap();
    let db = &app.db;
    assert!(area::Entity::find().one(db).await.unwrap().is_some());
    assert!(agency::Entity::find().one(db).await.unwrap().is_some());
    assert!(
        agency_coverage::Entity::find()
            .one(db)
            .await
            .unwrap()
            .is_some()
    );
    assert!(account::Entity::find().one(db).await.unwrap().is_some());
    assert!(
        auth_session::Entity::find()
            .one(db)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        refresh_token::Entity::find()
            .one(db)
            .await
            .unwrap()
            .is_some()
    );
    assert!(audit_event::Entity::find().one(db).await.unwrap().is_some());
    login_throttle::Entity::find().one(db).await.unwrap();
}
