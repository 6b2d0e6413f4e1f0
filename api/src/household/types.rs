use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{household, household_status_event, membership, person, potential_duplicate};

use super::loader::{
    AllMemberCount, AllMembersOf, CurrentMemberCount, CurrentMembersOf, DuplicateId, ExternalIdsOf,
    HouseholdId, MemberRow, MembershipId, PersonId, StatusEventId, StatusHistoryCount,
    StatusHistoryOf,
};
pub use crate::graphql::schema::Household;
use crate::{
    account::{loader::AccountId, types::Account},
    area::{loader::AreaCode, types::Area},
    auth::policy::{identifying, sees_id_numbers, sees_identity},
    connection,
    graphql::{
        context::{loader, viewer},
        node,
        pagination::{PageArgs, Prefetched, TotalCount},
    },
    node_by_loader,
};

/// Where a household record came from.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::HouseholdSource")]
pub enum HouseholdSource {
    /// Thai People Map and Analytics Platform.
    Tpmap,
    /// Basic minimum needs survey (จปฐ.).
    BmnSurvey,
    /// State welfare card registry.
    WelfareCard,
    /// PPPConnext export.
    Pppconnext,
    /// Found by field staff.
    FieldDiscovery,
    /// Imported from a partner's system.
    PartnerImport,
}

/// Household lifecycle: DISCOVERED → VERIFIED → ENROLLED → GRADUATED, with side exits
/// NOT_ELIGIBLE, NOT_FOUND, DUPLICATE (from DISCOVERED), EXITED (from ENROLLED), and
/// GRADUATED → ENROLLED on relapse.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::HouseholdStatus")]
pub enum HouseholdStatus {
    /// On a list, not yet confirmed in the field.
    Discovered,
    /// Confirmed: exists, is poor, is not a duplicate.
    Verified,
    /// Receiving support.
    Enrolled,
    /// Left poverty.
    Graduated,
    /// Confirmed not poor.
    NotEligible,
    /// Could not be found.
    NotFound,
    /// Merged into another household.
    Duplicate,
    /// Left the programme (moved, deceased, withdrew).
    Exited,
}

/// A person's place in a household.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::MembershipRole")]
pub enum MembershipRole {
    /// Head of household (exactly one).
    Head,
    /// Spouse or partner of the head.
    Spouse,
    /// Child.
    Child,
    /// Elder (parent or grandparent).
    Elder,
    /// Other relative.
    OtherRelative,
    /// Not related.
    NonRelative,
}

/// Sex.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::Sex")]
pub enum Sex {
    /// Male.
    Male,
    /// Female.
    Female,
    /// Other.
    Other,
    /// Not recorded.
    Unknown,
}

/// Kind of identity document.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::IdType")]
pub enum IdType {
    /// 13-digit Thai national ID.
    ThaiNationalId,
    /// Another identity document (e.g. for migrant workers).
    NonThaiId,
    /// None recorded.
    None,
}

/// Why two households look alike.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::DuplicateReason")]
pub enum DuplicateReason {
    /// The same national ID.
    SameIdHash,
    /// Same village, similar name, same birth year.
    SimilarName,
    /// The same phone number.
    SamePhone,
}

/// Review state of a potential duplicate.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::DuplicateStatus")]
pub enum DuplicateStatus {
    /// Waiting for review.
    Open,
    /// Merged into one household.
    Merged,
    /// Reviewed: different households.
    NotDuplicate,
}

/// A point (WGS 84).
#[derive(SimpleObject, Clone, Copy)]
pub struct GeoPoint {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lng: f64,
}

pub fn point(lat: Option<f64>, lng: Option<f64>) -> Option<GeoPoint> {
    Some(GeoPoint {
        lat: lat?,
        lng: lng?,
    })
}

/// An id the household has in another system.
#[derive(SimpleObject)]
pub struct ExternalId {
    /// The system (e.g. TPMAP, PPPCONNEXT, HOUSE_REGISTRATION).
    pub scheme: String,
    /// The id there.
    pub value: String,
}

/// The registry's own fields of a `Household` (the type itself is assembled in
/// `graphql::schema` from the fields each domain adds).
pub struct HouseholdFields(pub Arc<household::Model>);

/// A household in the registry (not readable by ANALYST, who works from aggregates). Address,
/// house number and location are null for a viewer who may not see who the household is.
#[Object]
impl HouseholdFields {
    /// Global id.
    pub async fn id(&self) -> ID {
        node::encode("Household", self.0.id)
    }

    /// DOPA code of the village.
    async fn village_code(&self) -> &str {
        &self.0.village_code
    }

    /// The village.
    async fn village(&self, ctx: &Context<'_>) -> Result<Option<Area>> {
        Ok(loader(ctx)
            .load_one(AreaCode(self.0.village_code.clone()))
            .await?
            .map(Area))
    }

    /// House number (บ้านเลขที่).
    async fn house_number(&self, ctx: &Context<'_>) -> Option<&str> {
        sees_identity(viewer(ctx))
            .then_some(self.0.house_number.as_deref())
            .flatten()
    }

    /// Address.
    async fn address(&self, ctx: &Context<'_>) -> Option<&str> {
        sees_identity(viewer(ctx))
            .then_some(self.0.address.as_deref())
            .flatten()
    }

    /// Location.
    async fn location(&self, ctx: &Context<'_>) -> Option<GeoPoint> {
        sees_identity(viewer(ctx))
            .then(|| point(self.0.lat, self.0.lng))
            .flatten()
    }

    /// Where the record came from.
    async fn source(&self) -> HouseholdSource {
        self.0.source.into()
    }

    /// Lifecycle state.
    async fn status(&self) -> HouseholdStatus {
        self.0.status.into()
    }

    /// Size reported by the source list (may differ from the registered members).
    async fn household_size(&self) -> Option<i32> {
        self.0.household_size
    }

    /// Date the household was verified in the field.
    async fn verified_on(&self) -> Option<NaiveDate> {
        self.0.verified_on
    }

    /// For a DUPLICATE: the household it was merged into.
    async fn merged_into(&self, ctx: &Context<'_>) -> Result<Option<Household>> {
        let Some(id) = self.0.merged_into_id else {
            return Ok(None);
        };
        Ok(loader(ctx)
            .load_one(HouseholdId(id))
            .await?
            .map(Household::new))
    }

    /// Ids in other systems (empty for viewers who do not see identity numbers).
    async fn external_ids(&self, ctx: &Context<'_>) -> Result<Vec<ExternalId>> {
        if !sees_id_numbers(viewer(ctx)) {
            return Ok(Vec::new());
        }
        let rows = loader(ctx)
            .load_one(ExternalIdsOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .map(|r| ExternalId {
                scheme: r.scheme,
                value: r.value,
            })
            .collect())
    }

    /// Members, in the order they joined; with `includeEnded`, also past members.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Also list members whose membership has ended.",
            default = false
        )]
        include_ended: bool,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<MembershipConnection> {
        let page = PageArgs::new(first, after, last, before)?;
        let l = loader(ctx);
        let (rows, total) = if include_ended {
            (
                l.load_one(AllMembersOf {
                    parent: self.0.id,
                    page,
                })
                .await?,
                TotalCount::of_loader(AllMemberCount(self.0.id)),
            )
        } else {
            (
                l.load_one(CurrentMembersOf {
                    parent: self.0.id,
                    page,
                })
                .await?,
                TotalCount::of_loader(CurrentMemberCount(self.0.id)),
            )
        };
        Ok(MembershipConnection::from_page(
            rows.unwrap_or_default().map(Membership::with_person),
            |m| m.0.id.to_string(),
            total,
        ))
    }

    /// Lifecycle transitions, oldest first: who, when, why, and the verification evidence.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn status_history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<HouseholdStatusEventConnection> {
        let page = PageArgs::new(first, after, last, before)?;
        let rows = loader(ctx)
            .load_one(StatusHistoryOf {
                parent: self.0.id,
                page,
            })
            .await?;
        Ok(HouseholdStatusEventConnection::from_page(
            rows.unwrap_or_default().map(HouseholdStatusEvent),
            |e| e.0.id.to_string(),
            TotalCount::of_loader(StatusHistoryCount(self.0.id)),
        ))
    }

    /// Optimistic-locking version; pass it back with every change.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When the server first stored it.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the server last changed it.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// When the client captured it (offline capture), if sent.
    async fn client_created_at(&self) -> Option<DateTime<Utc>> {
        self.0.client_created_at
    }

    /// When the client last changed it, if sent.
    async fn client_updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.client_updated_at
    }
}

connection!(HouseholdConnection, HouseholdEdge, Household, "households");
// Household-level: not for ANALYST (aggregates only), through `node` as through the root
// fields; the scope layer (`in_visible_household`) hides them from ANALYST as well.
node_by_loader!(
    Household,
    "Household",
    HouseholdId,
    Household::new,
    crate::auth::policy::HOUSEHOLD_READERS
);
node_by_loader!(
    Person,
    "Person",
    PersonId,
    Person,
    crate::auth::policy::HOUSEHOLD_READERS
);
node_by_loader!(
    Membership,
    "Membership",
    MembershipId,
    Membership::new,
    crate::auth::policy::HOUSEHOLD_READERS
);
node_by_loader!(
    HouseholdStatusEvent,
    "HouseholdStatusEvent",
    StatusEventId,
    HouseholdStatusEvent,
    crate::auth::policy::HOUSEHOLD_READERS
);

/// A membership, with its person when the list it came from read it in the same statement.
pub struct Membership(pub membership::Model, pub Prefetched<person::Model>);

impl Membership {
    /// A membership whose person is read through the loader when asked for.
    pub fn new(m: membership::Model) -> Self {
        Self(m, Prefetched::NotRead)
    }

    fn with_person((m, p): MemberRow) -> Self {
        Self(m, Prefetched::Read(p))
    }
}

/// A person's membership of a household (not readable by ANALYST). The end reason is null for
/// a viewer who may not see who the household is.
#[Object]
impl Membership {
    /// Global id.
    pub async fn id(&self) -> ID {
        node::encode("Membership", self.0.id)
    }

    /// Role in the household.
    async fn role(&self) -> MembershipRole {
        self.0.role.into()
    }

    /// When the person joined, if known.
    async fn start_date(&self) -> Option<NaiveDate> {
        self.0.start_date
    }

    /// When the membership ended (null while current).
    async fn end_date(&self) -> Option<NaiveDate> {
        self.0.end_date
    }

    /// Why it ended (null for a viewer who may not see who the household is).
    async fn end_reason(&self, ctx: &Context<'_>) -> Option<&str> {
        identifying(ctx, self.0.end_reason.as_deref())
    }

    /// The person.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        if let Prefetched::Read(person) = &self.1 {
            return Ok(person.clone().map(Person));
        }
        Ok(loader(ctx)
            .load_one(PersonId(self.0.person_id))
            .await?
            .map(Person))
    }
}

connection!(
    MembershipConnection,
    MembershipEdge,
    Membership,
    "household members"
);

pub struct Person(pub person::Model);

/// A member of a household. Names, ID, phone, birth date and the free-text details (education,
/// occupation, disability, chronic illness) are null for a viewer who may not see who the
/// household is (ANALYST reads no person at all); the ID is always masked here (`revealNationalId` gives the
/// full number to ADMIN and COORDINATOR, audited).
#[Object]
impl Person {
    /// Global id.
    pub async fn id(&self) -> ID {
        node::encode("Person", self.0.id)
    }

    /// Given name (Thai).
    async fn given_name(&self, ctx: &Context<'_>) -> Option<&str> {
        sees_identity(viewer(ctx)).then_some(self.0.given_name.as_str())
    }

    /// Family name (Thai).
    async fn family_name(&self, ctx: &Context<'_>) -> Option<&str> {
        sees_identity(viewer(ctx)).then_some(self.0.family_name.as_str())
    }

    /// Sex.
    async fn sex(&self) -> Sex {
        self.0.sex.into()
    }

    /// Birth date.
    async fn birth_date(&self, ctx: &Context<'_>) -> Option<NaiveDate> {
        sees_identity(viewer(ctx))
            .then_some(self.0.birth_date)
            .flatten()
    }

    /// Birth year.
    async fn birth_year(&self) -> Option<i32> {
        self.0.birth_year
    }

    /// Phone number (national form).
    async fn phone(&self, ctx: &Context<'_>) -> Option<&str> {
        sees_identity(viewer(ctx))
            .then_some(self.0.phone.as_deref())
            .flatten()
    }

    /// Education (free text).
    async fn education(&self, ctx: &Context<'_>) -> Option<&str> {
        identifying(ctx, self.0.education.as_deref())
    }

    /// Occupation (free text).
    async fn occupation(&self, ctx: &Context<'_>) -> Option<&str> {
        identifying(ctx, self.0.occupation.as_deref())
    }

    /// Disability, if any (free text).
    async fn disability(&self, ctx: &Context<'_>) -> Option<&str> {
        identifying(ctx, self.0.disability.as_deref())
    }

    /// Chronic illness, if any (free text).
    async fn chronic_illness(&self, ctx: &Context<'_>) -> Option<&str> {
        identifying(ctx, self.0.chronic_illness.as_deref())
    }

    /// Kind of identity document.
    async fn id_type(&self) -> IdType {
        self.0.id_type.into()
    }

    /// The ID number masked as `x-xxxx-xxxxx-xx-D` (only the check digit shows).
    async fn national_id_masked(&self, ctx: &Context<'_>) -> Option<String> {
        if !sees_id_numbers(viewer(ctx)) {
            return None;
        }
        self.0
            .national_id_last_digit
            .as_deref()
            .map(crate::pii::mask)
    }

    /// Optimistic-locking version; pass it back in `updatePerson`.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When the server first stored it.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the server last changed it.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

pub struct HouseholdStatusEvent(pub household_status_event::Model);

/// One lifecycle transition of a household (not readable by ANALYST). Reason, note and
/// location are null for a viewer who may not see who the household is.
#[Object]
impl HouseholdStatusEvent {
    /// Global id.
    pub async fn id(&self) -> ID {
        node::encode("HouseholdStatusEvent", self.0.id)
    }

    /// State before (null for the registration).
    async fn from_status(&self) -> Option<HouseholdStatus> {
        self.0.from_status.map(Into::into)
    }

    /// State after.
    async fn to_status(&self) -> HouseholdStatus {
        self.0.to_status.into()
    }

    /// Why.
    async fn reason(&self, ctx: &Context<'_>) -> Option<&str> {
        identifying(ctx, self.0.reason.as_deref())
    }

    /// Evidence note (verification).
    async fn note(&self, ctx: &Context<'_>) -> Option<&str> {
        identifying(ctx, self.0.note.as_deref())
    }

    /// Date of the field verification.
    async fn verified_on(&self) -> Option<NaiveDate> {
        self.0.verified_on
    }

    /// Where the verification took place.
    async fn location(&self, ctx: &Context<'_>) -> Option<GeoPoint> {
        sees_identity(viewer(ctx))
            .then(|| point(self.0.lat, self.0.lng))
            .flatten()
    }

    /// Who made the transition (visible to ADMIN, or when it was you).
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<Account>> {
        let Some(id) = self.0.actor_id else {
            return Ok(None);
        };
        Ok(loader(ctx).load_one(AccountId(id)).await?.map(Account))
    }

    /// When the server recorded it.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }

    /// When the client says it happened (offline capture), if sent.
    async fn client_occurred_at(&self) -> Option<DateTime<Utc>> {
        self.0.client_occurred_at
    }
}

connection!(
    HouseholdStatusEventConnection,
    HouseholdStatusEventEdge,
    HouseholdStatusEvent,
    "household status events"
);

pub struct PotentialDuplicate(pub potential_duplicate::Model);

/// Two households that look alike, waiting for (or after) review.
#[Object]
impl PotentialDuplicate {
    /// Global id.
    pub async fn id(&self) -> ID {
        node::encode("PotentialDuplicate", self.0.id)
    }

    /// Why they look alike.
    async fn reason(&self) -> DuplicateReason {
        self.0.reason.into()
    }

    /// Review state.
    async fn status(&self) -> DuplicateStatus {
        self.0.status.into()
    }

    /// The household registered later.
    async fn household(&self, ctx: &Context<'_>) -> Result<Option<Household>> {
        Ok(loader(ctx)
            .load_one(HouseholdId(self.0.household_id))
            .await?
            .map(Household::new))
    }

    /// The household it looks like.
    async fn other_household(&self, ctx: &Context<'_>) -> Result<Option<Household>> {
        Ok(loader(ctx)
            .load_one(HouseholdId(self.0.other_household_id))
            .await?
            .map(Household::new))
    }

    /// The person in `household` who looks like `otherPerson`.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let Some(id) = self.0.person_id else {
            return Ok(None);
        };
        Ok(loader(ctx).load_one(PersonId(id)).await?.map(Person))
    }

    /// The person in `otherHousehold`.
    async fn other_person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let Some(id) = self.0.other_person_id else {
            return Ok(None);
        };
        Ok(loader(ctx).load_one(PersonId(id)).await?.map(Person))
    }

    /// The household kept by a merge.
    async fn survivor_household(&self, ctx: &Context<'_>) -> Result<Option<Household>> {
        let Some(id) = self.0.survivor_household_id else {
            return Ok(None);
        };
        Ok(loader(ctx)
            .load_one(HouseholdId(id))
            .await?
            .map(Household::new))
    }

    /// When it was resolved.
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }

    /// The reviewer's note (null for a viewer who may not see who the household is).
    async fn note(&self, ctx: &Context<'_>) -> Option<&str> {
        identifying(ctx, self.0.note.as_deref())
    }

    /// When it was flagged.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

node_by_loader!(
    PotentialDuplicate,
    "PotentialDuplicate",
    DuplicateId,
    PotentialDuplicate,
    crate::auth::policy::COORDINATORS
);
connection!(
    PotentialDuplicateConnection,
    PotentialDuplicateEdge,
    PotentialDuplicate,
    "potential duplicates"
);
