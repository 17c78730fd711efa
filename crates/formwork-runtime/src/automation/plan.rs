//! Planning one rule: its condition, then each action as effects added to the job's
//! completion (written later in one transaction), and the run as recorded.
//!
//! Every rule of one job sees the record as the event found it; the fields the rules set are
//! gathered into one change of the record (validated by its form field by field), so two rules
//! on one event never race each other for the record's revision.

use formwork_forms::field_diff;
use formwork_model::expr;
use formwork_model::{RuleActionDef, Text};
use formwork_store::{
    JobCompletion, JobRecordUpdate, NewJob, Record, RecordStatus, RecordUpdate, RuleRun, UserId,
    new_id,
};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::context::{Concerned, Subject};
use super::events::{RecordChange, record_events};
use super::{MAX_RULE_DEPTH, may_change_field};
use crate::directory::Directory;
use crate::policy::Caller;
use crate::{Runtime, RuntimeError, RuntimeResult};

/// How one action went, for the run's record.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    /// `done`, `queued` (deliveries under way), `skipped`, `failed`, `refused`.
    pub outcome: &'static str,
    pub code: Option<String>,
    pub message: Option<Text>,
    pub detail: Value,
}

impl Outcome {
    pub(crate) fn done(detail: Value) -> Outcome {
        Outcome {
            outcome: "done",
            code: None,
            message: None,
            detail,
        }
    }

    pub(crate) fn with(outcome: &'static str, code: &str, zh: String, en: String) -> Outcome {
        Outcome {
            outcome,
            code: Some(code.to_owned()),
            message: Some(Text::zh_en(zh, en)),
            detail: Value::Null,
        }
    }

    pub(crate) fn failed(code: &str, zh: String, en: String) -> Outcome {
        Outcome::with("failed", code, zh, en)
    }
}

/// The record as the job's rules leave it.
pub(crate) struct Working {
    pub record: Record,
    pub data: Value,
    pub status: RecordStatus,
    causes: Vec<Value>,
}

/// A job's completion as its rules are planned.
pub(crate) struct Plan {
    pub completion: JobCompletion,
    pub working: Option<Working>,
    pub depth: i32,
}

/// An analyst's template rendered for plain text (mail bodies and robots escape on their own):
/// the expression engine escapes HTML, which is undone here.
fn plain(rendered: &str) -> String {
    rendered
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

/// Renders each language of `text` with `scope`.
pub(crate) fn render_text(text: &Text, scope: &Value) -> Result<Text, String> {
    let mut out = Text::default();
    for (lang, src) in &text.0 {
        let rendered = expr::render(src, scope).map_err(|e| e.to_string())?;
        out.0.insert(lang.clone(), plain(&rendered));
    }
    Ok(out)
}

impl Plan {
    pub fn new(completion: JobCompletion, subject: &Subject) -> Plan {
        let working = subject
            .record
            .as_ref()
            .filter(|_| !subject.deleted)
            .map(|r| Working {
                record: r.clone(),
                data: r.data.clone(),
                status: r.status,
                causes: Vec::new(),
            });
        Plan {
            completion,
            working,
            depth: subject.payload.depth,
        }
    }

    /// Adds the record's gathered change (if any) with its own event, one level deeper.
    pub fn finish(mut self, subject: &Subject) -> JobCompletion {
        if let Some(w) = self.working.take()
            && (w.data != w.record.data || w.status != w.record.status)
        {
            let diff = field_diff(&w.record.data, &w.data);
            let events = record_events(
                &subject.app,
                &subject.form_id,
                Some(&w.record.id),
                RecordChange::Updated { diff: &diff },
                self.depth + 1,
                self.completion.at,
            );
            self.completion.record_updates.push(JobRecordUpdate {
                update: RecordUpdate {
                    id: w.record.id.clone(),
                    expected_rev: w.record.rev,
                    data: w.data,
                    status: w.status,
                    diff,
                    events,
                    audit_note: None,
                },
                actor: UserId::system(),
                cause: json!({ "rules": w.causes }),
            });
        }
        self.completion
    }
}

impl Runtime {
    /// Plans one rule the job concerns: nothing when its condition is false; otherwise its
    /// actions' effects and its run.
    pub(crate) async fn plan_rule(
        &self,
        plan: &mut Plan,
        subject: &Subject,
        concerned: &Concerned<'_>,
        dir: &Directory,
        now: OffsetDateTime,
    ) -> RuntimeResult<()> {
        let rule = concerned.rule;
        let run_id = new_id();
        let scope = subject.scope(concerned, now)?;
        let mut run = RuleRun {
            id: run_id.clone(),
            app_id: subject.app.app_id.to_string(),
            app_version: subject.app.version,
            rule_id: rule.id.clone(),
            record_id: subject.record.as_ref().map(|r| r.id.to_string()),
            trigger: concerned.spec.name().to_owned(),
            depth: plan.depth,
            outcome: "done".into(),
            message: None,
            actions: Value::Array(Vec::new()),
            job_id: plan.completion.lease.job_id.clone(),
            created_at: now,
        };
        if let Some(condition) = &rule.condition {
            match expr::eval_bool(condition, &scope) {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(e) => {
                    run.outcome = "failed".into();
                    run.message = Some(json!(Text::zh_en(
                        format!("条件无法计算：{e}"),
                        format!("the condition cannot be evaluated: {e}"),
                    )));
                    plan.completion.rule_runs.push(run);
                    return Ok(());
                }
            }
        }
        if plan.depth >= MAX_RULE_DEPTH {
            run.outcome = "stopped".into();
            run.message = Some(json!(Text::zh_en(
                format!(
                    "已停止：规则之间连锁触发已达 {MAX_RULE_DEPTH} 层上限（例如规则修改了触发它自己的字段），本次不再执行动作"
                ),
                format!(
                    "stopped: rules have triggered one another {MAX_RULE_DEPTH} levels deep (a rule may change what triggers it); no action was taken"
                ),
            )));
            plan.completion.rule_runs.push(run);
            return Ok(());
        }
        let mut actions = Vec::new();
        for (index, action) in rule.actions.iter().enumerate() {
            let ctx = ActionCtx {
                subject,
                dir,
                scope: &scope,
                run_id: &run_id,
                rule_id: &rule.id,
                trigger: concerned.spec.name(),
                index,
                rule_name: rule
                    .name
                    .clone()
                    .unwrap_or_else(|| Text::zh_en(&rule.id, &rule.id)),
                now,
            };
            let outcome = self.plan_action(plan, &ctx, action).await?;
            if matches!(outcome.outcome, "failed" | "refused") {
                run.outcome = "failed".into();
            }
            actions.push(json!({
                "type": action.name(),
                "outcome": outcome.outcome,
                "code": outcome.code,
                "message": outcome.message,
                "detail": outcome.detail,
            }));
        }
        if let Some(w) = plan.working.as_mut() {
            w.causes
                .push(json!({ "rule": rule.id, "rule_run": run_id }));
        }
        run.actions = Value::Array(actions);
        plan.completion.rule_runs.push(run);
        Ok(())
    }

    async fn plan_action(
        &self,
        plan: &mut Plan,
        ctx: &ActionCtx<'_>,
        action: &RuleActionDef,
    ) -> RuntimeResult<Outcome> {
        Ok(match action {
            RuleActionDef::Notify {
                assignee,
                to,
                title,
                message,
                channels,
                destination,
            } => {
                let note = super::notify::Note {
                    assignee: assignee.as_ref(),
                    to,
                    title: title.as_ref(),
                    message,
                    channels,
                    destination: destination.as_deref(),
                };
                self.notify(plan, ctx, &note).await?
            }
            RuleActionDef::SetField { field, value } => {
                self.set_field(plan, ctx, field, value).await?
            }
            RuleActionDef::Webhook { url, destination } => {
                super::notify::webhook(plan, ctx, url.as_deref(), destination.as_deref())
            }
            RuleActionDef::CreateRecord { form, fields } => {
                self.create_record(plan, ctx, form, fields).await?
            }
            RuleActionDef::StartProcess { process } => {
                self.start_on_record(plan, ctx, process).await?
            }
        })
    }

    async fn set_field(
        &self,
        plan: &mut Plan,
        ctx: &ActionCtx<'_>,
        field: &str,
        value_src: &str,
    ) -> RuntimeResult<Outcome> {
        let Some(working) = plan.working.as_mut() else {
            return Ok(no_record());
        };
        let form = self
            .app_version(&working.record.app_id, working.record.app_version)
            .await?
            .form(&working.record.form_id)?
            .clone();
        if let Err(lock) = may_change_field(form.def(), &working.record, field) {
            return Ok(Outcome {
                outcome: "refused",
                code: Some(lock.code),
                message: Some(lock.message),
                detail: json!({ "field": field }),
            });
        }
        let value = match expr::eval(value_src, ctx.scope) {
            Ok(v) => v,
            Err(e) => {
                return Ok(Outcome::failed(
                    "bad_value",
                    format!("字段「{field}」的取值无法计算：{e}"),
                    format!("the value for `{field}` cannot be computed: {e}"),
                ));
            }
        };
        let owner = ctx
            .subject
            .owner
            .clone()
            .unwrap_or_else(crate::system_actor);
        let caller = Caller {
            user: owner,
            roles: Vec::new(),
            epochs: None,
        };
        let meta = crate::records::stored_meta(&working.record);
        let submit = crate::records::submit_context(&caller, ctx.now, meta);
        let mut clean = match form.submit(&json!({ field: value }), &submit, Some(&working.data)) {
            Ok(clean) => clean,
            Err(errors) => return Ok(invalid_outcome(field, &errors)),
        };
        let admin = Caller {
            user: crate::system_actor(),
            roles: Vec::new(),
            epochs: None,
        };
        match self.check_references(&admin, &mut clean).await {
            Ok(()) => {}
            Err(RuntimeError::Invalid { problems }) => {
                let first = problems
                    .first()
                    .map(|p| p.message.clone())
                    .unwrap_or_default();
                return Ok(Outcome::with(
                    "failed",
                    "invalid",
                    format!("字段「{field}」不能设为该值：{}", first.get("zh-CN")),
                    format!("`{field}` cannot take this value: {}", first.get("en")),
                ));
            }
            Err(e) => return Err(e),
        }
        let from = working.data.get(field).cloned().unwrap_or(Value::Null);
        working.data = clean.data;
        let to = working.data.get(field).cloned().unwrap_or(Value::Null);
        Ok(Outcome::done(
            json!({ "field": field, "from": from, "to": to }),
        ))
    }

    async fn create_record(
        &self,
        plan: &mut Plan,
        ctx: &ActionCtx<'_>,
        form_id: &str,
        mapping: &std::collections::BTreeMap<String, String>,
    ) -> RuntimeResult<Outcome> {
        let Some(owner) = ctx.subject.owner.clone() else {
            return Ok(no_record());
        };
        let mut input = Map::new();
        for (key, src) in mapping {
            match expr::eval(src, ctx.scope) {
                Ok(v) => {
                    input.insert(key.clone(), v);
                }
                Err(e) => {
                    return Ok(Outcome::failed(
                        "bad_value",
                        format!("字段「{key}」的取值无法计算：{e}"),
                        format!("the value for `{key}` cannot be computed: {e}"),
                    ));
                }
            }
        }
        let app = self.latest_app(&ctx.subject.app.app_id).await?;
        let form_id = crate::error::package_id(formwork_model::FormId::parse(form_id))?;
        let caller = self.caller(owner).await?;
        let input = Value::Object(input);
        match self
            .prepare_record(
                &app,
                &caller,
                &form_id,
                &input,
                None,
                ctx.now,
                plan.depth + 1,
            )
            .await
        {
            Ok(new) => {
                plan.completion
                    .new_records
                    .push((new, caller.user.id.clone()));
                Ok(Outcome::done(json!({ "form": form_id, "data": input })))
            }
            Err(RuntimeError::Invalid { problems }) => {
                let text = |lang: &str| {
                    problems
                        .iter()
                        .map(|p| format!("{} {}", p.pointer, p.message.get(lang)))
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                Ok(Outcome::failed(
                    "invalid",
                    format!("新记录未通过表单校验：{}", text("zh-CN")),
                    format!(
                        "the new record does not pass its form's checks: {}",
                        text("en")
                    ),
                ))
            }
            Err(e) => Err(e),
        }
    }
}

/// What every action of one run is planned with.
pub(crate) struct ActionCtx<'a> {
    pub subject: &'a Subject,
    pub dir: &'a Directory,
    pub scope: &'a Value,
    pub run_id: &'a str,
    pub rule_id: &'a str,
    pub trigger: &'static str,
    pub index: usize,
    pub rule_name: Text,
    pub now: OffsetDateTime,
}

impl ActionCtx<'_> {
    /// A delivery job of this action, under an event id made of the run and the action (and
    /// `part`, for one delivery among several).
    pub fn delivery(&self, kind: &str, payload: Value, part: &str) -> NewJob {
        let mut job = NewJob::new(kind, payload);
        job.event_id = Some(format!("{}:{}{part}", self.run_id, self.index));
        job.app_id = Some(self.subject.app.app_id.to_string());
        job.record_id = self.subject.record.as_ref().map(|r| r.id.clone());
        job.rule_run_id = Some(self.run_id.to_owned());
        job
    }
}

pub(crate) fn no_record() -> Outcome {
    Outcome::with(
        "skipped",
        "no_record",
        "没有可操作的记录（已删除，或规则不针对某条记录）".into(),
        "there is no record to act on (it was deleted, or the rule is not about one)".into(),
    )
}

fn invalid_outcome(field: &str, errors: &[formwork_forms::FieldError]) -> Outcome {
    let text = |lang: &str| {
        errors
            .iter()
            .map(|e| format!("{} {}", e.path, e.message.get(lang)))
            .collect::<Vec<_>>()
            .join("; ")
    };
    Outcome::failed(
        "invalid",
        format!("字段「{field}」未通过表单校验：{}", text("zh-CN")),
        format!("`{field}` does not pass the form's checks: {}", text("en")),
    )
}
