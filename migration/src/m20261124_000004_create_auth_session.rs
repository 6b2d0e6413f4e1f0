use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A login session: one family of refresh tokens. Access tokens carry its id (`sid`), so
/// revoking the session ends every token issued in it, on every replica.
#[derive(DeriveIden)]
enum AuthSession {
    Table,
    Id,
    AccountId,
    CreatedAt,
    LastRefreshedAt,
    ExpiresAt,
    RevokedAt,
    RevokedReason,
}

#[derive(DeriveIden)]
enum RefreshToken {
    Table,
    Id,
    SessionId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    RotatedAt,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuthSession::Table)
                    .col(uuid(AuthSession::Id).primary_key())
                    .col(uuid(AuthSession::AccountId))
                    .col(timestamp_with_time_zone(AuthSession::CreatedAt))
                    .col(timestamp_with_time_zone(AuthSession::LastRefreshedAt))
                    .col(timestamp_with_time_zone(AuthSession::ExpiresAt))
                    .col(timestamp_with_time_zone_null(AuthSession::RevokedAt))
                    .col(string_len_null(AuthSession::RevokedReason, 32))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_auth_session_account")
                            .from(AuthSession::Table, AuthSession::AccountId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_auth_session_account")
                    .table(AuthSession::Table)
                    .col(AuthSession::AccountId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RefreshToken::Table)
                    .col(uuid(RefreshToken::Id).primary_key())
                    .col(uuid(RefreshToken::SessionId))
                    .col(string_len_uniq(RefreshToken::TokenHash, 64))
                    .col(timestamp_with_time_zone(RefreshToken::CreatedAt))
                    .col(timestamp_with_time_zone(RefreshToken::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RefreshToken::RotatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refresh_token_session")
                            .from(RefreshToken::Table, RefreshToken::SessionId)
                            .to(AuthSession::Table, AuthSession::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_refresh_token_session")
                    .table(RefreshToken::Table)
                    .col(RefreshToken::SessionId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RefreshToken::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AuthSession::Table).to_owned())
            .await
    }
}
