//! Relay object identification: `node(id:)` and `nodes(ids:)`. Each type resolves through its
//! `NodeType::load`, the same path as its typed field, so `node` never sees more than it does.
//! The types are listed in `graphql::schema` (`Node`).
use async_graphql::{Context, ID, Object, Result};

use crate::{
    auth::policy,
    error::ApiError,
    graphql::{context::viewer, node, schema::Node},
};

async fn resolve(ctx: &Context<'_>, id: &ID) -> Result<Option<Node>> {
    if viewer(ctx).role().is_none() {
        return Err(ApiError::Unauthenticated("sign in first".into()).into());
    }
    let Some((type_name, key)) = node::decode(id) else {
        return Err(ApiError::bad_input("id", "not a valid id").into());
    };
    Node::load(ctx, &type_name, &key).await
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global id; null when it does not exist or you may not see it.
    #[graphql(guard = "policy::SIGNED_IN")]
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id.")] id: ID,
    ) -> Result<Option<Node>> {
        resolve(ctx, &id).await
    }

    /// Several objects by global id (at most 100), in the order asked; null for each one that
    /// does not exist or you may not see.
    #[graphql(
        guard = "policy::SIGNED_IN",
        complexity = "ids.len() * child_complexity + 1"
    )]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids.")] ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        if ids.len() > 100 {
            return Err(ApiError::bad_input("ids", "at most 100 ids").into());
        }
        let lookups = ids.iter().map(|id| resolve(ctx, id));
        futures::future::try_join_all(lookups).await
    }
}
