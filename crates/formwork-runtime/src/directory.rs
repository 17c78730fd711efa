//! The directory — users, departments with their parents and heads, roles and their members —
//! held as one immutable snapshot per server and keyed by the store's directory epoch.
//!
//! Every change to users, departments, roles or role members moves the epoch in its own
//! transaction, so one cheap read of the epoch tells whether the snapshot is current; it is
//! reloaded only when the epoch moved. Several servers on one database agree without telling
//! each other anything. The snapshot holds no password hashes.
//!
//! Process steps resolve assignees against the whole snapshot (any user a field names, role
//! members, department heads at any level), so a step needs no directory reads of its own.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use formwork_store::{
    Account, Delegation, Department, DepartmentId, DirectoryRows, Epochs, RoleId, UserId,
};
use time::OffsetDateTime;

use crate::{Runtime, RuntimeResult};

/// How deep a department chain is followed; deeper means a cycle written by hand.
const MAX_DEPTH: usize = 64;

/// One snapshot of the whole directory.
#[derive(Debug, Default)]
pub(crate) struct Directory {
    epoch: i64,
    users: HashMap<UserId, Account>,
    by_username: HashMap<String, UserId>,
    /// Every department, by name.
    departments: Vec<Department>,
    department_at: HashMap<DepartmentId, usize>,
    /// Every role's members, by username.
    members: HashMap<RoleId, Vec<UserId>>,
    roles_of: HashMap<UserId, Vec<RoleId>>,
    /// Out-of-office delegations, whether in force or not.
    delegations: Vec<Delegation>,
}

impl Directory {
    pub fn from_rows(rows: DirectoryRows) -> Directory {
        let mut members: HashMap<RoleId, Vec<UserId>> =
            rows.roles.into_iter().map(|r| (r.id, Vec::new())).collect();
        let mut roles_of: HashMap<UserId, Vec<RoleId>> = HashMap::new();
        for (role, user) in rows.members {
            roles_of.entry(user.clone()).or_default().push(role.clone());
            members.entry(role).or_default().push(user);
        }
        let by_username: HashMap<String, UserId> = rows
            .users
            .iter()
            .map(|u| (u.username.clone(), u.id.clone()))
            .collect();
        let users: HashMap<UserId, Account> =
            rows.users.into_iter().map(|u| (u.id.clone(), u)).collect();
        let username = |id: &UserId| users.get(id).map(|u| u.username.clone());
        for list in members.values_mut() {
            list.sort_by_key(|id| username(id));
        }
        for roles in roles_of.values_mut() {
            roles.sort();
        }
        let department_at = rows
            .departments
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.clone(), i))
            .collect();
        Directory {
            epoch: rows.epoch,
            users,
            by_username,
            departments: rows.departments,
            department_at,
            members,
            roles_of,
            delegations: rows.delegations,
        }
    }

    /// Every delegation, in force or not.
    pub fn delegations(&self) -> &[Delegation] {
        &self.delegations
    }

    /// The delegations in force at `now`.
    pub fn away(&self, now: OffsetDateTime) -> Vec<&Delegation> {
        self.delegations
            .iter()
            .filter(|d| d.starts_at <= now && now < d.ends_at)
            .collect()
    }

    pub fn user(&self, id: &UserId) -> Option<&Account> {
        self.users.get(id)
    }

    pub fn by_username(&self, username: &str) -> Option<&Account> {
        self.user(self.by_username.get(username)?)
    }

    /// The user a stored name means: a user id (what the engine writes), or a username (what
    /// timelines and states written before the engine spoke ids hold).
    pub fn user_named(&self, name: &str) -> Option<&Account> {
        UserId::parse(name)
            .ok()
            .and_then(|id| self.user(&id))
            .or_else(|| self.by_username(name))
    }

    /// A user who may be given work: one that exists and is not suspended.
    pub fn active(&self, username: &str) -> Option<&Account> {
        self.by_username(username).filter(|u| !u.suspended)
    }

    /// The roles of a user, sorted.
    pub fn roles_of(&self, id: &UserId) -> Vec<RoleId> {
        self.roles_of.get(id).cloned().unwrap_or_default()
    }

    /// The active members of a role by username; `None` when there is no such role.
    pub fn members(&self, role: &str) -> Option<Vec<&Account>> {
        let role = RoleId::parse(role).ok()?;
        let ids = self.members.get(&role)?;
        Some(
            ids.iter()
                .filter_map(|id| self.user(id))
                .filter(|u| !u.suspended)
                .collect(),
        )
    }

    /// Every department, by name.
    pub fn departments(&self) -> &[Department] {
        &self.departments
    }

    pub fn department(&self, id: &DepartmentId) -> Option<&Department> {
        self.departments.get(*self.department_at.get(id)?)
    }

    /// The people (active or not) whose own department is `id`, by username.
    pub fn department_members(&self, id: &DepartmentId) -> Vec<&Account> {
        let mut out: Vec<&Account> = self
            .users
            .values()
            .filter(|u| u.department_id.as_ref() == Some(id))
            .collect();
        out.sort_by(|a, b| a.username.cmp(&b.username));
        out
    }

    /// The user's department and those above it, up to the root.
    pub fn chain(&self, user: &Account) -> Vec<&Department> {
        let mut out = Vec::new();
        let mut next = user.department_id.as_ref();
        while let Some(id) = next {
            let Some(dept) = self.department(id) else {
                break;
            };
            if out.len() == MAX_DEPTH {
                break;
            }
            out.push(dept);
            next = dept.parent_id.as_ref();
        }
        out
    }

    /// The active head of each department of `user`'s chain, own department first, leaving
    /// out departments `user` heads (so "the head" is never the person themselves); `None`
    /// where a department has no active head.
    pub fn heads_above(&self, user: &Account) -> Vec<Option<&Account>> {
        self.chain(user)
            .into_iter()
            .filter(|d| d.head_user_id.as_ref() != Some(&user.id))
            .map(|d| {
                d.head_user_id
                    .as_ref()
                    .and_then(|id| self.user(id))
                    .filter(|u| !u.suspended)
            })
            .collect()
    }

    /// The first active head above `user`, for an escalation.
    pub fn head_of(&self, user: &Account) -> Option<&Account> {
        self.heads_above(user).into_iter().flatten().next()
    }

    /// The user's own department and every department they head, with all sub-departments:
    /// whose records a department read scope shows them.
    pub fn in_charge(&self, user: &Account) -> Vec<DepartmentId> {
        let mut roots: Vec<&DepartmentId> = self
            .departments
            .iter()
            .filter(|d| d.head_user_id.as_ref() == Some(&user.id))
            .map(|d| &d.id)
            .collect();
        roots.extend(user.department_id.as_ref());
        let mut out: Vec<DepartmentId> = Vec::new();
        while let Some(id) = roots.pop() {
            if out.contains(id) {
                continue;
            }
            out.push(id.clone());
            roots.extend(
                self.departments
                    .iter()
                    .filter(|d| d.parent_id.as_ref() == Some(id))
                    .map(|d| &d.id),
            );
        }
        out
    }

    /// Active admins by username: whom a stopped process waits for.
    pub fn admins(&self) -> Vec<&Account> {
        let mut out: Vec<&Account> = self
            .users
            .values()
            .filter(|u| u.is_admin && !u.suspended)
            .collect();
        out.sort_by(|a, b| a.username.cmp(&b.username));
        out
    }

    /// Active users by username, as a people picker offers them.
    pub fn people(&self) -> Vec<&Account> {
        let mut out: Vec<&Account> = self.users.values().filter(|u| !u.suspended).collect();
        out.sort_by(|a, b| a.username.cmp(&b.username));
        out
    }
}

/// The snapshot a server holds, shared by every clone of its [`Runtime`].
#[derive(Default)]
pub(crate) struct DirectoryCache(RwLock<Option<Arc<Directory>>>);

impl DirectoryCache {
    fn current(&self, epoch: i64) -> Option<Arc<Directory>> {
        let held = self.0.read().unwrap_or_else(PoisonError::into_inner);
        held.as_ref().filter(|d| d.epoch == epoch).cloned()
    }

    fn put(&self, directory: Arc<Directory>) {
        let mut held = self.0.write().unwrap_or_else(PoisonError::into_inner);
        // Keep the newer of two snapshots loaded at once.
        if held.as_ref().is_none_or(|d| d.epoch <= directory.epoch) {
            *held = Some(directory);
        }
    }
}

impl Runtime {
    /// The directory at `epoch`, just read by the caller with something else (a session):
    /// the held snapshot when it is at that epoch, without another read.
    pub(crate) async fn directory_at(&self, epoch: i64) -> RuntimeResult<Arc<Directory>> {
        match self.directory.current(epoch) {
            Some(current) => Ok(current),
            None => self.directory().await,
        }
    }

    /// The directory a request works with: the held snapshot when it is at the epoch read
    /// with the request's session, else as the database has it now.
    pub(crate) async fn directory_seen(
        &self,
        epochs: Option<Epochs>,
    ) -> RuntimeResult<Arc<Directory>> {
        match epochs {
            Some(epochs) => self.directory_at(epochs.directory).await,
            None => self.directory().await,
        }
    }

    /// [`Runtime::directory_seen`] at the epochs of the caller's session.
    pub(crate) async fn directory_for(
        &self,
        caller: &crate::policy::Caller,
    ) -> RuntimeResult<Arc<Directory>> {
        self.directory_seen(caller.epochs).await
    }

    /// The directory as the database has it now: the held snapshot when the epoch has not
    /// moved (one cheap read), else a fresh one.
    pub(crate) async fn directory(&self) -> RuntimeResult<Arc<Directory>> {
        let epoch = self.store.directory_epoch().await?;
        if let Some(current) = self.directory.current(epoch) {
            return Ok(current);
        }
        let fresh = Arc::new(Directory::from_rows(self.store.load_directory().await?));
        self.directory.put(fresh.clone());
        Ok(fresh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use formwork_store::Role;
    use time::OffsetDateTime;

    fn account(n: u32, username: &str, dept: Option<&DepartmentId>) -> Account {
        Account {
            id: UserId::parse(&format!("01900000-0000-7000-8000-{n:012}")).unwrap(),
            username: username.to_owned(),
            display_name: username.to_uppercase(),
            email: None,
            department_id: dept.cloned(),
            is_admin: false,
            suspended: false,
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn dept(n: u32, parent: Option<&DepartmentId>, head: Option<&UserId>) -> Department {
        Department {
            id: DepartmentId::parse(&format!("01900000-0000-7000-9000-{n:012}")).unwrap(),
            name: format!("dept {n}"),
            parent_id: parent.cloned(),
            head_user_id: head.cloned(),
        }
    }

    /// 销售中心 (head director) over 华东 (head manager) with sales1 in it.
    fn sample() -> (Directory, Account, Account, Account) {
        let centre_id = DepartmentId::parse("01900000-0000-7000-9000-000000000001").unwrap();
        let east_id = DepartmentId::parse("01900000-0000-7000-9000-000000000002").unwrap();
        let director = account(1, "director", Some(&centre_id));
        let manager = account(2, "manager", Some(&east_id));
        let sales = account(3, "sales", Some(&east_id));
        let mut suspended = account(4, "gone", Some(&east_id));
        suspended.suspended = true;
        let rows = DirectoryRows {
            epoch: 7,
            users: vec![
                director.clone(),
                manager.clone(),
                sales.clone(),
                suspended.clone(),
            ],
            departments: vec![
                dept(1, None, Some(&director.id)),
                dept(2, Some(&centre_id), Some(&manager.id)),
            ],
            roles: vec![Role {
                id: RoleId::parse("sales").unwrap(),
                name_zh: "销售".into(),
                name_en: "Sales".into(),
            }],
            members: vec![
                (RoleId::parse("sales").unwrap(), sales.id.clone()),
                (RoleId::parse("sales").unwrap(), suspended.id.clone()),
            ],
            delegations: Vec::new(),
        };
        (Directory::from_rows(rows), director, manager, sales)
    }

    #[test]
    fn heads_are_found_at_every_level_and_never_the_person_themselves() {
        let (dir, director, manager, sales) = sample();
        let heads: Vec<_> = dir
            .heads_above(&sales)
            .into_iter()
            .map(|h| h.map(|u| u.username.as_str()))
            .collect();
        assert_eq!(heads, [Some("manager"), Some("director")]);
        // The manager heads 华东, so their head is the director, one level up.
        assert_eq!(dir.head_of(&manager).map(|u| &u.id), Some(&director.id));
        assert!(dir.head_of(&director).is_none());
    }

    #[test]
    fn members_are_active_users_and_an_unknown_role_is_none() {
        let (dir, _, _, sales) = sample();
        let members: Vec<&str> = dir
            .members("sales")
            .unwrap()
            .into_iter()
            .map(|u| u.username.as_str())
            .collect();
        assert_eq!(members, ["sales"]);
        assert!(dir.members("nobody").is_none());
        assert!(dir.active("gone").is_none());
        assert_eq!(dir.roles_of(&sales.id), [RoleId::parse("sales").unwrap()]);
    }

    #[test]
    fn a_head_is_in_charge_of_their_department_and_everything_below() {
        let (dir, director, manager, sales) = sample();
        assert_eq!(dir.in_charge(&director).len(), 2);
        assert_eq!(dir.in_charge(&manager).len(), 1);
        assert_eq!(dir.in_charge(&sales), dir.in_charge(&manager));
    }

    #[test]
    fn a_newer_snapshot_is_never_replaced_by_an_older_one() {
        let cache = DirectoryCache::default();
        let newer = Arc::new(Directory {
            epoch: 9,
            ..Directory::default()
        });
        cache.put(newer);
        cache.put(Arc::new(Directory {
            epoch: 8,
            ..Directory::default()
        }));
        assert!(cache.current(9).is_some());
        assert!(cache.current(8).is_none());
    }
}
