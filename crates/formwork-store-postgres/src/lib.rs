//! The Formwork store on PostgreSQL, for several stateless `formwork serve` instances sharing
//! one database.

#[path = "../../formwork-store/sql/mod.rs"]
mod sql;

use std::str::FromStr;
use std::time::Duration;

use formwork_store::{Backend, StoreError, StoreResult};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use time::OffsetDateTime;

/// The store type the shared SQL implements the store traits for.
type StoreImpl = PgStore;

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

const MAX_CONNECTIONS: u32 = 10;

/// A connection idle for longer than this is pinged before use.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// Pool settings for Formwork's connections (the bench's raw side too): a connection is
/// pinged before use only if it sat idle, where a restarted or failed-over server goes
/// unnoticed; one in steady use is not (sqlx pings on every hand-out by default: one more
/// round trip per transaction).
pub fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > PING_AFTER_IDLE {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}

/// The PostgreSQL implementation of [`formwork_store::Store`].
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    projections: sql::projections::ProjectionCache,
}

impl PgStore {
    /// Connects to the database at `url`, e.g. `postgres://formwork@db/formwork`.
    /// Does not migrate; call `Store::migrate`.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("database URL: {e}")))?
            .application_name("formwork")
            // Every statement stays prepared on every connection: the store has more than
            // sqlx's default 100, and a list's SQL varies with its filters.
            .statement_cache_capacity(1024);
        let pool = pool_options()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Backend(format!("connecting to PostgreSQL: {e}")))?;
        tracing::debug!("postgres store connected");
        Ok(PgStore {
            pool,
            projections: Default::default(),
        })
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl sql::Driver for PgStore {
    type Db = sqlx::Postgres;
    type Dialect = formwork_query::Postgres;
    type Instant = OffsetDateTime;

    const BACKEND: Backend = Backend::Postgres;
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";
    const RECORD_LAST: bool = true;

    fn instant(t: OffsetDateTime) -> OffsetDateTime {
        formwork_query::instant::micros(t)
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.pool.begin().await
    }

    fn migrator() -> Migrator {
        Migrator::with_migrations(embedded_migrations())
    }

    /// Many writers at once: each write keeps its own transaction.
    fn projection_cache(&self) -> &sql::projections::ProjectionCache {
        &self.projections
    }

    fn group(&self) -> Option<&sql::group::GroupCommit> {
        None
    }
}
