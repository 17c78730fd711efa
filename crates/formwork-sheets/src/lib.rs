//! Spreadsheets in and out of Formwork.
//!
//! - [`export`]: typed rows (the report data API's `columns` and `rows`, or a form's records
//!   via [`records`]) streamed to XLSX in constant memory or to CSV; text never becomes a
//!   formula.
//! - [`read`]: an upload → a [`read::Grid`] (header and raw cells), its content hash.
//! - [`import`]: columns → fields (automatic by label, editable), then each data row → form
//!   data with per-cell errors ([`cells`] reads one cell as a field kind); the runtime
//!   validates the rows with the compiled form and commits all or nothing.
//! - [`report`]: the error report XLSX with bad cells marked.
//! - [`bench`]: a synthetic 100k-row export for `formwork bench`, and peak memory.
//!
//! A separate crate rather than a module of `formwork-reports`: the XLSX/CSV readers and
//! writers (rust_xlsxwriter, calamine, zip, csv, encoding_rs) are heavy to build and serve
//! list exports and form imports as much as reports, while the report planner stays light.

pub mod bench;
pub mod cells;
pub mod export;
pub mod import;
pub mod read;
pub mod records;
pub mod report;

pub use cells::Directory;
pub use export::{write_csv, write_xlsx};
pub use import::{CellError, ImportRow, Mapping, rows};
pub use read::{Grid, RawCell, SheetFormat, content_hash, detect_format, read_grid};
pub use records::{record_columns, record_row};
pub use report::write_error_report;

/// Why a spreadsheet could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The upload is not a spreadsheet Formwork can read.
    #[error("the file cannot be read as a spreadsheet: {0}")]
    Unreadable(String),
    /// The sheet has no header row.
    #[error("the sheet has no header row")]
    NoHeader,
    #[error("more than {max} rows")]
    TooManyRows { max: u64 },
    #[error("too many columns")]
    TooManyColumns,
    /// A mapping names a column the sheet lacks.
    #[error("the sheet has no column `{0}`")]
    UnknownColumn(String),
    /// A mapping names a field that does not exist or cannot be imported by this person.
    #[error("no importable field `{0}`")]
    UnknownField(String),
    /// A mapping fills one field from two columns.
    #[error("field `{0}` is mapped from two columns")]
    FieldTwice(String),
}

impl SheetError {
    /// Stable snake_case code for API errors.
    pub fn code(&self) -> &'static str {
        match self {
            SheetError::Xlsx(_) | SheetError::Csv(_) | SheetError::Io(_) => "sheet_io",
            SheetError::Unreadable(_) => "unreadable_sheet",
            SheetError::NoHeader => "no_header",
            SheetError::TooManyRows { .. } => "too_many_rows",
            SheetError::TooManyColumns => "too_many_columns",
            SheetError::UnknownColumn(_) => "unknown_column",
            SheetError::UnknownField(_) => "unknown_field",
            SheetError::FieldTwice(_) => "field_mapped_twice",
        }
    }

    /// The message in `lang` (zh-CN unless English is asked for).
    pub fn message(&self, lang: &str) -> String {
        if lang.starts_with("en") {
            return self.to_string();
        }
        match self {
            SheetError::Xlsx(_) | SheetError::Csv(_) | SheetError::Io(_) => {
                format!("读写表格失败：{self}")
            }
            SheetError::Unreadable(d) => format!("无法读取该文件，请上传 XLSX 或 CSV：{d}"),
            SheetError::NoHeader => "表格没有标题行".into(),
            SheetError::TooManyRows { max } => format!("行数超过 {max}"),
            SheetError::TooManyColumns => "列数太多".into(),
            SheetError::UnknownColumn(c) => format!("表格中没有列「{c}」"),
            SheetError::UnknownField(f) => format!("没有可导入的字段「{f}」"),
            SheetError::FieldTwice(f) => format!("字段「{f}」被两列同时对应"),
        }
    }
}
