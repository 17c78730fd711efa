//! Spreadsheet imports into a form: an upload is read (XLSX or CSV), its columns mapped to
//! fields (by label, editable), and every row checked by the form's compiled validator before
//! anything is written; the commit then inserts all rows in one transaction through the same
//! record path as a submission (numbers, process start, rule events), or none. The same file
//! committed once is refused afterwards.

use std::collections::{BTreeMap, BTreeSet};

use formwork_forms::CompiledForm;
use formwork_model::{FormId, Text};
use formwork_sheets::{Mapping, content_hash, detect_format, read_grid};
use formwork_store::{AppId, NewImport, NewRecord, RecordStatus, StoreError};
pub use formwork_store::{Import, ImportStatus};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::accounts::problem;
use crate::directory::Directory;
use crate::policy::{Caller, form_access, readable_fields};
use crate::records::submit_context;
use crate::{Runtime, RuntimeError, RuntimeResult};

/// Most data rows one import takes.
pub const MAX_IMPORT_ROWS: usize = 50_000;

/// An uploaded file and how to read it.
#[derive(Debug, Clone, Default)]
pub struct ImportUpload {
    pub filename: String,
    pub bytes: Vec<u8>,
    /// Header text → field key (or `None` to skip the column), over the automatic mapping.
    pub mapping: BTreeMap<String, Option<String>>,
    /// Store rows as they are: no number, no process, no rule events (admins only).
    pub historical: bool,
}

/// What an upload or a commit ended in.
#[derive(Debug, Clone)]
pub enum ImportOutcome {
    /// Checked (ready or failed), or committed.
    Done(Box<Import>),
    /// The same file was committed into this form already, by the import named.
    Duplicate { earlier: String },
}

/// People and departments as a sheet names them.
struct SheetDirectory<'a>(&'a Directory);

impl formwork_sheets::Directory for SheetDirectory<'_> {
    fn user(&self, text: &str) -> Option<String> {
        let text = text.trim();
        self.0
            .by_username(text)
            .or_else(|| self.0.people().into_iter().find(|u| u.display_name == text))
            .map(|u| u.username.clone())
    }

    fn department(&self, text: &str) -> Option<String> {
        let text = text.trim();
        self.0
            .departments()
            .iter()
            .find(|d| d.id.as_str() == text || d.name == text)
            .map(|d| d.id.to_string())
    }
}

fn sheet_error(e: formwork_sheets::SheetError) -> RuntimeError {
    RuntimeError::Malformed {
        problem: problem("/file", e.code(), &e.message("zh-CN"), &e.message("en")),
    }
}

fn error_entry(row: usize, column: &str, message: &Text) -> Value {
    json!({"row": row, "column": column, "message": message.get("zh-CN"), "message_en": message.get("en")})
}

/// The fields an import may fill for `caller`.
fn writable(caller: &Caller, form: &CompiledForm) -> BTreeSet<String> {
    readable_fields(caller, form.def())
}

impl Runtime {
    /// Reads and checks an upload; nothing is imported yet.
    pub async fn upload_import(
        &self,
        caller: &Caller,
        app_id: &AppId,
        form_id: &FormId,
        upload: ImportUpload,
        now: OffsetDateTime,
    ) -> RuntimeResult<ImportOutcome> {
        let app = self.latest_app(app_id).await?;
        let form = app.form(form_id)?;
        if !form_access(caller, form.def()).may_create {
            return Err(RuntimeError::Forbidden);
        }
        if upload.historical && !caller.user.is_admin {
            return Err(RuntimeError::Forbidden);
        }
        let hash = content_hash(&upload.bytes);
        if let Some(earlier) = self.store.committed_import(app_id, form_id, &hash).await? {
            return Ok(ImportOutcome::Duplicate { earlier });
        }
        let format = detect_format(&upload.bytes, &upload.filename).ok_or_else(|| {
            sheet_error(formwork_sheets::SheetError::Unreadable(
                upload.filename.clone(),
            ))
        })?;
        let grid = read_grid(&upload.bytes, format).map_err(sheet_error)?;
        if grid.rows.len() > MAX_IMPORT_ROWS {
            return Err(sheet_error(formwork_sheets::SheetError::TooManyRows {
                max: MAX_IMPORT_ROWS as u64,
            }));
        }
        let fields = writable(caller, form);
        let mapping = Mapping::with_overrides(&grid.header, form, &fields, &upload.mapping)
            .map_err(sheet_error)?;
        let directory = self.directory().await?;
        let dir = SheetDirectory(&directory);
        let ctx = submit_context(caller, now, Default::default());
        let mut errors = Vec::new();
        let mut staged = Vec::new();
        for row in formwork_sheets::rows(&grid, &mapping, form, &dir) {
            if row.is_blank() {
                continue;
            }
            if !row.errors.is_empty() {
                errors.extend(
                    row.errors
                        .iter()
                        .map(|e| error_entry(e.row, &e.column, &e.message)),
                );
                continue;
            }
            match form.submit(&Value::Object(row.data), &ctx, None) {
                Ok(clean) => staged.push(clean.data),
                Err(field_errors) => errors.extend(field_errors.iter().map(|e| {
                    let key = e
                        .path
                        .trim_start_matches('/')
                        .split('/')
                        .next()
                        .unwrap_or("");
                    let column = mapping
                        .columns
                        .iter()
                        .position(|k| k.as_deref() == Some(key))
                        .and_then(|i| grid.header.get(i))
                        .cloned()
                        .unwrap_or_else(|| key.to_owned());
                    error_entry(row.row, &column, &e.message)
                })),
            }
        }
        let status = match errors.is_empty() {
            true => ImportStatus::Ready,
            false => ImportStatus::Failed,
        };
        let import = Import {
            id: formwork_store::new_id(),
            app_id: app_id.clone(),
            form_id: form_id.clone(),
            created_by: caller.user.id.clone(),
            content_hash: hash,
            filename: upload.filename,
            historical: upload.historical,
            status,
            row_count: i64::try_from(staged.len() + count_failed_rows(&errors)).unwrap_or(0),
            errors: Value::Array(errors),
            mapping: json!({ "columns": mapping.columns, "header": grid.header }),
            created_at: now,
            committed_at: None,
        };
        let staged = match status {
            ImportStatus::Ready => Value::Array(staged),
            _ => Value::Array(Vec::new()),
        };
        self.store
            .insert_import(&NewImport {
                import: import.clone(),
                staged,
            })
            .await?;
        Ok(ImportOutcome::Done(Box::new(import)))
    }

    /// An import the caller started (admins see every one).
    pub async fn get_import(&self, caller: &Caller, id: &str) -> RuntimeResult<Import> {
        let import = self
            .store
            .get_import(id)
            .await?
            .filter(|i| caller.user.is_admin || i.created_by == caller.user.id)
            .ok_or_else(|| RuntimeError::NotFound(format!("import {id}")))?;
        Ok(import)
    }

    /// The caller's import `id` if it may be committed now, or the id of the import that
    /// committed the same file already; `StateConflict` unless it is `ready`.
    async fn committable(
        &self,
        caller: &Caller,
        id: &str,
    ) -> RuntimeResult<Result<Import, String>> {
        let import = self.get_import(caller, id).await?;
        if let Some(earlier) = self
            .store
            .committed_import(&import.app_id, &import.form_id, &import.content_hash)
            .await?
        {
            return Ok(Err(earlier));
        }
        if import.status != ImportStatus::Ready {
            return Err(RuntimeError::StateConflict {
                code: "import_not_ready",
                cause: format!("import {id} is {}", import.status.as_str()),
            });
        }
        Ok(Ok(import))
    }

    /// Checks that `id` may be committed and starts the commit in the background (it can take
    /// longer than a request may: every row starts its process); poll [`Runtime::get_import`]
    /// until it is `committed`. A commit that fails leaves the import `ready`.
    pub async fn start_commit(
        &self,
        caller: &Caller,
        id: &str,
        now: OffsetDateTime,
    ) -> RuntimeResult<ImportOutcome> {
        let import = match self.committable(caller, id).await? {
            Ok(import) => import,
            Err(earlier) => return Ok(ImportOutcome::Duplicate { earlier }),
        };
        let (runtime, caller, id) = (self.clone(), caller.clone(), id.to_owned());
        tokio::spawn(async move {
            if let Err(e) = runtime.commit_import(&caller, &id, now).await {
                tracing::warn!(import = %id, error = %e, "import commit failed");
            }
        });
        Ok(ImportOutcome::Done(Box::new(import)))
    }

    /// Inserts every row of a ready import, or none. A failed or committed import, or a file
    /// committed by another import meanwhile, is refused (`Conflict` / `Duplicate`).
    pub async fn commit_import(
        &self,
        caller: &Caller,
        id: &str,
        now: OffsetDateTime,
    ) -> RuntimeResult<ImportOutcome> {
        let import = match self.committable(caller, id).await? {
            Ok(import) => import,
            Err(earlier) => return Ok(ImportOutcome::Duplicate { earlier }),
        };
        let app = self.latest_app(&import.app_id).await?;
        let staged = self.store.staged_rows(id).await?;
        let rows = staged.as_array().cloned().unwrap_or_default();
        let mut records = Vec::with_capacity(rows.len());
        for data in &rows {
            records.push(match import.historical {
                true => historical_record(&import, app.version, caller, data),
                false => {
                    self.prepare_record(&app, caller, &import.form_id, data, None, now, 0)
                        .await?
                }
            });
        }
        match self.store.commit_import(id, records, &caller.user.id).await {
            Ok(_) => {}
            Err(StoreError::Conflict(_)) => {
                if let Some(earlier) = self
                    .store
                    .committed_import(&import.app_id, &import.form_id, &import.content_hash)
                    .await?
                {
                    return Ok(ImportOutcome::Duplicate { earlier });
                }
                return Err(RuntimeError::StateConflict {
                    code: "import_not_ready",
                    cause: format!("import {id} is not ready"),
                });
            }
            Err(e) => return Err(e.into()),
        }
        Ok(ImportOutcome::Done(Box::new(
            self.get_import(caller, id).await?,
        )))
    }
}

impl Runtime {
    /// The import's errors as a sheet of row, column and message, in `lang`.
    pub async fn import_error_report(
        &self,
        caller: &Caller,
        id: &str,
        lang: &str,
    ) -> RuntimeResult<crate::reports::export::Export> {
        use formwork_reports::ir::{OutputColumn, ValueType};
        let import = self.get_import(caller, id).await?;
        let en = lang.starts_with("en");
        let col = |key: &str, zh: &str, english: &str, value_type| OutputColumn {
            key: key.into(),
            label: if en { english } else { zh }.into(),
            value_type,
        };
        let columns = vec![
            col("row", "行", "Row", ValueType::Number),
            col("column", "列", "Column", ValueType::Text),
            col("message", "问题", "Problem", ValueType::Text),
        ];
        let message = if en { "message_en" } else { "message" };
        let rows: Vec<Vec<Value>> = import
            .errors
            .as_array()
            .map(|errs| {
                errs.iter()
                    .map(|e| vec![e["row"].clone(), e["column"].clone(), e[message].clone()])
                    .collect()
            })
            .unwrap_or_default();
        let name = if en { "import errors" } else { "导入错误" };
        crate::reports::export::sheet(crate::reports::export::SheetKind::Xlsx, columns, rows, name)
            .await
    }
}

/// Rows with at least one error.
fn count_failed_rows(errors: &[Value]) -> usize {
    let rows: BTreeSet<u64> = errors
        .iter()
        .filter_map(|e| e.get("row").and_then(Value::as_u64))
        .collect();
    rows.len()
}

/// A historical row stored as it is: no number, no process, no rule events.
fn historical_record(import: &Import, version: i64, caller: &Caller, data: &Value) -> NewRecord {
    NewRecord {
        app_id: import.app_id.clone(),
        form_id: import.form_id.clone(),
        app_version: version,
        owner_id: caller.user.id.clone(),
        department_id: caller.user.department_id.clone(),
        status: RecordStatus::Submitted,
        data: data.clone(),
        numbering: None,
        idempotency_key: None,
        request_hash: String::new(),
        process: None,
        events: Vec::new(),
    }
}
