//! The query plan: what a report reads, typed and with every value bound, and nothing about
//! any SQL dialect. `formwork-query` renders it; [`crate::eval`] computes it in Rust.
//!
//! A [`Plan`] runs as one SELECT over its [`Source`] with the viewer's row scope added by the
//! renderer (exactly as lists apply it), `WHERE` all of [`Plan::filters`], then either
//! - [`Body::Grouped`]: `GROUP BY` the keys, selecting the keys then the aggregates, in that
//!   order, at most [`Grouped::max_groups`] + 1 rows, in any order (shaping sorts); or
//! - [`Body::Listing`]: the projected columns, ordered and limited as the plan says.
//!
//! The database returns [`Cell`]s; each select item says which [`CellType`] to decode.

use formwork_model::FilterOp;
use rust_decimal::Decimal;
use serde::Serialize;
use time::{Date, OffsetDateTime};

/// Result column types of the report data API (`columns[].type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    Text,
    Number,
    /// Exact decimal string with two decimals (`"100000.30"`).
    Money,
    /// `YYYY-MM-DD`.
    Date,
    /// RFC 3339 UTC instant.
    Datetime,
    /// A username.
    User,
    /// A department id.
    Department,
    /// Whole seconds.
    Duration,
}

impl ValueType {
    /// The type's name in JSON.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Text => "text",
            ValueType::Number => "number",
            ValueType::Money => "money",
            ValueType::Date => "date",
            ValueType::Datetime => "datetime",
            ValueType::User => "user",
            ValueType::Department => "department",
            ValueType::Duration => "duration",
        }
    }
}

/// What the plan reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Source {
    /// Records of one form of the app (the renderer adds `app_id` and the viewer's scope).
    Records { form: String },
    /// Tasks of the instances of the form's records (`tasks` ⋈ `process_instances` ⋈
    /// `records`; scope applies to the record). `now` decides whether an open task is overdue.
    Tasks {
        form: String,
        #[serde(with = "time::serde::rfc3339")]
        now: OffsetDateTime,
    },
}

/// How a data field is stored in the record's JSON and so how to read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Storage {
    /// A JSON string (text, select, radio, e-mail, phone, URL, user, department, relation).
    Text,
    /// A JSON number (integer, decimal, percent); a numeric string also reads.
    Number,
    /// A decimal string with two decimals; sums must be exact (NUMERIC or integer 分).
    Money,
    /// `YYYY-MM-DD` text.
    Date,
    /// RFC 3339 text; compare and bucket as an instant.
    Datetime,
    /// A JSON boolean.
    Bool,
    /// Any JSON (sub-tables, attachments), only ever projected whole, as JSON text.
    Json,
}

/// A system column of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordColumn {
    Id,
    /// Human-facing number; null when the form does not number records.
    Number,
    /// The owner's **username** (join `users` on `owner_id`).
    Owner,
    /// The owner's department id.
    Department,
    Status,
    CreatedAt,
    UpdatedAt,
}

/// A column of a task row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskColumn {
    /// The process id (`process_instances.process_id`).
    Process,
    /// The node id (`tasks.node_id`).
    Node,
    /// The assignee's **username** (join `users` on `assignee_id`).
    Assignee,
    /// What closed it (`approve`, `reject`, `return`, …); null while open.
    Action,
    /// `open`, `done` or `cancelled`.
    Status,
    CreatedAt,
    DecidedAt,
    DueAt,
    /// Whole seconds from creation to decision: `unix_seconds(decided_at) −
    /// unix_seconds(created_at)`, each truncated to the second; null while open.
    Duration,
    /// Never null: `COALESCE(due_at IS NOT NULL AND ((decided_at IS NOT NULL AND decided_at >
    /// due_at) OR (decided_at IS NULL AND due_at < now)), FALSE)`.
    Overdue,
    /// The record id.
    Record,
}

/// A typed column the plan reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ColumnRef {
    Record {
        column: RecordColumn,
    },
    Task {
        column: TaskColumn,
    },
    /// A top-level field of the record's data (a typed projection when published with one).
    Field {
        key: String,
        storage: Storage,
    },
}

impl ColumnRef {
    /// How the column's values are decoded from the database.
    pub fn cell_type(&self) -> CellType {
        match self {
            ColumnRef::Record { column } => match column {
                RecordColumn::CreatedAt | RecordColumn::UpdatedAt => CellType::Instant,
                _ => CellType::Text,
            },
            ColumnRef::Task { column } => match column {
                TaskColumn::CreatedAt | TaskColumn::DecidedAt | TaskColumn::DueAt => {
                    CellType::Instant
                }
                TaskColumn::Duration => CellType::Int,
                TaskColumn::Overdue => CellType::Bool,
                _ => CellType::Text,
            },
            ColumnRef::Field { storage, .. } => match storage {
                Storage::Text => CellType::Text,
                Storage::Number | Storage::Money => CellType::Decimal,
                Storage::Date => CellType::Date,
                Storage::Datetime => CellType::Instant,
                Storage::Bool => CellType::Bool,
                Storage::Json => CellType::Json,
            },
        }
    }
}

/// How the renderer decodes one select item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CellType {
    Text,
    Int,
    /// Exact decimal (PostgreSQL `numeric`; on SQLite text or integer minor units, scaled back).
    Decimal,
    Bool,
    /// `YYYY-MM-DD`.
    Date,
    Instant,
    /// JSON text, parsed.
    Json,
}

/// One value as the database returned it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    Null,
    Text(String),
    Int(i64),
    Decimal(Decimal),
    Bool(bool),
    Date(Date),
    Instant(#[serde(with = "time::serde::rfc3339")] OffsetDateTime),
    Json(serde_json::Value),
}

/// A bound comparison value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Scalar {
    Text(String),
    /// Numbers and money, exact.
    Number(Decimal),
    Date(Date),
    Instant(#[serde(with = "time::serde::rfc3339")] OffsetDateTime),
    Bool(bool),
}

/// The right-hand side of a condition.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Operand {
    /// For `null` / `notnull`.
    None,
    Value(Scalar),
    /// For `in`; never empty.
    List(Vec<Scalar>),
    /// Another column of the same row, same storage (e.g. `actual_end_date <= end_date`).
    Column(ColumnRef),
}

/// `column op operand`. Semantics are the list filter's: comparisons with a null column are
/// false except `ne`, which also matches null; `contains` is a case-insensitive substring
/// with `%` and `_` taken literally.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    pub column: ColumnRef,
    pub op: FilterOp,
    pub operand: Operand,
}

/// Date buckets, always computed on the date in Asia/Shanghai (UTC+8, no daylight saving).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Day,
    /// ISO week, starting Monday; the key is the Monday.
    Week,
    Month,
    Quarter,
    Year,
}

/// A grouping key. The database returns, as a [`Cell`] of [`GroupKey::cell_type`]:
/// without a bucket the column's value; with one, the bucket's first day as `Date`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupKey {
    pub column: ColumnRef,
    pub bucket: Option<Bucket>,
}

impl GroupKey {
    pub fn cell_type(&self) -> CellType {
        match self.bucket {
            Some(_) => CellType::Date,
            None => self.column.cell_type(),
        }
    }
}

/// A database aggregate; `filter` restricts the rows it sees (`FILTER (WHERE …)`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AggregateExpr {
    pub func: AggFn,
    pub filter: Vec<Condition>,
}

/// Aggregate functions the renderer must implement; decoded cell type in brackets.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "fn", rename_all = "snake_case")]
pub enum AggFn {
    /// `COUNT(*)` [Int].
    CountRows,
    /// `COUNT(col)`: rows with a value [Int].
    Count { column: ColumnRef },
    /// `COUNT(DISTINCT col)` [Int].
    CountDistinct { column: ColumnRef },
    /// Exact sum; null over no values [Decimal, Int for durations].
    Sum { column: ColumnRef },
    /// [the column's cell type].
    Min { column: ColumnRef },
    /// [the column's cell type].
    Max { column: ColumnRef },
    /// Continuous percentile, `fraction` in (0, 1), as `percentile_cont` [Decimal].
    Percentile {
        column: ColumnRef,
        fraction: Decimal,
    },
}

impl AggregateExpr {
    pub fn cell_type(&self) -> CellType {
        match &self.func {
            AggFn::CountRows | AggFn::Count { .. } | AggFn::CountDistinct { .. } => CellType::Int,
            AggFn::Sum { column } if column.cell_type() == CellType::Int => CellType::Int,
            AggFn::Sum { .. } | AggFn::Percentile { .. } => CellType::Decimal,
            AggFn::Min { column } | AggFn::Max { column } => column.cell_type(),
        }
    }
}

/// A column of the result table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputColumn {
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub value_type: ValueType,
}

/// How a result value is computed from the aggregates of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Formula {
    /// Aggregate `i` as it is.
    Value { agg: usize },
    /// `num / den`, times 100 when `percent` (avg is sum / count; rate is count where / count).
    Ratio {
        num: usize,
        den: usize,
        percent: bool,
    },
    /// Aggregate `i` of the group over its sum across all groups, in percent.
    ShareOfTotal { agg: usize },
    /// `a − b`, or `(a − b) / b` in percent.
    Difference { a: usize, b: usize, percent: bool },
}

impl Formula {
    /// Whether the value is in percent (people read it with a `%`).
    pub fn is_percent(&self) -> bool {
        match self {
            Formula::Value { .. } => false,
            Formula::ShareOfTotal { .. } => true,
            Formula::Ratio { percent, .. } | Formula::Difference { percent, .. } => *percent,
        }
    }
}

/// Scale applied to a computed value before rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    AsIs,
    /// Seconds shown as hours (`duration_hours`).
    SecondsToHours,
}

/// One measure column of a grouped result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasurePlan {
    pub column: OutputColumn,
    pub formula: Formula,
    pub unit: Unit,
}

/// How a grouped result is ordered: by key `i` or measure `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "index", rename_all = "snake_case")]
pub enum SortTarget {
    Key(usize),
    Measure(usize),
    /// Listing column `i`.
    Column(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Order {
    pub target: SortTarget,
    pub desc: bool,
}

/// How raw values of a column show to people.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Display {
    /// Labels of enumerated values (select options, statuses, node names), in the viewer's
    /// language; values without one show as they are.
    pub labels: Vec<(String, String)>,
    /// Booleans show as yes/no words.
    pub boolean: bool,
}

/// A key column of a grouped result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyPlan {
    pub key: GroupKey,
    pub column: OutputColumn,
    pub display: Display,
}

/// A projected column of a listing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Projection {
    pub column: ColumnRef,
    pub output: OutputColumn,
    pub display: Display,
    pub unit: Unit,
}

/// A grouped query: keys, aggregates and how the rows become the result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grouped {
    pub keys: Vec<KeyPlan>,
    pub aggregates: Vec<AggregateExpr>,
    pub measures: Vec<MeasurePlan>,
    /// Applied by shaping after the database; ties and the default go by the keys in order.
    pub order: Vec<Order>,
    pub limit: Option<u64>,
    /// Keep `n` groups; fold the rest into one "others" row when `others`.
    pub top: Option<(u64, bool)>,
    /// The renderer reads at most this many plus one groups; more is refused.
    pub max_groups: u64,
}

/// A listing: one row per record (or task).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listing {
    /// Projected columns, in output order; the first is always the record id (key `id`).
    pub columns: Vec<Projection>,
    /// Applied by the database, nulls last in both directions, then by id descending.
    pub order: Vec<Order>,
    pub limit: u64,
    /// A totals row for table views: count of rows and sums of number and money columns.
    pub totals: Option<Grouped>,
}

/// What the plan computes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    Grouped(Grouped),
    Listing(Listing),
}

/// A report ready to run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub report: String,
    pub source: Source,
    /// All must hold.
    pub filters: Vec<Condition>,
    pub body: Body,
    /// Viewer parameters that narrowed the plan (ids), so pages can show them as applied.
    pub applied_params: Vec<String>,
}
