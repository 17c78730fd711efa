//! Validation of an app package: first against `schemas/app-package.schema.json`, then, if that
//! passes, the semantic checks the schema cannot express (ids, references, expressions, process
//! graphs). Every fault is reported, each with a JSON pointer into the package.

use std::collections::{BTreeSet, HashSet};

use serde_json::Value;

use crate::def::{AppDef, AssigneeDef, DeadlineDef, FieldUiDef, FormDef, NodeKind, ProcessDef};
use crate::expr::{self, ROW, SYSTEM_FIELDS};
use crate::graph::ProcessGraph;
pub use crate::problem::Problem;
use crate::problem::{Fault, escape_token};
use crate::schema;

mod reports;
mod rules;

/// Role reference meaning every signed-in user.
pub const ANY_ROLE: &str = "*";

/// Words of the expression language a field key may not take.
const KEYWORDS: &[&str] = &[
    "true", "false", "none", "True", "False", "None", "and", "or", "not", "in", "is", "if", "else",
    "loop",
];

/// Parses and validates a package from its JSON text.
pub fn parse_package(text: &str) -> Result<AppDef, Vec<Problem>> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        vec![
            Fault::InvalidJson {
                detail: e.to_string(),
            }
            .at(""),
        ]
    })?;
    validate_package(&value)
}

/// Validates a package and returns it typed, or every fault found.
///
/// Schema faults stop validation before the semantic checks, which assume the shape is right.
pub fn validate_package(package: &Value) -> Result<AppDef, Vec<Problem>> {
    let validator = schema::package_validator().map_err(|e| {
        vec![
            Fault::SchemaViolation {
                detail: format!("the built-in package schema does not compile: {e}"),
            }
            .at(""),
        ]
    })?;
    let mut problems: Vec<Problem> = Vec::new();
    for error in validator.iter_errors(package) {
        for problem in schema::describe_error(&error) {
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    typed_and_checked(package.clone())
}

/// A package as stored when it was published, so one that passed the schema then: read into
/// the typed model and given the semantic checks again (the compiled app relies on them), the
/// schema not checked again. Its validator, compiled for that check alone, stayed 1.3 MB of
/// every server's memory from the first app it loaded.
pub fn read_published(package: Value) -> Result<AppDef, Vec<Problem>> {
    typed_and_checked(package)
}

fn typed_and_checked(package: Value) -> Result<AppDef, Vec<Problem>> {
    let app: AppDef = serde_json::from_value(package).map_err(|e| {
        vec![
            Fault::InvalidPackage {
                detail: e.to_string(),
            }
            .at(""),
        ]
    })?;
    let problems = check_semantics(&app);
    if problems.is_empty() {
        Ok(app)
    } else {
        Err(problems)
    }
}

/// The semantic checks alone, for a package already known to fit the schema.
pub fn check_semantics(app: &AppDef) -> Vec<Problem> {
    let mut checker = Checker {
        app,
        roles: app.roles.iter().map(|r| r.id.as_str()).collect(),
        problems: Vec::new(),
    };
    checker.run();
    checker.problems
}

/// Names an expression may read; `None` when the form is unknown and names cannot be judged.
type Scope = Option<BTreeSet<String>>;

struct Checker<'a> {
    app: &'a AppDef,
    roles: HashSet<&'a str>,
    problems: Vec<Problem>,
}

impl<'a> Checker<'a> {
    fn run(&mut self) {
        let app = self.app;
        self.unique(
            app.roles
                .iter()
                .enumerate()
                .map(|(i, r)| (format!("/roles/{i}/id"), r.id.as_str())),
        );
        self.unique(
            app.forms
                .iter()
                .enumerate()
                .map(|(i, f)| (format!("/forms/{i}/id"), f.id.as_str())),
        );
        self.unique(
            app.processes
                .iter()
                .enumerate()
                .map(|(i, p)| (format!("/processes/{i}/id"), p.id.as_str())),
        );
        self.unique(
            app.reports
                .iter()
                .enumerate()
                .map(|(i, r)| (format!("/reports/{i}/id"), r.id.as_str())),
        );
        self.unique(
            app.dashboards
                .iter()
                .enumerate()
                .map(|(i, d)| (format!("/dashboards/{i}/id"), d.id.as_str())),
        );
        self.unique(
            app.rules
                .iter()
                .enumerate()
                .map(|(i, r)| (format!("/rules/{i}/id"), r.id.as_str())),
        );
        for (i, form) in app.forms.iter().enumerate() {
            self.form(&format!("/forms/{i}"), form);
        }
        for (i, process) in app.processes.iter().enumerate() {
            self.process(&format!("/processes/{i}"), process);
        }
        for (i, report) in app.reports.iter().enumerate() {
            self.report(&format!("/reports/{i}"), report);
        }
        for (d, dashboard) in app.dashboards.iter().enumerate() {
            self.dashboard(&format!("/dashboards/{d}"), dashboard);
        }
        for (i, rule) in app.rules.iter().enumerate() {
            self.rule(&format!("/rules/{i}"), rule);
        }
        self.unique(
            app.hooks
                .iter()
                .enumerate()
                .map(|(i, h)| (format!("/hooks/{i}/id"), h.id.as_str())),
        );
        for (i, hook) in app.hooks.iter().enumerate() {
            self.hook(&format!("/hooks/{i}"), hook);
        }
    }

    fn push(&mut self, fault: Fault<'_>, at: impl Into<String>) {
        self.problems.push(fault.at(at));
    }

    fn unique<'b>(&mut self, items: impl Iterator<Item = (String, &'b str)>) {
        let mut seen = HashSet::new();
        for (at, id) in items {
            if !seen.insert(id) {
                self.push(Fault::DuplicateId { id }, at);
            }
        }
    }

    /// Field keys of `form`, or `None` when its schema declares no properties to judge by.
    fn fields(form: &FormDef) -> Option<BTreeSet<String>> {
        form.schema.get("properties")?.as_object()?;
        Some(form.field_keys().into_iter().map(str::to_owned).collect())
    }

    fn form_named(&self, id: &str) -> Option<&'a FormDef> {
        self.app.form(id)
    }

    /// The scope of record expressions over `form`: its fields and the system fields.
    fn record_scope(form: Option<&FormDef>) -> Scope {
        let mut names = Self::fields(form?)?;
        names.extend(SYSTEM_FIELDS.iter().map(|s| (*s).to_owned()));
        Some(names)
    }

    fn expr(&mut self, at: impl Into<String>, src: &str, scope: &Scope) {
        self.names(at.into(), expr::variables(src), scope);
    }

    /// The names an expression or template reads, each checked against `scope`; or why its
    /// source does not compile.
    fn names(
        &mut self,
        at: String,
        read: Result<BTreeSet<String>, expr::ExprError>,
        scope: &Scope,
    ) {
        self.problems.extend(name_problems(&at, read, scope));
    }

    fn field_ref(&mut self, at: impl Into<String>, field: &str, fields: &Option<BTreeSet<String>>) {
        if let Some(fields) = fields
            && !fields.contains(field)
        {
            self.push(Fault::UnknownField { field }, at);
        }
    }

    fn role_ref(&mut self, at: impl Into<String>, role: &str) {
        if role != ANY_ROLE && !self.roles.contains(role) {
            self.push(Fault::UnknownRole { role }, at);
        }
    }

    fn form(&mut self, at: &str, form: &FormDef) {
        self.form_schema(at, form);
        let fields = Self::fields(form);
        let scope = Self::record_scope(Some(form));
        self.unique(
            form.checks
                .iter()
                .enumerate()
                .map(|(j, c)| (format!("{at}/checks/{j}/id"), c.id.as_str())),
        );
        for (j, check) in form.checks.iter().enumerate() {
            self.expr(format!("{at}/checks/{j}/check"), &check.check, &scope);
            let first = check
                .path
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or_default();
            let first = first.replace("~1", "/").replace("~0", "~");
            self.field_ref(format!("{at}/checks/{j}/path"), &first, &fields);
        }
        for (j, key) in form.ui.order.iter().enumerate() {
            self.field_ref(format!("{at}/ui/order/{j}"), key, &fields);
        }
        for (s, section) in form.ui.sections.iter().enumerate() {
            for (j, key) in section.fields.iter().enumerate() {
                self.field_ref(format!("{at}/ui/sections/{s}/fields/{j}"), key, &fields);
            }
        }
        for (key, ui) in &form.ui.fields {
            let ui_at = format!("{at}/ui/fields/{}", escape_token(key));
            self.field_ref(ui_at.clone(), key, &fields);
            self.field_ui(&ui_at, ui, &scope);
            let rows: Option<BTreeSet<String>> = form
                .subtable_keys(key)
                .map(|keys| keys.into_iter().map(str::to_owned).collect());
            let row_scope = scope.as_ref().map(|s| {
                let mut s = s.clone();
                s.extend(rows.iter().flatten().cloned());
                s.insert(ROW.to_owned());
                s
            });
            for (j, sub) in ui.order.iter().enumerate() {
                if rows.as_ref().is_some_and(|rows| !rows.contains(sub)) {
                    self.push(
                        Fault::UnknownField { field: sub },
                        format!("{ui_at}/order/{j}"),
                    );
                }
            }
            for (sub, sub_ui) in &ui.fields {
                let sub_at = format!("{ui_at}/fields/{}", escape_token(sub));
                match &rows {
                    Some(rows) if rows.contains(sub) => {}
                    _ if fields.is_none() => {}
                    _ => self.push(Fault::UnknownField { field: sub }, sub_at.clone()),
                }
                self.field_ui(&sub_at, sub_ui, &row_scope);
                for deeper in sub_ui.fields.keys() {
                    self.push(
                        Fault::UnknownField { field: deeper },
                        format!("{sub_at}/fields/{}", escape_token(deeper)),
                    );
                }
            }
        }
        if let Some(kpis) = &form.kpis {
            self.form_kpis(&format!("{at}/kpis"), form, kpis);
        }
        let p = &form.permissions;
        for (list, roles) in [
            ("create", &p.create),
            ("read_own", &p.read_own),
            ("read_department", &p.read_department),
            ("read_all", &p.read_all),
            ("edit_own", &p.edit_own),
            ("edit_all", &p.edit_all),
            ("read_customer", &p.read_customer),
        ] {
            for (j, role) in roles.iter().enumerate() {
                self.role_ref(format!("{at}/permissions/{list}/{j}"), role);
            }
        }
        if let Some(after) = &form.after_approval {
            self.after_approval(&format!("{at}/after_approval"), after, &fields);
        }
        for (field, rule) in &p.fields {
            let field_at = format!("{at}/permissions/fields/{}", escape_token(field));
            self.field_ref(field_at.clone(), field, &fields);
            for (list, roles) in [("read", &rule.read), ("write", &rule.write)] {
                for (j, role) in roles.iter().flatten().enumerate() {
                    self.role_ref(format!("{field_at}/{list}/{j}"), role);
                }
            }
        }
    }

    /// The fields that stay editable after approval must be fields of the form, and whoever
    /// edits them the owner or a declared role: a typo would silently lock the field.
    fn after_approval(
        &mut self,
        at: &str,
        after: &crate::AfterApprovalDef,
        fields: &Option<BTreeSet<String>>,
    ) {
        for (field, who) in &after.editable {
            let field_at = format!("{at}/editable/{}", escape_token(field));
            self.field_ref(field_at.clone(), field, fields);
            for (j, role) in who.iter().enumerate() {
                if role != crate::after_approval::OWNER {
                    self.role_ref(format!("{field_at}/{j}"), role);
                }
            }
        }
    }

    fn field_ui(&mut self, at: &str, ui: &FieldUiDef, scope: &Scope) {
        for (name, src) in [
            ("visible_when", &ui.visible_when),
            ("required_when", &ui.required_when),
            ("readonly_when", &ui.readonly_when),
            ("default", &ui.default),
            ("compute", &ui.compute),
        ] {
            if let Some(src) = src {
                self.expr(format!("{at}/{name}"), src, scope);
            }
        }
    }

    fn form_schema(&mut self, at: &str, form: &FormDef) {
        let schema_at = format!("{at}/schema");
        let meta = jsonschema::draft202012::meta::validator();
        let mut meta_ok = true;
        for error in meta.iter_errors(&form.schema) {
            meta_ok = false;
            self.push(
                Fault::InvalidFormSchema {
                    detail: error.to_string(),
                },
                format!("{schema_at}{}", error.instance_path().as_str()),
            );
        }
        if meta_ok && let Err(error) = schema::compile(&form.schema) {
            self.push(
                Fault::InvalidFormSchema {
                    detail: error.to_string(),
                },
                format!("{schema_at}{}", error.instance_path().as_str()),
            );
        }
        let is_object = form.schema.get("type").and_then(Value::as_str) == Some("object");
        let Some(props) = form.schema.get("properties").and_then(Value::as_object) else {
            self.push(Fault::FormSchemaNotObject, schema_at);
            return;
        };
        if !is_object {
            self.push(Fault::FormSchemaNotObject, schema_at.clone());
        }
        for (key, prop) in props {
            let prop_at = format!("{schema_at}/properties/{}", escape_token(key));
            if !is_field_key(key) || SYSTEM_FIELDS.contains(&key.as_str()) {
                self.push(Fault::InvalidFieldKey { key }, prop_at.clone());
            }
            let row_props = prop
                .get("items")
                .and_then(|i| i.get("properties"))
                .and_then(Value::as_object);
            for sub in row_props.into_iter().flat_map(|p| p.keys()) {
                if !is_field_key(sub) {
                    self.push(
                        Fault::InvalidFieldKey { key: sub },
                        format!("{prop_at}/items/properties/{}", escape_token(sub)),
                    );
                }
            }
        }
    }

    fn process(&mut self, at: &str, process: &ProcessDef) {
        let form = self.form_named(&process.form);
        if form.is_none() {
            self.push(
                Fault::UnknownForm {
                    form: &process.form,
                },
                format!("{at}/form"),
            );
        }
        let fields = form.and_then(Self::fields);
        let scope = Self::record_scope(form);
        // The engine compiles from the same analysis, so what passes here always runs.
        let graph = ProcessGraph::build(process);
        self.problems
            .extend(graph.problems().iter().cloned().map(|p| p.under(at)));
        for (e, edge) in process.edges.iter().enumerate() {
            if let Some(when) = &edge.when {
                self.expr(format!("{at}/edges/{e}/when"), when, &scope);
            }
        }
        for (n, node) in process.nodes.iter().enumerate() {
            let node_at = format!("{at}/nodes/{n}");
            match &node.kind {
                NodeKind::Approval(a) => {
                    self.assignee(&format!("{node_at}/assignee"), &a.assignee, &scope, &fields);
                    for key in a.fields.keys() {
                        self.field_ref(
                            format!("{node_at}/fields/{}", escape_token(key)),
                            key,
                            &fields,
                        );
                    }
                    if let Some(deadline) = &a.deadline {
                        self.deadline(&format!("{node_at}/deadline"), deadline, &fields);
                    }
                }
                NodeKind::Fill(f) => {
                    self.assignee(&format!("{node_at}/assignee"), &f.assignee, &scope, &fields);
                    for key in f.fields.keys() {
                        self.field_ref(
                            format!("{node_at}/fields/{}", escape_token(key)),
                            key,
                            &fields,
                        );
                    }
                    if let Some(deadline) = &f.deadline {
                        self.deadline(&format!("{node_at}/deadline"), deadline, &fields);
                    }
                }
                NodeKind::Cc { assignee } => {
                    self.assignee(&format!("{node_at}/assignee"), assignee, &scope, &fields);
                }
                NodeKind::Action { set } => {
                    for (key, value) in set {
                        let set_at = format!("{node_at}/set/{}", escape_token(key));
                        self.field_ref(set_at.clone(), key, &fields);
                        self.expr(set_at, value, &scope);
                    }
                }
                NodeKind::Wait(w) => {
                    if w.hours.is_none() && w.until_field.is_none() {
                        self.push(Fault::MissingDuration, node_at.clone());
                    }
                    if let Some(field) = &w.until_field {
                        self.field_ref(format!("{node_at}/until_field"), field, &fields);
                    }
                }
                NodeKind::Start
                | NodeKind::End { .. }
                | NodeKind::Condition
                | NodeKind::ParallelSplit
                | NodeKind::InclusiveSplit
                | NodeKind::ParallelJoin { .. } => {}
            }
        }
        // The inbox columns name fields of the process's form (a typo would show an empty
        // column to every approver).
        for (j, key) in process.inbox_columns.iter().enumerate() {
            self.field_ref(format!("{at}/inbox_columns/{j}"), key, &fields);
        }
        self.flow_tests(at, process, &fields);
    }

    /// Test cases: unique ids, and sample data naming only fields of the process's form.
    fn flow_tests(&mut self, at: &str, process: &ProcessDef, fields: &Option<BTreeSet<String>>) {
        self.unique(
            process
                .tests
                .iter()
                .enumerate()
                .map(|(t, c)| (format!("{at}/tests/{t}/id"), c.id.as_str())),
        );
        for (t, case) in process.tests.iter().enumerate() {
            for key in case.data.as_object().into_iter().flat_map(|o| o.keys()) {
                let data_at = format!("{at}/tests/{t}/data/{}", escape_token(key));
                self.field_ref(data_at, key, fields);
            }
        }
    }

    fn deadline(&mut self, at: &str, deadline: &DeadlineDef, fields: &Option<BTreeSet<String>>) {
        if deadline.hours.is_none() && deadline.until_field.is_none() {
            self.push(Fault::MissingDuration, at);
        }
        if let Some(field) = &deadline.until_field {
            self.field_ref(format!("{at}/until_field"), field, fields);
        }
    }

    fn assignee(
        &mut self,
        at: &str,
        assignee: &AssigneeDef,
        scope: &Scope,
        fields: &Option<BTreeSet<String>>,
    ) {
        match assignee {
            AssigneeDef::Role { role } => self.role_ref(format!("{at}/role"), role),
            AssigneeDef::Field { field } => self.field_ref(format!("{at}/field"), field, fields),
            AssigneeDef::Table { rows } => {
                for (r, row) in rows.iter().enumerate() {
                    if let Some(when) = &row.when {
                        self.expr(format!("{at}/rows/{r}/when"), when, scope);
                    }
                    self.assignee(
                        &format!("{at}/rows/{r}/assignee"),
                        &row.assignee,
                        scope,
                        fields,
                    );
                }
            }
            AssigneeDef::Expression { expr } => self.expr(format!("{at}/expr"), expr, scope),
            AssigneeDef::User { .. }
            | AssigneeDef::DepartmentHead { .. }
            | AssigneeDef::Submitter => {}
        }
    }
}

fn name_problems(
    at: &str,
    read: Result<BTreeSet<String>, expr::ExprError>,
    scope: &Scope,
) -> Vec<Problem> {
    match read {
        Err(e) => vec![
            Fault::InvalidExpression {
                detail: e.to_string(),
            }
            .at(at),
        ],
        Ok(names) => match scope {
            None => Vec::new(),
            Some(scope) => names
                .iter()
                .filter(|n| !scope.contains(*n))
                .map(|name| Fault::UnknownVariable { name: name.clone() }.at(at))
                .collect(),
        },
    }
}

/// What the package check would say about `src` as a record expression of `form` (syntax,
/// and every unknown name): the designer's expression box asks this as the analyst types.
/// Without a form only the syntax is judged.
pub fn check_expression(form: Option<&FormDef>, src: &str) -> Vec<Problem> {
    name_problems("", expr::variables(src), &Checker::record_scope(form))
}

/// Whether `key` can name a field: a lower-case identifier that expressions can read.
pub fn is_field_key(key: &str) -> bool {
    let mut chars = key.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    first_ok
        && key.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && key != ROW
        && !KEYWORDS.contains(&key)
        && !expr::is_builtin(key)
}
