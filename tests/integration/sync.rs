//! Delta sync (`changes`): a client that syncs in pages ends with exactly the server's state
//! in its scope, also when transactions commit out of order; scope changes give tombstones;
//! a page costs the same statements at 1 and 50 changes.
use std::collections::BTreeMap;

use entity::{enums::Role, household};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait,
    QueryFilter, Set, TransactionTrait,
};
use serde_json::{Value, json};

use crate::helpers::{
    Client, TestApp,
    builders::HouseholdBuilder,
    casework::uuid_of,
    fixtures::{LAMPANG_VILLAGE, YALA_VILLAGE, seed_villages},
};

const CHANGES: &str = "query($s: String, $n: Int, $t: [ChangeType!]) { changes(since: $s, first: $n, types: $t) {
  cursor hasMore changes { type id tombstone mergedIntoId node { id ... on Household { houseNumber villageCode } } } } }";

/// A client's copy: global id → house number.
#[derive(Default)]
struct Mirror {
    cursor: Option<String>,
    households: BTreeMap<String, Value>,
    requests: usize,
}

impl Mirror {
    /// Pulls pages of `n` until the server says there is no more; returns the changes seen.
    async fn sync(&mut self, app: &TestApp, client: &Client, n: i64) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let res = app
                .gql(
                    Some(&client.token),
                    CHANGES,
                    json!({ "s": self.cursor, "n": n, "t": ["HOUSEHOLD"] }),
                )
                .await;
            self.requests += 1;
            let page = res.data("/changes").clone();
            for change in page["changes"].as_array().unwrap() {
                let id = change["id"].as_str().unwrap().to_string();
                if change["tombstone"].is_null() {
                    self.households
                        .insert(id, change["node"]["houseNumber"].clone());
                } else {
                    self.households.remove(&id);
                }
                seen.push(change.clone());
            }
            self.cursor = Some(page["cursor"].as_str().unwrap().to_string());
            if page["hasMore"] == false {
                return seen;
            }
        }
    }

    /// Syncs until the copy equals a full read. On PostgreSQL a change is handed out once
    /// every older transaction of the server has finished (any database's), which other tests
    /// running at the same time may delay a moment: poll with a deadline.
    async fn settle(&mut self, app: &TestApp, client: &Client, n: i64) -> Vec<Value> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let mut seen = Vec::new();
        loop {
            seen.extend(self.sync(app, client, n).await);
            if self.households == full_read(app, client).await {
                return seen;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the synced copy never matched the server: {:?}",
                self.households
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

/// `changes` of `types` after `since` until at least one comes (deadline, as in `settle`).
async fn next_changes(app: &TestApp, client: &Client, since: &Value, types: Value) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut since = since.clone();
    loop {
        let res = app
            .gql(
                Some(&client.token),
                CHANGES,
                json!({ "s": since, "n": 100, "t": types }),
            )
            .await;
        let page = res.data("/changes").clone();
        if !page["changes"].as_array().unwrap().is_empty() {
            return page;
        }
        assert!(std::time::Instant::now() < deadline, "no change came");
        since = page["cursor"].clone();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// What a full read shows the client: every household in its scope with its house number.
async fn full_read(app: &TestApp, client: &Client) -> BTreeMap<String, Value> {
    let res = app
        .gql(
            Some(&client.token),
            "{ households(first: 100) { nodes { id houseNumber } } }",
            json!({}),
        )
        .await;
    res.data("/households/nodes")
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["id"].as_str().unwrap().to_string(),
                h["houseNumber"].clone(),
            )
        })
        .collect()
}

async fn set_house_number(db: &impl ConnectionTrait, id: &Value, number: &str) {
    household::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(uuid_of(id)),
        house_number: Set(Some(number.to_string())),
        ..Default::default()
    }
    .update(db)
    .await
    .unwrap();
}

fn ids_of(changes: &[Value]) -> Vec<&str> {
    changes.iter().map(|c| c["id"].as_str().unwrap()).collect()
}

#[actix_web::test]
async fn a_client_syncing_in_pages_ends_with_the_servers_state_even_when_commits_are_out_of_order()
{
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let coordinator = app.client(Role::Coordinator).await; // scoped to 52
    let mut ours = Vec::new();
    for seed in 0..5 {
        ours.push(
            HouseholdBuilder::new(seed)
                .create(&app, &coordinator.token)
                .await
                .id,
        );
    }
    let admin = app.client(Role::Admin).await;
    let theirs = HouseholdBuilder::new(50)
        .village(YALA_VILLAGE)
        .create(&app, &admin.token)
        .await
        .id;

    let mut mirror = Mirror::default();
    mirror.settle(&app, &coordinator, 2).await;
    assert!(mirror.requests >= 3, "5 households in pages of 2");
    assert_eq!(mirror.households, full_read(&app, &coordinator).await);
    assert_eq!(mirror.households.len(), 5);
    assert!(!mirror.households.contains_key(theirs.as_str().unwrap()));

    if app.db.get_database_backend() == DatabaseBackend::Postgres {
        // Two writers: A starts first and commits last.
        let a = app.db.begin().await.unwrap();
        set_house_number(&a, &ours[0], "A-1").await;
        let b = app.db.begin().await.unwrap();
        set_house_number(&b, &ours[1], "B-1").await;
        b.commit().await.unwrap();
        // B is committed, but A (an older transaction) is still running: nothing after A's
        // position is handed out yet, so B cannot be skipped when A commits.
        let early = mirror.sync(&app, &coordinator, 2).await;
        assert!(
            !ids_of(&early).contains(&ours[1].as_str().unwrap()),
            "a change above a running transaction was handed out: {early:?}"
        );
        a.commit().await.unwrap();
    } else {
        // SQLite has one writer at a time: commit order is log order.
        set_house_number(&app.db, &ours[0], "A-1").await;
        set_house_number(&app.db, &ours[1], "B-1").await;
    }
    mirror.settle(&app, &coordinator, 2).await;
    assert_eq!(mirror.households[ours[0].as_str().unwrap()], "A-1");
    assert_eq!(mirror.households[ours[1].as_str().unwrap()], "B-1");
}

#[actix_web::test]
async fn a_household_moved_out_of_my_area_comes_back_as_a_tombstone_and_another_scope_must_resync()
{
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let coordinator = app.client(Role::Coordinator).await;
    let id = HouseholdBuilder::new(1)
        .create(&app, &coordinator.token)
        .await
        .id;
    let mut mirror = Mirror::default();
    mirror.settle(&app, &coordinator, 10).await;
    assert!(mirror.households.contains_key(id.as_str().unwrap()));

    // Any write path is logged (here a direct update): the household leaves the area.
    household::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(uuid_of(&id)),
        village_code: Set(YALA_VILLAGE.to_string()),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    let seen = mirror.settle(&app, &coordinator, 10).await;
    let last = seen
        .iter()
        .rfind(|c| c["id"] == id)
        .expect("the moved household is in the changes");
    assert_eq!(last["tombstone"], "OUT_OF_SCOPE");
    assert_eq!(last["node"], Value::Null);
    assert!(mirror.households.is_empty());

    // Back in the area: it comes back with its state.
    household::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(uuid_of(&id)),
        village_code: Set(LAMPANG_VILLAGE.to_string()),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    mirror.settle(&app, &coordinator, 10).await;
    assert_eq!(mirror.households.len(), 1);

    // A cursor is valid for the scope it was issued under: another scope resyncs from null.
    let admin = app.client(Role::Admin).await;
    let res = app
        .gql(
            Some(&admin.token),
            CHANGES,
            json!({ "s": mirror.cursor, "n": 10, "t": ["HOUSEHOLD"] }),
        )
        .await;
    res.assert_error("BAD_USER_INPUT", Some("since"));
    // So are other types.
    let res = app
        .gql(
            Some(&coordinator.token),
            CHANGES,
            json!({ "s": mirror.cursor, "n": 10, "t": ["CASE"] }),
        )
        .await;
    res.assert_error("BAD_USER_INPUT", Some("since"));
    let res = app
        .gql(
            Some(&coordinator.token),
            CHANGES,
            json!({ "s": "nonsense", "n": 10 }),
        )
        .await;
    res.assert_error("BAD_USER_INPUT", Some("since"));
    let res = app
        .gql(Some(&coordinator.token), CHANGES, json!({ "n": 501 }))
        .await;
    res.assert_error("BAD_USER_INPUT", Some("first"));
}

#[actix_web::test]
async fn a_deleted_record_is_a_deleted_tombstone_and_a_record_changed_often_comes_once() {
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let coordinator = app.client(Role::Coordinator).await;
    let id = HouseholdBuilder::new(1)
        .create(&app, &coordinator.token)
        .await
        .id;
    let mut mirror = Mirror::default();
    mirror.settle(&app, &coordinator, 100).await;
    // Five updates in one transaction become visible together: the household comes once.
    let txn = app.db.begin().await.unwrap();
    for n in 0..5 {
        set_house_number(&txn, &id, &format!("{n}")).await;
    }
    txn.commit().await.unwrap();
    let seen = mirror.settle(&app, &coordinator, 100).await;
    assert_eq!(ids_of(&seen), vec![id.as_str().unwrap()]);
    assert_eq!(seen[0]["node"]["houseNumber"], "4");

    // A deleted row (memberships here) is a DELETED tombstone.
    let first = next_changes(&app, &coordinator, &Value::Null, json!(["MEMBERSHIP"])).await;
    let membership = first["changes"][0]["id"].clone();
    assert_eq!(first["changes"][0]["tombstone"], Value::Null);
    let cursor = first["cursor"].clone();
    entity::membership::Entity::delete_by_id(uuid_of(&membership))
        .exec(&app.db)
        .await
        .unwrap();
    let then = next_changes(&app, &coordinator, &cursor, json!(["MEMBERSHIP"])).await;
    assert_eq!(
        then["changes"],
        json!([{ "type": "MEMBERSHIP", "id": membership, "tombstone": "DELETED", "mergedIntoId": null, "node": null }])
    );
}

#[actix_web::test]
async fn a_changes_page_of_1_and_of_50_takes_the_same_statements() {
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let coordinator = app.client(Role::Coordinator).await;
    for seed in 0..55 {
        HouseholdBuilder::new(seed)
            .create(&app, &coordinator.token)
            .await;
    }
    Mirror::default().settle(&app, &coordinator, 100).await;
    let mut counts = Vec::new();
    for n in [1, 50] {
        app.reset_statements().await;
        let res = app
            .gql(
                Some(&coordinator.token),
                CHANGES,
                json!({ "n": n, "t": ["HOUSEHOLD"] }),
            )
            .await;
        assert_eq!(
            res.data("/changes/changes").as_array().unwrap().len(),
            n as usize
        );
        counts.push(app.statements());
    }
    assert_eq!(counts[0], counts[1], "statements at 1 and 50: {counts:?}");
}

#[actix_web::test]
async fn a_sync_page_costs_its_size_times_what_each_change_selects() {
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    // 500 changes × a household with 100 members each is far over the complexity budget.
    let res = app
        .gql(
            Some(&admin.token),
            "{ changes(first: 500) { cursor changes { id node { ... on Household {
                members(first: 100) { nodes { id person { id givenName } } } } } } } }",
            json!({}),
        )
        .await;
    assert!(res.body["data"].is_null(), "body: {}", res.body);
    assert_ne!(
        res.code(),
        Some("INTERNAL_SERVER_ERROR"),
        "body: {}",
        res.body
    );
    assert!(res.message().contains("complex"), "body: {}", res.body);
    // The same selection on a small page is within it.
    let res = app
        .gql(
            Some(&admin.token),
            "{ changes(first: 5) { cursor changes { id node { ... on Household {
                members(first: 10) { nodes { id } } } } } } }",
            json!({}),
        )
        .await;
    assert!(res.body["errors"].is_null(), "body: {}", res.body);
}

/// A partner agency's view of a household ends when its consent is withdrawn (a write) and
/// when it expires (no write at all): both come as OUT_OF_SCOPE tombstones at the next sync.
#[actix_web::test]
async fn a_withdrawn_or_expired_consent_gives_the_partner_agency_a_tombstone() {
    use crate::helpers::casework::casework;
    let w = casework().await;
    let app = &w.app;
    let withdrawn = w.household(1).await;
    let consent = w
        .consent(&withdrawn, &["REFERRAL"], &[w.agency.id], &[])
        .await;
    let case = w.open_case(&withdrawn).await;
    w.refer(&case, w.agency.id).await;
    let expiring = w.household(2).await;
    let short = w
        .consent(&expiring, &["REFERRAL"], &[w.agency.id], &[])
        .await;
    let case = w.open_case(&expiring).await;
    w.refer(&case, w.agency.id).await;
    // The consent ends in a few seconds (set now, so the write is logged before the sync).
    let ends = chrono::Utc::now() + chrono::Duration::seconds(3);
    entity::consent::Entity::update_many()
        .col_expr(
            entity::consent::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(ends),
        )
        .filter(entity::consent::Column::Id.eq(uuid_of(&short)))
        .exec(&app.db)
        .await
        .unwrap();

    let mut mirror = Mirror::default();
    mirror.settle(app, &w.staff, 100).await;
    assert!(mirror.households.contains_key(withdrawn.as_str().unwrap()));
    assert!(mirror.households.contains_key(expiring.as_str().unwrap()));

    w.withdraw_consent(&consent).await;
    let seen = mirror.settle(app, &w.staff, 100).await;
    let last = seen.iter().rfind(|c| c["id"] == withdrawn).unwrap();
    assert_eq!(last["tombstone"], "OUT_OF_SCOPE");
    assert!(mirror.households.contains_key(expiring.as_str().unwrap()));

    // Time passes; nothing is written.
    let logged = entity::change_log::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    let wait = (ends - chrono::Utc::now()).num_milliseconds().max(0) as u64 + 200;
    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
    let seen = mirror.settle(app, &w.staff, 100).await;
    assert_eq!(
        seen.iter()
            .filter(|c| c["id"] == expiring)
            .map(|c| c["tombstone"].clone())
            .collect::<Vec<_>>(),
        vec![json!("OUT_OF_SCOPE")]
    );
    assert!(mirror.households.is_empty(), "{:?}", mirror.households);
    assert_eq!(
        entity::change_log::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        logged,
        "the expiry was found without any write"
    );
    // The next sync does not repeat it.
    let again = mirror.sync(app, &w.staff, 100).await;
    assert!(again.iter().all(|c| c["id"] != expiring), "{again:?}");
}

/// What the pruning pass sees as "now" in these tests: past every retention.
fn after_retention() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::Duration::days(91)
}

#[actix_web::test]
async fn pruning_compacts_the_log_a_full_sync_still_sees_everything_and_a_cursor_behind_a_pruned_deletion_must_resync()
 {
    let app = TestApp::spawn().await;
    seed_villages(&app).await;
    let coordinator = app.client(Role::Coordinator).await;
    let kept = HouseholdBuilder::new(1)
        .create(&app, &coordinator.token)
        .await
        .id;
    HouseholdBuilder::new(2)
        .create(&app, &coordinator.token)
        .await;
    let before_delete = next_changes(&app, &coordinator, &Value::Null, json!(["MEMBERSHIP"])).await;
    let membership = before_delete["changes"][0]["id"].clone();
    for n in 0..3 {
        set_house_number(&app.db, &kept, &format!("{n}")).await;
    }
    entity::membership::Entity::delete_by_id(uuid_of(&membership))
        .exec(&app.db)
        .await
        .unwrap();
    let rows_of = |id: uuid::Uuid| {
        let db = app.db.clone();
        async move {
            entity::change_log::Entity::find()
                .filter(entity::change_log::Column::RecordId.eq(id))
                .count(&db)
                .await
                .unwrap()
        }
    };
    assert_eq!(rows_of(uuid_of(&kept)).await, 4);
    assert_eq!(rows_of(uuid_of(&membership)).await, 2);
    let ops = app.state.services.settings.ops.clone();

    // On PostgreSQL a mark covers the rows of transactions below the cluster's snapshot xmin:
    // wait (bounded) until other tests' open transactions no longer hold it below ours.
    if app.db.get_database_backend() == DatabaseBackend::Postgres {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let row = app
                .db
                .query_one_raw(sea_orm::Statement::from_string(
                    DatabaseBackend::Postgres,
                    "SELECT pg_snapshot_xmin(pg_current_snapshot()) > \
                     (SELECT max(xid) FROM change_log) AS past",
                ))
                .await
                .unwrap()
                .unwrap();
            if row.try_get::<bool>("", "past").unwrap() {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "xmin never passed the log"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    // The first pass only marks where the log is: nothing is old enough yet.
    let first = api::maintenance::prune(&app.db, &ops, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        (first.superseded_changes, first.deleted_record_changes),
        (0, 0)
    );
    // 91 days later, below that mark: the superseded rows and the deleted record go.
    let later = api::maintenance::prune(&app.db, &ops, after_retention())
        .await
        .unwrap();
    assert!(!later.skipped);
    // Three household rows and the membership's insert (superseded by its deletion) …
    assert_eq!(later.superseded_changes, 4, "{later:?}");
    // … and then the deletion itself.
    assert_eq!(later.deleted_record_changes, 1, "{later:?}");
    assert_eq!(rows_of(uuid_of(&kept)).await, 1);
    assert_eq!(rows_of(uuid_of(&membership)).await, 0);
    // Idempotent: a second pass finds nothing more.
    let again = api::maintenance::prune(&app.db, &ops, after_retention())
        .await
        .unwrap();
    assert_eq!(
        (again.superseded_changes, again.deleted_record_changes),
        (0, 0)
    );

    // A sync from null still ends with the server's state.
    let mut fresh = Mirror::default();
    fresh.settle(&app, &coordinator, 1).await;
    assert_eq!(fresh.households.len(), 2);
    assert_eq!(fresh.households[kept.as_str().unwrap()], "2");
    // A cursor issued before the deletion was pruned cannot continue: it would never learn
    // that the membership is gone.
    let res = app
        .gql(
            Some(&coordinator.token),
            CHANGES,
            json!({ "s": before_delete["cursor"], "n": 10, "t": ["MEMBERSHIP"] }),
        )
        .await;
    res.assert_error("BAD_USER_INPUT", Some("since"));
    assert!(
        res.message().contains("sync again from null"),
        "{}",
        res.message()
    );
    // A cursor issued after the pass continues as usual.
    set_house_number(&app.db, &kept, "after").await;
    let seen = fresh.settle(&app, &coordinator, 10).await;
    assert_eq!(ids_of(&seen), vec![kept.as_str().unwrap()]);
}

#[actix_web::test]
async fn pruning_drops_old_idempotency_keys_budget_windows_and_unused_persisted_queries_and_keeps_new_ones()
 {
    use entity::{account, idempotency_key, persisted_query, request_budget};
    let app = TestApp::spawn().await;
    let admin = app.client(Role::Admin).await;
    let _ = admin;
    let account = account::Entity::find().one(&app.db).await.unwrap().unwrap();
    let now = chrono::Utc::now();
    let at = after_retention();
    for (n, created) in [(1u128, now), (2, at - chrono::Duration::days(29))] {
        idempotency_key::ActiveModel {
            account_id: Set(account.id),
            client_uuid: Set(uuid::Uuid::from_u128(n)),
            operation: Set("registerHousehold".into()),
            request_hash: Set("h".into()),
            result_id: Set("r".into()),
            created_at: Set(created),
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    for (key, start) in [("old", now.timestamp()), ("current", at.timestamp())] {
        request_budget::ActiveModel {
            bucket_key: Set(key.into()),
            window_start: Set(start),
            used: Set(1),
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    for (hash, used) in [("a", now), ("b", at - chrono::Duration::days(1))] {
        persisted_query::ActiveModel {
            sha256_hash: Set(hash.repeat(64)),
            query: Set("{ __typename }".into()),
            created_at: Set(now),
            last_used_at: Set(Some(used)),
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let ops = app.state.services.settings.ops.clone();
    let pruned = api::maintenance::prune(&app.db, &ops, at).await.unwrap();
    assert_eq!(
        (
            pruned.idempotency_keys,
            pruned.request_budget_windows,
            pruned.persisted_queries
        ),
        (1, 1, 1),
        "{pruned:?}"
    );
    let keys: Vec<u128> = idempotency_key::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.client_uuid.as_u128())
        .collect();
    assert_eq!(keys, vec![2]);
    let buckets: Vec<String> = request_budget::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.bucket_key)
        .filter(|k| k == "old" || k == "current")
        .collect();
    assert_eq!(buckets, vec!["current".to_string()]);
    let texts: Vec<String> = persisted_query::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|q| q.sha256_hash)
        .collect();
    assert_eq!(texts, vec!["b".repeat(64)]);

    // In allow-list mode the stored texts are the allow-list: never pruned.
    let mut allowlist = ops.clone();
    allowlist.persisted_queries = api::ops::PersistedQueryMode::Allowlist;
    let pruned = api::maintenance::prune(&app.db, &allowlist, at + chrono::Duration::days(400))
        .await
        .unwrap();
    assert_eq!(pruned.persisted_queries, 0);

    // On PostgreSQL, a replica that finds another one pruning leaves the pass to it.
    if app.db.get_database_backend() == DatabaseBackend::Postgres {
        let other = app.db.begin().await.unwrap();
        other
            .execute_unprepared(&format!(
                "SELECT pg_advisory_xact_lock({})",
                api::maintenance::LOCK_KEY
            ))
            .await
            .unwrap();
        let pruned = api::maintenance::prune(&app.db, &ops, at).await.unwrap();
        assert!(pruned.skipped);
        other.rollback().await.unwrap();
    }
}
