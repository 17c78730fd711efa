//! What the engine asks of the runtime: expressions over the record and directory look-ups.

use std::collections::BTreeMap;

use formwork_model::{AssigneeDef, HoursKind};
use serde_json::Value;
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

/// Field values set by `action` nodes earlier in the same step, not yet in the record.
///
/// Expressions and look-ups must read a field from here when it is present, so a condition
/// sees the value an action node set just before it (a `round < 3` loop runs three times).
/// Empty in almost every call.
pub type Fields = BTreeMap<String, Value>;

/// The runtime's view of one instance's record and of the user directory.
///
/// Every method is a question, never a change: the engine stays pure and returns what should
/// happen as [`Effect`](crate::Effect)s. Errors are messages; the engine wraps them in
/// [`EngineError::Context`](crate::EngineError::Context) with the node they happened at.
///
/// Users are ids throughout, in what the context returns and in what the engine asks about.
/// A package names users by username (`{"type": "user", "username": …}`, a fallback or a
/// reassign escalation); the engine asks [`Context::resolve`] for those like any other rule,
/// and the runtime answers with ids.
pub trait Context {
    /// Evaluates a condition or a routing-table row over the record data, with `set` laid
    /// over it.
    fn eval_bool(&self, expr: &str, set: &Fields) -> Result<bool, String>;

    /// Evaluates an expression of an `action` node to the value to store, with `set` laid
    /// over the record data.
    fn eval(&self, expr: &str, set: &Fields) -> Result<Value, String>;

    /// The user ids an assignee rule names: the user with a username (none when unknown or
    /// suspended), role members, the department head `levels` up, the users in a field (one
    /// or a list), or what an expression picks; fields are read with `set` laid over them.
    ///
    /// The engine itself handles `submitter` (via [`Context::submitter`]) and `table` (it
    /// evaluates the rows and resolves the first match), so those never reach this method.
    fn resolve(&self, assignee: &AssigneeDef, set: &Fields) -> Result<Vec<String>, String>;

    /// The user id of whoever submitted the record.
    fn submitter(&self) -> String;

    /// The head of `user`'s department, for the `notify_head` escalation.
    fn head_of(&self, user: &str) -> Result<Option<String>, String>;

    /// The instant a date or datetime field of the record means (a plain date in the app's
    /// time zone), or `None` when the field is empty; `set` is laid over the record.
    fn field_instant(&self, field: &str, set: &Fields) -> Result<Option<OffsetDateTime>, String>;

    /// When something given at `from` with `hours` to do it is due, counting `kind` hours.
    ///
    /// Plain clock hours by default; a runtime with a working-time calendar (weekends,
    /// holidays, 调休) overrides this and counts [`HoursKind::Working`] hours on it.
    fn deadline_after(&self, from: OffsetDateTime, hours: u32, kind: HoursKind) -> OffsetDateTime {
        let _ = kind;
        hours_after(from, hours)
    }
}

/// `hours` after `from`, saturating at the last representable instant instead of panicking.
pub fn hours_after(from: OffsetDateTime, hours: u32) -> OffsetDateTime {
    from.checked_add(Duration::hours(i64::from(hours)))
        .unwrap_or_else(|| PrimitiveDateTime::MAX.assume_utc())
}
