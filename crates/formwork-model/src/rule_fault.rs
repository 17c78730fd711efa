//! Faults of automation rules and inbound hooks, each with its stable code and zh-CN/en
//! message. Kept apart from [`crate::problem::Fault`] like the report faults; their codes are
//! listed in [`crate::problem::SEMANTIC_CODES`].

use crate::problem::Problem;

/// A rule or hook fault with the data its message needs.
#[derive(Debug, Clone)]
pub(crate) enum RuleFault<'a> {
    InvalidCron { detail: String },
    ActionNeedsRecord { action: &'a str },
    RecipientNeedsRecord { recipient: &'a str },
    RecipientNeedsTask { recipient: &'a str },
    NotADateField { field: &'a str },
    NotASubtable { field: &'a str },
    ProcessOfOtherForm { process: &'a str, form: &'a str },
    NotifyWithoutRecipients,
    RobotNeedsDestination { channel: &'a str },
    WebhookNeedsOneTarget,
    FieldNotSettable { field: &'a str },
    UnknownProcess { process: &'a str },
}

impl RuleFault<'_> {
    fn code(&self) -> &'static str {
        match self {
            RuleFault::InvalidCron { .. } => "invalid_cron",
            RuleFault::ActionNeedsRecord { .. } | RuleFault::RecipientNeedsRecord { .. } => {
                "needs_record"
            }
            RuleFault::RecipientNeedsTask { .. } => "needs_task",
            RuleFault::NotADateField { .. } => "not_a_date_field",
            RuleFault::NotASubtable { .. } => "not_a_subtable",
            RuleFault::ProcessOfOtherForm { .. } => "process_of_other_form",
            RuleFault::NotifyWithoutRecipients => "notify_without_recipients",
            RuleFault::RobotNeedsDestination { .. } => "robot_needs_destination",
            RuleFault::WebhookNeedsOneTarget => "webhook_needs_one_target",
            RuleFault::FieldNotSettable { .. } => "field_not_settable",
            RuleFault::UnknownProcess { .. } => "unknown_process",
        }
    }

    /// The message as `(zh-CN, en)`.
    fn texts(&self) -> (String, String) {
        match self {
            RuleFault::InvalidCron { detail } => (
                format!("定时表达式无效（分 时 日 月 周，共五段）：{detail}"),
                format!("invalid cron expression (minute hour day month weekday): {detail}"),
            ),
            RuleFault::ActionNeedsRecord { action } => (
                format!("定时规则不针对某条记录，不能使用动作 {action}"),
                format!("a schedule rule is not about one record, so it cannot `{action}`"),
            ),
            RuleFault::RecipientNeedsRecord { recipient } => (
                format!("定时规则不针对某条记录，接收人不能是 {recipient}"),
                format!("a schedule rule is not about one record: no `{recipient}` to notify"),
            ),
            RuleFault::RecipientNeedsTask { recipient } => (
                format!("只有「任务超时」规则才能通知 {recipient}"),
                format!("only `task_overdue` rules can notify `{recipient}`"),
            ),
            RuleFault::NotADateField { field } => (
                format!("「{field}」不是日期或时间字段"),
                format!("`{field}` is not a date or datetime field"),
            ),
            RuleFault::NotASubtable { field } => (
                format!("「{field}」不是子表字段"),
                format!("`{field}` is not a sub-table field"),
            ),
            RuleFault::ProcessOfOtherForm { process, form } => (
                format!("流程「{process}」不属于表单「{form}」，不能在它的记录上启动"),
                format!("process `{process}` belongs to another form than `{form}`"),
            ),
            RuleFault::NotifyWithoutRecipients => (
                "通知需要接收人（assignee 或 to），或钉钉/企业微信群机器人渠道".into(),
                "a notification needs recipients (`assignee` or `to`) or a DingTalk/WeCom robot channel".into(),
            ),
            RuleFault::RobotNeedsDestination { channel } => (
                format!("渠道 {channel} 需要 destination：服务器配置中的群机器人名称"),
                format!("channel `{channel}` needs `destination`, a robot named in the server's configuration"),
            ),
            RuleFault::WebhookNeedsOneTarget => (
                "Webhook 须且只能指定 url 或 destination 之一".into(),
                "a webhook needs exactly one of `url` and `destination`".into(),
            ),
            RuleFault::UnknownProcess { process } => (
                format!("应用中没有流程「{process}」"),
                format!("the app has no process `{process}`"),
            ),
            RuleFault::FieldNotSettable { field } => (
                format!("「{field}」是计算字段，不能由规则设置"),
                format!("`{field}` is computed and cannot be set by a rule"),
            ),
        }
    }

    /// This fault at `pointer`.
    pub(crate) fn at(&self, pointer: impl Into<String>) -> Problem {
        Problem::new(pointer, self.code(), self.texts())
    }
}
