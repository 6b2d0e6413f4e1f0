use sea_orm::entity::prelude::*;

use crate::enums::{AuditAction, StringList};

/// One append-only audit record.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub occurred_at: DateTimeUtc,
    pub actor_id: Option<Uuid>,
    pub actor_login: Option<String>,
    pub action: AuditAction,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// Names of the fields a write changed (never their values: they may be personal data).
    pub changed_fields: StringList,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    /// When the client captured the write on the device, by its clock (not trusted for
    /// ordering); null when it sent none.
    pub captured_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
