//! The shipped sample package `apps/project-registration.json` compiles, and its three
//! classic mistakes come back as Chinese sentences on the right fields.

use crate::common::{codes, ctx, pairs};
use formwork_forms::CompiledForm;
use formwork_model::AppDef;
use serde_json::json;

const PACKAGE: &str = include_str!("../../../../apps/project-registration.json");

fn sample() -> (AppDef, CompiledForm) {
    let app: AppDef = serde_json::from_str(PACKAGE).unwrap();
    let form =
        CompiledForm::compile(format!("{}@1", app.id), app.form("project").unwrap()).unwrap();
    (app, form)
}

fn valid() -> serde_json::Value {
    json!({
        "name": "智慧园区一期",
        "customer": "华东电力",
        "contact_phone": "13800138000",
        "amount": "100000.30",
        "business_line": "software",
        "region": "华东",
        "start_date": "2026-12-01",
        "end_date": "2027-03-31",
        "milestones": [{"title": "需求确认", "due_date": "2026-12-15", "owner": "sales1"}]
    })
}

#[test]
fn every_form_of_the_sample_package_compiles() {
    let app: AppDef = serde_json::from_str(PACKAGE).unwrap();
    for form in &app.forms {
        CompiledForm::compile("sample@1", form).unwrap();
    }
}

#[test]
fn a_valid_sample_project_is_accepted_with_its_amount_kept_exactly() {
    let (_, form) = sample();
    let record = form.submit(&valid(), &ctx(), None).unwrap();
    assert_eq!(record.data["amount"], "100000.30");
}

#[test]
fn the_sample_app_errors_land_on_contact_phone_amount_and_end_date() {
    let (app, form) = sample();
    let mut input = valid();
    input["contact_phone"] = json!("12345");
    input["amount"] = json!("-1");
    input["end_date"] = json!("2026-11-01");
    let errors = form.submit(&input, &ctx(), None).unwrap_err();
    assert_eq!(
        codes(&errors),
        pairs(&[
            ("/contact_phone", "pattern"),
            ("/amount", "check"),
            ("/end_date", "check"),
        ])
    );
    let def = app.form("project").unwrap();
    let phone_override = &def.ui.fields["contact_phone"].messages["pattern"];
    let check = |id: &str| {
        def.checks
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.message.get("zh-CN").to_owned())
            .unwrap()
    };
    let expected = [
        phone_override.get("zh-CN").to_owned(),
        check("amount_not_negative"),
        check("end_after_start"),
    ];
    for (error, text) in errors.iter().zip(expected) {
        assert_eq!(error.message.get("zh-CN"), text);
        assert!(
            text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{text}"
        );
    }
}

#[test]
fn milestone_columns_come_in_the_order_the_designer_set() {
    let (_, form) = sample();
    let milestones = form.field("milestones").unwrap();
    let keys: Vec<&str> = milestones.columns.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        keys,
        ["title", "start_date", "due_date", "owner", "depends_on"]
    );
}

#[test]
fn a_draft_keeps_what_is_half_done_and_refuses_only_values_of_the_wrong_type() {
    let (_, form) = sample();
    // Required fields missing, a phone half typed, dates the wrong way round: all kept.
    let half = json!({"name": "智", "contact_phone": "138", "start_date": "2026-12-01", "end_date": "2026-11-01"});
    let draft = form.draft(&half, &ctx(), None).unwrap();
    assert_eq!(draft.data["contact_phone"], "138");
    assert!(
        form.submit(&half, &ctx(), None).is_err(),
        "a submission checks it all"
    );
    // A value that cannot be of its field's type, or a key the form lacks, is refused.
    let errors = form
        .draft(&json!({"amount": "一百", "nope": 1}), &ctx(), None)
        .unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["/amount", "/nope"]);
}
