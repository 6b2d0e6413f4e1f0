use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A household matched to a technology, with its score, reasons and lifecycle.
#[derive(DeriveIden)]
enum Match {
    Table,
    Id,
    HouseholdId,
    TechnologyId,
    RunId,
    Status,
    ScoreMillis,
    Reasons,
    DeliveringAgencyId,
    BaselineIncomeSatang,
    FollowUpIncomeSatang,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Household {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Technology {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Match::Table)
                    .col(uuid(Match::Id).primary_key())
                    .col(uuid(Match::HouseholdId))
                    .col(uuid(Match::TechnologyId))
                    .col(uuid_null(Match::RunId))
                    .col(string_len(Match::Status, 16))
                    .col(integer(Match::ScoreMillis))
                    .col(json(Match::Reasons))
                    .col(uuid(Match::DeliveringAgencyId))
                    .col(big_integer_null(Match::BaselineIncomeSatang))
                    .col(big_integer_null(Match::FollowUpIncomeSatang))
                    .col(integer(Match::Version).default(1))
                    .col(uuid_null(Match::CreatedBy))
                    .col(timestamp_with_time_zone(Match::CreatedAt))
                    .col(timestamp_with_time_zone(Match::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_match_household")
                            .from(Match::Table, Match::HouseholdId)
                            .to(Household::Table, Household::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_match_technology")
                            .from(Match::Table, Match::TechnologyId)
                            .to(Technology::Table, Technology::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_match_household", vec![Match::HouseholdId, Match::Id]),
            ("idx_match_technology", vec![Match::TechnologyId, Match::Id]),
            ("idx_match_run", vec![Match::RunId, Match::Id]),
            (
                "idx_match_agency",
                vec![Match::DeliveringAgencyId, Match::Id],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Match::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Match::Table).to_owned())
            .await
    }
}
