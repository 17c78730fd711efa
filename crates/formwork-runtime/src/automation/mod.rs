//! Automation rules at run time.
//!
//! A change that a rule may watch enqueues an *event job* in the change's own transaction (the
//! hooks of [`events`]: a record created, updated or deleted, a task given, a process ended),
//! and scheduled work is enqueued as jobs due later (a task overdue, a date in a record, a
//! schedule). A worker claims the job and [`Runtime::run_rule_job`] runs every rule the event
//! concerns: it evaluates the condition, plans the actions, and writes all their in-app
//! effects (field changes, new records, started processes, messages, the run's record and its
//! outgoing deliveries as jobs of their own) in ONE transaction with marking the event job
//! done — so each in-app effect happens exactly once, whichever worker runs it and however
//! often it is tried.
//!
//! A rule whose effects cause further events runs one level deeper each time; at
//! [`MAX_RULE_DEPTH`] the run is recorded as stopped with the reason, so a rule that changes
//! what triggers it cannot loop.
//!
//! Records follow the rules of the app version they were created under, as they follow its
//! form and process; schedules follow the latest published version.

mod context;
mod events;
mod locks;
mod notify;
mod plan;
mod recipients;
mod run;
mod start;
mod views;

pub use events::{RecordChange, record_events};
pub use locks::{FieldLock, may_change_field};
pub use run::RuleJobRun;
pub use views::{RuleActionView, RuleRunView};

/// How many rule runs may lead one to another before the next is stopped.
pub const MAX_RULE_DEPTH: i32 = 5;

/// The kinds of jobs: events rules watch, scheduled rule work, and outgoing deliveries.
pub mod kinds {
    pub const RECORD_CREATED: &str = "record.created";
    pub const RECORD_UPDATED: &str = "record.updated";
    pub const RECORD_DELETED: &str = "record.deleted";
    /// Enqueued by every process step that ends an instance.
    pub const PROCESS_ENDED: &str = "process.ended";
    pub const TASK_OVERDUE: &str = "rule.task_overdue";
    pub const DATE: &str = "rule.date";
    pub const SCHEDULE: &str = "rule.schedule";
    /// Enqueued with every in-app message a process step writes: mail it to users who want
    /// mail.
    pub const NOTIFY: &str = "notify";
    pub const DELIVER_EMAIL: &str = "deliver.email";
    pub const DELIVER_DINGTALK: &str = "deliver.dingtalk";
    pub const DELIVER_WECOM: &str = "deliver.wecom";
    pub const DELIVER_WEBHOOK: &str = "deliver.webhook";

    /// Whether a worker runs a job of `kind` through the runtime (rules) rather than by
    /// sending something out.
    pub fn runs_rules(kind: &str) -> bool {
        matches!(
            kind,
            RECORD_CREATED
                | RECORD_UPDATED
                | RECORD_DELETED
                | PROCESS_ENDED
                | TASK_OVERDUE
                | DATE
                | SCHEDULE
        )
    }
}
