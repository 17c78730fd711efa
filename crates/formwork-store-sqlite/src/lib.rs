//! The Formwork store on an embedded SQLite database: one file, WAL, every acknowledged write
//! synced.
//!
//! Writes go through a pool of one connection, so writers in this process queue in the pool
//! instead of spinning on SQLite's busy handler; reads use a separate pool and, under WAL, never
//! wait for the writer. Every write transaction starts with `BEGIN IMMEDIATE`, so it holds the
//! write lock from its first statement and never fails halfway on a lock upgrade. Submissions
//! and process steps that arrive while the writer is busy share the next transaction (group
//! commit, see `sql/group.rs`): one fsync acknowledges them all.

#[path = "../../formwork-store/sql/mod.rs"]
mod sql;

/// How this store writes an instant (fixed-width UTC text), for tools that write rows raw.
pub use formwork_query::instant::utc_text as timestamp_text;

use std::str::FromStr;
use std::time::Duration;

use formwork_store::{Backend, StoreError, StoreResult};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use time::OffsetDateTime;

/// The store type the shared SQL implements the store traits for.
type StoreImpl = SqliteStore;

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 1024;

/// Readers scale with cores; SQLite allows one writer at a time whatever the pool size.
const READ_CONNECTIONS: u32 = 4;

/// The SQLite implementation of [`formwork_store::Store`].
/// The settings every connection to a Formwork database gets (the bench's raw side too).
pub fn tuned(options: SqliteConnectOptions) -> SqliteConnectOptions {
    options
        .journal_mode(SqliteJournalMode::Wal)
        // FULL also syncs the WAL on each commit: NORMAL could lose the last acknowledged
        // writes on power loss.
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true)
        // Pages are read through a memory map instead of copied by pread into each
        // connection's cache (measured: 5–10 % of a request's CPU went to those copies).
        .pragma("mmap_size", "268435456")
        .pragma("cache_size", "-16384")
        // Statement journals and savepoints' sub-journals (every grouped write has one) stay
        // in memory: past 64 KiB SQLite spilled them to a new file under /var/tmp, and the
        // pwrites into its fresh blocks took a fifth of a grouped submission's CPU (perf).
        .pragma("temp_store", "memory")
}

/// Pool settings for Formwork's connections (the bench's raw side too): an embedded file
/// cannot hang up, so a connection is not pinged each time the pool hands it out. The ping is
/// a round trip to the connection's thread, as dear as a statement: three per decision.
pub fn pool_options() -> SqlitePoolOptions {
    SqlitePoolOptions::new().test_before_acquire(false)
}

#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    /// Submissions and steps that arrive together share one transaction and one fsync.
    group: sql::group::GroupCommit,
    projections: sql::projections::ProjectionCache,
}

impl SqliteStore {
    /// Opens (creating the file and its parent directory if missing) the database at `url`,
    /// e.g. `sqlite://data/formwork.db`. Does not migrate; call `Store::migrate`.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("database URL `{url}`: {e}")))?
            .create_if_missing(true)
            // Every statement stays prepared on every connection: the store has more than
            // sqlx's default 100, and a list's SQL varies with its filters.
            .statement_cache_capacity(STATEMENT_CACHE);
        let options = tuned(options);
        let dir = options
            .get_filename()
            .parent()
            .filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Backend(format!("creating directory {}: {e}", dir.display()))
            })?;
        }
        // The writer connects first: it creates the file and switches it to WAL.
        let writer = pool_options()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(|e| StoreError::Backend(format!("opening {url}: {e}")))?;
        let reader = pool_options()
            .max_connections(READ_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Backend(format!("opening {url}: {e}")))?;
        tracing::debug!(%url, "sqlite store connected");
        let group = sql::group::GroupCommit::start(writer.clone(), "BEGIN IMMEDIATE")?;
        Ok(SqliteStore {
            writer,
            reader,
            group,
            projections: Default::default(),
        })
    }

    /// Closes both pools, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

impl sql::Driver for SqliteStore {
    type Db = sqlx::Sqlite;
    type Dialect = formwork_query::Sqlite;
    /// Fixed-width UTC text: sqlx's own encoding drops trailing zero digits of the fraction,
    /// and then text order is no longer time order, which every `<`, `>` and `ORDER BY` on an
    /// instant relies on.
    type Instant = String;

    const BACKEND: Backend = Backend::Sqlite;
    /// One writer at a time (BEGIN IMMEDIATE): a claim never meets another in progress.
    const SKIP_LOCKED: &'static str = "";
    const RECORD_LAST: bool = false;

    fn instant(t: OffsetDateTime) -> String {
        formwork_query::instant::utc_text(t)
    }

    fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.writer.begin_with("BEGIN IMMEDIATE").await
    }

    fn migrator() -> Migrator {
        Migrator::with_migrations(embedded_migrations())
    }

    fn projection_cache(&self) -> &sql::projections::ProjectionCache {
        &self.projections
    }

    fn group(&self) -> Option<&sql::group::GroupCommit> {
        Some(&self.group)
    }
}

#[cfg(test)]
mod tests {
    use super::SqliteStore;
    use sqlx::SqlitePool;

    fn scratch_dir(name: &str) -> std::path::PathBuf {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        std::env::temp_dir().join(format!(
            "formwork-sqlite-{name}-{}-{nanos}",
            std::process::id()
        ))
    }

    async fn pragma<T>(pool: &SqlitePool, name: &str) -> T
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + Send + Unpin,
    {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("PRAGMA {name}")))
            .fetch_one(pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn connect_creates_the_missing_directory_and_sets_the_pragmas_on_every_connection() {
        let dir = scratch_dir("connect");
        let file = dir.join("nested/formwork.db");
        let store = SqliteStore::connect(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
        assert!(file.exists());
        for pool in [&store.writer, &store.reader] {
            assert_eq!(pragma::<String>(pool, "journal_mode").await, "wal");
            assert_eq!(pragma::<i64>(pool, "synchronous").await, 2, "FULL");
            assert_eq!(pragma::<i64>(pool, "busy_timeout").await, 5000);
            assert_eq!(pragma::<i64>(pool, "foreign_keys").await, 1);
            assert_eq!(pragma::<i64>(pool, "mmap_size").await, 268_435_456);
            assert_eq!(pragma::<i64>(pool, "cache_size").await, -16_384);
        }
        store.close().await;
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn analyze_keeps_no_samples_that_would_re_prepare_statements() {
        // Built without STAT4 (.cargo/config.toml): with its samples, every statement whose
        // parameter meets an indexed column was re-prepared on each execution.
        let pool = SqlitePool::connect("sqlite::memory:").await.unwrap();
        for sql in [
            "CREATE TABLE t (a TEXT, b INTEGER)",
            "CREATE INDEX t_a ON t (a)",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) \
             INSERT INTO t SELECT 'v' || (i % 7), i FROM n",
            "ANALYZE",
        ] {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        let stat_tables: Vec<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_schema WHERE name LIKE 'sqlite_stat%'")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert_eq!(stat_tables, ["sqlite_stat1"]);
    }

    #[tokio::test]
    async fn dollar_placeholders_bind_by_number_not_by_position() {
        // The shared SQL relies on this: `$2` before `$1`, and `$1` used twice.
        let pool = SqlitePool::connect("sqlite::memory:").await.unwrap();
        let s: String = sqlx::query_scalar("SELECT $2 || $1 || $2")
            .bind("a")
            .bind("b")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(s, "bab");
    }
}
