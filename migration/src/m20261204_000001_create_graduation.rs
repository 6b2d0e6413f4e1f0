use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A household's graduation (พ้นความยากจน): the criteria that held when it graduated, the
/// monitoring window after it, and the relapse risk or relapse seen in that window.
#[derive(DeriveIden)]
enum Graduation {
    Table,
    Id,
    HouseholdId,
    GraduatedOn,
    GraduatedBy,
    /// JSON snapshot of every criterion, its threshold and the values it was judged on.
    Criteria,
    MonitorUntil,
    /// Set when an assessment inside the window falls back below the criteria.
    RelapseRiskAt,
    RelapseRiskAssessmentId,
    /// Set when the household goes back from GRADUATED to ENROLLED.
    RelapsedAt,
    RelapseReason,
    CreatedAt,
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
                    .table(Graduation::Table)
                    .col(uuid(Graduation::Id).primary_key())
                    .col(uuid(Graduation::HouseholdId))
                    .col(date(Graduation::GraduatedOn))
                    .col(uuid_null(Graduation::GraduatedBy))
                    .col(json(Graduation::Criteria))
                    .col(date(Graduation::MonitorUntil))
                    .col(timestamp_with_time_zone_null(Graduation::RelapseRiskAt))
                    .col(uuid_null(Graduation::RelapseRiskAssessmentId))
                    .col(timestamp_with_time_zone_null(Graduation::RelapsedAt))
                    .col(text_null(Graduation::RelapseReason))
                    .col(timestamp_with_time_zone(Graduation::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_graduation_household")
                            .from(Graduation::Table, Graduation::HouseholdId)
                            .to(Household::Table, Household::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_graduation_household")
                    .table(Graduation::Table)
                    .col(Graduation::HouseholdId)
                    .col(Graduation::GraduatedOn)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Graduation::Table).to_owned())
            .await
    }
}
