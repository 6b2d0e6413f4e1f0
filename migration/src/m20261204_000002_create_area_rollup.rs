use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Dashboard counts kept current by the writes that change them: one row per area (province,
/// district, subdistrict and village code), metric and bucket. `docs/dashboards.md` lists the
/// metrics and buckets.
#[derive(DeriveIden)]
enum AreaRollup {
    Table,
    AreaCode,
    /// The code of the area one level up ('' for a province).
    ParentCode,
    Metric,
    Bucket,
    N,
    Quantity,
    AmountSatang,
}

/// What one household adds to the rollups of its village (and so of every area above it):
/// the rows that are subtracted and re-added when the household's records change.
#[derive(DeriveIden)]
enum HouseholdContribution {
    Table,
    HouseholdId,
    Metric,
    Bucket,
    VillageCode,
    N,
    Quantity,
    AmountSatang,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AreaRollup::Table)
                    .col(string_len(AreaRollup::AreaCode, 8))
                    .col(string_len(AreaRollup::ParentCode, 8))
                    .col(string_len(AreaRollup::Metric, 32))
                    .col(string_len(AreaRollup::Bucket, 64))
                    .col(big_integer(AreaRollup::N))
                    .col(double(AreaRollup::Quantity))
                    .col(big_integer(AreaRollup::AmountSatang))
                    .primary_key(
                        Index::create()
                            .col(AreaRollup::AreaCode)
                            .col(AreaRollup::Metric)
                            .col(AreaRollup::Bucket),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_area_rollup_parent")
                    .table(AreaRollup::Table)
                    .col(AreaRollup::ParentCode)
                    .col(AreaRollup::AreaCode)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(HouseholdContribution::Table)
                    .col(uuid(HouseholdContribution::HouseholdId))
                    .col(string_len(HouseholdContribution::Metric, 32))
                    .col(string_len(HouseholdContribution::Bucket, 64))
                    .col(string_len(HouseholdContribution::VillageCode, 8))
                    .col(big_integer(HouseholdContribution::N))
                    .col(double(HouseholdContribution::Quantity))
                    .col(big_integer(HouseholdContribution::AmountSatang))
                    .primary_key(
                        Index::create()
                            .col(HouseholdContribution::HouseholdId)
                            .col(HouseholdContribution::Metric)
                            .col(HouseholdContribution::Bucket),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(HouseholdContribution::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AreaRollup::Table).to_owned())
            .await
    }
}
