use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A province's rollups changed: `rollup:<province code>` on the `ppaos_live` channel with the
/// commit of every write that bumps (or removes) the province's `_version` row in
/// `area_rollup`, whoever writes. Replicas keep the versions they read and drop a province's
/// when this arrives (`api/src/rollup/kept.rs`). PostgreSQL only: SQLite has no channel and
/// keeps nothing.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE FUNCTION rollup_version_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    PERFORM pg_notify('ppaos_live', 'rollup:' || OLD.area_code);
                ELSE
                    PERFORM pg_notify('ppaos_live', 'rollup:' || NEW.area_code);
                END IF;
                RETURN NULL;
            END $$",
        )
        .await?;
        db.execute_unprepared(
            "CREATE TRIGGER rollup_version_notify AFTER INSERT OR UPDATE ON area_rollup \
             FOR EACH ROW WHEN (NEW.metric = '_version') \
             EXECUTE FUNCTION rollup_version_notify()",
        )
        .await?;
        db.execute_unprepared(
            "CREATE TRIGGER rollup_version_notify_delete AFTER DELETE ON area_rollup \
             FOR EACH ROW WHEN (OLD.metric = '_version') \
             EXECUTE FUNCTION rollup_version_notify()",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for trigger in ["rollup_version_notify", "rollup_version_notify_delete"] {
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {trigger} ON area_rollup"))
                .await?;
        }
        db.execute_unprepared("DROP FUNCTION IF EXISTS rollup_version_notify()")
            .await?;
        Ok(())
    }
}
