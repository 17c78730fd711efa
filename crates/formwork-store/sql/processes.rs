// Process persistence: instances, tasks, timers, timelines and notifications. Pulled into
// common.rs with `include!` after its `impl Store` block, whose process methods forward here,
// so this file shares that file's imports and helpers (`ts`, `db_err`, `begin`, `audit`, …).
//
// One step is one transaction that locks the instance row first (the versioned UPDATE), then
// tasks, timers and the record: every writer takes the locks in that order, so steps on one
// instance queue behind each other instead of deadlocking.

macro_rules! instance_cols {
    () => {
        "id, record_id, app_id, process_id, app_version, state, status, version, created_at, \
         updated_at"
    };
}

// Tasks are read joined to their instance (`i`) for the record id.
macro_rules! task_cols {
    () => {
        "t.id, t.instance_id, i.record_id, t.key, t.node_id, t.assignee_id, t.status, t.action, \
         t.comment, t.decided_by, t.created_at, t.decided_at, t.due_at"
    };
}

macro_rules! task_from {
    () => {
        " FROM tasks t JOIN process_instances i ON i.id = t.instance_id "
    };
}

fn json_value(row: &DbRow, col: &str) -> Result<serde_json::Value, sqlx::Error> {
    serde_json::from_str(&json_text(row, col)?).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn instance_from_row(row: &DbRow) -> Result<formwork_store::Instance, sqlx::Error> {
    Ok(formwork_store::Instance {
        id: row.try_get("id")?,
        record_id: row.try_get("record_id")?,
        app_id: row.try_get("app_id")?,
        process_id: row.try_get("process_id")?,
        app_version: row.try_get("app_version")?,
        state: json_value(row, "state")?,
        status: row.try_get("status")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn task_from_row(row: &DbRow) -> Result<formwork_store::Task, sqlx::Error> {
    Ok(formwork_store::Task {
        id: row.try_get("id")?,
        instance_id: row.try_get("instance_id")?,
        record_id: row.try_get("record_id")?,
        key: row.try_get("key")?,
        node_id: row.try_get("node_id")?,
        assignee_id: row.try_get("assignee_id")?,
        status: row.try_get("status")?,
        action: row.try_get("action")?,
        comment: row.try_get("comment")?,
        decided_by: row.try_get("decided_by")?,
        created_at: row.try_get("created_at")?,
        decided_at: row.try_get("decided_at")?,
        due_at: row.try_get("due_at")?,
    })
}

fn timer_from_row(row: &DbRow) -> Result<formwork_store::Timer, sqlx::Error> {
    Ok(formwork_store::Timer {
        id: row.try_get("id")?,
        instance_id: row.try_get("instance_id")?,
        key: row.try_get("key")?,
        kind: row.try_get("kind")?,
        fire_at: row.try_get("fire_at")?,
    })
}

fn history_from_row(row: &DbRow) -> Result<formwork_store::HistoryRow, sqlx::Error> {
    Ok(formwork_store::HistoryRow {
        id: row.try_get("id")?,
        instance_id: row.try_get("instance_id")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        node_id: row.try_get("node_id")?,
        action: row.try_get("action")?,
        comment: row.try_get("comment")?,
        detail: json_value(row, "detail")?,
    })
}

fn notification_from_row(row: &DbRow) -> Result<formwork_store::Notification, sqlx::Error> {
    Ok(formwork_store::Notification {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        kind: row.try_get("kind")?,
        payload: json_value(row, "payload")?,
        created_at: row.try_get("created_at")?,
        read_at: row.try_get("read_at")?,
    })
}

/// The instant a step's rows carry.
fn step_time(step: &formwork_store::StepWrite) -> OffsetDateTime {
    step.at.map_or_else(now, micros)
}

/// Inserts a new instance (version 1) inside the caller's transaction; `insert_record` uses it.
async fn insert_instance(
    tx: &mut Tx,
    instance: &formwork_store::NewInstance,
    record: (&str, &str, i64),
    now: OffsetDateTime,
) -> StoreResult<()> {
    let (record_id, app_id, app_version) = record;
    let step = &instance.step;
    let now = step.at.map_or(now, micros);
    sqlx::query(
        "INSERT INTO process_instances (id, record_id, app_id, process_id, app_version, state, \
         status, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8)",
    )
    .bind(&step.instance_id)
    .bind(record_id)
    .bind(app_id)
    .bind(&instance.process_id)
    .bind(app_version)
    .bind(Json(&step.state))
    .bind(&step.status)
    .bind(ts(now))
    .execute(&mut **tx)
    .await
    .map_err(db_err("process instance"))?;
    write_step_rows(tx, step, record_id, now).await
}

/// Writes what a step adds besides the instance and the record: closes and opens tasks,
/// schedules and cancels timers, appends the timeline, notifications and outbox rows.
async fn write_step_rows(
    tx: &mut Tx,
    step: &formwork_store::StepWrite,
    record_id: &str,
    now: OffsetDateTime,
) -> StoreResult<()> {
    let instance_id = step.instance_id.as_str();
    for close in &step.tasks_closed {
        // A task another step closed already stays as that step left it; the decided task
        // was checked to be open before this runs.
        sqlx::query(
            "UPDATE tasks SET status = $3, action = $4, decided_by = $5, comment = $6, \
             decided_at = $7 WHERE instance_id = $1 AND key = $2 AND status = 'open'",
        )
        .bind(instance_id)
        .bind(&close.key)
        .bind(&close.status)
        .bind(&close.action)
        .bind(&close.by)
        .bind(&close.comment)
        .bind(ts(now))
        .execute(&mut **tx)
        .await
        .map_err(db_err("task"))?;
    }
    for task in &step.tasks_created {
        sqlx::query(
            "INSERT INTO tasks (id, instance_id, key, node_id, assignee_id, status, created_at, \
             due_at) VALUES ($1, $2, $3, $4, $5, 'open', $6, $7)",
        )
        .bind(&task.id)
        .bind(instance_id)
        .bind(&task.key)
        .bind(&task.node_id)
        .bind(&task.assignee_id)
        .bind(ts(now))
        .bind(task.due_at.map(ts))
        .execute(&mut **tx)
        .await
        .map_err(db_err("task"))?;
    }
    for key in &step.timers_cancelled {
        sqlx::query(
            "UPDATE timers SET cancelled_at = $3 WHERE instance_id = $1 AND key = $2 \
             AND fired_at IS NULL AND cancelled_at IS NULL",
        )
        .bind(instance_id)
        .bind(key)
        .bind(ts(now))
        .execute(&mut **tx)
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
        .execute(&mut **tx)
        .await
        .map_err(db_err("timer"))?;
    }
    for entry in &step.history {
        sqlx::query(
            "INSERT INTO instance_history (id, instance_id, at, actor, node_id, action, comment, \
             detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id())
        .bind(instance_id)
        .bind(ts(now))
        .bind(&entry.actor)
        .bind(&entry.node_id)
        .bind(&entry.action)
        .bind(&entry.comment)
        .bind(Json(&entry.detail))
        .execute(&mut **tx)
        .await
        .map_err(db_err("timeline entry"))?;
    }
    for note in &step.notifications {
        let mut payload = note.payload.clone();
        if let Some(map) = payload.as_object_mut() {
            map.entry("instance_id")
                .or_insert_with(|| instance_id.into());
            map.entry("record_id").or_insert_with(|| record_id.into());
        }
        sqlx::query(
            "INSERT INTO notifications (id, user_id, kind, payload, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new_id())
        .bind(&note.user_id)
        .bind(&note.kind)
        .bind(Json(&payload))
        .bind(ts(now))
        .execute(&mut **tx)
        .await
        .map_err(db_err("notification"))?;
    }
    for (kind, payload) in &step.outbox {
        sqlx::query(
            "INSERT INTO outbox (id, kind, payload, created_at, available_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(new_id())
        .bind(kind)
        .bind(Json(payload))
        .bind(ts(now))
        .execute(&mut **tx)
        .await
        .map_err(db_err("outbox entry"))?;
    }
    Ok(())
}

impl StoreImpl {
    async fn p_apply_step(
        &self,
        step: formwork_store::StepWrite,
        actor: Option<&str>,
    ) -> StoreResult<formwork_store::Instance> {
        let what = format!("process instance `{}`", step.instance_id);
        let Some(expected) = step.expected_version else {
            return Err(StoreError::Backend(format!(
                "{what}: a step names the version it was computed from; a new instance is \
                 written with its record"
            )));
        };
        let now = step_time(&step);
        let mut tx = begin(self).await?;
        // On PostgreSQL a concurrent step on the same instance waits here for the row lock,
        // then re-checks `version` against the committed row and matches nothing.
        let instance = sqlx::query(concat!(
            "UPDATE process_instances SET state = $3, status = $4, version = version + 1, \
             updated_at = $5 WHERE id = $1 AND version = $2 RETURNING ",
            instance_cols!()
        ))
        .bind(&step.instance_id)
        .bind(expected)
        .bind(Json(&step.state))
        .bind(&step.status)
        .bind(ts(now))
        .fetch_optional(&mut *tx)
        .await
        .and_then(|r| r.as_ref().map(instance_from_row).transpose())
        .map_err(db_err(&what))?;
        let Some(instance) = instance else {
            let current: Option<i64> =
                sqlx::query_scalar("SELECT version FROM process_instances WHERE id = $1")
                    .bind(&step.instance_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err(&what))?;
            return Err(match current {
                None => StoreError::NotFound(what),
                Some(v) => {
                    StoreError::Conflict(format!("{what} is at version {v}, not {expected}"))
                }
            });
        };
        if let Some(key) = &step.decided_task {
            let open = sqlx::query(
                "UPDATE tasks SET status = status WHERE instance_id = $1 AND key = $2 \
                 AND status = 'open'",
            )
            .bind(&instance.id)
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
            .bind(&instance.id)
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
        write_step_rows(&mut tx, &step, &instance.record_id, now).await?;
        if step.record_status.is_some() || step.record_data.is_some() {
            let what = format!("record `{}`", instance.record_id);
            let updated: Option<(i64, String)> = sqlx::query_as(
                "UPDATE records SET status = COALESCE($2, status), data = COALESCE($3, data), \
                 rev = rev + 1, updated_at = $4 WHERE id = $1 AND ($5 IS NULL OR rev = $5) \
                 RETURNING rev, status",
            )
            .bind(&instance.record_id)
            .bind(&step.record_status)
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
            audit(
                &mut tx,
                now,
                actor,
                "record.update",
                &format!("record:{}", instance.record_id),
                serde_json::json!({
                    "rev": rev,
                    "status": status,
                    "diff": diff,
                    "instance": instance.id,
                }),
            )
            .await?;
        }
        commit(tx).await?;
        Ok(instance)
    }

    async fn p_get_instance(&self, id: &str) -> StoreResult<Option<formwork_store::Instance>> {
        sqlx::query(concat!(
            "SELECT ",
            instance_cols!(),
            " FROM process_instances WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await
        .and_then(|r| r.as_ref().map(instance_from_row).transpose())
        .map_err(db_err("process instance"))
    }

    async fn p_instance_for_record(
        &self,
        record_id: &str,
    ) -> StoreResult<Option<formwork_store::Instance>> {
        sqlx::query(concat!(
            "SELECT ",
            instance_cols!(),
            " FROM process_instances WHERE record_id = $1 ORDER BY id DESC LIMIT 1"
        ))
        .bind(record_id)
        .fetch_optional(self.reader())
        .await
        .and_then(|r| r.as_ref().map(instance_from_row).transpose())
        .map_err(db_err("process instance"))
    }

    async fn p_get_task(&self, id: &str) -> StoreResult<Option<formwork_store::Task>> {
        sqlx::query(concat!(
            "SELECT ",
            task_cols!(),
            task_from!(),
            "WHERE t.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await
        .and_then(|r| r.as_ref().map(task_from_row).transpose())
        .map_err(db_err("task"))
    }

    async fn p_tasks_of_instance(
        &self,
        instance_id: &str,
    ) -> StoreResult<Vec<formwork_store::Task>> {
        sqlx::query(concat!(
            "SELECT ",
            task_cols!(),
            task_from!(),
            "WHERE t.instance_id = $1 ORDER BY t.id"
        ))
        .bind(instance_id)
        .fetch_all(self.reader())
        .await
        .and_then(|rows| rows.iter().map(task_from_row).collect())
        .map_err(db_err("tasks"))
    }

    async fn p_list_tasks(
        &self,
        query: &formwork_store::TaskQuery,
    ) -> StoreResult<Vec<formwork_store::Task>> {
        let sql = match query.task_box {
            formwork_store::TaskBox::Todo => concat!(
                "SELECT ",
                task_cols!(),
                task_from!(),
                "WHERE t.assignee_id = $1 AND t.status = 'open' AND ($2 IS NULL OR t.id < $2) \
                 ORDER BY t.id DESC LIMIT $3"
            ),
            formwork_store::TaskBox::Done => concat!(
                "SELECT ",
                task_cols!(),
                task_from!(),
                "WHERE t.decided_by = $1 AND t.status = 'done' AND ($2 IS NULL OR t.id < $2) \
                 ORDER BY t.id DESC LIMIT $3"
            ),
        };
        sqlx::query(sql)
            .bind(&query.user_id)
            .bind(&query.after)
            .bind(i64::from(query.limit))
            .fetch_all(self.reader())
            .await
            .and_then(|rows| rows.iter().map(task_from_row).collect())
            .map_err(db_err("tasks"))
    }

    async fn p_submitted_instances(
        &self,
        user_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<formwork_store::Instance>> {
        sqlx::query(
            "SELECT i.id, i.record_id, i.app_id, i.process_id, i.app_version, i.state, i.status, \
             i.version, i.created_at, i.updated_at \
             FROM records r JOIN process_instances i ON i.record_id = r.id \
             WHERE r.owner_id = $1 AND r.deleted_at IS NULL AND ($2 IS NULL OR r.id < $2) \
             ORDER BY r.id DESC, i.id DESC LIMIT $3",
        )
        .bind(user_id)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await
        .and_then(|rows| rows.iter().map(instance_from_row).collect())
        .map_err(db_err("process instances"))
    }

    async fn p_instance_history(
        &self,
        instance_id: &str,
    ) -> StoreResult<Vec<formwork_store::HistoryRow>> {
        // `at` first: a step may be stamped with an instant other than the host clock's (a
        // timer fired late carries its own time), and ids break ties within one step.
        sqlx::query(
            "SELECT id, instance_id, at, actor, node_id, action, comment, detail \
             FROM instance_history WHERE instance_id = $1 ORDER BY at, id",
        )
        .bind(instance_id)
        .fetch_all(self.reader())
        .await
        .and_then(|rows| rows.iter().map(history_from_row).collect())
        .map_err(db_err("timeline"))
    }

    async fn p_due_timers(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<formwork_store::Timer>> {
        sqlx::query(
            "SELECT id, instance_id, key, kind, fire_at FROM timers \
             WHERE fired_at IS NULL AND cancelled_at IS NULL AND fire_at <= $1 \
             ORDER BY fire_at, id LIMIT $2",
        )
        .bind(ts(now))
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await
        .and_then(|rows| rows.iter().map(timer_from_row).collect())
        .map_err(db_err("timers"))
    }

    async fn p_list_notifications(
        &self,
        user_id: &str,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<formwork_store::Notification>> {
        self.p_list_notifications_of_kind(user_id, None, before, limit)
            .await
    }

    async fn p_list_notifications_of_kind(
        &self,
        user_id: &str,
        kind: Option<&str>,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<formwork_store::Notification>> {
        sqlx::query(
            "SELECT id, user_id, kind, payload, created_at, read_at FROM notifications \
             WHERE user_id = $1 AND ($2 IS NULL OR kind = $2) AND ($3 IS NULL OR id < $3) \
             ORDER BY id DESC LIMIT $4",
        )
        .bind(user_id)
        .bind(kind)
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await
        .and_then(|rows| rows.iter().map(notification_from_row).collect())
        .map_err(db_err("notifications"))
    }

    async fn p_unread_notifications(&self, user_id: &str) -> StoreResult<u32> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(self.reader())
        .await
        .map_err(db_err("notifications"))?;
        Ok(count(n))
    }

    async fn p_mark_notifications_read(&self, user_id: &str, ids: &[String]) -> StoreResult<u64> {
        let now = now();
        if ids.is_empty() {
            return sqlx::query(
                "UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL",
            )
            .bind(user_id)
            .bind(ts(now))
            .execute(self.writer())
            .await
            .map(|done| done.rows_affected())
            .map_err(db_err("notifications"));
        }
        let mut tx = begin(self).await?;
        let mut marked = 0;
        for id in ids {
            marked += sqlx::query(
                "UPDATE notifications SET read_at = $3 WHERE user_id = $1 AND id = $2 \
                 AND read_at IS NULL",
            )
            .bind(user_id)
            .bind(id)
            .bind(ts(now))
            .execute(&mut *tx)
            .await
            .map_err(db_err("notification"))?
            .rows_affected();
        }
        commit(tx).await?;
        Ok(marked)
    }
}
