//! Properties of working-time arithmetic over the shipped China calendar, for instants across
//! 2025–2027 (holidays, make-up days and the years beyond the shipped data).

use formwork_calendar::{DeadlineMode, WorkCalendar};
use proptest::prelude::*;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

fn instant() -> impl Strategy<Value = OffsetDateTime> {
    let start = datetime!(2025-01-01 0:00 +8);
    // Three years, to the second.
    (0i64..3 * 366 * 86_400).prop_map(move |s| start + Duration::seconds(s))
}

fn minutes() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..600, 0u32..200_000]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn adding_a_then_b_equals_adding_a_plus_b(from in instant(), a in minutes(), b in minutes()) {
        let cal = WorkCalendar::china();
        let step = cal.add_working_minutes(cal.add_working_minutes(from, a), b);
        prop_assert_eq!(step, cal.add_working_minutes(from, a + b));
    }

    #[test]
    fn a_deadline_ends_at_the_close_of_working_time(from in instant(), m in 1u32..200_000) {
        let cal = WorkCalendar::china();
        let due = cal.add_working_minutes(from, m);
        // The last nanosecond counted before the deadline was working time.
        prop_assert!(cal.is_working_time(due - Duration::nanoseconds(1)), "{due}");
        prop_assert_eq!(cal.working_between(from, due), Duration::minutes(i64::from(m)));
        prop_assert!(due > from);
    }

    #[test]
    fn deadlines_are_monotonic(
        from in instant(), later in 0i64..2_000_000, m in minutes(), more in minutes()
    ) {
        let cal = WorkCalendar::china();
        let due = cal.add_working_minutes(from, m);
        prop_assert!(cal.add_working_minutes(from, m + more) >= due);
        prop_assert!(cal.add_working_minutes(from + Duration::seconds(later), m) >= due);
    }

    #[test]
    fn the_next_working_instant_is_working_time_with_none_skipped(from in instant()) {
        let cal = WorkCalendar::china();
        let next = cal.next_working_instant(from);
        prop_assert!(next >= from);
        prop_assert!(cal.is_working_time(next));
        prop_assert_eq!(cal.working_between(from, next), Duration::ZERO);
    }

    #[test]
    fn working_time_never_exceeds_plain_time(from in instant(), secs in 0i64..20_000_000) {
        let cal = WorkCalendar::china();
        let to = from + Duration::seconds(secs);
        let working = cal.elapsed(DeadlineMode::Working, from, to);
        prop_assert!(working <= cal.elapsed(DeadlineMode::Calendar, from, to));
        prop_assert!(working >= Duration::ZERO);
    }
}
