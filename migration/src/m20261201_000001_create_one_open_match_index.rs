use sea_orm_migration::{
    prelude::*,
    sea_orm::{DbBackend, Statement},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The statuses in which a match is still open (`MatchStatus::is_open`).
const OPEN: &str = "'SUGGESTED', 'OFFERED', 'ACCEPTED', 'IN_TRAINING', 'ADOPTED'";

/// Why a duplicate suggestion was closed (kept in the match's history).
const REASON: &str = "closed when one open match per household became a database rule: \
                      the household had another open match";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// A household has at most one open match, enforced by a partial unique index (same
    /// syntax on SQLite and PostgreSQL). Two concurrent matching runs could break the rule
    /// before; duplicates that are only SUGGESTED are closed first (DECLINED, with an event
    /// saying why), keeping the household's match that is furthest along, then the oldest.
    /// If a household still has two open matches past SUGGESTED, someone must choose: the
    /// migration stops and says so.
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let (new_id, now) = match manager.get_database_backend() {
            DbBackend::Postgres => ("gen_random_uuid()", "CURRENT_TIMESTAMP"),
            // Ids are 16-byte blobs and times RFC 3339 text, as the application writes them.
            _ => (
                "randomblob(16)",
                "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')",
            ),
        };
        let extra = format!(
            "SELECT id FROM (SELECT id, status, ROW_NUMBER() OVER (PARTITION BY household_id \
             ORDER BY CASE status WHEN 'ADOPTED' THEN 0 WHEN 'IN_TRAINING' THEN 1 \
             WHEN 'ACCEPTED' THEN 2 WHEN 'OFFERED' THEN 3 ELSE 4 END, created_at, id) AS n \
             FROM \"match\" WHERE status IN ({OPEN})) ranked \
             WHERE n > 1 AND status = 'SUGGESTED'"
        );
        db.execute_unprepared(&format!(
            "INSERT INTO match_event (id, match_id, from_status, to_status, reason, actor_id, \
             occurred_at) SELECT {new_id}, id, 'SUGGESTED', 'DECLINED', '{REASON}', NULL, {now} \
             FROM \"match\" WHERE id IN ({extra})"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "UPDATE \"match\" SET status = 'DECLINED', version = version + 1, \
             updated_at = {now} WHERE id IN ({extra})"
        ))
        .await?;
        let left = db
            .query_one_raw(Statement::from_string(
                manager.get_database_backend(),
                format!(
                    "SELECT COUNT(*) AS n FROM (SELECT household_id FROM \"match\" \
                     WHERE status IN ({OPEN}) GROUP BY household_id HAVING COUNT(*) > 1) d"
                ),
            ))
            .await?
            .map(|row| row.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        if left > 0 {
            return Err(DbErr::Migration(format!(
                "{left} households have more than one open match past SUGGESTED; move all but \
                 one of each household's to DROPPED or DECLINED (transitionMatch), then migrate \
                 again"
            )));
        }
        db.execute_unprepared(&format!(
            "CREATE UNIQUE INDEX idx_match_one_open ON \"match\" (household_id) \
             WHERE status IN ({OPEN})"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_match_one_open")
                    .table(Alias::new("match"))
                    .to_owned(),
            )
            .await
    }
}
