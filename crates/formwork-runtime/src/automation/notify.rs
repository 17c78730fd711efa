//! The notify and webhook actions: in-app messages written with the run, and mail, robot and
//! webhook deliveries as jobs of their own, each under an event id made of the run and the
//! action, so a receiver sees the same id on every retry.

use formwork_model::{Channel, RecipientDef, Text};
use formwork_store::{JobNotification, NewNotification};
use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;

use super::kinds;
use super::plan::{ActionCtx, Outcome, Plan, render_text};
use super::recipients::Recipients;
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
        let message = match render_text(note.message, ctx.scope) {
            Ok(m) => m,
            Err(e) => return Ok(failed("消息", e)),
        };
        let title = match note.title.map(|t| render_text(t, ctx.scope)).transpose() {
            Ok(t) => t.unwrap_or_else(|| ctx.rule_name.clone()),
            Err(e) => return Ok(failed("标题", e)),
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
        for channel in channels {
            match channel {
                Channel::InApp => self.in_app(plan, ctx, &people, &title, &message),
                Channel::Email => {
                    let mail = self.mail(plan, ctx, &people, &title, &message).await?;
                    detail.insert("email".into(), mail);
                }
                Channel::Dingtalk | Channel::Wecom => {
                    let kind = if *channel == Channel::Dingtalk {
                        kinds::DELIVER_DINGTALK
                    } else {
                        kinds::DELIVER_WECOM
                    };
                    let names: Vec<String> =
                        people.iter().map(|p| p.display_name.clone()).collect();
                    let payload = json!({
                        "destination": note.destination,
                        "title": title.get("zh-CN"),
                        "content": message.get("zh-CN"),
                        "mention": names,
                    });
                    let job = ctx.delivery(kind, payload, &format!(":{}", channel.as_str()));
                    plan.completion.jobs.push(job);
                }
            }
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
    let record = ctx.subject.record.as_ref().map(|r| {
        json!({
            "id": r.id,
            "number": r.number,
            "form_id": r.form_id,
            "status": r.status,
            "data": r.data,
        })
    });
    let body = json!({
        "event_id": event_id,
        "app_id": ctx.subject.app.app_id,
        "rule_id": ctx.rule_id,
        "rule_run": ctx.run_id,
        "trigger": ctx.trigger,
        "at": ctx.now.format(&Rfc3339).ok(),
        "record": record,
        "changed": ctx.subject.payload.diff,
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
