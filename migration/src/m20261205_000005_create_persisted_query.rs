use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Automatic persisted queries: the text of a document under the SHA-256 of its text (lowercase
/// hex), so that a hash registered through one replica is known to every other.
#[derive(DeriveIden)]
enum PersistedQuery {
    Table,
    Sha256Hash,
    Query,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PersistedQuery::Table)
                    .col(string_len(PersistedQuery::Sha256Hash, 64).primary_key())
                    .col(text(PersistedQuery::Query))
                    .col(timestamp_with_time_zone(PersistedQuery::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PersistedQuery::Table).to_owned())
            .await
    }
}
