//! One step from loaded facts to rows: prefetch the directory, run the engine over the record,
//! and build the [`StepWrite`](formwork_store::StepWrite). Shared by start, decide, withdraw
//! and timers; none of it writes.

use std::collections::HashMap;

use formwork_model::FormDef;
use formwork_process::{CompiledProcess, Event, State, step};
use formwork_store::{AppId, InstanceId, RecordId, RecordStatus, TaskId};

use crate::Account;
use crate::directory::Directory;
use serde_json::Value;
use time::OffsetDateTime;

use super::context::{RecordFacts, StepContext};
use super::refusals::engine_error;
use super::write::{self, Actor, Built, WriteInput};
use crate::RuntimeResult;

/// Everything a step runs on.
pub(crate) struct StepInput<'a> {
    pub app_id: &'a AppId,
    pub process: &'a CompiledProcess,
    pub form: &'a FormDef,
    pub instance_id: &'a InstanceId,
    /// `None` for an instance that does not exist yet.
    pub expected_version: Option<i64>,
    pub state: &'a State,
    pub facts: RecordFacts,
    /// The record's id; `None` for a record not inserted yet.
    pub record_id: Option<&'a RecordId>,
    /// The record as stored; a record not inserted yet has no status or revision and the
    /// submitted data.
    pub stored_status: Option<RecordStatus>,
    pub stored_rev: Option<i64>,
    pub stored_data: &'a Value,
    /// The data the step runs on: the stored data with the actor's edits.
    pub data: Value,
    pub submitter: &'a Account,
    pub event: Event,
    pub actor: Option<Actor>,
    pub decided_task: Option<String>,
    pub fired_timer: Option<String>,
    pub task_ids: HashMap<String, TaskId>,
    /// The record's own data when the instance decides a change request (see [`Loaded`]).
    pub change_base: Option<&'a Value>,
    pub now: OffsetDateTime,
}

/// Runs the step over the directory snapshot and returns the rows that store it.
pub(crate) fn run(
    dir: &Directory,
    calendar: &formwork_calendar::WorkCalendar,
    input: StepInput<'_>,
) -> RuntimeResult<Built> {
    let (next, effects) = {
        let ctx = StepContext::new(
            input.form,
            &input.data,
            &input.facts,
            input.submitter,
            dir,
            calendar,
            input.now,
        );
        step(input.process, input.state, input.event, input.now, &ctx).map_err(engine_error)?
    };
    write::build(
        dir,
        WriteInput {
            instance_id: input.instance_id,
            expected_version: input.expected_version,
            process: input.process,
            app_id: input.app_id,
            record_id: input.record_id,
            next: &next,
            actor: input.actor.as_ref(),
            decided_task: input.decided_task,
            fired_timer: input.fired_timer,
            stored_status: input.stored_status,
            stored_rev: input.stored_rev,
            stored_data: input.stored_data,
            data: input.data,
            task_ids: &input.task_ids,
            change_base: input.change_base,
            now: input.now,
        },
        effects,
    )
}

/// A running instance with what its steps need: its record, app version and submitter.
///
/// For a change request (变更) `record.data` holds the record with the proposed values, which
/// the process decides on, and `change_base` the record's data as it is.
pub(crate) struct Loaded {
    pub instance: formwork_store::Instance,
    pub record: formwork_store::Record,
    pub change_base: Option<Value>,
    pub app: std::sync::Arc<crate::CompiledApp>,
    pub state: State,
    pub submitter: Account,
    /// The directory the step resolves people against.
    pub dir: std::sync::Arc<Directory>,
}

impl Loaded {
    pub fn process(&self) -> RuntimeResult<&std::sync::Arc<CompiledProcess>> {
        self.app.process(&self.instance.process_id)
    }

    pub fn form(&self) -> RuntimeResult<&std::sync::Arc<formwork_forms::CompiledForm>> {
        self.app.form(&self.record.form_id)
    }

    /// The input of a step on this stored instance, at its current version, running on
    /// `data`; the caller sets who acts and what the step consumes.
    pub fn step_input(
        &self,
        data: Value,
        event: Event,
        now: OffsetDateTime,
    ) -> RuntimeResult<StepInput<'_>> {
        Ok(StepInput {
            app_id: &self.instance.app_id,
            process: self.process()?,
            form: self.form()?.def(),
            instance_id: &self.instance.id,
            expected_version: Some(self.instance.version),
            state: &self.state,
            facts: RecordFacts::of(&self.record),
            record_id: Some(&self.record.id),
            stored_status: Some(self.record.status),
            stored_rev: Some(self.record.rev),
            stored_data: &self.record.data,
            data,
            submitter: &self.submitter,
            event,
            actor: None,
            decided_task: None,
            fired_timer: None,
            task_ids: HashMap::new(),
            change_base: self.change_base.as_ref(),
            now,
        })
    }
}

impl crate::Runtime {
    /// Loads an instance and everything a step on it needs; `NotFound` when it or its record
    /// is gone.
    pub(crate) async fn load_instance(&self, instance_id: &InstanceId) -> RuntimeResult<Loaded> {
        let (instance, record) = self
            .store
            .instance_on_record(instance_id)
            .await?
            .ok_or_else(|| {
                crate::RuntimeError::NotFound(format!("process or record of {instance_id}"))
            })?;
        self.loaded(instance, record, None).await
    }

    /// What a step on `instance` needs beside it and its `record` (read together); the
    /// directory as of `epochs` when a session read them.
    pub(crate) async fn loaded(
        &self,
        instance: formwork_store::Instance,
        mut record: formwork_store::Record,
        epochs: Option<formwork_store::Epochs>,
    ) -> RuntimeResult<Loaded> {
        let instance_id = &instance.id;
        let missing =
            |what: &str| crate::RuntimeError::NotFound(format!("{what} of instance {instance_id}"));
        let change_base = instance.proposed_changes.as_ref().map(|changes| {
            let base = record.data.clone();
            record.data = super::write::with_changes(&base, changes);
            base
        });
        let dir = self.directory_seen(epochs).await?;
        let submitter = dir
            .user(&record.owner_id)
            .cloned()
            .ok_or_else(|| missing("submitter"))?;
        let app = self
            .app_version(&instance.app_id, instance.app_version)
            .await?;
        let state = serde_json::from_value(instance.state.clone()).map_err(|e| {
            crate::RuntimeError::Internal(format!("state of instance {instance_id}: {e}"))
        })?;
        Ok(Loaded {
            instance,
            record,
            change_base,
            app,
            state,
            submitter,
            dir,
        })
    }
}
