use async_graphql::{Context, Enum, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::audit_event;

use crate::{
    account::{loader::AccountId, types::Account},
    connection,
    graphql::{context::loader, node},
};

/// What an audit event records.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::AuditAction")]
pub enum AuditAction {
    /// A full national ID (or other protected personal data) was revealed.
    ReadPii,
    /// A search over personal data.
    Search,
    /// A record was created.
    Create,
    /// A record was changed.
    Update,
    /// A record moved in its lifecycle.
    Transition,
    /// Data was exported.
    Export,
    /// A successful sign-in.
    Login,
    /// A failed sign-in.
    LoginFailed,
    /// A sign-out.
    Logout,
    /// A referral went ahead without consent, with a recorded reason.
    ConsentOverride,
    /// An emergency read outside the normal scope.
    BreakGlass,
}

/// One entry of the audit log.
pub struct AuditEvent(pub audit_event::Model);

/// One entry of the append-only audit log: who did what to which record, and when.
#[Object]
impl AuditEvent {
    /// Global id.
    pub async fn id(&self) -> ID {
        node::encode("AuditEvent", self.0.id)
    }

    /// When it happened (server time).
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }

    /// When the client captured the write on the device (`capturedAt` of the input), by the
    /// client's clock, not trusted for ordering: use `occurredAt` for that. Null when the
    /// client sent none.
    async fn captured_at(&self) -> Option<DateTime<Utc>> {
        self.0.captured_at
    }

    /// The account that acted (null for the system, or a failed sign-in to an unknown login).
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<Account>> {
        let Some(id) = self.0.actor_id else {
            return Ok(None);
        };
        Ok(loader(ctx).load_one(AccountId(id)).await?.map(Account))
    }

    /// Login of the actor as it was at the time (`system:…` for commands run on the server).
    async fn actor_login(&self) -> Option<&str> {
        self.0.actor_login.as_deref()
    }

    /// What was done.
    async fn action(&self) -> AuditAction {
        self.0.action.into()
    }

    /// Type of the record acted on (e.g. `Account`).
    async fn entity_type(&self) -> Option<&str> {
        self.0.entity_type.as_deref()
    }

    /// Global id of the record acted on.
    async fn entity_id(&self) -> Option<ID> {
        match (&self.0.entity_type, &self.0.entity_id) {
            (Some(t), Some(id)) => Some(node::encode(t, id)),
            _ => None,
        }
    }

    /// Names of the fields a write changed (values are not kept: they may be personal data).
    async fn changed_fields(&self) -> &[String] {
        &self.0.changed_fields.0
    }

    /// Why, when the actor gave a reason.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    /// Id of the HTTP request, to match server logs.
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
}

connection!(
    AuditEventConnection,
    AuditEventEdge,
    AuditEvent,
    "audit events"
);

crate::by_id_loader!(
    AuditEventId,
    audit_event,
    crate::audit::service::visible_audit_events
);
crate::node_by_loader!(
    AuditEvent,
    "AuditEvent",
    AuditEventId,
    AuditEvent,
    crate::auth::policy::ADMINS
);
