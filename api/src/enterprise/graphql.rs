use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;
use entity::{enterprise, enterprise_link};
use sea_orm::{ColumnTrait, QueryFilter};

use super::{
    loader::{EnterpriseId, LinkCountOfEnterprise, LinksOfEnterprise},
    service::{NewEnterprise, NewLink, create_enterprise, link_household, visible_enterprises},
};
use crate::{
    auth::policy::{self, identifying},
    connection,
    error::ApiError,
    graphql::{
        context::{actor, loader, scope, services},
        node,
        pagination::{Keyset, PageArgs, TotalCount, fetch_page},
    },
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
        let rows = loader(ctx)
            .load_one(LinksOfEnterprise {
                enterprise: self.0.id,
                page,
            })
            .await?;
        Ok(EnterpriseLinkConnection::from_page(
            rows.unwrap_or_default().map(EnterpriseLink),
            |l| l.0.id.to_string(),
            TotalCount::of_loader(LinkCountOfEnterprise(self.0.id)),
        ))
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
pub struct EnterpriseQuery;

#[Object]
impl EnterpriseQuery {
    /// Enterprises in your areas (ADMIN, and ANALYST without area scopes: all; agency staff:
    /// none), oldest first. An enterprise is community-level; its `links` name households and
    /// read empty for ANALYST.
    #[graphql(
        guard = "policy::SIGNED_IN",
        complexity = "PageArgs::complexity(first, last, child_complexity)"
    )]
    async fn enterprises(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only enterprises inside this area (DOPA prefix).")] area_code: Option<
            String,
        >,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<EnterpriseConnection> {
        let args = PageArgs::new(first, after, last, before)?;
        let mut select = visible_enterprises(&scope(ctx));
        if let Some(code) = area_code.as_deref().map(str::trim) {
            if code.is_empty() || code.len() > 8 || !code.chars().all(|c| c.is_ascii_digit()) {
                return Err(ApiError::bad_input("areaCode", "not a DOPA code prefix").into());
            }
            select = select.filter(enterprise::Column::AreaCode.like(format!("{code}%")));
        }
        let db = &services(ctx).db;
        let page = fetch_page(
            db,
            select.clone(),
            Keyset::uuid(enterprise::Column::Id),
            &args,
        )
        .await?;
        Ok(EnterpriseConnection::from_page(
            page.map(Enterprise),
            |e| e.0.id.to_string(),
            TotalCount::of_select(db, select),
        ))
    }
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
        let rows = loader(ctx)
            .load_one(LinksOfHousehold {
                parent: self.0.id,
                page,
            })
            .await?;
        Ok(EnterpriseLinkConnection::from_page(
            rows.unwrap_or_default().map(EnterpriseLink),
            |l| l.0.id.to_string(),
            TotalCount::of_loader(LinkCountOfHousehold(self.0.id)),
        ))
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
