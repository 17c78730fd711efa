//! A record's process timeline: what happened (the engine's history rows, with the people
//! their details name), whom it waits for now, and the road ahead predicted by the engine
//! from the data as it is (`formwork_process::predict`, which changes nothing).

use formwork_calendar::WorkCalendar;
use std::collections::{BTreeMap, HashMap};

use formwork_model::{ApprovalMode, Text};
use formwork_process::{CompiledProcess, State, predict};
use formwork_store::{AppId, FormId, HistoryRow, Instance, ProcessId, RecordId, Task, TaskStatus};
use serde_json::Value;
use time::OffsetDateTime;

use super::context::{RecordFacts, StepContext};
use super::pipeline::Loaded;
use super::views::{NodeView, UserBrief, account_brief, brief, node_view};
use crate::directory::Directory;
use crate::policy::Caller;
use crate::{Runtime, RuntimeError, RuntimeResult};

/// A record's process history, oldest first, who it waits for now, and the road ahead.
#[derive(Debug, Clone)]
pub struct Timeline {
    pub instance: Instance,
    pub process_name: Text,
    pub entries: Vec<TimelineEntry>,
    /// Open tasks, oldest first.
    pub waiting: Vec<(Task, Option<UserBrief>, NodeView)>,
    /// Who submitted the record.
    pub submitter: Option<UserBrief>,
    /// Everyone the entries' details name, keyed by the text the detail holds: a user id, or
    /// the username that entries written before the engine spoke ids hold.
    pub people: BTreeMap<String, UserBrief>,
    /// The human steps still ahead if every step approves, predicted from the data as it is
    /// now (nothing when the instance is not running).
    pub upcoming: Vec<UpcomingStep>,
}

/// A step the process is predicted to reach, with the people it would go to.
#[derive(Debug, Clone, PartialEq)]
pub struct UpcomingStep {
    pub node: NodeView,
    /// Empty when nobody resolves and the step would stop the process.
    pub assignees: Vec<UserBrief>,
    pub mode: ApprovalMode,
}

/// One row of a timeline.
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub at: OffsetDateTime,
    pub actor: Option<UserBrief>,
    pub node: Option<NodeView>,
    /// What happened, e.g. `decided`, `returned`, `step_completed`, `ended` (the engine's
    /// history action).
    pub action: String,
    pub comment: Option<String>,
    pub detail: Value,
    /// How long the task the row closed was open, in seconds.
    pub duration_secs: Option<i64>,
}

/// Detail keys of timeline entries that name people (ids; usernames in older entries).
const PEOPLE_KEYS: &[&str] = &[
    "from",
    "to",
    "user",
    "users",
    "head",
    "assignee",
    "on_behalf_of",
];

/// Actions whose `to` is a step, not a person.
const STEP_TARGETS: &[&str] = &[
    "returned",
    "returned_to_submitter",
    "moved",
    "condition_taken",
];

/// Everyone the details of `entries` name, by the text they hold.
fn people_named(dir: &Directory, entries: &[TimelineEntry]) -> BTreeMap<String, UserBrief> {
    let mut names: Vec<&str> = Vec::new();
    for e in entries {
        collect_people(
            &e.detail,
            STEP_TARGETS.contains(&e.action.as_str()),
            &mut names,
        );
    }
    names
        .into_iter()
        .filter_map(|n| Some((n.to_owned(), account_brief(dir.user_named(n)?))))
        .collect()
}

fn collect_people<'a>(detail: &'a Value, to_is_step: bool, out: &mut Vec<&'a str>) {
    let Value::Object(map) = detail else { return };
    for (key, value) in map {
        if !PEOPLE_KEYS.contains(&key.as_str()) || (to_is_step && key == "to") {
            // Nested particulars (a fallback, an escalation) name people the same way.
            if value.is_object() {
                collect_people(value, false, out);
            }
            continue;
        }
        match value {
            Value::String(s) => out.push(s),
            Value::Array(items) => out.extend(items.iter().filter_map(Value::as_str)),
            _ => {}
        }
    }
}

impl Runtime {
    /// The process timeline of a record: for whoever may read the record, or has (had) a
    /// task on it. `None` when the record has no process.
    pub async fn record_timeline(
        &self,
        caller: &Caller,
        record_id: &RecordId,
    ) -> RuntimeResult<Option<Timeline>> {
        let readable = match self.read_record(caller, record_id).await {
            Ok(record) => Some(record),
            Err(RuntimeError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let not_found = || RuntimeError::NotFound(format!("record {record_id}"));
        let instance = match self.store.instance_for_record(record_id).await? {
            Some(i) => i,
            None if readable.is_some() => return Ok(None),
            None => return Err(not_found()),
        };
        if readable.is_none() {
            let tasks = self.store.tasks_of_instance(&instance.id).await?;
            if !tasks.iter().any(|t| t.assignee_id == caller.user.id) {
                return Err(not_found());
            }
        }
        let loaded = self.load_instance(&instance.id).await?;
        let mut timeline = self.timeline_of(&loaded).await?;
        // Approvers' remarks are the team's own, like internal comments.
        if self.is_client(caller).await? {
            for entry in &mut timeline.entries {
                entry.comment = None;
            }
        }
        Ok(Some(timeline))
    }

    /// The timeline of a loaded instance, with the road ahead predicted from its data now.
    /// Earlier instances of the record (rounds before a resubmission, change requests) come
    /// first, so the timeline keeps every round.
    pub(super) async fn timeline_of(&self, loaded: &Loaded) -> RuntimeResult<Timeline> {
        let instance = loaded.instance.clone();
        let process = loaded.process()?;
        let dir = &*loaded.dir;
        let calendar = self.work_calendar().await?;
        let mut entries = Vec::new();
        let mut tasks = Vec::new();
        for other in self.store.instances_of_record(&instance.record_id).await? {
            let its_tasks = self.store.tasks_of_instance(&other.id).await?;
            entries.extend(
                self.history_entries(&other.id, &its_tasks, process, dir)
                    .await?,
            );
            if other.id == instance.id {
                tasks = its_tasks;
            }
        }
        let mut waiting = Vec::new();
        for task in tasks.iter().filter(|t| t.status == TaskStatus::Open) {
            let who = brief(dir, &task.assignee_id);
            waiting.push((task.clone(), who, node_view(process, &task.node_id)));
        }
        Ok(Timeline {
            process_name: process.def().name.clone(),
            instance,
            people: people_named(dir, &entries),
            entries,
            waiting,
            submitter: Some(account_brief(&loaded.submitter)),
            upcoming: upcoming(loaded, process, &loaded.state, &calendar),
        })
    }

    /// The history rows of one instance as timeline entries, with how long each decided task
    /// was open.
    async fn history_entries(
        &self,
        instance_id: &formwork_store::InstanceId,
        tasks: &[Task],
        process: &CompiledProcess,
        dir: &Directory,
    ) -> RuntimeResult<Vec<TimelineEntry>> {
        let rows: Vec<HistoryRow> = self.store.instance_history(instance_id).await?;
        let by_key: HashMap<&str, &Task> = tasks.iter().map(|t| (t.key.as_str(), t)).collect();
        let mut entries = Vec::with_capacity(rows.len());
        // Who handed a task at a node to whom by delegation: (node, delegate) → delegator.
        let mut delegated: HashMap<(String, String), String> = HashMap::new();
        for mut row in rows {
            if let (Some((from, to)), Some(node)) =
                (super::delegate::delegated_to(&row), row.node_id.as_ref())
            {
                delegated.insert((node.clone(), to.to_owned()), from.to_owned());
            }
            if row.action == "decided"
                && let (Some(node), Some(actor)) = (&row.node_id, &row.actor)
                && let Some(from) = delegated.get(&(node.clone(), actor.to_string()))
                && let Value::Object(detail) = &mut row.detail
            {
                detail.insert("on_behalf_of".into(), Value::String(from.clone()));
            }
            let actor = match &row.actor {
                Some(id) => brief(dir, id),
                None => None,
            };
            let duration_secs = match row.action.as_str() {
                "decided" | "returned" | "transferred" | "signer_added" => row
                    .detail
                    .get("task")
                    .and_then(Value::as_str)
                    .and_then(|k| by_key.get(k))
                    .and_then(|t| Some((t.decided_at? - t.created_at).whole_seconds())),
                _ => None,
            };
            entries.push(TimelineEntry {
                at: row.at,
                actor,
                node: row.node_id.as_deref().map(|n| node_view(process, n)),
                action: row.action,
                comment: row.comment,
                detail: row.detail,
                duration_secs,
            });
        }
        Ok(entries)
    }
}

/// The steps ahead of `state` on a loaded instance; nothing (and a log line) when the
/// prediction fails, so a broken expression never hides the timeline.
fn upcoming(
    loaded: &Loaded,
    process: &CompiledProcess,
    state: &State,
    calendar: &WorkCalendar,
) -> Vec<UpcomingStep> {
    let Ok(form) = loaded.form() else {
        return Vec::new();
    };
    let facts = super::context::RecordFacts::of(&loaded.record);
    let ctx = StepContext::new(
        form.def(),
        &loaded.record.data,
        &facts,
        &loaded.submitter,
        &loaded.dir,
        calendar,
        time::OffsetDateTime::now_utc(),
    );
    match predict(process, state, &ctx) {
        Ok(steps) => upcoming_views(&loaded.dir, process, steps),
        Err(e) => {
            tracing::warn!(instance = %loaded.instance.id, error = %e, "could not predict the road ahead");
            Vec::new()
        }
    }
}

/// Predicted steps as pages show them, people named by the directory.
pub(super) fn upcoming_views(
    dir: &Directory,
    process: &CompiledProcess,
    steps: Vec<formwork_process::PredictedStep>,
) -> Vec<UpcomingStep> {
    steps
        .into_iter()
        .map(|s| UpcomingStep {
            node: node_view(process, &s.node),
            assignees: s
                .assignees
                .iter()
                .filter_map(|id| dir.user_named(id).map(account_brief))
                .collect(),
            mode: s.mode,
        })
        .collect()
}

impl Runtime {
    /// The steps a submission of `data` by `submitter` (a username) would go through in the
    /// latest published version of `app`'s process `process`, and who would get each: the
    /// engine's prediction from the start, with nothing written. For designers and admins.
    pub async fn simulate(
        &self,
        caller: &Caller,
        app: &AppId,
        process: &ProcessId,
        submitter: &str,
        data: &Value,
    ) -> RuntimeResult<Vec<UpcomingStep>> {
        if !self.is_designer(&caller.user).await? {
            return Err(RuntimeError::Forbidden);
        }
        let compiled = self.latest_app(app).await?;
        self.walk_ahead(&compiled, process, submitter, data).await
    }

    /// The engine's side-effect-free walk of `process` in `compiled` (published or a draft)
    /// for a submission of `data` by `submitter` (a username).
    pub(crate) async fn walk_ahead(
        &self,
        compiled: &crate::CompiledApp,
        process: &ProcessId,
        submitter: &str,
        data: &Value,
    ) -> RuntimeResult<Vec<UpcomingStep>> {
        let flow = compiled.process(process)?;
        let form_id = FormId::parse(&flow.def().form).map_err(|e| {
            RuntimeError::Internal(format!("process {process} names its form: {e}"))
        })?;
        let form = compiled.form_def(&form_id)?;
        let dir = self.directory().await?;
        let calendar = self.work_calendar().await?;
        let person = dir
            .active(submitter.trim())
            .ok_or_else(|| RuntimeError::Invalid {
                problems: vec![crate::accounts::problem(
                    "/submitter",
                    "unknown_user",
                    "没有这个用户（或已停用）",
                    "There is no such active user",
                )],
            })?;
        let now = OffsetDateTime::now_utc();
        let facts = RecordFacts {
            owner_id: Some(person.id.to_string()),
            status: Some(formwork_store::RecordStatus::Submitted.as_str().to_owned()),
            created_at: Some(now),
            updated_at: Some(now),
            ..RecordFacts::default()
        };
        let ctx = StepContext::new(form, data, &facts, person, &dir, &calendar, now);
        let steps = predict(flow, &State::new(), &ctx).map_err(walk_error)?;
        Ok(upcoming_views(&dir, flow, steps))
    }
}

/// A walk that cannot go on with the data given (a condition reads a field the sample
/// leaves out, a loop without a person) is the sample's or the draft's fault, not a 500.
fn walk_error(e: formwork_process::EngineError) -> RuntimeError {
    use formwork_process::EngineError as E;
    match e {
        E::Context { .. } | E::LoopDetected { .. } | E::Invalid { .. } => RuntimeError::Invalid {
            problems: vec![crate::accounts::problem(
                "/data",
                "walk_failed",
                &format!("按这份数据无法走完流程：{e}"),
                &format!("The flow cannot be walked with this data: {e}"),
            )],
        },
        other => super::refusals::engine_error(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use formwork_store::{DirectoryRows, UserId};
    use serde_json::json;

    fn account(n: u32, username: &str, name: &str) -> crate::Account {
        crate::Account {
            id: UserId::parse(&format!("01900000-0000-7000-8000-{n:012}")).unwrap(),
            username: username.to_owned(),
            display_name: name.to_owned(),
            email: None,
            department_id: None,
            is_admin: false,
            suspended: false,
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn entry(action: &str, detail: Value) -> TimelineEntry {
        TimelineEntry {
            at: OffsetDateTime::UNIX_EPOCH,
            actor: None,
            node: None,
            action: action.to_owned(),
            comment: None,
            detail,
            duration_secs: None,
        }
    }

    #[test]
    fn people_are_named_by_id_and_older_entries_by_username() {
        let (bob, ann, cy) = (
            account(1, "bob", "鲍勃"),
            account(2, "ann", "安"),
            account(3, "cy", "茜"),
        );
        let dir = Directory::from_rows(DirectoryRows {
            epoch: 1,
            users: vec![bob.clone(), ann.clone(), cy.clone()],
            departments: Vec::new(),
            roles: Vec::new(),
            members: Vec::new(),
            delegations: Vec::new(),
        });
        let entries = vec![
            entry(
                "transferred",
                json!({"task": "a#1", "from": bob.id, "to": ann.id}),
            ),
            // Written before the engine spoke ids.
            entry(
                "signer_added",
                json!({"task": "a#2", "user": "cy", "before": true}),
            ),
            entry("cc_sent", json!({"users": [bob.id, "ann"]})),
            entry(
                "nobody_resolved",
                json!({"fallback": {"type": "user", "user": cy.id}}),
            ),
            // `to` names a step here, never a person, even when a username matches it.
            entry("returned", json!({"task": "a#3", "to": "bob"})),
        ];
        let people = people_named(&dir, &entries);
        let named = |k: &str| people.get(k).map(|u| u.display_name.as_str());
        assert_eq!(named(bob.id.as_str()), Some("鲍勃"));
        assert_eq!(named(ann.id.as_str()), Some("安"));
        assert_eq!(named("cy"), Some("茜"));
        assert_eq!(named("ann"), Some("安"));
        assert_eq!(named(cy.id.as_str()), Some("茜"));
        assert_eq!(named("bob"), None, "a step id is not a person");
    }
}
