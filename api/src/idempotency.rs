//! Idempotent writes: a mobile client that retries a write with the same `clientUuid` gets the
//! first result back; the same key with a different payload is `CONFLICT`. Keys are kept in
//! the database (per account) so a retry that lands on another replica is recognised too.
use chrono::Utc;
use entity::idempotency_key;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// One retried write: who, which key, which operation, and a hash of its input.
#[derive(Debug, Clone)]
pub struct IdemKey {
    pub account_id: Uuid,
    pub client_uuid: Uuid,
    pub operation: &'static str,
    pub request_hash: String,
}

impl IdemKey {
    /// `None` when the client sent no key (or the caller is not an account).
    pub fn new(
        account_id: Option<Uuid>,
        client_uuid: Option<Uuid>,
        operation: &'static str,
        input: &impl Serialize,
    ) -> Option<Self> {
        Some(Self {
            account_id: account_id?,
            client_uuid: client_uuid?,
            operation,
            request_hash: hash_input(input),
        })
    }
}

impl IdemKey {
    /// Includes the client's capture time in the request hash: a retry sends the same
    /// `capturedAt` as the first attempt and replays; the same key with another `capturedAt` is
    /// another capture, so CONFLICT. Without one, the hash is what it was before `capturedAt`
    /// existed (keys stored by older clients still replay).
    pub fn captured(mut self, at: Option<chrono::DateTime<Utc>>) -> Self {
        if let Some(at) = at {
            self.request_hash = hash_input(&(self.request_hash.as_str(), at.timestamp_micros()));
        }
        self
    }
}

/// [`IdemKey::captured`] on an optional key.
pub fn with_capture(key: Option<IdemKey>, at: Option<chrono::DateTime<Utc>>) -> Option<IdemKey> {
    key.map(|k| k.captured(at))
}

pub fn hash_input(input: &impl Serialize) -> String {
    let json = serde_json::to_vec(input).unwrap_or_default();
    Sha256::digest(json)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The id the first request with this key produced, if there was one; CONFLICT when the key
/// was used for a different request.
pub async fn replay(conn: &impl ConnectionTrait, key: &IdemKey) -> ApiResult<Option<String>> {
    let Some(row) = idempotency_key::Entity::find_by_id((key.account_id, key.client_uuid))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    if row.operation != key.operation || row.request_hash != key.request_hash {
        return Err(ApiError::Conflict(
            "this clientUuid was already used for a different request".into(),
        ));
    }
    Ok(Some(row.result_id))
}

/// Records the result of a write, inside the write's transaction.
pub async fn remember(
    conn: &impl ConnectionTrait,
    key: &IdemKey,
    result_id: &str,
) -> ApiResult<()> {
    idempotency_key::ActiveModel {
        account_id: Set(key.account_id),
        client_uuid: Set(key.client_uuid),
        operation: Set(key.operation.to_string()),
        request_hash: Set(key.request_hash.clone()),
        result_id: Set(result_id.to_string()),
        created_at: Set(Utc::now()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Ends a write: records its audit event and its idempotency key in the write's transaction,
/// commits, and returns the id of what was written (the value `run` hands back on a replay).
pub async fn commit(
    txn: sea_orm::DatabaseTransaction,
    entry: crate::audit::service::AuditEntry,
    key: Option<&IdemKey>,
    id: Uuid,
) -> ApiResult<String> {
    crate::audit::service::record(&txn, entry).await?;
    if let Some(key) = key {
        remember(&txn, key, &id.to_string()).await?;
    }
    txn.commit().await?;
    Ok(id.to_string())
}

/// Runs a keyed write: a replay returns the stored result id; otherwise `write` runs (it must
/// call `remember` in its transaction). If `write` loses a race with a concurrent retry of
/// the same key, the winner's result is returned.
pub async fn run<F, Fut>(
    conn: &impl ConnectionTrait,
    key: Option<&IdemKey>,
    write: F,
) -> ApiResult<String>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ApiResult<String>>,
{
    if let Some(key) = key
        && let Some(id) = replay(conn, key).await?
    {
        return Ok(id);
    }
    match write().await {
        Ok(id) => Ok(id),
        Err(err) => match key {
            Some(key) => match replay(conn, key).await? {
                Some(id) => Ok(id),
                None => Err(err),
            },
            None => Err(err),
        },
    }
}
