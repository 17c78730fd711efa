//! Deadline arithmetic over the shipped China calendar: the National Day case and a
//! table of everyday cases (lunch break, weekends, make-up Saturdays, starts outside hours).

use formwork_calendar::{CalendarDef, DeadlineMode, WorkCalendar, WorkingHours};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

fn china() -> WorkCalendar {
    WorkCalendar::china()
}

#[test]
fn sixteen_working_hours_from_17_00_before_national_day_2026_end_on_october_9_at_17_00() {
    let cal = china();
    // 2026-09-30 (Wednesday) is the last working day before 国庆节 (10-01 … 10-07).
    let created = datetime!(2026-09-30 17:00 +8);
    assert!(cal.is_working_day(created.date()));
    assert!(!cal.is_working_day(datetime!(2026-10-01 0:00 +8).date()));
    // 1 h on 09-30, none during the holiday, 8 h on 10-08 (Thu), 7 h on 10-09 (Fri).
    let due = cal.add_working_hours(created, 16);
    assert_eq!(due, datetime!(2026-10-09 17:00 +8));
    assert_eq!(cal.working_between(created, due), Duration::hours(16));
    // Plain hours land in the middle of the holiday instead.
    assert_eq!(
        cal.add(DeadlineMode::Calendar, created, Duration::hours(16)),
        datetime!(2026-10-01 09:00 +8)
    );
}

#[test]
fn the_national_day_make_up_saturday_counts_and_the_sunday_after_does_not() {
    let cal = china();
    let created = datetime!(2026-09-30 17:00 +8);
    // 1 + 8 (10-08) + 8 (10-09) = 17 h by Friday evening; Saturday 10-10 is 调休上班.
    assert_eq!(
        cal.add_working_hours(created, 24),
        datetime!(2026-10-10 17:00 +8)
    );
    assert_eq!(
        cal.add_working_hours(created, 25),
        datetime!(2026-10-10 18:00 +8)
    );
    // Sunday 10-11 is an ordinary weekend day.
    assert_eq!(
        cal.add_working_hours(created, 26),
        datetime!(2026-10-12 10:00 +8)
    );
    assert_eq!(
        cal.special_day(datetime!(2026-10-10 0:00 +8).date()),
        Some((formwork_calendar::DayKind::Workday, "国庆节调休上班"))
    );
}

#[test]
fn the_sunday_make_up_day_before_mid_autumn_and_national_day_counts() {
    let cal = china();
    // 09-18 (Fri) 17:00: 1 h, then Sunday 09-20 is 调休上班 (8 h), then Monday 09-21.
    let from = datetime!(2026-09-18 17:00 +8);
    assert_eq!(
        cal.add_working_hours(from, 9),
        datetime!(2026-09-20 18:00 +8)
    );
    assert_eq!(
        cal.add_working_hours(from, 10),
        datetime!(2026-09-21 10:00 +8)
    );
}

#[test]
fn everyday_cases_fall_where_a_person_would_expect() {
    let cal = china();
    // (from, working minutes, expected due); 2026-03-02 is a Monday, no special days near.
    let cases: &[(OffsetDateTime, u32, OffsetDateTime, &str)] = &[
        (
            datetime!(2026-03-02 09:00 +8),
            60,
            datetime!(2026-03-02 10:00 +8),
            "inside the morning",
        ),
        (
            datetime!(2026-03-02 11:30 +8),
            60,
            datetime!(2026-03-02 13:30 +8),
            "skips the lunch break",
        ),
        (
            datetime!(2026-03-02 12:15 +8),
            30,
            datetime!(2026-03-02 13:30 +8),
            "starts in the lunch break",
        ),
        (
            datetime!(2026-03-02 17:00 +8),
            60,
            datetime!(2026-03-02 18:00 +8),
            "ends exactly at closing time",
        ),
        (
            datetime!(2026-03-02 17:00 +8),
            61,
            datetime!(2026-03-03 09:01 +8),
            "one minute into the next morning",
        ),
        (
            datetime!(2026-03-02 07:00 +8),
            30,
            datetime!(2026-03-02 09:30 +8),
            "starts before opening",
        ),
        (
            datetime!(2026-03-02 22:00 +8),
            30,
            datetime!(2026-03-03 09:30 +8),
            "starts in the evening",
        ),
        (
            datetime!(2026-03-06 17:00 +8),
            120,
            datetime!(2026-03-09 10:00 +8),
            "over a weekend",
        ),
        (
            datetime!(2026-03-07 10:00 +8),
            60,
            datetime!(2026-03-09 10:00 +8),
            "starts on a Saturday",
        ),
        (
            datetime!(2026-03-02 09:00 +8),
            8 * 60 * 5,
            datetime!(2026-03-06 18:00 +8),
            "a whole working week",
        ),
        (
            datetime!(2026-03-02 09:00 +8),
            8 * 60 * 5 + 1,
            datetime!(2026-03-09 09:01 +8),
            "a week and a minute",
        ),
        (
            datetime!(2026-02-13 17:00 +8),
            60 * 9,
            datetime!(2026-02-14 18:00 +8),
            "make-up Saturday before 春节",
        ),
        (
            datetime!(2026-02-14 18:00 +8),
            60,
            datetime!(2026-02-24 10:00 +8),
            "春节 15th to 23rd",
        ),
        (
            datetime!(2026-03-02 01:00 UTC),
            60,
            datetime!(2026-03-02 10:00 +8),
            "given in UTC",
        ),
        (
            datetime!(2026-03-02 10:00 +8),
            0,
            datetime!(2026-03-02 10:00 +8),
            "zero minutes",
        ),
    ];
    for &(from, minutes, expected, what) in cases {
        let due = cal.add_working_minutes(from, minutes);
        assert_eq!(due, expected, "{what}");
        assert_eq!(
            cal.working_between(from, due),
            Duration::minutes(i64::from(minutes)),
            "{what}: working time between"
        );
    }
}

#[test]
fn working_time_and_the_next_working_instant_respect_hours_and_days() {
    let cal = china();
    let cases = [
        (
            datetime!(2026-03-02 08:59 +8),
            false,
            datetime!(2026-03-02 09:00 +8),
        ),
        (
            datetime!(2026-03-02 09:00 +8),
            true,
            datetime!(2026-03-02 09:00 +8),
        ),
        (
            datetime!(2026-03-02 11:59 +8),
            true,
            datetime!(2026-03-02 11:59 +8),
        ),
        (
            datetime!(2026-03-02 12:00 +8),
            false,
            datetime!(2026-03-02 13:00 +8),
        ),
        (
            datetime!(2026-03-02 18:00 +8),
            false,
            datetime!(2026-03-03 09:00 +8),
        ),
        (
            datetime!(2026-03-07 10:00 +8),
            false,
            datetime!(2026-03-09 09:00 +8),
        ),
        (
            datetime!(2026-10-01 10:00 +8),
            false,
            datetime!(2026-10-08 09:00 +8),
        ),
        (
            datetime!(2026-10-10 10:00 +8),
            true,
            datetime!(2026-10-10 10:00 +8),
        ),
    ];
    for (at, working, next) in cases {
        assert_eq!(cal.is_working_time(at), working, "{at}");
        assert_eq!(cal.next_working_instant(at), next, "{at}");
    }
}

#[test]
fn asia_shanghai_has_no_daylight_saving_so_march_and_november_days_are_alike() {
    let cal = china();
    // Where DST zones shift an hour (second Sunday of March, first of November), nothing moves.
    for (from, due) in [
        (
            datetime!(2026-03-06 17:00 +8),
            datetime!(2026-03-09 17:00 +8),
        ),
        (
            datetime!(2026-10-30 17:00 +8),
            datetime!(2026-11-02 17:00 +8),
        ),
    ] {
        assert_eq!(cal.add_working_hours(from, 8), due);
        assert_eq!(cal.working_between(from, due), Duration::hours(8));
        assert_eq!(
            cal.elapsed(DeadlineMode::Calendar, from, due),
            Duration::hours(72)
        );
    }
}

#[test]
fn elapsed_counts_working_hours_or_plain_hours_by_mode() {
    let cal = china();
    let (due, now) = (
        datetime!(2026-03-06 17:00 +8),
        datetime!(2026-03-09 10:00 +8),
    );
    assert_eq!(
        cal.elapsed(DeadlineMode::Working, due, now),
        Duration::hours(2)
    );
    assert_eq!(
        cal.elapsed(DeadlineMode::Calendar, due, now),
        Duration::hours(65)
    );
    assert_eq!(cal.elapsed(DeadlineMode::Working, now, due), Duration::ZERO);
    assert_eq!(
        cal.elapsed(DeadlineMode::Calendar, now, due),
        Duration::ZERO
    );
}

#[test]
fn changed_hours_and_a_six_day_week_are_honoured() {
    let def = CalendarDef {
        working_weekdays: vec![1, 2, 3, 4, 5, 6],
        working_hours: vec![
            WorkingHours {
                start: "08:30".into(),
                end: "12:00".into(),
            },
            WorkingHours {
                start: "13:30".into(),
                end: "17:30".into(),
            },
            WorkingHours {
                start: "19:00".into(),
                end: "21:00".into(),
            },
        ],
        years: Vec::new(),
    };
    let cal = WorkCalendar::new(&def).unwrap_or_else(|e| panic!("{e}"));
    // Friday 20:00: 1 h, Saturday is worked (9.5 h a day), so 3 h land Saturday 10:30.
    assert_eq!(
        cal.add_working_hours(datetime!(2026-03-06 20:00 +8), 3),
        datetime!(2026-03-07 10:30 +8)
    );
    // Saturday 20:30 + 1 h: 0.5 h Saturday, Sunday off, Monday 09:00.
    assert_eq!(
        cal.add_working_hours(datetime!(2026-03-07 20:30 +8), 1),
        datetime!(2026-03-09 09:00 +8)
    );
}

#[test]
fn a_calendar_without_special_days_still_skips_weekends_over_long_spans() {
    let cal = WorkCalendar::new(&CalendarDef::default()).unwrap_or_else(|e| panic!("{e}"));
    // 2026-10-01 is an ordinary Thursday here. 400 working days of 8 h = 80 weeks.
    let from = datetime!(2026-10-01 09:00 +8);
    let due = cal.add_working_hours(from, 8 * 400);
    assert_eq!(due, datetime!(2028-04-12 18:00 +8));
    assert_eq!(cal.working_between(from, due), Duration::hours(8 * 400));
}
