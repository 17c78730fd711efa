//! A JSON description of a form for the browser: fields, labels, widgets, options, limits,
//! rule expressions and ready-made messages in one language, so a small script can mirror
//! the rules while a person types. The server stays authoritative: `submit` re-checks all.

use serde_json::{Map, Value, json};

use crate::compile::CompiledForm;
use crate::field::{Bound, Field};
use crate::kind::{FieldKind, LANDLINE_PATTERN, MOBILE_PATTERN};
use crate::messages::{self, At, Params, human_size};
use crate::money;
use crate::submit::SYSTEM_KEYS;

impl CompiledForm {
    /// The form's fields and rules for a browser script, with texts in `lang`.
    ///
    /// Shape: `{form, key, lang, name, fields: [{key, label, help, kind, widget, required,
    /// server_set, rules: {visible_when, …}, variables, options: [{value, label}], limits,
    /// messages: {code: text}, columns?, relation?}], checks: [{id, check, path, message,
    /// variables}], system_keys}`. Rules are expressions of the one expression language;
    /// `variables` lists the names they read, so the script knows when to re-evaluate.
    pub fn field_rules_for_client(&self, lang: &str) -> Value {
        let fields: Vec<Value> = self.fields.iter().map(|f| field_json(f, lang)).collect();
        let checks: Vec<Value> = self
            .checks
            .iter()
            .map(|(check, vars)| {
                json!({
                    "id": check.id,
                    "check": check.check,
                    "path": check.path,
                    "message": check.message.get(lang),
                    "variables": vars,
                })
            })
            .collect();
        json!({
            "form": self.def.id,
            "key": self.key,
            "lang": lang,
            "name": self.def.name.get(lang),
            "fields": fields,
            "checks": checks,
            "system_keys": SYSTEM_KEYS,
        })
    }
}

fn field_json(field: &Field, lang: &str) -> Value {
    let ui = &field.ui;
    let mut rules = Map::new();
    for (name, src) in [
        ("visible_when", &ui.visible_when),
        ("required_when", &ui.required_when),
        ("readonly_when", &ui.readonly_when),
        ("default", &ui.default),
        ("compute", &ui.compute),
    ] {
        if let Some(src) = src {
            rules.insert(name.to_owned(), Value::String(src.clone()));
        }
    }
    let vars = &field.vars;
    let mut variables: Vec<&String> = vars
        .visible_when
        .iter()
        .chain(&vars.required_when)
        .chain(&vars.readonly_when)
        .chain(&vars.default)
        .chain(&vars.compute)
        .collect();
    variables.sort();
    variables.dedup();
    let options: Vec<Value> = field
        .options
        .iter()
        .map(|(value, label)| json!({ "value": value, "label": label.get(lang) }))
        .collect();
    let limits = limits(field);
    let mut out = json!({
        "key": field.key,
        "label": field.label.get(lang),
        "help": ui.help.as_ref().map(|h| h.get(lang)),
        "kind": field.kind.name(),
        "widget": field.widget,
        "required": field.required,
        "server_set": field.is_server_set(),
        "rules": rules,
        "variables": variables,
        "options": options,
        "messages": client_messages(field, &limits, lang),
        "limits": limits,
    });
    if field.kind == FieldKind::SubTable {
        out["columns"] = Value::Array(field.columns.iter().map(|c| field_json(c, lang)).collect());
    }
    if let FieldKind::Relation(rel) = &field.kind {
        out["relation"] = json!({ "form": rel.form, "fills": rel.fills });
    }
    out
}

/// The limits a script can check, in JSON Schema's own names.
fn limits(field: &Field) -> Map<String, Value> {
    let mut limits = Map::new();
    for keyword in [
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
    ] {
        if let Some(v) = field.schema.get(keyword) {
            limits.insert(keyword.to_owned(), v.clone());
        }
    }
    let implied = match &field.kind {
        FieldKind::Mobile => Some(("pattern", MOBILE_PATTERN)),
        FieldKind::Landline => Some(("pattern", LANDLINE_PATTERN)),
        FieldKind::Date => Some(("format", "date")),
        FieldKind::DateTime => Some(("format", "date-time")),
        FieldKind::Email => Some(("format", "email")),
        _ => None,
    };
    if let Some((keyword, value)) = implied {
        limits
            .entry(keyword.to_owned())
            .or_insert_with(|| Value::String(value.to_owned()));
    }
    match &field.kind {
        FieldKind::Money => {
            for keyword in [
                "minimum",
                "maximum",
                "exclusiveMinimum",
                "exclusiveMaximum",
                "pattern",
            ] {
                limits.remove(keyword);
            }
            let bound = |b: &Bound| Value::String(money::plain(b.value));
            if let Some(min) = &field.money_min {
                let keyword = if min.exclusive {
                    "exclusiveMinimum"
                } else {
                    "minimum"
                };
                limits.insert(keyword.to_owned(), bound(min));
            }
            if let Some(max) = &field.money_max {
                let keyword = if max.exclusive {
                    "exclusiveMaximum"
                } else {
                    "maximum"
                };
                limits.insert(keyword.to_owned(), bound(max));
            }
            limits.insert("scale".to_owned(), json!(2));
        }
        FieldKind::Attachments(rules) => {
            if let Some(max) = rules.max_size {
                limits.insert("max_size".to_owned(), json!(max));
            }
            if !rules.accept.is_empty() {
                limits.insert("accept".to_owned(), json!(rules.accept));
            }
        }
        _ => {}
    }
    limits
}

/// Messages for the codes a script can detect, keyed by code.
fn client_messages(field: &Field, limits: &Map<String, Value>, lang: &str) -> Map<String, Value> {
    let at = At { field, row: None };
    let shown = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut codes: Vec<(&str, Params)> = vec![("required", Params::default())];
    for (keyword, code) in [
        ("minLength", "min_length"),
        ("maxLength", "max_length"),
        ("minimum", "minimum"),
        ("maximum", "maximum"),
        ("exclusiveMinimum", "exclusive_minimum"),
        ("exclusiveMaximum", "exclusive_maximum"),
        ("multipleOf", "multiple_of"),
        ("minItems", "min_items"),
        ("maxItems", "max_items"),
    ] {
        if let Some(limit) = limits.get(keyword) {
            codes.push((code, Params::limit(shown(limit))));
        }
    }
    if limits.contains_key("pattern") || field.kind == FieldKind::Money {
        codes.push(("pattern", Params::default()));
    }
    if limits.contains_key("format") || field.kind == FieldKind::Url {
        codes.push(("format", Params::default()));
    }
    if !field.options.is_empty() {
        codes.push(("enum", Params::default()));
    }
    if matches!(
        field.kind,
        FieldKind::Integer | FieldKind::Decimal | FieldKind::Percent | FieldKind::Money
    ) {
        codes.push(("type", Params::default()));
    }
    if let FieldKind::Attachments(rules) = &field.kind {
        if let Some(max) = rules.max_size {
            let params = Params {
                name: "{name}".to_owned(),
                ..Params::limit(human_size(max))
            };
            codes.push(("max_size", params));
        }
        if !rules.accept.is_empty() {
            codes.push((
                "accept",
                Params {
                    limit_zh: rules.accept.join("、"),
                    limit_en: rules.accept.join(", "),
                    name: "{name}".to_owned(),
                },
            ));
        }
    }
    if field.ui.readonly_when.is_some() {
        codes.push(("read_only", Params::default()));
    }
    codes
        .into_iter()
        .map(|(code, params)| {
            let text = messages::message(at, code, &params);
            (code.to_owned(), Value::String(text.get(lang).to_owned()))
        })
        .collect()
}
