//! Formwork's background work, the parts that need no store: job states and the retry policy,
//! outbound HTTP that cannot be turned against the internal network, the notification
//! channels (email, DingTalk, WeCom, signed webhooks), per-destination rate limits that queue
//! instead of dropping, and cron schedules in Asia/Shanghai.
//!
//! The consumer that claims outbox rows and timers with a lease, runs them through these
//! pieces and records the outcome lives beside these modules and is the only part that
//! touches the store.

mod backoff;
pub mod channels;
mod clock;
mod cron;
pub mod net;
mod ratelimit;
mod state;

pub use backoff::{DeadReason, Next, RetryPolicy};
pub use clock::{Clock, ManualClock, SystemClock};
pub use cron::{CronError, Schedule, next_after};
pub use ratelimit::{Rate, RateLimiter, slot_after};
pub use state::{JobState, UnknownState};
