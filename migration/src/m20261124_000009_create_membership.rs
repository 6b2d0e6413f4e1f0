use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Membership {
    Table,
    Id,
    HouseholdId,
    PersonId,
    Role,
    StartDate,
    EndDate,
    EndReason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Household {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Membership::Table)
                    .col(uuid(Membership::Id).primary_key())
                    .col(uuid(Membership::HouseholdId))
                    .col(uuid(Membership::PersonId))
                    .col(string_len(Membership::Role, 16))
                    .col(date_null(Membership::StartDate))
                    .col(date_null(Membership::EndDate))
                    .col(string_null(Membership::EndReason))
                    .col(timestamp_with_time_zone(Membership::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_membership_household")
                            .from(Membership::Table, Membership::HouseholdId)
                            .to(Household::Table, Household::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_membership_person")
                            .from(Membership::Table, Membership::PersonId)
                            .to(Person::Table, Person::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_membership_household")
                    .table(Membership::Table)
                    .col(Membership::HouseholdId)
                    .col(Membership::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_membership_person")
                    .table(Membership::Table)
                    .col(Membership::PersonId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Membership::Table).to_owned())
            .await
    }
}
