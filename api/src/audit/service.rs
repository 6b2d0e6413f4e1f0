//! Writing and reading the append-only audit log.
use chrono::DateTime;
use chrono::Utc;
use entity::{audit_event, enums::AuditAction, enums::StringList};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Select,
    Set,
};
use uuid::Uuid;

use crate::{auth::AccountViewer, error::ApiResult};

/// Who did something: an account in a request, or the system (a CLI command, an import).
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<Uuid>,
    pub login: String,
    pub request_id: Option<String>,
    /// When the client captured the write on the device (`capturedAt`, its clock).
    pub captured_at: Option<DateTime<Utc>>,
}

impl Actor {
    pub fn account(viewer: &AccountViewer, request_id: &str) -> Self {
        Self {
            id: Some(viewer.id),
            login: viewer.login.clone(),
            request_id: Some(request_id.to_string()),
            captured_at: None,
        }
    }

    /// The same actor for a write the client captured at `at` (its clock): BAD_USER_INPUT on
    /// `capturedAt` when `at` is implausible (`crate::capture`). Every audit event of the write
    /// keeps it next to the server's time.
    pub fn captured(mut self, at: Option<DateTime<Utc>>) -> ApiResult<Self> {
        self.captured_at = crate::capture::check(at)?;
        Ok(self)
    }

    /// A command run on the server itself (`api account create`, `api import …`).
    pub fn system(what: &str) -> Self {
        Self {
            id: None,
            login: format!("system:{what}"),
            request_id: None,
            captured_at: None,
        }
    }
}

/// One event to record. Field names only, never values: values may be personal data.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub actor_id: Option<Uuid>,
    pub actor_login: Option<String>,
    pub action: AuditAction,
    pub entity_type: Option<&'static str>,
    pub entity_id: Option<String>,
    pub changed_fields: Vec<String>,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    /// The client's capture time of the write (its clock), if it sent one.
    pub captured_at: Option<DateTime<Utc>>,
}

impl AuditEntry {
    /// An event done by `actor`.
    pub fn by(actor: &Actor, action: AuditAction) -> Self {
        Self {
            actor_id: actor.id,
            actor_login: Some(actor.login.clone()),
            action,
            entity_type: None,
            entity_id: None,
            changed_fields: Vec::new(),
            reason: None,
            request_id: actor.request_id.clone(),
            captured_at: actor.captured_at,
        }
    }

    pub fn entity(mut self, entity_type: &'static str, id: impl ToString) -> Self {
        self.entity_type = Some(entity_type);
        self.entity_id = Some(id.to_string());
        self
    }

    pub fn fields<I, S>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.changed_fields = fields.into_iter().map(Into::into).collect();
        self
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

/// Records an event on `conn` — pass the write's transaction, so the event and the change it
/// describes commit or roll back together.
pub async fn record(conn: &impl ConnectionTrait, entry: AuditEntry) -> ApiResult<()> {
    entry.into_row(Utc::now()).insert(conn).await?;
    Ok(())
}

impl AuditEntry {
    /// The row [`record`] writes, for writers that insert many events in one statement.
    pub fn into_row(self, occurred_at: chrono::DateTime<Utc>) -> audit_event::ActiveModel {
        audit_event::ActiveModel {
            id: Set(Uuid::now_v7()),
            occurred_at: Set(occurred_at),
            actor_id: Set(self.actor_id),
            actor_login: Set(self.actor_login),
            action: Set(self.action),
            entity_type: Set(self.entity_type.map(str::to_string)),
            entity_id: Set(self.entity_id),
            changed_fields: Set(StringList(self.changed_fields)),
            reason: Set(self.reason),
            request_id: Set(self.request_id),
            captured_at: Set(self.captured_at),
        }
    }
}

/// Audit events: the whole log for ADMIN (the only role admitted), nothing for anyone else.
pub fn visible_audit_events(scope: &crate::auth::Scope) -> Select<audit_event::Entity> {
    let condition = match scope {
        crate::auth::Scope::All => Condition::all(),
        _ => crate::auth::scope::nothing(),
    };
    audit_event::Entity::find().filter(condition)
}

/// Which events `auditEvents` lists.
#[derive(Debug, Default)]
pub struct AuditListFilter {
    pub actor_id: Option<Uuid>,
    pub entity_type: Option<String>,
    /// (record type, record key) of one record.
    pub entity: Option<(String, String)>,
    pub action: Option<AuditAction>,
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
}

/// The events a filter selects (unordered, unpaged).
pub fn list(f: AuditListFilter) -> Select<audit_event::Entity> {
    let mut select = audit_event::Entity::find();
    if let Some(actor) = f.actor_id {
        select = select.filter(audit_event::Column::ActorId.eq(actor));
    }
    if let Some(t) = &f.entity_type {
        select = select.filter(audit_event::Column::EntityType.eq(t.as_str()));
    }
    if let Some((t, key)) = f.entity {
        select = select
            .filter(audit_event::Column::EntityType.eq(t))
            .filter(audit_event::Column::EntityId.eq(key));
    }
    if let Some(action) = f.action {
        select = select.filter(audit_event::Column::Action.eq(action));
    }
    if let Some(from) = f.from {
        select = select.filter(audit_event::Column::OccurredAt.gte(from));
    }
    if let Some(to) = f.to {
        select = select.filter(audit_event::Column::OccurredAt.lt(to));
    }
    select
}
