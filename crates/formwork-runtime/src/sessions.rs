//! Sessions kept in Formwork's own database (so every instance sees the same ones, and
//! suspending a user ends theirs), and the server's health. The web layer's session store
//! calls these; it never reaches the database itself.

use formwork_store::{AppSummary, SessionRow};
use time::OffsetDateTime;

use crate::{Runtime, RuntimeResult};

impl Runtime {
    /// Stores a new session; false when its id is taken (draw another).
    pub async fn create_session(&self, session: &SessionRow) -> RuntimeResult<bool> {
        Ok(self.store.session_create(session).await?)
    }

    pub async fn save_session(&self, session: &SessionRow) -> RuntimeResult<()> {
        Ok(self.store.session_save(session).await?)
    }

    /// A session that has not expired at `now` and whose user is not suspended, with the
    /// directory's epoch read in the same statement (for [`Runtime::session_caller_seen`]).
    pub async fn load_session(
        &self,
        id: &str,
        now: OffsetDateTime,
    ) -> RuntimeResult<Option<(SessionRow, formwork_store::Epochs)>> {
        Ok(self.store.session_load_with_epoch(id, now).await?)
    }

    pub async fn delete_session(&self, id: &str) -> RuntimeResult<()> {
        Ok(self.store.session_delete(id).await?)
    }

    /// Deletes the sessions expired at `now`; returns how many.
    pub async fn delete_expired_sessions(&self, now: OffsetDateTime) -> RuntimeResult<u64> {
        Ok(self.store.session_delete_expired(now).await?)
    }

    /// Which database this runtime works on: `sqlite` or `postgres`.
    pub fn database(&self) -> &'static str {
        self.store.backend().as_str()
    }

    /// A round trip to the database.
    pub async fn ping(&self) -> RuntimeResult<()> {
        Ok(self.store.ping().await?)
    }

    /// The apps that have a published version, for the public status page.
    pub async fn published_apps(&self) -> RuntimeResult<Vec<AppSummary>> {
        Ok(self
            .store
            .list_apps()
            .await?
            .into_iter()
            .filter(|a| a.latest_version.is_some())
            .collect())
    }
}
