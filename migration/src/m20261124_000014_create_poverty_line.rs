use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Income ladder by Buddhist-era year, baht per person per month: at or below
/// `poverty_line` is below the poverty line; up to `poorest_40_cut`, below the poorest-40% cut;
/// up to `median`, below the median; above that, above the median.
#[expect(
    clippy::enum_variant_names,
    reason = "Iden names mirror the column names: the table and its `poverty_line` column share a name"
)]
#[derive(DeriveIden)]
enum PovertyLine {
    Table,
    YearBe,
    PovertyLine,
    Poorest40Cut,
    Median,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PovertyLine::Table)
                    .col(integer(PovertyLine::YearBe).primary_key())
                    .col(integer(PovertyLine::PovertyLine))
                    .col(integer(PovertyLine::Poorest40Cut))
                    .col(integer(PovertyLine::Median))
                    .col(timestamp_with_time_zone(PovertyLine::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // Reference data shipped with the service: the 2563 (2020) lines.
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(PovertyLine::Table)
                    .columns([
                        PovertyLine::YearBe,
                        PovertyLine::PovertyLine,
                        PovertyLine::Poorest40Cut,
                        PovertyLine::Median,
                        PovertyLine::CreatedAt,
                    ])
                    .values_panic([
                        2563.into(),
                        2762.into(),
                        5346.into(),
                        6531.into(),
                        Expr::current_timestamp(),
                    ])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PovertyLine::Table).to_owned())
            .await
    }
}
