//! Report plans → SQL: a [`Plan`] of `formwork-reports` and the viewer's row scope become
//! the statements that answer it, on either database.
//!
//! - Records read `records r` (joined to `users ou` when the owner's username is needed);
//!   tasks read `tasks t ⋈ process_instances pi ⋈ records r` (and `users au` for the
//!   assignee). The row scope is the list's [`Visibility`], tested on `r` inside the SQL, so
//!   a report never counts a record its viewer could not list.
//! - A grouped plan is one `GROUP BY` with `FILTER (WHERE …)` aggregates; a listing is one
//!   ordered, limited SELECT, plus a totals statement when the plan has one.
//! - Every select item comes out as text ([`decode`] turns it into a [`Cell`]).
//!
//! Field keys go into the SQL text as literals (checked by [`FieldKey::parse`]) so expression
//! indexes match; every value is bound.

use formwork_model::{AppId, DepartmentId, FilterOp};
use formwork_reports::ir::{
    AggFn, AggregateExpr, Body, CellType, ColumnRef, Condition, GroupKey, Grouped, KeyPlan,
    Listing, Operand, Plan, RecordColumn, Scalar, SortTarget, Source, Storage, TaskColumn,
};
use rust_decimal::Decimal;
use sea_query::{
    Expr, ExprTrait as _, Func, JoinType, NullOrdering, Order, Query, SelectStatement, Value,
};
use time::OffsetDateTime;

use crate::list::{FieldKey, NOT_DRAFT, QueryError, QueryResult, Visibility, contains_pattern};
use crate::projection::Projection;
pub use crate::report_decode::decode;
use crate::report_dialect::{ReportDialect, cust};

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

/// A percentile the database cannot compute: `statement` reads the group keys (the first
/// `keys` columns) and then the value, of the rows the aggregate sees; the caller groups the
/// values and computes `fraction` of each group (`formwork_reports::eval::percentile`).
#[derive(Debug, Clone)]
pub struct PercentileSql {
    /// Which aggregate of the grouped result this fills.
    pub agg: usize,
    pub keys: usize,
    pub fraction: Decimal,
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
struct Cx<'a> {
    now: OffsetDateTime,
    proj: Option<&'a Projection>,
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
            TaskColumn::Process => Expr::cust(D::binary_text("t.process_id".into())),
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

fn all<D: ReportDialect>(conds: &[Condition], cx: Cx<'_>) -> QueryResult<Option<Expr>> {
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

/// Every column the plan reads, to know which joins it needs.
fn columns_of(plan: &Plan) -> Vec<&ColumnRef> {
    let mut out: Vec<&ColumnRef> = Vec::new();
    for c in &plan.filters {
        out.push(&c.column);
        if let Operand::Column(o) = &c.operand {
            out.push(o);
        }
    }
    match &plan.body {
        Body::Grouped(g) => grouped_columns(g, &mut out),
        Body::Listing(l) => {
            out.extend(l.columns.iter().map(|p| &p.column));
            if let Some(t) = &l.totals {
                grouped_columns(t, &mut out);
            }
        }
    }
    out
}

fn grouped_columns<'a>(g: &'a Grouped, out: &mut Vec<&'a ColumnRef>) {
    for k in &g.keys {
        out.push(&k.key.column);
    }
    for a in &g.aggregates {
        out.extend(a.filter.iter().map(|c| &c.column));
        match &a.func {
            AggFn::CountRows => {}
            AggFn::Count { column }
            | AggFn::CountDistinct { column }
            | AggFn::Sum { column }
            | AggFn::Min { column }
            | AggFn::Max { column }
            | AggFn::Percentile { column, .. } => out.push(column),
        }
    }
}

/// `FROM` with the joins the plan needs, the app/form, deletion and row-scope conditions.
///
/// Tasks are read from `task_facts` (one row per task of a live record, with its record's
/// app, form, owner and department and its process: the migrations' triggers keep it), so
/// a KPI reads one covering index; the record is joined only for its own columns and fields.
fn from<D: ReportDialect>(
    plan: &Plan,
    scope: &ReportScope,
    proj: Option<&Projection>,
) -> QueryResult<SelectStatement> {
    let cols = columns_of(plan);
    let uses = |c: ColumnRef| cols.iter().any(|x| **x == c);
    let mut q = Query::select();
    // Where the record's owner and department are read (the row scope, the owner's name).
    let mut owner = "r";
    match &plan.source {
        Source::Records { form } => {
            match proj {
                Some(p) => q.from_as(p.table.clone(), "r"),
                None => q.from_as("records", "r"),
            };
            // A projection holds the live, submitted records of its form only. A draft (暂存)
            // is its owner's private half-filled form, not a registration yet.
            if proj.is_none() {
                q.and_where(Expr::cust("r.app_id").eq(scope.app_id.as_str()))
                    .and_where(Expr::cust("r.form_id").eq(form.as_str()))
                    .and_where(Expr::cust("r.deleted_at").is_null())
                    .and_where(Expr::cust(format!("r.{NOT_DRAFT}")));
            }
        }
        Source::Tasks { form, .. } => {
            owner = "t";
            q.from_as("task_facts", "t")
                .and_where(Expr::cust("t.app_id").eq(scope.app_id.as_str()))
                .and_where(Expr::cust("t.form_id").eq(form.as_str()));
            let of_record = cols.iter().any(|c| match c {
                ColumnRef::Field { .. } => true,
                ColumnRef::Record { column } => *column != RecordColumn::Owner,
                ColumnRef::Task { .. } => false,
            });
            if of_record {
                q.join_as(
                    JoinType::InnerJoin,
                    "records",
                    "r",
                    Expr::cust("r.id = t.record_id"),
                );
            }
            if uses(ColumnRef::Task {
                column: TaskColumn::Assignee,
            }) {
                q.join_as(
                    JoinType::LeftJoin,
                    "users",
                    "au",
                    Expr::cust("au.id = t.assignee_id"),
                );
            }
        }
    };
    if uses(ColumnRef::Record {
        column: RecordColumn::Owner,
    }) {
        q.join_as(
            JoinType::LeftJoin,
            "users",
            "ou",
            Expr::cust(format!("ou.id = {owner}.owner_id")),
        );
    }
    if let Visibility::OwnOrDepartments {
        owner_id,
        department_ids,
    } = &scope.visibility
    {
        let own = Expr::cust(format!("{owner}.owner_id")).eq(owner_id.as_str());
        let visible = match department_ids.is_empty() {
            true => own,
            false => own.or(Expr::cust(format!("{owner}.department_id"))
                .is_in(department_ids.iter().map(DepartmentId::as_str))),
        };
        q.and_where(visible);
    }
    let cx = Cx {
        now: now_of(plan),
        proj,
    };
    if let Some(w) = all::<D>(&plan.filters, cx)? {
        q.and_where(w);
    }
    Ok(q)
}

fn now_of(plan: &Plan) -> OffsetDateTime {
    match &plan.source {
        Source::Tasks { now, .. } => *now,
        Source::Records { .. } => OffsetDateTime::UNIX_EPOCH,
    }
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

/// A grouping key as its select item, and how to decode it. A text column is selected as it
/// is: SQLite then groups it in its index's order, where a `CAST` would hide that order and
/// sort every row first (at 100k decided tasks, time per step: 22 ms against 6).
fn key_output<D: ReportDialect>(k: &KeyPlan, cx: Cx<'_>) -> QueryResult<(Expr, Decode)> {
    let e = key_expr::<D>(&k.key, cx)?;
    if k.key.bucket.is_none() && stored_as_text(&k.key.column) {
        let text = Decode {
            cell: CellType::Text,
            scale: 0,
        };
        return Ok((e, text));
    }
    let money = k.key.bucket.is_none() && is_money(&k.key.column);
    Ok(output::<D>(e, k.key.cell_type(), money))
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

fn aggregate<D: ReportDialect>(a: &AggregateExpr, cx: Cx<'_>) -> QueryResult<(Expr, Decode)> {
    let filter = all::<D>(&a.filter, cx)?;
    let with = |f: sea_query::FunctionCall| -> Expr {
        match &filter {
            Some(c) => f.filter(c.clone()).into(),
            None => f.into(),
        }
    };
    let cell = a.cell_type();
    Ok(match &a.func {
        AggFn::CountRows => output::<D>(with(Func::count(Expr::cust("*"))), cell, false),
        AggFn::Count { column } => {
            output::<D>(with(Func::count(col_sql::<D>(column, cx)?)), cell, false)
        }
        AggFn::CountDistinct { column } => output::<D>(
            with(Func::count_distinct(col_sql::<D>(column, cx)?)),
            cell,
            false,
        ),
        AggFn::Sum { column } => output::<D>(
            with(Func::sum(col_sql::<D>(column, cx)?)),
            cell,
            is_money(column),
        ),
        AggFn::Min { column } => output::<D>(
            with(Func::min(col_sql::<D>(column, cx)?)),
            cell,
            is_money(column),
        ),
        AggFn::Max { column } => output::<D>(
            with(Func::max(col_sql::<D>(column, cx)?)),
            cell,
            is_money(column),
        ),
        AggFn::Percentile { column, fraction } => output::<D>(
            D::percentile(col_sql::<D>(column, cx)?, *fraction, filter),
            cell,
            false,
        ),
    })
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
    let mut q = from::<D>(plan, scope, proj)?;
    let mut decode = Vec::new();
    // Grouped by ordinal: a key may hold a bound value (overdue's `now`), and PostgreSQL
    // matches GROUP BY expressions by text, parameter numbers included.
    let mut keys = Vec::new();
    for (i, k) in g.keys.iter().enumerate() {
        let (text, d) = key_output::<D>(k, cx)?;
        q.expr(text);
        decode.push(d);
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
            q.expr(Expr::cust("NULL"));
            decode.push(Decode {
                cell: CellType::Decimal,
                scale: 0,
            });
            continue;
        }
        let (e, d) = aggregate::<D>(a, cx)?;
        q.expr(e);
        decode.push(d);
    }
    if !keys.is_empty() {
        q.add_group_by(keys);
    }
    q.limit(g.max_groups + 1);
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
    for k in &g.keys {
        let (text, d) = key_output::<D>(k, cx)?;
        q.expr(text);
        decode.push(d);
    }
    let value = col_sql::<D>(column, cx)?;
    let (text, d) = output::<D>(value.clone(), CellType::Decimal, is_money(column));
    q.expr(text);
    decode.push(d);
    q.and_where(value.is_not_null());
    if let Some(f) = all::<D>(&a.filter, cx)? {
        q.and_where(f);
    }
    Ok(PercentileSql {
        agg: 0,
        keys: g.keys.len(),
        fraction: Decimal::ZERO,
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
