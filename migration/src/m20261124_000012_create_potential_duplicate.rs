use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Two households that look alike (through one of their persons), waiting for review.
#[derive(DeriveIden)]
enum PotentialDuplicate {
    Table,
    Id,
    Reason,
    HouseholdId,
    OtherHouseholdId,
    PersonId,
    OtherPersonId,
    Status,
    Resolution,
    SurvivorHouseholdId,
    ResolvedBy,
    ResolvedAt,
    Note,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PotentialDuplicate::Table)
                    .col(uuid(PotentialDuplicate::Id).primary_key())
                    .col(string_len(PotentialDuplicate::Reason, 32))
                    .col(uuid(PotentialDuplicate::HouseholdId))
                    .col(uuid(PotentialDuplicate::OtherHouseholdId))
                    .col(uuid_null(PotentialDuplicate::PersonId))
                    .col(uuid_null(PotentialDuplicate::OtherPersonId))
                    .col(string_len(PotentialDuplicate::Status, 16))
                    .col(string_len_null(PotentialDuplicate::Resolution, 16))
                    .col(uuid_null(PotentialDuplicate::SurvivorHouseholdId))
                    .col(uuid_null(PotentialDuplicate::ResolvedBy))
                    .col(timestamp_with_time_zone_null(
                        PotentialDuplicate::ResolvedAt,
                    ))
                    .col(text_null(PotentialDuplicate::Note))
                    .col(timestamp_with_time_zone(PotentialDuplicate::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_potential_duplicate_pair")
                    .table(PotentialDuplicate::Table)
                    .col(PotentialDuplicate::HouseholdId)
                    .col(PotentialDuplicate::OtherHouseholdId)
                    .col(PotentialDuplicate::Reason)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_potential_duplicate_status")
                    .table(PotentialDuplicate::Table)
                    .col(PotentialDuplicate::Status)
                    .col(PotentialDuplicate::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PotentialDuplicate::Table).to_owned())
            .await
    }
}
