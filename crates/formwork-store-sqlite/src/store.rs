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
pub fn ts(t: OffsetDateTime) -> String {
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

/// How record lists read `data` on SQLite: `json_extract` with the path as a literal, so an
/// expression index on the same text can serve it.
mod dialect {
    use formwork_store::ValueKind;
    use sea_query::{Expr, ExprTrait as _, LikeExpr};

    pub(super) const QUERY_BUILDER: sea_query::SqliteQueryBuilder = sea_query::SqliteQueryBuilder;

    /// The prefix that shows a query's plan, and the column of the plan's rows to read.
    pub(super) const EXPLAIN: (&str, &str) = ("EXPLAIN QUERY PLAN ", "detail");

    /// Number parameters are cast to this, as number fields are.
    pub(super) const NUMBER_TYPE: &str = "REAL";

    /// The field `key` (already checked to be `[a-z][a-z0-9_]*`) for comparing as `kind`.
    /// Numbers, and money kept as decimal strings, compare as REAL: exact enough to filter and
    /// sort by, never used to add money up. Booleans come out of `json_extract` as 1 and 0.
    pub(super) fn data_field(key: &str, kind: ValueKind) -> String {
        match kind {
            ValueKind::Text | ValueKind::Bool => data_text(key),
            ValueKind::Number => format!("CAST(json_extract(data, '$.{key}') AS REAL)"),
        }
    }

    /// The field `key` as stored, for substring search.
    pub(super) fn data_text(key: &str) -> String {
        format!("json_extract(data, '$.{key}')")
    }

    /// `e LIKE pattern ESCAPE '\'`; SQLite's LIKE ignores case already (of ASCII letters only).
    pub(super) fn like_ci(e: Expr, pattern: String) -> Expr {
        e.like(LikeExpr::new(pattern).escape('\\'))
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
        assert!(
            sql.contains("CAST(json_extract(data, '$.amount') AS REAL)"),
            "{sql}"
        );
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
