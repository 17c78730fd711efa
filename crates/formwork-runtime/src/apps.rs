//! App lifecycle: import a package as a draft, validate, publish immutable versions, export.
//!
//! Packages are stored in canonical form (sorted keys, pretty-printed), so an export is
//! byte-identical to what the next import will store and export again.

use formwork_model::canonical::canonical_string;
use formwork_model::validate::{Problem, validate_package};
use formwork_store::{AppId, AppSummary, AppVersion, AppVersionInfo, Draft, DraftWrite};

use crate::Account;
use serde_json::Value;

use crate::accounts::problem;
use crate::{Runtime, RuntimeError, RuntimeResult};

/// The result of importing a package: the stored draft and what validation found in it.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub app_id: AppId,
    pub draft_rev: i64,
    /// Problems found; a draft may be imperfect, but publishing requires none.
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone)]
pub struct PublishOutcome {
    pub app_id: AppId,
    pub version: i64,
}

impl Runtime {
    /// Stores `package` as the draft of a new app (or, with `replace`, over an existing draft).
    pub async fn import_app(
        &self,
        package: &Value,
        actor: &Account,
        replace: bool,
    ) -> RuntimeResult<ImportOutcome> {
        self.require_designer(actor).await?;
        let app_id = package_app_id(package)?;
        let text = canonical_string(package);
        let write = DraftWrite {
            app_id: &app_id,
            package: &text,
            actor: &actor.id,
        };
        let draft = match self.store.get_draft(&app_id).await? {
            Some(_) if replace => self.store.put_draft(&write, None).await?,
            Some(_) => {
                return Err(RuntimeError::Conflict(format!(
                    "app {app_id} already exists"
                )));
            }
            None => self.store.create_app(&write).await?,
        };
        Ok(ImportOutcome {
            problems: problems_of(package),
            app_id,
            draft_rev: draft.rev,
        })
    }

    pub async fn get_draft(&self, app_id: &AppId, actor: &Account) -> RuntimeResult<Draft> {
        self.require_designer(actor).await?;
        self.store
            .get_draft(app_id)
            .await?
            .ok_or_else(|| RuntimeError::NotFound(format!("app {app_id}")))
    }

    /// Replaces the draft; the package's `id` must stay the app's id.
    pub async fn put_draft(
        &self,
        app_id: &AppId,
        package: &Value,
        expected_rev: Option<i64>,
        actor: &Account,
    ) -> RuntimeResult<ImportOutcome> {
        self.require_designer(actor).await?;
        let id = package_app_id(package)?;
        if &id != app_id {
            return Err(RuntimeError::Invalid {
                problems: vec![problem(
                    "/id",
                    "app_id_mismatch",
                    "应用标识与地址中的应用不一致",
                    "The package id does not match the app in the URL",
                )],
            });
        }
        let text = canonical_string(package);
        let write = DraftWrite {
            app_id,
            package: &text,
            actor: &actor.id,
        };
        let draft = self.store.put_draft(&write, expected_rev).await?;
        Ok(ImportOutcome {
            problems: problems_of(package),
            app_id: id,
            draft_rev: draft.rev,
        })
    }

    /// Every problem in the current draft (empty when it can be published).
    pub async fn validate_draft(
        &self,
        app_id: &AppId,
        actor: &Account,
    ) -> RuntimeResult<Vec<Problem>> {
        let draft = self.get_draft(app_id, actor).await?;
        Ok(problems_of(&parse_stored(&draft.package)?))
    }

    /// Freezes the draft as the next version; refused with every problem when it is invalid
    /// and, like every way of publishing, while one of its flow test cases fails (see
    /// [`Runtime::publish_with`] for the audited override).
    pub async fn publish(&self, app_id: &AppId, actor: &Account) -> RuntimeResult<PublishOutcome> {
        self.publish_with(app_id, actor, &crate::PublishOptions::default())
            .await
    }

    /// Apps the user may see: designers see every app, others only published ones.
    pub async fn list_apps(&self, actor: &Account) -> RuntimeResult<Vec<AppSummary>> {
        let apps = self.store.list_apps().await?;
        if self.is_designer(actor).await? {
            return Ok(apps);
        }
        Ok(apps
            .into_iter()
            .filter(|a| a.latest_version.is_some())
            .collect())
    }

    pub async fn list_versions(
        &self,
        app_id: &AppId,
        actor: &Account,
    ) -> RuntimeResult<Vec<AppVersionInfo>> {
        self.require_designer(actor).await?;
        let versions = self.store.list_versions(app_id).await?;
        if versions.is_empty() && self.store.get_draft(app_id).await?.is_none() {
            return Err(RuntimeError::NotFound(format!("app {app_id}")));
        }
        Ok(versions)
    }

    /// A published version; `None` asks for the latest.
    pub async fn get_version(
        &self,
        app_id: &AppId,
        version: Option<i64>,
        actor: &Account,
    ) -> RuntimeResult<AppVersion> {
        self.require_designer(actor).await?;
        let found = match version {
            Some(n) => self.store.get_version(app_id, n).await?,
            None => self.store.latest_version(app_id).await?,
        };
        found.ok_or_else(|| match version {
            Some(n) => RuntimeError::NotFound(format!("app {app_id} version {n}")),
            None => RuntimeError::NotFound(format!("published version of app {app_id}")),
        })
    }

    async fn require_designer(&self, user: &Account) -> RuntimeResult<()> {
        if self.is_designer(user).await? {
            Ok(())
        } else {
            Err(RuntimeError::Forbidden)
        }
    }
}

/// Parses package bytes as JSON, naming the line and column of a syntax error.
pub fn parse_package(bytes: &[u8]) -> RuntimeResult<Value> {
    serde_json::from_slice(bytes).map_err(|e| RuntimeError::Malformed {
        problem: problem(
            "",
            "invalid_json",
            &format!(
                "JSON 格式错误（第 {} 行第 {} 列）：{e}",
                e.line(),
                e.column()
            ),
            &format!(
                "Invalid JSON at line {}, column {}: {e}",
                e.line(),
                e.column()
            ),
        ),
    })
}

fn package_app_id(package: &Value) -> RuntimeResult<AppId> {
    let id = package.get("id").and_then(Value::as_str).map(AppId::parse);
    match id {
        Some(Ok(id)) => Ok(id),
        _ => Err(RuntimeError::Invalid {
            problems: vec![problem(
                "/id",
                "invalid_app_id",
                "应用包必须是 JSON 对象，且 id 为以小写字母开头的小写字母、数字、- 或 _（最多 64 个）",
                "A package must be a JSON object whose id is up to 64 lowercase letters, digits, - or _, starting with a letter",
            )],
        }),
    }
}

fn problems_of(package: &Value) -> Vec<Problem> {
    validate_package(package).err().unwrap_or_default()
}

fn parse_stored(text: &str) -> RuntimeResult<Value> {
    serde_json::from_str(text).map_err(|e| RuntimeError::Internal(format!("stored package: {e}")))
}
