//! Serde types of an app package: the stored, analyst-authored format.
//!
//! The JSON shape is checked first against `schemas/app-package.schema.json`; these types are
//! what the rest of Formwork reads after that. Unknown keys never reach them (the schema forbids
//! them), so the types stay lenient and carry no `deny_unknown_fields`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::report_def::*;
pub use crate::rule_def::*;

/// The format tag every package carries, so a future format can be told apart.
pub const PACKAGE_FORMAT: &str = "formwork/app@1";

/// Language used when a text has no translation for the one asked for.
pub const FALLBACK_LANG: &str = "zh-CN";

/// A text an analyst writes, keyed by language (`zh-CN`, `en`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(pub BTreeMap<String, String>);

impl Text {
    /// A text in zh-CN and en.
    pub fn zh_en(zh: impl Into<String>, en: impl Into<String>) -> Text {
        Text(
            [
                ("zh-CN".to_owned(), zh.into()),
                ("en".to_owned(), en.into()),
            ]
            .into_iter()
            .collect(),
        )
    }

    /// The text in `lang`, falling back to zh-CN, then to any language present.
    pub fn get(&self, lang: &str) -> &str {
        self.0
            .get(lang)
            .or_else(|| self.0.get(FALLBACK_LANG))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// A whole app package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppDef {
    pub format: String,
    pub id: String,
    pub name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    #[serde(default)]
    pub roles: Vec<RoleDef>,
    #[serde(default)]
    pub forms: Vec<FormDef>,
    #[serde(default)]
    pub processes: Vec<ProcessDef>,
    #[serde(default)]
    pub reports: Vec<ReportDef>,
    #[serde(default)]
    pub dashboards: Vec<DashboardDef>,
    #[serde(default)]
    pub rules: Vec<RuleDef>,
    /// Inbound hooks: JSON posted from other systems becomes records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<HookDef>,
}

impl AppDef {
    /// The form with `id`.
    pub fn form(&self, id: &str) -> Option<&FormDef> {
        self.forms.iter().find(|f| f.id == id)
    }

    /// The process with `id`.
    pub fn process(&self, id: &str) -> Option<&ProcessDef> {
        self.processes.iter().find(|p| p.id == id)
    }
}

/// A role an app defines; users are given roles by admins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleDef {
    pub id: String,
    pub name: Text,
}

/// A form: JSON Schema 2020-12 for the data plus a UI schema for presentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormDef {
    pub id: String,
    pub name: Text,
    /// JSON Schema (draft 2020-12) of the record data; `properties` are the fields.
    pub schema: Value,
    #[serde(default)]
    pub ui: UiDef,
    /// Cross-field checks, e.g. `end_date >= start_date`.
    #[serde(default)]
    pub checks: Vec<CheckDef>,
    /// Human-facing number, e.g. `PRJ-{year}-{seq:05}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numbering: Option<NumberingDef>,
    #[serde(default)]
    pub permissions: FormPermissionsDef,
    /// Fields marked for the built-in form KPIs (on-time rate, budget variance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kpis: Option<FormKpisDef>,
    /// What the record's results mean once its process ended (locked fields, 变更).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_approval: Option<crate::AfterApprovalDef>,
}

impl FormDef {
    /// Field keys declared in the schema's top-level `properties`, in key order.
    pub fn field_keys(&self) -> Vec<&str> {
        self.schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Field keys of a sub-table field (an array of objects), if `key` is one.
    pub fn subtable_keys(&self, key: &str) -> Option<Vec<&str>> {
        let items = self.schema.get("properties")?.get(key)?.get("items")?;
        let props = items.get("properties")?.as_object()?;
        Some(props.keys().map(String::as_str).collect())
    }
}

/// Presentation of a form: field order and per-field widgets, labels and rules.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UiDef {
    #[serde(default)]
    pub order: Vec<String>,
    /// Titled groups of fields, each in one or two columns. When present, `order` is the
    /// sections' fields in turn (the designer keeps both).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<SectionDef>,
    #[serde(default)]
    pub fields: BTreeMap<String, FieldUiDef>,
}

/// A titled group of a form's fields. In two columns, wide fields (multi-line text, rich text,
/// attachments, sub-tables) still take a whole row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionDef {
    pub id: String,
    pub title: Text,
    /// 1 or 2.
    #[serde(default = "one_column")]
    pub columns: u8,
    pub fields: Vec<String>,
}

fn one_column() -> u8 {
    1
}

/// How one field is shown and which rules apply to it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldUiDef {
    #[serde(default)]
    pub label: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Text>,
    /// Widget name, e.g. `text`, `textarea`, `money`, `date`, `select`, `subtable`, `user`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub widget: Option<String>,
    /// Choice labels for select / radio / multi-select widgets, keyed by stored value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_when: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_when: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readonly_when: Option<String>,
    /// Expression giving the initial value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Expression for a computed, read-only field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute: Option<String>,
    /// Analyst overrides of Formwork's messages, keyed by error code (`minimum`, `pattern`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub messages: BTreeMap<String, Text>,
    /// Nested field presentation for sub-tables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, FieldUiDef>,
    /// Column order of a sub-table (its `fields` map is keyed, hence unordered).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order: Vec<String>,
}

/// A cross-field check: when `check` is false the record is refused with `message` on `path`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckDef {
    pub id: String,
    /// Expression that must be true for the record to be accepted.
    pub check: String,
    /// Field the message is shown beside, as a JSON pointer (`/end_date`).
    pub path: String,
    pub message: Text,
}

/// Gap-free numbering of a form's records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberingDef {
    /// Pattern with `{year}` and `{seq:0N}` placeholders.
    pub pattern: String,
}

/// Who may do what with a form's records, by role id (`*` means every signed-in user).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FormPermissionsDef {
    #[serde(default)]
    pub create: Vec<String>,
    #[serde(default)]
    pub read_own: Vec<String>,
    #[serde(default)]
    pub read_department: Vec<String>,
    #[serde(default)]
    pub read_all: Vec<String>,
    #[serde(default)]
    pub edit_own: Vec<String>,
    #[serde(default)]
    pub edit_all: Vec<String>,
    /// Roles that read the records whose `customer` field names the customer their account
    /// is linked to (client contacts in the portal).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read_customer: Vec<String>,
    /// Who may read and write single fields, by field key; a field not listed is read and
    /// written by whoever reads and edits the record.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, FieldPermissionDef>,
}

/// The roles that may read and write one field (admins always may).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldPermissionDef {
    /// Roles that read the field; `None`: whoever reads the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<Vec<String>>,
    /// Roles that write the field (they must read it too); `None`: whoever reads it and
    /// may edit the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write: Option<Vec<String>>,
}

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
