//! The statements the floor runs: the store's own, word for word. A test
//! (`tests/it/bench_sql.rs`) holds each to the store's source, so the floor cannot drift from
//! what it is the floor of; the plan test reads the hot ones' plans.

pub const NEXT_NUMBER: &str = "INSERT INTO number_sequences (app_id, form_id, scope, next_value) \
     VALUES ($1, $2, $3, 2) ON CONFLICT (app_id, form_id, scope) \
     DO UPDATE SET next_value = number_sequences.next_value + 1 \
     RETURNING next_value - 1";
pub const INSERT_RECORD: &str = "INSERT INTO records (id, app_id, form_id, app_version, number, owner_id, \
     department_id, status, data, rev, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10) RETURNING \
     id, app_id, form_id, app_version, number, owner_id, department_id, status, data, rev, \
     created_at, updated_at";
pub const INSERT_AUDIT: &str = "INSERT INTO audit_log (id, at, actor, action, subject, detail) \
     VALUES ($1, $2, $3, $4, $5, $6)";
pub const INSERT_INSTANCE: &str = "INSERT INTO process_instances (id, record_id, app_id, process_id, app_version, state, \
     status, stopped_node, proposed_changes, version, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $9, $10, 1, $8, $8)";
pub const INSERT_TASK: &str = "INSERT INTO tasks (id, instance_id, key, node_id, assignee_id, round, kind, status, \
     created_at, due_at) VALUES ($1, $2, $3, $4, $5, $8, $9, 'open', $6, $7)";
pub const INSERT_TIMER: &str = "INSERT INTO timers (id, instance_id, key, kind, fire_at) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (instance_id, key) DO NOTHING";
pub const INSERT_HISTORY: &str = "INSERT INTO instance_history (id, instance_id, at, actor, node_id, action, comment, \
     detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
pub const INSERT_NOTIFICATION: &str = "INSERT INTO notifications (id, user_id, kind, payload, created_at) \
     VALUES ($1, $2, $3, $4, $5)";
pub const INSERT_JOB: &str = "INSERT INTO jobs (id, kind, payload, event_id, state, attempts, run_at, app_id, \
     record_id, rule_run_id, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $7, $8, $9, $9) \
     ON CONFLICT (event_id) DO NOTHING";
pub const CLOSE_TASK: &str = "UPDATE tasks SET status = $3, action = $4, decided_by = $5, comment = $6, \
     decided_at = $7 WHERE instance_id = $1 AND key = $2 AND status = 'open'";
pub const CANCEL_TIMER: &str = "UPDATE timers SET cancelled_at = $3 WHERE instance_id = $1 AND key = $2 \
     AND fired_at IS NULL AND cancelled_at IS NULL";
pub const ADVANCE_INSTANCE: &str = "UPDATE process_instances SET state = $3, status = $4, stopped_node = $6, \
     proposed_changes = COALESCE($7, proposed_changes), \
     version = version + 1, updated_at = $5 WHERE id = $1 AND version = $2";
pub const FINISH_RECORD: &str = "UPDATE records SET status = COALESCE($2, status), data = COALESCE($3, data), \
     rev = rev + 1, updated_at = $4 WHERE id = $1 AND ($5 IS NULL OR rev = $5) \
     RETURNING rev, status";

/// The hot statements a decision and an inbox page run besides the ones above; the plan test
/// reads their plans.
pub const CONSUME_TASK: &str = "UPDATE tasks SET status = status WHERE instance_id = $1 AND key = $2 \
     AND status = 'open'";
pub const FIRE_TIMER: &str = "UPDATE timers SET fired_at = $3 WHERE instance_id = $1 AND key = $2 \
     AND fired_at IS NULL";
pub const DUE_TIMERS: &str = "SELECT id, instance_id, key, kind, fire_at FROM timers \
     WHERE COALESCE(fired_at, cancelled_at) IS NULL AND fire_at <= $1 \
     ORDER BY fire_at, id LIMIT $2";
/// The first inbox page's condition and order (the store puts its task columns before it and
/// the page size after it).
pub const INBOX_PAGE: &str =
    "WHERE t.assignee_id = $1 AND t.status = 'open' ORDER BY t.id DESC LIMIT ";

/// Every statement above, for the test that holds them to the store's source.
pub const STATEMENTS: [&str; 17] = [
    CONSUME_TASK,
    FIRE_TIMER,
    DUE_TIMERS,
    INBOX_PAGE,
    NEXT_NUMBER,
    INSERT_RECORD,
    INSERT_AUDIT,
    INSERT_INSTANCE,
    INSERT_TASK,
    INSERT_TIMER,
    INSERT_HISTORY,
    INSERT_NOTIFICATION,
    INSERT_JOB,
    CLOSE_TASK,
    CANCEL_TIMER,
    ADVANCE_INSTANCE,
    FINISH_RECORD,
];
