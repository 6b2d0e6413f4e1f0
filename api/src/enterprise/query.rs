use async_graphql::{Context, Object, Result};
use entity::enterprise;

use super::{
    service::list_enterprises,
    types::{Enterprise, EnterpriseConnection},
};
use crate::{
    auth::policy,
    graphql::{
        context::{scope, services},
        pagination::{Keyset, PageArgs},
    },
};

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
        let select = list_enterprises(&scope(ctx), area_code.as_deref())?;
        Ok(EnterpriseConnection::of_select(
            &services(ctx).db,
            select,
            Keyset::uuid(enterprise::Column::Id),
            &args,
            Enterprise,
            |e| e.0.id.to_string(),
        )
        .await?)
    }
}
