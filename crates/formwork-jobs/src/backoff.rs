//! When to try a failed job again: exponential backoff with full jitter and a cap, and when to
//! give up.
//!
//! Full jitter (a uniform delay between zero and the exponential ceiling) spreads the retries
//! of many jobs that failed together, so a receiver that was down is not hit by all of them at
//! once when it comes back.

use std::time::Duration;

use rand::Rng;

/// How often and how patiently a job is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The ceiling of the first retry's delay; it doubles with each further try.
    pub base: Duration,
    /// No delay ceiling grows past this.
    pub cap: Duration,
    /// Tries in all, the first included; after the last failed one the job is dead.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// Ceilings of 30 s, 1 min, 2 min, … up to 1 h; dead after 10 tries (about 3 h of trying
    /// on average).
    fn default() -> Self {
        Self {
            base: Duration::from_secs(30),
            cap: Duration::from_secs(3600),
            max_attempts: 10,
        }
    }
}

/// What to do after a failed try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Try again after this delay (state `retrying`).
    RetryAfter(Duration),
    /// Give up (state `dead`).
    Dead(DeadReason),
}

/// Why a job was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadReason {
    /// The failure will not pass by waiting (refused address, bad signature, 4xx).
    Permanent,
    /// Every allowed try failed.
    TooManyAttempts,
}

impl RetryPolicy {
    /// The upper bound of the delay after failed try number `attempt` (1 for the first try):
    /// `base · 2^(attempt-1)`, at most `cap`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.base
            .checked_mul(1u32 << doublings)
            .map_or(self.cap, |d| d.min(self.cap))
    }

    /// Decides after failed try number `attempt` (1-based). A permanent failure or the last
    /// allowed try ends in `Dead`; otherwise the delay is drawn uniformly from
    /// `[0, ceiling(attempt)]`, but never shorter than a `retry_after` the receiver asked for
    /// (still at most `cap`).
    pub fn after_failure<R: Rng + ?Sized>(
        &self,
        attempt: u32,
        retryable: bool,
        retry_after: Option<Duration>,
        rng: &mut R,
    ) -> Next {
        if !retryable {
            return Next::Dead(DeadReason::Permanent);
        }
        if attempt >= self.max_attempts {
            return Next::Dead(DeadReason::TooManyAttempts);
        }
        let ceiling = self.ceiling(attempt);
        let jittered = Duration::from_millis(rng.random_range(0..=millis(ceiling)));
        let floor = retry_after.unwrap_or_default().min(self.cap);
        Next::RetryAfter(jittered.max(floor))
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
