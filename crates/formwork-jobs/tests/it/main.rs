//! The integration tests of formwork-jobs, one binary: the retry policy, rate limits and cron
//! schedules; outbound HTTP and its SSRF refusals; mail to a real SMTP server; DingTalk, WeCom
//! and webhook deliveries checked by receivers that verify them as the vendors do; and the
//! consumer end to end on SQLite and PostgreSQL (rules exactly once, deliveries at least once,
//! leases, retries, dead letters, rate limits across instances, the calendar).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod harness;

mod cron;
mod deadlines;
mod deliveries;
mod email;
mod http;
mod notify;
mod policy;
mod ratelimit;
mod robots;
mod rules;
mod ssrf;
mod webhook;
