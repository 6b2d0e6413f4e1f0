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

/// Where a household record came from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum HouseholdSource {
    #[sea_orm(string_value = "TPMAP")]
    Tpmap,
    #[sea_orm(string_value = "BMN_SURVEY")]
    BmnSurvey,
    #[sea_orm(string_value = "WELFARE_CARD")]
    WelfareCard,
    #[sea_orm(string_value = "PPPCONNEXT")]
    Pppconnext,
    #[sea_orm(string_value = "FIELD_DISCOVERY")]
    FieldDiscovery,
    #[sea_orm(string_value = "PARTNER_IMPORT")]
    PartnerImport,
}

/// Household lifecycle (DOMAIN.md).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum HouseholdStatus {
    #[sea_orm(string_value = "DISCOVERED")]
    Discovered,
    #[sea_orm(string_value = "VERIFIED")]
    Verified,
    #[sea_orm(string_value = "ENROLLED")]
    Enrolled,
    #[sea_orm(string_value = "GRADUATED")]
    Graduated,
    #[sea_orm(string_value = "NOT_ELIGIBLE")]
    NotEligible,
    #[sea_orm(string_value = "NOT_FOUND")]
    NotFound,
    #[sea_orm(string_value = "DUPLICATE")]
    Duplicate,
    #[sea_orm(string_value = "EXITED")]
    Exited,
}

impl HouseholdStatus {
    /// The lifecycle: DISCOVERED → VERIFIED → ENROLLED → GRADUATED; DISCOVERED → NOT_ELIGIBLE,
    /// NOT_FOUND or DUPLICATE; ENROLLED → EXITED; GRADUATED → ENROLLED (relapse).
    pub fn can_become(self, to: HouseholdStatus) -> bool {
        use HouseholdStatus::*;
        matches!(
            (self, to),
            (Discovered, Verified)
                | (Discovered, NotEligible)
                | (Discovered, NotFound)
                | (Discovered, Duplicate)
                | (Verified, Enrolled)
                | (Enrolled, Graduated)
                | (Enrolled, Exited)
                | (Graduated, Enrolled)
        )
    }
}

/// A person's place in a household.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum MembershipRole {
    #[sea_orm(string_value = "HEAD")]
    Head,
    #[sea_orm(string_value = "SPOUSE")]
    Spouse,
    #[sea_orm(string_value = "CHILD")]
    Child,
    #[sea_orm(string_value = "ELDER")]
    Elder,
    #[sea_orm(string_value = "OTHER_RELATIVE")]
    OtherRelative,
    #[sea_orm(string_value = "NON_RELATIVE")]
    NonRelative,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Sex {
    #[sea_orm(string_value = "MALE")]
    Male,
    #[sea_orm(string_value = "FEMALE")]
    Female,
    #[sea_orm(string_value = "OTHER")]
    Other,
    #[sea_orm(string_value = "UNKNOWN")]
    Unknown,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum IdType {
    #[sea_orm(string_value = "THAI_NATIONAL_ID")]
    ThaiNationalId,
    #[sea_orm(string_value = "NON_THAI_ID")]
    NonThaiId,
    #[sea_orm(string_value = "NONE")]
    None,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum ConsentPurpose {
    #[sea_orm(string_value = "REGISTRATION")]
    Registration,
    #[sea_orm(string_value = "CASE_MANAGEMENT")]
    CaseManagement,
    #[sea_orm(string_value = "REFERRAL")]
    Referral,
    #[sea_orm(string_value = "RESEARCH")]
    Research,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ConsentStatus {
    #[sea_orm(string_value = "GIVEN")]
    Given,
    #[sea_orm(string_value = "REFUSED")]
    Refused,
    #[sea_orm(string_value = "WITHDRAWN")]
    Withdrawn,
    #[sea_orm(string_value = "EXPIRED")]
    Expired,
}

/// Legal basis under the Personal Data Protection Act (PDPA) section 24/26.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum LegalBasis {
    #[sea_orm(string_value = "CONSENT")]
    Consent,
    #[sea_orm(string_value = "PUBLIC_TASK")]
    PublicTask,
    #[sea_orm(string_value = "VITAL_INTEREST")]
    VitalInterest,
    #[sea_orm(string_value = "LEGAL_OBLIGATION")]
    LegalObligation,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum DuplicateReason {
    #[sea_orm(string_value = "SAME_ID_HASH")]
    SameIdHash,
    #[sea_orm(string_value = "SIMILAR_NAME")]
    SimilarName,
    #[sea_orm(string_value = "SAME_PHONE")]
    SamePhone,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DuplicateStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "MERGED")]
    Merged,
    #[sea_orm(string_value = "NOT_DUPLICATE")]
    NotDuplicate,
}

/// Agency types and purposes kept in JSON columns of a consent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct UuidList(pub Vec<uuid::Uuid>);
