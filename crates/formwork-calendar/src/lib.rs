//! Formwork's working-time calendar: which days and hours are worked, with China's public
//! holidays and 调休 make-up working days, and deadline arithmetic over it.
//!
//! Admins keep a [`CalendarDef`] (plain serde data); [`WorkCalendar::new`] checks and compiles
//! it once. Deadlines go through [`WorkCalendar::add`] and [`WorkCalendar::elapsed`] with a
//! [`DeadlineMode`], so a node or rule switches between working hours and plain hours without
//! changing code. A year's schedule is imported with [`parse_year_schedule`]. Pure: no I/O, no
//! clock; Asia/Shanghai is the fixed offset [`SHANGHAI`].

mod builtin;
mod calendar;
mod def;
mod error;
mod import;

pub use builtin::{ScheduleSource, china_schedule_source, china_schedules};
pub use calendar::{DeadlineMode, SHANGHAI, WorkCalendar};
pub use def::{CalendarDef, DayKind, SpecialDay, WorkingHours, YearSchedule};
pub use error::{CalendarError, ImportError, ImportProblem};
pub use import::{ScheduleFormat, parse_year_schedule};
