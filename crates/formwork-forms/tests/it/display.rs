//! Reading records for people (under any form version), field diffs for audit, and the
//! rules description for the browser.

use crate::common;

use crate::common::{compile, ctx, kinds, project, project_def, valid_project};
use formwork_forms::{DisplayField, field_diff};
use serde_json::{Value, json};

fn shown<'a>(fields: &'a [DisplayField], key: &str) -> &'a DisplayField {
    fields.iter().find(|f| f.key == key).unwrap()
}

#[test]
fn values_are_formatted_for_people() {
    let form = project();
    let record = form.submit(&valid_project(), &ctx(), None).unwrap();
    let fields = form.project_for_display(&record.data);
    let cases = [
        ("name", "智慧园区一期", "智慧园区一期"),
        ("amount", "¥100,000.30", "¥100,000.30"),
        ("business_line", "软件开发", "Software development"),
        ("region", "华东", "East China"),
        ("start_date", "2026年12月1日", "Dec 1, 2026"),
        ("milestones", "2 行", "2 rows"),
        ("description", "", ""),
    ];
    for (key, zh, en) in cases {
        let field = shown(&fields, key);
        assert_eq!(field.value.get("zh-CN"), zh, "{key}");
        assert_eq!(field.value.get("en"), en, "{key}");
    }
    assert_eq!(shown(&fields, "amount").label.get("zh-CN"), "预计金额");
    let milestones = shown(&fields, "milestones");
    assert_eq!(milestones.rows.len(), 2);
    assert_eq!(
        shown(&milestones.rows[0], "title").value.get("en"),
        "需求确认"
    );
}

#[test]
fn booleans_percentages_lists_and_files_read_naturally() {
    let form = kinds();
    let data = json!({
        "agree": true, "share": 12.5, "tags": ["a", "b"], "price": "-3",
        "files": [common::file("报价单.pdf", 1, "application/pdf")]
    });
    let fields = form.project_for_display(&data);
    let cases = [
        ("agree", "是", "Yes"),
        ("share", "12.5%", "12.5%"),
        ("tags", "甲、乙", "A, B"),
        ("price", "-¥3.00", "-¥3.00"),
        ("files", "报价单.pdf", "报价单.pdf"),
    ];
    for (key, zh, en) in cases {
        let field = shown(&fields, key);
        assert_eq!(
            (field.value.get("zh-CN"), field.value.get("en")),
            (zh, en),
            "{key}"
        );
    }
    let no = form.project_for_display(&json!({"agree": false}));
    assert_eq!(shown(&no, "agree").value.get("zh-CN"), "否");
}

#[test]
fn an_old_record_displays_under_a_newer_form_version() {
    let mut newer = project_def();
    let props = newer["schema"]["properties"].as_object_mut().unwrap();
    props.remove("business_line");
    props.insert("priority".to_owned(), json!({"type": "integer"}));
    newer["ui"]["order"] = json!(["name", "priority", "amount"]);
    let form = compile(newer);
    let old = json!({"name": "旧项目", "amount": "5", "business_line": "software"});
    let fields = form.project_for_display(&old);
    let keys: Vec<&str> = fields.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(&keys[..3], ["name", "priority", "amount"]);
    assert_eq!(keys.last(), Some(&"business_line"));
    let removed = shown(&fields, "business_line");
    assert!(removed.removed);
    assert_eq!(removed.value.get("zh-CN"), "software");
    assert_eq!(shown(&fields, "priority").raw, Value::Null);
}

#[test]
fn hidden_fields_are_not_displayed() {
    let mut def = project_def();
    def["ui"]["fields"]["description"]["visible_when"] = json!("region == '华东'");
    let form = compile(def);
    let east = form.project_for_display(&json!({"region": "华东", "description": "x"}));
    let north = form.project_for_display(&json!({"region": "华北", "description": "x"}));
    assert!(east.iter().any(|f| f.key == "description"));
    assert!(!north.iter().any(|f| f.key == "description"));
}

#[test]
fn field_diff_lists_changed_fields_with_from_and_to() {
    let cases = [
        (json!({"a": 1}), json!({"a": 1}), json!({})),
        (
            json!({"a": 1}),
            json!({"a": 2}),
            json!({"a": {"from": 1, "to": 2}}),
        ),
        (
            json!({}),
            json!({"a": "x"}),
            json!({"a": {"from": null, "to": "x"}}),
        ),
        (
            json!({"a": "x"}),
            json!({}),
            json!({"a": {"from": "x", "to": null}}),
        ),
        (json!({"a": null}), json!({}), json!({})),
        (
            json!({"rows": [{"t": 1}], "n": "5.00"}),
            json!({"rows": [{"t": 2}], "n": "5.00"}),
            json!({"rows": {"from": [{"t": 1}], "to": [{"t": 2}]}}),
        ),
        (
            Value::Null,
            json!({"a": 1}),
            json!({"a": {"from": null, "to": 1}}),
        ),
    ];
    for (old, new, diff) in cases {
        assert_eq!(field_diff(&old, &new), diff, "{old} → {new}");
    }
}

#[test]
fn the_client_description_mirrors_fields_rules_and_messages() {
    let form = project();
    let zh = form.field_rules_for_client("zh-CN");
    let fields = zh["fields"].as_array().unwrap();
    let field = |key: &str| fields.iter().find(|f| f["key"] == key).unwrap();
    assert_eq!(field("amount")["kind"], "money");
    assert_eq!(field("amount")["limits"]["minimum"], "0");
    assert_eq!(field("amount")["messages"]["minimum"], "预计金额不能小于 0");
    assert_eq!(
        field("contact_phone")["limits"]["pattern"],
        r"^1[3-9]\d{9}$"
    );
    assert_eq!(
        field("contact_email")["rules"]["required_when"],
        "not contact_phone"
    );
    assert_eq!(
        field("contact_email")["variables"],
        json!(["contact_phone"])
    );
    assert_eq!(
        field("milestones")["columns"][2]["messages"]["required"],
        "请填写标题"
    );
    assert_eq!(
        zh["checks"][0]["variables"],
        json!(["end_date", "start_date"])
    );
    let en = form.field_rules_for_client("en");
    assert_eq!(
        en["fields"][0]["messages"]["required"],
        "Project name is required"
    );
    insta::assert_json_snapshot!("client_rules_of_the_project_form_in_zh", zh);
}
