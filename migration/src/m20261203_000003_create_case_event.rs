use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One phase change of a support case.
#[derive(DeriveIden)]
enum CaseEvent {
    Table,
    Id,
    CaseId,
    FromPhase,
    ToPhase,
    Reason,
    Outcome,
    ActorId,
    OccurredAt,
    ClientOccurredAt,
}

#[derive(DeriveIden)]
enum SupportCase {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CaseEvent::Table)
                    .col(uuid(CaseEvent::Id).primary_key())
                    .col(uuid(CaseEvent::CaseId))
                    .col(string_len_null(CaseEvent::FromPhase, 16))
                    .col(string_len(CaseEvent::ToPhase, 16))
                    .col(text_null(CaseEvent::Reason))
                    .col(string_len_null(CaseEvent::Outcome, 16))
                    .col(uuid_null(CaseEvent::ActorId))
                    .col(timestamp_with_time_zone(CaseEvent::OccurredAt))
                    .col(timestamp_with_time_zone_null(CaseEvent::ClientOccurredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_case_event_support_case")
                            .from(CaseEvent::Table, CaseEvent::CaseId)
                            .to(SupportCase::Table, SupportCase::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_case_event_case")
                    .table(CaseEvent::Table)
                    .col(CaseEvent::CaseId)
                    .col(CaseEvent::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CaseEvent::Table).to_owned())
            .await
    }
}
