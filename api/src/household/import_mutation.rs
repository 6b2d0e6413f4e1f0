//! `importHouseholds`: the household CSV import (see `import.rs` for the format) for partner
//! integrations sending small batches over the API. Large files go through
//! `api import households FILE.csv` on the server.
use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject};

use super::import::{ImportOutcome, ImportRowResult, ImportTotals, import_households};
use crate::{
    auth::policy,
    error::ApiError,
    graphql::context::{actor, scope, services},
};

/// Households to import, as CSV text.
#[derive(InputObject)]
pub struct ImportHouseholdsInput {
    /// UTF-8 CSV with a header row and one row per person: `household_external_scheme,
    /// household_external_id, village_code, house_number, address, lat, lng, source,
    /// household_size, member_role, given_name, family_name, sex, birth_date, phone, id_type,
    /// national_id, education, occupation, disability, chronic_illness` (any order). The rows
    /// of one household are consecutive; household columns are read from its first row.
    /// Importing the same rows again changes nothing, so a failed call can simply be retried.
    pub csv: String,
}

/// What happened to a row's household.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum HouseholdImportOutcome {
    /// A new household was registered (DISCOVERED).
    Created,
    /// The household was known by its external id and something in it changed.
    Updated,
    /// The household was known by its external id and nothing changed.
    Unchanged,
    /// A member's ID number belongs to a person in another household; nothing was written.
    Duplicate,
    /// The household's rows are invalid (see the reason); nothing was written.
    Rejected,
}

impl From<ImportOutcome> for HouseholdImportOutcome {
    fn from(o: ImportOutcome) -> Self {
        match o {
            ImportOutcome::Created => Self::Created,
            ImportOutcome::Updated => Self::Updated,
            ImportOutcome::Unchanged => Self::Unchanged,
            ImportOutcome::Duplicate => Self::Duplicate,
            ImportOutcome::Rejected => Self::Rejected,
        }
    }
}

/// The outcome of one CSV row.
#[derive(SimpleObject)]
pub struct HouseholdImportRow {
    /// Line of the CSV where the row starts (the header is line 1).
    pub line: i32,
    /// `SCHEME:id` of the row's household (empty when the row has none).
    pub household_key: String,
    /// What happened to the row's household.
    pub outcome: HouseholdImportOutcome,
    /// Why, for DUPLICATE and REJECTED, naming the line and column (`line 17: birth_date: …`).
    pub reason: Option<String>,
}

impl From<&ImportRowResult> for HouseholdImportRow {
    fn from(r: &ImportRowResult) -> Self {
        Self {
            line: i32::try_from(r.line).unwrap_or(i32::MAX),
            household_key: r.household_key.clone(),
            outcome: r.outcome.into(),
            reason: r.reason.clone(),
        }
    }
}

/// Counts for one import; households are counted once, whatever their number of rows.
#[derive(SimpleObject)]
pub struct HouseholdImportTotals {
    /// Rows read (the header not counted).
    pub rows: i32,
    /// Households read.
    pub households: i32,
    /// Households registered.
    pub created: i32,
    /// Known households that changed.
    pub updated: i32,
    /// Known households that did not change.
    pub unchanged: i32,
    /// Households not written because a member is registered in another household.
    pub duplicate: i32,
    /// Households not written because their rows are invalid.
    pub rejected: i32,
}

impl From<ImportTotals> for HouseholdImportTotals {
    fn from(t: ImportTotals) -> Self {
        let n = |v: u64| i32::try_from(v).unwrap_or(i32::MAX);
        Self {
            rows: n(t.rows),
            households: n(t.households),
            created: n(t.created),
            updated: n(t.updated),
            unchanged: n(t.unchanged),
            duplicate: n(t.duplicate),
            rejected: n(t.rejected),
        }
    }
}

/// The result of an import.
#[derive(SimpleObject)]
pub struct ImportHouseholdsPayload {
    /// Counts.
    pub totals: HouseholdImportTotals,
    /// Every row whose household was not created (updated, unchanged, duplicate or
    /// rejected), in line order.
    pub rows: Vec<HouseholdImportRow>,
}

#[derive(Default)]
pub struct HouseholdImportMutation;

#[Object]
impl HouseholdImportMutation {
    /// Imports households from CSV (ADMIN; COORDINATOR in their areas). Each household is
    /// written whole or not at all; bad rows refuse their household only. The request body
    /// limit makes this for small batches; whole files go through the server's import command.
    #[graphql(guard = "policy::COORDINATORS")]
    async fn import_households(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "See the fields of `ImportHouseholdsInput`.")]
        input: ImportHouseholdsInput,
    ) -> Result<ImportHouseholdsPayload> {
        let s = services(ctx);
        let actor = actor(ctx)?;
        let mut rows = Vec::new();
        let totals = import_households(
            &s.db,
            &s.pii,
            &scope(ctx),
            &actor,
            input.csv.as_bytes(),
            &mut |r: &ImportRowResult| {
                if r.outcome != ImportOutcome::Created {
                    rows.push(HouseholdImportRow::from(r));
                }
            },
            &mut |_| {},
        )
        .await
        .map_err(|e| match e {
            ApiError::BadUserInput { message, .. } => ApiError::bad_input("csv", message),
            other => other,
        })?;
        rows.sort_by_key(|r| r.line);
        if let Some(me) = actor.id {
            crate::live::emit(ctx, crate::live::Kind::Import, me).await;
        }
        Ok(ImportHouseholdsPayload {
            totals: totals.into(),
            rows,
        })
    }
}
