use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A scheduled or completed contact with a household (home visit, phone call …), possibly
/// part of a case and possibly producing an assessment.
#[expect(
    clippy::enum_variant_names,
    reason = "Iden names mirror the column names, so `VisitType` keeps its prefix"
)]
#[derive(DeriveIden)]
enum Visit {
    Table,
    Id,
    HouseholdId,
    CaseId,
    VisitType,
    Status,
    ScheduledAt,
    OccurredAt,
    Notes,
    Lat,
    Lng,
    VisitorId,
    AssessmentId,
    ClientUuid,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    ClientCreatedAt,
    ClientUpdatedAt,
}

#[derive(DeriveIden)]
enum Household {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum SupportCase {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Assessment {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Visit::Table)
                    .col(uuid(Visit::Id).primary_key())
                    .col(uuid(Visit::HouseholdId))
                    .col(uuid_null(Visit::CaseId))
                    .col(string_len(Visit::VisitType, 16))
                    .col(string_len(Visit::Status, 16))
                    .col(timestamp_with_time_zone(Visit::ScheduledAt))
                    .col(timestamp_with_time_zone_null(Visit::OccurredAt))
                    .col(text_null(Visit::Notes))
                    .col(double_null(Visit::Lat))
                    .col(double_null(Visit::Lng))
                    .col(uuid_null(Visit::VisitorId))
                    .col(uuid_null(Visit::AssessmentId))
                    .col(uuid_null(Visit::ClientUuid))
                    .col(integer(Visit::Version).default(1))
                    .col(uuid_null(Visit::CreatedBy))
                    .col(timestamp_with_time_zone(Visit::CreatedAt))
                    .col(timestamp_with_time_zone(Visit::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Visit::ClientCreatedAt))
                    .col(timestamp_with_time_zone_null(Visit::ClientUpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_visit_household")
                            .from(Visit::Table, Visit::HouseholdId)
                            .to(Household::Table, Household::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_visit_support_case")
                            .from(Visit::Table, Visit::CaseId)
                            .to(SupportCase::Table, SupportCase::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_visit_account")
                            .from(Visit::Table, Visit::VisitorId)
                            .to(Account::Table, Account::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_visit_assessment")
                            .from(Visit::Table, Visit::AssessmentId)
                            .to(Assessment::Table, Assessment::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_visit_household", vec![Visit::HouseholdId, Visit::Id]),
            ("idx_visit_case", vec![Visit::CaseId, Visit::Id]),
            ("idx_visit_status", vec![Visit::Status, Visit::ScheduledAt]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Visit::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Visit::Table).to_owned())
            .await
    }
}
