//! Every field kind the designer's palette writes (`tests/fixtures/designer-field-kinds.json`,
//! generated and kept current by `designer-ui/src/model/kinds-fixture.test.ts`) is read back by
//! the runtime as that same kind, and the package validates clean.

use formwork_forms::CompiledForm;
use formwork_model::{AppDef, validate_package};

const FIXTURE: &str = include_str!("../../../../tests/fixtures/designer-field-kinds.json");

#[test]
fn every_palette_kind_is_read_back_as_itself() {
    let package: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
    validate_package(&package).unwrap_or_else(|p| panic!("{p:#?}"));
    let app: AppDef = serde_json::from_value(package).unwrap();
    let form = CompiledForm::compile("kinds@1", app.form("kinds").unwrap()).unwrap();
    let mut seen = 0;
    for field in form.fields() {
        let expected = field.key.strip_prefix("k_").unwrap();
        assert_eq!(field.kind.name(), expected, "field {}", field.key);
        seen += 1;
    }
    assert_eq!(seen, 23, "one field per palette kind");
    let table = form.field("k_sub_table").unwrap();
    assert_eq!(table.columns.len(), 1);
}
