//! The planner: a report definition, the viewer's parameters and readable fields → a [`Plan`].
//!
//! Every name is resolved against the report's source for this viewer ([`crate::columns`]);
//! every value is parsed to its column's type here, so the SQL renderer only binds.

use std::collections::BTreeSet;

use formwork_forms::CompiledForm;
use formwork_model::{AppDef, DashboardDef, ParamDef, ReportDef, ReportSource, ViewKind};
use time::OffsetDateTime;

use crate::columns::{Resolver, require};
use crate::error::PlanError;
use crate::expr_filter::translate;
use crate::filters::{ParamValues, condition, param_conditions};
use crate::ir::{
    AggFn, AggregateExpr, Body, Bucket, Condition, Formula, GroupKey, Grouped, KeyPlan, Listing,
    MeasurePlan, Order, OutputColumn, Plan, Projection, RecordColumn, SortTarget, Source, Unit,
    ValueType,
};
use crate::labels::Labels;
use crate::measures::{measure, push_agg};

/// Most groups a grouped report may return.
pub const MAX_GROUPS: u64 = 10_000;
/// Most rows a listing (table, kanban, Gantt, calendar) returns.
pub const MAX_LISTING: u64 = 5_000;

/// What the planner needs besides the report: the published package, its compiled form, the
/// catalog words and the time that decides overdue tasks.
#[derive(Clone, Copy)]
pub struct PlanContext<'a> {
    pub app: &'a AppDef,
    /// The report's form, compiled.
    pub form: &'a CompiledForm,
    pub labels: &'a dyn Labels,
    pub now: OffsetDateTime,
}

/// Who looks: the form fields they may read (the runtime's field permissions) and their
/// language.
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    pub readable: &'a BTreeSet<String>,
    pub lang: &'a str,
}

/// Plans `report` for `viewer` with the parameter values given.
pub fn plan(
    ctx: PlanContext<'_>,
    viewer: Viewer<'_>,
    report: &ReportDef,
    params: &ParamValues,
) -> Result<Plan, PlanError> {
    plan_with(ctx, viewer, report, params, &[])
}

/// Plans a dashboard widget's report: its own parameters, then the dashboard's shared ones
/// whose field the report's source has for this viewer (the others leave it as it is, and
/// are absent from [`Plan::applied_params`]). Parse `params` with the report's and the
/// dashboard's definitions together; a report parameter wins over a shared one of its id.
pub fn plan_widget(
    ctx: PlanContext<'_>,
    viewer: Viewer<'_>,
    dashboard: &DashboardDef,
    report: &ReportDef,
    params: &ParamValues,
) -> Result<Plan, PlanError> {
    plan_with(ctx, viewer, report, params, &dashboard.params)
}

fn plan_with(
    ctx: PlanContext<'_>,
    viewer: Viewer<'_>,
    report: &ReportDef,
    params: &ParamValues,
    shared: &[ParamDef],
) -> Result<Plan, PlanError> {
    let resolver = Resolver {
        app: ctx.app,
        form: ctx.form,
        source: report.source,
        readable: viewer.readable,
        lang: viewer.lang,
        labels: ctx.labels,
    };
    let mut filters = Vec::new();
    if let Some(src) = &report.filter {
        for f in translate(src)? {
            filters.push(condition(&resolver, &f, "/filter").map_err(|e| e.at("/filter"))?);
        }
    }
    for (i, f) in report.filters.iter().enumerate() {
        filters.push(condition(&resolver, f, &format!("/filters/{i}"))?);
    }
    let mut applied = Vec::new();
    for (i, def) in report.params.iter().enumerate() {
        if let Some(value) = params.0.get(&def.id) {
            filters.extend(param_conditions(
                &resolver,
                def,
                value,
                &format!("/params/{i}"),
            )?);
            applied.push(def.id.clone());
        }
    }
    for def in shared {
        let Some(value) = params.0.get(&def.id) else {
            continue;
        };
        if applied.contains(&def.id) {
            continue;
        }
        // A field this source lacks, hides or cannot narrow this way leaves the widget as it is.
        match param_conditions(&resolver, def, value, "") {
            Ok(conditions) => filters.extend(conditions),
            Err(PlanError::UnknownField { .. } | PlanError::FieldUnfit { .. }) => continue,
            Err(e) => return Err(e),
        }
        applied.push(def.id.clone());
    }
    let mut body = if report.is_listing() {
        Body::Listing(listing(&resolver, report)?)
    } else {
        Body::Grouped(grouped(&resolver, report)?)
    };
    match &mut body {
        Body::Grouped(g) => simplify(g, &filters),
        Body::Listing(l) => {
            if let Some(t) = &mut l.totals {
                simplify(t, &filters);
            }
        }
    }
    let source = match report.source {
        ReportSource::Records => Source::Records {
            form: report.form.clone(),
        },
        ReportSource::Tasks => Source::Tasks {
            form: report.form.clone(),
            now: ctx.now,
        },
    };
    Ok(Plan {
        report: report.id.clone(),
        source,
        filters,
        body,
        applied_params: applied,
    })
}

/// Drops from each aggregate's filter the conditions every row already meets (the report's
/// own filters), then merges the aggregates that became equal: the budget variance's sums
/// "where both fields are set" are then the plain sums its filters already restrict, and the
/// database computes each once, with no `FILTER`.
fn simplify(g: &mut Grouped, filters: &[Condition]) {
    let mut kept = Vec::new();
    let map: Vec<usize> = g
        .aggregates
        .drain(..)
        .map(|mut a| {
            a.filter.retain(|c| !filters.contains(c));
            push_agg(&mut kept, a)
        })
        .collect();
    g.aggregates = kept;
    for m in &mut g.measures {
        m.formula = match m.formula {
            Formula::Value { agg } => Formula::Value { agg: map[agg] },
            Formula::Ratio { num, den, percent } => Formula::Ratio {
                num: map[num],
                den: map[den],
                percent,
            },
            Formula::ShareOfTotal { agg } => Formula::ShareOfTotal { agg: map[agg] },
            Formula::Difference { a, b, percent } => Formula::Difference {
                a: map[a],
                b: map[b],
                percent,
            },
        };
    }
}

fn grouped(resolver: &Resolver<'_>, report: &ReportDef) -> Result<Grouped, PlanError> {
    let mut keys = Vec::new();
    for (g, group) in report.group_by.iter().enumerate() {
        let at = format!("/group_by/{g}/field");
        let r = resolver.resolve(&group.field, &at)?;
        require(r.is_scalar(), &at, &group.field, "grouping")?;
        let bucket = match group.bucket.as_deref() {
            None => None,
            Some(name) => {
                require(r.is_temporal(), &at, &group.field, "date bucket")?;
                Some(bucket_named(name, &format!("/group_by/{g}/bucket"))?)
            }
        };
        let value_type = match bucket {
            Some(_) => ValueType::Text,
            None if r.display.boolean || !r.display.labels.is_empty() => ValueType::Text,
            None => r.value_type,
        };
        keys.push(KeyPlan {
            key: GroupKey {
                column: r.column.clone(),
                bucket,
            },
            column: OutputColumn {
                key: group.field.clone(),
                label: r.label.clone(),
                value_type,
            },
            display: r.display.clone(),
        });
    }
    let mut aggregates = Vec::new();
    let mut measures = Vec::new();
    for (m, def) in report.measures.iter().enumerate() {
        measures.push(measure(resolver, def, m, &mut aggregates)?);
    }
    let mut order = Vec::new();
    for (s, sort) in report.sort.iter().enumerate() {
        let target = match report.group_by.iter().position(|g| g.field == sort.by) {
            Some(k) => SortTarget::Key(k),
            None => match report.measures.iter().position(|m| m.key() == sort.by) {
                Some(m) => SortTarget::Measure(m),
                None => {
                    return Err(PlanError::Invalid {
                        at: format!("/sort/{s}/by"),
                        detail: format!("nothing to sort by is named `{}`", sort.by),
                    });
                }
            },
        };
        order.push(Order {
            target,
            desc: sort.desc,
        });
    }
    Ok(Grouped {
        keys,
        aggregates,
        measures,
        order,
        limit: report.limit.map(u64::from),
        top: report.top.as_ref().map(|t| (u64::from(t.n), t.others)),
        max_groups: MAX_GROUPS,
    })
}

fn bucket_named(name: &str, at: &str) -> Result<Bucket, PlanError> {
    Ok(match name {
        "day" => Bucket::Day,
        "week" => Bucket::Week,
        "month" => Bucket::Month,
        "quarter" => Bucket::Quarter,
        "year" => Bucket::Year,
        other => {
            return Err(PlanError::Invalid {
                at: at.to_owned(),
                detail: format!("no date bucket `{other}`"),
            });
        }
    })
}

fn listing(resolver: &Resolver<'_>, report: &ReportDef) -> Result<Listing, PlanError> {
    let mut columns: Vec<Projection> = Vec::new();
    let mut add = |name: &str, at: &str| -> Result<usize, PlanError> {
        if let Some(i) = columns.iter().position(|c| c.output.key == name) {
            return Ok(i);
        }
        let r = resolver.resolve(name, at)?;
        columns.push(Projection {
            column: r.column.clone(),
            output: r.output(name),
            display: r.display.clone(),
            unit: r.unit,
        });
        Ok(columns.len() - 1)
    };
    if report.source == ReportSource::Records {
        add("id", "")?;
    }
    for (c, name) in report.columns.iter().enumerate() {
        add(name, &format!("/columns/{c}"))?;
    }
    let view = &report.view;
    for (option, name) in view.field_options() {
        if let Some(name) = name {
            add(name, &format!("/view/{option}"))?;
        }
    }
    if let Some(ms) = &view.milestones {
        add(&ms.field, "/view/milestones/field")?;
    }
    let mut order = Vec::new();
    for (s, sort) in report.sort.iter().enumerate() {
        let i = add(&sort.by, &format!("/sort/{s}/by"))?;
        order.push(Order {
            target: SortTarget::Column(i),
            desc: sort.desc,
        });
    }
    check_view(resolver, report)?;
    let totals = (view.kind == ViewKind::Table && view.totals).then(|| totals(&columns));
    Ok(Listing {
        columns,
        order,
        limit: report
            .limit
            .map_or(MAX_LISTING, |l| u64::from(l).min(MAX_LISTING)),
        totals,
    })
}

/// Kind checks of the fields a record view reads.
fn check_view(resolver: &Resolver<'_>, report: &ReportDef) -> Result<(), PlanError> {
    let view = &report.view;
    if let Some(lane) = &view.lane {
        let r = resolver.resolve(lane, "/view/lane")?;
        require(!r.options.is_empty(), "/view/lane", lane, "kanban lane")?;
    }
    for (option, name) in [
        ("start", &view.start),
        ("end", &view.end),
        ("date", &view.date),
    ] {
        if let Some(name) = name {
            let at = format!("/view/{option}");
            let r = resolver.resolve(name, &at)?;
            require(r.value_type == ValueType::Date, &at, name, "date")?;
        }
    }
    if let Some(ms) = &view.milestones {
        let at = "/view/milestones/field";
        let field = resolver
            .form
            .field(&ms.field)
            .ok_or_else(|| PlanError::UnknownField {
                at: at.into(),
                field: ms.field.clone(),
            })?;
        let named = [
            Some(&ms.title),
            ms.start.as_ref(),
            Some(&ms.end),
            ms.depends_on.as_ref(),
        ];
        for name in named.into_iter().flatten() {
            require(field.column(name).is_some(), at, &ms.field, "milestones")?;
        }
    }
    Ok(())
}

/// The totals row of a table: the row count, then the sum of each number and money column.
fn totals(columns: &[Projection]) -> Grouped {
    let mut aggregates = vec![AggregateExpr {
        func: AggFn::CountRows,
        filter: Vec::new(),
    }];
    let mut measures = vec![MeasurePlan {
        column: OutputColumn {
            key: "id".into(),
            label: String::new(),
            value_type: ValueType::Number,
        },
        formula: Formula::Value { agg: 0 },
        unit: Unit::AsIs,
    }];
    for p in columns {
        let additive = matches!(p.output.value_type, ValueType::Number | ValueType::Money)
            && p.column
                != (crate::ir::ColumnRef::Record {
                    column: RecordColumn::Id,
                });
        if additive {
            aggregates.push(AggregateExpr {
                func: AggFn::Sum {
                    column: p.column.clone(),
                },
                filter: Vec::new(),
            });
            measures.push(MeasurePlan {
                column: p.output.clone(),
                formula: Formula::Value {
                    agg: aggregates.len() - 1,
                },
                unit: Unit::AsIs,
            });
        }
    }
    Grouped {
        keys: Vec::new(),
        aggregates,
        measures,
        order: Vec::new(),
        limit: None,
        top: None,
        max_groups: 1,
    }
}
