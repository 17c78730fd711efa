//! The sample package, its compiled project form, and rows to evaluate plans over.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use formwork_forms::CompiledForm;
use formwork_model::{AppDef, ReportDef, parse_package};
use formwork_reports::eval::{RecordRow, TaskRow};
use formwork_reports::labels::RawLabels;
use formwork_reports::{ParamValues, PlanContext, Viewer};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub const PACKAGE: &str = include_str!("../../../../apps/project-registration.json");

pub struct Sample {
    pub app: AppDef,
    pub form: CompiledForm,
    pub all_fields: BTreeSet<String>,
}

pub fn sample() -> Sample {
    let app = parse_package(PACKAGE).unwrap();
    let form =
        CompiledForm::compile("project-registration@1", app.form("project").unwrap()).unwrap();
    let all_fields = form.fields().iter().map(|f| f.key.clone()).collect();
    Sample {
        app,
        form,
        all_fields,
    }
}

pub fn at(text: &str) -> OffsetDateTime {
    OffsetDateTime::parse(text, &Rfc3339).unwrap()
}

pub const NOW: &str = "2026-06-30T12:00:00Z";

impl Sample {
    pub fn report(&self, id: &str) -> ReportDef {
        formwork_reports::kpi::find_report(&self.app, id)
            .unwrap_or_else(|| panic!("no report {id}"))
    }

    pub fn ctx(&self) -> PlanContext<'_> {
        PlanContext {
            app: &self.app,
            form: &self.form,
            labels: &RawLabels,
            now: at(NOW),
        }
    }

    pub fn plan_as(
        &self,
        report: &ReportDef,
        readable: &BTreeSet<String>,
        lang: &str,
        params: &ParamValues,
    ) -> Result<formwork_reports::ir::Plan, formwork_reports::PlanError> {
        formwork_reports::plan(self.ctx(), Viewer { readable, lang }, report, params)
    }

    pub fn plan(&self, report: &ReportDef) -> formwork_reports::ir::Plan {
        self.plan_as(report, &self.all_fields, "zh-CN", &ParamValues::default())
            .unwrap()
    }
}

/// A record of the project form.
pub fn record(id: &str, created: &str, data: Value) -> RecordRow {
    RecordRow {
        id: id.to_owned(),
        number: Some(format!("PRJ-{id}")),
        owner: "sales1".into(),
        department: Some("east".into()),
        status: "approved".into(),
        created_at: at(created),
        updated_at: at(created),
        data,
    }
}

pub fn project(id: &str, customer: &str, region: &str, amount: &str) -> RecordRow {
    record(
        id,
        "2026-03-01T02:00:00Z",
        json!({"name": format!("项目{id}"), "customer": customer, "region": region, "amount": amount}),
    )
}

/// A task of the sample process.
pub fn task(
    node: &str,
    action: Option<&str>,
    created: &str,
    decided: Option<&str>,
    due: Option<&str>,
) -> TaskRow {
    TaskRow {
        record_id: "r1".into(),
        process: "registration_approval".into(),
        node: node.into(),
        assignee: "manager1".into(),
        status: if decided.is_some() { "done" } else { "open" }.into(),
        action: action.map(str::to_owned),
        created_at: at(created),
        decided_at: decided.map(at),
        due_at: due.map(at),
    }
}
