//! Words reports show that no analyst wrote: bucket names, "others", "(empty)", yes/no and the
//! headers of system columns, in zh-CN and en. Statuses and task actions are Formwork's
//! catalog words, which the caller supplies through [`Labels`] (the web crate owns them).

use time::Date;

use crate::ir::Bucket;

/// Words of Formwork's message catalog that reports show, supplied by the caller.
pub trait Labels {
    /// A record, instance or task status (`approved`) in `lang`, if the catalog has it.
    fn status(&self, lang: &str, status: &str) -> Option<String>;
    /// A task action (`approve`, `return`) in `lang`, if the catalog has it.
    fn action(&self, lang: &str, action: &str) -> Option<String>;
}

/// Labels that show raw values; for tests and tools without a catalog.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawLabels;

impl Labels for RawLabels {
    fn status(&self, _: &str, _: &str) -> Option<String> {
        None
    }
    fn action(&self, _: &str, _: &str) -> Option<String> {
        None
    }
}

/// Statuses records, instances and tasks take, for labelling status keys.
pub const STATUSES: &[&str] = &[
    "draft",
    "submitted",
    "running",
    "in_review",
    "approved",
    "rejected",
    "returned",
    "withdrawn",
    "completed",
    "stopped",
    "deleted",
    "open",
    "done",
    "cancelled",
];

/// Actions that close tasks, for labelling action keys.
pub const ACTIONS: &[&str] = &[
    "approve", "reject", "return", "submit", "withdraw", "transfer",
];

fn en(lang: &str) -> bool {
    lang.starts_with("en")
}

/// `zh` or `en` by the viewer's language (zh-CN unless English is asked for).
pub(crate) fn pick(lang: &str, zh: &str, english: &str) -> String {
    if en(lang) { english } else { zh }.to_owned()
}

/// The label of the row that folds the groups beyond the top N.
pub fn others(lang: &str) -> String {
    pick(lang, "其他", "Others")
}

/// The label of a group without a value.
pub fn empty(lang: &str) -> String {
    pick(lang, "（空）", "(empty)")
}

/// Yes or no.
pub fn boolean(lang: &str, value: bool) -> String {
    match value {
        true => pick(lang, "是", "Yes"),
        false => pick(lang, "否", "No"),
    }
}

/// The label of a date bucket that starts on `first` (as [`crate::eval::bucket_start`] gives).
pub fn bucket(lang: &str, bucket: Bucket, first: Date) -> String {
    let (year, month) = (first.year(), u8::from(first.month()));
    match (bucket, en(lang)) {
        (Bucket::Day, _) => first.to_string(),
        (Bucket::Week, english) => {
            let (iso_year, week, _) = first.to_iso_week_date();
            if english {
                format!("{iso_year}-W{week:02}")
            } else {
                format!("{iso_year}年第{week}周")
            }
        }
        (Bucket::Month, true) => format!("{year}-{month:02}"),
        (Bucket::Month, false) => format!("{year}年{month}月"),
        (Bucket::Quarter, true) => format!("{year} Q{}", (month - 1) / 3 + 1),
        (Bucket::Quarter, false) => format!("{year}年第{}季度", (month - 1) / 3 + 1),
        (Bucket::Year, true) => year.to_string(),
        (Bucket::Year, false) => format!("{year}年"),
    }
}

/// Headers of system columns: `(zh-CN, en)`.
pub(crate) fn system_column(name: &str) -> Option<(&'static str, &'static str)> {
    Some(match name {
        "id" => ("记录 ID", "Record id"),
        "number" => ("编号", "Number"),
        "owner" | "submitter" => ("提交人", "Submitted by"),
        "department" => ("部门", "Department"),
        "status" => ("状态", "Status"),
        "created_at" => ("创建时间", "Created"),
        "updated_at" => ("更新时间", "Updated"),
        "process" => ("流程", "Process"),
        "node" => ("步骤", "Step"),
        "assignee" => ("处理人", "Assignee"),
        "action" => ("处理结果", "Action"),
        "decided_at" => ("处理时间", "Decided"),
        "due_at" => ("截止时间", "Due"),
        "duration" => ("耗时", "Time taken"),
        "duration_hours" => ("耗时（小时）", "Hours taken"),
        "overdue" => ("是否超时", "Overdue"),
        _ => return None,
    })
}

/// A default measure header such as `金额 合计` / `Sum of Amount`.
pub(crate) fn measure(lang: &str, func: &str, field: Option<&str>) -> String {
    let (zh, english) = match func {
        "count" => ("数量", "Count"),
        "count_distinct" => ("去重计数", "Distinct count"),
        "sum" => ("合计", "Sum"),
        "avg" => ("平均", "Average"),
        "min" => ("最小", "Minimum"),
        "max" => ("最大", "Maximum"),
        "percent" => ("占比（%）", "Share (%)"),
        "rate" => ("比率（%）", "Rate (%)"),
        "percentile" => ("百分位", "Percentile"),
        "difference" => ("差额", "Difference"),
        "difference_percent" => ("差额（%）", "Difference (%)"),
        other => (other, other),
    };
    match (field, en(lang)) {
        (None, true) => english.to_owned(),
        (None, false) => zh.to_owned(),
        (Some(f), true) => format!("{english} of {f}"),
        (Some(f), false) => format!("{f} {zh}"),
    }
}
