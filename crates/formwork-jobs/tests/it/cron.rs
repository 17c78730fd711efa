//! Schedule triggers in Asia/Shanghai, with and without the working-day filter.

use formwork_calendar::WorkCalendar;
use formwork_jobs::{Schedule, next_after};
use time::macros::datetime;

#[test]
fn schedules_are_read_in_shanghai_time() {
    let weekdays_9am = Schedule::parse("0 9 * * 1-5").unwrap();
    // Friday 18:00 → Monday 09:00, whatever zone the instant is given in.
    assert_eq!(
        weekdays_9am.next_after(datetime!(2026-03-06 18:00 +8)),
        Some(datetime!(2026-03-09 09:00 +8))
    );
    assert_eq!(
        weekdays_9am.next_after(datetime!(2026-03-06 10:00 UTC)),
        Some(datetime!(2026-03-09 09:00 +8))
    );
    // Strictly after: at 09:00 exactly, the next is tomorrow's.
    assert_eq!(
        weekdays_9am.next_after(datetime!(2026-03-09 09:00 +8)),
        Some(datetime!(2026-03-10 09:00 +8))
    );
    assert_eq!(
        next_after("*/15 * * * *", datetime!(2026-03-09 09:07:30 +8)).unwrap(),
        Some(datetime!(2026-03-09 09:15 +8))
    );
    assert_eq!(
        next_after("@monthly", datetime!(2026-12-15 00:00 +8)).unwrap(),
        Some(datetime!(2027-01-01 00:00 +8))
    );
}

#[test]
fn the_working_day_filter_skips_holidays_and_keeps_make_up_days() {
    let cal = WorkCalendar::china();
    let daily_9am = Schedule::parse("0 9 * * *").unwrap();
    // From the eve of National Day: the next working morning is 10-08.
    assert_eq!(
        daily_9am.next_working_after(datetime!(2026-09-30 12:00 +8), &cal),
        Some(datetime!(2026-10-08 09:00 +8))
    );
    // Friday 10-09 evening: Saturday 10-10 is a make-up working day.
    assert_eq!(
        daily_9am.next_working_after(datetime!(2026-10-09 18:00 +8), &cal),
        Some(datetime!(2026-10-10 09:00 +8))
    );
    // A weekday-only expression cannot land on the make-up Saturday; the filter still drops
    // the holiday week.
    let weekdays = Schedule::parse("0 9 * * MON-FRI").unwrap();
    assert_eq!(
        weekdays.next_working_after(datetime!(2026-09-30 12:00 +8), &cal),
        Some(datetime!(2026-10-08 09:00 +8))
    );
    // Only Sundays, and no Sunday is worked except 09-20: found, then none within the search.
    let sundays = Schedule::parse("0 10 * * SUN").unwrap();
    assert_eq!(
        sundays.next_working_after(datetime!(2026-09-01 00:00 +8), &cal),
        Some(datetime!(2026-09-20 10:00 +8))
    );
}

#[test]
fn bad_expressions_get_clear_errors() {
    for expr in [
        "",
        "61 * * * *",
        "0 9 * *",
        "0 0 9 * * 1-5",
        "0 9 * * 1-5 2026",
        "every day",
    ] {
        let err = Schedule::parse(expr)
            .err()
            .unwrap_or_else(|| panic!("{expr:?} accepted"));
        assert_eq!(err.code(), "invalid_schedule");
        assert!(
            err.message("en")
                .starts_with(&format!("`{expr}` is not a schedule")),
            "{}",
            err.message("en")
        );
        assert!(
            err.message("zh-CN").contains("不是有效的定时表达式"),
            "{}",
            err.message("zh-CN")
        );
    }
}
