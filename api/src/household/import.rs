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
use std::{
    collections::{HashMap, HashSet},
    io::Read,
};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::{
    audit_event,
    enums::{AuditAction, HouseholdSource, HouseholdStatus, MembershipRole, Sex, StringList},
    household, household_external_id, household_status_event, membership, person,
    potential_duplicate,
};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QuerySelect, Set, TransactionTrait,
    sea_query::{Expr, SimpleExpr},
};
use uuid::Uuid;

use super::{
    duplicates,
    service::person_row,
    validate::{
        CheckedPerson, MemberInput, PersonInput, check_external_ids, check_location, check_members,
        check_size, check_village, text,
    },
};
use crate::{
    audit::service::{Actor, AuditEntry},
    auth::Scope,
    error::{ApiError, ApiResult},
    graphql::node,
    pii::PiiCipher,
};

/// The columns a household file must have.
pub const COLUMNS: [&str; 21] = [
    "household_external_scheme",
    "household_external_id",
    "village_code",
    "house_number",
    "address",
    "lat",
    "lng",
    "source",
    "household_size",
    "member_role",
    "given_name",
    "family_name",
    "sex",
    "birth_date",
    "phone",
    "id_type",
    "national_id",
    "education",
    "occupation",
    "disability",
    "chronic_illness",
];
const SCHEME: usize = 0;
const EXTERNAL_ID: usize = 1;
const VILLAGE: usize = 2;
const HOUSE_NUMBER: usize = 3;
const ADDRESS: usize = 4;
const LAT: usize = 5;
const LNG: usize = 6;
const SOURCE: usize = 7;
const SIZE: usize = 8;
const ROLE: usize = 9;
const GIVEN_NAME: usize = 10;
const FAMILY_NAME: usize = 11;
const SEX: usize = 12;
const BIRTH_DATE: usize = 13;
const PHONE: usize = 14;
const ID_TYPE: usize = 15;
const NATIONAL_ID: usize = 16;
const EDUCATION: usize = 17;
const OCCUPATION: usize = 18;
const DISABILITY: usize = 19;
const CHRONIC_ILLNESS: usize = 20;

/// Households looked up and written together (one transaction when nothing conflicts).
pub const BATCH_HOUSEHOLDS: usize = 250;
/// Rows one household may have (`check_members` allows 50 members at once).
const MAX_ROWS_PER_HOUSEHOLD: usize = 50;
/// Rows per multi-row INSERT and values per IN list: well under the bind-parameter limits
/// (SQLite 32,766, PostgreSQL 65,535) for the widest table written here (person, 21 columns).
const INSERT_CHUNK: usize = 128;
const IN_LIST: usize = 512;

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
pub async fn import_households<R: Read + Send>(
    db: &DatabaseConnection,
    pii: &PiiCipher,
    scope: &Scope,
    actor: &Actor,
    input: R,
    sink: &mut (dyn FnMut(&ImportRowResult) + Send),
    progress: &mut (dyn FnMut(ImportProgress) + Send),
) -> ApiResult<ImportTotals> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
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
    let mut record = csv::StringRecord::new();
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

fn read_error(e: &csv::Error, fallback_line: u64) -> ApiError {
    let line = e.position().map_or(fallback_line, |p| p.line());
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => ApiError::bad_input(
            "file",
            format!(
                "line {line}: the file is not UTF-8 (files from older Thai systems are often \
                 TIS-620/Windows-874: save it as UTF-8 and import it again)"
            ),
        ),
        csv::ErrorKind::Io(err) => {
            ApiError::bad_input("file", format!("line {line}: cannot read the file: {err}"))
        }
        _ => ApiError::bad_input("file", format!("line {line}: cannot read the row: {e}")),
    }
}

/// Turns CRLF line ends into LF. The csv crate reports the line of a record one too low after
/// a CRLF (it counts the LF when it reads the next record), and spreadsheets write CRLF; with
/// LF only, the reported lines match what an editor shows.
struct LfLines<R: std::io::BufRead>(R);

impl<R: std::io::BufRead> Read for LfLines<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < out.len() {
            let (used, trailing_cr) = {
                let buf = self.0.fill_buf()?;
                if buf.is_empty() {
                    break;
                }
                let mut i = 0;
                while i < buf.len() && n < out.len() {
                    if buf[i] == b'\r' {
                        match buf.get(i + 1) {
                            Some(b'\n') => {
                                i += 1;
                                continue;
                            }
                            None => break,
                            Some(_) => {}
                        }
                    }
                    out[n] = buf[i];
                    n += 1;
                    i += 1;
                }
                (i, i + 1 == buf.len() && n < out.len())
            };
            self.0.consume(used);
            if trailing_cr {
                // A CR ends the buffered bytes: keep it unless an LF follows.
                self.0.consume(1);
                if self.0.fill_buf()?.first() != Some(&b'\n') {
                    out[n] = b'\r';
                    n += 1;
                }
            }
            if n > 0 {
                break;
            }
        }
        Ok(n)
    }
}

/// Where each known column is in the file.
struct Header {
    positions: [usize; COLUMNS.len()],
    width: usize,
}

impl Header {
    fn read<R: Read>(reader: &mut csv::Reader<R>) -> ApiResult<Self> {
        let headers = reader.headers().map_err(|e| read_error(&e, 1))?;
        let names: Vec<String> = headers
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_lowercase())
            .collect();
        let mut positions = [0; COLUMNS.len()];
        let mut missing = Vec::new();
        for (i, column) in COLUMNS.iter().enumerate() {
            match names.iter().position(|n| n == column) {
                Some(p) => positions[i] = p,
                None => missing.push(*column),
            }
        }
        if !missing.is_empty() {
            return Err(ApiError::bad_input(
                "file",
                format!("line 1: missing columns: {}", missing.join(", ")),
            ));
        }
        Ok(Self {
            positions,
            width: names.len(),
        })
    }

    fn cell<'r>(&self, record: &'r csv::StringRecord, column: usize) -> &'r str {
        record.get(self.positions[column]).unwrap_or("")
    }

    fn optional(&self, record: &csv::StringRecord, column: usize) -> Option<String> {
        Some(self.cell(record, column))
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// `(SCHEME, id)`, normalised as `check_external_ids` stores them.
    fn key(&self, record: &csv::StringRecord) -> Option<(String, String)> {
        let scheme = self.cell(record, SCHEME).to_uppercase();
        let value = self.cell(record, EXTERNAL_ID).to_string();
        (!scheme.is_empty() && !value.is_empty()).then_some((scheme, value))
    }
}

/// `line N: column: message`.
fn at(line: u64, column: usize, message: impl std::fmt::Display) -> String {
    format!("line {line}: {}: {message}", COLUMNS[column])
}

fn parse_enum<E: ActiveEnum<Value = String>>(
    raw: &str,
    line: u64,
    column: usize,
) -> Result<Option<E>, String> {
    if raw.is_empty() {
        return Ok(None);
    }
    let value = raw.to_uppercase().replace([' ', '-'], "_");
    E::try_from_value(&value).map(Some).map_err(|_| {
        at(
            line,
            column,
            format!("use one of {}", E::values().join(", ")),
        )
    })
}

fn parse_date(raw: &str, line: u64) -> Result<Option<NaiveDate>, String> {
    if raw.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| at(line, BIRTH_DATE, "write the date as YYYY-MM-DD"))?;
    if date.year() > 2400 {
        // Thai records often count years from the Buddha (2568 = 2025).
        return Err(at(
            line,
            BIRTH_DATE,
            format!(
                "{} looks like a Buddhist-era year; write the Christian-era year ({})",
                date.year(),
                date.year() - 543
            ),
        ));
    }
    Ok(Some(date))
}

fn parse_number<T: std::str::FromStr>(
    raw: &str,
    line: u64,
    column: usize,
    what: &str,
) -> Result<Option<T>, String> {
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse()
        .map(Some)
        .map_err(|_| at(line, column, format!("not {what}")))
}

/// Household-level columns, from the household's first row.
#[derive(Debug, Clone)]
struct HouseholdColumns {
    village_code: String,
    house_number: Option<String>,
    address: Option<String>,
    lat: Option<f64>,
    lng: Option<f64>,
    source: HouseholdSource,
    household_size: Option<i32>,
}

impl HouseholdColumns {
    fn parse(h: &Header, r: &csv::StringRecord, line: u64) -> Result<Self, String> {
        let source = parse_enum::<HouseholdSource>(h.cell(r, SOURCE), line, SOURCE)?
            .ok_or_else(|| at(line, SOURCE, "required"))?;
        let coordinate = |column| {
            parse_number::<f64>(h.cell(r, column), line, column, "a decimal number").and_then(|v| {
                match v {
                    Some(x) if !x.is_finite() => Err(at(line, column, "not a number")),
                    other => Ok(other),
                }
            })
        };
        Ok(Self {
            village_code: h.cell(r, VILLAGE).to_string(),
            house_number: h.optional(r, HOUSE_NUMBER),
            address: h.optional(r, ADDRESS),
            lat: coordinate(LAT)?,
            lng: coordinate(LNG)?,
            source,
            household_size: parse_number(h.cell(r, SIZE), line, SIZE, "a whole number")?,
        })
    }
}

fn parse_member(h: &Header, r: &csv::StringRecord, line: u64) -> Result<MemberInput, String> {
    let role = parse_enum::<MembershipRole>(h.cell(r, ROLE), line, ROLE)?
        .ok_or_else(|| at(line, ROLE, "required"))?;
    Ok(MemberInput {
        role,
        start_date: None,
        person: PersonInput {
            given_name: h.cell(r, GIVEN_NAME).to_string(),
            family_name: h.cell(r, FAMILY_NAME).to_string(),
            sex: parse_enum::<Sex>(h.cell(r, SEX), line, SEX)?,
            birth_date: parse_date(h.cell(r, BIRTH_DATE), line)?,
            phone: h.optional(r, PHONE),
            education: h.optional(r, EDUCATION),
            occupation: h.optional(r, OCCUPATION),
            disability: h.optional(r, DISABILITY),
            chronic_illness: h.optional(r, CHRONIC_ILLNESS),
            id_type: parse_enum(h.cell(r, ID_TYPE), line, ID_TYPE)?,
            national_id: h.optional(r, NATIONAL_ID),
        },
    })
}

/// The rows of one household as read.
struct Group {
    key: (String, String),
    label: String,
    first_line: u64,
    lines: Vec<u64>,
    household: Result<HouseholdColumns, String>,
    members: Vec<MemberInput>,
    member_lines: Vec<u64>,
    /// The first problem found while reading (the household is refused with it).
    problem: Option<String>,
}

impl Group {
    fn start(key: (String, String), h: &Header, r: &csv::StringRecord, line: u64) -> Self {
        Self {
            label: format!("{}:{}", key.0, key.1),
            key,
            first_line: line,
            lines: Vec::new(),
            household: HouseholdColumns::parse(h, r, line),
            members: Vec::new(),
            member_lines: Vec::new(),
            problem: None,
        }
    }

    fn add(&mut self, h: &Header, r: &csv::StringRecord, line: u64) {
        self.lines.push(line);
        if r.len() != h.width {
            self.problem.get_or_insert(format!(
                "line {line}: the row has {} fields; the header has {}",
                r.len(),
                h.width
            ));
            return;
        }
        match parse_member(h, r, line) {
            Ok(m) => {
                self.members.push(m);
                self.member_lines.push(line);
            }
            Err(reason) => {
                self.problem.get_or_insert(reason);
            }
        }
    }
}

/// Which lines a household's outcome applies to.
struct Rows {
    label: String,
    lines: Vec<u64>,
}

/// A household whose rows passed every check that needs no look-up of other households.
struct Valid {
    rows: Rows,
    key: (String, String),
    first_line: u64,
    member_lines: Vec<u64>,
    village: String,
    house_number: Option<String>,
    address: Option<String>,
    location: Option<(f64, f64)>,
    source: HouseholdSource,
    size: Option<i32>,
    members: Vec<(MembershipRole, CheckedPerson)>,
}

/// `validate` field names → (line, CSV column).
fn locate(field: &str, first_line: u64, member_lines: &[u64]) -> (u64, String) {
    if let Some((index, tail)) = field
        .strip_prefix("members[")
        .and_then(|rest| rest.split_once(']'))
    {
        let line = index
            .parse::<usize>()
            .ok()
            .and_then(|i| member_lines.get(i))
            .copied()
            .unwrap_or(first_line);
        let column = match tail.strip_prefix(".person.") {
            Some(name) => snake_case(name),
            None => COLUMNS[ROLE].to_string(),
        };
        return (line, column);
    }
    let column = match field {
        "members" => COLUMNS[ROLE].to_string(),
        "location" => format!("{}, {}", COLUMNS[LAT], COLUMNS[LNG]),
        f if f.ends_with(".scheme") => COLUMNS[SCHEME].to_string(),
        f if f.starts_with("externalIds") => COLUMNS[EXTERNAL_ID].to_string(),
        other => snake_case(other),
    };
    (first_line, column)
}

fn snake_case(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A validation error as a report reason; anything but bad input is not about the row and
/// stops the import.
fn reason_for(error: ApiError, first_line: u64, member_lines: &[u64]) -> ApiResult<String> {
    match error {
        ApiError::BadUserInput { field, message } => {
            let (line, column) = locate(&field, first_line, member_lines);
            // Some messages repeat the API field name ("members[0].person.education has …").
            let message = message.replace(&field, &column);
            Ok(format!("line {line}: {column}: {message}"))
        }
        ApiError::Conflict(message) => Ok(format!("line {first_line}: {message}")),
        other => Err(other),
    }
}

/// What a household's rows will do.
enum Plan {
    Create { id: Uuid, person_ids: Vec<Uuid> },
    Update(Box<Update>),
    Unchanged,
    Duplicate(String),
    Rejected(String),
}

struct Update {
    current: household::Model,
    /// Household columns that change, with their API field names for the audit log.
    columns: Vec<(household::Column, SimpleExpr)>,
    fields: Vec<&'static str>,
    persons: Vec<PersonChange>,
    /// Membership id → new role.
    roles: Vec<(Uuid, MembershipRole)>,
    /// New members: index into `Valid::members`, new person id.
    added: Vec<(usize, Uuid)>,
}

struct PersonChange {
    id: Uuid,
    version: i32,
    row: person::ActiveModel,
    fields: Vec<&'static str>,
}

impl Update {
    fn members_changed(&self) -> bool {
        !self.roles.is_empty() || !self.added.is_empty()
    }
}

/// Who holds an ID number already.
struct Owner {
    household_id: Option<Uuid>,
    /// Whether that membership is current.
    active: bool,
}

/// What the database knows about one batch.
#[derive(Default)]
struct Known {
    by_key: HashMap<(String, String), Uuid>,
    households: HashMap<Uuid, household::Model>,
    /// Current members of the batch's known households.
    members: HashMap<Uuid, Vec<(membership::Model, person::Model)>>,
    owners: HashMap<String, Owner>,
}

struct Importer<'a> {
    db: &'a DatabaseConnection,
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

impl Importer<'_> {
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

    /// Every check of the registry that needs only this household (and the village table).
    async fn validate(&mut self, g: Group) -> ApiResult<Result<Valid, (Rows, String)>> {
        let rows = Rows {
            label: g.label,
            lines: g.lines,
        };
        let refuse = |rows: Rows, reason: String| Ok(Err((rows, reason)));
        let household = match (g.problem, g.household) {
            (Some(reason), _) | (None, Err(reason)) => return refuse(rows, reason),
            (None, Ok(h)) => h,
        };
        let (first, lines) = (g.first_line, &g.member_lines);
        let checked = (|| {
            check_external_ids(&[(g.key.0.clone(), g.key.1.clone())])?;
            let location = check_location(household.lat, household.lng)?;
            let size = check_size(household.household_size)?;
            let house_number = text(household.house_number.as_deref(), "houseNumber", 50)?;
            let address = text(household.address.as_deref(), "address", 500)?;
            let members = check_members(&g.members, self.pii)?;
            Ok((location, size, house_number, address, members))
        })();
        let (location, size, house_number, address, members) = match checked {
            Ok(c) => c,
            Err(e) => return refuse(rows, reason_for(e, first, lines)?),
        };
        let village = match self.village(&household.village_code).await? {
            Ok(code) => code,
            Err(message) => {
                return refuse(
                    rows,
                    format!("line {first}: {}: {message}", COLUMNS[VILLAGE]),
                );
            }
        };
        Ok(Ok(Valid {
            rows,
            key: g.key,
            first_line: first,
            member_lines: g.member_lines,
            village,
            house_number,
            address,
            location,
            source: household.source,
            size,
            members: members.into_iter().map(|(role, _, p)| (role, p)).collect(),
        }))
    }

    async fn village(&mut self, code: &str) -> ApiResult<Result<String, String>> {
        if let Some(known) = self.villages.get(code) {
            return Ok(known.clone());
        }
        let checked = match check_village(self.db, code, self.scope).await {
            Ok(c) => Ok(c),
            Err(ApiError::BadUserInput { message, .. }) => Err(message),
            Err(other) => return Err(other),
        };
        self.villages.insert(code.to_string(), checked.clone());
        Ok(checked)
    }

    /// One round of queries for the whole batch: known external ids, their households and
    /// current members, and who holds each ID number.
    async fn look_up(&self, batch: &[Valid]) -> ApiResult<Known> {
        let mut known = Known::default();
        if batch.is_empty() {
            return Ok(known);
        }
        let mut by_scheme: HashMap<&str, Vec<&str>> = HashMap::new();
        for v in batch {
            by_scheme.entry(&v.key.0).or_default().push(&v.key.1);
        }
        for (scheme, values) in by_scheme {
            for list in in_lists(&values) {
                for row in household_external_id::Entity::find()
                    .filter(household_external_id::Column::Scheme.eq(scheme))
                    .filter(household_external_id::Column::Value.is_in(list))
                    .all(self.db)
                    .await?
                {
                    known
                        .by_key
                        .insert((row.scheme, row.value), row.household_id);
                }
            }
        }

        let persons = || batch.iter().flat_map(|v| &v.members).map(|(_, p)| p);
        let hashes: Vec<&str> = persons()
            .filter_map(|p| p.sealed.as_ref().map(|s| s.hash.as_str()))
            .collect();
        let mut holders: HashMap<Uuid, String> = HashMap::new();
        for list in in_lists(&hashes) {
            let rows: Vec<(Uuid, Option<String>)> = person::Entity::find()
                .select_only()
                .column(person::Column::Id)
                .column(person::Column::NationalIdHash)
                .filter(person::Column::NationalIdHash.is_in(list))
                .into_tuple()
                .all(self.db)
                .await?;
            holders.extend(rows.into_iter().filter_map(|(id, h)| Some((id, h?))));
        }
        if !holders.is_empty() {
            let ids: Vec<Uuid> = holders.keys().copied().collect();
            let mut by_person: HashMap<Uuid, Vec<membership::Model>> = HashMap::new();
            for list in in_lists(&ids) {
                for m in membership::Entity::find()
                    .filter(membership::Column::PersonId.is_in(list))
                    .all(self.db)
                    .await?
                {
                    by_person.entry(m.person_id).or_default().push(m);
                }
            }
            for (person_id, hash) in holders {
                // A current membership wins over past ones.
                let m = by_person.get(&person_id).and_then(|ms| {
                    ms.iter()
                        .max_by_key(|m| (m.end_date.is_none(), m.created_at))
                });
                known.owners.insert(
                    hash,
                    Owner {
                        household_id: m.map(|m| m.household_id),
                        active: m.is_some_and(|m| m.end_date.is_none()),
                    },
                );
            }
        }

        let household_ids: Vec<Uuid> = known
            .by_key
            .values()
            .copied()
            .chain(known.owners.values().filter_map(|o| o.household_id))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        for list in in_lists(&household_ids) {
            for h in household::Entity::find()
                .filter(household::Column::Id.is_in(list))
                .all(self.db)
                .await?
            {
                known.households.insert(h.id, h);
            }
        }
        let keyed: Vec<Uuid> = known.by_key.values().copied().collect();
        for list in in_lists(&keyed) {
            for (m, p) in membership::Entity::find()
                .filter(membership::Column::HouseholdId.is_in(list))
                .filter(membership::Column::EndDate.is_null())
                .find_also_related(person::Entity)
                .all(self.db)
                .await?
            {
                if let Some(p) = p {
                    known
                        .members
                        .entry(m.household_id)
                        .or_default()
                        .push((m, p));
                }
            }
        }
        Ok(known)
    }

    /// Which phone numbers of new members somebody in the registry has already (see `write`).
    async fn known_phones(&self, new: &[&CheckedPerson]) -> ApiResult<HashSet<String>> {
        let mut known = HashSet::new();
        let phones: Vec<&str> = new
            .iter()
            .filter_map(|p| p.phone.as_deref())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        for list in in_lists(&phones) {
            let rows: Vec<Option<String>> = person::Entity::find()
                .select_only()
                .column(person::Column::Phone)
                .filter(person::Column::Phone.is_in(list))
                .into_tuple()
                .all(self.db)
                .await?;
            known.extend(rows.into_iter().flatten());
        }
        Ok(known)
    }

    fn plan_all(&self, batch: &[Valid], known: &Known) -> Vec<Plan> {
        // ID numbers taken by earlier households of this batch → that household.
        let mut claimed: HashMap<String, Uuid> = HashMap::new();
        let mut plans = Vec::with_capacity(batch.len());
        for v in batch {
            let plan = self.plan(v, known, &claimed);
            let household = match &plan {
                Plan::Create { id, .. } => Some(*id),
                Plan::Update(u) => Some(u.current.id),
                Plan::Unchanged => known.by_key.get(&v.key).copied(),
                Plan::Duplicate(_) | Plan::Rejected(_) => None,
            };
            if let Some(household) = household {
                for (_, p) in &v.members {
                    if let Some(s) = &p.sealed {
                        claimed.insert(s.hash.clone(), household);
                    }
                }
            }
            plans.push(plan);
        }
        plans
    }

    fn named(&self, household: Option<&household::Model>) -> String {
        match household {
            Some(h) if self.scope.contains_area(&h.village_code) => {
                format!("in household {}", node::encode("Household", h.id).0)
            }
            Some(_) => "in a household outside your areas".to_string(),
            None => "(in no household)".to_string(),
        }
    }

    fn plan(&self, v: &Valid, known: &Known, claimed: &HashMap<String, Uuid>) -> Plan {
        let existing = known
            .by_key
            .get(&v.key)
            .and_then(|id| known.households.get(id));
        if let Some(h) = existing
            && !self.scope.contains_area(&h.village_code)
        {
            return Plan::Rejected(at(
                v.first_line,
                EXTERNAL_ID,
                "this id belongs to a household outside your areas",
            ));
        }
        for (i, (_, p)) in v.members.iter().enumerate() {
            let Some(s) = &p.sealed else { continue };
            let line = v.member_lines.get(i).copied().unwrap_or(v.first_line);
            if let Some(other) = claimed.get(&s.hash) {
                return Plan::Duplicate(at(
                    line,
                    NATIONAL_ID,
                    format!(
                        "a person with this ID number is in household {}, earlier in this file",
                        node::encode("Household", other).0
                    ),
                ));
            }
            let Some(owner) = known.owners.get(&s.hash) else {
                continue;
            };
            match (existing, owner.household_id) {
                (Some(h), Some(o)) if h.id == o && owner.active => {}
                (Some(h), Some(o)) if h.id == o => {
                    return Plan::Rejected(at(
                        line,
                        NATIONAL_ID,
                        "this person has left this household; add them again in the app",
                    ));
                }
                (_, o) => {
                    return Plan::Duplicate(at(
                        line,
                        NATIONAL_ID,
                        format!(
                            "a person with this ID number is already registered, {}",
                            self.named(o.and_then(|o| known.households.get(&o)))
                        ),
                    ));
                }
            }
        }
        match existing {
            None => Plan::Create {
                id: Uuid::now_v7(),
                person_ids: v.members.iter().map(|_| Uuid::now_v7()).collect(),
            },
            Some(h) => self.plan_update(v, h, known.members.get(&h.id).map_or(&[], Vec::as_slice)),
        }
    }

    fn plan_update(
        &self,
        v: &Valid,
        current: &household::Model,
        members: &[(membership::Model, person::Model)],
    ) -> Plan {
        let mut columns: Vec<(household::Column, SimpleExpr)> = Vec::new();
        let mut fields = Vec::new();
        if v.village != current.village_code {
            columns.push((
                household::Column::VillageCode,
                Expr::value(v.village.clone()),
            ));
            fields.push("villageCode");
        }
        if v.house_number.is_some() && v.house_number != current.house_number {
            columns.push((
                household::Column::HouseNumber,
                Expr::value(v.house_number.clone()),
            ));
            fields.push("houseNumber");
        }
        if v.address.is_some() && v.address != current.address {
            columns.push((household::Column::Address, Expr::value(v.address.clone())));
            fields.push("address");
        }
        if let Some((lat, lng)) = v.location
            && (Some(lat), Some(lng)) != (current.lat, current.lng)
        {
            columns.push((household::Column::Lat, Expr::value(lat)));
            columns.push((household::Column::Lng, Expr::value(lng)));
            fields.push("location");
        }
        if v.source != current.source {
            columns.push((household::Column::Source, Expr::value(v.source)));
            fields.push("source");
        }
        if v.size.is_some() && v.size != current.household_size {
            columns.push((household::Column::HouseholdSize, Expr::value(v.size)));
            fields.push("householdSize");
        }

        // Match the file's members to the current ones: by ID number first, then by name and
        // birth date (a person without an ID, or whose ID is new to the registry).
        let mut matched: Vec<Option<usize>> = vec![None; v.members.len()];
        let mut taken = vec![false; members.len()];
        for (i, (_, p)) in v.members.iter().enumerate() {
            let Some(s) = &p.sealed else { continue };
            if let Some(j) = members
                .iter()
                .position(|(_, q)| q.national_id_hash.as_deref() == Some(s.hash.as_str()))
            {
                matched[i] = Some(j);
                taken[j] = true;
            }
        }
        for (i, (_, p)) in v.members.iter().enumerate() {
            if matched[i].is_some() {
                continue;
            }
            if let Some(j) = members.iter().enumerate().position(|(j, (_, q))| {
                !taken[j]
                    && q.name_key == p.name_key
                    && q.birth_date == p.birth_date
                    && (p.sealed.is_none() || q.national_id_hash.is_none())
            }) {
                matched[i] = Some(j);
                taken[j] = true;
            }
        }

        let now = Utc::now();
        let mut persons = Vec::new();
        let mut roles = Vec::new();
        let mut added = Vec::new();
        let mut final_roles: Vec<MembershipRole> = members.iter().map(|(m, _)| m.role).collect();
        for (i, (role, p)) in v.members.iter().enumerate() {
            match matched[i] {
                Some(j) => {
                    let (m, q) = &members[j];
                    if *role != m.role {
                        roles.push((m.id, *role));
                        final_roles[j] = *role;
                    }
                    if let Some(change) = person_change(q, p, now) {
                        persons.push(change);
                    }
                }
                None => {
                    added.push((i, Uuid::now_v7()));
                    final_roles.push(*role);
                }
            }
        }
        let heads = final_roles
            .iter()
            .filter(|r| **r == MembershipRole::Head)
            .count();
        if heads != 1 {
            return Plan::Rejected(at(
                v.first_line,
                ROLE,
                format!(
                    "the household would have {heads} HEADs (its current members who are not in \
                     the file keep their roles)"
                ),
            ));
        }
        if columns.is_empty() && persons.is_empty() && roles.is_empty() && added.is_empty() {
            return Plan::Unchanged;
        }
        Plan::Update(Box::new(Update {
            current: current.clone(),
            columns,
            fields,
            persons,
            roles,
            added,
        }))
    }

    /// Writes every CREATE and UPDATE of the batch in one transaction.
    async fn write(&self, batch: &[Valid], plans: &[Plan]) -> ApiResult<()> {
        if !plans
            .iter()
            .any(|p| matches!(p, Plan::Create { .. } | Plan::Update(_)))
        {
            return Ok(());
        }
        let actor = self.actor;
        let now = Utc::now();
        // `flag_similar` looks for people with a similar name in the same village, and for
        // people with the same phone; the phone query joins all current memberships (on
        // SQLite it scans them: a LEFT JOIN with an IN list is not turned into an inner
        // join), which makes a large import slow down as the registry grows. A phone that
        // nobody in the registry and no other household of this batch has cannot match, so
        // such a person is handed over without it: the result is the same, the query is
        // skipped. (This mirrors `flag_similar`'s phone rule; keep them in step.)
        let new_members: Vec<&CheckedPerson> = batch
            .iter()
            .zip(plans)
            .flat_map(|(v, plan)| {
                let members: Vec<&CheckedPerson> = match plan {
                    Plan::Create { .. } => v.members.iter().map(|(_, p)| p).collect(),
                    Plan::Update(u) => u
                        .added
                        .iter()
                        .filter_map(|(i, _)| v.members.get(*i).map(|(_, p)| p))
                        .collect(),
                    Plan::Unchanged | Plan::Duplicate(_) | Plan::Rejected(_) => Vec::new(),
                };
                members
            })
            .collect();
        let known_phones = self.known_phones(&new_members).await?;
        let mut phone_households: HashMap<&str, usize> = HashMap::new();
        for v in batch {
            let phones: HashSet<&str> = v
                .members
                .iter()
                .filter_map(|(_, p)| p.phone.as_deref())
                .collect();
            for phone in phones {
                *phone_households.entry(phone).or_default() += 1;
            }
        }
        let probe = |p: &CheckedPerson| {
            let mut p = p.clone();
            if let Some(phone) = p.phone.as_deref()
                && !known_phones.contains(phone)
                && phone_households.get(phone).is_none_or(|n| *n < 2)
            {
                p.phone = None;
            }
            p
        };

        let mut households = Vec::new();
        let mut external_ids = Vec::new();
        let mut persons = Vec::new();
        let mut memberships = Vec::new();
        let mut events = Vec::new();
        let mut audits = Vec::new();
        let mut newcomers: Vec<Newcomers> = Vec::new();
        // Households whose rollup contribution may change: new ones and moved ones.
        let mut touched: Vec<Uuid> = Vec::new();
        let txn = self.db.begin().await?;
        for (v, plan) in batch.iter().zip(plans) {
            match plan {
                Plan::Create { id, person_ids } => {
                    touched.push(*id);
                    households.push(household_row(v, *id, actor, now));
                    external_ids.push(household_external_id::ActiveModel {
                        household_id: Set(*id),
                        scheme: Set(v.key.0.clone()),
                        value: Set(v.key.1.clone()),
                    });
                    let mut new = Vec::with_capacity(v.members.len());
                    for ((role, p), person_id) in v.members.iter().zip(person_ids) {
                        persons.push(person_row(p, *person_id, now));
                        memberships.push(membership_row(*id, *person_id, *role, now));
                        new.push((*person_id, probe(p)));
                    }
                    events.push(status_row(*id, actor, now));
                    audits.push(audit_row(
                        AuditEntry::by(actor, AuditAction::Create)
                            .entity("Household", id)
                            .fields([
                                "villageCode",
                                "houseNumber",
                                "address",
                                "location",
                                "source",
                                "householdSize",
                                "externalIds",
                                "members",
                            ]),
                        now,
                    ));
                    newcomers.push(Newcomers {
                        household_id: *id,
                        is_new: true,
                        village: &v.village,
                        persons: new,
                        rows: None,
                    });
                }
                Plan::Update(u) => {
                    let id = u.current.id;
                    if u.fields.contains(&"villageCode") {
                        touched.push(id);
                    }
                    let mut fields = u.fields.clone();
                    if u.members_changed() {
                        fields.push("members");
                    }
                    if !fields.is_empty() {
                        claim(&txn, &u.current, actor, now, &u.columns).await?;
                        audits.push(audit_row(
                            AuditEntry::by(actor, AuditAction::Update)
                                .entity("Household", id)
                                .fields(fields),
                            now,
                        ));
                    }
                    for change in &u.persons {
                        let res = person::Entity::update_many()
                            .set(change.row.clone())
                            .filter(person::Column::Id.eq(change.id))
                            .filter(person::Column::Version.eq(change.version))
                            .exec(&txn)
                            .await?;
                        if res.rows_affected != 1 {
                            return Err(ApiError::stale("person"));
                        }
                        audits.push(audit_row(
                            AuditEntry::by(actor, AuditAction::Update)
                                .entity("Person", change.id)
                                .fields(change.fields.iter().copied()),
                            now,
                        ));
                    }
                    for (membership_id, role) in &u.roles {
                        membership::Entity::update_many()
                            .col_expr(membership::Column::Role, Expr::value(*role))
                            .filter(membership::Column::Id.eq(*membership_id))
                            .exec(&txn)
                            .await?;
                    }
                    if !u.added.is_empty() {
                        let mut rows = (Vec::new(), Vec::new());
                        let mut new = Vec::with_capacity(u.added.len());
                        for (i, person_id) in &u.added {
                            let Some((role, p)) = v.members.get(*i) else {
                                continue;
                            };
                            rows.0.push(person_row(p, *person_id, now));
                            rows.1.push(membership_row(id, *person_id, *role, now));
                            new.push((*person_id, probe(p)));
                        }
                        newcomers.push(Newcomers {
                            household_id: id,
                            is_new: false,
                            village: &v.village,
                            persons: new,
                            rows: Some(rows),
                        });
                    }
                }
                Plan::Unchanged | Plan::Duplicate(_) | Plan::Rejected(_) => {}
            }
        }
        insert_chunks::<household::Entity, _>(&txn, households).await?;
        insert_chunks::<household_external_id::Entity, _>(&txn, external_ids).await?;
        insert_chunks::<person::Entity, _>(&txn, persons).await?;
        insert_chunks::<membership::Entity, _>(&txn, memberships).await?;

        // Potential duplicates, flagged in file order as if the households had been written
        // one by one. An updated household's new members are inserted just before its turn,
        // so earlier households do not see them. New households were all inserted above, so
        // one may see a new household later in the batch: such flags point forward, could not
        // have existed one by one (the later household's members were all new), and are
        // removed; the later household flags the pair from its side, as it would have.
        let position: HashMap<Uuid, usize> = newcomers
            .iter()
            .enumerate()
            .map(|(i, n)| (n.household_id, i))
            .collect();
        for n in &mut newcomers {
            if let Some((new_persons, new_memberships)) = n.rows.take() {
                insert_chunks::<person::Entity, _>(&txn, new_persons).await?;
                insert_chunks::<membership::Entity, _>(&txn, new_memberships).await?;
            }
            duplicates::flag_similar(&txn, n.household_id, n.village, &n.persons).await?;
        }
        let fresh: Vec<Uuid> = newcomers
            .iter()
            .filter(|n| n.is_new)
            .map(|n| n.household_id)
            .collect();
        if newcomers.len() > 1 && !fresh.is_empty() {
            let mut forward = Vec::new();
            for list in in_lists(&fresh) {
                let rows: Vec<(Uuid, Uuid, Uuid)> = potential_duplicate::Entity::find()
                    .select_only()
                    .column(potential_duplicate::Column::Id)
                    .column(potential_duplicate::Column::HouseholdId)
                    .column(potential_duplicate::Column::OtherHouseholdId)
                    .filter(potential_duplicate::Column::OtherHouseholdId.is_in(list))
                    .into_tuple()
                    .all(&txn)
                    .await?;
                forward.extend(rows.into_iter().filter_map(|(id, h, other)| {
                    (position.get(&h)? < position.get(&other)?).then_some(id)
                }));
            }
            for list in in_lists(&forward) {
                potential_duplicate::Entity::delete_many()
                    .filter(potential_duplicate::Column::Id.is_in(list))
                    .exec(&txn)
                    .await?;
            }
        }
        insert_chunks::<household_status_event::Entity, _>(&txn, events).await?;
        insert_chunks::<audit_event::Entity, _>(&txn, audits).await?;
        crate::rollup::touch(&txn, &touched).await?;
        txn.commit().await?;
        Ok(())
    }
}

/// A household of the batch that gets new members, in file order.
struct Newcomers<'v> {
    household_id: Uuid,
    /// A new household (all its members are new).
    is_new: bool,
    village: &'v str,
    persons: Vec<(Uuid, CheckedPerson)>,
    /// An updated household's new person and membership rows, inserted at its turn.
    rows: Option<(Vec<person::ActiveModel>, Vec<membership::ActiveModel>)>,
}

impl Plan {
    fn into_outcome(self) -> (ImportOutcome, Option<String>) {
        match self {
            Plan::Create { .. } => (ImportOutcome::Created, None),
            Plan::Update(_) => (ImportOutcome::Updated, None),
            Plan::Unchanged => (ImportOutcome::Unchanged, None),
            Plan::Duplicate(reason) => (ImportOutcome::Duplicate, Some(reason)),
            Plan::Rejected(reason) => (ImportOutcome::Rejected, Some(reason)),
        }
    }
}

/// Bumps the household's version if it is still the one read, with the changed columns.
async fn claim(
    conn: &impl ConnectionTrait,
    current: &household::Model,
    actor: &Actor,
    now: DateTime<Utc>,
    columns: &[(household::Column, SimpleExpr)],
) -> ApiResult<()> {
    let mut update = household::Entity::update_many()
        .col_expr(household::Column::Version, Expr::value(current.version + 1))
        .col_expr(household::Column::UpdatedAt, Expr::value(now))
        .col_expr(household::Column::UpdatedBy, Expr::value(actor.id));
    for (column, value) in columns {
        update = update.col_expr(*column, value.clone());
    }
    let res = update
        .filter(household::Column::Id.eq(current.id))
        .filter(household::Column::Version.eq(current.version))
        .exec(conn)
        .await?;
    if res.rows_affected != 1 {
        return Err(ApiError::stale("household"));
    }
    Ok(())
}

/// Statement sizes repeat from batch to batch: both databases keep prepared statements per
/// connection, keyed by their text, and one shape per batch (875 persons, then 902, …) would
/// fill that cache with large, never reused statements. Sizes are therefore `INSERT_CHUNK`
/// and powers of two below it; IN lists are padded to a power of two.
fn chunk_lengths(n: usize) -> impl Iterator<Item = usize> {
    let rest = n % INSERT_CHUNK;
    std::iter::repeat_n(INSERT_CHUNK, n / INSERT_CHUNK).chain(
        (0..INSERT_CHUNK.trailing_zeros())
            .rev()
            .map(|bit| 1usize << bit)
            .filter(move |len| rest & len != 0),
    )
}

/// `values` as IN lists of at most `IN_LIST` values, each padded to a power of two with its
/// last value (which changes nothing: IN ignores repeats).
fn in_lists<T: Clone>(values: &[T]) -> Vec<Vec<T>> {
    values
        .chunks(IN_LIST)
        .map(|chunk| {
            let mut list = chunk.to_vec();
            if let Some(last) = chunk.last() {
                list.resize(chunk.len().next_power_of_two(), last.clone());
            }
            list
        })
        .collect()
}

async fn insert_chunks<E, A>(conn: &impl ConnectionTrait, rows: Vec<A>) -> ApiResult<()>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E>,
{
    let mut rows = rows.into_iter();
    for len in chunk_lengths(rows.len()) {
        E::insert_many(rows.by_ref().take(len))
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// The changes a file row makes to a stored person: only cells with a value count, so an
/// import never erases what field staff recorded.
fn person_change(
    current: &person::Model,
    new: &CheckedPerson,
    now: DateTime<Utc>,
) -> Option<PersonChange> {
    let mut row = person::ActiveModel::default();
    let mut fields = Vec::new();
    if new.given_name != current.given_name {
        row.given_name = Set(new.given_name.clone());
        fields.push("givenName");
    }
    if new.family_name != current.family_name {
        row.family_name = Set(new.family_name.clone());
        fields.push("familyName");
    }
    if new.name_key != current.name_key {
        row.name_key = Set(new.name_key.clone());
    }
    if new.sex != Sex::Unknown && new.sex != current.sex {
        row.sex = Set(new.sex);
        fields.push("sex");
    }
    if new.birth_date.is_some() && new.birth_date != current.birth_date {
        row.birth_date = Set(new.birth_date);
        row.birth_year = Set(new.birth_year);
        fields.push("birthDate");
    }
    for (name, value, stored, target) in [
        ("phone", &new.phone, &current.phone, &mut row.phone),
        (
            "education",
            &new.education,
            &current.education,
            &mut row.education,
        ),
        (
            "occupation",
            &new.occupation,
            &current.occupation,
            &mut row.occupation,
        ),
        (
            "disability",
            &new.disability,
            &current.disability,
            &mut row.disability,
        ),
        (
            "chronicIllness",
            &new.chronic_illness,
            &current.chronic_illness,
            &mut row.chronic_illness,
        ),
    ] {
        if value.is_some() && value != stored {
            *target = Set(value.clone());
            fields.push(name);
        }
    }
    if let Some(s) = &new.sealed
        && current.national_id_hash.is_none()
    {
        row.id_type = Set(new.id_type);
        row.national_id_ciphertext = Set(Some(s.ciphertext.clone()));
        row.national_id_key_id = Set(Some(s.key_id.clone()));
        row.national_id_hash = Set(Some(s.hash.clone()));
        row.national_id_last_digit = Set(Some(s.last_digit.clone()));
        fields.extend(["idType", "nationalId"]);
    }
    if fields.is_empty() {
        return None;
    }
    row.version = Set(current.version + 1);
    row.updated_at = Set(now);
    Some(PersonChange {
        id: current.id,
        version: current.version,
        row,
        fields,
    })
}

fn household_row(v: &Valid, id: Uuid, actor: &Actor, now: DateTime<Utc>) -> household::ActiveModel {
    household::ActiveModel {
        id: Set(id),
        village_code: Set(v.village.clone()),
        house_number: Set(v.house_number.clone()),
        address: Set(v.address.clone()),
        lat: Set(v.location.map(|l| l.0)),
        lng: Set(v.location.map(|l| l.1)),
        source: Set(v.source),
        status: Set(HouseholdStatus::Discovered),
        household_size: Set(v.size),
        merged_into_id: Set(None),
        verified_on: Set(None),
        version: Set(1),
        created_by: Set(actor.id),
        updated_by: Set(actor.id),
        created_at: Set(now),
        updated_at: Set(now),
        client_created_at: Set(None),
        client_updated_at: Set(None),
    }
}

fn membership_row(
    household_id: Uuid,
    person_id: Uuid,
    role: MembershipRole,
    now: DateTime<Utc>,
) -> membership::ActiveModel {
    membership::ActiveModel {
        id: Set(Uuid::now_v7()),
        household_id: Set(household_id),
        person_id: Set(person_id),
        role: Set(role),
        start_date: Set(None),
        end_date: Set(None),
        end_reason: Set(None),
        created_at: Set(now),
    }
}

/// The DISCOVERED event of a new household: the row `service::record_status` writes,
/// built here so a batch inserts all of them in one statement.
fn status_row(
    household_id: Uuid,
    actor: &Actor,
    now: DateTime<Utc>,
) -> household_status_event::ActiveModel {
    household_status_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        household_id: Set(household_id),
        from_status: Set(None),
        to_status: Set(HouseholdStatus::Discovered),
        reason: Set(Some("imported".into())),
        note: Set(None),
        verified_on: Set(None),
        lat: Set(None),
        lng: Set(None),
        actor_id: Set(actor.id),
        occurred_at: Set(now),
        client_occurred_at: Set(None),
    }
}

/// The row `audit::service::record` writes for `entry`, for a multi-row insert.
fn audit_row(entry: AuditEntry, now: DateTime<Utc>) -> audit_event::ActiveModel {
    audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(now),
        actor_id: Set(entry.actor_id),
        actor_login: Set(entry.actor_login),
        action: Set(entry.action),
        entity_type: Set(entry.entity_type.map(str::to_string)),
        entity_id: Set(entry.entity_id),
        changed_fields: Set(StringList(entry.changed_fields)),
        reason: Set(entry.reason),
        request_id: Set(entry.request_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_field_names_become_csv_columns_on_the_right_line() {
        let lines = [5, 6, 7];
        assert_eq!(
            locate("members[1].person.birthDate", 5, &lines),
            (6, "birth_date".to_string())
        );
        assert_eq!(
            locate("members[2].person.chronicIllness", 5, &lines),
            (7, "chronic_illness".to_string())
        );
        assert_eq!(locate("members", 5, &lines), (5, "member_role".to_string()));
        assert_eq!(
            locate("villageCode", 5, &lines),
            (5, "village_code".to_string())
        );
        assert_eq!(locate("location", 5, &lines), (5, "lat, lng".to_string()));
        assert_eq!(
            locate("externalIds[0].scheme", 5, &lines),
            (5, "household_external_scheme".to_string())
        );
    }

    #[test]
    fn crlf_line_ends_become_lf_even_across_buffer_boundaries() {
        use std::io::{BufReader, Read};
        let input = b"a,b\r\n1,\"x\r\ny\"\r\n2,3\r4\r\n";
        for capacity in 1..8 {
            let mut out = Vec::new();
            LfLines(BufReader::with_capacity(capacity, &input[..]))
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, b"a,b\n1,\"x\ny\"\n2,3\r4\n", "capacity {capacity}");
        }
    }

    #[test]
    fn statements_come_in_a_few_repeating_sizes() {
        let lengths: Vec<usize> = chunk_lengths(2 * INSERT_CHUNK + 13).collect();
        assert_eq!(lengths, [INSERT_CHUNK, INSERT_CHUNK, 8, 4, 1]);
        assert_eq!(chunk_lengths(0).count(), 0);
        for n in 0..500 {
            assert_eq!(chunk_lengths(n).sum::<usize>(), n);
        }
        let lists = in_lists(&[1, 2, 3, 4, 5]);
        assert_eq!(lists, [vec![1, 2, 3, 4, 5, 5, 5, 5]]);
        assert_eq!(in_lists(&vec![0; IN_LIST + 1]).len(), 2);
    }

    #[test]
    fn buddhist_era_birth_years_are_refused_with_the_christian_era_year() {
        let err = parse_date("2510-05-01", 9).unwrap_err();
        assert!(err.contains("line 9: birth_date:"), "{err}");
        assert!(err.contains("1967"), "{err}");
        assert_eq!(
            parse_date("1967-05-01", 9).unwrap(),
            NaiveDate::from_ymd_opt(1967, 5, 1)
        );
        assert!(parse_date("01/05/1967", 9).is_err());
    }
}
