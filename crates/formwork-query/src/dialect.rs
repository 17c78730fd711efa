//! What SQLite and PostgreSQL say differently, as one small trait the compiler checks: the
//! statement builder, how an instant is bound, how a field of a record's JSON `data` is read,
//! case-insensitive `LIKE`, the number type and `EXPLAIN`.
//!
//! Everything else is the SQL both speak: `$n` placeholders, `RETURNING`, `ON CONFLICT …
//! excluded`, `WITH RECURSIVE`, `TRUE`/`FALSE`.

use sea_query::extension::postgres::PgExpr as _;
use sea_query::{Expr, ExprTrait as _, LikeExpr, QueryBuilder, SelectStatement, Value, Values};
use time::OffsetDateTime;

use crate::instant::{micros, utc_text};
use crate::list::{FieldKey, ValueKind};

/// One database's way of saying what the shared SQL cannot say once.
pub trait Dialect: Send + Sync + 'static {
    /// sea-query's statement builder for this database.
    type Builder: QueryBuilder + Default;

    /// The prefix that makes a statement show its plan instead of running.
    const EXPLAIN: &'static str;

    /// The column of the plan's rows that holds the plan text.
    const EXPLAIN_COLUMN: &'static str;

    /// What number parameters are cast to, as number fields are.
    const NUMBER_TYPE: &'static str;

    /// An instant as a bound value, in the form the database stores and orders it by.
    fn instant(t: OffsetDateTime) -> Value;

    /// The top-level field `key` of `data`, typed for comparing and sorting as `kind`.
    fn data_field(key: &FieldKey, kind: ValueKind) -> String;

    /// The field `key` as text, for substring search.
    fn data_text(key: &FieldKey) -> String;

    /// `e` matches `pattern` ignoring case, with `\` escaping `%`, `_` and itself.
    fn like_ci(e: Expr, pattern: String) -> Expr;

    /// sea-query's placeholder for the `n`th expression of a custom expression.
    fn placeholder(n: usize) -> String;

    /// A condition on `id` keeping the records of the projection `table` (grams in `grams`)
    /// whose searchable text holds the gram `{}` (or was too long to cut into grams).
    fn gram_candidates(table: &str, grams: &str) -> String;

    fn builder() -> Self::Builder {
        Self::Builder::default()
    }

    /// The SQL and values of a list's or a count's `select`, page sizes as literals (see
    /// [`crate::limits`]).
    fn build(select: &SelectStatement) -> (String, Values) {
        let (sql, values) = select.build(Self::builder());
        crate::limits::inline_limits(&sql, values)
    }
}

/// SQLite: JSON through `json_extract` with the path as a literal (so an expression index on
/// the same text can serve it); instants as fixed-width UTC text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sqlite;

impl Dialect for Sqlite {
    type Builder = sea_query::SqliteQueryBuilder;
    const EXPLAIN: &'static str = "EXPLAIN QUERY PLAN ";
    const EXPLAIN_COLUMN: &'static str = "detail";
    const NUMBER_TYPE: &'static str = "REAL";

    /// Fixed-width text: sqlx's own encoding drops trailing zero digits of the fraction, and
    /// then text order is no longer time order.
    fn instant(t: OffsetDateTime) -> Value {
        Value::String(Some(utc_text(t)))
    }

    /// Numbers, and money kept as decimal strings, compare as REAL: exact enough to filter and
    /// sort by, never used to add money up. Booleans come out of `json_extract` as 1 and 0.
    fn data_field(key: &FieldKey, kind: ValueKind) -> String {
        match kind {
            ValueKind::Text | ValueKind::Bool => Self::data_text(key),
            ValueKind::Number => format!("CAST(json_extract(data, '$.{key}') AS REAL)"),
        }
    }

    fn data_text(key: &FieldKey) -> String {
        format!("json_extract(data, '$.{key}')")
    }

    fn placeholder(_n: usize) -> String {
        "?".into()
    }

    fn gram_candidates(_table: &str, grams: &str) -> String {
        format!("id IN (SELECT id FROM {grams} WHERE gram IN (lower({{}}), ''))")
    }

    /// SQLite's LIKE ignores case already (of ASCII letters only).
    fn like_ci(e: Expr, pattern: String) -> Expr {
        e.like(LikeExpr::new(pattern).escape('\\'))
    }
}

/// PostgreSQL: JSON through `->>` with the key as a literal (so an expression index on the
/// same text can serve it); instants as `timestamptz`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Postgres;

/// What `numeric` accepts, so a stray non-number in a number field reads as NULL instead of
/// failing the whole query. The list builder checks number parameters against the same shape.
const NUMERIC: &str = r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$";

impl Dialect for Postgres {
    type Builder = sea_query::PostgresQueryBuilder;
    const EXPLAIN: &'static str = "EXPLAIN ";
    const EXPLAIN_COLUMN: &'static str = "QUERY PLAN";
    /// Exact for money.
    const NUMBER_TYPE: &'static str = "numeric";

    fn instant(t: OffsetDateTime) -> Value {
        Value::TimeDateTimeWithTimeZone(Some(micros(t)))
    }

    /// Text compares in byte order (`COLLATE "C"`), as on SQLite.
    fn data_field(key: &FieldKey, kind: ValueKind) -> String {
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

    fn placeholder(n: usize) -> String {
        format!("${n}")
    }

    /// The grams are an array in the projection row itself, under a GIN index. The array is
    /// built by functions (not `ARRAY[…]`: sea-query reads brackets as quotes and would not
    /// bind inside them), which a custom plan folds to a constant its statistics can rate.
    fn gram_candidates(table: &str, _grams: &str) -> String {
        format!(
            "id IN (SELECT id FROM {table} WHERE grams @> array_append(CAST(NULL AS text[]), lower({{}})))"
        )
    }

    /// In the database's collation, whose ILIKE folds non-ASCII case too.
    fn data_text(key: &FieldKey) -> String {
        format!("(data ->> '{key}')")
    }

    /// Backslash is already PostgreSQL's LIKE escape; sea-query would write an explicit
    /// `ESCAPE` inside the pattern's parentheses, which PostgreSQL rejects.
    fn like_ci(e: Expr, pattern: String) -> Expr {
        e.ilike(LikeExpr::new(pattern))
    }
}
