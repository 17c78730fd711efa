//! `TestDb`: one fresh, migrated-on-demand database for one test, removed afterwards.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use formwork_store::{Backend, Store};
use formwork_store_postgres::PgStore;
use formwork_store_sqlite::SqliteStore;

use crate::pg;

/// A fresh database for one test. Dropping it removes the database; call [`TestDb::cleanup`]
/// to do that asynchronously and see errors.
#[derive(Debug)]
pub struct TestDb {
    backend: Backend,
    url: String,
    cleanup: Option<Cleanup>,
}

#[derive(Debug)]
enum Cleanup {
    Dir(PathBuf),
    PgDatabase { admin_url: String, name: String },
}

impl TestDb {
    /// A fresh SQLite file in a new temporary directory.
    pub fn sqlite() -> anyhow::Result<TestDb> {
        let dir =
            std::env::temp_dir().join(format!("formwork-test-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let url = format!("sqlite://{}/formwork.db", dir.display());
        Ok(TestDb {
            backend: Backend::Sqlite,
            url,
            cleanup: Some(Cleanup::Dir(dir)),
        })
    }

    /// A fresh PostgreSQL database on the test server; `None` when `FORMWORK_TEST_PG=skip`.
    pub async fn postgres() -> anyhow::Result<Option<TestDb>> {
        if pg::pg_skipped() {
            return Ok(None);
        }
        let admin_url = pg::pg_admin_url();
        let (name, url) = pg::create_database(&admin_url).await?;
        Ok(Some(TestDb {
            backend: Backend::Postgres,
            url,
            cleanup: Some(Cleanup::PgDatabase { admin_url, name }),
        }))
    }

    /// A fresh database of `backend`; `None` when that backend is skipped.
    pub async fn new(backend: Backend) -> anyhow::Result<Option<TestDb>> {
        match backend {
            Backend::Sqlite => TestDb::sqlite().map(Some),
            Backend::Postgres => TestDb::postgres().await,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL to hand to the server as `DATABASE_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Connects a store to this database and runs the migrations.
    pub async fn store(&self) -> anyhow::Result<Arc<dyn Store>> {
        let store: Arc<dyn Store> = match self.backend {
            Backend::Sqlite => Arc::new(SqliteStore::connect(&self.url).await?),
            Backend::Postgres => Arc::new(PgStore::connect(&self.url).await?),
        };
        store
            .migrate()
            .await
            .context("migrating the test database")?;
        Ok(store)
    }

    /// Removes the database now.
    pub async fn cleanup(mut self) -> anyhow::Result<()> {
        match self.cleanup.take() {
            Some(cleanup) => cleanup.run().await,
            None => Ok(()),
        }
    }
}

impl Drop for TestDb {
    /// The fallback when a test panics or forgets `cleanup`: dropping a PostgreSQL database
    /// needs async IO, and this may run inside (or outside) a runtime, so a thread with its own
    /// runtime does it while this one waits.
    fn drop(&mut self) {
        let Some(cleanup) = self.cleanup.take() else {
            return;
        };
        let outcome = std::thread::spawn(move || -> anyhow::Result<()> {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(cleanup.run())
        })
        .join();
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("formwork-testkit: cleaning up {}: {e:#}", self.url),
            Err(_) => eprintln!("formwork-testkit: cleaning up {} panicked", self.url),
        }
    }
}

impl Cleanup {
    async fn run(self) -> anyhow::Result<()> {
        match self {
            Cleanup::Dir(dir) => {
                std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))
            }
            Cleanup::PgDatabase { admin_url, name } => pg::drop_database(&admin_url, &name).await,
        }
    }
}

/// Runs `body` against a fresh, migrated store on SQLite, then on PostgreSQL (unless skipped),
/// each in its own database, which is removed before the next runs.
///
/// A body that fails (returns `Err` or panics) fails the test, naming the backend, after its
/// database has been removed.
pub async fn with_each_backend<F, Fut>(body: F)
where
    F: Fn(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let db = match TestDb::new(backend).await {
            Ok(Some(db)) => db,
            Ok(None) => continue,
            Err(e) => panic!("[{}] creating the test database: {e:#}", backend.as_str()),
        };
        let store = match db.store().await {
            Ok(store) => store,
            Err(e) => panic!("[{}] opening the test database: {e:#}", backend.as_str()),
        };
        // Spawned so that a panicking body is caught here and the database still goes away.
        let outcome = tokio::spawn(body(store)).await;
        if let Err(e) = db.cleanup().await {
            eprintln!("formwork-testkit: [{}] cleanup: {e:#}", backend.as_str());
        }
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("[{}] {e:#}", backend.as_str()),
            Err(join) => match join.try_into_panic() {
                Ok(payload) => {
                    eprintln!("formwork-testkit: the test failed on {}", backend.as_str());
                    std::panic::resume_unwind(payload)
                }
                Err(e) => panic!("[{}] test task: {e}", backend.as_str()),
            },
        }
    }
}
