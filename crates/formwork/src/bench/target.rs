//! The benchmark's fresh databases: created before a backend is measured, dropped after.

use std::path::PathBuf;
use std::str::FromStr;

use anyhow::Context;
use formwork_store::new_id;
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AssertSqlSafe, ConnectOptions, Executor};

use super::raw::Pool;

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

    /// A pool configured like the store's (same pragmas), for the raw side. It logs no
    /// statements: the seeding copies run for seconds each, by design.
    pub async fn pool(&self) -> anyhow::Result<Pool> {
        Ok(match self {
            Target::Sqlite { url, .. } => {
                let options = formwork_store_sqlite::tuned(SqliteConnectOptions::from_str(url)?)
                    .disable_statement_logging();
                Pool::Sqlite(
                    formwork_store_sqlite::pool_options()
                        .max_connections(1)
                        .connect_with(options)
                        .await?,
                )
            }
            Target::Postgres { url, .. } => {
                let options = PgConnectOptions::from_str(url)?.disable_statement_logging();
                Pool::Postgres(
                    formwork_store_postgres::pool_options()
                        .max_connections(2)
                        .connect_with(options)
                        .await?,
                )
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
