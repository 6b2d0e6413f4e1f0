use async_graphql::{Context, Enum, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::consent;

use crate::{
    agency::{
        loader::AgencyId,
        types::{Agency, AgencyType},
    },
    connection,
    graphql::{context::loader, node, pagination::PageArgs},
};

/// What a consent allows data to be used for.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::ConsentPurpose")]
pub enum ConsentPurpose {
    /// Being in the registry.
    Registration,
    /// Case management.
    CaseManagement,
    /// Referral to partner agencies.
    Referral,
    /// Research (de-identified where possible).
    Research,
}

/// State of a consent.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::ConsentStatus")]
pub enum ConsentStatus {
    /// Given.
    Given,
    /// Refused.
    Refused,
    /// Given, then withdrawn.
    Withdrawn,
    /// Past its end date.
    Expired,
}

/// Legal basis for processing (PDPA).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::LegalBasis")]
pub enum LegalBasis {
    /// The household's consent.
    Consent,
    /// A public task of the state.
    PublicTask,
    /// To protect someone's life or health.
    VitalInterest,
    /// Required by law.
    LegalObligation,
}

pub struct Consent(pub consent::Model);

fn parse<T: sea_orm::ActiveEnum<Value = String> + sea_orm::Iterable>(values: &[String]) -> Vec<T> {
    values
        .iter()
        .filter_map(|v| T::iter().find(|t| t.to_value() == *v))
        .collect()
}

/// A household's consent to share its data for some purposes with some recipients.
#[Object]
impl Consent {
    /// Global id.
    pub async fn id(&self) -> ID {
        node::encode("Consent", self.0.id)
    }

    /// What it allows.
    async fn purposes(&self) -> Vec<ConsentPurpose> {
        parse::<entity::enums::ConsentPurpose>(&self.0.purposes.0)
            .into_iter()
            .map(Into::into)
            .collect()
    }

    /// Recipients by type: any agency of these types.
    async fn recipient_agency_types(&self) -> Vec<AgencyType> {
        parse::<entity::enums::AgencyType>(&self.0.recipient_agency_types.0)
            .into_iter()
            .map(Into::into)
            .collect()
    }

    /// Recipients by name.
    async fn recipient_agencies(&self, ctx: &Context<'_>) -> Result<Vec<Agency>> {
        let mut found = loader(ctx)
            .load_many(self.0.recipient_agency_ids.0.iter().copied().map(AgencyId))
            .await?;
        Ok(self
            .0
            .recipient_agency_ids
            .0
            .iter()
            .filter_map(|id| found.remove(&AgencyId(*id)).map(Agency))
            .collect())
    }

    /// Legal basis.
    async fn legal_basis(&self) -> LegalBasis {
        self.0.legal_basis.into()
    }

    /// State.
    async fn status(&self) -> ConsentStatus {
        if self.0.status == entity::enums::ConsentStatus::Given
            && self.0.expires_at.is_some_and(|e| e <= Utc::now())
        {
            return ConsentStatus::Expired;
        }
        self.0.status.into()
    }

    /// When it was given.
    async fn given_at(&self) -> Option<DateTime<Utc>> {
        self.0.given_at
    }

    /// When it ends.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }

    /// When it was withdrawn.
    async fn withdrawn_at(&self) -> Option<DateTime<Utc>> {
        self.0.withdrawn_at
    }

    /// When it was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

connection!(ConsentConnection, ConsentEdge, Consent, "consents");

/// A household's consent records.
pub struct ConsentsOfHousehold(pub std::sync::Arc<entity::household::Model>);

/// A household's consent records.
#[Object]
impl ConsentsOfHousehold {
    /// Consent records, oldest first.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn consents(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<ConsentConnection> {
        let page = PageArgs::new(first, after, last, before)?;
        ConsentConnection::of_children(
            ctx,
            super::loader::ConsentsOf {
                parent: self.0.id,
                page,
            },
            super::loader::ConsentCount(self.0.id),
            Consent,
            |c| c.0.id.to_string(),
        )
        .await
    }
}

crate::node_by_loader!(
    Consent,
    "Consent",
    super::loader::ConsentId,
    Consent,
    crate::auth::policy::HOUSEHOLD_READERS
);
