//! From a grid to form data: which column fills which field, and each cell read as its
//! field's kind. The runtime then validates each row with the compiled form validator.
//!
//! Columns map to fields automatically by label (zh-CN or en) or key, ignoring case and
//! spaces; an explicit mapping overrides that. Conversion errors are collected per cell with
//! the data row (from 1, header excluded), the column's header and its sheet address.

use std::collections::{BTreeMap, BTreeSet};

use formwork_forms::{CompiledForm, Field, FieldKind};
use formwork_model::Text;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::SheetError;
use crate::cells::{Directory, convert};
use crate::read::{Grid, RawCell, cell_address};

/// Where each column of a sheet goes: a field key, or nowhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mapping {
    /// Per sheet column, in order.
    pub columns: Vec<Option<String>>,
}

/// A header as compared: lower case, without any white space (full-width included).
fn normalized(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a field can be filled from a spreadsheet (not computed, numbered or a file).
pub fn importable(field: &Field) -> bool {
    !field.is_server_set() && !matches!(field.kind, FieldKind::Attachments(_))
}

impl Mapping {
    /// Maps each header to the importable, writable field whose zh-CN label, en label or key
    /// it names; a field taken by an earlier column is not taken again.
    pub fn auto(header: &[String], form: &CompiledForm, writable: &BTreeSet<String>) -> Mapping {
        let mut taken = BTreeSet::new();
        let columns = header
            .iter()
            .map(|h| {
                let h = normalized(h);
                let field = form.fields().iter().find(|f| {
                    importable(f)
                        && writable.contains(&f.key)
                        && !taken.contains(&f.key)
                        && (normalized(&f.key) == h
                            || f.label.0.values().any(|label| normalized(label) == h))
                })?;
                taken.insert(field.key.clone());
                Some(field.key.clone())
            })
            .collect();
        Mapping { columns }
    }

    /// The automatic mapping with the person's choices applied: header text → field key, or
    /// `None` to skip the column. Unknown headers or fields, and a field twice, are refused.
    pub fn with_overrides(
        header: &[String],
        form: &CompiledForm,
        writable: &BTreeSet<String>,
        overrides: &BTreeMap<String, Option<String>>,
    ) -> Result<Mapping, SheetError> {
        let mut mapping = Mapping::auto(header, form, writable);
        for (head, field) in overrides {
            let i = header
                .iter()
                .position(|h| normalized(h) == normalized(head))
                .ok_or_else(|| SheetError::UnknownColumn(head.clone()))?;
            if let Some(key) = field {
                let ok = form
                    .field(key)
                    .is_some_and(|f| importable(f) && writable.contains(key));
                if !ok {
                    return Err(SheetError::UnknownField(key.clone()));
                }
                for other in mapping.columns.iter_mut() {
                    if other.as_deref() == Some(key) {
                        *other = None;
                    }
                }
            }
            mapping.columns[i] = field.clone();
        }
        let mut seen = BTreeSet::new();
        for key in mapping.columns.iter().flatten() {
            if !seen.insert(key) {
                return Err(SheetError::FieldTwice(key.clone()));
            }
        }
        Ok(mapping)
    }
}

/// A cell that could not be read as its field's kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellError {
    /// Data row, from 1 (the header is not counted).
    pub row: usize,
    /// The column's header as in the file.
    pub column: String,
    /// The column's position, from 0.
    pub column_index: usize,
    /// The sheet address, e.g. `C5`.
    pub cell: String,
    pub field: String,
    /// Stable snake_case code, e.g. `not_a_date`.
    pub code: String,
    /// In zh-CN and en.
    pub message: Text,
}

/// One data row read as form data.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// Data row, from 1.
    pub row: usize,
    /// Field key → JSON value, for every mapped, non-empty cell that could be read.
    pub data: Map<String, Value>,
    pub errors: Vec<CellError>,
}

impl ImportRow {
    /// Whether every cell of the row is empty (such rows are skipped, not imported).
    pub fn is_blank(&self) -> bool {
        self.data.is_empty() && self.errors.is_empty()
    }
}

/// Reads each data row of `grid` into form data, lazily and in order.
pub fn rows<'a>(
    grid: &'a Grid,
    mapping: &'a Mapping,
    form: &'a CompiledForm,
    directory: &'a dyn Directory,
) -> impl Iterator<Item = ImportRow> + 'a {
    let fields: Vec<Option<&'a Field>> = mapping
        .columns
        .iter()
        .map(|k| k.as_deref().and_then(|k| form.field(k)))
        .collect();
    grid.rows.iter().enumerate().map(move |(i, cells)| {
        let row = i + 1;
        let mut data = Map::new();
        let mut errors = Vec::new();
        for (c, (cell, field)) in cells.iter().zip(&fields).enumerate() {
            let Some(field) = field else { continue };
            if cell.is_empty() {
                continue;
            }
            match convert(field, cell, directory) {
                Ok(value) => {
                    data.insert(field.key.clone(), value);
                }
                Err(fault) => errors.push(CellError {
                    row,
                    column: grid.header.get(c).cloned().unwrap_or_default(),
                    column_index: c,
                    cell: cell_address(row, c),
                    field: field.key.clone(),
                    code: fault.code().to_owned(),
                    message: fault.message(&field.label),
                }),
            }
        }
        ImportRow { row, data, errors }
    })
}

/// Whether a cell in `grid` holds anything (for callers counting non-blank rows).
pub fn row_is_blank(cells: &[RawCell]) -> bool {
    cells.iter().all(RawCell::is_empty)
}
