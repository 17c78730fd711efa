//! Planning: the sample's reports and KPIs plan, field permissions refuse without an oracle,
//! viewer parameters bind typed values, and kind faults are found at publish.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{at, sample};
use formwork_model::{FilterOp, ParamKind};
use formwork_reports::ir::{Body, ColumnRef, Condition, Formula, Operand, Scalar, Storage};
use formwork_reports::kpi::kpi_reports;
use formwork_reports::{ParamValue, ParamValues, PlanError, check_reports};
use serde_json::json;

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn every_sample_report_and_kpi_plans_for_a_viewer_who_reads_everything() {
    let s = sample();
    for report in s.app.reports.iter().chain(kpi_reports(&s.app).iter()) {
        s.plan_as(report, &s.all_fields, "zh-CN", &ParamValues::default())
            .unwrap_or_else(|e| panic!("{}: {e}", report.id));
    }
    // Registration, feedback and change requests each have a process; the projects form
    // marks a date and a money field.
    assert_eq!(
        kpi_reports(&s.app).len(),
        4 * s.app.processes.len() + 2,
        "four KPIs per process and two form KPIs"
    );
    assert_eq!(s.app.processes.len(), 3);
}

#[test]
fn sample_package_has_no_kind_faults() {
    let s = sample();
    assert_eq!(check_reports(&s.app), vec![]);
}

#[test]
fn amount_by_region_plan_is_stable() {
    let s = sample();
    insta::assert_json_snapshot!(s.plan(&s.report("amount_by_region")));
}

#[test]
fn top_customers_plan_is_stable() {
    let s = sample();
    insta::assert_json_snapshot!(s.plan(&s.report("top_customers")));
}

#[test]
fn step_time_kpi_plan_is_stable() {
    let s = sample();
    insta::assert_json_snapshot!(s.plan(&s.report("kpi-registration_approval-step_time")));
}

#[test]
fn a_hidden_field_is_refused_exactly_like_a_field_that_does_not_exist() {
    let s = sample();
    let mut readable = s.all_fields.clone();
    readable.remove("amount");
    let hidden = s
        .plan_as(
            &s.report("amount_by_region"),
            &readable,
            "zh-CN",
            &ParamValues::default(),
        )
        .unwrap_err();
    let mut ghost = s.report("amount_by_region");
    ghost.measures[0].field = Some("amount".into());
    let mut renamed = ghost.clone();
    renamed.measures[0].field = Some("amount_x".into());
    let missing = s
        .plan_as(&renamed, &s.all_fields, "zh-CN", &ParamValues::default())
        .unwrap_err();
    assert_eq!(
        hidden,
        PlanError::UnknownField {
            at: "/measures/0/field".into(),
            field: "amount".into()
        }
    );
    assert_eq!(missing.code(), hidden.code());
    assert_eq!(
        missing.message("en").replace("amount_x", "amount"),
        hidden.message("en"),
        "the two refusals must read the same"
    );
}

#[test]
fn hidden_fields_are_refused_in_filters_params_sorts_and_view_options() {
    let s = sample();
    let mut readable = s.all_fields.clone();
    readable.remove("region");
    readable.remove("stage");
    let params = ParamValues::from_query(
        &s.report("projects_table").params,
        &pairs(&[("region", "华东")]),
    )
    .unwrap();
    let table = s
        .plan_as(&s.report("projects_table"), &readable, "zh-CN", &params)
        .unwrap_err();
    assert!(
        matches!(table, PlanError::UnknownField { ref field, .. } if field == "region"),
        "{table:?}"
    );
    let board = s
        .plan_as(
            &s.report("projects_board"),
            &readable,
            "zh-CN",
            &ParamValues::default(),
        )
        .unwrap_err();
    assert!(
        matches!(board, PlanError::UnknownField { ref field, .. } if field == "stage"),
        "{board:?}"
    );
}

#[test]
fn a_shared_dashboard_filter_skips_widgets_whose_source_lacks_or_hides_its_field() {
    let s = sample();
    let overview = s
        .app
        .dashboards
        .iter()
        .find(|d| d.id == "overview")
        .unwrap();
    let params = ParamValues::from_query(&overview.params, &pairs(&[("region", "华北")])).unwrap();
    let viewer = |readable| formwork_reports::Viewer {
        readable,
        lang: "zh-CN",
    };
    let report = s.report("projects_by_status");
    let plan =
        formwork_reports::plan_widget(s.ctx(), viewer(&s.all_fields), overview, &report, &params)
            .unwrap();
    assert_eq!(plan.applied_params, vec!["region".to_owned()]);
    let mut readable = s.all_fields.clone();
    readable.remove("region");
    let plan =
        formwork_reports::plan_widget(s.ctx(), viewer(&readable), overview, &report, &params)
            .unwrap();
    assert!(
        plan.applied_params.is_empty(),
        "hidden: not applied, and no error to tell it exists"
    );
    let tasks = s.report("kpi-registration_approval-step_time");
    let plan =
        formwork_reports::plan_widget(s.ctx(), viewer(&s.all_fields), overview, &tasks, &params)
            .unwrap();
    assert!(plan.applied_params.is_empty(), "tasks have no region");
}

#[test]
fn date_range_on_an_instant_covers_whole_days_in_shanghai() {
    let s = sample();
    let report = s.report("projects_table");
    let params = ParamValues::from_query(
        &report.params,
        &pairs(&[
            ("period.from", "2026-03-01"),
            ("period.to", "2026-03-31"),
            ("region", "华东|华北"),
        ]),
    )
    .unwrap();
    let plan = s.plan_as(&report, &s.all_fields, "zh-CN", &params).unwrap();
    let created = ColumnRef::Record {
        column: formwork_reports::ir::RecordColumn::CreatedAt,
    };
    let region = ColumnRef::Field {
        key: "region".into(),
        storage: Storage::Text,
    };
    assert_eq!(
        plan.filters,
        vec![
            Condition {
                column: region,
                op: FilterOp::In,
                operand: Operand::List(vec![
                    Scalar::Text("华东".into()),
                    Scalar::Text("华北".into())
                ]),
            },
            Condition {
                column: created.clone(),
                op: FilterOp::Ge,
                operand: Operand::Value(Scalar::Instant(at("2026-02-28T16:00:00Z")))
            },
            Condition {
                column: created,
                op: FilterOp::Lt,
                operand: Operand::Value(Scalar::Instant(at("2026-03-31T16:00:00Z")))
            },
        ]
    );
    assert_eq!(
        plan.applied_params,
        vec!["region".to_owned(), "period".to_owned()]
    );
}

#[test]
fn bad_parameter_values_are_refused_with_the_parameter_named() {
    let s = sample();
    let report = s.report("projects_table");
    let bad = ParamValues::from_query(&report.params, &pairs(&[("period.from", "2026-13-01")]))
        .unwrap_err();
    assert!(
        matches!(bad, PlanError::BadParam { ref param, .. } if param == "period"),
        "{bad:?}"
    );
    let reversed = ParamValues::from_query(
        &report.params,
        &pairs(&[("period.from", "2026-05-01"), ("period.to", "2026-04-01")]),
    );
    assert!(reversed.is_err());
    assert_eq!(bad.code(), "bad_parameter");
    assert!(bad.message("zh-CN").contains("参数「period」"));
}

#[test]
fn money_filters_bind_exact_decimals_and_refuse_text() {
    let s = sample();
    let mut report = s.report("amount_by_region");
    report.filters =
        serde_json::from_value(json!([{"field": "amount", "op": "gte", "value": "100000.10"}]))
            .unwrap();
    let plan = s.plan(&report);
    assert_eq!(
        plan.filters[0].operand,
        Operand::Value(Scalar::Number("100000.10".parse().unwrap()))
    );
    report.filters =
        serde_json::from_value(json!([{"field": "amount", "op": "gte", "value": "lots"}])).unwrap();
    let err = s
        .plan_as(&report, &s.all_fields, "en", &ParamValues::default())
        .unwrap_err();
    assert_eq!(
        err,
        PlanError::BadValue {
            at: "/filters/0/value".into(),
            field: "amount".into(),
            value: "\"lots\"".into()
        }
    );
}

#[test]
fn a_sum_over_text_is_a_kind_fault_found_at_publish() {
    let mut s = sample();
    s.app.reports[1].measures[0].field = Some("customer".into());
    let problems = check_reports(&s.app);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].pointer, "/reports/1/measures/0/field");
    assert_eq!(problems[0].code, "field_unfit");
}

#[test]
fn expression_filters_of_comparisons_joined_by_and_become_bound_conditions() {
    let s = sample();
    let mut report = s.report("projects_by_status");
    report.filter = Some("(region == '华东' and amount >= 50000) and 100000.50 > amount and end_date is not none and business_line in ['software', \"consulting\"]".into());
    let plan = s.plan(&report);
    let amount = ColumnRef::Field {
        key: "amount".into(),
        storage: Storage::Money,
    };
    let text = |t: &str| Scalar::Text(t.into());
    let ops: Vec<(FilterOp, &Operand)> = plan.filters.iter().map(|c| (c.op, &c.operand)).collect();
    assert_eq!(
        ops,
        [
            (FilterOp::Eq, &Operand::Value(text("华东"))),
            (FilterOp::Ge, &Operand::Value(Scalar::Number(50000.into()))),
            (
                FilterOp::Lt,
                &Operand::Value(Scalar::Number("100000.50".parse().unwrap()))
            ),
            (FilterOp::NotNull, &Operand::None),
            (
                FilterOp::In,
                &Operand::List(vec![text("software"), text("consulting")])
            ),
        ]
    );
    assert_eq!(plan.filters[1].column, amount);
}

#[test]
fn expression_filters_beyond_the_subset_are_refused_with_a_clear_message() {
    let s = sample();
    for src in [
        "region == '华东' or amount > 5",
        "not region",
        "amount * 2 > 5",
        "region|length > 1",
    ] {
        let mut report = s.report("projects_by_status");
        report.filter = Some(src.into());
        let err = s
            .plan_as(&report, &s.all_fields, "zh-CN", &ParamValues::default())
            .unwrap_err();
        assert_eq!(
            err,
            PlanError::ExpressionFilter {
                at: "/filter".into()
            },
            "{src}"
        );
        assert!(err.message("zh-CN").contains("and"));
    }
    let mut hidden = s.report("projects_by_status");
    hidden.filter = Some("amount > 5".into());
    let mut readable = s.all_fields.clone();
    readable.remove("amount");
    let err = s
        .plan_as(&hidden, &readable, "zh-CN", &ParamValues::default())
        .unwrap_err();
    assert_eq!(
        err,
        PlanError::UnknownField {
            at: "/filter".into(),
            field: "amount".into()
        }
    );
}

#[test]
fn listing_reports_project_the_id_first_and_what_the_view_needs() {
    let s = sample();
    let plan = s.plan(&s.report("projects_gantt"));
    let Body::Listing(l) = &plan.body else {
        panic!("a listing")
    };
    let keys: Vec<&str> = l.columns.iter().map(|c| c.output.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "id",
            "number",
            "name",
            "start_date",
            "end_date",
            "milestones"
        ]
    );
    let _ = ParamKind::Select;
    let _ = ParamValue::Values(vec![]);
}

/// The budget variance's differences sum "where both fields are set", which its filters
/// already require: each sum is computed once, with no per-aggregate filter, and the
/// difference reads the same two sums as the totals.
#[test]
fn aggregates_drop_the_conditions_the_report_filters_apply_and_equal_ones_merge() {
    let s = sample();
    let plan = s.plan(&s.report("kpi-project-budget_variance"));
    let Body::Grouped(g) = &plan.body else {
        panic!("a grouped plan")
    };
    assert_eq!(g.aggregates.len(), 2, "{:?}", g.aggregates);
    assert!(g.aggregates.iter().all(|a| a.filter.is_empty()));
    let formulas: Vec<_> = g.measures.iter().map(|m| &m.formula).collect();
    assert_eq!(
        formulas,
        [
            &Formula::Value { agg: 0 },
            &Formula::Value { agg: 1 },
            &Formula::Difference {
                a: 1,
                b: 0,
                percent: false
            },
            &Formula::Difference {
                a: 1,
                b: 0,
                percent: true
            },
        ]
    );
}
