use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Writes that mobile clients retry carry a `clientUuid`; the first result is kept here (per
/// account) so a retry returns it, on any replica.
#[derive(DeriveIden)]
enum IdempotencyKey {
    Table,
    AccountId,
    ClientUuid,
    Operation,
    RequestHash,
    ResultId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKey::Table)
                    .col(uuid(IdempotencyKey::AccountId))
                    .col(uuid(IdempotencyKey::ClientUuid))
                    .col(string_len(IdempotencyKey::Operation, 64))
                    .col(string_len(IdempotencyKey::RequestHash, 64))
                    .col(string_len(IdempotencyKey::ResultId, 64))
                    .col(timestamp_with_time_zone(IdempotencyKey::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKey::AccountId)
                            .col(IdempotencyKey::ClientUuid),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IdempotencyKey::Table).to_owned())
            .await
    }
}
