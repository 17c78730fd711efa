//! What one person can reach in the end-user pages: the published apps and forms they may
//! use, whether they may edit a record, their open tasks, and people's names for display.
//!
//! The permission reading mirrors `records.rs` (the same roles decide the same things); the
//! records use cases stay the authority, these answers only decide what to offer.

use std::collections::HashMap;

use formwork_model::Text;
use formwork_store::{
    AppId, Attachment, Department, FileId, InstanceId, Task, TaskBox, TaskQuery, UserId,
};

use crate::policy::{Caller, FormAccess, form_access};
use crate::{Runtime, RuntimeError, RuntimeResult};

/// Most open tasks looked at for a count; more are shown as "99+" by the pages.
pub const TASK_COUNT_CAP: u32 = 100;

/// Most people offered by a user picker.
const PEOPLE_CAP: usize = 500;

/// Someone a person picker offers: the username is the value a form posts, the display
/// name and department are what the page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonChoice {
    pub username: String,
    pub display_name: String,
    pub department: Option<String>,
}

/// A published app with the forms a person may use in it.
#[derive(Debug, Clone)]
pub struct AppAccess {
    pub app_id: AppId,
    pub version: i64,
    pub name: Text,
    pub description: Option<Text>,
    pub forms: Vec<FormAccess>,
}

impl Runtime {
    /// The published apps in which `caller` may create or read records of some form.
    ///
    /// An app whose latest version does not compile is left out (and logged) rather than
    /// taking the whole list down.
    pub async fn usable_apps(&self, caller: &Caller) -> RuntimeResult<Vec<AppAccess>> {
        let mut out = Vec::new();
        for summary in self.store.list_apps().await? {
            let Some(version) = summary.latest_version else {
                continue;
            };
            match self.app_version(&summary.id, version).await {
                Ok(app) => {
                    let access = app_access(caller, &app.app_id, app.version, &app.def);
                    if !access.forms.is_empty() {
                        out.push(access);
                    }
                }
                Err(e) => {
                    tracing::warn!(app = %summary.id, error = %e, "app left out of the home page")
                }
            }
        }
        Ok(out)
    }

    /// One published app as `caller` may use it; `NotFound` when they may use none of it.
    pub async fn usable_app(&self, caller: &Caller, app_id: &AppId) -> RuntimeResult<AppAccess> {
        let app = self.latest_app_for(caller, app_id).await?;
        let access = app_access(caller, &app.app_id, app.version, &app.def);
        if access.forms.is_empty() {
            return Err(RuntimeError::NotFound(format!("app {app_id}")));
        }
        Ok(access)
    }

    /// The caller's open tasks, newest first, at most [`TASK_COUNT_CAP`].
    pub async fn open_tasks(&self, caller: &Caller) -> RuntimeResult<Vec<Task>> {
        Ok(self
            .store
            .list_tasks(&TaskQuery {
                user_id: caller.user.id.clone(),
                task_box: TaskBox::Todo,
                after: None,
                limit: TASK_COUNT_CAP,
            })
            .await?)
    }

    /// How many of `tasks` belong to instances of `app_id`.
    pub async fn tasks_in_app(&self, tasks: &[Task], app_id: &AppId) -> RuntimeResult<usize> {
        let mut app_of: HashMap<InstanceId, Option<AppId>> = HashMap::new();
        let mut count = 0;
        for task in tasks {
            if !app_of.contains_key(&task.instance_id) {
                let app = self
                    .store
                    .get_instance(&task.instance_id)
                    .await?
                    .map(|i| i.app_id);
                app_of.insert(task.instance_id.clone(), app);
            }
            if app_of
                .get(&task.instance_id)
                .is_some_and(|a| a.as_ref() == Some(app_id))
            {
                count += 1;
            }
        }
        Ok(count)
    }

    /// Display names of the given user ids; an unknown id maps to itself.
    pub async fn display_names(&self, ids: &[&UserId]) -> RuntimeResult<HashMap<UserId, String>> {
        let dir = self.directory().await?;
        Ok(ids
            .iter()
            .map(|id| {
                let name = dir
                    .user(id)
                    .map_or_else(|| id.to_string(), |u| u.display_name.clone());
                ((*id).clone(), name)
            })
            .collect())
    }

    /// People a user picker offers: `(username, display name)`, by username.
    pub async fn people(&self) -> RuntimeResult<Vec<(String, String)>> {
        Ok(self
            .directory()
            .await?
            .people()
            .into_iter()
            .take(PEOPLE_CAP)
            .map(|u| (u.username.clone(), u.display_name.clone()))
            .collect())
    }

    /// People a searchable picker offers for `q`: active people whose display name,
    /// username or department name contains it (case-insensitive; everyone when `q` is
    /// empty), by display name, at most `limit`. A client of the portal sees no one: the
    /// team's directory is not theirs to browse.
    pub async fn find_people(
        &self,
        caller: &Caller,
        q: &str,
        limit: usize,
    ) -> RuntimeResult<Vec<PersonChoice>> {
        if self.is_client(caller).await? {
            return Ok(Vec::new());
        }
        let dir = self.directory().await?;
        let q = q.trim().to_lowercase();
        let mut found: Vec<PersonChoice> = dir
            .people()
            .into_iter()
            .map(|u| PersonChoice {
                username: u.username.clone(),
                display_name: u.display_name.clone(),
                department: u
                    .department_id
                    .as_ref()
                    .and_then(|d| dir.department(d))
                    .map(|d| d.name.clone()),
            })
            .filter(|p| {
                q.is_empty()
                    || p.display_name.to_lowercase().contains(&q)
                    || p.username.to_lowercase().contains(&q)
                    || p.department
                        .as_deref()
                        .is_some_and(|d| d.to_lowercase().contains(&q))
            })
            .collect();
        // Names that start with what was typed first, then by name.
        found.sort_by(|a, b| {
            let starts = |p: &PersonChoice| !p.display_name.to_lowercase().starts_with(&q);
            (starts(a), &a.display_name).cmp(&(starts(b), &b.display_name))
        });
        found.truncate(limit);
        Ok(found)
    }

    /// Departments a department picker offers.
    pub async fn departments(&self) -> RuntimeResult<Vec<Department>> {
        Ok(self.directory().await?.departments().to_vec())
    }

    /// The metadata of a file the caller uploaded (not its bytes).
    pub async fn own_attachment(&self, caller: &Caller, id: &FileId) -> RuntimeResult<Attachment> {
        self.store
            .get_attachment(id)
            .await?
            .filter(|a| a.created_by.as_ref() == Some(&caller.user.id))
            .ok_or_else(|| RuntimeError::NotFound(format!("file {id}")))
    }
}

fn app_access(
    caller: &Caller,
    app_id: &AppId,
    version: i64,
    def: &formwork_model::AppDef,
) -> AppAccess {
    AppAccess {
        app_id: app_id.clone(),
        version,
        name: def.name.clone(),
        description: def.description.clone(),
        forms: def
            .forms
            .iter()
            .map(|f| form_access(caller, f))
            .filter(|f| f.may_create || f.list_scope.is_some())
            .collect(),
    }
}
