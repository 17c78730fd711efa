//! Each field kind accepts what it should, stores it normalised, and refuses the rest with
//! the right code.

use crate::common;

use crate::common::{SHA, codes, ctx, file, kinds};
use formwork_forms::FieldKind;
use serde_json::{Value, json};

enum Want {
    Stored(Value),
    Refused(&'static str),
    Dropped,
}
use Want::{Dropped, Refused, Stored};

fn check(field: &str, input: Value, want: Want) {
    let form = kinds();
    let result = form.submit(&json!({ field: input.clone() }), &ctx(), None);
    match (want, result) {
        (Stored(expected), Ok(record)) => {
            assert_eq!(record.data.get(field), Some(&expected), "{field} = {input}")
        }
        (Dropped, Ok(record)) => assert_eq!(record.data.get(field), None, "{field} = {input}"),
        (Refused(code), Err(errors)) => {
            assert_eq!(errors.len(), 1, "{field} = {input}: {errors:?}");
            assert_eq!(errors[0].code, code, "{field} = {input}: {errors:?}");
            assert!(
                errors[0].path.starts_with(&format!("/{field}")),
                "{errors:?}"
            );
        }
        (_, other) => panic!("{field} = {input}: unexpected {other:?}"),
    }
}

#[test]
fn each_field_kind_accepts_valid_values_and_refuses_invalid_ones() {
    let cases: Vec<(&str, Value, Want)> = vec![
        ("title", json!("短标题"), Stored(json!("短标题"))),
        (
            "title",
            json!("这个标题实在是太长了超过十个字"),
            Refused("max_length"),
        ),
        ("title", json!(5), Refused("type")),
        ("title", json!(""), Dropped),
        ("title", json!(null), Dropped),
        (
            "notes",
            json!("第一行\n第二行"),
            Stored(json!("第一行\n第二行")),
        ),
        ("bio", json!("<p>你好</p>"), Stored(json!("<p>你好</p>"))),
        ("count", json!(3), Stored(json!(3))),
        ("count", json!("3"), Stored(json!(3))),
        ("count", json!(-1), Refused("minimum")),
        ("count", json!(1.5), Refused("type")),
        ("count", json!("三"), Refused("type")),
        ("ratio", json!(2.5), Stored(json!(2.5))),
        ("ratio", json!("2.5"), Stored(json!(2.5))),
        ("ratio", json!(11), Refused("maximum")),
        ("price", json!("12.5"), Stored(json!("12.50"))),
        ("price", json!(12.5), Stored(json!("12.50"))),
        ("price", json!("1000"), Stored(json!("1000.00"))),
        ("price", json!("1000.01"), Refused("maximum")),
        ("price", json!("-0.01"), Refused("minimum")),
        ("price", json!("12.345"), Refused("pattern")),
        ("price", json!(true), Refused("type")),
        ("share", json!(12.5), Stored(json!(12.5))),
        ("share", json!(101), Refused("maximum")),
        ("day", json!("2026-02-28"), Stored(json!("2026-02-28"))),
        ("day", json!("2026-02-30"), Refused("format")),
        ("day", json!("2026/02/28"), Refused("format")),
        (
            "at",
            json!("2026-02-28T09:30:00+08:00"),
            Stored(json!("2026-02-28T09:30:00+08:00")),
        ),
        ("at", json!("2026-02-28 09:30"), Refused("format")),
        ("color", json!("red"), Stored(json!("red"))),
        ("color", json!("blue"), Refused("enum")),
        ("tags", json!(["a", "b"]), Stored(json!(["a", "b"]))),
        ("tags", json!("a"), Stored(json!(["a"]))),
        ("tags", json!(["a", "c"]), Refused("enum")),
        ("tags", json!(["a", "a"]), Refused("unique_items")),
        ("size", json!("m"), Stored(json!("m"))),
        ("size", json!("xl"), Refused("enum")),
        ("agree", json!(true), Stored(json!(true))),
        ("agree", json!("on"), Stored(json!(true))),
        ("agree", json!("false"), Stored(json!(false))),
        ("agree", json!("maybe"), Refused("type")),
        ("mobile", json!("13800138000"), Stored(json!("13800138000"))),
        (
            "mobile",
            json!(" 13800138000 "),
            Stored(json!("13800138000")),
        ),
        ("mobile", json!("12800138000"), Refused("pattern")),
        ("mobile", json!("1380013800"), Refused("pattern")),
        (
            "landline",
            json!("010-12345678"),
            Stored(json!("010-12345678")),
        ),
        (
            "landline",
            json!("07558888888"),
            Stored(json!("07558888888")),
        ),
        ("landline", json!("12345678"), Refused("pattern")),
        (
            "mail",
            json!("li@example.com"),
            Stored(json!("li@example.com")),
        ),
        ("mail", json!("li@"), Refused("format")),
        (
            "site",
            json!("https://example.com/a"),
            Stored(json!("https://example.com/a")),
        ),
        ("site", json!("javascript:alert(1)"), Refused("format")),
        ("site", json!("ftp://example.com"), Refused("format")),
        ("manager", json!("manager1"), Stored(json!("manager1"))),
        ("manager", json!(["a"]), Refused("type")),
        (
            "depts",
            json!(["华东销售部", "华北销售部"]),
            Stored(json!(["华东销售部", "华北销售部"])),
        ),
        (
            "customer_id",
            json!("0190c2a4-0000-7000-8000-000000000001"),
            Stored(json!("0190c2a4-0000-7000-8000-000000000001")),
        ),
        (
            "customer_name",
            json!("ignored, the runtime fills it"),
            Dropped,
        ),
        (
            "files",
            json!([file("报价单.pdf", 1000, "application/pdf")]),
            Stored(json!([file("报价单.pdf", 1000, "application/pdf")])),
        ),
        (
            "files",
            json!([file("照片.jpg", 1000, "image/jpeg")]),
            Stored(json!([file("照片.jpg", 1000, "image/jpeg")])),
        ),
        (
            "files",
            json!([file("大文件.pdf", 2_000_000, "application/pdf")]),
            Refused("max_size"),
        ),
        (
            "files",
            json!([file("脚本.exe", 10, "application/x-msdownload")]),
            Refused("accept"),
        ),
        (
            "files",
            json!([{"id": "f1", "name": "缺哈希.pdf"}]),
            Refused("attachment"),
        ),
        (
            "files",
            json!([
                file("a.pdf", 1, "application/pdf"),
                file("b.pdf", 1, "application/pdf"),
                file("c.pdf", 1, "application/pdf")
            ]),
            Refused("max_items"),
        ),
        ("serial", json!("NO-1"), Refused("auto_number")),
        ("serial", json!(""), Dropped),
        ("total", json!("999.00"), Stored(json!("0.00"))),
        (
            "lines",
            json!([{"item": "螺丝", "qty": 2, "unit_price": "0.10"}]),
            Stored(json!([{"item": "螺丝", "qty": 2, "unit_price": "0.10", "subtotal": "0.20"}])),
        ),
        ("lines", json!([{"qty": 2}]), Refused("required")),
        ("lines", json!("not rows"), Refused("type")),
    ];
    for (field, input, want) in cases {
        check(field, input, want);
    }
}

#[test]
fn kinds_are_read_from_widgets_schemas_and_x_formwork_kind() {
    let form = kinds();
    let kind = |key: &str| form.field(key).unwrap().kind.name();
    let expected = [
        ("title", "text"),
        ("notes", "textarea"),
        ("bio", "rich_text"),
        ("count", "integer"),
        ("ratio", "decimal"),
        ("price", "money"),
        ("share", "percent"),
        ("day", "date"),
        ("at", "datetime"),
        ("color", "select"),
        ("tags", "multi_select"),
        ("size", "radio"),
        ("agree", "checkbox"),
        ("mobile", "mobile"),
        ("landline", "landline"),
        ("mail", "email"),
        ("site", "url"),
        ("manager", "user"),
        ("depts", "department"),
        ("customer_id", "relation"),
        ("files", "attachments"),
        ("serial", "auto_number"),
        ("lines", "sub_table"),
        ("total", "money"),
    ];
    for (key, name) in expected {
        assert_eq!(kind(key), name, "{key}");
    }
    assert_eq!(
        form.field("depts").unwrap().kind,
        FieldKind::Department { multiple: true }
    );
    assert!(form.field("customer_name").unwrap().filled_by_relation);
}

#[test]
fn accepted_records_list_references_attachments_and_missing_auto_numbers() {
    let form = kinds();
    let record = form
        .submit(
            &json!({
                "manager": "manager1",
                "depts": ["华东销售部"],
                "customer_id": "c-1",
                "files": [file("报价单.pdf", 10, "application/pdf")]
            }),
            &ctx(),
            None,
        )
        .unwrap();
    let refs = serde_json::to_value(&record.references).unwrap();
    // Without `ui.order` the form order is the schema's key order.
    assert_eq!(
        refs,
        json!([
            {"path": "/customer_id", "target": {"type": "record", "form": "customer",
             "fills": {"customer_name": "name"}}, "id": "c-1"},
            {"path": "/depts/0", "target": {"type": "department"}, "id": "华东销售部"},
            {"path": "/manager", "target": {"type": "user"}, "id": "manager1"}
        ])
    );
    assert_eq!(record.attachments.len(), 1);
    assert_eq!(record.attachments[0].path, "/files/0");
    assert_eq!(record.attachments[0].file.sha256, SHA);
    assert_eq!(record.auto_numbers, vec!["serial".to_owned()]);
}

#[test]
fn several_errors_come_back_together_in_form_order() {
    let form = common::project();
    let mut input = common::valid_project();
    input["region"] = json!("火星");
    input["name"] = json!(1);
    input["amount"] = json!("-1");
    input["contact_phone"] = json!("123");
    let errors = form.submit(&input, &ctx(), None).unwrap_err();
    assert_eq!(
        codes(&errors),
        common::pairs(&[
            ("/name", "type"),
            ("/contact_phone", "pattern"),
            ("/amount", "minimum"),
            ("/region", "enum"),
        ])
    );
}
