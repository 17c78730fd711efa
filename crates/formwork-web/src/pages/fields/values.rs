//! Values in their three shapes: what the inputs hold (**raw**), the JSON the runtime
//! validates (**input**), and record data turned back into raw values for the edit page
//! (**stored**); and which fields are read-only for what a person typed.

#[allow(unused_imports)]
use super::*;

/// A stored instant as a `datetime-local` value in Beijing time.
pub(super) fn local_datetime(stored: &str) -> String {
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

pub(super) fn raw_of_stored(field: &FieldDesc, value: &Value) -> Value {
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
pub(super) fn cell_name(name: &str) -> Option<(&str, usize, &str)> {
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

pub(super) fn clean_money(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ',' | '，' | '¥' | '￥' | ' ' | '\u{3000}'))
        .collect()
}

/// `2026-01-31T10:00` from a `datetime-local` input, in Beijing time → RFC 3339.
pub(super) fn instant_input(s: &str) -> String {
    let s = s.trim();
    let has_zone = s.ends_with('Z') || s.get(19..).is_some_and(|z| z.contains(['+', '-']));
    if has_zone || !s.contains('T') {
        return s.to_owned();
    }
    let seconds = if s.len() == 16 { ":00" } else { "" };
    format!("{s}{seconds}+08:00")
}

/// One field's input value; `None` when empty.
pub(super) fn convert(field: &FieldDesc, raw: Option<&Value>) -> Option<Value> {
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
pub(super) fn scope(desc: &FormDesc, raw: &Raw) -> Value {
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

pub(super) fn rule_true(field: &FieldDesc, rule: &str, scope: &Value) -> bool {
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
