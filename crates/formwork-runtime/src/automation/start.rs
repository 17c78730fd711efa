//! The start-process action: the `Start` step of a process on a record that exists, written
//! with the job (its instance, tasks and messages), the record's status and data going into
//! the job's one change of the record.

use std::collections::HashMap;

use formwork_model::ProcessId;
use formwork_process::{Event, State};
use formwork_store::{InstanceId, InstanceStatus, JobProcessStart, NewInstance};
use serde_json::json;

use super::plan::{ActionCtx, Outcome, Plan, no_record};
use crate::error::package_id;
use crate::processes::context::RecordFacts;
use crate::processes::pipeline::{self, StepInput};
use crate::{Runtime, RuntimeError, RuntimeResult};

impl Runtime {
    pub(crate) async fn start_on_record(
        &self,
        plan: &mut Plan,
        ctx: &ActionCtx<'_>,
        process_id: &str,
    ) -> RuntimeResult<Outcome> {
        let (Some(working), Some(owner)) = (plan.working.as_mut(), ctx.subject.owner.as_ref())
        else {
            return Ok(no_record());
        };
        let record = working.record.clone();
        let running = match self.store.instance_for_record(&record.id).await? {
            Some(i) => i.status == InstanceStatus::Running,
            None => false,
        };
        if running
            || plan
                .completion
                .process_starts
                .iter()
                .any(|s| s.record_id == record.id)
        {
            return Ok(Outcome::with(
                "skipped",
                "already_running",
                "记录上已有进行中的流程，未再启动".into(),
                "a process is already running on the record; none was started".into(),
            ));
        }
        let app = ctx.subject.app.clone();
        let pid = package_id(ProcessId::parse(process_id))?;
        let process = app.process(&pid)?;
        let form = app.form_def(&record.form_id)?;
        let instance_id = InstanceId::new();
        let state = State::new();
        let dir = self.directory().await?;
        let calendar = self.work_calendar().await?;
        let input = StepInput {
            app_id: &app.app_id,
            process,
            form,
            instance_id: &instance_id,
            expected_version: None,
            state: &state,
            facts: RecordFacts::of(&record),
            record_id: Some(&record.id),
            stored_status: Some(working.status),
            stored_rev: Some(record.rev),
            stored_data: &working.data,
            data: working.data.clone(),
            submitter: owner,
            event: Event::Start,
            actor: None,
            decided_task: None,
            fired_timer: None,
            task_ids: HashMap::new(),
            change_base: None,
            now: ctx.now,
        };
        let mut built = match pipeline::run(&dir, &calendar, input) {
            Ok(built) => built,
            Err(e @ (RuntimeError::Invalid { .. } | RuntimeError::Conflict(_))) => {
                return Ok(Outcome::failed(
                    "process_refused",
                    format!("流程「{process_id}」无法启动：{e}"),
                    format!("process `{process_id}` cannot start: {e}"),
                ));
            }
            Err(e) => return Err(e),
        };
        working.status = built.record_status;
        working.data = built.record_data;
        // The record's status and data go into the job's one change of the record.
        built.write.record_status = None;
        built.write.record_data = None;
        built.write.record_diff = None;
        built.write.record_rev = None;
        self.step_events(
            &app,
            &record.form_id,
            None,
            &mut built.write,
            plan.depth + 1,
            ctx.now,
        )
        .await?;
        for job in &mut built.write.outbox {
            job.record_id.get_or_insert_with(|| record.id.clone());
        }
        plan.completion.process_starts.push(JobProcessStart {
            record_id: record.id.clone(),
            instance: NewInstance {
                process_id: pid,
                step: built.write,
                proposed_changes: None,
            },
        });
        Ok(Outcome::done(
            json!({ "process": process_id, "instance": instance_id }),
        ))
    }
}
