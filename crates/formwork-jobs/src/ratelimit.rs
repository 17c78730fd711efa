//! Per-destination rate limits that queue instead of dropping.
//!
//! A DingTalk robot takes at most 20 messages a minute and rejects the rest; a WeCom robot
//! likewise. Rather than send and fail, a worker asks for the next free slot for the
//! destination: the slot is reserved at once, and when it lies in the future the worker
//! reschedules the job to run then (and sends without asking again). Slots keep the order in
//! which they were asked for, and no window of `per` ever holds more than `max` of them.

use std::collections::{HashMap, VecDeque};

use time::{Duration, OffsetDateTime};

/// At most `max` sends in any window of length `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub max: u32,
    pub per: Duration,
}

impl Rate {
    /// DingTalk's documented limit for a group robot: 20 messages a minute.
    pub const DINGTALK_ROBOT: Self = Self::per_minute(20);
    /// WeCom's documented limit for a group robot: 20 messages a minute.
    pub const WECOM_ROBOT: Self = Self::per_minute(20);

    pub const fn per_minute(max: u32) -> Self {
        Self {
            max,
            per: Duration::MINUTE,
        }
    }
}

/// The earliest instant, not before `now` nor before the last reserved slot, that keeps at most
/// `rate.max` slots in any window of `rate.per`, given the `reserved` slots (oldest first).
///
/// Pure, so a store-backed limiter shared by several instances can use the same rule.
pub fn slot_after(
    reserved: &VecDeque<OffsetDateTime>,
    rate: Rate,
    now: OffsetDateTime,
) -> OffsetDateTime {
    let mut slot = reserved.back().map_or(now, |&last| last.max(now));
    let max = usize::try_from(rate.max.max(1)).unwrap_or(usize::MAX);
    if reserved.len() >= max
        && let Some(&nth_last) = reserved.get(reserved.len() - max)
    {
        // The window that would hold this slot and the last `max` ones must be longer than `per`.
        slot = slot.max(nth_last + rate.per);
    }
    slot
}

/// Reserved send slots per destination, in memory (one instance).
#[derive(Debug, Default)]
pub struct RateLimiter {
    reserved: HashMap<String, VecDeque<OffsetDateTime>>,
}

impl RateLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reserves and returns the next slot for `destination` (a robot, a host): `now` when the
    /// rate allows it, else the first instant it will. Never refuses, so nothing is dropped.
    pub fn next_slot(
        &mut self,
        destination: &str,
        rate: Rate,
        now: OffsetDateTime,
    ) -> OffsetDateTime {
        let reserved = self.reserved.entry(destination.to_owned()).or_default();
        let slot = slot_after(reserved, rate, now);
        reserved.push_back(slot);
        let keep = usize::try_from(rate.max.max(1)).unwrap_or(usize::MAX);
        while reserved.len() > keep {
            reserved.pop_front();
        }
        slot
    }

    /// Forgets destinations whose every slot is older than `idle` before `now`, so the map
    /// does not grow with destinations used once.
    pub fn forget_idle(&mut self, now: OffsetDateTime, idle: Duration) {
        self.reserved
            .retain(|_, slots| slots.back().is_some_and(|&last| last + idle > now));
    }

    /// How many destinations are tracked.
    pub fn len(&self) -> usize {
        self.reserved.len()
    }

    pub fn is_empty(&self) -> bool {
        self.reserved.is_empty()
    }
}
