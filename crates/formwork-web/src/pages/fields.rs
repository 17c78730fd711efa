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

/// A stored instant as a `datetime-local` value in Beijing time.
fn local_datetime(stored: &str) -> String {
    match OffsetDateTime::parse(stored, &Rfc3339) {
        Ok(t) => {
            let t = t.to_offset(format::beijing());
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        }
        Err(_) => stored.to_owned(),
    }
}

fn raw_of_stored(field: &FieldDesc, value: &Value) -> Value {
    match (field.kind.as_str(), value) {
        ("sub_table", Value::Array(rows)) => Value::Array(
            rows.iter()
                .map(|row| {
                    let mut cells = Map::new();
                    for column in &field.columns {
                        if let Some(v) = row.get(&column.key) {
                            cells.insert(column.key.clone(), raw_of_stored(column, v));
                        }
                    }
                    Value::Object(cells)
                })
                .collect(),
        ),
        ("attachments", Value::Array(_)) => value.clone(),
        ("datetime", Value::String(s)) => Value::String(local_datetime(s)),
        (_, Value::Array(items)) => Value::Array(
            items
                .iter()
                .map(|v| Value::String(option_text(v)))
                .collect(),
        ),
        (_, Value::Bool(b)) => Value::String(b.to_string()),
        (_, Value::Null) => Value::String(String::new()),
        (_, v) => Value::String(option_text(v)),
    }
}

/// The raw values of stored record data (for the edit page).
pub(crate) fn raw_from_stored(desc: &FormDesc, data: &Value) -> Raw {
    let mut raw = Raw::new();
    for field in &desc.fields {
        if let Some(v) = data.get(&field.key) {
            raw.insert(field.key.clone(), raw_of_stored(field, v));
        }
    }
    raw
}

/// `milestones[2][title]` → `("milestones", 2, "title")`.
fn cell_name(name: &str) -> Option<(&str, usize, &str)> {
    let (table, rest) = name.split_once('[')?;
    let (index, rest) = rest.split_once("][")?;
    let column = rest.strip_suffix(']')?;
    Some((table, index.parse().ok()?, column))
}

/// The raw values of a submitted form. `files` holds the file references of each attachment
/// field (kept and newly uploaded). Fully empty sub-table rows are dropped and the others
/// numbered from 0, so error paths such as `/milestones/1/title` match the rows re-rendered.
pub(crate) fn raw_from_pairs(
    desc: &FormDesc,
    pairs: &[(String, String)],
    files: &HashMap<String, Vec<Value>>,
) -> Raw {
    let mut raw = Raw::new();
    for field in &desc.fields {
        if field.server_set {
            continue;
        }
        let value = match field.kind.as_str() {
            "sub_table" => {
                let mut rows: BTreeMap<usize, Map<String, Value>> = BTreeMap::new();
                for (name, v) in pairs {
                    let Some((table, i, col)) = cell_name(name) else {
                        continue;
                    };
                    let Some(column) = field.columns.iter().find(|c| c.key == col) else {
                        continue;
                    };
                    if table != field.key {
                        continue;
                    }
                    let row = rows.entry(i).or_default();
                    if column.multiple {
                        let list = row
                            .entry(col.to_owned())
                            .or_insert_with(|| Value::Array(Vec::new()));
                        if let Value::Array(items) = list
                            && !v.trim().is_empty()
                        {
                            items.push(Value::String(v.clone()));
                        }
                    } else {
                        row.insert(col.to_owned(), Value::String(v.clone()));
                    }
                }
                Value::Array(
                    rows.into_values()
                        .map(Value::Object)
                        .filter(|row| !blank(row))
                        .collect(),
                )
            }
            "attachments" => Value::Array(files.get(&field.key).cloned().unwrap_or_default()),
            _ if field.multiple || field.kind == "multi_select" => Value::Array(
                pairs
                    .iter()
                    .filter(|(k, v)| *k == field.key && !v.trim().is_empty())
                    .map(|(_, v)| Value::String(v.clone()))
                    .collect(),
            ),
            _ => match pairs.iter().rev().find(|(k, _)| *k == field.key) {
                Some((_, v)) => Value::String(v.clone()),
                None => continue,
            },
        };
        raw.insert(field.key.clone(), value);
    }
    raw
}

// ---- input for the runtime ------------------------------------------------------------------

/// Whether the input creates a record (empty fields left out) or changes one (empty fields
/// sent as `null`, which clears them; `skip` lists fields that must not be sent).
pub(crate) enum Mode<'a> {
    Create,
    Edit { skip: &'a [String] },
}

fn clean_money(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ',' | '，' | '¥' | '￥' | ' ' | '\u{3000}'))
        .collect()
}

/// `2026-01-31T10:00` from a `datetime-local` input, in Beijing time → RFC 3339.
fn instant_input(s: &str) -> String {
    let s = s.trim();
    let has_zone = s.ends_with('Z') || s.get(19..).is_some_and(|z| z.contains(['+', '-']));
    if has_zone || !s.contains('T') {
        return s.to_owned();
    }
    let seconds = if s.len() == 16 { ":00" } else { "" };
    format!("{s}{seconds}+08:00")
}

/// One field's input value; `None` when empty.
fn convert(field: &FieldDesc, raw: Option<&Value>) -> Option<Value> {
    let raw = raw?;
    if blank(raw) && field.kind != "checkbox" {
        return None;
    }
    Some(match field.kind.as_str() {
        "sub_table" => {
            let rows: Vec<Value> = raw
                .as_array()?
                .iter()
                .map(|row| {
                    let mut cells = Map::new();
                    for column in &field.columns {
                        if let Some(v) = convert(column, row.get(&column.key)) {
                            cells.insert(column.key.clone(), v);
                        }
                    }
                    Value::Object(cells)
                })
                .collect();
            Value::Array(rows)
        }
        "attachments" => Value::Array(
            raw.as_array()?
                .iter()
                .filter_map(|f| f.get("id").cloned())
                .collect(),
        ),
        "checkbox" => {
            let on = matches!(
                text(Some(raw)).trim().to_ascii_lowercase().as_str(),
                "true" | "on" | "1" | "yes"
            );
            Value::Bool(on)
        }
        "money" => Value::String(clean_money(text(Some(raw)))),
        "integer" | "decimal" | "percent" => {
            let s = text(Some(raw)).trim().replace([',', '，'], "");
            serde_json::from_str::<Number>(&s).map_or(Value::String(s), Value::Number)
        }
        "datetime" => Value::String(instant_input(text(Some(raw)))),
        "textarea" | "rich_text" => Value::String(text(Some(raw)).replace("\r\n", "\n")),
        _ => match raw {
            Value::Array(items) => {
                Value::Array(items.iter().filter(|v| !blank(v)).cloned().collect())
            }
            // Several users or departments typed into one box.
            Value::String(s) if field.multiple => Value::Array(
                s.split([',', '，', '、', ' ', ';', '；'])
                    .filter(|p| !p.trim().is_empty())
                    .map(|p| Value::String(p.trim().to_owned()))
                    .collect(),
            ),
            other => other.clone(),
        },
    })
}

/// The JSON object the runtime validates.
pub(crate) fn to_input(desc: &FormDesc, raw: &Raw, mode: &Mode<'_>) -> Value {
    let mut input = Map::new();
    for field in &desc.fields {
        if field.server_set {
            continue;
        }
        match mode {
            Mode::Create => {
                if let Some(v) = convert(field, raw.get(&field.key)) {
                    input.insert(field.key.clone(), v);
                }
            }
            Mode::Edit { skip } => {
                if skip.contains(&field.key) {
                    continue;
                }
                let v = convert(field, raw.get(&field.key)).unwrap_or(Value::Null);
                input.insert(field.key.clone(), v);
            }
        }
    }
    Value::Object(input)
}

/// The expression scope of the values (money as numbers, empty as `null`), for the rules a
/// page decides before the script runs: which required markers to show.
fn scope(desc: &FormDesc, raw: &Raw) -> Value {
    let mut scope: Map<String, Value> = formwork_model::expr::SYSTEM_FIELDS
        .iter()
        .map(|n| ((*n).to_owned(), Value::Null))
        .collect();
    for field in &desc.fields {
        let v = convert(field, raw.get(&field.key)).unwrap_or(Value::Null);
        let v = if field.kind == "money" {
            formwork_model::expr::money_number(v)
        } else {
            v
        };
        scope.insert(field.key.clone(), v);
    }
    Value::Object(scope)
}

fn rule_true(field: &FieldDesc, rule: &str, scope: &Value) -> bool {
    field
        .rules
        .get(rule)
        .and_then(Value::as_str)
        .is_some_and(|src| formwork_model::expr::eval_bool(src, scope).unwrap_or(false))
}

/// Fields whose `readonly_when` holds for stored data: the edit page shows them and does not
/// send them. A rule that fails counts as read-only, as the runtime does.
pub(crate) fn read_only_fields(desc: &FormDesc, raw: &Raw) -> Vec<String> {
    let scope = scope(desc, raw);
    desc.fields
        .iter()
        .filter(|f| {
            f.rules
                .get("readonly_when")
                .and_then(Value::as_str)
                .is_some_and(|src| formwork_model::expr::eval_bool(src, &scope).unwrap_or(true))
        })
        .map(|f| f.key.clone())
        .collect()
}

// ---- errors ----------------------------------------------------------------------------------

/// Field errors placed for a page: inline messages by element id, and the summary.
#[derive(Debug, Default)]
pub(crate) struct Errors {
    pub inline: HashMap<String, String>,
    pub summary: Vec<SummaryItem>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct SummaryItem {
    /// `#f-amount`, or `None` when no field on the page matches.
    pub href: Option<String>,
    pub message: String,
}

/// The element id of a field, or of a sub-table cell.
pub(crate) fn field_id(key: &str) -> String {
    format!("f-{}", id_safe(key))
}

fn cell_id(table: &str, row: &str, column: &str) -> String {
    format!("f-{}-{row}-{}", id_safe(table), id_safe(column))
}

fn id_safe(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

impl Errors {
    /// Places each problem beside its field (`/contact_phone`, `/milestones/1/title`).
    pub fn place(desc: &FormDesc, problems: &[Problem], lang: Lang) -> Errors {
        let mut errors = Errors::default();
        for p in problems {
            let message = p.message.get(lang.tag()).to_owned();
            let segments: Vec<String> = p.pointer.split('/').skip(1).map(unescape).collect();
            let id = segments.first().and_then(|key| {
                let field = desc.field(key)?;
                if field.server_set {
                    return None;
                }
                match (field.kind.as_str(), segments.get(1), segments.get(2)) {
                    ("sub_table", Some(row), Some(col)) if row.parse::<usize>().is_ok() => field
                        .columns
                        .iter()
                        .any(|c| c.key == *col)
                        .then(|| cell_id(key, row, col))
                        .or_else(|| Some(field_id(key))),
                    _ => Some(field_id(key)),
                }
            });
            if let Some(id) = &id {
                errors
                    .inline
                    .entry(id.clone())
                    .or_insert_with(|| message.clone());
            }
            // Beside its field a message may leave the field unnamed (an analyst's "请输入 11
            // 位手机号"); in the summary at the top it must say which field it is about.
            let label = segments
                .first()
                .and_then(|key| desc.field(key))
                .map(|f| f.label.as_str())
                .filter(|l| {
                    // 「预计金额（元）」 is named by 「预计金额不能为负数」 too.
                    let base = l.split(['（', '(']).next().unwrap_or_default().trim();
                    !base.is_empty() && !message.contains(base)
                });
            let summary = match (label, lang) {
                (Some(label), Lang::ZhCn) => format!("{label}：{message}"),
                (Some(label), Lang::En) => format!("{label}: {message}"),
                (None, _) => message,
            };
            errors.summary.push(SummaryItem {
                href: id.map(|id| format!("#{id}")),
                message: summary,
            });
        }
        errors
    }

    /// An error of a field named by key (e.g. an upload that failed).
    pub fn add(&mut self, key: &str, message: String) {
        let id = field_id(key);
        self.inline
            .entry(id.clone())
            .or_insert_with(|| message.clone());
        self.summary.push(SummaryItem {
            href: Some(format!("#{id}")),
            message,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.summary.is_empty()
    }
}

// ---- views ------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub(crate) struct OptionView {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct FileView {
    pub id: String,
    pub name: String,
    pub size: String,
    pub url: String,
}

/// A sub-table shown read-only: its column labels, and each row's cells in that order.
#[derive(Debug, Serialize)]
pub(crate) struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A field of a stored record shown read-only.
#[derive(Debug, Serialize)]
pub(crate) struct Shown {
    pub key: String,
    pub label: String,
    pub value: String,
    /// Sanitised HTML (rich text); everything else is escaped.
    pub rich: bool,
    /// Takes the whole width (long text, tables, files).
    pub wide: bool,
    /// The field is no longer in the form; the record still holds a value.
    pub removed: bool,
    pub files: Vec<FileView>,
    pub table: Option<Table>,
}

/// Whether a field of this kind takes the whole width (long text, tables, files).
pub(crate) fn wide(kind: &str) -> bool {
    matches!(kind, "textarea" | "rich_text" | "sub_table" | "attachments")
}

impl Shown {
    /// `d` for people in `lang`: attachments as download links of record `record_id`, a
    /// sub-table as rows in the order of its columns.
    pub fn new(d: &DisplayField, desc: &FormDesc, record_id: &str, lang: Lang) -> Shown {
        let tag = lang.tag();
        let files = match (d.kind.as_str(), &d.raw) {
            ("attachments", Value::Array(items)) => items
                .iter()
                .filter_map(|f| {
                    let id = f.get("id")?.as_str()?.to_owned();
                    Some(FileView {
                        url: format!("/api/v1/records/{record_id}/files/{id}"),
                        name: f
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("file")
                            .to_owned(),
                        size: f
                            .get("size")
                            .and_then(Value::as_i64)
                            .map(format::size)
                            .unwrap_or_default(),
                        id,
                    })
                })
                .collect(),
            _ => Vec::new(),
        };
        let table = (d.kind == "sub_table").then(|| {
            let columns: Vec<(String, String)> = desc
                .field(&d.key)
                .map(|f| {
                    f.columns
                        .iter()
                        .map(|c| (c.key.clone(), c.label.clone()))
                        .collect()
                })
                .unwrap_or_default();
            Table {
                rows: d
                    .rows
                    .iter()
                    .map(|cells| {
                        columns
                            .iter()
                            .map(|(key, _)| {
                                cells
                                    .iter()
                                    .find(|c| c.key == *key)
                                    .map(|c| c.value.get(tag).to_owned())
                                    .unwrap_or_default()
                            })
                            .collect()
                    })
                    .collect(),
                columns: columns.into_iter().map(|(_, label)| label).collect(),
            }
        });
        Shown {
            key: d.key.clone(),
            label: d.label.get(tag).to_owned(),
            value: d.value.get(tag).to_owned(),
            rich: d.kind == "rich_text",
            wide: wide(&d.kind),
            removed: d.removed,
            files,
            table,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ColumnView {
    pub key: String,
    pub label: String,
    pub required: bool,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct RowView {
    /// The row's index in input names (`__INDEX__` in the script's template row).
    pub index: String,
    /// The row's number for people (`__N__` in the template row).
    pub number: String,
    pub cells: Vec<FieldView>,
}

/// Everything the `field` macro needs to draw one field or cell.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FieldView {
    pub key: String,
    pub id: String,
    pub name: String,
    pub label: String,
    /// Label for a screen reader (a cell's label says its row).
    pub aria_label: String,
    pub help: Option<String>,
    pub kind: String,
    /// `text textarea select radio checkbox checks money date datetime file table static`.
    pub control: &'static str,
    pub input_type: &'static str,
    pub inputmode: Option<&'static str>,
    pub autocomplete: Option<&'static str>,
    /// A `<datalist>` id to suggest from.
    pub list: Option<&'static str>,
    pub suffix: Option<&'static str>,
    pub value: String,
    pub options: Vec<OptionView>,
    pub required: bool,
    pub error: Option<String>,
    pub describedby: String,
    pub maxlength: Option<u64>,
    pub accept: Option<String>,
    pub files: Vec<FileView>,
    pub columns: Vec<ColumnView>,
    pub rows: Vec<RowView>,
    pub template_row: Option<RowView>,
}

/// What pickers offer: people (username, name) and departments (id, name).
#[derive(Debug, Default)]
pub(crate) struct Pickers {
    pub departments: Vec<(String, String)>,
}

/// How many rows a sub-table shows without the script: the filled ones and at least this many
/// in all, so a person without JavaScript can add rows.
const MIN_ROWS: usize = 3;

pub(crate) struct ViewContext<'a> {
    pub lang: Lang,
    pub errors: &'a Errors,
    pub pickers: &'a Pickers,
    /// Fields shown but not editable (read-only rules on the edit page).
    pub read_only: &'a [String],
    /// The record whose files are shown (edit page), for download links.
    pub record_id: Option<&'a str>,
}

/// The views of every field of the form, in form order.
pub(crate) fn views(desc: &FormDesc, raw: &Raw, cx: &ViewContext<'_>) -> Vec<FieldView> {
    let scope = scope(desc, raw);
    desc.fields
        .iter()
        .map(|field| {
            let required = field.required || rule_true(field, "required_when", &scope);
            let mut view = view(
                field,
                raw.get(&field.key),
                cx,
                &field_id(&field.key),
                &field.key,
                required,
            );
            view.aria_label = field.label.clone();
            if cx.read_only.contains(&field.key) {
                view.control = "static";
            }
            view
        })
        .collect()
}

fn view(
    field: &FieldDesc,
    raw: Option<&Value>,
    cx: &ViewContext<'_>,
    id: &str,
    name: &str,
    required: bool,
) -> FieldView {
    let value = match raw {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    let chosen: Vec<String> = match raw {
        Some(Value::Array(items)) => items.iter().map(option_text).collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    };
    let (control, input_type, inputmode, autocomplete) = match field.kind.as_str() {
        _ if field.server_set => ("static", "text", None, None),
        "textarea" | "rich_text" => ("textarea", "text", None, None),
        "integer" => ("text", "text", Some("numeric"), None),
        "decimal" | "percent" => ("text", "text", Some("decimal"), None),
        "money" => ("money", "text", Some("decimal"), None),
        "date" => ("date", "date", None, None),
        "datetime" => ("date", "datetime-local", None, None),
        "select" | "relation" if !field.options.is_empty() => ("select", "text", None, None),
        "radio" => ("radio", "text", None, None),
        "multi_select" => ("checks", "text", None, None),
        "checkbox" => ("checkbox", "checkbox", None, None),
        "mobile" => ("text", "tel", Some("tel"), Some("tel")),
        "landline" => ("text", "tel", Some("tel"), None),
        "email" => ("text", "email", Some("email"), Some("email")),
        "url" => ("text", "url", Some("url"), None),
        "department" if field.multiple => ("checks", "text", None, None),
        "department" => ("select", "text", None, None),
        "attachments" => ("file", "file", None, None),
        "sub_table" => ("table", "text", None, None),
        _ => ("text", "text", None, None),
    };
    let options: Vec<OptionView> = if field.kind == "department" {
        cx.pickers
            .departments
            .iter()
            .map(|(v, label)| OptionView {
                selected: chosen.contains(v),
                value: v.clone(),
                label: label.clone(),
            })
            .collect()
    } else {
        field
            .options
            .iter()
            .map(|o| {
                let v = option_text(&o.value);
                OptionView {
                    selected: chosen.contains(&v),
                    label: if o.label.is_empty() {
                        v.clone()
                    } else {
                        o.label.clone()
                    },
                    value: v,
                }
            })
            .collect()
    };
    let error = cx.errors.inline.get(id).cloned();
    let help = field.help.clone().filter(|h| !h.is_empty());
    let mut describedby = Vec::new();
    if help.is_some() {
        describedby.push(format!("{id}-help"));
    }
    describedby.push(format!("{id}-error"));
    let files: Vec<FileView> = match (field.kind.as_str(), raw) {
        ("attachments", Some(Value::Array(items))) => items
            .iter()
            .filter_map(|f| {
                let file_id = f.get("id")?.as_str()?.to_owned();
                let url = match cx.record_id {
                    Some(rid) if f.get("sha256").is_some() => {
                        format!("/api/v1/records/{rid}/files/{file_id}")
                    }
                    _ => format!("/api/v1/files/{file_id}"),
                };
                Some(FileView {
                    name: text(f.get("name")).to_owned(),
                    size: f
                        .get("size")
                        .and_then(Value::as_i64)
                        .map(format::size)
                        .unwrap_or_default(),
                    url,
                    id: file_id,
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut view = FieldView {
        key: field.key.clone(),
        id: id.to_owned(),
        name: name.to_owned(),
        label: field.label.clone(),
        aria_label: field.label.clone(),
        help,
        kind: field.kind.clone(),
        control,
        input_type,
        inputmode,
        autocomplete,
        list: (field.kind == "user").then_some("people"),
        suffix: (field.kind == "percent").then_some("%"),
        value: if control == "static" {
            static_text(field, raw)
        } else {
            value
        },
        options,
        required,
        error,
        describedby: describedby.join(" "),
        maxlength: field.limits.get("maxLength").and_then(Value::as_u64),
        accept: field
            .limits
            .get("accept")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            }),
        files,
        columns: Vec::new(),
        rows: Vec::new(),
        template_row: None,
    };
    if field.kind == "sub_table" {
        view.columns = field
            .columns
            .iter()
            .filter(|c| !c.server_set)
            .map(|c| ColumnView {
                key: c.key.clone(),
                label: c.label.clone(),
                required: c.required,
            })
            .collect();
        let filled: Vec<&Value> = match raw {
            Some(Value::Array(rows)) => rows.iter().collect(),
            _ => Vec::new(),
        };
        let shown = filled.len().max(MIN_ROWS).max(filled.len() + 1);
        view.rows = (0..shown)
            .map(|i| {
                row_view(
                    field,
                    filled.get(i).copied(),
                    cx,
                    &i.to_string(),
                    &(i + 1).to_string(),
                )
            })
            .collect();
        view.template_row = Some(row_view(field, None, cx, "__INDEX__", "__N__"));
    }
    view
}

fn row_view(
    table: &FieldDesc,
    row: Option<&Value>,
    cx: &ViewContext<'_>,
    index: &str,
    number: &str,
) -> RowView {
    let cells = table
        .columns
        .iter()
        .filter(|c| !c.server_set)
        .map(|column| {
            let id = cell_id(&table.key, index, &column.key);
            let name = format!("{}[{index}][{}]", table.key, column.key);
            let mut cell = view(
                column,
                row.and_then(|r| r.get(&column.key)),
                cx,
                &id,
                &name,
                column.required,
            );
            cell.aria_label = cx.lang.message(
                "ui.row_cell",
                &[
                    ("table", &table.label),
                    ("row", number),
                    ("label", &column.label),
                ],
            );
            cell
        })
        .collect();
    RowView {
        index: index.to_owned(),
        number: number.to_owned(),
        cells,
    }
}

/// A value shown without an input (computed or read-only fields).
fn static_text(field: &FieldDesc, raw: Option<&Value>) -> String {
    match raw {
        Some(Value::String(s)) => field.option_label(s).unwrap_or(s).to_owned(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                let t = option_text(v);
                field.option_label(&t).map(str::to_owned).unwrap_or(t)
            })
            .collect::<Vec<_>>()
            .join("、"),
        _ => String::new(),
    }
}

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
