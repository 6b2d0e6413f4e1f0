use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Help actually delivered to a household (training, in kind, cash, a service …), with what
/// led to it: a case, a referral or a match.
#[derive(DeriveIden)]
enum Intervention {
    Table,
    Id,
    HouseholdId,
    CaseId,
    ReferralId,
    MatchId,
    Kind,
    TargetCapital,
    Quantity,
    Unit,
    CostSatang,
    DeliveredOn,
    DeliveringAgencyId,
    Notes,
    RecordedBy,
    CreatedAt,
    ClientCreatedAt,
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
enum Referral {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Match {
    Table,
    Id,
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
                    .table(Intervention::Table)
                    .col(uuid(Intervention::Id).primary_key())
                    .col(uuid(Intervention::HouseholdId))
                    .col(uuid_null(Intervention::CaseId))
                    .col(uuid_null(Intervention::ReferralId))
                    .col(uuid_null(Intervention::MatchId))
                    .col(string_len(Intervention::Kind, 32))
                    .col(string_len_null(Intervention::TargetCapital, 16))
                    .col(double(Intervention::Quantity))
                    .col(string_len(Intervention::Unit, 32))
                    .col(big_integer_null(Intervention::CostSatang))
                    .col(date(Intervention::DeliveredOn))
                    .col(uuid(Intervention::DeliveringAgencyId))
                    .col(text_null(Intervention::Notes))
                    .col(uuid_null(Intervention::RecordedBy))
                    .col(timestamp_with_time_zone(Intervention::CreatedAt))
                    .col(timestamp_with_time_zone_null(Intervention::ClientCreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_intervention_household")
                            .from(Intervention::Table, Intervention::HouseholdId)
                            .to(Household::Table, Household::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_intervention_support_case")
                            .from(Intervention::Table, Intervention::CaseId)
                            .to(SupportCase::Table, SupportCase::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_intervention_referral")
                            .from(Intervention::Table, Intervention::ReferralId)
                            .to(Referral::Table, Referral::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_intervention_match")
                            .from(Intervention::Table, Intervention::MatchId)
                            .to(Match::Table, Match::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_intervention_agency")
                            .from(Intervention::Table, Intervention::DeliveringAgencyId)
                            .to(Agency::Table, Agency::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_intervention_household",
                vec![Intervention::HouseholdId, Intervention::Id],
            ),
            (
                "idx_intervention_case",
                vec![Intervention::CaseId, Intervention::Id],
            ),
            (
                "idx_intervention_referral",
                vec![Intervention::ReferralId, Intervention::Id],
            ),
            (
                "idx_intervention_match",
                vec![Intervention::MatchId, Intervention::Id],
            ),
            (
                "idx_intervention_agency",
                vec![Intervention::DeliveringAgencyId, Intervention::Id],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Intervention::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Intervention::Table).to_owned())
            .await
    }
}
