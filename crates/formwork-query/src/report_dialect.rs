//! What report SQL says differently on SQLite and PostgreSQL: typed reads of a record's JSON
//! fields, date buckets in Asia/Shanghai, task durations, percentiles and how a value comes
//! out as text.
//!
//! Every report select item comes back as text (or NULL) on both databases, so one decoder
//! ([`crate::report::decode`]) serves both and no driver-specific type mapping is needed.
//! Money on SQLite is read as integer 分 straight from its two-decimal text (never through
//! REAL), so sums are exact; the decoder scales it back.

use formwork_reports::ir::{Bucket, Storage};
use rust_decimal::Decimal;
use sea_query::{Expr, ExprTrait as _, Value};
use time::OffsetDateTime;

use crate::dialect::{Dialect, Postgres, Sqlite};
use crate::list::FieldKey;

/// Report-specific SQL of one database.
pub trait ReportDialect: Dialect {
    /// Whether `percentile_cont … WITHIN GROUP` exists; where not, percentiles are computed
    /// from the ordered values a separate statement reads.
    const PERCENTILE: bool;

    /// The field `key` of `r.data` typed by `storage` (money on SQLite: integer 分).
    fn field(key: &FieldKey, storage: Storage) -> String;

    /// Decimal places the database returns a money value with less than it is (SQLite: 2).
    const MONEY_SCALE: u32;

    /// Whether a grouped report groups on its keys' text: SQLite's projection indexes are
    /// built on `CAST(column AS TEXT)`, so grouping on that reads them in order; PostgreSQL
    /// groups on the typed values and turns only the groups into text.
    const GROUPS_ON_TEXT: bool;

    /// A bound value compared with a field of `storage`.
    fn bind_number(storage: Storage, n: Decimal) -> Value;

    /// A bound date.
    fn bind_date(d: time::Date) -> Value;

    /// A bound instant compared with a datetime *field* (not a system column).
    fn bind_field_instant(t: OffsetDateTime) -> Value;

    /// The first day of the bucket holding `e` (a date, or an instant when `instant`), as a
    /// value that groups and prints as `YYYY-MM-DD`.
    fn bucket(e: Expr, instant: bool, bucket: Bucket) -> Expr;

    /// `e` (an instant) as text the decoder reads.
    fn instant_text(e: Expr) -> Expr;

    /// `e` as text.
    fn text(e: Expr) -> Expr {
        e.cast_as("TEXT")
    }

    /// Text compared in code point order.
    fn binary_text(sql: String) -> String;

    /// `percentile_cont(fraction)` of `e` over the rows `filter` keeps.
    fn percentile(_e: Expr, _fraction: Decimal, _filter: Option<Expr>) -> Expr {
        Expr::cust("NULL")
    }

    /// A group's texts joined by commas, in no particular order (`group_concat`,
    /// `string_agg`): a percentile's values then leave the database as one row per group.
    fn comma_list(e: Expr) -> Expr;
}

/// A custom SQL expression: `template` with each `{}` replaced by the next of `exprs`.
///
/// sea-query's own placeholders differ by backend (`?` in order on SQLite, `$n` on
/// PostgreSQL), so templates here use `{}` and this writes the backend's.
pub fn cust<D: Dialect>(template: &str, exprs: Vec<Expr>) -> Expr {
    let parts: Vec<&str> = template.split("{}").collect();
    let mut out = String::with_capacity(template.len() + 8);
    for (i, part) in parts.iter().enumerate() {
        out.push_str(part);
        if i + 1 < parts.len() {
            out.push_str(&D::placeholder(i + 1));
        }
    }
    Expr::cust_with_exprs(out, exprs)
}

/// `YYYY-MM-DDTHH:MM:SS.sssZ`: how SQLite normalizes datetime fields with `strftime`.
fn millis_text(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

impl ReportDialect for Sqlite {
    const PERCENTILE: bool = false;
    const MONEY_SCALE: u32 = 2;
    const GROUPS_ON_TEXT: bool = true;

    fn field(key: &FieldKey, storage: Storage) -> String {
        let j = format!("json_extract(r.data, '$.{key}')");
        let t = format!("json_type(r.data, '$.{key}')");
        match storage {
            Storage::Text => j,
            Storage::Number => format!(
                "(CASE WHEN {t} IN ('integer', 'real') THEN {j} \
                 WHEN {t} = 'text' AND {j} GLOB '*[0-9]*' AND {j} NOT GLOB '*[^0-9.+-]*' \
                 THEN CAST({j} AS REAL) END)"
            ),
            // Money is text with exactly two decimals: dropping the point gives 分 exactly.
            Storage::Money => format!(
                "(CASE WHEN {t} = 'text' AND {j} GLOB '*[0-9].[0-9][0-9]' \
                 AND {j} NOT GLOB '?*[^0-9.]*' THEN CAST(replace({j}, '.', '') AS INTEGER) \
                 WHEN {t} = 'integer' THEN {j} * 100 END)"
            ),
            Storage::Date => format!(
                "(CASE WHEN {t} = 'text' AND {j} GLOB \
                 '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN {j} END)"
            ),
            Storage::Datetime => format!("strftime('%Y-%m-%dT%H:%M:%fZ', {j})"),
            Storage::Bool => format!("(CASE WHEN {t} IN ('true', 'false') THEN {j} END)"),
            Storage::Json => format!("(r.data -> '$.{key}')"),
        }
    }

    fn bind_number(storage: Storage, n: Decimal) -> Value {
        use rust_decimal::prelude::ToPrimitive as _;
        match storage {
            Storage::Money => {
                let cents = n * Decimal::ONE_HUNDRED;
                match cents.fract().is_zero() {
                    true => Value::BigInt(cents.to_i64()),
                    false => Value::Double(cents.to_f64()),
                }
            }
            _ => Value::Double(n.to_f64()),
        }
    }

    fn bind_date(d: time::Date) -> Value {
        Value::String(Some(d.to_string()))
    }

    fn bind_field_instant(t: OffsetDateTime) -> Value {
        Value::String(Some(millis_text(t)))
    }

    fn bucket(e: Expr, instant: bool, bucket: Bucket) -> Expr {
        let shift = if instant { ", '+8 hours'" } else { "" };
        let day = |mods: &str| cust::<Self>(&format!("date({{}}{shift}{mods})"), vec![e.clone()]);
        match bucket {
            Bucket::Day => day(""),
            Bucket::Week => day(", '-6 days', 'weekday 1'"),
            Bucket::Month => day(", 'start of month'"),
            Bucket::Year => day(", 'start of year'"),
            Bucket::Quarter => cust::<Self>(
                "(strftime('%Y', {}) || '-' || printf('%02d', \
                 ((CAST(strftime('%m', {}) AS INTEGER) - 1) / 3) * 3 + 1) || '-01')",
                vec![day(""), day("")],
            ),
        }
    }

    /// Instants are stored as text already.
    fn instant_text(e: Expr) -> Expr {
        e
    }

    /// SQLite compares text by bytes unless told otherwise.
    fn binary_text(sql: String) -> String {
        sql
    }

    fn comma_list(e: Expr) -> Expr {
        cust::<Self>("group_concat({}, ',')", vec![e])
    }
}

const NUMERIC: &str = r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$";

impl ReportDialect for Postgres {
    const PERCENTILE: bool = true;
    const MONEY_SCALE: u32 = 0;
    const GROUPS_ON_TEXT: bool = false;

    fn field(key: &FieldKey, storage: Storage) -> String {
        let s = format!("(r.data ->> '{key}')");
        match storage {
            Storage::Text => s,
            Storage::Number | Storage::Money => {
                format!("(CASE WHEN {s} ~ '{NUMERIC}' THEN CAST({s} AS numeric) END)")
            }
            Storage::Date => format!(
                "(CASE WHEN {s} ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$' THEN CAST({s} AS date) END)"
            ),
            Storage::Datetime => format!(
                "(CASE WHEN {s} ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}[T ]' \
                 THEN CAST({s} AS timestamptz) END)"
            ),
            Storage::Bool => format!(
                "(CASE WHEN jsonb_typeof(r.data -> '{key}') = 'boolean' \
                 THEN CAST({s} AS boolean) END)"
            ),
            Storage::Json => format!("(r.data -> '{key}')"),
        }
    }

    fn bind_number(_storage: Storage, n: Decimal) -> Value {
        Value::Decimal(Some(n))
    }

    fn bind_date(d: time::Date) -> Value {
        Value::TimeDate(Some(d))
    }

    fn bind_field_instant(t: OffsetDateTime) -> Value {
        Postgres::instant(t)
    }

    fn bucket(e: Expr, instant: bool, bucket: Bucket) -> Expr {
        let local = match instant {
            true => cust::<Self>("({} AT TIME ZONE 'Asia/Shanghai')", vec![e]),
            false => e.cast_as("timestamp"),
        };
        let unit = match bucket {
            Bucket::Day => "day",
            Bucket::Week => "week",
            Bucket::Month => "month",
            Bucket::Quarter => "quarter",
            Bucket::Year => "year",
        };
        cust::<Self>(
            &format!("CAST(date_trunc('{unit}', {{}}) AS date)"),
            vec![local],
        )
    }

    fn instant_text(e: Expr) -> Expr {
        cust::<Self>(
            "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
            vec![e],
        )
    }

    fn binary_text(sql: String) -> String {
        format!("({sql} COLLATE \"C\")")
    }

    fn comma_list(e: Expr) -> Expr {
        cust::<Self>("string_agg({}, ',')", vec![e])
    }

    fn percentile(e: Expr, fraction: Decimal, filter: Option<Expr>) -> Expr {
        let within = cust::<Self>(
            "percentile_cont({}) WITHIN GROUP (ORDER BY CAST({} AS float8))",
            vec![
                Expr::val(Value::Decimal(Some(fraction))).cast_as("float8"),
                e,
            ],
        );
        match filter {
            None => within,
            Some(f) => cust::<Self>("{} FILTER (WHERE {})", vec![within, f]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_query::Query;

    #[test]
    fn sqlite_day_bucket_of_a_date_field_reads_the_field() {
        let key = FieldKey::parse("start_date").unwrap();
        let e = Sqlite::bucket(
            Expr::cust(Sqlite::field(&key, Storage::Date)),
            false,
            Bucket::Day,
        );
        let sql = Query::select()
            .expr(e)
            .to_string(sea_query::SqliteQueryBuilder);
        assert!(
            sql.contains("date((CASE WHEN json_type(r.data, '$.start_date')"),
            "{sql}"
        );
        let e = Sqlite::bucket(Expr::cust("r.created_at"), true, Bucket::Quarter);
        let sql = Query::select()
            .expr(e)
            .to_string(sea_query::SqliteQueryBuilder);
        assert!(
            !sql.contains('?') && sql.contains("strftime('%m', date(r.created_at"),
            "{sql}"
        );
        let e = Postgres::bucket(Expr::cust("r.created_at"), true, Bucket::Week);
        let sql = Query::select()
            .expr(e)
            .to_string(sea_query::PostgresQueryBuilder);
        assert!(
            sql.contains("date_trunc('week', (r.created_at AT TIME ZONE"),
            "{sql}"
        );
    }
}
