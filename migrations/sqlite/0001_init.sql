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
    -- Human-facing, gap-free (`PRJ-2026-00001`); NULL until assigned.
    number        TEXT,
    owner_id      TEXT REFERENCES users (id),
    department_id TEXT REFERENCES departments (id),
    status        TEXT NOT NULL,
    data          TEXT NOT NULL CHECK (json_valid(data)),
    rev           INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted_at    TEXT,
    FOREIGN KEY (app_id, app_version) REFERENCES app_versions (app_id, version)
);
CREATE INDEX records_app_form_id_idx ON records (app_id, form_id, id);
CREATE INDEX records_owner_id_idx ON records (owner_id, id);
CREATE UNIQUE INDEX records_number_key ON records (app_id, form_id, number);

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

-- ---- processes -----------------------------------------------------------------------------

CREATE TABLE process_instances (
    id          TEXT PRIMARY KEY NOT NULL,
    record_id   TEXT NOT NULL REFERENCES records (id),
    app_id      TEXT NOT NULL,
    process_id  TEXT NOT NULL,
    app_version INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (json_valid(state)),
    status      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    FOREIGN KEY (app_id, app_version) REFERENCES app_versions (app_id, version)
);
CREATE INDEX process_instances_record_id_idx ON process_instances (record_id);
CREATE INDEX process_instances_status_idx ON process_instances (app_id, status);

CREATE TABLE tasks (
    id          TEXT PRIMARY KEY NOT NULL,
    instance_id TEXT NOT NULL REFERENCES process_instances (id),
    node_id     TEXT NOT NULL,
    assignee_id TEXT REFERENCES users (id),
    status      TEXT NOT NULL,
    action      TEXT,
    comment     TEXT,
    decided_by  TEXT REFERENCES users (id),
    created_at  TEXT NOT NULL,
    decided_at  TEXT,
    due_at      TEXT
);
CREATE INDEX tasks_assignee_status_idx ON tasks (assignee_id, status, id);
CREATE INDEX tasks_instance_id_idx ON tasks (instance_id);

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

CREATE TABLE timers (
    id          TEXT PRIMARY KEY NOT NULL,
    instance_id TEXT NOT NULL REFERENCES process_instances (id),
    task_id     TEXT REFERENCES tasks (id),
    kind        TEXT NOT NULL,
    fire_at     TEXT NOT NULL,
    fired_at    TEXT
);
CREATE INDEX timers_due_idx ON timers (fire_at) WHERE fired_at IS NULL;
CREATE INDEX timers_instance_id_idx ON timers (instance_id);

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
