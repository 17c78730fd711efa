//! Schedule triggers: five-field cron expressions (`minute hour day month weekday`) read in
//! Asia/Shanghai, with an option to fire on working days only (holidays skipped, 调休 make-up
//! days included), which a plain weekday field cannot say.

use std::str::FromStr;

use chrono::{DateTime, FixedOffset, TimeZone};
use croner::Cron;
use formwork_calendar::{SHANGHAI, WorkCalendar};
use time::OffsetDateTime;

/// How many matches to skip over looking for one on a working day before giving up: more than
/// a year of daily matches, so only an expression that never meets a working day stops it.
const WORKING_DAY_SEARCH: usize = 1000;

/// A checked cron expression.
#[derive(Debug, Clone)]
pub struct Schedule {
    expr: String,
    cron: Cron,
}

impl Schedule {
    /// Checks `expr`: five fields, minute granularity (no seconds, no years); names
    /// (`MON`, `JAN`) and `@daily`-style aliases are accepted.
    pub fn parse(expr: &str) -> Result<Self, CronError> {
        let cron = formwork_model::rule_def::parse_cron(expr).map_err(|detail| CronError {
            expr: expr.to_owned(),
            detail,
        })?;
        Ok(Self {
            expr: expr.trim().to_owned(),
            cron,
        })
    }

    /// The expression as given (trimmed).
    pub fn expr(&self) -> &str {
        &self.expr
    }

    /// The first match strictly after `at`, in Asia/Shanghai; `None` when there is none.
    pub fn next_after(&self, at: OffsetDateTime) -> Option<OffsetDateTime> {
        let next = self
            .cron
            .find_next_occurrence(&to_chrono(at)?, false)
            .ok()?;
        from_chrono(next)
    }

    /// The first match strictly after `at` that falls on a working day of `calendar`.
    pub fn next_working_after(
        &self,
        at: OffsetDateTime,
        calendar: &WorkCalendar,
    ) -> Option<OffsetDateTime> {
        let mut from = at;
        for _ in 0..WORKING_DAY_SEARCH {
            let next = self.next_after(from)?;
            if calendar.is_working_day(next.to_offset(SHANGHAI).date()) {
                return Some(next);
            }
            from = next;
        }
        None
    }
}

impl FromStr for Schedule {
    type Err = CronError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The next match of `expr` strictly after `at`, in Asia/Shanghai.
pub fn next_after(expr: &str, at: OffsetDateTime) -> Result<Option<OffsetDateTime>, CronError> {
    Ok(Schedule::parse(expr)?.next_after(at))
}

/// A cron expression that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{expr}` is not a schedule (minute hour day month weekday): {detail}")]
pub struct CronError {
    pub expr: String,
    /// The parser's own explanation (English).
    pub detail: String,
}

impl CronError {
    pub fn code(&self) -> &'static str {
        "invalid_schedule"
    }

    /// The message in `lang` (`zh-CN` or `en`; anything else gets zh-CN).
    pub fn message(&self, lang: &str) -> String {
        if lang == "en" {
            return self.to_string();
        }
        format!(
            "“{}”不是有效的定时表达式，应为五段：分 时 日 月 周（如 0 9 * * 1-5 表示工作日 9 点）。详情：{}",
            self.expr, self.detail
        )
    }
}

fn shanghai() -> Option<FixedOffset> {
    FixedOffset::east_opt(SHANGHAI.whole_seconds())
}

fn to_chrono(at: OffsetDateTime) -> Option<DateTime<FixedOffset>> {
    let seconds = at.unix_timestamp();
    shanghai()?.timestamp_opt(seconds, at.nanosecond()).single()
}

fn from_chrono(at: DateTime<FixedOffset>) -> Option<OffsetDateTime> {
    let utc = OffsetDateTime::from_unix_timestamp(at.timestamp()).ok()?;
    utc.replace_nanosecond(at.timestamp_subsec_nanos()).ok()
}
