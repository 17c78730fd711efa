//! Streaming export of typed rows to XLSX and CSV.
//!
//! XLSX uses rust_xlsxwriter's constant-memory worksheet: each row is flushed to a temporary
//! file when the next begins, and the zip is streamed to the writer, so 100k rows take the
//! memory of one. Numbers, money, dates, instants and durations are typed cells with number
//! formats; every text is written with `write_string`, so nothing an analyst or user typed can
//! become a formula. CSV (UTF-8 with a BOM, which Excel needs to read Chinese) prefixes text
//! starting with `=`, `+`, `-`, `@`, tab or CR with `'`, as OWASP advises against CSV
//! injection; [`crate::read`] removes that prefix again on import.

use std::io::Write;
use std::path::Path;

use formwork_reports::ir::{OutputColumn, ValueType};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, UtcOffset};

use crate::SheetError;

/// Rows an XLSX sheet holds besides its header.
pub const MAX_XLSX_ROWS: u64 = 1_048_575;

/// Asia/Shanghai, in which instants are written (spreadsheets have no time zones).
const BEIJING: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// Whether text would start a formula (or hide one behind a tab or CR) in a spreadsheet.
pub fn looks_like_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Text as a CSV cell that no spreadsheet evaluates.
pub fn csv_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if looks_like_formula(text) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// The Excel serial day of a date (days since 1899-12-30).
pub fn excel_date(date: Date) -> f64 {
    let epoch = Date::from_calendar_date(1899, Month::December, 30).unwrap_or(Date::MIN);
    (date - epoch).whole_days() as f64
}

/// The Excel serial of an instant, in Beijing time.
pub fn excel_instant(t: OffsetDateTime) -> f64 {
    let local = t.to_offset(BEIJING);
    let secs = f64::from(local.hour()) * 3600.0
        + f64::from(local.minute()) * 60.0
        + f64::from(local.second());
    excel_date(local.date()) + secs / 86_400.0
}

/// `2026-03-01 10:30:00` in Beijing time.
pub fn beijing_text(t: OffsetDateTime) -> String {
    let l = t.to_offset(BEIJING);
    format!(
        "{} {:02}:{:02}:{:02}",
        l.date(),
        l.hour(),
        l.minute(),
        l.second()
    )
}

/// An exact decimal as a float only when the float reads back as the same decimal, so a
/// typed number cell never changes an amount (Excel keeps 15 significant digits).
fn exact_f64(d: Decimal) -> Option<f64> {
    let f = d.to_f64()?;
    let back: Decimal = f.to_string().parse().ok()?;
    (back == d).then_some(f)
}

fn decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n
            .to_string()
            .parse()
            .ok()
            .or_else(|| Decimal::from_scientific(&n.to_string()).ok()),
        _ => None,
    }
}

/// A JSON value as display text (arrays and objects as compact JSON).
pub(crate) fn plain_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

struct Formats {
    header: Format,
    money: Format,
    date: Format,
    datetime: Format,
    duration: Format,
}

impl Formats {
    fn new() -> Self {
        Formats {
            header: Format::new().set_bold().set_align(FormatAlign::Center),
            money: Format::new().set_num_format("#,##0.00"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            duration: Format::new().set_num_format("[h]:mm:ss"),
        }
    }
}

/// Writes one typed cell; values that do not fit the column type are written as text.
fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    value_type: ValueType,
    value: &Value,
    f: &Formats,
) -> Result<(), SheetError> {
    if value.is_null() {
        return Ok(());
    }
    let typed = match value_type {
        ValueType::Money => decimal(value)
            .and_then(exact_f64)
            .map(|n| (n, Some(&f.money))),
        ValueType::Number => decimal(value).and_then(exact_f64).map(|n| (n, None)),
        ValueType::Duration => decimal(value)
            .and_then(|d| d.to_f64())
            .map(|s| (s / 86_400.0, Some(&f.duration))),
        ValueType::Date => value
            .as_str()
            .and_then(formwork_reports::filters::parse_date)
            .map(|d| (excel_date(d), Some(&f.date))),
        ValueType::Datetime => value
            .as_str()
            .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
            .map(|t| (excel_instant(t), Some(&f.datetime))),
        ValueType::Text | ValueType::User | ValueType::Department => None,
    };
    match typed {
        Some((n, Some(format))) => ws.write_number_with_format(row, col, n, format)?,
        Some((n, None)) => ws.write_number(row, col, n)?,
        None => ws.write_string(row, col, plain_text(value))?,
    };
    Ok(())
}

/// Streams a header of labels and then `rows` (values in column order, as the report data
/// API gives them) to an XLSX workbook written to `out`. Returns the number of data rows.
///
/// `tempdir` is where the constant-memory worksheet spills rows (the system's by default).
pub fn write_xlsx<W, I, R>(
    out: W,
    columns: &[OutputColumn],
    rows: I,
    sheet_name: &str,
    tempdir: Option<&Path>,
) -> Result<u64, SheetError>
where
    W: Write + Send,
    I: IntoIterator<Item = R>,
    R: AsRef<[Value]>,
{
    let mut workbook = Workbook::new();
    if let Some(dir) = tempdir {
        workbook.set_tempdir(dir)?;
    }
    let formats = Formats::new();
    let ws = workbook.add_worksheet_with_constant_memory()?;
    ws.set_name(sheet_name)?;
    for (c, column) in columns.iter().enumerate() {
        let c = u16::try_from(c).map_err(|_| SheetError::TooManyColumns)?;
        let width = column.label.chars().count().clamp(8, 40) as f64 * 2.0;
        ws.set_column_width(c, width)?;
        ws.write_string_with_format(0, c, &column.label, &formats.header)?;
    }
    let mut written = 0u64;
    for row in rows {
        written += 1;
        if written > MAX_XLSX_ROWS {
            return Err(SheetError::TooManyRows { max: MAX_XLSX_ROWS });
        }
        let r =
            u32::try_from(written).map_err(|_| SheetError::TooManyRows { max: MAX_XLSX_ROWS })?;
        for (c, (column, value)) in columns.iter().zip(row.as_ref()).enumerate() {
            let c = u16::try_from(c).map_err(|_| SheetError::TooManyColumns)?;
            write_cell(ws, r, c, column.value_type, value, &formats)?;
        }
    }
    workbook.save_to_writer(out)?;
    Ok(written)
}

/// One value as CSV text of its column type.
fn csv_text(value_type: ValueType, value: &Value) -> String {
    match (value_type, value) {
        (_, Value::Null) => String::new(),
        (ValueType::Datetime, Value::String(s)) => OffsetDateTime::parse(s, &Rfc3339)
            .map(beijing_text)
            .unwrap_or_else(|_| csv_safe(s).into_owned()),
        (ValueType::Money | ValueType::Number | ValueType::Duration | ValueType::Date, v) => {
            plain_text(v)
        }
        (_, v) => csv_safe(&plain_text(v)).into_owned(),
    }
}

/// Streams a header of labels and `rows` as CSV (UTF-8 with BOM) to `out`; the number of
/// data rows.
pub fn write_csv<W, I, R>(out: W, columns: &[OutputColumn], rows: I) -> Result<u64, SheetError>
where
    W: Write,
    I: IntoIterator<Item = R>,
    R: AsRef<[Value]>,
{
    let mut out = out;
    out.write_all("\u{feff}".as_bytes())?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(columns.iter().map(|c| csv_safe(&c.label).into_owned()))?;
    let mut written = 0u64;
    let mut record = csv::StringRecord::with_capacity(256, columns.len());
    for row in rows {
        record.clear();
        for (column, value) in columns.iter().zip(row.as_ref()) {
            record.push_field(&csv_text(column.value_type, value));
        }
        w.write_record(&record)?;
        written += 1;
    }
    w.flush()?;
    Ok(written)
}
