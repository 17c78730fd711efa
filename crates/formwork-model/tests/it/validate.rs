//! Validation of packages: one test per fault kind (code and pointer), the sample app, and the
//! faulty fixture the CLI tests use.

use std::collections::BTreeSet;
use std::path::PathBuf;

use formwork_model::problem::{SCHEMA_CODES, SEMANTIC_CODES};
use formwork_model::{Problem, export_package, parse_package, read_published, validate_package};
use serde_json::{Value, json};

fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// A small package that validates clean and has one of most things to break.
fn base() -> Value {
    json!({
        "format": "formwork/app@1",
        "id": "demo",
        "name": {"zh-CN": "示例", "en": "Demo"},
        "roles": [{"id": "boss", "name": {"zh-CN": "老板"}}],
        "forms": [{
            "id": "f",
            "name": {"zh-CN": "表单"},
            "schema": {
                "type": "object",
                "properties": {
                    "amount": {"type": "number"},
                    "due": {"type": "string", "format": "date"},
                    "approver": {"type": "string"},
                    "items": {"type": "array", "items": {
                        "type": "object",
                        "properties": {"qty": {"type": "integer"}}
                    }}
                }
            },
            "ui": {
                "order": ["amount", "due"],
                "fields": {
                    "amount": {"label": {"zh-CN": "金额"}, "visible_when": "amount is none or amount >= 0"},
                    "items": {
                        "label": {"zh-CN": "明细"},
                        "widget": "subtable",
                        "fields": {"qty": {"label": {"zh-CN": "数量"}, "visible_when": "amount > 0 and qty > 0 and row.qty > 0"}}
                    }
                }
            },
            "checks": [{"id": "c", "check": "amount >= 0", "path": "/amount", "message": {"zh-CN": "不能为负"}}],
            "permissions": {"create": ["*"], "read_all": ["boss"]}
        }],
        "processes": [{
            "id": "p",
            "name": {"zh-CN": "流程"},
            "form": "f",
            "nodes": [
                {"id": "start", "kind": "start"},
                {"id": "route", "kind": "condition"},
                {"id": "ok", "kind": "approval", "assignee": {"type": "role", "role": "boss"}},
                {"id": "fix", "kind": "fill", "assignee": {"type": "submitter"}},
                {"id": "done", "kind": "end", "outcome": "approved"},
                {"id": "gone", "kind": "end", "outcome": "withdrawn"}
            ],
            "edges": [
                {"from": "start", "to": "route"},
                {"from": "route", "to": "ok", "when": "amount > 100"},
                {"from": "route", "to": "done", "default": true},
                {"from": "ok", "to": "done"},
                {"from": "ok", "to": "fix", "on": "reject"},
                {"from": "fix", "to": "route"},
                {"from": "fix", "to": "gone", "on": "withdraw"}
            ]
        }],
        "reports": [{
            "id": "r",
            "name": {"zh-CN": "报表"},
            "form": "f",
            "group_by": [{"field": "status"}],
            "measures": [{"fn": "sum", "field": "amount"}],
            "view": {"kind": "bar"}
        }],
        "dashboards": [{"id": "d", "name": {"zh-CN": "看板"}, "widgets": [{"report": "r"}]}],
        "rules": [{
            "id": "rule",
            "form": "f",
            "trigger": "created",
            "condition": "amount > 5",
            "actions": [{"type": "set_field", "field": "approver", "value": "\"boss\""}]
        }]
    })
}

/// A process whose branches run in parallel, valid as it is.
fn parallel_process() -> Value {
    json!({
        "id": "par",
        "name": {"zh-CN": "并行"},
        "form": "f",
        "nodes": [
            {"id": "start", "kind": "start"},
            {"id": "split", "kind": "parallel_split"},
            {"id": "a", "kind": "approval", "assignee": {"type": "role", "role": "boss"}},
            {"id": "b", "kind": "approval", "assignee": {"type": "submitter"}},
            {"id": "join", "kind": "parallel_join"},
            {"id": "done", "kind": "end", "outcome": "completed"}
        ],
        "edges": [
            {"from": "start", "to": "split"},
            {"from": "split", "to": "a"},
            {"from": "split", "to": "b"},
            {"from": "a", "to": "join"},
            {"from": "b", "to": "join"},
            {"from": "join", "to": "done"}
        ]
    })
}

fn at<'a>(v: &'a mut Value, pointer: &str) -> &'a mut Value {
    v.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer} in the base package"))
}

fn push(v: &mut Value, pointer: &str, item: Value) {
    at(v, pointer).as_array_mut().unwrap().push(item);
}

fn remove(v: &mut Value, pointer: &str, key: &str) {
    at(v, pointer).as_object_mut().unwrap().remove(key);
}

fn problems(v: &Value) -> Vec<Problem> {
    validate_package(v).expect_err("the package should not validate")
}

fn assert_reports(v: &Value, code: &str, pointer: &str) {
    let found = problems(v);
    assert!(
        found.iter().any(|p| p.code == code && p.pointer == pointer),
        "expected {code} at {pointer}, got:\n{}",
        found.iter().map(|p| format!("  {p}\n")).collect::<String>()
    );
    for p in &found {
        assert!(
            SCHEMA_CODES.contains(&p.code.as_str()) || SEMANTIC_CODES.contains(&p.code.as_str()),
            "undeclared code {}",
            p.code
        );
        assert!(!p.message.0.get("zh-CN").unwrap().is_empty());
        assert!(!p.message.0.get("en").unwrap().is_empty());
    }
}

macro_rules! fault_cases {
    ($($name:ident: $code:literal at $pointer:literal when |$v:ident| $body:block)*) => {$(
        #[test]
        fn $name() {
            let mut $v = base();
            $body
            assert_reports(&$v, $code, $pointer);
        }
    )*};
}

#[test]
fn base_package_validates_clean() {
    let app = validate_package(&base()).unwrap_or_else(|p| panic!("{p:#?}"));
    assert_eq!(app.id, "demo");
}

#[test]
fn the_new_gateways_validate_clean() {
    let mut v = base();
    let mut par = parallel_process();
    *at(&mut par, "/nodes/1/kind") = json!("inclusive_split");
    *at(&mut par, "/edges/1") = json!({"from": "split", "to": "a", "when": "amount > 5"});
    *at(&mut par, "/edges/2") = json!({"from": "split", "to": "b", "default": true});
    at(&mut par, "/nodes/4")
        .as_object_mut()
        .unwrap()
        .insert("required".into(), json!(1));
    push(
        &mut par,
        "/nodes",
        json!({"id": "b_end", "kind": "end", "outcome": "completed", "terminate": true}),
    );
    *at(&mut par, "/edges/4/to") = json!("b_end");
    at(&mut par, "/nodes/2").as_object_mut().unwrap().insert(
        "deadline".into(),
        json!({"hours": 8, "calendar": "working"}),
    );
    push(
        &mut par,
        "/edges",
        json!({"from": "a", "to": "b_end", "on": "timeout"}),
    );
    push(&mut v, "/processes", par);
    validate_package(&v).unwrap_or_else(|p| panic!("{p:#?}"));
}

#[test]
fn parallel_base_process_validates_clean() {
    let mut v = base();
    push(&mut v, "/processes", parallel_process());
    validate_package(&v).unwrap_or_else(|p| panic!("{p:#?}"));
}

fault_cases! {
    // The JSON Schema stage.
    missing_property_is_reported_at_the_object: "missing_property" at "/forms/0" when |v| {
        remove(&mut v, "/forms/0", "name");
    }
    missing_zh_cn_translation_is_a_missing_property: "missing_property" at "/name" when |v| {
        *at(&mut v, "/name") = json!({"en": "Demo"});
    }
    unknown_property_is_reported_at_the_property: "unknown_property" at "/forms/0/colour" when |v| {
        at(&mut v, "/forms/0").as_object_mut().unwrap().insert("colour".into(), json!("red"));
    }
    property_of_another_node_kind_is_unknown: "unknown_property" at "/processes/0/nodes/0/assignee" when |v| {
        *at(&mut v, "/processes/0/nodes/0") = json!({"id": "start", "kind": "start", "assignee": {"type": "submitter"}});
    }
    wrong_type_is_reported: "wrong_type" at "/roles/0/name" when |v| {
        *at(&mut v, "/roles/0/name") = json!("老板");
    }
    unknown_node_kind_is_a_bad_enum_value: "bad_enum_value" at "/processes/0/nodes/0/kind" when |v| {
        *at(&mut v, "/processes/0/nodes/0/kind") = json!("teleport");
    }
    wrong_format_tag_is_a_bad_enum_value: "bad_enum_value" at "/format" when |v| {
        *at(&mut v, "/format") = json!("formwork/app@2");
    }
    id_with_capitals_breaks_the_id_pattern: "bad_pattern" at "/id" when |v| {
        *at(&mut v, "/id") = json!("Bad Id");
    }
    widget_width_of_zero_is_too_small: "too_small" at "/dashboards/0/widgets/0/width" when |v| {
        at(&mut v, "/dashboards/0/widgets/0").as_object_mut().unwrap().insert("width".into(), json!(0));
    }
    process_without_nodes_has_too_few_items: "too_few_items" at "/processes/0/nodes" when |v| {
        *at(&mut v, "/processes/0/nodes") = json!([]);
    }
    vote_without_ratio_misses_the_ratio: "missing_property" at "/processes/0/nodes/2" when |v| {
        at(&mut v, "/processes/0/nodes/2").as_object_mut().unwrap().insert("mode".into(), json!("vote"));
    }

    // Duplicate ids.
    duplicate_role_id_is_reported: "duplicate_id" at "/roles/1/id" when |v| {
        push(&mut v, "/roles", json!({"id": "boss", "name": {"zh-CN": "又一个老板"}}));
    }
    duplicate_form_id_is_reported: "duplicate_id" at "/forms/1/id" when |v| {
        let form = at(&mut v, "/forms/0").clone();
        push(&mut v, "/forms", form);
    }
    duplicate_process_id_is_reported: "duplicate_id" at "/processes/1/id" when |v| {
        let process = at(&mut v, "/processes/0").clone();
        push(&mut v, "/processes", process);
    }
    duplicate_node_id_is_reported: "duplicate_id" at "/processes/0/nodes/6/id" when |v| {
        push(&mut v, "/processes/0/nodes", json!({"id": "ok", "kind": "end", "outcome": "rejected"}));
    }
    duplicate_report_id_is_reported: "duplicate_id" at "/reports/1/id" when |v| {
        let report = at(&mut v, "/reports/0").clone();
        push(&mut v, "/reports", report);
    }
    duplicate_dashboard_id_is_reported: "duplicate_id" at "/dashboards/1/id" when |v| {
        let dashboard = at(&mut v, "/dashboards/0").clone();
        push(&mut v, "/dashboards", dashboard);
    }
    duplicate_rule_id_is_reported: "duplicate_id" at "/rules/1/id" when |v| {
        let rule = at(&mut v, "/rules/0").clone();
        push(&mut v, "/rules", rule);
    }
    duplicate_check_id_is_reported: "duplicate_id" at "/forms/0/checks/1/id" when |v| {
        let check = at(&mut v, "/forms/0/checks/0").clone();
        push(&mut v, "/forms/0/checks", check);
    }

    // Forms.
    form_schema_with_unknown_type_is_invalid: "invalid_form_schema" at "/forms/0/schema/properties/due/type" when |v| {
        *at(&mut v, "/forms/0/schema/properties/due/type") = json!("date");
    }
    form_schema_with_remote_ref_is_invalid: "invalid_form_schema" at "/forms/0/schema" when |v| {
        *at(&mut v, "/forms/0/schema/properties/due") = json!({"$ref": "https://example.com/x.json"});
    }
    form_schema_with_a_backtracking_regex_is_invalid: "invalid_form_schema" at "/forms/0/schema/properties/approver/pattern" when |v| {
        *at(&mut v, "/forms/0/schema/properties/approver") = json!({"type": "string", "pattern": "^(?=a)a+$"});
    }
    form_schema_that_is_an_array_is_not_an_object: "form_schema_not_object" at "/forms/0/schema" when |v| {
        *at(&mut v, "/forms/0/schema") = json!({"type": "array", "items": {}});
    }
    form_schema_of_type_string_with_properties_is_not_an_object: "form_schema_not_object" at "/forms/0/schema" when |v| {
        *at(&mut v, "/forms/0/schema/type") = json!("string");
    }
    field_key_with_capitals_is_invalid: "invalid_field_key" at "/forms/0/schema/properties/Total" when |v| {
        at(&mut v, "/forms/0/schema/properties").as_object_mut().unwrap().insert("Total".into(), json!({"type": "number"}));
    }
    field_key_that_shadows_a_system_field_is_invalid: "invalid_field_key" at "/forms/0/schema/properties/status" when |v| {
        at(&mut v, "/forms/0/schema/properties").as_object_mut().unwrap().insert("status".into(), json!({"type": "string"}));
    }
    ui_order_naming_an_unknown_field_is_reported: "unknown_field" at "/forms/0/ui/order/2" when |v| {
        push(&mut v, "/forms/0/ui/order", json!("ghost"));
    }
    ui_field_for_an_unknown_field_is_reported: "unknown_field" at "/forms/0/ui/fields/ghost" when |v| {
        at(&mut v, "/forms/0/ui/fields").as_object_mut().unwrap().insert("ghost".into(), json!({"label": {"zh-CN": "鬼"}}));
    }
    subtable_ui_field_for_an_unknown_column_is_reported: "unknown_field" at "/forms/0/ui/fields/items/fields/price" when |v| {
        at(&mut v, "/forms/0/ui/fields/items/fields").as_object_mut().unwrap().insert("price".into(), json!({"label": {"zh-CN": "价格"}}));
    }
    check_path_to_an_unknown_field_is_reported: "unknown_field" at "/forms/0/checks/0/path" when |v| {
        *at(&mut v, "/forms/0/checks/0/path") = json!("/total");
    }
    permission_for_an_undeclared_role_is_reported: "unknown_role" at "/forms/0/permissions/read_all/1" when |v| {
        push(&mut v, "/forms/0/permissions/read_all", json!("ghost"));
    }

    // Expressions.
    visible_when_that_does_not_parse_is_invalid: "invalid_expression" at "/forms/0/ui/fields/amount/visible_when" when |v| {
        *at(&mut v, "/forms/0/ui/fields/amount/visible_when") = json!("amount >");
    }
    check_reading_a_misspelt_field_is_an_unknown_variable: "unknown_variable" at "/forms/0/checks/0/check" when |v| {
        *at(&mut v, "/forms/0/checks/0/check") = json!("amout >= 0");
    }
    row_name_outside_a_subtable_is_an_unknown_variable: "unknown_variable" at "/forms/0/ui/fields/amount/visible_when" when |v| {
        *at(&mut v, "/forms/0/ui/fields/amount/visible_when") = json!("row.qty > 0");
    }
    edge_condition_reading_an_unknown_field_is_reported: "unknown_variable" at "/processes/0/edges/1/when" when |v| {
        *at(&mut v, "/processes/0/edges/1/when") = json!("total > 100");
    }
    routing_table_condition_is_checked: "unknown_variable" at "/processes/0/nodes/2/assignee/rows/0/when" when |v| {
        *at(&mut v, "/processes/0/nodes/2/assignee") = json!({"type": "table", "rows": [
            {"when": "region == '华东'", "assignee": {"type": "role", "role": "boss"}},
            {"assignee": {"type": "submitter"}}
        ]});
    }
    assignee_expression_that_does_not_parse_is_invalid: "invalid_expression" at "/processes/0/nodes/2/assignee/expr" when |v| {
        *at(&mut v, "/processes/0/nodes/2/assignee") = json!({"type": "expression", "expr": "'role:' ~"});
    }
    report_filter_reading_an_unknown_field_is_reported: "unknown_variable" at "/reports/0/filter" when |v| {
        at(&mut v, "/reports/0").as_object_mut().unwrap().insert("filter".into(), json!("region == '华东'"));
    }
    rule_condition_reading_an_unknown_field_is_reported: "unknown_variable" at "/rules/0/condition" when |v| {
        *at(&mut v, "/rules/0/condition") = json!("ammount > 5");
    }
    rule_set_value_that_does_not_parse_is_invalid: "invalid_expression" at "/rules/0/actions/0/value" when |v| {
        *at(&mut v, "/rules/0/actions/0/value") = json!("(");
    }
    action_node_set_value_is_checked: "unknown_variable" at "/processes/0/nodes/6/set/approver" when |v| {
        push(&mut v, "/processes/0/nodes", json!({"id": "stamp", "kind": "action", "set": {"approver": "submiter"}}));
        push(&mut v, "/processes/0/edges", json!({"from": "route", "to": "stamp", "when": "amount > 1000"}));
        push(&mut v, "/processes/0/edges", json!({"from": "stamp", "to": "done"}));
    }

    // References.
    process_on_an_unknown_form_is_reported: "unknown_form" at "/processes/0/form" when |v| {
        *at(&mut v, "/processes/0/form") = json!("ghost");
    }
    report_on_an_unknown_form_is_reported: "unknown_form" at "/reports/0/form" when |v| {
        *at(&mut v, "/reports/0/form") = json!("ghost");
    }
    rule_on_an_unknown_form_is_reported: "unknown_form" at "/rules/0/form" when |v| {
        *at(&mut v, "/rules/0/form") = json!("ghost");
    }
    edge_to_an_unknown_node_is_reported: "unknown_node" at "/processes/0/edges/3/to" when |v| {
        *at(&mut v, "/processes/0/edges/3/to") = json!("nowhere");
    }
    assignee_role_not_declared_is_reported: "unknown_role" at "/processes/0/nodes/2/assignee/role" when |v| {
        *at(&mut v, "/processes/0/nodes/2/assignee/role") = json!("ghost");
    }
    assignee_field_unknown_is_reported: "unknown_field" at "/processes/0/nodes/2/assignee/field" when |v| {
        *at(&mut v, "/processes/0/nodes/2/assignee") = json!({"type": "field", "field": "reviewer"});
    }
    field_access_for_an_unknown_field_is_reported: "unknown_field" at "/processes/0/nodes/2/fields/secret" when |v| {
        at(&mut v, "/processes/0/nodes/2").as_object_mut().unwrap().insert("fields".into(), json!({"amount": "visible", "secret": "hidden"}));
    }
    deadline_until_an_unknown_field_is_reported: "unknown_field" at "/processes/0/nodes/2/deadline/until_field" when |v| {
        at(&mut v, "/processes/0/nodes/2").as_object_mut().unwrap().insert("deadline".into(), json!({"until_field": "deadline"}));
    }
    wait_until_an_unknown_field_is_reported: "unknown_field" at "/processes/0/nodes/6/until_field" when |v| {
        push(&mut v, "/processes/0/nodes", json!({"id": "pause", "kind": "wait", "until_field": "later"}));
        *at(&mut v, "/processes/0/edges/3/to") = json!("pause");
        push(&mut v, "/processes/0/edges", json!({"from": "pause", "to": "done"}));
    }
    report_grouping_by_an_unknown_field_is_reported: "unknown_field" at "/reports/0/group_by/0/field" when |v| {
        *at(&mut v, "/reports/0/group_by/0/field") = json!("colour");
    }
    report_measuring_an_unknown_field_is_reported: "unknown_field" at "/reports/0/measures/0/field" when |v| {
        *at(&mut v, "/reports/0/measures/0/field") = json!("total");
    }
    task_report_grouping_by_a_form_field_is_reported: "unknown_field" at "/reports/0/group_by/0/field" when |v| {
        at(&mut v, "/reports/0").as_object_mut().unwrap().insert("source".into(), json!("tasks"));
        *at(&mut v, "/reports/0/measures/0") = json!({"fn": "avg", "field": "duration_hours"});
        *at(&mut v, "/reports/0/group_by/0/field") = json!("amount");
    }
    rule_setting_an_unknown_field_is_reported: "unknown_field" at "/rules/0/actions/0/field" when |v| {
        *at(&mut v, "/rules/0/actions/0/field") = json!("reviewer");
    }
    sum_without_a_field_is_reported: "missing_measure_field" at "/reports/0/measures/0" when |v| {
        remove(&mut v, "/reports/0/measures/0", "field");
    }
    bucket_on_a_number_is_reported: "bucket_needs_date" at "/reports/0/group_by/0/bucket" when |v| {
        *at(&mut v, "/reports/0/group_by/0") = json!({"field": "amount", "bucket": "month"});
    }
    bucket_on_a_date_field_is_fine_but_rate_needs_where: "rate_without_where" at "/reports/0/measures/1" when |v| {
        *at(&mut v, "/reports/0/group_by/0") = json!({"field": "due", "bucket": "week"});
        push(&mut v, "/reports/0/measures", json!({"fn": "rate"}));
    }
    in_filter_without_a_list_is_reported: "bad_filter_value" at "/reports/0/filters/0/op" when |v| {
        at(&mut v, "/reports/0").as_object_mut().unwrap().insert("filters".into(), json!([{"field": "amount", "op": "in", "value": 5}]));
    }
    sort_by_an_unknown_measure_is_reported: "unknown_sort_key" at "/reports/0/sort/0/by" when |v| {
        at(&mut v, "/reports/0").as_object_mut().unwrap().insert("sort".into(), json!([{"by": "count"}]));
    }
    others_with_count_distinct_is_reported: "others_cannot_fold" at "/reports/0/measures/1" when |v| {
        push(&mut v, "/reports/0/measures", json!({"fn": "count_distinct", "field": "approver"}));
        at(&mut v, "/reports/0").as_object_mut().unwrap().insert("top".into(), json!({"n": 3, "others": true}));
    }
    kanban_over_groups_is_reported: "view_needs_listing" at "/reports/0/view/kind" when |v| {
        *at(&mut v, "/reports/0/view") = json!({"kind": "kanban", "lane": "approver"});
    }
    gantt_milestone_column_unknown_is_reported: "unknown_field" at "/reports/0/view/milestones/end" when |v| {
        *at(&mut v, "/reports/0") = json!({"id": "r", "name": {"zh-CN": "甘特"}, "form": "f", "columns": ["due"],
            "view": {"kind": "gantt", "start": "due", "end": "due", "milestones": {"field": "items", "title": "qty", "end": "due_on"}}});
    }
    widget_with_report_and_kpi_is_reported: "widget_needs_one_source" at "/dashboards/0/widgets/0" when |v| {
        *at(&mut v, "/dashboards/0/widgets/0") = json!({"report": "r", "kpi": {"process": "p", "measure": "step_time"}});
    }
    form_kpi_without_marks_is_reported: "kpi_fields_not_marked" at "/dashboards/0/widgets/1/kpi/measure" when |v| {
        push(&mut v, "/dashboards/0/widgets", json!({"kpi": {"form": "f", "measure": "budget_variance"}}));
    }
    shared_filter_on_no_widget_field_is_reported: "param_applies_to_no_widget" at "/dashboards/0/params/0/field" when |v| {
        at(&mut v, "/dashboards/0").as_object_mut().unwrap().insert("params".into(),
            json!([{"id": "x", "label": {"zh-CN": "区域"}, "kind": "select", "field": "region"}]));
    }
    dashboard_widget_on_an_unknown_report_is_reported: "unknown_report" at "/dashboards/0/widgets/0/report" when |v| {
        *at(&mut v, "/dashboards/0/widgets/0/report") = json!("ghost");
    }
    wait_without_hours_or_field_is_reported: "missing_duration" at "/processes/0/nodes/6" when |v| {
        push(&mut v, "/processes/0/nodes", json!({"id": "pause", "kind": "wait"}));
        *at(&mut v, "/processes/0/edges/3/to") = json!("pause");
        push(&mut v, "/processes/0/edges", json!({"from": "pause", "to": "done"}));
    }
    deadline_without_hours_or_field_is_reported: "missing_duration" at "/processes/0/nodes/2/deadline" when |v| {
        at(&mut v, "/processes/0/nodes/2").as_object_mut().unwrap().insert("deadline".into(), json!({"remind_before_hours": 2}));
    }

    // Process graphs.
    process_without_start_is_reported: "no_start" at "/processes/0/nodes" when |v| {
        *at(&mut v, "/processes/0/nodes/0") = json!({"id": "start", "kind": "cc", "assignee": {"type": "submitter"}});
    }
    second_start_is_reported: "several_starts" at "/processes/0/nodes/6" when |v| {
        push(&mut v, "/processes/0/nodes", json!({"id": "start2", "kind": "start"}));
        push(&mut v, "/processes/0/edges", json!({"from": "start2", "to": "route"}));
    }
    edge_into_the_start_is_reported: "start_has_incoming" at "/processes/0/edges/5" when |v| {
        *at(&mut v, "/processes/0/edges/5/to") = json!("start");
    }
    edge_out_of_an_end_is_reported: "end_has_outgoing" at "/processes/0/edges/7" when |v| {
        push(&mut v, "/processes/0/edges", json!({"from": "done", "to": "route"}));
    }
    node_nothing_leads_to_is_unreachable: "unreachable_node" at "/processes/0/nodes/6" when |v| {
        push(&mut v, "/processes/0/nodes", json!({"id": "lonely", "kind": "cc", "assignee": {"type": "submitter"}}));
        push(&mut v, "/processes/0/edges", json!({"from": "lonely", "to": "done"}));
    }
    node_without_a_way_out_cannot_reach_an_end: "cannot_reach_end" at "/processes/0/nodes/6" when |v| {
        push(&mut v, "/processes/0/nodes", json!({"id": "sink", "kind": "cc", "assignee": {"type": "submitter"}}));
        push(&mut v, "/processes/0/edges", json!({"from": "route", "to": "sink", "when": "amount > 5000"}));
    }
    condition_without_default_edge_is_reported: "condition_without_default" at "/processes/0/nodes/1" when |v| {
        *at(&mut v, "/processes/0/edges/2") = json!({"from": "route", "to": "done", "when": "amount <= 100"});
    }
    condition_with_two_default_edges_is_reported: "condition_several_defaults" at "/processes/0/nodes/1" when |v| {
        *at(&mut v, "/processes/0/edges/1") = json!({"from": "route", "to": "ok", "default": true});
    }
    condition_edge_without_when_is_reported: "condition_edge_without_when" at "/processes/0/edges/1" when |v| {
        remove(&mut v, "/processes/0/edges/1", "when");
    }
    when_on_an_edge_not_leaving_a_condition_is_reported: "edge_when_outside_condition" at "/processes/0/edges/0" when |v| {
        *at(&mut v, "/processes/0/edges/0") = json!({"from": "start", "to": "route", "when": "amount > 1"});
    }
    submit_edge_leaving_an_approval_is_invalid: "edge_action_invalid" at "/processes/0/edges/3/on" when |v| {
        *at(&mut v, "/processes/0/edges/3") = json!({"from": "ok", "to": "done", "on": "submit"});
    }
    two_approve_edges_are_ambiguous: "ambiguous_edges" at "/processes/0/nodes/2" when |v| {
        push(&mut v, "/processes/0/edges", json!({"from": "ok", "to": "gone", "on": "approve"}));
    }
    approval_without_approve_edge_is_reported: "missing_edge_action" at "/processes/0/nodes/2" when |v| {
        *at(&mut v, "/processes/0/edges/3") = json!({"from": "ok", "to": "done", "on": "return"});
    }
    split_whose_branches_meet_nowhere_is_reported: "split_without_join" at "/processes/1/nodes/1" when |v| {
        let mut par = parallel_process();
        *at(&mut par, "/edges/3/to") = json!("done");
        *at(&mut par, "/edges/4/to") = json!("done");
        push(&mut v, "/processes", par);
    }
    split_whose_branches_meet_at_two_joins_is_reported: "split_without_join" at "/processes/1/nodes/1" when |v| {
        let mut par = parallel_process();
        push(&mut par, "/nodes", json!({"id": "join2", "kind": "parallel_join"}));
        *at(&mut par, "/edges/4/to") = json!("join2");
        push(&mut par, "/edges", json!({"from": "join2", "to": "done"}));
        push(&mut v, "/processes", par);
    }
    join_not_fed_by_a_split_is_reported: "join_without_split" at "/processes/1/nodes/2" when |v| {
        push(&mut v, "/processes", json!({
            "id": "nojoin", "name": {"zh-CN": "无分支"}, "form": "f",
            "nodes": [
                {"id": "start", "kind": "start"},
                {"id": "a", "kind": "approval", "assignee": {"type": "submitter"}},
                {"id": "join", "kind": "parallel_join"},
                {"id": "done", "kind": "end", "outcome": "completed"}
            ],
            "edges": [
                {"from": "start", "to": "a"},
                {"from": "a", "to": "join"},
                {"from": "join", "to": "done"}
            ]
        }));
    }
    second_split_closed_by_the_same_join_is_reported: "join_closes_several_splits" at "/processes/1/nodes/7" when |v| {
        let mut par = parallel_process();
        push(&mut par, "/nodes", json!({"id": "s2", "kind": "parallel_split"}));
        push(&mut par, "/nodes", json!({"id": "c", "kind": "approval", "assignee": {"type": "submitter"}}));
        push(&mut par, "/edges", json!({"from": "a", "to": "s2", "on": "reject"}));
        push(&mut par, "/edges", json!({"from": "s2", "to": "c"}));
        push(&mut par, "/edges", json!({"from": "c", "to": "join"}));
        // The join moves to the end of the node list to keep the other pointers.
        let join = at(&mut par, "/nodes").as_array_mut().unwrap().remove(4);
        push(&mut par, "/nodes", join);
        push(&mut v, "/processes", par);
    }
    forward_edge_into_a_branch_is_reported: "edge_into_branch" at "/processes/1/edges/7" when |v| {
        let mut par = parallel_process();
        push(&mut par, "/nodes", json!({"id": "pre", "kind": "condition"}));
        *at(&mut par, "/edges/0/to") = json!("pre");
        push(&mut par, "/edges", json!({"from": "pre", "to": "split", "when": "amount > 1"}));
        push(&mut par, "/edges", json!({"from": "pre", "to": "b", "default": true}));
        push(&mut v, "/processes", par);
    }
    branches_meeting_before_their_join_are_reported: "branches_merge" at "/processes/1/nodes/6" when |v| {
        let mut par = parallel_process();
        push(&mut par, "/nodes", json!({"id": "m", "kind": "approval", "assignee": {"type": "submitter"}}));
        *at(&mut par, "/edges/3/to") = json!("m");
        *at(&mut par, "/edges/4/to") = json!("m");
        push(&mut par, "/edges", json!({"from": "m", "to": "join"}));
        push(&mut v, "/processes", par);
    }
    join_requiring_more_branches_than_its_split_has_is_reported: "join_requires_too_many" at "/processes/1/nodes/4/required" when |v| {
        let mut par = parallel_process();
        at(&mut par, "/nodes/4").as_object_mut().unwrap().insert("required".into(), json!(3));
        push(&mut v, "/processes", par);
    }
    timeout_edge_without_a_deadline_is_reported: "timeout_without_deadline" at "/processes/0/nodes/2" when |v| {
        push(&mut v, "/processes/0/edges", json!({"from": "ok", "to": "fix", "on": "timeout"}));
    }
    timeout_edge_beside_an_escalation_is_reported: "timeout_with_escalation" at "/processes/0/nodes/2/deadline/escalate" when |v| {
        at(&mut v, "/processes/0/nodes/2").as_object_mut().unwrap().insert(
            "deadline".into(), json!({"hours": 4, "escalate": {"type": "auto_approve"}}));
        push(&mut v, "/processes/0/edges", json!({"from": "ok", "to": "fix", "on": "timeout"}));
    }
    inclusive_split_edge_without_a_condition_is_reported: "condition_edge_without_when" at "/processes/1/edges/2" when |v| {
        let mut par = parallel_process();
        *at(&mut par, "/nodes/1/kind") = json!("inclusive_split");
        *at(&mut par, "/edges/1") = json!({"from": "split", "to": "a", "when": "amount > 5"});
        push(&mut v, "/processes", par);
    }
    unknown_deadline_calendar_is_a_bad_enum_value: "bad_enum_value" at "/processes/0/nodes/2/deadline/calendar" when |v| {
        at(&mut v, "/processes/0/nodes/2").as_object_mut().unwrap().insert(
            "deadline".into(), json!({"hours": 4, "calendar": "lunar"}));
    }
    join_requiring_no_branch_is_too_small: "too_small" at "/processes/1/nodes/4/required" when |v| {
        let mut par = parallel_process();
        at(&mut par, "/nodes/4").as_object_mut().unwrap().insert("required".into(), json!(0));
        push(&mut v, "/processes", par);
    }
    loop_without_a_person_is_reported: "cycle_without_human_step" at "/processes/1/nodes/1" when |v| {
        push(&mut v, "/processes", json!({
            "id": "spin", "name": {"zh-CN": "空转"}, "form": "f",
            "nodes": [
                {"id": "start", "kind": "start"},
                {"id": "check", "kind": "condition"},
                {"id": "pause", "kind": "wait", "hours": 1},
                {"id": "done", "kind": "end", "outcome": "completed"}
            ],
            "edges": [
                {"from": "start", "to": "check"},
                {"from": "check", "to": "pause", "when": "amount > 1"},
                {"from": "check", "to": "done", "default": true},
                {"from": "pause", "to": "check"}
            ]
        }));
    }
}

#[test]
fn schema_faults_stop_validation_before_semantics() {
    let mut v = base();
    push(
        &mut v,
        "/roles",
        json!({"id": "boss", "name": {"zh-CN": "重复"}}),
    );
    *at(&mut v, "/roles/0/name") = json!(1);
    let found = problems(&v);
    assert!(
        found
            .iter()
            .all(|p| SCHEMA_CODES.contains(&p.code.as_str())),
        "{found:#?}"
    );
}

#[test]
fn every_schema_fault_is_reported_not_just_the_first() {
    let mut v = base();
    *at(&mut v, "/id") = json!("Bad Id");
    *at(&mut v, "/roles/0/name") = json!(1);
    remove(&mut v, "/forms/0", "name");
    let pointers: BTreeSet<String> = problems(&v).into_iter().map(|p| p.pointer).collect();
    for expected in ["/id", "/roles/0/name", "/forms/0"] {
        assert!(
            pointers.contains(expected),
            "{expected} missing from {pointers:?}"
        );
    }
}

#[test]
fn every_semantic_fault_is_reported_not_just_the_first() {
    let mut v = base();
    *at(&mut v, "/processes/0/form") = json!("ghost");
    *at(&mut v, "/dashboards/0/widgets/0/report") = json!("ghost");
    push(
        &mut v,
        "/roles",
        json!({"id": "boss", "name": {"zh-CN": "重复"}}),
    );
    let codes: BTreeSet<String> = problems(&v).into_iter().map(|p| p.code).collect();
    for expected in ["unknown_form", "unknown_report", "duplicate_id"] {
        assert!(
            codes.contains(expected),
            "{expected} missing from {codes:?}"
        );
    }
}

#[test]
fn text_that_is_not_json_is_reported_as_invalid_json() {
    let found = parse_package("{\"format\": ").unwrap_err();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].code, "invalid_json");
    assert_eq!(found[0].pointer, "");
}

#[test]
fn problems_serialize_with_pointer_code_and_both_languages() {
    let mut v = base();
    *at(&mut v, "/dashboards/0/widgets/0/report") = json!("ghost");
    let found = problems(&v);
    assert_eq!(
        serde_json::to_value(&found[0]).unwrap(),
        json!({
            "pointer": "/dashboards/0/widgets/0/report",
            "code": "unknown_report",
            "message": {"zh-CN": "应用中没有报表「ghost」", "en": "the app has no report `ghost`"}
        })
    );
}

#[test]
fn sample_package_validates_clean() {
    let text = std::fs::read_to_string(repo_file("apps/project-registration.json")).unwrap();
    let app = parse_package(&text).unwrap_or_else(|p| panic!("{p:#?}"));
    assert_eq!(app.id, "project-registration");
    assert!(app.form("project").is_some());
    assert!(app.process("registration_approval").is_some());
}

/// A server loading a published version reads it without the schema but with every semantic
/// check: the same app as validation gives, and a broken reference still refused.
#[test]
fn a_published_package_reads_back_as_validation_gave_it_and_semantics_still_refuse() {
    let text = std::fs::read_to_string(repo_file("apps/project-registration.json")).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        read_published(value.clone()).unwrap(),
        validate_package(&value).unwrap()
    );
    let mut broken = base();
    push(&mut broken, "/forms/0/ui/order", json!("ghost"));
    let problems = read_published(broken).unwrap_err();
    assert!(
        problems.iter().any(|p| p.code == "unknown_field"),
        "{problems:#?}"
    );
}

/// Set `FORMWORK_BLESS=1` to rewrite the sample in canonical export form after editing it.
#[test]
fn sample_package_is_stored_in_canonical_export_form() {
    let path = repo_file("apps/project-registration.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let app = parse_package(&text).unwrap_or_else(|p| panic!("{p:#?}"));
    let exported = export_package(&app).unwrap();
    if std::env::var_os("FORMWORK_BLESS").is_some() {
        std::fs::write(&path, &exported).unwrap();
        return;
    }
    assert!(
        text == exported,
        "run with FORMWORK_BLESS=1 to store the canonical form"
    );
}

#[test]
fn faulty_fixture_passes_the_schema_and_holds_every_semantic_fault() {
    let text = std::fs::read_to_string(repo_file("tests/fixtures/faulty-package.json")).unwrap();
    let found = parse_package(&text).unwrap_err();
    let codes: BTreeSet<&str> = found.iter().map(|p| p.code.as_str()).collect();
    for p in &found {
        assert!(
            SEMANTIC_CODES.contains(&p.code.as_str()),
            "schema fault {p}"
        );
        assert!(p.pointer.starts_with('/'), "{p}");
    }
    let missing: Vec<_> = SEMANTIC_CODES
        .iter()
        .filter(|c| !codes.contains(*c))
        .collect();
    assert!(missing.is_empty(), "the fixture lacks {missing:?}");
}

/// The designer's layout data: form sections, sub-table column order, node positions.
fn with_designer_layout() -> Value {
    let mut v = base();
    at(&mut v, "/forms/0/ui").as_object_mut().unwrap().insert(
        "sections".into(),
        json!([
            {"id": "basic", "title": {"zh-CN": "基本信息", "en": "Basics"}, "columns": 2, "fields": ["amount", "due"]},
            {"id": "more", "title": {"zh-CN": "更多"}, "fields": ["approver", "items"]}
        ]),
    );
    at(&mut v, "/forms/0/ui/fields/items")
        .as_object_mut()
        .unwrap()
        .insert("order".into(), json!(["qty"]));
    at(&mut v, "/processes/0").as_object_mut().unwrap().insert(
        "layout".into(),
        json!({"start": {"x": 0, "y": 0}, "route": {"x": 10.5, "y": 120}}),
    );
    v
}

#[test]
fn designer_sections_column_order_and_node_positions_validate_and_survive_export() {
    let app = validate_package(&with_designer_layout()).unwrap_or_else(|p| panic!("{p:#?}"));
    let ui = &app.forms[0].ui;
    assert_eq!(ui.sections.len(), 2);
    assert_eq!(ui.sections[0].columns, 2);
    assert_eq!(ui.sections[1].columns, 1, "one column unless said");
    assert_eq!(ui.fields["items"].order, vec!["qty".to_owned()]);
    assert_eq!(app.processes[0].layout["route"].x, 10.5);
    let back = serde_json::to_value(&app).unwrap();
    assert_eq!(
        back.pointer("/processes/0/layout/route/y"),
        Some(&json!(120.0))
    );
    assert_eq!(
        back.pointer("/forms/0/ui/sections/1/id"),
        Some(&json!("more"))
    );
    let plain = serde_json::to_value(validate_package(&base()).unwrap()).unwrap();
    assert!(
        plain.pointer("/forms/0/ui/sections").is_none(),
        "absent stays absent"
    );
    assert!(
        plain.pointer("/processes/0/layout").is_none(),
        "absent stays absent"
    );
}

#[test]
fn section_naming_an_unknown_field_is_reported_there() {
    let mut v = with_designer_layout();
    push(&mut v, "/forms/0/ui/sections/1/fields", json!("nope"));
    assert_reports(&v, "unknown_field", "/forms/0/ui/sections/1/fields/2");
}

#[test]
fn column_order_naming_an_unknown_column_is_reported_there() {
    let mut v = with_designer_layout();
    push(&mut v, "/forms/0/ui/fields/items/order", json!("nope"));
    assert_reports(&v, "unknown_field", "/forms/0/ui/fields/items/order/1");
}

#[test]
fn three_column_section_is_refused_by_the_schema() {
    let mut v = with_designer_layout();
    *at(&mut v, "/forms/0/ui/sections/0/columns") = json!(3);
    assert_reports(&v, "bad_enum_value", "/forms/0/ui/sections/0/columns");
}

#[test]
fn node_position_without_y_is_refused_by_the_schema() {
    let mut v = with_designer_layout();
    *at(&mut v, "/processes/0/layout/start") = json!({"x": 1});
    assert_reports(&v, "missing_property", "/processes/0/layout/start");
}

// ---- automation rules and inbound hooks ------------------------------------------------------

fault_cases! {
    rule_watching_an_unknown_field_is_reported: "unknown_field" at "/rules/0/trigger/field" when |v| {
        *at(&mut v, "/rules/0/trigger") = json!({"type": "field_changed", "field": "budget"});
    }
    rule_on_a_cron_that_does_not_parse_is_reported: "invalid_cron" at "/rules/0/trigger/cron" when |v| {
        *at(&mut v, "/rules/0/trigger") = json!({"type": "schedule", "cron": "every monday"});
        *at(&mut v, "/rules/0/actions") = json!([{"type": "notify", "to": [{"type": "role", "role": "boss"}], "message": {"zh-CN": "周报"}}]);
    }
    schedule_rule_setting_a_field_needs_a_record: "needs_record" at "/rules/0/actions/0/type" when |v| {
        *at(&mut v, "/rules/0/trigger") = json!({"type": "schedule", "cron": "0 9 * * 1"});
    }
    schedule_rule_reading_record_fields_is_reported: "unknown_variable" at "/rules/0/condition" when |v| {
        *at(&mut v, "/rules/0/trigger") = json!({"type": "schedule", "cron": "0 9 * * 1"});
        *at(&mut v, "/rules/0/actions") = json!([{"type": "webhook", "url": "https://example.com/h"}]);
    }
    overdue_rule_on_an_unknown_step_is_reported: "unknown_node" at "/rules/0/trigger/node" when |v| {
        *at(&mut v, "/rules/0/trigger") = json!({"type": "task_overdue", "hours": 24, "node": "ghost"});
    }
    notifying_the_task_assignee_needs_an_overdue_rule: "needs_task" at "/rules/0/actions/0/to/0" when |v| {
        *at(&mut v, "/rules/0/actions") = json!([{"type": "notify", "to": [{"type": "task_assignee"}], "message": {"zh-CN": "x"}}]);
    }
    a_message_reading_an_unknown_name_is_reported: "unknown_variable" at "/rules/0/actions/0/message/zh-CN" when |v| {
        *at(&mut v, "/rules/0/actions") = json!([{"type": "notify", "to": [{"type": "owner"}], "message": {"zh-CN": "金额 {{ amout }}"}}]);
    }
    old_value_is_only_known_to_field_changed_rules: "unknown_variable" at "/rules/0/condition" when |v| {
        *at(&mut v, "/rules/0/condition") = json!("amount > old_value");
    }
    a_robot_channel_needs_a_destination: "robot_needs_destination" at "/rules/0/actions/0/channels/0" when |v| {
        *at(&mut v, "/rules/0/actions") = json!([{"type": "notify", "channels": ["dingtalk"], "message": {"zh-CN": "x"}}]);
    }
    a_notification_without_recipients_is_reported: "notify_without_recipients" at "/rules/0/actions/0" when |v| {
        *at(&mut v, "/rules/0/actions") = json!([{"type": "notify", "message": {"zh-CN": "x"}}]);
    }
    a_webhook_with_url_and_destination_is_reported: "webhook_needs_one_target" at "/rules/0/actions/0" when |v| {
        *at(&mut v, "/rules/0/actions") = json!([{"type": "webhook", "url": "https://example.com/h", "destination": "crm"}]);
    }
    a_date_rule_on_a_number_is_reported: "not_a_date_field" at "/rules/0/trigger/field" when |v| {
        *at(&mut v, "/rules/0/trigger") = json!({"type": "date", "field": "amount", "days_before": 3});
    }
    a_date_rule_on_a_field_that_is_no_sub_table_is_reported: "not_a_subtable" at "/rules/0/trigger/subtable" when |v| {
        *at(&mut v, "/rules/0/trigger") = json!({"type": "date", "subtable": "due", "field": "qty"});
    }
    creating_a_record_with_an_unknown_field_is_reported: "unknown_field" at "/rules/0/actions/0/fields/colour" when |v| {
        *at(&mut v, "/rules/0/actions") = json!([{"type": "create_record", "form": "f", "fields": {"colour": "\"red\""}}]);
    }
    a_hook_filling_an_unknown_field_is_reported: "unknown_field" at "/hooks/0/fields/budget" when |v| {
        at(&mut v, "").as_object_mut().unwrap().insert("hooks".into(), json!([
            {"id": "crm", "form": "f", "as_user": "crmbot", "fields": {"budget": "payload.amount"}}
        ]));
    }
    a_hook_reading_more_than_its_payload_is_reported: "unknown_variable" at "/hooks/0/fields/amount" when |v| {
        at(&mut v, "").as_object_mut().unwrap().insert("hooks".into(), json!([
            {"id": "crm", "form": "f", "as_user": "crmbot", "fields": {"amount": "amount"}}
        ]));
    }
}

#[test]
fn rule_triggers_are_a_word_or_an_object_and_both_round_trip() {
    let mut v = base();
    push(
        &mut v,
        "/rules",
        json!({
            "id": "raised",
            "name": {"zh-CN": "金额上调", "en": "Amount raised"},
            "form": "f",
            "trigger": {"type": "field_changed", "field": "amount", "from": 1},
            "condition": "new_value > old_value * 1.05 and \"amount\" in changed",
            "actions": [{"type": "notify", "to": [{"type": "role", "role": "boss"}, {"type": "owner_head"}],
                         "channels": ["in_app", "email", "wecom"], "destination": "ops",
                         "title": {"zh-CN": "上调：{{ amount }}"}, "message": {"zh-CN": "由 {{ old_value }} 到 {{ new_value }}"}}]
        }),
    );
    push(
        &mut v,
        "/rules",
        json!({
            "id": "rows", "form": "f",
            "trigger": {"type": "date", "subtable": "items", "field": "due", "days_before": 3, "at": "08:30"},
            "actions": [{"type": "notify", "to": [{"type": "field", "field": "approver"}], "message": {"zh-CN": "{{ qty }} 件，{{ date }}"}}]
        }),
    );
    // The sub-table's rows hold no date: put one there for the date rule.
    at(&mut v, "/forms/0/schema/properties/items/items/properties")
        .as_object_mut()
        .unwrap()
        .insert("due".into(), json!({"type": "string", "format": "date"}));
    let app = validate_package(&v).unwrap_or_else(|p| panic!("{p:#?}"));
    assert_eq!(
        app.rules[0].trigger.spec().name(),
        "created",
        "the first format's word"
    );
    assert_eq!(app.rules[1].trigger.spec().name(), "field_changed");
    let back = serde_json::to_value(&app.rules).unwrap();
    assert_eq!(back[0]["trigger"], "created");
    assert_eq!(back[1]["trigger"]["from"], 1);
}

#[test]
fn inbox_column_naming_an_unknown_field_is_reported_there() {
    let mut v = base();
    at(&mut v, "/processes/0")["inbox_columns"] = json!(["amount", "customer"]);
    assert_reports(&v, "unknown_field", "/processes/0/inbox_columns/1");
    let found = problems(&v);
    let p = found
        .iter()
        .find(|p| p.pointer == "/processes/0/inbox_columns/1")
        .unwrap();
    assert!(p.message.0.get("zh-CN").unwrap().contains("customer"));
}

#[test]
fn inbox_columns_naming_real_fields_validate_clean() {
    let mut v = base();
    at(&mut v, "/processes/0")["inbox_columns"] = json!(["amount", "due"]);
    validate_package(&v).expect("real fields are fine");
}

#[test]
fn field_editable_after_approval_must_be_a_field_of_the_form() {
    let mut v = base();
    at(&mut v, "/forms/0")["after_approval"] = json!({
        "editable": {"amount": ["owner"], "amout": ["owner"]},
        "changes": "change_request"
    });
    assert_reports(
        &v,
        "unknown_field",
        "/forms/0/after_approval/editable/amout",
    );
    assert!(
        problems(&v)
            .iter()
            .all(|p| p.pointer != "/forms/0/after_approval/editable/amount"),
        "a real field is not reported"
    );
}

#[test]
fn editor_after_approval_must_be_the_owner_or_a_declared_role() {
    let mut v = base();
    at(&mut v, "/forms/0")["after_approval"] = json!({
        "editable": {"amount": ["owner", "boss", "ghost"]}
    });
    assert_reports(
        &v,
        "unknown_role",
        "/forms/0/after_approval/editable/amount/2",
    );
    at(&mut v, "/forms/0")["after_approval"] = json!({
        "editable": {"amount": ["owner", "boss"]}
    });
    validate_package(&v).expect("owner and declared roles are fine");
}
