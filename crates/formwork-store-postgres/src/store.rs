//! `Store` for PostgreSQL: the shared SQL of `formwork-store/sql/common.rs`, compiled against
//! sqlx-postgres, plus what differs: how instants are bound and the migrations.

use sqlx::SqlSafeStr as _;
use sqlx::migrate::{Migration, MigrationType, Migrator};

type Db = sqlx::Postgres;
type StoreImpl = crate::PgStore;

const BACKEND: Backend = Backend::Postgres;

fn ts(t: OffsetDateTime) -> OffsetDateTime {
    micros(t)
}

fn migrator() -> Migrator {
    Migrator::with_migrations(vec![Migration::new(
        1,
        "init".into(),
        MigrationType::Simple,
        include_str!("../../../migrations/postgres/0001_init.sql").into_sql_str(),
        false,
    )])
}

include!("../../formwork-store/sql/common.rs");
