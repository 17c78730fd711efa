//! `AppStore`: drafts and immutable published versions.

use async_trait::async_trait;
use formwork_store::{
    AppId, AppStore, AppSummary, AppVersion, AppVersionInfo, Draft, DraftWrite, StoreResult, UserId,
};
use serde_json::value::RawValue;
use sqlx::Row as _;

use super::Driver as _;
use super::{audit, begin, commit, db_err, now, refused, rows, ts};
use crate::StoreImpl;

/// The current draft revision of app `$1`, to explain a refused save.
const DRAFT_REV: &str = "SELECT draft_rev FROM apps WHERE id = $1";

/// The draft's top-level `name` as JSON text, or `null`; drafts may be incomplete.
fn draft_name(draft: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Head<'a> {
        #[serde(borrow)]
        name: Option<&'a RawValue>,
    }
    serde_json::from_str::<Head<'_>>(draft)
        .ok()
        .and_then(|h| h.name)
        .map_or_else(|| "null".to_owned(), |n| n.get().to_owned())
}

#[async_trait]
impl AppStore for StoreImpl {
    async fn create_app(&self, draft: &DraftWrite<'_>) -> StoreResult<Draft> {
        let DraftWrite {
            app_id,
            package,
            actor,
        } = *draft;
        let what = format!("app `{app_id}`");
        let now = now();
        let mut tx = begin(self).await?;
        let created = sqlx::query(concat!(
            "INSERT INTO apps (id, name, draft, draft_rev, latest_version, created_at, created_by, \
             updated_at, updated_by) VALUES ($1, $2, $3, 1, NULL, $4, $5, $4, $5) RETURNING ",
            draft_cols!()
        ))
        .bind(app_id.as_str())
        .bind(draft_name(package))
        .bind(package)
        .bind(ts(now))
        .bind(actor.as_str())
        .try_map(rows::draft)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err(&what))?;
        let detail = serde_json::json!({ "rev": created.rev });
        let subject = format!("app:{app_id}");
        audit(&mut tx, now, Some(actor), "app.create", &subject, detail).await?;
        commit(tx).await?;
        Ok(created)
    }

    async fn get_draft(&self, app_id: &AppId) -> StoreResult<Option<Draft>> {
        let sql = select_by!(draft_cols, "apps", "id");
        self.row_by(sql, app_id.as_str(), rows::draft, "app draft")
            .await
    }

    async fn put_draft(
        &self,
        draft: &DraftWrite<'_>,
        expected_rev: Option<i64>,
    ) -> StoreResult<Draft> {
        let DraftWrite {
            app_id,
            package,
            actor,
        } = *draft;
        let what = format!("draft of app `{app_id}`");
        let now = now();
        let mut tx = begin(self).await?;
        // On PostgreSQL a concurrent save of the same revision waits on the row lock, then
        // re-checks `draft_rev` against the committed row and matches nothing.
        let saved = sqlx::query(concat!(
            "UPDATE apps SET draft = $2, name = $3, draft_rev = draft_rev + 1, updated_at = $4, \
             updated_by = $5 WHERE id = $1 AND ($6 IS NULL OR draft_rev = $6) RETURNING ",
            draft_cols!()
        ))
        .bind(app_id.as_str())
        .bind(package)
        .bind(draft_name(package))
        .bind(ts(now))
        .bind(actor.as_str())
        .bind(expected_rev)
        .try_map(rows::draft)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err(&what))?;
        let Some(saved) = saved else {
            return Err(refused(&mut tx, DRAFT_REV, app_id.as_str(), &what, expected_rev).await);
        };
        let detail = serde_json::json!({ "rev": saved.rev });
        let subject = format!("app:{app_id}");
        audit(
            &mut tx,
            now,
            Some(actor),
            "app.draft_update",
            &subject,
            detail,
        )
        .await?;
        commit(tx).await?;
        Ok(saved)
    }

    async fn list_apps(&self) -> StoreResult<Vec<AppSummary>> {
        const SQL: &str = "SELECT id, name, latest_version, updated_at FROM apps ORDER BY id";
        self.rows(sqlx::query(SQL), rows::app_summary, "apps").await
    }

    async fn publish_noted(
        &self,
        app_id: &AppId,
        package: &str,
        actor: &UserId,
        note: serde_json::Value,
    ) -> StoreResult<AppVersion> {
        let what = format!("version of app `{app_id}`");
        let now = now();
        let mut tx = begin(self).await?;
        // Bumping the counter row takes its write lock (PostgreSQL) or runs under the database
        // write lock of BEGIN IMMEDIATE (SQLite), so concurrent publishes queue here and each
        // gets the next number: none repeats, none is skipped.
        let version: Option<i64> = sqlx::query_scalar(
            "UPDATE apps SET latest_version = COALESCE(latest_version, 0) + 1 WHERE id = $1 \
             RETURNING latest_version",
        )
        .bind(app_id.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err(&what))?;
        let Some(version) = version else {
            return Err(formwork_store::StoreError::NotFound(format!(
                "app `{app_id}`"
            )));
        };
        // Servers holding this app's latest version learn it moved from their next session.
        sqlx::query("UPDATE publish_epoch SET epoch = epoch + 1 WHERE id = 1")
            .execute(&mut *tx)
            .await
            .map_err(db_err("publish epoch"))?;
        let published = sqlx::query(concat!(
            "INSERT INTO app_versions (app_id, version, package, published_at, published_by) \
             VALUES ($1, $2, $3, $4, $5) RETURNING ",
            version_cols!()
        ))
        .bind(app_id.as_str())
        .bind(version)
        .bind(package)
        .bind(ts(now))
        .bind(actor.as_str())
        .try_map(rows::version)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err(&what))?;
        let mut detail = match note {
            serde_json::Value::Object(note) => note,
            _ => serde_json::Map::new(),
        };
        detail.insert("version".to_owned(), version.into());
        let detail = serde_json::Value::Object(detail);
        let subject = format!("app:{app_id}");
        audit(&mut tx, now, Some(actor), "app.publish", &subject, detail).await?;
        commit(tx).await?;
        Ok(published)
    }

    async fn list_versions(&self, app_id: &AppId) -> StoreResult<Vec<AppVersionInfo>> {
        const SQL: &str = "SELECT version, published_at, published_by FROM app_versions \
                           WHERE app_id = $1 ORDER BY version";
        self.rows_by(SQL, app_id.as_str(), rows::version_info, "app versions")
            .await
    }

    async fn get_version(&self, app_id: &AppId, version: i64) -> StoreResult<Option<AppVersion>> {
        self.version_where(app_id, Some(version)).await
    }

    async fn latest_version(&self, app_id: &AppId) -> StoreResult<Option<AppVersion>> {
        self.version_where(app_id, None).await
    }

    async fn latest_version_number(&self, app_id: &AppId) -> StoreResult<Option<i64>> {
        sqlx::query_scalar::<_, Option<i64>>("SELECT latest_version FROM apps WHERE id = $1")
            .bind(app_id.as_str())
            .fetch_optional(self.reader())
            .await
            .map(Option::flatten)
            .map_err(db_err("app version"))
    }

    async fn latest_version_at_epoch(&self, app_id: &AppId) -> StoreResult<(Option<i64>, i64)> {
        sqlx::query(
            "SELECT a.latest_version, p.epoch FROM publish_epoch p \
             LEFT JOIN apps a ON a.id = $1 WHERE p.id = 1",
        )
        .bind(app_id.as_str())
        .try_map(|row: super::DbRow| Ok((row.try_get("latest_version")?, row.try_get("epoch")?)))
        .fetch_one(self.reader())
        .await
        .map_err(db_err("app version"))
    }
}

impl StoreImpl {
    /// Version `version` of the app, or its latest when `None`.
    async fn version_where(
        &self,
        app_id: &AppId,
        version: Option<i64>,
    ) -> StoreResult<Option<AppVersion>> {
        sqlx::query(concat!(
            "SELECT ",
            version_cols!(),
            " FROM app_versions WHERE app_id = $1 AND ($2 IS NULL OR version = $2) \
             ORDER BY version DESC LIMIT 1"
        ))
        .bind(app_id.as_str())
        .bind(version)
        .try_map(rows::version)
        .fetch_optional(self.reader())
        .await
        .map_err(db_err("app version"))
    }
}
