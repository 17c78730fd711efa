//! tower-sessions records kept in Formwork's own database, so every instance sees the same
//! sessions and suspending a user can end theirs.

use std::sync::Arc;

use async_trait::async_trait;
use formwork_runtime::{Runtime, RuntimeError, SessionRow};
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// The session key holding the signed-in user's id.
pub const USER_ID_KEY: &str = "user_id";
/// Session key holding the directory's epoch as read with the session by this request.
pub const DIRECTORY_EPOCH_KEY: &str = "directory_epoch";
/// Session key holding the publish epoch as read with the session by this request.
pub const PUBLISH_EPOCH_KEY: &str = "publish_epoch";

/// The epochs this request read with its session, if it did.
pub async fn request_epochs(
    session: &tower_sessions::Session,
) -> Result<Option<formwork_runtime::Epochs>, tower_sessions::session::Error> {
    let directory: Option<i64> = session.get(DIRECTORY_EPOCH_KEY).await?;
    let publish: Option<i64> = session.get(PUBLISH_EPOCH_KEY).await?;
    Ok(directory
        .zip(publish)
        .map(|(directory, publish)| formwork_runtime::Epochs { directory, publish }))
}

#[derive(Clone)]
pub struct DbSessionStore {
    runtime: Arc<Runtime>,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSessionStore")
    }
}

impl DbSessionStore {
    pub fn new(runtime: Arc<Runtime>) -> Self {
        Self { runtime }
    }
}

fn to_row(record: &Record) -> session_store::Result<SessionRow> {
    Ok(SessionRow {
        id: record.id.to_string(),
        user_id: record
            .data
            .get(USER_ID_KEY)
            .and_then(|v| v.as_str())
            .and_then(|id| id.parse().ok()),
        data: serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?,
        expires_at: record.expiry_date,
    })
}

fn backend(e: RuntimeError) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    // Written out (not the default) so an id collision draws a new id instead of overwriting
    // someone else's session, and so no warning is logged per new session.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            if self
                .runtime
                .create_session(&to_row(record)?)
                .await
                .map_err(backend)?
            {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.runtime
            .save_session(&to_row(record)?)
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some((row, epochs)) = self
            .runtime
            .load_session(&id.to_string(), OffsetDateTime::now_utc())
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let mut data: std::collections::HashMap<String, serde_json::Value> =
            serde_json::from_str(&row.data)
                .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        // Read with the session: the request's caller is found without reading it again.
        data.insert(DIRECTORY_EPOCH_KEY.to_owned(), epochs.directory.into());
        data.insert(PUBLISH_EPOCH_KEY.to_owned(), epochs.publish.into());
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date: row.expires_at,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.runtime
            .delete_session(&id.to_string())
            .await
            .map_err(backend)
    }
}
