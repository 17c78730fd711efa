//! Semantic checks of automation rules and inbound hooks: the form, the trigger's fields, cron
//! and process names they refer to, the names their expressions and templates read, and
//! actions that make sense for the trigger (a schedule is about no record).

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Checker, Scope};
use crate::def::{FormDef, HookDef, NodeKind, RecipientDef, RuleActionDef, RuleDef, TriggerSpec};
use crate::expr::ROW;
use crate::problem::{Fault, escape_token};
use crate::rule_def::parse_cron;
use crate::rule_fault::RuleFault;

/// Whether a field's schema (and its widget) says it holds dates or instants.
fn holds_dates(schema: &Value, widget: Option<&str>) -> bool {
    let named = |k: &str| matches!(k, "date" | "datetime" | "date-time");
    match schema.get("x-formwork-kind").and_then(Value::as_str) {
        Some(kind) => named(kind),
        None => {
            widget.is_some_and(named)
                || schema
                    .get("format")
                    .and_then(Value::as_str)
                    .is_some_and(named)
        }
    }
}

/// The names templates and expressions of `rule` may read, and what its trigger adds.
fn rule_scope(form: Option<&FormDef>, spec: &TriggerSpec) -> Scope {
    let mut names: BTreeSet<String> = if spec.has_record() {
        Checker::record_scope(form)?
    } else {
        ["now", "today"].iter().map(|s| (*s).to_owned()).collect()
    };
    names.extend(spec.scope_names().iter().map(|s| (*s).to_owned()));
    if let (
        TriggerSpec::Date {
            subtable: Some(sub),
            ..
        },
        Some(form),
    ) = (spec, form)
    {
        names.extend(
            form.subtable_keys(sub)
                .into_iter()
                .flatten()
                .map(str::to_owned),
        );
        names.insert(ROW.to_owned());
    }
    Some(names)
}

impl<'a> Checker<'a> {
    fn rule_fault(&mut self, fault: RuleFault<'_>, at: impl Into<String>) {
        self.problems.push(fault.at(at));
    }

    pub(super) fn rule(&mut self, at: &str, rule: &'a RuleDef) {
        let form = self.form_named(&rule.form);
        if form.is_none() {
            self.push(
                Fault::UnknownForm { form: &rule.form },
                format!("{at}/form"),
            );
        }
        let spec = rule.trigger.spec();
        self.trigger(&format!("{at}/trigger"), form, &spec);
        let fields = form.and_then(Self::fields);
        let scope = rule_scope(form, &spec);
        if let Some(condition) = &rule.condition {
            self.expr(format!("{at}/condition"), condition, &scope);
        }
        for (a, action) in rule.actions.iter().enumerate() {
            let action_at = format!("{at}/actions/{a}");
            if !spec.has_record()
                && matches!(
                    action,
                    RuleActionDef::SetField { .. } | RuleActionDef::StartProcess { .. }
                )
            {
                self.rule_fault(
                    RuleFault::ActionNeedsRecord {
                        action: action.name(),
                    },
                    format!("{action_at}/type"),
                );
            }
            match action {
                RuleActionDef::Notify { .. } => {
                    self.notify(&action_at, action, &spec, &scope, &fields)
                }
                RuleActionDef::SetField { field, value } => {
                    self.field_ref(format!("{action_at}/field"), field, &fields);
                    if form.is_some_and(|f| {
                        f.ui.fields.get(field).is_some_and(|u| u.compute.is_some())
                    }) {
                        self.rule_fault(
                            RuleFault::FieldNotSettable { field },
                            format!("{action_at}/field"),
                        );
                    }
                    self.expr(format!("{action_at}/value"), value, &scope);
                }
                RuleActionDef::Webhook { url, destination } => {
                    if url.is_some() == destination.is_some() {
                        self.rule_fault(RuleFault::WebhookNeedsOneTarget, action_at);
                    }
                }
                RuleActionDef::CreateRecord {
                    form: target,
                    fields: mapping,
                } => {
                    let target_form = self.form_named(target);
                    if target_form.is_none() {
                        self.push(
                            Fault::UnknownForm { form: target },
                            format!("{action_at}/form"),
                        );
                    }
                    let target_fields = target_form.and_then(Self::fields);
                    for (key, src) in mapping {
                        let key_at = format!("{action_at}/fields/{}", escape_token(key));
                        self.field_ref(key_at.clone(), key, &target_fields);
                        self.expr(key_at, src, &scope);
                    }
                }
                RuleActionDef::StartProcess { process } => match self.app.process(process) {
                    None => self.rule_fault(
                        RuleFault::UnknownProcess { process },
                        format!("{action_at}/process"),
                    ),
                    Some(p) if p.form != rule.form => self.rule_fault(
                        RuleFault::ProcessOfOtherForm {
                            process,
                            form: &rule.form,
                        },
                        format!("{action_at}/process"),
                    ),
                    Some(_) => {}
                },
            }
        }
    }

    fn trigger(&mut self, at: &str, form: Option<&'a FormDef>, spec: &TriggerSpec) {
        let fields = form.and_then(Self::fields);
        match spec {
            TriggerSpec::FieldChanged { field, .. } => {
                self.field_ref(format!("{at}/field"), field, &fields);
            }
            TriggerSpec::TaskOverdue {
                node: Some(node), ..
            } => {
                let known = self
                    .app
                    .processes
                    .iter()
                    .filter(|p| Some(p.form.as_str()) == form.map(|f| f.id.as_str()))
                    .any(|p| {
                        p.nodes.iter().any(|n| {
                            n.id == *node
                                && matches!(n.kind, NodeKind::Approval(_) | NodeKind::Fill(_))
                        })
                    });
                if form.is_some() && !known {
                    self.push(Fault::UnknownNode { node }, format!("{at}/node"));
                }
            }
            TriggerSpec::Schedule { cron, .. } => {
                if let Err(detail) = parse_cron(cron) {
                    self.rule_fault(RuleFault::InvalidCron { detail }, format!("{at}/cron"));
                }
            }
            TriggerSpec::Date {
                field, subtable, ..
            } => self.date_trigger(at, form, field, subtable.as_deref()),
            TriggerSpec::Created
            | TriggerSpec::Updated
            | TriggerSpec::Deleted
            | TriggerSpec::ProcessEnded { .. }
            | TriggerSpec::TaskOverdue { node: None, .. } => {}
        }
    }

    fn date_trigger(
        &mut self,
        at: &str,
        form: Option<&FormDef>,
        field: &str,
        subtable: Option<&str>,
    ) {
        let Some(form) = form else { return };
        let props = form.schema.get("properties");
        match subtable {
            None => match props.and_then(|p| p.get(field)) {
                None => self.push(Fault::UnknownField { field }, format!("{at}/field")),
                Some(schema) => {
                    let widget = form.ui.fields.get(field).and_then(|u| u.widget.as_deref());
                    if !holds_dates(schema, widget) {
                        self.rule_fault(RuleFault::NotADateField { field }, format!("{at}/field"));
                    }
                }
            },
            Some(sub) => {
                let Some(row_schema) = props
                    .and_then(|p| p.get(sub))
                    .and_then(|s| s.get("items"))
                    .filter(|items| items.get("properties").is_some())
                else {
                    self.rule_fault(
                        RuleFault::NotASubtable { field: sub },
                        format!("{at}/subtable"),
                    );
                    return;
                };
                match row_schema.get("properties").and_then(|p| p.get(field)) {
                    None => self.push(Fault::UnknownField { field }, format!("{at}/field")),
                    Some(schema) => {
                        let widget = form
                            .ui
                            .fields
                            .get(sub)
                            .and_then(|u| u.fields.get(field))
                            .and_then(|u| u.widget.as_deref());
                        if !holds_dates(schema, widget) {
                            self.rule_fault(
                                RuleFault::NotADateField { field },
                                format!("{at}/field"),
                            );
                        }
                    }
                }
            }
        }
    }

    fn notify(
        &mut self,
        at: &str,
        action: &'a RuleActionDef,
        spec: &TriggerSpec,
        scope: &Scope,
        fields: &Option<BTreeSet<String>>,
    ) {
        let RuleActionDef::Notify {
            assignee,
            to,
            title,
            message,
            channels,
            destination,
        } = action
        else {
            return;
        };
        if let Some(assignee) = assignee {
            self.assignee(&format!("{at}/assignee"), assignee, scope, fields);
        }
        let robots = channels.iter().any(|c| c.is_robot());
        if assignee.is_none() && to.is_empty() && !robots {
            self.rule_fault(RuleFault::NotifyWithoutRecipients, at.to_owned());
        }
        for (c, channel) in channels.iter().enumerate() {
            if channel.is_robot() && destination.is_none() {
                self.rule_fault(
                    RuleFault::RobotNeedsDestination {
                        channel: channel.as_str(),
                    },
                    format!("{at}/channels/{c}"),
                );
            }
        }
        let row_fields: Option<BTreeSet<String>> = scope.clone();
        for (r, recipient) in to.iter().enumerate() {
            let r_at = format!("{at}/to/{r}");
            match recipient {
                RecipientDef::Role { role } => self.role_ref(format!("{r_at}/role"), role),
                RecipientDef::Field { field } => {
                    self.field_ref(format!("{r_at}/field"), field, &row_fields)
                }
                RecipientDef::Expression { expr } => self.expr(format!("{r_at}/expr"), expr, scope),
                RecipientDef::Owner | RecipientDef::OwnerHead if !spec.has_record() => self
                    .rule_fault(
                        RuleFault::RecipientNeedsRecord {
                            recipient: recipient_name(recipient),
                        },
                        r_at,
                    ),
                RecipientDef::TaskAssignee | RecipientDef::TaskAssigneeHead
                    if !matches!(spec, TriggerSpec::TaskOverdue { .. }) =>
                {
                    self.rule_fault(
                        RuleFault::RecipientNeedsTask {
                            recipient: recipient_name(recipient),
                        },
                        r_at,
                    )
                }
                RecipientDef::User { .. }
                | RecipientDef::Owner
                | RecipientDef::OwnerHead
                | RecipientDef::TaskAssignee
                | RecipientDef::TaskAssigneeHead => {}
            }
        }
        for (name, text) in [("message", Some(message)), ("title", title.as_ref())] {
            for (lang, src) in text.map(|t| t.0.iter()).into_iter().flatten() {
                self.template(format!("{at}/{name}/{}", escape_token(lang)), src, scope);
            }
        }
    }

    /// A text template: it compiles and reads only names of `scope`.
    fn template(&mut self, at: String, src: &str, scope: &Scope) {
        self.names(at, crate::expr::template_variables(src), scope);
    }

    pub(super) fn hook(&mut self, at: &str, hook: &'a HookDef) {
        let form = self.form_named(&hook.form);
        if form.is_none() {
            self.push(
                Fault::UnknownForm { form: &hook.form },
                format!("{at}/form"),
            );
        }
        let fields = form.and_then(Self::fields);
        let scope: Scope = Some(["payload".to_owned()].into_iter().collect());
        for (key, src) in &hook.fields {
            let key_at = format!("{at}/fields/{}", escape_token(key));
            self.field_ref(key_at.clone(), key, &fields);
            self.expr(key_at, src, &scope);
        }
        if let Some(src) = &hook.delivery_id {
            self.expr(format!("{at}/delivery_id"), src, &scope);
        }
    }
}

fn recipient_name(recipient: &RecipientDef) -> &'static str {
    match recipient {
        RecipientDef::User { .. } => "user",
        RecipientDef::Role { .. } => "role",
        RecipientDef::Owner => "owner",
        RecipientDef::OwnerHead => "owner_head",
        RecipientDef::Field { .. } => "field",
        RecipientDef::TaskAssignee => "task_assignee",
        RecipientDef::TaskAssigneeHead => "task_assignee_head",
        RecipientDef::Expression { .. } => "expression",
    }
}
