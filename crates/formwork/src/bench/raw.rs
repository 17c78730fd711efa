//! The physical floor: the same rows written, and the same page read, by plain sqlx
//! transactions on the same database — no validation, permissions, HTTP or JSON API.

use anyhow::Context;
use formwork_runtime::Account;
use formwork_store::new_id;
use serde_json::{Value, json};
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

/// Connections of the raw side, configured like the store's.
pub enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

use super::statements::*;

const APP: &str = "project-registration";
const FORM: &str = "project";
const NODE: &str = "dept_head_approval";
const TASK_KEY: &str = "dept_head_approval#1";
/// The timers the sample's first approval schedules: a reminder and an escalation.
const TIMERS: [(&str, &str, i64); 2] = [
    ("dept_head_approval#1/remind", "reminder", 40),
    ("dept_head_approval#1/escalate", "escalation", 48),
];

/// Writes one raw submission's rows on `$tx` (a connection inside a write transaction); the
/// body is the same for both drivers, only the way an instant is bound differs.
macro_rules! insert_rows {
    ($tx:expr, $id:expr, $owner:expr, $data:expr, $detail:expr, $ts:expr, $now:expr, $process:expr) => {{
        let tx = $tx;
        let at = $ts($now);
        let seq: i64 = sqlx::query_scalar(NEXT_NUMBER)
            .bind(APP)
            .bind(FORM)
            .bind("bench")
            .fetch_one(&mut *tx)
            .await?;
        let status = if $process.is_some() {
            "in_review"
        } else {
            "submitted"
        };
        sqlx::query(INSERT_RECORD)
            .bind($id)
            .bind(APP)
            .bind(FORM)
            .bind(1_i64)
            .bind(format!("RAW-{seq:07}"))
            .bind($owner.id.as_str())
            .bind($owner.department_id.as_ref().map(|d| d.as_str()))
            .bind(status)
            .bind(sqlx::types::Json($data))
            .bind(&at)
            .fetch_one(&mut *tx)
            .await?;
        if let Some((instance, assignee)) = $process {
            start_rows!(tx, $id, instance, $owner, assignee, $ts, $now);
        }
        sqlx::query(INSERT_AUDIT)
            .bind(new_id())
            .bind(&at)
            .bind($owner.id.as_str())
            .bind("record.create")
            .bind(format!("record:{}", $id))
            .bind(sqlx::types::Json($detail))
            .execute(&mut *tx)
            .await?;
    }};
}

/// The list query the store runs for a user who reads their own records, with one text
/// filter; `{region}` is the dialect's expression for `data.region`.
pub const FIRST_PAGE: &str = "SELECT id, app_id, form_id, app_version, number, owner_id, department_id, \
     status, data, rev, created_at, updated_at FROM records \
     WHERE app_id = $1 AND form_id = $2 AND deleted_at IS NULL AND {region} = $3 \
     AND owner_id = $4 ORDER BY id DESC LIMIT $5";

macro_rules! first_page {
    ($pool:expr, $region_expr:expr, $owner:expr, $region:expr, $limit:expr) => {
        sqlx::query(AssertSqlSafe(FIRST_PAGE.replace("{region}", $region_expr)))
            .bind(APP)
            .bind(FORM)
            .bind($region)
            .bind($owner.id.as_str())
            .bind($limit)
            .fetch_all($pool)
            .await?
            .len()
    };
}

/// What a submission with a process writes beyond the record, as the sample app's definition
/// has the store write it: the instance, its first task with its two timers, two timeline
/// rows, the assignee's notification and its outbox row, and the events the app's rules watch
/// (the record created, for its date rule; the task, for its overdue rule).
macro_rules! start_rows {
    ($tx:expr, $record:expr, $instance:expr, $owner:expr, $assignee:expr, $ts:expr, $now:expr) => {{
        let at = $ts($now);
        let state = json!({"status": "running", "tokens": [{"node": NODE}]});
        sqlx::query(INSERT_INSTANCE)
            .bind($instance)
            .bind($record)
            .bind(APP)
            .bind("registration_approval")
            .bind(1_i64)
            .bind(sqlx::types::Json(&state))
            .bind("running")
            .bind(&at)
            .bind(None::<String>)
            .bind(None::<sqlx::types::Json<serde_json::Value>>)
            .execute(&mut *$tx)
            .await?;
        sqlx::query(INSERT_TASK)
            .bind(new_id())
            .bind($instance)
            .bind(TASK_KEY)
            .bind(NODE)
            .bind($assignee)
            .bind(&at)
            .bind($ts($now + time::Duration::hours(48)))
            .bind(1_i64)
            .bind("step")
            .execute(&mut *$tx)
            .await?;
        for (key, kind, hours) in TIMERS {
            sqlx::query(INSERT_TIMER)
                .bind(new_id())
                .bind($instance)
                .bind(key)
                .bind(kind)
                .bind($ts($now + time::Duration::hours(hours)))
                .execute(&mut *$tx)
                .await?;
        }
        for (node, action) in [("start", "started"), (NODE, "task_created")] {
            history!($tx, $instance, &at, $owner.id.as_str(), node, action);
        }
        notify!($tx, $assignee, "task", $record, $instance, &at);
        let event = json!({"app_id": APP, "form_id": FORM, "record_id": $record});
        job!($tx, "record.created", &event, $record, &at, &at);
        let overdue = $ts($now + time::Duration::hours(24));
        job!($tx, "rule.task_overdue", &event, $record, &overdue, &at);
    }};
}

macro_rules! history {
    ($tx:expr, $instance:expr, $at:expr, $actor:expr, $node:expr, $action:expr) => {
        sqlx::query(INSERT_HISTORY)
            .bind(new_id())
            .bind($instance)
            .bind($at)
            .bind($actor)
            .bind($node)
            .bind($action)
            .bind(None::<String>)
            .bind(sqlx::types::Json(json!({})))
            .execute(&mut *$tx)
            .await?
    };
}

macro_rules! notify {
    ($tx:expr, $user:expr, $kind:expr, $record:expr, $instance:expr, $at:expr) => {{
        let payload = json!({"instance_id": $instance, "record_id": $record});
        sqlx::query(INSERT_NOTIFICATION)
            .bind(new_id())
            .bind($user)
            .bind($kind)
            .bind(sqlx::types::Json(&payload))
            .bind($at)
            .execute(&mut *$tx)
            .await?;
        job!($tx, "notify", &payload, $record, $at, $at);
    }};
}

/// An outbox row of `kind`, due at `run_at`.
macro_rules! job {
    ($tx:expr, $kind:expr, $payload:expr, $record:expr, $run_at:expr, $at:expr) => {{
        let id = new_id();
        sqlx::query(INSERT_JOB)
            .bind(&id)
            .bind($kind)
            .bind(sqlx::types::Json($payload))
            .bind(&id)
            .bind($run_at)
            .bind(APP)
            .bind($record)
            .bind(None::<String>)
            .bind($at)
            .execute(&mut *$tx)
            .await?;
    }};
}

/// An approval that ends the instance, with the rows the sample app's definition has the
/// store write: advance the instance (only at the expected version), close the task (only if
/// open), cancel its timers, four timeline rows (decided, step completed, the route taken,
/// ended), the record's status with its audit row, the submitter's two messages (the decision
/// and the end) with their outbox rows, and the event its `process_ended` rule watches.
macro_rules! decide_tx {
    ($tx:expr, $started:expr, $actor:expr, $at:expr) => {{
        let mut tx = $tx;
        let at = $at;
        let (record, instance, owner) = $started;
        let state = json!({"status": {"ended": "approved"}, "tokens": []});
        let advanced = sqlx::query(ADVANCE_INSTANCE)
            .bind(instance)
            .bind(1_i64)
            .bind(sqlx::types::Json(&state))
            .bind("approved")
            .bind(&at)
            .bind(None::<String>)
            .bind(None::<sqlx::types::Json<serde_json::Value>>)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        anyhow::ensure!(advanced == 1, "the raw instance moved on");
        let closed = sqlx::query(CLOSE_TASK)
            .bind(instance)
            .bind(TASK_KEY)
            .bind("done")
            .bind("approve")
            .bind($actor.id.as_str())
            .bind(None::<String>)
            .bind(&at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        anyhow::ensure!(closed == 1, "the raw task was not open");
        for (key, _, _) in TIMERS {
            sqlx::query(CANCEL_TIMER)
                .bind(instance)
                .bind(key)
                .bind(&at)
                .execute(&mut *tx)
                .await?;
        }
        for (node, action) in [
            (NODE, "decided"),
            (NODE, "step_completed"),
            ("route_region", "condition_taken"),
            ("approved", "ended"),
        ] {
            history!(tx, instance, &at, $actor.id.as_str(), node, action);
        }
        sqlx::query(FINISH_RECORD)
            .bind(record)
            .bind("approved")
            .bind(None::<sqlx::types::Json<Value>>)
            .bind(&at)
            .bind(None::<i64>)
            .fetch_optional(&mut *tx)
            .await?;
        sqlx::query(INSERT_AUDIT)
            .bind(new_id())
            .bind(&at)
            .bind($actor.id.as_str())
            .bind("record.update")
            .bind(format!("record:{record}"))
            .bind(sqlx::types::Json(json!({"status": "approved", "instance": instance})))
            .execute(&mut *tx)
            .await?;
        notify!(tx, owner, "decision", record, instance, &at);
        notify!(tx, owner, "ended", record, instance, &at);
        let event = json!({"app_id": APP, "instance_id": instance, "record_id": record});
        job!(tx, "process.ended", &event, record, &at, &at);
        tx.commit().await?;
    }};
}

/// Ids of a raw submission with a process: (record, instance, owner).
pub type Started = (String, String, String);

impl Pool {
    /// Writes a record as a submission does; with `assignee`, also starts its process.
    pub async fn insert_record(
        &self,
        owner: &Account,
        data: &Value,
        assignee: Option<&str>,
    ) -> anyhow::Result<Started> {
        let id = new_id();
        let instance = new_id();
        let now = OffsetDateTime::now_utc();
        let detail = json!({"data": data});
        let process = assignee.map(|a| (&instance, a));
        match self {
            Pool::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let ts = formwork_store_sqlite::timestamp_text;
                insert_rows!(&mut *tx, &id, owner, data, &detail, ts, now, process);
                tx.commit().await?;
            }
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let ts = std::convert::identity;
                insert_rows!(&mut *tx, &id, owner, data, &detail, ts, now, process);
                tx.commit().await?;
            }
        }
        Ok((id, instance, owner.id.to_string()))
    }

    /// Writes plain submissions (no process) of `owner`, `per_tx` to a transaction: with all
    /// of a transaction's statements on one connection, this is the most a single writer
    /// running the same statements can take, the ceiling of group commit.
    pub async fn insert_batches(
        &self,
        owner: &Account,
        datas: &[Value],
        per_tx: usize,
    ) -> anyhow::Result<()> {
        for chunk in datas.chunks(per_tx.max(1)) {
            let now = OffsetDateTime::now_utc();
            match self {
                Pool::Sqlite(pool) => {
                    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                    let ts = formwork_store_sqlite::timestamp_text;
                    for data in chunk {
                        let detail = json!({"data": data});
                        let (id, none) = (new_id(), None::<(&String, &str)>);
                        insert_rows!(&mut *tx, &id, owner, data, &detail, ts, now, none);
                    }
                    tx.commit().await?;
                }
                Pool::Postgres(pool) => {
                    let mut tx = pool.begin().await?;
                    let ts = std::convert::identity;
                    for data in chunk {
                        let detail = json!({"data": data});
                        let (id, none) = (new_id(), None::<(&String, &str)>);
                        insert_rows!(&mut *tx, &id, owner, data, &detail, ts, now, none);
                    }
                    tx.commit().await?;
                }
            }
        }
        Ok(())
    }

    /// Approves the open task of a raw submission, ending its instance.
    pub async fn decide(&self, started: &Started, actor: &Account) -> anyhow::Result<()> {
        let now = OffsetDateTime::now_utc();
        let ids = (&started.0, &started.1, &started.2);
        match self {
            Pool::Sqlite(pool) => decide_tx!(
                pool.begin_with("BEGIN IMMEDIATE").await?,
                ids,
                actor,
                formwork_store_sqlite::timestamp_text(now)
            ),
            Pool::Postgres(pool) => decide_tx!(pool.begin().await?, ids, actor, now),
        }
        Ok(())
    }

    /// The filtered first page the list API serves to `owner` (own records, one region),
    /// newest first; returns how many rows came back.
    pub async fn first_page(
        &self,
        owner: &Account,
        region: &str,
        limit: i64,
    ) -> anyhow::Result<usize> {
        Ok(match self {
            Pool::Sqlite(pool) => {
                first_page!(pool, "json_extract(data, '$.region')", owner, region, limit)
            }
            Pool::Postgres(pool) => {
                first_page!(
                    pool,
                    "((data ->> 'region') COLLATE \"C\")",
                    owner,
                    region,
                    limit
                )
            }
        })
    }

    /// The newest record id of `app` so far.
    pub async fn last_record_id(&self, app: &str) -> anyhow::Result<String> {
        const SQL: &str = "SELECT MAX(id) FROM records WHERE app_id = $1";
        let id: Option<String> = match self {
            Pool::Sqlite(pool) => sqlx::query_scalar(SQL).bind(app).fetch_one(pool).await?,
            Pool::Postgres(pool) => sqlx::query_scalar(SQL).bind(app).fetch_one(pool).await?,
        };
        id.context("no records seeded")
    }

    /// Runs one of the dataset's copy statements for copies `first..=last` of the records of
    /// `app` up to `last_template`, with the dialect's SQL for its `{hex}`, `{ended}`,
    /// `{decided}` and `{finished}`.
    pub async fn copy(
        &self,
        sql: &str,
        first: usize,
        last: usize,
        app: &str,
        last_template: &str,
    ) -> anyhow::Result<()> {
        let (first, last) = (i64::try_from(first)?, i64::try_from(last)?);
        macro_rules! run {
            ($pool:expr, $hex:literal, $ended:literal, $decided:literal, $finished:literal) => {{
                let sql = sql
                    .replace("{finished}", $finished)
                    .replace("{hex}", $hex)
                    .replace("{ended}", $ended)
                    .replace("{decided}", $decided)
                    .replace("{outcome}", super::dataset::OUTCOME)
                    .replace("{cost}", super::dataset::COST_CENTS);
                sqlx::query(AssertSqlSafe(sql))
                    .bind(first)
                    .bind(last)
                    .bind(app)
                    .bind(last_template)
                    .execute($pool)
                    .await?;
            }};
        }
        match self {
            Pool::Sqlite(pool) => run!(
                pool,
                "printf('%08x', k.n)",
                "json_set(json_remove(i.state, '$.tokens'), '$.decided', json('true'), \
                 '$.status', json_object('state', 'ended', 'outcome', {outcome}))",
                "strftime('%Y-%m-%dT%H:%M:%S', t.created_at, \
                 '+' || ((k.n * 13) % 97) || ' hours') || substr(t.created_at, 20)",
                "CASE WHEN r.status = 'in_review' AND k.n % 8 <> 0 THEN json_set(r.data, \
                 '$.actual_end_date', date(json_extract(r.data, '$.end_date'), \
                 printf('%+d days', (k.n * 7) % 61 - 30)), '$.actual_cost', \
                 printf('%d.%02d', {cost} / 100, {cost} % 100)) ELSE r.data END"
            ),
            Pool::Postgres(pool) => run!(
                pool,
                "lpad(to_hex(k.n), 8, '0')",
                "(i.state - 'tokens') || jsonb_build_object('decided', true, \
                 'status', jsonb_build_object('state', 'ended', 'outcome', {outcome}))",
                "t.created_at + ((k.n * 13) % 97) * interval '1 hour'",
                "CASE WHEN r.status = 'in_review' AND k.n % 8 <> 0 THEN r.data || \
                 jsonb_build_object('actual_end_date', to_char(CAST(r.data ->> 'end_date' AS date) \
                 + CAST((k.n * 7) % 61 - 30 AS integer), 'YYYY-MM-DD'), 'actual_cost', \
                 to_char({cost} / 100.0, 'FM9999999999990.00')) ELSE r.data END"
            ),
        };
        Ok(())
    }

    /// The PostgreSQL backends serving Formwork's own pool (none on SQLite).
    pub async fn formwork_backends(&self) -> anyhow::Result<Vec<i32>> {
        Ok(match self {
            Pool::Sqlite(_) => Vec::new(),
            Pool::Postgres(pool) => {
                sqlx::query_scalar(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
                     AND application_name = 'formwork'",
                )
                .fetch_all(pool)
                .await?
            }
        })
    }

    /// How many rows `table` holds (a name of ours, never input).
    pub async fn count(&self, table: &str) -> anyhow::Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        Ok(match self {
            Pool::Sqlite(pool) => {
                sqlx::query_scalar(AssertSqlSafe(sql))
                    .fetch_one(pool)
                    .await?
            }
            Pool::Postgres(pool) => {
                sqlx::query_scalar(AssertSqlSafe(sql))
                    .fetch_one(pool)
                    .await?
            }
        })
    }

    /// Refreshes the planner's statistics, as autovacuum (PostgreSQL) or a periodic
    /// `ANALYZE` (SQLite) would on a live database, so plans after bulk seeding are realistic.
    pub async fn analyze(&self) -> anyhow::Result<()> {
        match self {
            Pool::Sqlite(pool) => {
                sqlx::query("ANALYZE").execute(pool).await?;
                // A live database checkpoints as it goes; after a bulk copy the log holds
                // every copied page until it does, and each read searches it.
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(pool)
                    .await?;
            }
            Pool::Postgres(pool) => {
                // Autovacuum also marks the bulk-written pages all-visible (PostgreSQL 13+
                // vacuums after inserts), which is what lets an index-only scan skip the heap.
                sqlx::query("VACUUM (ANALYZE)").execute(pool).await?;
            }
        }
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}
