//! Messages people understand: labels in their language, no JSON Schema jargon, analysts'
//! overrides.

use crate::common::{
    codes, compile, ctx, en, file, pairs, project, project_def, valid_project, zh,
};
use formwork_forms::{CODES, FieldError};
use serde_json::{Value, json};

fn refused(change: Value) -> Vec<FieldError> {
    let mut input = valid_project();
    for (key, value) in change.as_object().unwrap() {
        input[key] = value.clone();
    }
    project().submit(&input, &ctx(), None).unwrap_err()
}

#[test]
fn the_three_sample_app_errors_read_as_chinese_sentences_on_their_fields() {
    let errors = refused(json!({
        "contact_phone": "1380013800",
        "amount": "-1",
        "start_date": "2026-12-01",
        "end_date": "2026-11-30"
    }));
    assert_eq!(
        zh(&errors),
        pairs(&[
            ("/contact_phone", "联系电话格式不正确，请输入 11 位手机号"),
            ("/amount", "预计金额不能小于 0"),
            ("/end_date", "结束日期不能早于开始日期"),
        ])
    );
    assert_eq!(
        en(&errors),
        pairs(&[
            (
                "/contact_phone",
                "Contact phone must be an 11-digit mobile number"
            ),
            ("/amount", "Estimated amount must be at least 0"),
            ("/end_date", "The end date cannot be before the start date"),
        ])
    );
    assert_eq!(
        codes(&errors),
        pairs(&[
            ("/contact_phone", "pattern"),
            ("/amount", "minimum"),
            ("/end_date", "check"),
        ])
    );
}

#[test]
fn each_kind_of_mistake_has_a_plain_sentence_in_both_languages() {
    let big = file("方案.pdf", 20 * 1024 * 1024, "application/pdf");
    let cases: Vec<(Value, &str, &str, &str)> = vec![
        (
            json!({"name": ""}),
            "/name",
            "请填写项目名称",
            "Project name is required",
        ),
        (
            json!({"name": "A"}),
            "/name",
            "项目名称至少需要 2 个字",
            "Project name must be at least 2 characters long",
        ),
        (
            json!({"name": "长".repeat(101)}),
            "/name",
            "项目名称不能超过 100 个字",
            "Project name must be at most 100 characters long",
        ),
        (
            json!({"contact_phone": null}),
            "/contact_email",
            "请填写联系邮箱",
            "Contact email is required",
        ),
        (
            json!({"contact_email": "li@"}),
            "/contact_email",
            "联系邮箱格式不正确，请输入邮箱地址，如 name@example.com",
            "Contact email must be an e-mail address such as name@example.com",
        ),
        (
            json!({"amount": "1e20"}),
            "/amount",
            "预计金额格式不正确，请输入金额，最多两位小数，如 100000.30",
            "Estimated amount must be an amount with at most two decimals, such as 100000.30",
        ),
        (
            json!({"amount": true}),
            "/amount",
            "预计金额必须是金额，如 100000.30",
            "Estimated amount must be an amount such as 100000.30",
        ),
        (
            json!({"region": "火星"}),
            "/region",
            "请从列表中选择区域",
            "Choose Region from the list",
        ),
        (json!({"business_line": ""}), "", "", ""),
        (
            json!({"start_date": "12/01/2026"}),
            "/start_date",
            "开始日期格式不正确，请输入日期，如 2026-01-31",
            "Start date must be a date such as 2026-01-31",
        ),
        (
            json!({"attachments": [big]}),
            "/attachments/0",
            "文件「方案.pdf」太大，附件的每个文件不能超过 10 MB",
            "The file \"方案.pdf\" is too large: each file in Attachments must be at most 10 MB",
        ),
        (
            json!({"attachments": [file("a.exe", 1, "application/octet-stream")]}),
            "/attachments/0",
            "文件「a.exe」的类型不允许，附件只接受 application/pdf、image/*、.docx",
            "The file \"a.exe\" is not allowed: Attachments accepts only application/pdf, image/*, .docx",
        ),
        (
            json!({"milestones": "x"}),
            "/milestones",
            "里程碑的内容格式不正确",
            "Milestones is not filled in correctly",
        ),
        (
            json!({"milestones": [{"title": 1}]}),
            "/milestones/0/title",
            "里程碑第 1 行：标题的格式不正确",
            "Milestones, row 1: Title has the wrong kind of value",
        ),
    ];
    for (change, path, zh_text, en_text) in cases {
        let mut input = valid_project();
        for (key, value) in change.as_object().unwrap() {
            input[key] = value.clone();
        }
        let result = project().submit(&input, &ctx(), None);
        if path.is_empty() {
            assert!(result.is_ok(), "{change}: {result:?}");
            continue;
        }
        let errors = result.unwrap_err();
        assert_eq!(zh(&errors), pairs(&[(path, zh_text)]), "{change}");
        assert_eq!(en(&errors), pairs(&[(path, en_text)]), "{change}");
    }
}

#[test]
fn no_json_schema_jargon_reaches_people() {
    let jargon = [
        "schema",
        "JSON",
        "minLength",
        "maxLength",
        "minItems",
        "enum",
        "instance",
        "regex",
        "^",
        "\\d",
        "undefined",
        "null",
        "additionalProperties",
        "minimum",
        "pattern",
    ];
    let bad = json!({
        "name": "A", "customer": 5, "contact_phone": "abc", "contact_email": "@",
        "amount": "0.001", "business_line": "farming", "region": ["华东"],
        "start_date": "tomorrow", "end_date": 20261231, "description": {"html": true},
        "attachments": [{"id": 1}], "milestones": [{"title": ""}, {"due_date": "x"}, 7],
        "id": "x", "shoe_size": 42
    });
    let errors = project().submit(&bad, &ctx(), None).unwrap_err();
    assert!(errors.len() >= 12, "{errors:#?}");
    for error in &errors {
        assert!(CODES.contains(&error.code.as_str()), "{error:?}");
        for lang in ["zh-CN", "en"] {
            let text = error.message.get(lang);
            assert!(!text.is_empty(), "{error:?}");
            for word in jargon {
                assert!(!text.contains(word), "{word} in {text}");
            }
        }
    }
    insta::assert_json_snapshot!("errors_of_a_badly_filled_project", errors);
}

#[test]
fn analysts_override_messages_per_field_and_code() {
    let mut def = project_def();
    def["ui"]["fields"]["amount"]["messages"] = json!({
        "minimum": {"zh-CN": "{label}必须是正数（下限 {limit}）", "en": "{label} must be positive"}
    });
    def["ui"]["fields"]["name"]["messages"] = json!({
        "minLength": {"zh-CN": "名称太短了"},
        "required": {"zh-CN": "项目总得有个名字吧", "en": "Every project needs a name"}
    });
    let form = compile(def);
    let cases = [
        (
            json!({"amount": "-1"}),
            "/amount",
            "预计金额必须是正数（下限 0）",
            "Estimated amount must be positive",
        ),
        (json!({"name": "A"}), "/name", "名称太短了", "名称太短了"),
        (
            json!({"name": ""}),
            "/name",
            "项目总得有个名字吧",
            "Every project needs a name",
        ),
    ];
    for (change, path, zh_text, en_text) in cases {
        let mut input = valid_project();
        for (key, value) in change.as_object().unwrap() {
            input[key] = value.clone();
        }
        let errors = form.submit(&input, &ctx(), None).unwrap_err();
        assert_eq!(zh(&errors), pairs(&[(path, zh_text)]), "{change}");
        assert_eq!(en(&errors), pairs(&[(path, en_text)]), "{change}");
    }
}

#[test]
fn a_label_without_english_falls_back_to_chinese() {
    let mut def = project_def();
    def["ui"]["fields"]["name"]["label"] = json!({"zh-CN": "项目名称"});
    let form = compile(def);
    let mut input = valid_project();
    input["name"] = json!("");
    let errors = form.submit(&input, &ctx(), None).unwrap_err();
    assert_eq!(en(&errors), pairs(&[("/name", "项目名称 is required")]));
}
