//! Drafts (暂存): a half-filled form saved as a record with status `draft`. Only type checks
//! apply; no number is taken, no process starts, no rule hears of it, and only its owner sees
//! it (everyone else gets 404, exactly as for a record that does not exist). Submitting it
//! validates fully and then, in one transaction, takes the next number, starts the process
//! and enqueues the record's events — what a submission does, on the draft's own row.

use formwork_forms::RecordMeta;
use formwork_store::{AppId, FormId, NewRecord, Record, RecordId, RecordStatus, RecordUpdate};
use serde_json::Value;
use time::OffsetDateTime;

use super::{invalid, may_create, stored_meta, submit_context};
use crate::policy::Caller;
use crate::{Runtime, RuntimeError, RuntimeResult};

/// Most drafts "my drafts" lists.
pub const MAX_DRAFTS: u32 = 200;

impl Runtime {
    /// Saves `input` as a new draft of `form_id` under the app's latest version.
    pub async fn create_draft(
        &self,
        caller: &Caller,
        app_id: &AppId,
        form_id: &FormId,
        input: &Value,
        now: OffsetDateTime,
    ) -> RuntimeResult<Record> {
        let app = self.latest_app_for(caller, app_id).await?;
        let form = app.form(form_id)?;
        may_create(caller, form, form_id)?;
        let mut input = input.clone();
        self.resolve_files(caller, form, &mut input, None).await?;
        let ctx = submit_context(caller, now, RecordMeta::default());
        let clean = form.draft(&input, &ctx, None).map_err(invalid)?;
        let new = NewRecord {
            app_id: app.app_id.clone(),
            form_id: form_id.clone(),
            app_version: app.version,
            owner_id: caller.user.id.clone(),
            department_id: caller.user.department_id.clone(),
            status: RecordStatus::Draft,
            data: clean.data,
            numbering: None,
            idempotency_key: None,
            request_hash: String::new(),
            process: None,
            events: Vec::new(),
        };
        match self.store.insert_record(new, &caller.user.id).await? {
            formwork_store::Inserted::New(r) | formwork_store::Inserted::Replayed(r) => Ok(r),
        }
    }

    /// One of the caller's own drafts; anything else is `NotFound`.
    pub async fn read_draft(&self, caller: &Caller, id: &RecordId) -> RuntimeResult<Record> {
        match self.store.get_record(id).await? {
            Some(r) if r.status == RecordStatus::Draft && r.owner_id == caller.user.id => Ok(r),
            _ => Err(RuntimeError::NotFound(format!("draft {id}"))),
        }
    }

    /// The caller's drafts, last saved first.
    pub async fn my_drafts(&self, caller: &Caller) -> RuntimeResult<Vec<Record>> {
        Ok(self.store.list_drafts(&caller.user.id, MAX_DRAFTS).await?)
    }

    /// Replaces a draft's data when `expected_rev` is current (else `Stale`).
    pub async fn update_draft(
        &self,
        caller: &Caller,
        id: &RecordId,
        expected_rev: i64,
        input: &Value,
        now: OffsetDateTime,
    ) -> RuntimeResult<Record> {
        let draft = self.read_draft(caller, id).await?;
        if draft.rev != expected_rev {
            return Err(RuntimeError::Stale(format!(
                "draft {id} is at rev {}",
                draft.rev
            )));
        }
        let form = self.record_form(&draft).await?;
        let mut input = input.clone();
        self.resolve_files(caller, &form, &mut input, Some(&draft))
            .await?;
        let ctx = submit_context(caller, now, stored_meta(&draft));
        // The whole form is sent each time: what the client leaves out is cleared.
        let clean = form.draft(&input, &ctx, None).map_err(invalid)?;
        if clean.data == draft.data {
            // Saved again unchanged: nothing to write, nor to show in the history.
            return Ok(draft);
        }
        let update = RecordUpdate {
            id: id.clone(),
            expected_rev,
            diff: formwork_forms::field_diff(&draft.data, &clean.data),
            data: clean.data,
            status: RecordStatus::Draft,
            events: Vec::new(),
            audit_note: None,
        };
        self.store
            .update_record(&update, &caller.user.id)
            .await
            .map_err(stale)
    }

    /// Discards a draft.
    pub async fn delete_draft(
        &self,
        caller: &Caller,
        id: &RecordId,
        expected_rev: Option<i64>,
    ) -> RuntimeResult<()> {
        self.read_draft(caller, id).await?;
        self.store
            .delete_record(id, expected_rev, &caller.user.id)
            .await
            .map_err(stale)
    }

    /// Submits a draft: full validation under the app's latest version, then the next number,
    /// the process and the events in the same transaction as the status change.
    pub async fn submit_draft(
        &self,
        caller: &Caller,
        id: &RecordId,
        expected_rev: Option<i64>,
        now: OffsetDateTime,
    ) -> RuntimeResult<Record> {
        let draft = self.read_draft(caller, id).await?;
        let rev = expected_rev.unwrap_or(draft.rev);
        if draft.rev != rev {
            return Err(RuntimeError::Stale(format!(
                "draft {id} is at rev {}",
                draft.rev
            )));
        }
        let app = self.latest_app_for(caller, &draft.app_id).await?;
        may_create(caller, app.form(&draft.form_id)?, &draft.form_id)?;
        let new = self
            .prepare_record(&app, caller, &draft.form_id, &draft.data, None, now, 0)
            .await?;
        self.store
            .submit_draft(id, rev, new, &caller.user.id)
            .await
            .map_err(stale)
    }

    /// Discards drafts last saved before `before` (the worker's expiry sweep); how many.
    pub async fn purge_drafts(&self, before: OffsetDateTime) -> RuntimeResult<u64> {
        Ok(self.store.purge_drafts(before).await?)
    }
}

fn stale(e: formwork_store::StoreError) -> RuntimeError {
    match e {
        formwork_store::StoreError::Conflict(what) => RuntimeError::Stale(what),
        other => other.into(),
    }
}
