//! Built-in KPIs, written as ordinary report definitions so they plan, check permissions,
//! shape and evaluate exactly like analysts' reports.
//!
//! Per process (over its tasks): `step_time` (average and p90 time per step, decided tasks),
//! `outcomes` (shares of decided tasks approved, returned and rejected, per step),
//! `overdue_rate` (share of tasks with a deadline that missed it, per step) and
//! `weekly_throughput` (tasks decided per ISO week). Per form with fields marked in `kpis`:
//! `on_time_rate` (finished records finished by their due date) and `budget_variance`
//! (Σ cost − Σ budget over records with both, and in percent).
//!
//! Their ids are `kpi-{process or form id}-{measure}`, e.g. `kpi-registration_approval-step_time`.

use formwork_model::{
    Aggregate, AppDef, FilterDef, FilterOp, GroupByDef, KpiMeasure, KpiRef, MeasureDef, ReportDef,
    ReportSource, SortDef, Text, ViewDef, ViewKind,
};
use serde_json::Value;

/// The id of the report behind a KPI.
pub fn kpi_id(kpi: &KpiRef) -> String {
    let owner = kpi.process.as_deref().or(kpi.form.as_deref()).unwrap_or("");
    format!("kpi-{owner}-{}", kpi.measure.name())
}

/// Every built-in KPI report of `app`: the process ones for each process, the form ones for
/// each form that marks their fields.
pub fn kpi_reports(app: &AppDef) -> Vec<ReportDef> {
    let mut out = Vec::new();
    for p in &app.processes {
        for measure in [
            KpiMeasure::StepTime,
            KpiMeasure::Outcomes,
            KpiMeasure::OverdueRate,
            KpiMeasure::WeeklyThroughput,
        ] {
            let kpi = KpiRef {
                process: Some(p.id.clone()),
                form: None,
                measure,
            };
            out.extend(kpi_report(app, &kpi));
        }
    }
    for f in &app.forms {
        for measure in [KpiMeasure::OnTimeRate, KpiMeasure::BudgetVariance] {
            let kpi = KpiRef {
                process: None,
                form: Some(f.id.clone()),
                measure,
            };
            out.extend(kpi_report(app, &kpi));
        }
    }
    out
}

/// The built-in report (KPI `id` or analyst report `id`) named `id`.
pub fn find_report(app: &AppDef, id: &str) -> Option<ReportDef> {
    app.reports
        .iter()
        .find(|r| r.id == id)
        .cloned()
        .or_else(|| kpi_reports(app).into_iter().find(|r| r.id == id))
}

fn text(zh: &str, en: &str) -> Text {
    Text::zh_en(zh, en)
}

fn named(name: &Text, zh: &str, en: &str) -> Text {
    text(
        &format!("{} · {zh}", name.get("zh-CN")),
        &format!("{} · {en}", name.get("en")),
    )
}

fn filter(field: &str, op: FilterOp, value: Option<Value>) -> FilterDef {
    FilterDef {
        field: field.into(),
        op,
        value,
        to_field: None,
    }
}

fn eq(field: &str, value: impl Into<Value>) -> FilterDef {
    filter(field, FilterOp::Eq, Some(value.into()))
}

fn measure(id: &str, func: Aggregate, field: Option<&str>, label: Text) -> MeasureDef {
    MeasureDef {
        id: Some(id.into()),
        func,
        field: field.map(str::to_owned),
        label: Some(label),
        when: Vec::new(),
        p: None,
        base: None,
    }
}

fn rate(id: &str, when: Vec<FilterDef>, label: Text) -> MeasureDef {
    MeasureDef {
        when,
        ..measure(id, Aggregate::Rate, None, label)
    }
}

fn view(kind: ViewKind) -> ViewDef {
    ViewDef {
        kind,
        totals: false,
        lane: None,
        title: None,
        start: None,
        end: None,
        date: None,
        milestones: None,
    }
}

fn report(id: String, name: Text, form: &str, source: ReportSource, kind: ViewKind) -> ReportDef {
    ReportDef {
        id,
        name,
        form: form.to_owned(),
        source,
        filter: None,
        filters: Vec::new(),
        params: Vec::new(),
        group_by: Vec::new(),
        measures: Vec::new(),
        columns: Vec::new(),
        sort: Vec::new(),
        limit: None,
        top: None,
        view: view(kind),
    }
}

/// The report behind `kpi`, or `None` when the process or form is unknown or the form does
/// not mark the fields the KPI needs.
pub fn kpi_report(app: &AppDef, kpi: &KpiRef) -> Option<ReportDef> {
    let id = kpi_id(kpi);
    if kpi.measure.of_process() {
        let p = app.process(kpi.process.as_deref()?)?;
        let by_node = || {
            vec![GroupByDef {
                field: "node".into(),
                bucket: None,
            }]
        };
        let mut r = report(
            id,
            Text::default(),
            &p.form,
            ReportSource::Tasks,
            ViewKind::Bar,
        );
        r.filters.push(eq("process", p.id.as_str()));
        match kpi.measure {
            KpiMeasure::StepTime => {
                r.name = named(&p.name, "各步骤耗时", "time per step");
                r.filters.push(eq("status", "done"));
                r.group_by = by_node();
                r.measures = vec![
                    measure(
                        "avg_time",
                        Aggregate::Avg,
                        Some("duration"),
                        text("平均耗时", "Average time"),
                    ),
                    MeasureDef {
                        p: Some(90),
                        ..measure(
                            "p90_time",
                            Aggregate::Percentile,
                            Some("duration"),
                            text("P90 耗时", "P90 time"),
                        )
                    },
                    measure(
                        "decided",
                        Aggregate::Count,
                        None,
                        text("已处理任务数", "Tasks decided"),
                    ),
                ];
            }
            KpiMeasure::Outcomes => {
                r.name = named(&p.name, "审批结果", "outcomes per step");
                r.filters.push(eq("status", "done"));
                r.group_by = by_node();
                r.view.kind = ViewKind::Table;
                r.measures = vec![
                    rate(
                        "pass_rate",
                        vec![eq("action", "approve")],
                        text("通过率（%）", "Approved (%)"),
                    ),
                    rate(
                        "return_rate",
                        vec![eq("action", "return")],
                        text("退回率（%）", "Returned (%)"),
                    ),
                    rate(
                        "reject_rate",
                        vec![eq("action", "reject")],
                        text("驳回率（%）", "Rejected (%)"),
                    ),
                    measure(
                        "decided",
                        Aggregate::Count,
                        None,
                        text("已处理任务数", "Tasks decided"),
                    ),
                ];
            }
            KpiMeasure::OverdueRate => {
                r.name = named(&p.name, "超时率", "overdue rate");
                r.filters.push(filter("due_at", FilterOp::NotNull, None));
                r.group_by = by_node();
                r.measures = vec![
                    rate(
                        "overdue_rate",
                        vec![eq("overdue", true)],
                        text("超时率（%）", "Overdue (%)"),
                    ),
                    measure(
                        "with_deadline",
                        Aggregate::Count,
                        None,
                        text("有时限任务数", "Tasks with a deadline"),
                    ),
                ];
            }
            _ => {
                r.name = named(&p.name, "每周处理量", "weekly throughput");
                r.filters.push(eq("status", "done"));
                r.group_by = vec![GroupByDef {
                    field: "decided_at".into(),
                    bucket: Some("week".into()),
                }];
                r.measures = vec![measure(
                    "decided",
                    Aggregate::Count,
                    None,
                    text("已处理任务数", "Tasks decided"),
                )];
                r.sort = vec![SortDef {
                    by: "decided_at".into(),
                    desc: false,
                }];
                r.view.kind = ViewKind::Line;
            }
        }
        return Some(r);
    }
    let f = app.form(kpi.form.as_deref()?)?;
    let marks = f.kpis.as_ref()?;
    let mut r = report(
        id,
        Text::default(),
        &f.id,
        ReportSource::Records,
        ViewKind::Stat,
    );
    if kpi.measure == KpiMeasure::OnTimeRate {
        let (due, done) = (marks.due.as_deref()?, marks.done.as_deref()?);
        r.name = named(&f.name, "按时完成率", "on-time rate");
        r.filters = vec![
            filter(done, FilterOp::NotNull, None),
            filter(due, FilterOp::NotNull, None),
        ];
        let on_time = FilterDef {
            to_field: Some(due.into()),
            ..filter(done, FilterOp::Le, None)
        };
        r.measures = vec![
            rate(
                "on_time_rate",
                vec![on_time],
                text("按时完成率（%）", "On time (%)"),
            ),
            measure(
                "finished",
                Aggregate::Count,
                None,
                text("已完成数", "Finished"),
            ),
        ];
        return Some(r);
    }
    let (budget, cost) = (marks.budget.as_deref()?, marks.cost.as_deref()?);
    r.name = named(&f.name, "预算偏差", "budget variance");
    r.filters = vec![
        filter(budget, FilterOp::NotNull, None),
        filter(cost, FilterOp::NotNull, None),
    ];
    let diff = |id: &str, func, label| MeasureDef {
        base: Some(budget.to_owned()),
        ..measure(id, func, Some(cost), label)
    };
    r.measures = vec![
        measure(
            "budget",
            Aggregate::Sum,
            Some(budget),
            text("预算合计", "Total budget"),
        ),
        measure(
            "cost",
            Aggregate::Sum,
            Some(cost),
            text("实际成本合计", "Total actual cost"),
        ),
        diff("variance", Aggregate::Difference, text("偏差", "Variance")),
        diff(
            "variance_percent",
            Aggregate::DifferencePercent,
            text("偏差率（%）", "Variance (%)"),
        ),
    ];
    Some(r)
}
