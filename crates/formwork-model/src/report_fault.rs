//! Faults of reports, views and dashboards, each with its stable code and zh-CN/en message.
//!
//! Kept apart from [`crate::problem::Fault`] so report checks grow without touching the
//! process faults; their codes are listed in [`crate::problem::SEMANTIC_CODES`].

use crate::problem::Problem;

/// A report fault with the data its message needs.
#[derive(Debug, Clone)]
pub(crate) enum ReportFault<'a> {
    UnknownProcess { process: &'a str },
    BucketNeedsDate { field: &'a str },
    RateWithoutWhere,
    MissingPercentile,
    MissingMeasureBase { func: &'a str },
    BadFilterValue { op: &'a str },
    ParamNeedsDate { field: &'a str },
    ColumnsWithMeasures,
    UnknownSortKey { key: &'a str },
    TopWithoutGroups,
    OthersCannotFold { func: &'a str },
    ViewNeedsListing { kind: &'a str },
    ViewNeedsMeasures { kind: &'a str },
    PivotNeedsTwoGroups,
    MissingViewOption { kind: &'a str, option: &'a str },
    WidgetNeedsOneSource,
    KpiFieldsNotMarked { form: &'a str, fields: &'a str },
    ParamAppliesToNoWidget { field: &'a str },
}

impl ReportFault<'_> {
    fn code(&self) -> &'static str {
        match self {
            ReportFault::UnknownProcess { .. } => "unknown_process",
            ReportFault::BucketNeedsDate { .. } => "bucket_needs_date",
            ReportFault::RateWithoutWhere => "rate_without_where",
            ReportFault::MissingPercentile => "missing_percentile",
            ReportFault::MissingMeasureBase { .. } => "missing_measure_base",
            ReportFault::BadFilterValue { .. } => "bad_filter_value",
            ReportFault::ParamNeedsDate { .. } => "param_needs_date",
            ReportFault::ColumnsWithMeasures => "columns_with_measures",
            ReportFault::UnknownSortKey { .. } => "unknown_sort_key",
            ReportFault::TopWithoutGroups => "top_without_groups",
            ReportFault::OthersCannotFold { .. } => "others_cannot_fold",
            ReportFault::ViewNeedsListing { .. } => "view_needs_listing",
            ReportFault::ViewNeedsMeasures { .. } => "view_needs_measures",
            ReportFault::PivotNeedsTwoGroups => "pivot_needs_two_groups",
            ReportFault::MissingViewOption { .. } => "missing_view_option",
            ReportFault::WidgetNeedsOneSource => "widget_needs_one_source",
            ReportFault::KpiFieldsNotMarked { .. } => "kpi_fields_not_marked",
            ReportFault::ParamAppliesToNoWidget { .. } => "param_applies_to_no_widget",
        }
    }

    /// The message as `(zh-CN, en)`.
    fn texts(&self) -> (String, String) {
        match self {
            ReportFault::UnknownProcess { process } => (
                format!("应用中没有流程「{process}」"),
                format!("the app has no process `{process}`"),
            ),
            ReportFault::BucketNeedsDate { field } => (
                format!("只有日期或时间字段才能按日/周/月/季/年分组，「{field}」不是"),
                format!("only date and datetime fields can be bucketed; `{field}` is neither"),
            ),
            ReportFault::RateWithoutWhere => (
                "比率（rate）需要 where 条件，说明哪些行计入".into(),
                "`rate` needs `where` conditions saying which rows count".into(),
            ),
            ReportFault::MissingPercentile => (
                "百分位数（percentile）需要 p，例如 90".into(),
                "`percentile` needs `p`, e.g. 90".into(),
            ),
            ReportFault::MissingMeasureBase { func } => (
                format!("聚合 {func} 需要 base（被减去的字段，如预算）"),
                format!("aggregate `{func}` needs `base`, the field subtracted (e.g. the budget)"),
            ),
            ReportFault::BadFilterValue { op } => (
                format!(
                    "筛选运算 {op} 的取值不对：in 需要列表，null/notnull 不需要取值，其余需要一个文本、数字或布尔值（或仅比较运算可用 to_field）"
                ),
                format!(
                    "wrong value for filter operator `{op}`: `in` needs a list, `null`/`notnull` none, the others one string, number or bool (or, for comparisons only, `to_field`)"
                ),
            ),
            ReportFault::ParamNeedsDate { field } => (
                format!("日期范围只能用于日期或时间字段，「{field}」不是"),
                format!("a date range works on date and datetime fields only; `{field}` is neither"),
            ),
            ReportFault::ColumnsWithMeasures => (
                "columns 只用于明细报表（不分组、不统计）；分组报表的列由 group_by 和 measures 决定".into(),
                "`columns` is for listing reports (no group_by, no measures); a grouped report's columns come from group_by and measures".into(),
            ),
            ReportFault::UnknownSortKey { key } => (
                format!("排序依据「{key}」既不是分组字段、统计项，也不是显示列"),
                format!("sort key `{key}` is neither a group field, a measure nor a listed column"),
            ),
            ReportFault::TopWithoutGroups => (
                "前 N 名（top）需要分组（group_by）".into(),
                "`top` needs `group_by`".into(),
            ),
            ReportFault::OthersCannotFold { func } => (
                format!("聚合 {func} 无法合并为「其他」行：去掉 top.others 或这个统计项"),
                format!(
                    "aggregate `{func}` cannot be folded into an \"others\" row: drop `top.others` or this measure"
                ),
            ),
            ReportFault::ViewNeedsListing { kind } => (
                format!("{kind} 视图逐条显示表单记录：数据源须为 records，且不能有 group_by 和 measures"),
                format!(
                    "a {kind} view shows a form's records one by one: use source `records` with no group_by and no measures"
                ),
            ),
            ReportFault::ViewNeedsMeasures { kind } => (
                format!("{kind} 视图需要至少一个统计项（measures）"),
                format!("a {kind} view needs at least one measure"),
            ),
            ReportFault::PivotNeedsTwoGroups => (
                "透视表需要正好两个分组字段：第一个作行，第二个作列".into(),
                "a pivot needs exactly two group_by fields: rows first, then columns".into(),
            ),
            ReportFault::MissingViewOption { kind, option } => (
                format!("{kind} 视图需要设置 {option}"),
                format!("a {kind} view needs `{option}`"),
            ),
            ReportFault::WidgetNeedsOneSource => (
                "组件须且只能指定 report 或 kpi 之一".into(),
                "a widget needs exactly one of `report` and `kpi`".into(),
            ),
            ReportFault::KpiFieldsNotMarked { form, fields } => (
                format!("表单「{form}」的 kpis 未标记该指标所需的字段（{fields}）"),
                format!("form `{form}` does not mark the fields this KPI needs in `kpis` ({fields})"),
            ),
            ReportFault::ParamAppliesToNoWidget { field } => (
                format!("共享筛选的字段「{field}」不属于任何组件的数据源"),
                format!("no widget's source has `{field}`, the field of this shared filter"),
            ),
        }
    }

    /// This fault at `pointer`.
    pub(crate) fn at(&self, pointer: impl Into<String>) -> Problem {
        Problem::new(pointer, self.code(), self.texts())
    }
}
