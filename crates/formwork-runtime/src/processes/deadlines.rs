//! When work given now is due: the one place deadlines and waits are counted.
//!
//! A package's `deadline.calendar` / `wait.calendar` says `calendar` (plain clock hours, the
//! default) or `working` (working hours on the admins' calendar of weekends, public holidays
//! and 调休 make-up days). Until that calendar is wired into the runtime, both count plain
//! hours; the calendar plugs in here and nowhere else.

use formwork_model::HoursKind;
use formwork_process::hours_after;
use time::OffsetDateTime;

/// When something given at `from` with `hours` to do it is due, counting `kind` hours.
pub(crate) fn due_after(from: OffsetDateTime, hours: u32, kind: HoursKind) -> OffsetDateTime {
    match kind {
        HoursKind::Calendar | HoursKind::Working => hours_after(from, hours),
    }
}
