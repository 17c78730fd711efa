//! The calendar as an admin maintains it: plain serde data, stored as JSON and edited in a page.
//!
//! Nothing here is checked; [`WorkCalendar::new`](crate::WorkCalendar::new) compiles a
//! [`CalendarDef`] and reports every mistake with a message people can act on.

use serde::{Deserialize, Serialize};
use time::Date;

/// A working-time calendar: which weekdays are worked, the working hours of a working day, and
/// per-date exceptions (public holidays and 调休 make-up working days), grouped by year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarDef {
    /// ISO weekday numbers that are working days: 1 = Monday … 7 = Sunday.
    #[serde(default = "default_weekdays")]
    pub working_weekdays: Vec<u8>,
    /// The working intervals of a working day, in Asia/Shanghai time, in order.
    #[serde(default = "default_hours")]
    pub working_hours: Vec<WorkingHours>,
    /// Holidays and make-up working days, one schedule per year.
    #[serde(default)]
    pub years: Vec<YearSchedule>,
}

/// One working interval of a day: `start` inclusive, `end` exclusive, both `"HH:MM"` (24-hour;
/// `end` may be `"24:00"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    pub start: String,
    pub end: String,
}

/// The exceptions of one year, as a government notice publishes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearSchedule {
    pub year: i32,
    /// Where the dates come from (the notice, an import file), shown to admins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub days: Vec<SpecialDay>,
}

/// A date whose working status differs from its weekday's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecialDay {
    #[serde(with = "iso_date")]
    pub date: Date,
    pub kind: DayKind,
    /// What the day is, e.g. `国庆节` or `国庆节调休上班`.
    #[serde(default)]
    pub name: String,
}

/// Whether a special day is off or worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A public holiday (放假): not worked even on a working weekday.
    Holiday,
    /// A make-up working day (调休上班): worked even on a weekend.
    Workday,
}

impl DayKind {
    /// The stable name used in JSON and import files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Holiday => "holiday",
            Self::Workday => "workday",
        }
    }
}

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

fn default_weekdays() -> Vec<u8> {
    vec![1, 2, 3, 4, 5]
}

fn default_hours() -> Vec<WorkingHours> {
    vec![
        WorkingHours {
            start: "09:00".into(),
            end: "12:00".into(),
        },
        WorkingHours {
            start: "13:00".into(),
            end: "18:00".into(),
        },
    ]
}

impl Default for CalendarDef {
    /// Monday to Friday, 09:00–12:00 and 13:00–18:00, no special days.
    fn default() -> Self {
        Self {
            working_weekdays: default_weekdays(),
            working_hours: default_hours(),
            years: Vec::new(),
        }
    }
}

impl CalendarDef {
    /// The default week and hours with every officially published Chinese schedule this build
    /// ships (see [`china_schedules`](crate::china_schedules)).
    pub fn china() -> Self {
        Self {
            years: crate::china_schedules().to_vec(),
            ..Self::default()
        }
    }

    /// Puts `schedule` in place of whatever the calendar had for its year (an admin re-imports
    /// a year after a correction), keeping years in order.
    pub fn replace_year(&mut self, schedule: YearSchedule) {
        self.years.retain(|y| y.year != schedule.year);
        let at = self.years.partition_point(|y| y.year < schedule.year);
        self.years.insert(at, schedule);
    }
}
