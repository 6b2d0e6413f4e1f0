use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tracked tables of `m20261205_000001_create_change_log`: (table, type logged for the
/// row itself, household column also logged as a Household change, columns whose UPDATE is
/// logged when not all of them are).
const TRACKED: &[(&str, &str, &str, Option<&str>)] = &[
    ("household", "Household", "", None),
    ("person", "Person", "", None),
    (
        "membership",
        "Membership",
        "",
        // See `m20261208_000101_membership_duplicate_keys`.
        Some("household_id, person_id, role, start_date, end_date, end_reason, created_at"),
    ),
    ("assessment", "Assessment", "", None),
    ("support_case", "Case", "household_id", None),
    ("referral", "Referral", "household_id", None),
    ("visit", "Visit", "", None),
    ("match", "Match", "household_id", None),
    ("consent", "", "household_id", None),
    ("consent_grant", "", "household_id", None),
];

/// The UPDATE event of a table's change-log trigger: `UPDATE`, or `UPDATE OF` its logged columns.
fn update_event(columns: Option<&str>) -> String {
    match columns {
        Some(columns) => format!("UPDATE OF {columns}"),
        None => "UPDATE".to_string(),
    }
}

/// PostgreSQL: the change log of inserted rows is written once per statement, from the
/// statement's new rows, instead of once per row. A multi-row insert (registration, the
/// import's batches of persons and memberships) ran one PL/pgSQL call and one single-row
/// insert per row: 176,000 calls and 1.8–2.2 s of the server's time for 20,000 imported
/// households. The rows logged are the same. UPDATE and DELETE stay per row (they come one
/// or a few at a time, and a column list, as membership's, cannot go with transition tables).
/// SQLite has no statement triggers; its per-row triggers are plain SQL and stay.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE FUNCTION change_log_insert() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_ARGV[0] <> '' THEN
                    INSERT INTO change_log (entity, record_id, op)
                    SELECT TG_ARGV[0], id, 'I' FROM new_rows;
                END IF;
                IF TG_ARGV[1] <> '' THEN
                    EXECUTE format('INSERT INTO change_log (entity, record_id, op) '
                                   'SELECT ''Household'', %I, ''U'' FROM new_rows', TG_ARGV[1]);
                END IF;
                RETURN NULL;
            END $$",
        )
        .await?;
        for (table, entity, household, columns) in TRACKED {
            let update = update_event(*columns);
            db.execute_unprepared(&format!(
                "DROP TRIGGER change_log_{table} ON \"{table}\";
                 CREATE TRIGGER change_log_{table} AFTER {update} OR DELETE ON \"{table}\"
                     FOR EACH ROW EXECUTE FUNCTION change_log_write('{entity}', '{household}');
                 CREATE TRIGGER change_log_{table}_insert AFTER INSERT ON \"{table}\"
                     REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
                     EXECUTE FUNCTION change_log_insert('{entity}', '{household}');"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for (table, entity, household, columns) in TRACKED {
            let update = update_event(*columns);
            db.execute_unprepared(&format!(
                "DROP TRIGGER change_log_{table}_insert ON \"{table}\";
                 DROP TRIGGER change_log_{table} ON \"{table}\";
                 CREATE TRIGGER change_log_{table} AFTER INSERT OR {update} OR DELETE
                     ON \"{table}\"
                     FOR EACH ROW EXECUTE FUNCTION change_log_write('{entity}', '{household}');"
            ))
            .await?;
        }
        db.execute_unprepared("DROP FUNCTION change_log_insert()")
            .await?;
        Ok(())
    }
}
