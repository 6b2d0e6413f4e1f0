use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};

use super::{
    service::{self, AgencyFields},
    types::{Agency, AgencyType},
};
use crate::{
    auth::policy,
    graphql::{
        context::{actor, services},
        node,
    },
};

/// A new partner agency (ADMIN).
#[derive(InputObject)]
pub struct CreateAgencyInput {
    /// Name (unique).
    pub name: String,
    /// English name.
    pub name_en: Option<String>,
    /// Kind of agency.
    #[graphql(name = "type")]
    pub agency_type: AgencyType,
    /// Contact person.
    pub contact_name: Option<String>,
    /// Contact e-mail.
    pub contact_email: Option<String>,
    /// Contact phone.
    pub contact_phone: Option<String>,
    /// DOPA codes of the areas it covers (empty: nationwide).
    #[graphql(default)]
    pub coverage_area_codes: Vec<String>,
}

/// Changes to an agency (ADMIN). Omitted fields stay; null clears an optional one.
#[derive(InputObject)]
pub struct UpdateAgencyInput {
    /// The agency.
    pub id: ID,
    /// The `version` you read; a stale one is CONFLICT.
    pub version: i32,
    /// New name.
    pub name: Option<String>,
    /// New English name.
    pub name_en: MaybeUndefined<String>,
    /// New type.
    #[graphql(name = "type")]
    pub agency_type: Option<AgencyType>,
    /// New contact person.
    pub contact_name: MaybeUndefined<String>,
    /// New contact e-mail.
    pub contact_email: MaybeUndefined<String>,
    /// New contact phone.
    pub contact_phone: MaybeUndefined<String>,
    /// New coverage (replaces the old list).
    pub coverage_area_codes: Option<Vec<String>>,
    /// Activate or deactivate.
    pub active: Option<bool>,
}

/// The agency a mutation changed.
#[derive(SimpleObject)]
pub struct AgencyPayload {
    /// The agency after the change.
    pub agency: Agency,
}

fn maybe(v: MaybeUndefined<String>) -> Option<Option<String>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(s) => Some(Some(s)),
    }
}

#[derive(Default)]
pub struct AgencyMutation;

#[Object]
impl AgencyMutation {
    /// Creates a partner agency (ADMIN). A taken name is CONFLICT.
    #[graphql(guard = "policy::ADMINS")]
    async fn create_agency(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `CreateAgencyInput`.")] input: CreateAgencyInput,
    ) -> Result<AgencyPayload> {
        let model = service::create_agency(
            &services(ctx).db,
            &actor(ctx)?,
            input.name,
            input.agency_type.into(),
            AgencyFields {
                name: None,
                name_en: Some(input.name_en),
                agency_type: None,
                contact_name: Some(input.contact_name),
                contact_email: Some(input.contact_email),
                contact_phone: Some(input.contact_phone),
                coverage: Some(input.coverage_area_codes),
                active: None,
            },
        )
        .await?;
        Ok(AgencyPayload {
            agency: Agency(model),
        })
    }

    /// Changes a partner agency (ADMIN).
    #[graphql(guard = "policy::ADMINS")]
    async fn update_agency(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `UpdateAgencyInput`.")] input: UpdateAgencyInput,
    ) -> Result<AgencyPayload> {
        let id = node::decode_uuid(&input.id, "Agency", "id")?;
        let model = service::update_agency(
            &services(ctx).db,
            &actor(ctx)?,
            id,
            input.version,
            AgencyFields {
                name: input.name,
                name_en: maybe(input.name_en),
                agency_type: input.agency_type.map(Into::into),
                contact_name: maybe(input.contact_name),
                contact_email: maybe(input.contact_email),
                contact_phone: maybe(input.contact_phone),
                coverage: input.coverage_area_codes,
                active: input.active,
            },
        )
        .await?;
        Ok(AgencyPayload {
            agency: Agency(model),
        })
    }
}
