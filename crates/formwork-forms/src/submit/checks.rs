//! Step 4 of a submission, **validation**: the compiled JSON Schema, `required` and
//! `required_when` (never for hidden, read-only or server-set fields), the checks of values
//! JSON Schema cannot make (exact money bounds, URL schemes, attachment limits), then the
//! form's cross-field `checks`.

use super::*;

impl Run<'_> {
    pub(super) fn validate(&mut self) {
        let form = self.form;
        for error in std::mem::take(&mut self.pending) {
            let hidden = self.hidden.iter().any(|h| under(&error.path, h));
            if !hidden {
                self.push(error);
            }
        }
        if self.draft {
            return;
        }
        let instance = Value::Object(self.data.clone());
        let schema_errors: Vec<FieldError> = form
            .validator
            .iter_errors(&instance)
            .map(|e| validate::schema_error(form, &e))
            .collect();
        schema_errors.into_iter().for_each(|e| self.push(e));

        let scope = self.scope();
        for field in &form.fields {
            let path = pointer(&field.key);
            if self.hidden.contains(&path) {
                continue;
            }
            let at = At { field, row: None };
            let value = self.data.get(&field.key).cloned();
            if self.required(field, &path, &scope) && normalize::is_blank(field, value.as_ref()) {
                self.push(messages::error(path, at, "required", &Params::default()));
                continue;
            }
            let Some(value) = value else { continue };
            validate::value_errors(at, &path, &value)
                .into_iter()
                .for_each(|e| self.push(e));
            if let (FieldKind::SubTable, Value::Array(rows)) = (&field.kind, &value) {
                self.validate_rows(field, rows, &scope);
            }
        }
        self.checks(&scope);
    }

    fn validate_rows(&mut self, table: &Field, rows: &[Value], record: &Value) {
        for (i, row) in rows.iter().enumerate() {
            if !row.is_object() {
                continue;
            }
            let scope = row_scope(record, table, row);
            for column in &table.columns {
                let path = format!(
                    "/{}/{i}/{}",
                    escape_token(&table.key),
                    escape_token(&column.key)
                );
                if self.hidden.contains(&path) {
                    continue;
                }
                let at = At {
                    field: column,
                    row: Some((table, i)),
                };
                let value = row.get(&column.key);
                if self.required(column, &path, &scope) && normalize::is_blank(column, value) {
                    self.push(messages::error(path, at, "required", &Params::default()));
                    continue;
                }
                if let Some(value) = value {
                    validate::value_errors(at, &path, value)
                        .into_iter()
                        .for_each(|e| self.push(e));
                }
            }
        }
    }

    fn required(&self, field: &Field, path: &str, scope: &Value) -> bool {
        !field.is_server_set()
            && !self.readonly.contains(path)
            && (field.required
                || scope::flag(field.ui.required_when.as_deref(), scope, false, false))
    }

    fn checks(&mut self, scope: &Value) {
        let form = self.form;
        for (check, vars) in &form.checks {
            if self.refused.contains(&check.path) {
                continue;
            }
            // Checks compare filled-in values; presence is what `required_when` is for.
            let blocked = vars
                .iter()
                .filter(|name| form.field(name).is_some())
                .any(|name| {
                    let at = pointer(name);
                    self.data.get(name.as_str()).is_none_or(normalize::is_empty)
                        || self.refused.iter().any(|p| under(p, &at))
                });
            if blocked {
                continue;
            }
            match expr::eval_bool(&check.check, scope) {
                Ok(true) => {}
                Ok(false) => self.push(FieldError {
                    path: check.path.clone(),
                    code: "check".to_owned(),
                    message: both(&check.message),
                }),
                Err(_) => {
                    let message = match validate::locate(form, &check.path) {
                        Some((at, _)) => messages::message(at, "rule_error", &Params::default()),
                        None => text(
                            "暂时无法检查此表单：表单规则有误，请联系管理员".to_owned(),
                            "This form could not be checked because one of its rules is broken; please contact the administrator".to_owned(),
                        ),
                    };
                    self.push(FieldError {
                        path: check.path.clone(),
                        code: "rule_error".to_owned(),
                        message,
                    });
                }
            }
        }
    }
}
