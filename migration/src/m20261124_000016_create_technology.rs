use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// An appropriate technology offered by a partner agency.
#[derive(DeriveIden)]
enum Technology {
    Table,
    Id,
    AgencyId,
    Name,
    Description,
    Sector,
    CapitalsRaised,
    MinCapitalScores,
    RequiresLand,
    MinWorkingAgeMembers,
    SuitableAreas,
    UnitCostBaht,
    MonthlyIncomeGainBaht,
    TrainingDays,
    SeatsPerRound,
    ReadinessLevel,
    Active,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Agency {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Technology::Table)
                    .col(uuid(Technology::Id).primary_key())
                    .col(uuid(Technology::AgencyId))
                    .col(string(Technology::Name))
                    .col(text_null(Technology::Description))
                    .col(string_len(Technology::Sector, 32))
                    .col(json(Technology::CapitalsRaised))
                    .col(json(Technology::MinCapitalScores))
                    .col(boolean(Technology::RequiresLand).default(false))
                    .col(integer(Technology::MinWorkingAgeMembers).default(0))
                    .col(json(Technology::SuitableAreas))
                    .col(integer(Technology::UnitCostBaht))
                    .col(integer(Technology::MonthlyIncomeGainBaht))
                    .col(integer(Technology::TrainingDays))
                    .col(integer(Technology::SeatsPerRound))
                    .col(integer(Technology::ReadinessLevel))
                    .col(boolean(Technology::Active).default(true))
                    .col(integer(Technology::Version).default(1))
                    .col(timestamp_with_time_zone(Technology::CreatedAt))
                    .col(timestamp_with_time_zone(Technology::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_technology_agency")
                            .from(Technology::Table, Technology::AgencyId)
                            .to(Agency::Table, Agency::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_technology_agency")
                    .table(Technology::Table)
                    .col(Technology::AgencyId)
                    .col(Technology::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Technology::Table).to_owned())
            .await
    }
}
