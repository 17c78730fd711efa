//! Reading a year's schedule from a file an admin uploads or passes to the CLI: CSV
//! (`date,kind,name`, an optional header line, `#` comments) or JSON lines
//! (`{"date": "2027-10-01", "kind": "holiday", "name": "国庆节"}`). Every error names its line.

use std::collections::HashMap;

use serde::Deserialize;
use time::{Date, macros::format_description};

use crate::def::{DayKind, SpecialDay, YearSchedule};
use crate::error::{ImportError, ImportProblem};

/// The two accepted file shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleFormat {
    Csv,
    JsonLines,
}

impl ScheduleFormat {
    /// JSON lines when the first line with content starts with `{`, else CSV.
    pub fn detect(input: &str) -> Self {
        let first = input
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'));
        match first {
            Some(l) if l.starts_with('{') => Self::JsonLines,
            _ => Self::Csv,
        }
    }
}

/// Reads the holidays and make-up working days of `year` from `input`.
///
/// Every date must lie in `year` and appear once. `kind` is `holiday` or `workday` (also
/// `放假` / `上班`); `name` may be left out.
pub fn parse_year_schedule(
    year: i32,
    input: &str,
    format: ScheduleFormat,
    source: Option<String>,
) -> Result<YearSchedule, ImportError> {
    let rows = match format {
        ScheduleFormat::Csv => csv_rows(input)?,
        ScheduleFormat::JsonLines => json_rows(input)?,
    };
    if rows.is_empty() {
        return Err(ImportError {
            line: 0,
            problem: ImportProblem::Empty,
        });
    }
    let mut first_seen: HashMap<Date, usize> = HashMap::new();
    let mut days = Vec::with_capacity(rows.len());
    for row in rows {
        let fail = |problem| ImportError {
            line: row.line,
            problem,
        };
        let date = parse_date(&row.date).ok_or_else(|| fail(ImportProblem::BadDate(row.date)))?;
        let kind = parse_kind(&row.kind).ok_or_else(|| fail(ImportProblem::BadKind(row.kind)))?;
        if date.year() != year {
            return Err(fail(ImportProblem::OutsideYear {
                date: date.to_string(),
                year,
            }));
        }
        if let Some(&first_line) = first_seen.get(&date) {
            return Err(fail(ImportProblem::Duplicate {
                date: date.to_string(),
                first_line,
            }));
        }
        first_seen.insert(date, row.line);
        days.push(SpecialDay {
            date,
            kind,
            name: row.name,
        });
    }
    days.sort_by_key(|d| d.date);
    Ok(YearSchedule { year, source, days })
}

/// One line of either format before its values are checked.
struct Row {
    line: usize,
    date: String,
    kind: String,
    name: String,
}

/// One record per line, read line by line so that errors name the line an editor shows (the
/// csv reader's own positions skip blank and comment lines).
fn csv_rows(input: &str) -> Result<Vec<Row>, ImportError> {
    let mut rows = Vec::new();
    for (index, text) in input.lines().enumerate() {
        let line = index + 1;
        if text.trim().is_empty() || text.trim_start().starts_with('#') {
            continue;
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut record = csv::StringRecord::new();
        reader.read_record(&mut record).map_err(|e| ImportError {
            line,
            problem: ImportProblem::BadCsv(e.to_string()),
        })?;
        let fields: Vec<&str> = record.iter().collect();
        if rows.is_empty() && matches!(fields[0].to_lowercase().as_str(), "date" | "日期") {
            continue;
        }
        if !(2..=3).contains(&fields.len()) {
            return Err(ImportError {
                line,
                problem: ImportProblem::Columns {
                    found: fields.len(),
                },
            });
        }
        rows.push(Row {
            line,
            date: fields[0].to_owned(),
            kind: fields[1].to_owned(),
            name: fields.get(2).copied().unwrap_or_default().to_owned(),
        });
    }
    Ok(rows)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRow {
    date: String,
    kind: String,
    #[serde(default)]
    name: String,
}

fn json_rows(input: &str) -> Result<Vec<Row>, ImportError> {
    let mut rows = Vec::new();
    for (index, text) in input.lines().enumerate() {
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let line = index + 1;
        let row: JsonRow = serde_json::from_str(text).map_err(|e| ImportError {
            line,
            problem: ImportProblem::BadJson(e.to_string()),
        })?;
        rows.push(Row {
            line,
            date: row.date,
            kind: row.kind,
            name: row.name,
        });
    }
    Ok(rows)
}

fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text, format_description!("[year]-[month]-[day]")).ok()
}

fn parse_kind(text: &str) -> Option<DayKind> {
    match text.to_lowercase().as_str() {
        "holiday" | "放假" | "休" => Some(DayKind::Holiday),
        "workday" | "上班" | "班" => Some(DayKind::Workday),
        _ => None,
    }
}
