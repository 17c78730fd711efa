//! A submission in, a clean record or field errors out.
//!
//! The steps, in order:
//! 1. **merge** the input over the previous data (on update; a key the client leaves out keeps
//!    its value, `null` or `""` clears it). System fields are refused (`system_field`), keys
//!    the form does not have are refused (`unknown_field`) unless the previous record holds
//!    the same value (a field removed in a newer version, sent back unchanged), computed and
//!    relation-filled values are ignored, auto-numbers are refused (`auto_number`). Values are
//!    normalised ([`crate::normalize`]). On update, a field whose `readonly_when` is true for
//!    the *previous* record keeps its value and a change is refused (`read_only`).
//! 2. on create, **defaults** fill empty fields. A field whose `readonly_when` is true for the
//!    record made of defaults alone only takes its default (`readonly_when: "true"` on an
//!    application date defaulting to `today`).
//! 3. **computed** fields are evaluated, then each sub-table row gets its defaults (new rows),
//!    computed columns and visibility; then `visible_when` drops hidden fields, and computed
//!    fields are evaluated again over what is left.
//! 4. **validation**: the compiled JSON Schema, required / `required_when` (never for hidden,
//!    read-only or server-set fields), exact money bounds, URL schemes and attachment limits,
//!    then the form's `checks`. A check is skipped while a field it reads is empty or already
//!    refused: checks compare filled-in values (`end_date >= start_date`), presence is what
//!    `required_when` says, and a person sees one message per field.
//!
//! Sub-table rows are sent whole and matched to the previous rows by position.

use std::collections::HashSet;

use formwork_model::problem::escape_token;
use formwork_model::{Text, expr};
use serde_json::{Map, Value};

use crate::compile::CompiledForm;
use crate::field::Field;
use crate::kind::FieldKind;
use crate::messages::{self, At, FieldError, Params, text};
use crate::normalize;
use crate::record::{CleanRecord, SubmitContext, collect};
use crate::scope::{self, record_scope, row_scope, scope_value, system_scope};
use crate::validate;

/// Keys a client may never send: the system maintains them.
pub const SYSTEM_KEYS: &[&str] = &[
    "id",
    "owner",
    "status",
    "rev",
    "version",
    "number",
    "created_at",
    "updated_at",
    "submitter",
    "now",
    "today",
];

mod checks;

impl CompiledForm {
    /// Validates a submission: `previous` is the stored data on update, `None` on create.
    ///
    /// Every error is returned at once, in form order; see the module docs for the rules.
    pub fn submit(
        &self,
        input: &Value,
        ctx: &SubmitContext,
        previous: Option<&Value>,
    ) -> Result<CleanRecord, Vec<FieldError>> {
        self.run(input, ctx, previous, false)
    }

    /// Checks a draft (暂存): the same steps as [`CompiledForm::submit`], but only values that
    /// cannot be of their field's type (and keys the form does not have) are refused;
    /// required fields, the schema's other limits and the form's checks wait for the
    /// submission.
    pub fn draft(
        &self,
        input: &Value,
        ctx: &SubmitContext,
        previous: Option<&Value>,
    ) -> Result<CleanRecord, Vec<FieldError>> {
        self.run(input, ctx, previous, true)
    }

    fn run(
        &self,
        input: &Value,
        ctx: &SubmitContext,
        previous: Option<&Value>,
        draft: bool,
    ) -> Result<CleanRecord, Vec<FieldError>> {
        let Some(input) = input.as_object() else {
            return Err(vec![messages::not_an_object()]);
        };
        let mut run = Run {
            form: self,
            system: system_scope(Some(ctx)),
            prev: previous.and_then(Value::as_object),
            data: previous
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            errors: Vec::new(),
            refused: HashSet::new(),
            pending: Vec::new(),
            readonly: HashSet::new(),
            hidden: HashSet::new(),
            draft,
        };
        run.merge(input);
        if run.prev.is_none() {
            run.defaults(input);
        }
        run.compute();
        run.rows();
        run.visibility();
        run.compute();
        run.validate();
        run.finish()
    }
}

struct Run<'a> {
    form: &'a CompiledForm,
    system: Map<String, Value>,
    prev: Option<&'a Map<String, Value>>,
    data: Map<String, Value>,
    errors: Vec<FieldError>,
    /// Paths that already carry an error; the first error of a path wins.
    refused: HashSet<String>,
    /// Errors of values that may yet turn out hidden; reported by `validate` if not.
    pending: Vec<FieldError>,
    readonly: HashSet<String>,
    hidden: HashSet<String>,
    /// Checking a draft: type errors only.
    draft: bool,
}

fn pointer(key: &str) -> String {
    format!("/{}", escape_token(key))
}

impl<'a> Run<'a> {
    fn push(&mut self, error: FieldError) {
        if self.refused.insert(error.path.clone()) {
            self.errors.push(error);
        }
    }

    fn scope(&self) -> Value {
        record_scope(&self.form.fields, &self.data, &self.system)
    }

    fn prev_scope(&self) -> Option<Value> {
        self.prev
            .map(|prev| record_scope(&self.form.fields, prev, &self.system))
    }

    fn set(data: &mut Map<String, Value>, key: &str, value: Option<Value>) {
        match value {
            Some(v) => data.insert(key.to_owned(), v),
            None => data.remove(key),
        };
    }

    fn merge(&mut self, input: &Map<String, Value>) {
        let form = self.form;
        let prev_scope = self.prev_scope();
        if let Some(prev_scope) = &prev_scope {
            for field in &form.fields {
                if scope::flag(field.ui.readonly_when.as_deref(), prev_scope, false, true) {
                    self.readonly.insert(pointer(&field.key));
                }
            }
        }
        for (key, value) in input {
            let path = pointer(key);
            let before = self.prev.and_then(|p| p.get(key));
            if SYSTEM_KEYS.contains(&key.as_str()) {
                self.push(messages::system_field(path, key));
                continue;
            }
            let Some(field) = form.field(key) else {
                if before != Some(value) {
                    self.push(messages::unknown_field(path, key));
                }
                continue;
            };
            let at = At { field, row: None };
            if field.ui.compute.is_some() || field.filled_by_relation {
                continue;
            }
            if field.kind == FieldKind::AutoNumber {
                let unchanged =
                    before == Some(value) || (before.is_none() && normalize::is_empty(value));
                if !unchanged {
                    self.push(messages::error(path, at, "auto_number", &Params::default()));
                }
                continue;
            }
            let read_only = self.readonly.contains(&path);
            let normalized = if field.kind == FieldKind::SubTable {
                let (rows, errors) = self.merge_rows(field, value, prev_scope.as_ref());
                if !read_only {
                    self.pending.extend(errors);
                }
                Ok(rows)
            } else {
                normalize::input(field, value)
            };
            match normalized {
                Err(code) if !read_only => {
                    // The refused value stays out of the data, so rules read it as empty.
                    self.pending
                        .push(messages::error(path, at, code, &Params::default()));
                    self.data.remove(key);
                }
                Err(_) => self.push(messages::error(path, at, "read_only", &Params::default())),
                Ok(v) if read_only => {
                    if v.as_ref() != before {
                        self.push(messages::error(path, at, "read_only", &Params::default()));
                    }
                }
                Ok(v) => Self::set(&mut self.data, key, v),
            }
        }
    }

    /// The normalised rows of a sub-table and the errors found in them.
    fn merge_rows(
        &mut self,
        table: &'a Field,
        value: &Value,
        prev_scope: Option<&Value>,
    ) -> (Option<Value>, Vec<FieldError>) {
        let Value::Array(rows) = value else {
            return (normalize::input(table, value).ok().flatten(), Vec::new());
        };
        let table_path = pointer(&table.key);
        let prev_rows = self
            .prev
            .and_then(|p| p.get(&table.key))
            .and_then(Value::as_array);
        let mut errors = Vec::new();
        let mut clean_rows = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let Value::Object(cells) = row else {
                clean_rows.push(row.clone());
                continue;
            };
            let prev_row = prev_rows.and_then(|r| r.get(i));
            let prev_cells = prev_row.and_then(Value::as_object);
            let mut clean = Map::new();
            if let (Some(prev_row), Some(prev_scope)) = (prev_row, prev_scope) {
                let scope = row_scope(prev_scope, table, prev_row);
                for column in &table.columns {
                    if scope::flag(column.ui.readonly_when.as_deref(), &scope, false, true) {
                        self.readonly
                            .insert(format!("{table_path}/{i}/{}", escape_token(&column.key)));
                        if let Some(v) = prev_row.get(&column.key) {
                            clean.insert(column.key.clone(), v.clone());
                        }
                    }
                }
            }
            for (key, value) in cells {
                let path = format!("{table_path}/{i}/{}", escape_token(key));
                let before = prev_cells.and_then(|c| c.get(key));
                let Some(column) = table.column(key) else {
                    if before == Some(value) {
                        clean.insert(key.clone(), value.clone());
                    } else {
                        errors.push(messages::unknown_field(path, key));
                    }
                    continue;
                };
                let at = At {
                    field: column,
                    row: Some((table, i)),
                };
                if column.ui.compute.is_some() || column.filled_by_relation {
                    continue;
                }
                if column.kind == FieldKind::AutoNumber {
                    if before != Some(value) && !normalize::is_empty(value) {
                        errors.push(messages::error(path, at, "auto_number", &Params::default()));
                    }
                    continue;
                }
                let read_only = self.readonly.contains(&path);
                match normalize::input(column, value) {
                    Ok(v) if read_only => {
                        if v.as_ref() != before {
                            errors.push(messages::error(path, at, "read_only", &Params::default()));
                        }
                    }
                    Err(_) if read_only => {
                        errors.push(messages::error(path, at, "read_only", &Params::default()));
                    }
                    Ok(v) => Self::set(&mut clean, key, v),
                    Err(code) => errors.push(messages::error(path, at, code, &Params::default())),
                }
            }
            clean_rows.push(Value::Object(clean));
        }
        (Some(Value::Array(clean_rows)), errors)
    }

    fn defaults(&mut self, input: &Map<String, Value>) {
        let form = self.form;
        let mut scope = self.scope();
        // The record as it would be with defaults alone: read-only on create is decided on
        // it, as read-only on update is decided on the previous record.
        let mut base = Map::new();
        let mut base_scope = record_scope(&form.fields, &base, &self.system);
        for field in &form.fields {
            let Some(src) = field.ui.default.as_deref() else {
                continue;
            };
            if field.is_server_set() {
                continue;
            }
            if let Some(v) =
                scope::value(src, &base_scope).and_then(|v| normalize::expression(field, &v))
            {
                if let Value::Object(s) = &mut base_scope {
                    s.insert(field.key.clone(), scope_value(field, Some(&v)));
                }
                base.insert(field.key.clone(), v);
            }
            if self.data.contains_key(&field.key) {
                continue;
            }
            if let Some(v) =
                scope::value(src, &scope).and_then(|v| normalize::expression(field, &v))
            {
                if let Value::Object(s) = &mut scope {
                    s.insert(field.key.clone(), scope_value(field, Some(&v)));
                }
                self.data.insert(field.key.clone(), v);
            }
        }
        for field in &form.fields {
            if field.is_server_set()
                || !scope::flag(field.ui.readonly_when.as_deref(), &base_scope, false, true)
            {
                continue;
            }
            let path = pointer(&field.key);
            self.readonly.insert(path.clone());
            let sent = input
                .get(&field.key)
                .is_some_and(|v| !normalize::is_empty(v));
            if !sent {
                continue;
            }
            let pending = self.pending.len();
            self.pending.retain(|e| e.path != path);
            let default = base.get(&field.key);
            if pending != self.pending.len() || default != self.data.get(&field.key) {
                let at = At { field, row: None };
                self.push(messages::error(path, at, "read_only", &Params::default()));
            }
            Self::set(&mut self.data, &field.key, default.cloned());
        }
    }

    fn compute(&mut self) {
        let form = self.form;
        let mut scope = self.scope();
        for &i in &form.compute_order {
            let field = &form.fields[i];
            if self.hidden.contains(&pointer(&field.key)) {
                continue;
            }
            let Some(src) = field.ui.compute.as_deref() else {
                continue;
            };
            let v = scope::value(src, &scope).and_then(|v| normalize::expression(field, &v));
            if let Value::Object(s) = &mut scope {
                s.insert(field.key.clone(), scope_value(field, v.as_ref()));
            }
            Self::set(&mut self.data, &field.key, v);
        }
    }

    fn rows(&mut self) {
        let form = self.form;
        let record = self.scope();
        let creating = self.prev.is_none();
        for (t, table) in form.fields.iter().enumerate() {
            if table.kind != FieldKind::SubTable {
                continue;
            }
            let prev_len = self
                .prev
                .and_then(|p| p.get(&table.key))
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let Some(Value::Array(rows)) = self.data.get_mut(&table.key) else {
                continue;
            };
            let table_path = pointer(&table.key);
            for (i, row) in rows.iter_mut().enumerate() {
                if !row.is_object() {
                    continue;
                }
                if creating || i >= prev_len {
                    for column in &table.columns {
                        let Some(src) = column.ui.default.as_deref() else {
                            continue;
                        };
                        if column.is_server_set() || row.get(&column.key).is_some() {
                            continue;
                        }
                        let scope = row_scope(&record, table, row);
                        let v = scope::value(src, &scope)
                            .and_then(|v| normalize::expression(column, &v));
                        set_cell(row, &column.key, v);
                    }
                }
                for &c in form.row_compute_order.get(&t).into_iter().flatten() {
                    let column = &table.columns[c];
                    let Some(src) = column.ui.compute.as_deref() else {
                        continue;
                    };
                    let scope = row_scope(&record, table, row);
                    let v =
                        scope::value(src, &scope).and_then(|v| normalize::expression(column, &v));
                    set_cell(row, &column.key, v);
                }
                let scope = row_scope(&record, table, row);
                for column in &table.columns {
                    if !scope::flag(column.ui.visible_when.as_deref(), &scope, true, true) {
                        set_cell(row, &column.key, None);
                        self.hidden
                            .insert(format!("{table_path}/{i}/{}", escape_token(&column.key)));
                    }
                }
            }
        }
    }

    fn visibility(&mut self) {
        let scope = self.scope();
        for field in &self.form.fields {
            if !scope::flag(field.ui.visible_when.as_deref(), &scope, true, true) {
                self.hidden.insert(pointer(&field.key));
                self.data.remove(&field.key);
            }
        }
    }

    fn finish(mut self) -> Result<CleanRecord, Vec<FieldError>> {
        if !self.errors.is_empty() {
            let form = self.form;
            self.errors
                .sort_by_cached_key(|e| validate::position(form, &e.path));
            return Err(self.errors);
        }
        let mut record = CleanRecord {
            data: Value::Null,
            attachments: Vec::new(),
            references: Vec::new(),
            auto_numbers: Vec::new(),
        };
        for field in &self.form.fields {
            let path = pointer(&field.key);
            match self.data.get(&field.key) {
                None if field.kind == FieldKind::AutoNumber => {
                    record.auto_numbers.push(field.key.clone());
                }
                None => {}
                Some(Value::Array(rows)) if field.kind == FieldKind::SubTable => {
                    for (i, row) in rows.iter().enumerate() {
                        for column in &field.columns {
                            if let Some(v) = row.get(&column.key) {
                                let at = format!("{path}/{i}/{}", escape_token(&column.key));
                                collect(&mut record, column, &at, v);
                            }
                        }
                    }
                }
                Some(v) => collect(&mut record, field, &path, v),
            }
        }
        record.data = Value::Object(self.data);
        Ok(record)
    }
}

/// Whether `path` is `at` or inside it.
fn under(path: &str, at: &str) -> bool {
    path.strip_prefix(at)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn set_cell(row: &mut Value, key: &str, value: Option<Value>) {
    if let Value::Object(cells) = row {
        Run::set(cells, key, value);
    }
}

/// The text of a check's message in zh-CN and en (en falls back to zh-CN).
fn both(message: &Text) -> Text {
    text(
        message.get("zh-CN").to_owned(),
        message.get("en").to_owned(),
    )
}
