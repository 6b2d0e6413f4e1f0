//! Small accessors for what a resolver reads from the request context.
use async_graphql::Context;

use crate::{
    audit::service::Actor,
    auth::{AccountViewer, Scope, Viewer, viewer::RequestInfo},
    error::ApiResult,
    state::{Services, SharedServices},
};

/// The request's DataLoader.
pub fn loader<'a>(ctx: &'a Context<'_>) -> &'a std::sync::Arc<crate::graphql::loaders::AppLoader> {
    ctx.data_unchecked::<std::sync::Arc<crate::graphql::loaders::AppLoader>>()
}

pub fn services<'a>(ctx: &'a Context<'_>) -> &'a Services {
    ctx.data_unchecked::<SharedServices>()
}

pub fn viewer<'a>(ctx: &'a Context<'_>) -> &'a Viewer {
    ctx.data_unchecked::<Viewer>()
}

pub fn scope(ctx: &Context<'_>) -> Scope {
    Scope::for_viewer(viewer(ctx))
}

pub fn request_id<'a>(ctx: &'a Context<'_>) -> &'a str {
    ctx.data_opt::<RequestInfo>()
        .map(|r| r.request_id.as_str())
        .unwrap_or("-")
}

/// The signed-in account (or UNAUTHENTICATED).
pub fn account<'a>(ctx: &'a Context<'_>) -> ApiResult<&'a AccountViewer> {
    viewer(ctx).account()
}

/// The signed-in account as the actor of a write.
pub fn actor(ctx: &Context<'_>) -> ApiResult<Actor> {
    Ok(Actor::account(account(ctx)?, request_id(ctx)))
}
