//! The reference evaluator: a [`Plan`] computed in Rust over rows in memory, returning what
//! the database must return for it (the same [`Cell`]s), so parity tests can run one plan on
//! SQLite, on PostgreSQL and here, then compare.
//!
//! The rows given are those the viewer may see: the row scope is the caller's. Text compares
//! by code point (the SQL side must compare with a binary collation, `COLLATE "C"` on
//! PostgreSQL); `contains` folds ASCII case only, as SQLite's `LIKE` does.

use std::cmp::Ordering;
use std::collections::HashMap;

use formwork_model::FilterOp;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, Month, OffsetDateTime};

use crate::filters::{SHANGHAI, decimal, parse_date};
use crate::ir::{
    AggFn, AggregateExpr, Body, Bucket, Cell, CellType, ColumnRef, Condition, Grouped, Listing,
    Operand, Plan, RecordColumn, Scalar, SortTarget, Source, Storage, TaskColumn,
};
use crate::shape::number;

/// A record as the evaluator reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRow {
    pub id: String,
    pub number: Option<String>,
    /// Username.
    pub owner: String,
    pub department: Option<String>,
    pub status: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub data: Value,
}

/// A task as the evaluator reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRow {
    pub record_id: String,
    pub process: String,
    pub node: String,
    /// Username.
    pub assignee: String,
    pub status: String,
    pub action: Option<String>,
    pub created_at: OffsetDateTime,
    pub decided_at: Option<OffsetDateTime>,
    pub due_at: Option<OffsetDateTime>,
}

/// The rows a plan reads.
#[derive(Debug, Clone, Copy)]
pub enum Rows<'a> {
    Records(&'a [RecordRow]),
    Tasks(&'a [TaskRow]),
}

/// One row of either kind.
#[derive(Clone, Copy)]
enum Row<'a> {
    Record(&'a RecordRow),
    Task(&'a TaskRow),
}

/// What the database returns for `plan` over `rows`: the result rows, and for a listing with
/// totals, the totals row (over every matching row, not only those listed).
pub fn evaluate(plan: &Plan, rows: Rows<'_>) -> (Vec<Vec<Cell>>, Option<Vec<Cell>>) {
    let now = match &plan.source {
        Source::Tasks { now, .. } => *now,
        Source::Records { .. } => OffsetDateTime::UNIX_EPOCH,
    };
    let all: Vec<Row<'_>> = match rows {
        Rows::Records(r) => r.iter().map(Row::Record).collect(),
        Rows::Tasks(t) => t.iter().map(Row::Task).collect(),
    };
    let kept: Vec<Row<'_>> = all
        .into_iter()
        .filter(|r| plan.filters.iter().all(|c| holds(c, *r, now)))
        .collect();
    match &plan.body {
        Body::Grouped(g) => (grouped(g, &kept, now), None),
        Body::Listing(l) => listing(l, &kept, now),
    }
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_owned())
}

fn opt_text(s: &Option<String>) -> Cell {
    s.as_deref().map_or(Cell::Null, text)
}

fn instant(t: Option<OffsetDateTime>) -> Cell {
    t.map_or(Cell::Null, Cell::Instant)
}

/// The value of `column` in `row`, as the database would decode it.
fn read(column: &ColumnRef, row: Row<'_>, now: OffsetDateTime) -> Cell {
    match (column, row) {
        (ColumnRef::Record { column }, Row::Record(r)) => match column {
            RecordColumn::Id => text(&r.id),
            RecordColumn::Number => opt_text(&r.number),
            RecordColumn::Owner => text(&r.owner),
            RecordColumn::Department => opt_text(&r.department),
            RecordColumn::Status => text(&r.status),
            RecordColumn::CreatedAt => Cell::Instant(r.created_at),
            RecordColumn::UpdatedAt => Cell::Instant(r.updated_at),
        },
        (ColumnRef::Field { key, storage }, Row::Record(r)) => {
            field(r.data.get(key).unwrap_or(&Value::Null), *storage)
        }
        (ColumnRef::Task { column }, Row::Task(t)) => match column {
            TaskColumn::Process => text(&t.process),
            TaskColumn::Node => text(&t.node),
            TaskColumn::Assignee => text(&t.assignee),
            TaskColumn::Action => opt_text(&t.action),
            TaskColumn::Status => text(&t.status),
            TaskColumn::CreatedAt => Cell::Instant(t.created_at),
            TaskColumn::DecidedAt => instant(t.decided_at),
            TaskColumn::DueAt => instant(t.due_at),
            TaskColumn::Duration => t.decided_at.map_or(Cell::Null, |d| {
                Cell::Int(d.unix_timestamp() - t.created_at.unix_timestamp())
            }),
            TaskColumn::Overdue => Cell::Bool(match (t.due_at, t.decided_at) {
                (Some(due), Some(decided)) => decided > due,
                (Some(due), None) => due < now,
                (None, _) => false,
            }),
            TaskColumn::Record => text(&t.record_id),
        },
        _ => Cell::Null,
    }
}

/// A JSON field value read by its storage; values that do not fit read as null.
fn field(value: &Value, storage: Storage) -> Cell {
    let as_text = || match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let cell = match storage {
        Storage::Text => as_text().map(Cell::Text),
        Storage::Number | Storage::Money => match value {
            Value::String(_) | Value::Number(_) => as_text().and_then(|t| decimal(&t)),
            _ => None,
        }
        .map(Cell::Decimal),
        Storage::Date => value.as_str().and_then(parse_date).map(Cell::Date),
        Storage::Datetime => value
            .as_str()
            .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
            .map(Cell::Instant),
        Storage::Bool => value.as_bool().map(Cell::Bool),
        Storage::Json if value.is_null() => None,
        Storage::Json => Some(Cell::Json(value.clone())),
    };
    cell.unwrap_or(Cell::Null)
}

fn scalar_cell(s: &Scalar) -> Cell {
    match s {
        Scalar::Text(t) => Cell::Text(t.clone()),
        Scalar::Number(n) => Cell::Decimal(*n),
        Scalar::Date(d) => Cell::Date(*d),
        Scalar::Instant(i) => Cell::Instant(*i),
        Scalar::Bool(b) => Cell::Bool(*b),
    }
}

/// Compares two non-null cells of one column; `None` when they cannot be compared.
fn cmp_cells(a: &Cell, b: &Cell) -> Option<Ordering> {
    match (a, b) {
        (Cell::Text(x), Cell::Text(y)) => Some(x.cmp(y)),
        (Cell::Date(x), Cell::Date(y)) => Some(x.cmp(y)),
        (Cell::Instant(x), Cell::Instant(y)) => Some(x.cmp(y)),
        (Cell::Bool(x), Cell::Bool(y)) => Some(x.cmp(y)),
        _ => Some(number(a)?.cmp(&number(b)?)),
    }
}

fn holds(c: &Condition, row: Row<'_>, now: OffsetDateTime) -> bool {
    let lhs = read(&c.column, row, now);
    let rhs = match &c.operand {
        Operand::None => Cell::Null,
        Operand::Value(s) => scalar_cell(s),
        Operand::Column(col) => read(col, row, now),
        Operand::List(items) => {
            return c.op == FilterOp::In
                && !matches!(lhs, Cell::Null)
                && items
                    .iter()
                    .any(|i| cmp_cells(&lhs, &scalar_cell(i)) == Some(Ordering::Equal));
        }
    };
    let null = matches!(lhs, Cell::Null);
    match c.op {
        FilterOp::IsNull => null,
        FilterOp::NotNull => !null,
        FilterOp::Ne if null => true,
        FilterOp::Contains => match (&lhs, &rhs) {
            (Cell::Text(h), Cell::Text(n)) => {
                h.to_ascii_lowercase().contains(&n.to_ascii_lowercase())
            }
            _ => false,
        },
        op => {
            let Some(ord) = cmp_cells(&lhs, &rhs) else {
                return false;
            };
            match op {
                FilterOp::Eq | FilterOp::In => ord == Ordering::Equal,
                FilterOp::Ne => ord != Ordering::Equal,
                FilterOp::Lt => ord == Ordering::Less,
                FilterOp::Le => ord != Ordering::Greater,
                FilterOp::Gt => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            }
        }
    }
}

/// The first day of the bucket holding `date`.
pub fn bucket_start(bucket: Bucket, date: Date) -> Date {
    let first_of = |month: Month| Date::from_calendar_date(date.year(), month, 1).unwrap_or(date);
    match bucket {
        Bucket::Day => date,
        Bucket::Week => date - Duration::days(i64::from(date.weekday().number_days_from_monday())),
        Bucket::Month => first_of(date.month()),
        Bucket::Quarter => {
            let m = u8::from(date.month());
            first_of(Month::try_from(m - (m - 1) % 3).unwrap_or(Month::January))
        }
        Bucket::Year => first_of(Month::January),
    }
}

fn bucketed(cell: Cell, bucket: Option<Bucket>) -> Cell {
    let Some(bucket) = bucket else { return cell };
    let date = match cell {
        Cell::Date(d) => d,
        Cell::Instant(t) => t.to_offset(SHANGHAI).date(),
        _ => return Cell::Null,
    };
    Cell::Date(bucket_start(bucket, date))
}

/// A stable identity of a cell for grouping and distinct counts (1.0 and 1.00 are one).
fn identity(cell: &Cell) -> String {
    match cell {
        Cell::Decimal(d) => format!("n:{}", d.normalize()),
        Cell::Int(i) => format!("n:{i}"),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

fn aggregate(agg: &AggregateExpr, rows: &[Row<'_>], now: OffsetDateTime) -> Cell {
    let rows: Vec<Row<'_>> = rows
        .iter()
        .copied()
        .filter(|r| agg.filter.iter().all(|c| holds(c, *r, now)))
        .collect();
    let values = |column: &ColumnRef| -> Vec<Cell> {
        rows.iter()
            .map(|r| read(column, *r, now))
            .filter(|c| !matches!(c, Cell::Null))
            .collect()
    };
    let count = |n: usize| Cell::Int(i64::try_from(n).unwrap_or(i64::MAX));
    match &agg.func {
        AggFn::CountRows => count(rows.len()),
        AggFn::Count { column } => count(values(column).len()),
        AggFn::CountDistinct { column } => {
            let mut seen: Vec<String> = values(column).iter().map(identity).collect();
            seen.sort();
            seen.dedup();
            count(seen.len())
        }
        AggFn::Sum { column } => {
            let nums: Vec<Decimal> = values(column).iter().filter_map(number).collect();
            if nums.is_empty() {
                return Cell::Null;
            }
            let sum: Decimal = nums.into_iter().sum();
            match agg.cell_type() {
                CellType::Int => i64::try_from(sum).map_or(Cell::Decimal(sum), Cell::Int),
                _ => Cell::Decimal(sum),
            }
        }
        AggFn::Min { column } | AggFn::Max { column } => {
            let max = matches!(agg.func, AggFn::Max { .. });
            values(column)
                .into_iter()
                .reduce(|a, b| match (cmp_cells(&b, &a), max) {
                    (Some(Ordering::Greater), true) | (Some(Ordering::Less), false) => b,
                    _ => a,
                })
                .unwrap_or(Cell::Null)
        }
        AggFn::Percentile { column, fraction } => {
            let mut nums: Vec<Decimal> = values(column).iter().filter_map(number).collect();
            nums.sort();
            percentile(&nums, *fraction).map_or(Cell::Null, Cell::Decimal)
        }
    }
}

/// Continuous percentile of sorted values, as PostgreSQL's `percentile_cont`.
pub fn percentile(sorted: &[Decimal], fraction: Decimal) -> Option<Decimal> {
    let last = sorted.len().checked_sub(1)?;
    let pos = fraction * Decimal::from(last);
    let lo = pos.floor();
    let i = lo.to_usize()?;
    let (a, b) = (sorted.get(i)?, sorted.get((i + 1).min(last))?);
    Some(*a + (*b - *a) * (pos - lo))
}

fn grouped(g: &Grouped, rows: &[Row<'_>], now: OffsetDateTime) -> Vec<Vec<Cell>> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<(Vec<Cell>, Vec<Row<'_>>)> = Vec::new();
    for row in rows {
        let keys: Vec<Cell> = g
            .keys
            .iter()
            .map(|k| bucketed(read(&k.key.column, *row, now), k.key.bucket))
            .collect();
        let id = keys.iter().map(identity).collect::<Vec<_>>().join("\u{1f}");
        let at = *index.entry(id).or_insert_with(|| {
            groups.push((keys, Vec::new()));
            groups.len() - 1
        });
        groups[at].1.push(*row);
    }
    // An aggregate without GROUP BY yields one row even over no rows, as SQL does.
    if g.keys.is_empty() && groups.is_empty() {
        groups.push((Vec::new(), Vec::new()));
    }
    groups
        .into_iter()
        .map(|(mut keys, members)| {
            keys.extend(g.aggregates.iter().map(|a| aggregate(a, &members, now)));
            keys
        })
        .collect()
}

fn listing(
    l: &Listing,
    rows: &[Row<'_>],
    now: OffsetDateTime,
) -> (Vec<Vec<Cell>>, Option<Vec<Cell>>) {
    let mut out: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| l.columns.iter().map(|p| read(&p.column, *r, now)).collect())
        .collect();
    let id_first = matches!(
        l.columns.first().map(|p| &p.column),
        Some(ColumnRef::Record {
            column: RecordColumn::Id
        })
    );
    out.sort_by(|a, b| {
        let by_order = l.order.iter().map(|o| {
            let SortTarget::Column(i) = o.target else {
                return Ordering::Equal;
            };
            match (&a[i], &b[i]) {
                (Cell::Null, Cell::Null) => Ordering::Equal,
                (Cell::Null, _) => Ordering::Greater,
                (_, Cell::Null) => Ordering::Less,
                (x, y) => {
                    let ord = cmp_cells(x, y).unwrap_or(Ordering::Equal);
                    if o.desc { ord.reverse() } else { ord }
                }
            }
        });
        let by_id = match id_first {
            true => cmp_cells(&b[0], &a[0]).unwrap_or(Ordering::Equal),
            false => Ordering::Equal,
        };
        by_order
            .chain(std::iter::once(by_id))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
    out.truncate(usize::try_from(l.limit).unwrap_or(usize::MAX));
    let totals = l
        .totals
        .as_ref()
        .and_then(|t| grouped(t, rows, now).into_iter().next());
    (out, totals)
}
