use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every status change of a match: who, when, why.
#[derive(DeriveIden)]
enum MatchEvent {
    Table,
    Id,
    MatchId,
    FromStatus,
    ToStatus,
    Reason,
    ActorId,
    OccurredAt,
}

#[derive(DeriveIden)]
enum Match {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MatchEvent::Table)
                    .col(uuid(MatchEvent::Id).primary_key())
                    .col(uuid(MatchEvent::MatchId))
                    .col(string_len_null(MatchEvent::FromStatus, 16))
                    .col(string_len(MatchEvent::ToStatus, 16))
                    .col(text_null(MatchEvent::Reason))
                    .col(uuid_null(MatchEvent::ActorId))
                    .col(timestamp_with_time_zone(MatchEvent::OccurredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_match_event_match")
                            .from(MatchEvent::Table, MatchEvent::MatchId)
                            .to(Match::Table, Match::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_match_event_match")
                    .table(MatchEvent::Table)
                    .col(MatchEvent::MatchId)
                    .col(MatchEvent::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MatchEvent::Table).to_owned())
            .await
    }
}
