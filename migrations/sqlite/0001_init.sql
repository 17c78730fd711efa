-- Formwork schema, SQLite dialect. The PostgreSQL file of the same name holds the same tables.
-- Ids are UUID v7 text; instants are fixed-width RFC 3339 UTC text
-- (`2026-11-22T02:08:44.809079Z`, always six fraction digits, so text order is time order);
-- JSON is TEXT checked with json_valid; booleans are 0/1.

-- ---- people and organisation -------------------------------------------------------------

CREATE TABLE departments (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    parent_id    TEXT REFERENCES departments (id),
    head_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL
);
-- A plain UNIQUE (parent_id, name) would let two roots share a name: NULLs are distinct.
CREATE UNIQUE INDEX departments_parent_name_key ON departments (coalesce(parent_id, ''), name);
CREATE INDEX departments_name_idx ON departments (name);

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    email         TEXT,
    password_hash TEXT NOT NULL,
    department_id TEXT REFERENCES departments (id) ON DELETE SET NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    suspended     INTEGER NOT NULL DEFAULT 0 CHECK (suspended IN (0, 1)),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX users_department_id_idx ON users (department_id);

CREATE TABLE roles (
    id      TEXT PRIMARY KEY NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL
);

CREATE TABLE role_members (
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, user_id)
);
CREATE INDEX role_members_user_id_idx ON role_members (user_id);

-- ---- authentication ------------------------------------------------------------------------

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT REFERENCES users (id) ON DELETE CASCADE,
    data       TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id);

CREATE TABLE login_failures (
    id  INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    at  TEXT NOT NULL
);
CREATE INDEX login_failures_key_at_idx ON login_failures (key, at);

-- ---- apps ----------------------------------------------------------------------------------

-- `draft` and `package` are opaque canonical documents kept byte for byte, so plain TEXT.
CREATE TABLE apps (
    id             TEXT PRIMARY KEY NOT NULL,
    -- The draft's `name` object as JSON text, kept beside it so listing parses no packages.
    name           TEXT NOT NULL CHECK (json_valid(name)),
    draft          TEXT NOT NULL,
    draft_rev      INTEGER NOT NULL,
    -- The highest published version; bumping it is what serialises concurrent publishes.
    latest_version INTEGER,
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    updated_by     TEXT NOT NULL
);

CREATE TABLE app_versions (
    app_id       TEXT NOT NULL REFERENCES apps (id),
    version      INTEGER NOT NULL CHECK (version > 0),
    package      TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL,
    PRIMARY KEY (app_id, version)
);

CREATE TABLE audit_log (
    id      TEXT PRIMARY KEY NOT NULL,
    at      TEXT NOT NULL,
    actor   TEXT,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL CHECK (json_valid(detail))
);
CREATE INDEX audit_log_subject_idx ON audit_log (subject, id);

-- ---- records and files ---------------------------------------------------------------------

CREATE TABLE records (
    id            TEXT PRIMARY KEY NOT NULL,
    app_id        TEXT NOT NULL,
    form_id       TEXT NOT NULL,
    app_version   INTEGER NOT NULL,
    -- Human-facing, gap-free (`PRJ-2026-00001`); NULL when the form does not number records.
    number        TEXT,
    owner_id      TEXT NOT NULL REFERENCES users (id),
    department_id TEXT REFERENCES departments (id),
    status        TEXT NOT NULL,
    data          TEXT NOT NULL CHECK (json_valid(data)),
    rev           INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted_at    TEXT,
    FOREIGN KEY (app_id, app_version) REFERENCES app_versions (app_id, version)
);
-- The list indexes: a form's live records newest first, for everyone who sees all of them, for
-- an owner, and for a department. "Own or these departments" merges one branch per owner and
-- department, each walking its index in order. Queries must say `deleted_at IS NULL` for SQLite
-- to pick a partial index.
CREATE INDEX records_list_idx ON records (app_id, form_id, id) WHERE deleted_at IS NULL;
CREATE INDEX records_owner_list_idx ON records (app_id, form_id, owner_id, id)
    WHERE deleted_at IS NULL;
CREATE INDEX records_department_list_idx ON records (app_id, form_id, department_id, id)
    WHERE deleted_at IS NULL;
CREATE INDEX records_owner_id_idx ON records (owner_id, id);
CREATE UNIQUE INDEX records_number_key ON records (app_id, form_id, number);

-- Inserts already made, by the client's idempotency key, so a retried submit replays the first
-- record. The key is claimed before the record is written, hence the deferred reference.
CREATE TABLE idempotency_keys (
    owner_id   TEXT NOT NULL REFERENCES users (id),
    key        TEXT NOT NULL,
    -- SHA-256 of the request body: a reused key with different data is refused.
    request_hash TEXT NOT NULL,
    record_id  TEXT NOT NULL REFERENCES records (id) DEFERRABLE INITIALLY DEFERRED,
    created_at TEXT NOT NULL,
    PRIMARY KEY (owner_id, key)
);

CREATE TABLE number_sequences (
    app_id     TEXT NOT NULL REFERENCES apps (id),
    form_id    TEXT NOT NULL,
    -- What the counter restarts with, e.g. the year `2026`; '' for a counter that never does.
    scope      TEXT NOT NULL DEFAULT '',
    next_value INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (app_id, form_id, scope)
);

CREATE TABLE attachments (
    id           TEXT PRIMARY KEY NOT NULL,
    sha256       TEXT NOT NULL,
    size         INTEGER NOT NULL CHECK (size >= 0),
    content_type TEXT NOT NULL,
    filename     TEXT NOT NULL,
    created_by   TEXT REFERENCES users (id),
    created_at   TEXT NOT NULL
);
CREATE INDEX attachments_sha256_idx ON attachments (sha256);

CREATE TABLE comments (
    id         TEXT PRIMARY KEY NOT NULL,
    record_id  TEXT NOT NULL REFERENCES records (id),
    author_id  TEXT NOT NULL REFERENCES users (id),
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX comments_record_idx ON comments (record_id, id);

-- ---- processes -----------------------------------------------------------------------------

CREATE TABLE process_instances (
    id          TEXT PRIMARY KEY NOT NULL,
    record_id   TEXT NOT NULL REFERENCES records (id),
    app_id      TEXT NOT NULL,
    process_id  TEXT NOT NULL,
    app_version INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (json_valid(state)),
    status      TEXT NOT NULL,
    -- Bumped by every step; a step computed from an older version is refused, so two steps
    -- on one instance (parallel branches, two servers) never overwrite each other.
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    FOREIGN KEY (app_id, app_version) REFERENCES app_versions (app_id, version)
);
CREATE INDEX process_instances_record_id_idx ON process_instances (record_id, id);
CREATE INDEX process_instances_status_idx ON process_instances (app_id, status);

-- `key` is the engine's task key, deterministic within the instance.
CREATE TABLE tasks (
    id          TEXT PRIMARY KEY NOT NULL,
    instance_id TEXT NOT NULL REFERENCES process_instances (id),
    key         TEXT NOT NULL,
    node_id     TEXT NOT NULL,
    assignee_id TEXT NOT NULL REFERENCES users (id),
    status      TEXT NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
    action      TEXT,
    comment     TEXT,
    decided_by  TEXT REFERENCES users (id),
    created_at  TEXT NOT NULL,
    decided_at  TEXT,
    due_at      TEXT,
    UNIQUE (instance_id, key)
);
CREATE INDEX tasks_assignee_status_idx ON tasks (assignee_id, status, id);
CREATE INDEX tasks_decided_by_idx ON tasks (decided_by, id) WHERE decided_by IS NOT NULL;

CREATE TABLE instance_history (
    id          TEXT PRIMARY KEY NOT NULL,
    instance_id TEXT NOT NULL REFERENCES process_instances (id),
    at          TEXT NOT NULL,
    actor       TEXT,
    node_id     TEXT,
    action      TEXT NOT NULL,
    comment     TEXT,
    detail      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail))
);
CREATE INDEX instance_history_instance_idx ON instance_history (instance_id, id);

-- Scheduling a key twice is a no-op (UNIQUE), and `fired_at` is set once, by the step that
-- consumes the timer: each timer fires at most once whatever the number of servers.
CREATE TABLE timers (
    id           TEXT PRIMARY KEY NOT NULL,
    instance_id  TEXT NOT NULL REFERENCES process_instances (id),
    key          TEXT NOT NULL,
    kind         TEXT NOT NULL,
    fire_at      TEXT NOT NULL,
    fired_at     TEXT,
    cancelled_at TEXT,
    UNIQUE (instance_id, key)
);
CREATE INDEX timers_due_idx ON timers (fire_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;

-- ---- background work and notifications -----------------------------------------------------

CREATE TABLE outbox (
    id           TEXT PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL CHECK (json_valid(payload)),
    created_at   TEXT NOT NULL,
    available_at TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    last_error   TEXT,
    done_at      TEXT
);
CREATE INDEX outbox_pending_idx ON outbox (available_at) WHERE done_at IS NULL;

CREATE TABLE notifications (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL CHECK (json_valid(payload)),
    created_at TEXT NOT NULL,
    read_at    TEXT
);
CREATE INDEX notifications_user_idx ON notifications (user_id, id);
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;
