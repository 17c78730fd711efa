//! The physical floor: the same rows written, and the same page read, by plain sqlx
//! transactions on the same database — no validation, permissions, HTTP or JSON API.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use formwork_runtime::Account;
use formwork_store::new_id;
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, ConnectOptions, Executor};
use time::OffsetDateTime;

/// A fresh benchmark database.
pub enum Target {
    Sqlite {
        dir: PathBuf,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
        dir: PathBuf,
    },
}

impl Target {
    pub fn sqlite() -> anyhow::Result<Target> {
        let dir = std::env::temp_dir().join(format!("formwork-bench-{}", uuid_simple()));
        std::fs::create_dir_all(&dir)?;
        let url = format!("sqlite://{}/bench.db", dir.display());
        Ok(Target::Sqlite { dir, url })
    }

    pub async fn postgres(admin_url: &str) -> anyhow::Result<Target> {
        let name = format!("formwork_bench_{}", uuid_simple());
        let mut admin = PgConnectOptions::from_str(admin_url)?
            .connect()
            .await
            .with_context(|| {
                format!(
                    "connecting to {admin_url} (set FORMWORK_BENCH_PG_URL or pass --sqlite-only)"
                )
            })?;
        admin
            .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await?;
        let url = PgConnectOptions::from_str(admin_url)?
            .database(&name)
            .to_url_lossy()
            .to_string();
        let dir = std::env::temp_dir().join(format!("formwork-bench-{name}"));
        std::fs::create_dir_all(&dir)?;
        Ok(Target::Postgres {
            admin_url: admin_url.to_owned(),
            name,
            url,
            dir,
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Target::Sqlite { .. } => "SQLite (embedded, WAL, synchronous=FULL)",
            Target::Postgres { .. } => "PostgreSQL",
        }
    }

    pub fn url(&self) -> &str {
        match self {
            Target::Sqlite { url, .. } | Target::Postgres { url, .. } => url,
        }
    }

    pub fn files_dir(&self) -> PathBuf {
        match self {
            Target::Sqlite { dir, .. } | Target::Postgres { dir, .. } => dir.join("files"),
        }
    }

    /// A pool configured like the store's (same pragmas), for the raw side.
    pub async fn pool(&self) -> anyhow::Result<Pool> {
        Ok(match self {
            Target::Sqlite { url, .. } => {
                let options = SqliteConnectOptions::from_str(url)?
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true);
                Pool::Sqlite(
                    SqlitePoolOptions::new()
                        .max_connections(1)
                        .connect_with(options)
                        .await?,
                )
            }
            Target::Postgres { url, .. } => {
                Pool::Postgres(PgPoolOptions::new().max_connections(2).connect(url).await?)
            }
        })
    }

    pub async fn drop_database(&self) -> anyhow::Result<()> {
        match self {
            Target::Sqlite { dir, .. } => {
                std::fs::remove_dir_all(dir).ok();
            }
            Target::Postgres {
                admin_url,
                name,
                dir,
                ..
            } => {
                std::fs::remove_dir_all(dir).ok();
                let mut admin = PgConnectOptions::from_str(admin_url)?.connect().await?;
                admin
                    .execute(AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .await?;
            }
        }
        Ok(())
    }
}

fn uuid_simple() -> String {
    new_id().replace('-', "")
}

pub enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

// The same statements the store runs for a record: take the next number, insert the record,
// write its audit row — in one transaction.
const NEXT_NUMBER: &str = "INSERT INTO number_sequences (app_id, form_id, scope, next_value) \
     VALUES ('project-registration', 'project', 'bench', 2) \
     ON CONFLICT (app_id, form_id, scope) DO UPDATE SET next_value = number_sequences.next_value + 1 \
     RETURNING next_value - 1";
const INSERT_RECORD: &str = "INSERT INTO records (id, app_id, form_id, app_version, number, owner_id, \
     department_id, status, data, rev, created_at, updated_at) \
     VALUES ($1, 'project-registration', 'project', 1, $2, $3, $4, 'submitted', $5, 1, $6, $6)";
const INSERT_AUDIT: &str = "INSERT INTO audit_log (id, at, actor, action, subject, detail) \
     VALUES ($1, $2, $3, 'record.create', $4, $5)";

/// Runs one raw insert transaction; the body is the same for both drivers, only the way a
/// write transaction begins and an instant is bound differ.
macro_rules! insert_tx {
    ($tx:expr, $id:expr, $owner:expr, $data:expr, $detail:expr, $at:expr, $process:expr) => {{
        let mut tx = $tx;
        let seq: i64 = sqlx::query_scalar(NEXT_NUMBER).fetch_one(&mut *tx).await?;
        sqlx::query(INSERT_RECORD)
            .bind($id)
            .bind(format!("RAW-{seq:07}"))
            .bind($owner.id.as_str())
            .bind($owner.department_id.as_ref().map(|d| d.as_str()))
            .bind(sqlx::types::Json($data))
            .bind($at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(INSERT_AUDIT)
            .bind(new_id())
            .bind($at)
            .bind($owner.id.as_str())
            .bind(format!("record:{}", $id))
            .bind(sqlx::types::Json($detail))
            .execute(&mut *tx)
            .await?;
        if let Some((instance, assignee)) = $process {
            start_rows!(tx, $id, instance, $owner, assignee, $at);
        }
        tx.commit().await?;
    }};
}

/// The list query the store runs for a user who reads their own records, with one text
/// filter; `{region}` is the dialect's expression for `data.region`.
const FIRST_PAGE: &str = "SELECT id, app_id, form_id, app_version, number, owner_id, department_id, \
     status, data, rev, created_at, updated_at FROM records \
     WHERE app_id = $1 AND form_id = $2 AND deleted_at IS NULL AND {region} = $3 \
     AND owner_id = $4 ORDER BY id DESC LIMIT $5";

macro_rules! first_page {
    ($pool:expr, $region_expr:expr, $owner:expr, $region:expr, $limit:expr) => {
        sqlx::query(AssertSqlSafe(FIRST_PAGE.replace("{region}", $region_expr)))
            .bind("project-registration")
            .bind("project")
            .bind($region)
            .bind($owner.id.as_str())
            .bind($limit)
            .fetch_all($pool)
            .await?
            .len()
    };
}

const INSERT_INSTANCE: &str = "INSERT INTO process_instances (id, record_id, app_id, process_id, \
     app_version, state, status, version, created_at, updated_at) \
     VALUES ($1, $2, 'project-registration', 'registration_approval', 1, $3, 'running', 1, $4, $4)";
const INSERT_TASK: &str = "INSERT INTO tasks (id, instance_id, key, node_id, assignee_id, status, created_at) \
     VALUES ($1, $2, 'dept_head_approval#1', 'dept_head_approval', $3, 'open', $4)";
const INSERT_HISTORY: &str = "INSERT INTO instance_history (id, instance_id, at, actor, node_id, action, detail) \
     VALUES ($1, $2, $3, $4, $5, $6, '{}')";
const INSERT_NOTIFICATION: &str = "INSERT INTO notifications (id, user_id, kind, payload, created_at) \
     VALUES ($1, $2, $3, $4, $5)";
const INSERT_OUTBOX: &str = "INSERT INTO jobs (id, kind, payload, event_id, state, attempts, \
     run_at, created_at, updated_at) VALUES ($1, 'notify', $2, $1, 'pending', 0, $3, $3, $3) \
     ON CONFLICT (event_id) DO NOTHING";
const CLOSE_TASK: &str = "UPDATE tasks SET status = 'done', action = 'approve', decided_by = $1, \
     decided_at = $2 WHERE instance_id = $3 AND key = 'dept_head_approval#1' AND status = 'open'";
const ADVANCE_INSTANCE: &str = "UPDATE process_instances SET state = $1, status = 'approved', \
     version = version + 1, updated_at = $2 WHERE id = $3 AND version = 1";
const FINISH_RECORD: &str = "UPDATE records SET status = 'approved', rev = rev + 1, updated_at = $1 \
     WHERE id = $2";

/// What a submission with a process writes beyond the record: the instance, its first task,
/// two timeline rows, the assignee's notification and its outbox row.
macro_rules! start_rows {
    ($tx:expr, $record:expr, $instance:expr, $owner:expr, $assignee:expr, $at:expr) => {{
        let state = json!({"status": "running", "tokens": [{"node": "dept_head_approval"}]});
        sqlx::query(INSERT_INSTANCE)
            .bind($instance)
            .bind($record)
            .bind(sqlx::types::Json(&state))
            .bind($at)
            .execute(&mut *$tx)
            .await?;
        sqlx::query(INSERT_TASK)
            .bind(new_id())
            .bind($instance)
            .bind($assignee)
            .bind($at)
            .execute(&mut *$tx)
            .await?;
        for (node, action) in [("start", "started"), ("dept_head_approval", "task_created")] {
            sqlx::query(INSERT_HISTORY)
                .bind(new_id())
                .bind($instance)
                .bind($at)
                .bind($owner.id.as_str())
                .bind(node)
                .bind(action)
                .execute(&mut *$tx)
                .await?;
        }
        notify!($tx, $assignee, "task", $instance, $at);
    }};
}

macro_rules! notify {
    ($tx:expr, $user:expr, $kind:expr, $instance:expr, $at:expr) => {{
        let payload = json!({"instance_id": $instance});
        sqlx::query(INSERT_NOTIFICATION)
            .bind(new_id())
            .bind($user)
            .bind($kind)
            .bind(sqlx::types::Json(&payload))
            .bind($at)
            .execute(&mut *$tx)
            .await?;
        sqlx::query(INSERT_OUTBOX)
            .bind(new_id())
            .bind(sqlx::types::Json(&payload))
            .bind($at)
            .execute(&mut *$tx)
            .await?;
    }};
}

/// An approval that ends the instance: close the task (only if open), advance the instance
/// (only at the expected version), two timeline rows, the record's status, one notification.
macro_rules! decide_tx {
    ($tx:expr, $started:expr, $actor:expr, $at:expr) => {{
        let mut tx = $tx;
        let (record, instance, owner) = $started;
        let closed = sqlx::query(CLOSE_TASK)
            .bind($actor.id.as_str())
            .bind($at)
            .bind(instance)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        anyhow::ensure!(closed == 1, "the raw task was not open");
        let state = json!({"status": {"ended": "approved"}, "tokens": []});
        sqlx::query(ADVANCE_INSTANCE)
            .bind(sqlx::types::Json(&state))
            .bind($at)
            .bind(instance)
            .execute(&mut *tx)
            .await?;
        for (node, action) in [("dept_head_approval", "approve"), ("approved", "ended")] {
            sqlx::query(INSERT_HISTORY)
                .bind(new_id())
                .bind(instance)
                .bind($at)
                .bind($actor.id.as_str())
                .bind(node)
                .bind(action)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(FINISH_RECORD).bind($at).bind(record).execute(&mut *tx).await?;
        notify!(tx, owner, "decision", instance, $at);
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
            Pool::Sqlite(pool) => insert_tx!(
                pool.begin_with("BEGIN IMMEDIATE").await?,
                &id,
                owner,
                data,
                &detail,
                formwork_store_sqlite::timestamp_text(now),
                process
            ),
            Pool::Postgres(pool) => {
                insert_tx!(pool.begin().await?, &id, owner, data, &detail, now, process)
            }
        }
        Ok((id, instance, owner.id.to_string()))
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

    /// Refreshes the planner's statistics, as autovacuum (PostgreSQL) or a periodic
    /// `ANALYZE` (SQLite) would on a live database, so plans after bulk seeding are realistic.
    pub async fn analyze(&self) -> anyhow::Result<()> {
        match self {
            Pool::Sqlite(pool) => {
                sqlx::query("ANALYZE").execute(pool).await?;
            }
            Pool::Postgres(pool) => {
                sqlx::query("ANALYZE").execute(pool).await?;
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
