use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
    Login,
    DisplayName,
    PasswordHash,
    Role,
    AreaScopes,
    AgencyId,
    Active,
    Version,
    PasswordChangedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Agency {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Account::Table)
                    .col(uuid(Account::Id).primary_key())
                    // Stored lower-cased; the unique index is what turns a race into CONFLICT.
                    .col(string_len_uniq(Account::Login, 64))
                    .col(string(Account::DisplayName))
                    .col(string(Account::PasswordHash))
                    .col(string_len(Account::Role, 16))
                    .col(json(Account::AreaScopes))
                    .col(uuid_null(Account::AgencyId))
                    .col(boolean(Account::Active).default(true))
                    .col(integer(Account::Version).default(1))
                    .col(timestamp_with_time_zone(Account::PasswordChangedAt))
                    .col(timestamp_with_time_zone(Account::CreatedAt))
                    .col(timestamp_with_time_zone(Account::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_account_agency")
                            .from(Account::Table, Account::AgencyId)
                            .to(Agency::Table, Agency::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_account_agency")
                    .table(Account::Table)
                    .col(Account::AgencyId)
                    .col(Account::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Account::Table).to_owned())
            .await
    }
}
