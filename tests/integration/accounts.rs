use entity::{account, audit_event, enums::Role};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, builders::AgencyBuilder};

const CREATE: &str = "mutation($i: CreateAccountInput!) { createAccount(input: $i) { account { id login displayName role areaScopes active version agency { name } } } }";
const UPDATE: &str = "mutation($i: UpdateAccountInput!) { updateAccount(input: $i) { account { id displayName role areaScopes version } } }";

async fn counts(app: &TestApp) -> (u64, u64) {
    (
        account::Entity::find().count(&app.db).await.unwrap(),
        audit_event::Entity::find().count(&app.db).await.unwrap(),
    )
}

#[actix_web::test]
async fn an_admin_creates_a_coordinator_and_a_second_one_with_the_same_login_is_a_conflict() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    let input = json!({ "i": {
        "login": "Somchai.K", "displayName": "  Somchai   K ", "password": "long enough password 1",
        "role": "COORDINATOR", "areaScopes": ["52", "5201", "52"]
    }});
    let res = app.gql(Some(&admin.token), CREATE, input.clone()).await;
    assert_eq!(res.data("/createAccount/account/login"), "somchai.k");
    assert_eq!(res.data("/createAccount/account/displayName"), "Somchai K");
    assert_eq!(
        res.data("/createAccount/account/areaScopes"),
        &json!(["52", "5201"])
    );
    assert_eq!(res.data("/createAccount/account/version"), 1);

    let before = counts(&app).await;
    let again = app.gql(Some(&admin.token), CREATE, input).await;
    again.assert_error("CONFLICT", None);
    assert_eq!(counts(&app).await, before);

    // The new account can sign in with its password.
    app.login("somchai.k", "long enough password 1").await;
}

#[actix_web::test]
async fn bad_input_names_the_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    let base = json!({ "login": "newuser", "displayName": "New User", "password": "long enough password 1", "role": "SURVEYOR", "areaScopes": ["52"] });
    let with = |patch: serde_json::Value| {
        let mut v = base.clone();
        for (k, val) in patch.as_object().unwrap() {
            v[k] = val.clone();
        }
        json!({ "i": v })
    };
    let cases = [
        (with(json!({ "password": "short" })), "password"),
        (with(json!({ "password": "password1234" })), "password"),
        (
            with(json!({ "password": "my newuser password" })),
            "password",
        ),
        (with(json!({ "areaScopes": ["99"] })), "areaScopes"),
        (with(json!({ "areaScopes": ["5"] })), "areaScopes"),
        (with(json!({ "areaScopes": [] })), "areaScopes"),
        (with(json!({ "login": "x" })), "login"),
        (with(json!({ "login": "has space" })), "login"),
        (with(json!({ "displayName": "   " })), "displayName"),
        (
            with(json!({ "role": "AGENCY", "areaScopes": [] })),
            "agencyId",
        ),
        (
            with(
                json!({ "role": "AGENCY", "areaScopes": [], "agencyId": api::graphql::node::encode("Agency", uuid::Uuid::now_v7()) }),
            ),
            "agencyId",
        ),
        (with(json!({ "agencyId": "not-an-id" })), "agencyId"),
        (with(json!({ "role": "ADMIN" })), "areaScopes"),
    ];
    let before = counts(&app).await;
    for (input, field) in cases {
        let res = app.gql(Some(&admin.token), CREATE, input.clone()).await;
        res.assert_error("BAD_USER_INPUT", Some(field));
        assert!(!res.message().is_empty());
    }
    assert_eq!(
        counts(&app).await,
        before,
        "a failed request wrote something"
    );
}

#[actix_web::test]
async fn an_agency_account_acts_for_its_agency() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    let agency = AgencyBuilder::new("RMUT Lanna Lampang").create(&app).await;
    let res = app
        .gql(
            Some(&admin.token),
            CREATE,
            json!({ "i": { "login": "rmut-staff", "displayName": "RMUT staff", "password": "long enough password 1",
                "role": "AGENCY", "agencyId": api::graphql::node::encode("Agency", agency.id) } }),
        )
        .await;
    assert_eq!(
        res.data("/createAccount/account/agency/name"),
        "RMUT Lanna Lampang"
    );
    let (token, _) = app.login("rmut-staff", "long enough password 1").await;
    let me = app
        .gql(Some(&token), "{ me { role agency { name } } }", json!({}))
        .await;
    assert_eq!(me.data("/me/agency/name"), "RMUT Lanna Lampang");
}

#[actix_web::test]
async fn agency_staff_get_their_agency_in_the_login_and_refresh_payloads_as_in_me() {
    let app = TestApp::spawn().await;
    let agency = AgencyBuilder::new("RMUT Lanna Lampang").create(&app).await;
    let staff = crate::helpers::fixtures::AccountBuilder::new(Role::Agency)
        .agency(agency.id)
        .create(&app)
        .await;
    let fields = "accessToken refreshToken account { id login agency { id name } }";
    let login = app
        .gql(
            None,
            &format!("mutation($i: LoginInput!) {{ login(input: $i) {{ {fields} }} }}"),
            json!({ "i": { "login": staff.login, "password": PASSWORD } }),
        )
        .await;
    let token = login.data("/login/accessToken").as_str().unwrap();
    let me = app
        .gql(
            Some(token),
            "{ me { id login agency { id name } } }",
            json!({}),
        )
        .await;
    let expected = json!({ "id": api::graphql::node::encode("Agency", agency.id), "name": "RMUT Lanna Lampang" });
    assert_eq!(me.data("/me/agency"), &expected);
    assert_eq!(login.data("/login/account/agency"), &expected);

    let refreshed = app
        .gql(
            None,
            &format!(
                "mutation($i: RefreshTokenInput!) {{ refreshToken(input: $i) {{ {fields} }} }}"
            ),
            json!({ "i": { "refreshToken": login.data("/login/refreshToken") } }),
        )
        .await;
    assert_eq!(refreshed.data("/refreshToken/account/agency"), &expected);
    assert_eq!(
        refreshed.data("/refreshToken/account/id"),
        me.data("/me/id")
    );
}

#[actix_web::test]
async fn a_stale_version_is_a_conflict_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    let staff = app.client(Role::Surveyor).await;
    let ok = app
        .gql(
            Some(&admin.token),
            UPDATE,
            json!({ "i": { "id": staff.id(), "version": 1, "displayName": "First" } }),
        )
        .await;
    assert_eq!(ok.data("/updateAccount/account/version"), 2);
    let stale = app
        .gql(
            Some(&admin.token),
            UPDATE,
            json!({ "i": { "id": staff.id(), "version": 1, "displayName": "Second" } }),
        )
        .await;
    stale.assert_error("CONFLICT", None);
    let row = account::Entity::find_by_id(staff.account.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.display_name, "First");
}

#[actix_web::test]
async fn of_two_concurrent_updates_with_the_same_version_exactly_one_succeeds() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    let staff = app.client(Role::Surveyor).await;
    let a = app.gql(
        Some(&admin.token),
        UPDATE,
        json!({ "i": { "id": staff.id(), "version": 1, "displayName": "A" } }),
    );
    let b = app.gql(
        Some(&admin.token),
        UPDATE,
        json!({ "i": { "id": staff.id(), "version": 1, "displayName": "B" } }),
    );
    let (a, b) = futures::join!(a, b);
    let ok = [&a, &b]
        .iter()
        .filter(|r| r.body.get("errors").is_none())
        .count();
    let conflicts = [&a, &b]
        .iter()
        .filter(|r| r.code() == Some("CONFLICT"))
        .count();
    assert_eq!((ok, conflicts), (1, 1), "a: {} b: {}", a.body, b.body);
    let row = account::Entity::find_by_id(staff.account.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.version, 2);
}

#[actix_web::test]
async fn a_password_reset_lets_the_new_password_in_and_keeps_the_old_one_out() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    let staff = app.client(Role::Surveyor).await;
    let res = app
        .gql(
            Some(&admin.token),
            "mutation($i: ResetAccountPasswordInput!) { resetAccountPassword(input: $i) { account { version } } }",
            json!({ "i": { "id": staff.id(), "newPassword": "a brand new passphrase" } }),
        )
        .await;
    assert_eq!(res.data("/resetAccountPassword/account/version"), 2);
    assert_eq!(
        app.gql(Some(&staff.token), "{ me { id } }", json!({}))
            .await
            .status,
        401
    );
    app.gql(
        None,
        "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
        json!({ "i": { "login": staff.account.login, "password": PASSWORD } }),
    )
    .await
    .assert_error("UNAUTHENTICATED", None);
    app.login(&staff.account.login, "a brand new passphrase")
        .await;

    let weak = app
        .gql(
            Some(&admin.token),
            "mutation($i: ResetAccountPasswordInput!) { resetAccountPassword(input: $i) { account { version } } }",
            json!({ "i": { "id": staff.id(), "newPassword": "short" } }),
        )
        .await;
    weak.assert_error("BAD_USER_INPUT", Some("newPassword"));
}

#[actix_web::test]
async fn an_admin_cannot_deactivate_their_own_account() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    let res = app
        .gql(
            Some(&admin.token),
            "mutation($i: AccountIdInput!) { deactivateAccount(input: $i) { account { active } } }",
            json!({ "i": { "id": admin.id() } }),
        )
        .await;
    res.assert_error("BAD_USER_INPUT", Some("id"));
}

#[actix_web::test]
async fn accounts_can_be_filtered_by_role_and_searched() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    app.client(Role::Surveyor).await;
    app.client(Role::Surveyor).await;
    app.client(Role::Analyst).await;
    let res = app
        .gql(
            Some(&admin.token),
            "{ accounts(filter: { role: SURVEYOR }) { totalCount nodes { role } } }",
            json!({}),
        )
        .await;
    assert_eq!(res.data("/accounts/totalCount"), 2);
    assert!(
        res.data("/accounts/nodes")
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["role"] == "SURVEYOR"),
        "{}",
        res.body
    );
    let res = app
        .gql(
            Some(&admin.token),
            "{ accounts(filter: { search: \"ANALYST\" }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(res.data("/accounts/totalCount"), 1);
}

#[actix_web::test]
async fn a_coordinator_sees_their_area_scopes_in_me_but_not_the_account_list() {
    let app = TestApp::spawn().await;
    let yala = crate::helpers::fixtures::AccountBuilder::new(Role::Coordinator)
        .scopes(&["95", "5201"])
        .create(&app)
        .await;
    let client = app.client_for(&yala).await;
    let me = app
        .gql(Some(&client.token), "{ me { role areaScopes } }", json!({}))
        .await;
    assert_eq!(me.data("/me/areaScopes"), &json!(["5201", "95"]));
    app.gql(
        Some(&client.token),
        "{ accounts { totalCount } }",
        json!({}),
    )
    .await
    .assert_error("FORBIDDEN", None);
}
