//! Compiling a form once: what is refused before any submission, and what can be shared.

use crate::common::project_def;
use formwork_forms::{CompileError, CompiledForm};
use formwork_model::FormDef;
use serde_json::{Value, json};

fn compile(def: Value) -> Result<CompiledForm, CompileError> {
    let def: FormDef = serde_json::from_value(def).unwrap();
    CompiledForm::compile("test@1", &def)
}

#[test]
fn a_compiled_form_can_be_shared_between_threads() {
    fn shared<T: Send + Sync + 'static>() {}
    shared::<CompiledForm>();
}

#[test]
fn broken_forms_are_refused_when_compiled() {
    let with = |path: &[&str], value: Value| {
        let mut def = project_def();
        let mut at = &mut def;
        for key in &path[..path.len() - 1] {
            at = &mut at[*key];
        }
        at[path[path.len() - 1]] = value;
        def
    };
    let cases: Vec<(Value, &str)> = vec![
        (with(&["schema", "type"], json!("array")), "NotAnObject"),
        (
            with(
                &["ui", "fields", "name", "visible_when"],
                json!("colour == 'red'"),
            ),
            "InvalidExpression",
        ),
        (
            with(
                &["ui", "fields", "name", "required_when"],
                json!("amount >"),
            ),
            "InvalidExpression",
        ),
        (
            with(
                &["ui", "fields", "milestones", "fields", "title", "default"],
                json!("nonsense"),
            ),
            "InvalidExpression",
        ),
        (
            with(
                &["checks"],
                json!([{"id": "c", "check": "budget > 0", "path": "/amount",
                                       "message": {"zh-CN": "x"}}]),
            ),
            "InvalidExpression",
        ),
        (
            with(
                &["schema", "properties", "name", "x-formwork-kind"],
                json!("hologram"),
            ),
            "InvalidField",
        ),
        (
            with(
                &["schema", "properties", "amount", "x-formwork-minimum"],
                json!("zero"),
            ),
            "InvalidField",
        ),
        (
            with(
                &["schema", "properties", "customer"],
                json!({"type": "string", "x-formwork-kind": "relation"}),
            ),
            "InvalidField",
        ),
        (
            with(
                &["schema", "properties", "customer"],
                json!({"type": "string", "x-formwork-kind": "relation", "x-formwork-form": "c",
                        "x-formwork-fills": {"nowhere": "name"}}),
            ),
            "InvalidField",
        ),
        (
            with(&["schema", "properties", "name", "pattern"], json!("(")),
            "InvalidSchema",
        ),
    ];
    for (def, expected) in cases {
        let error = compile(def).unwrap_err();
        assert!(
            format!("{error:?}").starts_with(expected),
            "{expected}: {error}"
        );
    }
}

#[test]
fn computed_fields_that_depend_on_each_other_in_a_loop_are_refused() {
    let mut def = project_def();
    def["ui"]["fields"]["name"]["compute"] = json!("customer ~ '项目'");
    def["ui"]["fields"]["customer"]["compute"] = json!("name ~ '客户'");
    let error = compile(def).unwrap_err();
    assert!(
        matches!(error, CompileError::ComputeCycle { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("name, customer"), "{error}");
}

#[test]
fn the_form_keeps_its_key_and_field_order() {
    let form = compile(project_def()).unwrap();
    assert_eq!(form.key(), "test@1");
    assert_eq!(form.def().id, "project");
    let keys: Vec<&str> = form.fields().iter().map(|f| f.key.as_str()).collect();
    assert_eq!(keys[..3], ["name", "customer", "contact_phone"]);
}
