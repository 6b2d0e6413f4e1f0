use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Consent {
    Table,
    Id,
    HouseholdId,
    Purposes,
    RecipientAgencyTypes,
    RecipientAgencyIds,
    LegalBasis,
    Status,
    GivenAt,
    ExpiresAt,
    WithdrawnAt,
    RecordedBy,
    CreatedAt,
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
                    .table(Consent::Table)
                    .col(uuid(Consent::Id).primary_key())
                    .col(uuid(Consent::HouseholdId))
                    .col(json(Consent::Purposes))
                    .col(json(Consent::RecipientAgencyTypes))
                    .col(json(Consent::RecipientAgencyIds))
                    .col(string_len(Consent::LegalBasis, 32))
                    .col(string_len(Consent::Status, 16))
                    .col(timestamp_with_time_zone_null(Consent::GivenAt))
                    .col(timestamp_with_time_zone_null(Consent::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Consent::WithdrawnAt))
                    .col(uuid_null(Consent::RecordedBy))
                    .col(timestamp_with_time_zone(Consent::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_consent_household")
                            .from(Consent::Table, Consent::HouseholdId)
                            .to(Household::Table, Household::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_consent_household")
                    .table(Consent::Table)
                    .col(Consent::HouseholdId)
                    .col(Consent::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Consent::Table).to_owned())
            .await
    }
}
