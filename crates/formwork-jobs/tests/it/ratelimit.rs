//! Per-destination rate limits with an injected clock: bursts are queued into later slots,
//! none lost, none early, never more than the limit in any window.

use std::collections::VecDeque;

use formwork_jobs::{Clock, ManualClock, Rate, RateLimiter, slot_after};
use proptest::prelude::*;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// Every window of `rate.per` starting at a slot holds at most `rate.max` slots.
fn assert_within_rate(slots: &[OffsetDateTime], rate: Rate) {
    let mut sorted = slots.to_vec();
    sorted.sort();
    for (i, &start) in sorted.iter().enumerate() {
        let in_window = sorted[i..]
            .iter()
            .take_while(|&&s| s < start + rate.per)
            .count();
        assert!(
            in_window <= rate.max as usize,
            "{in_window} sends in the window from {start}"
        );
    }
}

#[test]
fn forty_five_messages_to_one_robot_at_once_are_spread_over_three_minutes() {
    let clock = ManualClock::new(datetime!(2026-10-09 09:00 +8));
    let mut limiter = RateLimiter::new();
    let t0 = clock.now();
    let slots: Vec<OffsetDateTime> = (0..45)
        .map(|_| limiter.next_slot("dingtalk:robot-a", Rate::DINGTALK_ROBOT, clock.now()))
        .collect();
    assert_eq!(slots.len(), 45, "none lost");
    assert!(slots.iter().all(|&s| s >= t0), "none early");
    assert!(slots.windows(2).all(|w| w[0] <= w[1]), "in the order asked");
    assert_eq!(slots[..20], [t0; 20]);
    assert_eq!(slots[20..40], [t0 + Duration::MINUTE; 20]);
    assert_eq!(slots[40..], [t0 + Duration::minutes(2); 5]);
    assert_within_rate(&slots, Rate::DINGTALK_ROBOT);
}

#[test]
fn destinations_are_independent_and_time_frees_slots() {
    let clock = ManualClock::new(datetime!(2026-10-09 09:00 +8));
    let mut limiter = RateLimiter::new();
    let rate = Rate::per_minute(2);
    let t0 = clock.now();
    assert_eq!(limiter.next_slot("a", rate, t0), t0);
    assert_eq!(limiter.next_slot("a", rate, t0), t0);
    assert_eq!(
        limiter.next_slot("b", rate, t0),
        t0,
        "another robot is not held up"
    );
    assert_eq!(limiter.next_slot("a", rate, t0), t0 + Duration::MINUTE);
    clock.advance(Duration::seconds(90));
    // One slot at t0+60 is taken; the window from t0+30 … holds it alone.
    assert_eq!(limiter.next_slot("a", rate, clock.now()), clock.now());
    assert_eq!(
        limiter.next_slot("a", rate, clock.now()),
        t0 + Duration::MINUTE * 2,
        "two sends in (t0+60, t0+90]; the next waits for t0+60 to leave the window"
    );
    clock.advance(Duration::hours(1));
    limiter.forget_idle(clock.now(), Duration::minutes(10));
    assert!(limiter.is_empty());
}

#[test]
fn the_pure_rule_matches_what_a_store_would_keep() {
    let t0 = datetime!(2026-10-09 09:00 UTC);
    let rate = Rate::per_minute(3);
    let reserved: VecDeque<_> = [t0, t0 + Duration::seconds(10), t0 + Duration::seconds(20)].into();
    assert_eq!(
        slot_after(&reserved, rate, t0 + Duration::seconds(30)),
        t0 + Duration::MINUTE
    );
    // At t0+61 the window (t0+1, t0+61] holds two earlier sends: this one fits at once.
    assert_eq!(
        slot_after(&reserved, rate, t0 + Duration::seconds(61)),
        t0 + Duration::seconds(61)
    );
    assert_eq!(slot_after(&VecDeque::new(), rate, t0), t0);
}

proptest! {
    #[test]
    fn random_arrivals_are_never_dropped_never_early_and_never_over_the_limit(
        gaps in prop::collection::vec(0i64..40, 1..200),
        max in 1u32..25,
    ) {
        let rate = Rate::per_minute(max);
        let clock = ManualClock::new(datetime!(2026-10-09 09:00 UTC));
        let mut limiter = RateLimiter::new();
        let mut slots = Vec::new();
        for gap in gaps {
            clock.advance(Duration::seconds(gap));
            let now = clock.now();
            let slot = limiter.next_slot("robot", rate, now);
            prop_assert!(slot >= now);
            slots.push(slot);
        }
        prop_assert!(slots.windows(2).all(|w| w[0] <= w[1]));
        assert_within_rate(&slots, rate);
    }
}
