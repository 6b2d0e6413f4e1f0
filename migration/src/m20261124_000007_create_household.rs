use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[expect(
    clippy::enum_variant_names,
    reason = "Iden names mirror the column names, so `HouseholdSize` keeps its prefix"
)]
#[derive(DeriveIden)]
enum Household {
    Table,
    Id,
    VillageCode,
    HouseNumber,
    Address,
    Lat,
    Lng,
    Source,
    Status,
    HouseholdSize,
    MergedIntoId,
    VerifiedOn,
    Version,
    CreatedBy,
    UpdatedBy,
    CreatedAt,
    UpdatedAt,
    ClientCreatedAt,
    ClientUpdatedAt,
}

#[derive(DeriveIden)]
enum HouseholdExternalId {
    Table,
    HouseholdId,
    Scheme,
    Value,
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
                    .table(Household::Table)
                    .col(uuid(Household::Id).primary_key())
                    .col(string_len(Household::VillageCode, 8))
                    .col(string_null(Household::HouseNumber))
                    .col(text_null(Household::Address))
                    .col(double_null(Household::Lat))
                    .col(double_null(Household::Lng))
                    .col(string_len(Household::Source, 32))
                    .col(string_len(Household::Status, 16))
                    .col(integer_null(Household::HouseholdSize))
                    .col(uuid_null(Household::MergedIntoId))
                    .col(date_null(Household::VerifiedOn))
                    .col(integer(Household::Version).default(1))
                    .col(uuid_null(Household::CreatedBy))
                    .col(uuid_null(Household::UpdatedBy))
                    .col(timestamp_with_time_zone(Household::CreatedAt))
                    .col(timestamp_with_time_zone(Household::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Household::ClientCreatedAt))
                    .col(timestamp_with_time_zone_null(Household::ClientUpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_household_village")
                            .from(Household::Table, Household::VillageCode)
                            .to(Area::Table, Area::Code),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_household_village",
                vec![Household::VillageCode, Household::Id],
            ),
            (
                "idx_household_status",
                vec![Household::Status, Household::Id],
            ),
            ("idx_household_verified_on", vec![Household::VerifiedOn]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Household::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(HouseholdExternalId::Table)
                    .col(uuid(HouseholdExternalId::HouseholdId))
                    .col(string_len(HouseholdExternalId::Scheme, 32))
                    .col(string_len(HouseholdExternalId::Value, 64))
                    .primary_key(
                        Index::create()
                            .col(HouseholdExternalId::Scheme)
                            .col(HouseholdExternalId::Value),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_household_external_id_household")
                            .from(HouseholdExternalId::Table, HouseholdExternalId::HouseholdId)
                            .to(Household::Table, Household::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_household_external_id_household")
                    .table(HouseholdExternalId::Table)
                    .col(HouseholdExternalId::HouseholdId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(HouseholdExternalId::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Household::Table).to_owned())
            .await
    }
}
