//! Running reports, dashboards and record views: a report definition (an analyst's, or a
//! built-in KPI) planned for the caller — only the fields [`readable_fields`] gives, only the
//! records their list scope shows — run as one SQL aggregate, and shaped into the report
//! data document. Exports and imports are in [`export`] and [`imports`].

pub mod export;
pub mod imports;
pub mod projections;

use std::sync::Arc;

use formwork_model::{DashboardDef, FormId, ParamDef, ReportDef};
use formwork_reports::filters::ParamValues;
use formwork_reports::ir::Plan;
pub use formwork_reports::ir::{Body, Cell, ColumnRef, OutputColumn, RecordColumn, ValueType};
pub use formwork_reports::labels::Labels;
use formwork_reports::{PlanContext, PlanError, Viewer, kpi};
pub use formwork_reports::{Table, views};
use formwork_store::{AppId, ReportRows, ReportScope};
use time::OffsetDateTime;

use crate::accounts::problem;
use crate::catalog::CompiledApp;
use crate::policy::{Caller, readable_fields};
use crate::{Runtime, RuntimeError, RuntimeResult};

/// How a report is asked for: the viewer's parameters (query pairs such as `region=华东`,
/// `period.from=2026-01-01`), their language and the catalog words reports show.
#[derive(Clone, Copy)]
pub struct ReportAsk<'a> {
    pub params: &'a [(String, String)],
    pub lang: &'a str,
    pub labels: &'a (dyn Labels + Sync),
    pub now: OffsetDateTime,
}

/// A report run for one viewer: its definition, plan, the raw rows and the shaped table.
#[derive(Debug, Clone)]
pub struct ReportRun {
    pub app: Arc<CompiledApp>,
    pub def: ReportDef,
    pub plan: Plan,
    pub rows: ReportRows,
    pub table: Table,
}

/// One widget of a dashboard: its report run, or why it could not run for this viewer.
#[derive(Debug, Clone)]
pub struct WidgetRun {
    pub report_id: String,
    pub width: u8,
    pub result: Result<ReportRun, String>,
}

/// A dashboard run for one viewer.
#[derive(Debug, Clone)]
pub struct DashboardRun {
    pub def: DashboardDef,
    pub widgets: Vec<WidgetRun>,
}

/// A planning error as the runtime's: bad parameters are the caller's mistake (400); a field
/// they may not read, or a definition that cannot run, refuses the report (403 / 422).
pub(crate) fn plan_error(e: PlanError, lang_neutral_prefix: &str) -> RuntimeError {
    let (zh, en) = e.texts();
    let pointer = format!("{lang_neutral_prefix}{}", e.pointer().unwrap_or_default());
    match e {
        PlanError::BadParam { .. } => RuntimeError::Malformed {
            problem: problem(&pointer, e.code(), &zh, &en),
        },
        PlanError::UnknownField { .. } | PlanError::FieldUnfit { .. } => RuntimeError::Forbidden,
        _ => RuntimeError::Invalid {
            problems: vec![problem(&pointer, e.code(), &zh, &en)],
        },
    }
}

impl Runtime {
    /// The report (or KPI) `report_id` of the latest published `app_id`.
    pub(crate) async fn find_report(
        &self,
        app_id: &AppId,
        report_id: &str,
    ) -> RuntimeResult<(Arc<CompiledApp>, ReportDef)> {
        let app = self.latest_app(app_id).await?;
        let def = kpi::find_report(&app.def, report_id)
            .ok_or_else(|| RuntimeError::NotFound(format!("report {report_id}")))?;
        Ok((app, def))
    }

    /// Runs the report `report_id` for `caller`.
    pub async fn run_report(
        &self,
        caller: &Caller,
        app_id: &AppId,
        report_id: &str,
        ask: ReportAsk<'_>,
    ) -> RuntimeResult<ReportRun> {
        let (app, def) = self.find_report(app_id, report_id).await?;
        let params =
            ParamValues::from_query(&def.params, ask.params).map_err(|e| plan_error(e, ""))?;
        self.run_planned(caller, app, def, None, &params, ask).await
    }

    /// Runs `def` with `params`, as a widget of `dashboard` when given.
    async fn run_planned(
        &self,
        caller: &Caller,
        app: Arc<CompiledApp>,
        def: ReportDef,
        dashboard: Option<&DashboardDef>,
        params: &ParamValues,
        ask: ReportAsk<'_>,
    ) -> RuntimeResult<ReportRun> {
        let form_id = FormId::parse(&def.form)
            .map_err(|_| RuntimeError::NotFound(format!("form {}", def.form)))?;
        let form = app.form(&form_id)?;
        let visibility = self.visibility(caller, form).await?;
        let readable = readable_fields(caller, form.def());
        let plan = {
            let ctx = PlanContext {
                app: &app.def,
                form,
                labels: ask.labels,
                now: ask.now,
            };
            let viewer = Viewer {
                readable: &readable,
                lang: ask.lang,
            };
            match dashboard {
                Some(d) => formwork_reports::plan_widget(ctx, viewer, d, &def, params),
                None => formwork_reports::plan(ctx, viewer, &def, params),
            }
            .map_err(|e| plan_error(e, ""))?
        };
        let scope = ReportScope {
            app_id: app.app_id.clone(),
            visibility,
        };
        let rows = self.store.run_report(&plan, &scope).await?;
        let table =
            formwork_reports::shape(&plan, rows.rows.clone(), rows.totals.clone(), ask.lang)
                .map_err(|e| plan_error(e, ""))?;
        Ok(ReportRun {
            app,
            def,
            plan,
            rows,
            table,
        })
    }

    /// Runs every widget of dashboard `dashboard_id` with the shared parameters; a widget the
    /// caller may not see carries its refusal instead of failing the page.
    pub async fn run_dashboard(
        &self,
        caller: &Caller,
        app_id: &AppId,
        dashboard_id: &str,
        ask: ReportAsk<'_>,
    ) -> RuntimeResult<DashboardRun> {
        let app = self.latest_app_for(caller, app_id).await?;
        let def = app
            .def
            .dashboards
            .iter()
            .find(|d| d.id == dashboard_id)
            .cloned()
            .ok_or_else(|| RuntimeError::NotFound(format!("dashboard {dashboard_id}")))?;
        let mut widgets = Vec::new();
        for w in &def.widgets {
            let report_id = match (&w.report, &w.kpi) {
                (Some(r), _) => r.clone(),
                (None, Some(k)) => kpi::kpi_id(k),
                (None, None) => continue,
            };
            let result = self
                .run_widget(caller, &app, &def, &report_id, ask)
                .await
                .map_err(|e| e.to_string());
            widgets.push(WidgetRun {
                report_id,
                width: w.width,
                result,
            });
        }
        Ok(DashboardRun { def, widgets })
    }

    async fn run_widget(
        &self,
        caller: &Caller,
        app: &Arc<CompiledApp>,
        dashboard: &DashboardDef,
        report_id: &str,
        ask: ReportAsk<'_>,
    ) -> RuntimeResult<ReportRun> {
        let def = kpi::find_report(&app.def, report_id)
            .ok_or_else(|| RuntimeError::NotFound(format!("report {report_id}")))?;
        let defs: Vec<ParamDef> = def
            .params
            .iter()
            .chain(dashboard.params.iter())
            .cloned()
            .collect();
        let params = ParamValues::from_query(&defs, ask.params).map_err(|e| plan_error(e, ""))?;
        self.run_planned(caller, app.clone(), def, Some(dashboard), &params, ask)
            .await
    }

    /// The select field a kanban view's lanes are, for moving a card.
    pub async fn kanban_lane(&self, app_id: &AppId, view_id: &str) -> RuntimeResult<String> {
        let (_, def) = self.find_report(app_id, view_id).await?;
        def.view
            .lane
            .filter(|_| def.view.kind == formwork_model::ViewKind::Kanban)
            .ok_or_else(|| RuntimeError::NotFound(format!("kanban view {view_id}")))
    }

    /// The reports, views and dashboards of the latest published `app_id` that the caller may
    /// open (those over forms whose records they may list), for the app home.
    pub async fn app_reports(
        &self,
        caller: &Caller,
        app_id: &AppId,
    ) -> RuntimeResult<(Vec<ReportDef>, Vec<DashboardDef>)> {
        let app = self.latest_app_for(caller, app_id).await?;
        let visible = |form: &str| {
            app.def.forms.iter().any(|f| {
                f.id == form && crate::policy::list_scope(caller, &f.permissions).is_some()
            })
        };
        let reports = app
            .def
            .reports
            .iter()
            .filter(|r| visible(&r.form))
            .cloned()
            .collect();
        let any_form = app.def.forms.iter().any(|f| visible(&f.id));
        let dashboards = match any_form {
            true => app.def.dashboards.clone(),
            false => Vec::new(),
        };
        Ok((reports, dashboards))
    }
}
