use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use entity::audit_event;

use super::{
    service,
    types::{AuditAction, AuditEvent, AuditEventConnection},
};
use crate::{
    auth::policy,
    error::ApiError,
    graphql::{
        context::services,
        node,
        pagination::{Keyset, PageArgs},
    },
};

/// Filters for `auditEvents`.
#[derive(InputObject, Default)]
pub struct AuditEventFilter {
    /// Only events by this account.
    pub actor_id: Option<ID>,
    /// Only events on records of this type (e.g. `Account`).
    pub entity_type: Option<String>,
    /// Only events on this record (its global id).
    pub entity_id: Option<ID>,
    /// Only this action.
    pub action: Option<AuditAction>,
    /// Only events at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only events before this time.
    pub to: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The audit log, newest first (ADMIN).
    #[graphql(
        guard = "policy::ADMINS",
        complexity = "PageArgs::complexity(first, last, child_complexity)"
    )]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which events.")] filter: Option<AuditEventFilter>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<AuditEventConnection> {
        let args = PageArgs::new(first, after, last, before)?;
        let f = filter.unwrap_or_default();
        let actor_id = f
            .actor_id
            .as_ref()
            .map(|a| node::decode_uuid(a, "Account", "filter.actorId"))
            .transpose()?;
        let entity = match &f.entity_id {
            Some(id) => Some(
                node::decode(id)
                    .ok_or_else(|| ApiError::bad_input("filter.entityId", "not a valid id"))?,
            ),
            None => None,
        };
        let select = service::list(service::AuditListFilter {
            actor_id,
            entity_type: f.entity_type,
            entity,
            action: f.action.map(Into::into),
            from: f.from,
            to: f.to,
        });
        Ok(AuditEventConnection::of_select(
            &services(ctx).db,
            select,
            Keyset::uuid(audit_event::Column::Id).descending(),
            &args,
            AuditEvent,
            |e| e.0.id.to_string(),
        )
        .await?)
    }
}
