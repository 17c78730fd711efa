//! Report plans → SQL: a [`Plan`] of `formwork-reports` and the viewer's row scope become
//! the statements that answer it, on either database.
//!
//! - Records read `records r` or the form's projection (joined to `users ou` when the
//!   owner's username is needed); tasks read `task_facts t`, one row per task of a live
//!   record keyed by its process and form (`fact_scopes`), joined to `records r` only for
//!   the record's own columns and fields. The row scope is the list's [`Visibility`], tested
//!   inside the SQL on the record's owner and department, so a report never counts a record
//!   its viewer could not list.
//! - A grouped plan is one `GROUP BY` with `FILTER (WHERE …)` aggregates; a listing is one
//!   ordered, limited SELECT, plus a totals statement when the plan has one.
//! - Every select item comes out as text ([`decode`] turns it into a [`Cell`]).
//!
//! Field keys go into the SQL text as literals (checked by [`FieldKey::parse`]) so expression
//! indexes match; every value is bound.

use formwork_model::{AppId, FilterOp};
use formwork_reports::ir::{
    AggFn, AggregateExpr, Body, CellType, ColumnRef, Condition, GroupKey, Grouped, KeyPlan,
    Listing, Operand, Plan, RecordColumn, Scalar, SortTarget, Source, Storage, TaskColumn,
};
use rust_decimal::Decimal;
use sea_query::{Expr, ExprTrait as _, Func, NullOrdering, Order, Query, SelectStatement, Value};
use time::OffsetDateTime;

use crate::list::{FieldKey, QueryError, QueryResult, Visibility, contains_pattern};
use crate::projection::Projection;
pub use crate::report_decode::decode;
use crate::report_dialect::{ReportDialect, cust};
use crate::report_source::{columns_of, from, now_of};

/// Whose rows a report reads: the app and the viewer's row scope on the form's records.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportScope {
    pub app_id: AppId,
    pub visibility: Visibility,
}

/// How one text select item becomes a [`Cell`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decode {
    pub cell: CellType,
    /// Decimal places the database left out (SQLite money in 分: 2).
    pub scale: u32,
}

/// One statement and how to read each of its columns.
#[derive(Debug, Clone)]
pub struct ReportSql {
    pub statement: SelectStatement,
    pub decode: Vec<Decode>,
}

/// A percentile the database cannot compute: `sql` reads, per group, the group keys (the
/// first `keys` columns) and then the values the aggregate sees as one comma-separated text
/// (900k values as single rows cost SQLite a thread hand-off each); the caller decodes each
/// value as `value` says and computes `fraction` of the group
/// (`formwork_reports::eval::percentile`).
#[derive(Debug, Clone)]
pub struct PercentileSql {
    /// Which aggregate of the grouped result this fills.
    pub agg: usize,
    pub keys: usize,
    pub fraction: Decimal,
    /// How each value of the list decodes.
    pub value: Decode,
    pub sql: ReportSql,
}

/// Everything that answers one plan.
#[derive(Debug, Clone)]
pub struct ReportStatements {
    /// Grouped: the keys then the aggregates; listing: the projected columns.
    pub main: ReportSql,
    /// A listing's totals row (a grouped statement without keys).
    pub totals: Option<ReportSql>,
    /// Aggregates of `main` (read there as NULL) to fill from their own statements.
    pub percentiles: Vec<PercentileSql>,
}

fn invalid(message: String) -> QueryError {
    QueryError::new(message)
}

fn key_of(key: &str) -> QueryResult<FieldKey> {
    FieldKey::parse(key)
}

/// What every builder below reads: the instant "now" (task overdue) and the form's typed
/// projection when the plan reads it instead of `records`.
#[derive(Clone, Copy)]
pub(crate) struct Cx<'a> {
    pub(crate) now: OffsetDateTime,
    pub(crate) proj: Option<&'a Projection>,
}

/// The typed SQL of a column.
fn col_sql<D: ReportDialect>(c: &ColumnRef, cx: Cx<'_>) -> QueryResult<Expr> {
    Ok(match c {
        ColumnRef::Record { column } => Expr::cust(match column {
            RecordColumn::Id => D::binary_text("r.id".into()),
            RecordColumn::Number => D::binary_text("r.number".into()),
            RecordColumn::Owner => D::binary_text("ou.username".into()),
            RecordColumn::Department => D::binary_text("r.department_id".into()),
            RecordColumn::Status => D::binary_text("r.status".into()),
            RecordColumn::CreatedAt => "r.created_at".into(),
            RecordColumn::UpdatedAt => "r.updated_at".into(),
        }),
        ColumnRef::Task { column } => match column {
            TaskColumn::Process => Expr::cust(D::binary_text("ps.process_id".into())),
            TaskColumn::Node => Expr::cust(D::binary_text("t.node_id".into())),
            TaskColumn::Assignee => Expr::cust(D::binary_text("au.username".into())),
            TaskColumn::Action => Expr::cust(D::binary_text("t.action".into())),
            TaskColumn::Status => Expr::cust(D::binary_text("t.status".into())),
            TaskColumn::CreatedAt => Expr::cust("t.created_at"),
            TaskColumn::DecidedAt => Expr::cust("t.decided_at"),
            TaskColumn::DueAt => Expr::cust("t.due_at"),
            TaskColumn::Duration => Expr::cust("t.duration_s"),
            TaskColumn::Record => Expr::cust(D::binary_text("t.record_id".into())),
            // Decided after its deadline, or still open past it; never overdue without one.
            TaskColumn::Overdue => cust::<D>(
                "COALESCE(COALESCE(t.decided_at, {}) > t.due_at, FALSE)",
                vec![Expr::val(D::instant(cx.now))],
            ),
        },
        ColumnRef::Field { key, storage } => {
            let key = key_of(key)?;
            let projected = cx.proj.and_then(|p| p.report_column::<D>(&key, *storage));
            let sql = match projected {
                Some(col) => format!("r.{col}"),
                None => D::field(&key, *storage),
            };
            Expr::cust(match storage {
                Storage::Text => D::binary_text(sql),
                _ => sql,
            })
        }
    })
}

fn storage_of(c: &ColumnRef) -> Option<Storage> {
    match c {
        ColumnRef::Field { storage, .. } => Some(*storage),
        _ => None,
    }
}

/// A bound value compared with `c`.
fn bind<D: ReportDialect>(c: &ColumnRef, s: &Scalar) -> Expr {
    let value = match s {
        Scalar::Text(t) => Value::String(Some(t.clone())),
        Scalar::Number(n) => D::bind_number(storage_of(c).unwrap_or(Storage::Number), *n),
        Scalar::Date(d) => D::bind_date(*d),
        Scalar::Instant(t) => match storage_of(c) {
            Some(Storage::Datetime) => D::bind_field_instant(*t),
            _ => D::instant(*t),
        },
        Scalar::Bool(b) => Value::Bool(Some(*b)),
    };
    Expr::val(value)
}

/// One condition, with the list filter's semantics (see `formwork_reports::ir::Condition`).
fn condition<D: ReportDialect>(c: &Condition, cx: Cx<'_>) -> QueryResult<Expr> {
    let e = col_sql::<D>(&c.column, cx)?;
    if matches!(c.op, FilterOp::IsNull | FilterOp::NotNull) {
        return Ok(match c.op {
            FilterOp::IsNull => e.is_null(),
            _ => e.is_not_null(),
        });
    }
    let rhs = match &c.operand {
        Operand::Value(s) => bind::<D>(&c.column, s),
        Operand::Column(other) => col_sql::<D>(other, cx)?,
        Operand::List(items) if c.op == FilterOp::In => {
            return Ok(e.is_in(items.iter().map(|s| bind::<D>(&c.column, s))));
        }
        _ => return Err(invalid(format!("operator {:?} needs a value", c.op))),
    };
    Ok(match c.op {
        FilterOp::Eq | FilterOp::In => e.eq(rhs),
        FilterOp::Ne => e.clone().ne(rhs).or(e.is_null()),
        FilterOp::Lt => e.lt(rhs),
        FilterOp::Le => e.lte(rhs),
        FilterOp::Gt => e.gt(rhs),
        FilterOp::Ge => e.gte(rhs),
        FilterOp::Contains => {
            let Operand::Value(Scalar::Text(needle)) = &c.operand else {
                return Err(invalid("`contains` needs text".into()));
            };
            D::like_ci(e, contains_pattern(needle))
        }
        FilterOp::IsNull | FilterOp::NotNull => unreachable_null(),
    })
}

/// Handled above; kept total without a panic.
fn unreachable_null() -> Expr {
    Expr::cust("FALSE")
}

pub(crate) fn all<'c, D: ReportDialect>(
    conds: impl IntoIterator<Item = &'c Condition>,
    cx: Cx<'_>,
) -> QueryResult<Option<Expr>> {
    let mut out: Option<Expr> = None;
    for c in conds {
        let e = condition::<D>(c, cx)?;
        out = Some(match out {
            None => e,
            Some(acc) => acc.and(e),
        });
    }
    Ok(out)
}

fn is_instant(c: &ColumnRef) -> bool {
    c.cell_type() == CellType::Instant
}

/// The typed SQL of a grouping key (bucketed when it has a bucket).
fn key_expr<D: ReportDialect>(k: &GroupKey, cx: Cx<'_>) -> QueryResult<Expr> {
    let created = ColumnRef::Record {
        column: RecordColumn::CreatedAt,
    };
    // The projection holds the creation day in Asia/Shanghai: bucket the day, not the instant.
    if let (Some(_), Some(b), true) = (cx.proj, k.bucket, k.column == created) {
        return Ok(D::bucket(Expr::cust("r.created_day"), false, b));
    }
    let e = col_sql::<D>(&k.column, cx)?;
    Ok(match k.bucket {
        Some(b) => D::bucket(e, is_instant(&k.column), b),
        None => e,
    })
}

/// A text column of `task_facts`, indexed as it is (a projection's grouping indexes are on
/// `CAST(column AS TEXT)`, the expression its reports group by).
fn stored_as_text(c: &ColumnRef) -> bool {
    match c {
        ColumnRef::Task { column } => matches!(
            column,
            TaskColumn::Process
                | TaskColumn::Node
                | TaskColumn::Assignee
                | TaskColumn::Action
                | TaskColumn::Status
                | TaskColumn::Record
        ),
        ColumnRef::Record { .. } | ColumnRef::Field { .. } => false,
    }
}

/// A select item before it becomes text: its value, its type, and whether it is money.
struct Item {
    value: Expr,
    cell: CellType,
    money: bool,
    /// Selected as it is (a text column: see [`key_item`]).
    as_is: bool,
}

impl Item {
    fn of(value: Expr, cell: CellType, money: bool) -> Item {
        Item {
            value,
            cell,
            money,
            as_is: false,
        }
    }

    /// `e` (this item's value, or a column holding it) as the text select item.
    fn output<D: ReportDialect>(&self, e: Expr) -> (Expr, Decode) {
        match self.as_is {
            true => (
                e,
                Decode {
                    cell: self.cell,
                    scale: 0,
                },
            ),
            false => output::<D>(e, self.cell, self.money),
        }
    }
}

/// A grouping key. A text column is selected as it is: SQLite then groups it in its index's
/// order, where a `CAST` would hide that order and sort every row first (at 100k decided
/// tasks, time per step: 22 ms against 6).
fn key_item<D: ReportDialect>(k: &KeyPlan, cx: Cx<'_>) -> QueryResult<Item> {
    let e = key_expr::<D>(&k.key, cx)?;
    if k.key.bucket.is_none() && stored_as_text(&k.key.column) {
        return Ok(Item {
            as_is: true,
            ..Item::of(e, CellType::Text, false)
        });
    }
    let money = k.key.bucket.is_none() && is_money(&k.key.column);
    Ok(Item::of(e, k.key.cell_type(), money))
}

/// A grouping key as its select item, and how to decode it.
fn key_output<D: ReportDialect>(k: &KeyPlan, cx: Cx<'_>) -> QueryResult<(Expr, Decode)> {
    let item = key_item::<D>(k, cx)?;
    Ok(item.output::<D>(item.value.clone()))
}

/// `e` (of `cell` type) as the text select item, and how to decode it.
fn output<D: ReportDialect>(e: Expr, cell: CellType, money: bool) -> (Expr, Decode) {
    let scale = if money { D::MONEY_SCALE } else { 0 };
    let text = match cell {
        CellType::Instant => D::instant_text(e),
        _ => D::text(e),
    };
    (text, Decode { cell, scale })
}

fn is_money(c: &ColumnRef) -> bool {
    storage_of(c) == Some(Storage::Money)
}

fn aggregate<D: ReportDialect>(a: &AggregateExpr, cx: Cx<'_>) -> QueryResult<Item> {
    let filter = all::<D>(&a.filter, cx)?;
    let with = |f: sea_query::FunctionCall| -> Expr {
        match &filter {
            Some(c) => f.filter(c.clone()).into(),
            None => f.into(),
        }
    };
    let cell = a.cell_type();
    let (value, money) = match &a.func {
        AggFn::CountRows => (with(Func::count(Expr::cust("*"))), false),
        AggFn::Count { column } => (with(Func::count(col_sql::<D>(column, cx)?)), false),
        AggFn::CountDistinct { column } => {
            (with(Func::count_distinct(col_sql::<D>(column, cx)?)), false)
        }
        AggFn::Sum { column } => (with(Func::sum(col_sql::<D>(column, cx)?)), is_money(column)),
        AggFn::Min { column } => (with(Func::min(col_sql::<D>(column, cx)?)), is_money(column)),
        AggFn::Max { column } => (with(Func::max(col_sql::<D>(column, cx)?)), is_money(column)),
        AggFn::Percentile { column, fraction } => (
            D::percentile(col_sql::<D>(column, cx)?, *fraction, filter),
            false,
        ),
    };
    Ok(Item::of(value, cell, money))
}

fn grouped<D: ReportDialect>(
    plan: &Plan,
    g: &Grouped,
    scope: &ReportScope,
    proj: Option<&Projection>,
) -> QueryResult<(ReportSql, Vec<PercentileSql>)> {
    let cx = Cx {
        now: now_of(plan),
        proj,
    };
    // The groups are formed in a subquery and made text outside it, or inside where the
    // dialect groups on text ([`ReportDialect::GROUPS_ON_TEXT`]): on PostgreSQL a weekly
    // bucket turned to text per row cost 15 % more over 900k tasks.
    // Grouped by ordinal: a key may hold a bound value (overdue's `now`), and PostgreSQL
    // matches GROUP BY expressions by text, parameter numbers included.
    let mut inner = from::<D>(plan, scope, proj)?;
    let mut q = Query::select();
    let mut decode = Vec::new();
    let mut keys = Vec::new();
    let mut lift = |inner: &mut SelectStatement, item: Item, alias: String| {
        let outside = Expr::cust(format!("g.{alias}"));
        let (text, d) = match D::GROUPS_ON_TEXT {
            true => {
                let (text, d) = item.output::<D>(item.value.clone());
                inner.expr_as(text, alias);
                (outside, d)
            }
            false => {
                let (text, d) = item.output::<D>(outside);
                inner.expr_as(item.value, alias);
                (text, d)
            }
        };
        q.expr(text);
        decode.push(d);
    };
    for (i, k) in g.keys.iter().enumerate() {
        lift(&mut inner, key_item::<D>(k, cx)?, format!("k{i}"));
        keys.push(Expr::cust((i + 1).to_string()));
    }
    let mut percentiles = Vec::new();
    for (i, a) in g.aggregates.iter().enumerate() {
        if let AggFn::Percentile { column, fraction } = &a.func
            && !in_database::<D>(column)
        {
            percentiles.push(percentile_values::<D>(plan, g, a, column, scope, proj)?);
            if let Some(p) = percentiles.last_mut() {
                p.agg = i;
                p.fraction = *fraction;
            }
            let null = Item::of(Expr::cust("NULL"), CellType::Decimal, false);
            lift(
                &mut inner,
                Item {
                    as_is: true,
                    ..null
                },
                format!("a{i}"),
            );
            continue;
        }
        lift(&mut inner, aggregate::<D>(a, cx)?, format!("a{i}"));
    }
    if !keys.is_empty() {
        inner.add_group_by(keys);
    }
    inner.limit(g.max_groups + 1);
    q.from_subquery(inner, "g");
    Ok((
        ReportSql {
            statement: q,
            decode,
        },
        percentiles,
    ))
}

/// Whether the database computes a percentile of `column`: PostgreSQL's `percentile_cont`
/// works in float8, exact for whole seconds but not for a decimal's interpolated cents
/// (`…61.365` came out `…61.36`), which are computed exactly by the caller instead.
fn in_database<D: ReportDialect>(column: &ColumnRef) -> bool {
    D::PERCENTILE && column.cell_type() == CellType::Int
}

/// The statement feeding a percentile computed by the caller: group keys, then the value.
fn percentile_values<D: ReportDialect>(
    plan: &Plan,
    g: &Grouped,
    a: &AggregateExpr,
    column: &ColumnRef,
    scope: &ReportScope,
    proj: Option<&Projection>,
) -> QueryResult<PercentileSql> {
    let cx = Cx {
        now: now_of(plan),
        proj,
    };
    let mut q = from::<D>(plan, scope, proj)?;
    let mut decode = Vec::new();
    let mut keys = Vec::new();
    for (i, k) in g.keys.iter().enumerate() {
        let (text, d) = key_output::<D>(k, cx)?;
        q.expr(text);
        decode.push(d);
        keys.push(Expr::cust((i + 1).to_string()));
    }
    let value = col_sql::<D>(column, cx)?;
    // Whole numbers (seconds taken) are listed as they are.
    let (item, how) = match column.cell_type() {
        CellType::Int => (
            value.clone(),
            Decode {
                cell: CellType::Int,
                scale: 0,
            },
        ),
        _ => output::<D>(value.clone(), CellType::Decimal, is_money(column)),
    };
    q.expr(D::comma_list(item.cast_as("TEXT")));
    decode.push(Decode {
        cell: CellType::Text,
        scale: 0,
    });
    q.and_where(value.is_not_null());
    if let Some(f) = all::<D>(&a.filter, cx)? {
        q.and_where(f);
    }
    if !keys.is_empty() {
        q.add_group_by(keys);
    }
    Ok(PercentileSql {
        agg: 0,
        keys: g.keys.len(),
        fraction: Decimal::ZERO,
        value: how,
        sql: ReportSql {
            statement: q,
            decode,
        },
    })
}

fn listing<D: ReportDialect>(
    plan: &Plan,
    l: &Listing,
    scope: &ReportScope,
    proj: Option<&Projection>,
) -> QueryResult<ReportSql> {
    let cx = Cx {
        now: now_of(plan),
        proj,
    };
    let mut q = from::<D>(plan, scope, proj)?;
    let mut decode = Vec::new();
    let mut exprs = Vec::new();
    for p in &l.columns {
        let e = col_sql::<D>(&p.column, cx)?;
        let (text, d) = output::<D>(e.clone(), p.column.cell_type(), is_money(&p.column));
        q.expr(text);
        decode.push(d);
        exprs.push(e);
    }
    for o in &l.order {
        let SortTarget::Column(i) = o.target else {
            return Err(invalid("a listing sorts by its columns".into()));
        };
        let e = exprs
            .get(i)
            .cloned()
            .ok_or_else(|| invalid(format!("no column {i} to sort by")))?;
        let dir = if o.desc { Order::Desc } else { Order::Asc };
        q.order_by_expr_with_nulls(e, dir, NullOrdering::Last);
    }
    if matches!(plan.source, Source::Records { .. }) {
        q.order_by_expr(Expr::cust("r.id"), Order::Desc);
    }
    q.limit(l.limit);
    Ok(ReportSql {
        statement: q,
        decode,
    })
}

/// The statements answering `plan` for the rows `scope` lets its viewer read.
pub fn statements<D: ReportDialect>(
    plan: &Plan,
    scope: &ReportScope,
) -> QueryResult<ReportStatements> {
    statements_with::<D>(plan, scope, None)
}

/// Whether `plan` can read `proj` instead of the JSON: a record report of the projected form
/// whose every field is a projected column.
pub fn reads_projection<D: ReportDialect>(plan: &Plan, proj: &Projection) -> bool {
    let Source::Records { form } = &plan.source else {
        return false;
    };
    *form == proj.spec.form_id
        && columns_of(plan).iter().all(|c| match c {
            ColumnRef::Field { key, storage } => {
                FieldKey::parse(key).is_ok_and(|k| proj.report_column::<D>(&k, *storage).is_some())
            }
            _ => true,
        })
}

/// [`statements`], reading the form's typed projection when it holds all the plan reads.
pub fn statements_with<D: ReportDialect>(
    plan: &Plan,
    scope: &ReportScope,
    proj: Option<&Projection>,
) -> QueryResult<ReportStatements> {
    let proj = proj.filter(|p| reads_projection::<D>(plan, p));
    Ok(match &plan.body {
        Body::Grouped(g) => {
            let (main, percentiles) = grouped::<D>(plan, g, scope, proj)?;
            ReportStatements {
                main,
                totals: None,
                percentiles,
            }
        }
        Body::Listing(l) => ReportStatements {
            main: listing::<D>(plan, l, scope, proj)?,
            totals: l
                .totals
                .as_ref()
                .map(|t| grouped::<D>(plan, t, scope, proj).map(|(sql, _)| sql))
                .transpose()?,
            percentiles: Vec::new(),
        },
    })
}
