//! Why a report cannot be planned or shaped, with a stable code and zh-CN/en messages.
//!
//! A field the viewer may not read is refused exactly like a field that does not exist
//! ([`PlanError::UnknownField`]), so an error never tells a viewer that a hidden field exists.

use formwork_model::Problem;

/// A report that cannot run for this viewer, or a database answer that does not fit its plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The field does not exist in the source, or the viewer may not read it.
    #[error("{at}: unknown field `{field}`")]
    UnknownField { at: String, field: String },
    /// The field exists but its kind does not suit this use (a sum over text).
    #[error("{at}: field `{field}` cannot be used for {usage}")]
    FieldUnfit {
        at: String,
        field: String,
        usage: &'static str,
    },
    /// A filter value does not fit its field.
    #[error("{at}: value {value} does not fit field `{field}`")]
    BadValue {
        at: String,
        field: String,
        value: String,
    },
    /// A viewer parameter's value cannot be read.
    #[error("parameter `{param}`: {detail}")]
    BadParam { param: String, detail: String },
    /// The report names something the package lacks (a report, process or option).
    #[error("{at}: {detail}")]
    Invalid { at: String, detail: String },
    /// The expression `filter` is outside what a query runs (comparisons joined by `and`).
    #[error(
        "{at}: this filter expression cannot run in a query; use comparisons joined by `and`, or `filters`"
    )]
    ExpressionFilter { at: String },
    /// The database returned more groups than a report may show.
    #[error("more than {max} groups")]
    TooManyGroups { max: u64 },
    /// The database returned a row that does not fit the plan (a renderer bug).
    #[error("row {row} does not fit the plan: {detail}")]
    RowMismatch { row: usize, detail: String },
}

impl PlanError {
    /// Stable snake_case code for API errors.
    pub fn code(&self) -> &'static str {
        match self {
            PlanError::UnknownField { .. } => "unknown_field",
            PlanError::FieldUnfit { .. } => "field_unfit",
            PlanError::BadValue { .. } => "bad_filter_value",
            PlanError::BadParam { .. } => "bad_parameter",
            PlanError::Invalid { .. } => "invalid_report",
            PlanError::ExpressionFilter { .. } => "expression_filter",
            PlanError::TooManyGroups { .. } => "too_many_groups",
            PlanError::RowMismatch { .. } => "row_mismatch",
        }
    }

    /// The same fault pointed at `pointer` (for faults found inside a translated expression).
    pub fn at(self, pointer: &str) -> PlanError {
        let at = pointer.to_owned();
        match self {
            PlanError::UnknownField { field, .. } => PlanError::UnknownField { at, field },
            PlanError::FieldUnfit { field, usage, .. } => {
                PlanError::FieldUnfit { at, field, usage }
            }
            PlanError::BadValue { field, value, .. } => PlanError::BadValue { at, field, value },
            PlanError::Invalid { detail, .. } => PlanError::Invalid { at, detail },
            PlanError::ExpressionFilter { .. } => PlanError::ExpressionFilter { at },
            other => other,
        }
    }

    /// JSON pointer into the report definition, when the fault is in it.
    pub fn pointer(&self) -> Option<&str> {
        match self {
            PlanError::UnknownField { at, .. }
            | PlanError::FieldUnfit { at, .. }
            | PlanError::BadValue { at, .. }
            | PlanError::Invalid { at, .. }
            | PlanError::ExpressionFilter { at } => Some(at),
            _ => None,
        }
    }

    /// The message as `(zh-CN, en)`.
    pub fn texts(&self) -> (String, String) {
        match self {
            PlanError::UnknownField { field, .. } => (
                format!("没有字段「{field}」"),
                format!("there is no field `{field}`"),
            ),
            PlanError::FieldUnfit { field, usage, .. } => (
                format!("字段「{field}」的类型不能用于{}", usage_zh(usage)),
                format!("field `{field}` is of a kind that cannot be used for {usage}"),
            ),
            PlanError::BadValue { field, value, .. } => (
                format!("筛选值 {value} 不符合字段「{field}」的类型"),
                format!("filter value {value} does not fit field `{field}`"),
            ),
            PlanError::BadParam { param, detail } => (
                format!("参数「{param}」无效：{detail}"),
                format!("parameter `{param}` is invalid: {detail}"),
            ),
            PlanError::Invalid { detail, .. } => (
                format!("报表定义有误：{detail}"),
                format!("the report is wrong: {detail}"),
            ),
            PlanError::ExpressionFilter { .. } => (
                "该 filter 表达式无法在数据库中执行：只支持用 and 连接的字段与常量比较（==、!=、<、<=、>、>=、in、is none），或改用 filters 条件".into(),
                "this `filter` expression cannot run in the database: only comparisons of a field with a constant (==, !=, <, <=, >, >=, in, is none) joined by `and` can; or use `filters`".into(),
            ),
            PlanError::TooManyGroups { max } => (
                format!("分组超过 {max} 个，请增加筛选条件或使用更粗的日期分组"),
                format!("more than {max} groups: add a filter or use a coarser date bucket"),
            ),
            PlanError::RowMismatch { row, detail } => (
                format!("数据库返回的第 {row} 行与查询计划不符：{detail}"),
                format!("row {row} from the database does not fit the plan: {detail}"),
            ),
        }
    }

    /// The message in `lang` (zh-CN unless English is asked for).
    pub fn message(&self, lang: &str) -> String {
        let (zh, en) = self.texts();
        if lang.starts_with("en") { en } else { zh }
    }

    /// As a package problem under `prefix` (e.g. `/reports/3`), for checks at publish.
    pub fn to_problem(&self, prefix: &str) -> Problem {
        Problem::new(
            format!("{prefix}{}", self.pointer().unwrap_or("")),
            self.code(),
            self.texts(),
        )
    }
}

fn usage_zh(usage: &str) -> &'static str {
    match usage {
        "sum" => "求和或平均",
        "grouping" => "分组",
        "date bucket" => "按日期分组",
        "comparison" => "比较筛选",
        "contains" => "包含筛选",
        "min/max" => "最小/最大值",
        "date range" => "日期范围",
        "choice" => "选项筛选",
        "kanban lane" => "看板泳道",
        "milestones" => "里程碑",
        "date" => "日期",
        _ => "此用途",
    }
}
