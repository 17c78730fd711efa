//! Row mapping, one place per row type: the columns a statement selects for it (a macro, so
//! statements stay `&'static str` through `concat!`) and the function that reads them.
//! Statements pass the function to `Query::try_map`.

use formwork_store::{
    Account, ApiToken, AppSummary, AppVersion, AppVersionInfo, Attachment, AuditEntry, Comment,
    Customer, Delegation, Delivery, Department, Draft, HistoryRow, Instance, Job, Notification,
    Record, Role, RuleRun, SessionRow, Task, ThreadMessage, Timer, User,
};
use std::str::FromStr;

use serde_json::value::RawValue;
use sqlx::Row as _;
use sqlx::types::Json;

use super::DbRow;

/// The one statement that reads rows by one key: `SELECT <cols> FROM <table> WHERE <key> = $1
/// ORDER BY id` (by a unique key it finds one row, and the order costs nothing). Reads by key
/// differ only in these names, so they are all this statement.
macro_rules! select_by {
    ($cols:ident, $table:literal, $key:literal) => {
        concat!(
            "SELECT ",
            $cols!(),
            " FROM ",
            $table,
            " WHERE ",
            $key,
            " = $1 ORDER BY id"
        )
    };
}

/// The one statement that reads a page of a whole table by a unique key, after a cursor:
/// `SELECT <cols> FROM <table> WHERE ($1 IS NULL OR <key> <op> $1) ORDER BY <key> <dir>
/// LIMIT $2`.
macro_rules! select_page {
    ($cols:ident, $table:literal, $key:literal, $op:literal, $dir:literal) => {
        concat!(
            "SELECT ",
            $cols!(),
            " FROM ",
            $table,
            " WHERE ($1 IS NULL OR ",
            $key,
            " ",
            $op,
            " $1) ORDER BY ",
            $key,
            " ",
            $dir,
            " LIMIT $2"
        )
    };
}

macro_rules! user_cols {
    () => {
        "id, username, display_name, email, password_hash, department_id, is_admin, suspended, \
         created_at"
    };
}

macro_rules! account_cols {
    () => {
        "id, username, display_name, email, department_id, is_admin, suspended, created_at"
    };
}

macro_rules! dept_cols {
    () => {
        "id, name, parent_id, head_user_id"
    };
}

macro_rules! token_cols {
    () => {
        "id, user_id, name, prefix, created_at, last_used_at, revoked_at"
    };
}

macro_rules! draft_cols {
    () => {
        "id, draft, draft_rev, updated_at, updated_by"
    };
}

macro_rules! version_cols {
    () => {
        "app_id, version, package, published_at, published_by"
    };
}

macro_rules! record_cols {
    () => {
        "id, app_id, form_id, app_version, number, owner_id, department_id, status, data, rev, \
         created_at, updated_at"
    };
}

macro_rules! audit_cols {
    () => {
        "id, at, actor, action, subject, detail"
    };
}

macro_rules! comment_cols {
    () => {
        "id, record_id, author_id, body, created_at"
    };
}

macro_rules! attachment_cols {
    () => {
        "id, sha256, size, content_type, filename, created_by, created_at"
    };
}

macro_rules! instance_cols {
    () => {
        "id, record_id, app_id, process_id, app_version, state, status, version, stopped_node, \
         proposed_changes, created_at, updated_at"
    };
}

/// A task's columns, from `tasks t` joined to its instance `i` (for the record id).
macro_rules! task_cols {
    () => {
        "t.id, t.instance_id, i.record_id, t.key, t.node_id, t.assignee_id, t.round, t.kind, \
         t.status, t.action, t.comment, t.decided_by, t.created_at, t.decided_at, t.due_at"
    };
}

/// Tasks are read joined to their instance (`i`) for the record id.
macro_rules! task_select {
    () => {
        concat!(
            "SELECT ",
            task_cols!(),
            " FROM tasks t JOIN process_instances i ON i.id = t.instance_id "
        )
    };
}

/// [`instance_cols`] of `process_instances i`, each named `i_<column>` (for [`instance_at`]).
macro_rules! instance_cols_i {
    () => {
        "i.id AS i_id, i.record_id AS i_record_id, i.app_id AS i_app_id, \
         i.process_id AS i_process_id, i.app_version AS i_app_version, i.state AS i_state, \
         i.status AS i_status, i.version AS i_version, i.stopped_node AS i_stopped_node, \
         i.proposed_changes AS i_proposed_changes, i.created_at AS i_created_at, \
         i.updated_at AS i_updated_at"
    };
}

/// [`record_cols`] of `records r`, each named `r_<column>` (for [`record_at`]).
macro_rules! record_cols_r {
    () => {
        "r.id AS r_id, r.app_id AS r_app_id, r.form_id AS r_form_id, \
         r.app_version AS r_app_version, r.number AS r_number, r.owner_id AS r_owner_id, \
         r.department_id AS r_department_id, r.status AS r_status, r.data AS r_data, \
         r.rev AS r_rev, r.created_at AS r_created_at, r.updated_at AS r_updated_at"
    };
}

macro_rules! job_cols {
    () => {
        "id, kind, payload, event_id, state, attempts, run_at, lease_owner, lease_expires_at, \
         last_error_code, last_error, app_id, record_id, rule_run_id, created_at, updated_at, \
         finished_at"
    };
}

macro_rules! delivery_cols {
    () => {
        "id, job_id, event_id, channel, destination, attempt, started_at, finished_at, outcome, \
         code, message, record_id, rule_run_id"
    };
}

macro_rules! rule_run_cols {
    () => {
        "id, app_id, app_version, rule_id, record_id, trigger, depth, outcome, message, actions, \
         job_id, created_at"
    };
}

/// What reading one row gives.
pub(crate) type Mapped<T> = Result<T, sqlx::Error>;

/// A row reader, for `Query::try_map`.
pub(crate) type Mapper<T> = fn(DbRow) -> Mapped<T>;

fn json_text(row: &DbRow, col: &str) -> Mapped<String> {
    Ok(row.try_get::<Box<RawValue>, _>(col)?.get().to_owned())
}

fn json_value(row: &DbRow, col: &str) -> Mapped<serde_json::Value> {
    Ok(row.try_get::<Json<serde_json::Value>, _>(col)?.0)
}

fn json_value_opt(row: &DbRow, col: &str) -> Mapped<Option<serde_json::Value>> {
    Ok(row
        .try_get::<Option<Json<serde_json::Value>>, _>(col)?
        .map(|j| j.0))
}

/// A text column parsed as an id or status; a value that does not parse is a decode error.
pub(crate) fn parsed<T>(row: &DbRow, col: &str) -> Mapped<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: String = row.try_get(col)?;
    text.parse().map_err(|e| sqlx::Error::ColumnDecode {
        index: col.to_owned(),
        source: Box::new(e),
    })
}

/// A nullable text column parsed as an id or status.
fn parsed_opt<T>(row: &DbRow, col: &str) -> Mapped<Option<T>>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: Option<String> = row.try_get(col)?;
    text.map(|t| {
        t.parse().map_err(|e| sqlx::Error::ColumnDecode {
            index: col.to_owned(),
            source: Box::new(e),
        })
    })
    .transpose()
}

/// `prefix` + `column`, borrowed when there is no prefix (the common case).
fn prefixed<'a>(prefix: &str, column: &'a str) -> std::borrow::Cow<'a, str> {
    if prefix.is_empty() {
        column.into()
    } else {
        format!("{prefix}{column}").into()
    }
}

/// A reader of `$ty` whose fields are read from the columns of the same name, or from the
/// column named after `=`, or by the function after `:` (given the row and the field's name).
macro_rules! reader {
    ($name:ident -> $ty:ident { $($field:ident $(= $col:literal)? $(: $read:ident)?),* $(,)? }) => {
        pub(crate) fn $name(row: DbRow) -> Mapped<$ty> {
            Ok($ty {
                $($field: reader!(@get row, $field $(= $col)? $(: $read)?),)*
            })
        }
    };
    // A reader that can also read its columns under a prefix, from a statement that joins
    // several row types whose column names collide: `$name(row)` and `$at(&row, "r_")`.
    ($name:ident / $at:ident -> $ty:ident {
        $($field:ident $(: $read:ident)?),* $(,)?
    }) => {
        pub(crate) fn $name(row: DbRow) -> Mapped<$ty> {
            $at(&row, "")
        }

        pub(crate) fn $at(row: &DbRow, prefix: &str) -> Mapped<$ty> {
            Ok($ty {
                $($field: reader!(@at row, prefix, $field $(: $read)?),)*
            })
        }
    };
    (@at $row:ident, $prefix:ident, $field:ident) => {
        $row.try_get(&*prefixed($prefix, stringify!($field)))?
    };
    (@at $row:ident, $prefix:ident, $field:ident : $read:ident) => {
        $read($row, &prefixed($prefix, stringify!($field)))?
    };
    (@get $row:ident, $field:ident) => { $row.try_get(stringify!($field))? };
    (@get $row:ident, $field:ident = $col:literal) => { $row.try_get($col)? };
    (@get $row:ident, $field:ident = $col:literal : $read:ident) => { $read(&$row, $col)? };
    (@get $row:ident, $field:ident : $read:ident) => { $read(&$row, stringify!($field))? };
}

reader!(user -> User {
    id: parsed, username, display_name, email, password_hash, department_id: parsed_opt,
    is_admin, suspended, created_at,
});
reader!(account -> Account {
    id: parsed, username, display_name, email, department_id: parsed_opt, is_admin, suspended,
    created_at,
});
reader!(department -> Department {
    id: parsed, name, parent_id: parsed_opt, head_user_id: parsed_opt,
});
reader!(role -> Role { id: parsed, name_zh, name_en });

pub(crate) fn role_id(row: DbRow) -> Mapped<formwork_store::RoleId> {
    parsed(&row, "role_id")
}

pub(crate) fn membership(row: DbRow) -> Mapped<(formwork_store::RoleId, formwork_store::UserId)> {
    Ok((parsed(&row, "role_id")?, parsed(&row, "user_id")?))
}
reader!(session -> SessionRow { id, user_id: parsed_opt, data, expires_at });
reader!(token -> ApiToken {
    id: parsed, user_id: parsed, name, prefix, created_at, last_used_at, revoked_at,
});
reader!(draft -> Draft {
    app_id = "id": parsed, package = "draft", rev = "draft_rev", updated_at, updated_by,
});
reader!(app_summary -> AppSummary { id: parsed, name, latest_version, updated_at });
reader!(version -> AppVersion {
    app_id: parsed, version, package, published_at, published_by,
});
reader!(version_info -> AppVersionInfo { version, published_at, published_by });
reader!(record / record_at -> Record {
    id: parsed, app_id: parsed, form_id: parsed, app_version, number, owner_id: parsed,
    department_id: parsed_opt, status: parsed, data: json_value, rev, created_at, updated_at,
});
reader!(audit -> AuditEntry { id, at, actor, action, subject, detail: json_text });
reader!(comment -> Comment {
    id: parsed, record_id: parsed, author_id: parsed, body, created_at,
});
reader!(attachment -> Attachment {
    id: parsed, sha256, size, content_type, filename, created_by: parsed_opt, created_at,
});
reader!(instance / instance_at -> Instance {
    id: parsed, record_id: parsed, app_id: parsed, process_id: parsed, app_version,
    state: json_value, status: parsed, version, stopped_node,
    proposed_changes: json_value_opt, created_at, updated_at,
});
reader!(task -> Task {
    id: parsed, instance_id: parsed, record_id: parsed, key, node_id, assignee_id: parsed,
    round, kind: parsed, status: parsed, action: parsed_opt, comment, decided_by: parsed_opt, created_at, decided_at,
    due_at,
});
reader!(timer -> Timer { id, instance_id: parsed, key, kind, fire_at });
reader!(history -> HistoryRow {
    id, instance_id: parsed, at, actor: parsed_opt, node_id, action, comment,
    detail: json_value,
});
reader!(notification -> Notification {
    id: parsed, user_id: parsed, kind, payload: json_value, created_at, read_at,
});
reader!(job -> Job {
    id, kind, payload: json_value, event_id, state: parsed, attempts, run_at, lease_owner,
    lease_expires_at, last_error_code, last_error, app_id, record_id, rule_run_id, created_at,
    updated_at, finished_at,
});
reader!(delivery -> Delivery {
    id, job_id, event_id, channel, destination, attempt, started_at, finished_at, outcome, code,
    message, record_id, rule_run_id,
});
reader!(rule_run -> RuleRun {
    id, app_id, app_version, rule_id, record_id, trigger, depth, outcome,
    message: json_value_opt, actions: json_value, job_id, created_at,
});

reader!(customer -> Customer { id, name, contacts, created_at });
reader!(thread_message -> ThreadMessage {
    id, record_id: parsed, author_id: parsed, body, created_at,
});
reader!(delegation -> Delegation {
    user_id: parsed, delegate_id: parsed, starts_at, ends_at,
});

/// A text column parsed as an id.
pub(crate) fn id_column<T>(row: &DbRow, col: &str) -> Mapped<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    parsed(row, col)
}

#[cfg(test)]
mod tests {
    /// `t.x AS p_x, …` → `x, …`: the columns a prefixed list renames.
    fn unprefixed(list: &str) -> Vec<String> {
        list.split(',')
            .map(|c| {
                let c = c.trim();
                let c = c.split(" AS ").next().unwrap_or(c);
                c.split('.').next_back().unwrap_or(c).to_owned()
            })
            .collect()
    }

    #[test]
    fn prefixed_column_lists_name_the_same_columns_as_the_plain_ones() {
        assert_eq!(unprefixed(instance_cols_i!()), unprefixed(instance_cols!()));
        assert_eq!(unprefixed(record_cols_r!()), unprefixed(record_cols!()));
        for list in [instance_cols_i!(), record_cols_r!()] {
            for column in list.split(',') {
                let (source, alias) = column.trim().split_once(" AS ").unwrap();
                let (table, name) = source.split_once('.').unwrap();
                assert_eq!(alias, format!("{table}_{name}"), "{column}");
            }
        }
    }
}
