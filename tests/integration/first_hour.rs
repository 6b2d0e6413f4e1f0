//! The first hour of a new user: the `seed-demo` story seen through each demo account as the
//! README's five-minute tour shows it, the `GET /` page, and the household import's exit.
use actix_web::test::TestRequest;
use api::{
    cli::import_households_file,
    demo::{DemoOptions, seed_demo},
    rollup,
};
use serde_json::json;

use crate::helpers::TestApp;

const PASSWORD: &str = api::config::DEFAULT_DEMO_PASSWORD;

fn statuses(nodes: &serde_json::Value) -> Vec<String> {
    let mut s: Vec<String> = nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["status"].as_str().unwrap().to_string())
        .collect();
    s.sort();
    s.dedup();
    s
}

#[actix_web::test]
async fn the_demo_story_shows_each_demo_account_what_the_tour_promises() {
    let app = TestApp::spawn().await;
    let services = &app.state.services;
    let summary = seed_demo(
        &app.db,
        &services.pii,
        &services.settings,
        DemoOptions {
            force: false,
            households: 490,
        },
    )
    .await
    .unwrap();
    let story = summary.story.expect("the story was told");
    assert_eq!((story.technologies, story.services), (3, 2));
    assert_eq!(story.referrals_refused_for_consent, 1);
    assert_eq!(story.relapses, 1);
    // The rollups stayed right: every write went through the domain services.
    assert!(rollup::check(&app.db).await.unwrap().is_empty());

    // Coordinator (Lampang): households, the matching run's matches at every status, cases
    // with their referrals, a household at risk of relapse.
    let (coordinator, _) = app.login("demo-coordinator-52", PASSWORD).await;
    let res = app
        .gql(
            Some(&coordinator),
            r#"{ households(filter: {areaCode: "52", status: [ENROLLED]}, first: 2) { totalCount }
                 matches(filter: {areaCode: "52"}, first: 20) { totalCount nodes { status technology { name } } }
                 cases(first: 5) { totalCount nodes { priority referrals(first: 5) { nodes { status } } } }
                 atRisk: households(filter: {graduation: AT_RISK}) { totalCount } }"#,
            json!({}),
        )
        .await;
    assert!(res.data("/households/totalCount").as_u64().unwrap() > 0);
    assert_eq!(
        statuses(res.data("/matches/nodes")),
        [
            "ACCEPTED",
            "ADOPTED",
            "DECLINED",
            "DROPPED",
            "IN_TRAINING",
            "OFFERED",
            "SUGGESTED",
            "SUSTAINED"
        ]
    );
    assert_eq!(res.data("/cases/totalCount"), 4);
    let referrals: Vec<String> = res
        .data("/cases/nodes")
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| statuses(&c["referrals"]["nodes"]))
        .collect();
    assert_eq!(referrals, ["PENDING", "ACCEPTED", "DONE"]);
    assert_eq!(res.data("/atRisk/totalCount"), 1);

    // Agency integrator: who am I, the referral inbox, the matches of our technologies.
    let (agency, _) = app.login("demo-agency", PASSWORD).await;
    let res = app
        .gql(
            Some(&agency),
            r#"{ me { role agency { name } }
                 referrals(filter: {direction: INBOX}) { totalCount nodes { status household { id } } }
                 matches { totalCount }
                 technologies { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(res.data("/me/role"), "AGENCY");
    assert_eq!(res.data("/referrals/totalCount"), 3);
    for r in res.data("/referrals/nodes").as_array().unwrap() {
        assert!(r["household"]["id"].is_string(), "consented: visible");
    }
    assert!(res.data("/matches/totalCount").as_u64().unwrap() > 0);
    assert_eq!(res.data("/technologies/totalCount"), 3);

    // Mobile developer (surveyor, Lampang): households and visits to sync.
    let (surveyor, _) = app.login("demo-surveyor-52", PASSWORD).await;
    let res = app
        .gql(
            Some(&surveyor),
            r#"{ households(first: 5) { totalCount }
                 visits(first: 5) { totalCount nodes { status } } }"#,
            json!({}),
        )
        .await;
    assert!(res.data("/households/totalCount").as_u64().unwrap() > 0);
    assert_eq!(res.data("/visits/totalCount"), 3);
    assert_eq!(
        statuses(res.data("/visits/nodes")),
        ["COMPLETED", "SCHEDULED"]
    );

    // Analyst: the Lampang dashboard.
    let (analyst, _) = app.login("demo-analyst", PASSWORD).await;
    let res = app
        .gql(
            Some(&analyst),
            r#"{ dashboard(areaCode: "52", from: "2025-01-01", to: "2030-12-31") {
                   area { households { total { value } } matches { total { value } } } } }"#,
            json!({}),
        )
        .await;
    assert!(
        res.data("/dashboard/area/households/total/value")
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(res.data("/dashboard/area/matches/total/value"), 12);

    // Yala's coordinator and the admin see theirs too.
    let (yala, _) = app.login("demo-coordinator-95", PASSWORD).await;
    let res = app
        .gql(Some(&yala), "{ households { totalCount } }", json!({}))
        .await;
    assert!(res.data("/households/totalCount").as_u64().unwrap() > 0);
    let (admin, _) = app.login("demo-admin", PASSWORD).await;
    let res = app
        .gql(
            Some(&admin),
            "{ households { totalCount } services { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(res.data("/households/totalCount"), 490);
    assert_eq!(res.data("/services/totalCount"), 2);

    // Seeding again (forced) tells the story only once.
    let again = seed_demo(
        &app.db,
        &services.pii,
        &services.settings,
        DemoOptions {
            force: true,
            households: 490,
        },
    )
    .await
    .unwrap();
    assert!(again.story.is_none());
    assert!(rollup::check(&app.db).await.unwrap().is_empty());
}

#[actix_web::test]
async fn the_home_page_says_what_the_service_is_and_links_graphiql_and_the_schema() {
    let app = TestApp::spawn().await;
    let (status, headers, body) = app.call(TestRequest::get().uri("/")).await;
    assert_eq!(status, 200);
    let body = std::str::from_utf8(&body).unwrap();
    assert!(body.contains("PPAOS API"));
    assert!(body.contains(env!("CARGO_PKG_VERSION")));
    assert!(body.contains("href=\"/graphiql\""));
    assert!(body.contains("href=\"/schema.graphql\""));
    assert!(
        headers
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
    assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
    // Without GraphiQL or a published schema, no link to them.
    let page = api::home::page(false, false);
    assert!(!page.contains("/graphiql") && !page.contains("/schema.graphql"));
}

#[actix_web::test]
async fn a_household_import_with_unknown_villages_fails_with_a_hint_to_import_areas() {
    let app = TestApp::spawn().await;
    let dir = std::env::temp_dir().join(format!("ppaos-first-hour-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("households.csv");
    std::fs::write(
        &file,
        "household_external_scheme,household_external_id,village_code,house_number,address,lat,\
         lng,source,household_size,member_role,given_name,family_name,sex,birth_date,phone,\
         id_type,national_id,education,occupation,disability,chronic_illness\n\
         TPMAP,1,52010199,1,,,,TPMAP,1,HEAD,สมชาย,ใจดี,MALE,1970-01-01,,,,,,,\n",
    )
    .unwrap();
    let res = import_households_file(&app.db, &app.state.services.pii, &file, None, false).await;
    let err = res.expect_err("a file with rejected rows fails");
    assert!(
        err.to_string()
            .contains("1 of 1 households were not imported"),
        "{err}"
    );
    assert!(api::cli::missing_villages_hint(1).contains("api import areas"));
    std::fs::remove_dir_all(&dir).ok();
}

#[actix_web::test]
async fn a_strict_household_import_rolls_back_the_whole_file_on_any_rejection() {
    let app = TestApp::spawn().await;
    api::area::service::import_areas(
        &app.db,
        "code,level,parent_code,name_th,name_en,postal_code,lat,lng,region\n\
         52010101,VILLAGE,520101,บ้านเวียงเหนือ,Ban Wiang Nuea,,,,\n"
            .as_bytes(),
    )
    .await
    .unwrap();
    let dir = std::env::temp_dir().join(format!("ppaos-first-hour-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("households.csv");
    let header = "household_external_scheme,household_external_id,village_code,house_number,\
                  address,lat,lng,source,household_size,member_role,given_name,family_name,sex,\
                  birth_date,phone,id_type,national_id,education,occupation,disability,\
                  chronic_illness\n";
    let good = "TPMAP,1,52010101,1,,,,TPMAP,1,HEAD,สมชาย,ใจดี,MALE,1970-01-01,,,,,,,\n";
    let bad = "TPMAP,2,52010199,2,,,,TPMAP,1,HEAD,สมศรี,ใจดี,FEMALE,1972-01-01,,,,,,,\n";
    std::fs::write(&file, format!("{header}{good}{bad}")).unwrap();
    let pii = &app.state.services.pii;
    let count = || async {
        use sea_orm::{EntityTrait, PaginatorTrait};
        entity::household::Entity::find()
            .count(&app.db)
            .await
            .unwrap()
    };

    let err = import_households_file(&app.db, pii, &file, None, true)
        .await
        .expect_err("strict with a rejected row fails");
    assert!(err.to_string().contains("rolled back"), "{err}");
    assert_eq!(count().await, 0, "nothing imported");

    // Without --strict the good household is kept (and the command still fails).
    import_households_file(&app.db, pii, &file, None, false)
        .await
        .expect_err("a rejected row fails the command");
    assert_eq!(count().await, 1);

    // A clean file passes with --strict.
    let clean = dir.join("clean.csv");
    std::fs::write(&clean, format!("{header}{good}")).unwrap();
    import_households_file(&app.db, pii, &clean, None, true)
        .await
        .unwrap();
    assert_eq!(count().await, 1);
    std::fs::remove_dir_all(&dir).ok();
}
