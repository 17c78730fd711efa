//! A form on a page: what to draw for each field, what a person typed, the JSON the runtime
//! expects, and which field each error belongs to.
//!
//! The fields come from [`CompiledForm::field_rules_for_client`], the same description the
//! browser script reads, so the page and the script never disagree about labels, options or
//! rules. Values travel in three shapes:
//! - **raw**: what the inputs hold, as strings (lists for multi-value fields, row objects for
//!   sub-tables, file references for attachments); re-rendered as typed after an error;
//! - **input**: the JSON the runtime validates (numbers for number kinds, money as a string,
//!   booleans, arrays, sub-table rows without fully empty rows);
//! - **stored**: record data, turned back into raw values for the edit page.

use std::collections::{BTreeMap, HashMap};

use formwork_forms::{CompiledForm, DisplayField};
use formwork_model::Problem;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::format;
use crate::i18n::Lang;

/// The form as the browser description has it.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct FormDesc {
    #[serde(default)]
    pub fields: Vec<FieldDesc>,
}

impl FormDesc {
    /// Whether a field or a sub-table column is of this kind.
    pub fn has_kind(&self, kind: &str) -> bool {
        self.fields
            .iter()
            .chain(self.fields.iter().flat_map(|f| f.columns.iter()))
            .any(|f| f.kind == kind)
    }
}

/// One field (or sub-table column) of the description.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct FieldDesc {
    pub key: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub help: Option<String>,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub server_set: bool,
    #[serde(default)]
    pub rules: Map<String, Value>,
    #[serde(default)]
    pub options: Vec<OptionDesc>,
    #[serde(default)]
    pub limits: Map<String, Value>,
    #[serde(default)]
    pub columns: Vec<FieldDesc>,
    /// Holds a list of values (multi-select, several users or departments).
    #[serde(skip)]
    pub multiple: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct OptionDesc {
    pub value: Value,
    #[serde(default)]
    pub label: String,
}

impl FormDesc {
    /// The description of `form` in `lang`, and the same as JSON for the browser script.
    pub fn of(form: &CompiledForm, lang: Lang) -> (FormDesc, Value) {
        let json = form.field_rules_for_client(lang.tag());
        let mut desc: FormDesc = serde_json::from_value(json.clone()).unwrap_or_else(|e| {
            tracing::error!(form = form.key(), error = %e, "unreadable client description");
            FormDesc::default()
        });
        for field in &mut desc.fields {
            let compiled = form.field(&field.key);
            field.multiple = compiled.is_some_and(|f| f.kind.is_multiple());
            for column in &mut field.columns {
                column.multiple = compiled
                    .and_then(|f| f.column(&column.key))
                    .is_some_and(|c| c.kind.is_multiple());
            }
            // A package cannot order sub-table columns (their schema is an object), so the
            // page puts required columns first: the title of a milestone before its dates.
            field.columns.sort_by_key(|c| !c.required);
        }
        (desc, json)
    }

    /// [`FormDesc::of`] cut down to the fields in `keep` (those the caller may read, or write
    /// on a form they fill in): the others are not on the page at all.
    pub fn of_fields(
        form: &CompiledForm,
        lang: Lang,
        keep: &std::collections::BTreeSet<String>,
    ) -> (FormDesc, Value) {
        let (mut desc, mut json) = FormDesc::of(form, lang);
        desc.fields.retain(|f| keep.contains(&f.key));
        if let Some(Value::Array(fields)) = json.get_mut("fields") {
            fields.retain(|f| {
                f.get("key")
                    .and_then(Value::as_str)
                    .is_some_and(|k| keep.contains(k))
            });
        }
        (desc, json)
    }

    pub fn field(&self, key: &str) -> Option<&FieldDesc> {
        self.fields.iter().find(|f| f.key == key)
    }
}

impl FieldDesc {
    fn option_label(&self, value: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|o| option_text(&o.value) == value)
            .map(|o| o.label.as_str())
    }
}

fn option_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

// ---- raw values ---------------------------------------------------------------------------

/// What the inputs of a form hold, by field key.
pub(crate) type Raw = Map<String, Value>;

fn text(v: Option<&Value>) -> &str {
    v.and_then(Value::as_str).unwrap_or_default()
}

fn blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.iter().all(blank),
        Value::Object(cells) => cells.values().all(blank),
        _ => false,
    }
}

mod errors;
mod values;
mod view;

pub(crate) use errors::*;
pub(crate) use values::*;
pub(crate) use view::*;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn desc() -> FormDesc {
        let field = |key: &str, kind: &str| FieldDesc {
            key: key.into(),
            label: key.into(),
            kind: kind.into(),
            ..FieldDesc::default()
        };
        let mut table = field("milestones", "sub_table");
        table.columns = vec![field("title", "text"), field("due_date", "date")];
        FormDesc {
            fields: vec![
                field("name", "text"),
                field("amount", "money"),
                field("count", "integer"),
                field("urgent", "checkbox"),
                field("tags", "multi_select"),
                field("at", "datetime"),
                table,
                field("attachments", "attachments"),
            ],
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn submitted_strings_become_the_json_the_runtime_expects() {
        let d = desc();
        let files = [(
            "attachments".to_owned(),
            vec![json!({"id": "f1", "name": "a.pdf"})],
        )]
        .into_iter()
        .collect();
        let raw = raw_from_pairs(
            &d,
            &pairs(&[
                ("name", " 园区 "),
                ("amount", "¥120,000.5"),
                ("count", "12"),
                ("urgent", "false"),
                ("urgent", "true"),
                ("tags", "a"),
                ("tags", "b"),
                ("at", "2026-01-31T10:00"),
                ("milestones[0][title]", "需求"),
                ("milestones[0][due_date]", "2026-02-01"),
                ("milestones[1][title]", ""),
                ("milestones[1][due_date]", ""),
                ("milestones[7][title]", "验收"),
            ]),
            &files,
        );
        let input = to_input(&d, &raw, &Mode::Create);
        assert_eq!(
            input,
            json!({
                "name": " 园区 ",
                "amount": "120000.5",
                "count": 12,
                "urgent": true,
                "tags": ["a", "b"],
                "at": "2026-01-31T10:00:00+08:00",
                "milestones": [
                    {"title": "需求", "due_date": "2026-02-01"},
                    {"title": "验收"},
                ],
                "attachments": ["f1"],
            })
        );
    }

    #[test]
    fn an_edit_clears_emptied_fields_and_leaves_read_only_ones_alone() {
        let d = desc();
        let raw = raw_from_pairs(
            &d,
            &pairs(&[("name", ""), ("amount", "5")]),
            &HashMap::new(),
        );
        let skip = vec!["count".to_owned()];
        let input = to_input(&d, &raw, &Mode::Edit { skip: &skip });
        assert_eq!(input["name"], Value::Null);
        assert_eq!(input["amount"], "5");
        assert!(input.get("count").is_none());
        assert_eq!(input["milestones"], Value::Null, "no rows clears the table");
    }

    #[test]
    fn errors_land_beside_their_field_or_cell() {
        let d = desc();
        let problem = |pointer: &str, zh: &str| Problem {
            pointer: pointer.into(),
            code: "x".into(),
            message: formwork_model::Text(
                [("zh-CN".to_owned(), zh.to_owned())].into_iter().collect(),
            ),
        };
        let errors = Errors::place(
            &d,
            &[
                problem("/amount", "预计金额不能为负数"),
                problem("/milestones/1/title", "里程碑第 2 行：请填写标题"),
                problem("/milestones/3", "行有误"),
                problem("/shoe_size", "没有这一项"),
            ],
            Lang::ZhCn,
        );
        assert_eq!(errors.inline["f-amount"], "预计金额不能为负数");
        assert_eq!(
            errors.inline["f-milestones-1-title"],
            "里程碑第 2 行：请填写标题"
        );
        assert_eq!(errors.inline["f-milestones"], "行有误");
        assert_eq!(errors.summary.len(), 4);
        assert_eq!(errors.summary[3].href, None);
    }

    #[test]
    fn stored_data_comes_back_as_the_inputs_held_it() {
        let d = desc();
        let raw = raw_from_stored(
            &d,
            &json!({"count": 3, "urgent": true, "tags": ["a"], "at": "2026-01-31T02:00:00Z",
                    "milestones": [{"title": "x"}]}),
        );
        assert_eq!(raw["count"], "3");
        assert_eq!(raw["urgent"], "true");
        assert_eq!(raw["tags"], json!(["a"]));
        assert_eq!(raw["at"], "2026-01-31T10:00");
        assert_eq!(raw["milestones"], json!([{"title": "x"}]));
    }
}
