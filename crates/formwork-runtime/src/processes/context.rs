//! The engine's view of one record and the directory: expressions over the record scope
//! (`formwork_model::expr::record_scope` plus the system fields) and assignee look-ups over the
//! whole directory snapshot.
//!
//! The engine names people by user id; packages, user fields and expressions name them by
//! username (`submitter` in an expression is a username too). Every look-up here turns the
//! usernames it finds into ids.

use std::borrow::Cow;

use formwork_model::expr::{self, record_scope};
use formwork_model::{AssigneeDef, FormDef, HoursKind};
use formwork_process::{Context, Fields};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, Time, UtcOffset};

use crate::Account;
use crate::directory::Directory;
use formwork_calendar::WorkCalendar;

/// The app's time zone: plain dates in records mean midnight here (China Standard Time, no
/// DST).
pub(crate) fn app_offset() -> UtcOffset {
    UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// The system fields of the record a step runs on.
#[derive(Debug, Clone, Default)]
pub(crate) struct RecordFacts {
    pub id: Option<String>,
    pub number: Option<String>,
    pub owner_id: Option<String>,
    pub status: Option<String>,
    pub created_at: Option<OffsetDateTime>,
    pub updated_at: Option<OffsetDateTime>,
}

impl RecordFacts {
    pub fn of(record: &formwork_store::Record) -> RecordFacts {
        RecordFacts {
            id: Some(record.id.to_string()),
            number: record.number.clone(),
            owner_id: Some(record.owner_id.to_string()),
            status: Some(record.status.as_str().to_owned()),
            created_at: Some(record.created_at),
            updated_at: Some(record.updated_at),
        }
    }
}

/// What expressions over a record see: its fields (`record_scope`) and the system fields
/// (`id`, `number`, `owner`, `status`, `created_at`, `updated_at`, `submitter`, `now`,
/// `today`). Shared by process steps and automation rules.
pub(crate) fn record_context(
    form: &FormDef,
    data: &Value,
    facts: &RecordFacts,
    submitter: &str,
    now: OffsetDateTime,
) -> Map<String, Value> {
    let mut scope = record_scope(form, data);
    scope.extend(system_fields(facts, submitter, now));
    scope
}

/// The system fields every expression over a record sees beside its own fields.
fn system_fields(facts: &RecordFacts, submitter: &str, now: OffsetDateTime) -> Map<String, Value> {
    let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
    let instant = |t: Option<OffsetDateTime>| {
        t.and_then(|t| t.format(&Rfc3339).ok())
            .map_or(Value::Null, Value::String)
    };
    [
        ("id", text(&facts.id)),
        ("number", text(&facts.number)),
        ("owner", text(&facts.owner_id)),
        ("status", text(&facts.status)),
        ("created_at", instant(facts.created_at)),
        ("updated_at", instant(facts.updated_at)),
        ("submitter", Value::String(submitter.to_owned())),
        ("now", instant(Some(now))),
        (
            "today",
            Value::String(now.to_offset(app_offset()).date().to_string()),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// One step's [`Context`].
pub(crate) struct StepContext<'a> {
    form: &'a FormDef,
    /// The system fields, laid over the record's fields in every scope.
    system: Map<String, Value>,
    scope: Value,
    data: &'a Value,
    dir: &'a Directory,
    submitter: &'a Account,
    calendar: &'a WorkCalendar,
}

impl<'a> StepContext<'a> {
    pub fn new(
        form: &'a FormDef,
        data: &'a Value,
        facts: &RecordFacts,
        submitter: &'a Account,
        dir: &'a Directory,
        calendar: &'a WorkCalendar,
        now: OffsetDateTime,
    ) -> StepContext<'a> {
        let system = system_fields(facts, &submitter.username, now);
        let mut scope = record_scope(form, data);
        scope.extend(system.clone());
        StepContext {
            form,
            system,
            scope: Value::Object(scope),
            data,
            dir,
            submitter,
            calendar,
        }
    }

    /// The expression scope with the fields `set` earlier in this step laid over the record
    /// (converted as the record's own fields are: money as numbers).
    fn scope(&self, set: &Fields) -> Cow<'_, Value> {
        if set.is_empty() {
            return Cow::Borrowed(&self.scope);
        }
        let mut scope = record_scope(self.form, &self.data_with(set));
        scope.extend(self.system.clone());
        Cow::Owned(Value::Object(scope))
    }

    /// The record data with `set` laid over it.
    fn data_with(&self, set: &Fields) -> Cow<'_, Value> {
        if set.is_empty() {
            return Cow::Borrowed(self.data);
        }
        let mut data = self.data.clone();
        if let Value::Object(map) = &mut data {
            map.extend(set.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Cow::Owned(data)
    }

    /// Users a value names, as ids: a username, `role:<id>` for the role's members, or a list
    /// of them. A name of nobody (or of a suspended user) adds no one.
    fn users_in(&self, value: &Value, out: &mut Vec<String>) -> Result<(), String> {
        match value {
            Value::Null => Ok(()),
            Value::String(s) => {
                if let Some(role) = s.strip_prefix("role:") {
                    let members = self
                        .dir
                        .members(role)
                        .ok_or_else(|| format!("role `{role}` does not exist"))?;
                    out.extend(members.into_iter().map(|u| u.id.to_string()));
                } else if let Some(user) = self.dir.active(s) {
                    out.push(user.id.to_string());
                }
                Ok(())
            }
            Value::Array(items) => items.iter().try_for_each(|v| self.users_in(v, out)),
            other => Err(format!("{other} does not name a user or role")),
        }
    }
}

impl Context for StepContext<'_> {
    fn eval_bool(&self, src: &str, set: &Fields) -> Result<bool, String> {
        expr::eval_bool(src, &self.scope(set)).map_err(|e| e.to_string())
    }

    fn eval(&self, src: &str, set: &Fields) -> Result<Value, String> {
        expr::eval(src, &self.scope(set)).map_err(|e| e.to_string())
    }

    fn resolve(&self, assignee: &AssigneeDef, set: &Fields) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        match assignee {
            // An unknown or suspended user resolves to nobody, so the step's fallback applies.
            AssigneeDef::User { username } => {
                out.extend(self.dir.active(username).map(|u| u.id.to_string()));
            }
            AssigneeDef::Role { role } => {
                let members = self.dir.members(role).unwrap_or_default();
                out.extend(members.into_iter().map(|u| u.id.to_string()));
            }
            AssigneeDef::DepartmentHead { levels } => {
                // Level 1 is the submitter's own department.
                let head = usize::from(*levels)
                    .checked_sub(1)
                    .and_then(|at| self.dir.heads_above(self.submitter).get(at).copied())
                    .flatten();
                out.extend(head.map(|u| u.id.to_string()));
            }
            AssigneeDef::Field { field } => {
                let data = self.data_with(set);
                let value = data.get(field).unwrap_or(&Value::Null);
                self.users_in(value, &mut out)?;
            }
            AssigneeDef::Expression { expr: src } => {
                let value = expr::eval(src, &self.scope(set)).map_err(|e| e.to_string())?;
                self.users_in(&value, &mut out)?;
            }
            AssigneeDef::Submitter | AssigneeDef::Table { .. } => {
                return Err("the engine resolves this rule itself".into());
            }
        }
        Ok(out)
    }

    fn submitter(&self) -> String {
        self.submitter.id.to_string()
    }

    fn head_of(&self, user: &str) -> Result<Option<String>, String> {
        let Some(user) = self.dir.user_named(user) else {
            return Ok(None);
        };
        Ok(self.dir.head_of(user).map(|u| u.id.to_string()))
    }

    fn field_instant(&self, field: &str, set: &Fields) -> Result<Option<OffsetDateTime>, String> {
        match self.data_with(set).get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) if s.len() == 10 => {
                let format = time::macros::format_description!("[year]-[month]-[day]");
                let date = Date::parse(s, &format).map_err(|e| format!("{field}: {e}"))?;
                Ok(Some(
                    date.with_time(Time::MIDNIGHT).assume_offset(app_offset()),
                ))
            }
            Some(Value::String(s)) => OffsetDateTime::parse(s, &Rfc3339)
                .map(Some)
                .map_err(|e| format!("{field}: {e}")),
            Some(other) => Err(format!("{field} is not a date: {other}")),
        }
    }

    fn deadline_after(&self, from: OffsetDateTime, hours: u32, kind: HoursKind) -> OffsetDateTime {
        super::deadlines::due_after(self.calendar, from, hours, kind)
    }
}
