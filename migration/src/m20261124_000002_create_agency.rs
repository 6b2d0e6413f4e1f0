use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[expect(
    clippy::enum_variant_names,
    reason = "Iden names mirror the column names, so `AgencyType` keeps its prefix"
)]
#[derive(DeriveIden)]
enum Agency {
    Table,
    Id,
    Name,
    NameEn,
    AgencyType,
    ContactName,
    ContactEmail,
    ContactPhone,
    Active,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AgencyCoverage {
    Table,
    AgencyId,
    AreaCode,
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
                    .table(Agency::Table)
                    .col(uuid(Agency::Id).primary_key())
                    .col(string_uniq(Agency::Name))
                    .col(string_null(Agency::NameEn))
                    .col(string_len(Agency::AgencyType, 32))
                    .col(string_null(Agency::ContactName))
                    .col(string_null(Agency::ContactEmail))
                    .col(string_null(Agency::ContactPhone))
                    .col(boolean(Agency::Active).default(true))
                    .col(integer(Agency::Version).default(1))
                    .col(timestamp_with_time_zone(Agency::CreatedAt))
                    .col(timestamp_with_time_zone(Agency::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AgencyCoverage::Table)
                    .col(uuid(AgencyCoverage::AgencyId))
                    .col(string_len(AgencyCoverage::AreaCode, 8))
                    .primary_key(
                        Index::create()
                            .col(AgencyCoverage::AgencyId)
                            .col(AgencyCoverage::AreaCode),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_agency_coverage_agency")
                            .from(AgencyCoverage::Table, AgencyCoverage::AgencyId)
                            .to(Agency::Table, Agency::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_agency_coverage_area")
                            .from(AgencyCoverage::Table, AgencyCoverage::AreaCode)
                            .to(Area::Table, Area::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_agency_coverage_area")
                    .table(AgencyCoverage::Table)
                    .col(AgencyCoverage::AreaCode)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AgencyCoverage::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Agency::Table).to_owned())
            .await
    }
}
