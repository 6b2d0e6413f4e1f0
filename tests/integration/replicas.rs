//! Two replicas of the service on one database: what one does, the other honours. Each test
//! starts two servers (`TestApp::replica`) with their own pools and in-process state.
use entity::enums::Role;
use serde_json::json;

use crate::helpers::TestApp;

const ME: &str = "{ me { id login } }";

#[actix_web::test]
async fn a_logout_on_one_replica_ends_the_session_on_the_other() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let user = a.client(Role::Surveyor).await;
    // The session is known to both before the logout (and may be remembered by either).
    assert_eq!(b.gql(Some(&user.token), ME, json!({})).await.status, 200);

    let res = a
        .gql(
            Some(&user.token),
            "mutation { logout { revokedSessions } }",
            json!({}),
        )
        .await;
    assert_eq!(res.data("/logout/revokedSessions"), 1);

    let on_b = b.gql(Some(&user.token), ME, json!({})).await;
    assert_eq!(on_b.status, 401, "body: {}", on_b.body);
    on_b.assert_error("UNAUTHENTICATED", None);
}
