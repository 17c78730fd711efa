//! What can be wrong with a calendar or an import file, with a stable code and a sentence in
//! zh-CN and en that names the interval, date or line at fault.

use thiserror::Error;

/// A calendar definition that cannot be used. `Display` is English (for logs); people see
/// [`CalendarError::message`] in their language.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    #[error("no working weekday is set")]
    NoWorkingWeekday,
    #[error("weekday {0} is not 1 (Monday) to 7 (Sunday)")]
    BadWeekday(u8),
    #[error("no working hours are set")]
    NoWorkingHours,
    #[error("`{0}` is not a time of day as HH:MM")]
    BadTime(String),
    #[error("working hours {start}–{end} end before they start")]
    EmptyInterval { start: String, end: String },
    #[error("working hours {first} and {second} overlap or are out of order")]
    Overlap { first: String, second: String },
    #[error("{date} is listed twice")]
    DuplicateDate { date: String },
    #[error("{date} is listed under the year {year}")]
    WrongYear { date: String, year: i32 },
    #[error("{0} is listed twice")]
    DuplicateYear(i32),
}

impl CalendarError {
    /// A stable code for APIs and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoWorkingWeekday => "no_working_weekday",
            Self::BadWeekday(_) => "bad_weekday",
            Self::NoWorkingHours => "no_working_hours",
            Self::BadTime(_) => "bad_time",
            Self::EmptyInterval { .. } => "empty_interval",
            Self::Overlap { .. } => "overlapping_hours",
            Self::DuplicateDate { .. } => "duplicate_date",
            Self::WrongYear { .. } => "wrong_year",
            Self::DuplicateYear(_) => "duplicate_year",
        }
    }

    /// The message in `lang` (`zh-CN` or `en`; anything else gets zh-CN).
    pub fn message(&self, lang: &str) -> String {
        if lang == "en" {
            return self.to_string();
        }
        match self {
            Self::NoWorkingWeekday => "至少要有一个工作日（周一至周日中选择）".into(),
            Self::BadWeekday(n) => format!("星期 {n} 无效，应为 1（周一）到 7（周日）"),
            Self::NoWorkingHours => "至少要有一段工作时间".into(),
            Self::BadTime(v) => format!("“{v}”不是有效的时间，应为 HH:MM（如 09:00）"),
            Self::EmptyInterval { start, end } => {
                format!("工作时间 {start}–{end} 的结束时间早于或等于开始时间")
            }
            Self::Overlap { first, second } => {
                format!("工作时间 {first} 与 {second} 重叠或顺序颠倒")
            }
            Self::DuplicateDate { date } => format!("日期 {date} 重复出现"),
            Self::WrongYear { date, year } => format!("日期 {date} 不属于 {year} 年"),
            Self::DuplicateYear(year) => format!("{year} 年的安排重复出现"),
        }
    }
}

/// A line of an import file that cannot be read. Lines count from 1, as editors show them.
///
/// A file with no dates at all reports line 0 and names no line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub struct ImportError {
    pub line: usize,
    pub problem: ImportProblem,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.problem {
            ImportProblem::Empty => write!(f, "{}", self.problem),
            _ => write!(f, "line {}: {}", self.line, self.problem),
        }
    }
}

/// What is wrong with one line of an import file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ImportProblem {
    #[error("expected `date,kind,name`, found {found} column(s)")]
    Columns { found: usize },
    #[error("`{0}` is not a date as YYYY-MM-DD")]
    BadDate(String),
    #[error("`{0}` is not a kind: use holiday or workday")]
    BadKind(String),
    #[error("{date} is not in {year}")]
    OutsideYear { date: String, year: i32 },
    #[error("{date} was already given on line {first_line}")]
    Duplicate { date: String, first_line: usize },
    #[error("unreadable CSV: {0}")]
    BadCsv(String),
    #[error("not a JSON object with date, kind and name: {0}")]
    BadJson(String),
    #[error("the file lists no dates")]
    Empty,
}

impl ImportError {
    /// A stable code for APIs and tests.
    pub fn code(&self) -> &'static str {
        match self.problem {
            ImportProblem::Columns { .. } => "columns",
            ImportProblem::BadDate(_) => "bad_date",
            ImportProblem::BadKind(_) => "bad_kind",
            ImportProblem::OutsideYear { .. } => "outside_year",
            ImportProblem::Duplicate { .. } => "duplicate_date",
            ImportProblem::BadCsv(_) => "bad_csv",
            ImportProblem::BadJson(_) => "bad_json",
            ImportProblem::Empty => "empty",
        }
    }

    /// The message in `lang` (`zh-CN` or `en`; anything else gets zh-CN), naming the line.
    pub fn message(&self, lang: &str) -> String {
        if lang == "en" {
            return self.to_string();
        }
        let line = self.line;
        let what = match &self.problem {
            ImportProblem::Columns { found } => {
                format!("应为“日期,类型,名称”三列，实际 {found} 列")
            }
            ImportProblem::BadDate(v) => format!("“{v}”不是有效日期，应为 YYYY-MM-DD"),
            ImportProblem::BadKind(v) => {
                format!("类型“{v}”无效，应为 holiday（放假）或 workday（调休上班）")
            }
            ImportProblem::OutsideYear { date, year } => format!("日期 {date} 不属于 {year} 年"),
            ImportProblem::Duplicate { date, first_line } => {
                format!("日期 {date} 已在第 {first_line} 行出现")
            }
            ImportProblem::BadCsv(e) => format!("无法按 CSV 读取：{e}"),
            ImportProblem::BadJson(e) => format!("不是含 date、kind、name 的 JSON 对象：{e}"),
            ImportProblem::Empty => return "文件中没有任何日期".into(),
        };
        format!("第 {line} 行：{what}")
    }
}
