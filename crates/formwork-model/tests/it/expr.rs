//! The expression language: names read, evaluation, strictness, limits and escaping.

use std::collections::BTreeSet;

use formwork_model::expr::{self, ExprError};
use formwork_model::{AppDef, parse_package};
use serde_json::{Value, json};

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn sample() -> AppDef {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../apps/project-registration.json"
    );
    parse_package(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn variables_lists_the_top_level_names_an_expression_reads() {
    let cases: &[(&str, &[&str])] = &[
        (
            r#"amount > 100000 and region == "华东""#,
            &["amount", "region"],
        ),
        ("row.qty * price", &["row", "price"]),
        ("milestones|length > 0", &["milestones"]),
        (
            "coalesce(start_date, today) <= end_date",
            &["start_date", "today", "end_date"],
        ),
        ("range(3)|list|length == 3", &[]),
        ("x is defined and x.y.z", &["x"]),
    ];
    for (src, expected) in cases {
        assert_eq!(expr::variables(src).unwrap(), names(expected), "{src}");
    }
}

#[test]
fn variables_of_text_that_does_not_parse_is_a_syntax_error() {
    let err = expr::variables("amount >").unwrap_err();
    assert!(matches!(err, ExprError::Syntax { .. }), "{err:?}");
    assert!(err.to_string().starts_with("syntax error"));
}

#[test]
fn eval_gives_json_values() {
    let ctx = json!({"amount": 120000, "region": "华东", "tags": ["a", "b"]});
    let cases: &[(&str, Value)] = &[
        (r#"amount > 100000 and region == "华东""#, json!(true)),
        ("amount * 2", json!(240000)),
        ("tags|length", json!(2)),
        ("tags|join('、')", json!("a、b")),
        ("{'n': amount}", json!({"n": 120000})),
        ("none", Value::Null),
    ];
    for (src, expected) in cases {
        assert_eq!(&expr::eval(src, &ctx).unwrap(), expected, "{src}");
    }
}

#[test]
fn eval_bool_takes_the_truth_of_the_result() {
    let ctx = json!({"name": "", "items": [1], "amount": 0});
    assert!(!expr::eval_bool("name", &ctx).unwrap());
    assert!(expr::eval_bool("items", &ctx).unwrap());
    assert!(!expr::eval_bool("amount", &ctx).unwrap());
    assert!(expr::eval_bool("amount == 0", &ctx).unwrap());
}

#[test]
fn reading_a_name_missing_from_the_context_fails_under_strict_undefined() {
    let ctx = json!({"amount": 1});
    for src in ["missing > 1", "missing", "amount > 0 and missing"] {
        let err = expr::eval(src, &ctx).unwrap_err();
        assert_eq!(
            err,
            ExprError::Undefined {
                message: "missing".into()
            },
            "{src}"
        );
    }
    assert!(matches!(
        expr::eval_bool("amount.nope", &ctx),
        Err(ExprError::Undefined { .. })
    ));
}

#[test]
fn adding_a_string_to_a_number_is_an_evaluation_error() {
    let err = expr::eval("amount + 'x'", &json!({"amount": 1})).unwrap_err();
    assert!(matches!(err, ExprError::Eval { .. }), "{err:?}");
}

#[test]
fn comparing_values_of_different_types_is_false_rather_than_an_error() {
    let ctx = json!({"amount": 1, "start_date": null});
    assert!(!expr::eval_bool("amount > 'x'", &ctx).unwrap());
    assert!(!expr::eval_bool("start_date >= '2026-01-01'", &ctx).unwrap());
}

#[test]
fn context_that_is_not_an_object_is_refused() {
    assert!(matches!(
        expr::eval("1", &json!([1])),
        Err(ExprError::Context { .. })
    ));
}

#[test]
fn running_out_of_fuel_is_a_clear_error() {
    let nested =
        "{% for i in range(1000) %}{% for j in range(1000) %}{{ j }}{% endfor %}{% endfor %}";
    let err = expr::render(nested, &json!({})).unwrap_err();
    assert_eq!(err, ExprError::OutOfFuel);
    assert!(err.to_string().contains("out of fuel"));
}

#[test]
fn overlong_operator_chain_is_refused_instead_of_overflowing_the_stack() {
    let chain = vec!["a"; 2_000].join("+");
    let err = expr::eval(&chain, &json!({"a": 1})).unwrap_err();
    assert!(matches!(err, ExprError::TooComplex { .. }), "{err:?}");
    let filters = format!("a{}", "|abs".repeat(500));
    assert!(matches!(
        expr::check(&filters),
        Err(ExprError::TooComplex { .. })
    ));
    let template = format!("{{{{ {chain} }}}}");
    assert!(matches!(
        expr::render(&template, &json!({"a": 1})),
        Err(ExprError::TooComplex { .. })
    ));
    let long = format!("'{}'", "长".repeat(expr::MAX_EXPRESSION_CHARS));
    assert!(matches!(
        expr::check(&long),
        Err(ExprError::TooComplex { .. })
    ));
}

#[test]
fn operators_inside_string_literals_do_not_count_towards_the_limit() {
    let text = format!("name == '{}'", "+".repeat(500));
    expr::check(&text).unwrap();
}

#[test]
fn rendered_text_escapes_html() {
    let ctx = json!({"name": "<script>alert(1)</script>", "n": 3});
    assert_eq!(
        expr::render("项目「{{ name }}」共 {{ n }} 项", &ctx).unwrap(),
        "项目「&lt;script&gt;alert(1)&lt;&#x2f;script&gt;」共 3 项"
    );
}

#[test]
fn debug_function_is_not_available_to_analysts() {
    assert!(expr::eval("debug()", &json!({})).is_err());
}

#[test]
fn days_between_counts_whole_days_between_iso_dates() {
    let ctx = json!({"start_date": "2024-02-01", "end_date": "2024-03-01T10:00:00+08:00"});
    assert_eq!(
        expr::eval("days_between(start_date, end_date)", &ctx).unwrap(),
        json!(29)
    );
    assert_eq!(
        expr::eval("days_between('2026-01-01', '2025-12-31')", &ctx).unwrap(),
        json!(-1)
    );
    assert!(expr::eval("days_between('soon', '2025-12-31')", &ctx).is_err());
}

#[test]
fn coalesce_gives_the_first_value_that_is_not_none() {
    let ctx = json!({"a": null, "b": 0});
    assert_eq!(expr::eval("coalesce(a, b, 5)", &ctx).unwrap(), json!(0));
    assert_eq!(expr::eval("coalesce(a)", &ctx).unwrap(), Value::Null);
}

#[test]
fn money_strings_become_numbers_in_the_record_scope() {
    let cases = [
        ("49999.99", json!(49999.99)),
        ("50000", json!(50000)),
        ("50000.00", json!(50000)),
        ("-3", json!(-3)),
        ("not money", json!("not money")),
    ];
    for (text, expected) in cases {
        assert_eq!(expr::money_number(json!(text)), expected, "{text}");
    }
}

#[test]
fn record_scope_has_every_field_and_money_as_numbers() {
    let app = sample();
    let form = app.form("project").unwrap();
    let scope = expr::record_scope(form, &json!({"name": "智慧园区", "amount": "120000.50"}));
    assert_eq!(scope["amount"], json!(120000.5));
    assert_eq!(scope["name"], json!("智慧园区"));
    assert_eq!(scope["region"], Value::Null);
    assert_eq!(scope.len(), form.field_keys().len());
}

#[test]
fn row_scope_sees_the_row_fields_and_the_row() {
    let record = expr::record_scope(&sample().forms[0], &json!({"amount": "10"}));
    let row = json!({"title": "验收", "owner": "sales1"});
    let scope = Value::Object(expr::row_scope(&record, &row));
    assert!(
        expr::eval_bool(
            "owner == 'sales1' and row.title == '验收' and amount == 10",
            &scope
        )
        .unwrap()
    );
}

#[test]
fn sample_routing_conditions_follow_the_amount_thresholds() {
    let app = sample();
    let form = app.form("project").unwrap();
    let process = app.process("registration_approval").unwrap();
    let route = |amount: &str| -> String {
        let mut ctx = expr::record_scope(form, &json!({"amount": amount, "region": "华北"}));
        ctx.insert("status".into(), json!("submitted"));
        let ctx = Value::Object(ctx);
        let out: Vec<_> = process
            .edges
            .iter()
            .filter(|e| e.from == "route_amount")
            .collect();
        out.iter()
            .find(|e| {
                e.when
                    .as_deref()
                    .is_some_and(|w| expr::eval_bool(w, &ctx).unwrap())
            })
            .or_else(|| out.iter().find(|e| e.default))
            .map(|e| e.to.clone())
            .unwrap()
    };
    assert_eq!(route("49999.99"), "dept_head_approval");
    assert_eq!(route("50000"), "director_approval");
    assert_eq!(route("100000.00"), "director_approval");
    assert_eq!(route("100000.01"), "director_approval_large");
}

#[test]
fn sample_checks_refuse_a_negative_amount_and_an_end_before_the_start() {
    let app = sample();
    let form = app.form("project").unwrap();
    let check = |id: &str, data: Value| -> bool {
        let src = &form.checks.iter().find(|c| c.id == id).unwrap().check;
        expr::eval_bool(src, &Value::Object(expr::record_scope(form, &data))).unwrap()
    };
    assert!(check("amount_not_negative", json!({"amount": "0"})));
    assert!(!check("amount_not_negative", json!({"amount": "-0.01"})));
    assert!(check("amount_not_negative", json!({})));
    assert!(check(
        "end_after_start",
        json!({"start_date": "2026-01-01", "end_date": "2026-01-01"})
    ));
    assert!(!check(
        "end_after_start",
        json!({"start_date": "2026-02-01", "end_date": "2026-01-31"})
    ));
    assert!(check(
        "end_after_start",
        json!({"start_date": "2026-02-01"})
    ));
    let message = &form
        .checks
        .iter()
        .find(|c| c.id == "end_after_start")
        .unwrap()
        .message;
    assert_eq!(message.get("zh-CN"), "结束日期不能早于开始日期");
}
