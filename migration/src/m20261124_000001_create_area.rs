use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Area {
    Table,
    Code,
    Level,
    ParentCode,
    NameTh,
    NameEn,
    PostalCode,
    Lat,
    Lng,
    Region,
    IsTarget,
    IsSra,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Area::Table)
                    .col(string_len(Area::Code, 8).primary_key())
                    .col(string_len(Area::Level, 16))
                    .col(string_len_null(Area::ParentCode, 8))
                    .col(string(Area::NameTh))
                    .col(string(Area::NameEn))
                    .col(string_len_null(Area::PostalCode, 5))
                    .col(double_null(Area::Lat))
                    .col(double_null(Area::Lng))
                    .col(string_len_null(Area::Region, 16))
                    .col(boolean(Area::IsTarget).default(false))
                    .col(boolean(Area::IsSra).default(false))
                    .col(timestamp_with_time_zone(Area::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_area_parent")
                            .from(Area::Table, Area::ParentCode)
                            .to(Area::Table, Area::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_area_parent_code")
                    .table(Area::Table)
                    .col(Area::ParentCode)
                    .col(Area::Code)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_area_level_code")
                    .table(Area::Table)
                    .col(Area::Level)
                    .col(Area::Code)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Area::Table).to_owned())
            .await
    }
}
