//! What to draw for each field: the control, its options and files, its error and help, and
//! sub-table rows; and how a stored record's fields are shown read-only.

#[allow(unused_imports)]
use super::*;

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
    /// What a person picker shows for `value`: the person's display name.
    pub shown: String,
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

/// What pickers offer: departments (id, name), and people's display names by username (a
/// person picker shows the name of the chosen username; it searches through the API).
#[derive(Debug, Default)]
pub(crate) struct Pickers {
    pub departments: Vec<(String, String)>,
    pub people: std::collections::BTreeMap<String, String>,
}

impl Pickers {
    /// The choices a form needs: departments only when a field or column picks one.
    pub(crate) async fn for_form(
        state: &crate::AppState,
        desc: &FormDesc,
    ) -> Result<Self, crate::pages::PageError> {
        let mut pickers = Self::default();
        if desc.has_kind("user") {
            pickers.people = state.runtime.people().await?.into_iter().collect();
        }
        if desc.has_kind("department") {
            pickers.departments = state
                .runtime
                .departments()
                .await?
                .into_iter()
                .map(|d| (d.id.into(), d.name))
                .collect();
        }
        Ok(pickers)
    }
}

/// How many rows a sub-table shows without the script: the filled ones and at least this many
/// in all, so a person without JavaScript can add rows.
pub(super) const MIN_ROWS: usize = 3;

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

pub(super) fn view(
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
    let (control, input_type, inputmode, autocomplete) = control_of(field);
    let options = options_of(field, &chosen, cx);
    let error = cx.errors.inline.get(id).cloned();
    let help = field.help.clone().filter(|h| !h.is_empty());
    let mut describedby = Vec::new();
    if help.is_some() {
        describedby.push(format!("{id}-help"));
    }
    describedby.push(format!("{id}-error"));
    let files = files_of(field, raw, cx);
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
        list: None,
        shown: if control == "person" {
            cx.pickers
                .people
                .get(&value)
                .cloned()
                .unwrap_or_else(|| value.clone())
        } else {
            String::new()
        },
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
        fill_table(&mut view, field, raw, cx);
    }
    view
}

/// The control that edits `field`: its template, the input's `type`, `inputmode` and
/// `autocomplete`.
pub(super) fn control_of(field: &FieldDesc) -> Control {
    match field.kind.as_str() {
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
        "user" if !field.multiple => ("person", "text", None, None),
        "attachments" => ("file", "file", None, None),
        "sub_table" => ("table", "text", None, None),
        _ => ("text", "text", None, None),
    }
}

/// A field's control, input `type`, `inputmode` and `autocomplete`.
pub(super) type Control = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

/// The choices of a select, radio or check list, with those in `chosen` selected.
pub(super) fn options_of(
    field: &FieldDesc,
    chosen: &[String],
    cx: &ViewContext<'_>,
) -> Vec<OptionView> {
    if field.kind == "department" {
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
    }
}

/// The files an attachments field holds, each with the link that downloads it.
pub(super) fn files_of(
    field: &FieldDesc,
    raw: Option<&Value>,
    cx: &ViewContext<'_>,
) -> Vec<FileView> {
    match (field.kind.as_str(), raw) {
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
    }
}

/// A sub-table's columns, its rows (at least a few, and always one empty row to type into),
/// and the template the script copies for a new row.
pub(super) fn fill_table(
    view: &mut FieldView,
    field: &FieldDesc,
    raw: Option<&Value>,
    cx: &ViewContext<'_>,
) {
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

pub(super) fn row_view(
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
pub(super) fn static_text(field: &FieldDesc, raw: Option<&Value>) -> String {
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
