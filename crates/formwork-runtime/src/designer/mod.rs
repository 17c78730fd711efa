//! What the designer asks of a draft beyond saving it: compile a part of it (a form, a
//! process) even while other parts are unfinished, check a test submission, walk a process,
//! run the flow test cases, compare versions, publish with a note and roll back.
//!
//! Nothing here writes a record, an instance or a task; publishing and rolling back write a
//! version and its audit row.

mod diff;
mod diff_access;
mod diff_form;
mod flow_tests;

use formwork_model::{AppDef, FormDef, Problem, validate_package};
use formwork_store::{AppId, FormId, ProcessId};
use serde_json::Value;
use time::OffsetDateTime;

use crate::accounts::problem;
use crate::policy::Caller;
use crate::processes::UpcomingStep;
use crate::{Account, CompiledApp, Runtime, RuntimeError, RuntimeResult};

pub use diff::{Change, diff_packages};
pub use flow_tests::{FlowTestResult, PublishOptions};

/// Which version a diff compares: a published one or the draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionRef {
    Published(i64),
    Draft,
}

/// The draft's version number in compiled drafts: never stored (versions start at 1).
const DRAFT_VERSION: i64 = 0;

impl Runtime {
    /// The draft as JSON, for designers only.
    async fn draft_value(&self, app_id: &AppId, actor: &Account) -> RuntimeResult<Value> {
        let draft = self.get_draft(app_id, actor).await?;
        serde_json::from_str(&draft.package)
            .map_err(|e| RuntimeError::Internal(format!("stored draft: {e}")))
    }

    /// The draft with just `forms` and `processes` compiled, refused with the problems that
    /// point into them (problems elsewhere in the draft do not stop a preview).
    pub(crate) async fn draft_parts(
        &self,
        app_id: &AppId,
        actor: &Account,
        forms: &[&str],
        processes: &[&str],
    ) -> RuntimeResult<CompiledApp> {
        let package = self.draft_value(app_id, actor).await?;
        compile_parts(app_id, &package, forms, processes)
    }

    /// The draft's form, compiled, with the app's name in each language (for the preview).
    pub async fn draft_form(
        &self,
        app_id: &AppId,
        form_id: &FormId,
        actor: &Account,
    ) -> RuntimeResult<CompiledApp> {
        self.draft_parts(app_id, actor, &[form_id.as_str()], &[])
            .await
    }

    /// Checks `input` as a submission to the draft's form would: the same field errors (422),
    /// references and attachments resolved, nothing stored.
    pub async fn check_draft_record(
        &self,
        caller: &Caller,
        app_id: &AppId,
        form_id: &FormId,
        input: &Value,
    ) -> RuntimeResult<()> {
        let app = self.draft_form(app_id, form_id, &caller.user).await?;
        if !input.is_object() {
            return Err(RuntimeError::Invalid {
                problems: vec![problem(
                    "",
                    "not_an_object",
                    "记录数据必须是 JSON 对象",
                    "Record data must be a JSON object",
                )],
            });
        }
        let now = OffsetDateTime::now_utc();
        self.prepare_record(&app, caller, form_id, input, None, now, 0)
            .await
            .map(drop)
    }

    /// The steps a submission of `data` by `submitter` would go through in the draft's
    /// process, and who would get each; nothing is written.
    pub async fn simulate_draft(
        &self,
        caller: &Caller,
        app_id: &AppId,
        process_id: &ProcessId,
        submitter: &str,
        data: &Value,
    ) -> RuntimeResult<Vec<UpcomingStep>> {
        let package = self.draft_value(app_id, &caller.user).await?;
        let form = process_form(&package, process_id.as_str())
            .ok_or_else(|| RuntimeError::NotFound(format!("process {process_id}")))?;
        let app = compile_parts(app_id, &package, &[&form], &[process_id.as_str()])?;
        self.walk_ahead(&app, process_id, submitter, data).await
    }

    /// Every change from one version (or the draft) to another, in words.
    pub async fn diff_versions(
        &self,
        app_id: &AppId,
        from: VersionRef,
        to: VersionRef,
        actor: &Account,
    ) -> RuntimeResult<Vec<Change>> {
        let a = self.package_at(app_id, from, actor).await?;
        let b = self.package_at(app_id, to, actor).await?;
        Ok(diff_packages(&a, &b))
    }

    async fn package_at(
        &self,
        app_id: &AppId,
        at: VersionRef,
        actor: &Account,
    ) -> RuntimeResult<Value> {
        match at {
            VersionRef::Draft => self.draft_value(app_id, actor).await,
            VersionRef::Published(n) => {
                let v = self.get_version(app_id, Some(n), actor).await?;
                serde_json::from_str(&v.package)
                    .map_err(|e| RuntimeError::Internal(format!("stored package: {e}")))
            }
        }
    }

    /// Publishes version `version`'s package again as the newest version (the draft is kept
    /// as it is). The audit row names the version rolled back to.
    pub async fn rollback(
        &self,
        app_id: &AppId,
        version: i64,
        actor: &Account,
    ) -> RuntimeResult<crate::PublishOutcome> {
        let old = self.get_version(app_id, Some(version), actor).await?;
        let note = serde_json::json!({ "rolled_back_to": version });
        let published = self
            .store
            .publish_noted(app_id, &old.package, &actor.id, note)
            .await?;
        Ok(crate::PublishOutcome {
            app_id: app_id.clone(),
            version: published.version,
        })
    }

    /// What the package check says about `src` as a record expression of the draft's form
    /// `form_id` (or, without one, its syntax alone).
    pub async fn check_draft_expression(
        &self,
        app_id: &AppId,
        form_id: Option<&FormId>,
        src: &str,
        actor: &Account,
    ) -> RuntimeResult<Vec<Problem>> {
        let package = self.draft_value(app_id, actor).await?;
        // The designer checks as the analyst types, possibly before its autosave has stored a
        // new form: a form the saved draft does not have yet gets the syntax check alone.
        let form: Option<FormDef> = form_id
            .and_then(|id| forms(&package).find(|f| f["id"] == id.as_str()))
            .and_then(|found| serde_json::from_value(found.clone()).ok());
        Ok(formwork_model::validate::check_expression(
            form.as_ref(),
            src,
        ))
    }
}

fn forms(package: &Value) -> impl Iterator<Item = &Value> {
    package["forms"].as_array().into_iter().flatten()
}

fn processes(package: &Value) -> impl Iterator<Item = &Value> {
    package["processes"].as_array().into_iter().flatten()
}

/// The form a process of the package runs on.
fn process_form(package: &Value, process: &str) -> Option<String> {
    processes(package)
        .find(|p| p["id"] == process)
        .and_then(|p| p["form"].as_str().map(str::to_owned))
}

/// Compiles the named parts of `package`; refused with the problems pointing into them (or
/// at the whole package), 404 when one is not in it.
fn compile_parts(
    app_id: &AppId,
    package: &Value,
    form_ids: &[&str],
    process_ids: &[&str],
) -> RuntimeResult<CompiledApp> {
    let mut prefixes = Vec::new();
    for id in form_ids {
        let i = forms(package).position(|f| f["id"] == *id);
        let i = i.ok_or_else(|| RuntimeError::NotFound(format!("form {id}")))?;
        prefixes.push(format!("/forms/{i}"));
    }
    for id in process_ids {
        let i = processes(package).position(|p| p["id"] == *id);
        let i = i.ok_or_else(|| RuntimeError::NotFound(format!("process {id}")))?;
        prefixes.push(format!("/processes/{i}"));
    }
    let problems = validate_package(package).err().unwrap_or_default();
    let within = |p: &Problem| {
        p.pointer.is_empty()
            || prefixes.iter().any(|pre| {
                p.pointer
                    .strip_prefix(pre.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
    };
    let relevant: Vec<Problem> = problems.iter().filter(|p| within(p)).cloned().collect();
    if !relevant.is_empty() {
        return Err(RuntimeError::Invalid { problems: relevant });
    }
    let def: AppDef =
        serde_json::from_value(package.clone()).map_err(|_| RuntimeError::Invalid { problems })?;
    CompiledApp::build(app_id, DRAFT_VERSION, def, Some((form_ids, process_ids))).map_err(|e| {
        RuntimeError::Invalid {
            problems: vec![problem(
                "",
                "draft_does_not_compile",
                &format!("草稿无法编译：{e}"),
                &format!("The draft does not compile: {e}"),
            )],
        }
    })
}
