//! Live casework: referrals, cases and visits as they change, each re-read through the
//! viewer's scope (`visible_*`), so nobody is sent a record they could not query.
use async_graphql::{Context, Result, Subscription};
use futures::Stream;
use sea_orm::{ColumnTrait, QueryFilter};

use super::{
    service::{visible_cases, visible_referrals, visible_visits},
    types::{Case, Referral, Visit},
};
use crate::live::{self, Kind};

#[derive(Default)]
pub struct CaseSubscription;

#[Subscription]
impl CaseSubscription {
    /// A referral you may see was created or moved: for partner agency staff, the ones their
    /// agency sent or received; for staff, the ones of households in their areas.
    async fn referral_changed(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<Referral>>> {
        live::changes(ctx, Kind::Referral, |db, scope, ids| async move {
            let found = visible_referrals(&scope)
                .filter(entity::referral::Column::Id.is_in(ids))
                .all(&db)
                .await?;
            Ok(found.into_iter().map(|m| (m.id, Referral(m))).collect())
        })
        .await
    }

    /// A case you may see was opened or changed.
    async fn case_changed(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = Result<Case>>> {
        live::changes(ctx, Kind::Case, |db, scope, ids| async move {
            let found = visible_cases(&scope)
                .filter(entity::support_case::Column::Id.is_in(ids))
                .all(&db)
                .await?;
            Ok(found.into_iter().map(|m| (m.id, Case(m))).collect())
        })
        .await
    }

    /// A visit you may see was scheduled, completed or closed.
    async fn visit_changed(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = Result<Visit>>> {
        live::changes(ctx, Kind::Visit, |db, scope, ids| async move {
            let found = visible_visits(&scope)
                .filter(entity::visit::Column::Id.is_in(ids))
                .all(&db)
                .await?;
            Ok(found.into_iter().map(|m| (m.id, Visit(m))).collect())
        })
        .await
    }
}
