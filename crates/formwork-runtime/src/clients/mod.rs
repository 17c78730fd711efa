//! The client portal's use cases: customers an admin keeps and the client accounts linked to
//! them, files a team shares with a record's client (and files the client adds), and the
//! conversation thread a record has with its client, apart from internal comments.
//!
//! A client reads records through the same policy as everyone (a customer row scope and the
//! fields their role may read), so everything here starts from `read_record`.

mod changes;
mod view;

pub use changes::{CHANGE_REQUEST_FORM, proposed_changes};

pub use view::{
    PortalRecord, PortalSection, ProgressStep, RequestKind, StepState, relation_to, rows_of,
};

use formwork_store::{Attachment, Customer, FileId, RecordId, ThreadMessage, UserId};
use time::OffsetDateTime;

use crate::accounts::problem;
use crate::policy::Caller;
use crate::{Runtime, RuntimeError, RuntimeResult};

/// Longest customer name or thread message accepted, in characters.
const MAX_NAME_CHARS: usize = 200;
const MAX_MESSAGE_CHARS: usize = 2000;

/// A thread message with its author's display name, and whether the author is a client.
#[derive(Debug, Clone)]
pub struct ThreadEntry {
    pub message: ThreadMessage,
    pub author: String,
    pub from_client: bool,
}

impl Runtime {
    /// The customer a client account is linked to.
    pub async fn linked_customer(&self, user_id: &UserId) -> RuntimeResult<Option<Customer>> {
        Ok(self.store.customer_of_user(user_id).await?)
    }

    /// Every customer, by name (admins only).
    pub async fn customers(&self, caller: &Caller) -> RuntimeResult<Vec<Customer>> {
        require_admin(caller)?;
        Ok(self.store.list_customers().await?)
    }

    /// Adds a customer (admins only); `Conflict` when the name is taken.
    pub async fn create_customer(
        &self,
        caller: &Caller,
        name: &str,
        contacts: &str,
    ) -> RuntimeResult<Customer> {
        require_admin(caller)?;
        let name = checked_name(name)?;
        Ok(self
            .store
            .create_customer(&name, contacts.trim(), &caller.user.id)
            .await?)
    }

    /// Renames a customer or changes its contacts (admins only).
    pub async fn update_customer(
        &self,
        caller: &Caller,
        id: &str,
        name: &str,
        contacts: &str,
    ) -> RuntimeResult<()> {
        require_admin(caller)?;
        let name = checked_name(name)?;
        Ok(self
            .store
            .update_customer(id, &name, contacts.trim(), &caller.user.id)
            .await?)
    }

    /// Links the account `username` to a customer, or unlinks it (admins only).
    pub async fn link_client_account(
        &self,
        caller: &Caller,
        username: &str,
        customer_id: Option<&str>,
    ) -> RuntimeResult<()> {
        require_admin(caller)?;
        let user = self
            .store
            .get_user_by_username(username)
            .await?
            .ok_or_else(|| RuntimeError::NotFound(format!("user {username}")))?;
        Ok(self
            .store
            .link_customer_account(&user.id, customer_id, &caller.user.id)
            .await?)
    }

    /// The client accounts linked to a customer, as usernames (admins only).
    pub async fn client_accounts(
        &self,
        caller: &Caller,
        customer_id: &str,
    ) -> RuntimeResult<Vec<String>> {
        require_admin(caller)?;
        let dir = self.directory().await?;
        Ok(self
            .store
            .customer_accounts(customer_id)
            .await?
            .iter()
            .filter_map(|id| dir.user(id).map(|u| u.username.clone()))
            .collect())
    }

    /// Whether `caller` reaches records as a client (through a customer scope).
    pub async fn is_client(&self, caller: &Caller) -> RuntimeResult<bool> {
        Ok(!caller.user.is_admin && self.linked_customer(&caller.user.id).await?.is_some())
    }

    /// `NotFound` for a client: internal comments (and whatever else is the team's own) do
    /// not exist for them.
    pub(crate) async fn internal_only(&self, caller: &Caller, what: &str) -> RuntimeResult<()> {
        if self.is_client(caller).await? {
            Err(RuntimeError::NotFound(what.to_owned()))
        } else {
            Ok(())
        }
    }

    /// Shares a file of a record with its client, or stops (whoever may edit the record, or
    /// read it without being a client). The file must be on the record.
    pub async fn share_file(
        &self,
        caller: &Caller,
        record_id: &RecordId,
        file_id: &FileId,
        shared: bool,
    ) -> RuntimeResult<()> {
        if self.is_client(caller).await? {
            return Err(RuntimeError::Forbidden);
        }
        // Reading the file through the record proves it is on the record and readable.
        self.record_file(caller, record_id, file_id).await?;
        Ok(self
            .store
            .set_file_shared(record_id, file_id, shared, &caller.user.id)
            .await?)
    }

    /// Stores a file a client adds to a record they may read and shares it with the team and
    /// the client alike.
    pub async fn add_client_file(
        &self,
        caller: &Caller,
        record_id: &RecordId,
        filename: &str,
        bytes: Vec<u8>,
        now: OffsetDateTime,
    ) -> RuntimeResult<Attachment> {
        let record = self.read_record(caller, record_id).await?;
        let attachment = self.upload_file(caller, filename, bytes, now).await?;
        self.store
            .set_file_shared(&record.id, &attachment.id, true, &caller.user.id)
            .await?;
        Ok(attachment)
    }

    /// The files attached to a record, each with whether it is shared with the client (for
    /// the team's record page).
    pub async fn files_for_sharing(
        &self,
        caller: &Caller,
        record_id: &RecordId,
    ) -> RuntimeResult<Vec<(Attachment, bool)>> {
        let record = self.read_record(caller, record_id).await?;
        let shared = self.store.shared_files(&record.id).await?;
        let mut out = Vec::new();
        for id in crate::files::file_ids(&record.data) {
            let Ok(id) = id.parse::<FileId>() else {
                continue;
            };
            if let Some(a) = self.store.get_attachment(&id).await? {
                let is_shared = shared.contains(&a.id);
                out.push((a, is_shared));
            }
        }
        Ok(out)
    }

    /// The files of a record shared between the team and its client, oldest first.
    pub async fn shared_files(
        &self,
        caller: &Caller,
        record_id: &RecordId,
    ) -> RuntimeResult<Vec<Attachment>> {
        let record = self.read_record(caller, record_id).await?;
        let mut out = Vec::new();
        for id in self.store.shared_files(&record.id).await? {
            if let Some(a) = self.store.get_attachment(&id).await? {
                out.push(a);
            }
        }
        Ok(out)
    }

    /// A shared file of a record the caller may read, with its bytes.
    pub async fn shared_file(
        &self,
        caller: &Caller,
        record_id: &RecordId,
        file_id: &FileId,
    ) -> RuntimeResult<(Attachment, Vec<u8>)> {
        let attachment = self
            .shared_files(caller, record_id)
            .await?
            .into_iter()
            .find(|a| &a.id == file_id)
            .ok_or_else(|| RuntimeError::NotFound(format!("file {file_id}")))?;
        let bytes = self.read_bytes(&attachment).await?;
        Ok((attachment, bytes))
    }

    /// Adds a message to a record's thread with its client (whoever may read the record).
    pub async fn post_to_thread(
        &self,
        caller: &Caller,
        record_id: &RecordId,
        body: &str,
    ) -> RuntimeResult<ThreadMessage> {
        let record = self.read_record(caller, record_id).await?;
        let body = body.trim();
        if body.is_empty() || body.chars().count() > MAX_MESSAGE_CHARS {
            return Err(RuntimeError::Invalid {
                problems: vec![problem(
                    "/body",
                    "length",
                    &format!("请填写留言，最多 {MAX_MESSAGE_CHARS} 个字"),
                    &format!("Write a message of at most {MAX_MESSAGE_CHARS} characters"),
                )],
            });
        }
        Ok(self
            .store
            .add_thread_message(&record.id, &caller.user.id, body)
            .await?)
    }

    /// A record's thread with its client, oldest first.
    pub async fn thread(
        &self,
        caller: &Caller,
        record_id: &RecordId,
    ) -> RuntimeResult<Vec<ThreadEntry>> {
        let record = self.read_record(caller, record_id).await?;
        let messages = self.store.thread_messages(&record.id).await?;
        let dir = self.directory().await?;
        let mut out = Vec::with_capacity(messages.len());
        for message in messages {
            let from_client = self
                .store
                .customer_of_user(&message.author_id)
                .await?
                .is_some();
            let author = dir
                .user(&message.author_id)
                .map_or_else(|| message.author_id.to_string(), |u| u.display_name.clone());
            out.push(ThreadEntry {
                message,
                author,
                from_client,
            });
        }
        Ok(out)
    }
}

fn require_admin(caller: &Caller) -> RuntimeResult<()> {
    if caller.user.is_admin {
        Ok(())
    } else {
        Err(RuntimeError::Forbidden)
    }
}

fn checked_name(name: &str) -> RuntimeResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(RuntimeError::Invalid {
            problems: vec![problem(
                "/name",
                "length",
                &format!("请填写客户名称，最多 {MAX_NAME_CHARS} 个字"),
                &format!("Enter a customer name of at most {MAX_NAME_CHARS} characters"),
            )],
        });
    }
    Ok(name.to_owned())
}
