//! Reading the CSV: columns, records, cells, and the rows of one household.
use std::io::Read;

use chrono::{Datelike, NaiveDate};
use entity::enums::{HouseholdSource, MembershipRole, Sex};
use sea_orm::ActiveEnum;

use crate::error::{ApiError, ApiResult};
use crate::household::validate::{MemberInput, PersonInput};

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
pub(super) const SCHEME: usize = 0;
pub(super) const EXTERNAL_ID: usize = 1;
pub(super) const VILLAGE: usize = 2;
pub(super) const HOUSE_NUMBER: usize = 3;
pub(super) const ADDRESS: usize = 4;
pub(super) const LAT: usize = 5;
pub(super) const LNG: usize = 6;
pub(super) const SOURCE: usize = 7;
pub(super) const SIZE: usize = 8;
pub(super) const ROLE: usize = 9;
pub(super) const GIVEN_NAME: usize = 10;
pub(super) const FAMILY_NAME: usize = 11;
pub(super) const SEX: usize = 12;
pub(super) const BIRTH_DATE: usize = 13;
pub(super) const PHONE: usize = 14;
pub(super) const ID_TYPE: usize = 15;
pub(super) const NATIONAL_ID: usize = 16;
pub(super) const EDUCATION: usize = 17;
pub(super) const OCCUPATION: usize = 18;
pub(super) const DISABILITY: usize = 19;
pub(super) const CHRONIC_ILLNESS: usize = 20;

pub(super) fn read_error(e: &::csv::Error, fallback_line: u64) -> ApiError {
    let line = e.position().map_or(fallback_line, |p| p.line());
    match e.kind() {
        ::csv::ErrorKind::Utf8 { .. } => ApiError::bad_input(
            "file",
            format!(
                "line {line}: the file is not UTF-8 (files from older Thai systems are often \
                 TIS-620/Windows-874: save it as UTF-8 and import it again)"
            ),
        ),
        ::csv::ErrorKind::Io(err) => {
            ApiError::bad_input("file", format!("line {line}: cannot read the file: {err}"))
        }
        _ => ApiError::bad_input("file", format!("line {line}: cannot read the row: {e}")),
    }
}

/// Turns CRLF line ends into LF. The csv crate reports the line of a record one too low after
/// a CRLF (it counts the LF when it reads the next record), and spreadsheets write CRLF; with
/// LF only, the reported lines match what an editor shows.
pub(super) struct LfLines<R: std::io::BufRead>(pub(super) R);

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
pub(super) struct Header {
    pub(super) positions: [usize; COLUMNS.len()],
    pub(super) width: usize,
}

impl Header {
    pub(super) fn read<R: Read>(reader: &mut ::csv::Reader<R>) -> ApiResult<Self> {
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

    pub(super) fn cell<'r>(&self, record: &'r ::csv::StringRecord, column: usize) -> &'r str {
        record.get(self.positions[column]).unwrap_or("")
    }

    pub(super) fn optional(&self, record: &::csv::StringRecord, column: usize) -> Option<String> {
        Some(self.cell(record, column))
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// `(SCHEME, id)`, normalised as `check_external_ids` stores them.
    pub(super) fn key(&self, record: &::csv::StringRecord) -> Option<(String, String)> {
        let scheme = self.cell(record, SCHEME).to_uppercase();
        let value = self.cell(record, EXTERNAL_ID).to_string();
        (!scheme.is_empty() && !value.is_empty()).then_some((scheme, value))
    }
}

/// `line N: column: message`.
pub(super) fn at(line: u64, column: usize, message: impl std::fmt::Display) -> String {
    format!("line {line}: {}: {message}", COLUMNS[column])
}

pub(super) fn parse_enum<E: ActiveEnum<Value = String>>(
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

pub(super) fn parse_date(raw: &str, line: u64) -> Result<Option<NaiveDate>, String> {
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

pub(super) fn parse_number<T: std::str::FromStr>(
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
pub(super) struct HouseholdColumns {
    pub(super) village_code: String,
    pub(super) house_number: Option<String>,
    pub(super) address: Option<String>,
    pub(super) lat: Option<f64>,
    pub(super) lng: Option<f64>,
    pub(super) source: HouseholdSource,
    pub(super) household_size: Option<i32>,
}

impl HouseholdColumns {
    pub(super) fn parse(h: &Header, r: &::csv::StringRecord, line: u64) -> Result<Self, String> {
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

pub(super) fn parse_member(
    h: &Header,
    r: &::csv::StringRecord,
    line: u64,
) -> Result<MemberInput, String> {
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
pub(super) struct Group {
    pub(super) key: (String, String),
    pub(super) label: String,
    pub(super) first_line: u64,
    pub(super) lines: Vec<u64>,
    pub(super) household: Result<HouseholdColumns, String>,
    pub(super) members: Vec<MemberInput>,
    pub(super) member_lines: Vec<u64>,
    /// The first problem found while reading (the household is refused with it).
    pub(super) problem: Option<String>,
}

impl Group {
    pub(super) fn start(
        key: (String, String),
        h: &Header,
        r: &::csv::StringRecord,
        line: u64,
    ) -> Self {
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

    pub(super) fn add(&mut self, h: &Header, r: &::csv::StringRecord, line: u64) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
