use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;

use super::{
    service::{NewEnterprise, NewLink, create_enterprise, link_household},
    types::{Enterprise, EnterpriseKind, EnterpriseLink, EnterpriseRole},
};
use crate::{
    auth::policy,
    error::ApiError,
    graphql::{
        context::{actor, scope, services},
        node,
    },
};

/// A new enterprise.
#[derive(InputObject)]
pub struct CreateEnterpriseInput {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: EnterpriseKind,
    /// Where it is (DOPA code, inside your areas).
    pub area_code: String,
    /// The value chain.
    pub value_chain: Option<String>,
    /// Description.
    pub description: Option<String>,
}

/// Links a household to an enterprise.
#[derive(InputObject)]
pub struct LinkHouseholdToEnterpriseInput {
    /// The enterprise.
    pub enterprise_id: ID,
    /// The household (in your areas).
    pub household_id: ID,
    /// Its part.
    pub role: EnterpriseRole,
    /// Income through the enterprise per month, baht: 0 to 10,000,000.
    pub monthly_income: f64,
    /// Since when.
    pub started_on: Option<NaiveDate>,
}

/// The enterprise a mutation wrote.
#[derive(SimpleObject)]
pub struct EnterprisePayload {
    /// The enterprise.
    pub enterprise: Enterprise,
}

/// The link a mutation wrote.
#[derive(SimpleObject)]
pub struct EnterpriseLinkPayload {
    /// The link.
    pub link: EnterpriseLink,
}

#[derive(Default)]
pub struct EnterpriseMutation;

#[Object]
impl EnterpriseMutation {
    /// Adds an enterprise (ADMIN; COORDINATOR inside their areas).
    #[graphql(guard = "policy::COORDINATORS")]
    async fn create_enterprise(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `CreateEnterpriseInput`.")]
        input: CreateEnterpriseInput,
    ) -> Result<EnterprisePayload> {
        let model = create_enterprise(
            &services(ctx).db,
            &scope(ctx),
            &actor(ctx)?,
            NewEnterprise {
                name: input.name,
                kind: input.kind.into(),
                area_code: input.area_code,
                value_chain: input.value_chain,
                description: input.description,
            },
        )
        .await?;
        Ok(EnterprisePayload {
            enterprise: Enterprise(model),
        })
    }

    /// Links a household to an enterprise (ADMIN, COORDINATOR, SURVEYOR in their areas).
    #[graphql(guard = "policy::FIELD_STAFF")]
    async fn link_household_to_enterprise(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `LinkHouseholdToEnterpriseInput`.")]
        input: LinkHouseholdToEnterpriseInput,
    ) -> Result<EnterpriseLinkPayload> {
        if !input.monthly_income.is_finite() {
            return Err(ApiError::bad_input("monthlyIncome", "not a number").into());
        }
        let model = link_household(
            &services(ctx).db,
            &scope(ctx),
            &actor(ctx)?,
            NewLink {
                enterprise_id: node::decode_uuid(
                    &input.enterprise_id,
                    "Enterprise",
                    "enterpriseId",
                )?,
                household_id: node::decode_uuid(&input.household_id, "Household", "householdId")?,
                role: input.role.into(),
                monthly_income_satang: (input.monthly_income * 100.0).round() as i64,
                started_on: input.started_on,
            },
        )
        .await?;
        Ok(EnterpriseLinkPayload {
            link: EnterpriseLink(model),
        })
    }
}
