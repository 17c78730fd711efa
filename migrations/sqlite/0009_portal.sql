-- The client portal, delegation (issue 11, SQLite dialect): customers an admin keeps, client
-- accounts linked to one customer, files a team shares with the client, the conversation
-- thread a record has with its client (apart from internal comments), and out-of-office
-- delegations.

CREATE TABLE customers (
    id         TEXT PRIMARY KEY NOT NULL,
    -- What a form's `customer` field holds for this customer's records.
    name       TEXT NOT NULL UNIQUE,
    contacts   TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE customer_accounts (
    user_id     TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE
);
CREATE INDEX customer_accounts_customer_idx ON customer_accounts (customer_id);

CREATE TABLE shared_files (
    record_id TEXT NOT NULL,
    file_id   TEXT NOT NULL,
    shared_by TEXT NOT NULL,
    shared_at TEXT NOT NULL,
    PRIMARY KEY (record_id, file_id)
);

CREATE TABLE record_threads (
    id         TEXT PRIMARY KEY NOT NULL,
    record_id  TEXT NOT NULL,
    author_id  TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX record_threads_record_idx ON record_threads (record_id, id);

CREATE TABLE delegations (
    user_id     TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    delegate_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
