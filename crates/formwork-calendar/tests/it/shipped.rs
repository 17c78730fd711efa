//! The shipped 2025 and 2026 schedules: present, sourced, and as the State Council published
//! them (国务院办公厅关于2026年部分节假日安排的通知).

use formwork_calendar::{DayKind, WorkCalendar, china_schedule_source, china_schedules};
use time::Date;
use time::macros::date;

fn days(kind: DayKind, year: i32) -> Vec<Date> {
    let schedule = china_schedules().iter().find(|y| y.year == year);
    let schedule = schedule.unwrap_or_else(|| panic!("{year} is not shipped"));
    schedule
        .days
        .iter()
        .filter(|d| d.kind == kind)
        .map(|d| d.date)
        .collect()
}

#[test]
fn the_source_names_the_registry_package_and_its_version() {
    let source = china_schedule_source();
    assert_eq!(
        (source.registry.as_str(), source.package.as_str()),
        ("PyPI", "chinesecalendar")
    );
    assert_eq!(source.version, "1.11.0");
    let y2026 = china_schedules().iter().find(|y| y.year == 2026);
    let notice = y2026.and_then(|y| y.source.as_deref()).unwrap_or_default();
    assert!(
        notice.starts_with("国务院办公厅关于2026年部分节假日安排的通知"),
        "{notice}"
    );
}

#[test]
fn the_2026_make_up_working_days_are_the_published_six() {
    assert_eq!(
        days(DayKind::Workday, 2026),
        [
            date!(2026 - 01 - 04),
            date!(2026 - 02 - 14),
            date!(2026 - 02 - 28),
            date!(2026 - 05 - 09),
            date!(2026 - 09 - 20),
            date!(2026 - 10 - 10),
        ]
    );
}

#[test]
fn the_2026_holidays_are_the_published_33_days() {
    let holidays = days(DayKind::Holiday, 2026);
    assert_eq!(holidays.len(), 33);
    let cal = WorkCalendar::china();
    let ranges = [
        (date!(2026 - 01 - 01), date!(2026 - 01 - 03), "元旦"),
        (date!(2026 - 02 - 15), date!(2026 - 02 - 23), "春节"),
        (date!(2026 - 04 - 04), date!(2026 - 04 - 06), "清明节"),
        (date!(2026 - 05 - 01), date!(2026 - 05 - 05), "劳动节"),
        (date!(2026 - 06 - 19), date!(2026 - 06 - 21), "端午节"),
        (date!(2026 - 09 - 25), date!(2026 - 09 - 27), "中秋节"),
        (date!(2026 - 10 - 01), date!(2026 - 10 - 07), "国庆节"),
    ];
    let mut count = 0;
    for (first, last, name) in ranges {
        let mut d = first;
        while d <= last {
            assert_eq!(cal.special_day(d), Some((DayKind::Holiday, name)), "{d}");
            assert!(!cal.is_working_day(d), "{d}");
            count += 1;
            d = d.next_day().unwrap_or(d);
        }
    }
    assert_eq!(count, holidays.len());
}

#[test]
fn both_shipped_years_are_known_and_2027_is_not_yet() {
    let cal = WorkCalendar::china();
    assert!(cal.has_schedule_for(2025));
    assert!(cal.has_schedule_for(2026));
    assert!(!cal.has_schedule_for(2027));
    // 2025-09-28 (Sunday) and 2025-10-11 (Saturday) were make-up days for 国庆节 2025.
    assert!(cal.is_working_day(date!(2025 - 09 - 28)));
    assert!(cal.is_working_day(date!(2025 - 10 - 11)));
    assert!(!cal.is_working_day(date!(2025 - 10 - 08)));
}
