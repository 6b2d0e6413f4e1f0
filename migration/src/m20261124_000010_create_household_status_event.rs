use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every lifecycle transition of a household: who, when, why, and the verification evidence.
#[derive(DeriveIden)]
enum HouseholdStatusEvent {
    Table,
    Id,
    HouseholdId,
    FromStatus,
    ToStatus,
    Reason,
    Note,
    VerifiedOn,
    Lat,
    Lng,
    ActorId,
    OccurredAt,
    ClientOccurredAt,
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
                    .table(HouseholdStatusEvent::Table)
                    .col(uuid(HouseholdStatusEvent::Id).primary_key())
                    .col(uuid(HouseholdStatusEvent::HouseholdId))
                    .col(string_len_null(HouseholdStatusEvent::FromStatus, 16))
                    .col(string_len(HouseholdStatusEvent::ToStatus, 16))
                    .col(text_null(HouseholdStatusEvent::Reason))
                    .col(text_null(HouseholdStatusEvent::Note))
                    .col(date_null(HouseholdStatusEvent::VerifiedOn))
                    .col(double_null(HouseholdStatusEvent::Lat))
                    .col(double_null(HouseholdStatusEvent::Lng))
                    .col(uuid_null(HouseholdStatusEvent::ActorId))
                    .col(timestamp_with_time_zone(HouseholdStatusEvent::OccurredAt))
                    .col(timestamp_with_time_zone_null(
                        HouseholdStatusEvent::ClientOccurredAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_household_status_event_household")
                            .from(
                                HouseholdStatusEvent::Table,
                                HouseholdStatusEvent::HouseholdId,
                            )
                            .to(Household::Table, Household::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_household_status_event_household")
                    .table(HouseholdStatusEvent::Table)
                    .col(HouseholdStatusEvent::HouseholdId)
                    .col(HouseholdStatusEvent::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(HouseholdStatusEvent::Table).to_owned())
            .await
    }
}
