//! `Store` for SQLite: the shared SQL of `formwork-store/sql/common.rs`, compiled against
//! sqlx-sqlite, plus what differs: how instants are bound and the migrations.

use sqlx::SqlSafeStr as _;
use sqlx::migrate::{Migration, MigrationType, Migrator};

type Db = sqlx::Sqlite;
type StoreImpl = crate::SqliteStore;

const BACKEND: Backend = Backend::Sqlite;

/// Instants are stored as fixed-width RFC 3339 UTC text with six fraction digits. sqlx's own
/// encoding drops trailing zero digits (`…:44.8Z` against `…:44.80001Z`), and then text order
/// is no longer time order, which every `<`, `>` and `ORDER BY` on an instant relies on.
fn ts(t: OffsetDateTime) -> String {
    let t = micros(t);
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

fn migrator() -> Migrator {
    Migrator::with_migrations(vec![Migration::new(
        1,
        "init".into(),
        MigrationType::Simple,
        include_str!("../../../migrations/sqlite/0001_init.sql").into_sql_str(),
        false,
    )])
}

include!("../../formwork-store/sql/common.rs");
