//! The client portal and delegation: customers, client accounts linked to one, files shared
//! with the client, a record's conversation thread with its client, and out-of-office
//! delegations.

use async_trait::async_trait;
use formwork_model::{FileId, RecordId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::StoreResult;

/// A customer an admin keeps; its `name` is what records' `customer` field holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: String,
    pub name: String,
    /// Free text: names, phones, addresses.
    pub contacts: String,
    pub created_at: OffsetDateTime,
}

/// One message of a record's thread with its client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadMessage {
    pub id: String,
    pub record_id: RecordId,
    pub author_id: UserId,
    pub body: String,
    pub created_at: OffsetDateTime,
}

/// Someone away, and who acts for them meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delegation {
    pub user_id: UserId,
    pub delegate_id: UserId,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
}

#[async_trait]
pub trait PortalStore: Send + Sync + 'static {
    /// Every customer, by name.
    async fn list_customers(&self) -> StoreResult<Vec<Customer>>;
    /// `Conflict` when the name is taken.
    async fn create_customer(
        &self,
        name: &str,
        contacts: &str,
        actor: &UserId,
    ) -> StoreResult<Customer>;
    /// `NotFound` for an unknown id, `Conflict` when the name is taken.
    async fn update_customer(
        &self,
        id: &str,
        name: &str,
        contacts: &str,
        actor: &UserId,
    ) -> StoreResult<()>;
    /// Links a client account to a customer, or unlinks it (`None`).
    async fn link_customer_account(
        &self,
        user_id: &UserId,
        customer_id: Option<&str>,
        actor: &UserId,
    ) -> StoreResult<()>;
    /// The customer a client account is linked to.
    async fn customer_of_user(&self, user_id: &UserId) -> StoreResult<Option<Customer>>;
    /// The client accounts linked to a customer.
    async fn customer_accounts(&self, customer_id: &str) -> StoreResult<Vec<UserId>>;

    /// Shares a file of a record with its client, or stops sharing it.
    async fn set_file_shared(
        &self,
        record_id: &RecordId,
        file_id: &FileId,
        shared: bool,
        actor: &UserId,
    ) -> StoreResult<()>;
    /// The files of a record shared with its client.
    async fn shared_files(&self, record_id: &RecordId) -> StoreResult<Vec<FileId>>;

    async fn add_thread_message(
        &self,
        record_id: &RecordId,
        author_id: &UserId,
        body: &str,
    ) -> StoreResult<ThreadMessage>;
    /// A record's thread, oldest first.
    async fn thread_messages(&self, record_id: &RecordId) -> StoreResult<Vec<ThreadMessage>>;

    /// Sets (replaces) a user's delegation, or removes it (`None`).
    async fn put_delegation(
        &self,
        user_id: &UserId,
        delegation: Option<&Delegation>,
    ) -> StoreResult<()>;
    /// Every saved delegation (few: people away now or soon).
    async fn delegations(&self) -> StoreResult<Vec<Delegation>>;
}
