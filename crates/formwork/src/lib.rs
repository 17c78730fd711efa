//! The `formwork` binary's library: configuration, choosing the store from `DATABASE_URL`,
//! the HTTP server with graceful shutdown, the background worker, and the command line. `main.rs` only calls
//! [`cli::main`], so tests can boot the real server from here.

pub mod bench;
pub mod cli;
mod demo;
mod jobs_cli;
mod server;
pub mod sso;
pub mod workers;

use std::sync::Arc;

use anyhow::{Context, bail};
use formwork_store::Store;

pub use demo::DemoArgs;
pub use server::{RunningServer, ServeArgs, serve, spawn};

/// Where data lives when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/formwork.db";

/// The id of the sample app (DESIGN.md fixes it).
pub const SAMPLE_APP_ID: &str = "project-registration";

/// The sample app package, shipped inside the binary.
pub const SAMPLE_APP: &str = include_str!("../../../apps/project-registration.json");

/// Opens the store named by the URL's scheme: `sqlite://…` or `postgres://…`.
pub async fn open_store(database_url: &str) -> anyhow::Result<Arc<dyn Store>> {
    let store: Arc<dyn Store> = if database_url.starts_with("sqlite:") {
        Arc::new(
            formwork_store_sqlite::SqliteStore::connect(database_url)
                .await
                .with_context(|| format!("opening SQLite database {database_url}"))?,
        )
    } else if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        Arc::new(
            formwork_store_postgres::PgStore::connect(database_url)
                .await
                .context("connecting to PostgreSQL")?,
        )
    } else {
        bail!("DATABASE_URL must start with sqlite:// or postgres:// (got {database_url:?})");
    };
    Ok(store)
}

/// Opens the store and applies pending migrations.
pub async fn open_migrated(database_url: &str) -> anyhow::Result<Arc<dyn Store>> {
    let store = open_store(database_url).await?;
    store.migrate().await.context("applying migrations")?;
    Ok(store)
}
