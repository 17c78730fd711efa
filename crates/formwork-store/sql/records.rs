//! `RecordStore`: records with their gap-free numbers and idempotent inserts, lists built by
//! `formwork-query`, comments, attachments and the audit log.

use async_trait::async_trait;
use formwork_query::Dialect as _;
use formwork_store::{
    Attachment, AuditEntry, Comment, CommentId, FileId, Inserted, NewJob, NewRecord, Record,
    RecordId, RecordQuery, RecordStore, RecordUpdate, StoreError, StoreResult, UserId,
};
use sea_query::SelectStatement;
use sqlx::Row as _;
use sqlx::types::Json;
use time::OffsetDateTime;

use super::Driver as _;
use super::jobs::insert_job;
use super::{
    Conn, DbRow, Dialect, audit, begin, commit, db_err, now, refused, rows, steps, text, ts,
};
use crate::StoreImpl;

/// The current revision of live record `$1`, to explain a refused write.
const RECORD_REV: &str = "SELECT rev FROM records WHERE id = $1 AND deleted_at IS NULL";

/// The record number: `template` with `{seq}` replaced by `seq` zero-padded to `width`.
fn record_number(template: &str, width: usize, seq: i64) -> String {
    template.replace("{seq}", &format!("{seq:0width$}"))
}

/// The list SELECT of `query`, or `None` when it cannot return a row.
fn list_select(
    query: &RecordQuery,
    proj: Option<&formwork_query::Projection>,
) -> StoreResult<Option<SelectStatement>> {
    formwork_query::list::select_with::<Dialect>(query, proj)
        .map_err(|e| StoreError::Backend(e.to_string()))
}

/// An earlier insert by the same owner with the same key, replayed; or `Conflict` when the key
/// was used for something else. Writes nothing.
async fn replay(tx: &mut Conn, new: &NewRecord, key: &str) -> StoreResult<Inserted> {
    let first_hash: Option<String> = sqlx::query_scalar(
        "SELECT request_hash FROM idempotency_keys WHERE owner_id = $1 AND key = $2",
    )
    .bind(new.owner_id.as_str())
    .bind(key)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err("idempotency key"))?;
    let first = if first_hash.as_deref() == Some(new.request_hash.as_str()) {
        sqlx::query(concat!(
            "SELECT ",
            record_cols!(),
            " FROM records WHERE deleted_at IS NULL AND id = \
             (SELECT record_id FROM idempotency_keys WHERE owner_id = $1 AND key = $2)"
        ))
        .bind(new.owner_id.as_str())
        .bind(key)
        .try_map(rows::record)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err("record"))?
    } else {
        None
    };
    let conflict = |why: String| {
        Err(StoreError::Conflict(format!(
            "idempotency key `{key}` {why}"
        )))
    };
    match first {
        _ if first_hash.as_deref() != Some(new.request_hash.as_str()) => {
            conflict("was used for a different request".into())
        }
        Some(r) if r.app_id == new.app_id && r.form_id == new.form_id => Ok(Inserted::Replayed(r)),
        Some(r) => conflict(format!(
            "was used for a record of form `{}/{}`",
            r.app_id, r.form_id
        )),
        None => conflict("was used for a record that has been deleted".into()),
    }
}

/// Claims the insert's idempotency key for `record_id`; false when an earlier insert holds it.
async fn claim_key(
    tx: &mut Conn,
    new: &NewRecord,
    key: &str,
    record_id: &RecordId,
    now: OffsetDateTime,
) -> StoreResult<bool> {
    // The key is claimed first, so a retry never takes a number. On PostgreSQL a racing insert
    // with the same key waits here on the key's index entry until the first commits (and then
    // replays it) or rolls back (and then claims the key itself).
    let done = sqlx::query(
        "INSERT INTO idempotency_keys (owner_id, key, request_hash, record_id, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (owner_id, key) DO NOTHING",
    )
    .bind(new.owner_id.as_str())
    .bind(key)
    .bind(&new.request_hash)
    .bind(record_id.as_str())
    .bind(ts(now))
    .execute(&mut *tx)
    .await
    .map_err(db_err("idempotency key"))?;
    Ok(done.rows_affected() == 1)
}

/// The next number of the record's form counter, taken inside the insert's transaction.
async fn next_number(tx: &mut Conn, new: &NewRecord) -> StoreResult<Option<String>> {
    let Some(n) = &new.numbering else {
        return Ok(None);
    };
    // The upsert takes the counter row's write lock (PostgreSQL) or runs under BEGIN
    // IMMEDIATE's database lock (SQLite) until commit: concurrent inserts queue here, and a
    // rollback gives the number back, so numbers have no gaps.
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO number_sequences (app_id, form_id, scope, next_value) \
         VALUES ($1, $2, $3, 2) ON CONFLICT (app_id, form_id, scope) \
         DO UPDATE SET next_value = number_sequences.next_value + 1 \
         RETURNING next_value - 1",
    )
    .bind(new.app_id.as_str())
    .bind(new.form_id.as_str())
    .bind(&n.scope)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err(&format!("number counter of app `{}`", new.app_id)))?;
    Ok(Some(record_number(&n.template, n.width, seq)))
}

/// A submission's write: claims its idempotency key (or replays the record that holds it),
/// then inserts the record, inside the caller's write transaction.
async fn insert_on(conn: &mut Conn, new: &NewRecord, actor: &UserId) -> StoreResult<Inserted> {
    // Taken under SQLite's write lock, ids and times follow commit order there.
    let now = now();
    let id = RecordId::new();
    if let Some(key) = &new.idempotency_key
        && !claim_key(conn, new, key, &id, now).await?
    {
        return replay(conn, new, key).await;
    }
    Ok(Inserted::New(insert_in(conn, new, &id, actor, now).await?))
}

/// Inserts the record `new` as `id` (its number taken, its process started), its events and
/// its `record.create` audit row, inside the caller's transaction.
pub(crate) async fn insert_in(
    tx: &mut Conn,
    new: &NewRecord,
    id: &RecordId,
    actor: &UserId,
    now: OffsetDateTime,
) -> StoreResult<Record> {
    if let Some(n) = &new.numbering
        && !n.template.contains("{seq}")
    {
        return Err(StoreError::Backend(format!(
            "numbering template `{}` has no {{seq}}",
            n.template
        )));
    }
    let what = format!("record of form `{}/{}`", new.app_id, new.form_id);
    if StoreImpl::RECORD_LAST {
        started_in(tx, new, id, now).await?;
    }
    let number = next_number(tx, new).await?;
    let record = sqlx::query(concat!(
        "INSERT INTO records (id, app_id, form_id, app_version, number, owner_id, \
         department_id, status, data, rev, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10) RETURNING ",
        record_cols!()
    ))
    .bind(id.as_str())
    .bind(new.app_id.as_str())
    .bind(new.form_id.as_str())
    .bind(new.app_version)
    .bind(&number)
    .bind(new.owner_id.as_str())
    .bind(text(&new.department_id))
    .bind(new.status.as_str())
    .bind(Json(&new.data))
    .bind(ts(now))
    .try_map(rows::record)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err(&what))?;
    if !StoreImpl::RECORD_LAST {
        started_in(tx, new, id, now).await?;
    }
    audit_created(tx, &record, actor, now, "record.create").await?;
    Ok(record)
}

/// What follows a record's creation (an insert, or a draft's submission) in its transaction:
/// its process and its events (each naming the record).
async fn started_in(
    tx: &mut Conn,
    new: &NewRecord,
    id: &RecordId,
    now: OffsetDateTime,
) -> StoreResult<()> {
    if let Some(process) = &new.process {
        steps::insert_instance(tx, process, id, &new.app_id, new.app_version, now).await?;
    }
    for job in &new.events {
        // The record's id is known only now: each event names it.
        let mut job = job.clone();
        job.record_id = Some(id.clone());
        if let Some(map) = job.payload.as_object_mut() {
            map.entry("record_id").or_insert_with(|| id.as_str().into());
        }
        insert_job(&mut *tx, &job, now).await?;
    }
    Ok(())
}

/// The audit row `action` of a record just created or submitted, with its number and data.
async fn audit_created(
    tx: &mut Conn,
    record: &Record,
    actor: &UserId,
    now: OffsetDateTime,
    action: &str,
) -> StoreResult<()> {
    let detail = serde_json::json!({
        "number": record.number,
        "status": record.status,
        "data": record.data,
    });
    let subject = format!("record:{}", record.id);
    audit(tx, now, Some(actor), action, &subject, detail).await
}

/// Submits a draft inside the caller's transaction (see [`RecordStore::submit_draft`]).
async fn submit_in(
    tx: &mut Conn,
    id: &RecordId,
    expected_rev: i64,
    new: &NewRecord,
    actor: &UserId,
    now: OffsetDateTime,
) -> StoreResult<Record> {
    let what = format!("draft `{id}`");
    let number = next_number(tx, new).await?;
    let record = sqlx::query(concat!(
        "UPDATE records SET number = $2, status = $3, data = $4, app_version = $5, \
         rev = rev + 1, created_at = $6, updated_at = $6 \
         WHERE id = $1 AND rev = $7 AND status = 'draft' AND deleted_at IS NULL RETURNING ",
        record_cols!()
    ))
    .bind(id.as_str())
    .bind(&number)
    .bind(new.status.as_str())
    .bind(Json(&new.data))
    .bind(new.app_version)
    .bind(ts(now))
    .bind(expected_rev)
    .try_map(rows::record)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err(&what))?;
    let Some(record) = record else {
        const DRAFT_REV: &str = "SELECT rev FROM records \
             WHERE id = $1 AND status = 'draft' AND deleted_at IS NULL";
        return Err(refused(tx, DRAFT_REV, id.as_str(), &what, Some(expected_rev)).await);
    };
    started_in(tx, new, id, now).await?;
    audit_created(tx, &record, actor, now, "record.submit").await?;
    Ok(record)
}

/// Applies `update` when its revision is current (else `Conflict` or `NotFound`), with its
/// events and its `record.update` audit row (with `cause` merged into the detail), inside the
/// caller's transaction.
pub(crate) async fn update_in(
    tx: &mut Conn,
    update: &RecordUpdate,
    actor: &UserId,
    now: OffsetDateTime,
    cause: Option<&serde_json::Value>,
) -> StoreResult<Record> {
    let RecordUpdate {
        id,
        expected_rev,
        data,
        status,
        diff,
        events,
        audit_note,
    } = update;
    let expected_rev = *expected_rev;
    let what = format!("record `{id}`");
    // On PostgreSQL a concurrent update of the same revision waits on the row lock, then
    // re-checks `rev` against the committed row and matches nothing.
    let updated = sqlx::query(concat!(
        "UPDATE records SET data = $2, status = $3, rev = rev + 1, updated_at = $4 \
         WHERE id = $1 AND rev = $5 AND deleted_at IS NULL RETURNING ",
        record_cols!()
    ))
    .bind(id.as_str())
    .bind(Json(data))
    .bind(status.as_str())
    .bind(ts(now))
    .bind(expected_rev)
    .try_map(rows::record)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err(&what))?;
    let Some(updated) = updated else {
        return Err(refused(tx, RECORD_REV, id.as_str(), &what, Some(expected_rev)).await);
    };
    let mut detail =
        serde_json::json!({ "rev": updated.rev, "status": updated.status, "diff": diff });
    for note in [cause, audit_note.as_ref()] {
        if let (Some(map), Some(serde_json::Value::Object(note))) = (detail.as_object_mut(), note) {
            map.extend(note.clone());
        }
    }
    let subject = format!("record:{id}");
    audit(tx, now, Some(actor), "record.update", &subject, detail).await?;
    for job in events {
        insert_job(&mut *tx, job, now).await?;
    }
    Ok(updated)
}

/// The SQL of a list's or a count's `select`, as the dialect writes it.
fn built(select: &sea_query::SelectStatement) -> (String, sea_query_sqlx::SqlxValues) {
    let (sql, values) = <Dialect as formwork_query::Dialect>::build(select);
    (sql, sea_query_sqlx::SqlxValues(values))
}

#[async_trait]
impl RecordStore for StoreImpl {
    async fn insert_record(&self, new: NewRecord, actor: &UserId) -> StoreResult<Inserted> {
        let actor = actor.clone();
        self.write(move |conn| Box::pin(async move { insert_on(conn, &new, &actor).await }))
            .await
    }

    async fn list_drafts(&self, owner_id: &UserId, limit: u32) -> StoreResult<Vec<Record>> {
        const SQL: &str = concat!(
            "SELECT ",
            record_cols!(),
            " FROM records WHERE owner_id = $1 AND status = 'draft' AND deleted_at IS NULL \
             ORDER BY updated_at DESC, id DESC LIMIT $2"
        );
        self.rows(
            sqlx::query(SQL)
                .bind(owner_id.as_str())
                .bind(i64::from(limit)),
            rows::record,
            "drafts",
        )
        .await
    }

    async fn submit_draft(
        &self,
        id: &RecordId,
        expected_rev: i64,
        submitted: NewRecord,
        actor: &UserId,
    ) -> StoreResult<Record> {
        let mut tx = begin(self).await?;
        let record = submit_in(&mut tx, id, expected_rev, &submitted, actor, now()).await?;
        commit(tx).await?;
        Ok(record)
    }

    async fn purge_drafts(&self, before: OffsetDateTime) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE records SET deleted_at = $2 \
             WHERE status = 'draft' AND deleted_at IS NULL AND updated_at < $1",
        )
        .bind(ts(before))
        .bind(ts(now()))
        .execute(self.writer())
        .await
        .map_err(db_err("expired drafts"))?;
        Ok(done.rows_affected())
    }

    async fn get_record(&self, id: &RecordId) -> StoreResult<Option<Record>> {
        const SQL: &str = concat!(
            "SELECT ",
            record_cols!(),
            " FROM records WHERE id = $1 AND deleted_at IS NULL"
        );
        self.row_by(SQL, id.as_str(), rows::record, "record").await
    }

    async fn get_records(&self, ids: &[RecordId]) -> StoreResult<Vec<Record>> {
        const SQL: &str = concat!(
            "SELECT ",
            record_cols!(),
            " FROM records WHERE deleted_at IS NULL AND id IN "
        );
        let ids: Vec<&str> = ids.iter().map(RecordId::as_str).collect();
        self.rows_in(SQL, &ids, rows::record, "records").await
    }

    async fn update_record(&self, update: &RecordUpdate, actor: &UserId) -> StoreResult<Record> {
        let mut tx = begin(self).await?;
        let updated = update_in(&mut tx, update, actor, now(), None).await?;
        commit(tx).await?;
        Ok(updated)
    }

    async fn delete_record_with_events(
        &self,
        id: &RecordId,
        expected_rev: Option<i64>,
        actor: &UserId,
        events: &[NewJob],
    ) -> StoreResult<()> {
        let what = format!("record `{id}`");
        let now = now();
        let mut tx = begin(self).await?;
        let rev: Option<i64> = sqlx::query_scalar(
            "UPDATE records SET deleted_at = $2, updated_at = $2, rev = rev + 1 \
             WHERE id = $1 AND deleted_at IS NULL AND ($3 IS NULL OR rev = $3) RETURNING rev",
        )
        .bind(id.as_str())
        .bind(ts(now))
        .bind(expected_rev)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err(&what))?;
        let Some(rev) = rev else {
            return Err(refused(&mut tx, RECORD_REV, id.as_str(), &what, expected_rev).await);
        };
        let detail = serde_json::json!({ "rev": rev });
        let subject = format!("record:{id}");
        audit(&mut tx, now, Some(actor), "record.delete", &subject, detail).await?;
        for job in events {
            insert_job(&mut *tx, job, now).await?;
        }
        commit(tx).await
    }

    async fn list_records(&self, query: &RecordQuery) -> StoreResult<Vec<Record>> {
        let proj = self.list_projection(query).await?;
        let Some(select) = list_select(query, proj.as_ref())? else {
            return Ok(Vec::new());
        };
        let (sql, values) = built(&select);
        sqlx::query_with(sqlx::AssertSqlSafe(sql), values)
            .try_map(rows::record)
            .fetch_all(self.reader())
            .await
            .map_err(db_err("records"))
    }

    async fn count_records(&self, query: &RecordQuery, cap: u32) -> StoreResult<u32> {
        let proj = self.list_projection(query).await?;
        let Some(select) = formwork_query::list::count_with::<Dialect>(query, cap, proj.as_ref())
            .map_err(|e| StoreError::Backend(e.to_string()))?
        else {
            return Ok(0);
        };
        let (sql, values) = built(&select);
        let n: i64 = sqlx::query_scalar_with(sqlx::AssertSqlSafe(sql), values)
            .fetch_one(self.reader())
            .await
            .map_err(db_err("record count"))?;
        Ok(super::count(n))
    }

    async fn explain_list_records(&self, query: &RecordQuery) -> StoreResult<Vec<String>> {
        let proj = self.list_projection(query).await?;
        let Some(select) = list_select(query, proj.as_ref())? else {
            return Ok(Vec::new());
        };
        let (sql, values) = built(&select);
        let sql = format!("{}{sql}", Dialect::EXPLAIN);
        sqlx::query_with(sqlx::AssertSqlSafe(sql), values)
            .try_map(|r: DbRow| r.try_get::<String, _>(Dialect::EXPLAIN_COLUMN))
            .fetch_all(self.reader())
            .await
            .map_err(db_err("query plan"))
    }

    async fn record_history(&self, record_id: &RecordId) -> StoreResult<Vec<AuditEntry>> {
        let subject = format!("record:{record_id}");
        let sql = select_by!(audit_cols, "audit_log", "subject");
        self.rows_by(sql, &subject, rows::audit, "record history")
            .await
    }

    async fn list_audit(&self, before: Option<&str>, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        let sql = select_page!(audit_cols, "audit_log", "id", "<", "DESC");
        self.page(sql, (before, limit), rows::audit, "audit log")
            .await
    }

    async fn add_comment(
        &self,
        record_id: &RecordId,
        author_id: &UserId,
        body: &str,
    ) -> StoreResult<Comment> {
        let comment = sqlx::query(concat!(
            "INSERT INTO comments (id, record_id, author_id, body, created_at) \
             SELECT $1, id, $3, $4, $5 FROM records WHERE id = $2 AND deleted_at IS NULL \
             RETURNING ",
            comment_cols!()
        ))
        .bind(String::from(CommentId::new()))
        .bind(record_id.as_str())
        .bind(author_id.as_str())
        .bind(body)
        .bind(ts(now()))
        .try_map(rows::comment)
        .fetch_optional(self.writer())
        .await
        .map_err(db_err(&format!("comment on record `{record_id}`")))?;
        comment.ok_or_else(|| StoreError::NotFound(format!("record `{record_id}`")))
    }

    async fn list_comments(&self, record_id: &RecordId) -> StoreResult<Vec<Comment>> {
        let sql = select_by!(comment_cols, "comments", "record_id");
        self.rows_by(sql, record_id.as_str(), rows::comment, "comments")
            .await
    }

    async fn insert_attachment(&self, attachment: &Attachment) -> StoreResult<()> {
        sqlx::query(concat!(
            "INSERT INTO attachments (",
            attachment_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(attachment.id.as_str())
        .bind(&attachment.sha256)
        .bind(attachment.size)
        .bind(&attachment.content_type)
        .bind(&attachment.filename)
        .bind(text(&attachment.created_by))
        .bind(ts(attachment.created_at))
        .execute(self.writer())
        .await
        .map_err(db_err(&format!("attachment `{}`", attachment.id)))?;
        Ok(())
    }

    async fn get_attachment(&self, id: &FileId) -> StoreResult<Option<Attachment>> {
        let sql = select_by!(attachment_cols, "attachments", "id");
        self.row_by(sql, id.as_str(), rows::attachment, "attachment")
            .await
    }
}
