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

/// The five livelihood capitals (ทุน 5 ด้าน).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Capital {
    #[sea_orm(string_value = "HUMAN")]
    Human,
    #[sea_orm(string_value = "PHYSICAL")]
    Physical,
    #[sea_orm(string_value = "FINANCIAL")]
    Financial,
    #[sea_orm(string_value = "NATURAL")]
    Natural,
    #[sea_orm(string_value = "SOCIAL")]
    Social,
}

/// The four-step ladder.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum LadderLevel {
    #[sea_orm(string_value = "STRUGGLING")]
    Struggling,
    #[sea_orm(string_value = "DIFFICULT")]
    Difficult,
    #[sea_orm(string_value = "MANAGEABLE")]
    Manageable,
    #[sea_orm(string_value = "WELL")]
    Well,
}

impl LadderLevel {
    /// Ladder level of a capital score in hundredths (100 = 1.00 … 400 = 4.00): the range
    /// 1.00–4.00 cut into four equal bands of 0.75 — below 1.75 STRUGGLING, below 2.50
    /// DIFFICULT, below 3.25 MANAGEABLE, from 3.25 WELL.
    pub fn of_score(hundredths: i32) -> LadderLevel {
        match hundredths {
            i32::MIN..=174 => LadderLevel::Struggling,
            175..=249 => LadderLevel::Difficult,
            250..=324 => LadderLevel::Manageable,
            _ => LadderLevel::Well,
        }
    }

    /// Weight of the level when matching gives the poorest priority: each step down the
    /// ladder doubles it (WELL 1, MANAGEABLE 2, DIFFICULT 4, STRUGGLING 8), so a poorer
    /// household wins a seat unless its fit is less than half as good.
    pub fn priority(self) -> i64 {
        match self {
            LadderLevel::Struggling => 8,
            LadderLevel::Difficult => 4,
            LadderLevel::Manageable => 2,
            LadderLevel::Well => 1,
        }
    }
}

/// Income per person per month against the poverty-line table.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum IncomeLevel {
    #[sea_orm(string_value = "BELOW_POVERTY_LINE")]
    BelowPovertyLine,
    #[sea_orm(string_value = "BELOW_POOREST_40")]
    BelowPoorest40,
    #[sea_orm(string_value = "BELOW_MEDIAN")]
    BelowMedian,
    #[sea_orm(string_value = "ABOVE_MEDIAN")]
    AboveMedian,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AssessmentStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "SUPERSEDED")]
    Superseded,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum TechnologySector {
    #[sea_orm(string_value = "AGRICULTURE")]
    Agriculture,
    #[sea_orm(string_value = "LIVESTOCK")]
    Livestock,
    #[sea_orm(string_value = "FISHERY")]
    Fishery,
    #[sea_orm(string_value = "FOOD_PROCESSING")]
    FoodProcessing,
    #[sea_orm(string_value = "HANDICRAFT")]
    Handicraft,
    #[sea_orm(string_value = "ENERGY")]
    Energy,
    #[sea_orm(string_value = "WATER")]
    Water,
    #[sea_orm(string_value = "DIGITAL")]
    Digital,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum ServiceCategory {
    #[sea_orm(string_value = "URGENT_RELIEF")]
    UrgentRelief,
    #[sea_orm(string_value = "HOUSING")]
    Housing,
    #[sea_orm(string_value = "HEALTH")]
    Health,
    #[sea_orm(string_value = "EDUCATION")]
    Education,
    #[sea_orm(string_value = "FINANCE")]
    Finance,
    #[sea_orm(string_value = "MARKET_ACCESS")]
    MarketAccess,
    #[sea_orm(string_value = "OCCUPATION_TRAINING")]
    OccupationTraining,
}

/// Minimum capital scores (hundredths) a technology needs; a missing capital has no minimum.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct CapitalMinimums {
    pub human: Option<i32>,
    pub physical: Option<i32>,
    pub financial: Option<i32>,
    pub natural: Option<i32>,
    pub social: Option<i32>,
}

/// Raw indicator answers kept with an assessment for provenance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct JsonDocument(pub serde_json::Value);

/// Match lifecycle: SUGGESTED → OFFERED → ACCEPTED → IN_TRAINING → ADOPTED → SUSTAINED, or
/// DECLINED (before training) / DROPPED (after acceptance).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum MatchStatus {
    #[sea_orm(string_value = "SUGGESTED")]
    Suggested,
    #[sea_orm(string_value = "OFFERED")]
    Offered,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "IN_TRAINING")]
    InTraining,
    #[sea_orm(string_value = "ADOPTED")]
    Adopted,
    #[sea_orm(string_value = "SUSTAINED")]
    Sustained,
    #[sea_orm(string_value = "DECLINED")]
    Declined,
    #[sea_orm(string_value = "DROPPED")]
    Dropped,
}

impl MatchStatus {
    pub fn can_become(self, to: MatchStatus) -> bool {
        use MatchStatus::*;
        matches!(
            (self, to),
            (Suggested, Offered)
                | (Suggested, Declined)
                | (Offered, Accepted)
                | (Offered, Declined)
                | (Accepted, InTraining)
                | (Accepted, Dropped)
                | (InTraining, Adopted)
                | (InTraining, Dropped)
                | (Adopted, Sustained)
                | (Adopted, Dropped)
        )
    }

    /// Still open: neither finished nor abandoned.
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            MatchStatus::Sustained | MatchStatus::Declined | MatchStatus::Dropped
        )
    }
}

/// One reason behind a recommendation, with its share of the score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub factor: String,
    pub detail: String,
    /// Share of the score, in thousandths (the reasons of a match add up to its score).
    pub contribution_millis: i32,
    /// The measured effect behind a TRACK_RECORD reason (absent for the other factors, and in
    /// reasons stored before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<OutcomeEvidence>,
}

/// A technology's measured effect in a province (docs/mobility.md): its adopters against
/// comparable households of the same starting overall level that were never matched to it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OutcomeEvidence {
    /// Reassessed households whose match reached ADOPTED between baseline and endline.
    pub adopters: u32,
    pub adopters_moved_up: u32,
    /// Reassessed households never matched to it, of the adopters' starting levels.
    pub comparison: u32,
    pub comparison_moved_up: u32,
    pub adopter_up_rate: Option<f64>,
    /// Standardised to the adopters' starting levels.
    pub comparison_up_rate: Option<f64>,
    /// Mean change of income per person per month, satang.
    pub adopter_income_change_satang: Option<f64>,
    pub comparison_income_change_satang: Option<f64>,
    /// Start of the period measured.
    pub since: Date,
    /// Households needed in each group.
    pub min_sample: u32,
}

impl OutcomeEvidence {
    /// Nothing measured yet.
    pub fn none(since: Date, min_sample: u32) -> Self {
        OutcomeEvidence {
            adopters: 0,
            adopters_moved_up: 0,
            comparison: 0,
            comparison_moved_up: 0,
            adopter_up_rate: None,
            comparison_up_rate: None,
            adopter_income_change_satang: None,
            comparison_income_change_satang: None,
            since,
            min_sample,
        }
    }

    /// Both groups reach the minimum sample (and so both rates exist).
    pub fn is_enough(&self) -> bool {
        self.adopters >= self.min_sample.max(1)
            && self.comparison >= self.min_sample.max(1)
            && self.adopter_up_rate.is_some()
            && self.comparison_up_rate.is_some()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct Reasons(pub Vec<Reason>);

impl Eq for Reasons {}

/// Kind of enterprise.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum EnterpriseKind {
    #[sea_orm(string_value = "COMMUNITY_ENTERPRISE")]
    CommunityEnterprise,
    #[sea_orm(string_value = "COOPERATIVE")]
    Cooperative,
    #[sea_orm(string_value = "SOCIAL_ENTERPRISE")]
    SocialEnterprise,
    #[sea_orm(string_value = "SME")]
    Sme,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// A household's part in an enterprise's value chain.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum EnterpriseRole {
    #[sea_orm(string_value = "PRODUCER")]
    Producer,
    #[sea_orm(string_value = "WORKER")]
    Worker,
    #[sea_orm(string_value = "SUPPLIER")]
    Supplier,
}

/// What a support case (เคส) is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum CaseType {
    /// พัฒนาอาชีพ.
    #[sea_orm(string_value = "OCCUPATION_DEVELOPMENT")]
    OccupationDevelopment,
    /// สงเคราะห์เร่งด่วน.
    #[sea_orm(string_value = "URGENT_SOCIAL_PROTECTION")]
    UrgentSocialProtection,
    /// ห่วงโซ่คุณค่า.
    #[sea_orm(string_value = "VALUE_CHAIN")]
    ValueChain,
    /// ที่อยู่อาศัย.
    #[sea_orm(string_value = "HOUSING")]
    Housing,
    /// สุขภาพ.
    #[sea_orm(string_value = "HEALTH")]
    Health,
    /// การศึกษา.
    #[sea_orm(string_value = "EDUCATION")]
    Education,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// How soon a support case needs attention.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CasePriority {
    #[sea_orm(string_value = "LOW")]
    Low,
    #[sea_orm(string_value = "NORMAL")]
    Normal,
    #[sea_orm(string_value = "HIGH")]
    High,
    #[sea_orm(string_value = "URGENT")]
    Urgent,
}

/// Phase of a support case (การจัดการรายกรณี): INTAKE → ASSESSMENT → PLANNING →
/// IMPLEMENTATION → MONITORING → CLOSED.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CasePhase {
    /// รับเรื่อง.
    #[sea_orm(string_value = "INTAKE")]
    Intake,
    /// ประเมิน.
    #[sea_orm(string_value = "ASSESSMENT")]
    Assessment,
    /// วางแผน.
    #[sea_orm(string_value = "PLANNING")]
    Planning,
    /// ดำเนินการ.
    #[sea_orm(string_value = "IMPLEMENTATION")]
    Implementation,
    /// ติดตามผล.
    #[sea_orm(string_value = "MONITORING")]
    Monitoring,
    /// ปิดเคส.
    #[sea_orm(string_value = "CLOSED")]
    Closed,
}

/// How a closed support case (or a phase change) turned out for the household.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CaseOutcome {
    #[sea_orm(string_value = "POSITIVE")]
    Positive,
    #[sea_orm(string_value = "NEUTRAL")]
    Neutral,
    #[sea_orm(string_value = "NEGATIVE")]
    Negative,
}

/// Referral (การส่งต่อ) lifecycle: PENDING → ACCEPTED → DONE, PENDING → REJECTED, or REVOKED
/// by the sender.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReferralStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "DONE")]
    Done,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    #[sea_orm(string_value = "REVOKED")]
    Revoked,
}

/// What kind of help an intervention delivered.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum InterventionKind {
    /// การนำเทคโนโลยีไปใช้.
    #[sea_orm(string_value = "TECHNOLOGY_ADOPTION")]
    TechnologyAdoption,
    /// ฝึกอบรม.
    #[sea_orm(string_value = "TRAINING")]
    Training,
    /// สิ่งของ.
    #[sea_orm(string_value = "IN_KIND")]
    InKind,
    /// เงินช่วยเหลือ.
    #[sea_orm(string_value = "CASH")]
    Cash,
    /// บริการ.
    #[sea_orm(string_value = "SERVICE")]
    Service,
    /// เชื่อมโยงตลาด.
    #[sea_orm(string_value = "MARKET_LINKAGE")]
    MarketLinkage,
    /// ซ่อมแซมบ้าน.
    #[sea_orm(string_value = "HOUSING_REPAIR")]
    HousingRepair,
}

/// How a visit (การเยี่ยมบ้าน) reaches the household.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum VisitType {
    #[sea_orm(string_value = "HOME")]
    Home,
    #[sea_orm(string_value = "PHONE")]
    Phone,
    #[sea_orm(string_value = "OFFICE")]
    Office,
    #[sea_orm(string_value = "VIRTUAL")]
    Virtual,
}

/// Visit lifecycle: SCHEDULED → COMPLETED, MISSED or CANCELLED.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum VisitStatus {
    #[sea_orm(string_value = "SCHEDULED")]
    Scheduled,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "MISSED")]
    Missed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}
