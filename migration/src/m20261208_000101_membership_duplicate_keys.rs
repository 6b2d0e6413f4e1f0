use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns of `membership` that its change-log trigger logs on UPDATE: every column but
/// the two copies added here, so that keeping the copies in step is not a change a mobile
/// client has to download. A column added to `membership` later belongs in this list.
const LOGGED: &str = "household_id, person_id, role, start_date, end_date, end_reason, created_at";

/// Potential duplicates are people of the same village with the same birth year and a similar
/// name (`api/src/household/duplicates.rs`). Village and birth year live on `household` and
/// `person`, so no index served that look-up: an import batch read every current member of
/// its villages, a cost that grew with the registry. Each membership now carries a copy of its
/// household's village and its person's birth year, with an index over the current ones, so a
/// batch reads only the people of its (village, birth year) pairs.
///
/// The copies are the writer's to set (the one insert path, `insert_members`, does); triggers
/// fill them on an insert that leaves them out and keep them in step when a household moves, a
/// birth year is corrected or a membership moves to another household (a merge).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "ALTER TABLE membership ADD COLUMN village_code varchar(8),
                         ADD COLUMN birth_year integer;
                     DROP TRIGGER change_log_membership ON membership;
                     CREATE TRIGGER change_log_membership
                         AFTER INSERT OR UPDATE OF {LOGGED} OR DELETE ON membership
                         FOR EACH ROW EXECUTE FUNCTION change_log_write('Membership', '');
                     UPDATE membership m SET village_code = h.village_code
                         FROM household h WHERE h.id = m.household_id;
                     UPDATE membership m SET birth_year = p.birth_year
                         FROM person p WHERE p.id = m.person_id;
                     CREATE FUNCTION membership_keys_fill() RETURNS trigger LANGUAGE plpgsql AS $$
                     BEGIN
                         NEW.village_code := (SELECT village_code FROM household
                                              WHERE id = NEW.household_id);
                         NEW.birth_year := (SELECT birth_year FROM person
                                            WHERE id = NEW.person_id);
                         RETURN NEW;
                     END $$;
                     CREATE TRIGGER membership_keys_insert BEFORE INSERT ON membership
                         FOR EACH ROW WHEN (NEW.village_code IS NULL)
                         EXECUTE FUNCTION membership_keys_fill();
                     CREATE TRIGGER membership_keys_move BEFORE UPDATE OF household_id ON membership
                         FOR EACH ROW WHEN (OLD.household_id IS DISTINCT FROM NEW.household_id)
                         EXECUTE FUNCTION membership_keys_fill();
                     CREATE FUNCTION membership_keys_household() RETURNS trigger LANGUAGE plpgsql AS $$
                     BEGIN
                         UPDATE membership SET village_code = NEW.village_code
                             WHERE household_id = NEW.id;
                         RETURN NULL;
                     END $$;
                     CREATE TRIGGER membership_keys_household AFTER UPDATE OF village_code ON household
                         FOR EACH ROW WHEN (OLD.village_code IS DISTINCT FROM NEW.village_code)
                         EXECUTE FUNCTION membership_keys_household();
                     CREATE FUNCTION membership_keys_person() RETURNS trigger LANGUAGE plpgsql AS $$
                     BEGIN
                         UPDATE membership SET birth_year = NEW.birth_year
                             WHERE person_id = NEW.id;
                         RETURN NULL;
                     END $$;
                     CREATE TRIGGER membership_keys_person AFTER UPDATE OF birth_year ON person
                         FOR EACH ROW WHEN (OLD.birth_year IS DISTINCT FROM NEW.birth_year)
                         EXECUTE FUNCTION membership_keys_person();"
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared(&format!(
                    "ALTER TABLE membership ADD COLUMN village_code varchar(8);
                     ALTER TABLE membership ADD COLUMN birth_year integer;
                     DROP TRIGGER change_log_membership_U;
                     CREATE TRIGGER change_log_membership_U AFTER UPDATE OF {LOGGED} ON membership
                         FOR EACH ROW BEGIN
                         INSERT INTO change_log (entity, record_id, op)
                         VALUES ('Membership', NEW.id, 'U'); END;
                     UPDATE membership SET
                         village_code = (SELECT village_code FROM household
                                         WHERE household.id = membership.household_id),
                         birth_year = (SELECT birth_year FROM person
                                       WHERE person.id = membership.person_id);
                     CREATE TRIGGER membership_keys_insert AFTER INSERT ON membership
                         FOR EACH ROW WHEN NEW.village_code IS NULL BEGIN
                         UPDATE membership SET
                             village_code = (SELECT village_code FROM household
                                             WHERE id = NEW.household_id),
                             birth_year = (SELECT birth_year FROM person WHERE id = NEW.person_id)
                         WHERE id = NEW.id; END;
                     CREATE TRIGGER membership_keys_move AFTER UPDATE OF household_id ON membership
                         FOR EACH ROW WHEN OLD.household_id IS NOT NEW.household_id BEGIN
                         UPDATE membership SET village_code = (SELECT village_code FROM household
                                                               WHERE id = NEW.household_id)
                         WHERE id = NEW.id; END;
                     CREATE TRIGGER membership_keys_household AFTER UPDATE OF village_code ON household
                         FOR EACH ROW WHEN OLD.village_code IS NOT NEW.village_code BEGIN
                         UPDATE membership SET village_code = NEW.village_code
                         WHERE household_id = NEW.id; END;
                     CREATE TRIGGER membership_keys_person AFTER UPDATE OF birth_year ON person
                         FOR EACH ROW WHEN OLD.birth_year IS NOT NEW.birth_year BEGIN
                         UPDATE membership SET birth_year = NEW.birth_year
                         WHERE person_id = NEW.id; END;"
                ))
                .await?;
            }
        }
        db.execute_unprepared(
            "CREATE INDEX idx_membership_current_village_year \
             ON membership (village_code, birth_year) WHERE end_date IS NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS idx_membership_current_village_year")
            .await?;
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "DROP TRIGGER IF EXISTS membership_keys_person ON person;
                     DROP TRIGGER IF EXISTS membership_keys_household ON household;
                     DROP TRIGGER IF EXISTS membership_keys_move ON membership;
                     DROP TRIGGER IF EXISTS membership_keys_insert ON membership;
                     DROP FUNCTION IF EXISTS membership_keys_person();
                     DROP FUNCTION IF EXISTS membership_keys_household();
                     DROP FUNCTION IF EXISTS membership_keys_fill();
                     DROP TRIGGER change_log_membership ON membership;
                     CREATE TRIGGER change_log_membership
                         AFTER INSERT OR UPDATE OR DELETE ON membership
                         FOR EACH ROW EXECUTE FUNCTION change_log_write('Membership', '');
                     ALTER TABLE membership DROP COLUMN village_code, DROP COLUMN birth_year;",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "DROP TRIGGER IF EXISTS membership_keys_person;
                     DROP TRIGGER IF EXISTS membership_keys_household;
                     DROP TRIGGER IF EXISTS membership_keys_move;
                     DROP TRIGGER IF EXISTS membership_keys_insert;
                     DROP TRIGGER change_log_membership_U;
                     CREATE TRIGGER change_log_membership_U AFTER UPDATE ON membership
                         FOR EACH ROW BEGIN
                         INSERT INTO change_log (entity, record_id, op)
                         VALUES ('Membership', NEW.id, 'U'); END;
                     ALTER TABLE membership DROP COLUMN village_code;
                     ALTER TABLE membership DROP COLUMN birth_year;",
                )
                .await?;
            }
        }
        Ok(())
    }
}
