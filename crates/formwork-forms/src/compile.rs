//! Compiling a [`FormDef`] once per (app, version, form): fields and kinds, rule expressions
//! checked against the names they may read, the order of computed fields, and the JSON Schema
//! validator used for every submission.
//!
//! The validator is built from a copy of the form's schema adjusted for how submissions are
//! checked: `required` lists are removed (required-ness depends on visibility, so it is
//! checked in Rust), top-level and row `additionalProperties` are removed (unknown keys are
//! refused, or tolerated for old records, in Rust), money loses its numeric keywords (its
//! bounds are checked exactly in Rust; `pattern` still applies to the normalised string),
//! auto-number properties accept anything, and kinds get the format or pattern they imply
//! (`date`, `date-time`, `email`, the mobile and landline patterns, `enum` from UI options).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use formwork_model::expr::{self, ROW, SYSTEM_FIELDS};
use formwork_model::schema;
use formwork_model::{CheckDef, FormDef};
use jsonschema::Validator;
use serde_json::{Map, Value};

use crate::field::{Field, RuleVars};
use crate::kind::{FieldKind, LANDLINE_PATTERN, MOBILE_PATTERN};

/// Why a form could not be compiled: the package is wrong and must be fixed before publish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// The schema is not `type: object` with `properties`.
    #[error("form `{form}`: the schema must be an object with properties")]
    NotAnObject { form: String },
    /// A field's schema or UI def cannot be understood.
    #[error("form `{form}`, field `{field}`: {detail}")]
    InvalidField {
        form: String,
        field: String,
        detail: String,
    },
    /// The (adjusted) JSON Schema does not compile.
    #[error("form `{form}`: the JSON Schema is invalid: {detail}")]
    InvalidSchema { form: String, detail: String },
    /// A rule expression does not compile or reads a name it cannot see.
    #[error("form `{form}`, {at}: {detail}")]
    InvalidExpression {
        form: String,
        at: String,
        detail: String,
    },
    /// Computed fields depend on each other in a loop.
    #[error("form `{form}`: computed fields depend on each other in a loop: {fields}")]
    ComputeCycle { form: String, fields: String },
}

/// A form version compiled once and shared by every submission to it.
#[derive(Debug)]
pub struct CompiledForm {
    pub(crate) key: String,
    pub(crate) def: FormDef,
    pub(crate) fields: Vec<Field>,
    pub(crate) validator: Validator,
    /// Indexes into `fields` of computed fields, dependencies first.
    pub(crate) compute_order: Vec<usize>,
    /// Per sub-table field index: indexes into its columns of computed columns, in order.
    pub(crate) row_compute_order: BTreeMap<usize, Vec<usize>>,
    pub(crate) checks: Vec<(CheckDef, BTreeSet<String>)>,
}

/// The form's fields in the UI's order (fields the order leaves out follow it).
fn build_fields(
    form: &FormDef,
    props: &serde_json::Map<String, Value>,
) -> Result<Vec<Field>, CompileError> {
    let required: BTreeSet<&str> = form
        .schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut order: Vec<&str> = form
        .ui
        .order
        .iter()
        .map(String::as_str)
        .filter(|k| props.contains_key(*k))
        .collect();
    for key in props.keys() {
        if !order.contains(&key.as_str()) {
            order.push(key);
        }
    }
    let mut fields = Vec::with_capacity(order.len());
    for key in &order {
        let field = Field::build(
            key,
            &props[*key],
            required.contains(key),
            form.ui.fields.get(*key),
            &form.schema,
        )
        .map_err(|detail| CompileError::InvalidField {
            form: form.id.clone(),
            field: (*key).to_owned(),
            detail,
        })?;
        fields.push(field);
    }
    Ok(fields)
}

/// The variables `field`'s rules read (for a sub-table, also its columns' rules, which see the
/// row's columns and `row` besides the record's fields), checked against what they may read.
fn collect_rule_vars(
    form_id: &str,
    field: &mut Field,
    record_names: &BTreeSet<String>,
) -> Result<(), CompileError> {
    field.vars = rule_vars(form_id, &format!("/{}", field.key), &field.ui, record_names)?;
    if field.kind == FieldKind::SubTable {
        let mut row_names = record_names.clone();
        row_names.extend(field.columns.iter().map(|c| c.key.clone()));
        row_names.insert(ROW.to_owned());
        let table = field.key.clone();
        for column in &mut field.columns {
            column.vars = rule_vars(
                form_id,
                &format!("/{table}/{}", column.key),
                &column.ui,
                &row_names,
            )?;
        }
    }
    Ok(())
}

impl CompiledForm {
    /// Compiles `form`; `app_version_key` names the immutable (app, version) it belongs to,
    /// e.g. `project-registration@3`, and is kept for caches and logs.
    pub fn compile(
        app_version_key: impl Into<String>,
        form: &FormDef,
    ) -> Result<CompiledForm, CompileError> {
        let form_id = form.id.clone();
        let props = form
            .schema
            .get("properties")
            .and_then(Value::as_object)
            .filter(|_| form.schema.get("type").and_then(Value::as_str) == Some("object"))
            .ok_or_else(|| CompileError::NotAnObject {
                form: form_id.clone(),
            })?;
        let mut fields = build_fields(form, props)?;
        mark_relation_fills(&form_id, &mut fields)?;
        let record_names: BTreeSet<String> = fields
            .iter()
            .map(|f| f.key.clone())
            .chain(SYSTEM_FIELDS.iter().map(|s| (*s).to_owned()))
            .collect();
        for field in &mut fields {
            collect_rule_vars(&form_id, field, &record_names)?;
        }

        let top_order = compute_order(&form_id, &fields)?;
        let mut row_compute_order = BTreeMap::new();
        for (i, field) in fields.iter().enumerate() {
            if field.kind == FieldKind::SubTable {
                row_compute_order.insert(i, compute_order(&form_id, &field.columns)?);
            }
        }

        let mut checks = Vec::with_capacity(form.checks.len());
        for check in &form.checks {
            let at = format!("check `{}`", check.id);
            let vars = variables(&form_id, &at, &check.check, &record_names)?;
            checks.push((check.clone(), vars));
        }

        let validator =
            schema::compile(&validation_schema(&form.schema, &fields)).map_err(|e| {
                CompileError::InvalidSchema {
                    form: form_id.clone(),
                    detail: e.to_string(),
                }
            })?;

        Ok(CompiledForm {
            key: app_version_key.into(),
            def: form.clone(),
            fields,
            validator,
            compute_order: top_order,
            row_compute_order,
            checks,
        })
    }

    /// The (app, version) key this form was compiled for.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The form definition it was compiled from.
    pub fn def(&self) -> &FormDef {
        &self.def
    }

    /// The fields, in display order (`ui.order` first, then the remaining schema keys).
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The field `key`, if the form has it.
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    pub(crate) fn field_index(&self, key: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.key == key)
    }
}

fn mark_relation_fills(form: &str, fields: &mut [Field]) -> Result<(), CompileError> {
    let targets: Vec<(String, String)> = fields
        .iter()
        .filter_map(|f| match &f.kind {
            FieldKind::Relation(rel) => Some(rel.fills.keys().map(|k| (f.key.clone(), k.clone()))),
            _ => None,
        })
        .flatten()
        .collect();
    for (relation, target) in targets {
        let field = fields.iter_mut().find(|f| f.key == target).ok_or_else(|| {
            CompileError::InvalidField {
                form: form.to_owned(),
                field: relation.clone(),
                detail: format!("it fills `{target}`, which is not a field of this form"),
            }
        })?;
        field.filled_by_relation = true;
    }
    Ok(())
}

fn variables(
    form: &str,
    at: &str,
    src: &str,
    allowed: &BTreeSet<String>,
) -> Result<BTreeSet<String>, CompileError> {
    let invalid = |detail: String| CompileError::InvalidExpression {
        form: form.to_owned(),
        at: at.to_owned(),
        detail,
    };
    let vars = expr::variables(src).map_err(|e| invalid(e.to_string()))?;
    if let Some(unknown) = vars.iter().find(|v| !allowed.contains(*v)) {
        return Err(invalid(format!(
            "`{src}` reads `{unknown}`, which is not a field"
        )));
    }
    Ok(vars)
}

fn rule_vars(
    form: &str,
    at: &str,
    ui: &formwork_model::FieldUiDef,
    allowed: &BTreeSet<String>,
) -> Result<RuleVars, CompileError> {
    let read = |name: &str, src: &Option<String>| -> Result<BTreeSet<String>, CompileError> {
        match src {
            Some(src) => variables(form, &format!("{at} {name}"), src, allowed),
            None => Ok(BTreeSet::new()),
        }
    };
    Ok(RuleVars {
        visible_when: read("visible_when", &ui.visible_when)?,
        required_when: read("required_when", &ui.required_when)?,
        readonly_when: read("readonly_when", &ui.readonly_when)?,
        default: read("default", &ui.default)?,
        compute: read("compute", &ui.compute)?,
    })
}

/// Indexes of computed fields so that each comes after the computed fields it reads.
fn compute_order(form: &str, fields: &[Field]) -> Result<Vec<usize>, CompileError> {
    let computed: Vec<usize> = (0..fields.len())
        .filter(|&i| fields[i].ui.compute.is_some())
        .collect();
    let mut done: Vec<usize> = Vec::with_capacity(computed.len());
    let mut placed: HashSet<&str> = HashSet::new();
    while done.len() < computed.len() {
        let before = done.len();
        for &i in &computed {
            let field = &fields[i];
            if placed.contains(field.key.as_str()) {
                continue;
            }
            let ready = field.vars.compute.iter().all(|v| {
                placed.contains(v.as_str())
                    || !computed.iter().any(|&j| fields[j].key == *v)
                    || *v == field.key
            });
            if ready {
                placed.insert(&field.key);
                done.push(i);
            }
        }
        if done.len() == before {
            let stuck: Vec<&str> = computed
                .iter()
                .map(|&i| fields[i].key.as_str())
                .filter(|k| !placed.contains(k))
                .collect();
            return Err(CompileError::ComputeCycle {
                form: form.to_owned(),
                fields: stuck.join(", "),
            });
        }
    }
    Ok(done)
}

/// The schema submissions are validated against; see the module docs.
fn validation_schema(schema: &Value, fields: &[Field]) -> Value {
    let mut root = schema.as_object().cloned().unwrap_or_default();
    for keyword in ["required", "additionalProperties", "unevaluatedProperties"] {
        root.remove(keyword);
    }
    let props: Map<String, Value> = fields
        .iter()
        .map(|f| (f.key.clone(), field_schema(f)))
        .collect();
    root.insert("properties".to_owned(), Value::Object(props));
    Value::Object(root)
}

fn field_schema(field: &Field) -> Value {
    let mut schema = match &field.schema {
        Value::Object(map) => map.clone(),
        other => return other.clone(),
    };
    let set_default = |schema: &mut Map<String, Value>, key: &str, value: &str| {
        schema
            .entry(key.to_owned())
            .or_insert_with(|| Value::String(value.to_owned()));
    };
    match &field.kind {
        FieldKind::AutoNumber => return Value::Bool(true),
        FieldKind::Money => {
            // Bounds are checked exactly in Rust; string keywords (`pattern`) still apply to
            // the normalised text.
            for keyword in [
                "type",
                "minimum",
                "maximum",
                "exclusiveMinimum",
                "exclusiveMaximum",
                "multipleOf",
            ] {
                schema.remove(keyword);
            }
            schema.insert("type".to_owned(), Value::String("string".to_owned()));
        }
        FieldKind::Date => set_default(&mut schema, "format", "date"),
        FieldKind::DateTime => set_default(&mut schema, "format", "date-time"),
        FieldKind::Email => set_default(&mut schema, "format", "email"),
        FieldKind::Mobile => set_default(&mut schema, "pattern", MOBILE_PATTERN),
        FieldKind::Landline => set_default(&mut schema, "pattern", LANDLINE_PATTERN),
        FieldKind::Select | FieldKind::Radio if string_options(field, &field.schema) => {
            schema
                .entry("enum".to_owned())
                .or_insert_with(|| option_values(field));
        }
        FieldKind::MultiSelect
            if string_options(field, field.schema.get("items").unwrap_or(&Value::Null)) =>
        {
            let items = schema
                .entry("items".to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(items) = items {
                items
                    .entry("enum".to_owned())
                    .or_insert_with(|| option_values(field));
            }
        }
        FieldKind::SubTable => {
            let mut items = match schema.get("items") {
                Some(Value::Object(items)) => items.clone(),
                _ => Map::new(),
            };
            // A `$ref` here would bring the removed keywords back in.
            items.remove("$ref");
            for keyword in ["required", "additionalProperties", "unevaluatedProperties"] {
                items.remove(keyword);
            }
            items
                .entry("type".to_owned())
                .or_insert_with(|| Value::String("object".to_owned()));
            let columns: Map<String, Value> = field
                .columns
                .iter()
                .map(|c| (c.key.clone(), field_schema(c)))
                .collect();
            items.insert("properties".to_owned(), Value::Object(columns));
            schema.insert("items".to_owned(), Value::Object(items));
        }
        _ => {}
    }
    Value::Object(schema)
}

fn option_values(field: &Field) -> Value {
    Value::Array(field.options.iter().map(|(v, _)| v.clone()).collect())
}

/// Whether UI options can stand in for a missing `enum`: the values are strings.
fn string_options(field: &Field, schema: &Value) -> bool {
    !field.options.is_empty()
        && schema.get("enum").is_none()
        && crate::kind::primary_type(schema).is_none_or(|t| t == "string")
}
