//! Job states as stored, and the retry policy: exponential ceilings with full jitter, a cap,
//! a floor from `Retry-After`, and death after N tries or at once for permanent failures.

use std::time::Duration;

use formwork_jobs::{DeadReason, JobState, Next, RetryPolicy};
use rand::SeedableRng;
use rand::rngs::StdRng;

#[test]
fn job_states_serialize_as_their_stored_names() {
    let names: Vec<String> = JobState::ALL
        .iter()
        .map(|s| {
            serde_json::to_value(s)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(names, ["pending", "running", "retrying", "done", "dead"]);
    for &state in JobState::ALL {
        assert_eq!(state.as_str().parse::<JobState>(), Ok(state));
        assert_eq!(
            serde_json::from_str::<JobState>(&format!("\"{state}\"")).unwrap(),
            state
        );
    }
    assert!("finished".parse::<JobState>().is_err());
    assert!(JobState::Retrying.is_claimable() && !JobState::Running.is_claimable());
    assert!(JobState::Dead.is_final() && !JobState::Retrying.is_final());
    assert_eq!(JobState::Dead.label("zh-CN"), "已放弃");
}

#[test]
fn ceilings_double_up_to_the_cap() {
    let policy = RetryPolicy {
        base: Duration::from_secs(30),
        cap: Duration::from_secs(600),
        max_attempts: 50,
    };
    let ceilings: Vec<u64> = (1..=7).map(|a| policy.ceiling(a).as_secs()).collect();
    assert_eq!(ceilings, [30, 60, 120, 240, 480, 600, 600]);
    assert_eq!(policy.ceiling(40).as_secs(), 600, "no overflow far out");
}

#[test]
fn delays_are_jittered_within_the_ceiling_and_spread_out() {
    let policy = RetryPolicy::default();
    let mut rng = StdRng::seed_from_u64(7);
    let mut delays = Vec::new();
    for _ in 0..200 {
        match policy.after_failure(3, true, None, &mut rng) {
            Next::RetryAfter(d) => {
                assert!(d <= policy.ceiling(3));
                delays.push(d);
            }
            other => panic!("{other:?}"),
        }
    }
    delays.sort();
    delays.dedup();
    assert!(
        delays.len() > 100,
        "full jitter spreads retries: {} distinct",
        delays.len()
    );
    assert!(
        delays[0] < Duration::from_secs(10) && delays[delays.len() - 1] > Duration::from_secs(110)
    );
}

#[test]
fn retry_after_is_a_floor_and_the_cap_still_holds() {
    let policy = RetryPolicy {
        base: Duration::from_secs(1),
        cap: Duration::from_secs(120),
        max_attempts: 5,
    };
    let mut rng = StdRng::seed_from_u64(1);
    assert_eq!(
        policy.after_failure(1, true, Some(Duration::from_secs(60)), &mut rng),
        Next::RetryAfter(Duration::from_secs(60))
    );
    assert_eq!(
        policy.after_failure(1, true, Some(Duration::from_secs(86_400)), &mut rng),
        Next::RetryAfter(Duration::from_secs(120))
    );
}

#[test]
fn jobs_die_after_the_last_try_or_at_once_when_permanent() {
    let policy = RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    };
    let mut rng = StdRng::seed_from_u64(3);
    assert!(matches!(
        policy.after_failure(1, true, None, &mut rng),
        Next::RetryAfter(_)
    ));
    assert!(matches!(
        policy.after_failure(2, true, None, &mut rng),
        Next::RetryAfter(_)
    ));
    assert_eq!(
        policy.after_failure(3, true, None, &mut rng),
        Next::Dead(DeadReason::TooManyAttempts)
    );
    assert_eq!(
        policy.after_failure(1, false, None, &mut rng),
        Next::Dead(DeadReason::Permanent)
    );
}
