//! Live imports: an import you ran finished. Imports are not stored, so the event names the
//! account that ran it, and only that account hears of it.
use async_graphql::{Context, ID, Result, SimpleObject, Subscription};
use futures::Stream;

use crate::{
    graphql::context::account,
    live::{self, Kind},
};

/// A household import finished (its totals are in the mutation's answer).
#[derive(SimpleObject, Clone)]
pub struct ImportFinished {
    /// The account that ran the import: you.
    pub account_id: ID,
}

#[derive(Default)]
pub struct HouseholdImportSubscription;

#[Subscription]
impl HouseholdImportSubscription {
    /// An import you ran finished (on any replica).
    async fn import_finished(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<ImportFinished>>> {
        let me = account(ctx)?.id;
        // The answer depends on the account, not only the scope: never shared.
        live::changes_unshared(ctx, Kind::Import, move |_db, _scope, ids| async move {
            Ok(ids
                .into_iter()
                .filter(|id| *id == me)
                .map(|id| {
                    let finished = ImportFinished {
                        account_id: crate::graphql::node::encode("Account", id),
                    };
                    (id, finished)
                })
                .collect())
        })
        .await
    }
}
