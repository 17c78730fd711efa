//! `PortalStore`: customers and their client accounts, files shared with a client, a record's
//! thread with its client, and out-of-office delegations.

use async_trait::async_trait;
use formwork_store::{
    Customer, Delegation, FileId, PortalStore, RecordId, StoreResult, ThreadMessage, UserId, new_id,
};

use super::Driver as _;
use super::accounts::bump_epoch;
use super::{audit, begin, commit, db_err, found, now, rows, ts};
use crate::StoreImpl;

/// Every delegation, as the directory snapshot holds them.
pub(super) const DELEGATIONS: &str =
    "SELECT user_id, delegate_id, starts_at, ends_at FROM delegations ORDER BY user_id";

#[async_trait]
impl PortalStore for StoreImpl {
    async fn list_customers(&self) -> StoreResult<Vec<Customer>> {
        self.rows(
            sqlx::query("SELECT id, name, contacts, created_at FROM customers ORDER BY name"),
            rows::customer,
            "customers",
        )
        .await
    }

    async fn create_customer(
        &self,
        name: &str,
        contacts: &str,
        actor: &UserId,
    ) -> StoreResult<Customer> {
        let now = now();
        let mut tx = begin(self).await?;
        let customer = sqlx::query(
            "INSERT INTO customers (id, name, contacts, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) RETURNING id, name, contacts, created_at",
        )
        .bind(new_id())
        .bind(name)
        .bind(contacts)
        .bind(ts(now))
        .try_map(rows::customer)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err("customer"))?;
        let detail = serde_json::json!({ "name": name });
        let subject = format!("customer:{}", customer.id);
        audit(
            &mut tx,
            now,
            Some(actor),
            "customer.create",
            &subject,
            detail,
        )
        .await?;
        commit(tx).await?;
        Ok(customer)
    }

    async fn update_customer(
        &self,
        id: &str,
        name: &str,
        contacts: &str,
        actor: &UserId,
    ) -> StoreResult<()> {
        let now = now();
        let mut tx = begin(self).await?;
        let done = sqlx::query(
            "UPDATE customers SET name = $2, contacts = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(name)
        .bind(contacts)
        .bind(ts(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err("customer"))?;
        found(done.rows_affected(), || format!("customer {id}"))?;
        let detail = serde_json::json!({ "name": name });
        let subject = format!("customer:{id}");
        audit(
            &mut tx,
            now,
            Some(actor),
            "customer.update",
            &subject,
            detail,
        )
        .await?;
        commit(tx).await
    }

    async fn link_customer_account(
        &self,
        user_id: &UserId,
        customer_id: Option<&str>,
        actor: &UserId,
    ) -> StoreResult<()> {
        let now = now();
        let mut tx = begin(self).await?;
        match customer_id {
            Some(customer) => sqlx::query(
                "INSERT INTO customer_accounts (user_id, customer_id) VALUES ($1, $2) \
                 ON CONFLICT (user_id) DO UPDATE SET customer_id = excluded.customer_id",
            )
            .bind(user_id.as_str())
            .bind(customer),
            None => sqlx::query("DELETE FROM customer_accounts WHERE user_id = $1")
                .bind(user_id.as_str()),
        }
        .execute(&mut *tx)
        .await
        .map_err(db_err("client account"))?;
        let detail = serde_json::json!({ "customer": customer_id });
        let subject = format!("user:{user_id}");
        audit(&mut tx, now, Some(actor), "customer.link", &subject, detail).await?;
        commit(tx).await
    }

    async fn customer_of_user(&self, user_id: &UserId) -> StoreResult<Option<Customer>> {
        let sql = "SELECT c.id, c.name, c.contacts, c.created_at FROM customers c \
                   JOIN customer_accounts a ON a.customer_id = c.id WHERE a.user_id = $1";
        self.row(
            sqlx::query(sql).bind(user_id.as_str()),
            rows::customer,
            "customer",
        )
        .await
    }

    async fn customer_accounts(&self, customer_id: &str) -> StoreResult<Vec<UserId>> {
        self.rows(
            sqlx::query(
                "SELECT user_id FROM customer_accounts WHERE customer_id = $1 ORDER BY user_id",
            )
            .bind(customer_id),
            |row| rows::id_column(&row, "user_id"),
            "client accounts",
        )
        .await
    }

    async fn set_file_shared(
        &self,
        record_id: &RecordId,
        file_id: &FileId,
        shared: bool,
        actor: &UserId,
    ) -> StoreResult<()> {
        let now = now();
        let mut tx = begin(self).await?;
        if shared {
            sqlx::query(
                "INSERT INTO shared_files (record_id, file_id, shared_by, shared_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (record_id, file_id) DO NOTHING",
            )
            .bind(record_id.as_str())
            .bind(file_id.as_str())
            .bind(actor.as_str())
            .bind(ts(now))
        } else {
            sqlx::query("DELETE FROM shared_files WHERE record_id = $1 AND file_id = $2")
                .bind(record_id.as_str())
                .bind(file_id.as_str())
        }
        .execute(&mut *tx)
        .await
        .map_err(db_err("shared file"))?;
        let action = if shared { "file.share" } else { "file.unshare" };
        let detail = serde_json::json!({ "file": file_id });
        let subject = format!("record:{record_id}");
        audit(&mut tx, now, Some(actor), action, &subject, detail).await?;
        commit(tx).await
    }

    async fn shared_files(&self, record_id: &RecordId) -> StoreResult<Vec<FileId>> {
        self.rows(
            sqlx::query(
                "SELECT file_id FROM shared_files WHERE record_id = $1 ORDER BY shared_at, file_id",
            )
            .bind(record_id.as_str()),
            |row| rows::id_column(&row, "file_id"),
            "shared files",
        )
        .await
    }

    async fn add_thread_message(
        &self,
        record_id: &RecordId,
        author_id: &UserId,
        body: &str,
    ) -> StoreResult<ThreadMessage> {
        sqlx::query(
            "INSERT INTO record_threads (id, record_id, author_id, body, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id, record_id, author_id, body, created_at",
        )
        .bind(new_id())
        .bind(record_id.as_str())
        .bind(author_id.as_str())
        .bind(body)
        .bind(ts(now()))
        .try_map(rows::thread_message)
        .fetch_one(self.writer())
        .await
        .map_err(db_err("thread message"))
    }

    async fn thread_messages(&self, record_id: &RecordId) -> StoreResult<Vec<ThreadMessage>> {
        self.rows(
            sqlx::query(
                "SELECT id, record_id, author_id, body, created_at FROM record_threads \
                 WHERE record_id = $1 ORDER BY id",
            )
            .bind(record_id.as_str()),
            rows::thread_message,
            "thread",
        )
        .await
    }

    async fn put_delegation(
        &self,
        user_id: &UserId,
        delegation: Option<&Delegation>,
    ) -> StoreResult<()> {
        let query = match delegation {
            Some(d) => sqlx::query(
                "INSERT INTO delegations (user_id, delegate_id, starts_at, ends_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET \
                 delegate_id = excluded.delegate_id, starts_at = excluded.starts_at, \
                 ends_at = excluded.ends_at, updated_at = excluded.updated_at",
            )
            .bind(user_id.as_str())
            .bind(d.delegate_id.as_str())
            .bind(ts(d.starts_at))
            .bind(ts(d.ends_at))
            .bind(ts(now())),
            None => {
                sqlx::query("DELETE FROM delegations WHERE user_id = $1").bind(user_id.as_str())
            }
        };
        // Delegations travel with the directory snapshot, so a change moves its epoch.
        let mut tx = begin(self).await?;
        bump_epoch(&mut tx).await?;
        query
            .execute(&mut *tx)
            .await
            .map_err(db_err("delegation"))?;
        commit(tx).await
    }

    async fn delegations(&self) -> StoreResult<Vec<Delegation>> {
        self.rows(sqlx::query(DELEGATIONS), rows::delegation, "delegations")
            .await
    }
}
