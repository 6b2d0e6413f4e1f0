use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `(table, event kind, trigger events)`: the writes that send live events
/// (`api/src/live/`, `docs/subscriptions.md`).
const NOTIFYING: &[(&str, &str, &str)] = &[
    ("referral", "referral", "INSERT OR UPDATE"),
    ("support_case", "case", "INSERT OR UPDATE"),
    ("visit", "visit", "INSERT OR UPDATE"),
    ("match", "match", "INSERT OR UPDATE"),
    ("account", "account", "UPDATE"),
];

/// Live events on PostgreSQL, sent by triggers with `pg_notify` so they go out with the commit
/// of the write that caused them (and never for a rolled-back one), whatever the write path:
/// resolvers, `runMatching`, imports, the demo seeder, the CLI. Payload: ids only —
/// `<kind>:<id>:<village code>:<agency>,<agency>` for records (routing ids for the
/// subscriptions' pre-filter), `account:<id>` when an account changed or one of its sessions
/// was revoked. SQLite has no notification channel: its events are published in-process by
/// the resolvers after their commit, so there is nothing to create there.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE FUNCTION live_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                kind text := TG_ARGV[0];
                area text;
                agencies text := '';
                payload text;
            BEGIN
                IF kind = 'account' THEN
                    IF TG_TABLE_NAME = 'auth_session' THEN
                        PERFORM pg_notify('ppaos_live', 'account:' || NEW.account_id);
                    ELSE
                        PERFORM pg_notify('ppaos_live', 'account:' || NEW.id);
                    END IF;
                    RETURN NULL;
                END IF;
                SELECT h.village_code INTO area FROM household h WHERE h.id = NEW.household_id;
                IF kind = 'referral' THEN
                    agencies := concat_ws(',', NEW.to_agency_id, NEW.from_agency_id);
                ELSIF kind = 'case' THEN
                    SELECT coalesce(string_agg(DISTINCT a::text, ','), '') INTO agencies FROM (
                        SELECT NEW.owner_agency_id AS a
                        UNION ALL SELECT r.to_agency_id FROM referral r WHERE r.case_id = NEW.id
                        UNION ALL SELECT r.from_agency_id FROM referral r WHERE r.case_id = NEW.id
                    ) parties WHERE a IS NOT NULL;
                ELSIF kind = 'match' THEN
                    agencies := NEW.delivering_agency_id::text;
                END IF;
                payload := kind || ':' || NEW.id || ':' || coalesce(area, '') || ':' || agencies;
                -- NOTIFY payloads stop at 8000 bytes: without routing ids, every subscriber
                -- of the kind re-reads (correct, only dearer).
                IF octet_length(payload) > 7900 THEN
                    payload := kind || ':' || NEW.id;
                END IF;
                PERFORM pg_notify('ppaos_live', payload);
                RETURN NULL;
            END $$;",
        )
        .await?;
        for (table, kind, events) in NOTIFYING {
            db.execute_unprepared(&format!(
                "CREATE TRIGGER live_notify_{table} AFTER {events} ON \"{table}\" \
                 FOR EACH ROW EXECUTE FUNCTION live_notify('{kind}')"
            ))
            .await?;
        }
        // A revoked session (logout, password reset, deactivation, role or scope change,
        // refresh-token reuse): the account's open connections close at once.
        db.execute_unprepared(
            "CREATE TRIGGER live_notify_auth_session AFTER UPDATE OF revoked_at ON auth_session \
             FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL) \
             EXECUTE FUNCTION live_notify('account')",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for table in NOTIFYING.iter().map(|(t, _, _)| *t).chain(["auth_session"]) {
            db.execute_unprepared(&format!(
                "DROP TRIGGER IF EXISTS live_notify_{table} ON \"{table}\""
            ))
            .await?;
        }
        db.execute_unprepared("DROP FUNCTION IF EXISTS live_notify()")
            .await?;
        Ok(())
    }
}
