//! Household import from CSV, shared by `api import households FILE.csv` and the partner
//! mutation `importHouseholds`.
//!
//! # Format
//!
//! UTF-8, comma-separated, a header row naming these columns (any order; other columns are
//! ignored), then one row per person:
//!
//! | column | meaning |
//! |---|---|
//! | `household_external_scheme` | system the household id comes from (`TPMAP`, `PPPCONNEXT`, `HOUSE_REGISTRATION` …; letters, digits, `_`) |
//! | `household_external_id` | the household's id in that system (1–64 characters) |
//! | `village_code` | DOPA village code, 8 digits (the village must exist) |
//! | `house_number`, `address` | optional |
//! | `lat`, `lng` | optional, WGS 84 decimal degrees, both or neither |
//! | `source` | `TPMAP`, `BMN_SURVEY`, `WELFARE_CARD`, `PPPCONNEXT`, `FIELD_DISCOVERY` or `PARTNER_IMPORT` |
//! | `household_size` | optional, size reported by the source (1–100) |
//! | `member_role` | `HEAD`, `SPOUSE`, `CHILD`, `ELDER`, `OTHER_RELATIVE` or `NON_RELATIVE`; exactly one `HEAD` per household |
//! | `given_name`, `family_name` | required (Thai) |
//! | `sex` | `MALE`, `FEMALE`, `OTHER` or `UNKNOWN` (empty: `UNKNOWN`) |
//! | `birth_date` | optional, `YYYY-MM-DD`, Christian era |
//! | `phone` | optional Thai number (`0XXXXXXXXX` or `+66…`) |
//! | `id_type` | `THAI_NATIONAL_ID`, `NON_THAI_ID` or `NONE`; empty: `THAI_NATIONAL_ID` when `national_id` is given, else `NONE` |
//! | `national_id` | optional; 13 digits with a valid check digit for a Thai ID |
//! | `education`, `occupation`, `disability`, `chronic_illness` | optional text |
//!
//! The rows of one household (same scheme and id) are consecutive; the household-level
//! columns (`village_code` … `household_size`) are read from its first row. A household key
//! that comes back after other households is refused ("rows of one household must be
//! consecutive").
//!
//! # What happens to a household
//!
//! Each household is validated as a whole with the registry's own checks and written
//! atomically (all of it or nothing); one bad row refuses its household only, never the rest
//! of the file. Outcomes, reported for every row:
//!
//! - `CREATED`: new household (DISCOVERED, with its members, external id, status event, audit
//!   event; look-alikes are flagged as potential duplicates as on registration).
//! - `UPDATED` / `UNCHANGED`: the external id is known, so the import is a re-run or a newer
//!   list. Household fields that differ are updated (version bumped, audited); members are
//!   matched by ID number, or without one by name and birth date; changed details are updated
//!   and new members added. An empty cell keeps what is stored (an import never erases), and
//!   members missing from the file stay. Re-running a file therefore changes nothing.
//! - `DUPLICATE`: a person's ID number belongs to someone in another household (or in an
//!   earlier household of the same file); nothing of this household is written.
//! - `REJECTED`: the reason names the line and the column (`line 17: birth_date: the birth
//!   date is in the future`).
//!
//! # Streaming and speed
//!
//! The file is read record by record and handled in batches of [`BATCH_HOUSEHOLDS`]
//! households: one round of look-ups for the batch, then one transaction for all its writes.
//! Should that transaction fail (a concurrent writer took an ID number, a version changed),
//! it is rolled back and the batch is redone one household per transaction, so each household
//! stays atomic and only the one that conflicts is refused. Memory holds one batch plus the
//! set of household keys seen (for the consecutive-rows rule), never the file.
mod csv;
mod plan;
mod write;

use std::{collections::HashMap, io::Read};

use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};

use crate::{
    audit::service::Actor,
    auth::Scope,
    error::{ApiError, ApiResult},
    pii::PiiCipher,
};

pub use self::csv::COLUMNS;
use self::{csv::*, plan::*, write::*};

/// Households looked up and written together (one transaction when nothing conflicts).
pub const BATCH_HOUSEHOLDS: usize = 250;
/// Rows one household may have (`check_members` allows 50 members at once).
const MAX_ROWS_PER_HOUSEHOLD: usize = 50;

/// What happened to a row's household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportOutcome {
    Created,
    Updated,
    Unchanged,
    Duplicate,
    Rejected,
}

impl ImportOutcome {
    /// The name used in reports (`CREATED` …).
    pub fn as_str(self) -> &'static str {
        match self {
            ImportOutcome::Created => "CREATED",
            ImportOutcome::Updated => "UPDATED",
            ImportOutcome::Unchanged => "UNCHANGED",
            ImportOutcome::Duplicate => "DUPLICATE",
            ImportOutcome::Rejected => "REJECTED",
        }
    }
}

/// The outcome of one CSV row (every row of a household shares its household's outcome).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRowResult {
    /// Line of the file where the row starts (the header is line 1).
    pub line: u64,
    /// `SCHEME:id` of the row's household (empty when the row has none).
    pub household_key: String,
    pub outcome: ImportOutcome,
    /// Why, for DUPLICATE and REJECTED: `line 17: birth_date: …`.
    pub reason: Option<String>,
}

/// Counts for a whole import. Households are counted once whatever their number of rows;
/// a row without a household key counts as a rejected household of its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportTotals {
    pub rows: u64,
    pub households: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub duplicate: u64,
    pub rejected: u64,
}

/// Reported after every batch.
#[derive(Debug, Clone, Copy)]
pub struct ImportProgress {
    /// Bytes of the input consumed so far (for an ETA against the file size).
    pub bytes_read: u64,
    pub totals: ImportTotals,
}

/// Imports households from `input` (the format above). `sink` receives every row's outcome
/// as its household is settled (in file order within a batch); `progress` is called after
/// every batch. A file that cannot be read as a whole (missing columns, not UTF-8) is an
/// error naming the line; households settled before such an error stay imported, and running
/// the fixed file again is safe.
pub async fn import_households<R: Read + Send, C: ImportDb>(
    db: &C,
    pii: &PiiCipher,
    scope: &Scope,
    actor: &Actor,
    input: R,
    sink: &mut (dyn FnMut(&ImportRowResult) + Send),
    progress: &mut (dyn FnMut(ImportProgress) + Send),
) -> ApiResult<ImportTotals> {
    let mut reader = ::csv::ReaderBuilder::new()
        .trim(::csv::Trim::All)
        .flexible(true)
        .from_reader(LfLines(std::io::BufReader::new(input)));
    let header = Header::read(&mut reader)?;
    let mut importer = Importer {
        db,
        pii,
        scope,
        actor,
        villages: HashMap::new(),
        finished: HashMap::new(),
        batches_written: 0,
        totals: ImportTotals::default(),
    };
    let mut current: Option<Group> = None;
    let mut pending: Vec<Group> = Vec::with_capacity(BATCH_HOUSEHOLDS);
    let mut record = ::csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                // Whole households read before the bad spot are settled; the one in
                // progress is not (its remaining rows are unknown).
                let error = read_error(&e, reader.position().line());
                importer.settle(&mut pending, sink).await?;
                progress(ImportProgress {
                    bytes_read: reader.position().byte(),
                    totals: importer.totals,
                });
                return Err(error);
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        importer.totals.rows += 1;
        let Some(key) = header.key(&record) else {
            importer.reject_alone(
                sink,
                line,
                format!(
                    "line {line}: household_external_scheme, household_external_id: both are \
                     required (rows are grouped into households by them)"
                ),
            );
            continue;
        };
        if let Some(group) = current.as_mut().filter(|g| g.key == key) {
            if group.lines.len() >= MAX_ROWS_PER_HOUSEHOLD {
                // Not kept, so one huge household cannot fill the memory.
                let reason = format!(
                    "line {line}: a household has at most {MAX_ROWS_PER_HOUSEHOLD} rows (members)"
                );
                reject_row(sink, line, &group.label, &reason);
                group.problem.get_or_insert(reason);
                continue;
            }
            group.add(&header, &record, line);
            continue;
        }
        if let Some(done) = current.take() {
            importer
                .finished
                .entry(done.key.clone())
                .or_insert(done.first_line);
            pending.push(done);
            if pending.len() >= BATCH_HOUSEHOLDS {
                importer.settle(&mut pending, sink).await?;
                progress(ImportProgress {
                    bytes_read: reader.position().byte(),
                    totals: importer.totals,
                });
            }
        }
        let mut group = Group::start(key, &header, &record, line);
        if let Some(first) = importer.finished.get(&group.key) {
            group.problem = Some(format!(
                "line {line}: rows of one household must be consecutive (this household's \
                 rows began at line {first})"
            ));
        }
        group.add(&header, &record, line);
        current = Some(group);
    }
    if let Some(done) = current.take() {
        pending.push(done);
    }
    importer.settle(&mut pending, sink).await?;
    progress(ImportProgress {
        bytes_read: reader.position().byte(),
        totals: importer.totals,
    });
    Ok(importer.totals)
}

/// A connection or a transaction the import can write through (each batch in a transaction
/// of its own, nested as a savepoint when `db` is itself a transaction: `--strict`).
pub trait ImportDb:
    ConnectionTrait + TransactionTrait<Transaction = sea_orm::DatabaseTransaction> + Sync
{
}
impl<T> ImportDb for T where
    T: ConnectionTrait + TransactionTrait<Transaction = sea_orm::DatabaseTransaction> + Sync
{
}

struct Importer<'a, C: ImportDb> {
    db: &'a C,
    pii: &'a PiiCipher,
    scope: &'a Scope,
    actor: &'a Actor,
    /// Village code → the checked code or the refusal (checked once per import).
    villages: HashMap<String, Result<String, String>>,
    /// Household keys whose rows have ended → their first line.
    finished: HashMap<(String, String), u64>,
    totals: ImportTotals,
    /// Batches that wrote something (PostgreSQL statistics are refreshed as this doubles).
    batches_written: u32,
}

type Sink<'s> = &'s mut (dyn FnMut(&ImportRowResult) + Send);

fn reject_row(sink: Sink<'_>, line: u64, label: &str, reason: &str) {
    sink(&ImportRowResult {
        line,
        household_key: label.to_string(),
        outcome: ImportOutcome::Rejected,
        reason: Some(reason.to_string()),
    });
}

impl<C: ImportDb> Importer<'_, C> {
    fn count(&mut self, outcome: ImportOutcome) {
        self.totals.households += 1;
        let counter = match outcome {
            ImportOutcome::Created => &mut self.totals.created,
            ImportOutcome::Updated => &mut self.totals.updated,
            ImportOutcome::Unchanged => &mut self.totals.unchanged,
            ImportOutcome::Duplicate => &mut self.totals.duplicate,
            ImportOutcome::Rejected => &mut self.totals.rejected,
        };
        *counter += 1;
    }

    /// A row that belongs to no household.
    fn reject_alone(&mut self, sink: Sink<'_>, line: u64, reason: String) {
        self.count(ImportOutcome::Rejected);
        reject_row(sink, line, "", &reason);
    }

    fn emit(
        &mut self,
        sink: Sink<'_>,
        rows: &Rows,
        outcome: ImportOutcome,
        reason: Option<String>,
    ) {
        self.count(outcome);
        for &line in &rows.lines {
            sink(&ImportRowResult {
                line,
                household_key: rows.label.clone(),
                outcome,
                reason: reason.clone(),
            });
        }
    }

    /// Validates, looks up, writes and reports the households of `pending`.
    async fn settle(&mut self, pending: &mut Vec<Group>, sink: Sink<'_>) -> ApiResult<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let mut outcomes: Vec<Option<(Rows, ImportOutcome, Option<String>)>> = Vec::new();
        let mut valid: Vec<(usize, Valid)> = Vec::new();
        for group in pending.drain(..) {
            match self.validate(group).await? {
                Ok(v) => {
                    valid.push((outcomes.len(), v));
                    outcomes.push(None);
                }
                Err((rows, reason)) => {
                    outcomes.push(Some((rows, ImportOutcome::Rejected, Some(reason))));
                }
            }
        }
        let (slots, valid): (Vec<usize>, Vec<Valid>) = valid.into_iter().unzip();
        let known = self.look_up(&valid).await?;
        let plans = self.plan_all(&valid, &known);
        let settled = match self.write(&valid, &plans).await {
            Ok(()) => {
                self.refresh_statistics(&plans).await?;
                plans.into_iter().map(Plan::into_outcome).collect()
            }
            Err(error) => {
                // Something changed under us (a concurrent writer took an ID number or
                // changed a household): redo household by household, each atomic.
                tracing::warn!(
                    code = error.code(),
                    households = valid.len(),
                    "import batch rolled back; writing its households one by one"
                );
                let mut settled = Vec::with_capacity(valid.len());
                for v in &valid {
                    settled.push(self.settle_alone(v).await?);
                }
                settled
            }
        };
        let mut valid = valid.into_iter();
        for (slot, (outcome, reason)) in slots.into_iter().zip(settled) {
            if let Some(v) = valid.next() {
                outcomes[slot] = Some((v.rows, outcome, reason));
            }
        }
        for (rows, outcome, reason) in outcomes.into_iter().flatten() {
            self.emit(sink, &rows, outcome, reason);
        }
        Ok(())
    }

    /// PostgreSQL plans the import's statements from table statistics, and an import into
    /// nearly empty tables would otherwise keep plans made for empty tables (sequential scans)
    /// while the tables grow: statistics are refreshed after 1, 2, 4, 8 … batches that wrote.
    async fn refresh_statistics(&mut self, plans: &[Plan]) -> ApiResult<()> {
        if !plans
            .iter()
            .any(|p| matches!(p, Plan::Create { .. } | Plan::Update(_)))
        {
            return Ok(());
        }
        self.batches_written += 1;
        if self.db.get_database_backend() == DbBackend::Postgres
            && self.batches_written.is_power_of_two()
        {
            self.db
                .execute_unprepared(
                    "ANALYZE household, household_external_id, person, membership, \
                     potential_duplicate",
                )
                .await?;
        }
        Ok(())
    }

    async fn settle_alone(&mut self, v: &Valid) -> ApiResult<(ImportOutcome, Option<String>)> {
        let one = std::slice::from_ref(v);
        let known = self.look_up(one).await?;
        let plans = self.plan_all(one, &known);
        match self.write(one, &plans).await {
            Ok(()) => Ok(plans
                .into_iter()
                .next()
                .map_or((ImportOutcome::Unchanged, None), Plan::into_outcome)),
            Err(ApiError::Conflict(message)) => Ok((
                ImportOutcome::Rejected,
                Some(format!(
                    "line {}: could not be saved ({message}); import the file again",
                    v.first_line
                )),
            )),
            Err(other) => Err(other),
        }
    }
}
