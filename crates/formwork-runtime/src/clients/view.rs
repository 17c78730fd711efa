//! What a client sees in the portal: their records grouped by app and form, and one record
//! with its progress (step names only: no people, no comments), milestones, shared files,
//! the thread with the team, and the requests (feedback, change requests) raised on it.

use std::sync::Arc;

use formwork_forms::CompiledForm;
use formwork_forms::kind::FieldKind;
use formwork_model::Text;
use formwork_store::{AppId, Attachment, FormId, Record, RecordId};
use serde_json::Value;
use time::OffsetDateTime;

use super::ThreadEntry;
use crate::policy::Caller;
use crate::{ListRequest, Runtime, RuntimeResult};

/// Most records of one form shown on the portal's first page.
const SHOWN: u32 = 50;

/// The records of one form a client may read.
#[derive(Debug, Clone)]
pub struct PortalSection {
    pub app_id: AppId,
    pub app_name: Text,
    pub form_id: String,
    pub form_name: Text,
    pub form: Arc<CompiledForm>,
    pub records: Vec<Record>,
}

/// Where a record's approval stands, one step at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepState {
    Done,
    Current,
    Ahead,
}

/// One step of a record's progress.
#[derive(Debug, Clone)]
pub struct ProgressStep {
    pub name: Text,
    pub state: StepState,
    pub at: Option<OffsetDateTime>,
}

/// A form in the same app whose records point at this one (a change request of a project),
/// with those the caller may read.
#[derive(Debug, Clone)]
pub struct RequestKind {
    pub form_id: String,
    pub name: Text,
    pub may_create: bool,
    pub records: Vec<Record>,
    pub form: Arc<CompiledForm>,
}

/// One record as the portal shows it.
#[derive(Debug, Clone)]
pub struct PortalRecord {
    pub record: Record,
    pub form: Arc<CompiledForm>,
    pub app_name: Text,
    pub progress: Vec<ProgressStep>,
    pub files: Vec<Attachment>,
    pub thread: Vec<ThreadEntry>,
    pub requests: Vec<RequestKind>,
}

impl Runtime {
    /// Every form of every published app the caller may read, with its newest records.
    pub async fn portal_sections(&self, caller: &Caller) -> RuntimeResult<Vec<PortalSection>> {
        let mut out = Vec::new();
        for access in self.usable_apps(caller).await? {
            let app = self.latest_app_for(caller, &access.app_id).await?;
            for form in access.forms.iter().filter(|f| f.list_scope.is_some()) {
                let form_id = crate::error::package_id(FormId::parse(&form.form_id))?;
                let request = ListRequest {
                    limit: Some(SHOWN),
                    ..ListRequest::default()
                };
                let page = self
                    .list_records(caller, &access.app_id, &form_id, &request)
                    .await?;
                out.push(PortalSection {
                    app_id: access.app_id.clone(),
                    app_name: access.name.clone(),
                    form_id: form.form_id.clone(),
                    form_name: form.name.clone(),
                    form: app.form(&form_id)?.clone(),
                    records: page.records,
                });
            }
        }
        Ok(out)
    }

    /// One record of the caller's, as the portal shows it; `NotFound` as for the record.
    pub async fn portal_record(
        &self,
        caller: &Caller,
        id: &RecordId,
    ) -> RuntimeResult<PortalRecord> {
        let record = self.read_record(caller, id).await?;
        let form = self.record_form(&record).await?;
        let app = self.app_version(&record.app_id, record.app_version).await?;
        let progress = self.progress(caller, id).await?;
        let files = self.shared_files(caller, id).await?;
        let thread = self.thread(caller, id).await?;
        let requests = self.requests_on(caller, &record).await?;
        Ok(PortalRecord {
            app_name: app.def.name.clone(),
            record,
            form,
            progress,
            files,
            thread,
            requests,
        })
    }

    /// The approval steps of a record: those decided, those waiting, those predicted ahead.
    async fn progress(&self, caller: &Caller, id: &RecordId) -> RuntimeResult<Vec<ProgressStep>> {
        let Some(timeline) = self.record_timeline(caller, id).await? else {
            return Ok(Vec::new());
        };
        let name =
            |n: &crate::NodeView| n.name.clone().unwrap_or_else(|| Text::zh_en(&n.id, &n.id));
        let mut steps: Vec<ProgressStep> = Vec::new();
        for entry in &timeline.entries {
            let Some(node) = entry.node.as_ref().filter(|n| n.kind == "approval") else {
                continue;
            };
            if entry.action == "decided" && !steps.iter().any(|s| s.name == name(node)) {
                steps.push(ProgressStep {
                    name: name(node),
                    state: StepState::Done,
                    at: Some(entry.at),
                });
            }
        }
        for (task, _, node) in &timeline.waiting {
            if !steps
                .iter()
                .any(|s| s.name == name(node) && s.state == StepState::Current)
            {
                steps.retain(|s| s.name != name(node));
                steps.push(ProgressStep {
                    name: name(node),
                    state: StepState::Current,
                    at: Some(task.created_at),
                });
            }
        }
        for upcoming in &timeline.upcoming {
            steps.push(ProgressStep {
                name: name(&upcoming.node),
                state: StepState::Ahead,
                at: None,
            });
        }
        Ok(steps)
    }

    /// The forms of the record's app that relate to its form, with the records of each that
    /// point at it and that the caller may read.
    async fn requests_on(
        &self,
        caller: &Caller,
        record: &Record,
    ) -> RuntimeResult<Vec<RequestKind>> {
        let app = self.latest_app_for(caller, &record.app_id).await?;
        let mut out = Vec::new();
        for def in &app.def.forms {
            let form_id = crate::error::package_id(FormId::parse(&def.id))?;
            let form = app.form(&form_id)?.clone();
            let Some(key) = relation_to(&form, record.form_id.as_str()) else {
                continue;
            };
            let access = crate::policy::form_access(caller, def);
            let records = if access.list_scope.is_some() {
                let request = ListRequest {
                    filters: vec![format!("{key}:eq:{}", record.id)],
                    limit: Some(SHOWN),
                    ..ListRequest::default()
                };
                self.list_records(caller, &record.app_id, &form_id, &request)
                    .await?
                    .records
            } else {
                Vec::new()
            };
            if access.may_create || !records.is_empty() {
                out.push(RequestKind {
                    form_id: def.id.clone(),
                    name: def.name.clone(),
                    may_create: access.may_create,
                    records,
                    form,
                });
            }
        }
        Ok(out)
    }
}

/// The key of the top-level field of `form` that relates to records of `target`.
pub fn relation_to(form: &CompiledForm, target: &str) -> Option<String> {
    form.fields().iter().find_map(|f| match &f.kind {
        FieldKind::Relation(rel) if rel.form == target => Some(f.key.clone()),
        _ => None,
    })
}

/// The rows of a sub-table field (`milestones`) as they are stored.
pub fn rows_of(record: &Record, key: &str) -> Vec<Value> {
    record
        .data
        .get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}
