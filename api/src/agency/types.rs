use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::agency;

use super::loader::AgencyCoverage;
use crate::{
    account::{
        loader::{AccountCountOfAgency, AccountsOfAgency},
        types::{Account, AccountConnection},
    },
    area::{loader::AreaCode, types::Area},
    connection,
    graphql::{context::loader, node, pagination::PageArgs},
};

/// Kind of partner agency.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::enums::AgencyType")]
pub enum AgencyType {
    /// Central government department.
    CentralGov,
    /// Provincial government office.
    ProvincialGov,
    /// Local government organisation (อปท.).
    LocalGov,
    /// University (e.g. an RMUT campus).
    University,
    /// State enterprise.
    StateEnterprise,
    /// Private company.
    Private,
    /// Non-governmental organisation.
    Ngo,
    /// Community organisation.
    CommunityOrg,
}

/// How to reach an agency.
#[derive(SimpleObject)]
pub struct AgencyContact {
    /// Contact person.
    pub name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
}

/// A partner agency.
pub struct Agency(pub agency::Model);

/// A partner agency: a university, government office, NGO or other organisation that offers
/// technologies or services to households.
#[Object]
impl Agency {
    /// Global id.
    pub async fn id(&self) -> ID {
        node::encode("Agency", self.0.id)
    }

    /// Name (usually Thai).
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// English name.
    async fn name_en(&self) -> Option<&str> {
        self.0.name_en.as_deref()
    }

    /// Kind of agency.
    #[graphql(name = "type")]
    async fn agency_type(&self) -> AgencyType {
        self.0.agency_type.into()
    }

    /// Contact details.
    async fn contact(&self) -> AgencyContact {
        AgencyContact {
            name: self.0.contact_name.clone(),
            email: self.0.contact_email.clone(),
            phone: self.0.contact_phone.clone(),
        }
    }

    /// Whether the agency is active.
    async fn active(&self) -> bool {
        self.0.active
    }

    /// Optimistic-locking version; pass it back in `updateAgency`.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// Areas the agency works in (at most 500, set by ADMIN); empty means nationwide.
    async fn coverage(&self, ctx: &Context<'_>) -> Result<Vec<Area>> {
        let loader = loader(ctx);
        let codes = loader
            .load_one(AgencyCoverage(self.0.id))
            .await?
            .unwrap_or_default();
        let mut areas = loader.load_many(codes.into_iter().map(AreaCode)).await?;
        let mut out: Vec<Area> = areas.drain().map(|(_, a)| Area(a)).collect();
        out.sort_by(|a, b| a.0.code.cmp(&b.0.code));
        Ok(out)
    }

    /// The agency's accounts that you may see (ADMIN: all; agency staff: their colleagues).
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn accounts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (1–100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> Result<AccountConnection> {
        let page = PageArgs::new(first, after, last, before)?;
        AccountConnection::of_children(
            ctx,
            AccountsOfAgency {
                agency: self.0.id,
                page,
            },
            AccountCountOfAgency(self.0.id),
            Account,
            |a| a.0.id.to_string(),
        )
        .await
    }

    /// When the agency was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the agency was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

connection!(AgencyConnection, AgencyEdge, Agency, "partner agencies");

crate::node_by_loader!(Agency, "Agency", crate::agency::loader::AgencyId, Agency);
