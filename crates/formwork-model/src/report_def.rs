//! Serde types of reports, record views and dashboards: declarative queries over a form's
//! records or its processes' tasks, how their result is shown, and pages of them.
//!
//! A report either *groups* (`group_by` and/or `measures`: one row per group) or *lists*
//! records (`columns`, no measures: one row per record, as table, kanban, Gantt and calendar
//! views need). `formwork-reports` turns a report plus the viewer's parameters and field
//! permissions into a query plan; see its crate docs for the exact meaning of every option.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::def::Text;

/// A declarative query over records (or over the tasks of a process).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportDef {
    pub id: String,
    pub name: Text,
    pub form: String,
    #[serde(default)]
    pub source: ReportSource,
    /// Only rows for which this expression is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Conditions every row must meet, all of them (`field op value`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<FilterDef>,
    /// Controls the viewer sets (a date range, a choice), each narrowing one field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<ParamDef>,
    #[serde(default)]
    pub group_by: Vec<GroupByDef>,
    #[serde(default)]
    pub measures: Vec<MeasureDef>,
    /// For a listing report (no group, no measure): the fields shown, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// Order of the rows: group fields, measure ids or listed columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sort: Vec<SortDef>,
    /// Most rows shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Keep the first `n` groups (in sort order) and optionally fold the rest into "others".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<TopDef>,
    pub view: ViewDef,
}

impl ReportDef {
    /// Whether the report lists records one per row rather than grouping them.
    pub fn is_listing(&self) -> bool {
        self.group_by.is_empty() && self.measures.is_empty()
    }
}

/// What a report reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportSource {
    /// The form's records (fields plus system fields).
    #[default]
    Records,
    /// The tasks of the form's processes (`process`, `node`, `assignee`, `action`, `status`,
    /// `created_at`, `decided_at`, `due_at`, `duration`, `duration_hours`, `overdue`).
    Tasks,
}

/// A comparison operator of a filter; the names are the list API's (`filter=amount:gte:5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterOp {
    Eq,
    Ne,
    Lt,
    #[serde(rename = "lte")]
    Le,
    Gt,
    #[serde(rename = "gte")]
    Ge,
    /// Case-insensitive substring (text only).
    Contains,
    /// One of a list.
    In,
    /// No value.
    #[serde(rename = "null")]
    IsNull,
    /// Any value.
    #[serde(rename = "notnull")]
    NotNull,
}

impl FilterOp {
    /// The operator's name as written in JSON and in list filters.
    pub fn name(self) -> &'static str {
        match self {
            FilterOp::Eq => "eq",
            FilterOp::Ne => "ne",
            FilterOp::Lt => "lt",
            FilterOp::Le => "lte",
            FilterOp::Gt => "gt",
            FilterOp::Ge => "gte",
            FilterOp::Contains => "contains",
            FilterOp::In => "in",
            FilterOp::IsNull => "null",
            FilterOp::NotNull => "notnull",
        }
    }

    /// Whether the operator compares with a value (all but `null`/`notnull`).
    pub fn takes_value(self) -> bool {
        !matches!(self, FilterOp::IsNull | FilterOp::NotNull)
    }
}

/// One condition on a field: `{"field": "region", "op": "in", "value": ["华东", "华北"]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterDef {
    pub field: String,
    pub op: FilterOp,
    /// A string, number or bool; a list for `in`; absent for `null`/`notnull`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// Instead of `value`: another field of the same row and kind, e.g. `actual_end_date`
    /// `lte` `end_date` (only with `eq`, `ne`, `lt`, `lte`, `gt`, `gte`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_field: Option<String>,
}

/// A control the viewer sets; unset, it narrows nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamDef {
    /// The name of the control in query strings (`region`, `period.from`).
    pub id: String,
    pub label: Text,
    pub kind: ParamKind,
    /// The field it narrows.
    pub field: String,
}

/// What a viewer parameter asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamKind {
    /// Two optional dates, both inclusive, on a date or datetime field (in Asia/Shanghai).
    DateRange,
    /// One or more values of a select, radio, user, department or status field.
    Select,
}

/// A grouping column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupByDef {
    pub field: String,
    /// For date fields: `day`, `week`, `month`, `quarter`, `year`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
}

/// An aggregate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasureDef {
    /// How sorts name this measure; defaults to [`MeasureDef::key`]'s derived name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "fn")]
    pub func: Aggregate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Text>,
    /// Only rows meeting these conditions count (for `rate`: the rows counted as a share).
    #[serde(default, rename = "where", skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<FilterDef>,
    /// For `percentile`: which one, 1–99 (90 is p90).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<u8>,
    /// For `difference` and `difference_percent`: the field subtracted (the plan, the budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
}

impl MeasureDef {
    /// The measure's key: its `id`, else `fn` and field joined by `_` (`sum_amount`, `count`).
    pub fn key(&self) -> String {
        match (&self.id, &self.field) {
            (Some(id), _) => id.clone(),
            (None, Some(field)) => format!("{}_{field}", self.func.name()),
            (None, None) => self.func.name().to_owned(),
        }
    }
}

/// An aggregate function; `count` and `rate` need no field, `percent` takes one optionally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    Count,
    CountDistinct,
    Sum,
    Avg,
    Min,
    Max,
    /// The group's share of the whole, in percent: of the row count, or of the field's sum.
    Percent,
    /// The share of the group's rows that meet `where`, in percent.
    Rate,
    /// The `p`th percentile (continuous, as PostgreSQL's `percentile_cont`).
    Percentile,
    /// Σ field − Σ base over rows having both (budget variance).
    Difference,
    /// (Σ field − Σ base) / Σ base, in percent, over rows having both.
    DifferencePercent,
}

impl Aggregate {
    /// The function's name as written in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Aggregate::Count => "count",
            Aggregate::CountDistinct => "count_distinct",
            Aggregate::Sum => "sum",
            Aggregate::Avg => "avg",
            Aggregate::Min => "min",
            Aggregate::Max => "max",
            Aggregate::Percent => "percent",
            Aggregate::Rate => "rate",
            Aggregate::Percentile => "percentile",
            Aggregate::Difference => "difference",
            Aggregate::DifferencePercent => "difference_percent",
        }
    }

    /// Whether the function cannot run without a field.
    pub fn needs_field(self) -> bool {
        !matches!(
            self,
            Aggregate::Count | Aggregate::Rate | Aggregate::Percent
        )
    }
}

/// One sort term.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SortDef {
    /// A group field, a measure key or a listed column.
    pub by: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub desc: bool,
}

/// Top N groups, the rest optionally folded into one "others" row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopDef {
    pub n: u32,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub others: bool,
}

/// How a report is shown. Options beside `kind` apply to the kinds named in their docs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewDef {
    pub kind: ViewKind,
    /// `table`: add a totals row (sums of numbers and money, counts of rows).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub totals: bool,
    /// `kanban`: the select field whose options are the lanes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lane: Option<String>,
    /// `kanban`, `gantt`, `calendar`: the field that names a card, bar or event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `gantt`: the start date field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// `gantt`: the end date field; `calendar`: an optional end for events spanning days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// `calendar`: the date field events sit on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// `gantt`: milestones from a sub-table, with their dependencies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub milestones: Option<MilestonesDef>,
}

impl ViewDef {
    /// The options that name a field of the report's source, with their names.
    pub fn field_options(&self) -> [(&'static str, Option<&String>); 5] {
        [
            ("lane", self.lane.as_ref()),
            ("title", self.title.as_ref()),
            ("start", self.start.as_ref()),
            ("end", self.end.as_ref()),
            ("date", self.date.as_ref()),
        ]
    }
}

/// What a report view draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViewKind {
    Table,
    Pivot,
    Bar,
    Line,
    Pie,
    Kanban,
    Gantt,
    Calendar,
    /// One big number (a KPI card): a report with measures and no groups.
    Stat,
}

impl ViewKind {
    /// The kind's name as written in JSON.
    pub fn name(self) -> &'static str {
        match self {
            ViewKind::Table => "table",
            ViewKind::Pivot => "pivot",
            ViewKind::Bar => "bar",
            ViewKind::Line => "line",
            ViewKind::Pie => "pie",
            ViewKind::Kanban => "kanban",
            ViewKind::Gantt => "gantt",
            ViewKind::Calendar => "calendar",
            ViewKind::Stat => "stat",
        }
    }

    /// Whether the kind shows records one by one (so the report must be a listing).
    pub fn lists_records(self) -> bool {
        matches!(
            self,
            ViewKind::Kanban | ViewKind::Gantt | ViewKind::Calendar
        )
    }
}

/// Milestones of a Gantt bar: a sub-table field and the names of its columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MilestonesDef {
    /// The sub-table field.
    pub field: String,
    /// The row column naming a milestone (also how dependencies name it).
    pub title: String,
    /// The row column with the planned start date, if any (else it starts at its due date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// The row column with the due date.
    pub end: String,
    /// The row column listing the titles it waits for, separated by `,` `，` `、` or `;`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<String>,
}

/// A page of report views.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashboardDef {
    pub id: String,
    pub name: Text,
    /// Filters shared by the widgets: each applies to every widget whose source has its field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<ParamDef>,
    pub widgets: Vec<WidgetDef>,
}

/// One report view (or built-in KPI) on a dashboard: exactly one of `report` and `kpi`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WidgetDef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kpi: Option<KpiRef>,
    /// Grid columns out of 12.
    #[serde(default = "twelve")]
    pub width: u8,
}

fn twelve() -> u8 {
    12
}

/// A built-in KPI: of a process (`step_time`, `outcomes`, `overdue_rate`,
/// `weekly_throughput`) or of a form with marked fields (`on_time_rate`, `budget_variance`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KpiRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    pub measure: KpiMeasure,
}

/// Which built-in KPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KpiMeasure {
    /// Per step: average and p90 time from task creation to decision.
    StepTime,
    /// Per step: shares of decided tasks approved, returned and rejected.
    Outcomes,
    /// Per step: share of tasks with a deadline that missed it.
    OverdueRate,
    /// Tasks decided per week.
    WeeklyThroughput,
    /// Share of finished records finished by their due date (form `kpis.due`, `kpis.done`).
    OnTimeRate,
    /// Σ actual cost − Σ budget, and in percent (form `kpis.budget`, `kpis.cost`).
    BudgetVariance,
}

impl KpiMeasure {
    /// The measure's name as written in JSON.
    pub fn name(self) -> &'static str {
        match self {
            KpiMeasure::StepTime => "step_time",
            KpiMeasure::Outcomes => "outcomes",
            KpiMeasure::OverdueRate => "overdue_rate",
            KpiMeasure::WeeklyThroughput => "weekly_throughput",
            KpiMeasure::OnTimeRate => "on_time_rate",
            KpiMeasure::BudgetVariance => "budget_variance",
        }
    }

    /// Whether the KPI is about a process (else about a form).
    pub fn of_process(self) -> bool {
        !matches!(self, KpiMeasure::OnTimeRate | KpiMeasure::BudgetVariance)
    }
}

/// Fields of a form an analyst marks for the built-in form KPIs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormKpisDef {
    /// Date field: when the work is due (planned end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
    /// Date field: when the work was actually done; empty while it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<String>,
    /// Money field: the budget (planned amount).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<String>,
    /// Money field: the actual cost; empty while unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<String>,
}
