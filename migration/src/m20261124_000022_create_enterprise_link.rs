use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A household's part in an enterprise (PRODUCER, WORKER, SUPPLIER) and what it earns there.
#[derive(DeriveIden)]
enum EnterpriseLink {
    Table,
    Id,
    EnterpriseId,
    HouseholdId,
    Role,
    MonthlyIncomeSatang,
    StartedOn,
    EndedOn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Enterprise {
    Table,
    Id,
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
                    .table(EnterpriseLink::Table)
                    .col(uuid(EnterpriseLink::Id).primary_key())
                    .col(uuid(EnterpriseLink::EnterpriseId))
                    .col(uuid(EnterpriseLink::HouseholdId))
                    .col(string_len(EnterpriseLink::Role, 16))
                    .col(big_integer(EnterpriseLink::MonthlyIncomeSatang))
                    .col(date_null(EnterpriseLink::StartedOn))
                    .col(date_null(EnterpriseLink::EndedOn))
                    .col(timestamp_with_time_zone(EnterpriseLink::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_enterprise_link_enterprise")
                            .from(EnterpriseLink::Table, EnterpriseLink::EnterpriseId)
                            .to(Enterprise::Table, Enterprise::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_enterprise_link_household")
                            .from(EnterpriseLink::Table, EnterpriseLink::HouseholdId)
                            .to(Household::Table, Household::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_enterprise_link_household")
                    .table(EnterpriseLink::Table)
                    .col(EnterpriseLink::HouseholdId)
                    .col(EnterpriseLink::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_enterprise_link_enterprise")
                    .table(EnterpriseLink::Table)
                    .col(EnterpriseLink::EnterpriseId)
                    .col(EnterpriseLink::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EnterpriseLink::Table).to_owned())
            .await
    }
}
