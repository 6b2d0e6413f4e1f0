//! Live matches: a match you may see was suggested or moved (re-read through
//! `visible_matches`).
use async_graphql::{Context, Result, Subscription};
use futures::Stream;
use sea_orm::{ColumnTrait, QueryFilter};

use super::{service::visible_matches, types::Match};
use crate::live::{self, Kind};

#[derive(Default)]
pub struct MatchSubscription;

#[Subscription]
impl MatchSubscription {
    /// A match you may see was suggested or moved to another status.
    async fn match_moved(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = Result<Match>>> {
        live::changes(ctx, Kind::Match, |db, scope, ids| async move {
            let found = visible_matches(&scope)
                .filter(entity::r#match::Column::Id.is_in(ids))
                .all(&db)
                .await?;
            Ok(found.into_iter().map(|m| (m.id, Match::new(m))).collect())
        })
        .await
    }
}
