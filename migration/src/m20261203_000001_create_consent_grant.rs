use std::collections::BTreeSet;

use sea_orm_migration::{
    prelude::*,
    schema::*,
    sea_orm::{QueryResult, Statement},
};
use uuid::Uuid;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One row per (consent, purpose, recipient) of a consent, so that "does a consent cover
/// agency X for purpose P" is one indexed condition. Exactly one of `agency_id` (a named
/// agency) and `agency_type` (any agency of that type) is set.
#[derive(DeriveIden)]
enum ConsentGrant {
    Table,
    Id,
    ConsentId,
    HouseholdId,
    Purpose,
    AgencyId,
    AgencyType,
}

#[derive(DeriveIden)]
enum Consent {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Household {
    Table,
    Id,
}

/// Grant rows per INSERT: 6 values each, well under SQLite's oldest limit of 999 variables.
const BATCH: usize = 150;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// Creates the table and fills it from every existing consent: one row per purpose ×
    /// recipient (agency types and named agencies).
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConsentGrant::Table)
                    .col(uuid(ConsentGrant::Id).primary_key())
                    .col(uuid(ConsentGrant::ConsentId))
                    .col(uuid(ConsentGrant::HouseholdId))
                    .col(string_len(ConsentGrant::Purpose, 32))
                    .col(uuid_null(ConsentGrant::AgencyId))
                    .col(string_len_null(ConsentGrant::AgencyType, 32))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_consent_grant_consent")
                            .from(ConsentGrant::Table, ConsentGrant::ConsentId)
                            .to(Consent::Table, Consent::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_consent_grant_household")
                            .from(ConsentGrant::Table, ConsentGrant::HouseholdId)
                            .to(Household::Table, Household::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_consent_grant_household",
                vec![ConsentGrant::HouseholdId, ConsentGrant::Purpose],
            ),
            ("idx_consent_grant_consent", vec![ConsentGrant::ConsentId]),
            ("idx_consent_grant_agency", vec![ConsentGrant::AgencyId]),
        ] {
            let mut index = Index::create();
            index.name(name).table(ConsentGrant::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }

        let db = manager.get_connection();
        let consents = db
            .query_all_raw(Statement::from_string(
                manager.get_database_backend(),
                "SELECT id, household_id, purposes, recipient_agency_types, recipient_agency_ids \
                 FROM consent",
            ))
            .await?;
        let mut rows: Vec<[SimpleExpr; 6]> = Vec::new();
        for consent in &consents {
            let id: Uuid = consent.try_get("", "id")?;
            let household_id: Uuid = consent.try_get("", "household_id")?;
            let purposes = strings(consent, id, "purposes")?;
            let types = strings(consent, id, "recipient_agency_types")?;
            let agencies = strings(consent, id, "recipient_agency_ids")?
                .into_iter()
                .map(|s| {
                    Uuid::parse_str(&s).map_err(|e| {
                        DbErr::Migration(format!(
                            "consent {id}: recipient_agency_ids holds {s:?}, not a UUID: {e}"
                        ))
                    })
                })
                .collect::<Result<BTreeSet<Uuid>, DbErr>>()?;
            for purpose in &purposes {
                let grant = |agency_id: Option<Uuid>, agency_type: Option<String>| {
                    [
                        Uuid::now_v7().into(),
                        id.into(),
                        household_id.into(),
                        purpose.clone().into(),
                        agency_id.into(),
                        agency_type.into(),
                    ]
                };
                rows.extend(types.iter().map(|t| grant(None, Some(t.clone()))));
                rows.extend(agencies.iter().map(|a| grant(Some(*a), None)));
            }
        }
        for batch in rows.chunks(BATCH) {
            let mut insert = Query::insert();
            insert.into_table(ConsentGrant::Table).columns([
                ConsentGrant::Id,
                ConsentGrant::ConsentId,
                ConsentGrant::HouseholdId,
                ConsentGrant::Purpose,
                ConsentGrant::AgencyId,
                ConsentGrant::AgencyType,
            ]);
            for row in batch {
                insert.values_panic(row.clone());
            }
            db.execute(&insert).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ConsentGrant::Table).to_owned())
            .await
    }
}

/// The distinct strings of a consent's JSON array column. PostgreSQL returns `json`, SQLite
/// the text of it; either way the value is parsed here.
fn strings(row: &QueryResult, id: Uuid, column: &str) -> Result<BTreeSet<String>, DbErr> {
    let value = match row.try_get::<serde_json::Value>("", column) {
        Ok(serde_json::Value::String(text)) => serde_json::from_str(&text),
        Ok(value) => Ok(value),
        Err(_) => serde_json::from_str(&row.try_get::<String>("", column)?),
    }
    .map_err(|e| DbErr::Migration(format!("consent {id}: {column} is not JSON: {e}")))?;
    serde_json::from_value::<Vec<String>>(value)
        .map(BTreeSet::from_iter)
        .map_err(|e| {
            DbErr::Migration(format!(
                "consent {id}: {column} is not a list of strings: {e}"
            ))
        })
}
