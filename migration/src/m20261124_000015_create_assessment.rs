use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A dated observation of a household's five capitals (scores in hundredths: 100..=400) and
/// income. Never overwritten: a new assessment supersedes the ACTIVE one.
#[derive(DeriveIden)]
enum Assessment {
    Table,
    Id,
    HouseholdId,
    Status,
    AssessedOn,
    Human,
    Physical,
    Financial,
    Natural,
    Social,
    OverallScore,
    OverallLevel,
    HouseholdSize,
    IncomePerPersonSatang,
    IncomeLevel,
    PovertyLineYear,
    HasLand,
    Indicators,
    Notes,
    CollectorId,
    ClientUuid,
    CreatedAt,
    ActivatedAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum Household {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Assessment::Table)
                    .col(uuid(Assessment::Id).primary_key())
                    .col(uuid(Assessment::HouseholdId))
                    .col(string_len(Assessment::Status, 16))
                    .col(date(Assessment::AssessedOn))
                    .col(integer(Assessment::Human))
                    .col(integer(Assessment::Physical))
                    .col(integer(Assessment::Financial))
                    .col(integer(Assessment::Natural))
                    .col(integer(Assessment::Social))
                    .col(integer(Assessment::OverallScore))
                    .col(string_len(Assessment::OverallLevel, 16))
                    .col(integer(Assessment::HouseholdSize))
                    .col(big_integer(Assessment::IncomePerPersonSatang))
                    .col(string_len(Assessment::IncomeLevel, 32))
                    .col(integer(Assessment::PovertyLineYear))
                    .col(boolean_null(Assessment::HasLand))
                    .col(json_null(Assessment::Indicators))
                    .col(text_null(Assessment::Notes))
                    .col(uuid_null(Assessment::CollectorId))
                    .col(uuid_null(Assessment::ClientUuid))
                    .col(timestamp_with_time_zone(Assessment::CreatedAt))
                    .col(timestamp_with_time_zone_null(Assessment::ActivatedAt))
                    .col(timestamp_with_time_zone_null(Assessment::ClosedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_assessment_household")
                            .from(Assessment::Table, Assessment::HouseholdId)
                            .to(Household::Table, Household::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_assessment_household")
                    .table(Assessment::Table)
                    .col(Assessment::HouseholdId)
                    .col(Assessment::Id)
                    .to_owned(),
            )
            .await?;
        // One ACTIVE assessment per household, enforced by the database (same syntax on
        // SQLite and PostgreSQL).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_assessment_one_active ON assessment (household_id) WHERE status = 'ACTIVE'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Assessment::Table).to_owned())
            .await
    }
}
