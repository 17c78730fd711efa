//! The kind checks of reports at publish: every report (and every built-in KPI a dashboard
//! shows) is planned for a viewer who may read every field, so a sum over text or a kanban
//! lane that is not a select is found before anyone opens the report.

use std::collections::BTreeSet;

use formwork_forms::CompiledForm;
use formwork_model::{AppDef, Problem};
use time::OffsetDateTime;

use crate::filters::ParamValues;
use crate::kpi::kpi_report;
use crate::labels::RawLabels;
use crate::plan::{PlanContext, Viewer, plan};

/// Problems of `app`'s reports and KPI widgets that only field kinds reveal, with pointers
/// into the package. Forms that do not compile are skipped (their own check reports them).
pub fn check_reports(app: &AppDef) -> Vec<Problem> {
    let mut problems = Vec::new();
    let forms: Vec<(String, CompiledForm)> = app
        .forms
        .iter()
        .filter_map(|f| Some((f.id.clone(), CompiledForm::compile("check", f).ok()?)))
        .collect();
    let mut run = |report: &formwork_model::ReportDef, at: String| {
        let Some((_, form)) = forms.iter().find(|(id, _)| *id == report.form) else {
            return;
        };
        let readable: BTreeSet<String> = form.fields().iter().map(|f| f.key.clone()).collect();
        let ctx = PlanContext {
            app,
            form,
            labels: &RawLabels,
            now: OffsetDateTime::UNIX_EPOCH,
        };
        let viewer = Viewer {
            readable: &readable,
            lang: "zh-CN",
        };
        if let Err(e) = plan(ctx, viewer, report, &ParamValues::default()) {
            problems.push(e.to_problem(&at));
        }
    };
    for (i, report) in app.reports.iter().enumerate() {
        run(report, format!("/reports/{i}"));
    }
    for (d, dashboard) in app.dashboards.iter().enumerate() {
        for (w, widget) in dashboard.widgets.iter().enumerate() {
            if let Some(report) = widget.kpi.as_ref().and_then(|k| kpi_report(app, k)) {
                run(&report, format!("/dashboards/{d}/widgets/{w}/kpi"));
            }
        }
    }
    problems
}
