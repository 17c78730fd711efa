//! Automation rules and inbound hooks of a package: serde types.
//!
//! A rule is trigger + condition + actions. The trigger says when it is looked at (a record
//! created, updated or deleted, a field changed, a process ended, a task overdue, a schedule,
//! a date in the record), the condition (an expression) whether it acts, and the actions what
//! it does (notify people and groups, call a webhook, set fields, create a record, start a
//! process). The first format named a trigger by a word (`"created"`); that form stays valid
//! and means the same as `{"type": "created"}`.
//!
//! A hook maps a JSON document posted to `/api/v1/apps/{app}/hooks/{hook}` onto a form and
//! submits it as a named service user.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::def::{AssigneeDef, HoursKind, Text};

/// Trigger + condition + actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleDef {
    pub id: String,
    /// What the rule is for, shown on its runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    /// The form whose records it watches.
    pub form: String,
    pub trigger: TriggerDef,
    /// An expression over the record (and what the trigger adds); the rule acts when true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    pub actions: Vec<RuleActionDef>,
}

/// When a rule is looked at: a word of the first format, or a trigger with its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TriggerDef {
    Event(RecordEvent),
    Spec(TriggerSpec),
}

/// The triggers the first format named by a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordEvent {
    Created,
    Updated,
    Deleted,
    ProcessEnded,
}

/// A trigger with its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TriggerSpec {
    /// A record of the form was submitted.
    Created,
    /// A record of the form was changed (by a person, a process step or another rule).
    Updated,
    /// A record of the form was deleted.
    Deleted,
    /// A field changed; with `from` and/or `to`, only a change from / to those values.
    FieldChanged {
        field: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<Value>,
    },
    /// The record's process ended; with `outcome`, only with that outcome.
    ProcessEnded {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        outcome: Option<String>,
    },
    /// A task of the record's process is still open `hours` after it was due (after it was
    /// given, for a task without a deadline); with `node`, only tasks of that step.
    TaskOverdue {
        hours: u32,
        #[serde(default, skip_serializing_if = "HoursKind::is_calendar")]
        calendar: HoursKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<String>,
    },
    /// On a schedule: five-field cron in Asia/Shanghai; with `working_days`, only on working
    /// days of the calendar. Not about one record.
    Schedule {
        cron: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        working_days: bool,
    },
    /// `days_before` days before the date in `field` (negative: after), at `at` (`HH:MM`,
    /// Asia/Shanghai, default 09:00); with `subtable`, once per row of that sub-table.
    Date {
        field: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subtable: Option<String>,
        #[serde(default)]
        days_before: i32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<String>,
    },
}

impl TriggerDef {
    /// The trigger with its settings, whichever way it was written.
    pub fn spec(&self) -> TriggerSpec {
        match self {
            TriggerDef::Spec(spec) => spec.clone(),
            TriggerDef::Event(RecordEvent::Created) => TriggerSpec::Created,
            TriggerDef::Event(RecordEvent::Updated) => TriggerSpec::Updated,
            TriggerDef::Event(RecordEvent::Deleted) => TriggerSpec::Deleted,
            TriggerDef::Event(RecordEvent::ProcessEnded) => {
                TriggerSpec::ProcessEnded { outcome: None }
            }
        }
    }
}

impl TriggerSpec {
    /// The trigger's type name, as written in the package (`field_changed`).
    pub fn name(&self) -> &'static str {
        match self {
            TriggerSpec::Created => "created",
            TriggerSpec::Updated => "updated",
            TriggerSpec::Deleted => "deleted",
            TriggerSpec::FieldChanged { .. } => "field_changed",
            TriggerSpec::ProcessEnded { .. } => "process_ended",
            TriggerSpec::TaskOverdue { .. } => "task_overdue",
            TriggerSpec::Schedule { .. } => "schedule",
            TriggerSpec::Date { .. } => "date",
        }
    }

    /// Whether a run is about one record (all but schedules).
    pub fn has_record(&self) -> bool {
        !matches!(self, TriggerSpec::Schedule { .. })
    }

    /// Names the trigger adds to the condition's scope besides the record's fields.
    pub fn scope_names(&self) -> &'static [&'static str] {
        match self {
            TriggerSpec::Updated => &["changed"],
            TriggerSpec::FieldChanged { .. } => &["changed", "old_value", "new_value"],
            TriggerSpec::ProcessEnded { .. } => &["outcome"],
            TriggerSpec::TaskOverdue { .. } => &["task_node", "task_assignee", "task_due_at"],
            TriggerSpec::Date { .. } => &["date"],
            TriggerSpec::Created | TriggerSpec::Deleted | TriggerSpec::Schedule { .. } => &[],
        }
    }
}

/// Where a notification goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The recipients' in-app messages (always on for them).
    InApp,
    /// Mail to each recipient who keeps mail on.
    Email,
    /// A DingTalk group robot (the action's `destination`).
    Dingtalk,
    /// A WeCom group robot (the action's `destination`).
    Wecom,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::InApp => "in_app",
            Channel::Email => "email",
            Channel::Dingtalk => "dingtalk",
            Channel::Wecom => "wecom",
        }
    }

    /// Whether the channel posts to a group robot rather than to each recipient.
    pub fn is_robot(self) -> bool {
        matches!(self, Channel::Dingtalk | Channel::Wecom)
    }
}

/// Who a notification is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RecipientDef {
    User {
        username: String,
    },
    Role {
        role: String,
    },
    /// Whoever submitted the record.
    Owner,
    /// The head of the owner's department (the next head up when the owner heads it).
    OwnerHead,
    /// The user(s) in a user field (of the sub-table row, for a per-row date trigger).
    Field {
        field: String,
    },
    /// The person the overdue task is assigned to.
    TaskAssignee,
    /// The head of that person's department.
    TaskAssigneeHead,
    /// An expression that yields a username, `role:<id>`, or a list of them.
    Expression {
        expr: String,
    },
}

/// One action of a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RuleActionDef {
    /// A message to people (in-app, mail) and/or to a group robot.
    Notify {
        /// One assignee rule, as the first format had it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        assignee: Option<AssigneeDef>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        to: Vec<RecipientDef>,
        /// A short title (mail subject, robot title); a template.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<Text>,
        /// The message, a template over the same scope as the condition.
        message: Text,
        /// Default: in-app only.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        channels: Vec<Channel>,
        /// The robot (a name the server's configuration defines) for DingTalk and WeCom.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        destination: Option<String>,
    },
    /// Sets a field to an expression's value, through the form's validation.
    SetField { field: String, value: String },
    /// Posts the event as signed JSON to a URL, or to a destination the server's
    /// configuration defines (with its secret).
    Webhook {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        destination: Option<String>,
    },
    /// Creates a record of another form: each of its fields from an expression.
    CreateRecord {
        form: String,
        fields: BTreeMap<String, String>,
    },
    /// Starts a process on the record.
    StartProcess { process: String },
}

impl RuleActionDef {
    /// The action's type name, as written in the package.
    pub fn name(&self) -> &'static str {
        match self {
            RuleActionDef::Notify { .. } => "notify",
            RuleActionDef::SetField { .. } => "set_field",
            RuleActionDef::Webhook { .. } => "webhook",
            RuleActionDef::CreateRecord { .. } => "create_record",
            RuleActionDef::StartProcess { .. } => "start_process",
        }
    }
}

/// An inbound hook: JSON posted to it becomes a record of `form`, submitted as `as_user`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HookDef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    pub form: String,
    /// The username of the service user the record is submitted as.
    pub as_user: String,
    /// Each field of the form from an expression over `payload` (the posted JSON).
    pub fields: BTreeMap<String, String>,
    /// Where the delivery id is when no `X-Formwork-Delivery-Id` header carries it: an
    /// expression over `payload`, e.g. `payload.id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_id: Option<String>,
}

/// Parses a five-field cron expression (minute hour day month weekday; names and `@daily`
/// aliases allowed), as schedules and package checks read it.
pub fn parse_cron(expr: &str) -> Result<croner::Cron, String> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Disallowed)
        .year(croner::parser::Year::Disallowed)
        .build()
        .parse(expr)
        .map_err(|e| e.to_string())
}
