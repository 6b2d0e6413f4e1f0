use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One run of area-wide matching: its parameters, totals, and (through `match.run_id`) the
/// matches it suggested.
#[derive(DeriveIden)]
enum MatchingRun {
    Table,
    Id,
    AreaCode,
    Parameters,
    HouseholdsConsidered,
    PairsConsidered,
    MatchesCreated,
    TotalBenefit,
    GreedyBenefit,
    CreatedBy,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MatchingRun::Table)
                    .col(uuid(MatchingRun::Id).primary_key())
                    .col(string_len(MatchingRun::AreaCode, 8))
                    .col(json(MatchingRun::Parameters))
                    .col(integer(MatchingRun::HouseholdsConsidered))
                    .col(big_integer(MatchingRun::PairsConsidered))
                    .col(integer(MatchingRun::MatchesCreated))
                    .col(big_integer(MatchingRun::TotalBenefit))
                    .col(big_integer(MatchingRun::GreedyBenefit))
                    .col(uuid_null(MatchingRun::CreatedBy))
                    .col(timestamp_with_time_zone(MatchingRun::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MatchingRun::Table).to_owned())
            .await
    }
}
