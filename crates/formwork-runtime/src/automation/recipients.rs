//! Who a rule's notification reaches: users, role members, the record's owner and the owner's
//! head, the user(s) of a user field (of the row, for a per-row date rule), the overdue task's
//! assignee and their head, or what an expression names. Suspended users are left out; the
//! same person named twice gets one message.

use formwork_model::expr;
use formwork_model::{AssigneeDef, RecipientDef};
use serde_json::Value;

use super::context::Subject;
use crate::Account;
use crate::directory::Directory;

/// Resolves recipients against the directory snapshot.
pub(crate) struct Recipients<'a> {
    pub dir: &'a Directory,
    pub subject: &'a Subject,
    /// The scope of the rule (record fields, the row's fields first).
    pub scope: &'a Value,
}

impl Recipients<'_> {
    /// Everyone the rule names, once each, in the order named.
    pub fn resolve(
        &self,
        assignee: Option<&AssigneeDef>,
        to: &[RecipientDef],
    ) -> Result<Vec<Account>, String> {
        let mut out: Vec<Account> = Vec::new();
        if let Some(assignee) = assignee {
            self.assignee(assignee, &mut out)?;
        }
        for recipient in to {
            self.recipient(recipient, &mut out)?;
        }
        let mut seen = std::collections::HashSet::new();
        out.retain(|a| !a.suspended && seen.insert(a.id.clone()));
        Ok(out)
    }

    fn push(&self, user: Option<&Account>, out: &mut Vec<Account>) {
        out.extend(user.cloned());
    }

    fn recipient(&self, recipient: &RecipientDef, out: &mut Vec<Account>) -> Result<(), String> {
        let owner = self.subject.owner.as_ref();
        let assignee = self.subject.task.as_ref().and_then(|t| t.assignee.as_ref());
        match recipient {
            RecipientDef::User { username } => self.push(self.dir.by_username(username), out),
            RecipientDef::Role { role } => out.extend(
                self.dir
                    .members(role)
                    .unwrap_or_default()
                    .into_iter()
                    .cloned(),
            ),
            RecipientDef::Owner => self.push(owner, out),
            RecipientDef::OwnerHead => self.push(owner.and_then(|o| self.dir.head_of(o)), out),
            RecipientDef::Field { field } => {
                let value = self.scope.get(field).cloned().unwrap_or(Value::Null);
                self.named(&value, out)?;
            }
            RecipientDef::TaskAssignee => self.push(assignee, out),
            RecipientDef::TaskAssigneeHead => {
                self.push(assignee.and_then(|a| self.dir.head_of(a)), out)
            }
            RecipientDef::Expression { expr: src } => {
                let value = expr::eval(src, self.scope).map_err(|e| e.to_string())?;
                self.named(&value, out)?;
            }
        }
        Ok(())
    }

    /// The first format's single assignee rule, read as recipients.
    fn assignee(&self, assignee: &AssigneeDef, out: &mut Vec<Account>) -> Result<(), String> {
        let owner = self.subject.owner.as_ref();
        match assignee {
            AssigneeDef::User { username } => self.push(self.dir.by_username(username), out),
            AssigneeDef::Role { role } => {
                self.recipient(&RecipientDef::Role { role: role.clone() }, out)?
            }
            AssigneeDef::DepartmentHead { levels } => {
                let head = owner.and_then(|o| {
                    usize::from(*levels)
                        .checked_sub(1)
                        .and_then(|at| self.dir.heads_above(o).get(at).copied())
                        .flatten()
                });
                self.push(head, out);
            }
            AssigneeDef::Submitter => self.push(owner, out),
            AssigneeDef::Field { field } => self.recipient(
                &RecipientDef::Field {
                    field: field.clone(),
                },
                out,
            )?,
            AssigneeDef::Expression { expr } => {
                self.recipient(&RecipientDef::Expression { expr: expr.clone() }, out)?
            }
            AssigneeDef::Table { rows } => {
                for row in rows {
                    let hit = match &row.when {
                        None => true,
                        Some(when) => {
                            expr::eval_bool(when, self.scope).map_err(|e| e.to_string())?
                        }
                    };
                    if hit {
                        return self.assignee(&row.assignee, out);
                    }
                }
            }
        }
        Ok(())
    }

    /// Users a value names: a username, `role:<id>` for the role's members, or a list.
    fn named(&self, value: &Value, out: &mut Vec<Account>) -> Result<(), String> {
        match value {
            Value::Null => Ok(()),
            Value::String(s) => {
                match s.strip_prefix("role:") {
                    Some(role) => out.extend(
                        self.dir
                            .members(role)
                            .unwrap_or_default()
                            .into_iter()
                            .cloned(),
                    ),
                    None => self.push(self.dir.by_username(s), out),
                }
                Ok(())
            }
            Value::Array(items) => items.iter().try_for_each(|v| self.named(v, out)),
            other => Err(format!("{other} does not name a user or role")),
        }
    }
}
