use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A support case (named so because `case` is an SQL keyword): the work with one household,
/// from intake to closure, owned by an agency and assigned to a worker.
#[derive(DeriveIden)]
enum SupportCase {
    Table,
    Id,
    HouseholdId,
    PersonId,
    CaseType,
    Priority,
    Phase,
    OwnerAgencyId,
    AssignedWorkerId,
    ReviewDueOn,
    Summary,
    ClosureReason,
    Outcome,
    OpenedAt,
    ClosedAt,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    ClientCreatedAt,
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

#[derive(DeriveIden)]
enum Agency {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SupportCase::Table)
                    .col(uuid(SupportCase::Id).primary_key())
                    .col(uuid(SupportCase::HouseholdId))
                    .col(uuid_null(SupportCase::PersonId))
                    .col(string_len(SupportCase::CaseType, 32))
                    .col(string_len(SupportCase::Priority, 16))
                    .col(string_len(SupportCase::Phase, 16))
                    .col(uuid_null(SupportCase::OwnerAgencyId))
                    .col(uuid_null(SupportCase::AssignedWorkerId))
                    .col(date_null(SupportCase::ReviewDueOn))
                    .col(text_null(SupportCase::Summary))
                    .col(text_null(SupportCase::ClosureReason))
                    .col(string_len_null(SupportCase::Outcome, 16))
                    .col(timestamp_with_time_zone(SupportCase::OpenedAt))
                    .col(timestamp_with_time_zone_null(SupportCase::ClosedAt))
                    .col(integer(SupportCase::Version).default(1))
                    .col(uuid_null(SupportCase::CreatedBy))
                    .col(timestamp_with_time_zone(SupportCase::CreatedAt))
                    .col(timestamp_with_time_zone(SupportCase::UpdatedAt))
                    .col(timestamp_with_time_zone_null(SupportCase::ClientCreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_support_case_household")
                            .from(SupportCase::Table, SupportCase::HouseholdId)
                            .to(Household::Table, Household::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_support_case_person")
                            .from(SupportCase::Table, SupportCase::PersonId)
                            .to(Person::Table, Person::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_support_case_agency")
                            .from(SupportCase::Table, SupportCase::OwnerAgencyId)
                            .to(Agency::Table, Agency::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_support_case_account")
                            .from(SupportCase::Table, SupportCase::AssignedWorkerId)
                            .to(Account::Table, Account::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_support_case_household",
                vec![SupportCase::HouseholdId, SupportCase::Id],
            ),
            (
                "idx_support_case_agency",
                vec![SupportCase::OwnerAgencyId, SupportCase::Id],
            ),
            (
                "idx_support_case_phase",
                vec![SupportCase::Phase, SupportCase::ReviewDueOn],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(SupportCase::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SupportCase::Table).to_owned())
            .await
    }
}
