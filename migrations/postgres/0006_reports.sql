-- Spreadsheet imports (issue 12, PostgreSQL dialect): an upload checked against a form, its
-- rows staged until a commit inserts them all in one transaction, or none.

CREATE TABLE imports (
    id           TEXT PRIMARY KEY NOT NULL,
    app_id       TEXT NOT NULL,
    form_id      TEXT NOT NULL,
    created_by   TEXT NOT NULL REFERENCES users (id),
    -- SHA-256 of the uploaded bytes: the same file committed once answers 409 afterwards.
    content_hash TEXT NOT NULL,
    filename     TEXT NOT NULL,
    -- Historical rows are stored as they are: no number, no process, no rule events.
    historical   BOOLEAN NOT NULL DEFAULT FALSE,
    status       TEXT NOT NULL CHECK (status IN ('checking', 'ready', 'failed', 'committed')),
    row_count    BIGINT NOT NULL DEFAULT 0,
    -- [{"row", "column", "message"}], rows counted from 1 without the header.
    errors       JSONB NOT NULL DEFAULT '[]',
    mapping      JSONB NOT NULL DEFAULT '{}',
    -- The checked form data of every row, in sheet order, until the commit.
    staged       JSONB NOT NULL DEFAULT '[]',
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    committed_at TIMESTAMPTZ
);
CREATE INDEX imports_hash_idx ON imports (app_id, form_id, content_hash);
-- One committed import per file and form: a second commit of the same bytes conflicts.
CREATE UNIQUE INDEX imports_committed_once ON imports (app_id, form_id, content_hash)
    WHERE status = 'committed';
