use api::area::service::import_areas;
use entity::enums::Role;
use serde_json::json;

use crate::helpers::TestApp;

#[actix_web::test]
async fn every_province_district_and_subdistrict_ships_with_the_service() {
    let app = TestApp::spawn().await;
    let user = app.client(Role::Analyst).await;
    let q = "query($l: AreaLevel!) { areas(level: $l, first: 1) { totalCount } }";
    // The shipped file (77 provinces, 929 districts, 7,451 subdistricts), counted here
    // independently of the loader.
    let file = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../api/data/areas.csv"
    ))
    .unwrap();
    for (level, at_least) in [("PROVINCE", 77), ("DISTRICT", 900), ("SUBDISTRICT", 7400)] {
        let in_file = file
            .lines()
            .filter(|l| l.split(',').nth(1) == Some(level))
            .count();
        assert!(in_file >= at_least, "{level}: {in_file}");
        let res = app.gql(Some(&user.token), q, json!({ "l": level })).await;
        assert_eq!(res.data("/areas/totalCount"), in_file, "{level}");
    }
    let res = app
        .gql(Some(&user.token), "{ area(code: \"520101\") { nameTh nameEn level postalCode parent { code nameEn parent { nameEn } } } }", json!({}))
        .await;
    assert_eq!(res.data("/area/level"), "SUBDISTRICT");
    assert_eq!(res.data("/area/parent/code"), "5201");
    assert_eq!(res.data("/area/parent/parent/nameEn"), "Lampang");
    assert!(
        app.gql(
            Some(&user.token),
            "{ area(code: \"00\") { code } }",
            json!({})
        )
        .await
        .data("/area")
        .is_null()
    );
}

#[actix_web::test]
async fn the_seven_sra_provinces_are_flagged() {
    let app = TestApp::spawn().await;
    let user = app.client(Role::Surveyor).await;
    let res = app
        .gql(
            Some(&user.token),
            "{ areas(cohort: SRA) { nodes { code cohorts } } }",
            json!({}),
        )
        .await;
    let codes: Vec<&str> = res
        .data("/areas/nodes")
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["45", "46", "49", "52", "93", "94", "95"]);
}

#[actix_web::test]
async fn areas_are_searched_by_thai_or_english_name_and_listed_by_parent() {
    let app = TestApp::spawn().await;
    let user = app.client(Role::Coordinator).await;
    let res = app
        .gql(
            Some(&user.token),
            "{ areas(search: \"lampang\", level: PROVINCE) { nodes { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(res.data("/areas/nodes"), &json!([{ "code": "52" }]));
    let res = app
        .gql(
            Some(&user.token),
            "{ areas(search: \"ลำ\u{200B}ปาง\", level: PROVINCE) { nodes { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(res.data("/areas/nodes"), &json!([{ "code": "52" }]));
    let res = app
        .gql(
            Some(&user.token),
            "{ areas(parentCode: \"52\") { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(res.data("/areas/totalCount"), 13);
    app.gql(
        Some(&user.token),
        "{ areas(parentCode: \"abc\") { totalCount } }",
        json!({}),
    )
    .await
    .assert_error("BAD_USER_INPUT", Some("parentCode"));
}

#[actix_web::test]
async fn an_admin_sets_the_target_cohort() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    let m = "mutation($i: SetAreaTargetCohortInput!) { setAreaTargetCohort(input: $i) { areas { code cohorts } } }";
    let res = app
        .gql(
            Some(&admin.token),
            m,
            json!({ "i": { "codes": ["52", "57"], "target": true } }),
        )
        .await;
    assert_eq!(
        res.data("/setAreaTargetCohort/areas"),
        &json!([{ "code": "52", "cohorts": ["TARGET", "SRA"] }, { "code": "57", "cohorts": ["TARGET"] }])
    );
    let res = app
        .gql(
            Some(&admin.token),
            "{ areas(cohort: TARGET) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(res.data("/areas/totalCount"), 2);
    app.gql(
        Some(&admin.token),
        m,
        json!({ "i": { "codes": ["77777777"], "target": true } }),
    )
    .await
    .assert_error("BAD_USER_INPUT", Some("codes"));
}

#[actix_web::test]
async fn importing_villages_is_idempotent_and_reports_bad_rows_by_line() {
    let app = TestApp::spawn().await;
    let csv = "code,level,parent_code,name_th,name_en,postal_code,lat,lng,region\n\
               52010101,VILLAGE,520101,บ้านหนึ่ง,Ban Nueng,,,,\n\
               52010102,VILLAGE,520101,บ้านสอง,Ban Song,,,,\n\
               52010103,VILLAGE,999999,บ้านสาม,Ban Sam,,,,\n\
               5201014,VILLAGE,520101,บ้านสี่,Ban Si,,,,\n\
               52010102,VILLAGE,520101,บ้านสอง,Ban Song,,,,\n";
    let first = import_areas(&app.db, csv.as_bytes()).await.unwrap();
    assert_eq!((first.created, first.updated, first.unchanged), (2, 0, 0));
    let lines: Vec<u64> = first.rejected.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [4, 5, 6]);
    assert!(first.rejected[0].1.contains("parent_code"));

    let again = import_areas(&app.db, csv.as_bytes()).await.unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2));

    let fixed = csv.replace("Ban Song", "Ban Song Nuea");
    let third = import_areas(&app.db, fixed.as_bytes()).await.unwrap();
    assert_eq!((third.created, third.updated, third.unchanged), (0, 1, 1));

    let user = app.client(Role::Surveyor).await;
    let res = app
        .gql(
            Some(&user.token),
            "{ area(code: \"520101\") { children { totalCount nodes { nameEn level } } } }",
            json!({}),
        )
        .await;
    assert_eq!(res.data("/area/children/totalCount"), 2);
    assert_eq!(res.data("/area/children/nodes/1/nameEn"), "Ban Song Nuea");
}

#[actix_web::test]
async fn an_import_with_missing_columns_is_refused_naming_them() {
    let app = TestApp::spawn().await;
    let err = import_areas(
        &app.db,
        "code,level,name_th\n52010101,VILLAGE,x\n".as_bytes(),
    )
    .await
    .unwrap_err();
    match err {
        api::error::ApiError::BadUserInput { field, message } => {
            assert_eq!(field, "file");
            assert!(
                message.contains("parent_code") && message.contains("name_en"),
                "{message}"
            );
        }
        other => panic!("expected BAD_USER_INPUT, got {other:?}"),
    }
}
