//! The GraphQL types of enterprises and their links to households.
use async_graphql::{Context, Enum, ID, Object, Result};
use chrono::NaiveDate;
use entity::{enterprise, enterprise_link};

use super::loader::{EnterpriseId, LinkCountOfEnterprise, LinksOfEnterprise};
use crate::{
    auth::policy::identifying,
    connection,
    graphql::{context::loader, node, pagination::PageArgs},
    household::{loader::HouseholdId, types::Household},
};

/// Kind of enterprise.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::EnterpriseKind")]
pub enum EnterpriseKind {
    /// Community enterprise (วิสาหกิจชุมชน).
    CommunityEnterprise,
    /// Cooperative.
    Cooperative,
    /// Social enterprise.
    SocialEnterprise,
    /// Small or medium business.
    Sme,
    /// Anything else.
    Other,
}

/// A household's part in an enterprise's value chain.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::EnterpriseRole")]
pub enum EnterpriseRole {
    /// Produces what the enterprise sells.
    Producer,
    /// Works there.
    Worker,
    /// Supplies inputs.
    Supplier,
}

pub struct Enterprise(pub enterprise::Model);

/// A local business or community enterprise in a value chain. Visible to viewers whose areas
/// contain it (ADMIN: all). Community-level, so ANALYST reads it too, but not its `links`
/// (they name households) nor its description (free text that often names a household).
#[Object]
impl Enterprise {
    /// Global id.
    pub async fn id(&self) -> ID {
        node::encode("Enterprise", self.0.id)
    }

    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Kind.
    async fn kind(&self) -> EnterpriseKind {
        self.0.kind.into()
    }

    /// Where it is (DOPA code).
    async fn area_code(&self) -> &str {
        &self.0.area_code
    }

    /// The value chain (e.g. "rice", "silk").
    async fn value_chain(&self) -> Option<&str> {
        self.0.value_chain.as_deref()
    }

    /// Description (free text: it may name the people who run it or where they live).
    async fn description(&self, ctx: &Context<'_>) -> Option<&str> {
        identifying(ctx, self.0.description.as_deref())
    }

    /// Links of households in your areas, oldest first.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn links(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<EnterpriseLinkConnection> {
        let page = PageArgs::new(first, after, last, before)?;
        EnterpriseLinkConnection::of_children(
            ctx,
            LinksOfEnterprise {
                parent: self.0.id,
                page,
            },
            LinkCountOfEnterprise(self.0.id),
            EnterpriseLink,
            |l| l.0.id.to_string(),
        )
        .await
    }
}

connection!(
    EnterpriseConnection,
    EnterpriseEdge,
    Enterprise,
    "enterprises"
);

pub struct EnterpriseLink(pub enterprise_link::Model);

/// A household's part in an enterprise, and what it earns there.
#[Object]
impl EnterpriseLink {
    /// Global id.
    pub async fn id(&self) -> ID {
        node::encode("EnterpriseLink", self.0.id)
    }

    /// The enterprise.
    async fn enterprise(&self, ctx: &Context<'_>) -> Result<Option<Enterprise>> {
        Ok(loader(ctx)
            .load_one(EnterpriseId(self.0.enterprise_id))
            .await?
            .map(Enterprise))
    }

    /// The household (null when you may not see it).
    async fn household(&self, ctx: &Context<'_>) -> Result<Option<Household>> {
        Ok(loader(ctx)
            .load_one(HouseholdId(self.0.household_id))
            .await?
            .map(Household::new))
    }

    /// Its part.
    async fn role(&self) -> EnterpriseRole {
        self.0.role.into()
    }

    /// Income through the enterprise per month, baht.
    async fn monthly_income(&self) -> f64 {
        self.0.monthly_income_satang as f64 / 100.0
    }

    /// Since when.
    async fn started_on(&self) -> Option<NaiveDate> {
        self.0.started_on
    }

    /// Until when (null while current).
    async fn ended_on(&self) -> Option<NaiveDate> {
        self.0.ended_on
    }
}

connection!(
    EnterpriseLinkConnection,
    EnterpriseLinkEdge,
    EnterpriseLink,
    "enterprise links"
);

/// The enterprises a household is linked to.
pub struct EnterprisesOfHousehold(pub std::sync::Arc<entity::household::Model>);

/// The enterprises a household is linked to.
#[Object]
impl EnterprisesOfHousehold {
    /// Enterprises the household produces for, works at or supplies, oldest link first.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn enterprises(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<EnterpriseLinkConnection> {
        use super::loader::{LinkCountOfHousehold, LinksOfHousehold};
        let page = PageArgs::new(first, after, last, before)?;
        EnterpriseLinkConnection::of_children(
            ctx,
            LinksOfHousehold {
                parent: self.0.id,
                page,
            },
            LinkCountOfHousehold(self.0.id),
            EnterpriseLink,
            |l| l.0.id.to_string(),
        )
        .await
    }
}

crate::node_by_loader!(Enterprise, "Enterprise", EnterpriseId, Enterprise);
// A link names a household: not for ANALYST (the enterprise itself is community-level).
crate::node_by_loader!(
    EnterpriseLink,
    "EnterpriseLink",
    super::loader::EnterpriseLinkId,
    EnterpriseLink,
    crate::auth::policy::HOUSEHOLD_READERS
);
