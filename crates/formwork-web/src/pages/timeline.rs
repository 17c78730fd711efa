//! An approval timeline for people: who did what at which step, when, with their comment and
//! how long the step took them (「2 小时 5 分」), and whom the process waits for now. Shared by
//! the task and record pages and anything else that shows a process (the `timeline` macro of
//! `approval.html` draws it).

use std::collections::{BTreeMap, HashMap};

use formwork_model::UserId;
use formwork_runtime::{NodeView, Timeline, TimelineEntry, UserBrief};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use super::format;
use crate::i18n::Lang;

/// One row of the timeline.
#[derive(Debug, Serialize)]
pub(crate) struct Row {
    pub at: String,
    pub actor: Option<String>,
    pub step: String,
    pub action: String,
    /// `approved`, `rejected`, `returned` or `neutral`: the colour of the row's dot.
    pub tone: &'static str,
    pub comment: Option<String>,
    /// How long the person took, e.g. 「2 小时 5 分」.
    pub took: Option<String>,
}

/// Someone the process waits for.
#[derive(Debug, Serialize)]
pub(crate) struct Waiting {
    pub step: String,
    pub who: Option<String>,
    pub since: String,
    /// How long it has waited so far.
    pub waited: String,
    pub due: Option<String>,
    pub overdue: bool,
}

/// A step still ahead, predicted from the data as it is now.
#[derive(Debug, Serialize)]
pub(crate) struct Ahead {
    pub step: String,
    /// Whom it would go to, by display name (「赵敏、钱伟」); empty when nobody resolves.
    pub who: String,
}

/// Why the record was last sent back (驳回 / 退回), and by whom.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Reason {
    pub who: Option<String>,
    pub step: String,
    pub text: String,
}

/// A whole timeline, ready for the template.
#[derive(Debug, Serialize)]
pub(crate) struct TimelineView {
    pub name: String,
    pub status: String,
    pub status_key: String,
    pub rows: Vec<Row>,
    pub waiting: Vec<Waiting>,
    pub upcoming: Vec<Ahead>,
    /// The latest 驳回 or 退回 with its reason.
    pub reason: Option<Reason>,
}

/// Whether an entry sends the record back: a rejection, a return, a return to the submitter.
fn sends_back(e: &TimelineEntry) -> bool {
    let outcome = e.detail.get("outcome").and_then(Value::as_str);
    matches!(e.action.as_str(), "returned" | "returned_to_submitter")
        || (e.action == "decided"
            && matches!(
                outcome,
                Some("rejected" | "returned" | "returned_to_submitter")
            ))
}

/// Engine steps that only route the process; people do not need to read them.
const ROUTING: &[&str] = &["condition_taken", "branches_started", "joined"];

/// A step's name in `lang`; one without a name is called by its kind when that says enough
/// (「发起」, 「结束」), else by its id.
pub(crate) fn step_name(node: &NodeView, lang: Lang) -> String {
    match (&node.name, node.kind) {
        (Some(n), _) => n.get(lang.tag()).to_owned(),
        (None, kind @ ("start" | "end")) => lang.message(&format!("ui.timeline.step.{kind}"), &[]),
        (None, _) => node.id.clone(),
    }
}

/// `secs` for people: 「不到 1 分钟」, 「45 分钟」, 「2 小时 5 分」, 「3 天 4 小时」.
pub(crate) fn duration(lang: Lang, secs: i64) -> String {
    let secs = secs.max(0);
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    let (d, h, m) = (days.to_string(), hours.to_string(), minutes.to_string());
    let args = [("d", d.as_str()), ("h", h.as_str()), ("m", m.as_str())];
    let key = match (days, hours, minutes) {
        (0, 0, 0) => "ui.duration.under_a_minute",
        (0, 0, _) => "ui.duration.minutes",
        (0, _, 0) => "ui.duration.hours",
        (0, _, _) => "ui.duration.hours_minutes",
        (_, 0, _) => "ui.duration.days",
        _ => "ui.duration.days_hours",
    };
    lang.message(key, &args)
}

/// What a task's closing action (`approve`, `reject`, …) is called, e.g. for 「我的处理」.
pub(crate) fn task_action(lang: Lang, action: Option<&str>) -> String {
    let key = match action.unwrap_or_default() {
        "approve" => "ui.action.approve",
        "reject" => "ui.action.reject",
        "submit" => "ui.action.submit",
        "withdraw" => "ui.action.withdraw",
        "return" => "ui.action.return",
        "transfer" => "ui.action.transfer",
        "add_signer" => "ui.action.add_signer",
        "return_to_submitter" => "ui.action.return_to_submitter",
        "auto_approve" => "flow.decided.auto_approved",
        "auto_reject" => "flow.decided.auto_rejected",
        other => return other.replace('_', " "),
    };
    lang.message(key, &[])
}

const DECISIONS: &[&str] = &[
    "approved",
    "rejected",
    "submitted",
    "withdrawn",
    "returned",
    "transferred",
    "signer_added_before",
    "auto_approved",
    "auto_rejected",
    "returned_to_submitter",
];
const OUTCOMES: &[&str] = &[
    "approved",
    "rejected",
    "submitted",
    "withdrawn",
    "completed",
    "timed_out",
];
const FLOW_ACTIONS: &[&str] = &[
    "started",
    "cc_sent",
    "fields_set",
    "wait_started",
    "wait_ended",
    "auto_approved_repeat",
    "nobody_resolved",
    "returned",
    "transferred",
    "signer_added",
    "branch_cancelled",
    "reminded",
    "escalated",
    "stopped",
    "decided",
    "step_completed",
    "ended",
    "branch_ended",
    "timed_out",
    "returned_to_submitter",
    "resubmitted",
    "change_requested",
    "retried",
];

/// Cancel reasons a `branch_cancelled` row words on its own.
const BRANCH_REASONS: &[&str] = &["superseded", "join_satisfied", "returned"];

/// Why a process stopped, worded on its own.
const STOP_REASONS: &[&str] = &["nobody_to_assign", "no_route", "loop_detected"];

/// Names the people entries' details hold: by user id, or by the username older entries hold.
struct Names<'t>(&'t BTreeMap<String, UserBrief>);

impl Names<'_> {
    fn get(&self, stored: &str) -> String {
        self.0
            .get(stored)
            .map_or_else(|| stored.to_owned(), |u| u.display_name.clone())
    }

    fn list(&self, stored: &[Value]) -> String {
        let names: Vec<String> = stored
            .iter()
            .filter_map(Value::as_str)
            .map(|s| self.get(s))
            .collect();
        names.join("、")
    }
}

/// A timeline row in words: the engine's action, with the outcome or target it carries.
fn action_label(
    lang: Lang,
    e: &TimelineEntry,
    steps: &HashMap<String, String>,
    names: &Names<'_>,
    submitter: Option<&UserId>,
) -> String {
    let detail = &e.detail;
    let field = |k: &str| detail.get(k).and_then(Value::as_str).unwrap_or_default();
    let step = |id: &str| steps.get(id).cloned().unwrap_or_else(|| id.to_owned());
    if let Some(text) = particular(lang, e, names, submitter) {
        return text;
    }
    let outcome = field("outcome");
    let key = match (e.action.as_str(), outcome) {
        ("returned", _) if !field("to").is_empty() => {
            return lang.message("flow.returned_to", &[("step", &step(field("to")))]);
        }
        ("moved", _) => return lang.message("flow.moved_to", &[("step", &step(field("to")))]),
        ("decided", o) if DECISIONS.contains(&o) => format!("flow.decided.{o}"),
        ("step_completed" | "ended", o) if OUTCOMES.contains(&o) => {
            format!("flow.{}.{o}", e.action)
        }
        ("cancelled", o) if matches!(o, "rejected" | "withdrawn") => format!("flow.cancelled.{o}"),
        ("branch_cancelled", _) if BRANCH_REASONS.contains(&field("reason")) => {
            format!("flow.branch_cancelled.{}", field("reason"))
        }
        ("stopped", _) if STOP_REASONS.contains(&field("reason")) => {
            format!("flow.stopped.{}", field("reason"))
        }
        (a, _) if FLOW_ACTIONS.contains(&a) => format!("flow.{a}"),
        (a, _) => return a.replace('_', " "),
    };
    lang.message(&key, &[])
}

/// Rows that name people: transfers, reassignments, signers, copies, fallbacks, and the
/// submitter taking back a stopped process.
fn particular(
    lang: Lang,
    e: &TimelineEntry,
    names: &Names<'_>,
    submitter: Option<&UserId>,
) -> Option<String> {
    let detail = &e.detail;
    let field = |k: &str| detail.get(k).and_then(Value::as_str).unwrap_or_default();
    let person = |k: &str| names.get(field(k));
    Some(match e.action.as_str() {
        "decided" if !field("on_behalf_of").is_empty() && DECISIONS.contains(&field("outcome")) => {
            let decision = lang.message(&format!("flow.decided.{}", field("outcome")), &[]);
            lang.message(
                "flow.on_behalf_of",
                &[("user", &person("on_behalf_of")), ("decision", &decision)],
            )
        }
        "transferred" if !field("to").is_empty() => {
            lang.message("flow.transferred_to", &[("user", &person("to"))])
        }
        "reassigned" => lang.message(
            "flow.reassigned_to",
            &[("from", &person("from")), ("to", &person("to"))],
        ),
        "signer_added" if !field("user").is_empty() => {
            let key = if detail.get("before").and_then(Value::as_bool) == Some(true) {
                "flow.signer_added_before"
            } else {
                "flow.signer_added_after"
            };
            lang.message(key, &[("user", &person("user"))])
        }
        "cc_sent" => {
            let users = detail.get("users").and_then(Value::as_array)?;
            if users.is_empty() {
                return None;
            }
            lang.message("flow.cc_sent_to", &[("users", &names.list(users))])
        }
        "nobody_resolved" => {
            let fallback = detail.get("fallback")?;
            match fallback.get("type").and_then(Value::as_str)? {
                "user" => {
                    let user = fallback.get("user").and_then(Value::as_str)?;
                    lang.message("flow.nobody_resolved.user", &[("user", &names.get(user))])
                }
                kind @ ("skipped" | "stopped") => {
                    lang.message(&format!("flow.nobody_resolved.{kind}"), &[])
                }
                _ => return None,
            }
        }
        "cancelled" if submitter.is_some() && e.actor.as_ref().map(|a| &a.id) == submitter => {
            lang.message("flow.cancelled.by_submitter", &[])
        }
        _ => return None,
    })
}

fn tone(e: &TimelineEntry) -> &'static str {
    let outcome = e.detail.get("outcome").and_then(Value::as_str);
    match (e.action.as_str(), outcome) {
        (_, Some("approved" | "auto_approved" | "submitted" | "completed")) => "approved",
        (_, Some("rejected" | "auto_rejected")) => "rejected",
        ("returned" | "returned_to_submitter", _)
        | (_, Some("returned" | "withdrawn" | "returned_to_submitter")) => "returned",
        ("stopped" | "cancelled", _) => "rejected",
        _ => "neutral",
    }
}

/// Whether `e` says nothing the rows around it do not: a single approver's 「同意」 is
/// followed by 「本步骤通过」 in the same instant, 「未找到处理人」 whose fallback stopped the
/// process is followed by the stop, which says why, and a cancellation is followed by the end.
fn repeats(e: &TimelineEntry, previous: Option<&TimelineEntry>) -> bool {
    if e.action == "nobody_resolved"
        && e.detail.pointer("/fallback/type").and_then(Value::as_str) == Some("stopped")
    {
        return true;
    }
    let Some(p) = previous else { return false };
    // An admin's (or a submitter's) cancellation ends the process in the same step.
    if e.action == "ended" && p.action == "cancelled" && e.at == p.at {
        return true;
    }
    let node = |x: &TimelineEntry| x.node.as_ref().map(|n| n.id.clone());
    e.action == "step_completed"
        && p.action == "decided"
        && node(e) == node(p)
        && e.at == p.at
        && e.detail.get("outcome") == p.detail.get("outcome")
}

impl TimelineView {
    pub fn new(t: &Timeline, lang: Lang, now: OffsetDateTime) -> TimelineView {
        let names = Names(&t.people);
        let submitter = t.submitter.as_ref().map(|u| &u.id);
        let steps: HashMap<String, String> = t
            .entries
            .iter()
            .filter_map(|e| e.node.as_ref())
            .chain(t.waiting.iter().map(|(_, _, n)| n))
            .map(|n| (n.id.clone(), step_name(n, lang)))
            .collect();
        let mut rows = Vec::new();
        let mut previous: Option<&TimelineEntry> = None;
        for e in t
            .entries
            .iter()
            .filter(|e| !ROUTING.contains(&e.action.as_str()))
        {
            if !repeats(e, previous) {
                rows.push(Row {
                    at: format::instant(e.at),
                    actor: e.actor.as_ref().map(|u| u.display_name.clone()),
                    step: e
                        .node
                        .as_ref()
                        .map(|n| step_name(n, lang))
                        .unwrap_or_default(),
                    action: action_label(lang, e, &steps, &names, submitter),
                    tone: tone(e),
                    comment: e.comment.clone().filter(|c| !c.trim().is_empty()),
                    took: e.duration_secs.map(|s| duration(lang, s)),
                });
            }
            previous = Some(e);
        }
        let waiting = t
            .waiting
            .iter()
            .map(|(task, who, node)| Waiting {
                step: step_name(node, lang),
                who: who.as_ref().map(|u| u.display_name.clone()),
                since: format::instant(task.created_at),
                waited: duration(lang, (now - task.created_at).whole_seconds()),
                due: task.due_at.map(format::instant),
                overdue: task.due_at.is_some_and(|d| d < now),
            })
            .collect();
        let reason = t
            .entries
            .iter()
            .rev()
            .find(|e| sends_back(e))
            .and_then(|e| {
                Some(Reason {
                    who: e.actor.as_ref().map(|u| u.display_name.clone()),
                    step: e
                        .node
                        .as_ref()
                        .map(|n| step_name(n, lang))
                        .unwrap_or_default(),
                    text: e.comment.clone().filter(|c| !c.trim().is_empty())?,
                })
            });
        let separator = if lang == Lang::En { ", " } else { "、" };
        TimelineView {
            name: t.process_name.get(lang.tag()).to_owned(),
            status: format::status(lang, t.instance.status),
            status_key: t.instance.status.to_string(),
            rows,
            waiting,
            upcoming: t
                .upcoming
                .iter()
                .map(|u| Ahead {
                    step: step_name(&u.node, lang),
                    who: u
                        .assignees
                        .iter()
                        .map(|a| a.display_name.as_str())
                        .collect::<Vec<_>>()
                        .join(separator),
                })
                .collect(),
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations_read_in_human_units() {
        let zh = |s| duration(Lang::ZhCn, s);
        assert_eq!(zh(0), "不到 1 分钟");
        assert_eq!(zh(59), "不到 1 分钟");
        assert_eq!(zh(45 * 60), "45 分钟");
        assert_eq!(zh(2 * 3600), "2 小时");
        assert_eq!(zh(2 * 3600 + 5 * 60 + 30), "2 小时 5 分");
        assert_eq!(zh(86_400 + 59), "1 天");
        assert_eq!(zh(3 * 86_400 + 4 * 3600 + 59 * 60), "3 天 4 小时");
        assert_eq!(zh(-5), "不到 1 分钟");
        let en = |s| duration(Lang::En, s);
        assert_eq!(en(30), "under a minute");
        assert_eq!(en(2 * 3600 + 5 * 60), "2 h 5 min");
        assert_eq!(en(3 * 86_400 + 4 * 3600), "3 d 4 h");
    }

    fn entry(action: &str, actor: Option<&UserBrief>, detail: Value) -> TimelineEntry {
        TimelineEntry {
            at: OffsetDateTime::UNIX_EPOCH,
            actor: actor.cloned(),
            node: None,
            action: action.to_owned(),
            comment: None,
            detail,
            duration_secs: None,
        }
    }

    fn brief(n: u32, username: &str, name: &str) -> UserBrief {
        UserBrief {
            id: UserId::parse(&format!("01900000-0000-7000-8000-{n:012}")).unwrap(),
            username: username.to_owned(),
            display_name: name.to_owned(),
        }
    }

    #[test]
    fn new_process_events_read_as_sentences_naming_people_by_id() {
        let (admin, owner, fin) = (
            brief(1, "admin", "系统管理员"),
            brief(2, "sales1", "张伟"),
            brief(3, "finance", "周婷"),
        );
        let people: BTreeMap<String, UserBrief> = [
            (admin.id.to_string(), admin.clone()),
            (owner.id.to_string(), owner.clone()),
            (fin.id.to_string(), fin.clone()),
            ("finance".to_owned(), fin.clone()),
        ]
        .into_iter()
        .collect();
        let names = Names(&people);
        let steps: HashMap<String, String> = [("b".to_owned(), "财务复核".to_owned())].into();
        let said =
            |lang: Lang, e: TimelineEntry| action_label(lang, &e, &steps, &names, Some(&owner.id));
        let zh = Lang::ZhCn;
        let reassigned = json!({"task": "a#1", "from": owner.id, "to": fin.id});
        assert_eq!(
            said(zh, entry("reassigned", Some(&admin), reassigned)),
            "将待办由 张伟 改派给 周婷"
        );
        assert_eq!(
            said(zh, entry("moved", Some(&admin), json!({"to": "b"}))),
            "将流程移至「财务复核」"
        );
        let cancel = json!({"outcome": "rejected"});
        assert_eq!(
            said(zh, entry("cancelled", Some(&admin), cancel)),
            "终止流程，结果为未通过"
        );
        let withdrew = json!({"outcome": "withdrawn"});
        assert_eq!(
            said(zh, entry("cancelled", Some(&owner), withdrew)),
            "撤回申请"
        );
        let returned = json!({"task": "a#1", "outcome": "returned_to_submitter"});
        assert_eq!(
            said(zh, entry("decided", Some(&fin), returned)),
            "退回发起人"
        );
        let stop = json!({"reason": "nobody_to_assign"});
        assert_eq!(
            said(zh, entry("stopped", None, stop)),
            "流程停止：找不到处理人，等待管理员处理"
        );
        // An entry written before ids names people by username.
        let old = json!({"fallback": {"type": "user", "user": "finance"}});
        assert_eq!(
            said(zh, entry("nobody_resolved", None, old)),
            "未找到处理人，改由 周婷 处理"
        );
        let cc = json!({"users": [fin.id, owner.id]});
        assert_eq!(said(zh, entry("cc_sent", None, cc)), "抄送 周婷、张伟");
        let round = json!({"tasks": ["x2#4"], "reason": "superseded"});
        assert_eq!(
            said(Lang::En, entry("branch_cancelled", None, round)),
            "a new round started; the branch's earlier tasks were cancelled"
        );
        assert_eq!(
            said(zh, entry("retried", Some(&admin), json!({}))),
            "重试此步骤"
        );
    }

    #[test]
    fn task_actions_have_names() {
        assert_eq!(task_action(Lang::ZhCn, Some("approve")), "同意");
        assert_eq!(task_action(Lang::ZhCn, Some("reject")), "驳回");
        assert_eq!(task_action(Lang::En, Some("transfer")), "Transfer");
        assert_eq!(task_action(Lang::ZhCn, Some("new_thing")), "new thing");
    }
}
