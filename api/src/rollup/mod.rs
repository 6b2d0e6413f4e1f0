//! Dashboard rollups: per-area counts kept current by the writes that change them.
//!
//! (Being built under issue 10: `touch` is the one call every write that changes what a
//! household contributes makes, inside its transaction, after its own rows are written.)
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

/// Recomputes what these households contribute to the rollups and applies the difference.
/// Call it inside the write's transaction, last, after the household's rows are written.
pub async fn touch(_conn: &impl ConnectionTrait, _household_ids: &[Uuid]) -> Result<(), DbErr> {
    Ok(())
}
