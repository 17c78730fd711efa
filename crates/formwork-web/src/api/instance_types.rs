//! Request and response bodies of the admins' instance operations: the list of running,
//! stopped and overdue instances, one instance, and cancel / retry / move / reassign.

use formwork_runtime::{InstanceChanged, InstanceDetail, InstanceSummary, OpenTaskView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::task_types::{
    InstanceResponse, NodeRef, RecordBrief, TaskResponse, TimelineResponse, UserRef,
};
use crate::i18n::Lang;

/// An open task of an instance, as the admin sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenTaskResponse {
    pub task: TaskResponse,
    pub assignee: Option<UserRef>,
    pub node: NodeRef,
    /// Past its due time.
    pub overdue: bool,
}

impl OpenTaskResponse {
    fn new(t: OpenTaskView, lang: Lang) -> Self {
        Self {
            task: t.task.into(),
            assignee: t.assignee.map(Into::into),
            node: NodeRef::new(t.node, lang),
            overdue: t.overdue,
        }
    }
}

/// One instance with what an admin needs to judge it.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstanceSummaryResponse {
    pub instance: InstanceResponse,
    pub record: RecordBrief,
    pub app_name: String,
    pub process_name: String,
    pub submitter: Option<UserRef>,
    pub open_tasks: Vec<OpenTaskResponse>,
    /// The step a stopped instance stopped at.
    pub stopped_at: Option<NodeRef>,
    /// Why it stopped: `nobody_to_assign`, `no_route` or `loop_detected`.
    pub stop_reason: Option<String>,
    /// Whether an open task is past its due time.
    pub overdue: bool,
}

impl InstanceSummaryResponse {
    pub fn new(s: InstanceSummary, lang: Lang) -> Self {
        let tag = lang.tag();
        let (stopped_at, stop_reason) = match s.stopped {
            Some((node, why)) => (Some(NodeRef::new(node, lang)), Some(why.to_owned())),
            None => (None, None),
        };
        Self {
            record: RecordBrief::new(s.record, s.title),
            instance: s.instance.into(),
            app_name: s.app_name.get(tag).to_owned(),
            process_name: s.process_name.get(tag).to_owned(),
            submitter: s.submitter.map(Into::into),
            open_tasks: s
                .open_tasks
                .into_iter()
                .map(|t| OpenTaskResponse::new(t, lang))
                .collect(),
            stopped_at,
            stop_reason,
            overdue: s.overdue,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InstanceListResponse {
    pub items: Vec<InstanceSummaryResponse>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// One instance with its timeline and the steps it may be moved to.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstanceDetailResponse {
    #[serde(flatten)]
    pub summary: InstanceSummaryResponse,
    pub timeline: TimelineResponse,
    /// Approval and fill steps of the process, for `move`.
    pub move_targets: Vec<NodeRef>,
}

impl InstanceDetailResponse {
    pub fn new(d: InstanceDetail, lang: Lang) -> Self {
        Self {
            summary: InstanceSummaryResponse::new(d.summary, lang),
            timeline: TimelineResponse::new(d.timeline, lang),
            move_targets: d
                .move_targets
                .into_iter()
                .map(|n| NodeRef::new(n, lang))
                .collect(),
        }
    }
}

/// An operation that landed: the instance now and its open tasks.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstanceChangedResponse {
    pub instance: InstanceResponse,
    pub open_tasks: Vec<TaskResponse>,
}

impl From<InstanceChanged> for InstanceChangedResponse {
    fn from(c: InstanceChanged) -> Self {
        Self {
            instance: c.instance.into(),
            open_tasks: c.open_tasks.into_iter().map(Into::into).collect(),
        }
    }
}

/// Cancel an instance.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CancelBody {
    /// Why; shown on the timeline as the admin's comment. Required, at most 2,000 characters.
    #[serde(default)]
    pub reason: String,
    /// What the record becomes: `rejected` or `withdrawn`.
    #[serde(default)]
    pub outcome: String,
}

/// Retry the step a stopped instance stopped at.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RetryBody {
    /// A note for the timeline.
    pub comment: Option<String>,
}

/// Move an instance to a step.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MoveBody {
    /// The id of an approval or fill step of the process.
    #[serde(default)]
    pub to: String,
    /// A note for the timeline.
    pub comment: Option<String>,
}

/// Give an open task to someone else.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReassignBody {
    /// The username of the new assignee.
    #[serde(default)]
    pub to: String,
    /// A note for the timeline.
    pub comment: Option<String>,
}
