//! Committing a checked import (every row or none), and the sheet of its errors.

use std::sync::atomic::Ordering;

use formwork_store::{NewRecord, RecordStatus, StoreError};
use serde_json::Value;
use time::OffsetDateTime;

use super::{Import, ImportOutcome, ImportStatus};
use crate::policy::Caller;
use crate::{Runtime, RuntimeError, RuntimeResult};

impl Runtime {
    /// The caller's import `id` if it may be committed now, or the id of the import that
    /// committed the same file already; `StateConflict` unless it is `ready`.
    async fn committable(
        &self,
        caller: &Caller,
        id: &str,
    ) -> RuntimeResult<Result<Import, String>> {
        let import = self.get_import(caller, id).await?;
        if let Some(earlier) = self.committed_before(&import).await? {
            return Ok(Err(earlier));
        }
        if import.status != ImportStatus::Ready {
            return Err(not_ready(id, import.status.as_str()));
        }
        Ok(Ok(import))
    }

    /// The id of the import that committed the same file into the same form, if any.
    async fn committed_before(&self, import: &Import) -> RuntimeResult<Option<String>> {
        Ok(self
            .store
            .committed_import(&import.app_id, &import.form_id, &import.content_hash)
            .await?)
    }

    /// Checks that `id` may be committed and starts the commit in the background (it can take
    /// longer than a request may: every row starts its process); poll [`Runtime::get_import`]
    /// until it is `committed`. A commit that fails marks the import `failed` with the reason
    /// (nothing of it is imported).
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
        let progress = self
            .import_progress
            .start(id, import.row_count.max(0) as u64);
        progress.committing.store(true, Ordering::Relaxed);
        let (runtime, caller, id) = (self.clone(), caller.clone(), id.to_owned());
        tokio::spawn(async move {
            match runtime.commit_import(&caller, &id, now).await {
                Ok(_) => runtime.import_progress.end(&id),
                Err(e) => {
                    // Nothing was written (one transaction); the import says why, for good.
                    tracing::warn!(import = %id, error = %e, "import commit failed");
                    runtime.fail_import(&id, ImportStatus::Ready, &e).await;
                }
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
        let app = self.latest_app_for(caller, &import.app_id).await?;
        let staged = self.store.staged_rows(id).await?;
        let rows = staged.as_array().cloned().unwrap_or_default();
        let mut records = Vec::with_capacity(rows.len());
        let progress = self.import_progress.get(id);
        for data in &rows {
            if let Some(p) = &progress {
                p.committed.fetch_add(1, Ordering::Relaxed);
            }
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
                return match self.committed_before(&import).await? {
                    Some(earlier) => Ok(ImportOutcome::Duplicate { earlier }),
                    None => Err(not_ready(id, "not ready")),
                };
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

/// An import that is not `ready` (it is `state`) cannot be committed.
fn not_ready(id: &str, state: &str) -> RuntimeError {
    RuntimeError::StateConflict {
        code: "import_not_ready",
        cause: format!("import {id} is {state}"),
    }
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
