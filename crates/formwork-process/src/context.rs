//! What the engine asks of the runtime: expressions over the record and directory look-ups.

use formwork_model::AssigneeDef;
use serde_json::Value;
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

/// The runtime's view of one instance's record and of the user directory.
///
/// Every method is a question, never a change: the engine stays pure and returns what should
/// happen as [`Effect`](crate::Effect)s. Errors are messages; the engine wraps them in
/// [`EngineError::Context`](crate::EngineError::Context) with the node they happened at.
///
/// Expressions see the record as it was when the step began: fields set by an `action` node
/// reach the record only when the runtime applies the returned `SetFields` effect.
pub trait Context {
    /// Evaluates a condition or a routing-table row over the record data.
    fn eval_bool(&self, expr: &str) -> Result<bool, String>;

    /// Evaluates an expression of an `action` node to the value to store.
    fn eval(&self, expr: &str) -> Result<Value, String>;

    /// The user ids an assignee rule names: role members, the department head `levels` up,
    /// the user in a field, or what an expression picks.
    ///
    /// The engine itself handles `submitter` (via [`Context::submitter`]) and `table` (it
    /// evaluates the rows and resolves the first match), so those never reach this method.
    fn resolve(&self, assignee: &AssigneeDef) -> Result<Vec<String>, String>;

    /// The user id of whoever submitted the record.
    fn submitter(&self) -> String;

    /// The head of `user`'s department, for the `notify_head` escalation.
    fn head_of(&self, user: &str) -> Result<Option<String>, String>;

    /// The instant a date or datetime field of the record means (a plain date in the app's
    /// time zone), or `None` when the field is empty.
    fn field_instant(&self, field: &str) -> Result<Option<OffsetDateTime>, String>;

    /// When a task given at `from` with `hours` to do it is due.
    ///
    /// Plain hours by default; a runtime with a working-time calendar (weekends, holidays,
    /// 调休) overrides this.
    fn deadline_after(&self, from: OffsetDateTime, hours: u32) -> OffsetDateTime {
        hours_after(from, hours)
    }
}

/// `hours` after `from`, saturating at the last representable instant instead of panicking.
pub(crate) fn hours_after(from: OffsetDateTime, hours: u32) -> OffsetDateTime {
    from.checked_add(Duration::hours(i64::from(hours)))
        .unwrap_or_else(|| PrimitiveDateTime::MAX.assume_utc())
}
