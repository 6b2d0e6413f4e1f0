//! Relay object identification: `node(id:)` and `nodes(ids:)`. Each type resolves through the
//! same scoped loaders as its typed fields, so `node` can never see more than they do.
use async_graphql::{Context, ID, Interface, Object, Result};
use entity::{audit_event, enums::Role};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    account::{loader::AccountId, types::Account},
    agency::{loader::AgencyId, types::Agency},
    area::{loader::AreaCode, types::Area},
    audit::types::AuditEvent,
    auth::Scope,
    error::ApiError,
    graphql::{
        context::{loader, services, viewer},
        node,
    },
    household::{
        duplicates::visible_duplicates,
        loader::HouseholdId,
        service::find_person,
        types::{Household, Person, PotentialDuplicate},
    },
};

/// An object with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global id."))]
pub enum Node {
    Account(Account),
    Agency(Agency),
    Area(Area),
    AuditEvent(AuditEvent),
    Household(Household),
    Person(Person),
    PotentialDuplicate(PotentialDuplicate),
    Assessment(crate::assessment::types::Assessment),
    Technology(crate::catalogue::types::Technology),
    Service(crate::catalogue::types::Service),
    Match(crate::matching::types::Match),
    MatchingRun(crate::matching::types::MatchingRun),
    Enterprise(crate::enterprise::graphql::Enterprise),
}

async fn resolve(ctx: &Context<'_>, id: &ID) -> Result<Option<Node>> {
    let viewer = viewer(ctx);
    if viewer.role().is_none() {
        return Err(ApiError::Unauthenticated("sign in first".into()).into());
    }
    let Some((type_name, key)) = node::decode(id) else {
        return Err(ApiError::bad_input("id", "not a valid id").into());
    };
    let uuid = || Uuid::parse_str(&key).ok();
    let loader = loader(ctx);
    Ok(match type_name.as_str() {
        "Account" => match uuid() {
            Some(u) => loader
                .load_one(AccountId(u))
                .await?
                .map(|m| Node::Account(Account(m))),
            None => None,
        },
        "Agency" => match uuid() {
            Some(u) => loader
                .load_one(AgencyId(u))
                .await?
                .map(|m| Node::Agency(Agency(m))),
            None => None,
        },
        "Area" => loader
            .load_one(AreaCode(key))
            .await?
            .map(|m| Node::Area(Area(m))),
        "AuditEvent" if viewer.is_admin() => match uuid() {
            Some(u) => audit_event::Entity::find_by_id(u)
                .one(&services(ctx).db)
                .await
                .map_err(ApiError::from)?
                .map(|m| Node::AuditEvent(AuditEvent(m))),
            None => None,
        },
        "Household" => match uuid() {
            Some(u) => loader
                .load_one(HouseholdId(u))
                .await?
                .map(|m| Node::Household(Household(m))),
            None => None,
        },
        "Person" => match uuid() {
            Some(u) => match find_person(&services(ctx).db, &Scope::for_viewer(viewer), u).await {
                Ok(p) => Some(Node::Person(Person(p))),
                Err(ApiError::NotFound(_)) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        },
        "PotentialDuplicate" if matches!(viewer.role(), Some(Role::Admin | Role::Coordinator)) => {
            match uuid() {
                Some(u) => visible_duplicates(&Scope::for_viewer(viewer))
                    .filter(entity::potential_duplicate::Column::Id.eq(u))
                    .one(&services(ctx).db)
                    .await
                    .map_err(ApiError::from)?
                    .map(|m| Node::PotentialDuplicate(PotentialDuplicate(m))),
                None => None,
            }
        }
        "Assessment" => match uuid() {
            Some(u) => match crate::assessment::service::find_visible(
                &services(ctx).db,
                &Scope::for_viewer(viewer),
                u,
            )
            .await
            {
                Ok(a) => Some(Node::Assessment(crate::assessment::types::Assessment(a))),
                Err(ApiError::NotFound(_)) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        },
        "Technology" => match uuid() {
            Some(u) => loader
                .load_one(crate::matching::loader::TechnologyId(u))
                .await?
                .map(|t| Node::Technology(crate::catalogue::types::Technology(t))),
            None => None,
        },
        "Service" => match uuid() {
            Some(u) => entity::service::Entity::find_by_id(u)
                .one(&services(ctx).db)
                .await
                .map_err(ApiError::from)?
                .map(|s| Node::Service(crate::catalogue::types::Service(s))),
            None => None,
        },
        "Match" => match uuid() {
            Some(u) => {
                crate::matching::service::visible_matches(viewer, &Scope::for_viewer(viewer))
                    .filter(entity::r#match::Column::Id.eq(u))
                    .one(&services(ctx).db)
                    .await
                    .map_err(ApiError::from)?
                    .map(|m| Node::Match(crate::matching::types::Match(m)))
            }
            None => None,
        },
        "MatchingRun" if matches!(viewer.role(), Some(Role::Admin | Role::Coordinator)) => {
            match uuid() {
                Some(u) => entity::matching_run::Entity::find_by_id(u)
                    .one(&services(ctx).db)
                    .await
                    .map_err(ApiError::from)?
                    .filter(|r| Scope::for_viewer(viewer).contains_area(&r.area_code))
                    .map(|r| Node::MatchingRun(crate::matching::types::MatchingRun(r))),
                None => None,
            }
        }
        "Enterprise" => match uuid() {
            Some(u) => loader
                .load_one(crate::enterprise::loader::EnterpriseId(u))
                .await?
                .map(|e| Node::Enterprise(crate::enterprise::graphql::Enterprise(e))),
            None => None,
        },
        _ => None,
    })
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global id; null when it does not exist or you may not see it.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id.")] id: ID,
    ) -> Result<Option<Node>> {
        resolve(ctx, &id).await
    }

    /// Several objects by global id (at most 100), in the order asked; null for each one that
    /// does not exist or you may not see.
    #[graphql(complexity = "ids.len() * child_complexity + 1")]
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
