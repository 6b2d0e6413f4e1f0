use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::{
    service::{NewConsent, record_consent, withdraw_consent},
    types::{Consent, ConsentPurpose, ConsentStatus, LegalBasis},
};
use crate::{
    agency::types::AgencyType,
    auth::policy,
    graphql::{
        context::{actor, scope, services},
        node,
    },
};

/// A consent given (or refused) by a household.
#[derive(InputObject)]
pub struct RecordConsentInput {
    /// The household.
    pub household_id: ID,
    /// What it allows.
    pub purposes: Vec<ConsentPurpose>,
    /// Recipients by type.
    #[graphql(default)]
    pub recipient_agency_types: Vec<AgencyType>,
    /// Recipients by name.
    #[graphql(default)]
    pub recipient_agency_ids: Vec<ID>,
    /// Legal basis.
    pub legal_basis: LegalBasis,
    /// GIVEN or REFUSED.
    pub status: ConsentStatus,
    /// When it was given (required for GIVEN).
    pub given_at: Option<DateTime<Utc>>,
    /// When it ends.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Names one consent.
#[derive(InputObject)]
pub struct WithdrawConsentInput {
    /// The consent.
    pub id: ID,
}

/// The consent a mutation wrote.
#[derive(SimpleObject)]
pub struct ConsentPayload {
    /// The consent after the change.
    pub consent: Consent,
}

#[derive(Default)]
pub struct ConsentMutation;

#[Object]
impl ConsentMutation {
    /// Records a household's consent (ADMIN, COORDINATOR, SURVEYOR in their areas).
    #[graphql(guard = "policy::FIELD_STAFF")]
    async fn record_consent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `RecordConsentInput`.")] input: RecordConsentInput,
    ) -> Result<ConsentPayload> {
        let household_id = node::decode_uuid(&input.household_id, "Household", "householdId")?;
        let mut agencies = Vec::new();
        for (i, id) in input.recipient_agency_ids.iter().enumerate() {
            agencies.push(node::decode_uuid(
                id,
                "Agency",
                &format!("recipientAgencyIds[{i}]"),
            )?);
        }
        if matches!(
            input.status,
            ConsentStatus::Withdrawn | ConsentStatus::Expired
        ) {
            return Err(crate::error::ApiError::bad_input(
                "status",
                "record GIVEN or REFUSED; withdraw with withdrawConsent",
            )
            .into());
        }
        let model = record_consent(
            &services(ctx).db,
            &scope(ctx),
            &actor(ctx)?,
            NewConsent {
                household_id,
                purposes: input.purposes.into_iter().map(Into::into).collect(),
                recipient_agency_types: input
                    .recipient_agency_types
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                recipient_agency_ids: agencies,
                legal_basis: input.legal_basis.into(),
                status: input.status.into(),
                given_at: input.given_at,
                expires_at: input.expires_at,
            },
        )
        .await?;
        Ok(ConsentPayload {
            consent: Consent(model),
        })
    }

    /// Withdraws a given consent (ADMIN, COORDINATOR, SURVEYOR in their areas).
    #[graphql(guard = "policy::FIELD_STAFF")]
    async fn withdraw_consent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `WithdrawConsentInput`.")] input: WithdrawConsentInput,
    ) -> Result<ConsentPayload> {
        let id = node::decode_uuid(&input.id, "Consent", "id")?;
        let model = withdraw_consent(&services(ctx).db, &scope(ctx), &actor(ctx)?, id).await?;
        Ok(ConsentPayload {
            consent: Consent(model),
        })
    }
}
