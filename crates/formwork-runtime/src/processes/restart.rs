//! A process starting again on a record that exists: a change request (变更) of an approved
//! record, and the resubmission of a withdrawn or returned one.
//!
//! A change runs as an instance of its own holding the proposed values; the record keeps its
//! approved values (and status) until the change is approved (see `write::finish_change`). A
//! withdrawn record is validated again under the app's latest version and its process starts
//! again under it; a returned one is resubmitted through its revise step. Earlier instances
//! stay, so the timeline keeps every round.

use std::collections::HashMap;

use formwork_forms::field_diff;
use formwork_model::{ChangePolicy, Text};
use formwork_process::{Event, State};
use formwork_store::{
    FormId, InstanceId, InstanceRestart, InstanceStatus, NewHistory, NewInstance, ProcessId,
    Record, RecordId, RecordStatus, StepAudit, StepWrite, StoreError, TaskKind, TaskStatus,
};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::context::RecordFacts;
use super::decide::{DecideRequest, checked_comment};
use super::pipeline::{self, StepInput};
use super::write::{changed_fields, is_revise_step};
use crate::catalog::CompiledApp;
use crate::error::package_id;
use crate::policy::Caller;
use crate::records::{invalid, stored_meta, submit_context};
use crate::{Runtime, RuntimeError, RuntimeResult};

/// A change request under way: the proposed values and when they were proposed.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingChange {
    pub instance_id: InstanceId,
    /// The fields the change sets, with their proposed values (`null`: cleared).
    pub changes: Value,
    pub requested_at: OffsetDateTime,
}

impl Runtime {
    /// The owner proposes new values for an approved record (变更): they go through the
    /// form's process, routed by the proposed data; the record keeps its values until the
    /// change is approved. Returns the record, which now carries the pending change.
    pub async fn request_change(
        &self,
        caller: &Caller,
        id: &RecordId,
        changes: &Value,
        comment: Option<&str>,
        now: OffsetDateTime,
    ) -> RuntimeResult<Record> {
        let record = self.read_record(caller, id).await?;
        if record.owner_id != caller.user.id {
            return Err(RuntimeError::Forbidden);
        }
        let comment = checked_comment(comment)?;
        let app = self.app_version(&record.app_id, record.app_version).await?;
        let form = app.form(&record.form_id)?.clone();
        let policy = form.def().after_approval.as_ref().map(|a| a.changes);
        if record.status != RecordStatus::Approved || policy != Some(ChangePolicy::ChangeRequest) {
            return Err(conflict("change_not_allowed", &record));
        }
        self.refuse_if_running(&record, "change_pending").await?;
        let clean = self
            .record_with(caller, &form, &record, changes.clone(), now)
            .await?;
        let proposed = changed_fields(&record.data, &clean.data);
        if proposed.as_object().is_none_or(|m| m.is_empty()) {
            return Err(nothing_changed());
        }
        let (process_id, mut write) = self
            .first_step(&app, &record, &clean.data, Some(&record.data), now)
            .await?;
        write.history.insert(
            0,
            opening_entry(
                caller,
                start_node(&app, &record),
                "change_requested",
                comment,
                json!({ "changes": proposed }),
            ),
        );
        let restart = InstanceRestart {
            record_id: record.id.clone(),
            expected_rev: record.rev,
            app_version: None,
            instance: NewInstance {
                process_id,
                step: write,
                proposed_changes: Some(proposed.clone()),
            },
            audit: StepAudit {
                action: "record.change_request".into(),
                // The history shows the proposal as a diff; `changes` says it is not applied.
                detail: json!({
                    "changes": proposed,
                    "diff": field_diff(&record.data, &clean.data),
                }),
            },
        };
        self.restart(restart, caller).await
    }

    /// Resubmits a withdrawn record (validated again under the app's latest version, its
    /// process started again under it) or a returned one (through its revise step), with
    /// `changes` to its fields. Returns the record as it is now.
    pub async fn resubmit_record(
        &self,
        caller: &Caller,
        id: &RecordId,
        changes: Option<&Value>,
        comment: Option<&str>,
        now: OffsetDateTime,
    ) -> RuntimeResult<Record> {
        let record = self.read_record(caller, id).await?;
        if record.owner_id != caller.user.id {
            return Err(RuntimeError::Forbidden);
        }
        match record.status {
            RecordStatus::Returned => {
                let task = self.revise_task(caller, &record).await?;
                // New attachments are checked and described like an edit's.
                let mut changes = changes.cloned();
                if let Some(c) = changes.as_mut() {
                    let form = self.record_form(&record).await?;
                    self.resolve_files(caller, &form, c, Some(&record)).await?;
                }
                let request = DecideRequest {
                    action: "submit".into(),
                    comment: comment.map(str::to_owned),
                    data: changes,
                    ..DecideRequest::default()
                };
                self.decide(caller, &task, &request, now).await?;
                self.read_record(caller, id).await
            }
            RecordStatus::Withdrawn => {
                let comment = checked_comment(comment)?;
                self.restart_withdrawn(caller, record, changes, comment, now)
                    .await
            }
            _ => Err(conflict("not_resubmittable", &record)),
        }
    }

    /// The change request under way on a record, if any.
    pub async fn pending_change(&self, record: &Record) -> RuntimeResult<Option<PendingChange>> {
        let Some(instance) = self.store.instance_for_record(&record.id).await? else {
            return Ok(None);
        };
        let live = matches!(
            instance.status,
            InstanceStatus::Running | InstanceStatus::Stopped
        );
        Ok(match instance.proposed_changes {
            Some(changes) if live => Some(PendingChange {
                instance_id: instance.id,
                changes,
                requested_at: instance.created_at,
            }),
            _ => None,
        })
    }

    async fn restart_withdrawn(
        &self,
        caller: &Caller,
        record: Record,
        changes: Option<&Value>,
        comment: Option<String>,
        now: OffsetDateTime,
    ) -> RuntimeResult<Record> {
        self.refuse_if_running(&record, "not_resubmittable").await?;
        let app = self.latest_app(&record.app_id).await?;
        let form = app.form(&record.form_id)?.clone();
        let input = changes.cloned().unwrap_or_else(|| json!({}));
        let clean = self.record_with(caller, &form, &record, input, now).await?;
        let (process_id, mut write) = self
            .first_step(&app, &record, &clean.data, None, now)
            .await?;
        let round = self.store.instances_of_record(&record.id).await?.len() + 1;
        write.history.insert(
            0,
            opening_entry(
                caller,
                start_node(&app, &record),
                "resubmitted",
                comment,
                json!({ "round": round }),
            ),
        );
        let restart = InstanceRestart {
            record_id: record.id.clone(),
            expected_rev: record.rev,
            app_version: Some(app.version),
            instance: NewInstance {
                process_id,
                step: write,
                proposed_changes: None,
            },
            audit: StepAudit {
                action: "record.resubmit".into(),
                detail: json!({ "app_version": app.version }),
            },
        };
        self.restart(restart, caller).await
    }

    /// The record's data with `changes` applied, validated under `form` (new attachments
    /// checked, references resolved).
    async fn record_with(
        &self,
        caller: &Caller,
        form: &formwork_forms::CompiledForm,
        record: &Record,
        mut changes: Value,
        now: OffsetDateTime,
    ) -> RuntimeResult<formwork_forms::CleanRecord> {
        self.resolve_files(caller, form, &mut changes, Some(record))
            .await?;
        let ctx = submit_context(caller, now, stored_meta(record));
        let mut clean = form
            .submit(&changes, &ctx, Some(&record.data))
            .map_err(invalid)?;
        self.check_references(caller, &mut clean).await?;
        Ok(clean)
    }

    /// The `Start` step of the form's process on `record` running on `data` (for a change,
    /// `change_base` is the record's own data), with its rule events; the record's new status
    /// and data (a resubmission) or none (a change) go into the write.
    async fn first_step(
        &self,
        app: &CompiledApp,
        record: &Record,
        data: &Value,
        change_base: Option<&Value>,
        now: OffsetDateTime,
    ) -> RuntimeResult<(ProcessId, StepWrite)> {
        let form_id: &FormId = &record.form_id;
        let process = app
            .process_for_form(form_id)
            .ok_or_else(|| RuntimeError::StateConflict {
                code: "no_process",
                cause: format!("form {form_id} has no process"),
            })?;
        let dir = self.directory().await?;
        let calendar = self.work_calendar().await?;
        let owner = dir
            .user(&record.owner_id)
            .cloned()
            .ok_or_else(|| RuntimeError::NotFound(format!("owner of record {}", record.id)))?;
        let state = State::new();
        let instance_id = InstanceId::new();
        let mut built = pipeline::run(
            &dir,
            &calendar,
            StepInput {
                app_id: &app.app_id,
                process,
                form: app.form_def(form_id)?,
                instance_id: &instance_id,
                expected_version: None,
                state: &state,
                facts: RecordFacts::of(record),
                record_id: Some(&record.id),
                stored_status: Some(record.status),
                stored_rev: Some(record.rev),
                stored_data: change_base.map_or(&record.data, |_| data),
                data: data.clone(),
                submitter: &owner,
                event: Event::Start,
                actor: None,
                decided_task: None,
                fired_timer: None,
                task_ids: HashMap::new(),
                change_base,
                now,
            },
        )?;
        if change_base.is_none() {
            built.write.record_status = Some(built.record_status);
            built.write.record_data = Some(built.record_data.clone());
            built.write.record_diff = Some(field_diff(&record.data, &built.record_data));
        }
        built.write.record_rev = None;
        built.write.at = Some(now);
        self.step_events(app, form_id, Some(&record.id), &mut built.write, 0, now)
            .await?;
        let process_id = package_id(ProcessId::parse(&process.def().id))?;
        Ok((process_id, built.write))
    }

    async fn restart(&self, restart: InstanceRestart, caller: &Caller) -> RuntimeResult<Record> {
        self.store
            .restart_on_record(restart, &caller.user.id)
            .await
            .map_err(|e| match e {
                // The record changed, or another process started, since we read it.
                StoreError::Conflict(what) => RuntimeError::Stale(what),
                other => other.into(),
            })
    }

    /// `code` (409) while a process runs or waits for an admin on the record.
    async fn refuse_if_running(&self, record: &Record, code: &'static str) -> RuntimeResult<()> {
        let running = self
            .store
            .instance_for_record(&record.id)
            .await?
            .is_some_and(|i| matches!(i.status, InstanceStatus::Running | InstanceStatus::Stopped));
        if running {
            return Err(conflict(code, record));
        }
        Ok(())
    }

    /// The caller's open task that revises their returned record: a resubmit task, or their
    /// step at the process's revise node.
    async fn revise_task(
        &self,
        caller: &Caller,
        record: &Record,
    ) -> RuntimeResult<formwork_store::TaskId> {
        let instance = self
            .store
            .instance_for_record(&record.id)
            .await?
            .ok_or_else(|| conflict("not_resubmittable", record))?;
        let app = self
            .app_version(&instance.app_id, instance.app_version)
            .await?;
        let process = app.process(&instance.process_id)?;
        self.store
            .tasks_of_instance(&instance.id)
            .await?
            .into_iter()
            .find(|t| {
                t.status == TaskStatus::Open
                    && t.assignee_id == caller.user.id
                    && (t.kind == TaskKind::Resubmit || is_revise_step(process, &t.node_id))
            })
            .map(|t| t.id)
            .ok_or_else(|| conflict("not_resubmittable", record))
    }
}

/// The start node of the record's process, where a new instance's first entry stands.
fn start_node(app: &CompiledApp, record: &Record) -> Option<String> {
    let process = app.process_for_form(&record.form_id)?;
    process
        .def()
        .nodes
        .iter()
        .find(|n| matches!(n.kind, formwork_model::NodeKind::Start))
        .map(|n| n.id.clone())
}

/// The timeline entry that opens a new instance on a record, by the person who started it.
fn opening_entry(
    caller: &Caller,
    node_id: Option<String>,
    action: &str,
    comment: Option<String>,
    detail: Value,
) -> NewHistory {
    NewHistory {
        actor: Some(caller.user.id.clone()),
        node_id,
        action: action.to_owned(),
        comment,
        detail,
    }
}

fn conflict(code: &'static str, record: &Record) -> RuntimeError {
    RuntimeError::StateConflict {
        code,
        cause: format!("record {} is {}", record.id, record.status),
    }
}

fn nothing_changed() -> RuntimeError {
    RuntimeError::Invalid {
        problems: vec![formwork_model::Problem {
            pointer: String::new(),
            code: "no_changes".into(),
            message: Text::zh_en(
                "变更没有修改任何内容",
                "The change does not change anything",
            ),
        }],
    }
}
