//! Writing one engine step: a new instance with its record, or a step on a running one.
//!
//! One step is one transaction that locks the instance row first (the versioned UPDATE), then
//! tasks, timers and the record: every writer takes the locks in that order, so steps on one
//! instance queue behind each other instead of deadlocking.

use formwork_store::{
    AppId, Instance, InstanceId, InstanceRestart, NewInstance, Record, RecordId, RecordStatus,
    StepWrite, StoreError, StoreResult, UserId, new_id,
};
use sqlx::types::Json;
use time::OffsetDateTime;

use super::jobs::{insert_job, insert_notification};
use super::{Conn, audit, db_err, refused, rows, text, ts};

/// The current version of instance `$1`, to explain a refused step.
const INSTANCE_VERSION: &str = "SELECT version FROM process_instances WHERE id = $1";

/// The instant a step's rows carry: its own, or the transaction's.
fn step_time(step: &StepWrite, now: OffsetDateTime) -> OffsetDateTime {
    step.at.map_or(now, formwork_query::instant::micros)
}

/// Applies `step` inside the caller's write transaction (its own, or one shared with other
/// pending writes where commits are grouped): the instance first, then what the step consumes,
/// its rows, the record and the audit row.
pub(crate) async fn apply(
    tx: &mut Conn,
    step: &StepWrite,
    actor: Option<&UserId>,
) -> StoreResult<Instance> {
    // Read under the write lock where there is one: times follow commit order.
    let now = apply_time(step);
    let instance = advance_instance(tx, step, now).await?;
    consume(tx, step, &instance.id, now).await?;
    write_rows(tx, step, &instance.record_id, now).await?;
    update_record(tx, step, &instance, actor, now).await?;
    if let Some(entry) = &step.audit {
        let subject = format!("record:{}", instance.record_id);
        let mut detail = entry.detail.clone();
        if let Some(map) = detail.as_object_mut() {
            map.insert("instance".into(), instance.id.as_str().into());
        }
        audit(tx, now, actor, &entry.action, &subject, detail).await?;
    }
    Ok(instance)
}

/// Inserts a new instance (version 1) of record `record_id` (of `app_id` at `app_version`)
/// inside the insert's transaction.
pub(crate) async fn insert_instance(
    tx: &mut Conn,
    instance: &NewInstance,
    record_id: &RecordId,
    app_id: &AppId,
    app_version: i64,
    now: OffsetDateTime,
) -> StoreResult<()> {
    let step = &instance.step;
    let now = step_time(step, now);
    sqlx::query(
        "INSERT INTO process_instances (id, record_id, app_id, process_id, app_version, state, \
         status, stopped_node, proposed_changes, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $9, $10, 1, $8, $8)",
    )
    .bind(step.instance_id.as_str())
    .bind(record_id.as_str())
    .bind(app_id.as_str())
    .bind(instance.process_id.as_str())
    .bind(app_version)
    .bind(Json(&step.state))
    .bind(step.status.as_str())
    .bind(ts(now))
    .bind(&step.stopped_node)
    .bind(instance.proposed_changes.as_ref().map(Json))
    .execute(&mut *tx)
    .await
    .map_err(db_err("process instance"))?;
    write_rows(tx, step, record_id, now).await
}

/// Moves a running instance to the step's state if it is still at the version the step was
/// computed from; `Conflict` (recompute) when another step landed first.
pub(crate) async fn advance_instance(
    tx: &mut Conn,
    step: &StepWrite,
    now: OffsetDateTime,
) -> StoreResult<Instance> {
    let what = format!("process instance `{}`", step.instance_id);
    let Some(expected) = step.expected_version else {
        return Err(StoreError::Backend(format!(
            "{what}: a step names the version it was computed from; a new instance is \
             written with its record"
        )));
    };
    // On PostgreSQL a concurrent step on the same instance waits here for the row lock, then
    // re-checks `version` against the committed row and matches nothing.
    let instance = sqlx::query(concat!(
        "UPDATE process_instances SET state = $3, status = $4, stopped_node = $6, \
         proposed_changes = COALESCE($7, proposed_changes), \
         version = version + 1, updated_at = $5 WHERE id = $1 AND version = $2 RETURNING ",
        instance_cols!()
    ))
    .bind(step.instance_id.as_str())
    .bind(expected)
    .bind(Json(&step.state))
    .bind(step.status.as_str())
    .bind(ts(now))
    .bind(&step.stopped_node)
    .bind(step.proposed_changes.as_ref().map(Json))
    .try_map(rows::instance)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err(&what))?;
    match instance {
        Some(instance) => Ok(instance),
        None => Err(refused(
            tx,
            INSTANCE_VERSION,
            step.instance_id.as_str(),
            &what,
            Some(expected),
        )
        .await),
    }
}

/// Consumes what the step acted on: the decided task must still be open and the fired timer
/// must not have fired; else `Conflict`.
pub(crate) async fn consume(
    tx: &mut Conn,
    step: &StepWrite,
    instance_id: &InstanceId,
    now: OffsetDateTime,
) -> StoreResult<()> {
    // A decided task the step closes is checked where it is closed (`write_tasks`).
    if let Some(key) = &step.decided_task
        && !step.tasks_closed.iter().any(|c| &c.key == key)
    {
        let open = sqlx::query(
            "UPDATE tasks SET status = status WHERE instance_id = $1 AND key = $2 \
             AND status = 'open'",
        )
        .bind(instance_id.as_str())
        .bind(key)
        .execute(&mut *tx)
        .await
        .map_err(db_err("task"))?;
        if open.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("task `{key}` is not open")));
        }
    }
    if let Some(key) = &step.fired_timer {
        let pending = sqlx::query(
            "UPDATE timers SET fired_at = $3 WHERE instance_id = $1 AND key = $2 \
             AND fired_at IS NULL",
        )
        .bind(instance_id.as_str())
        .bind(key)
        .bind(ts(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err("timer"))?;
        if pending.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "timer `{key}` has fired already"
            )));
        }
    }
    Ok(())
}

/// Applies the step's record status and data, if it changes them, with its audit row.
pub(crate) async fn update_record(
    tx: &mut Conn,
    step: &StepWrite,
    instance: &Instance,
    actor: Option<&UserId>,
    now: OffsetDateTime,
) -> StoreResult<()> {
    if step.record_status.is_none() && step.record_data.is_none() {
        return Ok(());
    }
    let what = format!("record `{}`", instance.record_id);
    let updated: Option<(i64, String)> = sqlx::query_as(
        "UPDATE records SET status = COALESCE($2, status), data = COALESCE($3, data), \
         rev = rev + 1, updated_at = $4 WHERE id = $1 AND ($5 IS NULL OR rev = $5) \
         RETURNING rev, status",
    )
    .bind(instance.record_id.as_str())
    .bind(step.record_status.map(RecordStatus::as_str))
    .bind(step.record_data.as_ref().map(Json))
    .bind(ts(now))
    .bind(step.record_rev)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err(&what))?;
    let Some((rev, status)) = updated else {
        return Err(StoreError::Conflict(format!(
            "{what} changed since revision {}",
            step.record_rev.unwrap_or_default()
        )));
    };
    let diff = step
        .record_diff
        .clone()
        .unwrap_or_else(|| serde_json::json!({}));
    let detail = serde_json::json!({
        "rev": rev,
        "status": status,
        "diff": diff,
        "instance": instance.id.as_str(),
    });
    let subject = format!("record:{}", instance.record_id);
    audit(tx, now, actor, "record.update", &subject, detail).await
}

/// Writes what a step adds besides the instance and the record: closes and opens tasks,
/// schedules and cancels timers, appends the timeline, notifications and outbox rows.
pub(crate) async fn write_rows(
    tx: &mut Conn,
    step: &StepWrite,
    record_id: &RecordId,
    now: OffsetDateTime,
) -> StoreResult<()> {
    write_tasks(tx, step, now).await?;
    write_timers(tx, step, now).await?;
    write_messages(tx, step, record_id, now).await
}

async fn write_tasks(tx: &mut Conn, step: &StepWrite, now: OffsetDateTime) -> StoreResult<()> {
    let instance_id = step.instance_id.as_str();
    for close in &step.tasks_closed {
        // A task another step closed already stays as that step left it; the decided task
        // must be open still (else another decision won: `Conflict`).
        let closed = sqlx::query(
            "UPDATE tasks SET status = $3, action = $4, decided_by = $5, comment = $6, \
             decided_at = $7 WHERE instance_id = $1 AND key = $2 AND status = 'open'",
        )
        .bind(instance_id)
        .bind(&close.key)
        .bind(close.status.as_str())
        .bind(close.action.as_str())
        .bind(text(&close.by))
        .bind(&close.comment)
        .bind(ts(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err("task"))?;
        if closed.rows_affected() == 0 && step.decided_task.as_ref() == Some(&close.key) {
            return Err(StoreError::Conflict(format!(
                "task `{}` is not open",
                close.key
            )));
        }
    }
    for task in &step.tasks_created {
        sqlx::query(
            "INSERT INTO tasks (id, instance_id, key, node_id, assignee_id, round, kind, status, \
             created_at, due_at) VALUES ($1, $2, $3, $4, $5, $8, $9, 'open', $6, $7)",
        )
        .bind(task.id.as_str())
        .bind(instance_id)
        .bind(&task.key)
        .bind(&task.node_id)
        .bind(task.assignee_id.as_str())
        .bind(ts(now))
        .bind(task.due_at.map(ts))
        .bind(task.round)
        .bind(task.kind.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_err("open task of this step, round and person"))?;
    }
    Ok(())
}

async fn write_timers(tx: &mut Conn, step: &StepWrite, now: OffsetDateTime) -> StoreResult<()> {
    let instance_id = step.instance_id.as_str();
    for key in &step.timers_cancelled {
        sqlx::query(
            "UPDATE timers SET cancelled_at = $3 WHERE instance_id = $1 AND key = $2 \
             AND fired_at IS NULL AND cancelled_at IS NULL",
        )
        .bind(instance_id)
        .bind(key)
        .bind(ts(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err("timer"))?;
    }
    for timer in &step.timers_scheduled {
        sqlx::query(
            "INSERT INTO timers (id, instance_id, key, kind, fire_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (instance_id, key) DO NOTHING",
        )
        .bind(new_id())
        .bind(instance_id)
        .bind(&timer.key)
        .bind(&timer.kind)
        .bind(ts(timer.fire_at))
        .execute(&mut *tx)
        .await
        .map_err(db_err("timer"))?;
    }
    Ok(())
}

async fn write_messages(
    tx: &mut Conn,
    step: &StepWrite,
    record_id: &RecordId,
    now: OffsetDateTime,
) -> StoreResult<()> {
    let instance_id = step.instance_id.as_str();
    for entry in &step.history {
        sqlx::query(
            "INSERT INTO instance_history (id, instance_id, at, actor, node_id, action, comment, \
             detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id())
        .bind(instance_id)
        .bind(ts(now))
        .bind(text(&entry.actor))
        .bind(&entry.node_id)
        .bind(&entry.action)
        .bind(&entry.comment)
        .bind(Json(&entry.detail))
        .execute(&mut *tx)
        .await
        .map_err(db_err("timeline entry"))?;
    }
    for note in &step.notifications {
        let instance = Some(instance_id);
        insert_notification(tx, note, Some(record_id), instance, now).await?;
    }
    for job in &step.outbox {
        insert_job(&mut *tx, job, now).await?;
    }
    Ok(())
}

/// The instant a running instance's step is stamped with.
pub(crate) fn apply_time(step: &StepWrite) -> OffsetDateTime {
    step_time(step, super::now())
}

/// Starts a new instance on a record that exists (see [`InstanceRestart`]): the record row
/// first (its revision checked and bumped, its new status and data applied), then a check
/// that nothing else runs on it, then the instance with its first step's rows.
pub(crate) async fn restart_on_record(
    tx: &mut Conn,
    restart: &InstanceRestart,
    actor: &UserId,
    now: OffsetDateTime,
) -> StoreResult<Record> {
    let step = &restart.instance.step;
    let id = restart.record_id.as_str();
    let what = format!("record `{id}`");
    let record = sqlx::query(concat!(
        "UPDATE records SET status = COALESCE($2, status), data = COALESCE($3, data), \
         app_version = COALESCE($4, app_version), rev = rev + 1, updated_at = $5 \
         WHERE id = $1 AND rev = $6 AND deleted_at IS NULL RETURNING ",
        record_cols!()
    ))
    .bind(id)
    .bind(step.record_status.map(RecordStatus::as_str))
    .bind(step.record_data.as_ref().map(Json))
    .bind(restart.app_version)
    .bind(ts(now))
    .bind(restart.expected_rev)
    .try_map(rows::record)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err(&what))?;
    let Some(record) = record else {
        return Err(StoreError::Conflict(format!(
            "{what} changed since revision {}",
            restart.expected_rev
        )));
    };
    // The record row is locked (PostgreSQL) or the database is (SQLite): no other start can
    // slip in between this check and the insert.
    let busy: Option<String> = sqlx::query_scalar(
        "SELECT id FROM process_instances WHERE record_id = $1 \
         AND status IN ('running', 'stopped', 'not_started') LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err("process instance"))?;
    if let Some(running) = busy {
        return Err(StoreError::Conflict(format!(
            "{what} has a process under way (instance `{running}`)"
        )));
    }
    insert_instance(
        tx,
        &restart.instance,
        &record.id,
        &record.app_id,
        record.app_version,
        now,
    )
    .await?;
    let mut detail = restart.audit.detail.clone();
    if let Some(map) = detail.as_object_mut() {
        map.insert("instance".into(), step.instance_id.as_str().into());
        map.insert("rev".into(), record.rev.into());
        if let Some(diff) = &step.record_diff {
            map.insert("diff".into(), diff.clone());
        }
    }
    let subject = format!("record:{id}");
    audit(
        tx,
        now,
        Some(actor),
        &restart.audit.action,
        &subject,
        detail,
    )
    .await?;
    Ok(record)
}
