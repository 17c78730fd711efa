//! Spreadsheet imports into a form: an upload is read (XLSX or CSV), its columns mapped to
//! fields (by label, editable), and every row checked by the form's compiled validator before
//! anything is written; the commit then inserts all rows in one transaction through the same
//! record path as a submission (numbers, process start, rule events), or none. The same file
//! committed once is refused afterwards.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use formwork_forms::CompiledForm;
use formwork_model::{FormId, Text};
use formwork_sheets::{Mapping, content_hash, detect_format, read_grid};
use formwork_store::{AppId, ImportSettlement, NewImport};
pub use formwork_store::{Import, ImportStatus};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::accounts::problem;
use crate::directory::Directory;
use crate::policy::{Caller, form_access, readable_fields};
use crate::records::submit_context;
use crate::{Runtime, RuntimeError, RuntimeResult};

mod commit;

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

/// How far a running check or commit is, kept in memory while it runs (a finished import's
/// outcome is in the store; a count that is only interesting for seconds is not written).
#[derive(Debug, Default)]
pub struct ImportProgress {
    /// Data rows in the sheet.
    pub total: u64,
    /// Rows checked so far.
    pub checked: AtomicU64,
    /// Rows prepared for the commit so far (numbers drawn, processes planned); the commit
    /// writes them all in one transaction at the end.
    pub committed: AtomicU64,
    /// A commit is running.
    pub committing: AtomicBool,
}

/// The running imports of this server, by id.
#[derive(Debug, Default)]
pub(crate) struct ProgressBoard(Mutex<HashMap<String, Arc<ImportProgress>>>);

impl ProgressBoard {
    fn start(&self, id: &str, total: u64) -> Arc<ImportProgress> {
        let progress = Arc::new(ImportProgress {
            total,
            ..ImportProgress::default()
        });
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_owned(), progress.clone());
        progress
    }

    fn get(&self, id: &str) -> Option<Arc<ImportProgress>> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    fn end(&self, id: &str) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }
}

/// An upload read and mapped, its import stored as `checking`, waiting for its rows' check.
struct PendingCheck {
    import: Import,
    grid: formwork_sheets::Grid,
    mapping: Mapping,
    form: Arc<CompiledForm>,
    directory: Arc<Directory>,
    caller: Caller,
    now: OffsetDateTime,
    progress: Arc<ImportProgress>,
}

/// Checks every row of `pending` (CPU work: run it off the async workers), counting them.
fn check_rows(pending: &PendingCheck) -> ImportSettlement {
    let PendingCheck {
        grid,
        mapping,
        form,
        directory,
        caller,
        now,
        progress,
        ..
    } = pending;
    let dir = SheetDirectory(directory);
    let ctx = submit_context(caller, *now, Default::default());
    let mut errors = Vec::new();
    let mut staged = Vec::new();
    for row in formwork_sheets::rows(grid, mapping, form, &dir) {
        progress.checked.fetch_add(1, Ordering::Relaxed);
        if row.is_blank() {
            continue;
        }
        if !row.errors.is_empty() {
            errors.extend(
                row.errors
                    .iter()
                    .map(|e| error_entry(row.row, &e.column, &e.message)),
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
    let ready = errors.is_empty();
    ImportSettlement {
        status: if ready {
            ImportStatus::Ready
        } else {
            ImportStatus::Failed
        },
        row_count: Some(i64::try_from(staged.len() + count_failed_rows(&errors)).unwrap_or(0)),
        errors: Value::Array(errors),
        staged: Value::Array(if ready { staged } else { Vec::new() }),
    }
}

/// What an upload became: a check to run, or the import that committed the same file.
enum Uploaded {
    Pending(Box<PendingCheck>),
    Duplicate(String),
}

impl Runtime {
    /// Reads, maps and checks an upload to the end; nothing is imported yet. The import is
    /// `ready` or `failed` when this returns.
    pub async fn upload_import(
        &self,
        caller: &Caller,
        app_id: &AppId,
        form_id: &FormId,
        upload: ImportUpload,
        now: OffsetDateTime,
    ) -> RuntimeResult<ImportOutcome> {
        match self
            .receive_upload(caller, app_id, form_id, upload, now)
            .await?
        {
            Uploaded::Duplicate(earlier) => Ok(ImportOutcome::Duplicate { earlier }),
            Uploaded::Pending(pending) => {
                let id = pending.import.id.clone();
                self.finish_check(*pending).await?;
                Ok(ImportOutcome::Done(Box::new(
                    self.get_import(caller, &id).await?,
                )))
            }
        }
    }

    /// Reads and maps an upload (a file that cannot be read is refused at once) and checks
    /// its rows in the background: the import answered is `checking`; poll
    /// [`Runtime::get_import`] (and [`Runtime::import_progress`]) until it is `ready` or
    /// `failed`.
    pub async fn start_import(
        &self,
        caller: &Caller,
        app_id: &AppId,
        form_id: &FormId,
        upload: ImportUpload,
        now: OffsetDateTime,
    ) -> RuntimeResult<ImportOutcome> {
        match self
            .receive_upload(caller, app_id, form_id, upload, now)
            .await?
        {
            Uploaded::Duplicate(earlier) => Ok(ImportOutcome::Duplicate { earlier }),
            Uploaded::Pending(pending) => {
                let import = pending.import.clone();
                let runtime = self.clone();
                tokio::spawn(async move {
                    let id = pending.import.id.clone();
                    if let Err(e) = runtime.finish_check(*pending).await {
                        tracing::warn!(import = %id, error = %e, "import check failed");
                        runtime.fail_import(&id, ImportStatus::Checking, &e).await;
                    }
                });
                Ok(ImportOutcome::Done(Box::new(import)))
            }
        }
    }

    async fn receive_upload(
        &self,
        caller: &Caller,
        app_id: &AppId,
        form_id: &FormId,
        upload: ImportUpload,
        now: OffsetDateTime,
    ) -> RuntimeResult<Uploaded> {
        let app = self.latest_app_for(caller, app_id).await?;
        let form = app.form(form_id)?.clone();
        if !form_access(caller, form.def()).may_create {
            return Err(RuntimeError::Forbidden);
        }
        if upload.historical && !caller.user.is_admin {
            return Err(RuntimeError::Forbidden);
        }
        let hash = content_hash(&upload.bytes);
        if let Some(earlier) = self.store.committed_import(app_id, form_id, &hash).await? {
            return Ok(Uploaded::Duplicate(earlier));
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
        let fields = writable(caller, &form);
        let mapping = Mapping::with_overrides(&grid.header, &form, &fields, &upload.mapping)
            .map_err(sheet_error)?;
        let directory = self.directory().await?;
        let import = Import {
            id: formwork_store::new_id(),
            app_id: app_id.clone(),
            form_id: form_id.clone(),
            created_by: caller.user.id.clone(),
            content_hash: hash,
            filename: upload.filename,
            historical: upload.historical,
            status: ImportStatus::Checking,
            row_count: i64::try_from(grid.rows.len()).unwrap_or(0),
            errors: Value::Array(Vec::new()),
            mapping: json!({ "columns": mapping.columns, "header": grid.header }),
            created_at: now,
            committed_at: None,
        };
        // On the board before it is stored: a `checking` import without progress here is
        // one whose check this server never finished (see `get_import`).
        let progress = self
            .import_progress
            .start(&import.id, grid.rows.len() as u64);
        let stored = self
            .store
            .insert_import(&NewImport {
                import: import.clone(),
                staged: Value::Array(Vec::new()),
            })
            .await;
        if let Err(e) = stored {
            self.import_progress.end(&import.id);
            return Err(e.into());
        }
        Ok(Uploaded::Pending(Box::new(PendingCheck {
            import,
            grid,
            mapping,
            form,
            directory,
            caller: caller.clone(),
            now,
            progress,
        })))
    }

    /// Runs the rows' check and stores its outcome.
    async fn finish_check(&self, pending: PendingCheck) -> RuntimeResult<()> {
        let id = pending.import.id.clone();
        let checked = tokio::task::spawn_blocking(move || check_rows(&pending)).await;
        let settled = match checked {
            Ok(settlement) => self
                .store
                .settle_import(&id, ImportStatus::Checking, &settlement)
                .await
                .map(|_| ())
                .map_err(RuntimeError::from),
            Err(e) => Err(RuntimeError::Internal(format!("import check stopped: {e}"))),
        };
        self.import_progress.end(&id);
        settled
    }

    /// Marks an import that was `expected` failed with `error` as its reason, so the page and
    /// the API say why (a check or commit that stops must not leave it waiting forever).
    async fn fail_import(&self, id: &str, expected: ImportStatus, error: &RuntimeError) {
        let (zh, en) = failure_texts(error);
        let mut errors = self
            .store
            .get_import(id)
            .await
            .ok()
            .flatten()
            .and_then(|i| i.errors.as_array().cloned())
            .unwrap_or_default();
        errors.push(json!({"row": null, "column": null, "message": zh, "message_en": en, "stage": "commit"}));
        let settlement = ImportSettlement {
            status: ImportStatus::Failed,
            row_count: None,
            errors: Value::Array(errors),
            staged: Value::Array(Vec::new()),
        };
        if let Err(e) = self.store.settle_import(id, expected, &settlement).await {
            tracing::error!(import = %id, error = %e, "could not record an import's failure");
        }
        self.import_progress.end(id);
    }

    /// How far the check or commit of `import` is, while this server runs it. A settled
    /// import (failed or committed) has none, and a checked one only while it commits: in
    /// the instant before a finished runner lets go, its progress must not show.
    pub fn import_progress(&self, import: &Import) -> Option<Arc<ImportProgress>> {
        let running = self.import_progress.get(&import.id);
        match import.status {
            ImportStatus::Checking => running,
            ImportStatus::Ready => running.filter(|p| p.committing.load(Ordering::Relaxed)),
            ImportStatus::Failed | ImportStatus::Committed => None,
        }
    }

    /// An import the caller started (admins see every one).
    pub async fn get_import(&self, caller: &Caller, id: &str) -> RuntimeResult<Import> {
        let import = self
            .store
            .get_import(id)
            .await?
            .filter(|i| caller.user.is_admin || i.created_by == caller.user.id)
            .ok_or_else(|| RuntimeError::NotFound(format!("import {id}")))?;
        if import.status == ImportStatus::Checking && self.import_progress.get(id).is_none() {
            // Its check was running when the server stopped: say so instead of "checking"
            // forever (uploading the file again starts a new check).
            self.fail_import(
                id,
                ImportStatus::Checking,
                &RuntimeError::Internal("interrupted".into()),
            )
            .await;
            return Box::pin(self.get_import(caller, id)).await;
        }
        Ok(import)
    }
}

/// Why a check or commit stopped, in both languages: a record's refusal names its row's
/// problem; anything else is a failure of the server, told plainly.
fn failure_texts(error: &RuntimeError) -> (String, String) {
    match error {
        RuntimeError::Invalid { .. } | RuntimeError::Malformed { .. } => (
            format!("有记录未通过校验：{error}"),
            format!("A record was refused: {error}"),
        ),
        RuntimeError::Forbidden => (
            "您已没有在此表单新建记录的权限".into(),
            "You may no longer create records in this form".into(),
        ),
        RuntimeError::Internal(cause) if cause == "interrupted" => (
            "检查在服务器重启时中断，请重新上传文件".into(),
            "The check was interrupted by a server restart; upload the file again".into(),
        ),
        other => (
            format!("服务器未能完成导入：{other}"),
            format!("The server could not finish the import: {other}"),
        ),
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
