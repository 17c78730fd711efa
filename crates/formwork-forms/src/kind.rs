//! What a field is: its [`FieldKind`], read from the field's JSON Schema and its UI widget.
//!
//! The package schema allows only a short list of widgets, so kinds the widget cannot say
//! (rich text, percent, landline, URL, relation, auto-number …) are named by the
//! `x-formwork-kind` keyword in the field's JSON Schema. JSON Schema 2020-12 ignores unknown
//! keywords, so these annotations never change what the validator accepts. The mapping is in
//! the crate docs ([`crate`]).

use std::collections::BTreeMap;

use serde_json::Value;

/// JSON Schema keyword naming the kind explicitly, e.g. `"x-formwork-kind": "percent"`.
pub const X_KIND: &str = "x-formwork-kind";
/// Money lower bound as a decimal string, e.g. `"x-formwork-minimum": "0"`.
pub const X_MINIMUM: &str = "x-formwork-minimum";
/// Money upper bound as a decimal string.
pub const X_MAXIMUM: &str = "x-formwork-maximum";
/// Largest size of one attachment, in bytes.
pub const X_MAX_SIZE: &str = "x-formwork-max-size";
/// Allowed attachment types: MIME types (`application/pdf`), families (`image/*`) or name
/// endings (`.docx`).
pub const X_ACCEPT: &str = "x-formwork-accept";
/// The form a relation field points to.
pub const X_FORM: &str = "x-formwork-form";
/// Fields a relation fills from the related record: `{ "local_field": "their_field" }`.
pub const X_FILLS: &str = "x-formwork-fills";

/// A mainland mobile number: 11 digits starting with 1 and 3–9.
pub const MOBILE_PATTERN: &str = r"^1[3-9]\d{9}$";
/// A landline number with area code, e.g. `010-12345678` or `0755 8888 8888` without spaces.
pub const LANDLINE_PATTERN: &str = r"^0\d{2,3}-?\d{7,8}$";

/// What a field holds, how it is checked and how it is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// Single-line text.
    Text,
    /// Multi-line plain text.
    Textarea,
    /// HTML, sanitised on the server.
    RichText,
    /// A whole number (JSON number).
    Integer,
    /// A decimal number (JSON number).
    Decimal,
    /// CNY amount, stored as a string with two decimals (`"100000.30"`).
    Money,
    /// A percentage as a JSON number, `12.5` meaning 12.5 %.
    Percent,
    /// `YYYY-MM-DD`.
    Date,
    /// RFC 3339 instant.
    DateTime,
    /// One choice from a drop-down.
    Select,
    /// Several choices (array of values).
    MultiSelect,
    /// One choice from radio buttons.
    Radio,
    /// Yes or no (JSON boolean).
    Checkbox,
    /// Mainland mobile number.
    Mobile,
    /// Landline number with area code.
    Landline,
    /// E-mail address.
    Email,
    /// `http://` or `https://` address.
    Url,
    /// A username, or several when `multiple`.
    User { multiple: bool },
    /// A department id, or several when `multiple`.
    Department { multiple: bool },
    /// The id of a record of another form.
    Relation(RelationDef),
    /// Uploaded files: an array of [`crate::AttachmentRef`].
    Attachments(AttachmentRules),
    /// Rows of an array of objects, each with its own fields (`Field::columns`).
    SubTable,
    /// A number the runtime assigns; clients never send it.
    AutoNumber,
    /// Anything else; checked by its JSON Schema only.
    Json,
}

/// Where a relation field points and which fields it fills.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RelationDef {
    /// Id of the related form.
    pub form: String,
    /// Local field ← field of the related record.
    pub fills: BTreeMap<String, String>,
}

/// Per-field limits of an attachment field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttachmentRules {
    /// Largest size of one file in bytes (`x-formwork-max-size`).
    pub max_size: Option<u64>,
    /// Allowed types (`x-formwork-accept`); empty means any.
    pub accept: Vec<String>,
}

impl FieldKind {
    /// The kind's name as used by `x-formwork-kind` and in client descriptions.
    pub fn name(&self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Textarea => "textarea",
            FieldKind::RichText => "rich_text",
            FieldKind::Integer => "integer",
            FieldKind::Decimal => "decimal",
            FieldKind::Money => "money",
            FieldKind::Percent => "percent",
            FieldKind::Date => "date",
            FieldKind::DateTime => "datetime",
            FieldKind::Select => "select",
            FieldKind::MultiSelect => "multi_select",
            FieldKind::Radio => "radio",
            FieldKind::Checkbox => "checkbox",
            FieldKind::Mobile => "mobile",
            FieldKind::Landline => "landline",
            FieldKind::Email => "email",
            FieldKind::Url => "url",
            FieldKind::User { .. } => "user",
            FieldKind::Department { .. } => "department",
            FieldKind::Relation(_) => "relation",
            FieldKind::Attachments(_) => "attachments",
            FieldKind::SubTable => "sub_table",
            FieldKind::AutoNumber => "auto_number",
            FieldKind::Json => "json",
        }
    }

    /// The widget a client should draw when the UI def names none.
    pub fn default_widget(&self) -> &'static str {
        match self {
            FieldKind::Text | FieldKind::AutoNumber | FieldKind::Json => "text",
            FieldKind::Textarea | FieldKind::RichText => "textarea",
            FieldKind::Integer | FieldKind::Decimal | FieldKind::Percent => "number",
            FieldKind::Money => "money",
            FieldKind::Date => "date",
            FieldKind::DateTime => "datetime",
            FieldKind::Select | FieldKind::Relation(_) => "select",
            FieldKind::MultiSelect => "multiselect",
            FieldKind::Radio => "radio",
            FieldKind::Checkbox => "checkbox",
            FieldKind::Mobile | FieldKind::Landline => "phone",
            FieldKind::Email => "email",
            FieldKind::Url => "text",
            FieldKind::User { .. } => "user",
            FieldKind::Department { .. } => "department",
            FieldKind::Attachments(_) => "file",
            FieldKind::SubTable => "subtable",
        }
    }

    /// Whether the stored value is an array of simple values.
    pub fn is_multiple(&self) -> bool {
        matches!(
            self,
            FieldKind::MultiSelect
                | FieldKind::User { multiple: true }
                | FieldKind::Department { multiple: true }
        )
    }

    /// Whether values are picked from a list of options.
    pub fn has_options(&self) -> bool {
        matches!(
            self,
            FieldKind::Select | FieldKind::Radio | FieldKind::MultiSelect
        )
    }
}

/// The kind of a field from its (already `$ref`-resolved) schema and its widget.
pub(crate) fn infer(schema: &Value, widget: Option<&str>) -> Result<FieldKind, String> {
    if let Some(name) = schema.get(X_KIND) {
        let name = name
            .as_str()
            .ok_or_else(|| format!("`{X_KIND}` must be a string"))?;
        return named(name, schema);
    }
    let array = primary_type(schema) == Some("array");
    Ok(match widget {
        Some("money") => FieldKind::Money,
        Some("subtable") => FieldKind::SubTable,
        Some("file") => FieldKind::Attachments(attachment_rules(schema)?),
        Some("user") => FieldKind::User { multiple: array },
        Some("department") => FieldKind::Department { multiple: array },
        Some("phone") => FieldKind::Mobile,
        Some("email") => FieldKind::Email,
        Some("date") => FieldKind::Date,
        Some("datetime") => FieldKind::DateTime,
        Some("multiselect") => FieldKind::MultiSelect,
        Some("select" | "checkbox" | "switch" | "radio") if array => FieldKind::MultiSelect,
        Some("select") => FieldKind::Select,
        Some("radio") => FieldKind::Radio,
        Some("checkbox" | "switch") => FieldKind::Checkbox,
        Some("number") if primary_type(schema) == Some("integer") => FieldKind::Integer,
        Some("number") => FieldKind::Decimal,
        Some("textarea") if is_html(schema) => FieldKind::RichText,
        Some("textarea") => FieldKind::Textarea,
        _ => from_schema(schema)?,
    })
}

fn named(name: &str, schema: &Value) -> Result<FieldKind, String> {
    let array = primary_type(schema) == Some("array");
    Ok(match name {
        "text" => FieldKind::Text,
        "textarea" => FieldKind::Textarea,
        "rich_text" => FieldKind::RichText,
        "integer" => FieldKind::Integer,
        "decimal" => FieldKind::Decimal,
        "money" => FieldKind::Money,
        "percent" => FieldKind::Percent,
        "date" => FieldKind::Date,
        "datetime" => FieldKind::DateTime,
        "select" => FieldKind::Select,
        "multi_select" => FieldKind::MultiSelect,
        "radio" => FieldKind::Radio,
        "checkbox" => FieldKind::Checkbox,
        "mobile" => FieldKind::Mobile,
        "landline" => FieldKind::Landline,
        "email" => FieldKind::Email,
        "url" => FieldKind::Url,
        "user" => FieldKind::User { multiple: array },
        "department" => FieldKind::Department { multiple: array },
        "relation" => FieldKind::Relation(relation(schema)?),
        "attachments" => FieldKind::Attachments(attachment_rules(schema)?),
        "sub_table" => FieldKind::SubTable,
        "auto_number" => FieldKind::AutoNumber,
        "json" => FieldKind::Json,
        other => return Err(format!("`{X_KIND}` has no kind `{other}`")),
    })
}

fn from_schema(schema: &Value) -> Result<FieldKind, String> {
    let format = schema.get("format").and_then(Value::as_str);
    Ok(match primary_type(schema) {
        Some("boolean") => FieldKind::Checkbox,
        Some("integer") => FieldKind::Integer,
        Some("number") => FieldKind::Decimal,
        Some("array") => {
            let items = schema.get("items").unwrap_or(&Value::Null);
            if items.get("properties").is_some() || primary_type(items) == Some("object") {
                FieldKind::SubTable
            } else if items.get("enum").is_some() {
                FieldKind::MultiSelect
            } else {
                FieldKind::Json
            }
        }
        Some("object") => FieldKind::Json,
        _ => match format {
            Some("date") => FieldKind::Date,
            Some("date-time") => FieldKind::DateTime,
            Some("email") => FieldKind::Email,
            Some("uri" | "url") => FieldKind::Url,
            _ if is_html(schema) => FieldKind::RichText,
            _ if schema.get("enum").is_some() => FieldKind::Select,
            _ => FieldKind::Text,
        },
    })
}

/// The first non-null `type` of a schema.
pub(crate) fn primary_type(schema: &Value) -> Option<&str> {
    match schema.get("type")? {
        Value::String(t) => Some(t),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null"),
        _ => None,
    }
}

fn is_html(schema: &Value) -> bool {
    schema.get("contentMediaType").and_then(Value::as_str) == Some("text/html")
}

fn relation(schema: &Value) -> Result<RelationDef, String> {
    let form = schema
        .get(X_FORM)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("a relation needs `{X_FORM}`, the id of the related form"))?;
    let mut fills = BTreeMap::new();
    if let Some(map) = schema.get(X_FILLS) {
        let map = map
            .as_object()
            .ok_or_else(|| format!("`{X_FILLS}` must be an object"))?;
        for (local, theirs) in map {
            let theirs = theirs
                .as_str()
                .ok_or_else(|| format!("`{X_FILLS}/{local}` must name a field"))?;
            fills.insert(local.clone(), theirs.to_owned());
        }
    }
    Ok(RelationDef {
        form: form.to_owned(),
        fills,
    })
}

fn attachment_rules(schema: &Value) -> Result<AttachmentRules, String> {
    let max_size = match schema.get(X_MAX_SIZE) {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .ok_or_else(|| format!("`{X_MAX_SIZE}` must be a whole number of bytes"))?,
        ),
    };
    let accept = match schema.get(X_ACCEPT) {
        None => Vec::new(),
        Some(Value::String(list)) => list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_ascii_lowercase)
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(|s| s.trim().to_ascii_lowercase())
                    .ok_or_else(|| format!("`{X_ACCEPT}` must list strings"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(format!("`{X_ACCEPT}` must be a list of types")),
    };
    Ok(AttachmentRules { max_size, accept })
}
