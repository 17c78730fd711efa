//! Flow test cases: each sample submission is walked through the draft's process with the
//! engine's side-effect-free walk and the people each human step reaches are compared with
//! what the analyst expects. Publishing runs them all and is refused while one fails, unless
//! an admin overrides it (written to the audit row).

use formwork_model::{FlowTestDef, Problem, Text};
use formwork_store::{AppId, ProcessId};
use serde_json::{Value, json};

use super::compile_parts;
use crate::accounts::problem;
use crate::processes::UpcomingStep;
use crate::{Account, Runtime, RuntimeError, RuntimeResult};

/// The outcome of one test case on the draft.
#[derive(Debug, Clone)]
pub struct FlowTestResult {
    pub process: String,
    pub test: String,
    pub name: Option<Text>,
    /// Where the case is in the package: `/processes/{i}/tests/{j}`.
    pub pointer: String,
    pub passed: bool,
    pub expected: Vec<Vec<String>>,
    /// The walk's steps; empty when it could not run (see `problems`).
    pub steps: Vec<UpcomingStep>,
    /// Why it could not run (an unknown submitter, a process with problems).
    pub problems: Vec<Problem>,
}

impl FlowTestResult {
    /// The people each step reached, as usernames.
    pub fn actual(&self) -> Vec<Vec<String>> {
        chain(&self.steps)
    }
}

/// How to publish: with a change summary, and whether an admin overrides failing test cases.
#[derive(Debug, Clone, Default)]
pub struct PublishOptions {
    pub summary: Option<String>,
    pub override_tests: bool,
}

fn chain(steps: &[UpcomingStep]) -> Vec<Vec<String>> {
    steps
        .iter()
        .map(|s| s.assignees.iter().map(|u| u.username.clone()).collect())
        .collect()
}

/// Whether `actual` reaches the expected people, step by step (people of one step in any
/// order).
fn matches(expected: &[Vec<String>], actual: &[Vec<String>]) -> bool {
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    expected.len() == actual.len()
        && expected
            .iter()
            .zip(actual)
            .all(|(e, a)| sorted(e) == sorted(a))
}

impl Runtime {
    /// Runs every test case of the draft's processes.
    pub async fn run_flow_tests(
        &self,
        app_id: &AppId,
        actor: &Account,
    ) -> RuntimeResult<Vec<FlowTestResult>> {
        let package = self.draft_value(app_id, actor).await?;
        self.run_tests_of(app_id, &package).await
    }

    async fn run_tests_of(
        &self,
        app_id: &AppId,
        package: &Value,
    ) -> RuntimeResult<Vec<FlowTestResult>> {
        let mut out = Vec::new();
        for (i, p) in super::processes(package).enumerate() {
            let cases: Vec<FlowTestDef> = match p.get("tests") {
                Some(t) => serde_json::from_value(t.clone()).unwrap_or_default(),
                None => continue,
            };
            let id = p["id"].as_str().unwrap_or_default();
            let form = p["form"].as_str().unwrap_or_default();
            let compiled = compile_parts(app_id, package, &[form], &[id]);
            for (j, case) in cases.into_iter().enumerate() {
                let walked = match (&compiled, ProcessId::parse(id)) {
                    (Ok(app), Ok(pid)) => {
                        self.walk_ahead(app, &pid, &case.submitter, &case.data)
                            .await
                    }
                    (Err(RuntimeError::Invalid { problems }), _) => Err(RuntimeError::Invalid {
                        problems: problems.clone(),
                    }),
                    _ => Err(RuntimeError::Invalid {
                        problems: vec![problem(
                            "",
                            "process_cannot_run",
                            "流程还不能运行",
                            "The process cannot run yet",
                        )],
                    }),
                };
                out.push(result(id, i, j, case, walked)?);
            }
        }
        Ok(out)
    }

    /// Freezes the draft as the next version once it validates and its test cases pass (or
    /// an admin overrides the failing ones); the audit row keeps the summary and the override.
    pub async fn publish_with(
        &self,
        app_id: &AppId,
        actor: &Account,
        options: &PublishOptions,
    ) -> RuntimeResult<crate::PublishOutcome> {
        let draft = self.get_draft(app_id, actor).await?;
        let package: Value = serde_json::from_str(&draft.package)
            .map_err(|e| RuntimeError::Internal(format!("stored draft: {e}")))?;
        formwork_model::validate_package(&package)
            .map_err(|problems| RuntimeError::Invalid { problems })?;
        let failing: Vec<FlowTestResult> = self
            .run_tests_of(app_id, &package)
            .await?
            .into_iter()
            .filter(|r| !r.passed)
            .collect();
        if !failing.is_empty() && !options.override_tests {
            return Err(RuntimeError::Invalid {
                problems: failing.iter().map(failure_problem).collect(),
            });
        }
        if !failing.is_empty() && !actor.is_admin {
            return Err(RuntimeError::Forbidden);
        }
        let mut note = serde_json::Map::new();
        if let Some(summary) = options.summary.as_deref().filter(|s| !s.trim().is_empty()) {
            note.insert("summary".into(), summary.trim().into());
        }
        if !failing.is_empty() {
            let overridden: Vec<Value> = failing
                .iter()
                .map(|r| json!({"process": r.process, "test": r.test}))
                .collect();
            note.insert("overridden_tests".into(), overridden.into());
        }
        let version = self
            .store
            .publish_noted(app_id, &draft.package, &actor.id, Value::Object(note))
            .await?;
        self.build_projections(app_id).await?;
        Ok(crate::PublishOutcome {
            app_id: app_id.clone(),
            version: version.version,
        })
    }
}

fn result(
    process: &str,
    i: usize,
    j: usize,
    case: FlowTestDef,
    walked: RuntimeResult<Vec<UpcomingStep>>,
) -> RuntimeResult<FlowTestResult> {
    let (steps, problems) = match walked {
        Ok(steps) => (steps, Vec::new()),
        Err(RuntimeError::Invalid { problems }) => (Vec::new(), problems),
        Err(RuntimeError::NotFound(what)) => (
            Vec::new(),
            vec![problem(
                "",
                "not_found",
                &format!("找不到：{what}"),
                &format!("Not found: {what}"),
            )],
        ),
        Err(other) => return Err(other),
    };
    let passed = problems.is_empty() && matches(&case.expect, &chain(&steps));
    Ok(FlowTestResult {
        process: process.to_owned(),
        pointer: format!("/processes/{i}/tests/{j}"),
        test: case.id,
        name: case.name,
        passed,
        expected: case.expect,
        steps,
        problems,
    })
}

/// A failing case as a publish problem, pointing at the case.
fn failure_problem(r: &FlowTestResult) -> Problem {
    let name = r
        .name
        .as_ref()
        .map(|t| t.get("zh-CN").to_owned())
        .unwrap_or_else(|| r.test.clone());
    let name_en = r
        .name
        .as_ref()
        .map(|t| t.get("en").to_owned())
        .unwrap_or_else(|| r.test.clone());
    let words = |c: &[Vec<String>], sep: &str, none: &str| -> String {
        if c.is_empty() {
            return none.to_owned();
        }
        c.iter()
            .map(|s| {
                if s.is_empty() {
                    "∅".to_owned()
                } else {
                    s.join("+")
                }
            })
            .collect::<Vec<_>>()
            .join(sep)
    };
    let (e, a) = (&r.expected, &r.actual());
    problem(
        &r.pointer,
        "flow_test_failed",
        &format!(
            "测试用例「{name}」未通过：期望 {}，实际 {}",
            words(e, " → ", "无审批"),
            words(a, " → ", "无审批")
        ),
        &format!(
            "Test case \"{name_en}\" fails: expected {}, got {}",
            words(e, " → ", "no approval"),
            words(a, " → ", "no approval")
        ),
    )
}
