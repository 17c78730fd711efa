//! The notify and webhook actions: in-app messages written with the run, and mail, robot and
//! webhook deliveries as jobs of their own, each under an event id made of the run and the
//! action, so a receiver sees the same id on every retry.

use std::collections::BTreeSet;

use formwork_model::{Channel, FormDef, RecipientDef, Text};
use formwork_store::{JobNotification, NewNotification};
use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;

use super::kinds;
use super::plan::{ActionCtx, Outcome, Plan, render_text};
use super::recipients::Recipients;
use crate::policy::{Caller, readable_fields, redact};
use crate::{Account, Runtime, RuntimeResult};

/// A notify action's settings.
pub(crate) struct Note<'a> {
    pub assignee: Option<&'a formwork_model::AssigneeDef>,
    pub to: &'a [RecipientDef],
    pub title: Option<&'a Text>,
    pub message: &'a Text,
    pub channels: &'a [Channel],
    pub destination: Option<&'a str>,
}

impl Runtime {
    pub(crate) async fn notify(
        &self,
        plan: &mut Plan,
        ctx: &ActionCtx<'_>,
        note: &Note<'_>,
    ) -> RuntimeResult<Outcome> {
        let failed = |what: &str, e: String| {
            Outcome::failed(
                "bad_template",
                format!("{what}无法生成：{e}"),
                format!(
                    "the {} cannot be made: {e}",
                    if what == "接收人" {
                        "recipients"
                    } else {
                        "message"
                    }
                ),
            )
        };
        let recipients = Recipients {
            dir: ctx.dir,
            subject: ctx.subject,
            scope: ctx.scope,
        };
        let people = match recipients.resolve(note.assignee, note.to) {
            Ok(people) => people,
            Err(e) => return Ok(failed("接收人", e)),
        };
        let channels = if note.channels.is_empty() {
            &[Channel::InApp][..]
        } else {
            note.channels
        };
        let mut detail = Map::new();
        detail.insert(
            "recipients".into(),
            people
                .iter()
                .map(|p| p.username.clone())
                .collect::<Vec<_>>()
                .into(),
        );
        // Each reader's text is rendered from the fields they may read; a robot message to a
        // group chat from the fields every recipient may read (or, naming nobody, the fields
        // no role rule keeps back).
        let Ok(form) = ctx.subject.form() else {
            return Ok(failed("消息", "no form".into()));
        };
        let mut groups: Vec<(BTreeSet<String>, Vec<Account>)> = Vec::new();
        for person in &people {
            let readable = reader_fields(ctx, form, person);
            match groups.iter_mut().find(|(r, _)| *r == readable) {
                Some((_, members)) => members.push(person.clone()),
                None => groups.push((readable, vec![person.clone()])),
            }
        }
        let everyone: BTreeSet<String> = groups
            .iter()
            .map(|(r, _)| r.clone())
            .reduce(|a, b| a.intersection(&b).cloned().collect())
            // A robot message to nobody in particular: what no role rule keeps back.
            .unwrap_or_else(|| open_fields(form));
        let render = |readable: &BTreeSet<String>| -> Result<(Text, Text), Outcome> {
            let scope = scope_within(form, ctx.scope, readable);
            let message = render_text(note.message, &scope).map_err(|e| failed("消息", e))?;
            let title = note
                .title
                .map(|t| render_text(t, &scope))
                .transpose()
                .map_err(|e| failed("标题", e))?
                .unwrap_or_else(|| ctx.rule_name.clone());
            Ok((title, message))
        };
        // A broken template fails the action whoever reads it.
        let all: BTreeSet<String> = form.field_keys().into_iter().map(str::to_owned).collect();
        if let Err(outcome) = render(&all) {
            return Ok(outcome);
        }
        let mut mail = Vec::new();
        for (readable, members) in &groups {
            let (title, message) = match render(readable) {
                Ok(t) => t,
                Err(outcome) => return Ok(outcome),
            };
            for channel in channels {
                match channel {
                    Channel::InApp => self.in_app(plan, ctx, members, &title, &message),
                    Channel::Email => {
                        mail.push(self.mail(plan, ctx, members, &title, &message).await?);
                    }
                    Channel::Dingtalk | Channel::Wecom => {}
                }
            }
        }
        if channels.contains(&Channel::Email) {
            detail.insert("email".into(), merged_mail(mail));
        }
        for channel in channels {
            let kind = match channel {
                Channel::Dingtalk => kinds::DELIVER_DINGTALK,
                Channel::Wecom => kinds::DELIVER_WECOM,
                Channel::InApp | Channel::Email => continue,
            };
            let (title, message) = match render(&everyone) {
                Ok(t) => t,
                Err(outcome) => return Ok(outcome),
            };
            let names: Vec<String> = people.iter().map(|p| p.display_name.clone()).collect();
            let payload = json!({
                "destination": note.destination,
                "title": title.get("zh-CN"),
                "content": message.get("zh-CN"),
                "mention": names,
            });
            let job = ctx.delivery(kind, payload, &format!(":{}", channel.as_str()));
            plan.completion.jobs.push(job);
        }
        let queued = channels.iter().any(|c| *c != Channel::InApp);
        Ok(Outcome {
            outcome: if queued { "queued" } else { "done" },
            code: None,
            message: None,
            detail: Value::Object(detail),
        })
    }

    fn in_app(
        &self,
        plan: &mut Plan,
        ctx: &ActionCtx<'_>,
        people: &[Account],
        title: &Text,
        message: &Text,
    ) {
        for person in people {
            plan.completion.notifications.push(JobNotification {
                note: NewNotification {
                    user_id: person.id.clone(),
                    kind: "rule".into(),
                    payload: json!({
                        "app_id": ctx.subject.app.app_id,
                        "rule_run": ctx.run_id,
                        "rule_name": ctx.rule_name,
                        "title": title,
                        "message": message,
                    }),
                },
                record_id: ctx.subject.record.as_ref().map(|r| r.id.clone()),
                instance_id: None,
            });
        }
    }

    /// A mail job per recipient who has an address and keeps mail on; who was left out and
    /// why, for the run's record.
    async fn mail(
        &self,
        plan: &mut Plan,
        ctx: &ActionCtx<'_>,
        people: &[Account],
        title: &Text,
        message: &Text,
    ) -> RuntimeResult<Value> {
        let mut sent = Vec::new();
        let mut skipped = Vec::new();
        for person in people {
            let settings = self.notification_channels(&person.id).await?;
            let Some(address) = person.email.as_ref().filter(|e| !e.is_empty()) else {
                skipped.push(json!({ "user": person.username, "reason": "no_address" }));
                continue;
            };
            if !settings.email {
                skipped.push(json!({ "user": person.username, "reason": "opted_out" }));
                continue;
            }
            let lang = settings.lang.as_str();
            let link = ctx
                .subject
                .record
                .as_ref()
                .map(|r| format!("/records/{}", r.id));
            let payload = json!({
                "to": address,
                "user_id": person.id,
                "lang": lang,
                "title": title.get(lang),
                "body": message.get(lang),
                "link": link,
                "app": ctx.subject.app.def.name.get(lang),
            });
            let part = format!(":email:{}", person.id);
            plan.completion
                .jobs
                .push(ctx.delivery(kinds::DELIVER_EMAIL, payload, &part));
            sent.push(person.username.clone());
        }
        Ok(json!({ "to": sent, "skipped": skipped }))
    }
}

pub(crate) fn webhook(
    plan: &mut Plan,
    ctx: &ActionCtx<'_>,
    url: Option<&str>,
    destination: Option<&str>,
) -> Outcome {
    let event_id = format!("{}:{}", ctx.run_id, ctx.index);
    // A webhook's receiver is no person: it gets the fields no role rule keeps back.
    let open = ctx.subject.form().map(open_fields).unwrap_or_default();
    let record = ctx.subject.record.as_ref().map(|r| {
        json!({
            "id": r.id,
            "number": r.number,
            "form_id": r.form_id,
            "status": r.status,
            "data": redact(&open, &r.data),
        })
    });
    let changed = ctx.subject.payload.diff.as_ref().map(|d| redact(&open, d));
    let body = json!({
        "event_id": event_id,
        "app_id": ctx.subject.app.app_id,
        "rule_id": ctx.rule_id,
        "rule_run": ctx.run_id,
        "trigger": ctx.trigger,
        "at": ctx.now.format(&Rfc3339).ok(),
        "record": record,
        "changed": changed,
        "deleted": ctx.subject.deleted,
    });
    let payload = json!({ "url": url, "destination": destination, "body": body });
    plan.completion
        .jobs
        .push(ctx.delivery(kinds::DELIVER_WEBHOOK, payload, ""));
    Outcome {
        outcome: "queued",
        code: None,
        message: None,
        detail: json!({ "event_id": event_id, "url": url, "destination": destination }),
    }
}

/// The fields of `form` that `person` may read.
fn reader_fields(ctx: &ActionCtx<'_>, form: &FormDef, person: &Account) -> BTreeSet<String> {
    let caller = Caller {
        user: person.clone(),
        roles: ctx.dir.roles_of(&person.id),
        epochs: None,
    };
    readable_fields(&caller, form)
}

/// The fields of `form` that no rule keeps from anyone who reads the record.
fn open_fields(form: &FormDef) -> BTreeSet<String> {
    form.field_keys()
        .into_iter()
        .filter(|k| {
            form.permissions
                .fields
                .get(*k)
                .is_none_or(|r| r.read.is_none())
        })
        .map(str::to_owned)
        .collect()
}

/// `scope` with the form's fields outside `readable` emptied, and what a change trigger adds
/// about them (`changed`, `old_value`, `new_value`) emptied too when any is hidden.
fn scope_within(form: &FormDef, scope: &Value, readable: &BTreeSet<String>) -> Value {
    let Value::Object(map) = scope else {
        return scope.clone();
    };
    let hidden: Vec<&str> = form
        .field_keys()
        .into_iter()
        .filter(|k| !readable.contains(*k))
        .collect();
    if hidden.is_empty() {
        return scope.clone();
    }
    let mut map = map.clone();
    for key in &hidden {
        map.insert((*key).to_owned(), Value::Null);
    }
    if let Some(Value::Array(changed)) = map.get_mut("changed") {
        let touched = changed
            .iter()
            .any(|c| c.as_str().is_some_and(|c| hidden.contains(&c)));
        changed.retain(|c| c.as_str().is_some_and(|c| !hidden.contains(&c)));
        if touched {
            map.insert("old_value".into(), Value::Null);
            map.insert("new_value".into(), Value::Null);
        }
    }
    Value::Object(map)
}

/// The mail outcomes of several groups of recipients as one (`to`, `skipped`).
fn merged_mail(parts: Vec<Value>) -> Value {
    let mut to = Vec::new();
    let mut skipped = Vec::new();
    for part in parts {
        if let Some(Value::Array(t)) = part.get("to") {
            to.extend(t.iter().cloned());
        }
        if let Some(Value::Array(s)) = part.get("skipped") {
            skipped.extend(s.iter().cloned());
        }
    }
    json!({ "to": to, "skipped": skipped })
}
