//! Dev-only helpers for Formwork's tests: a fresh database per test on SQLite and PostgreSQL,
//! dropped afterwards, and small fixtures.
//!
//! PostgreSQL databases are made on the server named by `FORMWORK_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable`). With `FORMWORK_TEST_PG=skip`
//! PostgreSQL tests are skipped with a notice; otherwise a server that cannot be reached fails
//! the test.

mod db;
pub mod fixtures;
mod pg;

pub use db::{TestDb, with_each_backend};
pub use formwork_store::Backend;
pub use pg::{pg_admin_url, pg_skipped};
