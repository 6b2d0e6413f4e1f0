use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use uuid::Uuid;

use super::{
    duplicates::{Resolution, resolve_duplicate},
    service::{
        self, Caller, Evidence, HouseholdChanges, MembershipEnd, NewMember, PersonUpdate,
        Transition,
    },
    types::{
        Household, HouseholdSource, HouseholdStatus, IdType, Membership, MembershipRole, Person,
        PotentialDuplicate, Sex,
    },
    validate::{HouseholdInput, MemberInput, PersonInput},
};
use crate::{
    auth::policy,
    error::ApiError,
    graphql::{
        context::{account, actor, scope, services, viewer},
        node,
    },
    idempotency::IdemKey,
};

/// A point (WGS 84).
#[derive(InputObject, Clone, Copy)]
pub struct GeoPointInput {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lng: f64,
}

/// An id in another system.
#[derive(InputObject)]
pub struct ExternalIdInput {
    /// The system (letters, digits, '_'; e.g. TPMAP, PPPCONNEXT, HOUSE_REGISTRATION).
    pub scheme: String,
    /// The id there.
    pub value: String,
}

/// A person's details. Names are Thai; the phone is normalised; the ID number is checked
/// (13 digits with a valid check digit for THAI_NATIONAL_ID) and stored encrypted.
#[derive(InputObject)]
pub struct PersonDetailsInput {
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Sex.
    pub sex: Option<Sex>,
    /// Birth date (not in the future).
    pub birth_date: Option<NaiveDate>,
    /// Phone number.
    pub phone: Option<String>,
    /// Education.
    pub education: Option<String>,
    /// Occupation.
    pub occupation: Option<String>,
    /// Disability, if any.
    pub disability: Option<String>,
    /// Chronic illness, if any.
    pub chronic_illness: Option<String>,
    /// Kind of ID (default THAI_NATIONAL_ID when a number is given, NONE otherwise).
    pub id_type: Option<IdType>,
    /// The ID number.
    #[graphql(secret)]
    pub national_id: Option<String>,
}

impl From<PersonDetailsInput> for PersonInput {
    fn from(p: PersonDetailsInput) -> Self {
        PersonInput {
            given_name: p.given_name,
            family_name: p.family_name,
            sex: p.sex.map(Into::into),
            birth_date: p.birth_date,
            phone: p.phone,
            education: p.education,
            occupation: p.occupation,
            disability: p.disability,
            chronic_illness: p.chronic_illness,
            id_type: p.id_type.map(Into::into),
            national_id: p.national_id,
        }
    }
}

/// A member of a new household.
#[derive(InputObject)]
pub struct NewMemberInput {
    /// Role (exactly one HEAD per household).
    pub role: MembershipRole,
    /// When they joined, if known.
    pub start_date: Option<NaiveDate>,
    /// Who.
    pub person: PersonDetailsInput,
}

/// A household found in the field or on a list, with its members.
#[derive(InputObject)]
pub struct RegisterHouseholdInput {
    /// Retry key from the client: the same key and input return the first result.
    pub client_uuid: Option<Uuid>,
    /// When the field worker captured this on the device, by the device's clock (not trusted
    /// for ordering): kept in the audit event next to the server's time. At most 10 minutes
    /// ahead of the server's clock and 180 days old; part of the retry key's input.
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
    /// DOPA code of the village (8 digits), inside your areas.
    pub village_code: String,
    /// House number.
    pub house_number: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Location.
    pub location: Option<GeoPointInput>,
    /// Where the record came from.
    pub source: HouseholdSource,
    /// Size reported by the source (1–100).
    pub household_size: Option<i32>,
    /// Ids in other systems.
    #[graphql(default)]
    pub external_ids: Vec<ExternalIdInput>,
    /// When the client captured it (offline).
    pub client_created_at: Option<DateTime<Utc>>,
    /// Members, exactly one of them HEAD.
    pub members: Vec<NewMemberInput>,
}

/// A registered household and what looked like it.
#[derive(SimpleObject)]
pub struct RegisterHouseholdPayload {
    /// The new household (DISCOVERED).
    pub household: Household,
    /// Households that look like this one, flagged for review.
    pub potential_duplicates: Vec<PotentialDuplicate>,
}

/// Changes to a household. Omitted fields stay; null clears.
#[derive(InputObject)]
pub struct UpdateHouseholdInput {
    /// Retry key from the client.
    pub client_uuid: Option<Uuid>,
    /// When the field worker captured this on the device, by the device's clock (not trusted
    /// for ordering): kept in the audit event next to the server's time. At most 10 minutes
    /// ahead of the server's clock and 180 days old; part of the retry key's input.
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The household.
    pub household_id: ID,
    /// The `version` you read.
    pub version: i32,
    /// House number.
    pub house_number: async_graphql::MaybeUndefined<String>,
    /// Address.
    pub address: async_graphql::MaybeUndefined<String>,
    /// Location.
    pub location: async_graphql::MaybeUndefined<GeoPointInput>,
    /// Reported size.
    pub household_size: async_graphql::MaybeUndefined<i32>,
    /// When the client made the change (offline).
    pub client_updated_at: Option<DateTime<Utc>>,
}

/// The household a mutation changed.
#[derive(SimpleObject)]
pub struct HouseholdPayload {
    /// The household after the change.
    pub household: Household,
}

/// Verification evidence, or context for another transition.
#[derive(InputObject, Default)]
pub struct TransitionEvidenceInput {
    /// Date of the field verification (required for VERIFIED).
    pub verified_on: Option<NaiveDate>,
    /// What was seen.
    pub note: Option<String>,
    /// Where.
    pub location: Option<GeoPointInput>,
    /// When it happened on the device (offline).
    pub client_occurred_at: Option<DateTime<Utc>>,
}

/// Moves a household along its lifecycle.
#[derive(InputObject)]
pub struct TransitionHouseholdInput {
    /// Retry key from the client.
    pub client_uuid: Option<Uuid>,
    /// When the field worker captured this on the device, by the device's clock (not trusted
    /// for ordering): kept in the audit event next to the server's time. At most 10 minutes
    /// ahead of the server's clock and 180 days old; part of the retry key's input.
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The household.
    pub household_id: ID,
    /// The `version` you read.
    pub version: i32,
    /// The new state.
    pub to: HouseholdStatus,
    /// Why (required for NOT_ELIGIBLE, NOT_FOUND, EXITED and relapse).
    pub reason: Option<String>,
    /// Evidence (VERIFIED needs `verifiedOn`).
    pub evidence: Option<TransitionEvidenceInput>,
}

/// A new member of an existing household.
#[derive(InputObject)]
pub struct AddMemberInput {
    /// Retry key from the client.
    pub client_uuid: Option<Uuid>,
    /// When the field worker captured this on the device, by the device's clock (not trusted
    /// for ordering): kept in the audit event next to the server's time. At most 10 minutes
    /// ahead of the server's clock and 180 days old; part of the retry key's input.
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The household.
    pub household_id: ID,
    /// The household's `version` you read.
    pub version: i32,
    /// Role (a second HEAD is refused).
    pub role: MembershipRole,
    /// When they joined.
    pub start_date: Option<NaiveDate>,
    /// Who.
    pub person: PersonDetailsInput,
}

/// The membership a mutation changed.
#[derive(SimpleObject)]
pub struct MembershipPayload {
    /// The membership after the change.
    pub membership: Membership,
}

/// New details of a person (all fields, as on the form).
#[derive(InputObject)]
pub struct UpdatePersonInput {
    /// Retry key from the client.
    pub client_uuid: Option<Uuid>,
    /// When the field worker captured this on the device, by the device's clock (not trusted
    /// for ordering): kept in the audit event next to the server's time. At most 10 minutes
    /// ahead of the server's clock and 180 days old; part of the retry key's input.
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The person.
    pub person_id: ID,
    /// The `version` you read.
    pub version: i32,
    /// The details.
    pub person: PersonDetailsInput,
    /// When the client made the change (offline).
    pub client_updated_at: Option<DateTime<Utc>>,
}

/// The person a mutation changed.
#[derive(SimpleObject)]
pub struct PersonPayload {
    /// The person after the change.
    pub person: Person,
}

/// Ends a membership.
#[derive(InputObject)]
pub struct EndMembershipInput {
    /// Retry key from the client.
    pub client_uuid: Option<Uuid>,
    /// When the field worker captured this on the device, by the device's clock (not trusted
    /// for ordering): kept in the audit event next to the server's time. At most 10 minutes
    /// ahead of the server's clock and 180 days old; part of the retry key's input.
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The membership.
    pub membership_id: ID,
    /// The household's `version` you read.
    pub version: i32,
    /// Last day.
    pub end_date: NaiveDate,
    /// Why (moved, deceased, …).
    pub reason: String,
}

/// Asks for a person's full ID number.
#[derive(InputObject)]
pub struct RevealNationalIdInput {
    /// The person.
    pub person_id: ID,
    /// Why you need it (kept in the audit log).
    pub reason: String,
}

/// A person's full ID number.
#[derive(SimpleObject)]
pub struct RevealNationalIdPayload {
    /// The person.
    pub person: Person,
    /// The full number (null when none is recorded).
    pub national_id: Option<String>,
}

/// What a potential duplicate turned out to be.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum DuplicateResolution {
    /// The same household: merge into the survivor.
    Merge,
    /// Different households.
    NotDuplicate,
}

/// Resolves a potential duplicate.
#[derive(InputObject)]
pub struct ResolveDuplicateInput {
    /// The potential duplicate.
    pub id: ID,
    /// MERGE or NOT_DUPLICATE.
    pub resolution: DuplicateResolution,
    /// For MERGE: the household to keep (default: the one registered first).
    pub survivor_household_id: Option<ID>,
    /// Note for the record.
    pub note: Option<String>,
}

/// The potential duplicate after review.
#[derive(SimpleObject)]
pub struct PotentialDuplicatePayload {
    /// The potential duplicate.
    pub potential_duplicate: PotentialDuplicate,
}

fn idem(
    ctx: &Context<'_>,
    client_uuid: Option<Uuid>,
    captured_at: Option<DateTime<Utc>>,
    op: &'static str,
    input: serde_json::Value,
) -> Result<Option<IdemKey>> {
    Ok(crate::idempotency::with_capture(
        IdemKey::new(Some(account(ctx)?.id), client_uuid, op, &input),
        captured_at,
    ))
}

fn geo(p: Option<GeoPointInput>) -> (Option<f64>, Option<f64>) {
    (p.map(|p| p.lat), p.map(|p| p.lng))
}

#[derive(Default)]
pub struct HouseholdMutation;

#[Object]
impl HouseholdMutation {
    /// Registers a household with its members (ADMIN, COORDINATOR, SURVEYOR in their areas).
    /// A person whose ID number is registered already is CONFLICT; similar records are
    /// flagged as potential duplicates.
    #[graphql(guard = "policy::FIELD_STAFF")]
    async fn register_household(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `RegisterHouseholdInput`.")]
        input: RegisterHouseholdInput,
    ) -> Result<RegisterHouseholdPayload> {
        let (lat, lng) = geo(input.location);
        let household = HouseholdInput {
            village_code: input.village_code,
            house_number: input.house_number,
            address: input.address,
            lat,
            lng,
            source: input.source.into(),
            household_size: input.household_size,
            external_ids: input
                .external_ids
                .into_iter()
                .map(|e| (e.scheme, e.value))
                .collect(),
            client_created_at: input.client_created_at.or(input.captured_at),
            members: input
                .members
                .into_iter()
                .map(|m| MemberInput {
                    role: m.role.into(),
                    start_date: m.start_date,
                    person: m.person.into(),
                })
                .collect(),
        };
        let key = idem(
            ctx,
            input.client_uuid,
            input.captured_at,
            "registerHousehold",
            json!(household),
        )?;
        let s = services(ctx);
        let (scope, actor) = (scope(ctx), actor(ctx)?.captured(input.captured_at)?);
        let caller = Caller {
            db: &s.db,
            scope: &scope,
            actor: &actor,
        };
        let done = service::register_household(&caller, &s.pii, household, key).await?;
        Ok(RegisterHouseholdPayload {
            household: Household::new(done.household),
            potential_duplicates: done
                .potential_duplicates
                .into_iter()
                .map(PotentialDuplicate)
                .collect(),
        })
    }

    /// Changes a household's address, location or size.
    #[graphql(guard = "policy::FIELD_STAFF")]
    async fn update_household(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `UpdateHouseholdInput`.")] input: UpdateHouseholdInput,
    ) -> Result<HouseholdPayload> {
        let id = node::decode_uuid(&input.household_id, "Household", "householdId")?;
        let maybe = |v: async_graphql::MaybeUndefined<String>| {
            v.as_opt_ref()
                .map(|s| s.cloned())
                .or(if v.is_null() { Some(None) } else { None })
        };
        let changes = HouseholdChanges {
            house_number: maybe(input.house_number),
            address: maybe(input.address),
            location: match input.location {
                async_graphql::MaybeUndefined::Undefined => None,
                async_graphql::MaybeUndefined::Null => Some(None),
                async_graphql::MaybeUndefined::Value(p) => Some(Some((p.lat, p.lng))),
            },
            household_size: match input.household_size {
                async_graphql::MaybeUndefined::Undefined => None,
                async_graphql::MaybeUndefined::Null => Some(None),
                async_graphql::MaybeUndefined::Value(n) => Some(Some(n)),
            },
            client_updated_at: input.client_updated_at.or(input.captured_at),
        };
        let key = idem(
            ctx,
            input.client_uuid,
            input.captured_at,
            "updateHousehold",
            json!({ "id": id, "version": input.version, "changes": changes }),
        )?;
        let (scope, actor) = (scope(ctx), actor(ctx)?.captured(input.captured_at)?);
        let caller = Caller {
            db: &services(ctx).db,
            scope: &scope,
            actor: &actor,
        };
        let model = service::update_household(&caller, id, input.version, changes, key).await?;
        Ok(HouseholdPayload {
            household: Household::new(model),
        })
    }

    /// Moves a household along its lifecycle (ADMIN, COORDINATOR). An illegal transition is
    /// BAD_USER_INPUT and changes nothing.
    #[graphql(guard = "policy::COORDINATORS")]
    async fn transition_household(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `TransitionHouseholdInput`.")]
        input: TransitionHouseholdInput,
    ) -> Result<HouseholdPayload> {
        let id = node::decode_uuid(&input.household_id, "Household", "householdId")?;
        let ev = input.evidence.unwrap_or_default();
        let evidence = Evidence {
            verified_on: ev.verified_on,
            note: ev.note,
            location: ev.location.map(|p| (p.lat, p.lng)),
            client_occurred_at: ev.client_occurred_at,
        };
        let to: entity::enums::HouseholdStatus = input.to.into();
        let key = idem(
            ctx,
            input.client_uuid,
            input.captured_at,
            "transitionHousehold",
            json!({ "id": id, "version": input.version, "to": to, "reason": input.reason, "evidence": evidence }),
        )?;
        let (scope, actor) = (scope(ctx), actor(ctx)?.captured(input.captured_at)?);
        let caller = Caller {
            db: &services(ctx).db,
            scope: &scope,
            actor: &actor,
        };
        let transition = Transition {
            household_id: id,
            version: input.version,
            to,
            reason: input.reason,
            evidence,
        };
        let model = service::transition_household(
            &caller,
            transition,
            &services(ctx).settings.measurement,
            key,
        )
        .await?;
        Ok(HouseholdPayload {
            household: Household::new(model),
        })
    }

    /// Adds a member to a household.
    #[graphql(guard = "policy::FIELD_STAFF")]
    async fn add_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `AddMemberInput`.")] input: AddMemberInput,
    ) -> Result<MembershipPayload> {
        let id = node::decode_uuid(&input.household_id, "Household", "householdId")?;
        let person: PersonInput = input.person.into();
        let role: entity::enums::MembershipRole = input.role.into();
        let key = idem(
            ctx,
            input.client_uuid,
            input.captured_at,
            "addMember",
            json!({ "id": id, "version": input.version, "role": role, "start": input.start_date, "person": person }),
        )?;
        let s = services(ctx);
        let (scope, actor) = (scope(ctx), actor(ctx)?.captured(input.captured_at)?);
        let caller = Caller {
            db: &s.db,
            scope: &scope,
            actor: &actor,
        };
        let new = NewMember {
            household_id: id,
            version: input.version,
            role,
            start_date: input.start_date,
            person,
        };
        let model = service::add_member(&caller, &s.pii, new, key).await?;
        Ok(MembershipPayload {
            membership: Membership::new(model),
        })
    }

    /// Replaces a person's details.
    #[graphql(guard = "policy::FIELD_STAFF")]
    async fn update_person(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `UpdatePersonInput`.")] input: UpdatePersonInput,
    ) -> Result<PersonPayload> {
        let id = node::decode_uuid(&input.person_id, "Person", "personId")?;
        let person: PersonInput = input.person.into();
        let key = idem(
            ctx,
            input.client_uuid,
            input.captured_at,
            "updatePerson",
            json!({ "id": id, "version": input.version, "person": person }),
        )?;
        let s = services(ctx);
        let (scope, actor) = (scope(ctx), actor(ctx)?.captured(input.captured_at)?);
        let caller = Caller {
            db: &s.db,
            scope: &scope,
            actor: &actor,
        };
        let update = PersonUpdate {
            person_id: id,
            version: input.version,
            person,
            client_updated_at: input.client_updated_at.or(input.captured_at),
        };
        let model = service::update_person(&caller, &s.pii, update, key).await?;
        Ok(PersonPayload {
            person: Person(model),
        })
    }

    /// Ends a membership.
    #[graphql(guard = "policy::FIELD_STAFF")]
    async fn end_membership(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `EndMembershipInput`.")] input: EndMembershipInput,
    ) -> Result<MembershipPayload> {
        let id = node::decode_uuid(&input.membership_id, "Membership", "membershipId")?;
        let key = idem(
            ctx,
            input.client_uuid,
            input.captured_at,
            "endMembership",
            json!({ "id": id, "version": input.version, "end": input.end_date, "reason": input.reason }),
        )?;
        let (scope, actor) = (scope(ctx), actor(ctx)?.captured(input.captured_at)?);
        let caller = Caller {
            db: &services(ctx).db,
            scope: &scope,
            actor: &actor,
        };
        let end = MembershipEnd {
            membership_id: id,
            version: input.version,
            end_date: input.end_date,
            reason: input.reason,
        };
        let model = service::end_membership(&caller, end, key).await?;
        Ok(MembershipPayload {
            membership: Membership::new(model),
        })
    }

    /// A person's full ID number (ADMIN, COORDINATOR in their areas), written to the audit log
    /// as READ_PII with your reason.
    #[graphql(guard = "policy::COORDINATORS")]
    async fn reveal_national_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `RevealNationalIdInput`.")]
        input: RevealNationalIdInput,
    ) -> Result<RevealNationalIdPayload> {
        let id = node::decode_uuid(&input.person_id, "Person", "personId")?;
        let s = services(ctx);
        let (scope, actor) = (scope(ctx), actor(ctx)?);
        let caller = Caller {
            db: &s.db,
            scope: &scope,
            actor: &actor,
        };
        let number =
            service::reveal_national_id(&caller, &s.pii, viewer(ctx), id, &input.reason).await?;
        let person = service::find_person(&s.db, &scope, id).await?;
        Ok(RevealNationalIdPayload {
            person: Person(person),
            national_id: number,
        })
    }

    /// Resolves a potential duplicate (ADMIN, COORDINATOR): MERGE moves the members and
    /// history into the survivor and marks the other DUPLICATE; NOT_DUPLICATE closes it.
    #[graphql(guard = "policy::COORDINATORS")]
    async fn resolve_duplicate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `ResolveDuplicateInput`.")]
        input: ResolveDuplicateInput,
    ) -> Result<PotentialDuplicatePayload> {
        let id = node::decode_uuid(&input.id, "PotentialDuplicate", "id")?;
        let survivor = input
            .survivor_household_id
            .as_ref()
            .map(|s| node::decode_uuid(s, "Household", "survivorHouseholdId"))
            .transpose()?;
        let resolution = match input.resolution {
            DuplicateResolution::Merge => Resolution::Merge,
            DuplicateResolution::NotDuplicate => {
                if survivor.is_some() {
                    return Err(ApiError::bad_input("survivorHouseholdId", "only for MERGE").into());
                }
                Resolution::NotDuplicate
            }
        };
        let model = resolve_duplicate(
            &services(ctx).db,
            &scope(ctx),
            &actor(ctx)?,
            id,
            resolution,
            survivor,
            input.note,
        )
        .await?;
        Ok(PotentialDuplicatePayload {
            potential_duplicate: PotentialDuplicate(model),
        })
    }
}
