use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The client's capture time next to the server's in the audit log, and what pruning needs
/// (`api/src/maintenance.rs`, docs/operations.md "Retention"):
/// - `audit_event.captured_at`: `capturedAt` of the write (the client's clock).
/// - `change_log_mark`: the log position at a point in time (taken by each pruning pass), so a
///   pass knows which rows are older than the retention without a time on every log row.
/// - `change_log_horizon`: one row, the position below which rows of deleted records were
///   pruned and a generation counted up by every batch that pruned some; a sync cursor issued
///   in an older generation and behind that position must resync from null.
/// - `persisted_query.last_used_at`: to drop texts nobody used for a while.
/// - indexes for the bounded DELETE batches.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (table, column) in [
            ("audit_event", "captured_at"),
            ("persisted_query", "last_used_at"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .add_column(
                            ColumnDef::new(Alias::new(column))
                                .timestamp_with_time_zone()
                                .null(),
                        )
                        .to_owned(),
                )
                .await?;
        }
        db.execute_unprepared("UPDATE persisted_query SET last_used_at = created_at")
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("change_log_mark"))
                    .col(
                        ColumnDef::new(Alias::new("id"))
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Alias::new("taken_at"))
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Alias::new("xid")).big_integer().not_null())
                    .col(ColumnDef::new(Alias::new("seq")).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "CREATE TABLE change_log_horizon (
                id integer PRIMARY KEY,
                xid bigint NOT NULL,
                seq bigint NOT NULL,
                generation bigint NOT NULL
            )",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO change_log_horizon (id, xid, seq, generation) VALUES (1, 0, 0, 0)",
        )
        .await?;
        for sql in [
            "CREATE INDEX idx_change_log_record ON change_log (entity, record_id, seq)",
            "CREATE INDEX idx_change_log_deleted ON change_log (seq) WHERE op = 'D'",
            "CREATE INDEX idx_change_log_mark_taken_at ON change_log_mark (taken_at)",
            "CREATE INDEX idx_idempotency_key_created_at ON idempotency_key (created_at)",
            "CREATE INDEX idx_persisted_query_last_used_at ON persisted_query (last_used_at)",
            "CREATE INDEX idx_request_budget_window_start ON request_budget (window_start)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in [
            "DROP INDEX IF EXISTS idx_request_budget_window_start",
            "DROP INDEX IF EXISTS idx_persisted_query_last_used_at",
            "DROP INDEX IF EXISTS idx_idempotency_key_created_at",
            "DROP INDEX IF EXISTS idx_change_log_record",
            "DROP INDEX IF EXISTS idx_change_log_deleted",
            "DROP TABLE IF EXISTS change_log_horizon",
            "DROP TABLE IF EXISTS change_log_mark",
            "ALTER TABLE persisted_query DROP COLUMN last_used_at",
            "ALTER TABLE audit_event DROP COLUMN captured_at",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
