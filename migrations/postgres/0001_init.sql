-- Formwork schema, PostgreSQL dialect. The SQLite file of the same name holds the same tables.
-- Ids are UUID v7 text; instants are TIMESTAMPTZ (microseconds); JSON is JSONB, except app
-- packages, which are kept byte for byte as TEXT.
-- Columns that lists sort or page by are COLLATE "C": byte order, as on SQLite, and the order
-- of the UUID v7 text is its time order whatever the server's default collation.

-- ---- people and organisation -------------------------------------------------------------

CREATE TABLE departments (
    id           TEXT COLLATE "C" PRIMARY KEY,
    name         TEXT COLLATE "C" NOT NULL,
    parent_id    TEXT REFERENCES departments (id),
    head_user_id TEXT,
    created_at   TIMESTAMPTZ NOT NULL
);
-- UNIQUE NULLS NOT DISTINCT would do on PG 15+, but the expression index matches SQLite.
CREATE UNIQUE INDEX departments_parent_name_key ON departments (coalesce(parent_id, ''), name);
CREATE INDEX departments_name_idx ON departments (name);

CREATE TABLE users (
    id            TEXT COLLATE "C" PRIMARY KEY,
    username      TEXT COLLATE "C" NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    email         TEXT,
    password_hash TEXT NOT NULL,
    department_id TEXT REFERENCES departments (id) ON DELETE SET NULL,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    suspended     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX users_department_id_idx ON users (department_id);

ALTER TABLE departments
    ADD CONSTRAINT departments_head_user_id_fkey
    FOREIGN KEY (head_user_id) REFERENCES users (id) ON DELETE SET NULL;

CREATE TABLE roles (
    id      TEXT COLLATE "C" PRIMARY KEY,
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
    id         TEXT PRIMARY KEY,
    user_id    TEXT REFERENCES users (id) ON DELETE CASCADE,
    data       TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

CREATE TABLE api_tokens (
    id           TEXT COLLATE "C" PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id);

CREATE TABLE login_failures (
    id  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key TEXT NOT NULL,
    at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_key_at_idx ON login_failures (key, at);

-- ---- apps ----------------------------------------------------------------------------------

CREATE TABLE apps (
    id             TEXT COLLATE "C" PRIMARY KEY,
    -- The draft's `name` object as JSON text, kept beside it so listing parses no packages.
    name           TEXT NOT NULL,
    -- Opaque canonical document: TEXT keeps it byte for byte, JSONB would reorder its keys.
    draft          TEXT NOT NULL,
    draft_rev      BIGINT NOT NULL,
    -- The highest published version; bumping it is what serialises concurrent publishes.
    latest_version BIGINT,
    created_at     TIMESTAMPTZ NOT NULL,
    created_by     TEXT NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    updated_by     TEXT NOT NULL
);

CREATE TABLE app_versions (
    app_id       TEXT NOT NULL REFERENCES apps (id),
    version      BIGINT NOT NULL CHECK (version > 0),
    package      TEXT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    published_by TEXT NOT NULL,
    PRIMARY KEY (app_id, version)
);

CREATE TABLE audit_log (
    id      TEXT COLLATE "C" PRIMARY KEY,
    at      TIMESTAMPTZ NOT NULL,
    actor   TEXT,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  JSONB NOT NULL
);
CREATE INDEX audit_log_subject_idx ON audit_log (subject, id);

-- ---- records and files ---------------------------------------------------------------------

CREATE TABLE records (
    id            TEXT COLLATE "C" PRIMARY KEY,
    app_id        TEXT NOT NULL,
    form_id       TEXT NOT NULL,
    app_version   BIGINT NOT NULL,
    -- Human-facing, gap-free (`PRJ-2026-00001`); NULL until assigned.
    number        TEXT,
    owner_id      TEXT REFERENCES users (id),
    department_id TEXT REFERENCES departments (id),
    status        TEXT NOT NULL,
    data          JSONB NOT NULL,
    rev           BIGINT NOT NULL DEFAULT 1,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    deleted_at    TIMESTAMPTZ,
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
    next_value BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (app_id, form_id, scope)
);

CREATE TABLE attachments (
    id           TEXT COLLATE "C" PRIMARY KEY,
    sha256       TEXT NOT NULL,
    size         BIGINT NOT NULL CHECK (size >= 0),
    content_type TEXT NOT NULL,
    filename     TEXT NOT NULL,
    created_by   TEXT REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX attachments_sha256_idx ON attachments (sha256);

-- ---- processes -----------------------------------------------------------------------------

CREATE TABLE process_instances (
    id          TEXT COLLATE "C" PRIMARY KEY,
    record_id   TEXT NOT NULL REFERENCES records (id),
    app_id      TEXT NOT NULL,
    process_id  TEXT NOT NULL,
    app_version BIGINT NOT NULL,
    state       JSONB NOT NULL,
    status      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (app_id, app_version) REFERENCES app_versions (app_id, version)
);
CREATE INDEX process_instances_record_id_idx ON process_instances (record_id);
CREATE INDEX process_instances_status_idx ON process_instances (app_id, status);

CREATE TABLE tasks (
    id          TEXT COLLATE "C" PRIMARY KEY,
    instance_id TEXT NOT NULL REFERENCES process_instances (id),
    node_id     TEXT NOT NULL,
    assignee_id TEXT REFERENCES users (id),
    status      TEXT NOT NULL,
    action      TEXT,
    comment     TEXT,
    decided_by  TEXT REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL,
    decided_at  TIMESTAMPTZ,
    due_at      TIMESTAMPTZ
);
CREATE INDEX tasks_assignee_status_idx ON tasks (assignee_id, status, id);
CREATE INDEX tasks_instance_id_idx ON tasks (instance_id);

CREATE TABLE instance_history (
    id          TEXT COLLATE "C" PRIMARY KEY,
    instance_id TEXT NOT NULL REFERENCES process_instances (id),
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT,
    node_id     TEXT,
    action      TEXT NOT NULL,
    comment     TEXT,
    detail      JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX instance_history_instance_idx ON instance_history (instance_id, id);

CREATE TABLE timers (
    id          TEXT COLLATE "C" PRIMARY KEY,
    instance_id TEXT NOT NULL REFERENCES process_instances (id),
    task_id     TEXT REFERENCES tasks (id),
    kind        TEXT NOT NULL,
    fire_at     TIMESTAMPTZ NOT NULL,
    fired_at    TIMESTAMPTZ
);
CREATE INDEX timers_due_idx ON timers (fire_at) WHERE fired_at IS NULL;
CREATE INDEX timers_instance_id_idx ON timers (instance_id);

-- ---- background work and notifications -----------------------------------------------------

CREATE TABLE outbox (
    id           TEXT COLLATE "C" PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      JSONB NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    available_at TIMESTAMPTZ NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMPTZ,
    last_error   TEXT,
    done_at      TIMESTAMPTZ
);
CREATE INDEX outbox_pending_idx ON outbox (available_at) WHERE done_at IS NULL;

CREATE TABLE notifications (
    id         TEXT COLLATE "C" PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    payload    JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    read_at    TIMESTAMPTZ
);
CREATE INDEX notifications_user_idx ON notifications (user_id, id);
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;
