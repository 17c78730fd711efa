//! Serde types of an app package: the stored, analyst-authored format.
//!
//! The JSON shape is checked first against `schemas/app-package.schema.json`; these types are
//! what the rest of Formwork reads after that. Unknown keys never reach them (the schema forbids
//! them), so the types stay lenient and carry no `deny_unknown_fields`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::process_def::*;
pub use crate::report_def::*;
pub use crate::rule_def::*;

/// The format tag every package carries, so a future format can be told apart.
pub const PACKAGE_FORMAT: &str = "formwork/app@1";

/// Language used when a text has no translation for the one asked for.
pub const FALLBACK_LANG: &str = "zh-CN";

/// A text an analyst writes, keyed by language (`zh-CN`, `en`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(pub BTreeMap<String, String>);

impl Text {
    /// A text in zh-CN and en.
    pub fn zh_en(zh: impl Into<String>, en: impl Into<String>) -> Text {
        Text(
            [
                ("zh-CN".to_owned(), zh.into()),
                ("en".to_owned(), en.into()),
            ]
            .into_iter()
            .collect(),
        )
    }

    /// The text in `lang`, falling back to zh-CN, then to any language present.
    pub fn get(&self, lang: &str) -> &str {
        self.0
            .get(lang)
            .or_else(|| self.0.get(FALLBACK_LANG))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// A whole app package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppDef {
    pub format: String,
    pub id: String,
    pub name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    #[serde(default)]
    pub roles: Vec<RoleDef>,
    #[serde(default)]
    pub forms: Vec<FormDef>,
    #[serde(default)]
    pub processes: Vec<ProcessDef>,
    #[serde(default)]
    pub reports: Vec<ReportDef>,
    #[serde(default)]
    pub dashboards: Vec<DashboardDef>,
    #[serde(default)]
    pub rules: Vec<RuleDef>,
    /// Inbound hooks: JSON posted from other systems becomes records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<HookDef>,
}

impl AppDef {
    /// The form with `id`.
    pub fn form(&self, id: &str) -> Option<&FormDef> {
        self.forms.iter().find(|f| f.id == id)
    }

    /// The process with `id`.
    pub fn process(&self, id: &str) -> Option<&ProcessDef> {
        self.processes.iter().find(|p| p.id == id)
    }
}

/// A role an app defines; users are given roles by admins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleDef {
    pub id: String,
    pub name: Text,
}

/// A form: JSON Schema 2020-12 for the data plus a UI schema for presentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormDef {
    pub id: String,
    pub name: Text,
    /// JSON Schema (draft 2020-12) of the record data; `properties` are the fields.
    pub schema: Value,
    #[serde(default)]
    pub ui: UiDef,
    /// Cross-field checks, e.g. `end_date >= start_date`.
    #[serde(default)]
    pub checks: Vec<CheckDef>,
    /// Human-facing number, e.g. `PRJ-{year}-{seq:05}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numbering: Option<NumberingDef>,
    #[serde(default)]
    pub permissions: FormPermissionsDef,
    /// Fields marked for the built-in form KPIs (on-time rate, budget variance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kpis: Option<FormKpisDef>,
    /// What the record's results mean once its process ended (locked fields, 变更).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_approval: Option<crate::AfterApprovalDef>,
}

impl FormDef {
    /// Field keys declared in the schema's top-level `properties`, in key order.
    pub fn field_keys(&self) -> Vec<&str> {
        self.schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Field keys of a sub-table field (an array of objects), if `key` is one.
    pub fn subtable_keys(&self, key: &str) -> Option<Vec<&str>> {
        let items = self.schema.get("properties")?.get(key)?.get("items")?;
        let props = items.get("properties")?.as_object()?;
        Some(props.keys().map(String::as_str).collect())
    }
}

/// Presentation of a form: field order and per-field widgets, labels and rules.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UiDef {
    #[serde(default)]
    pub order: Vec<String>,
    /// Titled groups of fields, each in one or two columns. When present, `order` is the
    /// sections' fields in turn (the designer keeps both).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<SectionDef>,
    #[serde(default)]
    pub fields: BTreeMap<String, FieldUiDef>,
}

/// A titled group of a form's fields. In two columns, wide fields (multi-line text, rich text,
/// attachments, sub-tables) still take a whole row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionDef {
    pub id: String,
    pub title: Text,
    /// 1 or 2.
    #[serde(default = "one_column")]
    pub columns: u8,
    pub fields: Vec<String>,
}

fn one_column() -> u8 {
    1
}

/// How one field is shown and which rules apply to it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldUiDef {
    #[serde(default)]
    pub label: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Text>,
    /// Widget name, e.g. `text`, `textarea`, `money`, `date`, `select`, `subtable`, `user`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub widget: Option<String>,
    /// Choice labels for select / radio / multi-select widgets, keyed by stored value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_when: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_when: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readonly_when: Option<String>,
    /// Expression giving the initial value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Expression for a computed, read-only field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute: Option<String>,
    /// Analyst overrides of Formwork's messages, keyed by error code (`minimum`, `pattern`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub messages: BTreeMap<String, Text>,
    /// Nested field presentation for sub-tables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, FieldUiDef>,
    /// Column order of a sub-table (its `fields` map is keyed, hence unordered).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order: Vec<String>,
}

/// A cross-field check: when `check` is false the record is refused with `message` on `path`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckDef {
    pub id: String,
    /// Expression that must be true for the record to be accepted.
    pub check: String,
    /// Field the message is shown beside, as a JSON pointer (`/end_date`).
    pub path: String,
    pub message: Text,
}

/// Gap-free numbering of a form's records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberingDef {
    /// Pattern with `{year}` and `{seq:0N}` placeholders.
    pub pattern: String,
}

/// Who may do what with a form's records, by role id (`*` means every signed-in user).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FormPermissionsDef {
    #[serde(default)]
    pub create: Vec<String>,
    #[serde(default)]
    pub read_own: Vec<String>,
    #[serde(default)]
    pub read_department: Vec<String>,
    #[serde(default)]
    pub read_all: Vec<String>,
    #[serde(default)]
    pub edit_own: Vec<String>,
    #[serde(default)]
    pub edit_all: Vec<String>,
    /// Roles that read the records whose `customer` field names the customer their account
    /// is linked to (client contacts in the portal).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read_customer: Vec<String>,
    /// Who may read and write single fields, by field key; a field not listed is read and
    /// written by whoever reads and edits the record.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, FieldPermissionDef>,
}

/// The roles that may read and write one field (admins always may).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldPermissionDef {
    /// Roles that read the field; `None`: whoever reads the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<Vec<String>>,
    /// Roles that write the field (they must read it too); `None`: whoever reads it and
    /// may edit the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write: Option<Vec<String>>,
}
