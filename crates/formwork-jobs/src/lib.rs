//! Formwork's background work: the [`Consumer`] that claims jobs and process timers with a
//! lease and runs them (rules through the runtime, deliveries through the channels), the
//! retry policy, outbound HTTP that cannot be turned against the internal network, the
//! notification channels (email, DingTalk, WeCom, signed webhooks), per-destination rate
//! limits that queue instead of dropping, cron schedules in Asia/Shanghai, and the server's
//! integrations configuration.
//!
//! The consumer reaches the database only through `formwork-runtime`.

mod backoff;
pub mod channels;
mod clock;
pub mod config;
pub mod consumer;
mod cron;
pub mod net;
mod ratelimit;

pub use backoff::{DeadReason, Next, RetryPolicy};
pub use clock::{Clock, ManualClock, SystemClock};
pub use consumer::{Consumer, Deliverer, Round};
pub use cron::{CronError, Schedule, next_after};
pub use formwork_model::JobState;
pub use ratelimit::{Rate, RateLimiter, slot_after};
