//! When work given now is due: the one place deadlines and waits are counted.
//!
//! A package's `deadline.calendar` / `wait.calendar` says `calendar` (plain clock hours, the
//! default) or `working` (working hours on the admins' calendar of weekends, public holidays
//! and 调休 make-up days, see [`crate::calendar`]).

use formwork_calendar::WorkCalendar;
use formwork_model::HoursKind;
use time::OffsetDateTime;

use crate::calendar::deadline_mode;

/// When something given at `from` with `hours` to do it is due, counting `kind` hours.
pub(crate) fn due_after(
    calendar: &WorkCalendar,
    from: OffsetDateTime,
    hours: u32,
    kind: HoursKind,
) -> OffsetDateTime {
    calendar.add(
        deadline_mode(kind),
        from,
        time::Duration::hours(i64::from(hours)),
    )
}
