use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use entity::audit_event;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::types::{AuditAction, AuditEvent, AuditEventConnection};
use crate::{
    auth::policy,
    error::ApiError,
    graphql::{
        context::services,
        node,
        pagination::{Keyset, PageArgs, TotalCount, fetch_page},
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
        let mut select = audit_event::Entity::find();
        if let Some(actor) = &f.actor_id {
            let actor = node::decode_uuid(actor, "Account", "filter.actorId")?;
            select = select.filter(audit_event::Column::ActorId.eq(actor));
        }
        if let Some(t) = &f.entity_type {
            select = select.filter(audit_event::Column::EntityType.eq(t.as_str()));
        }
        if let Some(id) = &f.entity_id {
            let (t, key) = node::decode(id)
                .ok_or_else(|| ApiError::bad_input("filter.entityId", "not a valid id"))?;
            select = select
                .filter(audit_event::Column::EntityType.eq(t))
                .filter(audit_event::Column::EntityId.eq(key));
        }
        if let Some(action) = f.action {
            select = select
                .filter(audit_event::Column::Action.eq(entity::enums::AuditAction::from(action)));
        }
        if let Some(from) = f.from {
            select = select.filter(audit_event::Column::OccurredAt.gte(from));
        }
        if let Some(to) = f.to {
            select = select.filter(audit_event::Column::OccurredAt.lt(to));
        }
        let db = &services(ctx).db;
        let page = fetch_page(
            db,
            select.clone(),
            Keyset::uuid(audit_event::Column::Id).descending(),
            &args,
        )
        .await?;
        Ok(AuditEventConnection::from_page(
            page.map(AuditEvent),
            |e| e.0.id.to_string(),
            TotalCount::of_select(db, select),
        ))
    }
}
