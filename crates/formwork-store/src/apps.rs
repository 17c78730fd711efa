//! Apps: the editable draft of each app and its immutable published versions.

use async_trait::async_trait;
use formwork_model::{AppId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::StoreResult;

/// A draft to store.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DraftWrite<'a> {
    pub app_id: &'a AppId,
    /// Canonical package JSON text.
    pub package: &'a str,
    /// Who saves it, for `updated_by` and the audit row.
    pub actor: &'a UserId,
}

/// The editable draft of an app.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub app_id: AppId,
    /// Canonical package JSON text.
    pub package: String,
    /// Increments on every save; used for optimistic concurrency.
    pub rev: i64,
    pub updated_at: OffsetDateTime,
    pub updated_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppSummary {
    pub id: AppId,
    /// The package's `name` object from the draft, as JSON text.
    pub name: String,
    pub latest_version: Option<i64>,
    pub updated_at: OffsetDateTime,
}

/// An immutable published version.
#[derive(Debug, Clone, PartialEq)]
pub struct AppVersion {
    pub app_id: AppId,
    pub version: i64,
    pub package: String,
    pub published_at: OffsetDateTime,
    pub published_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppVersionInfo {
    pub version: i64,
    pub published_at: OffsetDateTime,
    pub published_by: String,
}

/// Drafts and published versions. A version, once published, never changes.
#[async_trait]
pub trait AppStore: Send + Sync + 'static {
    /// Creates an app with its first draft; `Conflict` when the app exists.
    async fn create_app(&self, draft: &DraftWrite<'_>) -> StoreResult<Draft>;
    async fn get_draft(&self, app_id: &AppId) -> StoreResult<Option<Draft>>;
    /// Replaces the draft. With `expected_rev`, a different current revision is `Conflict`.
    async fn put_draft(
        &self,
        draft: &DraftWrite<'_>,
        expected_rev: Option<i64>,
    ) -> StoreResult<Draft>;
    async fn list_apps(&self) -> StoreResult<Vec<AppSummary>>;
    /// Freezes `package` as the next version number of the app.
    async fn publish(
        &self,
        app_id: &AppId,
        package: &str,
        actor: &UserId,
    ) -> StoreResult<AppVersion> {
        self.publish_noted(app_id, package, actor, serde_json::Value::Null)
            .await
    }
    /// [`publish`](Self::publish), with `note`'s entries (an object: the change summary, a
    /// roll-back's source version, overridden test cases) added to the `app.publish` audit row.
    async fn publish_noted(
        &self,
        app_id: &AppId,
        package: &str,
        actor: &UserId,
        note: serde_json::Value,
    ) -> StoreResult<AppVersion>;
    async fn list_versions(&self, app_id: &AppId) -> StoreResult<Vec<AppVersionInfo>>;
    async fn get_version(&self, app_id: &AppId, version: i64) -> StoreResult<Option<AppVersion>>;
    async fn latest_version(&self, app_id: &AppId) -> StoreResult<Option<AppVersion>>;
    /// Just the latest version number (cheap: asked on every request that uses an app).
    async fn latest_version_number(&self, app_id: &AppId) -> StoreResult<Option<i64>>;
    /// The latest version number with the publish epoch it is current at, in one read.
    async fn latest_version_at_epoch(&self, app_id: &AppId) -> StoreResult<(Option<i64>, i64)>;
}
