//! Enums stored as strings, so that the same rows read the same on SQLite and PostgreSQL.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What an account may do; see DOMAIN.md "Roles and what they may see".
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    #[sea_orm(string_value = "COORDINATOR")]
    Coordinator,
    #[sea_orm(string_value = "SURVEYOR")]
    Surveyor,
    #[sea_orm(string_value = "AGENCY")]
    Agency,
    #[sea_orm(string_value = "ANALYST")]
    Analyst,
}

/// Level of a DOPA area code: 2, 4, 6 or 8 digits.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AreaLevel {
    #[sea_orm(string_value = "PROVINCE")]
    Province,
    #[sea_orm(string_value = "DISTRICT")]
    District,
    #[sea_orm(string_value = "SUBDISTRICT")]
    Subdistrict,
    #[sea_orm(string_value = "VILLAGE")]
    Village,
}

impl AreaLevel {
    /// The number of digits a code of this level has.
    pub fn code_len(self) -> usize {
        match self {
            AreaLevel::Province => 2,
            AreaLevel::District => 4,
            AreaLevel::Subdistrict => 6,
            AreaLevel::Village => 8,
        }
    }

    /// The level a code of `len` digits has, if any.
    pub fn from_code_len(len: usize) -> Option<Self> {
        match len {
            2 => Some(AreaLevel::Province),
            4 => Some(AreaLevel::District),
            6 => Some(AreaLevel::Subdistrict),
            8 => Some(AreaLevel::Village),
            _ => None,
        }
    }
}

/// Kind of partner agency.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum AgencyType {
    #[sea_orm(string_value = "CENTRAL_GOV")]
    CentralGov,
    #[sea_orm(string_value = "PROVINCIAL_GOV")]
    ProvincialGov,
    #[sea_orm(string_value = "LOCAL_GOV")]
    LocalGov,
    #[sea_orm(string_value = "UNIVERSITY")]
    University,
    #[sea_orm(string_value = "STATE_ENTERPRISE")]
    StateEnterprise,
    #[sea_orm(string_value = "PRIVATE")]
    Private,
    #[sea_orm(string_value = "NGO")]
    Ngo,
    #[sea_orm(string_value = "COMMUNITY_ORG")]
    CommunityOrg,
}

/// What an audit event records.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum AuditAction {
    #[sea_orm(string_value = "READ_PII")]
    ReadPii,
    #[sea_orm(string_value = "SEARCH")]
    Search,
    #[sea_orm(string_value = "CREATE")]
    Create,
    #[sea_orm(string_value = "UPDATE")]
    Update,
    #[sea_orm(string_value = "TRANSITION")]
    Transition,
    #[sea_orm(string_value = "EXPORT")]
    Export,
    #[sea_orm(string_value = "LOGIN")]
    Login,
    #[sea_orm(string_value = "LOGIN_FAILED")]
    LoginFailed,
    #[sea_orm(string_value = "LOGOUT")]
    Logout,
    #[sea_orm(string_value = "CONSENT_OVERRIDE")]
    ConsentOverride,
    #[sea_orm(string_value = "BREAK_GLASS")]
    BreakGlass,
}

/// A list of strings kept in one JSON column (area scopes, changed field names).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct StringList(pub Vec<String>);
