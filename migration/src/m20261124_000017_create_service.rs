use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What an agency offers besides technology.
#[derive(DeriveIden)]
enum Service {
    Table,
    Id,
    AgencyId,
    Name,
    Description,
    Category,
    TargetCapitals,
    Coverage,
    Capacity,
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
                    .table(Service::Table)
                    .col(uuid(Service::Id).primary_key())
                    .col(uuid(Service::AgencyId))
                    .col(string(Service::Name))
                    .col(text_null(Service::Description))
                    .col(string_len(Service::Category, 32))
                    .col(json(Service::TargetCapitals))
                    .col(json(Service::Coverage))
                    .col(integer_null(Service::Capacity))
                    .col(boolean(Service::Active).default(true))
                    .col(integer(Service::Version).default(1))
                    .col(timestamp_with_time_zone(Service::CreatedAt))
                    .col(timestamp_with_time_zone(Service::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_service_agency")
                            .from(Service::Table, Service::AgencyId)
                            .to(Agency::Table, Agency::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_service_agency")
                    .table(Service::Table)
                    .col(Service::AgencyId)
                    .col(Service::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Service::Table).to_owned())
            .await
    }
}
