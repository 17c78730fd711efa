//! The hooks: the jobs a change enqueues for rules, written in the change's own transaction.
//!
//! - [`record_events`]: a record created, updated or deleted (by a person, a process step, a
//!   rule or an inbound hook) — `NewRecord.events`, `RecordUpdate.events`, `delete_record`.
//! - [`Runtime::step_events`]: what a process step adds — a `rule.task_overdue` job per new
//!   task for each overdue rule, due when the task would be overdue, and `record.updated` when
//!   the step changed the record's data. (`process.ended` is enqueued by every ending step.)
//! - [`date_jobs`]: the `rule.date` jobs of one record, enqueued when its created or updated
//!   event runs; scheduling the same date twice is a no-op (the event id names it).
//!
//! Nothing is enqueued when no rule of the version watches the change.

use formwork_model::{RuleDef, TriggerSpec};
use formwork_store::{FormId, NewJob, Record, RecordId, StepWrite};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime, Time};

use super::kinds;
use crate::catalog::CompiledApp;
use crate::{Runtime, RuntimeResult};

/// What happened to a record, for [`record_events`].
#[derive(Debug, Clone, Copy)]
pub enum RecordChange<'a> {
    Created,
    /// With the field diff (`{key: {from, to}}`).
    Updated {
        diff: &'a Value,
    },
    /// With the record as it was.
    Deleted {
        record: &'a Record,
    },
}

/// The rules of `form_id` in `app`.
pub(crate) fn rules_of<'a>(
    app: &'a CompiledApp,
    form_id: &'a str,
) -> impl Iterator<Item = (&'a RuleDef, TriggerSpec)> + 'a {
    app.def
        .rules
        .iter()
        .filter(move |r| r.form == form_id)
        .map(|r| (r, r.trigger.spec()))
}

/// The event jobs of a change of a record of `form_id` at `now`: none when no rule watches
/// it. `depth` counts the rule runs that led to the change (0 for a person's change). For a
/// new record (`record_id` not known yet) the store puts its id into each job.
pub fn record_events(
    app: &CompiledApp,
    form_id: &str,
    record_id: Option<&RecordId>,
    change: RecordChange<'_>,
    depth: i32,
    now: OffsetDateTime,
) -> Vec<NewJob> {
    let watched = rules_of(app, form_id).any(|(_, spec)| match (&change, &spec) {
        (RecordChange::Created, TriggerSpec::Created | TriggerSpec::Date { .. }) => true,
        (RecordChange::Updated { .. }, TriggerSpec::Updated | TriggerSpec::Date { .. }) => true,
        (RecordChange::Updated { diff }, TriggerSpec::FieldChanged { field, .. }) => {
            diff.get(field).is_some()
        }
        (RecordChange::Deleted { .. }, TriggerSpec::Deleted) => true,
        _ => false,
    });
    if !watched {
        return Vec::new();
    }
    let mut payload = json!({
        "app_id": app.app_id,
        "app_version": app.version,
        "form_id": form_id,
        "record_id": record_id,
        "depth": depth,
    });
    let kind = match change {
        RecordChange::Created => kinds::RECORD_CREATED,
        RecordChange::Updated { diff } => {
            payload["diff"] = diff.clone();
            kinds::RECORD_UPDATED
        }
        RecordChange::Deleted { record } => {
            payload["record"] = serde_json::to_value(record).unwrap_or(Value::Null);
            kinds::RECORD_DELETED
        }
    };
    if record_id.is_none()
        && let Some(map) = payload.as_object_mut()
    {
        map.remove("record_id");
    }
    let mut job = NewJob::new(kind, payload);
    job.app_id = Some(app.app_id.to_string());
    job.record_id = record_id.cloned();
    job.run_at = Some(now);
    vec![job]
}

impl Runtime {
    /// [`Runtime::step_events`] for a step on a stored instance (a person's decision, a
    /// timer): the hook every such step calls before it is applied.
    pub(crate) async fn loaded_step_events(
        &self,
        loaded: &crate::processes::pipeline::Loaded,
        write: &mut StepWrite,
        now: OffsetDateTime,
    ) -> RuntimeResult<()> {
        let record = &loaded.record;
        self.step_events(
            &loaded.app,
            &record.form_id,
            Some(&record.id),
            write,
            0,
            now,
        )
        .await
    }

    /// Adds to a process step's write what rules need of it: a `rule.task_overdue` job for
    /// each task it gives (per overdue rule of the form), and `record.updated` when it changed
    /// the record's data. `record_id` is `None` for the step that starts a new record's
    /// process (its data goes in with the record).
    pub(crate) async fn step_events(
        &self,
        app: &CompiledApp,
        form_id: &FormId,
        record_id: Option<&RecordId>,
        write: &mut StepWrite,
        depth: i32,
        now: OffsetDateTime,
    ) -> RuntimeResult<()> {
        if let (Some(record_id), Some(diff)) = (record_id, &write.record_diff) {
            let events = record_events(
                app,
                form_id.as_str(),
                Some(record_id),
                RecordChange::Updated { diff },
                depth,
                now,
            );
            write.outbox.extend(events);
        }
        let overdue: Vec<(&RuleDef, u32, formwork_model::HoursKind, Option<String>)> =
            rules_of(app, form_id.as_str())
                .filter_map(|(rule, spec)| match spec {
                    TriggerSpec::TaskOverdue {
                        hours,
                        calendar,
                        node,
                    } => Some((rule, hours, calendar, node)),
                    _ => None,
                })
                .collect();
        if overdue.is_empty() {
            return Ok(());
        }
        let mut jobs = Vec::new();
        for task in &write.tasks_created {
            for (rule, hours, calendar, node) in &overdue {
                if node.as_ref().is_some_and(|n| *n != task.node_id) {
                    continue;
                }
                let from = task.due_at.unwrap_or(now);
                let run_at = self.deadline_after(from, *hours, *calendar).await?;
                let mut job = NewJob::new(
                    kinds::TASK_OVERDUE,
                    json!({
                        "app_id": app.app_id,
                        "app_version": app.version,
                        "rule_id": rule.id,
                        "task_id": task.id,
                        "depth": depth,
                    }),
                );
                job.event_id = Some(format!("overdue:{}:{}:{}", app.app_id, rule.id, task.id));
                job.run_at = Some(run_at);
                job.app_id = Some(app.app_id.to_string());
                job.record_id = record_id.cloned();
                jobs.push(job);
            }
        }
        write.outbox.extend(jobs);
        Ok(())
    }
}

/// The Asia/Shanghai offset dates in records mean.
fn shanghai() -> time::UtcOffset {
    formwork_calendar::SHANGHAI
}

/// The date a date or datetime value names (its day in Asia/Shanghai), if it is one.
pub(crate) fn date_of(value: &Value) -> Option<Date> {
    let text = value.as_str()?;
    if text.len() == 10 {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        return Date::parse(text, &format).ok();
    }
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .map(|t| t.to_offset(shanghai()).date())
}

/// `HH:MM` as a time of day; 09:00 when absent or unreadable.
fn time_of_day(at: Option<&str>) -> Time {
    at.and_then(|s| {
        let (h, m) = s.split_once(':')?;
        Time::from_hms(h.parse().ok()?, m.parse().ok()?, 0).ok()
    })
    .unwrap_or(Time::from_hms(9, 0, 0).unwrap_or(Time::MIDNIGHT))
}

/// The dates a date rule watches in `record`: (row index, date), the index `None` for a date
/// field of the record itself.
pub(crate) fn watched_dates(spec: &TriggerSpec, data: &Value) -> Vec<(Option<usize>, Date)> {
    let TriggerSpec::Date {
        field, subtable, ..
    } = spec
    else {
        return Vec::new();
    };
    match subtable {
        None => data
            .get(field)
            .and_then(date_of)
            .map(|d| (None, d))
            .into_iter()
            .collect(),
        Some(sub) => data
            .get(sub)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, row)| row.get(field).and_then(date_of).map(|d| (Some(i), d)))
            .collect(),
    }
}

/// The `rule.date` jobs of `record` for date rule `rule`: one per watched date, due
/// `days_before` days before it at `at`. A moment already past fires at once while the date
/// itself has not passed; a date that has passed is left alone.
pub(crate) fn date_jobs(
    app: &CompiledApp,
    rule: &RuleDef,
    spec: &TriggerSpec,
    record: &Record,
    depth: i32,
    now: OffsetDateTime,
) -> Vec<NewJob> {
    let TriggerSpec::Date {
        days_before, at, ..
    } = spec
    else {
        return Vec::new();
    };
    let today = now.to_offset(shanghai()).date();
    let mut jobs = Vec::new();
    for (row, date) in watched_dates(spec, &record.data) {
        let Some(day) = date.checked_sub(Duration::days(i64::from(*days_before))) else {
            continue;
        };
        let fire_at = day
            .with_time(time_of_day(at.as_deref()))
            .assume_offset(shanghai());
        if fire_at <= now && date < today {
            continue;
        }
        let row_key = row.map_or_else(|| "-".to_owned(), |i| i.to_string());
        let mut job = NewJob::new(
            kinds::DATE,
            json!({
                "app_id": app.app_id,
                "app_version": app.version,
                "rule_id": rule.id,
                "record_id": record.id,
                "row": row,
                "date": date.to_string(),
                "depth": depth,
            }),
        );
        job.event_id = Some(format!(
            "date:{}:{}:{}:{row_key}:{date}",
            app.app_id, rule.id, record.id
        ));
        job.run_at = Some(fire_at.max(now));
        job.app_id = Some(app.app_id.to_string());
        job.record_id = Some(record.id.clone());
        jobs.push(job);
    }
    jobs
}
