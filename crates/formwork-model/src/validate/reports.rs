//! Semantic checks of reports, their views, dashboards and the fields forms mark for KPIs.
//!
//! These check names and shapes. Whether a field's *kind* suits its use (a sum over text, a
//! kanban lane that is not a select) needs the field-kind registry of `formwork-forms`, so
//! `formwork-reports` checks that when it plans every report at publish.

use std::collections::{BTreeSet, HashSet};

use serde_json::Value;

use super::Checker;
use crate::def::{
    Aggregate, DashboardDef, FilterDef, FilterOp, FormDef, FormKpisDef, KpiRef, ParamKind,
    ReportDef, ReportSource, ViewDef, ViewKind,
};
use crate::expr::TASK_FIELDS;
use crate::problem::Fault;
use crate::report_fault::ReportFault;

/// System fields a report over records can filter, group or aggregate by.
pub(crate) const RECORD_COLUMNS: &[&str] = &[
    "id",
    "number",
    "owner",
    "department",
    "status",
    "created_at",
    "updated_at",
    "submitter",
];

/// Task columns holding instants.
const TASK_DATES: &[&str] = &["created_at", "decided_at", "due_at"];

/// What a report's source offers: the names its options may use.
struct Columns<'a> {
    source: ReportSource,
    form: Option<&'a FormDef>,
    /// Known names; `None` when the form is unknown and names cannot be judged.
    known: Option<BTreeSet<String>>,
}

impl<'a> Columns<'a> {
    fn of(source: ReportSource, form: Option<&'a FormDef>) -> Self {
        let known = match (source, form) {
            (ReportSource::Records, Some(form)) => Checker::fields(form).map(|mut f| {
                f.extend(RECORD_COLUMNS.iter().map(|s| (*s).to_owned()));
                f
            }),
            (ReportSource::Records, None) => None,
            (ReportSource::Tasks, _) => Some(TASK_FIELDS.iter().map(|s| (*s).to_owned()).collect()),
        };
        Columns {
            source,
            form,
            known,
        }
    }

    fn has(&self, name: &str) -> bool {
        self.known.as_ref().is_none_or(|k| k.contains(name))
    }

    /// Whether `name` holds dates or instants (unknown names pass: they are reported apart).
    fn is_date(&self, name: &str) -> bool {
        match self.source {
            ReportSource::Tasks => TASK_DATES.contains(&name),
            ReportSource::Records if matches!(name, "created_at" | "updated_at") => true,
            ReportSource::Records => self.form.is_none_or(|f| is_date_field(f, name)),
        }
    }
}

/// Whether field `key` of `form` is a date or datetime (by `x-formwork-kind`, widget or format);
/// unknown keys pass, since they are reported as unknown.
fn is_date_field(form: &FormDef, key: &str) -> bool {
    let Some(schema) = form.schema.get("properties").and_then(|p| p.get(key)) else {
        return true;
    };
    let named = |k: &str| matches!(k, "date" | "datetime" | "date-time");
    let kind = schema.get("x-formwork-kind").and_then(Value::as_str);
    let widget = form.ui.fields.get(key).and_then(|u| u.widget.as_deref());
    let format = schema.get("format").and_then(Value::as_str);
    match kind {
        Some(kind) => named(kind),
        None => widget.is_some_and(named) || format.is_some_and(named),
    }
}

impl<'a> Checker<'a> {
    fn report_fault(&mut self, fault: ReportFault<'_>, at: impl Into<String>) {
        self.problems.push(fault.at(at));
    }

    /// A name a report option uses, judged against its source.
    fn column(&mut self, at: String, name: &str, cols: &Columns<'_>) {
        if cols.has(name) {
            return;
        }
        match cols.source {
            ReportSource::Records => self.push(Fault::UnknownField { field: name }, at),
            ReportSource::Tasks => self.push(Fault::UnknownTaskField { field: name }, at),
        }
    }

    fn filter(&mut self, at: &str, filter: &FilterDef, cols: &Columns<'_>) {
        self.column(format!("{at}/field"), &filter.field, cols);
        if let Some(other) = &filter.to_field {
            self.column(format!("{at}/to_field"), other, cols);
        }
        let comparison = matches!(
            filter.op,
            FilterOp::Eq | FilterOp::Ne | FilterOp::Lt | FilterOp::Le | FilterOp::Gt | FilterOp::Ge
        );
        let fits = match (filter.op, &filter.value) {
            _ if filter.to_field.is_some() => comparison && filter.value.is_none(),
            (FilterOp::IsNull | FilterOp::NotNull, value) => value.is_none(),
            (FilterOp::In, Some(Value::Array(items))) => items
                .iter()
                .all(|i| matches!(i, Value::String(_) | Value::Number(_) | Value::Bool(_))),
            (FilterOp::In, _) => false,
            (_, Some(Value::String(_) | Value::Number(_) | Value::Bool(_))) => true,
            (_, _) => false,
        };
        if !fits {
            self.report_fault(
                ReportFault::BadFilterValue {
                    op: filter.op.name(),
                },
                format!("{at}/op"),
            );
        }
    }

    pub(super) fn report(&mut self, at: &str, report: &ReportDef) {
        let form = self.form_named(&report.form);
        if form.is_none() {
            self.push(
                Fault::UnknownForm { form: &report.form },
                format!("{at}/form"),
            );
        }
        let mut scope = Self::record_scope(form);
        if report.source == ReportSource::Tasks
            && let Some(scope) = &mut scope
        {
            scope.extend(TASK_FIELDS.iter().map(|s| (*s).to_owned()));
        }
        if let Some(filter) = &report.filter {
            self.expr(format!("{at}/filter"), filter, &scope);
        }
        let cols = Columns::of(report.source, form);
        for (i, filter) in report.filters.iter().enumerate() {
            self.filter(&format!("{at}/filters/{i}"), filter, &cols);
        }
        self.unique(
            report
                .params
                .iter()
                .enumerate()
                .map(|(i, p)| (format!("{at}/params/{i}/id"), p.id.as_str())),
        );
        for (i, param) in report.params.iter().enumerate() {
            self.column(format!("{at}/params/{i}/field"), &param.field, &cols);
            if param.kind == ParamKind::DateRange && !cols.is_date(&param.field) {
                self.report_fault(
                    ReportFault::ParamNeedsDate {
                        field: &param.field,
                    },
                    format!("{at}/params/{i}/field"),
                );
            }
        }
        for (g, group) in report.group_by.iter().enumerate() {
            self.column(format!("{at}/group_by/{g}/field"), &group.field, &cols);
            if group.bucket.is_some() && !cols.is_date(&group.field) {
                self.report_fault(
                    ReportFault::BucketNeedsDate {
                        field: &group.field,
                    },
                    format!("{at}/group_by/{g}/bucket"),
                );
            }
        }
        self.measures(at, report, &cols);
        if !report.columns.is_empty() && !report.is_listing() {
            self.report_fault(ReportFault::ColumnsWithMeasures, format!("{at}/columns"));
        }
        for (c, column) in report.columns.iter().enumerate() {
            self.column(format!("{at}/columns/{c}"), column, &cols);
        }
        self.sort(at, report, &cols);
        self.view(&format!("{at}/view"), report, &report.view, &cols);
    }

    fn measures(&mut self, at: &str, report: &ReportDef, cols: &Columns<'_>) {
        let keys: Vec<String> = report.measures.iter().map(|m| m.key()).collect();
        self.unique(
            keys.iter()
                .enumerate()
                .map(|(m, k)| (format!("{at}/measures/{m}"), k.as_str())),
        );
        for (m, measure) in report.measures.iter().enumerate() {
            let m_at = format!("{at}/measures/{m}");
            match &measure.field {
                Some(field) => self.column(format!("{m_at}/field"), field, cols),
                None if measure.func.needs_field() => self.push(
                    Fault::MissingMeasureField {
                        func: measure.func.name(),
                    },
                    m_at.clone(),
                ),
                None => {}
            }
            for (w, filter) in measure.when.iter().enumerate() {
                self.filter(&format!("{m_at}/where/{w}"), filter, cols);
            }
            match measure.func {
                Aggregate::Rate if measure.when.is_empty() => {
                    self.report_fault(ReportFault::RateWithoutWhere, m_at.clone());
                }
                Aggregate::Percentile if measure.p.is_none() => {
                    self.report_fault(ReportFault::MissingPercentile, m_at.clone());
                }
                Aggregate::Difference | Aggregate::DifferencePercent if measure.base.is_none() => {
                    self.report_fault(
                        ReportFault::MissingMeasureBase {
                            func: measure.func.name(),
                        },
                        m_at.clone(),
                    );
                }
                _ => {}
            }
            if let Some(base) = &measure.base {
                self.column(format!("{m_at}/base"), base, cols);
            }
            let folds = !matches!(
                measure.func,
                Aggregate::CountDistinct | Aggregate::Percentile
            );
            if report.top.as_ref().is_some_and(|t| t.others) && !folds {
                self.report_fault(
                    ReportFault::OthersCannotFold {
                        func: measure.func.name(),
                    },
                    m_at,
                );
            }
        }
        if report.top.is_some() && report.group_by.is_empty() {
            self.report_fault(ReportFault::TopWithoutGroups, format!("{at}/top"));
        }
    }

    fn sort(&mut self, at: &str, report: &ReportDef, cols: &Columns<'_>) {
        let mut keys: HashSet<String> = report.group_by.iter().map(|g| g.field.clone()).collect();
        keys.extend(report.measures.iter().map(|m| m.key()));
        for (s, sort) in report.sort.iter().enumerate() {
            let listed = report.is_listing() && cols.has(&sort.by);
            if !listed && !keys.contains(&sort.by) {
                self.report_fault(
                    ReportFault::UnknownSortKey { key: &sort.by },
                    format!("{at}/sort/{s}/by"),
                );
            }
        }
    }

    fn view(&mut self, at: &str, report: &ReportDef, view: &ViewDef, cols: &Columns<'_>) {
        let kind = view.kind.name();
        let kind_at = format!("{at}/kind");
        match view.kind {
            k if k.lists_records()
                && (!report.is_listing() || report.source != ReportSource::Records) =>
            {
                self.report_fault(ReportFault::ViewNeedsListing { kind }, kind_at.clone());
            }
            ViewKind::Bar | ViewKind::Line | ViewKind::Pie | ViewKind::Stat | ViewKind::Pivot
                if report.measures.is_empty() =>
            {
                self.report_fault(ReportFault::ViewNeedsMeasures { kind }, kind_at.clone());
            }
            _ => {}
        }
        if view.kind == ViewKind::Pivot && report.group_by.len() != 2 {
            self.report_fault(ReportFault::PivotNeedsTwoGroups, kind_at.clone());
        }
        let required: &[(&str, &Option<String>)] = match view.kind {
            ViewKind::Kanban => &[("lane", &view.lane)],
            ViewKind::Gantt => &[("start", &view.start), ("end", &view.end)],
            ViewKind::Calendar => &[("date", &view.date)],
            _ => &[],
        };
        for (option, value) in required {
            if value.is_none() {
                self.report_fault(ReportFault::MissingViewOption { kind, option }, at);
            }
        }
        for (option, value) in view.field_options() {
            if let Some(field) = value {
                self.column(format!("{at}/{option}"), field, cols);
            }
        }
        if let Some(ms) = &view.milestones {
            let ms_at = format!("{at}/milestones");
            self.column(format!("{ms_at}/field"), &ms.field, cols);
            let rows: Option<BTreeSet<&str>> = cols
                .form
                .and_then(|f| f.subtable_keys(&ms.field))
                .map(|k| k.into_iter().collect());
            let named = [
                ("title", Some(&ms.title)),
                ("start", ms.start.as_ref()),
                ("end", Some(&ms.end)),
                ("depends_on", ms.depends_on.as_ref()),
            ];
            for (option, column) in named {
                let Some(column) = column else { continue };
                if let Some(rows) = &rows
                    && !rows.contains(column.as_str())
                {
                    self.push(
                        Fault::UnknownField { field: column },
                        format!("{ms_at}/{option}"),
                    );
                }
            }
        }
    }

    pub(super) fn dashboard(&mut self, at: &str, dashboard: &DashboardDef) {
        let app = self.app;
        self.unique(
            dashboard
                .params
                .iter()
                .enumerate()
                .map(|(i, p)| (format!("{at}/params/{i}/id"), p.id.as_str())),
        );
        let mut sources: Vec<Columns<'a>> = Vec::new();
        for (w, widget) in dashboard.widgets.iter().enumerate() {
            let w_at = format!("{at}/widgets/{w}");
            match (&widget.report, &widget.kpi) {
                (Some(report), None) => match app.reports.iter().find(|r| &r.id == report) {
                    Some(r) => sources.push(Columns::of(r.source, app.form(&r.form))),
                    None => self.push(Fault::UnknownReport { report }, format!("{w_at}/report")),
                },
                (None, Some(kpi)) => {
                    if let Some(cols) = self.kpi(&format!("{w_at}/kpi"), kpi) {
                        sources.push(cols);
                    }
                }
                _ => self.report_fault(ReportFault::WidgetNeedsOneSource, w_at),
            }
        }
        for (i, param) in dashboard.params.iter().enumerate() {
            if !sources
                .iter()
                .any(|c| c.known.is_some() && c.has(&param.field))
            {
                self.report_fault(
                    ReportFault::ParamAppliesToNoWidget {
                        field: &param.field,
                    },
                    format!("{at}/params/{i}/field"),
                );
            }
        }
    }

    /// Checks a KPI reference; the columns of its source when it resolves.
    fn kpi(&mut self, at: &str, kpi: &KpiRef) -> Option<Columns<'a>> {
        let app = self.app;
        if kpi.measure.of_process() {
            let Some(id) = &kpi.process else {
                self.push(
                    Fault::MissingProperty {
                        name: "process".into(),
                    },
                    at,
                );
                return None;
            };
            let Some(process) = app.process(id) else {
                self.report_fault(
                    ReportFault::UnknownProcess { process: id },
                    format!("{at}/process"),
                );
                return None;
            };
            return Some(Columns::of(ReportSource::Tasks, app.form(&process.form)));
        }
        let Some(id) = &kpi.form else {
            self.push(
                Fault::MissingProperty {
                    name: "form".into(),
                },
                at,
            );
            return None;
        };
        let Some(form) = app.form(id) else {
            self.push(Fault::UnknownForm { form: id }, format!("{at}/form"));
            return None;
        };
        let marks = form.kpis.clone().unwrap_or_default();
        let (ok, fields) = match kpi.measure {
            crate::def::KpiMeasure::OnTimeRate => {
                (marks.due.is_some() && marks.done.is_some(), "due, done")
            }
            _ => (
                marks.budget.is_some() && marks.cost.is_some(),
                "budget, cost",
            ),
        };
        if !ok {
            self.report_fault(
                ReportFault::KpiFieldsNotMarked { form: id, fields },
                format!("{at}/measure"),
            );
        }
        Some(Columns::of(ReportSource::Records, Some(form)))
    }

    pub(super) fn form_kpis(&mut self, at: &str, form: &FormDef, kpis: &FormKpisDef) {
        let fields = Self::fields(form);
        for (name, field) in [
            ("due", &kpis.due),
            ("done", &kpis.done),
            ("budget", &kpis.budget),
            ("cost", &kpis.cost),
        ] {
            if let Some(field) = field {
                self.field_ref(format!("{at}/{name}"), field, &fields);
            }
        }
    }
}
