//! Starting the process of a submitted record: the `Start` step runs before the insert, and
//! its instance, tasks, timeline and messages are written in the record's own transaction.
//!
//! The record is not inserted yet, so expressions see `id` and `number` as `null` here.

use std::collections::HashMap;

use formwork_process::{Event, State};
use formwork_store::{FormId, InstanceId, NewInstance, ProcessId, RecordStatus};
use serde_json::Value;
use time::OffsetDateTime;

use super::context::RecordFacts;
use super::pipeline::{self, StepInput};
use crate::catalog::CompiledApp;
use crate::error::package_id;
use crate::policy::Caller;
use crate::{Runtime, RuntimeResult};

/// A started instance, ready to go into `NewRecord.process`, and what it makes of the record.
#[derive(Debug)]
pub(crate) struct Started {
    pub process: NewInstance,
    pub record_status: RecordStatus,
    pub record_data: Value,
}

impl Runtime {
    /// Runs `Start` for the process attached to `form_id`, if the app has one.
    pub(crate) async fn start_process(
        &self,
        app: &CompiledApp,
        form_id: &FormId,
        caller: &Caller,
        data: &Value,
        now: OffsetDateTime,
    ) -> RuntimeResult<Option<Started>> {
        let Some(process) = app.process_for_form(form_id) else {
            return Ok(None);
        };
        let form = app.form_def(form_id)?;
        let instance_id = InstanceId::new();
        let state = State::new();
        let dir = self.directory_for(caller).await?;
        let calendar = self.work_calendar().await?;
        let mut built = pipeline::run(
            &dir,
            &calendar,
            StepInput {
                app_id: &app.app_id,
                process,
                form,
                instance_id: &instance_id,
                expected_version: None,
                state: &state,
                record_id: None,
                facts: RecordFacts {
                    owner_id: Some(caller.user.id.to_string()),
                    status: Some(RecordStatus::Submitted.as_str().to_owned()),
                    created_at: Some(now),
                    updated_at: Some(now),
                    ..RecordFacts::default()
                },
                stored_status: None,
                stored_rev: None,
                stored_data: data,
                data: data.clone(),
                submitter: &caller.user,
                event: Event::Start,
                actor: None,
                decided_task: None,
                fired_timer: None,
                task_ids: HashMap::new(),
                change_base: None,
                now,
            },
        )?;
        // The record is inserted with the step's status and data, so the write carries none.
        // Nor an instant: the instance, its tasks and timeline are stamped with the record's,
        // the one clock reading of the insert's transaction (taken under the write lock), so a
        // task is never older than the record that created it.
        built.write.at = None;
        built.write.record_status = None;
        built.write.record_data = None;
        built.write.record_diff = None;
        Ok(Some(Started {
            process: NewInstance {
                process_id: package_id(ProcessId::parse(&process.def().id))?,
                step: built.write,
                proposed_changes: None,
            },
            record_status: built.record_status,
            record_data: built.record_data,
        }))
    }
}
