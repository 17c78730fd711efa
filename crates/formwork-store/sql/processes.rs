//! `ProcessStore`: applying steps, and reading instances, tasks, timelines, timers and
//! notifications.

use async_trait::async_trait;
use formwork_store::{
    HistoryRow, Instance, InstanceFilter, InstanceId, InstanceQuery, InstanceRestart, Notification,
    NotificationId, NotificationQuery, ProcessStore, Record, RecordId, StepWrite, StoreResult,
    Task, TaskBox, TaskId, TaskQuery, Timer, UserId,
};
use time::OffsetDateTime;

use super::Driver as _;
use super::{begin, commit, count, db_err, now, rows, steps, text, ts};
use crate::StoreImpl;
use sqlx::AssertSqlSafe;

/// Instances with their records (not deleted), up to the condition on `i` that follows.
macro_rules! on_records {
    () => {
        concat!(
            "SELECT ",
            instance_cols_i!(),
            ", ",
            record_cols_r!(),
            " FROM process_instances i JOIN records r ON r.id = i.record_id \
             WHERE r.deleted_at IS NULL AND "
        )
    };
}

/// An instance's tasks, oldest first.
const TASKS_OF_INSTANCE: &str = concat!(task_select!(), "WHERE t.instance_id = $1 ORDER BY t.id");

fn instance_record(row: super::DbRow) -> rows::Mapped<(Instance, Record)> {
    instance_record_of(&row)
}

fn task_on_record(row: super::DbRow) -> rows::Mapped<(Task, Instance, Record)> {
    let (instance, record) = instance_record_of(&row)?;
    Ok((rows::task(row)?, instance, record))
}

fn instance_record_of(row: &super::DbRow) -> rows::Mapped<(Instance, Record)> {
    Ok((rows::instance_at(row, "i_")?, rows::record_at(row, "r_")?))
}

#[async_trait]
impl ProcessStore for StoreImpl {
    async fn apply_step(&self, step: StepWrite, actor: Option<&UserId>) -> StoreResult<Instance> {
        let actor = actor.cloned();
        self.write(move |conn| {
            Box::pin(async move { steps::apply(conn, &step, actor.as_ref()).await })
        })
        .await
    }

    async fn apply_step_with_tasks(
        &self,
        step: StepWrite,
        actor: Option<&UserId>,
    ) -> StoreResult<(Instance, Vec<Task>)> {
        let actor = actor.cloned();
        self.write(move |conn| {
            Box::pin(async move {
                let instance = steps::apply(conn, &step, actor.as_ref()).await?;
                let tasks = sqlx::query(TASKS_OF_INSTANCE)
                    .bind(instance.id.as_str())
                    .try_map(rows::task)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(db_err("tasks"))?;
                Ok((instance, tasks))
            })
        })
        .await
    }

    async fn instance_on_record(&self, id: &InstanceId) -> StoreResult<Option<(Instance, Record)>> {
        const SQL: &str = concat!(on_records!(), "i.id = $1");
        self.row_by(SQL, id.as_str(), instance_record, "process instance")
            .await
    }

    async fn instances_on_records(
        &self,
        ids: &[InstanceId],
    ) -> StoreResult<Vec<(Instance, Record)>> {
        const SQL: &str = concat!(on_records!(), "i.id IN ");
        let ids: Vec<&str> = ids.iter().map(InstanceId::as_str).collect();
        self.rows_in(SQL, &ids, instance_record, "process instances")
            .await
    }

    async fn task_on_record(&self, id: &TaskId) -> StoreResult<Option<(Task, Instance, Record)>> {
        const SQL: &str = concat!(
            "SELECT ",
            task_cols!(),
            ", ",
            instance_cols_i!(),
            ", ",
            record_cols_r!(),
            " FROM tasks t JOIN process_instances i ON i.id = t.instance_id \
             JOIN records r ON r.id = i.record_id WHERE t.id = $1 AND r.deleted_at IS NULL"
        );
        self.row_by(SQL, id.as_str(), task_on_record, "task").await
    }

    async fn get_instance(&self, id: &InstanceId) -> StoreResult<Option<Instance>> {
        let sql = select_by!(instance_cols, "process_instances", "id");
        self.row_by(sql, id.as_str(), rows::instance, "process instance")
            .await
    }

    async fn get_instances(&self, ids: &[InstanceId]) -> StoreResult<Vec<Instance>> {
        const SQL: &str = concat!(
            "SELECT ",
            instance_cols!(),
            " FROM process_instances WHERE id IN "
        );
        let ids: Vec<&str> = ids.iter().map(InstanceId::as_str).collect();
        self.rows_in(SQL, &ids, rows::instance, "process instances")
            .await
    }

    async fn instance_for_record(&self, record_id: &RecordId) -> StoreResult<Option<Instance>> {
        const SQL: &str = concat!(
            "SELECT ",
            instance_cols!(),
            " FROM process_instances WHERE record_id = $1 ORDER BY id DESC LIMIT 1"
        );
        self.row_by(SQL, record_id.as_str(), rows::instance, "process instance")
            .await
    }

    async fn instances_of_record(&self, record_id: &RecordId) -> StoreResult<Vec<Instance>> {
        const SQL: &str = concat!(
            "SELECT ",
            instance_cols!(),
            " FROM process_instances WHERE record_id = $1 ORDER BY id"
        );
        self.rows(
            sqlx::query(SQL).bind(record_id.as_str()),
            rows::instance,
            "process instances",
        )
        .await
    }

    async fn restart_on_record(
        &self,
        restart: InstanceRestart,
        actor: &UserId,
    ) -> StoreResult<Record> {
        let now = steps::apply_time(&restart.instance.step);
        let mut tx = begin(self).await?;
        let record = steps::restart_on_record(&mut tx, &restart, actor, now).await?;
        commit(tx).await?;
        Ok(record)
    }

    async fn get_task(&self, id: &TaskId) -> StoreResult<Option<Task>> {
        const SQL: &str = concat!(task_select!(), "WHERE t.id = $1");
        self.row_by(SQL, id.as_str(), rows::task, "task").await
    }

    async fn tasks_of_instance(&self, instance_id: &InstanceId) -> StoreResult<Vec<Task>> {
        self.rows_by(TASKS_OF_INSTANCE, instance_id.as_str(), rows::task, "tasks")
            .await
    }

    async fn list_tasks(&self, query: &TaskQuery) -> StoreResult<Vec<Task>> {
        // One statement per box, not one with an `OR`: each must walk its own index in order.
        // The first page and the next ones are separate statements, and the page size is a
        // literal: with `$2 IS NULL OR …` and `LIMIT $3` PostgreSQL's generic plan looked
        // dearer than a fresh one and every inbox page was planned again (0.25 ms of 1.8).
        let (first, next) = match query.task_box {
            TaskBox::Todo => (
                "WHERE t.assignee_id = $1 AND t.status = 'open' ORDER BY t.id DESC LIMIT ",
                "WHERE t.assignee_id = $1 AND t.status = 'open' AND t.id < $2 \
                 ORDER BY t.id DESC LIMIT ",
            ),
            // The cursor task keeps its deadline once decided, so a page decided meanwhile
            // still marks where the next one starts.
            TaskBox::TodoByDeadline => (
                "WHERE t.assignee_id = $1 AND t.status = 'open' \
                 ORDER BY CASE WHEN t.due_at IS NULL THEN 1 ELSE 0 END, t.due_at, t.id LIMIT ",
                "WHERE t.assignee_id = $1 AND t.status = 'open' AND EXISTS (\
                 SELECT 1 FROM tasks c WHERE c.id = $2 AND (\
                   (c.due_at IS NOT NULL AND (t.due_at IS NULL OR t.due_at > c.due_at \
                      OR (t.due_at = c.due_at AND t.id > c.id))) \
                   OR (c.due_at IS NULL AND t.due_at IS NULL AND t.id > c.id))) \
                 ORDER BY CASE WHEN t.due_at IS NULL THEN 1 ELSE 0 END, t.due_at, t.id LIMIT ",
            ),
            TaskBox::Done => (
                "WHERE t.decided_by = $1 AND t.status = 'done' ORDER BY t.id DESC LIMIT ",
                "WHERE t.decided_by = $1 AND t.status = 'done' AND t.id < $2 \
                 ORDER BY t.id DESC LIMIT ",
            ),
        };
        let condition = if query.after.is_some() { next } else { first };
        let sql = format!("{}{condition}{}", task_select!(), query.limit);
        let mut statement = sqlx::query(AssertSqlSafe(sql)).bind(query.user_id.as_str());
        if let Some(after) = &query.after {
            statement = statement.bind(after.as_str());
        }
        self.rows(statement, rows::task, "tasks").await
    }

    async fn submitted_instances(
        &self,
        user_id: &UserId,
        after: Option<&RecordId>,
        limit: u32,
    ) -> StoreResult<Vec<Instance>> {
        self.rows(sqlx::query(
            "SELECT i.id, i.record_id, i.app_id, i.process_id, i.app_version, i.state, i.status, \
             i.version, i.stopped_node, i.proposed_changes, i.created_at, i.updated_at \
             FROM records r JOIN process_instances i ON i.record_id = r.id \
             WHERE r.owner_id = $1 AND r.deleted_at IS NULL AND ($2 IS NULL OR r.id < $2) \
             AND i.id = (SELECT MAX(l.id) FROM process_instances l WHERE l.record_id = r.id) \
             ORDER BY r.id DESC LIMIT $3",
        )
        .bind(user_id.as_str())
        .bind(after.map(RecordId::as_str))
        .bind(i64::from(limit)),
            rows::instance,
            "process instances",
        )
        .await
    }

    async fn list_instances(&self, query: &InstanceQuery) -> StoreResult<Vec<Instance>> {
        // One statement per filter, each walking `(status, id)` in order; the node and
        // assignee filters are semi-joins on the instance's open tasks.
        macro_rules! page {
            ($where:literal) => {
                concat!(
                    "SELECT ",
                    instance_cols!(),
                    " FROM process_instances i WHERE i.status = $1 ",
                    $where,
                    "AND ($2 IS NULL OR i.app_id = $2) AND ($3 IS NULL OR i.process_id = $3) \
                     AND ($4 IS NULL OR i.stopped_node = $4 OR EXISTS (SELECT 1 FROM tasks n \
                          WHERE n.instance_id = i.id AND n.status = 'open' AND n.node_id = $4)) \
                     AND ($5 IS NULL OR EXISTS (SELECT 1 FROM tasks a WHERE a.instance_id = i.id \
                          AND a.status = 'open' AND a.assignee_id = $5)) \
                     AND ($6 IS NULL OR i.id < $6) \
                     AND EXISTS (SELECT 1 FROM records r WHERE r.id = i.record_id \
                          AND r.deleted_at IS NULL) \
                     ORDER BY i.id DESC LIMIT $7"
                )
            };
        }
        let (status, sql) = match query.filter {
            InstanceFilter::Running => ("running", page!("")),
            InstanceFilter::Stopped => ("stopped", page!("")),
            InstanceFilter::Overdue => (
                "running",
                page!(
                    "AND EXISTS (SELECT 1 FROM tasks d WHERE d.instance_id = i.id \
                     AND d.status = 'open' AND d.due_at < $8) "
                ),
            ),
        };
        let mut q = sqlx::query(sql)
            .bind(status)
            .bind(text(&query.app_id))
            .bind(text(&query.process_id))
            .bind(&query.node_id)
            .bind(text(&query.assignee_id))
            .bind(text(&query.after))
            .bind(i64::from(query.limit));
        if query.filter == InstanceFilter::Overdue {
            q = q.bind(ts(query.now));
        }
        self.rows(q, rows::instance, "process instances").await
    }

    async fn instance_history(&self, instance_id: &InstanceId) -> StoreResult<Vec<HistoryRow>> {
        // `at` first: a step may be stamped with an instant other than the host clock's (a
        // timer fired late carries its own time), and ids break ties within one step.
        const SQL: &str = "SELECT id, instance_id, at, actor, node_id, action, comment, detail \
                           FROM instance_history WHERE instance_id = $1 ORDER BY at, id";
        self.rows_by(SQL, instance_id.as_str(), rows::history, "timeline")
            .await
    }

    async fn due_timers(&self, now: OffsetDateTime, limit: u32) -> StoreResult<Vec<Timer>> {
        self.rows(
            sqlx::query(
                "SELECT id, instance_id, key, kind, fire_at FROM timers \
             WHERE COALESCE(fired_at, cancelled_at) IS NULL AND fire_at <= $1 \
             ORDER BY fire_at, id LIMIT $2",
            )
            .bind(ts(now))
            .bind(i64::from(limit)),
            rows::timer,
            "timers",
        )
        .await
    }

    async fn list_notifications(
        &self,
        query: &NotificationQuery,
    ) -> StoreResult<Vec<Notification>> {
        self.rows(
            sqlx::query(
                "SELECT id, user_id, kind, payload, created_at, read_at FROM notifications \
             WHERE user_id = $1 AND ($2 IS NULL OR kind = $2) AND ($3 IS NULL OR id < $3) \
             ORDER BY id DESC LIMIT $4",
            )
            .bind(query.user_id.as_str())
            .bind(&query.kind)
            .bind(text(&query.before))
            .bind(i64::from(query.limit)),
            rows::notification,
            "notifications",
        )
        .await
    }

    async fn unread_notifications(&self, user_id: &UserId) -> StoreResult<u32> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(user_id.as_str())
        .fetch_one(self.reader())
        .await
        .map_err(db_err("notifications"))?;
        Ok(count(n))
    }

    async fn mark_notifications_read(
        &self,
        user_id: &UserId,
        ids: &[NotificationId],
    ) -> StoreResult<u64> {
        let now = now();
        let sql = "UPDATE notifications SET read_at = $3 WHERE user_id = $1 \
                   AND ($2 IS NULL OR id = $2) AND read_at IS NULL";
        let mut tx = begin(self).await?;
        let mut marked = 0;
        // No ids means all of them: one statement with `$2` null.
        let targets: Vec<Option<&str>> = if ids.is_empty() {
            vec![None]
        } else {
            ids.iter().map(|id| Some(id.as_str())).collect()
        };
        for id in targets {
            marked += sqlx::query(sql)
                .bind(user_id.as_str())
                .bind(id)
                .bind(ts(now))
                .execute(&mut *tx)
                .await
                .map_err(db_err("notifications"))?
                .rows_affected();
        }
        commit(tx).await?;
        Ok(marked)
    }
}
