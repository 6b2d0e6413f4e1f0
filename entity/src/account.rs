use sea_orm::entity::prelude::*;

use crate::enums::{Role, StringList};

/// A person who signs in to the service.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub login: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    /// DOPA code prefixes this account may work in (empty for ADMIN and AGENCY).
    pub area_scopes: StringList,
    pub agency_id: Option<Uuid>,
    pub active: bool,
    pub version: i32,
    pub password_changed_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::agency::Entity",
        from = "Column::AgencyId",
        to = "super::agency::Column::Id"
    )]
    Agency,
    #[sea_orm(has_many = "super::auth_session::Entity")]
    AuthSession,
}

impl Related<super::agency::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Agency.def()
    }
}

impl Related<super::auth_session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AuthSession.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
