use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `(table, type logged for the row itself, household column also logged as a Household
/// change)`: what delta sync (`api/src/sync/`, `docs/sync.md`) tracks. Writes to consents,
/// grants, referrals, owned cases and matches change which households a partner agency sees,
/// so they log the household too.
const TRACKED: &[(&str, Option<&str>, Option<&str>)] = &[
    ("household", Some("Household"), None),
    ("person", Some("Person"), None),
    ("membership", Some("Membership"), None),
    ("assessment", Some("Assessment"), None),
    ("support_case", Some("Case"), Some("household_id")),
    ("referral", Some("Referral"), Some("household_id")),
    ("visit", Some("Visit"), None),
    ("match", Some("Match"), Some("household_id")),
    ("consent", None, Some("household_id")),
    ("consent_grant", None, Some("household_id")),
];

/// The change log of delta sync, written by database triggers on every tracked table so no
/// write path can forget it. PostgreSQL: each row carries the id of its transaction
/// (`pg_current_xact_id()`, xid8) so a reader can return only rows of finished transactions in
/// (xid, seq) order; SQLite has one writer at a time, so `seq` is commit order.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE TABLE change_log (
                        seq bigserial PRIMARY KEY,
                        xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
                        entity varchar(16) NOT NULL,
                        record_id uuid NOT NULL,
                        op char(1) NOT NULL
                    );
                    CREATE INDEX idx_change_log_xid_seq ON change_log (xid, seq);
                    CREATE FUNCTION change_log_write() RETURNS trigger LANGUAGE plpgsql AS $$
                    DECLARE
                        r record;
                        o char(1) := left(TG_OP, 1);
                    BEGIN
                        IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
                        IF TG_ARGV[0] <> '' THEN
                            INSERT INTO change_log (entity, record_id, op)
                            VALUES (TG_ARGV[0], r.id, o);
                        END IF;
                        IF TG_ARGV[1] <> '' THEN
                            INSERT INTO change_log (entity, record_id, op)
                            VALUES ('Household', (to_jsonb(r) ->> TG_ARGV[1])::uuid, 'U');
                            IF TG_OP = 'UPDATE' AND (to_jsonb(OLD) ->> TG_ARGV[1])
                                IS DISTINCT FROM (to_jsonb(NEW) ->> TG_ARGV[1]) THEN
                                INSERT INTO change_log (entity, record_id, op)
                                VALUES ('Household', (to_jsonb(OLD) ->> TG_ARGV[1])::uuid, 'U');
                            END IF;
                        END IF;
                        RETURN NULL;
                    END $$;",
                )
                .await?;
                for (table, entity, household) in TRACKED {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER change_log_{table} AFTER INSERT OR UPDATE OR DELETE \
                         ON \"{table}\" FOR EACH ROW EXECUTE FUNCTION change_log_write('{}', '{}')",
                        entity.unwrap_or(""),
                        household.unwrap_or("")
                    ))
                    .await?;
                }
            }
            _ => {
                // Same column type as the tracked ids, so they compare and decode alike.
                db.execute_unprepared(
                    "CREATE TABLE change_log (
                        seq integer PRIMARY KEY AUTOINCREMENT,
                        entity varchar(16) NOT NULL,
                        record_id uuid_text NOT NULL,
                        op char(1) NOT NULL
                    )",
                )
                .await?;
                for (table, entity, household) in TRACKED {
                    for (event, op, row) in [
                        ("INSERT", "I", "NEW"),
                        ("UPDATE", "U", "NEW"),
                        ("DELETE", "D", "OLD"),
                    ] {
                        let mut body = String::new();
                        if let Some(entity) = entity {
                            body.push_str(&format!(
                                "INSERT INTO change_log (entity, record_id, op) \
                                 VALUES ('{entity}', {row}.id, '{op}');"
                            ));
                        }
                        if let Some(col) = household {
                            body.push_str(&format!(
                                "INSERT INTO change_log (entity, record_id, op) \
                                 VALUES ('Household', {row}.{col}, 'U');"
                            ));
                            if event == "UPDATE" {
                                body.push_str(&format!(
                                    "INSERT INTO change_log (entity, record_id, op) \
                                     SELECT 'Household', OLD.{col}, 'U' \
                                     WHERE OLD.{col} IS NOT NEW.{col};"
                                ));
                            }
                        }
                        db.execute_unprepared(&format!(
                            "CREATE TRIGGER change_log_{table}_{op} AFTER {event} ON \"{table}\" \
                             FOR EACH ROW BEGIN {body} END"
                        ))
                        .await?;
                    }
                }
            }
        }
        // What exists already, so a first sync (from no cursor) sees every record.
        for (table, entity, _) in TRACKED {
            if let Some(entity) = entity {
                db.execute_unprepared(&format!(
                    "INSERT INTO change_log (entity, record_id, op) \
                     SELECT '{entity}', id, 'I' FROM \"{table}\" ORDER BY id"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                for (table, _, _) in TRACKED {
                    db.execute_unprepared(&format!(
                        "DROP TRIGGER IF EXISTS change_log_{table} ON \"{table}\""
                    ))
                    .await?;
                }
                db.execute_unprepared("DROP FUNCTION IF EXISTS change_log_write()")
                    .await?;
            }
            _ => {
                for (table, _, _) in TRACKED {
                    for op in ["I", "U", "D"] {
                        db.execute_unprepared(&format!(
                            "DROP TRIGGER IF EXISTS change_log_{table}_{op}"
                        ))
                        .await?;
                    }
                }
            }
        }
        manager
            .drop_table(Table::drop().table(Alias::new("change_log")).to_owned())
            .await
    }
}
