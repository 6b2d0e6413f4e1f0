use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A local business or community enterprise in a value chain.
#[derive(DeriveIden)]
enum Enterprise {
    Table,
    Id,
    Name,
    Kind,
    AreaCode,
    ValueChain,
    Description,
    Active,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Area {
    Table,
    Code,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Enterprise::Table)
                    .col(uuid(Enterprise::Id).primary_key())
                    .col(string(Enterprise::Name))
                    .col(string_len(Enterprise::Kind, 32))
                    .col(string_len(Enterprise::AreaCode, 8))
                    .col(string_null(Enterprise::ValueChain))
                    .col(text_null(Enterprise::Description))
                    .col(boolean(Enterprise::Active).default(true))
                    .col(integer(Enterprise::Version).default(1))
                    .col(uuid_null(Enterprise::CreatedBy))
                    .col(timestamp_with_time_zone(Enterprise::CreatedAt))
                    .col(timestamp_with_time_zone(Enterprise::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_enterprise_area")
                            .from(Enterprise::Table, Enterprise::AreaCode)
                            .to(Area::Table, Area::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_enterprise_area")
                    .table(Enterprise::Table)
                    .col(Enterprise::AreaCode)
                    .col(Enterprise::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Enterprise::Table).to_owned())
            .await
    }
}
