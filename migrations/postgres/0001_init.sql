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
    -- Human-facing, gap-free (`PRJ-2026-00001`); NULL when the form does not number records.
    number        TEXT COLLATE "C",
    owner_id      TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    department_id TEXT COLLATE "C" REFERENCES departments (id),
    status        TEXT COLLATE "C" NOT NULL,
    data          JSONB NOT NULL,
    rev           BIGINT NOT NULL DEFAULT 1,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    deleted_at    TIMESTAMPTZ,
    FOREIGN KEY (app_id, app_version) REFERENCES app_versions (app_id, version)
);
-- The list indexes: a form's live records newest first, for everyone who sees all of them, for
-- an owner, and for a department. "Own or these departments" merges one branch per owner and
-- department, each walking its index in order (a Merge Append of backward index scans).
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
    owner_id   TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    key        TEXT NOT NULL,
    -- SHA-256 of the request body: a reused key with different data is refused.
    request_hash TEXT NOT NULL,
    record_id  TEXT COLLATE "C" NOT NULL REFERENCES records (id) DEFERRABLE INITIALLY DEFERRED,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (owner_id, key)
);

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

CREATE TABLE comments (
    id         TEXT COLLATE "C" PRIMARY KEY,
    record_id  TEXT COLLATE "C" NOT NULL REFERENCES records (id),
    author_id  TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    body       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX comments_record_idx ON comments (record_id, id);

-- ---- processes -----------------------------------------------------------------------------

CREATE TABLE process_instances (
    id          TEXT COLLATE "C" PRIMARY KEY,
    record_id   TEXT COLLATE "C" NOT NULL REFERENCES records (id),
    app_id      TEXT NOT NULL,
    process_id  TEXT NOT NULL,
    app_version BIGINT NOT NULL,
    state       JSONB NOT NULL,
    status      TEXT NOT NULL,
    -- Bumped by every step; a step computed from an older version is refused, so two steps
    -- on one instance (parallel branches, two servers) never overwrite each other.
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (app_id, app_version) REFERENCES app_versions (app_id, version)
);
CREATE INDEX process_instances_record_id_idx ON process_instances (record_id, id);
CREATE INDEX process_instances_status_idx ON process_instances (app_id, status);

-- `key` is the engine's task key, deterministic within the instance.
CREATE TABLE tasks (
    id          TEXT COLLATE "C" PRIMARY KEY,
    instance_id TEXT COLLATE "C" NOT NULL REFERENCES process_instances (id),
    key         TEXT NOT NULL,
    node_id     TEXT NOT NULL,
    assignee_id TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    status      TEXT NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
    action      TEXT,
    comment     TEXT,
    decided_by  TEXT COLLATE "C" REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL,
    decided_at  TIMESTAMPTZ,
    due_at      TIMESTAMPTZ,
    UNIQUE (instance_id, key)
);
CREATE INDEX tasks_assignee_status_idx ON tasks (assignee_id, status, id);
CREATE INDEX tasks_decided_by_idx ON tasks (decided_by, id) WHERE decided_by IS NOT NULL;

CREATE TABLE instance_history (
    id          TEXT COLLATE "C" PRIMARY KEY,
    instance_id TEXT COLLATE "C" NOT NULL REFERENCES process_instances (id),
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT,
    node_id     TEXT,
    action      TEXT NOT NULL,
    comment     TEXT,
    detail      JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX instance_history_instance_idx ON instance_history (instance_id, id);

-- Scheduling a key twice is a no-op (UNIQUE), and `fired_at` is set once, by the step that
-- consumes the timer: each timer fires at most once whatever the number of servers.
CREATE TABLE timers (
    id           TEXT COLLATE "C" PRIMARY KEY,
    instance_id  TEXT COLLATE "C" NOT NULL REFERENCES process_instances (id),
    key          TEXT NOT NULL,
    kind         TEXT NOT NULL,
    fire_at      TIMESTAMPTZ NOT NULL,
    fired_at     TIMESTAMPTZ,
    cancelled_at TIMESTAMPTZ,
    UNIQUE (instance_id, key)
);
CREATE INDEX timers_due_idx ON timers (fire_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;

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
