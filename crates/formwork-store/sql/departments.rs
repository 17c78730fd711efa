//! `DepartmentStore`: the organisation tree. Every change moves the directory epoch in its
//! transaction, as changes to users and roles do.

use async_trait::async_trait;
use formwork_store::{
    AccountStore, Department, DepartmentId, DepartmentStore, NewDepartment, StoreError,
    StoreResult, UserId,
};
use time::OffsetDateTime;

use super::accounts::bump_epoch;
use super::{Conn, Tx, audit, begin, commit, db_err, found, now, rows, text, ts};
use crate::StoreImpl;

/// Every department, as lists and the directory show them.
pub(super) const ALL_DEPARTMENTS: &str = concat!(
    "SELECT ",
    dept_cols!(),
    " FROM departments ORDER BY name, id"
);

/// The department `id` as the transaction sees it, or `NotFound`.
async fn department_in(tx: &mut Conn, id: &DepartmentId) -> StoreResult<Department> {
    const SQL: &str = concat!("SELECT ", dept_cols!(), " FROM departments WHERE id = $1");
    sqlx::query(SQL)
        .bind(id.as_str())
        .try_map(rows::department)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err("department"))?
        .ok_or_else(|| StoreError::NotFound(format!("department `{id}`")))
}

/// `UPDATE` of one column of department `$1` to `$2`, returning the row.
macro_rules! set_department {
    ($col:literal) => {
        concat!(
            "UPDATE departments SET ",
            $col,
            " = $2 WHERE id = $1 RETURNING ",
            dept_cols!()
        )
    };
}

/// Runs a `set_department!` statement in the caller's transaction; `NotFound` when there is no
/// such department, `Conflict` (naming `name`) when the change takes a name under a parent that
/// another department has.
async fn set_in(
    tx: &mut Conn,
    sql: &'static str,
    (id, value): (&DepartmentId, Option<&str>),
    name: &str,
) -> StoreResult<Department> {
    sqlx::query(sql)
        .bind(id.as_str())
        .bind(value)
        .try_map(rows::department)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err(&format!("department `{name}` under this parent")))?
        .ok_or_else(|| StoreError::NotFound(format!("department `{id}`")))
}

/// Audits `action` on department `id` and commits the caller's transaction.
async fn audit_commit(
    mut tx: Tx,
    (now, actor): (OffsetDateTime, Option<&UserId>),
    action: &str,
    id: &DepartmentId,
    detail: serde_json::Value,
) -> StoreResult<()> {
    let subject = format!("department:{id}");
    audit(&mut tx, now, actor, action, &subject, detail).await?;
    commit(tx).await
}

#[async_trait]
impl DepartmentStore for StoreImpl {
    async fn create_department(&self, dept: NewDepartment) -> StoreResult<Department> {
        let what = format!("department `{}` under this parent", dept.name);
        let mut tx = begin(self).await?;
        let created = sqlx::query(concat!(
            "INSERT INTO departments (id, name, parent_id, head_user_id, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING ",
            dept_cols!()
        ))
        .bind(String::from(DepartmentId::new()))
        .bind(&dept.name)
        .bind(text(&dept.parent_id))
        .bind(text(&dept.head_user_id))
        .bind(ts(now()))
        .try_map(rows::department)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err(&what))?;
        bump_epoch(&mut tx).await?;
        commit(tx).await?;
        Ok(created)
    }

    async fn get_department_by_name(&self, name: &str) -> StoreResult<Option<Department>> {
        // Names are unique only under one parent; the oldest of equal names wins.
        const SQL: &str = concat!(
            "SELECT ",
            dept_cols!(),
            " FROM departments WHERE name = $1 ORDER BY id LIMIT 1"
        );
        self.row_by(SQL, name, rows::department, "department").await
    }

    async fn list_departments(&self) -> StoreResult<Vec<Department>> {
        self.rows(
            sqlx::query(ALL_DEPARTMENTS),
            rows::department,
            "departments",
        )
        .await
    }

    async fn set_department_head(
        &self,
        dept_id: &DepartmentId,
        head_user_id: Option<&UserId>,
    ) -> StoreResult<()> {
        let what = format!("head of department `{dept_id}`");
        let query = sqlx::query(set_department!("head_user_id"))
            .bind(dept_id.as_str())
            .bind(head_user_id.map(UserId::as_str));
        let changed = self.directory_change(query, &what).await?;
        found(changed, || format!("department `{dept_id}`"))
    }

    async fn department_chain(&self, user_id: &UserId) -> StoreResult<Vec<Department>> {
        // The depth bound only guards against a cycle written by hand; the API cannot make one.
        let chain = self
            .rows(
                sqlx::query(
                    "WITH RECURSIVE chain (id, name, parent_id, head_user_id, depth) AS ( \
                 SELECT d.id, d.name, d.parent_id, d.head_user_id, 0 \
                 FROM departments d JOIN users u ON u.department_id = d.id WHERE u.id = $1 \
                 UNION ALL \
                 SELECT d.id, d.name, d.parent_id, d.head_user_id, c.depth + 1 \
                 FROM departments d JOIN chain c ON d.id = c.parent_id WHERE c.depth < 64 \
             ) SELECT id, name, parent_id, head_user_id FROM chain ORDER BY depth",
                )
                .bind(user_id.as_str()),
                rows::department,
                "department chain",
            )
            .await?;
        if chain.is_empty() && self.get_user(user_id).await?.is_none() {
            return Err(StoreError::NotFound(format!("user `{user_id}`")));
        }
        Ok(chain)
    }

    async fn rename_department(
        &self,
        dept_id: &DepartmentId,
        name: &str,
        actor: Option<&UserId>,
    ) -> StoreResult<Department> {
        let now = now();
        let mut tx = begin(self).await?;
        let sql = set_department!("name");
        let renamed = set_in(&mut tx, sql, (dept_id, Some(name)), name).await?;
        bump_epoch(&mut tx).await?;
        let detail = serde_json::json!({ "name": name });
        audit_commit(tx, (now, actor), "department.rename", dept_id, detail).await?;
        Ok(renamed)
    }

    async fn move_department(
        &self,
        dept_id: &DepartmentId,
        parent: Option<&DepartmentId>,
        actor: Option<&UserId>,
    ) -> StoreResult<Department> {
        let now = now();
        let mut tx = begin(self).await?;
        // The epoch's row first: on PostgreSQL its lock queues concurrent moves, so two moves
        // that are each fine alone can never together close a cycle.
        bump_epoch(&mut tx).await?;
        let moved = department_in(&mut tx, dept_id).await?;
        if let Some(parent) = parent {
            department_in(&mut tx, parent).await?;
            // The new parent and everything above it; the moved department must not be there.
            const ABOVE: &str = "WITH RECURSIVE up (id, parent_id, depth) AS ( \
                 SELECT id, parent_id, 0 FROM departments WHERE id = $1 \
                 UNION ALL \
                 SELECT d.id, d.parent_id, u.depth + 1 FROM departments d \
                 JOIN up u ON d.id = u.parent_id WHERE u.depth < 64 \
             ) SELECT id FROM up";
            let above: Vec<String> = sqlx::query_scalar(ABOVE)
                .bind(parent.as_str())
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err("departments above"))?;
            if above.iter().any(|id| id == dept_id.as_str()) {
                return Err(StoreError::Conflict(format!(
                    "department `{}` cannot move under itself or one of its sub-departments",
                    moved.name
                )));
            }
        }
        let to = parent.map(DepartmentId::as_str);
        let sql = set_department!("parent_id");
        let done = set_in(&mut tx, sql, (dept_id, to), &moved.name).await?;
        let detail = serde_json::json!({
            "from": moved.parent_id.as_ref().map(DepartmentId::as_str),
            "to": to,
        });
        audit_commit(tx, (now, actor), "department.move", dept_id, detail).await?;
        Ok(done)
    }

    async fn delete_department(
        &self,
        dept_id: &DepartmentId,
        actor: Option<&UserId>,
    ) -> StoreResult<()> {
        let now = now();
        let mut tx = begin(self).await?;
        bump_epoch(&mut tx).await?;
        let dept = department_in(&mut tx, dept_id).await?;
        // What still hangs on the department: its members, sub-departments and records.
        const HELD: &str = "SELECT \
             (SELECT COUNT(*) FROM users WHERE department_id = $1), \
             (SELECT COUNT(*) FROM departments WHERE parent_id = $1), \
             (SELECT COUNT(*) FROM records WHERE department_id = $1)";
        let (members, children, records): (i64, i64, i64) = sqlx::query_as(HELD)
            .bind(dept_id.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err("department members, sub-departments and records"))?;
        if members + children + records > 0 {
            return Err(StoreError::Conflict(format!(
                "department `{}` still has {members} members, {children} sub-departments and \
                 {records} records",
                dept.name
            )));
        }
        sqlx::query("DELETE FROM departments WHERE id = $1")
            .bind(dept_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err("department"))?;
        let detail = serde_json::json!({ "name": dept.name });
        audit_commit(tx, (now, actor), "department.delete", dept_id, detail).await
    }
}
