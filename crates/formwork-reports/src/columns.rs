//! Names in a report resolved to typed columns of its source, for one viewer.
//!
//! Record reports read the form's fields (kinds from `formwork-forms`) and the system
//! columns; task reports read the task columns. A form field the viewer may not read
//! resolves exactly like one that does not exist.

use std::collections::BTreeSet;

use formwork_forms::{CompiledForm, FieldKind};
use formwork_model::{AppDef, ReportSource};

use crate::error::PlanError;
use crate::ir::{
    ColumnRef, Display, OutputColumn, RecordColumn, Storage, TaskColumn, Unit, ValueType,
};
use crate::labels::{self, ACTIONS, Labels, STATUSES};

/// A name resolved for one use.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Resolved {
    pub column: ColumnRef,
    pub value_type: ValueType,
    pub label: String,
    pub display: Display,
    /// `duration_hours` reads the duration column and shows hours.
    pub unit: Unit,
    /// For select and radio fields: the option values in order (kanban lanes).
    pub options: Vec<String>,
}

impl Resolved {
    pub fn output(&self, key: &str) -> OutputColumn {
        OutputColumn {
            key: key.to_owned(),
            label: self.label.clone(),
            value_type: self.value_type,
        }
    }

    pub fn storage(&self) -> Option<Storage> {
        match &self.column {
            ColumnRef::Field { storage, .. } => Some(*storage),
            _ => None,
        }
    }

    /// Whether values are numbers that add up (numbers, money, durations).
    pub fn is_additive(&self) -> bool {
        matches!(
            self.value_type,
            ValueType::Number | ValueType::Money | ValueType::Duration
        ) && !self.display.boolean
    }

    /// Whether values are dates or instants.
    pub fn is_temporal(&self) -> bool {
        matches!(self.value_type, ValueType::Date | ValueType::Datetime)
    }

    /// Whether the column holds one comparable value per row (not a sub-table or a list).
    pub fn is_scalar(&self) -> bool {
        self.storage() != Some(Storage::Json)
    }
}

/// What names of one source mean for one viewer.
pub(crate) struct Resolver<'a> {
    pub app: &'a AppDef,
    pub form: &'a CompiledForm,
    pub source: ReportSource,
    pub readable: &'a BTreeSet<String>,
    pub lang: &'a str,
    pub labels: &'a dyn Labels,
}

impl Resolver<'_> {
    /// Resolves `name`, or refuses it as unknown at `at`.
    pub fn resolve(&self, name: &str, at: &str) -> Result<Resolved, PlanError> {
        let found = match self.source {
            ReportSource::Records => self.record_column(name).or_else(|| self.field(name)),
            ReportSource::Tasks => self.task_column(name),
        };
        found.ok_or_else(|| PlanError::UnknownField {
            at: at.to_owned(),
            field: name.to_owned(),
        })
    }

    fn system(&self, name: &str, column: ColumnRef, value_type: ValueType) -> Resolved {
        let label = labels::system_column(name)
            .map(|(zh, en)| labels::pick(self.lang, zh, en))
            .unwrap_or_else(|| name.to_owned());
        Resolved {
            column,
            value_type,
            label,
            display: Display::default(),
            unit: Unit::AsIs,
            options: Vec::new(),
        }
    }

    fn statuses(&self) -> Display {
        let labels = STATUSES
            .iter()
            .filter_map(|s| Some(((*s).to_owned(), self.labels.status(self.lang, s)?)))
            .collect();
        Display {
            labels,
            boolean: false,
        }
    }

    fn record_column(&self, name: &str) -> Option<Resolved> {
        let (column, value_type) = match name {
            "id" => (RecordColumn::Id, ValueType::Text),
            "number" => (RecordColumn::Number, ValueType::Text),
            "owner" | "submitter" => (RecordColumn::Owner, ValueType::User),
            "department" => (RecordColumn::Department, ValueType::Department),
            "status" => (RecordColumn::Status, ValueType::Text),
            "created_at" => (RecordColumn::CreatedAt, ValueType::Datetime),
            "updated_at" => (RecordColumn::UpdatedAt, ValueType::Datetime),
            _ => return None,
        };
        let mut r = self.system(name, ColumnRef::Record { column }, value_type);
        if column == RecordColumn::Status {
            r.display = self.statuses();
        }
        Some(r)
    }

    fn task_column(&self, name: &str) -> Option<Resolved> {
        let (column, value_type) = match name {
            "process" => (TaskColumn::Process, ValueType::Text),
            "node" => (TaskColumn::Node, ValueType::Text),
            "assignee" => (TaskColumn::Assignee, ValueType::User),
            "action" => (TaskColumn::Action, ValueType::Text),
            "status" => (TaskColumn::Status, ValueType::Text),
            "created_at" => (TaskColumn::CreatedAt, ValueType::Datetime),
            "decided_at" => (TaskColumn::DecidedAt, ValueType::Datetime),
            "due_at" => (TaskColumn::DueAt, ValueType::Datetime),
            "duration" => (TaskColumn::Duration, ValueType::Duration),
            "duration_hours" => (TaskColumn::Duration, ValueType::Number),
            "overdue" => (TaskColumn::Overdue, ValueType::Text),
            _ => return None,
        };
        let mut r = self.system(name, ColumnRef::Task { column }, value_type);
        match name {
            "duration_hours" => r.unit = Unit::SecondsToHours,
            "overdue" => r.display.boolean = true,
            "status" => r.display = self.statuses(),
            "action" => {
                r.display.labels = ACTIONS
                    .iter()
                    .filter_map(|a| Some(((*a).to_owned(), self.labels.action(self.lang, a)?)))
                    .collect();
            }
            "node" | "process" => r.display.labels = self.process_names(name == "node"),
            _ => {}
        }
        Some(r)
    }

    /// Names of the form's processes, or of their nodes, in the viewer's language.
    fn process_names(&self, nodes: bool) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for p in self
            .app
            .processes
            .iter()
            .filter(|p| p.form == self.form.def().id)
        {
            if !nodes {
                out.push((p.id.clone(), p.name.get(self.lang).to_owned()));
                continue;
            }
            for n in &p.nodes {
                if let Some(name) = &n.name
                    && !out.iter().any(|(id, _)| id == &n.id)
                {
                    out.push((n.id.clone(), name.get(self.lang).to_owned()));
                }
            }
        }
        out
    }

    fn field(&self, key: &str) -> Option<Resolved> {
        if !self.readable.contains(key) {
            return None;
        }
        let field = self.form.field(key)?;
        let (storage, value_type, boolean) = match &field.kind {
            FieldKind::Integer | FieldKind::Decimal | FieldKind::Percent => {
                (Storage::Number, ValueType::Number, false)
            }
            FieldKind::Money => (Storage::Money, ValueType::Money, false),
            FieldKind::Date => (Storage::Date, ValueType::Date, false),
            FieldKind::DateTime => (Storage::Datetime, ValueType::Datetime, false),
            FieldKind::Checkbox => (Storage::Bool, ValueType::Text, true),
            FieldKind::User { multiple: false } => (Storage::Text, ValueType::User, false),
            FieldKind::Department { multiple: false } => {
                (Storage::Text, ValueType::Department, false)
            }
            FieldKind::MultiSelect
            | FieldKind::User { .. }
            | FieldKind::Department { .. }
            | FieldKind::Attachments(_)
            | FieldKind::SubTable
            | FieldKind::Json => (Storage::Json, ValueType::Text, false),
            _ => (Storage::Text, ValueType::Text, false),
        };
        let option_labels: Vec<(String, String)> = field
            .options
            .iter()
            .filter_map(|(v, t)| Some((v.as_str()?.to_owned(), t.get(self.lang).to_owned())))
            .collect();
        Some(Resolved {
            column: ColumnRef::Field {
                key: key.to_owned(),
                storage,
            },
            value_type,
            label: field.label.get(self.lang).to_owned(),
            options: option_labels.iter().map(|(v, _)| v.clone()).collect(),
            display: Display {
                labels: option_labels,
                boolean,
            },
            unit: Unit::AsIs,
        })
    }
}

/// Refuses `r` for `usage` unless `ok`.
pub(crate) fn require(
    ok: bool,
    at: &str,
    name: &str,
    usage: &'static str,
) -> Result<(), PlanError> {
    if ok {
        Ok(())
    } else {
        Err(PlanError::FieldUnfit {
            at: at.to_owned(),
            field: name.to_owned(),
            usage,
        })
    }
}

/// How a form field of `kind` is stored in the record's JSON, as reports read it: the same
/// storage [`Resolver`] gives a field (typed projections are built from it).
pub fn field_storage(kind: &FieldKind) -> Storage {
    match kind {
        FieldKind::Integer | FieldKind::Decimal | FieldKind::Percent => Storage::Number,
        FieldKind::Money => Storage::Money,
        FieldKind::Date => Storage::Date,
        FieldKind::DateTime => Storage::Datetime,
        FieldKind::Checkbox => Storage::Bool,
        FieldKind::User { multiple: false } | FieldKind::Department { multiple: false } => {
            Storage::Text
        }
        FieldKind::MultiSelect
        | FieldKind::User { .. }
        | FieldKind::Department { .. }
        | FieldKind::Attachments(_)
        | FieldKind::SubTable
        | FieldKind::Json => Storage::Json,
        _ => Storage::Text,
    }
}
