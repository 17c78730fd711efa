//! Field rules: visibility, required-when, read-only, defaults, computed fields, system and
//! unknown keys, updates over older versions.

use crate::common;

use crate::common::{codes, compile, ctx, pairs, zh};
use formwork_forms::{CompiledForm, RecordMeta, SYSTEM_KEYS, SubmitContext};
use serde_json::{Value, json};

fn rules_form() -> CompiledForm {
    compile(json!({
        "id": "order",
        "name": {"zh-CN": "订单"},
        "schema": {
            "type": "object",
            "required": ["amount", "discount"],
            "properties": {
                "amount": {"type": "string"},
                "channel": {"type": "string", "enum": ["internal", "external"]},
                "discount": {"type": "string", "x-formwork-minimum": "0"},
                "reason": {"type": "string", "minLength": 5},
                "locked": {"type": "boolean"},
                "code": {"type": "string"},
                "status_note": {"type": "string"},
                "apply_date": {"type": "string"},
                "applicant": {"type": "string"},
                "tax": {"type": "string"},
                "total": {"type": "string"}
            }
        },
        "ui": {
            "order": ["amount", "channel", "discount", "reason", "locked", "code", "status_note",
                      "apply_date", "applicant", "tax", "total"],
            "fields": {
                "amount": {"label": {"zh-CN": "金额", "en": "Amount"}, "widget": "money"},
                "channel": {"label": {"zh-CN": "渠道", "en": "Channel"}, "widget": "select"},
                "discount": {"label": {"zh-CN": "折扣", "en": "Discount"}, "widget": "money",
                             "visible_when": "channel == 'external'"},
                "reason": {"label": {"zh-CN": "折扣原因", "en": "Discount reason"}, "widget": "textarea",
                           "required_when": "discount is not none and discount > 0"},
                "locked": {"label": {"zh-CN": "锁定", "en": "Locked"}, "widget": "checkbox"},
                "code": {"label": {"zh-CN": "合同编码", "en": "Contract code"}, "readonly_when": "locked"},
                "status_note": {"label": {"zh-CN": "状态说明", "en": "Status note"},
                                "readonly_when": "status == 'approved'"},
                "apply_date": {"label": {"zh-CN": "申请日期", "en": "Application date"}, "widget": "date",
                               "default": "today", "readonly_when": "true"},
                "applicant": {"label": {"zh-CN": "申请人", "en": "Applicant"}, "widget": "user",
                              "default": "submitter"},
                "tax": {"label": {"zh-CN": "税额", "en": "Tax"}, "widget": "money",
                        "compute": "amount * 0.06"},
                "total": {"label": {"zh-CN": "合计", "en": "Total"}, "widget": "money",
                          "compute": "amount + tax"}
            }
        }
    }))
}

fn created(input: Value) -> Value {
    rules_form().submit(&input, &ctx(), None).unwrap().data
}

#[test]
fn a_hidden_field_is_dropped_and_not_validated() {
    let cases = [
        json!({"amount": "100", "channel": "internal", "discount": "-5"}),
        json!({"amount": "100", "channel": "internal", "discount": "不是金额"}),
        json!({"amount": "100", "channel": "internal"}),
    ];
    for input in cases {
        let data = created(input.clone());
        assert_eq!(data.get("discount"), None, "{input}");
    }
}

#[test]
fn a_visible_field_is_validated_and_required() {
    let form = rules_form();
    let cases = [
        (
            json!({"amount": "100", "channel": "external"}),
            ("/discount", "required"),
        ),
        (
            json!({"amount": "100", "channel": "external", "discount": "-5"}),
            ("/discount", "minimum"),
        ),
        (
            json!({"amount": "100", "channel": "external", "discount": "x"}),
            ("/discount", "pattern"),
        ),
    ];
    for (input, (path, code)) in cases {
        let errors = form.submit(&input, &ctx(), None).unwrap_err();
        assert_eq!(codes(&errors), pairs(&[(path, code)]), "{input}");
    }
}

#[test]
fn required_when_applies_only_while_its_condition_holds() {
    let form = rules_form();
    let base = json!({"amount": "100", "channel": "external"});
    let with = |extra: Value| {
        let mut input = base.clone();
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        input
    };
    assert!(
        form.submit(&with(json!({"discount": "0"})), &ctx(), None)
            .is_ok()
    );
    let errors = form
        .submit(&with(json!({"discount": "10"})), &ctx(), None)
        .unwrap_err();
    assert_eq!(zh(&errors), pairs(&[("/reason", "请填写折扣原因")]));
    assert!(
        form.submit(
            &with(json!({"discount": "10", "reason": "老客户续约"})),
            &ctx(),
            None
        )
        .is_ok()
    );
}

#[test]
fn on_update_a_read_only_field_keeps_its_value_and_a_change_is_refused() {
    let form = rules_form();
    let previous = created(json!({"amount": "100", "locked": true, "code": "HT-1"}));
    assert_eq!(previous["code"], "HT-1");

    let errors = form
        .submit(&json!({"code": "HT-2"}), &ctx(), Some(&previous))
        .unwrap_err();
    assert_eq!(codes(&errors), pairs(&[("/code", "read_only")]));
    assert_eq!(zh(&errors), pairs(&[("/code", "合同编码不可修改")]));
    assert_eq!(
        errors[0].message.get("en"),
        "Contract code cannot be changed"
    );

    let same = form
        .submit(
            &json!({"code": "HT-1", "amount": "200"}),
            &ctx(),
            Some(&previous),
        )
        .unwrap();
    assert_eq!(same.data["code"], "HT-1");
    assert_eq!(same.data["amount"], "200.00");

    let cleared = form.submit(&json!({"code": null}), &ctx(), Some(&previous));
    assert!(cleared.is_err(), "clearing a read-only field is a change");
}

#[test]
fn read_only_is_decided_on_the_previous_record_so_unlocking_and_editing_at_once_is_refused() {
    let form = rules_form();
    let previous = created(json!({"amount": "100", "locked": true, "code": "HT-1"}));
    let errors = form
        .submit(
            &json!({"locked": false, "code": "HT-9"}),
            &ctx(),
            Some(&previous),
        )
        .unwrap_err();
    assert_eq!(codes(&errors), pairs(&[("/code", "read_only")]));
}

#[test]
fn read_only_rules_can_read_the_record_status() {
    let form = rules_form();
    let previous = created(json!({"amount": "100", "status_note": "待审"}));
    let approved = SubmitContext {
        record: RecordMeta {
            status: Some("approved".to_owned()),
            ..RecordMeta::default()
        },
        ..ctx()
    };
    let errors = form
        .submit(&json!({"status_note": "改了"}), &approved, Some(&previous))
        .unwrap_err();
    assert_eq!(codes(&errors), pairs(&[("/status_note", "read_only")]));
    assert!(
        form.submit(&json!({"status_note": "改了"}), &ctx(), Some(&previous))
            .is_ok()
    );
}

#[test]
fn defaults_fill_empty_fields_on_create() {
    let data = created(json!({"amount": "100"}));
    assert_eq!(data["apply_date"], "2026-11-22");
    assert_eq!(data["applicant"], "sales1");
    let data = created(json!({"amount": "100", "applicant": "sales2"}));
    assert_eq!(data["applicant"], "sales2");
}

#[test]
fn a_field_read_only_on_create_only_takes_its_default() {
    let form = rules_form();
    let errors = form
        .submit(
            &json!({"amount": "100", "apply_date": "2020-01-01"}),
            &ctx(),
            None,
        )
        .unwrap_err();
    assert_eq!(codes(&errors), pairs(&[("/apply_date", "read_only")]));
    let data = created(json!({"amount": "100", "apply_date": "2026-11-22"}));
    assert_eq!(data["apply_date"], "2026-11-22");
}

#[test]
fn defaults_do_not_apply_on_update() {
    let form = rules_form();
    let previous = json!({"amount": "100.00"});
    let record = form.submit(&json!({}), &ctx(), Some(&previous)).unwrap();
    assert_eq!(record.data.get("applicant"), None);
}

#[test]
fn computed_fields_are_always_recomputed_and_the_client_value_is_ignored() {
    let form = rules_form();
    let data = created(json!({"amount": "100000.30", "tax": "1.00", "total": "5"}));
    assert_eq!(data["tax"], "6000.02");
    assert_eq!(data["total"], "106000.32");

    let stale = json!({"amount": "100.00", "tax": "0.00", "total": "0.00"});
    let record = form
        .submit(&json!({"amount": "200"}), &ctx(), Some(&stale))
        .unwrap();
    assert_eq!(record.data["tax"], "12.00");
    assert_eq!(record.data["total"], "212.00");
}

#[test]
fn system_fields_in_the_input_are_refused() {
    let form = rules_form();
    for &key in SYSTEM_KEYS {
        let errors = form
            .submit(&json!({"amount": "1", key: "x"}), &ctx(), None)
            .unwrap_err();
        assert_eq!(
            codes(&errors),
            pairs(&[(&format!("/{key}"), "system_field")]),
            "{key}"
        );
    }
}

#[test]
fn unknown_fields_are_refused() {
    let form = rules_form();
    let errors = form
        .submit(&json!({"amount": "1", "colour": "red"}), &ctx(), None)
        .unwrap_err();
    assert_eq!(codes(&errors), pairs(&[("/colour", "unknown_field")]));
    assert_eq!(
        errors[0].message.get("zh-CN"),
        "表单中没有「colour」这一项，请刷新页面后重试"
    );
}

#[test]
fn an_update_keeps_fields_removed_from_the_form_when_they_are_unchanged() {
    let form = rules_form();
    let previous = json!({"amount": "100.00", "legacy_code": "OLD-1"});
    let cases = [
        (json!({"amount": "120"}), true),
        (json!({"amount": "120", "legacy_code": "OLD-1"}), true),
        (json!({"amount": "120", "legacy_code": "NEW"}), false),
    ];
    for (input, accepted) in cases {
        match form.submit(&input, &ctx(), Some(&previous)) {
            Ok(record) => {
                assert!(accepted, "{input}");
                assert_eq!(record.data["legacy_code"], "OLD-1");
                assert_eq!(record.data["amount"], "120.00");
            }
            Err(errors) => {
                assert!(!accepted, "{input}: {errors:?}");
                assert_eq!(codes(&errors), pairs(&[("/legacy_code", "unknown_field")]));
            }
        }
    }
}

#[test]
fn an_update_keeps_absent_fields_and_clears_fields_sent_empty() {
    let form = rules_form();
    let previous = created(json!({"amount": "100", "code": "HT-1"}));
    let kept = form
        .submit(&json!({"amount": "5"}), &ctx(), Some(&previous))
        .unwrap();
    assert_eq!(kept.data["code"], "HT-1");
    let cleared = form
        .submit(&json!({"code": ""}), &ctx(), Some(&previous))
        .unwrap();
    assert_eq!(cleared.data.get("code"), None);
}

#[test]
fn a_submission_that_is_not_an_object_is_refused_plainly() {
    let errors = rules_form()
        .submit(&json!([1, 2]), &ctx(), None)
        .unwrap_err();
    assert_eq!(codes(&errors), pairs(&[("", "type")]));
}

#[test]
fn sub_table_rows_get_errors_on_row_paths() {
    let form = common::project();
    let mut input = common::valid_project();
    input["milestones"] = json!([
        {"title": "需求确认", "due_date": "2026-12-15"},
        {"due_date": "2026-13-01"},
        {"title": "验收", "due_date": "明天", "colour": "red"}
    ]);
    let errors = form.submit(&input, &ctx(), None).unwrap_err();
    assert_eq!(
        codes(&errors),
        pairs(&[
            // Columns sort in schema key order; keys the row should not have come last.
            ("/milestones/1/due_date", "format"),
            ("/milestones/1/title", "required"),
            ("/milestones/2/due_date", "format"),
            ("/milestones/2/colour", "unknown_field"),
        ])
    );
    assert_eq!(errors[1].message.get("zh-CN"), "里程碑第 2 行：请填写标题");
    assert_eq!(
        errors[1].message.get("en"),
        "Milestones, row 2: Title is required"
    );
}

#[test]
fn sub_table_row_rules_see_the_row_and_the_record() {
    let form = compile(json!({
        "id": "trip",
        "name": {"zh-CN": "差旅"},
        "schema": {"type": "object", "properties": {
            "limit": {"type": "string"},
            "legs": {"type": "array", "items": {"type": "object", "properties": {
                "mode": {"type": "string", "enum": ["train", "flight"]},
                "seat": {"type": "string"},
                "cost": {"type": "string"},
                "note": {"type": "string"}
            }}}
        }},
        "ui": {"fields": {
            "limit": {"label": {"zh-CN": "限额"}, "widget": "money"},
            "legs": {"label": {"zh-CN": "行程", "en": "Legs"}, "widget": "subtable", "fields": {
                "mode": {"label": {"zh-CN": "方式"}},
                "seat": {"label": {"zh-CN": "座位"}, "visible_when": "mode == 'train'", "default": "'二等座'"},
                "cost": {"label": {"zh-CN": "费用"}, "widget": "money"},
                "note": {"label": {"zh-CN": "超标说明", "en": "Reason"},
                         "required_when": "cost is not none and cost > limit and row.mode == 'flight'"}
            }}
        }}
    }));
    let input = json!({"limit": "1000", "legs": [
        {"mode": "train", "cost": "553"},
        {"mode": "flight", "seat": "经济舱", "cost": "1500.5"},
        {"mode": "flight", "cost": "800"}
    ]});
    let errors = form.submit(&input, &ctx(), None).unwrap_err();
    assert_eq!(codes(&errors), pairs(&[("/legs/1/note", "required")]));
    assert_eq!(
        errors[0].message.get("zh-CN"),
        "行程第 2 行：请填写超标说明"
    );

    let mut input = input;
    input["legs"][1]["note"] = json!("临时改签");
    let record = form.submit(&input, &ctx(), None).unwrap();
    assert_eq!(
        record.data["legs"],
        json!([
            {"mode": "train", "seat": "二等座", "cost": "553.00"},
            {"mode": "flight", "cost": "1500.50", "note": "临时改签"},
            {"mode": "flight", "cost": "800.00"}
        ])
    );
}

#[test]
fn read_only_row_cells_keep_their_value_matched_by_row_position() {
    let form = compile(json!({
        "id": "po",
        "name": {"zh-CN": "采购"},
        "schema": {"type": "object", "properties": {
            "lines": {"type": "array", "items": {"type": "object", "properties": {
                "item": {"type": "string"},
                "confirmed": {"type": "boolean"},
                "price": {"type": "string"}
            }}}
        }},
        "ui": {"fields": {"lines": {"label": {"zh-CN": "明细"}, "widget": "subtable", "fields": {
            "item": {"label": {"zh-CN": "品名"}},
            "confirmed": {"label": {"zh-CN": "已确认"}},
            "price": {"label": {"zh-CN": "价格", "en": "Price"}, "widget": "money", "readonly_when": "confirmed"}
        }}}}
    }));
    let previous = json!({"lines": [{"item": "a", "confirmed": true, "price": "1.00"}]});
    let errors = form
        .submit(
            &json!({"lines": [{"item": "a", "confirmed": true, "price": "2"}]}),
            &ctx(),
            Some(&previous),
        )
        .unwrap_err();
    assert_eq!(codes(&errors), pairs(&[("/lines/0/price", "read_only")]));
    assert_eq!(errors[0].message.get("zh-CN"), "明细第 1 行：价格不可修改");

    let record = form
        .submit(
            &json!({"lines": [{"item": "a2", "confirmed": true},
                              {"item": "b", "confirmed": true, "price": "3"}]}),
            &ctx(),
            Some(&previous),
        )
        .unwrap();
    assert_eq!(
        record.data["lines"],
        json!([
            {"item": "a2", "confirmed": true, "price": "1.00"},
            {"item": "b", "confirmed": true, "price": "3.00"}
        ])
    );
}
