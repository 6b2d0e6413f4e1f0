use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Id,
    OccurredAt,
    ActorId,
    ActorLogin,
    Action,
    EntityType,
    EntityId,
    ChangedFields,
    Reason,
    RequestId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvent::Table)
                    // UUIDv7: time-ordered, so the primary key is also the keyset order.
                    .col(uuid(AuditEvent::Id).primary_key())
                    .col(timestamp_with_time_zone(AuditEvent::OccurredAt))
                    .col(uuid_null(AuditEvent::ActorId))
                    .col(string_len_null(AuditEvent::ActorLogin, 64))
                    .col(string_len(AuditEvent::Action, 32))
                    .col(string_len_null(AuditEvent::EntityType, 32))
                    .col(string_len_null(AuditEvent::EntityId, 64))
                    .col(json(AuditEvent::ChangedFields))
                    .col(text_null(AuditEvent::Reason))
                    .col(string_len_null(AuditEvent::RequestId, 64))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_audit_event_actor",
                vec![AuditEvent::ActorId, AuditEvent::Id],
            ),
            (
                "idx_audit_event_entity",
                vec![AuditEvent::EntityType, AuditEvent::EntityId, AuditEvent::Id],
            ),
            (
                "idx_audit_event_action",
                vec![AuditEvent::Action, AuditEvent::Id],
            ),
            ("idx_audit_event_occurred_at", vec![AuditEvent::OccurredAt]),
        ] {
            let mut index = Index::create();
            index.name(name).table(AuditEvent::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }

        // The audit log is append-only: the database itself refuses updates and deletes, so no
        // code path (or hand-written SQL through the service's account) can rewrite history.
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$
                     BEGIN RAISE EXCEPTION 'audit_event is append-only'; END;
                     $$ LANGUAGE plpgsql",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
                     FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
                )
                .await?;
            }
            DbBackend::Sqlite => {
                for op in ["UPDATE", "DELETE"] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER audit_event_no_{op} BEFORE {op} ON audit_event
                         BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
                    ))
                    .await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS audit_event_append_only() CASCADE")
                .await?;
        }
        manager
            .drop_table(Table::drop().table(AuditEvent::Table).to_owned())
            .await
    }
}
