//! The physical floor: the same rows written, and the same page read, by plain sqlx
//! transactions on the same database — no validation, permissions, HTTP or JSON API.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use formwork_store::{User, new_id};
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, ConnectOptions, Executor};
use time::OffsetDateTime;

/// A fresh benchmark database.
pub enum Target {
    Sqlite { dir: PathBuf, url: String },
    Postgres { admin_url: String, name: String, url: String, dir: PathBuf },
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
            .with_context(|| format!("connecting to {admin_url} (set FORMWORK_BENCH_PG_URL or pass --sqlite-only)"))?;
        admin
            .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await?;
        let url = PgConnectOptions::from_str(admin_url)?
            .database(&name)
            .to_url_lossy()
            .to_string();
        let dir = std::env::temp_dir().join(format!("formwork-bench-{name}"));
        std::fs::create_dir_all(&dir)?;
        Ok(Target::Postgres { admin_url: admin_url.to_owned(), name, url, dir })
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
                Pool::Sqlite(SqlitePoolOptions::new().max_connections(1).connect_with(options).await?)
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
            Target::Postgres { admin_url, name, dir, .. } => {
                std::fs::remove_dir_all(dir).ok();
                let mut admin = PgConnectOptions::from_str(admin_url)?.connect().await?;
                admin
                    .execute(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
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

/// SQLite keeps instants as fixed-width UTC text, PostgreSQL as timestamptz.
fn sqlite_ts(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
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

impl Pool {
    pub async fn insert_record(&self, owner: &User, data: &Value) -> anyhow::Result<()> {
        let id = new_id();
        let now = OffsetDateTime::now_utc();
        let detail = json!({"data": data});
        match self {
            Pool::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let seq: i64 = sqlx::query_scalar(NEXT_NUMBER).fetch_one(&mut *tx).await?;
                sqlx::query(INSERT_RECORD)
                    .bind(&id)
                    .bind(format!("RAW-{seq:07}"))
                    .bind(&owner.id)
                    .bind(&owner.department_id)
                    .bind(sqlx::types::Json(data))
                    .bind(sqlite_ts(now))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(INSERT_AUDIT)
                    .bind(new_id())
                    .bind(sqlite_ts(now))
                    .bind(&owner.id)
                    .bind(format!("record:{id}"))
                    .bind(sqlx::types::Json(&detail))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let seq: i64 = sqlx::query_scalar(NEXT_NUMBER).fetch_one(&mut *tx).await?;
                sqlx::query(INSERT_RECORD)
                    .bind(&id)
                    .bind(format!("RAW-{seq:07}"))
                    .bind(&owner.id)
                    .bind(&owner.department_id)
                    .bind(sqlx::types::Json(data))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(INSERT_AUDIT)
                    .bind(new_id())
                    .bind(now)
                    .bind(&owner.id)
                    .bind(format!("record:{id}"))
                    .bind(sqlx::types::Json(&detail))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// The filtered first page the list API serves to `owner` (own records, one region),
    /// newest first; returns how many rows came back.
    pub async fn first_page(&self, owner: &User, region: &str, limit: i64) -> anyhow::Result<usize> {
        let rows = match self {
            Pool::Sqlite(pool) => {
                sqlx::query(
                    "SELECT id, app_id, form_id, app_version, number, owner_id, department_id, \
                     status, data, rev, created_at, updated_at FROM records \
                     WHERE app_id = $1 AND form_id = $2 AND deleted_at IS NULL AND owner_id = $3 \
                     AND json_extract(data, '$.region') = $4 ORDER BY id DESC LIMIT $5",
                )
                .bind("project-registration")
                .bind("project")
                .bind(&owner.id)
                .bind(region)
                .bind(limit)
                .fetch_all(pool)
                .await?
                .len()
            }
            Pool::Postgres(pool) => {
                sqlx::query(
                    "SELECT id, app_id, form_id, app_version, number, owner_id, department_id, \
                     status, data, rev, created_at, updated_at FROM records \
                     WHERE app_id = $1 AND form_id = $2 AND deleted_at IS NULL AND owner_id = $3 \
                     AND (data ->> 'region') = $4 ORDER BY id DESC LIMIT $5",
                )
                .bind("project-registration")
                .bind("project")
                .bind(&owner.id)
                .bind(region)
                .bind(limit)
                .fetch_all(pool)
                .await?
                .len()
            }
        };
        Ok(rows)
    }

    pub async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}
