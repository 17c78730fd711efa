//! Where a report reads: the `FROM` of its statements, with the joins the plan needs, the
//! app and form, deletion and the viewer's row scope.

use formwork_model::{DepartmentId, FilterOp};
use formwork_reports::ir::{
    AggFn, Body, ColumnRef, Condition, Grouped, Operand, Plan, RecordColumn, Scalar, Source,
    TaskColumn,
};
use sea_query::{Expr, ExprTrait as _, JoinType, Query, SelectStatement};
use time::OffsetDateTime;

use crate::list::{NOT_DRAFT, QueryResult, Visibility};
use crate::projection::Projection;
use crate::report::{Cx, ReportScope, all};
use crate::report_dialect::{ReportDialect, cust};

/// Every column the plan reads, to know which joins it needs.
pub(crate) fn columns_of(plan: &Plan) -> Vec<&ColumnRef> {
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
pub(crate) fn from<D: ReportDialect>(
    plan: &Plan,
    scope: &ReportScope,
    proj: Option<&Projection>,
) -> QueryResult<SelectStatement> {
    let cols = columns_of(plan);
    let uses = |c: ColumnRef| cols.iter().any(|x| **x == c);
    let absorbed = match plan.source {
        Source::Tasks { .. } => plan.filters.iter().position(|c| process_of(c).is_some()),
        Source::Records { .. } => None,
    };
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
            // The facts carry small integer keys of their process and form (`fact_scopes`),
            // so every index leads with 4 bytes instead of the ids' text.
            let (key, process) = match absorbed.and_then(|i| process_of(&plan.filters[i])) {
                Some(p) => ("process_key", p),
                None => ("form_key", ""),
            };
            let lookup = format!(
                "t.{key} = (SELECT s.id FROM fact_scopes s \
                 WHERE s.app_id = {{}} AND s.form_id = {{}} AND s.process_id = {{}})"
            );
            let values = [scope.app_id.as_str(), form.as_str(), process];
            q.from_as("task_facts", "t").and_where(cust::<D>(
                &lookup,
                values.iter().map(|v| Expr::val(*v)).collect(),
            ));
            let process_column = ColumnRef::Task {
                column: TaskColumn::Process,
            };
            let named = cols.iter().filter(|c| ***c == process_column).count();
            if named > usize::from(absorbed.is_some()) {
                q.join_as(
                    JoinType::InnerJoin,
                    "fact_scopes",
                    "ps",
                    Expr::cust("ps.id = t.process_key"),
                );
            }
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
    let rest = plan
        .filters
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != absorbed)
        .map(|(_, c)| c);
    if let Some(w) = all::<D>(rest, cx)? {
        q.and_where(w);
    }
    Ok(q)
}

/// The process a filter `process = …` names: the facts' process key answers it.
fn process_of(c: &Condition) -> Option<&str> {
    match (&c.column, c.op, &c.operand) {
        (
            ColumnRef::Task {
                column: TaskColumn::Process,
            },
            FilterOp::Eq,
            Operand::Value(Scalar::Text(p)),
        ) => Some(p),
        _ => None,
    }
}

pub(crate) fn now_of(plan: &Plan) -> OffsetDateTime {
    match &plan.source {
        Source::Tasks { now, .. } => *now,
        Source::Records { .. } => OffsetDateTime::UNIX_EPOCH,
    }
}
