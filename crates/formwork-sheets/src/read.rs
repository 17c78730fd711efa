//! Reading an uploaded spreadsheet into a grid: the header row and the data rows as raw cells.
//!
//! XLSX is read with calamine (first worksheet). CSV is decoded as UTF-8 (a BOM is dropped)
//! or, when the bytes are not UTF-8, as GB18030 — what Excel on Chinese Windows saves as
//! "CSV" — then parsed with `csv`. Exports prefix formula-like text with `'` in CSV; that
//! prefix is removed here, so an exported `=HYPERLINK(…)` comes back as the same literal text.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use encoding_rs::GB18030;
use sha2::{Digest, Sha256};

use crate::SheetError;
use crate::export::looks_like_formula;

/// The hex SHA-256 of an upload, so the same file uploaded twice is recognised.
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Formats an upload can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetFormat {
    Xlsx,
    Csv,
}

/// The format of an upload: a zip (XLSX) by its magic bytes, else CSV when the name says so
/// or it is text.
pub fn detect_format(bytes: &[u8], filename: &str) -> Option<SheetFormat> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Some(SheetFormat::Xlsx);
    }
    let lower = filename.to_ascii_lowercase();
    let binary = bytes.iter().take(4096).any(|b| *b == 0);
    (lower.ends_with(".csv") || lower.ends_with(".txt") || !binary).then_some(SheetFormat::Csv)
}

/// A cell as read, before it is given a field's meaning.
#[derive(Debug, Clone, PartialEq)]
pub enum RawCell {
    Empty,
    Text(String),
    /// A number cell; its shortest decimal text is what exact readings start from.
    Number(f64),
    Bool(bool),
    /// A date or date-time cell, as an Excel serial (days since 1899-12-30, local time).
    Serial(f64),
    /// An error value such as `#N/A`.
    Error(String),
}

impl RawCell {
    pub fn is_empty(&self) -> bool {
        match self {
            RawCell::Empty => true,
            RawCell::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }
}

/// A sheet: the header labels and the data rows (each as long as the header).
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub header: Vec<String>,
    pub rows: Vec<Vec<RawCell>>,
}

/// Reads `bytes` as `format`.
pub fn read_grid(bytes: &[u8], format: SheetFormat) -> Result<Grid, SheetError> {
    let mut rows = match format {
        SheetFormat::Xlsx => xlsx_rows(bytes)?,
        SheetFormat::Csv => csv_rows(bytes)?,
    };
    // Trailing blank rows are layout, not data.
    while rows.last().is_some_and(|r| r.iter().all(RawCell::is_empty)) {
        rows.pop();
    }
    if rows.is_empty() {
        return Err(SheetError::NoHeader);
    }
    let header_cells = rows.remove(0);
    let mut header: Vec<String> = header_cells
        .iter()
        .map(|c| match c {
            RawCell::Text(t) => t.trim().to_owned(),
            RawCell::Number(n) => number_text(*n),
            _ => String::new(),
        })
        .collect();
    while header.last().is_some_and(String::is_empty) {
        header.pop();
    }
    if header.is_empty() {
        return Err(SheetError::NoHeader);
    }
    for row in &mut rows {
        row.resize(header.len(), RawCell::Empty);
    }
    Ok(Grid { header, rows })
}

/// The shortest decimal text of a float (`100000.3`, `13800138000`).
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn xlsx_rows(bytes: &[u8]) -> Result<Vec<Vec<RawCell>>, SheetError> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| SheetError::Unreadable(e.to_string()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(SheetError::NoHeader)?
        .map_err(|e| SheetError::Unreadable(e.to_string()))?;
    // Columns left of the used range are empty; keep sheet positions so errors name cells.
    let (_, first_col) = range.start().unwrap_or((0, 0));
    let pad = first_col as usize;
    Ok(range
        .rows()
        .map(|r| {
            let mut row = vec![RawCell::Empty; pad];
            row.extend(r.iter().map(raw));
            row
        })
        .collect())
}

fn raw(cell: &Data) -> RawCell {
    match cell {
        Data::Empty => RawCell::Empty,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => RawCell::Text(s.clone()),
        Data::Int(i) => RawCell::Number(*i as f64),
        Data::Float(f) => RawCell::Number(*f),
        Data::Bool(b) => RawCell::Bool(*b),
        Data::DateTime(d) => RawCell::Serial(d.as_f64()),
        Data::Error(e) => RawCell::Error(e.to_string()),
    }
}

/// The text of a CSV upload: UTF-8 without its BOM, else GB18030.
pub fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => GB18030.decode(bytes).0.into_owned(),
    }
}

fn csv_rows(bytes: &[u8]) -> Result<Vec<Vec<RawCell>>, SheetError> {
    let text = decode_text(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record?;
        rows.push(
            record
                .iter()
                .map(|field| {
                    let unescaped = match field.strip_prefix('\'') {
                        Some(rest) if looks_like_formula(rest) => rest,
                        _ => field,
                    };
                    match unescaped.is_empty() {
                        true => RawCell::Empty,
                        false => RawCell::Text(unescaped.to_owned()),
                    }
                })
                .collect(),
        );
    }
    Ok(rows)
}

/// The spreadsheet address of a data cell (`C5`): data row 1 is sheet row 2.
pub fn cell_address(data_row: usize, column: usize) -> String {
    let mut name = String::new();
    let mut n = column + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        name.insert(0, char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    format!("{name}{}", data_row + 1)
}
