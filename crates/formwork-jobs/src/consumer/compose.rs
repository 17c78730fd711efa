//! Mail for the messages a process step writes (a new task, a reminder, an escalation, a
//! decision, the end, a copy): title, body and link in the recipient's language, from the
//! message's kind and payload alone.

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A message as mail: title, body, and the path people open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub title: String,
    pub body: String,
    pub link: Option<String>,
}

fn outcome_label(outcome: &str, en: bool) -> &'static str {
    match (outcome, en) {
        ("approved", false) => "已通过",
        ("rejected", false) => "已驳回",
        ("withdrawn", false) => "已撤回",
        ("completed", false) => "已完成",
        ("submitted", false) => "已提交",
        ("approved", true) => "approved",
        ("rejected", true) => "rejected",
        ("withdrawn", true) => "withdrawn",
        ("completed", true) => "completed",
        ("submitted", true) => "submitted",
        (_, false) => "已处理",
        (_, true) => "handled",
    }
}

/// A time as people read it (Asia/Shanghai, to the minute).
fn local(t: &str) -> String {
    OffsetDateTime::parse(t, &Rfc3339)
        .ok()
        .map(|t| t.to_offset(formwork_calendar::SHANGHAI))
        .map_or_else(
            || t.to_owned(),
            |t| {
                format!(
                    "{:04}-{:02}-{:02} {:02}:{:02}",
                    t.year(),
                    u8::from(t.month()),
                    t.day(),
                    t.hour(),
                    t.minute()
                )
            },
        )
}

/// The mail for an in-app message of `kind` with `payload`, in `lang` (`en`, else zh-CN);
/// `None` for kinds that have no mail.
pub fn compose(kind: &str, payload: &Value, lang: &str) -> Option<Composed> {
    let en = lang == "en";
    let text = |key: &str| payload.get(key).and_then(Value::as_str).unwrap_or_default();
    let node = payload
        .get("node_name")
        .and_then(|n| {
            n.get(if en { "en" } else { "zh-CN" })
                .or_else(|| n.get("zh-CN"))
        })
        .and_then(Value::as_str)
        .map_or_else(|| text("node").to_owned(), str::to_owned);
    let task_link = payload
        .get("task_id")
        .and_then(Value::as_str)
        .map(|id| format!("/tasks/{id}"));
    let record_link = payload
        .get("record_id")
        .and_then(Value::as_str)
        .map(|id| format!("/records/{id}"));
    let due = payload.get("due_at").and_then(Value::as_str).map(local);
    let outcome = outcome_label(text("outcome"), en);
    let (title, body, link) = match (kind, en) {
        ("task", false) => (
            format!("新的待办：{node}"),
            match &due {
                Some(d) => format!("您有一项新的待办「{node}」，请在 {d} 前处理。"),
                None => format!("您有一项新的待办「{node}」，请及时处理。"),
            },
            task_link,
        ),
        ("task", true) => (
            format!("New task: {node}"),
            match &due {
                Some(d) => format!("You have a new task, “{node}”, due by {d}."),
                None => format!("You have a new task, “{node}”."),
            },
            task_link,
        ),
        ("reminder", false) => (
            "待办即将到期".to_owned(),
            format!(
                "您的待办将于 {} 到期，请及时处理。",
                due.unwrap_or_default()
            ),
            task_link,
        ),
        ("reminder", true) => (
            "A task is due soon".to_owned(),
            format!("Your task is due at {}.", due.unwrap_or_default()),
            task_link,
        ),
        ("escalation", false) => (
            "下属待办已超时".to_owned(),
            format!("{} 的待办已超过期限，请关注。", text("assignee")),
            task_link,
        ),
        ("escalation", true) => (
            "A task of your team is overdue".to_owned(),
            format!("{}'s task is past its due time.", text("assignee")),
            task_link,
        ),
        ("decision", false) => (
            format!("审批进展：{node}{outcome}"),
            format!("您提交的申请在「{node}」环节{outcome}。"),
            record_link,
        ),
        ("decision", true) => (
            format!("Approval update: {node} {outcome}"),
            format!("Your submission was {outcome} at “{node}”."),
            record_link,
        ),
        ("ended", false) => (
            format!("审批流程已结束：{outcome}"),
            format!("您提交的申请审批流程已结束，结果：{outcome}。"),
            record_link,
        ),
        ("ended", true) => (
            format!("Approval finished: {outcome}"),
            format!("The approval of your submission has finished: {outcome}."),
            record_link,
        ),
        ("cc", false) => (
            "抄送通知".to_owned(),
            "有一份申请抄送给您，请查阅。".to_owned(),
            record_link,
        ),
        ("cc", true) => (
            "For your information".to_owned(),
            "A submission was copied to you.".to_owned(),
            record_link,
        ),
        _ => return None,
    };
    Some(Composed { title, body, link })
}
