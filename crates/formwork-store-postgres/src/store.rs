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

/// How record lists read `data` on PostgreSQL: `->>` with the key as a literal, so an
/// expression index on the same text can serve it.
mod dialect {
    use formwork_store::ValueKind;
    use sea_query::extension::postgres::PgExpr as _;
    use sea_query::{Expr, LikeExpr};

    pub(super) const QUERY_BUILDER: sea_query::PostgresQueryBuilder =
        sea_query::PostgresQueryBuilder;

    /// The prefix that shows a query's plan, and the column of the plan's rows to read.
    pub(super) const EXPLAIN: (&str, &str) = ("EXPLAIN ", "QUERY PLAN");

    /// Number parameters are cast to this, as number fields are: exact for money.
    pub(super) const NUMBER_TYPE: &str = "numeric";

    /// What `numeric` accepts, so a stray non-number in a number field reads as NULL instead of
    /// failing the whole query. The store checks number parameters against the same shape.
    const NUMERIC: &str = r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$";

    /// The field `key` (already checked to be `[a-z][a-z0-9_]*`) for comparing as `kind`.
    /// Text compares in byte order (`COLLATE "C"`), as on SQLite.
    pub(super) fn data_field(key: &str, kind: ValueKind) -> String {
        match kind {
            ValueKind::Text => format!("((data ->> '{key}') COLLATE \"C\")"),
            ValueKind::Number => format!(
                "(CASE WHEN (data ->> '{key}') ~ '{NUMERIC}' \
                 THEN CAST(data ->> '{key}' AS numeric) END)"
            ),
            ValueKind::Bool => format!(
                "(CASE WHEN jsonb_typeof(data -> '{key}') = 'boolean' \
                 THEN CAST(data ->> '{key}' AS boolean) END)"
            ),
        }
    }

    /// The field `key` as text in the database's collation, whose ILIKE folds non-ASCII case.
    pub(super) fn data_text(key: &str) -> String {
        format!("(data ->> '{key}')")
    }

    /// `e ILIKE pattern`. Backslash is already PostgreSQL's LIKE escape; sea-query would write
    /// an explicit `ESCAPE` inside the pattern's parentheses, which PostgreSQL rejects.
    pub(super) fn like_ci(e: Expr, pattern: String) -> Expr {
        e.ilike(LikeExpr::new(pattern))
    }
}

include!("../../formwork-store/sql/common.rs");

#[cfg(test)]
mod tests {
    use formwork_store::{Column, Cursor, Filter, FilterOp, RecordQuery, ValueKind, Visibility};
    use sea_query::Value;
    use sea_query_sqlx::SqlxBinder as _;
    use serde_json::json;

    fn amount() -> Column {
        Column::Data {
            key: "amount".into(),
            kind: ValueKind::Number,
        }
    }

    fn sample() -> RecordQuery {
        RecordQuery {
            app_id: "projects".into(),
            form_id: "project".into(),
            visibility: Visibility::OwnOrDepartments {
                owner_id: "u1".into(),
                department_ids: vec!["d1".into()],
            },
            filters: vec![Filter {
                column: amount(),
                op: FilterOp::Gt,
                value: json!("9.5"),
            }],
            search: Some(("acme".into(), vec!["customer".into()])),
            sort: Some((amount(), true)),
            after: Some(Cursor {
                value: json!("100000.30"),
                id: "0190".into(),
            }),
            limit: 21,
        }
    }

    #[test]
    fn list_sql_puts_field_paths_in_as_literals_and_binds_every_value() {
        let select = super::list::select(&sample()).unwrap().unwrap();
        let (sql, values) = select.build_sqlx(super::dialect::QUERY_BUILDER);
        if std::env::var_os("FORMWORK_PRINT_SQL").is_some() {
            println!("{sql}");
        }
        assert!(sql.contains("CAST(data ->> 'amount' AS numeric)"), "{sql}");
        let strings: Vec<_> = values
            .0
            .0
            .iter()
            .filter_map(|v| match v {
                Value::String(Some(s)) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        assert!(
            strings
                .iter()
                .all(|s| !s.contains("amount") && !s.contains("customer"))
        );
        for v in ["9.5", "100000.30", "%acme%", "u1", "d1", "0190"] {
            assert!(strings.contains(&v), "{v} is not bound: {strings:?}");
        }
    }
}
