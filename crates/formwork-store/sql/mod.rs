//! The store implementation shared by SQLite and PostgreSQL, written once and compiled by each
//! backend crate as its own module (`#[path = "…/sql/mod.rs"] mod sql;`), so every statement is
//! type-checked against a concrete driver: no `sqlx::Any`, no generic bounds.
//!
//! The including crate names its store type `StoreImpl` and implements [`Driver`] for it; that
//! trait is all the shared code knows of its backend, and the compiler checks it is complete.
//! What the SQL of record lists says differently is `formwork_query::Dialect`.
//!
//! The SQL is the dialect both databases speak: `$n` placeholders (sqlx-sqlite binds `$n` by
//! its number, not by position, so a number may repeat or come out of order), `RETURNING`,
//! `ON CONFLICT … excluded`, `WITH RECURSIVE`, `TRUE`/`FALSE`. JSON is bound as
//! `sqlx::types::Json` (TEXT on SQLite, JSONB on PostgreSQL) and read back as `RawValue` text.
//!
//! Every method that writes more than one row runs in one transaction from
//! [`Driver::begin_write`].

#[macro_use]
mod rows;
mod accounts;
mod apps;
mod departments;
// Only a backend with a single writer starts the queue; the other compiles it unused.
#[allow(dead_code)]
pub(crate) mod group;
mod jobs;
mod portal;
mod processes;
pub(crate) mod projections;
mod rates;
mod records;
mod reports;
mod settings;
mod sign_in;
mod steps;

use std::future::Future;

use async_trait::async_trait;
use formwork_store::{Backend, Store, StoreError, StoreResult, UserId, new_id};
use sqlx::types::Json;
use time::OffsetDateTime;

use crate::StoreImpl;
use rows::Mapper;

/// What a backend crate supplies to the shared SQL.
pub(crate) trait Driver: Send + Sync + 'static {
    /// The sqlx driver.
    type Db: sqlx::Database;
    /// What record lists say differently on this database.
    type Dialect: formwork_query::ProjectionDialect;
    /// An instant as hand-written statements bind it.
    type Instant: for<'q> sqlx::Encode<'q, Self::Db> + sqlx::Type<Self::Db> + Send + Sync;

    const BACKEND: Backend;

    /// What ends a `SELECT` of rows to claim so that rows another transaction is claiming are
    /// skipped (` FOR UPDATE SKIP LOCKED`); empty where one writer claims at a time.
    const SKIP_LOCKED: &'static str;

    /// Whether a submission writes its record, with the number it takes just before, last
    /// but for its audit row: its process rows go first (their reference to the record is
    /// checked at commit). Where the counter row stays locked until commit while other
    /// writers run (PostgreSQL), concurrent submissions of one form queue on it, so it is
    /// taken late; and the record is written once, not inserted and then numbered, which ran
    /// the projection trigger twice (measured: 0.37 ms of 2.2 per submission). Where one
    /// writer holds the database anyway (SQLite) the order does not matter.
    const RECORD_LAST: bool;

    /// `t` in the form the database stores and orders instants by (whole microseconds, UTC).
    fn instant(t: OffsetDateTime) -> Self::Instant;

    /// Connections for reads.
    fn reader(&self) -> &sqlx::Pool<Self::Db>;

    /// Connections for writes outside a transaction.
    fn writer(&self) -> &sqlx::Pool<Self::Db>;

    /// A write transaction, holding the write lock from its first statement where the database
    /// has one.
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>> + Send;

    /// The migrations of this backend's folder.
    fn migrator() -> sqlx::migrate::Migrator;

    /// The queue that lets concurrent writes share one transaction, where the database has a
    /// single writer; `None` where each write keeps its own.
    fn group(&self) -> Option<&group::GroupCommit>;

    /// The forms' projections as last read, each with the publish epoch it was read at.
    fn projection_cache(&self) -> &projections::ProjectionCache;
}

pub(crate) type Db = <StoreImpl as Driver>::Db;
pub(crate) type DbRow = <Db as sqlx::Database>::Row;
pub(crate) type Tx = sqlx::Transaction<'static, Db>;
/// A connection inside a write transaction (or a savepoint of one): what writing helpers take,
/// so they run the same in a transaction of their own or in a shared one.
pub(crate) type Conn = <Db as sqlx::Database>::Connection;
pub(crate) type Dialect = <StoreImpl as Driver>::Dialect;

/// The current instant at the precision both databases keep.
pub(crate) fn now() -> OffsetDateTime {
    formwork_query::instant::now()
}

/// An instant as this backend binds it.
pub(crate) fn ts(t: OffsetDateTime) -> <StoreImpl as Driver>::Instant {
    StoreImpl::instant(t)
}

/// Maps a driver error: a unique violation is `Conflict`, a foreign-key violation `NotFound`,
/// anything else `Backend`. `what` names the thing being written, for the message.
pub(crate) fn db_err(what: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(format!("{what} already exists"))
        }
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            StoreError::NotFound(format!("{what} refers to a row that does not exist"))
        }
        _ => StoreError::Backend(format!("{what}: {e}")),
    }
}

/// `NotFound` naming `what` when a write matched no row.
pub(crate) fn found(rows_affected: u64, what: impl FnOnce() -> String) -> StoreResult<()> {
    if rows_affected == 0 {
        Err(StoreError::NotFound(what()))
    } else {
        Ok(())
    }
}

/// An optional id (or other text value) as it is bound.
pub(crate) fn text<T: AsRef<str>>(value: &Option<T>) -> Option<&str> {
    value.as_ref().map(AsRef::as_ref)
}

/// `$1, $2, …, $n`: the placeholders of an `IN` list of `n` values.
pub(crate) fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A row count as the API's `u32`.
pub(crate) fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// Why a conditional write (one that names the revision it expects) matched no row: the row is
/// missing (`NotFound`), or its revision moved on (`Conflict`). `current` selects the row's
/// revision by id (`$1`).
pub(crate) async fn refused(
    tx: &mut Conn,
    current: &'static str,
    id: &str,
    what: &str,
    expected: Option<i64>,
) -> StoreError {
    let rev: Result<Option<i64>, _> = sqlx::query_scalar(current)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await;
    match rev {
        Err(e) => db_err(what)(e),
        Ok(None) => StoreError::NotFound(what.to_owned()),
        Ok(Some(rev)) => StoreError::Conflict(format!(
            "{what} is at revision {rev}, not {}",
            expected.unwrap_or_default()
        )),
    }
}

/// Appends an audit row inside the caller's transaction.
pub(crate) async fn audit(
    tx: &mut Conn,
    at: OffsetDateTime,
    actor: Option<&UserId>,
    action: &str,
    subject: &str,
    detail: serde_json::Value,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, action, subject, detail) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(ts(at))
    .bind(actor.map(UserId::as_str))
    .bind(action)
    .bind(subject)
    .bind(Json(detail))
    .execute(&mut *tx)
    .await
    .map_err(db_err("audit entry"))?;
    Ok(())
}

/// A statement with its values bound, before it runs.
pub(crate) type Statement<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>;

impl StoreImpl {
    /// The rows `query` reads on the reader pool, each read by `map`.
    pub(crate) async fn rows<T: Send + Unpin>(
        &self,
        query: Statement<'_>,
        map: Mapper<T>,
        what: &str,
    ) -> StoreResult<Vec<T>> {
        query
            .try_map(map)
            .fetch_all(self.reader())
            .await
            .map_err(db_err(what))
    }

    /// The one row `query` reads (it selects by a key, or `LIMIT 1`), if any.
    pub(crate) async fn row<T: Send + Unpin>(
        &self,
        query: Statement<'_>,
        map: Mapper<T>,
        what: &str,
    ) -> StoreResult<Option<T>> {
        Ok(self.rows(query, map, what).await?.pop())
    }

    /// The rows a `select_by!` statement reads for `key`.
    pub(crate) async fn rows_by<T: Send + Unpin>(
        &self,
        sql: &'static str,
        key: &str,
        map: Mapper<T>,
        what: &str,
    ) -> StoreResult<Vec<T>> {
        self.rows(sqlx::query(sql).bind(key), map, what).await
    }

    /// The row a `select_by!` statement reads for a unique `key`, if any.
    pub(crate) async fn row_by<T: Send + Unpin>(
        &self,
        sql: &'static str,
        key: &str,
        map: Mapper<T>,
        what: &str,
    ) -> StoreResult<Option<T>> {
        self.row(sqlx::query(sql).bind(key), map, what).await
    }

    /// The rows `select` (which ends in `id IN `) reads for `ids`, in one statement.
    pub(crate) async fn rows_in<T: Send + Unpin>(
        &self,
        select: &str,
        ids: &[&str],
        map: Mapper<T>,
        what: &str,
    ) -> StoreResult<Vec<T>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("{select}({})", placeholders(ids.len()));
        let query = ids
            .iter()
            .fold(sqlx::query(sqlx::AssertSqlSafe(sql)), |q, id| q.bind(*id));
        self.rows(query, map, what).await
    }

    /// A page of a `select_page!` statement: at most `limit` rows after the cursor `after`.
    pub(crate) async fn page<T: Send + Unpin>(
        &self,
        sql: &'static str,
        (after, limit): (Option<&str>, u32),
        map: Mapper<T>,
        what: &str,
    ) -> StoreResult<Vec<T>> {
        let query = sqlx::query(sql).bind(after).bind(i64::from(limit));
        self.rows(query, map, what).await
    }

    /// Runs `work` in a write transaction and commits it: a transaction shared with other
    /// pending writes (in a savepoint of its own) where the backend groups commits, else its
    /// own.
    pub(crate) async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut Conn) -> group::BoxFuture<'c, StoreResult<T>> + Send + 'static,
    {
        if let Some(group) = self.group() {
            return group.write(work).await;
        }
        let mut tx = begin(self).await?;
        let out = work(&mut tx).await?;
        commit(tx).await?;
        Ok(out)
    }

    /// Runs `query` on the writer outside a transaction; returns how many rows it changed.
    pub(crate) async fn execute(&self, query: Statement<'_>, what: &str) -> StoreResult<u64> {
        query
            .execute(self.writer())
            .await
            .map(|done| done.rows_affected())
            .map_err(db_err(what))
    }
}

pub(crate) async fn begin(store: &StoreImpl) -> StoreResult<Tx> {
    store.begin_write().await.map_err(db_err("begin"))
}

pub(crate) async fn commit(tx: Tx) -> StoreResult<()> {
    tx.commit().await.map_err(db_err("commit"))
}

#[async_trait]
impl Store for StoreImpl {
    fn backend(&self) -> Backend {
        <StoreImpl as Driver>::BACKEND
    }

    async fn migrate(&self) -> StoreResult<()> {
        StoreImpl::migrator()
            .run(self.writer())
            .await
            .map_err(|e| StoreError::Backend(format!("migrations: {e}")))
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(self.reader())
            .await
            .map_err(db_err("ping"))?;
        Ok(())
    }
}
