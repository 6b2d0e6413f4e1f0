use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The request budget: requests used per caller (an account, or a hashed client address) in the
/// current fixed window. One row per caller, updated in place by one upsert per request, so
/// every replica counts against the same budget.
#[derive(DeriveIden)]
enum RequestBudget {
    Table,
    BucketKey,
    WindowStart,
    Used,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RequestBudget::Table)
                    .col(string_len(RequestBudget::BucketKey, 64).primary_key())
                    .col(big_integer(RequestBudget::WindowStart))
                    .col(integer(RequestBudget::Used))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RequestBudget::Table).to_owned())
            .await
    }
}
