//! Serde types of a process in an app package: its nodes, assignees, deadlines and edges.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::def::Text;

/// A process: a graph of typed nodes attached to a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessDef {
    pub id: String,
    pub name: Text,
    /// The form whose submitted records start this process.
    pub form: String,
    pub nodes: Vec<NodeDef>,
    pub edges: Vec<EdgeDef>,
    /// Where the designer draws each node (by node id); no effect on how the process runs.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub layout: BTreeMap<String, PositionDef>,
    /// Fields the approvers' inbox shows as columns for this process (e.g. customer, amount,
    /// region), in order; hidden ones at a step stay hidden.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inbox_columns: Vec<String>,
    /// Flow test cases: sample submissions and the approvers each must reach. The designer
    /// runs them on every change; publishing is refused while one fails (unless overridden).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<FlowTestDef>,
}

/// One flow test case: who submits what, and the people each human step should go to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowTestDef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    /// The submitter's username.
    pub submitter: String,
    /// The sample record (fields of the process's form; may be partial).
    pub data: Value,
    /// The usernames each human step should reach, step by step, in the order the walk meets
    /// them (a step nobody resolves for is `[]`).
    pub expect: Vec<Vec<String>>,
}

/// A node's top-left corner on the designer's canvas.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PositionDef {
    pub x: f64,
    pub y: f64,
}

impl ProcessDef {
    /// The node with `id`.
    pub fn node(&self, id: &str) -> Option<&NodeDef> {
        self.nodes.iter().find(|n| n.id == id)
    }
}

/// One node of a process graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeDef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    #[serde(flatten)]
    pub kind: NodeKind,
}

/// What a node does; the JSON key `kind` names it.
///
/// `crates/formwork-process/PROCESSES.md` describes every kind, its edges and how it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NodeKind {
    Start,
    /// The end of the process, or of one parallel branch.
    ///
    /// An end reached only by forward flow inside one parallel branch ends that branch alone
    /// (its join stops waiting for it) unless `terminate` is set; any other end ends the
    /// instance with `outcome`.
    End {
        outcome: Outcome,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        terminate: bool,
    },
    Approval(ApprovalDef),
    /// A person edits fields, e.g. the submitter reworking a returned project.
    Fill(FillDef),
    /// Notify people; the process does not wait.
    Cc {
        assignee: AssigneeDef,
    },
    /// Exclusive choice: the first outgoing edge whose `when` is true, else the default edge.
    Condition,
    /// Every outgoing edge starts a branch; the paired `parallel_join` waits for them.
    ParallelSplit,
    /// Inclusive choice: every outgoing edge whose `when` is true starts a branch (the default
    /// edge when none is); the paired `parallel_join` waits for exactly the branches taken.
    InclusiveSplit,
    /// Where the branches of one split meet. With `required` it continues once that many
    /// branches arrived and cancels the others (N-of-M); without, it waits for every branch
    /// of the current round.
    ParallelJoin {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        required: Option<u32>,
    },
    /// Set fields of the record.
    Action {
        #[serde(default)]
        set: BTreeMap<String, String>,
    },
    /// Wait for a duration, or until the date in a field.
    Wait(WaitDef),
}

impl NodeKind {
    /// Whether a person must act here (the process waits for them).
    pub fn is_human(&self) -> bool {
        matches!(self, NodeKind::Approval(_) | NodeKind::Fill(_))
    }

    /// Whether the node starts parallel branches (a parallel or inclusive split).
    pub fn is_split(&self) -> bool {
        matches!(self, NodeKind::ParallelSplit | NodeKind::InclusiveSplit)
    }

    /// Whether outgoing edges carry `when` / `default` (a condition or inclusive split).
    pub fn is_gateway(&self) -> bool {
        matches!(self, NodeKind::Condition | NodeKind::InclusiveSplit)
    }

    /// The deadline of a human step, if it has one.
    pub fn deadline(&self) -> Option<&DeadlineDef> {
        match self {
            NodeKind::Approval(a) => a.deadline.as_ref(),
            NodeKind::Fill(f) => f.deadline.as_ref(),
            _ => None,
        }
    }

    /// The `kind` tag as written in JSON.
    pub fn tag(&self) -> &'static str {
        match self {
            NodeKind::Start => "start",
            NodeKind::End { .. } => "end",
            NodeKind::Approval(_) => "approval",
            NodeKind::Fill(_) => "fill",
            NodeKind::Cc { .. } => "cc",
            NodeKind::Condition => "condition",
            NodeKind::ParallelSplit => "parallel_split",
            NodeKind::InclusiveSplit => "inclusive_split",
            NodeKind::ParallelJoin { .. } => "parallel_join",
            NodeKind::Action { .. } => "action",
            NodeKind::Wait(_) => "wait",
        }
    }
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Approved,
    Rejected,
    Withdrawn,
    Completed,
}

/// An approval step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalDef {
    pub assignee: AssigneeDef,
    #[serde(default)]
    pub mode: ApprovalMode,
    /// For `vote`: the share of approvals needed, e.g. 0.5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    /// What happens when nobody resolves from the assignee rule.
    #[serde(default)]
    pub fallback: FallbackDef,
    /// Skip this step when the same person already approved earlier in the instance.
    #[serde(default)]
    pub auto_approve_repeat: bool,
    /// Per-field access at this step: `visible`, `editable` or `hidden`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, FieldAccess>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DeadlineDef>,
    /// 驳回 and 退回 may go without a reason here (they need one otherwise).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reason_optional: bool,
}

/// How several assignees decide together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalMode {
    #[default]
    Single,
    /// 会签: every assignee must approve.
    All,
    /// 或签: the first decision of any assignee counts.
    Any,
    /// 依次: assignees decide one after another.
    Sequential,
    /// A share of assignees (`ratio`) must approve.
    Vote,
}

/// A fill step: a person edits some fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FillDef {
    pub assignee: AssigneeDef,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, FieldAccess>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DeadlineDef>,
}

/// A wait step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaitDef {
    /// How long to wait, in hours, e.g. 48.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<u32>,
    /// A date or datetime field to wait until.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_field: Option<String>,
    /// Whether `hours` count calendar hours or working hours.
    #[serde(default, skip_serializing_if = "HoursKind::is_calendar")]
    pub calendar: HoursKind,
}

/// Field access at a human step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldAccess {
    Visible,
    Editable,
    Hidden,
}

/// Who gets a task.
///
/// Packages name people by username (what analysts write); the runtime resolves usernames to
/// user ids before anything reaches the engine, which works with ids only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AssigneeDef {
    User {
        username: String,
    },
    Role {
        role: String,
    },
    /// The head of the submitter's department, `levels` up (1 = own department).
    DepartmentHead {
        #[serde(default = "one")]
        levels: u8,
    },
    /// The submitter of the record.
    Submitter,
    /// The user named in a user field of the record.
    Field {
        field: String,
    },
    /// Ordered rows of condition → assignee; the first true row wins.
    Table {
        rows: Vec<RouteRowDef>,
    },
    /// An expression that yields a username, or `role:<id>`.
    Expression {
        expr: String,
    },
}

fn one() -> u8 {
    1
}

/// One row of a routing table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteRowDef {
    /// Condition expression; absent means "otherwise".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    pub assignee: Box<AssigneeDef>,
}

/// What to do when an assignee rule resolves to nobody.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FallbackDef {
    /// Stop the instance with a clear error on the timeline.
    #[default]
    Stop,
    /// Skip the step as if approved.
    Skip,
    /// Give the task to this user instead.
    User { username: String },
}

/// When a human step is due and what happens after.
///
/// At the due time the `escalate` action runs; a step with an `on: timeout` edge instead
/// withdraws its tasks and follows that edge (a deferred choice between the people and the
/// clock).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadlineDef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_field: Option<String>,
    /// Hours before the due time to remind; 0 reminds at the due time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remind_before_hours: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate: Option<Escalation>,
    /// Whether `hours` count calendar hours or working hours (the runtime's calendar).
    #[serde(default, skip_serializing_if = "HoursKind::is_calendar")]
    pub calendar: HoursKind,
}

/// How a number of hours is counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoursKind {
    /// Plain clock hours, nights and holidays included.
    #[default]
    Calendar,
    /// Working hours of the runtime's calendar (weekends, holidays and 调休 make-up days).
    Working,
}

impl HoursKind {
    /// Whether this is the default, plain clock hours.
    pub fn is_calendar(&self) -> bool {
        *self == HoursKind::Calendar
    }
}

/// What happens to an overdue task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Escalation {
    NotifyHead,
    Reassign { username: String },
    AutoApprove,
    AutoReject,
}

/// A directed edge between two nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdgeDef {
    pub from: String,
    pub to: String,
    /// Condition for edges leaving a `condition` or `inclusive_split` node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// Marks the default edge of a `condition` or `inclusive_split` node.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
    /// For edges leaving a human step: what takes it (`approve`, `reject`, `return`,
    /// `submit`, `withdraw`, or `timeout` when the deadline passes first). Absent means
    /// `approve` / `submit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<String>,
}
