//! The slice of the user directory one step may ask about, fetched before the step: the
//! engine's `Context` is synchronous, so everything it can need is loaded first.
//!
//! That is the members of the roles the process names (of every role when an expression may
//! pick one), the heads of the submitter's department chain, the users the process names,
//! and, for a timer, the heads of whoever holds an open task. It also maps usernames (the
//! engine's) to user ids (the tables') after the step.

use std::collections::{BTreeSet, HashMap};

use formwork_model::{AssigneeDef, Escalation, FallbackDef, NodeKind, ProcessDef};
use formwork_process::State;
use formwork_store::{RoleId, Store, UserId};

use crate::Account;

use crate::{RuntimeError, RuntimeResult};

/// Users, role members and department heads, by username.
#[derive(Debug, Default)]
pub(crate) struct Directory {
    users: HashMap<String, Account>,
    roles: HashMap<String, Vec<String>>,
    /// Heads of the submitter's departments, own department first; a department the submitter
    /// heads is left out, so "the head" is never the submitter themselves.
    submitter_heads: Vec<Option<String>>,
    /// The head above each user an escalation may ask about.
    heads: HashMap<String, Option<String>>,
    /// Whether `heads` was loaded (only timer steps need it).
    heads_loaded: bool,
}

/// What to load besides the roles and users the process names.
pub(crate) struct Wanted<'a> {
    pub submitter: &'a Account,
    /// Load the head above each user holding an open task (for escalations).
    pub heads_of_assignees: Option<&'a State>,
}

impl Directory {
    pub async fn load(
        store: &dyn Store,
        process: &ProcessDef,
        wanted: Wanted<'_>,
    ) -> RuntimeResult<Directory> {
        let mut dir = Directory::default();
        dir.add(wanted.submitter.clone());
        let named = Named::of(process);
        let roles: Vec<RoleId> = if named.any_expression {
            store
                .list_roles()
                .await?
                .into_iter()
                .map(|r| r.id)
                .collect()
        } else {
            // A role the package names in a malformed way has no members.
            named
                .roles
                .iter()
                .filter_map(|r| RoleId::parse(r).ok())
                .collect()
        };
        for role in roles {
            let members = store.role_members(&role).await?;
            let names = members
                .iter()
                .filter(|u| !u.suspended)
                .map(|u| u.username.clone())
                .collect();
            for user in members {
                dir.add(user.into());
            }
            dir.roles.insert(role.to_string(), names);
        }
        for username in named.users {
            if let Some(user) = store.get_user_by_username(&username).await? {
                dir.add(user.into());
            }
        }
        let submitter = wanted.submitter;
        dir.submitter_heads = dir.heads_above(store, submitter, true).await?;
        if let Some(state) = wanted.heads_of_assignees {
            let assignees: BTreeSet<String> =
                state.open_tasks().into_iter().map(|t| t.assignee).collect();
            for username in assignees {
                let head = match dir.user(store, &username).await? {
                    Some(user) => dir
                        .heads_above(store, &user, false)
                        .await?
                        .into_iter()
                        .flatten()
                        .next(),
                    None => None,
                };
                dir.heads.insert(username, head);
            }
            dir.heads_loaded = true;
        }
        Ok(dir)
    }

    fn add(&mut self, user: Account) {
        self.users.insert(user.username.clone(), user);
    }

    /// A user by username, from the snapshot or else the store (remembered).
    pub async fn user(
        &mut self,
        store: &dyn Store,
        username: &str,
    ) -> RuntimeResult<Option<Account>> {
        if let Some(user) = self.users.get(username) {
            return Ok(Some(user.clone()));
        }
        let found = store
            .get_user_by_username(username)
            .await?
            .map(Account::from);
        if let Some(user) = &found {
            self.add(user.clone());
        }
        Ok(found)
    }

    /// The user id of `username`, for a user the step names; unknown users are an error the
    /// caller could not have avoided (a package naming a missing user).
    pub async fn id_of(&mut self, store: &dyn Store, username: &str) -> RuntimeResult<UserId> {
        self.user(store, username)
            .await?
            .map(|u| u.id)
            .ok_or_else(|| {
                RuntimeError::Internal(format!(
                    "user `{username}` named by the process does not exist"
                ))
            })
    }

    /// Heads of `user`'s department chain, own department first, leaving out departments
    /// `user` heads. With `per_level`, one entry per department (`None` where it has no head);
    /// without, only the heads there are.
    async fn heads_above(
        &mut self,
        store: &dyn Store,
        user: &Account,
        per_level: bool,
    ) -> RuntimeResult<Vec<Option<String>>> {
        let mut out = Vec::new();
        for dept in store.department_chain(&user.id).await? {
            if dept.head_user_id.as_ref() == Some(&user.id) {
                continue;
            }
            let head = match &dept.head_user_id {
                Some(id) => store
                    .get_user(id)
                    .await?
                    .filter(|u| !u.suspended)
                    .map(Account::from),
                None => None,
            };
            let name = head.as_ref().map(|u| u.username.clone());
            if let Some(head) = head {
                self.add(head);
            }
            if per_level || name.is_some() {
                out.push(name);
            }
        }
        Ok(out)
    }

    pub fn exists(&self, username: &str) -> bool {
        self.users.get(username).is_some_and(|u| !u.suspended)
    }

    /// Active members of a role, or `None` when the role was not loaded.
    pub fn members(&self, role: &str) -> Option<&[String]> {
        self.roles.get(role).map(Vec::as_slice)
    }

    /// The submitter's department head `levels` up (1 = own department).
    pub fn submitter_head(&self, levels: u8) -> Option<&str> {
        let at = usize::from(levels).checked_sub(1)?;
        self.submitter_heads.get(at)?.as_deref()
    }

    pub fn head_of(&self, username: &str) -> Result<Option<String>, String> {
        if !self.heads_loaded {
            return Err("department heads were not loaded for this step".into());
        }
        Ok(self.heads.get(username).cloned().flatten())
    }
}

/// The roles and users a process names statically.
#[derive(Default)]
struct Named {
    roles: BTreeSet<String>,
    users: BTreeSet<String>,
    any_expression: bool,
}

impl Named {
    fn of(process: &ProcessDef) -> Named {
        let mut named = Named::default();
        for node in &process.nodes {
            let deadline = match &node.kind {
                NodeKind::Approval(a) => {
                    named.rule(&a.assignee);
                    if let FallbackDef::User { username } = &a.fallback {
                        named.users.insert(username.clone());
                    }
                    a.deadline.as_ref()
                }
                NodeKind::Fill(f) => {
                    named.rule(&f.assignee);
                    f.deadline.as_ref()
                }
                NodeKind::Cc { assignee } => {
                    named.rule(assignee);
                    None
                }
                _ => None,
            };
            if let Some(Escalation::Reassign { username }) =
                deadline.and_then(|d| d.escalate.as_ref())
            {
                named.users.insert(username.clone());
            }
        }
        named
    }

    fn rule(&mut self, rule: &AssigneeDef) {
        match rule {
            AssigneeDef::User { username } => {
                self.users.insert(username.clone());
            }
            AssigneeDef::Role { role } => {
                self.roles.insert(role.clone());
            }
            AssigneeDef::Expression { .. } => self.any_expression = true,
            AssigneeDef::Table { rows } => {
                for row in rows {
                    self.rule(&row.assignee);
                }
            }
            AssigneeDef::DepartmentHead { .. }
            | AssigneeDef::Submitter
            | AssigneeDef::Field { .. } => {}
        }
    }
}
