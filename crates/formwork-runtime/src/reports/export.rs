//! Exports to CSV and XLSX: a record list (the same filters, sort and search as the list, the
//! fields the caller may read) or a report. Rows are written by a blocking task as the pages
//! arrive, into an anonymous temporary file, so a 100k-row export holds one page and the XLSX
//! writer's constant-memory row in memory, never the whole sheet.

use std::io::{Seek as _, SeekFrom};
use std::sync::mpsc::{SyncSender, sync_channel};

use formwork_model::FormId;
use formwork_reports::ir::OutputColumn;
use formwork_sheets::{record_columns, record_row, write_csv, write_xlsx};
use formwork_store::AppId;
use serde_json::Value;

use crate::policy::{Caller, readable_fields};
use crate::records::{ListRequest, MAX_PAGE};
use crate::reports::{ReportAsk, ReportRun};
use crate::{Runtime, RuntimeError, RuntimeResult};

/// A spreadsheet format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetKind {
    Csv,
    Xlsx,
}

impl SheetKind {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "csv" => Some(SheetKind::Csv),
            "xlsx" => Some(SheetKind::Xlsx),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            SheetKind::Csv => "csv",
            SheetKind::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            SheetKind::Csv => "text/csv; charset=utf-8",
            SheetKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// A written export: the file, rewound, and what to call it.
#[derive(Debug)]
pub struct Export {
    pub file: std::fs::File,
    /// File name without extension (the report's or form's name).
    pub name: String,
    pub kind: SheetKind,
    pub rows: u64,
}

fn internal(e: impl std::fmt::Display) -> RuntimeError {
    RuntimeError::Internal(format!("export: {e}"))
}

/// The writer task: the rewound file and the rows written.
type Writing = tokio::task::JoinHandle<RuntimeResult<(std::fs::File, u64)>>;

/// Starts the writer task: rows sent to the returned sender are written as `kind`.
fn writer(
    kind: SheetKind,
    columns: Vec<OutputColumn>,
    sheet: String,
) -> RuntimeResult<(SyncSender<Vec<Value>>, Writing)> {
    let mut file = tempfile::tempfile().map_err(internal)?;
    let (tx, rx) = sync_channel::<Vec<Value>>(MAX_PAGE as usize * 2);
    let handle = tokio::task::spawn_blocking(move || {
        let n = match kind {
            SheetKind::Csv => write_csv(&mut file, &columns, rx.iter()),
            SheetKind::Xlsx => write_xlsx(&mut file, &columns, rx.iter(), &sheet, None),
        }
        .map_err(internal)?;
        file.seek(SeekFrom::Start(0)).map_err(internal)?;
        Ok((file, n))
    });
    Ok((tx, handle))
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect();
    if clean.trim().is_empty() {
        "Sheet1".into()
    } else {
        clean
    }
}

/// Sends rows in a blocking-safe way from async code (the channel is bounded).
async fn send(tx: &SyncSender<Vec<Value>>, row: Vec<Value>) -> bool {
    match tx.try_send(row) {
        Ok(()) => true,
        Err(std::sync::mpsc::TrySendError::Full(row)) => {
            let tx = tx.clone();
            tokio::task::spawn_blocking(move || tx.send(row).is_ok())
                .await
                .unwrap_or(false)
        }
        Err(std::sync::mpsc::TrySendError::Disconnected(_)) => false,
    }
}

/// Writes `rows` (already in memory, e.g. a report's) as a sheet of `kind`.
pub(crate) async fn sheet(
    kind: SheetKind,
    columns: Vec<OutputColumn>,
    rows: Vec<Vec<Value>>,
    name: &str,
) -> RuntimeResult<Export> {
    let (tx, handle) = writer(kind, columns, sheet_name(name))?;
    for row in rows {
        if !send(&tx, row).await {
            break;
        }
    }
    drop(tx);
    let (file, n) = handle.await.map_err(internal)??;
    Ok(Export {
        file,
        name: name.to_owned(),
        kind,
        rows: n,
    })
}

impl Runtime {
    /// Exports every record of the list `request` describes (its page size and cursor are
    /// ignored), with the fields the caller may read.
    pub async fn export_records(
        &self,
        caller: &Caller,
        app_id: &AppId,
        form_id: &FormId,
        request: &ListRequest,
        kind: SheetKind,
        lang: &str,
    ) -> RuntimeResult<Export> {
        let app = self.latest_app_for(caller, app_id).await?;
        let form = app.form(form_id)?.clone();
        let readable = readable_fields(caller, form.def());
        let columns = record_columns(&form, &readable, lang);
        let name = form.def().name.get(lang).to_owned();
        let (tx, handle) = writer(kind, columns.clone(), sheet_name(&name))?;
        let mut request = request.clone();
        request.after = None;
        request.limit = Some(MAX_PAGE);
        loop {
            let page = self.list_records(caller, app_id, form_id, &request).await?;
            let mut open = true;
            for r in &page.records {
                open = send(&tx, record_row(&form, &columns, &r.data, lang)).await;
                if !open {
                    break;
                }
            }
            match page.next {
                Some(next) if open => request.after = Some(next),
                _ => break,
            }
        }
        drop(tx);
        let (file, rows) = handle.await.map_err(internal)??;
        Ok(Export {
            file,
            name,
            kind,
            rows,
        })
    }

    /// Exports a report's result as the data API gives it.
    pub async fn export_report(
        &self,
        caller: &Caller,
        app_id: &AppId,
        report_id: &str,
        ask: ReportAsk<'_>,
        kind: SheetKind,
    ) -> RuntimeResult<(ReportRun, Export)> {
        let run = self.run_report(caller, app_id, report_id, ask).await?;
        let name = run.def.name.get(ask.lang).to_owned();
        let rows = run
            .table
            .rows
            .iter()
            .chain(run.table.totals.iter())
            .cloned()
            .collect();
        let export = sheet(kind, run.table.columns.clone(), rows, &name).await?;
        Ok((run, export))
    }
}
