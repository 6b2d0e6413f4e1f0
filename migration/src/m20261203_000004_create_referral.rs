use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A case's request to another agency for a service or technology, with the consent that
/// allowed it (or the reason it was sent under an override) and the answer.
#[derive(DeriveIden)]
enum Referral {
    Table,
    Id,
    CaseId,
    HouseholdId,
    FromAgencyId,
    ToAgencyId,
    ServiceId,
    TechnologyId,
    Reason,
    Status,
    DueOn,
    ConsentId,
    OverrideReason,
    ResponseNote,
    RejectionReason,
    RevokeReason,
    AcceptedAt,
    RejectedAt,
    CompletedAt,
    RevokedAt,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    ClientCreatedAt,
}

#[derive(DeriveIden)]
enum SupportCase {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Household {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Agency {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Service {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Technology {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Consent {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Referral::Table)
                    .col(uuid(Referral::Id).primary_key())
                    .col(uuid(Referral::CaseId))
                    .col(uuid(Referral::HouseholdId))
                    .col(uuid_null(Referral::FromAgencyId))
                    .col(uuid(Referral::ToAgencyId))
                    .col(uuid_null(Referral::ServiceId))
                    .col(uuid_null(Referral::TechnologyId))
                    .col(text(Referral::Reason))
                    .col(string_len(Referral::Status, 16))
                    .col(date(Referral::DueOn))
                    .col(uuid_null(Referral::ConsentId))
                    .col(text_null(Referral::OverrideReason))
                    .col(text_null(Referral::ResponseNote))
                    .col(text_null(Referral::RejectionReason))
                    .col(text_null(Referral::RevokeReason))
                    .col(timestamp_with_time_zone_null(Referral::AcceptedAt))
                    .col(timestamp_with_time_zone_null(Referral::RejectedAt))
                    .col(timestamp_with_time_zone_null(Referral::CompletedAt))
                    .col(timestamp_with_time_zone_null(Referral::RevokedAt))
                    .col(integer(Referral::Version).default(1))
                    .col(uuid_null(Referral::CreatedBy))
                    .col(timestamp_with_time_zone(Referral::CreatedAt))
                    .col(timestamp_with_time_zone(Referral::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Referral::ClientCreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_referral_support_case")
                            .from(Referral::Table, Referral::CaseId)
                            .to(SupportCase::Table, SupportCase::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_referral_household")
                            .from(Referral::Table, Referral::HouseholdId)
                            .to(Household::Table, Household::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_referral_from_agency")
                            .from(Referral::Table, Referral::FromAgencyId)
                            .to(Agency::Table, Agency::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_referral_to_agency")
                            .from(Referral::Table, Referral::ToAgencyId)
                            .to(Agency::Table, Agency::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_referral_service")
                            .from(Referral::Table, Referral::ServiceId)
                            .to(Service::Table, Service::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_referral_technology")
                            .from(Referral::Table, Referral::TechnologyId)
                            .to(Technology::Table, Technology::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_referral_consent")
                            .from(Referral::Table, Referral::ConsentId)
                            .to(Consent::Table, Consent::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_referral_case", vec![Referral::CaseId, Referral::Id]),
            (
                "idx_referral_household",
                vec![Referral::HouseholdId, Referral::Id],
            ),
            (
                "idx_referral_to_agency",
                vec![Referral::ToAgencyId, Referral::Status, Referral::Id],
            ),
            (
                "idx_referral_from_agency",
                vec![Referral::FromAgencyId, Referral::Id],
            ),
            (
                "idx_referral_status",
                vec![Referral::Status, Referral::DueOn],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Referral::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Referral::Table).to_owned())
            .await
    }
}
