//! The engine's view of one record and the directory: expressions over the record scope
//! (`formwork_model::expr::record_scope` plus the system fields) and assignee look-ups over the
//! whole directory snapshot. The engine names people by username (as expressions and user
//! fields do); the snapshot answers by username.

use formwork_model::expr::{self, record_scope};
use formwork_model::{AssigneeDef, FormDef};
use formwork_process::Context;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, Time, UtcOffset};

use crate::Account;
use crate::directory::Directory;
use formwork_calendar::{DeadlineMode, WorkCalendar};

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
    let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
    let instant = |t: Option<OffsetDateTime>| {
        t.and_then(|t| t.format(&Rfc3339).ok())
            .map_or(Value::Null, Value::String)
    };
    let system: Map<String, Value> = [
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
    .collect();
    scope.extend(system);
    scope
}

/// One step's [`Context`].
pub(crate) struct StepContext<'a> {
    scope: Value,
    data: &'a Value,
    dir: &'a Directory,
    submitter: &'a Account,
    calendar: &'a WorkCalendar,
}

impl<'a> StepContext<'a> {
    pub fn new(
        form: &FormDef,
        data: &'a Value,
        facts: &RecordFacts,
        submitter: &'a Account,
        dir: &'a Directory,
        calendar: &'a WorkCalendar,
        now: OffsetDateTime,
    ) -> StepContext<'a> {
        let scope = record_context(form, data, facts, &submitter.username, now);
        StepContext {
            scope: Value::Object(scope),
            data,
            dir,
            submitter,
            calendar,
        }
    }

    /// Users a value names: a username, `role:<id>` for the role's members, or a list of them.
    fn users_in(&self, value: &Value, out: &mut Vec<String>) -> Result<(), String> {
        match value {
            Value::Null => Ok(()),
            Value::String(s) => {
                if let Some(role) = s.strip_prefix("role:") {
                    let members = self
                        .dir
                        .members(role)
                        .ok_or_else(|| format!("role `{role}` does not exist"))?;
                    out.extend(members.into_iter().map(|u| u.username.clone()));
                } else if self.dir.active(s).is_some() {
                    out.push(s.clone());
                }
                Ok(())
            }
            Value::Array(items) => items.iter().try_for_each(|v| self.users_in(v, out)),
            other => Err(format!("{other} does not name a user or role")),
        }
    }
}

impl Context for StepContext<'_> {
    /// Counts on the runtime's calendar. Nodes say plain or working hours once the engine
    /// passes their `deadline.calendar`; until then this is plain hours, and the change is one
    /// line: `fn deadline_after(&self, from, hours, kind: HoursKind)` with
    /// `deadline_mode(kind)` in place of `DeadlineMode::Calendar`.
    fn deadline_after(&self, from: OffsetDateTime, hours: u32) -> OffsetDateTime {
        self.calendar.add(
            DeadlineMode::Calendar,
            from,
            time::Duration::hours(i64::from(hours)),
        )
    }

    fn eval_bool(&self, src: &str) -> Result<bool, String> {
        expr::eval_bool(src, &self.scope).map_err(|e| e.to_string())
    }

    fn eval(&self, src: &str) -> Result<Value, String> {
        expr::eval(src, &self.scope).map_err(|e| e.to_string())
    }

    fn resolve(&self, assignee: &AssigneeDef) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        match assignee {
            // An unknown or suspended user resolves to nobody, so the step's fallback applies.
            AssigneeDef::User { username } => {
                if self.dir.active(username).is_some() {
                    out.push(username.clone());
                }
            }
            AssigneeDef::Role { role } => {
                let members = self.dir.members(role).unwrap_or_default();
                out.extend(members.into_iter().map(|u| u.username.clone()));
            }
            AssigneeDef::DepartmentHead { levels } => {
                // Level 1 is the submitter's own department.
                let head = usize::from(*levels)
                    .checked_sub(1)
                    .and_then(|at| self.dir.heads_above(self.submitter).get(at).copied())
                    .flatten();
                out.extend(head.map(|u| u.username.clone()));
            }
            AssigneeDef::Field { field } => {
                let value = self.data.get(field).unwrap_or(&Value::Null);
                self.users_in(value, &mut out)?;
            }
            AssigneeDef::Expression { expr: src } => {
                let value = expr::eval(src, &self.scope).map_err(|e| e.to_string())?;
                self.users_in(&value, &mut out)?;
            }
            AssigneeDef::Submitter | AssigneeDef::Table { .. } => {
                return Err("the engine resolves this rule itself".into());
            }
        }
        Ok(out)
    }

    fn submitter(&self) -> String {
        self.submitter.username.clone()
    }

    fn head_of(&self, user: &str) -> Result<Option<String>, String> {
        let Some(user) = self.dir.by_username(user) else {
            return Ok(None);
        };
        Ok(self.dir.head_of(user).map(|u| u.username.clone()))
    }

    fn field_instant(&self, field: &str) -> Result<Option<OffsetDateTime>, String> {
        match self.data.get(field) {
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
}
