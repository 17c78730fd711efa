//! What a rule job is about, loaded: the app version, the record as it is now (or as it was
//! when deleted), the overdue task, and which rules the event concerns, each with what its
//! trigger adds to the condition's scope.

use std::sync::Arc;

use formwork_model::expr::{record_scope, row_scope};
use formwork_model::{AppId, FormDef, RuleDef, TriggerSpec};
use formwork_store::{Job, Record, RecordId, Task, TaskId, TaskStatus};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::events::{date_of, watched_dates};
use super::kinds;
use crate::catalog::CompiledApp;
use crate::processes::context::{RecordFacts, record_context};
use crate::{Account, Runtime, RuntimeError, RuntimeResult};

/// The fields every rule job's payload may carry.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Payload {
    pub app_id: Option<AppId>,
    pub record_id: Option<RecordId>,
    #[serde(default)]
    pub depth: i32,
    pub diff: Option<Value>,
    pub record: Option<Record>,
    pub outcome: Option<String>,
    pub rule_id: Option<String>,
    pub task_id: Option<TaskId>,
    pub row: Option<usize>,
    pub date: Option<String>,
}

/// The overdue task a rule job is about, with its assignee.
pub(crate) struct OverdueTask {
    pub task: Task,
    pub assignee: Option<Account>,
    pub node_name: String,
}

/// Everything a job's rules run on.
pub(crate) struct Subject {
    pub app: Arc<CompiledApp>,
    pub form_id: String,
    /// The record now (the snapshot of a deleted one); `None` for a schedule.
    pub record: Option<Record>,
    pub deleted: bool,
    pub owner: Option<Account>,
    pub task: Option<OverdueTask>,
    pub payload: Payload,
}

/// One rule to run, with the names its trigger adds to the scope.
pub(crate) struct Concerned<'a> {
    pub rule: &'a RuleDef,
    pub spec: TriggerSpec,
    pub extra: Map<String, Value>,
    /// The sub-table row a per-row date rule is about.
    pub row: Option<Value>,
}

/// Whether a changed value is the one a `from`/`to` names (money compares by amount).
fn same_value(expected: &Value, actual: &Value) -> bool {
    let number = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    expected == actual || matches!((number(expected), number(actual)), (Some(a), Some(b)) if a == b)
}

/// `value` of field `field` as expressions see it (money as a number).
fn as_scoped(form: &FormDef, field: &str, value: &Value) -> Value {
    record_scope(form, &json!({ field: value }))
        .remove(field)
        .unwrap_or(Value::Null)
}

impl Subject {
    pub fn form(&self) -> RuntimeResult<&FormDef> {
        self.app
            .def
            .form(&self.form_id)
            .ok_or_else(|| RuntimeError::NotFound(format!("form {}", self.form_id)))
    }

    /// The rules of the subject's form this job concerns.
    pub fn concerned(&self, job: &Job) -> RuntimeResult<Vec<Concerned<'_>>> {
        let form = self.form()?;
        let diff = self.payload.diff.as_ref().and_then(Value::as_object);
        let changed: Value = diff
            .map(|d| d.keys().cloned().collect::<Vec<_>>().into())
            .unwrap_or(Value::Array(Vec::new()));
        let mut out = Vec::new();
        for rule in self.app.def.rules.iter().filter(|r| r.form == self.form_id) {
            let spec = rule.trigger.spec();
            let named = self.payload.rule_id.as_deref() == Some(rule.id.as_str());
            let mut extra = Map::new();
            let mut row = None;
            let wanted = match (job.kind.as_str(), &spec) {
                (kinds::RECORD_CREATED, TriggerSpec::Created) => true,
                (kinds::RECORD_DELETED, TriggerSpec::Deleted) => true,
                (kinds::RECORD_UPDATED, TriggerSpec::Updated) => {
                    extra.insert("changed".into(), changed.clone());
                    true
                }
                (kinds::RECORD_UPDATED, TriggerSpec::FieldChanged { field, from, to }) => {
                    let Some(change) = diff.and_then(|d| d.get(field)) else {
                        continue;
                    };
                    let old = change.get("from").unwrap_or(&Value::Null);
                    let new = change.get("to").unwrap_or(&Value::Null);
                    if from.as_ref().is_some_and(|f| !same_value(f, old))
                        || to.as_ref().is_some_and(|t| !same_value(t, new))
                    {
                        continue;
                    }
                    extra.insert("changed".into(), changed.clone());
                    extra.insert("old_value".into(), as_scoped(form, field, old));
                    extra.insert("new_value".into(), as_scoped(form, field, new));
                    true
                }
                (kinds::PROCESS_ENDED, TriggerSpec::ProcessEnded { outcome }) => {
                    let ended = self.payload.outcome.clone().unwrap_or_default();
                    extra.insert("outcome".into(), Value::String(ended.clone()));
                    outcome.as_ref().is_none_or(|o| *o == ended)
                }
                (kinds::TASK_OVERDUE, TriggerSpec::TaskOverdue { .. }) if named => {
                    let Some(t) = &self.task else { continue };
                    extra.insert("task_node".into(), Value::String(t.node_name.clone()));
                    let who = t.assignee.as_ref().map(|a| a.display_name.clone());
                    extra.insert(
                        "task_assignee".into(),
                        who.map_or(Value::Null, Value::String),
                    );
                    let due = t.task.due_at.and_then(|d| d.format(&Rfc3339).ok());
                    extra.insert("task_due_at".into(), due.map_or(Value::Null, Value::String));
                    true
                }
                (kinds::DATE, TriggerSpec::Date { .. }) if named => {
                    let Some(record) = &self.record else { continue };
                    let date = self.payload.date.clone().unwrap_or_default();
                    // The date may have moved since the job was scheduled: then a newer
                    // job stands for it and this one does nothing.
                    let still = watched_dates(&spec, &record.data)
                        .into_iter()
                        .any(|(r, d)| {
                            r == self.payload.row
                                && Some(d) == date_of(&Value::String(date.clone()))
                        });
                    if !still {
                        continue;
                    }
                    extra.insert("date".into(), Value::String(date));
                    row = self
                        .payload
                        .row
                        .and_then(|i| subtable_row(&spec, &record.data, i));
                    true
                }
                (kinds::SCHEDULE, TriggerSpec::Schedule { .. }) => named,
                _ => false,
            };
            if wanted {
                out.push(Concerned {
                    rule,
                    spec,
                    extra,
                    row,
                });
            }
        }
        Ok(out)
    }

    /// The scope of one rule's condition and templates.
    pub fn scope(&self, concerned: &Concerned<'_>, now: OffsetDateTime) -> RuntimeResult<Value> {
        let form = self.form()?;
        let mut scope = match (&self.record, &self.owner) {
            (Some(record), owner) => {
                let submitter = owner.as_ref().map(|o| o.username.as_str()).unwrap_or("");
                record_context(form, &record.data, &RecordFacts::of(record), submitter, now)
            }
            (None, _) => {
                let mut m = Map::new();
                m.insert("now".into(), json!(now.format(&Rfc3339).ok()));
                let today = now.to_offset(formwork_calendar::SHANGHAI).date();
                m.insert("today".into(), Value::String(today.to_string()));
                m
            }
        };
        if let Some(row) = &concerned.row {
            scope = row_scope(&scope, row);
        }
        scope.extend(concerned.extra.clone());
        Ok(Value::Object(scope))
    }
}

fn subtable_row(spec: &TriggerSpec, data: &Value, index: usize) -> Option<Value> {
    let TriggerSpec::Date {
        subtable: Some(sub),
        ..
    } = spec
    else {
        return None;
    };
    data.get(sub)?.as_array()?.get(index).cloned()
}

impl Runtime {
    /// Loads what `job` is about; `None` when there is nothing left to run it on (the record
    /// or app is gone, the task was done in time).
    pub(crate) async fn load_subject(&self, job: &Job) -> RuntimeResult<Option<Subject>> {
        let mut payload: Payload = serde_json::from_value(job.payload.clone())
            .map_err(|e| RuntimeError::Internal(format!("job {} payload: {e}", job.id)))?;
        let mut task = None;
        if job.kind == kinds::TASK_OVERDUE {
            let Some(task_id) = &payload.task_id else {
                return Ok(None);
            };
            match self.store.get_task(task_id).await? {
                Some(t) if t.status == TaskStatus::Open => {
                    payload.record_id = Some(t.record_id.clone());
                    task = Some(t);
                }
                _ => return Ok(None),
            }
        }
        if job.kind == kinds::PROCESS_ENDED && payload.record_id.is_none() {
            let instance_id = job.payload.get("instance_id").and_then(Value::as_str);
            if let Some(instance) = match instance_id.and_then(|i| i.parse().ok()) {
                Some(id) => self.store.get_instance(&id).await?,
                None => None,
            } {
                payload.record_id = Some(instance.record_id);
            }
        }
        let deleted = job.kind == kinds::RECORD_DELETED;
        let record = match (&payload.record, &payload.record_id) {
            (Some(snapshot), _) if deleted => Some(snapshot.clone()),
            (_, Some(id)) => match self.store.get_record(id).await? {
                Some(r) => Some(r),
                None => return Ok(None),
            },
            _ => None,
        };
        let (app, form_id) = match &record {
            Some(r) => (
                self.app_version(&r.app_id, r.app_version).await?,
                r.form_id.to_string(),
            ),
            None => {
                let Some(app_id) = &payload.app_id else {
                    return Ok(None);
                };
                let app = match self.latest_app(app_id).await {
                    Ok(app) => app,
                    Err(RuntimeError::NotFound(_)) => return Ok(None),
                    Err(e) => return Err(e),
                };
                let form = payload
                    .rule_id
                    .as_ref()
                    .and_then(|id| app.def.rules.iter().find(|r| r.id == *id))
                    .map(|r| r.form.clone());
                let Some(form) = form else { return Ok(None) };
                (app, form)
            }
        };
        let dir = self.directory().await?;
        let owner = record.as_ref().and_then(|r| dir.user(&r.owner_id).cloned());
        let task = task.map(|task| {
            let node_name = node_name(&app, &task);
            OverdueTask {
                assignee: dir.user(&task.assignee_id).cloned(),
                node_name,
                task,
            }
        });
        Ok(Some(Subject {
            app,
            form_id,
            record,
            deleted,
            owner,
            task,
            payload,
        }))
    }
}

/// The name of the task's step in zh-CN (its id when it has none).
fn node_name(app: &CompiledApp, task: &Task) -> String {
    app.def
        .processes
        .iter()
        .flat_map(|p| p.nodes.iter())
        .find(|n| n.id == task.node_id)
        .and_then(|n| n.name.as_ref())
        .map_or_else(|| task.node_id.clone(), |t| t.get("zh-CN").to_owned())
}
