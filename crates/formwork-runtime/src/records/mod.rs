//! Records: submit, read, list, edit and delete submitted forms, with per-form permissions
//! by role enforced on every path. A record the caller may not read does not exist for them
//! (404), and lists are filtered in SQL, so nothing leaks through counts or filters. Which
//! rows and which fields a caller reads is the policy's answer ([`crate::policy`]); records
//! leave this module with the fields hidden from the caller taken out.

use formwork_forms::{CompiledForm, FieldError, RecordMeta, SubmitContext, field_diff};
use formwork_model::{NumberingDef, Problem};
use formwork_store::{
    AppId, DepartmentId, FormId, Inserted, NewRecord, Numbering, Record, RecordId, RecordStatus,
    RecordUpdate, StoreError,
};
use serde_json::Value;
use sha2::Digest as _;
use time::{OffsetDateTime, UtcOffset};

use crate::Account;
use crate::accounts::problem;

mod drafts;
mod list;

use crate::policy::{
    Caller, EditKind, ListScope, RowScope, check_editable, list_scope, redact_record,
    refused_writes,
};
use crate::{Runtime, RuntimeError, RuntimeResult};
pub use list::{ListRequest, MAX_PAGE, RecordPage};

/// Whether the caller may create records of the form: 403 when they can see it, else 404.
pub(crate) fn may_create(
    caller: &Caller,
    form: &CompiledForm,
    form_id: &FormId,
) -> RuntimeResult<()> {
    let perms = &form.def().permissions;
    if caller.has_any(&perms.create) {
        Ok(())
    } else if list_scope(caller, perms).is_some() {
        Err(RuntimeError::Forbidden)
    } else {
        Err(RuntimeError::NotFound(format!("form {form_id}")))
    }
}

/// China Standard Time: users' dates and yearly number counters use it (no DST).
fn local_offset() -> UtcOffset {
    UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC)
}

impl Runtime {
    /// The caller with their roles, from the directory.
    pub async fn caller(&self, user: Account) -> RuntimeResult<Caller> {
        let roles = self.directory().await?.roles_of(&user.id);
        Ok(Caller {
            user,
            roles,
            epochs: None,
        })
    }

    /// Validates and stores a new record under the app's latest version.
    pub async fn submit_record(
        &self,
        caller: &Caller,
        app_id: &AppId,
        form_id: &FormId,
        input: &Value,
        idempotency_key: Option<String>,
        now: OffsetDateTime,
    ) -> RuntimeResult<Inserted> {
        let app = self.latest_app_for(caller, app_id).await?;
        let form = app.form(form_id)?;
        may_create(caller, form, form_id)?;
        refuse_writes(caller, form.def(), input)?;
        let new = self
            .prepare_record(&app, caller, form_id, input, idempotency_key, now, 0)
            .await?;
        let def = form.def();
        let inserted = self.store.insert_record(new, &caller.user.id).await?;
        self.delegate_record_tasks(caller, &inserted.record().id, now)
            .await?;
        Ok(match inserted {
            Inserted::New(r) => Inserted::New(redact_record(caller, def, r)),
            Inserted::Replayed(r) => Inserted::Replayed(redact_record(caller, def, r)),
        })
    }

    /// The record a submission of `input` to `form_id` stores, not written yet: validated,
    /// its references checked, its number and process prepared and its rule events attached
    /// (`depth`: rule runs that led to it, 0 for a person). Permissions are the caller's
    /// business.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn prepare_record(
        &self,
        app: &crate::CompiledApp,
        caller: &Caller,
        form_id: &FormId,
        input: &Value,
        idempotency_key: Option<String>,
        now: OffsetDateTime,
        depth: i32,
    ) -> RuntimeResult<NewRecord> {
        let form = app.form(form_id)?;
        let mut input = input.clone();
        self.resolve_files(caller, form, &mut input, None).await?;
        let ctx = submit_context(caller, now, RecordMeta::default());
        let mut clean = form.submit(&input, &ctx, None).map_err(invalid)?;
        self.check_references(caller, &mut clean).await?;
        let numbering = form.def().numbering.as_ref().map(|n| numbering_for(n, now));
        // The form's process starts with the record, in the same transaction.
        let (status, data, process) = match self
            .start_process(app, form_id, caller, &clean.data, now)
            .await?
        {
            Some(mut started) => {
                self.step_events(app, form_id, None, &mut started.process.step, depth, now)
                    .await?;
                (
                    started.record_status,
                    started.record_data,
                    Some(started.process),
                )
            }
            None => (RecordStatus::Submitted, clean.data, None),
        };
        let events = crate::automation::record_events(
            app,
            form_id.as_str(),
            None,
            crate::automation::RecordChange::Created,
            depth,
            now,
        );
        Ok(NewRecord {
            app_id: app.app_id.clone(),
            form_id: form_id.clone(),
            app_version: app.version,
            owner_id: caller.user.id.clone(),
            department_id: caller.user.department_id.clone(),
            status,
            data,
            numbering,
            idempotency_key,
            request_hash: hex::encode(sha2::Sha256::digest(
                formwork_model::canonical_string(&input).as_bytes(),
            )),
            process,
            events,
        })
    }

    /// A record the caller may read, without the fields hidden from them; anything else is
    /// `NotFound`.
    pub async fn read_record(&self, caller: &Caller, id: &RecordId) -> RuntimeResult<Record> {
        let record = self.read_record_whole(caller, id).await?;
        let form = self.record_form(&record).await?;
        Ok(redact_record(caller, form.def(), record))
    }

    /// A record the caller may read, with every field: for use cases that write it back or
    /// hand it to the engine, never to be shown as is.
    pub(crate) async fn read_record_whole(
        &self,
        caller: &Caller,
        id: &RecordId,
    ) -> RuntimeResult<Record> {
        let not_found = || RuntimeError::NotFound(format!("record {id}"));
        let record = self.store.get_record(id).await?.ok_or_else(not_found)?;
        // A draft is its owner's alone, whatever the form lets others read.
        if record.status == RecordStatus::Draft && record.owner_id != caller.user.id {
            return Err(not_found());
        }
        let form = self.record_form(&record).await?;
        match self.row_scope(caller, form.def()).await? {
            Some(scope) if scope.admits(caller, &record) => Ok(record),
            _ => Err(not_found()),
        }
    }

    /// The rows of `form` the caller may read, with the departments and customer it names
    /// resolved; `None` when they may read none. Lists (in SQL) and single reads (in Rust)
    /// both ask this one question.
    pub(crate) async fn row_scope(
        &self,
        caller: &Caller,
        form: &formwork_model::FormDef,
    ) -> RuntimeResult<Option<RowScope>> {
        Ok(match list_scope(caller, &form.permissions) {
            None => None,
            Some(ListScope::All) => Some(RowScope::All),
            Some(ListScope::Department) => Some(RowScope::OwnOrDepartments(
                self.departments_in_charge(caller).await?,
            )),
            Some(ListScope::Own) => Some(RowScope::OwnOrDepartments(Vec::new())),
            Some(ListScope::Customer) => Some(RowScope::Customer(
                self.linked_customer(&caller.user.id).await?.map(|c| c.name),
            )),
        })
    }

    /// The compiled form a record was created with (its own app version).
    pub async fn record_form(
        &self,
        record: &Record,
    ) -> RuntimeResult<std::sync::Arc<CompiledForm>> {
        let app = self.app_version(&record.app_id, record.app_version).await?;
        Ok(app.form(&record.form_id)?.clone())
    }

    /// Applies a partial change to a record under its own form version, if `rev` is current.
    pub async fn update_record(
        &self,
        caller: &Caller,
        id: &RecordId,
        expected_rev: i64,
        patch: &Value,
        now: OffsetDateTime,
    ) -> RuntimeResult<Record> {
        let record = self.read_record_whole(caller, id).await?;
        let form = self.record_form(&record).await?;
        if record.rev != expected_rev {
            return Err(RuntimeError::Stale(format!(
                "record {id} is at rev {}",
                record.rev
            )));
        }
        let fields: Vec<&str> = patch
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let kind = check_editable(caller, form.def(), &record, Some(&fields))?;
        refuse_writes(caller, form.def(), patch)?;
        let meta = stored_meta(&record);
        let mut patch = patch.clone();
        self.resolve_files(caller, &form, &mut patch, Some(&record))
            .await?;
        let ctx = submit_context(caller, now, meta);
        let mut clean = form
            .submit(&patch, &ctx, Some(&record.data))
            .map_err(invalid)?;
        self.check_references(caller, &mut clean).await?;
        let diff = field_diff(&record.data, &clean.data);
        let app = self.app_version(&record.app_id, record.app_version).await?;
        let events = crate::automation::record_events(
            &app,
            record.form_id.as_str(),
            Some(id),
            crate::automation::RecordChange::Updated { diff: &diff },
            0,
            now,
        );
        let update = RecordUpdate {
            id: id.clone(),
            expected_rev,
            diff,
            data: clean.data,
            status: record.status,
            events,
            // An admin's edit of a locked result stands out in the record's history.
            audit_note: (kind == EditKind::AdminOverride)
                .then(|| serde_json::json!({ "admin_override": true })),
        };
        let updated = self
            .store
            .update_record(&update, &caller.user.id)
            .await
            .map_err(|e| match e {
                // Another edit committed between our read and our write.
                StoreError::Conflict(what) => RuntimeError::Stale(what),
                other => other.into(),
            })?;
        Ok(redact_record(caller, form.def(), updated))
    }

    /// Soft-deletes a record the caller may edit.
    pub async fn delete_record(
        &self,
        caller: &Caller,
        id: &RecordId,
        expected_rev: Option<i64>,
    ) -> RuntimeResult<()> {
        let record = self.read_record_whole(caller, id).await?;
        let form = self.record_form(&record).await?;
        check_editable(caller, form.def(), &record, None)?;
        let app = self.app_version(&record.app_id, record.app_version).await?;
        let events = crate::automation::record_events(
            &app,
            record.form_id.as_str(),
            Some(id),
            crate::automation::RecordChange::Deleted { record: &record },
            0,
            OffsetDateTime::now_utc(),
        );
        self.store
            .delete_record_with_events(id, expected_rev, &caller.user.id, &events)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(what) => RuntimeError::Stale(what),
                other => other.into(),
            })
    }

    /// The directory, read at most once per use case.
    async fn directory_once<'a>(
        &self,
        caller: &Caller,
        held: &'a mut Option<std::sync::Arc<crate::directory::Directory>>,
    ) -> RuntimeResult<&'a crate::directory::Directory> {
        let dir = match held.take() {
            Some(dir) => dir,
            None => self.directory_for(caller).await?,
        };
        Ok(held.insert(dir))
    }

    /// The departments whose records a `Department` scope lets the caller read.
    async fn departments_in_charge(&self, caller: &Caller) -> RuntimeResult<Vec<DepartmentId>> {
        Ok(self.directory_for(caller).await?.in_charge(&caller.user))
    }

    /// Users and departments named in the data must exist.
    /// Checks that users, departments and related records named in the data exist (a related
    /// record must also be readable by the caller), and copies a relation's lookup fields
    /// from the related record into the data — the client's values for them are ignored.
    pub(crate) async fn check_references(
        &self,
        caller: &Caller,
        clean: &mut formwork_forms::CleanRecord,
    ) -> RuntimeResult<()> {
        let mut problems = Vec::new();
        let mut directory = None;
        for reference in &clean.references {
            let exists = match &reference.target {
                formwork_forms::ReferenceTarget::User => {
                    let dir = self.directory_once(caller, &mut directory).await?;
                    dir.by_username(&reference.id).is_some()
                }
                formwork_forms::ReferenceTarget::Department => {
                    let dir = self.directory_once(caller, &mut directory).await?;
                    DepartmentId::parse(&reference.id).is_ok_and(|id| dir.department(&id).is_some())
                }
                formwork_forms::ReferenceTarget::Record { form, fills } => {
                    let Ok(id) = RecordId::parse(&reference.id) else {
                        problems.push(unknown_reference(&reference.path));
                        continue;
                    };
                    match self.read_record(caller, &id).await {
                        Ok(related) if related.form_id == form.as_str() => {
                            let dir = self.directory_once(caller, &mut directory).await?;
                            let owner = dir.user(&related.owner_id).map(|u| u.username.clone());
                            fill_from(&mut clean.data, &reference.path, fills, &related, owner);
                            true
                        }
                        Ok(_) | Err(RuntimeError::NotFound(_)) => false,
                        Err(e) => return Err(e),
                    }
                }
            };
            if !exists {
                problems.push(unknown_reference(&reference.path));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(RuntimeError::Invalid { problems })
        }
    }
}

/// Refuses a submission or change naming fields the caller may not write.
fn refuse_writes(
    caller: &Caller,
    form: &formwork_model::FormDef,
    input: &Value,
) -> RuntimeResult<()> {
    let problems = refused_writes(caller, form, input, "");
    if problems.is_empty() {
        Ok(())
    } else {
        Err(RuntimeError::Invalid { problems })
    }
}

fn unknown_reference(path: &str) -> Problem {
    problem(
        path,
        "unknown_reference",
        "所选的对象不存在",
        "The selected item does not exist",
    )
}

/// What a relation's fills name to copy the related record's submitter (a username).
pub const OWNER_FILL: &str = "_owner";

/// Copies `fills` (local field ← related field, or [`OWNER_FILL`]) into the object that holds
/// the relation at `path` (the record itself, or a sub-table row). The related record comes
/// as the caller may read it, so a fill never copies a field hidden from them.
fn fill_from(
    data: &mut Value,
    path: &str,
    fills: &std::collections::BTreeMap<String, String>,
    related: &Record,
    owner: Option<String>,
) {
    let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
    if let Some(Value::Object(target)) = data.pointer_mut(parent) {
        for (local, theirs) in fills {
            let value = if theirs == OWNER_FILL {
                owner.clone().map_or(Value::Null, Value::String)
            } else {
                related.data.get(theirs).cloned().unwrap_or(Value::Null)
            };
            target.insert(local.clone(), value);
        }
    }
}

/// What the form engine may know of a stored record.
pub(crate) fn stored_meta(record: &Record) -> RecordMeta {
    RecordMeta {
        id: Some(record.id.to_string()),
        number: record.number.clone(),
        owner: Some(record.owner_id.to_string()),
        status: Some(record.status.as_str().to_owned()),
        created_at: Some(record.created_at),
        updated_at: Some(record.updated_at),
    }
}

pub(crate) fn submit_context(
    caller: &Caller,
    now: OffsetDateTime,
    record: RecordMeta,
) -> SubmitContext {
    SubmitContext {
        now,
        today: now.to_offset(local_offset()).date(),
        submitter: caller.user.username.clone(),
        record,
    }
}

pub(crate) fn invalid(errors: Vec<FieldError>) -> RuntimeError {
    RuntimeError::Invalid {
        problems: errors
            .into_iter()
            .map(|e| Problem {
                pointer: e.path,
                code: e.code,
                message: e.message,
            })
            .collect(),
    }
}

/// `PRJ-{year}-{seq:05}` → a per-year counter and the template for this submission.
fn numbering_for(def: &NumberingDef, now: OffsetDateTime) -> Numbering {
    let local = now.to_offset(local_offset());
    let year = local.year().to_string();
    let mut template = def.pattern.replace("{year}", &year);
    let mut width = 0;
    if let Some(start) = template.find("{seq") {
        if let Some(len) = template[start..].find('}') {
            let spec = &template[start + 4..start + len];
            width = spec.trim_start_matches(':').parse().unwrap_or(0);
            template.replace_range(start..=start + len, "{seq}");
        }
    } else {
        template.push_str("{seq}");
    }
    Numbering {
        scope: if def.pattern.contains("{year}") {
            year
        } else {
            String::new()
        },
        template,
        width,
    }
}
