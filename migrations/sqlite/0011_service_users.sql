-- Service users (issue 11, SQLite dialect): accounts that programs act as through API tokens.
-- They never sign in with a password (their stored hash is no argon2 string, so no password
-- verifies against it) and an admin issues and revokes their tokens. A row here marks a user
-- as one; it goes with its user.
CREATE TABLE service_users (
    user_id    TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_by TEXT,
    created_at TEXT NOT NULL
);
